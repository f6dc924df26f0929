"""Fixtures for the course tests: each assignment's test class, graded once.

See harness.py for what the test class contains and how it is graded.
"""

from __future__ import annotations

import pytest

from .harness import GradedClass, autograde_class, grade_class

_CACHE: dict[str, GradedClass] = {}
_SPLIT: dict[str, GradedClass] = {}


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(assignment)`` grades that assignment's test class once per session."""

    def get(assignment: str) -> GradedClass:
        if assignment not in _CACHE:
            _CACHE[assignment] = grade_class(tmp_path_factory.mktemp("course"), assignment)
        return _CACHE[assignment]

    return get


@pytest.fixture(scope="session")
def autograded(graded):
    """``autograded(assignment)``: the same class graded by ``autograde grade``, once."""

    def get(assignment: str) -> GradedClass:
        if assignment not in _SPLIT:
            _SPLIT[assignment] = autograde_class(graded(assignment))
        return _SPLIT[assignment]

    return get
