r"""Small seeded 2-D datasets for the notebooks and widgets, and real handwritten digits.

Every generator returns a pair ``(X, y)``:

- ``X`` : ndarray of shape (N, 2), float64, the points;
- ``y`` : ndarray of shape (N,), int64, class labels ``0 .. K-1``.

Classes are balanced: their sizes differ by at most one point. The points are
shuffled (with the same generator), so any prefix of the data mixes classes.

Each generator takes ``n`` (number of points), ``noise`` (standard deviation
of the Gaussian jitter added to every coordinate; ``blobs`` calls it ``std``)
and ``rng``:

- an ``int`` seeds a fresh :func:`numpy.random.default_rng`;
- a :class:`numpy.random.Generator` is used as is (and advanced);
- ``None`` means :data:`DEFAULT_SEED`, **not** fresh entropy: a notebook that
  forgets the seed still gets the same data every time it runs, so its
  expected outputs and graded checks stay reproducible.

Use :func:`load` to build a dataset by name (the widgets do), and
:func:`train_test_split` and :func:`one_hot` to prepare it for training.

:func:`digits` is real data: 1,797 handwritten digits as 8x8 images, shipped
with dlkit (``dlkit/datasets/``, provenance and licence in its README), with
a fixed train/validation/test split. Nothing is downloaded.

Examples
--------
>>> X, y = xor(n=8, noise=0.0)
>>> X.shape, X.dtype, y.dtype
((8, 2), dtype('float64'), dtype('int64'))
>>> sorted(y.tolist())
[0, 0, 0, 0, 1, 1, 1, 1]
"""

from __future__ import annotations

import functools
import hashlib
import math
import numbers
from pathlib import Path

import numpy as np

from dlkit._arrays import DEFAULT_SEED, check_int, generator

__all__ = [
    "DEFAULT_SEED",
    "xor_table", "xor", "circles", "blobs", "spiral", "moons",
    "train_test_split", "one_hot",
    "DATASETS", "load",
    "digits", "DIGITS_SPLITS",
]

# ---------------------------------------------------------------- argument checks
# (seeds and counts: dlkit._arrays, for the whole library)
def _check_nonneg(value, name: str) -> float:
    """Return ``value`` as a float, refusing non-numbers, NaN, inf and negatives."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


# ---------------------------------------------------------------- helpers
def _class_sizes(n: int, k: int) -> np.ndarray:
    """Split ``n`` into ``k`` sizes differing by at most one, larger ones first."""
    return np.full(k, n // k) + (np.arange(k) < n % k)


def _finish(X: np.ndarray, y: np.ndarray, noise: float, gen: np.random.Generator):
    """Add Gaussian jitter of std ``noise``, shuffle, and fix the dtypes."""
    if noise > 0:
        X = X + gen.normal(0.0, noise, size=X.shape)
    order = gen.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.int64)


def _labels(sizes: np.ndarray) -> np.ndarray:
    """``[0]*sizes[0] + [1]*sizes[1] + ...`` as an int64 array."""
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


# ---------------------------------------------------------------- datasets
def xor_table():
    """The four points of the XOR truth table, exactly, in table order.

    Returns
    -------
    X : ndarray of shape (4, 2), float64
        ``[[0, 0], [0, 1], [1, 0], [1, 1]]``.
    y : ndarray of shape (4,), int64
        ``[0, 1, 1, 0]``, that is ``x1 XOR x2``.
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def xor(n=200, noise=0.1, rng=0):
    r"""Noisy clouds around the four corners of the unit square, with XOR labels.

    A point near corner :math:`(a, b) \in \{0, 1\}^2` has label
    :math:`a \oplus b`. The corners get ``n // 4`` points each (the first
    ``n % 4``, alternating between the classes, one more), so the two
    classes differ in size by at most one. No straight line separates them:
    the lecture's reason for hidden layers.

    Parameters
    ----------
    n : int, default 200
        Number of points, at least 4 (one per corner).
    noise : float, default 0.1
        Standard deviation of the Gaussian jitter around each corner.
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator; ``None`` means :data:`DEFAULT_SEED`.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64, values in {0, 1}
    """
    n = check_int(n, "n", 4, " (one point per corner)")
    noise, gen = _check_nonneg(noise, "noise"), generator(rng)
    # corners ordered so the classes alternate: remainders stay balanced
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    sizes = _class_sizes(n, 4)
    X = np.repeat(corners, sizes, axis=0)
    y = np.repeat(np.array([0, 1, 0, 1], dtype=np.int64), sizes)
    return _finish(X, y, noise, gen)


def circles(n=200, noise=0.05, factor=0.5, rng=0):
    r"""Two concentric circles: the outer one (radius 1) is class 0, the inner class 1.

    Angles are drawn uniformly on :math:`[0, 2\pi)`.

    Parameters
    ----------
    n : int, default 200
        Number of points, at least 2; the outer circle gets the odd one.
    noise : float, default 0.05
        Standard deviation of the Gaussian jitter.
    factor : float, default 0.5
        Radius of the inner circle, strictly between 0 and 1.
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator; ``None`` means :data:`DEFAULT_SEED`.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64, values in {0, 1}
    """
    n = check_int(n, "n", 2, " (one point per class)")
    noise, gen = _check_nonneg(noise, "noise"), generator(rng)
    factor = _check_nonneg(factor, "factor")
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius) must be strictly between 0 and 1, got {factor}")
    sizes = _class_sizes(n, 2)
    y = _labels(sizes)
    radius = np.where(y == 0, 1.0, factor)
    angle = gen.uniform(0.0, 2 * np.pi, size=n)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _finish(X, y, noise, gen)


def _blob_centers(centers) -> np.ndarray:
    """Centres as a (k, 2) array: ``k`` evenly spaced on a circle of radius 2, or as given."""
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = check_int(centers, "centers", 1)
        angle = np.pi / 2 + 2 * np.pi * np.arange(k) / k
        return 2.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    try:
        arr = np.asarray(centers, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"centers must be an int or an array of shape (k, 2), got {type(centers).__name__}"
        ) from None
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
        raise ValueError(f"expected centers of shape (k, 2) with k >= 1, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("centers must be finite")
    return arr


def blobs(n=200, centers=3, std=0.5, rng=0):
    """Gaussian blobs, one class per centre.

    Parameters
    ----------
    n : int, default 200
        Number of points, at least the number of centres.
    centers : int or array_like of shape (k, 2), default 3
        Either the number of blobs ``k``, placed evenly on a circle of radius
        2 around the origin (the first straight up), or their centres.
    std : float, default 0.5
        Standard deviation of each blob (the jitter the other datasets call
        ``noise``).
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator; ``None`` means :data:`DEFAULT_SEED`.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64, values in ``0 .. k-1`` (blob ``j`` has label ``j``)
    """
    mu = _blob_centers(centers)
    k = len(mu)
    n = check_int(n, "n", k, f" (one point per centre, {k} centres)")
    std, gen = _check_nonneg(std, "std"), generator(rng)
    y = _labels(_class_sizes(n, k))
    return _finish(mu[y], y, std, gen)


def spiral(n=300, classes=3, noise=0.05, rng=0):
    r"""Interleaved spiral arms, one class per arm (the CS231n spiral).

    Arm ``j`` is :math:`s\,(\cos t, \sin t)` with :math:`t = 2\pi(s + j/K)`
    for ``s`` drawn uniformly from :math:`[0.1, 1]`: each arm makes one
    turn outwards, rotated by :math:`2\pi/K` from the previous one.

    Parameters
    ----------
    n : int, default 300
        Number of points, at least ``classes``.
    classes : int, default 3
        Number of arms ``K``, at least 2.
    noise : float, default 0.05
        Standard deviation of the Gaussian jitter.
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator; ``None`` means :data:`DEFAULT_SEED`.

    Returns
    -------
    X : ndarray of shape (n, 2), float64, roughly within the unit disc
    y : ndarray of shape (n,), int64, values in ``0 .. classes-1``
    """
    k = check_int(classes, "classes", 2)
    n = check_int(n, "n", k, " (one point per class)")
    noise, gen = _check_nonneg(noise, "noise"), generator(rng)
    y = _labels(_class_sizes(n, k))
    s = gen.uniform(0.1, 1.0, size=n)
    t = 2 * np.pi * (s + y / k)
    X = s[:, None] * np.column_stack([np.cos(t), np.sin(t)])
    return _finish(X, y, noise, gen)


def moons(n=200, noise=0.1, rng=0):
    r"""Two interleaving half circles.

    Class 0 is the upper half circle :math:`(\cos t, \sin t)`, class 1 the
    lower one :math:`(1 - \cos t, \tfrac12 - \sin t)`, with ``t`` drawn
    uniformly from :math:`[0, \pi]`.

    Parameters
    ----------
    n : int, default 200
        Number of points, at least 2; class 0 gets the odd one.
    noise : float, default 0.1
        Standard deviation of the Gaussian jitter.
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator; ``None`` means :data:`DEFAULT_SEED`.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64, values in {0, 1}
    """
    n = check_int(n, "n", 2, " (one point per class)")
    noise, gen = _check_nonneg(noise, "noise"), generator(rng)
    y = _labels(_class_sizes(n, 2))
    t = gen.uniform(0.0, np.pi, size=n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where((y == 0)[:, None], upper, lower)
    return _finish(X, y, noise, gen)


# ---------------------------------------------------------------- preparing data
def _n_test(test_size, n: int) -> int:
    """Number of test points for ``test_size`` (a fraction or a count) out of ``n``."""
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, numbers.Real) and not isinstance(test_size, bool):
        if not 0 < test_size < 1:
            raise ValueError(f"test_size as a fraction must be strictly between 0 and 1, "
                             f"got {test_size}")
        n_test = math.ceil(float(test_size) * n)
    else:
        raise TypeError(f"test_size must be a fraction or a count, got "
                        f"{type(test_size).__name__}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size={test_size!r} leaves {n_test} of {n} points for testing; "
                         "both the train and the test part need at least one point")
    return n_test


def train_test_split(X, y, test_size=0.25, rng=0):
    """Shuffle the rows (seeded) and split them into a train and a test part.

    No stratification: with small data the class proportions of the parts
    may differ a little from those of the whole.

    Parameters
    ----------
    X : array_like of shape (N, ...)
    y : array_like of shape (N, ...)
    test_size : float or int, default 0.25
        A fraction in (0, 1) (the test part gets ``ceil(test_size * N)``
        rows) or a number of test rows. Both parts must be non-empty.
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator for the shuffle; ``None`` means :data:`DEFAULT_SEED`.

    Returns
    -------
    X_train : ndarray of shape (N - N_test, ...)
    X_test : ndarray of shape (N_test, ...)
    y_train : ndarray of shape (N - N_test, ...)
    y_test : ndarray of shape (N_test, ...)
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y need a first axis of samples, got X {X.shape} and y {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows, "
                         f"got X {X.shape} and y {y.shape}")
    n_test = _n_test(test_size, len(X))
    order = generator(rng).permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def one_hot(y, num_classes=None):
    """One-hot encode integer labels.

    Parameters
    ----------
    y : array_like of shape (N,)
        Labels in ``0 .. num_classes-1`` (integers, or floats with integral values).
    num_classes : int, optional
        Number of classes ``K``; ``max(y) + 1`` when omitted.

    Returns
    -------
    ndarray of shape (N, K), float64
        ``Y[i, y[i]] = 1`` and 0 elsewhere.

    Examples
    --------
    >>> one_hot([1, 0, 2])
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 1.]])
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"expected y of shape (N,), got {arr.shape}")
    if arr.dtype.kind not in "biuf" or (arr.dtype.kind == "f" and not
                                         np.all(np.isfinite(arr) & (arr == np.round(arr)))):
        raise TypeError(f"y must hold integer class labels, got dtype {arr.dtype}")
    labels = arr.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"class labels must be >= 0, got {labels.min()}")
    if num_classes is None:
        k = int(labels.max()) + 1 if labels.size else 0
    else:
        k = check_int(num_classes, "num_classes", 1)
        if labels.size and labels.max() >= k:
            raise ValueError(f"label {labels.max()} does not fit num_classes={k} "
                             f"(labels must be in 0..{k - 1})")
    Y = np.zeros((labels.size, k))
    Y[np.arange(labels.size), labels] = 1.0
    return Y


# ---------------------------------------------------------------- registry
DATASETS = {
    "xor": xor,
    "xor_table": xor_table,
    "circles": circles,
    "moons": moons,
    "blobs": blobs,
    "spiral": spiral,
}
"""Dataset generators by name; :func:`load` looks them up."""


def load(name, **kw):
    """Build the dataset called ``name`` with keyword arguments ``kw``.

    Examples
    --------
    >>> X, y = load("circles", n=10, rng=1)
    >>> X.shape
    (10, 2)

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    try:
        make = DATASETS[name]
    except (KeyError, TypeError):
        known = ", ".join(DATASETS)
        raise ValueError(f"unknown dataset {name!r}; choose one of: {known}") from None
    return make(**kw)


# ---------------------------------------------------------------- real data
_DIGITS_FILE = Path(__file__).with_name("datasets") / "digits.npz"
# sha256 of images.tobytes() + labels.tobytes(): the file is what the README describes
_DIGITS_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"
DIGITS_SPLITS = {"train": 1079, "validation": 359, "test": 359}
"""Rows in each part of :func:`digits`' fixed split (60/20/20, stratified by digit)."""


@functools.lru_cache(maxsize=1)
def _digits_file() -> tuple[np.ndarray, np.ndarray]:
    with np.load(_DIGITS_FILE) as data:
        images, labels = data["images"], data["labels"]
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    if digest != _DIGITS_SHA256 or images.shape != (1797, 8, 8):
        raise RuntimeError(f"{_DIGITS_FILE} is damaged (checksum {digest[:12]}...); "
                           "reinstall dlkit")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@functools.lru_cache(maxsize=1)
def _digits_split() -> dict[str, np.ndarray]:
    """Row indices of each part: per digit, a fixed shuffle cut 60/20/20."""
    _, labels = _digits_file()
    gen = np.random.default_rng(DEFAULT_SEED)
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for digit in range(10):
        rows = gen.permutation(np.flatnonzero(labels == digit))
        n_test = n_val = round(0.2 * len(rows))
        parts["test"].append(rows[:n_test])
        parts["validation"].append(rows[n_test:n_test + n_val])
        parts["train"].append(rows[n_test + n_val:])
    out = {}
    for name, chunks in parts.items():
        rows = gen.permutation(np.concatenate(chunks))   # digits mixed within a part
        rows.setflags(write=False)
        out[name] = rows
    return out


def digits(split="train", *, flatten=True):
    r"""Handwritten digits 0-9 as 8x8 grey images, with a fixed split.

    The UCI "Optical Recognition of Handwritten Digits" data (E. Alpaydin and
    C. Kaynak, 1998; its 1,797-image test set, as scikit-learn ships it): each
    image counts the ink in 4x4 blocks of a 32x32 bitmap, so a pixel is an
    integer 0..16. Here pixels are scaled to ``[0, 1]`` (divided by 16).

    Parameters
    ----------
    split : {"train", "validation", "test", "all"}, default "train"
        Which part: a fixed, stratified 60/20/20 split (1,079 / 359 / 359
        images, every digit about equally often in each), the same on every
        machine; ``"all"`` is the whole file in its own order. Tune on
        ``"validation"``; look at ``"test"`` once, at the end.
    flatten : bool, default True
        ``X`` of shape (N, 64) (row by row, as a network's input), or
        (N, 8, 8) to show the images.

    Returns
    -------
    X : ndarray of shape (N, 64) or (N, 8, 8), float64 in [0, 1]
    y : ndarray of shape (N,), int64, the digit 0..9

    Examples
    --------
    >>> X, y = digits("test")
    >>> X.shape, y.shape, float(X.min()), float(X.max())
    ((359, 64), (359,), 0.0, 1.0)
    """
    if not isinstance(flatten, bool):
        raise TypeError(f"flatten must be True or False, got {flatten!r}")
    images, labels = _digits_file()
    if split == "all":
        rows = np.arange(len(labels))
    else:
        parts = _digits_split()
        if not isinstance(split, str) or split not in parts:
            raise ValueError(f"unknown split {split!r}; choose one of: "
                             f"{', '.join(parts)}, all")
        rows = parts[split]
    X = images[rows].astype(np.float64) / 16.0
    return (X.reshape(len(rows), 64) if flatten else X), labels[rows].astype(np.int64)
