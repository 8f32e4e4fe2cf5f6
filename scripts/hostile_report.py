"""Grade the adversarial class of issue 5 with the real `nbgrader autograde` and print each
attack and its outcome: the attacked exercise's score, the total, and the reason shown.

    .venv/bin/python scripts/hostile_report.py [--keep DIR]

The class is 39 hostile students, one attack each (autograders/01_linear_algebra/hostile.py),
and two honest ones; tests/hostile_submissions.py builds and grades it, and
tests/test_hostile_autograde.py asserts what this prints. Runs in a temporary course (kept
with --keep), in about a minute on 2 cores. (It uses the tests' helpers, so it puts tests/
on its path; the package itself never does.)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_submissions import (  # noqa: E402  (tests/ is not a package)
    autograde,
    build_course,
    outcomes,
    points_of,
    protected_files,
    shown_anywhere,
    table,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keep", type=Path, help="build the course here and keep it")
    args = p.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="dlmath-hostile-"))
    hostile = build_course(base)
    try:
        run = autograde(hostile)
        rows = outcomes(hostile)
        print(table(rows, points_of(hostile.course), run))
        changed = [p for p, digest in hostile.before.items()
                   if not Path(p).exists() or _digest(Path(p)) != digest]
        after = {str(p) for p in protected_files(hostile.course, hostile.targets)}
        print(f"protected files changed or removed: {changed or 'none'}; "
              f"added: {sorted(after - set(hostile.before)) or 'none'}")
        print(f"protected contents shown in autograded notebooks: "
              f"{shown_anywhere(hostile) or 'none'}")
        print(f"lingering processes: {run.lingering or 'none'}")
        if run.returncode:
            print(run.output[-3000:])
        return 0 if not run.returncode and not changed else 1
    finally:
        hostile.close()
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
