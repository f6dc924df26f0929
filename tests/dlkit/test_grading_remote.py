"""dlkit.grading.remote: the checks on a function that runs elsewhere (the grader's contract).

A stand-in proxy runs the real function here and answers with a record, as
autograde.bridge.RemoteFunction answers from a student's kernel; the checks
must treat it as a local function: same passes, same messages.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import grading
from dlkit.grading import Case, CheckFailed, remote


class Proxy:
    """What autograde hands a check: the function is 'over there'; only records come back."""

    def __init__(self, fn, *, fake=None):
        self.fn, self.fake, self.calls = fn, fake, []
        self.__name__ = fn.__name__
        self.__grading_params__ = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
        self.__grading_source__ = "def f(x):\n    return np.where(x > 0, x, np.exp(x))\n"

    def __call__(self, *args, **kwargs):   # a direct call: not what checks use
        raise AssertionError("checks must call __grading_call__")

    def __grading_call__(self, args, kwargs, uses, time_limit):
        self.calls.append((args, kwargs, uses, time_limit))
        if self.fake is not None:
            return self.fake
        return {"value": self.fn(*args, **kwargs), "error": None, "timed_out": False,
                "warnings": [], "stdout": "", "stderr": ""}


def double(x):
    return 2 * np.asarray(x, dtype=float)


def test_a_proxy_is_recognised_and_a_function_is_not():
    assert remote.is_remote(Proxy(double)) and not remote.is_remote(double)
    assert remote.parameters(Proxy(double)) == ["x"] and remote.parameters(double) is None


def test_a_correct_remote_function_passes_with_uses_and_the_limit_passed_on(capsys):
    proxy = Proxy(double)
    grading.check_function(proxy, double, grading.elementwise_cases(seed=3),
                           uses={"helper": abs}, time_limit=3.0)
    assert "all 10 checks passed" in capsys.readouterr().out
    assert len(proxy.calls) == 10 and proxy.calls[0][2] == {"helper": abs}
    assert proxy.calls[0][3] == 3.0


@pytest.mark.parametrize("record, words", [
    ({"value": np.array([1.0]), "error": None}, ["returns a wrong result", "x = 0.5"]),
    ({"error": NotImplementedError("")}, ["not implemented yet"]),
    ({"error": type("ZeroDivisionError", (ZeroDivisionError,), {})("division by zero")},
     ["raised ZeroDivisionError: division by zero"]),
    ({"timed_out": True}, ["did not finish within the time limit"]),
    ({"value": 1.0, "warnings": [("RuntimeWarning", "overflow encountered in exp")]},
     ["printed a warning: RuntimeWarning: overflow", "np.where computes BOTH branches"]),
    ({"value": 1.0, "stderr": "oops\n"}, ["wrote to stderr: oops"]),
])
def test_a_failing_remote_record_reads_as_a_local_failure_would(record, words):
    full = {"value": None, "error": None, "timed_out": False, "warnings": [], "stdout": "",
            "stderr": "", **record}
    with pytest.raises(CheckFailed) as info:
        grading.check_function(Proxy(double, fake=full), double, [Case((0.5,), {}, "x")])
    text = str(info.value)
    for w in words:
        assert w in text, text


def test_the_students_line_comes_from_the_record():
    exc = ValueError("bad shape")
    exc.autograde_where = "line 3 of double: return x @ y"
    full = {"value": None, "error": exc, "timed_out": False, "warnings": [], "stdout": "",
            "stderr": ""}
    with pytest.raises(CheckFailed, match="at line 3 of double: return x @ y"):
        grading.check_function(Proxy(double, fake=full), double, [Case((0.5,), {})])


def test_uses_on_a_test_cells_own_wrapper_go_through_the_namespace_hook():
    entered = []

    class Names(dict):
        def __grading_substitute__(self, uses):
            import contextlib

            @contextlib.contextmanager
            def cm():
                entered.append(dict(uses))
                yield
            return cm()

    ns = Names(np=np)
    exec("def wrapper(x):\n    return 2 * np.asarray(x, dtype=float)\n", ns)
    grading.check_function(ns["wrapper"], double, [Case((1.5,), {})], uses={"sigmoid": abs},
                           quiet=True)
    assert entered == [{"sigmoid": abs}]


def test_forbid_is_not_armed_in_the_graders_trusted_namespace():
    """Only the course's code runs there; a profiler on every call would only cost time.
    A local function elsewhere is still watched."""
    import sys

    from dlkit.grading import guards

    class Names(dict):
        def __grading_substitute__(self, uses):
            import contextlib
            return contextlib.nullcontext()

    seen_profile = []
    ns = Names(np=np, sys=sys, seen=seen_profile)
    exec("def wrapper(x):\n    seen.append(sys.getprofile())\n    return 2 * float(x)\n", ns)
    assert grading.remote.trusted_namespace(ns["wrapper"])
    assert not grading.remote.trusted_namespace(double)
    outcome = guards._run_guarded(ns["wrapper"], Case((1.5,), {}), [double], None)
    assert outcome.value == 3.0 and seen_profile == [None]

    def local(x):
        seen_profile.append(sys.getprofile())
        return double(x)

    outcome = guards._run_guarded(local, Case((1.5,), {}), [double], None)
    assert seen_profile[-1] is not None and outcome.forbidden   # watched, and caught
