"""linear_forward_columns(W, X, b): the column convention Z = W X + b, X (in, N), b (out, 1)."""

import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference

SIZES = [(4, 3, 2), (1, 5, 3), (6, 2, 6), (3, 3, 3), (2, 1, 4)]


@reference
def torch_linear_columns(W, X, b):
    Xt, Wt, bt = torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b)
    return F.linear(Xt.T, Wt, bt.ravel()).T.numpy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "N{}-in{}-out{}".format(*s))
def test_matches_torch(student, sizes, seed):
    """matches F.linear(X.T, W, b).T with N, in, out = {sizes} (seed {seed})"""
    n, fan_in, fan_out = sizes
    W, X, b = normal(seed, fan_out, fan_in), normal(seed + 1, fan_in, n), normal(seed + 2,
                                                                                  fan_out, 1)
    expect_close(student.linear_forward_columns(W, X, b), torch_linear_columns(W, X, b),
                 tol=FLOAT64,
                 what=f"linear_forward_columns with W {W.shape}, X {X.shape}, b {b.shape}",
                 known_mistakes={"forgetting the bias b": torch_linear_columns(W, X, 0 * b)})
