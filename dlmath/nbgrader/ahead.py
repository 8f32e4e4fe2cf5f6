"""Grading ahead: `nbgrader autograde` on two cores, nbgrader's steps unchanged.

nbgrader grades a run's notebooks one after another, in one process. From the run's first
notebook on, a helper process, forked from nbgrader's, takes the run's next notebooks in
nbgrader's order and does for each what nbgrader will: the sanitize steps, then
SealedExecute, the student's code in a sealed worker of its own (as `dlmath grade`'s
helpers do, with the chain of grading.py). When nbgrader's SealedExecute reaches a notebook
the helper has executed, it takes the helper's notebook and grades, provided that nbgrader
handed it the very notebook the helper started from (the same text, to the last byte);
otherwise it runs it here, as always. While it waits for the helper, it executes the next
notebook nobody has taken yet itself. Every other step (sanitizing, writing the autograded
notebooks, the gradebook) still runs in nbgrader's process, for every notebook.

The helper is forked once torch and the graders are loaded (before torch computes
anything: a forked torch that has computed can hang), so it inherits them; its sealed fork
server, started by nbgrader's process just before, loads meanwhile and is handed over to
it. Who takes which notebook is a counter the two processes share: the next one nobody
took. Only the trusted processes see it; the students' workers start from fork servers,
programs of their own (dlmath/sealed/forkserver.py), and are confined as ever.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import re
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import nbformat

from dlmath.nbgrader.plan import Job, stage_files
from dlmath.sealed import forkserver, sandbox


@dataclass(frozen=True)
class Planned:
    """A notebook of the run, in nbgrader's order."""

    student: str
    assignment: str
    path: Path  # the submitted notebook

    @property
    def key(self) -> tuple[str, str, str]:
        return self.student, self.assignment, self.path.stem


@dataclass(frozen=True)
class Executed:
    """A notebook after SealedExecute, and the notebook it started from (a digest)."""

    entry: str
    text: str
    dlmath: dict  # SealedExecute's resources["dlmath"]: protections, cases


def digest(nb) -> str:
    return hashlib.sha256(nbformat.writes(nb).encode()).hexdigest()


def run_plan(converter, first: tuple[str, str, str]) -> list[Planned]:
    """The notebooks nbgrader's Autograde `converter` will grade after `first`, of the same
    assignment, in its order (BaseConverter.convert_notebooks). Submissions nbgrader will
    skip (unchanged since graded, excluded) are left out."""
    coursedir = converter.coursedir
    pattern = coursedir.format_path(coursedir.submitted_directory, "(?P<student_id>.*)",
                                    "(?P<assignment_id>.*)", escape=True)
    planned = []
    for folder in sorted(converter.assignments):
        match = re.match(pattern, folder)
        if match is None or match["assignment_id"] != first[1]:
            continue
        if not _will_grade(converter, match["assignment_id"], match["student_id"]):
            continue
        planned += [Planned(match["student_id"], match["assignment_id"], Path(p))
                    for p in sorted(converter.assignments[folder])]
    keys = [p.key for p in planned]
    return planned[keys.index(first) + 1:] if first in keys else []


def _will_grade(converter, assignment: str, student: str) -> bool:
    """BaseConverter.init_destination's answer, without its side effects."""
    coursedir = converter.coursedir
    if student in (coursedir.student_id_exclude or "").split(","):
        return False
    dest = coursedir.format_path(coursedir.autograded_directory, student, assignment)
    if converter.force or not os.path.exists(dest):
        return True
    new = coursedir.get_existing_timestamp(
        coursedir.format_path(coursedir.submitted_directory, student, assignment))
    old = coursedir.get_existing_timestamp(dest)
    return new is not None and old is not None and new > old


class Ahead:
    """The run's notebooks after the first, the counter of the next one nobody took, the
    helper, and what has been executed ahead (here or there) and not yet taken."""

    def __init__(self, planned: list[Planned], chain, coursedir, server, protected) -> None:
        self.planned, self.coursedir = planned, coursedir
        self.index = {p.key: i for i, p in enumerate(planned)}
        self._chain = chain  # built in each process on first use (see _execute)
        context = multiprocessing.get_context("fork")
        self.next = context.Value("i", 0)  # the next notebook nobody took
        self.done: dict[int, Executed | None] = {}
        self.arrived = threading.Condition()  # guards `done` and `alive`
        self.alive = True
        self.taken_there = 0  # results the helper sent
        self.results, theirs = context.Pipe(duplex=False)
        self.helper = context.Process(target=self._help, args=(theirs, server, protected),
                                      daemon=True, name="dlmath-ahead")
        self.helper.start()
        theirs.close()
        forkserver.handed_over(server)
        # The helper's results are read as they come, so it never waits to send one.
        threading.Thread(target=self._receive, daemon=True, name="dlmath-ahead").start()

    # --- nbgrader's process ----------------------------------------------------------------

    def take(self, key: tuple[str, str, str], nb) -> Executed | None:
        """The notebook `key` as executed ahead from this very `nb`; None: execute it here.
        While the helper executes it, this process executes the next one nobody took."""
        index = self.index.get(key)
        if index is None:
            return None
        while True:
            with self.arrived:
                if index in self.done:
                    executed = self.done.pop(index)
                    break
                if self._claim_up_to(index) or not self.alive:
                    return None  # nobody took it, or the helper died with it: it is ours
                mine = self._claim_next()
                if mine is None:
                    self.arrived.wait()
                    continue
            done = self._execute(mine)
            with self.arrived:
                self.done[mine] = done
        if executed is None or executed.entry != digest(nb):
            return None
        return executed

    def _claim_up_to(self, index: int) -> bool:
        with self.next.get_lock():
            if self.next.value <= index:
                self.next.value = index + 1
                return True
        return False

    def _claim_next(self) -> int | None:
        with self.next.get_lock():
            if self.next.value >= len(self.planned):
                return None
            self.next.value += 1
            return self.next.value - 1

    def _receive(self) -> None:
        """The helper's results, until it exits or dies (then what it took and did not
        send is nbgrader's process's to execute)."""
        while True:
            try:
                index, executed = self.results.recv()
            except (EOFError, OSError):
                break
            with self.arrived:
                self.done[index] = executed
                self.taken_there += executed is not None
                self.arrived.notify_all()
        with self.arrived:
            self.alive = False
            self.arrived.notify_all()

    # --- both processes ----------------------------------------------------------------------

    def _execute(self, index: int) -> Executed | None:
        """Sanitize and SealedExecute one notebook, as nbgrader will, in this process."""
        planned = self.planned[index]
        chain = self._chain() if callable(self._chain) else self._chain
        self._chain = chain
        try:
            with tempfile.TemporaryDirectory(prefix="dlmath-scratch-") as scratch:
                stage_files(self.coursedir, Job(planned.student, planned.assignment,
                                                planned.path.parent, ""), Path(scratch))
                nb = nbformat.read(str(planned.path), as_version=4)
                resources: dict[str, Any] = {
                    "unique_key": planned.path.stem,
                    "output_files_dir": f"{planned.path.stem}_files",
                    "metadata": {"path": scratch},
                    "nbgrader": {"student": planned.student,
                                 "assignment": planned.assignment,
                                 "notebook": planned.path.stem,
                                 "db_url": self.coursedir.db_url}}
                for preprocessor in chain[:-1]:
                    nb, resources = preprocessor(nb, resources)
                entry = digest(nb)
                nb, resources = chain[-1](nb, resources)
                return Executed(entry, nbformat.writes(nb), resources.get("dlmath", {}))
        except Exception:  # nbgrader's process runs it again, and reports what fails
            return None

    # --- the helper ---------------------------------------------------------------------------

    def _help(self, results: Connection, server, protected: list[str]) -> None:
        sandbox.die_with_parent()
        self.results.close()
        forkserver.adopt(server, protected)
        self._chain = self._chain()  # loaded and ready before it takes a notebook
        while (index := self._claim_next()) is not None:
            executed = self._execute(index)
            try:
                results.send((index, executed))
            except OSError:
                break
        results.close()


_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # exporter -> Ahead | None


def for_run(preprocessor, resources: dict, chain, may_fork: bool, protected: list[str],
            load: Callable[[], None]) -> Ahead | None:
    """The run's Ahead, started at its first notebook; None where it cannot help: not
    nbgrader's Autograde, one core, no notebook after this one, or a process that cannot
    fork safely: with threads (the formgrader's server), or where torch may have computed
    (`may_fork` False), which leaves a forked child's torch hanging. Torch loaded but idle
    forks well, as `dlmath grade`'s helpers do."""
    exporter = preprocessor.parent
    if exporter is None:
        return None
    if exporter in _RUNS:
        return _RUNS[exporter]
    _RUNS[exporter] = None
    converter = getattr(exporter, "parent", None)
    if not hasattr(converter, "assignments") or len(os.sched_getaffinity(0)) < 2:
        return None
    if not may_fork or threading.active_count() > 1:
        return None
    ids = resources["nbgrader"]
    planned = run_plan(converter, (ids["student"], ids["assignment"], ids["notebook"]))
    if not planned:
        return None
    server = forkserver.spare_server(protected)  # the helper's: it starts while `load`
    load()  # loads torch and the graders, here, for the helper to inherit
    ahead = _RUNS[exporter] = Ahead(planned, chain, converter.coursedir, server, protected)
    atexit.register(_stop, ahead)
    return ahead


def _stop(ahead: Ahead) -> None:
    if ahead.helper.is_alive():
        ahead.helper.kill()
    ahead.helper.join(5)
