"""The course as its users meet it: in JupyterLab, in a real browser.

JupyterLab runs on a temporary copy of the course (gradebook filled by
``autograde release``); Debian's headless Chromium, driven by Playwright,

- opens the student notebook of assignment 2, runs all cells from the Run
  menu (the run stops at the first exercise, still ``NotImplementedError``),
  finds the activation explorer rendered above it, moves its ``x`` slider and
  changes its activation, and sees the plot change each time;
- opens nbgrader's formgrader as the instructor and finds the six assignments.

Each step is screenshotted into ``$BROWSER_SCREENSHOTS`` (see conftest.py).
Fixtures and the skip/fail rule for a missing browser are in conftest.py.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the fixtures skip the tests, or fail them under CI
    PlaywrightTimeout = TimeoutError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "release/a2-activations/activations.ipynb"
ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir()
                     if p.is_dir() and not p.name.startswith("."))

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

# Console errors that say nothing about the course: resources outside this
# server (the network is closed) and the browser's favicon.
IGNORED_CONSOLE = re.compile(r"Failed to load resource.*\((?!http://127\.0\.0\.1)|favicon")


def _wait_kernel_idle(page) -> None:
    page.wait_for_function(
        "() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar')?.innerText ?? '')")


def _run_all_until(page, target, attempts: int = 3) -> None:
    """Run > Run All Cells until ``target`` shows, above the first exercise.

    On a busy machine the notebook can open before its kernel is connected,
    and a run request made then is lost: so wait for an idle kernel, run, and
    run again if nothing appeared. Once the run has reached the first exercise
    (still ``raise NotImplementedError()``, where run-all stops) without
    showing ``target``, running again cannot help.
    """
    stopped = page.locator(".jp-OutputArea-output", has_text="NotImplementedError").first
    for attempt in range(1, attempts + 1):
        _wait_kernel_idle(page)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            target.or_(stopped).first.wait_for(timeout=45_000)
            break
        except PlaywrightTimeout:
            if attempt == attempts:
                raise
    try:
        target.wait_for(timeout=20_000)
    except PlaywrightTimeout:
        pytest.fail(f"Run All Cells stopped at the first exercise of {NOTEBOOK} without "
                    "showing the activation explorer: its cell must come before the first "
                    "exercise")


def _png(locator) -> bytes:
    """The element as the user sees it, once its image has loaded."""
    locator.evaluate("img => img.complete && img.naturalWidth > 0 ? null : "
                     "new Promise(done => img.addEventListener('load', done, {once: true}))")
    return locator.screenshot(animations="disabled")


def _wait_redrawn(page, image, old_src: str, old_png: bytes, what: str) -> bytes:
    """Wait until the kernel has sent a new picture; return it (it must differ)."""
    page.wait_for_function("([img, old]) => img.getAttribute('src') !== old",
                           arg=[image.element_handle(), old_src])
    new_png = _png(image)
    assert new_png != old_png, f"the plot looks the same after {what}"
    return new_png


def _wait_settled(page, image) -> bytes:
    """Wait until the kernel is idle and the picture stops changing; return it.

    Each arrow key is its own change, so the kernel sends a picture per key:
    the one on screen is final only once no newer one arrives.
    """
    deadline = time.monotonic() + 30
    while True:
        _wait_kernel_idle(page)
        src = image.get_attribute("src")
        page.wait_for_timeout(800)
        if image.get_attribute("src") == src:
            return _png(image)
        assert time.monotonic() < deadline, "the plot kept changing for 30 s"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


READOUT = re.compile(r"f\((-?[\d.]+)\) = (-?[\d.]+)")


def _readout(explorer) -> tuple[float, float] | None:
    """(x, f(x)) as the explorer's readout line states them."""
    m = READOUT.search(explorer.text_content() or "")
    return (float(m[1]), float(m[2])) if m else None


def _wait_readout(page, explorer, x: float, fx: float) -> None:
    """Wait (bounded) until the readout says f(x) = fx, to 3 decimals."""
    deadline = time.monotonic() + 30
    while (got := _readout(explorer)) != pytest.approx((x, fx), abs=1e-3):
        assert time.monotonic() < deadline, f"readout says {got}, expected f({x}) = {fx:.4f}"
        page.wait_for_timeout(200)


def test_activation_explorer_in_the_release_notebook(lab, page, console_errors, screenshots):
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
    _wait_kernel_idle(page)
    page.screenshot(path=str(screenshots / "01-notebook-opened.png"))

    # the explorer: the widget box with the activation dropdown and the plot
    explorer = page.locator(".jp-OutputArea-output .widget-box").filter(
        has=page.locator("select")).filter(has=page.locator("img")).first
    _run_all_until(page, explorer)
    # run-all went on to the first exercise and stopped there, as it does for a student
    page.locator(".jp-OutputArea-output", has_text="NotImplementedError").first.wait_for()

    dropdown = explorer.locator(".widget-dropdown").filter(
        has=page.locator("label", has_text=re.compile(r"^activation$"))).locator("select")
    slider = explorer.locator(".widget-slider").filter(
        has=page.locator("label", has_text=re.compile(r"^x$")))
    image = explorer.locator("img").first
    # run-all left the notebook scrolled to its end; cells out of view are not painted
    explorer.scroll_into_view_if_needed()
    assert dropdown.input_value() == "sigmoid"
    assert {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"} <= set(
        dropdown.evaluate("select => [...select.options].map(o => o.value)"))
    before_src, before_png = image.get_attribute("src"), _png(image)
    assert _readout(explorer) == pytest.approx((1.0, _sigmoid(1.0)), abs=1e-3)
    page.screenshot(path=str(screenshots / "02-widget-rendered.png"))

    # move the x slider with the keyboard, as a student can
    handle = slider.locator(".noUi-handle")
    handle.focus()
    for _ in range(20):
        handle.press("ArrowRight")
    moved_png = _wait_redrawn(page, image, before_src, before_png, "moving the x slider")
    x = float(slider.locator(".widget-readout").text_content())
    assert x > 1.0, "the slider did not move right"
    _wait_readout(page, explorer, x, _sigmoid(x))
    moved_png = _wait_settled(page, image)
    page.screenshot(path=str(screenshots / "03-slider-moved.png"))

    # another activation: another curve, another readout
    moved_src = image.get_attribute("src")
    dropdown.select_option("tanh")
    _wait_redrawn(page, image, moved_src, moved_png, "choosing tanh")
    _wait_readout(page, explorer, x, math.tanh(x))
    _wait_settled(page, image)
    page.screenshot(path=str(screenshots / "04-activation-changed.png"))

    widget_cell = page.locator(".jp-Cell").filter(has=explorer)
    assert not widget_cell.locator(
        "[data-mime-type='application/vnd.jupyter.stderr']").count(), \
        "the widget cell wrote to stderr"
    assert not widget_cell.locator(".jp-OutputArea-output",
                                   has_text="Error displaying widget").count()
    errors = [e for e in console_errors if not IGNORED_CONSOLE.search(e)]
    assert not errors, f"console errors in JupyterLab: {errors}"


def test_formgrader_lists_the_assignments(lab, page, console_errors, screenshots):
    response = page.goto(f"{lab.url}/formgrader")
    assert response is not None and response.ok, response and response.status
    assert page.url.endswith("/formgrader/manage_assignments")
    names = page.locator("#main-table td.name")
    page.wait_for_function(
        "n => document.querySelectorAll('#main-table td.name').length >= n",
        arg=len(ASSIGNMENTS))
    assert sorted(names.all_inner_texts()) == ASSIGNMENTS == [
        "a1-neurons", "a2-activations", "a3-nonlinearity", "a4-backprop", "a5-losses",
        "a6-digits"]
    due = page.locator("#main-table td.duedate").all_inner_texts()
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", d) for d in due), due
    page.screenshot(path=str(screenshots / "05-formgrader.png"))
    errors = [e for e in console_errors if not IGNORED_CONSOLE.search(e)]
    assert not errors, f"console errors in formgrader: {errors}"
