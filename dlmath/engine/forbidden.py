"""Forbidden calls: "transpose without .T" checked in the code and while it runs.

The static check reads the student's function (and the student's own helpers it calls)
from the notebook's source. The runtime check hands the function traced arrays that
record which numpy operations touched them, which catches `getattr(np, "dot")` and other
spellings the source check cannot see.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from dlmath.engine.errors import CheckFailed

# What a student writes -> the operation key it uses.
OPERATIONS = {
    ".T": "T", "np.transpose": "transpose", ".transpose()": "transpose",
    "np.swapaxes": "swapaxes", ".swapaxes()": "swapaxes", "np.moveaxis": "moveaxis",
    "@": "matmul", "np.matmul": "matmul", "np.dot": "dot", ".dot()": "dot",
    "np.einsum": "einsum", "np.tensordot": "tensordot", "np.inner": "inner",
    "rng.normal": "rng.normal", "rng.standard_normal": "rng.standard_normal",
    "np.random": "np.random",
}
# An attribute in the source -> the operation key it stands for.
_ATTRIBUTE_KEYS = {key: key for key in OPERATIONS.values() if "." not in key} | {
    "normal": "rng.normal", "standard_normal": "rng.standard_normal"}


@dataclass(frozen=True)
class Use:
    operation: str
    where: str

    def __str__(self) -> str:
        return f"{self.operation} ({self.where})"


@dataclass
class Forbidden:
    """The operations `function` must not use, as CURRICULUM.md's "without X" lists them."""

    function: str
    names: tuple[str, ...]
    weight: float = 1.0
    keys: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        unknown = [n for n in self.names if n not in OPERATIONS]
        if unknown:
            raise ValueError(f"unknown forbidden operations {unknown}; known: {list(OPERATIONS)}")
        self.keys = frozenset(OPERATIONS[n] for n in self.names)

    def label(self, key: str) -> str:
        return DYNAMIC if key == DYNAMIC else " / ".join(
            n for n in self.names if OPERATIONS[n] == key)

    def scan(self, sources: Iterable[str]) -> list[Use]:
        """Forbidden operations written in the function or the student helpers it calls."""
        functions = _top_level_functions(sources)
        uses: list[Use] = []
        for name in _reachable(self.function, functions):
            for key, line in functions[name].operations:
                if key in self.keys or key == DYNAMIC:
                    where = f"line {line} of {name}" if name == self.function else \
                        f"in your helper {name}, line {line}"
                    uses.append(Use(self.label(key), where))
        return uses

    def check(self, sources: Iterable[str], traced: Iterable[str]) -> None:
        """Raise CheckFailed naming each forbidden operation found statically or at run time."""
        uses = [str(u) for u in self.scan(sources)]
        uses += [f"{self.label(k)} (seen while it ran)" for k in sorted(set(traced) & self.keys)
                 if not any(u.startswith(self.label(k)) for u in uses)]
        if uses:
            raise CheckFailed(
                f"{self.function} uses {', '.join(uses)}. This exercise asks you to build it "
                f"yourself: {', '.join(self.names)} are not allowed here.")


@dataclass(frozen=True)
class _Function:
    """What the scan needs of a top-level function: its operations, and the names it refers
    to, in the order they appear (the helpers it may call)."""

    operations: tuple[tuple[str, int], ...]
    names: tuple[str, ...]


def _top_level_functions(sources: Iterable[str]) -> dict[str, _Function]:
    """The last definition of each top-level function across the cells, as Python runs them."""
    functions: dict[str, _Function] = {}
    for source in sources:
        functions.update(_cell_functions(source))
    return functions


# A notebook's exercises scan the same cells, and most cells (those students leave as
# released) are the same from one notebook to the next: each is read once per process. What
# is kept is the little the scan needs, not the cell's syntax tree.
@functools.lru_cache(maxsize=1024)
def _cell_functions(source: str) -> tuple[tuple[str, _Function], ...]:
    """The top-level functions one cell defines, in order (none if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    return tuple((node.name, _Function(tuple(_operations_in(node)), tuple(
        n.id for n in ast.walk(node) if isinstance(n, ast.Name))))
        for node in tree.body if isinstance(node, ast.FunctionDef))


def _reachable(start: str, functions: dict[str, _Function]) -> list[str]:
    seen, todo = [], [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.append(name)
        todo += functions[name].names
    return seen


# Lookups by a computed name hide what runs from both checks (the runtime trace lives in the
# student's process and a plain view of an argument escapes it): not allowed where X is not.
DYNAMIC_CALLS = {"getattr", "eval", "exec", "compile", "__import__", "vars", "globals"}
DYNAMIC = "a lookup by computed name (getattr, eval, ...)"


def _operations_in(node: ast.AST) -> Iterable[tuple[str, int]]:
    imported = _names_imported_from_numpy(node)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and (
                sub.func.id in DYNAMIC_CALLS):
            yield DYNAMIC, sub.lineno
        elif isinstance(sub, ast.Attribute) and sub.attr in ("__getattribute__", "__dict__"):
            yield DYNAMIC, sub.lineno
        elif isinstance(sub, ast.BinOp | ast.AugAssign) and isinstance(sub.op, ast.MatMult):
            yield "matmul", sub.lineno
        elif isinstance(sub, ast.Attribute):
            yield from _attribute_operation(sub)
        elif isinstance(sub, ast.Name) and sub.id in imported:
            yield _ATTRIBUTE_KEYS.get(imported[sub.id], imported[sub.id]), sub.lineno


def _attribute_operation(node: ast.Attribute) -> Iterable[tuple[str, int]]:
    if node.attr == "random" and isinstance(node.value, ast.Name) and node.value.id in (
            "np", "numpy"):
        yield "np.random", node.lineno
    elif node.attr in _ATTRIBUTE_KEYS:
        yield _ATTRIBUTE_KEYS[node.attr], node.lineno


def _names_imported_from_numpy(node: ast.AST) -> dict[str, str]:
    names = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("numpy"):
            for alias in sub.names:
                names[alias.asname or alias.name] = alias.name
    return names


class TracedArray(np.ndarray):
    """An ndarray that records the numpy operations applied to it (and its derivatives)."""

    log: ClassVar[set[str]] = set()

    def __array_function__(self, func, types, args, kwargs):
        TracedArray.log.add(func.__name__)
        return super().__array_function__(func, types, args, kwargs)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        TracedArray.log.add(ufunc.__name__)
        plain = [x.view(np.ndarray) if isinstance(x, TracedArray) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, TracedArray) else o
                                  for o in kwargs["out"])
        result = getattr(ufunc, method)(*plain, **kwargs)
        return _retrace(result)

    @property
    def T(self):  # noqa: N802 - numpy's name
        TracedArray.log.add("T")
        return super().T

    def transpose(self, *axes):
        TracedArray.log.add("transpose")
        return super().transpose(*axes)

    def swapaxes(self, a, b):
        TracedArray.log.add("swapaxes")
        return super().swapaxes(a, b)

    def dot(self, other, out=None):
        TracedArray.log.add("dot")
        return super().dot(other, out)


def _retrace(result: Any) -> Any:
    if isinstance(result, np.ndarray) and not isinstance(result, TracedArray):
        return result.view(TracedArray)
    if isinstance(result, tuple):
        return tuple(_retrace(r) for r in result)
    return result


class TracedGenerator:
    """A numpy Generator stand-in that records which sampling methods were called."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng

    def __getattr__(self, name: str) -> Any:
        TracedArray.log.add(f"rng.{name}")
        return getattr(self._rng, name)


def trace_argument(value: Any) -> Any:
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        return value.view(TracedArray)
    if isinstance(value, np.random.Generator):
        return TracedGenerator(value)
    return value


def traced_call(fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, set[str]]:
    """Call fn with traced arguments; return its result and the operations it used."""
    TracedArray.log = set()
    result = fn(*[trace_argument(a) for a in args],
                **{k: trace_argument(v) for k, v in kwargs.items()})
    return result, set(TracedArray.log)
