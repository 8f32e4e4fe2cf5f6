"""Confining a sealed worker with what Linux offers, with or without root.

Layers, each optional (a missing one is reported, never fatal):
- namespaces: the fork server gets its own PID namespace (a worker can see and signal only
  its siblings) and mount namespace, in which the protected paths are covered by empty
  mounts before any worker exists; it is handed them as open descriptors, never as names,
  so no worker finds them in its memory. Unless it runs as root, it gets its own user
  namespace too. Each worker gets an empty network namespace (no interface is up: no
  network at all), its own IPC namespace (System V objects and POSIX message queues die
  with it), and a mount namespace in which the scratch directory is a private tmpfs of
  bounded size and /proc is covered; unless root, inside a nested user namespace;
- the uid: under root, each worker runs as an unprivileged uid of its own (WORKER_UID_BASE
  plus its PID in the grader's PID namespace), as PrairieLearn's graders do, keeping only
  the capability to read what Landlock lets it read (the Python installation may sit in
  root's home). The kernel
  exempts uid 0 from RLIMIT_NPROC; an unprivileged uid, or a user namespace of its own,
  makes the thread limit hold and count this worker alone;
- Landlock: read-only access to the Python installation and system libraries, full access
  to the scratch directory, nothing else; no TCP; no signals or abstract sockets outside;
- seccomp: no new processes, no exec, no new sockets, no ptrace, no namespace or mount
  changes, signals only to itself; no change to any file's metadata (mode, owner, times,
  extended attributes: Landlock does not govern them); no System V IPC, message queues,
  keyrings, file locks or file notifications (state that could outlive the worker or
  carry messages between workers) (x86_64 only: syscall numbers differ per architecture);
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
import stat
from dataclasses import dataclass

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

CLONE_NEWNS, CLONE_NEWIPC = 1 << 17, 1 << 27
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 1 << 28, 1 << 29, 1 << 30
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 1 << 12, 1 << 14, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 4, 38, 22
PR_SET_KEEPCAPS, PR_CAPBSET_DROP = 8, 24
CAP_DAC_READ_SEARCH, CAP_LAST = 2, 63
# Under root, a worker's uid and gid are this plus its PID as /proc numbers it, in the
# grader's PID namespace (below the kernel's pid_max, at most 2**22): unused by any account,
# unique among living workers of every fork server (each server's own namespace numbers its
# workers 2, 3, ... again), so RLIMIT_NPROC counts one worker's threads and nothing it
# leaves has an owner that anything else runs as.
WORKER_UID_BASE = 2_000_000_000
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


def is_root() -> bool:
    return os.geteuid() == 0


def server_namespaces(covered: list[int]) -> list[Protection]:
    """For the fork server, before it forks the process that serves (PID 1 of the new
    namespace): workers then cannot see or signal anything outside it. `covered`: open
    descriptors (O_PATH) of the protected paths, covered here by empty mounts for every
    worker to come, then closed. Root needs no user namespace, and keeps none: under one,
    its workers could not take uids of their own."""
    try:
        if is_root():
            _unshare(CLONE_NEWPID | CLONE_NEWNS)
            user = Protection("user namespace", True, "not needed: the server runs as root, "
                              "its workers as unprivileged uids")
        else:
            _enter_user_namespace(CLONE_NEWPID | CLONE_NEWNS)
            user = Protection("user namespace", True, "own user namespace")
    except OSError as exc:
        _close(covered)
        return [Protection("user namespace", False, str(exc)),
                Protection("pid namespace", False, "needs a user namespace"),
                Protection("protected paths covered", False, "needs a mount namespace")]
    return [user, Protection("pid namespace", True, "workers see only their siblings"),
            _cover(covered)]


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _cover(fds: list[int]) -> Protection:
    """Cover each path open as a descriptor in `fds` by an empty, unreadable mount. A
    descriptor from before the namespace refers to the old mount tree, so each is resolved
    again here, into a C buffer that is wiped afterwards: no Python string ever holds a
    protected path in the server, whose memory every worker inherits."""
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates out
        for fd in fds:
            _cover_path_of(fd)
    except OSError as exc:
        return Protection("protected paths covered", False, str(exc))
    finally:
        _close(fds)
    return Protection("protected paths covered", True, f"{len(fds)} graders', sources' and "
                      "grades' paths, handed over as descriptors, never by name")


def _cover_path_of(fd: int) -> None:
    size = 4096
    path = ctypes.create_string_buffer(size)
    try:
        length = _check(_libc.readlink(f"/proc/self/fd/{fd}".encode(), path, size - 1),
                        "readlink")
        path[length] = b"\0"
        _cover_target(path, stat.S_ISDIR(os.fstat(fd).st_mode), f"descriptor {fd}")
    finally:
        ctypes.memset(path, 0, size)


def _cover_target(target: bytes | ctypes.Array, directory: bool, what: str) -> None:
    """An empty, read-only tmpfs that nobody may open over a folder; /dev/null over a file."""
    if directory:
        result = _libc.mount(b"none", target, b"tmpfs", ctypes.c_ulong(
            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), b"size=4k,mode=000")
    else:
        result = _libc.mount(b"/dev/null", target, None, ctypes.c_ulong(MS_BIND), None)
    _check(result, f"covering {what}")


def _worker_namespaces(scratch: str, scratch_bytes: int, owner: int | None = None
                       ) -> list[Protection]:
    """An empty network namespace, an IPC namespace, and a mount namespace in which the
    scratch directory is a private tmpfs of `scratch_bytes` (owned by `owner` when given)
    and /proc is covered; unless root, inside a nested user namespace."""
    flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC
    try:
        if is_root():
            _unshare(flags)
        else:
            _enter_user_namespace(flags)
    except OSError as first:
        try:
            _unshare(CLONE_NEWNET)  # possible when already privileged
            network = Protection("network namespace", True, "no interface is up")
        except OSError:
            network = Protection("network namespace", False, str(first))
        return [network] + [Protection(n, False, str(first)) for n in (
            "ipc namespace", "private scratch", "mount namespace")]
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates out
    except OSError as exc:
        return [Protection(n, False, str(exc)) for n in (
            "network namespace", "ipc namespace", "private scratch", "mount namespace")]
    return [Protection("network namespace", True, "no interface is up"),
            Protection("ipc namespace", True, "System V objects and POSIX message queues "
                       "are the worker's own and end with it"),
            _private_scratch(scratch, scratch_bytes, owner), _hide_proc()]


def _mount(source: str | None, target: str, kind: str | None, flags: int,
           data: str | None = None) -> None:
    source_b, kind_b, data_b = (t.encode() if t is not None else None
                                for t in (source, kind, data))
    _check(_libc.mount(source_b, target.encode(), kind_b, ctypes.c_ulong(flags), data_b),
           f"mount {target}")


def _private_scratch(scratch: str, size: int, owner: int | None) -> Protection:
    """A tmpfs of `size` bytes over the scratch directory, holding a copy of its files:
    what the student writes is bounded in total and never reaches the host's disk."""
    released = os.open(scratch, os.O_PATH | os.O_DIRECTORY)
    ids = "" if owner is None else f",uid={owner},gid={owner}"
    try:
        _mount("none", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=700{ids}")
        shutil.copytree(f"/proc/self/fd/{released}", scratch, dirs_exist_ok=True,
                        symlinks=True)
        if owner is not None:
            _give(scratch, owner)
    except OSError as exc:
        return Protection("private scratch", False, str(exc))
    finally:
        os.close(released)
    return Protection("private scratch", True, f"a tmpfs of {size >> 20} MiB")


def _give(root: str, owner: int) -> None:
    """`root` and everything under it to `owner`, links themselves included."""
    os.chown(root, owner, owner)
    for folder, directories, files in os.walk(root):
        for name in [*directories, *files]:
            os.chown(os.path.join(folder, name), owner, owner, follow_symlinks=False)


def _hide_proc() -> Protection:
    """/proc shows other processes' environments and memory maps: cover it."""
    try:
        _cover_target(b"/proc", True, "/proc")
    except OSError as exc:
        return Protection("mount namespace", False, str(exc))
    return Protection("mount namespace", True, "scratch and /proc its own")


# --- the uid --------------------------------------------------------------------------------

def _capset(capabilities: int) -> bool:
    """Keep exactly `capabilities` (a bit mask), permitted and effective; none inheritable."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)(capabilities & 0xFFFFFFFF, capabilities & 0xFFFFFFFF, 0,
                                 capabilities >> 32, capabilities >> 32, 0)
    number = {"x86_64": 126, "aarch64": 91}.get(platform.machine())
    return number is not None and _libc.syscall(number, header, data) >= 0


def _host_pid() -> int:
    """This process's PID in the namespace of /proc (the grader's), read while /proc is
    still visible: unique among living processes there, where os.getpid() is not."""
    try:
        return int(os.readlink("/proc/self"))
    except (OSError, ValueError):
        return os.getpid()


def _unprivileged_uid(uid: int | None) -> tuple[Protection, int | None]:
    """Under root (`uid` given): become `uid`, keeping only CAP_DAC_READ_SEARCH (the Python
    installation may be in root's own home; Landlock still decides what is read)."""
    if uid is None:
        return Protection("unprivileged uid", True, f"uid {os.getuid()}, the grader's own "
                          "(not root)"), None
    try:
        for cap in range(CAP_LAST + 1):
            if cap != CAP_DAC_READ_SEARCH:
                _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the kernel's last
        _prctl(PR_SET_KEEPCAPS, 1)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        _prctl(PR_SET_KEEPCAPS, 0)
        if not _capset(1 << CAP_DAC_READ_SEARCH):
            raise OSError(ctypes.get_errno(), "capset")
    except OSError as exc:
        return Protection("unprivileged uid", False, f"runs as root: {exc}"), None
    return Protection("unprivileged uid", True, f"uid {uid}, its own (the grader is root)"), uid


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
    "open_tree_attr": 467, "name_to_handle_at": 303, "open_by_handle_at": 304,
    # metadata, which Landlock does not govern: mode, owner, times, extended attributes
    "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "chown": 92, "fchown": 93,
    "lchown": 94, "fchownat": 260, "utime": 132, "utimes": 235, "futimesat": 261,
    "utimensat": 280, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190,
    "removexattr": 197, "lremovexattr": 198, "fremovexattr": 199, "setxattrat": 463,
    "removexattrat": 466, "file_setattr": 469,
    # state that outlives the worker or reaches another: System V IPC, message queues,
    # file locks and leases, file notifications
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
    "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243,
    "mq_notify": 244, "mq_getsetattr": 245, "flock": 73, "inotify_init": 253,
    "inotify_init1": 294, "fanotify_init": 300,
}
# fcntl commands that lock, lease or watch a file: another worker can see the lock
_FCNTL_REFUSED = (5, 6, 7, 36, 37, 38, 1024, 1026)  # F_GETLK … F_OFD_SETLKW, F_SETLEASE, F_NOTIFY
_SELF_ONLY_X86_64 = {"kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129,
                     "rt_tgsigqueueinfo": 297}  # first argument must be this process
_CLONE, _CLONE3, _SOCKET, _PRLIMIT64, _FCNTL, _X32_BIT = 56, 435, 41, 302, 72, 0x40000000
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
    prog += [_op(_JEQ, _FCNTL, 0, 2 + 2 * len(_FCNTL_REFUSED)), _op(_LD_ABS, 24)]
    for command in _FCNTL_REFUSED:
        prog += [_op(_JEQ, command, 0, 1), _op(_RET, refuse)]
    prog += [_op(_RET, _RET_ALLOW)]
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
                      "namespaces; signals to itself only; no metadata changes; no System V "
                      "IPC, message queues, keyrings, file locks or notifications")


# --- capabilities ---------------------------------------------------------------------------

def _drop_capabilities(keep: int = 0) -> Protection:
    """A new user namespace grants every capability inside it; give them all up (but `keep`,
    a bit mask)."""
    if not _capset(keep):
        return Protection("capabilities dropped", False, os.strerror(ctypes.get_errno()))
    return Protection("capabilities dropped", True, "all but reading what Landlock allows"
                      if keep else "none left")


# --- the whole worker ----------------------------------------------------------------------

def confine(scratch: str, read_paths: list[str], limits: dict, cpu: float
            ) -> list[Protection]:
    """Confine the calling process (a freshly forked worker) for good. `limits` are a
    SealedLimits as a dict; `cpu` the CPU seconds the notebook has left."""
    address_space = _address_space() + int(limits["memory_bytes"])  # while /proc is visible
    root = is_root()
    owner = WORKER_UID_BASE + _host_pid() if root else None
    done = _worker_namespaces(scratch, int(limits["scratch_bytes"]), owner)
    if owner is not None and not any(p.name == "private scratch" and p.active for p in done):
        _give(scratch, owner)  # the folder on disk, then: the grader removes it as root
    os.chdir(scratch)
    processes = int(limits["processes"])
    done.append(_rlimits(address_space, cpu, int(limits["file_bytes"]), processes))
    uid, owner = _unprivileged_uid(owner)
    own_namespace = not root and any(p.name == "ipc namespace" and p.active for p in done)
    done += [uid, _thread_limit(processes, owner, own_namespace)]
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    done += _landlock(read_paths, scratch)
    done.append(_drop_capabilities(1 << CAP_DAC_READ_SEARCH if owner is not None else 0))
    done.append(_seccomp())  # last: it refuses capset and setrlimit
    _prctl(PR_SET_DUMPABLE, 0)  # no core dumps, no ptrace by other processes of this user
    return done


def _thread_limit(processes: int, owner: int | None, user_namespace: bool) -> Protection:
    """Which mechanism makes RLIMIT_NPROC hold, and what it counts."""
    if os.getuid() == 0:
        return Protection("thread limit", False, "uid 0 is exempt from RLIMIT_NPROC")
    counted = (f"for uid {owner}, this worker's alone" if owner is not None else
               "in the worker's own user namespace" if user_namespace else
               f"with every process of uid {os.getuid()}")
    return Protection("thread limit", True, f"{processes} threads (RLIMIT_NPROC, counted "
                      f"{counted})")


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
