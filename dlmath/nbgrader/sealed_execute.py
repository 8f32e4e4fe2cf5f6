"""SealedExecute: the nbgrader preprocessor that grades a submission without trusting it.

It takes the place of nbgrader's `Execute` in `Autograde.autograde_preprocessors`, so plain
`nbgrader autograde` and the formgrader's Autograde button grade sealed. The student's code
cells run in order in a confined worker and their outputs are recorded as a kernel would
record them. Each graded test cell is never run as code: its `dlmath.grade(...)` call is
read, the exercise is graded here (the trusted process) against the worker's `student`,
and this preprocessor writes the cell's feedback and score itself, so nothing the
student's code prints or patches can forge them. As in a kernel running the notebook from
top to bottom, a graded cell is graded once the cells above it have run, and before any
below it: it judges the definitions in force where it stands.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import weakref
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer

from dlmath.engine.report import first_message, render
from dlmath.engine.results import ExerciseResult
from dlmath.engine.runner import (
    failed_exercise,
    grade_exercise,
    load_grader,
    refresh_graders,
)
from dlmath.notebooks import NotebookError, graded_cell, is_graded_test, nbgrader
from dlmath.sealed import figures
from dlmath.sealed.figures import FigureTable
from dlmath.sealed.forkserver import fork_server
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.outputs import new_output
from dlmath.sealed.student import (
    Submission,
    open_submission,
    protections_summary,
    report_missing,
)

_DEFAULTS = SealedLimits()


def _limit_trait(name: str):
    default = getattr(_DEFAULTS, name)
    trait = Integer if isinstance(default, int) else Float
    return trait(default, help=f"SealedLimits.{name}").tag(config=True)


class SealedExecute(NbGraderPreprocessor):
    """Run student cells in a sealed worker; grade test cells in this process."""

    # Every SealedLimits field, settable as c.SealedExecute.<name> in nbgrader_config.py.
    call_seconds = _limit_trait("call_seconds")
    call_cpu_seconds = _limit_trait("call_cpu_seconds")
    cell_seconds = _limit_trait("cell_seconds")
    notebook_seconds = _limit_trait("notebook_seconds")
    notebook_cpu_seconds = _limit_trait("notebook_cpu_seconds")
    memory_bytes = _limit_trait("memory_bytes")
    processes = _limit_trait("processes")
    output_bytes = _limit_trait("output_bytes")
    file_bytes = _limit_trait("file_bytes")
    grace_seconds = _limit_trait("grace_seconds")
    grade_ahead = Bool(True, help="While nbgrader works through one notebook of its run, "
                       "a second process executes the next ones (dlmath/nbgrader/ahead.py)"
                       ).tag(config=True)

    _summarized = False  # once per run: every worker of it is confined alike

    def _summarize(self, protections) -> None:
        if not SealedExecute._summarized:
            SealedExecute._summarized = True
            self.log.info("\n".join(protections_summary(protections)))

    def limits(self) -> SealedLimits:
        return SealedLimits(**{f.name: getattr(self, f.name) for f in fields(SealedLimits)})

    def preprocess(self, nb, resources):
        if self.parent is not None and self.parent not in _RUNS_BEGUN:
            _RUNS_BEGUN.add(self.parent)  # a run's first notebook: its graders as they are
            refresh_graders()  # now, for the whole run (the formgrader's server lives on)
        computed = "torch" in sys.modules  # if not, torch has computed nothing here yet
        protected = course_paths(resources)
        server = fork_server(protected=protected, wait=False)
        executed = self._executed_ahead(nb, resources, protected, may_fork=not computed)
        self.log.debug("SealedExecute %s: %s", resources["nbgrader"]["notebook"],
                       "executed ahead" if executed else "executing now")
        if executed is not None:
            resources.setdefault("dlmath", {}).update(executed.dlmath)
            return nbformat.from_dict(executed.notebook), resources
        load_graders(nb)  # torch and the graders load here while the server starts there
        scratch = released_files(resources)
        table = figures.installed()  # `dlmath grade`'s batch: with the instructor's figures
        table = _DRAWN if table is None else table
        with open_submission(nb, scratch, self.limits(), server=server.ready(),
                             figure_table=table, staged=True) as submission:
            for line in report_missing(submission.protections):
                self.log.debug("missing protection: %s", line)
            self._summarize(submission.protections)
            resources.setdefault("dlmath", {})["protections"] = [
                p.to_list() for p in submission.protections]
            cases = resources["dlmath"]["cases"] = []  # written by record.py
            for index, cell in enumerate(nb.cells):
                if is_graded_test(cell):
                    submission.run_above(index)
                    result = grade_cell(cell, submission, f"cell {index}",
                                        submission.next_count())
                    cases += result.case_rows()
            submission.finish()
            submission.draw_figures()
            record_cells(nb, submission)
        _settle()
        return nb, resources

    def _executed_ahead(self, nb, resources, protected: list[str], may_fork: bool):
        """This notebook as the run's helper (or this process, while waiting) executed it
        from the same notebook; None: execute it now. The helper is forked at the run's
        first notebook, with the graders loaded, if `may_fork` (see ahead.for_run)."""
        if not self.grade_ahead or self.parent is None:  # a batch's own chain: no run
            return None
        from dlmath.nbgrader import ahead
        from dlmath.nbgrader.sanitize import run_snapshot

        limits = self.limits()  # the helper's are the same: it waits longer than they allow
        run = ahead.for_run(self, resources, run_snapshot(self, resources), may_fork,
                            protected, lambda: load_graders(nb),
                            patience=limits.notebook_seconds + 10 * limits.grace_seconds + 60)
        ids = resources["nbgrader"]
        return run.take((ids["student"], ids["assignment"], ids["notebook"]), nb) \
            if run is not None else None


# The runs (nbgrader's exporters, one per run) whose first notebook this process has seen.
_RUNS_BEGUN: weakref.WeakSet = weakref.WeakSet()

# The figures this process has drawn after grading, by snapshot: a student's figure the same
# to the last bit as one drawn before (most often the reference solution's, that is the
# instructor's) gets its PNG, as in `dlmath grade` (see figures.py).
_DRAWN = FigureTable()


def load_graders(nb) -> None:
    """Import the grader of every graded cell (once per process, torch with the first). One
    that cannot load is reported when its cell is graded."""
    for index, cell in enumerate(nb.cells):
        if is_graded_test(cell):
            with contextlib.suppress(Exception):
                load_grader(graded_cell(cell, f"cell {index}").exercise_id)


@functools.cache
def _settle() -> None:
    """Once the first notebook is graded, what the process has loaded (nbgrader, torch, the
    graders, their references) stays: the garbage collector, which would otherwise go
    through all of it again and again for every notebook, leaves it (as grading.py does)."""
    gc.freeze()


_HOST_PRIVATE: set[str] = set()  # paths of this host no worker may see (protect_on_host)


def protect_on_host(paths: list[str]) -> None:
    """Add paths of this host that no worker may see, whatever the course (a cluster
    worker's course bundle, its scratch space, its TLS key)."""
    _HOST_PRIVATE.update(str(Path(p).resolve()) for p in paths)


@contextlib.contextmanager
def protected_on_host(paths: list[str]) -> Iterator[None]:
    """protect_on_host while the block runs (a batch's private folder, gone after it)."""
    added = {str(Path(p).resolve()) for p in paths} - _HOST_PRIVATE
    _HOST_PRIVATE.update(added)
    try:
        yield
    finally:
        _HOST_PRIVATE.difference_update(added)


def course_paths(resources: dict) -> list[str]:
    """This course's private folders and gradebook: no worker may see them. nbgrader runs
    preprocessors from the course root."""
    root = Path.cwd()
    paths = [root / name for name in ("source", "submitted", "autograded", "feedback",
                                      "release", "gradebook.db", ".git")]
    paths += [Path(p) for p in _HOST_PRIVATE]
    db_url = resources.get("nbgrader", {}).get("db_url", "")
    if db_url.startswith("sqlite:///"):
        paths.append(Path(db_url.removeprefix("sqlite:///")).resolve())
    return sorted({str(p) for p in paths})


def released_files(resources: dict) -> list[Path]:
    """Files beside the notebook other than notebooks: data a submission may read."""
    folder = Path(resources.get("metadata", {}).get("path") or ".")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".ipynb"
                  and not p.name.startswith(".") and p.name != "timestamp.txt")


def record_cells(nb, submission: Submission) -> None:
    """Put each student cell's outputs where a kernel would."""
    for run in submission.cells:
        cell = nb.cells[run.index]
        cell.outputs = [nbformat.from_dict(o) for o in run.outputs]
        cell.execution_count = run.execution_count


def grade_cell(cell, submission: Submission, where: str, count: int) -> ExerciseResult:
    """Grade the exercise a graded cell names; write its feedback and score into it."""
    try:
        call = graded_cell(cell, where)
        result = grade_exercise(call.exercise_id, submission.student(), call.points)
    except NotebookError as exc:  # the course's cell, not the student's: zero, and why
        result = failed_exercise(nbgrader(cell).get("grade_id", where),
                                 _points(cell), str(exc))
    cell.execution_count = count
    # Written here, over whatever the submission held: the feedback's summary reads it.
    cell.metadata["dlmath"] = {"first_diagnosis": first_message(result)}
    cell.outputs = [
        new_output("stream", name="stdout", text=render(result) + "\n"),
        new_output("execute_result", data={"text/plain": repr(result.score)},
                   execution_count=count),
    ]
    return result


def _points(cell) -> float:
    try:
        return float(nbgrader(cell).get("points", 0))
    except (TypeError, ValueError):
        return 0.0
