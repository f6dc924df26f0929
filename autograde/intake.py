"""Take a submission in without trusting its folder: regular files only, no link followed.

A submission folder is written by the student (through JupyterHub, an
archive, the exchange). The grader runs as root, and ``shutil.copy``,
``glob`` and ``open`` follow symbolic links: a notebook that is a link to
another student's, an extra file that is a link to ``source/`` or the
gradebook, a FIFO or ``/dev/zero`` would all be read, copied into the
grading kernel's folder and shown back in feedback. So before nbgrader or
anything of ours opens a submission, :func:`take_in` copies it into a
staging folder, and nbgrader grades the copy. It walks the folder by file
descriptor (``openat`` with ``O_NOFOLLOW``, so nothing can be swapped for a
link between looking and opening) and keeps only regular files with a single
name (no hard links), within the size limits, checked before reading. Links,
FIFOs, sockets, devices and what is over a limit are left out, each with one
:class:`~autograde.status.Finding` an instructor can act on.

The original folder is never changed.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field

from autograde.status import Finding

CHECK = "intake"


@dataclass
class Limits:
    """What one submission folder may hold (bytes and counts; 0: no limit)."""

    notebook_bytes: int = 20 * 2**20   # a notebook (.ipynb)
    file_bytes: int = 0                # any other file (nbgrader's max_file_size)
    total_bytes: int = 100 * 2**20     # everything taken in
    files: int = 1000                  # entries looked at
    depth: int = 8                     # folders below the submission folder


@dataclass
class Intake:
    """What :func:`take_in` kept (relative paths) and what it found."""

    kept: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    refused: str = ""      # why nothing could be taken in at all ("" when it could)
    seconds: float = 0.0   # what taking it in cost
    oversized: list[str] = field(default_factory=list)   # notebooks left out for their size

    def note(self, message: str) -> None:
        self.findings.append(Finding(CHECK, message))


_KIND = {stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a named pipe (FIFO)",
         stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device"}
_NOFOLLOW_DIR = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def take_in(src: str, dest: str, limits: Limits | None = None) -> Intake:
    """Copy the submission folder ``src`` into ``dest`` (created; must not exist), safely."""
    limits = limits or Limits()
    result = Intake()
    try:
        top = os.open(src, _NOFOLLOW_DIR)
    except OSError as err:
        result.refused = ("the submission folder is a link, not a folder: nothing was graded"
                          if err.errno in (errno.ELOOP, errno.ENOTDIR)
                          else f"the submission folder cannot be read ({err.strerror})")
        return result
    os.makedirs(dest, mode=0o700)
    state = {"files": 0, "bytes": 0, "over": False}
    try:
        _copy_dir(top, dest, "", 0, limits, result, state)
    finally:
        os.close(top)
    return result


def _copy_dir(fd: int, dest: str, rel: str, depth: int, limits: Limits, result: Intake,
              state: dict) -> None:
    try:
        names = sorted(os.listdir(fd))
    except OSError as err:
        result.note(f"{rel or '.'}/ could not be read ({err.strerror}): left out")
        return
    for name in names:
        path = f"{rel}/{name}" if rel else name
        state["files"] += 1
        if limits.files and state["files"] > limits.files:
            if not state["over"]:
                result.note(f"more than {limits.files} files and folders in the submission: "
                            f"{path} and everything after it left out")
                state["over"] = True
            return
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError as err:
            result.note(f"{path} could not be read ({err.strerror}): left out")
            continue
        kind = stat.S_IFMT(st.st_mode)
        if kind == stat.S_IFDIR:
            if limits.depth and depth >= limits.depth:
                result.note(f"{path}/ is more than {limits.depth} folders deep: left out")
                continue
            sub = _open_or_note(name, _NOFOLLOW_DIR, fd, f"{path}/", result)
            if sub is None:
                continue
            try:
                os.mkdir(os.path.join(dest, name), 0o700)
                _copy_dir(sub, os.path.join(dest, name), path, depth + 1, limits, result, state)
            finally:
                os.close(sub)
        elif kind == stat.S_IFREG:
            _copy_file(fd, name, st, dest, path, limits, result, state)
        else:
            what = _KIND.get(kind, "not a regular file")
            target = ""
            if kind == stat.S_IFLNK:
                try:
                    target = f" to {os.readlink(name, dir_fd=fd)[:200]!r}"
                except OSError:
                    pass
            result.note(f"{path} is {what}{target}: left out (only regular files are "
                        "graded; hand in the file itself)")


def _open_or_note(name: str, flags: int, fd: int, path: str, result: Intake) -> int | None:
    """``name`` in the folder ``fd`` opened without following a link, or None (noted)."""
    try:
        return os.open(name, flags, dir_fd=fd)
    except OSError as err:
        result.note(f"{path} could not be opened ({err.strerror}): left out")
        return None


def _copy_file(fd: int, name: str, st: os.stat_result, dest: str, path: str, limits: Limits,
               result: Intake, state: dict) -> None:
    if st.st_nlink > 1:
        result.note(f"{path} is a hard link ({st.st_nlink} names for one file): left out "
                    "(hand in a copy of the file itself)")
        return
    limit = limits.notebook_bytes if name.endswith(".ipynb") else limits.file_bytes
    if limit and st.st_size > limit:
        if name.endswith(".ipynb"):
            result.oversized.append(
                f"{name} is {st.st_size / 2**20:.0f} MB, over the {limit / 2**20:.0f} MB limit "
                "for a notebook (large outputs or embedded data?): clear the outputs and save "
                "it again")
        result.note(f"{path} is {st.st_size / 2**20:.1f} MB, over the {limit / 2**20:.0f} MB "
                    f"limit for {'a notebook' if name.endswith('.ipynb') else 'a file'}: "
                    "left out")
        return
    if limits.total_bytes and state["bytes"] + st.st_size > limits.total_bytes:
        result.note(f"{path} would take the submission over {limits.total_bytes / 2**20:.0f} MB "
                    "in all: left out")
        return
    src = _open_or_note(name, _NOFOLLOW_FILE, fd, path, result)
    if src is None:
        return
    try:
        now = os.fstat(src)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            result.note(f"{path} changed while it was being read: left out")
            return
        size = now.st_size
        out = os.open(os.path.join(dest, name),
                      os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            copied = _copy_bytes(src, out, size)
        finally:
            os.close(out)
        if copied != size:
            result.note(f"{path} changed size while it was being read: cut at {size} bytes")
        state["bytes"] += copied
        try:
            os.utime(os.path.join(dest, name), ns=(now.st_atime_ns, now.st_mtime_ns))
        except OSError:
            pass
        result.kept.append(path)
    finally:
        os.close(src)


def _copy_bytes(src: int, out: int, size: int) -> int:
    """Copy at most ``size`` bytes (never more than the file had when it was looked at)."""
    done = 0
    while done < size:
        chunk = os.read(src, min(1 << 20, size - done))
        if not chunk:
            break
        view = memoryview(chunk)
        while view:
            view = view[os.write(out, view):]
        done += len(chunk)
    return done
