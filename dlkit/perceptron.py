r"""Models whose decision boundary is a straight line.

Three of them, the references for Assignment 3 ("why non-linearity"):

- **stacked linear layers**: layers without activations compose into one
  layer, :func:`collapse` and :func:`collapse_all`;
- **Rosenblatt's perceptron**: one layer with a step activation, trained by
  the perceptron rule, :func:`perceptron_predict`, :func:`perceptron_epoch`
  and :func:`perceptron_train`;
- **the lecture's 2-2-1 network** with linear hidden units and a sigmoid only
  at the output, :func:`lecture_output`, whose boundary :func:`lecture_line`
  is a line.

None of them can separate XOR. Labels are ``0`` and ``1`` throughout, the
convention of :mod:`dlkit.data`; the step is :math:`H(z) = 1` for
:math:`z > 0` and ``0`` otherwise (a point exactly on the line is class 0).

Everything is deterministic: the perceptron starts from zero weights and
visits the points in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlkit._arrays import as_float, out
from dlkit.activations import sigmoid

__all__ = [
    "collapse", "collapse_all",
    "step", "perceptron_predict", "perceptron_epoch", "perceptron_train",
    "lecture_output", "lecture_line",
]


# ---------------------------------------------------------------- stacked linear layers
def _layer(W, b, where: str) -> tuple[np.ndarray, np.ndarray]:
    W, b = as_float(W, f"W{where}"), as_float(b, f"b{where}")
    if W.ndim != 2 or b.shape != (W.shape[1],):
        raise ValueError(f"expected W{where} of shape (D, H) and b{where} of shape (H,), "
                         f"got W{where} {W.shape} and b{where} {b.shape}")
    return W, b


def collapse(W1, b1, W2, b2):
    r"""The one linear layer that computes what two stacked linear layers compute.

    Two layers without activation, :math:`Y = (X W_1 + b_1) W_2 + b_2`, equal
    the single layer :math:`Y = X W + b` with

    .. math:: W = W_1 W_2, \qquad b = b_1 W_2 + b_2 .

    Parameters
    ----------
    W1 : array_like of shape (D, H)
    b1 : array_like of shape (H,)
        The first layer.
    W2 : array_like of shape (H, K)
    b2 : array_like of shape (K,)
        The second layer.

    Returns
    -------
    W : ndarray of shape (D, K)
    b : ndarray of shape (K,)

    Examples
    --------
    >>> W, b = collapse([[2.0]], [1.0], [[3.0]], [-1.0])
    >>> W.tolist(), b.tolist()
    ([[6.0]], [2.0])
    """
    W1, b1 = _layer(W1, b1, "1")
    W2, b2 = _layer(W2, b2, "2")
    if W2.shape[0] != W1.shape[1]:
        raise ValueError(f"W1 {W1.shape} has {W1.shape[1]} outputs but W2 {W2.shape} expects "
                         f"{W2.shape[0]} inputs")
    return W1 @ W2, b1 @ W2 + b2


def collapse_all(layers: Sequence[tuple]):
    r"""Collapse any number of stacked linear layers into one.

    Layer by layer from the input: :math:`(W, b) \leftarrow` :func:`collapse`
    :math:`(W, b, W_{l}, b_{l})`, so

    .. math:: W = W_1 W_2 \cdots W_L, \qquad
              b = (\cdots((b_1 W_2 + b_2) W_3 + b_3) \cdots) W_L + b_L .

    Parameters
    ----------
    layers : sequence of (W, b) pairs
        At least one; layer ``l`` has ``W`` of shape (D_l, D_{l+1}) and ``b``
        of shape (D_{l+1},).

    Returns
    -------
    W : ndarray of shape (D_1, D_{L+1})
    b : ndarray of shape (D_{L+1},)
    """
    layers = list(layers)
    if not layers:
        raise ValueError("collapse_all needs at least one (W, b) layer")
    W, b = _layer(*layers[0], "[0]")
    for W_next, b_next in layers[1:]:
        W, b = collapse(W, b, W_next, b_next)
    return W, b


# ---------------------------------------------------------------- the perceptron
def step(z):
    r"""The perceptron's activation, the Heaviside step :math:`H(z) = [z > 0]`.

    Parameters
    ----------
    z : float or array_like of shape (...)

    Returns
    -------
    int64 or ndarray of shape (...), int64
        1 where :math:`z > 0`, 0 where :math:`z \le 0` (0 exactly on the boundary).
    """
    return out((as_float(z, "z") > 0).astype(np.int64))


def _data(X, y=None):
    X = as_float(X, "X")
    if X.ndim != 2:
        raise ValueError(f"expected X of shape (N, D), got {X.shape}")
    if y is None:
        return X
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"expected y of shape ({X.shape[0]},) to match X {X.shape}, "
                         f"got {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("perceptron labels must be 0 or 1")
    return X, y.astype(np.int64)


def _weights(w, b, D: int) -> tuple[np.ndarray, float]:
    w = as_float(w, "w")
    if w.shape != (D,):
        raise ValueError(f"expected w of shape ({D},) for inputs with {D} features, "
                         f"got {w.shape}")
    return w, float(b)


def perceptron_predict(X, w, b):
    r"""Class of every point: :math:`\hat y_n = H(\mathbf{x}_n \cdot \mathbf{w} + b)`.

    Parameters
    ----------
    X : array_like of shape (N, D)
    w : array_like of shape (D,)
    b : float

    Returns
    -------
    y_hat : ndarray of shape (N,), int64, values in {0, 1}
        1 on the positive side of the line :math:`\mathbf{x} \cdot \mathbf{w} + b = 0`,
        0 on it and on the other side.
    """
    X = _data(X)
    w, b = _weights(w, b, X.shape[1])
    return (X @ w + b > 0).astype(np.int64)


def perceptron_epoch(X, y, w, b, lr=1.0):
    r"""One pass of the perceptron rule over the points, in order.

    For :math:`n = 1, \dots, N`, with the weights as they are at that moment:

    .. math::

        \hat y_n = H(\mathbf{x}_n \cdot \mathbf{w} + b), \qquad
        \mathbf{w} \leftarrow \mathbf{w} + \eta\,(y_n - \hat y_n)\,\mathbf{x}_n, \qquad
        b \leftarrow b + \eta\,(y_n - \hat y_n).

    Only a misclassified point changes anything (:math:`y_n - \hat y_n = \pm 1`).

    Parameters
    ----------
    X : array_like of shape (N, D)
    y : array_like of shape (N,)
        Labels 0 or 1.
    w : array_like of shape (D,)
    b : float
        The weights at the start of the epoch (not modified).
    lr : float, default 1.0
        The learning rate :math:`\eta`.

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
        The weights at the end of the epoch.
    errors : int
        How many points were misclassified when visited (= number of updates).
    """
    X, y = _data(X, y)
    w, b = _weights(w, b, X.shape[1])
    w = w.copy()
    errors = 0
    for x_n, y_n in zip(X, y, strict=True):
        delta = int(y_n) - int(x_n @ w + b > 0)
        if delta:
            w += lr * delta * x_n
            b += lr * delta
            errors += 1
    return w, b, errors


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    r"""Train a perceptron from zero weights until an epoch makes no error.

    Starts from :math:`\mathbf{w} = 0`, :math:`b = 0` and runs
    :func:`perceptron_epoch` until an epoch meets no misclassified point (the
    data are separated) or ``max_epochs`` epochs have run.

    Parameters
    ----------
    X : array_like of shape (N, D)
    y : array_like of shape (N,)
        Labels 0 or 1.
    lr : float, default 1.0
    max_epochs : int, default 100

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    errors : list of int
        Misclassified points of every epoch run; it ends with 0 exactly when
        training converged, and has ``max_epochs`` entries otherwise.
    """
    X, y = _data(X, y)
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, (int, np.integer)) \
            or max_epochs < 1:
        raise ValueError(f"max_epochs must be a positive integer, got {max_epochs!r}")
    w, b = np.zeros(X.shape[1]), 0.0
    errors: list[int] = []
    for _ in range(int(max_epochs)):
        w, b, e = perceptron_epoch(X, y, w, b, lr)
        errors.append(e)
        if e == 0:
            break
    return w, b, errors


# ---------------------------------------------------------------- the lecture's 2-2-1 network
def _six_and_three(w, b) -> tuple[tuple[float, ...], tuple[float, ...]]:
    w, b = as_float(w, "w"), as_float(b, "b")
    if w.shape != (6,) or b.shape != (3,):
        raise ValueError(f"expected w = (w1, ..., w6) of shape (6,) and b = (b1, b2, b3) of "
                         f"shape (3,), got w {w.shape} and b {b.shape}")
    return tuple(map(float, w)), tuple(map(float, b))


def lecture_output(i1, i2, w, b):
    r"""The lecture's 2-2-1 network: linear hidden units, a sigmoid at the output.

    .. math::

        h_1 = i_1 w_1 + i_2 w_3 + b_1, \qquad h_2 = i_1 w_2 + i_2 w_4 + b_2, \qquad
        \text{out} = \sigma(h_1 w_5 + h_2 w_6 + b_3)

    The slide writes the output bias as "bias" (and its text calls it
    :math:`b_2`, the name the formulas give the bias of :math:`h_2`); here it
    is :math:`b_3`.

    Parameters
    ----------
    i1, i2 : float or array_like of the same shape (...)
        The two inputs (arrays: one network evaluation per element).
    w : sequence of 6 floats
        :math:`(w_1, \dots, w_6)`: :math:`w_1, w_3` feed :math:`h_1`,
        :math:`w_2, w_4` feed :math:`h_2`, :math:`w_5, w_6` the output.
    b : sequence of 3 floats
        :math:`(b_1, b_2, b_3)`: the hidden biases and the output bias.

    Returns
    -------
    float or ndarray of shape (...), values in [0, 1]
    """
    (w1, w2, w3, w4, w5, w6), (b1, b2, b3) = _six_and_three(w, b)
    i1, i2 = as_float(i1, "i1"), as_float(i2, "i2")
    h1 = i1 * w1 + i2 * w3 + b1
    h2 = i1 * w2 + i2 * w4 + b2
    return sigmoid(h1 * w5 + h2 * w6 + b3)


def lecture_line(w, b):
    r"""The decision boundary of :func:`lecture_output`, a straight line.

    The hidden layer is linear, so the sigmoid's argument is one affine
    function of the inputs (:func:`collapse` of the two layers):

    .. math::

        h_1 w_5 + h_2 w_6 + b_3 = c_1 i_1 + c_2 i_2 + c_0, \qquad
        c_1 = w_1 w_5 + w_2 w_6,\; c_2 = w_3 w_5 + w_4 w_6,\; c_0 = b_1 w_5 + b_2 w_6 + b_3,

    and :math:`\text{out} > 0.5` exactly where :math:`c_1 i_1 + c_2 i_2 + c_0 > 0`.

    Parameters
    ----------
    w : sequence of 6 floats
    b : sequence of 3 floats
        As in :func:`lecture_output`.

    Returns
    -------
    c1, c2, c0 : float
    """
    (w1, w2, w3, w4, w5, w6), (b1, b2, b3) = _six_and_three(w, b)
    W, c = collapse([[w1, w2], [w3, w4]], [b1, b2], [[w5], [w6]], [b3])
    return float(W[0, 0]), float(W[1, 0]), float(c[0])
