"""The comparison module: every diagnosis, and the cases that must not be flagged."""

import numpy as np
import pytest
import torch

from dlmath.engine.compare import EXACT, FLOAT64, Tolerance, expect_close
from dlmath.engine.errors import CheckFailed

A = np.arange(6.0).reshape(2, 3) + 1.0


def failure(actual, expected, **kwargs) -> str:
    with pytest.raises(CheckFailed) as err:
        expect_close(actual, expected, **kwargs)
    return str(err.value)


def test_equal_passes():
    expect_close(A.copy(), A)


def test_relative_and_absolute_tolerance():
    expect_close(A * (1 + 1e-12), A, tol=FLOAT64)
    expect_close(np.array([1e-17]), np.array([0.0]), tol=FLOAT64)  # tiny vs zero: atol
    assert "is wrong" in failure(A * (1 + 1e-6), A, tol=FLOAT64)


def test_exact_rejects_rounding():
    assert "is wrong" in failure(A + 1e-15, A, tol=EXACT)


def test_none_means_missing_return():
    assert "`return` statement missing" in failure(None, A)


def test_list_and_tensor_are_wrong_types():
    assert "a list" in failure(A.tolist(), A)
    assert "torch" in failure(torch.from_numpy(A), A)


def test_transpose_diagnosed():
    assert "transpose of the expected" in failure(A.T.copy(), A)


def test_non_square_wrong_shape_without_transpose():
    message = failure(np.ones((3, 3)), A)
    assert "has shape (3, 3), expected (2, 3)" in message
    assert "transpose" not in message


def test_broadcasting_slip():
    v = np.arange(3.0)
    assert "broadcasting slip" in failure(v[:, None] + v, v + v)


def test_extra_axis_of_size_one():
    assert "extra or missing axis" in failure(A.reshape(2, 3, 1), A)


def test_missing_reduction():
    assert "reduction) missing" in failure(np.arange(3.0), 3.0)


def test_scalar_multiple_and_sign_flip():
    assert "exactly 2 times" in failure(2 * A, A)
    assert "sign is flipped" in failure(-A, A)
    assert "exactly 0.5 times" in failure(A / 2, A)


def test_scalar_ratio_only_when_whole():
    assert "times" not in failure(np.float64(1.7), 1.0)
    assert "exactly 4 times" in failure(4.0, 1.0)


def test_nan_and_inf():
    bad = A.copy()
    bad[1, 2] = np.nan
    assert "NaN or inf" in failure(bad, A)
    bad[1, 2] = np.inf
    assert "overflow" in failure(bad, A)


def test_nan_expected_is_equal():
    expect_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))


def test_integer_dtype_noted_when_wrong():
    message = failure(np.floor(A + 0.5).astype(int), A + 0.5)
    assert "integer arithmetic truncates" in message


def test_integer_dtype_with_right_values_passes():
    expect_close(np.array([0, 1, 1]), np.array([0.0, 1.0, 1.0]))


def test_object_array_rejected():
    assert "dtype object" in failure(np.array([1.0, None], dtype=object), np.ones(2))


def test_known_mistake_named():
    message = failure(A[::-1].copy(), A, known_mistakes={"reversing the rows": A[::-1]})
    assert "this is what reversing the rows gives" in message


def test_tuples_and_dicts_compared_by_part():
    expect_close((A, 1.0), (A, 1.0))
    assert "result[1]" in failure((A, 2.0), (A, 1.0))
    assert "a tuple of 2" in failure((A,), (A, 1.0))
    assert "['b']" in failure({"a": A, "b": 1.0}, {"a": A, "b": 3.0})
    assert "expected keys" in failure({"a": A}, {"a": A, "b": 1.0})


def test_tolerance_is_named_in_message():
    assert "tolerance tight (rtol=1e-12" in failure(A + 0.3, A, tol=Tolerance("tight", 1e-12, 0))
