"""The editor's view of untrusted server text: control characters drawn as pictures (␛).

The rules themselves live in `policytui.textsafe`; this only picks the TUI's style, where a
control picture reads better than an escape in a table cell.
"""

from __future__ import annotations

from policytui.textsafe import clip
from policytui.textsafe import one_line as _one_line
from policytui.textsafe import visible as _visible

__all__ = ["clip", "one_line", "visible"]


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """`text` safe for the screen, controls shown as pictures (see `policytui.textsafe`)."""
    return _visible(text, keep_newlines=keep_newlines, pictures=True)


def one_line(text: str, limit: int = 200) -> str:
    """The first line of `text`, clipped to `limit`, safe for a table cell."""
    return _one_line(text, limit, pictures=True)
