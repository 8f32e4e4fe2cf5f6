"""gaussian_pdf(x, mu, sigma): exp of Normal(mu, sigma).log_prob(x)."""

import math

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference, uniform

# sigma = 1 not first: there a missing 1/sigma goes unseen and a missing 1/(σ√(2π)) looks like a
# missing 1/√(2π), so the first message would not tell them apart.
PARAMS = [(2.5, 0.3), (0.0, 1.0), (-1.0, 4.0)]


@reference
def torch_pdf(x, mu, sigma):
    dist = torch.distributions.Normal(torch.as_tensor(mu, dtype=torch.float64),
                                      torch.as_tensor(sigma, dtype=torch.float64))
    return dist.log_prob(torch.from_numpy(x)).exp().numpy()


@reference
def mistakes(x, mu, sigma):
    pdf = torch_pdf(x, mu, sigma)
    # The exp part alone is √(2π) sigma times the density: a multiple the numbers name only
    # when sigma = 1.
    return {"computing it without the 1/(σ√(2π)) normalising factor (the exp part alone)":
                pdf * sigma * math.sqrt(2 * math.pi),
            "forgetting the 1/sigma factor": pdf * sigma,
            "dividing by 2π sigma instead of √(2π) sigma": pdf / math.sqrt(2 * math.pi),
            "using sigma as the variance": torch_pdf(x, mu, np.sqrt(sigma)),
            "forgetting to divide (x - mu)² by sigma²": pdf * np.exp(
                0.5 * ((x - mu) / sigma) ** 2 - 0.5 * (x - mu) ** 2)}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("mu, sigma", PARAMS)
@pytest.mark.parametrize("shape", [(7,), (3, 4)])
def test_matches_torch(student, shape, mu, sigma, seed):
    """matches exp of Normal({mu}, {sigma}).log_prob on shape {shape} (seed {seed})"""
    x = mu + normal(seed, *shape, scale=2.0 * sigma)
    expect_close(student.gaussian_pdf(x, mu, sigma), torch_pdf(x, mu, sigma), tol=FLOAT64,
                 what=f"gaussian_pdf(x, {mu}, {sigma}) of shape {shape}",
                 known_mistakes=mistakes(x, mu, sigma))


def test_broadcasts_parameters(student):
    """mu and sigma may be arrays that broadcast with x, as in torch"""
    x = normal(3, 3, 4)
    mu, sigma = normal(4, 4), uniform(5, 4, low=0.5, high=2.0)
    expect_close(student.gaussian_pdf(x, mu, sigma), torch_pdf(x, mu, sigma), tol=FLOAT64,
                 what="gaussian_pdf with mu and sigma of shape (4,)",
                 known_mistakes=mistakes(x, mu, sigma))


def test_peak(student):
    """the peak of N(0, 1) is 1/√(2π) ≈ 0.3989, and e^(-1/2) times that at ±1"""
    # Not the peak alone: the constant 1/√(2π) returned everywhere would pass.
    x = np.array([-1.0, 0.0, 1.0])
    expect_close(student.gaussian_pdf(x, 0.0, 1.0), torch_pdf(x, 0.0, 1.0), tol=FLOAT64,
                 what="gaussian_pdf([-1, 0, 1], 0, 1)", known_mistakes=mistakes(x, 0.0, 1.0))
