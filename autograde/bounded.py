"""Run one step of the main process on a submission's data, bounded in time and memory.

The main process reads every submission (its JSON, its answer cells' syntax
trees, its outputs), and a submission is written by someone who has read
this code. Parsing is not running, but it can still cost: an expression of
800 terms overflows the AST scanner's recursion, a list nested 5,000 deep
overflows the JSON reader, 2 MB of shuffled copies of a dlkit function keep
the copy check busy for minutes. Such a step runs through :func:`run`: in a
forked child with an address-space limit and a wall-clock deadline, whose
only way back is a JSON document on a pipe. Whatever the child meets
(RecursionError, MemoryError, a C-level stack overflow, a loop), the main
process gets a :class:`Exceeded` with one line saying what, and goes on with
the next submission.

The child is a fork of the main process and runs only our code on plain
data; it never writes the gradebook (a step that needs it runs in the main
process) and leaves by ``os._exit``, so nothing of the parent's (open
files, the gradebook's connections, atexit handlers) is touched twice.
"""

from __future__ import annotations

import faulthandler
import json
import os
import resource
import select
import signal
import sys
import time

SECONDS = 60.0        # default wall-clock limit of one step
MEMORY_MB = 2048      # default address-space growth allowed to one step (beyond the parent's)
MAX_REPLY = 50 * 2**20  # bytes of JSON a step may send back


class Exceeded(RuntimeError):
    """A bounded step did not finish: ``str()`` says why, in words for the grading log."""


def run(fn, *args, seconds: float = SECONDS, memory_mb: int = MEMORY_MB,
        recursion: int = 10_000):
    """``fn(*args)`` in a forked child; its JSON-able result.

    Raises :class:`Exceeded` when the child runs past ``seconds``, needs more
    than ``memory_mb`` MiB beyond what the parent already uses, crashes, or
    raises (the exception's type and message are in the error's text).
    ``recursion`` is the child's recursion limit; its C stack is raised to
    match, so a deep syntax tree meets RecursionError, not a segfault.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns
        os.close(read_end)
        _child(write_end, fn, args, memory_mb, recursion)
    os.close(write_end)
    try:
        data, why = _collect(read_end, pid, seconds)
    finally:
        os.close(read_end)
    if why:
        raise Exceeded(why)
    try:
        reply = json.loads(data)
    except ValueError:
        raise Exceeded("the step's answer was unreadable") from None
    if "error" in reply:
        raise Exceeded(str(reply["error"])[:500])
    return reply.get("value")


def _child(fd: int, fn, args, memory_mb: int, recursion: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C ends the parent's run: us too
        faulthandler.disable()   # a crash here is reported by the parent, in one line
        if memory_mb:
            # limit the growth over what the fork already maps
            limit = _mapped_bytes() + memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:   # a deep recursion needs C stack too: RecursionError before a segfault
            resource.setrlimit(resource.RLIMIT_STACK, (512 * 2**20, 512 * 2**20))
        except (ValueError, OSError):
            pass
        sys.setrecursionlimit(recursion)
        try:
            reply = {"value": fn(*args)}
        except RecursionError:
            reply = {"error": "too deeply nested (Python's recursion limit)"}
        except MemoryError:
            reply = {"error": f"needed more than {memory_mb} MiB of memory"}
        except BaseException as exc:   # a bug of ours or bad data: say which
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            data = json.dumps(reply).encode()
        except (TypeError, ValueError) as exc:
            data = json.dumps({"error": f"the step's answer is not JSON ({exc})"}).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _mapped_bytes() -> int:
    """Bytes of address space this process maps now (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _collect(fd: int, pid: int, seconds: float) -> tuple[bytes, str]:
    """(what the child wrote, why it failed or "")."""
    chunks, size = [], 0
    deadline = time.monotonic() + seconds
    why = ""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            why = f"did not finish within {seconds:g} s"
            break
        ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_REPLY:
            why = "sent back more than the step may"
            break
        chunks.append(chunk)
    if why:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    if not why and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        why = ("crashed (out of stack: too deeply nested?)" if sig == signal.SIGSEGV
               else f"was killed by signal {signal.Signals(sig).name}")
    elif not why and not chunks:
        why = "ended without an answer"
    return b"".join(chunks), why
