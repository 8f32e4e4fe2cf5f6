"""Seeded inputs for graders: the same case always sees the same numbers.

Every seed is shifted by an offset that depends on why the grader runs (`shifted`): the
final grading's inputs and those of a check a student asks for before submitting differ,
so values a check showed are no answer to the final grading (see course.seed_offset).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

SEEDS = (0, 1, 2)
MAX_DRAWS = 4096  # draws kept per process: every student's case asks for the same ones
_DRAWS: dict[tuple, Any] = {}
_OFFSET = [0]


def offset() -> int:
    """What every seed is shifted by now."""
    return _OFFSET[0]


@contextlib.contextmanager
def shifted(by: int) -> Iterator[None]:
    """Within it, every seed is shifted by `by`."""
    before = _OFFSET[0]
    _OFFSET[0] = by
    try:
        yield
    finally:
        _OFFSET[0] = before


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed + _OFFSET[0])


def normal(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Standard normal float64 entries times `scale`."""
    return _fresh(_normal, seed + _OFFSET[0], shape, scale)


def uniform(seed: int, *shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return _fresh(_uniform, seed + _OFFSET[0], shape, low, high)


def _normal(seed: int, shape: tuple[int, ...], scale: float) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _uniform(seed: int, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def _fresh(draw: Callable[..., Any], *args: Any) -> Any:
    """`draw(*args)`, made once per process and handed out as a copy each time."""
    key = (draw, *args)
    try:
        drawn = _DRAWS[key]
    except KeyError:
        drawn = draw(*args)
        if len(_DRAWS) < MAX_DRAWS:
            _DRAWS[key] = drawn
    except TypeError:  # an argument that cannot be a key (an array as the scale)
        return draw(*args)
    return drawn.copy()
