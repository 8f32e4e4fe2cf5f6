"""sigmoid(x) = 1 / (1 + exp(-x)), as torch.sigmoid: stable, no warning for |x| up to 1e3."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_matches, expect_no_warning, normal, reference

from .shared import SHAPES

LARGE = np.array([-1000.0, -710.0, -100.0, -36.0, -1.0, 0.0, 1.0, 36.0, 100.0, 710.0, 1000.0])
STABLE = ("use exp(-|x|), which never exceeds 1: 1 / (1 + exp(-x)) for x >= 0 and "
          "exp(x) / (1 + exp(x)) for x < 0. Note that np.where computes both branches for "
          "every entry")
OVERFLOW_HINT = f"exp of a large number overflows; {STABLE}"


@reference
def torch_sigmoid(x):
    return torch.sigmoid(torch.from_numpy(x)).numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(x):
    return {"sigmoid(-x) (the minus sign in exp(-x) is missing)": torch_sigmoid(-x),
            "tanh(x) instead of the sigmoid": np.tanh(x)}


@np.errstate(all="ignore")
def large_mistakes(x):
    """mistakes(x), and the one formula that is NaN only where its exp overflows."""
    return {**mistakes(x), "exp(x) / (1 + exp(x)) for every x (exp(x) overflows to inf for "
                           "x >= 710, and inf / inf is NaN)": np.exp(x) / (1 + np.exp(x))}


def overflow_hint(values):
    """OVERFLOW_HINT, or, where the overflow made the answer NaN or inf, what it did there:
    exp(x) / (1 + exp(x)) is inf / inf = NaN from x = 710 on (1 / (1 + exp(-x)) only warns)."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return OVERFLOW_HINT
    if values.shape != LARGE.shape:
        return OVERFLOW_HINT
    overflowed = ~np.isfinite(values) & (np.abs(LARGE) >= 710)  # exp(710) is inf
    if not overflowed.any():
        return OVERFLOW_HINT
    i = int(np.argmax(overflowed))
    x, value, want = LARGE[i], values[i], torch_sigmoid(LARGE)[i]
    why = ", and inf / inf is NaN" if np.isnan(value) else ""
    return (f"it returned {value} at x = {x:g}, where {want:g} is expected: exp({abs(x):g}) "
            f"overflows to inf{why}. To stay finite, {STABLE}")


# Returning x, zeros or 0.5 raises no warning either: the check counts as far as the values do.
@pytest.mark.property
@pytest.mark.weight(5)
def test_no_overflow_warning(student):
    """raises no overflow warning for x from -1000 to 1000"""
    # The values first, unchecked (test_large_inputs checks them): the message says what the
    # overflow did to them. The same call again is the one that must raise no warning.
    hint = overflow_hint(student.sigmoid(LARGE))
    expect_no_warning(student, lambda: student.sigmoid(LARGE), f"sigmoid({LARGE.tolist()})",
                      hint, about=("exp", "power"))  # np.e ** x is exp(x)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_torch(student, shape, seed):
    """matches torch.sigmoid on shape {shape} (seed {seed})"""
    x = normal(seed, *shape, scale=4.0)
    expect_matches(student.sigmoid(x), torch_sigmoid(x), tol=FLOAT64,
                   what=f"sigmoid of shape {shape}", mistakes=mistakes(x))


@pytest.mark.weight(2)
def test_large_inputs(student):
    """gives 0 and 1 (not NaN) for x = -1000 and 1000"""
    expect_matches(student.sigmoid(LARGE), torch_sigmoid(LARGE), tol=FLOAT64,
                   what=f"sigmoid({LARGE.tolist()})", mistakes=large_mistakes(LARGE))


def test_zero(student):
    """sigmoid(0) = 0.5, and sigmoid(-x) = 1 - sigmoid(x)"""
    x = normal(5, 6, scale=3.0)
    expect_matches(student.sigmoid(np.zeros(3)), np.full(3, 0.5), tol=FLOAT64,
                   what="sigmoid of zeros")
    expect_matches(student.sigmoid(-x), 1.0 - torch_sigmoid(x), tol=FLOAT64,
                   what="sigmoid(-x) against 1 - sigmoid(x)")
