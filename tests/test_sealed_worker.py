"""The sealed worker: its codec, its limits, its sandbox, and what it cannot know.

The attacks are files in tests/hostile/; each runs in a real worker, as a cell or as a
function a grader calls.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import platform
import re
import signal
import socket
import struct
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hostile import snippet

from dlmath import callables, codec
from dlmath.course import autograders_dir, course_root, source_dir
from dlmath.engine.errors import (
    StudentCrashed,
    StudentRaised,
    StudentTimeout,
    WrongReturnType,
)
from dlmath.engine.plain import MAX_ARRAY_BYTES, MAX_RESULT_BYTES
from dlmath.engine.student import LocalStudent, exec_cells
from dlmath.notebooks import is_graded_test, read
from dlmath.sealed import sandbox
from dlmath.sealed.forkserver import ForkServer, fork_server, open_protected, python_paths
from dlmath.sealed.limits import SealedLimits
from dlmath.sealed.outputs import clean_outputs, new_output
from dlmath.sealed.sandbox import Protection
from dlmath.sealed.student import open_sources, open_submission, report_missing

MiB = 2**20
LIMITS = SealedLimits(call_seconds=0.5, call_cpu_seconds=0.5, cell_seconds=0.5,
                      grace_seconds=0.3, memory_bytes=256 * MiB, output_bytes=64 * 1024,
                      file_bytes=1 * MiB, notebook_seconds=60)


@contextmanager
def sealed(*cells: str, limits: SealedLimits = LIMITS, server: ForkServer | None = None):
    with open_sources(list(cells), limits=limits, server=server) as submission:
        yield submission


def text(run) -> str:
    """Everything a cell showed, as one string."""
    parts = []
    for o in run.outputs:
        parts.append(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")))
        parts.append(f"{o.get('ename', '')}: {o.get('evalue', '')}" if "ename" in o else "")
    return "".join(parts)


def defines(name: str, value: object) -> str:
    return f"{name} = {value!r}\n"


def protected(name: str) -> bool:
    """Whether this machine gives workers the protection `name`."""
    with sealed("pass") as sub:
        return any(p.name == name and p.active for p in sub.protections)


def seccomp_active() -> bool:
    return protected("seccomp")


# --- codec -----------------------------------------------------------------------------------

VALUES = [
    None, True, 0, -7, 2**70, -(2**64) - 1, 1.5, float("inf"), -0.0, "σ → x", [], (), {},
    [1, (2.0, "three"), {"k": [None, False]}],
    {"W1": np.arange(6.0).reshape(2, 3), "b1": np.zeros(2)},
    np.array(3.25), np.zeros((0, 3)), np.arange(24, dtype=np.int8).reshape(2, 3, 4),
    np.array([True, False]), np.array([1 + 2j, -1j], dtype=np.complex64),
    np.arange(12.0).reshape(3, 4).T, np.arange(10.0)[::3], np.float16([1, 2]),
    np.array([np.nan, -np.inf]), np.uint64([2**64 - 1]),
]


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b and str(a) == str(b)  # str: -0.0 stays -0.0


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_round_trip_keeps_values_exactly(value):
    assert same(value, codec.round_trip(value))


def test_fortran_order_survives():
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    assert codec.round_trip(a).flags.f_contiguous


def test_numpy_scalars_keep_their_type():
    for value in (np.float64(0.1), np.int32(-3), np.bool_(True), np.complex128(1j)):
        back = codec.round_trip(value, objects=True)
        assert type(back) is type(value) and back == value


@pytest.mark.parametrize("bits", [np.random.PCG64, np.random.MT19937, np.random.Philox])
def test_generators_cross_as_their_state(bits):
    rng = np.random.Generator(bits(5))
    rng.random(3)
    copy = codec.round_trip(rng, objects=True)
    assert copy is not rng and np.array_equal(copy.random(4), rng.random(4))


def test_grader_functions_cross_by_name():
    assert codec.round_trip(callables.CUBIC, objects=True) is callables.CUBIC
    stranger = callables.GraderFunction("cubic", abs, abs)  # same name, not registered
    with pytest.raises(TypeError, match="not registered"):
        codec.encode(stranger, objects=True)


@pytest.mark.parametrize("value", [np.random.default_rng(0), callables.CUBIC, object(),
                                   lambda x: x, {1: "not a string key"}],
                         ids=["rng", "function", "object", "lambda", "int key"])
def test_answers_cannot_carry_objects(value):
    with pytest.raises(TypeError):
        codec.encode(value)


@pytest.mark.parametrize("tree", [
    {"array": ["|O8", [1], 0, "C"]}, {"array": ["<U3", [1], 0, "C"]},
    {"array": ["|V8", [1], 0, "C"]}, {"array": ["<f8", [3], 0, "C"]},
    {"array": ["<f8", [-1], 0, "C"]}, {"array": ["<f8", [1], 0, "X"]},
    {"array": ["<f8", [1], 7, "C"]}, {"array": ["<f8", [1] * 40, 0, "C"]},
    {"scalar": ["<M8", 0]}, {"fn": "cubic"}, {"rng": {"dict": {"bit_generator": "PCG64"}}},
    {"int": "f" * 20_000}, {"tuple": "abc"}, {"pickle": "..."}, {"tuple": [], "dict": {}},
    {"complex": ["a", 1]},
], ids=str)
def test_decoder_rejects_malformed_values(tree):
    with pytest.raises(codec.ProtocolError):
        codec.decode(tree, [memoryview(b"\0" * 8)])


def test_decoder_refuses_deep_nesting():
    tree: object = 1
    for _ in range(100):
        tree = [tree]
    with pytest.raises(codec.ProtocolError):
        codec.decode(tree, [])


def test_oversized_frames_are_refused_before_reading_them():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(struct.pack("!4sII", b"DLM1", 10, 1) + struct.pack("!Q", 10 * 2**30))
        start = time.monotonic()
        with pytest.raises(codec.ProtocolError, match="more than"):
            codec.receive(ours, MiB, time.monotonic() + 5)
        assert time.monotonic() - start < 1


def test_frames_round_trip_and_respect_deadlines():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        tree, buffers = codec.encode({"x": np.arange(5.0)})
        codec.send(theirs, {"op": "reply", "value": tree}, buffers)
        header, got = codec.receive(ours, MiB, time.monotonic() + 5)
        assert same(codec.decode(header["value"], got), {"x": np.arange(5.0)})
        with pytest.raises(TimeoutError):
            codec.receive(ours, MiB, time.monotonic() + 0.05)
        theirs.sendall(b"XXXX" + b"\0" * 8)
        with pytest.raises(codec.ProtocolError, match="magic"):
            codec.receive(ours, MiB, time.monotonic() + 5)


def _frame_bytes(header: dict, value) -> bytes:
    tree, buffers = codec.encode(value)
    return b"".join(codec.frame_parts({**header, "value": tree}, buffers))


def test_a_frame_reader_takes_frames_however_the_bytes_arrive():
    """Two frames in one write, then a frame a byte at a time, then one larger than the
    reader's chunk: each comes out whole and in order; a non-blocking socket with part of
    a frame gives None until the rest arrives."""
    small, large = np.arange(5.0), np.arange(2 * codec.FrameReader.CHUNK / 8)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        frames = codec.FrameReader(ours)
        assert frames.frame(MiB) is None
        theirs.sendall(_frame_bytes({"n": 1}, small) + _frame_bytes({"n": 2}, [small, 2]))
        got = [frames.frame(MiB), frames.frame(MiB)]
        assert [h["n"] for h, _ in got] == [1, 2]
        assert same(codec.decode(got[1][0]["value"], got[1][1]), [small, 2])
        assert frames.frame(MiB) is None
        for byte in _frame_bytes({"n": 3}, small):
            assert frames.frame(MiB) is None
            theirs.sendall(bytes([byte]))
        header, buffers = frames.frame(MiB)
        assert header["n"] == 3 and same(codec.decode(header["value"], buffers), small)
        whole = _frame_bytes({"n": 4}, large)
        theirs.sendall(whole[:100])
        assert frames.frame(MiB) is None
        theirs.sendall(whole[100:])
        while (frame := frames.frame(MiB)) is None:  # the socket's buffer is smaller
            pass
        assert frame[0]["n"] == 4 and same(codec.decode(frame[0]["value"], frame[1]), large)


def test_a_frame_reader_refuses_oversized_frames_before_reading_them():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(struct.pack("!4sII", b"DLM1", 10, 1) + struct.pack("!Q", 10 * 2**30))
        with pytest.raises(codec.ProtocolError, match="more than"):
            codec.FrameReader(ours).frame(MiB)
        theirs.sendall(b"XXXX" + b"\0" * 8)
        with pytest.raises(codec.ProtocolError, match="magic"):
            codec.FrameReader(ours).frame(MiB)
        theirs.close()
        with pytest.raises(EOFError):
            codec.FrameReader(ours).frame(MiB)


# --- answers that are not plain data ------------------------------------------------------

@pytest.mark.parametrize("function", ["always_equal", "objects", "strings", "huge",
                                      "generator"])
def test_wrong_answers_are_reported_as_locally(function):
    namespace: dict = {"__name__": "__main__"}
    assert not exec_cells([snippet("answers")], namespace)
    with pytest.raises(WrongReturnType) as local:
        LocalStudent(namespace).call(function, 1)
    with sealed(snippet("answers")) as sub, pytest.raises(WrongReturnType) as remote:
        sub.student().call(function, 1)
    assert str(remote.value) == str(local.value)


def test_array_subclasses_become_plain_arrays():
    with sealed(snippet("answers")) as sub:
        answer = sub.student().subclass(1)
    assert type(answer) is np.ndarray and np.array_equal(answer, np.zeros(3))


def test_a_torch_tensor_is_the_wrong_type():
    limits = SealedLimits(memory_bytes=4096 * MiB, cell_seconds=60)
    code = "import torch\n\ndef as_tensor(x):\n    return torch.zeros(2)\n"
    with sealed(code, limits=limits) as sub, pytest.raises(WrongReturnType, match="torch"):
        sub.student().as_tensor(1)


# --- limits ----------------------------------------------------------------------------------

def test_a_loop_in_a_function_times_out():
    with sealed(snippet("loop_in_function")) as sub:
        start = time.monotonic()
        with pytest.raises(StudentTimeout, match="did not finish within 0.5 s"):
            sub.student().spin(1)
        assert time.monotonic() - start < 2


def test_an_unkillable_loop_is_killed_and_the_next_exercise_gets_a_fresh_worker():
    with sealed(snippet("loop_unkillable"), "def f(x):\n    return x + 1") as sub:
        student = sub.student()
        first = sub.worker
        start = time.monotonic()
        with pytest.raises(StudentTimeout):
            student.stubborn(1)
        assert time.monotonic() - start < 2
        assert not first.alive
        assert os.WTERMSIG(first.server.exit_status(first.pid)) == signal.SIGKILL
        with pytest.raises(StudentTimeout, match="not run"):  # the same exercise
            student.f(1)
        student.trace(False)  # run_exercise does this between exercises
        assert student.f(1) == 2 and sub.worker is not first


def test_a_cell_loop_that_ignores_every_signal_is_killed_and_the_rest_still_runs():
    with sealed(snippet("loop_unkillable_cell"), "def f(x):\n    return x + 1") as sub:
        assert "TimeoutError" in text(sub.cells[0]) and sub.cells[0].problem
        assert not sub.cells[1].problem and sub.cells[1].execution_count == 2
        assert sub.student().f(1) == 2


def test_a_plain_cell_loop_is_interrupted_like_in_a_kernel():
    with sealed("while True:\n    pass", "x = 1") as sub:
        assert "did not finish within" in text(sub.cells[0])
        assert sub.student().value("x") == 1


def test_the_cpu_limit_is_counted_outside_the_worker():
    limits = SealedLimits(call_seconds=30, call_cpu_seconds=0.3, grace_seconds=0.3)
    with sealed(snippet("loop_unkillable"), limits=limits) as sub:
        with pytest.raises(StudentTimeout, match="CPU"):
            sub.student().stubborn(1)


def test_the_notebook_budget_ends_grading_with_a_reason():
    limits = SealedLimits(call_seconds=0.5, grace_seconds=0.3, notebook_seconds=1.5)
    with sealed(snippet("loop_unkillable"), limits=limits) as sub:
        student = sub.student()
        for _ in range(3):
            student.trace(False)
            with pytest.raises(StudentTimeout):
                student.stubborn(1)
        student.trace(False)
        with pytest.raises(StudentTimeout, match="used up"):
            student.stubborn(1)


def test_a_memory_bomb_fails_the_call_not_the_grader():
    # Time enough to reach the memory limit on a loaded machine: the limit must stop it.
    limits = replace(LIMITS, call_seconds=10, call_cpu_seconds=10)
    with sealed(snippet("memory_bomb"), "def f(x):\n    return x + 1", limits=limits) as sub:
        student = sub.student()
        with pytest.raises((StudentRaised, StudentCrashed)) as err:
            student.hog(1)
        assert "MemoryError" in str(err.value) or "memory" in str(err.value)
        student.trace(False)
        assert student.f(1) == 2


def test_a_fork_bomb_makes_no_process():
    if not seccomp_active():
        pytest.skip("seccomp is not available here")
    with sealed(snippet("fork_bomb")) as sub:
        assert sub.student().spawn(0) == 0


@pytest.mark.parametrize("function", ["shout", "shout_stderr", "shout_and_swallow"])
def test_a_call_printing_a_gigabyte_fails_early(function):
    with sealed(snippet("flood")) as sub:
        start = time.monotonic()
        with pytest.raises(StudentCrashed, match="printed more than"):
            sub.student().call(function, 1)
        assert time.monotonic() - start < 1


def test_output_below_python_goes_nowhere():
    with sealed(snippet("flood")) as sub:
        assert sub.student().shout_fd(5) == 5


def test_a_cell_printing_a_gigabyte_keeps_only_its_limit():
    flood = "import sys\nfor _ in range(1000):\n    print('x' * 10**6)\n    " \
            "sys.stderr.write('y' * 10**6)\n"
    with sealed(flood, "x = 1") as sub:
        shown = text(sub.cells[0])
        assert len(shown) < LIMITS.output_bytes + 200 and "dropped" in shown
        assert sub.student().value("x") == 1


@pytest.mark.parametrize("function, reason", [
    ("hard_exit", "exited with code 3"), ("soft_exit", "SystemExit"),
    ("segfault", "SIGSEGV"), ("abort", "SIGABRT"), ("kill_self", "SIGKILL")])
def test_a_call_that_ends_the_worker_is_a_crash_and_the_next_exercise_starts_fresh(
        function, reason):
    with sealed(snippet("exits"), "def f(x):\n    return x + 1") as sub:
        student = sub.student()
        with pytest.raises(StudentCrashed, match=reason):
            student.call(function, 1)
        with pytest.raises(StudentCrashed, match="not run"):
            student.f(1)
        student.trace(True)
        assert student.f(1) == 2


def test_a_cell_that_ends_the_worker_is_skipped_on_the_rerun():
    with sealed("import os\nos._exit(4)", "def f(x):\n    return x + 1") as sub:
        assert "exited with code 4" in text(sub.cells[0])
        assert sub.student().f(1) == 2


def test_files_are_limited_in_size():
    write = "with open('big', 'wb') as f:\n    f.write(b'x' * (2 * 2**20))\n"
    with sealed(write, "import os\nos.path.getsize('big')") as sub:
        assert "File too large" in text(sub.cells[0])
        assert text(sub.cells[1]) == str(2**20)


# --- the sandbox ------------------------------------------------------------------------------

def secret_paths(tmp_path: Path) -> list[Path]:
    gradebook = tmp_path / "course" / "gradebook.db"
    other = tmp_path / "course" / "submitted" / "alice" / "01" / "linear_algebra.ipynb"
    for path in (gradebook, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("SECRET-GRADES")
    return [autograders_dir() / "01_linear_algebra" / "test_quiz.py",
            source_dir() / "01_linear_algebra" / "quiz.ipynb", gradebook, other]


# A file under a covered folder is not found (the cover is empty; under root, a worker may
# search it, since it keeps the capability to read what Landlock allows); any other is refused.
REFUSED = re.compile(r"PermissionError|FileNotFoundError")


def test_the_course_and_other_files_cannot_be_read(tmp_path):
    for path in secret_paths(tmp_path):
        with sealed(defines("TARGET", str(path)) + snippet("steal")) as sub:
            assert REFUSED.search(sub.cells[0].problem), (path, text(sub.cells[0]))
            assert "SECRET" not in text(sub.cells[0]) and "answer key" not in text(
                sub.cells[0])
    for directory in (course_root(), tmp_path, Path.home()):
        with sealed(defines("TARGET", str(directory)) + snippet("list_course")) as sub:
            assert "PermissionError" in sub.cells[0].problem


def test_writes_stay_in_the_scratch_directory(tmp_path):
    target = tmp_path / "written"
    with sealed(defines("TARGET", str(target)) + snippet("write_outside"),
                snippet("write_inside")) as sub:
        assert "PermissionError" in sub.cells[0].problem
        assert "notes.txt" in text(sub.cells[1])
        scratch = Path(sub.scratch)
        if protected("private scratch"):  # a tmpfs: nothing reached the disk
            assert not (scratch / "notes.txt").exists()
    assert not target.exists() and not scratch.exists()


def test_the_scratch_directory_is_bounded_in_total():
    limits = SealedLimits(file_bytes=1 * MiB)  # so 4 MiB in all
    fill = "for i in range(5):\n    with open(f'f{i}', 'wb') as f:\n        f.write(b'x' * 2**20)"
    with sealed(fill, limits=limits) as sub:
        if not any(p.name == "private scratch" and p.active for p in sub.protections):
            pytest.skip("no private scratch here")
        assert "No space left" in sub.cells[0].problem


def test_released_files_are_in_the_scratch_directory(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("1,2\n")
    with open_sources(["print(open('data.csv').read())"], {"data.csv": data},
                      limits=LIMITS) as sub:
        assert text(sub.cells[0]) == "1,2\n\n"


def test_there_is_no_network():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    with listener, sealed(defines("PORT", listener.getsockname()[1]) + snippet("connect")) \
            as sub:
        assert sub.cells[0].problem
        with pytest.raises(TimeoutError):
            listener.accept()


def test_no_program_can_be_run(tmp_path):
    target = tmp_path / "made-by-a-shell"
    with sealed(defines("TARGET", str(target)) + snippet("shell")) as sub:
        assert "os.system returned 0" not in text(sub.cells[0])
        assert sub.cells[0].problem
    assert not target.exists()


def test_threads_and_children_end_with_the_worker():
    with sealed(snippet("linger")) as sub:
        pid = sub.worker.global_pid
        assert pid and Path(f"/proc/{pid}").exists()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(os.listdir(f"/proc/{pid}/task")) >= 2  # the thread runs
    time.sleep(0.1)
    for gone in [pid, *map(int, children)]:
        assert not Path(f"/proc/{gone}").exists() or "Z" in Path(
            f"/proc/{gone}/stat").read_text().split()[2]


def test_signals_reach_no_other_process():
    with sealed(snippet("signal_others")) as sub:
        shown = text(sub.cells[0])
    if protected("pid namespace") or seccomp_active():
        assert "signalled" not in shown, shown
    assert fork_server().alive
    with sealed("x = 1") as sub:
        assert sub.student().value("x") == 1


def test_the_worker_holds_no_secret(monkeypatch):
    monkeypatch.setenv("DLMATH_TEST_SECRET", "hunter2")
    server = ForkServer()
    try:
        with sealed(snippet("secrets"), server=server) as sub:
            env, modules, *proc = text(sub.cells[0]).splitlines()
    finally:
        server.close()
    assert set(json.loads(env.replace("'", '"'))) <= {
        "HOME", "TMPDIR", "PATH", "LANG", "LC_ALL", "MPLBACKEND", "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONDONTWRITEBYTECODE"}
    assert modules == "[]"
    assert all(line.startswith("refused") for line in proc), proc


def _memory(pid: int) -> bytes:
    chunks = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            start, end = (int(x, 16) for x in span.split("-"))
            if perms.startswith("r") and end - start < 512 * MiB:
                try:
                    mem.seek(start)
                    chunks.append(mem.read(end - start))
                except OSError:
                    continue
    return b"".join(chunks)


def test_the_worker_memory_holds_nothing_of_the_grader(monkeypatch):
    from dlmath.engine.runner import load_grader

    secret = "grader-secret-" + os.urandom(8).hex()
    monkeypatch.setenv("DLMATH_TEST_SECRET", secret)
    load_grader("01_linear_algebra/quiz")  # its answer keys are now in this process
    probe = "student-probe-" + os.urandom(8).hex()
    server = ForkServer()
    try:
        with sealed(defines("PROBE", probe), server=server) as sub:
            try:
                memory = _memory(sub.worker.global_pid)
            except OSError as exc:
                pytest.skip(f"cannot read the worker's memory here: {exc}")
    finally:
        server.close()
    assert probe.encode() in memory  # the scan sees what the worker holds
    assert secret.encode() not in memory
    assert b"262144 multiply-adds" not in memory
    assert not [m for m in server.modules if m.startswith(("torch", "dlmath_graders"))]


def test_a_forged_frame_is_a_crash_and_the_grader_is_not_fooled():
    with sealed(snippet("tamper"), "def f(x):\n    return x + 1") as sub:
        student = sub.student()
        with pytest.raises(StudentCrashed, match="malformed|out of turn"):
            student.forge(1)
        student.trace(False)
        assert student.f(1) == 2


def test_missing_protections_are_reported_once(caplog):
    with sealed("x = 1") as sub:
        names = {p.name for p in sub.protections}
        assert {"network namespace", "landlock filesystem", "seccomp", "rlimits"} <= names
        missing = {p.name for p in sub.protections if not p.active}
        assert {line.partition(":")[0] for line in sub.missing} == missing
    absent = [Protection("test layer", False, "not on this machine")]
    with caplog.at_level(logging.WARNING, logger="dlmath.sealed"):
        assert report_missing(absent) == report_missing(absent) == [
            "test layer: not on this machine"]
    assert [r.getMessage() for r in caplog.records] == [
        "sealed grading runs without test layer here: not on this machine"]


# --- cells and their outputs ------------------------------------------------------------------

def test_cells_show_what_a_kernel_shows():
    plot = "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"
    failing = "def f(x):\n    return 1 / x\n\nf(0)"
    cells = ("print('hi')\n6 * 7", "x = 1;", plot, failing, "display(x)\n'last'")
    with sealed(*cells, limits=SealedLimits()) as sub:  # drawing may take a while
        hello, quiet, figure, error, shown = sub.cells
        assert [o.output_type for o in hello.outputs] == ["stream", "execute_result"]
        assert hello.outputs[1].data["text/plain"] == "42"
        assert hello.outputs[1].execution_count == hello.execution_count == 1
        assert quiet.outputs == [] and quiet.execution_count == 2
        assert figure.outputs[0].data["image/png"].startswith("iVBOR")  # a PNG
        assert error.outputs[0].ename == "ZeroDivisionError"
        trace = "".join(error.outputs[0].traceback)
        assert '"<cell 4>", line 4' in trace and "return 1 / x" in trace
        assert "~~^~~" in trace  # where on the line, as Python shows it
        assert "dlmath" not in trace and "/" not in trace.replace("1 / x", "")
        assert error.problem.startswith("cell 4: ZeroDivisionError")
        assert [o.data["text/plain"] for o in shown.outputs] == ["1", "'last'"]


def test_open_submission_runs_all_but_the_graded_cells():
    nb = read(source_dir() / "01_linear_algebra" / "quiz.ipynb")
    with open_submission(nb, limits=LIMITS) as sub:
        assert [c.index for c in sub.cells] == [
            i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not is_graded_test(c)]
        assert not sub.problems
        assert sub.student().value("q1") == (4, 10)


@pytest.mark.parametrize("raw", [
    "not a list", [{"output_type": "display_data", "data": {"text/html": "<script>"}}],
    [{"output_type": "display_data", "data": {"image/png": "<svg onload=...>"}}],
    [{"output_type": "stream", "name": "stdin", "text": "x"}],
    [{"output_type": "stream", "name": "stdout", "text": ["x"]}],
    [{"output_type": "error", "ename": "E", "evalue": "v", "traceback": "not a list"}],
    [{"output_type": "stream", "name": "stdout", "text": "x" * 10_000}],
], ids=range(7))
def test_malformed_outputs_become_one_error(raw):
    (output,) = clean_outputs(raw, cap=1000)
    assert output.output_type == "error" and output.ename == "MalformedOutput"


@pytest.mark.parametrize("kind,fields", [
    ("stream", {"name": "stderr", "text": "x\n"}), ("stream", {}),
    ("display_data", {"data": {"text/plain": "<Figure>", "image/png": "iVBO"}}),
    ("execute_result", {"data": {"text/plain": "1.0"}, "execution_count": 3}),
    ("error", {"ename": "E", "evalue": "v", "traceback": ["E: v"]}), ("error", {}),
])
def test_outputs_are_nbformats_own(kind, fields):
    """new_output builds what nbformat.v4.new_output does, without its schema check; each
    one passes that check."""
    ours = new_output(kind, **copy.deepcopy(fields))
    assert ours == nbformat.v4.new_output(kind, **copy.deepcopy(fields))
    nbformat.v4.nbbase.validate(ours, kind)
    changed = new_output(kind)
    changed.setdefault("metadata", {})["x"] = changed.setdefault("traceback", []).append(1)
    assert new_output(kind) == nbformat.v4.new_output(kind)  # no default is shared


def test_outputs_are_writable_as_utf8():
    (output,) = clean_outputs([{"output_type": "stream", "name": "stdout",
                                "text": "a\ud800b"}], cap=1000)
    assert output.text == "a\ufffdb"


def test_frames_carry_only_valid_text():
    """A lone surrogate in a frame, escaped in its JSON or as its bytes, keys too, arrives
    as U+FFFD, one for one; a surrogate pair is a character and stays one."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        codec.send(theirs, {"op": "reply", "\udcff": ["a\ud800b", {"k\udfff": "\udcff"}],
                            "n": 1})
        header, _ = codec.receive(ours, MiB, time.monotonic() + 5)
        assert header == {"op": "reply", "\ufffd": ["a\ufffdb", {"k\ufffd": "\ufffd"}], "n": 1}
        head = b'{"raw": "a\xed\xb3\xbfb", "pair": "\\ud83d\\ude00"}'
        theirs.sendall(struct.pack("!4sII", codec.MAGIC, len(head), 0) + head)
        header, _ = codec.receive(ours, MiB, time.monotonic() + 5)
        assert header == {"raw": "a\ufffdb", "pair": "\U0001f600"}


def _writable(value: object) -> bool:
    """Whether every string in `value` can be written as UTF-8 (as a notebook is)."""
    try:
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_text_from_student_code_arrives_as_valid_text():
    """Lone surrogates in an exception, a warning, returned strings and keys, printed output,
    a repr and a cell's error arrive as U+FFFD, as the local student has them."""
    failing = "raise ValueError('top \\udcff level')"
    with sealed(snippet("surrogates"), failing) as sub:
        student = sub.student()
        with pytest.raises(StudentRaised) as raised:
            student.raises(1)
        assert student.warns(1) == 1
        returned = [student.returns_text(1), student.returns_keys(1), student.prints(2)]
        shown, failed = sub.cells
    assert raised.value.type_name == "Odd" and "raised Odd: bad \ufffd news" in str(raised.value)
    assert len(student.warnings) == 1  # with the line that raised it, which is valid text too
    assert student.warnings[0].startswith("UserWarning: careful \ufffd, at line ")
    assert returned == ["\ufffd", {"\ufffd": 1.0, "ok \ufffd": ["\ufffd"]}, 2]
    assert text(shown) == "out \ufffd\nwrite \ufffd\nerr \ufffd\nshown \ufffd"
    assert failed.outputs[0].evalue == "top \ufffd level"
    assert failed.problem == "cell 2: ValueError: top \ufffd level"
    for run in (shown, failed):
        assert _writable(run.outputs) and _writable(run.problem)
    namespace: dict = {"__name__": "__main__"}
    assert not exec_cells([snippet("surrogates")], namespace)
    local = LocalStudent(namespace)
    with pytest.raises(StudentRaised) as here:
        local.raises(1)
    local.warns(1)
    assert here.value.exc_message == raised.value.exc_message == "bad \ufffd news"
    assert local.warnings == student.warnings
    assert [local.returns_text(1), local.returns_keys(1), local.prints(2)] == returned


def test_a_forged_generator_state_is_the_wrong_type():
    """A state no bit generator can be in (numpy raises OverflowError setting it) is a
    wrong answer, said as such: what came back and what was expected."""
    with sealed(snippet("forged_rng")) as sub, pytest.raises(WrongReturnType) as wrong:
        sub.student().draw(np.random.default_rng(0))
    message = str(wrong.value)
    assert message.startswith("draw(Generator(PCG64)): the random generator it was passed "
                              "came back in a state no PCG64 can be in: got {'bit_generator'")
    assert "(OverflowError: " in message
    assert message.endswith("expected a PCG64 state as the generator's own methods leave it: "
                            "{'bit_generator': 'PCG64', 'state': {'state': int, 'inc': int}, "
                            "'has_uint32': int, 'uinteger': int}")


def test_the_scratch_directory_goes_even_when_made_unreadable(tmp_path):
    (tmp_path / "outside").mkdir()
    lock = ("import os\nos.makedirs('a/b')\nos.symlink({!r}, 'a/link')\n"
            "os.chmod('a/b', 0)\nos.chmod('a', 0o500)").format(str(tmp_path / "outside"))
    with sealed(lock) as sub:
        if seccomp_active():  # no metadata may change, not even in the scratch directory
            assert sub.problems == ["cell 1: PermissionError: [Errno 1] Operation not "
                                    "permitted: 'a/b'"], sub.problems
        else:
            assert not sub.problems, sub.problems
        scratch = Path(sub.scratch)
    assert not scratch.exists()
    assert (tmp_path / "outside").stat().st_mode & 0o777 == 0o755


# --- each layer on its own, in a forked child of the test ---------------------------------

def in_child(action) -> str:
    """Run `action` in a forked child, so the confinement it applies stays there."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            result = str(action())
        except BaseException as exc:
            result = f"{type(exc).__name__}: {exc}"
        os.write(write, result.encode()[:10_000])
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        result = pipe.read().decode()
    os.waitpid(pid, 0)
    return result


def attempt(action) -> str:
    try:
        action()
        return "allowed"
    except OSError as exc:
        return f"refused {exc.errno}"


QUIZ = str(autograders_dir() / "01_linear_algebra" / "test_quiz.py")


def user_namespaces() -> bool:
    return in_child(lambda: sandbox._unshare(sandbox.CLONE_NEWUSER)) == "None"


def test_the_mount_namespace_alone_covers_protected_paths(tmp_path):
    if not user_namespaces():
        pytest.skip("no user namespaces here")

    def confine_and_read():
        server = sandbox.server_namespaces(open_protected([str(autograders_dir())]))
        layers = server[2:] + sandbox._worker_namespaces(str(tmp_path), MiB)
        sandbox._drop_capabilities()
        return [p.active for p in layers], attempt(lambda: open(QUIZ).read()), attempt(
            lambda: os.listdir("/proc"))

    assert in_child(confine_and_read) == str(([True] * 5, "refused 13", "refused 13"))


def test_a_protected_path_inside_another_is_covered_with_it(tmp_path):
    """A cluster worker hides its whole local folder and the course bundle in it: covering
    the outer folder hides the inner one, which is then not covered again (there is nothing
    left to cover it on)."""
    if not user_namespaces():
        pytest.skip("no user namespaces here")
    inner = tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    (inner / "answers.txt").write_text("42")

    def confine_and_read():
        covered = open_protected([str(inner.parent), str(inner)])  # sorted, as they come
        server = sandbox.server_namespaces(covered)
        return len(covered), server[2].active, attempt(
            lambda: (inner / "answers.txt").read_text())

    assert in_child(confine_and_read) == str((1, True, "refused 2"))  # not there at all


def test_landlock_alone_allows_only_python_and_scratch(tmp_path):
    if sandbox.landlock_abi() < 1:
        pytest.skip("no Landlock here")
    python = sandbox.read_paths(python_paths(), [])

    def confine_and_try():
        sandbox._landlock(python, str(tmp_path))
        return [attempt(lambda: open(QUIZ).read()),
                attempt(lambda: open(np.__file__).read()),
                attempt(lambda: (tmp_path / "x").write_text("x")),
                attempt(lambda: open(tmp_path.parent / "y", "w"))]

    assert in_child(confine_and_try) == str(["refused 13", "allowed", "allowed", "refused 13"])


def test_seccomp_alone_refuses_processes_and_sockets_but_not_threads():
    if platform.machine() != "x86_64":
        pytest.skip("the seccomp filter is for x86_64")

    def confine_and_try():
        sandbox._seccomp()
        thread = threading.Thread(target=lambda: None)
        return [attempt(os.fork), attempt(socket.socket), attempt(lambda: os.kill(1, 0)),
                attempt(thread.start), attempt(lambda: os.kill(os.getpid(), 0))]

    assert in_child(confine_and_try) == str(
        ["refused 1", "refused 13", "refused 1", "allowed", "allowed"])


def test_every_protection_this_machine_offers_is_active():
    expected = {"rlimits", "capabilities dropped", "unprivileged uid"}
    expected |= {"landlock filesystem"} if sandbox.landlock_abi() >= 1 else set()
    expected |= {"seccomp"} if platform.machine() == "x86_64" else set()
    if user_namespaces():
        expected |= {"user namespace", "pid namespace", "network namespace", "mount namespace",
                     "private scratch", "ipc namespace", "protected paths covered",
                     "thread limit"}
    with sealed("x = 1") as sub:
        active = {p.name for p in sub.protections if p.active}
    assert expected <= active, sub.missing


def test_seccomp_alone_refuses_metadata_changes_ipc_locks_and_notifications(tmp_path):
    if platform.machine() != "x86_64":
        pytest.skip("the seccomp filter is for x86_64")
    import ctypes
    import fcntl

    target = tmp_path / "file"
    target.write_text("x")
    libc = ctypes.CDLL(None, use_errno=True)

    def call(result: int) -> None:
        if result < 0:
            raise OSError(ctypes.get_errno(), "")

    def confine_and_try():
        fd = os.open(target, os.O_RDONLY)
        mode = os.fstat(fd).st_mode & 0o7777  # each change would change nothing
        sandbox._seccomp()
        return [attempt(action) for action in (
            lambda: os.chmod(target, mode), lambda: os.fchmod(fd, mode),
            lambda: os.chmod(target, mode, follow_symlinks=False), lambda: os.utime(target),
            lambda: os.utime(fd), lambda: os.chown(target, -1, -1), lambda: os.fchown(fd, -1, -1),
            lambda: os.setxattr(target, "user.x", b"x"), lambda: os.removexattr(fd, "user.x"),
            lambda: call(libc.shmget(0x646C6D68, 4096, 0o1600)),
            lambda: call(libc.msgget(0x646C6D68, 0o1600)),
            lambda: call(libc.semget(0x646C6D68, 1, 0o1600)),
            lambda: call(libc.mq_open(b"/dlmath-test", os.O_CREAT | os.O_RDWR, 0o600, None)),
            lambda: fcntl.flock(fd, fcntl.LOCK_SH), lambda: fcntl.lockf(fd, fcntl.LOCK_SH),
            lambda: call(libc.inotify_init1(0)))]

    assert in_child(confine_and_try) == str(["refused 1"] * 16)


def sysv_keys() -> set[str]:
    return {line.split()[0] for kind in ("shm", "msg", "sem")
            for line in Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]}


def test_the_ipc_namespace_alone_keeps_nothing_past_the_worker(tmp_path):
    if not user_namespaces():
        pytest.skip("no user namespaces here")
    import ctypes

    def make_and_see():
        sandbox._worker_namespaces(str(tmp_path), MiB)
        libc = ctypes.CDLL(None, use_errno=True)
        made = [libc.shmget(0x646C6D69, 4096, 0o1600), libc.msgget(0x646C6D69, 0o1600)]
        return [m >= 0 for m in made], libc.shmget(0x646C6D69, 0, 0) >= 0

    before = sysv_keys()
    assert in_child(make_and_see) == "([True, True], True)"  # made, and seen inside
    assert sysv_keys() == before  # gone with the worker


def test_the_thread_limit_holds_whatever_the_graders_uid():
    """The kernel exempts uid 0 from RLIMIT_NPROC: under root, a worker has a uid of its own."""
    start = ("import os, threading\nstop = threading.Event()\nstarted = []\n"
             "try:\n    for _ in range(300):\n"
             "        started.append(threading.Thread(target=stop.wait, daemon=True))\n"
             "        started[-1].start()\nexcept RuntimeError:\n    pass\nstop.set()\n"
             "print(os.getuid(), len(started))")
    with sealed(start) as sub:
        uid, started = map(int, text(sub.cells[0]).split())
        limit = next(p for p in sub.protections if p.name == "thread limit")
    assert limit.active, limit
    assert uid != 0 and started < LIMITS.processes
    if os.getuid() == 0:
        assert uid > sandbox.WORKER_UID_BASE and f"uid {uid}," in limit.detail, limit


@pytest.mark.skipif(os.getuid() != 0, reason="workers take uids of their own under root only")
def test_workers_of_two_fork_servers_never_share_a_uid_or_its_thread_limit():
    """Each fork server's PID namespace numbers its workers 2, 3, ... again: a uid made from
    that number would be shared by the workers of every grading process at once, and one
    student's threads would count against another's limit."""
    hog = ("import os, threading\nstop = threading.Event()\nstarted = []\n"
           "try:\n    for _ in range(300):\n"
           "        started.append(threading.Thread(target=stop.wait, daemon=True))\n"
           "        started[-1].start()\nexcept RuntimeError:\n    pass\n"
           "print(os.getuid(), len(started))")
    servers = [ForkServer(), ForkServer()]
    roomy = replace(LIMITS, memory_bytes=4 * 2**30)  # threads, not memory, run out first
    try:
        with sealed(hog, server=servers[0], limits=roomy) as hogging, \
                sealed(hog, server=servers[1], limits=roomy) as other:  # the first holds its
            runs = [(sub.worker.global_pid, *map(int, text(sub.cells[0]).split()))
                    for sub in (hogging, other)]
    finally:
        for server in servers:
            server.close()
    (pid1, uid1, started1), (pid2, uid2, started2) = runs
    assert uid1 != uid2
    assert (uid1, uid2) == (sandbox.WORKER_UID_BASE + pid1, sandbox.WORKER_UID_BASE + pid2)
    assert started1 == started2 > LIMITS.processes // 2  # the second found its limit free


def test_no_protected_path_reaches_the_server_or_its_workers(tmp_path):
    """Not on the server's command line (every account may read it), not in its environment,
    not anywhere in a worker's memory: the paths travel as descriptors."""
    secret = tmp_path / ("protected-" + os.urandom(6).hex())
    (secret / "submitted").mkdir(parents=True)
    (secret / "gradebook.db").write_text("grades")
    protected = [str(secret / "submitted"), str(secret / "gradebook.db")]
    server = ForkServer(protected=protected)
    try:
        for what in ("cmdline", "environ"):
            seen = Path(f"/proc/{server.process.pid}/{what}").read_bytes()
            assert secret.name.encode() not in seen, what
        # the scan reads some 130 MiB a page at a time: 0.4 s here, more than the 0.5 s
        # cell limit of LIMITS on a loaded CI machine
        scan = replace(LIMITS, cell_seconds=10)
        with sealed(snippet("find_paths"), server=server, limits=scan) as sub:
            said = text(sub.cells[0]).strip()
        assert re.fullmatch(r"scanned \d+ MiB; paths found: .*", said), said
        assert secret.name not in said
        with sealed(defines("TARGET", protected[1]) + snippet("steal"), server=server) as sub:
            assert "grades" not in text(sub.cells[0])  # covered by /dev/null: empty
    finally:
        server.close()


# --- the size of an answer: one limit, sealed or not ----------------------------------------

ARRAYS = MAX_RESULT_BYTES // MAX_ARRAY_BYTES  # arrays of the largest size in the largest answer
OVER_ONE_ARRAY = f"""
import numpy as np
def big():
    return np.zeros({MAX_ARRAY_BYTES // 8 + 1})
"""
OVER_ALL_ARRAYS = f"""
import numpy as np
def big():
    return [np.zeros({MAX_ARRAY_BYTES // 8}) for _ in range({ARRAYS})] + [np.zeros(1)]
"""
AT_THE_LIMIT = f"""
import numpy as np
def big():
    return [np.zeros({MAX_ARRAY_BYTES // 8}) for _ in range({ARRAYS})]
"""


@pytest.mark.parametrize("code, refused", [(OVER_ONE_ARRAY, "MiB limit"),
                                           (OVER_ALL_ARRAYS, "MiB of arrays in all"),
                                           (AT_THE_LIMIT, "")],
                         ids=["one array", "all arrays", "at the limit"])
def test_an_answer_just_over_a_limit_is_refused_alike(code, refused):
    """The sealed channel takes what plain data allows (SealedLimits.result_bytes derives
    from engine/plain.py): just over either limit is the same wrong answer both ways."""
    assert SealedLimits().result_bytes == MAX_RESULT_BYTES
    namespace: dict = {}
    exec_cells([code], namespace)
    local = LocalStudent(namespace, [code])
    roomy = replace(LIMITS, memory_bytes=2048 * MiB, call_seconds=30, call_cpu_seconds=30)
    with sealed(code, limits=roomy) as sub:
        for student in (local, sub.student()):
            if refused:
                with pytest.raises(WrongReturnType, match=refused):
                    student.big()
            else:
                assert sum(a.nbytes for a in student.big()) == MAX_RESULT_BYTES


def test_a_worker_inherits_no_garbage_to_collect():
    """What the fork server loaded and warmed is collected there and left out of each
    worker's collections: a full collection in a worker finds no garbage of the server's
    and goes through only the worker's own objects."""
    with sealed("import gc\nprint(gc.get_freeze_count() > 10_000, gc.collect() < 100,"
                " len(gc.get_objects()) < 5_000)") as sub:
        assert text(sub.cells[0]) == "True True True\n"
