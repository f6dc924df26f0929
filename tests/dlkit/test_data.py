"""dlkit.data: shapes, dtypes, balance, determinism and clear errors.

Each generator is also checked against the geometry it promises (distance
to the right corner, circle or centre), so a label swap cannot pass.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlkit import data as D

# name -> keyword arguments giving a small dataset, and its number of classes
GENERATORS = {
    "xor": ({"n": 50}, 2),
    "circles": ({"n": 50}, 2),
    "moons": ({"n": 50}, 2),
    "blobs": ({"n": 50}, 3),
    "spiral": ({"n": 50}, 3),
}
NOISY = list(GENERATORS)
seeds = st.integers(0, 2**32 - 1)


def make(name, **kw):
    base, _ = GENERATORS[name]
    return D.load(name, **{**base, **kw})


# ---------------------------------------------------------------- contract
@pytest.mark.parametrize("name", GENERATORS)
def test_shapes_dtypes_and_labels(name):
    X, y = make(name)
    k = GENERATORS[name][1]
    assert X.shape == (50, 2) and X.dtype == np.float64
    assert y.shape == (50,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(k))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", GENERATORS)
@given(n=st.integers(4, 120), seed=seeds)
def test_classes_are_balanced(name, n, seed):
    X, y = make(name, n=n, rng=seed)
    k = GENERATORS[name][1]
    counts = np.bincount(y, minlength=k)
    assert len(X) == n and counts.sum() == n
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data(name):
    X1, y1 = make(name, rng=7)
    X2, y2 = make(name, rng=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("name", GENERATORS)
def test_none_means_the_default_seed(name):
    X1, y1 = make(name, rng=None)
    X2, y2 = make(name, rng=D.DEFAULT_SEED)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("name", NOISY)
def test_different_seeds_differ(name):
    X1, _ = make(name, rng=1)
    X2, _ = make(name, rng=2)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_is_used_and_advanced(name):
    gen = np.random.default_rng(3)
    X1, _ = make(name, rng=gen)
    X2, _ = make(name, rng=gen)
    assert not np.array_equal(X1, X2)
    X3, _ = make(name, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X1, X3)


@pytest.mark.parametrize("name", GENERATORS)
def test_points_are_shuffled(name):
    _, y = make(name)
    assert not np.all(np.diff(y) >= 0), "labels come out sorted; the rows should be shuffled"


# ---------------------------------------------------------------- geometry
def test_xor_table_is_exact():
    X, y = D.xor_table()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float64 and y.dtype == np.int64


@given(seed=seeds)
def test_xor_labels_follow_the_nearest_corner(seed):
    X, y = D.xor(n=101, noise=0.1, rng=seed)
    corner = np.clip(np.round(X), 0, 1).astype(int)
    # with std 0.1 a point crosses the midline (0.5 away) with probability ~3e-7
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])


def test_xor_without_noise_sits_on_the_corners():
    X, y = D.xor(n=8, noise=0.0)
    table_X, table_y = D.xor_table()
    for point, label in zip(X, y, strict=True):
        row = np.flatnonzero(np.all(table_X == point, axis=1))
        assert row.size == 1 and table_y[row[0]] == label


@pytest.mark.parametrize("factor", [0.2, 0.5, 0.8])
def test_circles_radii(factor):
    X, y = D.circles(n=60, noise=0.0, factor=factor)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], factor)


def test_blobs_default_centres_and_labels():
    X, y = D.blobs(n=300, std=0.0)
    centres = np.array([X[y == j][0] for j in range(3)])
    np.testing.assert_allclose(np.hypot(centres[:, 0], centres[:, 1]), 2.0)
    np.testing.assert_allclose(centres[0], [0.0, 2.0], atol=1e-12)


def test_blobs_given_centres():
    centres = np.array([[5.0, 5.0], [-5.0, 0.0], [0.0, -5.0], [1.0, 1.0]])
    X, y = D.blobs(n=40, centers=centres, std=0.1, rng=1)
    assert set(np.unique(y)) == {0, 1, 2, 3}
    nearest = np.argmin(np.linalg.norm(X[:, None, :] - centres[None], axis=2), axis=1)
    np.testing.assert_array_equal(nearest, y)


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spiral_arms(classes):
    X, y = D.spiral(n=10 * classes, classes=classes, noise=0.0)
    assert set(np.unique(y)) == set(range(classes))
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.all((radius >= 0.1 - 1e-12) & (radius <= 1.0 + 1e-12))
    # on arm j the angle is 2*pi*(r + j/K) modulo 2*pi
    expected = np.angle(np.exp(2j * np.pi * (radius + y / classes)))
    np.testing.assert_allclose(np.exp(1j * np.arctan2(X[:, 1], X[:, 0])), np.exp(1j * expected),
                               atol=1e-9)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = D.moons(n=40, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5)


# ---------------------------------------------------------------- split and one-hot
@given(n=st.integers(2, 200), frac=st.floats(0.01, 0.99), seed=seeds)
def test_split_sizes_and_partition(n, frac, seed):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n)
    expected_test = min(max(int(np.ceil(frac * n)), 1), n - 1)
    if expected_test != int(np.ceil(frac * n)):
        with pytest.raises(ValueError, match="at least one point"):
            D.train_test_split(X, y, test_size=frac, rng=seed)
        return
    X_tr, X_te, y_tr, y_te = D.train_test_split(X, y, test_size=frac, rng=seed)
    assert len(X_te) == len(y_te) == expected_test
    assert len(X_tr) == len(y_tr) == n - expected_test
    # rows stay paired with their labels, nothing is lost or repeated
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    assert not set(y_tr) & set(y_te)
    assert sorted([*y_tr, *y_te]) == list(range(n))


def test_split_default_quarter_and_count():
    X, y = D.xor(n=100)
    X_tr, X_te, y_tr, y_te = D.train_test_split(X, y)
    assert X_tr.shape == (75, 2) and X_te.shape == (25, 2)
    assert y_tr.shape == (75,) and y_te.shape == (25,)
    _, X_te, _, _ = D.train_test_split(X, y, test_size=10)
    assert len(X_te) == 10


def test_split_is_seeded():
    X, y = D.moons(n=40)
    a = D.train_test_split(X, y, rng=5)
    b = D.train_test_split(X, y, rng=5)
    c = D.train_test_split(X, y, rng=6)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


def test_one_hot():
    Y = D.one_hot(np.array([2, 0, 1, 2]))
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert Y.dtype == np.float64
    assert D.one_hot([0, 1], num_classes=4).shape == (2, 4)
    np.testing.assert_array_equal(D.one_hot([1.0, 0.0]), [[0, 1], [1, 0]])


@given(y=st.lists(st.integers(0, 6), min_size=1, max_size=30))
def test_one_hot_roundtrip(y):
    Y = D.one_hot(y)
    np.testing.assert_array_equal(Y.argmax(axis=1), y)
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    assert Y.shape == (len(y), max(y) + 1)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n,exc", [(0, ValueError), (-5, ValueError), (2.5, TypeError),
                                   ("10", TypeError), (True, TypeError)])
def test_bad_n(name, n, exc):
    with pytest.raises(exc, match="n must"):
        make(name, n=n)


@pytest.mark.parametrize("name", ["xor", "circles", "moons", "spiral"])
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf")])
def test_bad_noise(name, noise):
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make(name, noise=noise)


@pytest.mark.parametrize("rng,exc", [(1.5, TypeError), ("seed", TypeError), (-1, ValueError)])
def test_bad_rng(rng, exc):
    with pytest.raises(exc, match="rng"):
        D.xor(rng=rng)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="one point per corner"):
        D.xor(n=3)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        D.circles(factor=1.0)
    with pytest.raises(ValueError, match=r"expected centers of shape \(k, 2\).*\(3,\)"):
        D.blobs(centers=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="one point per centre"):
        D.blobs(n=2, centers=3)
    with pytest.raises(ValueError, match="std must"):
        D.blobs(std=-1)
    with pytest.raises(ValueError, match="classes must be at least 2"):
        D.spiral(classes=1)
    with pytest.raises(ValueError, match="unknown dataset 'swiss'.*xor, "):
        D.load("swiss")
    with pytest.raises(TypeError, match="unexpected keyword"):
        D.load("xor", noize=0.1)


def test_bad_split_and_one_hot_arguments():
    X, y = D.xor(n=10)
    with pytest.raises(ValueError, match=r"same number of rows.*\(10, 2\).*\(9,\)"):
        D.train_test_split(X, y[:9])
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        D.train_test_split(X, y, test_size=1.5)
    with pytest.raises(ValueError, match="at least one point"):
        D.train_test_split(X, y, test_size=10)
    with pytest.raises(ValueError, match=r"expected y of shape \(N,\), got \(2, 2\)"):
        D.one_hot([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="label 3 does not fit num_classes=3"):
        D.one_hot([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="must be >= 0"):
        D.one_hot([0, -1])
    with pytest.raises(TypeError, match="integer class labels"):
        D.one_hot([0.5, 1.0])


# ---------------------------------------------------------------- real data: digits
# The UCI description of optdigits.tes: images per digit 0..9
UCI_TEST_SET_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# the first and the last rows of the CSV scikit-learn ships (64 pixels, then the label)
FIRST_ROW = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0,
             0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0,
             0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0, 0]
LAST_ROW = [0, 0, 10, 14, 8, 1, 0, 0, 0, 2, 16, 14, 6, 1, 0, 0, 0, 0, 15, 15, 8, 15, 0, 0,
            0, 0, 5, 16, 16, 10, 0, 0, 0, 0, 12, 15, 15, 12, 0, 0, 0, 4, 16, 6, 4, 16, 6, 0,
            0, 8, 16, 10, 8, 16, 8, 0, 0, 1, 8, 12, 14, 12, 1, 0, 8]


def test_digits_are_the_uci_test_set():
    X, y = D.digits("all")
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == UCI_TEST_SET_COUNTS
    for row, expected in ((0, FIRST_ROW), (-1, LAST_ROW)):
        assert (X[row] * 16).tolist() == expected[:64] and y[row] == expected[64]
    # pixels are counts 0..16 of a 4x4 block, scaled by 1/16
    assert X.min() == 0 and X.max() == 1 and np.all(X * 16 == np.round(X * 16))


def test_digits_split_is_fixed_disjoint_stratified_and_mixed():
    _, y_all = D.digits("all")
    X_all, _ = D.digits("all")
    seen = []
    for part, size in D.DIGITS_SPLITS.items():
        X, y = D.digits(part)
        assert X.shape == (size, 64) and y.shape == (size,)
        share = np.bincount(y, minlength=10) / np.bincount(y_all)
        expected = 0.6 if part == "train" else 0.2
        assert np.all(np.abs(share - expected) < 0.01), (part, share)
        assert len(set(y[:20].tolist())) >= 5, f"{part} is not shuffled"
        # images and labels stay together: every (image, label) is one of the file's
        pairs = {(bytes(x), int(label)) for x, label in zip(X_all, y_all, strict=True)}
        assert all((bytes(x), int(label)) in pairs for x, label in zip(X, y, strict=True))
        seen.append(X)
        X2, y2 = D.digits(part)
        assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert sum(D.DIGITS_SPLITS.values()) == 1797
    # no image in two parts (the set has a few duplicate images: compare counts)
    together = np.concatenate(seen)
    assert sorted(map(bytes, together)) == sorted(map(bytes, X_all))


def test_digits_images_and_copies():
    X, y = D.digits("test", flatten=False)
    flat, _ = D.digits("test")
    assert X.shape == (359, 8, 8) and np.array_equal(X.reshape(359, 64), flat)
    X[:] = 5.0          # the caller's copy: the next call is unchanged
    assert D.digits("test")[0].max() == 1.0


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="unknown split 'valid'; choose one of: train, "
                                         "validation, test, all"):
        D.digits("valid")
    with pytest.raises(ValueError, match="unknown split"):
        D.digits(["train"])
    with pytest.raises(TypeError, match="flatten must be True or False"):
        D.digits("train", flatten="yes")


def test_damaged_digits_file_is_refused(tmp_path, monkeypatch):
    images, labels = D._digits_file()
    broken = images.copy()
    broken[0, 0, 0] += 1
    path = tmp_path / "digits.npz"
    np.savez_compressed(path, images=broken, labels=labels)
    monkeypatch.setattr(D, "_DIGITS_FILE", path)
    D._digits_file.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="is damaged .* reinstall dlkit"):
            D.digits("train")
    finally:
        D._digits_file.cache_clear()
