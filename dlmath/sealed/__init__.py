"""Sealed grading: student code runs in confined worker processes, never in the grader's.

    from dlmath.sealed import SealedLimits, open_submission

    with open_submission(nb, scratch_files, limits) as sub:
        sub.cells        # per student code cell: outputs, execution count, problem
        sub.student()    # a SealedStudent for dlmath.engine.runner.run_exercise
        sub.missing      # protections this machine lacks (also logged once per process)

Modules: sandbox (namespaces, Landlock, seccomp, rlimits, the uid), forkserver (the clean,
numpy-warm parent of every worker), worker and cells (the worker's side), channel (the
grader's side of one worker), figures (snapshots drawn after grading), student (the public
API). Messages cross as dlmath.codec frames, without pickle.
Importing this package is cheap; the names below load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SealedLimits", "SealedStudent", "Submission", "open_sources", "open_submission"]


def __getattr__(name: str) -> Any:
    if name == "SealedLimits":
        from dlmath.sealed.limits import SealedLimits

        return SealedLimits
    if name in __all__:
        from dlmath.sealed import student

        return getattr(student, name)
    raise AttributeError(name)
