"""docs/lecture-errata.md: the numbers it states, recomputed in plain Python.

The oracle is the lecture's own formulas with ``math.exp`` and floats; it
shares no code with dlkit. Each test finds the row it checks in the document
and asserts that the value printed there is the one computed here, at the
digits printed.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

ERRATA = Path(__file__).resolve().parents[2] / "docs" / "lecture-errata.md"
X1, X2, T = 0.35, 0.7, 0.5
START = {"w11": 0.2, "w21": 0.2, "w12": 0.3, "w22": 0.3, "w13": 0.3, "w23": 0.9}
SLIDE_NEW = {"w11": 0.200945, "w21": 0.269445, "w12": 0.273225, "w22": 0.18534,
             "w13": 0.086615, "w23": 0.877816}


def sig(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def hidden(w):
    return sig(w["w11"] * X1 + w["w21"] * X2), sig(w["w12"] * X1 + w["w22"] * X2)


def output(w, y3, y4):
    return sig(w["w13"] * y3 + w["w23"] * y4)


@pytest.fixture(scope="module")
def doc() -> str:
    return ERRATA.read_text()


def row(doc: str, *words: str) -> str:
    """The one table row that contains all ``words``."""
    rows = [line for line in doc.splitlines()
            if line.startswith("|") and all(w in line for w in words)]
    assert len(rows) == 1, f"expected one row with {words}, found {len(rows)}"
    return rows[0]


def test_second_pass_from_the_slides_own_new_weights(doc):
    y3, y4 = hidden(SLIDE_NEW)
    y5 = output(SLIDE_NEW, y3, y4)
    rounded_first = output(SLIDE_NEW, round(y3, 2), round(y4, 2))
    assert (round(y3, 2), round(y4, 2)) == (0.56, 0.56)
    assert round(y5, 3) == 0.631 != 0.632 == round(rounded_first, 3)
    text = row(doc, "`y5` | 0.61")
    assert f"{y5:.6f}" in text and f"{rounded_first:.6f}" in text


def test_units_numbered_globally_weights_per_layer(doc):
    y3, y4 = hidden(START)
    y5 = output(START, y3, y4)
    delta5 = y5 * (1 - y5) * (T - y5)
    delta3 = y3 * (1 - y3) * START["w13"] * delta5
    read_globally = delta3 * X1     # w13 as "unit 1 -> unit 3": x1 -> h1
    meant = delta5 * y3             # the slide's w13: h1 -> output
    assert read_globally / meant == pytest.approx(0.047, abs=1e-3)   # twenty times too small
    text = row(doc, "For O3")
    assert f"{read_globally:.9f}".rstrip("0") in text and f"{meant:.7f}" in text


def test_sigmoid_gradients_take_the_sign_of_delta(doc):
    y3, y4 = hidden(START)
    y5 = output(START, y3, y4)
    signs = {}
    for t in (0.5, 0.9):
        signs[t] = y5 * (1 - y5) * (t - y5)
    assert signs[0.5] < 0 < signs[0.9]
    # the slope itself is positive and at most 1/4 (at 0)
    slopes = [sig(x) * (1 - sig(x)) for x in (-5, -1, 0, 0.5, 3)]
    assert all(0 < s <= 0.25 for s in slopes) and max(slopes) == 0.25
    text = row(doc, "always positive")
    assert f"{signs[0.5]:.7f}" in text and f"+{signs[0.9]:.7f}" in text


def test_relu_is_continuous_and_its_derivative_jumps(doc):
    def relu(x):
        return max(0.0, x)

    h = 1e-9
    assert abs(relu(h) - relu(-h)) < 1e-8                              # no jump in the value
    assert (relu(2 * h) - relu(h)) / h - (relu(-h) - relu(-2 * h)) / h == pytest.approx(1)
    softplus_slope = (math.log1p(math.exp(h)) - math.log1p(math.exp(-h))) / (2 * h)
    assert softplus_slope == pytest.approx(0.5)
    assert "derivative* jumps" in row(doc, "Softplus, smoothness")


def test_numbering_and_elu(doc):
    text = row(doc, "Section numbering")
    assert "Exponential Linear Units" in text and "1. Softmax" in text
    alpha = 1.0
    elu = [x if x > 0 else alpha * math.expm1(x) for x in (-1.0, 0.0, 2.0)]
    assert elu == pytest.approx([math.exp(-1) - 1, 0.0, 2.0])
