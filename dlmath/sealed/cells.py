"""Running notebook cells in the worker as a kernel would, recording their outputs.

Outputs are nbformat-shaped plain dicts: stream text (capped), the value of a final
expression, matplotlib figures as PNG (Agg backend), and errors whose traceback shows only
the student's cells. The grader checks them again before they reach a notebook.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import re
import sys
import traceback
from typing import Any

from dlmath.engine.errors import StudentTimeout
from dlmath.engine.student import (
    STUDENT_FILENAME_PREFIX,
    register_cell,
    student_frames,
    time_limit,
)
from dlmath.sealed import figures as figure_snapshots

MAX_FIGURES = 20
MAX_TRACEBACK_FRAMES = 30
_MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.MULTILINE)


class Outputs:
    """One cell's outputs; text and images past `cap` characters are dropped. Without
    `figures` (a re-run, whose outputs nobody reads), figures are closed, not drawn. With
    `defer` bytes left for them, a figure is a snapshot the grader has drawn after grading
    (figures.py)."""

    def __init__(self, cap: int, figures: bool = True, defer: int = 0):
        self.items: list[dict[str, Any]] = []
        self.cap, self.used, self.dropped = cap, 0, 0
        self.figures, self.defer = figures, defer
        self.snapshots: list[bytes] = []

    def _room(self, size: int) -> bool:
        if self.used + size > self.cap:
            self.dropped += size
            return False
        self.used += size
        return True

    def write(self, name: str, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        kept = text[: max(self.cap - self.used, 0)]
        self.used += len(kept)
        self.dropped += len(text) - len(kept)
        if not kept:
            return len(text)
        last = self.items[-1] if self.items else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"].append(kept)  # joined in finish(): no quadratic concatenation
        else:
            self.items.append({"output_type": "stream", "name": name, "text": [kept]})
        return len(text)

    def result(self, value: Any) -> None:
        text = _repr(value, self.cap)
        if self._room(len(text)):
            self.items.append({"output_type": "execute_result", "data": {"text/plain": text},
                               "metadata": {}})

    def display(self, value: Any) -> None:
        text = _repr(value, self.cap)
        if self._room(len(text)):
            self.items.append({"output_type": "display_data", "metadata": {},
                               "data": {"text/plain": text}})

    def image(self, png: bytes, label: str) -> None:
        data = base64.b64encode(png).decode()
        if self._room(len(data)):
            self.items.append({"output_type": "display_data", "metadata": {},
                               "data": {"image/png": data, "text/plain": label}})

    def deferred(self, snapshot: bytes, label: str) -> None:
        """A figure to draw later, where it was shown; its PNG is checked against the cap
        when it is drawn."""
        self.items.append({"output_type": "figure", "snapshot": len(self.snapshots),
                           "label": label})
        self.snapshots.append(snapshot)
        self.defer -= len(snapshot)

    def error(self, ename: str, evalue: str, lines: list[str]) -> None:
        self.items.append({"output_type": "error", "ename": ename, "evalue": evalue[:2000],
                           "traceback": [line[:2000] for line in lines]})

    def finish(self) -> list[dict[str, Any]]:
        if self.dropped:
            note = (f"\n[{self.dropped} more characters of output dropped: a cell keeps at "
                    f"most {self.cap}]\n")
            self.items.append({"output_type": "stream", "name": "stderr", "text": [note]})
        for item in self.items:
            if item["output_type"] == "stream":
                item["text"] = "".join(item["text"])
        return self.items


class Stream(io.TextIOBase):
    """sys.stdout or sys.stderr during a cell."""

    def __init__(self, outputs: Outputs, name: str):
        self.outputs, self.name = outputs, name

    def write(self, text: str) -> int:
        return self.outputs.write(self.name, text)

    def writable(self) -> bool:
        return True

    encoding = "utf-8"


def _repr(value: Any, cap: int) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ is the student's, shown as such
        text = f"<repr failed: {type(exc).__name__}: {exc}>"
    return text if len(text) <= cap else text[:cap] + "..."


def _compile(source: str, filename: str) -> tuple[Any, Any]:
    """(body, last expression or None): a final expression's value is the cell's result."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError:
        if not _MAGIC.search(source):
            raise
        tree = ast.parse(_MAGIC.sub(r"\1pass", source), filename)  # %matplotlib, !pip
    last = None
    final = tree.body[-1] if tree.body else None
    if isinstance(final, ast.Expr) and not source.rstrip().endswith(";"):
        tree.body.pop()
        last = ast.Expression(final.value)
    body = compile(tree, filename, "exec")
    return body, (compile(last, filename, "eval") if last is not None else None)


def _traceback_lines(exc: BaseException) -> list[str]:
    frames = student_frames(exc.__traceback__, lambda name: name.startswith(
        STUDENT_FILENAME_PREFIX))[-MAX_TRACEBACK_FRAMES:]
    head = ["Traceback (most recent call last):\n"] if frames else []
    return head + traceback.format_list(frames) + traceback.format_exception_only(
        type(exc), exc)


_current: Outputs | None = None


def display(*values: Any) -> None:
    """IPython's `display`, which notebooks use without importing it: shows each value."""
    for value in values:
        if _current is None:
            print(repr(value))
        else:
            _current.display(value)


def show(*args: Any, **kwargs: Any) -> None:
    """plt.show() in a cell: draw the open figures now, as the inline backend does."""
    if _current is not None:
        flush_figures(_current)


def flush_figures(outputs: Outputs) -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    for number in plt.get_fignums()[:MAX_FIGURES] if outputs.figures else []:
        figure = plt.figure(number)
        snapshot = figure_snapshots.snapshot(figure) if outputs.defer > 0 else None
        if snapshot is not None and len(snapshot) <= outputs.defer:
            outputs.deferred(snapshot, _label(figure))
            continue
        try:
            png = figure_snapshots.draw(figure)
        except Exception as exc:
            outputs.write("stderr", f"the figure could not be drawn: {type(exc).__name__}\n")
            continue
        outputs.image(png, _label(figure))
    plt.close("all")


def _label(figure: Any) -> str:
    width, height = figure.get_size_inches() * figure.dpi
    return f"<Figure size {width:g}x{height:g} with {len(figure.axes)} Axes>"


def run_cell(number: int, source: str, namespace: dict, cap: int, seconds: float,
             figures: bool = True, defer: int = 0
             ) -> tuple[list[dict[str, Any]], str, list[bytes]]:
    """Run one cell; return its outputs, a one-line problem ('' when it ran cleanly) and
    the snapshots of the figures it deferred."""
    global _current
    filename = register_cell(number, source)
    outputs = _current = Outputs(cap, figures, defer)
    problem = ""
    try:
        body, last = _compile(source, filename)
        with contextlib.redirect_stdout(Stream(outputs, "stdout")), \
                contextlib.redirect_stderr(Stream(outputs, "stderr")), \
                time_limit(seconds, f"cell {number}"):
            exec(body, namespace)
            if last is not None:
                value = eval(last, namespace)
                if value is not None:
                    outputs.result(value)
    except StudentTimeout as exc:
        outputs.error("TimeoutError", str(exc), [f"TimeoutError: {exc}\n"])
        problem = f"cell {number}: {exc}"
    except BaseException as exc:  # SystemExit too: a kernel reports it and carries on
        outputs.error(type(exc).__name__, str(exc), _traceback_lines(exc))
        problem = f"cell {number}: {type(exc).__name__}: {str(exc)[:200]}"
    try:
        with time_limit(seconds, f"figures of cell {number}"):
            flush_figures(outputs)
    except BaseException as exc:
        outputs.write("stderr", f"the figures could not be drawn: {type(exc).__name__}\n")
    _current = None
    return outputs.finish(), problem, outputs.snapshots
