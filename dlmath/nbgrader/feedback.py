"""A GenerateFeedback preprocessor that keeps grader internals out of the feedback HTML."""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor

from dlmath.notebooks import is_graded_test

HIDDEN = re.compile(r"^[^\n]*BEGIN HIDDEN TESTS.*?END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_hidden(source: str) -> str:
    return HIDDEN.sub("", source).rstrip()


def _plain_error(output: dict) -> dict:
    """An error without its traceback: the frames would show grader source and paths."""
    text = ANSI.sub("", f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return {"output_type": "error", "ename": output.get("ename", "Error"),
            "evalue": ANSI.sub("", str(output.get("evalue", ""))), "traceback": [text]}


class HideGraderInternals(Preprocessor):
    """In graded test cells: drop the hidden region and reduce errors to one line."""

    enabled = True  # nbconvert registers preprocessors disabled unless they say otherwise

    def preprocess_cell(self, cell, resources, index):
        if is_graded_test(cell):
            cell.source = strip_hidden(cell.source)
            cell.outputs = [_plain_error(o) if o.get("output_type") == "error" else o
                            for o in cell.get("outputs", [])]
        return cell, resources
