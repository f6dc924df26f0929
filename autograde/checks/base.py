"""What every check shares: the :class:`Check` interface and the :class:`Submission` it reads."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

from autograde.status import Finding

MAX_DEPTH = 64   # nesting of a notebook's JSON; nbformat's own notebooks stay under 10


class Check:
    """One defence: a name (used in ``ClassGrader.checks`` and in the grading log), a
    ``help`` sentence, and :meth:`findings`, which reads a graded submission and
    returns what an instructor should look at.

    ``bounded`` checks read only the submission's files: they run in a forked
    child bounded in time and memory (:mod:`autograde.bounded`), so an answer
    built to exhaust them costs that child, not the grader. A check that needs
    the gradebook sets ``bounded = False`` and must be cheap whatever the
    submission holds.
    """

    name = ""
    help = ""
    bounded = True

    def prepare(self) -> None:
        """Work that depends on no submission (reading the course's own code), done once in
        the grading process before any bounded child forks, so each child inherits it
        instead of redoing it. Must be idempotent."""

    def findings(self, sub: Submission) -> list[Finding]:
        raise NotImplementedError


@dataclass
class Submission:
    """One student's graded submission of one assignment, as the checks see it.

    ``submitted`` is the intake copy (:mod:`autograde.intake`: regular files
    only), ``autograded`` nbgrader's graded copy, ``release`` the released
    assignment (the reference for edited cells). Notebooks are read once,
    lazily, and only if their JSON is no deeper than :data:`MAX_DEPTH`.
    """

    student: str
    assignment: str
    submitted: Path
    autograded: Path
    release: Path
    coursedir: object = None
    _cache: dict = field(default_factory=dict, repr=False)

    def submitted_notebooks(self) -> list[tuple[str, nbformat.NotebookNode]]:
        return self._notebooks(self.submitted)

    def autograded_notebooks(self) -> list[tuple[str, nbformat.NotebookNode]]:
        return self._notebooks(self.autograded)

    def released(self, name: str):
        path = self.release / f"{name}.ipynb"
        return read_notebook(path) if path.is_file() and not path.is_symlink() else None

    def _notebooks(self, folder: Path):
        if folder not in self._cache:
            found = []
            for path in sorted(folder.glob("*.ipynb")):
                if path.is_symlink() or not path.is_file():
                    continue
                nb = read_notebook(path)
                if nb is not None:
                    found.append((path.stem, nb))
            self._cache[folder] = found
        return self._cache[folder]


def read_notebook(path: Path):
    """The notebook at ``path`` (nbformat 4), or None if it is not one we read safely."""
    try:
        data = json.loads(Path(path).read_bytes())
    except (ValueError, OSError, RecursionError):
        return None
    if json_depth(data) > MAX_DEPTH:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nbformat.reads(json.dumps(data), as_version=4)
    except Exception:
        return None


def json_depth(data, limit: int = MAX_DEPTH + 1) -> int:
    """How deeply lists and dicts nest in ``data`` (iterative; stops counting at ``limit``)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if deepest >= limit:
                return deepest
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items if isinstance(v, (dict, list)))
    return deepest


def answer_cells(nb):
    """(label, source) of the cells a student may edit: answers and unmarked code cells."""
    for index, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        meta = meta if isinstance(meta, dict) else {}
        if meta.get("locked") and not meta.get("solution"):
            continue   # read-only cells are restored anyway
        gid = meta.get("grade_id")
        source = cell.get("source", "")
        yield (f"cell {gid}" if gid else f"cell {index} (unmarked)"), \
            source if isinstance(source, str) else ""


def grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) else None


@lru_cache(maxsize=64)
def python_source(source: str) -> str:
    """The cell as Python: IPython's magics and ``!shell`` lines become calls (cached: the
    scan and the copy check both read every answer, and 2 MB of code takes IPython 2 s)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source
