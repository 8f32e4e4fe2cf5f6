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
