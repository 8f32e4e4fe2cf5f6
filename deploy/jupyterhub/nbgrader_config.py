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
