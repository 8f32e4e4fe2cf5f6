"""The statistical graders do not fail correct samplers.

Each grader of a random function states FALSE_FAILURE_BOUND, the probability that a
correct implementation fails it, from the union bound over the tests it runs. Here that
statement is checked against the tests actually run (their recorded deltas), and every
correct solution is graded again with the grader's seeds shifted: the reference REPLAYS
times, the corpus's alternatives (other ways to draw, often the very same numbers)
ALTERNATIVE_REPLAYS times. None may lose a point. The closest a correct solution came to a
threshold (statistic / threshold) is printed per test (`pytest -s`).
"""

from __future__ import annotations

import pytest
from graders_support import points_of, student_with

from dlmath.course import corpora
from dlmath.engine import stats
from dlmath.engine.report import render
from dlmath.engine.runner import collect_cases, load_grader, run_case, run_exercise
from dlmath.kit import shifted_seeds

STATISTICAL = {  # exercise -> notebook holding its reference
    "04_probability/sample_normal": "distributions.ipynb",
    "05_initialization/normal_init": "initialization.ipynb",
    "05_initialization/xavier_uniform": "initialization.ipynb",
    "05_initialization/xavier_normal": "initialization.ipynb",
    "05_initialization/kaiming_uniform": "initialization.ipynb",
    "05_initialization/kaiming_normal": "initialization.ipynb",
}
REPLAYS = 200
ALTERNATIVE_REPLAYS = 25
SEED_STRIDE = 1000  # replay k shifts every grader seed by k * SEED_STRIDE


def corpus_of(exercise):
    assignment, notebook = exercise.partition("/")[0], STATISTICAL[exercise]
    return next(c for c in corpora() if (c.assignment, c.notebook) == (assignment, notebook))


def correct_solutions(exercise):
    """(name, solution or None for the reference) of every correct solution of `exercise`."""
    function = exercise.partition("/")[2]
    right = [s for s in corpus_of(exercise).solutions if s.function == function and s.correct]
    return [("reference", None)] + [(s.name, s) for s in right]


CASES = [(e, name, s) for e in STATISTICAL for name, s in correct_solutions(e)]


def statistical_cases(module):
    """The cases that run statistical tests: the only ones a correct sampler could fail."""
    return [c for c in collect_cases(module) if c.id.startswith("test_distribution")]


@pytest.mark.parametrize("exercise", list(STATISTICAL))
def test_stated_bound_covers_the_tests_run(exercise):
    """FALSE_FAILURE_BOUND < 1e-9 and at least the sum of the deltas of the tests run."""
    module = load_grader(exercise)
    student = student_with(corpus_of(exercise), None)
    stats.RECORD.clear()
    for case in collect_cases(module):
        assert run_case(case, student).passed, case.title
    spent = sum(t.delta for t in stats.RECORD)
    print(f"\n{exercise}: {len(stats.RECORD)} statistical tests, union bound {spent:.2g}, "
          f"stated {module.FALSE_FAILURE_BOUND:.2g}")
    assert stats.RECORD, "no statistical test ran"
    assert spent <= module.FALSE_FAILURE_BOUND * (1 + 1e-9)
    assert module.FALSE_FAILURE_BOUND < 1e-9


@pytest.mark.parametrize("exercise, name, solution", CASES,
                         ids=[f"{e.partition('/')[2]}-{n.replace(' ', '_')}" for e, n, _ in CASES])
def test_no_spurious_failures(exercise, name, solution):
    """Reseeded gradings of a correct solution: every statistical case passes."""
    module = load_grader(exercise)
    replays = REPLAYS if solution is None else ALTERNATIVE_REPLAYS
    student = student_with(corpus_of(exercise), solution)
    cases = statistical_cases(module)
    worst: dict[str, float] = {}
    for k in range(1, replays + 1):
        with shifted_seeds(k * SEED_STRIDE):
            stats.RECORD.clear()
            for case in cases:
                result = run_case(case, student)
                assert result.passed, f"seed offset {k * SEED_STRIDE}: {result.message}"
        for test in stats.RECORD:
            worst[test.name] = max(worst.get(test.name, 0.0), test.margin)
    margins = ", ".join(f"{test} {margin:.2f}" for test, margin in sorted(worst.items()))
    print(f"\n{exercise} ({name}), {replays} replays; largest statistic / threshold: {margins}")
    assert worst and max(worst.values()) < 1.0


def test_full_marks_at_every_replayed_offset_for_the_reference():
    """The whole exercise, not only its statistical cases, at a few shifted seeds."""
    for exercise, notebook in STATISTICAL.items():
        corpus = corpus_of(exercise)
        points = points_of(corpus.assignment, notebook)[exercise]
        student = student_with(corpus, None)
        for k in (1, 17, REPLAYS):
            with shifted_seeds(k * SEED_STRIDE):
                result = run_exercise(exercise, student, points)
            assert result.score == points, render(result)
