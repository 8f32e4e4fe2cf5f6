"""tanh_derivative(x): d tanh / dx = 1 - tanh(x)^2, against autograd."""

import numpy as np
import pytest
import torch

from dlmath.engine.calculus_checks import expect_matches
from dlmath.engine.compare import FLOAT64
from dlmath.engine.inputs import SEEDS, normal
from dlmath.engine.references import reference

SHAPES = [(7,), (3, 4), (2, 3, 2)]
LARGE = np.array([-50.0, -20.0, -5.0, 0.0, 5.0, 20.0, 50.0])


@reference
def torch_tanh_grad(x):
    t = torch.tensor(x, requires_grad=True)
    torch.tanh(t).sum().backward()
    return t.grad.numpy()


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
    expect_matches(student.tanh_derivative(x), torch_tanh_grad(x), tol=FLOAT64,
                   what=f"tanh_derivative of shape {shape}", mistakes=mistakes(x))


def test_peak_at_zero(student):
    """is 1 at x = 0"""
    expect_matches(student.tanh_derivative(np.zeros(3)), np.ones(3), tol=FLOAT64,
                   what="tanh_derivative at 0", mistakes=mistakes(np.zeros(3)))


@pytest.mark.weight(2)
def test_saturates(student):
    """goes to 0 (not NaN) for large |x|: the saturated tanh passes no gradient"""
    expect_matches(student.tanh_derivative(LARGE), torch_tanh_grad(LARGE), tol=FLOAT64,
                   what=f"tanh_derivative({LARGE.tolist()})", mistakes=mistakes(LARGE))
