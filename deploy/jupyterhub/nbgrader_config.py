"""nbgrader settings shared by everyone on the hub (installed as the environment's
etc/jupyter/nbgrader_config.py): the course, the exchange, and JupyterHub groups as the
source of who takes which course."""

import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "dlmath"
c.Exchange.root = os.environ.get("DLMATH_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = JupyterHubAuthPlugin

# Validate runs only the public checks: its report says so, and how to ask the hidden grader.
c.Validator.failed_warning = (
    "VALIDATION FAILED ON {num_failed} CELL(S): the public checks above did not pass.\n"
    "Validate runs only the public checks, not the hidden grader. To ask the hidden grader\n"
    "about one exercise before you submit, run in a cell: from dlmath import check; "
    "check(\"<function>\")\n")
