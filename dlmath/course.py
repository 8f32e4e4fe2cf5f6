"""Where the course lives: the repository root, its graders, sources and releases."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def course_root() -> Path:
    """The course directory; `DLMATH_COURSE_ROOT` overrides the repository checkout."""
    return Path(os.environ.get("DLMATH_COURSE_ROOT", REPO_ROOT)).resolve()


def autograders_dir() -> Path:
    return Path(os.environ.get("DLMATH_AUTOGRADERS", course_root() / "autograders")).resolve()


def source_dir() -> Path:
    return course_root() / "source"


def release_dir() -> Path:
    return course_root() / "release"


def assignments() -> list[str]:
    return sorted(p.name for p in source_dir().iterdir() if p.is_dir() and p.name[:2].isdigit())
