"""Input coercion shared by every dlkit function (private).

One place decides what dlkit accepts: numbers and arrays of numbers become
float64 arrays; anything else is refused with a message that names the
argument and what it was.
"""

from __future__ import annotations

import numpy as np


def as_float(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float64 ndarray (a copy only when needed).

    Raises
    ------
    TypeError
        If ``x`` is not a real number or an array of real numbers.
    """
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a number or an array of numbers: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be a real number or an array of real numbers, "
            f"got {type(x).__name__}" + (f" of dtype {arr.dtype}" if arr.dtype != object else "")
        )
    return arr.astype(np.float64, copy=False)


def out(result: np.ndarray):
    """Return a 0-d result as a numpy float64 scalar, anything else unchanged."""
    return result[()] if isinstance(result, np.ndarray) and result.ndim == 0 else result


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raise ValueError naming both shapes when ``a`` and ``b`` differ in shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, "
            f"got {names[0]} {a.shape} and {names[1]} {b.shape}"
        )
