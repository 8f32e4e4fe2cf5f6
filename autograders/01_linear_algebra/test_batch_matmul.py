"""batch_matmul(A, B): a batch of matrix products; B is (batch, m, p) or a shared (m, p)."""

import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference

# (batch, n, m, p)
SIZES = [(2, 3, 4, 5), (1, 2, 2, 2), (4, 1, 3, 2), (3, 5, 1, 4)]


@reference
def torch_bmm(A, B):
    return torch.matmul(torch.from_numpy(A), torch.from_numpy(B)).numpy()


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "B{}-n{}-m{}-p{}".format(*s))
def test_batched_b(student, sizes, seed):
    """matches torch.matmul with B of shape (batch, m, p), sizes {sizes} (seed {seed})"""
    batch, n, m, p = sizes
    A, B = normal(seed, batch, n, m), normal(seed + 1, batch, m, p)
    expect_close(student.batch_matmul(A, B), torch_bmm(A, B), tol=FLOAT64,
                 what=f"batch_matmul of {A.shape} and {B.shape}",
                 known_mistakes={"using B[0] for every item": torch_bmm(A, B[:1])})


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "B{}-n{}-m{}-p{}".format(*s))
def test_broadcast_b(student, sizes, seed):
    """broadcasts a shared B of shape (m, p), sizes {sizes} (seed {seed})"""
    batch, n, m, p = sizes
    A, B = normal(seed, batch, n, m), normal(seed + 1, m, p)
    expect_close(student.batch_matmul(A, B), torch_bmm(A, B), tol=FLOAT64,
                 what=f"batch_matmul of {A.shape} and {B.shape}")
