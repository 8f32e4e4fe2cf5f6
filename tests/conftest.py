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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed step of the hub test shows the end of the hub's log (its services' lines
    too) in the report, so that CI's output says what the services saw."""
    outcome = yield
    report = outcome.get_result()
    site = getattr(item, "funcargs", {}).get("site")
    if report.when == "call" and report.failed and hasattr(site, "log_tail"):
        report.sections.append(("the hub's log, last 60 lines", site.log_tail(60)))
