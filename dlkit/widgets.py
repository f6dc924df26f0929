r"""Interactive explorers for JupyterLab, built from ipywidgets and matplotlib.

Each ``explore_*`` function returns one widget, an :class:`Explorer` (a
``VBox``): controls on top, a line of readouts, and a picture redrawn
whenever a control changes. Put it last in a cell to show it::

    from dlkit.widgets import explore_activation
    explore_activation()

The picture is a matplotlib :class:`~matplotlib.figure.Figure` that is never
registered with pyplot: it is rendered to PNG into an ``Image`` widget, so it
works with any backend, shows no duplicate figure, and never blocks.

Every update goes through a small plain function (``_activation_figure_data``,
``_neuron_figure_data``, ``_backprop_readout``, ``_loss_figure_data``,
``_train_classifier``) that computes the numbers a picture shows; tests and
curious students can call those without a browser. The widgets themselves
build without a running frontend.

**While nbgrader grades** (:func:`dlkit.plots.autograding`), every explorer
prints one line saying it is skipped and returns ``None`` at once, so an
exploration cell neither slows nor breaks grading.

:mod:`dlkit.losses`, :mod:`dlkit.nn` and :mod:`dlkit.worked_example` are
imported only by the explorers that need them.
"""

from __future__ import annotations

import functools
import inspect
import io
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from dlkit import activations, data, plots

__all__ = [
    "Explorer",
    "explore_activation", "explore_neuron", "explore_backprop",
    "explore_loss", "explore_decision_boundary",
]


# ---------------------------------------------------------------- shared machinery
class Explorer(widgets.VBox):
    """The widget every explorer returns: a VBox that keeps its parts by name.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        The sliders, dropdowns and buttons, e.g. ``controls["alpha"]``.
    readout : ipywidgets.HTML
        The numbers under the controls.
    figure : matplotlib.figure.Figure
        The figure that is drawn; :attr:`image` shows it as PNG.
    image : ipywidgets.Image
    state : dict
        Whatever the explorer computed last (the plotted data, the network...).
    """

    def __init__(self, controls, figure):
        self.controls = dict(controls)
        self.readout = widgets.HTML()
        self.figure = figure
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.state = {}
        rows = [widgets.HBox(list(self.controls.values())[i:i + 3])
                for i in range(0, len(self.controls), 3)]
        super().__init__([*rows, self.readout, self.image])

    def render(self):
        """Draw :attr:`figure` into :attr:`image`."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=80)
        self.image.value = buf.getvalue()


def _skip_while_grading(explore):
    """Make ``explore`` print one line and return None while nbgrader grades."""
    @functools.wraps(explore)
    def wrapper(*args, **kwargs):
        if plots.autograding():
            print(f"{explore.__name__}: interactive explorer skipped while nbgrader grades")
            return None
        return explore(*args, **kwargs)
    return wrapper


def _figure(width=7.0, height=3.4, ncols=1):
    """A pyplot-free Figure with ``ncols`` Axes side by side."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, ncols)


def _slider(description, value, lo, hi, step, **kw):
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=".2f", **kw)


def _dropdown(description, options, value=None):
    options = list(options)
    return widgets.Dropdown(options=options, description=description,
                            value=options[0] if value is None else value)


def _on_change(controls, callback):
    """Call ``callback()`` whenever the value of any of ``controls`` changes."""
    for control in controls:
        control.observe(lambda _change: callback(), names="value")


def _alpha_default(name):
    """Default of the activation's ``alpha`` parameter, or None if it has none."""
    param = inspect.signature(activations.get(name).fn).parameters.get("alpha")
    return None if param is None else float(param.default)


def _fmt(value) -> str:
    return f"{value:.4f}"


# ---------------------------------------------------------------- activation
def _activation_figure_data(name, alpha=None, lo=-5.0, hi=5.0, x0=1.0, num=401):
    """What :func:`explore_activation` draws.

    Parameters
    ----------
    name : str
        A name from :data:`dlkit.activations.ACTIVATIONS`.
    alpha : float, optional
        Passed to activations that take one (leaky_relu, elu); ignored by the others.
    lo, hi : float
        The x range, ``lo < hi``.
    x0 : float
        The point whose values are read out.
    num : int
        Number of points on [lo, hi].

    Returns
    -------
    dict
        ``x`` (num,), ``f`` (num,), ``df`` (num,), and the floats ``x0``,
        ``f0 = f(x0)``, ``df0 = f'(x0)``.
    """
    if not lo < hi:
        raise ValueError(f"the x range needs lo < hi, got lo={lo}, hi={hi}")
    act = activations.get(name)
    kw = {"alpha": alpha} if alpha is not None and _alpha_default(name) is not None else {}
    x = np.linspace(lo, hi, num)
    return {"x": x, "f": act.fn(x, **kw), "df": act.derivative(x, **kw), "x0": float(x0),
            "f0": float(act.fn(x0, **kw)), "df0": float(act.derivative(x0, **kw))}


@_skip_while_grading
def explore_activation():
    """Explore an activation and its derivative.

    Controls: the activation, its ``alpha`` (enabled for leaky_relu and elu),
    the x range, and a point ``x`` whose ``f(x)`` and ``f'(x)`` are read out
    and marked.

    Returns
    -------
    Explorer, or None while nbgrader grades
    """
    c = {
        "name": _dropdown("activation", activations.ACTIVATIONS, "sigmoid"),
        "alpha": _slider("alpha", 0.01, 0.0, 2.0, 0.01, disabled=True),
        "range": widgets.FloatRangeSlider(value=(-5.0, 5.0), min=-10.0, max=10.0, step=0.5,
                                          description="x range", readout_format=".1f",
                                          layout=widgets.Layout(width="360px")),
        "x0": _slider("x", 1.0, -10.0, 10.0, 0.05),
    }
    fig, ax = _figure()
    f_line, = ax.plot([], [], linewidth=2, label="f(x)")
    df_line, = ax.plot([], [], "--", linewidth=2, label="f'(x)")
    marks, = ax.plot([], [], "ko", markersize=5)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    ex = Explorer(c, fig)
    busy = [False]

    def update():
        if busy[0]:
            return
        lo, hi = c["range"].value
        alpha = None if c["alpha"].disabled else c["alpha"].value
        d = _activation_figure_data(c["name"].value, alpha, lo, hi, c["x0"].value)
        f_line.set_data(d["x"], d["f"])
        df_line.set_data(d["x"], d["df"])
        marks.set_data([d["x0"], d["x0"]], [d["f0"], d["df0"]])
        ax.set_xlim(lo, hi)
        ax.relim()
        ax.autoscale_view(scalex=False)
        ax.set_title(c["name"].value)
        ex.readout.value = (f"f({d['x0']:.2f}) = <b>{_fmt(d['f0'])}</b>, "
                            f"f'({d['x0']:.2f}) = <b>{_fmt(d['df0'])}</b>")
        ex.state.update(d)
        ex.render()

    def on_name(_change):
        default = _alpha_default(c["name"].value)
        busy[0] = True
        try:
            c["alpha"].disabled = default is None
            if default is not None:
                c["alpha"].value = default
        finally:
            busy[0] = False
        update()

    c["name"].observe(on_name, names="value")
    _on_change([c["alpha"], c["range"], c["x0"]], update)
    update()
    return ex


# ---------------------------------------------------------------- neuron
def _decision_line(w1, w2, b, lim):
    """Two points of the line ``w1 x1 + w2 x2 + b = 0`` spanning [-lim, lim], or empty."""
    t = np.array([-lim, lim])
    if w1 == 0 and w2 == 0:
        return np.empty(0), np.empty(0)
    if abs(w2) >= abs(w1):
        return t, -(w1 * t + b) / w2
    return -(w2 * t + b) / w1, t


def _neuron_figure_data(w1, w2, b, name="sigmoid", x1=1.0, x2=1.0, lim=2.0, resolution=101):
    r"""What :func:`explore_neuron` draws: one neuron :math:`a = f(w_1 x_1 + w_2 x_2 + b)`.

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


@_skip_while_grading
def explore_neuron():
    r"""Explore one neuron with two inputs, :math:`a = f(w_1 x_1 + w_2 x_2 + b)`.

    The picture colours the input plane by the output ``a``, draws the line
    where ``z = 0`` (the decision line of a threshold or sigmoid unit) and
    marks the input ``(x1, x2)``, whose ``z`` and ``a`` are read out.

    Returns
    -------
    Explorer, or None while nbgrader grades
    """
    c = {
        "w1": _slider("w1", 1.0, -3.0, 3.0, 0.1),
        "w2": _slider("w2", -1.0, -3.0, 3.0, 0.1),
        "b": _slider("b", 0.0, -3.0, 3.0, 0.1),
        "name": _dropdown("activation", activations.ACTIVATIONS, "sigmoid"),
        "x1": _slider("x1", 1.0, -2.0, 2.0, 0.05),
        "x2": _slider("x2", 0.5, -2.0, 2.0, 0.05),
    }
    lim = 2.0
    fig, ax = _figure(5.6, 4.2)
    image = ax.imshow(np.zeros((2, 2)), origin="lower", extent=(-lim, lim, -lim, lim),
                      cmap="viridis", aspect="equal")
    fig.colorbar(image, ax=ax, label="a = f(z)")
    line, = ax.plot([], [], "w--", linewidth=2, label="z = 0")
    point, = ax.plot([], [], "r*", markersize=12, label="(x1, x2)")
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper right", fontsize="small")
    ex = Explorer(c, fig)

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
            f" + {v['b']:.2f} = <b>{_fmt(d['z'])}</b>; "
            f"a = {v['name']}(z) = <b>{_fmt(d['a0'])}</b>")
        ex.state.update(d)
        ex.render()

    _on_change(c.values(), update)
    update()
    return ex


# ---------------------------------------------------------------- backprop
# weight name -> (layer, row, column), as in dlkit.worked_example's table
_LECTURE_WEIGHTS = {"w11": (0, 0, 0), "w21": (0, 1, 0), "w12": (0, 0, 1), "w22": (0, 1, 1),
                    "w13": (1, 0, 0), "w23": (1, 1, 0)}


def _lecture_state(net, we) -> dict:
    """Current weights, ``y5`` and ``error`` of the lecture network ``net``."""
    weights = {k: float(net[layer].W[i, j]) for k, (layer, i, j) in _LECTURE_WEIGHTS.items()}
    y5 = float(net.forward(we.X)[0, 0])
    return {**weights, "y5": y5, "error": we.TARGET - y5}


def _backprop_readout(now, iteration, step=None) -> str:
    """HTML for :func:`explore_backprop`: the network ``now`` and the last ``step``.

    Parameters
    ----------
    now : dict
        Weights ``w11 ... w23``, ``y5`` and ``error`` of the network as it is.
    iteration : int
        Number of updates made so far.
    step : dict, optional
        What :func:`dlkit.worked_example.one_step` returned for the last update.
    """
    weights = ", ".join(f"{k} = {now[k]:.6f}" for k in _LECTURE_WEIGHTS)
    lines = [f"<b>iteration {iteration}</b>: y5 = <b>{now['y5']:.6f}</b>, "
             f"error t - y5 = <b>{now['error']:+.6f}</b>",
             f"weights: {weights}"]
    if step is not None:
        lines.append(
            f"last step: forward y3 = {step['y3']:.6f}, y4 = {step['y4']:.6f}, "
            f"y5 = {step['y5']:.6f}, error = {step['error']:+.6f}; "
            f"delta5 = {step['delta5']:+.6f}, delta3 = {step['delta3']:+.6f}, "
            f"delta4 = {step['delta4']:+.6f}")
        lines.append("weight changes: " + ", ".join(
            f"d{k} = {step['d' + k]:+.6f}" for k in _LECTURE_WEIGHTS))
    return "<br>".join(lines)


@_skip_while_grading
def explore_backprop():
    """Step through the lecture's 2-2-1 backpropagation example one update at a time.

    "Step" runs :func:`dlkit.worked_example.one_step` on the network (forward
    pass, error, backward pass, weight update, learning rate 1); "Reset"
    starts again from the slide's weights. The readout shows the current
    weights, output ``y5``, error ``t - y5`` and iteration count, and the
    quantities of the last step; the picture follows ``y5`` towards the
    target 0.5.

    Returns
    -------
    Explorer, or None while nbgrader grades
        Its ``state`` holds ``net``, ``iteration``, ``now`` (current values),
        ``step`` (the last ``one_step`` result) and ``history`` (y5 per iteration).
    """
    from dlkit import worked_example as we  # lazily: only this explorer needs it

    c = {"step": widgets.Button(description="Step", button_style="primary"),
         "reset": widgets.Button(description="Reset")}
    fig, ax = _figure(6.0, 3.0)
    y5_line, = ax.plot([], [], "o-", markersize=3, label="y5")
    ax.axhline(we.TARGET, color="gray", linestyle="--", label=f"target {we.TARGET}")
    ax.set(xlabel="iteration", ylabel="output y5")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    ex = Explorer(c, fig)
    s = ex.state

    def show():
        s["now"] = _lecture_state(s["net"], we)
        s["history"].append(s["now"]["y5"])
        y5_line.set_data(np.arange(len(s["history"])), s["history"])
        ax.relim()
        ax.autoscale_view()
        ex.readout.value = _backprop_readout(s["now"], s["iteration"], s["step"])
        ex.render()

    def reset(_button=None):
        s.update(net=we.lecture_network(), iteration=0, step=None, history=[])
        show()

    def step(_button=None):
        s["step"] = we.one_step(s["net"])
        s["iteration"] += 1
        show()

    c["step"].on_click(step)
    c["reset"].on_click(reset)
    reset()
    return ex


# ---------------------------------------------------------------- losses
class _LossView(NamedTuple):
    """How :func:`explore_loss` shows one loss."""

    label: str
    xlabel: str
    target: tuple  # the target slider: (value, min, max, step)
    span: tuple | None  # the prediction range; None means target +- 3
    target_on_axis: bool  # whether predictions are in the target's units


_LOSS_VIEWS = {
    "mse": _LossView("MSE (ŷ - y)²", "prediction ŷ", (0.0, -2.0, 2.0, 0.1), None, True),
    "mae": _LossView("MAE |ŷ - y|", "prediction ŷ", (0.0, -2.0, 2.0, 0.1), None, True),
    "huber": _LossView("Huber", "prediction ŷ", (0.0, -2.0, 2.0, 0.1), None, True),
    "binary_cross_entropy": _LossView("binary cross-entropy", "predicted probability p",
                                      (1.0, 0.0, 1.0, 0.1), (0.001, 0.999), True),
    "binary_cross_entropy_with_logits": _LossView("BCE with logits", "logit z",
                                                  (1.0, 0.0, 1.0, 0.1), (-6.0, 6.0), False),
    "hinge": _LossView("hinge max(0, 1 - y s)", "score s", (1.0, -1.0, 1.0, 2.0), (-3.0, 3.0),
                       False),
}


def _loss_figure_data(name, target, delta=1.0, num=401):
    """What :func:`explore_loss` draws: one sample's loss and gradient against its prediction.

    Parameters
    ----------
    name : str
        A key of ``_LOSS_VIEWS``: mse, mae, huber (regression, predictions
        ``target +- 3``), binary_cross_entropy (probabilities in (0, 1)),
        binary_cross_entropy_with_logits (logits in [-6, 6]) or hinge
        (targets -1 or +1, scores in [-3, 3]).
    target : float
        The fixed true value ``y``.
    delta : float, default 1.0
        Huber's delta (ignored by the others).
    num : int
        Number of predictions.

    Returns
    -------
    dict
        ``pred`` (num,), ``loss`` (num,) and ``grad`` (num,): per-sample loss
        and its derivative with respect to the prediction.
    """
    from dlkit import losses  # lazily: only this explorer needs it

    if name not in _LOSS_VIEWS:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(_LOSS_VIEWS)}")
    span = _LOSS_VIEWS[name].span or (target - 3.0, target + 3.0)
    pred = np.linspace(*span, num)
    y = np.full(num, float(target))
    kw = {"delta": delta} if name == "huber" else {}
    fn, grad = losses.get(name)
    return {"pred": pred, "loss": fn(y, pred, reduction="none", **kw),
            "grad": grad(y, pred, reduction="none", **kw)}


def _loss_ylim(loss, grad):
    """y limits that show the whole loss; a gradient that blows up (BCE near 0) leaves the top."""
    top = 1.1 * max(float(loss.max()), 1.0)
    low = max(1.1 * min(float(grad.min()), float(loss.min()), 0.0), -top)
    return low - 0.05 * top, top


@_skip_while_grading
def explore_loss():
    """Explore how a loss and its gradient depend on the prediction, for a fixed target.

    Controls: the loss (regression: MSE, MAE, Huber; classification: binary
    cross-entropy on probabilities or logits, hinge), the target ``y``
    (0..1 for cross-entropy, -1 or +1 for hinge) and Huber's ``delta``.

    Returns
    -------
    Explorer, or None while nbgrader grades
    """
    c = {
        "name": widgets.Dropdown(options=[(v.label, k) for k, v in _LOSS_VIEWS.items()],
                                 value="mse", description="loss"),
        "target": _slider("target y", 0.0, -2.0, 2.0, 0.1),
        "delta": _slider("delta", 1.0, 0.1, 3.0, 0.1),
    }
    fig, ax = _figure()
    loss_line, = ax.plot([], [], linewidth=2, label="loss")
    grad_line, = ax.plot([], [], "--", linewidth=2, label="d loss / d prediction")
    target_line = ax.axvline(0.0, color="gray", linestyle=":")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.grid(True, alpha=0.3)
    ex = Explorer(c, fig)
    busy = [False]

    def update():
        if busy[0]:
            return
        name = c["name"].value
        view = _LOSS_VIEWS[name]
        c["delta"].disabled = name != "huber"
        d = _loss_figure_data(name, c["target"].value, c["delta"].value)
        loss_line.set_data(d["pred"], d["loss"])
        grad_line.set_data(d["pred"], d["grad"])
        target_line.set_xdata([c["target"].value] * 2)
        target_line.set_visible(view.target_on_axis)
        target_line.set_label("target y" if view.target_on_axis else "_target")
        ax.legend(loc="upper center")
        ax.set_xlim(d["pred"][0], d["pred"][-1])
        ax.set_ylim(*_loss_ylim(d["loss"], d["grad"]))
        ax.set(xlabel=view.xlabel, title=f"{view.label}, target y = {c['target'].value:g}")
        best = int(np.argmin(d["loss"]))
        ex.readout.value = (f"smallest loss <b>{_fmt(d['loss'][best])}</b> "
                            f"at {view.xlabel} = <b>{d['pred'][best]:.3f}</b>")
        ex.state.update(d)
        ex.render()

    def on_name(_change):
        value, lo, hi, step = _LOSS_VIEWS[c["name"].value].target
        busy[0] = True
        try:
            t = c["target"]
            t.min, t.max = min(lo, t.min), max(hi, t.max)  # widen first, never invert
            t.min, t.max, t.step, t.value = lo, hi, step, value
        finally:
            busy[0] = False
        update()

    c["name"].observe(on_name, names="value")
    _on_change([c["target"], c["delta"]], update)
    update()
    return ex


# ---------------------------------------------------------------- decision boundary
def _train_classifier(dataset="xor", hidden=8, layers=1, activation="relu", epochs=300,
                      lr=0.1, momentum=0.9, rng=0):
    """Fit an MLP classifier to a dataset of :mod:`dlkit.data`, as the boundary explorer does.

    Two classes use one logit output and ``"bce_logits"``; more use one logit
    per class and ``"softmax_ce"``. Full-batch SGD with momentum.

    Parameters
    ----------
    dataset : str
        A name from :data:`dlkit.data.DATASETS` (default sizes and seed).
    hidden : int
        Units per hidden layer.
    layers : int
        Number of hidden layers.
    activation : str
        Hidden activation.
    epochs : int
    lr, momentum : float
    rng : int
        Seed of the initial weights.

    Returns
    -------
    dict
        ``model`` (Sequential), ``history`` (list of ``epochs`` losses), ``X``
        (N, 2), ``y`` (N,), ``predict`` (a function (M, 2) -> labels (M,))
        and ``accuracy`` (float, on the training data).
    """
    from dlkit import nn  # lazily: only this explorer needs it

    X, y = data.load(dataset)
    k = int(y.max()) + 1
    sizes = [2, *[int(hidden)] * int(layers), 1 if k == 2 else k]
    model = nn.MLP(sizes, activation=activation, rng=rng)
    history = nn.fit(model, X, y, loss="bce_logits" if k == 2 else "softmax_ce",
                     epochs=epochs, lr=lr, momentum=momentum, rng=rng)

    def predict(P):
        return nn.predict_classes(model, P)

    return {"model": model, "history": history, "X": X, "y": y, "predict": predict,
            "accuracy": nn.accuracy(y, predict(X))}


@_skip_while_grading
def explore_decision_boundary():
    """Train a small MLP on a 2-D dataset and watch its decision boundary.

    Choose a dataset, the hidden layers' size, number and activation, the
    epochs and learning rate, then press "Train": the picture shows the
    boundary over the data and the loss curve, the readout the training
    accuracy. Changing the dataset shows the new data.

    Returns
    -------
    Explorer, or None while nbgrader grades
        Its ``state`` holds the last result of ``_train_classifier``.
    """
    c = {
        "dataset": _dropdown("dataset", data.DATASETS, "xor"),
        "hidden": widgets.IntSlider(value=8, min=1, max=64, description="hidden units"),
        "layers": widgets.IntSlider(value=1, min=1, max=3, description="hidden layers"),
        "activation": _dropdown("activation", activations.ACTIVATIONS, "relu"),
        "epochs": widgets.IntSlider(value=300, min=10, max=3000, step=10, description="epochs"),
        "lr": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.1,
                                     description="lr"),
        "train": widgets.Button(description="Train", button_style="primary"),
    }
    fig, (ax_data, ax_loss) = _figure(9.0, 3.6, ncols=2)
    ex = Explorer(c, fig)

    def show_data(_change=None):
        X, y = data.load(c["dataset"].value)
        ax_data.clear()
        ax_loss.clear()
        plots.plot_dataset(X, y, ax=ax_data, title=c["dataset"].value)
        ax_loss.set(xlabel="epoch", ylabel="loss", title="press Train")
        ex.state.clear()
        ex.readout.value = f"{len(y)} points, {int(y.max()) + 1} classes"
        ex.render()

    def train(_button=None):
        c["train"].disabled, c["train"].description = True, "Training..."
        try:
            r = _train_classifier(c["dataset"].value, c["hidden"].value, c["layers"].value,
                                  c["activation"].value, c["epochs"].value, c["lr"].value)
        finally:
            c["train"].disabled, c["train"].description = False, "Train"
        ax_data.clear()
        ax_loss.clear()
        plots.plot_decision_boundary(r["predict"], r["X"], r["y"], ax=ax_data, resolution=150,
                                     title=f"{c['dataset'].value}: accuracy {r['accuracy']:.1%}")
        plots.plot_loss_curve(r["history"], ax=ax_loss, log=True)
        ex.state.clear()
        ex.state.update(r)
        ex.readout.value = (f"training accuracy <b>{r['accuracy']:.1%}</b>, final loss "
                            f"<b>{r['history'][-1]:.4g}</b> after {len(r['history'])} epochs")
        ex.render()

    c["dataset"].observe(show_data, names="value")
    c["train"].on_click(train)
    show_data()
    return ex
