"""`dlmath grade` leaves exactly what `nbgrader autograde` leaves, skips unchanged work,
survives being killed, and writes to PostgreSQL as well as SQLite."""

from __future__ import annotations

import copy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from course_support import (
    ASSIGNMENT,
    STUDENTS,
    cases_state,
    cell_of,
    copy_graders,
    edit_matmul_grader,
    gradebook_state,
    make_course,
)
from nbgrader.api import Gradebook
from pg import postgres_server, server_bin

from dlmath.nbgrader import grading, sealed_execute
from dlmath.nbgrader.batch import grade_assignment
from dlmath.nbgrader.course import Course
from dlmath.nbgrader.grading import SANITIZE
from dlmath.nbgrader.plan import MARKER, course_directory, load_config
from dlmath.nbgrader.sanitize import AssignmentSnapshot, batch_preprocessor
from dlmath.notebooks import read
from dlmath.sealed import figures
from dlmath.sealed.figures import FigureTable
from dlmath.sim.demo import CLASS, notebooks_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def outputs(course: Course, student: str, notebook: str) -> list:
    nb = read(course.autograded(student, ASSIGNMENT, notebook))
    return [(c.cell_type, c.source, [o.get("text", o.get("data", {}).get("text/plain"))
                                     for o in c.get("outputs", [])]) for c in nb.cells]


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    stock = make_course(base / "autograde")
    shutil.copytree(stock.base, base / "grade", symlinks=True)
    stock.nbgrader("autograde", ASSIGNMENT, "--force")
    batch = Course(base / "grade")
    summary = grade_assignment(batch.root, ASSIGNMENT, workers=2)
    return stock, batch, summary


def test_same_grades_as_nbgrader_autograde(courses):
    stock, batch, summary = courses
    assert not summary.failed and len(summary.graded) == len(STUDENTS)
    expected = gradebook_state(stock)
    assert expected and gradebook_state(batch) == expected
    assert cases_state(batch) == cases_state(stock)  # each case, as the class report reads it


def test_the_cases_add_up_to_each_grade(courses):
    stock, _, _ = courses
    cases, grades = cases_state(stock), gradebook_state(stock)
    assert {r[0] for r in cases} == {s.id for s in STUDENTS}
    earned: dict[tuple, float] = {}
    for student, notebook, exercise, *_, points, _, _ in cases:
        key = (student, notebook, cell_of(exercise))
        earned[key] = earned.get(key, 0.0) + points
    for key, points in earned.items():
        assert grades[key][0] == pytest.approx(points, abs=1e-5), key
    cleo = [r for r in cases if r[0] == "cleo" and r[5] != "passed"]
    assert cleo and any(r[8] for r in cleo)  # failures carry the mistake they matched


def test_same_autograded_notebooks(courses):
    """The same files, byte for byte."""
    stock, batch, _ = courses
    for student in STUDENTS:
        for name in notebooks_of(ASSIGNMENT):
            assert outputs(batch, student.id, name) == outputs(stock, student.id, name)
            ours = batch.autograded(student.id, ASSIGNMENT, name).read_bytes()
            assert ours == stock.autograded(student.id, ASSIGNMENT, name).read_bytes(), name


FIGURES = "03_backprop"  # both notebooks with code draw a figure


def test_same_figures_as_nbgrader_autograde(tmp_path):
    """On an assignment whose notebooks draw figures: the same files, byte for byte, the
    figures' PNGs included, whether a figure was the instructor's (drawn once for the batch)
    or drawn by the student's worker after grading."""
    students = [s for s in CLASS if s.id in ("ada", "cleo", "eve")]
    stock = make_course(tmp_path / "autograde", assignment=FIGURES, students=students)
    shutil.copytree(stock.base, tmp_path / "grade", symlinks=True)
    stock.nbgrader("autograde", FIGURES, "--force")
    batch = Course(tmp_path / "grade")
    summary = grade_assignment(batch.root, FIGURES, workers=2)
    assert not summary.failed and len(summary.graded) == len(students)
    for student in students:
        for name in notebooks_of(FIGURES):
            ours = batch.autograded(student.id, FIGURES, name).read_bytes()
            assert ours == stock.autograded(student.id, FIGURES, name).read_bytes(), name
    figures = [n for n in notebooks_of(FIGURES) if n != "quiz.ipynb"]
    ada = [read(batch.autograded("ada", FIGURES, n)) for n in figures]
    assert all(any("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
               for nb in ada)
    # Both ways were taken: the instructor's PNG (ada's figures are the instructor's) and a
    # figure drawn by the student's worker after grading (the others' mistakes show in theirs).
    assert len(figures) <= summary.figures_reused < len(figures) * len(students)


def test_the_batchs_processes_share_the_figures_they_draw(tmp_path, monkeypatch):
    """With helpers, the batch's table has a folder in the batch's private folder, hidden
    from every worker while the batch runs, where each process writes the PNGs it draws
    for the others (figures.py FigureTable.shared); a helper's table has the same one."""
    seen: list[tuple[Path, list[str], set[str]]] = []
    install = figures.install

    def watched(table):
        if table is not None:
            seen.append((table.shared, [], set(sealed_execute._HOST_PRIVATE)))
        elif seen:
            seen[-1][1].extend(sorted(p.name for p in seen[-1][0].iterdir()))
        install(table)

    monkeypatch.setattr(figures, "install", watched)
    students = [s for s in CLASS if s.id in ("cleo", "eve")]  # their mistakes show in figures
    course = make_course(tmp_path / "c", assignment=FIGURES, students=students)
    assert not grade_assignment(course.root, FIGURES, workers=2).failed
    (folder, drawn, hidden), = seen
    assert folder.name == "drawn" and drawn and all(n.endswith(".png") for n in drawn)
    assert str(folder.parent) in hidden and str(folder.parent) not in sealed_execute._HOST_PRIVATE
    # a helper, at its first submission, finds the folder beside the figures file
    monkeypatch.setattr(figures, "install", install)
    monkeypatch.setattr(figures, "_installed", None)
    monkeypatch.setattr(grading, "_settle", lambda: None)  # no gc.freeze in the test process
    table_file = grading.figures_file(tmp_path / "references")
    FigureTable().dump(table_file)
    for made, shared in ((False, None), (True, tmp_path / "drawn")):  # the cluster: none
        if made:
            (tmp_path / "drawn").mkdir()
        monkeypatch.setitem(grading._worker, "figures", str(table_file))
        grading._load_references()
        assert figures.installed().shared == shared


def tampered(nb) -> list:
    """Ways a submission strays from the release: each a changed copy of the notebook."""
    cells = nb.cells
    test = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade")
                and not c.metadata.nbgrader.get("solution"))
    locked = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("locked")
                  and i != test)
    variants = []
    for change in (
            lambda n: n.cells[locked].update(source="print('edited a locked cell')"),
            lambda n: n.cells.pop(test),  # a deleted test cell comes back
            lambda n: n.cells[test].metadata.pop("nbgrader"),
            lambda n: n.cells[test].metadata.nbgrader.update(points=1000, locked=False),
            lambda n: n.cells.insert(0, copy.deepcopy(n.cells[test])),  # a duplicated id
            lambda n: n.cells[locked].update(cell_type="markdown"),
            lambda n: n.metadata.update(kernelspec={"name": "other", "display_name": "x"})):
        variant = copy.deepcopy(nb)
        change(variant)
        variants.append(variant)
    return variants


def test_sanitize_from_the_snapshot_is_nbgraders(courses):
    """The batch's sanitize steps (one snapshot of the gradebook) leave every notebook as
    nbgrader's own (which query the gradebook) do, tampered ones included."""
    stock, _, _ = courses
    config = load_config(stock.root)
    coursedir = course_directory(config)
    config.OverwriteCells.add_missing_cells = True
    with Gradebook(coursedir.db_url, "dlmath") as gb:
        snapshot = AssignmentSnapshot.load(gb, ASSIGNMENT)
    for name in notebooks_of(ASSIGNMENT):
        released = read(stock.root / "release" / ASSIGNMENT / name)
        resources = {"nbgrader": {"notebook": Path(name).stem, "assignment": ASSIGNMENT,
                                  "student": "ada", "db_url": coursedir.db_url}}
        for variant in [released, *tampered(released)]:
            outcomes = []
            for chain in ([cls(config=config) for cls in SANITIZE],
                          [batch_preprocessor(cls, snapshot, config=config) for cls in SANITIZE]):
                nb = copy.deepcopy(variant)
                try:
                    for preprocessor in chain:
                        nb, _ = preprocessor(nb, copy.deepcopy(resources))
                    for cell in nb.cells:  # a cell put back has none: writing draws one
                        cell.setdefault("id", "put-back")
                    outcomes.append(nbformat.writes(nb))
                except Exception as exc:
                    outcomes.append(f"{type(exc).__name__}: {exc}")
            assert outcomes[0] == outcomes[1]


def test_feedback_and_export_work_on_the_result(courses):
    _, batch, _ = courses
    batch.generate_feedback(ASSIGNMENT)
    rows = {r["student_id"]: float(r["score"]) for r in _export(batch)}
    assert rows["ada"] == 28 and rows["eve"] == 0


def _export(course: Course) -> list[dict]:
    course.export()
    return course.grades()


def test_unchanged_submissions_are_skipped(courses):
    _, batch, _ = courses
    again = grade_assignment(batch.root, ASSIGNMENT)
    assert again.graded == [] and len(again.skipped) == len(STUDENTS)
    before = cases_state(batch)
    assert len(grade_assignment(batch.root, ASSIGNMENT, force=True).graded) == len(STUDENTS)
    assert cases_state(batch) == before  # a regrade replaces its rows, never adds
    changed = batch.root / "submitted" / "eve" / ASSIGNMENT / "timestamp.txt"
    changed.write_text("2026-11-21 10:00:00.000000 UTC")
    assert grade_assignment(batch.root, ASSIGNMENT).graded == [f"eve/{ASSIGNMENT}"]


def test_killed_run_leaves_no_half_grade_and_resumes(tmp_path):
    course = make_course(tmp_path / "killed")
    markers = lambda: list((course.root / "autograded").glob(f"*/{ASSIGNMENT}/{MARKER}"))  # noqa: E731
    temporary = tmp_path / "tmp"  # what the killed run cannot clean up stays in the test's
    temporary.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT,
                                "--workers", "1"], cwd=course.root,
                               env=course.env() | {"TMPDIR": str(temporary)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while not markers() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    subprocess.run(["pkill", "-9", "-s", str(process.pid)], check=False)
    process.wait()
    done = {m.parent.parent.name for m in markers()}
    assert 0 < len(done) < len(STUDENTS)
    for (student, _, _, *kind), value in gradebook_state(course).items():
        if not kind and student not in done:
            assert value[0] is None, f"{student}: a grade was written half-way"
    resumed = grade_assignment(course.root, ASSIGNMENT)
    assert sorted(resumed.skipped) == sorted(f"{s}/{ASSIGNMENT}" for s in done)
    assert len(resumed.graded) == len(STUDENTS) - len(done)


def test_a_second_run_of_the_same_assignment_is_refused_while_the_first_grades(tmp_path,
                                                                               capsys):
    """Two runs at once would swap the same autograded folders under each other: the second
    says who holds the assignment and exits 75 (try again later), grading nothing."""
    from dlmath.cli import main

    course = make_course(tmp_path / "twice")
    lock = course.root / f".dlmath-grade-{ASSIGNMENT}.lock"
    first = subprocess.Popen([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT,
                              "--workers", "1"], cwd=course.root, env=course.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while f"process {first.pid} " not in (lock.read_text() if lock.exists() else ""):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        assert main(["grade", ASSIGNMENT, "--course", str(course.root)]) == 75
        said = " ".join(capsys.readouterr().out.split())
        assert f"{ASSIGNMENT} is being graded on this course already, by process " \
               f"{first.pid} since" in said, said
    finally:
        assert first.wait(timeout=300) == 0
    assert len(list((course.root / "autograded").glob(f"*/{ASSIGNMENT}/{MARKER}"))) == \
        len(STUDENTS)  # the first run graded everyone; the refused one broke nothing
    assert grade_assignment(course.root, ASSIGNMENT).skipped  # and the lock is free again


def test_a_run_whose_main_process_was_killed_holds_no_lock(tmp_path):
    """Its forked helpers may outlive it a while: they never held the run's lock."""
    course = make_course(tmp_path / "orphans")
    markers = lambda: list((course.root / "autograded").glob(f"*/{ASSIGNMENT}/{MARKER}"))  # noqa: E731
    process = subprocess.Popen([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT,
                                "--workers", "2"], cwd=course.root, env=course.env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not markers() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # the main process alone
        process.wait()
        resumed = grade_assignment(course.root, ASSIGNMENT)
        assert len(resumed.graded) + len(resumed.skipped) == len(STUDENTS)
    finally:
        subprocess.run(["pkill", "-9", "-s", str(process.pid)], check=False)


def test_a_grader_edited_during_a_run_changes_none_of_its_grades(tmp_path, monkeypatch):
    """A run grades every notebook with the graders it started with (its plan's digests are
    theirs); the next run sees the edit, and regrades everything with it."""
    graders = copy_graders(tmp_path / "autograders")
    monkeypatch.setenv("DLMATH_AUTOGRADERS", str(graders))
    unedited, course = make_course(tmp_path / "unedited"), make_course(tmp_path / "edited")
    assert not grade_assignment(unedited.root, ASSIGNMENT, workers=1).failed

    def edit_after_the_first(_: str, done: int, total: int) -> None:
        if done == 1:
            edit_matmul_grader(graders, "edited during the run")

    grade_assignment(course.root, ASSIGNMENT, workers=1, progress=edit_after_the_first)
    assert gradebook_state(course) == gradebook_state(unedited)
    again = grade_assignment(course.root, ASSIGNMENT, workers=1)
    assert len(again.graded) == len(STUDENTS)
    assert gradebook_state(course) != gradebook_state(unedited)


@pytest.mark.skipif(server_bin() is None, reason="PostgreSQL is not installed")
def test_postgresql_gradebook(tmp_path, courses):
    stock, _, _ = courses
    with postgres_server() as url:
        course = make_course(tmp_path / "pg", db_url=url)
        summary = grade_assignment(course.root, ASSIGNMENT, workers=2)
        assert not summary.failed
        assert gradebook_state(course, url) == gradebook_state(stock)
        assert cases_state(course, url) == cases_state(stock)
