"""The `dlmath` command: a thin layer over the toolkit's functions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console


def cmd_release(args: argparse.Namespace, console: Console) -> int:
    from dlmath.course import release_dir
    from dlmath.nbgrader.release import check_current, find_leaks, generate

    if args.check:
        stale = check_current()
        for path in stale:
            console.print(f"[red]stale[/]: release/{path}")
        if stale:
            console.print("release/ is out of date with source/: run `dlmath release`")
    else:
        for path in generate(release_dir()):
            console.print(f"wrote {path.relative_to(release_dir().parent)}")
        stale = []
    leaks = find_leaks()
    for leak in leaks:
        console.print(f"[red]leak[/]: {leak}")
    if not leaks:
        console.print("leak check: release/ holds no solution, hidden test or answer key")
    return 1 if stale or leaks else 0


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    from dlmath.check import check_notebook, render_report

    report = check_notebook(Path(args.notebook), args.assignment, sealed=not args.unsealed)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=float))
        return 0
    console.print(render_report(report), markup=False, highlight=False)
    return 0


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    from dlmath.sim.demo import run_demo

    run_demo(Path(args.dir) if args.dir else None, args.assignment or None, console=console)
    return 0


def cmd_grade(args: argparse.Namespace, console: Console) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from dlmath.nbgrader.batch import AlreadyGrading, grade_assignment

    columns = (TextColumn("grading {task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    # Redrawn as submissions finish, not by a thread of its own: with one thread, grading
    # may fork its helpers from this process (see grading.start_method).
    with Progress(*columns, console=console, auto_refresh=False) as progress:
        task = progress.add_task(args.assignment, total=None)

        def advance(what: str, done: int, total: int) -> None:
            waiting = f": {what}" if not done and what else ""  # for the cluster, say
            progress.update(task, completed=done, total=total,
                            description=args.assignment + waiting)
            progress.refresh()

        try:
            summary = grade_assignment(Path(args.course), args.assignment,
                                       args.student or None, args.workers, args.force, advance,
                                       _runner(args))
        except AlreadyGrading as exc:  # 75 is EX_TEMPFAIL: try again later (as cron may)
            console.print(f"[red]busy:[/] {exc}", markup=True, highlight=False)
            return 75
    console.print(f"graded {len(summary.graded)} submissions ({summary.notebooks} notebooks), "
                  f"skipped {len(summary.skipped)} unchanged, failed {len(summary.failed)}, "
                  f"in {summary.seconds:.1f} s")
    if summary.figures_reused:
        console.print(f"{summary.figures_reused} figures were drawn once for them all: the "
                      "instructor's, or another student's the same to the last bit")
    from dlmath.sealed.student import protections_summary

    for line in protections_summary(summary.protections) if summary.protections else ():
        console.print(line, style=None if "MISSING" not in line else "red", highlight=False)
    for name, why in summary.failed:
        console.print(f"[red]failed[/] {name}: {why}", highlight=False)
    return 1 if summary.failed else 0


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    from dlmath.report import write_report
    from dlmath.report.data import assignments, open_course

    if bool(args.assignment) == args.all:
        raise ValueError("name one assignment, or --all")
    chosen = assignments(open_course(Path(args.course))) if args.all else [args.assignment]
    for assignment in chosen:
        html, data = write_report(Path(args.course), assignment)
        console.print(str(html), soft_wrap=True, markup=False, highlight=False)
        console.print(f"  its numbers: {data}", soft_wrap=True, markup=False, highlight=False)
    return 0


def _runner(args: argparse.Namespace):
    """Where `dlmath grade` grades: this machine's cores (None), or a Dask cluster."""
    if not args.scheduler:
        return None
    from dlmath.cluster.client import CREDENTIALS, on_cluster

    return on_cluster(args.scheduler, Path(args.credentials or Path(args.course) / CREDENTIALS))


def cmd_cluster(args: argparse.Namespace, console: Console) -> int:
    from dlmath.cluster.client import CREDENTIALS
    from dlmath.cluster.local import run_cluster

    credentials = Path(args.credentials or Path(args.course) / CREDENTIALS).resolve()

    def say(line: str) -> None:
        console.print(line, soft_wrap=True, markup=False, highlight=False)
        console.file.flush()

    return run_cluster(args.workers, credentials, say, args.memory_limit)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dlmath", description="Auto-graded deep learning math: "
                                "release, check and grade notebooks with nbgrader.")
    sub = p.add_subparsers(dest="command", required=True)
    release = sub.add_parser("release", help="regenerate release/ from source/ and check leaks")
    release.add_argument("--check", action="store_true",
                         help="do not write: fail if release/ is stale or leaks")
    release.set_defaults(run=cmd_release)
    check = sub.add_parser("check", help="grade one notebook (sealed) and print the report")
    check.add_argument("notebook", help="path to a .ipynb (a student's or a source notebook)")
    check.add_argument("--assignment", help="assignment id when the folder name is not it")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--unsealed", action="store_true",
                       help="run the notebook in this process, not in a sealed worker: for an "
                            "instructor debugging a grader on a notebook they trust")
    check.set_defaults(run=cmd_check)
    grade = sub.add_parser("grade", help="autograde every collected submission in parallel, "
                           "as nbgrader autograde would (run in the course directory)")
    grade.add_argument("assignment")
    grade.add_argument("--student", action="append", help="only this student (repeatable)")
    grade.add_argument("--workers", type=int, help="parallel workers (default: the cores)")
    grade.add_argument("--force", action="store_true",
                       help="regrade submissions that have not changed since the last run")
    grade.add_argument("--course", default=".", help="the course directory (default: here)")
    grade.add_argument("--scheduler", metavar="tls://HOST:PORT",
                       help="grade on this Dask cluster instead of this machine's cores")
    grade.add_argument("--credentials", metavar="DIR", help="the cluster's TLS credentials "
                       "(default: .dlmath-cluster in the course directory)")
    grade.set_defaults(run=cmd_grade)
    cluster = sub.add_parser("cluster", help="start a Dask scheduler and workers on this "
                             "machine (loopback, TLS); prints the scheduler's address last")
    cluster.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    cluster.add_argument("--course", default=".", help="the course directory (default: here)")
    cluster.add_argument("--credentials", metavar="DIR", help="where to write the cluster's "
                         "TLS credentials (default: .dlmath-cluster in the course directory)")
    cluster.add_argument("--memory-limit", default="4GiB", help="per worker (default 4GiB)")
    cluster.set_defaults(run=cmd_cluster)
    report = sub.add_parser("report", help="the class report of an assignment: an HTML page "
                            "and its numbers in JSON, in reports/ (run in the course directory)")
    report.add_argument("assignment", nargs="?")
    report.add_argument("--all", action="store_true", help="every assignment in the gradebook")
    report.add_argument("--course", default=".", help="the course directory (default: here)")
    report.set_defaults(run=cmd_report)
    demo = sub.add_parser("demo", help="a simulated class through the real nbgrader workflow")
    demo.add_argument("--dir", help="work here instead of a new temporary directory")
    demo.add_argument("--assignment", action="append",
                      help="only this assignment (repeatable); default: all released")
    demo.set_defaults(run=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console()
    try:
        return args.run(args, console)
    except (ValueError, FileNotFoundError) as exc:  # bad input: a message, not a traceback
        console.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        return 2


if __name__ == "__main__":
    sys.exit(main())
