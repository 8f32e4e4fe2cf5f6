"""`dlmath grade`: autograde a class in parallel, leaving what `nbgrader autograde` leaves.

Three steps, a module each: plan.py finds the submissions that are new or changed;
grading.py grades them, here and in `workers - 1` helper processes; record.py writes each
one as it arrives, here only: the autograded folder, then every grade in one transaction,
then a marker that lets the next run skip it. A run killed at any point leaves each
submission either wholly graded or marked for regrading.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import functools
import gc
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties
from traitlets.config import Config

from dlmath.gradebook import upgrade
from dlmath.nbgrader.grading import (
    drawn_folder,
    figures_file,
    graded_in_turn,
    helper_pool,
    load_graders,
    record_figures,
    start_fork_server,
    start_method,
    start_worker,
    wait_for_references,
    warm_here,
    warm_reference_cache,
)
from dlmath.nbgrader.plan import Job, course_directory, find_jobs, is_current, load_config
from dlmath.nbgrader.record import Graded, late_penalties, write_submission
from dlmath.nbgrader.sanitize import AssignmentSnapshot
from dlmath.nbgrader.sealed_execute import protected_on_host
from dlmath.sealed import figures
from dlmath.sealed.sandbox import Protection


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


def grade_assignment(course_root: Path, assignment: str, students: list[str] | None = None,
                     workers: int | None = None, force: bool = False,
                     progress: Callable[[str, int, int], None] | None = None,
                     run: RunJobs | None = None) -> BatchSummary:
    """Autograde every collected submission of `assignment` that is new or changed: here,
    or elsewhere by `run` (a Dask cluster: dlmath/cluster/client.py on_cluster)."""
    started = time.perf_counter()
    config = load_config(Path(course_root).resolve())
    coursedir = course_directory(config)
    summary = BatchSummary()
    upgrade(coursedir.db_url, coursedir.course_id)  # the project's tables, for record.py
    with _only_run(coursedir, assignment), _idle_threads_sleep(), \
            Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.find_assignment(assignment)  # MissingEntry: run generate_assignment first
        jobs = [j for j in find_jobs(coursedir, assignment, students)
                if force or not is_current(coursedir, j, gb) or summary.skipped.append(j.name)]
        if jobs and run:
            run(Batch(config, coursedir, gb, jobs, summary), progress)
        elif jobs:
            _run_jobs(config, coursedir, gb, jobs, workers or os.cpu_count() or 1, summary,
                      progress)
    summary.seconds = time.perf_counter() - started
    return summary


class AlreadyGrading(RuntimeError):
    """Another `dlmath grade` of the same assignment is running on this course."""


@contextlib.contextmanager
def _only_run(coursedir: CourseDirectory, assignment: str) -> Iterator[None]:
    """Hold the assignment's lock for the run: two runs at once (two instructors, a cron job
    and a terminal) would plan the same submissions and swap the same autograded folders
    under each other. A POSIX lock: this process's alone, not its forked helpers', so a
    run whose main process dies lets go of it at once."""
    path = Path(coursedir.root) / f".dlmath-grade-{assignment}.lock"
    try:
        lock = open(path, "a+")  # noqa: SIM115 (closed below, after the run)
    except PermissionError as exc:
        raise ValueError(f"cannot take the lock of {assignment}'s runs, {path}: "
                         f"{exc.strerror} (grade as the account that owns the course)") from None
    with lock:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):  # not "held": say what it is
                raise
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise AlreadyGrading(f"{assignment} is being graded on this course already, by "
                                 f"{holder}: wait for that run to finish, or stop it, and "
                                 "run again (submissions it graded are then skipped)") from None
        lock.truncate(0)
        lock.write(f"process {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        lock.flush()
        yield


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
    # The batch's private folder (references, figures) is hidden from every worker, as the
    # course's own folders are, even where Landlock, which keeps them out of it, is missing.
    with tempfile.TemporaryDirectory(prefix="dlmath-references-") as tmp, \
            protected_on_host([tmp]):
        server = start_fork_server(config)  # this process grades too: its server loads now
        method = start_method()
        if method == "fork":
            load_graders(snapshot)  # torch and the graders load once: helpers inherit them
        cache = Path(tmp) / "references"
        with helper_pool(helpers, method, config, cache, snapshot) as pool:
            # A forked helper has the graders: it computes the references while this process
            # waits for its fork server. A spawned one is still starting: this one does.
            warmed = pool.submit(warm_here, assignment, cache) \
                if pool and method == "fork" else None
            table = record_figures(config, coursedir, assignment, server.ready())
            table.dump(figures_file(cache))
            if pool:  # a figure drawn here is drawn by no helper, and the other way round
                table.shared = drawn_folder(cache)
                table.shared.mkdir(mode=0o700)
            wait_for_references(warmed, coursedir, assignment, cache)
            start_worker(config, None, snapshot)  # this process has the references already
            figures.install(table)
            penalties = late_penalties(config)
            try:
                for done, (job, future) in enumerate(graded_in_turn(pool, helpers, jobs), start=1):
                    _record(coursedir, gb, job, _outcome(future), summary, penalties)
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


@dataclass
class Batch:
    """One run of `dlmath grade` as another runner sees it: what to grade, where to record."""

    config: Config
    coursedir: CourseDirectory
    gb: Gradebook
    jobs: list[Job]
    summary: BatchSummary

    def record(self, job: Job, outcome: Graded | BaseException) -> None:
        _record(self.coursedir, self.gb, job, outcome, self.summary, self.penalties)

    @functools.cached_property
    def penalties(self) -> AssignLatePenalties:
        return late_penalties(self.config)

    def prepare(self, folder: Path) -> tuple[Path, Path]:
        """The references and the instructor's figures, computed here, in `folder`."""
        assignment, cache = self.jobs[0].assignment, folder / "references"
        server = start_fork_server(self.config).ready()
        record_figures(self.config, self.coursedir, assignment, server).dump(figures_file(cache))
        warm_reference_cache(self.coursedir, assignment, cache)
        return cache, figures_file(cache)


RunJobs = Callable[[Batch, Callable[[str, int, int], None] | None], None]


def _outcome(future: Future) -> Graded | BaseException:
    try:
        return future.result()
    except Exception as exc:  # a helper process died: reported, the batch goes on
        return exc


def _record(coursedir, gb, job: Job, outcome: Graded | BaseException, summary: BatchSummary,
            penalties: AssignLatePenalties) -> None:
    if isinstance(outcome, BaseException):
        summary.failed.append((job.name, f"worker failed: {type(outcome).__name__}: {outcome}"))
        return
    graded = outcome
    if graded.error:
        summary.failed.append((graded.job.name, graded.error))
        return
    try:
        write_submission(coursedir, gb, graded, penalties)
    except Exception as exc:
        gb.db.rollback()
        summary.failed.append((graded.job.name, f"could not save: {type(exc).__name__}: {exc}"))
        return
    summary.graded.append(graded.job.name)
    summary.seconds_per_notebook += list(graded.seconds.values())
    summary.figures_reused += graded.figures_reused
    summary.protections = summary.protections or [Protection(*p) for p in graded.protections]
