"""The backpropagation stepper: the lecture's 2-2-1 worked example, one phase at a time.

Every number comes from :func:`dlkit.worked_example.one_step`, run on one
network that keeps learning; nothing is recomputed here. Going back replays
the stored steps, so "previous" undoes "next" exactly.
"""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.patches import Circle

from dlkit.autograding import skip_while_grading
from dlkit.widgets._base import Explorer, figure

#: The phases of one iteration, in order.
PHASES = ("forward", "error", "deltas", "updates")
#: Digits of every value shown: enough to see the exact worked-example numbers.
DIGITS = 10

# node -> (x, y) on the drawing, and the edges (weight name, from, to)
_NODES = {"x1": (0.0, 1.0), "x2": (0.0, 0.0), "h1": (1.0, 1.0), "h2": (1.0, 0.0),
          "out": (2.0, 0.5)}
_EDGES = (("w11", "x1", "h1"), ("w21", "x2", "h1"), ("w12", "x1", "h2"),
          ("w22", "x2", "h2"), ("w13", "h1", "out"), ("w23", "h2", "out"))
# where along an edge its weight is written: crossing input edges near their inputs
_LABEL_AT = {"x1": 0.3, "x2": 0.3, "h1": 0.55, "h2": 0.55}
_ABOVE = ("x1", "h1")  # these nodes' values are written above them, the others' below


def _v(value) -> str:
    return f"{value:.{DIGITS}f}"


def node_labels(step, phase) -> dict[str, str]:
    """What each node says in ``phase`` of the iteration ``step`` (a :func:`one_step` dict)."""
    s = step
    labels = {"x1": f"x1 = {s['x1']:g}", "x2": f"x2 = {s['x2']:g}"}
    if phase in ("forward", "error"):
        labels.update(h1=f"a1 = {_v(s['a1'])}\ny3 = {_v(s['y3'])}",
                      h2=f"a2 = {_v(s['a2'])}\ny4 = {_v(s['y4'])}",
                      out=f"a3 = {_v(s['a3'])}\ny5 = {_v(s['y5'])}")
    else:
        labels.update(h1=f"δ3 = {_v(s['delta3'])}", h2=f"δ4 = {_v(s['delta4'])}",
                      out=f"δ5 = {_v(s['delta5'])}")
    return labels


def edge_labels(step, phase) -> dict[str, str]:
    """What each weight's edge says: its value, or in "updates" its change and new value."""
    if phase == "updates":
        return {w: f"Δ{w} = {_v(step['d' + w])}\n{w} = {_v(step[w + '_new'])}"
                for w, *_ in _EDGES}
    return {w: f"{w} = {step[w]:g}" if step[w] == round(step[w], 4) else f"{w} = {_v(step[w])}"
            for w, *_ in _EDGES}


def phase_text(step, phase) -> str:
    """The formulas of ``phase`` with the numbers of ``step``, as HTML."""
    s = step
    if phase == "forward":
        return (f"a1 = w11·x1 + w21·x2 = {_v(s['a1'])}, y3 = σ(a1) = <b>{_v(s['y3'])}</b>; "
                f"a2 = w12·x1 + w22·x2 = {_v(s['a2'])}, y4 = σ(a2) = <b>{_v(s['y4'])}</b>; "
                f"a3 = w13·y3 + w23·y4 = {_v(s['a3'])}, y5 = σ(a3) = <b>{_v(s['y5'])}</b>")
    if phase == "error":
        return f"E = t - y5 = {s['target']:g} - {_v(s['y5'])} = <b>{_v(s['error'])}</b>"
    if phase == "deltas":
        return (f"δ5 = y5(1 - y5)(t - y5) = <b>{_v(s['delta5'])}</b>; "
                f"δ3 = y3(1 - y3)·w13·δ5 = <b>{_v(s['delta3'])}</b>; "
                f"δ4 = y4(1 - y4)·w23·δ5 = <b>{_v(s['delta4'])}</b>")
    return (f"Δw = η·δ·(input of the weight), η = {s['lr']:g}: "
            + ", ".join(f"Δ{w} = {_v(s['d' + w])}" for w, *_ in _EDGES)
            + f"; with the new weights y5 = <b>{_v(s['y5_after'])}</b>, "
            f"E = <b>{_v(s['error_after'])}</b>")


def _draw_network(ax):
    """Nodes, edges and empty labels; returns the text artists by node and weight name."""
    texts = {}
    for w, a, b in _EDGES:
        (xa, ya), (xb, yb) = _NODES[a], _NODES[b]
        ax.plot([xa, xb], [ya, yb], color="0.6", zorder=1)
        at = _LABEL_AT[a]
        tx, ty = xa + at * (xb - xa), ya + at * (yb - ya)
        texts[w] = ax.text(tx, ty, "", ha="center", va="center", fontsize=7, zorder=3,
                           bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.8"})
    for name, (x, y) in _NODES.items():
        ax.add_patch(Circle((x, y), 0.09, fc="#dbe9f6", ec="#1f77b4", zorder=2))
        ax.text(x, y, {"x1": "x1", "x2": "x2", "h1": "h1", "h2": "h2", "out": "O"}[name],
                ha="center", va="center", fontsize=9, zorder=3)
        above = name in _ABOVE
        texts[name] = ax.text(x, y + (0.13 if above else -0.13), "", ha="center",
                              va="bottom" if above else "top", fontsize=7.5, zorder=3)
    texts["error"] = ax.text(2.35, 1.05, "", ha="right", va="bottom", fontsize=8,
                             color="#d62728")
    ax.set(xlim=(-0.3, 2.4), ylim=(-0.42, 1.42), aspect="equal")
    ax.axis("off")
    return texts


@skip_while_grading(say=True)
def backprop_stepper():
    """Step through the lecture's 2-2-1 backpropagation example, one phase at a time.

    Each iteration has four phases, drawn on the network: the forward values
    (``a`` and ``y`` of each unit), the error ``E = t - y5``, the deltas, and
    the weight updates. "Next" and "Previous" move one phase (past the
    updates, the next iteration starts from the new weights); "Reset" starts
    again from the slide's weights. Every value is
    :func:`dlkit.worked_example.one_step`'s, shown to 10 decimals.

    Returns
    -------
    Explorer, or None while nbgrader grades
        ``artists``: the text of every node (``x1 ... out``), weight
        (``w11 ... w23``) and ``error``; ``state``: ``iteration`` (1 for the
        slide's first pass), ``phase`` (a name from :data:`PHASES`) and
        ``step`` (the iteration's :func:`one_step` values).
    """
    from dlkit import worked_example as we  # lazily: only this widget needs it

    c = {"previous": widgets.Button(description="◀ Previous"),
         "next": widgets.Button(description="Next ▶", button_style="primary"),
         "reset": widgets.Button(description="Reset")}
    fig, ax = figure(8.0, 5.2)
    texts = _draw_network(ax)
    ex = Explorer(c, fig, texts)
    s = ex.state

    def show_position():
        i, p = s["position"]
        step, phase = s["steps"][i], PHASES[p]
        s.update(iteration=i + 1, phase=phase, step=step)
        for name, text in {**node_labels(step, phase), **edge_labels(step, phase)}.items():
            texts[name].set_text(text)
        texts["error"].set_text(f"E = t - y5 = {_v(step['error'])}" if phase != "forward" else "")
        ax.set_title(f"iteration {i + 1}, phase {p + 1}/{len(PHASES)}: {phase}")
        c["previous"].disabled = (i, p) == (0, 0)
        ex.readout.value = (f"<b>iteration {i + 1}</b>, {phase}: "
                            + phase_text(step, phase))
        ex.render()

    def reset(_button=None):
        s["net"] = we.lecture_network()
        s["steps"] = [we.one_step(s["net"])]
        s["position"] = (0, 0)
        show_position()

    def forward(_button=None):
        i, p = s["position"]
        if p + 1 < len(PHASES):
            s["position"] = (i, p + 1)
        else:
            if i + 1 == len(s["steps"]):
                s["steps"].append(we.one_step(s["net"]))
            s["position"] = (i + 1, 0)
        show_position()

    def back(_button=None):
        i, p = s["position"]
        if p > 0:
            s["position"] = (i, p - 1)
        elif i > 0:
            s["position"] = (i - 1, len(PHASES) - 1)
        show_position()

    c["next"].on_click(forward)
    c["previous"].on_click(back)
    c["reset"].on_click(reset)
    reset()
    return ex
