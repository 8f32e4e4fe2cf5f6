"""The grading benchmark's correctness half, on a tiny class: stock `nbgrader autograde`,
sealed `nbgrader autograde`, `dlmath grade` and the floor (the honest notebooks graded
unsealed in one warm process) give every non-hostile submission the same score in every
cell, and every submission a grade. Speed is the script's business, not CI's.
"""

import importlib
import os
import types

import numpy  # noqa: F401 (OpenBLAS loaded: the floor's test limits its threads)
import pytest
from threadpoolctl import threadpool_info

from dlmath.course import REPO_ROOT
from dlmath.sim import benchmark
from dlmath.sim.benchmark import FLOOR, FORMGRADER, grade_available, run_benchmark
from dlmath.sim.synthetic import plan_class

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
STUDENTS = 4  # hostile_every=4 makes the third one hostile: the score forger


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    saved = dict(os.environ)  # run_benchmark points Jupyter's directories at its workdir
    try:
        return run_benchmark(tmp_path_factory.mktemp("bench"), ["01_linear_algebra"],
                             sizes=(STUDENTS,), stock_students=STUDENTS,
                             sealed_students=STUDENTS, hostile_every=4, log=lambda *_: None)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_class_is_varied_and_reproducible():
    students = plan_class(STUDENTS, hostile_every=4)
    assert [s.hostile for s in students] == [False, False, True, False]
    assert len({s.kind for s in students}) >= 3
    assert students == plan_class(STUDENTS, hostile_every=4)


def test_every_path_grades_every_submission(result):
    labels = ["stock", "sealed", FORMGRADER] + ([f"grade@{STUDENTS}"] if grade_available()
                                                else []) + [FLOOR]
    assert [t.label for t in result.timings] == labels
    assert all(t.notebooks == 2 * STUDENTS for t in result.timings if t.label != FLOOR)
    assert result.floor.notebooks == 2 * (STUDENTS - 1)  # the honest ones, graded unsealed
    assert not result.missing
    assert not [p for t in result.timings for p in t.problems]


def test_every_path_has_its_cpu_measured(result):
    """Every row's CPU is the machine's while it ran, less others' and the sampling's: more
    than nothing, and no more than every CPU of the machine for its whole wall time."""
    for t in result.timings:
        assert 0 < t.window.cpu <= t.wall * (os.cpu_count() or 1) * 1.05, t.label
    floor = result.floor  # one process, one thread at a time: at most about one CPU
    assert floor.window.cpu <= floor.wall * 1.5
    stock = result.timings[0]  # nbgrader, its kernels, a notebook each: far more than that
    assert stock.cpu_per_notebook > 5 * floor.cpu_per_notebook


def test_the_floor_runs_blas_and_openmp_one_thread_each(tmp_path, monkeypatch):
    """As student code runs in a sealed worker. More threads only spin here, and their CPU
    would make every path look cheaper against the floor than it is."""
    threads = lambda: max(i["num_threads"] for i in threadpool_info())  # noqa: E731
    if threads() < 2:
        pytest.skip("this machine's BLAS runs one thread anyway")
    seen = []

    def check_notebook(path, assignment, sealed):
        seen.append((path.name, assignment, sealed, threads()))
        return types.SimpleNamespace(by_cell=dict)

    monkeypatch.setattr(importlib.import_module("dlmath.check"), "check_notebook",
                        check_notebook)
    folder = tmp_path / "submitted" / "ada" / "01_linear_algebra"
    folder.mkdir(parents=True)
    (folder / "linear_algebra.ipynb").write_text("{}")
    course = types.SimpleNamespace(root=tmp_path)
    with benchmark.ProcessSampler() as sampler:
        timing = benchmark.time_floor(course, ["01_linear_algebra"], sampler, ["ada"])
    assert seen == [("linear_algebra.ipynb", "01_linear_algebra", False, 1)] * 2  # two passes
    assert timing.notebooks == 1
    assert threads() >= 2  # and as many as before, once the floor is measured


def test_scores_are_identical_across_paths(result):
    assert result.compared >= 3 * 14  # three honest students, 14 graded cells each
    assert not result.mismatches, "\n".join(result.mismatches)


def test_the_forger_gains_nothing_sealed(result):
    forger = next(s.id for s in result.students if s.hostile)
    totals = {t.label: sum(v or 0 for k, v in t.scores.items() if k[0] == forger)
              for t in result.timings}
    assert totals["stock"] > 0  # in the kernel, patching dlmath.grade forges full marks
    assert all(total == 0 for label, total in totals.items() if label != "stock")


def test_only_stock_changes_the_course_config(result):
    """Sealed and grade run the hub's path: the course's nbgrader_config.py as it is."""
    course_config = (REPO_ROOT / "nbgrader_config.py").read_text()
    folders = {FORMGRADER: "formgrader"}
    configs = {t.label: (result.workdir / folders.get(t.label, t.label.replace("@", "-")) /
                         "course" / "nbgrader_config.py").read_text()
               for t in result.timings if t.label != FLOOR}
    assert all(text == course_config for label, text in configs.items() if label != "stock")
    assert configs["stock"] != course_config
    assert "nbgrader.preprocessors.execute.Execute" in configs["stock"]
