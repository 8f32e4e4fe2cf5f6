"""dot(u, v): the dot product of two 1-D vectors."""

import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference

LENGTHS = [1, 3, 8, 100]


@reference
def torch_dot(u, v):
    return torch.dot(torch.from_numpy(u), torch.from_numpy(v)).item()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", LENGTHS)
def test_matches_torch(student, n, seed):
    """matches torch.dot for vectors of length {n} (seed {seed})"""
    u, v = normal(seed, n), normal(seed + 10, n, scale=3.0)
    expect_close(student.dot(u, v), torch_dot(u, v), tol=FLOAT64, what=f"dot of length-{n} "
                 "vectors")


@pytest.mark.property  # a constant 0.0 also passes
def test_orthogonal(student):
    """orthogonal vectors give 0"""
    u, v = torch.tensor([1.0, 2.0, 0.0]).double().numpy(), \
        torch.tensor([-2.0, 1.0, 5.0]).double().numpy()
    expect_close(student.dot(u, v), 0.0, tol=FLOAT64, what="dot([1, 2, 0], [-2, 1, 5])")


def test_not_symmetric_by_accident(student):
    """dot(u, v) equals dot(v, u) and is linear in u"""
    u, v = normal(5, 6), normal(6, 6)
    expect_close(student.dot(v, u), torch_dot(u, v), tol=FLOAT64, what="dot(v, u)")
    expect_close(student.dot(3.0 * u, v), 3.0 * torch_dot(u, v), tol=FLOAT64,
                 what="dot(3u, v)")
