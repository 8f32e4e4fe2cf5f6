"""Mistakes the numbers show: what a wrong result is, exactly, in terms of the right one.

Each diagnosis holds only when the whole result fits it within the comparison's tolerance
(a result that is the square of the expected one in every entry, every row off by its own
factor), and names the likely mistake in the student's terms; otherwise it says nothing.
The graders add the mistakes only their inputs can show (`known_mistakes`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Diagnosis = Callable[[np.ndarray, np.ndarray, float, float], str]

# Constants a formula may drop or add, by how a student would write them.
MAX_COUNT = 10_000  # a larger "whole" ratio is a coincidence of rounding, not a count
CONSTANTS = {"√(2π)": math.sqrt(2 * math.pi), "2π": 2 * math.pi, "π": math.pi, "e": math.e,
             "√2": math.sqrt(2), "√3": math.sqrt(3), "ln 2": math.log(2)}


def from_the_numbers(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str:
    """The first diagnosis that fits exactly, or ''."""
    if got.shape != want.shape or not (np.isfinite(got).all() and np.isfinite(want).all()):
        return ""
    for diagnosis in DIAGNOSES:
        found = diagnosis(got, want, rtol, atol)
        if found:
            return found
    return ""


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _varies(want: np.ndarray, atol: float) -> bool:
    """Whether the expected values are not all alike (else any pattern fits them)."""
    return bool(np.ptp(want) > max(atol, 1e-12)) if want.size > 1 else False


def sign(got, want, rtol, atol) -> str:
    if np.any(np.abs(want) > atol) and _close(got, -want, rtol, atol):
        return "the sign is flipped"
    return ""


def transposed(got, want, rtol, atol) -> str:
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and not _close(want, want.T, rtol,
                                                                          atol) \
            and _close(got, want.T, rtol, atol):
        return "it is the transpose of the expected result"
    return ""


def scalar_multiple(got, want, rtol, atol) -> str:
    scale = _scalar_multiple(got, want, rtol, atol)
    if scale is None or np.isclose(scale, -1.0):
        return ""
    name, inverse = _constant(scale)
    sign_ = "-" if scale < 0 else ""
    if name and not inverse:
        return (f"it is exactly {sign_}{name} times the expected value: a factor 1/{name} is "
                "missing?")
    if name:
        return (f"it is exactly {sign_}1/{name} of the expected value: an extra factor "
                f"1/{name}?")
    whole = _whole(scale)
    if whole and abs(scale) > 1:
        return (f"it is exactly {scale:.6g} times the expected value: a division by "
                f"{whole} (the count: an average?) is missing?")
    if whole:
        return (f"it is exactly 1/{whole} of the expected value: divided (or averaged) once "
                "too often?")
    return (f"it is exactly {scale:.6g} times the expected value: a constant factor is "
            "missing or extra")


def _scalar_multiple(got, want, rtol, atol) -> float | None:
    if not np.any(np.abs(want) > atol):
        return None
    scale = float(np.sum(got * want) / np.sum(want * want))
    if scale == 0 or np.isclose(scale, 1.0, rtol=1e-9):
        return None
    if want.size == 1 and not _whole(scale) and not _constant(scale)[0]:
        return None  # any two numbers are multiples: only a telling ratio says something
    return scale if _close(got, scale * want, rtol, atol) else None


def _constant(scale: float) -> tuple[str, bool]:
    """(name, inverse) when |scale| is one of CONSTANTS (inverse: its reciprocal), else
    ("", False)."""
    for name, value in CONSTANTS.items():
        for inverse, target in ((False, value), (True, 1 / value)):
            if np.isclose(abs(scale), target, rtol=1e-9):
                return name, inverse
    return "", False


def _whole(scale: float) -> int:
    """n when the scale is ±n or ±1/n for a whole n > 1 (a count, a doubled or halved
    value), else 0."""
    for value in (abs(scale), 1.0 / abs(scale)):
        if 1.5 <= value <= MAX_COUNT and abs(value - round(value)) <= 1e-9 * value:
            return round(value)
    return 0


def powered(got, want, rtol, atol) -> str:
    if not _varies(want, atol) or np.all(np.isin(np.round(want, 12), (0.0, 1.0))):
        return ""  # 0 and 1 are their own squares
    if _close(got, want ** 2, rtol, atol):
        return "it is the square of the expected value: a square root is missing?"
    if np.all(want >= 0) and _close(got, np.sqrt(want), rtol, atol):
        return "it is the square root of the expected value: an extra square root?"
    return ""


def normalised_whole(got, want, rtol, atol) -> str:
    """softmax over the whole array: it sums to 1 in all, the reference along an axis."""
    if got.ndim >= 2 and np.all(got >= 0) and np.isclose(got.sum(), 1.0, rtol=1e-9) \
            and not np.isclose(want.sum(), 1.0, rtol=1e-6):
        return ("the whole array sums to 1: it was normalised over the whole array, not "
                "along the axis")
    return ""


def per_slice_factor(got, want, rtol, atol) -> str:
    """Each row (or column) off by its own factor: divided by the wrong total."""
    if got.ndim != 2 or min(got.shape) < 2 or np.any(np.abs(want) <= atol):
        return ""
    ratio = got / want
    for axis, what in ((1, "row"), (0, "column")):
        factors = ratio.mean(axis=axis, keepdims=True)
        if _close(got, factors * want, rtol, atol) and np.ptp(factors) > 1e-9 * np.abs(
                factors).max():
            return (f"each {what} is off by its own factor: divided (normalised) by the "
                    "wrong total, over the wrong axis or the whole array?")
    return ""


def constant_along(got, want, rtol, atol) -> str:
    """Every row (or column) one value repeated, where the reference varies along it."""
    if got.ndim != 2 or np.ptp(got) <= atol:  # a constant array says nothing of an index
        return ""
    for axis, what, along in ((1, "row", "along each row"), (0, "column", "down each column")):
        if got.shape[axis] > 1 and _close(got, _first_along(got, axis), rtol, atol) \
                and not _close(want, _first_along(want, axis), rtol, atol):
            return (f"every {what} of the result repeats one value {along}: an index that "
                    "should vary there goes unused (a loop variable not used, or the "
                    "wrong one)?")
    return ""


def _first_along(a: np.ndarray, axis: int) -> np.ndarray:
    """`a` with its first entry along `axis` repeated along it."""
    return np.broadcast_to(np.take(a, [0], axis=axis), a.shape)


def reordered(got, want, rtol, atol) -> str:
    """The right values in the wrong places: a reshape for a transpose, swapped indices."""
    if got.size > 1 and _varies(want, atol) and _close(np.sort(got, axis=None),
                                                      np.sort(want, axis=None), rtol, atol):
        return ("it holds the right values in the wrong places: reshape reorders the numbers, "
                "it does not transpose (or two indices are swapped)")
    return ""


DIAGNOSES: list[Diagnosis] = [sign, transposed, scalar_multiple, powered, normalised_whole,
                              per_slice_factor, constant_along, reordered]
