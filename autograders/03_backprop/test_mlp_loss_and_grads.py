"""mlp_loss_and_grads(X, y, params) -> (loss, grads): the MSE loss of the two-layer MLP and
its gradients keyed like params, against loss.backward() in torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import ACCUMULATED, SEEDS, CheckFailed, expect_matches, normal, reference

from .shared import backprop, make_params, torch_mlp_forward

# (N, in, hidden, out); (4, 3, 3, 3) is square, where a transpose cannot show as a shape.
SIZES = [(5, 3, 4, 2), (1, 2, 3, 1), (8, 4, 6, 3), (4, 3, 3, 3)]
PARTS = ["loss", "W1", "b1", "W2", "b2"]
KEYS = PARTS[1:]


@reference
def torch_loss_and_grads(X, y, params):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = F.mse_loss(torch_mlp_forward(torch.from_numpy(X), p), torch.from_numpy(y))
    loss.backward()
    return {"loss": loss.item()} | {k: v.grad.numpy() for k, v in p.items()}


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(X, y, p):
    n, size = X.shape[0], y.size
    return {"the ReLU derivative 1 at 0 (Z >= 0): torch passes 0 there":
            backprop(X, y, p, mask=np.greater_equal),
            "the gradient passed through every hidden unit, as if there were no ReLU "
            "(A1 >= 0 is always true: mask with Z1 > 0)":
            backprop(X, y, p, mask=lambda Z, _: np.ones(Z.shape)),
            "db summed over axis 1 (the features) instead of axis 0 (the batch)":
            backprop(X, y, p, db_axis=1),
            "dW transposed (A^T dZ instead of dZ^T A)": backprop(X, y, p, transpose_dW=True),
            "averaging the loss twice (dividing its gradient by n twice)":
            backprop(X, y, p, grad_scale=1 / size),
            "the factor 2 of the squared error dropped": backprop(X, y, p, grad_scale=0.5),
            "dividing by the batch size N instead of the number of entries n":
            backprop(X, y, p, grad_scale=size / n),
            "the sum of the squared errors instead of their mean":
            backprop(X, y, p, loss_scale=size, grad_scale=size)}


def parts(answer, label):
    """{"loss": ..., "W1": ..., ...} from the answer, or a failure saying what is wrong."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise CheckFailed(f"{label} should return the pair (loss, grads), got "
                          f"{type(answer).__name__}" + (f" of length {len(answer)}"
                                                        if isinstance(answer, (tuple, list))
                                                        else ""))
    loss, grads = answer
    if not isinstance(grads, dict) or set(grads) != set(KEYS):
        keys = sorted(map(str, grads)) if isinstance(grads, dict) else type(grads).__name__
        raise CheckFailed(f"{label}: grads should be a dict with the keys of params {KEYS}, "
                          f"got {keys}")
    return {"loss": loss} | grads


def check(student, X, y, params, part, label):
    got = parts(student.mlp_loss_and_grads(X, y, params), label)
    expect_matches(got[part], torch_loss_and_grads(X, y, params)[part], tol=ACCUMULATED,
                   what=f"{'the loss' if part == 'loss' else 'grads[' + repr(part) + ']'} "
                   f"of {label}",
                   mistakes={k: v[part] for k, v in mistakes(X, y, params).items()})


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "N{}-in{}-h{}-out{}".format(*s))
@pytest.mark.parametrize("part", PARTS)
def test_matches_autograd(student, part, sizes, seed):
    """{part} matches loss.backward() with N, in, hidden, out = {sizes} (seed {seed})"""
    n, fan_in, hidden, fan_out = sizes
    X, y = normal(seed + 20, n, fan_in), normal(seed + 30, n, fan_out)
    params = make_params(seed, fan_in, hidden, fan_out)
    check(student, X, y, params, part, f"mlp_loss_and_grads with X {X.shape}, y {y.shape}")


@pytest.mark.weight(2)
@pytest.mark.parametrize("part", ["W1", "b1"])
def test_hidden_unit_at_zero(student, part):
    """{part} passes no gradient through hidden units exactly at 0, as torch"""
    # Whole numbers keep every product exact, so Z1 is exactly 0 in any summation order.
    X, y = np.round(2 * normal(1, 4, 3)), normal(2, 4, 2)
    params = make_params(3, 3, 5, 2)
    params["W1"] = np.round(2 * params["W1"])
    params["b1"] = -(X[0] @ params["W1"].T)  # every hidden unit is at 0 for example 0
    check(student, X, y, params, part, "mlp_loss_and_grads with hidden units at 0")
