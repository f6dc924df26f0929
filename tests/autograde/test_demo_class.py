"""The demo class through the whole pipeline: every student gets what the plan says."""

from __future__ import annotations

import csv
import html

import pytest

from autograde.course import read_schedule
from autograde.demo import expected_outcome, read_plans

from .conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("autograde-demo")]

ASSIGNMENTS = [a.id for a in read_schedule(ROOT / "course")]
PLANS = read_plans(ROOT / "course", ASSIGNMENTS)


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: f"{p.student}-{p.assignment}-{p.kind}")
def test_each_submission_gets_its_expected_status_and_score(plan, demo_run):
    status, score = expected_outcome(plan, ROOT)
    row = demo_run.row(plan.assignment, plan.student)
    assert (row["status"], row["score"]) == (status, pytest.approx(score)), (
        f"{plan}: expected {status} {score}, got {row['status']} {row['score']}: "
        f"{row['reason']} {row['flags']}")
    if status != "graded":
        assert row["reason"], "a submission that was not graded needs a reason"


def test_the_class_is_large_and_varied_enough():
    students = {p.student for p in PLANS}
    kinds = {p.kind for p in PLANS}
    assert len(students) >= 12
    assert {"solution", "blank", "partial", "variants", "crash", "loop", "corrupt",
            "misnamed", "none"} <= kinds
    assert any(p.late_hours for p in PLANS)
    assert any(p.kind == "variants" and p.arg == "alternatives" for p in PLANS)


def test_reasons_and_flags_say_what_happened(demo_run):
    hiro = demo_run.row("a1-neurons", "hiro")
    assert hiro["status"] == "failed" and "kernel died" in hiro["reason"]
    assert "cell neuron-public" in hiro["reason"] or "cell neuron" in hiro["reason"]
    assert any("exits the kernel" in f for f in hiro["flags"])
    ines = demo_run.row("a2-activations", "ines")
    assert ines["status"] == "timeout" and "time limit" in ines["reason"]
    jonas = demo_run.row("a3-nonlinearity", "jonas")
    assert jonas["status"] == "invalid" and "not a valid notebook" in jonas["reason"]
    assert "the file is not valid JSON" in jonas["reason"]
    kemal = demo_run.row("a4-backprop", "kemal")
    assert kemal["status"] == "missing" and "(1).ipynb" in kemal["reason"]
    assert demo_run.row("a5-losses", "kemal")["reason"] == "no submission"
    grace = demo_run.row("a2-activations", "grace")
    assert any(f.startswith("late: submitted 26 h") for f in grace["flags"])
    assert not any(f.startswith("late") for f in demo_run.row("a1-neurons", "grace")["flags"])
    mo = demo_run.row("a1-neurons", "mo")
    assert any("was edited (restored for grading)" in f for f in mo["flags"])
    assert any("was deleted (restored for grading)" in f for f in mo["flags"])
    lena = demo_run.row("a1-neurons", "lena")
    assert any("calls dlkit.nn.neuron" in f for f in lena["flags"])
    assert any("written answer" in f for f in demo_run.row("a1-neurons", "ada")["flags"])
    assert demo_run.row("a1-neurons", "ben")["flags"] == []


def test_report_files_parse_and_follow_the_schema(demo_run):
    for a in ASSIGNMENTS:
        report = demo_run.report(a)
        assert report["assignment"] == a and report["max_score"] > 0
        assert len(report["students"]) >= 12
        for s in report["students"]:
            assert {"student", "score", "max_score", "status", "findings"} <= set(s)
            assert s["status"] in {"graded", "failed", "timeout", "missing", "invalid"}
            assert 0 <= s["score"] <= s["max_score"] == report["max_score"]
            for f in s["findings"]:   # each finding once, with the check that found it
                assert set(f) == {"check", "notebook", "message"} and f["check"] and f["message"]
            assert len({(f["notebook"], f["message"]) for f in s["findings"]}) == \
                len(s["findings"])
    page = (demo_run.course / "reports" / "index.html").read_text()
    assert page.count("<img") == 3 and "data:image/png;base64," in page
    for a in ASSIGNMENTS:   # a section per assignment, and the table's link to it
        assert f'id="{a}"' in page and f'href="#{a}"' in page


def test_the_terminal_summary_ends_with_the_report_path(demo_run):
    out = demo_run.outputs["report"].stdout
    assert out.rstrip().endswith("report: reports/index.html")
    assert "ada" in out and "FAILED" in out and "TIMEOUT" in out and "MISSING" in out


def test_grading_shows_progress_and_counts(demo_run):
    err, out = demo_run.outputs["grade"].stderr, demo_run.outputs["grade"].stdout
    assert "notebooks" in err and "done in" in err
    handed_in = sum(p.kind != "none" for p in PLANS if p.assignment == "a1-neurons")
    assert f"a1-neurons: grading {handed_in} submissions on 2 worker(s)" in out
    assert "WARNING" not in err and "ERROR" not in err, \
        "nbgrader's chatter belongs in the grading log"


def test_feedback_hides_hidden_tests_but_keeps_their_messages(demo_run):
    for a in ASSIGNMENTS:
        page = html.unescape(next((demo_run.course / "feedback" / "dev" / a).glob("*.html"))
                             .read_text())
        assert "BEGIN HIDDEN TESTS" not in page
        assert "\u2717" in page, "dev's mistakes should show their messages"


def test_grades_csv_has_every_student_and_assignment(demo_run):
    with open(demo_run.course / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pairs = {(r["assignment"], r["student_id"]) for r in rows}
    assert {(p.assignment, p.student) for p in PLANS} <= pairs
    ada = [r for r in rows if r["student_id"] == "ada" and r["assignment"] == "a1-neurons"][0]
    assert float(ada["raw_score"]) == demo_run.row("a1-neurons", "ada")["score"]
