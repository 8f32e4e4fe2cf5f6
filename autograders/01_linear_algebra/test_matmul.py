"""matmul(A, B): the 2-D matrix product, without @, np.matmul, np.dot or einsum."""

import numpy as np
import pytest
import torch

from dlmath.kit import (
    FLOAT64,
    SEEDS,
    CheckFailed,
    Forbidden,
    expect_close,
    expect_raises,
    mentions_shape,
    normal,
    reference,
)

SHAPES = [((2, 3), (3, 4)), ((1, 5), (5, 1)), ((5, 1), (1, 5)), ((4, 4), (4, 4)),
          ((3, 7), (7, 2))]
FORBIDDEN = Forbidden("matmul", ("@", "np.matmul", "np.dot", ".dot()", "np.einsum",
                                 "np.tensordot", "np.inner"))


@reference
def torch_matmul(A, B):
    return torch.matmul(torch.from_numpy(A), torch.from_numpy(B)).numpy()


@reference
def mistakes(A, B):
    """What the products students get wrong give, where the shapes let them run."""
    if A.shape != B.shape:
        return {}
    return {"multiplying elementwise, A * B, instead of the matrix product":
            (torch.from_numpy(A) * torch.from_numpy(B)).numpy()}


def expect_floats(C, what):
    """An integer result (np.zeros(shape, dtype=int) filled with float sums) keeps only the
    whole part of each entry: said first, before its values (often all 0) suggest more."""
    if type(C) is np.ndarray and C.dtype.kind in "iu":
        raise CheckFailed(f"{what} has dtype {C.dtype}: integer arithmetic truncates, each "
                          "entry keeps only its whole part (for these inputs often 0): build "
                          "the result as floats, for example np.zeros(shape) without "
                          "dtype=int")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_matches_torch(student, shapes, seed):
    """matches torch.matmul for {shapes[0]} @ {shapes[1]} (seed {seed})"""
    A, B = normal(seed, *shapes[0]), normal(seed + 10, *shapes[1])
    what = f"matmul of {shapes[0]} and {shapes[1]}"
    C = student.matmul(A, B)
    expect_floats(C, what)
    expect_close(C, torch_matmul(A, B), tol=FLOAT64, what=what, known_mistakes=mistakes(A, B))


@pytest.mark.property  # returning A unchanged also passes
def test_identity(student):
    """multiplying by the identity changes nothing"""
    A = normal(4, 3, 5)
    expect_close(student.matmul(A, torch.eye(5, dtype=torch.float64).numpy()), A,
                 tol=FLOAT64, what="matmul(A, I)")


@pytest.mark.weight(2)
@pytest.mark.property  # a shape check in front of np.zeros passes it without any product
def test_inner_sizes_must_agree(student):
    """raises ValueError naming both shapes when the inner sizes differ"""
    A, B = normal(0, 2, 3), normal(1, 4, 2)
    err = expect_raises(lambda: student.matmul(A, B), "ValueError", "matmul of (2, 3) and (4, 2)")
    if not (mentions_shape(err.exc_message, (2, 3)) and mentions_shape(err.exc_message, (4, 2))):
        raise CheckFailed(f"the ValueError says {err.exc_message!r}: name both shapes, "
                          "for example 'cannot multiply (2, 3) by (4, 2)'")


@pytest.mark.weight(len(SHAPES) * len(SEEDS) + 3)  # all other checks together: half the points
def test_no_forbidden_calls(student):
    """builds the product itself, without @, np.matmul, np.dot, einsum, tensordot or inner"""
    student.matmul(normal(3, 2, 3), normal(4, 3, 2))
    FORBIDDEN.check(student.sources, student.traced)
