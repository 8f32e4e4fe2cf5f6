"""The corpus of 03_backprop: alternative correct solutions and realistic mistakes,
each with the diagnosis its feedback must contain; tests/test_graders.py grades every one."""

from dlmath.course import Corpus
from dlmath.course import Solution as S
from dlmath.course import does_nothing as N

BACKPROP = (
    # linear_backward ---------------------------------------------------------------------
    S("linear_backward", "einsum", """
        def linear_backward(dZ, X, W):
            return (np.einsum("no,oi->ni", dZ, W), np.einsum("no,ni->oi", dZ, X),
                    np.einsum("no->o", dZ))
    """),
    S("linear_backward", "sum of outer products over the batch", """
        def linear_backward(dZ, X, W):
            dX = np.dot(dZ, W)
            dW = np.zeros(W.shape)
            db = np.zeros(W.shape[0])
            for n in range(X.shape[0]):
                dW += np.outer(dZ[n], X[n])
                db += dZ[n]
            return dX, dW, db
    """),
    S("linear_backward", "returns a list", """
        def linear_backward(dZ, X, W):
            return [dZ @ W, (X.T @ dZ).T, dZ.sum(axis=0)]
    """),
    S("linear_backward", "dW transposed", """
        def linear_backward(dZ, X, W):
            return dZ @ W, X.T @ dZ, dZ.sum(axis=0)
    """, diagnosis="dW transposed"),
    S("linear_backward", "db on the wrong axis", """
        def linear_backward(dZ, X, W):
            return dZ @ W, dZ.T @ X, dZ.sum(axis=1)
    """, diagnosis="summing dZ over axis 1"),
    S("linear_backward", "forgets db", """
        def linear_backward(dZ, X, W):
            return dZ @ W, dZ.T @ X
    """, diagnosis="is db missing?"),
    S("linear_backward", "db not summed", """
        def linear_backward(dZ, X, W):
            return dZ @ W, dZ.T @ X, dZ
    """, diagnosis="db not summed over the batch"),
    S("linear_backward", "db averaged", """
        def linear_backward(dZ, X, W):
            return dZ @ W, dZ.T @ X, dZ.mean(axis=0)
    """, diagnosis="the mean over the batch instead of the sum"),
    S("linear_backward", "dX with W transposed", """
        def linear_backward(dZ, X, W):
            return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)
    """, diagnosis="dZ @ W fits"),
    N("linear_backward", "returns X and W", """
        def linear_backward(dZ, X, W):
            return X, W, np.zeros(W.shape[0])
    """),
    N("linear_backward", "zeros of the right shapes", """
        def linear_backward(dZ, X, W):
            return np.zeros_like(X), np.zeros_like(W), np.zeros(W.shape[0])
    """),
    N("linear_backward", "ones of the right shapes", """
        def linear_backward(dZ, X, W):
            return np.ones_like(X), np.ones_like(W), np.ones(W.shape[0])
    """),
    # relu_backward -----------------------------------------------------------------------
    S("relu_backward", "multiply by the mask", """
        def relu_backward(dA, Z):
            return dA * (Z > 0)
    """),
    S("relu_backward", "copy and zero out", """
        def relu_backward(dA, Z):
            dZ = dA.copy()
            dZ[Z <= 0] = 0.0
            return dZ
    """),
    S("relu_backward", "1 at zero", """
        def relu_backward(dA, Z):
            return dA * (Z >= 0)
    """, diagnosis="a gradient of 1 at Z = 0"),
    S("relu_backward", "mask only", """
        def relu_backward(dA, Z):
            return (Z > 0).astype(float)
    """, diagnosis="the upstream gradient dA is not multiplied in"),
    S("relu_backward", "times Z", """
        def relu_backward(dA, Z):
            return dA * Z
    """, diagnosis="multiplying by Z instead of the 0/1 mask"),
    S("relu_backward", "zeroes dA in place", """
        def relu_backward(dA, Z):
            dA[Z <= 0] = 0.0
            return dA
    """, diagnosis="modified its input"),
    S("relu_backward", "times the activation", """
        def relu_backward(dA, Z):
            return dA * np.maximum(Z, 0)
    """, diagnosis="multiplying by the activation instead of its derivative"),
    N("relu_backward", "returns dA", """
        def relu_backward(dA, Z):
            return dA
    """),
    N("relu_backward", "zeros like dA", """
        def relu_backward(dA, Z):
            return np.zeros_like(dA)
    """),
    N("relu_backward", "ones like dA", """
        def relu_backward(dA, Z):
            return np.ones_like(dA)
    """),
    # sigmoid_backward --------------------------------------------------------------------
    S("sigmoid_backward", "sigmoid(Z) sigmoid(-Z)", """
        def sigmoid_backward(dA, Z):
            return dA * sigmoid(Z) * sigmoid(-Z)
    """),
    S("sigmoid_backward", "exp(-|Z|) form", """
        def sigmoid_backward(dA, Z):
            e = np.exp(-np.abs(Z))
            return dA * e / (1 + e) ** 2
    """),
    S("sigmoid_backward", "output formula on the input", """
        def sigmoid_backward(dA, Z):
            return dA * Z * (1 - Z)
    """, diagnosis="the output formula applied to the input Z"),
    S("sigmoid_backward", "through the output", """
        def sigmoid_backward(dA, Z):
            A = sigmoid(Z)
            return dA * sigmoid(A) * (1 - sigmoid(A))
    """, diagnosis="differentiating through the activation's output"),
    S("sigmoid_backward", "forgets dA", """
        def sigmoid_backward(dA, Z):
            s = sigmoid(Z)
            return s * (1 - s)
    """, diagnosis="the upstream gradient dA is not multiplied in"),
    S("sigmoid_backward", "times the activation", """
        def sigmoid_backward(dA, Z):
            return dA * sigmoid(Z)
    """, diagnosis="the activation instead of its derivative"),
    S("sigmoid_backward", "textbook exp overflows", """
        def sigmoid_backward(dA, Z):
            s = 1 / (1 + np.exp(-Z))
            return dA * s * (1 - s)
    """, diagnosis="raised a warning (RuntimeWarning: overflow encountered in exp, at line"),
    N("sigmoid_backward", "returns dA", """
        def sigmoid_backward(dA, Z):
            return dA
    """),
    N("sigmoid_backward", "zeros like dA", """
        def sigmoid_backward(dA, Z):
            return np.zeros_like(dA)
    """),
    N("sigmoid_backward", "the slope at 0 everywhere", """
        def sigmoid_backward(dA, Z):
            return np.full(dA.shape, 0.25)
    """),
    # tanh_backward -----------------------------------------------------------------------
    S("tanh_backward", "factored", """
        def tanh_backward(dA, Z):
            t = np.tanh(Z)
            return dA * (1 - t) * (1 + t)
    """),
    S("tanh_backward", "sech squared", """
        def tanh_backward(dA, Z):
            return dA / np.cosh(Z) ** 2
    """),
    S("tanh_backward", "output formula on the input", """
        def tanh_backward(dA, Z):
            return dA * (1 - Z ** 2)
    """, diagnosis="the output formula applied to the input Z"),
    S("tanh_backward", "through the output", """
        def tanh_backward(dA, Z):
            A = np.tanh(Z)
            return dA * (1 - np.tanh(A) ** 2)
    """, diagnosis="differentiating through the activation's output"),
    S("tanh_backward", "forgets dA", """
        def tanh_backward(dA, Z):
            return 1 - np.tanh(Z) ** 2
    """, diagnosis="the upstream gradient dA is not multiplied in"),
    S("tanh_backward", "no square", """
        def tanh_backward(dA, Z):
            return dA * (1 - np.tanh(Z))
    """, diagnosis="the square is missing"),
    N("tanh_backward", "returns dA", """
        def tanh_backward(dA, Z):
            return dA
    """),
    N("tanh_backward", "zeros like dA", """
        def tanh_backward(dA, Z):
            return np.zeros_like(dA)
    """),
    N("tanh_backward", "ones like dA", """
        def tanh_backward(dA, Z):
            return np.ones_like(dA)
    """),
    # mse_loss ----------------------------------------------------------------------------
    S("mse_loss", "sum over the size", """
        def mse_loss(y_pred, y):
            return np.sum((y_pred - y) ** 2) / y_pred.size
    """),
    S("mse_loss", "loop", """
        def mse_loss(y_pred, y):
            total = 0.0
            for p, t in zip(y_pred.ravel(), y.ravel()):
                total += (p - t) ** 2
            return total / y_pred.size
    """),
    S("mse_loss", "dot of the flattened error", """
        def mse_loss(y_pred, y):
            e = (y_pred - y).ravel()
            return float(e @ e / e.size)
    """),
    S("mse_loss", "sum", """
        def mse_loss(y_pred, y):
            return np.sum((y_pred - y) ** 2)
    """, diagnosis="the sum of the squared errors instead of their mean"),
    S("mse_loss", "per-example sum, batch mean", """
        def mse_loss(y_pred, y):
            return np.sum((y_pred - y) ** 2) / len(y_pred)
    """, diagnosis="the mean over the batch only"),
    S("mse_loss", "half", """
        def mse_loss(y_pred, y):
            return 0.5 * np.mean((y_pred - y) ** 2)
    """, diagnosis="the 1/2 convention"),
    S("mse_loss", "no square", """
        def mse_loss(y_pred, y):
            return np.mean(y_pred - y)
    """, diagnosis="without the square"),
    S("mse_loss", "absolute error", """
        def mse_loss(y_pred, y):
            return np.mean(np.abs(y_pred - y))
    """, diagnosis="F.l1_loss"),
    S("mse_loss", "averaged twice", """
        def mse_loss(y_pred, y):
            return np.mean((y_pred - y) ** 2) / y_pred.size
    """, diagnosis="averaging twice"),
    N("mse_loss", "returns y_pred", """
        def mse_loss(y_pred, y):
            return y_pred
    """),
    N("mse_loss", "zero", """
        def mse_loss(y_pred, y):
            return 0.0
    """),
    N("mse_loss", "one", """
        def mse_loss(y_pred, y):
            return 1.0
    """),
    # mse_loss_backward -------------------------------------------------------------------
    S("mse_loss_backward", "factor first", """
        def mse_loss_backward(y_pred, y):
            return (2.0 / y_pred.size) * (y_pred - y)
    """),
    S("mse_loss_backward", "size from the shape", """
        def mse_loss_backward(y_pred, y):
            return 2 * (y_pred - y) / np.prod(y_pred.shape)
    """),
    S("mse_loss_backward", "no factor 2", """
        def mse_loss_backward(y_pred, y):
            return (y_pred - y) / y_pred.size
    """, diagnosis="the factor 2 of the square's derivative is dropped"),
    S("mse_loss_backward", "not averaged", """
        def mse_loss_backward(y_pred, y):
            return 2 * (y_pred - y)
    """, diagnosis="not divided by the number of entries n"),
    S("mse_loss_backward", "by the batch size", """
        def mse_loss_backward(y_pred, y):
            return 2 * (y_pred - y) / len(y_pred)
    """, diagnosis="dividing by the batch size N"),
    S("mse_loss_backward", "y minus y_pred", """
        def mse_loss_backward(y_pred, y):
            return 2 * (y - y_pred) / y_pred.size
    """, diagnosis="the sign"),
    S("mse_loss_backward", "averaged twice", """
        def mse_loss_backward(y_pred, y):
            return 2 * (y_pred - y) / y_pred.size / y_pred.size
    """, diagnosis="averaging twice"),
    N("mse_loss_backward", "returns y_pred", """
        def mse_loss_backward(y_pred, y):
            return y_pred
    """),
    N("mse_loss_backward", "zeros like y_pred", """
        def mse_loss_backward(y_pred, y):
            return np.zeros_like(y_pred)
    """),
    N("mse_loss_backward", "ones like y_pred", """
        def mse_loss_backward(y_pred, y):
            return np.ones_like(y_pred)
    """),
    # mlp_forward -------------------------------------------------------------------------
    S("mlp_forward", "einsum", """
        def mlp_forward(X, params):
            A1 = np.maximum(np.einsum("ni,hi->nh", X, params["W1"]) + params["b1"], 0)
            return np.einsum("nh,oh->no", A1, params["W2"]) + params["b2"]
    """),
    S("mlp_forward", "np.where ReLU with np.dot", """
        def mlp_forward(X, params):
            Z1 = np.dot(X, params["W1"].T) + params["b1"]
            A1 = np.where(Z1 > 0, Z1, 0.0)
            return np.dot(A1, params["W2"].T) + params["b2"]
    """),
    S("mlp_forward", "no ReLU", """
        def mlp_forward(X, params):
            return (X @ params["W1"].T + params["b1"]) @ params["W2"].T + params["b2"]
    """, diagnosis="forgetting the ReLU"),
    S("mlp_forward", "ReLU on the output", """
        def mlp_forward(X, params):
            A1 = np.maximum(X @ params["W1"].T + params["b1"], 0)
            return np.maximum(A1 @ params["W2"].T + params["b2"], 0)
    """, diagnosis="a ReLU after the output layer too"),
    S("mlp_forward", "no biases", """
        def mlp_forward(X, params):
            return np.maximum(X @ params["W1"].T, 0) @ params["W2"].T
    """, diagnosis="forgetting the biases"),
    S("mlp_forward", "sigmoid", """
        def mlp_forward(X, params):
            A1 = sigmoid(X @ params["W1"].T + params["b1"])
            return A1 @ params["W2"].T + params["b2"]
    """, diagnosis="a sigmoid instead of the ReLU"),
    S("mlp_forward", "weights not transposed", """
        def mlp_forward(X, params):
            A1 = np.maximum(X @ params["W1"] + params["b1"], 0)
            return A1 @ params["W2"] + params["b2"]
    """, diagnosis="raised ValueError"),
    N("mlp_forward", "returns X", """
        def mlp_forward(X, params):
            return X
    """),
    N("mlp_forward", "zeros of the output's shape", """
        def mlp_forward(X, params):
            return np.zeros((X.shape[0], params["W2"].shape[0]))
    """),
    N("mlp_forward", "the output bias in every row", """
        def mlp_forward(X, params):
            return np.tile(params["b2"], (X.shape[0], 1))
    """),
    # mlp_loss_and_grads ------------------------------------------------------------------
    S("mlp_loss_and_grads", "inline with einsum", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = np.einsum("ni,hi->nh", X, params["W1"]) + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = np.einsum("nh,oh->no", A1, params["W2"]) + params["b2"]
            dY = 2 * (Y - y) / Y.size
            dZ1 = np.einsum("no,oh->nh", dY, params["W2"]) * (Z1 > 0)
            grads = {"W1": np.einsum("nh,ni->hi", dZ1, X), "b1": dZ1.sum(axis=0),
                     "W2": np.einsum("no,nh->oh", dY, A1), "b2": dY.sum(axis=0)}
            return np.mean((Y - y) ** 2), grads
    """),
    S("mlp_loss_and_grads", "per-example loop", """
        def mlp_loss_and_grads(X, y, params):
            grads = {k: np.zeros_like(v) for k, v in params.items()}
            loss = 0.0
            for x_n, y_n in zip(X, y):
                z1 = params["W1"] @ x_n + params["b1"]
                a1 = np.maximum(z1, 0)
                out = params["W2"] @ a1 + params["b2"]
                loss += np.sum((out - y_n) ** 2) / y.size
                d_out = 2 * (out - y_n) / y.size
                dz1 = (params["W2"].T @ d_out) * (z1 > 0)
                grads["W2"] += np.outer(d_out, a1)
                grads["b2"] += d_out
                grads["W1"] += np.outer(dz1, x_n)
                grads["b1"] += dz1
            return loss, grads
    """),
    S("mlp_loss_and_grads", "ReLU derivative 1 at 0", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = mse_loss_backward(Y, y)
            dA1, dW2, db2 = linear_backward(dY, A1, params["W2"])
            _, dW1, db1 = linear_backward(dA1 * (Z1 >= 0), X, params["W1"])
            return mse_loss(Y, y), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """, diagnosis="the ReLU derivative 1 at 0"),
    S("mlp_loss_and_grads", "mask from A1 >= 0", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = mse_loss_backward(Y, y)
            dA1, dW2, db2 = linear_backward(dY, A1, params["W2"])
            _, dW1, db1 = linear_backward(dA1 * (A1 >= 0), X, params["W1"])
            return mse_loss(Y, y), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """, diagnosis="A1 >= 0 is always true: mask with Z1 > 0"),
    S("mlp_loss_and_grads", "db on the wrong axis", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = mse_loss_backward(Y, y)
            dZ1 = (dY @ params["W2"]) * (Z1 > 0)
            grads = {"W1": dZ1.T @ X, "b1": dZ1.sum(axis=1), "W2": dY.T @ A1,
                     "b2": dY.sum(axis=1)}
            return mse_loss(Y, y), grads
    """, diagnosis="db summed over axis 1"),
    S("mlp_loss_and_grads", "dW transposed", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = mse_loss_backward(Y, y)
            dZ1 = (dY @ params["W2"]) * (Z1 > 0)
            grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": A1.T @ dY,
                     "b2": dY.sum(axis=0)}
            return mse_loss(Y, y), grads
    """, diagnosis="dW transposed"),
    S("mlp_loss_and_grads", "averages the loss twice", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = mse_loss_backward(Y, y) / Y.size
            dA1, dW2, db2 = linear_backward(dY, A1, params["W2"])
            _, dW1, db1 = linear_backward(relu_backward(dA1, Z1), X, params["W1"])
            return mse_loss(Y, y), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """, diagnosis="averaging the loss twice"),
    S("mlp_loss_and_grads", "the 1/2 convention in the gradient", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = (Y - y) / Y.size
            dA1, dW2, db2 = linear_backward(dY, A1, params["W2"])
            _, dW1, db1 = linear_backward(relu_backward(dA1, Z1), X, params["W1"])
            return mse_loss(Y, y), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """, diagnosis="the factor 2 of the squared error dropped"),
    S("mlp_loss_and_grads", "divides by the batch size", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = 2 * (Y - y) / len(X)
            dA1, dW2, db2 = linear_backward(dY, A1, params["W2"])
            _, dW1, db1 = linear_backward(relu_backward(dA1, Z1), X, params["W1"])
            return mse_loss(Y, y), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """, diagnosis="dividing by the batch size N"),
    S("mlp_loss_and_grads", "renamed keys", """
        def mlp_loss_and_grads(X, y, params):
            Z1 = X @ params["W1"].T + params["b1"]
            A1 = np.maximum(Z1, 0)
            Y = A1 @ params["W2"].T + params["b2"]
            dY = mse_loss_backward(Y, y)
            dA1, dW2, db2 = linear_backward(dY, A1, params["W2"])
            _, dW1, db1 = linear_backward(relu_backward(dA1, Z1), X, params["W1"])
            return mse_loss(Y, y), {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    """, diagnosis="a dict with the keys of params"),
    N("mlp_loss_and_grads", "returns the params as grads", """
        def mlp_loss_and_grads(X, y, params):
            return 0.0, params
    """),
    N("mlp_loss_and_grads", "zero loss and zero grads", """
        def mlp_loss_and_grads(X, y, params):
            return 0.0, {k: np.zeros_like(v) for k, v in params.items()}
    """),
    N("mlp_loss_and_grads", "ones", """
        def mlp_loss_and_grads(X, y, params):
            return 1.0, {k: np.ones_like(v) for k, v in params.items()}
    """),
    # train_mlp ---------------------------------------------------------------------------
    S("train_mlp", "in place on deep copies, list of losses", """
        import copy

        def train_mlp(X, y, params, lr, n_steps):
            params = copy.deepcopy(params)
            losses = []
            for _ in range(n_steps):
                loss, grads = mlp_loss_and_grads(X, y, params)
                losses.append(float(loss))
                for k in params:
                    params[k] -= lr * grads[k]
            return params, losses
    """),
    S("train_mlp", "preallocated losses, uses gradient_descent_step style", """
        def train_mlp(X, y, params, lr, n_steps):
            losses = np.zeros(n_steps)
            current = dict(params)
            for i in range(n_steps):
                losses[i], grads = mlp_loss_and_grads(X, y, current)
                current = {k: v - lr * grads[k] for k, v in current.items()}
            return current, losses
    """),
    S("train_mlp", "loss after the update", """
        def train_mlp(X, y, params, lr, n_steps):
            params = {k: v.copy() for k, v in params.items()}
            losses = []
            for _ in range(n_steps):
                _, grads = mlp_loss_and_grads(X, y, params)
                params = {k: params[k] - lr * grads[k] for k in params}
                losses.append(mlp_loss_and_grads(X, y, params)[0])
            return params, np.array(losses)
    """, diagnosis="recording each loss after its update"),
    S("train_mlp", "climbs", """
        def train_mlp(X, y, params, lr, n_steps):
            params = {k: v.copy() for k, v in params.items()}
            losses = []
            for _ in range(n_steps):
                loss, grads = mlp_loss_and_grads(X, y, params)
                losses.append(loss)
                params = {k: params[k] + lr * grads[k] for k in params}
            return params, np.array(losses)
    """, diagnosis="the sign of the update"),
    S("train_mlp", "adds the gradient in place", """
        def train_mlp(X, y, params, lr, n_steps):
            params = {k: v.copy() for k, v in params.items()}
            losses = []
            for _ in range(n_steps):
                loss, grads = mlp_loss_and_grads(X, y, params)
                losses.append(loss)
                for k in params:
                    params[k] += lr * grads[k]
            return params, np.array(losses)
    """, diagnosis="params + lr * grads, which climbs the loss"),
    S("train_mlp", "updates the caller's params", """
        def train_mlp(X, y, params, lr, n_steps):
            losses = []
            for _ in range(n_steps):
                loss, grads = mlp_loss_and_grads(X, y, params)
                losses.append(loss)
                for k in params:
                    params[k] -= lr * grads[k]
            return params, np.array(losses)
    """, diagnosis="modified its input"),
    S("train_mlp", "W2 updated before the other gradients", """
        def train_mlp(X, y, params, lr, n_steps):
            params = {k: v.copy() for k, v in params.items()}
            losses = []
            for _ in range(n_steps):
                loss, grads = mlp_loss_and_grads(X, y, params)
                losses.append(loss)
                params["W2"] = params["W2"] - lr * grads["W2"]
                _, grads = mlp_loss_and_grads(X, y, params)
                for k in ("W1", "b1", "b2"):
                    params[k] = params[k] - lr * grads[k]
            return params, np.array(losses)
    """, diagnosis="updating W2 before computing the gradients"),
    S("train_mlp", "one loss too many", """
        def train_mlp(X, y, params, lr, n_steps):
            params = {k: v.copy() for k, v in params.items()}
            losses = []
            for _ in range(n_steps):
                loss, grads = mlp_loss_and_grads(X, y, params)
                losses.append(loss)
                params = {k: params[k] - lr * grads[k] for k in params}
            losses.append(mlp_loss_and_grads(X, y, params)[0])
            return params, np.array(losses)
    """, diagnosis="the loss after the last update is included"),
    S("train_mlp", "returns the starting params", """
        def train_mlp(X, y, params, lr, n_steps):
            trained = {k: v.copy() for k, v in params.items()}
            losses = []
            for _ in range(n_steps):
                loss, grads = mlp_loss_and_grads(X, y, trained)
                losses.append(loss)
                trained = {k: trained[k] - lr * grads[k] for k in trained}
            return params, np.array(losses)
    """, diagnosis="the updates were not kept"),
    N("train_mlp", "the starting params and zero losses", """
        def train_mlp(X, y, params, lr, n_steps):
            return {k: v.copy() for k, v in params.items()}, np.zeros(n_steps)
    """),
    N("train_mlp", "the starting params and the starting loss repeated", """
        def train_mlp(X, y, params, lr, n_steps):
            loss = mse_loss(mlp_forward(X, params), y)
            return {k: v.copy() for k, v in params.items()}, np.full(n_steps, loss)
    """),
    N("train_mlp", "zero params and ones for losses", """
        def train_mlp(X, y, params, lr, n_steps):
            return {k: np.zeros_like(v) for k, v in params.items()}, np.ones(n_steps)
    """),
    # gradient_check ----------------------------------------------------------------------
    S("gradient_check", "flat loop and clip", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            flat = x.ravel().astype(float)
            numeric = np.empty(flat.size)
            for i in range(flat.size):
                up, down = flat.copy(), flat.copy()
                up[i] += h
                down[i] -= h
                numeric[i] = (f(up.reshape(x.shape)) - f(down.reshape(x.shape))) / (2 * h)
            a = analytic_grad.ravel()
            denominator = np.clip(np.abs(a) + np.abs(numeric), 1e-8, None)
            return np.max(np.abs(a - numeric) / denominator)
    """),
    S("gradient_check", "running max in Python", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            worst = 0.0
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                n = (f(x + step) - f(x - step)) / (2 * h)
                a = analytic_grad[i]
                worst = max(worst, abs(a - n) / max(1e-8, abs(a) + abs(n)))
            return worst
    """),
    S("gradient_check", "forward difference", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x)) / h
            scale = np.maximum(1e-8, np.abs(analytic_grad) + np.abs(numeric))
            return float(np.max(np.abs(analytic_grad - numeric) / scale))
    """, diagnosis="a forward difference"),
    S("gradient_check", "mean instead of max", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x - step)) / (2 * h)
            scale = np.maximum(1e-8, np.abs(analytic_grad) + np.abs(numeric))
            return float(np.mean(np.abs(analytic_grad - numeric) / scale))
    """, diagnosis="the mean relative error instead of the max"),
    S("gradient_check", "max in the denominator", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x - step)) / (2 * h)
            scale = np.maximum(1e-8, np.maximum(np.abs(analytic_grad), np.abs(numeric)))
            return float(np.max(np.abs(analytic_grad - numeric) / scale))
    """, diagnosis="dividing by max(|a|, |n|)"),
    S("gradient_check", "absolute error", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x - step)) / (2 * h)
            return float(np.max(np.abs(analytic_grad - numeric)))
    """, diagnosis="the absolute error"),
    S("gradient_check", "no floor", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x - step)) / (2 * h)
            scale = np.abs(analytic_grad) + np.abs(numeric)
            return float(np.max(np.abs(analytic_grad - numeric) / scale))
    """, diagnosis="NaN or inf"),
    S("gradient_check", "divides by the analytic gradient", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x - step)) / (2 * h)
            scale = np.maximum(1e-8, np.abs(analytic_grad))
            return float(np.max(np.abs(analytic_grad - numeric) / scale))
    """, diagnosis="dividing by |a| alone"),
    S("gradient_check", "no abs on the numerator", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x - step)) / (2 * h)
            scale = np.maximum(1e-8, np.abs(analytic_grad) + np.abs(numeric))
            return float(np.max((analytic_grad - numeric) / scale))
    """, diagnosis="the relative error needs absolute values"),
    S("gradient_check", "(a - n) / (a + n)", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            numeric = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                numeric[i] = (f(x + step) - f(x - step)) / (2 * h)
            rel = (analytic_grad - numeric) / np.maximum(1e-8, analytic_grad + numeric)
            return float(np.max(rel))
    """, diagnosis="the relative error needs absolute values"),
    N("gradient_check", "zero", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            return 0.0
    """),
    N("gradient_check", "one", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            return 1.0
    """),
    N("gradient_check", "tiny", """
        def gradient_check(f, x, analytic_grad, h=1e-5):
            return 1e-10
    """),
)

VANISHING = (
    # layer_gradient_norms ----------------------------------------------------------------
    S("layer_gradient_norms", "derivative from the stored outputs, list of norms", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            outputs = [X]
            for W in weights:
                outputs.append(g(outputs[-1] @ W.T))
            dA, norms = np.ones(outputs[-1].shape), []
            for l in range(len(weights) - 1, -1, -1):
                A = outputs[l + 1]
                if activation == "sigmoid":
                    local = A * (1 - A)
                elif activation == "tanh":
                    local = 1 - A ** 2
                else:
                    local = (A > 0).astype(float)
                dZ = dA * local
                norms.insert(0, float(np.linalg.norm(dZ.T @ outputs[l])))
                dA = dZ @ weights[l]
            return norms
    """),
    S("layer_gradient_norms", "einsum and a recursive backward pass", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            slope = {"sigmoid": lambda z: np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2,
                     "tanh": lambda z: 1 / np.cosh(z) ** 2,
                     "relu": lambda z: np.heaviside(z, 0.0)}[activation]

            def backward(A, layers):
                if not layers:
                    return np.ones(A.shape), []
                Z = np.einsum("ni,oi->no", A, layers[0])
                dA_out, norms = backward(g(Z), layers[1:])
                dZ = dA_out * slope(Z)
                dW = np.einsum("no,ni->oi", dZ, A)
                return np.einsum("no,oi->ni", dZ, layers[0]), [np.sqrt(np.sum(dW ** 2))] + norms

            return np.array(backward(X, list(weights))[1])
    """),
    S("layer_gradient_norms", "last layer first", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            d = {"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)),
                 "tanh": lambda z: 1 - np.tanh(z) ** 2,
                 "relu": lambda z: (z > 0) * 1.0}[activation]
            inputs, zs, A = [], [], X
            for W in weights:
                inputs.append(A)
                zs.append(A @ W.T)
                A = g(zs[-1])
            dA, norms = np.ones(A.shape), []
            for W, A_in, Z in reversed(list(zip(weights, inputs, zs))):
                dZ = dA * d(Z)
                norms.append(np.linalg.norm(dZ.T @ A_in))
                dA = dZ @ W
            return np.array(norms)
    """, diagnosis="the norms in reverse order"),
    S("layer_gradient_norms", "derivative at the output", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            d = {"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)),
                 "tanh": lambda z: 1 - np.tanh(z) ** 2,
                 "relu": lambda z: (z > 0) * 1.0}[activation]
            inputs, outputs, A = [], [], X
            for W in weights:
                inputs.append(A)
                A = g(A @ W.T)
                outputs.append(A)
            dA, norms = np.ones(A.shape), []
            for W, A_in, A_out in reversed(list(zip(weights, inputs, outputs))):
                dZ = dA * d(A_out)
                norms.append(np.linalg.norm(dZ.T @ A_in))
                dA = dZ @ W
            return np.array(norms[::-1])
    """, diagnosis="the derivative taken at the activation's output"),
    S("layer_gradient_norms", "no activation derivative", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            inputs, A = [], X
            for W in weights:
                inputs.append(A)
                A = g(A @ W.T)
            dZ, norms = np.ones(A.shape), []
            for W, A_in in reversed(list(zip(weights, inputs))):
                norms.append(np.linalg.norm(dZ.T @ A_in))
                dZ = dZ @ W
            return np.array(norms[::-1])
    """, diagnosis="as if the net were linear"),
    S("layer_gradient_norms", "last layer linear", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            d = {"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)),
                 "tanh": lambda z: 1 - np.tanh(z) ** 2,
                 "relu": lambda z: (z > 0) * 1.0}[activation]
            inputs, zs, A = [], [], X
            for i, W in enumerate(weights):
                inputs.append(A)
                zs.append(A @ W.T)
                A = zs[-1] if i == len(weights) - 1 else g(zs[-1])
            dA, norms = np.ones(A.shape), []
            for i in reversed(range(len(weights))):
                dZ = dA if i == len(weights) - 1 else dA * d(zs[i])
                norms.append(np.linalg.norm(dZ.T @ inputs[i]))
                dA = dZ @ weights[i]
            return np.array(norms[::-1])
    """, diagnosis="no activation after the last layer"),
    S("layer_gradient_norms", "norms of the activation gradients", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            d = {"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)),
                 "tanh": lambda z: 1 - np.tanh(z) ** 2,
                 "relu": lambda z: (z > 0) * 1.0}[activation]
            zs, A = [], X
            for W in weights:
                zs.append(A @ W.T)
                A = g(zs[-1])
            dA, norms = np.ones(A.shape), []
            for W, Z in reversed(list(zip(weights, zs))):
                norms.append(np.linalg.norm(dA))
                dA = (dA * d(Z)) @ W
            return np.array(norms[::-1])
    """, diagnosis="the norms of dL/dA"),
    S("layer_gradient_norms", "norms of dZ", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            d = {"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)),
                 "tanh": lambda z: 1 - np.tanh(z) ** 2,
                 "relu": lambda z: (z > 0) * 1.0}[activation]
            zs, A = [], X
            for W in weights:
                zs.append(A @ W.T)
                A = g(zs[-1])
            dA, norms = np.ones(A.shape), []
            for W, Z in reversed(list(zip(weights, zs))):
                dZ = dA * d(Z)
                norms.append(np.linalg.norm(dZ))
                dA = dZ @ W
            return np.array(norms[::-1])
    """, diagnosis="the norms of dZ, not of dW"),
    S("layer_gradient_norms", "squared norms", """
        def layer_gradient_norms(X, weights, activation):
            g = ACTIVATIONS[activation]
            d = {"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)),
                 "tanh": lambda z: 1 - np.tanh(z) ** 2,
                 "relu": lambda z: (z > 0) * 1.0}[activation]
            inputs, zs, A = [], [], X
            for W in weights:
                inputs.append(A)
                zs.append(A @ W.T)
                A = g(zs[-1])
            dA, norms = np.ones(A.shape), []
            for W, A_in, Z in reversed(list(zip(weights, inputs, zs))):
                dZ = dA * d(Z)
                norms.append(np.sum((dZ.T @ A_in) ** 2))
                dA = dZ @ W
            return np.array(norms[::-1])
    """, diagnosis="squared norms"),
    N("layer_gradient_norms", "zeros", """
        def layer_gradient_norms(X, weights, activation):
            return np.zeros(len(weights))
    """),
    N("layer_gradient_norms", "ones", """
        def layer_gradient_norms(X, weights, activation):
            return np.ones(len(weights))
    """),
    N("layer_gradient_norms", "the weights' own norms", """
        def layer_gradient_norms(X, weights, activation):
            return np.array([np.linalg.norm(W) for W in weights])
    """),
)

QUIZ = (
    S("quiz.q1", "list", "q1 = [3, 5]"),
    S("quiz.q1", "the input's shape", "q1 = (16, 5)", diagnosis="(out, in) = (3, 5)"),
    S("quiz.q1", "in by out", "q1 = (5, 3)", diagnosis="the shape of its parameter"),
    S("quiz.q2", "float", "q2 = 0.0"),
    S("quiz.q2", "the feature axis", "q2 = 1", diagnosis="the batch axis, axis 0"),
    S("quiz.q3", "int", "q3 = 0"),
    S("quiz.q3", "one", "q3 = 1", diagnosis="PyTorch uses 0"),
    S("quiz.q4", "float", "q4 = 10.0"),
    S("quiz.q4", "one short", "q4 = 9", diagnosis="0.25^10 = 9.5e-7"),
    S("quiz.q5", "with parentheses", "q5 = '(b)'"),
    S("quiz.q5", "trusts it", "q5 = 'a'", diagnosis="almost always means a bug"),
    S("quiz.q6", "expression", "q6 = 2 * (4 - 1) / 4"),
    S("quiz.q6", "forgets the mean", "q6 = 6.0", diagnosis="n = 4 entries"),
)

CORPORA = (
    Corpus("03_backprop", "backprop.ipynb", BACKPROP),
    Corpus("03_backprop", "vanishing_gradients.ipynb", VANISHING),
    Corpus("03_backprop", "quiz.ipynb", QUIZ),
)
