"""Grading as data: a case's result, an exercise's result, and the points arithmetic."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from greenlet import getcurrent

Outcome = Literal["passed", "failed", "error"]


@dataclass(frozen=True)
class CaseResult:
    case: str
    outcome: Outcome
    message: str
    weight: float
    points: float = 0.0  # filled in by `score_cases`
    group: str = ""  # the grader function the case came from
    credit: float = 1.0  # the share of its weight a passed case earns (a gated check < 1)
    timed_out: bool = False  # a call ran out of time: no later call of the exercise is made
    named: bool = True  # a failure whose message names a cause (not a bare mismatch)
    diagnosis: str = ""  # the mistake a failure matched, in words the same for every student

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def earned(self) -> float:
        return self.points * self.credit if self.passed else 0.0


@dataclass(frozen=True)
class ExerciseResult:
    exercise: str
    cases: tuple[CaseResult, ...]
    score: float
    possible: float
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.passed for c in self.cases)

    def to_dict(self) -> dict:
        return asdict(self)

    def case_rows(self) -> list[dict]:
        """Each case as the gradebook keeps it (dlmath_cases), in the graders' order."""
        exercise = self.exercise.rpartition("/")[2]
        return [{"exercise": exercise, "position": index, "case_title": c.case,
                 "outcome": c.outcome, "points": c.earned, "possible": c.points,
                 "diagnosis": "" if c.passed else c.diagnosis}
                for index, c in enumerate(self.cases)]


_notes: dict[Any, list[str]] = {}  # by the greenlet of the case that made them (rounds.py)


def note(text: str) -> None:
    """Attach a remark to the case being run: shown in the feedback even when it passes."""
    _notes.setdefault(getcurrent(), []).append(text)


def take_notes() -> str:
    """The remarks of the case being run, forgotten here."""
    return " ".join(_notes.pop(getcurrent(), []))


def score_cases(cases: list[CaseResult], possible: float) -> tuple[tuple[CaseResult, ...], float]:
    """Share `possible` points among cases by weight; passed cases earn their share.

    The total is rounded to 1e-6 and never exceeds `possible`: nbgrader fails the whole
    submission when a cell reports more than its points.
    """
    if possible < 0:
        raise ValueError(f"possible points must be >= 0, got {possible}")
    if any(c.weight < 0 for c in cases):
        raise ValueError("case weights must be >= 0")
    total = sum(c.weight for c in cases)
    if not cases or total == 0:
        return tuple(cases), 0.0
    scored = tuple(replace(c, points=possible * c.weight / total) for c in cases)
    if any(not 0 <= c.credit <= 1 for c in cases):
        raise ValueError("case credit must be within [0, 1]")
    earned = sum(c.weight * c.credit for c in cases if c.passed)
    score = min(possible, round(possible * earned / total, 6))
    return scored, score
