"""Which stored fingerprints match a live one: the whole SHA-256, or the 16-digit prefix that
policies saved before fingerprints were whole hold. Checked against the rule as written plainly,
over equal, prefixed, malformed and foreign values."""

from __future__ import annotations

import hashlib
import itertools
import re

from policytui.toolinfo import fingerprint_matches


def _matches_as_written(approved: object, live: object) -> bool:
    """The rule in its plainest form: the live value is a whole digest, and the stored one is
    the same text or a legacy 16-digit prefix of it."""
    if not isinstance(approved, str) or not isinstance(live, str):
        return False
    if re.fullmatch(r"sha256:[0-9a-f]{64}", live) is None:
        return False
    return approved == live or (re.fullmatch(r"sha256:[0-9a-f]{16}", approved) is not None
                                and live.startswith(approved))


def _values() -> list[object]:
    whole = "sha256:" + hashlib.sha256(b"a tool").hexdigest()
    other = "sha256:" + hashlib.sha256(b"another tool").hexdigest()
    near = whole[:20] + ("1" if whole[20] == "0" else "0") + whole[21:23]  # a prefix wrong in one digit
    return [
        whole, other, whole[:23], other[:23], near, whole[:22], whole[:24], whole.upper(), whole[:23].upper(),
        whole + "0", "sha256:" + "g" * 64, "sha256:" + "g" * 16, whole[:23] + "\n", "", "sha256:",
        "unreadable", "duplicate", None, 42, whole.encode(), [whole],
        # the gateway's marks for a tool it could not fingerprint match nothing, not themselves
        "!unreadable", "sha1:" + hashlib.sha1(b"a tool").hexdigest(),
    ]


def test_every_pair_of_values_matches_as_the_rule_says() -> None:
    values = _values()
    matched = 0
    for approved, live in itertools.product(values, repeat=2):
        expected = _matches_as_written(approved, live)
        assert fingerprint_matches(approved, live) is expected, (approved, live)
        matched += expected
    # A whole digest matches itself and its legacy prefix matches it: the pairs above hold
    # both for two digests, so a rule that matched nothing would fail here.
    assert matched == 4
