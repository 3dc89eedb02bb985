"""How TARGET, `-- COMMAND`, --from, --header and friends parse for every command taking one."""

from __future__ import annotations

import pytest

from policytui.cli import build_parser
from policytui.cli.target_args import spec_from_args
from policytui.discovery import DiscoveryError


def parse(*argv: str):
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize("command", ["tools", "snapshot"])
def test_a_command_after_dashes_keeps_its_own_options(command: str) -> None:
    extra = ["-o", "x.json"] if command == "snapshot" else ["--json"]
    args = parse(
        command,
        *extra,
        "--timeout",
        "3",
        "--",
        "npx",
        "-y",
        "@scope/server",
        "--json",
        "--timeout",
        "9",
    )
    assert args.target is None
    assert args.server_command == ["npx", "-y", "@scope/server", "--json", "--timeout", "9"]
    assert args.timeout == 3.0
    spec = spec_from_args(args, environ={"PATH": "/bin"})
    assert spec.transport == "stdio" and spec.command == "npx"
    assert spec.args == ["-y", "@scope/server", "--json", "--timeout", "9"]
    assert spec.name == "@scope/server"


def test_a_single_word_command_after_dashes_is_a_command_not_a_name() -> None:
    args = parse("tools", "--", "mcp-server-time")
    assert args.target is None and args.server_command == ["mcp-server-time"]


def test_name_with_options_after_it() -> None:
    args = parse("tools", "kestra", "--json", "--offline")
    assert (args.target, args.json, args.offline, args.server_command) == ("kestra", True, True, [])


def test_url_with_headers_and_sse() -> None:
    args = parse(
        "tools",
        "https://h.example/sse",
        "--sse",
        "--header",
        "Authorization: Bearer ${env:TOK}",
        "--header",
        "X-Team:blue",
    )
    spec = spec_from_args(args, environ={"TOK": "abc-secret-123"})
    assert spec.transport == "sse"
    assert spec.headers == {"Authorization": "Bearer abc-secret-123", "X-Team": "blue"}
    assert "abc-secret-123" not in spec.describe()
    assert "abc-secret-123" in spec.secrets()


def test_header_with_missing_variable_names_it() -> None:
    args = parse("tools", "https://h/mcp", "--header", "Authorization: Bearer ${env:NOPE_TOKEN}")
    with pytest.raises(DiscoveryError, match=r"uses \$\{env:NOPE_TOKEN\}, but NOPE_TOKEN is not set"):
        spec_from_args(args, environ={})


def test_bad_header_is_a_usage_error_that_does_not_echo_the_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        parse("tools", "https://h/mcp", "--header", "no-colon-secret-value")
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "expects 'NAME: VALUE'" in err and "no-colon-secret-value" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tools"], "No server given"),
        (["tools", "kestra", "--", "cmd"], "either a TARGET or a command after --"),
        (["tools", "kestra", "--from", "x.json"], "Give one target"),
        (["tools", "--sse", "--", "cmd"], "--sse only applies to URL targets"),
        (["tools", "ftp://h/x"], "No server named 'ftp://h/x'"),
    ],
)
def test_conflicting_or_missing_targets(argv: list[str], message: str) -> None:
    with pytest.raises(DiscoveryError, match=message):
        spec_from_args(parse(*argv), environ={"HOME": "/nonexistent-home"})


def test_timeout_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("tools", "kestra", "--timeout", "0")
    assert "expects a number of seconds above 0 and at most 86400 (a day), not 0" in capsys.readouterr().err


def test_no_target_at_all_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from policytui.cli import main

    assert main(["tools"]) == 2
    assert "policytui tools: give a TARGET" in capsys.readouterr().err
