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


@reference
def mistakes(X, W, b):
    """What the layers students get wrong give, on these inputs (where the shapes let the
    mistake run without an error)."""
    Xt, Wt, bt = torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b)
    found = {"forgetting the bias b": torch_linear(X, W, 0 * b),
             "subtracting the bias b": torch_linear(X, W, -b)}
    if W.shape[0] == W.shape[1]:  # in == out: X @ W runs, and is wrong
        found["X @ W + b, without the transpose of W (use W.T)"] = (Xt @ Wt + bt).numpy()
    if X.shape[0] == W.shape[0]:  # N == out: a column b broadcasts
        found["adding b as a column (b.reshape(-1, 1)): one bias per row of Z, not per "
              "column"] = (Xt @ Wt.T + bt[:, None]).numpy()
    return found


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "N{}-in{}-out{}".format(*s))
def test_matches_torch(student, sizes, seed):
    """matches F.linear with N, in, out = {sizes} (seed {seed})"""
    n, fan_in, fan_out = sizes
    X, W, b = normal(seed, n, fan_in), normal(seed + 1, fan_out, fan_in), normal(seed + 2,
                                                                                  fan_out)
    expect_close(student.linear_forward(X, W, b), torch_linear(X, W, b), tol=FLOAT64,
                 what=f"linear_forward with X {X.shape}, W {W.shape}, b {b.shape}",
                 known_mistakes=mistakes(X, W, b))


@pytest.mark.property  # b copied onto every row, ignoring X and W, also passes
def test_zero_weights_give_bias(student):
    """with W = 0 every row of Z is b"""
    X, W, b = normal(1, 3, 4), 0.0 * normal(1, 2, 4), normal(2, 2)
    expect_close(student.linear_forward(X, W, b), torch_linear(X, W, b), tol=FLOAT64,
                 what="linear_forward with W = 0",
                 known_mistakes={"subtracting the bias b": torch_linear(X, W, -b)})
