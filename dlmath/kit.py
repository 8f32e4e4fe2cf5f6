"""The grader kit: the one module of dlmath that graders import.

A grader (`autograders/<assignment>/test_<exercise>.py`) imports only this module, numpy,
torch, pytest, math and its own assignment's shared module (`from .shared import ...`,
what several graders of that assignment share). What several assignments share lives here.
tests/test_grader_kit.py enforces the rule, and that no grader calls a private torch name.

Comparisons        expect_close, Tolerance, EXACT, FLOAT64, ACCUMULATED, FINITE_DIFFERENCE
Checks             CheckFailed, expect_raises, mentions_shape, expect_answer,
                   normalize_number, note
Calculus checks    expect_matches, expect_no_warning, as_vector, SAME_H, stable_call
Statistics         expect_draws, expect_normal, expect_uniform, expect_rng_honoured,
                   expect_sampler_honours_rng, normal_cdf, uniform_cdf
Inputs             SEEDS, normal, uniform, rng, generator, shifted_seeds
References         reference
Torch helpers      sgd_step, backward_from, autograd_gradient, central_gradient,
                   fans, correct_fan
Forbidden calls    Forbidden
Grader functions   (handed to student code; `lookup(name).torch` is the torch twin)
                   CUBIC, SIN_PLUS_SQUARE, SOFTPLUS, GAUSSIAN_BUMP, SUM_OF_SQUARES,
                   ROSENBROCK, LOG_SUM_EXP, QUARTIC_BOWL, SHIFTED_BOWL_GRAD, RAVINE_GRAD,
                   DOUBLE_WELL_GRAD, LOG_SUM_EXP_GRAD, GraderFunction, lookup

Most names are the engine's, re-exported; defined here are the helpers graders of several
assignments share: `generator` and `shifted_seeds` (the rng a sampler is handed, and the
project's replays of it), `expect_sampler_honours_rng`, `normal_cdf` and `uniform_cdf`
(torch's CDFs for the statistical tests), and `fans` and `correct_fan` (torch's fan
computation, which torch keeps private; tests/test_grader_kit.py checks them against it).

"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from dlmath.callables import (
    CUBIC,
    DOUBLE_WELL_GRAD,
    GAUSSIAN_BUMP,
    LOG_SUM_EXP,
    LOG_SUM_EXP_GRAD,
    QUARTIC_BOWL,
    RAVINE_GRAD,
    ROSENBROCK,
    SHIFTED_BOWL_GRAD,
    SIN_PLUS_SQUARE,
    SOFTPLUS,
    SUM_OF_SQUARES,
    GraderFunction,
    lookup,
)
from dlmath.engine.calculus_checks import SAME_H, as_vector, expect_matches, expect_no_warning
from dlmath.engine.checks import expect_answer, expect_raises, mentions_shape, normalize_number
from dlmath.engine.compare import (
    ACCUMULATED,
    EXACT,
    FINITE_DIFFERENCE,
    FLOAT64,
    Tolerance,
    expect_close,
)
from dlmath.engine.errors import CheckFailed
from dlmath.engine.forbidden import Forbidden
from dlmath.engine.inputs import SEEDS, normal, rng, uniform
from dlmath.engine.inputs import offset as _inputs_offset
from dlmath.engine.references import reference
from dlmath.engine.results import note
from dlmath.engine.stability import stable_call
from dlmath.engine.stats import expect_draws, expect_normal, expect_rng_honoured, expect_uniform
from dlmath.engine.torch_refs import autograd_gradient, backward_from, central_gradient, sgd_step

__all__ = [
    # comparisons
    "expect_close", "Tolerance", "EXACT", "FLOAT64", "ACCUMULATED", "FINITE_DIFFERENCE",
    # checks
    "CheckFailed", "expect_raises", "mentions_shape", "expect_answer", "normalize_number",
    "note",
    # calculus checks
    "expect_matches", "expect_no_warning", "as_vector", "SAME_H", "stable_call",
    # statistics
    "expect_draws", "expect_normal", "expect_uniform", "expect_rng_honoured",
    "expect_sampler_honours_rng", "normal_cdf", "uniform_cdf",
    # inputs
    "SEEDS", "normal", "uniform", "rng", "generator", "shifted_seeds",
    # references
    "reference",
    # torch helpers
    "sgd_step", "backward_from", "autograd_gradient", "central_gradient", "fans",
    "correct_fan",
    # forbidden calls
    "Forbidden",
    # grader functions
    "CUBIC", "SIN_PLUS_SQUARE", "SOFTPLUS", "GAUSSIAN_BUMP", "SUM_OF_SQUARES", "ROSENBROCK",
    "LOG_SUM_EXP", "QUARTIC_BOWL", "SHIFTED_BOWL_GRAD", "RAVINE_GRAD", "DOUBLE_WELL_GRAD",
    "LOG_SUM_EXP_GRAD", "GraderFunction", "lookup",
]


# --- the rng handed to a student's sampler ------------------------------------------------

_seed_offset = [0]


def generator(seed: int) -> np.random.Generator:
    """The Generator a grader hands to a student's sampler: `rng(seed)`, unless the project's
    tests replay the grader with other seeds (`shifted_seeds`)."""
    return np.random.default_rng(_inputs_offset() + _seed_offset[0] + seed)


@contextlib.contextmanager
def shifted_seeds(offset: int) -> Iterator[None]:
    """Within it, `generator(seed)` draws from seed + offset: the statistical graders are
    replayed with other seeds to show a correct sampler does not fail them."""
    before = _seed_offset[0]
    _seed_offset[0] = offset
    try:
        yield
    finally:
        _seed_offset[0] = before


def expect_sampler_honours_rng(call: Callable[[np.random.Generator], Any],
                               draws: Callable[[int], np.ndarray], what: str) -> None:
    """`expect_rng_honoured` for a sampler: `call(rng)` calls it on `rng` as it is;
    `draws(seed)` makes the same call on `generator(seed)` and checks the draws' shape."""
    shared = generator(30)
    first = call(shared)
    next_call = call(shared)
    expect_rng_honoured(first, draws(30), draws(31), next_call, what)


# --- torch's distributions, for the statistical tests -------------------------------------

Cdf = Callable[[np.ndarray], np.ndarray]


def normal_cdf(mean: float, std: float) -> Cdf:
    """The CDF of torch.distributions.Normal(mean, std), in float64."""
    import torch

    dist = torch.distributions.Normal(torch.tensor(mean, dtype=torch.float64),
                                      torch.tensor(std, dtype=torch.float64),
                                      validate_args=False)
    return lambda x: dist.cdf(torch.from_numpy(x)).numpy()


def uniform_cdf(bound: float) -> Cdf:
    """The CDF of torch.distributions.Uniform(-bound, bound), in float64."""
    import torch

    dist = torch.distributions.Uniform(torch.tensor(-bound, dtype=torch.float64),
                                       torch.tensor(bound, dtype=torch.float64),
                                       validate_args=False)
    return lambda x: dist.cdf(torch.from_numpy(x)).numpy()


# --- torch's fans ---------------------------------------------------------------------------

def fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of `shape`, as torch.nn.init computes them.

    A weight is (out, in, *kernel): fan_in = in * receptive field and fan_out = out *
    receptive field, the receptive field being the product of the kernel sizes (1 for a
    dense weight). Fewer than 2 dimensions raise ValueError, as in torch.
    """
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    receptive_field = 1
    for size in shape[2:]:
        receptive_field *= int(size)
    return int(shape[1]) * receptive_field, int(shape[0]) * receptive_field


def correct_fan(shape: Sequence[int], mode: str) -> int:
    """The fan Kaiming initialization divides by: fan_in or fan_out (any case), as torch."""
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = fans(shape)
    return fan_in if mode == "fan_in" else fan_out
