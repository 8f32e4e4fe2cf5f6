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

import inspect
import io
import warnings
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
