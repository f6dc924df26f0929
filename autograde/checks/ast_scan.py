"""The ast-scan check: answer code that reaches for the grading machinery or the system.

Found by reading each answer cell's syntax tree, never by running it:
patching numpy, dlkit, builtins or IPython, replacing modules, always-true
comparisons, reading the environment, exiting, processes, network, files
outside the submission's folder, code built at run time, frame inspection.
A cell that does not parse is searched with a few regular expressions.
Runs bounded (see :mod:`autograde.bounded`): an expression of 800 terms or a
tree nested beyond the recursion limit is a finding, not a crash.
"""

from __future__ import annotations

import ast
import re

from autograde.checks.base import Check, Submission, answer_cells, python_source
from autograde.status import Finding

PROTECTED = ("numpy", "dlkit", "builtins", "IPython", "ipykernel", "sys", "nbgrader",
             "nbclient", "matplotlib", "scipy", "math", "os", "io", "contextlib", "warnings",
             "inspect", "traceback", "json", "random")
DEFAULT_ALIASES = {"np": "numpy", "plt": "matplotlib.pyplot", "grading": "dlkit.grading",
                   "dlkit": "dlkit", "Case": "dlkit.grading.Case", "sigmoid":
                   "dlkit.activations.sigmoid", "relu": "dlkit.activations.relu",
                   "tanh": "dlkit.activations.tanh"}
IPYTHON_HOOKS = {
    "input_transformers_post": "registers an IPython input transformer (it can rewrite the "
                               "test cells before they run)",
    "input_transformers_cleanup": "registers an IPython input transformer (it can rewrite the "
                                  "test cells before they run)",
    "input_transformer_manager": "replaces IPython's input transformer (it can rewrite the "
                                 "test cells before they run)",
    "ast_transformers": "registers an IPython AST transformer (it can rewrite the test cells "
                        "before they run)",
    "set_custom_exc": "installs a custom exception handler in IPython (it can hide failing "
                      "tests)",
    "custom_exceptions": "installs a custom exception handler in IPython (it can hide failing "
                         "tests)",
    "CustomTB": "installs a custom exception handler in IPython (it can hide failing tests)",
    "InteractiveTB": "replaces IPython's traceback formatter (it can hide failing tests)",
    "showtraceback": "touches IPython's showtraceback (it can hide failing tests)",
    "_showtraceback": "touches IPython's showtraceback (it can hide failing tests)",
    "showsyntaxerror": "touches IPython's error display (it can hide failing tests)",
    "run_cell": "touches IPython's run_cell (it can change what the test cells do)",
    "run_cell_async": "touches IPython's run_cell (it can change what the test cells do)",
    "run_ast_nodes": "touches IPython's code runner (it can change what the test cells do)",
    "run_code": "touches IPython's code runner (it can change what the test cells do)",
    "transform_cell": "touches IPython's cell transformation (it can rewrite the test cells)",
    "events": "registers IPython event callbacks (they run around every test cell)",
    "displayhook": "replaces IPython's display hook",
    "display_pub": "replaces IPython's display publisher (it can hide output)",
    "register_magic_function": "registers an IPython magic",
    "kernel": "reaches into the Jupyter kernel object",
}
ENV_GRADING = re.compile(r"NBGRADER|GRAD|AUTOGRADE|\bCI\b|GITHUB|JUPYTERHUB|JPY_|TEST|SANDBOX",
                         re.I)
EXITS = {"sys.exit", "os._exit", "os.abort", "os.kill", "os.killpg", "exit", "quit",
         "builtins.exit", "builtins.quit", "signal.raise_signal", "os.system", "posix._exit"}
PROCESSES = ("subprocess", "os.system", "os.popen", "os.fork", "os.forkpty", "os.exec",
             "os.spawn", "os.posix_spawn", "multiprocessing", "pty.", "concurrent.futures."
             "ProcessPoolExecutor", "pexpect")
NETWORK = ("socket", "urllib", "http.client", "requests", "ftplib", "smtplib", "telnetlib",
           "asyncio.open_connection", "xmlrpc", "websocket", "aiohttp", "paramiko")
INTROSPECTION = {
    "gc.get_referrers": "searches the interpreter's objects (gc.get_referrers)",
    "gc.get_referents": "searches the interpreter's objects (gc.get_referents)",
    "gc.get_objects": "searches the interpreter's objects (gc.get_objects)",
    "sys._getframe": "inspects the call stack (sys._getframe): it can reach the tests' "
                     "variables",
    "inspect.stack": "inspects the call stack (inspect.stack): it can reach the tests' "
                     "variables",
    "inspect.currentframe": "inspects the call stack (inspect.currentframe): it can reach "
                            "the tests' variables",
    "inspect.getouterframes": "inspects the call stack (inspect.getouterframes)",
    "sys.setprofile": "installs a profiler or tracer (can interfere with the tests' checks)",
    "sys.settrace": "installs a profiler or tracer (can interfere with the tests' checks)",
    "threading.setprofile": "installs a profiler or tracer (can interfere with the tests' "
                            "checks)",
    "threading.settrace": "installs a profiler or tracer (can interfere with the tests' checks)",
    "sys.addaudithook": "installs an audit hook",
    "importlib.reload": "reloads a module",
    "ctypes": "uses ctypes (raw memory access: it can crash the kernel or patch code)",
    "signal.signal": "changes signal handling (can defeat time limits)",
    "signal.alarm": "changes signal handling (can defeat time limits)",
    "signal.setitimer": "changes signal handling (can defeat time limits)",
    "signal.pthread_sigmask": "changes signal handling (can defeat time limits)",
    "signal.siginterrupt": "changes signal handling (can defeat time limits)",
    "resource.setrlimit": "changes its resource limits",
    "os.setsid": "detaches from the kernel's process group",
    "faulthandler": "uses faulthandler",
}
FRAME_ATTRS = {"f_back": "walks the call stack (f_back)", "f_globals": "reads a frame's "
               "globals (f_globals)", "f_locals": "reads a frame's variables (f_locals)",
               "tb_frame": "walks a traceback's frames", "__subclasses__": "enumerates "
               "classes (__subclasses__), a sandbox escape pattern",
               "__globals__": "manipulates a function's globals (__globals__)",
               "__code__": "manipulates code objects (__code__)",
               "__closure__": "reads a function's closure (__closure__)",
               "__builtins__": "reaches for builtins (__builtins__)"}
WRITERS = {"open": 1, "io.open": 1, "os.open": 0, "os.remove": 0, "os.unlink": 0,
           "os.rmdir": 0, "os.removedirs": 0, "os.rename": 0, "os.replace": 0,
           "os.makedirs": 0, "os.mkdir": 0, "os.chmod": 0, "os.symlink": 0, "os.link": 0,
           "os.truncate": 0, "os.utime": 0, "shutil.rmtree": 0, "shutil.move": 0,
           "shutil.copy": 1, "shutil.copyfile": 1, "shutil.copy2": 1, "shutil.copytree": 1,
           "sqlite3.connect": 0, "numpy.save": 0, "numpy.savetxt": 0, "numpy.savez": 0}
PATH_WRITE_METHODS = {"write_text", "write_bytes", "unlink", "rmdir", "touch", "mkdir",
                      "rename", "replace", "chmod", "symlink_to", "hardlink_to"}
CONSTANT_DUNDERS = {"__eq__", "__ne__", "__bool__", "__lt__", "__le__", "__gt__", "__ge__",
                    "__float__", "__array__", "__instancecheck__"}
DISPATCH_DUNDERS = {"__array_ufunc__": "overrides how numpy computes with its objects "
                                       "(__array_ufunc__)",
                    "__array_function__": "overrides how numpy functions treat its objects "
                                          "(__array_function__)",
                    "__array_priority__": None}


class _Scanner(ast.NodeVisitor):
    """Walks one cell's syntax tree and notes what it does (line, sentence)."""

    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases      # local name -> dotted module/object path
        self.ipython: set[str] = {"get_ipython()"}
        self.ipython_fns: set[str] = {"get_ipython"}
        self.defined: set[str] = set()
        self.found: list[tuple[int, str]] = []

    # -- names
    def resolve(self, node) -> str | None:
        """'numpy.testing.assert_allclose' for np.testing.assert_allclose, else None."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in {"__builtins__", "exit", "quit", "open", "exec", "eval", "compile",
                           "__import__", "setattr", "delattr", "getattr", "globals", "vars"}:
                return node.id
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and self._is_ipython(node):
            return "get_ipython()"
        if isinstance(node, ast.Call):
            fn = self.resolve(node.func)
            if fn == "__import__" and node.args and isinstance(node.args[0], ast.Constant):
                return str(node.args[0].value)
            if fn in ("importlib.import_module",) and node.args \
                    and isinstance(node.args[0], ast.Constant):
                return str(node.args[0].value)
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value)
            if base == "sys.modules" and isinstance(node.slice, ast.Constant):
                return str(node.slice.value)
        return None

    def _is_ipython(self, node) -> bool:
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else None
            return name in self.ipython_fns | {"InteractiveShell"} or (
                name == "instance" and isinstance(f, ast.Attribute))
        return isinstance(node, ast.Name) and node.id in self.ipython

    def note(self, node, text: str) -> None:
        self.found.append((getattr(node, "lineno", 0), text))

    # -- imports
    def visit_Import(self, node):
        for a in node.names:
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else \
                a.name.split(".")[0]
            self._check_module(node, a.name)

    def visit_ImportFrom(self, node):
        mod = node.module or ""
        for a in node.names:
            full = f"{mod}.{a.name}" if mod else a.name
            self.aliases[a.asname or a.name] = full
            self._check_module(node, full)
            if mod.startswith("dlkit._") or a.name.startswith("_") and mod.startswith("dlkit"):
                self.note(node, f"imports dlkit's private {full} (only a copy of dlkit's "
                                "source would need it)")
            if a.name == "get_ipython":
                self.ipython_fns.add(a.asname or a.name)

    def _check_module(self, node, name: str) -> None:
        for prefix, what in (("ctypes", INTROSPECTION["ctypes"]),
                             ("builtins", "imports builtins (it can replace print, isinstance, "
                                          "... for the tests too)")):
            if name == prefix or name.startswith(prefix + "."):
                self.note(node, what)
        if any(name == p or name.startswith(p + ".") or name.startswith(p)
               for p in NETWORK if not p.endswith(".")):
            if name.split(".")[0] in {n.split(".")[0] for n in NETWORK}:
                self.note(node, f"imports {name} (network access)")
        if name.split(".")[0] in ("subprocess", "multiprocessing", "pty", "pexpect"):
            self.note(node, f"imports {name} (runs other processes)")

    # -- assignments: monkeypatching
    def _target(self, target, node, verb="replaces") -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._target(t, node, verb)
            return
        if isinstance(target, ast.Attribute):
            base = self.resolve(target.value)
            if base is not None and self._is_ipython(target.value) or base == "get_ipython()":
                self._ipython_attr(node, target.attr)
                return
            if base is not None and base.split(".")[0] in PROTECTED + ("__builtins__",):
                self.note(node, f"{verb} {base}.{target.attr} (monkeypatching: the tests use "
                                f"{base.split('.')[0]} too)")
                return
            if target.attr in ("__eq__", "__ne__", "__bool__", "__code__", "__class__",
                               "__globals__"):
                self.note(node, f"{verb} {target.attr} of an object at run time")
        elif isinstance(target, ast.Subscript):
            base = self.resolve(target.value)
            if base == "sys.modules":
                self.note(node, f"{verb} a module in sys.modules (the tests would import the "
                                "replacement)")
            elif base in ("__builtins__", "builtins.__dict__", "globals") or (
                    base and base.endswith(".__dict__")
                    and base.split(".")[0] in PROTECTED):
                self.note(node, f"{verb} an entry of {base} (monkeypatching)")
        elif isinstance(target, ast.Name):
            if target.id in ("grading", "np", "Case", "dlkit", "print", "isinstance",
                             "AssertionError", "__builtins__", "get_ipython") \
                    and not isinstance(node, ast.Import):
                self.note(node, f"rebinds the name {target.id}, which the test cells use")

    def visit_Assign(self, node):
        for t in node.targets:
            self._target(t, node)
            if isinstance(t, ast.Name) and self._is_ipython(node.value):
                self.ipython.add(t.id)
            elif isinstance(t, ast.Name):
                r = self.resolve(node.value)
                if r:
                    self.aliases[t.id] = r
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self._target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._target(t, node, verb="deletes")
        self.generic_visit(node)

    # -- definitions
    def visit_FunctionDef(self, node):
        self.defined.add(node.name)
        self._dunder(node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.defined.add(node.name)
        for item in node.body:
            if isinstance(item, ast.Assign):
                for t in item.targets:
                    if isinstance(t, ast.Name) and t.id in DISPATCH_DUNDERS \
                            and DISPATCH_DUNDERS[t.id]:
                        self.note(item, f"class {node.name} {DISPATCH_DUNDERS[t.id]}")
                    if isinstance(t, ast.Name) and t.id in CONSTANT_DUNDERS \
                            and isinstance(item.value, ast.Lambda) \
                            and isinstance(item.value.body, ast.Constant):
                        self.note(item, f"class {node.name} defines {t.id} as always "
                                        f"{item.value.body.value!r} (it compares equal to "
                                        "anything)")
        self.generic_visit(node)

    def _dunder(self, node) -> None:
        if node.name in DISPATCH_DUNDERS and DISPATCH_DUNDERS[node.name]:
            self.note(node, f"defines {node.name}: it {DISPATCH_DUNDERS[node.name]}")
        if node.name not in CONSTANT_DUNDERS:
            return
        body = [s for s in node.body if not (isinstance(s, ast.Expr)
                                             and isinstance(s.value, ast.Constant))]
        if len(body) == 1 and isinstance(body[0], ast.Return) and (
                isinstance(body[0].value, ast.Constant)
                or isinstance(body[0].value, ast.Name) and body[0].value.id in ("True", "False")):
            value = body[0].value.value if isinstance(body[0].value, ast.Constant) \
                else body[0].value.id
            self.note(node, f"defines {node.name} that always returns {value!r} (an object "
                            "that compares equal to anything can pass a test)")

    # -- calls and attribute reads
    def visit_Call(self, node):
        fn = self.resolve(node.func)
        if fn:
            self._call(node, fn)
        if isinstance(node.func, ast.Attribute):
            if self._is_ipython(node.func.value):
                self._ipython_attr(node, node.func.attr)
            if node.func.attr in PATH_WRITE_METHODS and self._outside(node.func.value):
                self.note(node, f"{node.func.attr} on a path outside the submission's folder")
            if node.func.attr in ("open",) and self._outside(node.func.value) and any(
                    isinstance(a, ast.Constant) and isinstance(a.value, str)
                    and set(a.value) & set("wax+") for a in node.args):
                self.note(node, "writes to a file outside the submission's folder")
        self.generic_visit(node)

    def _call(self, node, fn: str) -> None:
        args = node.args
        if fn in ("setattr", "delattr") and args:
            base = self.resolve(args[0])
            if base and (base.split(".")[0] in PROTECTED or base == "get_ipython()"):
                name = args[1].value if len(args) > 1 and isinstance(args[1], ast.Constant) \
                    else "an attribute"
                if base == "get_ipython()":
                    self._ipython_attr(node, str(name))
                else:
                    self.note(node, f"{'replaces' if fn == 'setattr' else 'deletes'} "
                                    f"{base}.{name} with {fn} (monkeypatching)")
        if fn == "getattr" and len(args) > 1:
            base = self.resolve(args[0]) or ""
            literal = isinstance(args[1], ast.Constant)
            if base == "get_ipython()" or self._is_ipython(args[0]):
                if literal:
                    self._ipython_attr(node, str(args[1].value))
                else:
                    self.note(node, "looks up an attribute of IPython by a computed name")
            elif not literal and base.split(".")[0] in PROTECTED + ("__builtins__",):
                self.note(node, f"looks up an attribute of {base} by a computed name")
        if fn in EXITS or fn.startswith("os.kill"):
            self.note(node, f"exits the kernel ({fn})" if "kill" not in fn and fn != "os.system"
                      else ("runs shell commands (os.system)" if fn == "os.system"
                            else f"sends signals to processes ({fn})"))
        if fn.startswith(PROCESSES) or fn == "get_ipython().system" or \
                fn.startswith("get_ipython().getoutput"):
            self.note(node, f"runs other processes or shell commands ({fn})")
        if fn in ("get_ipython().run_cell_magic", "get_ipython().run_line_magic") and args \
                and isinstance(args[0], ast.Constant):
            magic = str(args[0].value)
            if magic in ("bash", "sh", "script", "system", "sx", "perl", "ruby", "python2",
                         "python3", "pypy", "sc"):
                self.note(node, f"runs shell commands (%{magic})")
            elif magic in ("writefile", "file") and len(args) > 1 and self._outside(args[1]):
                self.note(node, "writes a file outside the submission's folder (%writefile)")
            elif magic in ("load_ext", "reload_ext", "run", "load", "alias", "env",
                           "config", "xmode"):
                self.note(node, f"uses the %{magic} magic")
        if fn.startswith(NETWORK):
            self.note(node, f"opens network connections ({fn})")
        for key, what in INTROSPECTION.items():
            if fn == key or fn.startswith(key + "."):
                self.note(node, what)
        if fn in ("os.getenv", "os.environ.get", "os.environ.__getitem__", "os.getenvb",
                  "os.environ.items", "os.environ.keys", "os.environ.copy", "dict"):
            if fn == "dict" and not (args and self.resolve(args[0]) == "os.environ"):
                pass
            else:
                self._env(node, args[0] if args and fn != "dict" else None)
        if fn in ("sys.modules.update", "sys.modules.__setitem__", "sys.modules.pop",
                  "sys.modules.setdefault", "sys.modules.clear"):
            self.note(node, "replaces or removes modules in sys.modules (the tests would "
                            "import the replacement)")
        if fn in ("exec", "eval", "compile", "__import__", "importlib.import_module",
                  "importlib.__import__", "builtins.exec", "builtins.eval", "runpy.run_path",
                  "runpy.run_module", "types.FunctionType", "types.CodeType"):
            literal = args and isinstance(args[0], ast.Constant) \
                and isinstance(args[0].value, str)
            if not literal:
                self.note(node, f"runs code built at run time ({fn} with a computed argument)")
            elif fn in ("exec", "eval", "compile", "builtins.exec", "builtins.eval"):
                inner = _Scanner(dict(self.aliases))
                try:
                    inner.visit(ast.parse(args[0].value))
                except SyntaxError:
                    return
                for _, text in inner.found:
                    self.note(node, f"{text}, inside {fn}(...)")
        if fn in WRITERS:
            pos = WRITERS[fn]
            if fn in ("open", "io.open"):
                mode = args[1] if len(args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "mode"), None)
                writing = isinstance(mode, ast.Constant) and isinstance(mode.value, str) and \
                    bool(set(mode.value) & set("wax+"))
                if not writing:
                    return
            target = args[0] if args else None
            if target is not None and self._outside(target):
                self.note(node, f"writes or deletes files outside the submission's folder "
                                f"({fn} on {_brief(target)})")
            elif fn == "sqlite3.connect" or any(
                    isinstance(n, ast.Constant) and isinstance(n.value, str)
                    and re.search(r"gradebook|\.db$|submitted|autograded|source/|release/",
                                  n.value) for n in ast.walk(target or ast.Constant(""))):
                self.note(node, f"touches the course's files ({fn} on {_brief(target)})")
            elif pos == 1 and len(args) > 1 and self._outside(args[1]):
                self.note(node, f"writes files outside the submission's folder ({fn})")

    def _outside(self, node) -> bool:
        """Whether a path expression points outside the working folder."""
        for n in ast.walk(node):
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                v = n.value
                if v.startswith(("/", "~", "\\")) or ".." in v.split("/") or \
                        re.match(r"^[A-Za-z]:[\\/]", v):
                    return True
            if isinstance(n, (ast.Call, ast.Attribute, ast.Name)):
                r = self.resolve(n.func if isinstance(n, ast.Call) else n) or ""
                if r.endswith(("Path.home", "expanduser", "gettempdir", "os.environ",
                               "os.getenv", "tempfile.mkdtemp", "os.path.abspath",
                               "os.path.dirname", "__file__")) or r == "os.environ":
                    return True
        return False

    def _env(self, node, key) -> None:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            if ENV_GRADING.search(key.value):
                self.note(node, f"reads the environment variable {key.value} (to tell "
                                "grading from a student's run?)")
            else:
                self.note(node, f"reads the environment variable {key.value}")
        else:
            self.note(node, "reads the environment (to tell grading from a student's run?)")

    def visit_Subscript(self, node):
        if self.resolve(node.value) == "os.environ" and isinstance(node.ctx, ast.Load):
            self._env(node, node.slice)
        if isinstance(node.value, ast.Call) and self.resolve(node.value.func) in (
                "globals", "vars", "builtins.vars") and not isinstance(node.slice, ast.Constant):
            self.note(node, "looks up a global name computed at run time")
        self.generic_visit(node)

    def visit_Compare(self, node):
        if any(self.resolve(c) == "os.environ" for c in node.comparators) and \
                any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            self._env(node, node.left)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in FRAME_ATTRS:
            self.note(node, FRAME_ATTRS[node.attr])
        if self._is_ipython(node.value) and isinstance(node.ctx, ast.Load) and \
                node.attr in IPYTHON_HOOKS and node.attr not in ("kernel",):
            self._ipython_attr(node, node.attr)
        self.generic_visit(node)

    def _ipython_attr(self, node, attr: str) -> None:
        if attr in IPYTHON_HOOKS:
            self.note(node, IPYTHON_HOOKS[attr])
        elif attr in ("user_ns", "user_global_ns", "ns_table"):
            self.note(node, "reaches into IPython's namespaces")


def _brief(node) -> str:
    try:
        text = ast.unparse(node)
    except Exception:
        return "a computed path"
    return text if len(text) <= 60 else text[:57] + "..."


REGEX_FALLBACK = [
    (r"\bos\._exit\b|\bsys\.exit\b", "exits the kernel (os._exit / sys.exit)"),
    (r"\bsys\.(setprofile|settrace)\b", "installs a profiler or tracer"),
    (r"input_transformers|ast_transformers|set_custom_exc|showtraceback|run_cell",
     "touches IPython's machinery (it can hide failing tests)"),
    (r"\b(np|numpy|dlkit|grading|builtins)\.[\w.]+\s*=(?!=)", "replaces a library function "
                                                              "(monkeypatching)"),
    (r"sys\.modules", "touches sys.modules"),
    (r"\bsubprocess\b|\bos\.system\b|\bsocket\b|\bctypes\b",
     "runs processes, opens sockets or uses ctypes"),
    (r"\bsignal\.\w+\(", "changes signal handling (can defeat time limits)"),
    (r"__eq__|__code__|__globals__|_getframe|get_referrers|environ",
     "reaches into the interpreter's internals or the environment"),
]


def scan_code(source: str, aliases: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """(line, what it does) for one cell's code, from its syntax tree.

    Falls back to a few regular expressions when the code does not parse.
    """
    code = python_source(source)
    scanner = _Scanner(dict(DEFAULT_ALIASES if aliases is None else aliases))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        out = []
        stripped = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
        for pattern, meaning in REGEX_FALLBACK:
            m = re.search(pattern, stripped)
            if m:
                out.append((stripped[: m.start()].count("\n") + 1,
                            f"{meaning} (the cell does not parse; found by text search)"))
        return out
    scanner.visit(tree)
    return scanner.found



class AstScan(Check):
    name = "ast-scan"
    help = ("Answer code that reaches for the grading machinery or the system (patching "
            "numpy, dlkit or IPython, frame inspection, exits, processes, files, network), "
            "found by reading its syntax tree.")

    def findings(self, sub: Submission) -> list[Finding]:
        out = []
        for name, nb in sub.submitted_notebooks():
            out += [Finding(self.name, text, name) for text in scan_notebook(nb)]
        return out


def scan_notebook(nb) -> list[str]:
    """Findings for every answer (or unmarked) cell of a notebook, naming cell and line."""
    found = []
    aliases = dict(DEFAULT_ALIASES)
    for where, source in answer_cells(nb):
        try:
            lines = scan_code(source, aliases)
        except (RecursionError, MemoryError):
            found.append(f"{where}: too deeply nested to scan (an expression of thousands "
                         "of terms?): look at it by hand")
            continue
        for line, what in lines:
            found.append(f"{where}, line {line}: {what}")
    return found
