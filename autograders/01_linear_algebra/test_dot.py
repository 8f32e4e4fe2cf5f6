"""dot(u, v): the dot product of two 1-D vectors."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, CheckFailed, expect_close, normal, reference

LENGTHS = [1, 3, 8, 100]


@reference
def torch_dot(u, v):
    return torch.dot(torch.from_numpy(u), torch.from_numpy(v)).item()


@reference
def mistakes(u, v):
    """What the dot products students get wrong give, on these vectors."""
    U, V = torch.from_numpy(u), torch.from_numpy(v)
    return {"adding instead of multiplying, sum(u + v)": torch.sum(U + V).item(),
            "averaging the products instead of summing them": torch.mean(U * V).item(),
            "summing each vector, then multiplying (multiply elementwise, then sum)":
                (torch.sum(U) * torch.sum(V)).item()}


def expect_summed(student, got, seed):
    """u * v returned without its sum. At length 1 it is an array of one holding the right
    value, which the comparison calls a shape slip: a longer pair of vectors shows it."""
    if type(got) is not np.ndarray or got.shape != (1,):
        return
    u, v = normal(seed, 3), normal(seed + 10, 3, scale=3.0)
    longer = student.dot(u, v)
    products = (torch.from_numpy(u) * torch.from_numpy(v)).numpy()
    if type(longer) is np.ndarray and longer.shape == (3,) and np.allclose(
            longer, products, rtol=1e-9, atol=1e-12):
        raise CheckFailed("dot of length-1 vectors has shape (1,), expected (): it returns "
                          "the elementwise products u * v (for length-3 vectors, all 3 of "
                          "them), not one number: the sum (or other reduction) is missing")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", LENGTHS)
def test_matches_torch(student, n, seed):
    """matches torch.dot for vectors of length {n} (seed {seed})"""
    u, v = normal(seed, n), normal(seed + 10, n, scale=3.0)
    got = student.dot(u, v)
    expect_summed(student, got, seed)
    expect_close(got, torch_dot(u, v), tol=FLOAT64, what=f"dot of length-{n} vectors",
                 known_mistakes=mistakes(u, v))


@pytest.mark.property  # a constant 0.0 also passes
def test_orthogonal(student):
    """orthogonal vectors give 0"""
    u, v = torch.tensor([1.0, 2.0, 0.0]).double().numpy(), \
        torch.tensor([-2.0, 1.0, 5.0]).double().numpy()
    expect_close(student.dot(u, v), 0.0, tol=FLOAT64, what="dot([1, 2, 0], [-2, 1, 5])")


def test_not_symmetric_by_accident(student):
    """dot(u, v) equals dot(v, u) and is linear in u"""
    u, v = normal(5, 6), normal(6, 6)
    expect_close(student.dot(v, u), torch_dot(u, v), tol=FLOAT64, what="dot(v, u)",
                 known_mistakes=mistakes(v, u))
    expect_close(student.dot(3.0 * u, v), 3.0 * torch_dot(u, v), tol=FLOAT64,
                 what="dot(3u, v)", known_mistakes=mistakes(3.0 * u, v))
