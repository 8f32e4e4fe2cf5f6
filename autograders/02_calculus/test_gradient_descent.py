"""gradient_descent(grad_f, x0, lr, n_steps): the trajectory of torch.optim.SGD, x0 first.

grad_f is a grader function; the reference runs torch.optim.SGD's update (from
dlmath.engine.torch_refs) with its torch twin, autograd of the same loss. The answer has shape
(n_steps + 1, *x0.shape).
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

# (grad_f, x0 shape, lr, n_steps): converging, oscillating, diverging, non-quadratic.
RUNS = [(SHIFTED_BOWL_GRAD, (3,), 0.1, 10), (RAVINE_GRAD, (2,), 0.05, 20),
        (RAVINE_GRAD, (2, 3), 0.09, 15), (RAVINE_GRAD, (2,), 0.11, 12),
        (DOUBLE_WELL_GRAD, (4,), 0.1, 25), (LOG_SUM_EXP_GRAD, (2, 2), 0.5, 8)]


def run_id(run):
    f, shape, lr, n = run
    return f"{f.name}-{'x'.join(map(str, shape))}-lr{lr}-n{n}"


@np.errstate(all="ignore")  # a wrong answer may overflow: no warning from the grader
def mistakes(grad_f, x0, lr, n_steps):
    """Trajectories of the usual slips, with the numpy grad_f the student calls."""
    def descend(update):
        path = [x0]
        for _ in range(n_steps):
            path.append(update(path[-1]))
        return np.array(path)

    right = descend(lambda x: x - lr * grad_f(x))
    return {
        "the update x + lr * grad, which climbs the loss (the update's sign: descent "
        "is x - lr * grad)":
            descend(lambda x: x + lr * grad_f(x)),
        "the gradient at x0 reused for every step": descend(lambda x: x - lr * grad_f(x0)),
        "one array appended and then updated in place (every row is the last point)":
            np.broadcast_to(right[-1], right.shape),
        "a trajectory without x0 as its first row (it has n_steps + 1 rows)": right[1:],
        "one step too many (n_steps + 2 rows)":
            np.concatenate([right, [right[-1] - lr * grad_f(right[-1])]]),
    }


def check(student, grad_f, x0, lr, n_steps):
    expect_matches(student.gradient_descent(grad_f, x0, lr, n_steps),
                   torch_sgd(grad_f.name, x0, lr, n_steps), tol=ACCUMULATED,
                   what=f"gradient_descent({grad_f.name}, x0 of shape {x0.shape}, lr={lr}, "
                   f"n_steps={n_steps})",
                   mistakes=apart(mistakes(grad_f, x0, lr, n_steps), ACCUMULATED))


# First, so that its message is read first: a few small steps stay finite whatever their
# sign, so a climbing update is named as itself here, before the long runs below blow up to
# inf (where the message starts from the overflow).
def test_first_steps(student):
    """takes its first steps downhill, x1 = x0 - lr * grad_f(x0): shifted_bowl_grad, lr = 0.05, 3 steps"""  # noqa: E501
    check(student, SHIFTED_BOWL_GRAD, normal(7, 3), 0.05, 3)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("run", RUNS, ids=run_id)
def test_matches_sgd(student, run, seed):
    """matches torch.optim.SGD step for step: {run[0].name}, x0 of shape {run[1]}, lr = {run[2]}, {run[3]} steps (seed {seed})"""  # noqa: E501
    grad_f, shape, lr, n_steps = run
    check(student, grad_f, normal(seed, *shape), lr, n_steps)


# The answer is x0 alone: returning it passes, so the check counts as far as the values do.
@pytest.mark.property
@pytest.mark.weight(2)
def test_zero_steps(student):
    """n_steps = 0 gives just x0, shape (1, *x0.shape)"""
    check(student, SHIFTED_BOWL_GRAD, normal(3, 2, 3), 0.1, 0)


# The answer is x0 in every row: repeating x0 passes, as in the case above.
@pytest.mark.property
def test_zero_learning_rate(student):
    """lr = 0 repeats x0 in every row"""
    check(student, RAVINE_GRAD, normal(4, 3), 0.0, 4)


def test_called_twice(student):
    """gives the same trajectory when called twice"""
    x0 = normal(5, 2)
    for _ in range(2):
        check(student, DOUBLE_WELL_GRAD, x0, 0.2, 6)
