"""The parallel grader against serial nbgrader, re-runs, and runaway kernels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import nbformat
import pytest

from .conftest import BIN, autograde, copy_course

pytestmark = pytest.mark.xdist_group("autograde-a1")
A1 = "a1-neurons"


def gradebook_scores(course) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {sub.student_id: {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
                for sub in gb.assignment_submissions(A1)}


@pytest.fixture(scope="module")
def a1_course(tmp_path_factory):
    """A course with the demo class's a1-neurons submissions, released, not graded."""
    course = copy_course(tmp_path_factory.mktemp("a1") / "course-root")
    autograde(course, "release", A1)
    autograde(course, "demo", A1)
    shutil.copy(course / "gradebook.db", course / "fresh.db")
    return course


def reset(course) -> None:
    shutil.copy(course / "fresh.db", course / "gradebook.db")
    shutil.rmtree(course / "autograded", ignore_errors=True)
    shutil.rmtree(course / "reports", ignore_errors=True)


def test_parallel_grading_records_exactly_what_serial_nbgrader_records(a1_course):
    reset(a1_course)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("NBGRADER_EXECUTION", None)
    subprocess.run([str(BIN / "nbgrader"), "autograde", A1, "--force"], cwd=a1_course,
                   capture_output=True, env=env)
    serial = gradebook_scores(a1_course)
    assert serial["ada"]["neuron-hidden"] == 2.0 and serial["ben"]["neuron-hidden"] == 0.0
    reset(a1_course)
    autograde(a1_course, "grade", A1, "--jobs=2", "--force")
    assert gradebook_scores(a1_course) == serial


def test_grading_again_with_force_changes_nothing(a1_course):
    reset(a1_course)
    autograde(a1_course, "grade", A1, "--jobs=2")
    first = gradebook_scores(a1_course)
    log = json.loads((a1_course / "reports/grading" / f"{A1}.json").read_text())
    proc = autograde(a1_course, "grade", A1, "--jobs=2")
    assert "12 skipped" in proc.stdout, "without --force, graded work is left alone"
    autograde(a1_course, "grade", A1, "--jobs=2", "--force")
    assert gradebook_scores(a1_course) == first
    again = json.loads((a1_course / "reports/grading" / f"{A1}.json").read_text())
    assert {k: (v["status"], v["flags"]) for k, v in again.items() if k != "_meta"} == \
        {k: (v["status"], v["flags"]) for k, v in log.items() if k != "_meta"}


def _submit(course, student: str, code: str) -> None:
    nb = nbformat.read(course / "submitted/ada" / A1 / "neurons.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "neuron":
            cell.source = code
    folder = course / "submitted" / student / A1
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "neurons.ipynb")


IGNORE_INTERRUPTS = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"


def test_a_runaway_kernel_is_killed_by_the_wall_clock_and_the_batch_finishes(a1_course):
    reset(a1_course)
    _submit(a1_course, "zed", IGNORE_INTERRUPTS + "while True:\n    pass\n")
    try:
        # no per-cell limit at all: only the pool's wall clock can stop it
        proc = autograde(a1_course, "grade", A1, "--jobs=2", "--timeout=15",
                         "--Execute.timeout=None")
        log = json.loads((a1_course / "reports/grading" / f"{A1}.json").read_text())
        assert log["zed"]["status"] == "timeout"
        assert "still running after 15 s" in log["zed"]["reason"]
        assert any("changes signal handling" in f for f in log["zed"]["flags"])
        assert log["ada"]["status"] == "graded" and log["hiro"]["status"] == "failed"
        assert "1 timeout" in proc.stdout
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert "SIG_IGN" not in ps
    finally:
        shutil.rmtree(a1_course / "submitted/zed")


def test_a_kernel_that_ignores_the_interrupt_is_reported_with_its_cell(a1_course):
    reset(a1_course)
    _submit(a1_course, "zed", IGNORE_INTERRUPTS + "while True:\n    pass\n")
    try:
        autograde(a1_course, "grade", A1, "--student=zed", "--Execute.timeout=10")
        log = json.loads((a1_course / "reports/grading" / f"{A1}.json").read_text())
        assert log["zed"]["status"] == "timeout"
        assert log["zed"]["reason"].startswith("neurons: cell neuron (cell ")
        assert log["zed"]["reason"].endswith("ran past the per-cell time limit and the kernel "
                                             "did not respond to the interrupt")
    finally:
        shutil.rmtree(a1_course / "submitted/zed")


def test_the_demo_class_is_built_reproducibly(a1_course, tmp_path):
    other = copy_course(tmp_path / "other")
    autograde(other, "release", A1)
    autograde(other, "demo", A1)
    for path in a1_course.glob(f"submitted/*/{A1}/*"):
        twin = other / path.relative_to(a1_course)
        assert twin.read_bytes() == path.read_bytes(), f"{path.relative_to(a1_course)} differs"
