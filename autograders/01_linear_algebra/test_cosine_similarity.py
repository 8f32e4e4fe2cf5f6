"""cosine_similarity(u, v, eps=1e-8): as torch.nn.functional.cosine_similarity(dim=0)."""

import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import SEEDS, Tolerance, expect_close, normal, reference

# Values lie in [-1, 1]; 1e-7 admits eps placed in the denominator either way.
COSINE = Tolerance("cosine", 1e-7, 1e-9)


@reference
def torch_cosine(u, v, eps=1e-8):
    return F.cosine_similarity(torch.from_numpy(u), torch.from_numpy(v), dim=0, eps=eps).item()


@reference
def mistakes(u, v):
    """What the cosines students get wrong give, on u and v."""
    U, V = torch.from_numpy(u), torch.from_numpy(v)
    dot = torch.dot(U, V).item()
    nu, nv = torch.linalg.norm(U).item(), torch.linalg.norm(V).item()
    return {"taking the dot product alone, without dividing by the norms": dot,
            "dividing by the norm of u squared instead of |u| |v|": dot / nu ** 2,
            "dividing by the squared norms (their square roots are missing)":
                dot / (nu ** 2 * nv ** 2),
            "adding the norms instead of multiplying them": dot / (nu + nv)}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [2, 5, 64])
def test_matches_torch(student, n, seed):
    """matches F.cosine_similarity for length-{n} vectors (seed {seed})"""
    u, v = normal(seed, n), normal(seed + 10, n, scale=4.0)
    expect_close(student.cosine_similarity(u, v), torch_cosine(u, v), tol=COSINE,
                 what=f"cosine_similarity of length-{n} vectors", known_mistakes=mistakes(u, v))


@pytest.mark.parametrize("scale", [1.0, -1.0, 0.01, 250.0])
def test_parallel(student, scale):
    """scaling by {scale} keeps only its sign: u against {scale} * u, then against {scale} * v"""
    # Parallel vectors alone expect +-1, which a constant answer can return; the scaled
    # v, not parallel to u, makes the case check the arithmetic too.
    u, v = normal(3, 6), normal(8, 6, scale=4.0)
    expect_close(student.cosine_similarity(u, scale * u), torch_cosine(u, scale * u),
                 tol=COSINE, what=f"cosine_similarity(u, {scale} * u)",
                 known_mistakes=mistakes(u, scale * u))
    expect_close(student.cosine_similarity(u, scale * v), torch_cosine(u, scale * v),
                 tol=COSINE, what=f"cosine_similarity(u, {scale} * v)",
                 known_mistakes=mistakes(u, scale * v))


@pytest.mark.property  # a constant 0.0 also passes
def test_orthogonal(student):
    """orthogonal vectors give 0"""
    u = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64).numpy()
    v = torch.tensor([0.0, 3.0, 0.0], dtype=torch.float64).numpy()
    expect_close(student.cosine_similarity(u, v), 0.0, tol=COSINE, what="orthogonal vectors")


@pytest.mark.property  # torch gives 0 here: a constant 0.0 also passes
@pytest.mark.parametrize("which", ["u", "v", "both"])
def test_zero_vector(student, which):
    """a zero vector ({which}) gives 0 as in torch, not NaN"""
    x, zero = normal(2, 4), torch.zeros(4, dtype=torch.float64).numpy()
    u, v = {"u": (zero, x), "v": (x, zero), "both": (zero, zero)}[which]
    expect_close(student.cosine_similarity(u, v), torch_cosine(u, v), tol=COSINE,
                 what=f"cosine_similarity with zero {which}")
