"""The copy-check: answers that carry what only a copy of dlkit's source would.

Measured first: the instructor's own solutions in source/ come within 86% of
dlkit's token sequence (sigmoid, elu_derivative, the perceptron's
lecture_output), so similarity alone cannot tell an honest answer from a
copy. Only what a copy would carry counts: a body essentially identical
(98%) to a dlkit function's and large (80+ nodes, beyond any textbook
one-liner), dlkit's own error messages verbatim, and calls to dlkit's
private helpers (``as_float``, ``out``: an answer has no reason to know
them).

The cost is bounded whatever an answer holds: at most ``MAX_FUNCTIONS``
functions of an answer are compared, each against the few dlkit functions of
about its size, and the whole check has a time budget (and runs bounded, see
:mod:`autograde.bounded`).
"""

from __future__ import annotations

import ast
import difflib
import time
from functools import lru_cache
from pathlib import Path

from autograde.checks.base import Check, Submission, answer_cells, python_source
from autograde.status import Finding


def _strip_docstrings(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _shape(fn: ast.FunctionDef) -> tuple[str, ...]:
    """The function's body as a sequence of tokens: node types, names and constants
    in tree order, docstrings left out."""
    fn = _strip_docstrings(ast.parse(ast.unparse(fn))).body[0]
    out = []
    for stmt in fn.body:
        for node in ast.walk(stmt):
            out.append(type(node).__name__)
            for attr in ("id", "attr", "arg", "name"):
                value = getattr(node, attr, None)
                if isinstance(value, str):
                    out.append(value)
            if isinstance(node, ast.Constant):
                out.append(repr(node.value)[:40])
    return tuple(out)


@lru_cache(maxsize=1)
def dlkit_functions() -> dict[str, tuple[tuple[str, ...], int, set[str]]]:
    """qualified name -> (normalised body, size in AST nodes, long string constants)."""
    import dlkit

    out = {}
    root = Path(dlkit.__file__).parent
    for path in sorted(root.rglob("*.py")):
        mod = "dlkit." + ".".join(path.relative_to(root).with_suffix("").parts)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = _shape(node)
                strings = {n.value for n in ast.walk(_strip_docstrings(
                    ast.parse(ast.unparse(node)))) if isinstance(n, ast.Constant)
                    and isinstance(n.value, str) and len(n.value) >= 25}
                strings |= {ast.unparse(n) for n in ast.walk(node)
                            if isinstance(n, ast.JoinedStr) and len(ast.unparse(n)) >= 30}
                out[f"{mod}.{node.name}"] = (body, sum(1 for _ in ast.walk(node)), strings)
    return out


DLKIT_PRIVATE = {"as_float", "out", "check_same_shape", "_reduce", "_check_target",
                 "_as_labels"}
COPY_RATIO = 0.98      # normalised bodies at least this similar ...
COPY_MIN_NODES = 80    # ... and at least this large count as a copy (the model
#                        solutions reach 86% on short functions: see copy_findings)


MAX_FUNCTIONS = 100     # functions of one notebook's answers compared with dlkit
BUDGET_SECONDS = 5.0    # for one notebook; past it the rest is reported as not compared


def copy_findings(nb, budget: float = BUDGET_SECONDS) -> list[str]:
    """Answer functions that carry what only a copy of dlkit's source would (see above)."""
    flags = []
    refs = dlkit_functions()
    ref_strings = set().union(*(r[2] for r in refs.values())) if refs else set()
    by_string = {}
    for qual, (_, _, strings) in refs.items():
        for text in strings:
            by_string.setdefault(text, qual)
    large = [(qual, body, size) for qual, (body, size, _) in refs.items() if size >= COPY_MIN_NODES]
    deadline = time.monotonic() + budget
    seen = 0
    for where, source in answer_cells(nb):
        try:
            tree = ast.parse(python_source(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        defined = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                   and isinstance(n.ctx, ast.Store)} | {
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            seen += 1
            if seen > MAX_FUNCTIONS or time.monotonic() > deadline:
                flags.append(f"{where}: more answer code than the copy check compares "
                             f"({MAX_FUNCTIONS} functions or {budget:g} s): the rest was not "
                             "compared with dlkit; look at it by hand")
                return flags
            body = _shape(fn)
            size = sum(1 for _ in ast.walk(fn))
            strings = {n.value for n in ast.walk(_strip_docstrings(ast.parse(ast.unparse(fn))))
                       if isinstance(n, ast.Constant) and isinstance(n.value, str)
                       and len(n.value) >= 25}
            strings |= {ast.unparse(n) for n in ast.walk(fn)
                        if isinstance(n, ast.JoinedStr) and len(ast.unparse(n)) >= 30}
            private = sorted({n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                              and n.id in DLKIT_PRIVATE and n.id not in defined})
            shared = sorted(strings & ref_strings)
            best, ratio = None, 0.0
            if size >= COPY_MIN_NODES:
                for qual, ref_body, _ in large:
                    if abs(len(ref_body) - len(body)) > (1 - COPY_RATIO) * len(ref_body):
                        continue   # only functions of about the same length can be copies
                    matcher = difflib.SequenceMatcher(None, body, ref_body, autojunk=False)
                    if matcher.real_quick_ratio() < COPY_RATIO \
                            or matcher.quick_ratio() < COPY_RATIO:
                        continue
                    r = matcher.ratio()
                    if r > ratio:
                        best, ratio = qual, r
            if ratio >= COPY_RATIO:
                flags.append(f"{where}: {fn.name} is a near-copy of {best} "
                             f"({ratio:.0%} identical once docstrings are removed)")
            if shared:
                flags.append(f"{where}: {fn.name} contains {by_string[shared[0]]}'s own message "
                             f"{shared[0][:60]!r}: copied from dlkit?")
            if private:
                flags.append(f"{where}: {fn.name} calls dlkit's private helper(s) "
                             f"{', '.join(private)}: copied from dlkit's source?")
    return flags


class CopyCheck(Check):
    name = "copy-check"
    help = ("An answer that carries what only a copy of dlkit's source would: a near-identical "
            "large body, dlkit's own error messages, calls to its private helpers.")

    def prepare(self) -> None:
        dlkit_functions()   # dlkit's parsed sources: a second of CPU, once a run, not a notebook

    def findings(self, sub: Submission) -> list[Finding]:
        out = []
        for name, nb in sub.submitted_notebooks():
            out += [Finding(self.name, text, name) for text in copy_findings(nb)]
        return out
