"""A throwaway PostgreSQL server for tests, started from the distribution's package.

It listens only on a Unix socket in a temporary directory. As root the server runs as the
`postgres` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def server_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)


@contextlib.contextmanager
def postgres_server(database: str = "gradebook") -> Iterator[str]:
    """Start a server in a new temporary directory; yield an SQLAlchemy URL for a database.

    The directory is made directly under the system temp folder, because the server's user
    must be able to traverse every folder above its data directory.
    """
    bin_dir = server_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix="dlmath-pg-"))
    base.chmod(0o755)
    data, sock = base / "data", base / "sock"
    for d in (data, sock):
        d.mkdir()
        _chown(d)
    run = lambda *cmd: subprocess.run(_as_server_user(list(cmd)), check=True,  # noqa: E731
                                      capture_output=True, text=True, cwd=base)
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "server.log"), "-o",
        f"-k {sock} -c listen_addresses='' -c fsync=off", "start")
    try:
        run(str(bin_dir / "createdb"), "-h", str(sock), "-U", "postgres", database)
        yield f"postgresql+psycopg://postgres@/{database}?host={sock}"
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                        "immediate", "stop"]), capture_output=True, cwd=base)
        shutil.rmtree(base, ignore_errors=True)
