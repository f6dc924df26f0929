"""Checking a function that runs in another process: the contract with the grader.

When ``autograde`` grades, the test cells run in the grader's own trusted
process and the student's functions stay in the student's (sandboxed)
kernel. A check then receives, instead of the student's function, a proxy
(``autograde.bridge.RemoteFunction``) that offers:

``__grading_call__(args, kwargs, uses, time_limit) -> dict``
    Run the function over there on copies of ``args`` and ``kwargs``, with
    ``uses`` (name -> function) bound in its module while it runs, under a
    time limit, recording instead of raising. The record has exactly the
    keys of :data:`RECORD_KEYS`: ``value`` (plain data), ``error`` (an
    exception rebuilt from the student's, or None; its ``autograde_where``
    attribute, when set, names the student's line), ``timed_out`` (bool),
    ``warnings`` (pairs of category name and message), ``stdout`` and
    ``stderr`` (text).
``__grading_params__``
    The function's positional parameter names.
``__grading_source__``
    Its source text ('' when unknown).

A check's ``uses=`` on a function of the test cell's own (a wrapper that
calls the student's function) binds the names in the namespace the test
cells run in; when that namespace offers ``__grading_substitute__(uses)``
(a context manager), the check uses it instead, so that the student's
functions called meanwhile see the substitutes as well.

Such a namespace is the grader's trusted one: only the course's code runs
in it (the student's functions are proxies), so ``forbid=`` has nothing to
watch there and is not armed (:func:`trusted_namespace`); the reference is
kept from the student's code by being absent from the student's kernel.

The checks treat such a function as they treat a local one; only how it is
called differs (:func:`dlkit.grading.guards._run_guarded`). In a student's
own JupyterLab nothing of this is used: the functions are local.
``tests/dlkit/test_grading_remote.py`` holds both sides to this contract.
"""

from __future__ import annotations

RECORD_KEYS = ("value", "error", "timed_out", "warnings", "stdout", "stderr")


def is_remote(fn) -> bool:
    """Whether ``fn`` is a proxy of a function in another process."""
    return callable(getattr(type(fn), "__grading_call__", None))


def trusted_namespace(fn) -> bool:
    """Whether ``fn`` (a local function) belongs to the grader's trusted namespace."""
    namespace = getattr(fn, "__globals__", None)
    return namespace is not None and callable(getattr(type(namespace),
                                                      "__grading_substitute__", None))


def parameters(fn) -> list[str] | None:
    """A proxy's parameter names (None for a local function)."""
    return list(getattr(fn, "__grading_params__", None) or []) if is_remote(fn) else None


def source(fn) -> str | None:
    """A proxy's source text (None for a local function)."""
    return str(getattr(fn, "__grading_source__", "") or "") if is_remote(fn) else None
