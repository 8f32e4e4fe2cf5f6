"""vector_norm(x, ord=2): the 1-, 2- and inf-norms of a flattened array."""

import math

import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference

SHAPES = [(5,), (3, 4), (2, 3, 2)]
ORDS = [1, 2, math.inf]


@reference
def torch_norm(x, ord):
    return torch.linalg.vector_norm(torch.from_numpy(x), ord=ord).item()


@reference
def mistakes(x, ord):
    """What the norms students get wrong give for this ord, on x."""
    t = torch.from_numpy(x)
    if ord == 1:
        return {"summing x without abs": torch.sum(t).item(),
                "ignoring ord (this is the 2-norm)": torch_norm(x, 2)}
    if ord == math.inf:
        return {"taking the max of x without abs": torch.max(t).item(),
                "ignoring ord (this is the 2-norm)": torch_norm(x, 2)}
    return {"summing the squares without the square root": torch.sum(t * t).item()}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_torch(student, shape, ord, seed):
    """matches torch.linalg.vector_norm, ord={ord}, on shape {shape} (seed {seed})"""
    x = normal(seed, *shape)
    expect_close(student.vector_norm(x, ord), torch_norm(x, ord), tol=FLOAT64,
                 what=f"vector_norm(x, ord={ord}) of shape {shape}",
                 known_mistakes=mistakes(x, ord))


def test_default_is_euclidean(student):
    """ord defaults to 2, the Euclidean length"""
    x = normal(9, 7)
    expect_close(student.vector_norm(x), torch_norm(x, 2), tol=FLOAT64,
                 what="vector_norm(x) without ord", known_mistakes=mistakes(x, 2))


@pytest.mark.parametrize("ord", ORDS)
def test_all_negative(student, ord):
    """uses absolute values: an all-negative vector, ord={ord}"""
    x = -abs(normal(4, 6)) - 0.5
    expect_close(student.vector_norm(x, ord), torch_norm(x, ord), tol=FLOAT64,
                 what=f"vector_norm of a negative vector, ord={ord}",
                 known_mistakes=mistakes(x, ord))


@pytest.mark.property  # a constant 0.0 also passes
@pytest.mark.parametrize("ord", ORDS)
def test_zero_vector(student, ord):
    """the zero vector has norm 0, ord={ord}"""
    x = torch.zeros(4, dtype=torch.float64).numpy()
    expect_close(student.vector_norm(x, ord), 0.0, tol=FLOAT64, what="norm of zeros")
