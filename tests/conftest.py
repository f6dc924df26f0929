"""Shared test configuration.

Hypothesis runs derandomized under CI so a failure reproduces exactly, and
without deadlines: the CI machine is small and noisy, and speed is measured
in bench/, never asserted here.
"""

import os
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci", parent=settings.get_profile("default"), derandomize=True, print_blob=True,
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


# ----------------------------------------------------------------- the attack table
# tests/autograde/test_attacks.py writes its table (attack, outcome, defence)
# to this temporary file (never into the repository); the run's summary prints
# it, also under xdist, whose workers' own output never reaches the terminal
# (they inherit the controller's environment, so all agree on the file).
os.environ.setdefault("DLCOURSE_ATTACK_TABLE", os.path.join(
    tempfile.gettempdir(), f"dlcourse-attacks-{os.getpid()}-{int(time.time())}.md"))
ATTACK_TABLE = Path(os.environ["DLCOURSE_ATTACK_TABLE"])
_started = time.time()


def pytest_terminal_summary(terminalreporter):
    if hasattr(terminalreporter.config, "workerinput"):
        return   # an xdist worker: the controller prints it
    try:
        fresh = ATTACK_TABLE.stat().st_mtime >= _started
    except OSError:
        return
    if fresh:
        terminalreporter.section("grading integrity: attacks and the defences that caught them")
        terminalreporter.write(ATTACK_TABLE.read_text(encoding="utf-8"))


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):
        ATTACK_TABLE.unlink(missing_ok=True)
