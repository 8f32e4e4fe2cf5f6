"""sigmoid_derivative(x): d sigmoid / dx = sigmoid(x) (1 - sigmoid(x)), against autograd."""

import numpy as np
import pytest
import torch

from dlmath.kit import SEEDS, normal

from .shared import SHAPES, expect_derivative

LARGE = np.array([-1000.0, -710.0, -100.0, -36.0, 0.0, 36.0, 100.0, 710.0, 1000.0])


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(x):
    s = torch.sigmoid(torch.from_numpy(x)).numpy()
    return {"x (1 - x) (the formula in terms of the output sigmoid(x), applied to the input x)":
            x * (1 - x),
            "1 - sigmoid(x)^2 (the tanh formula)": 1 - s**2,
            "sigmoid(x) (1 + sigmoid(x)) (s(1 + s): the derivative is s(1 - s))": s * (1 + s),
            "sigmoid(x) itself, not its derivative": s}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of torch.sigmoid on shape {shape} (seed {seed})"""
    x = normal(seed, *shape, scale=3.0)
    expect_derivative(student, "sigmoid", x, f"sigmoid_derivative of shape {shape}", mistakes)


def test_peak_at_zero(student):
    """is 1/4 at x = 0, its largest value, and just below 1/4 either side"""
    # The neighbours keep a constant 1/4 from passing: sigmoid'(x) = 1/4 - x^2/16 + ... there.
    x = np.array([-0.5, -1e-3, 0.0, 1e-3, 0.5])
    expect_derivative(student, "sigmoid", x, f"sigmoid_derivative({x.tolist()})", mistakes)


@pytest.mark.weight(2)
def test_large_inputs(student):
    """is about 0 (not NaN) for |x| up to 1000"""
    expect_derivative(student, "sigmoid", LARGE, f"sigmoid_derivative({LARGE.tolist()})", mistakes)
