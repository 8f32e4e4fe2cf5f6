"""Sealed grading against in-process and in-kernel grading, measured in the same run.

Prints the fork server's start time, the median time to start a worker (fork, confine,
hello), and for every reference notebook the median time to run its cells and grade every
exercise: sealed (`open_sources` + `run_exercise` on a SealedStudent), local (`exec_cells`
+ `run_exercise` on a LocalStudent), and in-kernel (the notebook executed in a fresh
IPython kernel, its hidden cells calling `dlmath.grade`, as nbgrader's Execute does).
One warm-up run of sealed and local comes first, so both find the graders imported and the
torch references cached; every in-kernel run pays its kernel start and torch import.

    .venv/bin/python scripts/measure_sealed.py [--repeat 5] [--starts 30] [--only 01_]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial

from dlmath.course import assignments, source_dir
from dlmath.engine.runner import run_exercise
from dlmath.engine.student import LocalStudent, exec_cells
from dlmath.notebooks import grade_calls, read, student_sources
from dlmath.sealed.channel import Worker
from dlmath.sealed.forkserver import ForkServer
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.student import open_sources


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def grade_local(sources: list[str], exercises: dict[str, float]) -> None:
    student = LocalStudent({"__name__": "__main__"}, sources)
    exec_cells(sources, student.namespace)
    for exercise, points in exercises.items():
        run_exercise(exercise, student, points)


def grade_sealed(sources: list[str], exercises: dict[str, float], server: ForkServer,
                 figures: bool = True) -> None:
    with open_sources(sources, server=server, figures=figures) as submission:
        student = submission.student()
        for exercise, points in exercises.items():
            run_exercise(exercise, student, points)


def measure_notebook(sources: list[str], exercises: dict[str, float], server: ForkServer,
                     repeat: int) -> list[float]:
    """Median seconds: sealed, sealed without drawing figures, local."""
    runs = (partial(grade_sealed, sources, exercises, server),
            partial(grade_sealed, sources, exercises, server, figures=False),
            partial(grade_local, sources, exercises))
    for run in runs:
        run()  # warm-up
    return [median_seconds(run, repeat) for run in runs]


def row(name: str, cells: object, exercises: object, times: list[float]) -> str:
    sealed, no_figures, local = (1000 * t for t in times)
    return (f"{name:44} {cells:>5} {exercises:>9} {sealed:7.0f} {no_figures:8.0f} "
            f"{local:6.0f} {sealed / local:6.1f}")


def grade_in_kernel(nb) -> None:
    from nbclient import NotebookClient

    NotebookClient(copy.deepcopy(nb), kernel_name="python3", timeout=120,
                   allow_errors=True).execute()


def private_jupyter_dirs(base: str) -> None:
    """Kernels write connection files and caches: keep them out of the home directory."""
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR"):
        os.environ[var] = os.path.join(base, var.lower())
    os.environ["MPLBACKEND"] = "Agg"


def worker_start(server: ForkServer, scratch: str) -> None:
    spec = {"scratch": scratch, "limits": SealedLimits().to_dict(), "cpu": 60.0}
    Worker(server, spec, 30.0).close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per notebook and side")
    parser.add_argument("--starts", type=int, default=30, help="worker starts to time")
    parser.add_argument("--only", default="", help="only notebooks whose path contains this")
    parser.add_argument("--kernel-repeat", type=int, default=1,
                        help="in-kernel runs per notebook (0: skip; each costs seconds)")
    args = parser.parse_args()
    private_jupyter_dirs(tempfile.mkdtemp(prefix="dlmath-measure-"))

    start = time.perf_counter()
    server = ForkServer()
    print(f"fork server start: {1000 * (time.perf_counter() - start):.0f} ms "
          f"(once per grading process)")
    missing = [f"{p.name} ({p.detail})" for p in server.protections if not p.active]
    with tempfile.TemporaryDirectory() as scratch:
        worker_start(server, scratch)
        median = median_seconds(lambda: worker_start(server, scratch), args.starts)
    print(f"worker start, median of {args.starts}: {1000 * median:.1f} ms")

    print("\nMedian ms to run the cells and grade every exercise; 'no figs': sealed without "
          "drawing\nmatplotlib figures as PNG (the local run never draws them).")
    print(f"\n{'notebook':44} {'cells':>5} {'exercises':>9} {'sealed':>7} {'no figs':>8} "
          f"{'local':>6} {'ratio':>6} {'in-kernel':>9}")
    totals = [0.0, 0.0, 0.0]
    kernel_times, sealed_times, local_times = [], [], []
    for assignment in assignments():
        for path in sorted((source_dir() / assignment).glob("*.ipynb")):
            name = f"{assignment}/{path.name}"
            if args.only not in name:
                continue
            nb = read(path)
            sources = student_sources(nb)
            exercises = {c.exercise_id: c.points for c in grade_calls(nb)}
            times = measure_notebook(sources, exercises, server, args.repeat)
            totals = [t + u for t, u in zip(totals, times, strict=True)]
            kernel = median_seconds(partial(grade_in_kernel, nb), args.kernel_repeat) \
                if args.kernel_repeat else float("nan")
            kernel_times.append(kernel)
            sealed_times.append(times[0])
            local_times.append(times[2])
            print(row(name, len(sources), len(exercises), times) + f" {1000 * kernel:9.0f}")
    print(row("all notebooks", "", "", totals) + f" {1000 * sum(kernel_times):9.0f}")
    if sealed_times:
        medians = [1000 * statistics.median(t) for t in (sealed_times, local_times)]
        kernel = 1000 * statistics.median(kernel_times) if args.kernel_repeat else float("nan")
        print(f"\nmedian per notebook: sealed {medians[0]:.0f} ms, local {medians[1]:.0f} ms, "
              f"in-kernel {kernel:.0f} ms")
    server.close()
    if missing:
        print("\nprotections missing here:", "; ".join(missing))


if __name__ == "__main__":
    main()
