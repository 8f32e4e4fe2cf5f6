"""Statistical checks for random functions, each with a stated false-failure probability.

A grader of a sampler cannot compare draws with a reference: it tests them. Each test here
takes `delta`, the probability that a *correct* sampler fails it, and sets its threshold
from an inequality that holds for every sample size (no large-sample approximation):

- mean of normal draws: the sample mean is exactly N(mu, sigma^2 / n), and
  P(|Z| >= z) <= 2 exp(-z^2 / 2) (Chernoff);
- variance of normal draws: (n - 1) s^2 / sigma^2 is chi-square with n - 1 degrees of
  freedom, bounded on both sides by Laurent and Massart (2000);
- means of bounded draws (uniform): Hoeffding, P(|mean - mu| >= t) <= 2 exp(-2 n t^2 / w^2);
- the largest |x| of U(-a, a) draws: P(max |x| < q a) = q^n;
- the shape of the distribution: the Kolmogorov-Smirnov distance to the reference CDF, with
  the Dvoretzky-Kiefer-Wolfowitz inequality (Massart's constant),
  P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2).

A grader adds up the deltas of all its tests (the union bound) and states the total. Every
test run is appended to `RECORD`, so the project's tests can check that sum and how close a
correct sampler comes to each threshold. numpy only: the grader passes the reference CDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from dlmath.engine.compare import expect_equal_shape
from dlmath.engine.errors import CheckFailed, Mismatch

Cdf = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class TestRun:
    """One statistical test as run: its statistic, threshold and false-failure probability."""

    name: str
    statistic: float
    threshold: float
    delta: float

    @property
    def margin(self) -> float:
        """statistic / threshold: up to 1 passes; a correct sampler is usually far below."""
        return self.statistic / self.threshold if self.threshold else 0.0


RECORD: list[TestRun] = []


def _record(name: str, statistic: float, threshold: float, delta: float) -> bool:
    RECORD.append(TestRun(name, statistic, threshold, delta))
    return statistic <= threshold


# --- thresholds -------------------------------------------------------------------------

def _log2_over(delta: float) -> float:
    if not 0 < delta < 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta}")
    return math.log(2.0 / delta)


def gaussian_z(delta: float) -> float:
    """z with P(|Z| >= z) <= delta for a standard normal Z (Chernoff)."""
    return math.sqrt(2.0 * _log2_over(delta))


def chi2_ratio_interval(dof: int, delta: float) -> tuple[float, float]:
    """(lo, hi) with P(X / dof outside [lo, hi]) <= delta for X chi-square with dof degrees."""
    x = _log2_over(delta)
    spread = 2.0 * math.sqrt(x / dof)
    return 1.0 - spread, 1.0 + spread + 2.0 * x / dof


def hoeffding_epsilon(n: int, width: float, delta: float) -> float:
    """t with P(|mean - mu| >= t) <= delta for n independent draws in an interval of `width`."""
    return width * math.sqrt(_log2_over(delta) / (2.0 * n))


def dkw_epsilon(n: int, delta: float) -> float:
    """eps with P(sup |F_n - F| > eps) <= delta (Dvoretzky-Kiefer-Wolfowitz-Massart)."""
    return math.sqrt(_log2_over(delta) / (2.0 * n))


def fill_fraction(n: int, delta: float) -> float:
    """q with P(max |x| < q a) = q^n = delta for n draws of U(-a, a)."""
    return delta ** (1.0 / n)


def ks_distance(sample: np.ndarray, cdf: Cdf) -> tuple[float, float]:
    """sup |F_n - F| of the sample against `cdf`, and the x where it is reached."""
    x = np.sort(np.ravel(sample))
    n = x.size
    F = np.asarray(cdf(x), dtype=np.float64)
    above = np.arange(1, n + 1) / n - F
    below = F - np.arange(n) / n
    i, j = int(np.argmax(above)), int(np.argmax(below))
    return (float(above[i]), float(x[i])) if above[i] >= below[j] else \
        (float(below[j]), float(x[j]))


# --- checks -----------------------------------------------------------------------------

def expect_draws(sample: object, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The answer as a float64 array of `shape`, or CheckFailed saying what it is instead."""
    expect_equal_shape(sample, shape, what)
    x = np.asarray(sample)
    if x.dtype != np.float64:
        raise CheckFailed(f"{what} has dtype {x.dtype}: expected float64")
    return x


def as_draws(sample: np.ndarray, what: str) -> np.ndarray:
    """The draws as a flat float array, or CheckFailed when some are NaN or inf."""
    x = np.ravel(np.asarray(sample, dtype=np.float64))
    bad = ~np.isfinite(x)
    if bad.any():
        raise CheckFailed(f"{what}: {int(bad.sum())} of {x.size} draws are NaN or inf "
                          f"(the first is {x[bad][0]}): log(0) of a uniform draw?")
    return x


def _diagnosis(estimate: float, candidates: Mapping[str, tuple[float, float]]) -> str:
    for label, (lo, hi) in candidates.items():
        if lo <= estimate <= hi:
            return f": this is what {label} gives"
    return ""


def _roots(scale: float) -> dict[str, float]:
    """The scales a square root too few or too many gives (none when the scale is near 1,
    where both look alike)."""
    if abs(math.log(scale)) < 0.2:
        return {}
    return {"a missing square root (the variance where the standard deviation belongs)":
            scale**2, "an extra square root": math.sqrt(scale)}


def _failed(message: str, diagnosis: str) -> CheckFailed:
    """A failure that names its cause, or a bare mismatch (shown after the named ones)."""
    return CheckFailed(message + diagnosis) if diagnosis else Mismatch(message)


def expect_normal(sample: np.ndarray, mu: float, sigma: float, *, cdf: Cdf, delta: float,
                  what: str, known_stds: Mapping[str, float] | None = None) -> None:
    """Standard deviation, mean and shape of normal draws; each test fails wrongly w.p. delta.

    `known_stds` maps a mistake to the standard deviation it produces, for the diagnosis.
    """
    x = as_draws(sample, what)
    n = x.size
    lo, hi = chi2_ratio_interval(n - 1, delta)
    ratio = float(np.var(x, ddof=1)) / sigma**2
    deviation = (ratio - 1.0) / (hi - 1.0) if ratio >= 1.0 else (1.0 - ratio) / (1.0 - lo)
    if not _record("variance", deviation, 1.0, delta):
        std = math.sqrt(ratio) * sigma
        candidates = {label: (s * math.sqrt(lo), s * math.sqrt(hi))
                      for label, s in ({**(known_stds or {}), **_roots(sigma)}).items()}
        raise _failed(
            f"{what}: the {n} draws have standard deviation {std:.6g}, expected {sigma:.6g} "
            f"(a correct sampler lands in [{sigma * math.sqrt(lo):.6g}, "
            f"{sigma * math.sqrt(hi):.6g}] except with probability {delta:.0e})",
            _diagnosis(std, candidates))
    z = gaussian_z(delta)
    mean = float(np.mean(x))
    if not _record("mean", abs(mean - mu) / (sigma / math.sqrt(n)), z, delta):
        raise CheckFailed(
            f"{what}: the {n} draws have mean {mean:.6g}, expected {mu:.6g} (a correct sampler "
            f"lands within ±{z * sigma / math.sqrt(n):.3g} except with probability "
            f"{delta:.0e})" + (": is the mean added?" if mu else ": draws should centre on 0"))
    _expect_shape(x, cdf, delta, what, "normal")


def expect_uniform(sample: np.ndarray, bound: float, *, cdf: Cdf, delta: float, what: str,
                   known_bounds: Mapping[str, float] | None = None) -> None:
    """Draws of U(-bound, bound): inside the bound, filling it, centred, uniform in shape.

    `known_bounds` maps a mistake to the bound it produces, for the diagnosis.
    """
    x = as_draws(sample, what)
    n = x.size
    q = fill_fraction(n, delta)
    largest = float(np.max(np.abs(x)))
    candidates = {label: (b * q, b) for label, b in
                  ({**(known_bounds or {}), **_roots(bound)}).items()}
    if largest > bound * (1 + 1e-12):
        raise _failed(f"{what}: a draw of size {largest:.6g} lies outside the bound "
                      f"±{bound:.6g}", _diagnosis(largest, candidates))
    if not _record("fills the bound", (1.0 - largest / bound) / (1.0 - q), 1.0, delta):
        raise _failed(
            f"{what}: the largest of {n} draws is {largest:.6g}, but they should fill "
            f"[-{bound:.6g}, {bound:.6g}] (a correct sampler reaches {bound * q:.6g} except "
            f"with probability {delta:.0e})", _diagnosis(largest, candidates))
    second = float(np.mean(x * x))
    t = hoeffding_epsilon(n, bound**2, delta)
    if not _record("second moment", abs(second - bound**2 / 3) / t, 1.0, delta):
        raise CheckFailed(
            f"{what}: the mean of the squared draws is {second:.6g}, expected bound²/3 = "
            f"{bound**2 / 3:.6g} (±{t:.3g} except with probability {delta:.0e}): most "
            "draws should not sit near 0 or near the bound")
    t = hoeffding_epsilon(n, 2 * bound, delta)
    mean = float(np.mean(x))
    if not _record("mean", abs(mean) / t, 1.0, delta):
        raise CheckFailed(
            f"{what}: the {n} draws have mean {mean:.6g}, expected 0 (±{t:.3g} except with "
            f"probability {delta:.0e}): draw from (-bound, bound), not (0, bound)")
    _expect_shape(x, cdf, delta, what, "uniform")


def _expect_shape(x: np.ndarray, cdf: Cdf, delta: float, what: str, family: str) -> None:
    eps = dkw_epsilon(x.size, delta)
    distance, where = ks_distance(x, cdf)
    if not _record("Kolmogorov-Smirnov", distance, eps, delta):
        raise CheckFailed(
            f"{what}: the {x.size} draws do not follow the {family} distribution: their "
            f"empirical CDF is {distance:.4f} away from the reference CDF at x = {where:.4g}, "
            f"where a correct sampler stays within {eps:.4f} (Kolmogorov-Smirnov test, "
            f"failure probability {delta:.0e}). The scale may be right while the shape is "
            f"not: are the draws {family}?")


def expect_rng_honoured(first: np.ndarray, again: np.ndarray, other_seed: np.ndarray,
                        next_call: np.ndarray, what: str) -> None:
    """Same seed, same draws; another seed, or the next call on the same rng, other draws.

    For a continuous distribution a correct sampler repeats a draw with probability 0.
    """
    if not np.array_equal(first, again):
        raise CheckFailed(f"{what}: two generators made with the same seed gave different "
                          "draws: take every random number from `rng` (not np.random)")
    if np.array_equal(first, other_seed):
        raise CheckFailed(f"{what}: generators with different seeds gave the same draws: "
                          "is `rng` ignored, or replaced by a generator with a fixed seed?")
    if np.array_equal(first, next_call):
        raise CheckFailed(f"{what}: two calls with the same generator gave the same draws: "
                          "is a new generator created inside the function?")
