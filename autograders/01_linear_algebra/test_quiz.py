"""The answer key of the 01_linear_algebra quiz; each question is graded by its own cell."""

from dlmath.kit import expect_answer


def test_q1(student):
    """q1: the shape of Z = WX + b"""
    expect_answer(student.value("q1"), (4, 10), "shape",
                         "W (4, 3) times X (3, 10) is (4, 10); b (4, 1) broadcasts across the "
                         "10 columns, so Z has one row per output unit: (4, 10).")


def test_q2(student):
    """q2: a batch of RGB images in NCHW"""
    expect_answer(student.value("q2"), (32, 3, 224, 224), "shape",
                         "NCHW is batch, channels, height, width: (32, 3, 224, 224).")


def test_q3(student):
    """q3: the rank of that batch"""
    expect_answer(student.value("q3"), 4, "integer",
                         "The rank is the number of axes (N, C, H and W): 4.")


def test_q4(student):
    """q4: multiply-adds of a (64, 128) @ (128, 32) product"""
    expect_answer(student.value("q4"), 64 * 128 * 32, "integer",
                         "Each of the 64 * 32 outputs is a dot product of length 128: "
                         "64 * 128 * 32 = 262144 multiply-adds.")


def test_q5(student):
    """q5: which products are valid"""
    expect_answer(student.value("q5"), {"a", "c", "d"}, "choices",
                         "A @ B is (2,3)(3,4), B @ C is (3,4)(4,2), C @ A is (4,2)(2,3): the "
                         "inner sizes agree. B @ A and A @ C do not.")


def test_q6(student):
    """q6: the cosine similarity of orthogonal vectors"""
    expect_answer(student.value("q6"), 0.0, "number",
                         "Orthogonal vectors have a zero dot product, so cos = 0: in attention "
                         "such a key gets no extra weight from this query.")
