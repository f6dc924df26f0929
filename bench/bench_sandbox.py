"""What the kernel sandbox costs: `autograde grade` with --ClassGrader.sandbox=off and =on.

    .venv/bin/python bench/bench_sandbox.py [--jobs 2] [--assignments a1-neurons a2-activations]
        [--rounds 2]

In one run, on a temporary copy of the course with the demo class of the
chosen assignments (minus the submission that loops until the per-cell
timeout), grades the same submissions from the same gradebook state with the
sandbox off and on, alternating (off, on, off, on, ...) so a busy machine
slows both alike, and prints seconds per notebook for each, the ratio
(target: sandboxed <= 1.20 x unsandboxed), whether the scores are identical,
and the kernel start time with and without the sandbox (median of 10 starts
through the workers' kernel manager, each in a process that first enters its
own mount namespace as a worker does, in a folder made by
``sandbox.make_workdir``: a quota tmpfs when sandboxed), with the ratios to a
plain kernel measured in the same run. Never a timed assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_grading import BIN, ROOT, run, scores  # noqa: E402


def kernel_start(spec: dict | None, n: int = 10) -> tuple[float, float]:
    """Median seconds from making a kernel's folder to the kernel answering kernel_info, and
    of making and removing the folder alone; measured in a fresh process, as a worker."""
    proc = subprocess.run([sys.executable, __file__, "--kernel-start", json.dumps(spec), str(n)],
                          capture_output=True, text=True, check=True)
    return tuple(json.loads(proc.stdout.strip().splitlines()[-1]))


def _kernel_start(spec: dict | None, n: int) -> tuple[float, float]:
    """kernel_start's measure, in this process (which must not have started a thread)."""
    from autograde import sandbox

    if spec is None:
        os.environ.pop(sandbox.ENV_VAR, None)
    else:
        os.environ[sandbox.ENV_VAR] = json.dumps(spec)
    sandbox.enter_worker_namespace(spec)   # what a worker does first
    folders = []
    for _ in range(n):
        start = time.perf_counter()
        sandbox.remove_workdir(sandbox.make_workdir(spec))
        folders.append(time.perf_counter() - start)

    from jupyter_client.blocking import BlockingKernelClient
    from jupyter_core.utils import run_sync

    from autograde.worker import PrestartingExecute

    km_class = PrestartingExecute().kernel_manager_class
    times = []
    for _ in range(n):
        start = time.perf_counter()
        workdir = sandbox.make_workdir(spec)
        km = km_class(kernel_name="python3")
        # (the kernel's own start-up notes are not the benchmark's output)
        run_sync(km.start_kernel)(cwd=workdir, stderr=subprocess.DEVNULL,
                                  extra_arguments=["--HistoryManager.hist_file=:memory:"])
        kc = BlockingKernelClient()
        kc.load_connection_info(km.get_connection_info())
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        times.append(time.perf_counter() - start)
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
        run_sync(km.cleanup_resources)()
        sandbox.remove_workdir(workdir)
    return statistics.median(times), statistics.median(folders)


def main() -> None:
    if sys.argv[1:2] == ["--kernel-start"]:   # one measure, in a process of its own
        print(json.dumps(_kernel_start(json.loads(sys.argv[2]), int(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignments", nargs="*", default=["a1-neurons", "a2-activations"])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    course = work / "course-root"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for name in ("source", "release", "course"):
        shutil.copytree(ROOT / name, course / name)
    autograde = [str(BIN / "autograde")]
    run([*autograde, "release", *args.assignments], course)
    run([*autograde, "demo", *args.assignments], course)
    for looping in course.glob("submitted/ines"):
        shutil.rmtree(looping)
    notebooks = sorted(p for a in args.assignments for p in course.glob(f"submitted/*/{a}/*.ipynb"))
    n = len(notebooks)
    print(f"class: {n} notebooks in {', '.join(args.assignments)} "
          f"({os.cpu_count()} CPUs, --jobs {args.jobs}, {args.rounds} round(s) each)\n")
    shutil.copy(course / "gradebook.db", work / "fresh.db")

    seconds: dict[str, list[float]] = {"off": [], "on": []}
    graded: dict[str, dict] = {}
    for _ in range(args.rounds):
        for mode in ("off", "on"):
            shutil.rmtree(course / "autograded", ignore_errors=True)
            shutil.copy(work / "fresh.db", course / "gradebook.db")
            seconds[mode].append(run([*autograde, "grade", *args.assignments, "--force",
                                      "--no-progress", f"--jobs={args.jobs}",
                                      f"--ClassGrader.sandbox={mode}"], course))
            graded[mode] = scores(course / "gradebook.db", args.assignments)

    from autograde import sandbox

    os.chdir(course)
    spec = sandbox.settings("on", course_root=str(course), memory_mb=4096, file_mb=200,
                            process_limit=256, cpu_seconds=1200, disk_mb=512)
    plain, _ = kernel_start(None)
    limits_only, _ = kernel_start({"namespaces": False, "memory_mb": 4096, "file_mb": 200})
    boxed, folder = kernel_start(spec)

    off, on = min(seconds["off"]), min(seconds["on"])
    print(f"{'':34}{'seconds':>9}{'s/notebook':>12}{'vs off':>9}")
    for label, secs in ((f"grade --jobs {args.jobs}, sandbox off", off),
                        (f"grade --jobs {args.jobs}, sandbox on", on)):
        print(f"{label:34}{secs:9.1f}{secs / n:12.2f}{secs / off:8.2f}x")
    print(f"\n(best of {args.rounds}; all rounds: off "
          f"{', '.join(f'{s:.1f}' for s in seconds['off'])} s, on "
          f"{', '.join(f'{s:.1f}' for s in seconds['on'])} s)")
    ratio = on / off
    print(f"sandboxed / unsandboxed: {ratio:.2f} (target <= 1.20: "
          f"{'met' if ratio <= 1.20 else 'NOT met'})")
    same = graded["off"] == graded["on"]
    print(f"scores identical with and without the sandbox: {'yes' if same else 'NO'}")
    print("\nkernel's folder made to kernel_info reply (median of 10):")
    print(f"  plain kernel              {plain:6.3f} s")
    print(f"  limits only (sandbox off) {limits_only:6.3f} s  ({limits_only / plain:.2f}x)")
    print(f"  sandboxed                 {boxed:6.3f} s  ({boxed / plain:.2f}x, "
          f"+{boxed - plain:.3f} s; default-deny view of {len(spec['allow'])} allowed paths)")
    print(f"  of which the quota tmpfs  {folder:6.3f} s  (make_workdir + remove_workdir)")
    shutil.rmtree(work, ignore_errors=True)
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
