"""Reasons to look at a submission by hand, in words an instructor can act on.

Grading never trusts a submission; these flags say where it tried something,
or where the score alone does not tell the whole story:

- handed in late (and by how much);
- written answers waiting for a grader;
- a read-only cell edited or a test cell deleted (nbgrader restored them
  from the gradebook before grading, so the score is unaffected);
- an answer that calls the dlkit reference it was asked to write;
- code that reaches for the grading machinery or the system (``os._exit``,
  ``sys.setprofile``, patching numpy or dlkit, writing files, subprocesses).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

# (pattern, what it means) for code in answer cells
SUSPICIOUS = [
    (r"\bos\._exit\b|\bsys\.exit\b", "exits the kernel (os._exit / sys.exit)"),
    (r"\bsys\.(setprofile|settrace)\b|\bthreading\.setprofile\b",
     "installs a profiler or tracer (can interfere with the tests' checks)"),
    (r"\bdlkit\.grading\b|\bgrading\.\w+\s*=|\bCheckFailed\b",
     "touches dlkit.grading, the tests' own checking code"),
    (r"\b(np|numpy)\.\w+\s*=(?!=)", "replaces a numpy function (monkeypatching)"),
    (r"\bdlkit\.\w+\.\w+\s*=(?!=)|setattr\(\s*dlkit", "replaces a dlkit function"),
    (r"__code__|__globals__|importlib\.reload|\bbuiltins\b",
     "manipulates code objects, globals or builtins"),
    (r"\bsubprocess\b|\bos\.system\b|\bos\.popen\b", "runs shell commands"),
    (r"\bshutil\.rmtree\b|\bos\.remove\b|\bos\.unlink\b|open\([^)]*['\"][wa]\+?['\"]",
     "writes or deletes files"),
    (r"\bsignal\.\w+\(", "changes signal handling (can defeat time limits)"),
]


def review_flags(coursedir, release_directory: str, assignment: str, student: str,
                 flags: list[str] | None = None) -> list[str]:
    """All flags for one graded submission (``flags`` are kept, first)."""
    flags = list(flags or [])
    root = Path(coursedir.root)
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    release = root / release_directory / assignment
    flags += _late(coursedir, assignment, student)
    for path in sorted(submitted.glob("*.ipynb")):
        try:
            sub = nbformat.read(path, as_version=4)
        except Exception:
            continue
        rel = release / path.name
        ref = nbformat.read(rel, as_version=4) if rel.exists() else None
        flags += _tampering(sub, ref, path.stem)
        flags += _suspicious_code(sub, path.stem)
    for path in sorted(autograded.glob("*.ipynb")):
        flags += _from_outputs(nbformat.read(path, as_version=4), path.stem)
    return list(dict.fromkeys(flags))  # unique, in order


def _late(coursedir, assignment: str, student: str) -> list[str]:
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return []
        late = sub.total_seconds_late or 0
    if late <= 0:
        return []
    hours, rest = divmod(int(late), 3600)
    minutes = rest // 60
    when = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return [f"late: submitted {when} after the deadline"]


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _tampering(sub, ref, name: str) -> list[str]:
    if ref is None:
        return []
    flags = []
    sub_cells = {_grade_id(c): c for c in sub.cells if _grade_id(c)}
    for cell in ref.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            continue
        if gid not in sub_cells:
            if meta.get("grade") or meta.get("locked"):
                flags.append(f"{name}: cell {gid} was deleted (restored for grading)")
            continue
        if meta.get("locked") and not meta.get("solution") \
                and sub_cells[gid].source.strip() != cell.source.strip():
            flags.append(f"{name}: read-only cell {gid} was edited (restored for grading)")
    return flags


def _suspicious_code(sub, name: str) -> list[str]:
    flags = []
    for cell in sub.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("locked") and not meta.get("solution"):
            continue   # read-only cells are restored anyway
        code = _strip_comments(cell.source)
        for pattern, meaning in SUSPICIOUS:
            if re.search(pattern, code):
                where = meta.get("grade_id") or "an unmarked cell"
                flags.append(f"{name}: {where} {meaning}")
    return flags


def _strip_comments(source: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def _from_outputs(nb, name: str) -> list[str]:
    flags, written = [], []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if meta.get("grade") and meta.get("solution") and cell.cell_type == "markdown":
            if cell.source.strip() and cell.source.strip() != "YOUR ANSWER HERE":
                written.append(gid)
        text = " ".join(str(o.get("evalue", "")) + "".join(o.get("traceback", []))
                        for o in cell.get("outputs", []) if o.get("output_type") == "error")
        called = re.search(r"(\w+) calls ([\w.]+), the reference you are asked to write", text)
        if called:
            flags.append(f"{name}: {called.group(1)} calls {called.group(2)}, the reference "
                         "it was asked to implement")
    if written:
        flags.append(f"{name}: {len(written)} written answer(s) to grade by hand "
                     f"({', '.join(written)})")
    return flags
