"""The course in a real JupyterHub, driven through headless Chromium like its users would.

A site made by deploy/jupyterhub/setup_course.py in a temporary folder, real unix accounts (an
instructor and two students), PAM logins, the hub and its proxy on loopback with a subdomain
per user and for the course service (Chromium resolves *.localhost itself). The steps run in
order and share the site; each one leaves screenshots in the artefacts folder
(DLMATH_ARTIFACTS, default test-artifacts/jupyterhub).
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from hub_site import REPO, SETUP, Site, missing_requirements, new_site

from dlmath.check import check_notebook
from dlmath.notebooks import fill_solutions
from dlmath.sim.demo import CLASS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ASSIGNMENT = "01_linear_algebra"
NOTEBOOKS = ("linear_algebra.ipynb", "quiz.ipynb")
CHECKED, CHECKED_NOTEBOOK = "04_probability", "softmax_cross_entropy.ipynb"  # checks before submit
CHECKS_PER_HOUR = 2
CANARY = "CANARY-" + os.urandom(6).hex()  # planted beside the graders: never in a reply
STUDENTS = {"ada": CLASS[0], "cleo": CLASS[2]}  # the reference solution; realistic mistakes
# the roster setup_course.py imports: (first name, last name, email); cleo gave no email
NAMES = {"ada": ("Zoë", "Ngọc Trần", "zoe@example.org"),
         "cleo": ("Łukasz", "Brzęczyszczykiewicz", "")}
ARTIFACTS = Path(os.environ.get("DLMATH_ARTIFACTS", REPO / "test-artifacts")) / "jupyterhub"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
SLOW = 180_000  # ms: spawning a server or grading on a loaded 2-core machine

why_not = missing_requirements()
if why_not and not os.environ.get("DLMATH_REQUIRE_HUB_TEST"):
    pytest.skip(why_not, allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

# Each expectation waits up to 30 s, not Playwright's 5 s: on a loaded 2-core CI machine a
# save in JupyterLab once took longer to clear its tab's unsaved mark.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def site():
    if why_not:
        pytest.fail(f"the hub test is required here but cannot run: {why_not}")
    site = new_site()
    try:
        site.install(roster=write_roster(site))
        plant_check_settings(site)
        for role in ("inst", *STUDENTS):
            site.add_account(role)
        site.start(instructors=["inst"], students=list(STUDENTS))
        yield site
    finally:
        log = site.log_tail(400)
        site.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "hub.log").write_text(log)
        site.remove()


@pytest.fixture(scope="module")
def browser(site):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=CHROMIUM_FLAGS, env={"HOME": str(site.root)})
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(site, browser):
    """One logged-in browser context per person, kept across the steps."""
    opened: dict[str, Page] = {}

    def page(role: str) -> Page:
        if role not in opened:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(60_000)
            opened[role] = login(context.new_page(), site, role)
        return opened[role]
    yield page
    for p in opened.values():
        p.context.close()


def write_roster(site: Site) -> Path:
    path = site.root / "roster.csv"
    path.write_text("id,first_name,last_name,email\n" + "".join(
        f"{site.account_name(role)},{first},{last},{email}\n"
        for role, (first, last, email) in NAMES.items()), encoding="utf-8")
    return path


def plant_check_settings(site: Site) -> None:
    """A low rate limit to reach in the test, and a canary where only the grader may read."""
    config = site.course_root / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.DlmathCheck.checks_per_hour = {CHECKS_PER_HOUR}\n")
    canary = site.course_root / "autograders" / "canary.txt"
    canary.write_text(CANARY)
    grader = site.course_root.parent.stat()
    for path in (config, canary):
        os.chown(path, grader.st_uid, grader.st_gid)
    canary.chmod(0o600)


def login(page: Page, site: Site, role: str) -> Page:
    account = site.user(role)
    page.goto(f"{site.url}/hub/login")
    page.fill("#username_input", account.name)
    page.fill("#password_input", account.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(r"/(lab|spawn-pending|home)"), timeout=SLOW)
    return page


shots: list[str] = []


def shot(page: Page, name: str) -> None:
    path = ARTIFACTS / f"{len(shots) + 1:02d}-{name}.png"
    page.screenshot(path=path)
    shots.append(path.name)


# --- the instructor's side: the formgrader inside the course service's JupyterLab ---------

def open_formgrader(page: Page, site: Site):
    page.goto(f"{site.service_url}/lab?reset")
    page.get_by_text("Nbgrader", exact=True).click()
    page.locator("#jp-mainmenu-nbgrader").get_by_text("Formgrader", exact=True).click()
    frame = page.frame_locator("iframe.formgrader-iframe, iframe").first
    expect(frame.get_by_text("Manage Assignments").first).to_be_visible(timeout=SLOW)
    return frame


def assignment_row(frame, assignment: str = ASSIGNMENT):
    return frame.locator("tr", has=frame.locator("td.name", has_text=assignment))


def press(frame, button, page: Page, screenshot: str) -> str:
    """Press a formgrader button, wait for its report, keep a screenshot; the report's text."""
    button.click()
    modal = frame.locator("#success-modal, #error-modal").first
    expect(modal.locator(".modal-title")).to_be_visible(timeout=SLOW)
    text = modal.inner_text()
    shot(page, screenshot)
    modal.locator(".modal-footer button").first.click()
    expect(modal).to_be_hidden()
    assert "Success" in text, text
    return text


# --- a student's side: JupyterLab with the Assignments panel -----------------------------

def assignments_panel(page: Page, site: Site, role: str) -> Page:
    page.goto(f"{site.server_url(role)}/lab?reset", timeout=SLOW)
    page.get_by_text("Nbgrader", exact=True).click()
    page.get_by_text("Assignment List", exact=True).click()
    expect(page.locator("#released_assignments_list")).to_be_visible()
    return page


def fill_in(page: Page, site: Site, role: str, notebook: str, answers: dict[str, str],
            assignment: str = ASSIGNMENT) -> None:
    """Type each answer into its solution cell in JupyterLab and save."""
    page.goto(f"{site.server_url(role)}/lab/tree/dlmath/{assignment}/{notebook}")
    released = nbformat.read(REPO / "release" / assignment / notebook, as_version=4)
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(released.cells), timeout=SLOW)
    for index, cell in enumerate(released.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            # JupyterLab lays out only the cells in view: one below it has an editor with
            # no size, which a click waits on as "not visible" (a CI run: cleo's 4th cell)
            cells.nth(index).scroll_into_view_if_needed()
            if cell.cell_type == "markdown":  # rendered, it hides its editor until opened
                cells.nth(index).dblclick()
            cells.nth(index).locator(".cm-content").click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(answers[grade_id])  # no auto-closed brackets
    save(page, f"{role}-{notebook}")
    saved = site.user(role).home / "dlmath" / assignment / notebook
    deadline = time.monotonic() + 30
    while solution_sources(saved, answers) != answers and time.monotonic() < deadline:
        time.sleep(0.5)
    assert solution_sources(saved, answers) == answers, "what was typed is not what was saved"


def save(page: Page, name: str, attempts: int = 3) -> None:
    """Save the open notebook with Ctrl+S, again if the tab stays unsaved: on a loaded machine
    the keystroke once went nowhere (the tab never left its unsaved state in 30 s). Each new
    attempt first activates the notebook's tab. A save that never happens fails with what
    the page showed (a dialog's text, and a screenshot among the artifacts)."""
    tab = page.locator(".lm-TabBar-tab.jp-mod-current")
    dirty = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")
    for attempt in range(attempts):
        if attempt:
            tab.first.click()
        page.keyboard.press("Escape")
        page.keyboard.press("Control+s")
        try:
            expect(dirty).to_have_count(0, timeout=15_000)
            return
        except AssertionError:
            continue
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    shot(page, f"{name}-not-saved")
    raise AssertionError(f"{name} was not saved after {attempts} presses of Ctrl+S; "
                         f"dialogs shown: {dialogs or 'none'}")


def fetch(page: Page, assignment: str) -> None:
    """Press Fetch on one released assignment's row."""
    row = page.locator("#released_assignments_list .list_item").filter(has_text=assignment)
    row.get_by_role("button", name="Fetch").click()
    expect(page.locator("#fetched_assignments_list")).to_contain_text(assignment, timeout=SLOW)


def solution_sources(path: Path, answers: dict[str, str]) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source
            for c in nbformat.read(path, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("grade_id") in answers}


def expected_notebook(tmp: Path, notebook: str, answers: dict[str, str]) -> Path:
    path = tmp / notebook
    nb = nbformat.read(REPO / "release" / ASSIGNMENT / notebook, as_version=4)
    nbformat.write(fill_solutions(nb, answers), path)
    return path


# --- the steps ----------------------------------------------------------------------------

def test_1_instructor_generates_and_releases(site, pages):
    page = pages("inst")
    frame = open_formgrader(page, site)
    shot(page, "instructor-formgrader")
    for assignment in (ASSIGNMENT, CHECKED):
        row = assignment_row(frame, assignment)
        press(frame, row.locator("td.assign a"), page, f"instructor-generated-{assignment}")
        press(frame, row.locator("td.release a"), page, f"instructor-released-{assignment}")
        expect(row.locator("td.status")).to_have_text("released")
    assert (site.exchange / "dlmath" / "outbound" / ASSIGNMENT / "quiz.ipynb").exists()


@pytest.mark.parametrize("role", list(STUDENTS))
def test_2_student_fetches_fills_validates_submits(site, pages, role):
    page = assignments_panel(pages(role), site, role)
    fetch(page, ASSIGNMENT)
    shot(page, f"{role}-fetched")

    for notebook in NOTEBOOKS:
        answers = STUDENTS[role].answer(ASSIGNMENT, notebook)
        fill_in(page, site, role, notebook, answers)
    page.get_by_role("button", name="Validate").first.click()  # the notebook's toolbar
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_be_visible(timeout=SLOW)
    expect(dialog).to_contain_text(re.compile("Success|Validat|failed|passed", re.I))
    shot(page, f"{role}-validated")
    dialog.get_by_role("button").last.click()

    page = assignments_panel(page, site, role)
    page.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
    expect(page.locator("#submitted_assignments_list")).to_contain_text(ASSIGNMENT, timeout=SLOW)
    shot(page, f"{role}-submitted")


@pytest.fixture(scope="module")
def expected(site, tmp_path_factory) -> dict[str, dict[str, tuple[float, float]]]:
    """(score, possible) per student and notebook from `dlmath check`, an independent path,
    with the site's graders and its secret seed (the final grading's inputs derive from it)."""
    tmp = tmp_path_factory.mktemp("expected")
    os.environ["DLMATH_AUTOGRADERS"] = str(site.course_root / "autograders")
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for role, student in STUDENTS.items():
        (tmp / role).mkdir()
        out[role] = {}
        for nb in NOTEBOOKS:
            path = expected_notebook(tmp / role, nb, student.answer(ASSIGNMENT, nb))
            report = check_notebook(path, ASSIGNMENT)
            out[role][nb] = (report.score, report.possible)
    del os.environ["DLMATH_AUTOGRADERS"]
    return out


def total(scores: dict[str, tuple[float, float]]) -> tuple[float, float]:
    return sum(s for s, _ in scores.values()), sum(p for _, p in scores.values())


def test_3_instructor_collects_and_autogrades(site, pages, expected):
    assert total(expected["ada"])[0] == total(expected["ada"])[1] > total(expected["cleo"])[0] > 0

    page = pages("inst")
    frame = open_formgrader(page, site)
    press(frame, assignment_row(frame).locator("td.collect a"), page, "instructor-collected")
    assignment_row(frame).locator("td.num-submissions a").click()
    for role in STUDENTS:
        row = frame.locator("tr", has=frame.locator("td.student-id",
                                                     has_text=site.user(role).name))
        press(frame, row.locator("td.autograde a"), page, f"instructor-autograded-{role}")
        score, possible = total(expected[role])
        expect(row.locator("td.score")).to_have_text(f"{fmt(score)} / {fmt(possible)}")
    shot(page, "instructor-scores")


def test_3b_the_formgrader_names_the_students(site, pages):
    """Manage Students shows each student as "last name, first name" from the roster, an
    empty email as nothing, and never "None"."""
    kept = (site.course_root / "roster.csv").stat()  # the grader's, and only the grader's
    assert kept.st_uid == site.course_root.stat().st_uid and kept.st_mode & 0o077 == 0
    page = pages("inst")
    frame = open_formgrader(page, site)
    frame.get_by_role("link", name="Manage Students").first.click()
    for role, (first, last, email) in NAMES.items():
        row = frame.locator("tr", has=frame.locator("td.id", has_text=site.user(role).name))
        expect(row.locator("td.name")).to_have_text(f"{last}, {first}", timeout=SLOW)
        expect(row.locator("td.email")).to_have_text(email)
    expect(frame.locator("table").first).not_to_contain_text("None")
    shot(page, "instructor-students")


def test_3c_setup_refuses_a_malformed_roster(site, tmp_path):
    """Before the course changes, with the file and the line."""
    bad = tmp_path / "roster.csv"
    bad.write_text("id,first_name,last_name,email\nada,Ada,Lovelace,\nada,Ada,Again,\n")
    spec = importlib.util.spec_from_file_location("setup_course", SETUP)
    setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup)
    with pytest.raises(SystemExit) as refused:
        setup.check_roster(site.prefix, bad)
    assert str(refused.value) == (f"setup_course: {bad}, line 3: the id 'ada' again "
                                  "(first on line 2)")


def fmt(x: float) -> str:
    """A number as the formgrader shows it (rounded to 2 places, no trailing zeros)."""
    return f"{round(x, 2):g}"


def test_4_feedback_reaches_each_student_alone(site, pages, expected):
    page = pages("inst")
    frame = open_formgrader(page, site)
    press(frame, assignment_row(frame).locator("td.generate-feedback a"), page,
          "instructor-feedback-generated")
    press(frame, assignment_row(frame).locator("td.release-feedback a"), page,
          "instructor-feedback-released")

    for role in STUDENTS:
        page = assignments_panel(pages(role), site, role)
        page.locator("#submitted_assignments_list").get_by_role(
            "button", name="Fetch Feedback").click()
        feedback = site.user(role).home / "dlmath" / ASSIGNMENT / "feedback"
        expect(page.locator("#submitted_assignments_list")).to_contain_text(
            re.compile("view feedback", re.I), timeout=SLOW)
        reports = sorted(feedback.glob("*/linear_algebra.html"))
        assert len(reports) == 1, f"{role} should have exactly one report: {reports}"
        html = reports[0].read_text(encoding="utf-8")
        score, possible = expected[role]["linear_algebra.ipynb"]
        first, last, _ = NAMES[role]  # the page names its student from the roster
        heading = (f"linear_algebra: {first} {last} ({site.user(role).name}) (Score: "
                   f"{float(round(score, 2))} / {float(round(possible, 2))})")
        assert heading in " ".join(html.split()), heading
        assert "BEGIN HIDDEN TESTS" not in html and "dlmath.grade" not in html
        relative = reports[0].relative_to(site.user(role).home)
        page.goto(f"{site.server_url(role)}/files/{relative}")
        expect(page.get_by_text("linear_algebra").first).to_be_visible()
        expect(page.locator("math").first).to_be_visible()  # typeset, with no MathJax
        text = page.inner_text("body")
        assert "$" not in text and "\\frac" not in text and "\\top" not in text
        shot(page, f"{role}-feedback")


def test_4b_instructors_reach_the_class_report_and_students_do_not(site, pages):
    """The report is a file of the course directory, served by the course service, which
    only the formgrade group may access."""
    done = site.run_as("grader", site.prefix / "venv" / "bin" / "dlmath", "report", ASSIGNMENT,
                       "--course", site.course_root)
    assert done.returncode == 0, done.stdout + done.stderr
    url = f"{site.service_url}/files/reports/{ASSIGNMENT}.html"
    page = pages("inst")
    page.goto(url, timeout=SLOW)
    expect(page.get_by_text("How to read it").first).to_be_visible(timeout=SLOW)
    shot(page, "instructor-class-report")
    student = pages("ada")
    student.goto(url, timeout=SLOW)
    assert "How to read it" not in student.content()
    shot(student, "ada-class-report-refused")


def test_5_students_cannot_read_the_course_or_each_other(site):
    ada_work = site.user("ada").home / "dlmath" / ASSIGNMENT / "linear_algebra.ipynb"
    secrets = [
        ("ls", site.course_root),
        ("cat", site.course_root / "autograders" / ASSIGNMENT / "test_matmul.py"),
        ("cat", site.course_root / "source" / ASSIGNMENT / "linear_algebra.ipynb"),
        ("cat", site.course_root / "gradebook.db"),
        ("ls", site.exchange / "dlmath" / "inbound"),
        ("ls", site.exchange / "dlmath" / "feedback"),
        ("cat", ada_work),
    ]
    for command, path in secrets:
        assert path.exists() or command == "ls", path
        done = site.run_as("cleo", command, path)
        assert done.returncode != 0 and "Permission denied" in done.stderr, (command, path, done)
    # ... while what is meant for them stays readable.
    released = site.exchange / "dlmath" / "outbound" / ASSIGNMENT / "quiz.ipynb"
    assert site.run_as("cleo", "cat", released).returncode == 0


def test_5b_the_grader_account_grades_with_every_protection(site):
    """The service is no root: sealed grading must still get all its protections."""
    snippet = ("from dlmath.sealed.student import open_sources\n"
               "with open_sources(['x = 1']) as sub:\n"
               "    print('missing:', sub.missing)\n")
    done = site.run_as("grader", site.prefix / "venv" / "bin" / "python", "-c", snippet)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "missing: []", done.stdout


def test_6_only_the_course_service_may_be_framed(site, pages):
    """JupyterHub forbids framing; the formgrader (framed by its own JupyterLab) alone may."""
    service = pages("inst").goto(f"{site.service_url}/formgrader/manage_assignments")
    assert service.headers["content-security-policy"] == "frame-ancestors 'self'"
    own = pages("ada").goto(f"{site.server_url('ada')}/lab")
    assert "frame-ancestors 'none'" in own.headers["content-security-policy"]
    (ARTIFACTS / "screenshots.txt").write_text("\n".join(shots) + "\n")


# --- checks before submitting: the hidden grader, asked from a notebook --------------------

NO_SHIFT = ("def log_softmax(z, axis=-1):\n"
            "    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))")
STABLE = ("def log_softmax(z, axis=-1):\n"
          "    m = np.max(z, axis=axis, keepdims=True)\n"
          "    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))")
REPORT = re.compile(r"points|allowed|own work|accept|reached|could not|refused", re.I)
check_seconds: list[float] = []


def run_cell(page: Page, code: str, wait: bool = True):
    """Add a cell at the end of the open notebook, run it; (its output, seconds from
    pressing run to the report), or the output's locator when not waiting."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    count = cells.count()
    cells.nth(count - 1).locator(".cm-content").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    expect(cells).to_have_count(count + 1)
    cells.nth(count).locator(".cm-content").click()
    page.keyboard.insert_text(code)
    started = time.monotonic()
    page.keyboard.press("Shift+Enter")
    output = cells.nth(count).locator(".jp-OutputArea-output")
    if not wait:
        return output, started
    expect(output.first).to_contain_text(REPORT, timeout=SLOW)
    return output.first.inner_text(), time.monotonic() - started


def open_checked(page: Page, site: Site, role: str, answers: dict[str, str]) -> None:
    fill_in(page, site, role, CHECKED_NOTEBOOK, answers, CHECKED)


def _on_this_machine(url: str) -> bool:
    """The hub's own addresses (each user's subdomain of localhost), or no address at all."""
    host = urlparse(url).hostname or ""
    return url.startswith(("data:", "blob:")) or host in ("localhost", "127.0.0.1") \
        or host.endswith(".localhost")


def test_7_a_student_checks_before_submitting(site, pages):
    page = assignments_panel(pages("ada"), site, "ada")
    fetch(page, CHECKED)
    elsewhere: list[str] = []  # JupyterLab typesets the notebook's math itself
    page.on("request", lambda r: None if _on_this_machine(r.url) else elsewhere.append(r.url))
    open_checked(page, site, "ada", {"log_softmax_solution": NO_SHIFT})
    expect(page.locator(".jp-RenderedMarkdown mjx-container").first).to_be_visible(timeout=SLOW)
    assert elsewhere == [], elsewhere
    # the first run also starts the kernel: not timed
    output, _ = run_cell(page, "from dlmath import check; check('log_softmax')")
    assert "log_softmax:" in output and "overflow encountered in exp" in output, output
    assert "log-sum-exp" in output and "/ 3 points" in output and "3 / 3" not in output
    shot(page, "ada-check-wrong-log-softmax")

    open_checked(page, site, "ada", {"log_softmax_solution": STABLE})
    output, seconds = run_cell(page, "check('log_softmax')")
    check_seconds.append(seconds)
    assert "log_softmax: 3 / 3 points" in output, output
    shot(page, "ada-check-right-log-softmax")

    output, _ = run_cell(page, "check('log_softmax')")
    assert "next check is allowed at" in output, output
    shot(page, "ada-check-too-often")
    for _ in range(2):  # other exercises are still open to her: timed
        output, seconds = run_cell(page, "check('softmax')")
        check_seconds.append(seconds)
        assert "softmax:" in output, output
    (ARTIFACTS / "check-seconds.txt").write_text(
        f"median {sorted(check_seconds)[len(check_seconds) // 2]:.2f} s of "
        f"{[round(s, 2) for s in check_seconds]}\n")


def test_8_checks_are_refused_to_anyone_but_the_owner(site, pages):
    cleo = site.user("cleo").name
    page = pages("ada")
    ask = ("from dlmath.hub.client import send; import os, json; "
           "url = os.environ['DLMATH_CHECK_URL'] + 'check'; "
           f"req = {{'assignment': '{CHECKED}', 'notebook': '{CHECKED_NOTEBOOK}', "
           "'exercise': 'cross_entropy', 'content': '{}'}; ")
    output, _ = run_cell(page, ask + f"print(send(url, os.environ['JUPYTERHUB_API_TOKEN'], "
                                     f"dict(req, student='{cleo}')))")
    assert "You can check only your own work." in output, output
    output, _ = run_cell(page, ask + "print(send(url, 'forged' * 4, req))")
    assert "did not accept" in output, output
    import urllib.error
    import urllib.request
    with pytest.raises(urllib.error.HTTPError) as refused:  # no token at all
        urllib.request.urlopen(urllib.request.Request(site.check_url, data=b"{}", method="POST"))
    assert refused.value.code in (401, 403)


def test_9_a_hostile_check_gets_nothing_and_harms_nobody(site, pages):
    """cleo's code tries to read the canary beside the graders, then loops; ada's check runs
    at the same time and gets her own report."""
    page = assignments_panel(pages("cleo"), site, "cleo")
    fetch(page, CHECKED)
    canary = site.course_root / "autograders" / "canary.txt"
    open_checked(page, site, "cleo", {
        "log_softmax_solution": f"def log_softmax(z, axis=-1):\n    raise ValueError("
                                f"open({str(canary)!r}).read())",
        "softmax_solution": "def softmax(z, axis=-1):\n    while True:\n        pass"})
    output, _ = run_cell(page, "from dlmath import check; check('log_softmax')")
    assert CANARY not in output and ("PermissionError" in output or "FileNotFound" in output
                                     or "Errno" in output), output
    looping, _ = run_cell(page, "check('softmax')", wait=False)
    ada = pages("ada")
    output, _ = run_cell(ada, "check('cross_entropy')")
    assert "cross_entropy:" in output, output
    expect(looping.first).to_contain_text("did not finish", timeout=SLOW)
    shot(page, "cleo-check-loop")
    log = site.log_tail(2000)
    assert CANARY not in log
