"""The gradebook's tables are made once, whoever asks first: processes that start together
(the check service's pool, `nbgrader autograde` and its helper, two instructors' runs)
each call upgrade() on the same new database."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from pg import postgres_server, server_bin

PROCESSES, ROUNDS = 4, 3


# Each process imports, says so, then waits for the start file: all upgrade at once.
UPGRADE = """
import sys, time
from pathlib import Path
from dlmath.gradebook import upgrade
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.001)
upgrade(sys.argv[1])
"""


def upgrade_at_once(db_url: str, tmp_path: Path) -> list[str]:
    """The error of each process that failed."""
    start = tmp_path / f"start-{uuid.uuid4().hex}"
    processes = [subprocess.Popen([sys.executable, "-c", UPGRADE, db_url, str(start)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(PROCESSES)]
    assert all(process.stdout.readline() == "ready\n" for process in processes)
    start.touch()
    failed = []
    for process in processes:
        _, err = process.communicate(timeout=120)
        if process.returncode:
            failed.append([line for line in err.splitlines() if "Error" in line][-1])
    return failed


def assert_made_once(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as db:
            ours = db.execute(sa.text("SELECT version_num FROM dlmath_alembic_version")).all()
            nbgraders = db.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        assert ours == [("0002",)] and len(nbgraders) == 1
        assert {"dlmath_checks", "dlmath_cases", "grade"} <= set(
            sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("existing", ["none", "nbgraders"])
def test_processes_that_start_together_on_sqlite_all_succeed(tmp_path, existing):
    for n in range(ROUNDS):
        db_url = f"sqlite:///{tmp_path}/gradebook{n}.db"
        if existing == "nbgraders":  # as the hub's setup leaves it: a roster, no dlmath tables
            from nbgrader.api import Gradebook

            with Gradebook(db_url, "dlmath") as gb:
                gb.add_student("ada")
        assert upgrade_at_once(db_url, tmp_path) == []
        assert_made_once(db_url)


@pytest.mark.skipif(server_bin() is None, reason="PostgreSQL is not installed")
def test_processes_that_start_together_on_postgresql_all_succeed(tmp_path):
    for _ in range(ROUNDS):
        with postgres_server() as db_url:
            assert upgrade_at_once(db_url, tmp_path) == []
            assert_made_once(db_url)
