"""The feedback page: nbconvert's HTML exporter with the math typeset when the page is made.

nbgrader's feedback template loads MathJax from a public CDN, so a student offline, or on a
hub without outside access, reads raw LaTeX. Here every formula of the notebook's markdown
(and every `text/latex` output) is turned into MathML by latex2mathml while the page is
generated; browsers render MathML themselves. The page carries a Content-Security-Policy
that allows no script and no request: whatever a notebook's outputs hold, opening the
feedback never reaches the network.

One exporter makes the pages of a whole `generate_feedback` run, and most of a page recurs
from student to student (the markdown, the code given): each is rendered once. The page is
written as the template makes it, without HTMLExporter's BeautifulSoup pass over it (half
the run's time), which only rewrote the same HTML and gave images alternative text (the
template gives it).
"""

from __future__ import annotations

import html
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from latex2mathml.converter import convert
from markupsafe import Markup
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode
from traitlets.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
log = logging.getLogger(__name__)

SOURCES_CACHED = 1024  # markdown and code sources: an assignment's, many times over
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


class CachedHighlight:
    """nbconvert's highlight_code filter, remembering the HTML of each code it was given."""

    def __init__(self, highlight: Highlight2HTML):
        self.highlight = highlight
        self.html = lru_cache(maxsize=SOURCES_CACHED)(self.highlight_source)

    def __call__(self, source: str, language: str | None = None, metadata=None) -> str:
        # of a cell's metadata, the highlighting reads only its magics_language
        if not (metadata and "magics_language" in metadata):
            return self.html(source, language, None)
        if not isinstance(metadata["magics_language"], str):
            return self.highlight(source, language, metadata)
        return self.html(source, language, metadata["magics_language"])

    def highlight_source(self, source: str, language: str | None, magics: str | None) -> str:
        return self.highlight(source, language,
                              None if magics is None else {"magics_language": magics})


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
        # One exporter makes a whole run's pages, with the same settings: what the students'
        # pages share (markdown, code given) is made once.
        self.markdown = lru_cache(maxsize=SOURCES_CACHED)(self.render_markdown)
        self.highlighters: dict[str | None, CachedHighlight] = {}

    def from_notebook_node(  # type: ignore[override]  # as HTMLExporter's: a page, not a notebook
            self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """HTMLExporter's, without its BeautifulSoup pass over the page: the template gives
        every figure alternative text (its label), and a lab notebook's cells, which the
        pass makes focusable, are not in this (classic) template."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code") or self.highlighter(lexer)
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    def highlighter(self, lexer: str | None) -> CachedHighlight:
        if lexer not in self.highlighters:
            self.highlighters[lexer] = CachedHighlight(
                Highlight2HTML(pygments_lexer=lexer, parent=self))
        return self.highlighters[lexer]

    @pass_context
    def markdown2html(self, context, source):
        attachments = context.get("cell", {}).get("attachments", {})
        if attachments or self.embed_images:  # the HTML holds the cell's or its folder's images
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            return self.render_markdown(source, attachments, path)
        return self.markdown(source)

    def render_markdown(self, source: str, attachments: dict | None = None, path: str = "") -> str:
        renderer = MathMLRenderer(
            escape=False, attachments=attachments or {}, embed_images=self.embed_images,
            path=path, anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def default_filters(self):
        yield from super().default_filters()
        yield ("markdown2html", self.markdown2html)
        yield ("typeset_output", typeset_output)
        yield ("without_font_faces", without_font_faces)
