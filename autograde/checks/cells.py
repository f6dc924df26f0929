"""The cell check: a read-only cell edited or a test cell deleted.

nbgrader restored them from the gradebook before grading, so the score is
unaffected; the finding says the student tried (or slipped).
"""

from __future__ import annotations

from autograde.checks.base import Check, Submission, grade_id
from autograde.status import Finding


class CellCheck(Check):
    name = "cell-check"
    help = ("A read-only cell edited or a graded cell deleted (restored from the gradebook "
            "before grading, so the score is unaffected).")

    def findings(self, sub: Submission) -> list[Finding]:
        out = []
        for name, nb in sub.submitted_notebooks():
            ref = sub.released(name)
            if ref is not None:
                out += [Finding(self.name, text, name) for text in tampering(nb, ref)]
        return out


def tampering(sub, ref) -> list[str]:
    found = []
    sub_cells = {grade_id(c): c for c in sub.cells if grade_id(c)}
    for cell in ref.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            continue
        if gid not in sub_cells:
            if meta.get("grade") or meta.get("locked"):
                found.append(f"cell {gid} was deleted (restored for grading)")
            continue
        source = sub_cells[gid].get("source", "")
        source = source if isinstance(source, str) else ""
        if meta.get("locked") and not meta.get("solution") \
                and source.strip() != cell.source.strip():
            what = "emptied" if not source.strip() else "edited"
            found.append(f"read-only cell {gid} was {what} (restored for grading)")
    return found
