"""Every line `policytui serve` prints on its terminal says it is serve's.

serve's terminal shows its own lines among others' (a shell, another command): each one starts
with "policytui serve:", also the warnings it writes when an editor process will not quit and
has to be stopped and killed. The test starts the installed `policytui serve`, opens an editor
over a websocket as the page does, types a key into it (so that serve asks it to quit first),
freezes that editor's process (SIGSTOP, so it can answer neither the quit nor SIGTERM), and
stops serve with ctrl+c.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import time
from pathlib import Path

from serve_support import Served
from test_serve_lifecycle import alive, editors_of, kill_all, wait_for

PREFIX = "policytui serve: "


def test_the_warnings_about_an_editor_that_will_not_quit_carry_serves_name(tmp_path: Path) -> None:
    import aiohttp

    served = Served(["kestra", "--offline", "--policy", str(tmp_path / "p.json"), "--no-open"],
                    cwd=tmp_path, env={"HOME": str(tmp_path)})
    seen: set[int] = set()
    frozen: set[int] = set()

    async def open_editor_and_stop_serve() -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(served.url) as page:
                html = await page.text()
            address = re.search(r'data-session-websocket-url="([^"]+)"', html)
            assert address is not None, html
            websocket = await session.ws_connect(address.group(1) + "?width=120&height=30")
            await websocket.send_str(json.dumps(["resize", {"width": 120, "height": 30}]))
            deadline = time.monotonic() + 60
            while not (editors := editors_of(served.process.pid)):
                assert time.monotonic() < deadline, "no editor process started"
                await asyncio.sleep(0.05)
            seen.update(editors)
            # A key typed, as the page sends it: an editor its user has sent nothing is stopped
            # at once (SIGTERM), not asked to quit. serve answers the ping once it has passed on
            # every message before it, so the key has reached the editor when the pong comes.
            await websocket.send_str(json.dumps(["stdin", "j"]))
            await websocket.send_str(json.dumps(["ping", "after the key"]))
            while True:
                message = await websocket.receive(timeout=60)
                assert message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), message
                if message.type == aiohttp.WSMsgType.TEXT and json.loads(message.data)[0] == "pong":
                    break
            for pid in editors:  # this serve's own editor, started by the test's request
                os.kill(pid, signal.SIGSTOP)
                frozen.add(pid)
            served.process.send_signal(signal.SIGINT)
            await asyncio.to_thread(served.process.wait, 40)
            await websocket.close()

    try:
        asyncio.run(open_editor_and_stop_serve())
        wait_for("the frozen editor to be killed", lambda: not alive(seen), 20)
    finally:
        for pid in alive(frozen):
            os.kill(pid, signal.SIGCONT)
        kill_all(seen)
        served.stop()  # and its last lines read
    said = [line.rstrip("\n") for line in served.stderr if line.strip()]
    assert sum("did not quit; stopping it" in line for line in said) == 1, said
    unmarked = [line for line in said if not line.startswith(PREFIX)]
    assert not unmarked, f"lines without {PREFIX!r}: {unmarked}"
    assert served.process.returncode == 130


def test_an_editors_own_lines_carry_serves_name_once() -> None:
    """What an editor writes (a crash's traceback, or a line that names serve already) is
    relayed with the name once, never twice."""
    from policytui.serve.editor_output import relay_lines

    async def relay() -> None:
        stream = asyncio.StreamReader()
        stream.feed_data(b"Traceback (most recent call last):\n  File \"x\"\n"
                         b"policytui serve: the browser editor had unsaved changes\n")
        stream.feed_eof()
        await relay_lines(stream)

    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        asyncio.run(relay())
    said = captured.getvalue().splitlines()
    assert said == [f"{PREFIX}Traceback (most recent call last):", f"{PREFIX}  File \"x\"",
                    f"{PREFIX}the browser editor had unsaved changes"]
