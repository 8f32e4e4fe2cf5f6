# Answers that are not plain data.
import numpy as np


class Always:
    def __eq__(self, other):
        return True


class Flagged(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


def always_equal(x):
    return Always()


def objects(x):
    return np.array([1, "a", None], dtype=object)


def strings(x):
    return np.array(["a", "b"])


def subclass(x):
    return np.zeros(3).view(Flagged)


def huge(x):
    return np.zeros(2**24)  # 128 MiB, over the 64 MiB array limit


def generator(x):
    return (i for i in range(3))
