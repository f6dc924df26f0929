"""dlkit.losses against independent oracles.

Oracles: centred finite differences (dlkit.gradcheck.check_loss_gradient),
per-sample closed forms written out with the math module, identities between
the losses, and every number in the lecture's LOSS FUNCTIONS section.

Random inputs keep away from kinks (|r| = delta, y*s = 1, the margins) and
from gradients so small that finite differences lose their digits in the
rounding of the summed loss; each strategy says how.
"""

import doctest
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlkit import losses as L
from dlkit.gradcheck import check_loss_gradient, numerical_gradient, relative_error

REDUCTIONS = ("mean", "sum", "none")
GRAD_TOL = 1e-6  # correct gradients score ~1e-9 here; a wrong formula scores O(1)


# ---------------------------------------------------------------- strategies
def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away(lo, hi, *kinks, gap=0.01):
    """Floats in [lo, hi] at least ``gap`` from every kink."""
    return floats(lo, hi).filter(lambda v: all(abs(v - k) > gap for k in kinks))


def signed(draw, magnitudes):
    """The array ``magnitudes`` with random signs."""
    flip = draw(arrays(np.bool_, magnitudes.shape))
    return np.where(flip, -magnitudes, magnitudes)


PROB = floats(0.05, 0.95)
# a target is 0 or clearly positive, so no gradient -y/p is tiny but non-zero
TARGET = st.one_of(st.just(0.0), floats(0.1, 1.0))
SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
ROWS = st.one_of(st.tuples(st.integers(1, 4), st.integers(2, 5)), st.tuples(st.integers(2, 5)))
PIXELS = st.tuples(*[st.integers(1, 3)] * 3, st.integers(2, 4))


def labels_for(draw, shape):
    return draw(arrays(np.int64, shape[:-1], elements=st.integers(0, shape[-1] - 1)))


def zero_one(draw, shape):
    return draw(arrays(np.bool_, shape)).astype(np.float64)


def plus_minus_one(draw, shape):
    return 2.0 * zero_one(draw, shape) - 1.0


@st.composite
def regression(draw, name):
    """y, y_pred with residuals in 0.05 <= |r| <= 4, away from |r| = delta."""
    shape = draw(SHAPES)
    y = draw(arrays(np.float64, shape, elements=floats(-3, 3)))
    delta = draw(st.sampled_from([0.5, 1.0, 2.0]))
    r = signed(draw, draw(arrays(np.float64, shape, elements=away(0.05, 4, delta))))
    return (y, y + r), ({"delta": delta} if name == "huber" else {})


@st.composite
def binary(draw):
    shape = draw(SHAPES)
    return (zero_one(draw, shape), draw(arrays(np.float64, shape, elements=PROB))), {}


@st.composite
def distributions(draw):
    shape = draw(ROWS)
    target = draw(arrays(np.float64, shape, elements=TARGET))
    return (target, draw(arrays(np.float64, shape, elements=PROB))), {}


@st.composite
def sparse(draw, shapes=ROWS):
    shape = draw(shapes)
    return (labels_for(draw, shape), draw(arrays(np.float64, shape, elements=PROB))), {}


@st.composite
def hinge_inputs(draw):
    shape = draw(SHAPES)
    scores = draw(arrays(np.float64, shape, elements=away(-3, 3, -1, 1)))
    return (plus_minus_one(draw, shape), scores), {}


@st.composite
def contrastive_inputs(draw):
    n, margin = draw(st.integers(1, 6)), draw(st.sampled_from([0.5, 1.0, 2.0]))
    distance = draw(arrays(np.float64, (n,), elements=away(0.05, 3, margin)))
    return (distance, zero_one(draw, (n,))), {"margin": margin}


@st.composite
def triplet_inputs(draw):
    shape = draw(st.one_of(st.tuples(st.integers(1, 4), st.integers(1, 4)),
                           st.tuples(st.integers(1, 4))))
    a = draw(arrays(np.float64, shape, elements=floats(-2, 2)))
    offsets = floats(0.1, 2)
    p = a + signed(draw, draw(arrays(np.float64, shape, elements=offsets)))
    n = a + signed(draw, draw(arrays(np.float64, shape, elements=offsets)))
    margin = draw(st.sampled_from([0.2, 1.0]))
    gap = np.sum((a - p) ** 2, axis=-1) - np.sum((a - n) ** 2, axis=-1) + margin
    assume(np.all(np.abs(gap) > 0.01) and np.all(np.abs(n - p) > 0.05))
    return (a, p, n), {"margin": margin}


@st.composite
def ranking_inputs(draw):
    n, margin = draw(st.integers(1, 6)), draw(st.sampled_from([0.0, 0.5, 1.0]))
    s1, s2 = (draw(arrays(np.float64, (n,), elements=floats(-3, 3))) for _ in "12")
    y = plus_minus_one(draw, (n,))
    assume(np.all(np.abs(margin - y * (s1 - s2)) > 0.01))
    return (s1, s2, y), {"margin": margin}


@st.composite
def binary_logits(draw):
    shape = draw(SHAPES)  # moderate logits: sigmoid(z) - y stays above 2e-3
    return (zero_one(draw, shape), draw(arrays(np.float64, shape, elements=floats(-6, 6)))), {}


@st.composite
def class_logits(draw):
    shape = draw(ROWS)  # moderate logits: every softmax entry stays above 5e-4
    return (labels_for(draw, shape), draw(arrays(np.float64, shape, elements=floats(-3, 3)))), {}


# name -> (strategy drawing (args, kwargs), positions of the prediction arguments)
CASES = {
    "mse": (regression("mse"), (1,)),
    "mae": (regression("mae"), (1,)),
    "huber": (regression("huber"), (1,)),
    "binary_cross_entropy": (binary(), (1,)),
    "categorical_cross_entropy": (distributions(), (1,)),
    "sparse_categorical_cross_entropy": (sparse(), (1,)),
    "kl_divergence": (distributions(), (1,)),
    "hinge": (hinge_inputs(), (1,)),
    "pixel_cross_entropy": (sparse(PIXELS), (1,)),
    "contrastive_loss": (contrastive_inputs(), (0,)),
    "triplet_loss": (triplet_inputs(), (0, 1, 2)),
    "margin_ranking_loss": (ranking_inputs(), (0, 1)),
    "binary_cross_entropy_with_logits": (binary_logits(), (1,)),
    "softmax_cross_entropy_with_logits": (class_logits(), (1,)),
}


def test_every_registered_loss_is_tested():
    assert set(CASES) == set(L.LOSSES)


# ---------------------------------------------------------------- gradients
def gradient_error(name, args, kwargs):
    """check_loss_gradient on the loss's prediction arguments, whatever their positions.

    The loss is summed, so for reduction="none" the gradient is checked against
    the derivative of every sample's own loss, as documented.
    """
    loss, grad = L.get(name)
    positions = CASES[name][1]

    def call(fn, preds):
        full = list(args)
        for i, p in zip(positions, preds, strict=True):
            full[i] = p
        return fn(*full, **kwargs)

    return check_loss_gradient(
        lambda _, *preds: np.sum(call(loss, preds)), lambda _, *preds: call(grad, preds),
        None, *(args[i] for i in positions),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASES)
@given(data=st.data())
def test_gradient_matches_finite_differences(name, reduction, data):
    args, kwargs = data.draw(CASES[name][0])
    assert gradient_error(name, args, {**kwargs, "reduction": reduction}) < GRAD_TOL


def test_gradient_check_tells_right_from_wrong():
    """The adapters and the tolerance have teeth: a gradient off by 2 or by a sign fails."""
    y, p = np.array([0.0, 1.0, 1.0]), np.array([0.2, 0.6, 0.9])
    num = numerical_gradient(lambda v: L.binary_cross_entropy(y, v), p.copy())
    assert relative_error(L.binary_cross_entropy_grad(y, p), num) < 1e-8
    assert relative_error(2 * L.binary_cross_entropy_grad(y, p), num) > 0.1
    args = (np.zeros((1, 2)), np.array([[0.5, 0.0]]), np.array([[0.0, 0.6]]))
    assert gradient_error("triplet_loss", args, {"margin": 1.0}) < 1e-8
    original = L.LOSSES["triplet_loss"]
    L.LOSSES["triplet_loss"] = L.Loss(original.fn, lambda *a, **k: tuple(
        -g for g in original.grad(*a, **k)))
    try:
        assert gradient_error("triplet_loss", args, {"margin": 1.0}) > 0.1
    finally:
        L.LOSSES["triplet_loss"] = original


# ---------------------------------------------------------------- closed forms
def rows(x):
    x = np.asarray(x, dtype=float)
    return x.reshape(-1, x.shape[-1])


def huber_oracle(y, p, delta=1.0):
    r = abs(y - p)
    return 0.5 * r * r if r <= delta else delta * r - 0.5 * delta * delta


def sigmoid_oracle(z):
    return 1.0 / (1.0 + math.exp(-z))


def each(*arrays):
    """Matching elements (or rows, for 2-D ``rows(...)``) of same-length arrays."""
    return zip(*arrays, strict=True)


def flat(*arrays):
    return each(*(np.ravel(x) for x in arrays))


# name -> per-sample losses as a flat list, written out with the math module
ORACLES = {
    "mse": lambda y, p: [(a - b) ** 2 for a, b in flat(y, p)],
    "mae": lambda y, p: [abs(a - b) for a, b in flat(y, p)],
    "huber": lambda y, p, delta: [huber_oracle(a, b, delta) for a, b in flat(y, p)],
    "binary_cross_entropy": lambda y, p: [
        -(a * math.log(b) + (1 - a) * math.log(1 - b)) for a, b in flat(y, p)],
    "categorical_cross_entropy": lambda y, p: [
        -math.fsum(a * math.log(b) for a, b in each(yr, pr)) for yr, pr in each(rows(y), rows(p))],
    "sparse_categorical_cross_entropy": lambda lab, p: [
        -math.log(pr[int(k)]) for k, pr in each(np.ravel(lab), rows(p))],
    "kl_divergence": lambda p, q: [
        math.fsum(a * math.log(a / b) for a, b in each(pr, qr) if a > 0)
        for pr, qr in each(rows(p), rows(q))],
    "hinge": lambda y, s: [max(0.0, 1 - a * b) for a, b in flat(y, s)],
    "contrastive_loss": lambda d, y, margin: [
        0.5 * (b * a**2 + (1 - b) * max(0.0, margin - a) ** 2) for a, b in flat(d, y)],
    "triplet_loss": lambda a, p, n, margin: [
        max(0.0, math.fsum((u - v) ** 2 for u, v in each(ar, pr))
            - math.fsum((u - w) ** 2 for u, w in each(ar, nr)) + margin)
        for ar, pr, nr in each(rows(a), rows(p), rows(n))],
    "margin_ranking_loss": lambda s1, s2, y, margin: [
        max(0.0, -c * (a - b) + margin) for a, b, c in flat(s1, s2, y)],
    "binary_cross_entropy_with_logits": lambda y, z: [
        -(a * math.log(sigmoid_oracle(b)) + (1 - a) * math.log(1 - sigmoid_oracle(b)))
        for a, b in flat(y, z)],
    "softmax_cross_entropy_with_logits": lambda lab, z: [
        math.log(math.fsum(math.exp(v) for v in zr)) - zr[int(k)]
        for k, zr in each(np.ravel(lab), rows(z))],
}
ORACLES["pixel_cross_entropy"] = ORACLES["sparse_categorical_cross_entropy"]


@pytest.mark.parametrize("name", CASES)
@given(data=st.data())
def test_per_sample_values_match_closed_forms(name, data):
    args, kwargs = data.draw(CASES[name][0])
    per_sample = L.get(name).fn(*args, **kwargs, reduction="none")
    expected = ORACLES[name](*args, **kwargs)
    np.testing.assert_allclose(np.ravel(per_sample), expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- reductions
def fixed_args(name):
    """One deterministic draw per loss, with several samples."""
    rng = np.random.default_rng(sum(map(ord, name)))
    probs = rng.dirichlet(np.ones(3), size=(4,))
    labels = rng.integers(0, 3, size=4)
    return {
        "mse": (rng.normal(size=(2, 3)), rng.normal(size=(2, 3))),
        "mae": (rng.normal(size=(2, 3)), rng.normal(size=(2, 3))),
        "huber": (rng.normal(size=(2, 3)), 3 * rng.normal(size=(2, 3))),
        "binary_cross_entropy": (rng.integers(0, 2, size=5), rng.uniform(0.01, 0.99, size=5)),
        "categorical_cross_entropy": (np.eye(3)[labels], probs),
        "sparse_categorical_cross_entropy": (labels, probs),
        "kl_divergence": (rng.dirichlet(np.ones(3), size=4), probs),
        "hinge": (rng.choice([-1, 1], size=5), rng.normal(size=5)),
        "pixel_cross_entropy": (rng.integers(0, 3, size=(2, 2, 3)),
                                rng.dirichlet(np.ones(3), size=(2, 2, 3))),
        "contrastive_loss": (rng.uniform(0, 2, size=5), rng.integers(0, 2, size=5)),
        "triplet_loss": tuple(rng.normal(size=(4, 2)) for _ in range(3)),
        "margin_ranking_loss": (rng.normal(size=5), rng.normal(size=5),
                                rng.choice([-1, 1], size=5)),
        "binary_cross_entropy_with_logits": (rng.integers(0, 2, size=5), 3 * rng.normal(size=5)),
        "softmax_cross_entropy_with_logits": (labels, 3 * rng.normal(size=(4, 3))),
    }[name]


SAMPLE_SHAPE = {  # shape of reduction="none" for fixed_args
    "mse": (2, 3), "mae": (2, 3), "huber": (2, 3), "binary_cross_entropy": (5,),
    "categorical_cross_entropy": (4,), "sparse_categorical_cross_entropy": (4,),
    "kl_divergence": (4,), "hinge": (5,), "pixel_cross_entropy": (2, 2, 3),
    "contrastive_loss": (5,), "triplet_loss": (4,), "margin_ranking_loss": (5,),
    "binary_cross_entropy_with_logits": (5,), "softmax_cross_entropy_with_logits": (4,),
}


def as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


@pytest.mark.parametrize("name", CASES)
def test_reductions_agree(name):
    loss, grad = L.get(name)
    args = fixed_args(name)
    before = [np.copy(a) for a in args]
    per_sample = loss(*args, reduction="none")
    n = math.prod(SAMPLE_SHAPE[name])
    assert per_sample.shape == SAMPLE_SHAPE[name]
    total, mean = loss(*args, reduction="sum"), loss(*args)
    assert isinstance(total, np.float64) and isinstance(mean, np.float64)
    assert total == pytest.approx(math.fsum(per_sample.ravel()), rel=1e-12)
    assert total == pytest.approx(n * mean, rel=1e-12)

    g_mean, g_sum, g_none = (as_tuple(grad(*args, reduction=r)) for r in REDUCTIONS)
    positions = CASES[name][1]
    for i, gm, gs, gn in zip(positions, g_mean, g_sum, g_none, strict=True):
        assert gm.shape == gs.shape == np.shape(args[i])
        np.testing.assert_allclose(n * gm, gs, rtol=1e-12)
        np.testing.assert_array_equal(gn, gs)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)  # inputs untouched


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("reduction", ["avg", "MEAN", None, ""])
def test_unknown_reduction_is_refused(name, reduction):
    loss, grad = L.get(name)
    for fn in (loss, grad):
        with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
            fn(*fixed_args(name), reduction=reduction)


def test_scalars_in_float64_scalars_out():
    for value in (L.mse(1, 3), L.mse(1, 3, reduction="none"), L.mse_grad(1, 3),
                  L.hinge(1, 0.5), L.binary_cross_entropy(1, 0.5, reduction="none")):
        assert isinstance(value, np.float64)
    assert L.mse(1, 3) == 4.0 and L.mse_grad(1, 3) == 4.0


def test_empty_input_sums_to_zero_and_cannot_be_averaged():
    assert L.mse([], [], reduction="sum") == 0.0
    with pytest.raises(ValueError, match="zero samples"):
        L.mse([], [])
    with pytest.raises(ValueError, match="zero samples"):
        L.mse_grad([], [])


# ---------------------------------------------------------------- the lecture's numbers
def test_binary_cross_entropy_lecture_example():
    # "True = 1, Predicted = 0.01 -> Loss = -log(0.01) ~ 4.6"
    assert L.binary_cross_entropy(1, 0.01) == pytest.approx(-math.log(0.01), rel=1e-12)
    assert L.binary_cross_entropy(1, 0.01) == pytest.approx(4.605170185988091, rel=1e-12)
    assert round(float(L.binary_cross_entropy(1, 0.01)), 1) == 4.6
    # confident and correct: tiny; confident and wrong: large
    assert L.binary_cross_entropy(1, 0.99) < 0.011 < 4.6 < L.binary_cross_entropy(0, 0.99)


def test_categorical_cross_entropy_lecture_example():
    # true = dog -> [0, 1, 0]; predictions [0.1, 0.7, 0.2] and [0.7, 0.2, 0.1]
    good = L.categorical_cross_entropy([0, 1, 0], [0.1, 0.7, 0.2])
    bad = L.categorical_cross_entropy([0, 1, 0], [0.7, 0.2, 0.1])
    assert good == pytest.approx(-math.log(0.7), rel=1e-12)
    assert good == pytest.approx(0.35667494393873245, rel=1e-12)
    assert bad == pytest.approx(-math.log(0.2), rel=1e-12) and bad > good
    # the lecture's formula is the sum over samples
    both = L.categorical_cross_entropy([[0, 1, 0]] * 2, [[0.1, 0.7, 0.2], [0.7, 0.2, 0.1]],
                                       reduction="sum")
    assert both == pytest.approx(-math.log(0.7) - math.log(0.2), rel=1e-12)


def test_sparse_equals_categorical_lecture_example():
    # "true label = dog -> stored as 1 (instead of [0,1,0]) ... same result"
    sparse = L.sparse_categorical_cross_entropy(1, [0.1, 0.7, 0.2])
    assert sparse == L.categorical_cross_entropy([0, 1, 0], [0.1, 0.7, 0.2])
    assert sparse == pytest.approx(-math.log(0.7), rel=1e-12)


@given(data=sparse())
def test_sparse_equals_categorical_with_one_hot(data):
    (labels, probs), _ = data
    onehot = np.eye(probs.shape[-1])[labels]
    for r in REDUCTIONS:
        np.testing.assert_allclose(L.sparse_categorical_cross_entropy(labels, probs, reduction=r),
                                   L.categorical_cross_entropy(onehot, probs, reduction=r),
                                   rtol=1e-13)
        np.testing.assert_allclose(
            L.sparse_categorical_cross_entropy_grad(labels, probs, reduction=r),
            L.categorical_cross_entropy_grad(onehot, probs, reduction=r), rtol=1e-13)


def test_kl_divergence_lecture_example():
    p, close, far = [0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]
    kl_close = 0.7 * math.log(0.7 / 0.6) + 0.2 * math.log(0.2 / 0.3) + 0.1 * math.log(1.0)
    kl_far = 0.7 * math.log(0.7 / 0.1) + 0.2 * math.log(0.2 / 0.8) + 0.1 * math.log(1.0)
    assert L.kl_divergence(p, close) == pytest.approx(kl_close, rel=1e-12)  # 0.0268
    assert L.kl_divergence(p, far) == pytest.approx(kl_far, rel=1e-12)  # 1.0849
    assert round(kl_close, 4) == 0.0268 and round(kl_far, 4) == 1.0849
    assert L.kl_divergence(p, close) < L.kl_divergence(p, far)
    # not symmetric
    kl_reverse = 0.1 * math.log(0.1 / 0.7) + 0.8 * math.log(0.8 / 0.2) + 0.1 * math.log(1.0)
    assert L.kl_divergence(far, p) == pytest.approx(kl_reverse, rel=1e-12)
    assert abs(L.kl_divergence(far, p) - L.kl_divergence(p, far)) > 0.1
    assert L.kl_divergence(p, p) == 0.0


def test_kl_zero_log_zero_is_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = L.kl_divergence([0.0, 0.5, 0.5], [0.2, 0.4, 0.4])
        grad = L.kl_divergence_grad([0.0, 0.5, 0.5], [0.2, 0.4, 0.4])
    assert value == pytest.approx(math.log(0.5 / 0.4), rel=1e-12)
    np.testing.assert_allclose(grad, [0.0, -0.5 / 0.4, -0.5 / 0.4], rtol=1e-12)


def test_hinge_lecture_examples():
    # true label +1, scores 2, 0.5, -0.5 -> 0, 0.5, 1.5
    np.testing.assert_allclose(L.hinge([1, 1, 1], [2.0, 0.5, -0.5], reduction="none"),
                               [0.0, 0.5, 1.5], rtol=1e-15)
    assert L.hinge([1, 1, 1], [2.0, 0.5, -0.5]) == pytest.approx(2.0 / 3, rel=1e-15)
    np.testing.assert_array_equal(L.hinge_grad([1, 1, 1], [2.0, 0.5, -0.5], reduction="sum"),
                                  [0.0, -1.0, -1.0])
    assert L.hinge_grad(-1, 1.0, reduction="sum") == 1.0  # wrong side: pushes the score down
    assert L.hinge_grad(1, 1.0, reduction="sum") == 0.0  # on the kink: subgradient 0


def test_pixel_cross_entropy_lecture_example():
    # one pixel, true class index 1 ("class 2" counting from 1)
    probs = np.array([[[[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]]]])  # (N, H, W, C) = (1, 1, 2, 3)
    labels = np.array([[[1, 1]]])
    per_pixel = L.pixel_cross_entropy(labels, probs, reduction="none")
    assert per_pixel.shape == (1, 1, 2)
    np.testing.assert_allclose(per_pixel[0, 0], [-math.log(0.7), -math.log(0.1)], rtol=1e-12)
    assert round(float(per_pixel[0, 0, 0]), 4) == 0.3567
    assert per_pixel[0, 0, 1] == pytest.approx(2.302585092994046, rel=1e-12)
    assert L.pixel_cross_entropy(labels, probs) == pytest.approx(
        (-math.log(0.7) - math.log(0.1)) / 2, rel=1e-12)


@given(data=sparse(PIXELS))
def test_pixel_cross_entropy_is_sparse_over_all_pixels(data):
    (labels, probs), _ = data
    flat_labels, flat_probs = labels.reshape(-1), probs.reshape(-1, probs.shape[-1])
    assert L.pixel_cross_entropy(labels, probs) == pytest.approx(
        L.sparse_categorical_cross_entropy(flat_labels, flat_probs), rel=1e-13)


def test_contrastive_lecture_examples():
    # margin 2; similar d=0.5, dissimilar d=0.5, dissimilar d=3
    d, similar = [0.5, 0.5, 3.0], [1, 0, 0]
    per_pair = L.contrastive_loss(d, similar, margin=2.0, reduction="none")
    np.testing.assert_allclose(per_pair, [0.5 * 0.5**2, 0.5 * (2 - 0.5) ** 2, 0.0], rtol=1e-15)
    np.testing.assert_allclose(per_pair, [0.125, 1.125, 0.0], rtol=1e-15)
    # the slide's examples omit the formula's 1/2
    np.testing.assert_allclose(2 * per_pair, [0.25, 2.25, 0.0], rtol=1e-15)
    # "mean" is the lecture's 1/(2N) sum
    assert L.contrastive_loss(d, similar, margin=2.0) == pytest.approx(
        (0.5**2 + (2 - 0.5) ** 2 + 0.0) / (2 * 3), rel=1e-15)
    np.testing.assert_allclose(
        L.contrastive_loss_grad(d, similar, margin=2.0, reduction="sum"), [0.5, -1.5, 0.0])


def test_triplet_lecture_examples():
    # 1-D embeddings whose squared distances are the slide's D(A,P) = 0.8 and D(A,N) = 1.0
    anchor, positive = np.zeros(1), np.array([math.sqrt(0.8)])
    assert L.triplet_loss(anchor, positive, np.array([1.0]), margin=0.5) == pytest.approx(
        0.8 - 1.0 + 0.5, rel=1e-12)
    assert L.triplet_loss(anchor, positive, np.array([1.0]), margin=0.5) == pytest.approx(0.3)
    # D(A,N) = 2.0: good separation, no penalty and no gradient
    negative = np.array([math.sqrt(2.0)])
    assert L.triplet_loss(anchor, positive, negative, margin=0.5) == 0.0
    for g in L.triplet_loss_grad(anchor, positive, negative, margin=0.5):
        np.testing.assert_array_equal(g, [0.0])


def test_margin_ranking_lecture_examples():
    # margin 1: (y=+1, 3, 1) -> 0; (+1, 2, 2) -> 1; (-1, 4, 5) -> 0
    s1, s2, y = [3.0, 2.0, 4.0], [1.0, 2.0, 5.0], [1, 1, -1]
    np.testing.assert_array_equal(
        L.margin_ranking_loss(s1, s2, y, margin=1.0, reduction="none"), [0.0, 1.0, 0.0])
    ds1, ds2 = L.margin_ranking_loss_grad(s1, s2, y, margin=1.0, reduction="sum")
    np.testing.assert_array_equal(ds1, [0.0, -1.0, 0.0])  # raise s1, lower s2
    np.testing.assert_array_equal(ds2, [0.0, 1.0, 0.0])
    assert L.margin_ranking_loss(2.0, 2.0, 1) == 0.0  # default margin 0


# ---------------------------------------------------------------- huber
@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_is_continuous_with_continuous_slope_at_delta(delta):
    for sign in (1, -1):
        below, above = sign * delta * (1 - 1e-9), sign * delta * (1 + 1e-9)
        assert L.huber(0.0, below, delta) == pytest.approx(0.5 * delta**2, rel=1e-8)
        assert L.huber(0.0, above, delta) == pytest.approx(0.5 * delta**2, rel=1e-8)
        assert L.huber_grad(0.0, below, delta) == pytest.approx(sign * delta, rel=1e-8)
        assert L.huber_grad(0.0, above, delta) == pytest.approx(sign * delta, rel=1e-8)


@given(y=arrays(np.float64, 5, elements=floats(-3, 3)),
       r=arrays(np.float64, 5, elements=floats(-1, 1)))
def test_huber_is_half_mse_inside(y, r):
    np.testing.assert_allclose(L.huber(y, y + r), 0.5 * L.mse(y, y + r), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(L.huber_grad(y, y + r), 0.5 * L.mse_grad(y, y + r), atol=1e-15)


@given(r=arrays(np.float64, 5, elements=away(1.0, 1e6, 1.0)), delta=floats(0.1, 1.0))
def test_huber_is_shifted_mae_outside(r, delta):
    # delta * |r| - delta^2 / 2: linear like MAE, slope delta
    y = np.zeros(5)
    assert L.huber(y, r, delta) == pytest.approx(delta * L.mae(y, r) - 0.5 * delta**2, rel=1e-12)
    np.testing.assert_allclose(L.huber_grad(y, -r, delta), delta * L.mae_grad(y, -r))
    # so for large residuals huber / delta ~ MAE
    assert L.huber(0.0, 1e6) / L.mae(0.0, 1e6) == pytest.approx(1.0, rel=1e-6)


def test_mae_subgradient_at_zero_residual():
    np.testing.assert_array_equal(L.mae_grad([1.0, 1.0, 1.0], [0.0, 1.0, 2.0], reduction="sum"),
                                  [-1.0, 0.0, 1.0])


# ---------------------------------------------------------------- fused losses
@given(y=arrays(np.float64, 6, elements=floats(0, 1)),
       z=arrays(np.float64, 6, elements=floats(-15, 15)))
def test_bce_with_logits_equals_bce_of_sigmoid(y, z):
    p = 1 / (1 + np.exp(-z))
    assert L.binary_cross_entropy_with_logits(y, z) == pytest.approx(
        L.binary_cross_entropy(y, p), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(L.binary_cross_entropy_with_logits_grad(y, z, reduction="sum"),
                               p - y, atol=1e-15)


@given(data=class_logits())
def test_softmax_cross_entropy_equals_sparse_of_softmax(data):
    (labels, z), _ = data
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    s = e / e.sum(axis=-1, keepdims=True)
    assert L.softmax_cross_entropy_with_logits(labels, z) == pytest.approx(
        L.sparse_categorical_cross_entropy(labels, s), rel=1e-12)
    onehot = np.eye(z.shape[-1])[labels]
    np.testing.assert_allclose(L.softmax_cross_entropy_with_logits_grad(labels, z),
                               (s - onehot) / max(1, labels.size), atol=1e-15)


# ---------------------------------------------------------------- extremes
EXTREME_ARGS = {
    "mse": ([-1000.0, 0.0, 1e6], [1000.0, 0.0, -1e6]),
    "mae": ([-1000.0, 0.0, 1e300], [1000.0, 0.0, -1e300]),
    "huber": ([-1000.0, 0.0, 1e300], [1000.0, 0.0, -1e300]),
    "binary_cross_entropy": ([0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]),
    "categorical_cross_entropy": ([[1, 0, 0], [0, 1, 0]], [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
    "sparse_categorical_cross_entropy": ([0, 1], [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
    "kl_divergence": ([[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]),
    "hinge": ([1, -1, 1, -1], [-1000.0, -1000.0, 1000.0, 1e300]),
    "pixel_cross_entropy": ([[[0, 1]]], [[[[0.0, 1.0], [0.0, 1.0]]]]),
    "contrastive_loss": ([0.0, 1000.0, 0.0, 1e300], [1, 1, 0, 0]),
    "triplet_loss": ([[1000.0, -1000.0], [0.0, 0.0]], [[-1000.0, 1000.0], [0.0, 0.0]],
                     [[0.0, 0.0], [0.0, 0.0]]),
    "margin_ranking_loss": ([1000.0, -1000.0], [-1000.0, 1000.0], [1, 1]),
    "binary_cross_entropy_with_logits": ([0, 1, 0, 1, 0.5], [-1000.0, -1000.0, 1000.0, 1000.0,
                                                              1e300]),
    "softmax_cross_entropy_with_logits": ([0, 1, 2], [[1000.0, -1000.0, 0.0]] * 3),
}


@pytest.mark.parametrize("name", CASES)
def test_extreme_inputs_are_silent_and_finite(name):
    loss, grad = L.get(name)
    args = EXTREME_ARGS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for r in REDUCTIONS:
            assert np.all(np.isfinite(loss(*args, reduction=r)))
            for g in as_tuple(grad(*args, reduction=r)):
                assert np.all(np.isfinite(g))


def test_extreme_values_are_right():
    cap = -math.log(L.EPS)  # a certain mistake costs -log(EPS) ~ 27.63, not inf
    np.testing.assert_allclose(
        L.binary_cross_entropy([0, 1, 0, 1], [0.0, 0.0, 1.0, 1.0], reduction="none"),
        [0.0, cap, cap, 0.0], rtol=1e-5, atol=1e-11)  # 1 - (1 - EPS) rounds a little
    assert L.sparse_categorical_cross_entropy(0, [0.0, 1.0]) == pytest.approx(cap)
    assert L.kl_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(cap)
    np.testing.assert_allclose(
        L.binary_cross_entropy_with_logits([0, 1, 0, 1], [-1000.0, -1000.0, 1000.0, 1000.0],
                                           reduction="none"), [0.0, 1000.0, 1000.0, 0.0])
    # tiny losses keep their digits: log(1 + e^-40) = e^-40 to within rounding
    assert L.binary_cross_entropy_with_logits(1, 40.0) == pytest.approx(math.exp(-40), rel=1e-12)
    np.testing.assert_allclose(
        L.softmax_cross_entropy_with_logits([0, 1, 2], [[1000.0, -1000.0, 0.0]] * 3,
                                            reduction="none"), [0.0, 2000.0, 1000.0])
    np.testing.assert_allclose(
        L.softmax_cross_entropy_with_logits_grad([0], [[1000.0, -1000.0, 0.0]]), [[0, 0, 0]],
        atol=1e-300)
    assert L.hinge(-1, 1e300) == 1e300


# ---------------------------------------------------------------- bad inputs
def test_shape_mismatch_names_both_shapes():
    msg = "y_true and y_pred must have the same shape, got y_true (3,) and y_pred (3, 1)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.mse([1.0, 2.0, 3.0], [[1.0], [2.0], [3.0]])


MISMATCHED = {
    "mse": ([1.0, 2.0], [1.0]),
    "mae": ([1.0, 2.0], [1.0]),
    "huber": ([1.0, 2.0], [[1.0, 2.0]]),
    "binary_cross_entropy": ([1.0, 0.0], [0.5]),
    "categorical_cross_entropy": ([[0, 1]], [[0.5, 0.5], [0.5, 0.5]]),
    "sparse_categorical_cross_entropy": ([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]]),
    "kl_divergence": ([0.5, 0.5], [0.2, 0.3, 0.5]),
    "hinge": ([1, -1], [0.5, 0.5, 0.5]),
    "pixel_cross_entropy": ([[[0, 1]]], [[[[0.5, 0.5]]]]),
    "contrastive_loss": ([0.5, 1.0], [1]),
    "triplet_loss": ([[0.0, 0.0]], [[1.0, 1.0]], [1.0, 1.0]),
    "margin_ranking_loss": ([1.0, 2.0], [1.0, 2.0], [1]),
    "binary_cross_entropy_with_logits": ([1.0, 0.0], [0.5]),
    "softmax_cross_entropy_with_logits": ([0, 1, 2], [[1.0, 2.0], [3.0, 4.0]]),
}


@pytest.mark.parametrize("name", CASES)
def test_every_shape_mismatch_is_refused_naming_the_shapes(name):
    loss, grad = L.get(name)
    for fn in (loss, grad):
        with pytest.raises(ValueError, match=r"must have (the same )?shape.*got .*\(.*\)"):
            fn(*MISMATCHED[name])


@pytest.mark.parametrize("labels,message", [
    ([0, 3], "labels must hold integer class indices in [0, 3), got 3"),
    ([0, -1], "labels must hold integer class indices in [0, 3), got -1"),
    ([0.0, 1.5], "labels must hold integer class indices in [0, 3), got 1.5"),
    ([0, 1, 2], "labels must have shape (2,) to match probs (2, 3), got labels (3,)"),
])
def test_bad_class_labels(labels, message):
    probs = [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]
    for fn in (L.sparse_categorical_cross_entropy, L.sparse_categorical_cross_entropy_grad):
        with pytest.raises(ValueError, match=re.escape(message)):
            fn(labels, probs)
    with pytest.raises(ValueError, match=re.escape(message.replace("probs", "logits"))):
        L.softmax_cross_entropy_with_logits(labels, probs)


def test_whole_number_float_labels_are_accepted():
    assert L.sparse_categorical_cross_entropy(np.array([1.0]), [[0.3, 0.7]]) == pytest.approx(
        -math.log(0.7))


@pytest.mark.parametrize("call,message", [
    (lambda: L.pixel_cross_entropy([0, 1], [[0.5, 0.5], [0.5, 0.5]]),
     "expected probs of shape (N, H, W, C), got (2, 2)"),
    (lambda: L.categorical_cross_entropy(0.5, 0.5),
     "expected y_pred of shape (N, K) or (K,), got ()"),
    (lambda: L.triplet_loss(1.0, 2.0, 3.0), "expected anchor of shape (N, D) or (D,), got ()"),
    (lambda: L.softmax_cross_entropy_with_logits(0, np.zeros((1, 1, 2))),
     "expected logits of shape (N, K) or (K,), got (1, 1, 2)"),
    (lambda: L.hinge([1, 0], [0.5, 0.5]), "y_true must hold labels -1 or +1, got 0"),
    (lambda: L.margin_ranking_loss(1.0, 2.0, 0), "y must hold labels -1 or +1, got 0"),
    (lambda: L.binary_cross_entropy([1, 0], [2.5, 0.5]),
     "y_pred must hold probabilities in [0, 1], got 2.5"),
    (lambda: L.binary_cross_entropy_with_logits([1, 2], [2.5, 0.5]),
     "y_true must hold probabilities in [0, 1], got 2"),
    (lambda: L.kl_divergence([0.5, 0.5], [-0.1, 1.1]),
     "q_pred must hold probabilities in [0, 1], got -0.1"),
    (lambda: L.contrastive_loss([0.5], [2]), "similar must hold labels 1 (similar) or 0"),
    (lambda: L.contrastive_loss([-0.5], [1]), "distance must hold non-negative distances"),
    (lambda: L.huber(0.0, 1.0, delta=0.0), "delta must be positive, got 0.0"),
    (lambda: L.binary_cross_entropy(1, 0.5, eps=0.0), "eps must be in (0, 0.5), got 0.0"),
    (lambda: L.get("cross_entropy"), "unknown loss 'cross_entropy'; choose one of: "),
])
def test_bad_inputs_get_clear_messages(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_non_numeric_input_is_refused_clearly():
    with pytest.raises(TypeError, match="y_pred must be a real number"):
        L.mse([1.0], ["a"])


# ---------------------------------------------------------------- registry and docs
def test_registry():
    assert len(L.LOSSES) == 14
    for name, entry in L.LOSSES.items():
        loss, grad = entry
        assert loss is getattr(L, name) and grad is getattr(L, f"{name}_grad")
        assert L.get(name) is entry and L.get(entry) is entry
        assert name in L.__all__ and f"{name}_grad" in L.__all__
    with pytest.raises(ValueError, match="mse"):
        L.get(None)


def test_docstring_examples():
    result = doctest.testmod(L, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0
