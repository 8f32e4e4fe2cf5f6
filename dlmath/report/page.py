"""The report as one self-contained HTML page (styles and plots inline, no script, nothing
fetched) and as JSON with the same numbers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from dlmath.report import plots, similarity
from dlmath.report.stats import NOT_INFORMATIVE, totals

if TYPE_CHECKING:
    from dlmath.report.build import Report

SHOWN_PAIRS = 40  # per notebook on the page; the export lists every flagged pair
LISTED = 24  # students a diagnosis names before the rest fold away (a click unfolds them)


def _number(x: float) -> float:
    return round(float(x), 6)


def export(report: Report) -> dict:
    """Every number the page shows, as plain data."""
    r = report.results
    return {
        "assignment": report.assignment,
        "students": {"roster": list(r.roster), "submitted": list(r.submitted),
                     "graded": list(r.graded), "without_results": list(r.without_results),
                     "absent": list(r.absent)},
        "notes": report.notes,
        "possible": _number(sum(e.possible for e in report.exercises)),
        "totals": {s: _number(v) for s, v in sorted(totals(r.rows).items())},
        "exercises": [_exercise(e, label) for e, label in zip(report.exercises, report.labels,
                                                               strict=True)],
        "heat_map": None if report.heat is None else {
            "students": list(report.heat.students), "exercises": list(report.heat.exercises),
            "shares": [[None if v is None else _number(v) for v in row]
                       for row in report.heat.shares]},
        "similarity": {"settings": _similarity_settings(),
                       "notebooks": [_notebook(n) for n in report.similar]},
    }


def _exercise(e, label: str) -> dict:
    return {
        "notebook": e.notebook, "exercise": e.exercise, "label": label,
        "students": len(e.scores), "possible": _number(e.possible), "mean": _number(e.mean),
        "full_marks": _number(e.full_marks),
        "scores": {s: _number(v) for s, v in e.scores.items()},
        "distribution": [[score, count] for score, count in e.distribution()],
        "cases": [{"position": c.position, "title": c.title, "students": c.students,
                   "passed": c.passed, "pass_rate": _number(c.pass_rate),
                   "discrimination": NOT_INFORMATIVE if c.discrimination is None
                   else _number(c.discrimination), "why_not_informative": c.why_not}
                  for c in e.cases],
        "diagnoses": [{"diagnosis": d.text, "count": len(d.students),
                       "students": list(d.students), "cases": d.cases} for d in e.diagnoses],
    }


def _notebook(n: similarity.NotebookSimilarity) -> dict:
    return {"notebook": n.notebook, "students": n.students, "compared": n.compared,
            "pairs": [{"first": p.first, "second": p.second,
                       "similarity": [_number(s) for s in p.similarity], "shared": p.shared}
                      for p in n.pairs]}


def _similarity_settings() -> dict:
    return {"detector": "copydetect 0.5.0", "noise": similarity.NOISE,
            "guarantee": similarity.GUARANTEE, "similar": similarity.SIMILAR,
            "min_shared": similarity.MIN_SHARED, "common_share": similarity.COMMON_SHARE,
            "common_min": similarity.COMMON_MIN}


def export_json(report: Report) -> str:
    return json.dumps(export(report), indent=1, ensure_ascii=False) + "\n"


def render(report: Report) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: f"{100 * x:.0f}%"
    return env.from_string(TEMPLATE).render(
        r=report, plots=_plots(report), shown=SHOWN_PAIRS, listed=LISTED,
        safe=Markup, settings=_similarity_settings(), not_informative=NOT_INFORMATIVE)


def _plots(report: Report) -> dict:
    found: dict = {"exercises": [plots.score_histogram(e, label) for e, label
                                 in zip(report.exercises, report.labels, strict=True)]}
    if report.exercises:
        found["totals"] = plots.assignment_histogram(
            list(totals(report.results.rows).values()),
            sum(e.possible for e in report.exercises), report.assignment)
        found["heat"] = plots.heat_map(report.heat, report.assignment) if report.heat else None
        found["discrimination"] = plots.discrimination_map(report.exercises, report.labels)
    return found


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ r.assignment }}: class report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 1em 2em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; margin-top: 2em; }
.sub { color: #666; margin-top: 0; }
.note { background: #fff4e0; border-left: 4px solid #e0a030; padding: 0.5em 0.8em;
        margin: 0.5em 0; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 0.25em 0.7em; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 0.8em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.92em; max-width: 60em; }
.exercise { display: grid; grid-template-columns: minmax(300px, 420px) 1fr; gap: 1.5em;
            border-top: 1px solid #eee; padding-top: 0.8em; }
.muted { color: #888; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
.pair pre { background: #f8f8f8; border: 1px solid #ddd; padding: 0.5em; overflow: auto;
            max-height: 28em; font-size: 0.85em; }
mark { background: #ffd54f; }
.students { font-family: ui-monospace, monospace; font-size: 0.9em; }
</style>
</head>
<body>
<h1>{{ r.assignment }}: what the class got wrong</h1>
<p class="sub">Class report made by <code>dlmath report</code> on {{ r.generated }} from the
gradebook's per-case results (final grading). {{ r.results.roster|length }} students on the
roster, {{ r.results.submitted|length }} submissions, {{ r.results.graded|length }} graded.
The numbers are also in <code>{{ r.assignment }}.json</code> beside this page.</p>
{% for line in r.notes %}
<p class="note">{{ line }}</p>
{% endfor %}
{% if r.exercises %}
<h2>The class at a glance</h2>
<table>
<tr><th>notebook</th><th>exercise</th><th>students</th><th>mean</th><th>full marks</th>
<th>most common diagnosis</th></tr>
{% for e in r.exercises %}
<tr><td>{{ e.notebook }}</td><td><a href="#ex-{{ loop.index }}">{{ r.labels[loop.index0] }}</a></td>
<td class="num">{{ e.scores|length }}</td>
<td class="num">{{ "%.2f"|format(e.mean) }} / {{ "%g"|format(e.possible) }}</td>
<td class="num">{{ e.full_marks|pct }}</td>
<td>{% if e.diagnoses %}{{ e.diagnoses[0].text }} ({{ e.diagnoses[0].students|length }})
{%- else %}<span class="muted">none</span>{% endif %}</td></tr>
{% endfor %}
</table>
{% for key in ("totals", "heat") %}{% if plots[key] %}
<figure>{{ safe(plots[key].svg) }}
<figcaption><strong>How to read it:</strong> {{ plots[key].how_to_read }}</figcaption></figure>
{% endif %}{% endfor %}

<h2>Exercise by exercise</h2>
<p>A case's <em>pass rate</em> counts the students graded on its exercise (a missing result
is a fail). Its <em>discrimination</em> is the correlation (point-biserial r) between passing
it and the student's score on the rest of the assignment: near 1, the strong pass and the
weak fail; near 0 or below, passing says nothing about the rest. A case everyone passed or
everyone failed is <em>{{ not_informative }}</em>.</p>
{% if plots.discrimination %}
<figure>{{ safe(plots.discrimination.svg) }}
<figcaption><strong>How to read it:</strong> {{ plots.discrimination.how_to_read }}</figcaption>
</figure>
{% endif %}
{% for e in r.exercises %}
{% set plot = plots.exercises[loop.index0] %}
<h3 id="ex-{{ loop.index }}">{{ r.labels[loop.index0] }}
<span class="muted">({{ e.notebook }})</span></h3>
<div class="exercise">
<figure>{{ safe(plot.svg) }}
<figcaption><strong>How to read it:</strong> {{ plot.how_to_read }}</figcaption></figure>
<div>
<p>{{ e.scores|length }} students, mean {{ "%.2f"|format(e.mean) }} of
{{ "%g"|format(e.possible) }}, {{ e.full_marks|pct }} at full marks.</p>
<table>
<tr><th>#</th><th>case</th><th>passed</th><th>pass rate</th><th>discrimination</th></tr>
{% for c in e.cases %}
<tr><td class="num">{{ c.position }}</td><td>{{ c.title }}</td>
<td class="num">{{ c.passed }} / {{ c.students }}</td><td class="num">{{ c.pass_rate|pct }}</td>
<td class="num">{% if c.discrimination is none -%}
<span class="muted" title="{{ c.why_not }}">{{ not_informative }}</span>
{%- else %}{{ "%.2f"|format(c.discrimination) }}{% endif %}</td></tr>
{% endfor %}
</table>
{% if e.diagnoses %}
<table>
<tr><th>diagnosis</th><th>students</th><th>who</th></tr>
{% for d in e.diagnoses %}
<tr><td>{{ d.text }}</td><td class="num">{{ d.students|length }}</td>
<td class="students">{% if d.students|length > listed -%}
<details><summary>{{ d.students[:listed]|join(", ") }}, &hellip;</summary>
{{- d.students[listed:]|join(", ") }}</details>
{%- else %}{{ d.students|join(", ") }}{% endif %}</td></tr>
{% endfor %}
</table>
{% else %}
<p class="muted">No failed case of {{ r.labels[loop.index0] }} matched a known mistake.</p>
{% endif %}
</div>
</div>
{% endfor %}
{% endif %}

<h2>Similar submissions</h2>
<p>Each student's solution cells of a notebook, compared with every other student's by
copydetect (tokens, so names, comments and order do not matter), after taking out the
release template, the reference solution and code more than
{{ "%.0f"|format(100 * settings.common_share) }}% of the class wrote alike. A pair is listed when
they share at least {{ settings.min_shared }} characters of code (names counted as one
letter) making up at least {{ "%.0f"|format(100 * settings.similar) }}% of one student's own
code. Shared regions are <mark>marked</mark>. A listed pair is a reason to look, not a
verdict.</p>
{% if not r.similar %}
<p class="note">No submitted notebooks of {{ r.assignment }} to compare.</p>
{% endif %}
{% for n in r.similar %}
<h3>{{ n.notebook }}</h3>
{% if n.students < 2 %}
<p class="muted">{{ n.students }} submitted notebook{{ "" if n.students == 1 else "s" }}
found: nothing to compare.</p>
{% elif not n.pairs %}
<p>{{ n.students }} students compared: no pair above the threshold.</p>
{% else %}
<p>{{ n.students }} students compared: {{ n.pairs|length }}
pair{{ "" if n.pairs|length == 1 else "s" }} above the threshold
{%- if n.pairs|length > shown %} (the {{ shown }} most similar shown; the export lists all)
{%- endif %}.</p>
{% for p in n.pairs[:shown] %}
<h4>{{ p.first }} and {{ p.second }}: {{ p.similarity[0]|pct }} and
{{ p.similarity[1]|pct }} of their own code shared ({{ p.shared }} characters)</h4>
<div class="pair">
<div><strong>{{ p.first }}</strong><pre>{{ safe(p.first_html) }}</pre></div>
<div><strong>{{ p.second }}</strong><pre>{{ safe(p.second_html) }}</pre></div>
</div>
{% endfor %}
{% endif %}
{% endfor %}
</body>
</html>
"""
