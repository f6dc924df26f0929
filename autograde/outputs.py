"""What a notebook's outputs may weigh: limits in bytes, applied as the messages arrive.

nbgrader's LimitOutput counts the *lines* of stream outputs, after the whole
notebook ran: one 60 MB line, a 60 MB image or a 60 MB HTML table passes it,
and by then the worker holds all of it. :class:`OutputBudget` is asked about
every output message the student's kernel sends, before nbclient keeps it
(:meth:`autograde.worker.PrestartingExecute.process_message`), and about the
outputs trusted test cells make:

- each output (a cell's stdout or stderr as a whole, a display or a result
  with all its mime types and metadata, an error with its traceback) keeps at
  most ``per_output`` bytes (UTF-8): text is cut and ends with a note; a
  display or result that does not fit keeps the start of its ``text/plain``
  and a note instead of its data (a cut image or HTML is of no use);
- all outputs of a notebook together keep at most ``per_notebook`` bytes;
  past that, each cell's further outputs are left out with one note, and an
  error keeps its name and the start of its message (once per cell);
- outputs of trusted test cells are never left out (nbgrader scores a test
  cell by whether it has an error or a stderr output): they are cut, to no
  less than :data:`TRUSTED_FLOOR` bytes each.

``clear_output`` gives the bytes of the outputs it clears back, so a cell
that redraws its plot in a loop does not spend the notebook's budget.
Widget (comm) messages count too; one that does not fit is dropped.
"""

from __future__ import annotations

import weakref

KB, MB = 1000, 1000 * 1000
OVERHEAD = 64            # what an output costs besides its text (its JSON keys)
ERROR_FLOOR = 2000       # bytes an error keeps when the notebook's budget is spent
TRUSTED_FLOOR = 20_000   # bytes each output of a trusted test cell keeps, whatever the budget
NOTE_ROOM = 400          # bytes a note may take
OUTPUT_KINDS = frozenset({"stream", "display_data", "execute_result", "update_display_data",
                          "error"})
DISPLAY_ID_CHARS = 200   # a display id longer than this is not one (a kernel's own are uuids)


def human(n: float) -> str:
    """A size as a student reads it: '1 MB', '64 kB', '300 bytes'."""
    if n >= MB:
        return f"{n / MB:.1f}".removesuffix(".0") + " MB"
    if n >= KB:
        return f"{n / KB:.0f} kB"
    return f"{int(n)} bytes"


def text_size(text, cap: int | None = None) -> int:
    """UTF-8 bytes of ``text``; past ``cap`` the answer is only known to exceed it."""
    if not isinstance(text, str):
        return json_size(text, cap)
    n = len(text)
    if (cap is not None and n > cap) or text.isascii():
        return n
    return len(text.encode("utf-8", "surrogatepass"))


def json_size(value, cap: int | None = None) -> int:
    """About the bytes ``value`` (JSON data) takes; stops counting once past ``cap``.

    Iterative, so a deeply nested value costs no recursion, and bounded by
    ``cap``, so a huge one costs no more than ``cap`` steps.
    """
    total, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += text_size(v, None if cap is None else max(cap - total, 0)) + 2
        elif isinstance(v, dict):
            total += 2
            for k, item in v.items():
                total += text_size(k, cap) + 4 if isinstance(k, str) else 8
                stack.append(item)
                if cap is not None and total > cap:
                    return total
        elif isinstance(v, (list, tuple)):
            total += 2 + len(v)
            if cap is not None and total > cap:
                return total
            stack.extend(v)
        elif isinstance(v, (bytes, bytearray, memoryview)):
            total += len(v)
        else:
            total += 8
        if cap is not None and total > cap:
            return total
    return total


def cut_text(text, nbytes: int) -> str:
    """The start of ``text`` in at most ``nbytes`` UTF-8 bytes (never a broken character)."""
    if isinstance(text, list):
        text = "".join(t for t in text[: max(nbytes, 0) + 1] if isinstance(t, str))
    if not isinstance(text, str) or nbytes <= 0:
        return ""
    head = text[:nbytes]
    if not head.isascii():
        head = head.encode("utf-8", "surrogatepass")[:nbytes].decode("utf-8", "ignore")
    return head


class OutputBudget:
    """The bytes a notebook's outputs may still take, and how each one is made to fit.

    ``per_output`` and ``per_notebook`` of 0 (or less) mean no limit.
    """

    def __init__(self, per_output: int, per_notebook: int):
        unlimited = 1 << 62
        self.per_output = per_output if per_output > 0 else unlimited
        self.per_notebook = per_notebook if per_notebook > 0 else unlimited
        self.used = 0
        self.cuts = 0                  # outputs cut or left out (for the record)
        self._streams: dict = {}      # (cell, stream name) -> bytes kept, None once cut
        self._noted: set = set()      # cells told that their further output was left out
        self._errors: set = set()     # cells that kept an error past the budget
        self._sizes: dict = {}        # id(output) -> (weak reference, bytes charged)

    # ------------------------------------------------------------------ notes
    def _cut_note(self, size: int) -> str:
        return (f"[... output cut here: it was {human(size)} or more, and the grader keeps "
                f"{human(self.per_output)} of each output ...]")

    def _full_note(self) -> str:
        return (f"[... further output of this cell left out: the notebook's outputs reached "
                f"{human(self.per_notebook)}, all the grader keeps ...]")

    @property
    def room(self) -> int:
        return self.per_notebook - self.used

    # ------------------------------------------------------------------ fitting
    def fit(self, kind: str, content: dict, cell, *, copies: int = 1, refund: int = 0,
            keep: bool = False) -> int | None:
        """Make one output's ``content`` fit, in place; the bytes it costs, or None to drop it.

        ``kind`` is the message (or output) type, ``content`` the message's
        content or an nbformat output, ``cell`` the cell it belongs to (any
        key). ``copies``: how many outputs it will be (an update of a display
        shown several times), ``refund``: the bytes of the outputs it replaces.
        ``keep``: a trusted cell's output, never dropped.
        """
        room = (self.room + refund) // max(copies, 1) - OVERHEAD
        allowed = min(self.per_output, room)
        if kind == "stream":
            return self._fit_stream(content, cell, allowed, keep)
        if kind == "error":
            return self._fit_error(content, cell, allowed, keep)
        return self._fit_bundle(content, cell, allowed, keep)

    def _fit_stream(self, content, cell, allowed, keep) -> int | None:
        text = content.get("text")
        if isinstance(text, list) and keep:   # nbformat's multi-line form
            text = content["text"] = "".join(t for t in text if isinstance(t, str))
        if not isinstance(text, str):
            if not keep:
                return None
            text = content["text"] = ""
        name = content.get("name")
        if name not in ("stdout", "stderr"):
            if not keep:
                return None   # not a stream nbformat knows
            name = content["name"] = "stderr" if name == "stderr" else "stdout"
        key = (cell, name)
        had = self._streams.get(key, 0)
        if had is None and not keep:
            return None   # cut already, and said so
        had = had or 0
        allowed = min(allowed, self.per_output - had)
        if keep:
            allowed = max(allowed, TRUSTED_FLOOR)
        size = text_size(text, allowed)
        if size <= allowed:
            self._streams[key] = had + size
            return size + OVERHEAD
        self.cuts += 1
        self._streams[key] = None
        if allowed < NOTE_ROOM:   # the notebook's budget is spent
            if cell in self._noted:
                return None
            self._noted.add(cell)
            content["text"] = self._full_note() + "\n"
        else:
            note = self._cut_note(size) if self.per_output - had <= self.room else \
                self._full_note()
            head = cut_text(text, allowed - NOTE_ROOM)
            content["text"] = head + ("\n" if head and not head.endswith("\n") else "") + \
                note + "\n"
        return text_size(content["text"]) + OVERHEAD

    def _fit_bundle(self, content, cell, allowed, keep) -> int | None:
        data, metadata = content.get("data"), content.get("metadata")
        if not isinstance(data, dict):
            data = content["data"] = {}
        if keep:
            allowed = max(allowed, TRUSTED_FLOOR)
        size = json_size(data, allowed)
        if size <= allowed:
            size += json_size(metadata, allowed - size)
        if size <= allowed:
            return size + OVERHEAD
        self.cuts += 1
        spent = allowed < NOTE_ROOM + 100
        if spent:
            if cell in self._noted and not keep:
                return None
            self._noted.add(cell)
            text = self._full_note()
        else:
            kinds = ", ".join(sorted(k for k in data if isinstance(k, str))[:6]) or "no data"
            plain = data.get("text/plain")
            head = cut_text(plain, allowed - NOTE_ROOM - 200) if plain is not None else ""
            note = (f"[... this output ({kinds}) was {human(size)} or more, and the grader "
                    f"keeps {human(self.per_output)} of each output: it was left out ...]")
            if head:
                note = head + ("" if head.endswith("\n") else "\n") + note.replace(
                    "it was left out", "only the start of its text is shown")
            text = note
        content["data"] = {"text/plain": text}
        if "metadata" in content:
            content["metadata"] = {}
        return text_size(text) + OVERHEAD

    def _fit_error(self, content, cell, allowed, keep) -> int | None:
        if keep:
            allowed = max(allowed, TRUSTED_FLOOR)
        elif allowed < ERROR_FLOOR:   # the budget is spent: one short error per cell
            if cell in self._errors:
                return None
            self._errors.add(cell)
            allowed = ERROR_FLOOR
        ename, evalue, tb = content.get("ename"), content.get("evalue"), content.get("traceback")
        valid = isinstance(ename, str) and isinstance(evalue, str) and isinstance(tb, list)
        ename = ename if isinstance(ename, str) else "Error"
        evalue = evalue if isinstance(evalue, str) else ""
        tb = tb if isinstance(tb, list) else []
        size = text_size(ename, allowed) + text_size(evalue, allowed) + json_size(tb, allowed)
        if size <= allowed and valid and all(isinstance(line, str) for line in tb):
            return size + OVERHEAD
        if size <= allowed:
            tb = [line if isinstance(line, str) else "" for line in tb]
        else:
            self.cuts += 1
            ename, evalue = cut_text(ename, 200), cut_text(evalue, allowed // 4)
            left = allowed - text_size(ename) - text_size(evalue) - NOTE_ROOM
            head, used, half = [], 0, max(left // 2, 0)
            for line in tb[:10_000]:   # the start of the traceback, in half of what is left
                line = line if isinstance(line, str) else ""
                n = text_size(line, half - used)
                if used + n > half:
                    break
                head.append(line)
                used += n
            tail, budget = [], left - used
            for line in reversed(tb[len(head):][-10_000:]):   # and its end: the exception
                line = line if isinstance(line, str) else ""
                n = text_size(line, budget)
                if n > budget:
                    if not tail:
                        tail.append(cut_text(line, budget))
                    break
                tail.append(line)
                budget -= n
            tail.reverse()
            tb = [*head, f"[... error cut: it was {human(size)} or more, and the grader keeps "
                         f"{human(allowed)} of it ...]", *tail]
        content["ename"], content["evalue"], content["traceback"] = ename, evalue, tb
        return text_size(ename) + text_size(evalue) + json_size(tb) + OVERHEAD

    def fit_comm(self, content: dict, buffers) -> int | None:
        """A widget message: its bytes, or None when it does not fit (it is dropped)."""
        allowed = min(self.per_output, self.room)
        size = json_size(content.get("data"), allowed)
        for buf in buffers or ():
            size += len(buf) if isinstance(buf, (bytes, bytearray, memoryview)) else 8
        if size > allowed:
            self.cuts += 1
            return None
        self.used += size
        return size

    # ------------------------------------------------------------------ accounting
    def charge(self, output, size: int) -> None:
        """``output`` (kept, ``size`` bytes) is in the notebook now."""
        self.used += size
        if output is not None:
            self._sizes[id(output)] = (_ref(output), size)

    def size_of(self, output) -> int:
        entry = self._sizes.get(id(output))
        if entry is not None and entry[0]() is output:
            return entry[1]
        return json_size(output, self.per_output) + OVERHEAD

    def replaced(self, outputs, size: int) -> None:
        """``outputs`` (a display updated in place) hold ``size`` bytes each now."""
        old = sum(self.size_of(o) for o in outputs)
        self.used += size * len(outputs) - old
        for o in outputs:
            self._sizes[id(o)] = (_ref(o), size)

    def cleared(self, cell, outputs) -> None:
        """``clear_output``: ``outputs`` of ``cell`` are gone, and their bytes are free."""
        for o in outputs:
            self.used -= self.size_of(o)
            self._sizes.pop(id(o), None)
        self.used = max(self.used, 0)
        for key in [k for k in self._streams if k[0] == cell]:
            del self._streams[key]
        self._noted.discard(cell)
        self._errors.discard(cell)

    def fit_outputs(self, outputs: list, cell) -> list:
        """A trusted cell's outputs (nbformat nodes), each cut to fit; none left out."""
        for out in outputs:
            kind = out.get("output_type", "")
            size = self.fit(kind, out, cell, keep=True)
            self.charge(out, size or OVERHEAD)
        return outputs


def _ref(output):
    """A weak reference to ``output`` (nbformat's nodes), or a strong one (a plain dict)."""
    try:
        return weakref.ref(output)
    except TypeError:
        return lambda: output


def bound_transient(content: dict) -> None:
    """Drop a display id that is not a short string (nbclient keeps every one it sees)."""
    transient = content.get("transient")
    if transient is None:
        return
    display_id = transient.get("display_id") if isinstance(transient, dict) else None
    if not isinstance(transient, dict) or (display_id is not None and not (
            isinstance(display_id, str) and len(display_id) <= DISPLAY_ID_CHARS)):
        content["transient"] = {}
