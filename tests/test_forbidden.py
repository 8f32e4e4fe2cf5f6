"""Forbidden operations: found in the source, through helpers, and at run time."""

import numpy as np
import pytest

from dlmath.engine.errors import CheckFailed
from dlmath.engine.forbidden import Forbidden, traced_call

MATMUL = Forbidden("matmul", ("@", "np.matmul", "np.dot", ".dot()", "np.einsum"))


def uses(source: str) -> list[str]:
    return [u.operation for u in MATMUL.scan([source])]


def test_clean_loops_pass():
    assert uses("def matmul(A, B):\n    return sum(A[i] * B[i] for i in range(2))") == []


@pytest.mark.parametrize("source, operation", [
    ("def matmul(A, B):\n    return A @ B", "@ / np.matmul"),
    ("def matmul(A, B):\n    return np.dot(A, B)", "np.dot / .dot()"),
    ("def matmul(A, B):\n    return A.dot(B)", "np.dot / .dot()"),
    ("def matmul(A, B):\n    from numpy import einsum\n    return einsum('ij,jk', A, B)",
     "np.einsum"),
])
def test_source_uses_found(source, operation):
    assert operation in uses(source)


def test_helpers_are_followed():
    source = "def helper(a, b):\n    return a @ b\ndef matmul(A, B):\n    return helper(A, B)"
    assert MATMUL.scan([source])[0].where.startswith("in your helper helper")


def test_last_definition_wins():
    assert uses("def matmul(A, B):\n    return A @ B") and not uses(
        "def matmul(A, B):\n    return A @ B\ndef matmul(A, B):\n    return 0")


def test_runtime_tracing_sees_hidden_calls():
    def sneaky(A, B):
        return getattr(np, "mat" + "mul")(A, B)

    result, used = traced_call(sneaky, (np.eye(2), np.eye(2)), {})
    assert "matmul" in used and type(result) is not np.ndarray
    with pytest.raises(CheckFailed, match="seen while it ran"):
        MATMUL.check(["def matmul(A, B):\n    return getattr(np, 'x')(A, B)"], used)


def test_rng_methods_traced():
    _, used = traced_call(lambda rng: rng.normal(size=2), (np.random.default_rng(0),), {})
    assert "rng.normal" in used


def test_unknown_operation_rejected():
    with pytest.raises(ValueError, match="unknown forbidden"):
        Forbidden("f", ("np.fft",))


def _scan_each_time(forbidden: Forbidden, sources: list[str]) -> list[str]:
    """The scan as it was before cells were read once per process: every cell parsed
    afresh, the syntax trees walked as they are (the reference the kept summaries match)."""
    import ast

    from dlmath.engine.forbidden import DYNAMIC, _operations_in

    functions: dict = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        functions.update((n.name, n) for n in tree.body if isinstance(n, ast.FunctionDef))
    seen, todo = [], [forbidden.function]
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.append(name)
        todo += [n.id for n in ast.walk(functions[name]) if isinstance(n, ast.Name)]
    found = []
    for name in seen:
        for key, line in _operations_in(functions[name]):
            if key in forbidden.keys or key == DYNAMIC:
                where = f"line {line} of {name}" if name == forbidden.function else \
                    f"in your helper {name}, line {line}"
                found.append(f"{forbidden.label(key)} ({where})")
    return found


HELPERS = "def helper(a, b):\n    return np.dot(a, b)\ndef other(a):\n    return a @ a"
CASES = [
    ["def matmul(A, B):\n    return A @ B", "def matmul(A, B):\n    return np.dot(A, B)"],
    ["def matmul(A, B):\n    return np.dot(A, B)", "def matmul(A, B):\n    return A @ B"],
    ["def matmul(A, B):\n    return A @ B\ndef matmul(A, B):\n    return A.dot(B)"],
    ["def matmul(A, B:\n    return A @ B", "def matmul(A, B):\n    return helper(A, B)",
     HELPERS],
    [HELPERS, "def matmul(A, B):\n    x = other(A)\n    return helper(x, B) + helper(A, B)",
     "this is not python ("],
    ["from numpy import dot as d\ndef matmul(A, B):\n    from numpy import dot as d\n"
     "    return d(A, B)"],
    ["def matmul(A, B):\n    f = getattr(np, 'dot')\n    return f(A, B)"],
    ["def matmul(A, B):\n    return sum(a * b for a, b in zip(A, B))"] * 3,
    [],
]


@pytest.mark.parametrize("sources", CASES)
def test_the_scan_reads_each_cell_once_and_finds_the_same(sources):
    expected = _scan_each_time(MATMUL, sources)
    for _ in range(2):  # the second time from what the first kept
        assert [str(u) for u in MATMUL.scan(sources)] == expected
    changed = [s.replace("A @ B", "A.dot(B)") for s in sources]
    assert [str(u) for u in MATMUL.scan(changed)] == _scan_each_time(MATMUL, changed)
    assert [str(u) for u in MATMUL.scan(iter(sources))] == expected  # any iterable
