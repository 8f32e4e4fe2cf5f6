"""`dlmath grade --scheduler`: the instructor's side of grading on a Dask cluster.

This process makes the course bundle (references and figures computed once, here), hands
it to every worker through the scheduler, sends each submission as a task keyed by its
content, and stays the one writer of the gradebook: each result is written as it arrives,
exactly as `dlmath grade` writes a local one. Dask does the rest: placing tasks, moving
those of a worker that died to another, and giving up on a task that killed
`distributed.scheduler.allowed-failures` workers (a poison submission: recorded as failed).
A scheduler that goes away ends the run; every grade written so far stays, and the next run
grades only what is missing (plan.is_current). One run grades on a cluster at a time (a lock
of the scheduler's): a second one, of any course or assignment, waits for it.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from pathlib import Path

from distributed import Client, Lock, as_completed
from distributed.scheduler import KilledWorker

from dlmath.cluster.bundle import make_bundle
from dlmath.cluster.security import client_security
from dlmath.cluster.worker import PLUGIN, SealedGrading, Submission, grade_submission
from dlmath.nbgrader.batch import Batch, RunJobs
from dlmath.nbgrader.plan import Job
from dlmath.nbgrader.sanitize import AssignmentSnapshot

CONNECT_SECONDS = 20
CREDENTIALS = ".dlmath-cluster"  # in the course directory: `dlmath cluster` makes them
WORKERS_EVERY = 1.0  # seconds between asking the scheduler how many workers it has
RUN_LOCK = "dlmath-grading"  # held by the run grading on the cluster


class ClusterError(RuntimeError):
    pass


def submission_of(job: Job) -> Submission:
    files = {str(p.relative_to(job.submitted)): p.read_bytes()
             for p in sorted(job.submitted.rglob("*")) if p.is_file()}
    return Submission(job.student, job.assignment, job.digest, files)


def on_cluster(scheduler: str, credentials: Path) -> RunJobs:
    """The runner of `grade_assignment` that grades on the cluster at `scheduler`."""
    def run(batch: Batch, progress: Callable[[str, int, int], None] | None) -> None:
        grade_on_cluster(scheduler, credentials, batch, progress)
    return run


def grade_on_cluster(scheduler: str, credentials: Path, batch: Batch,
                     progress: Callable[[str, int, int], None] | None = None) -> None:
    """Grade the batch's jobs on the cluster at `scheduler`; record each result in this
    process as it arrives."""
    jobs = batch.jobs
    snapshot = AssignmentSnapshot.load(batch.gb, jobs[0].assignment)
    with tempfile.TemporaryDirectory(prefix="dlmath-bundle-") as tmp:
        references, figures = batch.prepare(Path(tmp))
        bundle = make_bundle(batch.coursedir, jobs[0].assignment, snapshot, references, figures)
    with _connect(scheduler, credentials) as client, \
            _the_cluster_to_this_run(client, progress, len(jobs)):
        _install(client, bundle)
        sent = {client.submit(grade_submission, submission_of(job), bundle.digest,
                              key=f"dlmath-grade-{job.digest[:32]}",  # one task group
                              pure=False): job for job in jobs}
        workers = _Workers(client)
        for done, future in enumerate(as_completed(sent, loop=client.loop), start=1):
            job = sent[future]
            batch.record(job, _outcome(future, job))
            if progress:
                count = workers.count(fresh=done == len(jobs))  # the last line: as it ends
                progress(f"{job.name} ({count} workers)", done, len(jobs))


@contextlib.contextmanager
def _the_cluster_to_this_run(client: Client, progress: Callable[[str, int, int], None] | None,
                             total: int) -> Iterator[None]:
    """One run grades on a cluster at a time: another run's bundle (another course, another
    assignment, graders changed since) would replace this one's on every worker. The lock
    is the scheduler's; a run that dies loses it when its lease lapses."""
    lock = Lock(RUN_LOCK, scheduler_rpc=client.scheduler, loop=client.loop)
    if not lock.acquire(blocking=False):
        if progress:
            progress("waiting for another run on this cluster to finish", 0, total)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


class _Workers:
    """How many workers the scheduler has, asked at most once a `WORKERS_EVERY`: a round
    trip to the scheduler for each result would slow recording a large class."""

    def __init__(self, client: Client):
        self.client, self.last, self.asked = client, 0, -math.inf

    def count(self, fresh: bool = False) -> int:
        if fresh or time.monotonic() - self.asked >= WORKERS_EVERY:
            self.last = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
            self.asked = time.monotonic()
        return self.last


def _outcome(future, job: Job):
    """The Graded, with this machine's Job (the worker's paths are not ours), or the
    exception that stands for it."""
    try:
        graded = future.result()
    except KilledWorker as exc:
        return ClusterError(f"it killed {_tries()} workers in turn (a poison submission?): "
                            f"{exc}")
    except CancelledError:
        return ClusterError("the cluster lost it (did its scheduler stop?): the next run "
                            "grades it")
    except Exception as exc:  # the scheduler went away, or the task failed
        return exc
    graded.job = job
    return graded


def _tries() -> int:
    import dask

    return int(dask.config.get("distributed.scheduler.allowed-failures")) + 1


def _connect(scheduler: str, credentials: Path) -> Client:
    try:
        return Client(scheduler, security=client_security(credentials),
                      timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"could not reach the scheduler at {scheduler} with the "
                           f"credentials in {credentials}: {exc}") from None


def _install(client: Client, bundle) -> None:
    """The bundle on every worker; a worker that cannot seal leaves the cluster."""
    client.register_plugin(SealedGrading(bundle), name=PLUGIN)
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)  # those left: they seal
    except TimeoutError:
        raise ClusterError("no worker of the cluster can grade sealed (their logs say "
                           "why)") from None
