"""Benchmark the cluster path (issue 22): one synthetic class graded through a real Dask
cluster on this machine (`dlmath cluster`), first with one worker process, then with two,
and the overhead a submission pays for going through the scheduler.

    .venv/bin/python scripts/benchmark_cluster.py --students 40 --assignment 04_probability

Prints, per cluster, the wall time of the grading (after the course bundle is made and the
workers have it), notebooks per second and the ratio two workers : one; and the round trip
of a task that carries a real submission to a worker and back without grading it (the
scheduler's cost per submission). Every score is checked equal to the first run's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from dlmath.cluster.client import on_cluster, submission_of
from dlmath.cluster.local import launch_cluster
from dlmath.cluster.security import client_security
from dlmath.nbgrader.batch import grade_assignment
from dlmath.nbgrader.course import Course
from dlmath.nbgrader.plan import course_directory, find_jobs, load_config
from dlmath.sim.synthetic import build_class


def start_cluster(workers: int, folder: Path) -> tuple[subprocess.Popen, str, Path]:
    credentials = folder / f"credentials-{workers}"
    try:
        process, address = launch_cluster(workers, folder, credentials,
                                          folder / f"cluster-{workers}.log")
    except RuntimeError as exc:  # its log says why
        raise SystemExit(str(exc)) from None
    return process, address, credentials


def noop(submission) -> int:
    return len(submission.files)


def round_trips(address: str, credentials: Path, course: Course, assignment: str
                ) -> tuple[list[float], float]:
    """Seconds per submission sent to a worker and answered, nothing graded: one at a time
    (each a round trip), and all at once (what a run pays a submission, in the pipeline)."""
    from distributed import Client

    coursedir = course_directory(load_config(course.root))
    jobs = find_jobs(coursedir, assignment, None)
    with Client(address, security=client_security(credentials), set_as_default=False) as c:
        c.submit(noop, submission_of(jobs[0]), pure=False).result()  # warm
        seconds = []
        for job in jobs:
            started = time.perf_counter()
            c.submit(noop, submission_of(job), pure=False).result()
            seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        c.gather([c.submit(noop, submission_of(job), pure=False) for job in jobs])
        pipelined = (time.perf_counter() - started) / len(jobs)
    return seconds, pipelined


def grade_through(address: str, credentials: Path, course: Course, assignment: str):
    """(seconds, notebooks, scores) of one `dlmath grade --scheduler` run."""
    started = time.perf_counter()
    marks: list[float] = []
    summary = grade_assignment(course.root, assignment, force=True,
                               progress=lambda *_: marks.append(time.perf_counter()),
                               run=on_cluster(address, credentials))
    assert not summary.failed, summary.failed
    first = marks[0] if marks else started  # from the first result: the bundle is made
    return marks[-1] - first, summary.notebooks, summary, time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--assignment", default="04_probability")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlmath-bench-cluster-") as tmp:
        folder = Path(tmp)
        course = Course.create(folder / "class", [args.assignment])
        build_class(course, [args.assignment], args.students, hostile_every=0)
        rows = []
        for workers in (1, 2):
            process, address, credentials = start_cluster(workers, folder)
            try:
                trips, pipelined = round_trips(address, credentials, course, args.assignment)
                grade_through(address, credentials, course, args.assignment)  # warm workers
                seconds, notebooks, _, wall = grade_through(address, credentials, course,
                                                            args.assignment)
            finally:
                process.terminate()
                process.wait()
            per_second = (notebooks - notebooks / args.students) / seconds
            rows.append((workers, seconds, notebooks, per_second, trips, wall))
            print(f"{workers} worker(s): {pipelined * 1000:.1f} ms a submission through the "
                  "scheduler, all sent at once", flush=True)
        print(f"{args.students} students of {args.assignment}, "
              f"{rows[0][2]} notebooks, this machine's 2 cores")
        print(f"{'workers':>7} {'grading s':>10} {'notebooks/s':>12} {'run s':>7} "
              f"{'scheduler ms/submission (median, p95)':>40}")
        for workers, seconds, _, per_second, trips, wall in rows:
            trips_ms = sorted(t * 1000 for t in trips)
            p95 = trips_ms[int(0.95 * (len(trips_ms) - 1))]
            print(f"{workers:>7} {seconds:>10.1f} {per_second:>12.2f} {wall:>7.1f} "
                  f"{statistics.median(trips_ms):>31.1f}, {p95:.1f}")
        print(f"two workers : one = {rows[1][3] / rows[0][3]:.2f}x (target >= 1.8x)")


if __name__ == "__main__":
    main()
