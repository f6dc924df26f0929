"""The demo hub's authenticator: one generated password per account.

`autograde hub` writes ``{"ada": "<password>", ...}`` to a file only root can
read (mode 0600) and prints it at start-up; this authenticator, loaded by
JupyterHub (``c.JupyterHub.authenticator_class``), lets a user in when the
name is one of the file's and the password matches, compared in constant time.
For a real course, switch to PAM, OAuth or LTI (README, "Running the course
for a class"): nothing else in the course depends on how users log in.
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path

from jupyterhub.auth import Authenticator
from traitlets import Unicode


class RosterAuthenticator(Authenticator):
    """Accounts and passwords from ``passwords_file`` (written by `autograde hub`)."""

    passwords_file = Unicode(
        "", help="JSON file mapping each account to its password (mode 0600).",
    ).tag(config=True)

    def _passwords(self) -> dict[str, str]:
        try:
            raw = json.loads(Path(self.passwords_file).read_text())
        except (OSError, ValueError) as exc:
            self.log.error("cannot read the passwords file %s: %s", self.passwords_file, exc)
            return {}
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    async def authenticate(self, handler, data):
        name = str((data or {}).get("username", "")).strip()
        given = str((data or {}).get("password", ""))
        expected = self._passwords().get(name)
        if expected is None:
            # the same work as a real comparison: no timing difference for unknown names
            hmac.compare_digest(given.encode(), b"x" * 16)
            return None
        return name if hmac.compare_digest(given.encode(), expected.encode()) else None
