"""The worker: one student's notebook in a confined process, answering the grader.

Requests (JSON headers, see codec.py) and what the worker sends back:
- {"op": "run", "figures", "defer", "cells": [[number, source, outputs wanted], ...]} ->
  one {"op": "cell", "number", "outputs", "problem"} per cell, in order (a re-run wants no
  outputs: its figures are not drawn); with "defer", a figure is an output
  {"output_type": "figure", "snapshot": i, "label"} and its snapshot the i-th buffer;
- {"op": "draw"} + snapshots as buffers (sent when grading is over) -> one
  {"op": "figure", "index", "problem"} per snapshot, + its PNG when it was drawn;
- {"op": "call", "name", "args", "kwargs", "trace"}, {"op": "value", "name"},
  {"op": "has", "name"} -> {"op": "reply", "ok", "value" | "error", "warnings", "traced",
  "rngs", "fatal"}.
Every reply repeats the request's "seq". Calls go through `LocalStudent`, so a sealed
answer (its errors, warnings, traced operations, in-place checks) is the local one.
"""

from __future__ import annotations

import builtins
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlmath import codec
from dlmath.engine.errors import (
    StudentCrashed,
    StudentError,
    StudentRaised,
    StudentTimeout,
    WrongReturnType,
)
from dlmath.engine.rounds import NOT_RUN
from dlmath.engine.student import (
    CallLimits,
    LocalStudent,
    OutputFlood,
    call_label,
    time_limit,
)
from dlmath.sealed import cells, figures, sandbox

REQUEST_BYTES = 2**34  # the grader is trusted; its requests are as large as it likes
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def error_to_plain(exc: StudentError) -> dict[str, Any]:
    if isinstance(exc, StudentRaised):
        return {"type": "StudentRaised", "call": exc.call, "type_name": exc.type_name,
                "message": exc.exc_message, "mro": list(exc.mro), "where": exc.where}
    return {"type": type(exc).__name__, "message": str(exc)}


class Worker:
    def __init__(self, sock: socket.socket, limits: dict[str, Any]):
        self.sock, self.limits = sock, limits
        self.frames = codec.FrameReader(sock)
        self.namespace: dict[str, Any] = {"__name__": "__main__"}
        builtins.display = cells.display  # type: ignore[attr-defined]  # as in IPython
        self.student = LocalStudent(self.namespace, limits=CallLimits(
            float(limits["call_seconds"]), output_characters=int(limits["output_bytes"])))
        self.warnings_sent = 0
        self.skipping: Any = None  # a window of requests with a call that ran out of time

    def serve(self) -> None:
        handlers = {"run": self.run, "draw": self.draw, "call": self.call,
                    "value": self.value, "has": self.has}
        while True:
            try:
                frame = self.frames.frame(REQUEST_BYTES)
            except EOFError:
                return
            assert frame is not None  # a blocking socket waits for the whole frame
            header, buffers = frame
            handlers[header["op"]](header, buffers)

    def run(self, header: dict, buffers: list) -> None:
        defer = int(header.get("defer") or 0)  # bytes of snapshots the grader takes
        for number, source, wanted in header["cells"]:
            outputs, problem, snapshots = cells.run_cell(
                number, source, self.namespace, int(self.limits["output_bytes"]),
                float(self.limits["cell_seconds"]), wanted and header["figures"], defer)
            defer -= sum(len(s) for s in snapshots)
            codec.send(self.sock, {"op": "cell", "seq": header["seq"], "number": number,
                                   "outputs": outputs if wanted else [], "problem": problem},
                       snapshots if wanted else [])

    def draw(self, header: dict, buffers: list) -> None:
        seconds = float(self.limits["cell_seconds"])
        for index, snapshot in enumerate(buffers):
            reply: dict[str, Any] = {"op": "figure", "seq": header["seq"], "index": index,
                                     "problem": ""}
            pngs: list[bytes] = []
            try:
                with time_limit(seconds, "a figure"):
                    pngs = [figures.draw_snapshot(bytes(snapshot))]
            except BaseException as exc:  # the student's figure, the student's problem
                reply["problem"] = type(exc).__name__
            codec.send(self.sock, reply, pngs)

    def call(self, header: dict, buffers: list) -> None:
        decoder = codec.Decoder(buffers, objects=True)
        name, args, kwargs = header["name"], decoder.value(header["args"]), decoder.value(
            header["kwargs"])
        self.student.trace(bool(header["trace"]))
        self.answer(header, lambda: self.student.call(name, *args, **kwargs),
                    lambda: call_label(name, args, kwargs), codec.generators([args, kwargs]))

    def value(self, header: dict, buffers: list) -> None:
        name = header["name"]
        self.student.trace(False)
        self.answer(header, lambda: self.student.value(name), lambda: f"`{name}`")

    def has(self, header: dict, buffers: list) -> None:
        name = header["name"]
        self.student.trace(False)
        self.answer(header, lambda: self.student.has(name), lambda: f"`{name}`")

    def answer(self, header: dict, compute: Callable[[], Any], label: Callable[[], str],
               rngs: Sequence[np.random.Generator] = ()) -> None:
        """Send back the value or the error. `label` names the call in messages; it is a
        function because printing arrays is not free and most calls need no message."""
        reply: dict[str, Any] = {"op": "reply", "seq": header["seq"], "ok": False}
        buffers: list[bytes] = []
        window = header.get("window")
        if window is not None and window == self.skipping:  # the grader reads no answer
            reply["error"] = error_to_plain(StudentTimeout(NOT_RUN))  # of it: none is made
            codec.send(self.sock, reply)
            return
        try:
            reply["value"], buffers = self.encode(compute(), label)
            reply["ok"] = True
        except StudentTimeout as exc:
            reply["error"], self.skipping = error_to_plain(exc), window
        except StudentError as exc:
            reply["error"] = error_to_plain(exc)
        except OutputFlood:
            reply["error"] = error_to_plain(StudentCrashed(
                f"{label()} printed more than {self.limits['output_bytes']} characters: "
                "remove the print calls (from loops especially)"))
        except Exception as exc:  # in the worker's own code: say so, carry on
            reply["error"] = error_to_plain(StudentCrashed(
                f"{label()} could not be answered: {type(exc).__name__}: {str(exc)[:200]}"))
        except BaseException as exc:  # SystemExit and its kind: the process is done for
            hint = ": do not call sys.exit or exit() in a function" if isinstance(
                exc, SystemExit) else ""
            reply["error"] = error_to_plain(StudentCrashed(
                f"{label()} raised {type(exc).__name__}({str(exc)[:100]}), which ends the "
                f"process running your code{hint}"))
            reply["fatal"] = True
        self.report(reply, buffers, rngs)
        if reply.get("fatal"):
            os._exit(0)

    def encode(self, value: Any, label: Callable[[], str]) -> tuple[Any, list[bytes]]:
        tree, buffers = codec.encode(value)
        size = sum(len(b) for b in buffers)
        limit = self.limits["result_bytes"]
        if size > limit:
            raise WrongReturnType(f"{label()} returned {size / 2**20:.0f} MiB in total, more "
                                  f"than the {limit / 2**20:.0f} MiB limit")
        return tree, buffers

    def report(self, reply: dict, buffers: list[bytes],
               rngs: Sequence[np.random.Generator]) -> None:
        warnings = self.student.warnings
        reply["warnings"] = [w[:2000] for w in warnings[self.warnings_sent:]]
        self.warnings_sent = len(warnings)
        reply["traced"] = sorted(self.student.traced) if self.student.tracing else []
        encoder = codec.Encoder()
        encoder.buffers = buffers
        reply["rngs"] = [encoder.value(g.bit_generator.state) for g in rngs]
        codec.send(self.sock, reply, encoder.buffers)


def reopen_files(files: Sequence[tuple[int, str]]) -> None:
    """Each (descriptor, path) opened afresh under the same number: the worker shares no
    open file (offset, flags) with the server or other workers, so nothing a student does
    to one reaches the next."""
    for fd, path in files:
        try:
            fresh = os.open(path, os.O_RDONLY)
        except OSError:  # gone since: this worker draws without that font's new glyphs
            os.close(fd)
            continue
        os.dup2(fresh, fd)
        os.close(fresh)


def _close_fds_but(*kept: int) -> None:
    """Close every descriptor above stdio but `kept`."""
    low = 3
    for fd in sorted(set(kept)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)


def _quiet_stdio() -> None:
    """Whatever reaches file descriptors 0-2 (os.write, C code) goes nowhere."""
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def main(sock_fd: int, spec: dict[str, Any], read_paths: list[str],
         server_protections: list[list], font_files: Sequence[tuple[int, str]] = ()
         ) -> None:
    """Run in the forked child: confine, say hello, serve until the grader hangs up.
    `font_files`: the server's open font files, which its warm matplotlib reads glyphs from."""
    os.setsid()
    sandbox.die_with_parent()
    reopen_files(font_files)
    _close_fds_but(sock_fd, *(fd for fd, _ in font_files))
    _quiet_stdio()
    scratch, limits = spec["scratch"], spec["limits"]
    os.environ.clear()
    os.environ.update(ENVIRONMENT, HOME=scratch, TMPDIR=scratch)
    sys.dont_write_bytecode = True
    sys.argv = [""]  # as in a kernel; the server's arguments are none of its business
    done = sandbox.confine(scratch, read_paths, limits, spec["cpu"])
    sock = socket.socket(fileno=sock_fd)
    codec.send(sock, {"op": "hello", "pid": os.getpid(),
                      "protections": server_protections + [p.to_list() for p in done]})
    Worker(sock, limits).serve()
