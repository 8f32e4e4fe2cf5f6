"""The report's plots, drawn with matplotlib and inlined as SVG: the page needs no network
and no file beside it. Every plot has a title, axis labels and a sentence on how to read it.
Figures are made without pyplot, so no GUI backend is ever chosen."""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from dlmath.report.stats import ExerciseStats, HeatMap

LABELLED_STUDENTS = 60  # more rows than this: the heat map names no student on its axis


@dataclass(frozen=True)
class Plot:
    title: str
    svg: str  # an <svg> element, ready to inline
    how_to_read: str


def _svg(fig: Figure, title: str, tight: bool = False) -> str:
    """The figure as an inline <svg>: text stays text (the page's font, searchable), and
    its ids are salted with the title, so several plots on one page never share one.
    Fitting the box to the labels (`tight`) draws twice: only for labels of any length."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": title}):
        fig.savefig(buffer, format="svg", bbox_inches="tight" if tight else None,
                    metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def score_histogram(e: ExerciseStats, label: str) -> Plot:
    title = f"{label}: scores"
    fig = Figure(figsize=(4.2, 2.6))
    fig.subplots_adjust(left=0.14, right=0.96, bottom=0.19, top=0.89)
    ax = fig.add_subplot()
    edges = np.linspace(0, e.possible, 11) if e.possible else np.linspace(0, 1, 11)
    ax.hist(list(e.scores.values()), bins=edges, color="#4c72b0", edgecolor="white")
    ax.set(title=title, xlabel=f"points earned (of {e.possible:g})", ylabel="students",
           xlim=(edges[0], edges[-1]))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    how = (f"Each bar counts the students whose score on {label} falls in its range; the "
           "bar at the right edge is full marks, bars at the left are students it stopped.")
    return Plot(title, _svg(fig, title), how)


def assignment_histogram(scores: list[float], possible: float, assignment: str) -> Plot:
    title = f"{assignment}: total scores"
    fig = Figure(figsize=(6, 2.8))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.18, top=0.9)
    ax = fig.add_subplot()
    top = possible or 1.0
    ax.hist(scores, bins=np.linspace(0, top, 21), color="#55a868", edgecolor="white")
    ax.set(title=title, xlabel=f"points on the assignment (of {possible:g})",
           ylabel="students", xlim=(0, top))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    how = ("Each bar counts the students whose total falls in its range: a second hump at "
           "the left is a group the assignment lost.")
    return Plot(title, _svg(fig, title), how)


def heat_map(heat: HeatMap, assignment: str) -> Plot:
    title = f"{assignment}: each student's share of each exercise"
    rows, columns = len(heat.students), len(heat.exercises)
    shares = np.ma.masked_invalid(np.array(
        [[np.nan if v is None else v for v in row] for row in heat.shares], dtype=float))
    fig = Figure(figsize=(max(6.0, 0.42 * columns + 3), min(18.0, max(3.0, 0.2 * rows + 2))))
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#bbbbbb")
    image = ax.imshow(shares, cmap=cmap, vmin=0, vmax=1, aspect="auto",
                      interpolation="nearest")
    ax.set_xticks(range(columns), heat.exercises, rotation=60, ha="right",
                  rotation_mode="anchor")
    if rows <= LABELLED_STUDENTS:
        ax.set_yticks(range(rows), heat.students)
        ylabel = "student (weakest at the top)"
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(lambda y, _: f"{int(y) + 1}")
        ylabel = "student's rank from the weakest (names in the export)"
    ax.set(title=title, xlabel="exercise (hardest at the left)", ylabel=ylabel)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("share of the exercise's points")
    bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    how = ("One row per student, one column per exercise, red for points missed and green "
           "for points earned (grey: no result); the weakest students are at the top and "
           "the hardest exercises at the left, so trouble gathers in the top-left corner.")
    return Plot(title, _svg(fig, title, tight=True), how)


def discrimination_map(exercises: list[ExerciseStats], labels: list[str]) -> Plot | None:
    """Pass rate against discrimination, one dot per informative case."""
    dots = [(c.pass_rate, c.discrimination, label) for e, label in zip(exercises, labels,
                                                                        strict=True)
            for c in e.cases if c.discrimination is not None]
    if not dots:
        return None
    title = "Cases: pass rate and discrimination"
    fig = Figure(figsize=(6, 3.4))
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.15, top=0.9)
    ax = fig.add_subplot()
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.axhline(0.2, color="#999999", linewidth=0.8, linestyle=":")
    ax.scatter([d[0] for d in dots], [d[1] for d in dots], s=18, alpha=0.7, color="#c44e52")
    ax.set(title=title, xlabel="pass rate", ylabel="discrimination (r)", xlim=(-0.02, 1.02),
           ylim=(min(-0.25, min(d[1] for d in dots) - 0.05), 1.02))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    how = ("Each dot is a case some but not all students passed: dots above the dotted line "
           "(r = 0.2) separate strong from weak students; dots near or below zero do not, "
           "and are worth a look at what they test. The tables below name every case.")
    return Plot(title, _svg(fig, title), how)
