"""How grading went, in one vocabulary: :class:`Status` and :class:`Finding`.

Every part of autograde speaks it: the worker (how a notebook's execution
ended), the pool, the grader (how a submission ended), the progress bar, the
grading log in ``reports/grading/<assignment>.json`` and the report. Both
are plain strings underneath (``Status`` is a ``str`` enum, a finding is
stored as a dict), so the log stays readable JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Status(str, Enum):
    """A submission's status (the first six), or how one notebook's execution ended."""

    # a submission (the grading log, the report, the progress bar)
    GRADED = "graded"        # scored by nbgrader (some cells may have failed)
    FAILED = "failed"        # could not be scored: the kernel died, grades not saved...
    TIMEOUT = "timeout"      # scored, but a cell or the whole notebook ran out of time
    MISSING = "missing"      # no notebook nbgrader can grade in the folder
    INVALID = "invalid"      # not a notebook we can read safely (size, format, JSON)
    SKIPPED = "skipped"      # already graded (use --force)
    # one notebook's execution (worker -> pool -> grader)
    OK = "ok"                # executed (cells may have failed: that is grading's business)
    DEAD = "dead"            # the kernel died (os._exit, segfault, out of memory)
    ERROR = "error"          # the notebook could not be executed at all
    UNRESPONSIVE = "unresponsive"   # a cell timed out and the kernel ignored the interrupt

    def __str__(self) -> str:   # f"{status}" is the word, not "Status.GRADED"
        return self.value

    def __hash__(self) -> int:  # as its word: "graded" and Status.GRADED are one dict key
        return str.__hash__(self)

    @property
    def scored(self) -> bool:
        """Has grades in the gradebook (graded, or graded with a timeout)."""
        return self in (Status.GRADED, Status.TIMEOUT)

    @property
    def bad(self) -> bool:
        """Counts as a problem on the progress bar and in the report."""
        return self in (Status.FAILED, Status.TIMEOUT, Status.INVALID, Status.DEAD,
                        Status.ERROR, Status.UNRESPONSIVE)


#: the submission statuses, in the order the report lists them
SUBMISSION = (Status.GRADED, Status.TIMEOUT, Status.FAILED, Status.INVALID, Status.MISSING,
              Status.SKIPPED)


@dataclass(frozen=True)
class Finding:
    """One reason to look at a submission by hand, with the check that found it.

    ``check`` is the name of an :mod:`autograde.checks` check (or of the part
    of the pipeline that noticed: ``sandbox``, ``lent-function``...),
    ``notebook`` the notebook it is about ("" for the whole submission),
    ``message`` one sentence an instructor can act on.
    """

    check: str
    message: str
    notebook: str = ""

    def __str__(self) -> str:
        return f"{self.notebook}: {self.message}" if self.notebook else self.message

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> Finding | None:
        """A finding read back from a log (None when ``data`` is not one)."""
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return None
        return cls(str(data.get("check", "")), data["message"], str(data.get("notebook", "")))
