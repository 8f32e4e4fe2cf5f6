"""Hostile student code: one attack per file, run in sealed workers by test_sealed_worker.py.

Each file is a notebook cell. Names an attack needs (a path to steal, a port) come from a
cell the test runs before it. `snippet(name)` returns a file's source, from here or, for the
attacks the simulated class also hands in, from `dlmath/sim/hostile/`.
"""

from pathlib import Path

from dlmath.sim import hostile as simulated

HERE = Path(__file__).parent


def snippet(name: str) -> str:
    path = HERE / f"{name}.py"
    return path.read_text() if path.exists() else simulated.snippet(name)
