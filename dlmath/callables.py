"""Grader-owned functions that graders pass to student code (the `f` of
`numerical_derivative(f, x)`, the `grad_f` of `gradient_descent`).

Each has a numpy form the student's code calls and a torch twin the reference uses. They
are public (nothing here is secret) and registered by name, so the sealed worker can run
them when the grader sends only the name across the boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

REGISTRY: dict[str, GraderFunction] = {}


@dataclass(frozen=True)
class GraderFunction:
    name: str
    numpy: Callable[..., Any]
    torch: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.numpy(*args, **kwargs)

    @property
    def __name__(self) -> str:  # shown in feedback as the argument's name
        return self.name


def register(name: str, numpy_fn: Callable[..., Any], torch_fn: Callable[..., Any]
             ) -> GraderFunction:
    if name in REGISTRY:
        raise ValueError(f"grader function {name!r} registered twice")
    REGISTRY[name] = GraderFunction(name, numpy_fn, torch_fn)
    return REGISTRY[name]


def lookup(name: str) -> GraderFunction:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no grader function named {name!r}") from None


# --- the functions graders hand to student code -----------------------------------------
# Each numpy form is what the student's code calls; its torch twin (torch imported inside,
# so this module stays cheap to import) is what the reference calls. Keep the two in step.

def _torch():
    import torch

    return torch


# Elementwise f: R -> R, for numerical_derivative(f, x) with x a scalar or an array.

def _cubic(x):
    return x**3 - 2.0 * x


def _sin_plus_square(x):
    return np.sin(x) + x**2


def _sin_plus_square_torch(x):
    return _torch().sin(x) + x**2


def _softplus(x):
    return np.logaddexp(0.0, x)


def _softplus_torch(x):
    torch = _torch()
    return torch.logaddexp(torch.zeros_like(x), x)


def _gaussian_bump(x):
    return np.exp(-0.5 * x**2)


def _gaussian_bump_torch(x):
    return _torch().exp(-0.5 * x**2)


CUBIC = register("cubic", _cubic, _cubic)  # operators only: the same code serves both
SIN_PLUS_SQUARE = register("sin_plus_square", _sin_plus_square, _sin_plus_square_torch)
SOFTPLUS = register("softplus", _softplus, _softplus_torch)
GAUSSIAN_BUMP = register("gaussian_bump", _gaussian_bump, _gaussian_bump_torch)


# Scalar-valued f: array of any shape -> number, for numerical_gradient and gradient_check.

def _sum_of_squares(x):
    return float(np.sum(np.square(x)))


def _sum_of_squares_torch(x):
    return (x**2).sum()


def _rosenbrock(x):
    # Couples neighbours in the flattened array: a coordinate mix-up changes the answer.
    v = np.ravel(x)
    return float(np.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1.0 - v[:-1]) ** 2))


def _rosenbrock_torch(x):
    v = x.reshape(-1)
    return (100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1.0 - v[:-1]) ** 2).sum()


def _log_sum_exp(x):
    v = np.ravel(x)
    m = np.max(v)
    return float(m + np.log(np.sum(np.exp(v - m))))


def _log_sum_exp_torch(x):
    return _torch().logsumexp(x.reshape(-1), dim=0)


def _quartic_bowl(x):
    # Even in every coordinate: where x_i = 0 both central-difference terms are bitwise
    # equal, so the numerical and the analytic gradient are exactly 0 there.
    return float(np.sum(x**4 / 4.0 + x**2))


def _quartic_bowl_torch(x):
    return (x**4 / 4.0 + x**2).sum()


SUM_OF_SQUARES = register("sum_of_squares", _sum_of_squares, _sum_of_squares_torch)
ROSENBROCK = register("rosenbrock", _rosenbrock, _rosenbrock_torch)
LOG_SUM_EXP = register("log_sum_exp", _log_sum_exp, _log_sum_exp_torch)
QUARTIC_BOWL = register("quartic_bowl", _quartic_bowl, _quartic_bowl_torch)


# Gradients grad_f: array -> array of its shape, for gradient_descent and sgd_momentum.
# The torch twin is autograd of the torch loss, so the reference never trusts the numpy
# formula.

def _autograd_of(loss_torch):
    def grad(x):
        torch = _torch()
        x = x.detach().clone().requires_grad_(True)
        return torch.autograd.grad(loss_torch(x), x)[0]

    return grad


def _shifted_bowl_grad(x):
    return 2.0 * (x - 1.0)


def _shifted_bowl_torch(x):
    return ((x - 1.0) ** 2).sum()


def _ravine_scale(size):
    # 1 at even flat indices and 10 at odd ones: a narrow valley, like x^2 + 10 y^2.
    return np.where(np.arange(size) % 2 == 0, 1.0, 10.0)


def _ravine_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return 2.0 * _ravine_scale(x.size).reshape(x.shape) * x


def _ravine_torch(x):
    torch = _torch()
    scale = torch.from_numpy(_ravine_scale(x.numel())).reshape(x.shape)
    return (scale * x**2).sum()


def _double_well_grad(x):
    return x**3 - x


def _double_well_torch(x):
    return (x**4 / 4.0 - x**2 / 2.0).sum()


def _log_sum_exp_grad(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


SHIFTED_BOWL_GRAD = register("shifted_bowl_grad", _shifted_bowl_grad,
                             _autograd_of(_shifted_bowl_torch))
RAVINE_GRAD = register("ravine_grad", _ravine_grad, _autograd_of(_ravine_torch))
DOUBLE_WELL_GRAD = register("double_well_grad", _double_well_grad,
                            _autograd_of(_double_well_torch))
LOG_SUM_EXP_GRAD = register("log_sum_exp_grad", _log_sum_exp_grad,
                            _autograd_of(_log_sum_exp_torch))
