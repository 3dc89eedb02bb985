"""`policytui connect` against real servers: paint first, list in a worker, fail into a dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policytui.cli import UsageError, build_parser
from policytui.cli.connect_cmd import _loaders
from policytui.discovery import resolve_target
from policytui.tui import make_app
from policytui.tui.table import ToolTable

SIZE = (100, 30)


def server(test_servers: Path, *parts: str) -> Path:
    path = test_servers.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is missing: run tests/servers/install.sh")
    return path


@pytest.mark.servers
async def test_connect_to_server_everything_and_save(test_servers: Path, tmp_path: Path) -> None:
    command = server(test_servers, "everything", "node_modules", ".bin", "mcp-server-everything")
    spec = resolve_target(command=[str(command)], cwd=tmp_path)
    load, _offline = _loaders(spec, offline=False, timeout=60)
    path = tmp_path / "policy.json"
    app = make_app(policy_path=path, load_listing=load, target_label=spec.describe())
    async with app.run_test(size=SIZE) as pilot:
        # The server started before the app (`_loaders`): its tools may be in hand by the
        # first paint already.
        await pilot.pause()
        await app.loaded.wait()
        await pilot.pause()
        table = app.query_one(ToolTable)
        names = table.visible_names
        assert "echo" in names and len(names) >= 10
        await pilot.press("slash", *"echo", "enter", "a", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    written = json.loads(path.read_text())
    assert written["tools"] == {"echo": {}}
    assert set(written["x-policytui"]["fingerprints"]) == set(names)


@pytest.mark.servers
async def test_a_server_that_dies_at_start_gives_a_dialog(test_servers: Path, tmp_path: Path) -> None:
    command = server(test_servers, "sqlite-crash", "bin", "mcp-server-sqlite")
    spec = resolve_target(command=[str(command), "--db-path", str(tmp_path / "x.db")], cwd=tmp_path)
    load, _offline = _loaders(spec, offline=False, timeout=60)
    app = make_app(policy_path=tmp_path / "policy.json", load_listing=load, target_label="sqlite")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.id == "failure"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1
    assert not (tmp_path / "policy.json").exists()


def test_connect_arguments(tmp_path: Path) -> None:
    from policytui.cli.connect_cmd import run

    parser = build_parser()
    args = parser.parse_args(["connect", "--from", "x.json", "--policy", str(tmp_path)])
    assert args.policy == str(tmp_path)
    with pytest.raises(UsageError, match="folder"):
        run(args)
    args = parser.parse_args(["connect", "--from", "x.json", "--theme", "no-such-theme"])
    with pytest.raises(UsageError, match="theme"):
        run(args)


def test_offline_snapshot_is_offered_for_catalogue_servers() -> None:
    spec = resolve_target("kestra")
    _load, offline = _loaders(spec, offline=False, timeout=5)
    assert offline is not None
    listing = offline()
    assert listing.offline_reason and len(listing.tools) > 20


async def test_connect_to_kestra_where_the_docker_daemon_refuses_the_user_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`connect kestra` with a docker whose daemon's socket refuses the user: the editor opens
    on the recorded tools, and its OFFLINE banner says what to do (before, "Docker is not
    running here")."""
    from discovery_support import DOCKER_DENIED, fake_docker

    monkeypatch.setenv("PATH", f"{fake_docker(tmp_path / 'bin', DOCKER_DENIED)}:/usr/bin:/bin")
    spec = resolve_target("kestra")
    load, offline = _loaders(spec, offline=False, timeout=30)
    app = make_app(policy_path=tmp_path / "policy.json", load_listing=load, load_offline=offline,
                   target_label=spec.describe())
    async with app.run_test(size=(200, 30)) as pilot:
        await app.loaded.wait()
        await app.workers.wait_for_complete()
        await pilot.pause()
        banner = str(app.offline_notice)
    assert banner.startswith("OFFLINE Docker is installed, but this user may not use its daemon "
                             "(permission denied on its socket): add the user to the docker group"), banner
