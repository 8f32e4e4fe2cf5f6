"""`dlmath check NOTEBOOK`: grade one notebook and report per exercise.

For a student checking their work or an instructor trying a notebook, with the same graders
and points as autograding. The notebook's code runs in a sealed worker, as when it is
autograded (`sealed=False` runs it in this process: for the instructor's own notebooks and
for measuring the cost of the checks alone).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbformat import NotebookNode

from dlmath.course import source_dir
from dlmath.engine.results import ExerciseResult
from dlmath.engine.runner import grade_exercise
from dlmath.engine.student import LocalRun
from dlmath.notebooks import (
    GradeCall,
    NotebookError,
    grade_calls,
    has_hidden_tests,
    is_graded_test,
    nbgrader,
    read,
)

if TYPE_CHECKING:  # the sealed worker is imported only when a notebook is checked sealed
    from dlmath.sealed.student import Submission

@dataclass
class NotebookReport:
    notebook: str
    exercises: list[ExerciseResult]
    problems: list[str]  # cells that failed to run
    grade_ids: list[str]  # the graded cell of each exercise, in the same order

    def by_cell(self) -> dict[str, float]:
        """grade cell id -> score, comparable with the gradebook."""
        return dict(zip(self.grade_ids, (e.score for e in self.exercises), strict=True))

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 6)

    @property
    def possible(self) -> float:
        return sum(e.possible for e in self.exercises)

    def to_dict(self) -> dict:
        return {"notebook": self.notebook, "score": self.score, "possible": self.possible,
                "problems": self.problems, "exercises": [asdict(e) for e in self.exercises]}


def find_grade_calls(path: Path, assignment: str | None = None) -> list[GradeCall]:
    """The graded cells of a notebook: its own (a source notebook) or its source's."""
    own = read(path)
    if has_hidden_tests(own):
        return grade_calls(own, str(path))
    candidates = [source_dir() / assignment / path.name] if assignment else \
        [source_dir() / path.parent.name / path.name, *sorted(source_dir().glob(f"*/{path.name}"))]
    for source in candidates:
        if source.exists():
            return grade_calls(read(source), str(source))
    raise NotebookError(f"{path}: no graded cells, and no source notebook named {path.name} "
                        f"under {source_dir()} (pass --assignment)")


def check_notebook(path: Path, assignment: str | None = None, sealed: bool = True
                   ) -> NotebookReport:
    """Grade each exercise where its graded cell stands in the notebook (after the cells
    above it, before those below), as autograding does."""
    calls = find_grade_calls(path, assignment)
    nb = read(path)
    where = graded_positions(nb)
    with _cells(nb, sealed) as run:
        results = []
        for call in calls:
            run.run_above(where.get(call.grade_id, len(nb.cells)))  # a deleted cell: at the end
            results.append(grade_exercise(call.exercise_id, run.student(), call.points))
        run.finish()
    return NotebookReport(str(path), results, run.problems, [c.grade_id for c in calls])


def graded_positions(nb: NotebookNode) -> dict[str, int]:
    """grade id -> the position of its graded cell in this notebook."""
    return {nbgrader(cell).get("grade_id", ""): index for index, cell in enumerate(nb.cells)
            if is_graded_test(cell)}


@contextlib.contextmanager
def _cells(nb: NotebookNode, sealed: bool) -> Iterator[Submission | LocalRun]:
    """The notebook's code, to run a graded cell at a time in a sealed worker (or here)."""
    if sealed:
        from dlmath.sealed import open_submission

        with open_submission(nb, staged=True) as submission:
            yield submission
        return
    os.environ.setdefault("MPLBACKEND", "Agg")  # plots render off screen
    yield LocalRun(nb)
