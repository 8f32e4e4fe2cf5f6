"""The course bundle: all a cluster worker needs to grade one assignment, and nothing more.

Made on the instructor's machine, sent to every worker through the scheduler (a worker
plugin, over the cluster's TLS), checked by its digest, and unpacked into a private folder
of the worker that its sealed workers can never see: the assignment's graders and its
course secret (`autograders/`), the instructor's non-notebook files of the assignment, the
course's nbgrader config, the gradebook's snapshot of the locked cells, and the
references and figures computed once here. No submission and no gradebook is in it.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.coursedir import CourseDirectory

from dlmath.course import SECRET_SEED, autograders_dir
from dlmath.nbgrader.sanitize import AssignmentSnapshot

COURSE = "course"  # the worker's course root, inside the unpacked bundle


@dataclass(frozen=True)
class CourseBundle:
    assignment: str
    config: str  # the course's nbgrader_config.py
    files: dict[str, bytes]  # path in the unpacked bundle -> content
    snapshot: AssignmentSnapshot
    references: bytes  # engine/references.py dump_cache
    figures: bytes  # sealed/figures.py FigureTable.dump
    digest: str = field(default="", compare=False)

    def sealed(self) -> CourseBundle:
        """The same bundle with its digest: what a worker checks before it grades."""
        h = hashlib.sha256(self.assignment.encode() + b"\0" + self.config.encode())
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        h.update(hashlib.sha256(self.references).digest() + hashlib.sha256(self.figures)
                 .digest())
        return CourseBundle(self.assignment, self.config, self.files, self.snapshot,
                            self.references, self.figures, h.hexdigest())

    def unpack(self, folder: Path) -> Path:
        """Write the bundle into `folder` (made private to this user); return the course
        root of the worker. A digest that does not match refuses the bundle."""
        if self.sealed().digest != self.digest:
            raise ValueError("the course bundle does not match its digest: refused")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(mode=0o700, parents=True)
        for name, content in self.files.items():
            path = folder / name
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.write_bytes(content)
        (folder / "references").write_bytes(self.references)
        (folder / "figures").write_bytes(self.figures)
        (folder / COURSE).mkdir(mode=0o700, exist_ok=True)
        (folder / COURSE / "nbgrader_config.py").write_text(self.config)
        return folder / COURSE


def make_bundle(coursedir: CourseDirectory, assignment: str, snapshot: AssignmentSnapshot,
                references: Path, figures: Path) -> CourseBundle:
    root = Path(coursedir.root)
    files = {f"autograders/{assignment}/{path.relative_to(autograders_dir() / assignment)}":
             path.read_bytes() for path in _files(autograders_dir() / assignment)}
    secret = autograders_dir() / SECRET_SEED
    if secret.exists():
        files[f"autograders/{SECRET_SEED}"] = secret.read_bytes()
    source = root / coursedir.source_directory / assignment
    for path in _files(source):
        if path.suffix != ".ipynb":  # data the notebooks read, staged beside each submission
            files[f"{COURSE}/source/{assignment}/{path.relative_to(source)}"] = path.read_bytes()
    config = root / "nbgrader_config.py"
    return CourseBundle(assignment, config.read_text() if config.exists() else "", files,
                        snapshot, references.read_bytes(), figures.read_bytes()).sealed()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
        if folder.exists() else []
