"""A course whose nbgrader commands run in this process: nbgrader's fast path.

`Course.nbgrader` starts a Python for every command, about a second before nbgrader does
anything: a class of ten fetching and submitting five assignments pays it a hundred times,
and each `autograde` warms the sealed grader (torch, the fork server) afresh. Here each
command is nbgrader's own application, `NbGraderApp`, given the same arguments, initialized
afresh (its configuration loaded from the Jupyter config dir, the working directory and the
course root, as the command loads it) and reset afterwards, as nbgrader's own tests run it
(nbgrader.tests.run_nbgrader).

For the command's duration the process takes what the subprocess would have: the course's
environment (`Course.env`: nothing lands in the home directory, and warnings are ignored)
and the working directory (SealedExecute finds the course root there); nbgrader's log goes
to a buffer, whose last lines a failure reports. These belong to the whole process, so
commands run one at a time, from one thread; a SQLite gradebook takes one writer at a time
anyway. nbgrader puts each working directory on the module search path, as the command
does; they stay there, as in nbgrader's own tests: a course or a student's folder holds
nothing this process imports.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import locale
import os
import subprocess
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

from dlmath.nbgrader.course import Course, checked
from dlmath.nbgrader.roster import import_roster


class InProcessCourse(Course):
    """A Course whose nbgrader commands run in this process, with the same arguments."""

    def nbgrader(self, *args: str, cwd: Path | None = None, check: bool = True
                 ) -> subprocess.CompletedProcess:
        cwd = cwd or self.root
        cwd.mkdir(parents=True, exist_ok=True)
        code, log = run_nbgrader(list(args), cwd, self.env())
        done = subprocess.CompletedProcess(["nbgrader", *args], code, "", log)
        return checked(args, done) if check else done

    def import_roster(self, roster: Path) -> None:
        """roster.import_roster, with its `nbgrader db student import` run here."""
        if not _reads_utf8():
            return super().import_roster(roster)  # only a subprocess can be told PYTHONUTF8
        import_roster(roster, self.root, run=self.nbgrader)


def _reads_utf8() -> bool:
    """Whether open() without an encoding reads UTF-8 here, as nbgrader opens a roster."""
    return codecs.lookup(locale.getpreferredencoding(False)).name == "utf-8"


def run_nbgrader(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """`nbgrader ARGS` in `cwd` with the environment `env`, in this process: its exit code
    and its log (what the command writes to stderr)."""
    from jupyter_core.application import NoStart
    from nbgrader.apps.nbgraderapp import NbGraderApp

    log = io.StringIO()
    with _command(cwd, env, log):
        app = NbGraderApp.instance()
        try:
            app.initialize(args)
            app.start()
            code = 0
        except NoStart:  # a subcommand ran and says so: as JupyterApp.launch_instance
            code = 0
        except SystemExit as done:  # app.fail, app.exit, a config error: as the command exits
            code = _exit_code(done, log)
        except Exception:  # a crash ends the log with its traceback, as it ends a command's
            traceback.print_exc(file=log)
            code = 1
        finally:
            app.reset()  # the next command gets a fresh app and configuration
    return code, log.getvalue()


def _exit_code(done: SystemExit, log: io.StringIO) -> int:
    if isinstance(done.code, str):  # sys.exit("message") prints it, and exits with 1
        print(done.code, file=log)
        return 1
    return done.code or 0


@contextlib.contextmanager
def _command(cwd: Path, env: dict[str, str], log: io.StringIO) -> Iterator[None]:
    """What a command's own process would have: its environment and working directory, no
    warnings, stderr (nbgrader's log) to `log`."""
    with environment(env), contextlib.chdir(cwd), warnings.catch_warnings(), \
            contextlib.redirect_stderr(log):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """os.environ is `env` for the duration (for this process and what it starts)."""
    before = dict(os.environ)
    _replace_environ(env)
    try:
        yield
    finally:
        _replace_environ(before)


def _replace_environ(env: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(env)

