import os
import sys


def shout(x):  # 1 GB through print
    for _ in range(1000):
        print("x" * 10**6)
    return x


def shout_stderr(x):
    for _ in range(1000):
        sys.stderr.write("x" * 10**6)
    return x


def shout_fd(x):  # 1 GB to the file descriptors, below Python
    block = b"x" * 10**6
    for _ in range(1000):
        os.write(1, block)
        os.write(2, block)
    return x


def shout_and_swallow(x):
    for _ in range(1000):
        try:
            print("x" * 10**6)
        except BaseException:
            pass
    return x
