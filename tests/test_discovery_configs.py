"""Server names resolve from the config files of policytui and of other MCP clients, in a
documented order, with `${...}` references filled in from the user's environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policytui.discovery import DiscoveryError, find_servers, resolve_target
from policytui.discovery.configs import config_sources, project_root


@pytest.fixture
def world(tmp_path: Path) -> dict:
    """A fake home, config dir and project, with nothing in the real environment leaking in."""
    home = tmp_path / "home"
    project = home / "src" / "app"
    (project / ".git").mkdir(parents=True)
    environ = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    return {"home": home, "project": project, "env": environ, "tmp": tmp_path}


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def servers(**entries: dict) -> dict:
    return {"mcpServers": entries}


def resolve(world: dict, name: str, **extra_env: str):
    return resolve_target(name, cwd=world["project"], environ={**world["env"], **extra_env})


def test_resolution_order_first_definition_wins(world: dict) -> None:
    home, project = world["home"], world["project"]
    everywhere = [
        "policytui",
        "project",
        "vscode-project",
        "cursor-project",
        "desktop",
        "code",
        "cursor",
        "vscode",
        "windsurf",
    ]
    write(home / ".config/policytui/servers.json", servers(a={"command": "policytui-a"}))
    write(project / ".mcp.json", servers(a={"command": "project-a"}, b={"command": "project-b"}))
    write(
        project / ".vscode/mcp.json",
        {"servers": {"b": {"command": "vscode-b"}, "c": {"command": "vscode-c"}}},
    )
    write(
        project / ".cursor/mcp.json", servers(c={"command": "cursor-c"}, d={"command": "cursor-d"})
    )
    write(
        home / ".config/Claude/claude_desktop_config.json",
        servers(d={"command": "desktop-d"}, e={"command": "desktop-e"}),
    )
    write(
        home / ".claude.json",
        {"mcpServers": {"e": {"command": "code-e"}, "f": {"command": "code-f"}}},
    )
    write(
        home / ".cursor/mcp.json",
        servers(f={"command": "usercursor-f"}, g={"command": "usercursor-g"}),
    )
    write(
        home / ".config/Code/User/mcp.json",
        {"servers": {"g": {"command": "vscode-g"}, "h": {"command": "vscode-h"}}},
    )
    write(
        home / ".codeium/windsurf/mcp_config.json",
        servers(h={"command": "windsurf-h"}, i={"command": "windsurf-i"}),
    )
    got = {name: resolve(world, name).command for name in "abcdefghi"}
    assert got == {
        "a": "policytui-a",
        "b": "project-b",
        "c": "vscode-c",
        "d": "cursor-d",
        "e": "desktop-e",
        "f": "code-f",
        "g": "usercursor-g",
        "h": "vscode-h",
        "i": "windsurf-i",
    }
    assert len(everywhere) == 9


def test_claude_code_project_entry_comes_before_its_user_entry(world: dict) -> None:
    write(
        world["home"] / ".claude.json",
        {
            "mcpServers": {"db": {"command": "user-db"}},
            "projects": {str(world["project"]): {"mcpServers": {"db": {"command": "local-db"}}}},
        },
    )
    spec = resolve(world, "db")
    assert spec.command == "local-db"
    assert "Claude Code (this project)" in spec.origin


def test_macos_locations_are_read(world: dict) -> None:
    support = world["home"] / "Library/Application Support"
    write(support / "Claude/claude_desktop_config.json", servers(mac={"command": "mac-desktop"}))
    write(support / "Code/User/mcp.json", {"servers": {"macvs": {"command": "mac-vscode"}}})
    assert resolve(world, "mac").command == "mac-desktop"
    assert resolve(world, "macvs").command == "mac-vscode"


def test_config_locations_follow_environment_overrides(world: dict) -> None:
    custom = world["tmp"] / "custom-config"
    write(custom / "servers.json", servers(x={"command": "from-custom"}))
    xdg = world["tmp"] / "xdg"
    write(xdg / "Claude/claude_desktop_config.json", servers(y={"command": "from-xdg"}))
    env = {**world["env"], "POLICYTUI_CONFIG_DIR": str(custom), "XDG_CONFIG_HOME": str(xdg)}
    assert resolve_target("x", cwd=world["project"], environ=env).command == "from-custom"
    assert resolve_target("y", cwd=world["project"], environ=env).command == "from-xdg"


def test_vscode_files_may_have_comments_and_trailing_commas(world: dict) -> None:
    write(
        world["project"] / ".vscode/mcp.json",
        """{
      // the team's servers
      "servers": {
        "docs": {"type": "http", "url": "https://example.com/mcp", /* no auth */ },
      },
    }""",
    )
    spec = resolve(world, "docs")
    assert spec.transport == "http" and spec.url == "https://example.com/mcp"


def test_env_references_expand_in_command_args_env_url_and_headers(world: dict) -> None:
    write(
        world["home"] / ".config/policytui/servers.json",
        servers(
            stdio={
                "command": "${env:TOOLS}/server",
                "args": ["--db", "${DB_NAME}", "--mode=${MODE:-fast}"],
                "env": {"API_TOKEN": "${env:MY_TOKEN}"},
                "cwd": "${userHome}/work",
            },
            web={
                "url": "https://${HOST}/mcp",
                "headers": {"Authorization": "Bearer ${env:MY_TOKEN}"},
            },
        ),
    )
    env = {
        "TOOLS": "/opt/tools",
        "DB_NAME": "main",
        "MY_TOKEN": "tok-1234567890",
        "HOST": "mcp.example.com",
    }
    spec = resolve(world, "stdio", **env)
    assert spec.command == "/opt/tools/server"
    assert spec.args == ["--db", "main", "--mode=fast"]
    assert spec.env == {"API_TOKEN": "tok-1234567890"}
    assert spec.cwd == str(world["home"] / "work")
    assert "tok-1234567890" not in spec.describe()
    web = resolve(world, "web", **env)
    assert web.url == "https://mcp.example.com/mcp"
    assert web.headers == {"Authorization": "Bearer tok-1234567890"}
    assert web.describe() == "https://${HOST}/mcp (headers: Authorization)"


def test_missing_variable_is_named_and_no_value_is_shown(world: dict) -> None:
    write(
        world["home"] / ".config/policytui/servers.json",
        servers(
            api={
                "command": "srv",
                "env": {"A": "${env:SECRET_ONE}", "B": "${env:NOT_SET_ANYWHERE}"},
            },
        ),
    )
    with pytest.raises(DiscoveryError) as info:
        resolve(world, "api", SECRET_ONE="value-that-must-not-show")
    message = str(info.value)
    assert message.startswith("Server 'api' from policytui (")
    assert (
        "uses ${env:NOT_SET_ANYWHERE}, but NOT_SET_ANYWHERE is not set in your environment" in message
    )
    assert "value-that-must-not-show" not in message


def test_vscode_input_prompts_are_explained(world: dict) -> None:
    write(
        world["project"] / ".vscode/mcp.json",
        {"servers": {"gh": {"command": "gh-mcp", "env": {"T": "${input:token}"}}}},
    )
    with pytest.raises(DiscoveryError, match=r"asks for \$\{input:token\}, a VS Code prompt"):
        resolve(world, "gh")


def test_unknown_name_suggests_a_close_one(world: dict) -> None:
    with pytest.raises(DiscoveryError) as info:
        resolve(world, "kestr")
    assert str(info.value) == "No server named 'kestr' is configured; did you mean 'kestra'?"


def test_broken_config_file_is_reported_not_fatal(world: dict) -> None:
    write(world["home"] / ".cursor/mcp.json", "{ not json")
    write(world["home"] / ".claude.json", {"mcpServers": {"ok": {"command": "fine"}}})
    assert resolve(world, "ok").command == "fine"
    _rows, scan = find_servers(world["project"], world["env"])
    assert [p.name for p, _ in scan.unreadable] == ["mcp.json"]
    with pytest.raises(DiscoveryError, match="could not read"):
        resolve(world, "zzz-unknown")


def test_config_nested_too_deeply_is_reported_not_fatal(world: dict) -> None:
    write(world["home"] / ".cursor/mcp.json", "[" * 100_000 + "]" * 100_000)
    write(world["home"] / ".claude.json", {"mcpServers": {"ok": {"command": "fine"}}})
    assert resolve(world, "ok").command == "fine"
    _rows, scan = find_servers(world["project"], world["env"])
    assert [(p.name, why) for p, why in scan.unreadable] == [("mcp.json", "is nested too deeply to read")]


def test_entry_without_command_or_url_is_explained(world: dict) -> None:
    write(world["project"] / ".mcp.json", servers(bad={"args": ["x"]}))
    with pytest.raises(DiscoveryError, match="cannot be used: it has neither a command nor a url"):
        resolve(world, "bad")


def test_url_entries_pick_their_transport(world: dict) -> None:
    write(
        world["project"] / ".mcp.json",
        servers(
            a={"type": "sse", "url": "https://h/events"},
            b={"url": "https://h/sse"},
            c={"type": "streamable-http", "url": "https://h/mcp"},
            d={"serverUrl": "https://h/mcp"},
            e={"type": "websocket", "url": "wss://h"},
        ),
    )
    assert [resolve(world, n).transport for n in "abcd"] == ["sse", "sse", "http", "http"]
    with pytest.raises(DiscoveryError, match="has type 'websocket'"):
        resolve(world, "e")


def test_configured_kestra_overrides_the_catalogue(world: dict) -> None:
    assert resolve(world, "kestra").command == "docker"
    write(
        world["home"] / ".config/policytui/servers.json",
        servers(kestra={"command": "uv", "args": ["run", "server.py"]}),
    )
    spec = resolve(world, "kestra")
    assert spec.command == "uv" and spec.fallback_snapshot is None
    rows, _ = find_servers(world["project"], world["env"])
    kestras = [(r.origin, r.status) for r in rows if r.name == "kestra"]
    assert kestras == [("policytui", "active"), ("built-in catalogue", "shadowed")]


def test_catalogue_kestra_passes_only_set_variables_through(world: dict) -> None:
    spec = resolve(
        world,
        "kestra",
        KESTRA_BASE_URL="http://k:8080/api/v1",
        KESTRA_API_TOKEN="tkn-abcdefgh",
        UNRELATED="x",
    )
    assert spec.env == {
        "KESTRA_BASE_URL": "http://k:8080/api/v1",
        "KESTRA_API_TOKEN": "tkn-abcdefgh",
    }
    assert (
        spec.args[:3] == ["run", "-i", "--rm"]
        and spec.args[-1] == "ghcr.io/kestra-io/mcp-server-python:latest"
    )
    assert ["-e", "KESTRA_API_TOKEN"] == spec.args[5:7]
    assert "tkn-abcdefgh" not in spec.describe()


def test_project_root_is_found_from_a_subfolder_but_home_is_never_a_project(world: dict) -> None:
    sub = world["project"] / "pkg" / "deep"
    sub.mkdir(parents=True)
    assert project_root(sub, world["env"]) == world["project"].resolve()
    assert project_root(world["home"], world["env"]) is None
    labels = [s.label for s in config_sources(world["home"], world["env"])]
    assert "project .mcp.json" not in labels


def test_servers_command_lists_names_and_origins_but_never_values(
    world: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        world["home"] / ".config/policytui/servers.json",
        servers(
            api={
                "command": "srv",
                "args": ["--token", "literal-arg-secret-123"],
                "env": {"API_TOKEN": "literal-env-secret-456"},
            },
            web={
                "url": "https://u:pw-secret-789@h/mcp?key=query-secret-000",
                "headers": {"Authorization": "Bearer header-secret-111"},
            },
            off={"command": "x", "disabled": True},
        ),
    )
    write(world["project"] / ".mcp.json", servers(api={"command": "shadowed"}))
    for key in list(__import__("os").environ):
        if key.startswith(("XDG_", "POLICYTUI_", "CLAUDE_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(world["home"]))
    monkeypatch.chdir(world["project"])
    from policytui.cli import main

    assert main(["servers", "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    rows = {(r["name"], r["origin"]): r for r in document["servers"]}
    assert rows[("api", "policytui")]["status"] == "active"
    assert rows[("api", "project .mcp.json")]["status"] == "shadowed"
    assert rows[("api", "project .mcp.json")]["project"] is True
    assert rows[("api", "policytui")]["envKeys"] == ["API_TOKEN"]
    assert rows[("web", "policytui")]["headerKeys"] == ["Authorization"]
    assert rows[("off", "policytui")]["status"] == "disabled"
    assert rows[("kestra", "built-in catalogue")]["status"] == "active"
    assert main(["servers"]) == 0
    table = capsys.readouterr().out
    for text in (out, table):
        for secret in (
            "literal-arg-secret-123",
            "literal-env-secret-456",
            "pw-secret-789",
            "query-secret-000",
            "header-secret-111",
        ):
            assert secret not in text
    assert "api" in table and "kestra" in table


def test_server_rows_report_missing_variables(world: dict) -> None:
    write(
        world["home"] / ".cursor/mcp.json",
        servers(gh={"command": "gh", "env": {"T": "${env:GH_TOKEN}"}}),
    )
    rows, _ = find_servers(world["project"], world["env"])
    row = next(r for r in rows if r.name == "gh")
    assert row.needs == ["GH_TOKEN"] and row.missing == ["GH_TOKEN"]
    assert row.note == "needs GH_TOKEN (not set)"
