"""Benchmark autograding (issue 6): stock `nbgrader autograde`, sealed `nbgrader autograde`
and `dlmath grade` on one synthetic class, timed in one run, with every cell's score checked
equal across the three for every non-hostile submission; and the floor they are measured
against (issue 23): the same honest notebooks graded unsealed in this warm process.

    .venv/bin/python scripts/benchmark_grading.py                      # the full benchmark
    .venv/bin/python scripts/benchmark_grading.py --sizes 20 --stock-students 2 \\
        --sealed-students 4 --assignment 01_linear_algebra              # a quick look
    .venv/bin/python scripts/benchmark_grading.py --profile            # and where time goes

Prints notebooks per second, the median and 95th-percentile seconds per notebook, peak
memory and the ratios against stock, then whether each target of the issue is met. Exits 1
when scores differ between paths. With --profile, each grading path (sealed autograde,
`dlmath grade`, the floor) then runs once more on a few honest students under cProfile, and
a second table shows the share of a notebook's time in the student's cells, the graders'
calls into the sandbox, their own checks, references, figures, notebook reading and
writing, the gradebook, nbgrader's other steps and the rest (dlmath/sim/profile.py).

The full run takes about 30-40 minutes on 2 cores (stock about 7, sealed about 4, grade on
50+100+200 students the rest; --profile adds a minute or two). Run it on a quiet machine:
the last column says how much of the CPUs other processes took meanwhile.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from rich.console import Console

from dlmath.sim.benchmark import (
    FLOOR_STUDENTS,
    PROFILE_STUDENTS,
    SEALED_STUDENTS,
    SIZES,
    STOCK_STUDENTS,
    kept_or_removed,
    print_report,
    run_benchmark,
)
from dlmath.sim.demo import released_assignments


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--sizes", default=",".join(map(str, SIZES)),
                   help="class sizes `grade` runs on, each on a fresh copy of the course "
                        "(default: %(default)s); the class has max(sizes) students")
    p.add_argument("--stock-students", type=int, default=STOCK_STUDENTS,
                   help="students stock autograde is timed on, the class's first ones "
                        "(default: %(default)s; about 2 s a notebook; 0 skips it)")
    p.add_argument("--sealed-students", type=int, default=SEALED_STUDENTS,
                   help="students sealed autograde is timed on (default: %(default)s; "
                        "0 skips it)")
    p.add_argument("--floor-students", type=int, default=FLOOR_STUDENTS,
                   help="honest students graded unsealed in this process, the floor every "
                        "path is measured against (default: %(default)s; 0 skips it)")
    p.add_argument("--profile", action="store_true",
                   help="after the timed runs, profile each grading path on a few honest "
                        "students and show where a notebook's time goes")
    p.add_argument("--profile-students", type=int, default=PROFILE_STUDENTS,
                   help="honest students each path is profiled on, with --profile "
                        "(default: %(default)s)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes for `grade` (default: one per CPU)")
    p.add_argument("--assignment", action="append",
                   help="only this assignment (repeatable; default: every released one)")
    p.add_argument("--seed", type=int, default=0, help="the class's seed (default: 0)")
    p.add_argument("--hostile-every", type=int, default=50,
                   help="one student in this many is hostile (default: %(default)s, i.e. 2%%; "
                        "0: none)")
    p.add_argument("--workdir", type=Path,
                   help="put every course copy and log here and keep them (default: a new "
                        "temporary directory, removed at the end unless --keep)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(width=max(152, Console().width))  # the table needs 150 columns
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(argv)
    sizes = tuple(int(n) for n in args.sizes.split(",") if n.strip())
    with kept_or_removed(args.workdir, args.keep) as workdir:
        console.print(f"workdir: {workdir}")
        result = run_benchmark(workdir, args.assignment or released_assignments(), sizes,
                               args.stock_students, args.sealed_students, args.workers,
                               args.seed, args.hostile_every, log=console.log,
                               floor_students=args.floor_students,
                               profile_students=args.profile_students if args.profile else 0)
        print_report(result, console, command)
    return 1 if result.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
