"""The in-kernel grade call: a report on stdout, a number as the value, nothing on stderr."""

import numpy as np

import dlmath


def test_grade_prints_report_and_returns_points(capfd):
    namespace = {"np": np}
    exec("def dot(u, v):\n    return float(np.sum(u * v))", namespace)
    score = dlmath.grade("01_linear_algebra/dot", namespace, points=2)
    out = capfd.readouterr()
    assert score == 2.0 and out.err == ""
    assert out.out.startswith("dot: 2 / 2 points")


def test_warnings_and_failures_stay_off_stderr(capfd):
    namespace = {"np": np}
    exec("def dot(u, v):\n    np.log(np.zeros(1))\n    return np.sum(u * v)", namespace)
    exec("def transpose(A):\n    return A.T", namespace)
    assert dlmath.grade("01_linear_algebra/dot", namespace, points=2) == 2.0
    assert dlmath.grade("01_linear_algebra/transpose", namespace, points=2) < 2.0
    out = capfd.readouterr()
    assert out.err == ""
    assert "RuntimeWarning: divide by zero" in out.out


def test_unknown_exercise_scores_zero_with_reason(capfd):
    assert dlmath.grade("01_linear_algebra/nonexistent", {}, points=3) == 0.0
    out = capfd.readouterr()
    assert "no grader for exercise" in out.out and out.err == ""
    assert "Traceback" not in out.out


def test_namespace_defaults_to_callers_globals(capfd):
    assert dlmath.grade("01_linear_algebra/dot", points=1) == 0.0  # this module has no dot
    assert "`dot` is not defined" in capfd.readouterr().out
