"""GenerateFeedback's preprocessors: grader internals kept out of the feedback HTML, and
every score named (the page itself is `feedback_page.py` and its template)."""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor

from dlmath.engine.report import cause_of, format_points
from dlmath.nbgrader.roster import full_name
from dlmath.notebooks import NotebookError, graded_cell, is_graded_test, nbgrader

HIDDEN = re.compile(r"^[^\n]*BEGIN HIDDEN TESTS.*?END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_hidden(source: str) -> str:
    return HIDDEN.sub("", source).rstrip()


def _plain_error(output: dict) -> dict:
    """An error without its traceback: the frames would show grader source and paths."""
    text = ANSI.sub("", f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return {"output_type": "error", "ename": output.get("ename", "Error"),
            "evalue": ANSI.sub("", str(output.get("evalue", ""))), "traceback": [text]}


class HideGraderInternals(Preprocessor):
    """In graded test cells: drop the hidden region and reduce errors to one line."""

    enabled = True  # nbconvert registers preprocessors disabled unless they say otherwise

    def preprocess_cell(self, cell, resources, index):
        if is_graded_test(cell):
            cell.source = strip_hidden(cell.source)
            cell.outputs = [_plain_error(o) if o.get("output_type") == "error" else o
                            for o in cell.get("outputs", [])]
        return cell, resources


FIRST_DIAGNOSIS_CHARS = 400  # the summary shows the start; the cell below has it whole


def exercise_name(exercise_id: str) -> str:
    """What a student calls an exercise: `softmax`, `quiz q4`."""
    return exercise_id.rpartition("/")[2].replace(".", " ")


def first_diagnosis(cell) -> str:
    """The first failure's message, as SealedExecute wrote it beside the cell's report."""
    text = cause_of(str(cell.get("metadata", {}).get("dlmath", {}).get("first_diagnosis", "")))
    return text if len(text) <= FIRST_DIAGNOSIS_CHARS else text[:FIRST_DIAGNOSIS_CHARS] + " …"


def student_name(db_url: str, student_id: str) -> str:
    """"Ada Lovelace (ada)" from the gradebook's roster; the id alone when it has no name."""
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(db_url) as gb:
            student = gb.find_student(student_id)
    except MissingEntry:
        return student_id
    name = full_name(student_id, student.first_name, student.last_name)
    return f"{name} ({student_id})" if name else student_id


class NameTheScores(Preprocessor):
    """The named summary of the feedback page: each graded cell as its exercise and the
    gradebook's points (set on the cell by nbgrader's GetGrades, which runs first), with
    the first diagnosis of an exercise that lost points. The template shows it at the top
    and as each graded cell's heading."""

    enabled = True

    def preprocess(self, nb, resources):
        scores = [score_line(cell, index) for index, cell in enumerate(nb.cells)
                  if nbgrader(cell).get("grade")]
        grading = resources.get("nbgrader", {})
        resources.setdefault("dlmath", {}).update(
            scores=scores, headings={s["anchor"]: s for s in scores},
            student=student_name(grading["db_url"], grading["student"])
            if "db_url" in grading else "")
        return nb, resources


def score_line(cell, index: int) -> dict:
    meta = nbgrader(cell)
    anchor = str(meta.get("grade_id") or f"cell-{index}")
    try:
        name = exercise_name(graded_cell(cell, f"cell {index}").exercise_id)
    except NotebookError:  # a cell graded by hand, or a course cell without a grade call
        name = anchor
    score, points = float(meta.get("score") or 0), float(meta.get("points") or 0)
    return {"anchor": anchor, "name": name, "score": format_points(score),
            "points": format_points(points), "lost": score < points,
            "diagnosis": first_diagnosis(cell) if score < points else ""}
