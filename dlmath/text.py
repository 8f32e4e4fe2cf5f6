"""Text from student code, made valid before anything trusted keeps or writes it.

A Python string can hold what no UTF-8 file can: lone surrogates ("\\udcff"), which is
also how undecodable bytes end up in a str (errors="surrogateescape"). A student's
exception message, warning, print or repr holding one made nbgrader fail to write the
autograded notebook, and the submission lost its grade. Every such text goes through
`valid_text` where it enters the trusted side: the grader's reading of every frame from a
worker (codec.receive), the outputs it records (outputs.py), what the local student
formats of student objects (engine/student.py, engine/plain.py), and the submitted
notebook itself, whose JSON can spell a lone surrogate as an escape (ValidText, the first
of the sanitize steps: dlmath/nbgrader/sanitize.py).

Each lone surrogate becomes U+FFFD, the replacement character, one for one: lengths in
code points stay what the worker counted against its limits, the mark is visible and is
what a decoder shows for bytes it cannot read, and it cannot be mistaken for text the
student wrote (a '?' can; a backslash escape is six characters a student could also
print, and it would grow a text past the limits it was cut to).
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD: encodable as UTF-8."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(REPLACEMENT, text)


def valid_strings(tree: Any) -> Any:
    """JSON data (dicts, lists, strings, numbers; a notebook too) with every string made
    valid, dict keys included; lists and dicts are changed in place. Iterative: as deep as
    JSON allows."""
    if isinstance(tree, str):
        return valid_text(tree)
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = valid_text(item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
        elif isinstance(node, dict):
            if not all(not isinstance(k, str) or valid_text(k) is k for k in node):
                items = [(valid_text(k) if isinstance(k, str) else k, v)
                         for k, v in node.items()]
                node.clear()
                node.update(items)  # the same order; keys made equal keep the last value
            for key, item in node.items():
                if isinstance(item, str):
                    node[key] = valid_text(item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
    return tree
