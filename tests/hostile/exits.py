import ctypes
import os
import signal
import sys


def hard_exit(x):
    os._exit(3)


def soft_exit(x):
    sys.exit(2)


def segfault(x):
    return ctypes.string_at(0)


def abort(x):
    os.abort()


def kill_self(x):
    os.kill(os.getpid(), signal.SIGKILL)
