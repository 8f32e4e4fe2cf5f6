"""`dlmath grade`: autograde a class in parallel, leaving what `nbgrader autograde` leaves.

Worker processes do the slow part of each submission: nbgrader's own sanitize
preprocessors (restoring locked cells from the gradebook), then the course's autograde
preprocessors up to the ones that write the gradebook (SealedExecute, IgnorePattern,
LimitOutput). This process is the only writer: for each submission it writes the
autograded folder, then every grade in one transaction, then a marker that lets the next
run skip unchanged submissions. A run killed at any point leaves each submission either
wholly graded or marked for regrading. PyTorch references are computed once for the batch,
here, from the instructor's solutions, and handed to the workers.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

import dlmath
from dlmath.course import autograders_dir

MARKER = ".dlmath-graded.json"
SANITIZE = (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata)
WRITES_GRADEBOOK = (SaveAutoGrades, AssignLatePenalties)  # done here, in one transaction


@dataclass(frozen=True)
class Job:
    """One student's submission of one assignment."""

    student: str
    assignment: str
    submitted: Path
    digest: str

    @property
    def name(self) -> str:
        return f"{self.student}/{self.assignment}"


@dataclass
class Graded:
    job: Job
    notebooks: dict[str, dict] = field(default_factory=dict)  # notebook id -> notebook
    seconds: dict[str, float] = field(default_factory=dict)  # grading work per notebook
    error: str = ""


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unchanged since the last run
    failed: list[tuple[str, str]] = field(default_factory=list)  # (submission, why)
    seconds: float = 0.0
    seconds_per_notebook: list[float] = field(default_factory=list)

    @property
    def notebooks(self) -> int:
        return len(self.seconds_per_notebook)


# --- the course ---------------------------------------------------------------------------

def load_config(course_root: Path) -> Config:
    """The course's nbgrader_config.py, with the course root made explicit."""
    config = Config()
    path = course_root / "nbgrader_config.py"
    if path.exists():
        config.merge(PyFileConfigLoader(path.name, path=str(course_root)).load_config())
    config.CourseDirectory.root = str(course_root)
    return config


def course_directory(config: Config) -> CourseDirectory:
    return CourseDirectory(config=config)


def find_jobs(coursedir: CourseDirectory, assignment: str, students: list[str] | None
              ) -> list[Job]:
    """Every collected submission of the assignment (or of the students named)."""
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    folders = sorted(p / assignment for p in submitted.iterdir() if (p / assignment).is_dir()) \
        if submitted.exists() else []
    if students:
        unknown = set(students) - {f.parent.name for f in folders}
        if unknown:
            raise ValueError(f"no submission of {assignment} from {sorted(unknown)}")
        folders = [f for f in folders if f.parent.name in students]
    shared = _shared_digest(coursedir, assignment)
    return [Job(f.parent.name, assignment, f, _digest(f, shared)) for f in folders]


def _shared_digest(coursedir: CourseDirectory, assignment: str) -> str:
    """What every submission's grade depends on besides itself: sources, graders, config."""
    h = hashlib.sha256(dlmath.__name__.encode())
    root = Path(coursedir.root)
    for folder in (root / coursedir.source_directory / assignment, autograders_dir() / assignment):
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.name.encode() + path.read_bytes())
    config = root / "nbgrader_config.py"
    h.update(config.read_bytes() if config.exists() else b"")
    return h.hexdigest()


def _digest(folder: Path, shared: str) -> str:
    h = hashlib.sha256(shared.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def is_current(coursedir: CourseDirectory, job: Job, gb: Gradebook) -> bool:
    """Graded before from exactly these inputs, and the gradebook still has it."""
    marker = autograded_folder(coursedir, job) / MARKER
    try:
        if json.loads(marker.read_text()).get("digest") != job.digest:
            return False
        gb.find_submission(job.assignment, job.student)
    except (OSError, ValueError, MissingEntry):
        return False
    return True


def autograded_folder(coursedir: CourseDirectory, job: Job) -> Path:
    return Path(coursedir.format_path(coursedir.autograded_directory, job.student,
                                      job.assignment))


# --- workers ------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start_worker(config: Config, cache_file: str) -> None:
    """Per worker process: the preprocessors, and the batch's reference cache."""
    from dlmath.engine.references import load_cache

    load_cache(Path(cache_file))
    autograde = [import_item(p) if isinstance(p, str) else p
                 for p in config.Autograde.get("autograde_preprocessors", [])]
    chain = [cls(config=config) for cls in (*SANITIZE, *autograde)
             if cls not in WRITES_GRADEBOOK]
    _worker.update(config=config, chain=[p for p in chain if p.enabled])


def grade_job(job: Job) -> Graded:
    """Sanitize and execute every notebook of one submission (in a worker process)."""
    coursedir = course_directory(_worker["config"])
    graded = Graded(job)
    try:
        with tempfile.TemporaryDirectory(prefix="dlmath-scratch-") as scratch:
            _stage_files(coursedir, job, Path(scratch))
            for path in sorted(job.submitted.glob("*.ipynb")):
                started = time.perf_counter()
                graded.notebooks[path.stem] = _grade_notebook(coursedir, job, path, scratch)
                graded.seconds[path.stem] = time.perf_counter() - started
    except Exception as exc:  # the reason is reported; the submission stays ungraded
        graded.error = f"{type(exc).__name__}: {exc}"
    return graded


def _known_notebooks(coursedir: CourseDirectory, assignment: str) -> set[str]:
    source = Path(coursedir.root) / coursedir.source_directory / assignment
    return {p.stem for p in source.glob("*.ipynb")}


def _grade_notebook(coursedir: CourseDirectory, job: Job, path: Path, scratch: str) -> dict:
    nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    resources = {"unique_key": path.stem, "output_files_dir": f"{path.stem}_files",
                 "metadata": {"path": scratch},
                 "nbgrader": {"student": job.student, "assignment": job.assignment,
                              "notebook": path.stem, "db_url": coursedir.db_url}}
    for preprocessor in _worker["chain"]:
        nb, resources = preprocessor(nb, resources)
    return nb


def _stage_files(coursedir: CourseDirectory, job: Job, target: Path) -> None:
    """The non-notebook files nbgrader puts beside the notebook: the student's, then the
    instructor's on top."""
    source = Path(coursedir.root) / coursedir.source_directory / job.assignment
    for folder in (job.submitted, source):
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file() and path.suffix != ".ipynb":
                dest = target / path.relative_to(folder)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, dest)


# --- the single writer --------------------------------------------------------------------

def write_submission(coursedir: CourseDirectory, gb: Gradebook, graded: Graded) -> None:
    """Files first, then every grade in one transaction, then the marker."""
    job = graded.job
    folder = autograded_folder(coursedir, job)
    _replace_folder(coursedir, job, folder, graded.notebooks)
    gb.update_or_create_student(job.student)
    timestamp = coursedir.get_existing_timestamp(str(job.submitted))
    submission = gb.update_or_create_submission(job.assignment, job.student,
                                                **({"timestamp": timestamp} if timestamp else {}))
    for notebook in submission.notebooks:
        nb = graded.notebooks.get(notebook.name)
        if nb is None:  # not submitted: zero, as nbgrader does
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = 0, False
        else:
            _save_autogrades(gb, job, notebook.name, nb)
    gb.db.flush()
    _assign_late_penalties(gb, submission)
    gb.db.commit()
    (folder / MARKER).write_text(json.dumps({"digest": job.digest}))


def _save_autogrades(gb: Gradebook, job: Job, notebook: str, nb) -> None:
    """nbgrader's SaveAutoGrades, without a commit per cell."""
    for cell in nb.cells:
        if utils.is_grade(cell):
            grade = gb.find_grade(cell.metadata.nbgrader.grade_id, notebook, job.assignment,
                                  job.student)
            grade.auto_score, _ = utils.determine_grade(cell)
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        if utils.is_solution(cell) or utils.is_task(cell):
            comment = gb.find_comment(cell.metadata.nbgrader.grade_id, notebook,
                                      job.assignment, job.student)
            unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
            comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) \
                else None


def _assign_late_penalties(gb: Gradebook, submission) -> None:
    """nbgrader's AssignLatePenalties with its default plugin, for every notebook."""
    plugin = LateSubmissionPlugin()
    for notebook in submission.notebooks:
        notebook.late_submission_penalty = None
        if submission.total_seconds_late > 0:
            penalty = plugin.late_submission_penalty(submission.student.id, notebook.score,
                                                     submission.total_seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = min(max(penalty, 0), notebook.score)


def _replace_folder(coursedir: CourseDirectory, job: Job, folder: Path,
                    notebooks: dict[str, dict]) -> None:
    """Build the autograded folder beside the old one, then swap it in."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{job.assignment}.", dir=folder.parent))
    _stage_files(coursedir, job, staging)
    for name, nb in notebooks.items():
        nbformat.write(nbformat.from_dict(nb), str(staging / f"{name}.ipynb"))
    permissions = 0o664 if coursedir.groupshared else 0o444
    for path in staging.rglob("*"):
        if path.is_file():
            path.chmod(permissions)
    staging.chmod(0o775 if coursedir.groupshared else 0o755)
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)


# --- the command --------------------------------------------------------------------------

def grade_assignment(course_root: Path, assignment: str, students: list[str] | None = None,
                     workers: int | None = None, force: bool = False,
                     progress: Callable[[str, int, int], None] | None = None) -> BatchSummary:
    """Autograde every collected submission of `assignment` that is new or changed."""
    started = time.perf_counter()
    config = load_config(Path(course_root).resolve())
    coursedir = course_directory(config)
    summary = BatchSummary()
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.find_assignment(assignment)  # MissingEntry: run generate_assignment first
        jobs = [j for j in find_jobs(coursedir, assignment, students)
                if force or not is_current(coursedir, j, gb) or summary.skipped.append(j.name)]
        if jobs:
            _run_jobs(config, coursedir, gb, jobs, workers or os.cpu_count() or 1, summary,
                      progress)
    summary.seconds = time.perf_counter() - started
    return summary


def _run_jobs(config, coursedir, gb, jobs, workers, summary, progress) -> None:
    with tempfile.TemporaryDirectory(prefix="dlmath-references-") as tmp:
        cache = Path(tmp) / "references"
        warm_reference_cache(coursedir, jobs[0].assignment, cache)
        context = multiprocessing.get_context("spawn")  # workers start clean: no forked torch
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context,
                                 initializer=_start_worker, initargs=(config, str(cache))) as pool:
            futures = [pool.submit(grade_job, job) for job in jobs]
            for done, future in enumerate(as_completed(futures), start=1):
                _record(coursedir, gb, future, summary)
                if progress:
                    progress(summary.graded[-1] if summary.graded else "", done, len(jobs))


def _record(coursedir, gb, future, summary: BatchSummary) -> None:
    try:
        graded = future.result()
    except Exception as exc:  # a worker process died: report, keep going
        summary.failed.append(("?", f"worker failed: {type(exc).__name__}: {exc}"))
        return
    if graded.error:
        summary.failed.append((graded.job.name, graded.error))
        return
    try:
        write_submission(coursedir, gb, graded)
    except Exception as exc:
        gb.db.rollback()
        summary.failed.append((graded.job.name, f"could not save: {type(exc).__name__}: {exc}"))
        return
    summary.graded.append(graded.job.name)
    summary.seconds_per_notebook += list(graded.seconds.values())


def warm_reference_cache(coursedir: CourseDirectory, assignment: str, path: Path) -> None:
    """Compute the references once, from the instructor's own solutions, for all workers."""
    from dlmath.engine.references import dump_cache
    from dlmath.engine.runner import run_exercise
    from dlmath.notebooks import grade_calls, load_student, read

    source = Path(coursedir.root) / coursedir.source_directory / assignment
    for notebook in sorted(source.glob("*.ipynb")):
        student = load_student([notebook])
        for call in grade_calls(read(notebook), str(notebook)):
            run_exercise(call.exercise_id, student, call.points)
    dump_cache(path)
