"""The local student: calls, errors, in-place edits, warnings, time limits, plain data."""

import signal

import numpy as np
import pytest

from dlmath.engine.errors import (
    InputModified,
    MissingFunction,
    StudentRaised,
    StudentTimeout,
    WrongReturnType,
)
from dlmath.engine.student import CallLimits, LocalStudent, OutputFlood, exec_cells


def student(code: str, seconds: float = 5.0) -> LocalStudent:
    namespace: dict = {}
    assert exec_cells(["import numpy as np", code], namespace) == []
    return LocalStudent(namespace, ["import numpy as np", code], CallLimits(seconds))


def test_call_returns_plain_copy():
    s = student("def f(x):\n    return x * 2")
    assert np.array_equal(s.f(np.ones(2)), [2.0, 2.0])


def test_missing_function():
    with pytest.raises(MissingFunction, match="not defined"):
        student("x = 1").f(1)


def test_exception_is_reported_with_line():
    with pytest.raises(StudentRaised) as err:
        student("def f(x):\n    return x / 0").f(1)
    assert err.value.type_name == "ZeroDivisionError" and err.value.is_a("ArithmeticError")
    assert "line 2" in str(err.value)


def test_an_error_reads_the_lines_of_student_code_alone(monkeypatch):
    """Quoting the student's line reads no other source (the engine's, numpy's): a sealed
    worker may not read them, and would try again at every error."""
    import linecache

    read, getlines = [], linecache.getlines
    monkeypatch.setattr(linecache, "getlines", lambda name, *a: read.append(name) or
                        getlines(name, *a))
    with pytest.raises(StudentRaised) as err:
        student("def f(x):\n    return np.ones((2, 3)) @ x").f(np.ones(4))
    assert "line 2: return np.ones((2, 3)) @ x" in str(err.value)
    assert read and all(name.startswith("<cell") for name in read)


def test_in_place_modification_detected():
    with pytest.raises(InputModified, match="argument 1"):
        student("def f(x):\n    x[0] = 5\n    return x").f(np.zeros(3))


@pytest.mark.parametrize("body", [
    "x[0] = 5",  # a new value
    "x[1] = np.nan",  # NaN where a number was
    "x.shape = (1, 3)",  # the same numbers, another shape
    "x.dtype = np.int64",  # the same bits, read as other numbers
])
def test_every_kind_of_change_in_place_is_detected(body):
    with pytest.raises(InputModified, match="argument 1"):
        student(f"def f(x):\n    {body}\n    return 1").f(np.array([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("body", [
    "x[0] = 0.0",  # -0.0 becomes 0.0: other bits, an equal value
    "x[1] = -x[1]",  # the NaN with its sign bit flipped: other bits, still NaN
])
def test_writing_equal_values_is_no_change(body):
    assert student(f"def f(x):\n    {body}\n    return 1").f(
        np.array([-0.0, np.nan, 2.0])) == 1


@pytest.mark.parametrize("argument", [
    np.arange(6.0).reshape(2, 3).T,  # Fortran order
    np.arange(12.0).reshape(3, 4)[::2, 1:3],  # a view, not contiguous
    np.array(3.0),  # 0-d
])
def test_a_change_in_place_is_seen_whatever_the_layout(argument):
    s = student("def f(x):\n    x[...] = x * 2 + 1\n    return 1")
    with pytest.raises(InputModified, match="argument 1"):
        s.f(argument)
    assert student("def f(x):\n    return float(x.sum())").f(argument) == argument.sum()


def test_a_change_under_a_mask_is_seen():
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(InputModified, match="argument 1"):
        student("def f(x):\n    x.data[1] = 99.0\n    return 1").f(masked)


FLOOD = "def f(x, catch):\n" \
        "    try:\n" \
        "        print('x' * 50)\n" \
        "    except BaseException:\n" \
        "        if not catch:\n" \
        "            raise\n" \
        "    if catch == 'modify':\n" \
        "        x[0] = 1.0\n" \
        "    if catch == 'raise':\n" \
        "        raise ValueError('after the flood')\n" \
        "    return np.transpose(x)"


@pytest.mark.parametrize("catch", [False, True, "modify"])
def test_a_call_printing_past_its_cap_is_stopped(catch):
    s = LocalStudent(student(FLOOD).namespace, limits=CallLimits(5.0, output_characters=10))
    s.trace(True)
    with pytest.raises(OutputFlood):
        s.f(np.zeros(2), catch)
    assert s.traced == set()  # nothing the call did counts: it did not end


def test_a_call_raising_after_its_flood_reports_what_it_raised():
    s = LocalStudent(student(FLOOD).namespace, limits=CallLimits(5.0, output_characters=10))
    with pytest.raises(StudentRaised, match="after the flood"):
        s.f(np.zeros(2), "raise")


def test_a_call_printing_within_its_cap_returns():
    s = LocalStudent(student(FLOOD).namespace, limits=CallLimits(5.0, output_characters=100))
    assert np.array_equal(s.f(np.zeros(2), False), [0.0, 0.0])


def test_warnings_recorded_not_printed(capfd):
    s = student("def f(x):\n    return np.log(x)")
    s.f(np.zeros(1))
    assert any("RuntimeWarning" in w for w in s.warnings)
    assert capfd.readouterr().err == ""


def test_prints_swallowed(capfd):
    student("import sys\ndef f():\n    print('hi'); sys.stderr.write('err')\n    return 1").f()
    out = capfd.readouterr()
    assert out.out == "" and out.err == ""


def test_a_call_leaves_the_alarm_handler_it_found():
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        assert student("def f():\n    return 1").f() == 1
        assert signal.getsignal(signal.SIGALRM) is mine
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_infinite_loop_times_out():
    with pytest.raises(StudentTimeout, match="did not finish within 0.2 s"):
        student("def f():\n    while True:\n        pass", seconds=0.2).f()


def test_loop_catching_exception_still_stops():
    code = ("def f():\n    while True:\n        try:\n            pass\n"
            "        except Exception:\n            pass")
    with pytest.raises(StudentTimeout):
        student(code, seconds=0.2).f()


@pytest.mark.parametrize("code, expected", [
    ("import torch\ndef f():\n    return torch.zeros(2)", "torch.Tensor"),
    ("def f():\n    return object()", "a object"),
    ("def f():\n    return np.array([None])", "dtype object"),
    ("def f():\n    return {1: 2}", "keys are not all strings"),
])
def test_non_plain_results_rejected(code, expected):
    with pytest.raises(WrongReturnType, match=expected):
        student(code).f()


def test_subclass_result_becomes_base_ndarray():
    result = student("def f():\n    return np.ma.masked_array([1.0, 2.0])").f()
    assert type(result) is np.ndarray


def test_value_of_a_variable():
    assert student("q1 = (2, 3)").value("q1") == (2, 3)
    with pytest.raises(MissingFunction):
        student("x = 1").value("q1")


def test_exec_cells_reports_each_broken_cell():
    problems = exec_cells(["def f(:\n  pass", "raise ValueError('boom')", "x = 1"], {})
    assert problems[0].startswith("cell 1: SyntaxError")
    assert problems[1] == "cell 2: ValueError: boom"
    assert len(problems) == 2


def test_huge_integers_are_the_wrong_type_not_a_grader_failure():
    """An integer with more digits than Python shows cannot be an answer (no message could
    show it); one beyond every float is a wrong quiz number, not an unchecked answer."""
    from dlmath.engine.checks import expect_answer
    from dlmath.engine.errors import CheckFailed

    s = student("big = 10**5000\nwide = 10**400")
    with pytest.raises(WrongReturnType, match="integer of 16610 bits"):
        s.value("big")
    with pytest.raises(CheckFailed, match="expected a number a float can hold"):
        expect_answer(s.value("wide"), 4, "integer", "")
