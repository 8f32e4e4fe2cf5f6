"""What a grading process skips at start.

nbformat imports jsonschema, which imports the optional `rfc3987_syntax` at once, and that
builds a Lark grammar for IRIs: about a second of every `dlmath grade` run
(python-jsonschema/jsonschema#1428). Grading never checks an IRI: nbformat validates with
fastjsonschema and no format checker. Marked as not installed, the import fails quickly and
jsonschema goes without its IRI formats, in this process only.
"""

from __future__ import annotations

import sys

SKIPPED = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    """Call before anything imports nbformat; later it changes nothing."""
    if "jsonschema" not in sys.modules:
        for name in SKIPPED:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # "not installed"
