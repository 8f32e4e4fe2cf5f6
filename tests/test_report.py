"""The class report (dlmath/report): a planted class written straight into a temporary
gradebook (nbgrader's tables and `dlmath_cases`) and `submitted/`, then the report's page
and export read back; similarity on the corpora; the page in real Chromium; PostgreSQL."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import statistics
import tokenize
import warnings
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from nbgrader.api import Gradebook
from pg import postgres_server, server_bin

from dlmath.cli import main
from dlmath.course import corpora, corpus, release_dir, source_dir
from dlmath.gradebook import CASES, upgrade
from dlmath.notebooks import fill_solutions, read, reference_solutions
from dlmath.report import similarity, write_report
from dlmath.report.stats import discrimination
from dlmath.sim.demo import solution_cell

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT, NOTEBOOK = "04_probability", "softmax_cross_entropy"
EMPTY_ASSIGNMENT = "05_initialization"  # in the gradebook, nobody submitted it
MAX_SHIFT = "subtract the max along the axis"
WRONG_AXIS = "normalizing over axis 0 instead of -1"
GRADED = [f"s{i:02d}" for i in range(1, 21)]
FORGOT_MAX, AXIS_0 = GRADED[:7], GRADED[7:11]  # the rest are right
ORIGINAL, COPY, ALT_A, ALT_B = "s12", "s13", "s14", "s15"  # for the similarity
FAILED_TO_RUN, ABSENT = "s21", "s22"  # a submission without case rows; no submission
GRADED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# --- the planted class --------------------------------------------------------------------

def case_rows(student: str) -> list[dict]:
    """softmax: 4 cases of 0.75 (the max shift, the axis, two everyone passes);
    log_softmax: 3 of 1 (s01-s04 miss log-sum-exp, s15 fails another); cross_entropy: 2 of
    1.5 (everyone fails the second)."""
    fails = {
        ("softmax", 1): MAX_SHIFT if student in FORGOT_MAX else None,
        ("softmax", 2): WRONG_AXIS if student in AXIS_0 else None,
        ("log_softmax", 1): "use log-sum-exp" if student in GRADED[:4] else None,
        ("log_softmax", 2): "" if student == "s15" else None,
        ("cross_entropy", 1): "",
    }
    cases = {"softmax": ["matches torch on random logits", "large logits do not overflow",
                         "the axis argument is honoured", "rows sum to 1"],
             "log_softmax": ["matches torch", "very negative logits", "along axis 0"],
             "cross_entropy": ["matches torch", "averages over the batch"]}
    rows = []
    for exercise, titles in cases.items():
        share = 3 / len(titles)
        for position, title in enumerate(titles):
            diagnosis = fails.get((exercise, position))
            rows.append(dict(purpose="grade", student=student, assignment=ASSIGNMENT,
                             notebook=NOTEBOOK, exercise=exercise, position=position,
                             case_title=title, outcome="passed" if diagnosis is None
                             else "failed", points=share if diagnosis is None else 0.0,
                             possible=share, diagnosis=diagnosis or "", graded_at=GRADED_AT))
    return rows


def write_gradebook(db_url: str) -> None:
    """nbgrader's tables (roster, notebooks, submissions) and the final grading's cases;
    plus a check row, which the report must ignore."""
    with Gradebook(db_url, "dlmath") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # nbgrader's, adding a submission
        for assignment in (ASSIGNMENT, EMPTY_ASSIGNMENT):
            gb.add_assignment(assignment)
            for path in sorted((source_dir() / assignment).glob("*.ipynb")):
                gb.add_notebook(path.stem, assignment)
        for student in [*GRADED, FAILED_TO_RUN, ABSENT]:
            gb.add_student(student)
        for student in [*GRADED, FAILED_TO_RUN]:
            gb.add_submission(ASSIGNMENT, student)
    upgrade(db_url)
    rows = [r for s in GRADED for r in case_rows(s)]
    check = dict(rows[0], purpose="check", student=FAILED_TO_RUN, outcome="failed",
                 points=0.0, diagnosis="a check before submitting")
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.insert(CASES), [*rows, check])
    engine.dispose()


def alternatives(index: int | str) -> dict[str, str]:
    """The reference notebook with each function's correct alternative `index` ("last":
    the last one; an index that is the last or beyond: the reference)."""
    answers = reference(NOTEBOOK)
    by_function: dict[str, list] = {}
    for s in corpus(ASSIGNMENT, f"{NOTEBOOK}.ipynb"):
        if s.correct:
            by_function.setdefault(s.function, []).append(s)
    for function, options in by_function.items():
        if index == "last":
            answers[solution_cell(function)] = options[-1].source
        elif index < len(options) - 1:
            answers[solution_cell(function)] = options[index].source
    return answers


def reference(notebook: str, assignment: str = ASSIGNMENT) -> dict[str, str]:
    return reference_solutions(read(source_dir() / assignment / f"{notebook}.ipynb"))


def mistake(name: str) -> dict[str, str]:
    answers = reference(NOTEBOOK)
    wrong = next(s for s in corpus(ASSIGNMENT, f"{NOTEBOOK}.ipynb") if s.name == name
                 and s.function == "softmax")
    answers[solution_cell("softmax")] = wrong.source
    return answers


def write_submissions(root: Path) -> None:
    """submitted/<student>/04_probability/softmax_cross_entropy.ipynb for every submitter."""
    released = read(release_dir() / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    original = alternatives("last")
    answers = {ORIGINAL: original, COPY: {k: disguise(v) for k, v in original.items()},
               ALT_A: alternatives(0), ALT_B: alternatives(1), FAILED_TO_RUN: {}}
    for student in GRADED + [FAILED_TO_RUN]:
        mine = answers.get(student) or (mistake("no max shift") if student in FORGOT_MAX
                                        else mistake("always over axis 0") if student in AXIS_0
                                        else reference(NOTEBOOK))
        nb = fill_solutions(nbformat.from_dict(released), mine)
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / f"{NOTEBOOK}.ipynb"))


def make_course(base: Path, db_url: str | None = None) -> Path:
    root = base / "course"
    root.mkdir(parents=True)
    config = 'c = get_config()\nc.CourseDirectory.course_id = "dlmath"\n'
    if db_url:
        config += f"c.CourseDirectory.db_url = {db_url!r}\n"
    (root / "nbgrader_config.py").write_text(config)
    for folder in ("source", "release"):
        for assignment in (ASSIGNMENT, EMPTY_ASSIGNMENT):
            shutil.copytree(REPO / folder / assignment, root / folder / assignment)
    write_gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}")
    write_submissions(root)
    return root


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(course) -> tuple[BeautifulSoup, dict, Path]:
    html, data = write_report(course, ASSIGNMENT)
    assert (html.parent, html.name, data.name) == (course / "reports", "04_probability.html",
                                                   "04_probability.json")
    return BeautifulSoup(html.read_text(), "html.parser"), json.loads(data.read_text()), html


def test_a_report_written_again_replaces_the_old_one_whole(course, report):
    """A reader of the report while it is rewritten (the course service, another run) keeps
    the whole old file: the new one replaces it, it is never truncated and refilled."""
    html = report[2]
    html.write_text("the report of an earlier run")
    html.chmod(0o640)
    with html.open(encoding="utf-8") as reading:
        write_report(course, ASSIGNMENT)
        assert reading.read() == "the report of an earlier run"
    assert sorted(p.name for p in html.parent.iterdir()) == [
        "04_probability.html", "04_probability.json"]  # no partial file left
    assert html.stat().st_mode & 0o777 == 0o640
    assert BeautifulSoup(html.read_text(), "html.parser").find("h1")
    html.unlink()
    mask = os.umask(0o077)  # a new report follows the umask, as write_text did
    try:
        write_report(course, ASSIGNMENT)
    finally:
        os.umask(mask)
    assert html.stat().st_mode & 0o777 == 0o600


# --- disguising a copy --------------------------------------------------------------------

def disguise(code: str) -> str:
    """What a student hiding a copy does: every local name renamed, the functions of a cell
    in the opposite order, the comments replaced."""
    if not code.strip():
        return code
    tree = ast.parse(code)
    names = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)} | {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    tokens = [t._replace(string=f"my_{t.string}_value") if t.type == tokenize.NAME
              and t.string in names else t
              for t in tokenize.generate_tokens(io.StringIO(code).readline)]
    renamed = tokenize.untokenize(tokens)
    tree = ast.parse(renamed)
    parts = [ast.get_source_segment(renamed, node) for node in reversed(tree.body)]
    uncommented = [re.sub(r"\s*#.*$", "", line) for part in parts for line in
                   (part + "\n\n").splitlines()]
    return "# my own solution, written from scratch\n" + "\n".join(uncommented) + "\n"


def test_disguise_changes_the_text_but_not_the_program():
    code = alternatives("last")[solution_cell("log_softmax")]
    hidden = disguise(code)
    assert "_log_softmax_1d" not in hidden.splitlines()[1]  # the helper now comes second
    assert "my_z_value" in hidden and "# my own" in hidden and " z " not in hidden
    assert ast.dump(ast.parse(hidden).body[0].args) != ast.dump(ast.parse(code).body[0].args)


# --- (a) the planted distribution ---------------------------------------------------------

def test_the_planted_mistakes_are_counted_and_named(report):
    soup, data, _ = report
    softmax = next(e for e in data["exercises"] if e["exercise"] == "softmax")
    assert [(d["diagnosis"], d["count"], d["students"]) for d in softmax["diagnoses"]] == [
        (MAX_SHIFT, 7, FORGOT_MAX), (WRONG_AXIS, 4, AXIS_0)]
    assert softmax["students"] == 20 and softmax["full_marks"] == pytest.approx(9 / 20)
    assert softmax["mean"] == pytest.approx(3 - 0.75 * 11 / 20)
    assert softmax["distribution"] == [[2.25, 11], [3.0, 9]]
    rows = {tuple(td.get_text(" ", strip=True) for td in tr.find_all("td"))
            for tr in soup.find_all("tr")}
    assert (MAX_SHIFT, "7", ", ".join(FORGOT_MAX)) in rows
    assert (WRONG_AXIS, "4", ", ".join(AXIS_0)) in rows
    assert ("use log-sum-exp", "4", "s01, s02, s03, s04") in rows
    assert "a check before submitting" not in soup.get_text()  # checks are not the grading


def test_pass_rates_and_discrimination(report):
    _, data, _ = report
    exercises = {e["exercise"]: e for e in data["exercises"]}
    assert list(exercises) == ["softmax", "log_softmax", "cross_entropy"]  # notebook order
    cases = {(e, c["title"]): c for e, ex in exercises.items() for c in ex["cases"]}
    overflow = cases[("softmax", "large logits do not overflow")]
    assert (overflow["passed"], overflow["students"]) == (13, 20)
    assert overflow["pass_rate"] == pytest.approx(0.65)
    # point-biserial r against the rest of the assignment, recomputed by the standard library
    totals = {s: sum(r["points"] for r in case_rows(s)) for s in GRADED}
    passed = [s not in FORGOT_MAX for s in GRADED]
    rest = [totals[s] - (0.75 if ok else 0.0) for s, ok in zip(GRADED, passed, strict=True)]
    expected = statistics.correlation([float(p) for p in passed], rest)
    assert overflow["discrimination"] == pytest.approx(expected, abs=1e-6)
    assert data["totals"] == pytest.approx(totals)
    for everyone, why in [(("softmax", "rows sum to 1"), "everyone passed"),
                          (("cross_entropy", "averages over the batch"), "everyone failed")]:
        assert cases[everyone]["discrimination"] == "not informative"
        assert cases[everyone]["why_not_informative"] == why


def test_discrimination_is_none_when_it_says_nothing():
    assert discrimination([True, True], [1.0, 2.0]) == (None, "everyone passed")
    assert discrimination([False, False], [1.0, 2.0]) == (None, "everyone failed")
    assert discrimination([True, False], [2.0, 2.0])[0] is None
    assert discrimination([True, False, True], [3.0, 1.0, 2.0])[0] == pytest.approx(
        statistics.correlation([1.0, 0.0, 1.0], [3.0, 1.0, 2.0]))


def test_the_heat_map_puts_the_struggling_first(report):
    _, data, _ = report
    heat = data["heat_map"]
    assert heat["exercises"] == ["cross_entropy", "softmax", "log_softmax"]  # hardest first
    assert heat["students"][:4] == ["s01", "s02", "s03", "s04"]  # the most points missed
    assert heat["students"][-1] == "s20" and len(heat["students"]) == 20
    assert heat["shares"][0] == pytest.approx([0.5, 0.75, 2 / 3])


# --- (d) who is not in the numbers --------------------------------------------------------

def test_a_submission_without_results_and_an_absent_student_get_a_line(report):
    soup, data, _ = report
    notes = [p.get_text(" ", strip=True) for p in soup.select("p.note")]
    assert any(FAILED_TO_RUN in n and "without any graded case" in n for n in notes), notes
    assert any(ABSENT in n and "did not submit" in n for n in notes), notes
    assert data["students"]["without_results"] == [FAILED_TO_RUN]
    assert data["students"]["absent"] == [ABSENT]
    assert FAILED_TO_RUN not in data["heat_map"]["students"]


def test_an_assignment_without_submissions_gets_a_line(course, capsys):
    assert main(["report", "--all", "--course", str(course)]) == 0
    out = capsys.readouterr().out
    for assignment in (ASSIGNMENT, EMPTY_ASSIGNMENT):
        assert str(course / "reports" / f"{assignment}.html") in out
    data = json.loads((course / "reports" / f"{EMPTY_ASSIGNMENT}.json").read_text())
    assert data["notes"] == [f"No submissions of {EMPTY_ASSIGNMENT} yet: nothing to report."]
    assert data["exercises"] == [] and data["heat_map"] is None
    page = (course / "reports" / f"{EMPTY_ASSIGNMENT}.html").read_text()
    assert f"No submissions of {EMPTY_ASSIGNMENT} yet" in page


def test_the_command_names_a_missing_assignment(course, capsys):
    assert main(["report", "99_nothing", "--course", str(course)]) == 2
    assert "no assignment '99_nothing'" in capsys.readouterr().out
    assert main(["report", "--course", str(course)]) == 2


# --- (b) similarity -----------------------------------------------------------------------

def test_the_planted_copy_is_flagged_and_the_alternatives_are_not(report):
    soup, data, _ = report
    notebooks = {n["notebook"]: n for n in data["similarity"]["notebooks"]}
    mine = notebooks[NOTEBOOK]
    assert mine["students"] == 21
    assert [(p["first"], p["second"]) for p in mine["pairs"]] == [(ORIGINAL, COPY)]
    assert min(mine["pairs"][0]["similarity"]) >= similarity.SIMILAR
    assert all(n["pairs"] == [] for name, n in notebooks.items() if name != NOTEBOOK)
    pair = soup.select("div.pair")
    assert len(pair) == 1 and len(pair[0].select("pre")) == 2
    assert all(pre.select("mark") for pre in pair[0].select("pre"))  # shared regions marked
    assert "my_z_value" in pair[0].get_text()


def _notebooks():
    """Every corpus notebook with functions (a quiz's answers are one-liners)."""
    return [c for c in corpora() if not c.notebook.startswith("quiz")]


def _compare(c, students: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    hashes = similarity.boilerplate(release_dir() / c.assignment / c.notebook,
                                    source_dir() / c.assignment / c.notebook)
    subs = [similarity.Submission(name, tuple(answers.items())) for name, answers in
            students.items()]
    return [(p.first, p.second) for p in similarity.compare_notebook(c.notebook, subs,
                                                                      hashes).pairs]


def test_alternative_correct_solutions_are_never_flagged_against_each_other():
    """For every exercise of the course, two students who differ only there, each with
    another correct alternative, and whole notebooks of different alternatives."""
    checked = 0
    for c in _notebooks():
        ref = reference(c.notebook.removesuffix(".ipynb"), c.assignment)
        by_function: dict[str, list] = {}
        for s in c.solutions:
            if s.correct and solution_cell(s.function) in ref:
                by_function.setdefault(s.function, []).append(s)
        for function, options in by_function.items():
            for a, b in combinations(options, 2):
                students = {"a": {**ref, solution_cell(function): a.source},
                            "b": {**ref, solution_cell(function): b.source}}
                assert _compare(c, students) == [], (c.notebook, function, a.name, b.name)
                checked += 1
        whole = {f"alt{i}": {**ref, **{solution_cell(f): o[i].source for f, o in
                                       by_function.items() if len(o) > i}} for i in range(3)}
        assert _compare(c, whole) == [], c.notebook
    assert checked >= 60


def test_a_disguised_copy_of_any_notebook_is_flagged():
    """A student who wrote every function (an alternative or a mistake), copied with names
    changed, the functions and cells in another order and other comments."""
    for c in _notebooks():
        ref = reference(c.notebook.removesuffix(".ipynb"), c.assignment)
        own = {}
        for s in c.solutions:
            if not s.idle and solution_cell(s.function) in ref:
                own.setdefault(solution_cell(s.function), s.source)
        original = {**ref, **own}
        copy = dict(reversed([(k, disguise(v)) for k, v in original.items()]))
        assert _compare(c, {"original": original, "copy": copy, "reference": ref}) == [
            ("copy", "original")], c.notebook


def test_code_most_of_the_class_shares_is_not_evidence():
    """Seven students with the same short mistake and nothing else of their own."""
    c = next(c for c in corpora() if c.notebook == f"{NOTEBOOK}.ipynb")
    students = {f"s{i}": mistake("no max shift") for i in range(7)}
    hashes = similarity.boilerplate(release_dir() / ASSIGNMENT / c.notebook,
                                    source_dir() / ASSIGNMENT / c.notebook)
    subs = [similarity.Submission(n, tuple(a.items())) for n, a in students.items()]
    fps = [similarity.fingerprint(s, hashes) for s in subs]
    assert all(fp.hashes for fp in fps)
    assert similarity.drop_common(fps, len(fps)) > 0
    assert all(not fp.hashes for fp in fps)



def test_a_notebook_that_is_not_one_has_nothing_to_compare(tmp_path):
    """What a student hands in may be any file: it is skipped or read for what it holds."""
    files = {"junk": "not json", "list": "[1, 2]", "odd": json.dumps({"cells": [
        1, {"cell_type": "code", "metadata": {"nbgrader": "x"}, "source": "a = 1"},
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": 7}},
         "source": ["x = '\udcff'\n", "y = 2"]}]})}
    for student, text in files.items():
        folder = tmp_path / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{NOTEBOOK}.ipynb").write_text(text)
    subs = similarity.submissions(tmp_path, ASSIGNMENT, NOTEBOOK)
    assert [(s.student, s.cells) for s in subs] == [("odd", (("7", "x = '\ufffd'\ny = 2"),))]
    short = [similarity.Submission(str(n), (("a", "x = 1" * n),)) for n in range(12)]
    assert similarity.compare_notebook(NOTEBOOK, short, similarity.boilerplate(None, None)
                                       ).pairs == ()  # shorter than a k-gram, or just longer

# --- (c) the page in a real browser -------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


def open_offline(browser, html: Path, problems: list[str], requests: list[str]):
    """The page in a fresh context: every request but the page's own is recorded and
    refused, every console error or warning and page error recorded."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url == html.as_uri() else route.abort())
    page = context.new_page()
    page.on("request", lambda r: r.url != html.as_uri() and requests.append(r.url))
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(
        f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(html.as_uri(), wait_until="load")
    return page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")
def test_the_page_opens_offline_in_chromium_with_its_plots_visible(report, tmp_path):
    from playwright.sync_api import sync_playwright

    _, data, html = report
    leaky = tmp_path / "leaky.html"  # the checks below can fail: this page fails them
    leaky.write_text('<img src="http://192.0.2.1/plot.png"><script>console.error("x")</script>')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        try:
            caught: tuple[list, list] = ([], [])
            open_offline(browser, leaky, *caught).context.close()
            problems, requests = [], []
            page = open_offline(browser, html, problems, requests)
            plots = page.locator("figure svg")
            boxes = [plots.nth(i).bounding_box() for i in range(plots.count())]
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    print(f"\nscreenshot of the report: {shot}")
    assert caught[0] and "http://192.0.2.1/plot.png" in caught[1]
    assert problems == [] and requests == []
    # the totals, the heat map, the cases' map and one histogram per exercise
    assert len(boxes) == 3 + len(data["exercises"])
    assert all(b and b["width"] > 100 and b["height"] > 100 for b in boxes), boxes
    assert shot.stat().st_size > 50_000


# --- (e) the same report from PostgreSQL --------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(server_bin() is None, reason="PostgreSQL is not installed")
def test_postgresql_gives_the_same_report_as_sqlite(report, tmp_path):
    _, from_sqlite, _ = report
    with postgres_server() as url:
        root = make_course(tmp_path, url)
        html, data = write_report(root, ASSIGNMENT)
        from_postgres = json.loads(data.read_text())
    assert from_postgres == from_sqlite
    assert MAX_SHIFT in html.read_text()


def test_the_template_and_the_reference_are_not_evidence():
    """Two students who both hand in the reference solution are not flagged; without the
    boilerplate taken out they would be (so the exclusion is what keeps them apart)."""
    c = next(c for c in corpora() if c.notebook == f"{NOTEBOOK}.ipynb")
    same = [similarity.Submission(n, tuple(reference(NOTEBOOK).items())) for n in "ab"]
    assert similarity.compare_notebook(NOTEBOOK, same, similarity.boilerplate(
        release_dir() / ASSIGNMENT / c.notebook, source_dir() / ASSIGNMENT / c.notebook)
    ).pairs == ()
    assert [(p.first, p.second) for p in similarity.compare_notebook(
        NOTEBOOK, same, similarity.boilerplate(None, None)).pairs] == [("a", "b")]
