"""activation_std_per_layer(X, weights, nonlinearity): each layer's output std, torch forward.

A bias-free net: h = act(h W^T) for each W, act in {"linear", "relu", "tanh"} after every
layer; the result is each layer's std over all its entries (population, unbiased=False),
first layer first.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import CheckFailed, Tolerance, expect_close, normal, reference

# The nonlinear cases first: what only they show (the std taken before the nonlinearity) is
# what the feedback names first, before what the linear case shows (a list for an array).
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "linear": lambda h: h}
# (N, widths, seed): widths[0] is the input size; a layer maps widths[i] to widths[i + 1].
NETS = [(32, (10, 16, 16, 5), 0), (16, (8, 8), 1), (50, (6, 12, 12, 12, 12, 2), 2)]
# Stds are positive and may be 1e-40 (vanishing) or 1e+9 (exploding): compare relatively.
RELATIVE = Tolerance("relative, accumulated float64", 1e-7, 0.0)
SCALES = [0.01, 1.0, None]  # None: Kaiming-like 1/sqrt(fan_in) (times √2 for relu)


@reference
def torch_stds(X, weights, nonlinearity, skip_last=False, correction=0, per_unit=False,
               before_act=False):
    h, stds = torch.from_numpy(X), []
    for i, W in enumerate(weights):
        z = F.linear(h, torch.from_numpy(W))
        h = z if skip_last and i == len(weights) - 1 else ACTIVATIONS[nonlinearity](z)
        measured = z if before_act else h
        s = measured.std(dim=0, correction=correction).mean() if per_unit else \
            measured.std(correction=correction)
        stds.append(s.item())
    return np.array(stds)


@reference
def mistakes(X, weights, nonlinearity):
    wrong = {"the unbiased std (n - 1); use the population form":
             torch_stds(X, weights, nonlinearity, correction=1),
             "the mean of per-unit stds instead of the std over all entries":
             torch_stds(X, weights, nonlinearity, per_unit=True)}
    if nonlinearity != "linear":
        wrong["no nonlinearity after the last layer"] = torch_stds(X, weights, nonlinearity,
                                                                   skip_last=True)
        wrong["the std of the pre-activations h W^T, taken before the nonlinearity"] = \
            torch_stds(X, weights, nonlinearity, before_act=True)
    return wrong


def input_first(answer, X, layers):
    """Whether the answer holds layers + 1 numbers, the first the std of the input X."""
    if not isinstance(answer, (np.ndarray, list, tuple)):
        return False
    try:
        if np.ndim(answer) != 1 or len(answer) != layers + 1:
            return False
        first = float(answer[0])
    except (TypeError, ValueError):
        return False
    return bool(np.isclose(first, torch.from_numpy(X).std(correction=0).item(),
                           rtol=RELATIVE.rtol, atol=0.0))


def expect_layer_stds(answer, X, weights, nonlinearity, what):
    """The answer against torch's stds; an answer with one entry too many, the first the
    input's std, is told so (the shape alone would suggest a broadcasting slip)."""
    want = torch_stds(X, weights, nonlinearity)
    if input_first(answer, X, len(want)):
        told = (f"{what} has {len(want) + 1} entries for {len(want)} layers: the first is the "
                "std of the input X; return one std per layer, of its output only")
        try:
            expect_close(answer[1:], want, tol=RELATIVE, what=f"{what} without its first entry",
                         known_mistakes=mistakes(X, weights, nonlinearity))
        except CheckFailed as failed:
            raise CheckFailed(f"{told}\n{failed}") from None
        raise CheckFailed(told)
    expect_close(answer, want, tol=RELATIVE, what=what,
                 known_mistakes=mistakes(X, weights, nonlinearity))


def network(seed, n, widths, scale, nonlinearity):
    X = normal(seed, n, widths[0])
    weights = []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        std = scale if scale is not None else \
            (np.sqrt(2.0) if nonlinearity == "relu" else 1.0) / np.sqrt(fan_in)
        weights.append(normal(seed + 10 + i, fan_out, fan_in, scale=std))
    return X, weights


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: f"std{s}" if s else "scaled")
@pytest.mark.parametrize("nonlinearity", list(ACTIVATIONS))
@pytest.mark.parametrize("net", NETS, ids=lambda net: "N{}-widths{}".format(*net))
def test_matches_torch(student, net, nonlinearity, scale):
    """matches a torch forward: widths {net[1]}, {nonlinearity}, weight std {scale}"""
    n, widths, seed = net
    X, weights = network(seed, n, widths, scale, nonlinearity)
    expect_layer_stds(student.activation_std_per_layer(X, weights, nonlinearity), X, weights,
                      nonlinearity, f"activation_std_per_layer with widths {widths}, "
                                    f"{nonlinearity!r}")


def test_deep_vanishing(student):
    """30 relu layers at std 0.01: stds shrink toward 1e-45 and must still match"""
    X, weights = network(5, 64, (16,) * 31, 0.01, "relu")
    expect_layer_stds(student.activation_std_per_layer(X, weights, "relu"), X, weights, "relu",
                      "activation_std_per_layer of 30 relu layers at std 0.01")
