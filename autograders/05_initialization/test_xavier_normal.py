"""xavier_normal(shape, gain=1.0, rng=None): N(0, std²) with torch's xavier_normal_ std.

std = gain * sqrt(2 / (fan_in + fan_out)), with torch's fans. False failures: each
distribution case runs three tests (standard deviation, mean, Kolmogorov-Smirnov against
torch.distributions.Normal(0, std)), each failing a correct initializer with probability at
most DELTA (dlmath/engine/stats.py). By the union bound a correct implementation fails this
grader with probability at most FALSE_FAILURE_BOUND = 3 * 3 * 1e-11 = 9e-11 < 1e-9.
"""

import math

import numpy as np
import pytest
import torch

from dlmath.engine.compare import EXACT, expect_close
from dlmath.engine.references import reference
from dlmath.engine.stats import expect_draws, expect_normal, expect_rng_honoured

DELTA = 1e-11
# (shape, gain, seed): a dense and two conv weights, fan_in and fan_out far apart.
CASES = [((300, 100), 1.0, 10), ((64, 32, 3, 3), 5.0 / 3.0, 11), ((100, 40, 5), math.sqrt(2), 12)]
FALSE_FAILURE_BOUND = len(CASES) * 3 * DELTA
SEED_OFFSET = 0  # the project's tests replay the grader with other seeds


def generator(seed):
    return np.random.default_rng(SEED_OFFSET + seed)


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def torch_std(shape, gain):
    """The standard deviation of torch.nn.init.xavier_normal_."""
    fan_in, fan_out = torch_fans(shape)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def torch_normal_cdf(std):
    dist = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64),
                                      torch.tensor(std, dtype=torch.float64),
                                      validate_args=False)
    return lambda x: dist.cdf(torch.from_numpy(x)).numpy()


@reference
def mistakes(shape, gain):
    fan_in, fan_out = torch_fans(shape)
    wrong = {"Xavier with fan_in only, gain·√(2 / fan_in)": gain * math.sqrt(2.0 / fan_in),
             "Xavier with fan_in only, gain·√(1 / fan_in)": gain * math.sqrt(1.0 / fan_in),
             "the variance gain²·2 / (fan_in + fan_out) used as the std":
                 gain**2 * 2.0 / (fan_in + fan_out),
             "the uniform bound gain·√(6 / (fan_in + fan_out)) used as the std":
                 gain * math.sqrt(6.0 / (fan_in + fan_out)),
             "ignoring the gain": math.sqrt(2.0 / (fan_in + fan_out))}
    if len(shape) > 2:
        wrong["fans without the kernel size"] = gain * math.sqrt(2.0 / (shape[0] + shape[1]))
    return wrong


def draws(student, shape, gain, seed):
    return expect_draws(student.xavier_normal(shape, gain=gain, rng=generator(seed)), shape,
                        what=f"xavier_normal({shape}, gain={gain:.4g}, rng)")


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, gain, seed", CASES, ids=lambda v: str(v))
def test_distribution(student, shape, gain, seed):
    """weights of shape {shape}, gain {gain:.4g}: torch's std, mean 0, normal (KS test)"""
    x = draws(student, shape, gain, seed)
    std = torch_std(shape, gain)
    expect_normal(x, 0.0, std, cdf=torch_normal_cdf(std), delta=DELTA,
                  what=f"xavier_normal({shape}, gain={gain:.4g}, rng)",
                  known_stds=mistakes(shape, gain))


def test_default_gain(student):
    """gain defaults to 1: the same draws as gain=1.0 from the same seed"""
    expect_close(student.xavier_normal((50, 30), rng=generator(15)),
                 draws(student, (50, 30), 1.0, seed=15), tol=EXACT,
                 what="xavier_normal((50, 30), rng) against gain=1.0 with the same seed")


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3, 3), (6, 3, 2)], ids=str)
def test_shape(student, shape):
    """returns float64 weights of shape {shape}"""
    draws(student, shape, 1.0, seed=20)


def test_rng_honoured(student):
    """draws come from rng: same seed, same draws; another seed or call, other draws"""
    rng = generator(30)
    first = student.xavier_normal((4, 5), rng=rng)
    next_call = student.xavier_normal((4, 5), rng=rng)
    again = draws(student, (4, 5), 1.0, seed=30)
    other_seed = draws(student, (4, 5), 1.0, seed=31)
    expect_rng_honoured(first, again, other_seed, next_call, "xavier_normal")
