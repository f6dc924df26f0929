"""Feedback a student can open safely, one notebook at a time: ``autograde feedback``.

:class:`SafeFeedback` is nbgrader's ``GenerateFeedback`` (its preprocessors,
template and gradebook reads, so a student's feedback is nbgrader's), with:

- **safe HTML**: the page's body goes through :func:`autograde.safehtml.sanitize`
  (bleach, an allow-list) before it is written; the head is nbgrader's
  template (its CSS, MathJax), kept as it is, which is why only notebooks of
  the assignment, with plain names, are converted;
- **hidden tests hidden in outputs too**: :class:`RedactHiddenTests` replaces
  any output of a student's cell that holds a line of a hidden test by a note
  and takes such lines out of the test cells' outputs (:mod:`autograde.hidden`);
- **a student's text is the student's**: nbgrader's ClearHiddenTests raises on
  a ``### BEGIN HIDDEN TESTS`` it finds in an answer (unbalanced, or outside
  a test cell), which failed every later submission and assignment; here it
  only reads the test cells (:class:`TestCellsClearHiddenTests`);
- **one notebook at a time, on its own**: each notebook is converted by
  :func:`autograde.bounded.run` (a forked child with a time and memory limit,
  as every per-submission step of the main process); one that fails (why, in
  one line) is listed in :attr:`SafeFeedback.failures` and the others go on;
- **a page that renders in seconds**: a cell of a megabyte (pasted copies, a
  generated answer) took minutes to highlight and sanitise and failed its
  feedback; :class:`ShortenLongCells` shows the start of such a cell with a note
  saying how much there is (the notebook the student submitted keeps all of it);
- **no link followed**: the autograded notebook must be a regular file (not a
  link, not a hard link, no link on its way) of a sensible size; the other
  files nbgrader copies into ``feedback/`` are regular files only, copied
  without following anything, and never larger than
  ``CourseDirectory.max_file_size``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.utils import is_ignored
from traitlets import Bool, Float, Integer

from autograde import bounded
from autograde.hidden import HiddenLines, block_lines
from autograde.safehtml import sanitize_page
from autograde.trusted import TRUSTED, cell_role

#: what a notebook's name may be (it is the page's title, in the template's own head)
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}")


class TestCellsClearHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, on test cells only (their source is the gradebook's).

    A student's answer or own cell that quotes the markers (``### BEGIN HIDDEN
    TESTS`` without its END, or in a cell that is not a test cell) is the
    student's text: shown as written, instead of failing the whole feedback.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell_role(cell) != TRUSTED:
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)


class RedactHiddenTests(Preprocessor):
    """Outputs that show a line of a hidden test: replaced by a note (a student's cell) or
    with the line taken out (a test cell's traceback). Runs before ClearHiddenTests.

    The hidden lines are those of the source notebook (``resources["autograde"]
    ["hidden"]``) and of the notebook's own test cells; lines that students see
    in the release notebook anyway (``["public"]``) or wrote in their own cells
    do not count.
    """

    enabled = Bool(True)   # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        info = resources.get("autograde", {})
        lines, own = list(info.get("hidden", ())), []
        for cell in nb.cells:
            if cell_role(cell) == TRUSTED:
                lines += block_lines(cell.get("source", ""))
            else:   # what the student wrote is no secret to the student
                own.append(str(cell.get("source", "")))
        guard = HiddenLines(lines, info.get("public", "") + "\n" + "\n".join(own))
        count = 0
        if guard:
            for cell in nb.cells:
                if cell.get("cell_type") == "code" and cell.get("outputs"):
                    count += guard.redact_outputs(cell.outputs,
                                                  student=cell_role(cell) != TRUSTED)
        resources["autograde_redacted"] = count
        return nb, resources


class ShortenLongCells(Preprocessor):
    """Show at most ``cell_chars`` characters of a cell, ``notebook_chars`` in all.

    Highlighting and sanitising cost about a minute per megabyte of source;
    nothing in a student's page needs more than the start of a cell that long.
    A cell is cut at a line's end where one is near and ends with a note that
    says how much of it is shown; once the notebook's budget is spent, a cell
    shows the note only. Test cells (their source is the gradebook's) are shown
    whole and not counted. Runs after :class:`RedactHiddenTests` (which reads the
    whole of the student's text) and before anything renders.
    """

    enabled = Bool(True)
    cell_chars = Integer(20_000, help="Characters of one cell a feedback page shows.")
    notebook_chars = Integer(200_000, help="Characters of all cells a feedback page shows.")

    def preprocess(self, nb, resources):
        left, shortened = self.notebook_chars, 0
        for cell in nb.cells:
            if cell_role(cell) == TRUSTED:   # the gradebook's own source: whole, not counted
                continue
            source = cell.get("source", "")
            if not isinstance(source, str):
                source = "".join(map(str, source)) if isinstance(source, list) else str(source)
            room = max(0, min(self.cell_chars, left))
            if len(source) > room:
                cell["source"] = self._cut(source, room, cell.get("cell_type"))
                shortened += 1
            left -= min(len(source), room)
        resources["autograde_shortened"] = shortened
        return nb, resources

    @staticmethod
    def _cut(source: str, room: int, cell_type) -> str:
        head = source[:room]
        end = head.rfind("\n")
        if end >= room // 2:
            head = head[:end]
        note = (f"feedback shows the first {len(head):,} of the {len(source):,} characters "
                "of this cell; the notebook you submitted has all of them")
        if not head:
            note = (f"this cell has {len(source):,} characters, more than a feedback page "
                    "shows; the notebook you submitted has all of them")
        if cell_type == "code":
            return (head + "\n" if head else "") + "# [" + note + "]"
        return (head + "\n\n" if head else "") + "*[" + note + "]*"


class FeedbackFailed(Exception):
    """One notebook's feedback could not be written (the message says why, in one line)."""


class SafeFeedback(GenerateFeedback):
    """nbgrader's GenerateFeedback, each notebook on its own and its HTML sanitised."""

    notebook_timeout = Float(
        120.0,
        help="Seconds the feedback of one notebook may take (0: no limit); past it, that "
             "notebook gets no feedback and is reported, and the others go on.",
    ).tag(config=True)

    memory_limit_mb = Integer(
        2048,
        help="MiB of memory the feedback of one notebook may take, on top of what the "
             "command holds already (0: no limit).",
    ).tag(config=True)

    notebook_limit_mb = Integer(
        100,
        help="Largest autograded notebook (MiB) feedback is written for (0: none).",
    ).tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.failures: list[str] = []     # "student/notebook: why", one line each
        self.written = 0                  # notebooks with feedback
        self.redacted = 0                 # outputs with hidden-test code, not shown
        self._hidden: dict[tuple[str, str], tuple[list, str]] = {}
        self._known: dict[str, set | None] = {}

    # ------------------------------------------------------------------ setup
    def start(self) -> None:
        # nbgrader's ClearHiddenTests -> the test-cells-only one; redaction, then shortening
        # (test cells are the gradebook's and short: ClearHiddenTests sees them whole)
        self.preprocessors = [RedactHiddenTests, ShortenLongCells, *(
            TestCellsClearHiddenTests if p is ClearHiddenTests or p == _CLEAR else p
            for p in self.preprocessors)]
        super().start()

    def _warm(self) -> None:
        """Load the template (and the renderers' modules) once, before the forks."""
        try:
            self.exporter.template   # noqa: B018  (nbconvert compiles it on first use)
            import bleach.css_sanitizer  # noqa: F401
            import mistune  # noqa: F401
            import pygments.lexers.python  # noqa: F401
            from nbconvert.filters import markdown_mistune  # noqa: F401
        except Exception:
            pass

    def _known_notebooks(self, assignment: str) -> set | None:
        if assignment not in self._known:
            from nbgrader.api import Gradebook, MissingEntry

            try:
                with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                    self._known[assignment] = {n.name for n in
                                               gb.find_assignment(assignment).notebooks}
            except (MissingEntry, Exception):
                self._known[assignment] = None
        return self._known[assignment]

    def _hidden_lines(self, assignment: str, notebook: str) -> tuple[list, str]:
        """The source notebook's hidden-test lines, and the release notebook's text."""
        key = (assignment, notebook)
        if key not in self._hidden:
            import nbformat

            lines, public = [], ""
            root = Path(self.coursedir.root)
            for folder, want in ((self.coursedir.source_directory, "hidden"),
                                 (self.coursedir.release_directory, "public")):
                path = root / folder / assignment / f"{notebook}.ipynb"
                try:
                    nb = nbformat.read(path, as_version=4)
                except Exception:
                    continue
                if want == "hidden":
                    for cell in nb.cells:
                        lines += block_lines(cell.get("source", ""))
                else:
                    public = "\n".join(str(c.get("source", "")) for c in nb.cells)
            self._hidden[key] = (lines, public)
        return self._hidden[key]

    def init_single_notebook_resources(self, notebook_filename: str) -> dict:
        resources = super().init_single_notebook_resources(notebook_filename)
        info = resources["nbgrader"]
        hidden, public = self._hidden_lines(info["assignment"], info["notebook"])
        resources["autograde"] = {"hidden": hidden, "public": public}
        return resources

    # ------------------------------------------------------------------ the loop
    def convert_notebooks(self) -> None:
        self._warm()
        regexp = self._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        for folder in sorted(self.assignments):
            m = re.match(regexp, folder)
            if m is None:
                self.failures.append(f"{folder}: not a submission folder")
                continue
            student, assignment = m.group("student_id"), m.group("assignment_id")
            self.notebooks = sorted(self.assignments[folder])
            try:
                if not self.init_destination(assignment, student):
                    continue
                self.run_pre_convert_hook()
                self.init_assignment(assignment, student)
            except Exception as exc:
                self.failures.append(f"{student}: {_one_line(exc)}")
                continue
            for path in self.notebooks:
                name = Path(path).stem
                try:
                    self._check_notebook(path, assignment)
                    self.redacted += self._convert_isolated(path)
                    self.written += 1
                except Exception as exc:
                    self.failures.append(f"{student}/{name}: {_one_line(exc)}")
                    self._remove_output(assignment, student, name)
            try:
                self.set_permissions(assignment, student)
                self.run_post_convert_hook()
            except Exception as exc:
                self.failures.append(f"{student}: {_one_line(exc)}")

    def _check_notebook(self, path: str, assignment: str) -> None:
        """Raise FeedbackFailed unless ``path`` is a notebook of the assignment we may read."""
        name = Path(path).stem
        if not SAFE_NAME.fullmatch(name):
            raise FeedbackFailed("the notebook's name has characters feedback does not allow")
        known = self._known_notebooks(assignment)
        if known is not None and name not in known:
            raise FeedbackFailed(f"{name}.ipynb is not a notebook of {assignment}")
        _regular_file(path, self._input_root(), self.notebook_limit_mb * 2**20)
        self._hidden_lines(assignment, name)   # read once, here, not in every child

    def _input_root(self) -> Path:
        return Path(self.coursedir.root) / self.coursedir.autograded_directory

    def _convert_isolated(self, path: str) -> int:
        """Convert one notebook in a child process; the outputs it redacted."""
        def job():
            self.convert_single_notebook(path)
            return {"redacted": int(getattr(self, "_last_redacted", 0))}

        try:
            result = bounded.run(job, seconds=self.notebook_timeout or float("inf"),
                                 memory_mb=self.memory_limit_mb)
        except bounded.Exceeded as exc:
            why = str(exc)
            if why.startswith("FeedbackFailed: "):   # our own refusal, said in the child
                raise FeedbackFailed(why.removeprefix("FeedbackFailed: ")) from None
            raise FeedbackFailed(f"rendering it {why}") from None
        return int((result or {}).get("redacted", 0))

    def write_single_notebook(self, output: str, resources) -> None:
        """Write the sanitised page itself: never through a link, never elsewhere."""
        self._last_redacted = resources.get("autograde_redacted", 0)
        info = resources["nbgrader"]
        page = sanitize_page(output)
        dest = Path(self._format_dest(info["assignment"], info["student"]))
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / (resources["unique_key"] + (resources.get("output_extension")
                                                    or self.exporter.file_extension))
        if target.is_symlink():
            target.unlink()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)

    def _remove_output(self, assignment: str, student: str, name: str) -> None:
        target = Path(self._format_dest(assignment, student)) / (name +
                                                                 self.exporter.file_extension)
        try:
            if target.is_symlink() or target.exists():
                target.unlink()
        except OSError:
            pass

    # ------------------------------------------------------------------ other files
    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        """nbgrader copies the files beside the notebook into feedback/: here only regular
        files (no link, hard link, FIFO or device), read without following anything."""
        source = Path(self._format_source(assignment_id, student_id))
        dest = Path(self._format_dest(assignment_id, student_id))
        root = self._input_root()
        _no_link_on_the_way(source, root)
        limit = (self.coursedir.max_file_size or 0) * 1000
        ignore = list(self.coursedir.ignore) + ["*.ipynb"]
        for dirpath, dirnames, filenames in os.walk(source):   # never into a linked folder
            here = Path(dirpath)
            if is_ignored(dirpath, ignore):
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if not (here / d).is_symlink()]
            for name in filenames:
                path = here / name
                if is_ignored(str(path), ignore):
                    continue
                _copy_regular(path, dest / path.relative_to(source), limit)


_CLEAR = "nbgrader.preprocessors.ClearHiddenTests"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    what = text[0] if text else ""
    if isinstance(exc, FeedbackFailed):
        return what[:300]
    return f"{type(exc).__name__}: {what}".strip().rstrip(":")[:300]


def _no_link_on_the_way(path: Path, root: Path) -> None:
    """Raise FeedbackFailed if a component of ``path`` below ``root`` is a link."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        raise FeedbackFailed(f"{path} is not in {root}") from None
    here = root
    for part in rel.parts:
        here = here / part
        if here.is_symlink():
            raise FeedbackFailed(f"{here.relative_to(root)} is a symbolic link: not followed")


def _regular_file(path: str, root: Path, limit: int) -> None:
    """Raise FeedbackFailed unless ``path`` is a plain file (one link, no symlink) under root."""
    p = Path(path)
    _no_link_on_the_way(p, root)
    try:
        st = os.lstat(p)
    except OSError as err:
        raise FeedbackFailed(f"{p.name} cannot be read: {err.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise FeedbackFailed(f"{p.name} is not a regular file: not read")
    if st.st_nlink != 1:
        raise FeedbackFailed(f"{p.name} is a hard link to another file: not read")
    if limit and st.st_size > limit:
        raise FeedbackFailed(f"{p.name} is {st.st_size / 2**20:.0f} MB, over the "
                             f"{limit / 2**20:.0f} MB feedback limit")


def _copy_regular(path: Path, dest: Path, limit: int) -> bool:
    """Copy ``path`` to ``dest`` if it is a regular file, without following any link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False   # a link (ELOOP), or gone
    with os.fdopen(fd, "rb") as src:
        st = os.fstat(src.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or (limit and st.st_size > limit):
            return False   # a FIFO, a device, a hard link, too large
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_symlink():
            dest.unlink()
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(out, "wb") as fh:
            left = limit or st.st_size
            while left > 0:
                chunk = src.read(min(1 << 20, left))
                if not chunk:
                    break
                fh.write(chunk)
                left -= len(chunk)
    return True


