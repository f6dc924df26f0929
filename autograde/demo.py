"""The bundled demo class, built from ``course/demo-class.yaml``.

Every submission is made the way a student makes one: the release notebook
with (some of) its answer cells filled in, from the model solution in
``source/`` or from a variant in ``course/variants/``. Building is
deterministic: the same files every time, timestamps included.

:func:`expected_outcome` says what grading must make of each submission
(status and autograded score), computed from the plan and the variants'
declared losses, not by grading: the tests hold the grader to it.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from autograde.course import read_schedule
from autograde.variants import apply_variant, load_variants

PLAN_KINDS = ("solution", "blank", "partial", "variants", "crash", "loop", "tamper", "corrupt",
              "misnamed", "none")


@dataclass(frozen=True)
class Plan:
    """What one student hands in for one assignment."""

    student: str
    assignment: str
    kind: str
    arg: object = None
    half: str | None = None
    late_hours: float = 0.0


# ----------------------------------------------------------------------------- plans
def read_plans(course_data: Path, assignments: list[str]) -> list[Plan]:
    """Every (student, assignment) plan of ``demo-class.yaml``."""
    path = Path(course_data) / "demo-class.yaml"
    data = yaml.safe_load(path.read_text())
    plans = []
    for student, spec in data["students"].items():
        for assignment in assignments:
            entry = spec.get(assignment, spec.get("default", "solution"))
            plans.append(_plan(student, assignment, entry, path))
    return plans


def _plan(student: str, assignment: str, entry, path: Path) -> Plan:
    if isinstance(entry, str):
        entry = {"kind": entry}
    entry = dict(entry)
    late = float(entry.pop("late", 0) or 0)
    half = entry.pop("half", None)
    if "kind" in entry:
        kind, arg = entry.pop("kind"), None
    elif len(entry) == 1:
        kind, arg = next(iter(entry.items()))
    else:
        raise ValueError(f"{path}: {student}/{assignment}: cannot read {entry!r}")
    if kind not in PLAN_KINDS:
        raise ValueError(f"{path}: {student}/{assignment}: unknown kind {kind!r}; "
                         f"choose from {', '.join(PLAN_KINDS)}")
    return Plan(student, assignment, kind, arg, half, late)


# ----------------------------------------------------------------------------- notebooks
def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def answer_ids(nb) -> list[str]:
    """grade_ids of the autograded answer cells, in notebook order."""
    return [_grade_id(c) for c in nb.cells if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("solution")]


def tests_of(nb, answer: str) -> dict[str, float]:
    """The test cells (grade_id -> points) that belong to one answer cell."""
    out = {}
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        gid = meta.get("grade_id", "")
        if meta.get("grade") and not meta.get("solution") and (
                gid.startswith(f"{answer}-public") or gid.startswith(f"{answer}-hidden")):
            out[gid] = float(meta["points"])
    return out


def autograded_points(nb) -> float:
    return sum(float(c.metadata["nbgrader"]["points"]) for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade")
               and not c.metadata["nbgrader"].get("solution"))


def _solution_text(cell) -> str:
    """What a student who got it right would have written in this answer cell."""
    if cell.cell_type == "markdown":
        text = cell.source.split("**Mark scheme", 1)[0].replace("**Model answer.**", "")
        return text.strip()
    lines = [line for line in cell.source.splitlines()
             if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
    return "\n".join(lines)


def filled(release_nb, source_nb, answers: set[str] | None = None):
    """The release notebook with the answer cells in ``answers`` (all if None) filled in."""
    nb = copy.deepcopy(release_nb)
    solutions = {_grade_id(c): c for c in source_nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in solutions and (answers is None or gid in answers):
            cell.source = _solution_text(solutions[gid])
    return nb


def _pick_variants(plan: Plan, variants, answers: list[str]):
    """The variants a plan applies: named ids, or every variant of one kind."""
    if isinstance(plan.arg, list):
        chosen = [v for v in variants if v.id in plan.arg]
        unknown = set(plan.arg) - {v.id for v in chosen}
        if unknown:
            raise ValueError(f"{plan.student}/{plan.assignment}: unknown variants {unknown}")
        return chosen
    kind = {"mistakes": "mistake", "alternatives": "alternative", "cheats": "cheat"}[plan.arg]
    cells = answers
    if plan.half == "first":
        cells = answers[: (len(answers) + 1) // 2]
    elif plan.half == "second":
        cells = answers[(len(answers) + 1) // 2:]
    chosen, used = [], set()
    for v in variants:
        if v.kind == kind and v.cell in cells and v.cell not in used:
            chosen.append(v)
            used.add(v.cell)
    return chosen


def _inject(nb, answer: str, code: str):
    for cell in nb.cells:
        if _grade_id(cell) == answer:
            cell.source = code + "\n\n" + cell.source
            return nb
    raise KeyError(answer)


def _tamper(nb):
    """Edit the first public test cell and delete the first hidden one."""
    public = next(c for c in nb.cells if (_grade_id(c) or "").endswith("-public"))
    public.source = "# these tests are annoying\npass"
    hidden = next(c for c in nb.cells if "-hidden" in (_grade_id(c) or ""))
    nb.cells.remove(hidden)
    return nb


def submission(plan: Plan, root: Path):
    """The notebook (or raw text, for 'corrupt') a plan hands in, and its file name."""
    name = _notebook_name(root, plan.assignment)
    source = nbformat.read(root / "source" / plan.assignment / f"{name}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / plan.assignment / f"{name}.ipynb", as_version=4)
    answers = answer_ids(source)
    kind = plan.kind
    if kind == "blank":
        return release, f"{name}.ipynb"
    if kind == "partial":
        return filled(release, source, set(answers[: int(plan.arg)])), f"{name}.ipynb"
    nb = filled(release, source)
    if kind == "variants":
        for v in _pick_variants(plan, load_variants(root, plan.assignment), answers):
            nb = apply_variant(nb, v)
    elif kind == "crash":
        nb = _inject(nb, answers[int(plan.arg) - 1], "import os\nos._exit(1)")
    elif kind == "loop":
        nb = _inject(nb, answers[int(plan.arg) - 1], "while True:\n    pass")
    elif kind == "tamper":
        nb = _tamper(nb)
    elif kind == "corrupt":
        text = nbformat.writes(nb)
        return text[: len(text) // 2], f"{name}.ipynb"
    elif kind == "misnamed":
        return nb, f"{name} (1).ipynb"
    return nb, f"{name}.ipynb"


def _notebook_name(root: Path, assignment: str) -> str:
    names = sorted(p.stem for p in (root / "source" / assignment).glob("*.ipynb"))
    if len(names) != 1:
        raise ValueError(f"the demo expects one notebook in source/{assignment}, found {names}")
    return names[0]


# ----------------------------------------------------------------------------- building
def build_demo_class(root: Path, course_data: Path, coursedir,
                     assignments: list[str] | None = None) -> int:
    """Write submitted/ for the demo class (``assignments``: all of the schedule when None).

    Returns the number of submissions written.

    Raises
    ------
    FileNotFoundError
        When an assignment has not been released yet, naming the command to run.
    """
    schedule = read_schedule(course_data)
    due = {a.id: a.due for a in schedule}
    assignments = assignments or [a.id for a in schedule]
    for a in assignments:
        if a not in due:
            raise ValueError(f"{a} is not in course/schedule.yaml")
        if not list((Path(root) / coursedir.release_directory / a).glob("*.ipynb")):
            raise FileNotFoundError(f"release/{a} has no notebook: run `autograde release` "
                                    "first")
    submitted = Path(root) / coursedir.submitted_directory
    count = 0
    for plan in read_plans(course_data, assignments):
        folder = submitted / plan.student / plan.assignment
        if folder.exists():
            shutil.rmtree(folder)
        if plan.kind == "none":
            continue
        folder.mkdir(parents=True)
        content, filename = submission(plan, Path(root))
        text = content if isinstance(content, str) else nbformat.writes(content)
        (folder / filename).write_text(text, encoding="utf-8")
        when = due[plan.assignment] + dt.timedelta(hours=plan.late_hours or -48)
        (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        count += 1
    return count


# ----------------------------------------------------------------------------- expectations
def expected_outcome(plan: Plan, root: Path) -> tuple[str, float]:
    """(status, autograded score) grading must give this plan's submission."""
    name = _notebook_name(root, plan.assignment)
    source = nbformat.read(root / "source" / plan.assignment / f"{name}.ipynb", as_version=4)
    answers = answer_ids(source)
    full = autograded_points(source)
    if plan.kind in ("corrupt",):
        return "invalid", 0.0
    if plan.kind in ("misnamed", "none"):
        return "missing", 0.0
    if plan.kind == "crash":
        return "failed", 0.0
    if plan.kind == "blank":
        return "graded", 0.0
    lost: dict[str, float] = {}
    if plan.kind == "partial":
        for a in answers[int(plan.arg):]:
            lost.update(tests_of(source, a))
    elif plan.kind == "loop":
        lost.update(tests_of(source, answers[int(plan.arg) - 1]))
    elif plan.kind == "variants":
        points = {gid: pts for a in answers for gid, pts in tests_of(source, a).items()}
        for v in _pick_variants(plan, load_variants(root, plan.assignment), answers):
            lost.update({gid: points[gid] for gid in (*v.loses, *v.loses_when_withheld,
                                                     *v.also_loses)})
    status = "timeout" if plan.kind == "loop" else "graded"
    return status, full - sum(lost.values())
