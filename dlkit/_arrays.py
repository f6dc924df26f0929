"""Input coercion and argument checks shared by every dlkit function (private).

One place decides what dlkit accepts: numbers and arrays of numbers become
float64 arrays; counts are integers of at least some minimum; a random
source is an int seed, a Generator, or None for :data:`DEFAULT_SEED`.
Anything else is refused with a message that names the argument and what it
was: TypeError for the wrong kind of value, ValueError for one out of range.
"""

from __future__ import annotations

import numbers

import numpy as np

#: The seed used wherever ``rng=None``: an unseeded call still gives the same numbers.
DEFAULT_SEED = 0


def generator(rng) -> np.random.Generator:
    """A numpy Generator for ``rng``: an int seed (>= 0), a Generator (used as is), or None.

    ``None`` means :data:`DEFAULT_SEED`, **not** fresh entropy, so a notebook
    that forgets the seed still gets the same numbers every time it runs.
    """
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError("rng must be an int seed, a numpy.random.Generator or None, "
                    f"got {type(rng).__name__}")


def check_int(value, name: str, minimum: int = 1, why: str = "") -> int:
    """``value`` as an int, refusing non-integers (TypeError) and values below ``minimum``
    (ValueError; ``why`` is added to the message)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}{why}, got {value}")
    return int(value)


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


def lookup(registry: dict, name, kind: str):
    """``registry[name]``, or ValueError naming the unknown ``kind`` and every known name."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(registry))
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {known}") from None


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raise ValueError naming both shapes when ``a`` and ``b`` differ in shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, "
            f"got {names[0]} {a.shape} and {names[1]} {b.shape}"
        )
