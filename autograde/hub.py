"""`autograde hub`: the course on a real JupyterHub on this machine, graded on submit.

Run as root from the course root (``sudo make hub``). It prepares, once, and
keeps between runs, a folder (``--dir``, default ``/srv/dlcourse``)::

    course/     the hub's copy of the course (source/, release/, course/,
                nbgrader_config.py, the gradebook, submissions, feedback):
                owned by the instructor's account, group-writable (setgid) for
                the grading service, closed to everyone else (mode 2770)
    exchange/   the nbgrader exchange (mode 1777, as nbgrader documents)
    config/     Jupyter and nbgrader settings for students and for the instructor
    state/      root's only (0700): JupyterHub's database, cookie secret,
                config file and the generated passwords

- one Unix account per student of ``course/roster.csv`` and one for the
  instructor (``--instructor``), created when missing (the ones this command
  created are listed in ``state/users.json``; ``--remove-users`` deletes them);
- the assignments (all of the schedule, or those named) released to the exchange
  by the instructor's account with ``nbgrader release_assignment``;
- JupyterHub with LocalProcessSpawner (each user's JupyterLab runs as that
  user), the proxy from npm (``configurable-http-proxy``, pinned in
  package.json), a demo authenticator (:mod:`autograde.hubauth`) whose
  passwords are printed at start-up; students get nbgrader's Assignments panel,
  the instructor also formgrader;
- `autograde serve` as a hub-managed service (restarted by the hub if it dies),
  checking that each submission's folder belongs to the student it names.

It prints the URL and the accounts and stops cleanly on Ctrl-C (the hub stops
the users' servers, the proxy and the service). Without root it refuses, and
says what to do on a hub that already exists (README, "Running the course for
a class").
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from traitlets import Bool, Integer, Unicode

from autograde.apps import ALIASES, FLAGS, AutogradeStep, _say

#: what useradd accepts and nbgrader can use as a student id (and a URL path part)
UNIX_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
#: nbgrader's extensions a student does not get (the instructor gets all)
STUDENT_LAB_OFF = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                   "@jupyter/nbgrader:course-list"]
STUDENT_SERVER_OFF = ["nbgrader.server_extensions.formgrader",
                      "nbgrader.server_extensions.course_list"]
COPIED = ["nbgrader_config.py", "source", "release", "course"]
START_TIMEOUT = 120.0

HUB_ALIASES = dict(ALIASES, port="HubApp.port", ip="HubApp.ip", dir="HubApp.hub_dir",
                   exchange="HubApp.exchange_root", instructor="HubApp.instructor",
                   proxy="HubApp.proxy")
HUB_FLAGS = dict(FLAGS)
HUB_FLAGS["remove-users"] = ({"HubApp": {"remove_users": True}},
                             "Delete the Unix accounts (and homes) this command created, "
                             "then exit.")
HUB_FLAGS["setup-only"] = ({"HubApp": {"setup_only": True}},
                           "Prepare accounts, course copy, exchange and config, then exit.")


class HubApp(AutogradeStep):
    name = "autograde-hub"
    description = "Run the course on a JupyterHub on this machine, graded on submit."
    aliases = HUB_ALIASES
    flags = HUB_FLAGS

    port = Integer(8000, help="The port students open in the browser.").tag(config=True)
    ip = Unicode("127.0.0.1", help="The address the hub listens on.").tag(config=True)
    hub_dir = Unicode("/srv/dlcourse", help="The hub's folder (course copy, exchange, "
                      "state); kept between runs.").tag(config=True)
    exchange_root = Unicode("", help="The nbgrader exchange (default: <dir>/exchange)."
                            ).tag(config=True)
    instructor = Unicode("instructor", help="The instructor's account.").tag(config=True)
    proxy = Unicode("", help="configurable-http-proxy (default: node_modules/.bin of the "
                    "course root, then PATH).").tag(config=True)
    remove_users = Bool(False, help="Delete the accounts this command created.").tag(config=True)
    setup_only = Bool(False, help="Prepare, then exit.").tag(config=True)

    # -- paths ---------------------------------------------------------------
    @property
    def base(self) -> Path:
        return Path(self.hub_dir).absolute()

    @property
    def state(self) -> Path:
        return self.base / "state"

    @property
    def course_dir(self) -> Path:
        return self.base / "course"

    @property
    def exchange_dir(self) -> Path:
        return Path(self.exchange_root).absolute() if self.exchange_root else self.base / "exchange"

    # -- the command ---------------------------------------------------------
    def start(self):
        super().start()
        if os.geteuid() != 0:
            self.fail("autograde hub creates a Unix account per student and runs each "
                      "student's JupyterLab as that account: run it as root (sudo make hub). "
                      "On a JupyterHub you already run, see the README section "
                      "'Running the course for a class'.")
        if self.remove_users:
            self._remove_users()
            return
        course_id = self.coursedir.course_id
        if not course_id:
            self.fail("no course id: set CourseDirectory.course_id in nbgrader_config.py")
        from autograde.course import read_roster

        students = [s.id for s in read_roster(self.course_data_dir)]
        bad = [s for s in [self.instructor, *students] if not UNIX_NAME.fullmatch(s)]
        if bad:
            self.fail(f"not usable as Unix account names: {', '.join(map(repr, bad))} (lower-case "
                      "letters, digits, '_' and '-', starting with a letter, at most 32)")
        if self.instructor in students:
            self.fail(f"the instructor's account {self.instructor!r} is also on the roster")
        proxy = self._find_proxy()
        bindir = Path(sys.executable).parent
        for tool in ("jupyterhub", "jupyterhub-singleuser"):
            if not (bindir / tool).exists():
                self.fail(f"{bindir / tool} is missing: pip install -r requirements-hub.txt")

        self._reachable_python()
        self._folders()
        created = self._accounts([self.instructor, *students])
        self._course_copy()
        self._configs(course_id)
        self._release(course_id)
        passwords = self._passwords([self.instructor, *students])
        config = self._hub_config(course_id, proxy, students)
        self._warn_readable_solutions()
        if created:
            _say(f"created Unix accounts: {', '.join(created)} "
                 "(autograde hub --remove-users deletes them)")
        if self.setup_only:
            _say(f"prepared {self.base}; hub config {config}")
            return
        self._run(config, passwords, students)

    # -- preparation ---------------------------------------------------------
    def _find_proxy(self) -> str:
        candidates = [self.proxy] if self.proxy else [
            str(self.root / "node_modules" / ".bin" / "configurable-http-proxy"),
            shutil.which("configurable-http-proxy") or ""]
        for c in candidates:
            if c and os.access(c, os.X_OK):
                return c
        self.fail("configurable-http-proxy not found (JupyterHub's proxy, from npm): run "
                  "`npm ci` in the course root (package.json pins it), or `make hub`, "
                  "or pass --proxy=PATH")

    def _reachable_python(self) -> None:
        """Every account runs this environment's Python: each folder on the way to it
        (and to the interpreter it links to) must be open to others (o+x)."""
        for target in {Path(sys.executable).absolute(), Path(sys.executable).resolve()}:
            for folder in [*reversed(target.parents)][1:]:
                if not os.stat(folder).st_mode & stat.S_IXOTH:
                    self.fail(f"{target} cannot be run by the students' accounts: {folder} is "
                              f"closed to others (mode {stat.S_IMODE(os.stat(folder).st_mode):o}). "
                              "Build the environment from a Python every account can run "
                              "(e.g. Debian's /usr/bin/python3: make clean; make hub "
                              "PYTHON=/usr/bin/python3).")

    def _folders(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        self.state.mkdir(exist_ok=True)
        os.chmod(self.state, 0o700)
        self.exchange_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.exchange_dir, 0o1777)   # nbgrader: everyone writes, the sticky bit guards

    def _users_file(self) -> Path:
        return self.state / "users.json"

    def _accounts(self, names: list[str]) -> list[str]:
        """Create the missing accounts; the names of those created now."""
        made = json.loads(self._users_file().read_text()) if self._users_file().exists() else []
        created = []
        for name in names:
            try:
                pwd.getpwnam(name)
                continue
            except KeyError:
                pass
            done = subprocess.run(["useradd", "--create-home", "--user-group", "--shell",
                                   "/bin/bash", "--comment", "dlcourse hub account", name],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                self.fail(f"useradd {name} failed: {done.stderr.strip()}")
            created.append(name)
            made.append(name)
            self._users_file().write_text(json.dumps(sorted(set(made))))
        return created

    def _remove_users(self) -> None:
        path = self._users_file()
        made = json.loads(path.read_text()) if path.exists() else []
        left = []
        for name in made:
            done = subprocess.run(["userdel", "--remove", name], capture_output=True,
                                  text=True, check=False)
            if done.returncode not in (0, 6):   # 6: no such user (removed by hand)
                left.append(name)
                _say(f"userdel {name} failed: {done.stderr.strip()}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(left))
        _say(f"removed {len(made) - len(left)} account(s) created by autograde hub")

    def _course_copy(self) -> None:
        """The hub's copy of the course: made once, then the instructor's to change."""
        dest = self.course_dir
        fresh = not (dest / "nbgrader_config.py").exists()
        if fresh:
            dest.mkdir(exist_ok=True)
            for name in COPIED:
                src = self.root / name
                if src.is_dir():
                    shutil.copytree(src, dest / name, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns(".ipynb_checkpoints",
                                                                  "__pycache__"))
                else:
                    shutil.copy2(src, dest / name)
            self._step("filling the gradebook", [self._tool("autograde"), "release",
                                                 *self.extra_args], cwd=dest)
        self._own_by_instructor(dest)

    def _own_by_instructor(self, top: Path) -> None:
        """Owner: the instructor; group: the instructor's, setgid on folders so what the
        grading service (root, umask 007) writes stays theirs; nothing for others."""
        user = pwd.getpwnam(self.instructor)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in [*dirnames, *filenames]:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    continue
                os.chown(p, user.pw_uid, user.pw_gid, follow_symlinks=False)
                os.chmod(p, 0o2770 if stat.S_ISDIR(st.st_mode) else (st.st_mode & 0o770) | 0o660)
        os.chown(top, user.pw_uid, user.pw_gid)
        os.chmod(top, 0o2770)

    def _configs(self, course_id: str) -> None:
        nbgrader = (f"c = get_config()  # noqa\n"
                    f"c.CourseDirectory.course_id = {course_id!r}\n"
                    f"c.Exchange.root = {str(self.exchange_dir)!r}\n")
        roles = {"student": (nbgrader, STUDENT_LAB_OFF, STUDENT_SERVER_OFF),
                 "instructor": (nbgrader + f"c.CourseDirectory.root = {str(self.course_dir)!r}\n",
                                [], [])}
        for role, (text, off_lab, off_server) in roles.items():
            folder = self.base / "config" / role
            (folder / "labconfig").mkdir(parents=True, exist_ok=True)
            (folder / "nbgrader_config.py").write_text(text)
            (folder / "jupyter_server_config.json").write_text(json.dumps(
                {"ServerApp": {"jpserver_extensions": {e: False for e in off_server}}}, indent=1))
            (folder / "labconfig" / "page_config.json").write_text(json.dumps(
                {"disabledExtensions": {e: True for e in off_lab}}, indent=1))
        for dirpath, _dirs, files in os.walk(self.base / "config"):
            os.chmod(dirpath, 0o755)
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o644)

    def _release(self, course_id: str) -> None:
        """Release to the exchange, as the instructor, what is not released yet."""
        outbound = self.exchange_dir / course_id / "outbound"
        todo = [a for a in self._assignments_here() if not (outbound / a).exists()]
        env = self._user_env(self.instructor, "instructor")
        for a in todo:
            self._step(f"releasing {a}", [self._tool("nbgrader"), "release_assignment", a,
                                          f"--course={course_id}",
                                          f"--Exchange.root={self.exchange_dir}"],
                       cwd=self.course_dir, user=self.instructor, env=env)

    def _assignments_here(self) -> list[str]:
        if self.extra_args:
            return list(self.extra_args)
        from autograde.course import read_schedule

        return [a.id for a in read_schedule(self.course_dir / self.course_data)]

    def _passwords(self, names: list[str]) -> dict[str, str]:
        path = self.state / "passwords.json"
        known = json.loads(path.read_text()) if path.exists() else {}
        passwords = {n: known.get(n) or secrets.token_urlsafe(9) for n in names}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(passwords, fh, indent=1)
        os.chmod(path, 0o600)
        return passwords

    def _hub_config(self, course_id: str, proxy: str, students: list[str]) -> Path:
        bindir = Path(sys.executable).parent
        serve = [str(bindir / "autograde"), "serve", f"--course={course_id}",
                 f"--exchange={self.exchange_dir}", "--check-owner",
                 "--ServeApp.umask=7", *self.extra_args]
        settings = {
            "bind_url": f"http://{self.ip}:{self.port}",
            "hub_port": _free_port(), "api_url": f"http://127.0.0.1:{_free_port()}",
            "proxy": proxy, "state": str(self.state), "singleuser": str(bindir /
                                                                        "jupyterhub-singleuser"),
            "instructor": self.instructor, "students": students, "serve": serve,
            "course_dir": str(self.course_dir), "config": str(self.base / "config"),
            "path": f"{bindir}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        }
        path = self.state / "jupyterhub_config.py"
        path.write_text(HUB_CONFIG.format(settings=json.dumps(settings, indent=1)))
        os.chmod(path, 0o600)
        return path

    def _warn_readable_solutions(self) -> None:
        src = self.root / "source"
        try:
            readable = all(os.stat(p).st_mode & stat.S_IROTH and os.stat(p).st_mode & stat.S_IXOTH
                           for p in [*reversed(src.parents), src] if p != Path("/"))
        except OSError:
            readable = False
        if readable:
            _say(f"WARNING: {src} (the solutions) is readable by every account on this "
                 "machine, students included: this hub is a demo. For a class, install the "
                 "course into the hub's image and keep source/ closed (README, 'Running the "
                 "course for a class').")

    # -- running -------------------------------------------------------------
    def _run(self, config: Path, passwords: dict[str, str], students: list[str]) -> None:
        log = self.state / "jupyterhub.log"
        bindir = Path(sys.executable).parent
        with open(log, "ab") as out:
            hub = subprocess.Popen([str(bindir / "jupyterhub"), "-f", str(config)],
                                   cwd=self.state, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)

        def forward(signum, _frame):
            if hub.poll() is None:
                hub.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        url = f"http://{self.ip}:{self.port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(f"{url}/hub/api", timeout=5)
                break
            except OSError:
                if hub.poll() is not None or time.monotonic() > deadline:
                    forward(None, None)
                    tail = log.read_text(errors="replace")[-3000:]
                    self.fail(f"JupyterHub did not answer {url}/hub/api within "
                              f"{START_TIMEOUT:g} s; its log ({log}):\n{tail}")
                time.sleep(0.5)
        _say(f"JupyterHub for {self.coursedir.course_id}: {url}/  (log: {log})")
        _say(f"  instructor  {self.instructor:<12} {passwords[self.instructor]}"
             "   (formgrader: Nbgrader menu > Formgrader)")
        for s in students:
            _say(f"  student     {s:<12} {passwords[s]}")
        _say("submissions are graded as they arrive (service autograde-serve); Ctrl-C stops")
        code = hub.wait()
        _say(f"JupyterHub stopped (exit code {code})")

    # -- helpers -------------------------------------------------------------
    @staticmethod
    def _tool(name: str) -> str:
        return str(Path(sys.executable).parent / name)

    def _user_env(self, name: str, role: str) -> dict[str, str]:
        home = pwd.getpwnam(name).pw_dir
        return {"HOME": home, "USER": name, "LOGNAME": name, "MPLBACKEND": "Agg",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
                "JUPYTER_CONFIG_PATH": str(self.base / "config" / role)}

    def _step(self, what: str, cmd: list[str], cwd: Path, user: str | None = None,
              env: dict | None = None) -> None:
        _say(f"{what} ...")
        kwargs = {}
        if user is not None:
            entry = pwd.getpwnam(user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                              env=env or dict(os.environ), **kwargs)
        if done.returncode != 0:
            self.fail(f"{what} failed ({' '.join(cmd)}):\n"
                      f"{(done.stdout + done.stderr).strip()[-3000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUB_CONFIG = '''\
# Written by `autograde hub`; rewritten at every start (edit autograde/hub.py instead).
import json

S = json.loads("""{settings}""")
c = get_config()  # noqa: F821

c.JupyterHub.bind_url = S["bind_url"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = S["hub_port"]
c.ConfigurableHTTPProxy.command = [S["proxy"]]
c.ConfigurableHTTPProxy.api_url = S["api_url"]
c.JupyterHub.db_url = "sqlite:///" + S["state"] + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = S["state"] + "/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = S["state"] + "/jupyterhub.pid"

c.JupyterHub.authenticator_class = "autograde.hubauth.RosterAuthenticator"
c.RosterAuthenticator.passwords_file = S["state"] + "/passwords.json"
c.Authenticator.allowed_users = set(S["students"]) | {{S["instructor"]}}
c.Authenticator.admin_users = {{S["instructor"]}}

c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [S["singleuser"]]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {{"MPLBACKEND": "Agg", "PATH": S["path"]}}


def per_role(spawner):
    """Students: nbgrader's Assignments panel; the instructor: formgrader too, in the course."""
    instructor = spawner.user.name == S["instructor"]
    role = "instructor" if instructor else "student"
    spawner.environment["JUPYTER_CONFIG_PATH"] = S["config"] + "/" + role
    if instructor:
        spawner.notebook_dir = S["course_dir"]


c.Spawner.pre_spawn_hook = per_role

c.JupyterHub.services = [{{
    "name": "autograde-serve",
    "command": S["serve"],
    "cwd": S["course_dir"],
    "environment": {{"MPLBACKEND": "Agg", "PATH": S["path"]}},
}}]
'''
