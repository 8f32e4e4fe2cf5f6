"""Graders reach dlmath only through `dlmath.kit`, and torch only through its public names.

Every Python file under autograders/ is read with `ast` (nothing runs). A grader
(`test_*.py`) or an assignment's `shared.py` may import the kit, numpy, torch, pytest, math
and its own `shared` module; the other files there (the pytest harness, the corpora, the
hostile classes) import from dlmath only what their table below names. No file touches a
private torch name (`torch.nn.init._calculate_fan_in_and_fan_out`). The kit's own helpers
for what torch keeps private (`fans`, `correct_fan`) are checked against torch's functions.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import torch

from dlmath import kit
from dlmath.course import autograders_dir

GRADER_IMPORTS = {"dlmath.kit", "numpy", "torch", "pytest", "math"}
# Files under autograders/ that are not graders, and the dlmath modules each may import.
OTHER_IMPORTS = {
    "conftest.py": {"dlmath.engine.student"},  # the pytest harness: builds `student`
    "corpus.py": {"dlmath.course"},  # right and wrong solutions: Corpus, Solution
    "hostile.py": set(),
}


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def is_grader(path: Path) -> bool:
    return path.name.startswith("test_") or path.name == "shared.py"


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import; a relative import as '.name' or '.'."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "." * node.level + (node.module or "")))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def import_problems(path: Path, tree: ast.AST) -> list[str]:
    problems = []
    for line, module in imported_modules(tree):
        top = module.split(".")[0]
        if is_grader(path):
            relative_ok = module in (".shared", ".") and path.name != "shared.py"
            if not (relative_ok or module in GRADER_IMPORTS
                    or top in {"numpy", "torch"}):
                problems.append(f"{path}:{line} imports {module}: a grader imports only "
                                f"dlmath.kit, numpy, torch, pytest, math and .shared")
        elif top == "dlmath" and module not in OTHER_IMPORTS.get(path.name, set()):
            problems.append(f"{path}:{line} imports {module}")
    if is_grader(path):  # `from . import shared` is fine; `from . import corpus` is not
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level and not node.module:
                problems += [f"{path}:{node.lineno} imports .{a.name}" for a in node.names
                             if a.name != "shared"]
    return problems


def torch_names(tree: ast.AST) -> set[str]:
    """The names bound to torch or one of its modules (`torch`, `F`, `init`, ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "torch":
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_torch_uses(path: Path, tree: ast.AST) -> list[str]:
    roots = torch_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in roots:
                found.append(f"{path}:{node.lineno} uses {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            private = [a.name for a in node.names if is_private(a.name)]
            if private or any(is_private(part) for part in node.module.split(".")):
                found.append(f"{path}:{node.lineno} imports {private or node.module} "
                             f"from {node.module}")
        elif isinstance(node, ast.Import):
            found += [f"{path}:{node.lineno} imports {a.name}" for a in node.names
                      if a.name.split(".")[0] == "torch"
                      and any(is_private(p) for p in a.name.split("."))]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and is_private(node.args[1].value)):
            found.append(f"{path}:{node.lineno} looks up {node.args[1].value!r}")
    return found


def problems_in(root: Path) -> list[str]:
    problems = []
    for path in python_files(root):
        tree = ast.parse(path.read_text(), filename=str(path))
        problems += import_problems(path.relative_to(root), tree)
        problems += private_torch_uses(path.relative_to(root), tree)
    return problems


def test_graders_use_only_the_kit_and_public_torch():
    files = python_files(autograders_dir())
    assert sum(is_grader(p) for p in files) > 50
    problems = problems_in(autograders_dir())
    assert not problems, "\n".join(problems)


BAD_GRADER = '''
import torch
import torch.nn.init as init
from torch.nn.init import _calculate_correct_fan
from dlmath.engine.compare import expect_close
from dlmath import kit
import dlmath.engine.inputs
from .corpus import CORPORA
from . import corpus


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def gain():
    return init._calculate_correct_fan(torch.empty(3, 4), "fan_in") + getattr(torch, "_C")
'''
GOOD_GRADER = '''
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlmath.kit import FLOAT64, expect_close, fans

from . import shared
from .shared import CASES


def helper(t):
    return t.__class__, torch.__version__, F.linear, np.float64, math.pi, pytest.mark, fans
'''


def test_the_check_catches_what_it_is_for(tmp_path):
    """Each forbidden import and private name is reported; what graders may use is not."""
    (tmp_path / "99_demo").mkdir()
    (tmp_path / "99_demo" / "test_bad.py").write_text(BAD_GRADER)
    (tmp_path / "99_demo" / "test_good.py").write_text(GOOD_GRADER)
    (tmp_path / "99_demo" / "shared.py").write_text("from .shared import X\n")
    (tmp_path / "99_demo" / "test_shared_first.py").write_text("from .shared import X\n")
    (tmp_path / "99_demo" / "corpus.py").write_text("from dlmath.engine.runner import x\n")
    text = "\n".join(problems_in(tmp_path))
    for expected in ("test_bad.py:4 imports", "test_bad.py:5 imports dlmath.engine.compare",
                     "test_bad.py:6 imports dlmath", "test_bad.py:7 imports dlmath.engine",
                     "test_bad.py:8 imports .corpus", "test_bad.py:9 imports .corpus",
                     "test_bad.py:13 uses torch.nn.init._calculate_fan_in_and_fan_out",
                     "test_bad.py:17 uses init._calculate_correct_fan",
                     "test_bad.py:17 looks up '_C'", "shared.py:1 imports .shared",
                     "corpus.py:1 imports dlmath.engine.runner"):
        assert expected in text, text
    assert "test_good.py" not in text and "test_shared_first.py" not in text, text


def test_the_kit_documents_every_public_name():
    """`__all__` names what the kit holds, and its docstring lists every name in it."""
    assert len(set(kit.__all__)) == len(kit.__all__)
    assert all(hasattr(kit, name) for name in kit.__all__)
    listed = set(kit.__doc__.replace(",", " ").split())
    assert not [name for name in kit.__all__ if name not in listed]


SHAPES = [(3, 5), (5, 3), (1, 1), (0, 4), (4, 0), (7, 1), (16, 3, 5), (8, 4, 1), (2, 0, 3),
          (64, 3, 3, 3), (8, 4, 5, 2), (32, 16, 1, 1), (1, 1, 1, 1), (4, 2, 0, 3),
          (10, 6, 3, 3, 3), (5, 2, 4, 1, 3), (1, 1, 1, 1, 1), (3, 2, 1, 0, 2)]


def torch_private(name):
    return getattr(torch.nn.init, name)  # only here: the proof that the kit matches torch


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fans_match_torch(shape):
    """kit.fans and kit.correct_fan agree with torch's private functions, 2-D to 5-D."""
    weight = torch.empty(shape)
    assert kit.fans(shape) == torch_private("_calculate_fan_in_and_fan_out")(weight)
    assert kit.fans(list(shape)) == kit.fans(shape)
    assert all(type(f) is int for f in kit.fans(shape))
    for mode in ("fan_in", "fan_out", "FAN_IN", "Fan_Out"):
        assert kit.correct_fan(shape, mode) == torch_private("_calculate_correct_fan")(
            weight, mode)


@pytest.mark.parametrize("shape", [(), (5,), (0,), (1,)], ids=str)
def test_fewer_than_two_dimensions_raise_as_in_torch(shape):
    with pytest.raises(ValueError) as torch_error:
        torch_private("_calculate_fan_in_and_fan_out")(torch.empty(shape))
    with pytest.raises(ValueError) as ours:
        kit.fans(shape)
    assert str(ours.value) == str(torch_error.value)
    with pytest.raises(ValueError):
        kit.correct_fan(shape, "fan_in")


@pytest.mark.parametrize("mode", ["fan_avg", "", "in"])
def test_unknown_mode_raises_as_in_torch(mode):
    with pytest.raises(ValueError) as torch_error:
        torch_private("_calculate_correct_fan")(torch.empty(3, 4), mode)
    with pytest.raises(ValueError) as ours:
        kit.correct_fan((3, 4), mode)
    assert str(ours.value) == str(torch_error.value)


def test_shifted_seeds_move_the_generator_only_inside():
    first = kit.generator(5).random()
    with kit.shifted_seeds(1000):
        assert kit.generator(5).random() == kit.rng(1005).random()
    assert kit.generator(5).random() == first == kit.rng(5).random()


def test_a_grader_imports_its_shared_module_by_every_loader(tmp_path, monkeypatch):
    """`from .shared import ...` works when the runner loads a grader (in the package of its
    assignment's folder) and under pytest, whatever it imported before."""
    import subprocess

    from dlmath.engine.runner import collect_cases, load_grader, run_case

    folder = tmp_path / "98_kit_demo"
    folder.mkdir()
    (folder / "shared.py").write_text("from dlmath.kit import FLOAT64\n\nTOL = FLOAT64\n")
    (folder / "test_double.py").write_text(
        "from .shared import TOL\nfrom dlmath.kit import expect_close\n\n\n"
        "def test_double(student):\n    expect_close(student.double(2.0), 4.0, tol=TOL)\n")
    monkeypatch.setenv("DLMATH_AUTOGRADERS", str(tmp_path))
    module = load_grader("98_kit_demo/double")
    assert module.TOL is kit.FLOAT64
    assert sys.modules["dlmath_graders.98_kit_demo.shared"].__file__ == str(
        folder / "shared.py")
    (case,) = collect_cases(module)
    assert not run_case(case, _Double()).passed  # runs, and the wrong answer fails
    (tmp_path / "conftest.py").write_text("import pytest\n\n\n@pytest.fixture\n"
                                          "def student():\n    return None\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "--import-mode=importlib", str(folder)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert "test_double.py::test_double" in done.stdout, done.stdout + done.stderr


class _Double:
    def double(self, x):
        return 3 * x
