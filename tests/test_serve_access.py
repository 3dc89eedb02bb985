"""Who gets in to `policytui serve`, and what the page may learn: checked from outside, against
the installed command, the way a browser or an attacker on the same machine would try.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from serve_support import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    POLICYTUI,
    BrowserScreen,
    RecordingListener,
    Served,
    require_chromium,
)

from policytui.serve.access import DOWNLOAD_POLICY, SECURITY_HEADERS

SECRET = "s3cr3t-header-value-7f1c"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(tmp_path)},
    )
    yield server
    assert server.stop() == 130, "".join(server.stderr)


def request(served: Served, path: str, headers: dict[str, str] | None = None) -> Any:
    host, port = served.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read().decode("utf-8", "replace")
    connection.close()
    return response


def websocket_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", **(extra or {}),
    }


def test_every_route_refuses_a_request_without_the_token(served: Served) -> None:
    for path in ("/", "/?fontsize=12", "/static/js/textual.js", "/static/", "/ws/anything",
                 "/download/anything", "/no-such-page", "/?token=", "/?token=wrong"):
        response = request(served, path)
        assert response.status == 403, path
        assert served.token not in response.body
    refused_upgrade = request(served, "/ws/anything", websocket_headers())
    assert refused_upgrade.status == 403
    wrong_cookie = request(served, "/", {"Cookie": "policytui_serve_1=" + served.token[:-1] + "x"})
    assert wrong_cookie.status == 403


def test_the_token_becomes_a_strict_cookie_and_leaves_the_address(served: Served) -> None:
    path = served.url.removeprefix(served.base)
    traded = request(served, path)
    editor = traded.getheader("Location")
    # The editor's own address: a secret path of its own, which the cookie is scoped to.
    assert traded.status == 303 and re.fullmatch(r"/[A-Za-z0-9_-]{22}/", editor), editor
    assert served.token not in editor
    cookie = traded.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={editor}" in cookie
    name_and_value = cookie.split(";")[0]
    page = request(served, editor, {"Cookie": name_and_value})
    assert page.status == 200
    assert served.token not in page.body, "the token is never written into the page"
    assert "googleapis" not in page.body and "https://" not in page.body, "nothing from other sites"
    assert page.getheader("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in page.getheader("Content-Security-Policy")
    assert page.getheader("Cache-Control") == "no-store"
    assert f"Path={editor}" in page.getheader("Set-Cookie"), "the browser's cookie is scoped too"
    assert request(served, f"{editor}static/js/textual.js", {"Cookie": name_and_value}).status == 200
    # Outside the editor's path the cookie opens nothing (a browser would not even send it).
    for outside in ("/", "/static/js/textual.js", "/busy", editor.rstrip("/"), editor.upper()):
        assert request(served, outside, {"Cookie": name_and_value}).status == 403, outside
    # The redirect never leaves this server, whatever the path looks like.
    for sneaky in ("//evil.example/", "/\\evil.example/", "///evil.example"):
        bounced = request(served, f"{sneaky}?token={served.token}")
        assert bounced.getheader("Location") == editor
    # The browser's cookie does not open the websocket for another site's page.
    foreign = request(served, f"{editor}ws/x", websocket_headers(
        {"Cookie": name_and_value, "Origin": "http://evil.example"}))
    assert foreign.status == 403


def test_a_browser_that_keeps_no_cookie_is_told_so_on_the_editors_address(
    served: Served, tmp_path: Path
) -> None:
    """A browser that refuses cookies (blocked for the site, or for all) follows the printed
    URL to the editor's address without the cookie the redirect set. It was told only to "open
    the full URL that policytui serve printed", which it had just done: it is told too that the
    cookie was not kept, and what to do. Elsewhere the refusal stays as it was."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"
    (profile / "Default").mkdir(parents=True)
    # Chromium's own setting "Don't allow sites to save data", as its user would choose it.
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"profile": {"default_content_setting_values": {"cookies": 2}}}))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            response = page.goto(served.url)
            assert response is not None and response.status == 403
            assert served.token not in page.url
            shown = page.inner_text("body")
        finally:
            browser.close()
    assert ("open the full URL that `policytui serve` printed; if that is the URL you opened, "
            "this browser did not keep serve's cookie, which holds the token, so allow cookies "
            "for this address and open it again.") in shown, shown
    editor = urlparse(page.url).path
    for elsewhere in ("/", f"{editor}static/js/textual.js"):
        other = request(served, elsewhere)
        assert other.status == 403 and "printed.</p>" in other.body, other.body
        assert "cookie" not in other.body, other.body


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_a_servers_secret_reaches_neither_the_page_nor_a_command_line(tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/mcp"  # nothing listens: the editor fails
    served = Served(
        [url, "--header", "Authorization: Bearer ${env:SERVE_TEST_SECRET}", "--timeout", "5",
         "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(tmp_path), "SERVE_TEST_SECRET": SECRET},
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            screen = BrowserScreen(page)
            page.goto(served.url)
            screen.wait("the editor up", lambda s: "policytui" in s)
            command_lines = [
                Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                for pid in descendants(served.process.pid)
            ]
            assert any("policytui.serve.session" in line for line in command_lines)
            screen.wait("the connection failure shown",
                        lambda s: "starting…" not in s and "127.0.0.1" in s, timeout=40)
            shown = screen.text()
            html = page.content()
            title = page.title()
            browser.close()
    finally:
        assert served.stop() == 130
        closed.close()
    for where, text in (("page", html), ("title", title), ("screen", shown),
                        ("terminal bytes", screen.received.decode("utf-8", "replace")),
                        ("command lines", " ".join(command_lines)),
                        ("server output", "".join(served.stdout + served.stderr))):
        assert SECRET not in text, f"the secret is in the {where}"


def run_serve(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLICYTUI, "serve", *argv, "--no-open"], capture_output=True,
                          text=True, timeout=30, cwd=cwd)


def test_mistakes_get_one_sentence_and_exit_2(tmp_path: Path) -> None:
    cases = {
        "folder": run_serve("kestra", "--offline", "--policy", str(tmp_path), cwd=tmp_path),
        "target": run_serve("no-such-server-anywhere", cwd=tmp_path),
        "port": run_serve("kestra", "--port", "70000", cwd=tmp_path),
        "host": run_serve("kestra", "--host", "no.such.host.invalid", cwd=tmp_path),
    }
    for case, result in cases.items():
        assert result.returncode == 2, (case, result.stderr)
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]  # argparse puts its usage lines first
        assert last.startswith("policytui serve: ") and last.count(". ") == 0, (case, last)


def test_a_port_in_use_is_exit_1_in_the_gateways_sentence(tmp_path: Path) -> None:
    """The command line is right; this machine refuses it: exit 1, as `gateway --listen` says
    the same thing (it was exit 2, a usage error, here alone)."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    (tmp_path / "p.json").write_text('{"version": "1", "default": "deny"}', encoding="utf-8")
    try:
        served = run_serve("kestra", "--offline", "--port", str(port), cwd=tmp_path)
        gateway = subprocess.run(
            [POLICYTUI, "gateway", "--policy", str(tmp_path / "p.json"), "--state-dir", str(tmp_path / "state"),
             "--listen", f"127.0.0.1:{port}", "--", "true"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    finally:
        taken.close()
    said = f"cannot listen on 127.0.0.1 port {port}: it is in use."
    assert (served.returncode, served.stderr) == (1, f"policytui serve: {said}\n")
    assert (gateway.returncode, gateway.stderr) == (1, f"policytui gateway: {said}\n")


def test_listening_beyond_this_machine_needs_host_and_warns(tmp_path: Path) -> None:
    served = Served(["kestra", "--offline", "--host", "0.0.0.0", "--no-open"], cwd=tmp_path,
                    env={"HOME": str(tmp_path)})
    try:
        assert "/?token=" in served.url
    finally:
        assert served.stop() == 130
    warning = "".join(served.stderr)
    assert "warning: listening on 0.0.0.0" in warning and "token" in warning
    # The printed address is one for the other machines --host was given for, not this one's
    # loopback (many hosts resolve their own name to "localhost").
    printed = urlparse(served.url).hostname or ""
    addresses = {info[4][0] for info in socket.getaddrinfo(printed, None)}
    assert addresses and not any(ipaddress.ip_address(a).is_loopback for a in addresses), (
        f"{served.url} names this machine's loopback"
    )
    local = Served(["kestra", "--offline", "--no-open"], cwd=tmp_path, env={"HOME": str(tmp_path)})
    try:
        assert local.url.startswith("http://127.0.0.1:")
    finally:
        assert local.stop() == 130
    assert "warning" not in "".join(local.stderr)


async def open_editor(session: Any, served: Served) -> Any:
    """Load the page as a browser would (token, cookie, page) and open its websocket."""
    async with session.get(served.url) as page:
        assert page.status == 200
        html = await page.text()
    address = re.search(r'data-session-websocket-url="([^"]+)"', html)
    assert address is not None, html
    return await session.ws_connect(address.group(1) + "?width=100&height=30")


async def test_two_servers_on_one_policy_file_let_one_browser_edit(tmp_path: Path) -> None:
    import aiohttp

    policy = str(tmp_path / "policy.json")
    first, second = (
        Served(["kestra", "--offline", "--policy", policy, "--no-open"], cwd=tmp_path,
               env={"HOME": str(tmp_path)})
        for _ in range(2)
    )
    try:
        # An IP address host keeps its cookies only in an "unsafe" jar, as browsers do anyway.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            websocket = await open_editor(browser, first)
            first_frame = await websocket.receive(timeout=30)
            assert first_frame.type == aiohttp.WSMsgType.BINARY
            async with browser.get(second.url) as busy:
                assert busy.status == 409
                assert "already being edited" in await busy.text()
            await websocket.close()
            # Once the first editor has ended, the other server lets a browser in.
            deadline = time.monotonic() + 60
            while True:
                async with browser.get(second.url) as retry:
                    if retry.status == 200:
                        break
                assert time.monotonic() < deadline, "the lock outlived the first editor"
                await asyncio.sleep(0.2)
    finally:
        assert first.stop() == 130 and second.stop() == 130


async def test_reloading_the_busy_page_after_the_editor_quits_opens_the_editor(served: Served) -> None:
    """The busy page says to reload it once the other editor is gone: the reload must then
    lead to the editor (it answered 409 for good, whoever held the file)."""
    import aiohttp

    jar = lambda: aiohttp.CookieJar(unsafe=True)  # noqa: E731  (IP hosts keep cookies there)
    async with aiohttp.ClientSession(cookie_jar=jar()) as first, \
            aiohttp.ClientSession(cookie_jar=jar()) as second:
        websocket = await open_editor(first, served)
        assert (await websocket.receive(timeout=30)).type == aiohttp.WSMsgType.BINARY
        async with second.get(served.url) as refused:
            assert refused.status == 409
            busy = refused.url.with_path(refused.url.path.rstrip("/") + "/busy").with_query(None)
        async with second.get(busy) as still:
            assert still.status == 409, "the file is still being edited"
        await websocket.close()
        deadline = time.monotonic() + 60  # the editor process takes a moment to end
        while True:
            async with second.get(busy, allow_redirects=False) as reloaded:
                if reloaded.status != 409:
                    break
            assert time.monotonic() < deadline, "the busy page stayed after the editor quit"
            await asyncio.sleep(0.2)
        assert reloaded.status == 303
        async with second.get(busy) as followed:
            assert followed.status == 200 and "data-session-websocket-url" in await followed.text()


def command_lines_holding(secret: str) -> list[str]:
    """Every process's command line that holds `secret`, read as any local user can (ps)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = entry.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if secret in line:
            found.append(line)
    return found


def answered(served: Served, timeout: float = 60) -> None:
    """Until serve answers a request (any answer: this one has no token)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(served.base + "/", timeout=10):
                return
        except urllib.error.HTTPError:
            return  # refused, as a request without the token is: answered all the same
        except OSError:
            assert time.monotonic() < deadline, f"serve did not answer: {''.join(served.stderr)}"
            time.sleep(0.05)


def test_the_desktop_browser_is_opened_without_the_token_on_a_command_line(tmp_path: Path) -> None:
    """Any local user reads every command line (`ps`, /proc): the browser `serve` starts is
    given a page of the user's own that leads to the printed address, not the address."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    # A browser that takes a moment to start, as real ones do, while another user watches `ps`.
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\nsleep 2\ntouch {opened}.done\n')
    browser.chmod(0o755)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    # Python's webbrowser runs $BROWSER where a desktop ($DISPLAY) is present.
    served = Served(["kestra", "--offline"], cwd=tmp_path,
                    env={"HOME": str(tmp_path), "DISPLAY": ":99", "BROWSER": f"{browser} %s",
                         "XDG_RUNTIME_DIR": str(runtime)})
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not opened.exists() or not opened.read_text():
            seen += command_lines_holding(served.token)
            assert time.monotonic() < deadline, "no browser was opened"
            time.sleep(0.01)
        while not Path(f"{opened}.done").exists():  # serve waits for its browser command
            seen += command_lines_holding(served.token)
            assert time.monotonic() < deadline + 5, "the browser command did not end"
            time.sleep(0.01)
        assert not seen, f"the token is on a command line: {seen[0]}"
        given = urlparse(opened.read_text())
        assert given.scheme == "file", opened.read_text()
        leads_to = Path(given.path)
        assert leads_to.is_relative_to(runtime / f"policytui-{os.getuid()}")
        assert leads_to.stat().st_mode & 0o077 == 0, "only its user may read the page"
        assert f"url={served.url}'" in leads_to.read_text(), "the page leads to the printed URL"
    finally:
        assert served.stop() == 130
    assert not leads_to.exists(), "the page holding the token is removed when serve ends"
    no_desktop = Served(["kestra", "--offline"], cwd=tmp_path,
                        env={"HOME": str(tmp_path), "DISPLAY": "", "WAYLAND_DISPLAY": "",
                             "BROWSER": f"{browser} %s"})
    opened.unlink()
    # serve starts the browser (and waits for its command to end) before it serves: once it
    # answers, one it started would have written `opened` already.
    answered(no_desktop)
    assert no_desktop.stop() == 130
    assert not opened.exists(), "without a desktop no browser (nor a text one here) is started"


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_the_page_holding_the_token_goes_however_serve_ends(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """The page that leads the desktop browser to the URL holds the token: serve stopped while
    the browser command still runs (ctrl+c, SIGTERM, the terminal closed) removes it and exits
    (130 on ctrl+c, else 0), and a page a `kill -9`-ed serve left behind is removed by the next serve."""
    started = tmp_path / "started"
    browser = tmp_path / "browser.sh"
    # A browser slow to start; it writes its process id, whole, where the test looks for it.
    browser.write_text(f"#!/bin/sh\necho $$ > {started}.new && mv {started}.new {started}\nexec sleep 30\n")
    browser.chmod(0o755)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    folder = runtime / f"policytui-{os.getuid()}"
    environment = {"HOME": str(tmp_path), "DISPLAY": ":99", "BROWSER": f"{browser} %s",
                   "XDG_RUNTIME_DIR": str(runtime)}
    served = Served(["kestra", "--offline"], cwd=tmp_path, env=environment)
    try:
        deadline = time.monotonic() + 30
        while not started.exists():
            assert time.monotonic() < deadline, "no browser was started"
            time.sleep(0.05)
        assert list(folder.glob("open-*.html")), "the page leading to the URL is written"
        served.process.send_signal(stop)
        expected = 130 if stop == signal.SIGINT else 0  # ctrl+c as every command; a service stop
        assert served.process.wait(timeout=20) == expected, "".join(served.stderr)
    finally:
        # It holds serve's output open, which serve's last lines are read to the end of.
        with contextlib.suppress(OSError, ValueError):  # none started, or it has ended
            os.kill(int(started.read_text()), signal.SIGKILL)
        served.stop()
    assert "Traceback" not in "".join(served.stderr)
    assert not list(folder.glob("open-*.html")), "the page holding the token was left behind"
    # `kill -9` cannot be caught: the next serve removes the page of a serve that is gone.
    # (The mark goes first: the browser can be started before serve's address is read.)
    started.unlink()
    killed = Served(["kestra", "--offline"], cwd=tmp_path, env=environment)
    deadline = time.monotonic() + 30
    while not started.exists():
        assert time.monotonic() < deadline, "no browser was started"
        time.sleep(0.05)
    os.killpg(killed.process.pid, signal.SIGKILL)
    killed.process.wait()
    (left,) = folder.glob("open-*.html")
    later = Served(["kestra", "--offline", "--no-open"], cwd=tmp_path, env=environment)
    try:
        assert not left.exists(), "a page with a dead serve's token stays in the folder"
    finally:
        assert later.stop() == 130


def test_a_lock_folder_others_can_write_to_is_refused(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    (runtime / f"policytui-{os.getuid()}").mkdir(parents=True)
    (runtime / f"policytui-{os.getuid()}").chmod(0o777)
    result = subprocess.run(
        [POLICYTUI, "serve", "kestra", "--offline", "--no-open"], capture_output=True, text=True,
        timeout=30, cwd=tmp_path, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
    )
    assert result.returncode == 2
    assert "no one else can write to" in result.stderr and "Traceback" not in result.stderr


async def test_an_editor_that_cannot_start_closes_its_page_and_frees_the_file(tmp_path: Path) -> None:
    """The page is told the editor has closed (not left on its splash screen), and the next
    browser may edit: the file's lock does not outlive the editor process."""
    import aiohttp

    policy = tmp_path / "policy.json"
    served = Served(["kestra", "--offline", "--policy", str(policy), "--no-open"], cwd=tmp_path,
                    env={"HOME": str(tmp_path)})
    try:
        policy.mkdir()  # after serve checked it: the editor refuses a folder and ends at once
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            websocket = await open_editor(browser, served)
            try:
                async with asyncio.timeout(30):
                    while not websocket.closed:
                        await websocket.receive()
            except TimeoutError:
                pytest.fail("the page still waits on an editor that ended 30 s ago")
            deadline = time.monotonic() + 60
            while True:
                async with browser.get(served.url) as again:
                    if again.status == 200:
                        break
                assert time.monotonic() < deadline, "the lock outlived the editor that ended"
                await asyncio.sleep(0.2)
    finally:
        assert served.stop() == 130, "".join(served.stderr)
    assert "is a folder" in "".join(served.stdout + served.stderr)


def test_the_cookie_reaches_no_other_program_listening_on_this_machine(served: Served) -> None:
    """Browsers keep cookies per host, not per port: another user's server on 127.0.0.1, which
    the browser visits (typed, or sent there by a hostile site), must not receive the token."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    def hostile(path: str) -> str:
        if path.startswith("/start"):  # a site elsewhere sends the browser to the listener
            return f"<script>location = 'http://127.0.0.1:{listener.port}/landed'</script>"
        return "<img src='/pixel'><script>fetch('/fetched')</script>"

    listener = RecordingListener(page=hostile)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            context = browser.new_context()
            page = context.new_page()
            screen = BrowserScreen(page)
            page.goto(served.url)
            screen.wait("the editor up", lambda s: "39 tools" in s)
            other = context.new_page()
            other.goto(f"http://localhost:{listener.port}/start")
            other.wait_for_url("**/landed")
            other.goto(f"http://127.0.0.1:{listener.port}/typed")
            deadline = time.monotonic() + 60
            while not {"/pixel", "/fetched"} <= set(listener.paths()):
                assert time.monotonic() < deadline, listener.paths()
                other.wait_for_timeout(100)
            browser.close()
    finally:
        listener.close()
    assert {"/start", "/landed", "/typed"} <= set(listener.paths())
    for head in listener.requests:
        assert served.token not in head, f"the token reached another program:\n{head}"
        assert "policytui_" not in head, f"a cookie of serve's reached another program:\n{head}"


def test_a_host_name_is_printed_as_the_address_it_listens_on(tmp_path: Path) -> None:
    """`--host localhost` listens on one address of the name; a browser given the name may try
    the other (::1), where any local user can listen on the same port and take the token."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    served = Served(["kestra", "--offline", "--host", "localhost", "--no-open"], cwd=tmp_path,
                    env={"HOME": str(tmp_path)})
    try:
        listening = urlparse(served.url)
        family = socket.AF_INET if ":" not in (listening.hostname or "") else socket.AF_INET6
        other = ("::1", socket.AF_INET6) if family == socket.AF_INET else ("127.0.0.1", socket.AF_INET)
        try:
            squatter = RecordingListener(other[1], other[0], listening.port or 0)
        except OSError:
            pytest.skip(f"cannot listen on {other[0]} here")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                page = browser.new_page()
                response = page.goto(served.url)
                assert response is not None and response.status == 200
                browser.close()
        finally:
            squatter.close()
    finally:
        assert served.stop() == 130, "".join(served.stderr)
    assert not squatter.requests, f"the browser went to another listener:\n{squatter.requests[0]}"
    assert ipaddress.ip_address(listening.hostname or "").is_loopback, served.url
    assert "warning" not in "".join(served.stderr)


def test_a_request_naming_another_host_is_refused(served: Served) -> None:
    """DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 sends
    its own name in the Host header. Refused, even with the token or the cookie."""
    port = int(served.base.rsplit(":", 1)[1])
    path = served.url.removeprefix(served.base)
    rebound = {"Host": f"evil.example:{port}"}
    trade = request(served, path, rebound)
    assert trade.status == 403 and trade.getheader("Set-Cookie") is None
    traded = request(served, path)
    editor = traded.getheader("Location")
    cookie = traded.getheader("Set-Cookie").split(";")[0]
    script = f"{editor}static/js/textual.js"  # a page without side effects
    assert request(served, script, {"Cookie": cookie}).status == 200
    for host in (f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", "127.0.0.1",
                 f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}", ""):
        refused = request(served, script, {"Cookie": cookie, "Host": host})
        assert refused.status == 403, host
        assert served.token not in refused.body
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert request(served, script, {"Cookie": cookie, "Host": host}).status == 200, host


def test_a_port_forwarded_under_another_number_is_refused_in_a_sentence_that_says_so(
    served: Served,
) -> None:
    """`ssh -L 8080:127.0.0.1:PORT` and the printed address opened at port 8080: the request
    names this machine at a port serve does not listen on. It stays refused (serve's cookie and
    websocket address are its port's), and the page says why and what to do, where it spoke of
    another host and of pages pointing their name at this machine."""
    port = int(served.base.rsplit(":", 1)[1])
    path = served.url.removeprefix(served.base)
    forwarded = port + 1 if port < 65535 else port - 1
    for host in (f"127.0.0.1:{forwarded}", f"localhost:{forwarded}"):
        refused = request(served, path, {"Host": host})
        assert refused.status == 403 and refused.getheader("Set-Cookie") is None, host
        assert (f"This address names port {forwarded}, and policytui serve listens on port "
                f"{port}: open the address it printed") in refused.body, refused.body
        assert "another host" not in refused.body and served.token not in refused.body
    # A name that is not this machine's still reads as DNS rebinding, whatever its port.
    rebound = request(served, path, {"Host": f"evil.example:{forwarded}"})
    assert rebound.status == 403 and "names another host" in rebound.body, rebound.body


def test_a_malformed_request_holding_the_token_stays_out_of_the_log(tmp_path: Path) -> None:
    served = Served(["kestra", "--offline", "--no-open"], cwd=tmp_path, env={"HOME": str(tmp_path)})
    try:
        port = int(served.base.rsplit(":", 1)[1])
        token = served.token.encode()
        for line in (b"GET /?token=" + token + b"\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /?token=" + token + b" HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                     b"GET /" + b"a" * 9000 + b"?token=" + token + b" HTTP/1.1\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                raw.sendall(line)
                assert raw.recv(65536).startswith(b"HTTP/1.")
        assert request(served, "/").status == 403, "the server is still up"
    finally:
        assert served.stop() == 130
    output = "".join(served.stdout + served.stderr)
    assert output.count(served.token) == 1, f"the token is logged:\n{output}"


def test_a_file_the_editor_delivers_downloads_from_the_editors_own_path(served: Served) -> None:
    """textual-serve's page fetches a delivered file from `/download/KEY`, outside the path the
    cookie is scoped to: it is sent a key that leads back under that path."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        delivered: list[dict[str, str]] = []
        context.on("response", lambda response: delivered.append(response.all_headers())
                   if "/download/" in response.url else None)
        page = context.new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor up", lambda s: "39 tools" in s)
        editor = urlparse(page.url).path
        page.keyboard.press("Control+p")
        screen.wait("the palette", lambda s: "🔎" in s)
        page.keyboard.type("screenshot svg")
        screen.wait("Textual's screenshot command", lambda s: "Screenshot" in s)
        with context.expect_page(timeout=20_000) as opened:
            page.keyboard.press("Enter")
        download = opened.value
        download.wait_for_load_state()
        address, body = urlparse(download.url), download.content()
        browser.close()
    assert address.path.startswith(f"{editor}download/"), download.url
    assert "<svg" in body and "rich-terminal" in body
    # The file is streamed, not a finished response: it carries every page's headers all the
    # same (never cached on disk, framed by another site, sniffed or read by another origin).
    (headers,) = delivered
    for name, value in SECURITY_HEADERS.items():
        if name != "Content-Security-Policy":
            assert headers.get(name.lower()) == value, (name, headers)
    # Shown as a document of its own on this origin, the SVG may run nothing and load nothing.
    assert headers.get("content-security-policy") == DOWNLOAD_POLICY, headers
    assert "default-src 'none'" in DOWNLOAD_POLICY and "sandbox" in DOWNLOAD_POLICY


async def test_connections_that_never_show_the_token_do_not_lock_the_browser_out(
    tmp_path: Path,
) -> None:
    """Another local user opens connections to the port and says nothing. The browser that
    has the token still gets its page and its editor, and the server's descriptors stay few."""
    import resource

    import aiohttp

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip("needs 4096 descriptors for the attacker's connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # a common desktop default
    try:
        served = Served(["kestra", "--offline", "--policy", str(tmp_path / "policy.json"),
                         "--no-open"], cwd=tmp_path, env={"HOME": str(tmp_path)})
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    port = int(served.base.rsplit(":", 1)[1])
    flood: list[socket.socket] = []

    def silent_connections(count: int) -> None:
        for _ in range(count):
            try:
                flood.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                return  # the server no longer accepts any: its descriptors have run out

    try:
        silent_connections(1500)
        # A request made after them is answered once serve has taken every connection made
        # before it (the kernel hands them over in the order they came), closing the oldest
        # past its limit as it took each.
        await asyncio.to_thread(answered, served)
        descriptors = len(os.listdir(f"/proc/{served.process.pid}/fd"))
        assert descriptors < 400, f"the server holds {descriptors} descriptors"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                         timeout=aiohttp.ClientTimeout(total=15)) as browser:
            websocket = await open_editor(browser, served)
            frame = await websocket.receive(timeout=30)
            assert frame.type == aiohttp.WSMsgType.BINARY, frame
            # More silent connections, while the browser edits: its connection stays.
            silent_connections(500)
            await websocket.send_str('["stdin", "j"]')
            frame = await websocket.receive(timeout=30)
            assert frame.type == aiohttp.WSMsgType.BINARY, frame
            await websocket.close()
    finally:
        for connection in flood:
            connection.close()
        assert served.stop() == 130, "".join(served.stderr)
    assert "Traceback" not in "".join(served.stderr)


async def test_a_page_whose_editor_never_started_is_told_apart_from_an_editor_at_work(served: Served) -> None:
    """A page fetched without opening its editor (a link preview, a prefetch) keeps the file
    for a short while. Another browser is told that, and when to reload, not to quit an editor
    that does not exist; the browser that fetched the page still gets its editor."""
    import aiohttp

    jar = lambda: aiohttp.CookieJar(unsafe=True)  # noqa: E731  (IP hosts keep cookies there)
    async with aiohttp.ClientSession(cookie_jar=jar()) as preview, \
            aiohttp.ClientSession(cookie_jar=jar()) as person:
        async with preview.get(served.url) as fetched:
            assert fetched.status == 200  # and no websocket is ever opened
        async with person.get(served.url) as refused:
            text = await refused.text()
            assert refused.status == 409
            assert "Already being opened" in text and "its editor has not started yet" in text, text
            assert re.search(r"reload this page in \d+ s", text), text
            assert "ctrl+q" not in text
        websocket = await open_editor(preview, served)  # the one that fetched it opens it
        assert (await websocket.receive(timeout=30)).type == aiohttp.WSMsgType.BINARY
        async with person.get(served.url) as busy:
            assert busy.status == 409 and "Already being edited" in await busy.text()
        await websocket.close()
