# ruff: noqa: F821 (TARGET and PORT come from a cell the test runs first)
# TARGET: a file the shell command would create.
import os
import subprocess

print("os.system returned", os.system(f"touch {TARGET}"))
subprocess.run(["touch", TARGET], check=False)
