"""`autograde serve`: grade each submission the moment it reaches the nbgrader exchange.

Every ``interval`` seconds (or once, with ``--once``) the service reads
``<Exchange.root>/<course>/inbound/`` (:mod:`autograde.inbox`), and for the
newest new submission of every student and assignment:

1. collects it into ``submitted/`` (regular files only, the received time from
   the folder's ctime as ``timestamp.txt``);
2. grades it with ``autograde grade <assignment> --student=<id> --force``,
   the same pipeline, sandbox and checks as grading the class;
3. writes its feedback (``autograde feedback``) and releases it to the student
   through the exchange (``nbgrader release_feedback``), so that "Fetch
   feedback" in the student's Assignments panel shows it;
4. records the outcome in ``.autograde/served.json`` (:class:`~autograde.inbox.Ledger`).

Each step is a child process with a time limit: a submission that crashes or
hangs its grading is recorded as failed, with the reason, and the others go on.
A submission that arrived while the service was down is graded when it comes
back; one whose grading was interrupted (no ledger entry) is graded again.
Students not on ``course/roster.csv`` are refused.

With ``--check-owner`` (on a hub with one Unix account per student, as
`autograde hub` runs it) a folder must belong to the account of the student it
names, and so must every file in it: anyone can create a folder in inbound/
named after someone else. The folder is then closed to other accounts, and the
released feedback is made the student's own (mode 0600), so that no student
reads another's submission or feedback even knowing its name.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

from traitlets import Bool, Float, Integer, Unicode

from autograde.apps import ALIASES, FLAGS, AutogradeStep, _say
from autograde.inbox import Ledger, close_to_others, collect, foreign_files, pending, scan

SERVE_ALIASES = dict(ALIASES, interval="ServeApp.interval", exchange="ServeApp.exchange_root",
                     course="CourseDirectory.course_id")
SERVE_FLAGS = dict(FLAGS)
SERVE_FLAGS["once"] = ({"ServeApp": {"once": True}},
                       "Grade what is waiting in the exchange, then exit.")
SERVE_FLAGS["check-owner"] = ({"ServeApp": {"check_owner": True}},
                              "Each submission must belong to its student's Unix account.")


class ServeApp(AutogradeStep):
    name = "autograde-serve"
    description = ("Grade every submission as it reaches the nbgrader exchange, write its "
                   "feedback and release it to the student; the latest submission counts.")
    aliases = SERVE_ALIASES
    flags = SERVE_FLAGS

    interval = Float(2.0, help="Seconds between two looks at the exchange.").tag(config=True)
    once = Bool(False, help="Grade what is waiting, then exit.").tag(config=True)
    exchange_root = Unicode(
        "", help="The exchange's root folder (default: nbgrader's Exchange.root).",
    ).tag(config=True)
    step_timeout = Float(
        1800.0, help="Seconds one step (grading, feedback, release) of one submission may "
                     "take before it is stopped and the submission recorded as failed.",
    ).tag(config=True)

    check_owner = Bool(
        False, help="One Unix account per student (a hub): grade a folder in inbound/ only "
                    "if it and every file in it belong to the account of the student it "
                    "names; close it to others; give the released feedback to that account.",
    ).tag(config=True)
    umask = Integer(
        -1, help="The umask the service works under (-1: unchanged); `autograde hub` sets "
                 "7 (octal 007) so the instructor's group can write what it writes.",
    ).tag(config=True)

    def start(self):
        super().start()
        from autograde.course import read_roster, read_schedule

        if self.umask >= 0:
            os.umask(self.umask)

        course = self.coursedir.course_id
        if not course:
            self.fail("no course id: set CourseDirectory.course_id in nbgrader_config.py "
                      "or pass --course=<id>")
        root = self.exchange_root or self._nbgrader_exchange_root()
        self.exchange_dir = Path(root)
        self.inbound = self.exchange_dir / course / "inbound"
        self.ledger = Ledger(self.root / ".autograde" / "served.json")
        self.roster = {s.id for s in read_roster(self.course_data_dir)}
        self.known = set(self.assignments())
        self.due = {a.id: a.due for a in read_schedule(self.course_data_dir)}
        _say(f"serving {course}: watching {self.inbound}")
        while True:
            self.serve_waiting()
            if self.once:
                return
            time.sleep(self.interval)

    def _nbgrader_exchange_root(self) -> str:
        from nbgrader.exchange.default.exchange import Exchange

        return Exchange(config=self.config).root

    def serve_waiting(self) -> int:
        """Grade every submission waiting in inbound/; how many were graded."""
        arrivals, _skipped = scan(self.inbound, self.known)
        todo, superseded = pending(arrivals, self.ledger)
        for a in superseded:
            self.ledger.record(a, "superseded", "a later submission arrived before it was graded")
        graded = 0
        for a in todo:
            if a.student not in self.roster:
                self.ledger.record(a, "refused", f"{a.student!r} is not on the course roster")
                _say(f"{a.assignment}/{a.student}: refused, not on the roster")
                continue
            why = self._not_theirs(a)
            if why:
                self.ledger.record(a, "refused", why)
                _say(f"{a.assignment}/{a.student}: refused: {why}")
                continue
            graded += self._serve(a)
        return graded

    def _account(self, student: str):
        try:
            return pwd.getpwnam(student)
        except KeyError:
            return None

    def _not_theirs(self, a) -> str:
        """With check_owner: why the folder is not the student's own work ('' if it is)."""
        if not self.check_owner:
            return ""
        account = self._account(a.student)
        if account is None:
            return f"{a.student!r} has no Unix account on this machine"
        if a.owner != account.pw_uid:
            return (f"the folder was made by uid {a.owner}, not by {a.student}'s account "
                    f"(uid {account.pw_uid}): a submission in someone else's name")
        folder = self.inbound / a.name
        foreign = foreign_files(folder, account.pw_uid)
        if foreign:
            return (f"{len(foreign)} file(s) in it are not {a.student}'s, e.g. {foreign[0]!r}")
        try:
            close_to_others(folder)
        except OSError as exc:
            return f"the folder could not be closed to other accounts ({exc.strerror})"
        return ""

    def _late(self, a) -> str:
        due = self.due.get(a.assignment)
        received = dt.datetime.fromtimestamp(a.received, tz=dt.timezone.utc)
        if due is None:
            return ""
        due = due if due.tzinfo else due.replace(tzinfo=dt.timezone.utc)
        if received <= due:
            return ""
        minutes = int((received - due).total_seconds() // 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
        return f"late by {' '.join(parts)} (due {due:%Y-%m-%d %H:%M} UTC)"

    def _give_feedback(self, a) -> None:
        """The released pages become the student's own, mode 0600 (check_owner only)."""
        from nbgrader.utils import notebook_hash

        account = self._account(a.student)
        here = self.root / "feedback" / a.student / a.assignment
        try:
            secret = (here / "submission_secret.txt").read_text()
        except OSError:
            return
        released = self.exchange_dir / self.coursedir.course_id / "feedback"
        for page in here.glob("*.html"):
            target = released / f"{notebook_hash(secret=secret, notebook_id=page.stem)}.html"
            try:
                fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                os.fchown(fd, account.pw_uid, account.pw_gid)
                os.fchmod(fd, 0o600)
            finally:
                os.close(fd)

    def _serve(self, a) -> int:
        intake = collect(a, self.inbound, self.root)
        if intake.refused:
            self.ledger.record(a, "refused", intake.refused)
            _say(f"{a.assignment}/{a.student}: refused: {intake.refused}")
            return 0
        tool = str(Path(sys.executable).parent / "autograde")
        nbgrader = str(Path(sys.executable).parent / "nbgrader")
        common = [a.assignment, f"--student={a.student}"]
        exchange = [f"--course={self.coursedir.course_id}", f"--Exchange.root={self.exchange_dir}"]
        steps = [("grading", [tool, "grade", *common, "--force", "--no-progress"]),
                 ("feedback", [tool, "feedback", *common]),
                 ("releasing feedback", [nbgrader, "release_feedback", *common, *exchange])]
        for what, cmd in steps:
            try:
                done = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True,
                                      timeout=self.step_timeout, check=False)
            except subprocess.TimeoutExpired:
                self.ledger.record(a, "failed", f"{what} took longer than {self.step_timeout:g} s")
                return 0
            if done.returncode != 0:
                last = (done.stdout + done.stderr).strip().splitlines()[-3:]
                self.ledger.record(a, "failed", f"{what} failed: {' | '.join(last)}")
                _say(f"{a.assignment}/{a.student}: {what} failed")
                return 0
        if self.check_owner:
            self._give_feedback(a)
        late = self._late(a)
        self.ledger.record(a, "graded", late)
        _say(f"{a.assignment}/{a.student}: graded, feedback released" + (f"; {late}" * bool(late)))
        return 1
