"""dlkit.perceptron against independent oracles.

Oracles: the layers applied one after another with dlkit.nn.dense_forward
(a stack of linear layers and its collapse must give the same outputs), the
perceptron rule and the lecture's network written out in plain Python floats
with loops and ``math.exp``, the perceptron convergence theorem (Novikoff's
bound on the number of updates), and the truth tables worked by hand.
"""

import math
import warnings

import numpy as np
import pytest

from dlkit import nn
from dlkit import perceptron as P

TABLE = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
AND, OR, XOR, NAND = [0, 0, 0, 1], [0, 1, 1, 1], [0, 1, 1, 0], [1, 1, 1, 0]


def random_layers(rng, widths):
    return [(rng.normal(size=(a, b)), rng.normal(size=b))
            for a, b in zip(widths[:-1], widths[1:], strict=False)]


# ---------------------------------------------------------------- collapse
@pytest.mark.parametrize("D,H,K", [(1, 1, 1), (2, 2, 1), (3, 5, 2), (4, 1, 3), (6, 3, 6)])
def test_collapse_gives_the_two_layers_outputs(D, H, K):
    rng = np.random.default_rng(D * 100 + H * 10 + K)
    (W1, b1), (W2, b2) = random_layers(rng, [D, H, K])
    X = rng.normal(size=(7, D))
    W, b = P.collapse(W1, b1, W2, b2)
    assert W.shape == (D, K) and b.shape == (K,)
    two_layers = nn.dense_forward(nn.dense_forward(X, W1, b1), W2, b2)
    np.testing.assert_allclose(X @ W + b, two_layers, rtol=1e-12, atol=1e-12)


def test_collapse_matches_plain_python_sums():
    rng = np.random.default_rng(5)
    (W1, b1), (W2, b2) = random_layers(rng, [3, 4, 2])
    W, b = P.collapse(W1, b1, W2, b2)
    for i in range(3):
        for k in range(2):
            assert math.isclose(W[i, k], sum(W1[i, j] * W2[j, k] for j in range(4)),
                                rel_tol=1e-12)
    for k in range(2):
        assert math.isclose(b[k], sum(b1[j] * W2[j, k] for j in range(4)) + b2[k],
                            rel_tol=1e-12)


def test_collapse_worked_example_and_integer_lists():
    W, b = P.collapse([[2]], [1], [[3]], [-1])  # y = 3 (2x + 1) - 1 = 6x + 2
    assert W.tolist() == [[6.0]] and b.tolist() == [2.0] and W.dtype == np.float64


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_collapse_all_gives_the_stacks_outputs(depth):
    rng = np.random.default_rng(depth)
    widths = list(rng.integers(1, 6, size=depth + 1))
    layers = random_layers(rng, widths)
    X = rng.normal(size=(5, widths[0]))
    W, b = P.collapse_all(layers)
    Y = X
    for Wl, bl in layers:
        Y = nn.dense_forward(Y, Wl, bl)
    np.testing.assert_allclose(X @ W + b, Y, rtol=1e-10, atol=1e-10)


def test_collapse_all_three_scalar_layers():
    W, b = P.collapse_all([([[2.0]], [1.0]), ([[3.0]], [-1.0]), ([[0.5]], [4.0])])
    assert W.tolist() == [[3.0]] and b.tolist() == [5.0]


def test_collapse_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"W1 \(2, 3\) has 3 outputs but W2 \(2, 1\)"):
        P.collapse(np.ones((2, 3)), np.ones(3), np.ones((2, 1)), np.ones(1))
    with pytest.raises(ValueError, match=r"b1 of shape \(H,\)"):
        P.collapse(np.ones((2, 3)), np.ones(2), np.ones((3, 1)), np.ones(1))
    with pytest.raises(ValueError, match="at least one"):
        P.collapse_all([])


# ---------------------------------------------------------------- the perceptron
def oracle_epoch(X, y, w, b, lr):
    """The rule in plain Python floats, one point at a time."""
    w, b, errors = [float(v) for v in w], float(b), 0
    for x, t in zip(X, y, strict=True):
        z = sum(wi * float(xi) for wi, xi in zip(w, x, strict=True)) + b
        y_hat = 1 if z > 0 else 0
        if y_hat != t:
            w = [wi + lr * (t - y_hat) * float(xi) for wi, xi in zip(w, x, strict=True)]
            b += lr * (t - y_hat)
            errors += 1
    return w, b, errors


def oracle_train(X, y, lr, max_epochs):
    w, b, history = [0.0] * len(X[0]), 0.0, []
    for _ in range(max_epochs):
        w, b, e = oracle_epoch(X, y, w, b, lr)
        history.append(e)
        if e == 0:
            break
    return w, b, history


def test_step_is_zero_on_the_boundary():
    assert P.step(0.0) == 0 and P.step(1e-300) == 1 and P.step(-3) == 0
    z = np.array([[-1.0, 0.0], [2.0, -0.0]])
    np.testing.assert_array_equal(P.step(z), [[0, 0], [1, 0]])
    assert P.step(z).dtype == np.int64


def test_predict_matches_the_step_of_each_row():
    rng = np.random.default_rng(0)
    X, w, b = rng.normal(size=(20, 3)), rng.normal(size=3), 0.3
    expected = [1 if sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b > 0 else 0
                for x in X]
    got = P.perceptron_predict(X, w, b)
    assert got.dtype == np.int64 and got.tolist() == expected


def test_predict_puts_points_on_the_line_in_class_0():
    # x1 + x2 - 1 = 0 passes through (0, 1) and (1, 0)
    assert P.perceptron_predict(TABLE, [1, 1], -1).tolist() == [0, 0, 0, 1]


def test_and_by_hand():
    w, b, e = P.perceptron_epoch(TABLE, AND, [0.0, 0.0], 0.0)
    assert w.tolist() == [1.0, 1.0] and b == 1.0 and e == 1
    w, b, e = P.perceptron_epoch(TABLE, AND, w, b)
    assert w.tolist() == [2.0, 1.0] and b == 0.0 and e == 3


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("lr", [0.1, 1.0, 2.5])
def test_epoch_matches_plain_python(seed, lr):
    rng = np.random.default_rng(seed)
    N, D = int(rng.integers(1, 12)), int(rng.integers(1, 5))
    X, y = rng.normal(size=(N, D)), rng.integers(0, 2, size=N)
    w0, b0 = rng.normal(size=D), float(rng.normal())
    w, b, e = P.perceptron_epoch(X, y, w0, b0, lr)
    ow, ob, oe = oracle_epoch(X.tolist(), y.tolist(), w0.tolist(), b0, lr)
    np.testing.assert_allclose(w, ow, rtol=1e-12, atol=1e-12)
    assert math.isclose(b, ob, rel_tol=1e-12, abs_tol=1e-12) and e == oe


def test_epoch_leaves_its_arguments_alone():
    w0 = np.array([0.5, -0.5])
    P.perceptron_epoch(TABLE, XOR, w0, 0.0)
    assert w0.tolist() == [0.5, -0.5]


@pytest.mark.parametrize("gate,w,b,errors", [
    (AND, [2.0, 1.0], -2.0, [1, 3, 3, 2, 1, 0]),
    (OR, [1.0, 1.0], 0.0, [1, 2, 1, 0]),
    (NAND, [-2.0, -1.0], 3.0, [2, 3, 3, 2, 1, 0]),
])
def test_separable_gates_converge(gate, w, b, errors):
    got_w, got_b, got_errors = P.perceptron_train(TABLE, gate, lr=1.0, max_epochs=20)
    assert (got_w.tolist(), got_b, got_errors) == (w, b, errors)
    assert oracle_train(TABLE, gate, 1.0, 20) == (w, b, errors)
    assert P.perceptron_predict(TABLE, got_w, got_b).tolist() == gate


def test_xor_never_converges_and_its_weights_cycle():
    w, b, errors = P.perceptron_train(TABLE, XOR, lr=1.0, max_epochs=50)
    assert len(errors) == 50 and min(errors) > 0
    assert errors[:3] == [2, 3, 4] and set(errors[2:]) == {4}
    # from epoch 2 on every epoch starts and ends at w = (-1, 0), b = 1 ...
    assert (w.tolist(), b) == ([-1.0, 0.0], 1.0)
    # ... visiting four states, each point misclassified on its turn
    states, w, b = [], np.array([-1.0, 0.0]), 1.0
    for x, t in zip(TABLE, XOR, strict=True):
        w, b, e = P.perceptron_epoch([x], [t], w, b)
        states.append((w.tolist(), b, e))
    assert states == [([-1.0, 0.0], 0.0, 1), ([-1.0, 1.0], 1.0, 1), ([0.0, 1.0], 2.0, 1),
                      ([-1.0, 0.0], 1.0, 1)]


@pytest.mark.parametrize("seed", range(10))
def test_convergence_theorem_on_separable_data(seed):
    """Novikoff: at most (R / gamma)^2 updates when a margin gamma separates the data."""
    rng = np.random.default_rng(seed)
    D = int(rng.integers(2, 5))
    w_star, b_star = rng.normal(size=D), float(rng.normal())
    X = rng.normal(size=(200, D))
    margin = (X @ w_star + b_star) / np.linalg.norm(np.append(w_star, b_star))
    X, margin = X[np.abs(margin) > 0.1][:40], margin[np.abs(margin) > 0.1][:40]
    y = (margin > 0).astype(int)
    R2 = float(np.max(np.sum(X ** 2, axis=1) + 1.0))  # inputs with a constant 1 for b
    bound = R2 / float(np.min(np.abs(margin))) ** 2
    lr = float(rng.choice([0.1, 1.0, 3.0]))
    w, b, errors = P.perceptron_train(X, y, lr=lr, max_epochs=10_000)
    assert errors[-1] == 0 and sum(errors) <= bound
    assert P.perceptron_predict(X, w, b).tolist() == y.tolist()
    ow, ob, oerrors = oracle_train(X.tolist(), y.tolist(), lr, 10_000)
    assert oerrors == errors
    np.testing.assert_allclose(w, ow, rtol=1e-9, atol=1e-9)


def test_perceptron_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"expected X of shape \(N, D\), got \(4,\)"):
        P.perceptron_predict([0.0, 1.0, 2.0, 3.0], [1.0], 0.0)
    with pytest.raises(ValueError, match=r"expected w of shape \(2,\)"):
        P.perceptron_predict(TABLE, [1.0, 1.0, 1.0], 0.0)
    with pytest.raises(ValueError, match=r"expected y of shape \(4,\)"):
        P.perceptron_epoch(TABLE, [0, 1], [0.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        P.perceptron_train(TABLE, [-1, 1, 1, -1])
    with pytest.raises(ValueError, match="max_epochs"):
        P.perceptron_train(TABLE, AND, max_epochs=0)


# ---------------------------------------------------------------- the lecture's network
def oracle_output(i1, i2, w, b):
    """The slide's formulas, with the output bias called b3."""
    w1, w2, w3, w4, w5, w6 = w
    b1, b2, b3 = b
    h1 = i1 * w1 + i2 * w3 + b1
    h2 = i1 * w2 + i2 * w4 + b2
    z = h1 * w5 + h2 * w6 + b3
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def test_lecture_output_worked_example():
    w, b = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3]
    # h1 = 0.1 + 0.6 + 0.1 = 0.8, h2 = 0.2 + 0.8 + 0.2 = 1.2, z = 0.4 + 0.72 + 0.3 = 1.42
    assert math.isclose(P.lecture_output(1.0, 2.0, w, b), 1 / (1 + math.exp(-1.42)),
                        rel_tol=1e-14)
    assert P.lecture_line(w, b) == pytest.approx((0.17, 0.39, 0.47), rel=1e-14)


@pytest.mark.parametrize("seed", range(6))
def test_lecture_output_matches_plain_python_and_dlkit_layers(seed):
    rng = np.random.default_rng(seed)
    w, b = rng.normal(0, 2, size=6), rng.normal(0, 2, size=3)
    i1, i2 = rng.normal(0, 3, size=(3, 4)), rng.normal(0, 3, size=(3, 4))
    got = P.lecture_output(i1, i2, w, b)
    assert got.shape == (3, 4)
    expected = [[oracle_output(a, c, w, b) for a, c in zip(r1, r2, strict=True)]
                for r1, r2 in zip(i1, i2, strict=True)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    hidden, output = nn.Dense(2, 2), nn.Dense(2, 1, "sigmoid")
    hidden.W[:], hidden.b[:] = [[w[0], w[1]], [w[2], w[3]]], b[:2]
    output.W[:], output.b[:] = [[w[4]], [w[5]]], b[2:]
    layers = nn.Sequential(hidden, output).forward(np.column_stack([i1.ravel(), i2.ravel()]))
    np.testing.assert_allclose(got.ravel(), layers[:, 0], rtol=1e-12)


def test_lecture_output_is_silent_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = P.lecture_output(np.array([-1000.0, 1000.0]), np.array([1000.0, -1000.0]),
                             [1, -2, 3, -4, 5, -6], [0, 0, 0])
    assert np.all(np.isfinite(y)) and np.all((y >= 0) & (y <= 1))


@pytest.mark.parametrize("seed", range(6))
def test_lecture_line_is_the_outputs_boundary(seed):
    rng = np.random.default_rng(seed)
    w, b = rng.normal(size=6), rng.normal(size=3)
    c1, c2, c0 = P.lecture_line(w, b)
    for i1, i2 in rng.normal(0, 2, size=(50, 2)):
        z = c1 * i1 + c2 * i2 + c0
        o = oracle_output(i1, i2, w, b)
        assert math.isclose(math.log(o / (1 - o)), z, rel_tol=1e-9, abs_tol=1e-9)
        assert (z > 0) == (P.lecture_output(i1, i2, w, b) > 0.5)


def test_the_lecture_network_cannot_solve_xor():
    rng = np.random.default_rng(0)
    X = np.array(TABLE)
    best = max(np.mean((P.lecture_output(X[:, 0], X[:, 1], w, b) > 0.5) == np.array(XOR))
               for w, b in zip(rng.normal(0, 3, size=(3000, 6)), rng.normal(0, 3, size=(3000, 3)),
                               strict=True))
    assert best == 0.75


def test_lecture_network_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"w = \(w1, ..., w6\) of shape \(6,\)"):
        P.lecture_output(0.0, 0.0, [1, 2, 3], [0, 0, 0])
    with pytest.raises(ValueError, match=r"b = \(b1, b2, b3\)"):
        P.lecture_line([1, 2, 3, 4, 5, 6], [0, 0])
