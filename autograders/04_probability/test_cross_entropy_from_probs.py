"""cross_entropy_from_probs(y_true, y_prob, eps=1e-12): -Σ y log(clip(p, eps, 1)), batch mean."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference, stable_call

from .shared import BATCHES, batch_id, classes

CLIP = "clip the probabilities to [eps, 1] before the log: log(0) is -inf, and 0 · (-inf) is NaN"
ABOUT = ("log", "multiply")  # what the advice is about: a warning from anything else gets none


@reference
def torch_ce_probs(y_true, y_prob, eps=1e-12):
    y, p = torch.from_numpy(y_true), torch.from_numpy(y_prob)
    return -(y * torch.log(torch.clamp(p, eps, 1.0))).sum(dim=-1).mean().item()


@reference
def mistakes(y_true, y_prob, eps=1e-12):
    loss = torch_ce_probs(y_true, y_prob, eps)
    n, c = y_true.shape
    return {"summing over the batch instead of averaging": n * loss,
            "forgetting the minus sign": -loss,
            "averaging over every entry (dividing by N·C) instead of over the batch": loss / c,
            "binary cross-entropy (adding (1 - y) log(1 - p))": _binary(y_true, y_prob, eps)}


def _binary(y_true, y_prob, eps):
    y, p = torch.from_numpy(y_true), torch.from_numpy(y_prob).clamp(eps, 1 - eps)
    return -(y * p.log() + (1 - y) * (1 - p).log()).sum(dim=-1).mean().item()


def probabilities(seed, n, c):
    return torch.softmax(torch.from_numpy(normal(seed, n, c, scale=2.0)), -1).numpy()


def one_hot(seed, n, c):
    return np.eye(c)[classes(seed, n, c)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", BATCHES[:4], ids=batch_id)
def test_one_hot(student, size, seed):
    """matches the formula in torch for one-hot targets, N, C = {size} (seed {seed})"""
    y, p = one_hot(seed, *size), probabilities(seed, *size)
    expect_close(student.cross_entropy_from_probs(y, p), torch_ce_probs(y, p), tol=FLOAT64,
                 what=f"cross_entropy_from_probs of one-hot targets {y.shape}",
                 known_mistakes=mistakes(y, p))


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_soft_targets(student, seed):
    """uses every entry of soft (label-smoothed) targets (seed {seed})"""
    y, p = probabilities(seed + 50, 5, 4), probabilities(seed, 5, 4)
    expect_close(student.cross_entropy_from_probs(y, p), torch_ce_probs(y, p), tol=FLOAT64,
                 what="cross_entropy_from_probs of soft targets (5, 4)",
                 known_mistakes=mistakes(y, p))


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", ["zero where y = 0", "zero where y = 1"])
def test_clipped(student, case):
    """a probability of exactly 0 ({case}) gives a finite loss and no warning"""
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    # One row each way: with a zero under every target the loss would be the constant -log eps.
    p = {"zero where y = 0": np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]]),
         "zero where y = 1": np.array([[0.0, 0.5, 0.5], [0.2, 0.0, 0.8]])}[case]
    got = stable_call(student, "cross_entropy_from_probs", y, p, hint=CLIP, about=ABOUT)
    expect_close(got, torch_ce_probs(y, p), tol=FLOAT64,
                 what=f"cross_entropy_from_probs with a probability 0 ({case})",
                 known_mistakes=mistakes(y, p))


def test_eps_is_used(student):
    """clips at the eps it is given (eps=1e-3)"""
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    p = np.array([[0.9999, 1e-4], [0.5, 0.5]])
    expect_close(stable_call(student, "cross_entropy_from_probs", y, p, eps=1e-3, hint=CLIP,
                             about=ABOUT),
                 torch_ce_probs(y, p, 1e-3), tol=FLOAT64,
                 what="cross_entropy_from_probs(y, p, eps=1e-3)",
                 known_mistakes={"ignoring eps (clipping at 1e-12)": torch_ce_probs(y, p)})


# A loss of 0 returned for any input passes this one.
@pytest.mark.property
def test_perfect_prediction(student):
    """probability 1 on the right class costs 0"""
    y = np.eye(3)
    expect_close(student.cross_entropy_from_probs(y, y.copy()), 0.0, tol=FLOAT64,
                 what="cross_entropy_from_probs(I, I)")
