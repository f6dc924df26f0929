"""Training a network live: the TensorFlow Playground inside Jupyter, built on :mod:`dlkit.nn`.

A binary classifier (an MLP with one logit output, trained with SGD on
binary cross-entropy with logits) learns a 2-D dataset while the picture
shows its decision surface over the training and test points and the two
loss curves. Training in the background is an asyncio task on the kernel's
event loop: it trains :data:`STEPS_PER_FRAME` mini-batch steps, redraws, and
yields, so the kernel keeps answering the controls (and pausing) between
frames.
"""

from __future__ import annotations

import asyncio

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, ListedColormap

from dlkit import activations, data, losses, nn, plots
from dlkit.autograding import skip_while_grading
from dlkit.widgets._base import Explorer, dropdown, figure, slider

#: The datasets offered, each a binary classification problem.
DATASETS = ("xor", "circles", "gaussian", "spiral")
#: Points per dataset, split into training and test points.
N_POINTS = 200
#: Mini-batch steps between two redraws while training in the background.
STEPS_PER_FRAME = 50
#: Seconds the background loop sleeps after each frame (the kernel answers messages then).
FRAME_PAUSE = 0.005
#: Grid points per axis of the decision surface.
RESOLUTION = 60
SEED = 0

_CLASS_CMAP = ListedColormap(plots.CLASS_COLORS[:2])
_SURFACE_CMAP = LinearSegmentedColormap.from_list(
    "class_0_to_1", [plots.CLASS_COLORS[0], "#f7f7f7", plots.CLASS_COLORS[1]])


def make_dataset(name, noise=0.1, n=N_POINTS, rng=SEED):
    """Two-class dataset ``name`` from :mod:`dlkit.data`, with Gaussian jitter ``noise``.

    "gaussian" is two :func:`dlkit.data.blobs` (centres 4 apart) whose
    standard deviation is ``0.4 + 2 * noise``; "spiral" has two arms.

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64, values in {0, 1}
    """
    if name == "gaussian":
        return data.blobs(n, centers=2, std=0.4 + 2.0 * noise, rng=rng)
    if name == "spiral":
        return data.spiral(n, classes=2, noise=noise, rng=rng)
    if name in ("xor", "circles"):
        return data.load(name, n=n, noise=noise, rng=rng)
    raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")


class Trainer:
    """Mini-batch SGD on one dataset, one step at a time, with the counters the playground shows.

    Parameters
    ----------
    X_train : ndarray of shape (N, 2)
    y_train : ndarray of shape (N,), labels 0 or 1
    hidden : sequence of int
        Widths of the hidden layers (may be empty: logistic regression).
    activation : str
        Hidden activation.
    lr : float
    batch_size : int
    seed : int
        Seeds the initial weights and the shuffling, so a reset starts alike.

    Attributes
    ----------
    model : dlkit.nn.Sequential
    optimizer : dlkit.nn.SGD
    steps, epochs : int
        Mini-batch updates made, and passes over the training data completed.
    """

    def __init__(self, X_train, y_train, hidden, activation, lr, batch_size, seed=SEED):
        self.X, self.y = X_train, y_train.reshape(-1, 1).astype(np.float64)
        self.model = nn.MLP([2, *hidden, 1], activation=activation, rng=seed)
        self.optimizer = nn.SGD(self.model, lr=lr)
        self.batch_size = int(batch_size)
        self._shuffle = np.random.default_rng(seed)
        self._order, self._cursor = self._shuffle.permutation(len(self.X)), 0
        self.steps = self.epochs = 0

    def step(self):
        """One mini-batch update: forward, loss gradient, backward, SGD step."""
        batch = self._order[self._cursor:self._cursor + self.batch_size]
        out = self.model.forward(self.X[batch])
        self.model.backward(losses.binary_cross_entropy_with_logits_grad(self.y[batch], out))
        self.optimizer.step()
        self.steps += 1
        self._cursor += len(batch)
        if self._cursor >= len(self.X):
            self._order, self._cursor = self._shuffle.permutation(len(self.X)), 0
            self.epochs += 1

    def train(self, steps):
        """Make ``steps`` updates."""
        for _ in range(steps):
            self.step()

    def epoch(self):
        """Train until the current pass over the training data is complete."""
        start = self.epochs
        while self.epochs == start:
            self.step()

    def loss(self, X, y) -> float:
        """Mean binary cross-entropy of the model on ``X`` (N, 2) with labels ``y`` (N,)."""
        return float(losses.binary_cross_entropy_with_logits(
            y.reshape(-1, 1).astype(np.float64), self.model.forward(X)))

    def predict(self, X) -> np.ndarray:
        """Predicted class (0 or 1) for each row of ``X`` (N, 2), shape (N,)."""
        return nn.predict_classes(self.model, X)

    def probability(self, X) -> np.ndarray:
        """P(class 1) for each row of ``X`` (N, 2), shape (N,)."""
        return nn.predict_proba(self.model, X)


def _grid(X, resolution=RESOLUTION, margin=0.15):
    """Grid over the data's bounding box plus ``margin``: (extent, points (R*R, 2))."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * (hi - lo) + 1e-9
    lo, hi = lo - pad, hi + pad
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    return (lo[0], hi[0], lo[1], hi[1]), np.column_stack([g1.ravel(), g2.ravel()])


def _controls():
    return {
        "dataset": dropdown("dataset", DATASETS, "xor"),
        "noise": slider("noise", 0.1, 0.0, 0.5, 0.01),
        "test_share": slider("test share", 0.3, 0.1, 0.9, 0.05),
        "layers": widgets.IntSlider(value=2, min=0, max=4, description="hidden layers",
                                    continuous_update=False),
        "neurons": widgets.IntSlider(value=8, min=1, max=16, description="neurons",
                                     continuous_update=False),
        "activation": dropdown("activation", activations.ACTIVATIONS, "tanh"),
        "lr": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.1,
                                     description="learning rate", readout_format=".3f",
                                     continuous_update=False),
        "batch_size": widgets.IntSlider(value=10, min=1, max=N_POINTS, description="batch size",
                                        continuous_update=False),
        "step": widgets.Button(description="Step (1 epoch)"),
        "play": widgets.ToggleButton(value=False, description="▶ Train", button_style="success"),
        "reset": widgets.Button(description="Reset"),
    }


def _artists(ax_map, ax_loss):
    a = {"heatmap": ax_map.imshow(np.full((2, 2), 0.5), origin="lower", cmap=_SURFACE_CMAP,
                                  vmin=0.0, vmax=1.0, aspect="auto", interpolation="bilinear"),
         "train_points": ax_map.scatter([], [], c=[], cmap=_CLASS_CMAP, vmin=0, vmax=1, s=22,
                                        marker="o", edgecolors="white", linewidths=0.6,
                                        label="training"),
         "test_points": ax_map.scatter([], [], c=[], cmap=_CLASS_CMAP, vmin=0, vmax=1, s=30,
                                       marker="^", edgecolors="black", linewidths=0.6,
                                       label="test"),
         "train_loss": ax_loss.plot([], [], color="C0", label="training loss")[0],
         "test_loss": ax_loss.plot([], [], color="C3", linestyle="--", label="test loss")[0]}
    ax_map.legend(loc="upper right", fontsize="x-small")
    ax_map.set(xlabel="$x_1$", ylabel="$x_2$")
    ax_loss.set(xlabel="step", ylabel="binary cross-entropy")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(loc="upper right", fontsize="small")
    return a


class Playground(Explorer):
    """The widget :func:`training_playground` returns; its methods are what the buttons do.

    Attributes
    ----------
    trainer : Trainer
        The model being trained, its optimizer and counters.
    data : dict
        ``X_train``, ``y_train``, ``X_test``, ``y_test`` and the decision
        surface's ``extent`` and ``grid``.
    history : dict
        ``steps``, ``train`` and ``test``: the loss curves, one point per redraw.
    task : asyncio.Task or None
        The background training loop while "Train" is pressed.
    """

    def __init__(self):
        c = _controls()
        fig, (ax_map, ax_loss) = figure(9.5, 3.9, ncols=2, width_ratios=(1.1, 1.0))
        super().__init__(c, fig, _artists(ax_map, ax_loss), rows=[
            [c["dataset"], c["noise"], c["test_share"]],
            [c["layers"], c["neurons"], c["activation"]],
            [c["lr"], c["batch_size"]], [c["step"], c["play"], c["reset"]]])
        self.ax_map, self.ax_loss = ax_map, ax_loss
        self.task = None
        c["step"].on_click(lambda _b: self.step_epoch())
        c["reset"].on_click(lambda _b: self.reset())
        c["play"].observe(lambda change: self.start() if change["new"] else self.pause(),
                          names="value")
        for key in ("dataset", "noise", "test_share"):
            c[key].observe(lambda _c: self.new_data(), names="value")
        for key in ("layers", "neurons", "activation"):
            c[key].observe(lambda _c: self.reset(), names="value")
        c["lr"].observe(lambda change: setattr(self.trainer.optimizer, "lr", change["new"]),
                        names="value")
        c["batch_size"].observe(lambda change: setattr(self.trainer, "batch_size", change["new"]),
                                names="value")
        self.on_close(self.pause)
        self.new_data()

    # ---------------------------------------------------------------- what the controls do
    def new_data(self):
        """Draw the dataset, split it, show the points, and start a fresh network."""
        c = self.controls
        X, y = make_dataset(c["dataset"].value, c["noise"].value)
        X_train, X_test, y_train, y_test = data.train_test_split(
            X, y, test_size=round(c["test_share"].value * len(y)), rng=SEED)
        extent, grid = _grid(X)
        self.data = {"X_train": X_train, "y_train": y_train, "X_test": X_test,
                     "y_test": y_test, "extent": extent, "grid": grid}
        a = self.artists
        for part in ("train", "test"):
            a[f"{part}_points"].set_offsets(self.data[f"X_{part}"])
            a[f"{part}_points"].set_array(self.data[f"y_{part}"].astype(np.float64))
        a["heatmap"].set_extent(extent)
        self.ax_map.set(xlim=extent[:2], ylim=extent[2:])
        c["batch_size"].max = len(X_train)
        self.reset(layout=True)

    def reset(self, layout=False):
        """A fresh network with the seeded initial weights; counters and curves start over.

        ``layout=True`` lays the figure out again (new data, new axis limits).
        """
        c, d = self.controls, self.data
        self.trainer = Trainer(d["X_train"], d["y_train"], [c["neurons"].value] * c["layers"].value,
                               c["activation"].value, c["lr"].value, c["batch_size"].value)
        self.history = {"steps": [], "train": [], "test": []}
        self.redraw(layout)

    def step_epoch(self):
        """Train one epoch (one pass over the training points), then redraw."""
        self.trainer.epoch()
        self.redraw()

    def train_frame(self, steps=STEPS_PER_FRAME):
        """Train ``steps`` mini-batch steps, then redraw: one frame of the background loop."""
        self.trainer.train(steps)
        self.redraw()

    def start(self):
        """Train in the background until :meth:`pause` (the "Train" toggle does both)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.controls["play"].value = False
            self.readout.value = ("training in the background needs the kernel's event loop "
                                  "(run this in Jupyter); use Step meanwhile")
            return
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run())
        self.controls["play"].description = "⏸ Pause"

    def pause(self):
        """Stop the background training after the current frame."""
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.controls["play"].value = False
        self.controls["play"].description = "▶ Train"

    async def _run(self):
        try:
            while True:
                self.train_frame()
                await asyncio.sleep(FRAME_PAUSE)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # shown, not raised: a background task has no cell
            self.readout.value = f"training stopped: {type(error).__name__}: {error}"
            self.task = None
            self.controls["play"].value = False

    # ---------------------------------------------------------------- drawing
    def redraw(self, layout=False):
        """Update the surface, the curves and the readout in place, and render."""
        t, d, a, h = self.trainer, self.data, self.artists, self.history
        r = RESOLUTION
        a["heatmap"].set_data(t.probability(d["grid"]).reshape(r, r))
        train, test = t.loss(d["X_train"], d["y_train"]), t.loss(d["X_test"], d["y_test"])
        if not h["steps"] or h["steps"][-1] != t.steps:
            h["steps"].append(t.steps)
            h["train"].append(train)
            h["test"].append(test)
        a["train_loss"].set_data(h["steps"], h["train"])
        a["test_loss"].set_data(h["steps"], h["test"])
        self.ax_loss.set_xlim(0, max(h["steps"][-1], 1))
        self.ax_loss.set_ylim(0, 1.05 * max(max(h["train"]), max(h["test"]), 0.1))
        accuracy = {part: nn.accuracy(d[f"y_{part}"], t.predict(d[f"X_{part}"]))
                    for part in ("train", "test")}
        self.ax_map.set_title(f"epoch {t.epochs}, step {t.steps}")
        self.readout.value = (
            f"epoch <b>{t.epochs}</b>, step <b>{t.steps}</b>: training loss <b>{train:.4f}</b> "
            f"(accuracy {accuracy['train']:.0%}), test loss <b>{test:.4f}</b> "
            f"(accuracy {accuracy['test']:.0%}); {len(d['y_train'])} training and "
            f"{len(d['y_test'])} test points")
        self.state.update(train_loss=train, test_loss=test, steps=t.steps, epochs=t.epochs,
                          accuracy=accuracy)
        self.render(layout)


@skip_while_grading(say=True)
def training_playground():
    """Train a small network on a 2-D dataset and watch it learn: the TensorFlow Playground.

    Controls: the dataset (xor, circles, gaussian, spiral), its noise, the
    share of points held out for testing; the number of hidden layers, the
    neurons per layer and their activation; the learning rate and batch
    size; "Step" (one epoch), "Train"/"Pause" (training in the background,
    redrawing every :data:`STEPS_PER_FRAME` steps) and "Reset". The left
    picture colours the plane by the predicted probability of class 1, with
    training points (circles) and test points (triangles); the right one
    shows the training and test losses.

    Returns
    -------
    Playground, or None while nbgrader grades
        ``artists``: ``heatmap``, ``train_points``, ``test_points``,
        ``train_loss``, ``test_loss``.
    """
    return Playground()
