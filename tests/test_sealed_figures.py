"""Figures in sealed workers: drawn as the inline backend draws them, glyphs the fork server
never drew included."""

from __future__ import annotations

import pytest

from dlmath.sealed.forkserver import ForkServer
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
