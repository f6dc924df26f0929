"""What a student reads never hands out the solution's code.

A student reads the release notebook (its markdown, its scaffolding and its
public tests) and, after grading, the feedback of every test cell, hints of
the hidden tests included. None of that may contain a line of the model
solution: a hint names the idea, the input that breaks and where to look;
the code is the student's. Scaffolding every answer needs (converting the
input with ``np.asarray``, returning a name) is allowed.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from .harness import ASSIGNMENTS, ROOT, notebook_names

SCAFFOLDING = [re.compile(p) for p in (
    r"^\w+ = np\.asarray\(\w+(, dtype=float)?\)$",   # the input as an array
    r"^return \w+$",                                 # return what was computed
    r"^(el)?if \w+ == \"\w+\":$",                    # a branch on an option's value
    r"^\w+ = \{$",                                   # a dict literal's first line
    r"^\w+ = np\.random\.default_rng\(\w+\)$",       # the generator from the seed
)]


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _hints(source: str) -> list[str]:
    """The string constants passed as ``hint=`` in a test cell (f-strings: their text)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "hint":
            found.extend(n.value for n in ast.walk(node.value)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return found


def solution_lines(cell_source: str) -> list[str]:
    """The statements between BEGIN and END SOLUTION, one per line, comments dropped."""
    lines = []
    for block in cell_source.split("### BEGIN SOLUTION")[1:]:
        for line in block.split("### END SOLUTION")[0].splitlines():
            line = line.strip()
            if (line and not line.startswith(("#", '"', "'"))
                    and not any(p.match(line) for p in SCAFFOLDING)
                    and len(_squeeze(line)) >= 12):
                lines.append(line)
    return lines


def what_students_read(assignment: str, name: str) -> str:
    release = nbformat.read(ROOT / "release" / assignment / f"{name}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
    parts = [c.source for c in release.cells]
    for c in source.cells:   # hidden tests' hints reach the student in the feedback
        meta = c.metadata.get("nbgrader", {})
        if c.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            parts.extend(_hints(c.source))
    return _squeeze("\n".join(parts))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_line_of_the_solution_in_what_students_read(assignment):
    leaks = []
    for name in notebook_names(assignment):
        text = what_students_read(assignment, name)
        source = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
        for c in source.cells:
            meta = c.metadata.get("nbgrader", {})
            if c.cell_type == "code" and meta.get("solution"):
                leaks += [f"{meta['grade_id']}: {line}" for line in solution_lines(c.source)
                          if _squeeze(line) in text]
    assert not leaks, ("the release notebook or a hint shows these solution lines; "
                       "say the idea instead:\n  " + "\n  ".join(leaks))


def test_the_check_sees_a_leak():
    cell = ("def f(x):\n    ### BEGIN SOLUTION\n    x = np.asarray(x)\n"
            "    return np.maximum(0, x)\n    ### END SOLUTION\n")
    assert solution_lines(cell) == ["return np.maximum(0, x)"]
    hints = _hints('check(f, cases, hint=f"use {n} " "np.maximum(0, x)")')
    assert hints == ["use ", " np.maximum(0, x)"]
