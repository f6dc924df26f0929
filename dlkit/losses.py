r"""Loss functions and their gradients: the lecture's twelve losses.

One concept in one module, on purpose: the twelve pairs share the reduction
rule, the clipping constant, the argument checks and the registry below, and
read best side by side, as the lecture lists them (hence its length).

Every loss comes as a pair written side by side: ``name(y_true, y_pred, ...,
reduction="mean")`` is the loss and ``name_grad`` (same arguments) its
gradient with respect to the prediction, or a tuple of gradients when there
are several prediction arguments (triplet and margin ranking losses). The
ranking losses take their predictions first, as the lecture writes them:
``contrastive_loss(distance, similar)``, ``triplet_loss(anchor, positive,
negative)``, ``margin_ranking_loss(s1, s2, y)``.

``reduction`` combines the per-sample losses:

- ``"mean"`` (default): their average, a float64 scalar;
- ``"sum"``: their sum (the lecture's formulas without :math:`1/n` are this);
- ``"none"``: the per-sample losses themselves, an array.

A *sample* is one element for the elementwise losses (mse, mae, huber, binary
cross-entropy, hinge), one row of the last (class) axis for the categorical
losses and KL, one pixel for :func:`pixel_cross_entropy`, and one pair or
triplet for the ranking losses.

``name_grad`` returns the gradient of the *reduced* loss, shaped like the
prediction: for ``"mean"`` it is the ``"sum"`` gradient divided by the number
of samples. For ``"none"`` there is no single number to differentiate; it
returns the derivative of each sample's own loss with respect to its own
prediction, which is the ``"sum"`` gradient (a sample's loss depends on its
prediction only). At a kink (MAE at a zero residual, hinge and the margin
losses exactly on the margin) the gradient is the subgradient 0.

Numerics: probabilities are clipped to ``[EPS, 1 - EPS]`` before any log or
division, and the fused ``*_with_logits`` losses use ``logaddexp`` and
log-sum-exp. Nothing here warns for finite inputs, including ``+-1000`` and
probabilities of exactly 0 or 1; only a squared loss whose true value exceeds
the float64 range (a residual above about 1e154) overflows, to ``inf``.

Use :func:`get` to look a loss up by name; ``dlkit.nn`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from dlkit._arrays import as_float, check_same_shape, lookup, out
from dlkit.activations import sigmoid, softmax

__all__ = [
    "EPS", "REDUCTIONS",
    "mse", "mse_grad",
    "mae", "mae_grad",
    "huber", "huber_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_grad",
    "kl_divergence", "kl_divergence_grad",
    "hinge", "hinge_grad",
    "pixel_cross_entropy", "pixel_cross_entropy_grad",
    "contrastive_loss", "contrastive_loss_grad",
    "triplet_loss", "triplet_loss_grad",
    "margin_ranking_loss", "margin_ranking_loss_grad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad",
    "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_grad",
    "Loss", "LOSSES", "get",
]

EPS = 1e-12
"""Probabilities are clipped to ``[EPS, 1 - EPS]`` before a log or a division,
so a prediction of exactly 0 or 1 costs at most ``-log(EPS)``, about 27.63,
instead of ``inf``."""

REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------- helpers
def _check_reduction(reduction) -> None:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(per_sample: np.ndarray, reduction):
    """Mean, sum, or the per-sample losses themselves."""
    _check_reduction(reduction)
    if reduction == "none":
        return out(per_sample)
    if reduction == "mean":
        if per_sample.size == 0:
            raise ValueError("cannot average a loss over zero samples")
        return np.float64(np.mean(per_sample))
    return np.float64(np.sum(per_sample))


def _scale(reduction, n: int, *grads: np.ndarray):
    """Gradient(s) of the reduced loss from the per-sample ones: divide by n for "mean"."""
    _check_reduction(reduction)
    if reduction == "mean" and n == 0:
        raise ValueError("cannot average a loss over zero samples")
    scaled = tuple(out(g / n if reduction == "mean" else g) for g in grads)
    return scaled if len(scaled) > 1 else scaled[0]


def _same_shape(names: tuple[str, ...], *values) -> list[np.ndarray]:
    """float64 arrays, all checked to have the shape of the first."""
    arrays = [as_float(v, name) for name, v in zip(names, values, strict=True)]
    for name, arr in zip(names[1:], arrays[1:], strict=True):
        check_same_shape(arrays[0], arr, (names[0], name))
    return arrays


def _check_values(x: np.ndarray, name: str, ok: np.ndarray, expected: str) -> None:
    if not np.all(ok):
        raise ValueError(f"{name} must hold {expected}, got {x[~ok].flat[0]:g}")


def _probabilities(x: np.ndarray, name: str) -> None:
    _check_values(x, name, (x >= 0) & (x <= 1), "probabilities in [0, 1]")


def _signs(x: np.ndarray, name: str) -> None:
    _check_values(x, name, np.abs(x) == 1, "labels -1 or +1")


def _check_layout(x: np.ndarray, name: str, ndims=(1, 2), layout="(N, K) or (K,)") -> None:
    if x.ndim not in ndims or x.shape[-1] == 0:
        raise ValueError(f"expected {name} of shape {layout}, got {x.shape}")


def _clip(p: np.ndarray, eps) -> np.ndarray:
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps!r}")
    return np.clip(p, eps, 1.0 - eps)


def _class_labels(labels, scores: np.ndarray, scores_name: str) -> np.ndarray:
    """Integer class indices of shape ``scores.shape[:-1]``, checked to lie in [0, K)."""
    lab = as_float(labels, "labels")
    if lab.shape != scores.shape[:-1]:
        raise ValueError(
            f"labels must have shape {scores.shape[:-1]} to match {scores_name} "
            f"{scores.shape}, got labels {lab.shape}"
        )
    k = scores.shape[-1]
    ok = (lab == np.floor(lab)) & (lab >= 0) & (lab < k)
    _check_values(lab, "labels", ok, f"integer class indices in [0, {k})")
    return lab.astype(np.intp)


def _at_labels(x: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """``x[..., lab]`` row by row: the entry of each sample's true class."""
    return np.take_along_axis(x, lab[..., None], axis=-1)[..., 0]


def _onehot(lab: np.ndarray, k: int) -> np.ndarray:
    return (lab[..., None] == np.arange(k)).astype(np.float64)


# ---------------------------------------------------------------- mse
def mse(y_true, y_pred, reduction="mean"):
    r"""Mean squared error, :math:`\dfrac{1}{n}\sum_i (y_i - \hat y_i)^2`.

    Parameters
    ----------
    y_true, y_pred : float or ndarray of shape (...)
        Targets and predictions, of the same shape.
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over all elements; "none" returns shape (...).

    Returns
    -------
    float64, or ndarray of shape (...) for reduction="none"

    Examples
    --------
    >>> float(mse([1.0, 2.0], [1.5, 1.0]))
    0.625
    """
    y, p = _same_shape(("y_true", "y_pred"), y_true, y_pred)
    return _reduce((p - y) ** 2, reduction)


def mse_grad(y_true, y_pred, reduction="mean"):
    r""":math:`\partial L/\partial \hat y_i = 2(\hat y_i - y_i)`, over n for "mean"; shape (...)."""
    y, p = _same_shape(("y_true", "y_pred"), y_true, y_pred)
    return _scale(reduction, p.size, 2.0 * (p - y))


# ---------------------------------------------------------------- mae
def mae(y_true, y_pred, reduction="mean"):
    r"""Mean absolute error, :math:`\dfrac{1}{n}\sum_i |y_i - \hat y_i|`.

    Less sensitive to outliers than MSE, but not differentiable at a zero
    residual.

    Parameters
    ----------
    y_true, y_pred : float or ndarray of shape (...)
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over all elements.

    Returns
    -------
    float64, or ndarray of shape (...) for reduction="none"
    """
    y, p = _same_shape(("y_true", "y_pred"), y_true, y_pred)
    return _reduce(np.abs(p - y), reduction)


def mae_grad(y_true, y_pred, reduction="mean"):
    r""":math:`\partial L/\partial \hat y_i = \operatorname{sign}(\hat y_i - y_i)`.

    At :math:`\hat y_i = y_i` there is no derivative; we return the
    subgradient 0. Divided by n for "mean"; shape (...).
    """
    y, p = _same_shape(("y_true", "y_pred"), y_true, y_pred)
    return _scale(reduction, p.size, np.sign(p - y))


# ---------------------------------------------------------------- huber
def huber(y_true, y_pred, delta=1.0, reduction="mean"):
    r"""Huber loss: quadratic for small residuals, linear for large ones.

    .. math::

        \ell(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
                  \delta\,(|r| - \tfrac12\delta) & |r| > \delta \end{cases},
        \qquad r = y - \hat y

    The lecture's form. Both pieces meet with equal value and slope at
    :math:`|r| = \delta`, so it is differentiable everywhere. Computed as
    :math:`\tfrac12 c^2 + \delta(|r| - c)` with :math:`c = \min(|r|, \delta)`,
    which never squares a large residual.

    Parameters
    ----------
    y_true, y_pred : float or ndarray of shape (...)
    delta : float, default 1.0
        Where the quadratic part ends; must be positive.
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over all elements.

    Returns
    -------
    float64, or ndarray of shape (...) for reduction="none"
    """
    y, p = _same_shape(("y_true", "y_pred"), y_true, y_pred)
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta!r}")
    a = np.abs(p - y)
    c = np.minimum(a, delta)
    return _reduce(0.5 * c**2 + delta * (a - c), reduction)


def huber_grad(y_true, y_pred, delta=1.0, reduction="mean"):
    r""":math:`\partial \ell/\partial \hat y = \operatorname{clip}(\hat y - y, -\delta, \delta)`.

    Divided by n for "mean"; shape (...).
    """
    y, p = _same_shape(("y_true", "y_pred"), y_true, y_pred)
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta!r}")
    return _scale(reduction, p.size, np.clip(p - y, -delta, delta))


# ---------------------------------------------------------------- binary cross-entropy
def binary_cross_entropy(y_true, y_pred, eps=EPS, reduction="mean"):
    r"""Binary cross-entropy (log loss) of predicted probabilities.

    .. math:: -\frac{1}{n}\sum_i \bigl[y_i \log \hat y_i + (1 - y_i)\log(1 - \hat y_i)\bigr]

    ``y_pred`` is clipped to ``[eps, 1 - eps]`` first, so 0 and 1 give a
    large finite loss. From raw scores (logits) prefer
    :func:`binary_cross_entropy_with_logits`.

    Parameters
    ----------
    y_true : float or ndarray of shape (...)
        Labels 0 or 1 (soft labels in [0, 1] are allowed).
    y_pred : float or ndarray of shape (...)
        Predicted probabilities of class 1, in [0, 1].
    eps : float, default EPS
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over all elements.

    Returns
    -------
    float64, or ndarray of shape (...) for reduction="none"

    Examples
    --------
    >>> round(float(binary_cross_entropy(1.0, 0.01)), 4)  # the lecture's "~4.6"
    4.6052
    """
    y, p = _bce_terms(y_true, y_pred, eps)
    return _reduce(-(y * np.log(p) + (1.0 - y) * np.log1p(-p)), reduction)


def binary_cross_entropy_grad(y_true, y_pred, eps=EPS, reduction="mean"):
    r""":math:`\dfrac{\hat y - y}{\hat y\,(1 - \hat y)}` on the clipped :math:`\hat y`.

    Divided by n for "mean"; shape (...).
    """
    y, p = _bce_terms(y_true, y_pred, eps)
    return _scale(reduction, p.size, (p - y) / (p * (1.0 - p)))


def _bce_terms(y_true, y_pred, eps):
    y, p = _same_shape(("y_true", "y_pred"), y_true, y_pred)
    _probabilities(y, "y_true")
    _probabilities(p, "y_pred")
    return y, _clip(p, eps)


# ---------------------------------------------------------------- categorical cross-entropy
def categorical_cross_entropy(y_true, y_pred, eps=EPS, reduction="mean"):
    r"""Categorical cross-entropy between one-hot targets and predicted probabilities.

    .. math:: \ell_i = -\sum_{k=1}^{K} y_{ik} \log \hat y_{ik}

    per sample, averaged over the N samples by default. The lecture writes the
    sum over samples, :math:`-\sum_i\sum_k y_{ik}\log\hat y_{ik}`: that is
    ``reduction="sum"``. ``y_pred`` is clipped to ``[eps, 1 - eps]``.

    Parameters
    ----------
    y_true : ndarray of shape (N, K) or (K,)
        One-hot (or soft) targets.
    y_pred : ndarray of shape (N, K) or (K,)
        Predicted probabilities, each row summing to 1 (softmax output).
    eps : float, default EPS
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over samples; "none" returns shape (N,) (a scalar for (K,)).

    Returns
    -------
    float64, or ndarray of shape (N,) for reduction="none"

    Examples
    --------
    >>> round(float(categorical_cross_entropy([0, 1, 0], [0.1, 0.7, 0.2])), 4)
    0.3567
    """
    y, p = _distributions(("y_true", "y_pred"), y_true, y_pred, eps)
    return _reduce(-np.sum(y * np.log(p), axis=-1), reduction)


def categorical_cross_entropy_grad(y_true, y_pred, eps=EPS, reduction="mean"):
    r""":math:`\partial L/\partial \hat y_{ik} = -y_{ik}/\hat y_{ik}` (clipped; over N for "mean").

    Shape (N, K) or (K,), like ``y_pred``.
    """
    y, p = _distributions(("y_true", "y_pred"), y_true, y_pred, eps)
    return _scale(reduction, p.size // p.shape[-1], -y / p)


def _distributions(names, target, pred, eps):
    """Two same-shape arrays of probabilities, classes on the last axis; pred clipped."""
    y, p = _same_shape(names, target, pred)
    _check_layout(p, names[1])
    _probabilities(y, names[0])
    _probabilities(p, names[1])
    return y, _clip(p, eps)


# ---------------------------------------------------------------- sparse categorical
def sparse_categorical_cross_entropy(labels, probs, eps=EPS, reduction="mean"):
    r"""Categorical cross-entropy with integer class labels instead of one-hot rows.

    .. math:: \ell_i = -\log \hat y_{i, y_i}

    Same values as :func:`categorical_cross_entropy` with one-hot targets,
    without building them. The lecture's formula is the sum over samples
    (``reduction="sum"``). ``probs`` is clipped to ``[eps, 1 - eps]``.

    Parameters
    ----------
    labels : int or ndarray of shape (N,)
        Class indices in [0, K) (an int for a single sample of shape (K,)).
    probs : ndarray of shape (N, K) or (K,)
        Predicted probabilities.
    eps : float, default EPS
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over samples; "none" returns shape (N,).

    Returns
    -------
    float64, or ndarray of shape (N,) for reduction="none"
    """
    return _sparse_ce(labels, probs, eps, reduction, (1, 2), "(N, K) or (K,)")


def sparse_categorical_cross_entropy_grad(labels, probs, eps=EPS, reduction="mean"):
    r""":math:`-1/\hat y_{i,y_i}` at each true class, 0 elsewhere (over N for "mean").

    Shape (N, K) or (K,), like ``probs``.
    """
    return _sparse_ce_grad(labels, probs, eps, reduction, (1, 2), "(N, K) or (K,)")


def _sparse_terms(labels, probs, eps, ndims, layout):
    p = as_float(probs, "probs")
    _check_layout(p, "probs", ndims, layout)
    _probabilities(p, "probs")
    lab = _class_labels(labels, p, "probs")
    return lab, p, _clip(_at_labels(p, lab), eps)


def _sparse_ce(labels, probs, eps, reduction, ndims, layout):
    _, _, picked = _sparse_terms(labels, probs, eps, ndims, layout)
    return _reduce(-np.log(picked), reduction)


def _sparse_ce_grad(labels, probs, eps, reduction, ndims, layout):
    lab, p, picked = _sparse_terms(labels, probs, eps, ndims, layout)
    grad = -_onehot(lab, p.shape[-1]) / picked[..., None]
    return _scale(reduction, lab.size, grad)


# ---------------------------------------------------------------- KL divergence
def kl_divergence(p_true, q_pred, eps=EPS, reduction="mean"):
    r"""Kullback-Leibler divergence :math:`D_{KL}(P \,\|\, Q)` per sample.

    .. math:: \ell_i = \sum_{k=1}^{K} p_{ik} \log \frac{p_{ik}}{q_{ik}}

    with :math:`0 \log 0 = 0` (a class P gives no mass costs nothing, and
    gives no warning). Zero only when Q = P; not symmetric in P and Q.
    ``q_pred`` is clipped to ``[eps, 1 - eps]``. The lecture's formula is the
    sum over samples (``reduction="sum"``).

    Parameters
    ----------
    p_true : ndarray of shape (N, K) or (K,)
        True distributions, rows summing to 1.
    q_pred : ndarray of shape (N, K) or (K,)
        Predicted distributions.
    eps : float, default EPS
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over samples; "none" returns shape (N,).

    Returns
    -------
    float64, or ndarray of shape (N,) for reduction="none"
    """
    p, q = _distributions(("p_true", "q_pred"), p_true, q_pred, eps)
    log_p = np.log(np.where(p > 0, p, 1.0))  # p log p := 0 at p = 0
    return _reduce(np.sum(p * (log_p - np.log(q)), axis=-1), reduction)


def kl_divergence_grad(p_true, q_pred, eps=EPS, reduction="mean"):
    r""":math:`\partial D/\partial q_{ik} = -p_{ik}/q_{ik}` (clipped q; over N for "mean").

    Shape (N, K) or (K,), like ``q_pred``.
    """
    p, q = _distributions(("p_true", "q_pred"), p_true, q_pred, eps)
    return _scale(reduction, q.size // q.shape[-1], -p / q)


# ---------------------------------------------------------------- hinge
def hinge(y_true, scores, reduction="mean"):
    r"""Hinge loss of a margin classifier (SVM), :math:`\ell_i = \max(0,\ 1 - y_i s_i)`.

    Zero once a sample is on the right side with margin :math:`y s \ge 1`;
    the kink is at :math:`y s = 1`.

    Parameters
    ----------
    y_true : float or ndarray of shape (...)
        Labels -1 or +1 (not 0/1).
    scores : float or ndarray of shape (...)
        Raw classifier scores :math:`s = f(x)`.
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over all elements.

    Returns
    -------
    float64, or ndarray of shape (...) for reduction="none"

    Examples
    --------
    >>> hinge([1, 1, 1], [2.0, 0.5, -0.5], reduction="none")  # the lecture's three cases
    array([0. , 0.5, 1.5])
    """
    y, s = _hinge_terms(y_true, scores)
    return _reduce(np.maximum(0.0, 1.0 - y * s), reduction)


def hinge_grad(y_true, scores, reduction="mean"):
    r""":math:`\partial \ell/\partial s = -y` where :math:`1 - y s > 0`, else 0.

    Divided by n for "mean"; shape (...).
    """
    y, s = _hinge_terms(y_true, scores)
    return _scale(reduction, s.size, np.where(1.0 - y * s > 0, -y, 0.0))


def _hinge_terms(y_true, scores):
    y, s = _same_shape(("y_true", "scores"), y_true, scores)
    _signs(y, "y_true")
    return y, s


# ---------------------------------------------------------------- pixel-wise cross-entropy
def pixel_cross_entropy(labels, probs, eps=EPS, reduction="mean"):
    r"""Pixel-wise cross-entropy for segmentation: each pixel is a small classification.

    .. math:: \ell_{nhw} = -\log \hat y_{nhw,\,y_{nhw}}, \qquad
              L = \frac{1}{NHW} \sum_{n,h,w} \ell_{nhw}

    Sparse categorical cross-entropy over every pixel; "mean" averages over
    all N*H*W pixels, as the lecture's :math:`1/N` over N pixels does.

    Parameters
    ----------
    labels : ndarray of shape (N, H, W)
        Class index in [0, C) of every pixel.
    probs : ndarray of shape (N, H, W, C)
        Predicted class probabilities of every pixel.
    eps : float, default EPS
    reduction : {"mean", "sum", "none"}, default "mean"
        "none" returns shape (N, H, W).

    Returns
    -------
    float64, or ndarray of shape (N, H, W) for reduction="none"
    """
    return _sparse_ce(labels, probs, eps, reduction, (4,), "(N, H, W, C)")


def pixel_cross_entropy_grad(labels, probs, eps=EPS, reduction="mean"):
    r""":math:`-1/\hat y_{nhw,y_{nhw}}` at each pixel's true class, 0 elsewhere.

    Divided by N*H*W for "mean"; shape (N, H, W, C), like ``probs``.
    """
    return _sparse_ce_grad(labels, probs, eps, reduction, (4,), "(N, H, W, C)")


# ---------------------------------------------------------------- contrastive
def contrastive_loss(distance, similar, margin=1.0, reduction="mean"):
    r"""Contrastive loss of embedding pairs (Siamese networks).

    .. math:: \ell_i = \tfrac12\bigl[y_i d_i^2 + (1 - y_i)\max(0,\ m - d_i)^2\bigr]

    Similar pairs (y = 1) are pulled together; dissimilar ones (y = 0) are
    pushed apart until they are at least ``margin`` away. "mean" gives the
    lecture's :math:`\frac{1}{2N}\sum_i [\dots]`. The lecture's worked
    examples drop the 1/2 (with m = 2: similar d = 0.5 gives "0.25",
    dissimilar d = 0.5 gives "2.25"); with the formula's 1/2 they are 0.125
    and 1.125.

    Parameters
    ----------
    distance : float or ndarray of shape (N,)
        Distance between the two embeddings of each pair, non-negative.
    similar : float or ndarray of shape (N,)
        1 for a similar pair, 0 for a dissimilar one.
    margin : float, default 1.0
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over pairs; "none" returns shape (N,).

    Returns
    -------
    float64, or ndarray of shape (N,) for reduction="none"

    Examples
    --------
    >>> contrastive_loss([0.5, 0.5, 3.0], [1, 0, 0], margin=2.0, reduction="none")
    array([0.125, 1.125, 0.   ])
    """
    d, y, margin = _contrastive_terms(distance, similar, margin)
    return _reduce(0.5 * np.where(y == 1, d, np.maximum(0.0, margin - d)) ** 2, reduction)


def contrastive_loss_grad(distance, similar, margin=1.0, reduction="mean"):
    r""":math:`\partial \ell/\partial d = y d - (1 - y)\max(0,\ m - d)` (over N for "mean").

    Gradient with respect to ``distance``, of its shape.
    """
    d, y, margin = _contrastive_terms(distance, similar, margin)
    return _scale(reduction, d.size, np.where(y == 1, d, -np.maximum(0.0, margin - d)))


def _contrastive_terms(distance, similar, margin):
    d, y = _same_shape(("distance", "similar"), distance, similar)
    _check_values(y, "similar", (y == 0) | (y == 1), "labels 1 (similar) or 0 (dissimilar)")
    _check_values(d, "distance", d >= 0, "non-negative distances")
    return d, y, float(margin)


# ---------------------------------------------------------------- triplet
def triplet_loss(anchor, positive, negative, margin=1.0, reduction="mean"):
    r"""Triplet loss (FaceNet) with squared Euclidean distances.

    .. math:: \ell_i = \max\bigl(0,\ \|a_i - p_i\|_2^2 - \|a_i - n_i\|_2^2 + m\bigr)

    Zero once the anchor is closer to the positive than to the negative by at
    least the margin. The lecture's example (D(A,P) = 0.8, D(A,N) = 1.0,
    m = 0.5 gives 0.3) plugs its D straight into this formula: its D are the
    *squared* distances.

    Parameters
    ----------
    anchor, positive, negative : ndarray of shape (N, D) or (D,)
        Embeddings; (D,) is a single triplet.
    margin : float, default 1.0
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over triplets; "none" returns shape (N,).

    Returns
    -------
    float64, or ndarray of shape (N,) for reduction="none"
    """
    *_, gap = _triplet_terms(anchor, positive, negative, margin)
    return _reduce(np.maximum(0.0, gap), reduction)


def triplet_loss_grad(anchor, positive, negative, margin=1.0, reduction="mean"):
    r"""``(d_anchor, d_positive, d_negative)``, each of shape (N, D) or (D,).

    Where the loss is positive: :math:`2(n - p)`, :math:`2(p - a)`,
    :math:`2(a - n)`; zero elsewhere (and on the margin). Over N for "mean".
    """
    a, p, n, gap = _triplet_terms(anchor, positive, negative, margin)
    active = (gap > 0)[..., None]
    return _scale(reduction, gap.size, 2.0 * (n - p) * active, 2.0 * (p - a) * active,
                  2.0 * (a - n) * active)


def _triplet_terms(anchor, positive, negative, margin):
    a, p, n = _same_shape(("anchor", "positive", "negative"), anchor, positive, negative)
    _check_layout(a, "anchor", layout="(N, D) or (D,)")
    gap = np.sum((a - p) ** 2, axis=-1) - np.sum((a - n) ** 2, axis=-1) + margin
    return a, p, n, gap


# ---------------------------------------------------------------- margin ranking
def margin_ranking_loss(s1, s2, y, margin=0.0, reduction="mean"):
    r"""Margin ranking loss, :math:`\ell_i = \max\bigl(0,\ -y_i (s_{1i} - s_{2i}) + m\bigr)`.

    ``y = +1`` means ``s1`` should rank above ``s2`` by at least the margin,
    ``y = -1`` the opposite.

    Parameters
    ----------
    s1, s2 : float or ndarray of shape (N,)
        Scores of the two items of each pair.
    y : float or ndarray of shape (N,)
        Labels -1 or +1.
    margin : float, default 0.0
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over pairs; "none" returns shape (N,).

    Returns
    -------
    float64, or ndarray of shape (N,) for reduction="none"

    Examples
    --------
    >>> margin_ranking_loss([3, 2, 4], [1, 2, 5], [1, 1, -1], margin=1.0, reduction="none")
    array([0., 1., 0.])
    """
    *_, gap = _ranking_terms(s1, s2, y, margin)
    return _reduce(np.maximum(0.0, gap), reduction)


def margin_ranking_loss_grad(s1, s2, y, margin=0.0, reduction="mean"):
    r"""``(d_s1, d_s2)`` = :math:`(-y, +y)` where the loss is positive, else 0.

    Divided by N for "mean"; each of shape (N,).
    """
    y, gap = _ranking_terms(s1, s2, y, margin)
    ds1 = np.where(gap > 0, -y, 0.0)
    return _scale(reduction, gap.size, ds1, -ds1)


def _ranking_terms(s1, s2, y, margin):
    s1, s2, y = _same_shape(("s1", "s2", "y"), s1, s2, y)
    _signs(y, "y")
    return y, margin - y * (s1 - s2)


# ---------------------------------------------------------------- fused, from logits
def binary_cross_entropy_with_logits(y_true, logits, reduction="mean"):
    r"""Binary cross-entropy of :math:`\sigma(z)`, computed from the logit z directly.

    .. math:: \ell = -y\log\sigma(z) - (1-y)\log(1-\sigma(z))
              = (1 - y)\,\mathrm{softplus}(z) + y\,\mathrm{softplus}(-z)

    with :math:`\mathrm{softplus}(z) = \log(1 + e^{z})` from ``logaddexp``:
    exact for every finite z, no clipping needed, and no cancellation for
    confident predictions. Use it to train a sigmoid output unit.

    Parameters
    ----------
    y_true : float or ndarray of shape (...)
        Labels 0 or 1 (soft labels in [0, 1] allowed).
    logits : float or ndarray of shape (...)
        Raw scores z before the sigmoid.
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over all elements.

    Returns
    -------
    float64, or ndarray of shape (...) for reduction="none"
    """
    y, z = _same_shape(("y_true", "logits"), y_true, logits)
    _probabilities(y, "y_true")
    return _reduce((1.0 - y) * np.logaddexp(0.0, z) + y * np.logaddexp(0.0, -z), reduction)


def binary_cross_entropy_with_logits_grad(y_true, logits, reduction="mean"):
    r""":math:`\partial \ell/\partial z = \sigma(z) - y` (over n for "mean"); shape (...)."""
    y, z = _same_shape(("y_true", "logits"), y_true, logits)
    _probabilities(y, "y_true")
    return _scale(reduction, z.size, sigmoid(z) - y)


def softmax_cross_entropy_with_logits(labels, logits, reduction="mean"):
    r"""Cross-entropy of :math:`\mathrm{softmax}(z)`, computed from the logits directly.

    .. math:: \ell_i = -\log \mathrm{softmax}(z_i)_{y_i}
              = \log \sum_k e^{z_{ik}} - z_{i, y_i}

    The log-sum-exp subtracts each row's maximum first, so no ``exp``
    overflows and no probability is rounded to 0 and then logged. Use it to
    train a softmax output layer.

    Parameters
    ----------
    labels : int or ndarray of shape (N,)
        Class indices in [0, K).
    logits : ndarray of shape (N, K) or (K,)
        Raw class scores before the softmax.
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over samples; "none" returns shape (N,).

    Returns
    -------
    float64, or ndarray of shape (N,) for reduction="none"
    """
    lab, z = _softmax_terms(labels, logits)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    log_sum_exp = np.log(np.sum(np.exp(shifted), axis=-1))
    return _reduce(log_sum_exp - _at_labels(shifted, lab), reduction)


def softmax_cross_entropy_with_logits_grad(labels, logits, reduction="mean"):
    r""":math:`\partial \ell_i/\partial z_{ik} = \mathrm{softmax}(z_i)_k - [k = y_i]`.

    Divided by N for "mean"; shape (N, K) or (K,), like ``logits``.
    """
    lab, z = _softmax_terms(labels, logits)
    return _scale(reduction, lab.size, softmax(z) - _onehot(lab, z.shape[-1]))


def _softmax_terms(labels, logits):
    z = as_float(logits, "logits")
    _check_layout(z, "logits")
    return _class_labels(labels, z, "logits"), z


# ---------------------------------------------------------------- registry
class Loss(NamedTuple):
    """A loss and its gradient, looked up by name; unpacks as ``loss, grad``."""

    fn: Callable
    grad: Callable


LOSSES: dict[str, Loss] = {
    fn.__name__: Loss(fn, grad)
    for fn, grad in (
        (mse, mse_grad),
        (mae, mae_grad),
        (huber, huber_grad),
        (binary_cross_entropy, binary_cross_entropy_grad),
        (categorical_cross_entropy, categorical_cross_entropy_grad),
        (sparse_categorical_cross_entropy, sparse_categorical_cross_entropy_grad),
        (kl_divergence, kl_divergence_grad),
        (hinge, hinge_grad),
        (pixel_cross_entropy, pixel_cross_entropy_grad),
        (contrastive_loss, contrastive_loss_grad),
        (triplet_loss, triplet_loss_grad),
        (margin_ranking_loss, margin_ranking_loss_grad),
        (binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad),
        (softmax_cross_entropy_with_logits, softmax_cross_entropy_with_logits_grad),
    )
}


def get(name) -> Loss:
    """Return the :class:`Loss` ``(fn, grad)`` called ``name`` (a :class:`Loss` passes through).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    if isinstance(name, Loss):
        return name
    return lookup(LOSSES, name, "loss")
