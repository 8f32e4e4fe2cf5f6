"""Grading ahead: `nbgrader autograde` on two cores, nbgrader's steps unchanged.

nbgrader grades a run's notebooks one after another, in one process. From the run's first
notebook on, a helper process takes the run's next notebooks in nbgrader's order and does
for each what nbgrader will: the sanitize steps, then
SealedExecute, the student's code in a sealed worker of its own (as `dlmath grade`'s
helpers do, with the chain of grading.py). When nbgrader's SealedExecute reaches a notebook
the helper has executed, it takes the helper's notebook and grades, provided that nbgrader
handed it the very notebook the helper started from (the same text, to the last byte);
otherwise it runs it here, as always. While it waits for the helper, it executes the next
notebook nobody has taken yet itself. Every other step (sanitizing, writing the autograded
notebooks, the gradebook) still runs in nbgrader's process, for every notebook.

One helper serves all of a process's runs (the formgrader makes one per Autograde). It is
forked once torch and the graders are loaded (before torch computes anything: a forked
torch that has computed can hang), so it inherits them; its sealed fork server, started by
nbgrader's process just before, loads meanwhile and is handed over to it. Where forking is
not safe (the formgrader's server has threads), it is spawned, and loads all itself. Who
takes which notebook is a counter the two processes share: the next one nobody
took. Only the trusted processes see it; the students' workers start from fork servers,
programs of their own (dlmath/sealed/forkserver.py), and are confined as ever.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import multiprocessing
import os
import pickle
import re
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.coursedir import CourseDirectory

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
    notebook: Any  # a NotebookNode
    dlmath: dict  # SealedExecute's resources["dlmath"]: protections, cases


def digest(nb) -> str:
    """Of the notebook's whole content (its JSON, keys sorted), as nbgrader would write it."""
    return hashlib.sha256(json.dumps(nb, sort_keys=True).encode()).hexdigest()


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


@dataclass(frozen=True)
class Order:
    """One run, as the helper gets it (plain data: pickled on the way)."""

    run: int
    planned: list[Planned]
    config: Any  # the run's traitlets Config
    snapshot: Any  # its AssignmentSnapshot (sanitize.py)
    root: str  # the course's root: nbgrader runs its steps from there
    protected: list[str]  # SealedExecute's course_paths: what no worker may see


def execute(order: Order, index: int, chain: list) -> Executed | None:
    """Sanitize and SealedExecute one notebook of the run, as nbgrader will, here."""
    from dlmath.nbgrader.grading import notebook_resources

    planned = order.planned[index]
    coursedir = CourseDirectory(config=order.config, root=order.root)
    job = Job(planned.student, planned.assignment, planned.path.parent, "")
    try:
        with tempfile.TemporaryDirectory(prefix="dlmath-scratch-") as scratch:
            stage_files(coursedir, job, Path(scratch))
            nb = nbformat.read(str(planned.path), as_version=4)  # as nbconvert reads it
            resources = notebook_resources(coursedir, job, planned.path, scratch)
            for preprocessor in chain[:-1]:
                nb, resources = preprocessor(nb, resources)
            entry = digest(nb)
            nb, resources = chain[-1](nb, resources)
            return Executed(entry, nb, resources.get("dlmath", {}))
    except Exception:  # nbgrader's process executes it again, and reports what fails
        return None


class Helper:
    """nbgrader's process's handle on its helper, one for all its runs (the formgrader
    makes a run per Autograde). `state` is shared: [the current run, the next notebook
    of it nobody took]."""

    def __init__(self, method: str, server=None, protected: list[str] | None = None):
        self.method = {"fork": "forked", "spawn": "spawned"}[method]
        context = multiprocessing.get_context(method)
        self.state = context.Array("i", [0, 0])
        orders, self.orders = context.Pipe(duplex=False)
        self.results, results = context.Pipe(duplex=False)
        self.process = context.Process(target=_help, daemon=True, name="dlmath-ahead",
                                       args=(orders, results, self.state, server, protected))
        self.process.start()
        orders.close()
        results.close()
        if server is not None:
            forkserver.handed_over(server)
        self.done: dict[tuple[int, int], Executed | None] = {}  # (run, notebook) -> ...
        self.arrived = threading.Condition()  # guards `done` and `alive`
        self.alive = True
        self.warm = False  # it has sent a result: its first notebook pays for much it loads
        # Its results are read as they come, so it never waits to send one.
        threading.Thread(target=self._receive, daemon=True, name="dlmath-ahead").start()

    def start(self, order: Order) -> bool:
        """A new run (what is left of the last one is left undone); False if the helper
        cannot have it (a config that cannot be pickled, a helper gone)."""
        with self.arrived:
            self.done.clear()
            with self.state.get_lock():
                self.state[0], self.state[1] = order.run, 0
        try:
            self.orders.send(order)
        except Exception:
            with self.state.get_lock():
                self.state[0] = 0  # nothing of this run is the helper's
            return False
        return True

    def claim_up_to(self, run: int, index: int) -> bool:
        with self.state.get_lock():
            if self.state[0] == run and self.state[1] <= index:
                self.state[1] = index + 1
                return True
        return False

    def claim_next(self, run: int, count: int) -> int | None:
        return _claim_next(self.state, run, count)

    def _receive(self) -> None:
        """The helper's results, until it exits or dies (then what it took and did not
        send is nbgrader's process's to execute)."""
        while True:
            try:
                run, index, executed = self.results.recv()
            except (EOFError, OSError):
                break
            with self.arrived:
                self.done[run, index] = executed
                self.warm = True
                self.arrived.notify_all()
        with self.arrived:
            self.alive = False
            self.arrived.notify_all()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


def _claim_next(state, run: int, count: int) -> int | None:
    with state.get_lock():
        if state[0] != run or state[1] >= count:
            return None
        state[1] += 1
        return state[1] - 1


def _help(orders: Connection, results: Connection, state, server, protected) -> None:
    """The helper: for each run it is given, the next notebook nobody took, until none is
    left; then it waits for the next run."""
    from dlmath.engine.runner import refresh_graders
    from dlmath.nbgrader.grading import ahead_chain
    from dlmath.nbgrader.sealed_execute import protect_on_host

    sandbox.die_with_parent()
    if server is not None:
        forkserver.adopt(server, protected)
    made: tuple[bytes, list] | None = None  # the last run's chain, by its config
    while True:
        try:
            order = orders.recv()
        except (EOFError, OSError):
            return
        os.chdir(order.root)
        protect_on_host(order.protected)  # the same paths as nbgrader's process (course_paths)
        refresh_graders()  # as nbgrader's process did at the run's first notebook
        key = pickle.dumps((order.config, order.snapshot))
        if made is None or made[0] != key:
            made = key, ahead_chain(order.config, order.snapshot, order.protected)
        while (index := _claim_next(state, order.run, len(order.planned))) is not None:
            executed = execute(order, index, made[1])
            try:
                results.send((order.run, index, executed))
            except OSError:
                return


class Run:
    """One `nbgrader autograde` run (or one Autograde of the formgrader) as graded ahead:
    its notebooks after the first, and the helper's work on them."""

    def __init__(self, helper: Helper, order: Order, log, patience: float) -> None:
        self.helper, self.order, self.id, self.log = helper, order, order.run, log
        self.patience = patience  # seconds to wait for a notebook: more than its limits
        self.index = {p.key: i for i, p in enumerate(self.order.planned)}
        self._chain: list | None = None

    def take(self, key: tuple[str, str, str], nb) -> Executed | None:
        """The notebook `key` as executed ahead from this very `nb`; None: execute it here.
        While the helper executes it, this process executes the next one nobody took."""
        index, helper = self.index.get(key), self.helper
        if index is None:
            return None
        deadline = time.monotonic() + self.patience
        while True:
            with helper.arrived:
                if (self.id, index) in helper.done:
                    executed = helper.done.pop((self.id, index))
                    break
                if helper.claim_up_to(self.id, index) or not helper.alive:
                    return None  # nobody took it, or the helper died with it: it is ours
                mine = helper.claim_next(self.id, len(self.order.planned))
                if mine is None and not helper.warm:
                    return None  # rather than wait for a cold helper (a spawned one's first)
                if mine is None and time.monotonic() > deadline:
                    self.log.warning("%s: the helper has not sent it in %.0f s; executing "
                                     "it here", "/".join(key), self.patience)
                    return None
                if mine is None:
                    helper.arrived.wait(max(deadline - time.monotonic(), 0) + 0.01)
                    continue
            done = execute(self.order, mine, self.chain())
            with helper.arrived:
                helper.done[self.id, mine] = done
        if executed is not None and executed.entry != digest(nb):
            self.log.warning("%s: executed ahead from another notebook than nbgrader's; "
                             "executing it again", "/".join(key))
            return None
        return executed

    def chain(self) -> list:
        from dlmath.nbgrader.grading import ahead_chain

        if self._chain is None:
            self._chain = ahead_chain(self.order.config, self.order.snapshot,
                                      self.order.protected)
        return self._chain


_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # exporter -> Run | None
_HELPER: list[Helper] = []  # this process's, once started
_NUMBERS = itertools.count(1)  # of its runs


def for_run(preprocessor, resources: dict, snapshot, may_fork: bool, protected: list[str],
            load: Callable[[], None], patience: float) -> Run | None:
    """The run's Run, started at its first notebook; None where grading ahead cannot help:
    not nbgrader's Autograde, one core, no notebook after this one, or no helper."""
    exporter = preprocessor.parent
    if exporter is None:
        return None
    if exporter in _RUNS:
        return _RUNS[exporter]
    _RUNS[exporter] = None
    converter = getattr(exporter, "parent", None)
    if not hasattr(converter, "assignments") or len(os.sched_getaffinity(0)) < 2:
        return None
    ids = resources["nbgrader"]
    planned = run_plan(converter, (ids["student"], ids["assignment"], ids["notebook"]))
    started = bool(_HELPER)
    helper = _helper(may_fork, protected, load) if planned else None
    if helper is None:
        return None
    if not started:
        preprocessor.log.info("grading ahead: a %s helper process executes the next notebooks",
                              helper.method)
    order = Order(next(_NUMBERS), planned, preprocessor.config, snapshot,
                  str(converter.coursedir.root), protected)
    if not helper.start(order):
        return None
    run = _RUNS[exporter] = Run(helper, order, preprocessor.log, patience)
    return run


def _helper(may_fork: bool, protected: list[str], load: Callable[[], None]) -> Helper | None:
    """This process's helper, started with its first run: forked where that is safe, so it
    inherits torch and the graders, else spawned (the formgrader's server has threads, and
    a forked child of a process whose torch has computed can hang: `may_fork` is False once
    torch was loaded before this run). One that died is not replaced."""
    if _HELPER:
        return _HELPER[0] if _HELPER[0].alive else None
    if may_fork and threading.active_count() == 1:
        server = forkserver.spare_server(protected)  # the helper's: it starts while `load`
        load()  # loads torch and the graders, here, for the helper to inherit
        helper = Helper("fork", server, protected)
    else:
        helper = Helper("spawn")
    _HELPER.append(helper)
    atexit.register(helper.stop)
    return helper
