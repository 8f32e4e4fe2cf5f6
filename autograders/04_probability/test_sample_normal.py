"""sample_normal(mu, sigma, size, rng): Box-Muller from uniforms, tested statistically.

False failures: each distribution case runs three tests (standard deviation, mean,
Kolmogorov-Smirnov), each failing a correct sampler with probability at most DELTA (see
dlmath/engine/stats.py for the inequalities). By the union bound a correct implementation
fails this grader with probability at most FALSE_FAILURE_BOUND = 3 * 3 * 1e-11 = 9e-11,
under 1e-9. The rng checks cannot fail a correct sampler: repeating a continuous draw has
probability 0.
"""

import math

import pytest

from dlmath.kit import (
    Forbidden,
    expect_draws,
    expect_normal,
    expect_sampler_honours_rng,
    generator,
    normal_cdf,
)

DELTA = 1e-11
# (mu, sigma, size, seed): 40 000 draws each.
DISTRIBUTIONS = [(0.0, 1.0, (40_000,), 10), (2.5, 0.5, (200, 200), 11),
                 (-3.0, 3.0, (40, 25, 40), 12)]
FALSE_FAILURE_BOUND = len(DISTRIBUTIONS) * 3 * DELTA
FORBIDDEN = Forbidden("sample_normal", ("rng.normal", "rng.standard_normal", "np.random"))


def draws(student, mu, sigma, size, seed):
    shape = (size,) if isinstance(size, int) else size
    return expect_draws(student.sample_normal(mu, sigma, size, generator(seed)), shape,
                        what=f"sample_normal({mu}, {sigma}, {size!r}, rng)")


@pytest.mark.weight(3)
@pytest.mark.parametrize("mu, sigma, size, seed", DISTRIBUTIONS,
                         ids=[f"N({m},{s})" for m, s, _, _ in DISTRIBUTIONS])
def test_distribution(student, mu, sigma, size, seed):
    """draws follow torch.distributions.Normal({mu}, {sigma}): std, mean, KS test"""
    x = draws(student, mu, sigma, size, seed)
    expect_normal(x, mu, sigma, cdf=normal_cdf(mu, sigma), delta=DELTA,
                  what=f"sample_normal({mu}, {sigma}, {size}, rng)",
                  known_stds=known_stds(sigma))


def known_stds(sigma):
    """The standard deviation each mistake gives; mistakes that give the same one (at
    sigma = 0.5 the unscaled draws and those of radius -2 ln u both have std 1) are named
    together, so that neither is named alone for the other."""
    stds = {"forgetting the 2 in √(-2 ln u)": sigma / math.sqrt(2),
            "scaling by sigma² instead of sigma": sigma**2,
            "forgetting to scale by sigma": 1.0,
            # -2 ln u is exponential with mean 2: E[(2 ln u)² cos²θ] = 8 / 2 = 4
            "forgetting the square root in √(-2 ln u) (the radius squared)": 2.0 * sigma}
    named: dict[str, float] = {}
    for label, std in stds.items():
        if math.isclose(std, sigma, rel_tol=1e-9):
            continue  # the right spread: the std test cannot tell it
        same = next((k for k, v in named.items() if math.isclose(v, std, rel_tol=1e-9)), None)
        if same is None:
            named[label] = std
        else:
            named[f"{same}, or {label},"] = named.pop(same)
    return named


# Constant draws have the right shape and dtype: worth only as much as the distribution is right.
@pytest.mark.property
@pytest.mark.parametrize("size", [7, (3, 5), (2, 3, 3), (1,)], ids=str)
def test_shape(student, size):
    """returns float64 draws of the requested size {size} (odd counts too)"""
    draws(student, 1.0, 2.0, size, seed=20)


# Plain rng.random(size) honours the rng too.
@pytest.mark.property
def test_rng_honoured(student):
    """draws come from rng: same seed, same draws; another seed or call, other draws"""
    expect_sampler_honours_rng(lambda rng: student.sample_normal(0.0, 1.0, (4, 5), rng),
                               lambda seed: draws(student, 0.0, 1.0, (4, 5), seed),
                               "sample_normal")


@pytest.mark.weight(14)  # all other checks together: half the points
def test_no_forbidden_calls(student):
    """builds normal draws from uniforms, without rng.normal, rng.standard_normal, np.random"""
    student.sample_normal(0.0, 1.0, 10, generator(50))
    FORBIDDEN.check(student.sources, student.traced)
