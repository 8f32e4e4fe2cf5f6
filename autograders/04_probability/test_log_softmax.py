"""log_softmax(z, axis=-1): as torch.log_softmax, stable for logits up to ±1e3."""

import numpy as np
import pytest
import torch

from dlmath.engine.compare import FLOAT64, expect_close
from dlmath.engine.inputs import SEEDS, normal
from dlmath.engine.references import reference
from dlmath.engine.stability import stable_call

SHAPES = [(5,), (3, 4), (4, 3), (2, 3, 5)]
STABLE = ("use log-sum-exp, log Σ exp z = m + log Σ exp(z - m) with m = max z; "
          "log(softmax(z)) gives log(0) = -inf once a probability underflows")


@reference
def torch_log_softmax(z, axis=-1):
    return torch.log_softmax(torch.from_numpy(z), dim=axis).numpy()


@reference
def mistakes(z, axis):
    axes = [a for a in range(z.ndim) if a != axis % z.ndim]
    wrong = {f"normalizing over axis {a} instead of {axis}": torch_log_softmax(z, a)
             for a in axes}
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


@pytest.mark.parametrize("axis", [0, 1, -2])
def test_axis(student, axis):
    """normalizes along axis={axis} of a (2, 3, 5) array"""
    z = normal(5, 2, 3, 5, scale=2.0)
    expect_close(student.log_softmax(z, axis=axis), torch_log_softmax(z, axis), tol=FLOAT64,
                 what=f"log_softmax(z, axis={axis}) of shape (2, 3, 5)",
                 known_mistakes=mistakes(z, axis))


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", ["large", "rows apart", "axis 0"])
def test_stable(student, case):
    """no overflow, -inf or warning with logits up to ±1e3 ({case})"""
    z, axis = {
        "large": (np.array([[1000.0, 999.0, -1000.0], [-1000.0, 0.0, 1000.0]]), -1),
        "rows apart": (np.array([[1000.0, 998.0, 990.0], [-1000.0, -999.0, -998.0]]), -1),
        "axis 0": (np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 999.0]]), 0),
    }[case]
    got = stable_call(student, "log_softmax", z, axis=axis, hint=STABLE)
    expect_close(got, torch_log_softmax(z, axis), tol=FLOAT64,
                 what=f"log_softmax of logits ±1e3 ({case})", known_mistakes=mistakes(z, axis))
