"""JSON encoders built once, for what the gateway encodes on every call.

`json.JSONEncoder.encode` builds its C encoder anew each time it is called, which costs more
than encoding a small message; the gateway encodes four per call (the request it forwards, the
canonical arguments, the counter's name, the audit line). `encoder` builds the C encoder once.

It does not look for cycles: what it encodes is parsed JSON or the gateway's own records, and a
cycle would end in RecursionError, never a hang.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _std
from typing import Any


def encoder(
    *,
    ensure_ascii: bool = True,
    separators: tuple[str, str] = (", ", ": "),
    sort_keys: bool = False,
    allow_nan: bool = True,
    default: Callable[[Any], Any] | None = None,
) -> Callable[[Any], str]:
    """`json.JSONEncoder(...).encode` with these settings, made once (or that itself where
    the C encoder is missing)."""
    plain = json.JSONEncoder(
        ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys, allow_nan=allow_nan,
        default=default, check_circular=False,
    )
    string = _std.encode_basestring_ascii if ensure_ascii else _std.encode_basestring
    make = getattr(_std, "c_make_encoder", None)
    if make is None:
        return plain.encode
    item_separator, key_separator = separators
    try:
        encode_c = make(None, plain.default, string, None, key_separator, item_separator, sort_keys, False, allow_nan)
    except TypeError:  # another Python's signature
        return plain.encode
    join = "".join

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return string(value)  # type: ignore[no-any-return]
        return join(encode_c(value, 0))

    return encode
