"""The grader's side of one worker: send a request, wait for the answer within limits.

Waiting watches three things at once: the socket (an answer), the worker's pidfd (it
died), and the clock (wall time, and the worker's CPU time read from /proc). A worker
past a limit is killed with SIGKILL at once: no signal it could catch or ignore.
"""

from __future__ import annotations

import os
import select
import signal
import time
from typing import Any

from dlmath import codec
from dlmath.sealed.forkserver import ForkServer
from dlmath.sealed.sandbox import Protection

TICK_SECONDS = 0.05
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_SIGNALS: dict[int, str] = {
    signal.SIGSEGV: "a segmentation fault (SIGSEGV): ctypes, or an extension given bad input",
    signal.SIGBUS: "a bus error (SIGBUS)",
    signal.SIGFPE: "a floating point trap (SIGFPE)",
    signal.SIGILL: "an illegal instruction (SIGILL)",
    signal.SIGABRT: "an abort (SIGABRT), for example os.abort()",
    signal.SIGKILL: "SIGKILL (the system ran out of memory, or the code killed itself)",
    signal.SIGXCPU: "SIGXCPU: it used up the notebook's CPU time",
    signal.SIGXFSZ: "SIGXFSZ: it wrote a file larger than allowed",
}


class WorkerDied(Exception):
    """The worker ended, closed its channel, or broke the protocol; `reason` says how."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class WorkerTimedOut(Exception):
    """A wall clock ('wall') or CPU ('cpu') limit ran out; the worker has been killed."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def describe_status(status: int | None) -> str:
    if status is None:
        return "the process running it stopped"
    if os.WIFEXITED(status):
        return f"the process running it exited with code {os.WEXITSTATUS(status)} (os._exit?)"
    number = os.WTERMSIG(status)
    try:
        name = _SIGNALS.get(number) or signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return f"the process running it was stopped by {name}"


def _global_pid(pidfd: int) -> int | None:
    """The worker's pid as this process sees it (the server's is in another namespace)."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class Worker:
    def __init__(self, server: ForkServer, spec: dict[str, Any], seconds: float):
        self.server = server
        self.sock, self.pidfd, self.pid = server.spawn(spec)
        self.sock.setblocking(False)  # all waiting is in `poll`, with the pidfd and clocks
        self.frames = codec.FrameReader(self.sock)
        self.global_pid = _global_pid(self.pidfd)
        self.alive = True
        self.cpu_at_end = 0.0
        self.poller = select.poll()
        self.poller.register(self.sock, select.POLLIN)
        self.poller.register(self.pidfd, select.POLLIN)
        hello, _ = self.receive(time.monotonic() + seconds, max_bytes=codec.MAX_HEADER_BYTES)
        self.protections = [Protection(*p) for p in hello["protections"]]

    def cpu_seconds(self) -> float:
        """CPU time used so far, read from outside (a worker cannot forge it)."""
        if not self.alive or self.global_pid is None:
            return self.cpu_at_end
        try:
            with open(f"/proc/{self.global_pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            self.cpu_at_end = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, ValueError, IndexError):
            pass
        return self.cpu_at_end

    def send(self, header: dict, buffers: list[bytes], deadline: float) -> None:
        self.send_parts(codec.frame_parts(header, buffers), deadline)

    def send_parts(self, parts: list[bytes], deadline: float) -> None:
        """A frame built by codec.frame_parts."""
        try:
            for part in parts:
                self._write(memoryview(part), deadline)
        except OSError:
            raise WorkerDied(self.death()) from None

    def _write(self, view: memoryview, deadline: float) -> None:
        while view:
            try:
                view = view[self.sock.send(view):]
            except BlockingIOError:  # the worker is not reading: wait, within the deadline
                writable = select.poll()
                writable.register(self.sock, select.POLLOUT)
                left = deadline - time.monotonic()
                if left <= 0 or not writable.poll(left * 1000):
                    self.kill()
                    raise WorkerTimedOut("wall") from None

    def receive(self, deadline: float, cpu_seconds: float | None = None,
                cpu_cap: float | None = None, max_bytes: int = 2**20
                ) -> tuple[dict, list[memoryview]]:
        """The next message, waited for until `deadline` (time.monotonic) and while the
        worker uses at most `cpu_seconds` more CPU, and never more than `cpu_cap` in all.
        CPU is first read after one tick: a quick answer costs no read of /proc."""
        limit = None
        if self.frames.pending:  # a frame may have come with the last one
            frame = self._read(max_bytes)
            if frame is not None:
                return frame
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise WorkerTimedOut("wall")
            ready = {fd for fd, _ in self.poller.poll(min(left, TICK_SECONDS) * 1000)}
            if self.sock.fileno() in ready:
                frame = self._read(max_bytes)
                if frame is not None:
                    return frame
                continue  # part of a frame: wait for the rest
            if self.pidfd in ready:
                raise WorkerDied(self.death())
            if cpu_cap is None:
                continue
            if limit is None:
                limit = min(self.cpu_seconds() + (cpu_seconds or cpu_cap), cpu_cap)
            elif self.cpu_seconds() > limit:
                self.kill()
                raise WorkerTimedOut("cpu")

    def _read(self, max_bytes: int) -> tuple[dict, list[memoryview]] | None:
        try:
            return self.frames.frame(max_bytes)
        except (EOFError, OSError):
            raise WorkerDied(self.death()) from None
        except codec.ProtocolError as exc:
            self.kill()
            raise WorkerDied(f"it sent a malformed message ({exc}): was the channel to the "
                             "grader tampered with?") from None

    def death(self) -> str:
        """Why the worker ended (it is killed first if it merely closed its channel)."""
        exited = bool(select.select([self.pidfd], [], [], 0.5)[0])
        self.kill()
        if not exited:
            return "it closed its channel to the grader, and was stopped"
        try:
            return describe_status(self.server.exit_status(self.pid))
        except Exception:
            return describe_status(None)

    def kill(self) -> None:
        if self.alive:
            self.cpu_seconds()
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.alive = False

    def close(self) -> None:
        self.kill()
        self.sock.close()
        try:
            os.close(self.pidfd)
        except OSError:
            pass

