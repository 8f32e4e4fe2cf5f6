"""The class roster: names (any script) and emails (or none) reach the gradebook through the
real `nbgrader db student import`, and the formgrader and `nbgrader export` show them; a
student nobody named is shown by their id, never as "None, None"; a malformed roster is
refused with its file and line, and changes nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from course_support import ASSIGNMENT, STUDENTS, make_course
from nbgrader.api import Gradebook
from nbgrader.apps.api import NbGraderAPI

from dlmath.nbgrader.plan import load_config
from dlmath.nbgrader.roster import RosterError, name_everyone, names, read_roster
from dlmath.sim.demo import CLASS, DEMO_ROSTER

HEADER = "id,first_name,last_name,email\n"
ROSTER = HEADER + "ada,Zoë,Ngọc Trần,zoe@example.org\ncleo,Łukasz,Brzęczyszczykiewicz,\n"


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def shown(course) -> dict[str, tuple[str, str]]:
    """Student id -> (name, email) as the formgrader's Manage Students page shows them: its
    API's students, written out as nbgrader 0.9.6's manage_students.js writes them ("None"
    for a null part)."""
    def text(value: str | None) -> str:
        return "None" if value is None else value

    api = NbGraderAPI(config=load_config(course.root))
    return {s["id"]: (f"{text(s['last_name'])}, {text(s['first_name'])}", text(s["email"]))
            for s in api.get_students()}


# --- checking a roster (no nbgrader) ------------------------------------------------------

def test_a_roster_with_accents_and_an_empty_email_reads(tmp_path):
    """With a spreadsheet's BOM, spaces around cells, a blank line, and the empty email
    of the last student left out."""
    text = "\ufeff" + ROSTER.replace("ada,", " ada ,") + "\nnoor,,Noor\n"
    entries = read_roster(write(tmp_path, text))
    assert [(e.id, e.first_name, e.last_name, e.email) for e in entries] == [
        ("ada", "Zoë", "Ngọc Trần", "zoe@example.org"),
        ("cleo", "Łukasz", "Brzęczyszczykiewicz", ""), ("noor", "", "Noor", "")]


@pytest.mark.parametrize("text, message", [
    ("id,first_name,last_name\nada,Ada,Lovelace\n",
     "roster.csv, line 1: no column email; a roster's first line is "
     "id,first_name,last_name,email"),
    (ROSTER + "\nada,Ada,Lovelace,ada@example.org\n",
     "roster.csv, line 5: the id 'ada' again (first on line 2)"),
    (HEADER + "ada,Ada,Lovelace, Countess,ada@example.org\n",
     "roster.csv, line 2: 5 fields, but the header line has 4"),
    (HEADER + 'ada,Ada,"Lovelace, Countess",\n', "roster.csv, line 2: the last_name "
     "'Lovelace, Countess' holds a comma, a quote or a line break"),
    (HEADER + ",Ada,Lovelace,\n", "roster.csv, line 2: no id"),
    (HEADER + "ada lovelace,Ada,Lovelace,\n", "roster.csv, line 2: the id 'ada lovelace' "
     "holds a space or a slash"),
    ("", "roster.csv: empty; its first line must be id,first_name,last_name,email"),
    (HEADER, "roster.csv: no students under the header line"),
])
def test_a_malformed_roster_names_its_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RosterError) as refused:
        read_roster(path)
    assert str(refused.value).startswith(f"{tmp_path}/{message}")


def test_a_roster_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes((HEADER + "ada,Ada,Lovelace,\nfinn,Zoë,Müller,\n").encode("latin-1"))
    with pytest.raises(RosterError, match=r"roster.csv, line 3: not UTF-8 text"):
        read_roster(path)


def test_the_command_refuses_a_malformed_roster(tmp_path):
    path = write(tmp_path, ROSTER + "cleo,Cleo,Again,\n")
    done = subprocess.run([sys.executable, "-m", "dlmath.nbgrader.roster", "--check", path],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"roster: {path}, line 4: the id 'cleo' again "
                                   "(first on line 3)")


def test_the_demo_roster_names_the_whole_simulated_class():
    entries = read_roster(DEMO_ROSTER)
    assert [e.id for e in entries] == [s.id for s in CLASS]
    assert any(not e.email for e in entries) and any(not e.last_name.isascii() for e in entries)


# --- importing into a real course ---------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A collected class of seven, of whom the roster names two."""
    tmp = tmp_path_factory.mktemp("roster")
    return make_course(tmp / "course", roster=write(tmp, ROSTER))


@pytest.mark.e2e
def test_names_reach_the_formgrader_and_the_others_show_their_id(course):
    students = shown(course)
    assert students["ada"] == ("Ngọc Trần, Zoë", "zoe@example.org")
    assert students["cleo"] == ("Brzęczyszczykiewicz, Łukasz", "")  # the empty email
    assert students["ben"] == ("ben, ", "")  # collected, not on the roster: its id
    assert len(students) == 7 and not any("None" in n + e for n, e in students.values())
    assert names(course.root)["ada"] == "Zoë Ngọc Trần" and names(course.root)["ben"] == ""


@pytest.mark.e2e
@pytest.mark.slow
def test_names_survive_grading_and_reach_the_export(course):
    course.autograde(ASSIGNMENT, "--student=ada")
    done = course.dlmath("grade", ASSIGNMENT, "--student", "ben")
    assert done.returncode == 0, done.stdout + done.stderr
    assert shown(course)["ada"][0] == "Ngọc Trần, Zoë" and shown(course)["ben"][0] == "ben, "
    course.export()
    rows = {r["student_id"]: r for r in course.grades()}
    assert (rows["ada"]["first_name"], rows["ada"]["last_name"], rows["ada"]["email"]) == (
        "Zoë", "Ngọc Trần", "zoe@example.org")
    assert (rows["cleo"]["first_name"], rows["cleo"]["last_name"], rows["cleo"]["email"]) == (
        "Łukasz", "Brzęczyszczykiewicz", "")
    assert float(rows["ada"]["score"]) == float(rows["ada"]["max_score"]) > 0
    assert "None" not in (course.root / "grades.csv").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_a_malformed_roster_changes_nothing(course, tmp_path):
    before = (course.gradebook.read_bytes(), shown(course))
    bad = write(tmp_path, ROSTER.replace("Zoë", "Renamed") + "ada,Ada,Again,\n", "bad.csv")
    with pytest.raises(RosterError, match=f"^{re.escape(str(bad))}, line 4: the id 'ada' again"):
        course.import_roster(bad)
    assert (course.gradebook.read_bytes(), shown(course)) == before


@pytest.mark.e2e
def test_without_a_roster_every_student_shows_their_id(tmp_path):
    course = make_course(tmp_path)
    ids = sorted(s.id for s in STUDENTS)
    assert name_everyone(course.root) == ids  # collected, not yet in the gradebook
    assert shown(course) == {sid: (f"{sid}, ", "") for sid in ids}


@pytest.mark.e2e
@pytest.mark.slow
def test_a_student_grading_adds_after_the_roster_shows_their_id(tmp_path):
    """Both grading paths name the students they add to the gradebook, roster or not."""
    course = make_course(tmp_path)
    course.autograde(ASSIGNMENT, "--student=ada")
    done = course.dlmath("grade", ASSIGNMENT, "--student", "ben")
    assert done.returncode == 0, done.stdout + done.stderr
    with Gradebook(f"sqlite:///{course.gradebook}", "dlmath") as gb:
        added = {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}
    assert added == {"ada": ("", "ada", ""), "ben": ("", "ben", "")}
