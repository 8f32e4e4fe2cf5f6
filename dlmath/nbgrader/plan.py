"""`dlmath grade`, planning: which collected submissions of an assignment to grade.

A submission is a Job, keyed by a digest of its files and of everything its grade depends
on besides (the assignment's sources and graders, the course's config). A Job whose digest
matches the marker its autograded folder holds, and which the gradebook still has, is
current: the next run skips it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

import dlmath
from dlmath.course import autograders_dir

MARKER = ".dlmath-graded.json"


@dataclass(frozen=True)
class Job:
    """One student's submission of one assignment."""

    student: str
    assignment: str
    submitted: Path
    digest: str

    @property
    def name(self) -> str:
        return f"{self.student}/{self.assignment}"


def load_config(course_root: Path) -> Config:
    """The course's nbgrader_config.py, with the course root made explicit."""
    config = Config()
    path = course_root / "nbgrader_config.py"
    if path.exists():
        config.merge(PyFileConfigLoader(path.name, path=str(course_root)).load_config())
    config.CourseDirectory.root = str(course_root)
    return config


def course_directory(config: Config) -> CourseDirectory:
    return CourseDirectory(config=config)


def find_jobs(coursedir: CourseDirectory, assignment: str, students: list[str] | None
              ) -> list[Job]:
    """Every collected submission of the assignment (or of the students named)."""
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    folders = sorted(p / assignment for p in submitted.iterdir() if (p / assignment).is_dir()) \
        if submitted.exists() else []
    if students:
        unknown = set(students) - {f.parent.name for f in folders}
        if unknown:
            raise ValueError(f"no submission of {assignment} from {sorted(unknown)}")
        folders = [f for f in folders if f.parent.name in students]
    shared = _shared_digest(coursedir, assignment)
    return [Job(f.parent.name, assignment, f, _digest(f, shared)) for f in folders]


def _shared_digest(coursedir: CourseDirectory, assignment: str) -> str:
    """What every submission's grade depends on besides itself: sources, graders, config."""
    h = hashlib.sha256(dlmath.__name__.encode())
    root = Path(coursedir.root)
    for folder in (root / coursedir.source_directory / assignment, autograders_dir() / assignment):
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.name.encode() + path.read_bytes())
    config = root / "nbgrader_config.py"
    h.update(config.read_bytes() if config.exists() else b"")
    return h.hexdigest()


def _digest(folder: Path, shared: str) -> str:
    h = hashlib.sha256(shared.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def is_current(coursedir: CourseDirectory, job: Job, gb: Gradebook) -> bool:
    """Graded before from exactly these inputs, and the gradebook still has it."""
    marker = autograded_folder(coursedir, job) / MARKER
    try:
        if json.loads(marker.read_text()).get("digest") != job.digest:
            return False
        gb.find_submission(job.assignment, job.student)
    except (OSError, ValueError, MissingEntry):
        return False
    return True


def autograded_folder(coursedir: CourseDirectory, job: Job) -> Path:
    return Path(coursedir.format_path(coursedir.autograded_directory, job.student,
                                      job.assignment))


def stage_files(coursedir: CourseDirectory, job: Job, target: Path) -> None:
    """The non-notebook files nbgrader puts beside the notebook: the student's, then the
    instructor's on top."""
    source = Path(coursedir.root) / coursedir.source_directory / job.assignment
    for folder in (job.submitted, source):
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file() and path.suffix != ".ipynb":
                dest = target / path.relative_to(folder)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, dest)
