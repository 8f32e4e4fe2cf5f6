"""batch_matmul(A, B): a batch of matrix products; B is (batch, m, p) or a shared (m, p)."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, CheckFailed, expect_close, normal, reference

# (batch, n, m, p)
SIZES = [(2, 3, 4, 5), (1, 2, 2, 2), (4, 1, 3, 2), (3, 5, 1, 4)]
TRANSPOSED_ITEMS = "the transpose of each item's product (the last two axes swapped)"


@reference
def torch_bmm(A, B):
    return torch.matmul(torch.from_numpy(A), torch.from_numpy(B)).numpy()


@reference
def transposed_items(A, B):
    return torch.matmul(torch.from_numpy(A), torch.from_numpy(B)).transpose(1, 2).numpy()


def expect_bmm(got, A, B, what, known_mistakes=None):
    """expect_close, first naming the products transposed item by item, which have another
    shape unless the items are square (there the known mistake names them)."""
    swapped = transposed_items(A, B)
    if type(got) is np.ndarray and got.shape == swapped.shape != torch_bmm(A, B).shape \
            and np.allclose(got, swapped, rtol=1e-9, atol=1e-12):
        raise CheckFailed(f"{what} has shape {got.shape}, expected {torch_bmm(A, B).shape}: it "
                          f"is {TRANSPOSED_ITEMS}")
    expect_close(got, torch_bmm(A, B), tol=FLOAT64, what=what,
                 known_mistakes={TRANSPOSED_ITEMS: swapped, **(known_mistakes or {})})


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "B{}-n{}-m{}-p{}".format(*s))
def test_batched_b(student, sizes, seed):
    """matches torch.matmul with B of shape (batch, m, p), sizes {sizes} (seed {seed})"""
    batch, n, m, p = sizes
    A, B = normal(seed, batch, n, m), normal(seed + 1, batch, m, p)
    expect_bmm(student.batch_matmul(A, B), A, B, f"batch_matmul of {A.shape} and {B.shape}",
               known_mistakes={"using B[0] for every item": torch_bmm(A, B[:1])})


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "B{}-n{}-m{}-p{}".format(*s))
def test_broadcast_b(student, sizes, seed):
    """broadcasts a shared B of shape (m, p), sizes {sizes} (seed {seed})"""
    batch, n, m, p = sizes
    A, B = normal(seed, batch, n, m), normal(seed + 1, m, p)
    what = f"batch_matmul of {A.shape} and {B.shape}"
    try:
        got = student.batch_matmul(A, B)
    except CheckFailed as err:
        if getattr(err, "type_name", "") not in ("ValueError", "IndexError"):
            raise  # not a shape error raised in the student's code
        raise CheckFailed(f"{err}\nHere B is 2-D, one ({m}, {p}) matrix shared by every item "
                          "(np.matmul broadcasts it): each A[i] is multiplied by the whole B, "
                          "and B[i] would be only its row i. Check B.ndim") from None
    expect_bmm(got, A, B, what)
