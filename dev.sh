#!/usr/bin/env bash
# One entry point for a fresh machine: builds .venv from the pinned constraints on first use,
# then runs `./dev.sh demo`, `./dev.sh test [pytest args]`, or any command inside the venv.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ] || [ constraints.txt -nt .venv/.installed ]; then
    echo "dev.sh: installing into .venv (first run takes a few minutes)" >&2
    "$PY" -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    touch .venv/.installed
fi
# nbgrader runs `alembic` from PATH; the venv's bin must come first.
export PATH="$PWD/.venv/bin:$PATH"
cmd=${1:-demo}
[ $# -gt 0 ] && shift
case "$cmd" in
    demo) exec dlmath demo "$@" ;;
    test) exec python -m pytest "$@" ;;
    *) exec "$cmd" "$@" ;;
esac
