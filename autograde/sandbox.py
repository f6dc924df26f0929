"""A sandbox for each notebook's kernel: namespaces, a private view of the files, limits.

A student's kernel runs untrusted code. The workers start every kernel
through this module's launcher instead of directly::

    unshare --mount --net --pid --ipc --uts --fork --kill-child --mount-proc [--map-root-user] \\
        -- python -I -S .../autograde/sandbox.py --spec JSON -- <kernel argv>

``unshare`` (util-linux) creates the namespaces; the launcher (this file run
as a script, standard library only, so it starts in milliseconds) then, as
the namespace's root and before exec'ing the kernel:

1. gives the workdir to the kernel's user (as real root: ``uid_base + worker
   pid``, a uid with no account, distinct for every live worker);
2. hides what a kernel has no business seeing behind empty tmpfs mounts: the
   course root (the grading state, the solutions in ``source/``, the
   gradebook, other students' work), nbgrader's other directories wherever
   they are, ``/home``, ``/root``, ``/run``, ``/srv``...; then brings back,
   read-only, what the kernel needs from under them: the Python installation
   and the packages installed in editable mode from the course root (dlkit);
3. gives the kernel a private ``/tmp`` and ``/dev/shm``, and its workdir;
4. makes every mount read-only (``mount_setattr(AT_RECURSIVE)``) except the
   workdir, ``/tmp`` and ``/dev/shm``;
5. drops privileges: as real root, to the kernel's uid/gid with no
   supplementary groups; in a user namespace (grader not root) it stays the
   namespace's root but gives up every capability, so it cannot undo the
   mounts; ``no_new_privs`` in both cases (no setuid binaries);
6. sets the resource limits (address space, file size, processes, open
   files, CPU, no core dumps) and a minimal environment, and execs the kernel.

The new network namespace has only loopback, so the kernel talks to the
worker over ZeroMQ's ``ipc`` transport: socket files in the workdir, which
both sides see at the same path. The kernel is the pid namespace's init:
when it dies, every process it left behind dies with it, and killing the
process group of ``unshare`` (what the pool does on a wall-clock timeout)
kills it.

Without namespaces (``ClassGrader.sandbox = off``) the launcher only sets
the memory and file-size limits, so they bind the kernel and never the
worker collecting its output.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import shutil
import socket
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
# always hidden (when they exist); the course's own paths are added by settings()
HIDE_ALWAYS = ("/home", "/root", "/run", "/srv", "/mnt", "/media", "/var/tmp", "/var/mail",
               "/var/spool", "/var/backups", "/var/log", "/var/lib")
# names that shadow modules when they sit in the kernel's working directory
CODE_SUFFIXES = (".py", ".pyc", ".pyw", ".pyd", ".so", ".pth")

# <linux/mount.h>, <sys/mount.h>, <linux/prctl.h>
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC = 4096, 16384
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID = 0x1, 0x2
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
SYS_MOUNT_SETATTR = 442           # the same number on every architecture
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS = 24, 28, 38
SECBIT_NOROOT_BOTH = 0x3          # SECBIT_NOROOT | SECBIT_NOROOT_LOCKED


class SandboxUnavailable(RuntimeError):
    """Namespaces cannot be created here (``sandbox = on`` makes this fatal)."""


# --------------------------------------------------------------------- grader side
def settings(mode: str, *, course_root: str, hide=(), memory_mb: int = 0, file_mb: int = 0,
             process_limit: int = 0, cpu_seconds: int = 0, views=None, log=None) -> dict:
    """The sandbox settings for a grading run; ``mode`` is auto, on or off.

    ``hide``: more paths the kernels must not see (nbgrader's directories,
    the gradebook). Probes the namespaces once: ``on`` raises
    :class:`SandboxUnavailable` when they cannot be made, ``auto`` warns on
    ``log`` and grades without them.
    """
    spec = {"namespaces": False, "userns": os.geteuid() != 0, "memory_mb": int(memory_mb),
            "file_mb": int(file_mb), "process_limit": int(process_limit),
            "cpu_seconds": int(cpu_seconds), "uid_base": UID_BASE,
            "views": {a: os.path.realpath(v) for a, v in (views or {}).items()}}
    if mode == "off":
        return spec
    root = os.path.realpath(course_root)
    spec.update(namespaces=True, course_root=root,
                hide=_minimal(p for p in (root, *hide, os.path.expanduser("~"), *HIDE_ALWAYS,
                                          *_course_packages())
                              if os.path.lexists(p) and os.path.realpath(p) != "/"),
                keep=_minimal(_keep_paths(root)))
    problem = probe(spec)
    if problem is None:
        return spec
    if mode == "on":
        raise SandboxUnavailable(f"ClassGrader.sandbox is 'on' but the kernel sandbox cannot "
                                 f"be set up here: {problem}")
    if log is not None:
        log.warning("kernels run unsandboxed: namespaces are unavailable here (%s); "
                    "set ClassGrader.sandbox='on' to require them", problem)
    return dict(spec, namespaces=False)


def _keep_paths(course_root: str) -> list[str]:
    """What a kernel needs from under hidden paths: Python, and the course's installed packages."""
    import site
    import sysconfig

    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)),
             *(sysconfig.get_paths().get(k, "") for k in ("stdlib", "platstdlib", "purelib",
                                                           "platlib")),
             *site.getsitepackages()]
    # packages installed in editable mode from elsewhere; the course's own
    # (dlkit, autograde) are not: a kernel imports the assignment's dlkit view
    # (autograde/withheld.py), which the worker puts first on its PYTHONPATH
    ours = _course_packages()
    for site_dir in site.getsitepackages():
        paths += [p for p in _editable_paths(site_dir)
                  if not _under(os.path.realpath(p), [os.path.realpath(course_root), *ours])
                  and not _under(os.path.realpath(course_root), [os.path.realpath(p)])]
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


def _minimal(paths) -> list[str]:
    """Absolute real paths, without those inside another one of the list."""
    out: list[str] = []
    for p in sorted({os.path.realpath(p) for p in paths}):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


_PROBED: dict[str, str | None] = {}


def probe(spec: dict) -> str | None:
    """Start a throwaway process in the sandbox; None if it works, else why not
    (once per process and kind of sandbox: a run grading five assignments asks once)."""
    key = json.dumps({k: spec.get(k) for k in ("namespaces", "userns", "hide", "keep")},
                     sort_keys=True)
    if key not in _PROBED:
        _PROBED[key] = _probe(spec)
    return _PROBED[key]


def _probe(spec: dict) -> str | None:
    if shutil.which("unshare") is None and not os.path.exists("/usr/bin/unshare"):
        return "the unshare command (util-linux) is not installed"
    workdir = tempfile.mkdtemp(prefix="autograde-probe-")
    try:
        argv = launcher_argv(spec, workdir, [sys.executable, "-S", "-c",
                                             "open('probe', 'w').write('ok')"])
        proc = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        if proc.returncode == 0 and _read(os.path.join(workdir, "probe")) == "ok":
            return None
        lines = (proc.stderr or "").strip().splitlines()
        return (lines[-1] if lines else f"the probe exited with status {proc.returncode}")[:300]
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)[:300]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


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


def launcher_argv(spec: dict, workdir: str, kernel_argv: list[str]) -> list[str]:
    """The command that starts ``kernel_argv`` in the sandbox ``spec`` describes."""
    inner = dict(spec, workdir=os.path.realpath(workdir), ids=kernel_ids(spec))
    launcher = [sys.executable, "-I", "-S", SCRIPT, "--spec", json.dumps(inner), "--",
                *kernel_argv]
    if not spec.get("namespaces"):
        return launcher
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    return [unshare, "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
            "--mount-proc", *(["--map-root-user"] if spec.get("userns") else []), "--",
            *launcher]


def populate_workdir(src: str, workdir: str, ids: tuple[int, int] | None = None) -> list[str]:
    """Copy the files beside the notebook into ``workdir``, except code that could shadow a module.

    Notebooks, symbolic links and editor litter are left out silently;
    Python code and packages are left out and returned ("numpy.py (would
    shadow the numpy module)") so the grader can flag them. ``ids``: the
    owner the copies get (the kernel's uid and gid).
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
        except OSError:
            continue
        if ids is not None:
            _chown_tree(dest, *ids)
    return skipped


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
                    self._sandbox = spec = dict(spec, view=view, keep=[
                        *spec.get("keep", []), *([view] if view else [])])
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


def _under(path: str, dirs) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def _build_view(spec: dict) -> str:
    """Steps 1-4 of the module docstring; returns the workdir."""
    workdir = spec["workdir"]
    ids = spec.get("ids")
    if ids:
        _chown_tree(workdir, *ids)
    scratch_mb = max(64, int(spec.get("file_mb") or 0))
    writable = [workdir, "/tmp", "/dev/shm"]
    keep = [p for p in spec.get("keep", []) if os.path.exists(p)]
    # handles on what must stay reachable, taken before anything is hidden
    fds = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in [workdir, *keep]}
    hide = [p for p in spec.get("hide", []) if p not in ("/tmp", "/dev/shm")]
    for path in hide:
        _hide(path)
    for path in ("/tmp", "/dev/shm"):
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
               f"mode=1777,size={scratch_mb}m")
    for path in [*keep, workdir]:
        if not _under(path, [*hide, "/tmp", "/dev/shm"]):
            continue   # never hidden: visible as it is
        if os.path.isdir(f"/proc/self/fd/{fds[path]}"):
            os.makedirs(path, exist_ok=True)
        else:
            open(path, "a").close()
        _mount(f"/proc/self/fd/{fds[path]}", path, None, MS_BIND | MS_REC)
    for path in hide:   # hidden paths inside what was brought back stay hidden
        if _under(path, [k for k in keep if k != path and _under(path, [k])]):
            _hide(path)
    for fd in fds.values():
        os.close(fd)
    _setattr("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, recursive=True)
    for path in writable:
        _setattr(path, clear=MOUNT_ATTR_RDONLY)
    try:
        _c().sethostname(b"sandbox", 7)
        _loopback_up()
    except OSError:
        pass
    return workdir


def _hide(path: str) -> None:
    if not os.path.lexists(path):
        return
    if os.path.isdir(path):
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=1m")
    else:
        _mount("/dev/null", path, None, MS_BIND)


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
