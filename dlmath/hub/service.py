"""The check service: a JupyterHub-managed service, run as the course's grader account.

    POST {JUPYTERHUB_SERVICE_PREFIX}check   Authorization: token <the student's hub token>
    {"assignment", "notebook", "exercise", "student" (optional), "content": the notebook}

The hub vouches for the token (HubAuthenticated; the token must carry
access:services!service=<this service>); a request naming another student than the token's
is refused. Grading runs in a pool of processes (pool.py). Settings come from the course's
nbgrader_config.py:

    c.DlmathCheck.checks_per_hour = 4          # per student and exercise
    c.DlmathCheck.closed_assignments = ["05_initialization"]   # an exam: no checks
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from jupyterhub.services.auth import HubAuthenticated
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.web import Application, RequestHandler, authenticated

from dlmath.hub.desk import DeskSettings, Reply
from dlmath.hub.pool import Pool

log = logging.getLogger("dlmath.check")
MAX_BODY = 10 * 2**20
class CheckHandler(HubAuthenticated, RequestHandler):
    def initialize(self, pool: Pool) -> None:
        self.pool = pool

    @authenticated
    async def post(self) -> None:
        user = self.get_current_user()
        try:
            body = json.loads(self.request.body)
            fields = [body[k] for k in ("assignment", "notebook", "exercise", "content")]
        except (ValueError, KeyError, TypeError):
            return self._reply(400, Reply("refused", "The request is not a check request."))
        student = body.get("student", user["name"])
        if student != user["name"]:
            log.warning("%s asked to check as %r: refused", user["name"], student)
            return self._reply(403, Reply("refused", "You can check only your own work."))
        if not all(isinstance(f, str) for f in fields):
            return self._reply(400, Reply("refused", "The request is not a check request."))
        reply = await self.pool.check(user["name"], *fields)
        log.info("check %s %s/%s: %s %s", user["name"], fields[0], fields[2], reply.outcome,
                 reply.score)
        self._reply(429 if reply.retry_at else 200, reply)

    def _reply(self, status: int, reply: Reply) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(reply.to_json())


def settings_from_config(course_root: Path) -> tuple[str, DeskSettings]:
    """(gradebook URL, desk settings) from the course's nbgrader_config.py."""
    from dlmath.nbgrader.plan import course_directory, load_config

    config = load_config(course_root)
    section = config.get("DlmathCheck", {})
    settings = DeskSettings(int(section.get("checks_per_hour", 4)),
                            tuple(section.get("closed_assignments", ())))
    return course_directory(config).db_url, settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[dlmath-check %(asctime)s] %(message)s")
    course_root = Path(os.environ.get("DLMATH_COURSE_ROOT", ".")).resolve()
    db_url, settings = settings_from_config(course_root)
    pool = Pool(course_root, db_url, settings, int(os.environ.get("DLMATH_CHECK_WORKERS", "2")))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    app = Application([(prefix + "check", CheckHandler, {"pool": pool})])
    url = os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")
    host, _, port = url.split("://", 1)[1].rstrip("/").rpartition(":")
    HTTPServer(app, max_body_size=MAX_BODY).listen(int(port), host)
    log.info("serving checks of %s at %s%scheck", course_root, url, prefix)
    IOLoop.current().start()


if __name__ == "__main__":
    main()
