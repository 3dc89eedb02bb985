"""HTTP/1.1 requests that a proxy in front of the gateway may frame otherwise.

The gateway's HTTP server reads requests with h11, which is lenient where RFC 9112 lets a
recipient be: it unfolds a header line continued on the next (obs-fold), takes a bare LF for a
line end, takes `Content_Length` for a header of another name, reads a Content-Length written `007`, given twice alike or as a list `7, 7`, and reads
trailer fields after a chunked body, reads and drops a body sent with a GET or DELETE, takes anything after a `;` on a chunk's size line for a
chunk extension (bare CR, NUL, an unclosed quote), sizes of up to 20 hex digits with spaces
after them, and a chunked body in an HTTP/1.0 request (which has no Transfer-Encoding). A proxy
or router in front may read each of these otherwise: the folded line as a header of its own
(`Transfer-Encoding: chunked`), the LF as part of a line, the length as octal or as no length,
it may never see a trailer, or merge it into the headers, end a chunk's line inside an
extension or read its quoted text across lines, read `Content_Length` (or another framing or
routing header spelled with underscores) as the header itself, as CGI-style readers do, cut a size at 64 bits (`10000000000000005` is
5) or at 16 digits, read an HTTP/1.0 body as having no length, and forward a GET or DELETE
without its body, or read that body as a request of its own. Where the two disagree on where a body ends, the rest of the connection is
a request of its own to one of them (request smuggling); where they disagree on a header, the
router acts on another request than the gateway decides.

So such a request is refused (400, the connection closed) before anything is decided or sent:
`head_problem` reads the raw head as h11 is about to parse it, and the listener
(`policytui.gateway.http.head_timeout_protocol`) puts what it found in the request's ASGI
`state` (under HEAD_KEY, and BODY_KEY once a chunk's line or the body's trailer fields have
been read), where
the relay (`policytui.gateway.http_relay`) reads it once the token is checked, refuses the
request and audits it.
"""

from __future__ import annotations

import re

# The keys of a request's `scope["state"]` saying why its head, or its chunked body, is
# ambiguous (one sentence each). Two keys: a request's chunks and trailer fields may be read
# before its relay begins (the whole request in one read), and the relay reads the body before
# it tells.
HEAD_KEY = "policytui.ambiguous-head"
BODY_KEY = "policytui.ambiguous-body"

BARE_LF = ("Bad Request: a line of the request head ends in a bare LF, which a proxy in front may not "
           "take for the end of a line (end each line with CRLF)")
FOLDED = ("Bad Request: a header line is folded onto the next (obs-fold), which a proxy in front may read "
          "as a header of its own")
LENGTH_NOT_PLAIN = ("Bad Request: the Content-Length is not a plain number (leading zeros, a list), which a "
                    "proxy in front may read as another length")
LENGTH_TWICE = "Bad Request: the body's length is given more than once"
TRAILERS = ("Bad Request: the chunked body ends with trailer fields, which a proxy in front may not have "
            "read (send every header before the body)")
CHUNK_EXTENSION = ("Bad Request: a chunk of the body carries a chunk extension (after ';'), which a proxy in "
                   "front may read otherwise (send chunks without extensions)")
CHUNK_SIZE_NOT_PLAIN = ("Bad Request: a chunk size is not 1 to 16 hex digits alone (more digits, or spaces after "
                        "them), which a proxy in front may read as another size")
BODY_NOT_POST = ("Bad Request: a request other than POST carries a body, which MCP never sends and a proxy "
                 "in front may read as a request of its own (send GET and DELETE without one)")
CHUNKED_HTTP_1_0 = ("Bad Request: an HTTP/1.0 request carries a Transfer-Encoding, which HTTP/1.0 does not have, "
                    "so a proxy in front may read its body otherwise (send HTTP/1.1)")
# Formatted with the header's name as the spec spells it, never the bytes sent.
UNDERSCORED = ("Bad Request: a header is named {} with underscores, which a proxy in front may read as that "
               "header (spell header names with dashes)")

# The headers with a dash that frame a request, say how its body reads or which session and
# protocol it belongs to, by their names in lower case: CGI-style readers (WSGI, PHP, nginx
# with underscores_in_headers on) read `Content_Length` as Content-Length, h11 and the gateway
# as a header of another name, so a proxy in front and the gateway would frame or route the
# request by two values. (Host and Authorization have no dash, so no spelling with
# underscores is either; the Mcp-Method, Mcp-Name and Mcp-Param-* headers are compared with the
# body by the relay, and refused there as a header mismatch.)
ROUTING_HEADERS = {
    b"content-length": "Content-Length",
    b"transfer-encoding": "Transfer-Encoding",
    b"content-type": "Content-Type",
    b"content-encoding": "Content-Encoding",
    b"mcp-session-id": "Mcp-Session-Id",
    b"mcp-protocol-version": "MCP-Protocol-Version",
}

# Where h11 ends a request head (`h11._receivebuffer.blank_line_regex`): the first blank line,
# CRLF or bare LF.
_HEAD_END = re.compile(rb"\n\r?\n")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_PLAIN_LENGTH = re.compile(rb"0|[1-9][0-9]*")
# 16 hex digits hold any size below 2**64: a longer size is one a proxy may cut.
_PLAIN_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
# A size line longer than this without its CRLF holds an extension (h11 reads at most 20 digits).
CHUNK_LINE_SEARCH = 1024


def head_problem(received: bytes) -> str | None:
    """Why the request head at the start of `received` (the bytes of a connection not yet
    parsed, from a request's first byte) may be framed otherwise by a proxy in front, as one
    sentence; None when it may not, or when its head has not all arrived yet."""
    end = _HEAD_END.search(received)
    if end is None:
        return None
    head = received[: end.end()]
    if _BARE_LF.search(head):
        return BARE_LF
    request_line, *lines = head[:-4].split(b"\r\n")
    if any(line[:1] in (b" ", b"\t") for line in lines):
        return FOLDED
    for line in lines:
        name = line.partition(b":")[0]
        if b"_" in name and (shown := ROUTING_HEADERS.get(name.replace(b"_", b"-").lower())) is not None:
            return UNDERSCORED.format(shown)
    lengths = [value for name, _, value in (line.partition(b":") for line in lines)
               if name.lower() == b"content-length"]
    if len(lengths) > 1:
        return LENGTH_TWICE
    if lengths and not _PLAIN_LENGTH.fullmatch(lengths[0].strip(b" \t")):
        return LENGTH_NOT_PLAIN
    # A GET or DELETE has no message (RFC 9110 9.3.1: content there has no meaning, and a proxy
    # may ignore its length): a proxy that forwards it without the body, or reads the body as the
    # next request, and the gateway that reads the body and drops it, part ways there.
    if not request_line.startswith(b"POST ") and any(
            name.lower() == b"transfer-encoding" or (name.lower() == b"content-length" and value.strip(b" \t") != b"0")
            for name, _, value in (line.partition(b":") for line in lines)):
        return BODY_NOT_POST
    # RFC 9112 6.1: a Transfer-Encoding in an HTTP/1.0 message is faulty framing; h11 reads the
    # body as chunked, a proxy that keeps to HTTP/1.0 reads it as the rest of the connection or
    # as none (the chunks then a request of their own).
    if request_line.endswith(b" HTTP/1.0") and any(
            line.partition(b":")[0].lower() == b"transfer-encoding" for line in lines):
        return CHUNKED_HTTP_1_0
    return None


def chunk_line_problem(received: bytes | bytearray, start: int = 0) -> str | None:
    """Why the chunk size line at `start` in `received` (the bytes of a connection not yet
    parsed, where h11 is about to read a chunk's size) may be read otherwise by a proxy in
    front, as one sentence; None when it may not, or when the line has not all arrived yet."""
    end = received.find(b"\r\n", start, start + CHUNK_LINE_SEARCH)
    if end < 0:
        return CHUNK_EXTENSION if len(received) >= start + CHUNK_LINE_SEARCH else None
    line = bytes(received[start:end])
    if b";" in line:
        return CHUNK_EXTENSION
    if not _PLAIN_CHUNK_SIZE.fullmatch(line):
        return CHUNK_SIZE_NOT_PLAIN
    return None
