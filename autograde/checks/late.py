"""The late check: handed in after the deadline, and by how much."""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry

from autograde.checks.base import Check, Submission
from autograde.status import Finding


class Late(Check):
    name = "late"
    help = "Handed in after the deadline (nbgrader's late penalty applies): by how much."
    bounded = False   # reads the gradebook; cheap whatever the submission holds

    def findings(self, sub: Submission) -> list[Finding]:
        cd = sub.coursedir
        with Gradebook(cd.db_url, cd.course_id) as gb:
            try:
                late = gb.find_submission(sub.assignment, sub.student).total_seconds_late or 0
            except MissingEntry:
                return []
        if late <= 0:
            return []
        hours, rest = divmod(int(late), 3600)
        minutes = rest // 60
        when = f"{hours} h {minutes} min" if hours else f"{minutes} min"
        return [Finding(self.name, f"late: submitted {when} after the deadline")]
