"""mse_loss(y_pred, y): the mean of the squared errors over every entry, as F.mse_loss."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, expect_matches, normal, reference

SHAPES = [(5,), (4, 1), (3, 4), (1, 1)]


@reference
def torch_mse(y_pred, y):
    return F.mse_loss(torch.from_numpy(y_pred), torch.from_numpy(y)).item()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(y_pred, y):
    error = y_pred - y
    n = y_pred.shape[0]
    return {"the sum of the squared errors instead of their mean": np.sum(error**2),
            "the mean over the batch only (each example's squared errors summed)":
                np.sum(error**2) / n,
            "half the mean (the 1/2 convention; F.mse_loss has no 1/2)": 0.5 * np.mean(error**2),
            "the mean error without the square": np.mean(error),
            "the mean absolute error (F.l1_loss)": np.mean(np.abs(error)),
            "averaging twice (the mean divided by the count again)":
                np.mean(error**2) / error.size}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_torch(student, shape, seed):
    """matches F.mse_loss for predictions of shape {shape} (seed {seed})"""
    y_pred, y = normal(seed, *shape, scale=2.0), normal(seed + 10, *shape)
    expect_matches(student.mse_loss(y_pred, y), torch_mse(y_pred, y), tol=FLOAT64,
                   what=f"mse_loss of shape {shape}", mistakes=mistakes(y_pred, y))


# `return 0.0` is also 0 there.
@pytest.mark.property
def test_perfect_prediction(student):
    """is 0 when y_pred = y"""
    y = normal(3, 4, 2)
    expect_matches(student.mse_loss(y.copy(), y), 0.0, tol=FLOAT64,
                   what="mse_loss(y, y)")


def test_symmetric(student):
    """mse_loss(y_pred, y) = mse_loss(y, y_pred)"""
    y_pred, y = normal(4, 6, 2), normal(5, 6, 2)
    expect_matches(student.mse_loss(y, y_pred), torch_mse(y_pred, y), tol=FLOAT64,
                   what="mse_loss with the arguments swapped", mistakes=mistakes(y, y_pred))
