"""The package's layers point one way (README, "How grading flows"):

    base (text, callables, codec, course, notebooks, gradebook)
      <- engine (graders' student, runner, comparisons, kit)
        <- sealed (the worker behind the engine's student)
          <- nbgrader (autograde, dlmath grade, release)
            <- cli, check, hub; sim (a simulated class: demo, benchmark), used by the cli only

A module may import its own layer and the ones below, never one above."""

from __future__ import annotations

import ast
from pathlib import Path

from dlmath.course import PACKAGE_DIR

LAYERS = {"base": 0, "engine": 1, "sealed": 2, "nbgrader": 3, "top": 4, "sim": 5}
BASE = {"text", "callables", "codec", "course", "notebooks", "gradebook"}


def layer(module: str) -> str:
    """`dlmath.engine.runner` -> engine; `dlmath.codec` -> base; `dlmath.cli` -> top. The
    package's own __init__ (`dlmath.grade`, what a hidden test cell calls) is an entry point
    at the top; importing the package itself loads nothing more."""
    parts = module.split(".")[1:]
    if not parts:
        return "base"
    if parts[0] in ("engine", "sealed", "nbgrader", "sim"):
        return parts[0]
    return "base" if parts[0] in BASE else "engine" if parts[0] == "kit" else "top"


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module of the package that `path` imports, with the line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(f"dlmath.{a.name}" if node.module == "dlmath" else node.module,
                       node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
    return [(name, line) for name, line in found if name.split(".")[0] == "dlmath"]


def modules() -> list[tuple[str, Path]]:
    return [("dlmath." + ".".join(p.relative_to(PACKAGE_DIR).with_suffix("").parts), p)
            for p in sorted(PACKAGE_DIR.rglob("*.py"))]


def test_every_import_points_down_or_sideways():
    upward = []
    for name, path in modules():
        mine = LAYERS[layer(name)]
        for target, line in imports(path):
            if LAYERS[layer(target)] > mine and not (layer(name) == "top" and
                                                      layer(target) == "sim"):
                upward.append(f"{path.relative_to(PACKAGE_DIR)}:{line} {name} -> {target}")
    assert upward == []


# The fork server is a fresh `python -I`: it alone puts the package's folder on its path.
BOOTS = {PACKAGE_DIR / "sealed" / "forkserver.py"}


def test_the_package_never_reaches_into_the_tests_or_sys_path():
    for _, path in modules():
        text = path.read_text()
        assert "sys.path" not in text or path in BOOTS, path
        assert '"tests"' not in text and "'tests'" not in text and '/ "tests"' not in text, path


def test_the_layer_test_sees_an_upward_import(tmp_path):
    """It can fail: an engine module importing the sealed worker is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from dlmath.sealed.student import Submission\nfrom dlmath import codec\n")
    assert [layer(t) for t, _ in imports(bad)] == ["sealed", "base"]
    assert LAYERS[layer("dlmath.sealed.student")] > LAYERS[layer("dlmath.engine.runner")]
