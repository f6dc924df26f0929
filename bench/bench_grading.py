"""Grade the same class with serial `nbgrader autograde` and with `autograde grade`.

    .venv/bin/python bench/bench_grading.py [--jobs 2] [--assignments a1-neurons ...]

In one run, on a temporary copy of the course with a class of 8 solutions
and 4 untouched notebooks per assignment (60 notebooks; ``--demo`` grades the
demo class instead, minus the submission that loops until the per-cell
timeout, which would measure the timeout rather than the grader):

1. the floor: every notebook executed with bare nbclient, one after another
   (kernel start + execution, nothing else), and the kernel start alone;
2. `nbgrader autograde` per assignment, as shipped (serial);
3. `autograde grade --jobs N` on the same submissions, from the same
   gradebook state.

It checks the two gradebooks hold identical scores, then prints seconds per
notebook, the speed-up (target: >= 2x on 2 cores) and where autograde's time
goes (kernel start in its sandbox, the student's cells, the checks in the
trusted process, the calls they make into the student's kernel, and the
main process's prepare and save steps, from reports/grading/*.json).
Never a timed assertion: the numbers are printed, next to their baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(cmd: list[str], cwd: Path) -> float:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # nbgrader exits 1 when a submission fails (the crash)
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return seconds


def scores(db: Path, assignments: list[str]) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for a in assignments:
            for sub in gb.assignment_submissions(a):
                out[(a, sub.student_id)] = {(nb.name, g.name): g.auto_score
                                            for nb in sub.notebooks for g in nb.grades}
    return out


def floor(course: Path, notebooks: list[Path]) -> tuple[float, float]:
    """Seconds per notebook: (kernel start + execution with nbclient, kernel start alone)."""
    import nbformat
    from jupyter_client.manager import start_new_kernel
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    os.environ["NBGRADER_EXECUTION"] = "autograde"
    # kernels inherit our stderr and greet it with a warning each; not data
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        return _timed_floor(course, notebooks, NotebookClient, DeadKernelError, start_new_kernel,
                            nbformat)
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def _timed_floor(course, notebooks, NotebookClient, DeadKernelError, start_new_kernel,
                 nbformat) -> tuple[float, float]:
    start = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3",
                           resources={"metadata": {"path": str(course)}}).execute()
        except DeadKernelError:
            pass  # the demo's crashing submission
    per_notebook = (time.perf_counter() - start) / len(notebooks)
    start = time.perf_counter()
    for _ in range(5):
        km, kc = start_new_kernel(kernel_name="python3")
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return per_notebook, (time.perf_counter() - start) / 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignments", nargs="*", default=None)
    parser.add_argument("--demo", action="store_true", help="grade the demo class instead")
    parser.add_argument("--solutions", type=int, default=8)
    parser.add_argument("--blanks", type=int, default=4)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    course = work / "course-root"
    course.mkdir()
    for name in ("nbgrader_config.py",):
        shutil.copy(ROOT / name, course)
    for name in ("source", "release", "course"):
        shutil.copytree(ROOT / name, course / name)
    autograde = [str(BIN / "autograde")]
    run([*autograde, "release"], course)
    from autograde.course import read_schedule

    assignments = args.assignments or [a.id for a in read_schedule(course / "course")]
    if args.demo:
        run([*autograde, "demo"], course)
        # the looping submission waits out the per-cell timeout in both graders
        for looping in course.glob("submitted/ines"):
            shutil.rmtree(looping)
    else:
        for a in assignments:
            for kind, count, folder in (("sol", args.solutions, "source"),
                                        ("blank", args.blanks, "release")):
                for i in range(1, count + 1):
                    dest = course / "submitted" / f"{kind}{i:02d}" / a
                    dest.mkdir(parents=True)
                    for nb in (course / folder / a).glob("*.ipynb"):
                        shutil.copy(nb, dest / nb.name)
    notebooks = sorted(p for a in assignments for p in course.glob(f"submitted/*/{a}/*.ipynb"))
    valid = [p for p in notebooks if _valid(p)]
    n = len(notebooks)
    print(f"class: {n} notebooks in {', '.join(assignments)} "
          f"({os.cpu_count()} CPUs, --jobs {args.jobs})\n")

    shutil.copy(course / "gradebook.db", work / "fresh.db")
    per_floor, kernel_start = floor(course, valid)

    serial = 0.0
    for a in assignments:
        serial += run([str(BIN / "nbgrader"), "autograde", a, "--force"], course)
    shutil.copy(course / "gradebook.db", work / "serial.db")
    shutil.rmtree(course / "autograded", ignore_errors=True)
    shutil.copy(work / "fresh.db", course / "gradebook.db")

    parallel = run([*autograde, "grade", *assignments, "--force", "--no-progress",
                    f"--jobs={args.jobs}"], course)
    same = scores(work / "serial.db", assignments) == scores(course / "gradebook.db",
                                                            assignments)

    print(f"{'':34}{'seconds':>9}{'s/notebook':>12}{'vs serial':>11}")
    rows = [("nbgrader autograde (serial)", serial), (f"autograde grade --jobs {args.jobs}",
                                                      parallel)]
    for label, secs in rows:
        print(f"{label:34}{secs:9.1f}{secs / n:12.2f}{serial / secs:10.2f}x")
    print(f"{'floor: nbclient alone, serial':34}{per_floor * len(valid):9.1f}"
          f"{per_floor:12.2f}{serial / (per_floor * len(valid)):10.2f}x")
    print(f"{'floor / jobs (perfect parallelism)':34}"
          f"{per_floor * len(valid) / args.jobs:9.1f}{per_floor / args.jobs:12.2f}"
          f"{serial * args.jobs / (per_floor * len(valid)):10.2f}x")
    print(f"\nscores identical to nbgrader's: {'yes' if same else 'NO'}")
    speedup = serial / parallel
    print(f"speed-up over serial nbgrader: {speedup:.2f}x "
          f"(target >= 2x: {'met' if speedup >= 2 else 'NOT met'})")
    bookkeeping = serial / n - per_floor
    print("\nwhere a notebook's time goes (serial nbgrader):")
    print(f"  kernel start            {kernel_start:6.2f} s")
    print(f"  the notebook itself     {per_floor - kernel_start:6.2f} s  "
          "(imports, student code, tests)")
    print(f"  nbgrader bookkeeping    {bookkeeping:6.2f} s  "
          "(sanitize, gradebook, writing files, process start)")
    import json

    totals: dict[str, float] = {}
    per_assignment: dict[str, dict[str, float]] = {}
    for a in assignments:   # each assignment's log has its own share
        meta = json.loads((course / "reports" / "grading" / f"{a}.json").read_text())["_meta"]
        count = sum(1 for p in valid if p.parts[-2] == a) or 1
        per_assignment[a] = {ph: s / count for ph, s in meta.get("seconds", {}).items()}
        for phase, secs in meta.get("seconds", {}).items():
            totals[phase] = totals.get(phase, 0.0) + secs
    print(f"\nwhere a notebook's time goes (autograde grade --jobs {args.jobs}; the worker "
          "phases add up over both workers, the main process's steps run beside them):")
    for phase, secs in totals.items():
        print(f"  {phase:30}{secs / n:6.2f} s")
    phases = list(totals)
    print("\nthe same, per assignment (s/notebook):")
    print(f"  {'':18}" + "".join(f"{ph[:12]:>13}" for ph in phases))
    for a, row in per_assignment.items():
        print(f"  {a:18}" + "".join(f"{row.get(ph, 0.0):13.2f}" for ph in phases))
    shutil.rmtree(work, ignore_errors=True)
    if not same:
        sys.exit(1)


def _valid(path: Path) -> bool:
    import json

    try:
        json.loads(path.read_text())
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    main()
