"""A real Dask cluster for tests: `dlmath cluster`, which starts the real `dask scheduler`
and `dask worker` programs on loopback with TLS credentials of their own."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

WORKERS = 2
MEMORY_LIMIT = "900MiB"  # per worker: a poison notebook goes past it, a real one never


class Cluster:
    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.credentials = folder / "credentials"
        self.log = folder / "cluster.log"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dlmath.cli", "cluster", "--workers", str(WORKERS),
                 "--credentials", str(self.credentials), "--memory-limit", MEMORY_LIMIT],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=env)
        self.address = self._address()

    def _address(self) -> str:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            lines = self.log.read_text().splitlines()
            if lines and lines[-1].startswith("tls://"):
                return lines[-1]
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.2)
        raise AssertionError(f"no address printed:\n{self.log.read_text()}")

    def worker_processes(self) -> list[psutil.Process]:
        """The Dask worker processes (each a child of a `dask worker` nanny)."""
        found = []
        for nanny in psutil.Process(self.process.pid).children():
            if "worker" in nanny.cmdline():
                found += [p for p in nanny.children() if "spawn_main" in " ".join(p.cmdline())]
        return found

    def scheduler(self) -> psutil.Process:
        return next(p for p in psutil.Process(self.process.pid).children()
                    if "scheduler" in p.cmdline())

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        finally:
            subprocess.run(["pkill", "-9", "-s", str(self.process.pid)], check=False)
