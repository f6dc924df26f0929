"""Numbers the notebooks' text states, recomputed in plain Python.

The text after a printout must say what the printout shows; the oracle here
shares no code with dlkit or the notebooks.
"""

from __future__ import annotations

import nbformat

from .harness import ROOT


def _markdown(assignment: str, name: str) -> str:
    nb = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def perceptron_epochs(X, y, epochs):
    """The perceptron rule in plain Python: predict 1 when w.x + b > 0, update on mistakes."""
    w, b, out = [0.0, 0.0], 0.0, []
    for _ in range(epochs):
        start, errors = (tuple(w), b), 0
        for x, target in zip(X, y, strict=True):
            pred = 1 if w[0] * x[0] + w[1] * x[1] + b > 0 else 0
            if pred != target:
                w = [w[0] + (target - pred) * x[0], w[1] + (target - pred) * x[1]]
                b += target - pred
                errors += 1
        out.append((start, (tuple(w), b), errors))
    return out


def test_a3_the_perceptron_on_xor_cycles_from_the_third_epoch():
    X, y = [(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]
    runs = perceptron_epochs(X, y, 5)
    assert runs[0][1:] == (((-1.0, 0.0), 0.0), 2)
    assert runs[1] == (((-1.0, 0.0), 0.0), ((-1.0, 0.0), 1.0), 3)
    assert all(r == (((-1.0, 0.0), 1.0), ((-1.0, 0.0), 1.0), 4) for r in runs[2:])
    text = _markdown("a3-nonlinearity", "nonlinearity")
    assert "The first epoch ends at $\\mathbf{w} = (-1, 0)$, $b = 0$ (2 mistakes)" in text
    assert "after 3 mistakes" in text and "From the **third** epoch on" in text
    assert "From the second epoch on" not in text


def test_a3_momentum_worked_numbers():
    lr, mu, v, seen = 0.5, 0.9, 0.0, []
    for _ in range(3):
        v = mu * v - lr * 1.0
        seen.append(round(v, 6))
    assert seen == [-0.5, -0.95, -1.355]
    assert round(-lr / (1 - mu), 9) == -5.0        # the limit of a constant gradient
    text = _markdown("a3-nonlinearity", "nonlinearity")
    assert "$v = -0.5$, then\n$-0.95$, then $-1.355$, on its way to $-5$" in text
