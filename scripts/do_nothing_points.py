"""What answers that do no work earn: every `does_nothing` answer of the corpora, graded.

    ./dev.sh python scripts/do_nothing_points.py                  # grade them here
    ./dev.sh python scripts/do_nothing_points.py --dump FILE      # write them as JSON
    python scripts/do_nothing_points.py --answers FILE            # grade a dump (in any
                                                                  # checkout: old graders too)

Each answer runs after its reference notebook, in one namespace, and its exercise is graded
as `tests/test_graders.py` grades it (the paths give identical scores: test_cell_order.py,
test_sealed_equivalence.py). Prints each answer that earns points, then the totals. Uses only
what `dlmath` has had since its graders moved to `autograders/`, so that a dump of today's
answers can be graded by an older checkout, for a before-and-after comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

from dlmath.course import source_dir
from dlmath.engine.results import ExerciseResult
from dlmath.engine.runner import run_exercise
from dlmath.engine.student import LocalStudent, exec_cells
from dlmath.notebooks import grade_calls, read, student_sources


def idle_answers() -> list[dict[str, str]]:
    from dlmath.course import corpora

    return [{"assignment": c.assignment, "notebook": c.notebook, "function": s.function,
             "name": s.name, "code": s.source}
            for c in corpora() for s in c.solutions if getattr(s, "idle", False)]


@cache
def reference(assignment: str, notebook: str) -> tuple[tuple[str, ...], dict, dict]:
    nb = read(source_dir() / assignment / notebook)
    sources = tuple(student_sources(nb))
    namespace: dict = {"__name__": "__main__"}
    exec_cells(list(sources), namespace)
    return sources, namespace, {c.exercise_id: c.points for c in grade_calls(nb)}


def grade_result(answer: dict[str, str]) -> ExerciseResult:
    """The graded exercise of one answer, run after its reference notebook."""
    sources, namespace, points = reference(answer["assignment"], answer["notebook"])
    namespace = dict(namespace)
    exec_cells([answer["code"]], namespace)
    student = LocalStudent(namespace, [*sources, answer["code"]])
    exercise = f"{answer['assignment']}/{answer['function']}"
    return run_exercise(exercise, student, points[exercise])


def grade(answer: dict[str, str]) -> tuple[float, float]:
    """(points earned, points at stake) of one answer."""
    result = grade_result(answer)
    return result.score, result.possible


def answers_to_grade(doc: str, what: str, today: Callable[[], list[dict]],
                     argv: list[str] | None) -> list[dict] | None:
    """The answers a script grades: today's corpus (`today()`), or a dump (--answers); with
    --dump, write them as JSON and return None."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--dump", type=Path, help=f"write the {what} as JSON and stop")
    parser.add_argument("--answers", type=Path, help=f"grade the {what} of a dump")
    args = parser.parse_args(argv)
    answers = json.loads(args.answers.read_text()) if args.answers else today()
    if args.dump:
        args.dump.write_text(json.dumps(answers, indent=1))
        print(f"{len(answers)} {what} written to {args.dump}")
        return None
    return answers


def main(argv: list[str] | None = None) -> int:
    answers = answers_to_grade(__doc__, "answers that do no work", idle_answers, argv)
    if answers is None:
        return 0
    earned = stake = 0.0
    earning = 0
    functions = set()
    for answer in answers:
        score, possible = grade(answer)
        earned, stake = earned + score, stake + possible
        functions.add((answer["assignment"], answer["function"]))
        if score > 0:
            earning += 1
            print(f"  {answer['assignment']}/{answer['function']}: {answer['name']!r} earns "
                  f"{score:g} of {possible:g}")
    print(f"{len(answers)} answers that do no work, for {len(functions)} functions: "
          f"{earning} earn points, {earned:.2f} of the {stake:g} points at stake")
    return 0


if __name__ == "__main__":
    sys.exit(main())
