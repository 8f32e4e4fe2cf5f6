"""xavier_uniform(shape, gain=1.0, rng=None): U(-a, a) with torch's xavier_uniform_ bound.

a = gain * sqrt(6 / (fan_in + fan_out)), with torch's fans. False failures: each
distribution case runs four tests (the draws fill the bound, their second moment, their
mean, Kolmogorov-Smirnov against torch.distributions.Uniform(-a, a)), each failing a correct
initializer with probability at most DELTA (dlmath/engine/stats.py); that no draw lies
outside the bound cannot fail a correct one. By the union bound a correct implementation
fails this grader with probability at most FALSE_FAILURE_BOUND = 3 * 4 * 1e-11 = 1.2e-10.
"""

import math

import numpy as np
import pytest
import torch

from dlmath.engine.compare import EXACT, expect_close
from dlmath.engine.references import reference
from dlmath.engine.stats import expect_draws, expect_rng_honoured, expect_uniform

DELTA = 1e-11
# (shape, gain, seed): a dense and two conv weights, fan_in and fan_out far apart.
CASES = [((300, 100), 1.0, 10), ((64, 32, 3, 3), 5.0 / 3.0, 11), ((100, 40, 5), math.sqrt(2), 12)]
FALSE_FAILURE_BOUND = len(CASES) * 4 * DELTA
SEED_OFFSET = 0  # the project's tests replay the grader with other seeds


def generator(seed):
    return np.random.default_rng(SEED_OFFSET + seed)


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def torch_bound(shape, gain):
    """The bound of torch.nn.init.xavier_uniform_."""
    fan_in, fan_out = torch_fans(shape)
    return gain * math.sqrt(6.0 / (fan_in + fan_out))


def torch_uniform_cdf(bound):
    dist = torch.distributions.Uniform(torch.tensor(-bound, dtype=torch.float64),
                                       torch.tensor(bound, dtype=torch.float64),
                                       validate_args=False)
    return lambda x: dist.cdf(torch.from_numpy(x)).numpy()


@reference
def mistakes(shape, gain):
    fan_in, fan_out = torch_fans(shape)
    wrong = {"Xavier with fan_in only, gain·√(6 / fan_in)": gain * math.sqrt(6.0 / fan_in),
             "Xavier with fan_in only, gain·√(3 / fan_in)": gain * math.sqrt(3.0 / fan_in),
             "the normal std gain·√(2 / (fan_in + fan_out)) used as the bound":
                 gain * math.sqrt(2.0 / (fan_in + fan_out)),
             "ignoring the gain": math.sqrt(6.0 / (fan_in + fan_out))}
    if len(shape) > 2:
        wrong["fans without the kernel size"] = gain * math.sqrt(6.0 / (shape[0] + shape[1]))
    return wrong


def draws(student, shape, gain, seed):
    return expect_draws(student.xavier_uniform(shape, gain=gain, rng=generator(seed)), shape,
                        what=f"xavier_uniform({shape}, gain={gain:.4g}, rng)")


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, gain, seed", CASES, ids=lambda v: str(v))
def test_distribution(student, shape, gain, seed):
    """weights of shape {shape}, gain {gain:.4g}: inside and filling torch's bound, uniform"""
    x = draws(student, shape, gain, seed)
    bound = torch_bound(shape, gain)
    expect_uniform(x, bound, cdf=torch_uniform_cdf(bound), delta=DELTA,
                   what=f"xavier_uniform({shape}, gain={gain:.4g}, rng)",
                   known_bounds=mistakes(shape, gain))


def test_default_gain(student):
    """gain defaults to 1: the same draws as gain=1.0 from the same seed"""
    expect_close(student.xavier_uniform((50, 30), rng=generator(15)),
                 draws(student, (50, 30), 1.0, seed=15), tol=EXACT,
                 what="xavier_uniform((50, 30), rng) against gain=1.0 with the same seed")


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3, 3), (6, 3, 2)], ids=str)
def test_shape(student, shape):
    """returns float64 weights of shape {shape}"""
    draws(student, shape, 1.0, seed=20)


def test_rng_honoured(student):
    """draws come from rng: same seed, same draws; another seed or call, other draws"""
    rng = generator(30)
    first = student.xavier_uniform((4, 5), rng=rng)
    next_call = student.xavier_uniform((4, 5), rng=rng)
    again = draws(student, (4, 5), 1.0, seed=30)
    other_seed = draws(student, (4, 5), 1.0, seed=31)
    expect_rng_honoured(first, again, other_seed, next_call, "xavier_uniform")
