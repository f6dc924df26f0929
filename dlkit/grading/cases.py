"""The inputs a check tries: one :class:`Case` per call, and ready-made families."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
