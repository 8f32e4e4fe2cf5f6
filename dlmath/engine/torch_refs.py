"""Torch references without torch's one-off import costs.

Grading an exercise must take well under half a second, but two torch entry points import
large libraries on their first use in a process:

- constructing `torch.optim.SGD` imports torch._dynamo (about a second); `SGD.step()` hands
  its work to the functional `torch.optim.sgd.sgd`, which `sgd_step` calls directly;
- `tensor.backward(gradient)` with an explicit upstream gradient imports sympy (about a
  third of a second); `backward_from` backpropagates the scalar `sum(output * gradient)`
  instead, whose gradient with respect to `output` is exactly `gradient`.

Both give the same numbers as the usual calls. torch is imported inside the functions, so
importing this module stays cheap.
"""

from __future__ import annotations

from typing import Any

from dlmath.callables import lookup
from dlmath.engine.references import reference


def sgd_step(params: list[Any], grads: list[Any], buffers: list[Any], *, lr: float,
             momentum: float = 0.0) -> None:
    """Update `params` in place as `torch.optim.SGD(params, lr, momentum).step()` does.

    `buffers` holds the momentum buffers between steps: start with `[None] * len(params)`.
    """
    import torch
    from torch.optim.sgd import sgd

    with torch.no_grad():
        sgd(params, grads, buffers, weight_decay=0.0, momentum=momentum, lr=lr, dampening=0.0,
            nesterov=False, maximize=False)


def backward_from(output: Any, gradient: Any) -> None:
    """`output.backward(gradient)` for a numpy upstream `gradient` of `output`'s shape."""
    import torch

    (output * torch.from_numpy(gradient)).sum().backward()


@reference
def central_gradient(name: str, x: Any, h: float) -> Any:
    """The central-difference gradient of the registered function `name` at x, step h."""
    import torch

    f, flat = lookup(name).torch, torch.from_numpy(x).reshape(-1)
    grad = torch.empty_like(flat)
    for i in range(flat.numel()):
        step = torch.zeros_like(flat)
        step[i] = h
        grad[i] = (f((flat + step).reshape(x.shape)) - f((flat - step).reshape(x.shape))) / (2 * h)
    return grad.reshape(x.shape).numpy()


@reference
def autograd_gradient(name: str, x: Any) -> Any:
    """The exact gradient of the registered function `name` at x, by autograd."""
    import torch

    t = torch.tensor(x, requires_grad=True)
    return torch.autograd.grad(lookup(name).torch(t), t)[0].numpy()
