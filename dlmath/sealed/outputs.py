"""Cell outputs from a worker, checked before they reach a notebook.

The worker is untrusted: only the output types it is meant to produce pass (streams, a
final value, text and PNG displays, errors), every text is a string that can be written
as UTF-8, and the whole is capped in size. Anything else becomes one error output.
"""

from __future__ import annotations

import re
from typing import Any

import nbformat
from nbformat import NotebookNode

from dlmath.text import valid_text

MAX_OUTPUTS = 1000
_BASE64 = re.compile(r"[A-Za-z0-9+/=\n]*")
_DEFAULTS: dict[str, dict[str, Any]] = {  # as nbformat.v4.new_output fills them in
    "stream": {"name": "stdout", "text": ""},
    "display_data": {"metadata": {}, "data": {}},
    "execute_result": {"metadata": {}, "data": {}, "execution_count": None},
    "error": {"ename": "NotImplementedError", "evalue": "", "traceback": []},
}


def new_output(output_type: str, **fields: Any) -> NotebookNode:
    """nbformat.v4.new_output's output, without its schema check (a third of a millisecond,
    several per cell): every value that reaches here is checked already, a string or a
    dict of strings, and nbformat checks the whole notebook when it writes it."""
    return nbformat.from_dict({"output_type": output_type, **_DEFAULTS[output_type], **fields})


def clean_outputs(raw: Any, cap: int) -> list[NotebookNode]:
    """Validated nbformat outputs, or one error output saying they were unusable."""
    try:
        if type(raw) is not list or len(raw) > MAX_OUTPUTS:
            raise ValueError("not a list of outputs")
        outputs = [_clean_output(o) for o in raw]
        if sum(output_size(o) for o in outputs) > cap:
            raise ValueError("too large")
        return outputs
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return [new_output("error", ename="MalformedOutput", traceback=[],
                           evalue=f"the cell's outputs were unusable ({exc})")]


def output_size(output: NotebookNode) -> int:
    """Characters of text and data, as a worker counts them against a cell's limit."""
    texts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", []),
             *output.get("data", {}).values()]
    return sum(len(t) for t in texts)


def _clean_output(output: dict) -> NotebookNode:
    kind = output["output_type"]
    if kind == "stream" and output["name"] in ("stdout", "stderr"):
        return new_output("stream", name=output["name"], text=_text(output["text"]))
    if kind == "execute_result":
        return new_output("execute_result", data=_data(output["data"]))
    if kind == "display_data":
        return new_output("display_data", data=_data(output["data"]))
    if kind == "error":
        lines = output["traceback"]
        if type(lines) is not list:
            raise ValueError("a traceback that is not a list")
        return new_output("error", ename=_text(output["ename"]),
                          evalue=_text(output["evalue"]),
                          traceback=[_text(line) for line in lines[:200]])
    raise ValueError(f"an output of type {str(kind)[:20]!r}")


def _text(value: Any) -> str:
    """A string that can be written as UTF-8 (lone surrogates become U+FFFD)."""
    if type(value) is not str:
        raise TypeError("text that is not a string")
    return valid_text(value)


def _data(data: dict) -> dict[str, str]:
    if type(data) is not dict or not set(data) <= {"text/plain", "image/png"}:
        raise ValueError("unexpected output data")
    clean = {k: _text(v) for k, v in data.items()}
    if "image/png" in clean and not _BASE64.fullmatch(clean["image/png"]):
        raise ValueError("an image that is not base64")
    return clean
