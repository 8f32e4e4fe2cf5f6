"""bigram_conditional_probs(counts): row i is P(next = j | prev = i); a zero row is uniform."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, reference, rng

SIZES = [(3, 3), (5, 5), (10, 10), (4, 6)]


@reference
def torch_bigram(counts):
    c = torch.from_numpy(counts).double()
    totals = c.sum(dim=1, keepdim=True)
    return torch.where(totals > 0, c / totals, 1.0 / c.shape[1]).numpy()


@reference
def mistakes(counts):
    c = counts.astype(np.float64)
    rows, cols = c.sum(axis=1, keepdims=True), c.sum(axis=0, keepdims=True)
    with np.errstate(all="ignore"):
        return {
            "normalizing columns (P(prev | next)) instead of rows":
                np.where(cols > 0, c / cols, 1.0 / c.shape[0]),
            "leaving an all-zero row at zero": np.where(rows > 0, c / rows, 0.0),
            "dividing by the total count (the joint P(prev, next))": c / c.sum(),
            "add-one smoothing": (c + 1) / (rows + c.shape[1]),
        }


def counts_with_zero_rows(seed, shape):
    counts = rng(seed).integers(0, 6, size=shape)
    counts[rng(seed + 1).random(shape[0]) < 0.3] = 0
    return counts


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SIZES, ids=str)
def test_matches_torch(student, shape, seed):
    """rows normalized, zero rows uniform, counts of shape {shape} (seed {seed})"""
    counts = counts_with_zero_rows(seed, shape)
    expect_close(student.bigram_conditional_probs(counts), torch_bigram(counts), tol=FLOAT64,
                 what=f"bigram_conditional_probs of counts {shape}",
                 known_mistakes=mistakes(counts))


@pytest.mark.weight(2)
def test_zero_row_is_uniform(student):
    """a word never seen as 'prev' gets the uniform distribution, not NaN"""
    counts = np.array([[0, 2, 2], [0, 0, 0], [5, 0, 1]])
    expect_close(student.bigram_conditional_probs(counts), torch_bigram(counts), tol=FLOAT64,
                 what="bigram_conditional_probs([[0, 2, 2], [0, 0, 0], [5, 0, 1]])",
                 known_mistakes=mistakes(counts))


def test_float_counts(student):
    """works for float counts too (fractional, as after smoothing)"""
    counts = rng(9).random((4, 4)) * 3.0
    expect_close(student.bigram_conditional_probs(counts), torch_bigram(counts), tol=FLOAT64,
                 what="bigram_conditional_probs of float counts (4, 4)",
                 known_mistakes=mistakes(counts))
