"""`dlmath.check("softmax")` in a student's kernel: ask the course's check service about one
exercise of this notebook, as it is saved now, and print the report.

It prints one clear sentence instead of a traceback when something is in the way: the
notebook is not saved since the exercise was last run, the service cannot be reached, or
it refused (too many checks this hour: it says when the next one is allowed).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT = 180  # seconds: a check runs the cells above the exercise, then its grader


def check(exercise: str) -> None:
    print(ask(exercise))


def ask(exercise: str) -> str:
    """The report, or the one sentence that says what to do instead."""
    url, token = os.environ.get("DLMATH_CHECK_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if not url or not token:
        return ("Checks work in the course's JupyterHub only: here, run the public checks "
                "and submit as usual.")
    path = notebook_path()
    if path is None:
        return ("This kernel does not know which notebook it belongs to: run the check from "
                "the notebook itself, in JupyterLab.")
    try:
        content = path.read_text()
    except OSError:
        return f"The notebook {path.name} could not be read: save it (Ctrl+S) and try again."
    stale = unsaved(exercise, content)
    if stale:
        return stale
    request = {"assignment": path.parent.name, "notebook": path.name, "exercise": exercise,
               "student": os.environ.get("JUPYTERHUB_USER", ""), "content": content}
    return send(url.rstrip("/") + "/check", token, request)


def notebook_path() -> Path | None:
    """The notebook this kernel runs (JupyterLab names it in JPY_SESSION_NAME)."""
    name = os.environ.get("JPY_SESSION_NAME")
    if not name:
        return None
    path = Path(name)
    if not path.is_absolute():
        path = Path.cwd() / path.name  # the kernel starts in the notebook's folder
    return path if path.suffix == ".ipynb" else None


def unsaved(exercise: str, content: str) -> str:
    """A sentence when the kernel last ran a definition of `exercise` that differs from
    the one saved in the notebook, else ''."""
    ran = last_run_definition(exercise)
    if ran is None:
        return ""
    try:
        cells = json.loads(content).get("cells", [])
    except ValueError:
        return ""
    saved = [_source(c) for c in cells if c.get("cell_type") == "code"]
    if any(_same(ran, s) for s in saved):
        return ""
    return (f"Your saved notebook differs from the `{exercise}` you last ran: save it "
            "(Ctrl+S), then run this check again. The check grades the saved notebook.")


def last_run_definition(name: str) -> str | None:
    """The last cell this kernel ran that defines `name`, or None."""
    try:
        history = get_ipython().user_ns.get("In", [])  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return None
    pattern = re.compile(rf"^\s*def\s+{re.escape(name)}\s*\(", re.MULTILINE)
    return next((cell for cell in reversed(history) if pattern.search(cell or "")), None)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _same(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def send(url: str, token: str, request: dict) -> str:
    data = json.dumps(request).encode()
    http = urllib.request.Request(url, data=data, method="POST", headers={
        "Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(http, timeout=TIMEOUT) as response:
            return _text(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        if error.code in (401, 403) and not body.strip().startswith(b"{"):
            return ("The check service did not accept this server's login: reload "
                    "JupyterLab (or restart your server from the hub) and try again.")
        return _text(body) or f"The check service refused the check ({error.code})."
    except (urllib.error.URLError, TimeoutError, OSError):
        return ("The check service cannot be reached right now: your work is saved; try "
                "again in a few minutes, or ask your instructor if it keeps failing.")


def _text(body: bytes) -> str:
    try:
        return str(json.loads(body)["text"])
    except (ValueError, KeyError, TypeError):
        return ""
