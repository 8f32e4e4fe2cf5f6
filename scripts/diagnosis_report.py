"""Which corpus mistakes the feedback names first: every wrong answer of the corpora, graded.

    ./dev.sh python scripts/diagnosis_report.py                  # grade them here
    ./dev.sh python scripts/diagnosis_report.py --dump FILE      # write them as JSON
    python scripts/diagnosis_report.py --answers FILE            # grade a dump (in any
                                                                 # checkout: old graders too)

A mistake is named first when the first message the student reads for its exercise (the
first failed check the feedback shows in full) contains the diagnosis the corpus states.
Prints each mistake that is not, then the count per assignment. Like do_nothing_points.py,
it uses only what `dlmath` has had since its graders moved to `autograders/`.
"""

from __future__ import annotations

import sys
from collections import Counter

from do_nothing_points import answers_to_grade, grade_result

from dlmath.engine import report


def mistakes() -> list[dict[str, str]]:
    from dlmath.course import corpora

    return [{"assignment": c.assignment, "notebook": c.notebook, "function": s.function,
             "name": s.name, "code": s.source, "diagnosis": s.diagnosis or ""}
            for c in corpora() for s in c.solutions
            if not s.correct and not getattr(s, "idle", False)]


def first_message(result) -> str:
    """The first message shown in full (report.first_message where it exists; before it,
    the feedback showed failures in the graders' order)."""
    if hasattr(report, "first_message"):
        return report.first_message(result)
    failed = [c for c in result.cases if not c.passed]
    return failed[0].message if failed else ""


def main(argv: list[str] | None = None) -> int:
    answers = answers_to_grade(__doc__, "mistakes", mistakes, argv)
    if answers is None:
        return 0
    named, total = Counter(), Counter()
    for answer in answers:
        first = first_message(grade_result(answer))
        total[answer["assignment"]] += 1
        if answer["diagnosis"] in first:
            named[answer["assignment"]] += 1
        else:
            print(f"  {answer['assignment']}/{answer['function']}: {answer['name']!r} reads "
                  f"first: {first.splitlines()[0][:160] if first else '(nothing failed)'}")
    for assignment in sorted(total):
        print(f"{assignment}: {named[assignment]} of {total[assignment]} mistakes named first")
    print(f"all: {sum(named.values())} of {sum(total.values())} named first")
    return 0


if __name__ == "__main__":
    sys.exit(main())
