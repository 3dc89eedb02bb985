"""Esc typed together with the key behind it, read as the two keys typed.

A terminal sends Alt+key as Esc then the key, so Esc and the next key arriving in one read
(typed fast, over a slow link, or sent by a script) are taken for Alt+key: Textual names a
letter `alt+a`, drops the Esc of a key with no Alt name (Enter, ctrl+s) and, when another Esc
or more than 32 characters follow in the read, turns the Esc into a typed `^`. The editor binds
no Alt key, so every such Esc is the Esc typed: `escape_then_key` splits an Alt+letter event,
and `read_escape_apart` patches Textual's terminal reader for the rest.
"""

from __future__ import annotations

from typing import Any

from textual import events

# Esc b and Esc f in one read Textual takes for ctrl+left and ctrl+right (what iTerm's "natural
# text editing" sends for Option+Left and Option+Right), and Esc and a digit for the character
# Option and that digit type on a Mac (WezTerm sends them so: Esc 5 is `∞`): the key each was
# read from.
_MAC_KEYS = {"\x1bb": "b", "\x1bf": "f", **{f"\x1b{digit}": digit for digit in "0123456789"}}


def escape_then_key(event: events.Event, *, in_field: bool = False) -> list[events.Key] | None:
    """Esc and a character typed right after it, as two keys, when they came as one.

    A terminal sends Alt+a as Esc then `a`, so Esc and `a` arriving in one read are taken for
    Alt+a: `Escape a` typed fast (or sent by a script) left a dialog open and typed nothing, or
    typed the `a` into the Try panel's input instead of leaving it. The editor binds no Alt key,
    so such a key is read as what was typed: Esc, then the character. None for any other key.
    Esc and a digit, read as a Mac's Option+digit character (`∞` for Esc 5), are split too, and
    so are Esc b and Esc f, read as ctrl+left and ctrl+right, except `in_field` (a text field
    has the focus), where they move the cursor a word as iTerm's Option+arrows mean. (A `∞`
    has no use in a tool's name, a limit or JSON; a panel key typed behind Esc has.)
    """
    if not isinstance(event, events.Key) or event.is_forwarded:
        return None
    letter = getattr(event, "escape_letter", None)
    if letter is not None:
        if in_field and not letter.isdigit():
            return None
        return [events.Key("escape", "\x1b"), events.Key(letter, letter)]
    if not event.key.startswith("alt+"):
        return None
    character = event.character
    if not character or len(character) != 1 or not character.isprintable():
        return None
    # The key the character is without Alt: Textual names Alt+D `alt+shift+d`, and `shift+d`
    # is not the `D` a binding names (Esc D left the default as it was).
    key = character if character.isalnum() else event.key.removeprefix("alt+")
    return [events.Key("escape", "\x1b"), events.Key(key, character)]


# Control characters that Esc read together with them would lose: Textual takes Esc and a
# character it cannot name with Alt (Enter, ctrl+s) as the character alone. Not Tab and
# Backspace, which terminals send after Esc for shift+tab and Alt+Backspace (delete a word).
_CONTROLS_AFTER_ESCAPE = frozenset(chr(code) for code in range(0x20)) - {"\x1b", "\x08", "\x09"}


def read_escape_apart() -> None:
    """Make Textual's terminal reader take Esc followed at once by a control key as the two keys.

    A terminal sends Alt+key as Esc then the key, so Esc and the next key in one read (typed
    fast, over a slow link, or by a script) are read as Alt+key, and Textual drops the Alt of a
    key with no Alt name: `Escape Enter` in a dialog, meant to cancel it, added the limit typed
    there and left the dialog open; `Escape ctrl+s` applied the dialog and saved nothing. The
    editor binds no Alt key, so the Esc is kept as the key typed before. Textual's reader is
    patched once per process (every app runs the same reader); the letters read as Alt+letter
    are split by `escape_then_key`.
    """
    from textual._xterm_parser import XTermParser

    if getattr(XTermParser, "_reads_escape_apart", False):
        return
    keys_of = XTermParser._sequence_to_key_events

    def sequence_to_key_events(self: XTermParser, sequence: str, alt: bool = False) -> Any:
        if not alt and sequence in _MAC_KEYS:
            # Read as a Mac key; which it is, Esc and the key or the Mac key, depends on where
            # the focus is when it arrives (`escape_then_key`): marked with the key.
            for event in keys_of(self, sequence):
                event.escape_letter = _MAC_KEYS[sequence]  # type: ignore[attr-defined]
                yield event
            return
        if alt and sequence in _CONTROLS_AFTER_ESCAPE:
            yield events.Key("escape", "\x1b")
            yield from keys_of(self, sequence)
            return
        yield from keys_of(self, sequence, alt)

    # Esc and the keys behind it that make no sequence, when they are more than 32 characters
    # or another Esc follows in the same read, Textual reissues as keys with the Esc as `^`
    # (`Esc Enter Esc` applied the preset dialog it was to cancel, and `Esc Enter` with 31
    # more keys added the limit typed in the dialog and left it open). Ahead of a key it would
    # have split from the Esc (a control key, a letter or digit), the `^` is the Esc typed.
    parse = XTermParser.parse

    def parse_keeping_escape(self: XTermParser, token_callback: Any) -> Any:
        caret: list[events.Key] = []  # a `^` that was an Esc, until the key behind it is seen

        def on_token(token: Any) -> None:
            if caret:
                typed = caret.pop()
                character = getattr(token, "character", None) if isinstance(token, events.Key) else None
                if character and len(character) == 1 and (
                        character in _CONTROLS_AFTER_ESCAPE or character.isalnum()):
                    typed = events.Key("escape", "\x1b")
                token_callback(typed)
            if (getattr(self, "_escape_reissued", False) and isinstance(token, events.Key)
                    and token.key == "circumflex_accent"):
                self._escape_reissued = False  # type: ignore[attr-defined]
                caret.append(token)
                return
            token_callback(token)

        return parse(self, on_token)

    def sequence_to_key_events_marked(self: XTermParser, sequence: str, alt: bool = False) -> Any:
        # Esc alone reaches this only from that reissue, which turns it into `^` next.
        self._escape_reissued = sequence == "\x1b" and not alt  # type: ignore[attr-defined]
        yield from sequence_to_key_events(self, sequence, alt)

    XTermParser._sequence_to_key_events = sequence_to_key_events_marked  # type: ignore[method-assign]
    XTermParser.parse = parse_keeping_escape  # type: ignore[method-assign]
    XTermParser._reads_escape_apart = True  # type: ignore[attr-defined]
