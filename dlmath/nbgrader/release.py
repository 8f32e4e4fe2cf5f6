"""`release/`: the student notebooks, generated from `source/` and checked for leaks.

They are made by the real `nbgrader generate_assignment` in a throwaway course (so no
gradebook lands in the repository), then copied into `release/`. `check_current` tells
whether the committed copy is stale; `find_leaks` proves it gives nothing away.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dlmath.course import assignments as all_assignments
from dlmath.course import release_dir, source_dir
from dlmath.nbgrader.course import Course
from dlmath.notebooks import is_graded_test, nbgrader, read

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
FORBIDDEN_TEXT = ("autograders", "dlmath.grade", "import dlmath")
MIN_SECRET_LINE = 12  # shorter solution lines ("return C") are too common to call a leak


@dataclass(frozen=True)
class Leak:
    notebook: str
    cell: int
    what: str

    def __str__(self) -> str:
        return f"{self.notebook}, cell {self.cell}: {self.what}"


def generate(out: Path, assignments: list[str] | None = None) -> list[Path]:
    """Generate the student version of every assignment into `out/<assignment>/`."""
    assignments = assignments or all_assignments()
    written = []
    with tempfile.TemporaryDirectory(prefix="dlmath-release-") as tmp:
        course = Course.create(Path(tmp), assignments)
        for assignment in assignments:
            course.generate(assignment)
            target = out / assignment
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(course.root / "release" / assignment, target)
            written += sorted(target.rglob("*.ipynb"))
    return written


def stale_files(committed: Path, fresh: Path) -> list[str]:
    """Paths that differ between two release trees (missing, extra or changed)."""
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} \
            if root.exists() else set()

    a, b = files(committed), files(fresh)
    changed = [p for p in a & b if not filecmp.cmp(committed / p, fresh / p, shallow=False)]
    return sorted((a ^ b) | set(changed))


def check_current() -> list[str]:
    """Regenerate into a temporary folder and list what differs from `release/`."""
    with tempfile.TemporaryDirectory(prefix="dlmath-fresh-") as tmp:
        generate(Path(tmp))
        return stale_files(release_dir(), Path(tmp))


def secrets(source: Path) -> tuple[set[str], set[str]]:
    """(solution lines, hidden test lines) of a source notebook worth looking for."""
    solution, hidden = set(), set()
    for cell in read(source).cells:
        region = None
        for line in cell.source.splitlines():
            stripped = line.strip()
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                region = solution if "SOLUTION" in line else hidden
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                region = None
            elif region is not None and len(stripped) >= MIN_SECRET_LINE:
                region.add(stripped)
    return solution, hidden


def find_leaks(release: Path | None = None, source: Path | None = None) -> list[Leak]:
    """Everything in `release/` that a student must not see."""
    release, source = release or release_dir(), source or source_dir()
    leaks = []
    for path in sorted(release.rglob("*.ipynb")):
        name = str(path.relative_to(release))
        origin = source / path.relative_to(release)
        solution, hidden = secrets(origin) if origin.exists() else (set(), set())
        public = _public_lines(origin) if origin.exists() else set()
        for index, cell in enumerate(read(path).cells):
            leaks += [Leak(name, index, w) for w in _cell_leaks(cell, solution | hidden, public)]
    return leaks


def _public_lines(source: Path) -> set[str]:
    """Lines the instructor shows students anyway (public checks, markdown, stubs)."""
    lines = set()
    for cell in read(source).cells:
        if not nbgrader(cell).get("solution") and not is_graded_test(cell):
            lines |= {line.strip() for line in cell.source.splitlines()}
    return lines


def _cell_leaks(cell, secret_lines: set[str], public: set[str]) -> list[str]:
    found = [f"contains the marker {m!r}" for m in MARKERS if m in cell.source]
    found += [f"mentions {t!r}" for t in FORBIDDEN_TEXT if t in cell.source]
    found += [f"contains the secret line {line!r}" for line in sorted(secret_lines - public)
              if line in cell.source]
    if cell.cell_type == "code" and cell.get("outputs"):
        found.append("has outputs (they may show solutions)")
    return found
