"""A simulated class: the demo, the synthetic class and the grading benchmark.

This code plays students (reference answers, the corpus's right and wrong solutions from
`autograders/<assignment>/corpus.py`, blank and hostile notebooks) to show and measure the
course. It never runs at grading time: nothing under `dlmath.engine`, `dlmath.sealed` or
`dlmath.nbgrader` imports it.
"""
