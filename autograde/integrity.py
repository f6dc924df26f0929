"""Grading metadata restored from the gradebook before nbgrader's sanitize step.

A student's notebook carries the nbgrader metadata that says which cells
are tests, how many points they are worth and which are answers. A student
controls that file, so before nbgrader touches it the grader puts every
grading cell's metadata back as the gradebook has it (the main process,
never the kernel). Which cells then run where is decided from the restored
metadata (:func:`autograde.trusted.cell_role`).

(The tripwires that used to be planted in the kernel, canary cells and an
integrity probe, are retired: test cells no longer run in the student's
kernel, so there is nothing left there for them to watch.)
"""

from __future__ import annotations


# ----------------------------------------------------------------------------- structure
class RestoreCellMetadata:
    """Put every grading cell's nbgrader metadata back as the gradebook has it.

    Runs first in the sanitize step, on the copy nbgrader prepares (never on
    submitted/). nbgrader's own OverwriteCells restores a test cell's source,
    points, cell type and lock, but not its ``grade``/``solution`` flags (a
    test cell turned into an answer cell is scored by hand, or stops the
    notebook with "Inconsistent checksums"), and it leaves cells with an
    unknown grade id half-marked. Here every known grade id gets the
    gradebook's cell type and flags, unknown ones lose their grading
    metadata, and each change is recorded in ``findings`` as a sentence.
    A duplicated grade id keeps its grading metadata on its last copy only
    (the copy nbgrader's DeduplicateIds keeps; left to nbgrader, the others
    would stop the notebook with a KeyError).
    """

    def __init__(self, db_url: str):
        self.db_url = db_url
        self.findings: list[str] = []
        self._known: dict[tuple, dict] = {}   # (notebook, assignment) -> its cells

    def __call__(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        self.findings = []
        info = resources.get("nbgrader", {})
        notebook, assignment = info.get("notebook"), info.get("assignment")
        cells = self._known.get((notebook, assignment))
        if cells is None:   # the released notebook's cells: read once a run, not a submission
            try:
                with Gradebook(self.db_url) as gb:
                    source = gb.find_notebook(notebook, assignment)
                    cells = {c.name: {"cell_type": c.cell_type, "locked": bool(c.locked)}
                             for c in source.source_cells}
                    for c in source.grade_cells:
                        cells.setdefault(c.name, {}).update(
                            grade=True, points=float(c.max_score), cell_type=c.cell_type)
                    for c in source.solution_cells:
                        cells.setdefault(c.name, {}).update(solution=True)
            except MissingEntry:
                return nb, resources
            self._known[(notebook, assignment)] = cells
        cells = {name: dict(meta) for name, meta in cells.items()}
        seen: dict[str, int] = {}
        unknown: list[str] = []
        last = {}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and meta.get("grade_id") in cells:
                last[meta["grade_id"]] = id(cell)
        for index, cell in enumerate(nb.cells, start=1):
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            if not isinstance(meta, dict) or not meta:
                cell.metadata.pop("nbgrader", None)
                continue
            gid = meta.get("grade_id")
            if gid not in cells:
                if meta.get("grade") or meta.get("solution") or meta.get("locked"):
                    unknown.append(f"{gid!r} (cell {index})" if gid else f"cell {index}")
                cell.metadata.pop("nbgrader", None)
                continue
            seen[gid] = seen.get(gid, 0) + 1
            if last[gid] != id(cell):
                cell.metadata.pop("nbgrader", None)   # graded once: its last copy
                continue
            want = cells[gid]
            changes = []
            if cell.cell_type != want["cell_type"]:
                changes.append(f"its type was changed to {cell.cell_type}")
                cell.cell_type = want["cell_type"]
                if cell.cell_type == "code":
                    cell.setdefault("outputs", [])
                    cell.setdefault("execution_count", None)
                else:
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
            for flag in ("grade", "solution", "locked"):
                if bool(meta.get(flag)) != bool(want.get(flag)):
                    changes.append(f"its '{flag}' flag was set to {bool(meta.get(flag))}")
                    meta[flag] = bool(want.get(flag))
            if want.get("grade"):
                try:
                    points = float(meta.get("points"))
                except (TypeError, ValueError):
                    points = None
                if points != want["points"]:
                    changes.append(f"its points were changed to {meta.get('points')!r} "
                                   f"(from {want['points']:g})")
                    meta["points"] = want["points"]
            elif "points" in meta:
                meta.pop("points")
            if changes:
                self.findings.append(f"cell {gid}: {', '.join(changes)} (restored for grading)")
        if unknown:
            self.findings.append(f"{len(unknown)} cell(s) carry grading metadata that is not "
                                 f"in the assignment, ignored: {', '.join(unknown)}")
        for gid, n in seen.items():
            if n > 1:
                self.findings.append(f"grade id {gid} appears {n} times (only the last copy is "
                                     "graded, as nbgrader does)")
        return nb, resources
