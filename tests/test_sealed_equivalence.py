"""Sealed grading gives the local scores, case by case.

Every reference notebook (all assignments present, found on disk) is graded both ways,
every exercise. Every corpus solution is then run after its notebook's cells, both ways in
step: one local namespace and one sealed submission per notebook, each solution cell
followed by the reference cell it replaced. Per solution, the exercises graded are the
ones whose code can reach the replaced name (its own, and any function calling it); the
others run reference code, which the reference case covers (DLMATH_SEALED_EVERY_EXERCISE=1
grades them all). Running every notebook's
cells once instead of once per solution keeps this under a minute: some notebooks spend
seconds in their demonstration cells.
"""

from __future__ import annotations

import ast
import os
from collections import defaultdict
from functools import cache

import pytest
from graders_support import points_of, reference_sources

from dlmath.course import Solution, assignments, corpora, source_dir
from dlmath.engine.report import render
from dlmath.engine.runner import run_exercise
from dlmath.engine.student import LocalStudent, exec_cells
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.student import Submission, open_sources

LIMITS = SealedLimits(notebook_seconds=3600, notebook_cpu_seconds=3600)
EVERY_EXERCISE = os.environ.get("DLMATH_SEALED_EVERY_EXERCISE") == "1"
NOTEBOOKS = [(a, p.name) for a in assignments() for p in sorted((source_dir() / a).glob(
    "*.ipynb"))]
SOLUTIONS: dict[tuple[str, str], list[Solution]] = defaultdict(list)
for _corpus in corpora():
    SOLUTIONS[(_corpus.assignment, _corpus.notebook)] += _corpus.solutions


def compare(exercise: str, points: float, local: LocalStudent, sealed) -> str:
    """'' when both ways agree on the score and on each case's outcome, else why not."""
    expected = run_exercise(exercise, local, points)
    got = run_exercise(exercise, sealed, points)
    if got.score == expected.score and [c.outcome for c in got.cases] == [
            c.outcome for c in expected.cases]:
        return ""
    return f"{exercise}: sealed\n{render(got)}\nlocal\n{render(expected)}"


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=map(str, NOTEBOOKS))
def test_reference_notebooks_score_the_same_sealed(assignment, notebook):
    sources = list(reference_sources(assignment, notebook))
    local = LocalStudent({"__name__": "__main__"}, sources)
    exec_cells(sources, local.namespace)
    with open_sources(sources, limits=LIMITS) as submission:
        sealed = submission.student()
        problems = [compare(e, p, local, sealed) for e, p in
                    points_of(assignment, notebook).items()]
    assert not any(problems), "\n".join(problems)


# --- corpus solutions -----------------------------------------------------------------------

def _defined(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


@cache
def _uses(assignment: str, notebook: str) -> dict[str, set[str]]:
    """Top-level name -> the names its definition mentions, in the reference notebook."""
    uses: dict[str, set[str]] = {}
    for source in reference_sources(assignment, notebook):
        for node in ast.parse(source).body:
            for name in _defined(ast.unparse(node)):
                uses[name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return uses


def reaches(assignment: str, notebook: str, start: str, target: str) -> bool:
    uses, seen, todo = _uses(assignment, notebook), set(), [start]
    while todo:
        name = todo.pop()
        if name == target:
            return True
        if name not in seen:
            seen.add(name)
            todo += uses.get(name, ())
    return False


def affected(assignment: str, notebook: str, solution: Solution) -> dict[str, float]:
    """The exercises whose code can reach the name this solution replaces (all of the
    notebook's with DLMATH_SEALED_EVERY_EXERCISE=1: minutes, not seconds)."""
    replaced = solution.function.rpartition(".")[2]
    return {e: p for e, p in points_of(assignment, notebook).items()
            if EVERY_EXERCISE or reaches(assignment, notebook,
                                         e.rpartition("/")[2].rpartition(".")[2], replaced)}


def restoring_cell(assignment: str, notebook: str, solution: Solution) -> str:
    """The reference cell that defines what the solution replaced."""
    replaced = solution.function.rpartition(".")[2]
    return [s for s in reference_sources(assignment, notebook) if replaced in _defined(s)][-1]


def run_both(cell: str, local: LocalStudent, submission: Submission) -> None:
    exec_cells([cell], local.namespace)
    local.sources.append(cell)
    submission.extend([cell])


@pytest.mark.parametrize("assignment, notebook", sorted(SOLUTIONS), ids=map(str,
                                                                             sorted(SOLUTIONS)))
def test_corpus_solutions_score_the_same_sealed(assignment, notebook):
    sources = list(reference_sources(assignment, notebook))
    local = LocalStudent({"__name__": "__main__"}, list(sources))
    exec_cells(sources, local.namespace)
    problems = []
    with open_sources(sources, limits=LIMITS) as submission:
        sealed = submission.student()
        for solution in SOLUTIONS[(assignment, notebook)]:
            run_both(solution.source, local, submission)
            exercises = affected(assignment, notebook, solution)
            assert f"{assignment}/{solution.function}" in exercises, solution.id
            problems += [f"{solution.id}: {p}" for e, points in exercises.items()
                         if (p := compare(e, points, local, sealed))]
            run_both(restoring_cell(assignment, notebook, solution), local, submission)
    assert not problems, "\n\n".join(problems)
