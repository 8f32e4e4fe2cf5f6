"""Hostile student code the simulated class hands in: one attack per file, each a notebook
cell. `snippet(name)` returns a file's source. The project's tests use these too, beside
attacks of their own.
"""

from pathlib import Path

HERE = Path(__file__).parent


def snippet(name: str) -> str:
    return (HERE / f"{name}.py").read_text()
