"""`dlmath demo`: a simulated class goes through the real nbgrader workflow.

In a temporary course with its own exchange and SQLite gradebook, every released
assignment is generated, released, fetched by each student, answered, submitted,
collected, autograded, turned into feedback and exported, with the real nbgrader commands.
They run in this process, each by nbgrader's own application (dlmath/nbgrader/inprocess.py):
a process a command would cost a second each, over a hundred times, and warm the sealed
grader afresh for every assignment. The students' answers come from the reference solutions
and the assignments' corpora (`autograders/<assignment>/corpus.py`, loaded through
`dlmath.course`); their names and emails from the class roster beside this file
(`roster.csv`), which the course imports first with `nbgrader db student import`.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dlmath.course import Solution, corpus, release_dir, source_dir
from dlmath.nbgrader.course import Course
from dlmath.nbgrader.inprocess import InProcessCourse, environment
from dlmath.nbgrader.roster import names
from dlmath.notebooks import fill_solutions, is_graded_test, nbgrader, read, reference_solutions

Answers = dict[str, str]  # solution cell grade id -> code
DEMO_ROSTER = Path(__file__).with_name("roster.csv")  # the simulated class's names


@dataclass(frozen=True)
class SimStudent:
    id: str
    story: str  # what this student did, for the table
    answer: Callable[[str, str], Answers | None]  # (assignment, notebook) -> answers; None: blank


def solution_cell(function: str) -> str:
    """The grade id of the solution cell that defines `function` (or answers `quiz.qN`)."""
    return f"{function.partition('.')[2]}_answer" if function.startswith("quiz.") \
        else f"{function}_solution"


def reference(assignment: str, notebook: str) -> Answers:
    return reference_solutions(read(source_dir() / assignment / notebook))


def _with_corpus(pick: Callable[[int, list[Solution]], Solution | None]
                 ) -> Callable[[str, str], Answers]:
    """Reference answers with some functions replaced by corpus solutions chosen by `pick`."""
    def answer(assignment: str, notebook: str) -> Answers:
        answers = reference(assignment, notebook)
        functions = sorted({s.function for s in corpus(assignment, notebook)})
        for index, function in enumerate(functions):
            chosen = pick(index, [s for s in corpus(assignment, notebook)
                                  if s.function == function])
            if chosen is not None and solution_cell(function) in answers:
                answers[solution_cell(function)] = chosen.source
        return answers
    return answer


def _nth(items: list[Solution], n: int) -> Solution | None:
    return items[n % len(items)] if items else None


def _mistakes(parity: int, n: int) -> Callable[[str, str], Answers]:
    return _with_corpus(lambda i, sols: _nth([s for s in sols if s.mistake], n)
                        if i % 2 == parity else None)


def _alternatives() -> Callable[[str, str], Answers]:
    return _with_corpus(lambda i, sols: _nth([s for s in sols if s.correct], i))


def _first_function_changed(change: Callable[[str], str]) -> Callable[[str, str], Answers]:
    def answer(assignment: str, notebook: str) -> Answers:
        answers = reference(assignment, notebook)
        first = next((k for k in answers if k.endswith("_solution")), None)
        if first:
            answers[first] = change(answers[first])
        return answers
    return answer


def _syntax_error(code: str) -> str:
    return code.replace("):", ")", 1)  # a missing colon after the signature


def _infinite_loop(code: str) -> str:
    lines = code.splitlines()
    body = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return "\n".join(lines[: body + 1] + ["    while True:", "        pass"] + lines[body + 1:])


def _warns(code: str) -> str:
    lines = code.splitlines()
    body = next(i for i, line in enumerate(lines) if line.startswith("def "))
    noisy = "    np.log(np.zeros(1))  # a RuntimeWarning on every call, harmless to the result"
    return "\n".join(lines[: body + 1] + [noisy] + lines[body + 1:])


FORGER = """
# Forge the grade: neuter the hidden test cells, fake the output, silence numpy's checks.
try:
    get_ipython().input_transformers_post.append(
        lambda lines: ["1e9\\n"] if any("dlmath" in line for line in lines) else lines)
except NameError:
    pass
import numpy.testing
numpy.testing.assert_allclose = lambda *args, **kwargs: None
print("All tests passed! Score: 100/100")
"""

THIEF = """
# Read the answer key and the gradebook, then delete them.
import glob, os
import dlmath
repo = os.path.dirname(os.path.dirname(dlmath.__file__))
for path in [repo + "/autograders/01_linear_algebra/test_quiz.py", repo + "/gradebook.db",
             *glob.glob("/tmp/*/*/gradebook.db")]:
    try:
        print(open(path, "rb").read(80))
        os.remove(path)
    except OSError as err:
        print("blocked:", type(err).__name__)
"""


def _hostile(payload: str) -> Callable[[str, str], Answers]:
    """The payload in the first solution cell, whose function just returns None."""
    def change(code: str) -> str:
        signature = next(line for line in code.splitlines() if line.startswith("def "))
        return payload.strip() + "\n\n" + signature + "\n    return None\n"
    return _first_function_changed(change)


CLASS = (
    SimStudent("ada", "the reference solution", reference),
    SimStudent("ben", "alternative correct solutions", _alternatives()),
    SimStudent("cleo", "realistic mistakes in half the functions", _mistakes(0, 0)),
    SimStudent("dev", "other mistakes in the other half", _mistakes(1, 1)),
    SimStudent("eve", "submitted the blank notebooks", lambda a, n: None),
    SimStudent("finn", "a syntax error in the first function",
               _first_function_changed(_syntax_error)),
    SimStudent("gus", "an infinite loop in the first function",
               _first_function_changed(_infinite_loop)),
    SimStudent("hana", "correct, but the first function raises a RuntimeWarning",
               _first_function_changed(_warns)),
    SimStudent("mallory", "hostile: tries to forge her grade (an input transformer, a fake "
               "score, a patched numpy)", _hostile(FORGER)),
    SimStudent("oscar", "hostile: reads the answer key and deletes the gradebook",
               _hostile(THIEF)),
)


def released_assignments() -> list[str]:
    return sorted(p.name for p in release_dir().iterdir() if p.is_dir())


def notebooks_of(assignment: str) -> list[str]:
    return sorted(p.name for p in (source_dir() / assignment).glob("*.ipynb"))


def answer_notebooks(folder: Path, assignment: str, student: SimStudent) -> None:
    for name in notebooks_of(assignment):
        answers = student.answer(assignment, name)
        if answers is None:
            continue
        nb = read(folder / name)
        nbformat.write(fill_solutions(nb, answers), str(folder / name))


def run_demo(workdir: Path | None = None, assignments: list[str] | None = None,
             students: tuple[SimStudent, ...] = CLASS, console: Console | None = None,
             roster: Path | None = DEMO_ROSTER) -> Course:
    """Run the whole workflow; return the course (its feedback and grades stay on disk)."""
    console = console or Console()
    assignments = assignments or released_assignments()
    base = Path(workdir or tempfile.mkdtemp(prefix="dlmath-demo-"))
    course = InProcessCourse.create(base, assignments)
    with open(course.root / "nbgrader_config.py", "a") as config:
        # Demo-only limits, so that the looping student costs half a minute, not minutes (the
        # course's own: 30 s a cell, 5 s a call). His loop stops a call in each exercise that
        # reaches it, and each public check cell that does, in every worker started after.
        # The class's honest cells take at most 0.3 s (their figures are drawn after
        # grading), their calls milliseconds.
        config.write("\nc.SealedExecute.cell_seconds = 1\nc.SealedExecute.call_seconds = 0.5\n")
    with environment(course.env()):  # the course's HOME and Jupyter dirs, for this process too
        _run_class(course, assignments, students, console, roster)
    return course


def _run_class(course: Course, assignments: list[str], students: tuple[SimStudent, ...],
               console: Console, roster: Path | None) -> None:
    # Imported here, in the course's environment: matplotlib writes its caches where that
    # says the first time it loads.
    from dlmath.report import write_report

    started = time.perf_counter()
    steps: list[tuple[str, list, Callable]] = [
        ("import the roster", [roster] if roster else [], course.import_roster),
        ("generate and release", assignments, lambda a: (course.generate(a),
                                                         course.release(a))),
        ("fetch, answer, submit", [(a, s) for a in assignments for s in students],
         lambda job: _student_works(course, *job)),
        ("collect", assignments, course.collect),
        ("autograde (sealed)", assignments, course.autograde),
        ("feedback", assignments, course.generate_feedback),
        ("class reports", assignments, lambda a: write_report(course.root, a))]
    _run_steps(steps, console)
    grades = course.export()
    for assignment in assignments:
        console.print(summary_table(course, assignment, students))
        console.print(f"  class report: {course.root / 'reports' / assignment}.html\n",
                      soft_wrap=True, highlight=False)
    console.print(f"Demo finished in {time.perf_counter() - started:.0f} s.")
    console.print(f"Feedback HTML: {course.root / 'feedback'}/<student>/<assignment>/",
                  soft_wrap=True, highlight=False)
    console.print(f"Grades CSV:    {grades}", soft_wrap=True, highlight=False)


def _run_steps(steps: list[tuple[str, list, Callable]], console: Console) -> None:
    """Each step's jobs, with a progress bar on a terminal and a line a step elsewhere (a
    pipe or a log shows each step as it ends, not nothing until the end). One job at a time,
    in this thread: an nbgrader command takes the process's working directory and
    environment, and the gradebook one writer."""
    with _progress(console) if console.is_terminal else contextlib.nullcontext() as progress:
        for title, jobs, run in steps:
            began = time.perf_counter()
            task = progress.add_task(title, total=len(jobs)) if progress else None
            for job in jobs:
                run(job)
                if progress:
                    progress.advance(task)
            if not progress:
                console.print(f"{title}: {len(jobs)} done in {time.perf_counter() - began:.0f} s",
                              highlight=False)


def _student_works(course: Course, assignment: str, student: SimStudent) -> None:
    folder = course.fetch(assignment, student.id)
    answer_notebooks(folder, assignment, student)
    course.submit(assignment, student.id)


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


def exercise_columns(assignment: str) -> list[tuple[str, str, str]]:
    """(notebook, grade id, exercise) for every graded cell; quiz questions share one."""
    columns = []
    for name in notebooks_of(assignment):
        for cell in read(source_dir() / assignment / name).cells:
            if is_graded_test(cell):
                grade_id = nbgrader(cell)["grade_id"]
                title = "quiz" if name == "quiz.ipynb" else grade_id.removesuffix("_tests")
                columns.append((name, grade_id, title))
    return columns


def summary_table(course: Course, assignment: str, students: tuple[SimStudent, ...]) -> Table:
    """One line a student (name, points, what they did and the first problem found) and the
    exercises the class found hardest: narrow enough for 80 columns; the class report has
    every exercise."""
    columns = exercise_columns(assignment)
    titles = list(dict.fromkeys(title for _, _, title in columns))
    table = Table(title=f"{assignment}", title_justify="left", caption_justify="left",
                  expand=False)
    table.add_column("student", max_width=26, overflow="fold")
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("what they did: first problem found", overflow="fold", min_width=24)
    named = names(course.root)
    shares: dict[str, list[float]] = {t: [] for t in titles}
    for student in students:
        earned, maxima = _scores(course, assignment, student.id, columns)
        for title in titles:
            if maxima.get(title):
                shares[title].append((earned.get(title) or 0.0) / maxima[title])
        total = sum(v for v in earned.values() if v is not None)
        name = named.get(student.id)
        table.add_row(f"{name} ({student.id})" if name else student.id,
                      _cell(total, sum(maxima.values())) + f"/{sum(maxima.values()):g}",
                      student.story + _reason(course, assignment, student))
    hardest = sorted((sum(v) / len(v), t) for t, v in shares.items() if v)[:3]
    table.caption = "hardest: " + ", ".join(f"{t} {share:.0%}" for share, t in hardest)
    return table


def _scores(course: Course, assignment: str, student: str, columns):
    earned: dict[str, float | None] = {}
    maxima: dict[str, float] = {}
    for name in notebooks_of(assignment):
        try:
            cells = course.cell_scores(student, assignment, name)
        except Exception:  # no submission graded: shown as a dash
            cells = {}
        points = course.cell_maxima(assignment, name)
        for notebook, grade_id, title in columns:
            if notebook == name:
                maxima[title] = maxima.get(title, 0.0) + points.get(grade_id, 0.0)
                if grade_id in cells:
                    earned[title] = round((earned.get(title) or 0.0) + (cells[grade_id] or 0), 2)
    return earned, maxima


def _cell(earned: float | None, maximum: float) -> str:
    if earned is None:
        return "-"
    text = f"{earned:.2f}".rstrip("0").rstrip(".")
    colour = "green" if earned >= maximum else "red" if earned == 0 else "yellow"
    return f"[{colour}]{text}[/]"


def _reason(course: Course, assignment: str, student: SimStudent) -> str:
    """The first problem the grader reported for this student in this assignment."""
    for name in notebooks_of(assignment):
        path = course.autograded(student.id, assignment, name)
        if path.exists():
            reason = first_problem(read(path))
            if reason:
                return f": {reason}"
    return ""


def first_problem(nb) -> str:
    """The first failed check in the grader's feedback, else an error in a student cell."""
    text = " ".join((_first_error(nb, "SyntaxError") or _first_failed_check(nb)
                     or _first_error(nb)).split())
    return text if len(text) <= 100 else text[:99] + "…"


def _first_error(nb, ename: str | None = None) -> str:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and not is_graded_test(cell) and (
                    ename is None or output.get("ename") == ename):
                return f"{output.get('ename')}: {output.get('evalue', '')}"
    return ""


def _first_failed_check(nb) -> str:
    for cell in nb.cells:
        if is_graded_test(cell):
            for output in cell.get("outputs", []):
                lines = output.get("text", "").splitlines()
                for line, after in zip(lines, [*lines[1:], ""], strict=False):
                    if line.startswith("  ✘"):
                        return after.strip() if after.startswith("      ") else line[4:]
    return ""
