"""Grading on a Dask cluster: `dlmath grade --scheduler` and `dlmath cluster`.

- `bundle.py`: what a worker needs to grade one assignment, sent through the scheduler;
- `worker.py`: in each Dask worker, the plugin that proves the host seals and installs the
  bundle, and the task that grades one submission sealed;
- `client.py`: the instructor's side, the one writer of the gradebook;
- `security.py`: the cluster's mutual-TLS credentials;
- `local.py`: `dlmath cluster`, a real scheduler and workers on this machine.
"""
