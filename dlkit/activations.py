r"""Activation functions and their derivatives.

Every elementwise activation comes as a pair written side by side:
``name(x)`` is the function and ``name_derivative(x)`` its derivative
evaluated at the same ``x``. Both accept a Python number or an array of any
shape ``(...)`` and return float64 of the same shape (a numpy float64 scalar
for a scalar input).

Everything here is numerically stable and silent: no overflow, underflow or
invalid-value warning for any finite input, including ``+-1000`` (nbgrader
gives zero to a test cell that writes a warning to stderr).

Softmax is not elementwise; it has :func:`softmax_jacobian` and the cheaper
vector-Jacobian product :func:`softmax_vjp` instead of a derivative.

Use :func:`get` to look an activation up by name; ``dlkit.nn`` and the
widgets do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from dlkit._arrays import as_float, lookup, out

__all__ = [
    "linear", "linear_derivative",
    "sigmoid", "sigmoid_derivative",
    "tanh", "tanh_derivative",
    "relu", "relu_derivative",
    "leaky_relu", "leaky_relu_derivative",
    "elu", "elu_derivative",
    "softplus", "softplus_derivative",
    "softmax", "softmax_jacobian", "softmax_vjp",
    "Activation", "Parameter", "ACTIVATIONS", "get",
]


# ---------------------------------------------------------------- linear
def linear(x):
    r"""Identity activation, :math:`f(x) = x`.

    Parameters
    ----------
    x : float or ndarray of shape (...)

    Returns
    -------
    float or ndarray of shape (...), float64
    """
    return out(as_float(x).copy())


def linear_derivative(x):
    r""":math:`f'(x) = 1` everywhere. Shape ``(...)`` in, shape ``(...)`` out."""
    return out(np.ones_like(as_float(x)))


# ---------------------------------------------------------------- sigmoid
def sigmoid(x):
    r"""Logistic sigmoid, :math:`\sigma(x) = \dfrac{1}{1 + e^{-x}}`.

    Computed in the sign-split form: with :math:`e = e^{-|x|} \in (0, 1]`,
    :math:`\sigma(x) = 1/(1+e)` for :math:`x \ge 0` and :math:`e/(1+e)` for
    :math:`x < 0`, so ``exp`` never overflows.

    Parameters
    ----------
    x : float or ndarray of shape (...)

    Returns
    -------
    float or ndarray of shape (...), values in [0, 1]

    Examples
    --------
    >>> float(sigmoid(0.0))
    0.5
    >>> float(sigmoid(-1000.0)), float(sigmoid(1000.0))
    (0.0, 1.0)
    """
    x = as_float(x)
    e = np.exp(-np.abs(x))
    return out(np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def sigmoid_derivative(x):
    r""":math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x))`, at most 1/4 (at 0).

    Evaluated as :math:`e / (1 + e)^2` with :math:`e = e^{-|x|}`, which is
    exact in the tails where :math:`1 - \sigma(x)` would round to 0.

    Parameters
    ----------
    x : float or ndarray of shape (...)

    Returns
    -------
    float or ndarray of shape (...), values in [0, 0.25]
    """
    e = np.exp(-np.abs(as_float(x)))
    return out(e / (1.0 + e) ** 2)


# ---------------------------------------------------------------- tanh
def tanh(x):
    r"""Hyperbolic tangent, :math:`\tanh(x) = \dfrac{2}{1 + e^{-2x}} - 1 = 2\sigma(2x) - 1`.

    Zero-centred: values in (-1, 1) with :math:`\tanh(0) = 0`.

    Parameters
    ----------
    x : float or ndarray of shape (...)

    Returns
    -------
    float or ndarray of shape (...), values in [-1, 1]
    """
    return out(np.tanh(as_float(x)))


def tanh_derivative(x):
    r""":math:`\tanh'(x) = 1 - \tanh^2(x) = \operatorname{sech}^2(x)`, at most 1 (at 0).

    Evaluated as :math:`4e / (1 + e)^2` with :math:`e = e^{-2|x|}` so the tails
    keep their tiny positive values instead of rounding to 0 (``|x|`` is capped
    at 400, where the value has long underflowed, so ``2|x|`` cannot overflow).

    Parameters
    ----------
    x : float or ndarray of shape (...)

    Returns
    -------
    float or ndarray of shape (...), values in [0, 1]
    """
    e = np.exp(-2.0 * np.minimum(np.abs(as_float(x)), 400.0))
    return out(4.0 * e / (1.0 + e) ** 2)


# ---------------------------------------------------------------- relu
def relu(x):
    r"""Rectified linear unit, :math:`\mathrm{ReLU}(x) = \max(0, x)`.

    Parameters
    ----------
    x : float or ndarray of shape (...)

    Returns
    -------
    float or ndarray of shape (...), values in [0, inf)
    """
    return out(np.maximum(as_float(x), 0.0))


def relu_derivative(x):
    r""":math:`\mathrm{ReLU}'(x) = 1` for :math:`x > 0`, else 0.

    The kink at 0 has no derivative; like every mainstream framework we use
    the subgradient 0 there.
    """
    return out((as_float(x) > 0).astype(np.float64))


# ---------------------------------------------------------------- leaky relu
def leaky_relu(x, alpha=0.01):
    r"""Leaky ReLU, :math:`f(x) = x` for :math:`x > 0`, else :math:`\alpha x`.

    The small slope :math:`\alpha` keeps a gradient flowing for negative
    inputs, so a unit cannot "die" the way a ReLU unit can.

    Parameters
    ----------
    x : float or ndarray of shape (...)
    alpha : float, default 0.01
        Slope for negative inputs.

    Returns
    -------
    float or ndarray of shape (...)
    """
    x = as_float(x)
    return out(np.where(x > 0, x, alpha * x))


def leaky_relu_derivative(x, alpha=0.01):
    r""":math:`f'(x) = 1` for :math:`x > 0`, else :math:`\alpha` (also at 0)."""
    x = as_float(x)
    return out(np.where(x > 0, 1.0, float(alpha)))


# ---------------------------------------------------------------- elu
def elu(x, alpha=1.0):
    r"""Exponential linear unit.

    .. math:: f(x) = x \text{ for } x > 0, \qquad \alpha\,(e^{x} - 1) \text{ otherwise}

    Smooth for :math:`\alpha = 1`, saturates at :math:`-\alpha` for very
    negative inputs, so its mean output is closer to zero than ReLU's.
    ``expm1`` is applied to :math:`\min(x, 0)` only, so large positive
    inputs never overflow the branch that ``np.where`` discards.

    Parameters
    ----------
    x : float or ndarray of shape (...)
    alpha : float, default 1.0

    Returns
    -------
    float or ndarray of shape (...), values in (-alpha, inf)
    """
    x = as_float(x)
    return out(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))))


def elu_derivative(x, alpha=1.0):
    r""":math:`f'(x) = 1` for :math:`x > 0`, else :math:`\alpha e^{x}` (= f(x) + alpha)."""
    x = as_float(x)
    return out(np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0))))


# ---------------------------------------------------------------- softplus
def softplus(x):
    r"""Softplus, :math:`f(x) = \log(1 + e^{x})`, a smooth ReLU.

    Computed as ``logaddexp(0, x)``, exact for every finite x
    (:math:`\approx x` for large x, :math:`\approx e^{x}` for very negative x).

    Parameters
    ----------
    x : float or ndarray of shape (...)

    Returns
    -------
    float or ndarray of shape (...), values in (0, inf) (0.0 after underflow)
    """
    return out(np.logaddexp(0.0, as_float(x)))


def softplus_derivative(x):
    r""":math:`f'(x) = \sigma(x)`: the derivative of softplus is the sigmoid."""
    return sigmoid(x)


# ---------------------------------------------------------------- softmax
def softmax(z, axis=-1):
    r"""Softmax along ``axis``, :math:`s_k = \dfrac{e^{z_k}}{\sum_j e^{z_j}}`.

    The maximum along ``axis`` is subtracted first; softmax is unchanged by
    adding a constant to every score, and afterwards no ``exp`` can overflow.

    Parameters
    ----------
    z : array_like of shape (..., K, ...)
        Raw scores (logits).
    axis : int, default -1
        The class axis, of length K.

    Returns
    -------
    ndarray of the shape of ``z``
        Non-negative, summing to 1 along ``axis``.

    Examples
    --------
    >>> softmax([2.0, 1.0, 0.1]).round(4)
    array([0.659 , 0.2424, 0.0986])
    """
    z = as_float(z, "z")
    if z.ndim == 0:
        raise ValueError("softmax needs at least one axis of class scores, got a scalar")
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(z):
    r"""Jacobian of softmax over the last axis, :math:`J_{ij} = s_i(\delta_{ij} - s_j)`.

    That is :math:`J = \operatorname{diag}(s) - s s^\top`, symmetric, with
    rows summing to 0.

    Parameters
    ----------
    z : array_like of shape (..., K)

    Returns
    -------
    ndarray of shape (..., K, K)
        ``J[..., i, j] = d s_i / d z_j``.
    """
    s = softmax(z, axis=-1)
    eye = np.eye(s.shape[-1])
    return s[..., :, None] * (eye - s[..., None, :])


def softmax_vjp(z, v):
    r"""Vector-Jacobian product of softmax over the last axis: :math:`v^\top J`.

    .. math:: (v^\top J)_j = s_j \left(v_j - \sum_i v_i s_i\right)

    This is what backpropagation needs (``v`` is the upstream gradient
    ``dL/ds``); it costs O(K) per row instead of the Jacobian's O(K^2).

    Parameters
    ----------
    z : array_like of shape (..., K)
        Scores the softmax was applied to.
    v : array_like of shape (..., K)
        Upstream gradient with respect to the softmax output.

    Returns
    -------
    ndarray of shape (..., K)
        Gradient with respect to ``z``.
    """
    s = softmax(z, axis=-1)
    v = as_float(v, "v")
    return s * (v - np.sum(v * s, axis=-1, keepdims=True))


# ---------------------------------------------------------------- registry
class Parameter(NamedTuple):
    """A parameter an activation takes (``alpha`` of leaky ReLU and ELU), and its range.

    ``default`` is the default of the keyword in the pair's signatures (a test
    checks they agree); ``low``, ``high`` and ``step`` are the range the
    widgets offer; ``key`` is the name of the widgets' slider for it and of
    the keyword :func:`dlkit.widgets.activation_data` takes.
    """

    name: str
    key: str
    label: str
    default: float
    low: float
    high: float
    step: float


class Activation(NamedTuple):
    """Everything about one elementwise activation, in one record.

    Attributes
    ----------
    name : str
        Its name in :data:`ACTIVATIONS` (what ``Dense(..., activation=name)`` takes).
    fn, derivative : callable
        The pair ``f(x)`` and ``f'(x)``, shape ``(...)`` in and out.
    init : {"he", "xavier"}
        The weight initialisation of a layer using it
        (:func:`dlkit.nn.init_std`): He for the ReLU family, which zeros about
        half its inputs, Xavier/Glorot for the others.
    parameter : Parameter or None
        The keyword it takes, if any.

    Adding an activation: its pair above, its record below, its tests.
    ``dlkit.nn`` and the widgets read everything else from the record.
    """

    name: str
    fn: Callable
    derivative: Callable
    init: str = "xavier"
    parameter: Parameter | None = None

    def kwargs(self, value=None) -> dict:
        """The keyword arguments for ``fn`` and ``derivative``: ``{"alpha": value}`` or {}."""
        return {} if self.parameter is None or value is None else {self.parameter.name: value}


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", linear, linear_derivative),
        Activation("sigmoid", sigmoid, sigmoid_derivative),
        Activation("tanh", tanh, tanh_derivative),
        Activation("relu", relu, relu_derivative, init="he"),
        Activation("leaky_relu", leaky_relu, leaky_relu_derivative, init="he",
                   parameter=Parameter("alpha", "leaky_alpha", "leaky α", 0.01,
                                       0.0, 1.0, 0.01)),
        Activation("elu", elu, elu_derivative, init="he",
                   parameter=Parameter("alpha", "elu_alpha", "ELU α", 1.0, 0.0, 3.0, 0.05)),
        Activation("softplus", softplus, softplus_derivative, init="he"),
    )
}


def get(name) -> Activation:
    """Return the :class:`Activation` called ``name`` (``None`` means linear).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    if name is None:
        name = "linear"
    if isinstance(name, Activation):
        return name
    return lookup(ACTIVATIONS, name, "activation")
