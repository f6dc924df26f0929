"""A pool of worker processes that execute notebooks in parallel.

Each slot owns one long-lived ``python -m autograde.worker`` process (so the
imports of nbgrader and nbconvert are paid once per slot, not per notebook)
and runs its jobs one at a time. A job that overruns its wall-clock limit is
stopped the hard way: the kernel's and the worker's process groups are
killed (a sandboxed kernel is its pid namespace's init, so everything it
started dies with it), the job is reported as timed out, and the slot starts
a new worker.
Nothing a notebook does can stop the pool.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograde.status import Status

STATUS_TIMEOUT = Status.TIMEOUT   # a notebook past ClassGrader.notebook_timeout


@dataclass
class Job:
    """One notebook to execute."""

    student: str
    assignment: str
    notebook_id: str
    notebook: Path          # the sanitized notebook
    output: Path            # where the executed notebook goes
    db_url: str = ""
    id: int = field(default_factory=itertools.count().__next__)

    def message(self) -> str:
        """The job as the worker reads it: one JSON line."""
        return json.dumps({"id": self.id, "student": self.student, "assignment": self.assignment,
                           "notebook_id": self.notebook_id, "notebook": str(self.notebook),
                           "output": str(self.output), "db_url": self.db_url})


@dataclass
class Result:
    """What happened to a job: ``status`` is ok, dead, error or timeout."""

    job: Job
    status: str
    seconds: float
    error: str | None = None
    cell_timeouts: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)   # left out of the kernel's folder
    findings: list[str] = field(default_factory=list)   # the trusted side's, for review
    timing: dict = field(default_factory=dict)   # worker seconds by phase (worker.TIMING)


def _fork_worker(exporter, execute, env: dict, log_path: Path,
                 parent_fds: list[int]) -> tuple[int, int, int]:
    """Fork a worker that serves jobs with ``exporter``; return (pid, job fd, result fd).

    A forked worker is a copy of this process with nbgrader already imported,
    ready in milliseconds. Forking is only safe while this process has a
    single thread, so the pool forks its first workers before starting any.
    """
    from autograde.worker import serve

    job_r, job_w = os.pipe()
    res_r, res_w = os.pipe()
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            os.setsid()
            for fd in (job_w, res_r, *parent_fds):
                os.close(fd)   # other workers' pipes: their EOF must not wait for us
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            os.environ.clear()
            os.environ.update(env)
            serve(os.fdopen(job_r), os.fdopen(res_w, "w"), exporter, execute)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(job_r)
    os.close(res_w)
    os.close(log_fd)
    return pid, job_w, res_r


class _Worker:
    """One worker process, and a thread that turns its output into messages.

    Workers are forked (see :func:`_fork_worker`) or, when one must be
    replaced while threads run, :meth:`spawned` as a fresh interpreter
    (seconds of imports, but safe at any time).
    """

    def __init__(self, pid: int, to_worker, from_worker):
        self.pid = pid
        self.to_worker, self.from_worker = to_worker, from_worker
        self.messages: queue.Queue = queue.Queue()
        self.kernel_pids: set[int] = set()   # every kernel it started and has not shut down
        self.returncode: int | None = None
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def spawned(cls, course_root: Path, env: dict, log_path: Path) -> _Worker:
        with open(log_path, "a", encoding="utf-8") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "autograde.worker", str(course_root)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                cwd=course_root, env=env, start_new_session=True, bufsize=1)
        worker = cls(proc.pid, proc.stdin, proc.stdout)
        worker._proc = proc
        return worker

    def _read(self):
        for line in self.from_worker:
            try:
                self.messages.put(json.loads(line))
            except json.JSONDecodeError:
                pass   # stray output of a kernel; the worker's log has the rest
        self.messages.put({"event": "exit"})

    def wait_for(self, event: str, deadline: float) -> dict | None:
        """The next message of kind ``event``; None at the deadline or if the worker exits."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                msg = self.messages.get(timeout=remaining)
            except queue.Empty:
                return None
            if msg.get("event") == "kernel" and msg.get("pid"):
                self.kernel_pids.add(msg["pid"])
            if msg.get("event") == "kernel-gone":
                self.kernel_pids.discard(msg.get("pid"))
            if msg.get("event") == "exit":
                return None
            if msg.get("event") == event:
                return msg

    def send(self, message: str) -> bool:
        try:
            self.to_worker.write(message + "\n")
            self.to_worker.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def alive(self) -> bool:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            self.returncode = status
        return False

    def kill(self) -> None:
        for pid in (*self.kernel_pids, self.pid):
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self._reap()

    def stop(self) -> None:
        if self.send(json.dumps({"quit": True})):
            deadline = time.monotonic() + 20
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.alive():
            self.kill()
        self._close()

    def _reap(self) -> None:
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self._close()

    def _close(self) -> None:
        for stream in (self.to_worker, self.from_worker):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool:
    """Execute jobs on ``jobs`` worker processes; yield results as they finish.

    Parameters
    ----------
    course_root : Path
        The course directory (with nbgrader_config.py).
    jobs : int
        Number of notebooks executed at once.
    notebook_timeout : float
        Wall-clock seconds one notebook may take in all; past it the kernel
        and the worker are killed.
    memory_mb, file_mb : int
        Resource limits for the kernels (0 means none), when ``sandbox`` is not given.
    log_dir : Path
        Where each worker's log (nbgrader's messages) goes.
    sandbox : dict
        How kernels are started (:func:`autograde.sandbox.settings`: namespaces
        or not, limits, what they may see); the limits always bind the kernels
        alone, never the workers.
    """

    def __init__(self, course_root: Path, jobs: int, notebook_timeout: float,
                 memory_mb: int = 0, file_mb: int = 0, log_dir: Path | None = None,
                 sandbox: dict | None = None, assignment: str | None = None):
        self.course_root = Path(course_root)
        self.jobs = max(1, int(jobs))
        self.notebook_timeout = notebook_timeout
        self.log_dir = Path(log_dir or self.course_root)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if sandbox is None:
            sandbox = {"namespaces": False, "memory_mb": memory_mb, "file_mb": file_mb}
        self.env = dict(os.environ, AUTOGRADE_SANDBOX=json.dumps(sandbox), PYTHONUNBUFFERED="1")
        if assignment:   # each worker starts its first kernel (with that dlkit view) at once
            self.env["AUTOGRADE_ASSIGNMENT"] = assignment
        for stale in ("AUTOGRADE_MEMORY_MB", "AUTOGRADE_FILE_MB"):
            self.env.pop(stale, None)
        # the kernels must find the interpreter's own tools (nbgrader runs alembic)
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"
        self._forked: dict[int, _Worker] = {}

    def fork_workers(self, exporter, execute, count: int) -> None:
        """Fork the first workers now, before any thread exists (forking is only safe then)."""
        forks, fds = [], []
        for slot in range(min(count, self.jobs)):
            pid, job_w, res_r = _fork_worker(exporter, execute, self.env, self._log(slot), fds)
            forks.append((slot, pid, job_w, res_r))
            fds += [job_w, res_r]
        for slot, pid, job_w, res_r in forks:   # threads only now, after the last fork
            self._forked[slot] = _Worker(pid, os.fdopen(job_w, "w"), os.fdopen(res_r))

    def _log(self, slot: int) -> Path:
        return self.log_dir / f"worker-{slot}.log"

    def _start_worker(self, slot: int) -> _Worker | None:
        worker = self._forked.pop(slot, None) or _Worker.spawned(
            self.course_root, self.env, self._log(slot))
        if worker.wait_for("ready", time.monotonic() + 120) is None:
            worker.kill()
            return None
        return worker

    # ------------------------------------------------------------------ running
    def start(self, exporter=None, execute=None) -> None:
        """Start the workers (forked from this process when ``exporter`` is given)."""
        self._todo: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._submitted = self._returned = 0
        if exporter is not None:
            self.fork_workers(exporter, execute, self.jobs)
        self._threads = [threading.Thread(target=self._slot, args=(i,), daemon=True)
                         for i in range(self.jobs)]
        for t in self._threads:
            t.start()

    def submit(self, job: Job) -> None:
        self._submitted += 1
        self._todo.put(job)

    def ready(self):
        """Yield the results that are in, without waiting."""
        while True:
            try:
                result = self._results.get_nowait()
            except queue.Empty:
                return
            self._returned += 1
            yield result

    def drain(self):
        """Yield the results of every job submitted so far, as they come (workers stay)."""
        while self._returned < self._submitted:
            self._returned += 1
            yield self._results.get()

    def close(self) -> None:
        """Stop the workers (after the jobs already submitted)."""
        for _ in self._threads:
            self._todo.put(None)
        for t in self._threads:
            t.join()

    def finish(self):
        """No more jobs: yield the remaining results as they come, then stop the workers."""
        yield from self.drain()
        self.close()

    def _slot(self, slot: int) -> None:
        worker = None
        while True:
            job = self._todo.get()
            if job is None:
                break
            if worker is None:
                worker = self._start_worker(slot)
            if worker is None:
                self._results.put(Result(job, "error", 0.0, "could not start a worker process "
                                         f"(see {self._log(slot)})"))
                continue
            start = time.monotonic()
            msg = worker.wait_for("done", start + self.notebook_timeout) \
                if worker.send(job.message()) else None
            seconds = round(time.monotonic() - start, 3)
            if msg is None:
                alive = worker.alive()
                worker.kill()
                worker = None
                if alive:
                    self._results.put(Result(job, STATUS_TIMEOUT, seconds,
                                             f"still running after {self.notebook_timeout:g} s;"
                                             " the kernel was stopped"))
                else:
                    self._results.put(Result(job, "dead", seconds, "the grading worker died"))
                continue
            self._results.put(Result(job, msg["status"], msg["seconds"], msg.get("error"),
                                     msg.get("cell_timeouts", []),
                                     msg.get("skipped_files", []), msg.get("findings", []),
                                     msg.get("timing", {})))
        if worker is not None:
            worker.stop()
        leftover = self._forked.pop(slot, None)
        if leftover is not None:
            leftover.stop()
