"""autograde.bridge and autograde.agent against a real kernel: data in, data out.

A plain kernel (no sandbox: these are about the protocol) with the agent
installed as a worker installs it; the student's side is set up with
ordinary execute requests, as the notebook's cells would.
"""

from __future__ import annotations

import textwrap
import time

import numpy as np
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from autograde.bridge import (
    Bridge,
    BridgeError,
    CallTimeout,
    KernelDied,
    KernelUnresponsive,
    Opaque,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bridge")]


@pytest.fixture
def bridge():
    km = AsyncKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"])
    b = Bridge(km, call_limit=20)
    b.grace = 2.0
    b.install()
    yield b
    b.close()
    run_sync(km.shutdown_kernel)(now=True)


def student(b: Bridge, code: str) -> None:
    """Run code in the kernel as a student's cell would."""
    reply = b._execute(textwrap.dedent(code), time.monotonic() + 30)
    assert reply["status"] == "ok", reply


def test_names_come_back_as_data_functions_as_proxies_objects_as_their_repr(bridge):
    student(bridge, """
        import numpy as np
        answers = ["ML", "DL"]
        W = np.arange(6.0).reshape(2, 3)
        pair = (1, {"a": np.float32(2.5)})
        def f(x, y=1):
            return x + y
        class Thing:
            def __repr__(self):
                return "<a thing>"
        thing = Thing()
    """)
    found = bridge.lookup(["answers", "W", "pair", "f", "thing", "missing"])
    assert found["answers"] == ["ML", "DL"] and np.array_equal(found["W"],
                                                               np.arange(6.0).reshape(2, 3))
    assert found["pair"] == (1, {"a": np.float32(2.5)})
    assert found["f"](2) == 3 and found["f"].__grading_params__ == ["x", "y"]
    assert "return x + y" in found["f"].__grading_source__
    assert isinstance(found["thing"], Opaque) and repr(found["thing"]) == "<a thing>"
    assert "missing" not in found


def test_a_guarded_call_records_what_happened_and_callbacks_run_here(bridge):
    student(bridge, """
        import warnings
        def noisy(x, activation):
            print("computing")
            warnings.warn("careful", RuntimeWarning)
            return activation(x) * 2
        def broken(x):
            return 1 / 0
    """)
    found = bridge.lookup(["noisy", "broken"])
    seen = []

    def activation(z):   # a trusted function: called back, here
        seen.append(np.asarray(z).tolist())
        return np.asarray(z) + 1.0

    record = found["noisy"].__grading_call__((np.array([1.0, 2.0]), activation), {}, None, 5)
    assert np.array_equal(record["value"], [4.0, 6.0]) and seen == [[1.0, 2.0]]
    assert record["stdout"] == "computing\n" and record["warnings"] == [("RuntimeWarning",
                                                                       "careful")]
    record = found["broken"].__grading_call__((1.0,), {}, None, 5)
    assert type(record["error"]) is ZeroDivisionError
    assert "line 7 of broken: return 1 / 0" in record["error"].autograde_where
    with pytest.raises(ZeroDivisionError):
        found["broken"](1.0)


def test_a_function_passed_to_a_callback_is_called_back_in_turn(bridge):
    """A student's derivative handed to a trusted function (a4's activation_backward):
    the trusted side calls it while the kernel waits for the callback's answer."""
    student(bridge, """
        def derivative(z):
            return 3 * z
        def train(step, z):
            return step(z, derivative) + 1
    """)
    train = bridge.lookup(["train"])["train"]

    def step(z, d):   # trusted: calls the student's derivative, nested
        return d(z) * 10 + d(1.0)

    assert train(step, 2.0) == 2.0 * 3 * 10 + 3 + 1


def test_uses_are_bound_while_the_call_runs_and_restored_after(bridge):
    student(bridge, """
        def sigmoid(x):
            return "mine"
        def derivative(x):
            s = sigmoid(x)
            return s
    """)
    found = bridge.lookup(["derivative"])
    record = found["derivative"].__grading_call__((0.0,), {}, {"sigmoid": lambda x: 0.5}, 5)
    assert record["value"] == 0.5
    assert found["derivative"](0.0) == "mine"


def test_an_overrun_is_interrupted_and_the_kernel_goes_on(bridge):
    student(bridge, """
        import time
        def slow(x):
            time.sleep(60)
        def fast(x):
            return x
    """)
    found = bridge.lookup(["slow", "fast"])
    start = time.monotonic()
    assert found["slow"].__grading_call__((1,), {}, None, 1)["timed_out"] is True
    assert time.monotonic() - start < 8
    with pytest.raises(CallTimeout):
        bridge.call_limit = 1
        found["slow"](1)
    assert found["fast"](7) == 7


def test_a_kernel_that_ignores_every_stop_is_given_up_on(bridge):
    student(bridge, """
        import signal
        def stubborn(x):
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            while True:
                pass
        def fast(x):
            return x
    """)
    found = bridge.lookup(["stubborn", "fast"])
    with pytest.raises(KernelUnresponsive):
        found["stubborn"].__grading_call__((1,), {}, None, 1)
    start = time.monotonic()
    with pytest.raises(KernelUnresponsive):   # at once, from now on
        found["fast"](1)
    assert time.monotonic() - start < 1


def test_a_kernel_that_dies_in_a_call_is_reported_dead(bridge):
    student(bridge, """
        import os
        def die(x):
            os._exit(3)
    """)
    with pytest.raises(KernelDied):
        bridge.lookup(["die"])["die"](1)


def test_pushed_data_is_defined_in_the_kernel_and_the_notebook_runs_on(bridge):
    bridge.push({"X1": np.array([[1.0, 2.0]]), "label": "pushed"})
    bridge.end()
    student(bridge, "assert X1.shape == (1, 2) and label == 'pushed'")
    assert bridge.lookup(["label"]) == {"label": "pushed"}


def test_a_test_cells_names_reach_the_kernel_only_when_the_student_defined_them(bridge):
    """A hidden test's own names (its inputs, its helpers) are never asked of the
    student's kernel, where a later cell could print them into the feedback; the names
    the student defined are, and a name a call defines meanwhile is found too."""
    import nbformat

    from autograde.trusted import TrustedCells

    student(bridge, """
        import builtins
        asked = []
        _real_lookup = builtins.__autograde__._op_lookup
        def _spy(request):
            asked.extend(request["names"])
            return _real_lookup(request)
        builtins.__autograde__._op_lookup = _spy
        def neuron(x):
            global made_by_a_call
            made_by_a_call = 7
            return 2 * x
    """)
    cells = TrustedCells(bridge)
    cell = nbformat.v4.new_code_cell(
        "hidden_inputs_xyz = [1.0, 2.0]\n"
        "assert [neuron(v) for v in hidden_inputs_xyz] == [2.0, 4.0]\n"
        "assert made_by_a_call == 7\n"
        "assert globals().get('secret_helper_name_xyz') is None\n")
    outputs = cells.run(cell)
    assert not [o for o in outputs if o.get("output_type") == "error"], outputs
    bridge.end()
    asked = bridge.lookup(["asked"])["asked"]
    assert "neuron" in asked and "made_by_a_call" in asked, asked
    assert not {"hidden_inputs_xyz", "secret_helper_name_xyz"} & set(asked), asked


# ------------------------------------------------------------- the line, attacked
# The student's code can reach the kernel's end of the line (builtins.__autograde__.line):
# whatever it writes there, or however it stops, the trusted side says so in one line
# and never hangs, never reads more than a frame, and never takes a frame it did not
# expect for the answer to a later request.
LINE_ATTACKS = {
    "a header announcing a terabyte": """
        import builtins, struct
        def f(x):
            builtins.__autograde__.line.sendall(struct.pack("!Q", 2**40))
            import time; time.sleep(30)
    """,
    "a frame of bytes that are not a message": """
        import builtins, struct
        def f(x):
            builtins.__autograde__.line.sendall(struct.pack("!Q", 9) + b"\\xff\\xfe garbage")
            import time; time.sleep(30)
    """,
    "the line closed in the call": """
        import builtins
        def f(x):
            builtins.__autograde__.line.close()
            return x
    """,
    "the line shut for writing, then a normal return": """
        import builtins, socket
        def f(x):
            builtins.__autograde__.line.shutdown(socket.SHUT_WR)
            return x
    """,
    "a forged reply with full marks written before returning": """
        import builtins, struct
        def f(x):
            text = 'R{"value": 1000}'.encode()
            builtins.__autograde__.line.sendall(struct.pack("!Q", len(text)) + text)
            import time; time.sleep(30)
    """,
}


@pytest.mark.parametrize("attack", list(LINE_ATTACKS))
def test_what_the_student_does_to_the_line_ends_the_call_with_a_reason(bridge, attack):
    student(bridge, LINE_ATTACKS[attack])
    f = bridge.lookup(["f"])["f"]
    start = time.monotonic()
    with pytest.raises(BridgeError) as failed:   # KernelUnresponsive and KernelDied are too
        f.__grading_call__((1,), {}, None, 5)
    why = str(failed.value)
    assert why.startswith("your kernel") and "\n" not in why, why
    assert time.monotonic() - start < 15
    # the line is out of step from now on: every later request fails at once, for the
    # same reason (a forged or stale answer is never taken for the next request's)
    start = time.monotonic()
    with pytest.raises(BridgeError):
        bridge.lookup(["f"])
    assert time.monotonic() - start < 5
