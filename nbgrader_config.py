"""nbgrader configuration of the dlmath course. Run nbgrader from this directory."""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "dlmath"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"

# A student who deletes a test cell (or its metadata) still gets it graded.
c.OverwriteCells.add_missing_cells = True

# Per cell. Hidden grade calls stop each student call after 5 s themselves (an infinite loop
# costs one call, not the cell), so this only bounds top-level code.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Feedback shows the student's work and the grader's report, never hidden test source,
# tracebacks of grader code, or file paths.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "dlmath.nbgrader.feedback.HideGraderInternals",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
