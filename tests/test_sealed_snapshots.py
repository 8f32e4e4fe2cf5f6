"""Figure snapshots (figures.py) describe a figure and nothing else: the drawing worker loads
them with the exact globals, bound methods and partials the course's figures need, checks
every call the pickle machine makes, and refuses anything else before it runs. The student's
worker may send any bytes as a snapshot, so these load crafted and mutated ones in-process.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import pickle
import pickletools
import random
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from dlmath.course import source_dir
from dlmath.notebooks import read, student_sources
from dlmath.sealed import figures

# Kinds of plot the course draws besides its notebooks' figures (students make their own);
# the allowlist in figures.py is what these and the notebooks' figures need.
KINDS = {
    "bars": """
fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
left.bar(["sigmoid", "tanh", "relu"], [0.2, 0.5, 0.9], color=["C0", "C1", "C2"], label="bar")
left.axhline(0.5, color="k", linestyle="--", label="axhline")
left.legend(loc="upper left")
left.set_title("Categories")
right.bar(np.arange(4), [3.0, 1.0, 4.0, 1.5], yerr=[0.1, 0.2, 0.1, 0.3], capsize=3)
right.barh([1, 2], [3, 4], alpha=0.5)
right.text(0.5, 0.9, r"text, $\\alpha^2$", transform=right.transAxes, ha="center")
right.grid(True)
right.annotate("minimum", xy=(1, 1.0), xytext=(2, 3.5))
fig.suptitle("Bars")
""",
    "scatter": """
rng = np.random.default_rng(1)
fig, ax = plt.subplots(figsize=(5, 4))
points = ax.scatter(rng.normal(size=60), rng.normal(size=60), c=rng.random(60), s=12,
                    cmap="viridis", alpha=0.8, label="scatter")
fig.colorbar(points, ax=ax, label="value")
ax.errorbar([0, 1, 2], [0.5, 1.0, 0.2], yerr=[0.1, 0.3, 0.2], fmt="o", label="errorbar")
ax.fill_between([-2, 0, 2], [-1, 0, -1], [1, 2, 1], alpha=0.2, label="fill_between")
ax.axvline(0.0, color="gray", linewidth=0.5)
ax.legend()
plt.tight_layout()
""",
    "imshow": """
fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
image = left.imshow(np.linspace(0, 1, 64).reshape(8, 8), cmap="gray", vmin=0, vmax=1)
fig.colorbar(image, ax=left)
left.set_xticks([0, 4, 7], ["first", "middle", "last"])
right.matshow(np.eye(5))
right.set_title("matshow")
""",
    "pyplot": """
plt.figure(figsize=(6, 3))
plt.subplot(1, 2, 1)
plt.semilogx([1, 10, 100, 1000], [4, 3, 1, 2], "r^--", label="semilogx")
plt.ylim(0, 5)
plt.legend(loc="best")
plt.subplot(1, 2, 2)
plt.plot(np.arange(10), np.arange(10) ** 2, color="tab:purple", linewidth=2)
plt.twinx().plot(np.arange(10), np.sqrt(np.arange(10)), "g:")
plt.xlabel("x")
plt.ylabel("y")
plt.title("twinx")
plt.tight_layout()
""",
    "markers": """
from matplotlib.markers import MarkerStyle
fig, ax = plt.subplots(figsize=(8, 3))
for i, marker in enumerate(m for m in MarkerStyle.markers if m not in ("", " ", "None")):
    ax.plot([i], [i % 3], marker=marker, linestyle="none")
ax.set_title("every marker")
""",
}

# Kinds the course does not draw: drawn when shown, never sent as a snapshot.
UNCOMMON = {
    "polar": "fig = plt.figure()\nplt.subplot(projection='polar').plot([0, 1, 2], [1, 2, 3])",
    "pie": "fig = plt.figure()\nplt.pie([1, 2, 3], labels=['a', 'b', 'c'])",
    "a student's formatter": "from matplotlib.ticker import FuncFormatter\n"
                             "fig, ax = plt.subplots()\nax.plot([1, 2])\n"
                             "ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: 'x'))",
}

# Small figures like the course's, fast enough to load some hundred mutated copies of.
FUZZED = {
    "semilogy": """
fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
ax.semilogy([1, 2, 3], [1.0, 10.0, 100.0], "o-", label="norm")
ax.axvline(2, color="gray", linestyle=":")
ax.legend()
""",
    "bars": """
plt.figure(figsize=(3, 2))
plt.bar(["a", "b"], [1, 2], label="bar")
plt.title("bars")
plt.text(0, 1.5, "$x^2$")
""",
    "hist": """
plt.figure(figsize=(3, 2))
plt.hist(np.linspace(-1, 1, 50), bins=5, density=True, alpha=0.5)
plt.plot([-1, 1], [0.2, 0.4], "s", label="plot")
plt.legend()
""",
}


@pytest.fixture(scope="module")
def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def shown_figures(plt, sources: dict[str, str]) -> dict[str, tuple[bytes | None, bytes]]:
    """{name: (snapshot, PNG drawn directly)} of each figure the sources draw."""
    shown: dict[str, tuple[bytes | None, bytes]] = {}
    for name, source in sources.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(source, {"np": np, "plt": plt})
        for number in plt.get_fignums():
            figure = plt.figure(number)
            shown[name] = figures.snapshot(figure), figures.draw(figure)
        plt.close("all")
    return shown


@pytest.fixture(scope="module")
def course(pyplot) -> dict[str, tuple[bytes | None, bytes]]:
    """Every figure of every notebook in source/, the fork server's warm figures and KINDS,
    each as taken when it was shown: (snapshot, PNG drawn directly)."""
    shown: dict[str, tuple[bytes | None, bytes]] = {}
    label = ""

    def show(*args, **kwargs):
        for number in pyplot.get_fignums():
            figure = pyplot.figure(number)
            shown[f"{label} {number}"] = figures.snapshot(figure), figures.draw(figure)
        pyplot.close("all")

    def warm(figure, _):
        shown[f"warm {len(shown)}"] = figures.snapshot(figure), figures.draw(figure)
        pyplot.close(figure)

    pyplot.close("all")  # figures other tests left open are none of the notebooks'
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pyplot, "show", show)
        for path in sorted(source_dir().glob("*/*.ipynb")):
            label = f"{path.parent.name}/{path.name}"
            namespace = {"__name__": "__main__"}
            with contextlib.redirect_stdout(io.StringIO()):
                for source in student_sources(read(path)):
                    exec(compile(source, str(path), "exec"), namespace)
            show()
        patch.setattr(figures, "_draw", warm)
        figures.warm_figures(pyplot)
    return {**shown, **shown_figures(pyplot, KINDS)}


def test_every_course_figure_loads_and_draws_as_it_was_shown(course):
    """The allowlist is wide enough: each figure of the notebooks (six draw one), of the
    fork server's warm-up and of KINDS is snapshotted, and drawn from its snapshot, with the
    checked pickle machine, to the PNG it had when shown."""
    assert sum(not name.startswith(("warm", *KINDS)) for name in course) == 6
    for name, (data, png) in course.items():
        assert data is not None, f"{name}: no snapshot"
        assert figures.draw_snapshot(data) == png, name


def test_a_kind_the_course_does_not_draw_is_drawn_when_shown(pyplot):
    for name, (data, png) in shown_figures(pyplot, UNCOMMON).items():
        assert data is None, name
        assert png.startswith(figures.PNG_SIGNATURE)


def _qualified(function) -> tuple[str, str]:
    function = getattr(function, "__func__", function)
    return function.__module__, function.__qualname__


def test_the_allowlist_is_what_the_course_figures_need(course, monkeypatch):
    """Loading the course's figures asks for exactly ALLOWED_GLOBALS, BOUND_METHODS and
    PARTIAL_FUNCTIONS: none missing (a figure would not load) and none unused (an entry a
    crafted snapshot could use for nothing a figure needs). A new matplotlib may change them:
    this says which."""
    found, methods, partials = set(), set(), set()
    find_class, permit = figures._SnapshotUnpickler.find_class, figures._SnapshotUnpickler._permit

    def recording_find_class(self, module, name):
        found.add((module, name))
        return find_class(self, module, name)

    def recording_permit(self, function, args, kwargs):
        permit(self, function, args, kwargs)
        if function is figures._getattr and not isinstance(args[0], type):
            owner = type(args[0])
            methods.add((owner.__module__, owner.__qualname__, args[1]))
        elif function is functools.partial:
            partials.add(_qualified(args[0]))
        elif args and type(args[0]) is functools.partial:
            partials.add(_qualified(args[1][0]))

    monkeypatch.setattr(figures._SnapshotUnpickler, "find_class", recording_find_class)
    monkeypatch.setattr(figures._SnapshotUnpickler, "_permit", recording_permit)
    for data, _ in course.values():
        figures.load_snapshot(data)
    assert found == figures.ALLOWED_GLOBALS, (found ^ figures.ALLOWED_GLOBALS)
    assert methods == figures.BOUND_METHODS, (methods ^ figures.BOUND_METHODS)
    assert partials == figures.PARTIAL_FUNCTIONS, (partials ^ figures.PARTIAL_FUNCTIONS)


# --- crafted snapshots ----------------------------------------------------------------------


class Call:
    """Pickles as `function(*args)`: what a crafted snapshot asks the loader to run."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args

    def __call__(self):  # pickle wants a reduce's function to look callable
        raise AssertionError("not to be called here")


class Reduced:
    """Pickles as the reduce value it is given (a state, list or dict items)."""

    def __init__(self, *reduced):
        self.reduced = reduced

    def __reduce__(self):
        return self.reduced


def opens(path: Path) -> np.ndarray:
    """An array whose pickle, once loaded, creates `path`."""
    return np.array([Call(open, str(path), "w")], dtype=object)


def npz_bytes(path: Path) -> bytes:
    data = io.BytesIO()
    np.savez(data, a=opens(path))
    return data.getvalue()


def crafted(name: str, tmp: Path) -> bytes:
    """A snapshot that, were it loaded (and drawn) with no checks, writes in `tmp`."""
    from matplotlib.colorbar import _remove_cbar_axes
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.spines import Spines
    from numpy.lib.npyio import NpzFile

    ran, npz, npy = tmp / "ran", tmp / "figure.npz", tmp / "figure.npy"

    def method(obj, name):  # getattr(obj, name), as a bound method is pickled
        return Call(getattr, obj, name)

    payloads = {
        # the attack seen: a public method of an allowed class writes an .npz into the
        # scratch, then numpy loads it with its own, unrestricted, pickle
        "tofile then numpy's pickle": [
            Call(method(np.frombuffer(npz_bytes(ran), np.uint8).copy(), "tofile"), str(npz)),
            Call(method(Call(NpzFile, str(npz), True, True), "get"), "a")],
        "getattr of a method": method(np.arange(3), "tofile"),
        "a public method of an allowed class": Call(method(Call(Figure), "savefig"), str(ran)),
        "an allowed class's method by a dotted name": Call(Figure.savefig, Call(Figure),
                                                           str(ran)),
        "np.memmap": Call(np.memmap, str(ran), np.uint8, "w+", 0, (1,)),
        "np.load": Call(np.load, str(npy), None, True),
        "NpzFile of numpy.lib.npyio": Call(method(Call(NpzFile, str(npz), True, True), "get"),
                                           "a"),
        "os.system": Call(os.system, f"touch {ran}"),
        "builtins.eval": Call(eval, f"open({str(ran)!r}, 'w')"),
        "pickle.loads": Call(pickle.loads, pickle.dumps(Call(open, str(ran), "w"))),
        "functools.partial of a method": Call(functools.partial(np.arange(3).tofile, str(ran))),
        "functools.partial of a function not listed": functools.partial(np.log, 1.0),
        "a partial's state swapping its function": Reduced(
            functools.partial, (_remove_cbar_axes,), (np.log, (), {}, None)),
        "REDUCE on the result of a REDUCE": Call(Call(Normalize, 0.0, 1.0), 0.5),
        "SETITEMS into a non-dict": Reduced(Spines, (), None, None, iter([("x", 1)])),
    }
    if name == "numpy.lib.npyio":  # the module itself
        return b"\x80\x04}(cnumpy.lib\nnpyio\nt\x86."
    if name == "INST":  # protocol 0 instantiation
        return b"(}(imatplotlib.figure\nFigure\nt."
    np.save(npy, opens(ran), allow_pickle=True)  # as if written by an earlier step
    npz.write_bytes(npz_bytes(ran))
    return pickle.dumps(({}, payloads[name]), protocol=4)


CRAFTED = ["tofile then numpy's pickle", "getattr of a method",
           "a public method of an allowed class", "an allowed class's method by a dotted name",
           "np.memmap", "np.load", "numpy.lib.npyio", "NpzFile of numpy.lib.npyio", "os.system",
           "builtins.eval", "pickle.loads", "functools.partial of a method",
           "functools.partial of a function not listed", "a partial's state swapping its function",
           "REDUCE on the result of a REDUCE", "SETITEMS into a non-dict", "INST"]


@pytest.mark.parametrize("name", CRAFTED)
def test_a_crafted_snapshot_is_refused_and_runs_nothing(name, tmp_path, pyplot):
    data = crafted(name, tmp_path)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(pickle.UnpicklingError):
        figures.load_snapshot(data)
    with pytest.raises(pickle.UnpicklingError):
        figures.draw_snapshot(data)
    assert sorted(tmp_path.iterdir()) == before  # nothing written: no code of its ran
    pyplot.close("all")


# --- mutated snapshots ----------------------------------------------------------------------

# Never called while loading a snapshot, whatever its bytes (C functions by module and
# qualname, Python ones by file and name).
DANGEROUS_C = {("builtins", "open"), ("builtins", "exec"), ("builtins", "eval"),
               ("builtins", "compile"), ("builtins", "__import__"), ("_pickle", "load"),
               ("_pickle", "loads"), ("marshal", "load"), ("marshal", "loads"),
               (None, "ndarray.tofile"), (None, "ndarray.dump"), (None, "ndarray.dumps")}
DANGEROUS_C_MODULES = {"posix", "os", "_io", "io", "_posixsubprocess", "marshal", "_pickle"}
DANGEROUS_FILES = ("/os.py", "/subprocess.py", "/shutil.py", "/tempfile.py", "/pathlib.py",
                   "/numpy/lib/_npyio_impl.py", "/numpy/lib/npyio.py", "/numpy/lib/format.py",
                   "/numpy/lib/_format_impl.py", "/numpy/_core/memmap.py",
                   "/numpy/lib/_datasource.py")
DANGEROUS_PICKLE = {"load", "loads", "_load", "_loads"}  # of pickle.py: unpickling further
UNPICKLER_FILES = {figures.__file__, pickle.__file__}  # where getattr is never called from
MUTATIONS = 80  # per seed
SUSPECT_C = {name for module in DANGEROUS_C_MODULES for name in dir(
    importlib.import_module(module))} | {qualname for _, qualname in DANGEROUS_C} | {
    "getattr", "delattr"}  # the qualnames of every C function above
GLOBALS = [("os", "system"), ("posix", "system"), ("builtins", "eval"), ("builtins", "exec"),
           ("builtins", "open"), ("io", "open"), ("builtins", "getattr"), ("numpy", "load"),
           ("numpy", "memmap"), ("numpy.lib.npyio", "NpzFile"), ("numpy.lib", "npyio"),
           ("numpy.lib._npyio_impl", "load"), ("pickle", "loads"), ("marshal", "loads"),
           ("subprocess", "run"), ("shutil", "rmtree"), ("functools", "partial"),
           ("matplotlib.figure", "Figure.savefig"), ("numpy", "ndarray.tofile"),
           ("matplotlib.figure", "Figure"), ("numpy", "ndarray"), ("numpy", "log")]
NAMES = ["tofile", "dump", "savefig", "remove", "pick", "__reduce_ex__", "__class__",
         "__init__", "__globals__", "__subclasses__", "__setstate__", "load", "system"]


def _text(value: str) -> bytes:
    data = value.encode()
    return b"\x8c" + bytes([len(data)]) + data  # SHORT_BINUNICODE


def mutate(data: bytes, ops: list, rng: random.Random) -> bytes:
    """One seeded mutation of a snapshot: flipped bytes, a truncation, opcodes spliced in
    (memo references, calls, builds, container fills), a dangerous global called, or a
    global or a method name swapped for a dangerous one."""
    kind = rng.randrange(7)
    at = rng.choice(ops)[2]  # an opcode's position
    memo = max(1, sum(op.name == "MEMOIZE" for op, _, pos in ops if pos < at))
    if kind == 0:
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(mutated)
    if kind == 1:
        return data[:rng.randrange(len(data))]
    if kind == 2:
        gadgets = [pickle.REDUCE, pickle.BUILD, pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.APPEND,
                   pickle.APPENDS, pickle.SETITEM, pickle.SETITEMS, pickle.ADDITEMS,
                   pickle.MARK, pickle.EMPTY_TUPLE, pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3,
                   pickle.EMPTY_DICT, pickle.EMPTY_LIST, pickle.EMPTY_SET, pickle.POP,
                   pickle.DUP, pickle.STACK_GLOBAL, pickle.OBJ, pickle.NONE, pickle.NEWTRUE,
                   pickle.FROZENSET, b"K\x01", _text(rng.choice(NAMES))]
        splice = b"".join(
            b"j" + rng.randrange(memo).to_bytes(4, "little") if rng.random() < 0.4
            else rng.choice(gadgets) for _ in range(rng.randint(1, 6)))
        return data[:at] + splice + data[at:]
    if kind == 3:
        module, name = rng.choice(GLOBALS)
        found = (_text(module) + _text(name) + pickle.STACK_GLOBAL if rng.random() < 0.5
                 else b"c" + f"{module}\n{name}\n".encode())
        argument = rng.choice([_text("x") + pickle.TUPLE1, pickle.EMPTY_TUPLE,
                               b"j" + rng.randrange(memo).to_bytes(4, "little") + pickle.TUPLE1])
        return data[:at] + found + argument + rng.choice([pickle.REDUCE, pickle.NEWOBJ,
                                                          pickle.BUILD]) + data[at:]
    if kind == 4:  # a global swapped for another
        stack_globals = [pos for op, _, pos in ops if op.name == "STACK_GLOBAL"]
        texts = [(op, pos) for op, _, pos in ops if op.name == "SHORT_BINUNICODE"]
        position = rng.choice(stack_globals)
        before = [(op, pos) for op, pos in texts if pos < position][-2:]
        if len(before) < 2:
            return data
        (_, first), (_, second) = before
        module, name = rng.choice(GLOBALS)
        end = second + 2 + data[second + 1]
        between = data[first + 2 + data[first + 1]:second]  # its MEMOIZE
        return data[:first] + _text(module) + between + _text(name) + data[end:]
    if kind == 5:  # a name (a method's, a key's) swapped for another
        texts = [pos for op, _, pos in ops if op.name == "SHORT_BINUNICODE"]
        position = rng.choice(texts)
        return (data[:position] + _text(rng.choice(NAMES))
                + data[position + 2 + data[position + 1]:])
    other = rng.choice(ops)[2]  # a stretch of the snapshot copied elsewhere
    return data[:at] + data[other:other + rng.randint(1, 64)] + data[at:]


def _allowed_call(function, args, allowed_ids, classes) -> bool:
    """Whether a call is to an object of the allowlist, or to the __new__ or __setstate__ of
    one of its classes (derived here from the lists, not from figures.allowlist())."""
    if id(function) in allowed_ids:
        return True
    first = args[0] if args else None
    if isinstance(first, type) and first in classes and function is first.__new__:
        return True
    owner = type(first)
    return (owner in classes or isinstance(first, np.dtype)) and function is getattr(
        owner, "__setstate__", None)


def test_mutated_snapshots_call_nothing_outside_the_allowlist(pyplot, monkeypatch, tmp_path):
    """Some hundred seeded mutations of real snapshots, each loaded while every call is
    recorded (sys.setprofile: Python and C): no dangerous function is ever called, getattr
    is never called by the pickle machine, nothing unpickles further, and every call the
    loader's check let through is to the allowlist."""
    seeds = {name: data for name, (data, _) in shown_figures(pyplot, FUZZED).items()}
    monkeypatch.chdir(tmp_path)  # where a relative path would be written, were one
    allowed_objects = [figures._getattr if key == ("builtins", "getattr") else
                       _resolve(*key) for key in figures.ALLOWED_GLOBALS]
    allowed_ids = {id(obj) for obj in allowed_objects}
    classes = {obj for obj in allowed_objects if isinstance(obj, type)}
    permitted: list[tuple] = []
    permit = figures._SnapshotUnpickler._permit

    def recording_permit(self, function, args, kwargs):
        permit(self, function, args, kwargs)
        permitted.append((function, args))

    monkeypatch.setattr(figures._SnapshotUnpickler, "_permit", recording_permit)
    harm: list[tuple] = []  # dangerous calls seen
    loads = []  # unpicklers' load() calls
    verdicts: dict = {}  # code object: whether it is dangerous

    def profile(frame, event, arg):
        if event == "c_call":
            if arg.__qualname__ in SUSPECT_C:  # cheap first: the callback runs per call
                module, qualname = getattr(arg, "__module__", None), arg.__qualname__
                if (module, qualname) in DANGEROUS_C or module in DANGEROUS_C_MODULES or (
                        qualname in ("getattr", "delattr")
                        and frame.f_code.co_filename in UNPICKLER_FILES):
                    harm.append((module, qualname, frame.f_code.co_filename))
        elif event == "call":
            code = frame.f_code
            verdict = verdicts.get(code)
            if verdict is None:
                verdict = verdicts[code] = code.co_filename.endswith(DANGEROUS_FILES) or (
                    code.co_filename == pickle.__file__ and code.co_name in DANGEROUS_PICKLE)
            if verdict:
                harm.append((code.co_filename, code.co_name))
            if code.co_name == "load" and code.co_filename in UNPICKLER_FILES:
                loads.append(code)

    outcomes = {"refused": 0, "broken": 0, "loaded": 0}
    for seed, (name, data) in enumerate(sorted(seeds.items())):
        assert data is not None, name
        rng = random.Random(seed)
        ops = list(pickletools.genops(data))
        for _ in range(MUTATIONS):
            mutated = mutate(data, ops, rng)
            permitted.clear()
            loads.clear()
            sys.setprofile(profile)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    figures.load_snapshot(mutated)
                outcomes["loaded"] += 1
            except figures.SnapshotRefused:
                outcomes["refused"] += 1
            except Exception:
                outcomes["broken"] += 1
            finally:
                sys.setprofile(None)
                pyplot.close("all")
            assert not harm, (name, harm)
            assert len(loads) == 1, (name, loads)  # this snapshot's load; nothing further
            for function, args in permitted:
                assert _allowed_call(function, args, allowed_ids, classes), (name, function)
    assert outcomes["refused"] >= 50 and outcomes["broken"] >= 50, outcomes


def _resolve(module: str, qualname: str):
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def test_the_loader_checks_each_kind_of_call(pyplot):
    """Each pickle-machine step that calls something is the checked one (not the stock
    pure-Python or C unpickler's)."""
    machine = figures._SnapshotUnpickler.dispatch
    stock = pickle._Unpickler.dispatch
    for opcode in (pickle.REDUCE, pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.BUILD, pickle.OBJ,
                   pickle.INST, pickle.APPEND, pickle.APPENDS, pickle.SETITEM,
                   pickle.SETITEMS, pickle.ADDITEMS, pickle.EXT1, pickle.EXT2, pickle.EXT4):
        assert machine[opcode[0]] is not stock[opcode[0]], opcode
    assert isinstance(figures._SnapshotUnpickler(b"."), pickle._Unpickler)
