"""dlkit.widgets without a browser: every control changes what is drawn, as an oracle says.

Controls are driven the way the frontend drives them (setting ``value``,
``Button.click()``); the checks read the drawn artists (``ex.artists``) and
the readouts. Oracles: dlkit.activations for the activations, numpy formulas
and central finite differences for the losses, dlkit.worked_example's
printed values for the stepper, and the playground's own counters and
weights. Warnings are errors here: a widget must stay silent at every
slider position (nbgrader zeroes a cell that writes to stderr).
"""

import asyncio
import threading
import warnings

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlkit import activations, data, losses, widgets, worked_example  # noqa: E402
from dlkit.widgets import activation as activation_module  # noqa: E402
from dlkit.widgets import backprop as stepper_module  # noqa: E402
from dlkit.widgets import loss as loss_module  # noqa: E402
from dlkit.widgets import training as playground_module  # noqa: E402

WIDGETS = ["activation_explorer", "neuron_explorer", "loss_explorer", "training_playground",
           "backprop_stepper"]


@pytest.fixture(autouse=True)
def _not_grading_and_silent(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def png(ex) -> bytes:
    return bytes(ex.image.value)


# ---------------------------------------------------------------- every widget
@pytest.mark.parametrize("name", WIDGETS)
def test_builds_without_a_frontend(name):
    ex = getattr(widgets, name)()
    assert isinstance(ex, widgets.Explorer) and isinstance(ex, ipywidgets.VBox)
    assert png(ex).startswith(b"\x89PNG"), "the figure should be drawn at once"
    assert ex.readout.value and ex.readout in ex.children and ex.image in ex.children
    assert ex.artists and ex.figure.axes
    shown = {w for row in ex.children[:-2] for w in row.children}
    assert shown == set(ex.controls.values()), "every control is laid out, once"
    ex.close()


@pytest.mark.parametrize("name", WIDGETS)
@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_returns_at_once_while_grading(monkeypatch, capsys, name, mode):
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)

    def refuse(*_args, **_kwargs):
        raise AssertionError("nothing may be built, trained or drawn while grading")

    monkeypatch.setattr(widgets.Explorer, "__init__", refuse)
    monkeypatch.setattr(playground_module.Trainer, "__init__", refuse)
    assert getattr(widgets, name)() is None
    printed = capsys.readouterr()
    assert printed.out.count("\n") == 1 and name in printed.out and "skipped" in printed.out
    assert printed.err == ""


def test_each_widget_lives_in_the_module_named_for_what_it_shows():
    import importlib

    homes = {"activation_explorer": "activation", "neuron_explorer": "neuron",
             "loss_explorer": "loss", "training_playground": "training",
             "backprop_stepper": "backprop"}
    assert sorted(homes) == sorted(WIDGETS)
    for name, module in homes.items():
        assert getattr(importlib.import_module(f"dlkit.widgets.{module}"), name) \
            is getattr(widgets, name)
    assert not hasattr(widgets, "explore_activation")


# ---------------------------------------------------------------- activation explorer
def oracle_activation(name, x, alpha):
    act = activations.get(name)
    kw = {} if alpha is None else {"alpha": alpha}
    return act.fn(x, **kw), act.derivative(x, **kw)


def assert_activation_drawn(ex, name, lo, hi, alpha=None, key=("f", "df")):
    a = ex.artists
    x = a[key[0]].get_xdata()
    assert (x[0], x[-1]) == pytest.approx((lo, hi))
    f, df = oracle_activation(name, x, alpha)
    np.testing.assert_allclose(a[key[0]].get_ydata(), f, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a[key[1]].get_ydata(), df, rtol=1e-12, atol=1e-15)
    return x, df


def saturated_spans(x, df, threshold):
    """Oracle: the runs of points where |df| < threshold, found point by point."""
    spans, start = [], None
    for xi, flat in zip(x, np.abs(df) < threshold, strict=True):
        if flat and start is None:
            start = xi
        if flat:
            end = xi
        if not flat and start is not None:
            spans.append((start, end))
            start = None
    return spans + ([(start, end)] if start is not None else [])


def test_activation_explorer_draws_every_activation_and_its_derivative():
    ex = widgets.activation_explorer()
    c, a = ex.controls, ex.artists
    assert c["name"].value == "sigmoid" and c["compare"].value == "none"
    for name in activations.ACTIVATIONS:
        before = png(ex)
        c["name"].value = name
        x, df = assert_activation_drawn(ex, name, -5.0, 5.0,
                                        activation_module.parameter_default(name))
        assert ex.figure.axes[0].get_title() == name
        # the marked maximum of f' is the largest f' drawn
        (mx,), (my,) = a["df_max"].get_data()
        assert my == df.max() and mx == x[np.argmax(df)]
        assert f"max f' = <b>{df.max():.4f}</b>" in ex.readout.value
        # grey bands where |f'| < 5% of its largest value over [-10, 10]
        wide = oracle_activation(name, np.linspace(-10, 10, 2001),
                                 activation_module.parameter_default(name))[1]
        spans = saturated_spans(x, df, 0.05 * np.abs(wide).max())
        drawn = [(p.vertices[0, 0], p.vertices[2, 0]) for p in a["saturation"].get_paths()]
        assert drawn == pytest.approx(spans)
        assert png(ex) != before or name == "sigmoid"
    c["name"].value = "linear"
    assert a["saturation"].get_paths() == [], "linear never saturates"


def test_activation_explorer_range_point_and_parameters():
    ex = widgets.activation_explorer()
    c, a = ex.controls, ex.artists
    assert c["leaky_alpha"].layout.display == "none" and c["elu_alpha"].layout.display == "none"
    c["range"].value = (-2.0, 3.0)
    assert_activation_drawn(ex, "sigmoid", -2.0, 3.0)
    assert ex.figure.axes[0].get_xlim() == (-2.0, 3.0)
    c["x0"].value = -1.5
    assert a["point"].get_data()[1] == pytest.approx(
        [activations.sigmoid(-1.5), activations.sigmoid_derivative(-1.5)])
    assert f"f(-1.50) = <b>{activations.sigmoid(-1.5):.4f}</b>" in ex.readout.value

    c["name"].value = "leaky_relu"
    assert c["leaky_alpha"].layout.display is None and c["elu_alpha"].layout.display == "none"
    c["leaky_alpha"].value = 0.3
    assert_activation_drawn(ex, "leaky_relu", -2.0, 3.0, 0.3)
    assert a["saturation"].get_paths() == [], "slope 0.3 is not saturated"
    c["leaky_alpha"].value = 0.0  # extreme: a plain ReLU, saturated below 0
    assert_activation_drawn(ex, "leaky_relu", -2.0, 3.0, 0.0)
    assert len(a["saturation"].get_paths()) == 1

    c["name"].value = "elu"
    assert c["elu_alpha"].layout.display is None and c["leaky_alpha"].layout.display == "none"
    for alpha in (2.5, 0.0, 3.0):
        c["elu_alpha"].value = alpha
        assert_activation_drawn(ex, "elu", -2.0, 3.0, alpha)
    c["range"].value = (-10.0, -10.0)  # both ends together: widened, no singular limits
    x, _ = assert_activation_drawn(ex, "elu", -10.25, -9.75, 3.0)
    c["range"].value = (-10.0, 10.0)
    assert_activation_drawn(ex, "elu", -10.0, 10.0, 3.0)


def test_activation_explorer_compares_with_a_second_activation():
    ex = widgets.activation_explorer()
    c, a = ex.controls, ex.artists
    assert not a["g"].get_visible() and not a["dg"].get_visible()
    c["compare"].value = "tanh"
    assert a["g"].get_visible() and a["dg"].get_visible()
    assert_activation_drawn(ex, "tanh", -5.0, 5.0, key=("g", "dg"))
    assert_activation_drawn(ex, "sigmoid", -5.0, 5.0)
    assert ex.figure.axes[0].get_title() == "sigmoid and tanh"
    c["compare"].value = "elu"  # the comparison's parameter shows too
    assert c["elu_alpha"].layout.display is None
    c["elu_alpha"].value = 0.5
    assert_activation_drawn(ex, "elu", -5.0, 5.0, 0.5, key=("g", "dg"))
    c["compare"].value = "none"
    assert not a["g"].get_visible() and c["elu_alpha"].layout.display == "none"


# ---------------------------------------------------------------- loss explorer
def _log(p):
    return np.log(np.clip(p, losses.EPS, 1 - losses.EPS))


def _softplus(z):
    return np.logaddexp(0.0, z)


# name -> oracle(x, target, param): the per-sample loss written out in numpy
LOSS_ORACLES = {
    "mse": lambda x, t, _: (x - t) ** 2,
    "mae": lambda x, t, _: np.abs(x - t),
    "huber": lambda x, t, d: np.where(np.abs(x - t) <= d, 0.5 * (x - t) ** 2,
                                      d * (np.abs(x - t) - 0.5 * d)),
    "binary_cross_entropy": lambda p, t, _: -t * _log(p) - (1 - t) * _log(1 - p),
    "binary_cross_entropy_with_logits": lambda z, t, _: t * _softplus(-z) + (1 - t) * _softplus(z),
    "categorical_cross_entropy": lambda p, t, _: -t * _log(p) - (1 - t) * _log(1 - p),
    "sparse_categorical_cross_entropy": lambda p, t, _: -_log(p if t == 1 else 1 - p),
    "pixel_cross_entropy": lambda p, t, _: -_log(p if t == 1 else 1 - p),
    "softmax_cross_entropy_with_logits": lambda z, t, _: _softplus(-z if t == 1 else z),
    "kl_divergence": lambda q, t, _: (np.where(t > 0, t * np.log(max(t, 1e-300)), 0.0)
                                      + np.where(t < 1, (1 - t) * np.log(max(1 - t, 1e-300)), 0)
                                      - t * _log(q) - (1 - t) * _log(1 - q)),
    "hinge": lambda s, t, _: np.maximum(0, 1 - t * s),
    "contrastive_loss": lambda d, t, m: 0.5 * (t * d**2 + (1 - t) * np.maximum(0, m - d) ** 2),
    "triplet_loss": lambda n, t, m: np.maximum(0, t**2 - n**2 + m),
    "margin_ranking_loss": lambda s, t, m: np.maximum(0, -t * s + m),
}


def assert_loss_drawn(ex, name):
    c, a = ex.controls, ex.artists
    t = c["target"].value
    view = loss_module.VIEWS[name]
    param = c["param"].value if view.param else None
    x, loss, grad = a["loss"].get_xdata(), a["loss"].get_ydata(), a["grad"].get_ydata()
    np.testing.assert_allclose(loss, LOSS_ORACLES[name](x, t, param), rtol=1e-9, atol=1e-12)
    h = 1e-6 * max(1.0, float(np.abs(x).max()))
    fd = (LOSS_ORACLES[name](x + h, t, param) - LOSS_ORACLES[name](x - h, t, param)) / (2 * h)
    close = np.isclose(grad, fd, rtol=1e-4, atol=1e-4)
    assert close.sum() >= len(x) - 3, f"{name}: the gradient is not the loss's slope " \
        f"at x = {x[~close][:5]}"  # up to 3 kinks (hinge, margins, MAE) are allowed
    best = int(np.argmin(loss))
    assert a["best"].get_data()[1][0] == loss[best]


def test_loss_explorer_covers_every_loss_of_dlkit_grouped():
    ex = widgets.loss_explorer()
    options = ex.controls["name"].options
    assert {value for _, value in options} == set(losses.LOSSES) == set(LOSS_ORACLES)
    groups = [label.split(":")[0] for label, _ in options]
    assert groups == sorted(groups, key=["regression", "classification", "ranking"].index)


@pytest.mark.parametrize("name", list(LOSS_ORACLES))
def test_loss_explorer_draws_the_loss_and_its_slope(name):
    ex = widgets.loss_explorer()
    c = ex.controls
    c["name"].value = name
    view = loss_module.VIEWS[name]
    assert c["target"].description == view.target[0]
    assert (c["param"].layout.display is None) == (view.param is not None)
    assert_loss_drawn(ex, name)
    for target in (c["target"].min, c["target"].max, view.target[1]):  # the extremes too
        before = png(ex)
        c["target"].value = target
        assert_loss_drawn(ex, name)
        assert f"{c['target'].description} = {c['target'].value:g}" in \
            ex.figure.axes[0].get_title()
    if view.param is not None:
        assert c["param"].description == view.param[0]
        for value in (c["param"].min, c["param"].max, 0.7):
            before = png(ex)
            c["param"].value = value
            assert_loss_drawn(ex, name)
            assert png(ex) != before


def test_loss_explorer_regression_follows_the_target():
    ex = widgets.loss_explorer()
    c, a = ex.controls, ex.artists
    c["target"].value = 1.0
    x = a["loss"].get_xdata()
    assert (x[0], x[-1]) == pytest.approx((-2.0, 4.0))  # target +- 3
    assert a["target"].get_xdata()[0] == 1.0 and a["target"].get_visible()
    assert "at prediction ŷ = <b>1.000</b>" in ex.readout.value
    c["name"].value = "hinge"  # the target slider offers -1 and +1 only, no target line
    assert (c["target"].min, c["target"].max, c["target"].value) == (-1.0, 1.0, 1.0)
    assert not a["target"].get_visible()
    c["name"].value = "mse"
    assert (c["target"].min, c["target"].max) == (-2.0, 2.0)


# ---------------------------------------------------------------- playground
def weights(ex):
    return {k: v.copy() for k, v in ex.trainer.model.params().items()}


def heatmap(ex):
    return np.asarray(ex.artists["heatmap"].get_array()).copy()


def test_playground_learns_xor_and_draws_it():
    ex = widgets.training_playground()
    assert ex.controls["dataset"].value == "xor"
    start_loss, start_map, start_png = ex.state["train_loss"], heatmap(ex), png(ex)
    while ex.trainer.steps < 200:
        ex.controls["step"].click()  # one epoch: 140 training points in batches of 10
    assert ex.trainer.epochs == ex.trainer.steps // 14
    assert ex.state["train_loss"] < 0.5 * start_loss
    assert not np.allclose(heatmap(ex), start_map)
    np.testing.assert_allclose(heatmap(ex).ravel(), ex.trainer.probability(ex.data["grid"]))
    assert png(ex) != start_png
    steps, train = ex.artists["train_loss"].get_data()
    assert list(steps) == ex.history["steps"] and train[-1] == ex.state["train_loss"]
    assert ex.artists["test_loss"].get_ydata()[-1] == ex.state["test_loss"]
    assert f"step <b>{ex.trainer.steps}</b>" in ex.readout.value
    assert ex.figure.axes[0].get_title() == f"epoch {ex.trainer.epochs}, step {ex.trainer.steps}"


def test_playground_reset_restores_weights_and_counters():
    ex = widgets.training_playground()
    initial, start_map = weights(ex), heatmap(ex)
    for _ in range(3):
        ex.train_frame()
    assert ex.trainer.steps == 3 * playground_module.STEPS_PER_FRAME
    ex.controls["reset"].click()
    assert ex.trainer.steps == ex.trainer.epochs == 0
    assert ex.history["steps"] == [0] and len(ex.artists["train_loss"].get_xdata()) == 1
    for k, w in weights(ex).items():
        np.testing.assert_array_equal(w, initial[k])
    np.testing.assert_array_equal(heatmap(ex), start_map)


def test_playground_data_controls_change_the_points():
    ex = widgets.training_playground()
    c, a = ex.controls, ex.artists

    def drawn():
        return a["train_points"].get_offsets(), a["test_points"].get_offsets()

    for key, value in [("dataset", "circles"), ("dataset", "gaussian"), ("dataset", "spiral"),
                       ("noise", 0.0), ("noise", 0.5), ("test_share", 0.5),
                       ("test_share", 0.9), ("test_share", 0.1), ("dataset", "xor")]:
        before = [p.copy() for p in drawn()]
        ex.train_frame()
        c[key].value = value
        train, test = drawn()
        n_test = round(c["test_share"].value * 200)
        assert (len(train), len(test)) == (200 - n_test, n_test)
        assert len(before[0]) != len(train) or not np.allclose(before[0], train)
        X, y = playground_module.make_dataset(c["dataset"].value, c["noise"].value)
        np.testing.assert_array_equal(np.sort(np.vstack([train, test]), axis=0),
                                      np.sort(X, axis=0))
        assert set(np.asarray(a["test_points"].get_array())) <= {0.0, 1.0}
        assert ex.trainer.steps == 0, "new data, new network"
        assert c["batch_size"].max == 200 - n_test
    assert a["train_points"].get_paths()[0] is not a["test_points"].get_paths()[0]


def test_playground_gaussian_is_two_blobs():
    X, y = playground_module.make_dataset("gaussian", 0.0)
    np.testing.assert_array_equal(X, data.blobs(200, centers=2, std=0.4)[0])
    assert set(y) == {0, 1}
    with pytest.raises(ValueError, match="unknown dataset"):
        playground_module.make_dataset("moons")


def test_playground_network_and_training_controls():
    ex = widgets.training_playground()
    c = ex.controls
    c["layers"].value = 3
    c["neurons"].value = 5
    c["activation"].value = "relu"
    model = ex.trainer.model
    assert [(layer.n_in, layer.n_out) for layer in model] == [(2, 5), (5, 5), (5, 5), (5, 1)]
    assert [layer.activation.name for layer in model] == ["relu"] * 3 + ["linear"]
    c["layers"].value = 0  # logistic regression: a straight boundary only
    assert len(ex.trainer.model) == 1
    c["lr"].value = 1.0
    assert ex.trainer.optimizer.lr == 1.0
    c["batch_size"].value = 140
    ex.controls["step"].click()
    assert (ex.trainer.steps, ex.trainer.epochs) == (1, 1)
    c["batch_size"].value = 1
    ex.controls["step"].click()
    assert (ex.trainer.steps, ex.trainer.epochs) == (141, 2)
    for name in activations.ACTIVATIONS:
        c["activation"].value = name
        ex.train_frame()
    c["lr"].value = c["lr"].max
    c["layers"].value, c["neurons"].value = c["layers"].max, c["neurons"].max
    c["noise"].value = c["noise"].max
    for _ in range(5):
        ex.train_frame()
    assert np.isfinite(ex.state["train_loss"])


def in_a_fresh_thread(fn):
    """Run ``fn()`` in a new thread and re-raise what it raised.

    A thread starts with no event loop, whatever the test process runs on
    its main thread (Playwright's sync API, from the browser tests sharing
    this pytest worker, keeps one running there).
    """
    failure = []

    def target():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), f"{fn.__name__} did not finish within 60 s"
    if failure:
        raise failure[0]


def test_playground_trains_in_the_background_and_pauses():
    async def scenario():
        ex = widgets.training_playground()
        ex.controls["play"].value = True
        assert ex.task is not None and ex.controls["play"].description == "⏸ Pause"
        await asyncio.sleep(0.5)
        assert ex.trainer.steps >= playground_module.STEPS_PER_FRAME
        ex.controls["play"].value = False
        await asyncio.sleep(0)
        assert ex.task is None
        stopped = ex.trainer.steps
        await asyncio.sleep(0.2)
        assert ex.trainer.steps == stopped, "pause stops training"
        ex.controls["play"].value = True
        await asyncio.sleep(0.2)
        task = ex.task
        ex.close()  # closing the widget stops the task too
        await asyncio.sleep(0.05)
        assert task.cancelled() and ex.task is None
        stopped = ex.trainer.steps
        await asyncio.sleep(0.2)
        assert ex.trainer.steps == stopped

    in_a_fresh_thread(lambda: asyncio.run(scenario()))


def test_playground_without_an_event_loop_explains_itself():
    def scenario():
        ex = widgets.training_playground()
        ex.controls["play"].value = True
        assert ex.controls["play"].value is False and ex.task is None
        assert "event loop" in ex.readout.value

    in_a_fresh_thread(scenario)


# ---------------------------------------------------------------- backprop stepper
#: The worked example's first iteration, as the lecture's exact values (10 decimals).
EXACT = {"y3": "0.5523079096", "y4": "0.5781052329", "y5": "0.6650736395",
         "error": "-0.1650736395", "delta5": "-0.0367702677", "delta3": "-0.0027275877",
         "delta4": "-0.0080714273", "w13_new": "0.2796914903", "w23_new": "0.8787429158"}


def labels(ex):
    return {k: t.get_text() for k, t in ex.artists.items()}


def test_stepper_shows_the_exact_worked_example_phase_by_phase():
    ex = widgets.backprop_stepper()
    step = worked_example.one_step()
    assert {k: f"{step[k]:.10f}" for k in EXACT} == EXACT  # the oracle agrees with the brief
    t = labels(ex)
    assert (ex.state["iteration"], ex.state["phase"]) == (1, "forward")
    assert EXACT["y3"] in t["h1"] and EXACT["y4"] in t["h2"] and EXACT["y5"] in t["out"]
    assert t["w23"] == "w23 = 0.9" and t["error"] == ""
    assert ex.controls["previous"].disabled

    ex.controls["next"].click()
    t = labels(ex)
    assert ex.state["phase"] == "error" and EXACT["error"] in t["error"]
    assert f"= <b>{EXACT['error']}</b>" in ex.readout.value

    ex.controls["next"].click()
    t = labels(ex)
    assert ex.state["phase"] == "deltas"
    assert (EXACT["delta5"] in t["out"] and EXACT["delta3"] in t["h1"]
            and EXACT["delta4"] in t["h2"])

    ex.controls["next"].click()
    t = labels(ex)
    assert ex.state["phase"] == "updates"
    for w in ("w11", "w21", "w12", "w22", "w13", "w23"):
        assert f"Δ{w} = {step['d' + w]:.10f}" in t[w]
        assert f"{w} = {step[w + '_new']:.10f}" in t[w]
    assert EXACT["w13_new"] in t["w13"] and EXACT["w23_new"] in t["w23"]
    assert ex.figure.axes[0].get_title() == "iteration 1, phase 4/4: updates"


def test_stepper_next_and_previous_are_inverses_and_count_iterations():
    ex = widgets.backprop_stepper()
    net = worked_example.lecture_network()
    expected = [worked_example.one_step(net) for _ in range(3)]
    seen = []
    for k in range(12):
        seen.append((labels(ex), ex.readout.value, png(ex)))
        assert ex.state["iteration"] == k // 4 + 1
        assert ex.state["step"] == expected[k // 4]
        assert f"iteration {k // 4 + 1}" in ex.readout.value
        ex.controls["next"].click()
    assert ex.state["iteration"] == 4
    assert f"{worked_example.one_step(net)['y5']:.10f}" in labels(ex)["out"]
    ex.controls["previous"].click()
    for k in reversed(range(12)):
        assert (labels(ex), ex.readout.value, png(ex)) == seen[k]
        ex.controls["previous"].click()
    assert ex.state["iteration"] == 1 and ex.state["phase"] == "forward"  # stays at the start
    for _ in range(6):
        ex.controls["next"].click()
    ex.controls["reset"].click()
    assert (labels(ex), ex.readout.value) == seen[0][:2]


def test_stepper_phase_texts_name_every_phase():
    step = worked_example.one_step()
    for phase in stepper_module.PHASES:
        assert stepper_module.phase_text(step, phase)
        assert set(stepper_module.node_labels(step, phase)) == {"x1", "x2", "h1", "h2", "out"}


# ---------------------------------------------------------------- neuron
def test_neuron_explorer_follows_its_controls():
    ex = widgets.neuron_explorer()
    c = ex.controls
    for key, value in [("w1", 0.5), ("w2", 2.0), ("b", -1.0), ("x1", 1.0), ("x2", 0.5)]:
        c[key].value = value
    c["name"].value = "tanh"
    z = 0.5 * 1.0 + 2.0 * 0.5 - 1.0
    assert f"= <b>{z:.4f}</b>" in ex.readout.value
    assert f"tanh(z) = <b>{np.tanh(z):.4f}</b>" in ex.readout.value
    np.testing.assert_allclose(ex.artists["heatmap"].get_array(), ex.state["a"])
    g = ex.state["grid"]
    np.testing.assert_allclose(ex.state["a"], np.tanh(0.5 * g[None, :] + 2.0 * g[:, None] - 1))
    line = ex.artists["line"]
    np.testing.assert_allclose(0.5 * line.get_xdata() + 2.0 * line.get_ydata() - 1.0, 0,
                               atol=1e-12)
    c["w1"].value = c["w2"].value = 0.0  # no decision line, and no warning
    assert ex.artists["line"].get_xdata().size == 0
