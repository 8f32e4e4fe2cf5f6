"""`dlmath grade`, running: grading processes, each grading one submission at a time.

Grading a submission means nbgrader's own sanitize preprocessors (restoring locked cells
from a snapshot of the gradebook taken once for the batch, see sanitize.py), then the
course's autograde preprocessors up to the ones that write the gradebook (SealedExecute,
IgnorePattern, LimitOutput); the result, a Graded, is each notebook as the text nbgrader
would write and each cell's score, written by record.py in the batch's own process. Before
the first submission, the batch computes the PyTorch references once, from the instructor's
solutions (in a helper, when helpers are forked from the batch's process with the graders
loaded, else there), and every grading process loads them. Meanwhile the batch draws the
instructor's figures; a student's figure that is the same down to the last bit gets that
PNG, after the student's grading is over (see dlmath/sealed/figures.py), and so does one
identical to a student's figure that any of the batch's processes drew before. `_worker` is the
state of one grading process: what it loaded once for all its submissions.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.coursedir import CourseDirectory
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
from traitlets.utils.importstring import import_item

from dlmath.nbgrader.plan import Job, course_directory, stage_files
from dlmath.nbgrader.record import Graded, SaveGrades, autogrades, notebook_text
from dlmath.nbgrader.sanitize import AssignmentSnapshot, ValidText, batch_preprocessor
from dlmath.notebooks import NotebookError, parse_graded_cell
from dlmath.sealed import figures
from dlmath.sealed.figures import FigureTable

SANITIZE = (ValidText, ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
            CheckCellMetadata)  # c.Autograde.sanitize_preprocessors, by nbgrader's names:
# batch_preprocessor makes each its batch version (the config names the per-run ones)


WRITES_GRADEBOOK = (SaveAutoGrades, SaveGrades, AssignLatePenalties)  # by record.py, at once


_worker: dict[str, Any] = {}


def start_worker(config: Config, cache_file: str | None, snapshot: AssignmentSnapshot
                  ) -> None:
    """Per grading process, before its first submission: the preprocessors, the graders
    (torch with them) and the sealed fork server, so no notebook pays for them. The
    reference cache is loaded with the first submission (it is written meanwhile)."""
    if cache_file:  # a helper: the batch's private folder is hidden from its workers too
        from dlmath.nbgrader.sealed_execute import protect_on_host

        protect_on_host([str(Path(cache_file).parent)])
    start_fork_server(config)  # it loads in a process of its own while the graders load here
    _worker.update(config=config, chain=grading_chain(config, snapshot), cache=cache_file,
                   figures=cache_file and str(figures_file(Path(cache_file))))
    load_graders(snapshot)
    _settle()


def grading_chain(config: Config, snapshot: AssignmentSnapshot, through: type | None = None
                  ) -> list:
    """The sanitize steps, then the course's autograde steps but those that write the
    gradebook (through the first `through` among them, if given; [] if there is none)."""
    autograde = [import_item(p) if isinstance(p, str) else p
                 for p in config.Autograde.get("autograde_preprocessors", [])]
    if through is not None:
        ends = [i for i, cls in enumerate(autograde) if issubclass(cls, through)]
        if not ends:
            return []
        autograde = autograde[:ends[0] + 1]
    chain = [batch_preprocessor(cls, snapshot, config=config)
             for cls in (*SANITIZE, *autograde) if cls not in WRITES_GRADEBOOK]
    return [p for p in chain if p.enabled]


def ahead_chain(config: Config, snapshot: AssignmentSnapshot, protected: list[str]) -> list:
    """The chain of `nbgrader autograde`'s helper (ahead.py), through SealedExecute, with
    the graders loaded and its sealed fork server ready, so it takes no notebook before it
    can start on it."""
    from dlmath.nbgrader.sealed_execute import SealedExecute
    from dlmath.sealed.forkserver import fork_server

    load_graders(snapshot)
    chain = grading_chain(config, snapshot, through=SealedExecute)
    for preprocessor in chain:  # what they would say, nbgrader's own steps say when it is
        preprocessor.log = _QUIET  # their notebook's turn
    fork_server(protected=protected)  # SealedExecute's (the helper's adopted one if forked)
    return chain


_QUIET = logging.getLogger("dlmath.nbgrader.ahead")
_QUIET.disabled = True


def start_fork_server(config: Config, wait: bool = False):
    """This process's sealed fork server, with the paths SealedExecute will ask for."""
    from dlmath.nbgrader.sealed_execute import course_paths
    from dlmath.sealed.forkserver import fork_server

    return fork_server(protected=course_paths({"nbgrader": {
        "db_url": course_directory(config).db_url}}), wait=wait)


def load_graders(snapshot: AssignmentSnapshot) -> None:
    """Import the grader of every exercise (and torch with them), once per process."""
    from dlmath.engine.runner import load_grader, refresh_graders

    refresh_graders()  # a process that graded a run before (a notebook, a test) may go on
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
        path = Path(_worker.pop("figures"))
        drawn = drawn_folder(path)  # made by the batch when it has helpers (not the cluster)
        figures.install(FigureTable.load(path, shared=drawn if drawn.is_dir() else None))
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
            stage_files(coursedir, job, Path(scratch))
            for path in sorted(job.submitted.glob("*.ipynb")):
                started = time.perf_counter()
                nb, resources = _grade_notebook(coursedir, job, path, scratch)
                graded.protections = resources.get("dlmath", {}).get("protections", [])
                graded.notebooks[path.stem] = notebook_text(nb)
                graded.autogrades[path.stem] = autogrades(nb)
                graded.cases[path.stem] = resources.get("dlmath", {}).get("cases", [])
                graded.seconds[path.stem] = time.perf_counter() - started
    except Exception as exc:  # the reason is reported; the submission stays ungraded
        graded.error = f"{type(exc).__name__}: {exc}"
    graded.figures_reused = table.reused - reused if table else 0
    return graded


def notebook_resources(coursedir: CourseDirectory, job: Job, path: Path, scratch: str
                       ) -> dict[str, Any]:
    """The resources nbgrader's converter hands its preprocessors for one notebook, with
    the files beside it staged in `scratch`."""
    return {"unique_key": path.stem, "output_files_dir": f"{path.stem}_files",
            "metadata": {"path": scratch},
            "nbgrader": {"student": job.student, "assignment": job.assignment,
                         "notebook": path.stem, "db_url": coursedir.db_url}}


def _grade_notebook(coursedir: CourseDirectory, job: Job, path: Path, scratch: str):
    nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    resources = notebook_resources(coursedir, job, path, scratch)
    for preprocessor in _worker["chain"]:
        nb, resources = preprocessor(nb, resources)
    return nb, resources


def start_method() -> str:
    """How helpers start. Forked from this process, they inherit all it has loaded; that
    is safe while it has one thread and has not loaded torch yet (it will, but compute
    nothing before the fork: a child of a process whose torch computed can hang). Else
    they start afresh, and load it all themselves."""
    return "fork" if threading.active_count() == 1 and "torch" not in sys.modules \
        else "spawn"


@contextlib.contextmanager
def helper_pool(count: int, method: str, config: Config, cache: Path,
                 snapshot: AssignmentSnapshot) -> Iterator[ProcessPoolExecutor | None]:
    """`count` worker processes, started at once so they get ready (graders, their sealed
    fork server) before the first submission; they load the references from `cache`."""
    if count < 1:
        yield None
        return
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(count, mp_context=context, initializer=start_worker,
                             initargs=(config, str(cache), snapshot)) as pool:
        for _ in range(count):
            pool.submit(_ready)
        yield pool


AHEAD = 4  # jobs handed to each helper before it needs them


def graded_in_turn(pool: ProcessPoolExecutor | None, helpers: int, jobs: list[Job]
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


def wait_for_references(warmed: Future | None, coursedir: CourseDirectory, assignment: str,
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


def warm_here(assignment: str, cache: Path) -> None:
    """warm_reference_cache in a helper process (it has the graders already); the
    references are then in its memory, so its first submission does not load them again."""
    warm_reference_cache(course_directory(_worker["config"]), assignment, cache)
    _worker.pop("cache", None)


def figures_file(references: Path) -> Path:
    return references.with_name("figures")


def drawn_folder(beside: Path) -> Path:
    """The folder, beside the batch's references and figures file, where its grading
    processes share the students' figures they draw (FigureTable.shared)."""
    return beside.with_name("drawn")


def record_figures(config: Config, coursedir: CourseDirectory, assignment: str, server
                   ) -> FigureTable:
    """The instructor's figures, drawn once for the batch: each source notebook of the
    assignment run sealed as a submission is (with the files beside it), its figures drawn.
    A notebook that fails to run adds none (the students' figures are then drawn)."""
    from dlmath.nbgrader.sealed_execute import SealedExecute, released_files
    from dlmath.sealed.student import open_submission

    table = FigureTable(recording=True)
    limits = SealedExecute(config=config).limits()
    source = Path(coursedir.root) / coursedir.source_directory / assignment
    for notebook in sorted(source.glob("*.ipynb")):
        with contextlib.suppress(Exception):
            nb = nbformat.read(str(notebook), as_version=nbformat.NO_CONVERT)
            files = released_files({"metadata": {"path": str(notebook.parent)}})
            with open_submission(nb, files, limits, server=server,
                                 figure_table=table) as submission:
                submission.draw_figures()
    table.recording = False
    return table
