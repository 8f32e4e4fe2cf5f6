"""numerical_derivative(f, x, h=1e-5): the central difference (f(x+h) - f(x-h)) / 2h.

The reference is that same central difference at the same h, computed in torch from the
torch twin of f; autograd is the sanity check that it approximates the true derivative.
"""

import numpy as np
import pytest
import torch

from dlmath.kit import (
    CUBIC,
    FINITE_DIFFERENCE,
    GAUSSIAN_BUMP,
    SAME_H,
    SEEDS,
    SIN_PLUS_SQUARE,
    SOFTPLUS,
    expect_matches,
    lookup,
    normal,
    reference,
)

FUNCTIONS = [CUBIC, SIN_PLUS_SQUARE, SOFTPLUS, GAUSSIAN_BUMP]
SHAPES = {"a number": (), "of shape (5,)": (5,), "of shape (2, 3)": (2, 3)}
DEFAULT_H = 1e-5


def point(seed, shape):
    """x in about [-3, 3]: a Python float for shape (), else an array."""
    x = normal(seed, *shape, scale=1.5)
    return float(x) if shape == () else x


@reference
def torch_central(name, x, h):
    f, t = lookup(name).torch, torch.as_tensor(x, dtype=torch.float64)
    return ((f(t + h) - f(t - h)) / (2 * h)).numpy()


@reference
def torch_derivative(name, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    lookup(name).torch(t).sum().backward()
    return t.grad.numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(f, x, h, default_h=False):
    """What the usual slips give, computed with the numpy f the student calls."""
    found = {
        "a forward difference (f(x + h) - f(x)) / h": (f(x + h) - f(x)) / h,
        "a backward difference (f(x) - f(x - h)) / h": (f(x) - f(x - h)) / h,
        "dividing by h instead of 2h": (f(x + h) - f(x - h)) / h,
    }
    if default_h:
        for step in (1e-1, 1e-2, 1e-3):
            found[f"a default step h = {step:g} (too large: the truncation error grows like "
                  "h^2)"] = (f(x + step) - f(x - step)) / (2 * step)
        for step in (1e-10, 1e-12, 1e-14):
            found[f"a default step h = {step:g} (too small: the rounding error grows like "
                  "eps / h)"] = (f(x + step) - f(x - step)) / (2 * step)
    return found


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("kind", SHAPES, ids=lambda k: k.replace(" ", "-"))
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_matches_central_difference(student, f, kind, seed):
    """the central difference of {f.name} at the default h, x {kind} (seed {seed})"""
    x = point(seed, SHAPES[kind])
    expect_matches(student.numerical_derivative(f, x), torch_central(f.name, x, DEFAULT_H),
                   tol=SAME_H, what=f"numerical_derivative({f.name}, x) with x {kind}",
                   mistakes=mistakes(f, x, DEFAULT_H, default_h=True))


@pytest.mark.weight(2)
@pytest.mark.parametrize("h", [1e-1, 1e-2, 1e-3])
@pytest.mark.parametrize("f", [CUBIC, SOFTPLUS], ids=lambda f: f.name)
def test_uses_the_given_h(student, f, h):
    """uses the h it is given: {f.name} with h = {h}"""
    x = normal(4, 6, scale=1.5)
    exact = {"the exact derivative (is the h argument ignored? The answer is the central "
             "difference at the h given)": torch_derivative(f.name, x)}
    expect_matches(student.numerical_derivative(f, x, h), torch_central(f.name, x, h),
                   tol=SAME_H, what=f"numerical_derivative({f.name}, x, h={h})",
                   mistakes=mistakes(f, x, h) | exact)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_close_to_autograd(student, f):
    """approximates the true derivative of {f.name} (autograd) at the default h"""
    x = normal(7, 8, scale=1.5)
    expect_matches(student.numerical_derivative(f, x), torch_derivative(f.name, x),
                   tol=FINITE_DIFFERENCE, what=f"numerical_derivative({f.name}, x) against "
                   "autograd", mistakes=mistakes(f, x, DEFAULT_H, default_h=True))


def test_called_twice(student):
    """gives the same answer when called twice, for a scalar and an array"""
    for x in (0.75, normal(9, 3)):
        for attempt in ("first", "second"):
            expect_matches(student.numerical_derivative(SIN_PLUS_SQUARE, x),
                           torch_central(SIN_PLUS_SQUARE.name, x, DEFAULT_H), tol=SAME_H,
                           what=f"the {attempt} call of numerical_derivative(sin_plus_square, x)")
