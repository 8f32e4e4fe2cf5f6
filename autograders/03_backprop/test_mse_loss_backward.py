"""mse_loss_backward(y_pred, y): dL/dy_pred = 2 (y_pred - y) / n, n the number of entries."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, expect_matches, normal, reference

SHAPES = [(5,), (4, 1), (3, 4), (1, 1)]


@reference
def torch_mse_grad(y_pred, y):
    pred = torch.tensor(y_pred, requires_grad=True)
    F.mse_loss(pred, torch.from_numpy(y)).backward()
    return pred.grad.numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(y_pred, y):
    error, n, batch = y_pred - y, y_pred.size, y_pred.shape[0]
    return {"(y_pred - y) / n (the factor 2 of the square's derivative is dropped)": error / n,
            "2 (y_pred - y), not divided by the number of entries n (the gradient of "
            "the sum)": 2 * error,
            "dividing by the batch size N instead of the number of entries n": 2 * error / batch,
            "2 (y - y_pred) / n (the sign)": 2 * -error / n,
            "averaging twice (dividing by n twice)": 2 * error / n**2}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of F.mse_loss for predictions of shape {shape} (seed {seed})"""
    y_pred, y = normal(seed, *shape, scale=2.0), normal(seed + 10, *shape)
    expect_matches(student.mse_loss_backward(y_pred, y), torch_mse_grad(y_pred, y),
                   tol=FLOAT64, what=f"mse_loss_backward of shape {shape}",
                   mistakes=mistakes(y_pred, y))


# Zeros like y_pred are also 0 there.
@pytest.mark.property
def test_zero_at_perfect_prediction(student):
    """is 0 when y_pred = y"""
    y = normal(3, 4, 2)
    expect_matches(student.mse_loss_backward(y.copy(), y), 0.0 * y, tol=FLOAT64,
                   what="mse_loss_backward(y, y)")
