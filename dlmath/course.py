"""Where the course lives: the repository root, its graders, sources and releases, and what
is hidden beside the graders of each assignment (its corpus of right and wrong solutions).

`autograders/<assignment>/corpus.py` defines `CORPORA`, a tuple of `Corpus`, one per notebook:
alternative correct solutions (diagnosis None) must keep full marks; wrong ones (one realistic
mistake each) must lose points, and the feedback must contain `diagnosis`; answers that do no
work (`does_nothing`: the input returned, zeros, a constant, plain `rng.random`) must score
exactly zero. Its `cell_order` cases place definitions in other cells than their own
(`CellOrder`). The folders' names start with digits, so their modules are loaded by path
(`course_module`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def course_root() -> Path:
    """The course directory; `DLMATH_COURSE_ROOT` overrides the repository checkout."""
    return _resolved(os.environ.get("DLMATH_COURSE_ROOT", str(REPO_ROOT)))


def autograders_dir() -> Path:
    return _resolved(os.environ.get("DLMATH_AUTOGRADERS") or str(course_root() / "autograders"))


@functools.lru_cache(maxsize=64)
def _resolved(path: str) -> Path:
    """A folder's real path, looked up once per process (every graded cell asks for its
    grader's path: a dozen lookups a notebook)."""
    return Path(path).resolve()


def source_dir() -> Path:
    return course_root() / "source"


def release_dir() -> Path:
    return course_root() / "release"


SECRET_SEED = "secret_seed"  # beside the graders, never released nor committed


def seed_offset(purpose: str) -> int:
    """What the graders' seeds are shifted by when grading for `purpose`: "final" (every
    path that records a grade) or "check" (a student asking before submitting). Both derive
    from the course's secret (autograders/secret_seed), so a student knows neither, and
    they differ, so values a check showed answer nothing in the final grading. Without a
    secret (a checkout), the final grading keeps the graders' own seeds."""
    path = autograders_dir() / SECRET_SEED
    return _offset(str(path), path.stat().st_mtime if path.is_file() else 0.0, purpose)


@functools.cache
def _offset(path: str, mtime: float, purpose: str) -> int:
    secret = Path(path).read_text().strip() if mtime else ""
    if purpose == "final" and not secret:
        return 0
    digest = hashlib.sha256(f"{secret}\0{purpose}".encode()).digest()
    return 1 + int.from_bytes(digest[:4], "big") % 2**30


def assignments() -> list[str]:
    return sorted(p.name for p in source_dir().iterdir() if p.is_dir() and p.name[:2].isdigit())


# --- the corpus of each assignment -----------------------------------------------------------

@dataclass(frozen=True)
class Solution:
    function: str  # the exercise graded, e.g. "matmul" or "quiz.q3"
    name: str  # what this solution does, e.g. "einsum" or "forgets the bias"
    code: str  # replaces the reference definition of the function (or the quiz variable)
    diagnosis: str | None = None  # None: correct, full marks; else: expected in the feedback
    idle: bool = False  # an answer that does no work: it must score exactly zero

    @property
    def correct(self) -> bool:
        return self.diagnosis is None

    @property
    def mistake(self) -> bool:
        """A realistic mistake (not an answer that does no work)."""
        return not self.correct and not self.idle

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).strip() + "\n"

    @property
    def id(self) -> str:
        kind = "right" if self.correct else "idle" if self.idle else "wrong"
        return f"{self.function}-{kind}-{self.name.replace(' ', '_')}"


@dataclass(frozen=True)
class CellOrder:
    """A notebook whose cells define a function somewhere other than its own cell, graded
    as a kernel running it from top to bottom sees it: each graded cell judges what the
    cells above it define. `answers` (solution cell grade id -> code; the other cells keep
    the reference) is the notebook. Either the function graded first is redefined by a
    later cell, and its score must equal its score in `baseline` (the same notebook without
    the redefinition); or (`diagnosis`) it is defined only below its graded cell, and it
    must score zero with that text in its feedback."""

    function: str  # the exercise whose score is at stake
    name: str
    answers: tuple[tuple[str, str], ...]
    baseline: tuple[tuple[str, str], ...] | None = None
    diagnosis: str | None = None

    @property
    def id(self) -> str:
        return f"{self.function}-{self.name.replace(' ', '_')}"

    def code(self, baseline: bool = False) -> dict[str, str]:
        """Solution cell grade id -> its code, dedented."""
        pairs = self.baseline if baseline else self.answers
        return {cell: textwrap.dedent(code).strip() + "\n" for cell, code in pairs or ()}


@dataclass(frozen=True)
class Corpus:
    assignment: str  # e.g. "01_linear_algebra"
    notebook: str  # e.g. "linear_algebra.ipynb": where the reference lives
    solutions: tuple[Solution, ...]
    cell_order: tuple[CellOrder, ...] = ()


def does_nothing(function: str, name: str, code: str) -> Solution:
    """An answer that does no work (returns its input, zeros, a constant, `rng.random`):
    every check it passes is one an answer can pass without the math, so it earns nothing."""
    return Solution(function, name, code, diagnosis="", idle=True)


def import_path(path: Path, module_name: str) -> ModuleType:
    """Import the file at `path` as `module_name`: the folders of autograders/ start with
    digits, so their modules cannot be imported by package name."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses defined there look themselves up
    spec.loader.exec_module(module)
    return module


_LOADED: dict[Path, ModuleType] = {}


def course_module(assignment: str, name: str) -> ModuleType:
    """`autograders/<assignment>/<name>.py`, imported once per process."""
    path = autograders_dir() / assignment / f"{name}.py"
    if path not in _LOADED:
        if not path.is_file():
            raise FileNotFoundError(f"{assignment} has no {name}.py in {autograders_dir()}")
        _LOADED[path] = import_path(path, f"dlmath_course.{assignment}.{name}")
    return _LOADED[path]


def corpora() -> list[Corpus]:
    """Every assignment's `CORPORA`, by assignment and notebook."""
    found = [c for path in sorted(autograders_dir().glob("*/corpus.py"))
             for c in course_module(path.parent.name, "corpus").CORPORA]
    return sorted(found, key=lambda c: (c.assignment, c.notebook))


def corpus(assignment: str, notebook: str) -> list[Solution]:
    """The corpus solutions of one notebook (none if it has no corpus)."""
    return [s for c in corpora() if (c.assignment, c.notebook) == (assignment, notebook)
            for s in c.solutions]
