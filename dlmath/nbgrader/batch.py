"""`dlmath grade`: autograde a class in parallel, leaving what `nbgrader autograde` leaves.

Grading a submission means nbgrader's own sanitize preprocessors (restoring locked cells
from a snapshot of the gradebook taken once for the batch, see sanitize.py), then the
course's autograde preprocessors up to the ones that write the gradebook (SealedExecute,
IgnorePattern, LimitOutput); the result is each notebook as the text nbgrader would write
and each cell's score. This process grades, and so do `workers - 1` helper processes. It is
the only writer: for each submission it writes the autograded folder, then every grade in
one transaction, then a marker that lets the next run skip unchanged submissions. A run
killed at any point leaves each submission either wholly graded or marked for regrading.
Before the first submission, the batch computes the PyTorch references once, from the
instructor's solutions (in a helper, when helpers are forked from this process with the
graders loaded, else here), and every grading process loads them. Meanwhile this process
draws the instructor's figures; a student's figure that is the same down to the last bit
gets that PNG, after the student's grading is over (see dlmath/sealed/figures.py).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbgrader import utils
from nbgrader.api import BaseCell, Comment, Grade, Gradebook, MissingEntry
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
from dlmath.nbgrader.sanitize import AssignmentSnapshot, ValidText, batch_preprocessor
from dlmath.notebooks import NotebookError, parse_graded_cell
from dlmath.sealed import figures
from dlmath.sealed.figures import FigureTable
from dlmath.sealed.sandbox import Protection

MARKER = ".dlmath-graded.json"
SANITIZE = (ValidText, ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
            CheckCellMetadata)  # as c.Autograde.sanitize_preprocessors in nbgrader_config.py
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
class Autogrades:
    """What nbgrader's SaveAutoGrades would write for one notebook, by cell name."""

    scores: dict[str, float | None] = field(default_factory=dict)  # grade and task cells
    comments: dict[str, str | None] = field(default_factory=dict)  # solution, task cells


@dataclass
class Graded:
    job: Job
    notebooks: dict[str, str] = field(default_factory=dict)  # notebook id -> its file's text
    autogrades: dict[str, Autogrades] = field(default_factory=dict)  # notebook id -> grades
    seconds: dict[str, float] = field(default_factory=dict)  # grading work per notebook
    figures_reused: int = 0  # figures given the instructor's PNG, not drawn again
    protections: list[list] = field(default_factory=list)  # Protection.to_list() each
    error: str = ""


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unchanged since the last run
    failed: list[tuple[str, str]] = field(default_factory=list)  # (submission, why)
    seconds: float = 0.0
    seconds_per_notebook: list[float] = field(default_factory=list)
    figures_reused: int = 0
    protections: list[Protection] = field(default_factory=list)  # as the first worker had

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


def _start_worker(config: Config, cache_file: str | None, snapshot: AssignmentSnapshot
                  ) -> None:
    """Per grading process, before its first submission: the preprocessors, the graders
    (torch with them) and the sealed fork server, so no notebook pays for them. The
    reference cache is loaded with the first submission (it is written meanwhile)."""
    start_fork_server(config)  # it loads in a process of its own while the graders load here
    autograde = [import_item(p) if isinstance(p, str) else p
                 for p in config.Autograde.get("autograde_preprocessors", [])]
    chain = [batch_preprocessor(cls, snapshot, config=config)
             for cls in (*SANITIZE, *autograde) if cls not in WRITES_GRADEBOOK]
    _worker.update(config=config, chain=[p for p in chain if p.enabled], cache=cache_file,
                   figures=cache_file and str(figures_file(Path(cache_file))))
    _load_graders(snapshot)
    _settle()


def start_fork_server(config: Config, wait: bool = False):
    """This process's sealed fork server, with the paths SealedExecute will ask for."""
    from dlmath.nbgrader.sealed_execute import course_paths
    from dlmath.sealed.forkserver import fork_server

    return fork_server(protected=course_paths({"nbgrader": {
        "db_url": course_directory(config).db_url}}), wait=wait)


def _load_graders(snapshot: AssignmentSnapshot) -> None:
    """Import the grader of every exercise (and torch with them), once per process."""
    from dlmath.engine.runner import load_grader

    for exercise in _exercises(snapshot):
        try:
            load_grader(exercise)
        except Exception:  # the notebook that needs it reports why it cannot load
            pass


def _exercises(snapshot: AssignmentSnapshot) -> set[str]:
    """The exercise of every dlmath.grade call in the assignment's graded cells."""
    found = set()
    for nb in snapshot.notebooks.values():
        points = {c.name: c.max_score for c in nb.grade_cells}
        for cell in nb.source_cells:
            if cell.name in points and cell.cell_type == "code":
                try:
                    found.add(parse_graded_cell(cell.source, points[cell.name], cell.name,
                                                cell.name).exercise_id)
                except NotebookError:  # its notebook says why, when the cell is graded
                    continue
    return found


def _ready() -> int:
    """A job that makes the pool start a process, and nothing else."""
    return os.getpid()


def _load_references() -> None:
    """The batch's references and the instructor's figures, once per worker (written
    before any job is sent)."""
    from dlmath.engine.references import load_cache

    loaded = False
    if _worker.get("cache"):
        load_cache(Path(_worker.pop("cache")))
        loaded = True
    if _worker.get("figures"):
        figures.install(FigureTable.load(Path(_worker.pop("figures"))))
        loaded = True
    if loaded:
        _settle()


def _settle() -> None:
    """What is loaded by now stays loaded: the garbage collector, which otherwise goes
    through all of it again and again (a fifth of a grading process's time), leaves it.
    This process unfreezes it when the batch ends; a helper just exits."""
    gc.freeze()


def grade_job(job: Job) -> Graded:
    """Sanitize and execute every notebook of one submission (in any grading process)."""
    _load_references()
    coursedir = course_directory(_worker["config"])
    graded = Graded(job)
    table = figures.installed()
    reused = table.reused if table else 0
    try:
        with tempfile.TemporaryDirectory(prefix="dlmath-scratch-") as scratch:
            _stage_files(coursedir, job, Path(scratch))
            for path in sorted(job.submitted.glob("*.ipynb")):
                started = time.perf_counter()
                nb, resources = _grade_notebook(coursedir, job, path, scratch)
                graded.protections = resources.get("dlmath", {}).get("protections", [])
                graded.notebooks[path.stem] = notebook_text(nb)
                graded.autogrades[path.stem] = autogrades(nb)
                graded.seconds[path.stem] = time.perf_counter() - started
    except Exception as exc:  # the reason is reported; the submission stays ungraded
        graded.error = f"{type(exc).__name__}: {exc}"
    graded.figures_reused = table.reused - reused if table else 0
    return graded


def _grade_notebook(coursedir: CourseDirectory, job: Job, path: Path, scratch: str):
    nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    resources = {"unique_key": path.stem, "output_files_dir": f"{path.stem}_files",
                 "metadata": {"path": scratch},
                 "nbgrader": {"student": job.student, "assignment": job.assignment,
                              "notebook": path.stem, "db_url": coursedir.db_url}}
    for preprocessor in _worker["chain"]:
        nb, resources = preprocessor(nb, resources)
    return nb, resources


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
        found = graded.autogrades.get(notebook.name)
        if found is None:  # not submitted: zero, as nbgrader does
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = 0, False
        else:
            _save_autogrades(gb, job, notebook, found)
    gb.db.flush()
    _assign_late_penalties(gb, submission)
    gb.db.commit()
    (folder / MARKER).write_text(json.dumps({"digest": job.digest}))


def _save_autogrades(gb: Gradebook, job: Job, notebook, found: Autogrades) -> None:
    """What SaveAutoGrades writes, with one query for the notebook's grades and one for its
    comments instead of one per cell."""
    grades = _by_cell_name(gb, Grade, notebook)
    comments = _by_cell_name(gb, Comment, notebook)
    for name, score in found.scores.items():
        grade = _row(grades, name, "grade", job, notebook)
        grade.auto_score = score
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
    for name, text in found.comments.items():
        _row(comments, name, "comment", job, notebook).auto_comment = text


def _by_cell_name(gb: Gradebook, model: Any, notebook) -> dict[str, Any]:
    """The notebook's grades or comments by cell name; a task cell's only where no other
    cell has the name, as nbgrader's find_grade and find_comment look them up."""
    rows = gb.db.query(model, BaseCell.name, BaseCell.type) \
        .join(BaseCell, BaseCell.id == model.cell_id) \
        .filter(model.notebook_id == notebook.id).all()
    return {name: row for row, name, kind in sorted(rows, key=lambda r: r[2] != "TaskCell")}


def _row(rows: dict[str, Any], name: str, kind: str, job: Job, notebook) -> Any:
    if name not in rows:
        raise MissingEntry(f"No such {kind}: {job.assignment}/{notebook.name}/{name} for "
                           f"{job.student}")
    return rows[name]


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
                    notebooks: dict[str, str]) -> None:
    """Build the autograded folder beside the old one, then swap it in. Should anything
    fail, the staging folder goes and the old folder stays as it was."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{job.assignment}.", dir=folder.parent))
    old = staging.with_name(staging.name + ".old")
    try:
        _stage_files(coursedir, job, staging)
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


# --- the command --------------------------------------------------------------------------

def grade_assignment(course_root: Path, assignment: str, students: list[str] | None = None,
                     workers: int | None = None, force: bool = False,
                     progress: Callable[[str, int, int], None] | None = None) -> BatchSummary:
    """Autograde every collected submission of `assignment` that is new or changed."""
    started = time.perf_counter()
    config = load_config(Path(course_root).resolve())
    coursedir = course_directory(config)
    summary = BatchSummary()
    with _idle_threads_sleep(), Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.find_assignment(assignment)  # MissingEntry: run generate_assignment first
        jobs = [j for j in find_jobs(coursedir, assignment, students)
                if force or not is_current(coursedir, j, gb) or summary.skipped.append(j.name)]
        if jobs:
            _run_jobs(config, coursedir, gb, jobs, workers or os.cpu_count() or 1, summary,
                      progress)
    summary.seconds = time.perf_counter() - started
    return summary


@contextlib.contextmanager
def _idle_threads_sleep() -> Iterator[None]:
    """torch's OpenMP threads (here and in the workers, which inherit the environment) sleep
    when idle instead of spinning for the CPU the other processes need. The same threads
    compute the same numbers; only their waiting changes. Set before torch is loaded."""
    before = os.environ.get("OMP_WAIT_POLICY")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMP_WAIT_POLICY", None)


def _run_jobs(config, coursedir, gb, jobs, workers, summary, progress) -> None:
    """Grade here and in `workers - 1` helper processes; record every result here."""
    assignment = jobs[0].assignment
    snapshot = AssignmentSnapshot.load(gb, assignment)
    helpers = min(workers, len(jobs)) - 1
    server = start_fork_server(config)  # this process grades too: its server loads meanwhile
    method = _start_method()
    if method == "fork":
        _load_graders(snapshot)  # torch and the graders load once: the helpers inherit them
    with tempfile.TemporaryDirectory(prefix="dlmath-references-") as tmp:
        cache = Path(tmp) / "references"
        with _helper_pool(helpers, method, config, cache, snapshot) as pool:
            # A forked helper has the graders: it computes the references while this process
            # waits for its fork server. A spawned one is still starting: this one does.
            warmed = pool.submit(_warm_here, assignment, cache) \
                if pool and method == "fork" else None
            table = record_figures(config, coursedir, assignment, server.ready())
            table.dump(figures_file(cache))
            _references(warmed, coursedir, assignment, cache)
            _start_worker(config, None, snapshot)  # this process has the references already
            figures.install(table)
            try:
                for done, (job, future) in enumerate(_results(pool, helpers, jobs), start=1):
                    _record(coursedir, gb, job, future, summary)
                    if progress:
                        progress(summary.graded[-1] if summary.graded else "", done, len(jobs))
            finally:
                figures.install(None)
                gc.unfreeze()  # this process may go on (a test, a notebook): collect as usual
                _freeze_at_exit()  # but at exit, spare the last walk through it all


@functools.cache
def _freeze_at_exit() -> None:
    """Once per process, however many batches it runs."""
    atexit.register(gc.freeze)


def _start_method() -> str:
    """How helpers start. Forked from this process, they inherit all it has loaded; that
    is safe while it has one thread and has not loaded torch yet (it will, but compute
    nothing before the fork: a child of a process whose torch computed can hang). Else
    they start afresh, and load it all themselves."""
    return "fork" if threading.active_count() == 1 and "torch" not in sys.modules \
        else "spawn"


@contextlib.contextmanager
def _helper_pool(count: int, method: str, config: Config, cache: Path,
                 snapshot: AssignmentSnapshot) -> Iterator[ProcessPoolExecutor | None]:
    """`count` worker processes, started at once so they get ready (graders, their sealed
    fork server) before the first submission; they load the references from `cache`."""
    if count < 1:
        yield None
        return
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker,
                             initargs=(config, str(cache), snapshot)) as pool:
        for _ in range(count):
            pool.submit(_ready)
        yield pool


AHEAD = 4  # jobs handed to each helper before it needs them


def _results(pool: ProcessPoolExecutor | None, helpers: int, jobs: list[Job]
             ) -> Iterator[tuple[Job, Future]]:
    """Every job with its outcome (a finished future), in the order they finish. The helpers
    have jobs queued ahead, so they never wait while this process grades one of its own;
    it collects their results in between, and at the end takes back queued jobs that no
    helper has started. Should the helpers die, this process grades the jobs left."""
    queue = deque(jobs)
    running: dict[Future, Job] = {}
    while queue or running:
        while pool is not None and queue and len(running) < AHEAD * helpers:
            try:
                running[pool.submit(grade_job, queue[0])] = queue[0]
            except BrokenProcessPool:
                pool = None
                break
            queue.popleft()
        finished = [f for f in running if f.done()]
        for future in finished:
            yield running.pop(future), future
        mine = queue.popleft() if queue else _take_back(running)
        if mine is not None:
            here: Future = Future()
            here.set_result(grade_job(mine))
            yield mine, here
        elif running and not finished:
            wait(running, return_when=FIRST_COMPLETED)


def _take_back(running: dict[Future, Job]) -> Job | None:
    """The last queued job no helper has started (cancelling it means it never will)."""
    for future in reversed(list(running)):
        if future.cancel():
            return running.pop(future)
    return None


def _record(coursedir, gb, job: Job, future: Future, summary: BatchSummary) -> None:
    try:
        graded = future.result()
    except Exception as exc:  # a helper process died: report, keep going
        summary.failed.append((job.name, f"worker failed: {type(exc).__name__}: {exc}"))
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
    summary.figures_reused += graded.figures_reused
    summary.protections = summary.protections or [Protection(*p) for p in graded.protections]


def warm_reference_cache(coursedir: CourseDirectory, assignment: str, path: Path) -> None:
    """Compute the references once, from the instructor's own solutions, for all workers."""
    from dlmath.engine.references import dump_cache
    from dlmath.engine.runner import run_exercise
    from dlmath.engine.student import load_student
    from dlmath.notebooks import grade_calls, read

    source = Path(coursedir.root) / coursedir.source_directory / assignment
    for notebook in sorted(source.glob("*.ipynb")):
        student = load_student([notebook])
        for call in grade_calls(read(notebook), str(notebook)):
            run_exercise(call.exercise_id, student, call.points)
    dump_cache(path)


def _references(warmed: Future | None, coursedir: CourseDirectory, assignment: str,
                cache: Path) -> None:
    """The batch's references, here and in `cache`: computed by a helper while this process
    waited for its fork server, or here if no helper did."""
    from dlmath.engine.references import load_cache

    try:
        if warmed is not None:
            warmed.result()
            load_cache(cache)
            return
    except Exception:  # a helper that died is reported by the jobs it cannot take
        pass
    warm_reference_cache(coursedir, assignment, cache)


def _warm_here(assignment: str, cache: Path) -> None:
    """warm_reference_cache in a helper process (it has the graders already); the
    references are then in its memory, so its first submission does not load them again."""
    warm_reference_cache(course_directory(_worker["config"]), assignment, cache)
    _worker.pop("cache", None)


def figures_file(references: Path) -> Path:
    return references.with_name("figures")


def record_figures(config: Config, coursedir: CourseDirectory, assignment: str, server
                   ) -> FigureTable:
    """The instructor's figures, drawn once for the batch: each source notebook run sealed
    as a submission is, every figure's snapshot digest and PNG kept. A notebook that fails
    to run leaves its figures out (the students' are then drawn)."""
    from dlmath.nbgrader.sealed_execute import SealedExecute, released_files
    from dlmath.sealed.student import open_submission

    table = FigureTable(recording=True)
    limits = SealedExecute(config=config).limits()
    source = Path(coursedir.root) / coursedir.source_directory / assignment
    files = released_files({"metadata": {"path": str(source)}}) if source.is_dir() else []
    for notebook in sorted(source.glob("*.ipynb")):
        with contextlib.suppress(Exception):
            nb = nbformat.read(str(notebook), as_version=nbformat.NO_CONVERT)
            with open_submission(nb, files, limits, server=server,
                                 figure_table=table) as submission:
                submission.draw_figures()
    table.recording = False
    return table
