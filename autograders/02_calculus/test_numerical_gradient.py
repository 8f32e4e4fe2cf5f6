"""numerical_gradient(f, x, h=1e-5): central differences one coordinate at a time.

The reference perturbs each coordinate of x in torch with the torch twin of f, at the same
h; `torch.autograd.grad` is the sanity check. x must be unchanged afterwards.
"""

import numpy as np
import pytest

from dlmath.kit import (
    FINITE_DIFFERENCE,
    LOG_SUM_EXP,
    QUARTIC_BOWL,
    ROSENBROCK,
    SAME_H,
    SEEDS,
    SUM_OF_SQUARES,
    autograd_gradient,
    central_gradient,
    expect_matches,
    normal,
)

FUNCTIONS = [SUM_OF_SQUARES, ROSENBROCK, LOG_SUM_EXP, QUARTIC_BOWL]
SHAPES = [(3,), (2, 3), (2, 2, 2)]
DEFAULT_H = 1e-5


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(f, x, h):
    """What the usual slips give, computed with the numpy f the student calls."""
    def per_coordinate(difference):
        grad = np.empty(x.size)
        for i in range(x.size):
            step = np.zeros(x.size)
            step[i] = h
            grad[i] = difference((x.ravel() + step).reshape(x.shape),
                                 (x.ravel() - step).reshape(x.shape))
        return grad.reshape(x.shape)

    return {
        "a forward difference (f(x + h) - f(x)) / h":
            per_coordinate(lambda up, down: (f(up) - f(x)) / h),
        "dividing by h instead of 2h": per_coordinate(lambda up, down: (f(up) - f(down)) / h),
        "perturbing every coordinate at once (one directional derivative in every entry)":
            np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h)),
    }


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_matches_central_differences(student, f, shape, seed):
    """central differences of {f.name} at x of shape {shape} (seed {seed})"""
    x = normal(seed, *shape)
    expect_matches(student.numerical_gradient(f, x), central_gradient(f.name, x, DEFAULT_H),
                   tol=SAME_H, what=f"numerical_gradient({f.name}, x) with x of shape {shape}",
                   mistakes=mistakes(f, x, DEFAULT_H))


@pytest.mark.weight(2)
@pytest.mark.parametrize("h", [1e-1, 1e-3])
def test_uses_the_given_h(student, h):
    """uses the h it is given: rosenbrock with h = {h}"""
    x = normal(5, 2, 2)
    exact = {"the exact gradient (is the h argument ignored? The answer is the central "
             "difference at the h given)": autograd_gradient(ROSENBROCK.name, x)}
    expect_matches(student.numerical_gradient(ROSENBROCK, x, h),
                   central_gradient(ROSENBROCK.name, x, h), tol=SAME_H,
                   what=f"numerical_gradient(rosenbrock, x, h={h})",
                   mistakes=mistakes(ROSENBROCK, x, h) | exact)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_close_to_autograd(student, f):
    """approximates the true gradient of {f.name} (torch.autograd.grad)"""
    x = normal(8, 2, 5)
    expect_matches(student.numerical_gradient(f, x), autograd_gradient(f.name, x),
                   tol=FINITE_DIFFERENCE, what=f"numerical_gradient({f.name}, x) against "
                   "autograd", mistakes=mistakes(f, x, DEFAULT_H))


def test_called_twice(student):
    """gives the same answer when called twice on the same x"""
    x = normal(3, 4)
    for attempt in ("first", "second"):
        expect_matches(student.numerical_gradient(LOG_SUM_EXP, x),
                       central_gradient(LOG_SUM_EXP.name, x, DEFAULT_H), tol=SAME_H,
                       what=f"the {attempt} call of numerical_gradient(log_sum_exp, x)")
