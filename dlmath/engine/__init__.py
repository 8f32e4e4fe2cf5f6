"""The grading engine: graders call student code through a `student` object, compare with
PyTorch references, and turn cases into a score with reasons."""
