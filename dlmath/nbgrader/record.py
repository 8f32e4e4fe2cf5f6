"""Writing grades. `dlmath grade` writes the autograded folder and the gradebook rows of one
graded submission, exactly as `nbgrader autograde` leaves them: only the batch's own
process writes, the folder (built beside the old one, then swapped in), then every grade in
one transaction, then the marker that lets the next run skip the unchanged submission.
`nbgrader autograde` writes each notebook's rows with `SaveGrades` (nbgrader_config.py), the
same code, one transaction per notebook where nbgrader's own steps commit every cell.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbgrader import utils
from nbgrader.api import BaseCell, Comment, Grade, Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties
from traitlets.config import Config

from dlmath.gradebook import replace_graded, upgrade
from dlmath.nbgrader.plan import MARKER, Job, autograded_folder, stage_files
from dlmath.nbgrader.roster import give_a_name


@dataclass
class Autogrades:
    """What nbgrader's SaveAutoGrades would write for one notebook, by cell name."""

    scores: dict[str, float | None] = field(default_factory=dict)  # grade and task cells
    comments: dict[str, str | None] = field(default_factory=dict)  # solution, task cells


@dataclass
class Graded:
    job: Job
    notebooks: dict[str, str] = field(default_factory=dict)  # notebook id -> its file's text
    autogrades: dict[str, Autogrades] = field(default_factory=dict)  # notebook id -> grades
    cases: dict[str, list[dict]] = field(default_factory=dict)  # notebook id -> case rows
    seconds: dict[str, float] = field(default_factory=dict)  # grading work per notebook
    figures_reused: int = 0  # figures given a PNG drawn before (the instructor's, a student's)
    protections: list[list] = field(default_factory=list)  # Protection.to_list() each
    error: str = ""


def notebook_text(nb) -> str:
    """The file nbgrader's writer makes of a notebook."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def autogrades(nb) -> Autogrades:
    """nbgrader's SaveAutoGrades, cell by cell, without the gradebook."""
    found = Autogrades()
    for cell in nb.cells:
        name = cell.metadata.get("nbgrader", {}).get("grade_id")
        if utils.is_grade(cell):
            found.scores[name], _ = utils.determine_grade(cell)
        if utils.is_solution(cell) or utils.is_task(cell):
            unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
            found.comments[name] = "No response." if unchanged and not utils.is_task(cell) \
                else None
    return found


def write_submission(coursedir: CourseDirectory, gb: Gradebook, graded: Graded,
                     penalties: AssignLatePenalties | None = None) -> None:
    """Files first, then every grade in one transaction, then the marker. `penalties`: the
    course's late-submission plugin (`late_penalties(config)`), else nbgrader's default."""
    job = graded.job
    penalties = penalties or late_penalties()
    folder = autograded_folder(coursedir, job)
    _replace_folder(coursedir, job, folder, graded.notebooks)
    give_a_name(gb.update_or_create_student(job.student))
    timestamp = coursedir.get_existing_timestamp(str(job.submitted))
    submission = gb.update_or_create_submission(job.assignment, job.student,
                                                **({"timestamp": timestamp} if timestamp else {}))
    for notebook in submission.notebooks:
        found = graded.autogrades.get(notebook.name)
        if found is None:  # not submitted: zero, as nbgrader does
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = 0, False
        else:
            _save_autogrades(gb, notebook, found, job.assignment, job.student)
    gb.db.flush()
    for notebook in submission.notebooks:
        _assign_late_penalty(penalties, submission, notebook)
    _save_cases(gb, graded, [notebook.name for notebook in submission.notebooks])
    gb.db.commit()
    (folder / MARKER).write_text(json.dumps({"digest": job.digest}))


def _save_cases(gb: Gradebook, graded: Graded, notebooks: list[str]) -> None:
    """Each graded case (dlmath_cases), in the transaction of the grades: statements of
    their own, once nbgrader's objects are flushed."""
    gb.db.flush()
    now = datetime.now(UTC)
    for name in notebooks:
        replace_graded(gb.db, graded.job.student, graded.job.assignment, name,
                       graded.cases.get(name, []), now)


class SaveGrades(AssignLatePenalties):
    """`nbgrader autograde`'s writing step (nbgrader_config.py): what nbgrader's SaveAutoGrades
    and AssignLatePenalties write for one notebook (the same rows, the late-submission plugin
    configured as for AssignLatePenalties), and its graded cases for the class report
    (dlmath_cases), in one transaction; a student autograde added without a name gets one
    (roster.give_a_name)."""

    def preprocess(self, nb, resources):
        ids = resources["nbgrader"]
        upgrade(ids["db_url"])  # the project's tables: once per process
        self.init_plugin()
        with reused_gradebook(ids["db_url"]) as gb:
            give_a_name(gb.find_student(ids["student"]))
            submission = gb.find_submission(ids["assignment"], ids["student"])
            notebook = gb.find_submission_notebook(ids["notebook"], ids["assignment"],
                                                   ids["student"])
            _save_autogrades(gb, notebook, autogrades(nb), ids["assignment"], ids["student"])
            gb.db.flush()
            _assign_late_penalty(self, submission, notebook)
            replace_graded(gb.db, ids["student"], ids["assignment"], ids["notebook"],
                           resources.get("dlmath", {}).get("cases", []), datetime.now(UTC))
            gb.db.commit()
        return nb, resources


_GRADEBOOKS: dict[str, Gradebook] = {}


@contextlib.contextmanager
def reused_gradebook(db_url: str) -> Iterator[Gradebook]:
    """nbgrader's Gradebook of `db_url`, made once in this process and used by each notebook
    after: making one checks every table and starts a new engine, whose statements are all
    compiled again (about 10 ms a notebook). Closed after each use as nbgrader closes its
    own, so no connection stays open or holds a lock between notebooks; the engine and its
    compiled statements stay."""
    gb = _GRADEBOOKS.get(db_url) or _GRADEBOOKS.setdefault(db_url, Gradebook(db_url))
    try:
        yield gb
    finally:
        gb.close()  # the session rolled back unless committed; the pool's connections closed


def _save_autogrades(gb: Gradebook, notebook, found: Autogrades, assignment: str,
                     student: str) -> None:
    """What SaveAutoGrades writes, with one query for the notebook's grades and one for its
    comments instead of one per cell."""
    grades = _by_cell_name(gb, Grade, notebook)
    comments = _by_cell_name(gb, Comment, notebook)
    where = f"{assignment}/{notebook.name}/{{}} for {student}"
    for name, score in found.scores.items():
        grade = _row(grades, name, "grade", where)
        grade.auto_score = score
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
    for name, text in found.comments.items():
        _row(comments, name, "comment", where).auto_comment = text


def _by_cell_name(gb: Gradebook, model: Any, notebook) -> dict[str, Any]:
    """The notebook's grades or comments by cell name; a task cell's only where no other
    cell has the name, as nbgrader's find_grade and find_comment look them up."""
    rows = gb.db.query(model, BaseCell.name, BaseCell.type) \
        .join(BaseCell, BaseCell.id == model.cell_id) \
        .filter(model.notebook_id == notebook.id).all()
    return {name: row for row, name, kind in sorted(rows, key=lambda r: r[2] != "TaskCell")}


def _row(rows: dict[str, Any], name: str, kind: str, where: str) -> Any:
    if name not in rows:
        raise MissingEntry(f"No such {kind}: {where.format(name)}")
    return rows[name]


def late_penalties(config: Config | None = None) -> AssignLatePenalties:
    """nbgrader's AssignLatePenalties as the course configures it (its plugin)."""
    penalties = AssignLatePenalties(config=config or Config())
    penalties.init_plugin()
    return penalties


def _assign_late_penalty(penalties: AssignLatePenalties, submission, notebook) -> None:
    """nbgrader's AssignLatePenalties for one notebook (its grades flushed: the score the
    plugin reads is the new one)."""
    notebook.late_submission_penalty = None
    if submission.total_seconds_late > 0:
        penalty = penalties.plugin_inst.late_submission_penalty(
            submission.student.id, notebook.score, submission.total_seconds_late)
        if penalty is not None:
            notebook.late_submission_penalty = penalties._check_late_penalty(notebook, penalty)


def _replace_folder(coursedir: CourseDirectory, job: Job, folder: Path,
                    notebooks: dict[str, str]) -> None:
    """Build the autograded folder beside the old one, then swap it in. Should anything
    fail, the staging folder goes and the old folder stays as it was."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{job.assignment}.", dir=folder.parent))
    old = staging.with_name(staging.name + ".old")
    try:
        stage_files(coursedir, job, staging)
        for name, text in notebooks.items():
            (staging / f"{name}.ipynb").write_text(text, encoding="utf-8")
        permissions = 0o664 if coursedir.groupshared else 0o444
        for path in staging.rglob("*"):
            if path.is_file():
                path.chmod(permissions)
        staging.chmod(0o775 if coursedir.groupshared else 0o755)
        if folder.exists():
            folder.rename(old)  # whole, never half-deleted, until the new one is in
        try:
            staging.rename(folder)
        except BaseException:
            if old.exists():
                old.rename(folder)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
