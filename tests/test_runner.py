"""The in-process runner: pytest marks expanded, weights, timeouts, grader failures."""

import os
import textwrap

import pytest

from dlmath.engine.runner import collect_cases, load_grader, run_exercise
from dlmath.engine.student import CallLimits, LocalStudent, exec_cells

GRADER = '''
import pytest
from dlmath.engine.compare import expect_close
from dlmath.engine.results import note


@pytest.mark.parametrize("x", [1.0, 2.0, pytest.param(3.0, id="three")])
@pytest.mark.parametrize("k", [10, 20])
def test_scale(student, x, k):
    """scales {x} by {k}"""
    expect_close(student.scale(x, k), x * k)


@pytest.mark.weight(4)
def test_zero(student):
    expect_close(student.scale(0.0, 5), 0.0)
    note("zero stays zero")


def test_grader_bug(student):
    return [][1]
'''


@pytest.fixture
def graders(tmp_path, monkeypatch):
    folder = tmp_path / "99_demo"
    folder.mkdir()
    (folder / "test_scale.py").write_text(GRADER)
    monkeypatch.setenv("DLMATH_AUTOGRADERS", str(tmp_path))
    return tmp_path


def student(code: str) -> LocalStudent:
    namespace: dict = {}
    exec_cells([textwrap.dedent(code)], namespace)
    return LocalStudent(namespace, [code], CallLimits(0.3))


def test_parametrize_expands_like_pytest(graders):
    cases = collect_cases(load_grader("99_demo/scale"))
    ids = [c.id for c in cases]
    assert len(cases) == 6 + 2
    assert "test_scale[10-three]" in ids
    assert cases[0].title == "scales 1.0 by 10"
    assert next(c for c in cases if c.id == "test_zero").weight == 4


def test_weights_and_grader_errors(graders):
    result = run_exercise("99_demo/scale", student("def scale(x, k):\n    return x * k"), 11)
    assert [c.outcome for c in result.cases][-1] == "error"
    assert "could not be checked: IndexError" in result.cases[-1].message
    assert result.score == 10.0  # 6 + 4 of 11 weights
    assert next(c for c in result.cases if c.group == "test_zero").message == "zero stays zero"


def test_timeout_stops_the_rest_of_the_exercise(graders):
    looping = student("def scale(x, k):\n    while True:\n        pass")
    result = run_exercise("99_demo/scale", looping, 11)
    assert result.score == 0
    assert "did not finish" in result.cases[0].message
    assert all(c.message.startswith("not run") for c in result.cases[1:])


def test_bad_exercise_ids_rejected():
    for bad in ["../x/y", "noslash", "01/../../etc"]:
        with pytest.raises((ValueError, FileNotFoundError)):
            load_grader(bad)


def test_same_cases_as_pytest_collects():
    """The graders are real pytest modules: pytest and the runner see the same cases."""
    import subprocess
    import sys

    from dlmath.course import autograders_dir

    folder = autograders_dir() / "01_linear_algebra"
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                           "no:cacheprovider", str(folder)], capture_output=True, text=True,
                          cwd=autograders_dir().parent)
    collected = {line.split("::", 1)[1] for line in done.stdout.splitlines() if "::" in line}
    ours = {f"{c.id}" for path in sorted(folder.glob("test_*.py"))
            for c in collect_cases(load_grader(f"01_linear_algebra/{path.stem[5:]}"))}
    assert collected and collected == ours


def test_forbidden_check_is_worth_only_what_the_function_earns():
    """Returning None uses no forbidden call, and earns nothing for it."""
    lazy = student("def transpose(A):\n    return None")
    assert run_exercise("01_linear_algebra/transpose", lazy, 2).score == 0
    half = student("import numpy as np\ndef transpose(A):\n"
                   "    return np.array([[A[i][j] for i in range(A.shape[0])]\n"
                   "                     for j in range(A.shape[1])]) if A.shape[0] > 1 else A")
    result = run_exercise("01_linear_algebra/transpose", half, 2)
    forbidden = next(c for c in result.cases if c.group == "test_no_forbidden_calls")
    assert forbidden.passed and 0 < forbidden.credit < 1 and 0 < result.score < 2


def test_forbidden_checks_weigh_half_their_exercise():
    """README: a forbidden call costs half the exercise; every grader keeps to that."""
    from dlmath.course import autograders_dir

    for path in sorted(autograders_dir().glob("*/test_*.py")):
        module = load_grader(f"{path.parent.name}/{path.stem[5:]}")
        if hasattr(module, "FORBIDDEN"):
            cases = collect_cases(module)
            gated = sum(c.weight for c in cases if c.id == "test_no_forbidden_calls")
            assert gated == sum(c.weight for c in cases) - gated, path


PROPERTY_GRADER = '''
import pytest
from dlmath.engine.compare import expect_close


@pytest.mark.parametrize("x", [1.0, 2.0, 3.0])
def test_values(student, x):
    """scales {x} by 10"""
    expect_close(student.scale(x, 10), x * 10)


@pytest.mark.property
@pytest.mark.weight(3)
def test_zero(student):
    """zero stays zero"""
    expect_close(student.scale(0.0, 10), 0.0)
'''


@pytest.mark.parametrize("code, score", [
    ("def scale(x, k):\n    return 0.0", 0.0),  # passes only the property: earns nothing
    ("def scale(x, k):\n    return x * k if x < 3 else 0.0", 2 * (2 / 6 + 3 / 6 * 2 / 3)),
    ("def scale(x, k):\n    return x * k", 2.0),
])
def test_property_checks_earn_the_share_of_the_value_checks(graders, code, score):
    (graders / "99_demo" / "test_scale.py").write_text(PROPERTY_GRADER)
    result = run_exercise("99_demo/scale", student(code), 2)
    assert result.score == pytest.approx(score, abs=1e-6)
    zero = next(c for c in result.cases if c.group == "test_zero")
    assert zero.passed and (zero.credit == 1 or "a property check: worth" in zero.message)


def test_every_grader_has_a_value_check():
    """A grader made only of property checks would give nothing to anyone."""
    from dlmath.course import autograders_dir

    for path in sorted(autograders_dir().glob("*/test_*.py")):
        module = load_grader(f"{path.parent.name}/{path.stem[5:]}")
        assert any(not c.gated for c in collect_cases(module)), path


def test_a_grader_changed_since_it_was_loaded_is_loaded_again(graders):
    """A process that lives on (the formgrader's server, the check service) grades with the
    grader as it is now: edited, or a helper beside it edited; unchanged, it is kept."""
    from dlmath.engine.runner import refresh_graders

    folder = graders / "99_demo"
    (folder / "shared.py").write_text("FACTOR = 1\n")
    grader = folder / "test_scale.py"
    grader.write_text(GRADER + "\nfrom .shared import FACTOR\n")
    first = load_grader("99_demo/scale")
    assert not refresh_graders() and load_grader("99_demo/scale") is first
    assert len(collect_cases(first)) == 8

    grader.write_text(grader.read_text() + "\n\ndef test_more(student):\n    pass\n")
    assert refresh_graders()
    second = load_grader("99_demo/scale")
    assert second is not first and len(collect_cases(second)) == 9

    shared = folder / "shared.py"
    before = shared.stat().st_mtime_ns
    shared.write_text("FACTOR = 2\n")  # the same size: only its time differs
    os.utime(shared, ns=(before + 10**9, before + 10**9))  # whatever the clock's resolution
    assert refresh_graders() and load_grader("99_demo/scale").FACTOR == 2
    assert not refresh_graders()
