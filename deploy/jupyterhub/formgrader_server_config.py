"""Jupyter Server settings of the course service (the grader account's server).

JupyterHub >= 4.1 sends `frame-ancestors 'none'` from every server it spawns, and JupyterLab
shows the formgrader in an iframe, which then stays blank. The service alone allows framing
by its own origin; with JupyterHub's subdomains that origin is the service's and nobody
else's, so no student's page can frame it.
"""

c = get_config()  # noqa: F821 - provided by Jupyter Server

c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
