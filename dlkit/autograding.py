"""Whether nbgrader is grading the notebook now, and the one decorator that acts on it.

nbgrader sets the environment variable ``NBGRADER_EXECUTION`` (to
``"autograde"`` or ``"validate"``) while it executes a notebook. Then
:func:`autograding` is true, and every picture (:mod:`dlkit.plots`) and
widget (:mod:`dlkit.widgets`) returns ``None`` at once, drawing and building
nothing, so exploration cells cost nothing and cannot break grading. Graded
code must never depend on what a plot or a widget returns.

(``dlkit.plots.autograding`` is this same function, which the notebooks import.)
"""

from __future__ import annotations

import functools
import os

__all__ = ["autograding", "skip_while_grading"]


def autograding() -> bool:
    """True while nbgrader executes the notebook (``NBGRADER_EXECUTION`` is set)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def skip_while_grading(fn=None, *, say: bool = False):
    """Make ``fn`` return None at once, doing nothing, while :func:`autograding` is true.

    With ``say=True`` (the widgets) it also prints one line saying so, to
    stdout: nbgrader zeroes a test cell that writes to stderr, and a widget
    cell should not look like one. Use as ``@skip_while_grading`` or
    ``@skip_while_grading(say=True)``.
    """
    if fn is None:
        return functools.partial(skip_while_grading, say=say)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if autograding():
            if say:
                print(f"{fn.__name__}: interactive widget skipped while nbgrader grades")
            return None
        return fn(*args, **kwargs)
    return wrapper
