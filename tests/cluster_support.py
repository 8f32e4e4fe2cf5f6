"""A real Dask cluster for tests: `dlmath cluster`, which starts the real `dask scheduler`
and `dask worker` programs on loopback with TLS credentials of their own."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import psutil

from dlmath.cluster.local import launch_cluster

WORKERS = 2
MEMORY_LIMIT = "900MiB"  # per worker: a poison notebook goes past it, a real one never


def _cmdline(process: psutil.Process) -> list[str]:
    """Its command line; empty for one that has exited (a killed worker not yet reaped)."""
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return []


class Cluster:
    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.credentials = folder / "credentials"
        self.log = folder / "cluster.log"
        self.process, self.address = launch_cluster(WORKERS, folder, self.credentials,
                                                    self.log, MEMORY_LIMIT, env)

    def worker_processes(self) -> list[psutil.Process]:
        """The Dask worker processes (each a child of a `dask worker` nanny)."""
        found = []
        for nanny in psutil.Process(self.process.pid).children():
            if "worker" in _cmdline(nanny):
                found += [p for p in nanny.children() if "spawn_main" in " ".join(_cmdline(p))]
        return found

    def scheduler(self) -> psutil.Process:
        return next(p for p in psutil.Process(self.process.pid).children()
                    if "scheduler" in _cmdline(p))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        finally:
            subprocess.run(["pkill", "-9", "-s", str(self.process.pid)], check=False)
