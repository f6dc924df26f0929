"""The parallel grader against serial nbgrader, re-runs, and runaway kernels."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from autograde import worker
from autograde.report import flags
from tests.cli import run_tool
from tests.course.harness import copy_course

from .conftest import alive, autograde

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("autograde-a1")]
A1 = "a1-neurons"


def gradebook_scores(course) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {sub.student_id: {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
                for sub in gb.assignment_submissions(A1)}


@pytest.fixture(scope="module")
def a1_course(tmp_path_factory):
    """The demo class's a1-neurons submissions, released and not graded yet."""
    course = copy_course(tmp_path_factory.mktemp("a1") / "course-root")
    autograde(course, "release", A1)
    autograde(course, "demo", A1)
    return course


@pytest.fixture(scope="module")
def graded_twice(a1_course, tmp_path_factory):
    """The same class graded by serial `nbgrader autograde` and by `autograde grade`."""
    serial = tmp_path_factory.mktemp("serial") / "course-root"
    shutil.copytree(a1_course, serial)
    run_tool(serial, "nbgrader", "autograde", A1, "--force")
    parallel = tmp_path_factory.mktemp("parallel") / "course-root"
    shutil.copytree(a1_course, parallel)
    autograde(parallel, "grade", A1, "--jobs=2")
    return serial, parallel


def test_parallel_grading_records_exactly_what_serial_nbgrader_records(graded_twice):
    serial, parallel = graded_twice
    expected = gradebook_scores(serial)
    assert expected["ada"]["neuron-hidden"] == 2.0 and expected["ben"]["neuron-hidden"] == 0.0
    assert gradebook_scores(parallel) == expected


def test_grading_again_skips_graded_work_and_force_changes_nothing(graded_twice):
    _, course = graded_twice
    first = gradebook_scores(course)
    log_path = course / "reports/grading" / f"{A1}.json"
    log = json.loads(log_path.read_text())
    proc = autograde(course, "grade", A1, "--jobs=2")
    graded = sum(1 for k, v in log.items() if k != "_meta" and v["status"] == "graded")
    assert f"{graded} skipped" in proc.stdout, "without --force, graded work is left alone"
    autograde(course, "grade", A1, "--jobs=2", "--force")
    assert gradebook_scores(course) == first

    def summary(entries):
        return {k: (v["status"], flags(v)) for k, v in entries.items() if k != "_meta"}

    assert summary(json.loads(log_path.read_text())) == summary(log)


IGNORE_INTERRUPTS = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"


@pytest.fixture
def runaway_class(a1_course, tmp_path):
    """ada (the model solution) and zed, whose answer loops and ignores interrupts."""
    course = tmp_path / "course-root"
    shutil.copytree(a1_course, course)
    for folder in (course / "submitted").iterdir():
        if folder.name != "ada":
            shutil.rmtree(folder)
    nb = nbformat.read(course / "submitted/ada" / A1 / "neurons.ipynb", as_version=4)
    pid_file = course / "zed.pid"
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "neuron":
            cell.source = (IGNORE_INTERRUPTS + f"open({str(pid_file)!r}, 'w').write("
                           "str(__import__('os').getpid()))\nwhile True:\n    pass\n")
    (course / "submitted/zed" / A1).mkdir(parents=True)
    nbformat.write(nb, course / "submitted/zed" / A1 / "neurons.ipynb")
    return course


def test_a_runaway_kernel_is_killed_by_the_wall_clock_and_the_batch_finishes(runaway_class):
    # no per-cell limit at all: only the pool's wall clock can stop it
    # unsandboxed, so the kernel can leave its pid in the course root; the
    # sandboxed kill is tested in test_sandbox.py
    proc = autograde(runaway_class, "grade", A1, "--jobs=2", "--timeout=15",
                     "--Execute.timeout=None", "--ClassGrader.sandbox=off")
    log = json.loads((runaway_class / "reports/grading" / f"{A1}.json").read_text())
    assert log["zed"]["status"] == "timeout"
    assert "still running after 15 s" in log["zed"]["reason"]
    assert any("changes signal handling" in f for f in flags(log["zed"]))
    assert log["ada"]["status"] == "graded"
    assert "1 graded, 1 timeout" in proc.stdout
    kernel = int((runaway_class / "zed.pid").read_text())
    assert not alive(kernel), "the runaway kernel is still running"


def test_a_kernel_that_ignores_the_interrupt_is_reported_with_its_cell(runaway_class):
    autograde(runaway_class, "grade", A1, "--student=zed", "--Execute.timeout=10",
              "--ClassGrader.sandbox=off")
    log = json.loads((runaway_class / "reports/grading" / f"{A1}.json").read_text())
    assert "ada" not in log, "grading one student must leave the others' records alone"
    assert log["zed"]["status"] == "timeout"
    nb = nbformat.read(runaway_class / "submitted/zed" / A1 / "neurons.ipynb", as_version=4)
    where = next(i + 1 for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "neuron")
    # numbered as in the student's notebook, not counting the grader's planted cells
    assert log["zed"]["reason"].startswith(f"neurons: cell neuron (cell {where}) "), \
        log["zed"]["reason"]
    assert log["zed"]["reason"].endswith("ran past the per-cell time limit and the kernel "
                                         "did not respond to the interrupt")


def test_the_demo_class_is_built_reproducibly(a1_course, tmp_path):
    other = copy_course(tmp_path / "other")
    autograde(other, "release", A1)
    autograde(other, "demo", A1)
    for path in a1_course.glob(f"submitted/*/{A1}/*"):
        twin = other / path.relative_to(a1_course)
        assert twin.read_bytes() == path.read_bytes(), f"{path.relative_to(a1_course)} differs"


class _FlakyStart:
    """An exporter whose kernel fails to come up ``failures`` times, then runs."""

    def __init__(self, failures: int, message: str = worker.KERNEL_START_FAILED):
        self.failures, self.message, self.calls = failures, message, 0

    def from_notebook_node(self, nb, resources=None):
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(self.message)
        return "executed", resources


def test_a_kernel_that_never_came_up_is_started_again(monkeypatch):
    monkeypatch.setattr(worker.time, "sleep", lambda s: None)
    flaky = _FlakyStart(worker.START_ATTEMPTS - 1)
    assert worker._execute(flaky, {}, {}) == "executed"
    assert flaky.calls == worker.START_ATTEMPTS
    # it gives up after START_ATTEMPTS, and never retries what student code did
    with pytest.raises(RuntimeError, match="kernel_info"):
        worker._execute(_FlakyStart(worker.START_ATTEMPTS), {}, {})
    once = _FlakyStart(1, "Kernel died")
    with pytest.raises(RuntimeError, match="Kernel died"):
        worker._execute(once, {}, {})
    assert once.calls == 1
