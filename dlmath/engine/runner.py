"""Run the graders of one exercise against a student and score the cases.

Graders are pytest modules (`autograders/<assignment>/test_<exercise>.py`): test functions
taking a `student` fixture, with `@pytest.mark.parametrize` and `@pytest.mark.weight`. They
run under plain pytest for authoring; here a small runner expands the same marks in
process, which costs microseconds instead of a pytest session per notebook.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from dlmath.course import autograders_dir, import_path, seed_offset
from dlmath.engine import inputs
from dlmath.engine.errors import CheckFailed, Mismatch, StudentTimeout
from dlmath.engine.forbidden import Forbidden
from dlmath.engine.report import cause_of
from dlmath.engine.results import CaseResult, ExerciseResult, score_cases, take_notes
from dlmath.engine.rounds import NOT_RUN, Rounds
from dlmath.engine.student import Student

_MODULES: dict[Path, ModuleType] = {}
_LOADED_FROM: dict[Path, tuple] = {}  # a grader folder -> its files when first loaded from


@dataclass(frozen=True)
class Case:
    """One test function with one choice of parameters."""

    id: str
    title: str
    function: Callable[..., Any]
    params: dict[str, Any]
    weight: float
    gated: bool = False  # a property check: credited only as far as the value checks pass


def grader_path(exercise_id: str) -> Path:
    """`01_linear_algebra/matmul` -> autograders/01_linear_algebra/test_matmul.py.

    `quiz.q1` names part of a module: its test functions `test_q1` and `test_q1_*`.
    """
    assignment, _, exercise = exercise_id.partition("/")
    module = exercise.partition(".")[0]
    if not assignment or not module.isidentifier() or not assignment.replace("_", "").isalnum():
        raise ValueError(f"exercise id {exercise_id!r} is not '<assignment>/<exercise>'")
    return autograders_dir() / assignment / f"test_{module}.py"


def _part(exercise_id: str) -> str:
    return exercise_id.partition("/")[2].partition(".")[2]


GRADERS = "dlmath_graders"  # a grader is the module dlmath_graders.<assignment>.test_<exercise>


def load_grader(exercise_id: str) -> ModuleType:
    """Import (once per process) the grader module of an exercise, in the package of its
    assignment's folder, so that its `from .shared import ...` finds `shared.py` beside it."""
    path = grader_path(exercise_id)
    if path not in _MODULES:
        if not path.exists():
            raise FileNotFoundError(f"no grader for exercise {exercise_id!r}")
        package = f"{GRADERS}.{path.parent.name}"
        loaded = sys.modules.get(package)
        if loaded is not None and loaded.__path__ != [str(path.parent)]:
            forget_graders()  # the assignment's graders from another folder: theirs are not these
        _LOADED_FROM.setdefault(path.parent, _folder_state(path.parent))  # before: a change
        for name, folders in ((GRADERS, []), (package, [str(path.parent)])):
            if name not in sys.modules:
                sys.modules[name] = ModuleType(name)
                sys.modules[name].__path__ = folders  # type: ignore[attr-defined]
        _MODULES[path] = import_path(path, f"{package}.{path.stem}")
    return _MODULES[path]


def refresh_graders() -> bool:
    """Forget the graders loaded (see forget_graders) if a file of their folders changed
    since: an instructor fixed a grader, and the process that loaded it lives on (the
    formgrader's server, its helper, the check service). True if it forgot them. Called
    when a run starts (never within one: its notebooks are graded alike, and its plan's
    digests are of the graders it started with) and before each check."""
    if any(_folder_state(folder) != state for folder, state in _LOADED_FROM.items()):
        forget_graders()
        return True
    return False


def _folder_state(folder: Path) -> tuple:
    """The Python files of a grader folder (its graders, their shared helpers), as
    (name, modification time, size)."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".py")]
        return tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries))
    except OSError:
        return ()


def forget_graders() -> None:
    """Drop every grader module this process loaded, with what was kept of them (their
    cases, their references): the next load_grader imports afresh. A cluster worker given a
    new course bundle must grade with its graders, though they sit at the same paths."""
    from dlmath.engine.references import clear_cache

    _MODULES.clear()
    _LOADED_FROM.clear()
    _collected.cache_clear()
    clear_cache()
    for name in [n for n in sys.modules if n == GRADERS or n.startswith(GRADERS + ".")]:
        del sys.modules[name]


def collect_cases(module: ModuleType, part: str = "") -> list[Case]:
    """Expand the `test_*` functions of a grader module (or of one part) into cases."""
    return list(_collected(module, part))


@functools.lru_cache(maxsize=512)  # every notebook grades the same exercises
def _collected(module: ModuleType, part: str) -> tuple[Case, ...]:
    prefix = f"test_{part}" if part else "test_"
    cases = []
    for name, fn in vars(module).items():
        if callable(fn) and (name == prefix or name.startswith(prefix if not part
                                                               else prefix + "_")):
            cases += list(_expand(name, fn))
    return tuple(cases)


def _expand(name: str, fn: Callable[..., Any]) -> Iterator[Case]:
    marks = getattr(fn, "pytestmark", [])
    weight = next((float(m.args[0]) for m in marks if m.name == "weight"), 1.0)
    gated = name == FORBIDDEN_CHECK or any(m.name == "property" for m in marks)
    # As pytest does: ids in mark order (the innermost decorator first); the outermost
    # decorator's parameter varies fastest.
    grids = [_parameter_grid(m) for m in marks if m.name == "parametrize"]
    doc = inspect.getdoc(fn) or name.removeprefix("test_").replace("_", " ")
    title = doc.splitlines()[0]
    for combo in itertools.product(*grids) if grids else [()]:
        params: dict[str, Any] = {}
        ids = []
        for values, case_id in combo:
            params |= values
            ids.append(case_id)
        case_id = f"{name}[{'-'.join(ids)}]" if ids else name
        yield Case(case_id, _format_title(title, params), fn, params, weight, gated)


def _parameter_grid(mark: Any) -> list[tuple[dict[str, Any], str]]:
    argnames, argvalues = mark.args[0], mark.args[1]
    names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else \
        list(argnames)
    ids = mark.kwargs.get("ids")
    grid = []
    for index, value in enumerate(argvalues):
        explicit_id = getattr(value, "id", None)
        value = getattr(value, "values", value)  # pytest.param(...)
        values = dict(zip(names, value if len(names) > 1 else [value], strict=True))
        if explicit_id is None and ids is not None:
            explicit_id = ids(value) if callable(ids) else ids[index]
        grid.append((values, explicit_id or _auto_id(names, values, index)))
    return grid


def _auto_id(names: list[str], values: dict[str, Any], index: int) -> str:
    parts = []
    for name in names:
        v = values[name]
        parts.append(str(v) if isinstance(v, (int, float, str, bool)) or v is None
                     else f"{name}{index}")
    return "-".join(parts)


def _format_title(title: str, params: dict[str, Any]) -> str:
    try:
        return title.format(**params)
    except (KeyError, IndexError, ValueError):
        return title


def run_exercise(exercise_id: str, student: Student, points: float) -> ExerciseResult:
    """Run every case of an exercise; a grader's own failure costs the case, never the run.
    The cases run side by side, their calls answered in rounds (rounds.py); each sees a
    view of the student with its own warnings and traces. The forbidden-call check runs
    last, as it is written last: it judges the traces of every call before its own."""
    module = load_grader(exercise_id)
    forbidden: Forbidden | None = getattr(module, "FORBIDDEN", None)
    student.trace(forbidden is not None)
    warnings_before = len(student.warnings)
    cases = collect_cases(module, _part(exercise_id))
    rounds = Rounds(stops=lambda result: result.timed_out)
    side_by_side = [i for i, c in enumerate(cases) if c.function.__name__ != FORBIDDEN_CHECK]
    after = [i for i, c in enumerate(cases) if c.function.__name__ == FORBIDDEN_CHECK]
    views = [student.case_view() for _ in side_by_side]
    found = dict(zip(side_by_side, rounds.run_cases(
        [functools.partial(run_case, cases[i], view) for i, view in
         zip(side_by_side, views, strict=True)]), strict=True))
    for view in views:
        student.take_view(view)
    found |= dict(zip(after, rounds.run_cases(
        [functools.partial(run_case, cases[i], student) for i in after]), strict=True))
    stopped = min((i for i, r in found.items() if r.timed_out and r.message != NOT_RUN),
                  default=len(cases))
    results = [replace(found[i] if i <= stopped else  # as if the cases ran one by one
                       CaseResult(case.title, "failed", NOT_RUN, case.weight),
                       group=case.id.partition("[")[0]) for i, case in enumerate(cases)]
    student.trace(False)
    results = gate_properties(results, [case.gated for case in cases])
    scored, score = score_cases(results, points)
    raised = dict.fromkeys(student.warnings[warnings_before:])  # each distinct one, in order
    notes = tuple(f"your code raised a warning: {w}" for w in raised)
    return ExerciseResult(exercise_id, scored, score, float(points), notes)


FORBIDDEN_CHECK = "test_no_forbidden_calls"  # always a property check


def gate_properties(results: list[CaseResult], gated: list[bool]) -> list[CaseResult]:
    """A property that an answer doing no work can also have (the right shape or dtype,
    reproducible, rows summing to 1, inputs left unchanged, no forbidden call) is worth
    only as much as the function works: a passed property check earns the share of the
    value checks' weight that passed. Returning the input, zeros or a constant earns none."""
    values = [r for r, g in zip(results, gated, strict=True) if not g]
    total = sum(r.weight for r in values)
    share = sum(r.weight for r in values if r.passed) / total if total else 0.0
    return [replace(r, credit=share, message=_gated_message(r, share))
            if g and r.passed and share < 1 else r
            for r, g in zip(results, gated, strict=True)]


def _gated_message(result: CaseResult, share: float) -> str:
    what = "no forbidden calls" if result.group == FORBIDDEN_CHECK else "a property check"
    return (f"{what}: worth {share:.0%} of its points, the share of the checks of the "
            "values that passed" + (f" ({result.message})" if result.message else ""))


def run_case(case: Case, student: Student) -> CaseResult:
    kwargs = dict(case.params)
    if _takes_student(case.function):
        kwargs["student"] = student
    take_notes()
    result = _judge(case, kwargs)
    notes = take_notes()  # the case's own remarks (results.note), shown when it passes
    return replace(result, message=notes) if result.passed else result


def _judge(case: Case, kwargs: dict[str, Any]) -> CaseResult:
    try:
        case.function(**kwargs)
    except StudentTimeout as exc:
        return CaseResult(case.title, "failed", str(exc), case.weight, timed_out=True,
                          diagnosis=exc.diagnosis)
    except CheckFailed as exc:
        return CaseResult(case.title, "failed", str(exc), case.weight,
                          named=not isinstance(exc, Mismatch), diagnosis=diagnosis_of(exc))
    except AssertionError as exc:  # a plain assert in a grader
        return CaseResult(case.title, "failed", str(exc) or "a check did not hold", case.weight,
                          diagnosis=diagnosis_of(exc))
    except Exception as exc:  # the answer broke the grader: report it without a traceback
        return CaseResult(case.title, "error", f"the answer could not be checked: "
                          f"{type(exc).__name__}: {str(exc)[:300]}", case.weight,
                          diagnosis=f"breaks the check ({type(exc).__name__})")
    return CaseResult(case.title, "passed", "", case.weight)


NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
DIAGNOSIS_CHARS = 160


def diagnosis_of(exc: AssertionError) -> str:
    """The mistake a failure names, in words the same for every student who made it (the
    class report counts students by it): what the raiser named, else the cause the message
    gives after its last ': ' (before any arrays it shows), its numbers masked; '' for a bare
    mismatch, which names none."""
    if isinstance(exc, Mismatch):
        return ""
    named = getattr(exc, "diagnosis", "")
    if named:
        return named[:DIAGNOSIS_CHARS]
    said = " ".join(cause_of(str(exc).strip()).split())  # a call's arguments may span lines
    cause = said.rpartition(": ")[2] or said
    return NUMBER.sub("#", cause)[:DIAGNOSIS_CHARS]


@functools.lru_cache(maxsize=4096)
def _takes_student(function: Callable[..., Any]) -> bool:
    """Whether a test function asks for the `student` fixture (read once per function)."""
    return "student" in inspect.signature(function).parameters


def failed_exercise(exercise_id: str, points: float, reason: str) -> ExerciseResult:
    """An exercise that could not be graded at all: zero points and the reason."""
    case = CaseResult("grading", "error", reason, 1.0)
    return ExerciseResult(exercise_id, (case,), 0.0, float(points))


def grade_exercise(exercise_id: str, student: Student, points: float,
                   purpose: str = "final") -> ExerciseResult:
    """`run_exercise`, by every path: a grader that cannot run (missing, broken) costs the
    exercise, with the reason in one wording, and never stops the notebook's grading. The
    inputs are those of `purpose` ("final", or "check" before submitting: course.seed_offset)."""
    try:
        with inputs.shifted(seed_offset(purpose)):
            return run_exercise(exercise_id, student, points)
    except Exception as exc:
        return failed_exercise(exercise_id, points,
                               f"could not grade: {type(exc).__name__}: {exc}")
