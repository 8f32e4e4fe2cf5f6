"""gradient_descent_step(w, grad, lr): W_new = W_old - lr * grad, one torch.optim.SGD step
(the functional update SGD.step() applies, see dlmath.engine.torch_refs)."""

import numpy as np
import pytest
import torch

from dlmath.kit import FLOAT64, SEEDS, expect_matches, normal, reference, sgd_step

SHAPES = [(3,), (2, 3), (4, 1)]
RATES = list(zip(SEEDS, [0.1, 0.01, 1.5], strict=True))  # (seed, lr): small, tiny, large


@reference
def torch_sgd_step(w, grad, lr):
    param = torch.tensor(w)
    sgd_step([param], [torch.from_numpy(grad)], [None], lr=lr)
    return param.numpy()


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(w, grad, lr):
    return {"adding the gradient (w + lr * grad): the sign of the update climbs the loss":
            w + lr * grad,
            "forgetting the learning rate (w - grad)": w - grad,
            "the step lr * grad alone, not the new weights": lr * grad,
            "dividing by the learning rate (w - grad / lr)": w - grad / lr if lr else w}


@pytest.mark.parametrize("seed, lr", RATES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_sgd(student, shape, seed, lr):
    """matches one torch.optim.SGD step, w of shape {shape}, lr = {lr} (seed {seed})"""
    w, grad = normal(seed, *shape), normal(seed + 10, *shape)
    expect_matches(student.gradient_descent_step(w, grad, lr), torch_sgd_step(w, grad, lr),
                   tol=FLOAT64, what=f"gradient_descent_step with w of shape {shape}, lr={lr}",
                   mistakes=mistakes(w, grad, lr))


# The answer is w itself: returning w passes, so the check counts as far as the values do.
@pytest.mark.property
def test_zero_learning_rate(student):
    """lr = 0 leaves the weights where they are"""
    w, grad = normal(3, 2, 2), normal(4, 2, 2)
    expect_matches(student.gradient_descent_step(w, grad, 0.0), w, tol=FLOAT64,
                   what="gradient_descent_step with lr=0", mistakes=mistakes(w, grad, 0.0))


# The answer is w itself, as in the case above.
@pytest.mark.property
def test_zero_gradient(student):
    """a zero gradient (a minimum) leaves the weights where they are"""
    w = normal(5, 3)
    expect_matches(student.gradient_descent_step(w, np.zeros(3), 0.5), w, tol=FLOAT64,
                   what="gradient_descent_step with a zero gradient")
