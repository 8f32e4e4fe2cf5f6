"""Issue 23: `nbgrader autograde` grades ahead in a second process (dlmath/nbgrader/ahead.py)
and leaves exactly what it leaves without one, even when the helper dies; a notebook the
helper executed from another notebook than nbgrader's is executed again."""

from __future__ import annotations

import logging
import multiprocessing
import re
import shutil
import threading
from pathlib import Path

import pytest
from course_support import cases_state, gradebook_state, make_course
from hostile_submissions import THREADED

from dlmath.nbgrader import ahead
from dlmath.nbgrader.course import Course
from dlmath.sim.demo import CLASS, notebooks_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIGURES = "03_backprop"  # three notebooks a student, two drawing figures
STUDENTS = [s for s in CLASS if s.id in ("ada", "ben", "cleo", "eve")]
ALONE = "--SealedExecute.grade_ahead=False"


def autograde(course: Course, *flags: str, helper: str | None = None) -> list[str]:
    """`nbgrader autograde`; for each notebook, whether SealedExecute took it as executed
    ahead or executed it in nbgrader's own chain, as its debug log says. `helper`: how
    the log must say the helper started ('forked' or 'spawned'), if it did."""
    done = course.nbgrader("autograde", FIGURES, "--force", "--log-level=DEBUG", *flags)
    log = done.stdout + done.stderr
    if helper:
        assert f"grading ahead: a {helper} helper process" in log
    said = re.compile(r"SealedExecute \w+: (executed ahead|executing now)$")
    return [m[1] for m in map(said.search, log.splitlines()) if m]


def with_config(course: Course, code: str) -> Course:
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text() + code)
    return course


# The helper needs a second or two to be ready (its fork server), in which nbgrader's own
# process grades this small class alone: here nbgrader's process waits for the helper's
# first notebook before it takes one, so that the helper has its share.
WAITS = """
# test: nbgrader's process waits for the helper's first result
from dlmath.nbgrader import ahead as _ahead
_take = _ahead.Run.take
def _patient(self, key, nb):
    if self.index.get(key) == 0:
        with self.helper.arrived:
            self.helper.arrived.wait_for(lambda: self.helper.done or not self.helper.alive, 120)
    return _take(self, key, nb)
_ahead.Run.take = _patient
"""


def same_results(one: Course, other: Course) -> None:
    assert gradebook_state(one) == gradebook_state(other)
    assert cases_state(one) == cases_state(other)
    for student in STUDENTS:
        for name in notebooks_of(FIGURES):
            ours = one.autograded(student.id, FIGURES, name).read_bytes()
            assert ours == other.autograded(student.id, FIGURES, name).read_bytes(), name


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> Course:
    """The class graded without a helper."""
    course = make_course(tmp_path_factory.mktemp("alone") / "c", assignment=FIGURES,
                         students=STUDENTS)
    assert set(autograde(course, ALONE)) == {"executing now"}
    return course


def copy_of(course: Course, base: Path) -> Course:
    shutil.copytree(course.base, base, symlinks=True)
    shutil.rmtree(base / "course" / "autograded")
    return Course(base)


def test_grading_ahead_leaves_what_grading_alone_leaves(alone, tmp_path):
    course = with_config(copy_of(alone, tmp_path / "ahead"), WAITS)
    taken = autograde(course, helper="forked")
    assert len(taken) == len(STUDENTS) * len(notebooks_of(FIGURES))
    assert taken[0] == "executing now"  # the run's first notebook: before the helper exists
    assert "executed ahead" in taken
    same_results(course, alone)


def test_a_spawned_helper_leaves_the_same(alone, tmp_path):
    """Where forking is unsafe (a process with threads), the helper starts afresh."""
    course = with_config(copy_of(alone, tmp_path / "spawned"), WAITS + THREADED)
    taken = autograde(course, helper="spawned")
    assert taken[0] == "executing now" and "executed ahead" in taken
    same_results(course, alone)


DIES = """
# test: the helper dies as it takes its second notebook
import os as _os
from dlmath.nbgrader import ahead as _ahead
_execute, _main = _ahead.execute, _os.getpid()
def _dying(order, index, chain, _seen=[]):
    if _os.getpid() != _main and _seen:
        _os._exit(3)
    _seen.append(index)
    return _execute(order, index, chain)
_ahead.execute = _dying
"""


def test_a_helper_that_dies_loses_nothing(alone, tmp_path):
    course = with_config(copy_of(alone, tmp_path / "dies"), WAITS + DIES)
    taken = autograde(course)
    assert len(taken) == len(STUDENTS) * len(notebooks_of(FIGURES))
    assert taken.count("executed ahead") < len(taken) - 1  # it did not do them all
    same_results(course, alone)


def without_helper(count: int) -> ahead.Run:
    """A run of `count` notebooks whose helper is gone: what `take` does with what was
    executed ahead."""
    helper = object.__new__(ahead.Helper)
    helper.state = multiprocessing.get_context("fork").Array("i", [1, 0])
    helper.done, helper.alive, helper.arrived = {}, False, threading.Condition()
    run = object.__new__(ahead.Run)
    planned = [ahead.Planned("s", "a", Path(f"n{i}.ipynb")) for i in range(count)]
    run.helper, run.id, run.index = helper, 1, {p.key: i for i, p in enumerate(planned)}
    run.log, run.patience = logging.getLogger("test"), 60.0
    return run


def test_a_notebook_executed_from_another_is_executed_again():
    import nbformat

    nb, other = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    other.cells.append(nbformat.v4.new_code_cell("x = 1"))
    run = without_helper(3)
    run.helper.state[1] = 2  # the helper took 0 and 1
    run.helper.done = {(1, 0): ahead.Executed(ahead.digest(nb), {}, {}),
                       (1, 1): ahead.Executed(ahead.digest(other), {}, {})}
    assert run.take(("s", "a", "n0"), nb) is not None
    assert run.take(("s", "a", "n1"), nb) is None  # executed from another notebook
    assert run.take(("s", "a", "n2"), nb) is None and run.helper.state[1] == 3  # nobody had
    assert run.take(("s", "a", "elsewhere"), nb) is None  # not in the plan


HANGS = """
# test: the helper hangs on its second notebook; nbgrader's process waits 3 s at most
import os as _os, time as _time
from dlmath.nbgrader import ahead as _ahead
_execute, _main, _init = _ahead.execute, _os.getpid(), _ahead.Run.__init__
def _hanging(order, index, chain, _seen=[]):
    if _os.getpid() != _main and _seen:
        _time.sleep(600)
    _seen.append(index)
    return _execute(order, index, chain)
def _impatient(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.patience = 3.0
_ahead.execute, _ahead.Run.__init__ = _hanging, _impatient
"""


def test_a_helper_that_hangs_is_waited_for_no_longer_than_a_notebook_may_take(alone, tmp_path):
    course = with_config(copy_of(alone, tmp_path / "hangs"), WAITS + HANGS)
    done = course.nbgrader("autograde", FIGURES, "--force")
    assert "the helper has not sent it in 3 s; executing it here" in done.stdout + done.stderr
    same_results(course, alone)
