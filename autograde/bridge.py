"""The trusted side's line to a student's kernel: names, calls and callbacks as data.

A :class:`Bridge` is opened on the kernel nbgrader's Execute started. It
listens on a Unix socket in the kernel's folder (the *line*), installs
:mod:`autograde.agent` in the kernel (silently, before any cell: the
agent connects, and the socket's name is removed), then runs the agent's
``serve()`` as one silent execute request per test cell; requests,
replies and callbacks travel on the line as frames (see the agent).
Everything that comes back is decoded by :mod:`autograde.wire` into
plain data, a :class:`RemoteFunction` (a student's function, called
through the bridge) or an :class:`Opaque` placeholder (an object that is
not data). Nothing of the student's process is ever executed or unpickled
here.

Every request has a deadline. A call that overruns is interrupted (SIGINT
to the kernel, as nbclient does for a cell); a kernel that does not answer
the interrupt within :attr:`Bridge.grace` seconds makes the bridge
*broken*: every later request fails at once with :class:`KernelUnresponsive`
and the worker reports the notebook as it reports a kernel that ignored a
cell's interrupt.
"""

from __future__ import annotations

import math
import os
import secrets
import select
import socket
import time

from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.utils import run_sync

from autograde import agent, wire


class BridgeError(RuntimeError):
    """The student's kernel did not answer as the agent would (replaced, removed, dead)."""


class CallTimeout(TimeoutError):
    """A call into the student's code ran past its time limit (and was interrupted)."""


class KernelDied(BridgeError):
    """The student's kernel died while the grader was asking it something."""


class KernelUnresponsive(BridgeError):
    """The kernel ignored the interrupt of a call that ran past its time limit."""


class Opaque:
    """A student's object that is not plain data: its type name and repr, nothing else."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return self.text

    def __grading_describe__(self) -> str:
        return f"{self.text} ({self.type_name})"


class RemoteFunction:
    """A student's function, living in the student's kernel, called with data.

    Calling it runs the function there and returns its value as data; what
    it printed is printed here, its warnings are written to stderr (as they
    would be in the kernel) and its exceptions are raised here as the
    built-in exception of the same name (``ValueError``), or RuntimeError.
    Checks call :meth:`__grading_call__` instead (:mod:`dlkit.grading.remote`).
    """

    def __init__(self, bridge: Bridge, desc: dict):
        self._bridge = bridge
        self._handle = str(desc.get("$fn"))
        self.__name__ = self.__qualname__ = str(desc.get("name") or "function")[:100]
        params = desc.get("params")
        self.__grading_params__ = [str(p) for p in params][:20] \
            if isinstance(params, list) else []
        self.__grading_source__ = str(desc.get("source") or "")

    def __repr__(self):
        return f"<your function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        import sys

        record = self.__grading_call__(args, kwargs, uses=None,
                                       time_limit=self._bridge.call_limit)
        if record["stdout"]:
            sys.stdout.write(record["stdout"])
        if record["stderr"]:
            sys.stderr.write(record["stderr"])
        for category, message in record["warnings"]:
            sys.stderr.write(f"{category}: {message}\n")
        if record["timed_out"]:
            raise CallTimeout(f"{self.__name__} did not finish within "
                              f"{self._bridge.call_limit:g} s")
        if record["error"] is not None:
            raise record["error"]
        return record["value"]

    def __grading_call__(self, args, kwargs, uses, time_limit) -> dict:
        """Run the function in the student's kernel, guarded; the record of what happened.

        Returns a dict with ``value``, ``error`` (an exception or None, with
        ``autograde_where`` naming the student's line), ``timed_out``,
        ``warnings`` (pairs of category name and message), ``stdout`` and
        ``stderr``: the contract of :mod:`dlkit.grading.remote`.
        """
        return self._bridge.call(self._handle, args, kwargs, uses=uses, time_limit=time_limit,
                                 name=self.__name__)


class Bridge:
    """Requests to the agent in the kernel that ``km`` manages."""

    #: seconds a kernel has to answer the interrupt of an overrunning call
    grace = 5.0

    def __init__(self, km, *, call_limit: float = 60.0, folder: str | None = None):
        self.km = km
        self.call_limit = float(call_limit or 60.0)
        self.broken: str | None = None
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(km.get_connection_info())
        self.kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        # the kernel's folder (its connection file's, by default): the kernel sees it
        self._listener, self._line_path = _listen(folder or os.path.dirname(
            os.path.abspath(km.connection_file)))
        self.line: _Line | None = None
        self._callbacks: dict[str, object] = {}
        self.ambient_uses: dict = {}   # a check's uses= on a test cell's own wrapper
        self._depth = 0                # requests under way (a callback's are nested)
        self._session: str | None = None   # msg_id of the agent's serve() while it runs
        self._lent: dict[int, tuple] = {}  # id of a uses= function -> (it, the name it stands for)
        self._harvest: dict[str, set] = {}  # that name -> values the student passed to it
        self.findings: list[str] = []     # for review: see _check_harvest
        self.seconds = 0.0

    def close(self) -> None:
        try:
            self.end()
        except Exception:
            pass
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        self._stop_listening()
        if self.line is not None:
            self.line.close()

    # ------------------------------------------------------------------ set-up
    def install(self, timeout: float = 60.0) -> None:
        """Put the agent in the kernel (a silent cell run before any of the notebook's)."""
        deadline = time.monotonic() + timeout
        reply = self._execute(agent.source(self._line_path), deadline)
        if reply.get("status") != "ok":
            self._stop_listening()
            raise BridgeError("the grader's messenger could not be installed in the kernel: "
                              f"{reply.get('ename')}: {reply.get('evalue')}")
        try:   # the agent connected while it was installed: nobody else could, yet
            ready = select.select([self._listener], [], [], max(0.0, deadline - time.monotonic()))
            if not ready[0]:
                raise BridgeError("the grader's messenger did not connect")
            conn, _ = self._listener.accept()
        finally:
            self._stop_listening()
        self.line = _Line(conn)
        if self.request({"op": "ping"}).get("pong") is not True:
            raise BridgeError("the grader's messenger did not answer")
        self.end()

    # ------------------------------------------------------------------ requests
    def lookup(self, names) -> dict:
        """name -> value (data, RemoteFunction or Opaque) for the names the student defined."""
        names = [n for n in names if isinstance(n, str)]
        if not names:
            return {}
        found = self.request({"op": "lookup", "names": names}).get("found")
        return found if isinstance(found, dict) else {}

    def names(self) -> set[str]:
        """The names defined in the student's namespace (no values)."""
        found = self.request({"op": "names"}).get("names")
        return {n for n in found if isinstance(n, str)} if isinstance(found, list) else set()

    def push(self, values: dict) -> None:
        """Define ``values`` (plain data) in the student's namespace."""
        if values:
            self.request({"op": "push", "values": values})

    def call(self, handle: str, args, kwargs, *, uses=None, time_limit=None,
             name: str = "") -> dict:
        """Run a student's function on data; the guarded record (see RemoteFunction)."""
        limit = float(time_limit) if time_limit else self.call_limit
        uses = {**self.ambient_uses, **(uses or {})}
        self._lent.update({id(fn): (fn, lent) for lent, fn in uses.items()})   # kept alive
        self._check_harvest(name, args, kwargs)
        reply = self.request({"op": "call", "handle": handle, "args": list(args),
                              "kwargs": dict(kwargs), "uses": uses,
                              "time_limit": limit}, deadline=limit + self.grace)
        record = {"value": None, "error": None, "timed_out": False, "warnings": [],
                  "stdout": "", "stderr": ""}
        if reply.get("timed_out") is True or reply.get("interrupted"):
            record["timed_out"] = True
            return record
        record["value"] = reply.get("value")
        record["error"] = _exception(reply.get("error"))
        warn = reply.get("warnings")
        record["warnings"] = [(str(w[0])[:100], str(w[1])[:500]) for w in warn
                              if isinstance(w, (list, tuple)) and len(w) == 2][:20] \
            if isinstance(warn, list) else []
        for key in ("stdout", "stderr"):
            text = reply.get(key)
            record[key] = text[: agent.MAX_TEXT] if isinstance(text, str) else ""
        return record

    def request(self, payload: dict, deadline: float | None = None) -> dict:
        """Send one request; its reply (a dict). Raises BridgeError subclasses.

        The request answers the prompt the agent is waiting at: the one it
        sent with its last reply (a session, see :meth:`begin`), or, inside a
        callback, the callback's own prompt (a nested request).
        """
        if self.broken:
            raise (KernelDied if "died" in self.broken else KernelUnresponsive)(self.broken)
        start = time.monotonic()
        deadline = start + (deadline or self.call_limit + self.grace)
        try:
            text = wire.encode(payload, function=self._register)
        except wire.WireError as exc:
            raise BridgeError(f"the arguments cannot be sent: {exc}") from None
        outermost = self._depth == 0
        if outermost:
            self.begin()
            self._say(text)
        else:   # inside a callback: the kernel is waiting for that callback's answer
            self._say('{"$d":[["nested",' + text + "]]}")   # = wire.encode({"nested": .})
        self._depth += 1
        try:
            reply = self._await_reply(deadline)
        except BaseException:
            if outermost and self._session is not None and not self.broken:
                self._stop_call()   # stopped from here (a check's own time limit)
            raise
        finally:
            self._depth -= 1
            if outermost:
                self._callbacks.clear()
                self.seconds += time.monotonic() - start
        if "fail" in reply:
            if str(reply["fail"]).startswith("KeyboardInterrupt"):
                return {"interrupted": True}
            raise BridgeError(f"the grader's messenger failed: {str(reply['fail'])[:300]}")
        return reply

    # ------------------------------------------------------------------ the protocol
    def begin(self, timeout: float = 30.0) -> None:
        """Start a session: the agent serves requests until :meth:`end` (one silent
        execute request for a whole test cell, not one per call)."""
        if self._session is not None:
            return
        # no stdin: the student's own input() fails at once, as under nbgrader
        self._session = self.kc.execute("__autograde__.serve()", silent=True,
                                        store_history=False, allow_stdin=False,
                                        stop_on_error=False)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            event = self._next(min(end - time.monotonic(), 1.0))
            if event is None:
                continue
            kind, body = event
            if kind == "prompt" and body[:1] == "W":
                return
            if kind == "prompt":
                self._say("")
            elif kind == "ended":
                break
        self._session = None
        raise BridgeError("the grader's messenger in your kernel did not answer "
                          "(was __autograde__ replaced or deleted?)")

    def end(self) -> None:
        """End the session (before the kernel runs a cell of the notebook again)."""
        if self._session is None or self.broken:
            self._session = None
            return
        self._say(wire.encode({"op": "stop"}))
        end = time.monotonic() + self.grace
        while self._session is not None and time.monotonic() < end:
            event = self._next(0.5)
            if event is not None and event[0] == "prompt":
                self._say(wire.encode({"op": "stop"}))
        if self._session is not None:   # still busy: stop it the hard way
            self._interrupt()
            self._session = None

    def _await_reply(self, deadline: float) -> dict:
        """Answer the agent's prompts (callbacks, the student's own input()) until its reply."""
        interrupted = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if interrupted:
                    self.broken = ("your kernel did not stop when the grader interrupted "
                                   "a call that ran past its time limit")
                    raise KernelUnresponsive(self.broken)
                self._interrupt()
                interrupted, deadline = True, time.monotonic() + self.grace
                continue
            event = self._next(min(remaining, 1.0))
            if event is None:
                if not self._alive():
                    self.broken = "your kernel died (os._exit, a crash, or out of memory)"
                    raise KernelDied(self.broken)
                continue
            kind, body = event
            if kind == "idle":
                continue
            if kind == "ended":   # the session stopped (interrupted while it waited)
                if interrupted:
                    return {"interrupted": True}
                raise BridgeError("the grader's messenger in your kernel stopped answering "
                                  "(was __autograde__ replaced?)")
            if body[:1] == "R":   # the reply; its prompt stays open for the next request
                try:
                    reply = wire.decode(body[1:], function=self._remote, opaque=Opaque,
                                        model=_model)
                except wire.WireError as exc:
                    reply = f"an unreadable reply ({exc})"
                if not isinstance(reply, dict):   # not the agent's: the line is out of step
                    self.broken = ("your kernel sent the grader "
                                   + (reply if isinstance(reply, str) else "a malformed reply")
                                   + " (something in the kernel wrote on the grader's line)")
                    raise BridgeError(self.broken)
                return {"interrupted": True} if interrupted and "fail" in reply else reply
            if body[:1] == "C" and not interrupted:
                self._say(self._run_callback(body[1:]))
            else:   # a callback after the interrupt, or not a prompt of the agent's
                self._say("")

    def _next(self, timeout: float):
        """The next event: ("prompt", text) from the line, ("ended", None) when the
        session's execute reply came, ("idle", "") for anything else, or None when nothing
        arrived within ``timeout`` seconds."""
        import zmq

        if self.line is None:
            raise BridgeError("the grader's messenger is not installed")
        text = self.line.take()
        if text is not None:
            return "prompt", text
        poller = zmq.Poller()
        poller.register(self.line.sock, zmq.POLLIN)
        poller.register(self.kc.shell_channel.socket, zmq.POLLIN)
        events = dict(poller.poll(timeout * 1000))
        if self.line.sock.fileno() in events:
            try:
                self.line.fill()
            except BridgeError as exc:
                end = time.monotonic() + 2.0   # a kernel that exited closed it: say so
                while self._alive() and time.monotonic() < end:
                    time.sleep(0.05)
                if not self._alive():
                    self.broken = "your kernel died (os._exit, a crash, or out of memory)"
                    raise KernelDied(self.broken) from None
                self.broken = str(exc)
                raise
            text = self.line.take()
            if text is not None:
                return "prompt", text
        if self.kc.shell_channel.socket in events:
            msg = self.kc.shell_channel.get_msg(timeout=0)
            if self._session is not None and msg["msg_type"] == "execute_reply" and \
                    msg.get("parent_header", {}).get("msg_id") == self._session:
                self._session = None
                return "ended", None
        return None if not events else ("idle", "")

    def _say(self, text: str) -> None:
        """Answer the agent's prompt on the line."""
        try:
            self.line.send(text, time.monotonic() + max(self.grace, 10.0))
        except BridgeError as exc:
            self.broken = str(exc)
            raise

    def _stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            try:
                os.unlink(self._line_path)
            except OSError:
                pass

    def _execute(self, code: str, deadline: float) -> dict:
        """Run ``code`` silently (the agent's installation); its execute reply."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, stop_on_error=False)
        while time.monotonic() < deadline:
            try:
                msg = self.kc.shell_channel.get_msg(timeout=min(1.0, deadline - time.monotonic()))
            except Exception:
                if not self._alive():
                    raise KernelDied("your kernel died while the grader started") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg["content"]
        raise BridgeError("the kernel did not run the grader's set-up in time")

    def _stop_call(self) -> None:
        """Interrupt the call under way and wait (bounded) until the agent replies."""
        self._interrupt()
        end = time.monotonic() + self.grace
        while self._session is not None and time.monotonic() < end:
            event = self._next(0.2)
            if event is None or event[0] != "prompt":
                continue
            if event[1][:1] == "R":
                return
            self._say("")
        if self._session is not None:
            self.broken = ("your kernel did not stop when the grader interrupted a call that "
                           "ran past its time limit")

    def _run_callback(self, text: str) -> str:
        """Call a trusted function the student's code asked for; the answer as JSON."""
        try:
            request = wire.decode(text, function=self._remote, opaque=Opaque, model=_model)
            fn = self._callbacks[request["handle"]]
            args, kwargs = request.get("args") or [], request.get("kwargs") or {}
            if not isinstance(args, list) or not isinstance(kwargs, dict) or \
                    not all(isinstance(k, str) for k in kwargs):
                raise TypeError("malformed arguments")
            lent = self._lent.get(id(fn), (None, None))
            lent = lent[1] if lent[0] is fn else None
            if lent is not None:
                seen = self._harvest.setdefault(lent, set())
                if len(seen) < HARVEST_CAP:
                    seen.update(_telling_values(args, kwargs, HARVEST_CAP - len(seen)))
            value = fn(*args, **kwargs)
            return wire.encode({"value": value}, function=self._register, model=_state)
        except Exception as exc:
            error = {"type": type(exc).__name__, "message": str(exc)[:2000]}
            return wire.encode({"error": error})

    def _check_harvest(self, name: str, args, kwargs) -> None:
        """Flag a check of ``name`` on inputs the student's code earlier passed to the
        correct ``name`` lent to another exercise (``uses=``): its answers may have been
        collected from the grader's function, not computed. Honest code never sees a later
        test's inputs, so a match of several non-round values is no coincidence."""
        seen = self._harvest.get(name)
        if not seen:
            return
        values = _telling_values(args, kwargs, 10_000)
        if len(values) >= 3 and sum(v in seen for v in values) >= 0.9 * len(values):
            finding = (f"{name} was checked on inputs that the student's code had already "
                       f"passed to the correct {name} the grader lent to another exercise "
                       "(uses=): its answers may have been collected, not computed")
            if finding not in self.findings:
                self.findings.append(finding)

    def _register(self, fn) -> dict:
        """A trusted callable sent to the student: a handle valid for this request only."""
        handle = "t" + secrets.token_hex(8)
        self._callbacks[handle] = fn
        return {"$fn": handle, "name": str(getattr(fn, "__name__", "function"))[:100]}

    def _remote(self, desc: dict) -> RemoteFunction:
        return RemoteFunction(self, desc)

    def _alive(self) -> bool:
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def _interrupt(self) -> None:
        try:
            run_sync(self.km.interrupt_kernel)()
        except Exception:
            pass


HARVEST_CAP = 200_000   # values remembered per lent function
MAX_FRAME = wire.MAX_BYTES + (1 << 20)   # one frame from the kernel, at most


def _listen(folder: str) -> tuple[socket.socket, str]:
    """A listening Unix socket under a fresh name in ``folder``; (it, its path).

    Made before any of the student's code has run in the kernel, under a name
    nobody knows; the kernel's user may connect to it (it runs as another user
    under the sandbox). Once the agent is connected the name is removed.
    """
    for _ in range(20):
        path = os.path.join(folder, "ag-" + secrets.token_hex(4))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)   # fails on any name that exists (a student's file too)
        except OSError:
            sock.close()
            continue
        os.chmod(path, 0o666)   # the socket we just made, not a link: nothing ran since
        sock.listen(1)
        sock.setblocking(False)
        return sock, path
    raise BridgeError(f"no socket could be made in the kernel's folder {folder}")


class _Line:
    """The trusted end of the line: frames of an 8-byte length and UTF-8 text.

    Never blocks on the kernel: reads what has arrived into a buffer (a frame
    is taken once whole; one longer than :data:`MAX_FRAME` breaks the line),
    and sends with a deadline.
    """

    def __init__(self, sock: socket.socket):
        self.sock = sock
        sock.setblocking(False)
        self.buffer = bytearray()

    def take(self) -> str | None:
        """The next whole frame's text, or None."""
        if len(self.buffer) < agent.HEADER.size:
            return None
        size = agent.HEADER.unpack_from(self.buffer)[0]
        if size > MAX_FRAME:
            raise BridgeError(f"your kernel sent the grader a message of {size} bytes "
                              f"(at most {MAX_FRAME})")
        end = agent.HEADER.size + size
        if len(self.buffer) < end:
            return None
        data = bytes(self.buffer[agent.HEADER.size:end])
        del self.buffer[:end]
        return data.decode("utf-8", "replace")

    def fill(self) -> None:
        """Read what has arrived (never more than a frame's worth ahead)."""
        while len(self.buffer) < MAX_FRAME + agent.HEADER.size:
            try:
                chunk = self.sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                raise BridgeError(f"the line to your kernel broke ({exc})") from None
            if not chunk:
                raise BridgeError("your kernel closed the grader's line "
                                  "(os._exit, a crash, or the messenger was stopped)")
            self.buffer += chunk
            if self.take_ready():
                return

    def take_ready(self) -> bool:
        if len(self.buffer) < agent.HEADER.size:
            return False
        return len(self.buffer) >= agent.HEADER.size + agent.HEADER.unpack_from(self.buffer)[0]

    def send(self, text: str, deadline: float) -> None:
        data = text.encode("utf-8", "surrogatepass")
        view = memoryview(agent.HEADER.pack(len(data)) + data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BridgeError("your kernel stopped reading what the grader sent it")
            if not select.select([], [self.sock], [], min(remaining, 1.0))[1]:
                continue
            try:
                view = view[self.sock.send(view):]
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                raise BridgeError(f"the line to your kernel broke ({exc})") from None

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _telling_values(args, kwargs, cap: int) -> set:
    """The non-round float values in a call's arguments (what identifies random inputs)."""
    import numpy as np

    out: set = set()
    stack = [*args, *kwargs.values()]
    while stack and len(out) < cap:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v[:cap])
        elif isinstance(v, dict):
            stack.extend(list(v.values())[:cap])
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            flat = v.ravel()[:cap].astype(float)
            out.update(x for x in flat.tolist() if math.isfinite(x) and x != round(x))
        elif isinstance(v, float) and math.isfinite(v) and v != round(v):
            out.add(v)
    return out


def _exception(error) -> BaseException | None:
    """The student's exception, rebuilt here from its name and message (no object of theirs)."""
    if not isinstance(error, dict):
        return None
    import builtins

    name = str(error.get("type") or "Exception")[:100]
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = type(name if name.isidentifier() else "StudentError", (RuntimeError,), {})
    try:
        exc = cls(str(error.get("message", ""))[:2000])
    except Exception:
        exc = RuntimeError(str(error.get("message", ""))[:2000])
    where = error.get("where")
    exc.autograde_where = str(where)[:500] if where else None
    return exc


def _model(state):
    """A dlkit.nn model rebuilt here from a student's state (validated by dlkit)."""
    import dlkit.nn

    try:
        return dlkit.nn.from_state(state)
    except (TypeError, ValueError) as exc:
        return Opaque("model", f"a dlkit.nn model that cannot be rebuilt ({exc})")


def _state(obj):
    import dlkit.nn

    return dlkit.nn.to_state(obj) if type(obj).__module__ == "dlkit.nn" else None
