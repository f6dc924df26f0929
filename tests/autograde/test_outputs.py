"""Outputs are limited in bytes, for every kind, as they arrive (issue 12, "outputs").

A class of a1-neurons submissions is graded once, for real: honest controls
(the model solution; the solution with plots, a long table, HTML and LaTeX;
an animation that redraws its plot 200 times with ``clear_output``) and one
submission per way a student could make the grader hold a lot of output:
one 60 MB line, four 60 MB displays of four mime types, 60 MB of stderr and
300,000 printed lines, a 60 MB exception, 60 MB of display metadata, a
display updated to 60 MB, one display id shown 400 times and updated to
900 kB (360 MB once copied into each), 6,000 small displays (24 MB), a
widget with 60 MB of state, a 10 MB display id.

While it runs, the peak memory (VmHWM) of the main process and of each
worker is read from /proc; the figures are printed. For every attack: the
autograded notebook is small, the cut says so in a note, the score is the
honest part's; the honest controls keep full marks, no note, and outputs
identical to the same notebooks graded with the limits off.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograde.demo import filled
from autograde.outputs import OutputBudget
from tests.cli import BIN, run_tool, tool_env
from tests.course.harness import copy_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("outputs")]

A1 = "a1-neurons"
FULL = 13.0
CODE_ANSWERS = {"ml-or-dl", "neuron", "dense-forward", "forward-pass", "is-linear"}
MB = 1_000_000
NOTE_CUT = "output cut here"
NOTE_FULL = "further output of this cell left out"
NOTE_BUNDLE = "and the grader keeps"
GRADE_TIMEOUT = 1500

PLOTS = '''\
import matplotlib
import matplotlib.pyplot as plt
from IPython.display import HTML, Latex, display

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.linspace(-4, 4, 200), np.tanh(np.linspace(-4, 4, 200)), label="tanh")
ax.legend()
plt.show()
rows = "".join(f"<tr><td>{i}</td><td>{i * i}</td></tr>" for i in range(3000))
display(HTML(f"<table><tr><th>n</th><th>n squared</th></tr>{rows}</table>"))
display(Latex(r"$\\sigma(z) = \\frac{1}{1 + e^{-z}}$"))
for i in range(250):
    print(f"{i:4d} {np.sin(i):+.6f} " + "#" * (i % 60))
'''

REDRAW = '''\
import io
import time
import matplotlib.pyplot as plt
from IPython.display import Image, clear_output, display

fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
ax.imshow(np.random.default_rng(0).random((200, 300)))   # a noisy picture: ~60 kB of PNG
buf = io.BytesIO()
fig.savefig(buf, format="png")
plt.close(fig)
png = buf.getvalue()
for step in range(200):   # an animation: 200 frames, 12 MB shown in all, one kept
    time.sleep(0.01)      # (a training step between frames)
    clear_output(wait=True)
    display(Image(data=png))
    print(f"frame {step}")
'''

ATTACKS = {
    "long-line": ("one 60 MB line printed", 'print("x" * 60_000_000)\n'),
    "four-displays": (
        "four 60 MB displays (text, HTML, PNG, SVG)",
        "from IPython.display import display\n"
        "blob = 'y' * 60_000_000\n"
        "for kind in ('text/plain', 'text/html', 'image/png', 'image/svg+xml'):\n"
        "    display({kind: blob}, raw=True)\n"),
    "stderr-and-lines": (
        "60 MB of stderr, then 300,000 printed lines",
        "import sys\nsys.stderr.write('e' * 60_000_000)\n"
        "for i in range(300_000):\n    print('line', i)\n"),
    # words, not one 60 MB word: a regular expression of the review's checks takes
    # quadratic time on a long word (a separate finding, reported to their owner)
    "huge-error": ("an exception with a 60 MB message",
                   'raise ValueError("very long " * 6_000_000)\n'),
    "metadata": (
        "a small display with 60 MB of metadata",
        "from IPython.display import display\n"
        "display({'text/plain': 'ok'}, metadata={'blob': 'm' * 60_000_000}, raw=True)\n"),
    "update-display": (
        "a display updated to 60 MB",
        "from IPython.display import display, update_display\n"
        "display({'text/plain': 'start'}, raw=True, display_id='d1')\n"
        "update_display({'text/plain': 'u' * 60_000_000}, raw=True, display_id='d1')\n"),
    "shared-display-id": (
        "one display id shown 400 times, then updated to 900 kB",
        "from IPython.display import display, update_display\n"
        "for i in range(400):\n"
        "    display({'text/plain': 'small'}, raw=True, display_id='same')\n"
        "update_display({'text/html': '<b>' + 'h' * 900_000 + '</b>'}, raw=True, "
        "display_id='same')\n"),
    "many-displays": (
        "6,000 displays of 4 kB (24 MB)",
        "import time\nfrom IPython.display import display\n"
        "for i in range(6_000):\n"
        "    display({'text/plain': f'{i:05d}' * 800}, raw=True)\n"
        "    if i % 500 == 0:\n        time.sleep(0.2)\n"),
    "widget-state": (
        "a widget with 60 MB of state",
        "import comm\n"
        "comm.create_comm(target_name='jupyter.widget', data={'state': {\n"
        "    '_model_module': '@jupyter-widgets/base', '_model_name': 'LayoutModel',\n"
        "    '_model_module_version': '2.0.0', 'blob': 'w' * 60_000_000},\n"
        "    'buffer_paths': []})\n"),
    "long-display-id": (
        "a 10 MB display id",
        "from IPython.display import display\n"
        "for i in range(20):\n"
        "    display({'text/plain': 'x'}, raw=True, display_id=str(i) * 10_000_000)\n"),
}
HONEST = {"honest-full": None, "honest-plots": PLOTS, "honest-redraw": REDRAW}


def _chosen() -> dict:
    """The attacks to grade (a debugging aid: OUTPUT_ATTACKS=id,id grades only those)."""
    only = os.environ.get("OUTPUT_ATTACKS")
    return {k: v for k, v in ATTACKS.items() if not only or k in only.split(",")}


def _submission(course: Path, student: str, extra: str | None, full: bool) -> None:
    source = nbformat.read(course / "source" / A1 / "neurons.ipynb", as_version=4)
    release = nbformat.read(course / "release" / A1 / "neurons.ipynb", as_version=4)
    nb = filled(release, source, CODE_ANSWERS if full else {"ml-or-dl"})
    if extra:   # the student's own cell, after their first answer
        first = next(i for i, c in enumerate(nb.cells)
                     if c.metadata.get("nbgrader", {}).get("grade_id") == "ml-or-dl")
        nb.cells.insert(first + 1, nbformat.v4.new_code_cell(extra))
    folder = course / "submitted" / student / A1
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "neurons.ipynb")


class Peaks:
    """Peak resident memory (VmHWM) of a process and its descendants, read from /proc."""

    def __init__(self, pid: int):
        self.root = pid
        self.peak: dict[int, int] = {}
        self.parent: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            mine = {self.root}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                self.parent.setdefault(int(entry), ppid)
            changed = True
            while changed:   # the tree under root, by parent links
                changed = False
                for pid, ppid in self.parent.items():
                    if ppid in mine and pid not in mine:
                        mine.add(pid)
                        changed = True
            for pid in mine:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
                    self.names.setdefault(pid, Path(f"/proc/{pid}/cmdline").read_bytes()
                                          .replace(b"\0", b" ").decode(errors="replace"))
                except (OSError, AttributeError):
                    continue
                self.peak[pid] = max(self.peak.get(pid, 0), hwm)
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def role(self, pid: int) -> str:
        if pid == self.root:
            return "main"
        if self.parent.get(pid) == self.root and "autograde" in self.names.get(pid, ""):
            return "worker"
        return "kernel"

    def by_role(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for pid, peak in self.peak.items():
            role = self.role(pid)
            out[role] = max(out.get(role, 0), peak)
        return out


def _grade(course: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict[str, int]]:
    proc = subprocess.Popen([str(BIN / "autograde"), "grade", A1, "--jobs=2", "--force",
                             "--Execute.timeout=60", "--ClassGrader.notebook_timeout=300",
                             "--ClassGrader.memory_limit_mb=2048", *extra],
                            cwd=course, env=tool_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peaks = Peaks(proc.pid)
    try:
        out, err = proc.communicate(timeout=GRADE_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.terminate()   # the grader shuts its workers and kernels down
        out, err = proc.communicate(timeout=120)
        peaks.stop()
        pytest.fail(f"grading took more than {GRADE_TIMEOUT} s (a step of the main process "
                    f"that is not bounded?):\n{err[-3000:]}")
    peaks.stop()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), peaks.by_role()


def _release(course: Path) -> None:
    run_tool(course, "autograde", "release", A1, check=True)


class Graded:
    def __init__(self, course: Path, grade, peaks):
        self.course, self.grade, self.peaks = course, grade, peaks
        log = course / "reports" / "grading" / f"{A1}.json"
        self.log = json.loads(log.read_text()) if log.exists() else {}

    def notebook(self, student: str) -> Path:
        return self.course / "autograded" / student / A1 / "neurons.ipynb"

    def scores(self) -> dict[str, float]:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gb:
            return {s.student_id: s.score for s in gb.assignment_submissions(A1)}


def _graded_class(folder: Path, attacks: dict, *extra: str) -> Graded:
    """The honest controls and ``attacks`` (student -> code), graded in ``folder``."""
    course = copy_course(folder / "course-root")
    _release(course)
    for student, code in HONEST.items():
        _submission(course, student, code, full=True)
    for student, code in attacks.items():
        _submission(course, student, code, full=False)
    grade, peaks = _grade(course, *extra)
    assert grade.returncode == 0, grade.stderr[-3000:]
    return Graded(course, grade, peaks)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return _graded_class(tmp_path_factory.mktemp("outputs"),
                         {student: code for student, (_, code) in _chosen().items()})


@pytest.fixture(scope="module")
def unlimited(tmp_path_factory) -> Graded:
    """The honest controls again, graded with the output limits off."""
    return _graded_class(tmp_path_factory.mktemp("outputs-off"), {},
                         "--PrestartingExecute.max_output_bytes=0",
                         "--PrestartingExecute.max_notebook_output_bytes=0")


def _text(nb) -> str:
    return json.dumps([c.get("outputs", []) for c in nb.cells])


def _the_attack_cell(nb, code: str):
    return next(c for c in nb.cells if c.cell_type == "code" and c.source == code)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_leaves_a_small_notebook_that_says_what_was_cut(attack, graded):
    if attack not in _chosen():
        pytest.skip("not selected (OUTPUT_ATTACKS)")
    threat, code = ATTACKS[attack]
    path = graded.notebook(attack)
    assert path.exists(), f"{attack}: no autograded notebook ({graded.log.get(attack)})"
    size = path.stat().st_size
    print(f"{attack} ({threat}): autograded notebook {size / MB:.2f} MB")
    assert size < 12 * MB, f"{attack}: the autograded notebook is {size / MB:.0f} MB"
    nb = nbformat.read(path, as_version=4)
    cell = _the_attack_cell(nb, code)
    shown = json.dumps(cell.get("outputs", []))
    if attack == "widget-state":   # dropped whole: nothing of it anywhere
        assert "w" * 10_000 not in path.read_text()
        assert size < 1 * MB
    elif attack == "long-display-id":
        assert size < 1 * MB
    else:
        assert NOTE_CUT in shown or NOTE_FULL in shown or NOTE_BUNDLE in shown, \
            f"{attack}: no note in {shown[:500]}"
    assert graded.log[attack]["status"] == "graded", graded.log[attack]
    assert graded.scores()[attack] == 2.0, "the honest part (the first answer) scores 2"


def test_single_outputs_are_cut_to_the_output_limit(graded):
    for attack in ("long-line", "four-displays", "huge-error", "metadata", "update-display"):
        if attack not in _chosen():
            continue
        size = graded.notebook(attack).stat().st_size
        assert size < 3 * MB, f"{attack}: {size / MB:.1f} MB (1 MB per output)"
    nb = nbformat.read(graded.notebook("four-displays"), as_version=4)
    outs = _the_attack_cell(nb, ATTACKS["four-displays"][1]).outputs
    assert len(outs) == 4 and all(set(o.data) == {"text/plain"} for o in outs), outs
    assert "(image/png)" in outs[2].data["text/plain"]   # the note names what was left out
    if "huge-error" in _chosen():
        err = next(o for o in _the_attack_cell(nbformat.read(graded.notebook("huge-error"), 4),
                                               ATTACKS["huge-error"][1]).outputs
                   if o.output_type == "error")
        assert err.ename == "ValueError" and err.evalue.startswith("very long very long")
        assert any("error cut" in line for line in err.traceback)


def test_the_notebook_total_is_bounded_and_each_cell_told_once(graded):
    nb = nbformat.read(graded.notebook("many-displays"), as_version=4)
    outs = _the_attack_cell(nb, ATTACKS["many-displays"][1]).outputs
    notes = [o for o in outs if NOTE_FULL in json.dumps(o)]
    assert len(notes) == 1, f"{len(notes)} notes"
    assert len(outs) < 3000, len(outs)   # 10 MB of 4 kB outputs, and a note
    nb = nbformat.read(graded.notebook("shared-display-id"), as_version=4)
    size = graded.notebook("shared-display-id").stat().st_size
    assert size < 12 * MB, size


def test_memory_of_the_main_process_and_workers_stays_bounded(graded):
    peaks = graded.peaks
    print("peak RSS (VmHWM): " + ", ".join(f"{role} {peak / 2**20:.0f} MiB"
                                          for role, peak in sorted(peaks.items())))
    assert peaks.get("main", 0) < 500 * 2**20, peaks
    # one 60 MB message in flight (its bytes and its text) on top of the worker itself
    assert peaks.get("worker", 0) < 800 * 2**20, peaks


def test_honest_controls_keep_full_marks_and_every_output(graded):
    scores = graded.scores()
    for student in HONEST:
        assert scores[student] == FULL, (student, graded.log.get(student))
        entry = graded.log[student]   # its findings (older logs: "flags")
        assert entry.get("findings", entry.get("flags")) == [], entry
        text = graded.notebook(student).read_text()
        for note in (NOTE_CUT, NOTE_FULL, "error cut"):
            assert note not in text, f"{student}: {note!r}"
    nb = nbformat.read(graded.notebook("honest-plots"), as_version=4)
    outs = _the_attack_cell(nb, PLOTS).outputs
    assert any("image/png" in o.get("data", {}) for o in outs), "the plot is kept"
    assert any("text/html" in o.get("data", {}) for o in outs), "the table is kept"
    nb = nbformat.read(graded.notebook("honest-redraw"), as_version=4)
    outs = _the_attack_cell(nb, REDRAW).outputs
    assert [o.output_type for o in outs] == ["display_data", "stream"], outs
    assert outs[1].text == "frame 199\n"


_ADDRESS = re.compile(r"0x[0-9a-f]{6,}|autograde-views-\w+")


def _comparable(nb) -> list:
    """Each cell's outputs, consecutive stream pieces joined (the kernel's batching of a
    stream into messages varies from run to run), addresses and temp names masked."""
    cells = []
    for cell in nb.cells:
        outs = []
        for out in cell.get("outputs", []):
            out = dict(out)
            if outs and out.get("output_type") == "stream" and \
                    outs[-1].get("output_type") == "stream" and outs[-1]["name"] == out["name"]:
                outs[-1] = dict(outs[-1], text=outs[-1]["text"] + out["text"])
            else:
                outs.append(out)
        cells.append(_ADDRESS.sub("?", json.dumps(outs, sort_keys=True)))
    return cells


def test_honest_outputs_are_identical_with_the_limits_off(graded, unlimited):
    assert unlimited.scores() == {s: FULL for s in HONEST}
    for student in HONEST:
        limited = _comparable(nbformat.read(graded.notebook(student), as_version=4))
        free = _comparable(nbformat.read(unlimited.notebook(student), as_version=4))
        assert limited == free, student


# ----------------------------------------------------------------------------- the budget
def test_the_budget_in_bytes_with_utf8_and_refunds():
    budget = OutputBudget(per_output=1000, per_notebook=3000)
    content = {"name": "stdout", "text": "é" * 600}   # 1200 bytes, 600 characters
    size = budget.fit("stream", content, 0)
    assert size is not None and NOTE_CUT in content["text"]
    assert len(content["text"].encode()) <= 1000
    assert budget.fit("stream", {"name": "stdout", "text": "more"}, 0) is None   # said so
    # a display that does not fit keeps the start of its text and a note
    bundle = {"data": {"text/plain": "p" * 5000, "image/png": "i" * 5000}, "metadata": {}}
    budget.fit("display_data", bundle, 1)
    assert set(bundle["data"]) == {"text/plain"} and "image/png" in bundle["data"]["text/plain"]
    # clear_output gives the bytes back
    kept = [{"output_type": "stream", "name": "stdout", "text": "k" * 900}]
    budget.charge(kept[0], budget.fit("stream", dict(kept[0]), 2))
    before = budget.used
    budget.cleared(2, kept)
    assert budget.used < before
    # a trusted cell's error is never dropped, however spent the budget
    budget.used = budget.per_notebook
    err = {"output_type": "error", "ename": "AssertionError", "evalue": "x" * 100_000,
           "traceback": ["line"] * 10}
    budget.fit_outputs([err], 3)
    assert err["ename"] == "AssertionError" and len(err["evalue"]) < 30_000
    assert budget.fit("error", dict(err), 4) is not None          # one per student cell...
    assert budget.fit("error", dict(err), 4) is None              # ...once the budget is spent
