"""What a sealed worker may use. nbgrader_config.py sets each as `c.SealedExecute.<name>`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from dlmath.engine.plain import MAX_RESULT_BYTES
from dlmath.engine.student import CallLimits

MiB = 2**20


@dataclass(frozen=True)
class SealedLimits:
    call_seconds: float = CallLimits().seconds_per_call  # wall clock, as the local student
    call_cpu_seconds: float = CallLimits().seconds_per_call
    cell_seconds: float = 30.0  # wall clock per notebook cell, as nbgrader's Execute.timeout
    notebook_seconds: float = 300.0  # wall clock for one submission: its cells and every call
    notebook_cpu_seconds: float = 300.0
    memory_bytes: int = 2048 * MiB  # address space a worker may add to what it starts with
    processes: int = 64  # threads (RLIMIT_NPROC); new processes are refused outright
    output_bytes: int = 1 * MiB  # printed text kept per cell; a call printing more fails
    file_bytes: int = 64 * MiB  # the largest file a worker may write in its scratch directory
    grace_seconds: float = 1.0  # after a soft limit, how long before SIGKILL

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"SealedLimits.{f.name} must be a positive number, "
                                 f"got {value!r}")

    @property
    def result_bytes(self) -> int:
        """The largest answer a call may send back: what plain data allows in one answer
        (engine/plain.py), so that an answer too large fails alike sealed or not."""
        return MAX_RESULT_BYTES

    @property
    def scratch_bytes(self) -> int:
        """All the scratch directory's files together (a private tmpfs, held in memory)."""
        return 4 * self.file_bytes

    def to_dict(self) -> dict[str, float]:
        return asdict(self) | {"scratch_bytes": self.scratch_bytes,
                               "result_bytes": self.result_bytes}
