"""Test cells run in the grader's own process, on the student's answers as data.

nbgrader scores a test cell by its outputs. If the test cells ran in the
student's kernel, the student's process would decide what they output
(patched checks, a replaced ``Session.send``, frames read for the expected
values). Here they run in the worker instead, which the student cannot
touch:

- the notebook's **trusted cells** (those whose source nbgrader restores
  from the gradebook: the locked setup cells and the autograded test cells)
  run in a fresh namespace, :class:`StudentNames`, with the real dlkit;
- a name a test cell needs that no trusted cell defined comes from the
  student's kernel through :class:`autograde.bridge.Bridge`: a variable as
  plain data, a function as a proxy that calls it over there;
- the outputs (stdout, stderr, the error and its message, a last
  expression's value) are made here, in nbformat's shapes, and nbgrader's
  own SaveAutoGrades scores them as it scores a kernel's.

Setup cells also run in the student's kernel (the student's code needs
``np`` and friends); test cells run only here. What a *public* test cell
defines as plain data (``X1``, ``W1``) is pushed into the student's kernel
afterwards, as it would be there when a student runs the notebook; hidden
test cells push nothing.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import linecache
import sys
import traceback

import nbformat

from autograde.bridge import Bridge, BridgeError, KernelDied, KernelUnresponsive, RemoteFunction

STUDENT, BOTH, TRUSTED = "student", "both", "trusted"
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"
PUSH_LIMIT = 8 * 2**20      # bytes of a public test cell's data pushed to the student
_BUILTINS = frozenset(dir(builtins))


def cell_role(cell) -> str:
    """Where a cell runs: the student's kernel, both, or only the trusted side.

    Only cells whose source nbgrader restores from the gradebook (locked,
    not an answer) are trusted; the grader restores their metadata first
    (:class:`autograde.integrity.RestoreCellMetadata`).
    """
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code" or not isinstance(meta, dict) or meta.get("solution"):
        return STUDENT
    if meta.get("grade"):
        return TRUSTED
    return BOTH if meta.get("locked") else STUDENT


class StudentNames(dict):
    """The namespace test cells run in: their own names, then the student's (as data).

    ``lookup(names)`` fetches the student's values for names not defined
    here (:meth:`Bridge.lookup`); they are cached for one cell and never
    stored, so a test cell's own assignments always win and a later cell
    sees the student's current value. With ``listing()`` (:meth:`Bridge.names`:
    the names the student defined, no values) only names the student has are
    asked for: the other names a hidden test cell reads never reach the
    student's kernel, where a later cell could print them into its feedback.
    """

    def __init__(self, lookup, bridge=None, listing=None):
        super().__init__(__name__="__main__", __builtins__=builtins)
        self._lookup = lookup
        self._bridge = bridge
        self._listing = listing
        self._defined: set | None = None   # the student's names, listed once a cell
        self._cache: dict = {}

    @contextlib.contextmanager
    def __grading_substitute__(self, uses: dict):
        """A check's ``uses=`` on a test cell's own function: bound here, and in the
        student's namespace for every call into it meanwhile (as in one kernel)."""
        missing = object()
        saved = {name: dict.get(self, name, missing) for name in uses}
        self.update(uses)
        previous = self._bridge.ambient_uses if self._bridge is not None else {}
        if self._bridge is not None:
            self._bridge.ambient_uses = {**previous, **uses}
        try:
            yield
        finally:
            if self._bridge is not None:
                self._bridge.ambient_uses = previous
            for name, old in saved.items():
                if old is missing:
                    self.pop(name, None)
                else:
                    self[name] = old

    def prefetch(self, names, *, settled: bool = False) -> None:
        """Fetch the student's values of ``names`` for this cell. A name the student has
        not defined is asked about again when the cell reads it (``settled``: a call into
        the student's code may have defined it meanwhile), then taken as absent."""
        wanted = [n for n in names if n not in self and n not in self._cache
                  and n not in _BUILTINS and not n.startswith("__")]
        if wanted and self._listing is not None:
            if self._defined is None or (settled and any(n not in self._defined
                                                         for n in wanted)):
                self._defined = self._listing()
            if settled:
                for name in wanted:
                    if name not in self._defined:
                        self._cache[name] = _ABSENT
            wanted = [n for n in wanted if n in self._defined]
        if wanted:
            found = self._lookup(wanted)
            for name in wanted:
                self._cache[name] = found.get(name, _ABSENT)

    def new_cell(self) -> None:
        self._cache.clear()
        self._defined = None

    def __missing__(self, name):
        if not isinstance(name, str) or name in _BUILTINS or name.startswith("__"):
            raise KeyError(name)
        if name not in self._cache:
            self.prefetch([name], settled=True)
        value = self._cache.get(name, _ABSENT)
        if value is _ABSENT:
            raise KeyError(name)
        return value

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name):
        return dict.__contains__(self, name)


_ABSENT = object()


class _Streams:
    """stdout and stderr of a trusted cell, in the order they were written."""

    def __init__(self):
        self.chunks: list[list[str]] = []

    def writer(self, name: str):
        streams = self

        class Writer(io.TextIOBase):
            def write(self, text):
                text = str(text)
                if streams.chunks and streams.chunks[-1][0] == name:
                    streams.chunks[-1][1] += text
                elif text:
                    streams.chunks.append([name, text])
                return len(text)

            def writable(self):
                return True

        return Writer()

    def outputs(self) -> list:
        return [nbformat.v4.new_output("stream", name=n, text=t) for n, t in self.chunks if t]


class TrustedCells:
    """Runs a notebook's trusted cells here, against the student's kernel over ``bridge``."""

    def __init__(self, bridge: Bridge):
        self.bridge = bridge
        self.ns = StudentNames(bridge.lookup, bridge, bridge.names)
        self.count = 0

    def run(self, cell, push: bool = True) -> list:
        """Execute a trusted cell's source; return its outputs (nbformat nodes)."""
        self.ns.new_cell()
        self.count += 1
        source = cell.get("source", "")
        label = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {self.count}")
        filename = f"<test cell {label}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        streams = _Streams()
        outputs: list = []
        try:
            tree = ast.parse(source, filename=filename)
        except SyntaxError as exc:
            return [_error_output(exc, source)]
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        try:
            self.ns.prefetch(_names(tree))
            with contextlib.redirect_stdout(streams.writer("stdout")), \
                    contextlib.redirect_stderr(streams.writer("stderr")):
                exec(compile(tree, f"<test cell {label}>", "exec"), self.ns)   # noqa: S102
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), f"<test cell {label}>",
                                         "eval"), self.ns)
                    if value is not None:
                        outputs.append(nbformat.v4.new_output(
                            "execute_result", data={"text/plain": repr(value)[:10_000]},
                            execution_count=self.count))
        except (KernelUnresponsive, KernelDied):
            raise
        except BaseException as exc:   # what the cell raised: its error output
            outputs.append(_error_output(exc, source))
        if last is not None:
            tree.body.append(last)
        if push and HIDDEN_MARK not in source:   # what it defined, even if a check failed
            self._push(tree)
        self.bridge.end()   # the kernel is the notebook's again
        return streams.outputs() + outputs

    def run_setup(self, cell) -> None:
        """A locked setup cell: the student's kernel ran it; define its names here too."""
        outputs = self.run(cell, push=False)
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if errors:   # the tests' own set-up failed: every later test cell will say so
            sys.stderr.write(f"autograde: a setup cell failed in the trusted process: "
                             f"{errors[0].get('ename')}: {errors[0].get('evalue')}\n")

    def _push(self, tree) -> None:
        """Send the plain data a public test cell defined to the student's kernel."""
        from autograde import wire

        values, size = {}, 0
        for name in _assigned(tree):
            value = dict.get(self.ns, name, _ABSENT)
            if value is _ABSENT or callable(value) or isinstance(value, RemoteFunction):
                continue
            try:
                size += len(wire.encode(value))
            except wire.WireError:
                continue
            if size > PUSH_LIMIT:
                break
            values[name] = value
        try:
            self.bridge.push(values)
        except (KernelUnresponsive, KernelDied):
            raise
        except BridgeError:
            pass


def _names(tree) -> list[str]:
    """Names a cell may read: loaded names and the strings it mentions (globals().get)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            out.append(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.isidentifier() and len(node.value) < 80:
            out.append(node.value)
    return list(dict.fromkeys(out))


def _assigned(tree) -> list[str]:
    """Names a cell binds at its top level."""
    out = []
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    out.append(sub.id)
    return list(dict.fromkeys(out))


def _error_output(exc: BaseException, source: str):
    """An error output as IPython shows it: a check's own message, else the traceback."""
    render = getattr(exc, "_render_traceback_", None)
    lines = None
    if callable(render):
        try:
            lines = [str(line) for line in render()]
        except Exception:
            lines = None
    if lines is None:
        tb = traceback.TracebackException.from_exception(exc)
        # only the test cell's own frames: the grader's are of no use to a student
        tb.stack = traceback.StackSummary.from_list(
            [f for f in tb.stack if f.filename.startswith("<test cell")])
        lines = [line.rstrip("\n") for line in tb.format()]
    return nbformat.v4.new_output("error", ename=type(exc).__name__, evalue=str(exc)[:5000],
                                  traceback=lines)
