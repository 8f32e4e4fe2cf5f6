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
import collections
import contextlib
import functools
import hashlib
import importlib
import inspect
import io
import json
import os
import pickle
import re
import stat
import sys
import tempfile
import types
import warnings
from collections.abc import Callable
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
# each); so too a figure the same as one drawn earlier for another student (a blank
# notebook's, the same mistake's) in the process or, in `dlmath grade`, in any of the
# batch's processes (FigureTable.shared). The student's code must never learn whether
# that happened: it would tell it whether its numbers are the instructor's. So a worker
# draws nothing: when a figure is shown it sends a snapshot (the pickled figure and the
# settings drawing reads) and goes on. When every exercise has its score and the student's
# worker is gone, the grader looks each snapshot up by its digest, and a fresh worker,
# which runs none of the student's cells, draws the others. The grader never unpickles a
# snapshot. A PNG is what drawing its snapshot gives, whoever's figure it was first, so a
# figure given one drawn before shows just what drawing it would have shown.
#
# The student's code controls its worker, so a snapshot may be any bytes. A snapshot can
# only describe a figure: the drawing worker loads it with a pickle machine that refers to
# nothing but the exact globals below, and makes no call but to one of them, to the
# `__new__` or `__setstate__` of one of their classes, or to one of the bound methods and
# partial functions below; anything else is refused before it runs (`SnapshotRefused`).
# Nothing listed reads or writes files, maps memory or unpickles further. The student's
# worker pickles with the same lists, so a figure that needs more (a function of the
# student's as a tick formatter, a kind of plot the course does not draw) is drawn when
# shown, as before.
#
# The lists are what pickling and loading the course's figures asks for: every figure of
# every notebook in source/, the figures `warm_figures` draws, and the kinds of plot in
# tests/test_sealed_snapshots.py (bars, categories, scatter, colorbars, imshow, errorbars,
# text, twin axes, tight layout, every marker), with matplotlib 3.11 and numpy 2.4 (the test
# there fails when one is missing or one is no longer needed).

MAX_SNAPSHOT_BYTES = 4 * 2**20  # a larger figure is drawn when shown, as it always was
STUDENT_PNG_BYTES = 64 * 2**20  # students' PNGs a process keeps for figures shown again
SHARED_PNG_BYTES = 64 * 2**20  # students' PNGs a process writes to its batch's shared folder
SHARED_READ_BYTES = 16 * 2**20  # a larger file there is no PNG a drawing worker sent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

ALLOWED_GLOBALS = frozenset({  # (module, qualname): what a snapshot may refer to
    # the standard library: what figures' state holds besides lists, dicts, sets and tuples
    ("builtins", "getattr"),  # loaded as _getattr: BOUND_METHODS and enum members only
    ("builtins", "object"),  # the `event=object()` of a unit-change callback
    ("builtins", "slice"),
    ("collections", "OrderedDict"),
    ("cycler", "Cycler"),  # the property cycle
    ("functools", "partial"),  # of PARTIAL_FUNCTIONS only
    ("itertools", "count"),  # a category axis's counter
    # matplotlib: figure, axes, axis, ticks, scales
    ("matplotlib.axes._axes", "Axes"),
    ("matplotlib.axes._base", "_PropCycle"),
    ("matplotlib.axes._base", "_process_plot_var_args"),
    ("matplotlib.axis", "Axis._format_with_dict"),  # tick labels given as strings
    ("matplotlib.axis", "Ticker"),
    ("matplotlib.axis", "XAxis"),
    ("matplotlib.axis", "XTick"),
    ("matplotlib.axis", "YAxis"),
    ("matplotlib.axis", "YTick"),
    ("matplotlib.category", "StrCategoryConverter"),
    ("matplotlib.category", "StrCategoryFormatter"),
    ("matplotlib.category", "StrCategoryLocator"),
    ("matplotlib.category", "UnitData"),
    ("matplotlib.figure", "Figure"),
    ("matplotlib.figure", "_AxesStack"),
    ("matplotlib.gridspec", "GridSpec"),
    ("matplotlib.gridspec", "GridSpecFromSubplotSpec"),
    ("matplotlib.gridspec", "SubplotParams"),
    ("matplotlib.gridspec", "SubplotSpec"),
    ("matplotlib.layout_engine", "ConstrainedLayoutEngine"),
    ("matplotlib.layout_engine", "PlaceHolderLayoutEngine"),  # tight_layout
    ("matplotlib.scale", "LinearScale"),
    ("matplotlib.scale", "LogScale"),
    ("matplotlib.scale", "LogTransform"),
    ("matplotlib.spines", "Spine"),
    ("matplotlib.spines", "Spines"),
    ("matplotlib.ticker", "AutoLocator"),
    ("matplotlib.ticker", "FixedLocator"),
    ("matplotlib.ticker", "FuncFormatter"),  # of Axis._format_with_dict
    ("matplotlib.ticker", "LogFormatterSciNotation"),
    ("matplotlib.ticker", "LogLocator"),
    ("matplotlib.ticker", "MaxNLocator"),
    ("matplotlib.ticker", "NullFormatter"),
    ("matplotlib.ticker", "NullLocator"),
    ("matplotlib.ticker", "ScalarFormatter"),
    # matplotlib: what axes draw (lines, markers, bars, collections, images, text, legends)
    ("matplotlib._enums", "CapStyle"),
    ("matplotlib._enums", "JoinStyle"),
    ("matplotlib.artist", "_XYPair"),
    ("matplotlib.collections", "FillBetweenPolyCollection"),
    ("matplotlib.collections", "LineCollection"),
    ("matplotlib.collections", "PathCollection"),
    ("matplotlib.collections", "QuadMesh"),
    ("matplotlib.colorbar", "Colorbar"),
    ("matplotlib.colorbar", "_ColorbarAxesLocator"),
    ("matplotlib.colorbar", "_ColorbarSpine"),
    ("matplotlib.colorbar", "_remove_cbar_axes"),
    ("matplotlib.colorizer", "Colorizer"),
    ("matplotlib.colors", "LinearSegmentedColormap"),
    ("matplotlib.colors", "ListedColormap"),
    ("matplotlib.colors", "Normalize"),
    ("matplotlib.container", "BarContainer"),
    ("matplotlib.container", "ErrorbarContainer"),
    ("matplotlib.font_manager", "FontProperties"),
    ("matplotlib.image", "AxesImage"),
    ("matplotlib.legend", "Legend"),
    ("matplotlib.lines", "Line2D"),
    ("matplotlib.markers", "MarkerStyle"),
    ("matplotlib.offsetbox", "DrawingArea"),
    ("matplotlib.offsetbox", "HPacker"),
    ("matplotlib.offsetbox", "TextArea"),
    ("matplotlib.offsetbox", "VPacker"),
    ("matplotlib.patches", "BoxStyle.Round"),
    ("matplotlib.patches", "FancyBboxPatch"),
    ("matplotlib.patches", "Rectangle"),
    ("matplotlib.path", "Path"),
    ("matplotlib.text", "Annotation"),
    ("matplotlib.text", "Text"),
    # matplotlib: transforms
    ("matplotlib.transforms", "Affine2D"),
    ("matplotlib.transforms", "Bbox"),
    ("matplotlib.transforms", "BboxTransformFrom"),
    ("matplotlib.transforms", "BboxTransformTo"),
    ("matplotlib.transforms", "BlendedAffine2D"),
    ("matplotlib.transforms", "BlendedGenericTransform"),
    ("matplotlib.transforms", "CompositeAffine2D"),
    ("matplotlib.transforms", "CompositeGenericTransform"),
    ("matplotlib.transforms", "IdentityTransform"),
    ("matplotlib.transforms", "ScaledTranslation"),
    ("matplotlib.transforms", "TransformWrapper"),
    ("matplotlib.transforms", "TransformedBbox"),
    ("matplotlib.transforms", "TransformedPath"),
    # matplotlib: callbacks every figure holds (none is called while drawing)
    ("matplotlib.backend_bases", "_key_handler"),
    ("matplotlib.backend_bases", "_mouse_handler"),
    ("matplotlib.cbook", "CallbackRegistry"),
    ("matplotlib.cbook", "Grouper"),
    ("matplotlib.cbook", "_OrderedSet"),
    ("matplotlib.cbook", "_exception_printer"),
    # numpy: arrays, masked arrays, dtypes, scalars, and the ufuncs log scales transform with
    ("numpy", "dtype"),
    ("numpy", "log"),
    ("numpy", "log10"),
    ("numpy", "log2"),
    ("numpy", "ndarray"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.ma", "MaskedArray"),
    ("numpy.ma.core", "_mareconstruct"),
})

_MARKERS = ("caretdown", "caretdownbase", "caretleft", "caretleftbase", "caretright",
            "caretrightbase", "caretup", "caretupbase", "circle", "diamond", "hexagon1",
            "hexagon2", "hline", "nothing", "octagon", "pentagon", "pixel", "plus",
            "plus_filled", "point", "square", "star", "thin_diamond", "tickdown", "tickleft",
            "tickright", "tickup", "tri_down", "tri_left", "tri_right", "tri_up",
            "triangle_down", "triangle_left", "triangle_right", "triangle_up", "vline", "x",
            "x_filled")  # MarkerStyle's `_set_<name>`, one per marker
_WRAPPED = ("get_affine", "get_matrix", "inverted", "transform", "transform_affine",
            "transform_non_affine", "transform_path", "transform_path_affine",
            "transform_path_non_affine")  # what a TransformWrapper takes from its child

BOUND_METHODS = frozenset({  # (module, class qualname, name): getattr(an instance, name)
    ("builtins", "list", "remove"),  # an artist's _remove_method
    ("matplotlib.axes._axes", "Axes", "_remove_legend"),
    ("matplotlib.axes._axes", "Axes", "_unit_change_handler"),
    ("matplotlib.colorbar", "Colorbar", "_cbar_cla"),
    ("matplotlib.colorbar", "Colorbar", "_get_view"),
    ("matplotlib.colorbar", "Colorbar", "_set_view"),
    ("matplotlib.colorbar", "Colorbar", "_set_view_from_bbox"),
    ("matplotlib.colorbar", "Colorbar", "drag_pan"),
    ("matplotlib.figure", "Figure", "_remove_suplabel"),
    ("matplotlib.figure", "Figure", "delaxes"),
    ("matplotlib.figure", "Figure", "pick"),
    ("matplotlib.legend", "Legend", "_findoffset"),
    *(("matplotlib.markers", "MarkerStyle", f"_set_{name}") for name in _MARKERS),
    *(("matplotlib.transforms", "BlendedAffine2D", name) for name in _WRAPPED),
    *(("matplotlib.transforms", "BlendedGenericTransform", name) for name in _WRAPPED),
})

PARTIAL_FUNCTIONS = frozenset({  # (module, qualname): what a functools.partial may wrap
    ("matplotlib.axes._base", "_AxesBase._unit_change_handler"),  # bound, as a callback
    ("matplotlib.axis", "Axis._format_with_dict"),
    ("matplotlib.colorbar", "_remove_cbar_axes"),
    ("matplotlib.figure", "FigureBase._remove_suplabel"),  # bound
})


class NotAllowed(pickle.PicklingError):
    """A snapshot would refer to something the lists above do not hold."""


class SnapshotRefused(pickle.UnpicklingError):
    """A snapshot asked for something the lists above do not hold; nothing of it ran."""


@dataclass(frozen=True)
class Allowlist:
    """The lists above, resolved in this process (by identity from here on)."""

    globals: dict[tuple[str, str], Any]  # what find_class returns (getattr: _getattr)
    callables: dict[int, Any]  # by id: every global above, which REDUCE may call
    classes: frozenset[type]  # which NEWOBJ may build and BUILD may give a state
    new: dict[type, Any]  # class: its __new__ (NEWOBJ)
    setstate: dict[type, Any]  # class: its __setstate__, None for a __dict__ update (BUILD)
    enums: frozenset[type]
    methods: dict[tuple[type, str], Any]  # (class, name): the function getattr binds
    partials: frozenset[Any]  # the functions a partial may wrap (bound or not)


def _resolve(module: str, qualname: str) -> Any:
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


@functools.cache
def allowlist() -> Allowlist:
    import enum

    import numpy as np

    found = {key: _resolve(*key) for key in ALLOWED_GLOBALS}
    found[("builtins", "getattr")] = _getattr
    classes = frozenset(obj for obj in found.values() if isinstance(obj, type))
    dtypes = [t for t in vars(np.dtypes).values() if isinstance(t, type) and issubclass(
        t, np.dtype) and t.__setstate__ is np.dtype.__setstate__]  # type: ignore[attr-defined]
    setstate = {cls: getattr(cls, "__setstate__", None) for cls in classes}
    setstate.update({t: np.dtype.__setstate__ for t in dtypes})  # type: ignore[attr-defined]
    methods = {}
    for module, name, method in BOUND_METHODS:
        cls = _resolve(module, name)
        methods[cls, method] = inspect.getattr_static(cls, method)
    return Allowlist(
        globals=found, callables={id(obj): obj for obj in found.values()}, classes=classes,
        new={cls: cls.__new__ for cls in classes if cls is not functools.partial},
        setstate=setstate, enums=frozenset(c for c in classes if issubclass(c, enum.Enum)),
        methods=methods, partials=frozenset(_resolve(*key) for key in PARTIAL_FUNCTIONS))


def _getattr(obj: Any, name: Any) -> Any:
    """getattr as a snapshot may use it: a bound method of BOUND_METHODS, pickled as its
    object and its name, or a member of an enum of the list (Debian's Python 3.11.2 pickles
    one as getattr(CapStyle, "butt"))."""
    allowed = allowlist()
    if type(name) is str:
        if isinstance(obj, type):
            enum: Any = obj
            if obj in allowed.enums and name in enum.__members__:
                return enum.__members__[name]
        else:
            function = allowed.methods.get((type(obj), name))
            if function is not None:
                return function.__get__(obj, type(obj))
    raise SnapshotRefused(f"a snapshot may not take {_name(obj)}.{_name(name)}")


def _partial_of(function: Any) -> bool:
    """Whether a functools.partial may wrap `function`."""
    allowed = allowlist()
    if type(function) is types.MethodType:
        return (function.__func__ in allowed.partials
                and allowed.methods.get((type(function.__self__), function.__name__))
                is function.__func__)
    return type(function) is types.FunctionType and function in allowed.partials


def _name(obj: Any) -> str:
    """What to call `obj` in a refusal (no repr of it: that would run its code)."""
    if type(obj) is str:
        return obj[:100]
    if isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType):
        return f"{obj.__module__}.{obj.__qualname__}"
    return f"a {type(obj).__module__}.{type(obj).__qualname__}"


def draw(figure: Any) -> bytes:
    """The PNG the inline backend draws of a figure (cropped to its tight bounding box)."""
    png = io.BytesIO()
    figure.savefig(png, format="png", bbox_inches="tight")
    return png.getvalue()


def snapshot(figure: Any) -> bytes | None:
    """The figure and every setting drawing reads, pickled, so that drawing it later draws
    what drawing it now would; None if it cannot be pickled, would refer to anything the
    drawing worker refuses, or is too large."""
    import matplotlib as mpl

    data = io.BytesIO()
    try:
        _snapshot_pickler(data).dump((dict.copy(mpl.rcParams), figure))
    except Exception:  # a lambda, a generator: it is drawn now instead
        return None
    return data.getvalue() if data.tell() <= MAX_SNAPSHOT_BYTES else None


def _snapshot_pickler(file: io.BytesIO) -> pickle.Pickler:
    import numpy as np
    from matplotlib.transforms import TransformNode

    allowed = allowlist()

    class SnapshotPickler(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if _by_name(obj):
                module, name = getattr(obj, "__module__", None) or "__main__", obj.__qualname__
                if (module, name) not in ALLOWED_GLOBALS:
                    raise NotAllowed(f"{module}.{name}")
                return NotImplemented
            if isinstance(obj, np.ufunc):  # pickled by its name
                if (obj.__module__, obj.__name__) not in ALLOWED_GLOBALS:
                    raise NotAllowed(f"{obj.__module__}.{obj.__name__}")
                return NotImplemented
            if isinstance(obj, types.MethodType | types.BuiltinMethodType):  # getattr(x, name)
                if allowed.methods.get((type(obj.__self__), obj.__name__)) is None:
                    raise NotAllowed(f"{type(obj.__self__).__qualname__}.{obj.__name__}")
                return NotImplemented
            if isinstance(obj, _DESCRIPTORS):  # getattr(a class or an object, name)
                raise NotAllowed(f"{type(obj).__qualname__} {getattr(obj, '__name__', '')}")
            if isinstance(obj, functools.partial):
                if not _partial_of(obj.func):
                    raise NotAllowed(f"a partial of {_name(obj.func)}")
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


_DESCRIPTORS = (types.MethodWrapperType, types.MethodDescriptorType,
                types.WrapperDescriptorType, types.ClassMethodDescriptorType)


def _by_name(obj: Any) -> bool:
    """Whether pickle refers to `obj` by module and name (a bound method of a builtin
    object, such as `[].remove`, is pickled as its object and a name instead)."""
    if isinstance(obj, types.BuiltinFunctionType):
        return obj.__self__ is None or isinstance(obj.__self__, types.ModuleType)
    return isinstance(obj, type | types.FunctionType)


_NO_STATE = object()  # load_build: a class the allowlist does not hold


class _Dispatch(dict):
    def __missing__(self, opcode: int) -> Any:
        raise SnapshotRefused(f"a snapshot may not use opcode {opcode:#04x}")


class _SnapshotUnpickler(pickle._Unpickler):  # type: ignore[name-defined]
    """The pure-Python pickle machine, every step of it that finds or calls something
    checked: find_class finds only ALLOWED_GLOBALS, and every call goes through `_call`.
    Containers are filled only when they are a list, dict, OrderedDict or set, not through
    methods of other objects."""

    dispatch = _Dispatch(pickle._Unpickler.dispatch)  # type: ignore[attr-defined]
    stack: list[Any]  # pickle._Unpickler's, which typeshed leaves out
    append: Callable[[Any], None]
    pop_mark: Callable[[], list[Any]]
    metastack: list[Any]
    read: Callable[[int], bytes]
    readline: Callable[[], bytes]
    readinto: Callable[[Any], int]

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)
        super().__init__(self.data)

    def load(self) -> Any:
        """pickle._Unpickler.load reading straight from the snapshot's bytes: a snapshot
        is all in memory, so its frames need no buffering (FRAME is skipped; framing is
        no safety matter). Three times faster."""
        self.read, self.readline = self.data.read, self.data.readline
        self.readinto = self.data.readinto
        self.metastack, self.stack = [], []
        self.append = self.stack.append
        self.proto = 0
        read, dispatch = self.read, self.dispatch
        try:
            while True:
                key = read(1)
                if not key:
                    raise EOFError
                dispatch[key[0]](self)
        except pickle._Stop as stop:  # type: ignore[attr-defined]
            return stop.value

    def load_frame(self) -> None:
        self.read(8)

    def find_class(self, module: str, name: str) -> Any:
        found = allowlist().globals.get((module, name))
        if found is None:
            raise SnapshotRefused(f"a snapshot may not refer to {_name(module)}.{_name(name)}")
        return found

    def _permit(self, function: Any, args: tuple, kwargs: dict | None) -> None:
        """Whether the pickle machine may call `function(*args, **kwargs)`: it must be one
        of ALLOWED_GLOBALS (a partial of PARTIAL_FUNCTIONS only), or the `__new__` or
        `__setstate__` of one of their classes, given that class or one of its instances."""
        allowed = allowlist()
        if type(args) is not tuple or not (kwargs is None or type(kwargs) is dict):
            raise SnapshotRefused("a snapshot may call nothing with such arguments")
        if allowed.callables.get(id(function)) is function:
            if function is functools.partial and not (args and _partial_of(args[0])):
                raise SnapshotRefused("a snapshot may make no such partial")
            return
        first = args[0] if args else None
        if isinstance(first, type) and first in allowed.new and allowed.new[
                first] is function:
            return
        setstate = allowed.setstate.get(type(first))
        if setstate is not None and setstate is function and len(args) == 2:
            if type(first) is functools.partial and not (
                    type(args[1]) is tuple and args[1] and _partial_of(args[1][0])):
                raise SnapshotRefused("a snapshot may make no such partial")
            return
        raise SnapshotRefused(f"a snapshot may not call {_name(function)}")

    def _call(self, function: Any, args: tuple, kwargs: dict | None = None) -> Any:
        self._permit(function, args, kwargs)
        return function(*args, **kwargs) if kwargs else function(*args)

    def load_reduce(self) -> None:
        stack = self.stack
        args = stack.pop()
        stack[-1] = self._call(stack[-1], args)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._call(self._new(cls), (cls, *self._tuple(args))))

    def load_newobj_ex(self) -> None:
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._call(self._new(cls), (cls, *self._tuple(args)), kwargs))

    def _new(self, cls: Any) -> Any:
        if not isinstance(cls, type) or cls not in allowlist().new:
            raise SnapshotRefused(f"a snapshot may not build {_name(cls)}")
        return allowlist().new[cls]

    @staticmethod
    def _tuple(args: Any) -> tuple:
        if type(args) is not tuple:
            raise SnapshotRefused("a snapshot may call nothing with such arguments")
        return args

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        allowed = allowlist()
        setstate = allowed.setstate.get(type(inst), _NO_STATE)
        if setstate is not None and setstate is not _NO_STATE and type(state) in (dict, tuple):
            self._call(setstate, (inst, state))
        elif setstate is None and type(state) is dict:  # no slots: the figures' have none
            inst_dict = inst.__dict__
            for k, v in state.items():
                inst_dict[sys.intern(k) if type(k) is str else k] = v
        else:
            raise SnapshotRefused(f"a snapshot may not give {_name(inst)} such a state")

    def load_append(self) -> None:
        value = self.stack.pop()
        self._target(list).append(value)

    def load_appends(self) -> None:
        items = self.pop_mark()
        self._target(list).extend(items)

    def load_setitem(self) -> None:
        value = self.stack.pop()
        key = self.stack.pop()
        self._target(dict, collections.OrderedDict)[key] = value

    def load_setitems(self) -> None:
        items = self.pop_mark()
        target = self._target(dict, collections.OrderedDict)
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def load_additems(self) -> None:
        items = self.pop_mark()
        self._target(set).update(items)

    def _target(self, *types: type) -> Any:
        """The container on top of the stack, if it is one of `types` exactly."""
        target = self.stack[-1]
        if type(target) not in types:
            raise SnapshotRefused(f"a snapshot may not add items to {_name(target)}")
        return target

    def load_bytearray8(self) -> None:  # read, not allocated ahead (the size may be a lie)
        size = int.from_bytes(self.read(8), "little")
        data = self.read(size)
        if len(data) < size:
            raise pickle.UnpicklingError("a snapshot ends within a bytearray")
        self.append(bytearray(data))

    def refuse(self) -> None:
        raise SnapshotRefused("a snapshot may not use protocol 0/1 objects or extensions")

    for _opcode, _load in [
            (pickle.REDUCE, load_reduce), (pickle.NEWOBJ, load_newobj),
            (pickle.NEWOBJ_EX, load_newobj_ex), (pickle.BUILD, load_build),
            (pickle.APPEND, load_append), (pickle.APPENDS, load_appends),
            (pickle.SETITEM, load_setitem), (pickle.SETITEMS, load_setitems),
            (pickle.ADDITEMS, load_additems), (pickle.BYTEARRAY8, load_bytearray8),
            (pickle.FRAME, load_frame),
            (pickle.OBJ, refuse), (pickle.INST, refuse), (pickle.EXT1, refuse),
            (pickle.EXT2, refuse), (pickle.EXT4, refuse)]:
        dispatch[_opcode[0]] = _load
    del _opcode, _load


def load_snapshot(data: bytes) -> tuple[dict, Any]:
    """(settings, figure) of a snapshot, which may have been crafted: only what the lists
    above hold loads (`SnapshotRefused` otherwise, before it runs)."""
    loaded = _SnapshotUnpickler(data).load()
    if type(loaded) is not tuple or len(loaded) != 2:
        raise SnapshotRefused("a snapshot is not (settings, figure)")
    return loaded


def draw_snapshot(data: bytes) -> bytes:
    """The PNG of a snapshot, drawn with the settings it was taken with."""
    import matplotlib as mpl
    import matplotlib.pyplot as pyplot
    from matplotlib.figure import Figure

    with mpl.rc_context():
        settings, figure = load_snapshot(data)
        try:
            if type(settings) is not dict or type(figure) is not Figure:
                raise SnapshotRefused("a snapshot is not (settings, figure)")
            dict.update(mpl.rcParams, settings)
            return draw(figure)
        finally:
            if isinstance(figure, Figure):
                pyplot.close(figure)


def snapshot_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FigureTable:
    """The instructor's figures, and the students' drawn since, by their snapshot's digest,
    as PNG. `recording`: being filled in from the instructor's notebooks (before any
    student's); the students' figures are kept up to STUDENT_PNG_BYTES in all. `shared`: a
    folder the grading processes of one `dlmath grade` batch share (in its private
    temporary folder, beside the references, hidden from every worker), where each writes
    the students' PNGs it draws, up to SHARED_PNG_BYTES, and looks for those the others
    drew: a figure drawn in one process is drawn in no other."""

    pngs: dict[str, bytes] = field(default_factory=dict)
    recording: bool = False
    reused: int = 0  # figures given a PNG drawn before (the instructor's, or a student's)
    students_bytes: int = 0  # of the students' PNGs kept
    shared: Path | None = None  # the folder the batch's processes share PNGs in
    shared_bytes: int = 0  # of the students' PNGs written to `shared` by this process

    def add(self, key: str, png: bytes) -> None:
        if not png.startswith(PNG_SIGNATURE):
            return
        if self.recording:
            self.pngs[key] = png
            return
        if key not in self.pngs and self.students_bytes + len(png) <= STUDENT_PNG_BYTES:
            self.pngs[key] = png
            self.students_bytes += len(png)
        if self.shared is not None and self.shared_bytes + len(png) <= SHARED_PNG_BYTES:
            self.shared_bytes += _write_whole(self._shared_path(key), png)

    def known(self, key: str) -> bytes | None:
        if self.recording:
            return None
        png = self.pngs.get(key)
        if png is None and self.shared is not None:
            png = _read_png(self._shared_path(key))
        self.reused += png is not None
        return png

    def _shared_path(self, key: str) -> Path:
        if not _DIGEST.fullmatch(key):  # a digest names the file, nothing else does
            raise ValueError(f"not a snapshot digest: {key[:80]!r}")
        return self.shared / f"{key}.png"  # type: ignore[operator]

    def dump(self, path: Path) -> None:
        """Written whole or not at all (other processes wait for it), without pickle."""
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps({k: base64.b64encode(v).decode()
                                       for k, v in self.pngs.items()}))
        partial.rename(path)

    @classmethod
    def load(cls, path: Path, shared: Path | None = None) -> FigureTable:
        return cls({k: base64.b64decode(v) for k, v in json.loads(path.read_text()).items()},
                   shared=shared)


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _write_whole(path: Path, png: bytes) -> int:
    """Bytes written: the PNG appears whole under its name, or not at all (another process
    may read it at any moment); 0 when another process wrote it first. The partial file is
    a new one (O_EXCL), never one that was there."""
    if path.exists():
        return 0
    try:
        fd, partial = tempfile.mkstemp(dir=path.parent, suffix=".partial")
    except OSError:  # the folder is gone, or full: the figure is drawn again elsewhere
        return 0
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(png)
        os.rename(partial, path)
    except OSError:
        Path(partial).unlink(missing_ok=True)
        return 0
    return len(png)


def _read_png(path: Path) -> bytes | None:
    """The PNG under `path`, if a regular file holds one (no link is followed, no pipe
    waited on)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        png = file.read(SHARED_READ_BYTES + 1)
    return png if png.startswith(PNG_SIGNATURE) and len(png) <= SHARED_READ_BYTES else None


_installed: FigureTable | None = None  # this grading process's table, set by `dlmath grade`


def install(table: FigureTable | None) -> None:
    global _installed
    _installed = table


def installed() -> FigureTable | None:
    """The table SealedExecute grades with (None: every figure is drawn when shown)."""
    return _installed
