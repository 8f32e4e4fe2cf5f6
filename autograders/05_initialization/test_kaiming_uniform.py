"""kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None).

U(-b, b) with torch's kaiming_uniform_ bound b = gain * sqrt(3 / fan), gain from
calculate_gain(nonlinearity, a) and fan chosen by mode. False failures: each distribution
case runs four tests (the draws fill the bound, their second moment, their mean,
Kolmogorov-Smirnov against torch.distributions.Uniform(-b, b)), each failing a correct
initializer with probability at most DELTA (dlmath/engine/stats.py). By the union bound a
correct implementation fails this grader with probability at most
FALSE_FAILURE_BOUND = 4 * 4 * 1e-11 = 1.6e-10 < 1e-9.
"""

import pytest

from dlmath.kit import expect_uniform, uniform_cdf

from .shared import DELTA, KAIMING_CASES, kaiming_checks, kaiming_mistakes, kaiming_scale

FALSE_FAILURE_BOUND = len(KAIMING_CASES) * 4 * DELTA


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, a, mode, nonlinearity, seed", KAIMING_CASES, ids=lambda v: str(v))
def test_distribution(student, shape, a, mode, nonlinearity, seed):
    """shape {shape}, a={a:.4g}, mode={mode!r}, {nonlinearity!r}: torch's bound, uniform"""
    x = draws(student, shape, seed, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = kaiming_scale(shape, a, mode, nonlinearity, uniform=True)
    expect_uniform(x, bound, cdf=uniform_cdf(bound), delta=DELTA,
                   what=f"kaiming_uniform({shape}, a={a:.4g}, mode={mode!r}, "
                        f"nonlinearity={nonlinearity!r}, rng)",
                   known_bounds=kaiming_mistakes(shape, a, mode, nonlinearity, uniform=True))


draws, test_defaults, test_unknown_mode, test_shape, test_rng_honoured = \
    kaiming_checks("kaiming_uniform")
