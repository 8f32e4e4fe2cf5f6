"""Matplotlib made warm in the fork server, so a worker draws a notebook's figures cheaply.

Workers are forked from the server and inherit its memory copy-on-write: whatever the
server loaded or cached before forking, no worker pays for again. Drawing a few figures like
the course's (log axes, legends, histograms, constrained layout, cropped to the tight
bounding box as `flush_figures` draws them) loads fonts and glyphs and builds the math text
parser. Parsed math text (every log-axis tick label is math text) is cached for the whole
process instead of per renderer, so the tick labels parsed here are parsed in no worker.
Nothing here changes what a figure looks like.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import inspect
import io
import json
import pickle
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_PARSES = 2000  # cached math texts per process (a worker that draws more parses afresh)
_PARSE_ARGUMENTS = ["self", "s", "dpi", "prop", "antialiased", "load_glyph_flags"]
_RC_PREFIXES = ("mathtext.", "font.", "text.")  # what a parse reads besides its arguments


def share_math_text_parses() -> bool:
    """One cache of parsed math text for all renderers (matplotlib keeps one per renderer,
    and every figure has a new one). Keyed like matplotlib's own cache, plus every setting a
    parse reads, so a cached parse is the one matplotlib would make. False: this matplotlib
    parses differently, and keeps its own cache."""
    import matplotlib as mpl
    from matplotlib.mathtext import MathTextParser

    parse = getattr(getattr(MathTextParser, "_parse_cached", None), "__wrapped__", None)
    if parse is None or list(inspect.signature(parse).parameters) != _PARSE_ARGUMENTS:
        return False
    settings = sorted(k for k in mpl.rcParams if k.startswith(_RC_PREFIXES))
    cache: dict[tuple, Any] = {}

    def parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
        rc = tuple(repr(mpl.rcParams[k]) for k in settings)
        key = (self._output_type, s, dpi, prop, antialiased, load_glyph_flags, rc)
        if key in cache:
            return cache[key]
        result = parse(self, s, dpi, prop, antialiased, load_glyph_flags)
        if len(cache) < MAX_PARSES:
            cache[key] = result
        return result

    MathTextParser._parse_cached = parse_cached  # type: ignore[attr-defined]
    return True


def warm_figures(pyplot: Any) -> None:
    """Draw figures like the course's as `flush_figures` does, parse the labels of every
    power of ten a log axis may show, and close them. Warnings are ignored (one seen here
    would be shown by no worker) and no random numbers drawn (the workers' global numpy
    generator stays as the server found it)."""
    import numpy as np
    from matplotlib.mathtext import MathTextParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs = np.logspace(-16, 2, 40)
        figure, (left, right) = pyplot.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
        left.loglog(xs, xs, "o-", markersize=3, label="loglog")
        left.axvline(1e-5, color="gray", linestyle=":", label="axvline")
        left.set(xlabel="step h", ylabel="|error|", title="Log axes")
        left.legend()
        right.semilogy(np.arange(1, 41), xs, label="semilogy")
        right.legend()
        _draw(figure, pyplot)
        tick = left.yaxis.get_major_ticks()[0].label1
        parser = MathTextParser("path")  # as the Agg renderer parses
        for power in range(-30, 31):
            parser.parse(rf"$\mathdefault{{10^{{{power}}}}}$", figure.dpi,
                         tick.get_fontproperties())
        figure = pyplot.figure(figsize=(7, 3.5))
        pyplot.hist(np.linspace(-3.0, 3.0, 1000), bins=60, density=True, alpha=0.5,
                    label="hist")
        pyplot.plot(np.linspace(-3.0, 3.0, 50), np.linspace(0.0, 0.4, 50), label="plot")
        pyplot.xlabel("x")
        pyplot.legend()
        pyplot.title("Linear axes")
        _draw(figure, pyplot)


def _draw(figure: Any, pyplot: Any) -> None:
    """Drawn, and pickled and unpickled as a snapshot is (the first time costs most)."""
    data = snapshot(figure)
    draw(figure)
    pyplot.close(figure)
    if data is not None:
        with contextlib.suppress(Exception):  # one that fails to load fails in a worker
            pyplot.close(load_snapshot(data)[1])


# --- figures drawn after grading ------------------------------------------------------------
#
# Most students' figures are exactly the instructor's: the same code on the same numbers.
# `dlmath grade` draws the instructor's once, and gives a student's figure that PNG when the
# two are the same down to the last bit, instead of drawing it again (a quarter of a second
# each). The student's code must never learn whether that happened: it would tell it
# whether its numbers are the instructor's. So a worker draws nothing: when a figure is
# shown it sends a snapshot (the pickled figure and the settings drawing reads) and goes
# on. When every exercise has its score and the student's worker is gone, the grader looks
# each snapshot up by its digest, and a fresh worker, which runs none of the student's
# cells, draws the others. It unpickles them with nothing but matplotlib's and numpy's
# classes (ALLOWED), so a snapshot crafted to run code cannot; a figure that needs more
# (a function of the student's as a tick formatter) is drawn when shown, as before. The
# grader never unpickles a snapshot.

MAX_SNAPSHOT_BYTES = 4 * 2**20  # a larger figure is drawn when shown, as it always was
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ALLOWED_PACKAGES = frozenset({"matplotlib", "numpy", "cycler"})  # their classes
ALLOWED = frozenset({  # and these, which figures and arrays pickle with
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("builtins", "complex"), ("builtins", "object"), ("builtins", "bytearray"),
    ("builtins", "range"), ("copyreg", "_reconstructor"), ("collections", "OrderedDict"),
    ("functools", "partial"), ("builtins", "getattr"),  # loaded as _bound_method
    ("matplotlib.cbook", "_exception_printer"), ("matplotlib.backend_bases", "_key_handler"),
    ("matplotlib.backend_bases", "_mouse_handler"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
})


class NotAllowed(pickle.PicklingError):
    """A snapshot would refer to something other than ALLOWED."""


def allowed(module: str, name: str, obj: Any) -> bool:
    """Whether a snapshot may refer to `obj`, found as `name` in `module`."""
    if (module, name) in ALLOWED:
        return True
    if module.partition(".")[0] not in ALLOWED_PACKAGES:
        return False
    import numpy as np

    return isinstance(obj, np.ufunc) or (  # np.log: a log axis's transform refers to it
        isinstance(obj, type) and (obj.__module__ or "").partition(".")[0] in ALLOWED_PACKAGES)


def _bound_method(obj: Any, name: str) -> Any:
    """getattr as a snapshot uses it: a bound method is pickled as its object and its name
    (a method, not a dunder, of a list, dict or set, or of an object of an ALLOWED_PACKAGES
    class), and so is an enum member on some Pythons (getattr(CapStyle, "butt"))."""
    owner = obj if isinstance(obj, type) else type(obj)
    if name.startswith("__") or not (owner in (list, dict, set) or (
            owner.__module__ or "").partition(".")[0] in ALLOWED_PACKAGES):
        raise pickle.UnpicklingError(f"a snapshot may not take {owner.__name__}.{name}")
    found = getattr(obj, name)
    if obj is owner and isinstance(found, owner):  # a member of an allowed enum
        return found
    if getattr(found, "__self__", None) is not obj or obj is owner:
        raise pickle.UnpicklingError(f"{owner.__name__}.{name} is not a bound method")
    return found


def draw(figure: Any) -> bytes:
    """The PNG the inline backend draws of a figure (cropped to its tight bounding box)."""
    png = io.BytesIO()
    figure.savefig(png, format="png", bbox_inches="tight")
    return png.getvalue()


def snapshot(figure: Any) -> bytes | None:
    """The figure and every setting drawing reads, pickled, so that drawing it later draws
    what drawing it now would; None if it cannot be pickled or is too large."""
    import matplotlib as mpl

    data = io.BytesIO()
    try:
        _snapshot_pickler(data).dump((dict.copy(mpl.rcParams), figure))
    except Exception:  # a lambda, a generator: it is drawn now instead
        return None
    return data.getvalue() if data.tell() <= MAX_SNAPSHOT_BYTES else None


def _snapshot_pickler(file: io.BytesIO) -> pickle.Pickler:
    from matplotlib.transforms import TransformNode

    class SnapshotPickler(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if _by_name(obj):
                module, name = getattr(obj, "__module__", None) or "__main__", obj.__qualname__
                if not allowed(module, name, obj):
                    raise NotAllowed(f"{module}.{name}")
                return NotImplemented
            if isinstance(obj, TransformNode):
                # A transform's `_parents` is keyed by id(): addresses differ from process
                # to process, and identical figures must pickle identically. Only the keys'
                # uniqueness matters (unpickling keys the weak references by them).
                reduced = obj.__reduce_ex__(pickle.DEFAULT_PROTOCOL)
                if isinstance(reduced, tuple) and len(reduced) > 2 and isinstance(
                        reduced[2], dict) and isinstance(reduced[2].get("_parents"), dict):
                    alive = [p for p in reduced[2]["_parents"].values() if p is not None]
                    state = {**reduced[2], "_parents": dict(enumerate(alive))}
                    return (*reduced[:2], state, *reduced[3:])
            return NotImplemented

    return SnapshotPickler(file, protocol=pickle.DEFAULT_PROTOCOL)


def _by_name(obj: Any) -> bool:
    """Whether pickle refers to `obj` by module and name (a bound method of a builtin
    object, such as `[].remove`, is pickled as its object and a name instead)."""
    if isinstance(obj, types.BuiltinFunctionType):
        return obj.__self__ is None or isinstance(obj.__self__, types.ModuleType)
    return isinstance(obj, (type, types.FunctionType))


class _SnapshotUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            return _bound_method
        known = (module, name) in ALLOWED or module.partition(".")[0] in ALLOWED_PACKAGES
        obj = super().find_class(module, name) if known else None  # imports nothing else
        if obj is None or not allowed(module, name, obj):
            raise pickle.UnpicklingError(f"a snapshot may not refer to {module}.{name}")
        return obj


def load_snapshot(data: bytes) -> tuple[dict, Any]:
    """(settings, figure) of a snapshot, which may have been crafted: only ALLOWED loads."""
    return _SnapshotUnpickler(io.BytesIO(data)).load()


def draw_snapshot(data: bytes) -> bytes:
    """The PNG of a snapshot, drawn with the settings it was taken with."""
    import matplotlib as mpl
    import matplotlib.pyplot as pyplot

    with mpl.rc_context():
        settings, figure = load_snapshot(data)
        if type(settings) is not dict:
            raise pickle.UnpicklingError("a snapshot's settings are not a dict")
        dict.update(mpl.rcParams, settings)
        try:
            return draw(figure)
        finally:
            pyplot.close(figure)


def snapshot_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FigureTable:
    """The instructor's figures, by their snapshot's digest, as PNG. `recording`: being
    filled in (from the instructor's notebooks, before any student's)."""

    pngs: dict[str, bytes] = field(default_factory=dict)
    recording: bool = False
    reused: int = 0  # figures given the instructor's PNG

    def add(self, key: str, png: bytes) -> None:
        if self.recording and png.startswith(PNG_SIGNATURE):
            self.pngs[key] = png

    def known(self, key: str) -> bytes | None:
        png = None if self.recording else self.pngs.get(key)
        self.reused += png is not None
        return png

    def dump(self, path: Path) -> None:
        """Written whole or not at all (other processes wait for it), without pickle."""
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps({k: base64.b64encode(v).decode()
                                       for k, v in self.pngs.items()}))
        partial.rename(path)

    @classmethod
    def load(cls, path: Path) -> FigureTable:
        return cls({k: base64.b64decode(v) for k, v in json.loads(path.read_text()).items()})


_installed: FigureTable | None = None  # this grading process's table, set by `dlmath grade`


def install(table: FigureTable | None) -> None:
    global _installed
    _installed = table


def installed() -> FigureTable | None:
    """The table SealedExecute grades with (None: every figure is drawn when shown)."""
    return _installed
