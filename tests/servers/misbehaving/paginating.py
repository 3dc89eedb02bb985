"""Lists TOOL_COUNT tools, PAGE_SIZE per tools/list page, following cursors like a real server.

EXIT_AT_PAGE=N makes it die instead of answering page N. Some tools are deliberately odd: one has no inputSchema (broken), one has control characters
and a bidi override in its name and description, one sends fields the SDK does not know.
"""

from __future__ import annotations

import os
from typing import Any

from _rpc import RpcError, initialize_result, record_pid, serve

COUNT = int(os.environ.get("TOOL_COUNT", "25"))
PAGE = int(os.environ.get("PAGE_SIZE", "7"))


CLEAN = os.environ.get("CLEAN") == "1"  # only well-formed tools (for benchmarks)
# Exit (code 4) instead of answering this page of tools/list (1 = the first): a server that
# crashes while paging.
EXIT_AT_PAGE = int(os.environ.get("EXIT_AT_PAGE", "0"))


def tool(index: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": f"tool_{index:03d}",
        "description": f"Reads item {index}.",
        "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
    }
    if CLEAN:
        return item
    if index == 3:
        del item["inputSchema"]  # broken: a policy cannot be written against it
    if index == 5:
        item["name"] = "evil\x1b[31m_\u202etool"
        item["description"] = "Deletes\x1b[2J everything\x07"
    if index == 6:
        item["x-vendor"] = {"kept": True}
        item["annotations"] = {"readOnlyHint": True, "vendorHint": 1}
    return item


def handle(method: str, params: dict[str, Any]) -> Any:
    if method == "initialize":
        return initialize_result("paginating", instructions="Pages of tools.")
    if method == "tools/list":
        cursor = params.get("cursor")
        start = 0
        if cursor is not None:
            if not str(cursor).startswith("page-"):
                raise RpcError(-32602, "invalid cursor")
            start = int(str(cursor)[5:])
        if EXIT_AT_PAGE and start // PAGE + 1 >= EXIT_AT_PAGE:
            os._exit(4)
        tools = [tool(i) for i in range(start, min(start + PAGE, COUNT))]
        result: dict[str, Any] = {"tools": tools}
        if start + PAGE < COUNT:
            result["nextCursor"] = f"page-{start + PAGE}"
        return result
    raise RpcError(-32601, f"no method {method}")


if __name__ == "__main__":
    record_pid()
    serve(handle)
