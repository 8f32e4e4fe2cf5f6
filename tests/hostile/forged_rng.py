# The worker's codec sends back, as the state of every random generator a call was passed,
# one no PCG64 can be in (numpy refuses it with an OverflowError).
import sys


def draw(rng):
    return rng.normal()


class _Bits:
    state = {"bit_generator": "PCG64", "state": {"state": 2**200, "inc": 1},
             "has_uint32": 0, "uinteger": 0}


class _Forged:
    bit_generator = _Bits()


_codec = sys.modules.get("dlmath.codec")
if _codec is not None:
    _codec.generators = lambda value: [_Forged()] * 8
