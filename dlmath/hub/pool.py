"""The check service's grading processes: each has its own desk and fork server, so a check
that hangs or crashes its worker costs only that check, and two students are served at once.
Kept apart from the HTTP service (service.py), which needs JupyterHub installed."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from dlmath.hub.desk import Desk, DeskSettings, Reply

log = logging.getLogger("dlmath.check")
_desk: Desk | None = None


def _start_desk(course_root: str, db_url: str, settings: DeskSettings) -> None:
    global _desk
    _desk = Desk(Path(course_root), db_url, settings)
    _desk.warm()


def _ready() -> bool:
    return _desk is not None


def _check(student: str, assignment: str, notebook: str, exercise: str, content: str) -> Reply:
    assert _desk is not None
    return _desk.check(student, assignment, notebook, exercise, content)


class Pool:
    """Processes that grade; replaced whole if one of them dies."""

    def __init__(self, course_root: Path, db_url: str, settings: DeskSettings, size: int):
        self.args = (str(course_root), db_url, settings)
        self.size = size
        self.executor = self._new()
        self.turns: dict[tuple[str, ...], tuple[asyncio.Lock, int]] = {}  # (lock, waiting)

    def _new(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(self.size,
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_start_desk, initargs=self.args)
        for _ in range(self.size):  # start and warm every process now, not at the first check
            executor.submit(_ready)
        return executor

    async def check(self, student: str, assignment: str, notebook: str, exercise: str,
                    content: str) -> Reply:
        """One check at a time per student and exercise: the desk counts the checks of the
        last hour, then grades, then records; two at once (a student's requests in parallel)
        would both pass a limit that allows one more."""
        key = (student, assignment, exercise)
        lock, waiting = self.turns.get(key, (asyncio.Lock(), 0))
        self.turns[key] = (lock, waiting + 1)
        try:
            async with lock:
                return await self._check(student, assignment, notebook, exercise, content)
        finally:
            lock, waiting = self.turns[key]
            if waiting == 1:
                del self.turns[key]
            else:
                self.turns[key] = (lock, waiting - 1)

    async def _check(self, *args: str) -> Reply:
        executor = self.executor
        try:
            future = executor.submit(_check, *args)
        except BrokenProcessPool:  # it broke before this check (a process died idle or did
            executor = self._replace(executor)  # not start): this check has not run yet
            future = executor.submit(_check, *args)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._replace(executor)
            return Reply("failed", "The check service restarted while grading; it was not "
                                   "counted. Try again.")

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A new pool for a broken one, once: checks that met the same broken pool share it."""
        if self.executor is broken:
            log.warning("a grading process died: starting the pool again")
            self.executor = self._new()
        return self.executor
