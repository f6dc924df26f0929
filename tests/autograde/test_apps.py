"""The ``autograde`` command line: what a mistyped or missing command says."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_tool

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("release", "demo", "grade", "feedback", "export", "report")


def test_an_unknown_command_is_named_with_the_real_ones_and_fails():
    for word in ("bogus", "grde"):
        proc = run_tool(ROOT, "autograde", word, timeout=120)
        assert proc.returncode == 2, proc
        assert f"unknown command {word!r}" in proc.stderr
        assert all(c in proc.stderr for c in COMMANDS), proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout


def test_no_command_prints_the_help_and_the_commands_and_fails():
    proc = run_tool(ROOT, "autograde", timeout=120)
    assert proc.returncode == 1
    assert "Subcommands" in proc.stdout and all(c in proc.stdout for c in COMMANDS)
