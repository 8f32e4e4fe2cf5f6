"""Grading on a real Dask cluster (issue 22): `dlmath cluster` starts the real `dask
scheduler` and `dask worker` programs on loopback with TLS; `dlmath grade --scheduler`
grades through them exactly as on this machine, survives a worker killed mid-run, records
a submission that kills every worker it meets as failed, refuses a client without the
cluster's credentials, and keeps the hostile class at zero with no canary read."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import nbformat
import pytest
from cluster_support import WORKERS, Cluster
from course_support import (
    ASSIGNMENT,
    STUDENTS,
    cases_state,
    copy_graders,
    edit_matmul_grader,
    gradebook_state,
    make_course,
)

from dlmath.cluster.security import client_security
from dlmath.nbgrader.batch import grade_assignment
from dlmath.nbgrader.course import Course
from dlmath.nbgrader.plan import MARKER
from dlmath.notebooks import read

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("cluster"))
    yield started
    started.stop()
    assert started.process.returncode == 0, started.log.read_text()[-3000:]


@pytest.fixture(scope="module")
def here(tmp_path_factory) -> Course:
    """The class graded on this machine: what the cluster must give."""
    course = make_course(tmp_path_factory.mktemp("here"))
    assert not grade_assignment(course.root, ASSIGNMENT, workers=2).failed
    return course


def grade_on(cluster: Cluster, course: Course, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT,
                           "--scheduler", cluster.address, "--credentials",
                           str(cluster.credentials), *extra], cwd=course.root,
                          env=course.env(), capture_output=True, text=True, timeout=900)


def autograded_files(course: Course) -> dict[str, bytes]:
    root = course.root / "autograded"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.ipynb"))}


def test_the_cluster_grades_as_this_machine(cluster, here, tmp_path):
    course = make_course(tmp_path)
    done = grade_on(cluster, course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"graded {len(STUDENTS)} submissions" in done.stdout
    assert gradebook_state(course) == gradebook_state(here)
    assert cases_state(course) == cases_state(here)
    assert autograded_files(course) == autograded_files(here)
    again = grade_on(cluster, course)  # nothing changed: nothing sent
    assert again.returncode == 0 and f"skipped {len(STUDENTS)} unchanged" in again.stdout


def test_a_worker_killed_mid_run_loses_no_grade(cluster, here, tmp_path):
    course = make_course(tmp_path)
    markers = lambda: list((course.root / "autograded").glob(f"*/{ASSIGNMENT}/{MARKER}"))  # noqa: E731
    grading = subprocess.Popen([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT,
                                "--scheduler", cluster.address, "--credentials",
                                str(cluster.credentials)], cwd=course.root, env=course.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    while not markers() and time.monotonic() < deadline:
        time.sleep(0.05)
    victims = cluster.worker_processes()
    assert len(markers()) < len(STUDENTS) and victims
    victims[0].send_signal(signal.SIGKILL)  # its submissions go to the other worker
    out, _ = grading.communicate(timeout=600)
    assert grading.returncode == 0, out
    assert gradebook_state(course) == gradebook_state(here)
    assert cases_state(course) == cases_state(here)  # every case once, none twice
    _wait_for_workers(cluster)  # the nanny brought it back for the next test


def test_two_runs_at_once_take_turns_and_each_grades_with_its_own_graders(cluster, here,
                                                                          tmp_path):
    """A second run (here with a grader fixed since: another bundle) waits for the first
    instead of replacing its bundle under it; the workers then grade with the new graders,
    though they sit at the paths of the old ones."""
    fixed = copy_graders(tmp_path / "autograders")
    edit_matmul_grader(fixed, "a grader fixed since the last run")
    first, second = make_course(tmp_path / "first"), make_course(tmp_path / "second")
    local = make_course(tmp_path / "local")  # the fixed graders, on this machine
    with_fixed = {"DLMATH_AUTOGRADERS": str(fixed)}
    assert subprocess.run([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT],
                          cwd=local.root, env=local.env() | with_fixed,
                          capture_output=True, timeout=900).returncode == 0
    runs = [subprocess.Popen([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT,
                              "--scheduler", cluster.address, "--credentials",
                              str(cluster.credentials)], cwd=course.root,
                             env=course.env() | extra, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
            for course, extra in ((first, {}), (second, with_fixed))]
    outputs = [run.communicate(timeout=900)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert gradebook_state(first) == gradebook_state(here)
    assert gradebook_state(second) == gradebook_state(local) != gradebook_state(here)


def _wait_for_workers(cluster: Cluster) -> None:
    from distributed import Client

    with Client(cluster.address, security=client_security(cluster.credentials),
                set_as_default=False) as client:
        client.wait_for_workers(WORKERS, timeout=120)


def poison(course: Course, student: str) -> None:
    """A submission whose notebook is too big for any worker to read: each worker that
    takes it passes its memory limit and is restarted by its nanny."""
    folder = course.root / "submitted" / student / ASSIGNMENT
    path = folder / "linear_algebra.ipynb"
    nb = read(path)
    nb.cells.append(nbformat.v4.new_markdown_cell("x" * 300_000_000))
    nbformat.write(nb, str(path))


def test_a_submission_that_kills_every_worker_is_recorded_as_failed(cluster, here, tmp_path):
    course = make_course(tmp_path)
    poison(course, "eve")
    done = grade_on(cluster, course)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "eve/01_linear_algebra" in done.stdout and "killed" in done.stdout
    graded = {k: v for k, v in gradebook_state(course).items() if k[0] != "eve"}
    assert graded == {k: v for k, v in gradebook_state(here).items() if k[0] != "eve"}
    _wait_for_workers(cluster)


def test_a_client_without_the_credentials_is_refused(cluster, tmp_path):
    from distributed import Client

    with pytest.raises((OSError, TimeoutError)):
        Client(cluster.address.replace("tls://", "tcp://"), timeout=5, set_as_default=False)
    other = tmp_path / "other"
    from dlmath.cluster.security import make_credentials

    make_credentials(other)  # a certificate of its own, not the cluster's
    with pytest.raises((OSError, TimeoutError)):
        Client(cluster.address, security=client_security(other), timeout=5,
               set_as_default=False)


def test_a_scheduler_that_goes_away_keeps_every_grade_written(here, tmp_path):
    """Its own cluster, whose scheduler is killed mid-run: the run ends, what it wrote
    stays, and the next run, on a new cluster, grades only the rest."""
    course = make_course(tmp_path / "course")
    doomed = Cluster(tmp_path / "doomed")
    markers = lambda: list((course.root / "autograded").glob(f"*/{ASSIGNMENT}/{MARKER}"))  # noqa: E731
    try:
        grading = subprocess.Popen([sys.executable, "-m", "dlmath.cli", "grade", ASSIGNMENT,
                                    "--scheduler", doomed.address, "--credentials",
                                    str(doomed.credentials)], cwd=course.root,
                                   env=course.env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 300
        while not markers() and time.monotonic() < deadline:
            time.sleep(0.05)
        doomed.scheduler().send_signal(signal.SIGKILL)
        out, _ = grading.communicate(timeout=300)  # it ends, saying what it could not grade
    finally:
        doomed.stop()
    written = {m.parent.parent.name for m in markers()}
    assert grading.returncode != 0 and 0 < len(written) < len(STUDENTS), out
    kept = {k: v for k, v in gradebook_state(course).items() if k[0] in written}
    assert kept == {k: v for k, v in gradebook_state(here).items() if k[0] in written}
    second = Cluster(tmp_path / "second")
    try:
        done = grade_on(second, course)
    finally:
        second.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"graded {len(STUDENTS) - len(written)} submissions" in done.stdout
    assert f"skipped {len(written)} unchanged" in done.stdout
    assert gradebook_state(course) == gradebook_state(here)
    assert cases_state(course) == cases_state(here)
