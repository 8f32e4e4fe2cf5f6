"""temperature_softmax(logits, temperature): torch.softmax(logits / T) over the last axis."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference, stable_call

TEMPERATURES = [0.5, 1.0, 2.0, 10.0]
STABLE = "divide by T, then subtract the max before exp: a small T makes the logits huge"
ABOUT = ("exp", "divide")  # what the advice is about: a warning from anything else gets none


@reference
def torch_temperature_softmax(logits, temperature):
    return torch.softmax(torch.from_numpy(logits) / temperature, dim=-1).numpy()


@reference
def mistakes(logits, t):
    p = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
    sharpened = p ** (1.0 / t)
    wrong = {"multiplying the logits by T instead of dividing":
             torch_temperature_softmax(logits, 1.0 / t),
             "raising the probabilities to 1/T without renormalizing": sharpened,
             "ignoring the temperature": p}
    if logits.ndim == 2:
        wrong["normalizing over axis 0"] = torch.softmax(torch.from_numpy(logits) / t,
                                                         dim=0).numpy()
    return wrong


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("temperature", TEMPERATURES)
@pytest.mark.parametrize("shape", [(6,), (3, 5)], ids=str)
def test_matches_torch(student, shape, temperature, seed):
    """matches torch.softmax(logits / {temperature}) on shape {shape} (seed {seed})"""
    logits = normal(seed, *shape, scale=2.0)
    expect_close(student.temperature_softmax(logits, temperature),
                 torch_temperature_softmax(logits, temperature), tol=FLOAT64,
                 what=f"temperature_softmax(logits {shape}, {temperature})",
                 known_mistakes=mistakes(logits, temperature))


@pytest.mark.weight(2)
@pytest.mark.parametrize("temperature", [0.01, 0.05])
def test_small_temperature_is_stable(student, temperature):
    """T={temperature} nearly picks the argmax, without overflow or warning"""
    logits = np.array([[10.0, 9.5, -10.0], [-3.0, 8.0, 7.9]])
    got = stable_call(student, "temperature_softmax", logits, temperature, hint=STABLE, about=ABOUT)
    expect_close(got, torch_temperature_softmax(logits, temperature), tol=FLOAT64,
                 what=f"temperature_softmax(logits, {temperature})",
                 known_mistakes=mistakes(logits, temperature))


def test_large_temperature_flattens(student):
    """T=1000 is almost uniform"""
    logits = normal(3, 2, 4)
    expect_close(student.temperature_softmax(logits, 1000.0),
                 torch_temperature_softmax(logits, 1000.0), tol=FLOAT64,
                 what="temperature_softmax(logits, 1000)", known_mistakes=mistakes(logits, 1000.0))
