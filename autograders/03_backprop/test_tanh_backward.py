"""tanh_backward(dA, Z): dZ = dA * (1 - tanh(Z)^2), against autograd.

Z is the activation's input (the pre-activation), not its output A = tanh(Z).
"""

import numpy as np
import pytest
import torch

from dlmath.engine.calculus_checks import expect_matches
from dlmath.engine.compare import FLOAT64
from dlmath.engine.inputs import SEEDS, normal
from dlmath.engine.references import reference
from dlmath.engine.torch_refs import backward_from

SHAPES = [(4, 3), (1, 6), (5, 2)]


@reference
def torch_tanh_backward(dA, Z):
    Zt = torch.tensor(Z, requires_grad=True)
    backward_from(torch.tanh(Zt), dA)
    return Zt.grad.numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(dA, Z):
    t = np.tanh(Z)
    return {"dA * (1 - Z^2) (the output formula applied to the input Z)": dA * (1 - Z**2),
            "differentiating through the activation's output (tanh'(A) with A = tanh(Z) "
            "instead of tanh'(Z))": dA * (1 - np.tanh(t) ** 2),
            "1 - tanh(Z)^2 alone (the upstream gradient dA is not multiplied in)": 1 - t**2,
            "dA * (1 - tanh(Z)) (the square is missing)": dA * (1 - t)}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_autograd(student, shape, seed):
    """matches autograd of torch.tanh for shape {shape} (seed {seed})"""
    dA, Z = normal(seed, *shape), normal(seed + 10, *shape, scale=1.5)
    expect_matches(student.tanh_backward(dA, Z), torch_tanh_backward(dA, Z), tol=FLOAT64,
                   what=f"tanh_backward of shape {shape}", mistakes=mistakes(dA, Z))


@pytest.mark.weight(2)
def test_saturated(student):
    """passes about 0 (not NaN) where |Z| is large"""
    dA, Z = normal(4, 1, 6), np.array([[-500.0, -30.0, -3.0, 3.0, 30.0, 500.0]])
    expect_matches(student.tanh_backward(dA, Z), torch_tanh_backward(dA, Z), tol=FLOAT64,
                   what="tanh_backward with large |Z|", mistakes=mistakes(dA, Z))
