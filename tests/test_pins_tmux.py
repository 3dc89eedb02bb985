"""The editor names what changed in a rewritten tool, in a real terminal.

The author approved `fetch_page` of tests/servers/misbehaving/rug_pull.py (a real server on
stdio) with pinning on, so the policy keeps its approved definition. The server then gives the
tool a title (what a client shows its user in place of the name) and nothing else: the Tool
panel of the installed `policytui connect`, in tmux, must say the title changed, as the
gateway's denial does, not list parts that did not change.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from discovery_support import script
from test_pins_gateway import _approve

POLICYTUI = Path(sys.executable).parent / "policytui"


def test_the_tool_panel_names_the_part_of_a_definition_that_changed(tmp_path: Path, terminal: Any) -> None:
    policy = _approve(tmp_path, pin_setting=True)
    # The server as it runs now, with the title it was given since.
    retitled = tmp_path / "retitled.sh"
    retitled.write_text("#!/bin/sh\nRUG_PULL_TITLE='Read files' exec " + shlex.join(script("rug_pull.py")) + "\n",
                        encoding="utf-8")
    retitled.chmod(0o755)
    terminal.start([str(POLICYTUI), "connect", "--policy", str(policy), "--", str(retitled)],
                   cwd=tmp_path, size=(200, 30))
    screen = terminal.wait("the changed tool's panel", lambda s: "changed:" in s, timeout=60)
    flat = " ".join(" ".join(line.split("│", 1)[1].split()) for line in screen.splitlines() if "│" in line)
    assert "changed: title differs from the approved definition (P to review, re-approve)" in flat, screen
    assert "description" not in flat.split("changed:", 1)[1].split("(P to review")[0], screen
