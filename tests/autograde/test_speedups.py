"""autograde.speedups: nbgrader's bookkeeping made cheap, with exactly nbgrader's results."""

from __future__ import annotations

import warnings

import jsonschema
import nbformat
import pytest
from nbgrader.api import Gradebook
from sqlalchemy import event
from sqlalchemy.exc import SAWarning

from autograde import speedups

speedups.install()   # as the grading process does (idempotent)


@pytest.fixture(autouse=True)
def _alembic_on_path(monkeypatch):
    """A new gradebook runs nbgrader's `alembic` from PATH: this environment's."""
    from tests.cli import tool_env

    monkeypatch.setenv("PATH", tool_env()["PATH"])

SCHEMA = {"type": "object", "properties": {"points": {"type": "number", "minimum": 0},
                                           "grade_id": {"type": "string"}},
          "required": ["grade_id"], "additionalProperties": False}


@pytest.mark.parametrize("instance", [
    {"grade_id": "a", "points": 1}, {"points": 1}, {"grade_id": 3}, {"grade_id": "a", "x": 1},
    {"grade_id": "a", "points": -2}, [], "text",
])
def test_the_cached_validator_raises_what_jsonschema_raises(instance):
    import nbgrader.nbgraderformat.common as common

    def outcome(validate):
        try:
            validate(instance, SCHEMA)
        except jsonschema.ValidationError as exc:
            return (exc.message, list(exc.path), exc.validator)
        return None

    for _ in range(2):   # compiled on the first call, reused on the second
        assert outcome(common.jsonschema.validate) == outcome(jsonschema.validate)


def test_a_bad_schema_is_refused_every_time_and_never_cached():
    import nbgrader.nbgraderformat.common as common

    for _ in range(2):
        with pytest.raises(jsonschema.SchemaError):
            common.jsonschema.validate({}, {"type": "no such type"})


def _gradebook(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url, "course") as gb:
        gb.add_assignment("a")
        gb.add_student("s")
        gb.add_notebook("nb", "a")
        for i in (1, 2, 3):
            gb.add_grade_cell(f"t{i}", "nb", "a", max_score=1, cell_type="code")
            gb.add_source_cell(f"t{i}", "nb", "a", cell_type="code", locked=True,
                               source="pass", checksum=None)
        with warnings.catch_warnings():   # nbgrader's own, harmless, with SQLAlchemy 2
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission("a", "s")
    return url


def test_gradebooks_of_one_url_share_an_engine_and_still_work_after_one_closes(tmp_path):
    url = _gradebook(tmp_path)
    first, second = Gradebook(url, "course"), Gradebook(url, "course")
    assert first.engine is second.engine
    first.close()
    assert [s.id for s in second.students] == ["s"]
    second.close()
    with Gradebook(f"sqlite:///{tmp_path / 'other.db'}") as other:   # a new file: its tables
        assert other.students == []


def _notebook(error_in: str | None = None):
    nb = nbformat.v4.new_notebook()
    for i in (1, 2, 3):
        cell = nbformat.v4.new_code_cell("pass")
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"t{i}", "points": 1,
                                     "solution": False, "locked": True, "schema_version": 3}
        if error_in == f"t{i}":
            cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError",
                                                   evalue="", traceback=[])]
        nb.cells.append(cell)
    return nb


def _resources(url):
    return {"nbgrader": {"notebook": "nb", "assignment": "a", "student": "s", "db_url": url}}


def _save(step, folder):
    """(the scores ``step`` saved for a notebook with t2 failing, the commits it made)."""
    folder.mkdir()
    url = _gradebook(folder)
    commits = []
    with Gradebook(url, "course") as gb:
        event.listen(gb.engine, "commit", lambda conn: commits.append(1))
    step().preprocess(_notebook(error_in="t2"), _resources(url))
    made = len(commits)
    with Gradebook(url, "course") as gb:
        scores = {g.name: g.auto_score for g in gb.find_submission_notebook("nb", "a", "s").grades}
    return scores, made


def test_a_notebooks_grades_are_nbgraders_saved_in_one_commit(tmp_path):
    from nbgrader.preprocessors import SaveAutoGrades

    ours, ours_commits = _save(speedups.SaveAutoGradesOnce, tmp_path / "ours")
    theirs, their_commits = _save(SaveAutoGrades, tmp_path / "nbgrader")
    assert ours == theirs == {"t1": 1.0, "t2": 0.0, "t3": 1.0}
    # nbgrader: the gradebook's own commit on opening, then one per graded cell
    assert (their_commits, ours_commits) == (1 + 3, 1 + 1)


def test_a_notebook_whose_saving_fails_keeps_none_of_its_grades(tmp_path, monkeypatch):
    url = _gradebook(tmp_path)
    from nbgrader.preprocessors import SaveAutoGrades

    real = SaveAutoGrades._add_score

    def fail_on_the_third(self, cell, resources):
        if cell.metadata["nbgrader"]["grade_id"] == "t3":
            raise RuntimeError("the disk is full")
        return real(self, cell, resources)

    monkeypatch.setattr(SaveAutoGrades, "_add_score", fail_on_the_third)
    with pytest.raises(RuntimeError):
        speedups.SaveAutoGradesOnce().preprocess(_notebook(), _resources(url))
    with Gradebook(url, "course") as gb:
        scores = {g.name: g.auto_score for g in gb.find_submission_notebook("nb", "a", "s").grades}
    assert scores == {"t1": None, "t2": None, "t3": None}
