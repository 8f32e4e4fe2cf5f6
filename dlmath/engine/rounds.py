"""An exercise's cases run side by side; their calls of the student's code go in rounds.

A sealed student answers a call across a process boundary, and a round trip costs more
than most calls: two wake-ups, a wait, caches gone cold on both sides. So `run_cases`
starts every case (each in a greenlet), lets each run to its first call of the student's
code, and has the student answer all those calls together: sent at once, answered one
after the other, in case order. Each case resumes as soon as its answer comes, and runs
its checks while the student answers the next ones; its next call waits for the next
round. Graders read as before: a call returns its answer or raises, and the waiting
happens inside it (`in_turn`).

Every student (sealed or in this process) answers in round order: every case's first
call, in case order, then every second call, and so on. A student function that keeps
state between calls sees that order on every path, so it scores the same on all of them.
Once a call ran out of time, no later call is made (`NOT_RUN`), as when cases ran one
after the other and the cases after a timeout did not run: an answerer answers no item
after one that ran out of time, and a case that ends timed out (`stops`) ends the rounds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

from dlmath.engine.errors import StudentTimeout

NOT_RUN = "not run: an earlier call ran out of time"
R = TypeVar("R")
# items -> their answers (or errors), in order, each given when asked for
Answerer = Callable[[list[Any]], Iterator[Any]]
_UNANSWERED = object()


class _Case(greenlet):
    """A case being run by `run_cases`: its calls wait for the round."""


@dataclass
class _Turn:
    answerer: Answerer
    item: Any


def in_turn(answerer: Answerer, item: Any) -> Any:
    """`item`'s answer: given by `answerer([item, ...])` with the other cases' calls of
    this round when a case of `run_cases` asks, else at once. An error is raised here."""
    here = getcurrent()
    if type(here) is _Case:
        outcome = here.parent.switch(_Turn(answerer, item))
    else:
        outcome = next(answerer([item]))
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def answer_each(items: list[Callable[[], Any]]) -> Iterator[Any]:
    """The answerer of calls made in this process: each item is the call, run when its
    answer is asked for; none after one that ran out of time (each would wait it out)."""
    for call in items:
        try:
            yield call()
        except StudentTimeout as exc:
            yield exc
            return
        except Exception as exc:  # the call's own error, raised in its case
            yield exc


@dataclass
class Rounds:
    """The rounds of one exercise; `stops(result)`: a case's result that ends them."""

    stops: Callable[[Any], bool]
    timed_out: bool = False

    def run_cases(self, tasks: Sequence[Callable[[], R]]) -> list[R]:
        """Each task's result, the tasks run side by side (see above)."""
        cases = [_Case(task) for task in tasks]
        results: list[Any] = [None] * len(cases)
        waiting: list[tuple[int, _Turn]] = []

        def step(index: int, got: Any) -> None:
            if cases[index].dead:
                results[index] = got
                self.timed_out = self.timed_out or self.stops(got)
            else:
                waiting.append((index, got))

        for index, case in enumerate(cases):
            step(index, case.switch())
        while waiting:
            turns, waiting[:] = list(waiting), []
            for answerer, group in itertools.groupby(turns, key=lambda t: t[1].answerer):
                items = list(group)
                answers = iter(()) if self.timed_out else answerer([t.item for _, t in items])
                try:
                    for index, _ in items:
                        outcome = _UNANSWERED if self.timed_out else _take(answers)
                        if outcome is _UNANSWERED:  # stopped after a timeout
                            self.timed_out, outcome = True, StudentTimeout(NOT_RUN)
                        step(index, cases[index].switch(outcome))
                finally:
                    getattr(answers, "close", lambda: None)()
        return results


def _take(answers: Iterator[Any]) -> Any:
    """The next answer (the student's call made, or its reply read), or _UNANSWERED: a
    function of its own, which the profile counts as the graders' calls (sim/profile.py)."""
    return next(answers, _UNANSWERED)
