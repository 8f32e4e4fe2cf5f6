"""linear_forward_columns(W, X, b): the column convention Z = W X + b, X (in, N), b (out, 1)."""

import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, SEEDS, expect_close, normal, reference

# (N, in, out). N == out first: there a bias added as a row, (out,) or (1, out), broadcasts
# without an error, and the known mistake names it; elsewhere numpy's error does.
SIZES = [(6, 2, 6), (4, 3, 2), (1, 5, 3), (3, 3, 3), (2, 1, 4)]


@reference
def torch_linear_columns(W, X, b):
    Xt, Wt, bt = torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b)
    return F.linear(Xt.T, Wt, bt.ravel()).T.numpy()


@reference
def mistakes(W, X, b):
    """What the layers students get wrong give, on these inputs (where the shapes let the
    mistake run without an error)."""
    found = {"forgetting the bias b": torch_linear_columns(W, X, 0 * b)}
    if X.shape[1] == W.shape[0]:  # N == out: a row bias broadcasts
        Wt, Xt, bt = torch.from_numpy(W), torch.from_numpy(X), torch.from_numpy(b)
        found["adding b as a row (b.T or a flattened b; it must stay a column)"] = (
            Wt @ Xt + bt.T).numpy()
    return found


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
                 known_mistakes=mistakes(W, X, b))
