"""Running the course's command-line tools from a test: one helper for all of them.

Every tool (``autograde``, ``nbgrader``, ``jupyter``...) runs from this
interpreter's environment (nbgrader runs ``alembic`` from PATH, so the
environment's ``bin`` goes first), never as if nbgrader were grading the test
itself (``NBGRADER_EXECUTION`` removed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def tool_env(**extra: str) -> dict[str, str]:
    """The environment a tool runs in: this one, ``BIN`` first on PATH, and ``extra``."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("NBGRADER_EXECUTION", None)
    env.update(extra)
    return env


def run_tool(cwd: Path, tool: str, *args: str, check: bool = False, timeout: float | None = None,
             env: dict | None = None) -> subprocess.CompletedProcess:
    """``tool ARGS`` in ``cwd`` (its output captured as text); with ``check``, a test failure
    quoting the ends of its output when it exits non-zero."""
    proc = subprocess.run([str(BIN / tool), *args], cwd=cwd, env=env or tool_env(),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"{tool} {' '.join(args)} exited {proc.returncode}:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc
