"""The widgets as a student meets them: in JupyterLab, in a real browser.

Starts JupyterLab on a temporary copy of the course, opens a notebook that
calls an explorer, runs it in headless Chromium (driven by Playwright), and
checks the widget renders and answers a change of its controls. Needs the
Debian package chromium (``/usr/bin/chromium``) and the ``playwright``
package; `.ci/run` installs both. Skipped only outside CI when they are
missing; under ``CI=true`` a missing browser fails loudly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.xdist_group("jupyterlab")


def _require_browser():
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append("the chromium browser (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if missing:
        message = "needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + ": .ci/run installs them")
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server (no token) on a folder with one exploration notebook."""
    _require_browser()
    root = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from dlkit.widgets import explore_activation\n"
                                  "explore_activation()"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, root / "explore.ipynb")
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"), HOME=str(root))
    env.pop("NBGRADER_EXECUTION", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
         "jupyterlab.NeverCheckForUpdate", f"--ServerApp.root_dir={root}"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=open(root / "lab.log", "w"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield url, root
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def _run_until_rendered(page, widget, root, attempts: int = 4) -> None:
    """Run all cells (Run menu) until ``widget`` shows; the kernel may start slowly.

    On a busy machine the notebook can open before its kernel is connected,
    and a run request made then is lost: so wait for the kernel to be idle,
    run, and run again if nothing appeared.
    """
    for _ in range(attempts):
        try:
            page.wait_for_function(
                "() => /Idle/.test(document.querySelector('.jp-StatusBar-Widget, "
                "#jp-main-statusbar')?.innerText ?? '')", timeout=60_000)
        except Exception:
            pass
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            widget.wait_for(timeout=30_000)
            return
        except Exception:
            continue
    page.screenshot(path=str(root / "failed.png"))
    outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
    pytest.fail(f"the widget never rendered; cell outputs: {outputs!r}; status bar: "
                f"{page.locator('#jp-main-statusbar').inner_text()!r}; screenshot: "
                f"{root / 'failed.png'}; server log: {root / 'lab.log'}")


def test_explore_activation_renders_and_reacts_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, root = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/explore.ipynb")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        dropdown = page.locator(".jp-OutputArea-output select").first
        _run_until_rendered(page, dropdown, root)
        assert page.locator(".jp-OutputArea-output .widget-slider").count() >= 1
        image = page.locator(".jp-OutputArea-output img").first
        image.wait_for(timeout=30_000)
        before = image.get_attribute("src")
        readout = page.locator(".jp-OutputArea-output .widget-html, "
                               ".jp-OutputArea-output .widget-label").first
        text_before = readout.inner_text()
        options = dropdown.locator("option").all_inner_texts()
        assert "tanh" in options and "relu" in options
        dropdown.select_option(label="tanh")
        page.wait_for_function(
            "([el, old]) => el.getAttribute('src') !== old",
            arg=[image.element_handle(), before], timeout=30_000)
        assert readout.inner_text() != text_before or image.get_attribute("src") != before
        page.screenshot(path=str(root / "explore_activation.png"))
        assert not page.locator(".jp-OutputArea-output [data-mime-type="
                                "'application/vnd.jupyter.stderr']").count(), \
            "the widget cell wrote to stderr"
        browser.close()
