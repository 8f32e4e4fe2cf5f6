"""One assignment's report, from the gradebook and the submitted notebooks to the files."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dlmath.notebooks import NotebookError, grade_calls, read
from dlmath.report import page, similarity, stats
from dlmath.report.data import ClassResults, Course, load_results, open_course

REPORTS = "reports"  # in the course directory


@dataclass(frozen=True)
class Report:
    assignment: str
    results: ClassResults
    exercises: list[stats.ExerciseStats]
    labels: list[str]  # each exercise's name on the page
    heat: stats.HeatMap | None
    similar: list[similarity.NotebookSimilarity]
    notes: list[str]  # what the numbers leave out, each a sentence
    generated: str


def build_report(course: Course, assignment: str) -> Report:
    results = load_results(course, assignment)
    exercises = stats.exercise_stats(results, exercise_order(course, results))
    labels = stats.labels(exercises)
    heat = stats.heat_map(exercises, labels) if exercises else None
    similar = similarity.class_similarity(course.submitted, course.release, course.source,
                                          assignment, results.notebooks) \
        if results.submitted or results.rows else []
    return Report(assignment, results, exercises, labels, heat, similar, notes(results),
                  datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def exercise_order(course: Course, results: ClassResults) -> list[stats.Key]:
    """The exercises as the source notebooks grade them, notebook by notebook."""
    order = []
    for notebook in results.notebooks:
        try:
            nb = read(course.source / results.assignment / f"{notebook}.ipynb")
            order += [(notebook, c.exercise_id.rpartition("/")[2]) for c in grade_calls(nb)]
        except NotebookError:
            continue  # no source here: the exercises keep their names' order
    return order


def notes(results: ClassResults) -> list[str]:
    """The lines that say who is not in the numbers, and why."""
    found = []
    if not results.submitted and not results.rows:
        found.append(f"No submissions of {results.assignment} yet: nothing to report.")
    elif not results.rows:
        found.append(f"No graded cases of {results.assignment} in the gradebook: grade it "
                     "(dlmath grade or nbgrader autograde) before asking for its report.")
    if results.without_results:
        who = ", ".join(results.without_results)
        found.append(f"{_count(len(results.without_results), 'submission')} without any "
                     f"graded case (it failed to run, or is not graded yet), not in the "
                     f"numbers: {who}.")
    if results.absent and (results.submitted or results.rows):
        found.append(f"{_count(len(results.absent), 'student')} on the roster did not submit: "
                     f"{', '.join(results.absent)}.")
    return found


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def write_report(course_root: Path, assignment: str, out_dir: Path | None = None
                 ) -> tuple[Path, Path]:
    """Write `reports/<assignment>.html` and `.json` in the course; returns both paths."""
    course = open_course(course_root)
    report = build_report(course, assignment)
    folder = Path(out_dir) if out_dir else course.root / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    html, data = folder / f"{assignment}.html", folder / f"{assignment}.json"
    _write_whole(html, page.render(report))
    _write_whole(data, page.export_json(report))
    return html, data


def _write_whole(path: Path, text: str) -> None:
    """Replace `path` at once: an instructor reading the report while it is rewritten (or
    two runs at once) sees the old one or the new one, never half of either. A new report
    gets the mode write_text would give it (the umask's), a rewritten one keeps its own."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            os.chmod(partial, path.stat().st_mode & 0o777)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
