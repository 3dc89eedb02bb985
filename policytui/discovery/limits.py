"""How much of a server's output one message may take.

A server is not trusted with the memory of the process that reads it: a buggy or hostile one
can print a line of gigabytes. Tool results may be whole files, so the bound is well above what
any client request needs (the gateway's own limit on those is `wire.MAX_MESSAGE_BYTES`, 8 MiB)
and well below what a workstation or a small container can spare.
"""

from __future__ import annotations

MEBIBYTE = 1 << 20
# One JSON-RPC message from a server: one line of the standard output of a server started as
# a command, one body of an HTTP answer, one event of an event stream.
MAX_SERVER_MESSAGE_BYTES = 64 * MEBIBYTE


def described(size: int) -> str:
    """A size in the words the limit is documented in ("64 MiB")."""
    return f"{size // MEBIBYTE} MiB" if size % MEBIBYTE == 0 else f"{size} bytes"


def refused_sentence(who: str, words: str, stage: str, then: str) -> str:
    """The one sentence for a connection given up on at a message over the limit:
    "Server 'x' sent a message larger than 64 MiB (the limit) while answering tools/list; it
    was stopped." `words` say what was sent, `then` what became of the server."""
    return f"{who} {words} while answering {stage}; {then}."


def too_large_words(limit: int = MAX_SERVER_MESSAGE_BYTES) -> str:
    """What a message over the limit is called in every sentence about it."""
    return f"sent a message larger than {described(limit)} (the limit)"


# The encodings of an HTTP body that are decoded (and counted decoded); a body in any other is
# refused unread, as its size unpacked could not be bounded.
READ_ENCODINGS = ("gzip", "deflate")
UNDECODABLE_WORDS = f"sent a compressed message that could not be decoded (only {' and '.join(READ_ENCODINGS)} are read)"


def broken_off_reason(words: str, then: str, limit: int = MAX_SERVER_MESSAGE_BYTES) -> str:
    """Why a server is taken for dead after a message refused where it cannot be tied to a
    request, as the detail of an unavailable server: "it sent a message larger than 64 MiB
    and was stopped". `words` say what was sent, `then` what became of the server."""
    said = f"sent a message larger than {described(limit)}" if words == too_large_words(limit) else words
    return f"it {said} and {then}"


def refusal_in(text: str, limit: int = MAX_SERVER_MESSAGE_BYTES) -> str:
    """The words of a refused HTTP body ("sent a message larger than 64 MiB (the limit)")
    found in an error message, or "". The refusal reaches the request it answered as an error
    of the MCP SDK's, with these words in its message."""
    for words in (too_large_words(limit), UNDECODABLE_WORDS):
        if f"the server {words}" in text:
            return words
    return ""
