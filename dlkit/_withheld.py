"""What a withheld dlkit function does while an assignment is graded: say so.

When autograde grades an assignment, the student's kernel imports a copy of
dlkit in which the functions the assignment asks students to write (and
every dlkit function that computes the same numbers) are replaced by stubs
that call :func:`withheld`. The grader's own process keeps the real ones.
"""

from __future__ import annotations


class WithheldError(RuntimeError):
    """A dlkit function that is not available while this assignment is graded."""


def withheld(name: str, quiet: bool = False):
    """Raise :class:`WithheldError` for ``name``; ``quiet`` (plots, widgets): print, return None."""
    if quiet:   # a picture: nothing to draw, and the notebook goes on
        if not name.rsplit(".", 1)[-1].startswith("_"):
            print(f"({name} is not drawn while this assignment is graded)")
        return None
    raise WithheldError(
        f"{name} is not available while this assignment is graded: it computes what this "
        "assignment asks you to write. Use your own function instead.")
