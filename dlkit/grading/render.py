"""How a check speaks: the failure a student sees, and values described briefly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MARK_PASS = "\u2713"  # ✓
MARK_FAIL = "\u2717"  # ✗


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
        lines = [f"{red}{bold}{MARK_FAIL} {self.title}{reset}"]
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
    special = getattr(type(value), "__grading_describe__", None)
    if special is not None:   # a placeholder of the grader's (autograde.bridge.Opaque)
        return special(value)
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
        entries = "1 entry" if len(value) == 1 else f"{len(value)} entries"
        return "{" + ", ".join(shown) + more + f"}} (dict of {entries})"
    if isinstance(value, (list, tuple)) and len(value) > max_items:
        head = ", ".join(repr(v) for v in value[:3])
        return f"{type(value).__name__} of {len(value)} items [{head}, ...]"
    text = repr(value)
    if len(text) > 300:
        text = text[:300] + " ..."
    return f"{text} ({type(value).__name__})"


def _describe_call(name: str, params: Sequence[str], case) -> str:
    parts = []
    for i, arg in enumerate(case.args):
        label = params[i] if i < len(params) else f"arg{i}"
        parts.append(f"{label} = {describe(arg)}")
    parts += [f"{k} = {describe(v)}" for k, v in case.kwargs.items()]
    return "\n".join(parts)



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


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.split("\n"))
