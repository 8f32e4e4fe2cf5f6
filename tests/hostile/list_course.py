# ruff: noqa: F821 (TARGET and PORT come from a cell the test runs first)
import os

print(os.listdir(TARGET))
