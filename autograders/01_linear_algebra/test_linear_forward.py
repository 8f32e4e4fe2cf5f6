"""linear_forward(X, W, b): a dense layer, Z = X W^T + b, as torch.nn.functional.linear."""

import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference

# (N, in, out): batch size, input features, output features.
SIZES = [(4, 3, 2), (1, 5, 3), (6, 2, 6), (3, 3, 3), (2, 1, 4)]


@reference
def torch_linear(X, W, b):
    return F.linear(torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b)).numpy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "N{}-in{}-out{}".format(*s))
def test_matches_torch(student, sizes, seed):
    """matches F.linear with N, in, out = {sizes} (seed {seed})"""
    n, fan_in, fan_out = sizes
    X, W, b = normal(seed, n, fan_in), normal(seed + 1, fan_out, fan_in), normal(seed + 2,
                                                                                  fan_out)
    expect_close(student.linear_forward(X, W, b), torch_linear(X, W, b), tol=FLOAT64,
                 what=f"linear_forward with X {X.shape}, W {W.shape}, b {b.shape}",
                 known_mistakes={"forgetting the bias b": torch_linear(X, W, 0 * b)})


@pytest.mark.property  # b copied onto every row, ignoring X and W, also passes
def test_zero_weights_give_bias(student):
    """with W = 0 every row of Z is b"""
    X, W, b = normal(1, 3, 4), 0.0 * normal(1, 2, 4), normal(2, 2)
    expect_close(student.linear_forward(X, W, b), torch_linear(X, W, b), tol=FLOAT64,
                 what="linear_forward with W = 0")
