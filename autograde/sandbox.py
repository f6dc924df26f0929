"""A sandbox for each notebook's kernel: namespaces, a default-deny view of the files, a disk
quota, limits.

A student's kernel runs untrusted code, written by someone who has read this
file. The workers start every kernel through this module's launcher instead
of directly::

    unshare --mount --net --pid --ipc --uts --fork --kill-child --mount-proc [--map-root-user] \\
        -- python -I -S .../autograde/sandbox.py --spec JSON -- <kernel argv>

**The worker's side.** First thing, before it has a thread, a worker enters a
mount namespace of its own (:func:`enter_worker_namespace`; with a user
namespace too when the grader is not root, mapping its own uid and gid to
themselves), makes every mount private, and mounts a small tmpfs of its own
on the run's *hub* (an empty folder ``$TMPDIR/autograde-kernels-<its id>``,
made by the grading process and removed at its exit, or by the next run if it
was killed). Each kernel's folder
(:func:`make_workdir`) is then a tmpfs of ``disk_mb`` MiB (the quota:
``ClassGrader.disk_limit_mb``) mounted on a folder of the hub, holding
``work/`` (the kernel's working folder, its HOME, the ZeroMQ ``ipc`` socket
files), ``tmp/`` and ``shm/`` (its ``/tmp`` and ``/dev/shm``): whatever a kernel
writes, anywhere, is in that one tmpfs and fails with ENOSPC past the quota;
nothing reaches the host's disk. The kernel, started by the worker, inherits
the mounts, so both sides see the socket files at the same path. The mounts
exist only in the worker's namespace: when it is killed they vanish with it
(nothing is left in ``/tmp``); :func:`remove_workdir` unmounts one when its
notebook is done. The quota is memory (RAM and swap), used only as far as a
kernel writes.

**The launcher** (this file run as a script, standard library only, so it
starts in milliseconds), as the new namespaces' root, before exec'ing the
kernel:

1. checks that the kernel's folder is on its quota tmpfs and gives it to the
   kernel's user (as real root: ``uid_base + worker pid``, a uid with no
   account, distinct for every live worker);
2. builds a new root, default deny: a fresh tmpfs, made the root with
   ``pivot_root``, into which it bind-mounts, at the same paths, only the
   *allow-list*: the system's runtime (``/usr``; ``/bin``, ``/sbin``,
   ``/lib*``, as links or folders), the parts of ``/etc`` a Python process
   needs (:data:`ETC`: the loader's cache, locale and time zone, passwd and
   group, name service and hosts, certificates, fonts: no ``shadow``), the
   CPU list of ``/sys``, the Python installation (``sys.base_prefix``, the
   venv's ``sys.prefix`` even inside the course root, never the course root
   itself, the site-packages folders), the assignment's dlkit view, the
   paths a course adds (``ClassGrader.sandbox_allowed_paths``); a minimal
   ``/dev`` (null, zero, full, random, urandom, tty, the ``fd`` links), the
   pid namespace's own ``/proc``; the kernel's folder and its quota's ``/tmp``
   and ``/dev/shm``. Then it detaches the old root: nothing else exists for
   the kernel (no ``/home``, ``/root`` but the path to Python, ``/opt``,
   ``/srv``, ``/var``, no other copy of the course wherever it is);
3. hides, inside what it brought in, the deny-list: the course root's
   grading state, nbgrader's directories, the gradebook, the real dlkit and
   autograde, ``ClassGrader.sandbox_hidden_paths`` (empty tmpfs or
   ``/dev/null`` over them), and brings back the allowed paths below them;
4. makes every mount read-only and nosuid (``mount_setattr(AT_RECURSIVE)``)
   except the kernel's folder, ``/tmp`` and ``/dev/shm``;
5. drops privileges: as real root, to the kernel's uid/gid with no
   supplementary groups; in a user namespace (grader not root) it stays the
   namespace's root but gives up every capability, so it cannot undo the
   mounts; ``no_new_privs`` in both cases (no setuid binaries);
6. sets the resource limits (address space, file size, processes, open
   files, CPU, no core dumps) and a minimal environment with a fresh HOME in
   the kernel's folder, and execs the kernel.

The new network namespace has only loopback, so the kernel talks to the
worker over ZeroMQ's ``ipc`` transport, through the socket files in its
folder. The kernel is the pid namespace's init: when it dies, every process
it left behind dies with it, and killing the process group of ``unshare``
(what the pool does on a wall-clock timeout) kills it. It also dies with its
worker, however that dies: ``unshare`` runs under ``setpriv --pdeathsig
KILL`` and the launcher arms the same signal for the kernel, so a killed
worker leaves no kernel, and so no mount, behind.

Without namespaces (``ClassGrader.sandbox = off``, or ``auto`` where they
cannot be made) the launcher only sets the memory and file-size limits, so
they bind the kernel and never the worker collecting its output; kernels
then run in plain temporary folders on the host's disk, with no quota (the
grader says so in a warning), named after their worker so that the next run
removes those of a worker that was killed.
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import json
import os
import platform
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile

ENV_VAR = "AUTOGRADE_SANDBOX"     # the settings, JSON, in the worker's environment
UID_BASE = 1_000_000_000          # kernel uid = UID_BASE + the worker's pid (as root)
SCRIPT = os.path.abspath(__file__)

# what a kernel keeps of the grader's environment (everything else is dropped)
HOME_NAME = ".autograde-home"    # the kernel's fresh HOME, made in its workdir by the launcher
ASSIGNMENT_VAR = "AUTOGRADE_ASSIGNMENT"   # set by the worker: which dlkit view a kernel gets
KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND", "PYTHONHASHSEED",
            "JPY_PARENT_PID", "JPY_SESSION_NAME",
            "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONIOENCODING")
# the allow-list, besides Python, the dlkit view and the kernel's own folders
RUNTIME = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
           "/sys/devices/system/cpu")   # (how many CPUs: numpy's BLAS asks)
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ld.so.preload", "locale.alias",
       "locale.conf", "default/locale", "localtime", "timezone", "passwd", "group",
       "nsswitch.conf", "host.conf", "hosts", "gai.conf", "protocols", "services", "mime.types",
       "mtab", "os-release", "alternatives", "ssl/certs", "ssl/openssl.cnf", "ssl/cert.pem",
       "ca-certificates", "ca-certificates.conf", "pki/tls/certs", "pki/ca-trust", "fonts",
       "jupyter", "ipython", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}")
DEV = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2"}
# the deny-list inside the allowed paths; the course's own paths are added by settings()
HIDE_ALWAYS = ("/home", "/root", "/run", "/srv", "/mnt", "/media", "/var/tmp", "/var/mail",
               "/var/spool", "/var/backups", "/var/log", "/var/lib")
# names that shadow modules when they sit in the kernel's working directory
CODE_SUFFIXES = (".py", ".pyc", ".pyw", ".pyd", ".so", ".pth")
DISK_MB = 512                     # the default quota of a kernel's writable space
HUB_PREFIX = "autograde-kernels-"
PLAIN_PREFIX = "autograde-"       # + the worker's id: a kernel's folder without namespaces
IPC_PATH_MAX = 107                # a unix socket's path (sun_path), the kernels' ipc

# <linux/mount.h>, <sys/mount.h>, <linux/prctl.h>, <linux/sched.h>
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID = 0x1, 0x2
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
SYS_MOUNT_SETATTR = 442           # the same number on every architecture
SYS_PIVOT_ROOT = {"x86_64": 155, "amd64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41,
                  "loongarch64": 41, "i386": 217, "i686": 217, "s390x": 217, "ppc64le": 203,
                  "ppc64": 203, "armv7l": 218, "armv6l": 218}
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS = 1, 24, 28, 38
SECBIT_NOROOT_BOTH = 0x3          # SECBIT_NOROOT | SECBIT_NOROOT_LOCKED


class SandboxUnavailable(RuntimeError):
    """Namespaces cannot be created here (``sandbox = on`` makes this fatal)."""


# --------------------------------------------------------------------- grader side
def settings(mode: str, *, course_root: str, hide=(), allow=(), disk_mb: int = DISK_MB,
             memory_mb: int = 0, file_mb: int = 0, process_limit: int = 0,
             cpu_seconds: int = 0, views=None, log=None) -> dict:
    """The sandbox settings for a grading run; ``mode`` is auto, on or off.

    ``allow``: more paths the kernels may read (the allow-list is the
    runtime, Python and the dlkit views). ``hide``: paths they must not
    see even inside an allowed one (nbgrader's directories, the gradebook).
    ``disk_mb``: the quota of a kernel's writable space (0: the tmpfs
    default, half the RAM). Probes the namespaces once: ``on`` raises
    :class:`SandboxUnavailable` when they cannot be made, ``auto`` warns on
    ``log`` and grades without them (and without the quota).
    """
    spec = {"namespaces": False, "userns": os.geteuid() != 0, "memory_mb": int(memory_mb),
            "file_mb": int(file_mb), "process_limit": int(process_limit),
            "cpu_seconds": int(cpu_seconds), "uid_base": UID_BASE, "disk_mb": int(disk_mb),
            "views": {a: os.path.realpath(v) for a, v in (views or {}).items()}}
    _sweep_hubs()   # what killed runs left behind
    if mode == "off":
        if log is not None:
            log.warning("ClassGrader.sandbox is 'off': kernels see the whole machine and "
                        "write to the host's disk with no quota (disk_limit_mb applies only "
                        "in the sandbox; file_limit_mb still bounds each file)")
        return spec
    root = os.path.realpath(course_root)
    spec.update(namespaces=True, course_root=root,
                hide=sorted({os.path.realpath(p) for p in (root, *hide, os.path.expanduser("~"),
                                                           *HIDE_ALWAYS, *_course_packages())
                             if os.path.lexists(p) and os.path.realpath(p) != "/"}),
                allow=allowed_paths(root, allow), hub=_hub())
    problem = probe(spec)
    if problem is None:
        return spec
    if mode == "on":
        raise SandboxUnavailable(f"ClassGrader.sandbox is 'on' but the kernel sandbox cannot "
                                 f"be set up here: {problem}")
    if log is not None:
        log.warning("kernels run unsandboxed, with no disk quota: namespaces are unavailable "
                    "here (%s); set ClassGrader.sandbox='on' to require them", problem)
    return dict(spec, namespaces=False)


def allowed_paths(course_root: str, extra=()) -> list[str]:
    """The allow-list (but the dlkit views): what a kernel sees of the machine, read-only.

    Absolute paths whose folder is resolved, the last component not (a link,
    as ``/lib64`` or ``/etc/localtime``, stays a link in the kernel's view).
    """
    paths = [*RUNTIME, *(os.path.join("/etc", name) for name in ETC),
             *_python_paths(course_root), *extra]
    out = []
    for path in paths:
        path = os.path.abspath(path)
        if path != "/":
            path = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        # never the whole machine, nor the host's /tmp, /dev or /proc over the kernel's own
        if any(_under(own, [path]) for own in ("/tmp", "/dev/shm", "/proc")) or \
                _under(path, ["/dev", "/proc"]):
            continue
        if os.path.lexists(path) and path not in out:
            out.append(path)
    return sorted(out)


def _python_paths(course_root: str) -> list[str]:
    """What a kernel needs of Python: the installation, the venv, the site-packages, and
    the packages installed in editable mode from elsewhere than the course."""
    import site
    import sysconfig

    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)),
             *(sysconfig.get_paths().get(k, "") for k in ("stdlib", "platstdlib", "purelib",
                                                           "platlib")),
             *site.getsitepackages(),
             *(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))]
    # the course's own packages (dlkit, autograde) are not: a kernel imports the
    # assignment's dlkit view (autograde/withheld.py), which the worker puts first
    # on its PYTHONPATH
    ours = _course_packages()
    root = os.path.realpath(course_root)
    for site_dir in site.getsitepackages():
        paths += [p for p in _editable_paths(site_dir)
                  if not _under(os.path.realpath(p), [root, *ours])
                  and not _under(root, [os.path.realpath(p)])]
    return [os.path.realpath(p) for p in paths if p and os.path.exists(p)]


def _course_packages() -> list[str]:
    """Where the real dlkit and autograde live, and the course checkout that holds them
    when installed in editable mode (its source/ has the model solutions): hidden from
    kernels wherever they are, whichever course root is being graded."""
    import importlib.util

    out = []
    for name in ("dlkit", "autograde"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for loc in (spec.submodule_search_locations or []) if spec else []:
            loc = os.path.realpath(loc)
            out.append(loc)
            checkout = os.path.dirname(loc)
            if os.path.exists(os.path.join(checkout, "nbgrader_config.py")):
                out.append(checkout)
    return out


def _editable_paths(site_dir: str) -> list[str]:
    """Source folders of the packages installed in editable mode into ``site_dir``."""
    import ast
    import re

    out = []
    try:
        names = os.listdir(site_dir)
    except OSError:
        return out
    for name in names:
        path = os.path.join(site_dir, name)
        if name.startswith("__editable__") and name.endswith("_finder.py"):
            found = re.search(r"^MAPPING[^=]*=\s*(\{.*?\})\s*$", _read(path), re.M)
            try:
                out += list(ast.literal_eval(found.group(1)).values()) if found else []
            except (ValueError, SyntaxError):
                pass
        elif name.endswith(".pth"):
            out += [line.strip() for line in _read(path).splitlines()
                    if line.strip().startswith("/") and os.path.isdir(line.strip())]
    return out


_HUB: str | None = None


def _hub() -> str:
    """This process's hub: the empty folder on which each worker mounts its own tmpfs for
    its kernels' folders (in its own mount namespace); removed when this process exits,
    or by the next run when it was killed (its name says whose it is)."""
    global _HUB
    if _HUB is None or not os.path.isdir(_HUB):
        _sweep_hubs()
        _HUB = _new_hub()
        atexit.register(_remove_hub, _HUB)
    return _HUB


def _new_hub() -> str:
    name = os.path.join(tempfile.gettempdir(), HUB_PREFIX + _process_id())
    try:
        os.mkdir(name, 0o700)   # short: the kernels' socket paths are under it
        return name
    except FileExistsError:   # someone made it first: not ours
        return tempfile.mkdtemp(prefix=os.path.basename(name) + "-")


def _process_id(pid: int | None = None) -> str:
    """'pid namespace.pid.start time' of a process (this one by default): unique while it
    lives, and says which processes can tell whether it still does."""
    text = _read(f"/proc/{pid or 'self'}/stat")
    fields = text.rsplit(")", 1)[-1].split()
    start = int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else 0
    return f"{_pid_namespace():x}.{pid or os.getpid():x}.{start:x}"


def _pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _sweep_hubs() -> None:
    """Remove what processes that are gone (killed before they could) left in the temporary
    folder, those of our pid namespace only: their hubs (always empty: rmdir, never more),
    and the plain kernel folders of their workers when kernels ran without namespaces
    (ours only: owned by us, not a link)."""
    tmp = tempfile.gettempdir()
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        if name.startswith(HUB_PREFIX) and _gone(name[len(HUB_PREFIX):]):
            _remove_hub(os.path.join(tmp, name))
        elif name.startswith(PLAIN_PREFIX) and _gone(name[len(PLAIN_PREFIX):]):
            path = os.path.join(tmp, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
                shutil.rmtree(path, ignore_errors=True)


def _gone(name: str) -> bool:
    """Whether ``name`` (what follows a prefix) starts with the id of a process of our pid
    namespace that no longer runs (see :func:`_process_id`)."""
    owner = name.split("-")[0]
    parts = owner.split(".")
    return len(parts) == 3 and all(p and set(p) <= set("0123456789abcdef") for p in parts) \
        and int(parts[0], 16) == _pid_namespace() and _process_id(int(parts[1], 16)) != owner


def _remove_hub(path: str) -> None:
    try:
        os.rmdir(path)   # empty here: what is mounted on it exists only in the workers
    except OSError:
        pass


_PROBED: dict[str, str | None] = {}


def probe(spec: dict) -> str | None:
    """Start a throwaway process in the sandbox, as a worker would; None if it works, else
    why not (once per process and kind of sandbox: a run grading five assignments asks once)."""
    key = json.dumps({k: spec.get(k) for k in ("namespaces", "userns", "hide", "allow",
                                               "disk_mb")}, sort_keys=True)
    if key not in _PROBED:
        _PROBED[key] = _probe(spec)
    return _PROBED[key]


PROBE_CODE = ("import os\n"
              "for p in ('probe', '/tmp/probe', '/dev/shm/probe'):\n"
              "    open(p, 'w').write('ok')\n"
              "assert not os.path.exists({hidden!r}), 'the course root is visible'\n")


def _probe(spec: dict) -> str | None:
    if shutil.which("unshare") is None and not os.path.exists("/usr/bin/unshare"):
        return "the unshare command (util-linux) is not installed"
    if platform.machine() not in SYS_PIVOT_ROOT:
        return f"pivot_root's system call number is not known for {platform.machine()}"
    try:
        # a fresh interpreter: a worker's namespace can only be entered single-threaded
        proc = subprocess.run([sys.executable, "-I", "-S", SCRIPT, "--probe", json.dumps(spec)],
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        if proc.returncode == 0 and proc.stdout.strip().endswith("probe ok"):
            return None
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        return (lines[-1] if lines else f"the probe exited with status {proc.returncode}")[:300]
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)[:300]


def _run_probe(spec: dict) -> int:
    """``sandbox.py --probe SPEC``: a worker's namespace, a kernel's folder, the launcher."""
    enter_worker_namespace(spec)
    workdir = make_workdir(spec)
    try:
        code = PROBE_CODE.format(hidden=os.path.join(spec.get("course_root", "/nonexistent"),
                                                     "nbgrader_config.py"))
        argv = launcher_argv(spec, workdir, [sys.executable, "-S", "-c", code])
        proc = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        if proc.returncode == 0 and _read(os.path.join(workdir, "probe")) == "ok":
            print("probe ok")
            return 0
        lines = (proc.stderr or "").strip().splitlines()
        print(lines[-1] if lines else f"the probe exited with status {proc.returncode}",
              file=sys.stderr)
        return 1
    finally:
        remove_workdir(workdir)


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


# --------------------------------------------------------------------- worker side
def from_env(env=None) -> dict | None:
    """The settings the pool put in the worker's environment (None: start kernels plainly)."""
    env = os.environ if env is None else env
    if env.get(ENV_VAR):
        return json.loads(env[ENV_VAR])
    memory, files = (int(env.get(v, "0") or 0) for v in ("AUTOGRADE_MEMORY_MB",
                                                          "AUTOGRADE_FILE_MB"))
    if memory or files:   # a worker started by hand with the old variables
        return {"namespaces": False, "memory_mb": memory, "file_mb": files}
    return None


def kernel_ids(spec: dict | None) -> tuple[int, int] | None:
    """(uid, gid) the kernels of this worker run as, or None when they keep ours."""
    if not spec or not spec.get("namespaces") or spec.get("userns"):
        return None
    uid = int(spec.get("uid_base", UID_BASE)) + os.getpid()
    return uid, uid


_WORKER_HUB: str | None = None   # set once this process has its own mount namespace


def enter_worker_namespace(spec: dict | None = None) -> None:
    """Give this worker a mount namespace of its own, with its own tmpfs on the hub.

    Call it first thing in a worker, before any thread (a user namespace,
    needed when the grader is not root, can only be entered single-threaded).
    Does nothing without namespaces in ``spec`` (default: :func:`from_env`)
    or when done already. Everything :func:`make_workdir` mounts then lives
    in this namespace, and dies with this process and its kernels.
    """
    global _WORKER_HUB
    spec = from_env() if spec is None else spec
    if _WORKER_HUB is not None or not spec or not spec.get("namespaces"):
        return
    hub = spec.get("hub")
    if not hub or not os.path.isdir(hub):   # a worker started by hand
        hub = _new_hub()
    hub = os.path.realpath(hub)
    uid, gid = os.getuid(), os.getgid()
    try:
        _check(_c().unshare(CLONE_NEWNS | (CLONE_NEWUSER if spec.get("userns") else 0)),
               "unshare")
        if spec.get("userns"):   # ourselves, as ourselves: nothing else changes for the worker
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                               ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as fh:
                    fh.write(text)
        _mount(None, "/", None, MS_REC | MS_PRIVATE)   # nothing we mount leaks out
        _mount("tmpfs", hub, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=1m,nr_inodes=4096")
    except OSError as exc:
        raise SandboxUnavailable(f"a worker's mount namespace cannot be made: {exc}") from None
    _WORKER_HUB = hub


def make_workdir(spec: dict | None = None) -> str:
    """A new folder for a kernel: ``work/`` of a tmpfs of the quota's size (see the module
    docstring), or a plain temporary folder when kernels run without namespaces."""
    spec = from_env() if spec is None else spec
    if not spec or not spec.get("namespaces"):   # named after the worker: see _sweep_hubs
        return tempfile.mkdtemp(prefix=f"{PLAIN_PREFIX}{_process_id()}-")
    if _WORKER_HUB is None:
        raise SandboxUnavailable("a sandboxed kernel's folder needs the worker's own mount "
                                 "namespace: call sandbox.enter_worker_namespace() first")
    base = tempfile.mkdtemp(prefix="", dir=_WORKER_HUB)
    if len(base) + len("/work/kernel-ipc-9") > IPC_PATH_MAX:
        os.rmdir(base)
        raise SandboxUnavailable(f"the kernels' folders would be too deep for their socket "
                                 f"paths (at most {IPC_PATH_MAX} bytes): {base}/work; "
                                 "set a shorter TMPDIR")
    mb = int(spec.get("disk_mb") or 0)
    quota = f",size={mb}m,nr_inodes={max(4096, mb * 128)}" if mb > 0 else ""
    try:
        _mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700" + quota)
        for name, mode in (("work", 0o755), ("tmp", 0o1777), ("shm", 0o1777)):
            os.mkdir(os.path.join(base, name))
            os.chmod(os.path.join(base, name), mode)
    except OSError:
        remove_workdir(os.path.join(base, "work"))
        raise
    return os.path.join(base, "work")


def remove_workdir(workdir: str) -> None:
    """Remove a folder :func:`make_workdir` made, its tmpfs and all; never raises."""
    base = os.path.dirname(os.path.realpath(workdir))
    if _WORKER_HUB is not None and os.path.dirname(base) == _WORKER_HUB:
        try:
            _check(_c().umount2(base.encode(), ctypes.c_int(MNT_DETACH)), f"umount {base}")
        except OSError:
            pass
        try:
            os.rmdir(base)
        except OSError:
            pass
        return
    shutil.rmtree(workdir, ignore_errors=True)


def launcher_argv(spec: dict, workdir: str, kernel_argv: list[str]) -> list[str]:
    """The command that starts ``kernel_argv`` in the sandbox ``spec`` describes."""
    inner = dict(spec, workdir=os.path.realpath(workdir), ids=kernel_ids(spec))
    launcher = [sys.executable, "-I", "-S", SCRIPT, "--spec", json.dumps(inner), "--",
                *kernel_argv]
    if not spec.get("namespaces"):
        return launcher
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    # setpriv (util-linux, as unshare): unshare dies with the worker that started it, and
    # the kernel with unshare (the launcher arms that again after dropping privileges)
    setpriv = shutil.which("setpriv")
    return [*([setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []),
            unshare, "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
            "--mount-proc", *(["--map-root-user"] if spec.get("userns") else []), "--",
            *launcher]


def populate_workdir(src: str, workdir: str, ids: tuple[int, int] | None = None) -> list[str]:
    """Copy the files beside the notebook into ``workdir``, except code that could shadow a module.

    Notebooks, symbolic links and editor litter are left out silently;
    Python code and packages are left out and returned ("numpy.py (would
    shadow the numpy module)") so the grader can flag them, and so are files
    that do not fit in the kernel's quota. ``ids``: the owner the copies get
    (the kernel's uid and gid).
    """
    skipped: list[str] = []
    try:
        entries = sorted(os.listdir(src))
    except OSError:
        return skipped
    for name in entries:
        path = os.path.join(src, name)
        if name.endswith(".ipynb") or name in (".ipynb_checkpoints", "__pycache__", HOME_NAME) \
                or os.path.islink(path):
            continue
        why = _shadows(name, path)
        if why is not None:
            skipped.append(why)
            continue
        dest = os.path.join(workdir, name)
        try:
            if os.path.isdir(path):
                shutil.copytree(path, dest, symlinks=True, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
            elif os.path.isfile(path):
                shutil.copy2(path, dest)
            else:
                continue
        except (OSError, shutil.Error) as exc:
            if _out_of_space(exc):
                skipped.append(f"{name} (does not fit in the kernel's disk quota)")
                if os.path.isdir(dest) and not os.path.islink(dest):
                    shutil.rmtree(dest, ignore_errors=True)
                elif os.path.lexists(dest):
                    os.unlink(dest)
            continue
        if ids is not None:
            _chown_tree(dest, *ids)
    return skipped


def _out_of_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(exc, shutil.Error):   # copytree: a list of (src, dest, why)
        return any("No space left" in str(err) for err in exc.args[0])
    return False


def _shadows(name: str, path: str) -> str | None:
    """Why ``name`` must not be in the kernel's working directory, or None."""
    stem, ext = os.path.splitext(name)
    module = stem.split(".")[0] if ext in CODE_SUFFIXES else name
    is_code = ext in CODE_SUFFIXES or (os.path.isdir(path) and (
        os.path.exists(os.path.join(path, "__init__.py")) or _importable(name)))
    if not is_code:
        return None
    if module.isidentifier() and _importable(module):
        return f"{name} (would shadow the {module} module)"
    if ext in (".py", ".pyc") or os.path.isdir(path):
        return None   # a helper module of the student's own: it only runs in their kernel
    return f"{name} (compiled code or a path file)"


def _importable(name: str) -> bool:
    if not name.isidentifier():
        return False
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        return True
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    # the worker's cwd is the course root: a name found only there is not a module
    where = os.path.dirname(spec.origin or "")
    if spec.submodule_search_locations:
        where = os.path.dirname(where) if spec.origin else \
            os.path.dirname(list(spec.submodule_search_locations)[0])
    return os.path.realpath(where or "/") != os.path.realpath(os.getcwd())


def _chown_tree(path: str, uid: int, gid: int) -> None:
    os.lchown(path, uid, gid)
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                os.lchown(os.path.join(top, name), uid, gid)
            except OSError:
                pass


def kernel_manager_class():
    """jupyter_client's AsyncKernelManager, starting its kernels through the launcher."""
    global _KM
    if _KM is None:
        from jupyter_client.manager import AsyncKernelManager

        class SandboxKernelManager(AsyncKernelManager):
            """Starts the kernel in the sandbox described by $AUTOGRADE_SANDBOX."""

            _sandbox = None

            async def _async_pre_start_kernel(self, **kw):
                self._sandbox = spec = from_env()
                if spec:   # the assignment's dlkit, and nothing of the real one
                    view = spec.get("views", {}).get(os.environ.get(ASSIGNMENT_VAR, ""))
                    self._sandbox = spec = dict(spec, view=view, allow=[
                        *spec.get("allow", []), *([view] if view else [])])
                if spec and spec.get("namespaces"):
                    # no network inside: ZeroMQ over socket files in the workdir
                    cwd = os.path.realpath(kw.get("cwd") or os.getcwd())
                    self.transport = "ipc"
                    self.cache_ports = False
                    self.connection_file = os.path.join(cwd, "kernel.json")
                    self.ip = os.path.join(cwd, "kernel-ipc")
                return await super()._async_pre_start_kernel(**kw)

            def format_kernel_cmd(self, extra_arguments=None):
                cmd = super().format_kernel_cmd(extra_arguments)
                if not self._sandbox:
                    return cmd
                cwd = (self._launch_args or {}).get("cwd") or os.getcwd()
                return launcher_argv(self._sandbox, cwd, cmd)

        _KM = SandboxKernelManager
    return _KM


_KM = None


# --------------------------------------------------------------------- the launcher
_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _enc(s):
    return s.encode() if isinstance(s, str) else s


def _mount(src, target: str, fstype=None, flags: int = 0, data=None) -> None:
    enc = _enc
    _check(_c().mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _setattr(path: str, set_: int = 0, clear: int = 0, recursive: bool = False) -> None:
    attr = _MountAttr(set_, clear, 0, 0)
    ret = _c().syscall(ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD),
                       path.encode(), ctypes.c_uint(AT_RECURSIVE if recursive else 0),
                       ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
    _check(ret, f"mount_setattr {path}")


def _pivot_root(new_root: str, put_old: str) -> None:
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unknown on {platform.machine()}")
    _check(_c().syscall(ctypes.c_long(number), new_root.encode(), put_old.encode()),
           "pivot_root")


def _under(path: str, dirs) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def _unescape(field: str) -> str:
    """A path as /proc/self/mountinfo writes it (space, tab, newline, backslash in octal)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _check_quota(spec: dict) -> str:
    """The kernel's folder must be ``work/`` of its quota tmpfs (:func:`make_workdir`):
    else what the kernel writes would reach the host's disk. Returns the tmpfs's root."""
    base = os.path.dirname(spec["workdir"])
    found = None
    for line in _read("/proc/self/mountinfo").splitlines():
        fields = line.split()
        if "-" in fields and _unescape(fields[4]) == base:
            rest = fields[fields.index("-") + 1:]
            found = (rest[0], rest[2] if len(rest) > 2 else "")   # the last one mounted wins
    mb = int(spec.get("disk_mb") or 0)
    size = next((o[len("size="):] for o in (found[1].split(",") if found else [])
                 if o.startswith("size=")), None)
    if found is None or found[0] != "tmpfs" or not all(
            os.path.isdir(os.path.join(base, d)) for d in ("tmp", "shm")):
        raise OSError(errno.EPERM, f"{spec['workdir']} is not a kernel folder made by "
                                   "sandbox.make_workdir (no quota tmpfs)")
    if mb > 0 and (size is None or not size.endswith("k") or int(size[:-1]) > mb * 1024):
        raise OSError(errno.EPERM, f"the tmpfs of {spec['workdir']} is not limited to "
                                   f"{mb} MiB ({size})")
    return base


OLD_ROOT = "/.oldroot"


def _build_view(spec: dict) -> str:
    """Steps 1-4 of the module docstring; returns the workdir."""
    workdir = spec["workdir"]
    base = _check_quota(spec)
    if spec.get("ids"):
        _chown_tree(workdir, *spec["ids"])
    # the new root: a tmpfs, put on /tmp for a moment (pivot_root moves it to /, and the
    # old root's /tmp is whole again below /.oldroot)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m,nr_inodes=8192")
    os.mkdir("/tmp" + OLD_ROOT)
    _pivot_root("/tmp", "/tmp" + OLD_ROOT)
    os.chdir("/")
    old = OLD_ROOT
    # (path in the new root, source in the old one or a link's target, kind)
    ops = [(p, old + p, "bind") for p in spec.get("allow", [])]
    ops += [("/proc", old + "/proc", "bind"), ("/tmp", old + base + "/tmp", "ours"),
            ("/dev/shm", old + base + "/shm", "ours"), (workdir, old + workdir, "ours")]
    ops += [(f"/dev/{n}", f"{old}/dev/{n}", "bind") for n in DEV]
    ops += [(f"/dev/{n}", target, "link") for n, target in DEV_LINKS.items()]
    allowed = spec.get("allow", [])
    ops += [(h, f"{old}/dev/null", "hide") for h in spec.get("hide", [])
            if _under(h, allowed)]
    order = {"bind": 0, "ours": 0, "link": 0, "hide": 1}
    ops.sort(key=lambda op: (op[0].strip("/").split("/"), order[op[2]]))
    mounted: list[tuple[str, bool]] = []   # (path, whether its content is ours to add to)
    for path, src, kind in ops:
        below = [(p, ours) for p, ours in mounted if _under(path, [p])]
        inside_ours = not below or max(below, key=lambda m: len(m[0]))[1]
        if kind == "hide":
            if not inside_ours and os.path.lexists(path):
                _hide(path, src)
                mounted.append((path, True))
            continue
        if not inside_ours:
            if kind == "ours":
                raise OSError(errno.EPERM, f"{path} would be inside a read-only path of the "
                                           "host (an allowed path holds the kernels' folders)")
            continue   # visible already, as it is on the host
        if kind == "link" or (kind == "bind" and os.path.islink(src)):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.lexists(path):
                os.symlink(src if kind == "link" else os.readlink(src), path)
            continue
        if not os.path.lexists(src):
            continue
        if os.path.isdir(src):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        _mount(src, path, None, MS_BIND | MS_REC)
        mounted.append((path, kind == "ours"))
    _check(_c().umount2(old.encode(), ctypes.c_int(MNT_DETACH)), "umount the old root")
    os.rmdir(old)
    _setattr("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, recursive=True)
    for path in (workdir, "/tmp", "/dev/shm"):
        _setattr(path, clear=MOUNT_ATTR_RDONLY)
    try:
        _c().sethostname(b"sandbox", 7)
        _loopback_up()
    except OSError:
        pass
    return workdir


def _hide(path: str, null: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=4k")
    elif not os.path.islink(path):
        _mount(null, path, None, MS_BIND)


def _loopback_up() -> None:
    """The new network namespace's loopback starts down; bring it up (nothing else exists)."""
    import fcntl
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(s, 0x8913, ifreq))[1]    # SIOCGIFFLAGS
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 0x1, b""))  # IFF_UP


def _drop_privileges(spec: dict) -> None:
    libc = _c()
    last = int(_read("/proc/sys/kernel/cap_last_cap").strip() or 40)
    if spec.get("ids"):
        for cap in range(last + 1):
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        uid, gid = spec["ids"]
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)   # root -> uid: every capability goes
    else:
        # the user namespace's root: keep the uid, give up every capability
        _check(libc.prctl(PR_SET_SECUREBITS, SECBIT_NOROOT_BOTH, 0, 0, 0), "securebits")
        for cap in range(last + 1):
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)     # _LINUX_CAPABILITY_VERSION_3
        data = (ctypes.c_uint32 * 6)()
        _check(libc.capset(header, data), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _set_limits(spec: dict) -> None:
    mib = 1024 * 1024
    limits = [(resource.RLIMIT_AS, int(spec.get("memory_mb") or 0) * mib),
              (resource.RLIMIT_FSIZE, int(spec.get("file_mb") or 0) * mib)]
    if spec.get("namespaces"):
        limits += [(resource.RLIMIT_NPROC, int(spec.get("process_limit") or 0)),
                   (resource.RLIMIT_CPU, int(spec.get("cpu_seconds") or 0)),
                   (resource.RLIMIT_NOFILE, 1024), (resource.RLIMIT_CORE, -1)]
    for which, value in limits:
        if value > 0 or (which == resource.RLIMIT_CORE):
            value = max(value, 0)
            hard = resource.getrlimit(which)[1]
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))


def kernel_env(spec: dict, env=None) -> dict:
    """The kernel's whole environment: what it needs, nothing of the grader's secrets."""
    env = os.environ if env is None else env
    out = {k: v for k, v in env.items() if k in KEEP_ENV or k.startswith("LC_")}
    out.update(NBGRADER_EXECUTION="autograde", PYTHONNOUSERSITE="1")
    out.setdefault("PATH", os.defpath)
    return out


def _fresh_home(spec: dict, env: dict) -> None:
    """A new, empty HOME (and IPython, Jupyter, matplotlib folders) for the kernel.

    It is the grader's, made here just before the kernel starts: nothing
    handed in beside the notebook (``.ipython/profile_default/startup/``)
    runs at start-up. The assignment's dlkit view comes first on the path.
    """
    home = os.path.join(spec["workdir"], HOME_NAME)
    if os.path.lexists(home):
        if os.path.isdir(home) and not os.path.islink(home):
            shutil.rmtree(home)
        else:
            os.unlink(home)
    os.mkdir(home, 0o700)
    if spec.get("ids"):
        os.chown(home, *spec["ids"])
    for key in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "JUPYTER_PATH",
                "JUPYTER_CONFIG_PATH", "IPYTHON_DIR"):
        env.pop(key, None)
    env.update(HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"),
               JUPYTER_CONFIG_DIR=os.path.join(home, ".jupyter"),
               JUPYTER_DATA_DIR=os.path.join(home, ".local", "share", "jupyter"),
               MPLCONFIGDIR=os.path.join(home, ".config", "matplotlib"))
    if spec.get("view"):
        env["PYTHONPATH"] = spec["view"]
        fonts = os.path.join(spec["view"], "matplotlib")   # built once by autograde.withheld
        if os.path.isdir(fonts):
            shutil.copytree(fonts, env["MPLCONFIGDIR"], dirs_exist_ok=True)
            if spec.get("ids"):
                _chown_tree(os.path.join(home, ".config"), *spec["ids"])


def main(argv: list[str]) -> int:
    """``sandbox.py --spec JSON -- KERNEL ARGV``: set up, then exec the kernel."""
    if len(argv) == 2 and argv[0] == "--probe":
        try:
            return _run_probe(json.loads(argv[1]))
        except (OSError, SandboxUnavailable) as exc:
            print(f"autograde sandbox: {exc}", file=sys.stderr)
            return 70
    if len(argv) < 4 or argv[0] != "--spec" or argv[2] != "--":
        print("usage: sandbox.py --spec JSON -- KERNEL ARGV...", file=sys.stderr)
        return 2
    spec, kernel = json.loads(argv[1]), argv[3:]
    env = dict(os.environ)
    try:
        if spec.get("namespaces"):
            os.chdir(_build_view(spec))
            env = kernel_env(spec)
        _fresh_home(spec, env)
        if spec.get("namespaces"):
            _drop_privileges(spec)
            # changing credentials cleared unshare's --kill-child: the kernel (its pid
            # namespace's init: everything in it) dies when unshare does
            _check(_c().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    except OSError as exc:
        print(f"autograde sandbox: {exc}", file=sys.stderr)
        return 70
    _set_limits(spec)
    try:
        os.execvpe(kernel[0], kernel, env)
    except OSError as exc:
        print(f"autograde sandbox: cannot start {kernel[0]}: {exc}", file=sys.stderr)
        return 127 if exc.errno == errno.ENOENT else 126


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
