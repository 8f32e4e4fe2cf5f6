"""kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None).

N(0, std²) with torch's kaiming_normal_ std = gain / sqrt(fan), gain from
calculate_gain(nonlinearity, a) and fan chosen by mode. False failures: each distribution
case runs three tests (standard deviation, mean, Kolmogorov-Smirnov against
torch.distributions.Normal(0, std)), each failing a correct initializer with probability at
most DELTA (dlmath/engine/stats.py). By the union bound a correct implementation fails this
grader with probability at most FALSE_FAILURE_BOUND = 4 * 3 * 1e-11 = 1.2e-10 < 1e-9.
"""

import pytest

from dlmath.kit import expect_normal, normal_cdf

from .shared import DELTA, KAIMING_CASES, kaiming_checks, kaiming_mistakes, kaiming_scale

FALSE_FAILURE_BOUND = len(KAIMING_CASES) * 3 * DELTA


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, a, mode, nonlinearity, seed", KAIMING_CASES, ids=lambda v: str(v))
def test_distribution(student, shape, a, mode, nonlinearity, seed):
    """shape {shape}, a={a:.4g}, mode={mode!r}, {nonlinearity!r}: torch's std, normal"""
    x = draws(student, shape, seed, a=a, mode=mode, nonlinearity=nonlinearity)
    std = kaiming_scale(shape, a, mode, nonlinearity, uniform=False)
    expect_normal(x, 0.0, std, cdf=normal_cdf(0.0, std), delta=DELTA,
                  what=f"kaiming_normal({shape}, a={a:.4g}, mode={mode!r}, "
                       f"nonlinearity={nonlinearity!r}, rng)",
                  known_stds=kaiming_mistakes(shape, a, mode, nonlinearity, uniform=False))


draws, test_defaults, test_unknown_mode, test_shape, test_rng_honoured = \
    kaiming_checks("kaiming_normal")
