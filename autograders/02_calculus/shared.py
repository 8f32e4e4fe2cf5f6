"""What several 02_calculus graders share: the shapes of elementwise inputs, autograd of an
activation (the derivative graders), the trajectory of torch.optim.SGD (gradient_descent
and sgd_momentum) and `apart`, which keeps a known mistake from being named for another."""

import numpy as np
import torch

from dlmath.kit import FLOAT64, Tolerance, expect_matches, lookup, reference, sgd_step

SHAPES = [(7,), (3, 4), (2, 3, 2)]  # of the elementwise functions' inputs


@reference
def torch_activation_grad(activation, x):
    """d torch.<activation>(x) / dx, entry by entry, by autograd."""
    t = torch.tensor(x, requires_grad=True)
    getattr(torch, activation)(t).sum().backward()
    return t.grad.numpy()


def expect_derivative(student, activation, x, what, mistakes):
    """`<activation>_derivative(x)` against autograd, naming the mistake it matches."""
    expect_matches(student.call(f"{activation}_derivative", x),
                   torch_activation_grad(activation, x), tol=FLOAT64, what=what,
                   mistakes=apart(mistakes(x), FLOAT64))


def apart(mistakes, tol):
    """The known mistakes of one input, those that give the same values on it under one
    label ("A or B"): where two mistakes agree (s(1 + s) and 1 - s^2 both give 3/4 at
    x = 0), naming either alone could name the one the student did not make."""
    groups: list[tuple[list[str], np.ndarray]] = []
    for label, value in mistakes.items():
        value = np.asarray(value, dtype=np.float64)
        same = next((labels for labels, seen in groups if _alike(seen, value, tol)), None)
        if same is None:
            groups.append(([label], value))
        else:
            same.append(label)
    return {" or ".join(labels): value for labels, value in groups}


def _alike(a, b, tol: Tolerance) -> bool:
    return a.shape == b.shape and bool(np.allclose(
        a, b, rtol=max(tol.rtol, 1e-9), atol=max(tol.atol, 1e-12), equal_nan=True))


@reference
def torch_sgd(name, x0, lr, n_steps, momentum=0.0):
    """x0 and the points torch.optim.SGD(lr=lr, momentum=momentum) steps to on the grader
    function `name` (a gradient), one row each."""
    grad_f, param, buffers = lookup(name).torch, torch.tensor(x0), [None]
    path = [param.clone()]
    for _ in range(n_steps):
        sgd_step([param], [grad_f(param)], buffers, lr=lr, momentum=momentum)
        path.append(param.clone())
    return torch.stack(path).numpy()
