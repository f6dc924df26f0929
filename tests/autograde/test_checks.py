"""autograde.checks: one module per defence, run from one list, each finding once."""

from __future__ import annotations

import nbformat
import pytest

from autograde.checks import CHECKS, DEFAULT, Check, Submission, load_checks, run_checks
from autograde.status import Finding


class Shouting(Check):   # a course's own check, loaded by its path
    name = "shouting"
    help = "Answers written in capitals."

    def findings(self, sub):
        return [Finding("not-my-name", "SHOUTS", "nb")]


class Broken(Check):
    name = "broken"
    help = "A check with a bug."

    def findings(self, sub):
        raise KeyError("oops")


class Endless(Check):
    name = "endless"
    help = "A check that never ends."

    def findings(self, sub):
        while True:
            pass


def _submission(tmp_path, code: str) -> Submission:
    folder = tmp_path / "submitted"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                 "grade_id": "neuron"}
    nb.cells = [cell]
    nbformat.write(nb, folder / "neurons.ipynb")
    return Submission("zed", "a1", folder, tmp_path / "autograded", tmp_path / "release")


def test_every_check_has_a_name_a_help_text_and_is_in_the_default_list():
    assert set(DEFAULT) == set(CHECKS)
    for name, cls in CHECKS.items():
        assert cls.name == name and len(cls.help) > 20 and cls.findings is not Check.findings


def test_the_list_takes_a_course_check_by_path_and_refuses_an_unknown_name():
    assert [c.name for c in load_checks(["ast-scan", f"{__name__}.Shouting"])] == \
        ["ast-scan", "shouting"]
    with pytest.raises(ValueError, match="'ast-scna' is not a check"):
        load_checks(["ast-scna"])
    with pytest.raises(ValueError, match="cannot load"):
        load_checks(["nowhere.Nothing"])


def test_findings_carry_their_check_and_are_kept_once(tmp_path):
    sub = _submission(tmp_path, "import os\nos._exit(1)\n")
    found = run_checks(sub, load_checks(["ast-scan", "ast-scan", f"{__name__}.Shouting"]))
    assert [f.check for f in found] == ["ast-scan", "shouting"]   # the check's own name
    assert "exits the kernel" in found[0].message and found[0].notebook == "neurons"


def test_a_failing_or_endless_check_costs_only_its_own_findings(tmp_path):
    sub = _submission(tmp_path, "import os\nos._exit(1)\n")
    found = run_checks(sub, [*load_checks(["ast-scan"]), Broken(), Endless()], seconds=3)
    by = {f.check: f.message for f in found}
    assert "exits the kernel" in by["ast-scan"]
    assert "could not finish (KeyError" in by["broken"]
    assert "could not finish (did not finish within 3 s)" in by["endless"]


def test_an_expression_of_5000_terms_is_scanned_in_the_bounded_child(tmp_path):
    sub = _submission(tmp_path, "x = 0" + " + 1" * 5000 + "\nimport os\nos._exit(0)\n")
    found = run_checks(sub, load_checks(["ast-scan"]))
    assert any("exits the kernel" in f.message for f in found), found
