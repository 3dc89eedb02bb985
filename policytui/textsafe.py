"""Untrusted text (tool names, descriptions, server errors, policy keys) made safe to show.

A tool name may carry an escape sequence that would recolour, retitle or rewrite the terminal,
a bidi override that makes it read as something else, or megabytes of text. Everything policytui
shows from a server or a file goes through `visible` first: ordinary text is kept, and every
control or format character is replaced by a visible stand-in. This is the only implementation;
the CLI, the TUI, discovery and the gateway all call it.
"""

from __future__ import annotations

import json
import re

# C0 controls, DEL, C1 controls, zero-width and bidi formatting characters, the Unicode
# line/paragraph separators, BOM and the interlinear annotation characters.
_FORMAT_CHARS = "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT_CHARS}\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT_CHARS}\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control picture", e.g. ␛ for ESC
    if code == 0x7F:
        return "\u2421"  # ␡
    return _escape(match)


def visible(text: str, *, keep_newlines: bool = False, pictures: bool = False) -> str:
    """`text` with every control and format character replaced by a visible stand-in.

    By default a stand-in is an escape (`\\x1b`, `\\u202e`), which reads well in one-line
    messages; `pictures=True` draws C0 controls as Unicode control pictures (`␛`), which the TUI
    uses. With `keep_newlines`, line feeds stay and tabs become four spaces, so descriptions keep
    their shape.
    """
    pattern = _UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE
    shown = pattern.sub(_picture if pictures else _escape, text)
    return shown.replace("\t", "    ") if keep_newlines else shown


def clip(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, saying how much was left out.

    A note at least as long as what it would hide is no saving: then the text is kept whole.
    """
    hidden = len(text) - limit
    if hidden <= 0:
        return text
    note = f"… ({hidden:,} more characters not shown)"
    if len(note) >= hidden:
        return text
    return text[:limit] + note


def quoted_start(text: str, limit: int = 40) -> str:
    """`text` quoted as Python writes it (`'delete'`), clipped to about `limit` characters: for a
    sentence refusing a value typed or pasted, which may be thousands of characters long."""
    return clip(repr(text), limit + 2)


def one_line(text: str, limit: int = 200, *, pictures: bool = False) -> str:
    """A single display line: the first non-blank line of `text`, clipped, made visible."""
    head = text.lstrip()[: limit * 2 if limit else None].split("\n", 1)[0].rstrip()
    return visible(clip(head, limit) if limit else head, pictures=pictures)


def a_few(names: list[str], at_most: int = 3) -> str:
    """Names for a sentence, the first `at_most` of them: "a", "a and b", "a, b and c",
    "a, b, c and 4 more" (an empty list gives "")."""
    named = names[:at_most] + ([f"{len(names) - at_most:,} more"] if len(names) > at_most else [])
    return ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else "".join(named)


def without_secrets(value: object, secrets: tuple[str, ...] | list[str]) -> object:
    """`value` (text, or JSON-like data) with every one of `secrets` replaced by ***.

    For what a server sent back that may quote a credential it was given (a tool description
    or schema default that repeats its token): such text is shown and saved only this way.
    """
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {without_secrets(k, secrets): without_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(item, secrets) for item in value]
    return value


def holds_secrets(value: object, secrets: tuple[str, ...] | list[str]) -> bool:
    """Does any text in `value` (text, or JSON-like data, keys included) hold one of `secrets`?
    Asked before `without_secrets`, which copies: most data holds none and is kept as it is."""
    if isinstance(value, str):
        return any(secret in value for secret in secrets)
    if isinstance(value, dict):
        return any(holds_secrets(k, secrets) or holds_secrets(v, secrets) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_secrets(item, secrets) for item in value)
    return False


def encoded_secrets(secrets: tuple[str, ...] | list[str]) -> tuple[bytes, ...]:
    """The ways each of `secrets` may stand in a line of JSON, longest first: as it is (UTF-8),
    with JSON's escapes, with every character beyond ASCII escaped (`\\u00e9`, as Python's json
    writes by default), and each of those with "/" escaped as "\\/" (as some writers do). A
    line that holds none of them holds none of the secrets; a test for them is a byte search,
    where `holds_secrets` walks every string of the parsed message."""
    forms: set[bytes] = set()
    for secret in secrets:
        for text in (secret, json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(secret)[1:-1]):
            for form in (text, text.replace("/", "\\/")):
                forms.add(form.encode("utf-8", "surrogatepass"))
    return tuple(sorted(forms, key=len, reverse=True))


def line_holds_secrets(line: bytes, forms: tuple[bytes, ...]) -> bool:
    """Does a line of JSON hold one of the secrets that `encoded_secrets` gave `forms` for?"""
    for form in forms:
        if form in line:
            return True
    return False
