"""The neuron explorer: one neuron with two inputs, the plane coloured by its output."""

from __future__ import annotations

import numpy as np

from dlkit import activations
from dlkit.autograding import skip_while_grading
from dlkit.widgets._base import (
    Explorer,
    dropdown,
    figure,
    fmt,
    on_change,
    slider,
)


def _decision_line(w1, w2, b, lim):
    """Two points of the line ``w1 x1 + w2 x2 + b = 0`` spanning [-lim, lim], or empty."""
    t = np.array([-lim, lim])
    if w1 == 0 and w2 == 0:
        return np.empty(0), np.empty(0)
    if abs(w2) >= abs(w1):
        return t, -(w1 * t + b) / w2
    return -(w2 * t + b) / w1, t


def _neuron_figure_data(w1, w2, b, name="sigmoid", x1=1.0, x2=1.0, lim=2.0, resolution=101):
    r"""What :func:`neuron_explorer` draws: one neuron :math:`a = f(w_1 x_1 + w_2 x_2 + b)`.

    Parameters
    ----------
    w1, w2, b : float
        Weights and bias.
    name : str
        The activation.
    x1, x2 : float
        The input whose ``z`` and ``a`` are read out.
    lim : float
        The plane shown is ``[-lim, lim]^2``.
    resolution : int
        Grid points per axis.

    Returns
    -------
    dict
        ``grid`` (resolution,), the coordinates along each axis; ``a``
        (resolution, resolution), the output with ``a[i, j]`` at
        ``x1 = grid[j], x2 = grid[i]``; ``line`` ``(x1s, x2s)``, the decision
        line ``z = 0`` (empty when ``w = 0``); floats ``z`` and ``a0`` at the point.
    """
    act = activations.get(name)
    grid = np.linspace(-lim, lim, resolution)
    g1, g2 = np.meshgrid(grid, grid)
    z0 = w1 * x1 + w2 * x2 + b
    return {"grid": grid, "a": act.fn(w1 * g1 + w2 * g2 + b),
            "line": _decision_line(w1, w2, b, lim),
            "z": float(z0), "a0": float(act.fn(z0))}


@skip_while_grading(say=True)
def neuron_explorer():
    r"""Explore one neuron with two inputs, :math:`a = f(w_1 x_1 + w_2 x_2 + b)`.

    The picture colours the input plane by the output ``a``, draws the line
    where ``z = 0`` (the decision line of a threshold or sigmoid unit) and
    marks the input ``(x1, x2)``, whose ``z`` and ``a`` are read out.

    Returns
    -------
    Explorer, or None while nbgrader grades
    """
    c = {
        "w1": slider("w1", 1.0, -3.0, 3.0, 0.1),
        "w2": slider("w2", -1.0, -3.0, 3.0, 0.1),
        "b": slider("b", 0.0, -3.0, 3.0, 0.1),
        "name": dropdown("activation", activations.ACTIVATIONS, "sigmoid"),
        "x1": slider("x1", 1.0, -2.0, 2.0, 0.05),
        "x2": slider("x2", 0.5, -2.0, 2.0, 0.05),
    }
    lim = 2.0
    fig, ax = figure(5.6, 4.2)
    image = ax.imshow(np.zeros((2, 2)), origin="lower", extent=(-lim, lim, -lim, lim),
                      cmap="viridis", aspect="equal")
    fig.colorbar(image, ax=ax, label="a = f(z)")
    line, = ax.plot([], [], "w--", linewidth=2, label="z = 0")
    point, = ax.plot([], [], "r*", markersize=12, label="(x1, x2)")
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper right", fontsize="small")
    ex = Explorer(c, fig, {"heatmap": image, "line": line, "point": point})

    def update():
        v = {k: w.value for k, w in c.items()}
        d = _neuron_figure_data(v["w1"], v["w2"], v["b"], v["name"], v["x1"], v["x2"], lim)
        image.set_data(d["a"])
        lo, hi = float(d["a"].min()), float(d["a"].max())
        image.set_clim(lo, hi if hi > lo else lo + 1.0)
        line.set_data(*d["line"])
        point.set_data([v["x1"]], [v["x2"]])
        ax.set_title(f"a = {v['name']}({v['w1']:.2f} x1 + {v['w2']:.2f} x2 + {v['b']:.2f})")
        ex.readout.value = (
            f"z = w1·x1 + w2·x2 + b = {v['w1']:.2f}·{v['x1']:.2f} + {v['w2']:.2f}·{v['x2']:.2f}"
            f" + {v['b']:.2f} = <b>{fmt(d['z'])}</b>; "
            f"a = {v['name']}(z) = <b>{fmt(d['a0'])}</b>")
        relayout = ex.state.get("name") != v["name"]
        ex.state.update(d, name=v["name"])
        ex.render(layout=relayout)

    on_change(c.values(), update)
    update()
    return ex
