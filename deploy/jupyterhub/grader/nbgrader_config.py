"""nbgrader settings of the grader account's server: where the course directory is."""

import os

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.root = os.environ.get("DLMATH_COURSE_ROOT", os.getcwd())
