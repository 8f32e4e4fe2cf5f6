"""Checks the calculus and backprop graders share, on top of `compare.expect_close`.

- `expect_matches`: `expect_close`, and when it fails, name a known mistake even when the
  mistake changes the shape (db summed over the wrong axis, dW transposed, a trajectory
  without its first point); `expect_close` recognises only mistakes of the right shape.
- `expect_no_warning`: a call that must not warn (sigmoid(1000) overflowing in exp). The
  warnings a student's code raises are otherwise only notes: they cost no points. (Like
  `stability.stable_call`, but without its finiteness check, which the value checks make.)
- `as_vector`: a sequence of numbers (a list of losses, of norms) as a 1-D float64 array,
  so a list and an array are graded alike where the contract does not fix the type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dlmath.engine.compare import Tolerance, expect_close
from dlmath.engine.errors import CheckFailed
from dlmath.engine.stability import result_not_finite, warning_failure, warning_kind
from dlmath.engine.student import Student

# Two central differences at the same h differ only by rounding: a few ulps of f(x) over 2h.
SAME_H = Tolerance("central difference at the same h", 1e-7, 1e-7)


def expect_matches(actual: Any, expected: Any, *, tol: Tolerance, what: str,
                   mistakes: Mapping[str, Any] | None = None) -> None:
    """`expect_close` for an array or a number, naming a matching mistake of any shape."""
    mistakes = dict(mistakes or {})
    try:
        expect_close(actual, expected, tol=tol, what=what, known_mistakes=mistakes)
    except CheckFailed as failure:
        label = matching_mistake(actual, mistakes, tol)
        if not label or label in str(failure):
            raise
        got, want = np.shape(actual), np.shape(expected)
        # A named mistake explains a shape better than the generic guesses of expect_close.
        first = f"{what} has shape {got}, expected {want}" if got != want else str(failure)
        raise CheckFailed(f"{first}\nthis is what {label} gives") from None


def matching_mistake(actual: Any, mistakes: Mapping[str, Any], tol: Tolerance) -> str:
    """The label of the first mistake whose value (and shape) `actual` reproduces, or ''."""
    try:
        got = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return ""
    for label, wrong in mistakes.items():
        wrong = np.asarray(wrong, dtype=np.float64)
        if got.shape == wrong.shape and bool(np.allclose(
                got, wrong, rtol=max(tol.rtol, 1e-9), atol=max(tol.atol, 1e-12), equal_nan=True)):
            return label
    return ""


def expect_no_warning(student: Student, call: Callable[[], Any], what: str, hint: str,
                      about: tuple[str, ...] = ()) -> Any:
    """Run a student call; fail if it added a warning (an overflow, a division by zero).

    The student records every warning its code raises (underflow excepted: stable formulas
    rely on exp(-1000) == 0.0), so the warnings after `before` are this call's. `hint` is
    given only for a warning from an operation in `about` (see stability.stable_call).
    """
    before = len(student.warnings)
    result = call()
    if len(student.warnings) > before:
        raise CheckFailed(warning_failure(what, student.warnings[before], hint, about,
                                          result_not_finite(result, what)),
                          warning_kind(student.warnings[before]))
    return result


def as_vector(actual: Any) -> Any:
    """A list or tuple of numbers as a 1-D float64 array; anything else unchanged."""
    if isinstance(actual, (list, tuple)) and all(_is_number(a) for a in actual):
        return np.array([float(np.asarray(a)) for a in actual], dtype=np.float64)
    return actual


def _is_number(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, (int, float)) and not isinstance(value, bool)
