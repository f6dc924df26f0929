"""Comparing what a student's code returned with what was expected.

Whatever came back (an ndarray subclass, an object with an always-true
``__eq__``, a float subclass) is turned into a plain numpy array once, and
only numpy's own functions, captured when this module was imported, look at
it afterwards.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

import numpy as np

from dlkit.grading.cases import Case
from dlkit.grading.render import _num, describe

# numpy's functions as they were when this module was imported: a student who
# replaces np.isclose or np.asarray later (monkeypatching) does not change them
_array, _isclose, _argwhere, _errstate = np.array, np.isclose, np.argwhere, np.errstate
_ndarray, _float64, _bool_, _generic = np.ndarray, np.float64, np.bool_, np.generic
_deepcopy, _isinstance, _type, _len, _tuple = copy.deepcopy, isinstance, type, len, tuple
_MAX_VALUES = 10_000_000   # larger results are compared by shape only (no copy)


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
    if isinstance(expected, dict):
        return _compare_dict(name, got, expected, case, rtol, atol, require_float)
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


def _compare_dict(name: str, got, expected: dict, case: Case, rtol: float, atol: float,
                  require_float: bool) -> tuple[str, list[str], bool] | None:
    """A dict of names to values: the same names (str keys), each value as expected.

    The returned mapping is read with ``dict``'s own methods (a subclass's
    ``items`` or ``__contains__`` takes no part); keys that are not plain
    strings count as names that should not be there.
    """
    if not _isinstance(got, dict):
        return (f"{name} must return a dict, returned {describe(got)}",
                ["Did you forget a `return` statement?" if got is None else
                 f"expected: {describe(expected)}"], True)
    items = {(k if _type(k) is str else repr(k)): v for k, v in dict.items(got)}
    problems = []
    for key, want in expected.items():
        if key not in items:
            problems.append(f"{key!r} is missing (expected {_brief_value(want)})")
            continue
        problem = _compare(f"{key!r}", items[key], want, case, rtol, atol, require_float, None)
        if problem is not None:
            first = [d for d in problem[1] if "differ" in d or "shape is wrong" in d]
            if _as_comparable(want) is not None and _as_comparable(want).ndim and first:
                problems.append(f"{key!r}: {first[0]}")   # an array: where it first differs
            else:
                problems.append(f"{key!r}: expected {_brief_value(want)}, "
                                f"returned {_brief_value(items[key])}")
    problems += [f"{key!r} should not be there (returned {_brief_value(value)})"
                 for key, value in items.items() if key not in expected]
    if not problems:
        return None
    shown = problems[:6] + ([f"... and {len(problems) - 6} more"] if len(problems) > 6 else [])
    return (f"{name} returns a wrong result",
            [f"expected: {describe(expected)}", f"returned: {describe(got)}", *shown], True)


def _brief_value(value) -> str:
    arr = _as_comparable(value)
    if arr is not None and arr.ndim == 0:
        return _num(arr[()])
    return describe(value)

