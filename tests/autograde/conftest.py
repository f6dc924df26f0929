"""The demo class, graded once per session by the real pipeline on a temp course copy."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograde.report import flags
from tests.cli import run_tool
from tests.course.harness import copy_course

ROOT = Path(__file__).resolve().parents[2]

# short per-cell timeout: the demo's looping submission costs seconds, not a minute
FAST = ["--Execute.timeout=8"]


def autograde(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run_tool(course, "autograde", *args, check=check)


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its parent does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class DemoRun:
    course: Path
    outputs: dict[str, subprocess.CompletedProcess]

    def report(self, assignment: str) -> dict:
        return json.loads((self.course / "reports" / f"{assignment}.json").read_text())

    def row(self, assignment: str, student: str) -> dict:
        rows = [s for s in self.report(assignment)["students"] if s["student"] == student]
        assert rows, f"{student} missing from reports/{assignment}.json"
        return dict(rows[0], flags=flags(rows[0]))   # the findings as sentences, for asserts


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """release -> demo -> grade -> feedback -> export -> report, as `make demo` runs them."""
    course = copy_course(tmp_path_factory.mktemp("demo") / "course-root")
    outputs = {}
    for step in (["release"], ["demo"], ["grade", "--jobs=2", *FAST], ["feedback"], ["export"],
                 ["report"]):
        outputs[step[0]] = autograde(course, *step)
    return DemoRun(course, outputs)
