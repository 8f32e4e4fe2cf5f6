"""Corpora of student solutions that prove each grader can fail and does not fail wrongly.

Each assignment module lists `Solution`s: alternative correct solutions (diagnosis None)
must keep full marks; wrong ones (one realistic mistake each) must lose points, and the
feedback must contain `diagnosis`. The sealed engine is checked against the same corpora.
"""

from __future__ import annotations

import importlib
import pkgutil
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Solution:
    function: str  # the exercise graded, e.g. "matmul" or "quiz.q3"
    name: str  # what this solution does, e.g. "einsum" or "forgets the bias"
    code: str  # replaces the reference definition of the function (or the quiz variable)
    diagnosis: str | None = None  # None: correct, full marks; else: expected in the feedback

    @property
    def correct(self) -> bool:
        return self.diagnosis is None

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).strip() + "\n"

    @property
    def id(self) -> str:
        kind = "right" if self.correct else "wrong"
        return f"{self.function}-{kind}-{self.name.replace(' ', '_')}"


@dataclass(frozen=True)
class Corpus:
    assignment: str  # e.g. "01_linear_algebra"
    notebook: str  # e.g. "linear_algebra.ipynb": where the reference lives
    solutions: tuple[Solution, ...]


def all_corpora() -> list[Corpus]:
    """Every `CORPUS` defined by a module of this package."""
    corpora = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        corpora += [c for c in getattr(module, "CORPORA", ())]
    return sorted(corpora, key=lambda c: (c.assignment, c.notebook))
