"""What several 03_backprop graders share: the two-layer MLP's parameters, its torch forward
pass and its numpy backprop (with the usual slips), and autograd of an activation for the
activation backward graders."""

import numpy as np
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, backward_from, expect_matches, normal, reference

ACTIVATION_SHAPES = [(4, 3), (1, 6), (5, 2)]


def make_params(seed, fan_in, hidden, fan_out):
    """{"W1", "b1", "W2", "b2"} of a Linear(fan_in, hidden) -> ReLU -> Linear(hidden, fan_out)."""
    return {"W1": normal(seed, hidden, fan_in), "b1": normal(seed + 1, hidden, scale=0.5),
            "W2": normal(seed + 2, fan_out, hidden), "b2": normal(seed + 3, fan_out, scale=0.5)}


def torch_mlp_forward(X, params):
    """Linear -> ReLU -> Linear on torch tensors `X` and `params` (keyed like make_params)."""
    hidden = torch.relu(F.linear(X, params["W1"], params["b1"]))
    return F.linear(hidden, params["W2"], params["b2"])


def backprop(X, y, p, mask=np.greater, loss_scale=1.0, grad_scale=1.0, db_axis=0,
             transpose_dW=False):
    """The MLP's MSE loss and its gradients in numpy, {"loss", "W1", ...}, with switches for
    the usual slips; the defaults are right."""
    Z1 = X @ p["W1"].T + p["b1"]
    A1 = np.maximum(Z1, 0)
    Y = A1 @ p["W2"].T + p["b2"]
    dY = grad_scale * 2 * (Y - y) / Y.size
    dZ1 = (dY @ p["W2"]) * mask(Z1, 0)

    def dW(dZ, A):
        return A.T @ dZ if transpose_dW else dZ.T @ A

    return {"loss": loss_scale * np.mean((Y - y) ** 2),
            "W1": dW(dZ1, X), "b1": dZ1.sum(axis=db_axis),
            "W2": dW(dY, A1), "b2": dY.sum(axis=db_axis)}


@reference
def torch_activation_backward(activation, dA, Z):
    """dZ for A = torch.<activation>(Z) and the upstream gradient dA, by autograd."""
    Zt = torch.tensor(Z, requires_grad=True)
    backward_from(getattr(torch, activation)(Zt), dA)
    return Zt.grad.numpy()


def expect_backward(student, activation, dA, Z, what, mistakes):
    """`<activation>_backward(dA, Z)` against autograd, naming the mistake it matches."""
    expect_matches(student.call(f"{activation}_backward", dA, Z),
                   torch_activation_backward(activation, dA, Z), tol=FLOAT64, what=what,
                   mistakes=mistakes(dA, Z))
