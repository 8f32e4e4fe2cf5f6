"""The answer key of the 04_probability quiz; each question is graded by its own cell."""

import math

from dlmath.kit import CheckFailed, expect_answer, normalize_number


def expect_about(answer, key, explanation):
    """A number right to 4 significant digits is right: log 10 may be written 2.3026."""
    try:
        close = math.isclose(normalize_number(answer), key, rel_tol=1e-3)
    except CheckFailed:
        close = False
    expect_answer(key if close else answer, key, "number", explanation)


def test_q1(student):
    """q1: softmax of four equal logits"""
    expect_answer(student.value("q1"), 0.25, "number",
                  "Equal logits give equal probabilities: e^c / (4 e^c) = 1/4 whatever c is.")


def test_q2(student):
    """q2: the cross-entropy of a uniform guess over 10 classes"""
    expect_about(student.value("q2"), math.log(10),
                 "A uniform guess gives the right class probability 1/10, so the loss is "
                 "-log(1/10) = log 10 ≈ 2.3026: the loss an untrained 10-class classifier "
                 "should start near.")


def test_q3(student):
    """q3: what adding a constant to every logit does"""
    expect_answer(student.value("q3"), "b", "choice",
                  "softmax(z + c) = e^c e^z / (e^c Σ e^z) = softmax(z): the constant cancels. "
                  "That is why subtracting the max is allowed.")


def test_q4(student):
    """q4: the gradient of the cross-entropy with respect to the logits"""
    expect_answer(student.value("q4"), "c", "choice",
                  "dL/dz = softmax(z) - onehot(y): the predicted probabilities minus the "
                  "targets, so the gradient vanishes when the prediction is right and sure.")


def test_q5(student):
    """q5: the unbiased variance of [1, 2, 3, 4]"""
    expect_about(student.value("q5"), 5.0 / 3.0,
                 "The mean is 2.5, the squared deviations sum to 2.25 + 0.25 + 0.25 + 2.25 = "
                 "5; Bessel's correction divides by n - 1 = 3: 5/3 ≈ 1.667 (dividing by n "
                 "gives 1.25).")


def test_q6(student):
    """q6: why attention divides by √d"""
    expect_answer(student.value("q6"), "a", "choice",
                  "q·k sums d products of unit-variance terms, so its variance is d; dividing "
                  "by √d brings it back to 1, so the softmax does not saturate into a one-hot "
                  "with vanishing gradients.")
