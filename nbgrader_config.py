# nbgrader configuration for the Unit 2 deep-learning course.
#
# nbgrader reads this file from the course root (the directory you run
# `nbgrader ...` or `autograde ...` in). Every setting is a traitlets option;
# `nbgrader --help-all` lists them all. The `autograde` command (the class
# grading pipeline in autograde/) reads its options from this file too, under
# `c.Autograde...`: see the bottom of this file.

c = get_config()  # noqa: F821  (provided by traitlets when the file is loaded)

# ---------------------------------------------------------------- the course
# Identifies the course in the gradebook and in nbgrader's exchange.
c.CourseDirectory.course_id = "unit2-deep-learning"

# The standard directory layout: source/<assignment>/<notebook>.ipynb is the
# instructor version (solutions, hidden tests), release/ the student version,
# submitted/<student>/<assignment>/ what students hand in, autograded/ and
# feedback/ what grading produces.
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# The gradebook: SQLite in the course root, nbgrader's default. Point it at a
# server database (postgresql://...) for a large class with many graders.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Never copy editor and Python litter into release/ or autograded/.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store", "*.swp",
]

# A submission folder larger than this (kB) is not copied whole: a student
# who saves a 2 GB array next to the notebook must not fill the disk.
c.CourseDirectory.max_file_size = 20_000
c.CourseDirectory.max_dir_size = 50_000

# ---------------------------------------------------------------- student versions
# What replaces the code between ### BEGIN SOLUTION and ### END SOLUTION.
# The function signature and docstring stay; only the body is removed.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
# What replaces a written answer in the student version.
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Complain when a cell has solution or hidden-test delimiters but is not
# marked as a solution or grade cell (catches authoring mistakes early).
c.ClearSolutions.enforce_metadata = True
c.ClearHiddenTests.enforce_metadata = True

# Locked cells (tests, instructions) are read-only for students in JupyterLab.
c.LockCells.lock_grade_cells = True
c.LockCells.lock_readonly_cells = True

# Record the assignment in the gradebook when it is generated, so
# `nbgrader generate_assignment` works on a fresh checkout.
c.GenerateAssignment.create_assignment = True

# ---------------------------------------------------------------- grading
# Test cells and written answers come from the gradebook, never from the
# submission: a student who edits or deletes a test cell gets the original
# back, and a deleted cell is re-added (with a note) instead of silently
# losing its points.
c.OverwriteCells.add_missing_cells = True

# Seconds a single cell may run before the kernel is interrupted. Every
# solution cell here finishes in well under a second; 60 s leaves room for a
# slow machine while an infinite loop still costs one minute, not a night.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# A kernel that dies (os._exit, out of memory) is not restarted: the
# submission is reported as failed and graded from the cells that ran.
c.Execute.execute_retries = 0
# Kernel start-up options: no history database, and no debugger warning about
# frozen modules on stderr (nbgrader gives zero to a cell that writes there).
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]
# Remove known harmless stderr noise before grades are computed.
c.IgnorePattern.pattern = r"Debugger warning: It seems that frozen modules are being used"

# Keep runaway output (a print in a loop) from bloating autograded notebooks.
c.LimitOutput.max_lines = 300
c.LimitOutput.max_traceback = 60

# Late submissions are graded in full and flagged in the report; the
# instructor decides on penalties. Use "zero" for a hard deadline.
c.LateSubmissionPlugin.penalty_method = "none"

# ---------------------------------------------------------------- feedback
# Feedback shows students their results and the messages of failed tests, but
# not the code of hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# ---------------------------------------------------------------- exchange
# Not used by the bundled demo (submissions are copied into submitted/), but
# set so that `nbgrader release_assignment` works on a shared JupyterHub.
c.Exchange.root = "/srv/nbgrader/exchange"

# ---------------------------------------------------------------- autograde
# The class grading pipeline (`autograde grade`, see autograde/grader.py).
# Scores are nbgrader's own; these settings say how the work is spread out
# and how a runaway submission is contained. `autograde grade --help-all`
# prints every option with its help.

# Notebooks executed at once, each in its own worker process and kernel.
# Default: the number of CPU cores. (`autograde grade --jobs N`)
# c.ClassGrader.jobs = 2

# Wall-clock seconds one notebook may take in all before its kernel is
# killed and the submission reported as 'timeout'. Execute.timeout above
# limits each cell; this catches kernels that ignore the interrupt.
c.ClassGrader.notebook_timeout = 600

# Address-space limit of each kernel (MiB): a student's giant array raises
# MemoryError instead of taking the grading machine down.
c.ClassGrader.memory_limit_mb = 4096

# Largest file a kernel may write (MiB).
c.ClassGrader.file_limit_mb = 200

# Largest notebook file graded, in MiB: a larger one is 'invalid' before
# nbgrader parses it; other huge files in a submission are left out of the
# kernel's folder and flagged.
c.ClassGrader.notebook_limit_mb = 20

# Each kernel runs in a sandbox (autograde/sandbox.py): its own mount,
# network, pid, ipc and uts namespaces; no network at all; a default-deny
# view of the machine: /usr, a few files of /etc, the Python installation
# and its packages, the assignment's dlkit view (its reference functions
# withheld), a minimal /dev, its own /proc, its working folder, /tmp and
# /dev/shm, and nothing else (no home folders, no other copy of the course);
# as root, its own unprivileged uid; a minimal environment (no instructor
# secrets). "auto": on when namespaces work on this machine (Linux,
# util-linux `unshare`; unprivileged user namespaces when grading as
# non-root), otherwise one warning in the log and kernels run as the grader;
# "on": grading stops with an error when the sandbox cannot be set up (use it
# on the grading server); "off": no sandbox (the limits above still apply).
c.ClassGrader.sandbox = "auto"

# More read-only paths a kernel may see (a data folder the notebooks read).
# c.ClassGrader.sandbox_allowed_paths = ["/data/unit2"]
# Paths hidden even inside an allowed one (the course root's grading state,
# the gradebook and the real dlkit are always hidden).
# c.ClassGrader.sandbox_hidden_paths = []

# All a kernel may write, in MiB: its folder, HOME, /tmp and /dev/shm share
# one size-limited tmpfs, so nothing a kernel writes reaches the host's disk.
c.ClassGrader.disk_limit_mb = 512

# Processes and threads a sandboxed kernel may have at once: a fork bomb stops
# here. Threads count too (numpy's BLAS starts one per core), so keep it well
# above the number of cores. As root each worker's kernels get their own uid,
# so only the kernel's processes count; as non-root (Linux >= 5.14) the count
# is per user namespace, so again only the kernel's.
c.ClassGrader.process_limit = 256

# What one submission folder may bring in all (MiB): files past it are left
# out with a finding. Links, pipes, devices and hard links are never taken in.
c.ClassGrader.submission_limit_mb = 100

# Bytes one output may keep (a stream, a display with all its mime types, an
# error), and all of a notebook's outputs together; past them outputs are cut
# as they arrive, with a note.
c.PrestartingExecute.max_output_bytes = 1_000_000
c.PrestartingExecute.max_notebook_output_bytes = 10_000_000

# The defences that read each graded submission, in order: one module each in
# autograde/checks/ (a course adds its own as "module.Class"). Each runs in a
# bounded child process with these limits.
# c.ClassGrader.checks = ["late", "cell-check", "ast-scan", "copy-check",
#                         "reference-guard", "written-answers"]
c.ClassGrader.check_seconds = 60
c.ClassGrader.check_memory_mb = 2048

# Grading log (status, reason, flags per submission), worker logs and the
# partial notebooks of failed submissions, relative to the course root.
c.ClassGrader.log_directory = "reports/grading"

# Where `autograde report` writes index.html and <assignment>.json, and the
# file `autograde export` writes.
c.ReportApp.output = "reports"
c.ExportApp.to = "grades.csv"

# The folder with roster.csv, schedule.yaml, syllabus.yaml, demo-class.yaml.
c.AutogradeStep.course_data = "course"

# Feedback pages: each notebook rendered in a bounded child; one that takes
# longer or more memory gets no page and is reported, the others go on.
c.SafeFeedback.notebook_timeout = 120
c.SafeFeedback.memory_limit_mb = 2048
