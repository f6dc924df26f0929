"""Time one training step of a 2-64-64-1 MLP in dlkit and, when installed, PyTorch CPU.

A step is forward, loss, backward and an SGD update, on a batch of 256 rows
with ReLU hidden layers and an MSE (or BCE-with-logits) loss. PyTorch runs in
float64 (dlkit's dtype) and float32, with its default number of threads and
with one. Every configuration is timed in the same run, interleaved round by
round so that a busy machine slows them all alike; the figure is the median
over rounds of the mean time per step, after a warm-up.

Usage::

    python bench/bench_mlp.py [--loss mse|bce_logits] [--batch 256] [--rounds 9]

torch is needed for the comparison only: ``pip install torch==2.13.0``.
Speed is never asserted in the tests; this script prints whether dlkit meets
its target (dlkit/torch <= 1.0 against every torch configuration).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from dlkit import losses, nn  # noqa: E402

SIZES = [2, 64, 64, 1]
LR = 0.01
TARGET_RATIO = 1.0


def make_data(batch: int, seed: int = 0):
    """X (batch, 2) standard normal; y (batch, 1) XOR-like labels 0/1 as floats."""
    X = np.random.default_rng(seed).standard_normal((batch, SIZES[0]))
    y = (X[:, :1] * X[:, 1:2] > 0).astype(np.float64)
    return X, y


def dlkit_step(X, y, loss: str, momentum: float):
    """Return ``(step, first_loss)`` for a fresh dlkit MLP."""
    model = nn.MLP(SIZES, activation="relu", rng=0)
    opt = nn.SGD(model, lr=LR, momentum=momentum)
    loss_fn, grad_fn = losses.get({"mse": "mse", "bce_logits":
                                   "binary_cross_entropy_with_logits"}[loss])

    def step():
        out = model.forward(X)
        value = loss_fn(y, out)
        model.backward(grad_fn(y, out))
        opt.step()
        return value

    return step, model


def torch_step(torch, X, y, loss: str, momentum: float, dtype, like):
    """Return a PyTorch step doing the same work, starting from ``like``'s weights."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        linear = torch.nn.Linear(n_in, n_out, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(like[i].W.T.copy()))
            linear.bias.copy_(torch.from_numpy(like[i].b))
        layers += [linear, torch.nn.ReLU()] if i < len(SIZES) - 2 else [linear]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=momentum)
    criterion = {"mse": torch.nn.functional.mse_loss,
                 "bce_logits": torch.nn.functional.binary_cross_entropy_with_logits}[loss]
    Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y, dtype=dtype)

    def step():
        opt.zero_grad()
        value = criterion(model(Xt), yt)
        value.backward()
        opt.step()
        return value

    return step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loss", choices=["mse", "bce_logits"], default="mse")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (median taken)")
    parser.add_argument("--seconds", type=float, default=0.2,
                        help="about how long each configuration runs per round")
    args = parser.parse_args(argv)

    X, y = make_data(args.batch)
    step, model = dlkit_step(X, y, args.loss, args.momentum)
    configs = [("dlkit", "float64", "default", step, None)]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        default_threads = torch.get_num_threads()
        for dtype in (torch.float64, torch.float32):
            for threads in (default_threads, 1):
                label = "default" if threads == default_threads else "1"
                if label == "1" and default_threads == 1:
                    continue
                fn = torch_step(torch, X, y, args.loss, args.momentum, dtype, model)
                configs.append(("torch", str(dtype).removeprefix("torch."), label, fn, threads))
        # Same start, same data: the first float64 losses must agree.
        check_step, check_model = dlkit_step(X, y, args.loss, args.momentum)
        twin = torch_step(torch, X, y, args.loss, args.momentum, torch.float64, check_model)
        first, other = float(check_step()), twin().item()
        same = abs(first - other) <= 1e-12 * max(1.0, abs(first))

    def run(cfg, n):
        if cfg[4] is not None:
            torch.set_num_threads(cfg[4])
        return timeit.Timer(cfg[3]).timeit(n) / n

    for cfg in configs:  # warm-up, and steps per round from the slowest
        run(cfg, 50)
    per_step = max(run(cfg, 50) for cfg in configs)
    number = max(10, int(args.seconds / per_step))
    times: list[list[float]] = [[] for _ in configs]
    for _ in range(args.rounds):
        for i, cfg in enumerate(configs):
            times[i].append(run(cfg, number))
    if torch is not None:
        torch.set_num_threads(default_threads)
    us = [statistics.median(t) * 1e6 for t in times]

    print(f"One training step (forward, loss, backward, SGD step) of a "
          f"{'-'.join(map(str, SIZES))} MLP, relu hidden, {args.loss}, batch {args.batch}, "
          f"momentum {args.momentum:g}")
    torch_info = (f"torch {torch.__version__} ({default_threads} threads by default)"
                  if torch is not None else "torch not installed")
    print(f"numpy {np.__version__}, {torch_info}, {os.cpu_count()} CPUs; "
          f"median of {args.rounds} interleaved rounds of {number} steps")
    print()
    print(f"  {'implementation':<15} {'dtype':<8} {'threads':>7} {'us/step':>9} "
          f"{'dlkit/this':>11}")
    print("  " + "-" * 54)
    for (name, dtype, threads, *_), t in zip(configs, us, strict=True):
        print(f"  {name:<15} {dtype:<8} {threads:>7} {t:>9.1f} {us[0] / t:>11.2f}")
    print()
    if torch is None:
        print("Install torch==2.13.0 (pip install -e '.[bench]') to compare with PyTorch.")
        return 0
    print(f"Same first loss as torch float64: {'yes' if same else 'NO'} "
          f"(dlkit {first:.15g}, torch {other:.15g})")
    ratios = [(us[0] / t, cfg) for t, cfg in zip(us[1:], configs[1:], strict=True)]
    worst, cfg = max(ratios, key=lambda r: r[0])
    verdict = "met" if worst <= TARGET_RATIO else "NOT met"
    print(f"Target dlkit/torch <= {TARGET_RATIO:g} against every torch row: {verdict} "
          f"(worst {worst:.2f}, against torch {cfg[1]}, {cfg[2]} thread(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
