"""Helpers that run the real nbgrader pipeline on a temporary copy of the course.

For each assignment the class below is graded once per test session, by
`nbgrader autograde` itself:

- ``solution``: the source notebook handed in as it is (must earn full marks);
- ``blank``: the untouched release notebook (must earn zero, grader intact);
- ``v-<id>``: one student per entry of ``course/variants/<assignment>.yaml``
  (typical mistakes, calls into the reference, alternative correct answers).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from autograde.variants import Variant, apply_variant, load_variants
from tests.cli import run_tool

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir()
                     if p.is_dir() and not p.name.startswith("."))
# one xdist group per assignment: its test class is graded once, on one worker
GROUPED = [pytest.param(a, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` with this interpreter's environment."""
    return run_tool(course, "nbgrader", *args, check=check)


def copy_course(dest: Path) -> Path:
    """Copy what nbgrader needs (config, source, release, course data) to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    for name in ("source", "release", "course"):
        shutil.copytree(ROOT / name, dest / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


def notebook_names(assignment: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / "source" / assignment).glob("*.ipynb"))


def grade_cells(nb) -> dict[str, float]:
    """grade_id -> points of every autograded test cell of a notebook."""
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = float(meta["points"])
    return out


def cell_text(cell) -> str:
    """Everything a cell printed, errors included, without colour codes."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append("\n".join(out.traceback) or f"{out.ename}: {out.evalue}")
        elif "data" in out and "text/plain" in out.data:
            parts.append(out.data["text/plain"])
    return ANSI.sub("", "\n".join(parts))


@dataclass
class GradedClass:
    """The gradebook and the autograded notebooks of one assignment's class."""

    course: Path
    assignment: str
    variants: dict[str, Variant]
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)
    max_points: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    stderr_cells: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, tuple[str, list[Variant]]] = field(default_factory=dict)

    def feedback_html(self, student: str) -> str:
        paths = list((self.course / "feedback" / student / self.assignment).glob("*.html"))
        assert paths, f"no feedback for {student}"
        return html.unescape("\n".join(p.read_text() for p in paths))


def _defined_names(source: str) -> set[str]:
    """Functions and variables an answer cell defines at its top level."""
    return {a or b for a, b in re.findall(r"^def (\w+)|^(\w+)\s*=", source, re.M)}


def _calls(code: str, names: set[str]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", code) for n in names)


def group_variants(assignment: str) -> list[list[Variant]]:
    """Variants packed into as few submissions as the checks allow.

    Each exercise is graded on its own (a later function is tested with
    correct versions of the earlier ones substituted), so mistakes in
    different exercises can share a notebook. A group never holds two
    variants of the same answer cell, nor variants of two cells where one
    calls what the other defines: that is the only way one exercise's mistake
    could reach another's tests, and such collateral must show, not hide
    behind the other variant's losses. The whole group must lose exactly the
    union of its variants' cells, so any collateral still fails a test. A
    variant of an end-to-end exercise (one whose cells some variant lists under
    ``also_loses``) is related to every other: it shares no submission.
    """
    source = {n: nbformat.read(ROOT / "source" / assignment / f"{n}.ipynb", as_version=4)
              for n in notebook_names(assignment)}
    code = {c.metadata["nbgrader"]["grade_id"]: c.source for nb in source.values()
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    names = {cell: _defined_names(src) for cell, src in code.items()}
    variants = load_variants(ROOT, assignment)
    # an end-to-end exercise (named by some variant's also_loses) runs every earlier
    # answer as it is: its variants get a submission of their own
    end_to_end = {cell for v in variants for cell in code
                  if any(c.startswith(f"{cell}-") for c in v.also_loses)}

    def related(v: Variant, w: Variant) -> bool:
        # by the model solution's code and by the variants' own (an alternative
        # answer may call an earlier function where the solution does not)
        if {v.cell, w.cell} & end_to_end:
            return True
        return v.cell == w.cell or any(
            _calls(text, names[other])
            for text, other in ((code[v.cell], w.cell), (v.code, w.cell),
                                (code[w.cell], v.cell), (w.code, v.cell)))

    groups: list[list[Variant]] = []
    for v in variants:
        home = next((g for g in groups if not any(related(v, w) for w in g)), None)
        if home is None:
            groups.append([v])
        else:
            home.append(v)
    return groups


def _student_notebooks(assignment: str) -> dict[str, dict[str, nbformat.NotebookNode]]:
    """student -> {notebook name -> notebook} for the whole test class."""
    source = {n: nbformat.read(ROOT / "source" / assignment / f"{n}.ipynb", as_version=4)
              for n in notebook_names(assignment)}
    release = {n: nbformat.read(ROOT / "release" / assignment / f"{n}.ipynb", as_version=4)
               for n in notebook_names(assignment)}
    students = {"solution": source, "blank": release}
    for i, group in enumerate(group_variants(assignment), start=1):
        notebooks = dict(source)
        for v in group:
            notebooks[v.notebook] = apply_variant(notebooks[v.notebook], v)
        students[f"group-{i}"] = notebooks
    return students


def grade_class(base: Path, assignment: str) -> GradedClass:
    course = copy_course(base / assignment)
    for student, notebooks in _student_notebooks(assignment).items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / f"{name}.ipynb")
    # generate_assignment replaces the copied release/ with a fresh one (compared
    # with the committed release by test_release_is_what_nbgrader_generates)
    shutil.rmtree(course / "release" / assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    nbgrader(course, "autograde", assignment, "--force")
    nbgrader(course, "generate_feedback", assignment, "--force", "--student=blank")
    groups = group_variants(assignment)
    graded = GradedClass(course, assignment,
                         {v.id: v for v in load_variants(ROOT, assignment)},
                         groups={v.id: (f"group-{i}", g) for i, g in enumerate(groups, start=1)
                                 for v in g})
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(assignment):
            graded.scores[sub.student_id] = {
                g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
    for nb_path in (course / "autograded").glob(f"*/{assignment}/*.ipynb"):
        student = nb_path.parts[-3]
        nb = nbformat.read(nb_path, as_version=4)
        graded.max_points.update(grade_cells(nb))
        graded.outputs.setdefault(student, {}).update({
            c.metadata["nbgrader"]["grade_id"]: cell_text(c)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")})
        graded.stderr_cells[student] = [
            c.source.splitlines()[0] if c.source else "?" for c in nb.cells
            if any(o.output_type == "stream" and o.name == "stderr" for o in c.get("outputs", []))]
    return graded


def autograde_class(graded: GradedClass) -> GradedClass:
    """The same class graded again by ``autograde grade`` (test cells in the trusted
    process, the assignment's references withheld from the kernels), on a copy."""
    course = graded.course.parent / f"{graded.course.name}-autograde"
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(graded.course, course, ignore=shutil.ignore_patterns("autograded",
                                                                         "feedback"))
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("NBGRADER_EXECUTION", None)
    proc = subprocess.run([str(Path(sys.executable).parent / "autograde"), "grade",
                           graded.assignment, "--force", "--jobs=2"],
                          cwd=course, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"autograde grade failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    out = GradedClass(course, graded.assignment, graded.variants, groups=graded.groups)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(graded.assignment):
            out.scores[sub.student_id] = {
                g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
    for nb_path in (course / "autograded").glob(f"*/{graded.assignment}/*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        out.outputs.setdefault(nb_path.parts[-3], {}).update({
            c.metadata["nbgrader"]["grade_id"]: cell_text(c)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")})
    return out


def executed(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom, as a student would in JupyterLab."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_backup = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if env_backup is not None:
            os.environ["NBGRADER_EXECUTION"] = env_backup
    return nb
