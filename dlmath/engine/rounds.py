"""An exercise's cases run side by side; their calls of the student's code go in rounds.

A sealed student answers a call across a process boundary, and a round trip costs more
than most calls: two wake-ups, a wait, caches gone cold on both sides. So `run_cases`
starts every case (each in a greenlet), lets each run to its first call of the student's
code, and has the student answer all those calls at once: sent together, answered one
after the other, in case order. Then each case resumes with its answer, runs its checks
up to its next call, and so on until every case is done. Graders read as before: a call
returns its answer or raises, and the waiting happens inside it (`in_turn`).

Every student (sealed or in this process) answers in round order: every case's first
call, in case order, then every second call, and so on. A student function that keeps
state between calls sees that order on every path, so it scores the same on all of them.
Once a call ran out of time, no later call is made (`NOT_RUN`), as when cases ran one
after the other and the cases after a timeout did not run: an answerer answers no item
after one that ran out of time, and a case that ends timed out (`stops`) ends the rounds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

from dlmath.engine.errors import StudentTimeout

NOT_RUN = "not run: an earlier call ran out of time"
R = TypeVar("R")
Answerer = Callable[[list[Any]], list[Any]]  # items -> their answers or errors, in order


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
        outcome = answerer([item])[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def answer_each(items: list[Callable[[], Any]]) -> list[Any]:
    """The answerer of calls made in this process: each item is the call, run in turn;
    none after one that ran out of time (each would wait out its limit)."""
    outcomes: list[Any] = []
    for call in items:
        try:
            outcomes.append(call())
        except StudentTimeout as exc:
            outcomes.append(exc)
            break
        except Exception as exc:  # the call's own error, raised in its case
            outcomes.append(exc)
    return outcomes


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
            for (index, _), outcome in zip(turns, self._answer([t for _, t in turns]),
                                           strict=True):
                step(index, cases[index].switch(outcome))
        return results

    def _answer(self, turns: list[_Turn]) -> list[Any]:
        """A round's answers, in order: each answerer's items together."""
        outcomes: list[Any] = []
        for answerer, group in itertools.groupby(turns, key=lambda t: t.answerer):
            items = [t.item for t in group]
            got = [] if self.timed_out else answerer(items)[:len(items)]
            self.timed_out = len(got) < len(items)  # it stopped after a timeout
            outcomes += got + [StudentTimeout(NOT_RUN) for _ in items[len(got):]]
        return outcomes
