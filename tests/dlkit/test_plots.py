"""dlkit.plots under the Agg backend: what each function draws, and nothing while grading.

The decision-boundary test renders the figure and reads back pixel colours,
so it checks the picture a student sees, not just the call.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from dlkit import activations, data, losses, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    yield
    plt.close("all")


def line_data(ax):
    return [(np.asarray(line.get_xdata()), np.asarray(line.get_ydata())) for line in ax.lines]


# ---------------------------------------------------------------- autograding switch
@pytest.mark.parametrize("value,expected", [(None, False), ("", False), ("autograde", True),
                                            ("validate", True)])
def test_autograding_reads_nbgrader_environment(monkeypatch, value, expected):
    if value is not None:
        monkeypatch.setenv("NBGRADER_EXECUTION", value)
    assert plots.autograding() is expected


CALLS = {
    "plot_activation": lambda: plots.plot_activation("relu"),
    "plot_activations": lambda: plots.plot_activations(),
    "plot_dataset": lambda: plots.plot_dataset(*data.xor(n=20)),
    "plot_decision_boundary": lambda: plots.plot_decision_boundary(
        lambda P: P[:, 0] > 0.5, *data.xor(n=20), resolution=20),
    "plot_loss_curve": lambda: plots.plot_loss_curve([1.0, 0.5, 0.25]),
    "plot_losses_vs_residual": lambda: plots.plot_losses_vs_residual(),
    "plot_vanishing_gradient": lambda: plots.plot_vanishing_gradient(depth=5),
}


def test_every_plot_function_is_covered():
    public = {name for name in plots.__all__ if name.startswith("plot_")}
    assert public == set(CALLS)


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_nothing_is_drawn_while_grading(monkeypatch, name, mode):
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    before = plt.get_fignums()
    assert CALLS[name]() is None
    assert plt.get_fignums() == before


@pytest.mark.parametrize("name", CALLS)
def test_returns_axes_and_never_warns(name, recwarn):
    result = CALLS[name]()
    axes = result if isinstance(result, np.ndarray) else [result]
    assert all(isinstance(ax, Axes) for ax in axes)
    axes[0].figure.canvas.draw()  # rendering must not warn either
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


def test_draws_on_the_given_axes():
    fig, ax = plt.subplots()
    assert plots.plot_loss_curve([3.0, 2.0], ax=ax) is ax
    assert plots.plot_dataset(*data.moons(n=10), ax=ax) is ax
    assert len(fig.axes) == 1


# ---------------------------------------------------------------- activations
def test_plot_activation_draws_function_derivative_and_zero_lines():
    x = np.linspace(-3, 3, 31)
    ax = plots.plot_activation(activations.sigmoid, activations.sigmoid_derivative, x=x,
                               title="S")
    (x0, f), (x1, df), *zero = line_data(ax)
    np.testing.assert_allclose(x0, x)
    np.testing.assert_allclose(f, activations.sigmoid(x))
    np.testing.assert_allclose(df, activations.sigmoid_derivative(x))
    assert len(zero) == 2
    assert ax.get_title() == "S" and ax.get_xlabel() == "x"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sigmoid(x)", "sigmoid'(x)"]


def test_plot_activation_by_name_and_without_derivative():
    ax = plots.plot_activation("tanh")
    assert len(ax.lines) == 4 and ax.get_title() == "tanh"
    ax = plots.plot_activation(np.abs, title="abs")
    assert len(ax.lines) == 3


def test_plot_activations_grid():
    axes = plots.plot_activations()
    assert [ax.get_title() for ax in axes] == list(activations.ACTIVATIONS)
    assert all(len(ax.lines) == 4 for ax in axes)
    assert len(axes[0].figure.axes) == len(activations.ACTIVATIONS)
    axes = plots.plot_activations(["relu", "elu"])
    assert [ax.get_title() for ax in axes] == ["relu", "elu"]
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        plots.plot_activations(["relu", "swish"])


# ---------------------------------------------------------------- datasets and boundaries
def test_plot_dataset_one_scatter_per_class():
    X, y = data.blobs(n=30)
    ax = plots.plot_dataset(X, y, title="blobs")
    assert len(ax.collections) == 3
    for k, coll in enumerate(ax.collections):
        np.testing.assert_allclose(coll.get_offsets(), X[y == k])
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\), got \(30,\)"):
        plots.plot_dataset(X[:, 0], y)
    with pytest.raises(ValueError, match=r"expected y of shape \(30,\).*got \(29,\)"):
        plots.plot_dataset(X, y[:-1])


@pytest.mark.parametrize("scores,labels", [
    (np.array([3, 0, 1]), [3, 0, 1]),                            # integer labels
    (np.array([True, False]), [1, 0]),                           # booleans
    (np.array([2.0, 0.0, 1.0]), [2, 0, 1]),                      # whole-number floats
    (np.array([0.2, 0.5, 0.9]), [0, 1, 1]),                      # probabilities
    (np.array([-0.3, 2.5, 0.0, 1.2]), [0, 1, 0, 1]),             # raw scores: sign
    (np.array([[0.1], [0.7]]), [0, 1]),                          # (M, 1)
    (np.array([[0.1, 0.5, 0.4], [2.0, -1.0, 0.0]]), [1, 0]),     # (M, K): argmax
])
def test_decision_labels(scores, labels):
    out = plots.decision_labels(scores)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, labels)


def pixel(ax, x, y):
    """RGB (0..1) of the rendered pixel at data point (x, y)."""
    fig = ax.figure
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    return rgba[rgba.shape[0] - int(round(py)), int(round(px)), :3] / 255.0


def shade(k):
    """Class k's colour at the contour alpha over a white background."""
    return 0.3 * np.array(to_rgb(plots.CLASS_COLORS[k])) + 0.7


@pytest.mark.parametrize("kind", ["labels", "probabilities", "scores", "onehot"])
def test_decision_boundary_colours_the_right_regions(kind):
    # the rule x1 + x2 > 1, in each output format predict may use
    def predict(P):
        s = P[:, 0] + P[:, 1] - 1.0
        return {"labels": (s > 0).astype(int), "probabilities": 1 / (1 + np.exp(-5 * s)),
                "scores": s, "onehot": np.column_stack([-s, s])}[kind]

    X = np.array([[-1.0, -1.0], [2.0, 2.0], [-1.0, 2.0], [2.0, -1.0]])
    y = np.array([0, 1, 1, 1])
    ax = plots.plot_decision_boundary(predict, X, y, resolution=50, title="rule")
    assert isinstance(ax.collections[0], ContourSet)
    assert len(ax.collections) == 1 + 2  # filled contours, then one scatter per class
    for point, k in [((0.0, 0.0), 0), ((-0.5, 0.5), 0), ((1.5, 1.5), 1), ((0.5, 1.5), 1)]:
        rgb = pixel(ax, *point)
        near, far = np.abs(rgb - shade(k)).max(), np.abs(rgb - shade(1 - k)).max()
        assert near < 0.05 < far, (point, k, rgb)
    assert ax.get_title() == "rule"
    lo, hi = ax.get_xlim()
    assert lo < -1.0 and hi > 2.0


def test_decision_boundary_multiclass_and_errors():
    X, y = data.blobs(n=60, std=0.2)
    centres = np.array([X[y == k].mean(axis=0) for k in range(3)])

    def nearest(P):
        return -np.linalg.norm(P[:, None, :] - centres[None], axis=2)

    ax = plots.plot_decision_boundary(nearest, X, y, resolution=40)
    for k in range(3):  # halfway to each centre: inside its region, clear of the markers
        assert np.abs(pixel(ax, *(0.5 * centres[k])) - shade(k)).max() < 0.05
    with pytest.raises(ValueError, match="resolution must be an integer >= 2"):
        plots.plot_decision_boundary(nearest, X, y, resolution=1)
    with pytest.raises(ValueError, match="returned 3 labels for 1600 points"):
        plots.plot_decision_boundary(lambda P: np.zeros(3), X, y, resolution=40)


# ---------------------------------------------------------------- losses and gradients
def test_loss_curve():
    ax = plots.plot_loss_curve([4.0, 2.0, 1.0])
    ((x, y),) = line_data(ax)
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_array_equal(y, [4.0, 2.0, 1.0])
    assert ax.get_yscale() == "linear"
    ax = plots.plot_loss_curve({"train": [1.0, 0.5], "test": [1.2, 0.8]}, log=True)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]
    with pytest.raises(ValueError, match=r"history of shape \(epochs,\), got \(2, 2\)"):
        plots.plot_loss_curve([[1.0, 2.0], [3.0, 4.0]])


def test_loss_curve_of_a_real_fit():
    from dlkit import nn

    X, y = data.xor(n=40)
    history = nn.fit(nn.MLP([2, 4, 1]), X, y, loss="bce_logits", epochs=5)
    ax = plots.plot_loss_curve(history)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), history)


def test_losses_vs_residual():
    r = np.linspace(-2, 2, 9)
    ax = plots.plot_losses_vs_residual(r=r, delta=0.5)
    (x0, mse), (_, mae), (_, huber), *rest = line_data(ax)
    np.testing.assert_allclose(x0, r)
    np.testing.assert_allclose(mse, r**2)
    np.testing.assert_allclose(mae, np.abs(r))
    np.testing.assert_allclose(huber, losses.huber(np.zeros(9), r, delta=0.5, reduction="none"))
    assert len(rest) == 2 + 2  # zero lines, then the +-delta markers
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mse", "mae", "huber"]
    ax = plots.plot_losses_vs_residual(names=["mse"])
    assert len(ax.lines) == 1 + 2
    with pytest.raises(ValueError, match="no loss called 'l3'"):
        plots.plot_losses_vs_residual(names=["l3"])


def test_vanishing_gradient():
    ax = plots.plot_vanishing_gradient(depth=10, z=0.0, names=("sigmoid", "tanh"))
    (d, sig), (_, tanh) = line_data(ax)
    np.testing.assert_array_equal(d, np.arange(1, 11))
    np.testing.assert_allclose(sig, 0.25 ** d)
    np.testing.assert_allclose(tanh, 1.0)
    assert ax.get_yscale() == "log"
    ax = plots.plot_vanishing_gradient(depth=4)
    sig, relu = ax.lines[0].get_ydata(), ax.lines[2].get_ydata()
    assert np.all(np.diff(sig) < 0) and np.all(relu == 1.0)
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        plots.plot_vanishing_gradient(depth=0)
