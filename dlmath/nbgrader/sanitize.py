"""nbgrader's sanitize steps, without a gradebook per notebook; and ValidText, the step
before them, in both paths.

nbgrader's own OverwriteKernelspec and OverwriteCells open the gradebook for every notebook,
and its CheckCellMetadata checks every cell against a JSON schema it recompiles each time.
Here what those steps need of the gradebook is read once (`AssignmentSnapshot`): once per
batch by `dlmath grade`, handed to every grading process; once per run by `nbgrader
autograde` (nbgrader_config.py names the classes below), kept with the run's exporter.
nbgrader's own preprocessor code runs against it, so a notebook comes out exactly as
nbgrader would leave it.
"""

from __future__ import annotations

import functools
import json
import traceback
import weakref
from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import (
    CheckCellMetadata,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
)

from dlmath.text import valid_strings


class ValidText(NbGraderPreprocessor):
    """The submitted notebook with every string made valid text (dlmath/text.py). Its JSON
    can spell a lone surrogate as an escape, in a cell's source, its metadata or the
    notebook's; nbgrader would then fail to write the autograded notebook and remove it.
    The first sanitize step (nbgrader_config.py; grading.SANITIZE), so every later one, the
    sealed worker included, sees the text the autograded notebook will hold."""

    def preprocess(self, nb, resources):
        return valid_strings(nb), resources


@dataclass(frozen=True)
class SourceCell:
    """A locked or graded cell as the instructor wrote it (nbgrader's SourceCell)."""

    name: str
    cell_type: str
    locked: bool
    checksum: str | None
    source: str


@dataclass(frozen=True)
class GradedCell:
    """A grade or task cell."""

    name: str
    max_score: float


@dataclass(frozen=True)
class SolutionCell:
    name: str


@dataclass(frozen=True)
class SourceNotebook:
    """What the sanitize steps read of one notebook in the gradebook, in its order."""

    name: str
    kernelspec: str | None
    source_cells: list[SourceCell]
    grade_cells: list[GradedCell]
    solution_cells: list[SolutionCell]
    task_cells: list[GradedCell]


class AssignmentSnapshot:
    """The gradebook queries of OverwriteCells and OverwriteKernelspec, answered from memory.
    Plain data: read once per batch and handed to every helper process."""

    def __init__(self, assignment: str, notebooks: dict[str, SourceNotebook]):
        self.assignment, self.notebooks = assignment, notebooks

    @classmethod
    def load(cls, gb: Gradebook, assignment: str) -> AssignmentSnapshot:
        notebooks = {}
        for nb in gb.find_assignment(assignment).notebooks:
            notebooks[nb.name] = SourceNotebook(
                nb.name, nb.kernelspec,
                [SourceCell(c.name, c.cell_type, c.locked, c.checksum, c.source)
                 for c in nb.source_cells],
                [GradedCell(c.name, c.max_score) for c in nb.grade_cells],
                [SolutionCell(c.name) for c in nb.solution_cells],
                [GradedCell(c.name, c.max_score) for c in nb.task_cells])
        return cls(assignment, notebooks)

    def find_notebook(self, notebook: str, assignment: str) -> SourceNotebook:
        if assignment != self.assignment or notebook not in self.notebooks:
            raise MissingEntry(f"No such notebook: {assignment}/{notebook}")
        return self.notebooks[notebook]

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> SourceCell:
        found = [c for c in self.find_notebook(notebook, assignment).source_cells
                 if c.name == name]
        if not found:
            raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}")
        return found[0]

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> GradedCell:
        """A grade cell of that name, else a task cell, as nbgrader looks them up."""
        nb = self.find_notebook(notebook, assignment)
        found = [c for c in (*nb.grade_cells, *nb.task_cells) if c.name == name]
        if not found:
            raise MissingEntry(f"No such graded cell: {assignment}/{notebook}/{name}")
        return found[0]


_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # exporter -> snapshots


def run_snapshot(preprocessor, resources: dict) -> AssignmentSnapshot:
    """The snapshot of this notebook's assignment, read once per `nbgrader autograde` run.
    nbgrader makes one exporter per run, the parent of the run's preprocessors (made anew
    for every notebook), and the source cells do not change while it runs; the formgrader's
    next Autograde makes a new exporter, and so reads the gradebook again."""
    ids = resources["nbgrader"]
    key = (ids["db_url"], ids["assignment"])
    per_run = _RUNS.setdefault(preprocessor.parent, {}) if preprocessor.parent else {}
    if key not in per_run:
        with Gradebook(ids["db_url"]) as gb:
            per_run[key] = AssignmentSnapshot.load(gb, ids["assignment"])
    return per_run[key]


class SnapshotOverwriteKernelspec(OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec, reading the kernelspec from the snapshot (the
    batch's, else the run's)."""

    def __init__(self, snapshot: AssignmentSnapshot | None = None, **kwargs):
        super().__init__(**kwargs)
        self.snapshot = snapshot

    def preprocess(self, nb, resources):
        ids = resources["nbgrader"]
        snapshot = self.snapshot or run_snapshot(self, resources)
        kernelspec = snapshot.find_notebook(ids["notebook"], ids["assignment"]).kernelspec
        if kernelspec is not None:
            kernelspec = json.loads(kernelspec)  # a fresh dict for every notebook
        if kernelspec:
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources


class SnapshotOverwriteCells(OverwriteCells):
    """nbgrader's OverwriteCells (its own cell logic) with the snapshot (the batch's, else
    the run's) as its gradebook."""

    def __init__(self, snapshot: AssignmentSnapshot | None = None, **kwargs):
        super().__init__(**kwargs)
        self.snapshot = snapshot

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = self.snapshot or run_snapshot(self, resources)
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class _RememberingValidator(MetadataValidator):
    """nbgrader's metadata validator; a cell (type and nbgrader metadata) found valid once
    is not checked against the schema again. Invalid ones are checked, and fail, as ever."""

    def __init__(self) -> None:
        super().__init__()
        self.valid: set[str] = set()

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        key = json.dumps([cell.cell_type, cell.metadata["nbgrader"]], sort_keys=True)
        if key not in self.valid:
            super().validate_cell(cell)
            self.valid.add(key)


@functools.cache
def _validator() -> _RememberingValidator:
    return _RememberingValidator()


class RememberingCheckCellMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata with one validator, for the process, that remembers
    valid cells (the check runs twice per notebook, before and after grading)."""

    def preprocess(self, nb, resources):
        try:
            _validator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources


def batch_preprocessor(cls: type, snapshot: AssignmentSnapshot, **kwargs):
    """An instance of `cls`, or of its batch version when it has one."""
    if cls is OverwriteCells:
        return SnapshotOverwriteCells(snapshot, **kwargs)
    if cls is OverwriteKernelspec:
        return SnapshotOverwriteKernelspec(snapshot, **kwargs)
    if cls is CheckCellMetadata:
        return RememberingCheckCellMetadata(**kwargs)
    return cls(**kwargs)
