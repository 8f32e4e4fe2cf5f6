"""The class report (`dlmath report`): what the class got wrong, from the gradebook.

`data.py` reads the final grading's per-case rows (`dlmath_cases`) and nbgrader's roster and
submissions into plain dataclasses; `stats.py` turns them into item analysis (scores, pass
rates, discrimination, diagnoses, the heat map); `similarity.py` compares the students'
solution cells with copydetect; `plots.py` draws with matplotlib; `page.py` writes the HTML
page and its JSON; `build.py` puts one assignment's report together.
"""

from __future__ import annotations

from dlmath.report.build import Report, build_report, write_report

__all__ = ["Report", "build_report", "write_report"]
