"""relu_backward(dA, Z): dZ = dA where Z > 0, else 0 (0 at Z = 0, as torch), against autograd."""

import numpy as np
import pytest

from dlmath.kit import SEEDS, normal

from .shared import ACTIVATION_SHAPES, expect_backward


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(dA, Z):
    return {"a gradient of 1 at Z = 0 (Z >= 0; torch passes 0 there)": dA * (Z >= 0),
            "the 0/1 mask alone (the upstream gradient dA is not multiplied in)": (Z > 0) * 1.0,
            "dA * Z (multiplying by Z instead of the 0/1 mask)": dA * Z,
            "dA * relu(Z) (multiplying by the activation instead of its derivative)":
                dA * np.maximum(Z, 0),
            "the mask inverted (Z < 0)": dA * (Z < 0)}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", ACTIVATION_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of torch.relu for shape {shape} (seed {seed})"""
    dA, Z = normal(seed, *shape), normal(seed + 10, *shape)
    expect_backward(student, "relu", dA, Z, f"relu_backward of shape {shape}", mistakes)


@pytest.mark.weight(2)
@pytest.mark.parametrize("seed", SEEDS[:2])
def test_zero_at_zero(student, seed):
    """passes no gradient where Z = 0 or -0.0, as torch (seed {seed})"""
    dA, Z = normal(seed, 4, 5), np.round(normal(seed + 10, 4, 5))  # many exact zeros
    Z[0, :2] = [0.0, -0.0]
    expect_backward(student, "relu", dA, Z, "relu_backward where some Z are exactly 0", mistakes)
