"""Sealed grading: a submission's cells run in confined workers; graders see a `student`.

    with open_submission(nb, scratch_files, limits, staged=True) as sub:
        sub.run_above(index)                   # the cells above the graded cell at `index`
        result = run_exercise(exercise_id, sub.student(), points)
        sub.finish()                           # the cells below the last graded cell
        for run in sub.cells:                  # what each student cell showed
            nb.cells[run.index].outputs = run.outputs
            nb.cells[run.index].execution_count = run.execution_count

A graded cell judges the notebook as it stands there, as when it runs from top to bottom:
with `staged`, cells run only as far as the next graded cell needs (without it, all of them
run at the start).

A call that hangs is killed and fails with StudentTimeout; one that kills its worker fails
with StudentCrashed, and so does every later call of that exercise. The next exercise
(`run_exercise` calls `student.trace` when it starts) gets a fresh worker that re-runs the
cells, except the ones that hung or crashed a worker. Every limit is in SealedLimits.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from dlmath import codec
from dlmath.engine.errors import (
    InputModified,
    MissingFunction,
    StudentCrashed,
    StudentError,
    StudentRaised,
    StudentTimeout,
    WrongReturnType,
)
from dlmath.engine.plain import to_plain
from dlmath.engine.rounds import in_turn
from dlmath.engine.student import MAX_WARNINGS, StudentBase, call_label
from dlmath.notebooks import student_cells
from dlmath.sealed.channel import Worker, WorkerDied, WorkerTimedOut
from dlmath.sealed.figures import MAX_SNAPSHOT_BYTES, FigureTable, snapshot_key
from dlmath.sealed.forkserver import ForkServer, ServerError, fork_server
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.outputs import clean_outputs, new_output, output_size
from dlmath.sealed.sandbox import Protection

log = logging.getLogger("dlmath.sealed")
START_SECONDS = 30.0
DEFERRED_BYTES = 64 * 2**20  # snapshots of figures a notebook may leave to draw after grading
MAX_DEFERRED = 100  # figures a notebook may leave to draw after grading
MAX_TEXT = 2000  # characters kept of a warning or an error message from a worker
# Requests sent ahead of their replies: far below what a socket holds unread (212 992 bytes
# here, counting each message's bookkeeping), so that sending them never waits.
PIPELINED_BYTES, PIPELINED_REQUESTS = 2**16, 32
_ERRORS = {cls.__name__: cls for cls in (StudentError, StudentTimeout, StudentCrashed,
                                         MissingFunction, WrongReturnType, InputModified)}
_reported: set[str] = set()


def report_missing(protections: list[Protection]) -> list[str]:
    """Log each missing protection once per process; return them all as lines."""
    missing = [p for p in protections if not p.active]
    for p in missing:
        if p.name not in _reported:
            _reported.add(p.name)
            log.warning("sealed grading runs without %s here: %s", p.name, p.detail)
    return [f"{p.name}: {p.detail}" for p in missing]


def protections_summary(protections: list[Protection]) -> list[str]:
    """The run's protections, a line each: which mechanism is active, which is missing on
    this host and why (printed once per run by `nbgrader autograde` and `dlmath grade`)."""
    active = sum(p.active for p in protections)
    return [f"sealed workers: {active} of {len(protections)} protections active"] + [
        f"  {'active ' if p.active else 'MISSING'} {p.name}: {p.detail}" for p in protections]


@dataclass
class CellRun:
    """One student code cell: where it is, what it showed, and what went wrong."""

    index: int  # in nb.cells (in the source list for open_sources)
    number: int  # 1-based among the student's cells: "<cell 3>" in tracebacks
    outputs: list[NotebookNode] = field(default_factory=list)
    execution_count: int | None = None
    problem: str = ""  # one line when the cell failed or did not run


@dataclass
class DeferredFigure:
    """A figure a cell showed, to be drawn after grading (see figures.py)."""

    cell: CellRun
    position: int  # in cell.outputs, where its PNG goes
    snapshot: bytes


class WorkerStartFailed(RuntimeError):
    """No worker could be started: a fault of this machine, not of the submission."""


class Submission:
    """One student's notebook, graded sealed. Use through `open_submission`."""

    def __init__(self, sources: list[str], indices: Iterable[int], limits: SealedLimits,
                 scratch: str, server: ForkServer | None = None, figures: bool = True,
                 figure_table: FigureTable | None = None, staged: bool = False):
        self.sources, self.limits, self.scratch = sources, limits, scratch
        self.figures = figures  # draw matplotlib figures as PNG outputs
        self.figure_table = figure_table  # with one, figures are drawn after grading
        self.deferred: list[DeferredFigure] = []
        self.deferred_bytes = 0
        self.shared_server = server is None
        self.server = server or fork_server()
        self.cells = [CellRun(index, n) for n, index in enumerate(indices, start=1)]
        self.reached = 0 if staged else len(self.cells)  # cells 1..reached run in a worker
        self.started = time.monotonic()
        self.cpu_spent = 0.0  # by workers that have ended
        self.skipped: set[int] = set()  # cells that hung or crashed a worker
        self.worker: Worker | None = None
        self.dead: StudentError | None = None  # why this exercise has no worker
        self.protections: list[Protection] = list(self.server.protections)
        self.missing: list[str] = []
        self._seq = itertools.count(1)
        self._count = itertools.count(1)  # execution counts, as a kernel numbers cells
        self._student: SealedStudent | None = None
        self.closed = False

    @property
    def problems(self) -> list[str]:
        return [c.problem for c in self.cells if c.problem]

    def student(self) -> SealedStudent:
        if self._student is None:
            self._student = SealedStudent(self)
        return self._student

    # --- budgets ------------------------------------------------------------------------

    def wall_left(self) -> float:
        return self.limits.notebook_seconds - (time.monotonic() - self.started)

    def cpu_budget(self) -> float:
        """CPU seconds the current worker may reach in all (its count starts at zero)."""
        return self.limits.notebook_cpu_seconds - self.cpu_spent

    def out_of_time(self) -> str:
        return (f"this notebook may use {self.limits.notebook_seconds:g} s "
                f"({self.limits.notebook_cpu_seconds:g} s of CPU) in all, and that is used up")

    # --- workers -------------------------------------------------------------------------

    def _spawn(self, cpu: float | None = None) -> Worker:
        spec = {"scratch": self.scratch, "limits": self.limits.to_dict(),
                "cpu": cpu or max(self.cpu_budget(), 1.0)}
        try:
            try:
                worker = Worker(self.server, spec, START_SECONDS)
            except ServerError:
                if not self.shared_server:
                    raise
                self.server = fork_server()  # a fresh one: the old one died
                worker = Worker(self.server, spec, START_SECONDS)
        except (ServerError, WorkerDied, WorkerTimedOut) as exc:
            raise WorkerStartFailed(f"a sealed worker did not start: {exc}") from None
        self.protections = worker.protections
        self.missing = report_missing(worker.protections)
        return worker

    def _retire(self, worker: Worker, why: StudentError | None = None) -> None:
        self.cpu_spent += worker.cpu_seconds()
        worker.close()
        if self.worker is worker:
            self.worker, self.dead = None, why

    def new_exercise(self) -> None:
        """A failed worker is replaced for the next exercise, not within the current one."""
        self.dead = None

    def close(self) -> None:
        self.closed = True
        if self.worker is not None:
            self._retire(self.worker)

    def start(self) -> None:
        """Start a worker that runs the cells up to `reached` (all unless staged),
        recording what each one shows."""
        self.worker = self._start_worker()
        self._note_unrun()

    def run_above(self, index: int) -> None:
        """Run the cells above position `index` of the notebook: a graded cell there sees
        what they define, and nothing defined below it."""
        self.run_through(sum(cell.index < index for cell in self.cells))

    def run_through(self, count: int) -> None:
        """Run cells up to number `count` in the current worker. Without one (none yet, or
        it died), the next call starts a worker that runs every cell up to here."""
        added = self.cells[self.reached:count]
        self.reached = max(self.reached, count)
        if added and self.worker is not None:
            try:
                self._run_cells(self.worker, added)
            except (WorkerDied, WorkerTimedOut):
                self._retire(self.worker)

    def finish(self) -> None:
        """Run the cells no graded cell needed (those below the last one), so that every
        cell shows what it printed."""
        self.run_through(len(self.cells))
        if self.worker is None and any(c.execution_count is None and c.number not in
                                       self.skipped for c in self.cells):
            self.dead, self.worker = None, self._start_worker()
        self._note_unrun()

    def extend(self, sources: list[str]) -> list[CellRun]:
        """Run more cells after the others, as a student running one more cell would."""
        first = len(self.cells) + 1
        added = [CellRun(len(self.cells) + i, first + i) for i in range(len(sources))]
        self.sources += sources
        self.cells += added
        self.finish()
        return added

    def next_count(self) -> int:
        """The next execution count, as a kernel numbers the cells it runs."""
        return next(self._count)

    def _note_unrun(self) -> None:
        for cell in self.cells[:self.reached]:
            if cell.execution_count is None and not cell.problem:
                cell.problem = f"cell {cell.number}: not run: {self.out_of_time()}"

    def _start_worker(self) -> Worker | None:
        """A fresh worker that has run every cell up to `reached` but those that hung or
        crashed one."""
        while self.wall_left() > 0 and self.cpu_budget() > 0:
            worker = self._spawn()
            try:
                self._run_cells(worker, [c for c in self.cells[:self.reached]
                                         if c.number not in self.skipped])
                return worker
            except (WorkerDied, WorkerTimedOut):
                self._retire(worker)
        return None

    def _run_cells(self, worker: Worker, cells: list[CellRun]) -> None:
        """Run `cells` in `worker`, recording the outputs of those never run before."""
        seq = next(self._seq)
        defer = DEFERRED_BYTES - self.deferred_bytes if self.figure_table is not None else 0
        worker.send({"op": "run", "seq": seq, "figures": self.figures, "defer": defer,
                     "cells": [[c.number, self.sources[c.number - 1], c.execution_count is None]
                               for c in cells]},
            [], time.monotonic() + self.wall_left())
        cap = 2 * self.limits.output_bytes + 2**20
        frame = 12 * cap + defer  # JSON escapes a character in at most 12 bytes
        for cell in cells:
            seconds = self.limits.cell_seconds + self.limits.grace_seconds
            deadline = time.monotonic() + min(seconds, self.wall_left())
            try:
                header, snapshots = worker.receive(deadline, None, self.cpu_budget(), frame)
            except (WorkerDied, WorkerTimedOut) as exc:
                self._cell_failed(cell, exc)
                raise
            if header.get("op") != "cell" or header.get("seq") != seq or header.get(
                    "number") != cell.number:
                worker.kill()
                died = WorkerDied("it answered out of turn")
                self._cell_failed(cell, died)  # skipped from now on, as a crash would be
                raise died
            if cell.execution_count is None:
                raw, deferred = self._take_figures(header.get("outputs"), snapshots)
                self._record(cell, clean_outputs(raw, cap), str(header.get("problem", ""))[:1000])
                if len(cell.outputs) == len(raw) and all(  # else unusable, figures and all
                        cell.outputs[i].output_type == "display_data" for i, _ in deferred):
                    self.deferred += [DeferredFigure(cell, i, s) for i, s in deferred]

    def _take_figures(self, raw: Any, snapshots: list[memoryview]
                      ) -> tuple[Any, list[tuple[int, bytes]]]:
        """The outputs with each deferred figure as its label, and (position, snapshot) of
        each: those within this notebook's budget, whatever the worker claims."""
        if type(raw) is not list:
            return raw, []
        outputs: list = list(raw)
        deferred: list[tuple[int, bytes]] = []
        for position, output in enumerate(raw):
            if type(output) is not dict or output.get("output_type") != "figure":
                continue
            index, label = output.get("snapshot"), output.get("label")
            snapshot = snapshots[index] if type(index) is int and 0 <= index < len(
                snapshots) else b""
            outputs[position] = {"output_type": "display_data", "metadata": {},
                                 "data": {"text/plain": label}}
            room = min(DEFERRED_BYTES - self.deferred_bytes, MAX_SNAPSHOT_BYTES)
            if 0 < len(snapshot) <= room and len(self.deferred) + len(deferred) < MAX_DEFERRED:
                self.deferred_bytes += len(snapshot)
                deferred.append((position, bytes(snapshot)))
        return outputs, deferred

    # --- figures drawn after grading ------------------------------------------------------

    def draw_figures(self) -> None:
        """Every deferred figure, drawn once grading is over and the student's worker gone:
        the instructor's PNG where the snapshot is the instructor's, else drawn by a fresh
        worker that runs none of the student's cells (see figures.py)."""
        table, deferred, self.deferred = self.figure_table, self.deferred, []
        if table is None or not deferred:
            return
        if self.worker is not None:
            self._retire(self.worker)  # the next exercise would start a fresh one
        missing = []
        for figure in deferred:
            key = snapshot_key(figure.snapshot)
            png = table.known(key)
            if png is None:
                missing.append((figure, key))
            else:
                self._show(figure, png, "")
        cells = len({id(figure.cell) for figure, _ in missing})
        drawn = self._draw_snapshots([figure.snapshot for figure, _ in missing], cells)
        for index, ((figure, key), (png, problem)) in enumerate(zip(missing, drawn, strict=True)):
            # Kept for others: a student's first figure only, drawn by a worker nothing of the
            # student's had touched (a snapshot before it could have changed the next one's).
            if png is not None and (index == 0 or table.recording):
                table.add(key, png)
            self._show(figure, png, problem)

    def _draw_snapshots(self, snapshots: list[bytes], cells: int
                        ) -> Iterator[tuple[bytes | None, str]]:
        """(PNG or None, why not) for each snapshot, drawn by a worker of their own. As when
        they were drawn where they were shown, the figures of each of the `cells` have a
        cell's time, and none more than that; beyond the notebook's budget, but in all no
        more than that budget again."""
        if not snapshots:
            return
        seconds = self.limits.cell_seconds + self.limits.grace_seconds
        total = min(self.limits.cell_seconds * cells, self.limits.notebook_seconds)
        ends = time.monotonic() + total + self.limits.grace_seconds
        try:
            worker = self._spawn(cpu=total)
        except WorkerStartFailed as exc:
            yield from [(None, str(exc))] * len(snapshots)
            return
        seq, done = next(self._seq), 0
        try:
            worker.send({"op": "draw", "seq": seq}, snapshots, time.monotonic() + seconds)
            for index in range(len(snapshots)):
                yield self._receive_figure(worker, seq, index,
                                           min(seconds, ends - time.monotonic()))
                done += 1
        except (WorkerDied, WorkerTimedOut) as exc:
            why = "TimeoutError" if isinstance(exc, WorkerTimedOut) else "WorkerCrashed"
            yield from [(None, why)] * (len(snapshots) - done)
        finally:
            self._retire(worker)

    def _receive_figure(self, worker: Worker, seq: int, index: int, seconds: float
                        ) -> tuple[bytes | None, str]:
        """One PNG, no larger than a cell may show (each is placed before the next comes)."""
        header, buffers = worker.receive(time.monotonic() + seconds,
                                         max_bytes=self.limits.output_bytes + 2**16)
        if header.get("op") != "figure" or header.get("seq") != seq or header.get(
                "index") != index:
            worker.kill()
            raise WorkerDied("it answered out of turn")
        if len(buffers) == 1:
            return bytes(buffers[0]), ""
        return None, str(header.get("problem") or "no PNG")[:100]

    def _show(self, figure: DeferredFigure, png: bytes | None, problem: str) -> None:
        """Put the figure's PNG where it was shown, as the worker would have had it drawn
        then; within the cell's output limit, like everything else the cell shows."""
        outputs = figure.cell.outputs
        label = outputs[figure.position].data.get("text/plain", "")
        data = base64.b64encode(png).decode() if png is not None else ""
        if png is None:
            text = f"the figure could not be drawn: {problem}\n"
        elif sum(output_size(o) for o in outputs) + len(data) > self.limits.output_bytes:
            text = (f"\n[{len(data)} more characters of output dropped: a cell keeps at most "
                    f"{self.limits.output_bytes}]\n")
        else:
            outputs[figure.position] = new_output(
                "display_data", data={"image/png": data, "text/plain": label})
            return
        outputs[figure.position] = new_output("stream", name="stderr", text=text)

    def _record(self, cell: CellRun, outputs: list[NotebookNode], problem: str) -> None:
        cell.execution_count = next(self._count)
        cell.outputs, cell.problem = outputs, problem
        for output in outputs:
            if output.output_type == "execute_result":
                output.execution_count = cell.execution_count

    def _cell_failed(self, cell: CellRun, exc: Exception) -> None:
        self.skipped.add(cell.number)
        if isinstance(exc, WorkerTimedOut):
            ename, evalue = "TimeoutError", (
                f"cell {cell.number} was stopped after {self.limits.cell_seconds:g} s "
                "(an infinite loop?)" if self.wall_left() > 0 else
                f"cell {cell.number} was stopped: {self.out_of_time()}")
        else:
            ename, evalue = "WorkerCrashed", f"cell {cell.number} crashed: {exc}"
        if cell.execution_count is None:
            error = new_output("error", ename=ename, evalue=evalue,
                               traceback=[f"{ename}: {evalue}"])
            self._record(cell, [error], f"{evalue}; the cells after it ran in a fresh "
                                        "process without it")

    def worker_for(self, label: Callable[[], str]) -> Worker:
        if self.worker is not None:
            return self.worker
        if self.closed:
            raise RuntimeError("this submission is closed: grade inside `with open_...`")
        if self.dead is not None:
            raise type(self.dead)(f"{label()} was not run: {self.dead}")
        self.worker = self._start_worker()
        if self.worker is None:
            raise StudentTimeout(f"{label()} was not run: {self.out_of_time()}")
        return self.worker

    def request(self, label: Callable[[], str], header: dict, buffers: list[bytes]
                ) -> tuple[dict, list[memoryview]]:
        """One request's reply from the worker, within the call's limits, sent with the
        other cases' requests of its round (engine/rounds.py). `label` names the call in
        messages: a function, as printing arrays is not free."""
        return in_turn(self.answer, (label, header, buffers))

    def answer(self, requests: list[tuple[Callable[[], str], dict, list[bytes]]]
               ) -> Iterator[Any]:
        """Each request's reply, or the error it meets, in order, as each comes. They are
        sent together (as many as the socket holds unread, so that neither side ever waits
        to write) and the worker answers them one after the other, while the grader checks
        the replies before; each reply is waited for within its call's limits from the
        moment the one before it was taken. None after a timeout."""
        done = 0
        while done < len(requests):
            rest = requests[done:]
            if self.worker is None or len(rest) == 1:  # starts a worker, or says why none
                outcomes: Iterator[Any] = iter([_outcome(self._request, *rest[0])])
            else:
                outcomes = self._pipelined(rest)
            for outcome in outcomes:
                done += 1
                yield outcome
                if _ran_out_of_time(outcome):
                    return

    def _pipelined(self, requests: list[tuple[Callable[[], str], dict, list[bytes]]]
                   ) -> Iterator[Any]:
        """Send the first requests that fit in the socket's buffer, then take their replies
        in turn. Those after a crash or a timeout are left to `answer`; a worker whose
        replies are left unread is retired (the next request must not read them)."""
        worker, room = self.worker, PIPELINED_BYTES
        assert worker is not None
        sent: list[tuple[Callable[[], str], int]] = []
        unsent: tuple[Callable[[], str], WorkerTimedOut | WorkerDied] | None = None
        for label, header, buffers in requests:
            header["seq"] = next(self._seq)
            header["window"] = sent[0][1] if sent else header["seq"]  # its first request's
            parts = codec.frame_parts(header, buffers)
            size = sum(len(p) for p in parts)
            if sent and (size > room or len(sent) == PIPELINED_REQUESTS):
                break
            room -= size
            try:
                worker.send_parts(parts, self._deadline())
            except (WorkerTimedOut, WorkerDied) as exc:
                unsent = label, exc
                break
            sent.append((label, header["seq"]))
        taken = 0
        try:
            for label, seq in sent:
                outcome = _outcome(self._reply, worker, label, seq)
                taken += 1
                gone = self.worker is not worker  # the rest were not answered
                if not gone and _ran_out_of_time(outcome) and (taken < len(sent) or unsent):
                    # The worker stopped that call itself; the next ones must not run at all
                    # (each could loop as long): it answers them at once, unrun, and their
                    # answers are dropped. A worker that does not is retired.
                    if unsent or not self._skipped(worker, sent[taken:]):
                        self._retire(worker, StudentTimeout("an earlier call ran out of time"))
                    taken, gone = len(sent), True
                yield outcome
                if gone:
                    return
            if unsent is not None:
                yield self._lost(worker, *unsent)
        finally:
            if taken < len(sent) and self.worker is worker:
                self._retire(worker)

    def _skipped(self, worker: Worker, rest: list[tuple[Callable[[], str], int]]) -> bool:
        """Whether the worker answered the rest of a window unrun, as after a timeout it
        does (worker.py), in turn and within the grace time."""
        deadline = time.monotonic() + self.limits.grace_seconds
        try:
            for _, seq in rest:
                reply, _ = worker.receive(deadline, max_bytes=codec.MAX_HEADER_BYTES)
                if reply.get("op") != "reply" or reply.get("seq") != seq or reply.get("ok"):
                    return False
        except (WorkerTimedOut, WorkerDied):  # a malformed frame is a death here too
            return False
        return True

    def _request(self, label: Callable[[], str], header: dict, buffers: list[bytes]
                 ) -> tuple[dict, list[memoryview]]:
        """One request, sent alone."""
        worker = self.worker_for(label)
        header["seq"] = seq = next(self._seq)
        try:
            worker.send(header, buffers, self._deadline())
        except (WorkerTimedOut, WorkerDied) as exc:
            raise self._lost(worker, label, exc) from None
        return self._reply(worker, label, seq)

    def _deadline(self) -> float:
        wall = self.limits.call_seconds + self.limits.grace_seconds
        return time.monotonic() + min(wall, self.wall_left())

    def _reply(self, worker: Worker, label: Callable[[], str], seq: int
               ) -> tuple[dict, list[memoryview]]:
        """The reply to request `seq`, waited for within a call's limits from now."""
        try:
            reply, replied = worker.receive(self._deadline(), self.limits.call_cpu_seconds,
                                            self.cpu_budget(), self.limits.result_bytes + 2**20)
        except (WorkerTimedOut, WorkerDied) as exc:
            raise self._lost(worker, label, exc) from None
        if reply.get("op") != "reply" or reply.get("seq") != seq:
            self._retire(worker, StudentCrashed("the process running your code answered out "
                                                "of turn"))
            raise StudentCrashed(f"{label()}: the process running your code answered out of "
                                 "turn (was the channel to the grader tampered with?)")
        if reply.get("fatal"):
            self._retire(worker, StudentCrashed("an earlier call ended the process running "
                                                "your code"))
        return reply, replied

    def _lost(self, worker: Worker, label: Callable[[], str],
              exc: WorkerTimedOut | WorkerDied) -> StudentError:
        """The error of a call whose worker ran out of time or died; the worker is retired
        and the exercise's later calls are not run."""
        if isinstance(exc, WorkerTimedOut):
            budget = (self.wall_left() <= 0.01 if exc.kind == "wall"
                      else worker.cpu_seconds() >= self.cpu_budget() - 0.05)
            timeout = StudentTimeout(self._timeout(label(), exc.kind, budget))
            self._retire(worker, StudentTimeout("an earlier call ran out of time"))
            return timeout
        crash = StudentCrashed(f"{label()} crashed: {exc.reason}")
        self._retire(worker, StudentCrashed(
            f"an earlier call crashed the process running your code ({exc.reason})"))
        return crash

    def _timeout(self, label: str, kind: str, budget: bool) -> str:
        if budget:
            return f"{label} was stopped: {self.out_of_time()}"
        if kind == "cpu":
            return (f"{label} used more than {self.limits.call_cpu_seconds:g} s of CPU time: "
                    "an infinite loop, or a loop far slower than needed?")
        return (f"{label} did not finish within {self.limits.call_seconds:g} s: an infinite "
                "loop, or a loop far slower than needed?")


class SealedStudent(StudentBase):
    """The `student` graders see, answering from a worker process (same surface as
    LocalStudent: `call`, `value`, `has`, `trace`, `sources`, `warnings`, `traced`)."""

    def __init__(self, submission: Submission):
        self._submission = submission
        self.sources: list[str] = submission.sources
        self.warnings: list[str] = []
        self.traced: set[str] = set()
        self.tracing = False

    def cells_run(self) -> int:
        return self._submission.reached

    def trace(self, enabled: bool) -> None:
        """Record numpy operations of later calls; also marks a new exercise (see above)."""
        self.tracing = enabled
        if enabled:
            self.traced = set()
        self._submission.new_exercise()

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        def label() -> str:
            return call_label(name, args, kwargs)

        encoder = codec.Encoder(objects=True)
        header = {"op": "call", "name": name, "args": encoder.value(list(args)),
                  "kwargs": encoder.value(kwargs), "trace": self.tracing}
        reply, buffers = self._submission.request(label, header, encoder.buffers)
        self._absorb(reply, buffers, [args, kwargs], label)
        return self._answer(reply, buffers, lambda: f"the result of {label()}", name)

    def value(self, name: str) -> Any:
        reply, buffers = self._submission.request(lambda: f"`{name}`",
                                                  {"op": "value", "name": name}, [])
        self._absorb(reply, buffers, [], lambda: f"`{name}`")
        return self._answer(reply, buffers, lambda: f"`{name}`", name)

    def has(self, name: str) -> bool:
        reply, buffers = self._submission.request(lambda: f"`{name}`",
                                                  {"op": "has", "name": name}, [])
        return self._answer(reply, buffers, lambda: f"`{name}`") is True

    def _absorb(self, reply: dict, buffers: list[memoryview], args: list,
                label: Callable[[], str]) -> None:
        """Warnings, traced operations and advanced random generators, as a local call
        would have left them."""
        room = MAX_WARNINGS - len(self.warnings)  # as LocalStudent records them
        self.warnings += [w[:MAX_TEXT] for w in _strings(reply.get("warnings"))][:max(room, 0)]
        if self.tracing:
            self.traced |= set(_strings(reply.get("traced", []))[:1000])
        states = reply.get("rngs")
        if states and type(states) is list:  # most calls pass no Generator: no walk
            for rng, tree in zip(codec.generators(args), states, strict=False):
                _advance(rng, tree, buffers, label)

    def _answer(self, reply: dict, buffers: list[memoryview], what: Callable[[], str],
                name: str = "") -> Any:
        if reply.get("ok") is not True:
            raise self.explain_missing(name, error_from_plain(reply.get("error")))
        try:
            value = codec.decode(reply.get("value"), buffers)
        except codec.ProtocolError as exc:
            raise StudentCrashed(f"{what()} arrived malformed ({exc})") from None
        try:
            return to_plain(value)
        except WrongReturnType:  # only a tampered worker sends what to_plain refuses
            return to_plain(value, what=what())


def _advance(rng: Any, tree: Any, buffers: list[memoryview], label: Callable[[], str]
             ) -> None:
    """Set a grader's Generator to the state the worker says the call left it in. Anything
    but a state its bit generator can be in (numpy refuses it with any of several errors:
    an OverflowError for a number too large) is the wrong type of answer, said as such."""
    bits = rng.bit_generator
    try:
        state = codec.decode(tree, buffers)
    except codec.ProtocolError as exc:
        state = f"<malformed: {exc}>"
    try:
        if type(state) is not dict:
            raise TypeError("not a dict")
        bits.state = state
    except Exception as exc:
        try:
            shown = repr(state)
        except ValueError:  # an integer of more digits than Python shows
            shown = "a state holding an integer too large to show"
        name = type(bits).__name__
        raise WrongReturnType(
            f"{label()}: the random generator it was passed came back in a state no "
            f"{name} can be in: got {shown if len(shown) <= 100 else shown[:97] + '...'} "
            f"({type(exc).__name__}: {str(exc)[:100]}); expected a {name} state as the "
            f"generator's own methods leave it: {_example(bits)}") from None


def _example(bits: Any) -> str:
    """A bit generator's state as its type has it, numbers elided: what was expected."""
    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        return value if isinstance(value, str) else type(value).__name__
    text = repr(shape(type(bits)().state))
    return text.replace("'int'", "int").replace("'ndarray'", "array")


def _outcome(request: Callable[..., Any], *args: Any) -> Any:
    """What `request(*args)` returns, or the error it raises for its case (rounds.py)."""
    try:
        return request(*args)
    except StudentError as exc:
        return exc


def _ran_out_of_time(outcome: Any) -> bool:
    """Whether a request's outcome is a call that ran out of time: stopped by the grader
    (an error) or by the worker itself (a reply saying so)."""
    if isinstance(outcome, StudentTimeout):
        return True
    error = outcome[0].get("error") if type(outcome) is tuple else None
    return type(error) is dict and error.get("type") == "StudentTimeout"


def _strings(items: Any) -> list[str]:
    return [s for s in items if type(s) is str] if type(items) is list else []


def error_from_plain(error: Any) -> StudentError:
    """Rebuild the error a worker reported; anything unexpected is a crash."""
    if type(error) is not dict:
        return StudentCrashed("the process running your code sent a malformed answer")
    text = {k: v[:MAX_TEXT] for k, v in error.items() if type(v) is str}
    if error.get("type") == "StudentRaised":
        mro = tuple(_strings(error.get("mro"))[:50])
        return StudentRaised(text.get("call", "?"), text.get("type_name", "?"),
                             text.get("message", ""), mro, text.get("where", ""))
    cls = _ERRORS.get(text.get("type", ""), StudentCrashed)
    return cls(text.get("message", "the process running your code failed"))


# --- opening a submission ---------------------------------------------------------------

def make_scratch(files: Mapping[str, str | Path] | Iterable[str | Path] = ()) -> str:
    """A private directory holding only the released files the notebook may read."""
    scratch = tempfile.mkdtemp(prefix="dlmath-sealed-")
    items = files.items() if isinstance(files, Mapping) else (
        (Path(p).name, p) for p in files)
    try:
        for name, source in items:
            if Path(name).is_absolute() or ".." in Path(name).parts:
                raise ValueError(f"scratch file name {name!r} must be a relative path")
            target = Path(scratch, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    except BaseException:
        remove_scratch(scratch)
        raise
    return scratch


def remove_scratch(scratch: str) -> None:
    """Remove it even when the student's code made parts of it unreadable. Directories are
    made ours again top-down, never through a symbolic link (chmod would follow it)."""
    with contextlib.suppress(OSError):
        os.chmod(scratch, stat.S_IRWXU)
    for root, directories, _files in os.walk(scratch):
        for name in directories:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                with contextlib.suppress(OSError):
                    os.chmod(path, stat.S_IRWXU)
    shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def open_sources(sources: list[str], scratch_files: Any = (),
                 limits: SealedLimits | None = None, *, indices: Iterable[int] | None = None,
                 server: ForkServer | None = None, figures: bool = True,
                 figure_table: FigureTable | None = None, staged: bool = False
                 ) -> Iterator[Submission]:
    """Run student cells sealed (given as sources) and grade them through `student()`.
    `scratch_files`: paths, or {name in scratch: path}; `figures`: draw plots as PNG;
    `figure_table`: draw them after grading (call `draw_figures`), reusing its PNGs;
    `staged`: run no cell yet (`run_above`, `finish` run them)."""
    scratch = make_scratch(scratch_files)
    submission = None
    try:
        submission = Submission(list(sources), range(len(sources)) if indices is None
                                else indices, limits or SealedLimits(), scratch, server, figures,
                                figure_table, staged)
        submission.start()
        yield submission
    finally:
        if submission is not None:
            submission.close()
        remove_scratch(scratch)


@contextlib.contextmanager
def open_submission(nb: NotebookNode, scratch_files: Any = (),
                    limits: SealedLimits | None = None, *, server: ForkServer | None = None,
                    figures: bool = True, figure_table: FigureTable | None = None,
                    staged: bool = False) -> Iterator[Submission]:
    """A notebook's code cells, except graded test cells, run sealed in order."""
    indices = student_cells(nb)
    with open_sources([nb.cells[i].source for i in indices], scratch_files, limits,
                      indices=indices, server=server, figures=figures,
                      figure_table=figure_table, staged=staged) as submission:
        yield submission
