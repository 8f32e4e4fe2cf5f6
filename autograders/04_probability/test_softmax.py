"""softmax(z, axis=-1): as torch.softmax, stable for logits up to ±1e3."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference, stable_call

from .shared import AXES, EXTREME, SHAPES, extreme_logits, wrong_axes

STABLE = "subtract the max along the axis before exp: softmax(z) = softmax(z - max z)"
ABOUT = ("exp",)  # what the advice is about: a warning from anything else gets none


@reference
def torch_softmax(z, axis=-1):
    return torch.softmax(torch.from_numpy(z), dim=axis).numpy()


def mistakes(z, axis):
    return wrong_axes(torch_softmax, z, axis)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_torch(student, shape, seed):
    """matches torch.softmax over the last axis of shape {shape} (seed {seed})"""
    z = normal(seed, *shape, scale=3.0)
    expect_close(student.softmax(z), torch_softmax(z), tol=FLOAT64,
                 what=f"softmax of shape {shape}", known_mistakes=mistakes(z, -1))


@pytest.mark.parametrize("axis", AXES)
def test_axis(student, axis):
    """normalizes along axis={axis} of a (2, 3, 5) array"""
    z = normal(4, 2, 3, 5, scale=2.0)
    expect_close(student.softmax(z, axis=axis), torch_softmax(z, axis), tol=FLOAT64,
                 what=f"softmax(z, axis={axis}) of shape (2, 3, 5)",
                 known_mistakes=mistakes(z, axis))


# The uniform distribution returned for any input passes this one.
@pytest.mark.property
def test_equal_logits(student):
    """equal logits give the uniform distribution"""
    z = np.full((2, 4), 7.0)
    expect_close(student.softmax(z), torch_softmax(z), tol=FLOAT64, what="softmax of equal logits")


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", EXTREME)
def test_stable(student, case):
    """no overflow, NaN or warning with logits up to ±1e3 ({case})"""
    z, axis = extreme_logits(case)
    got = stable_call(student, "softmax", z, axis=axis, hint=STABLE, about=ABOUT)
    expect_close(got, torch_softmax(z, axis), tol=FLOAT64, what=f"softmax of logits ±1e3 "
                 f"({case})", known_mistakes=mistakes(z, axis))
