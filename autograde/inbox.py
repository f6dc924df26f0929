"""The nbgrader exchange's inbound folder as a queue of submissions: `autograde serve`.

``nbgrader submit`` writes a folder ``<student>+<assignment>+<timestamp>+<random>``
into ``<exchange>/<course>/inbound/``, as the student: everything in it, its
name included, is the student's. This module reads that folder for the grader
(who may run as root) without trusting any of it:

- :func:`scan` lists the inbound folder by ``lstat``: an entry that is not a real
  directory (a link, a FIFO, a file) is skipped with a reason, and so is a name
  that is not ``student+assignment+timestamp[+random]`` or names an assignment
  the course does not have;
- :func:`newest` keeps the latest arrival of every (student, assignment): a
  student who submits fifty times a minute gets one grading, of the last one;
- the submission's time is the folder's ``ctime``, set by the kernel when the
  folder was made and never earlier by anything a user can do (the timestamp in
  the name and ``timestamp.txt`` are the student's to write: a backdated one
  would dodge the late flag); :func:`collect` writes it as ``timestamp.txt``;
- :func:`collect` takes the folder in with :func:`autograde.intake.take_in`
  (regular files only, no link followed) into ``submitted/<student>/<assignment>/``;
- :class:`Ledger` remembers, in one JSON file written atomically, every inbound
  folder already dealt with and how (graded, superseded, refused), so a
  restarted service grades each submission exactly once and an interrupted one
  (no entry yet) again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from autograde.intake import Intake, Limits, take_in

#: What nbgrader submit names a folder in inbound/ (0.9: a random suffix at the end).
NAME = re.compile(r"(?P<student>[A-Za-z0-9_.@-]{1,100})\+(?P<assignment>[A-Za-z0-9_.-]{1,100})"
                  r"\+(?P<stamp>[^+/]{1,64})(?:\+(?P<random>[A-Za-z0-9_-]{0,64}))?")


@dataclass(frozen=True)
class Arrival:
    """One folder in inbound/: who, which assignment, and when (by the folder's ctime)."""

    name: str
    student: str
    assignment: str
    received: float          # the folder's st_ctime, seconds since the epoch
    owner: int = -1          # the folder's st_uid: who made it (nbgrader submit, as the student)

    @property
    def received_at(self) -> str:
        """The time as nbgrader writes timestamp.txt (UTC)."""
        when = datetime.fromtimestamp(self.received, tz=timezone.utc)
        return when.strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def scan(inbound: Path, assignments: set[str] | None = None
         ) -> tuple[list[Arrival], list[str]]:
    """The submissions in ``inbound``, and one line for every entry skipped.

    Nothing is followed: an entry counts only if ``lstat`` says it is a
    directory. ``assignments`` (when given) are the course's; others are skipped.
    """
    arrivals, skipped = [], []
    try:
        entries = list(os.scandir(inbound))
    except FileNotFoundError:
        return [], [f"{inbound}: no inbound folder yet"]
    for entry in sorted(entries, key=lambda e: e.name):
        try:
            st = os.lstat(entry.path)
        except OSError as exc:
            skipped.append(f"{entry.name}: cannot be read ({exc.strerror})")
            continue
        if not stat.S_ISDIR(st.st_mode):
            kind = "a link" if stat.S_ISLNK(st.st_mode) else "not a folder"
            skipped.append(f"{entry.name}: {kind}, not a submission")
            continue
        m = NAME.fullmatch(entry.name)
        if m is None:
            skipped.append(f"{entry.name}: not named student+assignment+timestamp")
            continue
        if assignments is not None and m["assignment"] not in assignments:
            skipped.append(f"{entry.name}: {m['assignment']!r} is not an assignment of the course")
            continue
        arrivals.append(Arrival(entry.name, m["student"], m["assignment"], st.st_ctime,
                                st.st_uid))
    return arrivals, skipped


def foreign_files(folder: Path, uid: int) -> list[str]:
    """Every entry under ``folder`` (by ``lstat``, nothing followed) not owned by ``uid``.

    On a hub with one Unix account per student, what a student hands in is
    theirs: a file of someone else's in it (a hard link to another student's
    notebook, say) is not their work.
    """
    foreign = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            try:
                if os.lstat(p).st_uid != uid:
                    foreign.append(os.path.relpath(p, folder))
            except OSError:
                foreign.append(os.path.relpath(p, folder))
    return foreign


def close_to_others(folder: Path) -> None:
    """Mode 0700 on the submission's folder (nbgrader submit leaves it 0755), without
    following a link put in its place since it was scanned."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def newest(arrivals: list[Arrival]) -> dict[tuple[str, str], Arrival]:
    """The latest arrival of every (student, assignment), by the time it was received."""
    latest: dict[tuple[str, str], Arrival] = {}
    for a in arrivals:
        key = (a.student, a.assignment)
        if key not in latest or (a.received, a.name) > (latest[key].received, latest[key].name):
            latest[key] = a
    return latest


def collect(arrival: Arrival, inbound: Path, course_root: Path,
            limits: Limits | None = None) -> Intake:
    """Copy the submission into ``submitted/<student>/<assignment>/`` (replacing an
    earlier one), regular files only, with the received time as ``timestamp.txt``."""
    dest = Path(course_root) / "submitted" / arrival.student / arrival.assignment
    staging = Path(tempfile.mkdtemp(prefix=".collect-", dir=Path(course_root)))
    try:
        result = take_in(str(Path(inbound) / arrival.name), str(staging / "copy"), limits)
        if result.refused:
            return result
        copy = staging / "copy"
        (copy / "timestamp.txt").write_text(arrival.received_at)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_symlink() or dest.is_file():
            dest.unlink()
        elif dest.exists():
            shutil.rmtree(dest)
        os.replace(copy, dest)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass
class Entry:
    """What became of one inbound folder."""

    student: str
    assignment: str
    received: str
    outcome: str             # graded, superseded, refused, failed
    detail: str = ""


class Ledger:
    """Every inbound folder dealt with, in ``path`` (JSON), written atomically."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.entries: dict[str, Entry] = {}
        if self.path.exists():
            try:
                raw = json.loads(self.path.read_text())
                self.entries = {name: Entry(**e) for name, e in raw.get("entries", {}).items()}
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{self.path} is damaged ({exc}); move it away to grade "
                                 "every submission in the exchange again") from None

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def record(self, arrival: Arrival, outcome: str, detail: str = "") -> None:
        self.entries[arrival.name] = Entry(arrival.student, arrival.assignment,
                                           arrival.received_at, outcome, detail)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ledger-", dir=self.path.parent)
        with os.fdopen(fd, "w") as fh:
            json.dump({"entries": {n: asdict(e) for n, e in self.entries.items()}}, fh,
                      indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def history(self, student: str, assignment: str) -> list[Entry]:
        """Every submission of one student to one assignment, oldest first."""
        return sorted((e for e in self.entries.values()
                       if (e.student, e.assignment) == (student, assignment)),
                      key=lambda e: e.received)


def pending(arrivals: list[Arrival], ledger: Ledger
            ) -> tuple[list[Arrival], list[Arrival]]:
    """(to grade, superseded): per (student, assignment), the newest arrival if it is
    new; every other new arrival is superseded, also one older than an arrival the
    ledger has already (it is never graded after a later one)."""
    latest = newest(arrivals)
    todo = [a for a in latest.values() if a.name not in ledger]
    keep = {a.name for a in todo}
    superseded = [a for a in arrivals if a.name not in ledger and a.name not in keep]
    return sorted(todo, key=lambda a: (a.received, a.name)), superseded
