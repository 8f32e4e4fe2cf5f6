"""Where grading time goes (issue 23): the profile's attribution shares out a profile's
whole time, each category's functions less the other categories' inside them; and a tiny
profiled run of every grading path sees the student's cells and the graders' calls."""

import os
from collections import defaultdict
from dataclasses import dataclass, field
from io import StringIO

import pytest
from rich.console import Console

from dlmath.course import REPO_ROOT
from dlmath.sim import profile as P
from dlmath.sim.benchmark import print_report, run_benchmark, stock_pipelines, write_stock_config


@dataclass
class Node:
    """A call: the function (a dotted name, or a cProfile key), its own time, its calls."""

    function: str | tuple
    own: float
    calls: list["Node"] = field(default_factory=list)


def key(function) -> tuple:
    if isinstance(function, tuple):
        return function
    if function == "reference wrapper":
        return P.reference_wrapper()
    (found,) = P.keys_of(function)
    return found


def raw(root: Node) -> P.Raw:
    """The pstats table cProfile would make of this call tree (no recursion)."""
    tt, ct, nc = defaultdict(float), defaultdict(float), defaultdict(int)
    edges = defaultdict(lambda: [0, 0, 0.0, 0.0])

    def walk(node: Node, caller) -> float:
        me = key(node.function)
        total = node.own + sum(walk(child, me) for child in node.calls)
        tt[me] += node.own
        ct[me] += total
        nc[me] += 1
        if caller is not None:
            edge = edges[(caller, me)]
            edge[0] += 1
            edge[1] += 1
            edge[2] += node.own
            edge[3] += total
        return total

    walk(root, None)
    return {k: (nc[k], nc[k], tt[k], ct[k], {c: tuple(e) for (c, f), e in edges.items()
                                             if f == k}) for k in tt}


def leaf(function, own: float) -> Node:
    return Node(function, own)


S = "dlmath.sealed.student:"


def test_a_sealed_notebook_is_shared_out_without_overlap():
    restart = Node(f"{S}SealedStudent.call", 0.06, [Node(f"{S}Submission.worker_for", 0.0, [
        leaf(f"{S}Submission._start_worker", 0.03)])])
    reference = Node("reference wrapper", 0.0, [
        leaf("dlmath.engine.references:clear_cache", 0.07),  # stands for a reference
        leaf("dlmath.engine.references:input_digest", 0.01)])
    grading = Node(P.GRADE_CELL, 0.05, [Node(P.GRADE_EXERCISE, 0.01, [
        Node(P.RUN_EXERCISE, 0.02, [leaf(P.LOAD_GRADER, 0.5), restart, reference])])])
    sealed = Node(P.EXECUTES[0], 0.02, [
        Node(f"{S}Submission._start_worker", 0.03, [leaf(f"{S}Submission._run_cells", 0.04)]),
        grading, leaf(f"{S}Submission._run_cells", 0.02), leaf(P.DRAW_FIGURES, 0.04)])
    app = Node(P.NBGRADER_RUNS[0], 0.1, [
        leaf("nbformat:read", 0.05),
        leaf("nbgrader.converters.autograde:Autograde.init_assignment", 0.2),
        sealed,
        Node("dlmath.nbgrader.record:SaveGrades.preprocess", 0.1, [leaf(P.AUTOGRADES, 0.01)]),
        leaf("nbformat:writes", 0.03)])
    seconds = P.attribute(raw(app))
    expected = {P.STUDENT_CELLS: 0.03 + 0.04 + 0.03 + 0.02, P.GRADER_CALLS: 0.06,
                P.CHECKS: 0.05 + 0.01 + 0.02 + 0.01, P.REFERENCES: 0.07, P.FIGURES: 0.04,
                P.NOTEBOOK_IO: 0.08, P.GRADEBOOK: 0.2 + 0.1 + 0.01, P.NBGRADER: 0.1,
                P.REST: 0.02, P.LOADING: 0.5}
    assert seconds == pytest.approx(expected, abs=1e-9)
    assert sum(seconds.values()) == pytest.approx(sum(r[2] for r in raw(app).values()))


def test_the_floor_plotting_in_its_cells_is_figures():
    cell = Node(("<cell 3>", 1, "<module>"), 0.01, [
        leaf((os.path.join(os.sep, "x", "matplotlib", "pyplot.py"), 10, "plot"), 0.05)])
    check = Node(("check.py", 1, "check_notebook"), 0.01, [
        Node("dlmath.notebooks:read", 0.0, [leaf("nbformat:read", 0.02)]),
        Node("dlmath.engine.student:LocalRun.run_through", 0.0, [
            Node(P.EXEC_CELLS, 0.03, [cell])]),
        Node(P.GRADE_EXERCISE, 0.02, [leaf("dlmath.engine.student:LocalStudent.call", 0.04)])])
    seconds = P.attribute(raw(check))
    assert seconds == pytest.approx({
        P.STUDENT_CELLS: 0.04, P.FIGURES: 0.05, P.CHECKS: 0.02, P.GRADER_CALLS: 0.04,
        P.NOTEBOOK_IO: 0.02, P.REFERENCES: 0, P.GRADEBOOK: 0, P.NBGRADER: 0, P.REST: 0.01,
        P.LOADING: 0}, abs=1e-9)


def test_only_the_stock_row_rewrites_the_pipelines(tmp_path):
    from traitlets.config.loader import PyFileConfigLoader

    path = write_stock_config(tmp_path / "nbgrader_config.py")
    config = PyFileConfigLoader(path.name, str(path.parent)).load_config()
    stock = stock_pipelines()
    assert config.Autograde.sanitize_preprocessors == stock["sanitize_preprocessors"]
    assert config.Autograde.autograde_preprocessors == stock["autograde_preprocessors"]
    assert "nbgrader.preprocessors.execute.Execute" in stock["autograde_preprocessors"]
    assert not [p for pipeline in stock.values() for p in pipeline if "dlmath" in p]
    assert config.OverwriteCells.add_missing_cells  # the course's other settings stay


@pytest.mark.e2e
@pytest.mark.slow
def test_a_tiny_profiled_run_sees_where_the_time_goes(tmp_path):
    saved = dict(os.environ)  # run_benchmark points Jupyter's directories at its workdir
    try:
        result = run_benchmark(tmp_path, ["01_linear_algebra"], sizes=(), stock_students=0,
                               sealed_students=0, floor_students=0, profile_students=2,
                               hostile_every=0, log=lambda *_: None)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert [p.label for p in result.profiles] == [P.SEALED_AUTOGRADE, P.GRADE, P.FLOOR]
    course_config = (REPO_ROOT / "nbgrader_config.py").read_text()
    for copy in ("profile-sealed", "profile-grade"):  # the course's own config, as it is
        assert (tmp_path / copy / "course" / "nbgrader_config.py").read_text() == course_config
    for p in result.profiles:
        assert not p.problems, p.problems
        assert p.notebooks == 4  # two students, two notebooks
        shares = [p.share(name) for name in P.CATEGORIES]
        assert all(share >= 0 for share in shares), dict(zip(P.CATEGORIES, shares, strict=True))
        assert sum(shares) <= 1 + 1e-9
        assert p.share(P.STUDENT_CELLS) > 0 and p.share(P.GRADER_CALLS) > 0, p.seconds
        assert p.share(P.CHECKS) > 0
    sealed, grade, floor = result.profiles
    assert sealed.share(P.GRADEBOOK) > 0 and grade.share(P.GRADEBOOK) > 0
    assert sealed.share(P.NBGRADER) > 0 and floor.share(P.NBGRADER) == 0
    out = StringIO()
    print_report(result, Console(file=out, width=132), "test")
    assert "Where the time goes" in out.getvalue() and "workers 1" in out.getvalue()
