"""The lecture's worked backpropagation example, against an independent oracle.

The oracle is the slide's own formulas written out in plain Python floats
with ``math.exp``; it shares no code with dlkit.
"""

import math

import numpy as np
import pytest

from dlkit import worked_example as we

X1, X2, T, ETA = 0.35, 0.7, 0.5, 1.0
START = {"w11": 0.2, "w21": 0.2, "w12": 0.3, "w22": 0.3, "w13": 0.3, "w23": 0.9}


def sig(a):
    return 1.0 / (1.0 + math.exp(-a))


def forward(w):
    a1 = w["w11"] * X1 + w["w21"] * X2
    y3 = sig(a1)
    a2 = w["w12"] * X1 + w["w22"] * X2
    y4 = sig(a2)
    a3 = w["w13"] * y3 + w["w23"] * y4
    y5 = sig(a3)
    return {"a1": a1, "y3": y3, "a2": a2, "y4": y4, "a3": a3, "y5": y5, "error": T - y5}


def update(w):
    """The slide's rule: delta5 = y5(1-y5)(t-y5), delta_h = y(1-y) w delta5, dw = eta delta o."""
    f = forward(w)
    d5 = f["y5"] * (1 - f["y5"]) * (T - f["y5"])
    d3 = f["y3"] * (1 - f["y3"]) * w["w13"] * d5
    d4 = f["y4"] * (1 - f["y4"]) * w["w23"] * d5
    dw = {"dw11": ETA * d3 * X1, "dw21": ETA * d3 * X2,
          "dw12": ETA * d4 * X1, "dw22": ETA * d4 * X2,
          "dw13": ETA * d5 * f["y3"], "dw23": ETA * d5 * f["y4"]}
    new = {k: w[k] + dw["d" + k] for k in w}
    return {**f, "delta5": d5, "delta3": d3, "delta4": d4, **dw,
            **{k + "_new": v for k, v in new.items()}}, new


@pytest.fixture(scope="module")
def expected():
    values, new = update(START)
    values.update({k + "_after": v for k, v in forward(new).items()})
    return values


@pytest.fixture(scope="module")
def step():
    return we.one_step()


FORWARD = ["a1", "y3", "a2", "y4", "a3", "y5", "error"]
DELTAS = ["delta5", "delta3", "delta4"]
CHANGES = ["dw11", "dw21", "dw12", "dw22", "dw13", "dw23"]
NEW = [k + "_new" for k in START]
AFTER = [k + "_after" for k in FORWARD]


@pytest.mark.parametrize("key", FORWARD + DELTAS + CHANGES + NEW + AFTER)
def test_one_step_matches_independent_computation(step, expected, key):
    assert step[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-15), key


def test_exact_forward_values_by_hand():
    s = we.one_step()
    assert s["a1"] == pytest.approx(0.21, abs=1e-15)
    assert s["a2"] == pytest.approx(0.315, abs=1e-15)
    assert s["y3"] == pytest.approx(0.5523079095743253, rel=1e-12)
    assert s["y4"] == pytest.approx(0.5781052328843092, rel=1e-12)
    assert s["a3"] == pytest.approx(0.6859870824681757, rel=1e-12)
    assert s["y5"] == pytest.approx(0.6650736395247564, rel=1e-12)


def test_starting_weights_and_network_shape():
    net = we.lecture_network()
    assert repr(net) == ("Sequential(Dense(2 -> 2, sigmoid, bias=False), "
                         "Dense(2 -> 1, sigmoid, bias=False))")
    np.testing.assert_array_equal(net[0].W, [[0.2, 0.3], [0.2, 0.3]])
    np.testing.assert_array_equal(net[1].W, [[0.3], [0.9]])
    assert set(net.params()) == {"0.W", "1.W"}  # no biases
    s = we.one_step(net)
    assert {k: s[k] for k in START} == START
    assert net[0].W[0, 0] == s["w11_new"] and net[1].W[1, 0] == s["w23_new"]


def test_signs_of_the_update():
    s = we.one_step()
    # y5 > t: every delta is negative and every weight (all inputs positive) decreases.
    assert s["error"] < 0
    assert all(s[k] < 0 for k in DELTAS + CHANGES)
    assert all(s[k + "_new"] < s[k] for k in START)
    assert abs(s["error_after"]) < abs(s["error"])


def test_second_step_continues_from_first():
    net = we.lecture_network()
    we.one_step(net)
    second = we.one_step(net)
    _, new = update(START)
    expected, _ = update(new)
    for key in FORWARD + DELTAS + NEW:
        assert second[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-15), key


def test_iteration_count_against_independent_loop():
    w, n = dict(START), 0
    while abs(forward(w)["error"]) >= 1e-3:
        _, w = update(w)
        n += 1
    assert n == 132
    result = we.run_until(1e-3)
    assert we.iterations_until(1e-3) == result["iterations"] == n
    assert abs(result["error"]) < 1e-3
    assert result["y5"] == pytest.approx(forward(w)["y5"], rel=1e-12)
    for k in START:
        assert result[k] == pytest.approx(w[k], rel=1e-10), k


def test_iterations_until_counts_zero_when_already_close_and_raises_when_never():
    assert we.iterations_until(tol=1.0) == 0
    with pytest.raises(RuntimeError, match="after 3 updates"):
        we.iterations_until(tol=1e-3, max_iter=3)


# ---------------------------------------------------------------- the slide
SLIDE_SLIPS = {  # key: (slide, exact rounded the slide's way)
    "y3": (0.56, 0.55),
    "y4": (0.59, 0.58),
    "a3": (0.702, 0.686),
    "delta5": (-0.0376, -0.0368),
    "delta4": (-0.0819, -0.0081),
    "dw23": (-0.022184, -0.021257),
    "dw11": (0.000945, -0.000955),
    "w11_new": (0.200945, 0.199045),
    "w12_new": (0.273225, 0.297175),
    "w13_new": (0.086615, 0.279691),
    "w21_new": (0.269445, 0.198091),
    "w22_new": (0.18534, 0.29435),
    "w23_new": (0.877816, 0.878743),
    "y3_after": (0.57, 0.55),
    "y4_after": (0.56, 0.58),
    "y5_after": (0.61, 0.66),
    "error_after": (-0.11, -0.16),
}


@pytest.mark.parametrize("key", sorted(SLIDE_SLIPS))
def test_slide_values_that_differ(expected, key):
    slide, exact_rounded = SLIDE_SLIPS[key]
    assert we.SLIDE_VALUES[key] == slide
    digits = len(repr(slide).split(".")[1])
    assert round(expected[key], digits) == exact_rounded
    assert we.differs(key, expected[key])
    assert key in we.SLIDE_NOTES


@pytest.mark.parametrize("key", ["a1", "a2", "y5", "error", "delta3"])
def test_slide_values_that_agree_to_their_digits(expected, key):
    assert not we.differs(key, expected[key])


def test_slide_arithmetic_slips():
    v = we.SLIDE_VALUES
    # a3 from the slide's rounded (and re-rounded) y3 = 0.57 and y4 = 0.59
    assert v["y3_used"] == 0.57 != v["y3"]
    assert 0.3 * 0.57 + 0.9 * 0.59 == pytest.approx(v["a3"])
    # y5 = 0.67 is right only by luck: sigma(0.702) = 0.6686, exact y5 = 0.6651
    assert round(sig(0.702), 2) == round(sig(0.6859870824681757), 2) == v["y5"]
    # delta4 from the slide's own numbers is ten times smaller than printed
    own = 0.59 * (1 - 0.59) * (0.9 * v["delta5"])
    assert round(own, 4) == -0.0082
    assert v["delta4"] / own == pytest.approx(10, rel=0.01)
    # dw23 does follow from its own numbers; dw11 loses its sign
    assert v["delta5"] * 0.59 == pytest.approx(v["dw23"])
    assert v["delta3"] * X1 == pytest.approx(-v["dw11"])
    assert v["w23_new"] == pytest.approx(0.9 + v["dw23"])
    # the other new weights follow from no reading of w + delta * o
    assert v["w13_new"] != pytest.approx(0.3 + v["delta5"] * v["y3"], abs=1e-3)
    assert v["w12_new"] != pytest.approx(0.3 + v["delta4"] * X1, abs=1e-3)
    assert v["w21_new"] != pytest.approx(0.2 + v["delta3"] * X2, abs=1e-3)
    assert v["w22_new"] != pytest.approx(0.3 + v["delta4"] * X2, abs=1e-3)
    # the slide's second pass does not follow from its own new weights either
    y3 = sig(v["w11_new"] * X1 + v["w21_new"] * X2)
    y4 = sig(v["w12_new"] * X1 + v["w22_new"] * X2)
    y5 = sig(v["w13_new"] * y3 + v["w23_new"] * y4)
    assert (round(y3, 2), round(y4, 2), round(y5, 2)) == (0.56, 0.56, 0.63)


def test_main_prints_an_aligned_table(capsys):
    we.main()
    text = capsys.readouterr().out
    assert "132 updates" in text
    rows = [line for line in text.splitlines() if line.startswith("  delta")]
    assert len(rows) == 3
    assert len({line.index("-0.0") for line in rows}) == 1  # exact column aligned
    assert "-0.008071427316" in text and "-0.0819  x [" in text
    assert text.count("x [") == len(SLIDE_SLIPS) + 1  # + y3 as used in a3


def test_module_runs_as_a_script():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "dlkit.worked_example"],
                          capture_output=True, text=True, check=True, timeout=120)
    assert "Second forward pass" in done.stdout and done.stderr == ""
