"""Reading course notebooks: which cells are the student's, which are graded, and how.

A graded test cell's hidden region calls `dlmath.grade("<assignment>/<exercise>",
points=N)`. Everything else about grading follows from those calls and the cells'
nbgrader metadata.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlmath.engine.student import LocalStudent, exec_cells


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


def student_sources(nb: NotebookNode) -> list[str]:
    """The code cells a kernel would run before the graders: all but graded test cells."""
    return [c.source for c in nb.cells if c.cell_type == "code" and not is_graded_test(c)]


def grade_calls(nb: NotebookNode, where: str = "notebook") -> list[GradeCall]:
    """Every `dlmath.grade(...)` call in the graded test cells, in notebook order."""
    calls = []
    for index, cell in enumerate(nb.cells):
        if not is_graded_test(cell):
            continue
        call = parse_grade_call(cell.source, f"{where}, cell {index}")
        if call is not None:
            meta = nbgrader(cell)
            if float(meta.get("points", -1)) != call[1]:
                raise NotebookError(f"{where}, cell {index}: grade(..., points={call[1]:g}) but "
                                    f"the cell's nbgrader points are {meta.get('points')}")
            calls.append(GradeCall(meta.get("grade_id", f"cell-{index}"), call[0], call[1]))
    return calls


def parse_grade_call(source: str, where: str) -> tuple[str, float] | None:
    """(exercise id, points) of the grade call in a test cell's source, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookError(f"{where}: the test cell does not parse ({exc.msg}, line "
                            f"{exc.lineno})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node.func) == "grade":
            try:
                exercise = ast.literal_eval(node.args[0])
                points = ast.literal_eval(next(k.value for k in node.keywords
                                               if k.arg == "points"))
            except (IndexError, StopIteration, ValueError):
                raise NotebookError(f"{where}: write the call as dlmath.grade('<assignment>/"
                                    "<exercise>', points=N) with literal values") from None
            return str(exercise), float(points)
    return None


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def load_student(paths: Iterable[Path], cell_seconds: float = 30.0) -> LocalStudent:
    """Run the student cells of notebooks in one namespace in this process (trusted code)."""
    sources: list[str] = []
    for path in paths:
        sources += student_sources(read(path))
    namespace: dict = {"__name__": "__main__"}
    student = LocalStudent(namespace, sources)
    student.problems = exec_cells(sources, namespace, cell_seconds=cell_seconds)  # type: ignore[attr-defined]
    return student


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
