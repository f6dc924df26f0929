"""dlkit.nn's functional forms: neuron, dense_forward, dense_backward."""

import math

import numpy as np
import pytest

from dlkit import nn
from dlkit.activations import sigmoid
from dlkit.gradcheck import numerical_gradient_array, relative_error


def test_neuron_is_the_lecture_h1():
    assert nn.neuron([0.35, 0.7], [0.2, 0.2], 0.0) == pytest.approx(0.21, abs=1e-15)
    assert nn.neuron([0.35, 0.7], [0.2, 0.2], 0.0, sigmoid) == pytest.approx(
        1 / (1 + math.exp(-0.21)), rel=1e-15)
    assert nn.neuron([1, 2], [0.5, -1], 0.5, "relu") == 0.0
    assert isinstance(nn.neuron([1.0], [2.0], 3.0), np.float64)


def test_neuron_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"x \(3,\) and w \(2,\)"):
        nn.neuron([1.0, 2.0, 3.0], [1.0, 2.0], 0.0)


def test_dense_forward_agrees_with_a_loop_and_with_dense():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    loop = np.array([[sum(X[n, i] * W[i, j] for i in range(3)) + b[j] for j in range(4)]
                     for n in range(5)])
    np.testing.assert_allclose(nn.dense_forward(X, W, b), loop, rtol=1e-13)
    layer = nn.Dense(3, 4)
    layer.W[...], layer.b[...] = W, b
    np.testing.assert_allclose(layer.forward(X), nn.dense_forward(X, W, b), rtol=1e-15)
    with pytest.raises(ValueError, match=r"W \(3, 4\) and b \(3,\)"):
        nn.dense_forward(X, W, b[:3])


def test_dense_backward_matches_finite_differences_and_dense():
    rng = np.random.default_rng(1)
    X, W, b = rng.normal(size=(6, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    dZ = rng.normal(size=(6, 2))
    dX, dW, db = nn.dense_backward(dZ, X, W)
    assert relative_error(dX, numerical_gradient_array(lambda x: nn.dense_forward(x, W, b),
                                                       X.copy(), dZ)) < 1e-8
    assert relative_error(dW, numerical_gradient_array(lambda w: nn.dense_forward(X, w, b),
                                                       W.copy(), dZ)) < 1e-8
    assert relative_error(db, numerical_gradient_array(lambda v: nn.dense_forward(X, W, v),
                                                       b.copy(), dZ)) < 1e-8
    layer = nn.Dense(3, 2)
    layer.W[...], layer.b[...] = W, b
    layer.forward(X)
    np.testing.assert_allclose(layer.backward(dZ), dX, rtol=1e-15)
    np.testing.assert_allclose(layer.dW, dW, rtol=1e-15)
    np.testing.assert_allclose(layer.db, db, rtol=1e-15)
