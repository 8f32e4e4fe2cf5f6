"""The `student` object: the only way a grader reaches a student's code.

`student.softmax(z)` calls the student's `softmax` and returns plain data, or raises one
of the errors in `dlmath.engine.errors` with a message for the student. Two
implementations share this surface: `LocalStudent` (a namespace in this process, for
authoring, `check` and the in-kernel path) and the sealed student (a worker process).
"""

from __future__ import annotations

import _signal
import contextlib
import copy
import functools
import io
import linecache
import re
import signal
import threading
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import numpy as np
from nbformat import NotebookNode

from dlmath.engine.errors import (
    InputModified,
    MissingFunction,
    StudentError,
    StudentRaised,
    StudentTimeout,
    WrongReturnType,
)
from dlmath.engine.forbidden import traced_call
from dlmath.engine.plain import to_plain
from dlmath.engine.rounds import answer_each, in_turn
from dlmath.engine.shapes import explain as explain_shapes
from dlmath.notebooks import read, student_cells, student_sources
from dlmath.text import valid_text

STUDENT_FILENAME_PREFIX = "<cell"
MAX_WARNINGS = 1000  # every warning is recorded (graders count them), up to this many
MAX_WHERE = 1500  # a worker's error texts are cut at 2000 (sealed/student.py): stay below


@dataclass
class CallLimits:
    seconds_per_call: float = 5.0
    output_characters: int | None = None  # what a call may print (None: no limit)


class OutputFlood(BaseException):
    """A call printed more than its limit; a BaseException so `except Exception` misses it."""


class CappedOutput(io.TextIOBase):
    """What a call prints, counted, not kept: past `cap` characters the call is stopped."""

    def __init__(self, cap: int):
        self.cap, self.used = cap, 0

    def write(self, text: str) -> int:
        self.used += len(text)
        if self.used > self.cap:
            raise OutputFlood()
        return len(text)

    def writable(self) -> bool:
        return True


class Student(Protocol):
    """What graders may use. Attribute access (`student.fn`) is sugar for `call`."""

    sources: list[str]
    warnings: list[str]
    traced: set[str]

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    def value(self, name: str) -> Any: ...

    def has(self, name: str) -> bool: ...

    def trace(self, enabled: bool) -> None: ...

    def case_view(self) -> Student: ...

    def take_view(self, view: Student) -> None: ...


class StudentBase:
    """What every student shares: attribute sugar (`student.transpose(A)`), and what a
    name missing at a graded cell means."""

    sources: list[str]
    warnings: list[str]
    traced: set[str]

    def cells_run(self) -> int:
        """How many of `sources` have run: a graded cell sees those (-1: all of them)."""
        return -1

    def case_view(self) -> Any:
        """The student as one case sees it when cases run side by side (rounds.py): the
        same code, with the warnings and traces of the case's own calls."""
        view = copy.copy(self)
        view.warnings, view.traced = [], set()
        return view

    def take_view(self, view: Student) -> None:
        """A case's warnings and traces, added to the exercise's."""
        self.warnings += view.warnings[:max(MAX_WARNINGS - len(self.warnings), 0)]
        self.traced |= view.traced

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def explain_missing(self, name: str, error: StudentError) -> StudentError:
        """A name defined only in a cell below the graded cell is missing there: say so."""
        below = defined_below(name, self.sources, self.cells_run()) if isinstance(
            error, MissingFunction) else 0
        if not below:
            return error
        first = next((line.strip() for line in self.sources[below - 1].splitlines()
                      if line.strip()), "")
        return MissingFunction(
            f"`{name}` is defined only in cell {below} (`{first[:60]}`), below its graded "
            "cell: a graded cell sees only what the cells above it define, as when the "
            "notebook runs from top to bottom. Move the definition above the graded cell")


def defined_below(name: str, sources: list[str], reached: int) -> int:
    """The number of the first cell after `reached` that defines `name` at its top level
    (0: none). A pattern, not a parse: this process never parses a student's code."""
    if not name.isidentifier():
        return 0
    reached = len(sources) if reached < 0 else reached
    n = re.escape(name)
    pattern = re.compile(rf"^(?:async[ \t]+)?def[ \t]+{n}[ \t]*\(|^class[ \t]+{n}\b"
                         rf"|^{n}[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
    return next((number for number, source in enumerate(sources[reached:], start=reached + 1)
                 if pattern.search(source)), 0)


@dataclass
class LocalStudent(StudentBase):
    """Student code living in a namespace dict of this process."""

    namespace: dict
    sources: list[str] = field(default_factory=list)
    limits: CallLimits = field(default_factory=CallLimits)
    warnings: list[str] = field(default_factory=list)
    traced: set[str] = field(default_factory=set)
    tracing: bool = False
    reached: int = -1  # the cells run so far (see LocalRun); -1: all of them

    def cells_run(self) -> int:
        return self.reached

    def trace(self, enabled: bool) -> None:
        """Record numpy operations used by later calls (a fresh record each time it is enabled)."""
        self.tracing = enabled
        if enabled:
            self.traced = set()

    def has(self, name: str) -> bool:
        return callable(self.namespace.get(name))

    def value(self, name: str) -> Any:
        if name not in self.namespace:
            raise self.explain_missing(name, MissingFunction(
                f"`{name}` is not defined: run the cell that sets it"))
        return to_plain(self.namespace[name], what=f"`{name}`")

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return in_turn(answer_each, functools.partial(self._call_now, name, args, kwargs))

    def _call_now(self, name: str, args: tuple, kwargs: dict) -> Any:
        fn = self.namespace.get(name)
        if not callable(fn):
            raise self.explain_missing(name, MissingFunction(
                f"`{name}` is not defined as a function: run its cell, and check the name is "
                "spelled as in the exercise"))
        before = snapshot_arrays(args, kwargs)

        def label() -> str:  # only a message needs it, and printing arrays is not free
            return call_label(name, *as_passed(before, args, kwargs))

        cap = self.limits.output_characters
        output = None if cap is None else CappedOutput(cap)
        with capture_student(self.warnings, output), \
                time_limit(self.limits.seconds_per_call, label):
            try:
                if self.tracing:
                    result, used = traced_call(fn, args, kwargs)
                else:
                    result, used = fn(*args, **kwargs), set()
            except StudentTimeout:
                raise
            except Exception as exc:  # the student's bug, reported as such
                raise raised_error(label(), exc) from None
            if output is not None and output.used > output.cap:  # it caught OutputFlood
                raise OutputFlood()
            self.traced |= used
        check_unchanged(label, before, args, kwargs)
        try:
            return to_plain(result)
        except WrongReturnType:
            return to_plain(result, what=f"the result of {label()}")


def call_label(name: str, args: tuple, kwargs: dict) -> str:
    shown = [_arg_label(a) for a in args] + [f"{k}={_arg_label(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def _arg_label(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} array {value.shape}>" if value.size > 6 else \
            np.array2string(value, separator=", ", precision=4)
    if callable(value):
        return getattr(value, "__name__", "f")
    if isinstance(value, np.random.Generator):  # its repr shows a memory address
        return f"Generator({type(value.bit_generator).__name__})"
    items = value.values() if isinstance(value, dict) else value
    if isinstance(value, (list, tuple, dict)) and len(value) > 0 and not all(
            isinstance(v, (int, float, str, bool)) for v in items):
        return f"<{type(value).__name__} of {len(value)}>"  # containers of arrays: no repr
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def snapshot_arrays(args: tuple, kwargs: dict) -> list[tuple[str, Any]]:
    """Deep copies of every argument that could be modified in place."""
    items = [(f"argument {i + 1}", a) for i, a in enumerate(args)] + list(kwargs.items())
    return [(name, copy.deepcopy(v)) for name, v in items if _mutable(v)]


def as_passed(before: list[tuple[str, Any]], args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arguments as they were passed, even after the call modified some in place."""
    copies = dict(before)
    return (tuple(copies.get(f"argument {i + 1}", a) for i, a in enumerate(args)),
            {k: copies.get(k, v) for k, v in kwargs.items()})


def _mutable(value: Any) -> bool:
    return isinstance(value, (np.ndarray, list, dict))


def check_unchanged(label: Callable[[], str], before: list[tuple[str, Any]], args: tuple,
                    kwargs: dict) -> None:
    items = dict([(f"argument {i + 1}", a) for i, a in enumerate(args)] + list(kwargs.items()))
    for name, old in before:
        if not _same(old, items[name]):
            raise InputModified(f"{label()} modified its input ({name}) in place: work on a "
                                "copy (or build a new array) instead")


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, np.ndarray):
        if not isinstance(new, np.ndarray) or old.shape != new.shape:
            return False
        if type(old) is np.ndarray and type(new) is np.ndarray and old.dtype == new.dtype \
                and old.dtype.kind in "biufc" and old.tobytes() == new.tobytes():
            return True  # the same bits are equal values: no need for array_equal's work
        return bool(np.array_equal(old, new, equal_nan=True))
    if isinstance(old, dict):
        return isinstance(new, dict) and old.keys() == new.keys() and all(
            _same(old[k], new[k]) for k in old)
    if isinstance(old, list):
        return isinstance(new, list) and len(old) == len(new) and all(
            _same(a, b) for a, b in zip(old, new, strict=True))
    return True


def raised_error(label: str, exc: BaseException) -> StudentRaised:
    """The student's exception as text (valid text: see dlmath/text.py). A numpy shape
    error also gets, in `where`, the shapes on the student's line and the fix they imply
    (shapes.py): worked out here, where the student's code ran, the only place its arrays
    are; kept out of the message, which graders may judge as the student's own words."""
    mro = tuple(valid_text(c.__name__) for c in type(exc).__mro__)
    message, where = str(exc)[:500], _student_line(exc)
    if type(exc) is ValueError:  # numpy raises these plain; a student's subclass is theirs
        explained = explain_shapes(_student_traceback(exc), message)
        if explained and len(where) + len(explained) < MAX_WHERE:
            where = f"{where}\n{explained}"
    return StudentRaised(label, valid_text(type(exc).__name__), valid_text(message),
                         mro, valid_text(where))


def _is_student_file(filename: str) -> bool:
    return (filename.startswith(STUDENT_FILENAME_PREFIX) or "ipykernel_" in filename
            or filename.startswith("<ipython-input"))


def _student_traceback(exc: BaseException) -> TracebackType | None:
    """The innermost traceback entry in student code (its frame holds the student's
    variables), None when the student's code is not on the traceback."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        if _is_student_file(tb.tb_frame.f_code.co_filename):
            found = tb
        tb = tb.tb_next
    return found


def student_frames(tb: TracebackType | None,
                   is_student: Callable[[str], bool] = _is_student_file
                   ) -> list[traceback.FrameSummary]:
    """The frames of `tb` in student code, with their lines. Only theirs are looked up: a
    grader's or the engine's source is never read (a sealed worker may not read it, and
    linecache, which remembers no failure, would try again at every error)."""
    entries = []
    while tb is not None:
        if is_student(tb.tb_frame.f_code.co_filename):
            entries.append(tb)
        tb = tb.tb_next
    theirs = None  # the same traceback with only their entries, so only their lines are read
    for entry in reversed(entries):
        theirs = TracebackType(theirs, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return list(traceback.extract_tb(theirs))


def _student_line(exc: BaseException) -> str:
    """'line 3 of cell 5' for the innermost frame in student code, never a grader path."""
    frames = student_frames(exc.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    return f"line {frame.lineno}: {frame.line}" if frame.line else f"line {frame.lineno}"


@contextlib.contextmanager
def capture_student(warning_log: list[str], sink: io.TextIOBase | None = None
                    ) -> Iterator[None]:
    """Swallow what student code prints (into `sink`) and record its warnings: nothing
    reaches stderr."""
    sink = io.StringIO() if sink is None else sink
    # Underflow to 0 is what stable formulas rely on (exp(-2000) == 0.0), not a fault.
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(sink), \
            contextlib.redirect_stderr(sink), np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            yield
        finally:
            room = MAX_WARNINGS - len(warning_log)
            warning_log += [warning_text(w) for w in caught[:max(room, 0)]]


def warning_text(w: warnings.WarningMessage) -> str:
    """'RuntimeWarning: overflow encountered in exp, at line 2 of cell 4: `e = np.exp(z)`':
    the warning and, when the student's code raised it, where (numpy names the Python line
    that called it)."""
    text = f"{w.category.__name__}: {w.message}"
    filename = str(w.filename)
    if filename.startswith(STUDENT_FILENAME_PREFIX):
        cell = filename.removeprefix(STUDENT_FILENAME_PREFIX).strip(" >")
        line = linecache.getline(filename, w.lineno).strip()
        text += f", at line {w.lineno} of cell {cell}" + (f": `{line[:100]}`" if line else "")
    return valid_text(text)


class _Alarm(BaseException):
    """Raised by SIGALRM inside student code; a BaseException so `except Exception` misses it."""


_SIGALRM = int(signal.SIGALRM)


def _fire_alarm(signum: int, frame: Any) -> None:
    raise _Alarm()


@contextlib.contextmanager
def time_limit(seconds: float, label: str | Callable[[], str]) -> Iterator[None]:
    """Stop a call that runs too long (main thread only; elsewhere the call is unbounded).
    `label` names it in the message: a string, or a function making one."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    # _signal, not signal: the same calls without their enum conversions (a call's time
    # limit is set around every call a grader makes).
    previous = _signal.signal(_SIGALRM, _fire_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Alarm:
        text = label() if callable(label) else label
        raise StudentTimeout(f"{text} did not finish within {seconds:g} s: an infinite loop, "
                             "or a loop far slower than needed?") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _signal.signal(_SIGALRM, previous)


def register_cell(number: int, source: str) -> str:
    """The file name of the student's cell `number` ("<cell 3>"), its source made known to
    linecache so that tracebacks and warnings can quote the student's line."""
    filename = f"{STUDENT_FILENAME_PREFIX} {number}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return filename


def exec_cells(sources: list[str], namespace: dict, limits: CallLimits | None = None,
               cell_seconds: float = 30.0, first: int = 1) -> list[str]:
    """Run student cells in order in `namespace`; return one problem line per failed cell.
    `first` is the number of the first of them (cells are "cell N" in messages)."""
    problems = []
    for i, source in enumerate(sources, start=first):
        filename = register_cell(i, source)
        try:
            code = compile(source, filename, "exec")
        except SyntaxError as exc:
            problems.append(f"cell {i}: SyntaxError: {exc.msg} (line {exc.lineno})")
            continue
        try:
            with capture_student([]), time_limit(cell_seconds, f"cell {i}"):
                exec(code, namespace)
        except StudentError as exc:
            problems.append(f"cell {i}: {exc}")
        except (Exception, SystemExit) as exc:
            problems.append(valid_text(f"cell {i}: {type(exc).__name__}: {str(exc)[:200]}"))
    return problems


def load_student(paths: Iterable[Path], cell_seconds: float = 30.0) -> LocalStudent:
    """Run the student cells of notebooks in one namespace in this process (trusted code)."""
    sources: list[str] = []
    for path in paths:
        sources += student_sources(read(path))
    namespace: dict = {"__name__": "__main__"}
    student = LocalStudent(namespace, sources)
    student.problems = exec_cells(sources, namespace, cell_seconds=cell_seconds)  # type: ignore[attr-defined]
    return student


class LocalRun:
    """A notebook's student cells run in this process a graded cell at a time, with the
    steps of the sealed `Submission`: `run_above(index)` before grading the graded cell at
    `index` of the notebook, `finish()` after the last one."""

    def __init__(self, nb: NotebookNode, cell_seconds: float = 30.0):
        self.indices = student_cells(nb)
        sources = [nb.cells[i].source for i in self.indices]
        self._student = LocalStudent({"__name__": "__main__"}, sources, reached=0)
        self.cell_seconds = cell_seconds
        self.problems: list[str] = []

    def student(self) -> LocalStudent:
        return self._student

    def run_above(self, index: int) -> None:
        self.run_through(sum(i < index for i in self.indices))

    def run_through(self, count: int) -> None:
        student = self._student
        if count > student.reached:
            self.problems += exec_cells(student.sources[student.reached:count],
                                        student.namespace, cell_seconds=self.cell_seconds,
                                        first=student.reached + 1)
            student.reached = count

    def finish(self) -> None:
        self.run_through(len(self._student.sources))
