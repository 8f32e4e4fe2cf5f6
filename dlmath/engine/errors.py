"""Failures of a student's answer, as the grader sees them.

Each carries a message meant for the student. They hold only plain data (names and
strings, never the student's objects) so the sealed worker can report them across a pipe.
"""

from __future__ import annotations


class CheckFailed(AssertionError):
    """A check on the student's answer did not hold; the message says why. `diagnosis`,
    when the raiser knows it, names the mistake in words the same for every student who
    made it (the class report counts them); else runner.diagnosis_of reads it off the
    message."""

    diagnosis = ""

    def __init__(self, message: str = "", diagnosis: str = ""):
        super().__init__(message)
        if diagnosis:
            self.diagnosis = diagnosis


class Mismatch(CheckFailed):
    """Values differ and no cause could be named: the feedback shows these after the
    failures whose message names the likely mistake."""


class StudentError(CheckFailed):
    """The student's code raised, timed out, crashed, or returned something unusable."""


class StudentRaised(StudentError):
    """The student's function raised an exception. `exc_message` is the exception's own
    message (graders may judge it: it is what the student's code says); `where` is the
    line that raised ('line 3: code') and, after a newline, what the shapes there say of
    a numpy shape error (engine/shapes.py)."""

    def __init__(self, call: str, type_name: str, message: str, mro: tuple[str, ...] = (),
                 where: str = ""):
        self.call, self.type_name, self.exc_message = call, type_name, message
        self.mro = mro or (type_name,)
        self.where = where
        line, _, explained = where.partition("\n")
        text = f"{call} raised {type_name}: {message}".rstrip(": ")
        super().__init__(text + (f" ({line})" if line else "")
                         + (f". {explained}" if explained else ""), f"raises {type_name}")

    def is_a(self, type_name: str) -> bool:
        return type_name in self.mro


class StudentTimeout(StudentError):
    """A call ran past its time limit: usually an infinite loop."""

    diagnosis = "does not finish in time"


class StudentCrashed(StudentError):
    """The process running the student's code died, exited or flooded its output."""

    diagnosis = "crashes the process running it"


class MissingFunction(StudentError):
    """The notebook does not define the name the grader asks for."""

    diagnosis = "not defined where it is graded"


class WrongReturnType(StudentError):
    """The answer is not plain data (for example a torch tensor or a custom object)."""


class InputModified(StudentError):
    """The function changed one of its input arrays in place."""

    diagnosis = "modifies its input in place"
