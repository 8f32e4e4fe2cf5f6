"""normal_init(shape, mean, std, rng): N(mean, std²) weights, tested statistically.

False failures: each distribution case runs three tests (standard deviation, mean,
Kolmogorov-Smirnov against torch.distributions.Normal, the distribution torch.nn.init.normal_
draws from), each failing a correct initializer with probability at most DELTA (the
inequalities are in dlmath/engine/stats.py). By the union bound a correct implementation fails
this grader with probability at most FALSE_FAILURE_BOUND = 3 * 3 * 1e-11 = 9e-11 < 1e-9.
"""

import pytest

from dlmath.kit import (
    expect_draws,
    expect_normal,
    expect_sampler_honours_rng,
    generator,
    normal_cdf,
)

from .shared import DELTA, UNSCALED

# (shape, mean, std, seed)
CASES = [((200, 100), 0.0, 0.02, 10), ((64, 32, 3, 3), -1.0, 2.0, 11),
         ((20_000,), 0.5, 1.0, 12)]
FALSE_FAILURE_BOUND = len(CASES) * 3 * DELTA


def draws(student, shape, mean, std, seed):
    return expect_draws(student.normal_init(shape, mean, std, generator(seed)), shape,
                        what=f"normal_init({shape}, {mean}, {std}, rng)")


# The variance std² drawn as the std needs no label: expect_normal names a missing square root.
@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, mean, std, seed", CASES, ids=lambda v: str(v))
def test_distribution(student, shape, mean, std, seed):
    """weights of shape {shape} follow N({mean}, {std}²): std, mean, KS test"""
    x = draws(student, shape, mean, std, seed)
    expect_normal(x, mean, std, cdf=normal_cdf(mean, std), delta=DELTA,
                  what=f"normal_init({shape}, {mean}, {std}, rng)",
                  known_stds={"ignoring std (a standard normal)": 1.0, **UNSCALED})


@pytest.mark.property  # zeros of the shape pass it
@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3, 3), (7,)], ids=str)
def test_shape(student, shape):
    """returns float64 weights of shape {shape}"""
    draws(student, shape, 0.0, 1.0, seed=20)


@pytest.mark.property  # plain rng.random passes it
def test_rng_honoured(student):
    """draws come from rng: same seed, same draws; another seed or call, other draws"""
    expect_sampler_honours_rng(lambda rng: student.normal_init((4, 5), 0.0, 1.0, rng),
                               lambda seed: draws(student, (4, 5), 0.0, 1.0, seed), "normal_init")
