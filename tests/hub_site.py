"""A throwaway JupyterHub site for the end-to-end test, made by deploy/jupyterhub/setup_course.py.

Everything lives in one temporary folder that other unix users may enter (the environment, the
grader's and the students' homes, the exchange, the hub's state); the unix accounts are created
with a random suffix and removed afterwards, with every process they left behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SETUP = REPO / "deploy" / "jupyterhub" / "setup_course.py"


@dataclass
class Account:
    name: str
    password: str
    home: Path


@dataclass
class Site:
    root: Path
    suffix: str = field(default_factory=lambda: secrets.token_hex(3))
    accounts: dict[str, Account] = field(default_factory=dict)
    hub: subprocess.Popen | None = None
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def prefix(self) -> Path:
        return self.root / "opt"

    @property
    def grader(self) -> str:
        return f"dlgrader{self.suffix}"

    @property
    def course_root(self) -> Path:
        return self.root / "home" / self.grader / "dlmath"

    @property
    def exchange(self) -> Path:
        return self.root / "srv" / "exchange"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.ports['public']}"

    def user(self, role: str) -> Account:
        return self.accounts[role]

    def account_name(self, role: str) -> str:
        """The unix account of a person (`role`), known before it is made."""
        return f"dl{role}{self.suffix}"

    def server_url(self, role: str) -> str:
        name = self.user(role).name
        return f"http://{name}.localhost:{self.ports['public']}/user/{name}"

    @property
    def check_url(self) -> str:
        """The check service, as kernels reach it (on loopback, past the proxy)."""
        return f"http://127.0.0.1:{self.ports['check']}/services/dlmath-check/check"

    @property
    def service_url(self) -> str:
        return f"http://dlmath--service.localhost:{self.ports['public']}/services/dlmath"

    # --- making it -------------------------------------------------------------------
    def install(self, roster: Path | None = None) -> None:
        subprocess.run([sys.executable, SETUP, "--prefix", self.prefix, "--grader", self.grader,
                        "--course-root", self.course_root, "--exchange", self.exchange,
                        "--hub-state", self.root / "srv" / "hub",
                        *(["--roster", roster] if roster else [])], check=True)

    def add_account(self, role: str) -> Account:
        name = self.account_name(role)
        home = self.root / "home" / name
        subprocess.run(["useradd", "--create-home", "--home-dir", home, "--shell", "/bin/bash",
                        name], check=True)
        password = secrets.token_urlsafe(12)
        subprocess.run(["chpasswd"], input=f"{name}:{password}", text=True, check=True)
        home.chmod(0o700)
        self.accounts[role] = account = Account(name, password, home)
        return account

    def start(self, instructors: list[str], students: list[str]) -> None:
        self.ports = {k: free_port() for k in ("public", "hub_api", "proxy_api", "service",
                                               "check")}
        env = {
            "PATH": f"{self.prefix / 'venv' / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.root / "srv" / "hub"), "LANG": "C.UTF-8",
            "DLMATH_PREFIX": str(self.prefix), "DLMATH_HUB_STATE": str(self.root / "srv" / "hub"),
            "DLMATH_GRADER": self.grader, "DLMATH_COURSE_ROOT": str(self.course_root),
            "DLMATH_EXCHANGE": str(self.exchange), "DLMATH_HUB_URL": self.url,
            "DLMATH_HUB_API_PORT": str(self.ports["hub_api"]),
            "DLMATH_PROXY_API_PORT": str(self.ports["proxy_api"]),
            "DLMATH_SERVICE_PORT": str(self.ports["service"]),
            "DLMATH_CHECK_PORT": str(self.ports["check"]),
            "DLMATH_INSTRUCTORS": ",".join(self.user(r).name for r in instructors),
            "DLMATH_STUDENTS": ",".join(self.user(r).name for r in students),
        }
        log = open(self.root / "hub.log", "wb")
        self.hub = subprocess.Popen(
            [self.prefix / "venv" / "bin" / "jupyterhub", "-f", "jupyterhub_config.py"],
            cwd=self.prefix / "etc", env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self._wait_until_up()

    def _wait_until_up(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.hub and self.hub.poll() is not None:
                raise RuntimeError(f"jupyterhub exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"jupyterhub did not answer within {seconds} s: {self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        path = self.root / "hub.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) \
            if path.exists() else ""

    # --- as a unix user --------------------------------------------------------------
    def run_as(self, role: str, *cmd: str | Path) -> subprocess.CompletedProcess:
        """Run a command as a person's unix account (`role`), or as the grader account."""
        name, home = (self.grader, self.course_root.parent) if role == "grader" else \
            (self.user(role).name, self.user(role).home)
        return subprocess.run([str(c) for c in cmd], user=name, group=name, extra_groups=[],
                              cwd="/", capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(home)})

    # --- taking it down --------------------------------------------------------------
    def stop(self) -> None:
        if self.hub and self.hub.poll() is None:
            self.hub.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy
            try:
                self.hub.wait(30)
            except subprocess.TimeoutExpired:
                pass
        if self.hub:
            _kill_group(self.hub.pid)
        for name in [a.name for a in self.accounts.values()] + [self.grader]:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        time.sleep(0.5)
        for name in [a.name for a in self.accounts.values()] + [self.grader]:
            subprocess.run(["userdel", name], capture_output=True)
            subprocess.run(["groupdel", name], capture_output=True)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_site() -> Site:
    """A site folder every account may enter (pytest's own temp folders are private)."""
    root = Path(tempfile.mkdtemp(prefix="dlmath-hub-"))
    root.chmod(0o755)
    return Site(root)


def missing_requirements() -> str | None:
    """Why this machine cannot run the hub test, or None."""
    if os.geteuid() != 0:
        return "needs root: it creates unix accounts and starts JupyterHub"
    for tool in ("chromium", "npm", "useradd", "chpasswd"):
        if not shutil.which(tool):
            return f"{tool} is not installed (.ci/run installs it)"
    if not Path("/usr/bin/python3.11").exists():
        return "/usr/bin/python3.11 is not installed (the hub's environment is built from it)"
    return None
