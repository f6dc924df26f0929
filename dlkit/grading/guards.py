"""Calling a student's function safely: guards against what its code does.

Exceptions, an overrun of the time limit, numpy warnings, output on stdout
and stderr and calls into forbidden functions are all recorded in an
:class:`Outcome` instead of escaping; the arguments are deep copies. A
function that lives in another process (the grader's proxy of a student's
function, see :mod:`dlkit.grading.remote`) is called through its own
guarded protocol instead.
"""

from __future__ import annotations

import contextlib
import copy
import io
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlkit.grading import remote
from dlkit.grading.cases import Case

_errstate = np.errstate

@contextlib.contextmanager
def forbid_calls(*functions: Callable):
    """Record any call into ``functions`` made inside the ``with`` block.

    Detection is by code object, through ``sys.setprofile``, so it catches
    the function under any name (``from dlkit.activations import sigmoid as
    s``), wrapped (``np.vectorize``) or with its code copied. Yields a list
    that receives the qualified names of the forbidden functions called.
    """
    codes = {}
    for fn in functions:
        fn = getattr(fn, "__func__", fn)
        if hasattr(fn, "__code__"):
            codes[fn.__code__] = f"{fn.__module__}.{fn.__qualname__}"
    seen: list[str] = []

    def profiler(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            name = codes[frame.f_code]
            if name not in seen:
                seen.append(name)

    if not codes:   # nothing to watch: no profiler (it costs on every call)
        yield seen
        return
    old = sys.getprofile()
    sys.setprofile(profiler)
    threading.setprofile(profiler)
    try:
        yield seen
    finally:
        sys.setprofile(old)
        threading.setprofile(None)


class _TimeLimit(BaseException):
    """The time limit ran out (a BaseException: no ``except Exception`` swallows it)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise _TimeLimit after ``seconds`` (main thread on POSIX only; a no-op elsewhere)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class _Outcome:
    """What one guarded call did. ``warnings``: pairs (category name, message)."""

    value: object = None
    error: BaseException | None = None
    timed_out: bool = False
    warnings: list = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    forbidden: list = field(default_factory=list)


@contextlib.contextmanager
def _substituted(fn: Callable, uses: dict[str, Callable] | None):
    """Temporarily bind ``uses`` (name -> function) in ``fn``'s module globals."""
    namespace = getattr(fn, "__globals__", None)
    if not uses or namespace is None:
        yield
        return
    hook = getattr(type(namespace), "__grading_substitute__", None)
    if hook is not None:   # the grader's namespace: the student's functions see them too
        with hook(namespace, uses):
            yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in uses}
    namespace.update(uses)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = old


def _run_guarded(fn: Callable, case: Case, forbidden: Sequence[Callable],
                 time_limit: float | None, uses: dict[str, Callable] | None = None) -> _Outcome:
    """Call ``fn`` on a deep copy of the case under every guard."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    if remote.is_remote(fn):   # guarded over there; the record is plain data
        record = fn.__grading_call__(args, kwargs, uses, time_limit)
        return _Outcome(**{key: record[key] for key in remote.RECORD_KEYS})
    if remote.trusted_namespace(fn):   # only the course's code runs here: nothing to watch,
        forbidden = ()                  # and a profiler on every call costs seconds
    outcome = _Outcome()
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with forbid_calls(*forbidden) as seen, _substituted(fn, uses):
                try:
                    # numpy's default error handling, whatever np.seterr said before
                    # (the student's own np.errstate inside the function still applies)
                    with _time_limit(time_limit), _errstate(divide="warn", over="warn",
                                                            invalid="warn", under="ignore"):
                        outcome.value = fn(*args, **kwargs)
                except _TimeLimit:
                    outcome.timed_out = True
                except (Exception, RecursionError, MemoryError) as exc:
                    outcome.error = exc
    outcome.warnings = [(w.category.__name__, str(w.message)) for w in caught
                        if not issubclass(w.category, DeprecationWarning)]
    outcome.stdout, outcome.stderr = out.getvalue(), err.getvalue()
    outcome.forbidden = list(seen)
    return outcome
