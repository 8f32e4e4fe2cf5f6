"""linear_backward(dZ, X, W) -> (dX, dW, db) for Z = X W^T + b, against autograd of F.linear.

dX = dZ W (N, in), dW = dZ^T X (out, in), db = dZ summed over the batch (out,).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, CheckFailed, backward_from, expect_matches, normal, reference

# (N, in, out); (3, 3, 3) is square, where a transpose cannot show as a shape.
SIZES = [(4, 3, 2), (1, 5, 3), (6, 2, 6), (3, 3, 3), (2, 1, 4)]
PARTS = ["dX", "dW", "db"]


@reference
def torch_linear_backward(dZ, X, W):
    Xt, Wt = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    bt = torch.zeros(W.shape[0], dtype=torch.float64, requires_grad=True)
    backward_from(F.linear(Xt, Wt, bt), dZ)
    return {"dX": Xt.grad.numpy(), "dW": Wt.grad.numpy(), "db": bt.grad.numpy()}


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(dZ, X, W):
    n, square = X.shape[0], W.shape[0] == W.shape[1]
    return {
        "dX": {"dZ W^T (W needs no transpose here, since Z = X W^T)": dZ @ W.T} if square else {},
        "dW": {"X^T dZ, dW transposed (dW must have W's shape (out, in))": X.T @ dZ,
               "dZ^T X / N (dW averaged over the batch)": dZ.T @ X / n},
        "db": {"summing dZ over axis 1 (the features) instead of axis 0 (the batch)":
               dZ.sum(axis=1),
               "dZ itself (db not summed over the batch)": dZ,
               "the mean over the batch instead of the sum": dZ.mean(axis=0)},
    }


def gradients(answer, label):
    """The answer as {"dX": ..., "dW": ..., "db": ...}, or a failure saying what is wrong."""
    if not isinstance(answer, (tuple, list)):
        raise CheckFailed(f"{label} returned {type(answer).__name__}: return the tuple "
                          "(dX, dW, db)")
    if len(answer) != 3:
        raise CheckFailed(f"{label} returned {len(answer)} values: return the tuple "
                          "(dX, dW, db)" + (" (is db missing?)" if len(answer) == 2 else ""))
    return dict(zip(PARTS, answer, strict=True))


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "N{}-in{}-out{}".format(*s))
@pytest.mark.parametrize("part", PARTS)
def test_matches_autograd(student, part, sizes, seed):
    """{part} matches autograd of F.linear with N, in, out = {sizes} (seed {seed})"""
    n, fan_in, fan_out = sizes
    dZ, X, W = normal(seed, n, fan_out), normal(seed + 1, n, fan_in), normal(seed + 2, fan_out,
                                                                              fan_in)
    label = f"linear_backward with dZ {dZ.shape}, X {X.shape}, W {W.shape}"
    got = gradients(student.linear_backward(dZ, X, W), label)
    expect_matches(got[part], torch_linear_backward(dZ, X, W)[part], tol=FLOAT64,
                   what=f"{part} of {label}", mistakes=mistakes(dZ, X, W)[part])


def test_ones_upstream(student):
    """with dZ all ones, db counts the batch and dW sums the inputs"""
    dZ, X, W = np.ones((5, 2)), normal(1, 5, 3), normal(2, 2, 3)
    got = gradients(student.linear_backward(dZ, X, W), "linear_backward with dZ = 1")
    for part in PARTS:
        expect_matches(got[part], torch_linear_backward(dZ, X, W)[part], tol=FLOAT64,
                       what=f"{part} with dZ = 1", mistakes=mistakes(dZ, X, W)[part])
