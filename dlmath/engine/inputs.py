"""Seeded inputs for graders: the same case always sees the same numbers."""

from __future__ import annotations

import numpy as np

SEEDS = (0, 1, 2)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Standard normal float64 entries times `scale`."""
    return rng(seed).standard_normal(shape) * scale


def uniform(seed: int, *shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return rng(seed).uniform(low, high, size=shape)
