"""JupyterHub for one dlmath course on one machine.

The course's grader account runs the formgrader as a hub service; instructors reach it through
the `formgrade-dlmath` group, students fetch and submit through the `nbgrader-dlmath` group.
Every user and the service get a subdomain of their own (`alice.hub.example.org`,
`dlmath--service.hub.example.org`), so no student's server shares an origin with the
formgrader: that is what makes it safe to let the formgrader be framed by its own JupyterLab
(JupyterHub >= 4.1 forbids all framing by default, which leaves the formgrader blank).

Site settings come from the environment so that the same file serves a real machine (the
defaults) and the end-to-end test (tests/test_jupyterhub.py). Start it as root from the
directory holding this file: `DLMATH_PREFIX=/opt/dlmath jupyterhub -f jupyterhub_config.py`.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub

COURSE = "dlmath"


def setting(name: str, default: str) -> str:
    return os.environ.get(f"DLMATH_{name}", default)


def user_list(name: str, default: str = "") -> list[str]:
    return [u.strip() for u in setting(name, default).split(",") if u.strip()]


PREFIX = Path(setting("PREFIX", "/opt/dlmath"))  # venv/, proxy/, etc/ (made by setup_course.py)
STATE = Path(setting("HUB_STATE", "/srv/jupyterhub"))  # the hub's database and cookie secret
GRADER = setting("GRADER", f"grader-{COURSE}")  # unix account that owns the course directory
COURSE_ROOT = Path(setting("COURSE_ROOT", f"/home/{GRADER}/{COURSE}"))
EXCHANGE = setting("EXCHANGE", "/srv/nbgrader/exchange")
HUB_URL = setting("HUB_URL", "https://hub.example.org")  # public address; users are subdomains
HUB_API_PORT = int(setting("HUB_API_PORT", "8081"))
PROXY_API_PORT = int(setting("PROXY_API_PORT", "8001"))
SERVICE_PORT = int(setting("SERVICE_PORT", "9999"))
CHECK_PORT = int(setting("CHECK_PORT", "9998"))
CHECK = f"{COURSE}-check"  # the service students ask before submitting (dlmath/hub)
INSTRUCTORS = user_list("INSTRUCTORS", "instructor")
STUDENTS = user_list("STUDENTS")

VENV_BIN = PREFIX / "venv" / "bin"
ETC = PREFIX / "etc"

# --- where the hub listens -------------------------------------------------------------
c.JupyterHub.bind_url = HUB_URL
c.JupyterHub.subdomain_host = HUB_URL
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{HUB_API_PORT}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.command = [str(PREFIX / "proxy" / "node_modules" / ".bin" /
                                       "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# --- who may log in: unix accounts, checked by PAM --------------------------------------
c.JupyterHub.authenticator_class = "pam"
# The grader account is a hub user too: the formgrader looks up its own user's groups to find
# its course. It has no password, so nobody logs in as it.
c.Authenticator.allowed_users = set(INSTRUCTORS + STUDENTS + [GRADER])
c.Authenticator.admin_users = set()  # instructors need no admin rights to grade

c.JupyterHub.load_groups = {
    f"formgrade-{COURSE}": {"users": INSTRUCTORS + [GRADER]},
    f"nbgrader-{COURSE}": {"users": STUDENTS},
}

# --- every user's own server: JupyterLab with the Assignments panel ---------------------
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "DLMATH_EXCHANGE": EXCHANGE,
    # `dlmath.check("softmax")` in a kernel asks the check service here, with the server's
    # own hub token (which carries the student's access to it).
    "DLMATH_CHECK_URL": f"http://127.0.0.1:{CHECK_PORT}/services/{CHECK}/",
    # Students' servers: only the Assignments panel and Validate, not the instructor tools.
    "JUPYTER_CONFIG_PATH": str(ETC / "student"),
}
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120

# --- the course service: the grader account's server with the formgrader ----------------
c.JupyterHub.services = [
    {
        "name": COURSE,
        "url": f"http://127.0.0.1:{SERVICE_PORT}",
        "command": [str(VENV_BIN / "jupyterhub-singleuser"),
                    f"--config={ETC / 'formgrader_server_config.py'}"],
        "user": GRADER,
        "cwd": str(COURSE_ROOT),
        "oauth_no_confirm": True,
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "DLMATH_EXCHANGE": EXCHANGE,
            "DLMATH_COURSE_ROOT": str(COURSE_ROOT),
            "JUPYTER_CONFIG_PATH": str(ETC / "grader"),
            "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        },
    },
    {
        # Checks before submitting: the hidden graders, sealed, on a check's inputs. It runs
        # as the grader account (it reads the graders; no student does) and authenticates
        # every request through the hub.
        "name": CHECK,
        "url": f"http://127.0.0.1:{CHECK_PORT}",
        "command": [str(VENV_BIN / "python"), "-m", "dlmath.hub.service"],
        "user": GRADER,
        "cwd": str(COURSE_ROOT),
        "display": False,
        "environment": {
            "DLMATH_COURSE_ROOT": str(COURSE_ROOT),
            "PATH": f"{VENV_BIN}:/usr/bin:/bin",
            "MPLCONFIGDIR": str(COURSE_ROOT / ".matplotlib"),
        },
    },
]

c.JupyterHub.load_roles = [
    # Instructors open the course service; that is all they need.
    {"name": f"formgrade-{COURSE}", "groups": [f"formgrade-{COURSE}"],
     "scopes": [f"access:services!service={COURSE}", "list:services",
                f"read:services!service={COURSE}"]},
    # Students discover the course service (the Assignments panel lists courses by group),
    # and may ask the check service (it grades only the asker's own notebook).
    {"name": f"nbgrader-{COURSE}", "groups": [f"nbgrader-{COURSE}"],
     "scopes": ["list:services", f"read:services!service={COURSE}",
                f"access:services!service={CHECK}"]},
    # The course service reads the roster and enrols students added in the formgrader.
    {"name": f"{COURSE}-service", "services": [COURSE],
     "scopes": ["list:users", "read:users", "list:groups", "read:groups",
                f"groups!group=nbgrader-{COURSE}"]},
    # A user's server may ask the hub what its user may (its groups, for the course list).
    {"name": "server", "scopes": ["inherit"]},
]
