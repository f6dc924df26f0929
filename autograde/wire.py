"""Plain data between the grader and a student's kernel: JSON, never pickle.

Everything that crosses the trust boundary (the arguments of a call into a
student's function, what it returns, a student's variable) is turned into
JSON text here and back, on both sides: in the trusted process and, as
source code sent at kernel start, in the student's kernel (this module
imports only the standard library and numpy for that reason).

What a value may be:

==========================  =================================================
Python value                 on the wire
==========================  =================================================
None, bool, int, float, str  JSON itself (``nan``/``inf`` as ``{"$f": "nan"}``)
list                         a JSON array
tuple                        ``{"$t": [...]}``
dict                         ``{"$d": [[key, value], ...]}`` (any keys above)
complex                      ``{"$c": [re, im]}``
numpy array of numbers       ``{"$a": dtype, "shape": [...], "b64": bytes}``
numpy scalar                 ``{"$s": dtype, "b64": bytes}``
a function (either side)     ``{"$fn": handle, "name": ..., "params": [...]}``
a dlkit.nn model             ``{"$model": state}`` (:func:`dlkit.nn.to_state`)
anything else                ``{"$o": type name, "repr": first 300 characters}``
==========================  =================================================

Decoding is strict and bounded: a message larger than :data:`MAX_BYTES`,
nested deeper than :data:`MAX_DEPTH`, with more than :data:`MAX_ITEMS`
values, an unknown tag or an array whose bytes do not match its shape
raises :class:`WireError`, never anything else. Functions and models come
back through the hooks the caller passes (``function=``, ``model=``), so
the decoder itself never calls anything.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np

MAX_BYTES = 64 * 2**20      # one message
MAX_DEPTH = 32
MAX_ITEMS = 2_000_000       # values in one message (array elements count once per array)
REPR_CHARS = 300
_DTYPES = "biuf"            # bool, signed, unsigned, float (complex arrays: "c" below)


class WireError(ValueError):
    """A message that is not valid plain data (too big, too deep, malformed)."""


# --------------------------------------------------------------------------- encoding
def encode(value, *, function=None, model=None) -> str:
    """``value`` as JSON text.

    Parameters
    ----------
    function : callable(fn) -> dict, optional
        How to describe a callable (a handle the other side can call back);
        without it a callable is an opaque object.
    model : callable(obj) -> dict or None, optional
        A dlkit.nn model's state, or None when ``obj`` is not one.
    """
    counter = [0]
    return json.dumps(_enc(value, 0, counter, function, model), allow_nan=False,
                      separators=(",", ":"))


def _enc(v, depth, counter, function, model):
    counter[0] += 1
    if depth > MAX_DEPTH or counter[0] > MAX_ITEMS:
        raise WireError("the value is nested too deeply or has too many parts to send")
    t = type(v)
    if v is None or t is bool or t is str:
        return v
    if t is int:
        if abs(v) >= 2**1000:
            raise WireError("an integer too large to send")
        return v
    if t is float:
        return v if math.isfinite(v) else {"$f": repr(v)}
    if t is complex:
        return {"$c": [_enc(v.real, depth, counter, None, None),
                       _enc(v.imag, depth, counter, None, None)]}
    if t is list or t is tuple:
        items = [_enc(x, depth + 1, counter, function, model) for x in v]
        return items if t is list else {"$t": items}
    if t is dict:
        return {"$d": [[_enc(k, depth + 1, counter, function, model),
                        _enc(x, depth + 1, counter, function, model)] for k, x in v.items()]}
    # subclasses (a namedtuple, an OrderedDict, a float subclass) travel as their base type
    if isinstance(v, (list, tuple)):
        return _enc((list if isinstance(v, list) else tuple)(v), depth, counter, function, model)
    if isinstance(v, dict):
        return _enc(dict(v), depth, counter, function, model)
    if isinstance(v, (int, float)) and not isinstance(v, np.generic) and t is not bool:
        return _enc((int if isinstance(v, int) else float)(v), depth, counter, function, model)
    if isinstance(v, np.ndarray) and v.dtype.kind in _DTYPES + "c" and not v.dtype.fields:
        arr = np.ndarray.view(v, np.ndarray)
        if arr.nbytes > MAX_BYTES:
            raise WireError(f"an array of {arr.nbytes / 2**20:.0f} MB is too large to send")
        counter[0] += 1
        return {"$a": arr.dtype.str, "shape": list(arr.shape),   # tobytes: C order, 0-d too
                "b64": base64.b64encode(arr.tobytes(order="C")).decode("ascii")}
    if isinstance(v, np.generic) and v.dtype.kind in _DTYPES + "c":
        return {"$s": v.dtype.str, "b64": base64.b64encode(v.tobytes()).decode("ascii")}
    if model is not None:
        state = model(v)
        if state is not None:
            return {"$model": _enc(state, depth + 1, counter, None, None)}
    if callable(v) and function is not None:
        return function(v)
    try:
        text = repr(v)
    except Exception:
        text = "?"
    return {"$o": _type_name(v), "repr": str(text)[:REPR_CHARS]}


def _type_name(v) -> str:
    try:
        return str(type(v).__name__)[:80]
    except Exception:
        return "object"


# --------------------------------------------------------------------------- decoding
def decode(text, *, function=None, model=None, opaque=None):
    """The value that :func:`encode` turned into ``text``.

    Parameters
    ----------
    function : callable(dict) -> object, optional
        What a ``$fn`` entry becomes (a proxy); without it, a WireError.
    model : callable(state) -> object, optional
        What a ``$model`` entry becomes; without it, its state as a dict.
    opaque : callable(type_name, repr) -> object, optional
        What an unknown object becomes; without it, its repr string.

    Raises
    ------
    WireError
        For anything that is not a well-formed message.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise WireError("the message is too large")
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        raise WireError("the message is not text")
    if len(text) > MAX_BYTES:
        raise WireError(f"the message is too large ({len(text) / 2**20:.0f} MB)")
    try:
        raw = json.loads(text)
    except RecursionError:
        raise WireError("the message is nested too deeply") from None
    except ValueError as exc:
        raise WireError(f"the message is not valid JSON ({exc})") from None
    counter = [0]
    return _dec(raw, 0, counter, function, model, opaque)


def _dec(v, depth, counter, function, model, opaque):
    counter[0] += 1
    if depth > MAX_DEPTH or counter[0] > MAX_ITEMS:
        raise WireError("the message is nested too deeply or has too many parts")
    t = type(v)
    if v is None or t in (bool, str, int, float):
        return v
    if t is list:
        return [_dec(x, depth + 1, counter, function, model, opaque) for x in v]
    if t is not dict or len(v) == 0:
        raise WireError("malformed message")
    if "$t" in v:
        _need_list(v["$t"])
        return tuple(_dec(x, depth + 1, counter, function, model, opaque) for x in v["$t"])
    if "$d" in v:
        _need_list(v["$d"])
        out = {}
        for pair in v["$d"]:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict entry")
            key = _dec(pair[0], depth + 1, counter, function, model, opaque)
            try:
                hash(key)
            except TypeError:
                raise WireError("a dict key that cannot be a key") from None
            out[key] = _dec(pair[1], depth + 1, counter, function, model, opaque)
        return out
    if "$f" in v:
        if v["$f"] not in ("nan", "inf", "-inf"):
            raise WireError("malformed float")
        return float(v["$f"])
    if "$c" in v:
        parts = v["$c"]
        if type(parts) is not list or len(parts) != 2:
            raise WireError("malformed complex number")
        re, im = (_dec(p, depth + 1, counter, None, None, None) for p in parts)
        if type(re) is not float or type(im) is not float:
            raise WireError("malformed complex number")
        return complex(re, im)
    if "$a" in v:
        return _array(v, counter)
    if "$s" in v:
        dtype = _dtype(v["$s"])
        data = _b64(v.get("b64"))
        if len(data) != dtype.itemsize:
            raise WireError("a numpy scalar of the wrong size")
        return np.frombuffer(data, dtype=dtype)[0].copy()
    if "$fn" in v:
        if function is None:
            raise WireError("a function where only data is allowed")
        return function(v)
    if "$model" in v:
        state = _dec(v["$model"], depth + 1, counter, None, None, None)
        return model(state) if model is not None else state
    if "$o" in v:
        name, text = str(v.get("$o"))[:80], str(v.get("repr", ""))[:REPR_CHARS]
        return opaque(name, text) if opaque is not None else text
    raise WireError("a value of an unknown kind")


def _need_list(v):
    if type(v) is not list:
        raise WireError("malformed message")


def _dtype(text) -> np.dtype:
    if type(text) is not str or len(text) > 8:
        raise WireError("malformed dtype")
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise WireError(f"unknown dtype {text!r}") from None
    if dtype.kind not in _DTYPES + "c" or dtype.fields or dtype.subdtype:
        raise WireError(f"dtype {text!r} is not a number type")
    return dtype


def _b64(text) -> bytes:
    if type(text) is not str:
        raise WireError("malformed array data")
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise WireError("malformed array data") from None


def _array(v, counter) -> np.ndarray:
    dtype = _dtype(v["$a"])
    shape = v.get("shape")
    if type(shape) is not list or len(shape) > 32 or \
            any(type(n) is not int or n < 0 for n in shape):
        raise WireError("malformed array shape")
    size = math.prod(shape)
    data = _b64(v.get("b64"))
    if size * dtype.itemsize != len(data):
        raise WireError("an array whose data does not match its shape")
    counter[0] += 1
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
