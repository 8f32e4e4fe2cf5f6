"""Numerical stability: a call on extreme inputs must give finite numbers and no warning.

`exp(1000)` overflows to inf with a RuntimeWarning, `log(0)` is -inf with another; the
student object records warnings instead of letting them reach stderr. A stable call adds
none to that record and returns only finite values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlmath.engine.compare import as_number_array
from dlmath.engine.errors import CheckFailed
from dlmath.engine.student import Student, call_label

# Underflow to 0 is what the stable formulas rely on (exp(-2000) == 0.0), not a fault.
BENIGN = "underflow encountered"


def stable_call(student: Student, name: str, *args: Any, hint: str, **kwargs: Any) -> Any:
    """Call `student.name(*args)`; fail with `hint` on a new warning or a NaN or inf result.

    Warnings are compared by count: the record keeps each distinct warning once, so a
    warning already raised earlier in the same exercise is not seen twice. Underflow
    warnings are ignored.
    """
    label = call_label(name, args, kwargs)
    before = len(student.warnings)
    result = student.call(name, *args, **kwargs)
    new = [w for w in student.warnings[before:] if BENIGN not in w]
    if new:
        raise CheckFailed(f"{label} raised a warning ({new[0]}): {hint}")
    for part, value in _numbers(result):
        array = as_number_array(value, f"the result{part} of {label}")
        if not np.isfinite(array).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            where = f" of its result{part}" if part else ""
            raise CheckFailed(f"{label} returned {array[index]} at index {index}{where}: "
                              f"{hint}")
    return result


def _numbers(result: Any, part: str = "") -> list[tuple[str, Any]]:
    if isinstance(result, (tuple, list)):
        return [p for i, v in enumerate(result) for p in _numbers(v, f"{part}[{i}]")]
    return [(part, result)]
