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

Example (a hidden test cell)::

    from dlkit import activations as ref, grading
    grading.check_function(sigmoid, ref.sigmoid, grading.elementwise_cases(seed=1),
                           hint="Split by sign so exp never sees a large positive number.")
"""

from __future__ import annotations

import contextlib
import copy
import io
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Case", "CheckFailed", "check_function", "check_value", "check_true", "check_choices",
    "elementwise_cases", "softmax_cases", "forbid_calls", "describe",
]

_MARK_FAIL = "\u2717"  # ✗
# numpy's functions as they were when this module was imported: a student who
# replaces np.isclose or np.asarray later (monkeypatching) does not change them
_array, _isclose, _argwhere, _errstate = np.array, np.isclose, np.argwhere, np.errstate
_ndarray, _float64, _bool_, _generic = np.ndarray, np.float64, np.bool_, np.generic
_deepcopy, _isinstance, _type, _len, _tuple = copy.deepcopy, isinstance, type, len, tuple
_MAX_VALUES = 10_000_000   # larger results are compared by shape only (no copy)
_MARK_PASS = "\u2713"  # ✓


# --------------------------------------------------------------------------- failure
class CheckFailed(AssertionError):
    """A failed check. Shown by IPython as its message alone, without a traceback.

    Parameters
    ----------
    title : str
        One line: what is wrong.
    details : list of str
        Further lines (input, expected, returned, hint), shown indented.
    """

    def __init__(self, title: str, details: Sequence[str] = ()):
        self.title = title
        self.details = [line for line in details if line]
        super().__init__("\n".join([title, *self.details]))

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting a traceback (the same hook
        # ipyparallel uses); the lines become the error output of the cell.
        red, bold, reset = "\x1b[0;31m", "\x1b[1m", "\x1b[0m"
        lines = [f"{red}{bold}{_MARK_FAIL} {self.title}{reset}"]
        lines += ["    " + line for detail in self.details for line in detail.split("\n")]
        return lines


# --------------------------------------------------------------------------- formatting
def describe(value, max_items: int = 8) -> str:
    """Abbreviated, readable description of a value: shape, dtype and numbers.

    Examples
    --------
    >>> describe(np.array([1.0, 2.5]))
    '[1. , 2.5] (shape (2,), float64)'
    >>> describe(0.5)
    '0.5 (float)'
    """
    if isinstance(value, np.ndarray):
        shown = value + 0.0 if value.dtype.kind == "f" else value   # no "-0." in messages
        if value.ndim >= 3 and value.size > 4 * max_items:
            head = ", ".join(_num(v) for v in shown.ravel()[:6])
            return f"[{head}, ...] (shape {value.shape}, {value.dtype}; first values shown)"
        with np.printoptions(threshold=max_items, edgeitems=3, precision=6, linewidth=88):
            text = np.array2string(shown, separator=", ")
        if value.ndim == 0:
            return f"{text} (0-d array, {value.dtype})"
        return f"{text} (shape {value.shape}, {value.dtype})"
    if isinstance(value, np.generic):
        return f"{_num(value)} (numpy {value.dtype})"
    if callable(value):
        name = getattr(value, "__name__", type(value).__name__)
        return "a function (described above)" if name == "<lambda>" else f"the function {name}"
    if isinstance(value, dict):
        shown = [f"{k!r}: {_brief(v)}" for k, v in list(value.items())[:max_items]]
        more = ", ..." if len(value) > max_items else ""
        return "{" + ", ".join(shown) + more + f"}} (dict of {len(value)} entries)"
    if isinstance(value, (list, tuple)) and len(value) > max_items:
        head = ", ".join(repr(v) for v in value[:3])
        return f"{type(value).__name__} of {len(value)} items [{head}, ...]"
    text = repr(value)
    if len(text) > 300:
        text = text[:300] + " ..."
    return f"{text} ({type(value).__name__})"


def _describe_call(name: str, params: Sequence[str], case: Case) -> str:
    parts = []
    for i, arg in enumerate(case.args):
        label = params[i] if i < len(params) else f"arg{i}"
        parts.append(f"{label} = {describe(arg)}")
    parts += [f"{k} = {describe(v)}" for k, v in case.kwargs.items()]
    return "\n".join(parts)


# --------------------------------------------------------------------------- cases
_NO_VALUE = object()


@dataclass
class Case:
    """One call to check.

    ``args`` and ``kwargs`` are the call; ``label`` says what kind of input it
    is ("large magnitudes", "a batch of 4 rows"); ``hint`` is shown when this
    case fails; ``expected`` fixes the right answer (the lecture's numbers in a
    public test), otherwise the reference function computes it.
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    hint: str | None = None
    expected: object = _NO_VALUE


def elementwise_cases(seed: int = 0, **kwargs) -> list[Case]:
    """Inputs for an elementwise function: scalars, zeros, random arrays of
    several shapes, large magnitudes (+-1000), float32, integers and a list.

    ``kwargs`` (``alpha=0.1``) are passed with every case.
    """
    rng = np.random.default_rng(seed)
    cases = [
        Case((0.5,), kwargs, "a single number"),
        Case((-2.0,), kwargs, "a negative number"),
        Case((np.zeros(4),), kwargs, "zeros"),
        Case((rng.normal(0, 2, size=6),), kwargs, "random values"),
        Case((rng.normal(0, 3, size=(4, 3)),), kwargs, "a batch of 4 rows (2-D array)"),
        Case((rng.normal(0, 3, size=(2, 3, 2)),), kwargs, "a 3-D array"),
        Case((np.array([-1000.0, -50.0, -1.0, 1.0, 50.0, 1000.0]),), kwargs,
             "large magnitudes",
             "Very large |x| must neither overflow nor print a warning."),
        Case((rng.normal(0, 2, size=5).astype(np.float32),), kwargs, "float32 input"),
        Case((np.array([-3, -1, 0, 2, 4]),), kwargs, "integer input",
             "Integers in, floats out: convert with np.asarray(x, dtype=float)."),
        Case(([-1.5, 0.0, 2.5],), kwargs, "a Python list",
             "Convert the input with np.asarray first."),
    ]
    return cases


def softmax_cases(seed: int = 0) -> list[Case]:
    """Inputs for a softmax over the last axis: the lecture's scores, a batch,
    equal scores, large scores (+-1000) and a shifted copy."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=(4, 5))
    return [
        Case((np.array([2.0, 1.0, 0.1]),), {}, "the lecture's scores [2.0, 1.0, 0.1]"),
        Case((z,), {}, "a batch of 4 rows of 5 scores (softmax of each row)",
             "Sum over the last axis with keepdims=True so each row is normalised."),
        Case((np.zeros((2, 3)),), {}, "equal scores (expect uniform probabilities)"),
        Case((np.array([[1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0]]),), {},
             "large scores",
             "exp(1000) overflows: subtract each row's maximum first."),
        Case((z + 500.0,), {}, "scores shifted by +500",
             "Softmax does not change when a constant is added to every score; "
             "subtracting the row maximum uses exactly that."),
    ]


# --------------------------------------------------------------------------- guards
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

    old = sys.getprofile()
    sys.setprofile(profiler)
    threading.setprofile(profiler)
    try:
        yield seen
    finally:
        sys.setprofile(old)
        threading.setprofile(None)


class _TimeLimit(Exception):
    pass


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
    outcome = _Outcome()
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
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
    outcome.warnings = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    outcome.stdout, outcome.stderr = out.getvalue(), err.getvalue()
    outcome.forbidden = list(seen)
    return outcome


# --------------------------------------------------------------------------- comparison
def _as_comparable(value):
    """A returned value as a plain ndarray (a copy) for comparison, or None if not numeric.

    Whatever the student's code returned (an ndarray subclass, an object with
    an always-true ``__eq__``, a float subclass, something with a peculiar
    ``__array__``) is turned into a plain numpy array once, here, and only
    numpy's own functions (captured at import) look at it afterwards: no
    method of the returned object takes part in the comparison.
    """
    if _isinstance(value, (bool, _bool_)) or value is None:
        return None
    if _isinstance(value, _ndarray) and value.size > _MAX_VALUES:
        return _ndarray.view(value, _ndarray)   # too big to copy: its shape is wrong anyway
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = _array(value, copy=True)
    except Exception:
        return None
    if _type(arr) is not _ndarray:
        arr = _ndarray.view(arr, _ndarray)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        return None
    return arr


def _difference(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> str | None:
    """None when ``got`` matches ``expected``, else a sentence about the first mismatch."""
    if _tuple(expected.shape) != _tuple(got.shape):
        return (f"the shape is wrong: expected shape {expected.shape}, "
                f"returned shape {got.shape}")
    with _errstate(all="ignore"):
        close = _array(_isclose(_array(got, dtype=_float64), _array(expected, dtype=_float64),
                                rtol=rtol, atol=atol, equal_nan=True), dtype=bool)
    if bool(close.all()):
        return None
    bad = _argwhere(~close)
    first = tuple(int(i) for i in bad[0])
    where = f" at index {first if len(first) > 1 else first[0]}" if expected.ndim else ""
    n_bad, n = len(bad), expected.size
    count = f"{n_bad} of {n} values differ; first" if n > 1 else "the value differs"
    return f"{count}{where}: expected {_num(expected[first])}, returned {_num(got[first])}"


def _matches(got, wrong, rtol: float, atol: float) -> bool:
    """Whether ``got`` equals ``wrong`` (tuples element by element)."""
    if isinstance(wrong, tuple):
        return (isinstance(got, (tuple, list)) and len(got) == len(wrong)
                and all(_matches(g, w, rtol, atol) for g, w in zip(got, wrong, strict=True)))
    got_arr = _as_comparable(got)
    return got_arr is not None and _difference(_array(wrong), got_arr, rtol, atol) is None


def _diagnose(got, case: Case, mistakes: dict[str, Callable] | None, rtol, atol) -> str | None:
    """Name a known mistake whose output the student's output reproduces."""
    for description, wrong in (mistakes or {}).items():
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                wrong_value = wrong(*copy.deepcopy(case.args), **case.kwargs)
        except Exception:
            continue
        if _matches(got, wrong_value, rtol, atol):
            return description
    return None


# --------------------------------------------------------------------------- checks
def check_function(student: Callable, reference: Callable | None, cases: Iterable[Case], *,
                   name: str | None = None, params: Sequence[str] | None = None,
                   rtol: float = 1e-6, atol: float = 1e-9, hint: str | None = None,
                   mistakes: dict[str, Callable] | None = None,
                   forbid: Sequence[Callable] | None = None, require_float: bool = False,
                   uses: dict[str, Callable] | None = None,
                   time_limit: float | None = 10.0, quiet: bool = False) -> None:
    """Compare ``student`` with ``reference`` on every case; stop at the first failure.

    Parameters
    ----------
    student : callable
        The student's function.
    reference : callable or None
        The dlkit reference it must agree with; may be None when every case
        carries its ``expected`` value.
    cases : iterable of Case
        Inputs to try (see :func:`elementwise_cases`).
    name : str, optional
        Name shown in messages; defaults to ``student.__name__``.
    params : sequence of str, optional
        Names of the positional parameters, for messages ("x", "W", "b").
    rtol, atol : float
        Tolerances, as in ``np.isclose``.
    hint : str, optional
        Hint shown with any failure (a case's own hint is shown first).
    mistakes : dict of str to callable, optional
        Known wrong implementations; when the student's output equals one of
        them, its description is shown ("you returned sigmoid(x), not its
        derivative").
    forbid : sequence of callable, optional
        Functions the student may not call; defaults to ``[reference]``
        (nothing when there is no reference).
    require_float : bool, default False
        Numeric results must have a floating dtype (for exercises whose
        docstring promises floats for integer input).
    uses : dict of str to callable, optional
        Functions from earlier exercises that ``student`` calls, replaced by
        correct ones while it runs: each exercise is graded on its own, so a
        mistake in an earlier one is not counted twice.
    time_limit : float or None, default 10
        Seconds allowed per call.
    quiet : bool, default False
        Do not print the success line.

    Returns
    -------
    None
        (A test cell must not end in a number: nbgrader would read it as
        partial credit.)

    Raises
    ------
    CheckFailed
        With the input, the expected and returned values and a hint.
    """
    if not callable(student):
        raise CheckFailed(f"{name or 'your answer'} is not a function",
                          [f"It is {describe(student)}. Run the cell that defines it first."])
    name = name or getattr(student, "__name__", "your function")
    params = list(params or _parameter_names(reference or student))
    if forbid is None:
        forbid = [reference] if reference is not None else []
    cases = list(cases)
    for case in cases:
        if case.expected is not _NO_VALUE:
            expected = case.expected
        else:
            expected = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        outcome = _run_guarded(student, case, forbid, time_limit, uses)
        problem = _problem(outcome, expected, case, name, rtol, atol, require_float, mistakes,
                           student)
        if problem is None:
            continue
        title, details, about_values = problem
        lines = list(details)
        if about_values:
            inputs = _describe_call(name, params, case)
            lines[:0] = [f"input ({case.label}):" if case.label else "input:", _indent(inputs)]
        hints = [h for h in (case.hint, hint) if h] if about_values else []
        if hints:
            lines.append("hint: " + "\n      ".join(hints))
        if outcome.stdout.strip():
            printed = outcome.stdout.strip().splitlines()
            lines.append(f"(your function printed {len(printed)} line(s); "
                         f"first: {printed[0][:120]})")
        raise CheckFailed(title, lines)
    if not quiet:
        labels = [c.label for c in cases if c.label]
        what = f"all {len(cases)} checks passed" if len(cases) > 1 else "1 check passed"
        shown = f" ({'; '.join(labels)})" if labels and len(labels) <= 3 else ""
        print(f"{_MARK_PASS} {name}: {what}{shown}")


def _problem(outcome: _Outcome, expected, case: Case, name: str, rtol: float, atol: float,
             require_float: bool, mistakes, student: Callable | None = None
             ) -> tuple[str, list[str], bool] | None:
    """What went wrong in one call, or None.

    Returns (title, detail lines, about_values): ``about_values`` is False for
    problems with the code as such (a stub, a forbidden call, a loop), where
    the input and the value hints would only distract.
    """
    if outcome.forbidden:
        called = ", ".join(outcome.forbidden)
        return (f"{name} calls {called}, the reference you are asked to write",
                ["This exercise is about implementing it yourself with numpy; "
                 "calling the reference earns no points."], False)
    if outcome.timed_out:
        return (f"{name} did not finish within the time limit",
                ["It may be stuck in an infinite loop (a `while` whose condition never "
                 "changes?) or loop over elements one by one on a big input."], False)
    if isinstance(outcome.error, NotImplementedError):
        return (f"{name} is not implemented yet",
                ["Replace `raise NotImplementedError()` with your code, run that cell, "
                 "then run this test again."], False)
    if outcome.error is not None:
        err = outcome.error
        where = _student_line(err)
        scalar = bool(case.args) and all(isinstance(a, (int, float)) and not isinstance(a, bool)
                                         for a in case.args)
        return (f"{name} raised {type(err).__name__}: {str(err)[:300]}",
                [f"at {where}" if where else "",
                 "hint: it must also accept a single number: numpy functions (np.exp, "
                 "np.maximum, np.where) work on numbers and arrays alike" if scalar else ""],
                True)
    if outcome.warnings:
        w = outcome.warnings[0]
        advice = ("nbgrader gives zero to any test that writes a warning, even when the "
                  "values are right. Rewrite the computation so that nothing overflows or "
                  "divides by zero for this input.")
        if "where(" in _source(student):
            advice += (" Note: np.where computes BOTH branches for every element before "
                       "choosing, so each branch must be safe on its own.")
        return (f"{name} printed a warning: {w.category.__name__}: {w.message}",
                [advice], True)
    if outcome.stderr.strip():
        return (f"{name} wrote to stderr: {outcome.stderr.strip().splitlines()[0][:200]}",
                ["nbgrader gives zero to any test that writes to stderr; remove that output."],
                True)
    return _compare(name, outcome.value, expected, case, rtol, atol, require_float, mistakes)


def _compare(name: str, got, expected, case: Case, rtol: float, atol: float,
             require_float: bool, mistakes) -> tuple[str, list[str], bool] | None:
    """Compare a returned value with the expected one (tuples element by element)."""
    if isinstance(expected, tuple):
        if _isinstance(got, (tuple, list)):
            try:
                got = _tuple(got)
            except Exception:
                got = None
        if not _isinstance(got, _tuple) or _len(got) != _len(expected):
            return (f"{name} must return {len(expected)} values, "
                    f"returned {describe(got)}",
                    [f"return them as a tuple: return {', '.join('...' for _ in expected)}"],
                    True)
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            problem = _compare(f"{name} (returned value #{i + 1})", g, e, case, rtol, atol,
                               require_float, None)
            if problem is not None:
                diagnosis = _diagnose(got, case, mistakes, rtol, atol)
                if diagnosis:
                    problem[1].append(f"this looks like a known mistake: {diagnosis}")
                return problem
        return None
    if isinstance(expected, (bool, np.bool_)):
        if _type(got) not in (bool, _bool_):
            return (f"{name} returned {describe(got)}, expected True or False",
                    [f"expected: {expected}"], True)
        if bool(got) != bool(expected):
            return (f"{name} returns a wrong result", [f"expected: {bool(expected)}",
                                                       f"returned: {bool(got)}"], True)
        return None
    exp_arr, got_arr = _array(expected), _as_comparable(got)
    if got_arr is None:
        return (f"{name} returned {describe(got)}, not a number or an array of numbers",
                ["Did you forget a `return` statement?" if got is None else
                 f"expected: {describe(expected)}"], True)
    if require_float and got_arr.dtype.kind not in "f" and exp_arr.dtype.kind == "f":
        return (f"{name} returned integers (dtype {got_arr.dtype}), expected floats",
                [f"expected: {describe(expected)}", f"returned: {describe(got)}",
                 "Convert with np.asarray(x, dtype=float) before computing."], True)
    diff = _difference(exp_arr, got_arr, rtol, atol)
    if diff is None:
        return None
    details = [f"expected: {describe(expected)}", f"returned: {describe(got)}", diff]
    diagnosis = _diagnose(got, case, mistakes, rtol, atol)
    if diagnosis:
        details.append(f"this looks like a known mistake: {diagnosis}")
    return (f"{name} returns a wrong result", details, True)


def check_value(name: str, got, expected, *, rtol: float = 1e-6, atol: float = 1e-9,
                hint: str | None = None, quiet: bool = False) -> None:
    """Check a value the student computed (a number or an array).

    Raises
    ------
    CheckFailed
        Naming the variable, with expected and returned values and the hint.
    """
    exp_arr, got_arr = _array(expected), _as_comparable(got)
    if got_arr is None:
        detail = "Did you assign it?" if got is None else f"expected: {describe(expected)}"
        raise CheckFailed(f"{name} is {describe(got)}, not a number or an array of numbers",
                          [detail, f"hint: {hint}" if hint else ""])
    diff = _difference(exp_arr, got_arr, rtol, atol)
    if diff is not None:
        raise CheckFailed(f"{name} is wrong",
                          [f"expected: {describe(expected)}", f"returned: {describe(got)}",
                           diff, f"hint: {hint}" if hint else ""])
    if not quiet:
        print(f"{_MARK_PASS} {name} is right")


def check_choices(name: str, got, expected, *, choices: Sequence[str],
                  items: Sequence[str] | None = None, count: int | None = None,
                  only: Sequence[int] | None = None, hint: str | None = None,
                  quiet: bool = False) -> None:
    """Check a list of multiple-choice answers.

    Parameters
    ----------
    name : str
        The variable's name ("answers").
    got : list of str
        The student's answers, one per item.
    expected : list, or dict of int to answer
        The right answers by position; a dict checks only the positions it
        names (so a public test reveals only those). An answer may be a tuple
        of several acceptable choices.
    choices : sequence of str
        The allowed answers; anything else is reported as a format problem.
    items : sequence of str, optional
        The statements, to quote in messages.
    count : int, optional
        How many answers there must be (default: ``len(items)`` or
        ``len(expected)`` for a list).
    only : sequence of int, optional
        Check only these positions of a list ``expected``.

    Raises
    ------
    CheckFailed
        For a wrong format, or listing every wrong answer.
    """
    if isinstance(expected, dict):
        wanted = dict(expected)
    else:
        wanted = {i: a for i, a in enumerate(expected) if only is None or i in only}
    n = count or (len(items) if items else None) or (
        len(expected) if not isinstance(expected, dict) else max(wanted) + 1)
    example = f"{name} = [{choices[0]!r}, ...]"
    if got is None or isinstance(got, str) or not isinstance(got, (list, tuple)):
        raise CheckFailed(f"{name} must be a list of {n} answers",
                          [f"it is {describe(got)}", f"write e.g. {example}"])
    got = list(got)
    not_text = [i for i, a in enumerate(got) if _type(a) is not str]
    if not_text:
        i = not_text[0]
        raise CheckFailed(f"{name}[{i}] is {describe(got[i])}, not a string",
                          [f"write e.g. {example}"])
    if len(got) != n:
        raise CheckFailed(f"{name} has {len(got)} answers, expected {n}",
                          ["one answer per statement, in order"])
    bad_format = [i for i, a in enumerate(got) if a not in choices]
    if bad_format:
        i = bad_format[0]
        raise CheckFailed(f"{name}[{i}] is {got[i]!r}, which is not one of {list(choices)}",
                          ["answers are case-sensitive strings"])
    right = {i: (a if isinstance(a, (tuple, list, set, frozenset)) else (a,))
             for i, a in wanted.items()}
    wrong = [i for i in sorted(right) if got[i] not in right[i]]
    if wrong:
        lines = [f"{name}[{i}]" + (f" ({items[i]!r})" if items else "") +
                 f": you answered {got[i]!r}" for i in wrong]
        raise CheckFailed(f"{len(wrong)} of the checked answers in {name} are wrong",
                          [*lines, f"hint: {hint}" if hint else ""])
    if not quiet:
        print(f"{_MARK_PASS} {name}: the {len(right)} checked answers are right")


def check_true(condition: bool, what: str, *, details: Sequence[str] = (),
               hint: str | None = None, quiet: bool = False) -> None:
    """Check a condition stated in words ("the perceptron never converges on XOR")."""
    if _type(condition) not in (bool, _bool_):
        raise CheckFailed(f"not true: {what}",
                          [f"the check got {describe(condition)}, not True or False", *details])
    if not bool(condition):
        raise CheckFailed(f"not true: {what}", [*details, f"hint: {hint}" if hint else ""])
    if not quiet:
        print(f"{_MARK_PASS} {what}")


# --------------------------------------------------------------------------- helpers
def _parameter_names(fn: Callable) -> list[str]:
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is None:
        return []
    return list(code.co_varnames[: code.co_argcount])


def _student_line(exc: BaseException) -> str | None:
    """'line 3 of your cell: return 1 / (1 + np.exp(-x))' for the innermost notebook frame."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "ipykernel" in filename or filename.startswith("<ipython-input") or (
                "/dlkit/" not in filename and "site-packages" not in filename
                and "/lib/python" not in filename):
            found = tb
        tb = tb.tb_next
    if found is None:
        return None
    import linecache

    line = linecache.getline(found.tb_frame.f_code.co_filename, found.tb_lineno).strip()
    return (f"line {found.tb_lineno} of {found.tb_frame.f_code.co_name}"
            + (f": {line}" if line else ""))


def _brief(value) -> str:
    """One short token for a value inside a container: a number, or an array's shape."""
    if isinstance(value, np.ndarray):
        return _num(value[()]) if value.ndim == 0 else f"array of shape {value.shape}"
    if isinstance(value, (float, int, np.generic)):
        return _num(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _num(x) -> str:
    """A number printed briefly: 0.2350037122, 1e-300, nan, True."""
    x = x.item() if isinstance(x, np.generic) else x
    if not isinstance(x, float):
        return repr(x)
    text = repr(x)
    return text if len(text) <= 13 else f"{x:.10g}"


def _source(fn) -> str:
    """The source of a function, or '' when it cannot be found."""
    import inspect

    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.split("\n"))
