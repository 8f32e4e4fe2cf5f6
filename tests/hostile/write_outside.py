# ruff: noqa: F821 (TARGET and PORT come from a cell the test runs first)
# TARGET: a path outside the scratch directory.
with open(TARGET, "w") as f:
    f.write("written by the worker")
