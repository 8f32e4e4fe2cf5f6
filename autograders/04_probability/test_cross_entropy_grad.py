"""cross_entropy_grad(logits, targets): dL/dlogits of the mean cross-entropy, by autograd."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, expect_close, reference, stable_call

from .shared import BATCHES, batch_id, logits_and_classes

STABLE = "compute softmax stably (subtract the max along each row before exp)"
ABOUT = ("exp",)  # what the advice is about: a warning from anything else gets none


@reference
def torch_ce_grad(logits, targets):
    z = torch.from_numpy(logits).requires_grad_(True)
    F.cross_entropy(z, torch.from_numpy(targets)).backward()
    return z.grad.numpy()


@reference
def mistakes(logits, targets):
    n, c = logits.shape
    onehot = np.eye(c)[targets]
    grad = torch_ce_grad(logits, targets)
    probs = grad * n + onehot
    wrong = {"summing over the batch instead of averaging (no 1/N)": grad * n,
             "onehot - softmax (the sign flipped)": -grad,
             "forgetting to subtract the one-hot targets": probs / n}
    if n > 1:
        wrong["softmax over the batch axis"] = (torch.softmax(torch.from_numpy(logits), 0)
                                                .numpy() - onehot) / n
    return wrong


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", BATCHES, ids=batch_id)
def test_matches_autograd(student, size, seed):
    """matches autograd of F.cross_entropy with N, C = {size} (seed {seed})"""
    logits, targets = logits_and_classes(seed, *size)
    expect_close(student.cross_entropy_grad(logits, targets), torch_ce_grad(logits, targets),
                 tol=FLOAT64, what=f"cross_entropy_grad of logits {logits.shape}",
                 known_mistakes=mistakes(logits, targets))


@pytest.mark.weight(2)
def test_stable(student):
    """no overflow, NaN or warning with logits up to ±1e3"""
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0]])
    targets = np.array([1, 2])
    got = stable_call(student, "cross_entropy_grad", logits, targets, hint=STABLE, about=ABOUT)
    expect_close(got, torch_ce_grad(logits, targets), tol=FLOAT64,
                 what="cross_entropy_grad of logits ±1e3",
                 known_mistakes=mistakes(logits, targets))
