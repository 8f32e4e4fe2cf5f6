"""transpose(A): the 2-D transpose, built without .T or np.transpose."""

import pytest
import torch

from dlmath.kit import EXACT, SEEDS, Forbidden, expect_close, normal, reference

SHAPES = [(3, 5), (5, 2), (1, 4), (4, 1), (4, 4)]
FORBIDDEN = Forbidden("transpose", (".T", "np.transpose", ".transpose()", "np.swapaxes",
                                    ".swapaxes()", "np.moveaxis"))


@reference
def torch_t(A):
    return torch.from_numpy(A).t().numpy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_torch(student, shape, seed):
    """matches torch.Tensor.t on a {shape} matrix (seed {seed})"""
    A = normal(seed, *shape)
    expect_close(student.transpose(A), torch_t(A), tol=EXACT, what=f"transpose of a {shape} "
                 "matrix")


@pytest.mark.property  # returning A unchanged also gives A back
def test_twice_gives_the_input(student):
    """transposing twice gives back the matrix"""
    A = normal(7, 2, 6)
    expect_close(student.transpose(student.transpose(A)), A, tol=EXACT,
                 what="transpose(transpose(A))")


@pytest.mark.weight(len(SHAPES) * len(SEEDS) + 1)  # all other checks together: half the points
def test_no_forbidden_calls(student):
    """builds the transpose itself, without .T, np.transpose, swapaxes or moveaxis"""
    student.transpose(normal(3, 2, 3))
    FORBIDDEN.check(student.sources, student.traced)
