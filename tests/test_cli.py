"""The command line: help, check (text and JSON), and clear errors for bad input."""

import json
import subprocess
import sys

import nbformat
import pytest

from dlmath.cli import main
from dlmath.course import release_dir, source_dir
from dlmath.notebooks import fill_solutions, read

LINEAR = "01_linear_algebra"


def run(*args):
    return subprocess.run([sys.executable, "-m", "dlmath.cli", *args], capture_output=True,
                          text=True)


def test_help_lists_commands():
    done = run("--help")
    assert done.returncode == 0
    for command in ("release", "check", "demo"):
        assert command in done.stdout


def student_copy(tmp_path, answers):
    folder = tmp_path / LINEAR
    folder.mkdir()
    nb = read(release_dir() / LINEAR / "linear_algebra.ipynb")
    nbformat.write(fill_solutions(nb, answers), str(folder / "linear_algebra.ipynb"))
    return folder / "linear_algebra.ipynb"


def test_check_json_of_a_partly_right_student(tmp_path, capsys):
    path = student_copy(tmp_path, {"dot_solution": "def dot(u, v):\n    return float(u @ v)"})
    assert main(["check", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    scores = {e["exercise"]: e["score"] for e in report["exercises"]}
    assert scores[f"{LINEAR}/dot"] == 2 and scores[f"{LINEAR}/transpose"] == 0
    assert report["score"] == 2 and report["possible"] == 22


def test_check_text_report_of_the_source_notebook(capsys):
    assert main(["check", str(source_dir() / LINEAR / "linear_algebra.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "transpose: 2 / 2 points" in out and "total: 22 / 22" in out


@pytest.mark.parametrize("content, expected", [
    ("{broken", "not a readable notebook"),
    (None, "no such notebook"),
])
def test_bad_notebooks_get_a_message(tmp_path, capsys, content, expected):
    path = tmp_path / "linear_algebra.ipynb"
    if content is not None:
        path.write_text(content)
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    assert expected in out and "Traceback" not in out


def test_unknown_notebook_name_is_explained(tmp_path, capsys):
    path = tmp_path / "mystery.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), str(path))
    assert main(["check", str(path)]) == 2
    assert "pass --assignment" in capsys.readouterr().out
