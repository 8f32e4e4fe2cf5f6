"""What several 04_probability graders share: the inputs of softmax and log_softmax (shapes,
axes, logits up to ±1e3) and the batches of logits and class targets of the cross-entropy
graders."""

import numpy as np

from dlmath.kit import normal, rng

SHAPES = [(5,), (3, 4), (4, 3), (2, 3, 5)]
AXES = [0, 1, -2]  # of a (2, 3, 5) array
EXTREME = ["large", "rows apart", "axis 0"]
# (N, C): batch size and number of classes.
BATCHES = [(4, 3), (3, 5), (1, 4), (8, 10), (5, 2)]


def extreme_logits(case):
    """(logits up to ±1e3, the axis to normalize over): exp overflows without the max trick."""
    return {
        "large": (np.array([[1000.0, 999.0, -1000.0], [-1000.0, 0.0, 1000.0]]), -1),
        "rows apart": (np.array([[1000.0, 998.0, 990.0], [-1000.0, -999.0, -998.0]]), -1),
        "axis 0": (np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 999.0]]), 0),
    }[case]


def wrong_axes(reference, z, axis):
    """`reference` over every other axis: the classic slip."""
    return {f"normalizing over axis {a} instead of {axis}": reference(z, a)
            for a in range(z.ndim) if a != axis % z.ndim}


def batch_id(size):
    return "N{}-C{}".format(*size)


def classes(seed, n, c):
    """n class targets in [0, c)."""
    return rng(seed + 100).integers(0, c, size=n)


def logits_and_classes(seed, n, c):
    return normal(seed, n, c, scale=2.0), classes(seed, n, c)
