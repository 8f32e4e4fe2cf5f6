"""The feedback page: nbconvert's HTML exporter with the math typeset when the page is made.

nbgrader's feedback template loads MathJax from a public CDN, so a student offline, or on a
hub without outside access, reads raw LaTeX. Here every formula of the notebook's markdown
(and every `text/latex` output) is turned into MathML by latex2mathml while the page is
generated; browsers render MathML themselves. The page carries a Content-Security-Policy
that allows no script and no request: whatever a notebook's outputs hold, opening the
feedback never reaches the network.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from jinja2 import pass_context
from latex2mathml.converter import convert
from markupsafe import Markup
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
log = logging.getLogger(__name__)

# $$...$$, \[...\], $...$ or \(...\): the delimiters a text/latex output may use.
# Bootstrap's and Jupyter's stylesheets declare icon fonts by URL; the page uses no icon, and
# fetching them would be the page's only request (blocked by its policy, noisily).
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
DELIMITED = re.compile(r"^\s*(\$\$|\\\[|\$|\\\()(.*?)(\$\$|\\\]|\$|\\\))\s*$", re.S)


def typeset(tex: str, display: str = "inline") -> str:
    """MathML for a TeX formula; TeX that latex2mathml cannot read stays visible as code."""
    try:
        return convert(tex.strip(), display=display)
    except Exception as exc:  # latex2mathml raises many kinds; a page must still be made
        log.warning("formula left as TeX (%s: %s): %s", type(exc).__name__, exc, tex)
        return f'<code class="tex">{html.escape(tex)}</code>'


def typeset_output(latex: str) -> str:
    """A `text/latex` output: one formula between delimiters is typeset; other LaTeX
    (a table, a document) is shown as text, as a notebook without MathJax would."""
    match = DELIMITED.match(latex)
    if not match:
        return f"<pre>{html.escape(latex)}</pre>"
    display = "inline" if match.group(1) in ("$", "\\(") else "block"
    return typeset(match.group(2), display)


def without_font_faces(css: str) -> Markup:
    return Markup(FONT_FACE.sub("", str(css)))


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, with formulas typeset instead of left for MathJax."""

    def inline_math(self, body: str) -> str:
        return typeset(body, "inline")

    def block_math(self, body: str) -> str:
        return typeset(body, "block")

    def latex_environment(self, name: str, body: str) -> str:
        return typeset(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")


class FeedbackPage(HTMLExporter):
    """The exporter of `nbgrader generate_feedback` for this course
    (`c.GenerateFeedback.exporter_class`): the `dlmath_feedback` template, math as MathML."""

    def __init__(self, config: Config | None = None, **kwargs):
        # GenerateFeedback configures HTMLExporter with nbgrader's template; this class's own
        # section is more specific, so the page is ours whatever that says.
        config = Config(config or {})
        config.FeedbackPage.template_name = "dlmath_feedback"
        config.FeedbackPage.extra_template_basedirs = [str(TEMPLATES)]
        super().__init__(config=config, **kwargs)

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def default_filters(self):
        yield from super().default_filters()
        yield ("markdown2html", self.markdown2html)
        yield ("typeset_output", typeset_output)
        yield ("without_font_faces", without_font_faces)
