"""The cluster's credentials: mutual TLS between scheduler, workers and the instructor.

One self-signed certificate and key (made as `distributed.Security.temporary` makes
them), written to a private folder: every party presents it and accepts only it, so
nobody without the folder can submit work, join as a worker or read a result. `dlmath
cluster` makes them; deploy/dask/README.md says how to share them with other machines.
"""

from __future__ import annotations

import os
from pathlib import Path

from distributed import Security

CERT, KEY = "cluster-cert.pem", "cluster-key.pem"


def make_credentials(folder: Path) -> Path:
    """A new certificate and key in `folder` (private to this user), replacing any there."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    made = Security.temporary()
    for name, text in ((CERT, made.tls_ca_file), (KEY, made.tls_client_key)):
        path = folder / name
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
    return folder


def tls_arguments(folder: Path) -> list[str]:
    """The command-line options of `dask scheduler` and `dask worker`."""
    cert, key = str(folder / CERT), str(folder / KEY)
    return ["--tls-ca-file", cert, "--tls-cert", cert, "--tls-key", key]


def client_security(folder: Path) -> Security:
    cert, key = folder / CERT, folder / KEY
    if not (cert.exists() and key.exists()):
        raise FileNotFoundError(f"no cluster credentials in {folder} (made by `dlmath "
                                "cluster`; see deploy/dask/README.md)")
    return Security(tls_ca_file=str(cert), tls_client_cert=str(cert), tls_client_key=str(key),
                    require_encryption=True)
