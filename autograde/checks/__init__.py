"""The defences that read a graded submission, one module each, run from one list.

Grading never trusts a submission; these checks say where it tried
something, or where the score alone does not tell the whole story. Each is a
:class:`~autograde.checks.base.Check` with a ``name``, a ``help`` sentence
and one method returning :class:`~autograde.status.Finding` s. Which run,
and in which order, is ``ClassGrader.checks`` (names of :data:`CHECKS`, or a
``module.Class`` path for a course's own, as nbgrader takes preprocessors):

==================  =====================================================
late                handed in late, and by how much
cell-check          a read-only cell edited, a graded cell deleted
ast-scan            answer code reaching for the grading machinery
copy-check          answer code that only a copy of dlkit's source has
reference-guard     an answer calling the reference it was asked to write
written-answers     written answers waiting for a grader
==================  =====================================================

Adding a defence: a module here with its class, its line in :data:`CHECKS`
(and in ``DEFAULT`` if it should run by default), and its test.

Other findings come from the pipeline itself, each under its own name:
``intake`` (links, special files and oversized files left out of the
submission, :mod:`autograde.intake`), ``input-check`` (a notebook not handed
in), ``cell-metadata`` (nbgrader metadata restored,
:mod:`autograde.integrity`), ``sandbox`` (files not given to the kernel) and
``lent-function`` (:mod:`autograde.bridge`).
"""

from __future__ import annotations

import importlib

from autograde import bounded
from autograde.checks.ast_scan import AstScan
from autograde.checks.base import Check, Submission
from autograde.checks.cells import CellCheck
from autograde.checks.copies import CopyCheck
from autograde.checks.late import Late
from autograde.checks.outputs import ReferenceGuard, WrittenAnswers
from autograde.status import Finding

CHECKS: dict[str, type[Check]] = {c.name: c for c in (
    Late, CellCheck, AstScan, CopyCheck, ReferenceGuard, WrittenAnswers)}
DEFAULT = ["late", "cell-check", "ast-scan", "copy-check", "reference-guard", "written-answers"]

__all__ = ["CHECKS", "DEFAULT", "Check", "Finding", "Submission", "load_checks", "run_checks"]


def load_checks(names) -> list[Check]:
    """The checks named in ``names`` (a name of :data:`CHECKS` or ``package.module.Class``).

    Raises ValueError naming what is unknown, so a typo in a course's
    configuration stops the run before anything is graded.
    """
    out = []
    for name in names:
        cls = CHECKS.get(name)
        if cls is None and "." in name:
            module, _, attr = name.rpartition(".")
            try:
                cls = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise ValueError(f"ClassGrader.checks: cannot load {name!r} ({exc})") from None
        if cls is None or not (isinstance(cls, type) and issubclass(cls, Check)):
            raise ValueError(f"ClassGrader.checks: {name!r} is not a check (known: "
                             f"{', '.join(CHECKS)}; or a module.Class deriving from "
                             "autograde.checks.Check)")
        out.append(cls())
    return out


RECURSION = 200_000   # the bounded child's recursion limit: a 5,000-term expression is
#                       scanned, not given up on (its memory is bounded anyway)


def run_checks(sub: Submission, checks: list[Check], *, seconds: float = 60.0,
               memory_mb: int = 2048) -> list[Finding]:
    """Every check's findings for one submission, in the order of ``checks``, without repeats.

    The bounded checks run together in one forked child (:mod:`autograde.bounded`);
    if that child fails, each runs in its own, so one check that runs out
    costs only its own findings, replaced by one saying so.
    """
    results: dict[str, list[Finding]] = {}
    inside = [c for c in checks if c.bounded]
    for check in inside:
        try:
            check.prepare()   # trusted, cached: inherited by the child below
        except Exception:
            pass   # the child tries again, bounded, and reports what went wrong
    if inside:
        try:
            raw = bounded.run(_findings_of, sub, inside, seconds=seconds, memory_mb=memory_mb,
                              recursion=RECURSION)
            results.update({name: [Finding(**f) for f in found] for name, found in raw.items()})
        except bounded.Exceeded:
            for check in inside:
                try:
                    raw = bounded.run(_findings_of, sub, [check], seconds=seconds,
                                      memory_mb=memory_mb, recursion=RECURSION)
                    results[check.name] = [Finding(**f) for f in raw[check.name]]
                except bounded.Exceeded as exc:
                    results[check.name] = [_gave_up(check, exc)]
    for check in checks:
        if not check.bounded:
            try:
                results[check.name] = list(check.findings(sub))
            except Exception as exc:
                results[check.name] = [_gave_up(check, f"{type(exc).__name__}: {exc}")]
    out, seen = [], set()
    for check in checks:
        for finding in results.get(check.name, []):
            if str(finding) not in seen:
                seen.add(str(finding))
                out.append(finding)
    return out


def _findings_of(sub: Submission, checks: list[Check]) -> dict[str, list[dict]]:
    """In the bounded child: each check's findings as plain data."""
    out = {}
    for check in checks:
        try:
            found = check.findings(sub)
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:
            found = [_gave_up(check, f"{type(exc).__name__}: {exc}")]
        out[check.name] = [Finding(check.name, f.message, f.notebook).to_dict() for f in found]
    return out


def _gave_up(check: Check, why) -> Finding:
    return Finding(check.name, f"the {check.name} check could not finish ({why}): look at this "
                               "submission by hand")
