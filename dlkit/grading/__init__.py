"""Checks for nbgrader test cells, with feedback a student can act on at 2 a.m.

A test cell calls one check. A passing check prints one line; a failing one
raises :class:`CheckFailed`, which Jupyter shows as a short message instead of
a traceback: what was checked, the input, what was expected, what the
student's code returned (shape and values, abbreviated) and a hint.

The checks guard against what student code does by accident or on purpose:

- exceptions (``NotImplementedError`` from an untouched stub included),
  infinite loops (a per-call time limit) and ``MemoryError`` become messages;
- numpy warnings become a failed check that names the input: nbgrader gives
  zero to any test cell that writes to stderr, so we say why;
- arguments are copied, so a function that modifies its input in place cannot
  change the expected values;
- calling the dlkit reference that the exercise asks you to write is caught,
  by whatever name it was imported (:func:`forbid_calls`).

Every check is deterministic: the random cases are drawn from fixed seeds.
When autograde grades, the same checks run in the grader's process and the
student's functions are called in the student's kernel with plain data
(:mod:`dlkit.grading.remote`).

The package, one concept a module: :mod:`~dlkit.grading.render` (the
failure and how values are described), :mod:`~dlkit.grading.cases` (the
inputs), :mod:`~dlkit.grading.compare` (returned against expected),
:mod:`~dlkit.grading.guards` (calling student code safely),
:mod:`~dlkit.grading.remote` (a function in another process) and
:mod:`~dlkit.grading.checks` (what test cells call).

Example (a hidden test cell)::

    from dlkit import activations as ref, grading
    grading.check_function(sigmoid, ref.sigmoid, grading.elementwise_cases(seed=1),
                           hint="Split by sign so exp never sees a large positive number.")
"""

from dlkit.grading.cases import Case, elementwise_cases, softmax_cases
from dlkit.grading.checks import check_choices, check_function, check_true, check_value
from dlkit.grading.guards import forbid_calls
from dlkit.grading.render import CheckFailed, describe

__all__ = [
    "Case", "CheckFailed", "check_function", "check_value", "check_true", "check_choices",
    "elementwise_cases", "softmax_cases", "forbid_calls", "describe",
]
