"""The kernel sandbox (autograde/sandbox.py), through real kernels started as workers start them.

Every kernel here is started by the kernel manager class the workers use
(``PrestartingExecute``'s default), from the settings the grader computes
(``sandbox.settings``), and driven by a plain client. One test grades a tiny
class with ``autograde grade``. As root, the user-namespace path (what a
non-root grader gets) is exercised too: forced, and for real as uid 65534.
Under CI=true a machine without namespaces fails these tests instead of
skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from autograde import sandbox
from tests.course.harness import copy_course

from .conftest import alive, autograde

ROOT = Path(__file__).resolve().parents[2]
A1 = "a1-neurons"
pytestmark = pytest.mark.xdist_group("autograde-sandbox")


def _require(spec: dict) -> None:
    if not spec["namespaces"]:
        why = sandbox.probe(dict(spec, namespaces=True)) or "unknown"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the kernel sandbox cannot be set up on CI: {why}")
        pytest.skip(f"namespaces unavailable here: {why}")


def fake_course(base: Path) -> Path:
    """A course root with the grading state a kernel must not reach."""
    course = base / "course-root"
    for sub in ("submitted/other/a1", "autograded/other/a1", "source/a1", "feedback", "reports"):
        (course / sub).mkdir(parents=True)
    (course / "gradebook.db").write_text("GRADEBOOK")
    (course / "submitted/other/a1/work.ipynb").write_text("OTHER STUDENT")
    (course / "source/a1/solution.ipynb").write_text("SOLUTION")
    return course


class Kernel:
    """A sandboxed kernel, as a worker starts it, and a client to run code in it."""

    def __init__(self, spec: dict, workdir: str):
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_core.utils import run_sync

        from autograde.worker import PrestartingExecute

        self._run_sync = run_sync
        self.workdir = workdir
        saved = os.environ.get(sandbox.ENV_VAR)
        os.environ[sandbox.ENV_VAR] = json.dumps(spec)
        os.environ[sandbox.ASSIGNMENT_VAR] = A1   # as the worker says which view a kernel gets
        try:
            km_class = PrestartingExecute().kernel_manager_class
            self.km = km_class(kernel_name="python3")
            run_sync(self.km.start_kernel)(cwd=workdir, extra_arguments=[
                "--HistoryManager.hist_file=:memory:"])
        finally:
            if saved is None:
                os.environ.pop(sandbox.ENV_VAR, None)
            else:
                os.environ[sandbox.ENV_VAR] = saved
        self.pid = self.km.provisioner.process.pid   # what the worker tells the pool
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(self.km.get_connection_info())
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 60) -> str:
        """What the code printed, and 'ERROR name: value' if it raised."""
        out: list[str] = []

        def hook(msg):
            c = msg["content"]
            if msg["msg_type"] == "stream":
                out.append(c["text"])
            elif msg["msg_type"] == "error":
                out.append(f"ERROR {c['ename']}: {c['evalue']}")
        self.kc.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=timeout)
        return "".join(out)

    def close(self) -> None:
        self.kc.stop_channels()
        self._run_sync(self.km.shutdown_kernel)(now=True)
        self._run_sync(self.km.cleanup_resources)()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return fake_course(tmp_path_factory.mktemp("sandbox"))


_VIEWS: dict[str, str] = {}


def a1_view() -> str:
    """a1-neurons' dlkit view (autograde/withheld.py), built once for these tests."""
    if A1 not in _VIEWS:
        from autograde import withheld

        _VIEWS[A1] = str(withheld.build_view(ROOT, A1, tempfile.mkdtemp(prefix="view-")))
    return _VIEWS[A1]


def make_spec(course: Path, **kw) -> dict:
    opts = dict(memory_mb=2048, file_mb=50, process_limit=64, cpu_seconds=600)
    opts.update(kw)
    spec = sandbox.settings("auto", course_root=str(course), hide=[str(course / "submitted")],
                            views={A1: a1_view()}, **opts)
    _require(spec)
    return spec


@pytest.fixture(scope="module")
def kernel(course):
    os.environ["SECRET_TOKEN"] = "hunter2"
    workdir = tempfile.mkdtemp(prefix="autograde-")
    k = Kernel(make_spec(course), workdir)
    yield k
    k.close()
    os.environ.pop("SECRET_TOKEN", None)
    shutil.rmtree(workdir, ignore_errors=True)


def test_the_kernel_cannot_write_or_delete_in_the_course_root(kernel, course):
    out = kernel.run(f"""
        import os
        for path in [{str(course / 'new.txt')!r}, {str(course / 'gradebook.db')!r}]:
            try:
                open(path, 'w').write('x'); print('WROTE', path)
            except OSError as e:
                print('refused', e.strerror)
        for path in [{str(course / 'gradebook.db')!r}, {str(course / 'source')!r}]:
            try:
                os.remove(path) if path.endswith('.db') else os.rmdir(path); print('DELETED', path)
            except OSError as e:
                print('refused', e.strerror)
    """)
    assert "WROTE" not in out and "DELETED" not in out, out
    assert (course / "gradebook.db").read_text() == "GRADEBOOK"
    assert not (course / "new.txt").exists()


def test_the_kernel_cannot_read_the_gradebook_solutions_or_others_work(kernel, course):
    out = kernel.run(f"""
        import os
        for path in [{str(course / 'gradebook.db')!r},
                     {str(course / 'submitted/other/a1/work.ipynb')!r},
                     {str(course / 'source/a1/solution.ipynb')!r}]:
            try:
                print('READ', repr(open(path).read()))
            except OSError as e:
                print('refused', e.strerror)
        print(sorted(os.listdir({str(course)!r})))
    """)
    for secret in ("GRADEBOOK", "OTHER STUDENT", "SOLUTION", "submitted", "source"):
        assert secret not in out, out


def test_the_kernel_has_no_network(kernel):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        out = kernel.run(f"""
            import socket
            try:
                socket.create_connection(('127.0.0.1', {port}), timeout=5); print('CONNECTED')
            except OSError as e:
                print('no connection:', e)
            try:
                socket.getaddrinfo('pypi.org', 443); print('RESOLVED')
            except OSError as e:
                print('no dns:', e)
        """)
    assert "CONNECTED" not in out and "RESOLVED" not in out, out
    assert "no connection" in out and "no dns" in out, out


def _under_tmp(path) -> set[str]:
    """The folder directly in /tmp that holds ``path``, if it is under /tmp."""
    parts = Path(os.path.realpath(path)).parts
    return {parts[2]} if len(parts) > 2 and parts[1] == "tmp" else set()


def test_the_kernel_gets_a_minimal_environment_and_a_private_tmp(kernel):
    with tempfile.NamedTemporaryFile(dir="/tmp", prefix="grader-secret-") as marker:
        out = kernel.run("""
        import os, sys
        print(sorted(os.environ))
        home = os.environ['HOME']
        print('HOME', home == os.path.join(os.getcwd(), '.autograde-home'), os.listdir(home),
              os.environ['IPYTHONDIR'].startswith(home), os.environ.get('NBGRADER_EXECUTION'))
        print('TMP', os.listdir('/tmp'))
        print('PATHS', [p for p in sys.path])
        """)
    assert "SECRET_TOKEN" not in out and "hunter2" not in out, out
    # a fresh HOME of the grader's, with only what the kernel's start-up made in it
    home = out.split("HOME ")[1].splitlines()[0]
    assert home.startswith("True [") and home.endswith("] True autograde"), out
    assert set(eval(home[len("True "):home.index("]") + 1])) <= {".ipython", ".cache",
                                                                   ".config", ".local"}
    seen = set(eval(out.split("TMP ")[1].splitlines()[0]))
    assert os.path.basename(marker.name) not in seen, "the grader's /tmp is visible"
    # the workdir, and where the course's Python and dlkit are brought back
    # read-only when the checkout itself lives under /tmp (as in CI's clone)
    allowed = {os.path.basename(kernel.workdir)} | _under_tmp(ROOT) | _under_tmp(sys.prefix) \
        | _under_tmp(a1_view())
    assert seen <= allowed, f"other tmp files are visible: {sorted(seen - allowed)}"
    paths = eval(out.split("PATHS ")[1].splitlines()[0])
    assert not any(p.startswith(str(ROOT / "tests")) or p == str(ROOT) for p in paths), paths


def test_the_kernel_imports_the_assignments_dlkit_view_and_cannot_read_the_real_one(kernel):
    out = kernel.run(f"""
        import os, dlkit, dlkit.nn
        print('FILE', dlkit.__file__.startswith({a1_view()!r}))
        try:
            dlkit.nn.neuron([1.0], [2.0], 0.5); print('CALLED the reference')
        except Exception as e:
            print('WITHHELD', type(e).__name__, e)
        print('RELU', float(dlkit.activations.relu(3.0)))   # what a1 builds on stays
        for path in [{str(ROOT / 'dlkit' / 'nn.py')!r}, {str(ROOT / 'source')!r}]:
            try:
                print('READ', len(open(path).read()) if path.endswith('.py') else os.listdir(path))
            except OSError as e:
                print('refused', e.strerror)
        import inspect
        print('TEXT', 'np.dot' in inspect.getsource(dlkit.nn))
    """)
    assert "FILE True" in out, out
    assert "WITHHELD WithheldError dlkit.nn.neuron is not available" in out, out
    assert "RELU 3.0" in out, out
    assert "READ" not in out and "CALLED" not in out and "ERROR" not in out, out
    assert out.count("refused") == 2, out
    assert "TEXT False" in out, "the withheld function's code is in the view"


def test_startup_files_handed_in_beside_the_notebook_do_not_run(course):
    workdir = tempfile.mkdtemp(prefix="autograde-")
    for sub in (".ipython/profile_default/startup", ".autograde-home/.ipython/profile_default/"
                "startup"):
        (Path(workdir) / sub).mkdir(parents=True)
        (Path(workdir) / sub / "00-cheat.py").write_text("CHEAT = 'ran at start-up'\n")
    k = Kernel(make_spec(course), workdir)
    try:
        out = k.run("print('CHEAT' in globals())")
    finally:
        k.close()
        shutil.rmtree(workdir, ignore_errors=True)
    assert out.strip() == "False", out


def test_the_kernel_can_write_its_workdir_and_use_numpy_dlkit_matplotlib(kernel):
    out = kernel.run("""
        import os
        open('data.txt', 'w').write('mine')
        import numpy as np, dlkit, matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        plt.plot(np.arange(3)); plt.savefig('plot.png')
        from dlkit import activations
        print('OK', float(activations.sigmoid(np.array(0.0))), os.path.getsize('plot.png') > 0)
    """)
    assert "OK 0.5 True" in out, out
    assert (Path(kernel.workdir) / "data.txt").read_text() == "mine"


def test_past_the_memory_limit_the_kernel_gets_memory_error(kernel):
    out = kernel.run("""
        try:
            block = bytearray(3 * 1024**3); print('ALLOCATED')
        except MemoryError:
            print('MemoryError')
    """)
    assert "MemoryError" in out, out


def test_the_kernel_drops_every_privilege(kernel):
    out = kernel.run("""
        import os
        status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines())
        print('CAPS', *(status[k].strip() for k in ('CapEff', 'CapBnd', 'NoNewPrivs')))
        print('PID', os.getpid(), 'UID', os.getuid())
    """)
    assert "CAPS 0000000000000000 0000000000000000 1" in out, out
    assert "PID 1 " in out, "the kernel should be its pid namespace's init"
    if os.geteuid() == 0:
        assert f"UID {os.geteuid()}" not in out, "the kernel still runs as root"


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


FLOOD = """
    import subprocess, os
    started, error = [], None
    for i in range(500):
        try:
            started.append(subprocess.Popen(['sleep', '{token}'], start_new_session=True))
        except OSError as e:
            error = e
            break
    print('STARTED', len(started), 'STOPPED BY', type(error).__name__, error)
"""


def _flood_is_bounded_and_killed(k: Kernel, limit: int) -> None:
    import signal

    token = f"{time.time() % 1000:.6f}"
    out = k.run(FLOOD.format(token=token), timeout=120)
    started = int(out.split("STARTED ")[1].split()[0])
    assert started < limit, out
    assert "STOPPED BY BlockingIOError" in out, out
    tree = _descendants(k.pid)
    assert len(tree) >= started
    os.killpg(k.pid, signal.SIGKILL)   # what the pool does on a wall-clock timeout
    deadline = time.monotonic() + 10
    while any(alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in tree if alive(p)], "processes of the killed kernel survive"


def test_a_fork_flood_stops_at_the_process_limit_and_dies_with_the_kernel(course):
    spec = make_spec(course, process_limit=64)
    workdir = tempfile.mkdtemp(prefix="autograde-")
    k = Kernel(spec, workdir)
    try:
        _flood_is_bounded_and_killed(k, 64)
    finally:
        k.close()
        shutil.rmtree(workdir, ignore_errors=True)


def test_the_user_namespace_path_forced_as_root(course):
    """What a non-root grader gets: a user namespace, the same view, no capabilities."""
    spec = dict(make_spec(course), userns=True)
    workdir = tempfile.mkdtemp(prefix="autograde-")
    k = Kernel(spec, workdir)
    try:
        out = k.run(f"""
            import os, socket
            try:
                open({str(course / 'gradebook.db')!r}, 'a').write('x'); print('WROTE')
            except OSError as e:
                print('refused', e.strerror)
            print(os.path.exists({str(course / 'gradebook.db')!r}))
            try:
                socket.create_connection(('1.1.1.1', 53), timeout=3); print('CONNECTED')
            except OSError:
                print('offline')
            status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines())
            print('CAPS', status['CapEff'].strip())
            import subprocess
            print('UMOUNT', subprocess.run(['umount', '/tmp'], capture_output=True).returncode)
            open('mine.txt', 'w').write('ok')
        """)
    finally:
        k.close()
    assert "WROTE" not in out and "CONNECTED" not in out and "offline" in out, out
    assert "gradebook" not in out and "CAPS 0000000000000000" in out, out
    assert "UMOUNT 0" not in out, "the kernel could undo the sandbox's mounts"
    assert (Path(workdir) / "mine.txt").read_text() == "ok"
    assert (course / "gradebook.db").read_text() == "GRADEBOOK"
    shutil.rmtree(workdir, ignore_errors=True)


NON_ROOT_SCRIPT = """
import json, os, sys, tempfile
sys.path.insert(0, {root!r})
os.chdir({course!r})
from autograde import sandbox
from tests.autograde.test_sandbox import Kernel, _flood_is_bounded_and_killed
spec = sandbox.settings('on', course_root={course!r}, process_limit=64, memory_mb=2048)
assert spec['userns'], spec
k = Kernel(spec, tempfile.mkdtemp(prefix='autograde-'))
out = k.run('''
import os
try:
    open({db!r}, 'a').write('x'); print('WROTE')
except OSError as e:
    print('refused', e.strerror)
print('UID', os.getuid())
''')
print(out)
_flood_is_bounded_and_killed(k, 64)
k.close()
print('NON-ROOT OK')
"""


def _visible_to_others(paths) -> list[tuple[str, str]]:
    """(closed folder, what under it must be reachable) for a non-root user."""
    out = []
    for path in paths:
        parts = Path(path).parts
        for i in range(2, len(parts)):
            folder = Path(*parts[:i])
            if not folder.stat().st_mode & stat.S_IXOTH:
                out.append((str(folder), str(Path(*parts[:i + 1]))))
                break
    return sorted(set(out))


@pytest.mark.skipif(os.geteuid() != 0, reason="the whole suite already runs as non-root")
def test_a_non_root_grader_gets_the_sandbox_through_a_user_namespace(tmp_path):
    """As uid 65534: the kernel cannot write the grader's own files and the flood is bounded."""
    base = Path(tempfile.mkdtemp(prefix="sandbox-nonroot-"))
    # a checkout in a folder closed to others (`mktemp -d` makes them 0700):
    # let the non-root user read through it for the test, as an instructor's own
    # checkout would be; restored below
    root_mode = ROOT.stat().st_mode
    ROOT.chmod(root_mode | stat.S_IROTH | stat.S_IXOTH)
    try:
        course = fake_course(base)
        subprocess.run(["chown", "-R", "65534:65534", str(base)], check=True)
        os.chmod(base, 0o755)
        script = base / "run.py"
        script.write_text(NON_ROOT_SCRIPT.format(root=str(ROOT), course=str(course),
                                                 db=str(course / "gradebook.db")))
        # the interpreter may sit in a folder closed to others (/root/.pyenv): show it
        # to the non-root user in a private mount namespace, as an instructor's own would be
        setup = []
        for i, (closed, needed) in enumerate(_visible_to_others(
                [os.path.realpath(sys.executable), sys.prefix, sys.base_prefix, str(ROOT)])):
            stage = base / f"stage{i}"
            stage.mkdir()
            setup.append(f"mount --bind {needed} {stage} && mount -t tmpfs -o mode=755 tmpfs "
                         f"{closed} && mkdir -p {needed} && mount --bind {stage} {needed}")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(base), "LANG": "C.UTF-8",
               "CI": os.environ.get("CI", "")}
        cmd = " && ".join([*setup, f"exec setpriv --reuid=65534 --regid=65534 --clear-groups "
                                   f"{sys.executable} {script}"])
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", cmd],
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0 and "NON-ROOT OK" in proc.stdout, \
            proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "WROTE" not in proc.stdout and "refused" in proc.stdout
        assert (course / "gradebook.db").read_text() == "GRADEBOOK"
    finally:
        ROOT.chmod(stat.S_IMODE(root_mode))
        shutil.rmtree(base, ignore_errors=True)


def test_files_that_would_shadow_a_module_are_not_copied(tmp_path):
    src, dest = tmp_path / "submission", tmp_path / "workdir"
    src.mkdir(), dest.mkdir()
    for name in ("numpy.py", "helper.py", "data.csv", "notebook.ipynb", "fast.so"):
        (src / name).write_text("x")
    (src / "json").mkdir()
    (src / "json" / "__init__.py").write_text("")
    (src / "images").mkdir()
    (src / "images" / "a.png").write_text("png")
    (src / "link").symlink_to("/etc/passwd")
    skipped = sandbox.populate_workdir(str(src), str(dest))
    # a helper module of the student's own is theirs to import (it runs only in their kernel)
    assert sorted(os.listdir(dest)) == ["data.csv", "helper.py", "images"]
    assert "numpy.py (would shadow the numpy module)" in skipped
    assert "json (would shadow the json module)" in skipped
    assert "fast.so (compiled code or a path file)" in skipped and len(skipped) == 3


def test_sandbox_on_fails_loudly_when_it_cannot_be_set_up(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "probe", lambda spec: "no namespaces for you")
    with pytest.raises(sandbox.SandboxUnavailable, match="no namespaces for you"):
        sandbox.settings("on", course_root=str(tmp_path))
    warnings = []

    class Log:
        def warning(self, *args):
            warnings.append(args[0] % args[1:])
    spec = sandbox.settings("auto", course_root=str(tmp_path), log=Log())
    assert not spec["namespaces"] and len(warnings) == 1 and "unsandboxed" in warnings[0]


# ----------------------------------------------------------------- through `autograde grade`
ATTACK = """
import os, socket, subprocess
report = []
root = {root!r}
for path in [root + '/gradebook.db', root + '/submitted/ada/{a}/neurons.ipynb']:
    try:
        report.append(('READ', path, len(open(path).read())))
    except OSError as e:
        report.append(('refused', path, e.strerror))
try:
    open(root + '/pwned.txt', 'w').write('x'); report.append('WROTE')
except OSError:
    pass
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=3); report.append('CONNECTED')
except OSError:
    pass
for _ in range(5):
    subprocess.Popen(['sleep', '{token}'], start_new_session=True)
print(report)
"""


@pytest.fixture(scope="module")
def tiny_class(tmp_path_factory):
    """ada hands in the model solution; zed attacks and leaves sleepers behind."""
    course = copy_course(tmp_path_factory.mktemp("sandbox-grade") / "course-root")
    autograde(course, "release", A1)
    source = nbformat.read(course / "source" / A1 / "neurons.ipynb", as_version=4)
    (course / "submitted/ada" / A1).mkdir(parents=True)
    nbformat.write(source, course / "submitted/ada" / A1 / "neurons.ipynb")
    return course, source


def test_grading_a_class_with_an_attacker_changes_nothing_it_should_not(tiny_class):
    course, source = tiny_class
    token = f"{uuid.uuid4().int % 10**6}.{os.getpid() % 1000}"
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        nb = nbformat.from_dict(json.loads(json.dumps(source)))
        attack = ATTACK.format(root=str(course), a=A1, port=server.getsockname()[1],
                               token=token)
        nb.cells.insert(1, nbformat.v4.new_code_cell(attack))
        folder = course / "submitted/zed" / A1
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "neurons.ipynb")
        (folder / "numpy.py").write_text("raise SystemExit('shadowed')\n")
        (folder / "inputs.csv").write_text("1,2\n")
        db_before = (course / "gradebook.db").read_bytes()
        autograde(course, "grade", A1, "--jobs=2", "--ClassGrader.sandbox=on")
    log = json.loads((course / "reports/grading" / f"{A1}.json").read_text())
    assert log["ada"]["status"] == "graded" and log["zed"]["status"] == "graded", log
    assert any("numpy.py (would shadow the numpy module)" in f for f in log["zed"]["flags"]), \
        log["zed"]["flags"]
    graded = nbformat.read(course / "autograded/zed" / A1 / "neurons.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in graded.cells[1].outputs)
    assert "'READ'" not in printed and "WROTE" not in printed and "CONNECTED" not in printed, \
        printed
    assert printed.count("refused") == 2, printed
    assert not (course / "pwned.txt").exists()
    assert (course / "gradebook.db").read_bytes() != db_before   # the grader wrote it
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        ada = gb.find_submission(A1, "ada").score
        zed = gb.find_submission(A1, "zed").score
    assert ada == zed > 0, "the same answers must earn the same score"
    time.sleep(0.5)
    left = [p for p in os.listdir("/proc") if p.isdigit() and token in _cmdline(p)]
    assert not left, "the attacker's processes outlived its kernel"


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def test_a_sandboxed_runaway_is_killed_by_the_wall_clock_with_everything_it_started(tiny_class,
                                                                                    tmp_path):
    course, source = tiny_class
    copy = tmp_path / "course-root"
    shutil.copytree(course, copy)
    shutil.rmtree(copy / "submitted")
    token = f"{uuid.uuid4().int % 10**6}.{os.getpid() % 1000 + 1}"
    nb = nbformat.from_dict(json.loads(json.dumps(source)))
    nb.cells.insert(1, nbformat.v4.new_code_cell(
        "import signal, subprocess\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        f"for _ in range(5):\n    subprocess.Popen(['sleep', '{token}'], start_new_session=True)\n"
        "while True:\n    pass\n"))
    (copy / "submitted/yan" / A1).mkdir(parents=True)
    nbformat.write(nb, copy / "submitted/yan" / A1 / "neurons.ipynb")
    autograde(copy, "grade", A1, "--timeout=15", "--Execute.timeout=None",
              "--ClassGrader.sandbox=on", "--force")
    log = json.loads((copy / "reports/grading" / f"{A1}.json").read_text())
    assert log["yan"]["status"] == "timeout", log["yan"]
    time.sleep(0.5)
    left = [p for p in os.listdir("/proc") if p.isdigit() and token in _cmdline(p)]
    assert not left, "processes started by the killed kernel survive"
