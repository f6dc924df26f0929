"""dlkit.nn: gradients by numerical check, init scales, SGD by hand, training, errors."""

import warnings

import numpy as np
import pytest

from dlkit import activations, nn
from dlkit.gradcheck import check_layer_gradients

ACTIVATIONS = sorted(activations.ACTIVATIONS)
HE = {"relu", "leaky_relu", "elu", "softplus"}


def half_mse(y_true, y_pred):
    return 0.5 * np.mean((y_pred - y_true) ** 2)


def half_mse_grad(y_true, y_pred):
    return (y_pred - y_true) / y_pred.size


def xor_points():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0])


def noisy_xor(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    X = X + 0.15 * np.sign(X)  # a gap around the axes keeps the classes separable
    return X, (X[:, 0] * X[:, 1] < 0).astype(int)


def pre_activations(model, X):
    """Every Dense layer's Z for input X (runs a forward pass)."""
    model.forward(X)
    layers = model.layers if isinstance(model, nn.Sequential) else [model]
    return [layer.Z for layer in layers]


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_dense_gradients(act):
    rng = np.random.default_rng(1)
    layer = nn.Dense(3, 4, act, rng=2)
    layer.b[:] = rng.standard_normal(4)
    X = rng.standard_normal((5, 3))
    assert np.min(np.abs(pre_activations(layer, X)[0])) > 1e-3  # away from kinks
    errors = check_layer_gradients(layer, X)
    assert set(errors) == {"X", "W", "b"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_mlp_gradients(act):
    rng = np.random.default_rng(3)
    model = nn.MLP([3, 5, 4, 2], activation=act, rng=4)
    for layer in model:
        layer.b[:] = 0.1 * rng.standard_normal(layer.n_out)
    X = rng.standard_normal((6, 3))
    assert min(np.min(np.abs(z)) for z in pre_activations(model, X)) > 1e-3
    errors = check_layer_gradients(model, X)
    assert set(errors) == {"X", "0.W", "0.b", "1.W", "1.b", "2.W", "2.b"}
    assert max(errors.values()) < 1e-7, errors


def test_dense_without_bias_gradients_and_params():
    layer = nn.Dense(3, 2, "sigmoid", bias=False)
    assert set(layer.params()) == {"W"}
    X = np.random.default_rng(0).standard_normal((4, 3))
    errors = check_layer_gradients(layer, X)
    assert set(errors) == {"X", "W"} and max(errors.values()) < 1e-7
    assert layer.db is None and set(layer.grads()) == {"W"}
    layer.b[:] = 5.0  # not a parameter: never added
    np.testing.assert_allclose(layer.forward(X), activations.sigmoid(X @ layer.W))


def test_backward_formulas_by_hand():
    layer = nn.Dense(2, 2, "relu")
    layer.W[...] = [[1.0, -1.0], [2.0, 0.5]]
    layer.b[...] = [0.5, -0.25]
    X = np.array([[1.0, 2.0], [-3.0, 1.0]])
    Z = X @ layer.W + layer.b  # [[5.5, -0.25], [-0.5, 3.25]]
    np.testing.assert_array_equal(layer.forward(X), np.maximum(Z, 0))
    dA = np.array([[1.0, 2.0], [3.0, 4.0]])
    dZ = dA * (Z > 0)
    dX = layer.backward(dA)
    np.testing.assert_allclose(dX, dZ @ layer.W.T)
    np.testing.assert_allclose(layer.dW, X.T @ dZ)
    np.testing.assert_allclose(layer.db, dZ.sum(axis=0))
    np.testing.assert_array_equal(layer.dZ, dZ)


# ---------------------------------------------------------------- init
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_init_scale(act):
    n_in, n_out = 800, 400
    W = nn.Dense(n_in, n_out, act, rng=0).W
    expected = 2.0 / n_in if act in HE else 2.0 / (n_in + n_out)
    assert W.shape == (n_in, n_out)
    assert W.var() == pytest.approx(expected, rel=0.03)
    assert abs(W.mean()) < 0.01 * np.sqrt(expected)
    assert nn.init_std(n_in, n_out, act) ** 2 == pytest.approx(expected)


def test_bias_starts_at_zero():
    layer = nn.Dense(3, 5, "relu")
    np.testing.assert_array_equal(layer.b, np.zeros(5))
    assert layer.W.dtype == layer.b.dtype == np.float64


# ---------------------------------------------------------------- determinism
def test_default_rng_is_a_fixed_seed():
    np.testing.assert_array_equal(nn.Dense(4, 3).W, nn.Dense(4, 3).W)
    np.testing.assert_array_equal(nn.Dense(4, 3).W, nn.Dense(4, 3, rng=nn.DEFAULT_SEED).W)
    assert not np.array_equal(nn.Dense(4, 3, rng=1).W, nn.Dense(4, 3, rng=2).W)


def test_generator_is_consumed_so_layers_differ():
    gen = np.random.default_rng(5)
    a, b = nn.Dense(4, 4, rng=gen), nn.Dense(4, 4, rng=gen)
    assert not np.array_equal(a.W, b.W)
    model = nn.MLP([4, 4, 4, 4], rng=5)
    assert not np.array_equal(model[0].W, model[1].W)
    assert not np.array_equal(model[1].W, model[2].W)


def test_mlp_and_fit_are_deterministic():
    X, y = noisy_xor(64)

    def run():
        model = nn.MLP([2, 8, 1], rng=3)
        hist = nn.fit(model, X, y, loss="bce_logits", epochs=20, batch_size=16, rng=4)
        return hist, model.params()

    (h1, p1), (h2, p2) = run(), run()
    assert h1 == h2
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])


# ---------------------------------------------------------------- SGD
class _Toy:
    """A model with one parameter and a gradient we set by hand."""

    def __init__(self):
        self.p = np.array([1.0, -2.0])
        self.g = None

    def params(self):
        return {"p": self.p}

    def grads(self):
        return {"p": self.g}


def test_sgd_momentum_two_steps_by_hand():
    toy = _Toy()
    p = toy.p
    opt = nn.SGD(toy, lr=0.1, momentum=0.9)
    toy.g = np.array([0.5, 1.0])
    opt.step()  # v = -0.1 g = [-0.05, -0.1]; p = [0.95, -2.1]
    np.testing.assert_allclose(toy.p, [0.95, -2.1], rtol=1e-15)
    toy.g = np.array([-1.0, 2.0])
    opt.step()  # v = 0.9 v - 0.1 g = [0.055, -0.29]; p = [1.005, -2.39]
    np.testing.assert_allclose(opt.velocity["p"], [0.055, -0.29], rtol=1e-14)
    np.testing.assert_allclose(toy.p, [1.005, -2.39], rtol=1e-14)
    assert toy.p is p  # updated in place


def test_plain_sgd_updates_layer_in_place():
    layer = nn.Dense(2, 3, "tanh", rng=1)
    W0, b0, W_obj = layer.W.copy(), layer.b.copy(), layer.W
    layer.forward(np.ones((4, 2)))
    layer.backward(np.ones((4, 3)))
    nn.SGD(layer, lr=0.5).step()
    assert layer.W is W_obj
    np.testing.assert_allclose(layer.W, W0 - 0.5 * layer.dW)
    np.testing.assert_allclose(layer.b, b0 - 0.5 * layer.db)


def test_sgd_before_backward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="call backward before step"):
        nn.SGD(nn.Dense(2, 2)).step()


# ---------------------------------------------------------------- training
def test_xor_four_points_bce_logits():
    X, y = xor_points()
    model = nn.MLP([2, 8, 1], activation="tanh", rng=0)
    hist = nn.fit(model, X, y, loss="bce_logits", epochs=500, lr=0.5, momentum=0.9)
    assert nn.accuracy(y, nn.predict_classes(model, X)) == 1.0
    assert hist[-1] < 0.05
    proba = nn.predict_proba(model, X)
    assert proba.shape == (4,) and np.all((proba > 0.5) == (y == 1))
    assert nn.predict(model, X).shape == (4, 1)


def test_noisy_xor_cloud_softmax_ce_minibatches():
    X, y = noisy_xor(200, seed=1)
    model = nn.MLP([2, 16, 16, 2], activation="relu", rng=0)
    hist = nn.fit(model, X, y, loss="softmax_ce", epochs=100, lr=0.1, momentum=0.9,
                  batch_size=32, rng=0)
    assert nn.accuracy(y, nn.predict_classes(model, X)) == 1.0
    proba = nn.predict_proba(model, X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert hist[-1] < 0.1 * hist[0]


def test_fit_regression_history_decreases():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(128, 1))
    y = np.sin(X[:, 0])
    model = nn.MLP([1, 32, 32, 1], activation="tanh", rng=1)
    hist = nn.fit(model, X, y, loss="mse", epochs=300, lr=0.05, momentum=0.9)
    assert len(hist) == 300 and all(np.isfinite(hist))
    assert hist[-1] < 0.02 * hist[0]
    # decreasing-ish: each 30-epoch window averages below the one before
    windows = np.asarray(hist).reshape(10, 30).mean(axis=1)
    assert np.all(np.diff(windows) < 0)


def test_fit_accepts_a_loss_pair():
    X, y = xor_points()
    model = nn.MLP([2, 8, 1], activation="tanh", rng=0)
    hist = nn.fit(model, X, y.astype(float), loss=(half_mse, half_mse_grad), epochs=400,
                  lr=0.5, momentum=0.9)
    assert hist[-1] < 0.01 < hist[0]
    assert nn.accuracy(y, (nn.predict(model, X) > 0.5).astype(int)) == 1.0


def test_fit_full_batch_history_is_loss_before_each_update():
    X, y = xor_points()
    model = nn.MLP([2, 3, 1], rng=0)
    before = half_mse(y.reshape(-1, 1), model.forward(X))
    hist = nn.fit(model, X, y, loss=(half_mse, half_mse_grad), epochs=2, lr=0.1)
    assert hist[0] == pytest.approx(before)


def test_fit_verbose_prints(capsys):
    X, y = xor_points()
    nn.fit(nn.MLP([2, 3, 1]), X, y, epochs=20, verbose=True, loss=(half_mse, half_mse_grad))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch  1/20") and lines[-1].startswith("epoch 20/20")


def test_fit_accepts_float32_and_lists():
    X, y = xor_points()
    model = nn.MLP([2, 4, 1])
    hist = nn.fit(model, X.astype(np.float32).tolist(), y.tolist(),
                  loss=(half_mse, half_mse_grad), epochs=3)
    assert len(hist) == 3


# ---------------------------------------------------------------- extremes
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_warning_free_at_extreme_inputs(act):
    model = nn.MLP([2, 8, 3], activation=act, output_activation=act, rng=0)
    X = np.array([[1e3, -1e3], [-1e3, 1e3], [0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = model.forward(X)
        dX = model.backward(np.ones_like(out))
        nn.SGD(model, lr=0.1, momentum=0.9).step()
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dX))


def test_bce_logits_training_warning_free_at_extremes():
    X = np.array([[1e3, 0.0], [-1e3, 0.0]])
    y = np.array([0, 1])  # confidently wrong at the start for some weights
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = nn.fit(nn.MLP([2, 4, 1], rng=0), X, y, loss="bce_logits", epochs=3, lr=1e-3)
    assert all(np.isfinite(hist))


# ---------------------------------------------------------------- containers and reprs
def test_reprs():
    assert repr(nn.Dense(2, 64, "relu")) == "Dense(2 -> 64, relu)"
    assert repr(nn.Dense(2, 1)) == "Dense(2 -> 1, linear)"
    assert repr(nn.Dense(2, 2, "sigmoid", bias=False)) == "Dense(2 -> 2, sigmoid, bias=False)"
    assert repr(nn.MLP([2, 64, 64, 1])) == (
        "Sequential(Dense(2 -> 64, relu), Dense(64 -> 64, relu), Dense(64 -> 1, linear))")
    assert repr(nn.MLP([2, 3, 1], "tanh", "sigmoid")) == (
        "Sequential(Dense(2 -> 3, tanh), Dense(3 -> 1, sigmoid))")
    assert repr(nn.SGD(nn.Dense(1, 1), lr=0.01, momentum=0.9)) == "SGD(lr=0.01, momentum=0.9)"


def test_sequential_container():
    layers = [nn.Dense(2, 3, "relu"), nn.Dense(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 2 and model[0] is layers[0] and model[-1] is layers[1]
    assert list(model) == layers
    assert list(model.params()) == ["0.W", "0.b", "1.W", "1.b"]
    assert model.params()["1.W"] is layers[1].W
    X = np.ones((5, 2))
    np.testing.assert_array_equal(model.predict(X), model.forward(X))
    dX = model.backward(np.ones((5, 1)))
    assert dX.shape == (5, 2)
    assert model.grads()["0.W"] is layers[0].dW
    assert nn.Sequential(layers).layers == layers  # a list works too


def test_accuracy():
    assert nn.accuracy([0, 1, 1, 0], [0, 1, 0, 0]) == 0.75
    assert nn.accuracy(np.array([[1], [0]]), np.array([1, 0])) == 1.0
    with pytest.raises(ValueError, match=r"y_true \(3,\) and y_pred \(2,\)"):
        nn.accuracy([0, 1, 1], [0, 1])


# ---------------------------------------------------------------- errors
def test_wrong_input_shapes_name_the_shapes():
    layer = nn.Dense(2, 4)
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\), got \(2,\)"):
        layer.forward(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\), got \(5, 3\)"):
        layer.forward(np.ones((5, 3)))
    model = nn.MLP([2, 4, 1])
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\), got \(3, 1\)"):
        model.forward(np.ones((3, 1)))
    with pytest.raises(TypeError, match="X must be"):
        layer.forward([["a", "b"]])


def test_backward_errors():
    layer = nn.Dense(2, 4)
    with pytest.raises(RuntimeError, match=r"call forward\(X\) before backward"):
        layer.backward(np.ones((3, 4)))
    layer.forward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"expected dA of shape \(3, 4\).*got \(3, 1\)"):
        layer.backward(np.ones((3, 1)))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_in": 0, "n_out": 2}, ValueError, "n_in must be at least 1, got 0"),
    ({"n_in": 2, "n_out": 2.5}, TypeError, "n_out must be an integer, got float 2.5"),
    ({"n_in": 2, "n_out": 2, "activation": "swish"}, ValueError, "unknown activation 'swish'"),
    ({"n_in": 2, "n_out": 2, "rng": -1}, ValueError, "rng seed must be a non-negative integer"),
])
def test_bad_layer_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.Dense(**kwargs)


def test_layers_and_datasets_share_one_seed_and_one_set_of_argument_checks():
    from dlkit import _arrays, data

    assert nn.DEFAULT_SEED is data.DEFAULT_SEED is _arrays.DEFAULT_SEED
    for make in (lambda rng: nn.Dense(2, 2, rng=rng), lambda rng: data.xor(8, rng=rng)):
        with pytest.raises(ValueError, match="non-negative"):
            make(-3)
        with pytest.raises(TypeError, match="rng must be an int seed"):
            make("seed")
    with pytest.raises(TypeError, match="epochs must be an integer"):
        nn.fit(nn.Dense(2, 1), np.zeros((4, 2)), np.zeros(4), epochs=1.5)
    with pytest.raises(TypeError, match="n must be an integer"):
        data.xor(8.0)


def test_bad_constructor_arguments():
    with pytest.raises(TypeError, match="rng must be an int seed, a numpy.random.Generator"):
        nn.Dense(2, 2, rng="seed")
    with pytest.raises(ValueError, match="at least an input and an output width"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="at least one layer"):
        nn.Sequential()
    with pytest.raises(TypeError, match="layer 1 .* has no forward, backward"):
        nn.Sequential(nn.Dense(2, 2), object())
    with pytest.raises(ValueError, match="lr must be positive"):
        nn.SGD(nn.Dense(1, 1), lr=0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        nn.SGD(nn.Dense(1, 1), momentum=1.0)


def test_fit_errors_name_the_problem():
    X, y = xor_points()
    model = nn.MLP([2, 4, 1])
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        nn.fit(model, X, y, loss="nope")
    with pytest.raises(TypeError, match="loss must be a name"):
        nn.fit(model, X, y, loss=42)
    with pytest.raises(ValueError, match=r"expected y of shape \(4, 1\) or \(N,\).*got \(3,\)"):
        nn.fit(model, X, y[:3], loss="mse")
    with pytest.raises(ValueError, match=r"expected X of shape \(N, D\), got \(2,\)"):
        nn.fit(model, X[0], y, loss="mse")
    two = nn.MLP([2, 4, 2])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        nn.fit(two, X, y + 1, loss="softmax_ce")
    with pytest.raises(ValueError, match=r"softmax_ce expects integer labels y of shape \(4,\)"):
        nn.fit(two, X, y / 2, loss="softmax_ce")
    with pytest.raises(ValueError, match=r"softmax_ce expects integer labels y of shape \(4,\)"):
        nn.fit(two, X, y.reshape(-1, 1), loss="softmax_ce")
    assert len(nn.fit(two, X, y.astype(float), loss="softmax_ce", epochs=2)) == 2
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        nn.fit(model, X, y, epochs=0)
