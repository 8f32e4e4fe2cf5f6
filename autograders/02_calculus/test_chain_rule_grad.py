"""chain_rule_grad(w, x, y): dL/dw for L(w) = (sigmoid(w . x) - y)^2, against autograd.

z = w . x, a = sigmoid(z), L = (a - y)^2, so dL/dw = 2 (a - y) sigmoid'(z) x.
"""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_matches, normal, reference, uniform


@reference
def torch_chain_rule(w, x, y):
    wt = torch.tensor(w, requires_grad=True)
    loss = (torch.sigmoid(wt @ torch.from_numpy(x)) - y) ** 2
    loss.backward()
    return wt.grad.numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(w, x, y):
    a = 1.0 / (1.0 + np.exp(-np.dot(w, x)))
    return {"dropping the factor 2 of the square's derivative": (a - y) * a * (1 - a) * x,
            "skipping sigmoid'(z), the derivative of the sigmoid": 2 * (a - y) * x,
            "(y - sigmoid(z)) instead of (sigmoid(z) - y) (the sign)":
                2 * (y - a) * a * (1 - a) * x,
            "multiplying by w instead of x (dz/dw = x)": 2 * (a - y) * a * (1 - a) * w,
            "z (1 - z) for sigmoid'(z) (the output formula applied to the input z)":
                2 * (a - y) * np.dot(w, x) * (1 - np.dot(w, x)) * x}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [1, 3, 8])
def test_matches_autograd(student, n, seed):
    """matches loss.backward() for w and x of length {n} (seed {seed})"""
    w, x = normal(seed, n, scale=0.7), normal(seed + 10, n)
    y = float(uniform(seed + 20, 1, low=0.0, high=1.0)[0])
    expect_matches(student.chain_rule_grad(w, x, y), torch_chain_rule(w, x, y), tol=FLOAT64,
                   what=f"chain_rule_grad with w, x of length {n} and y = {y:.4g}",
                   mistakes=mistakes(w, x, y))


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_binary_targets(student, y):
    """works with the targets y = {y} of a binary classifier"""
    w, x = normal(3, 4), normal(4, 4)
    expect_matches(student.chain_rule_grad(w, x, y), torch_chain_rule(w, x, y), tol=FLOAT64,
                   what=f"chain_rule_grad with y = {y}", mistakes=mistakes(w, x, y))


# The gradient is about 0 here: zeros pass too, so the check counts as far as the values do.
@pytest.mark.property
def test_saturated_sigmoid(student):
    """vanishes when w . x = 40 saturates the sigmoid"""
    x = np.array([2.0, -1.0, 0.5])
    w = x * 40.0 / np.dot(x, x)
    expect_matches(student.chain_rule_grad(w, x, 0.0), torch_chain_rule(w, x, 0.0),
                   tol=FLOAT64, what="chain_rule_grad with w . x = 40")


# The gradient is 0 here: zeros (and w = 0 itself) pass too.
@pytest.mark.property
def test_at_the_minimum(student):
    """is 0 when sigmoid(w . x) = y already"""
    w, x = np.zeros(3), normal(6, 3)
    expect_matches(student.chain_rule_grad(w, x, 0.5), np.zeros(3), tol=FLOAT64,
                   what="chain_rule_grad with sigmoid(w . x) = y = 0.5",
                   mistakes=mistakes(w, x, 0.5))
