"""Reading course notebooks: which cells are the student's, which are graded, and how.

A graded test cell's hidden region calls `dlmath.grade("<assignment>/<exercise>",
points=N)`. Everything else about grading follows from those calls and the cells'
nbgrader metadata.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode


class NotebookError(ValueError):
    """A notebook that cannot be graded as it is; the message says what and where."""


@dataclass(frozen=True)
class GradeCall:
    """One graded test cell: its nbgrader id, the exercise it grades, its points."""

    grade_id: str
    exercise_id: str
    points: float


def read(path: Path) -> NotebookNode:
    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such notebook") from None
    except Exception as exc:
        raise NotebookError(f"{path}: not a readable notebook ({type(exc).__name__}: "
                            f"{exc})") from None


def nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_graded_test(cell: NotebookNode) -> bool:
    meta = nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def student_cells(nb: NotebookNode) -> list[int]:
    """The positions of the student's code cells: all code cells but graded test cells.
    Every path numbers them alike ("cell 3" is the third of these)."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not is_graded_test(c)]


def student_sources(nb: NotebookNode) -> list[str]:
    """The code cells a kernel would run before the graders: all but graded test cells."""
    return [nb.cells[i].source for i in student_cells(nb)]


def has_hidden_tests(nb: NotebookNode) -> bool:
    """Whether its graded cells keep their hidden regions (a source notebook, or a
    submission after nbgrader restored them): a student's copy has them stripped."""
    return any(is_graded_test(c) and "BEGIN HIDDEN TESTS" in c.source for c in nb.cells)


def grade_calls(nb: NotebookNode, where: str = "notebook") -> list[GradeCall]:
    """The graded test cells, in notebook order (NotebookError for a malformed one)."""
    return [graded_cell(cell, f"{where}, cell {index}") for index, cell in enumerate(nb.cells)
            if is_graded_test(cell)]


def graded_cell(cell: NotebookNode, where: str) -> GradeCall:
    """A graded test cell's grade id, exercise and points, from its metadata and its
    `dlmath.grade(...)` call, which must agree. Every path that grades reads cells here."""
    meta = nbgrader(cell)
    return parse_graded_cell(cell.source, meta.get("points"), meta.get("grade_id", where), where)


def parse_graded_cell(source: str, points: object, grade_id: str, where: str) -> GradeCall:
    """The same, from a graded cell's parts (the gradebook keeps them apart). `where` names
    the cell in the NotebookError raised for a cell that cannot be graded as it is."""
    # The same cells, notebook after notebook: parsed once. Other metadata (only a damaged
    # notebook has it) is parsed each time, to its error.
    if type(points) in (int, float, str, type(None)) and type(grade_id) is str:
        return _parsed_graded_cell(source, points, grade_id, where)
    return _parse_graded_cell(source, points, grade_id, where)


@functools.lru_cache(maxsize=1024)
def _parsed_graded_cell(source: str, points: object, grade_id: str, where: str
                        ) -> GradeCall:
    return _parse_graded_cell(source, points, grade_id, where)


def _parse_graded_cell(source: str, points: object, grade_id: str, where: str) -> GradeCall:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookError(f"{where}: the test cell does not parse ({exc.msg}, line "
                            f"{exc.lineno})") from None
    call = next((node for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and _called_name(node.func) == "grade"), None)
    if call is None:  # never run instructor test code next to student code
        raise NotebookError(f"{where}: this graded cell has no dlmath.grade call, which "
                            "sealed grading needs")
    try:
        exercise = ast.literal_eval(call.args[0])
        stated = float(ast.literal_eval(next(k.value for k in call.keywords
                                             if k.arg == "points")))
    except (IndexError, StopIteration, ValueError, TypeError):
        raise NotebookError(f"{where}: write the call as dlmath.grade('<assignment>/"
                            "<exercise>', points=N) with literal values") from None
    try:
        agree = float(points) == stated  # type: ignore[arg-type]
    except (TypeError, ValueError):
        agree = False
    if not agree:
        raise NotebookError(f"{where}: grade(..., points={stated:g}) but the cell's nbgrader "
                            f"points are {points}")
    return GradeCall(grade_id, str(exercise), stated)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def solution_code(source: str) -> str:
    """A source solution cell as a student who solved it would write it: markers removed."""
    return "\n".join(line for line in source.splitlines()
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def reference_solutions(nb: NotebookNode) -> dict[str, str]:
    """grade id -> the instructor's solution, for every solution cell of a source notebook."""
    return {nbgrader(c)["grade_id"]: solution_code(c.source) for c in nb.cells
            if nbgrader(c).get("solution")}


def fill_solutions(nb: NotebookNode, code_by_grade_id: dict[str, str]) -> NotebookNode:
    """Write answers into a student's copy: each solution cell named in the dict is replaced."""
    for cell in nb.cells:
        grade_id = nbgrader(cell).get("grade_id")
        if nbgrader(cell).get("solution") and grade_id in code_by_grade_id:
            cell.source = code_by_grade_id[grade_id]
    return nb


# --- building cells (for authoring tools and tests) --------------------------------------

def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(text: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str) -> NotebookNode:
    return nbformat.v4.new_code_cell(text.strip())


def solution(grade_id: str, text: str) -> NotebookNode:
    return nbformat.v4.new_code_cell(text.strip(), metadata=_meta(
        grade_id, grade=False, solution=True, locked=False))


def public_check(grade_id: str, text: str) -> NotebookNode:
    return nbformat.v4.new_code_cell(text.strip(), metadata=_meta(
        grade_id, grade=False, solution=False, locked=True))


def graded(grade_id: str, exercise_id: str, points: float, what: str) -> NotebookNode:
    source = (f"# The hidden grader for {what} runs here when your notebook is graded.\n"
              "### BEGIN HIDDEN TESTS\n"
              "import dlmath\n"
              f"dlmath.grade({exercise_id!r}, points={points:g})\n"
              "### END HIDDEN TESTS")
    return nbformat.v4.new_code_cell(source, metadata=_meta(
        grade_id, grade=True, solution=False, locked=True, points=points))


def new_notebook(cells: list[NotebookNode]) -> NotebookNode:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(nb.cells):
        cell.id = nbgrader(cell).get("grade_id", f"cell-{index}").replace("_", "-")[:64] \
            if nbgrader(cell) else f"cell-{index}"
    return nb
