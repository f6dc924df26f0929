"""How fast the widgets answer: a control change to the redrawn picture, and live training.

For every widget of :mod:`dlkit.widgets`, the time from setting a control's
value to the new PNG in the widget (the callback recomputes, updates the
artists, draws the figure with Agg and encodes it: all a redraw costs in
JupyterLab before the bytes go to the browser), median over ``--changes``
changes cycling through several controls. The baseline is the same render
of an empty figure of the same size, measured in the same run.

For the playground, training steps per second of a 2-8-8-1 network on 200
points (140 for training, batch 10) while the "Train" toggle runs its real
background loop on an asyncio event loop, redrawing every
``STEPS_PER_FRAME`` steps; the baseline is the bare training step of the
same network on the same data, without drawing.

Targets: a control change redraws in at most 150 ms (median), and the
playground trains at least 100 steps/s while drawing. Figures depend on the
machine and its load: compare the ratios of one run.

    .venv/bin/python bench/bench_widgets.py [--changes 20] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from dlkit import widgets  # noqa: E402
from dlkit.widgets import training  # noqa: E402
from dlkit.widgets._base import DPI  # noqa: E402

REDRAW_TARGET_MS = 150.0
STEPS_TARGET = 100.0

# widget -> the control changes to cycle through: (control, values)
CHANGES = {
    "activation_explorer": [("name", ["tanh", "elu", "relu", "sigmoid"]),
                            ("x0", [-2.0, 0.5, 3.0]), ("range", [(-3.0, 3.0), (-8.0, 8.0)]),
                            ("compare", ["softplus", "none"])],
    "neuron_explorer": [("w1", [0.5, -1.5, 2.0]), ("b", [1.0, -0.5]),
                       ("name", ["tanh", "relu", "sigmoid"])],
    "loss_explorer": [("name", ["huber", "binary_cross_entropy", "triplet_loss", "mse"]),
                      ("target", [1.0, -1.0, 0.5])],
    "training_playground": [("noise", [0.2, 0.05, 0.3]), ("activation", ["relu", "tanh"]),
                   ("dataset", ["circles", "spiral", "gaussian", "xor"])],
    "backprop_stepper": [("next", None), ("next", None), ("previous", None)],
}


def _ms(seconds: float) -> float:
    return 1000.0 * seconds


def empty_render_ms(figure, repeats: int, axes: bool = False) -> float:
    """Median time to render an empty figure of ``figure``'s size to PNG, as the widgets do.

    With ``axes``, the figure holds as many empty Axes (frames, ticks, labels).
    """
    empty = Figure(figsize=figure.get_size_inches(), dpi=DPI, layout="constrained")
    if axes:
        empty.subplots(1, len(figure.axes))
    empty.savefig(io.BytesIO(), format="png", dpi="figure")
    empty.set_layout_engine("none")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        empty.savefig(io.BytesIO(), format="png", dpi="figure")
        times.append(time.perf_counter() - start)
    return _ms(statistics.median(times))


def redraw_ms(name: str, changes: int) -> tuple[float, float, float]:
    """Median ms from a control change to the new PNG for widget ``name``, and the baselines.

    Returns (widget, empty figure, empty Axes), all in ms.
    """
    ex = getattr(widgets, name)()
    moves = itertools.cycle([(key, v) for key, values in CHANGES[name]
                             for v in (values or [None])])
    times = []
    for _ in range(changes):
        key, value = next(moves)
        control = ex.controls[key]
        before = ex.image.value
        start = time.perf_counter()
        if value is None:
            control.click()
        else:
            control.value = value
        times.append(time.perf_counter() - start)
        if ex.image.value == before:
            raise RuntimeError(f"{name}: {key} = {value!r} did not redraw")
    baselines = [empty_render_ms(ex.figure, changes, axes) for axes in (False, True)]
    ex.close()
    return _ms(statistics.median(times)), *baselines


def bare_steps_per_second(seconds: float) -> float:
    """Training steps per second of the playground's network, without any drawing."""
    ex = widgets.training_playground()
    trainer = ex.trainer
    ex.close()
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        trainer.train(100)
        steps += 100
    return steps / (time.perf_counter() - start)


def live_steps_per_second(seconds: float) -> tuple[float, int]:
    """(steps per second, frames drawn) of the playground's background loop, "Train" pressed."""
    async def run():
        ex = widgets.training_playground()
        renders = [0]
        render = ex.render

        def counted(*args, **kwargs):
            renders[0] += 1
            render(*args, **kwargs)

        ex.render = counted
        start = time.perf_counter()
        ex.controls["play"].value = True
        await asyncio.sleep(seconds)
        ex.controls["play"].value = False
        elapsed = time.perf_counter() - start
        steps = ex.trainer.steps
        ex.close()
        return steps / elapsed, renders[0]

    return asyncio.run(run())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="control changes per widget")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of live training")
    args = parser.parse_args(argv)

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print(f"{'widget':<22}{'redraw ms':>10}{'empty fig':>10}{'ratio':>7}{'empty axes':>11}"
          f"{'ratio':>7}  target <= {REDRAW_TARGET_MS:.0f} ms")
    worst = 0.0
    for name in CHANGES:
        ms, empty, axes = redraw_ms(name, args.changes)
        worst = max(worst, ms)
        print(f"{name:<22}{ms:>10.1f}{empty:>10.1f}{ms / empty:>7.1f}{axes:>11.1f}"
              f"{ms / axes:>7.2f}  {'met' if ms <= REDRAW_TARGET_MS else 'MISSED'}")

    bare = bare_steps_per_second(args.seconds)
    live, frames = live_steps_per_second(args.seconds)
    print()
    print(f"{'playground 2-8-8-1, 200 points':<34}{'steps/s':>10}{'ratio':>8}")
    print(f"{'bare training step (baseline)':<34}{bare:>10.0f}{1.0:>8.2f}")
    print(f"{'training while drawing':<34}{live:>10.0f}{live / bare:>8.2f}  "
          f"({frames} frames, one every {training.STEPS_PER_FRAME} steps; target >= "
          f"{STEPS_TARGET:.0f} steps/s: {'met' if live >= STEPS_TARGET else 'MISSED'})")
    met = worst <= REDRAW_TARGET_MS and live >= STEPS_TARGET
    print(f"\ntargets {'met' if met else 'MISSED'}: slowest median redraw {worst:.1f} ms, "
          f"{live:.0f} steps/s while drawing")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
