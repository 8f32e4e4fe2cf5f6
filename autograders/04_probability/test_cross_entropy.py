"""cross_entropy(logits, targets): as F.cross_entropy, integer targets, mean over the batch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, CheckFailed, expect_close, reference, stable_call

from .shared import BATCHES, batch_id, logits_and_classes

STABLE = ("compute log-softmax with log-sum-exp (subtract the max) instead of taking the log "
          "of softmax: exp overflows and log(0) is -inf")
ABOUT = ("exp", "log")  # what the advice is about: a warning from anything else gets none


@reference
def torch_ce(logits, targets):
    return F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)).item()


@reference
def mistakes(logits, targets):
    n = len(targets)
    logp = torch.log_softmax(torch.from_numpy(logits), dim=-1).numpy()
    picked = np.exp(logp[np.arange(n), targets])
    return {"summing over the batch instead of averaging": n * torch_ce(logits, targets),
            "forgetting the minus sign": -torch_ce(logits, targets),
            "leaving out the log (-mean p[y], of the probabilities, instead of -mean log p[y])":
                -float(np.mean(picked)),
            "averaging over every entry (dividing by N·C) instead of over the batch":
                torch_ce(logits, targets) / logits.shape[1],
            "picking logp[:, targets] (an N × N block) instead of logp[np.arange(N), targets]":
                -float(np.mean(logp[:, targets]))}


def expect_loss(got, logits, targets, what):
    """`got` is F.cross_entropy's value. A negative number no known mistake explains fails
    for being negative: a cross-entropy never is."""
    expected, known = torch_ce(logits, targets), mistakes(logits, targets)
    value = _number(got)
    if value is not None and value < 0 and not any(
            np.isclose(value, wrong, rtol=1e-9) for wrong in known.values()):
        raise CheckFailed(f"{what} is {value:.10g}, expected {expected:.10g}: a cross-entropy "
                          "is never negative (each term -log p is at least 0, as p ≤ 1): is "
                          "the log missing, or the minus sign?")
    expect_close(got, expected, tol=FLOAT64, what=what, known_mistakes=known)


def _number(got):
    """`got` as a finite float when it is a single real number, else None."""
    if isinstance(got, (bool, np.bool_)) or np.ndim(got) != 0:
        return None
    try:
        value = float(got)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", BATCHES, ids=batch_id)
def test_matches_torch(student, size, seed):
    """matches F.cross_entropy with N, C = {size} (seed {seed})"""
    logits, targets = logits_and_classes(seed, *size)
    expect_loss(student.cross_entropy(logits, targets), logits, targets,
                f"cross_entropy of logits {logits.shape}")


def test_confident_and_right(student):
    """a confident right prediction costs almost nothing, a confident wrong one a lot"""
    logits = np.array([[10.0, 0.0, 0.0], [0.0, 10.0, 0.0]])
    targets = np.array([0, 2])
    expect_loss(student.cross_entropy(logits, targets), logits, targets,
                "cross_entropy of a right and a wrong confident guess")


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", ["target on the max", "target far below"])
def test_stable(student, case):
    """no overflow, NaN or warning with logits up to ±1e3 ({case})"""
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0]])
    targets = {"target on the max": np.array([0, 2]),
               "target far below": np.array([1, 0])}[case]
    got = stable_call(student, "cross_entropy", logits, targets, hint=STABLE, about=ABOUT)
    expect_loss(got, logits, targets, f"cross_entropy of logits ±1e3 ({case})")
