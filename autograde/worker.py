"""A worker: executes sanitized notebooks, one after another.

The parent (:class:`autograde.pool.WorkerPool`) talks to a worker in JSON
lines:

- parent -> worker: a job ``{"id", "notebook", "output", "student",
  "assignment", "notebook_id"}``: ``notebook`` is the sanitized notebook
  written by nbgrader's own sanitize step, ``output`` where the executed one
  goes; ``{"quit": true}`` ends the worker;
- worker -> parent: ``{"event": "kernel", "pid"}`` whenever a kernel is up
  (so the parent can kill it on a hard timeout), and for each job
  ``{"event": "done", "id", "status", "seconds", "error", "cell_timeouts"}``.

A worker runs exactly the preprocessors that nbgrader's autograde runs before
it saves grades (``Autograde.autograde_preprocessors`` up to
``SaveAutoGrades``: Execute, IgnorePattern, ClearMetadataPreprocessor and
LimitOutput by default), configured by the course's ``nbgrader_config.py``,
so the outputs, and therefore the scores, are the ones ``nbgrader autograde``
gets. The gradebook is never touched here: the parent saves the grades.

While the parent saves one result and prepares the next job, the worker
already starts the next kernel, so kernel start-up overlaps other work. Each
notebook runs in a fresh temporary directory (its working directory and
HOME), with ``NBGRADER_EXECUTION=autograde`` set as nbgrader sets it, holding
a copy of the files beside the notebook (not the ones that would shadow a
module: the 'done' message lists them as ``skipped_files``). Kernels start
through :mod:`autograde.sandbox` (namespaces, a private view of the files,
resource limits that bind the kernel and not this worker), as the settings
the parent passes in ``$AUTOGRADE_SANDBOX`` say.

Workers are forked from the parent (which has imported nbgrader already) or,
when a worker must be replaced, started as ``python -m autograde.worker``.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import time
import traceback

from jupyter_core.utils import run_sync
from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets import Integer

from autograde import hidden, sandbox
from autograde.bridge import Bridge, KernelDied, KernelUnresponsive
from autograde.outputs import OUTPUT_KINDS, OutputBudget, bound_transient
from autograde.trusted import BOTH, STUDENT, TrustedCells, cell_role

STATUS_OK = "ok"            # executed (cells may have failed: that is grading's business)
STATUS_DEAD = "dead"        # the kernel died (os._exit, segfault, out of memory)
STATUS_ERROR = "error"      # the notebook could not be executed at all
STATUS_UNRESPONSIVE = "unresponsive"  # a cell timed out and the kernel ignored the interrupt
# where a notebook's time goes in a worker (the 'done' message's "timing")
TIMING = ("kernel", "student cells", "checks", "calls into student code")


def split_autograde_steps(steps) -> tuple[list, list]:
    """nbgrader's autograde preprocessors, split where the gradebook is first written.

    Returns (the steps a worker runs: Execute & co., the steps the main
    process runs: SaveAutoGrades and what follows it).
    """
    steps = list(steps)
    cut = steps.index(SaveAutoGrades) if SaveAutoGrades in steps else len(steps)
    return steps[:cut], steps[cut:]


def build_preprocessors(converter):
    """nbgrader's pre-save autograde preprocessors, configured as ``converter`` is.

    ``converter`` is an nbgrader ``Autograde`` converter (or a subclass).
    Returns the exporter that runs them and its Execute preprocessor.
    """
    exporter = converter.exporter_class(parent=converter, config=converter.config)
    for pp in split_autograde_steps(converter.autograde_preprocessors)[0]:
        exporter.register_preprocessor(PrestartingExecute if pp is Execute else pp)
    execute = next((p for p in exporter._preprocessors if isinstance(p, Execute)), None)
    return exporter, execute


def _default_converter(course_root: str):
    from nbgrader.apps.autogradeapp import AutogradeApp
    from nbgrader.converters import Autograde

    app = AutogradeApp()
    app.initialize([], root=course_root)
    return Autograde(coursedir=app.coursedir, parent=app)


class PrestartingExecute(Execute):
    """nbgrader's Execute (and its configuration), split at the trust boundary.

    Answer cells and the student's own cells run in the student's kernel,
    as nbclient runs them; locked setup cells run there and in the trusted
    process; test cells run only in the trusted process
    (:mod:`autograde.trusted`), which calls the student's functions through
    :class:`autograde.bridge.Bridge`. The kernel can be started early, for
    the next notebook, while the parent saves the previous one.
    """

    finished_km = None   # the kernel of the notebook just executed, until release()
    timing: dict = {}   # this notebook's seconds per TIMING entry
    emit = None   # set by serve(): how to tell the parent about a kernel's pid
    current = None   # index of the cell being executed, to say where things went wrong
    trusted = None   # the notebook's TrustedCells, once its first cell runs
    budget = None    # the notebook's OutputBudget, while it runs
    _pending = 0     # bytes of the output nbclient is about to keep

    max_output_bytes = Integer(
        1_000_000,
        help="Bytes (UTF-8) one output may keep: a cell's stdout or stderr, a display or a "
             "result with all its mime types (images, HTML, widgets), an error and its "
             "traceback. A larger one is cut as its messages arrive, with a note saying so "
             "(a plot is 30-80 kB). 0: no limit.",
    ).tag(config=True)

    max_notebook_output_bytes = Integer(
        10_000_000,
        help="Bytes all outputs of a notebook may keep together (the course's notebooks make "
             "under 2 MB). Past it, each cell's further outputs are left out with a note; test "
             "cells keep theirs, cut. 0: no limit.",
    ).tag(config=True)

    def __init__(self, **kw):
        # every kernel, prestarted or not, starts through the sandbox's launcher
        kw.setdefault("kernel_manager_class", sandbox.kernel_manager_class())
        super().__init__(**kw)
        self.ahead = collections.deque()   # (km, assignment, workdir, start seconds)

    def preprocess_cell(self, cell, resources, index):
        self.current = index
        if self.trusted is None:   # before the notebook's first cell: the messenger
            start = time.perf_counter()
            bridge = Bridge(self.km, call_limit=self.timeout or 60)
            self.trusted = TrustedCells(bridge)
            bridge.install()
            self.timing["kernel"] += time.perf_counter() - start
        role = cell_role(cell)
        if role == STUDENT:
            return self._student_run(cell, resources, index)
        if role == BOTH:
            result = self._student_run(cell, resources, index)
            self._trusted_run(self.trusted.run_setup, cell)
            return result
        outputs = self._trusted_run(self.trusted.run, cell)
        secret = hidden.block_lines(cell.get("source", ""))
        for out in outputs if secret else ():   # a traceback quotes the line it failed on
            if out.get("output_type") == "error":
                out["traceback"], _ = hidden.redact_traceback_lines(out["traceback"], secret)
        cell.outputs = self.budget.fit_outputs(outputs, index) if self.budget else outputs
        cell.execution_count = self.trusted.count
        return cell, resources

    # ------------------------------------------------------------------ outputs, in bytes
    def process_message(self, msg, cell, cell_index):
        """nbclient's, with every output made to fit the notebook's OutputBudget first."""
        budget, content, kind = self.budget, msg.get("content"), msg.get("msg_type")
        if budget is None or not isinstance(content, dict) or not isinstance(kind, str):
            return super().process_message(msg, cell, cell_index)
        if kind in OUTPUT_KINDS:
            bound_transient(content)
            targets = self._display_targets(content) if kind != "stream" else []
            size = budget.fit(kind, content, cell_index,
                              copies=len(targets) + (kind != "update_display_data"),
                              refund=sum(budget.size_of(o) for o in targets))
            if size is None:
                return None   # left out (the cell was told so)
            self._pending = size
            result = super().process_message(msg, cell, cell_index)
            if targets:
                budget.replaced(targets, size)
            return result
        if kind == "clear_output" and not content.get("wait") and not self._hooked(msg):
            before = list(cell.outputs)
            result = super().process_message(msg, cell, cell_index)
            budget.cleared(cell_index, before)
            return result
        if kind.startswith("comm") and budget.fit_comm(content, msg.get("buffers")) is None:
            return None   # a widget message too large to keep
        return super().process_message(msg, cell, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        budget = self.budget
        if budget is None:
            return super().output(outs, msg, display_id, cell_index)
        if self.clear_before_next_output and not self._hooked(msg):
            budget.cleared(cell_index, list(outs))   # nbclient's delayed clear_output
        out = super().output(outs, msg, display_id, cell_index)
        budget.charge(out, self._pending)   # out is None when a widget took it: it counts
        self._pending = 0
        return out

    def _hooked(self, msg) -> bool:
        """Whether an Output widget captures this message's outputs (nbclient's hooks)."""
        parent = msg.get("parent_header")
        return bool(isinstance(parent, dict) and self.output_hook_stack.get(parent.get("msg_id")))

    def _display_targets(self, content) -> list:
        """The outputs a message with a display id updates in place."""
        transient = content.get("transient")
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if not display_id:
            return []
        found = []
        for cell_index, indices in self._display_id_map.get(display_id, {}).items():
            outputs = self.nb["cells"][cell_index].get("outputs", [])
            found += [outputs[i] for i in indices if i < len(outputs)]
        return found

    def _student_run(self, cell, resources, index):
        start = time.perf_counter()
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.timing["student cells"] += time.perf_counter() - start

    def _trusted_run(self, run, cell):
        from nbclient.exceptions import DeadKernelError

        start, calls = time.perf_counter(), self.trusted.bridge.seconds
        try:
            return run(cell)
        except KernelDied as exc:
            raise DeadKernelError(str(exc)) from None
        finally:
            into_student = self.trusted.bridge.seconds - calls
            self.timing["calls into student code"] += into_student
            self.timing["checks"] += time.perf_counter() - start - into_student

    def prestart(self, cwd: str, assignment: str | None) -> None:
        """Start a kernel for a coming notebook (of ``assignment``) now, in ``cwd``."""
        km = self.kernel_manager_class(kernel_name=self.kernel_name or "python3",
                                       config=self.config)
        start = time.perf_counter()
        run_sync(km.start_kernel)(extra_arguments=list(self.extra_arguments), cwd=cwd)
        self.ahead.append((km, assignment, cwd, time.perf_counter() - start))
        self._tell(km)

    def discard(self) -> None:
        """Shut down the kernels started ahead (the next job is of another assignment)."""
        while self.ahead:
            km, _, cwd, _ = self.ahead.popleft()
            self._shutdown(km)
            sandbox.remove_workdir(cwd)

    def _shutdown(self, km) -> None:
        _shutdown(km)
        if self.emit is not None:
            self.emit({"event": "kernel-gone", "pid": _pid(km)})

    def preprocess(self, nb, resources=None, km=None):
        wanted = nb.metadata.get("kernelspec", {}).get("name") or self.kernel_name
        assignment = (resources or {}).get("nbgrader", {}).get("assignment")
        here = (resources or {}).get("metadata", {}).get("path")
        self.timing = dict.fromkeys(TIMING, 0.0)
        if km is None and self.ahead:
            first, of, cwd, seconds = self.ahead[0]
            if (not wanted or first.kernel_name == wanted) and of == assignment and cwd == here:
                km = self.ahead.popleft()[0]
                self.timing["kernel"] += seconds   # started early: its start-up is ours too
            else:
                self.discard()
        self.trusted = None
        self.budget = OutputBudget(self.max_output_bytes, self.max_notebook_output_bytes)
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            self.budget = None
            if self.trusted is not None:
                self.trusted.bridge.close()
            if km is not None:   # ours, not nbclient's: shut it down ourselves, once the
                if getattr(self, "kc", None) is not None:   # result is on its way
                    self.kc.stop_channels()
                    self.kc = None
                self.finished_km = km

    def release(self) -> None:
        """Shut down the last notebook's kernel (after its result was sent)."""
        km, self.finished_km = self.finished_km, None
        if km is not None:
            self._shutdown(km)

    async def async_start_new_kernel(self, **kwargs):
        start = time.perf_counter()
        await super().async_start_new_kernel(**kwargs)
        self.timing["kernel"] += time.perf_counter() - start
        self._tell(self.km)

    # nbclient binds its synchronous wrapper to its own coroutine: rebind it to ours,
    # so a kernel nbclient starts is reported to the pool too
    start_new_kernel = run_sync(async_start_new_kernel)

    def _tell(self, km) -> None:
        if self.emit is not None:
            self.emit({"event": "kernel", "pid": _pid(km)})


def _pid(km) -> int | None:
    """The pid the pool kills on a hard timeout (the kernel's, or its sandbox's)."""
    return getattr(getattr(getattr(km, "provisioner", None), "process", None), "pid", None)


def _shutdown(km) -> None:
    """Kill a kernel we started and free its ports and files; never raise."""
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass
    try:
        run_sync(km.cleanup_resources)()
    except Exception:
        pass


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _prepare_environment(workdir: str, assignment: str | None = None) -> None:
    os.environ["HOME"] = workdir
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    # plots render inline as in the student's Jupyter, whatever backend the grader's own
    # environment names (CI and headless servers often set MPLBACKEND=Agg, which would
    # leave every figure out of the graded notebook and its feedback)
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    if assignment:   # which dlkit view the next kernel gets (autograde/sandbox.py)
        os.environ[sandbox.ASSIGNMENT_VAR] = assignment


def run_job(job: dict, exporter, execute, workdir: str) -> dict:
    """Execute one notebook in ``workdir``; return the 'done' message."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    start = time.perf_counter()
    result = {"event": "done", "id": job["id"], "status": STATUS_OK, "error": None,
              "cell_timeouts": [], "seconds": 0.0}
    try:
        nb = nbformat.read(job["notebook"], as_version=nbformat.NO_CONVERT)
        resources = {
            "unique_key": job["notebook_id"],
            "metadata": {"path": workdir},
            "nbgrader": {"student": job["student"], "assignment": job["assignment"],
                         "notebook": job["notebook_id"], "db_url": job.get("db_url", "")},
        }
        _prepare_environment(workdir, job["assignment"])
        # the files beside the notebook, as nbgrader's own run would see them
        result["skipped_files"] = sandbox.populate_workdir(
            os.path.dirname(job["notebook"]), workdir, sandbox.kernel_ids(sandbox.from_env()))
        try:
            output = _execute(exporter, nb, resources)
        except DeadKernelError:
            # keep the cells that ran, for the record, and say where it died
            partial = getattr(execute, "nb", None) if execute is not None else None
            partial = partial if partial is not None else nb
            where = _cell_name(partial, getattr(execute, "current", None))
            result.update(status=STATUS_DEAD,
                          error=f"the kernel died while running {where}: the process exited "
                                "(os._exit, a crash, or running out of memory)")
            output = nbformat.writes(partial)
        result["cell_timeouts"] = _timed_out_cells(nbformat.reads(output, as_version=4))
        if execute is not None and execute.trusted is not None:
            result["findings"] = list(execute.trusted.bridge.findings)
        if execute is not None and hasattr(execute, "timing"):
            result["timing"] = {k: round(v, 4) for k, v in execute.timing.items()}
        with open(job["output"], "w", encoding="utf-8") as fh:
            fh.write(output)
    except (CellTimeoutError, KernelUnresponsive):
        partial = getattr(execute, "nb", None)
        timed_out = _timed_out_cells(partial) if partial is not None else []
        where = f"cell {timed_out[0]}" if timed_out else \
            _cell_name(partial, getattr(execute, "current", None))
        result.update(status=STATUS_UNRESPONSIVE,
                      error=f"{where} ran past the per-cell time limit and the kernel did not "
                            "respond to the interrupt")
    except Exception as exc:  # a broken notebook or a bug: report it, never crash the worker
        result.update(status=STATUS_ERROR,
                      error=f"{type(exc).__name__}: {exc}".strip()[:2000],
                      traceback=traceback.format_exc()[-4000:])
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


#: How a kernel that never came up fails in jupyter_client: before any student
#: code ran, so it is the machine's fault (with TCP, another process can take a
#: port between jupyter_client choosing it and the kernel binding it).
KERNEL_START_FAILED = "Kernel died before replying to kernel_info"
START_ATTEMPTS = 3


def _execute(exporter, nb, resources) -> str:
    """Run the exporter on ``nb`` (on a copy); retry when the kernel never came up."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            output, _ = exporter.from_notebook_node(nb, resources=resources)
            return output
        except RuntimeError as exc:
            if KERNEL_START_FAILED not in str(exc) or attempt == START_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def _cell_name(nb, index) -> str:
    """'cell neuron (cell 9)', or 'cell 4' for a cell without a grade id."""
    if nb is None or index is None or index >= len(nb.cells):
        return "a cell"
    gid = nb.cells[index].metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {gid} (cell {index + 1})" if gid else f"cell {index + 1}"


def _timed_out_cells(nb) -> list[str]:
    """grade_ids (or cell numbers) of cells interrupted by the per-cell timeout."""
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError":
                out.append(cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {i + 1}"))
    return out


def serve(infile, outfile, exporter, execute, prestart: bool = True) -> None:
    """Answer jobs from ``infile`` on ``outfile`` until told to quit."""
    # first, while single-threaded: the mount namespace the kernels' folders live in
    sandbox.enter_worker_namespace()

    def emit(message: dict) -> None:
        outfile.write(json.dumps(message) + "\n")
        outfile.flush()

    if execute is not None:
        execute.emit = emit
    emit({"event": "ready", "pid": os.getpid()})
    can_prestart = prestart and hasattr(execute, "prestart")
    # the assignment the pool grades (or the last job's): its kernels can start at once,
    # AHEAD of them, so that one boots while the worker runs the notebook before it
    assignment = os.environ.get(sandbox.ASSIGNMENT_VAR) or None
    workdir = None
    try:
        while True:
            while can_prestart and assignment is not None and len(execute.ahead) < AHEAD:
                folder = sandbox.make_workdir()
                try:
                    _prepare_environment(folder, assignment)
                    execute.prestart(folder, assignment)
                except Exception:
                    sandbox.remove_workdir(folder)
                    can_prestart = False   # fall back to nbclient starting kernels
            line = infile.readline()
            if not line:
                break
            job = json.loads(line)
            if job.get("quit"):
                break
            assignment = job.get("assignment")
            ahead = getattr(execute, "ahead", None)
            if ahead and ahead[0][1] == assignment:
                workdir = ahead[0][2]   # where its kernel was started
            else:
                if ahead:
                    execute.discard()
                workdir = sandbox.make_workdir()
            emit(run_job(job, exporter, execute, workdir))
            if hasattr(execute, "release"):   # while the parent saves the result
                execute.release()
            sandbox.remove_workdir(workdir)
            workdir = None
    finally:
        if hasattr(execute, "release"):
            execute.release()
        if can_prestart:
            execute.discard()
        if workdir is not None:
            sandbox.remove_workdir(workdir)


#: kernels a worker keeps started ahead of its next notebook (more only wastes start-ups
#: at each change of assignment, on two cores)
AHEAD = 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sandbox.enter_worker_namespace()   # before anything can start a thread
    course_root = argv[0] if argv else os.getcwd()
    exporter, execute = build_preprocessors(_default_converter(course_root))
    # the protocol gets its own copy of stdout; fd 1 itself (inherited by the
    # kernels, where a student's os.system output lands) goes to the log
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    serve(sys.stdin, protocol, exporter, execute)
    return 0


if __name__ == "__main__":
    sys.exit(main())
