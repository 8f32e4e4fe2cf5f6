"""Every grader against its corpus: right answers keep full marks, mistakes lose points
and the first message the student reads names the mistake, answers that do no work score
zero, and the reference solutions score the maximum."""

from __future__ import annotations

import pytest
from graders_support import exercise_id, points_of, student_with

from dlmath.course import corpora
from dlmath.engine.report import first_message, render
from dlmath.engine.runner import run_exercise

CORPORA = corpora()
CASES = [(c, s) for c in CORPORA for s in c.solutions]
NOTEBOOKS = sorted({(c.assignment, c.notebook) for c in CORPORA})


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=lambda v: str(v))
def test_reference_scores_full_marks(assignment, notebook):
    corpus = next(c for c in CORPORA if (c.assignment, c.notebook) == (assignment, notebook))
    student = student_with(corpus, None)
    for exercise, points in points_of(assignment, notebook).items():
        result = run_exercise(exercise, student, points)
        assert result.score == points, render(result)


@pytest.mark.parametrize("corpus, solution", CASES,
                         ids=[f"{c.assignment}-{s.id}" for c, s in CASES])
def test_corpus_solution(corpus, solution):
    exercise = exercise_id(corpus, solution)
    points = points_of(corpus.assignment, corpus.notebook)[exercise]
    result = run_exercise(exercise, student_with(corpus, solution), points)
    feedback = render(result)
    if solution.correct:
        assert result.score == points, feedback
        if not solution.function.startswith("quiz."):  # a quiz explains its right answer
            said = [c.message for c in result.cases if c.message]  # notes on passed checks
            assert not said, f"a right answer reads notes that are not true of it: {said}"
    elif solution.idle:
        assert result.score == 0, f"{solution.name} earned {result.score}:\n{feedback}"
    else:
        assert result.score < points, f"{solution.name} kept full marks:\n{feedback}"
        first = first_message(result)  # what the student reads first must name the mistake
        assert solution.diagnosis in first, f"first message:\n{first}\n\n{feedback}"
        unlabelled = [c.case for c in result.cases if not c.passed and c.named
                      and not c.diagnosis]  # the class report counts students by label
        assert not unlabelled, f"failures naming a cause without a diagnosis: {unlabelled}"


def test_every_graded_function_has_a_corpus():
    """At least two right and four wrong solutions for every exercise with a corpus."""
    for corpus in CORPORA:
        for exercise in points_of(corpus.assignment, corpus.notebook):
            function = exercise.partition("/")[2]
            mine = [s for s in corpus.solutions if s.function == function]
            if function.startswith("quiz."):
                assert any(not s.correct for s in mine), f"{exercise}: no wrong answer"
                continue
            right = sum(s.correct for s in mine)
            wrong = sum(s.mistake for s in mine)
            assert right >= 2 and wrong >= 4, f"{exercise}: {right} right, {wrong} wrong"
            idle = {s.name for s in mine if s.idle}
            assert len(idle) >= 3, f"{exercise}: {len(idle)} answers that do no work: {idle}"
