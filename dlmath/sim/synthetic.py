"""A synthetic class: many students' submissions written straight into a course's
`submitted/` folder, as `nbgrader collect` leaves them, for benchmarks and scale tests.

Going through fetch and submit costs seconds per student; writing the collected folders
costs milliseconds. Answers come from the reference solutions and the assignments' corpora
(`autograders/<assignment>/corpus.py`), chosen deterministically from a seed, so a class
can be rebuilt exactly. Most students make a few realistic mistakes (different ones each);
some write alternative correct solutions, some hand in the blank notebooks, and every
`hostile_every`-th student attacks the grader. The attacks are cheap (no loops, floods or
memory bombs) so that they test robustness without dominating a benchmark's time, and safe
to run unsealed (no signals to other processes, no writes outside the notebook's folder).
"""

from __future__ import annotations

import copy
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import nbformat

from dlmath.course import corpus
from dlmath.nbgrader.course import Course
from dlmath.notebooks import fill_solutions, read
from dlmath.sim.demo import reference, solution_cell
from dlmath.sim.hostile import snippet

Answers = dict[str, str]  # solution cell grade id -> code

# nbgrader's Exchange.timestamp_format with its default timezone, as `submit` writes it.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
SUBMITTED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SyntheticStudent:
    id: str
    kind: str  # reference | mistakes | alternatives | blank | hostile
    story: str  # what this student did; for a hostile student, the attack (a key of ATTACKS)

    @property
    def hostile(self) -> bool:
        return self.kind == "hostile"


# --- hostile code -------------------------------------------------------------------------

FORGE_SCORE = '''\
import dlmath
dlmath.grade = lambda exercise, points: points  # the hidden cells now "return" full marks
print("Score: 10/10 (all hidden tests passed)")
'''

PATCH_NUMPY = '''
import numpy as np
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
'''

READ_GRADERS = '''
import glob as _glob
import os as _os
for _pattern in ("../../autograders/*/*.py", "../../../autograders/*/*.py",
                 _os.path.join(_os.environ.get("DLMATH_AUTOGRADERS", "/nonexistent"), "*/*.py"),
                 "../../../gradebook.db", "../../../source/*/*.ipynb"):
    for _path in sorted(_glob.glob(_pattern))[:2]:
        try:
            print(_path, open(_path, "rb").read(80))
        except OSError as _exc:
            print("refused", _path, _exc)
'''


def _blank_but_first(answers: Answers, code: str) -> Answers:
    first = next(iter(answers), None)
    return {first: code} if first else {}


def _append_to_first(answers: Answers, code: str) -> Answers:
    first = next(iter(answers), None)
    if first:
        answers[first] = answers[first] + "\n" + code
    return answers


# attack name -> how it changes a student's reference-with-mistakes answers
ATTACKS: dict[str, Callable[[Answers], Answers]] = {
    "forges the score (patches dlmath.grade, prints a fake score)":
        lambda a: _blank_but_first(a, FORGE_SCORE),
    "monkeypatches numpy's comparisons": lambda a: _append_to_first(a, PATCH_NUMPY),
    "reads the autograders, the gradebook and source/": lambda a: _append_to_first(
        a, READ_GRADERS),
    "dumps the environment and /proc (dlmath/sim/hostile/secrets.py)":
        lambda a: _append_to_first(a, "\n" + snippet("secrets")),
}


# --- who does what ------------------------------------------------------------------------

def plan_class(n_students: int, seed: int = 0, hostile_every: int = 50
               ) -> list[SyntheticStudent]:
    """Each student's kind, drawn from the seed; hostile ones at fixed, spread-out places."""
    width = max(3, len(str(n_students - 1)))
    return [_plan_student(f"s{i:0{width}d}", i, seed, hostile_every) for i in range(n_students)]


def _plan_student(sid: str, index: int, seed: int, hostile_every: int) -> SyntheticStudent:
    if hostile_every and index % hostile_every == hostile_every // 2:
        attacks = list(ATTACKS)
        return SyntheticStudent(sid, "hostile", attacks[(index // hostile_every) % len(attacks)])
    r = random.Random(f"{seed}/{sid}").random()
    if r < 0.03:
        return SyntheticStudent(sid, "blank", "submitted the blank notebooks")
    if r < 0.18:
        return SyntheticStudent(sid, "alternatives", "alternative correct solutions")
    if r < 0.28:
        return SyntheticStudent(sid, "reference", "the reference solution")
    return SyntheticStudent(sid, "mistakes", "the reference with a few realistic mistakes")


@cache
def _reference(assignment: str, notebook: str) -> Answers:
    return reference(assignment, notebook)


@cache
def _solutions(assignment: str, notebook: str, correct: bool) -> dict[str, list]:
    """function -> the corpus solutions of one kind for it."""
    by_function: dict[str, list] = {}
    for solution in corpus(assignment, notebook):
        if solution.correct == correct and not solution.idle:  # realistic answers only
            by_function.setdefault(solution.function, []).append(solution)
    return by_function


def answers_for(student: SyntheticStudent, assignment: str, notebook: str, seed: int = 0
                ) -> Answers | None:
    """The student's answers for one notebook; None: the notebook is handed in blank."""
    if student.kind == "blank":
        return None
    rng = random.Random(f"{seed}/{student.id}/{assignment}/{notebook}")
    answers = dict(_reference(assignment, notebook))
    if student.kind == "alternatives":
        _replace(answers, _solutions(assignment, notebook, True), rng, share=0.7)
    elif student.kind in ("mistakes", "hostile"):
        _replace(answers, _solutions(assignment, notebook, False), rng,
                 count=rng.choice((1, 1, 2, 3) if student.kind == "mistakes" else (0, 1)))
    return ATTACKS[student.story](answers) if student.hostile else answers


def _replace(answers: Answers, options: dict[str, list], rng: random.Random,
             share: float = 0.0, count: int = 0) -> None:
    """Swap in corpus solutions: for `count` random functions, or each with chance `share`."""
    functions = [f for f in sorted(options) if solution_cell(f) in answers]
    chosen = rng.sample(functions, min(count, len(functions))) if count else \
        [f for f in functions if rng.random() < share]
    for function in chosen:
        answers[solution_cell(function)] = rng.choice(options[function]).source


# --- writing the submissions --------------------------------------------------------------

def build_class(course: Course, assignments: list[str], n_students: int, seed: int = 0,
                hostile_every: int = 50) -> list[SyntheticStudent]:
    """Write every student's collected submission of every assignment into the course.

    Assignments not yet generated in the course are generated first, which also puts their
    notebooks and grade cells into the gradebook."""
    students = plan_class(n_students, seed, hostile_every)
    for assignment in assignments:
        released = course.root / "release" / assignment
        if not released.is_dir():
            course.generate(assignment)
        notebooks = {p.name: read(p) for p in sorted(released.glob("*.ipynb"))}
        for index, student in enumerate(students):
            folder = course.root / "submitted" / student.id / assignment
            write_submission(folder, released, notebooks, student, seed,
                             SUBMITTED_AT + timedelta(minutes=index))
    return students


def write_submission(folder: Path, released: Path, notebooks: dict, student: SyntheticStudent,
                     seed: int, submitted_at: datetime) -> None:
    """One collected submission: the released files, the student's notebooks, a timestamp."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in released.iterdir():
        if path.is_file() and path.suffix != ".ipynb":
            shutil.copy(path, folder / path.name)
    assignment = released.name
    for name, released_nb in notebooks.items():
        nb = copy.deepcopy(released_nb)
        answers = answers_for(student, assignment, name, seed)
        if answers is not None:
            fill_solutions(nb, answers)
        nbformat.write(nb, str(folder / name))
    (folder / "timestamp.txt").write_text(submitted_at.strftime(TIMESTAMP_FORMAT))
