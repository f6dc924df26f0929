"""dlkit.activations against independent oracles.

Oracles: centred finite differences (dlkit.gradcheck.numerical_gradient on
the sum, since each activation is elementwise), closed forms written out with
the math module, identities, and the lecture's own numbers.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlkit import activations as A
from dlkit.gradcheck import numerical_gradient, relative_error

ELEMENTWISE = [
    ("linear", {}), ("sigmoid", {}), ("tanh", {}), ("relu", {}),
    ("leaky_relu", {"alpha": 0.1}), ("elu", {"alpha": 1.3}), ("softplus", {}),
]
EXTREMES = np.array([-1e308, -1000.0, -745.2, -40.0, -1e-300, 0.0, 1e-300, 40.0, 709.8, 1000.0,
                     1e308])

# scalar oracles, written independently of the vectorised code
ORACLES = {
    "linear": (lambda x, **k: x, lambda x, **k: 1.0),
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)),
                lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
    "tanh": (math.tanh, lambda x: 1 / math.cosh(x) ** 2),
    "relu": (lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0),
    "leaky_relu": (lambda x, alpha: x if x > 0 else alpha * x,
                   lambda x, alpha: 1.0 if x > 0 else alpha),
    "elu": (lambda x, alpha: x if x > 0 else alpha * math.expm1(x),
            lambda x, alpha: 1.0 if x > 0 else alpha * math.exp(x)),
    "softplus": (lambda x: math.log1p(math.exp(x)), lambda x: 1 / (1 + math.exp(-x))),
}

finite = st.floats(-30, 30, allow_nan=False)
# finite differences lose their digits where f saturates; the tails are
# covered by the scalar oracles instead
moderate = st.floats(-6, 6, allow_nan=False)
away_from_kink = moderate.filter(lambda v: abs(v) > 1e-3)


def fns(name):
    return getattr(A, name), getattr(A, f"{name}_derivative")


@pytest.mark.parametrize("name,kw", ELEMENTWISE)
@given(x=finite)
def test_matches_scalar_oracle(name, kw, x):
    f, df = fns(name)
    of, odf = ORACLES[name]
    assert math.isclose(f(x, **kw), of(x, **kw), rel_tol=1e-12, abs_tol=1e-300)
    if name in ("relu", "leaky_relu", "elu") and x == 0:
        return
    assert math.isclose(df(x, **kw), odf(x, **kw), rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("name,kw", ELEMENTWISE)
@given(x=arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=away_from_kink))
def test_derivative_matches_finite_differences(name, kw, x):
    f, df = fns(name)
    num = numerical_gradient(lambda v: np.sum(f(v, **kw)), x.copy())
    assert relative_error(df(x, **kw), num) < 1e-5  # a wrong formula gives O(1)


@pytest.mark.parametrize("name,kw", ELEMENTWISE)
def test_extreme_inputs_are_silent_finite_and_float64(name, kw):
    f, df = fns(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, dy = f(EXTREMES, **kw), df(EXTREMES, **kw)
    assert y.dtype == dy.dtype == np.float64
    assert np.all(np.isfinite(dy))
    assert np.all(np.isfinite(y[1:-1]))  # +-1e308 are allowed to map to +-1e308 itself


@pytest.mark.parametrize("name,kw", ELEMENTWISE)
@pytest.mark.parametrize("x", [0.5, 3, np.float32(2.0), np.int64(-4), True])
def test_scalars_in_float64_scalar_out(name, kw, x):
    f, df = fns(name)
    for value in (f(x, **kw), df(x, **kw)):
        assert isinstance(value, np.float64)


@pytest.mark.parametrize("name,kw", ELEMENTWISE)
def test_shape_preserved_and_input_untouched(name, kw):
    f, df = fns(name)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    before = x.copy()
    assert f(x, **kw).shape == df(x, **kw).shape == (2, 3, 4)
    assert f(x, **kw).dtype == np.float64
    np.testing.assert_array_equal(x, before)
    y = f(before.astype(np.float64), **kw)
    assert y is not before  # linear returns a copy, never the caller's array


@pytest.mark.parametrize("bad", ["1.0", None, [1, "a"], 1 + 2j, {"x": 1}])
def test_non_numeric_input_is_refused_clearly(bad):
    with pytest.raises(TypeError, match="number"):
        A.sigmoid(bad)


@given(x=finite)
def test_sigmoid_identities(x):
    assert math.isclose(A.sigmoid(-x), 1 - A.sigmoid(x), abs_tol=1e-15)
    assert math.isclose(A.tanh(x), 2 * A.sigmoid(2 * x) - 1, abs_tol=1e-14)
    assert math.isclose(A.softplus_derivative(x), A.sigmoid(x), rel_tol=1e-15)


def test_sigmoid_tails_are_exact():
    # 1 - sigma(x) rounds to 0 for x > 37; the derivative must not.
    assert A.sigmoid_derivative(50.0) == pytest.approx(math.exp(-50.0), rel=1e-12)
    assert A.tanh_derivative(30.0) == pytest.approx(4 * math.exp(-60.0), rel=1e-12)
    assert A.sigmoid(-1000.0) == 0.0 and A.sigmoid(1000.0) == 1.0
    assert A.softplus(-800.0) == 0.0 and A.softplus(1000.0) == 1000.0


def test_lecture_values():
    # "tanh(-2) ~ -0.96", "tanh(+2) ~ +0.96", "tanh(0) = 0"
    assert round(float(A.tanh(2.0)), 2) == 0.96 and A.tanh(0.0) == 0.0
    assert A.tanh(-2.0) == -A.tanh(2.0)
    # "input -10 -> ~0, +10 -> ~1"
    assert A.sigmoid(-10.0) < 1e-4 and A.sigmoid(10.0) > 1 - 1e-4
    # ReLU derivative "either 1 (positive) or 0 (negative)"
    np.testing.assert_array_equal(A.relu_derivative([-2.0, 0.0, 3.0]), [0.0, 0.0, 1.0])


def test_softmax_of_lecture_scores():
    # The slide prints [0.65, 0.24, 0.11]; exactly it is [0.6590, 0.2424, 0.0986].
    e = [math.exp(v) for v in (2.0, 1.0, 0.1)]
    expected = [v / sum(e) for v in e]
    np.testing.assert_allclose(A.softmax([2.0, 1.0, 0.1]), expected, rtol=1e-14)
    assert np.round(A.softmax([2.0, 1.0, 0.1]), 2).tolist() == [0.66, 0.24, 0.10]


@given(z=arrays(np.float64, (3, 5), elements=st.floats(-1e3, 1e3)),
       c=st.floats(-500, 500))
def test_softmax_rows_sum_to_one_and_shift_invariant(z, c):
    s = A.softmax(z)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(s >= 0)
    np.testing.assert_allclose(A.softmax(z + c), s, atol=1e-12)


def test_softmax_axis_and_extremes():
    z = np.array([[1000.0, -1000.0], [0.0, 0.0], [-1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = A.softmax(z)
    np.testing.assert_allclose(s, [[1, 0], [0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(A.softmax(z.T, axis=0), s.T)
    with pytest.raises(ValueError, match="scalar"):
        A.softmax(3.0)


@given(z=arrays(np.float64, (2, 4), elements=st.floats(-10, 10)))
def test_softmax_jacobian_and_vjp_match_finite_differences(z):
    J = A.softmax_jacobian(z)
    assert J.shape == (2, 4, 4)
    for k in range(4):
        num = numerical_gradient(lambda v, k=k: np.sum(A.softmax(v)[:, k]), z.copy())
        # row k of each sample's Jacobian is d s_k / d z
        np.testing.assert_allclose(J[:, k, :], num, atol=1e-8)
    np.testing.assert_allclose(J, np.swapaxes(J, -1, -2), atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=-1), 0.0, atol=1e-15)
    v = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(A.softmax_vjp(z, v), np.einsum("ni,nij->nj", v, J), atol=1e-12)


def test_registry():
    assert set(A.ACTIVATIONS) == {n for n, _ in ELEMENTWISE}
    assert A.get(None).name == "linear"
    assert A.get("relu").fn is A.relu and A.get("relu").derivative is A.relu_derivative
    with pytest.raises(ValueError, match="choose one of"):
        A.get("swish")


# ---------------------------------------------------------------- the records
@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
def test_each_record_holds_all_there_is_to_know_about_its_activation(name):
    import inspect

    act = A.ACTIVATIONS[name]
    assert act.name == name and act.init in ("he", "xavier")
    for fn in (act.fn, act.derivative):
        params = inspect.signature(fn).parameters
        if act.parameter is None:
            assert list(params) == ["x"], f"{fn.__name__} takes a parameter its record lacks"
        else:
            p = act.parameter
            assert params[p.name].default == p.default, f"{fn.__name__}'s default differs"
            assert p.low <= p.default <= p.high and 0 < p.step <= p.high - p.low
    if act.parameter is not None:   # the record's kwargs reach the pair
        x = np.array([-2.0, 3.0])
        np.testing.assert_allclose(act.fn(x, **act.kwargs(0.5)), act.fn(x, alpha=0.5))
    assert act.kwargs(None) == {}


def test_every_activation_in_the_registry_has_its_oracle_here():
    """Adding an activation means adding its oracle above: the tests then cover it."""
    assert set(ORACLES) == set(A.ACTIVATIONS) == {name for name, _ in ELEMENTWISE}
