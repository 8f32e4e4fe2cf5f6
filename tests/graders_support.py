"""Build students from the reference notebooks plus one corpus solution."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dlmath.course import Corpus, Solution, source_dir
from dlmath.engine.student import LocalStudent, exec_cells
from dlmath.notebooks import grade_calls, read, student_sources


@cache
def points_of(assignment: str, notebook: str) -> dict[str, float]:
    """Exercise id -> points, from the graded cells of the source notebook."""
    nb = read(source_dir() / assignment / notebook)
    return {c.exercise_id: c.points for c in grade_calls(nb)}


@cache
def reference_sources(assignment: str, notebook: str) -> tuple[str, ...]:
    return tuple(student_sources(read(source_dir() / assignment / notebook)))


@cache
def reference_namespace(assignment: str, notebook: str) -> dict:
    """The reference notebook run once (its experiments and plots take seconds)."""
    namespace: dict = {"__name__": "__main__"}
    problems = exec_cells(list(reference_sources(assignment, notebook)), namespace)
    assert not problems, problems
    return namespace


def student_with(corpus: Corpus, solution: Solution | None) -> LocalStudent:
    """The reference notebook with one function (or answer) replaced by `solution`.

    The solution runs in a copy of the reference namespace, so the other reference
    functions keep calling each other: each grader is tested on its own function.
    """
    sources = list(reference_sources(corpus.assignment, corpus.notebook))
    namespace = dict(reference_namespace(corpus.assignment, corpus.notebook))
    if solution is not None:
        sources.append(solution.source)
        assert exec_cells([solution.source], namespace) == [] or not solution.correct
    return LocalStudent(namespace, sources)


def exercise_id(corpus: Corpus, solution: Solution) -> str:
    return f"{corpus.assignment}/{solution.function}"


def reference_path(corpus: Corpus) -> Path:
    return source_dir() / corpus.assignment / corpus.notebook
