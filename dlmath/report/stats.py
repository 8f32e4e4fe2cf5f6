"""The class's numbers, per exercise and per case: item analysis on the graded cases.

An exercise's score for a student is the sum of its cases' points, its maximum the sum of
their shares. A case's discrimination is the point-biserial correlation (Pearson's r with a
0/1 variable) between passing it and the student's score on the rest of the assignment
(the assignment score minus the case's own points, so a case does not correlate with
itself). A case everyone passes or everyone fails separates no one: "not informative".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from dlmath.report.data import CaseRow, ClassResults

FULL_MARKS = 1e-6  # a score this close to the maximum is full marks (points are rounded)
NOT_INFORMATIVE = "not informative"

Key = tuple[str, str]  # (notebook, exercise)


@dataclass(frozen=True)
class CaseStats:
    position: int
    title: str
    students: int  # graded on its exercise
    passed: int
    discrimination: float | None  # None: not informative (see why_not)
    why_not: str = ""

    @property
    def pass_rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


@dataclass(frozen=True)
class Diagnosis:
    """A mistake the graders named, and the students whose failed cases matched it."""

    text: str
    students: tuple[str, ...]
    cases: int  # failed cases that matched it, over all those students


@dataclass(frozen=True)
class ExerciseStats:
    notebook: str
    exercise: str
    possible: float
    scores: dict[str, float]  # student -> points earned
    cases: tuple[CaseStats, ...]
    diagnoses: tuple[Diagnosis, ...]  # most students first

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.scores.values()))) if self.scores else 0.0

    @property
    def full_marks(self) -> float:
        """The share of the students graded on it who earned every point."""
        full = [s >= self.possible - FULL_MARKS for s in self.scores.values()]
        return sum(full) / len(full) if full else 0.0

    @property
    def difficulty(self) -> float:
        """The share of its points the class missed (0: all earned, 1: none)."""
        return 1 - self.mean / self.possible if self.possible else 0.0

    def distribution(self) -> list[tuple[float, int]]:
        """Each score earned, with how many students earned it."""
        counts: dict[float, int] = defaultdict(int)
        for score in self.scores.values():
            counts[round(score, 4)] += 1
        return sorted(counts.items())


@dataclass(frozen=True)
class HeatMap:
    """Students x exercises, each cell the share of the exercise's points earned (None: no
    result). Weakest students first, hardest exercises first."""

    students: tuple[str, ...]
    exercises: tuple[str, ...]
    shares: tuple[tuple[float | None, ...], ...]


def totals(rows: tuple[CaseRow, ...]) -> dict[str, float]:
    """Each student's assignment score."""
    total: dict[str, float] = defaultdict(float)
    for r in rows:
        total[r.student] += r.points
    return dict(total)


def exercise_stats(results: ClassResults, order: list[Key] | None = None
                   ) -> list[ExerciseStats]:
    """Every exercise with results, in `order` (the notebooks' order), others after it."""
    by_exercise: dict[Key, list[CaseRow]] = defaultdict(list)
    for r in results.rows:
        by_exercise[(r.notebook, r.exercise)].append(r)
    rank = {key: i for i, key in enumerate(order or [])}
    keys = sorted(by_exercise, key=lambda k: (rank.get(k, len(rank)), k))
    total = totals(results.rows)
    return [_one_exercise(key, by_exercise[key], total) for key in keys]


def _one_exercise(key: Key, rows: list[CaseRow], total: dict[str, float]) -> ExerciseStats:
    by_student: dict[str, list[CaseRow]] = defaultdict(list)
    for r in rows:
        by_student[r.student].append(r)
    scores = {s: sum(r.points for r in mine) for s, mine in sorted(by_student.items())}
    possible = max(sum(r.possible for r in mine) for mine in by_student.values())
    titles = sorted({(r.position, r.case_title) for r in rows})
    cases = tuple(_one_case(case, by_student, total) for case in titles)
    return ExerciseStats(key[0], key[1], possible, scores, cases, _diagnoses(rows))


def _one_case(case: tuple[int, str], by_student: dict[str, list[CaseRow]],
              total: dict[str, float]) -> CaseStats:
    """A student without this case's row (an exercise that stopped early) did not pass it."""
    passed, rest = [], []
    for student, mine in sorted(by_student.items()):
        row = next((r for r in mine if (r.position, r.case_title) == case), None)
        passed.append(bool(row and row.passed))
        rest.append(total[student] - (row.points if row else 0.0))
    r, why_not = discrimination(passed, rest)
    return CaseStats(case[0], case[1], len(passed), sum(passed), r, why_not)


def discrimination(passed: list[bool], rest: list[float]) -> tuple[float | None, str]:
    """Point-biserial r of passing with the rest of the score; None and why when it says
    nothing."""
    if all(passed):
        return None, "everyone passed"
    if not any(passed):
        return None, "everyone failed"
    if max(rest) - min(rest) <= FULL_MARKS:
        return None, "every student has the same score on the rest"
    return float(np.corrcoef(np.array(passed, float), np.array(rest))[0, 1]), ""


def _diagnoses(rows: list[CaseRow]) -> tuple[Diagnosis, ...]:
    students: dict[str, set[str]] = defaultdict(set)
    cases: dict[str, int] = defaultdict(int)
    for r in rows:
        if not r.passed and r.diagnosis.strip():
            students[r.diagnosis.strip()].add(r.student)
            cases[r.diagnosis.strip()] += 1
    ranked = sorted(students, key=lambda d: (-len(students[d]), d))
    return tuple(Diagnosis(d, tuple(sorted(students[d])), cases[d]) for d in ranked)


def heat_map(exercises: list[ExerciseStats], labels: list[str]) -> HeatMap:
    """Sorted so trouble stands out: weakest students (share of the assignment's points)
    at the top, hardest exercises (lowest mean share) at the left."""
    students = sorted({s for e in exercises for s in e.scores})
    share = {(s, i): e.scores[s] / e.possible if e.possible else 1.0
             for i, e in enumerate(exercises) for s in e.scores}
    possible = sum(e.possible for e in exercises) or 1.0
    overall = {s: sum(e.scores.get(s, 0.0) for e in exercises) / possible for s in students}
    columns = sorted(range(len(exercises)), key=lambda i: (-exercises[i].difficulty, i))
    rows = sorted(students, key=lambda s: (overall[s], s))
    return HeatMap(tuple(rows), tuple(labels[i] for i in columns),
                   tuple(tuple(share.get((s, i)) for i in columns) for s in rows))


def labels(exercises: list[ExerciseStats]) -> list[str]:
    """The exercise's name, with its notebook only where two notebooks share a name."""
    names = [e.exercise for e in exercises]
    return [e.exercise if names.count(e.exercise) == 1 else f"{e.notebook}/{e.exercise}"
            for e in exercises]
