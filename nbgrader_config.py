"""nbgrader configuration of the dlmath course. Run nbgrader from this directory."""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "dlmath"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"

# A student who deletes a test cell (or its metadata) still gets it graded.
c.OverwriteCells.add_missing_cells = True

# Before nbgrader's own sanitize steps, every string of a submitted notebook is made valid
# text: its JSON can spell a lone surrogate, which no notebook writer can write back.
# nbgrader's steps that read the gradebook do so once per run, not once per notebook, and
# the metadata check compiles its schema once (dlmath/nbgrader/sanitize.py): nbgrader's own
# code, run against what the gradebook held when the run began.
c.Autograde.sanitize_preprocessors = [
    "dlmath.nbgrader.sanitize.ValidText",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "dlmath.nbgrader.sanitize.SnapshotOverwriteKernelspec",
    "dlmath.nbgrader.sanitize.SnapshotOverwriteCells",
    "dlmath.nbgrader.sanitize.RememberingCheckCellMetadata",
]

# Submissions are graded sealed: student cells run in a confined worker process, and each
# graded cell is graded here, outside it (dlmath/nbgrader/sealed_execute.py). This list is
# nbgrader's own with SealedExecute in the place of Execute, and SaveGrades in the place of
# SaveAutoGrades and AssignLatePenalties: the same rows (and each graded case, for the class
# report) in one transaction per notebook (dlmath/nbgrader/record.py). Late-submission
# plugins are configured as ever, as c.AssignLatePenalties.plugin_class.
c.Autograde.autograde_preprocessors = [
    "dlmath.nbgrader.sealed_execute.SealedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "dlmath.nbgrader.record.SaveGrades",
    "dlmath.nbgrader.sanitize.RememberingCheckCellMetadata",
]
# nbconvert validates the notebook against its schema once after the whole chain, not after
# each step (a dozen times a notebook, a millisecond each); an invalid notebook is still
# refused, before it is written.
c.Exporter.optimistic_validation = True
# The worker's limits (defaults in dlmath/sealed/limits.py), for example:
c.SealedExecute.call_seconds = 5  # each call of a student function
c.SealedExecute.cell_seconds = 30  # each student cell, like Execute.timeout
c.SealedExecute.memory_bytes = 2 * 1024**3

# Only for the in-kernel path (stock Execute, e.g. instructors running source/ notebooks):
# hidden grade calls stop each student call after 5 s themselves, so this bounds top-level
# code.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Feedback shows the student's work and the grader's report, never hidden test source,
# tracebacks of grader code, or file paths. Its summary names every exercise with its points
# and first diagnosis; its math is typeset when it is made, so it reads offline.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "dlmath.nbgrader.feedback.NameTheScores",  # reads the grade call: before it is hidden
    "dlmath.nbgrader.feedback.HideGraderInternals",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "dlmath.nbgrader.feedback_page.FeedbackPage"
