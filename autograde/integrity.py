"""Tripwires: checks on the student's kernel that the kernel itself cannot see coming.

nbgrader scores a test cell by its outputs: no error, full marks. So a kernel
that hides errors (an IPython input transformer that empties test cells, a
custom exception handler, a patched ``showtraceback`` or ``run_cell``, a
replaced ``grading.check_*`` or ``numpy.testing``) makes every later test
pass. Nothing the kernel prints about itself can be trusted, but the grader
can plant cells whose correct outcome it knows in advance:

- **canaries**: cells written like the notebook's test cells (the same
  ``grading.check_*`` / ``np.testing`` / ``assert`` vocabulary, comments and
  hidden-test markers) that MUST fail in an honest kernel: a wrong value, two
  different arrays, a false assertion. One goes after every autograded test
  cell, so a transformer that neutralises test cells cannot tell them apart;
- a **token** cell that must print a random token (a kernel that swallows
  cells, or output, shows nothing);
- an **integrity probe**: a first cell, run before any student code, notes
  numpy's, dlkit's, builtins' and IPython's machinery; a last cell reports
  what was replaced since (reported as a flag: honest code has no reason to).

Everything random comes from the grader (``secrets``), fresh for every
notebook, never from the student's kernel. :func:`arm` inserts the cells in
the worker before execution; :func:`disarm` reads their outputs and removes
them, so nbgrader's scores and feedback never see them. A canary that
"passed" means the kernel hid a failing check: the notebook's test results
cannot be trusted (the grader fails it and flags it for a look).
"""

from __future__ import annotations

import ast
import json
import re
import secrets
from dataclasses import dataclass, field

import nbformat

PROBE_TAG = "integrity"

_NAMES = ["y_hat", "z", "out", "H", "Y", "loss", "grad", "answers", "probs", "Z", "result",
          "a1", "dW", "db", "y_pred"]
_LABELS = ["random inputs", "a batch of 4 rows", "integer inputs", "large magnitudes",
           "the lecture's example", "a single number", "zeros", "float32 input"]
_COMMENTS = ["# Hidden tests: random sizes, against dlkit.",
             "# Public tests: the lecture's numbers.",
             "# Hidden tests: edge cases.", "", ""]


@dataclass
class Tripwires:
    """The cells :func:`arm` inserted, by their index in the armed notebook."""

    must_fail: dict[int, str] = field(default_factory=dict)   # index -> what it checks
    token: dict[int, str] = field(default_factory=dict)       # index -> token to print
    probe_start: int | None = None
    probe_end: int | None = None
    probe_token: str = ""
    sources: dict[int, str] = field(default_factory=dict)     # index -> source, to verify

    @property
    def indices(self) -> set[int]:
        return set(self.sources)


def _rand_float() -> float:
    return round(secrets.randbelow(2_000_000) / 1000.0 - 1000.0, 3)


def _two_different() -> tuple[float, float]:
    a = _rand_float()
    b = a + (1 + secrets.randbelow(500)) * (1 if secrets.randbelow(2) else -1)
    return a, round(b, 3)


CANARY_KINDS = 6


def _kinds(n: int) -> list[int]:
    """``n`` canary kinds in random order, every kind at least once when n >= 6."""
    kinds: list[int] = []
    while len(kinds) < n:
        batch = list(range(CANARY_KINDS))
        secrets.SystemRandom().shuffle(batch)
        kinds += batch
    return kinds[:n]


def _canary(kind: int) -> tuple[str, str]:
    """(source, description) of a cell that must fail in an honest kernel."""
    name, label = secrets.choice(_NAMES), secrets.choice(_LABELS)
    a, b = _two_different()
    c, d = _two_different()
    if kind == 0:
        body = f'grading.check_value("{name}", {a!r}, {b!r})', "a grading.check_value"
    elif kind == 1:
        body = (f"grading.check_function(lambda *args, **kwargs: {a!r}, None, [\n"
                f'    Case(({c!r},), {{}}, "{label}", expected={b!r}),\n'
                f'], name="{name}")'), "a grading.check_function"
    elif kind == 2:
        body = (f"np.testing.assert_allclose(np.array([{a!r}, {c!r}]), "
                f"np.array([{b!r}, {d!r}]))"), "a numpy.testing assertion"
    elif kind == 3:
        body = f'assert {a!r} == {b!r}, "{name} is wrong"', "an assert statement"
    elif kind == 4:
        body = (f'grading.check_true({min(a, b)!r} > {max(a, b)!r}, "{name} is '
                f'{label}")'), "a grading.check_true"
    else:
        exc = "Check" + secrets.token_hex(3).upper()
        body = (f'raise type("{exc}Failed", (AssertionError,), {{}})("{name}: {label}")',
                "a raised AssertionError")
    comment = secrets.choice(_COMMENTS)
    hidden = secrets.randbelow(2)
    lines = [comment] if comment else []
    lines += ["### BEGIN HIDDEN TESTS", body[0], "### END HIDDEN TESTS"] if hidden else [body[0]]
    return "\n".join(lines), body[1]


def _mirrors(source: str) -> list[tuple[str, str]]:
    """Canaries that repeat a test cell's own checks (the same function and the same
    student names) with a random wrong expectation: a transformer that recognises
    test cells by what they check cannot spare them, and an honest kernel fails
    them whatever the student wrote (a wrong value, a wrong call, a NameError)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out, seen = [], set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("check_function", "check_value", "check_choices")
                and node.args):
            continue
        def text(n):   # as the test cell writes it (quotes, spacing)
            return ast.get_source_segment(source, n) or ast.unparse(n)

        func, first = text(node.func), text(node.args[0])
        second = text(node.args[1]) if len(node.args) > 1 else "None"
        if (func, first) in seen or len(first) > 200 or len(second) > 200:
            continue
        seen.add((func, first))
        a, b = _two_different()
        label, token = secrets.choice(_LABELS), secrets.token_hex(4)
        if node.func.attr == "check_function":
            src = (f"{func}({first}, None, [\n"
                   f'    Case(({a!r},), {{}}, "{label}", expected={b!r}),\n'
                   "], time_limit=2)")
        elif node.func.attr == "check_value":
            src = f"{func}({first}, {second}, {b!r})"
        else:
            src = f'{func}({first}, {second}, {{0: "{token}"}}, choices=["{token}"])'
        out.append((src, f"a repeat of the test's {node.func.attr}({first}, ...)"))
    return out[:2]


def _token_cell() -> tuple[str, str]:
    token = secrets.token_hex(8)
    name = secrets.choice(_NAMES)
    return f'grading.check_true(True, "{name} is {token}")', token


_WATCHED = {
    "numpy": ["allclose", "isclose", "array_equal", "asarray", "array", "all", "any", "abs",
              "testing"],
    "numpy.testing": ["assert_allclose", "assert_array_equal", "assert_equal",
                      "assert_almost_equal"],
    "builtins": ["print", "isinstance", "len", "abs", "all", "any", "float", "bool", "round",
                 "sum", "max", "min", "type", "repr", "str", "open", "__import__", "exec",
                 "eval", "getattr", "setattr", "AssertionError", "Exception"],
    "dlkit.grading": ["check_function", "check_value", "check_true", "check_choices",
                      "CheckFailed", "Case", "forbid_calls", "_compare", "_problem",
                      "_difference", "_as_comparable", "_run_guarded", "describe"],
    "dlkit.nn": ["neuron", "dense_forward"],
}


def _probe_start_source(var: str) -> str:
    watched = json.dumps(_WATCHED)
    return f'''\
def {var}():
    import builtins, importlib, sys
    import numpy, numpy.testing, dlkit, dlkit.grading, dlkit.nn
    watched = {watched}
    def snapshot():
        state = {{}}
        for mod, names in watched.items():
            m = sys.modules.get(mod)
            state["sys.modules[%r]" % mod] = m
            for n in names:
                state["%s.%s" % (mod, n)] = getattr(m, n, None)
        for mod in list(watched) + ["IPython", "numpy.linalg"]:
            state["sys.modules[%r]" % mod] = sys.modules.get(mod)
        ip = get_ipython()
        for attr in ("input_transformers_post", "input_transformers_cleanup",
                     "ast_transformers"):
            state["IPython " + attr] = tuple(getattr(ip, attr, ()))
        state["IPython input_transformer_manager"] = getattr(ip, "input_transformer_manager",
                                                             None)
        state["IPython custom exception handlers"] = tuple(ip.custom_exceptions)
        for attr in ("showtraceback", "run_cell", "run_cell_async", "run_ast_nodes",
                     "run_code", "_showtraceback", "showsyntaxerror", "transform_cell",
                     "set_custom_exc", "CustomTB"):
            state["IPython " + attr] = vars(ip).get(attr, getattr(type(ip), attr, None))
        state["sys.stdout"], state["sys.stderr"] = sys.stdout, sys.stderr
        state["sys.displayhook"] = sys.displayhook
        state["sys.gettrace"] = sys.gettrace()
        return state
    first = snapshot()
    def check(token):
        now = snapshot()
        def same(a, b):
            if isinstance(a, tuple) and isinstance(b, tuple):
                return len(a) == len(b) and all(x is y for x, y in zip(a, b))
            return a is b
        changed = sorted(k for k in first if not same(now.get(k), first[k]))
        print("AUTOGRADE-INTEGRITY", token, __import__("json").dumps(changed))
    return check
{var} = {var}()'''


def arm(nb) -> tuple[nbformat.NotebookNode, Tripwires]:
    """A copy of ``nb`` with canaries, a token cell and the integrity probe inserted."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))   # deep copy, plain nodes
    wires = Tripwires()
    var = "_" + secrets.choice(_NAMES).lower() + "_" + secrets.token_hex(4)
    wires.probe_token = secrets.token_hex(8)
    tests = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and c.get("metadata", {}).get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    plan: list[tuple[int, str, str, str]] = []   # (insert after index, kind, source, info)
    plan.append((-1, "probe_start", _probe_start_source(var), ""))
    # one canary after every test cell, and at the end as many as it takes for
    # every kind to appear (a patch of one kind of check cannot slip through)
    kinds = _kinds(max(len(tests) + 1, CANARY_KINDS))
    for i, kind in zip(tests, kinds, strict=False):
        src, what = _canary(kind)
        plan.append((i, "must_fail", src, what))
        for src, what in _mirrors(nb.cells[i].source):
            plan.append((i, "must_fail", src, what))
    last = max(tests) if tests else len(nb.cells) - 1
    src, token = _token_cell()
    plan.append((last, "token", src, token))
    for kind in kinds[len(tests):]:
        src, what = _canary(kind)
        plan.append((len(nb.cells) - 1, "must_fail", src, what))
    plan.append((len(nb.cells) - 1, "probe_end",
                 f'{var}("{wires.probe_token}")', ""))
    cells = list(nb.cells)
    out = []
    by_pos: dict[int, list] = {}
    for after, kind, src, info in plan:
        by_pos.setdefault(after, []).append((kind, src, info))
    for kind, src, info in by_pos.get(-1, []):
        out.append((kind, src, info))
    for i, cell in enumerate(cells):
        out.append(cell)
        for item in by_pos.get(i, []):
            out.append(item)
    nb.cells = []
    for item in out:
        if isinstance(item, tuple):
            kind, src, info = item
            idx = len(nb.cells)
            nb.cells.append(nbformat.v4.new_code_cell(src))
            wires.sources[idx] = src
            if kind == "must_fail":
                wires.must_fail[idx] = info
            elif kind == "token":
                wires.token[idx] = info
            elif kind == "probe_start":
                wires.probe_start = idx
            else:
                wires.probe_end = idx
        else:
            nb.cells.append(item)
    return nb, wires


def _ran(cell) -> bool:
    return cell.get("execution_count") is not None or bool(cell.get("outputs"))


def _failed(cell) -> bool:
    """nbgrader's rule (utils.determine_grade): an error or stderr output scores zero."""
    return any(o.get("output_type") == "error"
               or (o.get("output_type") == "stream" and o.get("name") == "stderr")
               for o in cell.get("outputs", []))


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _where(nb, wires: Tripwires, idx: int) -> str:
    """The autograded test cell a canary follows: 'after neuron-hidden'."""
    for j in range(idx - 1, -1, -1):
        if j in wires.indices:
            continue
        gid = nb.cells[j].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            return f"after {gid}"
    return "at the top"


def inspect(nb, wires: Tripwires) -> tuple[list[str], list[str]]:
    """(tampered, probe) findings from an executed armed notebook.

    ``tampered``: canaries that passed, tokens that did not show, a probe that
    did not report: the kernel hid or altered what it ran. ``probe``: what
    the integrity probe found replaced while the notebook ran.
    """
    tampered, probe = [], []
    if len(nb.cells) < max(wires.indices, default=-1) + 1:
        return ["the executed notebook lost cells"], []
    for idx in sorted(wires.indices):
        if nb.cells[idx].get("source") != wires.sources[idx]:
            tampered.append(f"a planted check ({idx}) came back with other code")
    for idx, what in sorted(wires.must_fail.items()):
        cell = nb.cells[idx]
        if _ran(cell) and not _failed(cell):
            tampered.append(f"a planted check that must fail ({what}, {_where(nb, wires, idx)}) "
                            "passed")
    for idx, token in sorted(wires.token.items()):
        cell = nb.cells[idx]
        if _ran(cell) and (token not in _stdout(cell) or _failed(cell)):
            tampered.append(f"a planted check that must pass and print a random token "
                            f"({_where(nb, wires, idx)}) did not show it")
    if wires.probe_end is not None and _ran(nb.cells[wires.probe_end]):
        cell = nb.cells[wires.probe_end]
        line = next((ln for ln in _stdout(cell).splitlines()
                     if ln.startswith("AUTOGRADE-INTEGRITY " + wires.probe_token)), None)
        if line is None:
            probe.append("the integrity probe at the end of the notebook did not report "
                         "(its output was hidden, or its state was removed from the kernel)")
        else:
            try:
                changed = json.loads(line.split(" ", 2)[2])
            except (ValueError, IndexError):
                changed = ["(unreadable report)"]
            if changed:
                shown = ", ".join(changed[:8]) + (", ..." if len(changed) > 8 else "")
                probe.append(f"replaced while the notebook ran: {shown}")
    return tampered, probe


def disarm(output: str, wires: Tripwires, result: dict) -> str:
    """Check the planted cells of an executed notebook (JSON text) and remove them.

    Sets ``result["tampered"]`` and ``result["integrity"]`` (lists of
    sentences) and records both in the notebook's metadata (``autograde``),
    which the grader reads and removes before nbgrader saves the grades.
    """
    nb = nbformat.reads(output, as_version=4)
    try:
        tampered, probe = inspect(nb, wires)
    except Exception as exc:   # never let a check crash the worker
        tampered, probe = [f"the planted checks could not be read ({type(exc).__name__})"], []
    keep = [c for i, c in enumerate(nb.cells) if i not in wires.indices]
    if len(nb.cells) >= max(wires.indices, default=-1) + 1:
        nb.cells = keep
    result["tampered"], result["integrity"] = tampered, probe
    if result.get("error"):
        result["error"] = renumber(result["error"], wires)
    nb.metadata["autograde"] = {"tampered": tampered, "integrity": probe}
    return nbformat.writes(nb)


def renumber(text: str, wires: Tripwires) -> str:
    """Cell numbers in a worker's message, as in the notebook without the planted cells."""
    def fix(m):
        index = int(m.group(2)) - 1
        if index in wires.indices:
            return m.group(1) + "a check cell planted by the grader"
        return m.group(1) + f"cell {index + 1 - sum(1 for i in wires.indices if i < index)}"
    return re.sub(r"(\(|running |^)cell (\d+)", fix, text)


def pop_findings(nb) -> dict:
    """The worker's findings recorded by :func:`disarm` (removed from ``nb``)."""
    return dict(nb.metadata.pop("autograde", None) or {})


# ----------------------------------------------------------------------------- structure
class RestoreCellMetadata:
    """Put every grading cell's nbgrader metadata back as the gradebook has it.

    Runs first in the sanitize step, on the copy nbgrader prepares (never on
    submitted/). nbgrader's own OverwriteCells restores a test cell's source,
    points, cell type and lock, but not its ``grade``/``solution`` flags (a
    test cell turned into an answer cell is scored by hand, or stops the
    notebook with "Inconsistent checksums"), and it leaves cells with an
    unknown grade id half-marked. Here every known grade id gets the
    gradebook's cell type and flags, unknown ones lose their grading
    metadata, and each change is recorded in ``findings`` as a sentence.
    A duplicated grade id keeps its grading metadata on its last copy only
    (the copy nbgrader's DeduplicateIds keeps; left to nbgrader, the others
    would stop the notebook with a KeyError).
    """

    def __init__(self, db_url: str):
        self.db_url = db_url
        self.findings: list[str] = []

    def __call__(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        self.findings = []
        info = resources.get("nbgrader", {})
        notebook, assignment = info.get("notebook"), info.get("assignment")
        try:
            with Gradebook(self.db_url) as gb:
                source = gb.find_notebook(notebook, assignment)
                cells = {c.name: {"cell_type": c.cell_type, "locked": bool(c.locked)}
                         for c in source.source_cells}
                for c in source.grade_cells:
                    cells.setdefault(c.name, {}).update(grade=True, points=float(c.max_score),
                                                        cell_type=c.cell_type)
                for c in source.solution_cells:
                    cells.setdefault(c.name, {}).update(solution=True)
        except MissingEntry:
            return nb, resources
        seen: dict[str, int] = {}
        unknown: list[str] = []
        last = {}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and meta.get("grade_id") in cells:
                last[meta["grade_id"]] = id(cell)
        for index, cell in enumerate(nb.cells, start=1):
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            if not isinstance(meta, dict) or not meta:
                cell.metadata.pop("nbgrader", None)
                continue
            gid = meta.get("grade_id")
            if gid not in cells:
                if meta.get("grade") or meta.get("solution") or meta.get("locked"):
                    unknown.append(f"{gid!r} (cell {index})" if gid else f"cell {index}")
                cell.metadata.pop("nbgrader", None)
                continue
            seen[gid] = seen.get(gid, 0) + 1
            if last[gid] != id(cell):
                cell.metadata.pop("nbgrader", None)   # graded once: its last copy
                continue
            want = cells[gid]
            changes = []
            if cell.cell_type != want["cell_type"]:
                changes.append(f"its type was changed to {cell.cell_type}")
                cell.cell_type = want["cell_type"]
                if cell.cell_type == "code":
                    cell.setdefault("outputs", [])
                    cell.setdefault("execution_count", None)
                else:
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
            for flag in ("grade", "solution", "locked"):
                if bool(meta.get(flag)) != bool(want.get(flag)):
                    changes.append(f"its '{flag}' flag was set to {bool(meta.get(flag))}")
                    meta[flag] = bool(want.get(flag))
            if want.get("grade"):
                try:
                    points = float(meta.get("points"))
                except (TypeError, ValueError):
                    points = None
                if points != want["points"]:
                    changes.append(f"its points were changed to {meta.get('points')!r} "
                                   f"(from {want['points']:g})")
                    meta["points"] = want["points"]
            elif "points" in meta:
                meta.pop("points")
            if changes:
                self.findings.append(f"cell {gid}: {', '.join(changes)} (restored for grading)")
        if unknown:
            self.findings.append(f"{len(unknown)} cell(s) carry grading metadata that is not "
                                 f"in the assignment, ignored: {', '.join(unknown)}")
        for gid, n in seen.items():
            if n > 1:
                self.findings.append(f"grade id {gid} appears {n} times (only the last copy is "
                                     "graded, as nbgrader does)")
        return nb, resources
