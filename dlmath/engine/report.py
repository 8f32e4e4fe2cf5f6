"""Feedback text for students: what was checked, what failed and why.

It never contains grader source, tracebacks or file paths: only the case titles written
for students and the messages of the checks.
"""

from __future__ import annotations

import itertools
import textwrap

from dlmath.engine.results import ExerciseResult

PASS, FAIL = "✔", "✘"
FULL_FAILURES = 4  # failures shown with their whole message; the rest by title
DUMPS = ("expected ", "got ")  # where a message turns from the cause to the arrays compared


def format_points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _first_of_each_group(failed: list) -> list:
    """One failure per grader function first, then the rest: varied diagnoses beat repeats."""
    firsts, seen = [], set()
    for case in failed:
        if case.group not in seen:
            seen.add(case.group)
            firsts.append(case)
    return firsts + [c for c in failed if c not in firsts]


def failures(result: ExerciseResult) -> list:
    """The failed cases as the feedback lists them: those whose message names a cause
    first, bare mismatches after, each kind in the graders' order."""
    failed = [c for c in result.cases if not c.passed]
    return [c for c in failed if c.named] + [c for c in failed if not c.named]


def first_message(result: ExerciseResult) -> str:
    """What the student reads first about this exercise: the first failure shown in full."""
    shown = _first_of_each_group(failures(result))
    return shown[0].message if shown else ""


def cause_of(message: str) -> str:
    """A check's message up to the arrays it goes on to show: a summary or a diagnosis
    wants the cause only, the arrays are left for the cell below. A message that opens
    with 'expected …' keeps that line, its cause."""
    lines = message.splitlines()
    cause = list(itertools.takewhile(lambda line: not line.startswith(DUMPS), lines))
    return "\n".join(cause or lines[:1])


def render(result: ExerciseResult) -> str:
    name = result.exercise.rpartition("/")[2]
    passed = [c for c in result.cases if c.passed]
    failed = failures(result)
    lines = [f"{name}: {format_points(result.score)} / {format_points(result.possible)} points"
             f" ({len(passed)} of {len(result.cases)} checks passed)"]
    shown = _first_of_each_group(failed)[:FULL_FAILURES]
    for case in failed:
        lines.append(f"  {FAIL} {case.case}")
        if case in shown:
            lines.append(textwrap.indent(case.message, "      "))
    for case in passed:
        if case.message:
            lines.append(f"  {PASS} {case.case}")
            lines.append(textwrap.indent(case.message, "      "))
    lines += [f"  note: {n}" for n in result.notes]
    return "\n".join(lines)
