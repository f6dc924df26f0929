"""Grading on submit (issue 16): `autograde serve` on a real nbgrader exchange.

The instructor releases a1-neurons to a temporary exchange with nbgrader
itself; students hand in with ``nbgrader submit`` from their own folders; the
service grades what is waiting (``--once``), writes the feedback and releases
it, and ``nbgrader fetch_feedback`` brings it back to the student. Then:
running the service again grades nothing twice; a student who submits twice
in a row gets the latest graded and the earlier one recorded as superseded; a
submission whose grading was cut short (no ledger entry) is graded when the
service comes back; a student not on the roster is refused.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograde.demo import filled
from tests.cli import run_tool
from tests.course.harness import copy_course, grade_cells

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader, pytest.mark.xdist_group("serve")]

A1, COURSE = "a1-neurons", "unit2-deep-learning"


def _autograded_points(course) -> float:
    nb = nbformat.read(course / "source" / A1 / "neurons.ipynb", as_version=4)
    return sum(grade_cells(nb).values())


class Class:
    def __init__(self, base):
        self.course = copy_course(base / "course")
        self.exchange = base / "exchange"
        self.exchange.mkdir()
        self.base = base
        run_tool(self.course, "autograde", "release", A1, check=True)
        run_tool(self.course, "nbgrader", "release_assignment", A1, f"--course={COURSE}",
                 f"--Exchange.root={self.exchange}", check=True)
        self.release = nbformat.read(self.course / "release" / A1 / "neurons.ipynb", as_version=4)
        self.source = nbformat.read(self.course / "source" / A1 / "neurons.ipynb", as_version=4)

    def submit(self, student: str, solved: bool):
        home = self.base / "students" / student
        (home / A1).mkdir(parents=True, exist_ok=True)
        nb = filled(self.release, self.source) if solved else self.release
        nbformat.write(nb, home / A1 / "neurons.ipynb")
        run_tool(home, "nbgrader", "submit", A1, f"--course={COURSE}", f"--student={student}",
                 f"--Exchange.root={self.exchange}", check=True)
        time.sleep(0.02)   # two submissions never share a ctime

    def serve(self):
        return run_tool(self.course, "autograde", "serve", "--once", A1,
                        f"--exchange={self.exchange}", check=True, timeout=900)

    def fetch_feedback(self, student: str) -> list:
        home = self.base / "students" / student
        run_tool(home, "nbgrader", "fetch_feedback", A1, f"--course={COURSE}",
                 f"--student={student}", f"--Exchange.root={self.exchange}", check=True)
        return sorted((home / A1 / "feedback").rglob("*.html"))

    def score(self, student: str) -> float:
        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gb:
            return gb.find_submission(A1, student).score

    def ledger(self) -> dict:
        return json.loads((self.course / ".autograde" / "served.json").read_text())["entries"]


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    k = Class(tmp_path_factory.mktemp("serve"))
    k.submit("ada", solved=True)
    k.submit("ben", solved=False)
    k.submit("zed", solved=True)   # not on course/roster.csv
    k.first = k.serve()
    return k


def test_each_submission_is_graded_and_its_feedback_reaches_the_student(klass):
    full = _autograded_points(klass.course)
    assert klass.score("ada") == full and klass.score("ben") == 0
    pages = klass.fetch_feedback("ada")
    assert pages and {p.name for p in pages} == {"neurons.html"}
    assert "neurons" in pages[0].read_text() and "BEGIN HIDDEN TESTS" not in pages[0].read_text()
    assert klass.fetch_feedback("ben"), "the blank notebook gets feedback too"
    outcomes = {(e["student"], e["outcome"]) for e in klass.ledger().values()}
    assert outcomes == {("ada", "graded"), ("ben", "graded"), ("zed", "refused")}
    assert "not on the course roster" in json.dumps(klass.ledger())
    assert "zed" not in {p.name for p in (klass.course / "submitted").iterdir()}


def test_serving_again_grades_nothing_twice(klass):
    before = klass.ledger()
    out = klass.serve()
    assert klass.ledger() == before
    assert "graded" not in out.stdout.replace("grading", "")


def test_the_latest_of_two_quick_submissions_counts(klass):
    klass.submit("ada", solved=False)
    klass.submit("ada", solved=True)
    klass.submit("ben", solved=True)
    klass.serve()
    ada = sorted((e["received"], e["outcome"]) for e in klass.ledger().values()
                 if e["student"] == "ada")
    assert [o for _, o in ada] == ["graded", "superseded", "graded"]
    full = _autograded_points(klass.course)
    assert klass.score("ada") == full and klass.score("ben") == full


def test_a_grading_cut_short_is_graded_when_the_service_comes_back(klass):
    path = klass.course / ".autograde" / "served.json"
    entries = klass.ledger()
    ben_latest = max((e["received"], name) for name, e in entries.items()
                     if e["student"] == "ben")[1]
    del entries[ben_latest]   # as if the service died before recording it
    path.write_text(json.dumps({"entries": entries}))
    klass.submit("ben", solved=False)   # meanwhile ben handed in again: that one counts
    klass.serve()
    after = klass.ledger()
    assert after[ben_latest]["outcome"] == "superseded"
    assert klass.score("ben") == 0


def test_a_graded_submission_after_the_due_date_is_flagged_late(klass):
    graded = [e for e in klass.ledger().values() if e["outcome"] == "graded"]
    assert graded and all(e["detail"].startswith("late by ") and "UTC" in e["detail"]
                          for e in graded), graded


def test_with_check_owner_a_folder_not_made_by_the_students_account_is_refused(klass):
    klass.submit("chloe", solved=True)   # made by this test's uid, and chloe has no account
    run_tool(klass.course, "autograde", "serve", "--once", A1, "--check-owner",
             f"--exchange={klass.exchange}", check=True, timeout=900)
    chloe = [e for e in klass.ledger().values() if e["student"] == "chloe"]
    assert [e["outcome"] for e in chloe] == ["refused"]
    assert "no Unix account" in chloe[0]["detail"]
    assert not (klass.course / "submitted" / "chloe").exists()
