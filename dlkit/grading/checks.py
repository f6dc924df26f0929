"""The checks a test cell calls: check_function, check_value, check_choices, check_true."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence

from dlkit.grading import remote
from dlkit.grading.cases import _NO_VALUE, Case
from dlkit.grading.compare import _array, _as_comparable, _bool_, _compare, _difference, _type
from dlkit.grading.guards import _Outcome, _run_guarded
from dlkit.grading.render import MARK_PASS, CheckFailed, _describe_call, _indent, describe


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
        print(f"{MARK_PASS} {name}: {what}{shown}")


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
        category, message = outcome.warnings[0]
        advice = ("nbgrader gives zero to any test that writes a warning, even when the "
                  "values are right. Rewrite the computation so that nothing overflows or "
                  "divides by zero for this input.")
        if "where(" in _source(student):
            advice += (" Note: np.where computes BOTH branches for every element before "
                       "choosing, so each branch must be safe on its own.")
        return (f"{name} printed a warning: {category}: {message}",
                [advice], True)
    if outcome.stderr.strip():
        return (f"{name} wrote to stderr: {outcome.stderr.strip().splitlines()[0][:200]}",
                ["nbgrader gives zero to any test that writes to stderr; remove that output."],
                True)
    return _compare(name, outcome.value, expected, case, rtol, atol, require_float, mistakes)


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
        print(f"{MARK_PASS} {name} is right")


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
        print(f"{MARK_PASS} {name}: the {len(right)} checked answers are right")


def check_true(condition: bool, what: str, *, details: Sequence[str] = (),
               hint: str | None = None, quiet: bool = False) -> None:
    """Check a condition stated in words ("the perceptron never converges on XOR")."""
    if _type(condition) not in (bool, _bool_):
        raise CheckFailed(f"not true: {what}",
                          [f"the check got {describe(condition)}, not True or False", *details])
    if not bool(condition):
        raise CheckFailed(f"not true: {what}", [*details, f"hint: {hint}" if hint else ""])
    if not quiet:
        print(f"{MARK_PASS} {what}")




# --------------------------------------------------------------------------- helpers
def _parameter_names(fn: Callable) -> list[str]:
    if remote.is_remote(fn):
        return remote.parameters(fn)
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is None:
        return []
    return list(code.co_varnames[: code.co_argcount])


def _student_line(exc: BaseException) -> str | None:
    """'line 3 of your cell: return 1 / (1 + np.exp(-x))' for the innermost notebook frame."""
    if hasattr(exc, "autograde_where"):   # rebuilt from a student's kernel: it says where
        return exc.autograde_where
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


def _source(fn) -> str:
    """The source of a function, or '' when it cannot be found."""
    import inspect

    if remote.is_remote(fn):
        return remote.source(fn)
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""
