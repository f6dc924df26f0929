"""Checks that read the graded notebook: answers that called a withheld reference,
written answers waiting for a grader."""

from __future__ import annotations

import re

from autograde.checks.base import Check, Submission
from autograde.status import Finding

# bounded groups: a 250 kB word in an error message must not cost quadratic time
_CALLS = re.compile(r"\b(\w{1,100}) calls ([\w.]{1,200}), the reference you are asked to write")
_WITHHELD = re.compile(r"\b(\w{1,100}) raised WithheldError: ([\w.]{1,200}) is not available")


class ReferenceGuard(Check):
    name = "reference-guard"
    help = ("An answer that calls the dlkit reference it was asked to write (withheld from the "
            "grading kernel, so the call raised WithheldError; or forbid= caught it).")

    def findings(self, sub: Submission) -> list[Finding]:
        out = []
        for name, nb in sub.autograded_notebooks():
            for cell in nb.cells:
                text = " ".join(str(o.get("evalue", "")) + "".join(map(str, o.get("traceback", [])))
                                for o in cell.get("outputs", []) if o.get("output_type") == "error")
                called = _CALLS.search(text) or _WITHHELD.search(text)
                if called:
                    out.append(Finding(self.name, f"{called.group(1)} calls {called.group(2)}, "
                                                  "the reference it was asked to implement", name))
        return out


class WrittenAnswers(Check):
    name = "written-answers"
    help = "Written answers waiting for a grader in formgrader."

    def findings(self, sub: Submission) -> list[Finding]:
        out = []
        for name, nb in sub.autograded_notebooks():
            written = []
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                source = cell.get("source", "")
                if meta.get("grade") and meta.get("solution") and cell.cell_type == "markdown" \
                        and isinstance(source, str) and source.strip() \
                        and source.strip() != "YOUR ANSWER HERE":
                    written.append(str(meta.get("grade_id")))
            if written:
                out.append(Finding(self.name, f"{len(written)} written answer(s) to grade by hand "
                                              f"({', '.join(written)})", name))
        return out
