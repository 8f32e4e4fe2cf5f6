"""The corpus of 01_linear_algebra: alternative correct solutions and realistic mistakes,
each with the diagnosis its feedback must contain; tests/test_graders.py grades every one."""

from dlmath.course import CellOrder, Corpus
from dlmath.course import Solution as S
from dlmath.course import does_nothing as N

LINEAR_ALGEBRA = (
    # transpose ---------------------------------------------------------------------------
    S("transpose", "nested list comprehension", """
        def transpose(A):
            return np.array([[A[i][j] for i in range(A.shape[0])] for j in range(A.shape[1])])
    """),
    S("transpose", "column stack", """
        def transpose(A):
            return np.stack([A[:, j] for j in range(A.shape[1])])
    """),
    S("transpose", "uses .T", """
        def transpose(A):
            return A.T.copy()
    """, diagnosis="uses .T"),
    S("transpose", "np.transpose via getattr", """
        def transpose(A):
            return getattr(np, "trans" + "pose")(A)
    """, diagnosis="seen while it ran"),
    S("transpose", "returns the input", """
        def transpose(A):
            return A.copy()
    """, diagnosis="has shape"),
    S("transpose", "only square matrices", """
        def transpose(A):
            B = A.copy()
            for i in range(A.shape[0]):
                for j in range(A.shape[1]):
                    B[i, j] = A[j, i]
            return B
    """, diagnosis="raised IndexError"),
    S("transpose", "transposes in place", """
        def transpose(A):
            n = A.shape[0]
            if A.shape[0] == A.shape[1]:
                for i in range(n):
                    for j in range(i + 1, n):
                        A[i, j], A[j, i] = A[j, i], A[i, j]
                return A
            return np.array([[A[i][j] for i in range(A.shape[0])] for j in range(A.shape[1])])
    """, diagnosis="in place"),
    S("transpose", "reshape for a transpose", """
        def transpose(A):
            rows, cols = A.shape
            return A.reshape(cols, rows)
    """, diagnosis="reshape reorders the numbers, it does not transpose"),
    S("transpose", "missing return", """
        def transpose(A):
            result = np.array([[A[i][j] for i in range(A.shape[0])] for j in range(A.shape[1])])
    """, diagnosis="return"),
    N("transpose", "returns A itself", """
        def transpose(A):
            return A
    """),
    N("transpose", "zeros of the transposed shape", """
        def transpose(A):
            return np.zeros((A.shape[1], A.shape[0]))
    """),
    N("transpose", "ones of the transposed shape", """
        def transpose(A):
            return np.ones((A.shape[1], A.shape[0]))
    """),
    # matmul ------------------------------------------------------------------------------
    S("matmul", "triple loop", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"shapes {A.shape} and {B.shape} do not align")
            C = np.zeros((A.shape[0], B.shape[1]))
            for i in range(A.shape[0]):
                for j in range(B.shape[1]):
                    for k in range(A.shape[1]):
                        C[i, j] += A[i, k] * B[k, j]
            return C
    """),
    S("matmul", "broadcast and sum", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"cannot multiply {A.shape[0]}x{A.shape[1]} by "
                                 f"{B.shape[0]}x{B.shape[1]}")
            return (A[:, :, None] * B[None, :, :]).sum(axis=1)
    """),
    S("matmul", "uses @", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"shapes {A.shape} and {B.shape}")
            return A @ B
    """, diagnosis="uses @"),
    S("matmul", "uses np.dot", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"shapes {A.shape} and {B.shape}")
            return np.dot(A, B)
    """, diagnosis="np.dot"),
    S("matmul", "swapped indices", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"shapes {A.shape} and {B.shape}")
            C = np.zeros((B.shape[1], A.shape[0]))
            for i in range(A.shape[0]):
                for j in range(B.shape[1]):
                    C[j, i] = np.sum(A[i, :] * B[:, j])
            return C
    """, diagnosis="transpose of the expected"),
    S("matmul", "no shape check", """
        def matmul(A, B):
            C = np.zeros((A.shape[0], B.shape[1]))
            for i in range(A.shape[0]):
                for j in range(B.shape[1]):
                    C[i, j] = np.sum(A[i, :] * B[:, j])
            return C
    """, diagnosis="name both shapes"),
    S("matmul", "raises the wrong error", """
        def matmul(A, B):
            assert A.shape[1] == B.shape[0], f"shapes {A.shape} and {B.shape}"
            C = np.zeros((A.shape[0], B.shape[1]))
            for i in range(A.shape[0]):
                for j in range(B.shape[1]):
                    C[i, j] = np.sum(A[i, :] * B[:, j])
            return C
    """, diagnosis="raised AssertionError, expected ValueError"),
    S("matmul", "inner loop reads one column of B", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"shapes {A.shape} and {B.shape} do not align")
            C = np.zeros((A.shape[0], B.shape[1]))
            for i in range(A.shape[0]):
                for j in range(B.shape[1]):
                    for k in range(A.shape[1]):
                        C[i][j] += A[i][k] * B[k][0]
            return C
    """, diagnosis="every row of the result repeats one value along each row: an index that "
                   "should vary there goes unused"),
    S("matmul", "inner loop reads one row of A", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"shapes {A.shape} and {B.shape} do not align")
            n, m = A.shape
            p = B.shape[1]
            C = np.zeros((n, p))
            for i in range(n):
                for j in range(p):
                    C[i, j] = sum(A[0, k] * B[k, j] for k in range(m))
            return C
    """, diagnosis="every column of the result repeats one value down each column: an index "
                   "that should vary there goes unused"),
    S("matmul", "elementwise *", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"cannot multiply {A.shape} by {B.shape}")
            return A * B
    """, diagnosis="`*` multiplies elementwise; the matrix product sums over the shared axis"),
    S("matmul", "integer accumulator", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"shapes {A.shape} and {B.shape}")
            C = np.zeros((A.shape[0], B.shape[1]), dtype=int)
            for i in range(A.shape[0]):
                for j in range(B.shape[1]):
                    C[i, j] = np.sum(A[i, :] * B[:, j])
            return C
    """, diagnosis="integer arithmetic truncates"),
    N("matmul", "returns A", """
        def matmul(A, B):
            return A
    """),
    N("matmul", "zeros of the product's shape", """
        def matmul(A, B):
            return np.zeros((A.shape[0], B.shape[1]))
    """),
    N("matmul", "ones of the product's shape", """
        def matmul(A, B):
            return np.ones((A.shape[0], B.shape[1]))
    """),
    N("matmul", "zeros behind the shape check", """
        def matmul(A, B):
            if A.shape[1] != B.shape[0]:
                raise ValueError(f"cannot multiply {A.shape} by {B.shape}")
            return np.zeros((A.shape[0], B.shape[1]))
    """),
    # dot ---------------------------------------------------------------------------------
    S("dot", "loop", """
        def dot(u, v):
            total = 0.0
            for a, b in zip(u, v):
                total += a * b
            return total
    """),
    S("dot", "np.dot", """
        def dot(u, v):
            return np.dot(u, v)
    """),
    S("dot", "einsum", """
        def dot(u, v):
            return np.einsum("i,i->", u, v)
    """),
    S("dot", "forgets the sum", """
        def dot(u, v):
            return u * v
    """, diagnosis="the sum (or other reduction) is missing"),
    S("dot", "sums the sum", """
        def dot(u, v):
            return float(np.sum(u + v))
    """, diagnosis="adding instead of multiplying, sum(u + v)"),
    S("dot", "outer product", """
        def dot(u, v):
            return np.outer(u, v)
    """, diagnosis="has shape"),
    S("dot", "averages", """
        def dot(u, v):
            return float(np.mean(u * v))
    """, diagnosis="averaging the products instead of summing them"),
    S("dot", "multiplies the sums", """
        def dot(u, v):
            return float(np.sum(u) * np.sum(v))
    """, diagnosis="summing each vector, then multiplying (multiply elementwise, then sum)"),
    S("dot", "returns a list", """
        def dot(u, v):
            return [float(np.sum(u * v))]
    """, diagnosis="a list"),
    N("dot", "returns u", """
        def dot(u, v):
            return u
    """),
    N("dot", "zero", """
        def dot(u, v):
            return 0.0
    """),
    N("dot", "one", """
        def dot(u, v):
            return 1.0
    """),
    # vector_norm -------------------------------------------------------------------------
    S("vector_norm", "np.linalg.norm of the flattened array", """
        def vector_norm(x, ord=2):
            return np.linalg.norm(np.ravel(x), ord)
    """),
    S("vector_norm", "power formula", """
        def vector_norm(x, ord=2):
            a = np.abs(x).ravel()
            if ord == np.inf:
                return a.max()
            return np.sum(a ** ord) ** (1.0 / ord)
    """),
    S("vector_norm", "no square root", """
        def vector_norm(x, ord=2):
            a = np.abs(np.ravel(x))
            if ord == 1:
                return np.sum(a)
            if ord == np.inf:
                return np.max(a)
            return np.sum(a * a)
    """, diagnosis="summing the squares without the square root"),
    S("vector_norm", "x @ x for the 2-norm", """
        def vector_norm(x, ord=2):
            x = x.flatten()
            if ord == 1:
                return np.abs(x).sum()
            if ord == np.inf:
                return np.abs(x).max()
            return x @ x
    """, diagnosis="summing the squares without the square root"),
    S("vector_norm", "L1 without abs", """
        def vector_norm(x, ord=2):
            x = np.ravel(x)
            if ord == 1:
                return np.sum(x)
            if ord == np.inf:
                return np.max(np.abs(x))
            return np.sqrt(np.sum(x * x))
    """, diagnosis="summing x without abs"),
    S("vector_norm", "inf-norm without abs", """
        def vector_norm(x, ord=2):
            x = np.ravel(x)
            if ord == 1:
                return np.sum(np.abs(x))
            if ord == np.inf:
                return np.max(x)
            return np.sqrt(np.sum(x * x))
    """, diagnosis="taking the max of x without abs"),
    S("vector_norm", "no abs anywhere", """
        def vector_norm(x, ord=2):
            x = x.ravel()
            if ord == 1:
                return float(np.sum(x))
            elif ord == np.inf:
                return float(np.max(x))
            return float(np.sqrt(np.sum(x ** 2)))
    """, diagnosis="without abs"),
    S("vector_norm", "per-row norms", """
        def vector_norm(x, ord=2):
            return np.linalg.norm(x, ord, axis=-1)
    """, diagnosis="has shape"),
    S("vector_norm", "ignores ord", """
        def vector_norm(x, ord=2):
            return np.sqrt(np.sum(np.ravel(x) ** 2))
    """, diagnosis="ignoring ord (this is the 2-norm)"),
    N("vector_norm", "returns x", """
        def vector_norm(x, ord=2):
            return x
    """),
    N("vector_norm", "zero", """
        def vector_norm(x, ord=2):
            return 0.0
    """),
    N("vector_norm", "one", """
        def vector_norm(x, ord=2):
            return 1.0
    """),
    # cosine_similarity -------------------------------------------------------------------
    S("cosine_similarity", "normalize first (torch's clamp per norm)", """
        def cosine_similarity(u, v, eps=1e-8):
            nu, nv = np.linalg.norm(u), np.linalg.norm(v)
            return float(np.dot(u / max(nu, eps), v / max(nv, eps)))
    """),
    S("cosine_similarity", "eps added to the denominator", """
        def cosine_similarity(u, v, eps=1e-8):
            return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + eps))
    """),
    S("cosine_similarity", "dot only", """
        def cosine_similarity(u, v, eps=1e-8):
            return float(np.dot(u, v))
    """, diagnosis="without dividing by the norms"),
    S("cosine_similarity", "NaN for zero vectors", """
        def cosine_similarity(u, v, eps=1e-8):
            return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    """, diagnosis="NaN"),
    S("cosine_similarity", "divides by one norm", """
        def cosine_similarity(u, v, eps=1e-8):
            return float(np.dot(u, v) / max(np.linalg.norm(u) ** 2, eps))
    """, diagnosis="dividing by the norm of u squared instead of |u| |v|"),
    S("cosine_similarity", "squared norms", """
        def cosine_similarity(u, v, eps=1e-8):
            return float(np.dot(u, v) / max(np.sum(u * u) * np.sum(v * v), eps))
    """, diagnosis="dividing by the squared norms (their square roots are missing)"),
    S("cosine_similarity", "norms without square roots", """
        def cosine_similarity(u, v, eps=1e-8):
            norm_u = np.dot(u, u)
            norm_v = np.dot(v, v)
            return float(np.dot(u, v) / (norm_u * norm_v + eps))
    """, diagnosis="dividing by the squared norms (their square roots are missing)"),
    S("cosine_similarity", "norms added", """
        def cosine_similarity(u, v, eps=1e-8):
            return float(np.dot(u, v) / max(np.linalg.norm(u) + np.linalg.norm(v), eps))
    """, diagnosis="adding the norms instead of multiplying them"),
    N("cosine_similarity", "returns u", """
        def cosine_similarity(u, v, eps=1e-8):
            return u
    """),
    N("cosine_similarity", "zero", """
        def cosine_similarity(u, v, eps=1e-8):
            return 0.0
    """),
    N("cosine_similarity", "one", """
        def cosine_similarity(u, v, eps=1e-8):
            return 1.0
    """),
    N("cosine_similarity", "minus one", """
        def cosine_similarity(u, v, eps=1e-8):
            return -1.0
    """),
    # linear_forward ----------------------------------------------------------------------
    S("linear_forward", "einsum", """
        def linear_forward(X, W, b):
            return np.einsum("ni,oi->no", X, W) + b
    """),
    S("linear_forward", "row loop", """
        def linear_forward(X, W, b):
            return np.stack([W @ x + b for x in X])
    """),
    S("linear_forward", "forgets the bias", """
        def linear_forward(X, W, b):
            return X @ W.T
    """, diagnosis="forgetting the bias"),
    S("linear_forward", "W X^T", """
        def linear_forward(X, W, b):
            return W @ X.T + b[:, None]
    """, diagnosis="transpose of the expected"),
    S("linear_forward", "bias as a column", """
        def linear_forward(X, W, b):
            return X @ W.T + b.reshape(-1, 1)
    """, diagnosis="raised ValueError"),
    S("linear_forward", "subtracts the bias", """
        def linear_forward(X, W, b):
            return X @ W.T - b
    """, diagnosis="subtracting the bias b"),
    S("linear_forward", "X W without transpose", """
        def linear_forward(X, W, b):
            return X @ W + b
    """, diagnosis="X @ W.T fits"),
    S("linear_forward", "np.dot(X, W) without transpose", """
        def linear_forward(X, W, b):
            Z = np.dot(X, W)
            return Z + b
    """, diagnosis="np.dot(X, W.T) fits"),
    N("linear_forward", "returns X", """
        def linear_forward(X, W, b):
            return X
    """),
    N("linear_forward", "zeros of the output's shape", """
        def linear_forward(X, W, b):
            return np.zeros((X.shape[0], W.shape[0]))
    """),
    N("linear_forward", "ones of the output's shape", """
        def linear_forward(X, W, b):
            return np.ones((X.shape[0], W.shape[0]))
    """),
    N("linear_forward", "b on every row", """
        def linear_forward(X, W, b):
            return np.tile(b, (X.shape[0], 1))
    """),
    # linear_forward_columns --------------------------------------------------------------
    S("linear_forward_columns", "via the row convention", """
        def linear_forward_columns(W, X, b):
            return (X.T @ W.T + b.ravel()).T
    """),
    S("linear_forward_columns", "einsum", """
        def linear_forward_columns(W, X, b):
            return np.einsum("oi,in->on", W, X) + b
    """),
    S("linear_forward_columns", "returns rows", """
        def linear_forward_columns(W, X, b):
            return X.T @ W.T + b.ravel()
    """, diagnosis="transpose of the expected"),
    S("linear_forward_columns", "flattened bias", """
        def linear_forward_columns(W, X, b):
            return W @ X + b.ravel()
    """, diagnosis="adding b as a row"),
    S("linear_forward_columns", "bias flattened to a vector", """
        def linear_forward_columns(W, X, b):
            bias = b.flatten()
            return W @ X + bias
    """, diagnosis="adding b as a row (b.T or a flattened b; it must stay a column)"),
    S("linear_forward_columns", "forgets the bias", """
        def linear_forward_columns(W, X, b):
            return W @ X
    """, diagnosis="forgetting the bias"),
    S("linear_forward_columns", "bias transposed", """
        def linear_forward_columns(W, X, b):
            return W @ X + b.T
    """, diagnosis="adding b as a row"),
    N("linear_forward_columns", "returns W", """
        def linear_forward_columns(W, X, b):
            return W
    """),
    N("linear_forward_columns", "returns X", """
        def linear_forward_columns(W, X, b):
            return X
    """),
    N("linear_forward_columns", "zeros of the output's shape", """
        def linear_forward_columns(W, X, b):
            return np.zeros((W.shape[0], X.shape[1]))
    """),
    N("linear_forward_columns", "ones of the output's shape", """
        def linear_forward_columns(W, X, b):
            return np.ones((W.shape[0], X.shape[1]))
    """),
    N("linear_forward_columns", "b in every column", """
        def linear_forward_columns(W, X, b):
            return np.tile(b, (1, X.shape[1]))
    """),
    # batch_matmul ------------------------------------------------------------------------
    S("batch_matmul", "matmul broadcasting", """
        def batch_matmul(A, B):
            return np.matmul(A, B)
    """),
    S("batch_matmul", "einsum", """
        def batch_matmul(A, B):
            if B.ndim == 2:
                return np.einsum("bnm,mp->bnp", A, B)
            return np.einsum("bnm,bmp->bnp", A, B)
    """),
    S("batch_matmul", "only batched B", """
        def batch_matmul(A, B):
            return np.stack([A[i] @ B[i] for i in range(A.shape[0])])
    """, diagnosis="B[i] would be only its row i"),
    S("batch_matmul", "first item only", """
        def batch_matmul(A, B):
            if B.ndim == 2:
                return A @ B
            return A @ B[0]
    """, diagnosis="using B[0] for every item"),
    S("batch_matmul", "transposed items", """
        def batch_matmul(A, B):
            return np.swapaxes(A @ B, 1, 2)
    """, diagnosis="the transpose of each item's product"),
    S("batch_matmul", "elementwise product", """
        def batch_matmul(A, B):
            if B.ndim == 2:
                return np.stack([A[i] @ B for i in range(A.shape[0])])
            return np.stack([A[i] * B[i] for i in range(A.shape[0])])
    """, diagnosis="raised ValueError"),
    N("batch_matmul", "returns A", """
        def batch_matmul(A, B):
            return A
    """),
    N("batch_matmul", "zeros of the product's shape", """
        def batch_matmul(A, B):
            return np.zeros((A.shape[0], A.shape[1], B.shape[-1]))
    """),
    N("batch_matmul", "ones of the product's shape", """
        def batch_matmul(A, B):
            return np.ones((A.shape[0], A.shape[1], B.shape[-1]))
    """),
)

QUIZ = (
    S("quiz.q1", "a list", "q1 = [4, 10]"),
    S("quiz.q1", "numpy shape", "q1 = np.zeros((4, 10)).shape"),
    S("quiz.q1", "row convention", "q1 = (10, 4)", diagnosis="(4, 10)"),
    S("quiz.q2", "list", "q2 = [32, 3, 224, 224]"),
    S("quiz.q2", "NHWC", "q2 = (32, 224, 224, 3)", diagnosis="NCHW"),
    S("quiz.q3", "float", "q3 = 4.0"),
    S("quiz.q3", "counts pixels", "q3 = 3", diagnosis="number of axes"),
    S("quiz.q4", "expression", "q4 = 64 * 128 * 32"),
    S("quiz.q4", "counts outputs", "q4 = 64 * 32", diagnosis="262144"),
    S("quiz.q5", "string", "q5 = 'A, C, D'"),
    S("quiz.q5", "set", "q5 = {'d', 'c', 'a'}"),
    S("quiz.q5", "misses C @ A", "q5 = ['a', 'c']", diagnosis="inner sizes agree"),
    S("quiz.q6", "int", "q6 = 0"),
    S("quiz.q6", "one", "q6 = 1.0", diagnosis="zero dot product"),
    S("quiz.q6", "a string", "q6 = 'zero'", diagnosis="expected a number"),
)

# A helper pasted into the cell that uses it (cosine_similarity's): `dot` is graded on the
# definition in force at its own graded cell, above it.
MEAN_DOT = """
    def dot(u, v):
        return float(np.mean(u * v))  # a mean: the 1/n cancels in the cosine
"""
COSINE_WITH = """
    {dot}

    def cosine_similarity(u, v, eps=1e-8):
        return dot(u, v) / max(np.sqrt(dot(u, u)) * np.sqrt(dot(v, v)), eps)
"""
RIGHT_DOT = """
    def dot(u, v):
        return float(np.sum(u * v))
"""
CELL_ORDER = (
    CellOrder("dot", "a worse dot pasted into a later cell", (
        ("cosine_similarity_solution", COSINE_WITH.format(dot=MEAN_DOT.strip())),
    ), baseline=()),
    CellOrder("dot", "a better dot pasted into a later cell", (
        ("dot_solution", MEAN_DOT),
        ("cosine_similarity_solution", COSINE_WITH.format(dot=RIGHT_DOT.strip())),
    ), baseline=(("dot_solution", MEAN_DOT),)),
    CellOrder("dot", "defined only in a later cell", (
        ("dot_solution", "# dot is defined with cosine_similarity, below"),
        ("cosine_similarity_solution", COSINE_WITH.format(dot=RIGHT_DOT.strip())),
    ), diagnosis="`dot` is defined only in cell"),
)

CORPORA = (
    Corpus("01_linear_algebra", "linear_algebra.ipynb", LINEAR_ALGEBRA, CELL_ORDER),
    Corpus("01_linear_algebra", "quiz.ipynb", QUIZ),
)
