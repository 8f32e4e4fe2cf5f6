"""sigmoid_backward(dA, Z): dZ = dA * sigmoid(Z) (1 - sigmoid(Z)), against autograd.

Z is the activation's input (the pre-activation), not its output A = sigmoid(Z).
"""

import numpy as np
import pytest
import torch

from dlmath.kit import SEEDS, expect_no_warning, normal

from .shared import ACTIVATION_SHAPES, expect_backward

LARGE = np.array([[-1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0]])


def _sigmoid(x):
    return torch.sigmoid(torch.from_numpy(np.asarray(x, dtype=np.float64))).numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(dA, Z):
    s = _sigmoid(Z)
    ss = _sigmoid(s)
    return {"dA * Z (1 - Z) (the output formula applied to the input Z)": dA * Z * (1 - Z),
            "differentiating through the activation's output (sigmoid'(A) with A = sigmoid(Z) "
            "instead of sigmoid'(Z))": dA * ss * (1 - ss),
            "sigmoid'(Z) alone (the upstream gradient dA is not multiplied in)": s * (1 - s),
            "dA * sigmoid(Z) (the activation instead of its derivative)": dA * s}


# Returning dA or zeros raises no warning either.
@pytest.mark.property
@pytest.mark.weight(2)
def test_no_overflow_warning(student):
    """raises no overflow warning for |Z| up to 1000"""
    dA = normal(3, *LARGE.shape)
    expect_no_warning(student, lambda: student.sigmoid_backward(dA, LARGE),
                      "sigmoid_backward with |Z| up to 1000",
                      "use a stable sigmoid: exp(-|Z|) never overflows", about=("exp",))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", ACTIVATION_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of torch.sigmoid for shape {shape} (seed {seed})"""
    dA, Z = normal(seed, *shape), normal(seed + 10, *shape, scale=2.0)
    expect_backward(student, "sigmoid", dA, Z, f"sigmoid_backward of shape {shape}", mistakes)


@pytest.mark.weight(2)
def test_large_inputs(student):
    """passes about 0 (not NaN) for |Z| up to 1000"""
    dA = normal(3, *LARGE.shape)
    expect_backward(student, "sigmoid", dA, LARGE, "sigmoid_backward with |Z| up to 1000", mistakes)
