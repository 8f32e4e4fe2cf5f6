"""An exercise's cases run side by side, their calls answered in rounds (engine/rounds.py):
the same order of calls for every student, each case seeing its own warnings and notes, a
sealed worker's requests sent together, and no call after a timeout."""

import contextlib
import re
import textwrap
import time

import pytest
from hostile import snippet

from dlmath.engine.errors import StudentCrashed
from dlmath.engine.rounds import NOT_RUN
from dlmath.engine.runner import run_exercise
from dlmath.engine.student import CallLimits, LocalStudent, exec_cells
from dlmath.sealed.channel import Worker
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.student import PIPELINED_REQUESTS, SealedStudent, open_sources

GRADER = '''
import pytest
from dlmath.engine.compare import expect_close
from dlmath.engine.results import note


@pytest.mark.parametrize("x", [1.0, 2.0, 3.0])
def test_twice(student, x):
    """warns, then steps"""
    expect_close(student.noisy(x), x)
    expect_close(student.step(x), x + 1)
    note(f"case {x}")


def test_warns_alone(student):
    before = len(student.warnings)
    student.noisy(0.0)
    mine = student.warnings[before:]
    assert len(mine) == 1 and "UserWarning: noisy 0.0" in mine[0], mine


@pytest.mark.parametrize("x", [4.0, 5.0])
def test_loops_at_four(student, x):
    expect_close(student.step(x), x + 1)
'''

CODE = '''
import warnings
calls = []

def noisy(x):
    calls.append(("noisy", x))
    warnings.warn(f"noisy {x}")
    return x

def step(x):
    calls.append(("step", x))
    while x == 4.0 and LOOP:
        pass
    return x + 1
'''
LIMITS = SealedLimits(call_seconds=0.5, call_cpu_seconds=0.5, grace_seconds=0.3)
ROUNDS = [("noisy", 1.0), ("noisy", 2.0), ("noisy", 3.0), ("noisy", 0.0), ("step", 4.0),
          ("step", 5.0), ("step", 1.0), ("step", 2.0), ("step", 3.0)]


@pytest.fixture
def graders(tmp_path, monkeypatch):
    (tmp_path / "99_rounds").mkdir()
    (tmp_path / "99_rounds" / "test_calls.py").write_text(GRADER)
    monkeypatch.setenv("DLMATH_AUTOGRADERS", str(tmp_path))
    return tmp_path


def local(code: str) -> LocalStudent:
    namespace: dict = {}
    exec_cells([code], namespace)
    return LocalStudent(namespace, [code], CallLimits(0.5))


def check_full_marks(result) -> None:
    assert result.score == 7, [(c.case, c.message) for c in result.cases]
    assert [c.message for c in result.cases[:3]] == ["case 1.0", "case 2.0", "case 3.0"]
    assert len(result.notes) == 4 and all(note.startswith(
        f"your code raised a warning: UserWarning: noisy {x}, at line 7 of cell 1")
        for note, x in zip(result.notes, (1.0, 2.0, 3.0, 0.0), strict=True)), result.notes


def test_every_student_is_called_in_rounds_of_the_cases(graders):
    """Every case's first call, in case order, then every second call: in this process and
    in a sealed worker alike. Each case sees the warnings and notes of its own calls."""
    code = CODE + "LOOP = False\n"
    student = local(code)
    check_full_marks(run_exercise("99_rounds/calls", student, 7))
    assert student.namespace["calls"] == ROUNDS
    with open_sources([code], limits=LIMITS) as sub:
        check_full_marks(run_exercise("99_rounds/calls", sub.student(), 7))
        assert [tuple(c) for c in sub.student().value("calls")] == ROUNDS


def test_a_round_is_sent_at_once_and_each_reply_checked_as_it_comes(graders, monkeypatch):
    events = []
    send, receive = Worker.send_parts, Worker.receive
    monkeypatch.setattr(Worker, "send_parts", lambda self, *a, **k: (
        events.append("send"), send(self, *a, **k))[1])
    monkeypatch.setattr(Worker, "receive", lambda self, *a, **k: (
        events.append("receive"), receive(self, *a, **k))[1])
    answer = SealedStudent._answer
    monkeypatch.setattr(SealedStudent, "_answer", lambda self, *a, **k: (
        events.append("checked"), answer(self, *a, **k))[1])
    with open_sources([CODE + "LOOP = False\n"], limits=LIMITS) as sub:
        events.clear()
        check_full_marks(run_exercise("99_rounds/calls", sub.student(), 7))
    # Each case takes its answer (and checks it) before the next reply is read.
    assert events == ["send"] * 6 + ["receive", "checked"] * 6 + ["send"] * 3 + [
        "receive", "checked"] * 3


@pytest.mark.parametrize("sealed", [False, True], ids=["local", "sealed"])
def test_no_call_is_made_after_one_runs_out_of_time(graders, sealed):
    """The loop is the fifth call of the first round: the sixth is not made, nor any of
    the second round; the cases after the loop's are not run, as when cases ran in turn."""
    code = CODE + "LOOP = True\n"
    if sealed:
        with open_sources([code], limits=LIMITS) as sub:
            first = sub.worker
            result = run_exercise("99_rounds/calls", sub.student(), 7)
            # It stopped the loop itself and answered the window's last request unrun: it
            # lives on, and the next exercise runs no cell again.
            assert sub.worker is first and first.alive
    else:
        student = local(code)
        result = run_exercise("99_rounds/calls", student, 7)
        assert student.namespace["calls"] == ROUNDS[:5]
    messages = [c.message for c in result.cases]
    assert messages[:3] == [NOT_RUN] * 3  # their second calls: after the loop
    assert "did not finish within 0.5 s" in messages[4]
    assert messages[5] == NOT_RUN
    assert [c.passed for c in result.cases] == [False] * 3 + [True] + [False] * 2


def test_a_crash_fails_the_calls_after_it_and_the_next_exercise_has_a_fresh_worker(graders):
    code = CODE + textwrap.dedent("""
        LOOP = False
        import os
        def step(x):
            if x == 4.0:
                os._exit(3)
            return x + 1
    """)
    with open_sources([code], limits=LIMITS) as sub:
        result = run_exercise("99_rounds/calls", sub.student(), 7)
        messages = [c.message for c in result.cases]
        assert "crashed" in messages[4] and "exited with code 3" in messages[4]
        assert all("was not run: an earlier call crashed" in m for m in messages[:3] + [
            messages[5]]), messages
        assert result.cases[3].passed
        assert run_exercise("99_rounds/calls", sub.student(), 7).cases[3].passed


AHEAD = '''
import pytest


def test_steals(student):
    assert student.steal(1) == 1


@pytest.mark.parametrize("x", [1, 2])
def test_adds(student, x):
    assert student.f(x) == x + 1
'''


def test_a_worker_reading_its_round_ahead_stops_no_grading(graders):
    """The student's code takes off the channel whatever of the round's other requests its
    worker has not read yet, whole or in part (how much depends on timing): the grader
    waits for their replies no longer than a call's limit, each case is answered or failed
    with a reason (a timeout, or a crash when the worker finds a frame cut short), and a
    fresh worker answers after a crash."""
    (graders / "99_rounds" / "test_ahead.py").write_text(AHEAD)
    with open_sources([snippet("read_ahead"), "def f(x):\n    return x + 1"],
                      limits=LIMITS) as sub:
        for _ in range(3):
            start = time.monotonic()
            result = run_exercise("99_rounds/ahead", sub.student(), 3)
            assert time.monotonic() - start < 2 * (LIMITS.call_seconds + LIMITS.grace_seconds)
            for case in result.cases:
                assert case.passed or re.search("did not finish|crashed|not run", case.message)
        student, answers = sub.student(), []
        for _ in range(3):  # its worker may have torn its channel: a crash, then a fresh one
            student.trace(False)  # a new exercise, as run_exercise starts one
            with contextlib.suppress(StudentCrashed):
                answers.append(student.f(2))
        assert answers and set(answers) == {3}


BIG = '''
import pytest
import numpy as np


@pytest.mark.parametrize("n", range(100))
def test_echo(student, n):
    x = np.full(n * 100, float(n))  # 0 to 79 200 bytes
    assert np.array_equal(student.tile(x), np.tile(x, 20))  # replies up to 1.6 MB
'''


def test_many_and_large_requests_go_in_windows_that_never_wait_to_write(graders):
    """Two rounds' worth of 100 requests of up to 80 kB, replies up to 1.6 MB: sent in
    windows of at most 64 kB and 32 requests, none waits on the other side."""
    (graders / "99_rounds" / "test_big.py").write_text(BIG)
    code = "import numpy as np\ndef tile(x):\n    return np.tile(x, 20)\n"
    with open_sources([code], limits=LIMITS) as sub:
        result = run_exercise("99_rounds/big", sub.student(), 1)
    assert result.score == 1, [c.message for c in result.cases if not c.passed][:3]
    assert PIPELINED_REQUESTS < 100


def test_an_exercise_of_one_case_is_answered_as_before(graders):
    one = textwrap.dedent('''
        def test_one(student):
            assert student.step(1.0) == 2.0
    ''')
    (graders / "99_rounds" / "test_one.py").write_text(one)
    student = local(CODE + "LOOP = False\n")
    assert run_exercise("99_rounds/one", student, 1).score == 1
    assert student.namespace["calls"] == [("step", 1.0)]
