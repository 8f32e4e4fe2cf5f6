"""A warning is diagnosed by its cause, the same sealed and in this process.

Where an exercise asks for no warning, the diagnosis names the warning, the student's line
that raised it and the input; the stability advice comes only when the value itself
overflowed or was NaN, or when the warning came from the operation the advice is about.
Where nothing asks for it, a warning is a note and costs nothing.
"""

from __future__ import annotations

import nbformat
import pytest

from dlmath.check import check_notebook
from dlmath.course import source_dir
from dlmath.engine.report import render
from dlmath.engine.stability import operation, warning_failure
from dlmath.notebooks import fill_solutions, read

STRAY_LOG = """
def softmax(z, axis=-1):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    unused = np.log(np.zeros(1))
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)
"""
NAIVE = """
def softmax(z, axis=-1):
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)
"""
ADVICE = "subtract the max along the axis before exp"
TRANSPOSE_WITH_LOG = """
def transpose(A):
    np.log(np.zeros(1))
    return np.array([[A[i, j] for i in range(A.shape[0])] for j in range(A.shape[1])])
"""


def graded(tmp_path, assignment, notebook, answers, sealed):
    nb = fill_solutions(read(source_dir() / assignment / notebook),
                        {k: v.strip() for k, v in answers.items()})
    path = tmp_path / notebook
    nbformat.write(nb, str(path))
    return check_notebook(path, sealed=sealed)


def stable_cases(report):
    softmax = next(e for e in report.exercises if e.exercise.endswith("/softmax"))
    return softmax, [c for c in softmax.cases if "1e3" in c.case]


@pytest.mark.parametrize("sealed", [False, True], ids=["local", "sealed"])
def test_a_warning_from_elsewhere_is_named_without_the_advice(tmp_path, sealed):
    report = graded(tmp_path, "04_probability", "softmax_cross_entropy.ipynb",
                    {"softmax_solution": STRAY_LOG}, sealed)
    softmax, cases = stable_cases(report)
    assert cases and all(not c.passed for c in cases), render(softmax)
    for case in cases:
        assert "divide by zero encountered in log" in case.message, case.message
        assert "at line 3 of cell" in case.message and "np.log(np.zeros(1))" in case.message
        assert case.message.startswith("softmax(") and ADVICE not in case.message
    assert softmax.score < softmax.possible


@pytest.mark.parametrize("sealed", [False, True], ids=["local", "sealed"])
def test_an_overflow_in_the_operation_gets_the_advice(tmp_path, sealed):
    report = graded(tmp_path, "04_probability", "softmax_cross_entropy.ipynb",
                    {"softmax_solution": NAIVE}, sealed)
    softmax, cases = stable_cases(report)
    assert all(ADVICE in c.message and "overflow encountered in exp" in c.message
               for c in cases), render(softmax)


@pytest.mark.parametrize("sealed", [False, True], ids=["local", "sealed"])
def test_a_warning_nothing_asks_about_costs_nothing(tmp_path, sealed):
    report = graded(tmp_path, "01_linear_algebra", "linear_algebra.ipynb",
                    {"transpose_solution": TRANSPOSE_WITH_LOG}, sealed)
    transpose = next(e for e in report.exercises if e.exercise.endswith("/transpose"))
    assert transpose.score == transpose.possible, render(transpose)
    assert any("divide by zero encountered in log, at line 2 of cell" in n
               for n in transpose.notes), transpose.notes


def test_the_advice_follows_the_operation():
    warning = "RuntimeWarning: overflow encountered in exp, at line 2 of cell 3: `np.exp(z)`"
    assert operation(warning) == "exp"
    assert operation("RuntimeWarning: overflow encountered in scalar power") == "power"
    assert warning_failure("f(x)", warning, "ADVICE", ("exp",)).endswith(": ADVICE")
    assert "ADVICE" not in warning_failure("f(x)", warning, "ADVICE", ("log",))
    assert "ADVICE" in warning_failure("f(x)", warning, "ADVICE", ("log",), not_finite=True)
