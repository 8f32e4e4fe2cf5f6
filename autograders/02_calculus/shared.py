"""What several 02_calculus graders share: the shapes of elementwise inputs, autograd of an
activation (the derivative graders) and the trajectory of torch.optim.SGD (gradient_descent
and sgd_momentum)."""

import torch

from dlmath.kit import FLOAT64, expect_matches, lookup, reference, sgd_step

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
                   mistakes=mistakes(x))


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
