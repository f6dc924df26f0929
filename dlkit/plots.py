r"""Matplotlib pictures for the notebooks: activations, datasets, decision boundaries, losses.

Every function takes an optional ``ax`` (a new figure is made when it is
``None``), draws, and returns the Axes (:func:`plot_activations` returns one
Axes per activation). None of them calls ``plt.show()``: the notebook shows
figures at the end of the cell, and a script saves them. The backend is left
to matplotlib (``inline`` in Jupyter; the tests set ``MPLBACKEND=Agg``).

**While nbgrader grades** (:func:`dlkit.autograding.autograding`, which this
module exports as ``autograding`` for the notebooks), every plot function
returns ``None`` at once without drawing anything, so exploration cells cost
nothing and cannot break grading. Graded code must therefore never depend on
what a plot function returns.
"""

from __future__ import annotations

import numpy as np

from dlkit import activations
from dlkit._arrays import as_float
from dlkit.autograding import autograding, skip_while_grading

__all__ = [
    "autograding",
    "plot_activation", "plot_activations",
    "plot_dataset", "plot_decision_boundary", "decision_labels",
    "plot_loss_curve", "plot_losses_vs_residual", "plot_vanishing_gradient",
]

#: Colours of classes 0, 1, 2, ... (matplotlib's tab10), shared by every picture.
CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _axes(ax):
    """Return ``ax``, or the Axes of a new figure when ``ax`` is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # lazily: importing dlkit.plots stays cheap

    return plt.figure(figsize=(5, 4)).add_subplot()


def _zero_lines(ax):
    """Thin black lines along both axes through the origin."""
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.axvline(0.0, color="black", linewidth=0.8)


def _check_dataset(X, y):
    """Return ``X`` as float64 (N, 2) and ``y`` as int64 (N,), or raise naming the shapes."""
    X = as_float(X, "X")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"expected X of shape (N, 2), got {X.shape}")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"expected y of shape ({X.shape[0]},) to match X {X.shape}, "
                         f"got {y.shape}")
    return X, y.astype(np.int64)


def _class_cmap(k: int):
    """A ListedColormap with the first ``k`` class colours."""
    from matplotlib.colors import ListedColormap

    return ListedColormap([CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(k)])


# ---------------------------------------------------------------- activations
@skip_while_grading
def plot_activation(fn, derivative=None, x=None, ax=None, title=None):
    """Plot an activation and its derivative on one Axes.

    Parameters
    ----------
    fn : callable or str
        ``fn(x) -> ndarray`` of the shape of ``x``, or a name from
        :data:`dlkit.activations.ACTIVATIONS` (then ``derivative`` defaults
        to the registered one).
    derivative : callable, optional
        ``derivative(x)``; drawn dashed when given.
    x : array_like of shape (M,), optional
        Where to evaluate; 401 points on [-5, 5] by default.
    ax : matplotlib Axes, optional
    title : str, optional
        Defaults to the function's name.

    Returns
    -------
    matplotlib Axes, or None while autograding
        Lines: ``f``, then ``f'`` if given, then the two zero lines.
    """
    if isinstance(fn, str):
        act = activations.get(fn)
        fn, derivative = act.fn, derivative or act.derivative
    x = np.linspace(-5.0, 5.0, 401) if x is None else as_float(x, "x")
    if x.ndim != 1:
        raise ValueError(f"expected x of shape (M,), got {x.shape}")
    name = getattr(fn, "__name__", "f")
    ax = _axes(ax)
    ax.plot(x, fn(x), label=f"{name}(x)", linewidth=2)
    if derivative is not None:
        ax.plot(x, derivative(x), "--", label=f"{name}'(x)", linewidth=2)
    _zero_lines(ax)
    ax.set(xlabel="x", title=name if title is None else title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return ax


@skip_while_grading
def plot_activations(names=None, x=None, ncols=3):
    """Plot several activations with their derivatives, one small Axes each.

    Parameters
    ----------
    names : sequence of str, optional
        Names from :data:`dlkit.activations.ACTIVATIONS`; all of them by default.
    x : array_like of shape (M,), optional
        Passed to :func:`plot_activation`.
    ncols : int, default 3
        Axes per row.

    Returns
    -------
    ndarray of shape (len(names),) of matplotlib Axes, or None while autograding
        Unused cells of the grid are removed from the figure.
    """
    import matplotlib.pyplot as plt

    names = list(activations.ACTIVATIONS) if names is None else list(names)
    if not names:
        raise ValueError("names must list at least one activation")
    acts = [activations.get(n) for n in names]  # fails early on an unknown name
    ncols = min(ncols, len(acts))
    nrows = -(-len(acts) // ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.0 * nrows),
                             squeeze=False, layout="constrained")
    cells = grid.ravel()
    for act, ax in zip(acts, cells, strict=False):
        plot_activation(act.fn, act.derivative, x=x, ax=ax, title=act.name)
    for ax in cells[len(acts):]:
        fig.delaxes(ax)
    return cells[:len(acts)]


# ---------------------------------------------------------------- data and boundaries
@skip_while_grading
def plot_dataset(X, y, ax=None, title=None):
    """Scatter a 2-D dataset, one colour (and one legend entry) per class.

    Parameters
    ----------
    X : array_like of shape (N, 2)
    y : array_like of shape (N,)
        Integer labels ``0 .. K-1``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes, or None while autograding
        One PathCollection per class present in ``y``.
    """
    X, y = _check_dataset(X, y)
    ax = _axes(ax)
    _scatter_classes(ax, X, y)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    if title is not None:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


def _scatter_classes(ax, X, y):
    """One scatter per class present in ``y``, in the class colours."""
    for k in np.unique(y):
        pts = X[y == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=18, color=CLASS_COLORS[k % len(CLASS_COLORS)],
                   edgecolors="black", linewidths=0.4, label=f"class {k}")


def decision_labels(scores) -> np.ndarray:
    """Turn what a ``predict`` function returned into integer labels.

    Parameters
    ----------
    scores : array_like of shape (M,), (M, 1) or (M, K)
        Read, in this order, as:

        - (M, K) with K > 1: one score per class; the label is the argmax;
        - integers or booleans, or floats that are all whole numbers >= 0:
          labels already;
        - floats all in [0, 1]: probabilities of class 1; label ``p >= 0.5``;
        - any other floats: raw scores (logits, margins); label ``s > 0``.

        (M, 1) is treated as (M,).

    Returns
    -------
    ndarray of shape (M,), int64
    """
    s = np.asarray(scores)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim == 2:
        return np.argmax(s, axis=1).astype(np.int64)
    if s.ndim != 1:
        raise ValueError(f"expected predictions of shape (M,) or (M, K), got {s.shape}")
    if s.dtype.kind in "biu":
        return s.astype(np.int64)
    s = as_float(s, "predictions")
    if np.all((s >= 0) & (s == np.round(s))):
        return s.astype(np.int64)
    if np.all((s >= 0) & (s <= 1)):
        return (s >= 0.5).astype(np.int64)
    return (s > 0).astype(np.int64)


def _grid(X, resolution: int, margin: float = 0.15):
    """A (resolution, resolution) mesh over X's bounding box, widened by ``margin``."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1.0)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    return np.meshgrid(xs, ys)


@skip_while_grading
def plot_decision_boundary(predict, X, y, ax=None, resolution=200, title=None):
    """Colour the plane by the predicted class and scatter the data on top.

    Parameters
    ----------
    predict : callable
        ``predict(P) -> scores`` for points ``P`` of shape (M, 2). The scores
        may be labels, probabilities, raw scores (M,) or per-class scores
        (M, K); :func:`decision_labels` says how each is read.
    X : array_like of shape (N, 2)
    y : array_like of shape (N,)
        Integer labels ``0 .. K-1``.
    ax : matplotlib Axes, optional
    resolution : int, default 200
        Grid points per axis; ``predict`` is called once on
        ``resolution**2`` points.
    title : str, optional

    Returns
    -------
    matplotlib Axes, or None while autograding
        Its collections are the filled contours, then one scatter per class.
    """
    X, y = _check_dataset(X, y)
    if not isinstance(resolution, int | np.integer) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    xx, yy = _grid(X, int(resolution))
    P = np.column_stack([xx.ravel(), yy.ravel()])
    labels = decision_labels(predict(P))
    if labels.shape != (P.shape[0],):
        raise ValueError(f"predict returned {labels.shape[0]} labels for {P.shape[0]} points")
    k = int(max(labels.max(), y.max(initial=0))) + 1
    ax = _axes(ax)
    ax.contourf(xx, yy, labels.reshape(xx.shape), levels=np.arange(k + 1) - 0.5,
                cmap=_class_cmap(k), alpha=0.3)
    _scatter_classes(ax, X, y)
    ax.set(xlabel="$x_1$", ylabel="$x_2$",
           xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    if title is not None:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------- losses and gradients
@skip_while_grading
def plot_loss_curve(history, ax=None, log=False, title="Training loss"):
    """Plot the loss of every epoch, as returned by :func:`dlkit.nn.fit`.

    Parameters
    ----------
    history : sequence of float, or dict of str to sequence of float
        One loss per epoch; a dict (e.g. ``{"train": [...], "test": [...]}``)
        gives one labelled line per entry.
    ax : matplotlib Axes, optional
    log : bool, default False
        Logarithmic loss axis, to see the late epochs.
    title : str, default "Training loss"

    Returns
    -------
    matplotlib Axes, or None while autograding
        One line per curve.
    """
    curves = dict(history) if isinstance(history, dict) else {"loss": history}
    ax = _axes(ax)
    for name, values in curves.items():
        values = as_float(values, "history")
        if values.ndim != 1:
            raise ValueError(f"expected a history of shape (epochs,), got {values.shape}")
        ax.plot(np.arange(1, values.size + 1), values, label=name)
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    if log:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if len(curves) > 1:
        ax.legend(loc="best")
    return ax


@skip_while_grading
def plot_losses_vs_residual(names=("mse", "mae", "huber"), r=None, delta=1.0, ax=None):
    r"""Plot regression losses as functions of the residual ``r = y_pred - y_true``.

    Each loss is evaluated per sample (``reduction="none"``) with
    ``y_true = 0`` and ``y_pred = r``: MSE grows like :math:`r^2`, MAE like
    :math:`|r|`, and Huber is quadratic for :math:`|r| \le \delta` and
    linear beyond.

    Parameters
    ----------
    names : sequence of str, default ("mse", "mae", "huber")
        Loss functions of :mod:`dlkit.losses` taking
        ``(y_true, y_pred, reduction="none")``.
    r : array_like of shape (M,), optional
        Residuals; 401 points on [-3, 3] by default.
    delta : float, default 1.0
        Huber's :math:`\delta` (marked with dotted lines).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes, or None while autograding
        One line per loss, then the two zero lines, then Huber's two delta lines.
    """
    from dlkit import losses  # lazily: plotting a picture must not need every module

    r = np.linspace(-3.0, 3.0, 401) if r is None else as_float(r, "r")
    if r.ndim != 1:
        raise ValueError(f"expected r of shape (M,), got {r.shape}")
    y_true = np.zeros_like(r)
    ax = _axes(ax)
    for name in names:
        loss = getattr(losses, name, None)
        if not callable(loss):
            raise ValueError(f"dlkit.losses has no loss called {name!r}")
        kw = {"delta": delta} if name == "huber" else {}
        ax.plot(r, loss(y_true, r, reduction="none", **kw), label=name, linewidth=2)
    _zero_lines(ax)
    if "huber" in names:
        for edge in (-delta, delta):
            ax.axvline(edge, color="gray", linestyle=":", linewidth=1)
    ax.set(xlabel="residual $r = y_{pred} - y_{true}$", ylabel="loss",
           title="Regression losses")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center")
    return ax


@skip_while_grading
def plot_vanishing_gradient(depth=20, names=("sigmoid", "tanh", "relu"), z=0.5, ax=None):
    r"""How much gradient survives backpropagation through ``depth`` layers.

    Backpropagation multiplies by :math:`f'(z)` once per layer, so with
    unit weights and the same pre-activation :math:`z` in every layer the
    gradient reaching layer ``d`` is scaled by :math:`f'(z)^d`. The sigmoid's
    derivative is at most 1/4 anywhere, so its curve falls at least as fast as
    :math:`4^{-d}`; ReLU's derivative is exactly 1 for :math:`z > 0`, so its
    gradient passes unchanged.

    Parameters
    ----------
    depth : int, default 20
        Number of layers, at least 1.
    names : sequence of str, default ("sigmoid", "tanh", "relu")
        Activations from :data:`dlkit.activations.ACTIVATIONS`.
    z : float, default 0.5
        The pre-activation in every layer. Keep it positive for ReLU: at
        :math:`z \le 0` its gradient is exactly 0, which a log axis cannot show.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes, or None while autograding
        One line per activation, on a logarithmic y axis.
    """
    if not isinstance(depth, int | np.integer) or depth < 1:
        raise ValueError(f"depth must be an integer >= 1, got {depth!r}")
    d = np.arange(1, int(depth) + 1)
    ax = _axes(ax)
    for name in names:
        act = activations.get(name)
        factor = float(act.derivative(float(z)))
        ax.plot(d, factor ** d, "o-", markersize=3, label=f"{act.name}: ${factor:.3g}^d$")
    ax.set_yscale("log")
    ax.set(xlabel="layers back from the output, $d$", ylabel="gradient scale $f'(z)^d$",
           title=f"Vanishing gradient (z = {z:g})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    return ax
