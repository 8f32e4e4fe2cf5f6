"""Points arithmetic: weights share the cell's points; the total never exceeds them."""

import pytest

from dlmath.engine.results import CaseResult, score_cases


def case(outcome, weight=1.0):
    return CaseResult("c", outcome, "", weight)


def test_weighted_share():
    cases, score = score_cases([case("passed", 3), case("failed", 1)], 4.0)
    assert score == 3.0
    assert [c.points for c in cases] == [3.0, 1.0]


def test_all_passed_is_exactly_possible():
    _, score = score_cases([case("passed")] * 7, 3.0)
    assert score == 3.0


def test_errors_earn_nothing():
    _, score = score_cases([case("error"), case("passed")], 2.0)
    assert score == 1.0


def test_no_cases_scores_zero():
    assert score_cases([], 5.0)[1] == 0.0


def test_rounding_never_exceeds_points():
    _, score = score_cases([case("passed")] * 2 + [case("failed")], 1.0)
    assert score == pytest.approx(2 / 3, abs=1e-6) and score <= 1.0


@pytest.mark.parametrize("cases, points", [([case("passed", -1)], 1.0), ([case("passed")], -1)])
def test_bad_input_rejected(cases, points):
    with pytest.raises(ValueError):
        score_cases(cases, points)


def test_partial_credit_of_a_gated_case():
    gated = CaseResult("c", "passed", "", 2.0, credit=0.5)
    assert score_cases([gated, case("passed", 2)], 4.0)[1] == 3.0
    with pytest.raises(ValueError):
        score_cases([CaseResult("c", "passed", "", 1.0, credit=1.5)], 1.0)
