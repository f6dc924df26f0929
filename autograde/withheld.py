"""The dlkit a grading kernel sees: the assignment's own reference functions withheld.

The functions an assignment asks students to write are what its test cells
compare against or forbid (``check_function(neuron, dlkit.nn.neuron, ...)``,
``forbid=[dlkit.nn.Dense.backward]``), plus what ``course/schedule.yaml``
lists under ``withhold:`` for the assignment (a module, a class or a
function that reaches the same numbers another way: the lecture's worked
example, a layer's forward pass). Every dlkit function or method that
refers to one of them, directly or through others, is withheld too (a
fixed point over dlkit's own references), except what ``keep:`` lists
(what the assignment's answers legitimately build on).

:func:`build_view` writes a copy of the dlkit package in which each withheld
function, method or class is a stub with the same signature that raises
:class:`dlkit._withheld.WithheldError` (plots and widgets print a line and
return None instead). The grading kernel imports that copy (it comes first
on its ``PYTHONPATH``; the sandbox hides the real one), and nothing of the
withheld code, not even its text, is in it. The trusted process keeps the
real dlkit.
"""

from __future__ import annotations

import ast
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

QUIET_MODULES = ("dlkit.plots", "dlkit.widgets")   # their stubs print and return None
PACKAGE = "dlkit"


@dataclass(frozen=True)
class Plan:
    """What an assignment's grading kernel lacks, and why."""

    assignment: str
    from_tests: tuple[str, ...]     # named by the test cells (references, forbid=)
    declared: tuple[str, ...]       # course/schedule.yaml withhold:
    keep: tuple[str, ...]           # course/schedule.yaml keep:
    withheld: tuple[str, ...]       # all of it, after the closure over dlkit's references


# ----------------------------------------------------------------------------- what
def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def names_in_tests(notebook) -> set[str]:
    """dlkit names the test cells compare against (a check's reference) or forbid."""
    found: set[str] = set()
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lists = {}   # FORBID = [dlkit.nn.Dense.forward, ...] assigned in the cell
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        lists[target.id] = node.value.elts
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "check_function"):
                continue
            candidates = node.args[1:2]
            for kw in node.keywords:
                if kw.arg == "forbid":
                    value = kw.value
                    elts = value.elts if isinstance(value, (ast.List, ast.Tuple)) else \
                        lists.get(value.id, []) if isinstance(value, ast.Name) else []
                    candidates += list(elts)
            for c in candidates:
                name = _dotted(c)
                if name and name.startswith(PACKAGE + "."):
                    found.add(name)
    return found


def plan(course_root, assignment: str, package_dir: Path | None = None) -> Plan:
    """What ``assignment``'s grading kernel lacks (see the module docstring)."""
    course_root = Path(course_root)
    package_dir = package_dir or _package_dir()
    tests: set[str] = set()
    for path in sorted((course_root / "source" / assignment).glob("*.ipynb")):
        tests |= names_in_tests(nbformat.read(path, as_version=4))
    from autograde.course import read_schedule

    entry = next((a for a in read_schedule(course_root / "course") if a.id == assignment), None)
    declared, keep = (entry.withhold, entry.keep) if entry is not None else ((), ())
    index = _Index(package_dir)
    unknown = [n for n in (*declared, *keep) if not index.exists(n)]
    if unknown:
        raise ValueError(f"course/schedule.yaml, {assignment}: not dlkit names: "
                         f"{', '.join(unknown)}")
    withheld = index.closure(set(tests) | set(declared), set(keep))
    return Plan(assignment, tuple(sorted(tests)), declared, keep, tuple(sorted(withheld)))


def _package_dir() -> Path:
    import dlkit

    return Path(dlkit.__file__).resolve().parent


# ----------------------------------------------------------------------------- dlkit's references
class _Index:
    """Every module, function, class and method of dlkit, and the dlkit names each refers to."""

    def __init__(self, package_dir: Path):
        self.modules: dict[str, ast.Module] = {}
        self.defs: dict[str, set[str]] = {}     # qualified name -> dlkit names it refers to
        for path in sorted(package_dir.rglob("*.py")):
            rel = path.relative_to(package_dir.parent).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            module = ".".join(parts)
            tree = ast.parse(path.read_text())
            self.modules[module] = tree
            aliases = self._aliases(module, tree)
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.defs[f"{module}.{node.name}"] = self._refs(node, module, aliases)
                elif isinstance(node, ast.ClassDef):
                    qual = f"{module}.{node.name}"
                    self.defs[qual] = set()
                    for item in node.body:
                        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            self.defs[f"{qual}.{item.name}"] = self._refs(item, module, aliases)
                    self.defs[qual] = self._refs(node, module, aliases, methods=False)

    def _aliases(self, module: str, tree) -> dict[str, str]:
        """Local name -> dlkit qualified name, from the module's imports and definitions."""
        out = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.split(".")[0] == PACKAGE:
                for a in node.names:
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == PACKAGE:
                        out[a.asname or a.name.split(".")[0]] = a.asname and a.name or PACKAGE
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out[node.name] = f"{module}.{node.name}"
        return out

    def _refs(self, node, module, aliases, methods=True) -> set[str]:
        body = node.body if methods else [n for n in node.body if not isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        refs = set()
        for sub in (n for b in body for n in ast.walk(b)):
            name = _dotted(sub) if isinstance(sub, (ast.Attribute, ast.Name)) else None
            if not name:
                continue
            head, _, rest = name.partition(".")
            if head in aliases:
                refs.add(aliases[head] + (f".{rest}" if rest else ""))
        return refs

    def exists(self, name: str) -> bool:
        return name in self.modules or name in self.defs

    def _hit(self, ref: str, withheld: set[str]) -> bool:
        parts = ref.split(".")
        return any(".".join(parts[:i]) in withheld for i in range(1, len(parts) + 1))

    def closure(self, start: set[str], keep: set[str]) -> set[str]:
        withheld = set(start)
        # a withheld module withholds all it defines
        for module in [m for m in self.modules if m in withheld]:
            withheld |= {d for d in self.defs if d.startswith(module + ".")
                         and "." not in d[len(module) + 1:]}
        changed = True
        while changed:
            changed = False
            for name, refs in self.defs.items():
                if name in withheld or name in keep or self._hit(name, withheld):
                    continue
                if any(self._hit(r, withheld) and r not in keep for r in refs):
                    withheld.add(name)
                    changed = True
        return {n for n in withheld if n not in keep}


# ----------------------------------------------------------------------------- the copy
def build_view(course_root, assignment: str, dest) -> Path:
    """Write ``dest/dlkit``: dlkit with ``assignment``'s withheld names stubbed.

    Returns ``dest`` (what goes first on the grading kernel's ``PYTHONPATH``);
    ``dest/withheld.json`` records the plan.
    """
    package_dir = _package_dir()
    the_plan = plan(course_root, assignment, package_dir)
    dest = Path(dest)
    target = dest / PACKAGE
    if target.exists():
        shutil.rmtree(target)
    withheld = set(the_plan.withheld)
    index = _Index(package_dir)
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir)
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        module = ".".join([PACKAGE, *rel.with_suffix("").parts]).removesuffix(".__init__")
        out.write_text(_stubbed(index.modules[module], module, withheld, path.read_text()))
    # the data dlkit ships (dlkit/datasets: the digits), as it is: no code in it
    for path in sorted((package_dir / "datasets").glob("*")):
        if path.is_file() and not path.is_symlink():
            (target / "datasets").mkdir(exist_ok=True)
            shutil.copyfile(path, target / "datasets" / path.name)
    # compiled now, once: a kernel cannot write the view's __pycache__, and would
    # otherwise compile dlkit at every start
    import compileall

    compileall.compile_dir(str(target), quiet=1, workers=1)
    _font_cache(dest / "matplotlib")
    # readable by the kernel's unprivileged user: nothing in it is secret
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (dest / "withheld.json").write_text(json.dumps({
        "assignment": assignment, "from_tests": the_plan.from_tests,
        "declared": the_plan.declared, "keep": the_plan.keep,
        "withheld": the_plan.withheld}, indent=1))
    (dest / "withheld.json").chmod(0o644)
    return dest


_FONTS: list[Path] = []   # built once per process


def _font_cache(folder: Path) -> None:
    """matplotlib's font list, built once a process: a kernel's fresh HOME gets a copy
    (autograde/sandbox.py) instead of scanning the machine's fonts at every start."""
    import atexit
    import os
    import subprocess
    import sys
    import tempfile

    if not _FONTS:
        built = Path(tempfile.mkdtemp(prefix="autograde-fonts-"))
        atexit.register(shutil.rmtree, built, True)
        env = dict(os.environ, MPLCONFIGDIR=str(built), MPLBACKEND="Agg")
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                       capture_output=True, timeout=120, check=False)
        _FONTS.append(built)
    shutil.copytree(_FONTS[0], folder, dirs_exist_ok=True)


def _stub_body(qual: str, quiet: bool) -> list[ast.stmt]:
    call = ast.Expr(ast.Call(
        func=ast.Attribute(value=ast.Call(func=ast.Name("__import__", ast.Load()),
                                          args=[ast.Constant("dlkit._withheld")],
                                          keywords=[ast.keyword("fromlist",
                                                                ast.List([ast.Constant("x")],
                                                                         ast.Load()))]),
                           attr="withheld", ctx=ast.Load()),
        args=[ast.Constant(qual)], keywords=[ast.keyword("quiet", ast.Constant(quiet))]))
    return [call]


def _stub_def(node, qual: str, quiet: bool):
    node.decorator_list = []
    node.body = _stub_body(qual, quiet)
    node.returns = None
    return node


def _stubbed(tree: ast.Module, module: str, withheld: set[str], text: str) -> str:
    """The module's source with its withheld definitions replaced by stubs.

    A withheld function or method keeps its name and signature and loses its
    body, docstring and decorators; a withheld class keeps its data fields
    (a NamedTuple record stays a record) and loses every method's body.
    """
    quiet = module.startswith(QUIET_MODULES)
    everything = any(module == n or module.startswith(n + ".") for n in withheld)
    if not everything and not any(n.startswith(module + ".") for n in withheld):
        return text
    tree = ast.parse(text)
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            qual = f"{module}.{node.name}"
            if everything or qual in withheld:
                tree.body[i] = _stub_def(node, qual, quiet)
        elif isinstance(node, ast.ClassDef):
            qual = f"{module}.{node.name}"
            whole = everything or qual in withheld
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                        whole or f"{qual}.{item.name}" in withheld):
                    _stub_def(item, f"{qual}.{item.name}" if item.name != "__init__" else qual,
                              quiet)
    ast.fix_missing_locations(tree)
    return (f"# {module} as a grading kernel sees it: what this assignment asks students to "
            "write is withheld (autograde/withheld.py)\n" + ast.unparse(tree) + "\n")
