"""What the course's nbgrader_config.py asks of nbgrader and nbconvert themselves."""

from __future__ import annotations

import nbformat
import pytest
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import Preprocessor

from dlmath.course import REPO_ROOT
from dlmath.nbgrader.plan import load_config


class Unchanged(Preprocessor):
    def preprocess(self, nb, resources):
        return nb, resources


class Break(Preprocessor):
    def preprocess(self, nb, resources):
        nb.cells[0]["cell_type"] = "not a cell type"
        return nb, resources


def notebook():
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])


def test_notebooks_are_validated_once_after_the_chain_and_an_invalid_one_is_refused(
        monkeypatch):
    """nbconvert validates after the whole chain (optimistic_validation), not after each of
    its steps, and a step that breaks the notebook still gets it refused before writing."""
    nb, invalid = notebook(), notebook()
    validated = []
    real = nbformat.validate
    monkeypatch.setattr(nbformat, "validate", lambda nb, *a, **k: validated.append(1) or
                        real(nb, *a, **k))
    exporter = NotebookExporter(config=load_config(REPO_ROOT))
    assert exporter.optimistic_validation
    for _ in range(5):
        exporter.register_preprocessor(Unchanged(), enabled=True)
    exporter._preprocess(nb, {})
    assert len(validated) == 1
    exporter.register_preprocessor(Break(), enabled=True)
    with pytest.raises(nbformat.ValidationError):
        exporter.from_notebook_node(invalid)
