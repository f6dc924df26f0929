"""The grader's messenger inside a student's kernel (untrusted side).

The worker sends this module's source, with :mod:`autograde.wire`'s, to
every grading kernel before the first cell runs (:func:`source`); it binds
one object, ``__autograde__``, in the kernel's builtins. For each test cell
the trusted side (:mod:`autograde.bridge`) runs ``__autograde__.serve()``
silently and, until it says stop, asks it to

- list the ``names`` the student's namespace defines, and ``lookup`` some:
  a value comes back as plain data (:mod:`autograde.wire`), a function as
  a handle;
- ``call`` a handle with arguments (plain data, and handles of trusted
  functions that the student's code may call back: an ``activation``, the
  correct earlier functions of ``uses=``), guarded as a check wants it
  (output, warnings, exceptions and a time limit recorded, numpy's default
  error handling);
- ``push`` data into the namespace (what a public test cell defines, for the
  student's later cells).

Replies and callbacks travel on a Unix socket of their own (the *line*,
which the trusted side listens on in the kernel's folder and the agent
connects to when it is installed), as frames: an 8-byte length, then UTF-8
text. The agent sends a *prompt* and reads the answer: ``"W"`` opens a
session (the answer is the first request), ``"R" + JSON`` is a reply (the
answer is the next request), ``"C" + JSON`` a call back into the trusted
side (the answer is its result). A round trip costs a tenth of what the
kernel's own signed Jupyter messages did (0.07 against 0.6 ms), and a
training loop that calls a trusted gradient back makes thousands. While a callback runs, the
trusted side may ask for a request of its own (the trusted function calls a
function of the student's that it was given): its answer is then
``{"nested": request}``, and the agent replies to that with ``"R"`` before
waiting again.

Nothing here is trusted. A student controls this process and may replace
any of it; the grader only ever reads plain data from it, which is the
student's answer whatever produced it. This file imports only the standard
library and numpy, and ``wire`` is injected by :func:`install` in the kernel.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import select
import signal
import socket
import struct
import sys
import threading
import warnings

try:
    wire  # injected when the source is installed in a kernel  # noqa: B018
except NameError:
    from autograde import wire

MAX_TEXT = 20_000          # characters of a function's printed output that come back
MAX_SOURCE = 20_000
MAX_NAMES = 100_000        # names of the student's namespace listed
HEADER = struct.Struct("!Q")   # a frame's length, before its text


class _TimeLimit(BaseException):
    """Raised in the student's code when its call overruns (not an Exception: not caught)."""


class Agent:
    """The kernel's end of the line; ``shell`` is IPython's InteractiveShell."""

    def __init__(self, shell, line: str):
        self.shell = shell
        self.handles: dict[str, object] = {}
        self.line = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.line.connect(line)

    # ------------------------------------------------------------------ the entry point
    def serve(self) -> None:
        """Answer requests until told to stop: each reply's prompt brings the next one."""
        self._drain()
        message = self._ask("W")
        while True:
            try:
                request = wire.decode(message, function=self._callback)
            except BaseException as exc:
                request = exc
            if isinstance(request, dict) and request.get("op") == "stop":
                return
            message = self._send("R", self._handle(request))

    def _handle(self, request) -> dict:
        """Carry out one request (or say why not); the reply."""
        try:
            if isinstance(request, BaseException):
                raise request
            return getattr(self, "_op_" + request["op"])(request)
        except BaseException as exc:   # KeyboardInterrupt of a call that ran too long, too
            return {"fail": f"{type(exc).__name__}: {exc}"[:2000]}

    def _send(self, kind: str, payload) -> str:
        try:
            text = wire.encode(payload, function=self._describe, model=_model_state)
        except wire.WireError as exc:
            text = wire.encode({"fail": f"the reply could not be sent: {exc}"})
        return self._ask(kind + text)

    def _ask(self, prompt: str) -> str:
        """Send ``prompt`` to the grader and wait for its answer (a frame each way).

        An interrupt or a time limit that struck half-way through a frame
        would leave the line out of step: while one is on its way, SIGINT
        and SIGALRM are only noted, and their handlers run once it is through.
        """
        data = prompt.encode("utf-8", "surrogatepass")
        with _Deferred():
            self.line.sendall(HEADER.pack(len(data)) + data)
            size = HEADER.unpack(self._read(HEADER.size))[0]
            return self._read(size).decode("utf-8", "surrogatepass")

    def _read(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.line.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise ConnectionError("the grader closed the line")
            buf += chunk
        return bytes(buf)

    def _drain(self) -> None:
        """Drop what the grader sent to a session that ended before reading it."""
        with _Deferred():
            while select.select([self.line], [], [], 0)[0]:
                size = HEADER.unpack(self._read(HEADER.size))[0]
                self._read(size)

    # ------------------------------------------------------------------ operations
    def _op_ping(self, request):
        return {"pong": True}

    def _op_names(self, request):
        """The names the student's namespace defines (only names: the grader asks for the
        values of those its test cell reads, so a hidden test's other names stay unsaid)."""
        return {"names": [n for n in list(self.shell.user_ns)[:MAX_NAMES]
                          if isinstance(n, str) and not n.startswith("__autograde")]}

    def _op_lookup(self, request):
        ns, found = self.shell.user_ns, {}
        for name in request["names"]:
            if not isinstance(name, str) or name.startswith("__autograde") or name not in ns:
                continue
            value = ns[name]
            try:   # each name on its own: one value that cannot be sent spoils nothing else
                wire.encode(value, function=self._describe, model=_model_state)
                found[name] = value
            except wire.WireError as exc:
                found[name] = _Unsendable(value, exc)
        return {"found": found}

    def _op_push(self, request):
        for name, value in request["values"].items():
            if isinstance(name, str) and name.isidentifier():
                self.shell.user_ns[name] = value
        return {"pushed": len(request["values"])}

    def _op_call(self, request):
        fn = self.handles.get(request["handle"])
        if fn is None:
            return {"fail": "unknown function handle"}
        args, kwargs = list(request.get("args") or []), dict(request.get("kwargs") or {})
        record = {"value": None, "error": None, "timed_out": False, "warnings": [],
                  "stdout": "", "stderr": ""}
        out, err = io.StringIO(), io.StringIO()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                    _substituted(fn, request.get("uses") or {}):
                try:
                    with _time_limit(request.get("time_limit")), _numpy_defaults():
                        record["value"] = fn(*args, **kwargs)
                except _TimeLimit:
                    record["timed_out"] = True
                except (Exception, RecursionError, MemoryError) as exc:
                    record["error"] = _error(exc)
        record["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught
                              if not issubclass(w.category, DeprecationWarning)][:20]
        record["stdout"], record["stderr"] = out.getvalue()[:MAX_TEXT], err.getvalue()[:MAX_TEXT]
        try:
            wire.encode(record["value"], function=self._describe, model=_model_state)
        except wire.WireError as exc:
            record["value"] = _Unsendable(record["value"], exc)
        return record

    # ------------------------------------------------------------------ functions
    def _describe(self, fn) -> dict:
        """A student's callable, as a handle the trusted side can call."""
        handle = f"h{len(self.handles)}"
        self.handles[handle] = fn
        name = getattr(fn, "__name__", None) or type(fn).__name__
        return {"$fn": handle, "name": str(name)[:100], "params": _params(fn),
                "source": _source(fn)}

    def _callback(self, desc: dict):
        """A trusted function the student's code may call: each call asks the grader."""
        agent, handle = self, desc["$fn"]

        def callback(*args, **kwargs):
            answer = agent._send("C", {"handle": handle, "args": list(args), "kwargs": kwargs})
            while True:
                reply = wire.decode(answer, function=agent._callback)
                if "nested" not in reply:
                    break
                # the trusted function calls one of ours meanwhile (a derivative we
                # passed it): run that request here, and wait again for our answer
                answer = agent._send("R", agent._handle(reply["nested"]))
            if "error" in reply:
                raise _rebuilt(reply["error"])
            return reply["value"]

        callback.__name__ = callback.__qualname__ = str(desc.get("name") or "callback")
        return callback


class _Deferred:
    """SIGINT and SIGALRM noted while a frame travels; their handlers run at the end."""

    SIGNALS = (signal.SIGINT, signal.SIGALRM)

    def __enter__(self):
        self.caught, self.saved = [], {}
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self.saved[signum] = signal.signal(signum, self._note)
        return self

    def _note(self, signum, frame):
        self.caught.append(signum)

    def __exit__(self, *exc):
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(self.caught):
            handler = self.saved.get(signum)
            if callable(handler):
                handler(signum, None)
            elif signum == signal.SIGINT and handler == signal.SIG_DFL:
                raise KeyboardInterrupt
        return False


class _Unsendable:
    """A value the wire refuses (too large): sent as its type and the reason."""

    def __init__(self, value, exc):
        self.text = f"{type(value).__name__} that cannot be checked: {exc}"

    def __repr__(self):
        return self.text


def _model_state(obj):
    """A dlkit.nn model as its state (dlkit.nn.to_state), or None for anything else."""
    nn = sys.modules.get("dlkit.nn")
    if nn is None or type(obj).__module__ != "dlkit.nn" or not hasattr(nn, "to_state"):
        return None
    try:
        return nn.to_state(obj)
    except Exception:
        return None


def _error(exc: BaseException) -> dict:
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "where": _where(exc)}


def _rebuilt(error: dict) -> BaseException:
    import builtins

    cls = getattr(builtins, str(error.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = RuntimeError
    return cls(str(error.get("message", "")))


def _where(exc: BaseException) -> str | None:
    """'line 3 of sigmoid: return 1 / (1 + np.exp(-x))' for the innermost notebook frame."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "ipykernel" in filename or filename.startswith("<ipython-input") or (
                "/dlkit/" not in filename and "site-packages" not in filename
                and "/lib/python" not in filename and not filename.startswith("<autograde")):
            found = tb
        tb = tb.tb_next
    if found is None:
        return None
    line = linecache.getline(found.tb_frame.f_code.co_filename, found.tb_lineno).strip()
    return (f"line {found.tb_lineno} of {found.tb_frame.f_code.co_name}"
            + (f": {line}" if line else ""))[:500]


def _params(fn) -> list[str]:
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    try:
        return [str(n) for n in code.co_varnames[: code.co_argcount]][:20] if code else []
    except Exception:
        return []


def _source(fn) -> str:
    import inspect

    try:
        return inspect.getsource(fn)[:MAX_SOURCE]
    except Exception:
        return ""


@contextlib.contextmanager
def _substituted(fn, uses: dict):
    """Bind ``uses`` (name -> trusted callback) in ``fn``'s module globals while it runs."""
    namespace = getattr(fn, "__globals__", None)
    if not uses or not isinstance(namespace, dict):
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in uses}
    namespace.update(uses)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = old


@contextlib.contextmanager
def _time_limit(seconds):
    usable = (isinstance(seconds, (int, float)) and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _numpy_defaults():
    """numpy's default error handling, whatever np.seterr said (a student's own
    np.errstate inside the function still applies)."""
    np = sys.modules.get("numpy")
    if np is None:
        yield
        return
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


def source(line: str) -> str:
    """The code a worker runs (silently) in a fresh kernel to install the agent, which
    connects to the trusted side's socket at ``line``."""
    import inspect

    from autograde import wire as wire_module

    here = sys.modules[__name__]
    return (
        "def __autograde_install__(wire_src, agent_src, line):\n"
        "    import builtins, types\n"
        "    w = types.ModuleType('autograde_wire')\n"
        "    exec(compile(wire_src, '<autograde wire>', 'exec'), w.__dict__)\n"
        "    a = types.ModuleType('autograde_agent')\n"
        "    a.wire = w\n"
        "    exec(compile(agent_src, '<autograde agent>', 'exec'), a.__dict__)\n"
        "    builtins.__autograde__ = a.Agent(get_ipython(), line)\n"
        f"__autograde_install__({inspect.getsource(wire_module)!r}, "
        f"{inspect.getsource(here)!r}, {line!r})\n"
        "del __autograde_install__\n")
