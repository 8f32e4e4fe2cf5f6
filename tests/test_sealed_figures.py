"""Figures in sealed workers: drawn as the inline backend draws them, glyphs the fork server
never drew included; drawn after grading, from snapshots, the same, and reused only where
nothing the student's code sees while it is graded can tell."""

from __future__ import annotations

import base64
import dataclasses
import os
import pickle
import time

import pytest

from dlmath.engine.errors import StudentCrashed
from dlmath.sealed import figures
from dlmath.sealed.figures import FigureTable, load_snapshot
from dlmath.sealed.forkserver import ForkServer
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.student import open_sources

PLOT = """
import numpy as np
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.semilogy(np.arange(1, 6), [1.0, 10.0, 100.0, 1e3, 1e4], "o-", label="‖∇W‖ (Ω)")
ax.set(title="Gradient norms: µ ± σ, ∑ ≠ ∏", xlabel="layer")
ax.legend()
plt.show()
"""


def images(submission) -> list[str]:
    return [o.data["image/png"] for c in submission.cells for o in c.outputs
            if "image/png" in o.get("data", {})]


def shown(submission) -> str:
    return "".join(o.get("text", "") for c in submission.cells for o in c.outputs)


@pytest.fixture
def fresh_server():
    """A fork server of its own: another interpreter."""
    server = ForkServer()
    yield server
    server.close()


FILL_DESCRIPTORS = """
fillers = [open(f"filler{i}", "wb+") for i in range(32)]  # the lowest free descriptors
"""


@pytest.mark.parametrize("code", [
    "import matplotlib.pyplot as plt\nplt.semilogy([1, 2, 3], [1, 10, 100])\nplt.show()",
    PLOT])
def test_a_worker_draws_glyphs_the_server_never_drew(fresh_server, code):
    """Glyphs are read lazily from the font files the fork server opened (log-axis labels
    are math text, parsed there). Were those descriptors closed in the worker, the files it
    opens next would take their numbers, and glyphs would be read from them."""
    with open_sources([FILL_DESCRIPTORS, code], server=fresh_server) as sub:
        assert len(images(sub)) == 1, shown(sub)
        assert "could not be drawn" not in shown(sub)


SPOIL_FONT_FILES = """
import fcntl, os
for fd in range(3, 256):  # every open regular file: the fonts among them
    try:
        if os.fstat(fd).st_mode & 0o170000 == 0o100000:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_DIRECT)
            os.lseek(fd, 12345, os.SEEK_SET)
    except OSError:
        pass
"""


def test_what_a_worker_does_to_its_font_files_does_not_reach_the_next(fresh_server):
    """Direct I/O (unaligned reads fail) and a moved offset on the font files' descriptors
    stay in that worker: each worker opens them afresh."""
    with open_sources([SPOIL_FONT_FILES], server=fresh_server):
        pass
    with open_sources([PLOT], server=fresh_server) as sub:
        assert len(images(sub)) == 1, shown(sub)
        assert "could not be drawn" not in shown(sub)


# --- figures drawn after grading (dlmath grade) ---------------------------------------------

CHANGED_AFTER = [
    PLOT,
    # settings changed between figures; the first figure changed after it was shown
    "import matplotlib as mpl\nmpl.rcParams['font.size'] = 15\n"
    "mpl.rcParams['lines.linewidth'] = 4\n"
    "fig.suptitle('changed after it was shown')\nax.set_facecolor('0.8')\n"
    "plt.plot([3, 1, 2], label='after')\nplt.legend()\nplt.show()",
    # three figures in one cell, one with a function of the student's as its tick formatter
    # and one of a kind the course does not draw (a pie), which no snapshot may refer to:
    # they are drawn at once
    "from matplotlib.ticker import FuncFormatter\n"
    "def units(v, _):\n    return f'{v:.1f} u'\n"
    "a = plt.figure(figsize=(3, 2)); plt.hist(np.linspace(0, 1, 500), bins=30)\n"
    "b, bx = plt.subplots(figsize=(3, 2)); bx.plot([1, 4, 9])\n"
    "bx.yaxis.set_major_formatter(FuncFormatter(units))\nprint('three')\n"
    "c = plt.figure(figsize=(2, 2)); plt.pie([1, 2, 3], labels=['a', 'b', 'c'])\n"
    "plt.show()\nprint('after them')",
]


def outputs(submission) -> list:
    return [[dict(o) for o in c.outputs] for c in submission.cells]


def test_figures_drawn_after_grading_are_the_ones_drawn_when_shown():
    """A snapshot keeps the figure and the settings as they were when it was shown, so
    what was changed afterwards does not reach it; one that cannot be pickled is drawn at
    once."""
    with open_sources(CHANGED_AFTER) as live:
        expected = outputs(live)
    table = FigureTable()
    with open_sources(CHANGED_AFTER, figure_table=table) as sub:
        before = outputs(sub)
        sub.draw_figures()
        assert outputs(sub) == expected
    assert len(images(sub)) == 5
    assert sum("image/png" in o.get("data", {}) for c in before for o in c) == 2  # units', pie

    assert table.reused == 0


def test_a_figure_that_is_the_instructors_gets_its_png_and_others_are_drawn():
    table = FigureTable(recording=True)
    with open_sources([PLOT], figure_table=table) as instructor:
        instructor.draw_figures()
    table.recording = False
    assert len(table.pngs) == 1
    (key, png), = table.pngs.items()
    table.pngs[key] = png + b"instructor's"  # to tell which was used
    other = PLOT.replace("1e4]", "1e4 + 1e-9]")
    with open_sources([PLOT, other], figure_table=table) as sub:
        sub.draw_figures()
    first, second = images(sub)
    assert base64.b64decode(first) == png + b"instructor's" and table.reused == 1
    assert base64.b64decode(second).startswith(b"\x89PNG") and second != first


def test_a_figure_drawn_for_one_student_is_not_drawn_again_for_the_next(monkeypatch):
    """A figure the same as one drawn earlier for another student (a blank notebook's, the
    same mistake's) gets that PNG; another is drawn, and kept while there is room."""
    table = FigureTable()
    with open_sources([PLOT], figure_table=table) as first:
        first.draw_figures()
    (key, png), = table.pngs.items()
    table.pngs[key] = png + b"first student's"  # to tell which was used
    other = PLOT.replace("1e4]", "1e4 + 1e-9]")
    monkeypatch.setattr(figures, "STUDENT_PNG_BYTES", table.students_bytes)  # full now
    with open_sources([PLOT, other], figure_table=table) as sub:
        sub.draw_figures()
    same, different = images(sub)
    assert base64.b64decode(same) == png + b"first student's" and table.reused == 1
    assert base64.b64decode(different).startswith(b"\x89PNG") and len(table.pngs) == 1


def test_only_the_first_figure_a_drawing_worker_draws_is_kept_for_others():
    """One worker draws all of a student's new figures, in turn: only the first was drawn
    before any snapshot of the student's had been loaded there, so only it is given to
    others. The instructor's figures (trusted) are all kept."""
    second = PLOT.replace("1e4]", "2e4]")
    table = FigureTable()
    with open_sources([PLOT, second], figure_table=table) as sub:
        sub.draw_figures()
    assert len(images(sub)) == 2 and len(table.pngs) == 1
    with open_sources([PLOT], figure_table=table) as again:
        again.draw_figures()
    assert table.reused == 1
    recording = FigureTable(recording=True)
    with open_sources([PLOT, second], figure_table=recording) as instructor:
        instructor.draw_figures()
    assert len(recording.pngs) == 2


def test_a_figure_one_grading_process_drew_is_drawn_in_no_other(tmp_path, monkeypatch):
    """The grading processes of a batch share the students' PNGs through its private folder:
    one drawn by a process (here: its table) is given to the same figure in another."""
    one, other = FigureTable(shared=tmp_path), FigureTable(shared=tmp_path)
    with open_sources([PLOT], figure_table=one) as first:
        first.draw_figures()
    (key, png), = one.pngs.items()
    assert (tmp_path / f"{key}.png").read_bytes() == png and one.shared_bytes == len(png)
    (tmp_path / f"{key}.png").write_bytes(png + b"drawn by the first process")
    with open_sources([PLOT], figure_table=other) as second:
        second.draw_figures()  # not drawn: the first process's PNG, as the marker shows
    assert base64.b64decode(images(second)[0]) == png + b"drawn by the first process"
    assert other.reused == 1 and not other.pngs
    # a process writes no more than its share; only a regular file holding a PNG is read
    monkeypatch.setattr(figures, "SHARED_PNG_BYTES", len(png) - 1)
    other.add("1" * 64, png)
    assert other.shared_bytes == 0 and other.known("1" * 64) == png  # kept in its memory
    (tmp_path / f"{'2' * 64}.png").write_bytes(b"<html>")
    (tmp_path / f"{'3' * 64}.png").symlink_to(tmp_path / f"{key}.png")
    os.mkfifo(tmp_path / f"{'4' * 64}.png")
    assert [other.known(c * 64) for c in "234"] == [None] * 3
    with pytest.raises(ValueError, match="digest"):  # only a digest names a file
        other.known("../gradebook")
    gone = FigureTable(shared=tmp_path / "gone")  # a folder that is not there costs nothing
    gone.add(key, png)
    assert gone.known(key) == png and gone.known("5" * 64) is None and gone.shared_bytes == 0


RECORD_REQUESTS = """
import dlmath.codec as codec
_frame, requests = codec.FrameReader.frame, []
def frame(*args, **kwargs):
    header, buffers = _frame(*args, **kwargs)
    requests.append(header.get("op"))
    return header, buffers
codec.FrameReader.frame = frame
def seen():
    return list(requests)
"""


def test_nothing_tells_the_students_code_while_it_is_graded_whether_its_figure_matched():
    """The worker sends a snapshot and goes on; no answer comes back while it is graded. Had
    it been told, its code could pick the implementation whose figure is the instructor's."""
    table = FigureTable(recording=True)
    with open_sources([PLOT], figure_table=table) as instructor:
        instructor.draw_figures()
    table.recording = False
    other = PLOT.replace("1e4]", "2e4]")
    with open_sources([RECORD_REQUESTS, PLOT, other], figure_table=table) as sub:
        assert sub.student().call("seen") == ["call"]
        assert sub.student().call("seen") == ["call", "call"]
        student_worker = sub.worker
        sub.draw_figures()
        # the instructor's figure was not drawn; the other was, by a worker of its own
        # (which ran none of the student's cells) after the student's worker had gone
        assert table.reused == 1 and len(images(sub)) == 2
        assert sub.worker is None and not student_worker.alive


def test_a_crafted_snapshot_runs_no_code(tmp_path):
    """A worker may send any bytes as a snapshot; loading one refers to and calls nothing
    but the allowlist (more in test_sealed_snapshots.py)."""
    marker = tmp_path / "ran"

    class Runs:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    crafted = [pickle.dumps(({}, Runs())),
               b"cmatplotlib\nos\n.",  # a module reached through an allowed package
               pickle.dumps(({}, "a str".upper)),  # a method of a class not allowed
               pickle.dumps(({}, [1].__class__.__subclasses__))]  # a dunder
    for data in crafted:
        with pytest.raises(pickle.UnpicklingError):
            load_snapshot(data)
    assert not marker.exists()


def test_an_enum_member_pickled_by_name_loads():
    """Some Pythons (3.11.2, the hub's) pickle an enum member as getattr(its class, name)."""
    from matplotlib._enums import CapStyle

    class ByName:
        def __reduce__(self):
            return (getattr, (CapStyle, "butt"))

    assert load_snapshot(pickle.dumps(({}, ByName())))[1] is CapStyle.butt
    with pytest.raises(pickle.UnpicklingError):  # a class's attribute that is no member
        load_snapshot(pickle.dumps(({}, CapStyle.demo)))


def test_figures_of_a_worker_that_died_are_drawn_by_a_fresh_one():
    crash = "import os\ndef crash():\n    os._exit(3)"
    with open_sources([PLOT, crash], figure_table=FigureTable()) as sub:
        with pytest.raises(StudentCrashed):
            sub.student().call("crash")
        sub.draw_figures()
    assert len(images(sub)) == 1


SLOW_TO_DRAW = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
for i in range(1500):  # each label parsed as math text: seconds to draw
    ax.text(i / 1500, (i % 37) / 37, f"$x^{{{i}}}_{{{i % 7}}}$")
plt.show()
"""


def test_drawing_after_grading_takes_no_more_than_the_notebooks_budget_again():
    """Each figure has a cell's time, and all of them together no more than the notebook's
    budget: figures built to be slow to draw cannot hold the batch up."""
    with open_sources([SLOW_TO_DRAW] * 6, limits=SealedLimits(cell_seconds=1.0),
                      figure_table=FigureTable()) as sub:
        assert len(sub.deferred) == 6
        sub.limits = dataclasses.replace(sub.limits, notebook_seconds=2.0)
        started = time.monotonic()
        sub.draw_figures()
        assert time.monotonic() - started < 4.5  # 6 s were it a cell's time for each
    assert not images(sub) and shown(sub).count("could not be drawn") == 6
