"""The corpus of 05_initialization: alternative correct solutions and realistic mistakes,
each with the diagnosis its feedback must contain; tests/test_graders.py grades every one."""

from dlmath.course import CellOrder, Corpus
from dlmath.course import Solution as S
from dlmath.course import does_nothing as N

INITIALIZATION = (
    # calculate_gain ----------------------------------------------------------------------
    S("calculate_gain", "a table of gains", """
        def calculate_gain(nonlinearity, param=None):
            gains = {"linear": 1, "conv1d": 1, "conv2d": 1, "conv3d": 1,
                     "conv_transpose1d": 1, "conv_transpose2d": 1, "conv_transpose3d": 1,
                     "sigmoid": 1, "tanh": 5 / 3, "relu": 2 ** 0.5, "selu": 3 / 4}
            if nonlinearity == "leaky_relu":
                slope = 0.01 if param is None else param
                return (2 / (1 + slope**2)) ** 0.5
            if nonlinearity not in gains:
                raise ValueError(f"no gain for {nonlinearity}")
            return gains[nonlinearity]
    """),
    S("calculate_gain", "match statement", """
        def calculate_gain(nonlinearity, param=None):
            match nonlinearity:
                case "tanh":
                    return 5.0 / 3.0
                case "relu":
                    return math.sqrt(2.0)
                case "leaky_relu":
                    slope = 0.01 if param is None else float(param)
                    return math.sqrt(2.0 / (1.0 + slope * slope))
                case "selu":
                    return 0.75
                case "linear" | "sigmoid" | "conv1d" | "conv2d" | "conv3d":
                    return 1.0
                case "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d":
                    return 1.0
            raise ValueError(nonlinearity)
    """),
    S("calculate_gain", "param or 0.01", """
        def calculate_gain(nonlinearity, param=None):
            if nonlinearity == "leaky_relu":
                return math.sqrt(2.0 / (1.0 + (param or 0.01) ** 2))
            gains = {"tanh": 5 / 3, "relu": math.sqrt(2), "selu": 0.75}
            if nonlinearity in gains:
                return gains[nonlinearity]
            if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
                return 1.0
            raise ValueError(nonlinearity)
    """, diagnosis="`param or 0.01` turns 0 into 0.01"),
    S("calculate_gain", "the variance factor 2 for relu", """
        def calculate_gain(nonlinearity, param=None):
            if nonlinearity == "leaky_relu":
                slope = 0.01 if param is None else param
                return math.sqrt(2.0 / (1.0 + slope**2))
            gains = {"tanh": 5 / 3, "relu": 2.0, "selu": 0.75}
            if nonlinearity in gains:
                return gains[nonlinearity]
            if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
                return 1.0
            raise ValueError(nonlinearity)
    """, diagnosis="the variance factor (gain²) instead of the gain"),
    S("calculate_gain", "tanh and selu as linear", """
        def calculate_gain(nonlinearity, param=None):
            if nonlinearity == "leaky_relu":
                slope = 0.01 if param is None else param
                return math.sqrt(2.0 / (1.0 + slope**2))
            if nonlinearity == "relu":
                return math.sqrt(2.0)
            if nonlinearity in ("linear", "sigmoid", "tanh", "selu") or \\
                    nonlinearity.startswith("conv"):
                return 1.0
            raise ValueError(nonlinearity)
    """, diagnosis="gain 1, as for a linear layer"),
    S("calculate_gain", "slope not squared", """
        def calculate_gain(nonlinearity, param=None):
            if nonlinearity == "leaky_relu":
                slope = 0.01 if param is None else param
                return math.sqrt(2.0 / (1.0 + slope))
            gains = {"tanh": 5 / 3, "relu": math.sqrt(2), "selu": 0.75}
            if nonlinearity in gains:
                return gains[nonlinearity]
            if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
                return 1.0
            raise ValueError(nonlinearity)
    """, diagnosis="without squaring the slope"),
    S("calculate_gain", "1 for anything unknown", """
        def calculate_gain(nonlinearity, param=None):
            if nonlinearity == "leaky_relu":
                slope = 0.01 if param is None else param
                return math.sqrt(2.0 / (1.0 + slope**2))
            return {"tanh": 5 / 3, "relu": math.sqrt(2), "selu": 0.75}.get(nonlinearity, 1.0)
    """, diagnosis="instead of raising ValueError"),
    N("calculate_gain", "always 1", """
        def calculate_gain(nonlinearity, param=None):
            return 1
    """),
    N("calculate_gain", "always 0.0", """
        def calculate_gain(nonlinearity, param=None):
            return 0.0
    """),
    N("calculate_gain", "returns the slope", """
        def calculate_gain(nonlinearity, param=None):
            return param
    """),
    N("calculate_gain", "always raises ValueError", """
        def calculate_gain(nonlinearity, param=None):
            raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")
    """),
    # fan_in_fan_out ----------------------------------------------------------------------
    S("fan_in_fan_out", "math.prod: Python ints", """
        def fan_in_fan_out(shape):
            if len(shape) < 2:
                raise ValueError("a weight needs at least 2 dimensions")
            field = math.prod(shape[2:])
            return shape[1] * field, shape[0] * field
    """),
    S("fan_in_fan_out", "loop over the kernel", """
        def fan_in_fan_out(shape):
            if len(shape) < 2:
                raise ValueError(f"shape {shape} has no fans")
            out_channels, in_channels, *kernel = shape
            field = 1
            for k in kernel:
                field *= k
            return in_channels * field, out_channels * field
    """),
    S("fan_in_fan_out", "numpy integers (np.int64)", """
        def fan_in_fan_out(shape):
            dims = np.array(shape)
            if dims.size < 2:
                raise ValueError(f"fans need at least 2 dimensions, got {shape}")
            receptive_field = dims[2:].prod()
            return dims[1] * receptive_field, dims[0] * receptive_field
    """),
    S("fan_in_fan_out", "(in, out) order", """
        def fan_in_fan_out(shape):
            if len(shape) < 2:
                raise ValueError("a weight needs at least 2 dimensions")
            field = int(np.prod(shape[2:]))
            return shape[0] * field, shape[1] * field
    """, diagnosis="the order reversed"),
    S("fan_in_fan_out", "ignores the kernel", """
        def fan_in_fan_out(shape):
            if len(shape) < 2:
                raise ValueError("a weight needs at least 2 dimensions")
            return shape[1], shape[0]
    """, diagnosis="ignoring the kernel (receptive field) size"),
    S("fan_in_fan_out", "first kernel size only", """
        def fan_in_fan_out(shape):
            if len(shape) < 2:
                raise ValueError("a weight needs at least 2 dimensions")
            field = shape[2] if len(shape) > 2 else 1
            return shape[1] * field, shape[0] * field
    """, diagnosis="multiplying by only the first kernel size"),
    S("fan_in_fan_out", "no check for 1-D", """
        def fan_in_fan_out(shape):
            field = int(np.prod(shape[2:]))
            return shape[1] * field, shape[0] * field
    """, diagnosis="raised IndexError, expected ValueError"),
    S("fan_in_fan_out", "sum of the kernel sizes", """
        def fan_in_fan_out(shape):
            if len(shape) < 2:
                raise ValueError("a weight needs at least 2 dimensions")
            field = max(1, sum(shape[2:]))
            return shape[1] * field, shape[0] * field
    """, diagnosis="adding the kernel sizes instead of multiplying them"),
    N("fan_in_fan_out", "returns the shape", """
        def fan_in_fan_out(shape):
            return shape
    """),
    N("fan_in_fan_out", "(0, 0)", """
        def fan_in_fan_out(shape):
            return 0, 0
    """),
    N("fan_in_fan_out", "(1, 1)", """
        def fan_in_fan_out(shape):
            return (1, 1)
    """),
    N("fan_in_fan_out", "checks the shape, then (1, 1)", """
        def fan_in_fan_out(shape):
            if len(shape) < 2:
                raise ValueError("a weight needs at least 2 dimensions")
            return 1, 1
    """),
    # normal_init -------------------------------------------------------------------------
    S("normal_init", "shifted standard normal", """
        def normal_init(shape, mean, std, rng):
            return mean + std * rng.standard_normal(shape)
    """),
    S("normal_init", "Box-Muller", """
        def normal_init(shape, mean, std, rng):
            u1, u2 = 1.0 - rng.random(shape), rng.random(shape)
            return mean + std * np.sqrt(-2.0 * np.log(u1)) * np.sin(2.0 * np.pi * u2)
    """),
    S("normal_init", "the variance as std", """
        def normal_init(shape, mean, std, rng):
            return rng.normal(mean, std**2, size=shape)
    """, diagnosis="a missing square root (the variance where the standard deviation belongs)"),
    S("normal_init", "ignores the mean", """
        def normal_init(shape, mean, std, rng):
            return rng.normal(0.0, std, size=shape)
    """, diagnosis="is the mean added?"),
    S("normal_init", "global np.random", """
        def normal_init(shape, mean, std, rng):
            return np.random.normal(mean, std, size=shape)
    """, diagnosis="same seed gave different draws"),
    S("normal_init", "a fixed seed inside", """
        def normal_init(shape, mean, std, rng):
            return np.random.default_rng(0).normal(mean, std, size=shape)
    """, diagnosis="different seeds gave the same draws"),
    S("normal_init", "float32", """
        def normal_init(shape, mean, std, rng):
            return rng.normal(mean, std, size=shape).astype(np.float32)
    """, diagnosis="has dtype float32"),
    S("normal_init", "uniform with the right std", """
        def normal_init(shape, mean, std, rng):
            half = np.sqrt(3.0) * std
            return rng.uniform(mean - half, mean + half, size=shape)
    """, diagnosis="do not follow the normal distribution"),
    N("normal_init", "zeros", """
        def normal_init(shape, mean, std, rng):
            return np.zeros(shape)
    """),
    N("normal_init", "a constant 0.01", """
        def normal_init(shape, mean, std, rng):
            return np.full(shape, 0.01)
    """),
    N("normal_init", "plain rng.random", """
        def normal_init(shape, mean, std, rng):
            return rng.random(shape)
    """),
    N("normal_init", "plain rng.standard_normal", """
        def normal_init(shape, mean, std, rng):
            return rng.standard_normal(shape)
    """),
    # xavier_uniform ----------------------------------------------------------------------
    S("xavier_uniform", "bound from the std", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            rng = rng if rng is not None else np.random.default_rng()
            fan_in, fan_out = fan_in_fan_out(shape)
            std = gain * np.sqrt(2.0 / (fan_in + fan_out))
            return rng.uniform(-np.sqrt(3.0) * std, np.sqrt(3.0) * std, size=shape)
    """),
    S("xavier_uniform", "scaled rng.random", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            rng = rng or np.random.default_rng()
            field = int(np.prod(shape[2:]))
            a = gain * np.sqrt(6.0 / ((shape[0] + shape[1]) * field))
            return a * (2.0 * rng.random(shape) - 1.0)
    """),
    S("xavier_uniform", "fan_in only", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            a = gain * np.sqrt(6.0 / fan_in)
            return rng.uniform(-a, a, size=shape)
    """, diagnosis="Xavier with fan_in only"),
    S("xavier_uniform", "LeCun bound", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            a = gain * np.sqrt(3.0 / fan_in)
            return rng.uniform(-a, a, size=shape)
    """, diagnosis="Xavier with fan_in only"),
    S("xavier_uniform", "the normal std as the bound", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            a = gain * np.sqrt(2.0 / (fan_in + fan_out))
            return rng.uniform(-a, a, size=shape)
    """, diagnosis="the normal std gain·√(2 / (fan_in + fan_out)) used as the bound"),
    S("xavier_uniform", "ignores the gain", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            a = np.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-a, a, size=shape)
    """, diagnosis="ignoring the gain"),
    S("xavier_uniform", "U(0, a)", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            return rng.uniform(0.0, gain * np.sqrt(6.0 / (fan_in + fan_out)), size=shape)
    """, diagnosis="not (0, bound)"),
    S("xavier_uniform", "normal draws", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            return rng.normal(0.0, gain * np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
    """, diagnosis="outside the bound"),
    S("xavier_uniform", "fans without the kernel", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            a = gain * np.sqrt(6.0 / (shape[0] + shape[1]))
            return rng.uniform(-a, a, size=shape)
    """, diagnosis="fans without the kernel size"),
    N("xavier_uniform", "zeros", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            return np.zeros(shape)
    """),
    N("xavier_uniform", "a constant 0.01", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            return np.full(shape, 0.01)
    """),
    N("xavier_uniform", "plain rng.random", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            return rng.random(shape)
    """),
    N("xavier_uniform", "plain U(-1, 1)", """
        def xavier_uniform(shape, gain=1.0, rng=None):
            return rng.uniform(-1.0, 1.0, size=shape)
    """),
    # xavier_normal -----------------------------------------------------------------------
    S("xavier_normal", "scaled standard normal", """
        def xavier_normal(shape, gain=1.0, rng=None):
            rng = np.random.default_rng() if rng is None else rng
            fan_in, fan_out = fan_in_fan_out(shape)
            return gain * np.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal(shape)
    """),
    S("xavier_normal", "variance first", """
        def xavier_normal(shape, gain=1.0, rng=None):
            rng = np.random.default_rng() if rng is None else rng
            fan_in, fan_out = fan_in_fan_out(shape)
            variance = gain**2 * 2.0 / (fan_in + fan_out)
            return rng.normal(scale=np.sqrt(variance), size=shape)
    """),
    S("xavier_normal", "fan_in only", """
        def xavier_normal(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            return rng.normal(0.0, gain * np.sqrt(1.0 / fan_in), size=shape)
    """, diagnosis="Xavier with fan_in only"),
    S("xavier_normal", "the variance as std", """
        def xavier_normal(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            return rng.normal(0.0, gain**2 * 2.0 / (fan_in + fan_out), size=shape)
    """, diagnosis="a missing square root (the variance where the standard deviation belongs)"),
    S("xavier_normal", "gain times the variance", """
        def xavier_normal(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            std = gain * 2.0 / (fan_in + fan_out)  # Var(W) = 2 / (fan_in + fan_out)
            return rng.normal(0.0, std, size=shape)
    """, diagnosis="a missing square root (the variance where the standard deviation belongs)"),
    S("xavier_normal", "the uniform bound as std", """
        def xavier_normal(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            return rng.normal(0.0, gain * np.sqrt(6.0 / (fan_in + fan_out)), size=shape)
    """, diagnosis="the uniform bound gain·√(6 / (fan_in + fan_out)) used as the std"),
    S("xavier_normal", "ignores the gain", """
        def xavier_normal(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
    """, diagnosis="ignoring the gain"),
    S("xavier_normal", "uniform draws with the right std", """
        def xavier_normal(shape, gain=1.0, rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            a = gain * np.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-a, a, size=shape)
    """, diagnosis="do not follow the normal distribution"),
    N("xavier_normal", "zeros", """
        def xavier_normal(shape, gain=1.0, rng=None):
            return np.zeros(shape)
    """),
    N("xavier_normal", "a constant 0.01", """
        def xavier_normal(shape, gain=1.0, rng=None):
            return np.full(shape, 0.01)
    """),
    N("xavier_normal", "plain rng.random", """
        def xavier_normal(shape, gain=1.0, rng=None):
            return rng.random(shape)
    """),
    N("xavier_normal", "plain rng.standard_normal", """
        def xavier_normal(shape, gain=1.0, rng=None):
            return rng.standard_normal(shape)
    """),
    # kaiming_uniform ---------------------------------------------------------------------
    S("kaiming_uniform", "bound from the std", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            rng = np.random.default_rng() if rng is None else rng
            fans = dict(zip(("fan_in", "fan_out"), fan_in_fan_out(shape)))
            if mode not in fans:
                raise ValueError(f"unknown mode {mode}")
            std = calculate_gain(nonlinearity, a) / np.sqrt(fans[mode])
            return rng.uniform(-np.sqrt(3.0) * std, np.sqrt(3.0) * std, size=shape)
    """),
    S("kaiming_uniform", "scaled rng.random", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            rng = rng or np.random.default_rng()
            fan_in, fan_out = fan_in_fan_out(shape)
            fan = {"fan_in": fan_in, "fan_out": fan_out}[mode] if mode in (
                "fan_in", "fan_out") else None
            if fan is None:
                raise ValueError(mode)
            bound = calculate_gain(nonlinearity, a) * np.sqrt(3.0 / fan)
            return bound * (2.0 * rng.random(shape) - 1.0)
    """),
    S("kaiming_uniform", "ignores mode", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan_in, _ = fan_in_fan_out(shape)
            bound = calculate_gain(nonlinearity, a) * np.sqrt(3.0 / fan_in)
            return rng.uniform(-bound, bound, size=shape)
    """, diagnosis="is mode='fan_out' used?"),
    S("kaiming_uniform", "gain squared", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan_in, fan_out = fan_in_fan_out(shape)
            fan = fan_in if mode == "fan_in" else fan_out
            bound = calculate_gain(nonlinearity, a) ** 2 * np.sqrt(3.0 / fan)
            return rng.uniform(-bound, bound, size=shape)
    """, diagnosis="the gain squared"),
    S("kaiming_uniform", "always the ReLU gain", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan_in, fan_out = fan_in_fan_out(shape)
            fan = fan_in if mode == "fan_in" else fan_out
            bound = np.sqrt(2.0) * np.sqrt(3.0 / fan)
            return rng.uniform(-bound, bound, size=shape)
    """, diagnosis="the ReLU gain √2 whatever the nonlinearity"),
    S("kaiming_uniform", "std as the bound", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan_in, fan_out = fan_in_fan_out(shape)
            fan = fan_in if mode == "fan_in" else fan_out
            bound = calculate_gain(nonlinearity, a) / np.sqrt(fan)
            return rng.uniform(-bound, bound, size=shape)
    """, diagnosis="forgetting √3"),
    S("kaiming_uniform", "anything but fan_in is fan_out", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            fan_in, fan_out = fan_in_fan_out(shape)
            fan = fan_in if mode == "fan_in" else fan_out
            bound = calculate_gain(nonlinearity, a) * np.sqrt(3.0 / fan)
            return rng.uniform(-bound, bound, size=shape)
    """, diagnosis="instead of raising ValueError"),
    N("kaiming_uniform", "zeros", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            return np.zeros(shape)
    """),
    N("kaiming_uniform", "a constant 0.01", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            return np.full(shape, 0.01)
    """),
    N("kaiming_uniform", "plain rng.random", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            return rng.random(shape)
    """),
    N("kaiming_uniform", "checks the mode, then plain rng.random", """
        def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            return rng.random(shape)
    """),
    # kaiming_normal ----------------------------------------------------------------------
    S("kaiming_normal", "scaled standard normal", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            rng = np.random.default_rng() if rng is None else rng
            fans = dict(zip(("fan_in", "fan_out"), fan_in_fan_out(shape)))
            if mode not in fans:
                raise ValueError(f"unknown mode {mode}")
            return calculate_gain(nonlinearity, a) / np.sqrt(fans[mode]) * \\
                rng.standard_normal(shape)
    """),
    S("kaiming_normal", "variance first", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            rng = np.random.default_rng() if rng is None else rng
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan = fan_in_fan_out(shape)[0 if mode == "fan_in" else 1]
            variance = calculate_gain(nonlinearity, a) ** 2 / fan
            return rng.normal(0.0, np.sqrt(variance), size=shape)
    """),
    S("kaiming_normal", "ignores mode", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan_in, _ = fan_in_fan_out(shape)
            return rng.normal(0.0, calculate_gain(nonlinearity, a) / np.sqrt(fan_in), shape)
    """, diagnosis="is mode='fan_out' used?"),
    S("kaiming_normal", "gain 2 for relu", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan = fan_in_fan_out(shape)[0 if mode == "fan_in" else 1]
            gain = 2.0 if nonlinearity == "relu" else calculate_gain(nonlinearity, a)
            return rng.normal(0.0, gain / np.sqrt(fan), shape)
    """, diagnosis="the gain squared (2 instead of √2 for ReLU)"),
    S("kaiming_normal", "ignores the slope", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan = fan_in_fan_out(shape)[0 if mode == "fan_in" else 1]
            return rng.normal(0.0, calculate_gain(nonlinearity) / np.sqrt(fan), shape)
    """, diagnosis="the ReLU gain √2 whatever the nonlinearity and slope"),
    S("kaiming_normal", "the variance as std", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan = fan_in_fan_out(shape)[0 if mode == "fan_in" else 1]
            return rng.normal(0.0, calculate_gain(nonlinearity, a) ** 2 / fan, shape)
    """, diagnosis="a missing square root (the variance where the standard deviation belongs)"),
    S("kaiming_normal", "2 / fan as the std", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan_in, fan_out = fan_in_fan_out(shape)
            fan = fan_in if mode == "fan_in" else fan_out
            std = 2.0 / fan  # He et al.: Var(W) = 2 / fan_in
            return rng.normal(0.0, std, size=shape)
    """, diagnosis="a missing square root (the variance where the standard deviation belongs)"),
    S("kaiming_normal", "uniform draws with the right std", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            fan = fan_in_fan_out(shape)[0 if mode == "fan_in" else 1]
            bound = np.sqrt(3.0) * calculate_gain(nonlinearity, a) / np.sqrt(fan)
            return rng.uniform(-bound, bound, shape)
    """, diagnosis="do not follow the normal distribution"),
    N("kaiming_normal", "zeros", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            return np.zeros(shape)
    """),
    N("kaiming_normal", "a constant 0.01", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            return np.full(shape, 0.01)
    """),
    N("kaiming_normal", "plain rng.random", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            return rng.random(shape)
    """),
    N("kaiming_normal", "checks the mode, then plain rng.standard_normal", """
        def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
            if mode not in ("fan_in", "fan_out"):
                raise ValueError(mode)
            return rng.standard_normal(shape)
    """),
    # activation_std_per_layer ------------------------------------------------------------
    S("activation_std_per_layer", "einsum and the std by hand", """
        def activation_std_per_layer(X, weights, nonlinearity):
            h, stds = X, []
            for W in weights:
                h = np.einsum("ni,oi->no", h, W)
                if nonlinearity == "relu":
                    h = h * (h > 0)
                elif nonlinearity == "tanh":
                    h = np.tanh(h)
                stds.append(np.sqrt(np.mean((h - h.mean()) ** 2)))
            return np.array(stds)
    """),
    S("activation_std_per_layer", "the transposed weights", """
        def activation_std_per_layer(X, weights, nonlinearity):
            act = {"linear": np.asarray, "relu": lambda z: np.where(z > 0, z, 0.0),
                   "tanh": np.tanh}[nonlinearity]
            h, stds = X.T, np.zeros(len(weights))
            for i, W in enumerate(weights):
                h = act(W @ h)
                stds[i] = h.std()
            return stds
    """),
    S("activation_std_per_layer", "unbiased std", """
        def activation_std_per_layer(X, weights, nonlinearity):
            act = {"linear": lambda h: h, "relu": lambda h: np.maximum(h, 0), "tanh": np.tanh}
            h, stds = X, []
            for W in weights:
                h = act[nonlinearity](h @ W.T)
                stds.append(np.std(h, ddof=1))
            return np.array(stds)
    """, diagnosis="the unbiased std"),
    S("activation_std_per_layer", "no nonlinearity after the last layer", """
        def activation_std_per_layer(X, weights, nonlinearity):
            act = {"linear": lambda h: h, "relu": lambda h: np.maximum(h, 0), "tanh": np.tanh}
            h, stds = X, []
            for i, W in enumerate(weights):
                h = h @ W.T
                if i < len(weights) - 1:
                    h = act[nonlinearity](h)
                stds.append(np.std(h))
            return np.array(stds)
    """, diagnosis="no nonlinearity after the last layer"),
    S("activation_std_per_layer", "mean of per-unit stds", """
        def activation_std_per_layer(X, weights, nonlinearity):
            act = {"linear": lambda h: h, "relu": lambda h: np.maximum(h, 0), "tanh": np.tanh}
            h, stds = X, []
            for W in weights:
                h = act[nonlinearity](h @ W.T)
                stds.append(np.std(h, axis=0).mean())
            return np.array(stds)
    """, diagnosis="the mean of per-unit stds"),
    S("activation_std_per_layer", "W without the transpose", """
        def activation_std_per_layer(X, weights, nonlinearity):
            act = {"linear": lambda h: h, "relu": lambda h: np.maximum(h, 0), "tanh": np.tanh}
            h, stds = X, []
            for W in weights:
                h = act[nonlinearity](h @ W)
                stds.append(np.std(h))
            return np.array(stds)
    """, diagnosis="h @ W.T fits"),
    S("activation_std_per_layer", "includes the input", """
        def activation_std_per_layer(X, weights, nonlinearity):
            act = {"linear": lambda h: h, "relu": lambda h: np.maximum(h, 0), "tanh": np.tanh}
            h, stds = X, [np.std(X)]
            for W in weights:
                h = act[nonlinearity](h @ W.T)
                stds.append(np.std(h))
            return np.array(stds)
    """, diagnosis="the first is the std of the input X"),
    S("activation_std_per_layer", "returns a list", """
        def activation_std_per_layer(X, weights, nonlinearity):
            act = {"linear": lambda h: h, "relu": lambda h: np.maximum(h, 0), "tanh": np.tanh}
            h, stds = X, []
            for W in weights:
                h = act[nonlinearity](h @ W.T)
                stds.append(float(np.std(h)))
            return stds
    """, diagnosis="the values are right, but it is a list, not an array"),
    S("activation_std_per_layer", "a list of the pre-activation stds", """
        def activation_std_per_layer(X, weights, nonlinearity):
            h, stds = X, []
            for W in weights:
                z = h @ W.T
                stds.append(z.std())
                if nonlinearity == "relu":
                    h = np.maximum(z, 0)
                elif nonlinearity == "tanh":
                    h = np.tanh(z)
                else:
                    h = z
            return stds
    """, diagnosis="the std of the pre-activations h W^T, taken before the nonlinearity"),
    S("activation_std_per_layer", "a list of statistics.stdev", """
        def activation_std_per_layer(X, weights, nonlinearity):
            import statistics
            act = {"linear": lambda h: h, "relu": lambda h: np.maximum(h, 0), "tanh": np.tanh}
            h, stds = X, []
            for W in weights:
                h = act[nonlinearity](h @ W.T)
                stds.append(statistics.stdev(h.ravel()))
            return stds
    """, diagnosis="the unbiased std (n - 1); use the population form"),
    N("activation_std_per_layer", "returns the input", """
        def activation_std_per_layer(X, weights, nonlinearity):
            return X
    """),
    N("activation_std_per_layer", "zeros", """
        def activation_std_per_layer(X, weights, nonlinearity):
            return np.zeros(len(weights))
    """),
    N("activation_std_per_layer", "ones", """
        def activation_std_per_layer(X, weights, nonlinearity):
            return np.ones(len(weights))
    """),
    N("activation_std_per_layer", "the input's std for every layer", """
        def activation_std_per_layer(X, weights, nonlinearity):
            return np.full(len(weights), np.std(X))
    """),
)

QUIZ = (
    S("quiz.q1", "upper case", "q1 = 'B'"),
    S("quiz.q1", "Xavier for ReLU", "q1 = 'a'", diagnosis="gain √2 makes up for it"),
    S("quiz.q2", "with parentheses", "q2 = '(a)'"),
    S("quiz.q2", "Kaiming for tanh", "q2 = 'b'", diagnosis="Xavier (Glorot)"),
    S("quiz.q3", "upper case", "q3 = 'C'"),
    S("quiz.q3", "explode", "q3 = 'a'", diagnosis="effectively 0"),
    S("quiz.q4", "integer", "q4 = 4"),
    S("quiz.q4", "the std of the sum", "q4 = 2.0", diagnosis="Variances of independent terms"),
    S("quiz.q5", "expression", "q5 = 3 * 3 * 3"),
    S("quiz.q5", "in_channels only", "q5 = 3", diagnosis="fan_in = 27"),
    S("quiz.q6", "decimal", "q6 = 0.0625"),
    S("quiz.q6", "the variance", "q6 = 2 / 512", diagnosis="0.0625"),
)

# The case seen in the field: xavier_uniform's cell defines its own shorter fan_in_fan_out
# (dense weights only). fan_in_fan_out is graded on the definition at its own graded cell.
DENSE_FANS = """
    def fan_in_fan_out(shape):
        return shape[1], shape[0]  # dense weights only: no receptive field
"""
FULL_FANS = """
    def fan_in_fan_out(shape):
        if len(shape) < 2:
            raise ValueError(f"fans need at least 2 dimensions, got {shape}")
        receptive_field = int(np.prod(shape[2:]))
        return shape[1] * receptive_field, shape[0] * receptive_field
"""
XAVIER_WITH = """
    {fans}

    def xavier_uniform(shape, gain=1.0, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        fan_in, fan_out = fan_in_fan_out(shape)
        bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, size=shape)
"""
CELL_ORDER = (
    CellOrder("fan_in_fan_out", "a worse helper pasted into a later cell", (
        ("xavier_uniform_solution", XAVIER_WITH.format(fans=DENSE_FANS.strip())),
    ), baseline=()),
    CellOrder("fan_in_fan_out", "a better helper pasted into a later cell", (
        ("fan_in_fan_out_solution", DENSE_FANS),
        ("xavier_uniform_solution", XAVIER_WITH.format(fans=FULL_FANS.strip())),
    ), baseline=(("fan_in_fan_out_solution", DENSE_FANS),)),
    CellOrder("fan_in_fan_out", "defined only in a later cell", (
        ("fan_in_fan_out_solution", "# fan_in_fan_out is defined with xavier_uniform, below"),
        ("xavier_uniform_solution", XAVIER_WITH.format(fans=FULL_FANS.strip())),
    ), diagnosis="`fan_in_fan_out` is defined only in cell"),
)

CORPORA = (
    Corpus("05_initialization", "initialization.ipynb", INITIALIZATION, CELL_ORDER),
    Corpus("05_initialization", "quiz.ipynb", QUIZ),
)
