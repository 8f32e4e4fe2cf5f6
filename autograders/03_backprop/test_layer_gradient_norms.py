"""layer_gradient_norms(X, weights, activation): the Frobenius norm of dL/dW for every layer of
a bias-free deep net (activation after every layer, loss = sum of the last output), first
layer first, against loss.backward() in torch."""

import numpy as np
import pytest
import torch

from dlmath.kit import SEEDS, Tolerance, as_vector, expect_matches, normal, reference

# Norms of a deep sigmoid net span many orders of magnitude: a tiny absolute part.
NORMS = Tolerance("accumulated float64", 1e-7, 1e-14)
NETS = [("sigmoid", [4, 6, 6, 6, 3]), ("tanh", [3, 5, 5, 2]), ("relu", [5, 8, 8, 8, 8, 4]),
        ("sigmoid", [3, 2]), ("relu", [6, 4, 4, 4, 4])]

ACTIVATIONS = {"sigmoid": (lambda z: 1 / (1 + np.exp(-z)),
                           lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
               "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
               "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0)}


def net_id(net):
    return f"{net[0]}-{'-'.join(map(str, net[1]))}"


def make_weights(seed, widths, gain):
    return [normal(seed + i, fan_out, fan_in, scale=gain / np.sqrt(fan_in))
            for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True))]


@reference
def torch_layer_norms(X, weights, activation):
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    params = [torch.tensor(W, requires_grad=True) for W in weights]
    A = torch.from_numpy(X)
    for W in params:
        A = act(A @ W.T)
    A.sum().backward()
    return np.array([torch.linalg.norm(W.grad).item() for W in params])


def backprop(X, weights, activation, at_output=False, no_derivative=False, last_linear=False,
             of_outputs=False, of_dZ=False):
    """Numpy norms with switches for the usual slips; the defaults are right."""
    act, act_grad = ACTIVATIONS[activation]
    inputs, pre = [], []
    A = X
    for i, W in enumerate(weights):
        inputs.append(A)
        pre.append(A @ W.T)
        A = pre[-1] if last_linear and i == len(weights) - 1 else act(pre[-1])
    dA, norms = np.ones_like(A), []
    for i in reversed(range(len(weights))):
        Z = pre[i]
        local = act_grad(act(Z) if at_output else Z)
        if no_derivative or (last_linear and i == len(weights) - 1):
            local = 1.0
        dZ = dA * local
        norms.append(np.linalg.norm(dA) if of_outputs else np.linalg.norm(dZ) if of_dZ
                     else np.linalg.norm(dZ.T @ inputs[i]))
        dA = dZ @ weights[i]
    return np.array(norms[::-1])


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(X, weights, activation):
    right = backprop(X, weights, activation)
    found = {"the norms in reverse order (last layer first)": right[::-1],
             "the derivative taken at the activation's output instead of its input Z":
             backprop(X, weights, activation, at_output=True),
             "no activation derivative (backpropagating as if the net were linear)":
             backprop(X, weights, activation, no_derivative=True),
             "no activation after the last layer": backprop(X, weights, activation,
                                                            last_linear=True),
             "the norms of dL/dA (each layer's output) instead of dL/dW":
             backprop(X, weights, activation, of_outputs=True),
             "the norms of dZ, not of dW (each layer's dW = dZ^T A, with A the layer's input)":
             backprop(X, weights, activation, of_dZ=True),
             "squared norms (the square root is missing)": right**2}
    return {k: v for k, v in found.items() if activation != "relu" or "output instead" not in k}


def check(student, X, weights, activation):
    label = f"layer_gradient_norms with {len(weights)} {activation} layers"
    expect_matches(as_vector(student.layer_gradient_norms(X, weights, activation)),
                   torch_layer_norms(X, weights, activation), tol=NORMS, what=label,
                   mistakes=mistakes(X, weights, activation))


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("net", NETS, ids=net_id)
def test_matches_autograd(student, net, seed):
    """matches loss.backward() for a {net[0]} net of widths {net[1]} (seed {seed})"""
    activation, widths = net
    X = normal(seed + 50, 6, widths[0])
    check(student, X, make_weights(seed, widths, 2.0 if activation == "relu" else 1.0),
          activation)


@pytest.mark.weight(2)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_deep_net(student, activation):
    """a 12-layer {activation} net, where the first layers' gradients may be tiny"""
    widths = [8] * 13
    X = normal(7, 16, 8)
    check(student, X, make_weights(11, widths, 2.0 if activation == "relu" else 1.0), activation)
