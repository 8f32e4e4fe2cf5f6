"""numpy's shape errors, reported with the shapes on the student's line and the fix they
imply: the same text from the local student and from the sealed worker, and never at the
cost of running student code or of the error itself."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dlmath.engine import shapes
from dlmath.engine.errors import StudentRaised
from dlmath.engine.student import LocalStudent, exec_cells
from dlmath.sealed.student import open_sources

CODE = '''\
import numpy as np

def matmul(A, B):
    return A * B

def linear_forward(X, W, b):
    return X @ W + b

def linear_forward_columns(X, W, b):
    Z = W @ X + b
    return Z

def linear_backward(dZ, X, W):
    dX = dZ @ W.T
    dW = dZ.T @ X
    return dX, dW

def add(A, B):
    return A + B

def dot(A, B):
    return np.dot(A, B)

def add_bias(Z, b):
    Z = Z.copy()
    Z += b
    return Z

def vector(x, W):
    return W @ x

def refuses(x):
    raise ValueError("no: " + str(x))

class Mimic(ValueError):
    pass

def mimics(A, B):
    raise Mimic("operands could not be broadcast together with shapes (3,4) (2,4) ")

def pretends(A, B):
    raise ValueError("operands could not be broadcast together with shapes (3,4) (2,4) ")
'''


def ones(*shape: int) -> np.ndarray:
    return np.ones(shape)


# (function, arguments, what is said after the line that raised)
CASES = {
    "matmul with *": (
        "matmul", (ones(3, 4), ones(4, 2)),
        "A is (3, 4), B is (4, 2). `*` multiplies elementwise; the matrix product sums over "
        "the shared axis (A @ B fits, giving (3, 2); where @ is not allowed, sum A[i, k] * "
        "B[k, j] over k)."),
    "linear_forward without .T": (
        "linear_forward", (ones(4, 3), ones(2, 3), ones(2)),
        "X is (4, 3), W is (2, 3). X @ W does not fit: the inner sizes 3 and 2 differ. "
        "X @ W.T fits, giving (4, 2)."),
    "linear_forward_columns with a row bias": (
        "linear_forward_columns", (ones(3, 5), ones(2, 3), ones(2)),
        "W is (2, 3), X is (3, 5), b is (2,), W @ X is (2, 5). A 1-D b lines up with the last "
        "axis of W @ X (size 5), not its first (size 2): make it a column, b[:, None] or "
        "b.reshape(-1, 1)."),
    "linear_backward with W.T": (
        "linear_backward", (ones(4, 2), ones(4, 3), ones(2, 3)),
        "dZ is (4, 2), W is (2, 3), W.T is (3, 2). dZ @ W.T does not fit: the inner sizes 2 "
        "and 3 differ. dZ @ W fits, giving (4, 3)."),
    "unrelated shapes": (
        "add", (ones(3, 4), ones(2, 4)),
        "A is (3, 4), B is (2, 4). In A + B, each axis, counted from the right, needs the "
        "same size in both, or size 1 in one."),
    "np.dot": (
        "dot", (ones(4, 3), ones(2, 3)),
        "A is (4, 3), B is (2, 3). np.dot(A, B) does not fit: the inner sizes 3 and 2 differ. "
        "np.dot(A, B.T) fits, giving (4, 2)."),
    "in-place bias": (
        "add_bias", (ones(2, 5), ones(2)),
        "Z is (2, 5), b is (2,). A 1-D b lines up with the last axis of Z (size 5), not its "
        "first (size 2): make it a column, b[:, None] or b.reshape(-1, 1)."),
    "two fixes fit": (
        "vector", (ones(3), ones(3, 2)),
        "W is (3, 2), x is (3,). W @ x does not fit: the inner sizes 2 and 3 differ. "
        "W.T @ x fits, giving (2,); so does x @ W, giving (2,)."),
}


def local_student(code: str = CODE) -> LocalStudent:
    namespace: dict = {}
    assert exec_cells([code], namespace) == []
    return LocalStudent(namespace, [code])


def raised(student, name: str, *args) -> StudentRaised:
    with pytest.raises(StudentRaised) as err:
        student.call(name, *args)
    return err.value


@pytest.fixture(scope="module")
def sealed():
    with open_sources([CODE]) as submission:
        yield submission.student()


@pytest.mark.parametrize("traced", [False, True], ids=["plain", "traced"])
@pytest.mark.parametrize("case", CASES)
def test_shape_errors_name_the_shapes_and_the_fix(case, traced, sealed):
    """Traced: the arrays a grader checking forbidden operations hands out."""
    name, args, explained = CASES[case]
    local = local_student()
    for student in (local, sealed):
        student.trace(traced)
    here, there = raised(local, name, *args), raised(sealed, name, *args)
    assert here.type_name == "ValueError" and str(here).endswith(f"). {explained}")
    assert here.where.startswith("line ") and here.where.endswith(f"\n{explained}")
    assert (str(here), here.exc_message, here.where) == (
        str(there), there.exc_message, there.where)
    assert len(here.where) < 700


def test_the_message_stays_numpy_s_own(sealed):
    """Graders judge what the student's code says (a matmul must raise naming both
    shapes): the explanation must not say it for them."""
    sealed.trace(False)
    A, B = ones(2, 3), ones(4, 2)
    with pytest.raises(ValueError) as numpy_s:
        A * B
    for student in (local_student(), sealed):
        error = raised(student, "matmul", A, B)
        assert error.exc_message == str(numpy_s.value)
        assert "A is (2, 3), B is (4, 2)." in str(error)


@pytest.mark.parametrize("name, message", [
    ("refuses", "no: 1"),  # not numpy's error: as raised
    ("mimics", "operands could not be broadcast together with shapes (3,4) (2,4) "),  # a subclass
    ("pretends", "operands could not be broadcast together with shapes (3,4) (2,4) "),
])
def test_other_value_errors_are_left_alone(name, message, sealed):
    sealed.trace(False)
    args = (1,) if name == "refuses" else (ones(3, 4), ones(2, 4))
    here, there = raised(local_student(), name, *args), raised(sealed, name, *args)
    assert here.exc_message == there.exc_message == message
    assert "\n" not in here.where and here.where == there.where


def test_a_failing_explanation_leaves_the_error_as_it_was(monkeypatch):
    def broken(*args):
        raise RuntimeError("a bug in the explainer")

    monkeypatch.setattr(shapes, "_explain", broken)
    error = raised(local_student(), "matmul", ones(3, 4), ones(4, 2))
    assert error.where == "line 4: return A * B"


HOSTILE = '''\
import numpy as np

CALLS = []

class Meta(type):
    def __eq__(cls, other):
        CALLS.append("metaclass ==")
        return False

    __hash__ = type.__hash__

class Hostile(metaclass=Meta):
    @property
    def shape(self):
        CALLS.append("shape")
        return (4, 2)

    @property
    def dtype(self):
        CALLS.append("dtype")
        return np.float64

    def __getattr__(self, name):
        CALLS.append(name)
        raise AttributeError(name)

    def __array__(self, *args, **kwargs):
        CALLS.append("__array__")
        return np.ones((4, 2))

    def __repr__(self):
        CALLS.append("repr")
        return "Hostile()"

class Sub(np.ndarray):
    @property
    def T(self):
        CALLS.append("Sub.T")
        return self

def f(A, B):
    H, S = Hostile(), np.zeros(3).view(Sub)  # named on the failing line, never looked at
    return (A if H is not S else B) * B
'''


def test_objects_that_are_not_arrays_are_never_touched():
    student = local_student(HOSTILE)
    error = raised(student, "f", ones(3, 4), ones(4, 2))
    assert student.namespace["CALLS"] == []
    assert error.where.endswith("\nA is (3, 4), B is (4, 2).")


def test_a_frame_with_a_huge_number_of_locals():
    body = "".join(f"    v{i} = np.ones({i % 7 + 1})\n" for i in range(20_000))
    code = f"import numpy as np\n\ndef f(A, B):\n{body}    return A * B + v19999\n"
    student = local_student(code)
    start = time.perf_counter()
    error = raised(student, "f", ones(3, 4), ones(4, 2))
    assert time.perf_counter() - start < 2
    assert "\nA is (3, 4), B is (4, 2). `*` multiplies elementwise" in error.where


def test_a_line_too_long_to_read_keeps_numpy_s_message():
    code = f"def f(A, B):\n    return ({' + '.join(['A'] * 200)}) * B\n"
    error = raised(local_student(code), "f", ones(3, 4), ones(4, 2))
    assert error.where.startswith("line 2: ") and "\n" not in error.where


def test_the_expression_that_failed_is_the_one_explained():
    # `W @ X` fits; its sum with b does not: the operands are the product and b
    code = ("import numpy as np\n\ndef f(X, W, b):\n    Z = (np.tanh(W @ X)\n"
            "         + b)\n    return Z\n")
    error = raised(local_student(code), "f", ones(3, 5), ones(2, 3), ones(2))
    assert "np.tanh(W @ X) is (2, 5). A 1-D b lines up with the last axis of np.tanh(W @ X)" \
        in error.where


def test_no_fix_is_claimed_when_none_fits():
    error = raised(local_student(), "linear_forward", ones(4, 3), ones(5, 6), ones(5))
    assert error.where.endswith("\nX is (4, 3), W is (5, 6). X @ W does not fit: the inner "
                                "sizes 3 and 5 differ.")


def test_messages_are_parsed_as_numpy_writes_them():
    assert shapes.parse_message("operands could not be broadcast together with shapes "
                                "(2,5) (2,) (2,5) ") == shapes.Failure(False, ((2, 5), (2,)))
    assert shapes.parse_message("shapes (3,) and (2,3) not aligned: 3 (dim 0) != 2 (dim 0)"
                                ) == shapes.Failure(True, ((3,), (2, 3)))
    assert shapes.parse_message("could not convert string to float: 'a'") is None
