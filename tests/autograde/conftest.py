"""The demo class, graded once per session by the real pipeline on a temp course copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograde.report import flags
from tests.course.harness import copy_course

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# short per-cell timeout: the demo's looping submission costs seconds, not a minute
FAST = ["--Execute.timeout=8"]


def autograde(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("NBGRADER_EXECUTION", None)
    proc = subprocess.run([str(BIN / "autograde"), *args], cwd=course, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        pytest.fail(f"autograde {' '.join(args)} exited {proc.returncode}:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc



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
