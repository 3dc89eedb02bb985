"""A legacy HTTP+SSE MCP server whose message endpoint refuses some of the messages posted to
it. Prints its port on stdout once listening on 127.0.0.1. Standard library only.

`GET /sse` opens the event stream (its first event names `/messages?session_id=...`, where the
client posts its messages); answers come on that stream, as the legacy transport has them.
Its one tool, `echo`, answers `ran echo N` (N is its argument `n`).

Which POSTs of `echo` calls it refuses (`REFUSE`, `REFUSE_FROM`) and the record of every
message posted (`REFUSING_RECORD`) are as `_refusing.py` says. HOW is an HTTP status (`400`,
`413`, `500`: answered at once, the message not handled), `drop` (the connection closed without
an answer, the message not handled) or `hang` (the message handled, the tool run, and neither
the POST nor the call ever answered). `ran+X`: the message handled, its answer sent on the
event stream, and the POST then answered X (a status, `ran+500`; `ran+drop`: the connection
closed). `error`: the message handled, answered on the stream with a JSON-RPC error of code
-32000 (the implementation-defined server error many servers send). `cut`: the message handled,
the POST answered 202 and the tool run, and then the event stream closed before its answer (the
server lives on, but the client's stream, the only way its answers come, is gone). `end`: the
message handled and answered on the stream, and then the stream closed, no call waiting on it
(the server lives on); `{"stream_ended": true}` is recorded once it is closed. `bad`: the
message handled (the tool run), answered on the stream with a JSON-RPC result that is not a
tool's result (`"result": 5`). `both`: the message handled, answered on the stream with a
result beside an error; `both+escaped` the same, its key `result` spelled with a JSON escape;
`both+null` an error beside a `"result": null`; `both+odd` a result beside `"error": 5`. `deep:N`: the message handled, answered on the
stream with a result nested N arrays deep, its id last. `noid`, `nullid`, `strid`, `otherid`:
the message handled, its answer sent on the stream with no id, a null id, its id as a string,
an id no request has; `nullerror`: the message handled, and a JSON-RPC error under a null id
(a "Parse error") sent on the stream in place of its answer. `mute`: the message handled (the
tool run), the POST answered 202, and the call never answered. `again`: the message handled,
the answer of the call before it sent on the stream a second time, and then its own answer.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from _refusing import (
    SERVER_ERROR,
    answer,
    misnamed_answer,
    nested_result,
    not_a_tool_result,
    null_result_beside_error,
    ran_then,
    record,
    record_stream_ended,
    refusal,
    result_beside_error,
    result_beside_error_escaped,
    result_beside_odd_error,
)

# The legacy transport's sessions: the messages each one's event stream has still to send; None
# ends the stream (`cut`).
SESSIONS: dict[str, queue.Queue[dict[str, Any] | str | None]] = {}

# The HOWs that run the tool and answer on the stream with what the protocol does not allow:
# each one's answer (JSON text is sent as it is).
INVALID_ANSWERS: dict[str, Callable[[dict[str, Any]], dict[str, Any] | str]] = {
    "bad": not_a_tool_result,
    "both": result_beside_error,
    "both+escaped": result_beside_error_escaped,
    "both+null": null_result_beside_error,
    "both+odd": result_beside_odd_error,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its connection for each POST

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if urlparse(self.path).path != "/sse":
            self._empty(404)
            return
        session = uuid.uuid4().hex
        answers: queue.Queue[dict[str, Any] | str | None] = queue.Queue()
        SESSIONS[session] = answers
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        ended = False
        try:
            self.wfile.write(f"event: endpoint\ndata: /messages?session_id={session}\n\n".encode())
            self.wfile.flush()
            while True:
                message = answers.get()
                if message is None:
                    self.connection.shutdown(2)  # the stream ends, the answer never sent
                    ended = True
                    break
                text = message if isinstance(message, str) else json.dumps(message)  # str: sent as is
                self.wfile.write(f"event: message\ndata: {text}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            SESSIONS.pop(session, None)
            if ended:
                record_stream_ended()  # and the session gone: a later POST is refused 404
            self.close_connection = True

    def do_POST(self) -> None:
        url = urlparse(self.path)
        answers = SESSIONS.get(parse_qs(url.query).get("session_id", [""])[0])
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if url.path != "/messages" or answers is None:
            self._empty(404)
            return
        message = json.loads(body)
        how = refusal(message)
        if how == "drop":
            record(message, False)
            self.close_connection = True
            self.connection.shutdown(2)  # closed without an answer
            return
        after = ran_then(how)
        if after is not None:
            record(message, True)
            answers.put(answer(message, "refusing-sse"))
            if after == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
            else:
                self._empty(int(after))
            return
        if how == "error":
            record(message, True)
            self._empty(202)
            answers.put({"jsonrpc": "2.0", "id": message["id"], "error": SERVER_ERROR})
            return
        misnamed = misnamed_answer(message, how, "refusing-sse") if how is not None else None
        if misnamed is not None:
            record(message, True)
            self._empty(202)
            answers.put(misnamed)
            return
        if how == "again":
            record(message, True)
            self._empty(202)
            answers.put(ANSWERED[-1])  # the previous call's answer, once more
            answers.put(answer(message, "refusing-sse"))
            return
        if how == "mute":
            record(message, True)  # taken and run; the POST answered, the call never is
            self._empty(202)
            return
        nested = nested_result(message, how) if how is not None else None
        if nested is not None:
            record(message, True)
            self._empty(202)
            answers.put(nested)
            return
        if how in INVALID_ANSWERS:
            record(message, True)
            self._empty(202)
            answers.put(INVALID_ANSWERS[how](message))
            return
        if how == "cut":
            record(message, True)  # taken and run
            self._empty(202)
            answers.put(None)
            return
        if how == "end":
            record(message, True)
            self._empty(202)
            answers.put(answer(message, "refusing-sse"))
            answers.put(None)  # then the stream ends, nothing waiting on it
            return
        if how == "hang":
            record(message, True)  # taken and run, then never answered
            threading.Event().wait()
            return
        if how is not None:
            record(message, False)
            self._empty(int(how))
            return
        record(message, True)
        self._empty(202)
        if isinstance(message, dict) and "id" in message and "method" in message:
            answers.put(answer(message, "refusing-sse"))
            ANSWERED[-1:] = [answer(message, "refusing-sse")]


# The last answer sent to a request handled as usual (`again` sends it a second time).
ANSWERED: list[dict[str, Any]] = []


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
