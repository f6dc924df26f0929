"""Submission variants: a source notebook with one answer cell replaced.

``course/variants/<assignment>.yaml`` lists, per assignment, typical mistakes,
attempts to call the dlkit reference, and alternative correct answers. Each
variant replaces one answer cell (by its nbgrader ``grade_id``) and says which
test cells must then score zero (``loses``; ``loses_when_withheld``: more
cells a cheat loses under autograde, whose kernels lack the reference it
calls) and which words the feedback must
contain (``feedback``, usually the input that exposes the mistake).
``warned: true`` marks a mistake the notebook's text warns against (overflow,
a probability of exactly 0, an integer array, a batch): the student must see
it fail before submitting, so it must lose one of its exercise's public cells.
``also_loses`` lists cells of *other* exercises the mistake costs too: only an
end-to-end exercise (a6's final training, which runs the student's own
functions without substitutes) may depend on earlier answers that way.

The course tests grade every variant through nbgrader; the demo class is
built from the same variants.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

VARIANT_KINDS = ("mistake", "cheat", "alternative")


@dataclass(frozen=True)
class Variant:
    """One replacement of an answer cell, and what grading must make of it."""

    id: str
    assignment: str
    notebook: str
    cell: str
    kind: str
    description: str
    code: str
    loses: tuple[str, ...] = ()
    # lost too when autograde grades it: the reference it leans on is withheld from
    # the grading kernel (autograde/withheld.py), so its fallback fails as well
    loses_when_withheld: tuple[str, ...] = ()
    feedback: tuple[str, ...] = field(default=())
    # the text warns against this mistake: a public test must catch it
    warned: bool = False
    # cells of an end-to-end exercise (one that runs the student's own earlier functions
    # without substitutes, such as a6's final training) that the mistake costs too
    also_loses: tuple[str, ...] = ()


def load_variants(root: Path, assignment: str) -> list[Variant]:
    """Read ``course/variants/<assignment>.yaml`` under the course ``root`` (the folder
    with ``nbgrader_config.py``); an empty list when absent.

    Raises
    ------
    ValueError
        For a malformed entry, naming the file and the entry.
    """
    path = Path(root) / "course" / "variants" / f"{assignment}.yaml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text()) or {}
    notebook = data.get("notebook")
    out, seen = [], set()
    for i, raw in enumerate(data.get("variants", [])):
        where = f"{path}: variant #{i + 1} ({raw.get('id', '?')})"
        missing = {"id", "cell", "kind", "description", "code"} - set(raw)
        if missing:
            raise ValueError(f"{where} lacks {sorted(missing)}")
        if raw["kind"] not in VARIANT_KINDS:
            raise ValueError(f"{where}: kind must be one of {VARIANT_KINDS}, got {raw['kind']!r}")
        if raw["id"] in seen:
            raise ValueError(f"{where}: duplicate id")
        if raw["kind"] == "alternative" and raw.get("loses"):
            raise ValueError(f"{where}: an alternative answer must not lose points")
        warned = raw.get("warned", False)
        if not isinstance(warned, bool):
            raise ValueError(f"{where}: warned must be true or false, got {warned!r}")
        if warned and raw["kind"] != "mistake":
            raise ValueError(f"{where}: only a mistake can be warned against")
        if warned and not any(c.startswith(f"{raw['cell']}-public")
                              for c in raw.get("loses", ())):
            raise ValueError(f"{where}: the text warns against it, so a public test of "
                             f"{raw['cell']!r} must catch it (list it under loses)")
        also = tuple(raw.get("also_loses", ()))
        if any(c.startswith(f"{raw['cell']}-") for c in also):
            raise ValueError(f"{where}: also_loses is for other exercises' cells; the "
                             f"variant's own go under loses")
        if also and raw["kind"] == "alternative":
            raise ValueError(f"{where}: an alternative answer must not lose points")
        seen.add(raw["id"])
        out.append(Variant(
            id=raw["id"], assignment=assignment, notebook=raw.get("notebook", notebook),
            cell=raw["cell"], kind=raw["kind"], description=raw["description"],
            code=raw["code"].rstrip("\n"), loses=tuple(raw.get("loses", ())),
            feedback=tuple(raw.get("feedback", ())),
            loses_when_withheld=tuple(raw.get("loses_when_withheld", ())),
            warned=warned, also_loses=also,
        ))
    return out


def apply_variant(nb: nbformat.NotebookNode, variant: Variant) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` whose answer cell ``variant.cell`` holds the variant's code.

    Raises
    ------
    KeyError
        When the notebook has no answer cell with that grade_id.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") == variant.cell and meta.get("solution"):
            cell.source = variant.code
            return nb
    raise KeyError(f"{variant.assignment}: no answer cell with grade_id {variant.cell!r} "
                   f"for variant {variant.id!r}")
