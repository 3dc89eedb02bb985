"""Making untrusted server text safe to show.

Tool names, titles and descriptions come from the server and may carry terminal escape
sequences, bidi overrides or megabytes of text. Everything the editor shows goes through
`visible()` first, so a control character is drawn as a symbol instead of being sent to the
terminal, and through `clip()` so one huge description cannot stall the screen.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, zero-width and bidi formatting characters, BOM, and the
# Unicode line/paragraph separators: none of these may reach the terminal unescaped.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def _picture(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control picture", e.g. ␛ for ESC
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control/format character replaced by a visible stand-in.

    With `keep_newlines`, line feeds and tabs stay (tabs become four spaces) so descriptions
    keep their shape; everything else that could steer a terminal is made visible.
    """
    if keep_newlines:
        return _UNSAFE_KEEP_LINES.sub(_picture, text).replace("\t", "    ")
    return _UNSAFE.sub(_picture, text)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters not shown)"


def one_line(text: str, limit: int = 200) -> str:
    """A single display line: first line of `text`, clipped, with control characters visible."""
    head = text[: limit * 2].split("\n", 1)[0]
    return visible(clip(head, limit))
