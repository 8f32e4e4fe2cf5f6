"""The course on a JupyterHub, beyond nbgrader: checks a student asks for before submitting.

`desk.py` grades one exercise of a saved notebook with the hidden grader (sealed, on a
check's inputs), rate-limited and recorded; `service.py` is the hub-managed service that
authenticates each request through the hub and hands it to the desk; `client.py` is what
`dlmath.check("softmax")` runs in a student's kernel.
"""
