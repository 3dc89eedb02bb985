"""A dialog is laid out for the terminal's size from its first frame: the installed
`policytui connect kestra --offline` runs in tmux, the terminal is resized as a person drags
the window, and every screen read back while the dialog opens is judged, the first one too.

Under 80 columns the limits form stacks its fields, one a line with its label on the left
(dialogs.tcss, `.-narrow`). A dialog drawn once with its side-by-side layout in a narrow
terminal runs its labels into each other ("max callsper", "counter (shared byscope").
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_tui_e2e_tmux import Terminal, table_row
from test_tui_person_tmux import policytui

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# The user's sequence, done this many times in one editor: the wide layout's first frame in
# a narrow terminal lasts a tenth of a second or so, and one look in a few can miss it.
ROUNDS = 5
# The side-by-side form's labels: in a narrow terminal they ran into each other.
WIDE_LABEL = "counter (shared by"
# The stacked form: each label on its own line, left of its field.
NARROW_ROWS = (r"│ max calls e\.g\. 30\b", r"│ per\s+minute\b", r"│ counter\s+backfill_executions_rate\b",
               r"│ scope\s+grant\b")


def dialog_drawn(screen: str) -> bool:
    """The limits dialog is on the screen, its title and its buttons at the foot drawn."""
    return "Limits for backfill_executions" in screen and "Apply [ctrl+s]" in screen


def stacked(screen: str) -> bool:
    return all(re.search(row, screen) for row in NARROW_ROWS)


def open_limits_narrow(terminal: Terminal, size: str) -> None:
    """`l`; the first screen that shows the dialog, and each one after it until its form has
    settled, has the stacked form and never the side-by-side one."""
    terminal.keys("l")
    first = terminal.wait("the limits dialog", dialog_drawn, timeout=30)
    seen = [first]

    def settled_form(screen: str) -> bool:
        seen.append(screen)
        return stacked(screen)

    settled = terminal.poll(settled_form, timeout=30)
    assert settled is not None, f"the stacked form never showed at {size}:\n{seen[-1]}"
    for screen in seen:
        assert WIDE_LABEL not in screen and "max callsper" not in screen, (
            f"the limits dialog drew its side-by-side form at {size}:\n{screen}")
    assert stacked(first), f"the first frame of the limits dialog at {size} was not stacked:\n{first}"


def resize(terminal: Terminal, width: int, height: int) -> None:
    """Resize the terminal and wait for the editor to have redrawn at the new size: its footer
    ends with the palette's key at the right edge (tmux cuts or pads the lines drawn for the
    old size), so the key typed next reaches an editor that knows its new size."""
    terminal.resize(width, height)

    def redrawn(screen: str) -> bool:
        lines = screen.splitlines()
        footer = lines[-1].rstrip() if len(lines) == height else ""
        return footer.endswith("^p") and len(footer) >= width - 3

    terminal.wait(f"the editor redrawn at {width}x{height}", redrawn, timeout=30)


def close_dialog(terminal: Terminal) -> None:
    terminal.keys("Escape")
    terminal.wait("the dialog closed", lambda screen: "Limits for" not in screen, timeout=30)


def test_limits_dialog_is_stacked_from_its_first_frame_after_resizes(terminal: Terminal, tmp_path: Path) -> None:
    terminal.start([*policytui(), "connect", "kestra", "--offline", "--policy", str(tmp_path / "policy.json")],
                   cwd=tmp_path, size=(100, 30))
    terminal.wait("the tools in the table", lambda screen: bool(table_row(screen, "backfill_executions")), timeout=30)
    for _ in range(ROUNDS):
        resize(terminal, 100, 30)
        terminal.keys("l")
        terminal.wait("the side-by-side form at 100x30", lambda screen: "counter (shared by name)" in screen)
        close_dialog(terminal)

        resize(terminal, 60, 20)
        open_limits_narrow(terminal, "60x20")
        close_dialog(terminal)

        resize(terminal, 50, 24)
        open_limits_narrow(terminal, "50x24")
        close_dialog(terminal)
