"""kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None).

U(-b, b) with torch's kaiming_uniform_ bound b = gain * sqrt(3 / fan), gain from
calculate_gain(nonlinearity, a) and fan chosen by mode. False failures: each distribution
case runs four tests (the draws fill the bound, their second moment, their mean,
Kolmogorov-Smirnov against torch.distributions.Uniform(-b, b)), each failing a correct
initializer with probability at most DELTA (dlmath/engine/stats.py). By the union bound a
correct implementation fails this grader with probability at most
FALSE_FAILURE_BOUND = 4 * 4 * 1e-11 = 1.6e-10 < 1e-9.
"""

import math

import numpy as np
import pytest
import torch

from dlmath.engine.checks import expect_raises
from dlmath.engine.compare import EXACT, expect_close
from dlmath.engine.references import reference
from dlmath.engine.stats import expect_draws, expect_rng_honoured, expect_uniform

DELTA = 1e-11
# (shape, a, mode, nonlinearity, seed): fan_in and fan_out far apart, gains that differ.
CASES = [((100, 256), 0, "fan_in", "relu", 10),
         ((300, 100), 0, "fan_out", "relu", 11),
         ((128, 16, 3, 3), math.sqrt(5), "fan_in", "leaky_relu", 12),
         ((50, 200, 2), 0, "fan_out", "tanh", 13)]
FALSE_FAILURE_BOUND = len(CASES) * 4 * DELTA
SEED_OFFSET = 0  # the project's tests replay the grader with other seeds


def generator(seed):
    return np.random.default_rng(SEED_OFFSET + seed)


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def torch_bound(shape, a, mode, nonlinearity):
    """The bound of torch.nn.init.kaiming_uniform_."""
    fan = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    return math.sqrt(3.0) * torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


def torch_uniform_cdf(bound):
    dist = torch.distributions.Uniform(torch.tensor(-bound, dtype=torch.float64),
                                       torch.tensor(bound, dtype=torch.float64),
                                       validate_args=False)
    return lambda x: dist.cdf(torch.from_numpy(x)).numpy()


@reference
def mistakes(shape, a, mode, nonlinearity):
    fan_in, fan_out = torch_fans(shape)
    fan, other = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    wrong = {f"the other fan ({'fan_out' if mode == 'fan_in' else 'fan_in'}): "
             f"is mode={mode!r} used?": gain * math.sqrt(3.0 / other),
             "the gain squared (2 instead of √2 for ReLU)": gain**2 * math.sqrt(3.0 / fan),
             "no gain (gain 1)": math.sqrt(3.0 / fan),
             "the ReLU gain √2 whatever the nonlinearity and slope":
                 math.sqrt(2.0) * math.sqrt(3.0 / fan),
             "the std gain/√fan used as the bound (forgetting √3)": gain / math.sqrt(fan),
             "fan_in + fan_out (Xavier's fans)": gain * math.sqrt(6.0 / (fan_in + fan_out))}
    if len(shape) > 2:
        wrong["fans without the kernel size"] = gain * math.sqrt(
            3.0 / (shape[1] if mode == "fan_in" else shape[0]))
    return {label: b for label, b in wrong.items()
            if not math.isclose(b, torch_bound(shape, a, mode, nonlinearity))}


def draws(student, shape, seed, **kwargs):
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return expect_draws(student.kaiming_uniform(shape, **kwargs, rng=generator(seed)), shape,
                        what=f"kaiming_uniform({shape}, {shown}, rng)".replace(", , ", ", "))


@pytest.mark.weight(3)
@pytest.mark.parametrize("shape, a, mode, nonlinearity, seed", CASES, ids=lambda v: str(v))
def test_distribution(student, shape, a, mode, nonlinearity, seed):
    """shape {shape}, a={a:.4g}, mode={mode!r}, {nonlinearity!r}: torch's bound, uniform"""
    x = draws(student, shape, seed, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = torch_bound(shape, a, mode, nonlinearity)
    expect_uniform(x, bound, cdf=torch_uniform_cdf(bound), delta=DELTA,
                   what=f"kaiming_uniform({shape}, a={a:.4g}, mode={mode!r}, "
                        f"nonlinearity={nonlinearity!r}, rng)",
                   known_bounds=mistakes(shape, a, mode, nonlinearity))


def test_defaults(student):
    """defaults a=0, mode='fan_in', nonlinearity='leaky_relu': same draws as given explicitly"""
    expect_close(draws(student, (40, 60), 15),
                 draws(student, (40, 60), 15, a=0, mode="fan_in", nonlinearity="leaky_relu"),
                 tol=EXACT, what="kaiming_uniform((40, 60), rng) against the explicit defaults")


def test_unknown_mode(student):
    """mode='fan_avg' raises ValueError, as in torch"""
    expect_raises(lambda: student.kaiming_uniform((4, 3), mode="fan_avg", rng=generator(16)),
                  "ValueError", "kaiming_uniform((4, 3), mode='fan_avg')")


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3, 3), (6, 3, 2)], ids=str)
def test_shape(student, shape):
    """returns float64 weights of shape {shape}"""
    draws(student, shape, 20)


def test_rng_honoured(student):
    """draws come from rng: same seed, same draws; another seed or call, other draws"""
    rng = generator(30)
    first = student.kaiming_uniform((4, 5), rng=rng)
    next_call = student.kaiming_uniform((4, 5), rng=rng)
    expect_rng_honoured(first, draws(student, (4, 5), 30), draws(student, (4, 5), 31),
                        next_call, "kaiming_uniform")
