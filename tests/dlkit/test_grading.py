"""dlkit.grading: every way a student's function can go wrong gets a clear message."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import activations as ref
from dlkit import grading
from dlkit.grading import Case, CheckFailed


def failure(fn, reference=ref.sigmoid, cases=None, **kw) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        grading.check_function(fn, reference, cases or grading.elementwise_cases(1), **kw)
    return info.value


def good_sigmoid(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * (1 + np.tanh(x / 2))


def test_a_correct_alternative_passes_and_says_so(capsys):
    assert grading.check_function(good_sigmoid, ref.sigmoid, grading.elementwise_cases(1)) is None
    assert "\u2713 good_sigmoid: all 10 checks passed" in capsys.readouterr().out


def test_a_stub_is_reported_as_not_implemented():
    def stub(x):
        raise NotImplementedError()

    err = failure(stub)
    assert err.title == "stub is not implemented yet"
    assert "input" not in str(err), "the input is noise for a stub"


def test_a_warning_fails_the_check_and_names_the_input():
    def naive(x):
        x = np.asarray(x, dtype=float)
        return 1 / (1 + np.exp(-x))

    err = failure(naive)
    assert "printed a warning: RuntimeWarning: overflow encountered in exp" in err.title
    assert "large magnitudes" in str(err) and "-1000" in str(err)
    assert "np.where" not in str(err), "only mentioned when the code uses np.where"

    def with_where(x):
        x = np.asarray(x, dtype=float)
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))

    assert "np.where computes BOTH branches" in str(failure(with_where))


def test_a_wrong_value_shows_expected_returned_and_the_first_difference():
    err = failure(ref.sigmoid, reference=ref.sigmoid_derivative,
                  mistakes={"returned sigmoid(x), not its derivative": ref.sigmoid},
                  forbid=[])
    text = str(err)
    assert err.title == "sigmoid returns a wrong result"
    assert "expected: 0.2350037122" in text and "returned: 0.6224593312" in text
    assert "this looks like a known mistake: returned sigmoid(x)" in text


def test_calling_the_reference_is_caught_under_any_name():
    from dlkit.activations import sigmoid as s

    def alias(x):
        return s(x)

    def vectorized(x):
        return np.vectorize(ref.sigmoid)(x)

    for cheat in (alias, vectorized, ref.sigmoid):
        err = failure(cheat)
        assert "calls dlkit.activations.sigmoid, the reference you are asked to write" in \
            err.title


def test_loops_exceptions_and_missing_returns():
    def loop(x):
        while True:
            pass

    assert "did not finish within the time limit" in failure(loop, time_limit=0.3).title

    def crashes(x):
        return x.shape[0] / 0

    err = failure(crashes)
    assert err.title.startswith("crashes raised AttributeError")
    assert "must also accept a single number" in str(err)

    def forgets_return(x):
        np.asarray(x)

    assert "Did you forget a `return` statement?" in str(failure(forgets_return))


def test_shapes_tuples_and_booleans():
    def flat(x):
        return np.ravel(ref.softmax(x))

    err = failure(flat, ref.softmax, grading.softmax_cases(0)[1:2], forbid=[])
    assert "the shape is wrong: expected shape (4, 5), returned shape (20,)" in str(err)

    def pair(x):
        return x, x

    cases = [Case((1.0,), expected=(1.0, 2.0), label="a pair")]
    err = failure(pair, None, cases)
    assert "(returned value #2)" in err.title
    assert "must return 2 values" in failure(lambda x: x, None, cases).title
    cases = [Case((1.0,), expected=True, label="a yes/no question")]
    assert "expected True or False" in failure(lambda x: np.array([True]), None, cases).title


def test_a_dict_is_compared_name_by_name():
    """A dict result (a4's slide_errors): each missing, wrong and extra name is said."""
    expected = {"y3": 0.5523, "y4": 0.5781, "a3": 0.686}
    cases = [Case((1.0,), expected=expected, label="the lecture's slide")]
    assert grading.check_function(lambda x: dict(expected), None, cases, quiet=True) is None
    assert grading.check_function(lambda x: {"a3": 0.686 + 1e-12, "y4": 0.5781, "y3": 0.5523},
                                  None, cases, quiet=True) is None, "order does not matter"
    err = failure(lambda x: {"y3": 0.56, "a3": 0.686, "a1": 0.21, 7: 1.0}, None, cases)
    text = str(err)
    assert "returns a wrong result" in err.title
    assert "'y3': expected 0.5523, returned 0.56" in text
    assert "'y4' is missing (expected 0.5781)" in text
    assert "'a1' should not be there (returned 0.21)" in text
    assert "'7' should not be there" in text, "a key that is not a string is not a name"
    assert "input (the lecture's slide)" in text
    assert "must return a dict, returned [0.5523] (list)" in str(failure(
        lambda x: [0.5523], None, cases))

    arrays = [Case((1.0,), expected={"W1": np.zeros((3, 2)), "b1": np.zeros(2)}, label="grads")]
    text = str(failure(lambda x: {"W1": np.eye(3, 2), "b1": np.zeros(2)}, None, arrays))
    assert "'W1': 2 of 6 values differ; first at index (0, 0): expected 0.0, returned 1.0" in text
    assert "'W1': the shape is wrong" in str(failure(lambda x: {"W1": np.zeros(6), "b1": 0 * x},
                                                     None, arrays))

    class Liar(dict):
        def __contains__(self, key):
            return True

        def items(self):
            return expected.items()

    assert "'y4' is missing" in str(failure(lambda x: Liar(y3=0.5523, a3=0.686), None, cases))


def test_inputs_are_copied_and_earlier_exercises_substituted():
    def mutating(x):
        out = good_sigmoid(x)
        x[...] = 0.0
        return out

    case = Case((np.array([1.0, 2.0]),))
    grading.check_function(mutating, ref.sigmoid, [case, case], quiet=True)
    np.testing.assert_array_equal(case.args[0], [1.0, 2.0])

    def uses_helper(x):
        return helper(x) * 2  # noqa: F821  (substituted by the check)

    grading.check_function(uses_helper, lambda x: 2 * ref.sigmoid(x), [Case((0.3,))],
                           uses={"helper": good_sigmoid}, quiet=True)
    assert "helper" not in globals()


def test_check_value_and_check_choices():
    grading.check_value("y5", 0.6650736395, 0.66507363952, quiet=True)
    with pytest.raises(CheckFailed, match="y5 is wrong"):
        grading.check_value("y5", 0.67, 0.6650736395)
    with pytest.raises(CheckFailed, match="Did you assign it"):
        grading.check_value("y5", None, 0.66)
    items = ["a", "b", "c"]
    grading.check_choices("answers", ["ML", "DL", "ML"], {0: "ML", 2: ("ML", "DL")},
                          choices=["ML", "DL"], items=items, quiet=True)
    with pytest.raises(CheckFailed) as info:
        grading.check_choices("answers", ["DL", "DL", "ML"], {0: "ML"}, choices=["ML", "DL"],
                              items=items)
    assert "answers[0] ('a'): you answered 'DL'" in str(info.value)
    with pytest.raises(CheckFailed, match="must be a list of 3 answers") as info:
        grading.check_choices("answers", None, {0: "ML"}, choices=["ML", "DL"], items=items)
    assert "'ML', ..." in str(info.value)


def test_failures_render_without_a_traceback():
    err = CheckFailed("sigmoid returns a wrong result", ["expected: 1", "returned: 2"])
    lines = err._render_traceback_()
    assert "sigmoid returns a wrong result" in lines[0]
    assert all("Traceback" not in line for line in lines)
    assert lines[1:] == ["    expected: 1", "    returned: 2"]


# --------------------------------------------------------------------------- hostile values
class AlwaysEqual(float):
    """A float that claims to equal anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


class Liar:
    """An object whose __array__ and __float__ disagree, and that equals anything."""

    def __array__(self, dtype=None, copy=None):
        return np.array(0.0)

    def __float__(self):
        return 123.0

    def __eq__(self, other):
        return True


class Sub(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def all(self, *a, **k):
        return True


def expected_one(*args, **kwargs):
    return 1.0


def test_hostile_return_values_are_compared_as_plain_numbers():
    case = [Case((0.0,), {}, "x", expected=1.0)]
    with pytest.raises(CheckFailed, match="returns a wrong result"):
        grading.check_function(lambda x: AlwaysEqual(0.0), None, case)
    with pytest.raises(CheckFailed):
        grading.check_function(lambda x: Liar(), None, case)
    with pytest.raises(CheckFailed, match="returns a wrong result"):
        grading.check_function(lambda x: np.zeros(()).view(Sub), None, case)
    with pytest.raises(CheckFailed, match="is wrong"):
        grading.check_value("z", AlwaysEqual(3.0), 1.0)
    with pytest.raises(CheckFailed):
        grading.check_value("z", np.array([0.0, 0.0]).view(Sub), np.array([1.0, 2.0]))
    # an honest float subclass and an honest ndarray subclass still pass
    grading.check_value("z", np.array([1.0, 2.0]).view(np.matrix).A1, np.array([1.0, 2.0]))
    grading.check_value("z", np.float32(1.0), 1.0)


def test_tuples_and_booleans_of_hostile_types_fail():
    case = [Case((0.0,), {}, "x", expected=(1.0, 2.0))]
    with pytest.raises(CheckFailed):
        grading.check_function(lambda x: (AlwaysEqual(0), AlwaysEqual(0)), None, case)
    boolean = [Case((0.0,), {}, "x", expected=True)]
    with pytest.raises(CheckFailed):
        grading.check_function(lambda x: AlwaysEqual(1.0), None, boolean)
    with pytest.raises(CheckFailed, match="not True or False"):
        grading.check_true(Liar(), "a condition")


def test_check_choices_wants_real_strings():
    class Chameleon(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    yes = type("Yes", (), {"__eq__": lambda self, other: True, "__hash__": lambda self: 0})()
    with pytest.raises(CheckFailed, match="not a string"):
        grading.check_choices("answers", [yes] * 5, ["ML", "DL", "ML", "DL", "ML"],
                              choices=["ML", "DL"])
    with pytest.raises(CheckFailed, match="not a string"):
        grading.check_choices("answers", [Chameleon("ML")] * 5, ["ML", "DL", "ML", "DL", "ML"],
                              choices=["ML", "DL"])


def test_patching_numpy_after_import_does_not_fool_the_checks(monkeypatch):
    monkeypatch.setattr(np, "isclose", lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool))
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "asarray", lambda x, *a, **k: np.array(1.0))
    monkeypatch.setattr(np, "argwhere", lambda *a, **k: np.zeros((0, 1), int))
    with pytest.raises(CheckFailed, match="is wrong"):
        grading.check_value("z", 0.0, 1.0)
    with pytest.raises(CheckFailed, match="returns a wrong result"):
        grading.check_function(lambda x: 0.0, None, [Case((0.0,), {}, "x", expected=1.0)])


def test_a_huge_result_is_not_copied_and_fails_on_its_shape():
    big = np.broadcast_to(np.float64(1.0), (20_000_000,))
    with pytest.raises(CheckFailed, match="shape is wrong"):
        grading.check_value("z", big, np.ones(3))


def test_silencing_numpy_globally_does_not_hide_a_warning():
    def naive(x):
        return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))

    old = np.seterr(all="ignore")
    try:
        err = failure(naive)
    finally:
        np.seterr(**old)
    assert "printed a warning" in err.title

    def careful(x):
        x = np.asarray(x, dtype=float)
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(-x))

    grading.check_function(careful, ref.sigmoid, grading.elementwise_cases(1), quiet=True)
