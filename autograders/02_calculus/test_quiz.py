"""The answer key of the 02_calculus quiz; each question is graded by its own cell."""

from dlmath.kit import expect_answer


def test_q1(student):
    """q1: when gradient descent on f(x) = 5x^2 diverges"""
    expect_answer(student.value("q1"), 0.2, "number",
                  "The step is x - lr * 10x = (1 - 10 lr) x: each step multiplies x by "
                  "(1 - 10 lr), which grows in size once |1 - 10 lr| > 1, that is lr > 0.2. "
                  "For f(x) = a x^2 the limit is lr = 1 / a.")


def test_q2(student):
    """q2: the sign of a step"""
    expect_answer(student.value("q2"), 3.2, "number",
                  "w_new = w - lr * L'(w) = 3 - 0.1 * (-2) = 3.2: a negative slope means the "
                  "loss falls to the right, so the step goes right.")


def test_q3(student):
    """q3: a chain-rule value"""
    expect_answer(student.value("q3"), -0.5, "number",
                  "z = 0, sigmoid(0) = 0.5 and sigmoid'(0) = 0.25, so dL/dw = 2 (0.5 - 1) * "
                  "0.25 * x = -0.25 * 2 = -0.5.")


def test_q4(student):
    """q4: what makes gradients vanish"""
    expect_answer(student.value("q4"), "b", "choice",
                  "By the chain rule the gradient of an early layer is a product with one "
                  "factor per later layer; a sigmoid contributes sigmoid' <= 1/4 each time, so "
                  "the product shrinks geometrically with depth.")


def test_q5(student):
    """q5: the error of a central difference when h is halved"""
    expect_answer(student.value("q5"), 4, "number",
                  "The truncation error of the central difference is about f'''(x) h^2 / 6: "
                  "halving h divides it by 2^2 = 4 (a forward difference's error, f''(x) h / 2, "
                  "only by 2).")


def test_q6(student):
    """q6: how much momentum amplifies a constant gradient"""
    expect_answer(student.value("q6"), 10, "number",
                  "With a constant g, v = 0.9 v + g settles where v = 0.9 v + g, at "
                  "v = g / (1 - 0.9) = 10 g: steps ten times longer than plain gradient descent.")
