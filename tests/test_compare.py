"""The comparison module: every diagnosis, and the cases that must not be flagged."""

import numpy as np
import pytest
import torch

from dlmath.engine.compare import EXACT, FLOAT64, Tolerance, expect_close
from dlmath.engine.errors import CheckFailed, Mismatch

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


def test_a_list_is_still_compared_and_diagnosed():
    """The type costs the check, and the values still say what else is wrong."""
    right = failure(A.tolist(), A)
    assert right.startswith("result: the values are right, but it is a list")
    wrong = failure((2 * A).tolist(), A)
    assert "exactly 2 times" in wrong and "it is a list, not an array" in wrong


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
    assert "exactly 1/2 of the expected" in failure(A / 2, A)


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


def named(actual, expected) -> bool:
    """Whether the failure names a cause (a bare mismatch is a Mismatch)."""
    with pytest.raises(CheckFailed) as err:
        expect_close(actual, expected)
    return not isinstance(err.value, Mismatch)


@pytest.mark.parametrize("got, want, text", [
    (A ** 2, A, "the square of the expected value: a square root is missing?"),
    (np.sqrt(A), A, "the square root of the expected value"),
    (A * np.sqrt(2 * np.pi), A, "√(2π) times the expected value: a factor 1/√(2π)"),
    (A / np.sqrt(2 * np.pi), A, "1/√(2π) of the expected value"),
    (A * 1.37, A, "exactly 1.37 times the expected value: a constant factor"),
    (np.exp(A) / np.exp(A).sum(), np.exp(A) / np.exp(A).sum(1, keepdims=True),
     "normalised over the whole array"),
    (A / A.max(1, keepdims=True), A / A.sum(1, keepdims=True), "each row is off by its own"),
    (np.repeat(A[:, :1], 3, axis=1), A, "every row of the result repeats one value"),
    (np.arange(1.0, 7.0).reshape(3, 2).T.reshape(2, 3).copy(), A, "right values in the wrong"),
    (np.arange(1.0, 10.0).reshape(3, 3).T.copy(), np.arange(1.0, 10.0).reshape(3, 3),
     "transpose of the expected"),
])
def test_diagnoses_from_the_numbers(got, want, text):
    message = failure(got, want)
    assert text in message, message
    assert named(got, want)


@pytest.mark.parametrize("got, want", [
    (A + np.array([0.0, 0.1, 0.0]), A),  # no pattern: a bare mismatch
    (np.array([[1.0, 0.0], [1.0, 1.0]]), np.eye(2)),  # 0 and 1 are their own squares
])
def test_no_diagnosis_where_none_fits(got, want):
    message = failure(got, want)
    assert "square" not in message and "factor" not in message and "wrong places" not in message
    assert not named(got, want)


def test_integer_note_only_when_true():
    """The reference's own integers are no reason to blame integer arithmetic."""
    assert "truncates" not in failure(np.array([3, 4]), np.array([3, 5]))
    assert "truncates" in failure(np.array([1, 2]), np.array([1.5, 2.5]))
