"""Figures in sealed workers: drawn as the inline backend draws them, glyphs the fork server
never drew included; the instructor's figures drawn once per batch and handed only to a
worker whose own figure has the same key."""

from __future__ import annotations

import pytest

from dlmath.sealed.figures import FigureTable, is_key
from dlmath.sealed.forkserver import ForkServer
from dlmath.sealed.student import open_sources

PLOT = """
import numpy as np
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.semilogy(np.arange(1, 6), {ys!r}, "o-", label="‖∇W‖ (Ω)")
ax.set(title="Gradient norms: µ ± σ, ∑ ≠ ∏", xlabel="layer")
ax.legend()
{extra}
"""
YS = [1.0, 10.0, 100.0, 1e3, 1e4]
KEY = """
from dlmath.sealed.figures import figure_key
print(figure_key(plt.gcf()))
plt.close("all")
"""


def plot(ys=YS, extra: str = "plt.show()") -> str:
    return PLOT.format(ys=ys, extra=extra)


def images(submission) -> list[str]:
    return [o.data["image/png"] for c in submission.cells for o in c.outputs
            if "image/png" in o.get("data", {})]


def shown(submission) -> str:
    return "".join(o.get("text", "") for c in submission.cells for o in c.outputs)


def key(code: str, server: ForkServer | None = None) -> str:
    with open_sources([code + KEY], server=server) as sub:
        return shown(sub).strip()


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
    plot()])
def test_a_worker_draws_glyphs_the_server_never_drew(fresh_server, code):
    """Glyphs are read lazily from the font files the fork server opened (log-axis labels
    are math text, parsed there). Were those descriptors closed in the worker, the files it
    opens next would take their numbers, and glyphs would be read from them."""
    with open_sources([FILL_DESCRIPTORS, code], server=fresh_server) as sub:
        assert len(images(sub)) == 1, shown(sub)
        assert "could not be drawn" not in shown(sub)


def test_a_figure_has_the_same_key_in_every_process(fresh_server):
    """Fork servers are separate interpreters (own hash seeds, own addresses)."""
    first = key(plot(extra=""))
    assert is_key(first)
    assert key(plot(extra=""), fresh_server) == first


@pytest.mark.parametrize("change", [
    "ax.lines[0].set_ydata(np.nextafter(ax.lines[0].get_ydata(), np.inf))",  # one ulp
    "ax.set_title('Gradient norms: µ ± σ, ∑ ≠ ∏ ')",
    "plt.rcParams['savefig.dpi'] = 101",  # a setting read when drawing
])
def test_any_change_that_can_show_changes_the_key(change):
    assert key(plot(extra=change)) != key(plot(extra=""))


@pytest.mark.parametrize("student_code", [
    "from matplotlib.ticker import FuncFormatter\n"
    "def fmt(x, pos):\n    return f'<{x}>'\n"
    "ax.yaxis.set_major_formatter(FuncFormatter(fmt))",
    "import matplotlib.lines\n"
    "class Mine(matplotlib.lines.Line2D):\n    pass\n"
    "ax.add_line(Mine([1, 2], [3, 4]))",
    "ax.yaxis.set_major_formatter(lambda x, pos: str(x))",
])
def test_a_figure_with_the_students_own_code_in_it_has_no_key(student_code):
    """A digest cannot vouch for code: such a figure is always drawn."""
    assert key(plot(extra=student_code)) == "None"


def test_the_instructors_figure_reaches_only_the_same_figure():
    table = FigureTable(recording=True)
    with open_sources([plot()], figure_table=table) as sub:
        drawn = images(sub)
    table.recording = False
    assert len(drawn) == 1 and len(table.pngs) == 1 and table.reused == 0

    with open_sources(["x = 1", plot()], figure_table=table) as sub:  # the same figure
        assert images(sub) == drawn and table.reused == 1
    with open_sources([plot(ys=[1.0, 10.0, 100.0, 1e3, 2e4])], figure_table=table) as sub:
        other = images(sub)
    assert len(other) == 1 and other != drawn and table.reused == 1
    assert len(table.pngs) == 1  # nothing is recorded from a student's worker


def test_only_a_recording_table_takes_figures():
    table = FigureTable()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 10
    table.add("a" * 64, png)
    assert table.pngs == {}
    table.recording = True
    table.add("not a key", png)
    table.add("b" * 64, b"<svg/>")
    assert table.pngs == {}
    table.add("c" * 64, png)
    assert table.pngs == {"c" * 64: png}


def test_the_table_survives_the_trip_to_another_process(tmp_path):
    table = FigureTable({"d" * 64: b"\x89PNG\r\n\x1a\nxyz"})
    table.dump(tmp_path / "figures")
    assert FigureTable.load(tmp_path / "figures").pngs == table.pngs
    assert not list(tmp_path.glob("*.partial"))
