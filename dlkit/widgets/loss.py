"""The loss explorer: every loss of :mod:`dlkit.losses` and its gradient against one prediction.

Each loss is seen through a one-dimensional slice (a :class:`LossView`): one
sample, the target fixed by a slider, one prediction moving along the x
axis. Losses over distributions use two classes, ``[1 - p, p]``; the
triplet loss moves the negative along a line through the anchor (at 0) and
the positive. The gradient drawn is the derivative of that slice, so it is
the slope of the loss curve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np

from dlkit import losses
from dlkit.autograding import skip_while_grading
from dlkit.widgets._base import (
    Explorer,
    Guard,
    figure,
    fmt,
    on_change,
    set_range,
    show,
    slider,
)


class LossView(NamedTuple):
    """How :func:`loss_explorer` shows one loss of :mod:`dlkit.losses`.

    Attributes
    ----------
    group : str
        "regression", "classification" or "ranking".
    label : str
        The name in the dropdown.
    xlabel : str
        What the x axis is: the prediction that moves.
    target : tuple
        The target slider: ``(description, value, min, max, step)``.
    span : tuple or None
        The x range; None means ``target +- 3``.
    param : tuple or None
        The parameter slider ``(keyword, value, min, max, step)``, or None.
    curve : callable
        ``curve(x (num,), target, **param) -> (loss (num,), dloss/dx (num,))``.
    target_on_axis : bool
        Whether the target is a point of the x axis (drawn as a dotted line).
    """

    group: str
    label: str
    xlabel: str
    target: tuple
    span: tuple | None
    param: tuple | None
    curve: Callable
    target_on_axis: bool


def _elementwise(name):
    """Loss and gradient of an elementwise loss at predictions ``x`` for the target ``t``."""
    fn, grad = losses.get(name)

    def curve(x, t, **kw):
        y = np.full_like(x, t)
        return fn(y, x, reduction="none", **kw), grad(y, x, reduction="none", **kw)
    return curve


def _two_classes(x):
    """Distributions ``[1 - x, x]`` over two classes, shape (num, 2)."""
    return np.column_stack([1.0 - x, x])


def _distribution(name):
    """A loss of two-class distributions: target ``[1 - t, t]``, prediction ``[1 - p, p]``.

    The derivative along ``p`` is ``dL/dq1 - dL/dq0``.
    """
    fn, grad = losses.get(name)

    def curve(p, t, **kw):
        y, q = _two_classes(np.full_like(p, t)), _two_classes(p)
        g = grad(y, q, reduction="none", **kw)
        return fn(y, q, reduction="none", **kw), g[:, 1] - g[:, 0]
    return curve


def _labelled(name, shape=()):
    """A loss of an integer label ``t`` and two-class probabilities ``[1 - p, p]``.

    ``shape`` puts each sample into that many extra axes (``(1, 1)`` makes
    one-pixel images for the pixel-wise loss).
    """
    fn, grad = losses.get(name)

    def curve(p, t, **kw):
        n = len(p)
        labels = np.full((n, *shape), int(round(t)))
        q = _two_classes(p).reshape(n, *shape, 2)
        g = grad(labels, q, reduction="none", **kw).reshape(n, 2)
        return fn(labels, q, reduction="none", **kw).reshape(n), g[:, 1] - g[:, 0]
    return curve


def _softmax_logit(z, t, **kw):
    """Softmax cross-entropy of label ``t`` with logits ``[0, z]``; derivative along ``z``."""
    labels, logits = np.full(len(z), int(round(t))), np.column_stack([np.zeros_like(z), z])
    fn, grad = losses.get("softmax_cross_entropy_with_logits")
    return (fn(labels, logits, reduction="none", **kw),
            grad(labels, logits, reduction="none", **kw)[:, 1])


def _contrastive(d, t, **kw):
    """Contrastive loss of a pair at distance ``d``, similar when ``t = 1``."""
    similar = np.full_like(d, round(t))
    return (losses.contrastive_loss(d, similar, reduction="none", **kw),
            losses.contrastive_loss_grad(d, similar, reduction="none", **kw))


def _triplet(n, t, **kw):
    """Triplet loss with anchor 0, positive ``t`` and negative ``n`` on a line; d/dn."""
    anchor, positive = np.zeros((len(n), 1)), np.full((len(n), 1), t)
    negative = n[:, None]
    grads = losses.triplet_loss_grad(anchor, positive, negative, reduction="none", **kw)
    return (losses.triplet_loss(anchor, positive, negative, reduction="none", **kw),
            grads[2][:, 0])


def _ranking(s1, t, **kw):
    """Margin ranking loss of scores ``s1`` against ``s2 = 0`` with label ``t``; d/ds1."""
    s2, y = np.zeros_like(s1), np.full_like(s1, t)
    return (losses.margin_ranking_loss(s1, s2, y, reduction="none", **kw),
            losses.margin_ranking_loss_grad(s1, s2, y, reduction="none", **kw)[0])


_REAL = ("target y", 0.0, -2.0, 2.0, 0.1)
_PROB = ("target y", 1.0, 0.0, 1.0, 0.05)
_LABEL = ("label y", 1.0, 0.0, 1.0, 1.0)
_SIGN = ("label y", 1.0, -1.0, 1.0, 2.0)
_PROBS = (0.001, 0.999)
_MARGIN = ("margin", 1.0, 0.0, 2.5, 0.05)

#: Every loss of :mod:`dlkit.losses`, by name, as the explorer shows it.
VIEWS = {
    "mse": LossView("regression", "MSE (ŷ - y)²", "prediction ŷ", _REAL, None, None,
                    _elementwise("mse"), True),
    "mae": LossView("regression", "MAE |ŷ - y|", "prediction ŷ", _REAL, None, None,
                    _elementwise("mae"), True),
    "huber": LossView("regression", "Huber", "prediction ŷ", _REAL, None,
                      ("delta", 1.0, 0.1, 3.0, 0.05), _elementwise("huber"), True),
    "binary_cross_entropy": LossView(
        "classification", "binary cross-entropy", "predicted probability p", _PROB, _PROBS,
        None, _elementwise("binary_cross_entropy"), True),
    "binary_cross_entropy_with_logits": LossView(
        "classification", "BCE with logits", "logit z", _PROB, (-6.0, 6.0), None,
        _elementwise("binary_cross_entropy_with_logits"), False),
    "categorical_cross_entropy": LossView(
        "classification", "categorical cross-entropy, y = [1-t, t]",
        "predicted probability of class 1, p", ("target t", 1.0, 0.0, 1.0, 0.05), _PROBS,
        None, _distribution("categorical_cross_entropy"), True),
    "sparse_categorical_cross_entropy": LossView(
        "classification", "sparse categorical cross-entropy",
        "predicted probability of class 1, p", _LABEL, _PROBS, None,
        _labelled("sparse_categorical_cross_entropy"), False),
    "pixel_cross_entropy": LossView(
        "classification", "pixel-wise cross-entropy (one pixel)",
        "predicted probability of class 1, p", _LABEL, _PROBS, None,
        _labelled("pixel_cross_entropy", (1, 1)), False),
    "softmax_cross_entropy_with_logits": LossView(
        "classification", "softmax cross-entropy, logits [0, z]", "logit of class 1, z",
        _LABEL, (-6.0, 6.0), None, _softmax_logit, False),
    "kl_divergence": LossView(
        "classification", "KL divergence, P = [1-t, t]", "predicted probability q",
        ("target t", 0.3, 0.0, 1.0, 0.05), _PROBS, None, _distribution("kl_divergence"), True),
    "hinge": LossView("classification", "hinge max(0, 1 - y s)", "score s", _SIGN, (-3.0, 3.0),
                      None, _elementwise("hinge"), False),
    "contrastive_loss": LossView(
        "ranking", "contrastive", "distance d of the pair", ("similar", 0.0, 0.0, 1.0, 1.0),
        (0.0, 3.0), _MARGIN, _contrastive, False),
    "triplet_loss": LossView(
        "ranking", "triplet (anchor at 0)", "position of the negative n",
        ("positive at", 0.8, 0.0, 2.0, 0.05), (-3.0, 3.0), _MARGIN, _triplet, True),
    "margin_ranking_loss": LossView(
        "ranking", "margin ranking, s2 = 0", "score s1", _SIGN, (-3.0, 3.0), _MARGIN,
        _ranking, False),
}


def loss_data(name, target, num=401, **param):
    """What :func:`loss_explorer` draws for one loss.

    Parameters
    ----------
    name : str
        A key of :data:`VIEWS`.
    target : float
        The target (see the view's ``target`` slider).
    num : int
        Number of points on the x axis.
    **param : float
        The view's parameter (``delta`` or ``margin``), if it has one.

    Returns
    -------
    dict
        ``x`` (num,), ``loss`` (num,) and ``grad`` (num,), the derivative of the
        loss with respect to ``x``.
    """
    if name not in VIEWS:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(VIEWS)}")
    view = VIEWS[name]
    x = np.linspace(*(view.span or (target - 3.0, target + 3.0)), num)
    loss, grad = view.curve(x, float(target), **param)
    return {"x": x, "loss": loss, "grad": grad}


def _ylim(loss, grad):
    """y limits that show the whole loss; a gradient that blows up (near p = 0) leaves the top."""
    top = 1.1 * max(float(loss.max()), 1.0)
    low = max(1.1 * min(float(grad.min()), float(loss.min()), 0.0), -top)
    return low - 0.05 * top, top


def _controls():
    options = [(f"{v.group}: {v.label}", k)
               for group in ("regression", "classification", "ranking")
               for k, v in VIEWS.items() if v.group == group]
    return {
        "name": widgets.Dropdown(options=options, value="mse", description="loss",
                                 layout=widgets.Layout(width="420px")),
        "target": slider(*_REAL),
        "param": slider("delta", 1.0, 0.1, 3.0, 0.05),
    }


def _artists(ax):
    a = {"loss": ax.plot([], [], linewidth=2, label="loss")[0],
         "grad": ax.plot([], [], "--", linewidth=2, label="d loss / d x")[0],
         "best": ax.plot([], [], "o", color="C0", markersize=6)[0],
         "target": ax.axvline(0.0, color="gray", linestyle=":")}
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.grid(True, alpha=0.3)
    return a


@skip_while_grading(say=True)
def loss_explorer():
    """Explore how a loss and its gradient depend on the prediction, for a fixed target.

    Controls: the loss, grouped as regression (MSE, MAE, Huber),
    classification (binary, categorical, sparse, pixel-wise and softmax
    cross-entropy, KL divergence, hinge) and ranking (contrastive, triplet,
    margin ranking); its target; and its parameter (Huber's ``delta``, the
    ranking losses' ``margin``), shown only for the losses that have one.

    Returns
    -------
    Explorer, or None while nbgrader grades
        ``artists``: ``loss``, ``grad``, ``best`` (the smallest loss) and
        ``target``; ``state``: the last :func:`loss_data`.
    """
    c = _controls()
    fig, ax = figure()
    a = _artists(ax)
    ex = Explorer(c, fig, a, rows=[[c["name"]], [c["target"], c["param"]]])
    quiet = Guard()

    def update():
        if quiet:
            return
        name = c["name"].value
        view = VIEWS[name]
        target = c["target"].value
        param = {} if view.param is None else {view.param[0]: c["param"].value}
        d = loss_data(name, target, **param)
        best = int(np.argmin(d["loss"]))
        a["loss"].set_data(d["x"], d["loss"])
        a["grad"].set_data(d["x"], d["grad"])
        a["best"].set_data([d["x"][best]], [d["loss"][best]])
        a["target"].set_xdata([target, target])
        a["target"].set_visible(view.target_on_axis)
        a["target"].set_label(c["target"].description if view.target_on_axis else "_target")
        ax.legend(loc="upper center", fontsize="small")
        ax.set_xlim(d["x"][0], d["x"][-1])
        ax.set_ylim(*_ylim(d["loss"], d["grad"]))
        extra = "".join(f", {k} = {v:g}" for k, v in param.items())
        ax.set(xlabel=view.xlabel,
               title=f"{view.label}, {c['target'].description} = {target:g}{extra}")
        ex.readout.value = (f"smallest loss <b>{fmt(d['loss'][best])}</b> "
                            f"at {view.xlabel} = <b>{d['x'][best]:.3f}</b>")
        relayout = ex.state.get("name") != name
        ex.state.clear()
        ex.state.update(d, name=name)
        ex.render(layout=relayout)

    def on_name(_change):
        view = VIEWS[c["name"].value]
        with quiet:
            description, *target = view.target
            c["target"].description = description
            set_range(c["target"], *target[1:], target[0])
            show(c["param"], view.param is not None)
            if view.param is not None:
                keyword, *param = view.param
                c["param"].description = keyword
                set_range(c["param"], *param[1:], param[0])
        update()

    c["name"].observe(on_name, names="value")
    on_change([c["target"], c["param"]], update)
    on_name(None)
    return ex
