"""sgd_momentum(grad_f, x0, lr, momentum, n_steps): torch.optim.SGD(momentum=...).

Torch's formulation: v = momentum * v + g (v starts at 0, so the first v is g), then
x = x - lr * v. The answer is the trajectory, shape (n_steps + 1, *x0.shape), x0 first.
"""

import numpy as np
import pytest

from dlmath.kit import (
    ACCUMULATED,
    DOUBLE_WELL_GRAD,
    LOG_SUM_EXP_GRAD,
    RAVINE_GRAD,
    SEEDS,
    SHIFTED_BOWL_GRAD,
    expect_matches,
    normal,
)

from .shared import apart, torch_sgd

# (grad_f, x0 shape, lr, momentum, n_steps)
RUNS = [(SHIFTED_BOWL_GRAD, (3,), 0.1, 0.9, 12), (RAVINE_GRAD, (2,), 0.02, 0.9, 20),
        (RAVINE_GRAD, (2, 3), 0.05, 0.5, 15), (DOUBLE_WELL_GRAD, (4,), 0.05, 0.8, 20),
        (LOG_SUM_EXP_GRAD, (2, 2), 0.5, 0.3, 8)]


def run_id(run):
    f, shape, lr, momentum, n = run
    return f"{f.name}-{'x'.join(map(str, shape))}-lr{lr}-mu{momentum}-n{n}"


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(grad_f, x0, lr, mu, n_steps):
    """Trajectories of the usual slips, with the numpy grad_f the student calls."""
    def run(step):
        x, v, path = x0, np.zeros_like(x0), [x0]
        for _ in range(n_steps):
            x, v = step(x, v, grad_f(x))
            path.append(x)
        return np.array(path)

    def nesterov(x, v, g):
        v = mu * v + g
        return x - lr * (g + mu * v), v

    def late():  # x moves first, then v takes the gradient at the new x
        x, v, path = x0, np.zeros_like(x0), [x0]
        for _ in range(n_steps):
            x = x - lr * v
            v = mu * v + grad_f(x)
            path.append(x)
        return np.array(path)

    right = run(lambda x, v, g: (x - lr * (mu * v + g), mu * v + g))
    return {
        "the dampened convention v = momentum * v + (1 - momentum) * g":
            run(lambda x, v, g: (x - lr * (mu * v + (1 - mu) * g), mu * v + (1 - mu) * g)),
        "x = x - lr * v before v = momentum * v + g (the update uses the velocity from "
        "before this step)": run(lambda x, v, g: (x - lr * v, mu * v + g)),
        "x = x - lr * v before v = momentum * v + grad_f(x) (the update uses the velocity "
        "from before this step: every point comes one step late)": late(),
        "Nesterov momentum (torch's nesterov=True)": run(nesterov),
        "x + lr * v, which climbs the loss (the sign)":
            run(lambda x, v, g: (x + lr * (mu * v + g), mu * v + g)),
        "plain gradient descent (the momentum is ignored)":
            run(lambda x, v, g: (x - lr * g, v)),
        "a trajectory without x0 as its first row (it has n_steps + 1 rows)": right[1:],
    }


def check(student, grad_f, x0, lr, momentum, n_steps):
    expect_matches(student.sgd_momentum(grad_f, x0, lr, momentum, n_steps),
                   torch_sgd(grad_f.name, x0, lr, n_steps, momentum), tol=ACCUMULATED,
                   what=f"sgd_momentum({grad_f.name}, x0 of shape {x0.shape}, lr={lr}, "
                   f"momentum={momentum}, n_steps={n_steps})",
                   mistakes=apart(mistakes(grad_f, x0, lr, momentum, n_steps), ACCUMULATED))


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("run", RUNS, ids=run_id)
def test_matches_sgd_momentum(student, run, seed):
    """matches torch.optim.SGD(momentum={run[3]}) step for step: {run[0].name}, lr = {run[2]}, {run[4]} steps (seed {seed})"""  # noqa: E501
    grad_f, shape, lr, momentum, n_steps = run
    check(student, grad_f, normal(seed, *shape), lr, momentum, n_steps)


def test_zero_momentum(student):
    """momentum = 0 is plain gradient descent"""
    check(student, RAVINE_GRAD, normal(3, 2), 0.05, 0.0, 6)


# The answer is x0 alone: returning it passes, so the check counts as far as the values do.
@pytest.mark.property
@pytest.mark.weight(2)
def test_zero_steps(student):
    """n_steps = 0 gives just x0, shape (1, *x0.shape)"""
    check(student, SHIFTED_BOWL_GRAD, normal(4, 3, 2), 0.1, 0.9, 0)


# The answer is x0 in every row: repeating x0 passes, as in the case above.
@pytest.mark.property
def test_zero_learning_rate(student):
    """lr = 0 repeats x0 in every row"""
    check(student, DOUBLE_WELL_GRAD, normal(5, 3), 0.0, 0.9, 4)


def test_called_twice(student):
    """gives the same trajectory when called twice: no velocity kept between calls"""
    x0 = normal(6, 2)
    for _ in range(2):
        check(student, SHIFTED_BOWL_GRAD, x0, 0.1, 0.9, 5)
