"""The answer key of the 03_backprop quiz; each question is graded by its own cell."""

from dlmath.kit import expect_answer


def test_q1(student):
    """q1: the shape of dW for nn.Linear(5, 3)"""
    expect_answer(student.value("q1"), (3, 5), "shape",
                  "nn.Linear(5, 3) stores W as (out, in) = (3, 5), and a gradient always has "
                  "the shape of its parameter: dW = dZ^T X is (3, N)(N, 5) = (3, 5).")


def test_q2(student):
    """q2: the axis db sums over"""
    expect_answer(student.value("q2"), 0, "integer",
                  "b is added to every row of Z, so each example contributes to db: sum dZ "
                  "over the batch axis, axis 0, leaving one entry per output unit.")


def test_q3(student):
    """q3: the ReLU's derivative at 0 in PyTorch"""
    expect_answer(student.value("q3"), 0, "number",
                  "ReLU has no derivative at 0; any value in [0, 1] is a subgradient, and "
                  "PyTorch uses 0.")


def test_q4(student):
    """q4: sigmoid layers until the bound on the gradient factor is below 1e-6"""
    expect_answer(student.value("q4"), 10, "integer",
                  "Each sigmoid layer contributes a factor sigmoid' <= 1/4: 0.25^9 = 3.8e-6, "
                  "0.25^10 = 9.5e-7 < 1e-6, so 10 layers.")


def test_q5(student):
    """q5: what a relative error of 1e-3 in a gradient check says"""
    expect_answer(student.value("q5"), "b", "choice",
                  "With h = 1e-5 a right gradient of a smooth function gives a relative error "
                  "near 1e-7 or below; 1e-3 almost always means a bug (unless f has a kink, "
                  "such as a ReLU input near 0, between x - h and x + h).")


def test_q6(student):
    """q6: one entry of the MSE gradient"""
    expect_answer(student.value("q6"), 1.5, "number",
                  "dL/dy_pred = 2 (y_pred - y) / n with n = 4 entries: 2 * (4 - 1) / 4 = 1.5.")
