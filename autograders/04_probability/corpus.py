"""The corpus of 04_probability: alternative correct solutions and realistic mistakes,
each with the diagnosis its feedback must contain; tests/test_graders.py grades every one."""

from dlmath.course import Corpus
from dlmath.course import Solution as S
from dlmath.course import does_nothing as N

SOFTMAX_CROSS_ENTROPY = (
    # softmax -----------------------------------------------------------------------------
    S("softmax", "exp of z minus log-sum-exp", """
        def softmax(z, axis=-1):
            m = np.max(z, axis=axis, keepdims=True)
            lse = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
            return np.exp(z - lse)
    """),
    S("softmax", "logaddexp.reduce", """
        def softmax(z, axis=-1):
            return np.exp(z - np.logaddexp.reduce(z, axis=axis, keepdims=True))
    """),
    S("softmax", "loop over rows after moveaxis", """
        def softmax(z, axis=-1):
            moved = np.moveaxis(z, axis, -1)
            out = np.empty_like(moved)
            for index in np.ndindex(*moved.shape[:-1]):
                e = np.exp(moved[index] - moved[index].max())
                out[index] = e / e.sum()
            return np.moveaxis(out, -1, axis)
    """),
    S("softmax", "no max shift", """
        def softmax(z, axis=-1):
            e = np.exp(z)
            return e / np.sum(e, axis=axis, keepdims=True)
    """, diagnosis="subtract the max along the axis"),
    S("softmax", "shifts by the max of the whole array", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z))
            return e / np.sum(e, axis=axis, keepdims=True)
    """, diagnosis="subtract the max along the axis"),
    S("softmax", "always over axis 0", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=0, keepdims=True))
            return e / np.sum(e, axis=0, keepdims=True)
    """, diagnosis="normalizing over axis 0 instead of -1"),
    S("softmax", "ignores the axis argument", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=-1, keepdims=True))
            return e / np.sum(e, axis=-1, keepdims=True)
    """, diagnosis="normalizing over axis 2 instead of 0"),
    S("softmax", "sum without keepdims", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=axis, keepdims=True))
            return e / np.sum(e, axis=axis)
    """, diagnosis="raised ValueError"),
    S("softmax", "right, with a stray log of zero", """
        def softmax(z, axis=-1):
            shifted = z - np.max(z, axis=axis, keepdims=True)
            unused = np.log(np.zeros(1))  # left over from trying something
            e = np.exp(shifted)
            return e / np.sum(e, axis=axis, keepdims=True)
    """, diagnosis="divide by zero encountered in log, at line 3 of cell"),
    S("softmax", "normalised over the whole array", """
        def softmax(z, axis=-1):
            return np.exp(z) / np.sum(np.exp(z))
    """, diagnosis="normalised over the whole array"),
    N("softmax", "returns the logits", """
        def softmax(z, axis=-1):
            return z
    """),
    N("softmax", "zeros", """
        def softmax(z, axis=-1):
            return np.zeros_like(z)
    """),
    N("softmax", "the uniform distribution", """
        def softmax(z, axis=-1):
            return np.full_like(z, 1.0 / z.shape[axis])
    """),
    # log_softmax -------------------------------------------------------------------------
    S("log_softmax", "logaddexp.reduce", """
        def log_softmax(z, axis=-1):
            return z - np.logaddexp.reduce(z, axis=axis, keepdims=True)
    """),
    S("log_softmax", "shifted logits first", """
        def log_softmax(z, axis=-1):
            shifted = z - z.max(axis=axis, keepdims=True)
            return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    """),
    S("log_softmax", "apply_along_axis with a helper", """
        def _log_softmax_1d(v):
            m = v.max()
            return v - m - np.log(np.sum(np.exp(v - m)))

        def log_softmax(z, axis=-1):
            return np.apply_along_axis(_log_softmax_1d, axis, z)
    """),
    S("log_softmax", "log of softmax", """
        def log_softmax(z, axis=-1):
            return np.log(softmax(z, axis=axis))
    """, diagnosis="log(softmax(z)) gives log(0)"),
    S("log_softmax", "no max shift", """
        def log_softmax(z, axis=-1):
            return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    """, diagnosis="use log-sum-exp"),
    S("log_softmax", "forgets to add the max back", """
        def log_softmax(z, axis=-1):
            m = np.max(z, axis=axis, keepdims=True)
            return z - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    """, diagnosis="forgetting to add the max back"),
    S("log_softmax", "always over axis 0", """
        def log_softmax(z, axis=-1):
            m = np.max(z, axis=0, keepdims=True)
            return z - m - np.log(np.sum(np.exp(z - m), axis=0, keepdims=True))
    """, diagnosis="normalizing over axis 0 instead of -1"),
    S("log_softmax", "negative log-probabilities", """
        def log_softmax(z, axis=-1):
            m = np.max(z, axis=axis, keepdims=True)
            return m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)) - z
    """, diagnosis="sign is flipped"),
    N("log_softmax", "returns the logits", """
        def log_softmax(z, axis=-1):
            return z
    """),
    N("log_softmax", "zeros", """
        def log_softmax(z, axis=-1):
            return np.zeros_like(z)
    """),
    N("log_softmax", "the log of the uniform distribution", """
        def log_softmax(z, axis=-1):
            return np.full_like(z, -np.log(z.shape[axis]))
    """),
    # cross_entropy -----------------------------------------------------------------------
    S("cross_entropy", "one-hot times log-softmax", """
        def cross_entropy(logits, targets):
            onehot = np.eye(logits.shape[1])[targets]
            return -np.sum(onehot * log_softmax(logits)) / logits.shape[0]
    """),
    S("cross_entropy", "loop with log-sum-exp", """
        def cross_entropy(logits, targets):
            total = 0.0
            for z, y in zip(logits, targets):
                m = z.max()
                total += m + np.log(np.sum(np.exp(z - m))) - z[y]
            return total / len(targets)
    """),
    S("cross_entropy", "sums over the batch", """
        def cross_entropy(logits, targets):
            logp = log_softmax(logits)
            return -np.sum(logp[np.arange(len(targets)), targets])
    """, diagnosis="summing over the batch instead of averaging"),
    S("cross_entropy", "log of an unshifted softmax", """
        def cross_entropy(logits, targets):
            e = np.exp(logits)
            p = e / e.sum(axis=1, keepdims=True)
            return -np.mean(np.log(p[np.arange(len(targets)), targets]))
    """, diagnosis="compute log-softmax with log-sum-exp"),
    S("cross_entropy", "log of a stable softmax", """
        def cross_entropy(logits, targets):
            p = softmax(logits)
            return -np.mean(np.log(p[np.arange(len(targets)), targets]))
    """, diagnosis="instead of taking the log of softmax"),
    S("cross_entropy", "forgets the minus sign", """
        def cross_entropy(logits, targets):
            return np.mean(log_softmax(logits)[np.arange(len(targets)), targets])
    """, diagnosis="forgetting the minus sign"),
    S("cross_entropy", "indexes a block with [:, targets]", """
        def cross_entropy(logits, targets):
            return -np.mean(log_softmax(logits)[:, targets])
    """, diagnosis="picking logp[:, targets]"),
    S("cross_entropy", "no log: minus the mean target probability", """
        def cross_entropy(logits, targets):
            p = softmax(logits)
            return -np.mean(p[np.arange(len(targets)), targets])
    """, diagnosis="leaving out the log"),
    S("cross_entropy", "no log, one-hot sum over the batch", """
        def cross_entropy(logits, targets):
            onehot = np.eye(logits.shape[1])[targets]
            return -np.sum(onehot * softmax(logits))
    """, diagnosis="a cross-entropy is never negative"),
    N("cross_entropy", "returns the logits", """
        def cross_entropy(logits, targets):
            return logits
    """),
    N("cross_entropy", "zero loss", """
        def cross_entropy(logits, targets):
            return 0.0
    """),
    N("cross_entropy", "the loss of a uniform guess", """
        def cross_entropy(logits, targets):
            return float(np.log(logits.shape[1]))
    """),
    # cross_entropy_from_probs ------------------------------------------------------------
    S("cross_entropy_from_probs", "minimum and maximum, divide by N", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            p = np.minimum(np.maximum(y_prob, eps), 1.0)
            return -np.sum(y_true * np.log(p)) / y_true.shape[0]
    """),
    S("cross_entropy_from_probs", "python loops", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            losses = [-sum(y * np.log(min(max(p, eps), 1.0)) for y, p in zip(ys, ps))
                      for ys, ps in zip(y_true, y_prob)]
            return float(np.mean(losses))
    """),
    S("cross_entropy_from_probs", "no clipping", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return -np.mean(np.sum(y_true * np.log(y_prob), axis=-1))
    """, diagnosis="clip the probabilities to [eps, 1]"),
    S("cross_entropy_from_probs", "masks 0 log 0 with np.where", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            terms = np.where(y_true > 0, y_true * np.log(y_prob), 0.0)
            return -np.mean(np.sum(terms, axis=-1))
    """, diagnosis="raised a warning"),
    S("cross_entropy_from_probs", "sums over the batch", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return -np.sum(y_true * np.log(np.clip(y_prob, eps, 1.0)))
    """, diagnosis="summing over the batch instead of averaging"),
    S("cross_entropy_from_probs", "mean over every entry", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return -np.mean(y_true * np.log(np.clip(y_prob, eps, 1.0)))
    """, diagnosis="averaging over every entry"),
    S("cross_entropy_from_probs", "ignores eps", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return -np.mean(np.sum(y_true * np.log(np.clip(y_prob, 1e-12, 1.0)), axis=-1))
    """, diagnosis="ignoring eps"),
    S("cross_entropy_from_probs", "binary cross-entropy", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            p = np.clip(y_prob, eps, 1 - eps)
            terms = y_true * np.log(p) + (1 - y_true) * np.log(1 - p)
            return -np.mean(np.sum(terms, axis=-1))
    """, diagnosis="binary cross-entropy"),
    N("cross_entropy_from_probs", "returns the probabilities", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return y_prob
    """),
    N("cross_entropy_from_probs", "zero loss", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return 0.0
    """),
    N("cross_entropy_from_probs", "the loss of a uniform guess", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return float(np.log(y_true.shape[1]))
    """),
    N("cross_entropy_from_probs", "the loss of a clipped zero, -log eps", """
        def cross_entropy_from_probs(y_true, y_prob, eps=1e-12):
            return -np.log(eps)
    """),
    # cross_entropy_grad ------------------------------------------------------------------
    S("cross_entropy_grad", "exp of log-softmax minus one-hot", """
        def cross_entropy_grad(logits, targets):
            n, c = logits.shape
            return (np.exp(log_softmax(logits)) - np.eye(c)[targets]) / n
    """),
    S("cross_entropy_grad", "row loop", """
        def cross_entropy_grad(logits, targets):
            grad = np.zeros(logits.shape)
            for i, (z, y) in enumerate(zip(logits, targets)):
                e = np.exp(z - z.max())
                grad[i] = e / e.sum()
                grad[i, y] -= 1.0
            return grad / len(targets)
    """),
    S("cross_entropy_grad", "no 1/N", """
        def cross_entropy_grad(logits, targets):
            return softmax(logits) - np.eye(logits.shape[1])[targets]
    """, diagnosis="no 1/N"),
    S("cross_entropy_grad", "one-hot minus softmax", """
        def cross_entropy_grad(logits, targets):
            n, c = logits.shape
            return (np.eye(c)[targets] - softmax(logits)) / n
    """, diagnosis="the sign flipped"),
    S("cross_entropy_grad", "forgets the one-hot", """
        def cross_entropy_grad(logits, targets):
            return softmax(logits) / logits.shape[0]
    """, diagnosis="forgetting to subtract the one-hot targets"),
    S("cross_entropy_grad", "unshifted softmax", """
        def cross_entropy_grad(logits, targets):
            n, c = logits.shape
            e = np.exp(logits)
            return (e / e.sum(axis=1, keepdims=True) - np.eye(c)[targets]) / n
    """, diagnosis="compute softmax stably"),
    S("cross_entropy_grad", "softmax over the batch axis", """
        def cross_entropy_grad(logits, targets):
            n, c = logits.shape
            return (softmax(logits, axis=0) - np.eye(c)[targets]) / n
    """, diagnosis="softmax over the batch axis"),
    N("cross_entropy_grad", "returns the logits", """
        def cross_entropy_grad(logits, targets):
            return logits
    """),
    N("cross_entropy_grad", "zeros", """
        def cross_entropy_grad(logits, targets):
            return np.zeros_like(logits)
    """),
    N("cross_entropy_grad", "a constant", """
        def cross_entropy_grad(logits, targets):
            return np.full(logits.shape, 1.0 / logits.size)
    """),
)

DISTRIBUTIONS = (
    # gaussian_log_pdf --------------------------------------------------------------------
    S("gaussian_log_pdf", "log of 2π sigma²", """
        def gaussian_log_pdf(x, mu, sigma):
            return -(x - mu) ** 2 / (2 * sigma**2) - 0.5 * np.log(2 * np.pi * sigma**2)
    """),
    S("gaussian_log_pdf", "log of the normalizer", """
        def gaussian_log_pdf(x, mu, sigma):
            return -np.log(sigma * np.sqrt(2 * np.pi)) - 0.5 * ((x - mu) / sigma) ** 2
    """),
    S("gaussian_log_pdf", "log of the density", """
        def gaussian_log_pdf(x, mu, sigma):
            pdf = np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
            return np.log(pdf)
    """, diagnosis="write the log density directly"),
    S("gaussian_log_pdf", "forgets -log sigma", """
        def gaussian_log_pdf(x, mu, sigma):
            return -0.5 * ((x - mu) / sigma) ** 2 - 0.5 * np.log(2 * np.pi)
    """, diagnosis="forgetting the -log sigma term"),
    S("gaussian_log_pdf", "sigma as the variance", """
        def gaussian_log_pdf(x, mu, sigma):
            return -(x - mu) ** 2 / (2 * sigma) - 0.5 * np.log(2 * np.pi * sigma)
    """, diagnosis="using sigma as the variance"),
    S("gaussian_log_pdf", "log 2π instead of log √(2π)", """
        def gaussian_log_pdf(x, mu, sigma):
            return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - np.log(2 * np.pi)
    """, diagnosis="log(2π) instead of log √(2π)"),
    S("gaussian_log_pdf", "forgets the 1/2", """
        def gaussian_log_pdf(x, mu, sigma):
            return -((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    """, diagnosis="forgetting the 1/2"),
    S("gaussian_log_pdf", "negative log-likelihood", """
        def gaussian_log_pdf(x, mu, sigma):
            return 0.5 * ((x - mu) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi)
    """, diagnosis="the negative log density"),
    N("gaussian_log_pdf", "returns x", """
        def gaussian_log_pdf(x, mu, sigma):
            return x
    """),
    N("gaussian_log_pdf", "zeros", """
        def gaussian_log_pdf(x, mu, sigma):
            return np.zeros_like(x)
    """),
    N("gaussian_log_pdf", "the log density at the peak of N(0, 1) everywhere", """
        def gaussian_log_pdf(x, mu, sigma):
            return np.full_like(x, -0.5 * np.log(2 * np.pi))
    """),
    # gaussian_pdf ------------------------------------------------------------------------
    S("gaussian_pdf", "the formula", """
        def gaussian_pdf(x, mu, sigma):
            return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    """),
    S("gaussian_pdf", "with the variance", """
        def gaussian_pdf(x, mu, sigma):
            var = sigma**2
            return np.exp(-(x - mu) ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)
    """),
    S("gaussian_pdf", "forgets 1/sigma", """
        def gaussian_pdf(x, mu, sigma):
            return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / np.sqrt(2 * np.pi)
    """, diagnosis="forgetting the 1/sigma factor"),
    S("gaussian_pdf", "divides by 2π sigma", """
        def gaussian_pdf(x, mu, sigma):
            return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (2 * np.pi * sigma)
    """, diagnosis="dividing by 2π sigma"),
    S("gaussian_pdf", "sigma as the variance", """
        def gaussian_pdf(x, mu, sigma):
            return np.exp(-(x - mu) ** 2 / (2 * sigma)) / np.sqrt(2 * np.pi * sigma)
    """, diagnosis="using sigma as the variance"),
    S("gaussian_pdf", "forgets to divide by sigma²", """
        def gaussian_pdf(x, mu, sigma):
            return np.exp(-0.5 * (x - mu) ** 2) / (sigma * np.sqrt(2 * np.pi))
    """, diagnosis="forgetting to divide (x - mu)² by sigma²"),
    S("gaussian_pdf", "the exp part alone", """
        def gaussian_pdf(x, mu, sigma):
            return np.exp(-((x - mu) ** 2) / (2 * sigma**2))
    """, diagnosis="without the 1/(σ√(2π)) normalising factor"),
    S("gaussian_pdf", "divides by sigma only", """
        def gaussian_pdf(x, mu, sigma):
            return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / sigma
    """, diagnosis="a factor 1/√(2π) is missing"),
    N("gaussian_pdf", "returns x", """
        def gaussian_pdf(x, mu, sigma):
            return x
    """),
    N("gaussian_pdf", "zeros", """
        def gaussian_pdf(x, mu, sigma):
            return np.zeros_like(x)
    """),
    N("gaussian_pdf", "the peak of N(0, 1) everywhere", """
        def gaussian_pdf(x, mu, sigma):
            return np.full_like(x, 1.0 / np.sqrt(2 * np.pi))
    """),
    # sample_normal -----------------------------------------------------------------------
    S("sample_normal", "polar (Marsaglia) method", """
        def sample_normal(mu, sigma, size, rng):
            shape = (size,) if isinstance(size, int) else tuple(size)
            n = int(np.prod(shape))
            z = np.empty(0)
            while z.size < n:
                v = 2.0 * rng.random((n // 2 + 1, 2)) - 1.0
                s = np.sum(v * v, axis=1)
                keep = (s > 0) & (s < 1)
                v, s = v[keep], s[keep]
                z = np.concatenate([z, (v * np.sqrt(-2.0 * np.log(s) / s)[:, None]).ravel()])
            return mu + sigma * z[:n].reshape(shape)
    """),
    S("sample_normal", "cosine branch only", """
        def sample_normal(mu, sigma, size, rng):
            u1, u2 = 1.0 - rng.random(size), rng.random(size)
            return mu + sigma * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    """),
    S("sample_normal", "rng.uniform on (tiny, 1)", """
        def sample_normal(mu, sigma, size, rng):
            u1 = rng.uniform(np.finfo(float).tiny, 1.0, size=size)
            u2 = rng.uniform(0.0, 2.0 * np.pi, size=size)
            return sigma * np.sqrt(-2.0 * np.log(u1)) * np.sin(u2) + mu
    """),
    S("sample_normal", "uses rng.normal", """
        def sample_normal(mu, sigma, size, rng):
            return rng.normal(mu, sigma, size)
    """, diagnosis="rng.normal"),
    S("sample_normal", "uses rng.standard_normal via getattr", """
        def sample_normal(mu, sigma, size, rng):
            return mu + sigma * getattr(rng, "standard_" + "normal")(size)
    """, diagnosis="rng.standard_normal (seen while it ran)"),
    S("sample_normal", "global np.random", """
        def sample_normal(mu, sigma, size, rng):
            u1, u2 = 1.0 - np.random.random(size), np.random.random(size)
            return mu + sigma * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    """, diagnosis="same seed gave different draws"),
    S("sample_normal", "forgets the 2", """
        def sample_normal(mu, sigma, size, rng):
            u1, u2 = 1.0 - rng.random(size), rng.random(size)
            return mu + sigma * np.sqrt(-np.log(u1)) * np.cos(2.0 * np.pi * u2)
    """, diagnosis="forgetting the 2 in √(-2 ln u)"),
    S("sample_normal", "ignores mu", """
        def sample_normal(mu, sigma, size, rng):
            u1, u2 = 1.0 - rng.random(size), rng.random(size)
            return sigma * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    """, diagnosis="is the mean added?"),
    S("sample_normal", "scales by the variance", """
        def sample_normal(mu, sigma, size, rng):
            u1, u2 = 1.0 - rng.random(size), rng.random(size)
            return mu + sigma**2 * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    """, diagnosis="scaling by sigma² instead of sigma"),
    S("sample_normal", "no square root on the radius", """
        def sample_normal(mu, sigma, size, rng):
            u1, u2 = 1.0 - rng.random(size), rng.random(size)
            return mu + sigma * (-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    """, diagnosis="forgetting the square root in √(-2 ln u)"),
    S("sample_normal", "sigma taken for the variance", """
        def sample_normal(mu, sigma, size, rng):
            u1, u2 = 1.0 - rng.random(size), rng.random(size)
            std = np.sqrt(sigma)
            return mu + std * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    """, diagnosis="this is what an extra square root gives"),
    S("sample_normal", "one uniform for radius and angle", """
        def sample_normal(mu, sigma, size, rng):
            u = 1.0 - rng.random(size)
            return mu + sigma * np.sqrt(-2.0 * np.log(u)) * np.cos(2.0 * np.pi * u)
    """, diagnosis="have standard deviation"),
    S("sample_normal", "uniform draws with the right std", """
        def sample_normal(mu, sigma, size, rng):
            return mu + sigma * np.sqrt(3.0) * (2.0 * rng.random(size) - 1.0)
    """, diagnosis="do not follow the normal distribution"),
    S("sample_normal", "drops the odd draw", """
        def sample_normal(mu, sigma, size, rng):
            shape = (size,) if isinstance(size, int) else tuple(size)
            m = int(np.prod(shape)) // 2
            u1, u2 = 1.0 - rng.random(m), rng.random(m)
            r, theta = np.sqrt(-2.0 * np.log(u1)), 2.0 * np.pi * u2
            z = np.concatenate([r * np.cos(theta), r * np.sin(theta)])
            return mu + sigma * z.reshape(shape)
    """, diagnosis="raised ValueError"),
    N("sample_normal", "mu everywhere", """
        def sample_normal(mu, sigma, size, rng):
            return np.full(size, mu)
    """),
    N("sample_normal", "zeros", """
        def sample_normal(mu, sigma, size, rng):
            return np.zeros(size)
    """),
    N("sample_normal", "plain uniform draws", """
        def sample_normal(mu, sigma, size, rng):
            return rng.random(size)
    """),
    # mean_and_variance -------------------------------------------------------------------
    S("mean_and_variance", "np.mean and np.var with ddof", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return np.mean(x, axis=axis), np.var(x, axis=axis, ddof=1 if unbiased else 0)
    """),
    S("mean_and_variance", "one pass over sums", """
        def mean_and_variance(x, axis=None, unbiased=False):
            n = x.size if axis is None else x.shape[axis]
            s1, s2 = np.sum(x, axis=axis), np.sum(x * x, axis=axis)
            return s1 / n, (s2 - s1 * s1 / n) / (n - int(unbiased))
    """),
    S("mean_and_variance", "population variance rescaled", """
        def mean_and_variance(x, axis=None, unbiased=False):
            n = x.size if axis is None else x.shape[axis]
            var = np.mean((x - np.mean(x, axis=axis, keepdims=True)) ** 2, axis=axis)
            return np.mean(x, axis=axis), var * n / (n - 1) if unbiased else var
    """),
    S("mean_and_variance", "always n - 1", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return np.mean(x, axis=axis), np.var(x, axis=axis, ddof=1)
    """, diagnosis="dividing by n - 1 when unbiased=False"),
    S("mean_and_variance", "always n", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return np.mean(x, axis=axis), np.var(x, axis=axis)
    """, diagnosis="dividing by n when unbiased=True"),
    S("mean_and_variance", "correction flipped", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return np.mean(x, axis=axis), np.var(x, axis=axis, ddof=0 if unbiased else 1)
    """, diagnosis="dividing by n"),
    S("mean_and_variance", "standard deviation", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return np.mean(x, axis=axis), np.std(x, axis=axis, ddof=int(unbiased))
    """, diagnosis="the standard deviation instead of the variance"),
    S("mean_and_variance", "torch's order", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return np.var(x, axis=axis, ddof=int(unbiased)), np.mean(x, axis=axis)
    """, diagnosis="torch's order (var, mean)"),
    S("mean_and_variance", "ignores axis", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return np.mean(x), np.var(x, ddof=int(unbiased))
    """, diagnosis="reduced by mistake"),
    N("mean_and_variance", "returns the input twice", """
        def mean_and_variance(x, axis=None, unbiased=False):
            return x, x
    """),
    N("mean_and_variance", "zeros", """
        def mean_and_variance(x, axis=None, unbiased=False):
            shape = () if axis is None else np.delete(x.shape, axis)
            return np.zeros(shape), np.zeros(shape)
    """),
    N("mean_and_variance", "ones", """
        def mean_and_variance(x, axis=None, unbiased=False):
            shape = () if axis is None else np.delete(x.shape, axis)
            return np.ones(shape), np.ones(shape)
    """),
    N("mean_and_variance", "the first entry as the mean, variance 0", """
        def mean_and_variance(x, axis=None, unbiased=False):
            first = x.flat[0] if axis is None else np.take(x, 0, axis=axis)
            return first, np.zeros_like(first)
    """),
    # standardize -------------------------------------------------------------------------
    S("standardize", "std squared plus eps", """
        def standardize(X, eps=1e-5):
            return (X - X.mean(axis=0)) / np.sqrt(X.std(axis=0) ** 2 + eps)
    """),
    S("standardize", "column loop", """
        def standardize(X, eps=1e-5):
            out = np.empty(X.shape)
            for j in range(X.shape[1]):
                column = X[:, j]
                out[:, j] = (column - column.mean()) / np.sqrt(column.var() + eps)
            return out
    """),
    S("standardize", "over each example", """
        def standardize(X, eps=1e-5):
            mean, var = X.mean(axis=1, keepdims=True), X.var(axis=1, keepdims=True)
            return (X - mean) / np.sqrt(var + eps)
    """, diagnosis="standardizing each example (axis=1)"),
    S("standardize", "unbiased variance", """
        def standardize(X, eps=1e-5):
            return (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0, ddof=1) + eps)
    """, diagnosis="the unbiased variance"),
    S("standardize", "eps outside the root", """
        def standardize(X, eps=1e-5):
            return (X - X.mean(axis=0)) / (X.std(axis=0) + eps)
    """, diagnosis="adding eps to the standard deviation"),
    S("standardize", "no eps", """
        def standardize(X, eps=1e-5):
            return (X - X.mean(axis=0)) / X.std(axis=0)
    """, diagnosis="dividing by the standard deviation without eps"),
    S("standardize", "statistics of the whole array", """
        def standardize(X, eps=1e-5):
            return (X - X.mean()) / np.sqrt(X.var() + eps)
    """, diagnosis="one mean and variance over the whole array"),
    N("standardize", "returns X", """
        def standardize(X, eps=1e-5):
            return X
    """),
    N("standardize", "zeros", """
        def standardize(X, eps=1e-5):
            return np.zeros_like(X)
    """),
    N("standardize", "ones", """
        def standardize(X, eps=1e-5):
            return np.ones_like(X)
    """),
    # bigram_conditional_probs ------------------------------------------------------------
    S("bigram_conditional_probs", "np.where with a safe denominator", """
        def bigram_conditional_probs(counts):
            counts = counts.astype(float)
            totals = counts.sum(axis=1, keepdims=True)
            safe = np.where(totals > 0, totals, 1.0)
            return np.where(totals > 0, counts / safe, 1.0 / counts.shape[1])
    """),
    S("bigram_conditional_probs", "row loop", """
        def bigram_conditional_probs(counts):
            P = np.zeros(counts.shape)
            for i, row in enumerate(counts):
                total = row.sum()
                P[i] = row / total if total > 0 else 1.0 / len(row)
            return P
    """),
    S("bigram_conditional_probs", "normalizes columns", """
        def bigram_conditional_probs(counts):
            totals = counts.sum(axis=0, keepdims=True)
            safe = np.where(totals > 0, totals, 1)
            return np.where(totals > 0, counts / safe, 1.0 / counts.shape[0])
    """, diagnosis="normalizing columns"),
    S("bigram_conditional_probs", "0/0 for empty rows", """
        def bigram_conditional_probs(counts):
            return counts / counts.sum(axis=1, keepdims=True)
    """, diagnosis="NaN or inf"),
    S("bigram_conditional_probs", "empty rows stay zero", """
        def bigram_conditional_probs(counts):
            totals = counts.sum(axis=1, keepdims=True)
            return counts / np.maximum(totals, 1)
    """, diagnosis="leaving an all-zero row at zero"),
    S("bigram_conditional_probs", "joint probabilities", """
        def bigram_conditional_probs(counts):
            return counts / counts.sum()
    """, diagnosis="dividing by the total count"),
    S("bigram_conditional_probs", "add-one smoothing", """
        def bigram_conditional_probs(counts):
            smoothed = counts + 1.0
            return smoothed / smoothed.sum(axis=1, keepdims=True)
    """, diagnosis="add-one smoothing"),
    N("bigram_conditional_probs", "returns the counts", """
        def bigram_conditional_probs(counts):
            return counts
    """),
    N("bigram_conditional_probs", "zeros", """
        def bigram_conditional_probs(counts):
            return np.zeros(counts.shape)
    """),
    N("bigram_conditional_probs", "the uniform distribution in every row", """
        def bigram_conditional_probs(counts):
            return np.full(counts.shape, 1.0 / counts.shape[1])
    """),
    # temperature_softmax -----------------------------------------------------------------
    S("temperature_softmax", "log-sum-exp", """
        def temperature_softmax(logits, temperature):
            z = logits / temperature
            return np.exp(z - np.logaddexp.reduce(z, axis=-1, keepdims=True))
    """),
    S("temperature_softmax", "shift before dividing", """
        def temperature_softmax(logits, temperature):
            e = np.exp((logits - logits.max(axis=-1, keepdims=True)) / temperature)
            return e / e.sum(axis=-1, keepdims=True)
    """),
    S("temperature_softmax", "multiplies by T", """
        def temperature_softmax(logits, temperature):
            z = logits * temperature
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
    """, diagnosis="multiplying the logits by T"),
    S("temperature_softmax", "no max shift", """
        def temperature_softmax(logits, temperature):
            e = np.exp(logits / temperature)
            return e / e.sum(axis=-1, keepdims=True)
    """, diagnosis="subtract the max before exp"),
    S("temperature_softmax", "powers of probabilities, not renormalized", """
        def temperature_softmax(logits, temperature):
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return (e / e.sum(axis=-1, keepdims=True)) ** (1.0 / temperature)
    """, diagnosis="without renormalizing"),
    S("temperature_softmax", "over axis 0", """
        def temperature_softmax(logits, temperature):
            z = logits / temperature
            e = np.exp(z - z.max(axis=0, keepdims=True))
            return e / e.sum(axis=0, keepdims=True)
    """, diagnosis="normalizing over axis 0"),
    S("temperature_softmax", "divides after the exp", """
        def temperature_softmax(logits, temperature):
            e = np.exp(logits - logits.max(axis=-1, keepdims=True)) / temperature
            return e / e.sum(axis=-1, keepdims=True)
    """, diagnosis="ignoring the temperature"),
    N("temperature_softmax", "returns the logits", """
        def temperature_softmax(logits, temperature):
            return logits
    """),
    N("temperature_softmax", "zeros", """
        def temperature_softmax(logits, temperature):
            return np.zeros_like(logits)
    """),
    N("temperature_softmax", "the uniform distribution", """
        def temperature_softmax(logits, temperature):
            return np.full_like(logits, 1.0 / logits.shape[-1])
    """),
)

ATTENTION = (
    S("scaled_dot_product_attention", "einsum", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = np.einsum("...ld,...sd->...ls", Q, K) / np.sqrt(Q.shape[-1])
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            w = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return np.einsum("...ls,...sv->...lv", w / w.sum(axis=-1, keepdims=True), V)
    """),
    S("scaled_dot_product_attention", "large negative fill and a softmax helper", """
        def _softmax(s):
            e = np.exp(s - s.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)

        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(K.shape[-1])
            if mask is not None:
                scores = np.where(mask, scores, -1e9)
            return _softmax(scores) @ V
    """),
    S("scaled_dot_product_attention", "loop over the flattened batch", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            L, S = Q.shape[-2], K.shape[-2]
            batch = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2], V.shape[:-2])
            m = np.ones((L, S), dtype=bool) if mask is None else mask
            m = np.broadcast_to(m, batch + (L, S)).reshape(-1, L, S)
            q, k, v = (np.broadcast_to(a, batch + a.shape[-2:]).reshape(-1, *a.shape[-2:])
                       for a in (Q, K, V))
            out = []
            for qi, ki, vi, mi in zip(q, k, v, m):
                s = np.where(mi, qi @ ki.T / np.sqrt(qi.shape[-1]), -np.inf)
                w = np.exp(s - s.max(axis=1, keepdims=True))
                out.append((w / w.sum(axis=1, keepdims=True)) @ vi)
            return np.array(out).reshape(batch + (L, V.shape[-1]))
    """),
    S("scaled_dot_product_attention", "no 1/√d scale", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2)
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            w = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return (w / w.sum(axis=-1, keepdims=True)) @ V
    """, diagnosis="forgetting the 1/√d scale"),
    S("scaled_dot_product_attention", "mask inverted", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
            if mask is not None:
                scores = np.where(mask, -np.inf, scores)
            w = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return (w / w.sum(axis=-1, keepdims=True)) @ V
    """, diagnosis="the mask inverted"),
    S("scaled_dot_product_attention", "divides by d", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / Q.shape[-1]
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            w = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return (w / w.sum(axis=-1, keepdims=True)) @ V
    """, diagnosis="scaling by 1/d instead of 1/√d"),
    S("scaled_dot_product_attention", "scales by V's size", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(V.shape[-1])
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            w = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return (w / w.sum(axis=-1, keepdims=True)) @ V
    """, diagnosis="scaling by √d_v"),
    S("scaled_dot_product_attention", "softmax over the queries", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            w = np.exp(scores - scores.max(axis=-2, keepdims=True))
            return (w / w.sum(axis=-2, keepdims=True)) @ V
    """, diagnosis="softmax over the queries instead of the keys"),
    S("scaled_dot_product_attention", "masked scores set to 0", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
            if mask is not None:
                scores = scores * mask
            w = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return (w / w.sum(axis=-1, keepdims=True)) @ V
    """, diagnosis="setting masked scores to 0 instead of -inf"),
    S("scaled_dot_product_attention", "no max shift", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            w = np.exp(scores)
            return (w / w.sum(axis=-1, keepdims=True)) @ V
    """, diagnosis="subtract the row max before exp"),
    S("scaled_dot_product_attention", "arithmetic on -inf", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
            if mask is not None:
                scores = scores + (1 - mask) * -np.inf
            w = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return (w / w.sum(axis=-1, keepdims=True)) @ V
    """, diagnosis="0 * -inf = NaN"),
    N("scaled_dot_product_attention", "returns Q", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            return Q
    """),
    N("scaled_dot_product_attention", "zeros", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            return np.zeros(Q.shape[:-1] + V.shape[-1:])
    """),
    N("scaled_dot_product_attention", "returns V", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            return V
    """),
    N("scaled_dot_product_attention", "uniform weights: the mean of V for every query", """
        def scaled_dot_product_attention(Q, K, V, mask=None):
            mean = V.mean(axis=-2, keepdims=True)
            return np.broadcast_to(mean, Q.shape[:-1] + V.shape[-1:]).copy()
    """),
)

QUIZ = (
    S("quiz.q1", "a fraction", "q1 = 1 / 4"),
    S("quiz.q1", "numpy expression", "q1 = np.exp(3) / (4 * np.exp(3))"),
    S("quiz.q1", "the logit itself", "q1 = 3", diagnosis="whatever c is"),
    S("quiz.q2", "rounded by hand", "q2 = 2.3026"),
    S("quiz.q2", "minus log of a tenth", "q2 = -np.log(0.1)"),
    S("quiz.q2", "log base 10", "q2 = 1.0", diagnosis="log 10"),
    S("quiz.q3", "upper case", "q3 = 'B'"),
    S("quiz.q3", "multiplied by e^c", "q3 = 'd'", diagnosis="the constant cancels"),
    S("quiz.q4", "with parentheses", "q4 = '(c)'"),
    S("quiz.q4", "sign flipped", "q4 = 'a'", diagnosis="softmax(z) - onehot(y)"),
    S("quiz.q5", "decimal", "q5 = 1.667"),
    S("quiz.q5", "population variance", "q5 = 1.25", diagnosis="Bessel's correction"),
    S("quiz.q6", "lower case", "q6 = 'a'"),
    S("quiz.q6", "normalization of weights", "q6 = 'b'", diagnosis="variance is d"),
)

CORPORA = (
    Corpus("04_probability", "softmax_cross_entropy.ipynb", SOFTMAX_CROSS_ENTROPY),
    Corpus("04_probability", "distributions.ipynb", DISTRIBUTIONS),
    Corpus("04_probability", "attention.ipynb", ATTENTION),
    Corpus("04_probability", "quiz.ipynb", QUIZ),
)
