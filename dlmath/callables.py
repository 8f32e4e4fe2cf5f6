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
