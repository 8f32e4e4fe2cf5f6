"""numpy's broadcasting and matmul errors, explained with the shapes on the student's line.

numpy says "operands could not be broadcast together with shapes (3,4) (4,2)"; the student
needs "A is (3, 4), B is (4, 2). `*` multiplies elementwise; the matrix product sums over the
shared axis (A @ B fits, giving (3, 2); ...)". `explain(tb, message)` reads the failing
expression of the innermost student frame `tb`, looks up the arrays it names in that frame,
finds the operation whose operand shapes are the ones in numpy's message, and says the fix
those shapes support (none when they support none).

It runs where the student's code ran (the sealed worker, or this process for trusted
code), so it may parse that code, and it must stay harmless: the expression is parsed
(ast), never run; only real ndarrays are looked at, and only their `.shape`, so no student
object's method is ever called; everything is bounded; any failure means no explanation.
"""

from __future__ import annotations

import ast
import itertools
import linecache
import re
from dataclasses import dataclass
from types import TracebackType
from typing import cast

import numpy as np

from dlmath.engine.forbidden import TracedArray

MAX_SOURCE = 400  # characters of the failing expression worth reading
MAX_NAMES = 8  # arrays listed with their shapes
MAX_TEXT = 40  # characters of an operand's code in a message
MAX_HINT = 600

Shape = tuple[int, ...]
_SHAPE = re.compile(r"\(([\d, ]*)\)")
_BROADCAST = re.compile(r"could not be broadcast together with shapes ((?:\([\d,]*\) ?)+)")
_CORE = re.compile(r"mismatch in its core dimension \d+, with gufunc signature "
                   r"\(n\?,k\),\(k,m\?\)->\(n\?,m\?\) \(size (\d+) is different from (\d+)\)")
_ALIGNED = re.compile(r"shapes (\([\d,]*\)) and (\([\d,]*\)) not aligned")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_NUMPY = ("np", "numpy")
_ARRAYS = (np.ndarray, TracedArray)  # exactly these: the grader's tracing hands out the second
_NUMBERS = (int, float, np.float64, np.float32)
_SAME_SHAPE = frozenset({"exp", "log", "tanh", "sqrt", "abs", "absolute", "square", "sign",
                         "sin", "cos", "log1p", "expm1", "negative", "copy", "array", "asarray"})
_BROADCASTING = frozenset({"add", "subtract", "multiply", "divide", "maximum", "minimum",
                           "power"})
_ELEMENTWISE = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


@dataclass
class Op:
    """One binary operation of the expression: `left @ right`, `np.dot(left, right)`..."""

    node: ast.AST
    product: bool  # a matrix product (else elementwise, broadcasting)
    left: ast.expr
    right: ast.expr


@dataclass
class Failure:
    """What numpy's message says about the operands that failed."""

    product: bool
    shapes: tuple[Shape, Shape] | None = None  # both operands' shapes, when numpy names them
    sizes: tuple[int, int] | None = None  # (left's last axis, right's rows): a matmul's

    def matches(self, op: Op, left: Shape, right: Shape) -> bool:
        if op.product != self.product:
            return False
        if self.shapes is not None:
            return (left, right) == self.shapes
        return self.sizes is not None and 0 < len(left) <= 2 and 0 < len(right) <= 2 and (
            left[-1], right[0 if len(right) == 1 else -2]) == self.sizes


def explain(tb: TracebackType | None, message: str) -> str:
    """The shapes on the failing line and the fix they imply ('' when the message is not
    numpy's shape error, or nothing useful can be said). Never raises."""
    try:
        failure = parse_message(message)
        if failure is None or tb is None:
            return ""
        return _explain(tb, failure)[:MAX_HINT]
    except Exception:  # an explanation is a bonus: numpy's message stands without it
        return ""


def parse_message(message: str) -> Failure | None:
    if found := _BROADCAST.search(message):
        shapes = [_shape_of(s) for s in _SHAPE.findall(found.group(1))]
        # `Z += b` names the output too: (2,5) (3,) (2,5)
        return Failure(False, (shapes[0], shapes[1])) if len(shapes) in (2, 3) else None
    if found := _CORE.search(message):
        return Failure(True, sizes=(int(found.group(2)), int(found.group(1))))
    if found := _ALIGNED.search(message):
        return Failure(True, (_shape_of(found.group(1)[1:-1]), _shape_of(found.group(2)[1:-1])))
    return None


def _shape_of(text: str) -> Shape:
    return tuple(int(n) for n in text.split(",") if n.strip())


def _explain(tb: TracebackType, failure: Failure) -> str:
    source = failing_source(tb)
    if not source:
        return ""
    known, arrays = _values(tb.tb_frame.f_locals, _NAME.findall(source))
    shapes = [(name, known[name]) for name in arrays[:MAX_NAMES]]
    found = _find(_parse(source), known, failure)
    if found:  # the operands that are not names: `W @ X is (2, 5)`
        op, left, right = found
        shapes += [(_code(n), s) for n, s in ((op.left, left), (op.right, right))
                   if not isinstance(n, ast.Name)]
    sentences = [", ".join(f"{name} is {s}" for name, s in shapes)] if shapes else []
    sentences += _fix(*found, known) if found else []
    return " ".join(f"{sentence}." for sentence in sentences)


def failing_source(tb: TracebackType) -> str:
    """The code of the expression that raised (Python's position of the failing
    instruction), else its whole line; '' when longer than is worth reading."""
    filename, code = tb.tb_frame.f_code.co_filename, tb.tb_frame.f_code
    start, end, col, end_col = next(itertools.islice(
        code.co_positions(), tb.tb_lasti // 2, None), (None,) * 4)
    if start is None or end is None or col is None or end_col is None or end - start > 5:
        text = linecache.getline(filename, tb.tb_lineno).strip()
    else:  # columns count UTF-8 bytes
        lines = [linecache.getline(filename, n).encode() for n in range(start, end + 1)]
        lines[-1] = lines[-1][:end_col]
        lines[0] = lines[0][col:]
        text = b"".join(lines).decode(errors="replace")
    return text if len(text) <= MAX_SOURCE else ""


def _values(frame_locals: object, names: list[str]) -> tuple[dict[str, Shape], list[str]]:
    """The shapes of the names that are arrays or plain numbers (shape ()), and which of
    them are arrays. Only exact types are looked at: no student class's code runs."""
    if type(frame_locals) is not dict:  # a mapping of the student's making: not touched
        return {}, []
    known: dict[str, Shape] = {}
    arrays = []
    for name in dict.fromkeys(names):
        value = frame_locals.get(name)
        if any(type(value) is t for t in _ARRAYS):  # `is`: a subclass's .shape is code
            known[name] = tuple(cast(np.ndarray, value).shape)
            arrays.append(name)
        elif any(type(value) is t for t in _NUMBERS):  # `is`: a metaclass's == is code
            known[name] = ()
    return known, arrays


def _parse(source: str) -> ast.AST | None:
    # an expression (in parentheses, as it may span lines), or a statement (`Z += b`)
    for text, mode in ((f"({source}\n)", "eval"), (source, "exec")):
        try:
            return ast.parse(text, mode=mode)
        except SyntaxError:
            pass
    return None


def _find(tree: ast.AST | None, known: dict[str, Shape], failure: Failure
          ) -> tuple[Op, Shape, Shape] | None:
    """The first operation, in the order Python runs them, that fails as numpy said."""
    for node in _post_order(tree) if tree is not None else []:
        op = as_op(node)
        if op is None:
            continue
        left, right = shape(op.left, known), shape(op.right, known)
        if left is not None and right is not None and failure.matches(op, left, right):
            return op, left, right
    return None


def _post_order(node: ast.AST) -> list[ast.AST]:
    nodes = [n for child in ast.iter_child_nodes(node) for n in _post_order(child)]
    return nodes + [node]


def as_op(node: ast.AST) -> Op | None:
    if isinstance(node, ast.BinOp | ast.AugAssign):  # A @ B, A * B, Z += b
        left, right = (node.left, node.right) if isinstance(node, ast.BinOp) else (
            node.target, node.value)
        if isinstance(node.op, (ast.MatMult, *_ELEMENTWISE)):
            return Op(node, isinstance(node.op, ast.MatMult), left, right)
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and not node.keywords):
        return None
    owner, name, args = node.func.value, node.func.attr, node.args
    if _is_numpy(owner) and len(args) == 2 and name in ("dot", "matmul", *_BROADCASTING):
        return Op(node, name in ("dot", "matmul"), args[0], args[1])  # np.dot(A, B)
    if name == "dot" and len(args) == 1:
        return Op(node, True, owner, args[0])  # A.dot(B)
    return None


def _is_numpy(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in _NUMPY


def shape(node: ast.AST, known: dict[str, Shape]) -> Shape | None:
    """The shape `node` evaluates to, worked out from the shapes alone (None: unknown)."""
    if isinstance(node, ast.Name):
        return known.get(node.id)
    if isinstance(node, ast.Constant):
        return () if isinstance(node.value, int | float) else None
    if isinstance(node, ast.Attribute) and node.attr == "T":
        inner = shape(node.value, known)
        return None if inner is None else inner[::-1]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return shape(node.operand, known)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and len(
            node.args) == 1 and not node.keywords and _is_numpy(node.func.value):
        inner = shape(node.args[0], known)  # np.exp(Z), np.transpose(W)
        if node.func.attr == "transpose":
            return None if inner is None else inner[::-1]
        return inner if node.func.attr in _SAME_SHAPE else None
    op = as_op(node)
    if op is None or isinstance(node, ast.AugAssign):
        return None
    left, right = shape(op.left, known), shape(op.right, known)
    if left is None or right is None:
        return None
    return product(left, right) if op.product else broadcast(left, right)


def product(left: Shape, right: Shape) -> Shape | None:
    """The shape of `left @ right` for 1-D and 2-D operands, None when they do not fit."""
    if not (0 < len(left) <= 2 and 0 < len(right) <= 2):
        return None
    if left[-1] != right[0 if len(right) == 1 else -2]:
        return None
    return left[:-1] + right[1:]


def broadcast(left: Shape, right: Shape) -> Shape | None:
    try:
        return tuple(np.broadcast_shapes(left, right))
    except ValueError:
        return None


def _fix(op: Op, left: Shape, right: Shape, known: dict[str, Shape]) -> list[str]:
    """Sentences saying why the operation fails and what would fit, only as far as the
    shapes tell: no fix is claimed that the shapes do not support."""
    if op.product:
        return _product_fix(op, left, right, known)
    if isinstance(op.node, ast.BinOp) and isinstance(op.node.op, ast.Mult) and len(left) == 2 \
            and len(right) == 2 and left[1] == right[0]:
        alt = ast.BinOp(op.left, ast.MatMult(), op.right)
        return [f"`*` multiplies elementwise; the matrix product sums over the shared axis "
                f"({_code(alt)} fits, giving {product(left, right)}; where @ is not allowed, "
                "sum A[i, k] * B[k, j] over k)"]
    for vector, vec, other, matrix in ((op.right, right, op.left, left),
                                       (op.left, left, op.right, right)):
        if len(vec) == 1 and len(matrix) == 2 and matrix[0] == vec[0] != matrix[1]:
            column = ast.Subscript(vector, ast.Tuple([ast.Slice(), ast.Constant(None)]))
            reshaped = ast.Call(ast.Attribute(vector, "reshape"),
                                [ast.Constant(-1), ast.Constant(1)], [])
            return [f"A 1-D {_code(vector)} lines up with the last axis of {_code(other)} "
                    f"(size {matrix[1]}), not its first (size {matrix[0]}): make it a column, "
                    f"{_code(column)} or {_code(reshaped)}"]
    return [f"In {_code(op.node)}, each axis, counted from the right, needs the same size "
            "in both, or size 1 in one"]


def _product_fix(op: Op, left: Shape, right: Shape, known: dict[str, Shape]) -> list[str]:
    inner = right[0 if len(right) == 1 else -2]
    fits: dict[str, Shape] = {}  # the other ways to write it that fit: what they give
    for a, b in ((op.left, _transposed(op.right, right)),
                 (_transposed(op.left, left), op.right), (op.right, op.left)):
        fitted = _product_of(a, b, known)
        if a is not None and b is not None and fitted is not None:
            fits.setdefault(_code(_rebuilt(op, a, b)), fitted)
    sentences = [f"{_code(op.node)} does not fit: the inner sizes {left[-1]} and {inner} "
                 "differ"]
    if not fits:
        return sentences
    (alt, fitted), *others = list(fits.items())[:2]
    return sentences + [f"{alt} fits, giving {fitted}"
                        + "".join(f"; so does {a}, giving {f}" for a, f in others)]


def _product_of(left: ast.expr | None, right: ast.expr | None, known: dict[str, Shape]
                ) -> Shape | None:
    first = shape(left, known) if left is not None else None
    second = shape(right, known) if right is not None else None
    return product(first, second) if first is not None and second is not None else None


def _transposed(node: ast.expr, node_shape: Shape) -> ast.expr | None:
    """`W.T` for `W`, `W` for `W.T`; None for a 1-D array (its .T is itself)."""
    if len(node_shape) != 2:
        return None
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return node.value
    return ast.Attribute(node, "T")


def _rebuilt(op: Op, left: ast.expr, right: ast.expr) -> ast.AST:
    """The same operation, written the student's way, on other operands."""
    if isinstance(op.node, ast.Call) and isinstance(op.node.func, ast.Attribute):
        if op.node.args and len(op.node.args) == 2:
            return ast.Call(op.node.func, [left, right], [])
        return ast.Call(ast.Attribute(left, "dot"), [right], [])
    return ast.BinOp(left, ast.MatMult(), right)


def _code(node: ast.AST) -> str:
    text = ast.unparse(node).strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."
