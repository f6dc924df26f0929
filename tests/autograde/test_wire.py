"""autograde.wire: plain data both ways, and nothing else (property tests and hostile input)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograde import wire

DTYPES = st.sampled_from(["f8", "f4", "i8", "i4", "u1", "b1", "c16"])
ARRAYS = DTYPES.flatmap(lambda d: hnp.arrays(np.dtype(d), hnp.array_shapes(min_dims=0,
                                                                           max_dims=3,
                                                                           min_side=0,
                                                                           max_side=4)))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**62, 2**62),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    st.complex_numbers(allow_nan=False))
VALUES = st.recursive(st.one_of(SCALARS, ARRAYS),
                      lambda kids: st.one_of(st.lists(kids, max_size=4),
                                             st.tuples(kids, kids),
                                             st.dictionaries(st.text(max_size=5), kids,
                                                             max_size=4)),
                      max_leaves=12)


def same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_every_value_comes_back_as_it_went(value):
    assert same(wire.decode(wire.encode(value)), value)


def test_zero_dimensional_arrays_and_numpy_scalars_keep_their_shape_and_type():
    for value in (np.array(0.5), np.float64(0.25), np.int32(7), np.bool_(True)):
        back = wire.decode(wire.encode(value))
        assert type(back) is type(value) and np.shape(back) == np.shape(value)
    back = wire.decode(wire.encode(np.arange(6.0).reshape(2, 3).T))   # not C-contiguous
    assert np.array_equal(back, np.arange(6.0).reshape(2, 3).T)


def test_subclasses_travel_as_their_base_type_and_objects_as_their_repr():
    from collections import OrderedDict, namedtuple

    Pair = namedtuple("Pair", "W b")

    class Weird(float):
        pass

    back = wire.decode(wire.encode([Pair(1, 2), OrderedDict(a=1), Weird(0.5),
                                    np.ma.masked_array([1.0, 2.0])]))
    assert back[:3] == [(1, 2), {"a": 1}, 0.5] and type(back[2]) is float
    assert type(back[3]) is np.ndarray

    class Sneaky:
        def __repr__(self):
            return "x" * 10_000

    text = wire.decode(wire.encode(Sneaky()))
    assert text == "x" * wire.REPR_CHARS


def test_functions_need_a_hook_on_both_sides():
    with pytest.raises(wire.WireError):
        wire.decode('{"$fn": "h0", "name": "f"}')
    text = wire.encode(len, function=lambda fn: {"$fn": "h1", "name": fn.__name__})
    assert wire.decode(text, function=lambda d: ("proxy", d["name"])) == ("proxy", "len")


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,                       # nested past the parser
    json.dumps({"$a": "f8", "shape": [2], "b64": "AAAA"}),        # bytes do not fit the shape
    json.dumps({"$a": "O", "shape": [1], "b64": ""}),              # object arrays: no
    json.dumps({"$a": "f8", "shape": [10**12], "b64": ""}),        # a huge shape
    json.dumps({"$s": "f8", "b64": "AA=="}),
    json.dumps({"$d": [[[1], 2]]}),                                # an unhashable key
    json.dumps({"$pickle": "gASVAAAA"}),                           # an unknown tag
    json.dumps({"$f": "1e999"}),
    "1" * 5000,                                                    # an int past Python's limit
    "not json",
    "[" * 40 + "1" + "]" * 40,                                  # past MAX_DEPTH
])
def test_malformed_or_hostile_messages_raise_wire_error_only(text):
    with pytest.raises(wire.WireError):
        wire.decode(text)


def test_a_message_past_the_size_limit_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(wire, "MAX_BYTES", 1000)
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode("[" + "1," * 600 + "1]")
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode(np.zeros(1000))
