"""train_mlp(X, y, params, lr, n_steps) -> (params, losses): plain SGD on the MLP's MSE loss,
step for step like a torch.optim.SGD loop from the same start (its update comes from
dlmath.engine.torch_refs). losses[i] is the loss before update i; the caller's params are not
modified (the student object checks that on every call).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import (
    ACCUMULATED,
    SEEDS,
    CheckFailed,
    as_vector,
    expect_matches,
    normal,
    reference,
    sgd_step,
)

from .shared import backprop, make_params, torch_mlp_forward

KEYS = ["W1", "b1", "W2", "b2"]
# (N, in, hidden, out, lr, n_steps)
RUNS = [(6, 3, 5, 2, 0.05, 10), (8, 2, 4, 1, 0.1, 20), (5, 4, 3, 3, 0.01, 5)]


def run_id(run):
    return "N{}-in{}-h{}-out{}-lr{}-n{}".format(*run)


@reference
def torch_training(X, y, params, lr, n_steps):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    Xt, yt, losses = torch.from_numpy(X), torch.from_numpy(y), []
    for _ in range(n_steps):
        loss = F.mse_loss(torch_mlp_forward(Xt, p), yt)
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, list(p.values()))
        sgd_step(list(p.values()), list(grads), [None] * len(p), lr=lr)
    return {k: v.detach().numpy() for k, v in p.items()}, np.array(losses)


def loss_and_grads(X, y, p):
    grads = backprop(X, y, p)
    return grads.pop("loss"), grads


def train(X, y, p, lr, n_steps, sign=-1.0, loss_after=False, w2_first=False):
    """Numpy SGD with switches for the usual slips; the defaults are right."""
    losses = []
    for _ in range(n_steps):
        loss, grads = loss_and_grads(X, y, p)
        if w2_first:  # W2 updated, then the forward and backward pass run again for W1
            p = p | {"W2": p["W2"] + sign * lr * grads["W2"]}
            grads = grads | {k: v for k, v in loss_and_grads(X, y, p)[1].items() if k != "W2"}
            p = {k: v if k == "W2" else v + sign * lr * grads[k] for k, v in p.items()}
        else:
            p = {k: v + sign * lr * grads[k] for k, v in p.items()}
        losses.append(loss_and_grads(X, y, p)[0] if loss_after else loss)
    return p, np.array(losses)


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(X, y, p, lr, n_steps):
    right = train(X, y, p, lr, n_steps)
    return {"recording each loss after its update instead of before":
            train(X, y, p, lr, n_steps, loss_after=True),
            "params + lr * grads, which climbs the loss (the sign of the update)":
            train(X, y, p, lr, n_steps, sign=1.0),
            "updating W2 before computing the gradients of the other parameters (take every "
            "gradient from one forward and backward pass)":
            train(X, y, p, lr, n_steps, w2_first=True),
            "the starting parameters (the updates were not kept)": (p, right[1]),
            "n_steps + 1 losses (the loss after the last update is included)":
            (right[0], np.append(right[1], loss_and_grads(X, y, right[0])[0]))}


def answer_parts(answer, label):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise CheckFailed(f"{label} should return the pair (params, losses), got "
                          f"{type(answer).__name__}")
    params, losses = answer
    if not isinstance(params, dict) or set(params) != set(KEYS):
        keys = sorted(map(str, params)) if isinstance(params, dict) else type(params).__name__
        raise CheckFailed(f"{label}: params should be a dict with the keys {KEYS}, got {keys}")
    return params, as_vector(losses)


def check(student, X, y, params, lr, n_steps, part):
    label = f"train_mlp with X {X.shape}, lr={lr}, n_steps={n_steps}"
    got = answer_parts(student.train_mlp(X, y, params, lr, n_steps), label)
    want = torch_training(X, y, params, lr, n_steps)
    wrong = mistakes(X, y, params, lr, n_steps)
    if part == "losses":
        expect_matches(got[1], want[1], tol=ACCUMULATED, what=f"the losses of {label}",
                       mistakes={k: v[1] for k, v in wrong.items()})
        return
    for key in KEYS:
        expect_matches(got[0][key], want[0][key], tol=ACCUMULATED,
                       what=f"the trained params[{key!r}] of {label}",
                       mistakes={k: v[0][key] for k, v in wrong.items()})


# First, before the long runs: over a step or three a wrong update is still finite and
# matches its named slip (an update that climbs the loss grows into NaN over a long run,
# which names no cause); params and losses in one check, so the starting loss repeated
# (whose losses are right here) earns nothing.
@pytest.mark.parametrize("n_steps", [1, 3])
def test_first_steps(student, n_steps):
    """the params and losses of the first {n_steps} step(s) match a torch SGD loop"""
    X, y, params = normal(12, 6, 3), normal(13, 6, 2), make_params(14, 3, 5, 2)
    for part in ("params", "losses"):
        check(student, X, y, params, 0.05, n_steps, part)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("run", RUNS, ids=run_id)
@pytest.mark.parametrize("part", ["params", "losses"])
def test_matches_torch_sgd(student, part, run, seed):
    """the {part} match a torch SGD loop: N, in, hidden, out = {run[0]}, {run[1]}, {run[2]}, {run[3]}; lr = {run[4]}, {run[5]} steps (seed {seed})"""  # noqa: E501
    n, fan_in, hidden, fan_out, lr, n_steps = run
    X, y = normal(seed + 20, n, fan_in), normal(seed + 30, n, fan_out)
    check(student, X, y, make_params(seed, fan_in, hidden, fan_out), lr, n_steps, part)


# Returning the starting params and a list of n_steps zeros (none here) also gives it.
@pytest.mark.property
@pytest.mark.parametrize("part", ["params", "losses"])
def test_zero_steps(student, part):
    """n_steps = 0 ({part}): the starting params and no losses"""
    X, y = normal(1, 4, 3), normal(2, 4, 2)
    check(student, X, y, make_params(3, 3, 4, 2), 0.1, 0, part)


# Returning the starting params and the starting loss n_steps times, untrained, also gives it.
@pytest.mark.property
@pytest.mark.parametrize("part", ["params", "losses"])
def test_zero_learning_rate(student, part):
    """lr = 0 ({part}): the params never change, nor the loss"""
    X, y = normal(4, 5, 2), normal(5, 5, 1)
    check(student, X, y, make_params(6, 2, 3, 1), 0.0, 3, part)


def test_called_twice(student):
    """gives the same answer when called twice from the same start"""
    X, y, params = normal(7, 4, 2), normal(8, 4, 2), make_params(9, 2, 3, 2)
    for part in ("params", "losses", "params"):
        check(student, X, y, params, 0.1, 4, part)
