"""The class roster: the students' names and emails, in the course's gradebook.

A roster is the CSV `nbgrader db student import` reads: a header line with the columns `id`,
`first_name`, `last_name` and `email` (and nbgrader's optional `lms_user_id`; other columns
are ignored), then one student per line, in UTF-8. It is checked here first: a missing
column, a duplicate id or a name nbgrader would mangle is reported with the file and the
line, and nothing changes. Then the real `nbgrader db student import` runs in the course
directory, with the course's configuration, on a clean copy of what was checked.

The formgrader shows a student as "last_name, first_name" and prints "None" for each part the
gradebook lacks ("None, None" for a student nobody named; nbgrader 0.9.6,
server_extensions/formgrader/static/js/manage_students.js and manage_submissions.js). So after
every import, each student the course knows and nobody named gets their id as last name, and
every missing part of a name or email becomes empty text, never null: the formgrader then shows
"ada," where it would show "None, None". `full_name` tells such a student from a named one.

Run in a course directory: `python -m dlmath.nbgrader.roster roster.csv` (or `--check` only,
or no roster to name the students who have no name yet).
"""

from __future__ import annotations

import argparse
import codecs
import csv
import functools
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from dlmath.nbgrader.plan import course_directory, load_config

COLUMNS = ("id", "first_name", "last_name", "email")
OPTIONAL = ("lms_user_id",)
MAX_CHARS = 128  # the gradebook's columns are VARCHAR(128); PostgreSQL refuses longer text
# The hub's groups say who takes the course (jupyterhub_config.py): a roster only names the
# students, and at set-up time there is no hub to ask. nbgrader's JupyterHub plugin would
# add each imported student to a group through the hub's API.
NO_GROUPS = "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"


class RosterError(ValueError):
    """A roster that cannot be imported; the message names the file and the line."""


class ImportFailed(RuntimeError):
    """`nbgrader db student import` exited with an error; the message holds its last lines."""


@dataclass(frozen=True)
class Entry:
    """One student of the roster, as checked: stripped text, "" for an empty cell."""

    id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str = ""


# --- reading and checking ---------------------------------------------------------------

def read_roster(path: Path) -> list[Entry]:
    """The roster's students, or a RosterError naming the file and line of the first fault."""
    rows = _rows(path, _text(path))
    if not rows:
        raise RosterError(f"{path}: empty; its first line must be {','.join(COLUMNS)}")
    header_line, header = rows[0]
    columns = _columns(path, header_line, header)
    entries: dict[str, Entry] = {}
    first_seen: dict[str, int] = {}
    for line, row in rows[1:]:
        entry = _entry(path, line, columns, row)
        if entry.id in entries:
            raise RosterError(f"{path}, line {line}: the id {entry.id!r} again "
                              f"(first on line {first_seen[entry.id]})")
        entries[entry.id], first_seen[entry.id] = entry, line
    if not entries:
        raise RosterError(f"{path}: no students under the header line")
    return list(entries.values())


def _text(path: Path) -> str:
    try:
        data = Path(path).read_bytes().removeprefix(codecs.BOM_UTF8)  # a spreadsheet's BOM
    except OSError as err:
        raise RosterError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise RosterError(f"{path}, line {line}: not UTF-8 text; save the roster as "
                          "CSV UTF-8") from None


def _rows(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """(first line, fields) of every non-blank record; a quoted field may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, start = [], 1
    try:
        for row in reader:
            if any(field.strip() for field in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as err:
        raise RosterError(f"{path}, line {start}: not CSV ({err})") from None
    return rows


def _columns(path: Path, line: int, header: list[str]) -> list[str]:
    columns = [name.strip() for name in header]
    doubled = sorted({c for c in columns if c and columns.count(c) > 1})
    if doubled:
        raise RosterError(f"{path}, line {line}: the column {doubled[0]} twice")
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise RosterError(f"{path}, line {line}: no column {', '.join(missing)}; a roster's "
                          f"first line is {','.join(COLUMNS)} (as nbgrader db student import "
                          "reads it)")
    return columns


def _entry(path: Path, line: int, columns: list[str], row: list[str]) -> Entry:
    where = f"{path}, line {line}"
    if len(row) > len(columns):  # an unquoted comma in a name, most likely
        raise RosterError(f"{where}: {len(row)} fields, but the header line has "
                          f"{len(columns)} ({','.join(columns)})")
    row = row + [""] * (len(columns) - len(row))  # trailing empty cells may be left out
    cells = {c: v.strip() for c, v in zip(columns, row, strict=True) if c in COLUMNS + OPTIONAL}
    if not cells["id"]:
        raise RosterError(f"{where}: no id")
    if any(ch.isspace() or ch in "/\\" for ch in cells["id"]):
        raise RosterError(f"{where}: the id {cells['id']!r} holds a space or a slash; an id "
                          "is the student's login, and names their folders")
    for column, value in cells.items():
        _check_cell(where, column, value)
    return Entry(**cells)


def _check_cell(where: str, column: str, value: str) -> None:
    if any(ch in value for ch in ',"\r\n'):
        # nbgrader export writes the names into the grades CSV without quoting them
        raise RosterError(f"{where}: the {column} {value!r} holds a comma, a quote or a "
                          "line break, which would break nbgrader export's grades CSV")
    if len(value) > MAX_CHARS:
        raise RosterError(f"{where}: the {column} is longer than the gradebook's "
                          f"{MAX_CHARS} characters")


def write_roster(entries: list[Entry], path: Path) -> None:
    """The checked roster as nbgrader reads it: UTF-8 without a BOM, the known columns."""
    columns = COLUMNS + tuple(c for c in OPTIONAL if any(getattr(e, c) for e in entries))
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([getattr(e, c) for c in columns] for e in entries)


# --- importing --------------------------------------------------------------------------

def import_roster(path: Path, course_root: Path, env: dict[str, str] | None = None,
                  run: Callable[..., object] | None = None) -> list[Entry]:
    """Check the roster, import it with `nbgrader db student import` in the course directory
    (environment `env`, default this process's; `run(*args)` runs `nbgrader ARGS` there,
    default in a new process), then name everyone nobody named."""
    entries = read_roster(path)
    run = run or functools.partial(run_nbgrader, course_root, env)
    with tempfile.TemporaryDirectory(prefix="dlmath-roster-") as tmp:
        checked = Path(tmp) / "roster.csv"
        write_roster(entries, checked)
        run("db", "student", "import", str(checked), NO_GROUPS)
    name_everyone(course_root)
    return entries


def run_nbgrader(course_root: Path, env: dict[str, str] | None, *args: str) -> None:
    env = dict(os.environ if env is None else env)
    # nbgrader runs `alembic` from PATH, and opens the CSV in the locale's encoding.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUTF8"] = "1"
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_root, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise ImportFailed(f"nbgrader {' '.join(args[:3])} failed ({done.returncode}):\n{tail}")


def name_everyone(course_root: Path) -> list[str]:
    """Every student the course knows (the gradebook's, and anyone with a collected
    submission) gets what the formgrader needs to show them without "None": their id as
    last name when nobody named them, "" for any other missing part. Returns those ids."""
    coursedir = course_directory(load_config(Path(course_root)))
    by_id = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for student_id in _collected(Path(coursedir.root) / coursedir.submitted_directory):
            try:
                gb.find_student(student_id)
            except MissingEntry:
                gb.add_student(student_id)
        for student in gb.students:
            if give_a_name(student):
                by_id.append(student.id)
        gb.db.commit()
    return sorted(by_id)


def give_a_name(student) -> bool:
    """A gradebook student nobody named gets their id as last name (whether they were
    named: False); any other missing part, "" instead of null. Every path that adds a
    student calls it, so the formgrader never shows "None, None"."""
    unnamed = not (student.first_name or student.last_name)
    if unnamed:
        student.last_name = student.id
    for part in ("first_name", "last_name", "email"):
        if getattr(student, part) is None:
            setattr(student, part, "")
    return unnamed


def _collected(submitted: Path) -> list[str]:
    """Students with a folder in submitted/: the formgrader lists them too."""
    return sorted(p.name for p in submitted.iterdir()
                  if p.is_dir() and not p.name.startswith(".")) if submitted.is_dir() else []


def full_name(student_id: str, first_name: str | None, last_name: str | None) -> str:
    """"Ada Lovelace"; "" for a student nobody named (whose last name is their id)."""
    if not first_name and last_name == student_id:
        return ""
    return " ".join(n for n in (first_name, last_name) if n)


def names(course_root: Path) -> dict[str, str]:
    """Student id -> full name ("" when nobody named them), from the gradebook."""
    coursedir = course_directory(load_config(Path(course_root)))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        return {s.id: full_name(s.id, s.first_name, s.last_name) for s in gb.students}


# --- the command ------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m dlmath.nbgrader.roster",
        description="Import a class roster (id,first_name,last_name,email) into the gradebook "
                    "of the course in this directory, and name by their id the students "
                    "nobody named.")
    p.add_argument("roster", nargs="?", type=Path, help="the roster CSV (none: only name "
                   "the students who have no name)")
    p.add_argument("--check", action="store_true", help="only read and check the roster")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="default: this directory")
    args = p.parse_args(argv)
    if args.check and not args.roster:
        p.error("--check needs a roster")
    try:
        if args.check:
            print(f"{args.roster}: {len(read_roster(args.roster))} students, ready to import")
            return
        if args.roster:
            entries = import_roster(args.roster, args.course)
            print(f"imported {len(entries)} students from {args.roster}")
        else:
            name_everyone(args.course)
        unnamed = sorted(i for i, name in names(args.course).items() if not name)
        if unnamed:
            print(f"shown by their id, with no name: {', '.join(unnamed)}")
    except (RosterError, ImportFailed) as err:
        sys.exit(f"roster: {err}")


if __name__ == "__main__":
    main()
