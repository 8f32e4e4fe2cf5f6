"""Messages between the grader and a sealed worker, encoded without pickle.

A frame is  b"DLM1" | u32 header length | u32 buffer count | u64 length of each buffer |
the header (JSON) | the buffers (raw array bytes). Values inside a header are JSON
scalars and lists; everything else is a one-key object naming its type:
    {"tuple": [...]}  {"dict": {...}}  {"array": [dtype, shape, buffer, order]}
    {"scalar": [dtype, buffer]}  {"int": "<hex>"}  {"complex": [re, im]}
    {"rng": <bit generator state>}  {"fn": "<registered grader function>"}
The last two travel only from the grader to the worker. A frame from a worker is
untrusted: decoding checks every size, dtype and shape, and can only fail; every string a
frame carries is made valid text (dlmath/text.py) as it is read, so nothing after it, no
notebook, feedback or gradebook, meets a lone surrogate.
"""

from __future__ import annotations

import array
import json
import math
import re
import socket
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlmath import callables
from dlmath.text import valid_strings

MAGIC = b"DLM1"
_PREFIX = struct.Struct("!4sII")
_LENGTH = struct.Struct("!Q")
MAX_HEADER_BYTES = 64 * 2**20
MAX_DEPTH = 40  # tagged values nest about twice as deep as the plain data they carry
MAX_NDIM = 32
_DTYPE = re.compile(r"[<>|=][biufc][0-9]{1,2}")
# Where JSON can carry a lone surrogate: an escape \uD800 to \uDFFF, or such a code point's
# bytes (json.loads decodes bytes with "surrogatepass"). A header with neither is not walked.
_MAY_HOLD_SURROGATES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class ProtocolError(ValueError):
    """A frame or value that does not follow the protocol (a worker tampered with it)."""


# --- values -------------------------------------------------------------------------------

class Encoder:
    """Turns a value into a JSON tree plus raw buffers. `objects` allows the two kinds of
    value only the grader sends: numpy Generators and registered grader functions."""

    def __init__(self, objects: bool = False):
        self.objects = objects
        self.buffers: list[bytes] = []

    def value(self, v: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise TypeError(f"a value nested more than {MAX_DEPTH} levels deep")
        t = type(v)
        if v is None or t in (bool, str, float):
            return v
        if t is int:
            return v if abs(v) < 2**63 else {"int": hex(v)}
        if t is complex:
            return {"complex": [v.real, v.imag]}
        if t is list:
            return [self.value(x, depth + 1) for x in v]
        if t is tuple:
            return {"tuple": [self.value(x, depth + 1) for x in v]}
        if t is dict:
            return {"dict": self._dict(v, depth)}
        if isinstance(v, np.ndarray):
            return {"array": self._array(v)}
        if isinstance(v, np.generic) and v.dtype.kind in "biufc":
            dtype, _, index, _ = self._array(np.asarray(v))
            return {"scalar": [dtype, index]}
        if self.objects and isinstance(v, np.random.Generator):
            return {"rng": self.value(v.bit_generator.state, depth + 1)}
        if self.objects and isinstance(v, callables.GraderFunction):
            if callables.REGISTRY.get(v.name) is not v:
                raise TypeError(f"grader function {v.name!r} is not registered")
            return {"fn": v.name}
        raise TypeError(f"a {t.__module__}.{t.__qualname__} cannot be sent to a sealed "
                        "worker: pass plain data, a numpy Generator, or a function "
                        "registered in dlmath.callables")

    def _dict(self, v: dict, depth: int) -> dict:
        if not all(type(k) is str for k in v):
            raise TypeError("only dicts with string keys can cross to a sealed worker")
        return {k: self.value(x, depth + 1) for k, x in v.items()}

    def _array(self, v: np.ndarray) -> list:
        a = np.asarray(v)
        if a.dtype.kind not in "biufc" or a.dtype.fields or a.dtype.subdtype:
            raise TypeError(f"an array of dtype {a.dtype} cannot cross to a sealed worker")
        fortran = a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous
        self.buffers.append((a.T if fortran else a).tobytes())
        return [a.dtype.str, list(a.shape), len(self.buffers) - 1, "F" if fortran else "C"]


class Decoder:
    """Rebuilds values from a JSON tree and buffers, checking everything."""

    def __init__(self, buffers: list[memoryview], objects: bool = False):
        self.buffers = buffers
        self.objects = objects

    def value(self, tree: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("a value nested too deeply")
        if tree is None or type(tree) in (bool, str, int, float):
            return tree
        if type(tree) is list:
            return [self.value(x, depth + 1) for x in tree]
        if type(tree) is dict and len(tree) == 1:
            ((tag, body),) = tree.items()
            decode: Callable[[Decoder, Any, int], Any] | None = (
                _TAGS.get(tag) if self.objects or tag not in ("rng", "fn") else None)
            if decode is not None:
                try:
                    return decode(self, body, depth)
                except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
                    if isinstance(exc, ProtocolError):
                        raise
                    raise ProtocolError(f"a malformed {tag}: {exc}") from None
        raise ProtocolError(f"not a value of the protocol: {str(tree)[:80]}")

    def _tuple(self, body: list, depth: int) -> tuple:
        return tuple(self.value(_typed(body, list), depth + 1))

    def _dict(self, body: dict, depth: int) -> dict:
        return {k: self.value(x, depth + 1) for k, x in _typed(body, dict).items()}

    def _int(self, body: str, depth: int) -> int:
        if len(_typed(body, str)) > 10_000:
            raise ProtocolError("an integer too large to decode")
        return int(body, 16)

    def _complex(self, body: list, depth: int) -> complex:
        re_, im = _typed(body, list)
        return complex(_typed(re_, float, int), _typed(im, float, int))

    def _array(self, body: list, depth: int) -> np.ndarray:
        dtype_text, shape, index, order = _typed(body, list)
        dtype = _dtype(dtype_text)
        shape = _shape(shape)
        buffer = self.buffers[_typed(index, int)]
        if math.prod(shape) * dtype.itemsize != len(buffer):
            raise ProtocolError(f"an array of shape {tuple(shape)} does not fit its buffer")
        flat = np.frombuffer(buffer, dtype=dtype)
        if order == "F":
            return flat.reshape(shape[::-1]).T.copy(order="K")
        if order != "C":
            raise ProtocolError(f"unknown array order {order!r}")
        return flat.reshape(shape).copy()

    def _scalar(self, body: list, depth: int) -> Any:
        dtype_text, index = _typed(body, list)
        return self._array([dtype_text, [], index, "C"], depth)[()]  # a numpy scalar

    def _rng(self, body: Any, depth: int) -> np.random.Generator:
        state = self.value(body, depth + 1)
        name = _typed(state, dict).get("bit_generator")
        if name not in BIT_GENERATORS:
            raise ProtocolError(f"unknown bit generator {name!r}")
        bits = getattr(np.random, name)()
        bits.state = state
        return np.random.Generator(bits)

    def _fn(self, body: str, depth: int) -> callables.GraderFunction:
        return callables.lookup(_typed(body, str))


_TAGS: dict[str, Callable[[Decoder, Any, int], Any]] = {
    "tuple": Decoder._tuple, "dict": Decoder._dict, "int": Decoder._int,
    "complex": Decoder._complex, "array": Decoder._array, "scalar": Decoder._scalar,
    "rng": Decoder._rng, "fn": Decoder._fn}


def _typed(value: Any, *types: type) -> Any:
    if type(value) not in types:
        raise ProtocolError(f"expected {' or '.join(t.__name__ for t in types)}, "
                            f"got {type(value).__name__}")
    return value


def _dtype(text: Any) -> np.dtype:
    if not isinstance(text, str) or not _DTYPE.fullmatch(text):
        raise ProtocolError(f"dtype {str(text)[:20]!r} is not a numeric dtype")
    dtype = np.dtype(text)
    if dtype.kind not in "biufc" or dtype.hasobject:
        raise ProtocolError(f"dtype {dtype} is not a numeric dtype")
    return dtype


def _shape(shape: Any) -> list[int]:
    if type(shape) is not list or len(shape) > MAX_NDIM or not all(
            type(n) is int and 0 <= n < 2**40 for n in shape):
        raise ProtocolError(f"not an array shape: {str(shape)[:40]}")
    return shape


def generators(value: Any) -> list[np.random.Generator]:
    """The Generators in a call's arguments, in an order both sides agree on: their
    states travel back after the call, as a local call would have advanced them."""
    if isinstance(value, np.random.Generator):
        return [value]
    if isinstance(value, (list, tuple)):
        return [g for v in value for g in generators(v)]
    if isinstance(value, dict):
        return [g for v in value.values() for g in generators(v)]
    return []


def encode(value: Any, objects: bool = False) -> tuple[Any, list[bytes]]:
    """A value as (JSON tree, buffers): the shortcut for one value per message."""
    encoder = Encoder(objects)
    return encoder.value(value), encoder.buffers


def decode(tree: Any, buffers: list[memoryview], objects: bool = False) -> Any:
    return Decoder(buffers, objects).value(tree)


def round_trip(value: Any, objects: bool = False) -> Any:
    """Encode and decode in memory, through JSON text: what a value becomes on the way."""
    tree, buffers = encode(value, objects)
    header = json.loads(json.dumps(tree, allow_nan=True))
    return decode(header, [memoryview(b) for b in buffers], objects)


# --- frames ---------------------------------------------------------------------------------

def _header_bytes(header: dict) -> bytes:
    return json.dumps(header, separators=(",", ":"), allow_nan=True).encode()


def frame_parts(header: dict, buffers: Sequence[bytes] = ()) -> list[bytes]:
    """A frame as the pieces to write in turn: one piece when it is small (one write, one
    wake-up of the reader), else its head and then each buffer as it is."""
    head = _header_bytes(header)
    prefix = _PREFIX.pack(MAGIC, len(head), len(buffers)) + b"".join(
        _LENGTH.pack(len(b)) for b in buffers)
    if sum(len(b) for b in buffers) < 2**16:
        return [b"".join([prefix, head, *buffers])]
    return [prefix + head, *buffers]


def send(sock: socket.socket, header: dict, buffers: Sequence[bytes] = (),
         fds: Sequence[int] = ()) -> None:
    """Write one frame; file descriptors ride along with its first bytes."""
    first, *rest = frame_parts(header, buffers)
    if fds:
        sent = sock.sendmsg([first], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                       array.array("i", fds))])
        sock.sendall(first[sent:])
    else:
        sock.sendall(first)
    for buffer in rest:
        sock.sendall(buffer)


def receive(sock: socket.socket, max_bytes: int, deadline: float | None = None,
            fds: list[int] | None = None) -> tuple[dict, list[memoryview]]:
    """Read one frame (header, buffers). Raises EOFError when the peer closed, TimeoutError
    past `deadline` (time.monotonic), ProtocolError on anything malformed or too large.
    Sizes are checked before the body is read: a liar costs nothing."""
    prefix = _read(sock, _PREFIX.size, deadline, fds)
    magic, head_length, count = _PREFIX.unpack(prefix)
    _check_prefix(magic, head_length, count, max_bytes)
    lengths = struct.unpack(f"!{count}Q", _read(sock, count * _LENGTH.size, deadline))
    total = _check_total(head_length, lengths, max_bytes)
    return _parse(_read(sock, total, deadline), head_length, lengths)


class FrameReader:
    """The frames of one stream socket, read a chunk at a time: a small frame costs one
    `recv`, not three (its prefix, its lengths, its body), and bytes that came after it
    wait for the next frame. Sizes are checked as in `receive` before a body is read.

    With a blocking socket, `frame` waits for a whole frame. With a non-blocking one
    (the grader's side, which waits in `poll` itself), it returns None when the frame has
    not all arrived yet; call it again when the socket is readable."""

    CHUNK = 2**16

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.pending = bytearray()  # received, not yet handed out
        self.body: bytearray | None = None  # a large frame, read straight into its place
        self.filled, self.head_length = 0, 0
        self.sizes: tuple[int, ...] = ()
        self.chunk = memoryview(bytearray(self.CHUNK))  # each recv's landing place

    def frame(self, max_bytes: int) -> tuple[dict, list[memoryview]] | None:
        if self.body is None:
            lengths = self._lengths(max_bytes)
            if lengths is None:
                return None
            start, head_length, sizes = lengths
            end = start + head_length + sum(sizes)
            if end - len(self.pending) > self.CHUNK:  # large: no copies through pending
                self.body = bytearray(end - start)
                self.filled = len(self.pending) - start
                self.body[:self.filled] = memoryview(self.pending)[start:]
                self.pending = bytearray()
                self.head_length, self.sizes = head_length, sizes
            elif not self._fill(end):
                return None
            else:
                small = self.pending[start:end]
                del self.pending[:end]
                return _parse(small, head_length, sizes)
        view = memoryview(self.body)
        while self.filled < len(self.body):
            got = self._recv(view[self.filled:])
            if got is None:
                return None
            self.filled += got
        body, self.body = self.body, None
        return _parse(body, self.head_length, self.sizes)

    def _lengths(self, max_bytes: int) -> tuple[int, int, tuple[int, ...]] | None:
        if not self._fill(_PREFIX.size):
            return None
        magic, head_length, count = _PREFIX.unpack_from(self.pending)
        _check_prefix(magic, head_length, count, max_bytes)
        start = _PREFIX.size + count * _LENGTH.size
        if not self._fill(start):
            return None
        sizes = struct.unpack_from(f"!{count}Q", self.pending, _PREFIX.size)
        _check_total(head_length, sizes, max_bytes)
        return start, head_length, sizes

    def _fill(self, n: int) -> bool:
        """At least `n` bytes pending; False if the socket has none to give now."""
        while len(self.pending) < n:
            got = self._recv(self.chunk)
            if got is None:
                return False
            self.pending += self.chunk[:got]
        return True

    def _recv(self, view: memoryview) -> int | None:
        try:
            got = self.sock.recv_into(view)
        except BlockingIOError:
            return None
        if got == 0:
            raise EOFError("the peer closed the channel")
        return got


def _check_prefix(magic: bytes, head_length: int, count: int, max_bytes: int) -> None:
    if magic != MAGIC:
        raise ProtocolError("a frame without the protocol's magic bytes")
    if head_length > min(max_bytes, MAX_HEADER_BYTES) or count * _LENGTH.size > max_bytes:
        raise ProtocolError(f"a frame header of {head_length} bytes and {count} buffers")


def _check_total(head_length: int, sizes: Sequence[int], max_bytes: int) -> int:
    total = head_length + sum(sizes)
    if total > max_bytes:
        raise ProtocolError(f"a frame of {total} bytes, more than the {max_bytes} allowed")
    return total


def _parse(body: bytes | bytearray, head_length: int, sizes: Sequence[int]
           ) -> tuple[dict, list[memoryview]]:
    """A frame's header (checked JSON, valid text) and buffers (views of `body`)."""
    view = memoryview(body)
    head = bytes(view[:head_length])
    try:
        header = json.loads(head)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"a frame header that is not JSON: {exc}") from None
    if type(header) is not dict:
        raise ProtocolError("a frame header that is not a JSON object")
    if _MAY_HOLD_SURROGATES.search(head):
        header = valid_strings(header)
    buffers, offset = [], head_length
    for length in sizes:
        buffers.append(view[offset:offset + length])
        offset += length
    return header, buffers


def _read(sock: socket.socket, n: int, deadline: float | None,
          fds: list[int] | None = None) -> bytearray:
    data = bytearray(n)
    view, got = memoryview(data), 0
    while got < n:
        timeout = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
        if timeout is not None or sock.gettimeout() is not None:  # each setting is a syscall
            sock.settimeout(timeout)
        try:
            if fds is None:
                k = sock.recv_into(view[got:])
            else:
                k = _recv_with_fds(sock, view[got:], fds)
        except TimeoutError:
            raise TimeoutError("the peer did not answer in time") from None
        if k == 0:
            raise EOFError("the peer closed the channel")
        got += k
    return data


def _recv_with_fds(sock: socket.socket, view: memoryview, fds: list[int]) -> int:
    room = socket.CMSG_SPACE(16 * array.array("i").itemsize)
    k, ancillary, _flags, _addr = sock.recvmsg_into([view], room)
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            received = array.array("i")
            received.frombytes(data[: len(data) - len(data) % received.itemsize])
            fds.extend(received)
    return k
