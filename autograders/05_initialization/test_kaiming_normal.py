"""kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None).

N(0, std²) with torch's kaiming_normal_ std = gain / sqrt(fan), gain from
calculate_gain(nonlinearity, a) and fan chosen by mode. False failures: each distribution
case runs three tests (standard deviation, mean, Kolmogorov-Smirnov against
torch.distributions.Normal(0, std)), each failing a correct initializer with probability at
most DELTA (dlmath/engine/stats.py). By the union bound a correct implementation fails this
grader with probability at most FALSE_FAILURE_BOUND = 4 * 3 * 1e-11 = 1.2e-10 < 1e-9.
"""

import math

import numpy as np
import pytest
import torch

from dlmath.engine.checks import expect_raises
from dlmath.engine.compare import EXACT, expect_close
from dlmath.engine.references import reference
from dlmath.engine.stats import expect_draws, expect_normal, expect_rng_honoured

DELTA = 1e-11
# (shape, a, mode, nonlinearity, seed): fan_in and fan_out far apart, gains that differ.
CASES = [((100, 256), 0, "fan_in", "relu", 10),
         ((300, 100), 0, "fan_out", "relu", 11),
         ((128, 16, 3, 3), math.sqrt(5), "fan_in", "leaky_relu", 12),
         ((50, 200, 2), 0, "fan_out", "tanh", 13)]
FALSE_FAILURE_BOUND = len(CASES) * 3 * DELTA
SEED_OFFSET = 0  # the project's tests replay the grader with other seeds


def generator(seed):
    return np.random.default_rng(SEED_OFFSET + seed)


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def torch_std(shape, a, mode, nonlinearity):
    """The standard deviation of torch.nn.init.kaiming_normal_."""
    fan = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    return torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


def torch_normal_cdf(std):
    dist = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64),
                                      torch.tensor(std, dtype=torch.float64),
                                      validate_args=False)
    return lambda x: dist.cdf(torch.from_numpy(x)).numpy()


@reference
def mistakes(shape, a, mode, nonlinearity):
    fan_in, fan_out = torch_fans(shape)
    fan, other = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    wrong = {f"the other fan ({'fan_out' if mode == 'fan_in' else 'fan_in'}): "
             f"is mode={mode!r} used?": gain / math.sqrt(other),
             "the gain squared (2 instead of √2 for ReLU)": gain**2 / math.sqrt(fan),
             "no gain (gain 1)": 1.0 / math.sqrt(fan),
             "the ReLU gain √2 whatever the nonlinearity and slope":
                 math.sqrt(2.0) / math.sqrt(fan),
             "the variance gain²/fan used as the std": gain**2 / fan,
             "fan_in + fan_out (Xavier's fans)": gain * math.sqrt(2.0 / (fan_in + fan_out))}
    if len(shape) > 2:
        wrong["fans without the kernel size"] = gain / math.sqrt(
            shape[1] if mode == "fan_in" else shape[0])
    return {label: s for label, s in wrong.items()
            if not math.isclose(s, torch_std(shape, a, mode, nonlinearity))}


def draws(student, shape, seed, **kwargs):
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return expect_draws(student.kaiming_normal(shape, **kwargs, rng=generator(seed)), shape,
                        what=f"kaiming_normal({shape}, {shown}, rng)".replace(", , ", ", "))


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, a, mode, nonlinearity, seed", CASES, ids=lambda v: str(v))
def test_distribution(student, shape, a, mode, nonlinearity, seed):
    """shape {shape}, a={a:.4g}, mode={mode!r}, {nonlinearity!r}: torch's std, normal"""
    x = draws(student, shape, seed, a=a, mode=mode, nonlinearity=nonlinearity)
    std = torch_std(shape, a, mode, nonlinearity)
    expect_normal(x, 0.0, std, cdf=torch_normal_cdf(std), delta=DELTA,
                  what=f"kaiming_normal({shape}, a={a:.4g}, mode={mode!r}, "
                       f"nonlinearity={nonlinearity!r}, rng)",
                  known_stds=mistakes(shape, a, mode, nonlinearity))


def test_defaults(student):
    """defaults a=0, mode='fan_in', nonlinearity='leaky_relu': same draws as given explicitly"""
    expect_close(draws(student, (40, 60), 15),
                 draws(student, (40, 60), 15, a=0, mode="fan_in", nonlinearity="leaky_relu"),
                 tol=EXACT, what="kaiming_normal((40, 60), rng) against the explicit defaults")


def test_unknown_mode(student):
    """mode='fan_avg' raises ValueError, as in torch"""
    expect_raises(lambda: student.kaiming_normal((4, 3), mode="fan_avg", rng=generator(16)),
                  "ValueError", "kaiming_normal((4, 3), mode='fan_avg')")


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3, 3), (6, 3, 2)], ids=str)
def test_shape(student, shape):
    """returns float64 weights of shape {shape}"""
    draws(student, shape, 20)


def test_rng_honoured(student):
    """draws come from rng: same seed, same draws; another seed or call, other draws"""
    rng = generator(30)
    first = student.kaiming_normal((4, 5), rng=rng)
    next_call = student.kaiming_normal((4, 5), rng=rng)
    expect_rng_honoured(first, draws(student, (4, 5), 30), draws(student, (4, 5), 31),
                        next_call, "kaiming_normal")
