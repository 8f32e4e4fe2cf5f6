# ruff: noqa: F821 (TARGET and PORT come from a cell the test runs first)
# PORT: a TCP port the test listens on at 127.0.0.1.
import socket

socket.create_connection(("127.0.0.1", PORT), timeout=2).sendall(b"stolen")
