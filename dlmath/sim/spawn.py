"""A function run in a new Python (spawned, nothing inherited) in a course's environment and
directory, as a command run there would be: how the benchmark and its profiles run a
grading path apart from their own process."""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable

from dlmath.nbgrader.course import Course


def in_course_process(target: Callable, course: Course, *args, log: str = "") -> dict:
    """`target(root, env, *args, send)` in a spawned process; the dict it sends back, or
    {"error": why} if it sends none or exits with an error (`log`: where to look)."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(str(course.root), course.env(), *args, send))
    child.start()
    send.close()
    see = f"; see {log}" if log else ""
    try:
        reply = receive.recv()
    except EOFError:
        reply = {"error": f"the process ended without a result{see}"}
    child.join()
    if child.exitcode:
        reply.setdefault("error", f"the process exited {child.exitcode}{see}")
    return reply


def enter_course(root: str, env: dict[str, str]) -> None:
    """In the spawned process: the course's environment and directory."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(root)
    if env.get("PYTHONWARNINGS") == "ignore":  # what the interpreter does at start
        warnings.simplefilter("ignore")
