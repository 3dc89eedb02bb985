"""`policytui approvals` on held calls an earlier gateway stored.

An earlier gateway took `--approval-timeout inf` and stored a held call that never expires;
`approvals` then ended in a traceback (`OverflowError: cannot convert float infinity to
integer`) when it said the time left. The call is written here as that gateway wrote it, through
the same store, and read with the installed command.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from state_support import cli

from policytui.gateway.approvals import LONGEST_WAIT, PendingApproval
from policytui.gateway.store import open_store

APPROVAL_ID = "58aa1b0b71c6"


def _held_by_an_earlier_gateway(state: Path, expires: float, written: object = None) -> str:
    """The state URL of a store holding one call, as an earlier gateway stored it; `written`,
    when given, is the expiry its record says (a damaged one), `expires` the store's own."""
    store = open_store(f"sqlite://{state / 'state.sqlite'}", state)
    held = PendingApproval(id=APPROVAL_ID, tool="echo", arguments={"message": "approve me"},
                           args_sha256="0" * 64, reason="echoes go to the whole team",
                           rule="tools.echo", created=time.time(), expires=expires,
                           pid=os.getpid(), host="elsewhere")
    record = held.to_json() if written is None else {**held.to_json(), "expires": written}
    try:
        assert store.put_request(held.id, record, held.expires)
    finally:
        store.close()  # as the earlier gateway did when it stopped
    return f"sqlite://{state / 'state.sqlite'}"


def _seconds_left(line: str) -> int:
    return int(line.rsplit(" ", 3)[-3])


def test_a_call_an_earlier_gateway_held_for_good_is_listed_with_at_most_a_day_left(tmp_path: Path) -> None:
    url = _held_by_an_earlier_gateway(tmp_path, float("inf"))
    listed = cli("approvals", "--state", url)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith(APPROVAL_ID))
    assert line.endswith(" s left")
    assert LONGEST_WAIT - 120 < _seconds_left(line) <= LONGEST_WAIT
    shown = cli("approvals", "show", APPROVAL_ID, "--state", url)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    assert "echoes go to the whole team" in shown.stdout
    left = next(line for line in shown.stdout.splitlines() if line.startswith("time left: "))
    assert LONGEST_WAIT - 120 < int(left.split()[2]) <= LONGEST_WAIT


@pytest.mark.parametrize("written", ["soon", [1]])
def test_a_held_call_whose_record_has_no_readable_expiry_is_not_waiting(tmp_path: Path, written: object) -> None:
    url = _held_by_an_earlier_gateway(tmp_path, time.time() + 600, written)
    listed = cli("approvals", "--state", url)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert APPROVAL_ID not in listed.stdout
    approved = cli("approvals", "approve", APPROVAL_ID, "--state", url)
    assert "Traceback" not in approved.stderr, approved.stderr
    assert approved.returncode != 0 and "approved and sent" not in approved.stdout
