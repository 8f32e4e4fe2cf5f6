"""The feedback page a student reads (issue 20): every formula typeset when the page is made,
so it reads with no network; every score named at the top, linked to its cell, with the
first diagnosis of what lost points; nothing hidden shown.

The course: every assignment, one student with realistic mistakes in half the functions
(partial credit in each), graded by `dlmath grade`, feedback by `nbgrader generate_feedback`
with the course's config. (tests/test_e2e_nbgrader.py covers the `nbgrader autograde` path.)
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import nbgrader
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.api import Gradebook
from traitlets.config import Config

from dlmath.course import PACKAGE_DIR, autograders_dir, source_dir
from dlmath.nbgrader.course import Course
from dlmath.nbgrader.feedback import exercise_name
from dlmath.nbgrader.feedback_page import FeedbackPage, typeset, typeset_output
from dlmath.notebooks import fill_solutions, grade_calls, read
from dlmath.sim.demo import CLASS, notebooks_of, released_assignments

STUDENT = next(s for s in CLASS if s.id == "cleo")  # mistakes in half the functions
ASSIGNMENTS = released_assignments()
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
SECRETS = ("HIDDEN TESTS", "dlmath.grade", str(autograders_dir()), str(PACKAGE_DIR),
           "expect_close", "cdnjs", "mathjax")
CHROMIUM = Path("/usr/bin/chromium")


def markdown_html(source: str) -> str:
    exporter = FeedbackPage()
    return exporter.markdown2html({"cell": {}, "resources": {}}, source)


# --- the math ------------------------------------------------------------------------------

def test_every_formula_of_the_course_is_typeset():
    """Each markdown cell with math becomes MathML, none left as TeX (the fallback)."""
    cells = [c.source for a in ASSIGNMENTS for nb in sorted((source_dir() / a).glob("*.ipynb"))
             for c in read(nb).cells if c.cell_type == "markdown" and "$" in c.source]
    assert len(cells) > 50
    for source in cells:
        page = markdown_html(source)
        assert "<math" in page and 'class="tex"' not in page, source[:80]
        assert not re.search(r"\$[^$<]*\\[a-z]+", page), source[:80]


def test_a_formula_latex2mathml_cannot_read_stays_visible_as_code():
    assert typeset(r"\frac{1}{") .startswith('<code class="tex">\\frac{1}{')
    assert "<script" not in typeset("<script>alert(1)</script>")


def test_latex_outputs_are_typeset_and_other_latex_shown_as_text():
    assert typeset_output(r"$\frac{a}{b}$").startswith("<math")
    assert 'display="block"' in typeset_output(r"$$x^2$$")
    assert typeset_output(r"\begin{tabular}{c} a \end{tabular}").startswith("<pre>")


# --- the page as the template writes it ------------------------------------------------------

class NbconvertsPass(FeedbackPage):
    """The page as nbconvert's HTMLExporter makes it: with its BeautifulSoup pass over it."""

    def from_notebook_node(self, nb, resources=None, **kw):
        return HTMLExporter.from_notebook_node(self, nb, resources, **kw)


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()


def notebook(*outputs: dict) -> nbformat.NotebookNode:
    """Cells as the course's: markdown with math and code, twice (the second time from the
    caches), and each output in a cell of its own."""
    markdown = "# Title\nThe slope $f'(x)$ and $$\\sum_i x_i$$ <b>bold</b> &amp; more"
    printed = [new_output("stream", name="stdout", text="hi <b> & \n")]
    cells = [new_markdown_cell(markdown), new_code_cell("print('hi')", outputs=printed),
             *[new_code_cell("show()", outputs=[new_output(**output)]) for output in outputs],
             new_markdown_cell(markdown), new_code_cell("print('hi')", outputs=printed)]
    for count, cell in enumerate(cells):
        cell.id = f"cell-{count}"
        if cell.cell_type == "code":
            cell.execution_count = count
    return new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


def exporter(kind: type[FeedbackPage] = FeedbackPage) -> FeedbackPage:
    """As `nbgrader generate_feedback` makes it: bootstrap's stylesheet is nbgrader's."""
    css = Path(nbgrader.__file__).parent / "server_extensions/formgrader/static/node_modules" \
        / "bootstrap/dist/css"
    return kind(config=Config({"HTMLExporter": {"extra_template_paths": [str(css)]}}))


def page(exporter: FeedbackPage, nb: nbformat.NotebookNode) -> str:
    resources = {"nbgrader": {"notebook": "nb", "score": 1, "max_score": 2, "late_penalty": 0},
                 "dlmath": {"student": "", "scores": [], "headings": {}}}
    return exporter.from_notebook_node(nb, resources)[0]


def test_the_page_is_nbconverts_but_for_its_rewriting():
    """The same HTML as nbconvert's page: its BeautifulSoup pass, made over ours, writes
    nbconvert's page byte for byte. Markdown and code recurring on a page or the next are
    rendered once."""
    ours, theirs = exporter(), exporter(NbconvertsPass)
    text = {"output_type": "stream", "name": "stderr", "text": "<!-- a < b & c"}
    error = {"output_type": "error", "ename": "E", "evalue": "<v>", "traceback": ["E: <v>"]}
    for outputs in [(text,), (text, error), ()]:
        nb = notebook(*outputs)
        mine = page(ours, nb)
        assert str(BeautifulSoup(mine, features="html.parser")) == page(theirs, nb)
    assert ours.markdown.cache_info().hits >= 5
    (highlighter,) = ours.highlighters.values()
    assert highlighter.html.cache_info().hits >= 5


def test_every_figure_has_alternative_text():
    labelled = {"output_type": "display_data",
                "data": {"image/png": PNG, "text/plain": "<Figure size 700x350 with 1 Axes>"}}
    bare = {"output_type": "display_data", "data": {"image/png": PNG}}
    html = page(exporter(), notebook(labelled, bare))
    images = BeautifulSoup(html, features="html.parser").find_all("img")
    assert [img["alt"] for img in images] == ["<Figure size 700x350 with 1 Axes>",
                                              "No description has been provided for this image"]
    assert all(img["src"] == f"data:image/png;base64,{PNG}" for img in images)


# --- a graded class --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    course = Course.create(tmp_path_factory.mktemp("feedback"), ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        course.generate(assignment)
        submit(course, assignment)
        done = course.dlmath("grade", assignment)
        assert done.returncode == 0, done.stdout + done.stderr
        course.generate_feedback(assignment)
    return course


def submit(course: Course, assignment: str) -> None:
    """The student's notebooks, written where `nbgrader collect` puts them."""
    folder = course.root / "submitted" / STUDENT.id / assignment
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(TIMESTAMP)
    for name in notebooks_of(assignment):
        released = read(course.root / "release" / assignment / name)
        nbformat.write(fill_solutions(released, STUDENT.answer(assignment, name)),
                       str(folder / name))


def pages(course: Course) -> list[tuple[str, str, Path]]:
    return [(a, n, course.feedback(STUDENT.id, a) / n.replace(".ipynb", ".html"))
            for a in ASSIGNMENTS for n in notebooks_of(a)]


class Summary(HTMLParser):
    """The rows of the page's summary table: (points text, name, link target)."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.ids: set[str] = set()
        self._in_table = self._in_cell = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "table" and attrs.get("id") == "scores":
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append(["", "", ""])
        elif self._in_table and tag == "td" and "points" in (attrs.get("class") or ""):
            self._in_cell = True
        elif self._in_table and tag == "a" and self.rows and not self.rows[-1][1]:
            self.rows[-1][2] = attrs["href"].removeprefix("#")
            self._in_link = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        self._in_cell = self._in_link = False

    def handle_data(self, data):
        if self._in_table and self._in_cell:
            self.rows[-1][0] += data.strip()
        elif self._in_table and getattr(self, "_in_link", False):
            self.rows[-1][1] += data.strip()


def gradebook_cells(course: Course, assignment: str, notebook: str) -> dict[str, tuple]:
    """grade id -> (score, max score), as the gradebook has them."""
    with Gradebook(f"sqlite:///{course.gradebook}", "dlmath") as gb:
        nb = gb.find_submission_notebook(notebook.removesuffix(".ipynb"), assignment, STUDENT.id)
        return {g.name: (g.score, g.max_score) for g in nb.grades}


def points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def test_the_summary_names_every_score_as_the_gradebook_has_it(course):
    for assignment in ASSIGNMENTS:
        earned = possible = 0.0
        for _, name, page in [p for p in pages(course) if p[0] == assignment]:
            html = page.read_text()
            summary = Summary(html)
            cells = gradebook_cells(course, assignment, name)
            calls = {c.grade_id: c for c in grade_calls(read(source_dir() / assignment / name))}
            want = [[f"{points(cells[g][0])} / {points(cells[g][1])}",
                     exercise_name(calls[g].exercise_id), g] for g in calls]
            assert summary.rows == want, page
            assert set(calls) <= summary.ids  # each link lands on its graded cell
            for grade_id, (score, top) in cells.items():
                heading = f"{exercise_name(calls[grade_id].exercise_id)}: {points(score)} / " \
                          f"{points(top)}"
                assert heading in html  # the cell's own heading says the same
            earned += sum(s for s, _ in cells.values())
            possible += sum(t for _, t in cells.values())
        assert 0 < earned < possible, f"{assignment}: partial credit wanted"


def test_each_exercise_that_lost_points_shows_its_first_diagnosis(course):
    html = (course.feedback(STUDENT.id, "04_probability") / "softmax_cross_entropy.html"
            ).read_text()
    table = html[html.index('id="scores"'):html.index("</table>")]
    lost = re.findall(r'<tr class="lost">.*?</tr>', table, re.S)
    assert lost and all('class="diagnosis"' in row for row in lost)
    assert "summing over the batch instead of averaging" in table
    full = re.findall(r'<tr class="full">.*?</tr>', table, re.S)
    assert full and not any('class="diagnosis"' in row for row in full)


def test_the_pages_gain_nothing_hidden(course):
    for _, _, page in pages(course):
        html = page.read_text()
        for secret in SECRETS:
            assert secret not in html, f"{page} shows {secret!r}"
        assert "<script" not in html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")
def test_the_page_reads_offline_in_chromium(course, tmp_path):
    from playwright.sync_api import sync_playwright

    page_file = course.feedback(STUDENT.id, "04_probability") / "softmax_cross_entropy.html"
    shot = tmp_path / "feedback.png"
    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1300})
        page.route("**/*", lambda route: (requests.append(route.request.url), route.abort())
                   if not route.request.url.startswith("file:") else route.continue_())
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: requests.append(r.url)
                if not r.url.startswith("file:") else None)
        page.goto(page_file.as_uri())
        text = page.inner_text("body")
        math = page.locator("math").count()
        width = page.locator("math").first.bounding_box()["width"]
        page.screenshot(path=str(shot))
        browser.close()
    print(f"screenshot: {shot}")
    assert requests == [] and errors == []
    assert "$" not in text and "\\frac" not in text and "\\sum" not in text
    assert math > 20 and width > 0  # MathML elements, laid out
    for score, name, _ in Summary(page_file.read_text()).rows:  # the summary, as shown
        assert re.search(rf"{re.escape(score)}\s+{re.escape(name)}\b", text), name
