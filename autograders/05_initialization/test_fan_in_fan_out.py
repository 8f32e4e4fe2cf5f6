"""fan_in_fan_out(shape): (fan_in, fan_out) as torch computes them for dense and conv weights."""

import pytest

from dlmath.kit import EXACT, expect_close, expect_raises, fans, reference

# Dense (out, in) and conv (out, in, *kernel) weights of 1, 2 and 3 spatial dimensions. The
# square weight has a kernel: the fans of a square dense weight are the shape returned as is.
SHAPES = [(3, 5), (7, 2), (4, 4, 3), (16, 3, 5), (64, 3, 3, 3), (8, 4, 5, 2),
          (10, 6, 3, 3, 3), (32, 16, 1, 1), (5, 2, 4, 1, 3)]


@reference
def mistakes(shape):
    fan_in, fan_out = fans(shape)
    wrong = {"(fan_out, fan_in): the order reversed, or a weight read as (in, out)":
             (fan_out, fan_in)}
    if len(shape) > 2:
        wrong["ignoring the kernel (receptive field) size"] = (shape[1], shape[0])
        wrong["multiplying by only the first kernel size"] = (shape[1] * shape[2],
                                                              shape[0] * shape[2])
        added = sum(shape[2:])  # the product for a single kernel size: no mistake then
        if added != fan_in // shape[1]:
            wrong["adding the kernel sizes instead of multiplying them"] = (shape[1] * added,
                                                                          shape[0] * added)
    return wrong


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_matches_torch(student, shape):
    """matches torch's fans for a weight of shape {shape}"""
    expect_close(student.fan_in_fan_out(shape), fans(shape), tol=EXACT,
                 what=f"fan_in_fan_out({shape})", known_mistakes=mistakes(shape))


@pytest.mark.property  # an answer that always raises passes it
def test_fewer_than_two_dimensions(student):
    """a 1-D shape (a bias) raises ValueError, as in torch"""
    expect_raises(lambda: student.fan_in_fan_out((5,)), "ValueError", "fan_in_fan_out((5,))")
