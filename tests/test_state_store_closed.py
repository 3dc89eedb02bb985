"""Every way out of a command that opened a state store closes it.

An SQLite store keeps a thread that checkpoints its file and, once there is something to move, a
`python -I -S` process doing it; a Redis store a connection. These failures come after the store
was opened and end the command, so in a `policytui` process the exit ends what was left open:
they are checked in this process, where a store left open lives on (the gateway run inside
another program, `policytui.cli.main` called by one).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from state_support import free_port, write_policy

from policytui.gateway.runner import GatewayConfig, run_gateway
from policytui.gateway.state import ensure_private_dir
from policytui.gateway.store import open_policy_store
from policytui.gateway.store.redis_store import RedisStore
from policytui.gateway.store.sqlite import _Checkpointer

POLICY = {"version": "1", "default": "allow"}


def _never(handler: Any) -> Any:
    raise AssertionError("the server was to be connected to after the failure")


def _open_stores(state_dir: Path) -> list[_Checkpointer]:
    """The SQLite stores of `state_dir` still open in this process (their checkpoint threads)."""
    return [thread for thread in threading.enumerate()
            if isinstance(thread, _Checkpointer) and thread.is_alive() and thread.path.parent == state_dir]


async def test_a_gateway_whose_recording_cannot_be_opened_closes_the_store_it_opened(tmp_path: Path) -> None:
    """The gateway opens its SQLite store, then its recording, whose folder is gone: it fails
    before serving began, and the store is closed; before, its checkpoint thread (and the
    checkpoint's process) lived on."""
    state_dir = ensure_private_dir(tmp_path / "state")
    config = GatewayConfig(policy_path=write_policy(tmp_path / "policy.json", POLICY), state_dir=state_dir,
                           record=tmp_path / "gone" / "calls.jsonl")
    with pytest.raises(OSError):
        await run_gateway(config, _never)
    assert _open_stores(state_dir) == []


async def test_a_gateway_whose_audit_log_cannot_be_opened_closes_the_store_it_was_given(tmp_path: Path) -> None:
    """`policytui gateway` opens the store and hands it over; the audit log then cannot be
    opened (its folder removed since it was checked): the store is closed all the same."""
    state_dir = ensure_private_dir(tmp_path / "state")
    policy = write_policy(tmp_path / "policy.json", POLICY)
    store = open_policy_store(None, state_dir, policy)
    config = GatewayConfig(policy_path=policy, state_dir=state_dir, audit=tmp_path / "gone" / "audit.jsonl",
                           store=store)
    with pytest.raises(OSError):
        await run_gateway(config, _never)
    assert _open_stores(state_dir) == []


@pytest.mark.parametrize("command", [["approvals", "list"], ["approvals", "show", "abcdef0123456789"], ["counters"]])
def test_approvals_and_counters_close_a_store_whose_check_fails(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Redis on a closed port: the store is opened, its check fails, the command says so
    (exit 1) and closes the store; before, it was left open with its connection pool."""
    from policytui.cli import main

    closed: list[RedisStore] = []
    close = RedisStore.close

    def closing(store: RedisStore) -> None:
        closed.append(store)
        close(store)

    monkeypatch.setattr(RedisStore, "close", closing)
    assert main([*command, "--state", f"redis://127.0.0.1:{free_port()}/0"]) == 1
    assert "did not answer" in capsys.readouterr().err
    assert len(closed) == 1
