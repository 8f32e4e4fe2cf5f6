"""gradient_check(f, x, analytic_grad, h=1e-5): the largest relative error between an
analytic gradient a and the central-difference gradient n of f at x,
max(|a - n| / max(1e-8, |a| + |n|)); the reference computes n in torch at the same h."""

import numpy as np
import pytest
import torch

from dlmath.kit import (
    LOG_SUM_EXP,
    QUARTIC_BOWL,
    ROSENBROCK,
    SEEDS,
    SUM_OF_SQUARES,
    Tolerance,
    autograd_gradient,
    central_gradient,
    expect_matches,
    normal,
    reference,
)

FUNCTIONS = [SUM_OF_SQUARES, ROSENBROCK, LOG_SUM_EXP, QUARTIC_BOWL]
# A right gradient's relative error is rounding noise (about 1e-10) that differs between two
# correct implementations: the absolute part absorbs it; a wrong gradient's error is large.
RELATIVE_ERROR = Tolerance("relative error", 1e-6, 1e-8)
FLOOR = 1e-8


@reference
def torch_relative_error(name, x, analytic, h):
    a, n = torch.from_numpy(analytic), torch.from_numpy(central_gradient(name, x, h))
    return ((a - n).abs() / torch.clamp(a.abs() + n.abs(), min=FLOOR)).max().item()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(f, x, a, h):
    """What the usual slips give, with the numpy f the student calls."""
    def numeric(forward=False):
        grad = np.empty(x.size)
        for i in range(x.size):
            step = np.zeros(x.size)
            step[i] = h
            up, down = (x.ravel() + step).reshape(x.shape), (x.ravel() - step).reshape(x.shape)
            grad[i] = (f(up) - f(x)) / h if forward else (f(up) - f(down)) / (2 * h)
        return grad.reshape(x.shape)

    n, diff = numeric(), np.abs(a - numeric())
    signed = "the relative error needs absolute values: |a - n| / max(1e-8, |a| + |n|)"
    return merged([
        ("a forward difference for the numerical gradient", "",
         np.max(np.abs(a - numeric(True)) / np.maximum(FLOOR, np.abs(a) + np.abs(numeric(True))))),
        ("the mean relative error instead of the max", "",
         np.mean(diff / np.maximum(FLOOR, np.abs(a) + np.abs(n)))),
        ("dividing by max(|a|, |n|) instead of |a| + |n|", "",
         np.max(diff / np.maximum(FLOOR, np.maximum(np.abs(a), np.abs(n))))),
        ("the absolute error max |a - n|, not the relative error", "", np.max(diff)),
        ("dividing by |a| alone instead of |a| + |n|", "",
         np.max(diff / np.maximum(FLOOR, np.abs(a)))),
        ("the signed a - n", signed,
         np.max((a - n) / np.maximum(FLOOR, np.abs(a) + np.abs(n)))),
        ("the signed (a - n) / (a + n)", signed, np.max((a - n) / np.maximum(FLOOR, a + n))),
        ("the signed (a - n) / (a + n) with no 1e-8 floor", signed,
         np.max((a - n) / (a + n))),
        ("|a - n| / (a + n), a signed denominator", signed,
         np.max(diff / np.maximum(FLOOR, a + n))),
    ])


def merged(mistakes):
    """{label: value} of the slips (label, why, value) worth naming here. Slips that give one
    value share a label naming them all (naming one could name the wrong one); a value of 0
    (rounding noise, or what `return 0` gives) or NaN names nothing."""
    groups = []
    for label, why, value in mistakes:
        if not np.isfinite(value) or abs(value) <= RELATIVE_ERROR.atol:
            continue
        for labels, whys, first in groups:
            if np.isclose(first, value, rtol=RELATIVE_ERROR.rtol, atol=RELATIVE_ERROR.atol):
                labels.append(label)
                whys.extend([why] if why and why not in whys else [])
                break
        else:
            groups.append(([label], [why] if why else [], value))
    notes = [[*(["the same value here"] if len(labels) > 1 else []), *whys]
             for labels, whys, _ in groups]
    return {" or ".join(labels) + (f" ({'; '.join(note)})" if note else ""): value
            for (labels, _, value), note in zip(groups, notes, strict=True)}


def wrong_gradients(name, x):
    """Analytic gradients with the bugs a gradient check exists to catch."""
    right = autograd_gradient(name, x)
    one_off = right.copy()
    # Off in magnitude, not in sign: an entry of the wrong sign makes the error exactly 1.
    one_off.flat[1] += np.copysign(0.5 + abs(one_off.flat[1]), one_off.flat[1])
    return {"halved": right / 2, "sign flipped": -right, "one entry off": one_off,
            "transposed": right.T.reshape(x.shape) if x.ndim == 2 else right[::-1],
            # Taken before an update, at 1.1 x - 0.05: log_sum_exp has the same gradient at x - c.
            "stale": autograd_gradient(name, 1.1 * x - 0.05)}


def one_signed_point(seed):
    """A point where every function's gradient has one sign in all entries (for x < 0 every
    term of rosenbrock's gradient is negative; log_sum_exp's is a softmax), so a wrong
    gradient that keeps the signs gives an error below 1 that depends on f and x."""
    return -0.2 - np.abs(normal(seed, 2, 3))


def check(student, f, x, analytic, h=None, label=""):
    args = (f, x, analytic) if h is None else (f, x, analytic, h)
    h = 1e-5 if h is None else h
    expect_matches(student.gradient_check(*args), torch_relative_error(f.name, x, analytic, h),
                   tol=RELATIVE_ERROR, what=f"gradient_check({f.name}, x of shape {x.shape}, "
                   f"{label})", mistakes=mistakes(f, x, analytic, h))


# A right gradient's error is rounding noise: `return 0.0` has it too.
@pytest.mark.property
@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_right_gradient(student, f, seed):
    """a right gradient of {f.name} gives a tiny relative error (seed {seed})"""
    x = normal(seed, 2, 3)
    check(student, f, x, autograd_gradient(f.name, x), label="the autograd gradient")


# A gradient scaled by c has the error |1 - c| / (1 + c) in every entry, whatever f and x
# (1/3 halved, 1 sign flipped): a constant such as `return 1.0` has it too.
@pytest.mark.property
@pytest.mark.parametrize("bug", ["halved", "sign flipped"])
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_scaled_gradient(student, f, bug):
    """a {bug} gradient of {f.name} gives the reference's relative error"""
    x = normal(4, 2, 3)
    check(student, f, x, wrong_gradients(f.name, x)[bug], label=f"a {bug} gradient")


@pytest.mark.parametrize("bug", ["one entry off", "transposed", "stale"])
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_wrong_gradient(student, f, bug):
    """a {bug} gradient of {f.name} gives the reference's relative error"""
    x = one_signed_point(4)
    check(student, f, x, wrong_gradients(f.name, x)[bug], label=f"a {bug} gradient")


@pytest.mark.weight(4)
def test_zero_gradient_entries(student):
    """entries where both gradients are exactly 0 count as no error (the 1e-8 floor), not NaN"""
    x = normal(5, 3, 2)
    x[0, :] = 0.0  # quartic_bowl is even in every coordinate: both gradients are 0 there
    analytic = autograd_gradient(QUARTIC_BOWL.name, x)
    check(student, QUARTIC_BOWL, x, analytic, label="0 in both gradients")
    analytic[1, 1] *= 1.5
    check(student, QUARTIC_BOWL, x, analytic, label="0 in both gradients, one entry wrong")


@pytest.mark.parametrize("h", [1e-2, 1e-3])
def test_uses_the_given_h(student, h):
    """uses the h it is given: rosenbrock with h = {h}"""
    x = normal(6, 4)
    check(student, ROSENBROCK, x, autograd_gradient(ROSENBROCK.name, x), h=h,
          label=f"the autograd gradient, h={h}")
