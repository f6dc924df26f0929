"""The course's own data in ``course/``: roster, schedule and syllabus.

- ``course/roster.csv``: ``id,first_name,last_name,email`` (nbgrader's own
  student import format);
- ``course/schedule.yaml``: the assignments in order, with title, release and
  due dates (UTC) and points;
- ``course/syllabus.yaml``: each lecture section, the assignment that teaches
  it and the exercises (answer cells' grade ids) that practise it.

Every reader takes ``course_data``, that folder (``AutogradeStep.course_data``,
``course/`` under the course root), checks what it reads and says which file
and entry is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml


class CourseDataError(ValueError):
    """A course file is missing or malformed; the message names file and entry."""


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    release: dt.datetime
    due: dt.datetime
    points: float
    withhold: tuple[str, ...] = ()   # dlkit names its grading kernels lack (autograde/withheld.py)
    keep: tuple[str, ...] = ()       # dlkit names they always keep


@dataclass(frozen=True)
class Section:
    title: str
    assignment: str
    exercises: tuple[str, ...]


def _load_yaml(path: Path):
    if not path.exists():
        raise CourseDataError(f"{path} is missing")
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise CourseDataError(f"{path} is not valid YAML: {exc}") from None


def _when(value, path: Path, what: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime.combine(value, dt.time(23, 59))
    else:
        try:
            when = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise CourseDataError(f"{path}: {what} must be a date like 2026-09-14 23:59, "
                                  f"got {value!r}") from None
    return when.replace(tzinfo=None) if when.tzinfo is None else \
        when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def read_roster(course_data: Path) -> list[Student]:
    path = Path(course_data) / "roster.csv"
    if not path.exists():
        raise CourseDataError(f"{path} is missing")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    needed = {"id", "first_name", "last_name", "email"}
    students, seen = [], set()
    for i, row in enumerate(rows, start=2):
        missing = needed - {k for k, v in row.items() if k and v is not None}
        if missing:
            raise CourseDataError(f"{path}, line {i}: missing column(s) {sorted(missing)}")
        sid = row["id"].strip()
        if not sid or sid in seen or "/" in sid:
            raise CourseDataError(f"{path}, line {i}: student id {sid!r} is empty, "
                                  "repeated or contains '/'")
        seen.add(sid)
        students.append(Student(sid, row["first_name"].strip(), row["last_name"].strip(),
                                row["email"].strip()))
    return students


def read_schedule(course_data: Path) -> list[Assignment]:
    path = Path(course_data) / "schedule.yaml"
    data = _load_yaml(path)
    out = []
    for i, raw in enumerate(data.get("assignments", []), start=1):
        missing = {"id", "title", "release", "due", "points"} - set(raw)
        if missing:
            raise CourseDataError(f"{path}: assignment #{i} lacks {sorted(missing)}")
        names = {}
        for key in ("withhold", "keep"):
            value = raw.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise CourseDataError(f"{path}: {raw['id']}.{key} must be a list of dlkit "
                                      f"names like dlkit.nn.Dense.forward, got {value!r}")
            names[key] = tuple(value)
        a = Assignment(str(raw["id"]), str(raw["title"]),
                       _when(raw["release"], path, f"{raw['id']}.release"),
                       _when(raw["due"], path, f"{raw['id']}.due"), float(raw["points"]),
                       **names)
        if a.due <= a.release:
            raise CourseDataError(f"{path}: {a.id} is due before it is released")
        out.append(a)
    if not out:
        raise CourseDataError(f"{path} lists no assignments")
    return out


def read_syllabus(course_data: Path) -> list[Section]:
    path = Path(course_data) / "syllabus.yaml"
    data = _load_yaml(path)
    out = []
    for i, raw in enumerate(data.get("sections", []), start=1):
        missing = {"title", "assignment", "exercises"} - set(raw)
        if missing:
            raise CourseDataError(f"{path}: section #{i} lacks {sorted(missing)}")
        out.append(Section(str(raw["title"]), str(raw["assignment"]),
                           tuple(str(e) for e in raw["exercises"])))
    return out
