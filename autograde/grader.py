"""Grade a whole class in parallel, with nbgrader's own steps and gradebook.

``nbgrader autograde`` handles one notebook after another, and each one in
two phases: *sanitize* (clear outputs, restore test cells from the gradebook,
...) and *autograde* (execute, then save the grades). :class:`ClassGrader` is
nbgrader's ``Autograde`` converter with that loop taken apart into a
pipeline:

1. **prepare** (main process): nbgrader's ``init_assignment`` (student,
   submission and timestamp in the gradebook) and its sanitize step;
2. **execute** (worker processes, :mod:`autograde.pool`): nbgrader's
   pre-save preprocessors, Execute first, on ``jobs`` notebooks at once;
3. **save** (main process): nbgrader's ``SaveAutoGrades``,
   ``AssignLatePenalties`` and ``CheckCellMetadata``.

Only the main process writes the gradebook, so SQLite always has one writer,
and every step is nbgrader's own, so the scores are the ones ``nbgrader
autograde`` records. Around that, each submission gets a *status* (graded,
failed, timeout, missing, invalid), a reason, and flags for manual review,
logged in ``reports/grading/<assignment>.json`` for ``autograde report``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.preprocessors import SaveAutoGrades
from traitlets import Enum, Float, Integer, List, Unicode, default

from autograde import bounded, intake, integrity, sandbox, speedups, withheld
from autograde.checks import DEFAULT as DEFAULT_CHECKS
from autograde.checks import Submission, load_checks, run_checks
from autograde.checks.base import MAX_DEPTH, json_depth
from autograde.pool import Job, WorkerPool
from autograde.progress import Progress
from autograde.status import SUBMISSION, Finding, Status
from autograde.worker import build_preprocessors, split_autograde_steps

GRADED, FAILED, TIMEOUT = Status.GRADED, Status.FAILED, Status.TIMEOUT
MISSING, INVALID, SKIPPED = Status.MISSING, Status.INVALID, Status.SKIPPED
STATUSES = SUBMISSION


@dataclass
class Outcome:
    """How one student's submission of one assignment went."""

    student: str
    assignment: str
    status: Status = Status.GRADED
    reason: str = ""
    seconds: float = 0.0
    notebooks: dict[str, str] = field(default_factory=dict)   # notebook -> execution status
    findings: list[Finding] = field(default_factory=list)      # each once, with its check
    # what it cost the main process: seconds (intake, prepare, save, checks), and the
    # main process's resident memory once it was done with it
    main_seconds: float = 0.0
    main_rss_mb: float = 0.0

    def flag(self, check: str, message: str, notebook: str = "") -> None:
        self.add(Finding(check, message, notebook))

    def add(self, finding: Finding) -> None:
        if all(str(f) != str(finding) for f in self.findings):
            self.findings.append(finding)

    @property
    def flags(self) -> list[str]:
        """The findings as sentences (what the report shows)."""
        return [str(f) for f in self.findings]


class Run:
    """What the assignments of one ``autograde grade`` share: the worker pool (forked
    once, with every assignment's dlkit view) and the scratch folder of the views."""

    def __init__(self, assignments=()):
        self.assignments = list(assignments)
        self.scratch = Path(tempfile.mkdtemp(prefix="autograde-views-"))
        self.pool: WorkerPool | None = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        shutil.rmtree(self.scratch, ignore_errors=True)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class ClassGrader(Autograde):
    """nbgrader's Autograde converter, executing ``jobs`` notebooks at once."""

    run: Run | None = None   # set by the app: a pool shared by the run's assignments

    jobs = Integer(
        help="How many notebooks to execute at once (default: the number of CPU cores). "
             "Each runs in its own worker process and kernel.",
    ).tag(config=True)

    @default("jobs")
    def _jobs_default(self):
        return _cores()

    notebook_timeout = Float(
        600.0,
        help="Wall-clock seconds one notebook may take in all. Past it the kernel is killed "
             "and the submission's status is 'timeout'. (Execute.timeout limits each cell; "
             "this catches kernels that ignore the interrupt.)",
    ).tag(config=True)

    memory_limit_mb = Integer(
        4096,
        help="Address-space limit of each kernel, in MiB (0: none). A submission that "
             "allocates more gets MemoryError instead of exhausting the machine.",
    ).tag(config=True)

    file_limit_mb = Integer(
        200,
        help="Largest file a kernel may write, in MiB (0: none).",
    ).tag(config=True)

    sandbox = Enum(
        ["auto", "on", "off"], "auto",
        help="Run each kernel in a sandbox (autograde/sandbox.py): its own mount, network, "
             "pid, ipc and uts namespaces, a read-only view of an allow-list of paths only "
             "(sandbox_allowed_paths), its writable space under a quota (disk_limit_mb), no "
             "network, its own unprivileged uid (when grading as root), a minimal "
             "environment. 'auto': on "
             "when namespaces work here, else a warning and no sandbox; 'on': grading fails "
             "when it cannot be set up; 'off': kernels run as the grader (limits still apply).",
    ).tag(config=True)

    process_limit = Integer(
        256,
        help="Processes and threads a sandboxed kernel may have at once (RLIMIT_NPROC; 0: "
             "none). Counts the kernel's own threads (numpy's BLAS starts one per core).",
    ).tag(config=True)

    sandbox_allowed_paths = List(
        Unicode(),
        help="More paths a sandboxed kernel may read (read-only). The sandbox is default "
             "deny: a kernel sees /usr and the /bin, /sbin, /lib* links, a few files of /etc, "
             "the Python installation and its site-packages (the venv, even inside the "
             "course root), the assignment's dlkit view, a minimal /dev, its own /proc, its "
             "working folder, /tmp and /dev/shm; nothing else of the machine exists for it.",
    ).tag(config=True)

    sandbox_hidden_paths = List(
        Unicode(),
        help="Paths a sandboxed kernel must not see even where they lie inside an allowed "
             "path (like the course root's grading state, nbgrader's directories, the "
             "gradebook and the real dlkit, always hidden there). Elsewhere nothing needs "
             "hiding: the sandbox shows only its allow-list.",
    ).tag(config=True)

    disk_limit_mb = Integer(
        512,
        help="What a sandboxed kernel may write in all, in MiB: its working folder, HOME, "
             "/tmp and /dev/shm share one size-limited tmpfs (past it: OSError ENOSPC), so "
             "nothing a kernel writes reaches the host's disk. It lives in memory (RAM and "
             "swap), only as far as it is used. 0: the tmpfs default (half the RAM). Without "
             "the sandbox (sandbox = off) there is no quota, only file_limit_mb.",
    ).tag(config=True)

    def _sandbox_settings(self, views: dict) -> dict:
        """The kernels' sandbox for this run (probed once; see autograde/sandbox.py).

        ``views``: assignment -> the folder of its dlkit view (autograde/withheld.py).
        """
        cd, root = self.coursedir, self.coursedir.root
        hide = [os.path.join(root, d) for d in (cd.submitted_directory, cd.autograded_directory,
                                               cd.feedback_directory, cd.source_directory,
                                               cd.release_directory)]
        if cd.db_url.startswith("sqlite:///"):
            db = os.path.join(root, cd.db_url[len("sqlite:///"):])
            hide += [db + suffix for suffix in ("", "-journal", "-wal", "-shm")]
        exchange = self.config.get("Exchange", {}).get("root")
        hide += [str(self.log_dir), *([exchange] if isinstance(exchange, str) else []),
                 *self.sandbox_hidden_paths]
        cpu = int(self.notebook_timeout * max(1, _cores())) + 60 if self.notebook_timeout else 0
        return sandbox.settings(self.sandbox, course_root=root, hide=hide,
                                allow=self.sandbox_allowed_paths, disk_mb=self.disk_limit_mb,
                                memory_mb=self.memory_limit_mb, file_mb=self.file_limit_mb,
                                process_limit=self.process_limit, cpu_seconds=cpu, views=views,
                                log=self.log)

    log_directory = Unicode(
        "reports/grading",
        help="Where the grading log (<assignment>.json), the workers' logs and the partial "
             "notebooks of failed submissions are kept, relative to the course root.",
    ).tag(config=True)

    notebook_limit_mb = Integer(
        20,
        help="Largest notebook file graded, in MiB (0: none). A larger one is 'invalid' "
             "before nbgrader parses it.",
    ).tag(config=True)

    show_progress = Integer(
        1, help="Show a progress bar on stderr (1) or not (0).",
    ).tag(config=True)

    checks = List(
        Unicode(), default_value=list(DEFAULT_CHECKS),
        help="The defences that read each graded submission, in order (autograde/checks/): "
             "names of autograde.checks.CHECKS, or module.Class of a course's own check "
             "(a subclass of autograde.checks.Check).",
    ).tag(config=True)

    check_seconds = Float(
        60.0, help="Wall-clock seconds the checks may take on one submission (they run in a "
                   "bounded child process; past it, the check says it gave up).",
    ).tag(config=True)

    check_memory_mb = Integer(
        2048, help="Memory the checks may use on one submission, in MiB, beyond the grader's.",
    ).tag(config=True)

    submission_limit_mb = Integer(
        100, help="Most a submission folder may bring in all, in MiB (0: none): the files "
                  "past it are left out, with a finding.",
    ).tag(config=True)

    # ------------------------------------------------------------------ intake
    _staging: str | None = None      # course-relative folder of the intake copies
    _intakes: dict = {}              # (student, assignment) -> intake.Intake

    @property
    def _input_directory(self):
        # nbgrader's Autograde: sanitize reads submitted/, saving reads autograded/
        if not self._sanitizing:
            return self.coursedir.autograded_directory
        return self._staging or self.coursedir.submitted_directory

    def init_notebooks(self) -> None:
        """Take every matching submission folder in (:mod:`autograde.intake`), then let
        nbgrader find the notebooks in the copies: nothing of nbgrader's or ours
        reads the submitted folder itself, so no link in it is ever followed."""
        cd = self.coursedir
        pattern = cd.format_path(cd.submitted_directory, cd.student_id or "*",
                                 cd.assignment_id or "*")
        if self._staging and getattr(self, "_taken_from", None) == pattern:
            return super().init_notebooks()   # taken in already (the app looks first)
        self._staging, self._taken_from = None, pattern
        staging = Path(self.log_dir) / f".intake-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        limits = intake.Limits(notebook_bytes=self.notebook_limit_mb * 2**20,
                               file_bytes=(cd.max_file_size or 0) * 1000,
                               total_bytes=self.submission_limit_mb * 2**20)
        self._intakes = {}
        for folder in sorted(glob.glob(pattern)):
            student, assignment = Path(folder).parts[-2], Path(folder).parts[-1]
            start = time.perf_counter()
            if os.path.islink(os.path.dirname(folder)):
                taken = intake.Intake(refused="the student's folder is a link: nothing graded")
            else:
                taken = intake.take_in(folder, str(staging / student / assignment), limits)
            taken.seconds = time.perf_counter() - start
            self._intakes[(student, assignment)] = taken
        self._staging = os.path.relpath(staging, cd.root)
        try:
            super().init_notebooks()
        except Exception:
            self._staging_done()
            raise

    def _staging_done(self) -> None:
        if self._staging:
            shutil.rmtree(os.path.join(self.coursedir.root, self._staging), ignore_errors=True)

    # ------------------------------------------------------------------ setup
    def _exporter_with(self, steps) -> NotebookExporter:
        exporter = self.exporter_class(parent=self, config=self.config)
        for pp in steps:
            exporter.register_preprocessor(pp)
        return exporter

    @property
    def log_dir(self) -> Path:
        return Path(self.coursedir.root) / self.log_directory

    # ------------------------------------------------------------------ the pipeline
    def convert_notebooks(self) -> None:
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self._checks = load_checks(self.checks)   # an unknown name stops the run here
        self._restorer = integrity.RestoreCellMetadata(self.coursedir.db_url)
        self._sanitize_exporter = self._exporter_with([self._restorer,
                                                       *self.sanitize_preprocessors])
        speedups.install()   # nbgrader's gradebook and metadata checks, cheap; same results
        self._save_exporter = self._exporter_with(
            [speedups.SaveAutoGradesOnce if pp is SaveAutoGrades else pp
             for pp in split_autograde_steps(self.autograde_preprocessors)[1]])
        self._scratch = Path(tempfile.mkdtemp(prefix="autograde-run-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)

        # assignment by assignment: a worker's next kernel is started early for the
        # assignment it is grading (each assignment's kernels get their own dlkit view)
        submissions = sorted((self._parse(path) for path in self.assignments),
                             key=lambda s: (s[1], s[0]))
        self._note_missing(submissions)
        # one pool for the whole run when the app grades several assignments (a Run)
        run = self.run if self.run is not None else Run()
        pool = run.pool
        if pool is None:
            wanted = sorted({a for _, a, _ in submissions} | set(run.assignments))
            views = {a: str(withheld.build_view(self.coursedir.root, a, run.scratch / "views" / a))
                     for a in wanted}
            workers = min(self.jobs, len(submissions) if len(wanted) <= 1 else self.jobs) or 1
            pool = WorkerPool(self.coursedir.root, workers,
                              self.notebook_timeout, self.memory_limit_mb, self.file_limit_mb,
                              self.log_dir / "workers", sandbox=self._sandbox_settings(views),
                              assignment=wanted[0] if wanted else None)
            # fork the workers first: they start kernels while submissions are prepared
            pool.start(*build_preprocessors(self))
            run.pool = pool
        progress = Progress(sum(len(nbs) for _, _, nbs in submissions),
                            enabled=bool(self.show_progress))
        prepared, pending, by_job = [], {}, {}

        self.timing: dict[str, float] = {"prepare (main process)": 0.0,
                                         "save (main process)": 0.0}

        def save(result):
            outcome = by_job[result.job.id]
            start = time.perf_counter()
            self._save(outcome, result)
            self.timing["save (main process)"] += time.perf_counter() - start
            for phase, seconds in result.timing.items():
                self.timing[phase] = self.timing.get(phase, 0.0) + float(seconds)
            pending[id(outcome)] -= 1
            if pending[id(outcome)] == 0:
                self._finish(outcome)
            outcome.main_seconds += time.perf_counter() - start
            progress.update(result.job, outcome.status)

        try:
            for student, assignment, notebooks in submissions:
                outcome = Outcome(student, assignment)
                self.outcomes[(student, assignment)] = outcome
                start = time.perf_counter()
                jobs = self._prepare(outcome, notebooks)
                self.timing["prepare (main process)"] += time.perf_counter() - start
                outcome.main_seconds += time.perf_counter() - start
                prepared.append((outcome, jobs))
                pending[id(outcome)] = len(jobs)
                progress.total -= len(notebooks) - len(jobs)
                for job in jobs:
                    by_job[job.id] = outcome
                    pool.submit(job)
                for result in pool.ready():
                    save(result)
            for result in pool.drain():
                save(result)
        finally:
            progress.close()
            shutil.rmtree(self._scratch, ignore_errors=True)
            if self.run is None:
                run.close()
        try:
            for outcome, js in prepared:
                if not js:   # nothing to execute: invalid, missing or skipped
                    start = time.perf_counter()
                    self._finish(outcome)
                    outcome.main_seconds += time.perf_counter() - start
        finally:
            self._staging_done()
        self._write_log()

    def _parse(self, path: str) -> tuple[str, str, list[str]]:
        regexp = self._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        m = re.match(regexp, path)
        return m.group("student_id"), m.group("assignment_id"), sorted(self.assignments[path])

    def _note_missing(self, submissions) -> None:
        """Submission folders with no notebook nbgrader can grade, or none we could take in."""
        seen = {(s, a) for s, a, _ in submissions}
        for (student, assignment), taken in sorted(self._intakes.items()):
            if (student, assignment) in seen:
                continue
            if taken.refused or taken.oversized:
                outcome = Outcome(student, assignment, INVALID,
                                  taken.refused or "; ".join(taken.oversized))
            else:
                found = [k for k in taken.kept if k != "timestamp.txt"]
                outcome = Outcome(student, assignment, MISSING, "no notebook in the submission" +
                                  (f" (found: {', '.join(found)})" if found
                                   else " (the folder is empty)"))
            for finding in taken.findings:
                outcome.add(finding)
            outcome.main_seconds = taken.seconds
            outcome.main_rss_mb = round(_rss_mb(), 1)
            if taken.findings and outcome.status == MISSING:
                left = "; ".join(f.message for f in taken.findings)
                outcome.reason += f"; left out: {left[:300]}"
            self.outcomes[(student, assignment)] = outcome

    def _prepare(self, outcome: Outcome, notebooks: list[str]) -> list[Job]:
        """nbgrader's init_destination, init_assignment and sanitize step."""
        self.notebooks = notebooks
        student, assignment = outcome.student, outcome.assignment
        taken = self._intakes.get((student, assignment))
        for finding in (taken.findings if taken else []):
            outcome.add(finding)
        outcome.main_seconds += taken.seconds if taken else 0.0
        try:
            if not self.init_destination(assignment, student):
                outcome.status, outcome.reason = SKIPPED, "already graded (use --force)"
                return []
            self.run_pre_convert_hook()
            self.init_assignment(assignment, student)
        except Exception as exc:
            known = self._known_notebooks(assignment)
            names = ", ".join(Path(n).name for n in notebooks)
            outcome.status = MISSING if "No notebooks found" in str(exc) else INVALID
            outcome.reason = (f"no notebook named {', '.join(k + '.ipynb' for k in known)} "
                              f"(found: {names})" if outcome.status == MISSING
                              else f"could not be prepared: {exc}")
            self._drop(assignment, student)
            return []
        problem = self._check_input(outcome, notebooks)
        if problem:
            outcome.status, outcome.reason = INVALID, problem
            self._drop(assignment, student)
            return []
        jobs = []
        for path in self.notebooks:
            notebook_id = Path(path).stem
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")   # nbformat's notes on cell ids
                    nbformat.validate(nbformat.read(path, as_version=nbformat.NO_CONVERT))
                self.exporter, self._sanitizing = self._sanitize_exporter, True
                BaseConverter.convert_single_notebook(self, path)
                for finding in self._restorer.findings:
                    outcome.flag("cell-metadata", finding, notebook_id)
            except Exception as exc:
                outcome.status = INVALID
                outcome.reason = f"{notebook_id}.ipynb is not a valid notebook: " + \
                    _what_is_wrong(path, exc)
                self._drop(assignment, student)
                return []
            sanitized = Path(self._format_dest(assignment, student)) / f"{notebook_id}.ipynb"
            output = self._scratch / f"{student}--{assignment}--{notebook_id}.ipynb"
            jobs.append(Job(student, assignment, notebook_id, sanitized, output,
                            self.coursedir.db_url))
        missing = set(self._known_notebooks(assignment)) - {Path(p).stem for p in self.notebooks}
        if missing:
            outcome.flag("input-check", "notebook(s) not submitted, scored 0: "
                         + ", ".join(sorted(missing)))
        return jobs

    def _check_input(self, outcome: Outcome, notebooks: list[str]) -> str | None:
        """Why the submission cannot be graded, or None: each notebook read and validated
        in a bounded child (:mod:`autograde.bounded`) before nbgrader parses it here, so a
        notebook built to exhaust a JSON reader or a validator costs only that child."""
        limit = self.notebook_limit_mb * 1024 * 1024
        for path in notebooks:
            name = Path(path).name
            try:
                size = os.lstat(path).st_size
            except OSError as err:
                return f"{name} cannot be read: {err.strerror}"
            if limit and size > limit:
                return (f"{name} is {size / 2**20:.0f} MB, over the {self.notebook_limit_mb} MB "
                        "limit for a notebook (large outputs or embedded data?): clear the "
                        "outputs and save it again")
            try:
                problem = bounded.run(_inspect_notebook, path, seconds=self.check_seconds,
                                      memory_mb=self.check_memory_mb)
            except bounded.Exceeded as exc:
                problem = f"it could not be read safely (reading it {exc})"
            if problem:
                return f"{name} {problem}"
        return None

    def _known_notebooks(self, assignment: str) -> list[str]:
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return [nb.name for nb in gb.find_assignment(assignment).notebooks]
            except MissingEntry:
                return []

    def _save(self, outcome: Outcome, result) -> None:
        """Put the executed notebook in place and let nbgrader save its grades."""
        job = result.job
        outcome.seconds += result.seconds
        outcome.notebooks[job.notebook_id] = result.status
        self._worker_findings(outcome, result)
        if result.cell_timeouts:
            outcome.status = TIMEOUT
            outcome.reason = (f"{job.notebook_id}: cell(s) {', '.join(result.cell_timeouts)} ran "
                              "past the per-cell time limit and were interrupted")
        if result.status != "ok":
            status = TIMEOUT if result.status in (Status.TIMEOUT, Status.UNRESPONSIVE) else FAILED
            if outcome.status not in (FAILED, TIMEOUT) or status == FAILED:
                outcome.status = status
            outcome.reason = f"{job.notebook_id}: {result.error}"
            if job.output.exists():
                keep = self.log_dir / job.assignment / job.student
                keep.mkdir(parents=True, exist_ok=True)
                shutil.move(job.output, keep / f"{job.notebook_id}.ipynb")
            return
        shutil.move(job.output, job.notebook)
        try:
            self.exporter, self._sanitizing = self._save_exporter, False
            BaseConverter.convert_single_notebook(self, str(job.notebook))
        except Exception as exc:
            outcome.status, outcome.reason = FAILED, f"{job.notebook_id}: grades not saved: {exc}"
        finally:
            self._sanitizing = True

    def _worker_findings(self, outcome: Outcome, result) -> None:
        """Flags from the worker: files the sandbox left out of the kernel's folder, and
        what the trusted side noticed (answers collected from a lent function)."""
        skipped = result.skipped_files
        if skipped:
            outcome.flag("sandbox", "file(s) beside the notebook were not given to the kernel: "
                                    + ", ".join(sorted(map(str, skipped))), result.job.notebook_id)
        for finding in result.findings:
            outcome.flag("lent-function", str(finding), result.job.notebook_id)

    def _finish(self, outcome: Outcome) -> None:
        try:
            self._finish_one(outcome)
        finally:
            outcome.main_rss_mb = round(_rss_mb(), 1)

    def _finish_one(self, outcome: Outcome) -> None:
        student, assignment = outcome.student, outcome.assignment
        if outcome.status in (FAILED, TIMEOUT) and any(
                s != "ok" for s in outcome.notebooks.values()):
            # as nbgrader does with a submission it could not grade
            self._drop(assignment, student)
        elif outcome.status in (GRADED, TIMEOUT):
            self.set_permissions(assignment, student)
            self.run_post_convert_hook()
        if outcome.status in (GRADED, TIMEOUT, FAILED):
            self._review(outcome)

    def _review(self, outcome: Outcome) -> None:
        """Run the configured checks (autograde/checks/) on a graded submission."""
        cd = self.coursedir
        if not hasattr(self, "_checks"):
            self._checks = load_checks(self.checks)
        sub = Submission(
            outcome.student, outcome.assignment,
            submitted=Path(cd.format_path(self._staging or cd.submitted_directory,
                                          outcome.student, outcome.assignment)),
            autograded=Path(cd.format_path(cd.autograded_directory, outcome.student,
                                           outcome.assignment)),
            release=Path(cd.root) / cd.release_directory / outcome.assignment, coursedir=cd)
        for finding in run_checks(sub, self._checks, seconds=self.check_seconds,
                                  memory_mb=self.check_memory_mb):
            outcome.add(finding)

    def _drop(self, assignment: str, student: str) -> None:
        dest = os.path.normpath(self._format_dest(assignment, student))
        if os.path.exists(dest):
            shutil.rmtree(dest)

    def _write_log(self) -> None:
        by_assignment: dict[str, dict] = {}
        for outcome in self.outcomes.values():
            log = by_assignment.setdefault(outcome.assignment, {})
            log[outcome.student] = asdict(outcome)
        for assignment, entries in by_assignment.items():
            path = self.log_dir / f"{assignment}.json"
            old = json.loads(path.read_text()) if path.exists() else {}
            old.pop("_meta", None)
            for student, entry in entries.items():
                if entry["status"] == SKIPPED and student in old:
                    continue   # keep the record of the run that graded it
                old[student] = entry
            old["_meta"] = {"written": time.strftime("%Y-%m-%d %H:%M:%S"), "jobs": self.jobs,
                            "notebooks": sum(len(o.notebooks) for o in self.outcomes.values()),
                            "seconds": {k: round(v, 3) for k, v in
                                        getattr(self, "timing", {}).items()}}
            path.write_text(json.dumps(old, indent=1, sort_keys=True))


def _rss_mb() -> float:
    """This process's resident memory now, in MiB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _inspect_notebook(path: str) -> str | None:
    """In a bounded child: what is wrong with the notebook file (after "name ..."), or None."""
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        return "is not a valid notebook: the file is not text (is it really a notebook?)"
    except RecursionError:
        return (f"is not a valid notebook: nested more than {MAX_DEPTH} levels deep (in its "
                "metadata or outputs?), which Jupyter never writes")
    except ValueError as err:
        where = re.sub(r" \(char \d+\)$", "", str(err))
        return (f"is not a valid notebook: the file is not valid JSON ({where}): cut short, "
                "or edited outside Jupyter?")
    if json_depth(data) > MAX_DEPTH:
        return (f"is not a valid notebook: nested more than {MAX_DEPTH} levels deep (in its "
                "metadata or outputs?), which Jupyter never writes")
    major = data.get("nbformat") if isinstance(data, dict) else None
    if major != 4:
        why = (f"saved by an old Jupyter (nbformat {major})" if isinstance(major, int) and major < 4
               else f"not a Jupyter notebook of a known format (nbformat {major!r})")
        return f"is {why}: open it in JupyterLab, save it, and hand it in again"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # nbformat's notes on cell ids
        try:
            nbformat.validate(nbformat.from_dict(data))
        except Exception as exc:
            return f"is not a valid notebook: {_short(exc)}"
    return None


def _what_is_wrong(path: str, exc: Exception) -> str:
    """Why a notebook file cannot be read, in one line."""
    try:
        json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return "the file is not text (is it really a notebook?)"
    except json.JSONDecodeError as err:
        where = re.sub(r" \(char \d+\)$", "", str(err))
        return f"the file is not valid JSON ({where}): cut short, or edited outside Jupyter?"
    except OSError as err:
        return f"the file cannot be read: {err.strerror}"
    return _short(exc)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
