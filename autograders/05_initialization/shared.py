"""What the Xavier and Kaiming graders share: their cases, torch's std or bound, the
mistakes each diagnoses, and the checks beyond the distribution (defaults, shape, rng).
Zeros or plain rng.random pass those, so they are property checks: credited only as far
as the distribution cases pass.

A normal initializer is tested against torch's std, a uniform one against torch's bound;
`uniform` says which. A grader unpacks the shared checks after its own test_distribution,
in the order its cases run:

    draws, test_defaults, test_unknown_mode, ... = kaiming_checks("kaiming_uniform")
"""

import math

import pytest
import torch

from dlmath.kit import (
    EXACT,
    correct_fan,
    expect_close,
    expect_draws,
    expect_raises,
    expect_sampler_honours_rng,
    fans,
    generator,
    reference,
)

DELTA = 1e-11
# (shape, gain, seed): a dense and two conv weights, fan_in and fan_out far apart.
XAVIER_CASES = [((300, 100), 1.0, 10), ((64, 32, 3, 3), 5.0 / 3.0, 11),
                ((100, 40, 5), math.sqrt(2), 12)]
# (shape, a, mode, nonlinearity, seed): fan_in and fan_out far apart, gains that differ.
KAIMING_CASES = [((100, 256), 0, "fan_in", "relu", 10),
                 ((300, 100), 0, "fan_out", "relu", 11),
                 ((128, 16, 3, 3), math.sqrt(5), "fan_in", "leaky_relu", 12),
                 ((50, 200, 2), 0, "fan_out", "tanh", 13)]
SHAPES = [(3, 5), (4, 2, 3, 3), (6, 3, 2)]
# The std of draws left unscaled, for a normal initializer: without them, rng.random's std
# 1/√12 ≈ 0.289 would read as "an extra square root" where the std expected is near 0.083.
UNSCALED = {"unscaled rng.random draws (U(0, 1), std 1/√12 ≈ 0.289)": 1.0 / math.sqrt(12.0),
            "unscaled standard normal draws (std 1)": 1.0}


def xavier_scale(shape, gain, uniform):
    """The bound of torch.nn.init.xavier_uniform_, or the std of xavier_normal_."""
    fan_in, fan_out = fans(shape)
    return gain * math.sqrt((6.0 if uniform else 2.0) / (fan_in + fan_out))


def kaiming_scale(shape, a, mode, nonlinearity, uniform):
    """The bound of torch.nn.init.kaiming_uniform_, or the std of kaiming_normal_."""
    gain, fan = torch.nn.init.calculate_gain(nonlinearity, a), correct_fan(shape, mode)
    return math.sqrt(3.0) * gain / math.sqrt(fan) if uniform else gain / math.sqrt(fan)


@reference
def xavier_mistakes(shape, gain, uniform):
    """The bound (or std) each usual slip gives, by its diagnosis."""
    fan_in, fan_out = fans(shape)
    v = 3.0 if uniform else 1.0  # a bound's square is 3 times the variance
    wrong = {f"Xavier with fan_in only, gain·√({2 * v:g} / fan_in)":
             gain * math.sqrt(2 * v / fan_in),
             f"Xavier with fan_in only, gain·√({v:g} / fan_in)": gain * math.sqrt(v / fan_in)}
    if uniform:
        wrong["the normal std gain·√(2 / (fan_in + fan_out)) used as the bound"] = \
            gain * math.sqrt(2.0 / (fan_in + fan_out))
    else:  # the variance as the std: expect_normal names the missing square root itself
        wrong["the uniform bound gain·√(6 / (fan_in + fan_out)) used as the std"] = \
            gain * math.sqrt(6.0 / (fan_in + fan_out))
        wrong.update(UNSCALED)
    wrong["ignoring the gain"] = math.sqrt(2 * v / (fan_in + fan_out))
    if len(shape) > 2:
        wrong["fans without the kernel size"] = gain * math.sqrt(2 * v / (shape[0] + shape[1]))
    return wrong


@reference
def kaiming_mistakes(shape, a, mode, nonlinearity, uniform):
    """The bound (or std) each usual slip gives, by its diagnosis; those equal to torch's
    for this case (the ReLU gain for ReLU) are left out."""
    fan_in, fan_out = fans(shape)
    fan, other = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    spread = math.sqrt(3.0) if uniform else 1.0  # a bound is √3 times the std
    wrong = {f"the other fan ({'fan_out' if mode == 'fan_in' else 'fan_in'}): "
             f"is mode={mode!r} used?": spread * gain / math.sqrt(other),
             "the gain squared (2 instead of √2 for ReLU)": spread * gain**2 / math.sqrt(fan),
             "no gain (gain 1)": spread / math.sqrt(fan),
             "the ReLU gain √2 whatever the nonlinearity and slope":
                 spread * math.sqrt(2.0) / math.sqrt(fan)}
    if uniform:
        wrong["the std gain/√fan used as the bound (forgetting √3)"] = gain / math.sqrt(fan)
    else:  # the variance as the std: expect_normal names the missing square root itself
        wrong.update(UNSCALED)
    wrong["fan_in + fan_out (Xavier's fans)"] = spread * gain * math.sqrt(
        2.0 / (fan_in + fan_out))
    if len(shape) > 2:
        wrong["fans without the kernel size"] = spread * gain / math.sqrt(
            shape[1] if mode == "fan_in" else shape[0])
    right = kaiming_scale(shape, a, mode, nonlinearity, uniform)
    return {label: s for label, s in wrong.items() if not math.isclose(s, right)}


def kaiming_checks(function):
    """For `function` (kaiming_normal or kaiming_uniform): `draws(student, shape, seed,
    **kwargs)`, weights from generator(seed) checked for shape and dtype, then the checks
    test_defaults, test_unknown_mode, test_shape and test_rng_honoured."""

    def draws(student, shape, seed, **kwargs):
        shown = "".join(f"{k}={v!r}, " for k, v in kwargs.items())
        return expect_draws(student.call(function, shape, **kwargs, rng=generator(seed)),
                            shape, what=f"{function}({shape}, {shown}rng)")

    @pytest.mark.property  # an answer ignoring its parameters passes it
    def test_defaults(student):
        """defaults a=0, mode='fan_in', nonlinearity='leaky_relu': same draws as given explicitly"""  # noqa: E501
        expect_close(draws(student, (40, 60), 15),
                     draws(student, (40, 60), 15, a=0, mode="fan_in", nonlinearity="leaky_relu"),
                     tol=EXACT, what=f"{function}((40, 60), rng) against the explicit defaults")

    @pytest.mark.property  # an answer that raises for any mode but the two passes it
    def test_unknown_mode(student):
        """mode='fan_avg' raises ValueError, as in torch"""
        expect_raises(lambda: student.call(function, (4, 3), mode="fan_avg",
                                           rng=generator(16)),
                      "ValueError", f"{function}((4, 3), mode='fan_avg')")

    return draws, test_defaults, test_unknown_mode, *shape_and_rng_checks(function, draws)


def xavier_checks(function):
    """For `function` (xavier_normal or xavier_uniform): `draws(student, shape, seed,
    gain=1.0)`, weights from generator(seed) checked for shape and dtype, then the checks
    test_default_gain, test_shape and test_rng_honoured."""

    def draws(student, shape, seed, gain=1.0):
        return expect_draws(student.call(function, shape, gain=gain, rng=generator(seed)),
                            shape, what=f"{function}({shape}, gain={gain:.4g}, rng)")

    @pytest.mark.property  # an answer ignoring the gain passes it
    def test_default_gain(student):
        """gain defaults to 1: the same draws as gain=1.0 from the same seed"""
        expect_close(student.call(function, (50, 30), rng=generator(15)),
                     draws(student, (50, 30), 15, gain=1.0), tol=EXACT,
                     what=f"{function}((50, 30), rng) against gain=1.0 with the same seed")

    return draws, test_default_gain, *shape_and_rng_checks(function, draws)


def shape_and_rng_checks(function, draws):
    """test_shape and test_rng_honoured for `function`; `draws(student, shape, seed)` calls
    it with its default parameters and checks the answer's shape and dtype."""

    @pytest.mark.property  # zeros of the shape pass it
    @pytest.mark.parametrize("shape", SHAPES, ids=str)
    def test_shape(student, shape):
        """returns float64 weights of shape {shape}"""
        draws(student, shape, 20)

    @pytest.mark.property  # plain rng.random passes it
    def test_rng_honoured(student):
        """draws come from rng: same seed, same draws; another seed or call, other draws"""
        expect_sampler_honours_rng(lambda rng: student.call(function, (4, 5), rng=rng),
                                   lambda seed: draws(student, (4, 5), seed), function)

    return test_shape, test_rng_honoured
