"""The exchange's inbound folder read without trusting it (issue 16, grading on submit):
links, FIFOs and odd names skipped, the newest submission per student kept, the received
time taken from the folder's ctime (never from the student's timestamp), a ledger that
survives a restart."""

from __future__ import annotations

import json
import os
import time

import pytest

from autograde.inbox import (
    Arrival,
    Ledger,
    close_to_others,
    collect,
    foreign_files,
    newest,
    pending,
    scan,
)

STAMP = "2026-12-03 06:45:37.208481 UTC"


def _submission(inbound, student, assignment, stamp=STAMP, suffix="abc123", notebook="{}"):
    folder = inbound / f"{student}+{assignment}+{stamp}+{suffix}"
    folder.mkdir(parents=True)
    (folder / "neurons.ipynb").write_text(notebook)
    (folder / "timestamp.txt").write_text(stamp)
    return folder


def test_scan_keeps_real_folders_with_submission_names_only(tmp_path):
    inbound = tmp_path / "inbound"
    _submission(inbound, "ada", "a1-neurons")
    _submission(inbound, "ben", "a1-neurons", suffix="")
    _submission(inbound, "ada", "a9-unknown")
    (inbound / "not-a-submission").mkdir()
    (inbound / "ada+a1-neurons+2026-12-01 10:00:00 UTC+link").symlink_to(tmp_path)
    os.mkfifo(inbound / "ben+a1-neurons+2026-12-01 10:00:00 UTC+fifo")
    (inbound / "file+a1-neurons+x+y").write_text("x")
    arrivals, skipped = scan(inbound, {"a1-neurons"})
    assert sorted((a.student, a.assignment) for a in arrivals) == [("ada", "a1-neurons"),
                                                                   ("ben", "a1-neurons")]
    text = "\n".join(skipped)
    assert "link, not a submission" in text and text.count("not a folder") == 2
    assert "'a9-unknown' is not an assignment of the course" in text
    assert "not-a-submission: not named student+assignment+timestamp" in text
    assert scan(tmp_path / "nowhere")[0] == []


def test_the_newest_arrival_counts_and_earlier_new_ones_are_superseded(tmp_path):
    inbound = tmp_path / "inbound"
    names = []
    for i in range(3):
        names.append(_submission(inbound, "ada", "a1-neurons",
                                 stamp=f"2026-12-03 06:4{i}:00.000000 UTC").name)
        time.sleep(0.01)
    _submission(inbound, "ben", "a1-neurons")
    arrivals, _ = scan(inbound)
    latest = newest(arrivals)
    assert latest[("ada", "a1-neurons")].name == names[-1]
    ledger = Ledger(tmp_path / "served.json")
    todo, superseded = pending(arrivals, ledger)
    assert {a.name for a in todo} == {names[-1], latest[("ben", "a1-neurons")].name}
    assert {a.name for a in superseded} == set(names[:2])
    for a in todo:
        ledger.record(a, "graded")
    assert pending(arrivals, ledger) == ([], [a for a in arrivals if a.name in names[:2]]), \
        "an older submission is never graded after a later one"


def test_a_backdated_name_or_timestamp_does_not_move_the_received_time(tmp_path):
    """The folder name and timestamp.txt are the student's; the ctime is the kernel's."""
    inbound, course = tmp_path / "inbound", tmp_path / "course"
    before = time.time()
    folder = _submission(inbound, "ada", "a1-neurons", stamp="2020-01-01 00:00:00.000000 UTC")
    os.utime(folder, (0, 0))   # a student can set mtime and atime, not ctime
    (arrival,), _ = scan(inbound)
    assert arrival.received >= before - 1
    assert arrival.received_at.startswith(time.strftime("%Y-%m-%d", time.gmtime()))
    (course / "submitted" / "ada" / "a1-neurons").mkdir(parents=True)
    (course / "submitted" / "ada" / "a1-neurons" / "old.ipynb").write_text("earlier")
    (folder / "secret").symlink_to("/etc/passwd")
    result = collect(arrival, inbound, course)
    got = course / "submitted" / "ada" / "a1-neurons"
    assert sorted(p.name for p in got.iterdir()) == ["neurons.ipynb", "timestamp.txt"]
    assert (got / "timestamp.txt").read_text() == arrival.received_at != STAMP
    assert any("secret" in f.message for f in result.findings)
    assert not list(course.glob(".collect-*")), "the staging folder is removed"


def test_the_ledger_survives_a_restart_and_says_when_it_is_damaged(tmp_path):
    path = tmp_path / ".autograde" / "served.json"
    a = Arrival(f"ada+a1-neurons+{STAMP}+x", "ada", "a1-neurons", 1_000_000.0)
    b = Arrival(f"ada+a1-neurons+{STAMP}+y", "ada", "a1-neurons", 1_000_100.0)
    ledger = Ledger(path)
    ledger.record(a, "superseded", "a later one came")
    ledger.record(b, "graded")
    again = Ledger(path)
    assert a.name in again and b.name in again
    assert [e.outcome for e in again.history("ada", "a1-neurons")] == ["superseded", "graded"]
    assert not list(path.parent.glob(".ledger-*")), "written through a temporary file"
    assert json.loads(path.read_text())["entries"][b.name]["outcome"] == "graded"
    path.write_text("{ cut short")
    with pytest.raises(ValueError, match="is damaged"):
        Ledger(path)


# -- one Unix account per student (a hub: `autograde serve --check-owner`) --------------

def test_scan_records_who_made_each_folder(tmp_path):
    folder = _submission(tmp_path / "inbound", "ada", "a1-neurons")
    (arrival,), _ = scan(tmp_path / "inbound", {"a1-neurons"})
    assert arrival.owner == os.lstat(folder).st_uid == os.getuid()


def test_files_of_another_account_in_a_submission_are_found(tmp_path):
    if os.geteuid() != 0:   # CI runs as root; elsewhere say why not
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail("giving a file to another uid needs root, and CI runs as root")
        pytest.skip("giving a file to another uid needs root")
    folder = _submission(tmp_path / "inbound", "ada", "a1-neurons")
    assert foreign_files(folder, os.getuid()) == []
    (folder / "sub").mkdir()
    (folder / "sub" / "theirs.ipynb").write_text("{}")
    os.chown(folder / "sub" / "theirs.ipynb", 4242, 4242)
    os.symlink("/etc/passwd", folder / "link")
    os.lchown(folder / "link", 4243, 4243)
    assert sorted(foreign_files(folder, os.getuid())) == ["link", "sub/theirs.ipynb"]
    assert sorted(foreign_files(folder, 4242)) == ["link", "neurons.ipynb", "sub",
                                                   "timestamp.txt"]


def test_a_submission_is_closed_to_others_without_following_a_link(tmp_path):
    folder = _submission(tmp_path / "inbound", "ada", "a1-neurons")
    os.chmod(folder, 0o755)
    close_to_others(folder)
    assert os.stat(folder).st_mode & 0o777 == 0o700
    bystander = tmp_path / "bystander"
    bystander.mkdir(mode=0o755)
    os.chmod(bystander, 0o755)
    swapped = tmp_path / "inbound" / "ben+a1-neurons+x+y"
    swapped.symlink_to(bystander)    # put in place of a folder after the scan
    with pytest.raises(OSError):
        close_to_others(swapped)
    assert os.stat(bystander).st_mode & 0o777 == 0o755
