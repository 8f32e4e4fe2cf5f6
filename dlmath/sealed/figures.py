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
    figure.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    pyplot.close(figure)


# --- figures drawn once per batch ---------------------------------------------------------
#
# Most students' figures are exactly the instructor's (the same code on the same numbers).
# `dlmath grade` draws the instructor's figures once, and a worker whose figure has the
# same key gets that PNG instead of drawing it (a quarter of a second each). The key is a
# digest of the figure's whole state, taken before it is drawn, and of every setting that
# drawing reads; a figure that refers to anything outside matplotlib and numpy (a function
# of the student's, a class of their own) has no key and is drawn. The grader keeps the
# PNGs and answers a worker's key: to name the key of an instructor's figure, a worker has
# to build that very figure, so no PNG tells a student anything their own code did not.

KEYED_MODULES = frozenset({"matplotlib", "mpl_toolkits", "numpy", "builtins", "copyreg",
                           "collections", "functools", "operator", "_codecs", "cycler"})
MAX_KEYED_BYTES = 64 * 2**20  # a larger figure state is drawn, not digested
PROTOCOL = 5  # of the pickle that is digested (never unpickled)
KEY_LENGTH = 64  # hex characters of a SHA-256 digest
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Unkeyable(Exception):
    """The figure refers to something a digest cannot vouch for."""


class _Digest:
    """A file for the pickler that hashes what it is given, up to MAX_KEYED_BYTES."""

    def __init__(self) -> None:
        self.hash, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > MAX_KEYED_BYTES:
            raise _Unkeyable("too large")
        self.hash.update(data)
        return len(data)


def _state_pickler(file: _Digest) -> pickle.Pickler:
    from matplotlib.transforms import TransformNode

    class StatePickler(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if _by_name(obj):
                module = getattr(obj, "__module__", None) or ""
                if module.partition(".")[0] not in KEYED_MODULES:
                    raise _Unkeyable(f"{module}.{getattr(obj, '__qualname__', '?')}")
                return NotImplemented  # pickled by name
            if isinstance(obj, TransformNode):
                # `_parents` holds the transforms that depend on this one, keyed by id():
                # the addresses differ from process to process, and drawing does not read it.
                reduced = obj.__reduce_ex__(PROTOCOL)
                if isinstance(reduced, tuple) and len(reduced) > 2 and isinstance(
                        reduced[2], dict):
                    return (*reduced[:2], {**reduced[2], "_parents": None}, *reduced[3:])
            return NotImplemented

    return StatePickler(file, protocol=PROTOCOL)


def _by_name(obj: Any) -> bool:
    """Whether pickle refers to `obj` by its module and name (a bound method of a builtin
    object, such as `[].remove`, is pickled as its object and a name instead)."""
    if isinstance(obj, types.BuiltinFunctionType):
        return obj.__self__ is None or isinstance(obj.__self__, types.ModuleType)
    return isinstance(obj, (type, types.FunctionType))


def figure_key(figure: Any) -> str | None:
    """The digest of everything that decides how `figure` is drawn, or None."""
    import matplotlib as mpl

    digest = _Digest()
    try:
        digest.write(repr(sorted(dict.items(mpl.rcParams))).encode())
        _state_pickler(digest).dump(figure)
    except Exception:  # _Unkeyable, or a state pickle cannot take (a lambda, a generator)
        return None
    return digest.hash.hexdigest()


def is_key(key: Any) -> bool:
    return isinstance(key, str) and len(key) == KEY_LENGTH and all(
        c in "0123456789abcdef" for c in key)


@dataclass
class FigureTable:
    """The instructor's figures by key, as PNG; `recording`: being filled in."""

    pngs: dict[str, bytes] = field(default_factory=dict)
    recording: bool = False
    reused: int = 0  # PNGs handed to workers

    def add(self, key: Any, png: bytes) -> None:
        if self.recording and is_key(key) and png.startswith(PNG_SIGNATURE):
            self.pngs[key] = png

    def dump(self, path: Path) -> None:
        """Written whole or not at all: another process may be waiting for it."""
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps({k: base64.b64encode(v).decode()
                                       for k, v in self.pngs.items()}))
        partial.rename(path)

    @classmethod
    def load(cls, path: Path) -> FigureTable:
        return cls({k: base64.b64decode(v) for k, v in json.loads(path.read_text()).items()})


_installed: FigureTable | None = None  # this grading process's table (set by `dlmath grade`)


def install(table: FigureTable | None) -> None:
    global _installed
    _installed = table


def installed() -> FigureTable | None:
    """The table SealedExecute hands to its submissions (None: every figure is drawn)."""
    return _installed
