# Text no UTF-8 file can hold: lone surrogates in everything that leaves student code.
import os
import sys
import warnings


class Odd(Exception):
    pass


def raises(x):
    raise Odd("bad \udcff news")


def warns(x):
    warnings.warn("careful \udcfe", stacklevel=1)
    return x


def returns_text(x):
    return "\udcff"


def returns_keys(x):
    return {"\udcff": 1.0, "ok \ud800": ["\udfff"]}


def prints(x):
    print("quiet \udcff")  # a call's output goes nowhere, but it must not break the reply
    return x


print("out \udcff")
sys.stdout.write("write \udcfe\n")
sys.stderr.write("err \udcfd\n")
os.write(1, b"raw \xff\xfe\n")
class Shown:
    def __repr__(self):
        return "shown \udcff"


Shown()
