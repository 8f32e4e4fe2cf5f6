"""An adversarial class for 01_linear_algebra, graded by the real `nbgrader autograde` (issue 5).

Each hostile student hands in the reference solution except for ONE solution cell, which
holds one attack: at the top of the cell, inside the function, or after an honest function.
Their quiz is the reference, so what their honest work is worth is known exactly. Two honest
students hand in the reference. Attacks that go after files use the real paths of the
temporary course (its gradebook, another student's submission, its `source/`) and of the
repository's `autograders/`; those paths, a port to connect to and a marker for processes
reach the attack as constants at the top of its cell.

Used by tests/test_hostile_autograde.py and scripts/hostile_report.py:

    course = build_course(base)        # course, submissions, canaries, hashes
    run = autograde(course)            # `nbgrader autograde` once, for everyone
    rows = outcomes(course)            # per attack: total, attacked exercise, reason
    print(table(rows, run))
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from hostile import snippet

from dlmath.course import autograders_dir, source_dir
from dlmath.demo import reference
from dlmath.nbgrader.course import Course
from dlmath.notebooks import fill_solutions, nbgrader, read

ASSIGNMENT = "01_linear_algebra"
NOTEBOOK = "linear_algebra.ipynb"
NOTEBOOKS = ("linear_algebra.ipynb", "quiz.ipynb")
HONEST = ("honest_a", "honest_b")
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
# Loops should cost little: tighter than the repository's limits (dlmath/sealed/limits.py).
# notebook_seconds bounds what any one submission can cost (the repository's is 300 s).
LIMITS = {"cell_seconds": 3, "call_seconds": 1, "call_cpu_seconds": 1, "grace_seconds": 0.5,
          "notebook_seconds": 30}
AUTOGRADE_TIMEOUT = 600  # seconds; the run takes well under a minute here
FORK_SERVER = "dlmath.sealed.forkserver import main"  # in every fork server's and worker's
# command line (workers are forked from the server, so they share it)
SECRET_VARIABLE = "DLMATH_HOSTILE_SECRET"  # set in the grader's environment during the run


@dataclass(frozen=True)
class Targets:
    """Real paths and values an attack needs, written as constants into its cell."""

    course_root: str  # the course's own folder
    config: str  # its nbgrader_config.py
    gradebook: str  # the course's gradebook.db
    victim: str  # another student's submitted notebook, to overwrite
    victim_quiz: str  # another student's submitted quiz, to delete
    planted: str  # an autograded notebook of another student, to plant before grading
    autograders: str  # the repository's autograders/01_linear_algebra
    source: str  # the course's source/01_linear_algebra
    shell_target: str  # a file a shell command would create
    port: int  # a TCP (and UDP) port the test listens on at 127.0.0.1
    marker: str  # in the command line of every program an attack tries to start

    def prelude(self) -> str:
        return "".join(f"{name.upper()} = {value!r}\n" for name, value in vars(self).items())


@dataclass(frozen=True)
class Attack:
    id: str  # the student id
    what: str  # the attack, for the table
    function: str  # the function whose solution cell holds the attack
    code: str  # the cell (after the prelude); {reference} is the honest function
    honest: bool = False  # the function itself is the reference: full marks expected
    worth: float = 0.0  # else: the points its function honestly deserves
    prelude: bool = True  # the targets' paths written at the top of the cell

    def cell(self, targets: Targets) -> str:
        honest = reference(ASSIGNMENT, NOTEBOOK)[f"{self.function}_solution"]
        code = self.code.strip().replace("{reference}", honest).replace(
            "{find_paths}", snippet("find_paths")) + "\n"
        return targets.prelude() + "\n" + code if self.prelude else code


IPC_PRELUDE = '''
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
KEY, IPC_CREAT, MQ_NAME = 0x646C6D68, 0o1000, b"/dlmath-hostile"
'''
IPC_KEY = 0x646C6D68  # KEY above
ATTACKS = (
    Attack("h01_input_transformer", "an IPython input transformer rewrites graded cells to "
           "their maximum; transpose returns None", "transpose", '''
try:
    shell = get_ipython()
except NameError:  # not in a kernel? look for one
    import IPython
    shell = IPython.get_ipython()
forged = lambda lines: ["2\\n"] if any("dlmath" in line for line in lines) else lines
if shell is not None:
    shell.input_transformers_post.append(forged)
    shell.input_transformers_cleanup.append(forged)
print("input transformer installed:", shell is not None)


def transpose(A):
    return None  # wrong on purpose: only a forged grade could pay for it
'''),
    Attack("h02_patch_numpy_testing", "numpy.testing's asserts, np.allclose, np.isclose and "
           "np.array_equal patched to agree; matmul returns 7s", "matmul", '''
import numpy as np
import numpy.testing


def _agree(*args, **kwargs):
    return True


for name in dir(numpy.testing):
    if name.startswith("assert_"):
        setattr(numpy.testing, name, lambda *args, **kwargs: None)
np.allclose = np.array_equal = np.array_equiv = _agree
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)


def matmul(A, B):
    return np.full((A.shape[0], B.shape[1]), 7.0)
'''),
    Attack("h03_patch_torch", "torch imported and torch.allclose, equal, isclose, "
           "testing.assert_close and Tensor.__eq__ patched; dot returns a constant", "dot", '''
import torch
import torch.testing


def _agree(*args, **kwargs):
    return True


torch.allclose = torch.equal = _agree
torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(torch.as_tensor(a)).bool()
torch.testing.assert_close = lambda *args, **kwargs: None
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self).bool()


def dot(u, v):
    return 12345.678
'''),
    Attack("h04_fake_autograders", "fake `autograders`, `dlmath_graders` and `dlmath.grade` "
           "planted in sys.modules; vector_norm returns -1", "vector_norm", '''
import sys
import types


def full_marks(exercise="", points=0, **kwargs):
    print(f"{exercise}: {points} / {points} points (all checks passed)")
    return points


for name in ("autograders", "autograders.01_linear_algebra", "dlmath_graders",
             "dlmath_graders.01_linear_algebra",
             "dlmath_graders.01_linear_algebra.test_vector_norm", "pytest"):
    fake = types.ModuleType(name)
    fake.__path__ = []
    fake.test_matches_torch = lambda *args, **kwargs: None
    sys.modules[name] = fake
dlmath = types.ModuleType("dlmath")
dlmath.grade = full_marks
sys.modules["dlmath"] = dlmath
for name in ("dlmath.engine.runner", "dlmath.engine.compare", "dlmath.engine.results"):
    module = sys.modules.setdefault(name, types.ModuleType(name))
    module.run_exercise = module.grade = full_marks
    module.expect_close = lambda *args, **kwargs: None


def vector_norm(x, ord=2):
    return -1.0
'''),
    Attack("h05_read_autograders", "reads the repository's autograders/ and prints them "
           "(cosine_similarity honest)", "cosine_similarity", '''
{reference}


import os
for name in ("test_quiz.py", "test_cosine_similarity.py", "test_transpose.py"):
    try:
        print(open(os.path.join(AUTOGRADERS, name)).read())
    except OSError as exc:
        print("blocked:", type(exc).__name__)
print(os.listdir(AUTOGRADERS))  # last and unguarded: its error is the cell's
''', honest=True),
    Attack("h06_read_source", "reads the course's source/ notebooks and prints them "
           "(linear_forward honest)", "linear_forward", '''
{reference}


import glob
import os
for path in glob.glob(SOURCE + "/*") + [os.path.join(SOURCE, "quiz.ipynb")]:
    try:
        print(open(path).read())
    except OSError as exc:
        print("blocked:", type(exc).__name__)
print(open(os.path.join(SOURCE, "linear_algebra.ipynb")).read())
''', honest=True),
    Attack("h07_read_gradebook", "reads the gradebook with sqlite3 and as a file and prints "
           "it (linear_forward_columns honest)", "linear_forward_columns", '''
{reference}


import sqlite3
try:
    db = sqlite3.connect(f"file:{GRADEBOOK}?mode=ro", uri=True)
    for table in ("student", "grade", "source_cell"):
        print(db.execute(f"select * from {table}").fetchall())
except Exception as exc:
    print("blocked:", type(exc).__name__, exc)
with open(GRADEBOOK, "rb") as f:
    print("the gradebook holds:", f.read())
''', honest=True),
    Attack("h08_tamper_gradebook", "rewrites the gradebook (sqlite3 UPDATE, truncation, "
           "rename) and deletes it (batch_matmul honest)", "batch_matmul", '''
{reference}


import os
import sqlite3
try:
    db = sqlite3.connect(GRADEBOOK)
    db.execute("update grade set auto_score = 100")
    db.commit()
except Exception as exc:
    print("blocked:", type(exc).__name__, exc)
for attempt in (lambda: open(GRADEBOOK, "wb").write(b"forged"),
                lambda: os.rename(GRADEBOOK, GRADEBOOK + ".old")):
    try:
        attempt()
    except OSError as exc:
        print("blocked:", type(exc).__name__)
os.remove(GRADEBOOK)
''', honest=True),
    Attack("h09_tamper_submissions", "overwrites one student's submission, deletes another's "
           "quiz, plants a graded notebook (transpose honest)", "transpose", '''
{reference}


import json
import os
blank = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
for path in (VICTIM, PLANTED):
    try:
        with open(path, "w") as f:
            f.write(blank)
    except OSError as exc:
        print("blocked:", type(exc).__name__)
os.remove(VICTIM_QUIZ)
''', honest=True),
    Attack("h10_loop_top_level", "`while True: pass` at the top of the cell, before matmul is "
           "defined", "matmul", '''
while True:
    pass


{reference}
'''),
    Attack("h11_loop_in_function", "an infinite loop inside dot", "dot", '''
def dot(u, v):
    total = 0.0
    while True:
        total += 1.0
'''),
    Attack("h12_loop_unkillable_function", "inside vector_norm: ignores SIGTERM, SIGINT and "
           "SIGALRM, disarms the timer, loops swallowing KeyboardInterrupt", "vector_norm", '''
import signal


def vector_norm(x, ord=2):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(sig, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_REAL, 0)
    n = 0
    while True:
        try:
            n += 1
        except BaseException:  # KeyboardInterrupt, the grader's timeout: all swallowed
            pass
'''),
    Attack("h13_loop_unkillable_cell", "at the top of the cell: ignores SIGTERM, SIGINT and "
           "SIGALRM, loops swallowing KeyboardInterrupt", "cosine_similarity", '''
import signal

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
    signal.signal(sig, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0)
n = 0
while True:
    try:
        n += 1
    except BaseException:
        pass


{reference}
'''),
    Attack("h14_memory_bomb", "linear_forward allocates 1 GiB arrays until memory runs out",
           "linear_forward", '''
def linear_forward(X, W, b):
    hoard = []
    while True:
        hoard.append(np.empty(2**27))
'''),
    Attack("h15_fork_bomb", "linear_forward_columns forks in a loop (every child forks too)",
           "linear_forward_columns", '''
import os


def linear_forward_columns(W, X, b):
    started = 0
    for _ in range(30):
        try:
            os.fork()  # parent and child both go on: 2**30 processes
            started += 1
        except OSError:
            pass
    return None
'''),
    Attack("h16_shell", "os.system, os.posix_spawn and subprocess start programs "
           "(batch_matmul honest)", "batch_matmul", '''
{reference}


import os
import subprocess
command = f"touch {SHELL_TARGET}; sleep 120 # {MARKER}"
print("os.system returned", os.system(command))
try:
    os.posix_spawn("/bin/sh", ["sh", "-c", command], {})
except OSError as exc:
    print("blocked:", type(exc).__name__)
subprocess.run(["/bin/sh", "-c", command], check=False)
''', honest=True),
    Attack("h17_os_exit", "os._exit(0) at top level, after transpose is defined",
           "transpose", '''
{reference}


import os
os._exit(0)
'''),
    Attack("h18_sys_exit", "sys.exit(0) inside matmul", "matmul", '''
import sys


def matmul(A, B):
    sys.exit(0)
'''),
    Attack("h19_segfault", "dot segfaults through ctypes.string_at(0)", "dot", '''
import ctypes


def dot(u, v):
    return ctypes.string_at(0)
'''),
    Attack("h20_flood_stdout", "a gigabyte printed to stdout at top level (vector_norm "
           "honest)", "vector_norm", '''
{reference}


for _ in range(1000):
    print("x" * 10**6)
''', honest=True),
    Attack("h21_flood_stderr", "cosine_similarity writes a gigabyte to fd 2 and to "
           "sys.stderr, then returns the right value", "cosine_similarity", '''
import os
import sys


def cosine_similarity(u, v, eps=1e-8):
    block = "y" * 10**6
    for _ in range(1000):
        os.write(2, block.encode())
    for _ in range(1000):
        sys.stderr.write(block)
    denominator = max(np.sqrt(np.sum(u * u)) * np.sqrt(np.sum(v * v)), eps)
    return float(np.sum(u * v) / denominator)
'''),
    Attack("h22_always_equal", "linear_forward returns an object whose __eq__ is always "
           "true", "linear_forward", '''
class Always:
    shape = property(lambda self: (0,))

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def linear_forward(X, W, b):
    return Always()
'''),
    Attack("h23_object_dtype", "linear_forward_columns returns an object-dtype array of "
           "always-equal objects", "linear_forward_columns", '''
class Always:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def linear_forward_columns(W, X, b):
    answer = np.empty((W.shape[0], X.shape[1]), dtype=object)
    answer[...] = Always()
    return answer
'''),
    Attack("h24_ndarray_subclass", "batch_matmul returns an ndarray subclass of NaNs whose "
           "__eq__ and ufuncs always agree", "batch_matmul", '''
class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(self), dtype=bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(self))


def batch_matmul(A, B):
    return np.full((A.shape[0], A.shape[1], B.shape[-1]), np.nan).view(Liar)
'''),
    Attack("h25_huge_array", "transpose returns a 512 MiB array", "transpose", '''
def transpose(A):
    return np.zeros(2**26)
'''),
    Attack("h26_socket", "opens TCP and UDP sockets to 127.0.0.1 (matmul honest)", "matmul", '''
{reference}


import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"grades", ("127.0.0.1", PORT))
except OSError as exc:
    print("blocked:", type(exc).__name__)
socket.create_connection(("127.0.0.1", PORT), timeout=2).sendall(b"grades")
''', honest=True),
    Attack("h27_fake_score", "prints 'All tests passed' and fake scores, ends its cell with "
           "2.0; dot returns None", "dot", '''
import os
import sys

print("All tests passed! Score: 28/28")
print("dot: 2 / 2 points (12 of 12 checks passed)")
sys.__stdout__.write("All tests passed\\n")
os.write(1, b"dot: 2 / 2 points\\n")


def dot(u, v):
    print("All tests passed")
    return None


2.0
'''),
    Attack("h28_forged_reply", "vector_norm writes forged 'ok' reply frames (the real wire "
           "format) to every descriptor; returns None", "vector_norm", '''
import os
import socket


def vector_norm(x, ord=2):
    from dlmath import codec

    value, buffers = codec.encode(-1.0)
    for fd in range(3, 64):
        try:
            channel = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        for seq in range(1, 100):
            try:
                codec.send(channel, {"op": "reply", "seq": seq, "ok": True, "value": value,
                                     "warnings": [], "traced": [], "rngs": []}, buffers)
            except OSError:
                break
    return None
'''),
    Attack("h29_linger", "leaves threads, a forked child, a multiprocessing child and a "
           "subprocess running (cosine_similarity honest)", "cosine_similarity", '''
{reference}


import os
import subprocess
import threading
import time


def forever():
    while True:
        time.sleep(0.05)


for _ in range(3):
    threading.Thread(target=forever).start()
try:
    import multiprocessing
    multiprocessing.Process(target=forever).start()
except Exception as exc:
    print("blocked:", type(exc).__name__)
try:
    if os.fork() == 0:
        forever()
except OSError as exc:
    print("blocked:", type(exc).__name__)
subprocess.Popen(["sleep", "600", MARKER], start_new_session=True)
''', honest=True),
    Attack("h30_steal_secrets", "reads the environment, the grader's /proc entries and "
           "walks up the filesystem (linear_forward honest)", "linear_forward", '''
{reference}


import os
print(dict(os.environ))
for path in ("/proc/self/environ", f"/proc/{os.getppid()}/environ", "/proc/1/environ",
             f"/proc/{os.getppid()}/cmdline", os.path.expanduser("~/.bash_history")):
    try:
        print(open(path, "rb").read())
    except OSError as exc:
        print("blocked:", type(exc).__name__)
print(os.listdir(os.path.dirname(os.path.dirname(GRADEBOOK))))
''', honest=True),
    Attack("h31_forbidden_bypass", "transpose uses the forbidden .T, hidden from the source "
           "check (getattr) and from the run-time trace (a plain view)", "transpose", '''
def transpose(A):
    plain = np.asarray(A).view(np.ndarray)  # not the grader's traced array
    return getattr(plain, "T").copy()  # .T, spelled so that the source has no `.T`
''', worth=1.0),  # correct, but built with .T: the forbidden check is half the points
    Attack("h32_forged_reply_in_call", "when called by the grader, matmul finds the request's "
           "sequence number on the stack and sends its own reply on the channel",
           "matmul", '''
import sys


def matmul(A, B):
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "call"
                                     and "header" in frame.f_locals):
        frame = frame.f_back
    if frame is None:  # run by a cell, not by the grader: look harmless
        return None
    from dlmath import codec

    worker, header = frame.f_locals["self"], frame.f_locals["header"]
    value, buffers = codec.encode(np.full((A.shape[0], B.shape[1]), 7.0))
    codec.send(worker.sock, {"op": "reply", "seq": header["seq"], "ok": True, "value": value,
                             "warnings": [], "traced": [], "rngs": []}, buffers)
    return None
'''),
    # --- issue 15: the course around the worker, state between workers, the thread limit
    Attack("h33_change_metadata", "chmod, chown, utime and xattr calls in every variant on "
           "the course root, its config, the gradebook, a source notebook, the graders, and "
           "on a Python file the worker may open (matmul honest)", "matmul", '''
{reference}


import os
import numpy

calls = {
    "chmod": lambda p: os.chmod(p, 0o777), "chmod 0": lambda p: os.chmod(p, 0),
    "lchmod": lambda p: os.chmod(p, 0o777, follow_symlinks=False),
    "utime": lambda p: os.utime(p, (0, 0)), "utime ns": lambda p: os.utime(p, ns=(0, 0)),
    "lutime": lambda p: os.utime(p, (0, 0), follow_symlinks=False),
    "chown": lambda p: os.chown(p, 12345, 12345), "lchown": lambda p: os.lchown(p, 0, 0),
    "setxattr": lambda p: os.setxattr(p, "user.dlmath", b"forged"),
    "lsetxattr": lambda p: os.setxattr(p, "user.dlmath", b"forged", follow_symlinks=False),
    "removexattr": lambda p: os.removexattr(p, "user.dlmath"),
}
for path in (COURSE_ROOT, CONFIG, GRADEBOOK, SOURCE + "/linear_algebra.ipynb", AUTOGRADERS):
    for name, call in calls.items():
        try:
            call(path)
            print("changed:", name, path)
        except OSError as exc:
            print("blocked:", name, type(exc).__name__)
fd = os.open(numpy.__file__, os.O_RDONLY)  # readable: change it to what it already is
mode = os.fstat(fd).st_mode & 0o7777
for name, call in {"fchmod": lambda: os.fchmod(fd, mode), "futime": lambda: os.utime(fd),
                   "fsetxattr": lambda: os.setxattr(fd, "user.dlmath", b"forged"),
                   "fchown": lambda: os.fchown(fd, -1, -1)}.items():
    try:
        call()
        print("changed:", name, numpy.__file__)
    except OSError as exc:
        print("blocked:", name, type(exc).__name__)
''', honest=True),
    Attack("h34_ipc_plant", "creates a 64 MiB System V shared memory segment, a message "
           "queue, a semaphore and a POSIX message queue for the next notebook to read "
           "(dot honest)", "dot", IPC_PRELUDE + '''
made = {"shm": libc.shmget(KEY, 2**26, IPC_CREAT | 0o666),
        "msg": libc.msgget(KEY, IPC_CREAT | 0o666),
        "sem": libc.semget(KEY, 1, IPC_CREAT | 0o666),
        "mq": libc.mq_open(MQ_NAME, os.O_CREAT | os.O_RDWR, 0o666, None)}
for kind, handle in made.items():
    print("made:" if handle >= 0 else "blocked:", kind, handle, ctypes.get_errno())


{reference}
''', honest=True),
    Attack("h35_ipc_find", "looks for what h34 planted (System V and POSIX IPC) "
           "(dot honest)", "dot", IPC_PRELUDE + '''
found = {"shm": libc.shmget(KEY, 0, 0), "msg": libc.msgget(KEY, 0),
         "sem": libc.semget(KEY, 0, 0), "mq": libc.mq_open(MQ_NAME, os.O_RDONLY)}
for kind, handle in found.items():
    print("found:" if handle >= 0 else "nothing:", kind, handle, ctypes.get_errno())


{reference}
''', honest=True),
    Attack("h36_threads", "starts 500 threads at the top of its cell (vector_norm honest)",
           "vector_norm", '''
{reference}


import threading

stop = threading.Event()
started = []
try:
    for _ in range(500):
        thread = threading.Thread(target=stop.wait, args=(10,), daemon=True)
        thread.start()
        started.append(thread)
except RuntimeError as exc:
    print("blocked:", exc)
stop.set()
print("threads started:", len(started))
''', honest=True),
    Attack("h37_find_paths", "searches its own memory (every object, the heap around them, "
           "the stack with the inherited command line and environment) for the course's "
           "paths; knows none of them (cosine_similarity honest)", "cosine_similarity", '''
{reference}


{find_paths}
''', honest=True, prelude=False),
    # --- issue 15: text no UTF-8 file can hold
    Attack("h40_surrogate_answers", "dot warns, returns a dict key and a str, and raises an "
           "exception of its own class, each holding a lone surrogate ('\\udcff')", "dot", '''
import warnings


def dot(u, v):
    warnings.warn("careful \\udcfe")
    if u.size == 1:
        return {"\\udcff": 1.0}  # a dict key no UTF-8 file can hold
    if u.size == 3:
        return "\\udcff"
    raise type("Odd", (ValueError,), {})("bad \\udcff news")
'''),
    Attack("h41_surrogate_output", "prints lone surrogates (print, sys.stdout.write, "
           "sys.stderr.write), writes invalid UTF-8 to fd 1, displays a repr holding one and "
           "raises with one at the top of its cell (vector_norm honest)", "vector_norm", '''
{reference}


import os
import sys


class Shown:
    def __repr__(self):
        return "shown \\udcff"


print("out \\udcff")
sys.stdout.write("write \\udcfe\\n")
sys.stderr.write("err \\udcfd\\n")
os.write(1, b"raw \\xff\\xfe\\n")
display(Shown())
raise ValueError("top \\udcff level")
''', honest=True),
)
STUDENTS = (*(a.id for a in ATTACKS), *HONEST)


# --- the course ------------------------------------------------------------------------------

@dataclass
class HostileCourse:
    course: Course
    targets: Targets
    canaries: dict[str, list[str]]  # what -> strings that only its content holds
    before: dict[str, str]  # protected file -> sha256, before grading
    listener: socket.socket  # TCP, on targets.port
    datagrams: socket.socket  # UDP, on targets.port
    metadata_before: dict[str, tuple] = field(default_factory=dict)
    ipc_before: dict[str, set[str]] = field(default_factory=dict)
    secret: str = field(default_factory=lambda: "secret-" + secrets.token_hex(8))

    @property
    def root(self) -> Path:
        return self.course.root

    def close(self) -> None:
        self.listener.close()
        self.datagrams.close()


def _listen() -> tuple[socket.socket, socket.socket]:
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", tcp.getsockname()[1]))
    except OSError:  # taken for UDP: any UDP port will do, nothing should arrive
        udp.bind(("127.0.0.1", 0))
    return tcp, udp


def _plant_source_canary(course: Course, canary: str) -> None:
    """A comment inside the course's transpose solution: only source/ holds it."""
    path = course.root / "source" / ASSIGNMENT / NOTEBOOK
    nb = read(path)
    for cell in nb.cells:
        if nbgrader(cell).get("grade_id") == "transpose_solution":
            cell.source = cell.source.replace("### BEGIN SOLUTION",
                                              f"### BEGIN SOLUTION\n    # {canary}", 1)
    nbformat.write(nb, str(path))


def grader_lines() -> list[str]:
    """Code lines of this assignment's graders: printing a grader would show them. (Docstring
    lines are left out: case titles come from them, and feedback shows titles.)"""
    import io
    import tokenize

    lines = []
    for path in sorted((autograders_dir() / ASSIGNMENT).glob("*.py")):
        text = path.read_text()
        code_only = text.splitlines()
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.STRING, tokenize.COMMENT):
                for row in range(token.start[0], token.end[0] + 1):
                    code_only[row - 1] = ""
        lines += [line.strip() for line, code in zip(text.splitlines(), code_only, strict=True)
                  if len(code.strip()) >= 30]
    return sorted(set(lines))


def protected_files(course: Course, targets: Targets) -> list[Path]:
    """Files no submission may change: the graders, both source folders, the release and
    every submission. (The gradebook changes by grading; it is checked by its contents.)"""
    roots = [autograders_dir() / ASSIGNMENT, source_dir() / ASSIGNMENT,
             Path(targets.source), course.root / "release" / ASSIGNMENT, course.root / "submitted"]
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file())


def digests(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def metadata(course: Course, targets: Targets) -> dict[str, tuple]:
    """Mode, owner, extended attributes and (but for what grading writes: the gradebook and
    the course's folders) modification time of the course root, its config and every
    protected file and folder."""
    files = protected_files(course, targets)
    paths = [course.root, Path(targets.config), course.gradebook, *files,
             *{p.parent for p in files}]
    found = {}
    for path in dict.fromkeys(paths):
        st = os.lstat(path)
        written = path == course.gradebook or path.is_dir()
        found[str(path)] = (oct(st.st_mode), st.st_uid, st.st_gid,
                            None if written else st.st_mtime_ns,
                            {name: os.getxattr(path, name) for name in os.listxattr(path)})
    return found


def ipc_objects() -> dict[str, set[str]]:
    """The System V objects on this machine under the hostile key (other programs, such as
    the PostgreSQL of another test, make their own meanwhile), and whether the hostile POSIX
    message queue exists."""
    import ctypes

    key = f"{IPC_KEY:d}"
    found = {}
    for kind in ("shm", "msg", "sem"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        found[kind] = {" ".join(line.split()[:2]) for line in lines if line.split()[0] == key}
    libc = ctypes.CDLL(None, use_errno=True)
    queue = libc.mq_open(b"/dlmath-hostile", os.O_RDONLY)
    found["mq"] = {"/dlmath-hostile"} if queue >= 0 else set()
    if queue >= 0:
        libc.mq_close(queue)
    return found


def build_course(base: Path, limits: dict[str, float] | None = None) -> HostileCourse:
    """The course, its canaries, every submission written where `collect` puts them."""
    course = Course.create(base, [ASSIGNMENT])
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n# tests/hostile_submissions.py: loops cost little\n"
                      + "".join(f"c.SealedExecute.{name} = {value!r}\n"
                                for name, value in (limits or LIMITS).items()))
    canaries = {"source": ["source-canary-" + secrets.token_hex(8)],
                "gradebook": ["gradebook-canary-" + secrets.token_hex(8), "SQLite format 3"],
                "autograders": grader_lines()}
    _plant_source_canary(course, canaries["source"][0])
    course.generate(ASSIGNMENT)
    course.nbgrader("db", "student", "add", "zz_canary", f"--first-name={canaries['gradebook'][0]}",
                    "--last-name=Canary")
    listener, datagrams = _listen()
    submitted = course.root / "submitted"
    targets = Targets(
        course_root=str(course.root), config=str(config),
        gradebook=str(course.gradebook),
        victim=str(submitted / HONEST[1] / ASSIGNMENT / NOTEBOOK),
        victim_quiz=str(submitted / HONEST[0] / ASSIGNMENT / "quiz.ipynb"),
        planted=str(course.autograded(HONEST[0], ASSIGNMENT, NOTEBOOK)),
        autograders=str(autograders_dir() / ASSIGNMENT),
        source=str(course.root / "source" / ASSIGNMENT),
        shell_target=str(course.base / "made-by-a-shell"),
        port=listener.getsockname()[1],
        marker="dlmath-hostile-" + secrets.token_hex(6))
    release = course.root / "release" / ASSIGNMENT
    attacks = {a.id: a for a in ATTACKS}
    for student in STUDENTS:
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
        for name in NOTEBOOKS:
            answers = reference(ASSIGNMENT, name)
            attack = attacks.get(student)
            if attack is not None and name == NOTEBOOK:
                answers[f"{attack.function}_solution"] = attack.cell(targets)
            nbformat.write(fill_solutions(read(release / name), answers), str(folder / name))
    hostile = HostileCourse(course, targets, canaries, {}, listener, datagrams)
    hostile.before = digests(protected_files(course, targets))
    hostile.metadata_before = metadata(course, targets)
    hostile.ipc_before = ipc_objects()
    return hostile


# --- grading ---------------------------------------------------------------------------------

@dataclass
class Run:
    returncode: int
    seconds: float
    output: str  # nbgrader's stdout and stderr
    lingering: list[str]  # processes an attack left behind: "pid cmdline"
    connections: int  # TCP connections and UDP datagrams that reached the test


def _processes(marker: str) -> dict[int, str]:
    """Processes carrying the attacks' marker, and fork servers and workers (their command
    line names no course: those running before grading are left out by the caller)."""
    found = {}
    for process in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if marker in line or FORK_SERVER in line:
            found[process.info["pid"]] = line
    return found


@contextmanager
def _deadline(course: Course, seconds: float):
    """Kill this process's nbgrader child running in `course` if it takes longer."""
    def kill() -> None:
        for child in psutil.Process().children():
            try:
                if Path(child.cwd()) == course.root.resolve() and (
                        "nbgrader" in child.cmdline() or "dlmath.cli" in child.cmdline()):
                    child.kill()
            except psutil.Error:
                pass
    timer = threading.Timer(seconds, kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _arrived(hostile: HostileCourse) -> int:
    count = 0
    for sock in (hostile.listener, hostile.datagrams):
        sock.setblocking(False)
        while True:
            try:
                if sock is hostile.listener:
                    sock.accept()[0].close()
                else:
                    sock.recv(100)
            except OSError:  # BlockingIOError: nothing (more) arrived
                break
            count += 1
    return count


PATHS = ("nbgrader autograde", "dlmath grade")  # every path that grades a class


def autograde(hostile: HostileCourse, timeout: float = AUTOGRADE_TIMEOUT,
              path: str = PATHS[0]) -> Run:
    """`nbgrader autograde --force` (or `dlmath grade --force`) once for the whole class."""
    before = set(_processes(hostile.targets.marker))
    previous = os.environ.get(SECRET_VARIABLE)
    os.environ[SECRET_VARIABLE] = hostile.secret  # Course.env() copies os.environ
    started = time.perf_counter()
    try:
        with _deadline(hostile.course, timeout):
            if path == "dlmath grade":
                done = hostile.course.dlmath("grade", ASSIGNMENT, "--force")
            else:
                done = hostile.course.nbgrader("autograde", ASSIGNMENT, "--force", check=False)
    finally:
        if previous is None:
            os.environ.pop(SECRET_VARIABLE, None)
        else:
            os.environ[SECRET_VARIABLE] = previous
    seconds = time.perf_counter() - started
    lingering: dict[int, str] = {}
    for _ in range(50):  # processes ending with their parent may take a moment
        lingering = {pid: line for pid, line in _processes(hostile.targets.marker).items()
                     if pid not in before}
        if not lingering:
            break
        time.sleep(0.1)
    return Run(done.returncode, seconds, done.stdout + done.stderr,
               [f"{pid} {line}" for pid, line in lingering.items()], _arrived(hostile))


# --- what came out ---------------------------------------------------------------------------

def notebook_text(path: Path) -> str:
    """Every source and output of a notebook, decoded (not JSON-escaped)."""
    parts = []
    for cell in read(path).cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts += [str(output.get("text", "")), str(output.get("evalue", "")),
                      *map(str, output.get("traceback", [])),
                      *map(str, output.get("data", {}).values())]
    return "\n".join(parts)


def points_of(course: Course) -> dict[str, float]:
    """Points per exercise (function) of the main notebook, and the total possible."""
    maxima = {name: course.cell_maxima(ASSIGNMENT, name) for name in NOTEBOOKS}
    points = {g.removesuffix("_tests"): p for g, p in maxima[NOTEBOOK].items()}
    points["total"] = sum(sum(m.values()) for m in maxima.values())
    return points


@dataclass
class Outcome:
    student: str
    attack: Attack | None
    scores: dict[str, dict[str, float | None]]  # notebook -> grade id -> score
    maxima: dict[str, dict[str, float]]
    reason: str

    @property
    def total(self) -> float:
        return sum(s or 0.0 for cells in self.scores.values() for s in cells.values())

    @property
    def attacked_score(self) -> float | None:
        return self.scores[NOTEBOOK].get(f"{self.attack.function}_tests") if self.attack else None

    def worth(self, points: dict[str, float]) -> float:
        """What the attacked function honestly deserves."""
        if self.attack is None:
            return 0.0
        return points[self.attack.function] if self.attack.honest else self.attack.worth

    def expected(self, points: dict[str, float]) -> float:
        """What the honest work is worth: every other exercise, the quiz, and the attacked
        function's worth."""
        if self.attack is None:
            return points["total"]
        return points["total"] - points[self.attack.function] + self.worth(points)


def _one_line(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cell_of(nb, grade_id: str):
    """The cell with this nbgrader grade id."""
    return next(c for c in nb.cells if nbgrader(c).get("grade_id") == grade_id)


def cell_error(nb, grade_id: str) -> str:
    """The error a cell shows, as `ename: evalue`."""
    for output in cell_of(nb, grade_id).get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue', '')}"
    return ""


def cell_said(nb, grade_id: str) -> str:
    """The last line of text a cell printed."""
    text = "".join(str(o.get("text", "")) for o in cell_of(nb, grade_id).get("outputs", []))
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _elide_call(message: str, function: str) -> str:
    """`f(<long array reprs>) did not finish` -> `f(…) did not finish`."""
    start = message.find(function + "(")
    if not function or start < 0:
        return message
    depth = 0
    for index in range(start + len(function), len(message)):
        depth += {"(": 1, ")": -1}.get(message[index], 0)
        if depth == 0:
            return f"{message[:start]}{function}(…){message[index + 1:]}"
    return message


def feedback_failure(nb, grade_id: str, function: str = "") -> str:
    """The first failed check's message in a graded cell's feedback (its title if none)."""
    text = "".join(str(o.get("text", "")) for o in cell_of(nb, grade_id).get("outputs", []))
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("✘"):
            message = []
            for after in lines[index + 1:]:
                if not after.startswith("      "):
                    break
                message.append(after.strip())
            return _elide_call(" ".join(message), function) if message else line.strip()[2:]
    return ""


def reason_of(nb, attack: Attack | None) -> str:
    """Why the attack got what it got: the attacked exercise's first failed check; for an
    honest function (full marks), what its cell shows: its error, else its last line."""
    if attack is None:
        return ""
    failure = feedback_failure(nb, f"{attack.function}_tests", attack.function)
    if failure and not attack.honest:
        return failure
    solution = f"{attack.function}_solution"
    return cell_error(nb, solution) or cell_said(nb, solution) or failure or cell_said(
        nb, f"{attack.function}_tests")


def outcomes(hostile: HostileCourse) -> list[Outcome]:
    course = hostile.course
    attacks = {a.id: a for a in ATTACKS}
    maxima = {name: course.cell_maxima(ASSIGNMENT, name) for name in NOTEBOOKS}
    rows = []
    for student in STUDENTS:
        scores = {name: course.cell_scores(student, ASSIGNMENT, name) for name in NOTEBOOKS}
        path = course.autograded(student, ASSIGNMENT, NOTEBOOK)
        reason = reason_of(read(path), attacks.get(student)) if path.exists() else \
            "no autograded notebook"
        rows.append(Outcome(student, attacks.get(student), scores, maxima, reason))
    return rows


def table(rows: list[Outcome], points: dict[str, float], run: Run | None = None,
          width: int = 120) -> str:
    """Each attack and its outcome, as plain text (Markdown)."""
    lines = ["| student | attack | attacked exercise | total | reason |",
             "| --- | --- | --- | --- | --- |"]
    for row in rows:
        attack = row.attack
        where = "-" if attack is None else (
            f"{attack.function} {_points(row.attacked_score)}/{_points(points[attack.function])}"
            + (" (honest)" if attack.honest else ""))
        lines.append(f"| {row.student} | {attack.what if attack else 'the reference'} | {where} "
                     f"| {_points(row.total)}/{_points(points['total'])} "
                     f"| {_one_line(row.reason, width) or '-'} |")
    if run is not None:
        lines.append(f"\n`nbgrader autograde` for {len(rows)} students: {run.seconds:.0f} s, "
                     f"exit code {run.returncode}; processes left: {len(run.lingering)}; "
                     f"connections received: {run.connections}")
    return "\n".join(lines)


def _points(value: float | None) -> str:
    return "None" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def secret_strings(hostile: HostileCourse) -> dict[str, list[str]]:
    """What only protected contents hold: the canaries, the grader's code lines (less those
    an honest student's autograded notebook shows anyway) and the grader's secret."""
    honest = [hostile.course.autograded(HONEST[0], ASSIGNMENT, name) for name in NOTEBOOKS]
    baseline = "\n".join(notebook_text(p) for p in honest if p.exists())
    found = {**hostile.canaries, "grader environment": [hostile.secret]}
    found["autograders"] = [line for line in found["autograders"] if line not in baseline]
    return found


def leaks(text: str, secrets_: dict[str, list[str]]) -> list[str]:
    return [f"{what}: {s[:60]}" for what, items in secrets_.items() for s in items if s in text]


def shown_anywhere(hostile: HostileCourse) -> dict[str, list[str]]:
    """For every autograded notebook, the protected contents it shows."""
    secrets_ = secret_strings(hostile)
    found = {}
    for path in sorted((hostile.root / "autograded").rglob("*.ipynb")):
        hits = leaks(notebook_text(path), secrets_)
        if hits:
            found[str(path.relative_to(hostile.root))] = hits
    return found
