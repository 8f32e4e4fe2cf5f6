"""Issues 5 and 15: an adversarial class graded through the real `nbgrader autograde` and
through `dlmath grade`.

One temporary course for 01_linear_algebra, with tighter sealed limits so that loops cost
little; 40 hostile students (tests/hostile_submissions.py: one attack each, in one solution
cell, the rest the reference) and two honest ones; for each path, ONE run for all.
Then, for every attack: a score for every graded cell, no more than its honest work is worth,
a reason in the autograded notebook, protected files unchanged and never shown, the other
students' submissions unchanged and the honest students at full marks, no forged output, no
process left running, no program run, no connection made.

`pytest -s tests/test_hostile_autograde.py` prints the table of attacks and outcomes
(scripts/hostile_report.py prints it too, without pytest).
"""

from __future__ import annotations

import base64
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_submissions import (
    ASSIGNMENT,
    ATTACKS,
    HONEST,
    NOTEBOOK,
    NOTEBOOKS,
    PATHS,
    SPAWNED,
    STUDENTS,
    HostileCourse,
    Outcome,
    Run,
    autograde,
    build_course,
    cell_error,
    cell_of,
    cell_said,
    digests,
    feedback_failure,
    ipc_objects,
    leaks,
    metadata,
    outcomes,
    points_of,
    protected_files,
    secret_strings,
    shown_anywhere,
    table,
)

from dlmath.notebooks import is_graded_test, nbgrader, read

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
WALL_SECONDS = 180  # the whole autograde run, on this 2-core machine
BY_ID = {a.id: a for a in ATTACKS}
FORGERS = ("h01_input_transformer", "h27_fake_score", "h28_forged_reply",
           "h32_forged_reply_in_call")
def by_attack(marks: dict[str, pytest.MarkDecorator] | None = None) -> list:
    marks = marks or {}
    return [pytest.param(a.id, marks=[marks[a.id]] if a.id in marks else [], id=a.id)
            for a in ATTACKS]


@dataclass
class Graded:
    hostile: HostileCourse
    run: Run
    rows: dict[str, Outcome]
    points: dict[str, float]
    path: str


@pytest.fixture(scope="module", params=PATHS)
def graded(tmp_path_factory, request) -> Iterator[Graded]:
    hostile = build_course(tmp_path_factory.mktemp("hostile"))
    try:
        run = autograde(hostile, path=request.param)
        assert run.returncode == 0, f"{request.param} failed:\n{run.output[-3000:]}"
        rows = {r.student: r for r in outcomes(hostile)}
        yield Graded(hostile, run, rows, points_of(hostile.course), request.param)
    finally:
        hostile.close()


def autograded(graded: Graded, student: str, notebook: str = NOTEBOOK):
    return read(graded.hostile.course.autograded(student, ASSIGNMENT, notebook))


def test_the_class_covers_the_issue():
    assert len(ATTACKS) >= 22 and len(set(STUDENTS)) == len(STUDENTS)
    assert all(re.fullmatch(r"h\d\d_[a-z_]+", a.id) for a in ATTACKS)


def test_one_autograde_run_grades_everyone_in_time(graded):
    print("\n" + table(list(graded.rows.values()), graded.points, graded.run))
    assert graded.run.seconds < WALL_SECONDS, graded.run.seconds
    assert set(graded.rows) == set(STUDENTS)


@pytest.mark.parametrize("student", STUDENTS)
def test_every_graded_cell_has_a_score(graded, student):
    row = graded.rows[student]
    for name in NOTEBOOKS:
        assert set(row.scores[name]) == set(row.maxima[name]), (name, row.scores[name])
        assert None not in row.scores[name].values(), (name, row.scores[name])


def test_honest_students_get_full_marks(graded):
    assert graded.points["total"] == 28  # 22 for the functions, 6 for the quiz
    for student in HONEST:
        assert graded.rows[student].total == 28, graded.rows[student].scores


@pytest.mark.parametrize("student", by_attack())
def test_no_attack_earns_more_than_its_honest_work(graded, student):
    row = graded.rows[student]
    assert row.total <= row.expected(graded.points), (row.scores, row.reason)
    assert row.attacked_score <= row.worth(graded.points), row.reason


@pytest.mark.parametrize("student", by_attack())
def test_an_attack_costs_at_most_its_own_exercise(graded, student):
    """Every other exercise and the quiz keep their points: exactly the honest work."""
    row = graded.rows[student]
    attacked = f"{row.attack.function}_tests"
    for name in NOTEBOOKS:
        for grade_id, score in row.scores[name].items():
            if grade_id != attacked:
                assert score == row.maxima[name][grade_id], (grade_id, score, row.reason)
    assert row.attacked_score == row.worth(graded.points), row.reason


@pytest.mark.parametrize("student", by_attack())
def test_every_attack_gets_a_reason(graded, student):
    attack = BY_ID[student]
    nb = autograded(graded, student)
    assert graded.rows[student].reason
    if attack.honest:  # full marks; the attacked cell shows what was refused
        solution = f"{attack.function}_solution"
        assert cell_error(nb, solution) or cell_said(nb, solution)
    else:  # the attacked exercise's feedback says what failed
        assert feedback_failure(nb, f"{attack.function}_tests", attack.function)


def test_refused_reads_and_writes_are_errors_in_the_cell(graded):
    for student in ("h05_read_autograders", "h06_read_source", "h08_tamper_gradebook",
                    "h09_tamper_submissions", "h26_socket", "h30_steal_secrets"):
        attack = BY_ID[student]
        error = cell_error(autograded(graded, student), f"{attack.function}_solution")
        # A protected folder is covered by an empty one: a file in it is not even found
        # (a worker graded under root may search the cover), anything else is refused.
        assert error.startswith(("PermissionError", "FileNotFoundError")), (student, error)
    for student in ("h16_shell", "h29_linger"):  # no program may start
        attack = BY_ID[student]
        assert cell_error(autograded(graded, student), f"{attack.function}_solution") \
            == "PermissionError: [Errno 1] Operation not permitted"


def test_no_metadata_changed(graded):
    """Mode, owner, times and extended attributes of the course, its config and every
    protected file: chmod, chown, utime and xattr calls are refused (h33)."""
    hostile = graded.hostile
    assert metadata(hostile.course, hostile.targets) == hostile.metadata_before
    said = cell_of(autograded(graded, "h33_change_metadata"), "matmul_solution").outputs
    text = "".join(o.get("text", "") for o in said)
    assert "changed:" not in text and text.count("blocked:") == 5 * 11 + 4, text


def test_no_ipc_object_outlives_the_run_or_reaches_another_notebook(graded):
    assert ipc_objects() == graded.hostile.ipc_before
    for student in ("h34_ipc_plant", "h35_ipc_find"):
        said = "".join(o.get("text", "") for o in cell_of(
            autograded(graded, student), "dot_solution").outputs)
        assert "made:" not in said and "found:" not in said, (student, said)


def test_the_thread_limit_holds_for_every_uid(graded):
    said = cell_said(autograded(graded, "h36_threads"), "vector_norm_solution")
    started = int(re.fullmatch(r"threads started: (\d+)", said).group(1))
    assert 0 < started < 64, said  # SealedLimits.processes, less the main thread


def test_no_course_path_is_in_a_workers_memory(graded):
    said = cell_said(autograded(graded, "h37_find_paths"), "cosine_similarity_solution")
    scanned, found = re.fullmatch(r"scanned (\d+) MiB; paths found: (.*)", said).groups()
    assert int(scanned) >= 64, said  # it did look
    hostile = graded.hostile
    for secret in (str(hostile.root), hostile.targets.autograders):
        assert secret not in found, said


def test_nbgrader_graded_most_notebooks_ahead(graded):
    """In both nbgrader paths the helper (forked, or spawned) executed most notebooks, the
    attacks with them: the tests here hold there too."""
    output = graded.run.output
    if not graded.path.startswith("nbgrader"):
        pytest.skip("grading ahead is nbgrader autograde's")
    started = "spawned" if graded.path == SPAWNED else "forked"
    assert f"grading ahead: a {started} helper process" in output
    ahead = len(re.findall(r"SealedExecute \w+: executed ahead$", output, re.MULTILINE))
    assert ahead > len(STUDENTS) * len(NOTEBOOKS) // 2, ahead


def test_the_run_says_once_which_protections_are_active(graded):
    output = graded.run.output
    assert output.count("sealed workers: ") == 1, output[-3000:]
    for name in ("landlock filesystem", "seccomp", "pid namespace", "network namespace",
                 "ipc namespace", "mount namespace", "unprivileged uid", "thread limit"):
        assert re.search(rf"^ *(active |MISSING) {name}: ", output, re.MULTILINE), name


def test_text_no_file_can_hold_is_shown_replaced(graded):
    """Lone surrogates from student code reach the notebook as U+FFFD (h40, h41)."""
    said = feedback_failure(autograded(graded, "h40_surrogate_answers"), "dot_tests", "dot")
    assert "is a dict" in said, said
    nb = autograded(graded, "h41_surrogate_output")
    assert cell_error(nb, "vector_norm_solution") == "ValueError: top \ufffd level"
    shown = "".join(o.get("text", "") for o in cell_of(nb, "vector_norm_solution").outputs)
    assert "out \ufffd\nwrite \ufffd\n" in shown, shown


def test_a_crafted_figure_snapshot_forges_no_figure(graded):
    """h42's snapshot is refused where it is loaded (dlmath grade draws figures after
    grading; nbgrader autograde draws them when shown, so it never sends one): no forged
    PNG, and the figure either drawn or said not to be."""
    outputs = cell_of(autograded(graded, "h42_crafted_figure_snapshot"),
                      "transpose_solution").outputs
    pngs = [base64.b64decode(o["data"]["image/png"]) for o in outputs
            if "image/png" in o.get("data", {})]
    said = "".join(o.get("text", "") for o in outputs)
    assert all(not png.endswith(b"forged") for png in pngs)
    assert pngs or "could not be drawn: SnapshotRefused" in said, (pngs, said)


def test_protected_files_are_unchanged(graded):
    hostile = graded.hostile
    after = protected_files(hostile.course, hostile.targets)
    assert {str(p) for p in after} == set(hostile.before), "a protected file appeared or went"
    assert digests(after) == hostile.before
    for path in (hostile.targets.victim, hostile.targets.victim_quiz):
        assert path in hostile.before


def test_the_gradebook_is_intact(graded):
    hostile = graded.hostile
    db = sqlite3.connect(f"file:{hostile.course.gradebook}?mode=ro", uri=True)
    try:
        students = dict(db.execute("select id, first_name from student").fetchall())
        scores = db.execute("select max(auto_score), count(*) from grade").fetchone()
    finally:
        db.close()
    assert students["zz_canary"] == hostile.canaries["gradebook"][0]
    assert set(STUDENTS) <= set(students)
    assert scores[0] <= 3  # nobody's UPDATE reached it: no cell is worth more than 3
    assert not Path(hostile.targets.gradebook + ".old").exists()


def test_protected_contents_are_never_shown(graded):
    hostile = graded.hostile
    secrets_ = secret_strings(hostile)
    assert len(secrets_["autograders"]) > 20
    # Each protected content, printed, would be caught:
    gradebook = repr(hostile.course.gradebook.read_bytes())
    source = (hostile.root / "source" / ASSIGNMENT / NOTEBOOK).read_text()
    graders = [p.read_text() for p in Path(hostile.targets.autograders).glob("*.py")]
    assert {hit.partition(":")[0] for hit in leaks(gradebook, secrets_)} == {"gradebook"}
    assert {hit.partition(":")[0] for hit in leaks(source, secrets_)} == {"source"}
    assert all(leaks(text, secrets_) for text in graders)
    assert shown_anywhere(hostile) == {}


def test_graded_cells_hold_only_what_the_grader_wrote(graded):
    """Whatever a submission printed, each graded cell shows the grader's report and its
    score, and the score is the one in the gradebook."""
    for student in STUDENTS:
        for name in NOTEBOOKS:
            scores = graded.rows[student].scores[name]
            for cell in autograded(graded, student, name).cells:
                if not is_graded_test(cell):
                    continue
                report, result = cell.outputs
                score = scores[nbgrader(cell)["grade_id"]]
                assert report.name == "stdout" and re.match(
                    r"\S+: [\d.]+ / [\d.]+ points \(", report.text), (student, report.text)
                assert float(result.data["text/plain"]) == score


def test_fake_scores_forge_nothing(graded):
    for student in FORGERS:
        assert graded.rows[student].attacked_score == 0
        text = "".join(o.get("text", "") for c in autograded(graded, student).cells
                       if is_graded_test(c) for o in c.outputs)
        assert "All tests passed" not in text
    forger = BY_ID["h27_fake_score"]
    said = cell_of(autograded(graded, forger.id), f"{forger.function}_solution").outputs
    assert "All tests passed! Score: 28/28" in said[0].text  # shown as the student's own


def test_no_process_is_left_running(graded):
    assert graded.run.lingering == []


def test_no_program_ran_and_no_connection_was_made(graded):
    assert not Path(graded.hostile.targets.shell_target).exists()
    assert graded.run.connections == 0
