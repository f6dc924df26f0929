"""autograde.bounded: a step that overruns, overflows or crashes costs its child, not us."""

from __future__ import annotations

import ctypes
import time

import pytest

from autograde import bounded


def _deep(n):
    return 0 if n == 0 else 1 + _deep(n - 1)


def _spin():
    while True:
        pass


def _hog():
    return len(bytearray(8 * 2**30))


def _crash():
    ctypes.string_at(0)   # a segfault in C


def _json_bomb():
    import json

    return json.loads("[" * 100_000 + "]" * 100_000)


def test_a_result_comes_back_as_data():
    assert bounded.run(sorted, [3, 1, 2]) == [1, 2, 3]
    assert bounded.run(len, "abc") == 3


def test_a_deep_recursion_finishes_with_a_high_limit_and_fails_cleanly_past_it():
    assert bounded.run(_deep, 50_000, recursion=200_000) == 50_000
    with pytest.raises(bounded.Exceeded, match="too deeply nested"):
        bounded.run(_deep, 50_000, recursion=1_000)
    with pytest.raises(bounded.Exceeded, match="too deeply nested"):
        bounded.run(_json_bomb, recursion=1_000)


def test_a_loop_is_killed_at_its_deadline():
    start = time.monotonic()
    with pytest.raises(bounded.Exceeded, match="did not finish within 1 s"):
        bounded.run(_spin, seconds=1)
    assert time.monotonic() - start < 10


def test_memory_past_the_limit_is_a_memory_error_in_the_child():
    with pytest.raises(bounded.Exceeded, match="more than 256 MiB"):
        bounded.run(_hog, memory_mb=256)


def test_a_crash_is_reported_and_we_go_on():
    with pytest.raises(bounded.Exceeded, match="crashed|signal"):
        bounded.run(_crash)
    assert bounded.run(len, [1]) == 1


def test_an_exception_says_its_type():
    with pytest.raises(bounded.Exceeded, match="ZeroDivisionError"):
        bounded.run(divmod, 1, 0)
