"""Numerical stability: a call on extreme inputs must give finite numbers and no warning.

`exp(1000)` overflows to inf with a RuntimeWarning, `log(0)` is -inf with another; the
student object records warnings instead of letting them reach stderr. A stable call adds
none to that record and returns only finite values.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from dlmath.engine.compare import as_number_array
from dlmath.engine.errors import CheckFailed
from dlmath.engine.student import Student, call_label

# Underflow to 0 is what the stable formulas rely on (exp(-2000) == 0.0), not a fault.
BENIGN = "underflow encountered"


def stable_call(student: Student, name: str, *args: Any, hint: str,
                about: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """Call `student.name(*args)`; fail on a new warning or a NaN or inf result.

    `hint` is the stability advice; `about` names the numpy operations it is about (as
    numpy's warnings do: "overflow encountered in exp" is about "exp"). The advice is given
    when the result itself is not finite or the warning came from one of those operations;
    a warning from anything else is named, with the student's line, and no advice.
    Underflow warnings are ignored.
    """
    label = call_label(name, args, kwargs)
    before = len(student.warnings)
    result = student.call(name, *args, **kwargs)
    new = [w for w in student.warnings[before:] if BENIGN not in w]
    if new:  # said first, even when the result is not numbers at all
        raise CheckFailed(warning_failure(label, new[0], hint, about,
                                          result_not_finite(result, label)),
                          warning_kind(new[0]))
    not_finite = _not_finite(result, label)
    if not_finite:
        raise CheckFailed(f"{not_finite}: {hint}")
    return result


def warning_failure(label: str, warning: str, hint: str, about: tuple[str, ...],
                    not_finite: bool | None = False) -> str:
    """Why a call that raised `warning` fails a check that asks for none: the warning
    (with the student's line, which the record carries) and the input, and the advice only
    where it applies (see stable_call). `not_finite` None: the result was not looked at."""
    text = f"{label} raised a warning ({warning}), and this exercise asks for none here"
    if not_finite or operation(warning) in about:
        return f"{text}: {hint}"
    return text if not_finite is None else f"{text}; its result was finite"


def warning_kind(warning: str) -> str:
    """The warning without the student's line: 'RuntimeWarning: overflow encountered in exp'."""
    return "raises " + warning.partition(", at line ")[0]


def result_not_finite(result: Any, label: str) -> bool | None:
    """Whether a result holds NaN or inf (None when it is not numbers)."""
    try:
        return bool(_not_finite(result, label))
    except CheckFailed:
        return None


_OPERATION = re.compile(r"encountered in (?:scalar )?(\w+)")


def operation(warning: str) -> str:
    """The numpy operation a warning names ('exp' in '... overflow encountered in exp')."""
    found = _OPERATION.search(warning)
    return found.group(1) if found else ""


def _not_finite(result: Any, label: str) -> str:
    """'' when every number of the result is finite, else what is not."""
    for part, value in _numbers(result):
        array = as_number_array(value, f"the result{part} of {label}")
        if not np.isfinite(array).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            where = f" of its result{part}" if part else ""
            return f"{label} returned {array[index]} at index {index}{where}"
    return ""


def _numbers(result: Any, part: str = "") -> list[tuple[str, Any]]:
    if isinstance(result, (tuple, list)):
        return [p for i, v in enumerate(result) for p in _numbers(v, f"{part}[{i}]")]
    return [(part, result)]
