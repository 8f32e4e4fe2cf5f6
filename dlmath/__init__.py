"""dlmath: auto-graded exercises in the math of deep learning.

Importing this package is cheap and pulls in neither torch nor any grader: the sealed
worker's parent imports it, and a worker must find no secret in its own memory.
"""

import sys

__all__ = ["check", "grade"]


def check(exercise: str) -> None:
    """Ask the course's hidden grader about one exercise of this notebook, as saved now
    (in the course's JupyterHub): prints its report."""
    from dlmath.hub.client import check as _check

    _check(exercise)


def grade(exercise_id: str, namespace: dict | None = None, *, points: float) -> float:
    """Grade one exercise in this kernel: the call a hidden test region makes."""
    from dlmath.engine.kernel import grade as _grade

    return _grade(exercise_id, namespace or sys._getframe(1).f_globals, points=points)
