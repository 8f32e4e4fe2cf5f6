"""tanh_backward(dA, Z): dZ = dA * (1 - tanh(Z)^2), against autograd.

Z is the activation's input (the pre-activation), not its output A = tanh(Z).
"""

import numpy as np
import pytest

from dlmath.kit import SEEDS, normal

from .shared import ACTIVATION_SHAPES, expect_backward


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(dA, Z):
    t = np.tanh(Z)
    return {"dA * (1 - Z^2) (the output formula applied to the input Z)": dA * (1 - Z**2),
            "differentiating through the activation's output (tanh'(A) with A = tanh(Z) "
            "instead of tanh'(Z))": dA * (1 - np.tanh(t) ** 2),
            "1 - tanh(Z)^2 alone (the upstream gradient dA is not multiplied in)": 1 - t**2,
            "dA * (1 - tanh(Z)) (the square is missing)": dA * (1 - t)}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", ACTIVATION_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of torch.tanh for shape {shape} (seed {seed})"""
    dA, Z = normal(seed, *shape), normal(seed + 10, *shape, scale=1.5)
    expect_backward(student, "tanh", dA, Z, f"tanh_backward of shape {shape}", mistakes)


@pytest.mark.weight(2)
def test_saturated(student):
    """passes about 0 (not NaN) where |Z| is large"""
    dA, Z = normal(4, 1, 6), np.array([[-500.0, -30.0, -3.0, 3.0, 30.0, 500.0]])
    expect_backward(student, "tanh", dA, Z, "tanh_backward with large |Z|", mistakes)
