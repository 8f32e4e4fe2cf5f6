"""The fork server: a clean interpreter, warm with numpy, that forks confined workers.

The grader starts it with `python -I -B -c <boot>` (so the same as `python -m
dlmath.sealed.forkserver <fd>`), never by forking itself: the grader holds torch, the
graders and the references, and a worker must find none of them in its memory. Nor does a
worker find where they are: the command line names no path (any account may read it with
`ps`), and the protected paths reach the server as open descriptors (O_PATH) on the control
socket, with the paths workers may read, in a first {"op": "setup"} message. Its
environment is a short allowlist; it imports numpy, matplotlib and the engine's public
modules, draws a few figures (figures.py: what workers then draw costs less), enters its own
PID and mount namespaces (and user namespace unless root), covers the protected paths, and
then serves on the control socket:
- {"op": "spawn", "spec"} with a socket attached -> forks a worker on that socket and
  answers {"op": "spawned", "pid"} with a pidfd of the worker attached;
- {"op": "status", "pid"} (after the grader killed the worker, or saw it exit) ->
  {"op": "status", "status": <wait status or None>}.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import select
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path
from typing import Any

from dlmath import codec
from dlmath.sealed import sandbox

PRELOAD = ("numpy", "numpy.random", "numpy.testing", "dlmath.callables",
           "dlmath.engine.student", "dlmath.sealed.cells", "dlmath.sealed.worker")
PRELOAD_IF_INSTALLED = ("matplotlib", "matplotlib.pyplot", "matplotlib.backends.backend_agg")
CONTROL_BYTES = 2**20
START_SECONDS = 60.0
REQUEST_SECONDS = 10.0
PACKAGE_VARIABLE = "DLMATH_PACKAGE_PARENT"  # where dlmath is: not on the command line
_BOOT = ("import os, sys; sys.path.append(os.environ.pop('DLMATH_PACKAGE_PARENT')); "
         "from dlmath.sealed.forkserver import main; main(int(sys.argv[1]))")


# --- the server process --------------------------------------------------------------------

def _preload() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        importlib.import_module(name)
    for name in PRELOAD_IF_INSTALLED:
        try:
            importlib.import_module(name)
        except ImportError:
            break
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        from dlmath.sealed import figures

        pyplot.show = sys.modules["dlmath.sealed.cells"].show  # type: ignore[attr-defined]
        figures.share_math_text_parses()
        figures.warm_figures(pyplot)  # fonts, glyphs, parses: loaded here, not per worker
    # What warming left behind (closed figures, in reference cycles) is collected here, not
    # in every worker; what the server loaded is left out of the workers' collections (a
    # full one went through 90 000 objects, 60 ms, and wrote to the pages it shares).
    gc.collect()
    gc.freeze()


FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".afm", ".pfb")


def font_files() -> list[tuple[int, str]]:
    """The font files this process has open, as (descriptor, path). Matplotlib reads glyphs
    from them lazily, so a worker needs them open under the same numbers: closed, a glyph
    first drawn in the worker fails, or is read from whatever file is later opened under
    the same number. Each worker opens them afresh (worker.reopen_files)."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            path = os.readlink(f"/proc/self/fd/{name}")
            if path.lower().endswith(FONT_SUFFIXES) and os.path.isfile(path):
                found.append((int(name), path))
    return sorted(found)


def python_paths() -> list[str]:
    """The directories the Python installation imports from: the worker may read them."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths = [sysconfig.get_path(n) for n in ("stdlib", "platstdlib", "purelib", "platlib")]
    paths += [p for p in sys.path if any(sandbox._within(p, root) for root in prefixes)]
    return [p for p in dict.fromkeys(paths) if p and os.path.isdir(p)]


class Server:
    def __init__(self, control: socket.socket, protections: list[sandbox.Protection],
                 read_paths: list[str]):
        self.control = control
        self.protections = [p.to_list() for p in protections]
        self.read_paths = read_paths
        self.font_files = font_files()
        self.statuses: dict[int, int] = {}

    def serve(self) -> None:
        signal.signal(signal.SIGCHLD, self._reap)
        codec.send(self.control, {"op": "hello", "protections": self.protections,
                                  "modules": sorted(sys.modules)})
        while True:
            fds: list[int] = []
            try:
                header, _ = codec.receive(self.control, CONTROL_BYTES, fds=fds)
            except EOFError:
                return
            if header["op"] == "spawn":
                self.spawn(header["spec"], fds[0])
            elif header["op"] == "status":
                codec.send(self.control, {"op": "status", "status": self.status(header["pid"])})

    def spawn(self, spec: dict[str, Any], sock_fd: int) -> None:
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(sock_fd)
            codec.send(self.control, {"op": "failed", "error": f"fork: {exc}"})
            return
        if pid == 0:
            code = 70  # EX_SOFTWARE: the worker's own code failed
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                self.control.close()
                from dlmath.sealed import worker

                worker.main(sock_fd, spec, self.read_paths, self.protections,
                            self.font_files)
                code = 0
            finally:
                os._exit(code)
        os.close(sock_fd)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as exc:  # it died at once, and was reaped already
            codec.send(self.control, {"op": "failed", "error": f"the worker died: {exc}"})
            return
        codec.send(self.control, {"op": "spawned", "pid": pid}, fds=[pidfd])
        os.close(pidfd)

    def _reap(self, *_: Any) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.statuses[pid] = status
            if len(self.statuses) > 10_000:
                self.statuses.pop(next(iter(self.statuses)))

    def status(self, pid: int) -> int | None:
        if pid not in self.statuses:
            try:
                _, self.statuses[pid] = os.waitpid(pid, 0)  # asked only once it is dead
            except ChildProcessError:  # reaped meanwhile by _reap, or never ours
                pass
        return self.statuses.pop(pid, None)


def main(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    sandbox.die_with_parent()
    covered: list[int] = []
    setup, _ = codec.receive(control, CONTROL_BYTES, time.monotonic() + START_SECONDS,
                             fds=covered)
    _preload()
    protections = sandbox.server_namespaces(covered)
    if protections[1].active:  # the next child is PID 1 of the new namespace: it serves
        child = os.fork()
        if child:
            control.close()
            _, status = os.waitpid(child, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        sandbox.die_with_parent()
    Server(control, protections, setup["read_paths"]).serve()


# --- the grader's handle on it ---------------------------------------------------------------

def server_environment() -> dict[str, str]:
    """An allowlist: nothing else of the grader's environment reaches the server. Not even
    HOME, which may hold the course: matplotlib is told where its font cache already is."""
    from dlmath.sealed.worker import ENVIRONMENT

    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return dict(ENVIRONMENT, HOME="/", MPLCONFIGDIR=os.environ.get(
        "MPLCONFIGDIR", os.path.join(cache, "matplotlib")))


def default_protected() -> list[str]:
    """What must never be readable: the course's graders, sources, history and grades."""
    from dlmath.course import autograders_dir, course_root, source_dir

    root = course_root()
    return [str(p) for p in (autograders_dir(), source_dir(), root / ".git",
                             root / "gradebook.db", root / "submitted", root / "autograded",
                             root / "feedback")]


class ServerError(RuntimeError):
    """The fork server failed to fork, or is gone (it never runs student code)."""


def open_protected(protected: list[str]) -> list[int]:
    """Each protected path that exists, open as a descriptor that grants nothing (O_PATH);
    none inside another (covering that one hides it, and leaves nothing to cover it on)."""
    paths = list(dict.fromkeys(os.path.realpath(p) for p in protected))
    fds = []
    for path in paths:
        if any(other != path and sandbox._within(path, other) for other in paths):
            continue
        with contextlib.suppress(OSError):
            fds.append(os.open(path, os.O_PATH | os.O_CLOEXEC))
    return fds


class ForkServer:
    def __init__(self, protected: list[str] | None = None, wait: bool = True):
        """`protected`: paths no worker may see, in addition to `default_protected()`.
        `wait=False`: return while it starts; `ready()` waits for it."""
        ours, theirs = socket.socketpair()
        log = os.environ.get("DLMATH_SEALED_LOG")
        env = server_environment() | {
            PACKAGE_VARIABLE: str(Path(__file__).resolve().parents[2])}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-c", _BOOT, str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=env, cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(log, "ab") if log else subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.control = ours
        every = default_protected() + [str(p) for p in protected or ()]
        covered = open_protected(every)
        try:
            codec.send(ours, {"op": "setup", "read_paths": sandbox.read_paths(
                python_paths(), every)}, fds=covered)
        except OSError:
            pass  # it died at once: ready() says so
        finally:
            for fd in covered:
                os.close(fd)
        self.lock = threading.Lock()
        self.parent = os.getpid()
        self.pidfd: int | None = None  # for a process that adopts it (adopt)
        self.started = time.monotonic()
        self.protections: list[sandbox.Protection] = []
        self.modules: list[str] = []
        self.greeted = False
        if wait:
            self.ready()

    def ready(self) -> ForkServer:
        """Wait until it has started (its hello): it then answers requests."""
        with self.lock:
            if not self.greeted:
                hello = self._receive(max(START_SECONDS - (time.monotonic() - self.started), 1.0))
                self.protections = [sandbox.Protection(*p) for p in hello["protections"]]
                self.modules = hello["modules"]
                self.greeted = True
        return self

    def _receive(self, seconds: float, fds: list[int] | None = None) -> dict:
        try:
            header, _ = codec.receive(self.control, CONTROL_BYTES, time.monotonic() + seconds,
                                      fds)
        except (EOFError, TimeoutError, OSError, codec.ProtocolError) as exc:
            self.close()
            raise ServerError(f"the sealed fork server stopped answering: {exc!r}") from None
        return header

    @property
    def alive(self) -> bool:
        if self.pidfd is not None and os.getpid() != self.parent:  # not our child: no poll
            return self.process.returncode is None and not select.select(
                [self.pidfd], [], [], 0)[0]
        return self.process.poll() is None

    def spawn(self, spec: dict[str, Any]) -> tuple[socket.socket, int, int]:
        """A new worker: (its socket, a pidfd, its pid in the server's namespace)."""
        ours, theirs = socket.socketpair()
        with self.lock:
            try:
                codec.send(self.control, {"op": "spawn", "spec": spec}, fds=[theirs.fileno()])
            except OSError as exc:
                raise ServerError(f"the sealed fork server is gone: {exc}") from None
            finally:
                theirs.close()
            fds: list[int] = []
            header = self._receive(REQUEST_SECONDS, fds)
        if header.get("op") != "spawned" or len(fds) != 1:
            ours.close()
            raise ServerError(f"the sealed fork server could not start a worker: "
                              f"{header.get('error', header)}")
        return ours, fds[0], int(header["pid"])

    def exit_status(self, pid: int) -> int | None:
        with self.lock:
            codec.send(self.control, {"op": "status", "pid": pid})
            return self._receive(REQUEST_SECONDS)["status"]

    def close(self) -> None:
        self.control.close()
        if self.alive:
            self.process.kill()
        self.process.wait()


_server: ForkServer | None = None
_server_owner = 0  # the pid that started it: a forked grader must not share its socket
_server_protected: list[str] | None = None
_server_lock = threading.Lock()


def fork_server(protected: list[str] | None = None, wait: bool = True) -> ForkServer:
    """The fork server of this process, started on first use and again if it died.
    `protected`: paths no worker may see besides `default_protected()`; the nbgrader
    integration adds its course directory's gradebook, submissions and feedback.
    `wait=False`: start it and return at once (it loads while the caller works on); the next
    call waits for it."""
    global _server, _server_owner, _server_protected
    with _server_lock:
        wanted = protected if protected is not None else _server_protected
        if _server is None or _server_owner != os.getpid() or not _server.alive or (
                wanted != _server_protected):
            if _server is not None and _server_owner == os.getpid():
                _server.close()
            _server, _server_owner, _server_protected = (
                ForkServer(wanted, wait=False), os.getpid(), wanted)
        server = _server
    return server.ready() if wait else server


def spare_server(protected: list[str]) -> ForkServer:
    """A fork server started now for a process this one is about to fork (the helper of
    dlmath/nbgrader/ahead.py), which adopts it: it loads meanwhile. The forking process
    calls `handed_over` once the child has it."""
    server = ForkServer(protected, wait=False)
    server.pidfd = os.pidfd_open(server.process.pid)
    return server


def handed_over(server: ForkServer) -> None:
    """In the process that started `server` for a child: it is the child's alone now (it
    ends when the child closes it, or dies)."""
    server.control.close()
    if server.pidfd is not None:
        os.close(server.pidfd)


def adopt(server: ForkServer, protected: list[str]) -> None:
    """In a forked child: `server` (spare_server) is this process's fork server; the
    parent's, whose socket the child inherited, is closed here (the parent keeps it)."""
    global _server, _server_owner, _server_protected
    if _server is not None and _server_owner != os.getpid():
        _server.control.close()
    _server, _server_owner, _server_protected = server, os.getpid(), protected


@atexit.register
def _close_server() -> None:
    if _server is not None and _server_owner == os.getpid():
        _server.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
