"""autograde.intake: only regular files come in; nothing is followed, nothing is changed."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from autograde.intake import Limits, take_in


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text("SECRET")
    return path


def _tree(root):
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            out[os.path.relpath(path, root)] = stat.S_IFMT(os.lstat(path).st_mode)
    return out


def test_regular_files_and_folders_are_copied_with_their_content(tmp_path):
    src = tmp_path / "sub"
    (src / "data" / "deep").mkdir(parents=True)
    (src / "nb.ipynb").write_text("{}")
    (src / "data" / "deep" / "x.csv").write_text("1,2\n")
    taken = take_in(str(src), str(tmp_path / "in"))
    assert taken.findings == [] and not taken.refused
    assert sorted(taken.kept) == ["data/deep/x.csv", "nb.ipynb"]
    assert (tmp_path / "in" / "data" / "deep" / "x.csv").read_text() == "1,2\n"


def test_links_of_every_kind_are_left_out_and_named(tmp_path, secret):
    src = tmp_path / "sub"
    (src / "sub").mkdir(parents=True)
    (src / "nb.ipynb").symlink_to(secret)
    (src / "sub" / "s.txt").symlink_to(secret)
    (src / "dir").symlink_to(secret.parent)
    (src / "zero").symlink_to("/dev/zero")
    (src / "dangling").symlink_to(tmp_path / "nowhere")
    os.link(secret, src / "hard.txt")
    os.mkfifo(src / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(src / "sock"))
    sock.close()
    before = _tree(src)
    taken = take_in(str(src), str(tmp_path / "in"))
    assert taken.kept == []
    text = " ".join(f.message for f in taken.findings)
    for name in ("nb.ipynb", "sub/s.txt", "dir", "zero", "dangling"):
        assert f"{name} is a symbolic link" in text
    assert "hard.txt is a hard link" in text and "pipe is a named pipe" in text
    assert "sock is a socket" in text
    assert all(f.check == "intake" for f in taken.findings)
    copied = _tree(tmp_path / "in")
    assert all(kind in (stat.S_IFDIR, stat.S_IFREG) for kind in copied.values())
    assert not any("SECRET" in p.read_text() for p in (tmp_path / "in").rglob("*") if p.is_file())
    assert _tree(src) == before, "the submission folder was changed"


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_device_is_never_opened(tmp_path):
    src = tmp_path / "sub"
    src.mkdir()
    os.mknod(src / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    taken = take_in(str(src), str(tmp_path / "in"))
    assert "zero is a character device" in taken.findings[0].message


def test_a_submission_folder_that_is_a_link_is_refused(tmp_path, secret):
    (tmp_path / "sub").symlink_to(secret.parent)
    taken = take_in(str(tmp_path / "sub"), str(tmp_path / "in"))
    assert "is a link" in taken.refused and not (tmp_path / "in").exists()


def test_sizes_are_checked_before_reading(tmp_path):
    src = tmp_path / "sub"
    src.mkdir()
    with open(src / "big.bin", "wb") as fh:
        fh.truncate(10 * 2**30)   # sparse: 10 GB, nothing on disk
    for i in range(5):
        (src / f"f{i}.txt").write_bytes(b"x" * 400)
    (src / "nb.ipynb").write_bytes(b"y" * 3000)
    limits = Limits(notebook_bytes=2000, file_bytes=2**20, total_bytes=1000, files=4)
    taken = take_in(str(src), str(tmp_path / "in"), limits)
    text = " | ".join(f.message for f in taken.findings)
    assert "big.bin is 10240.0 MB, over the 1 MB limit" in text
    assert "would take the submission over" in text
    assert "more than 4 files" in text
    assert sum(p.stat().st_size for p in (tmp_path / "in").rglob("*")) <= 1000


def test_deep_folders_stop_at_the_depth_limit(tmp_path):
    deep = tmp_path / "sub"
    for i in range(12):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "x.txt").write_text("x")
    taken = take_in(str(tmp_path / "sub"), str(tmp_path / "in"), Limits(depth=8))
    assert taken.kept == [] and "folders deep" in taken.findings[0].message
