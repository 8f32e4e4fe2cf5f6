# ruff: noqa: F821 (TARGET and PORT come from a cell the test runs first)
# TARGET: a file the worker must not read.
with open(TARGET) as f:
    print(f.read()[:100])
