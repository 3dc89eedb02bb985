"""A server that lists, as its tools, the entries of the JSON file named by `$LISTED_TOOLS`
(any shapes, however odd), and writes the name of every `tools/call` it receives to
`$LISTED_RECORD` (one JSON text per line) before answering it `ran NAME`."""

import json
import os

from _rpc import initialize_result, record_pid, serve

with open(os.environ["LISTED_TOOLS"], encoding="utf-8") as listed:
    TOOLS = json.load(listed)
RECORD = os.environ.get("LISTED_RECORD")


def handle(method, params):
    if method == "initialize":
        return initialize_result("listed-tools")
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        name = params.get("name")
        if RECORD:
            with open(RECORD, "a", encoding="utf-8") as out:
                out.write(json.dumps(name) + "\n")
        return {"content": [{"type": "text", "text": f"ran {name}"}]}
    return {}


if __name__ == "__main__":
    record_pid()
    serve(handle)
