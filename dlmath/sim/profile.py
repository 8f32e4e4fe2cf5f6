"""Where grading time goes (issue 23): each grading path run once more, under cProfile in
the process that grades, its time shared out among a few categories.

The paths: sealed `nbgrader autograde` (nbgrader's AutogradeApp run in a spawned process,
in-process there, with the course's nbgrader_config.py), `dlmath grade` (with one worker,
so the batch's own process grades every submission) and the floor (`check_notebook`
unsealed in this process). These runs are not the benchmark's timings: the benchmark times
every path without a profiler first, and profiles afterwards, on a few students.

Attribution. cProfile's cumulative time of a function counts everything below it, exactly,
whatever it calls. Each category is the cumulative time of a few functions named here (the
student's cells: starting a sealed worker and running cells in it; the graders' calls: the
`student` object's `call`, `value` and `has`; the checks: grading an exercise; ...), less
what other categories' functions take inside them, which `attribute` subtracts by name (a
worker started inside a grader's call is the student's cells; a reference computed inside
a check is references). The rest is what is left of the total.

Greenlets. The engine runs an exercise's cases side by side, each in a greenlet
(engine/rounds.py). cProfile keeps one stack of calls per thread, which a switch between
greenlets would tangle, and its clock would charge a case for the time it waited. So each
greenlet gets a profiler of its own, whose clock runs only while that greenlet runs
(`GreenletProfile`), and their tables are added together: a case's checks count under
`run_case`, and the answering of its calls (made, or sent and read) under `rounds._take`.
"""

from __future__ import annotations

import cProfile
import functools
import importlib
import os
import pstats
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import greenlet
from rich.markup import escape
from rich.table import Table
from threadpoolctl import threadpool_limits

from dlmath.nbgrader.course import Course
from dlmath.sim.spawn import enter_course, in_course_process

STUDENT_CELLS = "student cells"
GRADER_CALLS = "grader calls"
CHECKS = "checks"
REFERENCES = "references"
FIGURES = "figures"
NOTEBOOK_IO = "notebook I/O"
GRADEBOOK = "gradebook"
NBGRADER = "nbgrader other"
REST = "rest"
CATEGORIES = (STUDENT_CELLS, GRADER_CALLS, CHECKS, REFERENCES, FIGURES, NOTEBOOK_IO,
              GRADEBOOK, NBGRADER, REST)
LOADING = "loading the graders"  # kept apart while attributing; shown within the rest
_ALL = (*CATEGORIES, LOADING)

SEALED_AUTOGRADE = "sealed autograde"
GRADE = "dlmath grade"  # with one worker: the notes say so
FLOOR = "floor"
HEADERS = {STUDENT_CELLS: "student\ncells", GRADER_CALLS: "grader\ncalls", CHECKS: "checks",
           REFERENCES: "refer-\nences", FIGURES: "figures", NOTEBOOK_IO: "notebook\nI/O",
           GRADEBOOK: "grade-\nbook", NBGRADER: "nbgrader\nother", REST: "rest"}

Key = tuple[str, int, str]  # cProfile's name of a function: (file, first line, name)
Raw = dict[Key, tuple]  # pstats' table: key -> (cc, nc, tottime, cumtime, callers)

# The functions the categories are made of, by dotted name (`module:Qualified.name`); an
# absent one counts nothing (the pipeline changes: nbgrader's steps, the course's own).
SUBMISSION = "dlmath.sealed.student:Submission"
START_WORKER = f"{SUBMISSION}._start_worker"  # start a worker, run the cells so far in it
RUN_CELLS = f"{SUBMISSION}._run_cells"  # run more cells in the worker
WORKER_FOR = f"{SUBMISSION}.worker_for"  # a grader's call that needs a fresh worker
CELL_SETUP = (f"{SUBMISSION}.close", "dlmath.sealed.student:make_scratch",
              "dlmath.sealed.student:remove_scratch", "dlmath.sealed.forkserver:fork_server")
EXEC_CELLS = "dlmath.engine.student:exec_cells"  # the floor runs the cells here
CALLS = tuple(f"dlmath.{where}.{method}" for where in (
    "sealed.student:SealedStudent", "engine.student:LocalStudent")
    for method in ("call", "value", "has")) + (
    "dlmath.engine.rounds:_take",)  # a round's answers: the calls made, or sent and read
RUN_CASE = "dlmath.engine.runner:run_case"  # a case, in a greenlet of its own
GRADE_CELL = "dlmath.nbgrader.sealed_execute:grade_cell"  # grade_exercise and its feedback
GRADE_EXERCISE = "dlmath.engine.runner:grade_exercise"
RUN_EXERCISE = "dlmath.engine.runner:run_exercise"
LOAD_GRADER = "dlmath.engine.runner:load_grader"  # imports a grader (torch with the first)
DIGEST = ("dlmath.engine.references:input_digest", "dlmath.engine.references:_copy")
DRAW_FIGURES = f"{SUBMISSION}.draw_figures"  # figures drawn after grading, by every path
NOTEBOOK_FILES = ("nbformat:read", "nbformat:reads", "nbformat:write", "nbformat:writes",
                  "nbformat:validate", "nbformat.validator:validate",
                  "nbconvert.writers:FilesWriter.write")
REPLACE_FOLDER = "dlmath.nbgrader.record:_replace_folder"  # dlmath grade's autograded folder
WRITE_SUBMISSION = "dlmath.nbgrader.record:write_submission"
GRADEBOOK_STEPS = (
    *[f"nbgrader.preprocessors:{name}.preprocess" for name in (
        "SaveAutoGrades", "AssignLatePenalties", "OverwriteCells", "OverwriteKernelspec")],
    "nbgrader.converters.autograde:Autograde.init_assignment",
    "dlmath.nbgrader.record:SaveGrades.preprocess",
    "dlmath.nbgrader.sealed_execute:SaveCases.preprocess",
    "dlmath.nbgrader.sanitize:run_snapshot", WRITE_SUBMISSION)
NBGRADER_RUNS = ("nbgrader.apps.autogradeapp:AutogradeApp.start",  # all of autograde
                 "dlmath.nbgrader.grading:_grade_notebook")  # dlmath grade's preprocessors
AUTOGRADES = "dlmath.nbgrader.record:autogrades"  # dlmath grade's scores, read off cells
EXECUTES = ("dlmath.nbgrader.sealed_execute:SealedExecute.preprocess",
            "nbgrader.preprocessors:Execute.preprocess")


@functools.cache
def keys_of(name: str) -> frozenset[Key]:
    """cProfile's key of the function a dotted name names (none if there is no such one)."""
    module, _, path = name.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in path.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return frozenset()
    key = code_key(obj)
    return frozenset([key]) if key else frozenset()


def code_key(obj: Any) -> Key | None:
    """cProfile's key of a Python function (of the function a C wrapper such as
    functools.cache holds)."""
    code = getattr(obj, "__code__", None)
    if code is None and hasattr(obj, "__wrapped__"):
        code = getattr(obj.__wrapped__, "__code__", None)
    return (code.co_filename, code.co_firstlineno, code.co_name) if code else None


def reference_wrapper() -> Key | None:
    """The wrapper `@reference` puts around every PyTorch reference (one code object)."""
    from dlmath.engine.references import reference

    return code_key(reference(lambda: None))


class Calls:
    """A cProfile table read as cumulative times: of functions, and of one caller's calls
    of a function. Both count everything below them, whatever it is, exactly."""

    def __init__(self, raw: Raw):
        self.raw = raw

    def keys(self, names: Iterable[str]) -> set[Key]:
        return {key for name in names for key in keys_of(name) if key in self.raw}

    def cumulative(self, *names: str) -> float:
        return sum(self.raw[key][3] for key in self.keys(names))

    def edges(self, callee: Callable[[Key], bool], caller: Callable[[Key], bool]) -> float:
        """Cumulative time of the calls of functions `callee` accepts made directly by
        functions `caller` accepts."""
        return sum(edge[3] for key, entry in self.raw.items() if callee(key)
                   for by, edge in entry[4].items() if caller(by))

    def entries(self, names: Iterable[str], outside: Callable[[Key], bool] = lambda _: True
                ) -> float:
        """Cumulative time of these functions, but of their calls of one another: what
        callers `outside` accepts spent in them."""
        keys = self.keys(names)
        return self.edges(keys.__contains__, lambda by: by not in keys and outside(by))

    def edge(self, caller: str, callee: str) -> float:
        callers = self.keys([caller])
        return self.edges(self.keys([callee]).__contains__, callers.__contains__)

    def below(self, names: Iterable[str]) -> set[Key]:
        """Every function called, directly or not, from these."""
        callees: dict[Key, list[Key]] = {}
        for key, entry in self.raw.items():
            for by in entry[4]:
                callees.setdefault(by, []).append(key)
        found, todo = set(), list(self.keys(names))
        while todo:
            key = todo.pop()
            if key not in found:
                found.add(key)
                todo += callees.get(key, [])
        return found


def _cell_top_level(key: Key) -> bool:
    """A student cell's own code (not a function it defines): "<cell N>", "<module>"."""
    return key[0].startswith("<cell") and key[2] == "<module>"


def _matplotlib(key: Key) -> bool:
    return f"{os.sep}matplotlib{os.sep}" in key[0]


def _nbformat(key: Key) -> bool:
    return f"{os.sep}nbformat{os.sep}" in key[0]


def attribute(raw: Raw) -> dict[str, float]:
    """Seconds of each of CATEGORIES (and LOADING, which the rest holds) in a profile.

    Each is the cumulative time (everything below, exactly) of a few functions (the names
    above), less what other categories' functions take inside them:
      student cells = _start_worker + _run_cells (but run by _start_worker) + closing,
          scratch folder, fork server + exec_cells (the floor) - the floor cells' plotting
      grader calls = SealedStudent's and LocalStudent's call/value/has - the workers
          started inside them (worker_for -> _start_worker, in student cells)
          + rounds._take (answering a round's calls, in the main greenlet)
      checks = grade_cell + grade_exercise (not inside grade_cell) + run_case (the cases'
          greenlets) - grader calls (all made inside) - references - load_grader
          (run_exercise -> load_grader)
      references = what the @reference wrapper calls but its digest and copy (a miss)
      figures = draw_figures + the floor cells' direct calls of matplotlib
      notebook I/O = calls of nbformat's read/reads/write/writes/validate and nbconvert's
          FilesWriter.write from outside them and nbformat, + record._replace_folder
      gradebook = calls of nbgrader's and the course's steps that read or write it (but of
          one another) - write_submission -> _replace_folder (in notebook I/O)
      nbgrader other = AutogradeApp.start + _grade_notebook - SealedExecute.preprocess (or
          Execute's) - notebook I/O and gradebook called from below them + autogrades
          (dlmath grade's, not SaveGrades')
      rest = the total - all the others; LOADING (load_grader: in no other category, as
          checks leave it out) is kept apart within it
    """
    calls = Calls(raw)
    graded_cell = calls.keys([GRADE_CELL])
    total = sum(entry[2] for entry in raw.values())
    start_worker = calls.cumulative(START_WORKER)
    restarts = calls.edge(WORKER_FOR, START_WORKER)
    cells_plotting = calls.edges(_matplotlib, _cell_top_level)
    setup = calls.keys([START_WORKER, RUN_CELLS, *CELL_SETUP, "dlmath.sealed.student:"
                        "Submission._spawn"])
    student_cells = (start_worker + calls.cumulative(RUN_CELLS)
                     - calls.edge(START_WORKER, RUN_CELLS)
                     + calls.entries(CELL_SETUP, lambda by: by not in setup)
                     + calls.cumulative(EXEC_CELLS) - cells_plotting)
    grader_calls = calls.cumulative(*CALLS)
    wrapper = reference_wrapper()
    own = calls.keys(DIGEST)
    references = calls.edges(lambda key: key not in own, lambda by: by == wrapper)
    checks = (calls.cumulative(GRADE_CELL)
              + calls.entries([GRADE_EXERCISE], lambda by: by not in graded_cell)
              + calls.cumulative(RUN_CASE)
              - grader_calls - references - calls.edge(RUN_EXERCISE, LOAD_GRADER))
    figures = calls.cumulative(DRAW_FIGURES) + cells_plotting
    files = calls.keys(NOTEBOOK_FILES)
    inside = calls.below(NBGRADER_RUNS)

    def io_from(where: Callable[[Key], bool]) -> float:
        return calls.edges(files.__contains__,
                           lambda by: by not in files and not _nbformat(by) and where(by))

    steps = calls.keys(GRADEBOOK_STEPS)

    def gradebook_from(where: Callable[[Key], bool]) -> float:
        return calls.edges(steps.__contains__, lambda by: by not in steps and where(by))

    folder = calls.cumulative(REPLACE_FOLDER)
    notebook_io = io_from(lambda _: True) + folder
    gradebook = gradebook_from(lambda _: True) - calls.edge(WRITE_SUBMISSION, REPLACE_FOLDER)
    nbgrader = (calls.cumulative(*NBGRADER_RUNS) - calls.cumulative(*EXECUTES)
                - io_from(inside.__contains__) - gradebook_from(inside.__contains__)
                + calls.entries([AUTOGRADES], lambda by: by not in steps))
    seconds = {STUDENT_CELLS: student_cells, GRADER_CALLS: grader_calls - restarts,
               CHECKS: checks, REFERENCES: references, FIGURES: figures,
               NOTEBOOK_IO: notebook_io, GRADEBOOK: gradebook, NBGRADER: nbgrader}
    seconds = {name: max(value, 0.0) for name, value in seconds.items()}
    seconds[REST] = max(total - sum(seconds.values()), 0.0)
    seconds[LOADING] = min(calls.cumulative(LOAD_GRADER), seconds[REST])  # within the rest
    seconds[REST] -= seconds[LOADING]
    return seconds


def load(path: Path) -> Raw:
    return pstats.Stats(str(path)).stats  # type: ignore[attr-defined]


# --- what a profile says ------------------------------------------------------------------

@dataclass
class Profile:
    """One grading path, profiled: seconds per category over `notebooks` notebooks."""

    label: str
    notebooks: int
    seconds: dict[str, float] = field(default_factory=dict)  # every one of _ALL
    file: Path | None = None  # the cProfile data, for pstats or snakeviz
    problems: list[str] = field(default_factory=list)
    window: str = ""  # what was profiled

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def category(self, name: str) -> float:
        """Seconds of one of CATEGORIES (the rest with the graders' loading)."""
        extra = self.seconds.get(LOADING, 0.0) if name == REST else 0.0
        return self.seconds.get(name, 0.0) + extra

    def share(self, name: str) -> float:
        return self.category(name) / self.total if self.total else 0.0

    def ms_per_notebook(self, name: str | None = None) -> float:
        seconds = self.total if name is None else self.category(name)
        return 1000 * seconds / self.notebooks if self.notebooks else 0.0


def profile_of(label: str, path: Path, notebooks: int, window: str,
               problems: list[str] | None = None) -> Profile:
    return Profile(label, notebooks, attribute(load(path)), path, list(problems or []), window)


def profile_table(profiles: list[Profile]) -> Table:
    table = Table(title="Where the time goes: each path profiled (cProfile), share of its "
                        "time and ms per notebook", title_justify="left")
    table.add_column("path", no_wrap=True)
    table.add_column("note-\nbooks", justify="right")
    table.add_column("profiled\nms/nb", justify="right")
    for name in CATEGORIES:
        table.add_column(HEADERS[name], justify="right")
    for p in profiles:
        table.add_row(p.label, str(p.notebooks), f"{p.ms_per_notebook():.0f}",
                      *[f"{p.share(c):.0%}\n{p.ms_per_notebook(c):.1f}" for c in CATEGORIES])
    return table


def profile_notes(profiles: list[Profile], students: int) -> list[str]:
    who = "student" if students == 1 else "students"
    notes = [
        f"profiled after the timed runs, on the first {students} honest {who}, each path on "
        "a fresh copy of the course: not the benchmark's timings above. cProfile's own "
        "overhead (it times every Python call) inflates Python-heavy parts (the checks, "
        "nbgrader's steps, SQLAlchemy, the codec) against waiting and C code (the worker, "
        "numpy, torch), and the profiled ms/nb above the unprofiled ones",
    ]
    notes += [f"{p.label}: {p.window}" for p in profiles if p.window]
    notes += [
        "student cells: starting a sealed worker (and its fork server) and running the cells "
        "in it, as this process waits (a figure shown is a snapshot sent; it is drawn after "
        "grading, under figures, unless one the same was drawn before: `dlmath grade` draws "
        "the instructor's before the first submission, the sealed autograde keeps each one "
        "it draws); the floor "
        "runs the cells here and draws no figure at all. "
        "grader calls: a grader's call of a student function: encoding, waiting on the "
        "worker, decoding (the floor: the function run here). checks: the graders' own work "
        "here (comparisons, statistics, inputs, the feedback text). references: PyTorch "
        "references computed on a cache miss. gradebook: nbgrader's steps that read or "
        "write it, record.py, SQL. rest: the grading process's own bookkeeping, and loading "
        "the graders and torch where it happens in the profiled window",
        "each category is the cumulative time of a few named functions, less the other "
        "categories' functions inside them (dlmath/sim/profile.py `attribute`)",
    ]
    for p in profiles:
        loading = p.seconds.get(LOADING, 0.0)
        if loading > 0.01 * p.total and p.notebooks:
            notes.append(f"{p.label}: the rest holds {1000 * loading / p.notebooks:.1f} ms/nb "
                         "in load_grader (it imports the graders, and torch with them, once "
                         "per process, then only looks them up)")
        for problem in p.problems:
            notes.append(f"[red]{p.label}: {escape(problem)}[/]")
    files = [str(p.file) for p in profiles if p.file]
    if files:
        notes.append("cProfile data (kept with --workdir or --keep; `python -m pstats FILE`): "
                     + ", ".join(files))
    return notes


# --- the profiled runs ----------------------------------------------------------------------

class _Clock:
    """A greenlet's own time: wall time, paused while other greenlets run."""

    def __init__(self) -> None:
        self.paused_at: float | None = None
        self.paused_for = 0.0

    def __call__(self) -> float:
        now = time.perf_counter() if self.paused_at is None else self.paused_at
        return now - self.paused_for

    def pause(self) -> None:
        if self.paused_at is None:
            self.paused_at = time.perf_counter()

    def resume(self) -> None:
        if self.paused_at is not None:
            self.paused_for += time.perf_counter() - self.paused_at
            self.paused_at = None


class GreenletProfile:
    """cProfile with a profiler per greenlet (see the module's docstring), used as one:
    `enable`, `disable` (from the greenlet that enabled it), `dump_stats`."""

    def __init__(self) -> None:
        self.profilers: dict[greenlet.greenlet, tuple[cProfile.Profile, _Clock]] = {}
        self.previous: Any = None
        self.ended: pstats.Stats | None = None  # the tables of greenlets that ended

    def _of(self, where: greenlet.greenlet) -> tuple[cProfile.Profile, _Clock]:
        if where not in self.profilers:
            clock = _Clock()
            clock.pause()
            self.profilers[where] = (cProfile.Profile(clock), clock)
        return self.profilers[where]

    def enable(self) -> None:
        self.previous = greenlet.settrace(self._switch)
        profiler, clock = self._of(greenlet.getcurrent())
        clock.resume()
        profiler.enable()

    def disable(self) -> None:
        sys.setprofile(None)
        greenlet.settrace(self.previous)
        self._of(greenlet.getcurrent())[1].pause()

    def _switch(self, event: str, args: tuple) -> None:
        # First of all, no profiler: the one that ran keeps its stack as it is (this call
        # on top, which its greenlet's next switch back pops), and the next takes over.
        sys.setprofile(None)
        if event in ("switch", "throw"):
            origin, target = args
            self._of(origin)[1].pause()
            if origin.dead:  # its table now, not thousands of them at the end
                self._add(self.profilers.pop(origin)[0])
            profiler, clock = self._of(target)
            clock.resume()
            profiler.enable()

    def _add(self, profiler: cProfile.Profile) -> None:
        """Its table added to those of the greenlets that ended (its calls still open end
        at its paused clock)."""
        if self.ended is None:
            self.ended = pstats.Stats(profiler)
        else:
            self.ended.add(profiler)
        sys.setprofile(None)  # creating its table disabled it, and with it any profiler

    def dump_stats(self, path: str) -> None:
        for profiler, _ in self.profilers.values():
            self._add(profiler)
        self.profilers.clear()
        if self.ended is not None:
            self.ended.dump_stats(path)


def profiled_autograde(course: Course, assignments: list[str], out: Path) -> Profile:
    """`nbgrader autograde` of every assignment, its AutogradeApp started in-process under
    cProfile in a spawned process with the course's environment and directory."""
    reply = _in_child(_autograde_child, course, assignments, out)
    notebooks = sum(len(list((course.root / "submitted").glob(f"*/{a}/*.ipynb")))
                    for a in assignments)
    window = ("the course's nbgrader_config.py; nbgrader's AutogradeApp.start run in a "
              "spawned process, not an `nbgrader` subprocess: every notebook and what comes "
              "with the first ones (loading the graders and torch, the references, the fork "
              "server)")
    return _profile(SEALED_AUTOGRADE, out, notebooks, window, reply)


def profiled_grade(course: Course, assignments: list[str], out: Path) -> Profile:
    """`dlmath grade` with one worker in a spawned process: its own process grades every
    submission; profiled while it grades each one and records it."""
    reply = _in_child(_grade_child, course, assignments, out)
    window = ("`dlmath grade --workers 1`, so the batch's own process grades every submission; "
              "profiled while it grades and records each one, without the batch's fixed "
              "costs (its fork server, the references, the instructor's figures, loading "
              "the graders)")
    return _profile(GRADE, out, reply.get("notebooks", 0), window, reply)


def floor_notebooks(course: Course, assignments: list[str], students: list[str]
                    ) -> list[tuple[str, Path]]:
    """(assignment, notebook) for each notebook the floor grades: the students' submitted."""
    return [(a, p) for a in assignments for s in students
            for p in sorted((course.root / "submitted" / s / a).glob("*.ipynb"))]


def floor_threads() -> threadpool_limits:
    """While the floor grades: BLAS and OpenMP with one thread each, as student code runs in
    a sealed worker (worker.ENVIRONMENT). Their idle threads spin, and cost the floor a fifth
    more CPU for no time saved (41.7 against 33.3 ms of CPU a notebook, 33.6 and 33.3 ms of
    wall time)."""
    return threadpool_limits(limits=1)


def profiled_floor(course: Course, assignments: list[str], students: list[str],
                   out: Path) -> Profile:
    """The floor: check_notebook unsealed in this process, a second pass (the first warms
    the graders and references), profiled."""
    from dlmath.check import check_notebook

    paths = floor_notebooks(course, assignments, students)
    with floor_threads():
        for assignment, path in paths:
            check_notebook(path, assignment, sealed=False)
        profiler = GreenletProfile()
        profiler.enable()
        try:
            for assignment, path in paths:
                check_notebook(path, assignment, sealed=False)
        finally:
            profiler.disable()
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(out))
    return profile_of(FLOOR, out, len(paths), "check_notebook unsealed in this process "
                      "(the benchmark's), a second pass (the first warmed the graders and the "
                      "references)")


def _profile(label: str, out: Path, notebooks: int, window: str, reply: dict) -> Profile:
    problems = list(reply.get("problems", [])) + ([reply["error"]] if "error" in reply else [])
    if not out.exists():
        return Profile(label, notebooks, dict.fromkeys(_ALL, 0.0), None, problems, window)
    return profile_of(label, out, notebooks, window, problems)


def _in_child(target: Callable, course: Course, assignments: list[str], out: Path) -> dict:
    """Run `target` in a spawned process, its output in a log beside `out`; its reply."""
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".log")
    return in_course_process(target, course, assignments, str(out), str(log), log=str(log))


def _enter(root: str, env: dict[str, str], log: str) -> None:
    """The course's environment and directory, as its command runs; output to `log`."""
    enter_course(root, env)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _autograde_child(root: str, env: dict[str, str], assignments: list[str], out: str,
                     log: str, send) -> None:
    _enter(root, env, log)
    try:
        from jupyter_core.application import NoStart
        from nbgrader.apps.nbgraderapp import NbGraderApp

        profiler = GreenletProfile()
        problems = []
        for assignment in assignments:
            app = NbGraderApp.instance()
            app.initialize(["autograde", assignment, "--force"])
            profiler.enable()
            try:
                app.start()
            except NoStart:  # how a Jupyter app says its subcommand has run
                pass
            except SystemExit as exc:
                if exc.code:
                    problems.append(f"nbgrader autograde {assignment} exited {exc.code}; "
                                    f"see {log}")
            finally:
                profiler.disable()
                app.reset()
        profiler.dump_stats(out)
        send.send({"problems": problems})
    except Exception:
        send.send({"error": traceback.format_exc(limit=5)})
    finally:
        send.close()


def _grade_child(root: str, env: dict[str, str], assignments: list[str], out: str,
                 log: str, send) -> None:
    _enter(root, env, log)
    try:
        from dlmath.nbgrader import batch, grading

        profiler = GreenletProfile()
        # Module globals the batch looks up at each call: its own process grades each job
        # (no helpers with one worker) and records it.
        grading.grade_job = _profiled(profiler, grading.grade_job)
        batch._record = _profiled(profiler, batch._record)
        problems, notebooks = [], 0
        for assignment in assignments:
            summary = batch.grade_assignment(Path(root), assignment, workers=1, force=True)
            problems += [f"{assignment}: {who}: {why}" for who, why in summary.failed]
            notebooks += len(summary.seconds_per_notebook)
        profiler.dump_stats(out)
        send.send({"problems": problems, "notebooks": notebooks})
    except Exception:
        send.send({"error": traceback.format_exc(limit=5)})
    finally:
        send.close()


def _profiled(profiler: GreenletProfile, function: Callable) -> Callable:
    @functools.wraps(function)
    def run(*args, **kwargs):
        profiler.enable()
        try:
            return function(*args, **kwargs)
        finally:
            profiler.disable()
    return run
