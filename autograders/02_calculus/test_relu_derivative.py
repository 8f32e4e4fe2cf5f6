"""relu_derivative(x): 1 where x > 0, else 0 -- and 0 at x = 0, as torch's autograd."""

import numpy as np
import pytest

from dlmath.kit import FLOAT64, SEEDS, expect_matches, normal

from .shared import SHAPES, expect_derivative


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(x):
    return {"the derivative 1 at x = 0 (x >= 0; torch uses 0 there)": (x >= 0) * 1.0,
            "the ReLU itself, max(x, 0), not its derivative": np.maximum(x, 0.0),
            "np.sign(x) (-1 for negative inputs, where the ReLU is flat)": np.sign(x),
            "the derivative 1/2 at x = 0 (torch uses 0 there)": np.heaviside(x, 0.5),
            "a slope for negative x (a leaky ReLU)": np.where(x > 0, 1.0, 0.01)}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of torch.relu on shape {shape} (seed {seed})"""
    x = normal(seed, *shape)
    expect_derivative(student, "relu", x, f"relu_derivative of shape {shape}", mistakes)


@pytest.mark.weight(2)
@pytest.mark.parametrize("seed", SEEDS)
def test_zero_at_zero(student, seed):
    """is 0 at x = 0 and at x = -0.0, as torch (seed {seed})"""
    x = np.round(normal(seed, 3, 5))  # whole numbers: many exact zeros, some of them -0.0
    x[0, :2] = [0.0, -0.0]
    expect_derivative(student, "relu", x, "relu_derivative of an array with zeros", mistakes)


def test_all_negative_and_all_positive(student):
    """is all 0 for negative inputs and all 1 for positive ones"""
    x = np.abs(normal(4, 6)) + 0.1
    expect_matches(student.relu_derivative(-x), np.zeros(6), tol=FLOAT64,
                   what="relu_derivative of negative numbers", mistakes=mistakes(-x))
    expect_matches(student.relu_derivative(x), np.ones(6), tol=FLOAT64,
                   what="relu_derivative of positive numbers", mistakes=mistakes(x))
