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

from nbformat import NotebookNode

from dlmath.course import source_dir
from dlmath.engine.results import ExerciseResult
from dlmath.engine.runner import grade_exercise
from dlmath.engine.student import LocalStudent, Student, exec_cells
from dlmath.notebooks import (
    GradeCall,
    NotebookError,
    grade_calls,
    has_hidden_tests,
    read,
    student_sources,
)


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
    calls = find_grade_calls(path, assignment)
    with _student(read(path), sealed) as (student, problems):
        results = [grade_exercise(c.exercise_id, student, c.points) for c in calls]
    return NotebookReport(str(path), results, problems, [c.grade_id for c in calls])


@contextlib.contextmanager
def _student(nb: NotebookNode, sealed: bool) -> Iterator[tuple[Student, list[str]]]:
    """The notebook's code run in a sealed worker (or here), as a student the graders call,
    and the problems of its cells."""
    if sealed:
        from dlmath.sealed import open_submission

        with open_submission(nb) as submission:
            yield submission.student(), submission.problems
        return
    sources = student_sources(nb)
    os.environ.setdefault("MPLBACKEND", "Agg")  # plots render off screen
    namespace: dict = {"__name__": "__main__"}
    problems = exec_cells(sources, namespace)
    yield LocalStudent(namespace, sources), problems
