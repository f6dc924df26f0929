"""dlkit.gradcheck on functions whose gradients are known in closed form."""

import numpy as np
import pytest

from dlkit.gradcheck import (
    check_loss_gradient,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)


def test_numerical_gradient_of_a_quadratic_is_exact_to_rounding():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    # f(x) = x^T A x has gradient (A + A^T) x
    num = numerical_gradient(lambda v: v @ A @ v, x)
    assert relative_error(num, (A + A.T) @ x) < 1e-9


def test_numerical_gradient_restores_its_input_and_accepts_lists():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()
    g = numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-9)
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(v**2)), [1.0, -2.0]),
                               [2.0, -4.0], rtol=1e-9)


def test_numerical_gradient_array_is_the_vector_jacobian_product():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((3, 2))
    X = rng.standard_normal((5, 3))
    dA = rng.standard_normal((5, 2))
    np.testing.assert_allclose(numerical_gradient_array(lambda x: x @ W, X, dA), dA @ W.T,
                               rtol=1e-7)


def test_relative_error_cs231n_definition():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [3.0]) == pytest.approx(0.5)
    assert relative_error([0.0], [1e-12]) == pytest.approx(1e-12 / 1e-8)  # floor of 1e-8
    assert relative_error([], []) == 0.0
    with pytest.raises(ValueError, match=r"\(2,\) and \(3,\)"):
        relative_error([1.0, 2.0], [1.0, 2.0, 3.0])


def test_check_loss_gradient_tells_right_from_wrong():
    def loss(y, p):
        return 0.5 * float(np.sum((p - y) ** 2))

    y, p = np.zeros(3), np.array([0.3, -1.2, 2.0])
    assert check_loss_gradient(loss, lambda y, p: p - y, y, p) < 1e-8
    assert check_loss_gradient(loss, lambda y, p: 2 * (p - y), y, p) > 0.1
