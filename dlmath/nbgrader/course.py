"""A self-contained nbgrader course on disk: its own exchange, gradebook and Jupyter dirs.

The demo and the end-to-end tests drive the real nbgrader commands through this, in a
temporary directory, so nothing is written to the home directory or a shared exchange.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dlmath.course import REPO_ROOT, autograders_dir, source_dir

COURSE_ID = "dlmath"


class NbgraderFailed(RuntimeError):
    """An nbgrader command exited with an error; the message holds its last output lines."""


TAIL_LINES = 15  # of a failed command's output, in its NbgraderFailed


def checked(args: tuple[str, ...], done: subprocess.CompletedProcess
            ) -> subprocess.CompletedProcess:
    """`done`, the outcome of `nbgrader ARGS`, or NbgraderFailed with the last lines it
    printed."""
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-TAIL_LINES:])
        raise NbgraderFailed(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{tail}")
    return done


@dataclass
class Course:
    base: Path  # everything lives under here

    @property
    def root(self) -> Path:
        return self.base / "course"

    @property
    def exchange(self) -> Path:
        return self.base / "exchange"

    @property
    def home(self) -> Path:
        return self.base / "home"

    @classmethod
    def create(cls, base: Path, assignments: list[str], source: Path | None = None,
               config: Path | None = None) -> Course:
        """Copy the course's source notebooks and nbgrader config into a fresh course."""
        course = cls(Path(base))
        source = source or source_dir()
        for assignment in assignments:
            shutil.copytree(source / assignment, course.root / "source" / assignment)
        shutil.copy(config or REPO_ROOT / "nbgrader_config.py", course.root / "nbgrader_config.py")
        course.exchange.mkdir(parents=True)
        course.exchange.chmod(0o777)
        course._write_user_config()
        return course

    def _write_user_config(self) -> None:
        """Exchange and cache paths for every nbgrader command, student or instructor."""
        config = self.home / "jupyter" / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(self.exchange)!r}\n"
            f"c.Exchange.cache = {str(self.home / 'cache')!r}\n")

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        jupyter = self.home / "jupyter"
        env.update({
            "HOME": str(self.home),
            "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
            "JUPYTER_DATA_DIR": str(jupyter / "data"),
            "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
            "IPYTHONDIR": str(self.home / "ipython"),
            "MPLCONFIGDIR": str(self.home / "matplotlib"),
            "MPLBACKEND": "Agg",
            "JUPYTER_PLATFORM_DIRS": "1",
            "DLMATH_AUTOGRADERS": str(autograders_dir()),
            # nbgrader runs `alembic` from PATH: this interpreter's bin must come first.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONWARNINGS": "ignore",
        })
        return env

    def nbgrader(self, *args: str, cwd: Path | None = None, check: bool = True
                 ) -> subprocess.CompletedProcess:
        cwd = cwd or self.root
        cwd.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=self.env(),
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        return checked(args, done) if check else done

    def dlmath(self, *args: str) -> subprocess.CompletedProcess:
        """`dlmath ARGS` in the course directory, as an instructor runs it."""
        return subprocess.run([sys.executable, "-m", "dlmath.cli", *args], cwd=self.root,
                              env=self.env(), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)

    # --- the instructor's and the students' steps --------------------------------------

    def import_roster(self, roster: Path) -> None:
        """The class's names into the gradebook (`nbgrader db student import`), and every
        student nobody named shown by their id (dlmath/nbgrader/roster.py)."""
        from dlmath.nbgrader.roster import import_roster

        import_roster(roster, self.root, self.env())

    def generate(self, assignment: str) -> None:
        self.nbgrader("generate_assignment", assignment, "--force")

    def release(self, assignment: str) -> None:
        self.nbgrader("release_assignment", assignment, "--force")

    def student_dir(self, student: str) -> Path:
        return self.base / "students" / student

    def fetch(self, assignment: str, student: str) -> Path:
        """Fetch as `student`; return the folder holding their copy of the notebooks."""
        self.nbgrader("fetch_assignment", assignment, f"--course={COURSE_ID}",
                      cwd=self.student_dir(student))
        return self.student_dir(student) / assignment

    def submit(self, assignment: str, student: str) -> None:
        self.nbgrader("submit", assignment, f"--course={COURSE_ID}", f"--student={student}",
                      cwd=self.student_dir(student))

    def collect(self, assignment: str) -> None:
        self.nbgrader("collect", assignment)

    def autograde(self, assignment: str, *extra: str) -> subprocess.CompletedProcess:
        return self.nbgrader("autograde", assignment, "--force", *extra)

    def generate_feedback(self, assignment: str) -> None:
        self.nbgrader("generate_feedback", assignment, "--force")

    def export(self) -> Path:
        path = self.root / "grades.csv"
        self.nbgrader("export", f"--to={path}")
        return path

    # --- results -------------------------------------------------------------------------

    def autograded(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / "autograded" / student / assignment / notebook

    def feedback(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment

    def grades(self) -> list[dict[str, str]]:
        with open(self.root / "grades.csv", newline="") as f:
            return list(csv.DictReader(f))

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    def cell_scores(self, student: str, assignment: str, notebook: str) -> dict[str, float]:
        """grade cell id -> score, read from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.gradebook}") as gb:
            nb = gb.find_submission_notebook(notebook.removesuffix(".ipynb"), assignment, student)
            return {g.name: g.score for g in nb.grades}

    def cell_maxima(self, assignment: str, notebook: str) -> dict[str, float]:
        """grade cell id -> points, from the gradebook's copy of the source notebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.gradebook}") as gb:
            nb = gb.find_notebook(notebook.removesuffix(".ipynb"), assignment)
            return {cell.name: cell.max_score for cell in nb.grade_cells}
