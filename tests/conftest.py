"""Shared test configuration.

Hypothesis runs derandomized under CI so a failure reproduces exactly, and
without deadlines: the CI machine is small and noisy, and speed is measured
in bench/, never asserted here.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci", parent=settings.get_profile("default"), derandomize=True, print_blob=True,
)
settings.load_profile("ci" if os.environ.get("CI") else "default")
