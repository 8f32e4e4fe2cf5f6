"""The check desk: one exercise graded sealed on a check's inputs, rate-limited, recorded.

The HTTP service in front of it (authentication through the hub) is driven by the real
JupyterHub in tests/test_jupyterhub.py; here the desk is called directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import multiprocessing
import os
import re
import signal
from concurrent.futures.process import BrokenProcessPool

import nbformat
import pytest
import sqlalchemy as sa
from pg import postgres_server, server_bin

from dlmath.course import release_dir
from dlmath.gradebook import CASES, CHECKS
from dlmath.hub.desk import Desk, DeskSettings, Reply
from dlmath.hub.pool import Pool, _ready
from dlmath.notebooks import fill_solutions, read
from dlmath.sim.demo import reference

ASSIGNMENT, NOTEBOOK = "04_probability", "softmax_cross_entropy.ipynb"
NO_SHIFT = """
def log_softmax(z, axis=-1):
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
"""
NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


def notebook(**answers: str) -> str:
    nb = read(release_dir() / ASSIGNMENT / NOTEBOOK)
    return nbformat.writes(fill_solutions(nb, reference(ASSIGNMENT, NOTEBOOK) | {
        f"{k}_solution": v.strip() for k, v in answers.items()}))


@pytest.fixture
def desk(tmp_path):
    return Desk(tmp_path, f"sqlite:///{tmp_path}/gradebook.db", DeskSettings(checks_per_hour=2))


def rows(desk: Desk) -> list:
    with desk.engine.connect() as db:
        return db.execute(sa.select(CHECKS)).all()


def test_a_mistake_the_public_checks_miss_is_diagnosed_then_the_fix_scores_full(desk):
    wrong = desk.check("ada", ASSIGNMENT, NOTEBOOK, "log_softmax", notebook(log_softmax=NO_SHIFT),
                       NOW)
    assert wrong.outcome == "graded" and wrong.score < wrong.possible == 3
    assert "overflow encountered in exp" in wrong.text and "log-sum-exp" in wrong.text
    right = desk.check("ada", ASSIGNMENT, NOTEBOOK, "log_softmax", notebook(), NOW)
    assert right.score == right.possible == 3
    recorded = rows(desk)
    assert [(r.student, r.exercise, r.outcome, r.score) for r in recorded] == [
        ("ada", "log_softmax", "graded", wrong.score), ("ada", "log_softmax", "graded", 3.0)]
    assert "overflow encountered in exp" in recorded[0].diagnoses
    with desk.engine.connect() as db:  # each case too, kept as every grading path keeps them
        cases = db.execute(sa.select(CASES).order_by(CASES.c.id)).all()
    assert {(c.purpose, c.student, c.notebook, c.exercise) for c in cases} == {
        ("check", "ada", "softmax_cross_entropy", "log_softmax")}
    first = cases[:len(cases) // 2]  # two checks of one exercise: the wrong one first
    assert sum(c.points for c in first) == pytest.approx(wrong.score)
    assert any("overflow encountered in exp" in c.diagnosis for c in first)


def test_too_many_checks_say_when_the_next_is_allowed(desk):
    for minutes in (0, 10):
        desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(), NOW + dt.timedelta(
            minutes=minutes))
    refused = desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(),
                         NOW + dt.timedelta(minutes=20))
    assert refused.outcome == "refused" and refused.retry_at == "2026-12-06T11:00:00+00:00"
    assert "next check is allowed at 11:00 UTC, in 40 minutes" in refused.text
    # another exercise, another student, and the same one an hour later are all served
    assert desk.check("ada", ASSIGNMENT, NOTEBOOK, "log_softmax", notebook(),
                      NOW + dt.timedelta(minutes=20)).outcome == "graded"
    assert desk.check("ben", ASSIGNMENT, NOTEBOOK, "softmax", notebook(),
                      NOW + dt.timedelta(minutes=20)).outcome == "graded"
    assert desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(),
                      NOW + dt.timedelta(minutes=61)).outcome == "graded"


@pytest.mark.parametrize("student, assignment, notebook_name, exercise, content, says", [
    ("ada", "99_none", NOTEBOOK, "softmax", "{}", "no assignment 99_none"),
    ("ada", ASSIGNMENT, "other.ipynb", "softmax", "{}", "has no notebook other.ipynb"),
    ("ada", ASSIGNMENT, NOTEBOOK, "sample_normal", "{}", "no graded exercise 'sample_normal'"),
    ("ada", ASSIGNMENT, "../../etc/passwd", "softmax", "{}", "no valid notebook"),
    ("ada", ASSIGNMENT, NOTEBOOK, "softmax", "not a notebook", "could not be read"),
])
def test_bad_requests_get_one_clear_sentence(desk, student, assignment, notebook_name, exercise,
                                             content, says):
    reply = desk.check(student, assignment, notebook_name, exercise, content, NOW)
    assert reply.outcome == "refused" and says in reply.text, reply.text


def test_checks_can_be_turned_off_for_an_assignment(tmp_path):
    desk = Desk(tmp_path, f"sqlite:///{tmp_path}/gb.db", DeskSettings(
        closed_assignments=(ASSIGNMENT,)))
    reply = desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(), NOW)
    assert reply.outcome == "refused" and "turned off" in reply.text


def test_a_check_sees_other_inputs_than_the_final_grading(desk, tmp_path):
    """Values a check shows answer nothing in the final grading (course.seed_offset): the
    same case shows other numbers in a check than in the final grading."""
    from dlmath.check import check_notebook
    from dlmath.course import seed_offset

    assert seed_offset("check") != seed_offset("final")
    doubled = """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=axis, keepdims=True))
            return 2 * e / np.sum(e, axis=axis, keepdims=True)
    """.replace("\n        ", "\n")
    content = notebook(softmax=doubled)
    checked = desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", content, NOW)
    (tmp_path / NOTEBOOK).write_text(content)
    final = next(e for e in check_notebook(tmp_path / NOTEBOOK, ASSIGNMENT).exercises
                 if e.exercise.endswith("/softmax"))
    title = "matches torch.softmax over the last axis of shape (4, 3) (seed 0)"
    shown = next(c["message"] for c in checked.cases if c["case"] == title)
    graded = next(c.message for c in final.cases if c.case == title)
    assert "exactly 2 times" in shown and "exactly 2 times" in graded
    assert re.findall(r"got \S+", shown) != re.findall(r"got \S+", graded)


@pytest.mark.parametrize("code, says", [
    ("def softmax(z, axis=-1):\n    while True:\n        pass", "did not finish"),
    ("def softmax(z, axis=-1):\n    import os\n    os._exit(3)", "crashed"),
    ("def softmax(z, axis=-1):\n    print('x' * 10**8)\n    return z", ""),
])
def test_a_hostile_notebook_costs_only_its_own_check(tmp_path, code, says):
    # the notebook's public check cell calls softmax too: a loop there waits out a cell's
    # limit, here 5 s rather than nbgrader's 30
    desk = Desk(tmp_path, f"sqlite:///{tmp_path}/gradebook.db", DeskSettings(
        checks_per_hour=2, limits=dataclasses.replace(DeskSettings().limits, cell_seconds=5)))
    reply = desk.check("eve", ASSIGNMENT, NOTEBOOK, "softmax", notebook(softmax=code), NOW)
    assert reply.outcome == "graded" and reply.score == 0 and says in reply.text, reply.text
    assert desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(), NOW).score == 3


def versions(engine: sa.Engine) -> tuple[list, list]:
    with engine.connect() as db:
        return (db.execute(sa.text("SELECT version_num FROM alembic_version")).all(),
                db.execute(sa.text("SELECT version_num FROM dlmath_alembic_version")).all())


def test_the_projects_tables_sit_beside_nbgraders(desk):
    """Made by alembic with a history of their own; nbgrader's history is nbgrader's."""
    from nbgrader.api import Gradebook

    tables = set(sa.inspect(desk.engine).get_table_names())
    assert {"dlmath_checks", "dlmath_cases", "dlmath_alembic_version", "grade",
            "alembic_version"} <= tables
    nbgraders, ours = versions(desk.engine)
    assert ours == [("0002",)] and nbgraders and nbgraders != ours
    with Gradebook(desk.db_url, "dlmath") as gb:  # nbgrader still opens and writes it
        gb.add_student("ada")


@pytest.mark.skipif(server_bin() is None, reason="PostgreSQL is not installed")
def test_checks_are_recorded_in_postgresql(tmp_path):
    with postgres_server() as url:
        desk = Desk(tmp_path, url, DeskSettings(checks_per_hour=1))
        assert desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(), NOW).score == 3
        refused = desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(), NOW)
        assert refused.outcome == "refused" and refused.retry_at == "2026-12-06T11:00:00+00:00"
        assert [r.outcome for r in rows(desk)] == ["graded", "refused"]
        assert versions(desk.engine)[1] == [("0002",)]


def test_values_a_check_showed_score_nothing_in_the_final_grading(desk, tmp_path):
    """A student pastes the expected values a check showed: the final grading, on its own
    inputs, gives that no more than the blank function."""
    from dlmath.check import check_notebook

    doubled = ("def log_softmax(z, axis=-1):\n    m = np.max(z, axis=axis, keepdims=True)\n"
               "    return 2 * (z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)))")
    checked = desk.check("ada", ASSIGNMENT, NOTEBOOK, "log_softmax",
                         notebook(log_softmax=doubled), NOW)
    shown = [m for m in (c["message"] for c in checked.cases) if "\nexpected [" in m]
    assert shown, checked.text
    values = shown[0].split("\nexpected ", 1)[1].split("\ngot", 1)[0].replace("\n", "")
    paste = f"def log_softmax(z, axis=-1):\n    return np.array({values})\n"

    def final_score(code: str | None) -> float:
        answers = {} if code is None else {"log_softmax": code}
        path = tmp_path / ("blank" if code is None else "pasted") / NOTEBOOK
        path.parent.mkdir()
        nb = read(release_dir() / ASSIGNMENT / NOTEBOOK)
        filled = reference(ASSIGNMENT, NOTEBOOK)
        filled.pop("log_softmax_solution")
        filled |= {f"{k}_solution": v for k, v in answers.items()}
        path.write_text(nbformat.writes(fill_solutions(nb, filled)))
        report = check_notebook(path, ASSIGNMENT)
        return next(e.score for e in report.exercises if e.exercise.endswith("/log_softmax"))

    assert final_score(paste) <= final_score(None) == 0


# --- the service's pool of grading processes ----------------------------------------------
def kill_the_pool() -> None:
    """Kill the pool's processes (this test's only children) as a crash or OOM would."""
    for process in multiprocessing.active_children():
        os.kill(process.pid, signal.SIGKILL)


@pytest.fixture
def pool(tmp_path):
    pool = Pool(tmp_path, f"sqlite:///{tmp_path}/gradebook.db", DeskSettings(), size=1)
    yield pool
    pool.executor.shutdown(cancel_futures=True)


def test_a_process_that_died_between_checks_costs_no_check(pool):
    """A process that failed to start or died idle broke the pool before the check came:
    the check has not run, so it runs on a new pool instead of being refused."""
    assert pool.executor.submit(_ready).result(timeout=120)
    broken = pool.executor
    kill_the_pool()
    with pytest.raises(BrokenProcessPool):  # the pool has noticed
        broken.submit(_ready).result(timeout=60)
    reply = asyncio.run(pool.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook()))
    assert (reply.outcome, reply.score) == ("graded", 3), reply.text
    assert pool.executor is not broken


def test_a_process_that_dies_while_grading_says_so_and_the_next_check_runs(pool):
    looping = notebook(softmax="def softmax(z, axis=-1):\n    while True:\n        pass")

    async def killed_while_grading() -> Reply:
        checking = asyncio.create_task(pool.check("eve", ASSIGNMENT, NOTEBOOK, "softmax",
                                                  looping))
        await asyncio.sleep(5)
        kill_the_pool()
        return await checking

    reply = asyncio.run(killed_while_grading())
    assert reply.outcome == "failed" and "restarted" in reply.text, reply.text
    reply = asyncio.run(pool.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook()))
    assert (reply.outcome, reply.score) == ("graded", 3), reply.text


def test_checks_sent_at_once_take_turns_and_keep_the_limit(tmp_path):
    """A student who fires her checks in parallel gets no more than the limit: the second
    of two at once waits for the first, then is refused."""
    pool = Pool(tmp_path, f"sqlite:///{tmp_path}/gradebook.db", DeskSettings(checks_per_hour=1),
                size=2)
    try:
        async def at_once() -> list[Reply]:
            return await asyncio.gather(*[pool.check("ada", ASSIGNMENT, NOTEBOOK, "softmax",
                                                     notebook()) for _ in range(2)])

        replies = asyncio.run(at_once())
        assert sorted(r.outcome for r in replies) == ["graded", "refused"], replies
        other = asyncio.run(pool.check("ben", ASSIGNMENT, NOTEBOOK, "softmax", notebook()))
        assert other.outcome == "graded" and pool.turns == {}
    finally:
        pool.executor.shutdown(cancel_futures=True)


def test_a_grader_fixed_between_two_checks_grades_the_second(tmp_path, monkeypatch):
    """The check service lives on: after the instructor fixes a grader, checks use it."""
    from course_support import copy_graders

    graders = copy_graders(tmp_path / "autograders")
    monkeypatch.setenv("DLMATH_AUTOGRADERS", str(graders))
    desk = Desk(tmp_path, f"sqlite:///{tmp_path}/gradebook.db")
    assert desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(), NOW).score == 3
    grader = graders / ASSIGNMENT / "test_softmax.py"
    said = '"""equal logits give the uniform distribution"""\n'
    grader.write_text(grader.read_text().replace(
        said, said + '    from dlmath.kit import CheckFailed\n'
        '    raise CheckFailed("a grader fixed since the last check")\n'))
    assert desk.check("ada", ASSIGNMENT, NOTEBOOK, "softmax", notebook(), NOW).score < 3
