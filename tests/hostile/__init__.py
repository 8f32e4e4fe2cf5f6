"""Hostile student code: one attack per file, run in sealed workers by test_sealed_worker.py.

Each file is a notebook cell. Names an attack needs (a path to steal, a port) come from a
cell the test runs before it. `snippet(name)` returns a file's source.
"""

from pathlib import Path

HERE = Path(__file__).parent


def snippet(name: str) -> str:
    return (HERE / f"{name}.py").read_text()
