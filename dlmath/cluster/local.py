"""`dlmath cluster --workers N`: a real Dask cluster on this machine, to try the cluster path.

The real programs: one `dask scheduler` and N `dask worker` processes (each with its nanny,
which restarts a worker that dies), on loopback only, speaking mutual TLS with credentials
made for this cluster. Once every worker is connected, the scheduler's address is the last
line printed; SIGTERM or Ctrl-C stops them all, and so does this process dying. Tests and
benchmarks run the command itself in a child process (`launch_cluster`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dlmath.cluster.security import client_security, make_credentials, tls_arguments

START_SECONDS = 120
ADDRESS_SECONDS = 180  # for `dlmath cluster` in a child: its scheduler, then its workers


def dask_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dask"), *args]


def _die_with_parent() -> None:
    from dlmath.sealed.sandbox import die_with_parent

    die_with_parent()


# A grading task holds no data worth spilling to disk, and a worker paused for memory would
# never resume: only the nanny's last resort stays, restarting a worker past its limit.
WORKER_MEMORY = {"DASK_DISTRIBUTED__WORKER__MEMORY__TARGET": "False",
                 "DASK_DISTRIBUTED__WORKER__MEMORY__SPILL": "False",
                 "DASK_DISTRIBUTED__WORKER__MEMORY__PAUSE": "False"}


# The scheduler hands a worker one task per thread, no more (it queues the rest): a worker
# killed by a poison submission then takes no other submission down with it (each would
# count one of its tries).
SCHEDULER = {"DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}


def start(arguments: list[str], log: Path) -> subprocess.Popen:
    env = os.environ | SCHEDULER | WORKER_MEMORY | {"OMP_WAIT_POLICY": "PASSIVE",
                                                    "PYTHONWARNINGS": "ignore"}
    with open(log, "ab") as out:
        return subprocess.Popen(dask_command(*arguments), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env,
                                preexec_fn=_die_with_parent)


def run_cluster(workers: int, credentials: Path, say: Callable[[str], None],
                memory_limit: str = "4GiB") -> int:
    make_credentials(credentials)
    tls = tls_arguments(credentials)
    stop = _stop_on_signals()
    with tempfile.TemporaryDirectory(prefix="dlmath-cluster-") as tmp:
        folder = Path(tmp)
        say(f"logs: {folder}")
        scheduler_file = folder / "scheduler.json"
        processes = [start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--protocol",
                            "tls", "--no-dashboard", "--scheduler-file", str(scheduler_file),
                            *tls], folder / "scheduler.log")]
        try:
            address = _wait_for_address(scheduler_file, processes[0])
            for i in range(workers):
                processes.append(start(
                    ["worker", address, "--host", "127.0.0.1", "--nworkers", "1",
                     "--nthreads", "1", "--no-dashboard", "--memory-limit", memory_limit,
                     "--local-directory", str(folder / f"worker-{i}"), *tls],
                    folder / f"worker-{i}.log"))
            _wait_for_workers(address, credentials, workers, processes)
            say(f"{workers} workers connected; stop with Ctrl-C")
            say(address)
            while not stop and all(p.poll() is None for p in processes[:1]):
                time.sleep(0.2)
        finally:
            _stop(processes)
    return 0


def _stop_on_signals() -> list[int]:
    stop: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: stop.append(number))
    return stop


def _wait_for_address(scheduler_file: Path, scheduler: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and scheduler.poll() is None:
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    raise RuntimeError("the Dask scheduler did not start (see its log)")


def _wait_for_workers(address: str, credentials: Path, count: int,
                      processes: list[subprocess.Popen]) -> None:
    from distributed import Client

    with Client(address, security=client_security(credentials), timeout=START_SECONDS,
                set_as_default=False) as client:
        deadline = time.monotonic() + START_SECONDS
        while len(client.scheduler_info(n_workers=-1)["workers"]) < count:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError("the Dask workers did not all connect (see their logs)")
            time.sleep(0.2)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):  # workers first, then the scheduler
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch_cluster(workers: int, folder: Path, credentials: Path, log: Path,
                   memory_limit: str | None = None, env: dict[str, str] | None = None
                   ) -> tuple[subprocess.Popen, str]:
    """`dlmath cluster` as a child process, the command an instructor runs, for tests and
    benchmarks: run in `folder`, its output in `log`, in a session of its own (a caller
    can end it whole). Returns it and the scheduler's address, once every worker is
    connected."""
    memory = ["--memory-limit", memory_limit] if memory_limit else []
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dlmath.cli", "cluster", "--workers", str(workers),
             "--credentials", str(credentials), *memory], cwd=folder, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env=env)
    return process, _printed_address(process, log)


def _printed_address(process: subprocess.Popen, log: Path) -> str:
    """The last line `dlmath cluster` prints once every worker is connected."""
    deadline = time.monotonic() + ADDRESS_SECONDS
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if lines and lines[-1].startswith("tls://"):
            return lines[-1]
        if process.poll() is not None:
            raise RuntimeError(f"`dlmath cluster` stopped:\n{log.read_text()}")
        time.sleep(0.2)
    raise RuntimeError(f"no address printed:\n{log.read_text()}")
