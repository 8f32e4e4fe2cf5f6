"""The corpus of 02_calculus: alternative correct solutions and realistic mistakes,
each with the diagnosis its feedback must contain; tests/test_graders.py grades every one."""

from dlmath.course import Corpus
from dlmath.course import Solution as S
from dlmath.course import does_nothing as N

DERIVATIVES = (
    # numerical_derivative ----------------------------------------------------------------
    S("numerical_derivative", "explicit loop over the entries", """
        def numerical_derivative(f, x, h=1e-5):
            if np.ndim(x) == 0:
                return (f(x + h) - f(x - h)) / (2 * h)
            result = np.empty(np.shape(x))
            for i in np.ndindex(result.shape):
                result[i] = (f(x[i] + h) - f(x[i] - h)) / (2 * h)
            return result
    """),
    S("numerical_derivative", "mean of the forward and backward differences", """
        def numerical_derivative(f, x, h=1e-5):
            forward = (f(x + h) - f(x)) / h
            backward = (f(x) - f(x - h)) / h
            return (forward + backward) / 2
    """),
    S("numerical_derivative", "half of the difference over h", """
        def numerical_derivative(f, x, h=1e-5):
            return 0.5 * (f(x + h) - f(x - h)) / h
    """),
    S("numerical_derivative", "forward difference", """
        def numerical_derivative(f, x, h=1e-5):
            return (f(x + h) - f(x)) / h
    """, diagnosis="a forward difference"),
    S("numerical_derivative", "divides by h", """
        def numerical_derivative(f, x, h=1e-5):
            return (f(x + h) - f(x - h)) / h
    """, diagnosis="dividing by h instead of 2h"),
    S("numerical_derivative", "default h too large", """
        def numerical_derivative(f, x, h=1e-2):
            return (f(x + h) - f(x - h)) / (2 * h)
    """, diagnosis="too large: the truncation error"),
    S("numerical_derivative", "default h too small", """
        def numerical_derivative(f, x, h=1e-12):
            return (f(x + h) - f(x - h)) / (2 * h)
    """, diagnosis="too small: the rounding error"),
    S("numerical_derivative", "ignores the h argument", """
        def numerical_derivative(f, x, h=1e-5):
            step = 1e-6
            return (f(x + step) - f(x - step)) / (2 * step)
    """, diagnosis="is the h argument ignored"),
    S("numerical_derivative", "loop that needs an array", """
        def numerical_derivative(f, x, h=1e-5):
            return np.array([(f(v + h) - f(v - h)) / (2 * h) for v in x])
    """, diagnosis="raised TypeError"),
    N("numerical_derivative", "returns x", """
        def numerical_derivative(f, x, h=1e-5):
            return x
    """),
    N("numerical_derivative", "zeros like x", """
        def numerical_derivative(f, x, h=1e-5):
            return np.zeros_like(x, dtype=float)
    """),
    N("numerical_derivative", "ones like x", """
        def numerical_derivative(f, x, h=1e-5):
            return np.ones_like(x, dtype=float)
    """),
    # numerical_gradient ------------------------------------------------------------------
    S("numerical_gradient", "flat copy, each entry restored", """
        def numerical_gradient(f, x, h=1e-5):
            flat = x.astype(float).ravel()
            grad = np.zeros_like(flat)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + h
                up = f(flat.reshape(x.shape))
                flat[i] = old - h
                down = f(flat.reshape(x.shape))
                flat[i] = old
                grad[i] = (up - down) / (2 * h)
            return grad.reshape(x.shape)
    """),
    S("numerical_gradient", "in place, restoring the saved value exactly", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                up = f(x)
                x[i] = old - h
                down = f(x)
                x[i] = old
                grad[i] = (up - down) / (2 * h)
            return grad
    """),
    S("numerical_gradient", "forward difference", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                grad[i] = (f(x + step) - f(x)) / h
            return grad
    """, diagnosis="a forward difference"),
    S("numerical_gradient", "restores x by arithmetic", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                x[i] += h
                up = f(x)
                x[i] -= 2 * h
                down = f(x)
                x[i] += h
                grad[i] = (up - down) / (2 * h)
            return grad
    """, diagnosis="modified its input"),
    S("numerical_gradient", "every coordinate at once", """
        def numerical_gradient(f, x, h=1e-5):
            return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))
    """, diagnosis="perturbing every coordinate at once"),
    S("numerical_gradient", "divides by h", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                grad[i] = (f(x + step) - f(x - step)) / h
            return grad
    """, diagnosis="dividing by h instead of 2h"),
    S("numerical_gradient", "returns a list", """
        def numerical_gradient(f, x, h=1e-5):
            grad = []
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                grad.append((f(x + step) - f(x - step)) / (2 * h))
            return grad
    """, diagnosis="return a numpy array"),
    N("numerical_gradient", "returns x", """
        def numerical_gradient(f, x, h=1e-5):
            return x
    """),
    N("numerical_gradient", "zeros like x", """
        def numerical_gradient(f, x, h=1e-5):
            return np.zeros(x.shape)
    """),
    N("numerical_gradient", "ones like x", """
        def numerical_gradient(f, x, h=1e-5):
            return np.ones(x.shape)
    """),
    # sigmoid -----------------------------------------------------------------------------
    S("sigmoid", "tanh form", """
        def sigmoid(x):
            return 0.5 * (1 + np.tanh(x / 2))
    """),
    S("sigmoid", "exp of minus logaddexp", """
        def sigmoid(x):
            return np.exp(-np.logaddexp(0.0, -x))
    """),
    S("sigmoid", "loop with math.exp branches", """
        import math

        def sigmoid(x):
            out = np.empty(np.shape(x))
            for i, v in np.ndenumerate(x):
                out[i] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
            return out
    """),
    S("sigmoid", "the textbook formula overflows", """
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))
    """, diagnosis="raised a warning (RuntimeWarning: overflow encountered in exp, at line"),
    S("sigmoid", "np.where computes both branches", """
        def sigmoid(x):
            return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
    """, diagnosis="np.where computes both branches"),
    S("sigmoid", "exp(x) over 1 + exp(x)", """
        def sigmoid(x):
            return np.exp(x) / (1 + np.exp(x))
    """, diagnosis="exp(710) overflows to inf, and inf / inf is NaN"),
    S("sigmoid", "e to the x by a power", """
        def sigmoid(x):
            ex = np.e ** x
            return ex / (1 + ex)
    """, diagnosis="exp(710) overflows to inf, and inf / inf is NaN"),
    S("sigmoid", "missing minus sign", """
        def sigmoid(x):
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, e / (1 + e), 1 / (1 + e))
    """, diagnosis="the minus sign in exp(-x) is missing"),
    S("sigmoid", "float32", """
        def sigmoid(x):
            x = x.astype(np.float32)
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    """, diagnosis="dtype float32"),
    N("sigmoid", "returns x", """
        def sigmoid(x):
            return x
    """),
    N("sigmoid", "zeros like x", """
        def sigmoid(x):
            return np.zeros_like(x, dtype=float)
    """),
    N("sigmoid", "one half everywhere", """
        def sigmoid(x):
            return np.full_like(x, 0.5, dtype=float)
    """),
    # sigmoid_derivative ------------------------------------------------------------------
    S("sigmoid_derivative", "exp(-|x|) form", """
        def sigmoid_derivative(x):
            e = np.exp(-np.abs(x))
            return e / (1 + e) ** 2
    """),
    S("sigmoid_derivative", "sigmoid(x) sigmoid(-x)", """
        def sigmoid_derivative(x):
            return sigmoid(x) * sigmoid(-x)
    """),
    S("sigmoid_derivative", "through tanh", """
        def sigmoid_derivative(x):
            return 0.25 * (1 - np.tanh(x / 2) ** 2)
    """),
    S("sigmoid_derivative", "output formula on the input", """
        def sigmoid_derivative(x):
            return x * (1 - x)
    """, diagnosis="applied to the input x"),
    S("sigmoid_derivative", "tanh formula", """
        def sigmoid_derivative(x):
            return 1 - sigmoid(x) ** 2
    """, diagnosis="the tanh formula"),
    S("sigmoid_derivative", "s(1 + s)", """
        def sigmoid_derivative(x):
            s = sigmoid(x)
            return s * (1 + s)
    """, diagnosis="s(1 + s): the derivative is s(1 - s)"),
    S("sigmoid_derivative", "the sigmoid itself", """
        def sigmoid_derivative(x):
            return sigmoid(x)
    """, diagnosis="not its derivative"),
    S("sigmoid_derivative", "textbook exp overflows", """
        def sigmoid_derivative(x):
            return np.exp(-x) / (1 + np.exp(-x)) ** 2
    """, diagnosis="NaN or inf"),
    N("sigmoid_derivative", "returns x", """
        def sigmoid_derivative(x):
            return x
    """),
    N("sigmoid_derivative", "zeros like x", """
        def sigmoid_derivative(x):
            return np.zeros_like(x, dtype=float)
    """),
    N("sigmoid_derivative", "one quarter everywhere", """
        def sigmoid_derivative(x):
            return np.full_like(x, 0.25, dtype=float)
    """),
    # tanh_derivative ---------------------------------------------------------------------
    S("tanh_derivative", "sech squared", """
        def tanh_derivative(x):
            return 1 / np.cosh(x) ** 2
    """),
    S("tanh_derivative", "factored", """
        def tanh_derivative(x):
            t = np.tanh(x)
            return (1 - t) * (1 + t)
    """),
    S("tanh_derivative", "from exponentials", """
        def tanh_derivative(x):
            return 4 / (np.exp(x) + np.exp(-x)) ** 2
    """),
    S("tanh_derivative", "output formula on the input", """
        def tanh_derivative(x):
            return 1 - x ** 2
    """, diagnosis="applied to the input x"),
    S("tanh_derivative", "no square", """
        def tanh_derivative(x):
            return 1 - np.tanh(x)
    """, diagnosis="the square is missing"),
    S("tanh_derivative", "sigmoid's formula", """
        def tanh_derivative(x):
            t = np.tanh(x)
            return t * (1 - t)
    """, diagnosis="the sigmoid's formula"),
    S("tanh_derivative", "plus instead of minus", """
        def tanh_derivative(x):
            return 1 + np.tanh(x) ** 2
    """, diagnosis="the sign of the square"),
    N("tanh_derivative", "returns x", """
        def tanh_derivative(x):
            return x
    """),
    N("tanh_derivative", "zeros like x", """
        def tanh_derivative(x):
            return np.zeros_like(x, dtype=float)
    """),
    N("tanh_derivative", "ones like x", """
        def tanh_derivative(x):
            return np.ones_like(x, dtype=float)
    """),
    # relu_derivative ---------------------------------------------------------------------
    S("relu_derivative", "astype", """
        def relu_derivative(x):
            return (x > 0).astype(float)
    """),
    S("relu_derivative", "heaviside with 0 at 0", """
        def relu_derivative(x):
            return np.heaviside(x, 0.0)
    """),
    S("relu_derivative", "loop", """
        def relu_derivative(x):
            out = np.zeros(np.shape(x))
            for i, v in np.ndenumerate(x):
                if v > 0:
                    out[i] = 1.0
            return out
    """),
    S("relu_derivative", "1 at zero", """
        def relu_derivative(x):
            return (x >= 0).astype(float)
    """, diagnosis="the derivative 1 at x = 0"),
    S("relu_derivative", "the ReLU itself", """
        def relu_derivative(x):
            return np.maximum(x, 0)
    """, diagnosis="the ReLU itself"),
    S("relu_derivative", "np.sign", """
        def relu_derivative(x):
            return np.sign(x)
    """, diagnosis="np.sign(x)"),
    S("relu_derivative", "one half at zero", """
        def relu_derivative(x):
            return np.heaviside(x, 0.5)
    """, diagnosis="the derivative 1/2 at x = 0"),
    S("relu_derivative", "leaky", """
        def relu_derivative(x):
            return np.where(x > 0, 1.0, 0.01)
    """, diagnosis="a leaky ReLU"),
    N("relu_derivative", "returns x", """
        def relu_derivative(x):
            return x
    """),
    N("relu_derivative", "zeros like x", """
        def relu_derivative(x):
            return np.zeros_like(x, dtype=float)
    """),
    N("relu_derivative", "ones like x", """
        def relu_derivative(x):
            return np.ones_like(x, dtype=float)
    """),
    # chain_rule_grad ---------------------------------------------------------------------
    S("chain_rule_grad", "loop over the coordinates", """
        def chain_rule_grad(w, x, y):
            z = sum(w[i] * x[i] for i in range(len(w)))
            a = sigmoid(z)
            return np.array([2 * (a - y) * a * (1 - a) * x[i] for i in range(len(w))])
    """),
    S("chain_rule_grad", "exp(-z) form of the derivative", """
        def chain_rule_grad(w, x, y):
            z = w @ x
            return 2 * (sigmoid(z) - y) * np.exp(-z) / (1 + np.exp(-z)) ** 2 * x
    """),
    S("chain_rule_grad", "no factor 2", """
        def chain_rule_grad(w, x, y):
            a = sigmoid(np.dot(w, x))
            return (a - y) * a * (1 - a) * x
    """, diagnosis="dropping the factor 2"),
    S("chain_rule_grad", "no sigmoid derivative", """
        def chain_rule_grad(w, x, y):
            a = sigmoid(np.dot(w, x))
            return 2 * (a - y) * x
    """, diagnosis="skipping sigmoid'(z)"),
    S("chain_rule_grad", "y minus a", """
        def chain_rule_grad(w, x, y):
            a = sigmoid(np.dot(w, x))
            return 2 * (y - a) * a * (1 - a) * x
    """, diagnosis="the sign"),
    S("chain_rule_grad", "times w", """
        def chain_rule_grad(w, x, y):
            a = sigmoid(np.dot(w, x))
            return 2 * (a - y) * a * (1 - a) * w
    """, diagnosis="dz/dw = x"),
    S("chain_rule_grad", "z(1 - z)", """
        def chain_rule_grad(w, x, y):
            z = np.dot(w, x)
            return 2 * (sigmoid(z) - y) * z * (1 - z) * x
    """, diagnosis="the output formula applied to the input z"),
    N("chain_rule_grad", "returns w", """
        def chain_rule_grad(w, x, y):
            return w
    """),
    N("chain_rule_grad", "returns x", """
        def chain_rule_grad(w, x, y):
            return x
    """),
    N("chain_rule_grad", "zeros like w", """
        def chain_rule_grad(w, x, y):
            return np.zeros_like(w, dtype=float)
    """),
    N("chain_rule_grad", "ones like w", """
        def chain_rule_grad(w, x, y):
            return np.ones_like(w, dtype=float)
    """),
)

GRADIENT_DESCENT = (
    # gradient_descent_step ---------------------------------------------------------------
    S("gradient_descent_step", "np.subtract", """
        def gradient_descent_step(w, grad, lr):
            return np.subtract(w, np.multiply(lr, grad))
    """),
    S("gradient_descent_step", "loop on a copy", """
        def gradient_descent_step(w, grad, lr):
            new = w.copy()
            for i in np.ndindex(w.shape):
                new[i] -= lr * grad[i]
            return new
    """),
    S("gradient_descent_step", "adds the negative step", """
        def gradient_descent_step(w, grad, lr):
            return w + (-lr) * grad
    """),
    S("gradient_descent_step", "gradient ascent", """
        def gradient_descent_step(w, grad, lr):
            return w + lr * grad
    """, diagnosis="the sign of the update"),
    S("gradient_descent_step", "updates w in place", """
        def gradient_descent_step(w, grad, lr):
            w -= lr * grad
            return w
    """, diagnosis="modified its input"),
    S("gradient_descent_step", "forgets the learning rate", """
        def gradient_descent_step(w, grad, lr):
            return w - grad
    """, diagnosis="forgetting the learning rate"),
    S("gradient_descent_step", "returns the step", """
        def gradient_descent_step(w, grad, lr):
            return lr * grad
    """, diagnosis="the step lr * grad alone"),
    S("gradient_descent_step", "divides by the rate", """
        def gradient_descent_step(w, grad, lr):
            return w - grad / lr
    """, diagnosis="dividing by the learning rate"),
    N("gradient_descent_step", "returns w", """
        def gradient_descent_step(w, grad, lr):
            return w
    """),
    N("gradient_descent_step", "a copy of w", """
        def gradient_descent_step(w, grad, lr):
            return w.copy()
    """),
    N("gradient_descent_step", "zeros like w", """
        def gradient_descent_step(w, grad, lr):
            return np.zeros_like(w, dtype=float)
    """),
    N("gradient_descent_step", "ones like w", """
        def gradient_descent_step(w, grad, lr):
            return np.ones_like(w, dtype=float)
    """),
    # gradient_descent --------------------------------------------------------------------
    S("gradient_descent", "preallocated trajectory", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            path = np.empty((n_steps + 1,) + x0.shape)
            path[0] = x0
            for k in range(n_steps):
                path[k + 1] = path[k] - lr * grad_f(path[k])
            return path
    """),
    S("gradient_descent", "copies stacked", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            x = x0.copy()
            path = [x.copy()]
            for _ in range(n_steps):
                x = x - lr * grad_f(x)
                path.append(x.copy())
            return np.stack(path)
    """),
    S("gradient_descent", "gradient ascent", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            path = [x0]
            for _ in range(n_steps):
                path.append(path[-1] + lr * grad_f(path[-1]))
            return np.array(path)
    """, diagnosis="the update x + lr * grad, which climbs"),
    S("gradient_descent", "adds the step", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            x = x0.astype(float)
            path = [x.copy()]
            for _ in range(n_steps):
                step = lr * grad_f(x)
                x = x + step
                path.append(x.copy())
            return np.stack(path)
    """, diagnosis="the update x + lr * grad, which climbs the loss (the update's sign"),
    S("gradient_descent", "appends one array updated in place", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            x = x0.copy()
            path = [x]
            for _ in range(n_steps):
                x -= lr * grad_f(x)
                path.append(x)
            return np.array(path)
    """, diagnosis="updated in place (every row is the last point)"),
    S("gradient_descent", "without x0", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            path, x = [], x0
            for _ in range(n_steps):
                x = x - lr * grad_f(x)
                path.append(x)
            return np.array(path).reshape((n_steps,) + x0.shape)
    """, diagnosis="a trajectory without x0 as its first row"),
    S("gradient_descent", "gradient at x0 every time", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            g = grad_f(x0)
            path = [x0]
            for _ in range(n_steps):
                path.append(path[-1] - lr * g)
            return np.array(path)
    """, diagnosis="the gradient at x0 reused for every step"),
    S("gradient_descent", "updates x0 in place", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            path = [x0.copy()]
            for _ in range(n_steps):
                x0 -= lr * grad_f(x0)
                path.append(x0.copy())
            return np.array(path)
    """, diagnosis="modified its input"),
    S("gradient_descent", "one step too many", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            path = [x0]
            for _ in range(n_steps + 1):
                path.append(path[-1] - lr * grad_f(path[-1]))
            return np.array(path)
    """, diagnosis="one step too many"),
    N("gradient_descent", "returns x0", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            return x0
    """),
    N("gradient_descent", "x0 alone, a one-row trajectory", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            return x0[np.newaxis].copy()
    """),
    N("gradient_descent", "x0 repeated n_steps + 1 times", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            return np.stack([x0] * (n_steps + 1))
    """),
    N("gradient_descent", "zeros of the trajectory's shape", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            return np.zeros((n_steps + 1,) + x0.shape)
    """),
    N("gradient_descent", "ones of the trajectory's shape", """
        def gradient_descent(grad_f, x0, lr, n_steps):
            return np.ones((n_steps + 1,) + x0.shape)
    """),
    # sgd_momentum ------------------------------------------------------------------------
    S("sgd_momentum", "velocity that includes the rate (Sutskever's form)", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x, v = x0, np.zeros_like(x0)
            path = [x0]
            for _ in range(n_steps):
                v = momentum * v - lr * grad_f(x)
                x = x + v
                path.append(x)
            return np.array(path)
    """),
    S("sgd_momentum", "preallocated, first step without velocity", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            path = np.empty((n_steps + 1,) + x0.shape)
            path[0] = x0
            v = None
            for k in range(n_steps):
                g = grad_f(path[k])
                v = g.copy() if v is None else momentum * v + g
                path[k + 1] = path[k] - lr * v
            return path
    """),
    S("sgd_momentum", "dampened average", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x, v = x0, np.zeros_like(x0)
            path = [x0]
            for _ in range(n_steps):
                v = momentum * v + (1 - momentum) * grad_f(x)
                x = x - lr * v
                path.append(x)
            return np.array(path)
    """, diagnosis="the dampened convention"),
    S("sgd_momentum", "moves with the old velocity", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x, v = x0, np.zeros_like(x0)
            path = [x0]
            for _ in range(n_steps):
                g = grad_f(x)
                x = x - lr * v
                v = momentum * v + g
                path.append(x)
            return np.array(path)
    """, diagnosis="the update uses the velocity from before this step"),
    S("sgd_momentum", "updates x, then the velocity", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x = x0.copy()
            v = np.zeros_like(x0)
            path = [x.copy()]
            for _ in range(n_steps):
                x -= lr * v
                v = momentum * v + grad_f(x)
                path.append(x.copy())
            return np.array(path)
    """, diagnosis="the update uses the velocity from before this step"),
    S("sgd_momentum", "one tuple assignment", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x, v = x0, np.zeros_like(x0)
            path = [x0]
            for _ in range(n_steps):
                x, v = x - lr * v, momentum * v + grad_f(x)
                path.append(x)
            return np.array(path)
    """, diagnosis="the update uses the velocity from before this step"),
    S("sgd_momentum", "Nesterov", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x, v = x0, np.zeros_like(x0)
            path = [x0]
            for _ in range(n_steps):
                g = grad_f(x)
                v = momentum * v + g
                x = x - lr * (g + momentum * v)
                path.append(x)
            return np.array(path)
    """, diagnosis="Nesterov momentum"),
    S("sgd_momentum", "climbs", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x, v = x0, np.zeros_like(x0)
            path = [x0]
            for _ in range(n_steps):
                v = momentum * v + grad_f(x)
                x = x + lr * v
                path.append(x)
            return np.array(path)
    """, diagnosis="x + lr * v, which climbs"),
    S("sgd_momentum", "velocity never kept", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            x = x0
            path = [x0]
            for _ in range(n_steps):
                v = np.zeros_like(x0)
                v = momentum * v + grad_f(x)
                x = x - lr * v
                path.append(x)
            return np.array(path)
    """, diagnosis="the momentum is ignored"),
    N("sgd_momentum", "returns x0", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            return x0
    """),
    N("sgd_momentum", "x0 alone, a one-row trajectory", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            return x0[np.newaxis].copy()
    """),
    N("sgd_momentum", "x0 repeated n_steps + 1 times", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            return np.repeat(x0[np.newaxis], n_steps + 1, axis=0)
    """),
    N("sgd_momentum", "zeros of the trajectory's shape", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            return np.zeros((n_steps + 1,) + x0.shape)
    """),
    N("sgd_momentum", "ones of the trajectory's shape", """
        def sgd_momentum(grad_f, x0, lr, momentum, n_steps):
            return np.ones((n_steps + 1,) + x0.shape)
    """),
)

QUIZ = (
    S("quiz.q1", "fraction", "q1 = 1 / 5"),
    S("quiz.q1", "the 2 / a bound", "q1 = 0.4", diagnosis="lr = 1 / a"),
    S("quiz.q2", "expression", "q2 = 3 - 0.1 * (-2)"),
    S("quiz.q2", "steps downhill the wrong way", "q2 = 2.8", diagnosis="negative slope"),
    S("quiz.q3", "expression", "q3 = 2 * (0.5 - 1) * 0.25 * 2"),
    S("quiz.q3", "forgets the sigmoid's derivative", "q3 = -2.0",
      diagnosis="sigmoid'(0) = 0.25"),
    S("quiz.q4", "upper case", "q4 = 'B'"),
    S("quiz.q4", "blames the learning rate", "q4 = 'a'", diagnosis="shrinks geometrically"),
    S("quiz.q5", "float", "q5 = 4.0"),
    S("quiz.q5", "thinks linear", "q5 = 2", diagnosis="2^2 = 4"),
    S("quiz.q6", "expression", "q6 = 1 / (1 - 0.9)"),
    S("quiz.q6", "the momentum itself", "q6 = 0.9", diagnosis="g / (1 - 0.9)"),
)

CORPORA = (
    Corpus("02_calculus", "derivatives.ipynb", DERIVATIVES),
    Corpus("02_calculus", "gradient_descent.ipynb", GRADIENT_DESCENT),
    Corpus("02_calculus", "quiz.ipynb", QUIZ),
)
