"""An adversarial class for 01_linear_algebra, graded by the real `nbgrader autograde` (issue 5).

Each hostile student hands in the reference solution except for ONE solution cell, which
holds one attack: at the top of the cell, inside the function, or after an honest function.
Their quiz is the reference, so what their honest work is worth is known exactly. Two honest
students hand in the reference. Attacks that go after files use the real paths of the
temporary course (its gradebook, another student's submission, its `source/`) and of the
repository's `autograders/`; those paths, a port to connect to and a marker for processes
reach the attack as constants at the top of its cell.

The attacks (`ATTACKS`) are defined in autograders/01_linear_algebra/hostile.py; this module
builds the course, grades it and reads the outcomes. Used by tests/test_hostile_autograde.py
and scripts/hostile_report.py:

    course = build_course(base)        # course, submissions, canaries, hashes
    run = autograde(course)            # `nbgrader autograde` once, for everyone
    rows = outcomes(course)            # per attack: total, attacked exercise, reason
    print(table(rows, run))
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from hostile import snippet

from dlmath.course import autograders_dir, course_module, source_dir
from dlmath.nbgrader.course import Course
from dlmath.notebooks import fill_solutions, nbgrader, read
from dlmath.sim.demo import reference

ASSIGNMENT = "01_linear_algebra"
NOTEBOOK = "linear_algebra.ipynb"
NOTEBOOKS = ("linear_algebra.ipynb", "quiz.ipynb")
HONEST = ("honest_a", "honest_b")
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
# Loops should cost little: tighter than the repository's limits (dlmath/sealed/limits.py).
# notebook_seconds bounds what any one submission can cost (the repository's is 300 s).
LIMITS = {"cell_seconds": 3, "call_seconds": 1, "call_cpu_seconds": 1, "grace_seconds": 0.5,
          "notebook_seconds": 30}
AUTOGRADE_TIMEOUT = 600  # seconds; the run takes well under a minute here
FORK_SERVER = "dlmath.sealed.forkserver import main"  # in every fork server's and worker's
# command line (workers are forked from the server, so they share it)
SECRET_VARIABLE = "DLMATH_HOSTILE_SECRET"  # set in the grader's environment during the run
# The attacks themselves live with the assignment's graders: hostile.py there.
_ATTACKS = course_module(ASSIGNMENT, "hostile")
Attack, ATTACKS = _ATTACKS.Attack, _ATTACKS.ATTACKS
IPC_KEY, IPC_QUEUE = _ATTACKS.IPC_KEY, _ATTACKS.IPC_QUEUE


@dataclass(frozen=True)
class Targets:
    """Real paths and values an attack needs, written as constants into its cell."""

    course_root: str  # the course's own folder
    config: str  # its nbgrader_config.py
    gradebook: str  # the course's gradebook.db
    victim: str  # another student's submitted notebook, to overwrite
    victim_quiz: str  # another student's submitted quiz, to delete
    planted: str  # an autograded notebook of another student, to plant before grading
    autograders: str  # the repository's autograders/01_linear_algebra
    source: str  # the course's source/01_linear_algebra
    shell_target: str  # a file a shell command would create
    port: int  # a TCP (and UDP) port the test listens on at 127.0.0.1
    marker: str  # in the command line of every program an attack tries to start

    def prelude(self) -> str:
        return "".join(f"{name.upper()} = {value!r}\n" for name, value in vars(self).items())


def attack_cell(attack: Attack, targets: Targets) -> str:
    """The solution cell of a hostile student, with the targets' paths written above it."""
    honest = reference(ASSIGNMENT, NOTEBOOK)[f"{attack.function}_solution"]
    return attack.cell(targets.prelude(), honest, snippet("find_paths"))


STUDENTS = (*(a.id for a in ATTACKS), *HONEST)


# --- the course ------------------------------------------------------------------------------

@dataclass
class HostileCourse:
    course: Course
    targets: Targets
    canaries: dict[str, list[str]]  # what -> strings that only its content holds
    before: dict[str, str]  # protected file -> sha256, before grading
    listener: socket.socket  # TCP, on targets.port
    datagrams: socket.socket  # UDP, on targets.port
    metadata_before: dict[str, tuple] = field(default_factory=dict)
    ipc_before: dict[str, set[str]] = field(default_factory=dict)
    secret: str = field(default_factory=lambda: "secret-" + secrets.token_hex(8))

    @property
    def root(self) -> Path:
        return self.course.root

    def close(self) -> None:
        self.listener.close()
        self.datagrams.close()


def _listen() -> tuple[socket.socket, socket.socket]:
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", tcp.getsockname()[1]))
    except OSError:  # taken for UDP: any UDP port will do, nothing should arrive
        udp.bind(("127.0.0.1", 0))
    return tcp, udp


def _plant_source_canary(course: Course, canary: str) -> None:
    """A comment inside the course's transpose solution: only source/ holds it."""
    path = course.root / "source" / ASSIGNMENT / NOTEBOOK
    nb = read(path)
    for cell in nb.cells:
        if nbgrader(cell).get("grade_id") == "transpose_solution":
            cell.source = cell.source.replace("### BEGIN SOLUTION",
                                              f"### BEGIN SOLUTION\n    # {canary}", 1)
    nbformat.write(nb, str(path))


def grader_lines() -> list[str]:
    """Code lines of this assignment's graders: printing a grader would show them. (Docstring
    lines are left out: case titles come from them, and feedback shows titles.)"""
    import io
    import tokenize

    lines = []
    for path in sorted((autograders_dir() / ASSIGNMENT).glob("*.py")):
        text = path.read_text()
        code_only = text.splitlines()
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.STRING, tokenize.COMMENT):
                for row in range(token.start[0], token.end[0] + 1):
                    code_only[row - 1] = ""
        lines += [line.strip() for line, code in zip(text.splitlines(), code_only, strict=True)
                  if len(code.strip()) >= 30]
    return sorted(set(lines))


def protected_files(course: Course, targets: Targets) -> list[Path]:
    """Files no submission may change: the graders, both source folders, the release and
    every submission. (The gradebook changes by grading; it is checked by its contents.)"""
    roots = [autograders_dir() / ASSIGNMENT, source_dir() / ASSIGNMENT,
             Path(targets.source), course.root / "release" / ASSIGNMENT, course.root / "submitted"]
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file())


def digests(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def metadata(course: Course, targets: Targets) -> dict[str, tuple]:
    """Mode, owner, extended attributes and (but for what grading writes: the gradebook and
    the course's folders) modification time of the course root, its config and every
    protected file and folder."""
    files = protected_files(course, targets)
    paths = [course.root, Path(targets.config), course.gradebook, *files,
             *{p.parent for p in files}]
    found = {}
    for path in dict.fromkeys(paths):
        st = os.lstat(path)
        written = path == course.gradebook or path.is_dir()
        found[str(path)] = (oct(st.st_mode), st.st_uid, st.st_gid,
                            None if written else st.st_mtime_ns,
                            {name: os.getxattr(path, name) for name in os.listxattr(path)})
    return found


def ipc_objects() -> dict[str, set[str]]:
    """The System V objects on this machine under the hostile key (other programs, such as
    the PostgreSQL of another test, make their own meanwhile), and whether the hostile POSIX
    message queue exists."""
    import ctypes

    key = f"{IPC_KEY:d}"
    found = {}
    for kind in ("shm", "msg", "sem"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        found[kind] = {" ".join(line.split()[:2]) for line in lines if line.split()[0] == key}
    libc = ctypes.CDLL(None, use_errno=True)
    queue = libc.mq_open(IPC_QUEUE.encode(), os.O_RDONLY)
    found["mq"] = {IPC_QUEUE} if queue >= 0 else set()
    if queue >= 0:
        libc.mq_close(queue)
    return found


def build_course(base: Path, limits: dict[str, float] | None = None) -> HostileCourse:
    """The course, its canaries, every submission written where `collect` puts them."""
    course = Course.create(base, [ASSIGNMENT])
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n# tests/hostile_submissions.py: loops cost little\n"
                      + "".join(f"c.SealedExecute.{name} = {value!r}\n"
                                for name, value in (limits or LIMITS).items()))
    canaries = {"source": ["source-canary-" + secrets.token_hex(8)],
                "gradebook": ["gradebook-canary-" + secrets.token_hex(8), "SQLite format 3"],
                "autograders": grader_lines()}
    _plant_source_canary(course, canaries["source"][0])
    course.generate(ASSIGNMENT)
    course.nbgrader("db", "student", "add", "zz_canary", f"--first-name={canaries['gradebook'][0]}",
                    "--last-name=Canary")
    listener, datagrams = _listen()
    submitted = course.root / "submitted"
    targets = Targets(
        course_root=str(course.root), config=str(config),
        gradebook=str(course.gradebook),
        victim=str(submitted / HONEST[1] / ASSIGNMENT / NOTEBOOK),
        victim_quiz=str(submitted / HONEST[0] / ASSIGNMENT / "quiz.ipynb"),
        planted=str(course.autograded(HONEST[0], ASSIGNMENT, NOTEBOOK)),
        autograders=str(autograders_dir() / ASSIGNMENT),
        source=str(course.root / "source" / ASSIGNMENT),
        shell_target=str(course.base / "made-by-a-shell"),
        port=listener.getsockname()[1],
        marker="dlmath-hostile-" + secrets.token_hex(6))
    release = course.root / "release" / ASSIGNMENT
    attacks = {a.id: a for a in ATTACKS}
    for student in STUDENTS:
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
        for name in NOTEBOOKS:
            answers = reference(ASSIGNMENT, name)
            attack = attacks.get(student)
            if attack is not None and name == NOTEBOOK:
                answers[f"{attack.function}_solution"] = attack_cell(attack, targets)
            nbformat.write(fill_solutions(read(release / name), answers), str(folder / name))
    hostile = HostileCourse(course, targets, canaries, {}, listener, datagrams)
    hostile.before = digests(protected_files(course, targets))
    hostile.metadata_before = metadata(course, targets)
    hostile.ipc_before = ipc_objects()
    return hostile


# --- grading ---------------------------------------------------------------------------------

@dataclass
class Run:
    returncode: int
    seconds: float
    output: str  # nbgrader's stdout and stderr
    lingering: list[str]  # processes an attack left behind: "pid cmdline"
    connections: int  # TCP connections and UDP datagrams that reached the test


def _processes(marker: str) -> dict[int, str]:
    """Processes carrying the attacks' marker, and fork servers and workers (their command
    line names no course: those running before grading are left out by the caller)."""
    found = {}
    ours = str(Path(sys.executable).parent)  # this checkout's venv: not another run's servers
    for process in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if marker in line or (FORK_SERVER in line and line.startswith(ours)):
            found[process.info["pid"]] = line
    return found


@contextmanager
def _deadline(course: Course, seconds: float):
    """Kill this process's nbgrader child running in `course` if it takes longer."""
    def kill() -> None:
        for child in psutil.Process().children():
            try:
                if Path(child.cwd()) == course.root.resolve() and (
                        "nbgrader" in child.cmdline() or "dlmath.cli" in child.cmdline()):
                    child.kill()
            except psutil.Error:
                pass
    timer = threading.Timer(seconds, kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _arrived(hostile: HostileCourse) -> int:
    count = 0
    for sock in (hostile.listener, hostile.datagrams):
        sock.setblocking(False)
        while True:
            try:
                if sock is hostile.listener:
                    sock.accept()[0].close()
                else:
                    sock.recv(100)
            except OSError:  # BlockingIOError: nothing (more) arrived
                break
            count += 1
    return count


# every path that grades a class; the last on a real Dask cluster (tests/cluster_support.py).
# nbgrader autograde grades ahead in a helper process (dlmath/nbgrader/ahead.py): forked
# from a process without threads (a terminal's), else spawned (the formgrader's server).
SPAWNED = "nbgrader autograde, its helper spawned"
PATHS = ("nbgrader autograde", SPAWNED, "dlmath grade", "dlmath grade --scheduler")
THREADED = """
# the hostile test: a thread, as the formgrader's server has: the helper is spawned
import threading as _threading
_threading.Thread(target=_threading.Event().wait, daemon=True).start()
"""


def autograde(hostile: HostileCourse, timeout: float = AUTOGRADE_TIMEOUT,
              path: str = PATHS[0]) -> Run:
    """`nbgrader autograde --force` (or `dlmath grade --force`) once for the whole class."""
    before = set(_processes(hostile.targets.marker))
    previous = os.environ.get(SECRET_VARIABLE)
    os.environ[SECRET_VARIABLE] = hostile.secret  # Course.env() copies os.environ
    started = time.perf_counter()
    try:
        with _deadline(hostile.course, timeout):
            if path == "dlmath grade":
                done = hostile.course.dlmath("grade", ASSIGNMENT, "--force")
            elif path == "dlmath grade --scheduler":
                done = _grade_on_a_cluster(hostile)
            else:
                if path == SPAWNED:  # the user's config: the course's is watched (h33)
                    config = hostile.course.home / "jupyter" / "config" / "nbgrader_config.py"
                    config.write_text(config.read_text() + THREADED)
                done = hostile.course.nbgrader("autograde", ASSIGNMENT, "--force",
                                               "--log-level=DEBUG", check=False)
    finally:
        if previous is None:
            os.environ.pop(SECRET_VARIABLE, None)
        else:
            os.environ[SECRET_VARIABLE] = previous
    seconds = time.perf_counter() - started
    lingering: dict[int, str] = {}
    for _ in range(50):  # processes ending with their parent may take a moment
        lingering = {pid: line for pid, line in _processes(hostile.targets.marker).items()
                     if pid not in before}
        if not lingering:
            break
        time.sleep(0.1)
    return Run(done.returncode, seconds, done.stdout + done.stderr,
               [f"{pid} {line}" for pid, line in lingering.items()], _arrived(hostile))


def _grade_on_a_cluster(hostile: HostileCourse) -> subprocess.CompletedProcess:
    """`dlmath grade --force --scheduler` on a cluster started for it, whose workers carry
    the grader's environment; the cluster's TLS key is one more canary."""
    from cluster_support import Cluster

    from dlmath.cluster.security import KEY

    cluster = Cluster(hostile.course.base / "cluster", env=hostile.course.env())
    try:
        key = (cluster.credentials / KEY).read_text().splitlines()
        hostile.canaries["cluster key"] = [key[len(key) // 2]]
        return hostile.course.dlmath("grade", ASSIGNMENT, "--force", "--scheduler",
                                     cluster.address, "--credentials", str(cluster.credentials))
    finally:
        cluster.stop()


# --- what came out ---------------------------------------------------------------------------

def notebook_text(path: Path) -> str:
    """Every source and output of a notebook, decoded (not JSON-escaped)."""
    parts = []
    for cell in read(path).cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts += [str(output.get("text", "")), str(output.get("evalue", "")),
                      *map(str, output.get("traceback", [])),
                      *map(str, output.get("data", {}).values())]
    return "\n".join(parts)


def points_of(course: Course) -> dict[str, float]:
    """Points per exercise (function) of the main notebook, and the total possible."""
    maxima = {name: course.cell_maxima(ASSIGNMENT, name) for name in NOTEBOOKS}
    points = {g.removesuffix("_tests"): p for g, p in maxima[NOTEBOOK].items()}
    points["total"] = sum(sum(m.values()) for m in maxima.values())
    return points


@dataclass
class Outcome:
    student: str
    attack: Attack | None
    scores: dict[str, dict[str, float | None]]  # notebook -> grade id -> score
    maxima: dict[str, dict[str, float]]
    reason: str

    @property
    def total(self) -> float:
        return sum(s or 0.0 for cells in self.scores.values() for s in cells.values())

    @property
    def attacked_score(self) -> float | None:
        return self.scores[NOTEBOOK].get(f"{self.attack.function}_tests") if self.attack else None

    def worth(self, points: dict[str, float]) -> float:
        """What the attacked function honestly deserves."""
        if self.attack is None:
            return 0.0
        return points[self.attack.function] if self.attack.honest else self.attack.worth

    def expected(self, points: dict[str, float]) -> float:
        """What the honest work is worth: every other exercise, the quiz, and the attacked
        function's worth."""
        if self.attack is None:
            return points["total"]
        return points["total"] - points[self.attack.function] + self.worth(points)


def _one_line(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cell_of(nb, grade_id: str):
    """The cell with this nbgrader grade id."""
    return next(c for c in nb.cells if nbgrader(c).get("grade_id") == grade_id)


def cell_error(nb, grade_id: str) -> str:
    """The error a cell shows, as `ename: evalue`."""
    for output in cell_of(nb, grade_id).get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue', '')}"
    return ""


def cell_said(nb, grade_id: str) -> str:
    """The last line of text a cell printed."""
    text = "".join(str(o.get("text", "")) for o in cell_of(nb, grade_id).get("outputs", []))
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _elide_call(message: str, function: str) -> str:
    """`f(<long array reprs>) did not finish` -> `f(…) did not finish`."""
    start = message.find(function + "(")
    if not function or start < 0:
        return message
    depth = 0
    for index in range(start + len(function), len(message)):
        depth += {"(": 1, ")": -1}.get(message[index], 0)
        if depth == 0:
            return f"{message[:start]}{function}(…){message[index + 1:]}"
    return message


def feedback_failure(nb, grade_id: str, function: str = "") -> str:
    """The first failed check's message in a graded cell's feedback (its title if none)."""
    text = "".join(str(o.get("text", "")) for o in cell_of(nb, grade_id).get("outputs", []))
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("✘"):
            message = []
            for after in lines[index + 1:]:
                if not after.startswith("      "):
                    break
                message.append(after.strip())
            return _elide_call(" ".join(message), function) if message else line.strip()[2:]
    return ""


def reason_of(nb, attack: Attack | None) -> str:
    """Why the attack got what it got: the attacked exercise's first failed check; for an
    honest function (full marks), what its cell shows: its error, else its last line."""
    if attack is None:
        return ""
    failure = feedback_failure(nb, f"{attack.function}_tests", attack.function)
    if failure and not attack.honest:
        return failure
    solution = f"{attack.function}_solution"
    return cell_error(nb, solution) or cell_said(nb, solution) or failure or cell_said(
        nb, f"{attack.function}_tests")


def outcomes(hostile: HostileCourse) -> list[Outcome]:
    course = hostile.course
    attacks = {a.id: a for a in ATTACKS}
    maxima = {name: course.cell_maxima(ASSIGNMENT, name) for name in NOTEBOOKS}
    rows = []
    for student in STUDENTS:
        scores = {name: course.cell_scores(student, ASSIGNMENT, name) for name in NOTEBOOKS}
        path = course.autograded(student, ASSIGNMENT, NOTEBOOK)
        reason = reason_of(read(path), attacks.get(student)) if path.exists() else \
            "no autograded notebook"
        rows.append(Outcome(student, attacks.get(student), scores, maxima, reason))
    return rows


def table(rows: list[Outcome], points: dict[str, float], run: Run | None = None,
          width: int = 120) -> str:
    """Each attack and its outcome, as plain text (Markdown)."""
    lines = ["| student | attack | attacked exercise | total | reason |",
             "| --- | --- | --- | --- | --- |"]
    for row in rows:
        attack = row.attack
        where = "-" if attack is None else (
            f"{attack.function} {_points(row.attacked_score)}/{_points(points[attack.function])}"
            + (" (honest)" if attack.honest else ""))
        lines.append(f"| {row.student} | {attack.what if attack else 'the reference'} | {where} "
                     f"| {_points(row.total)}/{_points(points['total'])} "
                     f"| {_one_line(row.reason, width) or '-'} |")
    if run is not None:
        lines.append(f"\n`nbgrader autograde` for {len(rows)} students: {run.seconds:.0f} s, "
                     f"exit code {run.returncode}; processes left: {len(run.lingering)}; "
                     f"connections received: {run.connections}")
    return "\n".join(lines)


def _points(value: float | None) -> str:
    return "None" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def secret_strings(hostile: HostileCourse) -> dict[str, list[str]]:
    """What only protected contents hold: the canaries, the grader's code lines (less those
    an honest student's autograded notebook shows anyway) and the grader's secret."""
    honest = [hostile.course.autograded(HONEST[0], ASSIGNMENT, name) for name in NOTEBOOKS]
    baseline = "\n".join(notebook_text(p) for p in honest if p.exists())
    found = {**hostile.canaries, "grader environment": [hostile.secret]}
    found["autograders"] = [line for line in found["autograders"] if line not in baseline]
    return found


def leaks(text: str, secrets_: dict[str, list[str]]) -> list[str]:
    return [f"{what}: {s[:60]}" for what, items in secrets_.items() for s in items if s in text]


def shown_anywhere(hostile: HostileCourse) -> dict[str, list[str]]:
    """For every autograded notebook, the protected contents it shows."""
    secrets_ = secret_strings(hostile)
    found = {}
    for path in sorted((hostile.root / "autograded").rglob("*.ipynb")):
        hits = leaks(notebook_text(path), secrets_)
        if hits:
            found[str(path.relative_to(hostile.root))] = hits
    return found
