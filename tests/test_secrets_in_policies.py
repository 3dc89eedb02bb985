"""A policy is shared, committed and exported, and a denial's reason quotes its condition's value
to the agent, the audit log and recordings: a condition value or a reason that holds a
credential (the recording's rule: a bearer token, a JWT, an AWS key ID, a PEM block, a URL with
a password) is warned about by `policytui validate`, and the warning names where it is without
repeating it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

POLICYTUI = str(Path(sys.executable).parent / "policytui")
BEARER = "8f2kQm4nZ7pLx0wV"
AWS = "AKIAQ7XTRM2ZBPLMN4OV"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC03In0.c2lnbmF0dXJl"


def test_validate_warns_of_a_credential_in_a_condition_or_a_reason_without_repeating_it(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {
        "export": {
            "reason": f"only the nightly job may export (it sends {JWT})",
            "deny_if": [{"path": "args.auth", "op": "eq", "value": f"Bearer {BEARER}"},
                        {"path": "args.rows", "op": "gt", "value": 1000}],
            "require": [{"path": "args.key", "op": "in", "value": ["reports", AWS]}],
        },
        "search": {"require": [{"path": "args.q", "op": "regex", "value": "^[a-z ]+$"}]},
    }}, indent=2), encoding="utf-8")
    result = subprocess.run([POLICYTUI, "validate", str(policy)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr  # a warning: the policy still works as written
    output = result.stdout + result.stderr
    warned = sorted(line.split(": ")[2] for line in output.splitlines() if "looks like a credential" in line)
    assert warned == ["tools.export.deny_if[0].value", "tools.export.reason", "tools.export.require[0].value"], output
    assert "3 warnings" in output
    for secret in (BEARER, AWS, JWT):
        assert secret not in output


async def test_the_editors_problems_panel_warns_of_a_credential_in_a_condition(tmp_path: Path) -> None:
    from test_tui_app import SIZE, kestra, ready, screen_text

    from policytui.tui import make_app

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"list_flows": {
        "deny_if": [{"path": "args.namespace", "op": "eq", "value": f"Bearer {BEARER}"}]}}}), encoding="utf-8")
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")  # the Problems panel
        await pilot.pause()
        text = screen_text(app)
    assert "tools.list_flows.deny_if[0].value: the value looks like a credential" in text, text
