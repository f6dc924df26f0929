"""autograde.withheld: each assignment's grading kernel imports a dlkit without its references.

The views are imported in a fresh interpreter, as a grading kernel imports
them (first on PYTHONPATH). Oracles: the real dlkit (what a withheld
function computes), and a probe that calls every public function the view
still offers with a withheld function's inputs (no other way to the same
numbers may be left).
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograde import withheld

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())
pytestmark = pytest.mark.xdist_group("withheld")


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    base = tmp_path_factory.mktemp("views")
    return {a: withheld.build_view(ROOT, a, base / a) for a in ASSIGNMENTS}


def in_view(view: Path, code: str) -> dict:
    """Run ``code`` with the view first on the path; it prints one JSON line."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=view, timeout=120,
                          env={"PYTHONPATH": str(view), "MPLBACKEND": "Agg",
                               "PATH": "/usr/bin:/bin", "NBGRADER_EXECUTION": "autograde"})
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_references_the_tests_name_are_withheld_with_what_calls_them():
    a1 = withheld.plan(ROOT, "a1-neurons")
    assert {"dlkit.nn.neuron", "dlkit.nn.dense_forward"} <= set(a1.from_tests)
    assert {"dlkit.nn.Dense.forward", "dlkit.worked_example.one_step",
            "dlkit.widgets.neuron.neuron_explorer"} <= set(a1.withheld)
    assert "dlkit.activations.sigmoid" not in a1.withheld   # a1 builds on it
    a2 = withheld.plan(ROOT, "a2-activations")
    # found by the closure: they call a withheld activation
    assert {"dlkit.plots.plot_activations", "dlkit.perceptron.lecture_output",
            "dlkit.activations.softmax_vjp"} <= set(a2.withheld)
    a3 = withheld.plan(ROOT, "a3-nonlinearity")
    assert not any(n.startswith("dlkit.nn.") for n in a3.withheld)   # xor-mlp uses dlkit.nn


def test_a_name_in_the_schedule_that_is_not_dlkits_is_refused(tmp_path):
    import shutil

    course = tmp_path / "course"
    shutil.copytree(ROOT / "course", course / "course")
    shutil.copytree(ROOT / "source" / "a1-neurons", course / "source" / "a1-neurons")
    text = (course / "course" / "schedule.yaml").read_text()
    (course / "course" / "schedule.yaml").write_text(
        text.replace("      - dlkit.worked_example ", "      - dlkit.no_such_thing ", 1))
    with pytest.raises(ValueError, match="dlkit.no_such_thing"):
        withheld.plan(course, "a1-neurons")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_module_imports_and_every_withheld_name_says_so(assignment, views):
    view = views[assignment]
    result = in_view(view, """
import importlib, inspect, io, json, contextlib, pkgutil
import dlkit, dlkit._withheld
plan = json.load(open('withheld.json'))
for m in pkgutil.walk_packages(dlkit.__path__, 'dlkit.'):
    importlib.import_module(m.name)
report = {'file': dlkit.__file__, 'raised': [], 'quiet': [], 'ran': []}
for name in plan['withheld']:
    parts = name.split('.')
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:i])); break
        except ImportError:
            continue
    for p in parts[i:]:
        obj = getattr(obj, p)
    if inspect.ismodule(obj) or not callable(obj):
        continue
    if inspect.isclass(obj) and '__init__' not in vars(obj):
        continue   # a record (a NamedTuple of functions): kept, it holds the stubs
    params = [p for p in inspect.signature(obj).parameters.values()
              if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    method = '.' in obj.__qualname__ and not inspect.isclass(obj)
    args = [None] * (len(params) - method)
    if method:
        args = [object()] + args   # a method: any self will do
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            obj(*args)
        quiet = 'not drawn' in out.getvalue() or name.rsplit('.', 1)[-1].startswith('_')
        report['quiet' if quiet else 'ran'].append(name)
    except dlkit._withheld.WithheldError as e:
        report['raised'].append(name)
print(json.dumps(report))
""")
    assert result["file"].startswith(str(view)), result["file"]
    assert result["ran"] == [], f"withheld but still computing: {result['ran']}"
    assert result["raised"], "nothing raised WithheldError"
    for name in result["quiet"]:
        assert name.startswith(withheld.QUIET_MODULES) or name.rsplit(".", 1)[-1][0] == "_"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_withheld_code_is_left_in_the_view(assignment, views):
    """Not even its text: a withheld function's body (its docstring too) is gone."""
    import dlkit

    view, plan = views[assignment], withheld.plan(ROOT, assignment)
    texts = "\n".join(p.read_text() for p in (view / "dlkit").rglob("*.py"))
    real = "\n".join(p.read_text() for p in (ROOT / "dlkit").rglob("*.py"))
    for name in plan.from_tests:
        obj = _resolve(name)
        body = inspect.getsource(obj).split('"""')[-1].strip().splitlines()
        # the function's own lines (those written nowhere else in dlkit)
        lines = [ln.strip() for ln in body if len(ln.strip()) > 25 and real.count(ln.strip()) == 1]
        left = [ln for ln in lines if ln in texts]
        assert not left, f"{name}'s code is still in the view: {left[:3]}"
    assert dlkit.nn.neuron([1.0], [2.0], 0.5) == 2.5   # the grader keeps the real one


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nothing_left_in_the_view_computes_a_withheld_function(assignment, views):
    """The indirect-path probe: every public function the view still offers, called with
    the inputs of each function the tests name (and with those inputs plus the defaults a
    check uses), must not return the withheld function's numbers."""
    view, plan = views[assignment], withheld.plan(ROOT, assignment)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 2)).round(6)
    W, b = rng.normal(size=(2, 4)).round(6), rng.normal(size=4).round(6)
    probes = {   # per withheld function: its result on a random input, from the real dlkit
        name: value for name, value in _expected(plan.from_tests, x, W, b).items()}
    result = in_view(view, f"""
import importlib, inspect, json, pkgutil, warnings, io, contextlib
import numpy as np
import dlkit
x, W, b = np.array({x.tolist()}), np.array({W.tolist()}), np.array({b.tolist()})
calls = [(x,), (x, W, b), (x[0], W[:, 0], float(b[0])), (x[0], W[:, 0], float(b[0]), None),
         (W, x, W), (x, x)]
wanted = {json.dumps({k: v.tolist() for k, v in probes.items()})}
probes = {{k: np.array(v) for k, v in wanted.items()}}
hits = []
warnings.simplefilter('ignore')
for m in pkgutil.walk_packages(dlkit.__path__, 'dlkit.'):
    if m.name.startswith(('dlkit.grading', 'dlkit.widgets', 'dlkit._')):
        continue
    mod = importlib.import_module(m.name)
    for attr, fn in vars(mod).items():
        if attr.startswith('_') or not callable(fn) or inspect.isclass(fn) or \\
                getattr(fn, '__module__', '') != m.name:
            continue
        for args in calls:
            try:
                with contextlib.redirect_stdout(io.StringIO()), np.errstate(all='ignore'):
                    got = np.asarray(fn(*args), dtype=float)
            except Exception:
                continue
            for name, want in probes.items():
                if got.shape == want.shape and np.allclose(got, want):
                    hits.append(f'{{m.name}}.{{attr}} reproduces {{name}}')
print(json.dumps(sorted(set(hits))))
""")
    assert result == [], result


def _resolve(name: str):
    """The real dlkit object a qualified name stands for (a module, function or method)."""
    import importlib

    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            continue
    for part in parts[i:]:
        obj = getattr(obj, part)
    return getattr(obj, "__func__", obj)


def _expected(names, x, W, b) -> dict:
    """What each named dlkit function returns on the probe inputs (real dlkit)."""
    out = {}
    for name in names:
        module, _, attr = name.rpartition(".")
        try:
            obj = __import__(module, fromlist=["x"])
        except ImportError:
            continue
        fn = getattr(obj, attr, None)
        if fn is None or inspect.isclass(obj) or not callable(fn):
            continue
        for args in [(x,), (x, W, b), (x[0], W[:, 0], float(b[0]))]:
            try:
                with np.errstate(all="ignore"):
                    value = np.asarray(fn(*args), dtype=float)
            except Exception:
                continue
            if value.size > 1 or (value.size == 1 and value.item() not in (0.0, 1.0)):
                out[f"{name}{len(args)}"] = value
                break
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_view_ships_dlkits_data(assignment, views):
    """dlkit/datasets (the digits) is copied into the view: a kernel can load it."""
    result = in_view(views[assignment], """
import json
from dlkit.data import digits
X, y = digits("test")
print(json.dumps({"shape": list(X.shape), "labels": sorted(set(y.tolist()))}))
""")
    assert result == {"shape": [359, 64], "labels": list(range(10))}
