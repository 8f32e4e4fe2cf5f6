"""Feedback text (dlmath/engine/report.py): a message's cause without its array dumps."""

from dlmath.engine.errors import CheckFailed
from dlmath.engine.report import cause_of
from dlmath.engine.runner import diagnosis_of

WRONG_VALUES = """softmax(x) is wrong at 3 of 4 entries: first at index (0,) got 0.5, expected 0.25
summing over the batch instead of averaging
expected [0.25 0.25 0.25 0.25]
got      [0.5  0.5  0.5  0.5 ]"""


def test_the_cause_stops_before_the_arrays():
    assert cause_of(WRONG_VALUES) == "\n".join(WRONG_VALUES.splitlines()[:2])


def test_a_message_that_opens_with_expected_keeps_that_line():
    assert cause_of("expected a number, got 'three'") == "expected a number, got 'three'"
    assert cause_of("expected a number, got [1,\n 2]\ngot more") == "expected a number, got [1,"


def test_a_message_without_arrays_is_whole():
    assert cause_of("f(x) raised ValueError: bad\n(line 3: x = f(y))") == \
        "f(x) raised ValueError: bad\n(line 3: x = f(y))"
    assert cause_of("") == ""


def test_the_diagnosis_reads_the_cause_only():
    message = "loss(p, y): summing over the batch\nexpected [0.25 0.5]\ngot      [1.0 2.0]"
    assert diagnosis_of(CheckFailed(message)) == "summing over the batch"
