"""Evaluating argument conditions, fail-closed.

`evaluate` answers True, False, or None when the argument is missing or of the wrong type for
the op, or when the server may read the call otherwise than the gateway does. The caller turns
None against the agent: a `require` fails, a `deny_if` or `require_approval_if` holds. Only
`exists` never counts a missing argument against the caller.

What the server does with the arguments is not what the gateway sees in every case, and a
condition must hold for every reading a server may make:
- the MCP Python SDK turns a top-level text argument holding a JSON list, object or null
  (`"paths": "[\"/etc/shadow\"]"`) into that value before its tool sees it;
- a JavaScript server reads every number as a double, so integers past 2**53 round
  (9007199254740993 arrives as 9007199254740992);
- validators coerce ("1" or true where an integer is expected arrive as 1): a value of another
  JSON type than the one compared with, at any depth, is the wrong type;
- a server that opens a path or fetches a URL resolves its dot segments and repeated slashes:
  `/srv/../etc/passwd` and `//etc/passwd` are `/etc/passwd` to it;
- a server that matches names by their Unicode normal form (server-filesystem opens `Privé`,
  written composed, for `Prive` and a combining accent) reads texts differing only in it as
  one: the condition, its value and the arguments all in NFC, must agree;
- a pattern's `$` ends the text in Go (Intercept) and JavaScript, and also before a final
  newline in Python: on a text ending with one, both readings of the pattern must agree.
When the readings disagree, the answer is None.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import posixpath
import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from policytui.decision.key_forms import alike_in_nfc, compatibility_folded, in_nfc
from policytui.decision.relative_paths import folders_named

if TYPE_CHECKING:
    from policytui.policy.model import Condition

_MISSING = object()


def lookup(args: Any, path: str) -> Any:
    """The value at `args.a.b` (numeric parts index lists), or the _MISSING marker."""
    node: Any = args
    for part in path.split(".")[1:]:
        if isinstance(node, dict):
            if part not in node:
                return _MISSING
            node = node[part]
        elif isinstance(node, list) and part.isdigit():
            index = int(part)
            if index >= len(node):
                return _MISSING
            node = node[index]
        else:
            return _MISSING
    return node


def _found_but_for_case(args: Any, path: str) -> bool:
    """Whether the argument at `args.a.b`, missing as spelled, is there under keys that differ
    from it only in letter case (`Force` for `force`; `\u017f` and `\u212a`, which Go folds to
    `s` and `k`, included). Go's encoding/json fills a struct field from such a key, so a
    server on it (mark3labs/mcp-go) reads the argument the gateway found missing; so does one
    that reads keys in Unicode compatibility form (NFKC) under a fullwidth or ligature spelling
    (`key_forms.compatibility_folded`). Only `exists` needs this: every other op already counts
    a missing argument against the caller."""
    node: Any = args
    for part in path.split(".")[1:]:
        if isinstance(node, dict):
            if part in node:
                node = node[part]
                continue
            wanted = compatibility_folded(part)
            alike = [key for key in node if isinstance(key, str) and compatibility_folded(key) == wanted]
            if not alike:
                return False
            node = node[alike[-1]]  # Go keeps the last of the keys one field matches
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return node is not args


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_number(value: Any) -> bool:
    # NaN compares false with everything, so `gt 1000` would let it through: it is no number.
    if isinstance(value, float) and math.isnan(value):
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# How long one pattern may search one argument. Python's matcher can take exponential time on
# an argument a caller crafts ("(a|a)*$" against "aaa...!") or quadratic time on a long one
# ("\s+$" against 100,000 spaces), and the gateway matches on its event loop: every client
# would wait. A search that runs out of time answers None, against the caller.
_REGEX_SECONDS = 0.1


class _SearchTooLong(Exception):
    pass


_searching = False


def _on_alarm(signum: int, frame: Any) -> None:
    if _searching:
        raise _SearchTooLong


def _can_time_a_search() -> bool:
    """A timer can bound the search: in the main thread (where signals arrive), with SIGALRM
    free (not another program's, such as a test runner's timeout) and no timer running."""
    if threading.current_thread() is not threading.main_thread():
        return False
    handler = signal.getsignal(signal.SIGALRM)
    if handler is signal.SIG_DFL:
        signal.signal(signal.SIGALRM, _on_alarm)
    elif handler is not _on_alarm:
        return False
    return signal.getitimer(signal.ITIMER_REAL)[0] == 0


# A pattern holds `$` that may end the text: Python's `$` also matches before a final newline,
# where Go's (Intercept, the export) and JavaScript's do not.
_MAY_END = object()


@lru_cache(maxsize=1024)
def _ending_at_the_end(pattern: str) -> re.Pattern[str] | object | None:
    """`pattern` with each `$` matching only at the very end of the text (`\\Z`), as Go and
    JavaScript read it; None when it has no such `$` (or `$` ends lines, under the MULTILINE
    flag, the same in all three); `_MAY_END` when the pattern cannot be rewritten here."""
    try:
        # The matcher's own parser and compiler (private: a new Python may change them).
        _parser, _compiler, _constants = (importlib.import_module(f"re.{name}")
                                          for name in ("_parser", "_compiler", "_constants"))
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.MULTILINE or not _to_the_very_end(parsed, _constants):
            return None
        return _compiler.compile(parsed, parsed.state.flags)
    except Exception:  # the matcher's internals differ on another Python: judge it unsure
        return _MAY_END if "$" in pattern else None


def _to_the_very_end(parsed: Any, constants: Any) -> bool:
    """Make every end-of-text `$` in a parsed pattern (`re._parser`) match only at the very end;
    whether there was one."""
    changed = False
    data = parsed.data
    for index, (op, arg) in enumerate(data):
        if op is constants.AT and arg is constants.AT_END:
            data[index] = (op, constants.AT_END_STRING)
            changed = True
            continue
        for part in arg if isinstance(arg, (tuple, list)) else (arg,):
            for inner in part if isinstance(part, list) else (part,):
                if hasattr(inner, "data"):
                    changed = _to_the_very_end(inner, constants) or changed
    return changed


def _search(pattern: str, text: str) -> bool | None:
    """Does `pattern` occur in `text`? None when the search ran out of time, or when the answer
    rests on how `$` is read: on a text that ends with a newline, Python's `$` also matches
    before it, Go's and JavaScript's only after it (`require args.branch regex ^[a-z]+$` let
    "main\\n" through to a server that then ran a command with it); both readings must agree."""
    found = _search_compiled(_compiled(pattern), text)
    if found is None or not text.endswith("\n"):
        return found
    strict = _ending_at_the_end(pattern)
    if strict is None:
        return found
    if not isinstance(strict, re.Pattern):
        return None
    return found if _search_compiled(strict, text) == found else None


def _search_compiled(compiled: re.Pattern[str], text: str) -> bool | None:
    """Does `compiled` occur in `text`? None when the search ran out of time. Outside the main
    thread (the editor's and replay's workers) the search is not bounded."""
    global _searching
    if not hasattr(signal, "setitimer") or not _can_time_a_search():
        return compiled.search(text) is not None
    _searching = True
    signal.setitimer(signal.ITIMER_REAL, _REGEX_SECONDS)
    try:
        return compiled.search(text) is not None
    except _SearchTooLong:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _searching = False


def _same(a: Any, b: Any) -> bool | None:
    """JSON equality, all the way down: 1 == 1.0, but true is not 1, nor [true] [1]. None
    when somewhere the two differ in JSON type but a validator may coerce one into the other
    ("5" against 5, [true] against [1]): the wrong type."""
    kind = _json_kind(a)
    if kind != _json_kind(b):
        return None if _coercible(a, b) or _coercible(b, a) else False
    if kind == "array":
        if len(a) != len(b):
            return False
        return _all_of(_same(x, y) for x, y in zip(a, b, strict=True))
    if kind == "object":
        if a.keys() != b.keys():
            return False
        return _all_of(_same(a[k], b[k]) for k in a)
    return bool(a == b)


_TRUE_TEXTS = frozenset(("true", "1", "yes", "on", "t", "y"))
_FALSE_TEXTS = frozenset(("false", "0", "no", "off", "f", "n"))


def _coercible(a: Any, b: Any) -> bool:
    """May a server's validator turn `a` into `b`: pydantic in lax mode (a number's text, a
    boolean into 1 or 0, "yes" into true) or JavaScript's `Number()` and `Boolean()` (as
    `z.coerce` calls them: "0x10" is 16, [16] is 16, any non-empty text is true)?"""
    if isinstance(b, bool):
        if isinstance(a, str):
            return a.strip().lower() in (_TRUE_TEXTS if b else _FALSE_TEXTS) or bool(a) == b
        return _is_number(a) and bool(a) == b
    if _is_number(b):
        if isinstance(a, bool):
            return a == b
        if isinstance(a, str):
            return _text_may_be(a, b)
        if isinstance(a, list) and len(a) == 1:
            return _same(a[0], b) is not False  # Number([16]) is 16
    return False


def _text_may_be(text: str, number: int | float) -> bool:
    """Could a parser read this text as `number`? Compared exactly (a float would round
    "1234567890123456789"), and as doubles too, as JavaScript compares."""
    body = text.strip()
    readings: list[Decimal] = []
    if body == "":
        readings.append(Decimal(0))  # Number("") is 0
    for cleaned in (body, body.replace("_", "")):
        try:
            readings.append(Decimal(cleaned))
        except (InvalidOperation, ValueError):
            pass
        try:
            readings.append(Decimal(int(cleaned, 0)))  # "0x10", "0b10000", "0o20"
        except ValueError:
            pass
    wanted = Decimal(number)
    for value in readings:
        if value == wanted:
            return True
        try:
            if value.is_finite() and float(value) == float(number):
                return True
        except OverflowError:
            continue
    return False


def _settled_by(answers: Iterable[bool | None], decisive: bool) -> bool | None:
    """`decisive` if any answer is it, else None if any is None, else its opposite."""
    unsure = False
    for answer in answers:
        if answer is decisive:
            return decisive
        unsure = unsure or answer is None
    return None if unsure else not decisive


def _all_of(answers: Iterable[bool | None]) -> bool | None:
    """False if any is False, else None if any is None, else True."""
    return _settled_by(answers, False)


def _any_of(answers: Iterable[bool | None]) -> bool | None:
    """True if any is True, else None if any is None, else False."""
    return _settled_by(answers, True)


def evaluate(condition: Condition, args: Any,
             readings: list[tuple[Any, bool]] | None = None) -> bool | None:
    """Does the condition hold for these call arguments? None = missing, wrong type, or read
    otherwise by the server (see the module's docstring). `readings` are
    `server_readings(args)`, when the caller has them already (one call, several conditions)."""
    try:
        result = _evaluate(condition, args)
        normal = _in_normal_form(condition)
        readings = server_readings(args) if readings is None else readings
        if normal is not condition:
            readings = [(args, True), *readings]  # the arguments in NFC are a reading too then
        for reading, sure in readings:
            for other in _answers(condition, normal, reading):
                if other != result and (sure or other is not None):
                    return None  # the server may act on what the gateway did not judge
        for reading, sure in _placed_in_folders(condition, normal, args, readings):
            for other in _answers(condition, normal, reading):
                if other != result and (sure or other is not None):
                    return None  # a relative path the server opens where the condition looks
        return result
    except Exception:  # noqa: BLE001
        # A condition edited in memory past validation (a pattern that does not compile, a
        # text where a number belongs) must not crash a gateway; it counts against the caller.
        return None


def _answers(condition: Condition, normal: Condition, reading: Any) -> Iterator[bool | None]:
    """The condition's answers on one reading: a reading in NFC (`_InNormalForm`) is judged by
    the condition with its value in NFC (`normal`); another reading by the condition as written
    and, when its value is outside normal form (rare), in NFC as well."""
    if isinstance(reading, _InNormalForm):
        yield _evaluate(normal, reading.args)
        return
    yield _evaluate(condition, reading)
    if normal is not condition:
        yield _evaluate(normal, _nfc_texts(reading))


def _placed_in_folders(condition: Condition, normal: Condition, args: Any,
                       readings: list[tuple[Any, bool]]) -> Iterator[tuple[Any, bool]]:
    """The arguments, as sent and as each reading, with every relative path in them placed in
    each folder the condition names (`relative_paths`; a reading in NFC, in the folders the
    condition in NFC names); nothing for the many conditions that name no absolute path."""
    folders = folders_named(condition.op, condition.value)
    if not folders:
        return
    normal_folders = folders if normal is condition else folders_named(normal.op, normal.value)
    for read, sure in [(args, True), *readings]:
        in_nfc = isinstance(read, _InNormalForm)
        texts = read.args if in_nfc else read
        for folder in normal_folders if in_nfc else folders:
            placed = _each_text(texts, partial(_in_folder, folder))
            if placed is not texts:
                yield (_InNormalForm(placed) if in_nfc else placed), sure


def is_relative_path(text: str) -> bool:
    """Whether a server may open `text` as a path relative to a folder of its own (it is
    neither absolute once resolved, `~` included, nor a URL)."""
    read = resolve_path(text)
    return not (read.startswith("/") or (":" in read and _as_url(read) is not None))


def _in_folder(folder: str, text: str) -> str:
    """`text`, when it is a relative path, as a server that opens it in `folder` reads it:
    resolved there (`Keys/../private/a` in /srv is /srv/private/a); other text as it is."""
    if not is_relative_path(text):
        return text  # absolute (`~` is the home folder by now), or a URL
    return _normalized(folder.rstrip("/") + "/" + resolve_path(text), keep_trailing_slash=False)


def relative_path_decides(condition: Condition, args: Any) -> bool:
    """Whether `condition` answers otherwise on `args` once a relative path in them is placed in
    a folder the condition names: the words a denial adds then say why."""
    try:
        as_sent = _evaluate(condition, args)
        normal = _in_normal_form(condition)
        readings = server_readings(args)  # in NFC too: `Ke\u0301ys/a` is Kéys/a to a server
        return any(other != as_sent
                   for placed, _ in _placed_in_folders(condition, normal, args, readings)
                   for other in _answers(condition, normal, placed))
    except Exception:  # noqa: BLE001  # only the wording of a decision already made hangs on it
        return False


def resolved_path_decides(condition: Condition, args: Any) -> bool:
    """Whether `condition` answers otherwise on `args` than on `args` with every text resolved
    as a path: the words a denial adds then say why a path that looks right was refused."""
    try:
        as_sent = _evaluate(condition, args)
        for read in (_paths_resolved(args), _texts_pasted(args)):
            if read is not args and _evaluate(condition, read) != as_sent:
                return True
        return False
    except Exception:  # noqa: BLE001  # only the wording of a decision already made hangs on it
        return False


def normal_form_decides(condition: Condition, args: Any) -> bool:
    """Whether `condition` answers otherwise once its value and `args` are in Unicode normal
    form (NFC): the words a denial adds then say why a name that looks allowed was refused."""
    try:
        as_sent, normal = _evaluate(condition, args), _in_normal_form(condition)
        # As sent, and resolved as a path or pasted into a URL (`server_readings`) before NFC.
        return any(_evaluate(normal, _nfc_texts(read)) != as_sent
                   for read in (args, _paths_resolved(args), _texts_pasted(args)))
    except Exception:  # noqa: BLE001  # only the wording of a decision already made hangs on it
        return False


class _InNormalForm:
    """The reading of the arguments with every text in NFC (`server_readings`): judged by the
    condition with its value in NFC too, since the policy may be written in either form."""

    __slots__ = ("args",)

    def __init__(self, args: Any) -> None:
        self.args = args


_nfc = in_nfc


class _AmbiguousKeys:
    """Stands, in the reading in NFC, for an object holding two keys that are one name in NFC:
    which value a server that normalises keys keeps is not known, so no condition can be
    judged on it (the gateway refuses such a message before deciding: `policytui.gateway.wire`;
    this holds for arguments decided from elsewhere, a replayed recording, say)."""

    __slots__ = ()


def _nfc_texts(value: Any) -> Any:
    """`value` with every text in it, and every object's keys, in NFC (a server that matches
    names by it may read a key as it does a value, and `args.café` then names `cafe` and
    U+0301 too); `value` itself when that changes nothing. One walk, as `_each_text`."""
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, dict):
        out: dict[Any, Any] | None = None
        for key, item in value.items():
            new = _nfc_texts(item)
            if new is not item:
                out = dict(value) if out is None else out
                out[key] = new
        current = value if out is None else out
        if _ascii_keys(current):
            return current  # a cheap test first: most keys are ASCII, their own normal form
        if alike_in_nfc(current) is not None:
            return _AmbiguousKeys()
        return {_nfc(key): item for key, item in current.items()}
    if isinstance(value, list):
        entries: list[Any] | None = None
        for index, item in enumerate(value):
            new = _nfc_texts(item)
            if new is not item:
                entries = list(value) if entries is None else entries
                entries[index] = new
        return value if entries is None else entries
    return value


def _ascii_keys(value: dict[Any, Any]) -> bool:
    """Whether every key of `value` is ASCII text (a JSON object's keys are all text)."""
    try:
        return "".join(value).isascii()
    except TypeError:
        return True  # keys that are not text (a dict built in code) have no normal form


def _in_normal_form(condition: Condition) -> Condition:
    """`condition` with its value's texts, and the argument it names, in NFC; `condition`
    itself when they are already."""
    value, path = _nfc_texts(condition.value), _nfc(condition.path)
    if value is condition.value and path == condition.path:
        return condition
    return condition.model_copy(update={"value": value, "path": path})


def undecided_because(condition: Condition, args: Any) -> str | None:
    """Why `condition` could not be judged on the value sent, when that is so: the words a
    denial adds, so that "denied because args.force eq true" does not claim a value nobody
    sent. None when the value sent decided it."""
    try:
        if condition.op == "exists":
            if _evaluate(condition, args) is None:
                return (f"{condition.path} is sent under a key differing only in letter case, "
                        "which a server may read as it, and counts against the caller")
            return None
        if lookup(args, condition.path) is _MISSING:
            return f"{condition.path} is missing, which counts against the caller"
        if _evaluate(condition, args) is None:
            value = lookup(args, condition.path)
            if (condition.op == "regex" and isinstance(value, str) and value.endswith("\n")
                    and isinstance(condition.value, str) and "$" in condition.value):
                return (f"{condition.path} ends with a newline, before which `$` matches in "
                        "Python's reading but not in Go's or JavaScript's, which counts against "
                        "the caller")
            if condition.op == "regex" and isinstance(value, str):
                # Text, so the type was right: the search of it ran out of time.
                return (f"the search of {condition.path} for the pattern ran out of time "
                        f"after {_REGEX_SECONDS:g} s, which counts against the caller")
            return f"{condition.path} is of another type, which counts against the caller"
        return None
    except Exception:  # noqa: BLE001  # only the wording of a decision already made hangs on it
        return None


# The words added to a denial that placing a relative path in a folder decided.
RELATIVE_PATH_NOTE = ("judged on the value as a relative path a server opens in a folder of its "
                      "own, which may be one the condition names")

# The words added to a denial that Unicode normalization decided.
NORMAL_FORM_NOTE = ("judged on the text in Unicode normal form (NFC) too, as a server that "
                    "matches names by it reads it")

# The words added to a denial that resolving a path decided; no argument value is in them, as
# an audit log keeps none.
RESOLVED_PATH_NOTE = ("judged on the value as a server opens it, with its path resolved "
                      "(. and .. segments, repeated slashes, escapes, a trailing slash; "
                      "cut where a URL's query begins)")


# Past this, a double (a JavaScript server's only number) no longer holds every integer.
_EXACT_IN_A_DOUBLE = 2**53


def server_readings(args: Any) -> list[tuple[Any, bool]]:
    """The arguments as a server may read them besides as sent, each with whether a condition
    must agree on it even where it answers "wrong type":
    - JSON text turned into its value, as the MCP Python SDK does for a parameter not typed as
      text. Only a definite answer counts there: the same text sent to a parameter typed as
      text stays text (a file's JSON content under a `regex` must not be denied for it);
    - JSON text written out again plainly (escapes resolved), which every condition on text
      must agree with: `"[\"\\/etc\\/shadow\"]"` holds "/etc/shadow" for the tool;
    - integers rounded to doubles, as a JavaScript server reads them;
    - every text with its path resolved (`resolve_path`), as a server that opens it as a file
      or fetches it as a URL reads it; every condition must agree with it. Texts inside JSON
      text too, once parsed (only a definite answer counts there, as for the parsed reading);
    - every text cut where a URL's query or fragment would begin (`pasted_into_a_url`), as a
      server that pastes it into a URL it calls reads it; every condition must agree with it;
    - every text in Unicode normal form (NFC), as sent, resolved and pasted, marked
      `_InNormalForm`: `evaluate` judges it with the condition's value in NFC too, and every
      condition must agree with it; JSON text parsed or written out plainly, then in NFC,
      counts as its parsed or plain reading does.
    Each only when it changes something."""
    readings: list[tuple[Any, bool]] = []
    parsed, plain = _json_text_parsed(args)
    if parsed is not args:
        readings.append((parsed, False))
        readings.append((plain, True))
        # A path inside the JSON text reaches the tool inside the list or object.
        parsed_resolved = _paths_resolved(parsed)
        if parsed_resolved is not parsed:
            readings.append((parsed_resolved, False))
    resolved = _paths_resolved(args)
    if resolved is not args:
        readings.append((resolved, True))
    pasted = _texts_pasted(args)
    if pasted is not args:
        readings.append((pasted, True))
    if _has_a_big_integer(args):
        readings.append((_as_doubles(args), True))
    # A path resolved and in NFC is a name too; so is a text inside JSON text once parsed,
    # where a `\u0301` escape leaves the text as sent in ASCII and NFC then changes nothing.
    later: list[tuple[Any, bool]] = [(args, True), (resolved, True), (pasted, True)]
    if parsed is not args:
        later += [(plain, True), (parsed, False), (parsed_resolved, False)]
    for read, sure in later:
        in_nfc = _nfc_texts(read)
        if in_nfc is not read:
            readings.append((_InNormalForm(in_nfc), sure))
    if parsed is not args and _has_a_big_integer(parsed):
        readings.append((_as_doubles(parsed), False))
    return readings


_JSON_WHITESPACE = " \t\r\n"


def _json_text_parsed(args: Any) -> tuple[Any, Any]:
    """`args` with each top-level text value that JSON-parses to a list, an object or null
    replaced by that value, as the MCP Python SDK does for parameters not typed as text
    (`pre_parse_json`), and `args` with that value written out again as plain JSON text;
    `args` itself twice when there is none."""
    if not isinstance(args, dict):
        return args, args
    out: dict[str, Any] | None = None
    plain: dict[str, Any] = {}
    for key, value in args.items():
        if not isinstance(value, str) or value.lstrip(_JSON_WHITESPACE)[:1] not in ("[", "{", "n"):
            continue  # a cheap test first: most text is no JSON list, object or null
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            continue  # the SDK leaves such text as it is
        if isinstance(parsed, (str, int, float)):
            continue  # so does it for JSON text, numbers and booleans
        if out is None:
            out = dict(args)
            plain = dict(args)
        out[key] = parsed
        try:
            plain[key] = json.dumps(parsed, ensure_ascii=False)
        except ValueError:  # NaN and the like: no plain form, and the server reads it oddly
            plain[key] = None
    return (args, args) if out is None else (out, plain)


# Where a URL's path begins: after "scheme://authority".
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
# A scheme and two slashes as a WHATWG URL parser (Node's `fetch` and `new URL`) finds them:
# it drops tabs and line breaks anywhere, and reads a backslash as a slash in these schemes.
_URL_OPENING = re.compile(r"[A-Za-z][A-Za-z0-9+.\-\t\n\r]{0,40}:[\t\n\r]*[/\\][\t\n\r]*[/\\]")
_BACKSLASH_SCHEMES = frozenset(("http", "https", "ws", "wss", "ftp", "file"))
# The same parser reads any run of slashes and backslashes after the colon of these schemes,
# none or one or three alike, as the two before the host: `https:/h/a`, `https:h/a` and
# `https:///h/a` all fetch h. `file:` followed by anything but two slashes is a local path
# (`file:/etc/passwd` is `file:///etc/passwd`). This pattern is only a cheap first test.
_SPECIAL_OPENING = re.compile(r"(?i)(?:[\t\n\r]*[a-z]){2,5}[\t\n\r]*:")
_HOST_SCHEMES = frozenset(("http", "https", "ws", "wss", "ftp"))
_SLASHES_AT_START = re.compile(r"[/\\]*")
_URL_DROPPED = re.compile("[\t\n\r]")
# WHATWG also trims C0 controls and spaces around a URL.
_URL_TRIMMED = "".join(chr(code) for code in range(0x21))
_PATH_OPENINGS = ("/", ".", "~")
# Percent escapes a server may decode before it opens a path or serves a URL: `%2f` (a slash to
# a server that decodes the whole path) and the unreserved characters (`%61dmin` is `admin` to
# every web server, RFC 3986 6.2.2.2), each also escaped again (`%252e`: a server that decodes
# twice). Others (`%20`, `%3f`) change what the text means and are left as written.
_ESCAPE = re.compile(r"%(?:25)*(2[dDeEfF]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])")
# The only characters Unicode normalization (NFC) turns into ASCII. server-filesystem, asked for
# a name it does not find as written, opens the one with the same normal form: `/srv/\u212aeys`
# (a Kelvin sign) opens `/srv/Keys`.
_NFC_ASCII = {"\u212a": "K", "\u1fef": "`", "\u037e": ";"}
_NFC_TO_ASCII = re.compile("[\u212a\u1fef\u037e]")
# A URL path parameter, which Java servers (Tomcat, Jetty) drop: `/public/..;/admin` is /admin.
_PATH_PARAMETER = re.compile(r";[^/]*")
_BLANK = re.compile(r"\s")
_SLASHES = re.compile(r"/{2,}")


def resolve_path(text: str) -> str:
    """`text` as a server opening it as a path (or fetching it as a URL) reads it: percent
    escapes of `.`, `/` and the unreserved characters decoded, `.` and `..` segments resolved
    and repeated slashes made one, a leading `~` as the gateway's home (a server it starts
    shares it), characters NFC makes ASCII made so. A URL is read as a WHATWG parser reads it
    (tabs and line breaks dropped, a backslash a slash in http, https, ws, wss, ftp and file),
    its path alone resolved, `;` path parameters dropped. A trailing slash is kept (`/tmp/` is
    the folder). Text with blank space in it is prose, not a path, unless it begins like one
    (`/`, `.`, `~` or a URL); it comes back unchanged, as does text with nothing to resolve."""
    if text.isascii():
        if "/" not in text and "\\" not in text and "%" not in text and text[:1] != "~":
            return text  # a cheap test first: nothing here can name another path
        read = text
    else:
        read = _NFC_TO_ASCII.sub(_ascii_form, text)
    url = _as_url(read) if ":" in read else None
    resolved = _resolve_url(url) if url is not None else _resolve_file_path(read)
    return text if resolved == text else resolved


def _ascii_form(match: re.Match[str]) -> str:
    return _NFC_ASCII[match.group()]


def _as_url(text: str) -> str | None:
    """`text` as a URL parser reads it, or None when it is no `scheme://` URL."""
    trimmed = text.lstrip(_URL_TRIMMED)
    two_slashes = _URL_OPENING.match(trimmed) is not None
    if not two_slashes and _SPECIAL_OPENING.match(trimmed) is None:
        return None  # a cheap test first: the parts below copy the text
    url = trimmed.rstrip(_URL_TRIMMED)
    if "\t" in url or "\n" in url or "\r" in url:
        url = _URL_DROPPED.sub("", url)
    colon = url.index(":")
    scheme = url[:colon].lower()
    if scheme in _HOST_SCHEMES or scheme == "file":
        read = _with_two_slashes(url, colon, scheme)
        if read is None:
            return None
        url = read
    elif not two_slashes:
        return None
    if scheme in _BACKSLASH_SCHEMES and "\\" in url:
        cut = _query_start(url)
        url = url[:cut].replace("\\", "/") + url[cut:]
    return url if _URL_START.match(url) else None


def _with_two_slashes(url: str, colon: int, scheme: str) -> str | None:
    """`url` of a scheme WHATWG treats specially with the slashes after its colon as that
    parser reads them: two before a host, three before a local path; None when no host
    follows (a parser refuses `https:` alone or `https: x`, so no server fetches it)."""
    slashes = _SLASHES_AT_START.match(url, colon + 1)
    assert slashes is not None
    rest = url[slashes.end():]
    if scheme == "file":
        if slashes.end() - colon == 3 and rest[:1] not in ("/", "\\"):
            return url  # `file://host/path`
        return url[:colon] + ":///" + rest
    if not rest or rest[0] in _URL_TRIMMED or rest[0] in "?#":
        return None
    return url[:colon] + "://" + rest


def _query_start(url: str) -> int:
    return min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))


def _resolve_url(url: str) -> str:
    """The URL with its path resolved; its query and fragment are left alone."""
    head = _URL_START.match(url)
    assert head is not None
    rest = url[head.end():]
    cut = _query_start(rest)
    path, tail = rest[:cut], rest[cut:]
    if "%" in path:
        path = _ESCAPE.sub(_decoded, path)
    if ";" in path:
        path = _PATH_PARAMETER.sub("", path)
    return head.group() + _normalized(path) + tail


def _resolve_file_path(text: str) -> str:
    if not text.startswith(_PATH_OPENINGS) and _BLANK.search(text):
        return text  # prose
    if text[:1] == "~" and "\x00" not in text:
        # `~` and `~user`, as a shell or Python server reads them. A NUL cannot name a user
        # (looking one up raises); servers refuse such a path, so it is left as written.
        text = os.path.expanduser(text)
    if "%" in text:
        text = _ESCAPE.sub(_decoded, text)
    return _normalized(text, keep_trailing_slash=False)


def _decoded(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _normalized(path: str, keep_trailing_slash: bool = True) -> str:
    """`path` with `.` and `..` segments resolved and repeated slashes made one. A trailing
    slash is kept in a URL's path (`/items/` and `/items` are two addresses to a web server)
    and dropped from a file's (`R/private/` and `R/private/.` open `R/private`)."""
    if "/" not in path or ("/." not in path and "//" not in path and path[:1] != "."):
        # A cheap test first: most text has nothing to resolve.
        if keep_trailing_slash or len(path) < 2 or path[-1] != "/":
            return path
        return path[:-1]
    # posixpath keeps a leading "//" (POSIX leaves its meaning open; Linux reads it as "/").
    resolved = posixpath.normpath(_SLASHES.sub("/", path))
    if (keep_trailing_slash and path.endswith(("/", "/.", "/..")) and not resolved.endswith("/")):
        resolved += "/"
    return resolved


def _paths_resolved(value: Any) -> Any:
    """`value` with every text in it resolved as a path (`resolve_path`); `value` itself when
    that changes nothing (nothing is copied then)."""
    return _each_text(value, resolve_path)


def _texts_pasted(value: Any) -> Any:
    """`value` with every text in it read as pasted into a URL (`pasted_into_a_url`)."""
    return _each_text(value, pasted_into_a_url)


def _each_text(value: Any, read: Callable[[str], str]) -> Any:
    """`value` with `read` applied to every text in it; `value` itself when that changes
    nothing (nothing is copied then)."""
    if isinstance(value, str):
        return read(value)
    if isinstance(value, dict):
        out: dict[Any, Any] | None = None
        for key, item in value.items():
            new = _each_text(item, read)
            if new is not item:
                out = dict(value) if out is None else out
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        entries: list[Any] | None = None
        for index, item in enumerate(value):
            new = _each_text(item, read)
            if new is not item:
                entries = list(value) if entries is None else entries
                entries[index] = new
        return value if entries is None else entries
    return value


_QUERY_OR_FRAGMENT = re.compile(r"[?#]")


def pasted_into_a_url(text: str) -> str:
    """`text` as a server that pastes it into a URL it calls reads it (Kestra's server builds
    `/namespaces/{namespace}/kv/{key}`): cut at its first `?` or `#`, where the URL's query or
    fragment begins, and resolved as a path (`prod/.#` is namespace `prod`). Left as written
    when blank space comes before the cut (a value with a space in it is escaped into the URL,
    so no longer the same name) and for a URL itself, whose query is its own."""
    if "?" not in text and "#" not in text:
        return text  # a cheap test first
    cut = _QUERY_OR_FRAGMENT.search(text)
    assert cut is not None
    head = text[:cut.start()]
    if _BLANK.search(head) or (":" in head and _as_url(text) is not None):
        return text
    return resolve_path(head)


def _has_a_big_integer(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, int) and not isinstance(node, bool):
            if abs(node) > _EXACT_IN_A_DOUBLE:
                return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _as_doubles(value: Any) -> Any:
    """`value` with every integer past 2**53 as the double a JavaScript server reads."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) <= _EXACT_IN_A_DOUBLE:
            return value
        try:
            return float(value)
        except OverflowError:
            return math.copysign(math.inf, value)
    if isinstance(value, dict):
        return {key: _as_doubles(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_doubles(item) for item in value]
    return value


def _evaluate(condition: Condition, args: Any) -> bool | None:
    actual = lookup(args, condition.path)
    op, expected = condition.op, condition.value
    if op == "exists":
        if actual is _MISSING and _found_but_for_case(args, condition.path):
            return None  # a server that folds letter case reads the argument as there
        return (actual is not _MISSING) == bool(expected)
    if actual is _MISSING:
        return None
    if op in ("eq", "neq"):
        if _json_kind(actual) != _json_kind(expected):
            return None
        equal = _same(actual, expected)
        return equal if op == "eq" or equal is None else not equal
    if op in ("in", "not_in"):
        if isinstance(actual, (dict, list)):
            return None
        # Like eq: an argument of a kind none of the listed values has ("5" against [5, 6])
        # is the wrong type, not simply "not in the list".
        if expected and all(_json_kind(item) != _json_kind(actual) for item in expected):
            return None
        found = _any_of(_same(actual, item) for item in expected)
        return found if op == "in" or found is None else not found
    if op in ("lt", "lte", "gt", "gte"):
        if not _is_number(actual):
            return None
        if op == "lt":
            return actual < expected
        if op == "lte":
            return actual <= expected
        if op == "gt":
            return actual > expected
        return actual >= expected
    if op == "regex":
        if not isinstance(actual, str):
            return None
        return _search(expected, actual)
    if op == "contains":
        if isinstance(actual, str):
            return (expected in actual) if isinstance(expected, str) else None
        if isinstance(actual, list):
            # An item of another type than the value ("1" or true against 1) is the wrong
            # type, unless another item is the value.
            return _any_of(_same(item, expected) for item in actual)
        return None
    return None  # an op the model does not know never allows anything
