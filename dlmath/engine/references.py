"""PyTorch references, computed once per input.

A grader wraps each reference in `@reference`; the result is cached by the function and a
digest of its inputs, so grading a class computes each reference once for the batch.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

_CACHE: dict[tuple[str, str], Any] = {}


def _digest(value: Any, h: Any) -> None:
    if isinstance(value, np.ndarray):
        h.update(f"a{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (tuple, list)):
        h.update(f"{type(value).__name__}{len(value)}(".encode())
        for v in value:
            _digest(v, h)
        h.update(b")")
    elif isinstance(value, dict):
        h.update(b"{")
        for k in sorted(value):
            h.update(repr(k).encode())
            _digest(value[k], h)
        h.update(b"}")
    else:
        h.update(f"{type(value).__name__}:{value!r};".encode())


def input_digest(*args: Any, **kwargs: Any) -> str:
    h = hashlib.blake2b(digest_size=16)
    _digest((args, kwargs), h)
    return h.hexdigest()


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def reference(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Memoize a reference on its inputs; each caller gets its own copy of the answer."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def cached(*args: Any, **kwargs: Any) -> Any:
        key = (name, input_digest(*args, **kwargs))
        if key not in _CACHE:
            _CACHE[key] = fn(*args, **kwargs)
        return _copy(_CACHE[key])

    return cached


def clear_cache() -> None:
    _CACHE.clear()


def dump_cache(path: Path) -> None:
    """Write the cache for other processes, encoded without pickle."""
    from dlmath.codec import encode

    entries: list[list[Any]] = []
    buffers: list[bytes] = []
    for (name, digest), value in _CACHE.items():
        tree, parts = encode(value)
        entries.append([name, digest, tree, len(buffers), len(parts)])
        buffers += parts
    header = json.dumps({"entries": entries, "sizes": [len(b) for b in buffers]}).encode()
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little") + header)
        for buffer in buffers:
            f.write(buffer)


def load_cache(path: Path) -> int:
    """Add the entries written by `dump_cache` (a trusted file); return how many."""
    from dlmath.codec import decode

    data = memoryview(Path(path).read_bytes())
    size = int.from_bytes(data[:8], "little")
    header = json.loads(bytes(data[8:8 + size]))
    offsets, position = [], 8 + size
    for n in header["sizes"]:
        offsets.append(data[position:position + n])
        position += n
    for name, digest, tree, first, count in header["entries"]:
        _CACHE[(name, digest)] = decode(tree, offsets[first:first + count])
    return len(header["entries"])
