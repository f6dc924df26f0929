"""The instructor's report: how the class did, and who needs a look.

``reports/<assignment>.json``, one per assignment::

    {"assignment": "a1-neurons", "max_score": 13.0,
     "students": [{"student": "ada", "score": 13.0, "max_score": 13.0,
                   "status": "graded", "reason": "", "seconds": 2.1,
                   "findings": [{"check": "ast-scan", "notebook": "neurons",
                                 "message": "..."}],
                   "cells": {"neuron-public": 1.0, ...}}, ...]}

``score`` is the autograded score (written answers are graded by hand in
formgrader and are not part of it); ``status`` is one of
:data:`autograde.status.SUBMISSION`; ``findings`` are the reasons for manual
review, each with the check that found it (autograde/checks/, and the
pipeline's own: see :class:`autograde.status.Finding`); :func:`flags` gives
them as sentences.

``reports/index.html`` is one self-contained page (plots embedded as PNG):
the class at a glance, score distributions, the pass rate of every test cell,
time per notebook, and a table per assignment with every flag.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograde.safehtml import sanitize_page
from autograde.status import Finding, Status

STATUS_ORDER = tuple(s.value for s in (Status.GRADED, Status.TIMEOUT, Status.FAILED,
                                       Status.INVALID, Status.MISSING))


def findings(entry: dict) -> list[Finding]:
    """The findings of a grading-log entry or a report row."""
    found = (Finding.from_dict(f) for f in entry.get("findings", []) or [])
    return [f for f in found if f is not None]


def flags(entry: dict) -> list[str]:
    """The findings of a grading-log entry or a report row, as sentences."""
    return [str(f) for f in findings(entry)]


# ----------------------------------------------------------------------------- data
def assignment_report(gb: Gradebook, assignment: str, log: dict) -> dict:
    """The JSON report of one assignment, from the gradebook and the grading log."""
    try:
        a = gb.find_assignment(assignment)
    except MissingEntry:
        return {"assignment": assignment, "max_score": 0.0, "students": [],
                "cells": {}}
    test_cells = {c.name: float(c.max_score) for nb in a.notebooks for c in nb.grade_cells
                  if not _is_answer(nb, c.name)}
    max_score = sum(test_cells.values())
    students = []
    # the gradebook's students, and anyone who handed in a folder nbgrader could not
    # take in (no notebook at all: never entered in the gradebook)
    for student in sorted({s.id for s in gb.students} | set(log)):
        entry = log.get(student, {})
        row = {"student": student, "score": 0.0, "max_score": max_score,
               "status": entry.get("status", "missing"),
               "reason": entry.get("reason", "" if entry else "no submission"),
               "findings": [f.to_dict() for f in findings(entry)],
               "seconds": entry.get("seconds"), "cells": {}}
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            sub = None
        if sub is not None and row["status"] in ("graded", "timeout"):
            for nb in sub.notebooks:
                for g in nb.grades:
                    if g.name in test_cells:
                        row["cells"][g.name] = float(g.auto_score or 0.0)
            row["score"] = round(sum(row["cells"].values()), 6)
        if row["status"] == "skipped":
            row["status"] = "graded"
        students.append(row)
    return {"assignment": assignment, "max_score": max_score, "students": students,
            "cells": test_cells}


def _is_answer(notebook, name: str) -> bool:
    return any(c.name == name for c in notebook.solution_cells)


def build_report(root: Path, coursedir, assignments: list[str], out_dir: Path,
                 grading_logs: Path) -> list[dict]:
    """Write reports/<assignment>.json and reports/index.html; return the reports."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for assignment in assignments:
            log_path = grading_logs / f"{assignment}.json"
            log = json.loads(log_path.read_text()) if log_path.exists() else {}
            log.pop("_meta", None)
            rep = assignment_report(gb, assignment, log)
            public = {k: v for k, v in rep.items() if k != "cells"}
            (out_dir / f"{assignment}.json").write_text(json.dumps(public, indent=1))
            reports.append(rep)
    (out_dir / "index.html").write_text(render_html(reports), encoding="utf-8")
    return reports


# ----------------------------------------------------------------------------- terminal
def summary_table(reports: list[dict]) -> str:
    """Students down, assignments across: autograded score or the status."""
    students = sorted({s["student"] for r in reports for s in r["students"]})
    heads = [r["assignment"] for r in reports]
    width = max([9, *(len(h) for h in heads)])
    name_w = max([7, *(len(s) for s in students)])
    lines = [f"{'student':<{name_w}}  " + "  ".join(f"{h:>{width}}" for h in heads),
             "-" * (name_w + 2 + (width + 2) * len(heads))]
    cell = {(r["assignment"], s["student"]): s for r in reports for s in r["students"]}
    for student in students:
        parts = []
        for r in reports:
            s = cell.get((r["assignment"], student))
            if s is None:
                text = "-"
            elif s["status"] in ("graded",):
                text = f"{s['score']:g}/{s['max_score']:g}"
            elif s["status"] == "timeout":
                text = f"{s['score']:g} TIMEOUT"
            else:
                text = s["status"].upper()
            if s is not None and any(f.check == "late" for f in findings(s)):
                text += "*"
            parts.append(f"{text:>{width}}")
        lines.append(f"{student:<{name_w}}  " + "  ".join(parts))
    lines.append("")
    lines.append("score = autograded points (written answers are graded by hand);  "
                 "* = late;  FAILED, TIMEOUT, INVALID, MISSING: see the report")
    for r in reports:
        for s in r["students"]:
            if s["status"] not in ("graded",):
                lines.append(f"  {r['assignment']}/{s['student']}: {s['status']}: "
                             f"{s['reason']}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- html
def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _figures(reports: list[dict]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    graded = [[100 * s["score"] / s["max_score"] for s in r["students"]
               if s["status"] in ("graded", "timeout") and s["max_score"]] for r in reports]
    names = [r["assignment"] for r in reports]
    figs = {}

    fig = Figure(figsize=(8, 0.6 + 0.55 * len(reports)))
    ax = fig.subplots()
    ax.boxplot([g or [0] for g in graded], orientation="horizontal", tick_labels=names, widths=0.5)
    for i, g in enumerate(graded, start=1):
        ax.scatter(g, [i] * len(g), s=14, alpha=0.6, color="#1f77b4", zorder=3)
    ax.set_xlabel("autograded score (% of the autograded points)")
    ax.set_xlim(-3, 103)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    figs["scores"] = _png(fig)

    fig = Figure(figsize=(8, 2.2 * len(reports)))
    axes = fig.subplots(len(reports), 1, squeeze=False)[:, 0]
    for ax, r in zip(axes, reports, strict=True):
        subs = [s for s in r["students"] if s["status"] in ("graded", "timeout")]
        cells = list(r["cells"])
        rates = [100 * sum(s["cells"].get(c, 0) >= r["cells"][c] for s in subs) / len(subs)
                 if subs else 0 for c in cells]
        colors = ["#2ca02c" if v >= 80 else "#ff7f0e" if v >= 50 else "#d62728" for v in rates]
        ax.bar(range(len(cells)), rates, color=colors)
        ax.set_xticks(range(len(cells)), cells, rotation=60, ha="right", fontsize=7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("% passed")
        ax.set_title(f"{r['assignment']}: pass rate per test cell", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    figs["cells"] = _png(fig)

    fig = Figure(figsize=(8, 0.6 + 0.55 * len(reports)))
    ax = fig.subplots()
    times = [[s["seconds"] for s in r["students"] if s.get("seconds")] for r in reports]
    ax.boxplot([t or [0] for t in times], orientation="horizontal", tick_labels=names, widths=0.5)
    for i, t in enumerate(times, start=1):
        ax.scatter(t, [i] * len(t), s=14, alpha=0.6, color="#9467bd", zorder=3)
    ax.set_xlabel("seconds to execute the notebook (kernel start included)")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    figs["times"] = _png(fig)
    return figs


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}
.graded{color:#2a7d2a}.timeout{color:#b36b00}.failed,.invalid{color:#c62828;font-weight:600}
.missing{color:#777}.flags{font-size:12px;color:#555;margin:0;padding-left:1.1em}
.defence{color:#888;font-family:monospace}
img{max-width:100%}
"""


def render_html(reports: list[dict]) -> str:
    figs = _figures(reports) if reports else {}
    e = html.escape
    out = ["<!doctype html><html><head><meta charset='utf-8'>",
           "<title>Unit 2 deep learning: grading report</title>",
           f"<style>{_CSS}</style></head><body>",
           "<h1>Grading report</h1>",
           f"<p class='sub'>{dt.datetime.now():%Y-%m-%d %H:%M} &middot; "
           "scores are autograded points; written answers are graded by hand in "
           "formgrader</p>", "<h2>The class at a glance</h2><table><tr><th>assignment</th>",
           "<th class='num'>autograded points</th>",
           *[f"<th class='num'>{s}</th>" for s in STATUS_ORDER],
           "<th class='num'>mean</th><th class='num'>median</th>"
           "<th class='num'>flagged</th></tr>"]
    for r in reports:
        subs = r["students"]
        scores = sorted(s["score"] for s in subs if s["status"] in ("graded", "timeout"))
        mean = sum(scores) / len(scores) if scores else 0.0
        median = scores[len(scores) // 2] if scores else 0.0
        counts = [sum(s["status"] == st for s in subs) for st in STATUS_ORDER]
        flagged = sum(bool(s["findings"]) for s in subs)
        out.append(f"<tr><td><a href='#{e(r['assignment'])}'>{e(r['assignment'])}</a></td>"
                   f"<td class='num'>{r['max_score']:g}</td>"
                   + "".join(f"<td class='num'>{c}</td>" for c in counts)
                   + f"<td class='num'>{mean:.1f}</td><td class='num'>{median:g}</td>"
                   f"<td class='num'>{flagged}</td></tr>")
    out.append("</table>")
    if figs:
        out += ["<h2>Score distribution</h2>", f"<img alt='scores' src='{figs['scores']}'>",
                "<h2>Pass rate per test cell</h2>",
                "<p class='sub'>Share of graded submissions with full marks on each test "
                "cell: a red bar is an exercise the class did not get.</p>",
                f"<img alt='pass rates' src='{figs['cells']}'>",
                "<h2>Time per notebook</h2>", f"<img alt='times' src='{figs['times']}'>"]
    for r in reports:
        out.append(f"<h2 id='{e(r['assignment'])}'>{e(r['assignment'])}</h2>"
                   "<table><tr><th>student</th><th class='num'>score</th><th>status</th>"
                   "<th class='num'>seconds</th><th>reason and flags</th></tr>")
        for s in r["students"]:
            items = "".join(f"<li>{e(str(f))}" + (f" <span class='defence'>[{e(f.check)}]</span>"
                                                  if f.check else "") + "</li>"
                            for f in findings(s))
            reason = e(s["reason"]) if s["reason"] else ""
            seconds = f"{s['seconds']:.1f}" if s.get("seconds") else ""
            out.append(f"<tr><td>{e(s['student'])}</td>"
                       f"<td class='num'>{s['score']:g} / {s['max_score']:g}</td>"
                       f"<td class='{e(s['status'])}'>{e(s['status'])}</td>"
                       f"<td class='num'>{seconds}</td>"
                       f"<td>{reason}<ul class='flags'>{items}</ul></td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    # escaped above, and the body then through the one sanitiser of feedback pages
    # (bleach's allow-list, autograde.safehtml): the head is this module's own CSS
    return sanitize_page("\n".join(out), scripts=0)
