"""What runs in a Dask worker: the course bundle's plugin and the task that grades one
submission in the same sealed worker as `dlmath grade` on one machine.

The plugin first proves this host can seal (one empty notebook run sealed, every
protection active); a worker on a host that cannot says why in its log and leaves the
cluster with its nanny, failing with that reason any task it was sent meanwhile: it never
grades unsealed. It unpacks the bundle into a private folder and has every sealed worker's
fork server cover that folder, the worker's scratch space and its TLS files.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from dlmath.cluster.bundle import CourseBundle

log = logging.getLogger("dlmath.cluster")
PLUGIN = "dlmath-course"


class CannotSeal(RuntimeError):
    pass


@dataclass(frozen=True)
class Submission:
    """One student's submission as it travels to a worker: its files, by name."""

    student: str
    assignment: str
    digest: str  # plan.Job.digest: the submission's content with the course's
    files: dict[str, bytes]


class SealedGrading(WorkerPlugin):
    """Installs a course bundle on each worker that can seal (see the module docstring)."""

    def __init__(self, bundle: CourseBundle):
        self.bundle = bundle

    async def setup(self, worker) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._install, worker)
        except CannotSeal as exc:
            log.error("dlmath: this worker refuses to grade and leaves the cluster: %s", exc)
            with _lock:
                _state.update(refused=str(exc))  # a task sent meanwhile fails, saying why
                _installed.set()
            await worker.close(nanny=True, reason=f"dlmath: {exc}")  # its nanny too: for good
            raise

    def _install(self, worker) -> None:
        from dlmath.nbgrader.sealed_execute import protect_on_host

        private = [worker.local_directory, *_tls_files(worker)]
        protect_on_host(private)
        seal_check()
        folder = Path(worker.local_directory) / "dlmath-course"
        with _grading:  # a task of the last bundle (its run killed, say) finishes first
            course = self.bundle.unpack(folder)
            with _lock:
                _state.update(digest=self.bundle.digest, folder=folder, course=course,
                              started=False, bundle=self.bundle)
                _installed.set()


_state: dict = {}
_lock = threading.Lock()
_installed = threading.Event()  # set once the plugin has installed a bundle, or refused
# Held while a task grades and while a bundle is installed: a new bundle (another run on
# this cluster) never replaces the folder, graders or fork server under a task grading.
_grading = threading.Lock()
INSTALL_SECONDS = 120


def seal_check() -> None:
    """Run an empty notebook sealed; every protection this host reports must be active."""
    import nbformat

    from dlmath.nbgrader.sealed_execute import course_paths
    from dlmath.sealed.forkserver import ForkServer
    from dlmath.sealed.limits import SealedLimits
    from dlmath.sealed.student import open_submission

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    # A server of its own: a task may be using this process's (fork_server()), which asking
    # it for other paths would replace.
    server = ForkServer(protected=course_paths({}))
    try:
        with open_submission(nb, [], SealedLimits(), server=server) as submission:
            missing = [f"{p.name}: {p.detail}" for p in submission.protections
                       if not p.active]
    finally:
        server.close()
    if missing:
        raise CannotSeal("this host cannot seal a student's code (" + "; ".join(missing)
                         + "); it grades nothing")


def _tls_files(worker) -> list[str]:
    security = getattr(worker, "security", None)
    names = ("tls_ca_file", "tls_worker_key", "tls_worker_cert")
    return [str(Path(v).parent) for v in (getattr(security, n, None) for n in names)
            if isinstance(v, str) and v and "\n" not in v and Path(v).exists()]


def grade_submission(submission: Submission, bundle_digest: str):
    """The task: grade one submission here, sealed; return the Graded of nbgrader/record.py
    (notebooks as text, grades, cases), which the instructor's process alone writes."""
    from dlmath.nbgrader import grading
    from dlmath.nbgrader.plan import Job

    _installed.wait(INSTALL_SECONDS)  # a worker the nanny restarted may still be installing
    with _grading:
        course = _ready_for(bundle_digest)
        folder = Path(tempfile.mkdtemp(prefix="submitted-", dir=course.parent))
        try:
            for name, content in submission.files.items():
                path = folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            job = Job(submission.student, submission.assignment, folder, submission.digest)
            return grading.grade_job(job)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _ready_for(digest: str) -> Path:
    """The course root of the installed bundle, its graders loaded once per process (and
    those of a bundle installed before it forgotten)."""
    from dlmath.engine.runner import forget_graders
    from dlmath.nbgrader import grading
    from dlmath.nbgrader.plan import load_config

    with _lock:
        if "refused" in _state:
            raise CannotSeal(f"worker {get_worker().address}: {_state['refused']}")
        if _state.get("digest") != digest:
            raise CannotSeal(f"worker {get_worker().address} has no course bundle "
                             f"{digest[:12]} (it could not install it: see its log)")
        if not _state["started"]:
            course, folder = _state["course"], _state["folder"]
            os.environ["DLMATH_AUTOGRADERS"] = str(folder / "autograders")
            config = load_config(course)
            forget_graders()
            grading.start_worker(config, str(folder / "references"),  # figures beside it
                                 _state["bundle"].snapshot)
            _state["started"] = True
        return _state["course"]
