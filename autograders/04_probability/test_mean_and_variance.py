"""mean_and_variance(x, axis=None, unbiased=False): as torch.var_mean, returned (mean, var)."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference

CASES = [((12,), None), ((4, 6), None), ((4, 6), 0), ((4, 6), 1), ((3, 4, 5), -1),
         ((3, 4, 5), 1), ((5, 1), 0)]


@reference
def torch_mean_var(x, axis, unbiased):
    var, mean = torch.var_mean(torch.from_numpy(x), dim=axis, correction=int(unbiased))
    return (mean.item(), var.item()) if axis is None else (mean.numpy(), var.numpy())


@reference
def mistakes(x, axis, unbiased):
    mean, var = torch_mean_var(x, axis, unbiased)
    other = torch_mean_var(x, axis, not unbiased)[1]
    correction = "dividing by n - 1 when unbiased=False" if not unbiased else \
        "dividing by n when unbiased=True (no Bessel correction)"
    return {correction: (mean, other),
            "the standard deviation instead of the variance": (mean, np.sqrt(var)),
            "torch's order (var, mean) instead of (mean, var)": (var, mean)}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("unbiased", [False, True])
@pytest.mark.parametrize("shape, axis", CASES, ids=lambda v: str(v))
def test_matches_torch(student, shape, axis, unbiased, seed):
    """matches torch.var_mean on shape {shape}, axis={axis}, unbiased={unbiased} (seed {seed})"""
    x = 5.0 + normal(seed, *shape, scale=2.0)
    expect_close(student.mean_and_variance(x, axis=axis, unbiased=unbiased),
                 torch_mean_var(x, axis, unbiased), tol=FLOAT64,
                 what=f"mean_and_variance(x of shape {shape}, axis={axis}, "
                      f"unbiased={unbiased})",
                 known_mistakes=mistakes(x, axis, unbiased))


def test_defaults(student):
    """by default: over all entries, population variance (divide by n)"""
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    expect_close(student.mean_and_variance(x), torch_mean_var(x, None, False), tol=FLOAT64,
                 what="mean_and_variance([[1, 2], [3, 6]])",
                 known_mistakes=mistakes(x, None, False))


# Any entry as the mean and a variance of 0 pass this one, with no work done.
@pytest.mark.property
def test_constant(student):
    """a constant array has variance 0"""
    x = np.full((3, 4), 2.5)
    expect_close(student.mean_and_variance(x, axis=0, unbiased=True),
                 torch_mean_var(x, 0, True), tol=FLOAT64,
                 what="mean_and_variance of a constant (3, 4) array, axis=0")
