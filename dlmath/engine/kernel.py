"""The in-kernel path: a hidden test cell calls `dlmath.grade(...)` in the notebook's kernel.

Only for trusted code (an instructor running `source/`): the student's code shares this
process. Submissions are graded by the sealed engine instead. The call prints the feedback
on stdout and returns the score as the cell's value, which nbgrader reads as partial credit.
Nothing may reach stderr: nbgrader scores a cell with any stderr output as zero.
"""

from __future__ import annotations

import contextlib
import io
import warnings

from dlmath.engine.report import render
from dlmath.engine.results import ExerciseResult
from dlmath.engine.runner import grade_exercise
from dlmath.engine.student import LocalStudent


def grade(exercise_id: str, namespace: dict, *, points: float) -> float:
    result = _grade_quietly(exercise_id, namespace, points)
    print(render(result))
    return result.score


def _grade_quietly(exercise_id: str, namespace: dict, points: float) -> ExerciseResult:
    sink = io.StringIO()
    with contextlib.redirect_stderr(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # never a traceback or a warning in the notebook
        student = LocalStudent(namespace, sources=_cell_sources(namespace))
        return grade_exercise(exercise_id, student, points)


def _cell_sources(namespace: dict) -> list[str]:
    """The cells run so far, from IPython's input history (`In`)."""
    history = namespace.get("In")
    return [s for s in history if isinstance(s, str)] if isinstance(history, list) else []
