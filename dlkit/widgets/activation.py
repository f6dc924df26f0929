"""The activation explorer: any activation of :mod:`dlkit.activations`, its derivative,
where it saturates, and a second activation to compare with."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import PolyCollection

from dlkit import activations
from dlkit.autograding import skip_while_grading
from dlkit.widgets._base import (
    Explorer,
    dropdown,
    figure,
    fmt,
    on_change,
    show,
    slider,
)

#: A point saturates where :math:`|f'(x)|` is below this fraction of the largest :math:`|f'|`.
SATURATION = 0.05
#: The x range the range slider offers; the largest :math:`|f'|` is taken over it.
X_LIMITS = (-10.0, 10.0)
NONE = "none"


def _parametrised() -> list:
    """The activations that take a parameter (their records say which, and its range)."""
    return [a for a in activations.ACTIVATIONS.values() if a.parameter is not None]


def parameter_default(name) -> float | None:
    """Default of the activation's parameter (its ``alpha``), or None if it takes none."""
    p = activations.get(name).parameter
    return None if p is None else float(p.default)


def _kwargs(name, alphas) -> dict:
    """Keyword arguments of activation ``name``: its parameter from ``alphas`` (slider key ->
    value)."""
    act = activations.get(name)
    return act.kwargs(None if act.parameter is None else alphas.get(act.parameter.key))


def _span(lo, hi, least=0.5):
    """``(lo, hi)``, widened to ``least`` around ``lo`` when the range slider's ends meet."""
    lo, hi = float(lo), float(hi)
    return (lo, hi) if hi - lo >= least else (lo - least / 2, lo + least / 2)


def saturated_intervals(x, df, threshold):
    """The ``[start, end]`` pieces of ``x`` where ``|df| < threshold``.

    Parameters
    ----------
    x : ndarray of shape (num,), increasing
    df : ndarray of shape (num,)
    threshold : float

    Returns
    -------
    list of (float, float)
        Each run of consecutive saturated points, from its first to its last x.
    """
    flat = np.abs(df) < threshold
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flat.astype(np.int8), [0]])))
    return [(float(x[a]), float(x[b - 1])) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def activation_data(name, lo=-5.0, hi=5.0, x0=1.0, num=401, **alphas):
    """What :func:`activation_explorer` draws for one activation.

    Parameters
    ----------
    name : str
        A name from :data:`dlkit.activations.ACTIVATIONS`.
    lo, hi : float
        The x range (widened to 0.5 when the ends meet).
    x0 : float
        The point whose values are read out.
    num : int
        Number of points on [lo, hi].
    **alphas : float
        Parameters by their slider's key (``leaky_alpha``, ``elu_alpha``: see
        :class:`dlkit.activations.Parameter`), used by the activation that takes them.

    Returns
    -------
    dict
        ``x``, ``f``, ``df`` (num,); floats ``x0``, ``f0 = f(x0)``, ``df0 = f'(x0)``;
        ``df_max`` and ``x_max``, the largest ``f'`` on the range and where
        (the first such x); ``threshold``, :data:`SATURATION` times the largest
        ``|f'|`` over :data:`X_LIMITS`; ``saturated``, the intervals of the range
        where ``|f'| < threshold``.
    """
    act, kw = activations.get(name), _kwargs(name, alphas)
    lo, hi = _span(lo, hi)
    x = np.linspace(lo, hi, num)
    f, df = act.fn(x, **kw), act.derivative(x, **kw)
    wide = np.linspace(*X_LIMITS, 2001)
    threshold = SATURATION * float(np.max(np.abs(act.derivative(wide, **kw))))
    best = int(np.argmax(df))
    return {"x": x, "f": f, "df": df, "x0": float(x0),
            "f0": float(act.fn(x0, **kw)), "df0": float(act.derivative(x0, **kw)),
            "df_max": float(df[best]), "x_max": float(x[best]), "threshold": threshold,
            "saturated": saturated_intervals(x, df, threshold)}


def _controls():
    names = list(activations.ACTIVATIONS)
    return {
        "name": dropdown("activation", names, "sigmoid"),
        "compare": dropdown("compare with", [NONE, *names], NONE),
        "range": widgets.FloatRangeSlider(value=(-5.0, 5.0), min=X_LIMITS[0], max=X_LIMITS[1],
                                          step=0.5, description="x range", readout_format=".1f",
                                          continuous_update=False),
        "x0": slider("x", 1.0, *X_LIMITS, 0.05),
        **{p.key: slider(p.label, p.default, p.low, p.high, p.step)
           for p in (a.parameter for a in _parametrised())},
    }


def _artists(ax):
    a = {
        "saturation": ax.add_collection(PolyCollection(
            [], transform=ax.get_xaxis_transform(), facecolor="0.85", edgecolor="none",
            label=f"saturated: |f'| < {SATURATION:g} max|f'|")),
        "f": ax.plot([], [], color="C0", linewidth=2, label="f(x)")[0],
        "df": ax.plot([], [], "--", color="C1", linewidth=2, label="f'(x)")[0],
        "g": ax.plot([], [], color="C2", linewidth=1.2, alpha=0.8)[0],
        "dg": ax.plot([], [], "--", color="C3", linewidth=1.2, alpha=0.8)[0],
        "df_max": ax.plot([], [], "v", color="C1", markersize=9, label="max f'")[0],
        "point": ax.plot([], [], "ko", markersize=5)[0],
    }
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.grid(True, alpha=0.3)
    return a


def _draw(ax, a, d, other, other_name):
    """Put ``d`` (and the comparison ``other``, or None) into the artists ``a``."""
    a["f"].set_data(d["x"], d["f"])
    a["df"].set_data(d["x"], d["df"])
    a["df_max"].set_data([d["x_max"]], [d["df_max"]])
    a["point"].set_data([d["x0"], d["x0"]], [d["f0"], d["df0"]])
    a["saturation"].set_verts([[(s, 0), (s, 1), (e, 1), (e, 0)] for s, e in d["saturated"]])
    for key, values in (("g", "f"), ("dg", "df")):
        a[key].set_visible(other is not None)
        if other is not None:
            a[key].set_data(other["x"], other[values])
    a["g"].set_label(f"{other_name}(x)" if other is not None else "_g")
    a["dg"].set_label(f"{other_name}'(x)" if other is not None else "_dg")
    ax.set_xlim(d["x"][0], d["x"][-1])
    ax.relim(visible_only=True)
    ax.autoscale_view(scalex=False)
    ax.legend(loc="upper left", fontsize="small")


def _readout(name, d) -> str:
    share = sum(e - s for s, e in d["saturated"]) / (d["x"][-1] - d["x"][0])
    return (f"f({d['x0']:.2f}) = <b>{fmt(d['f0'])}</b>, f'({d['x0']:.2f}) = <b>{fmt(d['df0'])}</b>;"
            f" max f' = <b>{fmt(d['df_max'])}</b> at x = {d['x_max']:.2f};"
            f" {name} saturates on <b>{share:.0%}</b> of the range shown")


@skip_while_grading(say=True)
def activation_explorer():
    """Explore an activation and its derivative: where it saturates, how it compares.

    Controls: the activation; a second one to compare with (or "none"); the x
    range; a point ``x`` whose ``f(x)`` and ``f'(x)`` are read out and
    marked; and the parameter ``alpha`` of leaky ReLU and of ELU, each shown
    only while one of the two activations uses it. Grey bands mark where the
    activation saturates (``|f'|`` below :data:`SATURATION` of its largest
    value): there, gradients vanish. A triangle marks the largest ``f'``.

    Returns
    -------
    Explorer, or None while nbgrader grades
        ``artists``: ``f``, ``df`` (the activation), ``g``, ``dg`` (the
        comparison), ``df_max``, ``point`` and ``saturation``; ``state``: the
        last :func:`activation_data` of the activation (and ``"compare"``).
    """
    c = _controls()
    fig, ax = figure()
    a = _artists(ax)
    ex = Explorer(c, fig, a, rows=[[c["name"], c["compare"]], [c["range"], c["x0"]],
                                   [c[act.parameter.key] for act in _parametrised()]])

    def update():
        name, other_name = c["name"].value, c["compare"].value
        for act in _parametrised():
            show(c[act.parameter.key], act.name in (name, other_name))
        alphas = {act.parameter.key: c[act.parameter.key].value for act in _parametrised()}
        span = (*c["range"].value, c["x0"].value)
        d = activation_data(name, *span, **alphas)
        other = None if other_name == NONE else activation_data(other_name, *span, **alphas)
        _draw(ax, a, d, other, other_name)
        ax.set_title(name if other is None else f"{name} and {other_name}")
        ex.readout.value = _readout(name, d)
        view = (name, other_name, c["range"].value)  # what can move the labels
        relayout = ex.state.get("view") != view
        ex.state.clear()
        ex.state.update(d, compare=other, view=view)
        ex.render(layout=relayout)

    on_change(c.values(), update)
    update()
    return ex

