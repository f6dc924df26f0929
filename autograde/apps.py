"""The ``autograde`` command: one subcommand per step of the instructor's job.

Run from the course root (the folder with ``nbgrader_config.py``)::

    autograde release            # gradebook from course/, release/ from source/
    autograde demo               # the bundled demo class in submitted/
    autograde grade [A ...]      # grade every submission, in parallel
    autograde feedback [A ...]   # feedback HTML per student (hidden tests hidden)
    autograde export             # grades.csv (nbgrader's export)
    autograde report [A ...]     # reports/index.html, reports/<assignment>.json

Every option is a traitlets option, set in ``nbgrader_config.py`` like
nbgrader's own (``c.ClassGrader.jobs = 2``) or on the command line
(``--jobs 2``); ``autograde <step> --help-all`` lists them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from nbformat.warnings import MissingIDFieldWarning
from nbgrader.apps.baseapp import NbGrader, nbgrader_aliases, nbgrader_flags
from nbgrader.converters import BaseConverter, GenerateAssignment
from traitlets import Unicode, default

from autograde import __version__

ALIASES = dict(nbgrader_aliases)
FLAGS = dict(nbgrader_flags)


def _say(message: str = "") -> None:
    print(message, flush=True)


class AutogradeStep(NbGrader):
    """What every step shares: the course data folder and the assignments to act on."""

    version = __version__

    course_data = Unicode(
        "course",
        help="Folder (relative to the course root) holding roster.csv, schedule.yaml, "
             "syllabus.yaml and the demo class definition.",
    ).tag(config=True)

    @default("log_level")
    def _log_level_default(self):
        # nbgrader narrates every file it copies; the steps print their own summaries
        return 30  # WARNING

    @property
    def root(self) -> Path:
        return Path(self.coursedir.root)

    @property
    def course_data_dir(self) -> Path:
        return self.root / self.course_data

    def assignments(self) -> list[str]:
        """The assignments named on the command line, else all of the schedule."""
        if self.extra_args:
            return list(self.extra_args)
        from autograde.course import read_schedule

        return [a.id for a in read_schedule(self.course_data_dir)]

    def fail(self, msg, *args):
        self.log.error(msg, *args)
        sys.exit(1)


class ReleaseApp(AutogradeStep):
    name = "autograde-release"
    description = ("Fill the gradebook from course/ (students from roster.csv, assignments and "
                   "due dates from schedule.yaml) and generate release/ from source/.")
    aliases = ALIASES
    flags = FLAGS

    def start(self):
        super().start()
        from nbgrader.api import Gradebook

        from autograde.course import CourseDataError, read_roster, read_schedule

        # release/ is regenerated on purpose; nbgrader warns that it replaces it
        self.log.addFilter(lambda record: "Removing existing assignment"
                           not in record.getMessage())

        try:
            data = self.course_data_dir
            students, schedule = read_roster(data), read_schedule(data)
        except CourseDataError as exc:
            self.fail(str(exc))
        wanted = set(self.assignments())
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            for s in students:
                gb.update_or_create_student(s.id, first_name=s.first_name,
                                            last_name=s.last_name, email=s.email)
            for a in schedule:
                if a.id in wanted:
                    gb.update_or_create_assignment(a.id, duedate=a.due)
        _say(f"gradebook: {len(students)} students, {len(wanted)} assignments "
             f"({self.coursedir.db_url})")
        for a in schedule:
            if a.id not in wanted:
                continue
            if not (self.root / self.coursedir.source_directory / a.id).is_dir():
                self.fail(f"schedule.yaml lists {a.id}, but source/{a.id} does not exist")
            self.coursedir.assignment_id = a.id
            converter = GenerateAssignment(coursedir=self.coursedir, parent=self)
            converter.force = True
            converter.start()
            _say(f"released {a.id:<18} due {a.due:%Y-%m-%d %H:%M} UTC, {a.points:g} points")


class DemoApp(AutogradeStep):
    name = "autograde-demo"
    description = ("Build the bundled demo class in submitted/: students with complete, "
                   "blank, partial, mistaken, late, crashing, looping, corrupted and missing "
                   "submissions, generated reproducibly from source/ and release/.")
    aliases = ALIASES
    flags = FLAGS

    def start(self):
        super().start()
        from autograde.demo import build_demo_class

        try:
            written = build_demo_class(self.root, self.course_data_dir, self.coursedir,
                                       self.assignments())
        except (FileNotFoundError, ValueError) as exc:
            self.fail(str(exc))
        _say(f"demo class: {written} submissions in {self.coursedir.submitted_directory}/")


GRADE_ALIASES = dict(ALIASES, jobs="ClassGrader.jobs",
                     timeout="ClassGrader.notebook_timeout")
GRADE_FLAGS = dict(FLAGS)
GRADE_FLAGS.update({
    "force": ({"BaseConverter": {"force": True}},
              "Grade again submissions that were graded already."),
    "no-progress": ({"ClassGrader": {"show_progress": 0}}, "Do not show the progress bar."),
})


class GradeApp(AutogradeStep):
    name = "autograde-grade"
    description = ("Grade every submission of the named assignments (all when none is named), "
                   "executing notebooks in parallel. Scores land in nbgrader's gradebook.")
    aliases = GRADE_ALIASES
    flags = GRADE_FLAGS

    @default("classes")
    def _classes_default(self):
        from autograde.grader import ClassGrader
        from autograde.worker import PrestartingExecute

        return [*super()._classes_default(), BaseConverter, ClassGrader, PrestartingExecute]

    def start(self):
        super().start()
        from autograde.grader import STATUSES, ClassGrader, Run

        db = self.root / "gradebook.db"
        if self.coursedir.db_url.startswith("sqlite") and not db.exists():
            self.fail("no gradebook yet: run `autograde release` first")
        # nbformat notes missing cell ids in re-added cells on stderr; not news
        warnings.filterwarnings("ignore", category=MissingIDFieldWarning)
        assignments = self.assignments()
        run = Run(assignments)   # one pool of workers for all of them
        try:
            self._grade_each(assignments, run, ClassGrader, STATUSES)
        finally:
            run.close()

    def _grade_each(self, assignments, run, ClassGrader, STATUSES) -> None:
        for assignment in assignments:
            self.coursedir.assignment_id = assignment
            grader = ClassGrader(coursedir=self.coursedir, parent=self)
            grader.run = run
            start = time.monotonic()
            try:
                grader.init_notebooks()
            except Exception:
                grader.assignments = {}
            if not grader.assignments:
                _say(f"{assignment}: no submissions in {self.coursedir.submitted_directory}/")
                continue
            _say(f"{assignment}: grading {len(grader.assignments)} submissions "
                 f"on {grader.jobs} worker(s)")
            with self._log_into(grader.log_dir / f"{assignment}.log"):
                grader.start()
            counts = {s: 0 for s in (*STATUSES, "skipped")}
            for outcome in grader.outcomes.values():
                counts[outcome.status] += 1
            summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            _say(f"{assignment}: {summary} ({time.monotonic() - start:.1f} s)")


    @contextlib.contextmanager
    def _log_into(self, path: Path):
        """Send nbgrader's messages to a log file instead of the terminal.

        nbgrader warns about every restored test cell (hidden tests always
        differ from the student's copy); the report turns what matters into
        flags, and the full log stays next to it.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="w", encoding="utf-8")
        # INFO and up (what nbgrader did to each notebook, its warnings); nbclient's DEBUG
        # lines quote every kernel message (33,000 lines for 60 notebooks, a few percent
        # of the workers' time): only with --log-level=DEBUG
        level = self.log_level
        level = logging.getLevelName(level) if isinstance(level, str) else level
        handler.setLevel(min(logging.INFO, level if isinstance(level, int) else logging.INFO))
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        console = [(h, h.level) for h in self.log.handlers]
        for h, _ in console:
            h.setLevel(logging.ERROR)
            # a submission without its notebook is reported as 'missing' with the
            # files found; nbgrader's own error about it only misleads
            h.addFilter(_not_missing_notebook)
        self.log.addHandler(handler)
        # Python warnings too: nbgrader's gradebook code makes SQLAlchemy warn
        # ("... not in session") when it first creates a submission, as plain
        # `nbgrader autograde` does
        logging.captureWarnings(True)
        py_warnings = logging.getLogger("py.warnings")
        py_warnings.addHandler(handler)
        py_warnings.propagate = False
        try:
            yield
        finally:
            logging.captureWarnings(False)
            py_warnings.removeHandler(handler)
            self.log.removeHandler(handler)
            handler.close()
            for h, level in console:
                h.setLevel(level)
                h.removeFilter(_not_missing_notebook)


def _not_missing_notebook(record: logging.LogRecord) -> bool:
    return "No notebooks found" not in record.getMessage()


class FeedbackApp(AutogradeStep):
    name = "autograde-feedback"
    description = ("Write feedback HTML for every graded submission into feedback/ "
                   "(hidden tests are not shown, in cells or outputs; their messages are). "
                   "The HTML is sanitised; a notebook whose feedback fails is reported and "
                   "the others still get theirs (the exit status is then 1).")
    aliases = ALIASES
    flags = FLAGS

    @default("classes")
    def _classes_default(self):
        from autograde.feedback import SafeFeedback

        return [*super()._classes_default(), SafeFeedback]

    def start(self):
        super().start()
        from autograde.feedback import SafeFeedback

        # nbconvert's HTML exporter hands its display_data_priority setting to every
        # preprocessor, and ClearHiddenTests (which hides the hidden tests) has no
        # use for it; traitlets warns about that on every run. Not news.
        self.log.addFilter(lambda record: "not recognized by `ClearHiddenTests`"
                           not in record.getMessage()
                           and "not recognized by `TestCellsClearHiddenTests`"
                           not in record.getMessage())
        failed = 0
        for assignment in self.assignments():
            self.coursedir.assignment_id = assignment
            converter = SafeFeedback(coursedir=self.coursedir, parent=self)
            converter.force = True
            converter.init_notebooks = _quiet_init(converter)
            try:
                converter.start()
            except Exception as exc:   # the assignment as a whole: say so, go on
                converter.failures.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            n = len(getattr(converter, "assignments", {}) or {})
            hidden = (f"; {converter.redacted} output(s) showing hidden-test code not shown"
                      if converter.redacted else "")
            _say(f"{assignment}: feedback for {n} students in "
                 f"{self.coursedir.feedback_directory}/{hidden}")
            for failure in converter.failures:
                _say(f"{assignment}: NO FEEDBACK for {failure}")
            failed += len(converter.failures)
        if failed:
            self.fail("feedback failed for %d notebook(s) or submission(s), listed above", failed)


def _quiet_init(converter):
    """init_notebooks that treats 'nothing graded yet' as an empty class, not an error."""
    original = converter.init_notebooks

    def init():
        try:
            original()
        except Exception:
            converter.assignments = {}
    return init


class ExportApp(AutogradeStep):
    name = "autograde-export"
    description = "Export every grade in the gradebook to grades.csv (nbgrader's CSV export)."
    aliases = dict(ALIASES, to="ExportApp.to")
    flags = FLAGS

    to = Unicode("grades.csv", help="The CSV file to write.").tag(config=True)

    def start(self):
        super().start()
        from nbgrader.api import Gradebook
        from nbgrader.plugins import CsvExportPlugin

        plugin = CsvExportPlugin(parent=self)
        plugin.to = str(self.root / self.to)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            plugin.export(gb)
        _say(f"grades exported to {self.to}")


class ReportApp(AutogradeStep):
    name = "autograde-report"
    description = ("Write the instructor's report: reports/index.html (plots and tables) and "
                   "reports/<assignment>.json per assignment; print a summary table.")
    aliases = dict(ALIASES, output="ReportApp.output")
    flags = FLAGS

    output = Unicode("reports", help="Folder for the report, relative to the course "
                                     "root.").tag(config=True)

    @default("classes")
    def _classes_default(self):
        from autograde.grader import ClassGrader

        return [*super()._classes_default(), ClassGrader]

    def start(self):
        super().start()
        from autograde.grader import ClassGrader
        from autograde.report import build_report, summary_table

        logs = ClassGrader(coursedir=self.coursedir, parent=self).log_dir
        reports = build_report(self.root, self.coursedir, self.assignments(),
                               self.root / self.output, grading_logs=logs)
        _say(summary_table(reports))
        _say(f"\nreport: {os.path.relpath(self.root / self.output / 'index.html')}")


class AutogradeApp(AutogradeStep):
    name = "autograde"
    description = __doc__
    aliases = ALIASES
    flags = FLAGS
    subcommands = {
        "release": (ReleaseApp, ReleaseApp.description),
        "demo": (DemoApp, DemoApp.description),
        "grade": (GradeApp, GradeApp.description),
        "feedback": (FeedbackApp, FeedbackApp.description),
        "export": (ExportApp, ExportApp.description),
        "report": (ReportApp, ReportApp.description),
        "serve": ("autograde.serve.ServeApp", "Grade every submission as it reaches the "
                  "nbgrader exchange, write its feedback and release it to the student."),
        "hub": ("autograde.hub.HubApp", "Run the course on a JupyterHub on this machine "
                "(as root): an account per student, graded on submit."),
    }

    def start(self):
        if self.subapp is None:
            known = ", ".join(self.subcommands)
            if self.extra_args:   # a word that is no command: say which, and the real ones
                print(f"autograde: unknown command {self.extra_args[0]!r}; the commands are: "
                      f"{known} (autograde <command> --help for one)", file=sys.stderr)
                sys.exit(2)
            self.print_help()
            _say("\nSubcommands:\n")
            self.print_subcommands()
            sys.exit(1)
        self.subapp.start()


def main() -> None:
    # nbgrader runs `alembic` from PATH: make this environment's tools findable
    # even when the virtual environment is not activated
    here = str(Path(sys.executable).parent)
    if here not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")
    AutogradeApp.launch_instance()
