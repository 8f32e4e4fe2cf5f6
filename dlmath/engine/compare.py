"""Compare a student's answer with the PyTorch reference, and say what went wrong.

Every comparison uses a named tolerance with both a relative and an absolute part, in
float64. When values disagree, the message names the most likely mistake: the wrong type,
a missing `return`, the transpose, a broadcasting slip, an exact scalar multiple, a flipped
sign, NaN or inf, or one of the grader's own known mistakes (softmax over the wrong axis).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlmath.engine.diagnoses import from_the_numbers
from dlmath.engine.errors import CheckFailed, Mismatch


@dataclass(frozen=True)
class Tolerance:
    """|actual - expected| <= atol + rtol * |expected|, elementwise."""

    name: str
    rtol: float
    atol: float

    def __str__(self) -> str:
        return f"{self.name} (rtol={self.rtol:g}, atol={self.atol:g})"


EXACT = Tolerance("exact", 0.0, 0.0)
# A value computed by another correct order of float64 operations (a loop instead of BLAS).
FLOAT64 = Tolerance("float64", 1e-9, 1e-12)
# Long chains of float64 operations (training loops, deep nets).
ACCUMULATED = Tolerance("accumulated float64", 1e-7, 1e-10)
# Finite differences: truncation error O(h^2) plus rounding O(eps / h).
FINITE_DIFFERENCE = Tolerance("finite difference", 1e-5, 1e-7)

_TYPE_HINTS = {
    "torch.Tensor": "return a numpy array: the exercise is to compute it with numpy",
    "list": "return a numpy array (wrap it in np.array)",
    "tuple": "return a numpy array (wrap it in np.array)",
}


def describe(value: Any) -> str:
    """A short description of a value for messages: type, dtype and shape."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, (bool, int, float, np.generic)):
        return f"the {type(value).__name__} {value!r}"
    return f"a {_type_name(value)}"


def show(value: Any) -> str:
    """A compact rendering of a small value for feedback."""
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, threshold=12, edgeitems=2,
                               max_line_width=90, separator=", ")
    return repr(value)


def expect_close(actual: Any, expected: Any, *, tol: Tolerance = FLOAT64, what: str = "result",
                 known_mistakes: Mapping[str, Any] | None = None) -> None:
    """Raise CheckFailed unless `actual` matches `expected` (array, number, tuple or dict)."""
    if isinstance(expected, tuple):
        _expect_sequence(actual, expected, tol, what, known_mistakes)
    elif isinstance(expected, dict):
        _expect_mapping(actual, expected, tol, what, known_mistakes)
    else:
        _expect_array(actual, expected, tol, what, known_mistakes or {})


def _expect_sequence(actual, expected, tol, what, known_mistakes) -> None:
    if not isinstance(actual, (tuple, list)):
        raise CheckFailed(f"{what}: expected a tuple of {len(expected)} values, got "
                          f"{describe(actual)}{_missing_return(actual)}")
    if len(actual) != len(expected):
        raise CheckFailed(f"{what}: expected a tuple of {len(expected)} values, "
                          f"got {len(actual)}")
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        mistakes = {k: v[i] for k, v in (known_mistakes or {}).items()}
        expect_close(a, e, tol=tol, what=f"{what}[{i}]", known_mistakes=mistakes)


def _expect_mapping(actual, expected, tol, what, known_mistakes) -> None:
    if not isinstance(actual, dict):
        raise CheckFailed(f"{what}: expected a dict with keys {sorted(expected)}, got "
                          f"{describe(actual)}{_missing_return(actual)}")
    if set(actual) != set(expected):
        raise CheckFailed(f"{what}: expected keys {sorted(expected)}, got "
                          f"{sorted(map(str, actual))}")
    for key, e in expected.items():
        mistakes = {k: v[key] for k, v in (known_mistakes or {}).items()}
        expect_close(actual[key], e, tol=tol, what=f"{what}[{key!r}]", known_mistakes=mistakes)


def _missing_return(actual: Any) -> str:
    return ": is a `return` statement missing?" if actual is None else ""


def _type_name(value: Any) -> str:
    cls = type(value)
    module = cls.__module__.split(".")[0]
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def as_number_array(actual: Any, what: str) -> np.ndarray:
    """The answer as a numeric ndarray, or CheckFailed naming the wrong type."""
    if actual is None:
        raise CheckFailed(f"{what} is None: is a `return` statement missing?")
    if isinstance(actual, (bool, int, float, np.generic)) or (
        isinstance(actual, np.ndarray) and type(actual) is np.ndarray
    ):
        array = np.asarray(actual)
    else:
        name = _type_name(actual)
        hint = _TYPE_HINTS.get(name, "return a numpy array or a number")
        raise CheckFailed(f"{what} is {describe(actual)}: {hint}")
    if array.dtype.kind not in "biuf":
        raise CheckFailed(f"{what} has dtype {array.dtype}: expected real numbers (float64)")
    return array


def _expect_array(actual, expected, tol: Tolerance, what: str, known_mistakes) -> None:
    want = np.asarray(expected, dtype=np.float64) if not isinstance(expected, bool) \
        else np.asarray(expected)
    got, wrong_type = _values_of(actual, what)
    if got.shape != want.shape:
        message, cause = _shape_message(got, want, tol, what)
        _fail(message + wrong_type, cause or wrong_type.lstrip("; "))
    nonfinite = ~np.isfinite(got) & np.isfinite(want)
    if nonfinite.any():
        index = tuple(int(i) for i in np.argwhere(nonfinite)[0])
        nonfinite_cause = _known_mistake(got, tol, known_mistakes) or (
            "NaN or inf comes from an overflow (exp of a large number?), a division by zero, "
            "or values that grow without bound (in a loop of updates, check each update's "
            "sign)")
        raise CheckFailed(f"{what} contains {got[index]} at index {index} where "
                          f"{want[index]:.6g} was expected: {nonfinite_cause}{wrong_type}",
                          _mistake_name(nonfinite_cause))
    close = np.isclose(got, want, rtol=tol.rtol, atol=tol.atol, equal_nan=True)
    if close.all():
        if wrong_type:
            raise CheckFailed(f"{what}: the values are right, but{wrong_type[1:]}")
        return
    message, cause = _value_message(got, want, close, tol, what, known_mistakes,
                                    np.asarray(expected))
    _fail(message + wrong_type, cause or wrong_type.lstrip("; "))


def _fail(message: str, cause: str) -> None:
    """A failure naming `cause`, or a bare mismatch when no cause could be named."""
    if cause:
        raise CheckFailed(message, _mistake_name(cause))
    raise Mismatch(message)


def _mistake_name(cause: str) -> str:
    """'summing over the batch' for 'this is what summing over the batch gives'."""
    found = re.fullmatch(r"this is what (.+) gives", cause)
    return found.group(1) if found else cause


def _values_of(actual: Any, what: str) -> tuple[np.ndarray, str]:
    """The answer as a numeric array, and '' or why its type is wrong: a list or tuple of
    numbers is still compared (and diagnosed) as the array it holds; its check fails
    all the same."""
    if type(actual) in (list, tuple):
        try:
            array = np.asarray(actual, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if array is not None:
            hint = _TYPE_HINTS[type(actual).__name__]
            return array, f"; it is a {type(actual).__name__}, not an array: {hint}"
    return as_number_array(actual, what), ""


def _shape_message(got: np.ndarray, want: np.ndarray, tol: Tolerance, what: str
                   ) -> tuple[str, str]:
    """The message for a wrong shape, and the likely cause it names ('' for none)."""
    message = f"{what} has shape {got.shape}, expected {want.shape}"
    cause = _shape_cause(got, want, tol)
    return (f"{message}: {cause}" if cause else message), cause


def _shape_cause(got: np.ndarray, want: np.ndarray, tol: Tolerance) -> str:
    if got.ndim == 2 and got.shape == want.shape[::-1] and _close(got.T, want, tol):
        return "it is the transpose of the expected result"
    if want.ndim == 0 and got.size > 1:
        return "expected a single number: is a sum (or other reduction) missing?"
    if got.size == want.size and _close(got.reshape(want.shape), want, tol):
        return ("the values are right but the shape is not "
                "(an extra or missing axis of size 1? check reshape/keepdims)")
    if got.size > want.size and got.ndim >= want.ndim:
        return ("a broadcasting slip? combining shapes like (n, 1) and (n,) "
                "broadcasts to (n, n)")
    if got.ndim == 0 and want.ndim > 0:
        return "a single number came back: was an array reduced by mistake?"
    if want.ndim == 0:
        return "expected a single number: is a sum (or other reduction) missing?"
    return ""


def _close(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol.rtol, atol=tol.atol,
                                                   equal_nan=True))


def _value_message(got, want, close, tol, what, known_mistakes, reference
                   ) -> tuple[str, str]:
    """The message for wrong values, and the likely cause it names ('' for none)."""
    bad = np.argwhere(~close)
    index = tuple(int(i) for i in bad[0])
    if want.ndim == 0:
        lines = [f"{what} is wrong: got {float(got):.10g}, expected {float(want):.10g}"]
    else:
        lines = [f"{what} is wrong at {len(bad)} of {want.size} entries: first at index "
                 f"{index} got {got[index]:.10g}, expected {want[index]:.10g}"]
    diagnosis = diagnose(got, want, tol, known_mistakes)
    lines.append(diagnosis or f"largest error {np.max(np.abs(got - want)):.3g}; "
                              f"tolerance {tol}")
    if got.dtype.kind in "iub" and reference.dtype.kind == "f" and np.any(want % 1 != 0):
        # only where it is true: the reference has fractions an integer result cannot hold
        lines.append(f"your result has dtype {got.dtype}, the reference float64: integer "
                     "arithmetic truncates")
    elif got.dtype.kind == "f" and got.dtype != np.float64:
        lines.append(f"your result has dtype {got.dtype}, the reference float64")
    if 1 < want.size <= 24:
        lines.append(f"expected {show(want)}")
        lines.append(f"got      {show(got)}")
    return "\n".join(lines), diagnosis


def diagnose(got: np.ndarray, want: np.ndarray, tol: Tolerance,
             known_mistakes: Mapping[str, Any] | None = None) -> str:
    """Name the mistake when the values match a known wrong answer or a shape of mistake
    the numbers show exactly (see diagnoses.py), else ''."""
    return _known_mistake(got, tol, known_mistakes) or from_the_numbers(got, want, tol.rtol,
                                                                        tol.atol)


def _known_mistake(got: np.ndarray, tol: Tolerance,
                   known_mistakes: Mapping[str, Any] | None) -> str:
    """'this is what <label> gives' for the first known mistake the answer matches (NaN
    where the mistake has NaN too), else ''."""
    for label, wrong in (known_mistakes or {}).items():
        wrong = np.asarray(wrong, dtype=np.float64)
        if _close(got, wrong, Tolerance("mistake", max(tol.rtol, 1e-9), max(tol.atol, 1e-12))):
            return f"this is what {label} gives"
    return ""


def expect_equal_shape(actual: Any, expected: Sequence[int], what: str = "result") -> None:
    got = as_number_array(actual, what)
    if got.shape != tuple(expected):
        raise CheckFailed(f"{what} has shape {got.shape}, expected {tuple(expected)}")
