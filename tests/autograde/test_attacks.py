"""Grading integrity (issues 7 and 11): one hostile submission per threat, graded for real.

A temporary copy of the course is released, then a class is built from the
a1-neurons student notebook: honest controls (the full solution and unusual
but legitimate code: each must earn full marks with no flag) and one
submission per threat. Every attack starts from a submission whose *honest
score* is known (usually: only the first exercise solved, 2 points) and adds
the attack. Everything is graded in ONE ``autograde grade`` run, then
``autograde report``; for every attack:

- the batch finished and the attack has a row in reports/a1-neurons.json;
- its score is at most its honest score, or it is flagged for review with a
  readable reason, present in the JSON report and in reports/index.html;
- nothing outside the submission's own working folder changed: the course
  (source/, release/, the config, every submission in submitted/), markers
  outside the course (a file in /tmp, ~/.bashrc of the test's HOME), a
  listener on 127.0.0.1 that nobody may reach; the gradebook passes SQLite's
  integrity check and the honest controls keep their full marks.

The last test writes the table, attack | outcome | defence that caught it,
to reports/attacks.md in the course copy (and the run's summary prints it); the test
run's summary prints it (tests/conftest.py).
"""

from __future__ import annotations

import copy
import hashlib
import html
import inspect
import json
import os
import re
import socket
import sqlite3
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from autograde.demo import filled
from autograde.report import findings as findings_of
from autograde.report import flags as flags_of
from tests.cli import run_tool, tool_env
from tests.conftest import ATTACK_TABLE
from tests.course.harness import copy_course

from .conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("attacks")]

A1 = "a1-neurons"
FULL = 13.0
CODE_ANSWERS = {"ml-or-dl", "neuron", "dense-forward", "forward-pass", "is-linear"}


@dataclass
class Attack:
    id: str
    threat: str
    honest: float                       # what the honest part of the submission earns
    code: str = ""                      # prepended to the `neuron` answer cell
    replace: dict = field(default_factory=dict)   # answer grade_id -> new source
    edit: object = None                 # fn(nb, ctx) -> nb or raw bytes/str (None: folder only)
    files: dict = field(default_factory=dict)     # extra files beside the notebook
    base: str = "partial"               # partial (ml-or-dl solved), full, blank
    honest_control: bool = False
    must_flag: bool = False             # inflation is certain: a flag must say so
    expect_status: str | None = None
    no_notebook: bool = False
    guard: str = ""                     # what keeps the score and the files safe regardless
    notebook_link: str = ""             # the notebook is a symbolic link to this path
    folder_link: str = ""               # the submission folder is a link to this path


TRUSTED = "test cells run in the trusted process, on the student's answers as data"
WITHHELD = "the reference is not in the kernel's dlkit (WithheldError)"
GUARDS = {   # attack id prefix -> the defence expected to hold, whatever gets flagged
    "honest": "-",
    "test-": "nbgrader sanitize restores the test cells",
    "meta-": "metadata restored from the gradebook before sanitize",
    "duplicate": "metadata restored: the last copy of each grade id is graded",
    "extra-graded": "unknown grading metadata dropped before sanitize",
    "input-transformer": TRUSTED,
    "selective-transformer": TRUSTED,
    "obfuscated-transformer": TRUSTED,
    "run-cell": TRUSTED,
    "dlkit-grading": TRUSTED,
    "sys-modules": TRUSTED,
    "np-testing": TRUSTED,
    "custom-exc": TRUSTED,
    "showtraceback": TRUSTED,
    "numpy-patch": TRUSTED,
    "builtins": TRUSTED,
    "always-equal": "answers come back as plain data (an object is its repr)",
    "frame-": TRUSTED + ": no check, no expected value in the kernel",
    "helper-frames": TRUSTED + ": no check, no expected value in the kernel",
    "rebind-": TRUSTED,
    "patch-restore": TRUSTED,
    "session-send": TRUSTED + ": the kernel's replies score nothing",
    "startup-": "the kernel's HOME and IPython folder are the grader's, fresh",
    "fake-agent": "the agent's replies are data: only the student's answers",
    "delete-agent": "the agent's replies are data: only the student's answers",
    "unresponsive-": "the bridge interrupts the call, then gives up on the kernel",
    "line-": "the bridge's line: a frame it did not expect breaks it, with a reason",
    "huge-return": "the wire's size limit",
    "deep-return": "the wire's depth limit",
    "callback-": "callbacks run trusted code on data; each request is bounded",
    "env-detection": WITHHELD,
    "reference-": WITHHELD,
    "reference-copy": "copy check (flag)",
    "sys-exit": "IPython turns SystemExit into a failed cell",
    "os-exit": "worker: dead kernel, failed",
    "segfault": "worker: dead kernel, failed",
    "infinite-loop": "per-cell timeout",
    "memory-growth": "RLIMIT_AS: MemoryError",
    "process-flood": "sandbox: RLIMIT_NPROC, pid namespace",
    "huge-output": "output limits in bytes, as messages arrive (autograde/outputs.py)",
    "gradebook": "sandbox: course root hidden, read-only",
    "course-source": "sandbox: course root hidden, read-only",
    "other-student": "sandbox: course root hidden, read-only",
    "write-outside": "sandbox: private /tmp, home hidden",
    "shadow": "sandbox: module files not copied",
    "network": "sandbox: network namespace",
    "corrupt": "input check: invalid",
    "nbformat": "input check: invalid",
    "renamed": "missing",
    "missing": "missing",
    "empty": "missing",
    "huge-file": "input check: file left out",
    "huge-notebook": "input check: invalid",
    "link-": "intake: links are left out, never followed",
    "hardlink-": "intake: a file with two names is left out",
    "special-": "intake: only regular files are taken in",
    "folder-link": "intake: a submission folder that is a link is refused",
    "many-files": "intake: the submission's total size limit",
    "kernel-link": "the kernel's folder is a copy; nothing is read back from it",
    "nested-archive": "intake copies archives as files; the kernel's disk quota",
    "deep-": "the main process's steps run bounded (autograde/bounded.py)",
    "copy-flood": "the copy check's budget, in a bounded child",
}


def guard_of(attack_id: str) -> str:
    prefixes = sorted((p for p in GUARDS if attack_id.startswith(p)), key=len, reverse=True)
    return GUARDS[prefixes[0]] if prefixes else "?"


# ----------------------------------------------------------------------------- attacks
def _cells(nb, pred):
    return [c for c in nb.cells if pred(c.metadata.get("nbgrader", {}))]


def _tests(nb):
    return _cells(nb, lambda m: m.get("grade") and not m.get("solution"))


def _edit_tests(source: str):
    def edit(nb, ctx):
        for c in _tests(nb):
            c.source = source
        return nb
    return edit


def _delete_tests(nb, ctx):
    nb.cells = [c for c in nb.cells if c not in _tests(nb)]
    return nb


def _meta(change):
    def edit(nb, ctx):
        for c in _tests(nb):
            change(c)
        return nb
    return edit


def _points(c):
    c.metadata["nbgrader"]["points"] = 100


def _grade_id(c):
    c.metadata["nbgrader"]["grade_id"] += "-x"
    c.source = "pass"


def _cell_type(c):
    c.cell_type = "markdown"
    c.pop("outputs", None)
    c.pop("execution_count", None)


def _solution_flag(c):
    c.metadata["nbgrader"]["solution"] = True
    c.source = "pass"


def _grade_flag(c):
    c.metadata["nbgrader"]["grade"] = False
    c.source = "pass"


def _duplicate_ids(nb, ctx):
    out = []
    for c in nb.cells:
        out.append(c)
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade") or meta.get("solution"):
            twin = copy.deepcopy(c)
            twin.source = "pass" if not meta.get("solution") else c.source
            twin["id"] = f"{c.get('id', 'cell')}-twin"[:64]   # a valid cell, same grade id
            out.append(twin)
    nb.cells = out
    return nb


def _extra_graded(nb, ctx):
    for i in range(3):
        cell = nbformat.v4.new_code_cell("print('bonus')")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "points": 50, "grade_id": f"bonus-{i}",
                                     "schema_version": 3}
        nb.cells.append(cell)
    return nb


def _v3(nb, ctx):
    v3 = nbformat.convert(nb, 3)
    return nbformat.writes(v3, version=3)


def _corrupt(nb, ctx):
    text = nbformat.writes(nb)
    return text[: len(text) // 2]


def _huge_notebook(nb, ctx):
    cell = nbformat.v4.new_markdown_cell("big")
    cell.attachments = {"blob.png": {"image/png": "A" * (30 * 2**20)}}
    nb.cells.append(cell)
    return nb


def _copied_neuron() -> str:
    import dlkit.nn

    return ("import numpy as np\nfrom dlkit._arrays import as_float, out\n"
            "from dlkit import activations\n\n" + inspect.getsource(dlkit.nn.neuron))


def _copied_dense() -> str:
    import dlkit.nn

    return ("import numpy as np\nfrom dlkit._arrays import as_float\n\n"
            + inspect.getsource(dlkit.nn.dense_forward))


SOLVED_NEURON = "def neuron(x, w, b, activation=None):\n" \
                "    z = np.dot(w, x) + b\n    return z if activation is None else activation(z)\n"

HONEST_CLASS = '''\
class _Neuron:
    """One neuron as an object (a class-based answer)."""

    def __init__(self, activation=None):
        self.activation = activation

    def weighted_sum(self, x, w, b):
        return sum(float(wi) * float(xi) for wi, xi in zip(np.ravel(w), np.ravel(x))) + b

    def __call__(self, x, w, b):
        z = self.weighted_sum(x, w, b)
        return z if self.activation is None else self.activation(z)

    def __eq__(self, other):
        return isinstance(other, _Neuron) and other.activation is self.activation


def neuron(x, w, b, activation=None):
    return _Neuron(activation)(x, w, b)
'''

HONEST_VECTORIZE = '''\
import math

_times = np.vectorize(lambda a, c: a * c)


def _helper_sum(values):
    return math.fsum(values)


def neuron(x, w, b, activation=None):
    z = _helper_sum(_times(np.asarray(x, dtype=float), np.asarray(w, dtype=float))) + b
    apply = activation if activation is not None else (lambda v: v)
    return apply(z)
'''

HONEST_IO = '''\
import os
import random

random.seed(42)
np.random.seed(7)
_noise = random.random() + np.random.rand()
print("debug: working in", os.getcwd(), "noise", _noise)
with open("scratch.txt", "w") as fh:
    fh.write("notes to self\\n")
with open("scratch.txt") as fh:
    print(fh.read())
os.makedirs("plots", exist_ok=True)


def neuron(x, w, b, activation=None):
    z = np.dot(w, x) + b
    return z if activation is None else activation(z)
'''


HONEST_THREADS = """\
import threading
from concurrent.futures import ThreadPoolExecutor

_pool = ThreadPoolExecutor(max_workers=2)


def _weighted(x, w):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("z", float(np.dot(w, x))))
    t.start()
    t.join()
    return out["z"]


def neuron(x, w, b, activation=None):
    z = _pool.submit(_weighted, x, w).result() + b
    return z if activation is None else activation(z)
"""

HONEST_PYTHON = """\
def _products(x, w):
    for xi, wi in zip(x, w):          # a generator, pure Python
        yield float(xi) * float(wi)


def _make_neuron():
    def apply(z, activation):         # a closure
        return z if activation is None else activation(z)
    return apply


_apply = _make_neuron()


def neuron(x, w, b, activation=None):
    total = 0.0
    for p in _products(np.ravel(x), np.ravel(w)):
        total += p
    for _ in range(2000):             # chatty: a lot of printing
        print("working on it", total)
    return _apply(total + b, activation)
"""

HONEST_HELPER = """\
from mathhelpers import weighted_sum


def neuron(x, w, b, activation=None):
    z = weighted_sum(x, w) + b
    return z if activation is None else activation(z)
"""

HELPER_MODULE = """\
import numpy as np


def weighted_sum(x, w):
    return float(np.dot(np.asarray(w, dtype=float), np.asarray(x, dtype=float)))
"""

FRAME_SPY = """\
import sys, traceback


def _expected_from_callers():
    # walk up the calling frames for the check's expected value
    for frame, _ in traceback.walk_stack(sys._getframe(1)):
        for name in ("expected", "expected_value", "exp_arr"):
            if name in frame.f_locals:
                return frame.f_locals[name]
        case = frame.f_locals.get("case")
        if case is not None and getattr(case, "expected", None) is not None:
            return case.expected
    return None
"""

FRAME_NEURON = FRAME_SPY + """

def neuron(x, w, b, activation=None):
    found = _expected_from_callers()
    return found if found is not None else 0.0
"""

HELPER_FRAMES = """\
from spy import _expected_from_callers


def neuron(x, w, b, activation=None):
    found = _expected_from_callers()
    return found if found is not None else 0.0
"""

REFERENCE_THREAD = """\
import threading, time
import dlkit.nn

_answers = {}


def _helper():   # started before the tests: the reference, from another thread
    try:
        _answers['fn'] = dlkit.nn.neuron
        _answers['probe'] = dlkit.nn.neuron([1.0], [1.0], 0.0)
    except Exception as exc:
        _answers['error'] = exc


threading.Thread(target=_helper, daemon=True).start()
time.sleep(0.2)


def neuron(x, w, b, activation=None):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault('z', _answers['fn'](x, w, b, activation)))
    t.start()
    t.join()
    return out.get('z', 0.0)
"""

REFERENCE_CLONE = """\
import types
import dlkit.nn

_clone = types.FunctionType(dlkit.nn.neuron.__code__, dlkit.nn.neuron.__globals__, 'mine',
                            dlkit.nn.neuron.__defaults__)


def neuron(x, w, b, activation=None):
    return _clone(x, w, b, activation)
"""

REFERENCE_SOURCE = """\
import importlib.util, pathlib
import dlkit

# the real dlkit's source, wherever it may be on the machine
_candidates = [pathlib.Path({root!r}) / 'dlkit' / 'nn.py',
               pathlib.Path(dlkit.__file__).parent / 'nn.py']
_ref = None
for _path in _candidates:
    try:
        _spec = importlib.util.spec_from_file_location('realnn', _path)
        _mod = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(_mod)
        _mod.neuron([1.0], [1.0], 0.0)
        _ref = _mod.neuron
        break
    except Exception:
        continue


def neuron(x, w, b, activation=None):
    return _ref(x, w, b, activation) if _ref else 0.0
"""

REFERENCE_INDIRECT = """\
import numpy as np
import dlkit.nn, dlkit.worked_example


def neuron(x, w, b, activation=None):
    layer = dlkit.nn.Dense(len(x), 1)
    layer.W[:, 0], layer.b[:] = w, b
    z = float(layer.forward(np.asarray(x, dtype=float)[None, :])[0, 0])
    return z if activation is None else activation(z)


def dense_forward(X, W, b):
    dlkit.worked_example.one_step()
    return X @ W + b
"""

SESSION_SEND = """\
from jupyter_client.session import Session

_orig_send = Session.send


def _send(self, stream, msg_or_type, content=None, *args, **kwargs):
    kind = msg_or_type if isinstance(msg_or_type, str) else msg_or_type.get('msg_type')
    if kind == 'error':
        return None                       # failing test cells show no error...
    if isinstance(content, dict) and content.get('status') == 'error':
        content = dict(content, status='ok')   # ...and their replies say ok
    return _orig_send(self, stream, msg_or_type, content, *args, **kwargs)


Session.send = _send
"""

FAKE_AGENT = """\
import builtins

_real = builtins.__autograde__


class _Fake:   # the grader's messenger, with every call answered by its first argument
    def __getattr__(self, name):
        return getattr(_real, name)

    def _handle(self, request):
        if isinstance(request, dict) and request.get('op') == 'call':
            args = request.get('args') or [0.0]
            return {'value': args[0], 'error': None, 'timed_out': False, 'warnings': [],
                    'stdout': '', 'stderr': ''}
        return _real._handle(request)

    def serve(self):
        return type(_real).serve(self)


builtins.__autograde__ = _Fake()
"""

UNRESPONSIVE = """\
import signal


def neuron(x, w, b, activation=None):
    if len(x) > 3:   # the hidden tests' larger inputs: ignore every stop and spin
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            pass
    z = np.dot(w, x) + b
    return z if activation is None else activation(z)
"""

CALLBACK_ABUSE = """\
def is_linear(f, X1, X2, a=2.0, c=-3.0):
    big = np.zeros((20_000, 2))
    for _ in range(20):                   # 20 calls back with 320 kB each, then garbage
        try:
            f(big)
            f({'not': 'an array'})
        except Exception:
            pass
    return True
"""


_READ_BESIDE = """\
import os as _os
_seen = {}
for _root, _dirs, _files in _os.walk("."):
    for _f in _files:
        try:
            with open(_os.path.join(_root, _f), "rb") as _fh:
                _seen[_f] = _fh.read(200)
        except OSError:
            pass
print("beside the notebook:", _seen)
"""

_KERNEL_LINKS = """\
import os as _os
for _name, _target in (("solution.ipynb", {src!r}), ("gradebook.db", {db!r}),
                       ("secret.txt", {secret!r}), ("shadow", "/etc/shadow")):
    try:
        _os.symlink(_target, _name)
    except OSError as _e:
        print("no link:", _e)
"""

_EXTRACT = """\
import io as _io, zipfile as _zip
try:
    with _zip.ZipFile("data.zip") as _outer:
        _inner = _zip.ZipFile(_io.BytesIO(_outer.read("inner.zip")))
        _inner.extractall("unpacked")
except Exception as _e:
    print("extract stopped:", type(_e).__name__)
"""


def _deep_metadata(nb, ctx):
    text = nbformat.writes(nb)
    marker = '"nbgrader": {'
    at = text.index(marker)
    return text[:at] + '"deep": ' + "[" * 5000 + "]" * 5000 + ", " + text[at:]


def _copy_flood() -> str:
    """About 1.9 MB of dlkit's functions, their statements shuffled, as answer code."""
    import ast
    import random

    import dlkit.losses

    tree = ast.parse(inspect.getsource(dlkit.losses))
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef) and len(n.body) > 3]
    rng, parts, size, i = random.Random(0), [], 0, 0
    while size < 1_900_000:
        fn = copy.deepcopy(fns[i % len(fns)])
        body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) else fn.body
        rng.shuffle(body)
        fn.body, fn.name = body, f"_copy_{i}"
        text = ast.unparse(fn) + "\n"
        parts.append(text)
        size, i = size + len(text), i + 1
    return "if False:\n" + "".join("    " + line + "\n" for p in parts for line in p.splitlines())


def attacks(ctx) -> list[Attack]:
    course, home, port, marker = ctx["course"], ctx["home"], ctx["port"], ctx["marker"]
    db = course / "gradebook.db"
    other = course / "submitted" / "honest-full" / A1 / "neurons.ipynb"
    prepared_other = course / "autograded" / "honest-full" / A1 / "neurons.ipynb"
    src = course / "source" / A1 / "neurons.ipynb"
    rel = course / "release" / A1 / "neurons.ipynb"
    grading_patch = ("grading.check_function = lambda *a, **k: None\n"
                     "grading.check_choices = lambda *a, **k: None\n"
                     "grading.check_value = lambda *a, **k: None\n"
                     "grading.check_true = lambda *a, **k: None\n")
    return [
        # --- honest controls: full marks, no flag
        Attack("honest-full", "control: the model solution", FULL, base="full",
               honest_control=True),
        Attack("honest-class", "control: a class-based neuron (with its own __eq__)", FULL,
               base="full", replace={"neuron": HONEST_CLASS}, honest_control=True),
        Attack("honest-vectorize", "control: np.vectorize, math.fsum, a helper, a lambda",
               FULL, base="full", replace={"neuron": HONEST_VECTORIZE}, honest_control=True),
        Attack("honest-io", "control: prints, a scratch file in cwd, os.getcwd(), seeded "
               "random", FULL, base="full", replace={"neuron": HONEST_IO},
               honest_control=True),
        Attack("honest-threads", "control: threads and a thread pool inside the answer", FULL,
               base="full", replace={"neuron": HONEST_THREADS}, honest_control=True),
        Attack("honest-python", "control: a generator, a closure, a pure-Python loop, 2000 "
               "printed lines per call", FULL, base="full", replace={"neuron": HONEST_PYTHON},
               honest_control=True),
        Attack("honest-helper", "control: a helper module in a file beside the notebook", FULL,
               base="full", replace={"neuron": HONEST_HELPER},
               files={"mathhelpers.py": HELPER_MODULE}, honest_control=True),
        # --- tests
        Attack("test-edited", "tests: test cells edited to pass", 2, edit=_edit_tests("pass")),
        Attack("test-emptied", "tests: test cells emptied", 2, edit=_edit_tests("")),
        Attack("test-deleted", "tests: test cells deleted", 2, edit=_delete_tests),
        Attack("meta-points", "tests: points changed to 100", 2, edit=_meta(_points)),
        Attack("meta-grade-id", "tests: grade ids renamed (and emptied)", 2,
               edit=_meta(_grade_id)),
        Attack("meta-cell-type", "tests: test cells turned into markdown", 2,
               edit=_meta(_cell_type)),
        Attack("meta-solution-flag", "tests: test cells marked as answers", 2,
               edit=_meta(_solution_flag)),
        Attack("meta-grade-flag", "tests: test cells unmarked as graded", 2,
               edit=_meta(_grade_flag)),
        Attack("duplicate-ids", "tests: every grade id duplicated", 2, edit=_duplicate_ids),
        Attack("extra-graded-cells", "tests: extra cells worth 150 points", 2,
               edit=_extra_graded),
        # --- the kernel
        Attack("input-transformer", "kernel: IPython input transformer empties test cells", 2,
               code="def _skip(lines):\n"
                    "    text = ''.join(lines)\n"
                    "    return ['pass\\n'] if 'grading.' in text or 'assert' in text "
                    "else lines\n"
                    "get_ipython().input_transformers_post.append(_skip)\n"),
        Attack("selective-transformer", "kernel: input transformer that empties only the "
               "cells that check the student's functions", 2,
               code="import re as _re\n"
                    "def _only_tests(lines):\n"
                    "    text = ''.join(lines)\n"
                    "    hit = _re.search(r'check_function\\((neuron|dense_forward|forward_pass|"
                    "is_linear)\\b', text)\n"
                    "    return ['pass\\n'] if hit else lines\n"
                    "get_ipython().input_transformers_post.append(_only_tests)\n"),
        Attack("obfuscated-transformer", "kernel: the selective transformer hidden in "
               "exec(bytes.fromhex(...))", 2,
               code="exec(bytes.fromhex(" + repr((
                   b"import re\n"
                   b"def _t(lines):\n"
                   b"    hit = re.search(r'check_function\\((neuron|dense_forward|forward_pass|"
                   b"is_linear)\\b', ''.join(lines))\n"
                   b"    return ['pass\\n'] if hit else lines\n"
                   b"getattr(get_ipython(), 'input_transformers_' + 'post').append(_t)\n"
               ).hex()) + ").decode())\n"),
        Attack("custom-exc", "kernel: custom exception handler swallows failures", 2,
               code="get_ipython().set_custom_exc((BaseException,), "
                    "lambda self, etype, value, tb, tb_offset=None: None)\n"),
        Attack("showtraceback", "kernel: showtraceback replaced by a no-op", 2,
               code="_ip = get_ipython()\n_ip.showtraceback = lambda *a, **k: None\n"
                    "_ip._showtraceback = lambda *a, **k: None\n"),
        Attack("run-cell", "kernel: run_cell patched to skip test cells", 2,
               code="_ip = get_ipython()\n_orig = _ip.run_cell_async\n"
                    "async def _run(raw_cell, *a, **k):\n"
                    "    if 'grading.' in raw_cell:\n        raw_cell = 'pass'\n"
                    "    return await _orig(raw_cell, *a, **k)\n"
                    "_ip.run_cell_async = _run\n"
                    "_orig_sync = _ip.run_cell\n"
                    "def _run_sync(raw_cell, *a, **k):\n"
                    "    if 'grading.' in raw_cell:\n        raw_cell = 'pass'\n"
                    "    return _orig_sync(raw_cell, *a, **k)\n"
                    "_ip.run_cell = _run_sync\n"),
        Attack("numpy-patch", "kernel: numpy's comparisons patched to always agree", 2,
               code="np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, "
                    "bool)\nnp.allclose = lambda *a, **k: True\n"
                    "np.asarray = lambda x, *a, **k: np.array(0.0)\n"),
        Attack("np-testing-patch", "kernel: numpy.testing assertions patched to pass", 2,
               code="import numpy.testing\nnumpy.testing.assert_allclose = "
                    "lambda *a, **k: None\nnp.testing.assert_array_equal = "
                    "lambda *a, **k: None\n"),
        Attack("builtins-patch", "kernel: builtins patched (isinstance, AssertionError)", 2,
               code="import builtins\n_real = builtins.isinstance\n"
                    "builtins.isinstance = lambda o, t: True if t is NotImplementedError "
                    "else _real(o, t)\nbuiltins.AssertionError = KeyboardInterrupt\n"),
        Attack("dlkit-grading-patch", "kernel: dlkit.grading's checks replaced", 2,
               code=grading_patch),
        Attack("sys-modules-swap", "kernel: a fake dlkit.grading in sys.modules", 2,
               code="import sys, types\n_fake = types.ModuleType('dlkit.grading')\n"
                    "_fake.Case = grading.Case\n"
                    "for _n in ('check_function', 'check_choices', 'check_value', "
                    "'check_true'):\n    setattr(_fake, _n, lambda *a, **k: None)\n"
                    "sys.modules['dlkit.grading'] = _fake\nimport dlkit\n"
                    "dlkit.grading = _fake\ngrading = _fake\n"),
        Attack("always-equal", "kernel: answers return an object equal to anything", 2,
               replace={"neuron": "class _Yes(float):\n"
                                  "    def __eq__(self, other):\n        return True\n"
                                  "    def __ne__(self, other):\n        return False\n"
                                  "    def __array__(self, *a, **k):\n"
                                  "        return np.array(0.0)\n\n"
                                  "def neuron(x, w, b, activation=None):\n"
                                  "    return _Yes(0.0)\n"}),
        Attack("env-detection", "kernel: reads the environment to detect grading", 2,
               replace={"neuron": "import os\n"
                                  "GRADING = 'NBGRADER_EXECUTION' in os.environ or "
                                  "bool(os.getenv('CI'))\n"
                                  "from dlkit.nn import neuron as _ref\n\n"
                                  "def neuron(x, w, b, activation=None):\n"
                                  "    if GRADING:\n"
                                  "        return _ref(x, w, b, activation)\n"
                                  "    return 0.0\n"}),
        # --- issue 11: what the student's process could reach, and now cannot
        Attack("frame-expected", "frames: reads the check's expected value from the caller's "
               "frames (traceback.walk_stack, sys._getframe, f_locals)", 2,
               replace={"neuron": FRAME_NEURON}),
        Attack("helper-frames", "frames: the same frame walk, in a helper module beside the "
               "notebook", 2, replace={"neuron": HELPER_FRAMES},
               files={"spy.py": "import numpy as np\n" + FRAME_SPY}),
        Attack("rebind-captured", "checks: dlkit.grading's captured numpy functions rebound and "
               "a check's __code__ replaced", 2,
               code="import dlkit.grading.compare as _cmp\n"
                    "vars(_cmp)['_isclose'] = lambda a, b, **k: np.ones(np.shape(a), bool)\n"
                    "vars(_cmp)['_difference'] = lambda *a, **k: None\n"
                    "grading.check_function.__code__ = (lambda *a, **k: None).__code__\n"
                    "grading.check_choices.__code__ = (lambda *a, **k: None).__code__\n"),
        Attack("patch-restore", "checks: patched for the test cells, restored by the last cell",
               2, code=grading_patch,
               edit=lambda nb, ctx: (nb.cells.append(nbformat.v4.new_code_cell(
                   "import importlib, dlkit.grading\nimportlib.reload(dlkit.grading)\n")), nb)[1]),
        Attack("session-send", "kernel: jupyter_client's Session.send patched so failing cells "
               "report ok and show no error", 2, code=SESSION_SEND),
        Attack("startup-ipython", "files: an IPython startup file beside the notebook that "
               "replaces the checks before anything else runs", 2,
               files={".ipython/profile_default/startup/00-checks.py":
                      "import dlkit.grading as g\n" + grading_patch.replace("grading.", "g.")}),
        Attack("startup-home", "files: the same startup file where the kernel's HOME would be",
               2, files={".autograde-home/.ipython/profile_default/startup/00-checks.py":
                         "import dlkit.grading as g\n" + grading_patch.replace("grading.", "g.")}),
        Attack("fake-agent", "kernel: the grader's messenger replaced by one that echoes the "
               "first argument as the answer", 2, code=FAKE_AGENT),
        Attack("delete-agent", "kernel: the grader's messenger deleted", 2,
               code="import builtins\ndel builtins.__autograde__\n"),
        Attack("unresponsive-call", "resources: a function that ignores SIGALRM and SIGINT and "
               "spins when the hidden tests call it", 11, base="full",
               replace={"neuron": UNRESPONSIVE}),
        Attack("line-forged-reply", "kernel: writes its own 'full marks' reply on the grader's "
               "line before the real one", 2,
               replace={"neuron": "import builtins, struct\n\n"
                                  "def neuron(x, w, b, activation=None):\n"
                                  "    text = 'R{\"value\": 1.0}'.encode()\n"
                                  "    builtins.__autograde__.line.sendall(\n"
                                  "        struct.pack('!Q', len(text)) + text)\n"
                                  "    return 1.0\n"}),
        Attack("line-garbage", "kernel: announces a terabyte on the grader's line, then "
               "closes it", 2,
               replace={"neuron": "import builtins, struct\n\n"
                                  "def neuron(x, w, b, activation=None):\n"
                                  "    line = builtins.__autograde__.line\n"
                                  "    line.sendall(struct.pack('!Q', 2**40))\n"
                                  "    line.close()\n"
                                  "    return 1.0\n"}),
        Attack("huge-return", "resources: returns an 800 MB array", 2,
               replace={"neuron": "def neuron(x, w, b, activation=None):\n"
                                  "    return np.zeros(10**8)\n"}),
        Attack("deep-return", "resources: returns a list nested 100,000 deep", 2,
               replace={"neuron": "def neuron(x, w, b, activation=None):\n"
                                  "    out = []\n    for _ in range(100_000):\n"
                                  "        out = [out]\n    return out\n"}),
        Attack("callback-abuse", "callbacks: the test's own function called back with big and "
               "malformed arguments", 2, replace={"is-linear": CALLBACK_ABUSE}),
        Attack("reference-thread", "reference: called from a thread started before the tests",
               2, replace={"neuron": REFERENCE_THREAD}),
        Attack("reference-code-clone", "reference: a clone of its code object under another "
               "name", 2, replace={"neuron": REFERENCE_CLONE}),
        Attack("reference-source-file", "reference: dlkit's source file loaded from disk", 2,
               replace={"neuron": REFERENCE_SOURCE.format(root=str(ROOT))}),
        Attack("reference-indirect", "reference: a Dense layer's forward and the worked example "
               "instead of the withheld functions", 2,
               replace={"neuron": REFERENCE_INDIRECT}),
        # --- the reference
        Attack("reference-alias", "reference: dlkit called under an alias", 2,
               replace={"neuron": "from dlkit.nn import neuron as helper\n\n"
                                  "def neuron(x, w, b, activation=None):\n"
                                  "    return helper(x, w, b, activation)\n",
                        "dense-forward": "_f = getattr(__import__('dlkit.nn').nn, "
                                         "'dense_' + 'forward')\n\n"
                                         "def dense_forward(X, W, b):\n"
                                         "    return _f(X, W, b)\n"}),
        Attack("reference-copy", "reference: dlkit's source copied verbatim", 2,
               replace={"neuron": _copied_neuron(), "dense-forward": _copied_dense()},
               must_flag=True),
        # --- resources
        Attack("sys-exit", "resources: sys.exit()", 2, code="import sys\nsys.exit(0)\n"),
        Attack("os-exit", "resources: os._exit()", 2, code="import os\nos._exit(3)\n"),
        Attack("segfault", "resources: segfault through ctypes", 2,
               code="import ctypes\nctypes.string_at(0)\n"),
        Attack("infinite-loop", "resources: an infinite loop", 2,
               code="while True:\n    pass\n"),
        Attack("memory-growth", "resources: memory grown to the limit", 2,
               code="_hog = []\nwhile True:\n    _hog.append(np.ones(2**24))\n"),
        Attack("process-flood", "resources: 300 forks of a sleeping child", 2,
               code="import os, time\n_pids = []\nfor _ in range(300):\n"
                    "    try:\n        _pid = os.fork()\n    except OSError:\n        break\n"
                    "    if _pid == 0:\n        time.sleep(20)\n        os._exit(0)\n"
                    "    _pids.append(_pid)\nprint(len(_pids), 'children')\n"),
        Attack("huge-output", "resources: 50 MB printed", 2,
               code="import sys\nsys.stdout.write(('z' * 99 + '\\n') * 500_000)\n"),
        # --- files
        Attack("gradebook-write", "files: SQL into the gradebook", 2,
               code=f"import sqlite3\n_c = sqlite3.connect({str(db)!r})\n"
                    "_c.execute('UPDATE grade SET auto_score = 99')\n_c.commit()\n"),
        Attack("gradebook-delete", "files: gradebook deleted", 2,
               code=f"import os\nos.remove({str(db)!r})\n"),
        Attack("course-source", "files: source/ and release/ overwritten", 2,
               code=f"open({str(src)!r}, 'w').write('{{}}')\n"
                    f"import os\nos.remove({str(rel)!r})\n"),
        Attack("other-student", "files: another student's submission and prepared copy", 2,
               code=f"open({str(other)!r}, 'w').write('{{}}')\n"
                    f"open({str(prepared_other)!r}, 'w').write('{{}}')\n"),
        Attack("write-outside", "files: /tmp marker and ~/.bashrc", 2,
               code=f"open({str(marker)!r}, 'w').write('pwned')\n"
                    f"open({str(home / '.bashrc')!r}, 'a').write('echo pwned\\n')\n"),
        Attack("shadow-numpy", "files: numpy.py beside the notebook", 2,
               files={"numpy.py": "def allclose(*a, **k):\n    return True\n"}),
        Attack("shadow-dlkit", "files: a dlkit/ package beside the notebook", 2,
               files={"dlkit/__init__.py": "", "dlkit/grading.py":
                      "def check_function(*a, **k):\n    pass\n"
                      "check_choices = check_value = check_true = check_function\n"
                      "class Case:\n    def __init__(self, *a, **k):\n        pass\n"}),
        Attack("network", "files: network connection to 127.0.0.1", 2,
               code=f"import socket\n_s = socket.create_connection(('127.0.0.1', {port}), "
                    "timeout=2)\n_s.sendall(b'leak')\n"),
        # --- input
        Attack("corrupt-json", "input: corrupted JSON", 0, edit=_corrupt,
               expect_status="invalid"),
        Attack("nbformat-3", "input: a notebook of nbformat 3", 0, edit=_v3,
               expect_status="invalid"),
        Attack("renamed", "input: the notebook renamed", 0, expect_status="missing",
               files={"neurons (copy).ipynb": "@notebook"}, no_notebook=True),
        Attack("missing", "input: no notebook, other files", 0, expect_status="missing",
               files={"notes.txt": "I forgot"}, no_notebook=True),
        Attack("empty-folder", "input: an empty folder", 0, expect_status="missing",
               no_notebook=True),
        Attack("huge-file", "input: a 300 MB file beside the notebook", 2,
               files={"data.bin": "@sparse300"}),
        Attack("huge-notebook", "input: a 30 MB notebook", 0, edit=_huge_notebook,
               expect_status="invalid"),
        # --- the submission folder itself (no kernel code needed)
        Attack("link-notebook", "folder: the notebook is a link to another student's", 0,
               notebook_link=str(other), expect_status="missing", must_flag=True),
        Attack("link-files", "folder: links to source/, the gradebook, /etc/shadow, a secret "
               "outside the course, /dev/zero", 2,
               files={"solution.ipynb": f"@link:{src}", "gradebook.db": f"@link:{db}",
                      "shadow": "@link:/etc/shadow", "secret.txt": f"@link:{ctx['secret']}",
                      "zero.bin": "@link:/dev/zero", "source": f"@link:{course / 'source'}"},
               code=_READ_BESIDE, must_flag=True),
        Attack("link-in-subfolder", "folder: a link two folders down", 2,
               files={"data/raw/secret.txt": f"@link:{ctx['secret']}",
                      "data/raw/ok.txt": "fine"}, code=_READ_BESIDE, must_flag=True),
        Attack("hardlink-source", "folder: a hard link to the model solution", 2,
               files={"notes.ipynb.bak": f"@hardlink:{src}"}, code=_READ_BESIDE,
               must_flag=True),
        Attack("special-files", "folder: a FIFO, a socket" +
               (" and a character device (/dev/zero's)" if os.geteuid() == 0 else ""), 2,
               files={"pipe": "@fifo", "sock": "@socket",
                      **({"zero": "@chardev"} if os.geteuid() == 0 else {})},
               code=_READ_BESIDE, must_flag=True),
        Attack("folder-link", "folder: the submission folder is a link to another student's",
               0, folder_link=str(other.parent), expect_status="invalid"),
        Attack("many-files", "folder: 40 files of 64 MB (2.5 GB)", 2,
               files={f"blob{i:02d}.bin": "@sparse64" for i in range(40)}, must_flag=True),
        Attack("kernel-link", "kernel: links made in its own folder, for a later step to follow",
               2, code=_KERNEL_LINKS.format(src=src, db=db, secret=ctx["secret"])),
        Attack("nested-archive", "kernel: extracts a zip inside a zip (a 300 MB bomb)", 2,
               files={"data.zip": "@nestedzip"}, code=_EXTRACT),
        # --- the main process
        Attack("deep-expression", "main process: an answer of 5,000 terms (the AST scan)", 2,
               code="_x = 0" + " + 1" * 5000 + "\n"),
        Attack("deep-metadata", "main process: a list nested 5,000 deep in a cell's metadata",
               0, edit=_deep_metadata, expect_status="invalid"),
        Attack("copy-flood", "main process: 1.9 MB of shuffled copies of dlkit functions "
               "(the copy check)", 2, code=_copy_flood(), must_flag=True),
    ]


# ----------------------------------------------------------------------------- the run
def _sha_tree(root: Path, skip: tuple[str, ...]) -> dict[str, str]:
    """Every regular file under root (links and special files by what they are, unread)."""
    import stat

    out = {}
    for folder, dirs, files in os.walk(root):   # never follows a link
        for name in sorted(dirs + files):
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if rel.startswith(skip) or "__pycache__" in rel:
                continue
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif not stat.S_ISDIR(mode):
                out[rel] = f"{stat.S_IFMT(mode):o}"
    return out


def _listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.5)
    hits, stop = [], threading.Event()

    def loop():
        while not stop.is_set():
            try:
                conn, addr = srv.accept()
            except OSError:
                continue
            hits.append(addr)
            conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return srv, hits, stop


def _write_submission(course: Path, attack: Attack, ctx) -> None:
    folder = course / "submitted" / attack.id / A1
    if attack.folder_link:
        folder.parent.mkdir(parents=True)
        folder.symlink_to(attack.folder_link)
        return
    folder.mkdir(parents=True)
    source = nbformat.read(course / "source" / A1 / "neurons.ipynb", as_version=4)
    release = nbformat.read(course / "release" / A1 / "neurons.ipynb", as_version=4)
    answers = {"full": CODE_ANSWERS, "partial": {"ml-or-dl"}, "blank": set()}[attack.base]
    nb = filled(release, source, set(answers))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in attack.replace:
            cell.source = attack.replace[gid]
        if gid == "neuron" and attack.code:
            cell.source = attack.code + "\n" + cell.source
    content = attack.edit(nb, ctx) if attack.edit else nb
    if attack.notebook_link:
        (folder / "neurons.ipynb").symlink_to(attack.notebook_link)
    elif not attack.no_notebook:
        text = content if isinstance(content, str) else nbformat.writes(content)
        (folder / "neurons.ipynb").write_text(text, encoding="utf-8")
    for name, body in attack.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if body == "@notebook":
            nbformat.write(nb, path)
        elif body in ("@sparse300", "@sparse64"):
            with open(path, "wb") as fh:
                fh.truncate(int(body[len("@sparse"):]) * 2**20)
        elif body.startswith("@link:"):
            path.symlink_to(body[len("@link:"):])
        elif body.startswith("@hardlink:"):
            os.link(body[len("@hardlink:"):], path)
        elif body == "@fifo":
            os.mkfifo(path)
        elif body == "@socket":
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(path))
            sock.close()
        elif body == "@chardev":
            import stat

            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))
        elif body == "@nestedzip":
            _nested_zip(path)
        else:
            path.write_text(body)


def _nested_zip(path: Path) -> None:
    """A zip holding a zip that holds 300 MB of zeros (about 300 kB in all)."""
    import io
    import zipfile

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros.bin", "w", force_zip64=True) as fh:
            block = bytes(2**20)
            for _ in range(300):
                fh.write(block)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("inner.zip", inner.getvalue())


@dataclass
class AttackRun:
    course: Path
    attacks: dict[str, Attack]
    rows: dict[str, dict]
    log: dict[str, dict]
    page: str
    before: dict[str, str]
    after: dict[str, str]
    hits: list
    marker: Path
    home: Path
    bashrc: str
    grade: subprocess.CompletedProcess
    db_check: str
    seconds: float
    feedback: subprocess.CompletedProcess
    secret: str


SKIP = ("autograded/", "reports/", "gradebook.db", "feedback/", "home/")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> AttackRun:
    import time

    base = tmp_path_factory.mktemp("attacks")
    course = copy_course(base / "course-root")
    home = base / "home"
    home.mkdir()
    (home / ".bashrc").write_text("# the grader's own bashrc\n")
    marker = Path("/tmp") / f"marker-{uuid.uuid4().hex}"
    secret = base / "secret.txt"   # outside the course: no submission may bring it back
    secret.write_text(f"SECRET-{uuid.uuid4().hex}\n")
    srv, hits, stop = _listener()
    env = tool_env(HOME=str(home))

    def autograde(*args):
        return run_tool(course, "autograde", *args, env=env)

    proc = autograde("release", A1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ctx = {"course": course, "home": home, "port": srv.getsockname()[1], "marker": marker,
           "secret": secret}
    chosen = attacks(ctx)
    only = os.environ.get("ATTACKS")   # a debugging aid: ATTACKS=id,id
    if only:
        chosen = [a for a in chosen if a.id in only.split(",") or a.honest_control]
    for attack in chosen:
        _write_submission(course, attack, ctx)
    before = _sha_tree(course, SKIP)
    start = time.perf_counter()
    grade = autograde("grade", A1, "--jobs=2", "--force", "--Execute.timeout=5",
                      "--ClassGrader.notebook_timeout=60", "--ClassGrader.memory_limit_mb=1536")
    seconds = time.perf_counter() - start
    report = autograde("report")
    feedback = autograde("feedback")
    stop.set()
    srv.close()
    after = _sha_tree(course, SKIP)
    try:
        with sqlite3.connect(course / "gradebook.db") as con:
            db_check = con.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as err:
        db_check = f"error: {err}"
    rows, page = {}, ""
    if (course / "reports" / f"{A1}.json").exists():
        rows = {s["student"]: dict(s, flags=flags_of(s)) for s in json.loads(
            (course / "reports" / f"{A1}.json").read_text())["students"]}
        # the page's text, as a browser shows it
        page = html.unescape(re.sub(r"<[^>]+>", "", (course / "reports" / "index.html")
                                    .read_text()))
    log_path = course / "reports" / "grading" / f"{A1}.json"
    log = json.loads(log_path.read_text()) if log_path.exists() else {}
    assert grade.returncode == 0, f"grade failed:\n{grade.stdout[-2000:]}\n{grade.stderr[-3000:]}"
    assert report.returncode == 0, report.stderr[-3000:]
    done = AttackRun(course, {a.id: a for a in chosen}, rows, log, page, before, after, hits,
                     marker, home, (home / ".bashrc").read_text(), grade, db_check, seconds,
                     feedback, secret.read_text().strip())
    _write_table(done)   # here, once the class is graded: no test depends on another's order
    yield done
    marker.unlink(missing_ok=True)


def _ids():
    fake = {"course": Path("/nonexistent"), "home": Path("/nonexistent"), "port": 1,
            "marker": Path("/nonexistent"), "secret": Path("/nonexistent")}
    return [a.id for a in attacks(fake)]


def _readable(flag: str) -> bool:
    return len(flag) >= 25 and " " in flag and flag[0].isalnum()


def defences(run: AttackRun, student: str) -> list[str]:
    return sorted({f.check for f in findings_of(run.log.get(student, {}))})


# ----------------------------------------------------------------------------- the checks
@pytest.mark.parametrize("attack_id", _ids())
def test_attack(attack_id, run):
    if attack_id not in run.attacks:
        pytest.skip("not selected (ATTACKS)")
    attack = run.attacks[attack_id]
    row = run.rows.get(attack_id)
    assert row is not None, f"{attack_id} has no row in reports/{A1}.json: the batch stopped?"
    assert row["status"] in {"graded", "failed", "timeout", "missing", "invalid"}
    if attack.expect_status:
        assert row["status"] == attack.expect_status, (row["status"], row["reason"])
        assert row["reason"], "a submission that was not graded needs a reason"
    flags = row["flags"]
    if attack.honest_control:
        assert (row["status"], row["score"]) == ("graded", FULL), (row["reason"], flags)
        assert flags == [], f"an honest submission was flagged: {flags}"
        return
    for flag in flags:
        assert _readable(flag), f"unreadable flag: {flag!r}"
        assert flag in run.page, f"flag missing from reports/index.html: {flag!r}"
    for f in findings_of(row):
        assert str(f) in flags and f.check, f
        assert f"{f} [{f.check}]" in run.page, "the HTML names each finding's check"
    if attack.must_flag:
        assert flags, f"{attack_id} inflates its score unless caught, and was not flagged"
    assert row["score"] <= attack.honest or flags, (
        f"{attack_id}: score {row['score']} > honest {attack.honest} and no flag "
        f"({row['status']}: {row['reason']})")


def test_the_course_and_every_other_submission_are_unchanged(run):
    changed = sorted(k for k in set(run.before) | set(run.after)
                     if run.before.get(k) != run.after.get(k))
    assert changed == [], f"files changed by grading: {changed}"


def test_nothing_outside_the_course_changed(run):
    assert not run.marker.exists(), f"{run.marker} was written"
    assert run.bashrc == "# the grader's own bashrc\n", "~/.bashrc was modified"
    assert run.hits == [], f"a kernel reached the listener on 127.0.0.1: {run.hits}"


def test_the_gradebook_is_intact(run):
    assert run.db_check == "ok"
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{run.course / 'gradebook.db'}") as gb:
        scores = {s.student_id: s.score for s in gb.assignment_submissions(A1)}
    for a in run.attacks.values():
        if a.honest_control:
            assert scores.get(a.id) == FULL, f"{a.id}: gradebook has {scores.get(a.id)}"
    for student, score in scores.items():
        honest = run.attacks[student].honest if student in run.attacks else FULL
        if score > honest:
            assert run.rows[student]["flags"], f"{student}: gradebook {score} > {honest}"


def test_the_batch_finished_and_reported_every_submission(run):
    assert set(run.attacks) <= set(run.rows)
    assert "done in" in run.grade.stderr


def _outcome(run: AttackRun, a: Attack) -> str:
    row = run.rows.get(a.id)
    if row is None:
        return "NO ROW"
    return f"{row['score']:g}/{a.honest:g} {row['status']}"


def _main_cost(run: AttackRun, a: Attack) -> str:
    entry = run.log.get(a.id, {})
    return f"{entry.get('main_seconds', 0):.2f} s, {entry.get('main_rss_mb', 0):.0f} MB"


def _caught_by(run: AttackRun, a: Attack) -> str:
    row = run.rows.get(a.id) or {}
    found = defences(run, a.id)
    if a.honest_control:
        return "(honest: no flag)" if not row.get("flags") else "FLAGGED: " + "; ".join(
            row["flags"])
    return guard_of(a.id) + (f"; flagged by {', '.join(found)}" if found else "")


def test_every_attack_names_its_defence_in_the_table(run):
    assert all(guard_of(a) != "?" for a in run.attacks), "an attack without its defence"
    table = (run.course / "reports" / "attacks.md").read_text()
    for a in run.attacks.values():
        assert f"| {a.id} | {a.threat} |" in table, a.id


def _write_table(run) -> None:
    """The attack table, in the course copy's reports/ and where the run's summary reads it
    (tests/conftest.py's ATTACK_TABLE, a temporary file: nothing is written into the
    repository)."""
    lines = ["| attack | threat | outcome (score/honest status) | main process (time, memory "
             "after) | defence that caught it |", "|---|---|---|---|---|"]
    for a in run.attacks.values():
        lines.append(f"| {a.id} | {a.threat} | {_outcome(run, a)} | {_main_cost(run, a)} | "
                     f"{_caught_by(run, a)} |")
    lines.append("")
    lines.append(f"graded {len(run.attacks)} submissions in one run: {run.seconds:.0f} s")
    table = "\n".join(lines)
    (run.course / "reports").mkdir(exist_ok=True)
    (run.course / "reports" / "attacks.md").write_text(table + "\n")
    ATTACK_TABLE.write_text(table + "\n")   # the run's summary prints it


def _hidden_test_lines(course: Path) -> list[str]:
    """Distinctive lines of the source notebook's hidden tests."""
    src = nbformat.read(course / "source" / A1 / "neurons.ipynb", as_version=4)
    lines = []
    for cell in src.cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 30:
                lines.append(line.strip())
    return lines


def test_nothing_of_the_course_or_the_machine_comes_back_to_a_student(run):
    """The folders a student gets back (autograded/, which formgrader shows, and
    feedback/) hold no link, no special file, and none of: another student's
    notebook, the model solution, the hidden tests, the gradebook, a root-only file, a
    secret outside the course."""
    import stat

    assert run.feedback.returncode == 0, run.feedback.stdout[-3000:] + run.feedback.stderr[-3000:]
    hidden = _hidden_test_lines(run.course)
    assert hidden, "the source notebook has hidden tests to look for"
    with open("/etc/shadow", "rb") as fh:
        shadow = [line for line in fh.read().split(b"\n") if b":" in line][:1]
    for a in run.attacks.values():
        for top in ("autograded", "feedback"):
            folder = run.course / top / a.id / A1
            for path in folder.rglob("*") if folder.is_dir() else []:
                mode = os.lstat(path).st_mode
                assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), f"{path} is not a regular file"
                if stat.S_ISDIR(mode):
                    continue
                data = path.read_bytes()
                assert run.secret.encode() not in data, f"{path} holds the secret"
                assert b"SQLite format 3" not in data[:16], f"{path} is the gradebook"
                assert not any(s in data for s in shadow), f"{path} holds /etc/shadow"
                text = data.decode("utf-8", "replace")
                if top == "feedback" or path.name != "neurons.ipynb":
                    leaked = [h for h in hidden if h in text or html.escape(h) in text]
                    assert not leaked, f"{path} shows hidden tests: {leaked[:2]}"


def test_the_main_process_stays_bounded_whatever_a_submission_holds(run):
    """Per submission, what the main process spent (intake, prepare, save, checks) and
    its memory after it: printed in the attack table; bounded loosely here."""
    for a in run.attacks.values():
        entry = run.log.get(a.id, {})
        assert entry.get("main_seconds", 0) < 120, (a.id, entry.get("main_seconds"))
        assert entry.get("main_rss_mb", 0) < 1500, (a.id, entry.get("main_rss_mb"))


def test_huge_files_are_left_out_of_the_prepared_copy(run):
    if "huge-file" not in run.attacks:
        pytest.skip("not selected (ATTACKS)")
    assert not (run.course / "autograded" / "huge-file" / A1 / "data.bin").exists()


# ----------------------------------------------------------------------------- fast checks
# (no grading run: the scan and the copy check on their own)
def _answer_notebook(code: str, gid: str = "neuron"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                 "grade_id": gid}
    nb.cells = [cell]
    return nb


def test_the_scan_flags_nothing_in_the_model_solutions_and_the_variants():
    from autograde.checks.ast_scan import scan_code, scan_notebook
    from autograde.checks.copies import copy_findings
    from autograde.variants import load_variants

    flagged = []
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        flagged += [f"{path.stem}: {t}" for t in scan_notebook(nb) + copy_findings(nb)]
    for assignment in sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir()):
        for v in load_variants(ROOT, assignment):
            flagged += [f"{v.id}: {t}" for _, t in scan_code(v.code)]
            flagged += [f"{v.id}: {t}" for t in copy_findings(_answer_notebook(v.code, v.cell))]
    for code in (HONEST_CLASS, HONEST_VECTORIZE, HONEST_IO, HONEST_THREADS, HONEST_PYTHON,
                 HONEST_HELPER, HELPER_MODULE):
        flagged += [t for _, t in scan_code(code)]
    assert flagged == []


@pytest.mark.parametrize("code, expected", [
    ("get_ipython().input_transformers_post.append(f)", "input transformer"),
    ("ip = get_ipython()\nip.ast_transformers.append(t)", "AST transformer"),
    ("from IPython import get_ipython as g\ng().set_custom_exc((Exception,), h)",
     "custom exception handler"),
    ("get_ipython().showtraceback = lambda *a: None", "showtraceback"),
    ("setattr(get_ipython(), 'run_cell', f)", "run_cell"),
    ("import numpy as n\nn.allclose = lambda *a, **k: True", "numpy.allclose"),
    ("np.testing.assert_allclose = print", "numpy.testing.assert_allclose"),
    ("import builtins\nbuiltins.print = len", "builtins"),
    ("from dlkit import grading as g\ng.check_function = None", "dlkit.grading.check_function"),
    ("import sys\nsys.modules['dlkit.grading'] = object()", "sys.modules"),
    ("class A:\n    def __eq__(self, o):\n        return True", "always returns True"),
    ("import os\nif 'NBGRADER_EXECUTION' in os.environ: pass", "NBGRADER_EXECUTION"),
    ("import os\nx = os.getenv('CI')", "environment variable CI"),
    ("import ctypes", "ctypes"),
    ("import signal\nsignal.signal(2, 1)", "signal handling"),
    ("import sys\nsys.exit()", "exits the kernel"),
    ("import os as o\no._exit(1)", "exits the kernel"),
    ("import subprocess\nsubprocess.run(['ls'])", "processes"),
    ("!ls /", "processes or shell commands"),
    ("import socket\nsocket.create_connection(('h', 1))", "network"),
    ("open('/etc/passwd', 'w')", "outside the submission's folder"),
    ("open('../other/x.ipynb', 'a')", "outside the submission's folder"),
    ("from pathlib import Path\nPath.home().joinpath('.bashrc').write_text('x')", "outside"),
    ("import shutil\nshutil.rmtree('/srv/course')", "outside"),
    ("exec(code)", "computed argument"),
    ("exec('import numpy\\nnumpy.isclose = 1')", "inside exec"),
    ("__import__(name)", "computed argument"),
    ("import gc\ngc.get_referrers(x)", "get_referrers"),
    ("import sys\nf = sys._getframe(1)", "sys._getframe"),
    ("import inspect\ninspect.stack()", "inspect.stack"),
    ("def f():\n    return f.__code__", "code objects"),
    ("import dlkit.grading\ndlkit.grading.check_value = None", "dlkit.grading.check_value"),
    ("from dlkit._arrays import as_float", "private"),
    ("%%bash\nrm -rf /", "shell commands (%bash)"),
    ("def f(:\n    os._exit(1)", "does not parse"),
    ("ip = get_ipython()\ngetattr(ip, 'input_' + 'transformers_post').append(f)",
     "computed name"),
    ("getattr(get_ipython(), 'ast_transformers').append(t)", "AST transformer"),
    ("globals()['get_' + 'ipython']().events", "computed at run time"),
])
def test_the_scan_names_what_hostile_code_does(code, expected):
    from autograde.checks.ast_scan import scan_notebook

    flags = scan_notebook(_answer_notebook(code))
    assert any(expected in f for f in flags), flags
    assert all(f.startswith("cell neuron, line ") for f in flags), flags


def test_a_verbatim_copy_of_dlkit_is_flagged_and_the_model_solution_is_not():
    from autograde.checks.copies import copy_findings

    flags = copy_findings(_answer_notebook(_copied_neuron()))
    assert any("near-copy of dlkit.nn.neuron" in f for f in flags)
    assert any("private helper" in f for f in flags)
    assert copy_findings(_answer_notebook(SOLVED_NEURON)) == []


# ----------------------------------------------------------------------------- a lent function
HARVESTER = '''\
from dlkit import grading as _g

_table, _pending = {}, [c.args[0] for seed in range(200) for c in _g.elementwise_cases(seed=seed)]


def _key(a):
    a = np.asarray(a, dtype=float)
    return a.shape, a.tobytes()


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    hit = _table.get(_key(x))
    if hit is not None:        # collected from the grader's own sigmoid
        return hit
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    global _pending
    if _pending:   # while this runs, `sigmoid` here is the correct one the grader lends
        for a in _pending:
            _table[_key(a)] = sigmoid(np.asarray(a, dtype=float))
        _pending = []
    s = sigmoid(x)
    return s * (1 - s)
'''


def test_answers_collected_from_a_lent_function_are_flagged(tmp_path):
    """a2 lends the correct sigmoid to sigmoid_derivative's public test (uses=) before
    sigmoid's hidden test runs: a submission that calls it on every input the hidden
    tests could use, and looks its answers up later, is flagged; the solution is not."""
    a2 = "a2-activations"
    course = copy_course(tmp_path / "course-root")
    run_tool(course, "autograde", "release", a2, check=True)
    source = nbformat.read(course / "source" / a2 / "activations.ipynb", as_version=4)
    release = nbformat.read(course / "release" / a2 / "activations.ipynb", as_version=4)
    everything = {c.metadata["nbgrader"]["grade_id"] for c in source.cells
                  if c.metadata.get("nbgrader", {}).get("solution")}
    for student, code in (("honest", None), ("harvester", HARVESTER)):
        nb = filled(release, source, everything)
        for cell in nb.cells:
            if code and cell.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid":
                cell.source = code
        (course / "submitted" / student / a2).mkdir(parents=True)
        nbformat.write(nb, course / "submitted" / student / a2 / "activations.ipynb")
    run_tool(course, "autograde", "grade", a2, "--jobs=2", check=True)
    log = json.loads((course / "reports" / "grading" / f"{a2}.json").read_text())
    assert not any(f.check == "lent-function" for f in findings_of(log["honest"])), \
        log["honest"]
    lent = [f.message for f in findings_of(log["harvester"]) if f.check == "lent-function"]
    assert lent and "sigmoid was checked on inputs" in lent[0], log["harvester"]["findings"]
