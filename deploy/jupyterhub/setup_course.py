#!/usr/bin/env python3
"""Set up one machine for the dlmath course on JupyterHub. Run as root from a checkout.

    sudo python3 deploy/jupyterhub/setup_course.py            # the defaults below
    sudo python3 deploy/jupyterhub/setup_course.py --help     # every path can be moved

It makes, and on a second run brings up to date:
- PREFIX/venv: the software (dlmath with nbgrader, JupyterHub, JupyterLab, numpy, torch),
  installed from the pinned constraints as a package, so it holds no grader and no solution;
  PREFIX/proxy: configurable-http-proxy from package-lock.json;
- PREFIX/etc: the hub's and the servers' configuration from this folder, and
  PREFIX/venv/etc/jupyter/nbgrader_config.py, the settings every user shares;
- the grader account and its course directory (source/, autograders/, nbgrader_config.py),
  readable by that account alone;
- the exchange, writable by everyone, sticky so nobody removes what another put there;
- with --roster, the class's names and emails in the gradebook (nbgrader db student import),
  and a copy of the roster in the course directory. On every run, a student the gradebook
  has without a name gets their id as one, so the formgrader shows no "None, None".
Students and instructors are ordinary unix accounts; list them in DLMATH_STUDENTS and
DLMATH_INSTRUCTORS when starting the hub (see the README).
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# course directory entry -> where it comes from (course_nbgrader_config.py is the repository's
# nbgrader_config.py: sealed grading, feedback hygiene)
SECRET_SEED = "secret_seed"  # as dlmath.course.SECRET_SEED (this script runs without dlmath)
ROSTER = "roster.csv"  # the class roster, kept in the course directory
COURSE_FILES = {"nbgrader_config.py": HERE / "course_nbgrader_config.py",
                "source": REPO / "source", "autograders": REPO / "autograders"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--prefix", type=Path, default=Path("/opt/dlmath"))
    p.add_argument("--grader", default="grader-dlmath", help="unix account of the course")
    p.add_argument("--course-root", type=Path, help="default: ~GRADER/dlmath")
    p.add_argument("--exchange", type=Path, default=Path("/srv/nbgrader/exchange"))
    p.add_argument("--hub-state", type=Path, default=Path("/srv/jupyterhub"))
    p.add_argument("--python", default="/usr/bin/python3.11",
                   help="an interpreter every user may run (not one under /root)")
    p.add_argument("--roster", type=Path,
                   help="the class: a CSV with the columns id,first_name,last_name,email (as "
                        "nbgrader db student import reads it); the formgrader shows the names")
    return p.parse_args(argv)


def run(*cmd: str | Path) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], check=True)


def fail(message: str) -> None:
    sys.exit(f"setup_course: {message}")


def world_executable(path: Path) -> bool:
    """Every user can run `path`: it and each folder above it let others in."""
    real = path.resolve()
    return all(os.stat(p).st_mode & 0o001 for p in [real, *real.parents])


def make_environment(prefix: Path, python: str) -> None:
    venv = prefix / "venv"
    if not (venv / "bin" / "python").exists():
        if not world_executable(Path(python)):
            fail(f"{python} cannot be run by other users; pass --python with one that can")
        run(python, "-m", "venv", "--without-pip", venv)
    # This interpreter's pip installs into the venv: the venv needs no pip of its own.
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet",
        "--disable-pip-version-check", "--constraint", REPO / "constraints.txt", f"{REPO}[hub]")
    proxy = prefix / "proxy"
    proxy.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(HERE / name, proxy / name)
    run("npm", "ci", "--prefix", proxy, "--no-audit", "--no-fund", "--loglevel=error")


def install_configs(prefix: Path) -> None:
    etc = prefix / "etc"
    for name in ("jupyterhub_config.py", "formgrader_server_config.py"):
        copy_file(HERE / name, etc / name)
    for role in ("student", "grader"):
        shutil.copytree(HERE / role, etc / role, dirs_exist_ok=True)
    shared = prefix / "venv" / "etc" / "jupyter" / "nbgrader_config.py"  # on everyone's path
    copy_file(HERE / "nbgrader_config.py", shared)


def copy_file(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    dest.chmod(0o644)


def make_grader_account(grader: str, home: Path) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(grader)
    except KeyError:
        home.parent.mkdir(parents=True, exist_ok=True)
        run("useradd", "--system", "--create-home", "--home-dir", home, "--shell", "/bin/bash",
            grader)
        return pwd.getpwnam(grader)


def make_course(course_root: Path, account: pwd.struct_passwd) -> None:
    course_root.mkdir(parents=True, exist_ok=True)
    for name, src in COURSE_FILES.items():
        dest = course_root / name
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", SECRET_SEED))
        else:
            shutil.copy2(src, dest)
    make_secret_seed(course_root / "autograders" / SECRET_SEED)
    home = Path(account.pw_dir)
    for path in [home, *home.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    # The solutions, the graders, the gradebook and every submission live here.
    home.chmod(0o700)
    course_root.chmod(0o700)


def make_secret_seed(path: Path) -> None:
    """The course's secret seed (kept on a second run): the final grading's inputs and a
    check's derive from it (dlmath.course.seed_offset), and no student ever sees it."""
    if not path.exists():
        path.write_text(secrets.token_hex(16) + "\n")
    path.chmod(0o600)


def check_roster(prefix: Path, roster: Path) -> None:
    """Refuse a malformed roster (its file and line) before the course changes."""
    done = subprocess.run([prefix / "venv" / "bin" / "python", "-m", "dlmath.nbgrader.roster",
                           "--check", roster], capture_output=True, text=True)
    if done.returncode != 0:
        fail(done.stderr.strip().removeprefix("roster: "))
    print(done.stdout.strip(), flush=True)


def import_roster(prefix: Path, course_root: Path, account: pwd.struct_passwd,
                  roster: Path | None) -> None:
    """As the grader account, whose gradebook it is: import the roster kept in the course
    directory (a new one replaces it), and name by their id the students nobody named."""
    kept = course_root / ROSTER
    if roster and roster.resolve() != kept.resolve():
        shutil.copyfile(roster, kept)
        os.chown(kept, account.pw_uid, account.pw_gid)
        kept.chmod(0o600)
    venv_bin = prefix / "venv" / "bin"
    cmd = [venv_bin / "python", "-m", "dlmath.nbgrader.roster", *([ROSTER] if roster else [])]
    print("+", " ".join(map(str, cmd)), f"(as {account.pw_name})", flush=True)
    env = {"PATH": f"{venv_bin}:/usr/bin:/bin", "HOME": account.pw_dir, "LANG": "C.UTF-8"}
    done = subprocess.run(cmd, cwd=course_root, env=env, user=account.pw_uid,
                          group=account.pw_gid, extra_groups=[])
    if done.returncode != 0:
        fail(f"the roster was not imported (exit {done.returncode})")


def make_exchange(exchange: Path) -> None:
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o1777)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if os.geteuid() != 0:
        fail("run as root: it creates an account and hands it the course directory")
    course_root = args.course_root or Path(f"/home/{args.grader}/dlmath")
    make_environment(args.prefix, args.python)
    if args.roster:
        check_roster(args.prefix, args.roster)
    install_configs(args.prefix)
    account = make_grader_account(args.grader, course_root.parent)
    if not course_root.is_relative_to(account.pw_dir):
        fail(f"--course-root {course_root} must lie in {args.grader}'s home {account.pw_dir}")
    make_course(course_root, account)
    import_roster(args.prefix, course_root, account, args.roster)
    make_exchange(args.exchange)
    args.hub_state.mkdir(parents=True, exist_ok=True)
    args.hub_state.chmod(0o700)
    print(f"setup_course: done. Start the hub: cd {args.prefix / 'etc'} && "
          f"DLMATH_PREFIX={args.prefix} {args.prefix / 'venv/bin/jupyterhub'} "
          "-f jupyterhub_config.py")


if __name__ == "__main__":
    main()
