"""tanh_derivative(x): d tanh / dx = 1 - tanh(x)^2, against autograd."""

import numpy as np
import pytest

from dlmath.kit import SEEDS, normal

from .shared import SHAPES, expect_derivative

LARGE = np.array([-50.0, -20.0, -5.0, 0.0, 5.0, 20.0, 50.0])


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(x):
    t = np.tanh(x)
    return {"1 - x^2 (the formula in terms of the output tanh(x), applied to the input x)":
            1 - x**2,
            "1 - tanh(x) (the square is missing)": 1 - t,
            "tanh(x) (1 - tanh(x)), the sigmoid's formula": t * (1 - t),
            "1 + tanh(x)^2 (the sign of the square)": 1 + t**2}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of torch.tanh on shape {shape} (seed {seed})"""
    x = normal(seed, *shape, scale=1.5)
    expect_derivative(student, "tanh", x, f"tanh_derivative of shape {shape}", mistakes)


def test_peak_at_zero(student):
    """is 1 at x = 0, its largest value, and just below 1 either side"""
    # The neighbours keep a constant 1 from passing: tanh'(x) = 1 - x^2 + ... there.
    x = np.array([-0.5, -1e-3, 0.0, 1e-3, 0.5])
    expect_derivative(student, "tanh", x, f"tanh_derivative({x.tolist()})", mistakes)


@pytest.mark.weight(2)
def test_saturates(student):
    """goes to 0 (not NaN) for large |x|: the saturated tanh passes no gradient"""
    expect_derivative(student, "tanh", LARGE, f"tanh_derivative({LARGE.tolist()})", mistakes)
