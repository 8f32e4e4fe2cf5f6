"""standardize(X, eps=1e-5): per feature over the batch, as F.batch_norm(training=True)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, CheckFailed, expect_close, normal, reference, uniform

SIZES = [(8, 3), (5, 7), (4, 4), (100, 2)]


@reference
def torch_batch_norm(X, eps=1e-5):
    return F.batch_norm(torch.from_numpy(X), None, None, training=True, eps=eps).numpy()


@reference
def mistakes(X, eps=1e-5):
    mean, var = X.mean(axis=0), X.var(axis=0)
    row_mean, row_var = X.mean(axis=1, keepdims=True), X.var(axis=1, keepdims=True)
    return {
        "standardizing each example (axis=1) instead of each feature (axis=0)":
            (X - row_mean) / np.sqrt(row_var + eps),
        "the unbiased variance (n - 1); batch norm divides by n":
            (X - mean) / np.sqrt(X.var(axis=0, ddof=1) + eps),
        "adding eps to the standard deviation instead of the variance":
            (X - mean) / (np.sqrt(var) + eps),
        "one mean and variance over the whole array": (X - X.mean()) / np.sqrt(X.var() + eps),
        "dividing by the standard deviation without eps (batch norm divides by √(var + eps))":
            without_eps(X),
    }


def without_eps(X):
    """(X - mean) / std: 0/0 = NaN for a constant feature, quietly, as a mistake may be."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X - X.mean(axis=0)) / X.std(axis=0)


def features(seed, n, d):
    """Features on different scales and offsets, as raw inputs are."""
    return uniform(seed + 7, d, low=-10.0, high=10.0) + normal(seed, n, d) * uniform(
        seed + 8, d, low=0.1, high=5.0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: "N{}-D{}".format(*s))
def test_matches_torch(student, size, seed):
    """matches F.batch_norm(training=True) without affine, N, D = {size} (seed {seed})"""
    X = features(seed, *size)
    expect_close(student.standardize(X), torch_batch_norm(X), tol=FLOAT64,
                 what=f"standardize of X {X.shape}", known_mistakes=mistakes(X))


def test_eps_inside_the_root(student):
    """eps is added to the variance (eps=0.5, a feature of variance about 1)"""
    X = features(3, 6, 3)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    expect_close(student.standardize(X, eps=0.5), torch_batch_norm(X, 0.5), tol=FLOAT64,
                 what="standardize(X, eps=0.5)", known_mistakes=mistakes(X, 0.5))


def test_constant_feature(student):
    """a constant feature becomes 0, not NaN (eps keeps the division finite)"""
    X = features(4, 6, 3)
    X[:, 1] = 3.0
    got = student.standardize(X)
    if _nan_in(got, column=1):
        raise CheckFailed("standardize of X with a constant feature (column 1) gives NaN there: "
                          "its variance is 0, so (X - mean) / std is 0 / 0 unless eps is added "
                          "to the variance: divide by √(var + eps)")
    expect_close(got, torch_batch_norm(X), tol=FLOAT64,
                 what="standardize of X with a constant feature", known_mistakes=mistakes(X))


def _nan_in(value, column):
    """Whether `value`, an (N, D) array of numbers, has NaN in `column`."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False  # not numbers: the comparison says what it is
    return array.ndim == 2 and array.shape[1] > column and bool(np.isnan(array[:, column]).any())
