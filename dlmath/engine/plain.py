"""Plain data: the only values allowed to cross from student code to a grader.

Numeric and bool arrays (base ndarray, no subclass), numbers, strings (made valid text, see
dlmath/text.py), None, and tuples, lists and dicts (string keys) of those. The local student
and the sealed worker's codec both pass answers through `to_plain`, so a grader sees the
same value either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlmath.engine.errors import WrongReturnType
from dlmath.text import valid_text

MAX_ARRAY_BYTES = 64 * 2**20  # one array of an answer
MAX_RESULT_BYTES = 4 * MAX_ARRAY_BYTES  # all the arrays of one answer together; the sealed
# worker's channel takes answers of this size (SealedLimits.result_bytes derives from it)
MAX_ITEMS = 100_000
MAX_DEPTH = 8
MAX_INT_BITS = 14_000  # about 4200 digits: Python shows no integer of more than 4300
ARRAY_KINDS = "biufc"


def to_plain(value: Any, *, what: str = "the result") -> Any:
    """Return `value` as plain data, or raise WrongReturnType saying what it was."""
    room = [MAX_RESULT_BYTES]
    try:
        return _plain(value, what, 0, room)
    except _TooLarge:
        raise WrongReturnType(f"{what} holds more than {MAX_RESULT_BYTES // 2**20} MiB of "
                              "arrays in all: return less") from None


class _TooLarge(Exception):
    pass


def _plain(value: Any, what: str, depth: int, room: list[int]) -> Any:
    if depth > MAX_DEPTH:
        raise WrongReturnType(f"{what} is nested more than {MAX_DEPTH} levels deep")
    if type(value) is str:
        return valid_text(value)
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        raise WrongReturnType(f"{what} is an integer of {value.bit_length()} bits, too large "
                              "to be an answer (or to be shown): return a number")
    if value is None or type(value) in (bool, int, float):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
        return np.asarray(value)  # numpy scalars travel as 0-d arrays
    if isinstance(value, np.ndarray):
        return _plain_array(value, what, room)
    if type(value) in (tuple, list):
        if len(value) > MAX_ITEMS:
            raise WrongReturnType(f"{what} has {len(value)} items, more than {MAX_ITEMS}")
        items = [_plain(v, f"{what}[{i}]", depth + 1, room) for i, v in enumerate(value)]
        return tuple(items) if type(value) is tuple else items
    if type(value) in (set, frozenset):  # quiz answers such as {"a", "c"}
        return _plain(sorted(value, key=repr), what, depth, room)
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise WrongReturnType(f"{what} is a dict whose keys are not all strings")
        return {valid_text(k): _plain(v, f"{what}[{k!r}]", depth + 1, room)
                for k, v in value.items()}
    raise WrongReturnType(f"{what} is {type_label(value)}, not plain data: "
                          + _hint(value))


def _plain_array(value: np.ndarray, what: str, room: list[int]) -> np.ndarray:
    if value.dtype.kind not in ARRAY_KINDS:
        raise WrongReturnType(f"{what} is an array of dtype {value.dtype}: return numbers "
                              "(float64), not objects or strings")
    if value.nbytes > MAX_ARRAY_BYTES:
        raise WrongReturnType(f"{what} is an array of {value.nbytes / 2**20:.0f} MiB, "
                              f"larger than the {MAX_ARRAY_BYTES // 2**20} MiB limit")
    room[0] -= value.nbytes
    if room[0] < 0:
        raise _TooLarge()
    # Copy into a base ndarray: no subclass behaviour, no view of student memory.
    return np.array(value, copy=True, subok=False)


def type_label(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    if module.startswith("torch"):
        return "a torch.Tensor" if cls.__name__ == "Tensor" else f"a torch {cls.__name__}"
    return f"a {cls.__qualname__}" if module == "builtins" else f"a {module}.{cls.__qualname__}"


def _hint(value: Any) -> str:
    if type(value).__module__.startswith("torch"):
        return "compute it with numpy and return a numpy array"
    return "return a numpy array, a number, or a tuple of those"
