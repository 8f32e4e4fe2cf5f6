"""The check desk: a student asks the hidden grader about one exercise before submitting.

It takes the student's notebook as saved, runs the cells above the exercise's graded cell
in a sealed worker and grades the exercise with the hidden grader, as autograding does, but
on the inputs of a check (course.seed_offset("check")), which are not the final grading's.
It refuses what it should: an assignment whose checks are off, a student who checked this
exercise too often in the last hour (saying when the next check is allowed), a notebook
that is not one. Each request is recorded in the gradebook (dlmath_checks, see
dlmath/gradebook). The HTTP service (service.py) authenticates the student; this module
trusts the name it is given.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import sqlalchemy as sa

from dlmath.course import SECRET_SEED, assignments, autograders_dir, source_dir
from dlmath.engine.report import render
from dlmath.engine.results import ExerciseResult
from dlmath.engine.runner import grade_exercise, refresh_graders
from dlmath.gradebook import CHECKS, add_checked, upgrade
from dlmath.notebooks import grade_calls, is_graded_test, nbgrader, read
from dlmath.sealed.forkserver import fork_server
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.student import open_submission

MAX_NOTEBOOK_BYTES = 8 * 2**20
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class DeskSettings:
    checks_per_hour: int = 4  # per student and exercise
    closed_assignments: tuple[str, ...] = ()  # no checks (an exam, say)
    limits: SealedLimits = field(default_factory=lambda: SealedLimits(
        notebook_seconds=120, notebook_cpu_seconds=120))


@dataclass
class Reply:
    """What the student reads: `text`, always one clear report or sentence."""

    outcome: str  # graded, refused, failed
    text: str
    score: float | None = None
    possible: float | None = None
    cases: list[dict] = field(default_factory=list)
    retry_at: str | None = None  # ISO time of the next allowed check, when refused for it

    def to_json(self) -> str:
        return json.dumps(asdict(self))


class Refused(Exception):
    """A request the desk will not grade; the message is for the student."""

    def __init__(self, message: str, retry_at: dt.datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at


class Desk:
    def __init__(self, course_root: Path, db_url: str, settings: DeskSettings | None = None):
        self.root, self.db_url = course_root.resolve(), db_url
        self.settings = settings or DeskSettings()
        upgrade(db_url)  # the gradebook exists from here on: it is among the protected paths
        self.engine = sa.create_engine(db_url)
        self.protected = self._protected()

    def warm(self) -> None:
        """Start the fork server and load the graders' kit (torch) before the first check,
        so that a student waits for her own code and the checks, not for imports."""
        import dlmath.kit  # noqa: F401

        fork_server(protected=self.protected)

    def _protected(self) -> list[str]:
        """What no worker may see: the course directory (graders, sources, submissions,
        the secret seed) and the gradebook."""
        paths = [self.root, autograders_dir(), autograders_dir() / SECRET_SEED, source_dir()]
        if self.db_url.startswith("sqlite:///"):
            paths.append(Path(self.db_url.removeprefix("sqlite:///")).resolve())
        kept = sorted({p.resolve() for p in paths if p.exists()})
        # a path inside another is covered with it (and cannot be covered once it is)
        return [str(p) for p in kept if not any(o != p and o in p.parents for o in kept)]

    # --- a request --------------------------------------------------------------------
    def check(self, student: str, assignment: str, notebook: str, exercise: str,
              content: str | bytes, now: dt.datetime | None = None) -> Reply:
        now = now or dt.datetime.now(dt.UTC)
        try:
            call, index, nb = self._admit(student, assignment, notebook, exercise, content, now)
        except Refused as refused:
            self._record(student, assignment, notebook, exercise, now, "refused", None)
            return Reply("refused", str(refused), retry_at=refused.retry_at.isoformat()
                         if refused.retry_at else None)
        try:
            result = self._grade(nb, index, call.exercise_id, call.points)
        except Exception as exc:  # the machine's fault, not the student's: say so, keep serving
            self._record(student, assignment, notebook, exercise, now, "failed", None)
            return Reply("failed", f"The check could not run ({type(exc).__name__}); it was "
                                   "not counted. Try again in a minute.")
        self._record(student, assignment, notebook, exercise, now, "graded", result)
        return Reply("graded", render(result), result.score, result.possible,
                     [{"case": c.case, "passed": c.passed, "message": c.message}
                      for c in result.cases])

    def _admit(self, student: str, assignment: str, notebook: str, exercise: str,
               content: str | bytes, now: dt.datetime):
        for what, value in (("student", student), ("assignment", assignment),
                            ("notebook", notebook), ("exercise", exercise)):
            if not isinstance(value, str) or not NAME.match(value):
                raise Refused(f"The request names no valid {what}.")
        if assignment not in assignments():
            raise Refused(f"There is no assignment {assignment} in this course.")
        if assignment in self.settings.closed_assignments:
            raise Refused(f"Checks are turned off for {assignment}: your work is graded only "
                          "when you submit it.")
        source = source_dir() / assignment / notebook
        if source.suffix != ".ipynb" or not source.is_file():
            raise Refused(f"{assignment} has no notebook {notebook}.")
        calls = {c.exercise_id.partition("/")[2]: c for c in grade_calls(read(source))}
        if exercise.startswith("quiz."):
            raise Refused("Quiz answers are graded only when you submit: a check would give "
                          "them away.")
        if exercise not in calls:
            raise Refused(f"{notebook} has no graded exercise {exercise!r}: ask about one of "
                          f"{', '.join(sorted(calls))}.")
        self._within_rate(student, assignment, exercise, now)
        if len(content) > MAX_NOTEBOOK_BYTES:
            raise Refused("The notebook is too large to check: clear its outputs and save.")
        try:
            nb = nbformat.reads(content, as_version=4)
        except Exception:
            raise Refused("The saved notebook could not be read: save it again from "
                          "JupyterLab and retry.") from None
        index = next((i for i, c in enumerate(nb.cells) if is_graded_test(c) and nbgrader(c)
                      .get("grade_id") == calls[exercise].grade_id), len(nb.cells))
        return calls[exercise], index, nb

    def _within_rate(self, student: str, assignment: str, exercise: str,
                     now: dt.datetime) -> None:
        since = now - HOUR
        with self.engine.connect() as db:
            times = db.execute(sa.select(CHECKS.c.checked_at).where(
                CHECKS.c.student == student, CHECKS.c.assignment == assignment,
                CHECKS.c.exercise == exercise, CHECKS.c.outcome == "graded",
                CHECKS.c.checked_at > since).order_by(CHECKS.c.checked_at)).scalars().all()
        if len(times) >= self.settings.checks_per_hour:
            first = _aware(times[len(times) - self.settings.checks_per_hour])
            retry = first + HOUR
            raise Refused(f"You checked {exercise} {len(times)} times in the last hour (the "
                          f"course allows {self.settings.checks_per_hour}): the next check is "
                          f"allowed at {retry:%H:%M} UTC, in {_minutes(retry - now)}.", retry)

    def _grade(self, nb, index: int, exercise_id: str, points: float) -> ExerciseResult:
        refresh_graders()  # this process lives on: a grader fixed since is the one to use
        server = fork_server(protected=self.protected)
        with open_submission(nb, limits=self.settings.limits, server=server,
                             staged=True) as submission:
            submission.run_above(index)
            return grade_exercise(exercise_id, submission.student(), points, purpose="check")

    def _record(self, student: str, assignment: str, notebook: str, exercise: str,
                now: dt.datetime, outcome: str, result: ExerciseResult | None) -> None:
        diagnoses = [" ".join(c.message.split())[:500] for c in result.cases
                     if not c.passed and c.message] if result else []  # one line each
        with self.engine.begin() as db:
            db.execute(CHECKS.insert().values(
                student=student, assignment=assignment, exercise=exercise, checked_at=now,
                score=result.score if result else None,
                possible=result.possible if result else None, outcome=outcome,
                diagnoses="\n".join(dict.fromkeys(diagnoses))))
            if result:  # its cases too, as every grading path keeps them
                add_checked(db, student, assignment, notebook.removesuffix(".ipynb"),
                            result.case_rows(), now)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes: they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _minutes(delta: dt.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
