"""`dlmath check NOTEBOOK`: grade one notebook and report per exercise.

For a student checking their work or an instructor trying a notebook, with the same graders
and points as autograding. The notebook's code runs in a sealed worker, as when it is
autograded (`sealed=False` runs it in this process: for the instructor's own notebooks and
for measuring the cost of the checks alone).
"""

from __future__ import annotations

import contextlib
import os
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nbformat import NotebookNode

from dlmath.course import source_dir
from dlmath.engine.report import format_points, render
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


@dataclass(frozen=True)
class CellPlace:
    """Where a student code cell stands among the exercises of its notebook."""

    exercise: str = ""  # grade id of the exercise it belongs to ("" for none: setup, a demo)
    after: str = ""  # grade id of the last graded cell above it ("" when above them all)
    kind: str = "cell"  # "solution", "public check" or "cell" (any other code cell)


@dataclass
class NotebookReport:
    notebook: str
    exercises: list[ExerciseResult]
    problems: list[str]  # cells that failed to run
    grade_ids: list[str]  # the graded cell of each exercise, in the same order
    cells: dict[int, CellPlace] = field(default_factory=dict)  # student cell number -> place

    def by_cell(self) -> dict[str, float]:
        """grade cell id -> score, comparable with the gradebook."""
        return dict(zip(self.grade_ids, (e.score for e in self.exercises), strict=True))

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 6)

    @property
    def possible(self) -> float:
        return sum(e.possible for e in self.exercises)

    def place(self, problem: str) -> CellPlace:
        """Where the cell of a problem line stands (no exercise when it names no cell)."""
        number = problem_cell(problem)
        return self.cells.get(number, CellPlace()) if number is not None else CellPlace()

    def problems_of(self, grade_id: str) -> list[str]:
        """The problems of the cells of one exercise (its solution and public check)."""
        return [p for p in self.problems if self.place(p).exercise == grade_id]

    def notebook_problems(self) -> list[str]:
        """The problems of cells that belong to no exercise (setup cells, demos)."""
        own = set(self.grade_ids)
        return [p for p in self.problems if self.place(p).exercise not in own]

    def to_dict(self) -> dict:
        return {"notebook": self.notebook, "score": self.score, "possible": self.possible,
                "problems": self.problems, "notebook_problems": self.notebook_problems(),
                "exercises": [{**asdict(e), "grade_id": grade_id,
                               "problems": self.problems_of(grade_id)}
                              for e, grade_id in zip(self.exercises, self.grade_ids,
                                                     strict=True)]}


_CELL = re.compile(r"cell (\d+)\b")


def problem_cell(problem: str) -> int | None:
    """The cell number a problem line starts with ("cell 5: ...", "cell 5 was stopped ...")."""
    found = _CELL.match(problem)
    return int(found.group(1)) if found else None


def _stem(grade_id: str) -> str:
    """`dot_public`, `dot_solution`, `dot_tests` -> `dot`: the exercise a cell id names."""
    return grade_id.rpartition("_")[0] or grade_id


def cell_places(nb: NotebookNode, grade_ids: Sequence[str]) -> dict[int, CellPlace]:
    """Student cell number (1-based among the code cells that are not graded test cells, as
    problems number them) -> where it stands. A cell belongs to the exercise its nbgrader id
    names (`dot_public` to `dot_tests`); failing that, a cell of an exercise's own (from its
    first nbgrader cell on) belongs to the first graded cell at or below it. Cells above an
    exercise's first nbgrader cell (imports, demos) or below the last graded cell belong to
    none."""
    graded = set(grade_ids)
    by_stem = {_stem(g): g for g in grade_ids}
    below, following = [""] * len(nb.cells), ""
    for index in reversed(range(len(nb.cells))):
        if is_graded_test(nb.cells[index]):
            following = nbgrader(nb.cells[index]).get("grade_id", "")
        below[index] = following
    places: dict[int, CellPlace] = {}
    number, above, opened = 0, "", False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = nbgrader(cell)
        if is_graded_test(cell):
            above, opened = meta.get("grade_id", ""), False
            continue
        number += 1
        own = str(meta.get("grade_id") or "")
        opened = opened or bool(own)
        exercise = by_stem.get(_stem(own), "") if own else ""
        if not exercise and opened:
            exercise = below[index]
        kind = "solution" if meta.get("solution") else "public check" if own else "cell"
        places[number] = CellPlace(exercise if exercise in graded else "", above, kind)
    return places


MESSAGE_LINES = 4  # lines of a cell's error shown; the notebook shows the rest
WIDTH = 79  # of a failed cell's sentence, wrapped here to keep its indentation


def _detail(problem: str, lines: int = MESSAGE_LINES) -> list[str]:
    """A problem's error, without its cell number, in at most `lines` short lines."""
    found = re.match(r"cell \d+: ", problem)
    text = problem[found.end():] if found else problem
    kept = [line.rstrip()[:160] for line in text.splitlines() if line.strip()]
    if kept and re.fullmatch(r"\w+:", kept[0]):  # "AssertionError: " + its message, if any
        kept[:2] = [f"{kept[0]} {kept[1].strip()}" if len(kept) > 1 else kept[0][:-1]]
    if len(kept) > lines:
        kept = [*kept[:lines], "…"]
    return kept or ["(no message)"]


def _why(place: CellPlace, result: ExerciseResult | None) -> str:
    """What a failed cell means for the student, in one sentence."""
    if place.kind == "public check":
        if result is not None and result.score >= result.possible:
            return "it is a hint and costs nothing, and the graded checks above all passed"
        return "it is a hint and costs nothing; the graded checks above say what is wrong"
    if place.kind == "solution":
        return "the graded checks above ran without what it should define"
    if not place.exercise and not place.after:
        return "it runs before every exercise, so the cells and checks below ran without " \
               "what it should define: fix it first"
    if not place.exercise:
        return "it is not graded, but it may use what the exercises above define"
    return "it is not graded, but the graded checks above ran after it"


def _cell_lines(report: NotebookReport, problems: list[str],
                result: ExerciseResult | None) -> list[str]:
    lines = []
    for problem in problems:
        place, number = report.place(problem), problem_cell(problem)
        name = f"cell {number}" if number is not None else "a cell"
        if place.kind != "cell" and place.exercise:
            name = f"{'your ' if place.kind == 'solution' else ''}{place.kind} ({name})"
        elif place.after and not place.exercise:
            name = f"{name}, below {place.after.removesuffix('_tests')}'s graded cell,"
        lines.append(textwrap.fill(f"{name} failed — {_why(place, result)}:", WIDTH,
                                   initial_indent="  ", subsequent_indent="    "))
        lines += [f"      {line}" for line in _detail(problem)]
    return lines


def render_report(report: NotebookReport) -> str:
    """The text of `dlmath check`: per exercise in notebook order, its feedback and then
    the failures of its own cells (its solution, its public check). Cells of no exercise
    are shown where they stand: those above every exercise first, under "notebook"."""
    loose = report.notebook_problems()
    shown = set(report.grade_ids)
    setup = [p for p in loose if report.place(p).after not in shown]
    blocks = []
    if setup:
        blocks.append("\n".join(["notebook", *_cell_lines(report, setup, None)]))
    for result, grade_id in zip(report.exercises, report.grade_ids, strict=True):
        lines = [render(result), *_cell_lines(report, report.problems_of(grade_id), result),
                 *_cell_lines(report, [p for p in loose if report.place(p).after == grade_id],
                              None)]
        blocks.append("\n".join(lines))
    blocks.append(f"\ntotal: {format_points(report.score)} / {format_points(report.possible)}")
    return "\n".join(blocks)


def find_grade_calls(path: Path, assignment: str | None = None,
                     own: NotebookNode | None = None) -> list[GradeCall]:
    """The graded cells of a notebook (`own`, when it is read already): its own (a source
    notebook) or its source's."""
    own = read(path) if own is None else own
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
    nb = read(path)
    calls = find_grade_calls(path, assignment, nb)
    where = graded_positions(nb)
    with _cells(nb, sealed) as run:
        results = []
        for call in calls:
            run.run_above(where.get(call.grade_id, len(nb.cells)))  # a deleted cell: at the end
            results.append(grade_exercise(call.exercise_id, run.student(), call.points))
        run.finish()
    grade_ids = [c.grade_id for c in calls]
    return NotebookReport(str(path), results, run.problems, grade_ids,
                          cell_places(nb, grade_ids))


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
