"""The kernel sandbox (autograde/sandbox.py), through real kernels started as workers start them.

Every kernel here is started by the kernel manager class the workers use
(``PrestartingExecute``'s default), from the settings the grader computes
(``sandbox.settings``), in a process that first enters its own mount
namespace and makes the kernel's folder as a worker does (:class:`Kernel`),
and driven by a plain client. The kernel sees an allow-list only (no other
copy of the course, wherever it is) and writes under one quota (its folder,
HOME, /tmp and /dev/shm together). Two tests grade a tiny class with
``autograde grade`` and find nothing left behind, also when a worker is
killed. As root, the user-namespace path (what a non-root grader gets) is
exercised too: forced, and for real as uid 65534. Under CI=true a machine
without namespaces fails these tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
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
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("autograde-sandbox")]


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


def host_main() -> None:
    """A worker's part, in its own process (``python -c``, see :class:`Kernel`): its mount
    namespace, a kernel's folder with its quota, the kernel, then code to run from stdin."""
    spec = json.loads(os.environ[sandbox.ENV_VAR])
    files, src = json.loads(sys.argv[1]), sys.argv[2]
    # as a worker does: the replies get their own copy of stdout, and fd 1 (inherited by
    # the kernel, where a cell's os.system output lands) goes to the log
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    workdir = sandbox.make_workdir(spec)
    try:
        _host(spec, workdir, files, src, replies)
    finally:
        sandbox.remove_workdir(workdir)


def _host(spec: dict, workdir: str, files: dict, src: str, replies) -> None:
    from jupyter_core.utils import run_sync

    from autograde.worker import PrestartingExecute

    for name, text in files.items():   # handed in beside the notebook
        (Path(workdir) / name).parent.mkdir(parents=True, exist_ok=True)
        (Path(workdir) / name).write_text(text)
    # the files beside the notebook, as the worker copies them
    skipped = sandbox.populate_workdir(src, workdir, sandbox.kernel_ids(spec)) if src else []
    km = PrestartingExecute().kernel_manager_class(kernel_name="python3")
    run_sync(km.start_kernel)(cwd=workdir, extra_arguments=["--HistoryManager.hist_file=:memory:"])
    try:
        _serve(km, workdir, skipped, replies)
    finally:   # whatever happened: no kernel of ours outlives this "worker"
        run_sync(km.shutdown_kernel)(now=True)
        run_sync(km.cleanup_resources)()


def _serve(km, workdir: str, skipped: list, replies) -> None:
    from jupyter_client.blocking import BlockingKernelClient

    # its manager tells whether the kernel lives (the process), not a heartbeat that a
    # machine this busy (other test runs share two cores) may miss for a second
    kc = BlockingKernelClient(parent=km)
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    print(json.dumps({"pid": km.provisioner.process.pid, "workdir": workdir,
                      "skipped": skipped}), file=replies, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "code" not in request:
            break
        out: list[str] = []

        def hook(msg, out=out):
            c = msg["content"]
            if msg["msg_type"] == "stream":
                out.append(c["text"])
            elif msg["msg_type"] == "error":
                out.append(f"ERROR {c['ename']}: {c['evalue']}")
        try:
            kc.execute_interactive(request["code"], output_hook=hook, timeout=request["timeout"])
        except Exception as exc:   # a timeout, a dead kernel: the test says what it expected
            out.append(f"HOST {type(exc).__name__}: {exc}")
        print(json.dumps("".join(out)), file=replies, flush=True)
    kc.stop_channels()


HOST = ("import json, os, sys; sys.path.insert(0, {root!r}); from autograde import sandbox; "
        "sandbox.enter_worker_namespace(json.loads(os.environ[sandbox.ENV_VAR])); "
        "from tests.autograde.test_sandbox import host_main; host_main()")


class Kernel:
    """A sandboxed kernel, started as a worker starts it, and a way to run code in it.

    The worker's part runs in a process of its own (:func:`host_main`): it
    enters its own mount namespace first thing, as a worker does, and the
    kernel's folder (a tmpfs of the quota's size) exists only there; the test
    reads it through ``/proc/<that process>/root`` (:meth:`path`).
    """

    def __init__(self, spec: dict, files: dict | None = None, src: str = ""):
        env = dict(os.environ, **{sandbox.ENV_VAR: json.dumps(spec), sandbox.ASSIGNMENT_VAR: A1})
        self._log = tempfile.TemporaryFile(mode="w+")
        self.host = subprocess.Popen([sys.executable, "-c", HOST.format(root=str(ROOT)),
                                      json.dumps(files or {}), src], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log)
        first = self.host.stdout.readline()
        if not first:
            self.host.wait()
            self._log.seek(0)
            raise RuntimeError(f"the kernel did not start:\n{self._log.read()[-8000:]}")
        started = json.loads(first)
        self.pid = started["pid"]   # what the worker tells the pool
        self.workdir = started["workdir"]
        self.skipped = started["skipped"]   # what populate_workdir left out

    def path(self, name: str = "") -> Path:
        """``name`` in the kernel's folder, as the test process can reach it."""
        return Path(f"/proc/{self.host.pid}/root{self.workdir}") / name

    def run(self, code: str, timeout: float = 60) -> str:
        """What the code printed, and 'ERROR name: value' if it raised."""
        self.host.stdin.write(json.dumps({"code": textwrap.dedent(code),
                                          "timeout": timeout}) + "\n")
        self.host.stdin.flush()
        line = self.host.stdout.readline()
        if not line:
            self._log.seek(0)
            raise RuntimeError(f"the kernel's host died:\n{self._log.read()[-3000:]}")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.host.stdin.write("{}\n")
            self.host.stdin.flush()
            self.host.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.host.kill()
            self.host.wait()
        self._log.close()


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


def make_spec(course: Path, hide=(), **kw) -> dict:
    opts = dict(memory_mb=2048, file_mb=50, process_limit=64, cpu_seconds=600)
    opts.update(kw)
    spec = sandbox.settings("auto", course_root=str(course),
                            hide=[str(course / "submitted"), *hide], views={A1: a1_view()},
                            **opts)
    _require(spec)
    return spec


@pytest.fixture(scope="module")
def kernel(course):
    os.environ["SECRET_TOKEN"] = "hunter2"
    k = Kernel(make_spec(course))
    yield k
    k.close()
    os.environ.pop("SECRET_TOKEN", None)


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
    allowed = _under_tmp(kernel.workdir) | _under_tmp(ROOT) | _under_tmp(sys.prefix) \
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
    files = {f"{sub}/00-cheat.py": "CHEAT = 'ran at start-up'\n"
             for sub in (".ipython/profile_default/startup",
                         ".autograde-home/.ipython/profile_default/startup")}
    k = Kernel(make_spec(course), files)
    try:
        out = k.run("print('CHEAT' in globals())")
    finally:
        k.close()
    assert out.strip() == "False", out


def test_the_kernel_can_write_its_workdir_and_use_numpy_dlkit_matplotlib(kernel):
    out = kernel.run("""
        import os, tempfile
        open('data.txt', 'w').write('mine')
        import numpy as np, dlkit, matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        plt.plot(np.arange(3)); plt.savefig('plot.png')
        from dlkit import activations
        print('OK', float(activations.sigmoid(np.array(0.0))), os.path.getsize('plot.png') > 0)
        home = os.path.join(os.environ['HOME'], 'notes.txt')
        for path in ('/tmp/scratch.txt', '/dev/shm/shared.txt', home):
            open(path, 'w').write('kept')
        with tempfile.NamedTemporaryFile('w+') as fh:
            fh.write('temp'); fh.seek(0); temp = fh.read()
        print('RW', [open(p).read() for p in ('data.txt', '/tmp/scratch.txt',
                                             '/dev/shm/shared.txt', home)], temp)
        import subprocess
        print('SH', subprocess.run(['ls', '/tmp/scratch.txt'], capture_output=True,
                                   text=True).stdout.strip())
    """)
    assert "OK 0.5 True" in out, out
    assert "RW ['mine', 'kept', 'kept', 'kept'] temp" in out, out
    assert "SH /tmp/scratch.txt" in out, out
    assert kernel.path("data.txt").read_text() == "mine"


# ----------------------------------------------------------------- default deny
WALK = """
import os
allowed = {allowed!r}
own = ['/dev', '/proc', '/tmp']
extra = []
def walk(folder):
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if any(path == a or path.startswith(a + '/') for a in allowed + own):
            continue   # an allowed path (as it is on the host), or the kernel's own
        if any(a.startswith(path + '/') for a in allowed + own) and not os.path.islink(path):
            walk(path)   # only the way to an allowed path
        else:
            extra.append(path)
walk('/')
print('EXTRA', extra)
print('DEV', sorted(os.listdir('/dev')))
print('ETC', sorted(os.listdir('/etc')))
for path in {absent!r}:
    print('EXISTS', path, os.path.lexists(path))
print('CHECKOUT', sorted(os.listdir({root!r})) if os.path.exists({root!r}) else None)
"""


def test_the_kernel_sees_its_allow_list_and_nothing_else(kernel, course):
    spec = make_spec(course)
    allowed = [*spec["allow"], a1_view()]
    absent = ["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/home", "/opt", "/srv", "/mnt",
              "/media", "/run", "/boot", "/var", "/var/lib", "/var/log", str(course),
              str(ROOT / "source"), str(ROOT / "dlkit"), str(ROOT / "autograde"),
              str(ROOT / "nbgrader_config.py"), os.path.expanduser("~/.bashrc")]
    out = kernel.run(WALK.format(allowed=allowed, absent=absent, root=str(ROOT)))
    assert "EXTRA []" in out, out
    dev = set(eval(out.split("DEV ")[1].splitlines()[0]))
    assert dev <= set(sandbox.DEV) | set(sandbox.DEV_LINKS) | {"shm"}, out
    etc = set(eval(out.split("ETC ")[1].splitlines()[0]))
    assert etc <= {name.split("/")[0] for name in sandbox.ETC}, out
    assert "shadow" not in etc and "passwd" in etc, out
    for path in absent:
        assert f"EXISTS {path} False" in out, out
    # the course's checkout holds the venv: the kernel gets the venv, and nothing beside it
    inside = [p for p in spec["allow"] if p.startswith(str(ROOT) + "/")]
    expected = sorted({Path(p).relative_to(ROOT).parts[0] for p in inside}) or None
    assert f"CHECKOUT {expected}" in out, out


COPIES_SEEN = """
import os
for i, path in enumerate({copies!r}):
    found = []
    for top in (path, os.path.join(path, 'source', 'a1'), os.path.dirname(path)):
        try:
            found.append(sorted(os.listdir(top)))
        except OSError as e:
            found.append(e.strerror)
    try:
        found.append(open(os.path.join(path, 'source', 'a1', 'solution.ipynb')).read())
    except OSError as e:
        found.append(e.strerror)
    print('COPY', i, os.path.exists(path), found)
"""


def test_another_copy_of_the_course_anywhere_on_the_machine_is_invisible(course):
    """An instructor's checkout in /opt, /srv, /var/www, a home folder, beside ours..."""
    tag = uuid.uuid4().hex[:8]
    bases = ["/opt", "/srv", "/var/www", "/var/cache", "/var/lib", "/home",
             os.path.expanduser("~"), str(ROOT.parent)]
    copies = []
    try:
        for base in bases:
            if not os.path.isdir(base):
                continue
            copy = Path(base) / f"autograde-copy-{tag}"
            (copy / "source" / "a1").mkdir(parents=True)
            (copy / "source" / "a1" / "solution.ipynb").write_text("SOLUTION")
            (copy / "gradebook.db").write_text("GRADEBOOK")
            (copy / "nbgrader_config.py").write_text("c = get_config()\n")
            copies.append(str(copy))
        assert len(copies) >= 4, copies
        k = Kernel(make_spec(course))   # started after the copies exist
        try:
            out = k.run(COPIES_SEEN.format(copies=copies))
        finally:
            k.close()
    finally:
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)
    assert out.count("COPY ") == len(copies), out
    for i in range(len(copies)):
        assert f"COPY {i} False" in out, out
    # not in any listing of the folders that hold them either
    assert "SOLUTION" not in out and "gradebook.db" not in out and tag not in out, out


def test_a_course_allows_more_paths_and_still_hides_what_is_inside_them(course):
    """``sandbox_allowed_paths`` adds read-only paths; ``sandbox_hidden_paths`` hides inside."""
    data = Path(tempfile.mkdtemp(prefix="autograde-data-", dir="/opt"
                                 if os.access("/opt", os.W_OK) else None))
    try:
        data.chmod(0o755)   # as a course's data would be: readable by the kernel's uid
        (data / "public.csv").write_text("PUBLIC")
        (data / "answers").mkdir()
        (data / "answers" / "key.txt").write_text("ANSWERS")
        (data / "token.txt").write_text("TOKEN")
        k = Kernel(make_spec(course, allow=[str(data)],
                             hide=[str(data / "answers"), str(data / "token.txt")]))
        try:
            out = k.run(f"""
                import os
                print('LIST', sorted(os.listdir({str(data)!r})))
                for name in ('public.csv', 'answers/key.txt', 'token.txt'):
                    try:
                        print('READ', name, repr(open(os.path.join({str(data)!r}, name)).read()))
                    except OSError as e:
                        print('refused', name, e.strerror)
                print('ANSWERS', os.listdir({str(data / 'answers')!r}))
                try:
                    open({str(data / 'new.txt')!r}, 'w'); print('WROTE')
                except OSError as e:
                    print('no write', e.strerror)
            """)
        finally:
            k.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)
    assert "READ public.csv 'PUBLIC'" in out, out
    assert "ANSWERS []" in out and "TOKEN" not in out and "'ANSWERS'" not in out, out
    assert "WROTE" not in out and "no write" in out, out


# ----------------------------------------------------------------- the disk quota
@pytest.fixture(scope="module")
def small_quota(course, tmp_path_factory):
    """A kernel whose writable space is 64 MiB in all (the files it may write: 50 MiB),
    handed a 100 MiB file beside its notebook (sparse here: it costs the host nothing)."""
    src = tmp_path_factory.mktemp("submission")
    with open(src / "huge.bin", "wb") as fh:
        fh.truncate(100 << 20)
    (src / "inputs.csv").write_text("1,2\n")
    k = Kernel(make_spec(course, disk_mb=64), src=str(src))
    yield k
    k.close()


def test_a_file_beside_the_notebook_larger_than_the_quota_is_left_out(small_quota):
    assert small_quota.skipped == ["huge.bin (does not fit in the kernel's disk quota)"]
    out = small_quota.run("import os\nprint(sorted(os.listdir('.')))")
    assert "'inputs.csv'" in out and "huge.bin" not in out, out


FLOOD_DISK = """
import errno, os
written, error, chunk = 0, None, b'x' * (1 << 20)
for i in range(40):
    try:
        with open(f'big{{i}}.bin', 'wb') as fh:
            for _ in range({mb}):
                fh.write(chunk)
        written += 1
    except OSError as e:
        error = errno.errorcode.get(e.errno)
        break
s = os.statvfs('.')
print('WROTE', written, 'ERROR', error, 'SIZE', s.f_blocks * s.f_frsize >> 20,
      'USED', (s.f_blocks - s.f_bfree) * s.f_frsize >> 20)
mounts = [l.split() for l in open('/proc/self/mountinfo')]
print('FS', [m[m.index('-') + 1] for m in mounts if m[4] == os.getcwd()])
"""


def _size(path: Path) -> int:
    """Bytes of everything under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def test_writes_past_the_quota_fail_with_enospc_and_never_reach_the_hosts_disk(small_quota):
    """40 files of 16 MiB (scaled down from 40 x 64 MiB against the 512 MiB default)."""
    hub = Path(sandbox._hub())   # what the kernel's folder is mounted on, in its worker
    free = shutil.disk_usage("/tmp").free
    out = small_quota.run(FLOOD_DISK.format(mb=16), timeout=120)
    # while the files exist: the host's disk did not get them (640 MiB were asked for; other
    # runs on the machine may write meanwhile, hence the margin), the hub on the host is empty
    lost = free - shutil.disk_usage("/tmp").free
    on_host = list(hub.iterdir())
    seen = _size(small_quota.path())   # the quota's tmpfs, as the worker sees it
    small_quota.run("import glob, os\nfor f in glob.glob('big*.bin'): os.remove(f)")
    assert "ERROR ENOSPC" in out, out
    written = int(out.split("WROTE ")[1].split()[0])
    assert written <= 4 and "SIZE 64 " in out, out
    assert int(out.split("USED ")[1].split()[0]) <= 64, out
    assert "FS ['tmpfs']" in out, out
    assert seen <= 64 << 20, seen
    assert lost < 300 << 20, f"the host's disk lost {lost >> 20} MiB"
    assert on_host == [], on_host


SHARED = """
import errno, os
def fill(path, mb):
    try:
        with open(path, 'wb') as fh:
            for _ in range(mb):
                fh.write(b'y' * (1 << 20))
        return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno)
home = os.path.join(os.environ['HOME'], 'big.bin')
print('CWD', fill('a.bin', 24), 'TMP', fill('/tmp/b.bin', 24),
      'SHM', fill('/dev/shm/c.bin', 24), 'HOME', fill(home, 8))
for p in ('a.bin', '/tmp/b.bin', '/dev/shm/c.bin', home):
    if os.path.exists(p):
        os.remove(p)
print('AGAIN', fill('/dev/shm/d.bin', 40)); os.remove('/dev/shm/d.bin')
"""


def test_tmp_dev_shm_and_home_count_toward_the_same_quota(small_quota):
    out = small_quota.run(SHARED, timeout=120)
    assert "CWD ok TMP ok SHM ENOSPC HOME ENOSPC" in out, out
    assert "AGAIN ok" in out, "the quota is not freed when files are removed: " + out


def test_the_launcher_refuses_a_kernel_folder_without_its_quota(course, tmp_path):
    """A folder on the host's disk (not made by make_workdir in a worker) starts no kernel."""
    spec = make_spec(course)
    argv = sandbox.launcher_argv(spec, str(tmp_path), [sys.executable, "-c", "print('RAN')"])
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 70 and "RAN" not in proc.stdout, proc
    assert "make_workdir" in proc.stderr, proc.stderr
    with pytest.raises(sandbox.SandboxUnavailable, match="enter_worker_namespace"):
        sandbox.make_workdir(spec)   # this process has no mount namespace of its own


def test_what_a_killed_run_leaves_is_removed_by_the_next_one():
    """A run's hub is an empty folder, and without namespaces a worker's kernel folder is a
    plain one: a killed run, or a killed worker, cannot remove its own."""
    pids = {int(p) for p in os.listdir("/proc") if p.isdigit()}
    dead = next(p for p in range(os.getpid() + 997, 1 << 22) if p not in pids)
    tmp, ns = Path(tempfile.gettempdir()), os.stat("/proc/self/ns/pid").st_ino

    def hub(owner: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{sandbox.HUB_PREFIX}{owner}-", dir=tmp))
    stale, reused = hub(f"{ns:x}.{dead:x}.1e240"), hub(f"{ns:x}.{os.getpid():x}.1")
    elsewhere = hub(f"{ns + 1:x}.{dead:x}.1")   # another pid namespace's: we cannot tell
    busy = hub(f"{ns:x}.{dead:x}.1")
    (busy / "not-a-hub").write_text("only ever rmdir")
    live = Path(sandbox._hub())   # this process's own: it lives
    # without namespaces: a killed worker's plain kernel folder, and a live one's
    plain = Path(tempfile.mkdtemp(prefix=f"{sandbox.PLAIN_PREFIX}{ns:x}.{dead:x}.1-", dir=tmp))
    (plain / ".autograde-home").mkdir()
    (plain / "written.bin").write_bytes(b"x" * 1000)
    mine = Path(sandbox.make_workdir({"namespaces": False}))
    try:
        sandbox._sweep_hubs()
        assert not stale.exists() and not reused.exists(), "stale hubs survive"
        assert live.is_dir() and elsewhere.is_dir() and (busy / "not-a-hub").exists()
        assert not plain.exists() and mine.is_dir()
    finally:
        for path in (stale, reused, elsewhere, busy, plain, mine):
            shutil.rmtree(path, ignore_errors=True)


def test_without_the_sandbox_the_grader_says_no_quota_applies(tmp_path):
    warnings = []

    class Log:
        def warning(self, *args):
            warnings.append(args[0] % args[1:])
    spec = sandbox.settings("off", course_root=str(tmp_path), disk_mb=512, log=Log())
    assert not spec["namespaces"] and len(warnings) == 1, warnings
    assert "no quota" in warnings[0] and "disk_limit_mb" in warnings[0], warnings
    folder = sandbox.make_workdir(spec)   # a plain folder on the host's disk
    assert os.path.isdir(folder)
    sandbox.remove_workdir(folder)
    assert not os.path.exists(folder)


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
    k = Kernel(make_spec(course, process_limit=64))
    try:
        _flood_is_bounded_and_killed(k, 64)
    finally:
        k.close()


def test_a_killed_worker_leaves_no_kernel_behind(course):
    """However a worker dies (here SIGKILL, not the pool's kill of the kernel's group), its
    kernel and everything the kernel started die too, and with them the kernel's mounts."""
    k = Kernel(make_spec(course))
    try:
        token = f"{time.time() % 1000:.6f}"
        k.run(f"import subprocess\nfor _ in range(3):\n"
              f"    subprocess.Popen(['sleep', '{token}'], start_new_session=True)")
        tree = _descendants(k.pid) | {k.pid}
        assert len(tree) >= 4, tree
        os.kill(k.host.pid, signal.SIGKILL)   # the worker, and only it
        deadline = time.monotonic() + 20
        while any(alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in tree if alive(p)], "the killed worker's kernel survives"
        assert not [p for p in os.listdir("/proc") if p.isdigit() and token in _cmdline(p)]
    finally:
        k.close()


def test_the_user_namespace_path_forced_as_root(course):
    """What a non-root grader gets: a user namespace, the same view, no capabilities."""
    k = Kernel(dict(make_spec(course), userns=True))
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
        mine = k.path("mine.txt").read_text()
    finally:
        k.close()
    assert "WROTE" not in out and "CONNECTED" not in out and "offline" in out, out
    assert "gradebook" not in out and "CAPS 0000000000000000" in out, out
    assert "UMOUNT 0" not in out, "the kernel could undo the sandbox's mounts"
    assert mine == "ok"
    assert (course / "gradebook.db").read_text() == "GRADEBOOK"


NON_ROOT_SCRIPT = """
import json, os, sys
sys.path.insert(0, {root!r})
os.chdir({course!r})
from autograde import sandbox
from tests.autograde.test_sandbox import Kernel, _flood_is_bounded_and_killed
spec = sandbox.settings('on', course_root={course!r}, process_limit=64, memory_mb=2048)
assert spec['userns'], spec
k = Kernel(spec)
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
import errno
report.append(('cwd', os.getcwd()))
wrote, error = 0, None
for i in range(40):   # 40 files of 64 MiB: 2.5 GB
    try:
        with open(f'fill{{i}}.bin', 'wb') as fh:
            for _ in range(64):
                fh.write(b'z' * (1 << 20))
        wrote += 1
    except OSError as e:
        error = errno.errorcode.get(e.errno)
        break
report.append(('quota', wrote, error))
print(report)
"""


@pytest.fixture
def private_tmp(monkeypatch):
    """A TMPDIR of its own for an `autograde grade` run, to see what the run leaves there
    (short: the kernels' socket paths are under it)."""
    tmp = Path(tempfile.mkdtemp(prefix="ag-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(tmp))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


def _mount_points() -> set[str]:
    return {line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()}


def _nothing_left(tmp: Path, mounts: set[str]) -> None:
    """No file, folder or mount of the run's is left (its workers' mounts were theirs only)."""
    left = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*"))
    assert not left, f"left in TMPDIR: {left[:20]}"
    assert _mount_points() == mounts, sorted(_mount_points() ^ mounts)


@pytest.fixture(scope="module")
def tiny_class(tmp_path_factory):
    """ada hands in the model solution; zed attacks and leaves sleepers behind."""
    course = copy_course(tmp_path_factory.mktemp("sandbox-grade") / "course-root")
    autograde(course, "release", A1)
    source = nbformat.read(course / "source" / A1 / "neurons.ipynb", as_version=4)
    (course / "submitted/ada" / A1).mkdir(parents=True)
    nbformat.write(source, course / "submitted/ada" / A1 / "neurons.ipynb")
    return course, source


def _flags(entry: dict) -> list[str]:
    """A grading-log entry's reasons for review, as sentences (``flags``, or ``findings``)."""
    return list(entry.get("flags") or []) + [
        f"{f.get('notebook')}: {f.get('message')}" if f.get("notebook") else str(f.get("message"))
        for f in entry.get("findings") or [] if isinstance(f, dict)]


def test_grading_a_class_with_an_attacker_changes_nothing_it_should_not(tiny_class,
                                                                       private_tmp):
    course, source = tiny_class
    tmp, mounts = private_tmp, _mount_points()
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
    assert any("numpy.py (would shadow the numpy module)" in f for f in _flags(log["zed"])), \
        log["zed"]
    graded = nbformat.read(course / "autograded/zed" / A1 / "neurons.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in graded.cells[1].outputs)
    assert "'READ'" not in printed and "WROTE" not in printed and "CONNECTED" not in printed, \
        printed
    assert printed.count("refused") == 2, printed
    # 2.5 GB asked for, 512 MiB (the default quota) at most written, in memory
    (_, cwd), quota = eval(printed.strip().splitlines()[-1])[-2:]
    assert quota[0] == "quota" and quota[2] == "ENOSPC" and quota[1] * 64 <= 512, printed
    assert cwd.startswith(str(tmp) + "/"), cwd   # the kernel's folder was in the run's TMPDIR
    _nothing_left(tmp, mounts)
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
                                                                                    tmp_path,
                                                                                    private_tmp):
    """The pool kills the kernel and its worker: nothing of either is left, no file either."""
    course, source = tiny_class
    copy = tmp_path / "course-root"
    shutil.copytree(course, copy)
    shutil.rmtree(copy / "submitted")
    token = f"{uuid.uuid4().int % 10**6}.{os.getpid() % 1000 + 1}"
    nb = nbformat.from_dict(json.loads(json.dumps(source)))
    nb.cells.insert(1, nbformat.v4.new_code_cell(
        "import signal, subprocess\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        f"for _ in range(5):\n    subprocess.Popen(['sleep', '{token}'], start_new_session=True)\n"
        "open('/tmp/left.bin', 'wb').write(b'x' * (32 << 20))\n"
        "open('left.bin', 'wb').write(b'x' * (32 << 20))\n"
        "while True:\n    pass\n"))
    (copy / "submitted/yan" / A1).mkdir(parents=True)
    nbformat.write(nb, copy / "submitted/yan" / A1 / "neurons.ipynb")
    tmp, mounts = private_tmp, _mount_points()
    autograde(copy, "grade", A1, "--timeout=15", "--Execute.timeout=None",
              "--ClassGrader.sandbox=on", "--force")
    _nothing_left(tmp, mounts)
    log = json.loads((copy / "reports/grading" / f"{A1}.json").read_text())
    assert log["yan"]["status"] == "timeout", log["yan"]
    time.sleep(0.5)
    left = [p for p in os.listdir("/proc") if p.isdigit() and token in _cmdline(p)]
    assert not left, "processes started by the killed kernel survive"
