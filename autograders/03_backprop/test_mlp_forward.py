"""mlp_forward(X, params): Linear -> ReLU -> Linear, params {"W1", "b1", "W2", "b2"}."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_matches, normal, reference

from .shared import make_params, torch_mlp_forward

# (N, in, hidden, out)
SIZES = [(4, 3, 5, 2), (1, 2, 3, 1), (6, 4, 4, 4), (3, 5, 2, 3)]


@reference
def torch_mlp(X, params):
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    return torch_mlp_forward(torch.from_numpy(X), p).numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(X, p):
    Z1 = X @ p["W1"].T + p["b1"]
    A1 = np.maximum(Z1, 0)
    return {"forgetting the ReLU": Z1 @ p["W2"].T + p["b2"],
            "a ReLU after the output layer too": np.maximum(A1 @ p["W2"].T + p["b2"], 0),
            "forgetting the biases": np.maximum(X @ p["W1"].T, 0) @ p["W2"].T,
            "a sigmoid instead of the ReLU": 1 / (1 + np.exp(-Z1)) @ p["W2"].T + p["b2"]}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "N{}-in{}-h{}-out{}".format(*s))
def test_matches_torch(student, sizes, seed):
    """matches a torch forward with N, in, hidden, out = {sizes} (seed {seed})"""
    n, fan_in, hidden, fan_out = sizes
    X, params = normal(seed + 20, n, fan_in), make_params(seed, fan_in, hidden, fan_out)
    expect_matches(student.mlp_forward(X, params), torch_mlp(X, params), tol=FLOAT64,
                   what=f"mlp_forward with X {X.shape}, W1 {params['W1'].shape}, W2 "
                   f"{params['W2'].shape}", mistakes=mistakes(X, params))


# b2 repeated in every row, without the forward pass, also gives it.
@pytest.mark.property
def test_dead_hidden_layer(student):
    """gives b2 in every row when every hidden unit is negative"""
    X, params = np.abs(normal(3, 4, 3)), make_params(3, 3, 5, 2)
    params["W1"], params["b1"] = -np.abs(params["W1"]), -np.abs(params["b1"]) - 0.1
    expect_matches(student.mlp_forward(X, params), torch_mlp(X, params), tol=FLOAT64,
                   what="mlp_forward with a dead hidden layer", mistakes=mistakes(X, params))
