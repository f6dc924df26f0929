"""course/: the syllabus, schedule, roster and variants agree with the notebooks."""

from __future__ import annotations

import nbformat
import pytest

from autograde.course import CourseDataError, read_roster, read_schedule, read_syllabus
from autograde.demo import read_plans
from autograde.variants import load_variants

from .harness import ASSIGNMENTS, ROOT, notebook_names

COURSE = ROOT / "course"


def notebook_cells(assignment: str) -> tuple[set[str], float]:
    """(answer and written-answer grade ids, total points) of an assignment."""
    ids, points = set(), 0.0
    for name in notebook_names(assignment):
        nb = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
        for c in nb.cells:
            meta = c.metadata.get("nbgrader", {})
            if meta.get("solution"):
                ids.add(meta["grade_id"])
            if meta.get("grade"):
                points += float(meta["points"])
    return ids, points


def test_schedule_lists_every_assignment_in_order_with_its_points():
    schedule = read_schedule(COURSE)
    assert [a.id for a in schedule] == ASSIGNMENTS
    for a in schedule:
        _, points = notebook_cells(a.id)
        assert a.points == points, f"{a.id}: schedule says {a.points}, notebooks {points}"
    dues = [a.due for a in schedule]
    assert dues == sorted(dues)


def test_syllabus_covers_every_exercise_exactly_once():
    sections = read_syllabus(COURSE)
    listed: dict[str, list[str]] = {}
    for s in sections:
        listed.setdefault(s.assignment, []).extend(s.exercises)
    for a in ASSIGNMENTS:
        ids, _ = notebook_cells(a)
        assert sorted(listed.get(a, [])) == sorted(ids), f"{a}: syllabus vs notebook"
        assert len(listed[a]) == len(set(listed[a])), f"{a}: an exercise listed twice"


def test_roster_and_demo_class():
    students = read_roster(COURSE)
    assert len(students) >= 12 and all("@" in s.email for s in students)
    plans = read_plans(COURSE, ASSIGNMENTS)
    assert {p.student for p in plans} <= {s.id for s in students}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_variants_name_real_cells(assignment):
    ids, _ = notebook_cells(assignment)
    for v in load_variants(ROOT, assignment):
        assert v.cell in ids, f"{v.id}: no answer cell {v.cell}"
        assert v.notebook in notebook_names(assignment)


def test_bad_course_files_get_clear_messages(tmp_path):
    (tmp_path / "schedule.yaml").write_text("assignments:\n  - id: a1\n    title: x\n")
    with pytest.raises(CourseDataError, match=r"assignment #1 lacks \['due', 'points', "
                                              r"'release'\]"):
        read_schedule(tmp_path)
    (tmp_path / "schedule.yaml").write_text(
        "assignments:\n  - {id: a1, title: x, release: 2026-09-07, due: soon, points: 1}\n")
    with pytest.raises(CourseDataError, match="a1.due must be a date"):
        read_schedule(tmp_path)
    (tmp_path / "roster.csv").write_text(
        "id,first_name,last_name,email\nada,A,B,a@x\nada,C,D,c@x\n")
    with pytest.raises(CourseDataError, match="line 3: student id 'ada' is empty, repeated"):
        read_roster(tmp_path)
    (tmp_path / "syllabus.yaml").write_text("sections: [: bad")
    with pytest.raises(CourseDataError, match="not valid YAML"):
        read_syllabus(tmp_path)
    with pytest.raises(CourseDataError, match="is missing"):
        read_schedule(tmp_path / "nowhere")


WARNED_ENTRY = ("notebook: nb\nvariants:\n  - id: naive\n    cell: sigmoid\n    kind: {kind}\n"
                "    description: d\n    warned: {warned}\n    loses: [{loses}]\n    code: x\n")


@pytest.mark.parametrize("kind,warned,loses,message", [
    ("mistake", "true", "sigmoid-hidden", "a public test of 'sigmoid' must catch it"),
    ("cheat", "true", "sigmoid-public", "only a mistake can be warned against"),
    ("mistake", "'yes'", "sigmoid-public", "warned must be true or false"),
])
def test_variants_that_the_text_warns_against_must_fail_publicly(tmp_path, kind, warned, loses,
                                                                  message):
    folder = tmp_path / "course" / "variants"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text(WARNED_ENTRY.format(kind=kind, warned=warned, loses=loses))
    with pytest.raises(ValueError, match=message):
        load_variants(tmp_path, "a")


def test_a_warned_variant_that_fails_publicly_loads(tmp_path):
    folder = tmp_path / "course" / "variants"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text(WARNED_ENTRY.format(kind="mistake", warned="true",
                                                       loses="sigmoid-public, sigmoid-hidden"))
    (v,) = load_variants(tmp_path, "a")
    assert v.warned and v.loses == ("sigmoid-public", "sigmoid-hidden")


ALSO_ENTRY = ("notebook: nb\nvariants:\n  - id: v\n    cell: train\n    kind: {kind}\n"
              "    description: d\n    also_loses: [{also}]\n    code: x\n")


@pytest.mark.parametrize("kind,also,message", [
    ("mistake", "train-hidden", "also_loses is for other exercises' cells"),
    ("alternative", "config-public", "an alternative answer must not lose points"),
])
def test_also_loses_names_only_other_exercises_cells(tmp_path, kind, also, message):
    """also_loses (an end-to-end exercise's cells) never holds the variant's own cells,
    and an alternative answer loses nothing anywhere."""
    folder = tmp_path / "course" / "variants"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text(ALSO_ENTRY.format(kind=kind, also=also))
    with pytest.raises(ValueError, match=message):
        load_variants(tmp_path, "a")
    (folder / "a.yaml").write_text(ALSO_ENTRY.format(kind="mistake", also="config-public"))
    (v,) = load_variants(tmp_path, "a")
    assert v.also_loses == ("config-public",)
