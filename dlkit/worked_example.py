r"""The lecture's "Example of back propagation", reproduced exactly with dlkit.nn.

The network of the slide: inputs :math:`x_1 = 0.35, x_2 = 0.7`, two sigmoid
hidden units :math:`h_1, h_2` (outputs :math:`y_3, y_4`), one sigmoid output
unit :math:`O_3` (output :math:`y_5`), no biases, target :math:`t = 0.5`,
learning rate :math:`\eta = 1`. Weight :math:`w_{i,j}` goes from unit
:math:`i` to unit :math:`j`:

=========  ===========  =====  ===========================
weight     connects     value  in dlkit
=========  ===========  =====  ===========================
w11        x1 -> h1     0.2    ``net[0].W[0, 0]``
w21        x2 -> h1     0.2    ``net[0].W[1, 0]``
w12        x1 -> h2     0.3    ``net[0].W[0, 1]``
w22        x2 -> h2     0.3    ``net[0].W[1, 1]``
w13        h1 -> out    0.3    ``net[1].W[0, 0]``
w23        h2 -> out    0.9    ``net[1].W[1, 0]``
=========  ===========  =====  ===========================

The slide writes the error as :math:`E = t - y_5` and updates
:math:`\Delta w_{ij} = \eta\,\delta_j\,o_i` with
:math:`\delta_5 = y_5(1 - y_5)(t - y_5)`. That is exactly gradient descent on
:math:`L = \tfrac12 (t - y_5)^2`, so the network is trained with
``dA = dL/dy5 = y5 - t`` and the lecture's error term is
:math:`\delta = -\partial L / \partial a` (``-layer.dZ``).

The slide rounds as it goes and slips in places; :data:`SLIDE_VALUES` holds
what it prints, ``docs/lecture-errata.md`` explains every difference, and
``python -m dlkit.worked_example`` prints the comparison step by step.
"""

from __future__ import annotations

import numpy as np

from dlkit.nn import SGD, Dense, Sequential

__all__ = [
    "X", "TARGET", "LR", "W1", "W2", "SLIDE_VALUES", "SLIDE_NOTES",
    "lecture_network", "one_step", "run_until", "iterations_until", "differs", "table", "main",
]

#: The single input row (x1, x2), shape (1, 2).
X = np.array([[0.35, 0.7]])
#: Target output.
TARGET = 0.5
#: Learning rate eta.
LR = 1.0
#: Input -> hidden weights, shape (2, 2): ``W1[i, j]`` is w_{i+1, j+1}.
W1 = np.array([[0.2, 0.3],
               [0.2, 0.3]])
#: Hidden -> output weights, shape (2, 1): ``W2[i, 0]`` is w_{i+1, 3}.
W2 = np.array([[0.3],
               [0.9]])

_WEIGHTS = {  # name -> (layer, row, column)
    "w11": (0, 0, 0), "w21": (0, 1, 0), "w12": (0, 0, 1), "w22": (0, 1, 1),
    "w13": (1, 0, 0), "w23": (1, 1, 0),
}

#: Every number the slide prints, keyed like :func:`one_step`'s result.
#: ``"y3_used"`` is the value the slide plugs into a3 for y3.
SLIDE_VALUES = {
    "a1": 0.21, "y3": 0.56, "a2": 0.315, "y4": 0.59, "y3_used": 0.57,
    "a3": 0.702, "y5": 0.67, "error": -0.17,
    "delta5": -0.0376, "delta3": -0.0027, "delta4": -0.0819,
    "dw23": -0.022184, "w23_new": 0.877816,
    "dw11": 0.000945, "w11_new": 0.200945,
    "w12_new": 0.273225, "w13_new": 0.086615, "w21_new": 0.269445, "w22_new": 0.18534,
    "y3_after": 0.57, "y4_after": 0.56, "y5_after": 0.61, "error_after": -0.11,
}

#: One-line reason for every slide value that the exact value does not round to.
SLIDE_NOTES = {
    "y3": "sigma(0.21) = 0.5523 rounds to 0.55, not 0.56",
    "y3_used": "a3 uses y3 = 0.57, a third value for the same quantity",
    "y4": "sigma(0.315) = 0.5781 rounds to 0.58, not 0.59",
    "a3": "0.3 * 0.57 + 0.9 * 0.59 from the slipped y3, y4",
    "delta5": "propagated: the slide uses y5 = 0.67 and error = -0.17",
    "delta3": "propagated rounding; the slide's own numbers give -0.00278",
    "delta4": "factor of 10: its own numbers give -0.00819",
    "dw23": "propagated from delta5 = -0.0376 and y4 = 0.59",
    "w23_new": "propagated from dw23",
    "dw11": "sign lost: delta3 * x1 = -0.0027 * 0.35 is negative",
    "w11_new": "sign lost in dw11: 0.2 - 0.000945 = 0.199055, a decrease",
    "w12_new": "not w12 + delta4*x1 = 0.29713 (0.27134 with the slide's delta4)",
    "w13_new": "not w13 + delta5*y3 = 0.27894 with the slide's own numbers",
    "w21_new": "not w21 + delta3*x2 = 0.19811 with the slide's own numbers",
    "w22_new": "not w22 + delta4*x2 = 0.29426 (0.24267 with the slide's delta4)",
    "y3_after": "even the slide's own new weights give 0.5644",
    "y4_after": "matches only the slide's wrong new weights (0.5561)",
    "y5_after": "the slide's own new weights give 0.63; one step moves y5 very little",
    "error_after": "0.5 - 0.61 from the wrong y5",
}


def lecture_network() -> Sequential:
    """The slide's 2-2-1 network: sigmoid units, no biases, weights ``W1`` and ``W2``.

    Returns
    -------
    Sequential
        ``Sequential(Dense(2 -> 2, sigmoid, bias=False), Dense(2 -> 1, sigmoid, bias=False))``.
    """
    hidden = Dense(2, 2, "sigmoid", bias=False)
    output = Dense(2, 1, "sigmoid", bias=False)
    hidden.W[...] = W1
    output.W[...] = W2
    return Sequential(hidden, output)


def _weights(net) -> dict[str, float]:
    return {name: float(net[layer].W[i, j]) for name, (layer, i, j) in _WEIGHTS.items()}


def _forward(net) -> dict[str, float]:
    """One forward pass through ``net`` on ``X``; the lecture's a and y values."""
    hidden, output = net[0], net[1]
    h = hidden.forward(X)
    y = output.forward(h)
    return {"a1": float(hidden.Z[0, 0]), "y3": float(h[0, 0]),
            "a2": float(hidden.Z[0, 1]), "y4": float(h[0, 1]),
            "a3": float(output.Z[0, 0]), "y5": float(y[0, 0]),
            "error": TARGET - float(y[0, 0])}


def one_step(net=None) -> dict[str, float]:
    r"""One forward pass, one backward pass and one SGD update (``lr = 1``).

    Parameters
    ----------
    net : Sequential, optional
        A network shaped like :func:`lecture_network` (updated in place);
        a fresh lecture network by default.

    Returns
    -------
    dict of str to float
        Named as the slide names them:

        - ``x1, x2, target, lr`` and the starting weights ``w11 ... w23``;
        - forward: ``a1, y3, a2, y4, a3, y5`` and ``error`` :math:`= t - y_5`;
        - backward: ``delta5, delta3, delta4`` (:math:`\delta = -\partial L/\partial a`);
        - updates: ``dw11 ... dw23`` (:math:`\Delta w = -\eta\,\partial L/\partial w`)
          and ``w11_new ... w23_new``;
        - second forward pass: ``a1_after ... y5_after, error_after``.
    """
    net = lecture_network() if net is None else net
    values = {"x1": float(X[0, 0]), "x2": float(X[0, 1]), "target": TARGET, "lr": LR}
    values.update(_weights(net))
    values.update(_forward(net))
    # L = 1/2 (t - y5)^2, so dL/dy5 = y5 - t: the slide's update rule exactly.
    net.backward(np.array([[values["y5"] - TARGET]]))
    hidden, output = net[0], net[1]
    values["delta5"] = -float(output.dZ[0, 0])
    values["delta3"] = -float(hidden.dZ[0, 0])
    values["delta4"] = -float(hidden.dZ[0, 1])
    for name, (layer, i, j) in _WEIGHTS.items():
        values["d" + name] = -LR * float(net[layer].dW[i, j])
    SGD(net, lr=LR).step()
    values.update({f"{k}_new": v for k, v in _weights(net).items()})
    values.update({f"{k}_after": v for k, v in _forward(net).items()})
    return values


def run_until(tol=1e-3, max_iter=100_000, net=None) -> dict:
    """Train the lecture network with SGD (lr 1) until ``|t - y5| < tol``.

    Parameters
    ----------
    tol : float, default 1e-3
    max_iter : int, default 100_000
    net : Sequential, optional
        Starting network (updated in place); a fresh lecture network by default.

    Returns
    -------
    dict
        ``iterations`` (number of weight updates made), then the forward
        values ``a1 ... y5, error`` and weights ``w11 ... w23`` at that point.

    Raises
    ------
    RuntimeError
        If ``|error|`` is still ``>= tol`` after ``max_iter`` updates.
    """
    net = lecture_network() if net is None else net
    opt = SGD(net, lr=LR)
    for iterations in range(max_iter + 1):
        values = _forward(net)
        if abs(values["error"]) < tol:
            return {"iterations": iterations, **values, **_weights(net)}
        net.backward(np.array([[values["y5"] - TARGET]]))
        opt.step()
    raise RuntimeError(f"|error| = {abs(values['error']):.3g} is still >= {tol} "
                       f"after {max_iter} updates")


def iterations_until(tol=1e-3, max_iter=100_000) -> int:
    """Number of SGD updates (lr 1) until ``|t - y5| < tol``; see :func:`run_until`."""
    return run_until(tol, max_iter)["iterations"]


# ---------------------------------------------------------------- printing
_ROWS = [  # (section, key, label, formula)
    ("Forward pass", "a1", "a1", "w11*x1 + w21*x2"),
    ("Forward pass", "y3", "y3", "sigma(a1) = 1 / (1 + e^-a1)"),
    ("Forward pass", "a2", "a2", "w12*x1 + w22*x2"),
    ("Forward pass", "y4", "y4", "sigma(a2)"),
    ("Forward pass", "y3_used", "y3 in a3", "(the y3 the slide uses for a3)"),
    ("Forward pass", "a3", "a3", "w13*y3 + w23*y4"),
    ("Forward pass", "y5", "y5", "sigma(a3)"),
    ("Forward pass", "error", "error", "t - y5"),
    ("Error terms", "delta5", "delta5", "y5 (1 - y5) (t - y5)"),
    ("Error terms", "delta3", "delta3", "y3 (1 - y3) w13 delta5"),
    ("Error terms", "delta4", "delta4", "y4 (1 - y4) w23 delta5"),
    ("Weight changes", "dw13", "dw13", "eta delta5 y3"),
    ("Weight changes", "dw23", "dw23", "eta delta5 y4"),
    ("Weight changes", "dw11", "dw11", "eta delta3 x1"),
    ("Weight changes", "dw21", "dw21", "eta delta3 x2"),
    ("Weight changes", "dw12", "dw12", "eta delta4 x1"),
    ("Weight changes", "dw22", "dw22", "eta delta4 x2"),
    ("New weights", "w13_new", "w13 new", "w13 + dw13"),
    ("New weights", "w23_new", "w23 new", "w23 + dw23"),
    ("New weights", "w11_new", "w11 new", "w11 + dw11"),
    ("New weights", "w21_new", "w21 new", "w21 + dw21"),
    ("New weights", "w12_new", "w12 new", "w12 + dw12"),
    ("New weights", "w22_new", "w22 new", "w22 + dw22"),
    ("Second forward pass", "y3_after", "y3", "sigma(w11*x1 + w21*x2), new weights"),
    ("Second forward pass", "y4_after", "y4", "sigma(w12*x1 + w22*x2), new weights"),
    ("Second forward pass", "y5_after", "y5", "sigma(w13*y3 + w23*y4), new weights"),
    ("Second forward pass", "error_after", "error", "t - y5"),
]


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text else 0


def differs(key: str, exact: float) -> bool:
    """True when the slide's value for ``key`` is not ``exact`` rounded to the slide's digits."""
    slide = SLIDE_VALUES[key]
    return round(exact, _decimals(slide)) != slide


def table(values=None) -> str:
    """The step-by-step comparison :func:`main` prints, as one string."""
    values = one_step() if values is None else values
    exact_of = {**values, "y3_used": values["y3"]}
    header = f"  {'quantity':<9} {'formula':<37} {'exact':>16}  {'slide':>10}"
    lines, notes, section = [], [], None
    for sec, key, label, formula in _ROWS:
        if sec != section:
            lines += ["", sec, header, "  " + "-" * (len(header) - 2)]
            section = sec
        exact = exact_of[key]
        slide, mark = "", ""
        if key in SLIDE_VALUES:
            slide = f"{SLIDE_VALUES[key]:>10g}"
            if differs(key, exact):
                notes.append(f"  [{len(notes) + 1}] {label} ({sec.lower()}): {SLIDE_NOTES[key]}")
                mark = f"  x [{len(notes)}]"
        lines.append(f"  {label:<9} {formula:<37} {exact:>16.12f}  {slide:>10}{mark}")
    return "\n".join(lines + ["", "Where the slide differs (x):", *notes])


def main() -> None:
    """Print the worked example step by step, exact against the slide."""
    v = one_step()
    print("The lecture's backpropagation example, computed exactly with dlkit.nn")
    print(f"  inputs x1 = {v['x1']}, x2 = {v['x2']}; target t = {v['target']}; "
          f"learning rate eta = {v['lr']:g}; sigmoid units, no biases")
    print("  weights " + ", ".join(f"{k} = {v[k]}" for k in _WEIGHTS))
    print("  loss L = 1/2 (t - y5)^2, so the slide's delta = -dL/da and dw = -eta dL/dw")
    print("  'exact' is float64; 'slide' is what the slide prints; x marks a slide value")
    print("  that the exact value does not round to (at the slide's number of digits)")
    print(table(v))
    result = run_until(1e-3)
    print()
    print(f"Training on until |t - y5| < 1e-3: {result['iterations']} updates, "
          f"then y5 = {result['y5']:.6f}, error = {result['error']:+.6f}")
    print("  weights then: " + ", ".join(f"{k} = {result[k]:.4f}" for k in _WEIGHTS))
    print("  (the slide stops after one update; see docs/lecture-errata.md)")


if __name__ == "__main__":
    main()
