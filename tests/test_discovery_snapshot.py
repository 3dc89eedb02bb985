"""Snapshot files, the built-in Kestra snapshot, and the offline fallback of catalogue servers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import load_server_fixture
from discovery_support import script

from policytui.cli import main
from policytui.discovery import DiscoveryError, load_snapshot, resolve_target
from policytui.discovery.catalogue import CATALOGUE, snapshot_path
from policytui.discovery.snapshot import write_snapshot
from policytui.output_file import OutputFileExists


def test_shipped_kestra_snapshot_is_the_recorded_tool_list() -> None:
    shipped = json.loads(snapshot_path(CATALOGUE["kestra"]).read_text(encoding="utf-8"))
    assert shipped["tools"] == load_server_fixture("kestra-head-14fe3a3")["tools"]
    listing = load_snapshot(snapshot_path(CATALOGUE["kestra"]), default_name="kestra")
    assert len(listing.tools) == 39 and not listing.broken_tools
    assert listing.server_name == "kestra" and listing.transport == "snapshot"


@pytest.mark.parametrize(
    "shape",
    ["snapshot", "fixture", "result", "response", "bare"],
)
def test_snapshot_reader_accepts_the_usual_shapes(tmp_path: Path, shape: str) -> None:
    tools = [{"name": "a", "inputSchema": {"type": "object"}}, {"name": "b"}]
    data = {
        "snapshot": {
            "policytuiSnapshot": 1,
            "serverInfo": {"name": "srv", "version": "2"},
            "instructions": "Hi",
            "tools": tools,
        },
        "fixture": {"server_info": {"name": "srv", "version": "2"}, "tools": tools},
        "result": {"tools": tools, "nextCursor": None},
        "response": {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}},
        "bare": tools,
    }[shape]
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    listing = load_snapshot(path)
    assert [t.name for t in listing.tools] == ["a"]
    assert [(b.index, b.name) for b in listing.broken_tools] == [(1, "b")]
    if shape in ("snapshot", "fixture"):
        assert (listing.server_name, listing.server_version) == ("srv", "2")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{oops", r"is not valid JSON \(line 1, column 2\)"),
        ('{"items": []}', "has no list of tools"),
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply to read"),
    ],
)
def test_bad_snapshot_files_get_one_sentence(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "s.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DiscoveryError, match=message):
        load_snapshot(path)


def test_write_is_atomic_and_replaces_a_file_only_with_force(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": 1}', encoding="utf-8")
    with pytest.raises(OutputFileExists, match="already exists; use --force to replace it"):
        write_snapshot(policy, '{"policytuiSnapshot": 1, "tools": []}\n')
    assert policy.read_text(encoding="utf-8") == '{"version": 1}'
    target = tmp_path / "snap.json"
    write_snapshot(target, '{"policytuiSnapshot": 1, "tools": []}\n')
    with pytest.raises(OutputFileExists):  # a snapshot too: only --force replaces a file
        write_snapshot(target, '{"policytuiSnapshot": 1, "tools": [1]}\n')
    write_snapshot(target, '{"policytuiSnapshot": 1, "tools": [1]}\n', force=True)
    assert json.loads(target.read_text())["tools"] == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "policy.json",
        "snap.json",
    ]  # no temp files


def test_tools_offline_kestra_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "kestra", "--offline", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["offline"] is True
    assert document["offlineReason"] == "--offline asked for the recorded snapshot."
    assert len(document["tools"]) == 39
    manage_flow = next(t for t in document["tools"] if t["name"] == "manage_flow")
    assert manage_flow["category"] and manage_flow["severity"]


def _env_with_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, folder: Path) -> None:
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("POLICYTUI_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)


def test_kestra_without_docker_opens_the_snapshot_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    _env_with_path(monkeypatch, tmp_path, empty)
    assert main(["tools", "kestra", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (
        document["offlineReason"]
        == "Docker is not installed here ('docker' was not found on PATH)."
    )
    assert len(document["tools"]) == 39


def test_kestra_with_a_stopped_docker_opens_the_snapshot_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A docker command that behaves like the real CLI without its daemon.
    folder = tmp_path / "bin"
    folder.mkdir()
    docker = folder / "docker"
    docker.write_text(
        "#!/bin/sh\necho 'docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
        "Is the docker daemon running?' >&2\nexit 125\n"
    )
    docker.chmod(0o755)
    _env_with_path(monkeypatch, tmp_path, folder)
    assert main(["tools", "kestra"]) == 0
    captured = capsys.readouterr()
    assert (
        "Offline snapshot, not the live server: Docker is not running here"
        in captured.err.replace("\n", " ")
    )
    assert "manage_flow" in captured.out


def test_snapshot_of_a_file_and_offline_catalogue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k.json"
    assert main(["snapshot", "kestra", "--offline", "-o", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["policytuiSnapshot"] == 1
    assert document["source"]["transport"] == "stdio"
    assert len(document["tools"]) == 39
    again = tmp_path / "again.json"
    assert main(["snapshot", "--from", str(out), "-o", str(again)]) == 0
    assert json.loads(again.read_text())["tools"] == document["tools"]


def test_tools_table_shows_control_characters_as_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.json"
    path.write_text(
        json.dumps(
            {
                "tools": [
                    {
                        "name": "evil\x1b[31m\u202etool",
                        "description": "[bold]not markup[/bold] \x1b[2J",
                        "inputSchema": {},
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    assert main(["tools", "--from", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "[bold]not markup[/bold]" in out  # shown as text, never parsed as markup
    assert main(["tools", "--from", str(path), "--json"]) == 0
    raw = capsys.readouterr().out
    assert raw.isascii()
    assert json.loads(raw)["tools"][0]["name"] == "evil\x1b[31m\u202etool"


def test_offline_for_a_server_without_snapshot_says_how_to_make_one() -> None:
    from policytui.discovery.lister import list_target

    spec = resolve_target(command=script("paginating.py"))
    with pytest.raises(
        DiscoveryError, match=r"There is no offline snapshot of 'paginating.py'; record one with"
    ):
        list_target(spec, offline=True, timeout=5)
    assert os.environ.get("PATH")  # the real environment was left alone
