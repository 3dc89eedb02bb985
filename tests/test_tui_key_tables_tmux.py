"""The keys the README and docs/tui.md list are the editor's own, read from the running program.

`policytui connect` runs inside tmux (180x60); the test reads the footer, then the help screen
(`?`, scrolled to its end), and compares the keys they show with the key tables of README.md
and docs/tui.md: every key in the footer is in both tables, every key on the help screen is in
docs/tui.md's, and neither table lists a key the help screen does not have.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from test_tui_e2e_tmux import Terminal

ROOT = Path(__file__).resolve().parent.parent
POLICYTUI = str(Path(sys.executable).with_name("policytui"))
# Keys that move in the table: on the help screen, and in docs/tui.md's prose under the table.
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
MOVING = {"up", "down", "pgup", "pgdn", "home", "end", "k", "j", "g", "G"}


def _key(shown: str) -> str:
    shown = shown.strip()
    if shown.startswith("^") and len(shown) > 1:
        return "ctrl+" + shown[1:].lower()
    return shown.lower() if shown.lower() in {"esc", "space"} else shown


def _table_keys(path: Path, heading: str, key_columns: tuple[int, ...]) -> set[str]:
    """The keys in the first table after `heading`: every `key` in the key columns, `1`-`6`
    counted as each digit."""
    text = path.read_text(encoding="utf-8")
    rows = []
    for line in text[text.index(heading):].splitlines()[1:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    keys: set[str] = set()
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        for column in key_columns:
            cell = cells[column]
            span = re.fullmatch(r"`(\d)`-`(\d)`", cell)
            if span:
                keys |= {str(n) for n in range(int(span[1]), int(span[2]) + 1)}
                continue
            keys |= {_key(k) for k in re.findall(r"`([^`]+)`", cell)}
    return keys


def _footer_keys(screen: str) -> set[str]:
    footer = screen.rstrip("\n").splitlines()[-1].replace("▏", " ")
    words = footer.split()
    return {_key(words[i]) for i in range(0, len(words) - 1, 2)}


def _help_keys(screen: str) -> set[str]:
    keys = set()
    for line in screen.splitlines():
        found = re.search(r"│   (\S+) {2,}\S", line)
        if found:
            keys |= {_key(k) for k in found[1].split(",")}
    return keys


@pytest.mark.timeout(120)
def test_the_key_tables_agree_with_the_footer_and_the_help_screen(terminal: Terminal, tmp_path: Path) -> None:
    terminal.start([POLICYTUI, "connect", "kestra", "--offline", "--policy", str(tmp_path / "p.json")],
                   cwd=tmp_path, size=(180, 60))
    screen = terminal.wait("the footer", lambda s: "a Allow" in s and "palette" in s, 60)
    footer = _footer_keys(screen)
    assert {"a", "d", "b", "ctrl+s", "ctrl+p"} <= footer, footer
    terminal.keys("?")
    first = terminal.wait("the help screen", lambda s: "Show every key" in s)
    terminal.keys("End")
    last = terminal.wait("the end of the help screen", lambda s: "Mark the tool" in s)
    shown = _help_keys(first) | _help_keys(last)
    assert {"ctrl+q", "ctrl+c", "?", "space", "esc", "6", "P"} <= shown, shown
    terminal.keys("Escape", "C-q")

    readme = _table_keys(ROOT / "README.md", "### The editor", (0, 2))
    tui = _table_keys(ROOT / "docs" / "tui.md", "## Keys", (0,))
    assert footer - readme == set(), "README.md's key table leaves out keys the footer shows"
    assert footer - tui == set(), "docs/tui.md's key table leaves out keys the footer shows"
    assert shown - MOVING - tui == set(), "docs/tui.md's key table leaves out keys the help screen shows"
    assert readme - shown == set(), "README.md lists keys the editor does not have"
    assert tui - shown == set(), "docs/tui.md lists keys the editor does not have"
    prose = (ROOT / "docs" / "tui.md").read_text(encoding="utf-8")
    assert all(f"`{k}`" in prose for k in ("j", "k", "g", "G")), "docs/tui.md does not say the moving keys"
