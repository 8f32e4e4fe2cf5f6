"""xavier_uniform(shape, gain=1.0, rng=None): U(-a, a) with torch's xavier_uniform_ bound.

a = gain * sqrt(6 / (fan_in + fan_out)), with torch's fans. False failures: each
distribution case runs four tests (the draws fill the bound, their second moment, their
mean, Kolmogorov-Smirnov against torch.distributions.Uniform(-a, a)), each failing a correct
initializer with probability at most DELTA (dlmath/engine/stats.py); that no draw lies
outside the bound cannot fail a correct one. By the union bound a correct implementation
fails this grader with probability at most FALSE_FAILURE_BOUND = 3 * 4 * 1e-11 = 1.2e-10.
"""

import pytest

from dlmath.kit import expect_uniform, uniform_cdf

from .shared import DELTA, XAVIER_CASES, xavier_checks, xavier_mistakes, xavier_scale

FALSE_FAILURE_BOUND = len(XAVIER_CASES) * 4 * DELTA


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, gain, seed", XAVIER_CASES, ids=lambda v: str(v))
def test_distribution(student, shape, gain, seed):
    """weights of shape {shape}, gain {gain:.4g}: inside and filling torch's bound, uniform"""
    x = draws(student, shape, seed, gain)
    bound = xavier_scale(shape, gain, uniform=True)
    expect_uniform(x, bound, cdf=uniform_cdf(bound), delta=DELTA,
                   what=f"xavier_uniform({shape}, gain={gain:.4g}, rng)",
                   known_bounds=xavier_mistakes(shape, gain, uniform=True))


draws, test_default_gain, test_shape, test_rng_honoured = xavier_checks("xavier_uniform")
