"""Similar submissions: students' solution cells compared pairwise with copydetect.

copydetect (Pygments tokens, winnowed k-gram fingerprints, the method of MOSS) replaces every
name by V and drops whitespace and comments, so renaming variables or rewriting comments
changes nothing it sees, and fingerprints do not depend on where code stands, so
reordering functions hides nothing either. Three kinds of code are not evidence and are
taken out before comparing: the release template and the reference solution (the
boilerplate copydetect takes), and code much of the class wrote alike (a fingerprint held
by more than `COMMON_MIN` students and more than `COMMON_SHARE` of them, as MOSS's `-m`).

What is compared is each student's whole set of solution cells of a notebook, not one
exercise at a time: a short function written the natural way looks alike in any two
hands, while a copy carries the whole notebook. A pair is flagged when at least
`MIN_SHARED` characters of filtered code are shared and they are at least `SIMILAR` of
one student's own code. Measured on the corpora (the verdicts are tests/test_report.py's):
two alternative correct solutions of one exercise, the rest of the notebook the
reference, share at most 69 characters and 0.65 of either's own code (attention by einsum
and by a softmax helper; numerical_gradient's two ways of restoring an entry); a copy of a
notebook whose every function a student wrote, renamed, reordered and recommented, shares
134 to 735 characters, 0.93 to 1.0 of its own code.
"""

from __future__ import annotations

import functools
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from copydetect.detector import CodeFingerprint, compare_files
from copydetect.utils import (
    filter_code,
    find_fingerprint_overlap,
    get_copied_slices,
    get_token_coverage,
    hashed_kgrams,
    highlight_overlap,
)

from dlmath.notebooks import solution_code
from dlmath.text import valid_text

NOISE = 25  # copydetect's noise threshold k: a match shorter than this is noise
GUARANTEE = 25  # = NOISE: every k-gram is a fingerprint (solution cells are small)
SIMILAR = 0.75  # share of a student's own code found in the other's
MIN_SHARED = 100  # filtered characters: independent solutions share at most 69
COMMON_SHARE, COMMON_MIN = 0.10, 4  # held by more than max(4, 10%) students: common code
LANGUAGE = "python"


@dataclass(frozen=True)
class Submission:
    """One student's solution cells of one notebook, in notebook order."""

    student: str
    cells: tuple[tuple[str, str], ...]  # (grade id, code)

    @property
    def code(self) -> str:
        return "\n\n".join(_headed(c) for c in self.cells)


@dataclass(frozen=True)
class Pair:
    notebook: str
    first: str
    second: str
    similarity: tuple[float, float]  # the share of each one's own code found in the other's
    shared: int  # characters of filtered code in common
    first_html: str  # the code, escaped, with the shared regions in <mark>
    second_html: str

    @property
    def score(self) -> float:
        return max(self.similarity)


@dataclass(frozen=True)
class NotebookSimilarity:
    notebook: str
    students: int
    compared: int  # pairs that shared any fingerprint
    pairs: tuple[Pair, ...]  # flagged, most similar first


def _headed(cell: tuple[str, str]) -> str:
    """A cell under a comment naming it, as the page shows it."""
    return f"# --- {cell[0]}\n{cell[1].rstrip()}\n"


def solution_cells(nb: dict) -> tuple[tuple[str, str], ...]:
    """The solution cells (nbgrader `solution: true`) of a notebook's JSON, in order. A
    student's file may be any JSON: what is not shaped like a cell is no solution cell."""
    cells = [c for c in _list(nb.get("cells")) if isinstance(c, dict)
             and c.get("cell_type") == "code" and _nbgrader(c).get("solution") is True]
    return tuple((str(_nbgrader(c).get("grade_id", f"cell {i}")), _text(c))
                 for i, c in enumerate(cells))


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata")
    found = meta.get("nbgrader") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def _text(cell: dict) -> str:
    """The cell's code, valid text: a notebook's JSON can spell a lone surrogate, which the
    page (UTF-8) could not hold."""
    source = cell.get("source", "")
    return valid_text("".join(map(str, source)) if isinstance(source, list) else str(source))


def read_json(path: Path) -> dict | None:
    """A notebook's JSON without nbformat's validation, which costs more than the whole
    comparison for a large class; None for a file that is not a notebook."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return None
    return nb if isinstance(nb, dict) else None


def submissions(submitted: Path, assignment: str, notebook: str) -> list[Submission]:
    """Every student's `submitted/<student>/<assignment>/<notebook>.ipynb` that reads."""
    found = []
    for path in sorted(submitted.glob(f"*/{assignment}/{notebook}.ipynb")):
        nb = read_json(path)
        if nb is not None:  # an unreadable notebook has no code to compare
            found.append(Submission(path.parent.parent.name, solution_cells(nb)))
    return found


def boilerplate(release: Path | None, source: Path | None) -> np.ndarray:
    """Every k-gram of the template's and the reference's solution cells."""
    cells: list[str] = []
    for path in (release, source):
        nb = read_json(path) if path else None
        cells += [solution_code(code) for _, code in solution_cells(nb or {})]
    hashes = [hashed_kgrams(filtered(code)[0], NOISE) for code in cells]
    return np.unique(np.concatenate(hashes)) if hashes else np.array([], dtype=np.int64)


@functools.lru_cache(maxsize=8192)
def filtered(code: str) -> tuple[str, np.ndarray]:
    """copydetect's filtered code of one cell (names as V and F, no whitespace or
    comments), and where each of its characters comes from in the cell. Cached: many
    students hand in the same cell (the blank template, a common answer)."""
    text, offsets = filter_code(code, "cell.py", LANGUAGE)
    index = np.arange(len(text))
    if len(offsets) == 0:
        return text, index
    # copydetect's own mapping back to the code (detector.compare_files), per character
    at = np.clip(np.searchsorted(offsets[:, 0], index), 0, len(offsets) - 1)
    return text, index + offsets[at, 1]


def fingerprint(sub: Submission, boilerplate_hashes: np.ndarray) -> CodeFingerprint:
    """The submission's fingerprints, cell by cell: a k-gram spanning two cells is neither
    cell's code, and would match between any two students whose neighbouring cells agree."""
    texts, places, cells, start = [], [], [], 0
    for number, cell in enumerate(sub.cells):
        text, raw = filtered(cell[1])
        header = len(_headed(cell)) - len(cell[1].rstrip()) - 1
        texts.append(text)
        places.append(raw + start + header)
        cells.append(np.full(len(text), number))
        start += len(_headed(cell)) + 2  # the blank line between cells (Submission.code)
    code = "".join(texts)
    fp = CodeFingerprint(f"{sub.student}.py", NOISE, GUARANTEE - NOISE + 1,
                         boilerplate_hashes, filter=False, fp=io.StringIO(code))
    fp.raw_code = sub.code
    raw = np.concatenate(places) if places else np.array([], dtype=int)
    fp.offsets = np.column_stack([np.arange(len(code)), raw - np.arange(len(code))])
    cell = np.concatenate(cells) if cells else np.array([], dtype=int)
    kgrams = max(len(code) - NOISE + 1, 0)  # none in code shorter than one
    within = set(np.nonzero(cell[:kgrams] == cell[NOISE - 1:NOISE - 1 + kgrams])[0].tolist())
    _keep(fp, lambda _, i: i in within)
    return fp


def _keep(fp: CodeFingerprint, wanted) -> None:
    """Keep the fingerprints (hash, index) `wanted` says, and recount what they cover."""
    kept = {h: [i for i in idx if wanted(h, i)] for h, idx in fp.hash_idx.items()}
    fp.hash_idx = {h: idx for h, idx in kept.items() if idx}
    fp.hashes = set(fp.hash_idx)
    fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))


def drop_common(fps: Iterable[CodeFingerprint], students: int) -> int:
    """Take out fingerprints too many students share; returns how many there were."""
    fps = list(fps)
    held = Counter(h for fp in fps for h in fp.hashes)
    common = {h for h, n in held.items() if n > max(COMMON_MIN, COMMON_SHARE * students)}
    for fp in fps:
        if fp.hashes & common:
            _keep(fp, lambda h, _: h not in common)
    return len(common)


def compare_notebook(notebook: str, subs: list[Submission], boilerplate_hashes: np.ndarray
                     ) -> NotebookSimilarity:
    fps = {s.student: fingerprint(s, boilerplate_hashes) for s in subs}
    drop_common(fps.values(), len(fps))
    flagged, compared = [], 0
    for a, b in combinations(sorted(fps), 2):
        if len(fps[a].hashes & fps[b].hashes) * NOISE < MIN_SHARED:
            continue  # cannot reach MIN_SHARED: each shared k-gram covers NOISE characters
        compared += 1
        shared, similarity, _ = compare_files(fps[a], fps[b])
        if shared >= MIN_SHARED and max(similarity) >= SIMILAR:
            flagged.append(_pair(notebook, (a, b), (fps[a], fps[b]), similarity, shared))
    flagged.sort(key=lambda p: (-p.score, -p.shared, p.first, p.second))
    return NotebookSimilarity(notebook, len(fps), compared, tuple(flagged))


def _pair(notebook, names, fps, similarity, shared) -> Pair:
    overlap = find_fingerprint_overlap(fps[0].hashes, fps[1].hashes, fps[0].hash_idx,
                                       fps[1].hash_idx)
    html = [highlight_overlap(fp.raw_code, _marks(fp, idx), "<mark>", "</mark>",
                              escape_html=True)[0] for fp, idx in zip(fps, overlap, strict=True)]
    return Pair(notebook, names[0], names[1], (float(similarity[0]), float(similarity[1])),
                int(shared), html[0], html[1])


def _marks(fp: CodeFingerprint, idx: np.ndarray) -> np.ndarray:
    """The shared regions in the code as written: from the first character of a region's
    first token to the end of its last (a name is one letter in the filtered code)."""
    slices = get_copied_slices(idx, fp.k)
    raw = fp.offsets[:, 0] + fp.offsets[:, 1]
    ends = [_token_end(fp.raw_code, raw[e - 1]) for e in slices[1]]
    return np.array([raw[slices[0]], ends], dtype=int)


def _token_end(code: str, start: int) -> int:
    end = start + 1
    while end < len(code) and (code[end].isalnum() or code[end] == "_") and (
            code[start].isalnum() or code[start] == "_"):
        end += 1
    return end


def class_similarity(submitted: Path, release: Path, source: Path, assignment: str,
                     notebooks: Iterable[str]) -> list[NotebookSimilarity]:
    """Each notebook of the assignment, its submissions compared pairwise."""
    found = []
    for notebook in notebooks:
        subs = submissions(submitted, assignment, notebook)
        hashes = boilerplate(release / assignment / f"{notebook}.ipynb",
                             source / assignment / f"{notebook}.ipynb")
        found.append(compare_notebook(notebook, subs, hashes))
    return found
