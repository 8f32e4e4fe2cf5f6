"""scaled_dot_product_attention(Q, K, V, mask=None): as F.scaled_dot_product_attention.

The mask is boolean with True = may attend, as in torch; every query may attend to at least
one key (torch returns zeros for a row with none; the exercise does not ask for that).
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import (
    FLOAT64,
    SEEDS,
    CheckFailed,
    expect_close,
    normal,
    reference,
    rng,
    stable_call,
)

# (batch dims, L queries, S keys, d, d_v)
SIZES = [((), 3, 5, 4, 2), ((2,), 4, 4, 8, 8), ((2,), 5, 3, 6, 7), ((2, 3), 2, 6, 4, 3)]
STABLE = ("subtract the row max before exp in the softmax, and fill masked scores with -inf "
          "(or a large negative number) using np.where, not arithmetic on -inf")
# What the advice is about: a warning from anything else gets none.
ABOUT = ("exp", "subtract", "multiply", "add")


def ids(size):
    batch, L, S, d, dv = size
    return f"B{batch}-L{L}-S{S}-d{d}-dv{dv}"


@reference
def torch_attention(Q, K, V, mask=None, scale=None):
    t = [torch.from_numpy(a) for a in (Q, K, V)]
    m = None if mask is None else torch.from_numpy(mask)
    return F.scaled_dot_product_attention(*t, attn_mask=m, scale=scale).numpy()


def scores(Q, K):
    return torch.from_numpy(Q) @ torch.from_numpy(K).transpose(-1, -2) / math.sqrt(Q.shape[-1])


def weights_over_queries(Q, K, V, mask):
    s = scores(Q, K)
    if mask is not None:
        s = s.masked_fill(~torch.from_numpy(mask), -math.inf)
    return (torch.softmax(s, dim=-2).nan_to_num() @ torch.from_numpy(V)).numpy()


def zeroed_scores(Q, K, V, mask):
    s = scores(Q, K).masked_fill(~torch.from_numpy(mask), 0.0)
    return (torch.softmax(s, dim=-1) @ torch.from_numpy(V)).numpy()


@reference
def mistakes(Q, K, V, mask=None):
    d, dv = Q.shape[-1], V.shape[-1]
    wrong = {"forgetting the 1/√d scale": torch_attention(Q, K, V, mask, 1.0),
             "scaling by 1/d instead of 1/√d": torch_attention(Q, K, V, mask, 1.0 / d),
             "softmax over the queries instead of the keys": weights_over_queries(Q, K, V, mask)}
    if dv != d:
        wrong["scaling by √d_v (V's size) instead of √d (the keys')"] = torch_attention(
            Q, K, V, mask, 1.0 / math.sqrt(dv))
    if mask is not None:
        inverted = ~mask
        if inverted.any(axis=-1).all():
            wrong["the mask inverted (True must mean 'may attend', as in torch)"] = \
                torch_attention(Q, K, V, inverted)
        wrong["ignoring the mask"] = torch_attention(Q, K, V)
        wrong["setting masked scores to 0 instead of -inf"] = zeroed_scores(Q, K, V, mask)
    return wrong


def qkv(seed, size):
    batch, L, S, d, dv = size
    return normal(seed, *batch, L, d), normal(seed + 1, *batch, S, d), \
        normal(seed + 2, *batch, S, dv)


def random_mask(seed, shape):
    """A boolean mask whose every row allows some keys and blocks others (if S > 1)."""
    mask = rng(seed).random(shape) < 0.6
    mask[..., 0] |= ~mask.any(axis=-1)
    mask[..., -1] &= ~mask[..., :-1].all(axis=-1)
    return mask


def masked_attention(student, Q, K, V, mask, *, by_name=False):
    """The student's attention with a mask. NaN in it, with 0 · inf seen on the way (numpy's
    'invalid value encountered in multiply'), is arithmetic on -inf: (1 - mask) * -np.inf
    is NaN where the mask allows, not 0."""
    before = len(student.warnings)
    got = student.scaled_dot_product_attention(Q, K, V, mask=mask) if by_name else \
        student.scaled_dot_product_attention(Q, K, V, mask)
    if any("invalid value encountered in multiply" in w for w in student.warnings[before:]) \
            and _has_nan(got):
        raise CheckFailed(
            f"attention with a mask {mask.shape} returned NaN: multiplying the mask by -inf "
            "gives 0 * -inf = NaN for the keys it allows (as in (1 - mask) * -np.inf), and "
            "NaN spreads through the softmax: fill masked scores with np.where(mask, scores, "
            "-np.inf) (or a large negative number), not arithmetic on -inf")
    return got


def _has_nan(value):
    try:
        return bool(np.isnan(np.asarray(value, dtype=np.float64)).any())
    except (TypeError, ValueError):
        return False  # not numbers: the comparison says what it is


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_matches_torch(student, size, seed):
    """matches F.scaled_dot_product_attention without a mask, sizes {size} (seed {seed})"""
    Q, K, V = qkv(seed, size)
    expect_close(student.scaled_dot_product_attention(Q, K, V), torch_attention(Q, K, V),
                 tol=FLOAT64, what=f"attention of Q {Q.shape}, K {K.shape}, V {V.shape}",
                 known_mistakes=mistakes(Q, K, V))


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_mask(student, size, seed):
    """a boolean mask, True = may attend, broadcast over the batch, sizes {size} (seed {seed})"""
    Q, K, V = qkv(seed, size)
    mask = random_mask(seed + 5, (size[1], size[2]))
    expect_close(masked_attention(student, Q, K, V, mask),
                 torch_attention(Q, K, V, mask), tol=FLOAT64,
                 what=f"attention of Q {Q.shape}, K {K.shape}, V {V.shape}, mask {mask.shape}",
                 known_mistakes=mistakes(Q, K, V, mask))


def test_causal_mask(student):
    """a causal mask: query i sees keys 0..i only"""
    Q, K, V = qkv(3, ((2,), 5, 5, 4, 3))
    mask = np.tril(np.ones((5, 5), dtype=bool))
    expect_close(masked_attention(student, Q, K, V, mask, by_name=True),
                 torch_attention(Q, K, V, mask), tol=FLOAT64,
                 what="attention with a causal (lower-triangular) mask",
                 known_mistakes=mistakes(Q, K, V, mask))


def test_mask_per_batch_item(student):
    """a mask with its own batch axis, shape (batch, L, S)"""
    Q, K, V = qkv(4, ((3,), 4, 6, 5, 2))
    mask = random_mask(9, (3, 4, 6))
    expect_close(masked_attention(student, Q, K, V, mask),
                 torch_attention(Q, K, V, mask), tol=FLOAT64,
                 what="attention with a mask of shape (3, 4, 6)",
                 known_mistakes=mistakes(Q, K, V, mask))


@pytest.mark.weight(2)
def test_large_scores_are_stable(student):
    """large scores (|q·k|/√d up to thousands) give no overflow, NaN or warning"""
    Q, K, V = qkv(6, ((2,), 3, 4, 4, 2))
    Q, K = 40.0 * Q, 40.0 * K
    mask = np.tril(np.ones((3, 4), dtype=bool))
    got = stable_call(student, "scaled_dot_product_attention", Q, K, V, mask, hint=STABLE,
                      about=ABOUT)
    expect_close(got, torch_attention(Q, K, V, mask), tol=FLOAT64,
                 what="attention with large scores", known_mistakes=mistakes(Q, K, V, mask))
