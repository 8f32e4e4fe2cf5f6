"""Checks beyond numeric closeness: expected exceptions and tolerant quiz answers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from dlmath.engine.errors import CheckFailed, StudentRaised
from dlmath.engine.results import note


def expect_raises(call: Callable[[], Any], exception: str, label: str) -> StudentRaised:
    """Run `call` (a student call) and require it to raise `exception` (by name, or a subclass)."""
    try:
        result = call()
    except StudentRaised as err:
        if not err.is_a(exception):
            raise CheckFailed(f"{label} raised {err.type_name}, expected {exception}") from None
        return err
    raise CheckFailed(f"{label} returned {_short(result)} instead of raising {exception}")


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def mentions_shape(message: str, shape: tuple[int, ...]) -> bool:
    """True when `message` names `shape`, as (2, 3), [2, 3], 2x3 or 2 by 3."""
    pattern = r"\D{1,4}".join(str(n) for n in shape)
    return re.search(rf"(?<!\d){pattern}(?!\d)", message) is not None


# --- quiz answers -----------------------------------------------------------------------

def normalize_choice(answer: Any) -> str:
    """'B', ' b ', '(b)', 'b)' all mean choice b."""
    if not isinstance(answer, str):
        raise CheckFailed(f"expected a letter such as 'b' as a string, got {_short(answer)}",
                          "not a letter")
    return answer.strip().strip("()[].").strip().lower()


def normalize_choices(answer: Any) -> set[str]:
    """A set of letters from 'a, c', 'AC', ['a', 'c'] or {'a', 'c'}."""
    if isinstance(answer, str):
        return set(re.findall(r"[a-z]", answer.lower()))
    if isinstance(answer, (list, tuple, set, frozenset)):
        return {normalize_choice(a) for a in answer}
    raise CheckFailed(f"expected letters such as ['a', 'c'], got {_short(answer)}",
                      "not letters")


def normalize_shape(answer: Any) -> tuple[int, ...]:
    """A shape from a tuple, a list or an integer array."""
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if isinstance(answer, int) and not isinstance(answer, bool):
        return (answer,)
    if isinstance(answer, (tuple, list)) and all(_is_integral(a) for a in answer):
        return tuple(int(a) for a in answer)
    raise CheckFailed(f"expected a shape such as (2, 3), got {_short(answer)}", "not a shape")


def _is_integral(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool) and float(value).is_integer()


def normalize_number(answer: Any) -> float:
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
        raise CheckFailed(f"expected a number, got {_short(answer)}", "not a number")
    try:
        return float(answer)
    except OverflowError:  # an integer beyond every float
        raise CheckFailed(f"expected a number a float can hold, got {_short(answer)}") from None


def expect_answer(answer: Any, key: Any, kind: str, explanation: str) -> None:
    """Compare a quiz answer with the key, tolerating harmless format differences.

    kind: 'choice', 'choices', 'shape', 'number' (1e-9 slack) or 'integer'.
    The explanation is shown either way: as a note when right, in the failure when wrong.
    """
    if answer is None:
        raise CheckFailed("no answer given yet", "no answer given")
    if kind == "choice":
        ok = normalize_choice(answer) == key
    elif kind == "choices":
        ok = normalize_choices(answer) == set(key)
    elif kind == "shape":
        ok = normalize_shape(answer) == tuple(key)
    elif kind in ("number", "integer"):
        ok = math.isclose(normalize_number(answer), float(key), rel_tol=1e-9, abs_tol=1e-9)
    else:
        raise ValueError(f"unknown answer kind {kind!r}")
    if not ok:
        # the class report counts students by the wrong answer they gave
        raise CheckFailed(f"your answer {_short(answer)} is not right. {explanation}",
                          f"answered {_short(answer)}")
    note(explanation)


def all_names(items: Iterable[str]) -> str:
    return ", ".join(items)
