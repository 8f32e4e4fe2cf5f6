"""log_softmax(z, axis=-1): as torch.log_softmax, stable for logits up to ±1e3."""

import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference, stable_call

from .shared import AXES, EXTREME, SHAPES, extreme_logits, wrong_axes

STABLE = ("use log-sum-exp, log Σ exp z = m + log Σ exp(z - m) with m = max z; "
          "log(softmax(z)) gives log(0) = -inf once a probability underflows")
ABOUT = ("exp", "log")  # what the advice is about: a warning from anything else gets none


@reference
def torch_log_softmax(z, axis=-1):
    return torch.log_softmax(torch.from_numpy(z), dim=axis).numpy()


@reference
def mistakes(z, axis):
    wrong = wrong_axes(torch_log_softmax, z, axis)
    m = z.max(axis=axis, keepdims=True)
    wrong["forgetting to add the max back (z - log Σ exp(z - m))"] = \
        torch_log_softmax(z, axis) + m
    return wrong


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_torch(student, shape, seed):
    """matches torch.log_softmax over the last axis of shape {shape} (seed {seed})"""
    z = normal(seed, *shape, scale=3.0)
    expect_close(student.log_softmax(z), torch_log_softmax(z), tol=FLOAT64,
                 what=f"log_softmax of shape {shape}", known_mistakes=mistakes(z, -1))


@pytest.mark.parametrize("axis", AXES)
def test_axis(student, axis):
    """normalizes along axis={axis} of a (2, 3, 5) array"""
    z = normal(5, 2, 3, 5, scale=2.0)
    expect_close(student.log_softmax(z, axis=axis), torch_log_softmax(z, axis), tol=FLOAT64,
                 what=f"log_softmax(z, axis={axis}) of shape (2, 3, 5)",
                 known_mistakes=mistakes(z, axis))


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", EXTREME)
def test_stable(student, case):
    """no overflow, -inf or warning with logits up to ±1e3 ({case})"""
    z, axis = extreme_logits(case)
    got = stable_call(student, "log_softmax", z, axis=axis, hint=STABLE, about=ABOUT)
    expect_close(got, torch_log_softmax(z, axis), tol=FLOAT64,
                 what=f"log_softmax of logits ±1e3 ({case})", known_mistakes=mistakes(z, axis))
