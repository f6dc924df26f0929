r"""Numerical gradients and the relative error, to check analytic gradients.

The recipe of CS231n: perturb one entry at a time by :math:`\pm\varepsilon`,
take the centred difference

.. math::

    \frac{\partial f}{\partial x_i} \approx
    \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}

(error :math:`O(\varepsilon^2)`), and compare with the analytic gradient by
the relative error. In float64 with ``eps=1e-5`` a correct gradient of a
smooth function gives a relative error below about 1e-7; above 1e-2 it is
almost certainly wrong. Keep inputs away from kinks (ReLU at 0, hinge at the
margin), where the centred difference straddles two slopes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlkit._arrays import as_float

__all__ = [
    "numerical_gradient",
    "numerical_gradient_array",
    "relative_error",
    "check_layer_gradients",
    "check_loss_gradient",
]


def numerical_gradient(f: Callable, x, eps: float = 1e-5) -> np.ndarray:
    r"""Centred-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It is called with ``x`` itself, perturbed in place
        one entry at a time (and restored afterwards), so ``f`` may close over
        the same array, as a layer closes over its weights.
    x : ndarray of shape (...)
        Point at which to differentiate. Must be a float64 array when ``f``
        reads it by reference; a copy is differentiated otherwise.
    eps : float, default 1e-5
        Step size.

    Returns
    -------
    ndarray of shape (...)
        :math:`\partial f / \partial x` evaluated at ``x``.
    """
    x = x if isinstance(x, np.ndarray) and x.dtype == np.float64 else as_float(x).copy()
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    if x.size and not np.shares_memory(flat_x, x):
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place")
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + eps
        f_plus = float(f(x))
        flat_x[i] = old - eps
        f_minus = float(f(x))
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def numerical_gradient_array(f: Callable, x, dA, eps: float = 1e-5) -> np.ndarray:
    r"""Numerical vector-Jacobian product :math:`\sum_k dA_k\,\partial A_k/\partial x`, A = f(x).

    For an array-valued ``f`` (a layer's forward pass), this is the gradient
    of the scalar :math:`\sum f(x) \odot dA`, i.e. exactly what a
    ``backward(dA)`` should return.

    Parameters
    ----------
    f : callable
        ``f(x) -> A``, an ndarray of the shape of ``dA``.
    x : ndarray of shape (...)
    dA : ndarray
        Upstream gradient :math:`\partial L / \partial A`, of the shape of ``f(x)``.
    eps : float, default 1e-5

    Returns
    -------
    ndarray of the shape of ``x``
    """
    dA = as_float(dA, "dA")
    return numerical_gradient(lambda v: np.sum(as_float(f(v)) * dA), x, eps)


def relative_error(a, b) -> float:
    r"""The largest elementwise relative error between two arrays (CS231n).

    .. math:: \max_i \frac{|a_i - b_i|}{\max(10^{-8},\ |a_i| + |b_i|)}

    Parameters
    ----------
    a, b : array_like of the same shape

    Returns
    -------
    float
        0.0 for identical arrays (and for two empty arrays).
    """
    a, b = as_float(a, "a"), as_float(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def check_layer_gradients(layer, X, seed: int = 0, eps: float = 1e-5) -> dict[str, float]:
    """Compare a layer's ``backward`` with numerical gradients.

    The layer needs ``forward(X)`` and ``backward(dA) -> dX``, and exposes
    its parameters and their gradients through ``params()`` and ``grads()``
    (dicts with the same keys, as :class:`dlkit.nn.Dense` does).

    Parameters
    ----------
    layer : object
    X : ndarray of shape (N, D)
    seed : int, default 0
        Seeds the random upstream gradient ``dA``.
    eps : float, default 1e-5

    Returns
    -------
    dict of str to float
        Relative error for ``"X"`` and for every parameter name.
    """
    X = as_float(X, "X").copy()
    out = layer.forward(X)
    dA = np.random.default_rng(seed).standard_normal(np.shape(out))
    dX = layer.backward(dA)
    analytic = {"X": dX, **{k: v.copy() for k, v in layer.grads().items()}}
    errors = {"X": relative_error(dX, numerical_gradient_array(layer.forward, X, dA, eps))}
    for name, param in layer.params().items():
        num = numerical_gradient_array(lambda _p: layer.forward(X), param, dA, eps)
        errors[name] = relative_error(analytic[name], num)
    return errors


def check_loss_gradient(loss: Callable, grad: Callable, *args, eps: float = 1e-5, **kwargs):
    """Compare a loss's analytic gradient with the numerical one.

    Parameters
    ----------
    loss : callable
        ``loss(y_true, *preds, **kwargs) -> float`` (reduced loss).
    grad : callable
        ``grad(y_true, *preds, **kwargs)`` returning one array per prediction
        argument (a tuple when there are several).
    *args
        ``y_true`` followed by the prediction arguments.
    eps : float, default 1e-5
    **kwargs
        Passed to both (``reduction``, ``margin``, ...).

    Returns
    -------
    float
        The largest relative error over all prediction arguments.
    """
    y_true, preds = args[0], [as_float(p).copy() for p in args[1:]]
    analytic = grad(y_true, *preds, **kwargs)
    analytic = analytic if isinstance(analytic, tuple) else (analytic,)
    worst = 0.0
    for i, p in enumerate(preds):
        num = numerical_gradient(lambda _p: loss(y_true, *preds, **kwargs), p, eps)
        worst = max(worst, relative_error(analytic[i], num))
    return worst
