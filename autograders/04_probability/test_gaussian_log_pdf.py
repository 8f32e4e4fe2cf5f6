"""gaussian_log_pdf(x, mu, sigma): as torch.distributions.Normal(mu, sigma).log_prob(x)."""

import math

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference, stable_call, uniform

PARAMS = [(0.0, 1.0), (2.5, 0.3), (-1.0, 4.0)]
STABLE = ("write the log density directly, -(x - mu)² / (2 sigma²) - log sigma - log √(2π): "
          "log(pdf) is log(0) = -inf once the density underflows")
ABOUT = ("log",)  # what the advice is about: a warning from anything else gets none


@reference
def torch_log_prob(x, mu, sigma):
    dist = torch.distributions.Normal(torch.as_tensor(mu, dtype=torch.float64),
                                      torch.as_tensor(sigma, dtype=torch.float64))
    return dist.log_prob(torch.from_numpy(x)).numpy()


@reference
def mistakes(x, mu, sigma):
    log_p = torch_log_prob(x, mu, sigma)
    z2 = ((x - mu) / sigma) ** 2
    return {"forgetting the -log sigma term": log_p + np.log(sigma),
            "using sigma as the variance": torch_log_prob(x, mu, np.sqrt(sigma)),
            "using log(2π) instead of log √(2π)": log_p - 0.5 * math.log(2 * math.pi),
            "forgetting the 1/2 in -(x - mu)² / (2 sigma²)": log_p - 0.5 * z2,
            "the negative log density": -log_p}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("mu, sigma", PARAMS)
@pytest.mark.parametrize("shape", [(7,), (3, 4)])
def test_matches_torch(student, shape, mu, sigma, seed):
    """matches Normal({mu}, {sigma}).log_prob on shape {shape} (seed {seed})"""
    x = mu + normal(seed, *shape, scale=2.0 * sigma)
    expect_close(student.gaussian_log_pdf(x, mu, sigma), torch_log_prob(x, mu, sigma),
                 tol=FLOAT64, what=f"gaussian_log_pdf(x, {mu}, {sigma}) of shape {shape}",
                 known_mistakes=mistakes(x, mu, sigma))


def test_broadcasts_parameters(student):
    """mu and sigma may be arrays that broadcast with x, as in torch"""
    x = normal(3, 3, 4)
    mu, sigma = normal(4, 4), uniform(5, 4, low=0.5, high=2.0)
    expect_close(student.gaussian_log_pdf(x, mu, sigma), torch_log_prob(x, mu, sigma),
                 tol=FLOAT64, what="gaussian_log_pdf with mu and sigma of shape (4,)",
                 known_mistakes=mistakes(x, mu, sigma))


@pytest.mark.weight(2)
def test_far_tail(student):
    """finite and without a warning 1000 standard deviations from the mean"""
    x = np.array([-100.0, 0.0, 1.0, 100.0])
    got = stable_call(student, "gaussian_log_pdf", x, 0.0, 0.1, hint=STABLE, about=ABOUT)
    expect_close(got, torch_log_prob(x, 0.0, 0.1), tol=FLOAT64,
                 what="gaussian_log_pdf(x, 0, 0.1) far in the tail",
                 known_mistakes=mistakes(x, 0.0, 0.1))
