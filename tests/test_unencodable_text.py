"""Issue 15, item 5: text no UTF-8 file can hold never costs a submission its grade.

Students of one small course hand in the reference except for one cell holding a lone
surrogate ("\\udcff") somewhere: an exception message, a warning, printed output, a
returned string or dict key, a repr, a cell's error, the notebook's own source (a
hand-written file); one forges the state of the random generator a grader passes in. The
class is graded by `nbgrader autograde` (sealed, through the course's nbgrader_config.py)
and, on a copy, by `dlmath grade`. Both paths give every student a grade and a reason,
write every autograded notebook (U+FFFD where the surrogates were), give the same grades
and the same files, and leave no staging folder; a save that fails leaves none either.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlmath.nbgrader import record
from dlmath.nbgrader.batch import BatchSummary, grade_assignment
from dlmath.nbgrader.course import Course
from dlmath.nbgrader.plan import MARKER
from dlmath.notebooks import fill_solutions, nbgrader, read
from dlmath.sim.demo import notebooks_of, reference

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
LINEAR, INIT = "01_linear_algebra", "05_initialization"
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
BAD = "\ufffd"  # what a lone surrogate becomes


@dataclass(frozen=True)
class Student:
    id: str
    assignment: str
    function: str | None  # the one whose solution cell is changed (None: the reference)
    code: str = ""  # the cell; {reference} is the honest function
    worth: bool = True  # the function still earns its points
    said: str = ""  # what its feedback or cells must show
    raw_json: bool = False  # the notebook file is written with JSON escapes (surrogates)

    def cell(self) -> str:
        honest = reference(self.assignment, notebook(self.assignment))[
            f"{self.function}_solution"]
        return self.code.replace("{reference}", honest)


def notebook(assignment: str) -> str:
    return next(n for n in notebooks_of(assignment) if n != "quiz.ipynb")


# When the grader calls it, normal_init swaps the generator whose state the worker will
# send back (the `rngs` of Worker.answer, up the stack) for one with a forged state.
FORGED_RNG = '''
import sys


class _Bits:
    state = {"bit_generator": "PCG64", "state": {"state": 2**200, "inc": 1},
             "has_uint32": 0, "uinteger": 0}


class _Forged:
    bit_generator = _Bits()


def normal_init(shape, mean, std, rng):
    frame = sys._getframe(1)
    while frame is not None and not isinstance(frame.f_locals.get("rngs"), list):
        frame = frame.f_back
    if frame is not None:
        rngs = frame.f_locals["rngs"]
        rngs[:] = [_Forged()] * len(rngs)
    return rng.normal(mean, std, size=shape)
'''
STUDENTS = (
    Student("u_raise", LINEAR, "transpose", 'def transpose(A):\n'
            '    raise ValueError("bad \\udcff news")\n', False,
            f"raised ValueError: bad {BAD} news"),
    Student("u_warn", LINEAR, "matmul", 'import warnings\n\n{reference}\n\n'
            '_matmul = matmul\n\n\ndef matmul(A, B):\n'
            '    warnings.warn("careful \\udcfe")\n    return _matmul(A, B)\n', True,
            f"your code raised a warning: UserWarning: careful {BAD}"),
    Student("u_print", LINEAR, "vector_norm", '{reference}\n\nimport os\nimport sys\n\n'
            'print("out \\udcff")\nsys.stdout.write("write \\udcfe\\n")\n'
            'sys.stderr.write("err \\udcfd\\n")\nos.write(1, b"raw \\xff\\xfe\\n")\n', True,
            f"out {BAD}\nwrite {BAD}\n"),
    Student("u_return", LINEAR, "dot", 'def dot(u, v):\n    return "\\udcff"\n', False,
            "is a str: return a numpy array or a number"),
    Student("u_keys", LINEAR, "cosine_similarity", 'def cosine_similarity(u, v, eps=1e-8):\n'
            '    return {"\\udcff": 1.0}\n', False, "is a dict: return a numpy array"),
    Student("u_cell", LINEAR, "linear_forward", '{reference}\n\n'
            'raise ValueError("top \\udcff level")\n', True, f"top {BAD} level"),
    Student("u_repr", LINEAR, "batch_matmul", '{reference}\n\n\nclass Shown:\n'
            '    def __repr__(self):\n        return "shown \\udcff"\n\n\nShown()\n', True,
            f"shown {BAD}"),
    Student("u_source", LINEAR, "transpose", 'def transpose(A):\n'
            '    raise ValueError("\udcff")  # \udcfe: a surrogate in the file itself\n', False,
            f"raised ValueError: {BAD}", raw_json=True),
    Student("honest", LINEAR, None),
    Student("u_rng", INIT, "normal_init", FORGED_RNG, False,
            "came back in a state no PCG64 can be in"),
    Student("honest", INIT, None),
)


def build(base: Path) -> Course:
    course = Course.create(base, [LINEAR, INIT])
    for assignment in (LINEAR, INIT):
        course.generate(assignment)
    for student in STUDENTS:
        release = course.root / "release" / student.assignment
        folder = course.root / "submitted" / student.id / student.assignment
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
        for name in notebooks_of(student.assignment):
            answers = reference(student.assignment, name)
            if student.function and name == notebook(student.assignment):
                answers[f"{student.function}_solution"] = student.cell()
            nb = fill_solutions(read(release / name), answers)
            if student.raw_json:  # as a hand-written file may: "\udcff" escapes
                (folder / name).write_text(json.dumps(nb, indent=1, ensure_ascii=True))
            else:
                nbformat.write(nb, str(folder / name))
    return course


@dataclass
class Graded:
    stock: Course
    batch: Course
    returncodes: dict[str, int]
    output: str
    summaries: dict[str, BatchSummary]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    base = tmp_path_factory.mktemp("unencodable")
    stock = build(base / "autograde")
    shutil.copytree(stock.base, base / "grade", symlinks=True)
    returncodes, output = {}, ""
    for assignment in (LINEAR, INIT):
        done = stock.nbgrader("autograde", assignment, "--force", check=False)
        returncodes[assignment], output = done.returncode, output + done.stdout + done.stderr
    other = Course(base / "grade")
    summaries = {a: grade_assignment(other.root, a, workers=2) for a in (LINEAR, INIT)}
    return Graded(stock, other, returncodes, output, summaries)


def scores(course: Course, assignment: str) -> dict:
    found = {}
    with Gradebook(f"sqlite:///{course.gradebook}", "dlmath") as gb:
        for submission in gb.assignment_submissions(assignment):
            for nb in submission.notebooks:
                for grade in nb.grades:
                    found[(submission.student.id, nb.name, grade.name)] = grade.score
    return found


def shown(course: Course, student: Student) -> str:
    """Everything the attacked notebook shows: cell outputs and graded cells' feedback."""
    nb = read(course.autograded(student.id, student.assignment, notebook(student.assignment)))
    return "\n".join(str(o.get("text", "")) + str(o.get("evalue", ""))
                     + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells for o in c.get("outputs", []))


def test_nbgrader_autograde_grades_everyone(graded):
    assert graded.returncodes == {LINEAR: 0, INIT: 0}, graded.output[-3000:]
    assert "UnicodeEncodeError" not in graded.output and "Removing failed" not in graded.output


def test_dlmath_grade_grades_everyone(graded):
    for assignment, summary in graded.summaries.items():
        expected = {f"{s.id}/{assignment}" for s in STUDENTS if s.assignment == assignment}
        assert summary.failed == [] and set(summary.graded) == expected


@pytest.mark.parametrize("path", ["stock", "batch"])
def test_every_student_has_a_grade_and_its_autograded_notebooks(graded, path):
    course: Course = getattr(graded, path)
    for student in STUDENTS:
        assignment = student.assignment
        maxima = {name: course.cell_maxima(assignment, name) for name in notebooks_of(assignment)}
        found = scores(course, assignment)
        for name in notebooks_of(assignment):
            path_ = course.autograded(student.id, assignment, name)
            path_.read_bytes().decode("utf-8")  # written, and valid UTF-8
            for grade_id, points in maxima[name].items():
                score = found[(student.id, Path(name).stem, grade_id)]
                attacked = name == notebook(assignment) and grade_id == f"{student.function}_tests"
                assert score == (0 if attacked and not student.worth else points), (
                    student.id, grade_id, score)
        if student.function:
            assert student.said in shown(course, student), student.id
    leftovers = [p for p in (course.root / "autograded").rglob(".*") if p.name != MARKER]
    assert leftovers == []


def test_both_paths_leave_the_same_grades_and_files(graded):
    for assignment in (LINEAR, INIT):
        assert scores(graded.batch, assignment) == scores(graded.stock, assignment)
        for student in {s.id for s in STUDENTS if s.assignment == assignment}:
            for name in notebooks_of(assignment):
                ours = graded.batch.autograded(student, assignment, name).read_bytes()
                assert ours == graded.stock.autograded(student, assignment, name).read_bytes()


def test_the_forged_generator_state_reads_as_the_wrong_type(graded):
    rng = next(s for s in STUDENTS if s.id == "u_rng")
    nb = read(graded.batch.autograded(rng.id, INIT, notebook(INIT)))
    report = next(c for c in nb.cells if nbgrader(c).get("grade_id") == "normal_init_tests")
    text = report.outputs[0].text
    assert "could not be checked" not in text and "OverflowError" in text
    assert "expected a PCG64 state as the generator's own methods leave it" in text


def test_the_feedback_shows_the_replacement_character(graded):
    graded.batch.nbgrader("generate_feedback", LINEAR, "--force", "--student=u_raise")
    html = (graded.batch.feedback("u_raise", LINEAR) / "linear_algebra.html").read_text(
        encoding="utf-8")
    assert f"bad {BAD} news" in html


def test_a_failed_save_leaves_no_staging_folder_and_the_old_grade(graded, monkeypatch):
    """The autograded folder is built beside the old one: when that fails (here: the disk
    is full), the staging folder goes, the old folder and its grades stay, and the summary
    says why; the submission keeps the grade it had."""
    course, student = graded.batch, "u_raise"
    folder = course.root / "autograded" / student / LINEAR
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    grades = scores(course, LINEAR)
    stage = record.stage_files

    def full_disk(coursedir, job, target):
        stage(coursedir, job, target)
        if target.parent == folder.parent:  # the staging folder, not a grading scratch
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(record, "stage_files", full_disk)
    summary = grade_assignment(course.root, LINEAR, students=[student], workers=1, force=True)
    assert summary.graded == [] and summary.failed == [
        (f"{student}/{LINEAR}", "could not save: OSError: [Errno 28] No space left on device")]
    assert sorted(p.name for p in folder.parent.iterdir()) == [LINEAR]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert scores(course, LINEAR) == grades
