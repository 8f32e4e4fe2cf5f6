"""calculate_gain(nonlinearity, param=None): as torch.nn.init.calculate_gain."""

import math

import pytest
import torch

from dlmath.kit import FLOAT64, expect_close, expect_raises, reference

LINEAR = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
          "conv_transpose3d", "sigmoid"]
# (nonlinearity, param) whose gain is 1: the linear layers, and leaky_relu of slope 1 (the
# identity). `return 1` gets them right, so they are checked as properties.
GAIN_ONE = [(name, None) for name in LINEAR] + [("leaky_relu", 1)]
# (nonlinearity, param): every other kind torch accepts, leaky_relu with several slopes.
CASES = [("tanh", None), ("relu", None), ("selu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", math.sqrt(5))]


def torch_gain(nonlinearity, param=None):
    return float(torch.nn.init.calculate_gain(nonlinearity, param))


@reference
def mistakes(nonlinearity, param):
    gain = torch_gain(nonlinearity, param)
    wrong = {"the variance factor (gain²) instead of the gain": gain**2,
             "gain 1, as for a linear layer": 1.0}
    if nonlinearity == "leaky_relu":
        wrong["ignoring the slope"] = math.sqrt(2.0)
        wrong["the default slope 0.01 for this slope (`param or 0.01` turns 0 into 0.01)"] = \
            torch_gain("leaky_relu", 0.01)
        slope = 0.01 if param is None else param
        wrong["sqrt(2 / (1 + slope)) without squaring the slope"] = math.sqrt(2 / (1 + slope))
    return wrong


def expect_torch_gain(student, nonlinearity, param):
    args = (nonlinearity,) if param is None else (nonlinearity, param)
    expect_close(student.calculate_gain(*args), torch_gain(nonlinearity, param), tol=FLOAT64,
                 what=f"calculate_gain{args!r}".replace(",)", ")"),
                 known_mistakes=mistakes(nonlinearity, param))


@pytest.mark.parametrize("nonlinearity, param", CASES, ids=lambda v: str(v))
def test_matches_torch(student, nonlinearity, param):
    """matches torch.nn.init.calculate_gain({nonlinearity!r}, {param})"""
    expect_torch_gain(student, nonlinearity, param)


@pytest.mark.property  # `return 1` passes it
@pytest.mark.parametrize("nonlinearity, param", GAIN_ONE, ids=lambda v: str(v))
def test_gain_one(student, nonlinearity, param):
    """matches torch.nn.init.calculate_gain({nonlinearity!r}, {param}), a gain of 1"""
    expect_torch_gain(student, nonlinearity, param)


def test_param_by_keyword(student):
    """accepts the slope as param=0.3"""
    expect_close(student.calculate_gain("leaky_relu", param=0.3),
                 torch_gain("leaky_relu", 0.3), tol=FLOAT64,
                 what="calculate_gain('leaky_relu', param=0.3)",
                 known_mistakes=mistakes("leaky_relu", 0.3))


@pytest.mark.property  # an answer that always raises passes it
@pytest.mark.parametrize("nonlinearity", ["gelu", "softmax"])
def test_unsupported_raises(student, nonlinearity):
    """an unsupported nonlinearity ({nonlinearity!r}) raises ValueError, as in torch"""
    expect_raises(lambda: student.calculate_gain(nonlinearity), "ValueError",
                  f"calculate_gain({nonlinearity!r})")
