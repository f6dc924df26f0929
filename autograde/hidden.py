"""Hidden tests stay hidden: their lines never reach what a student is shown.

nbgrader's ClearHiddenTests removes the code between ``### BEGIN HIDDEN
TESTS`` and ``### END HIDDEN TESTS`` from the test cells of the feedback.
What it does not see: the *outputs*. A test cell's traceback quotes the line
it failed on (``grading.check_function(tanh, dlkit.activations.tanh, ...``
when a student's ``tanh`` is missing), and a student's cell could print
whatever its kernel could read. So:

- the worker takes the hidden lines out of the tracebacks of the hidden test
  cells it runs (:func:`redact_traceback_lines`), keeping the message;
- the feedback step, as a second line of defence, replaces any output of a
  student's cell that contains a line of a hidden test by a note, and takes
  such lines out of the test cells' outputs (:class:`HiddenLines`), whatever
  the cell printed: as it is, as a repr (``print(In)``), JSON or HTML.

A "line" is a line of a hidden-test block, stripped, of at least
:data:`MIN_CHARS` characters (shorter ones, ``)`` or ``return E``, say
nothing and would match everywhere), and not also a line of what students
see anyway (the release notebook: a public test that does the same; their
own answers: a student may write a line just as the reference does).
"""

from __future__ import annotations

import html
import re

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
MIN_CHARS = 12
REDACTED = "(a line of a hidden test)"
NOTE = ("[This output contained the code of a hidden test and is not shown. Hidden tests "
        "stay hidden; their messages above and below say what was checked.]")
_CARETS = re.compile(r"\s*[\^~]+\s*")
_TEST_FRAME = 'File "<test cell '

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ESCAPES = {"\\n": "\n", "\\t": "\t", "\\'": "'", '\\"': '"', "\\\\": "\\"}
_ESCAPE = re.compile(r"\\[nt'\"\\]")


def block_lines(source: str) -> list[str]:
    """The stripped lines of the hidden-test blocks of ``source`` (markers left out)."""
    out, inside = [], False
    for line in str(source).splitlines():
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside and line.strip():
            out.append(line.strip())
    return out


def redact_traceback_lines(traceback: list, lines) -> tuple[list, int]:
    """``traceback`` (an error output's) without the hidden ``lines`` its frames quote.

    Python quotes, under each ``File "<test cell ...>", line N`` of a
    traceback, the stripped source line (and carets under it since 3.11); a
    quoted line that is one of ``lines`` becomes :data:`REDACTED`, its carets
    go. Only test cells' frames are read, and only whole lines count, so a
    check's message that happens to mention the same code stays as it is.
    Returns the new list and how many lines were replaced.
    """
    wanted = {line for line in lines if line}
    if not wanted:
        return traceback, 0
    out, count = [], 0
    for entry in traceback:
        if not isinstance(entry, str) or _TEST_FRAME not in entry:
            out.append(entry)
            continue
        kept, in_frame, dropped = [], False, False
        for line in entry.split("\n"):
            if _TEST_FRAME in line:
                in_frame, dropped = True, False
                kept.append(line)
                continue
            if dropped and _CARETS.fullmatch(line):
                continue
            dropped = False
            if in_frame and line.strip() in wanted:
                kept.append(line[: len(line) - len(line.lstrip())] + REDACTED)
                dropped, count = True, count + 1
            else:
                if line.startswith("  File "):
                    in_frame = False
                kept.append(line)
        out.append("\n".join(kept))
    return out, count


class HiddenLines:
    """The hidden-test lines of one notebook, and what to do with an output that shows one.

    ``public`` is text the student has anyway (the release notebook, the
    student's own cells): a hidden line that is also in it is no secret (a
    public test doing the same, a student's answer written like the reference).
    """

    def __init__(self, lines, public: str = ""):
        self.lines = sorted({line for line in lines
                             if len(line) >= MIN_CHARS and line not in public},
                            key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.lines)

    def found_in(self, text: str) -> bool:
        """Whether ``text`` holds a hidden line, as it is or as a repr, JSON or HTML shows it."""
        if not text or not self.lines:
            return False
        views = {text}
        if "\x1b" in text:   # a traceback's colours split its lines into pieces
            views.add(_ANSI.sub("", text))
        view = text
        for _ in range(3):   # a repr of JSON (of a repr...) escapes each level again
            if "\\" not in view:
                break
            view = _ESCAPE.sub(lambda m: _ESCAPES[m.group()], view)
            views.add(view)
        if "&" in text:
            views |= {html.unescape(v) for v in views}
        return any(line in view for view in views for line in self.lines)

    def redact_outputs(self, outputs: list, *, student: bool) -> int:
        """Redact a cell's outputs in place; how many were changed.

        A student's cell: an output that shows a hidden line is replaced by
        :data:`NOTE`. A test cell: its outputs keep their type and message,
        the lines that show hidden code replaced by :data:`REDACTED`.
        """
        changed = 0
        for i, out in enumerate(outputs):
            if not self.found_in(_text_of(out)):
                continue
            changed += 1
            kind = out.get("output_type")
            if student or kind not in ("error", "stream"):
                outputs[i] = _note_output(out)
            elif kind == "stream":
                out["text"] = self._redact_text(_joined(out.get("text", "")))
            else:
                tb, _ = redact_traceback_lines(out.get("traceback") or [], self.lines)
                out["traceback"] = [self._redact_text(t) if isinstance(t, str) else t
                                    for t in tb]
                out["evalue"] = self._redact_text(str(out.get("evalue", "")))
                if self.found_in(_text_of(out)):
                    outputs[i] = _note_output(out)
        return changed

    def _redact_text(self, text: str) -> str:
        if not self.found_in(text):
            return text
        text = "\n".join(REDACTED if self.found_in(line) else line for line in text.split("\n"))
        return text if not self.found_in(text) else NOTE


def _joined(value) -> str:
    return "".join(v for v in value if isinstance(v, str)) if isinstance(value, list) \
        else str(value)


def _text_of(out) -> str:
    """All the text an output shows, whatever its kind and mime types."""
    parts = []
    kind = out.get("output_type")
    if kind == "stream":
        parts.append(_joined(out.get("text", "")))
    elif kind == "error":
        parts += [str(out.get("ename", "")), str(out.get("evalue", ""))]
        parts += [t for t in out.get("traceback") or [] if isinstance(t, str)]
    else:
        for value in (out.get("data") or {}).values():
            parts.append(_joined(value) if isinstance(value, (str, list)) else str(value))
    return "\n".join(parts)


def _note_output(out):
    """The note that replaces an output (a stream keeps its name, anything else shows text)."""
    import nbformat

    if out.get("output_type") == "stream":
        return nbformat.v4.new_output("stream", name=out.get("name", "stdout"), text=NOTE + "\n")
    if out.get("output_type") == "error":
        return nbformat.v4.new_output("error", ename=str(out.get("ename", "Error"))[:200],
                                      evalue="", traceback=[NOTE])
    return nbformat.v4.new_output("display_data", data={"text/plain": NOTE})
