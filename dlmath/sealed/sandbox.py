"""Confining a sealed worker with what Linux offers without root.

Layers, each optional (a missing one is reported, never fatal):
- namespaces: the fork server gets its own user and PID namespaces (a worker can see and
  signal only its siblings); each worker a nested user namespace, an empty network
  namespace (no interface is up: no network at all), and a mount namespace in which the
  scratch directory is a private tmpfs of bounded size and the protected paths and /proc
  are covered by empty mounts;
- Landlock: read-only access to the Python installation and system libraries, full access
  to the scratch directory, nothing else; no TCP; no signals or abstract sockets outside;
- seccomp: no new processes, no exec, no new sockets, no ptrace, no namespace or mount
  changes, signals only to itself (x86_64 only: syscall numbers differ per architecture);
- rlimits: address space, CPU seconds, file size, threads; no core dumps.
"""

from __future__ import annotations

import ctypes
import math
import os
import platform
import resource
import shutil
import signal
from dataclasses import dataclass

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 1 << 17, 1 << 28, 1 << 29, 1 << 30
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 1 << 12, 1 << 14, 1 << 18
ALWAYS_HIDDEN = ("/proc",)  # other processes' environments and memory maps
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 4, 38, 22
SYSTEM_READ_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache",
                     "/etc/localtime", "/dev/urandom", "/dev/zero")
SYSTEM_WRITE_FILES = ("/dev/null",)


@dataclass(frozen=True)
class Protection:
    name: str
    active: bool
    detail: str

    def to_list(self) -> list:
        return [self.name, self.active, self.detail]


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies: nothing outlives the grader."""
    parent = os.getppid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


# --- namespaces ---------------------------------------------------------------------------

def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _enter_user_namespace(extra: int) -> None:
    uid, gid = os.getuid(), os.getgid()
    _unshare(CLONE_NEWUSER | extra)
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")  # the same ids inside: files stay ours
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def server_namespaces() -> list[Protection]:
    """For the fork server, before it forks the process that serves (PID 1 of the new
    namespace): workers then cannot see or signal anything outside it."""
    try:
        _enter_user_namespace(CLONE_NEWPID)
    except OSError as exc:
        return [Protection("user namespace", False, str(exc)),
                Protection("pid namespace", False, "needs a user namespace")]
    return [Protection("user namespace", True, "own user namespace"),
            Protection("pid namespace", True, "workers see only their siblings")]


def _worker_namespaces(hidden: list[str], scratch: str, scratch_bytes: int
                       ) -> list[Protection]:
    """A nested user namespace with an empty network namespace, and a mount namespace in
    which the scratch directory is a private tmpfs of `scratch_bytes` and the protected
    paths (and /proc) are covered by empty, unreadable mounts."""
    try:
        _enter_user_namespace(CLONE_NEWNET | CLONE_NEWNS)
    except OSError as first:
        try:
            _unshare(CLONE_NEWNET)  # possible when already privileged
            network = Protection("network namespace", True, "no interface is up")
        except OSError:
            network = Protection("network namespace", False, str(first))
        return [network] + [Protection(n, False, str(first)) for n in (
            "private scratch", "mount namespace")]
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates out
    except OSError as exc:
        return [Protection(n, False, str(exc)) for n in (
            "network namespace", "private scratch", "mount namespace")]
    return [Protection("network namespace", True, "no interface is up"),
            _private_scratch(scratch, scratch_bytes), _hide(hidden)]


def _mount(source: str | None, target: str, kind: str | None, flags: int,
           data: str | None = None) -> None:
    source_b, kind_b, data_b = (t.encode() if t is not None else None
                                for t in (source, kind, data))
    _check(_libc.mount(source_b, target.encode(), kind_b, ctypes.c_ulong(flags), data_b),
           f"mount {target}")


def _private_scratch(scratch: str, size: int) -> Protection:
    """A tmpfs of `size` bytes over the scratch directory, holding a copy of its files:
    what the student writes is bounded in total and never reaches the host's disk."""
    released = os.open(scratch, os.O_PATH | os.O_DIRECTORY)
    try:
        _mount("none", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=700")
        shutil.copytree(f"/proc/self/fd/{released}", scratch, dirs_exist_ok=True,
                        symlinks=True)
    except OSError as exc:
        return Protection("private scratch", False, str(exc))
    finally:
        os.close(released)
    return Protection("private scratch", True, f"a tmpfs of {size >> 20} MiB")


def _hide(hidden: list[str]) -> Protection:
    try:
        for path in [*hidden, *ALWAYS_HIDDEN]:
            if os.path.isdir(path):
                _mount("none", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "size=4k,mode=000")
            elif os.path.exists(path):
                _mount("/dev/null", path, None, MS_BIND)
    except OSError as exc:
        return Protection("mount namespace", False, str(exc))
    return Protection("mount namespace", True, "graders, sources, grades and /proc covered")


# --- rlimits --------------------------------------------------------------------------------

def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _rlimits(address_space: int, cpu: float, file_bytes: int, processes: int) -> Protection:
    try:
        cpu_seconds = max(1, math.ceil(cpu))
        for kind, soft, hard in [(resource.RLIMIT_AS, address_space, address_space),
                                 (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1),
                                 (resource.RLIMIT_FSIZE, file_bytes, file_bytes),
                                 (resource.RLIMIT_NPROC, processes, processes),
                                 (resource.RLIMIT_CORE, 0, 0)]:
            resource.setrlimit(kind, (soft, hard))
    except (OSError, ValueError) as exc:
        return Protection("rlimits", False, str(exc))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a file: an OSError, not death
    return Protection("rlimits", True, f"address space {address_space >> 20} MiB, CPU "
                      f"{cpu_seconds} s, files {file_bytes >> 20} MiB, {processes} threads")


# --- Landlock ------------------------------------------------------------------------------

_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FS_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_FS_FILE_ONLY = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The Landlock ABI version of this kernel, 0 when Landlock is unavailable."""
    return max(0, _libc.syscall(_LANDLOCK_CREATE_RULESET, None, 0, 1))


def _handled_fs(abi: int) -> int:
    bits = 13 + (abi >= 2) + (abi >= 3) + (abi >= 5)  # REFER, TRUNCATE, IOCTL_DEV
    return (1 << bits) - 1


def _add_path(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # absent here: nothing to grant
    try:
        if not os.path.isdir(path):
            access &= _FS_FILE_ONLY
        rule = _PathBeneath(access, fd)
        _check(_libc.syscall(_LANDLOCK_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0),
               f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def _landlock(read_paths: list[str], scratch: str) -> list[Protection]:
    abi = landlock_abi()
    if abi < 1:
        reason = "Landlock is not enabled in this kernel"
        return [Protection(n, False, reason) for n in
                ("landlock filesystem", "landlock network", "landlock scoping")]
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 * (1 + (abi >= 4) + (abi >= 6))
    try:
        ruleset = _check(_libc.syscall(_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0),
                         "landlock_create_ruleset")
        for path in read_paths:
            _add_path(ruleset, path, _FS_READ & handled)
        for path in SYSTEM_WRITE_FILES:
            _add_path(ruleset, path, (_FS_READ_FILE | _FS_WRITE_FILE) & handled)
        _add_path(ruleset, scratch, handled)
        _check(_libc.syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
        os.close(ruleset)
    except OSError as exc:
        return [Protection("landlock filesystem", False, str(exc))]
    return [Protection("landlock filesystem", True, f"ABI {abi}: read the Python "
                       "installation, write the scratch directory, nothing else"),
            Protection("landlock network", abi >= 4,
                       "no TCP bind or connect" if abi >= 4 else f"ABI {abi} < 4"),
            Protection("landlock scoping", abi >= 6, "no signals or abstract unix sockets "
                       "outside the worker" if abi >= 6 else f"ABI {abi} < 6")]


# --- seccomp -------------------------------------------------------------------------------

_X86_64 = 0xC000003E
_DENIED_X86_64 = {  # name -> number; each fails with EPERM
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101,
    "process_vm_readv": 310, "process_vm_writev": 311, "tkill": 200, "pidfd_open": 434,
    "pidfd_send_signal": 424, "pidfd_getfd": 438, "unshare": 272, "setns": 308,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "bpf": 321,
    "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "keyctl": 250, "add_key": 248,
    "request_key": 249, "setrlimit": 160, "kcmp": 312, "capset": 126,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "process_madvise": 440, "acct": 163,
}
_SELF_ONLY_X86_64 = {"kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129,
                     "rt_tgsigqueueinfo": 297}  # first argument must be this process
_CLONE, _CLONE3, _SOCKET, _PRLIMIT64, _X32_BIT = 56, 435, 41, 302, 0x40000000
_CLONE_THREAD = 0x00010000
_RET_ALLOW, _RET_KILL, _RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_EPERM, _EACCES, _ENOSYS = 1, 13, 38
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def seccomp_program(pid: int) -> list[tuple[int, int, int, int]]:
    """The BPF filter: deny the listed calls, refuse new processes but not threads, and
    let signals reach only `pid` (this worker) or its own process group (0)."""
    refuse = _RET_ERRNO | _EPERM
    prog = [_op(_LD_ABS, 4), _op(_JEQ, _X86_64, 1, 0), _op(_RET, _RET_KILL),
            _op(_LD_ABS, 0), _op(_JGE, _X32_BIT, 0, 1), _op(_RET, refuse)]
    for number in _DENIED_X86_64.values():
        prog += [_op(_JEQ, number, 0, 1), _op(_RET, refuse)]
    prog += [_op(_JEQ, _CLONE3, 0, 1), _op(_RET, _RET_ERRNO | _ENOSYS),  # libc falls back
             _op(_JEQ, _SOCKET, 0, 1), _op(_RET, _RET_ERRNO | _EACCES),
             _op(_JEQ, _CLONE, 0, 4), _op(_LD_ABS, 16), _op(_JSET, _CLONE_THREAD, 0, 1),
             _op(_RET, _RET_ALLOW), _op(_RET, refuse),
             # prlimit64 may read limits (new limit NULL), never change them
             _op(_JEQ, _PRLIMIT64, 0, 6), _op(_LD_ABS, 32), _op(_JEQ, 0, 0, 3),
             _op(_LD_ABS, 36), _op(_JEQ, 0, 0, 1), _op(_RET, _RET_ALLOW), _op(_RET, refuse)]
    for name, number in _SELF_ONLY_X86_64.items():
        other = 0 if name == "kill" else pid
        prog += [_op(_JEQ, number, 0, 5), _op(_LD_ABS, 16), _op(_JEQ, pid, 2, 0),
                 _op(_JEQ, other, 1, 0), _op(_RET, refuse), _op(_RET, _RET_ALLOW)]
    return prog + [_op(_RET, _RET_ALLOW)]


def _seccomp() -> Protection:
    if platform.machine() != "x86_64":
        return Protection("seccomp", False, f"no syscall table for {platform.machine()}")
    program = seccomp_program(os.getpid())
    filters = (_SockFilter * len(program))(*[_SockFilter(*i) for i in program])
    fprog = _SockFprog(len(program), filters)
    try:
        _check(_libc.prctl(PR_SET_SECCOMP, 2, ctypes.byref(fprog), 0, 0), "seccomp")
    except OSError as exc:
        return Protection("seccomp", False, str(exc))
    return Protection("seccomp", True, "no new processes, exec, sockets, ptrace or "
                      "namespaces; signals to itself only")


# --- capabilities ---------------------------------------------------------------------------

def _drop_capabilities() -> Protection:
    """A new user namespace grants every capability inside it; give them all up."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    number = {"x86_64": 126, "aarch64": 91}.get(platform.machine())
    if number is None or _libc.syscall(number, header, data) < 0:
        return Protection("capabilities dropped", False, os.strerror(ctypes.get_errno()))
    return Protection("capabilities dropped", True, "none left")


# --- the whole worker ----------------------------------------------------------------------

def confine(scratch: str, read_paths: list[str], hidden: list[str], limits: dict,
            cpu: float) -> list[Protection]:
    """Confine the calling process (a freshly forked worker) for good. `limits` are a
    SealedLimits as a dict; `cpu` the CPU seconds the notebook has left."""
    address_space = _address_space() + int(limits["memory_bytes"])  # while /proc is visible
    done = _worker_namespaces(hidden, scratch, int(limits["scratch_bytes"]))
    os.chdir(scratch)
    done.append(_rlimits(address_space, cpu, int(limits["file_bytes"]),
                         int(limits["processes"])))
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    done += _landlock(read_paths, scratch)
    done.append(_drop_capabilities())
    done.append(_seccomp())  # last: it refuses capset and setrlimit
    _prctl(PR_SET_DUMPABLE, 0)  # no core dumps, no ptrace by other processes of this user
    return done


# --- what may be read ----------------------------------------------------------------------

def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def grant_around(path: str, protected: list[str]) -> list[str]:
    """`path` itself, or when a protected path lies inside it, its other children (so
    granting /usr never grants a course that lives in /usr/local/course)."""
    path = os.path.realpath(path)
    if not os.path.exists(path) or any(_within(path, p) for p in protected):
        return []
    if not any(_within(p, path) for p in protected):
        return [path]
    granted = []
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if not entry.is_symlink():
            granted += grant_around(entry.path, protected)
    return granted


def read_paths(python_paths: list[str], protected: list[str]) -> list[str]:
    """Everything a worker may read: the given Python directories and system libraries,
    never a protected path (the course, its graders, its gradebook) nor an ancestor."""
    protected = [os.path.realpath(p) for p in protected]
    granted: list[str] = []
    for path in [*python_paths, *SYSTEM_READ_PATHS]:
        for allowed in grant_around(path, protected):
            if allowed not in granted:
                granted.append(allowed)
    return granted
