"""Shared fixtures: a reference student per notebook, and a home-free Jupyter environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _no_home_writes(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point every Jupyter and IPython directory at a temporary one."""
    base = tmp_path_factory.mktemp("jupyter-home")
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl")]:
        os.environ[var] = str(base / sub)
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    # nbgrader runs `alembic` from PATH when it creates a gradebook.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
