"""dlkit.widgets without a browser: each explorer builds, reacts to its controls, and steps aside
while nbgrader grades.

Controls are driven the way the frontend drives them (setting ``value``,
``Button.click()``); the checks read the readout text, the plotted arrays of
the explorer's figure, and its state. Oracles: dlkit.activations,
dlkit.losses, dlkit.worked_example.one_step and dlkit.nn.accuracy.
"""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlkit import activations, losses, nn, widgets, worked_example  # noqa: E402

EXPLORERS = ["explore_activation", "explore_neuron", "explore_backprop", "explore_loss",
             "explore_decision_boundary"]


@pytest.fixture(autouse=True)
def _not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def lines(ex, ax=0):
    return ex.figure.axes[ax].lines


# ---------------------------------------------------------------- every explorer
@pytest.mark.parametrize("name", EXPLORERS)
def test_builds_without_a_frontend(name, recwarn):
    ex = getattr(widgets, name)()
    assert isinstance(ex, widgets.Explorer) and isinstance(ex, ipywidgets.VBox)
    assert bytes(ex.image.value).startswith(b"\x89PNG"), "the figure should be drawn at once"
    assert ex.readout.value
    assert ex.readout in ex.children and ex.image in ex.children
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


@pytest.mark.parametrize("name", EXPLORERS)
@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_skipped_while_grading(monkeypatch, capsys, name, mode):
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    assert getattr(widgets, name)() is None
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and name in printed and "skipped" in printed


# ---------------------------------------------------------------- activation
def test_activation_figure_data():
    d = widgets._activation_figure_data("leaky_relu", 0.2, -2.0, 3.0, x0=-1.0, num=11)
    np.testing.assert_allclose(d["x"], np.linspace(-2, 3, 11))
    np.testing.assert_allclose(d["f"], activations.leaky_relu(d["x"], alpha=0.2))
    np.testing.assert_allclose(d["df"], activations.leaky_relu_derivative(d["x"], alpha=0.2))
    assert (d["f0"], d["df0"]) == pytest.approx((-0.2, 0.2))
    d = widgets._activation_figure_data("tanh", 0.2, -1.0, 1.0)  # alpha ignored
    np.testing.assert_allclose(d["f"], np.tanh(d["x"]))
    with pytest.raises(ValueError, match="lo < hi"):
        widgets._activation_figure_data("tanh", None, 1.0, 1.0)


def test_activation_explorer_follows_its_controls():
    ex = widgets.explore_activation()
    c = ex.controls
    assert c["name"].value == "sigmoid" and c["alpha"].disabled
    png = bytes(ex.image.value)
    c["name"].value = "elu"
    assert not c["alpha"].disabled and c["alpha"].value == 1.0  # elu's default alpha
    c["alpha"].value = 0.5
    c["range"].value = (-3.0, 2.0)
    c["x0"].value = -1.0
    f_line, df_line = lines(ex)[:2]
    x = f_line.get_xdata()
    assert x[0] == -3.0 and x[-1] == 2.0
    np.testing.assert_allclose(f_line.get_ydata(), activations.elu(x, alpha=0.5))
    np.testing.assert_allclose(df_line.get_ydata(), activations.elu_derivative(x, alpha=0.5))
    assert f"f(-1.00) = <b>{activations.elu(-1.0, alpha=0.5):.4f}</b>" in ex.readout.value
    assert ex.figure.axes[0].get_title() == "elu"
    assert bytes(ex.image.value) != png
    c["name"].value = "relu"
    assert c["alpha"].disabled
    np.testing.assert_allclose(lines(ex)[0].get_ydata(), np.maximum(x, 0))


# ---------------------------------------------------------------- neuron
def test_neuron_figure_data():
    d = widgets._neuron_figure_data(2.0, -1.0, 0.5, "relu", x1=1.0, x2=3.0, lim=1.0,
                                    resolution=5)
    assert d["z"] == pytest.approx(2.0 - 3.0 + 0.5) and d["a0"] == 0.0
    g = d["grid"]
    np.testing.assert_allclose(g, np.linspace(-1, 1, 5))
    # a[i, j] sits at x1 = g[j], x2 = g[i]
    np.testing.assert_allclose(d["a"], np.maximum(2.0 * g[None, :] - g[:, None] + 0.5, 0))
    lx, ly = d["line"]
    np.testing.assert_allclose(2.0 * lx - ly + 0.5, 0.0, atol=1e-12)
    assert widgets._neuron_figure_data(0.0, 0.0, 1.0)["line"][0].size == 0


def test_neuron_explorer_follows_its_controls():
    ex = widgets.explore_neuron()
    c = ex.controls
    for key, value in [("w1", 0.5), ("w2", 2.0), ("b", -1.0), ("x1", 1.0), ("x2", 0.5)]:
        c[key].value = value
    c["name"].value = "tanh"
    z = 0.5 * 1.0 + 2.0 * 0.5 - 1.0
    assert f"= <b>{z:.4f}</b>" in ex.readout.value
    assert f"tanh(z) = <b>{np.tanh(z):.4f}</b>" in ex.readout.value
    image = ex.figure.axes[0].images[0]
    np.testing.assert_allclose(image.get_array(), ex.state["a"])
    assert ex.state["a"].max() <= 1.0 and ex.state["a"].min() < 0  # tanh, not sigmoid
    line = lines(ex)[0]
    np.testing.assert_allclose(0.5 * line.get_xdata() + 2.0 * line.get_ydata() - 1.0, 0,
                               atol=1e-12)


# ---------------------------------------------------------------- backprop
def test_backprop_step_matches_the_worked_example():
    ex = widgets.explore_backprop()
    assert ex.state["iteration"] == 0
    start = worked_example.one_step(worked_example.lecture_network())
    assert ex.state["now"]["y5"] == pytest.approx(start["y5"])
    assert "iteration 0" in ex.readout.value

    ex.controls["step"].click()
    expected = worked_example.one_step(worked_example.lecture_network())
    assert ex.state["iteration"] == 1
    assert ex.state["step"] == pytest.approx(expected)
    now = ex.state["now"]
    for w in ("w11", "w21", "w12", "w22", "w13", "w23"):
        assert now[w] == pytest.approx(expected[f"{w}_new"])
        assert f"{w} = {expected[w + '_new']:.6f}" in ex.readout.value
    assert now["y5"] == pytest.approx(expected["y5_after"])
    assert now["error"] == pytest.approx(expected["error_after"])
    text = ex.readout.value
    assert "iteration 1" in text
    assert f"y5 = <b>{expected['y5_after']:.6f}</b>" in text
    assert f"delta5 = {expected['delta5']:+.6f}" in text
    assert f"dw11 = {expected['dw11']:+.6f}" in text
    np.testing.assert_allclose(lines(ex)[0].get_ydata(), [start["y5"], expected["y5_after"]])


def test_backprop_keeps_stepping_and_resets():
    ex = widgets.explore_backprop()
    net = worked_example.lecture_network()
    for _ in range(5):
        ex.controls["step"].click()
        expected = worked_example.one_step(net)
    assert ex.state["iteration"] == 5
    assert ex.state["step"] == pytest.approx(expected)
    assert abs(ex.state["now"]["error"]) < abs(worked_example.one_step()["error"])
    ex.controls["reset"].click()
    assert ex.state["iteration"] == 0 and ex.state["step"] is None
    assert ex.state["now"]["w23"] == pytest.approx(0.9)
    assert len(lines(ex)[0].get_ydata()) == 1


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("name,target", [("mse", 0.5), ("mae", -1.0), ("huber", 0.0),
                                         ("binary_cross_entropy", 1.0),
                                         ("binary_cross_entropy_with_logits", 0.0),
                                         ("hinge", -1.0)])
def test_loss_figure_data(name, target):
    d = widgets._loss_figure_data(name, target, delta=0.5, num=21)
    y = np.full(21, target)
    kw = {"delta": 0.5} if name == "huber" else {}
    np.testing.assert_allclose(d["loss"], losses.get(name).fn(y, d["pred"], reduction="none",
                                                              **kw))
    np.testing.assert_allclose(d["grad"], losses.get(name).grad(y, d["pred"],
                                                                reduction="none", **kw))
    assert np.all(np.isfinite(d["loss"])) and np.all(np.isfinite(d["grad"]))


def test_loss_explorer_follows_its_controls():
    ex = widgets.explore_loss()
    c = ex.controls
    c["target"].value = 1.0
    loss_line, grad_line = lines(ex)[:2]
    x = loss_line.get_xdata()
    assert x[0] == pytest.approx(-2.0) and x[-1] == pytest.approx(4.0)  # target +- 3
    np.testing.assert_allclose(loss_line.get_ydata(), (x - 1.0) ** 2)
    np.testing.assert_allclose(grad_line.get_ydata(), 2 * (x - 1.0))
    assert "at prediction ŷ = <b>1.000</b>" in ex.readout.value
    assert c["delta"].disabled

    c["name"].value = "huber"
    assert not c["delta"].disabled
    c["delta"].value = 0.5
    x = lines(ex)[0].get_xdata()
    np.testing.assert_allclose(lines(ex)[0].get_ydata(),
                               losses.huber(np.zeros_like(x), x, delta=0.5, reduction="none"))

    c["name"].value = "hinge"  # the target slider now offers -1 and +1 only
    assert (c["target"].min, c["target"].max, c["target"].value) == (-1.0, 1.0, 1.0)
    c["target"].value = -1.0
    x = lines(ex)[0].get_xdata()
    np.testing.assert_allclose(lines(ex)[0].get_ydata(), np.maximum(0, 1 + x))
    assert "target y = -1" in ex.figure.axes[0].get_title()

    c["name"].value = "mse"
    assert (c["target"].min, c["target"].max) == (-2.0, 2.0)


# ---------------------------------------------------------------- decision boundary
def test_train_classifier_reaches_high_accuracy_on_xor():
    r = widgets._train_classifier("xor", hidden=8, activation="relu", epochs=300)
    assert r["accuracy"] >= 0.95
    assert len(r["history"]) == 300 and r["history"][-1] < r["history"][0]
    assert r["accuracy"] == nn.accuracy(r["y"], nn.predict_classes(r["model"], r["X"]))


def test_train_classifier_multiclass_uses_one_output_per_class():
    r = widgets._train_classifier("blobs", hidden=8, layers=2, epochs=200)
    assert r["model"][-1].n_out == 3 and len(r["model"]) == 3
    assert r["accuracy"] >= 0.95


def test_decision_boundary_explorer_trains_on_xor():
    ex = widgets.explore_decision_boundary()
    c = ex.controls
    assert c["dataset"].value == "xor"
    assert "200 points, 2 classes" in ex.readout.value
    assert len(ex.figure.axes[0].collections) == 2  # just the data, one scatter per class
    c["train"].click()
    assert ex.state["accuracy"] >= 0.95
    assert f"{ex.state['accuracy']:.1%}" in ex.readout.value
    assert not c["train"].disabled and c["train"].description == "Train"
    ax_data, ax_loss = ex.figure.axes[:2]
    assert len(ax_data.collections) == 1 + 2  # boundary, then the two classes
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), ex.state["history"])


def test_decision_boundary_explorer_switches_dataset():
    ex = widgets.explore_decision_boundary()
    ex.controls["train"].click()
    ex.controls["dataset"].value = "spiral"
    assert ex.state == {}, "a new dataset forgets the old model"
    assert "300 points, 3 classes" in ex.readout.value
    assert len(ex.figure.axes[0].collections) == 3
    ex.controls["epochs"].value = 50
    ex.controls["train"].click()
    assert len(ex.state["history"]) == 50 and ex.state["y"].max() == 2
