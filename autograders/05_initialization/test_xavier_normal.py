"""xavier_normal(shape, gain=1.0, rng=None): N(0, std²) with torch's xavier_normal_ std.

std = gain * sqrt(2 / (fan_in + fan_out)), with torch's fans. False failures: each
distribution case runs three tests (standard deviation, mean, Kolmogorov-Smirnov against
torch.distributions.Normal(0, std)), each failing a correct initializer with probability at
most DELTA (dlmath/engine/stats.py). By the union bound a correct implementation fails this
grader with probability at most FALSE_FAILURE_BOUND = 3 * 3 * 1e-11 = 9e-11 < 1e-9.
"""

import pytest

from dlmath.kit import expect_normal, normal_cdf

from .shared import DELTA, XAVIER_CASES, xavier_checks, xavier_mistakes, xavier_scale

FALSE_FAILURE_BOUND = len(XAVIER_CASES) * 3 * DELTA


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, gain, seed", XAVIER_CASES, ids=lambda v: str(v))
def test_distribution(student, shape, gain, seed):
    """weights of shape {shape}, gain {gain:.4g}: torch's std, mean 0, normal (KS test)"""
    x = draws(student, shape, seed, gain)
    std = xavier_scale(shape, gain, uniform=False)
    expect_normal(x, 0.0, std, cdf=normal_cdf(0.0, std), delta=DELTA,
                  what=f"xavier_normal({shape}, gain={gain:.4g}, rng)",
                  known_stds=xavier_mistakes(shape, gain, uniform=False))


draws, test_default_gain, test_shape, test_rng_honoured = xavier_checks("xavier_normal")
