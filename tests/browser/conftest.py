"""Fixtures for the browser tests: a JupyterLab server on a copy of the course,
Debian's headless Chromium driven by Playwright, and a screenshot folder.

Needs ``/usr/bin/chromium`` (Debian package ``chromium``) and the ``playwright``
package (requirements-dev.txt); Playwright's own browsers are never used.
Outside CI a missing browser skips these tests; under ``CI=true`` it fails them.

Screenshots of every step go to ``$BROWSER_SCREENSHOTS`` (``make test-browser``:
``reports/browser/``; otherwise a temporary folder);
when a test fails, a screenshot of the page and the tail of the server log are
added to its report.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli import run_tool, tool_env
from tests.course.harness import copy_course

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# the flags that keep Chromium from reaching for the network (closed here, so it hangs)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT = 120  # s: JupyterLab's first start takes ~20 s on a loaded 2-core machine
STEP_TIMEOUT_MS = 60_000  # any single wait in the page


def require_browser() -> None:
    """Skip without Chromium or Playwright; under CI=true, fail instead."""
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append("the chromium browser (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if missing:
        message = "needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(message + ": .ci/run installs them")
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server: its URL, course folder and log."""

    def __init__(self, url: str, course: Path, log: Path):
        self.url, self.course, self.log = url, course, log

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError as exc:
            return f"(no server log: {exc})"


def screenshot_folder() -> Path:
    """``$BROWSER_SCREENSHOTS`` (``make test-browser`` sets ``reports/browser``), else a
    folder in the system's temporary directory: a test run writes nothing into the
    repository."""
    return Path(os.environ.get("BROWSER_SCREENSHOTS")
                or Path(tempfile.gettempdir()) / "dlcourse-browser-screenshots")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder the screenshots go to, emptied of the previous run's."""
    folder = screenshot_folder()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    """A copy of the course with its gradebook filled (``autograde release``).

    ``autograde release`` regenerates release/ from source/; the committed
    release/ is put back afterwards, so the browser opens what students get.
    """
    require_browser()
    root = copy_course(tmp_path_factory.mktemp("browser") / "course")
    run_tool(root, "autograde", "release", check=True, timeout=300)
    shutil.rmtree(root / "release")
    shutil.copytree(ROOT / "release", root / "release",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


@pytest.fixture(scope="session")
def lab(course, tmp_path_factory):
    """JupyterLab without token or password on the course copy, run from its root
    (where nbgrader's formgrader finds ``nbgrader_config.py``)."""
    home = tmp_path_factory.mktemp("home")
    log = home / "lab.log"
    port = _free_port()
    env = tool_env(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
                   JUPYTER_RUNTIME_DIR=str(home / ".runtime"),
                   JUPYTER_DATA_DIR=str(home / ".data"), MPLBACKEND="Agg")
    # no "official Jupyter news?" pop-up over the notebook
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={course}",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    with open(log, "w") as log_file:
        server = subprocess.Popen(cmd, cwd=course, env=env, stdout=log_file,
                                  stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer {url}/api/status within "
                                f"{SERVER_START_TIMEOUT} s (exit code {server.poll()}); "
                                f"server log:\n{Lab(url, course, log).log_tail()}")
                time.sleep(0.5)
        yield Lab(url, course, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=CHROMIUM_ARGS, timeout=STEP_TIMEOUT_MS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    request.node.browser_page = page
    request.node.console_errors = errors = []
    page.on("console", lambda msg: errors.append(
        f"console.error: {msg.text} ({msg.location.get('url', '')})")
        if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    yield page
    context.close()


@pytest.fixture
def console_errors(page, request) -> list[str]:
    """The page's console errors and uncaught exceptions so far, as text."""
    return request.node.console_errors


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, screenshot the page and add the server log's tail to the report."""
    report = yield
    if report.failed and call.when == "call":
        page = getattr(item, "browser_page", None)
        if page is not None and not page.is_closed():
            folder = screenshot_folder()
            shot = folder / f"failed-{item.name}.png"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot), timeout=15_000)
                report.sections.append(("browser", f"screenshot of the page: {shot}\n"
                                        f"console errors: {getattr(item, 'console_errors', [])!r}"))
            except Exception as exc:  # the page may be gone; the log still helps
                report.sections.append(("browser", f"no screenshot ({exc})"))
        lab = item.funcargs.get("lab")
        if lab is not None:
            report.sections.append(("JupyterLab server log (tail)", lab.log_tail()))
    return report
