"""softmax(z, axis=-1): as torch.softmax, stable for logits up to ±1e3."""

import numpy as np
import pytest
import torch

from dlmath.engine.compare import FLOAT64, expect_close
from dlmath.engine.inputs import SEEDS, normal
from dlmath.engine.references import reference
from dlmath.engine.stability import stable_call

SHAPES = [(5,), (3, 4), (4, 3), (2, 3, 5)]
STABLE = "subtract the max along the axis before exp: softmax(z) = softmax(z - max z)"


@reference
def torch_softmax(z, axis=-1):
    return torch.softmax(torch.from_numpy(z), dim=axis).numpy()


def wrong_axes(z, axis):
    """softmax over every other axis: the classic slip."""
    axes = [a for a in range(z.ndim) if a != axis % z.ndim]
    return {f"normalizing over axis {a} instead of {axis}": torch_softmax(z, a) for a in axes}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_torch(student, shape, seed):
    """matches torch.softmax over the last axis of shape {shape} (seed {seed})"""
    z = normal(seed, *shape, scale=3.0)
    expect_close(student.softmax(z), torch_softmax(z), tol=FLOAT64,
                 what=f"softmax of shape {shape}", known_mistakes=wrong_axes(z, -1))


@pytest.mark.parametrize("axis", [0, 1, -2])
def test_axis(student, axis):
    """normalizes along axis={axis} of a (2, 3, 5) array"""
    z = normal(4, 2, 3, 5, scale=2.0)
    expect_close(student.softmax(z, axis=axis), torch_softmax(z, axis), tol=FLOAT64,
                 what=f"softmax(z, axis={axis}) of shape (2, 3, 5)",
                 known_mistakes=wrong_axes(z, axis))


def test_equal_logits(student):
    """equal logits give the uniform distribution"""
    z = np.full((2, 4), 7.0)
    expect_close(student.softmax(z), torch_softmax(z), tol=FLOAT64, what="softmax of equal logits")


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", ["large", "rows apart", "axis 0"])
def test_stable(student, case):
    """no overflow, NaN or warning with logits up to ±1e3 ({case})"""
    z, axis = {
        "large": (np.array([[1000.0, 999.0, -1000.0], [-1000.0, 0.0, 1000.0]]), -1),
        "rows apart": (np.array([[1000.0, 998.0, 990.0], [-1000.0, -999.0, -998.0]]), -1),
        "axis 0": (np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 999.0]]), 0),
    }[case]
    got = stable_call(student, "softmax", z, axis=axis, hint=STABLE)
    expect_close(got, torch_softmax(z, axis), tol=FLOAT64, what=f"softmax of logits ±1e3 "
                 f"({case})", known_mistakes=wrong_axes(z, axis))
