"""A call's arguments as a person types them (`policytui check --args`, the editor's Try panel),
read by the rules the gateway reads a client's message by (`policytui.gateway.wire`).

A decision shown for arguments the gateway would never let through says nothing true: `NaN`,
`Infinity` and a number that overflows to infinity are not JSON, and an object with the same
key twice is refused as ambiguous (two parsers may keep different values), and so is one with
two keys that are the same name in Unicode normal form, differ only in letter case or are one
name in Unicode compatibility form with their case folded (`key_forms`), in the order and the
cases the gateway refuses them. Each is refused here
with one sentence that says why, in plain words rather than the JSON parser's.
"""

from __future__ import annotations

import json
from typing import Any

from policytui.decision.key_forms import (
    alike_but_for_case,
    alike_in_compatibility_form,
    alike_in_nfc,
)
from policytui.policy.display import visible
from policytui.policy.jsonpos import number_problem
from policytui.policy.validate import friendly_json_error


class ArgumentsError(ValueError):
    """Why the text is not arguments the gateway would take; its str is one sentence."""


class _Refused(ValueError):
    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON (the gateway refuses a message holding it)")


def _finite(literal: str) -> float:
    problem = number_problem(literal)
    if problem is not None:
        raise _Refused(problem)
    return float(literal)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        shown = visible(twice if len(twice) <= 40 else twice[:37] + "...")
        raise _Refused(f'the key "{shown}" is twice in one object, which the gateway refuses '
                       "as ambiguous")
    alike = alike_in_nfc(found)
    if alike is not None:
        first, second = _escaped(alike)
        raise _Refused(f"the keys {first} and {second} in one object are the same name in Unicode "
                       "normal form (NFC), which the gateway refuses as ambiguous")
    alike = alike_but_for_case(found)
    if alike is not None:
        first, second = _escaped(alike)
        raise _Refused(f"the keys {first} and {second} in one object differ only in letter case, "
                       "which the gateway refuses as ambiguous")
    alike = alike_in_compatibility_form(found)
    if alike is not None:
        first, second = _escaped(alike)
        raise _Refused(f"the keys {first} and {second} in one object are one name in Unicode "
                       "compatibility form (NFKC: fullwidth, a ligature), which the gateway refuses "
                       "as ambiguous")
    return found


def _escaped(keys: tuple[str, str]) -> tuple[str, str]:
    """Two keys written as JSON escapes, each cut to 40 characters: on screen two keys alike
    in Unicode may look the same, or hide what tells them apart."""
    first, second = (json.dumps(key if len(key) <= 40 else key[:37] + "...") for key in keys)
    return first, second


_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant,
                            parse_float=_finite)


def read_arguments(text: str, label: str = "the arguments") -> dict[str, Any]:
    """The JSON object in `text`; raises ArgumentsError, whose one sentence names the text
    `label` ("the arguments", "--args")."""
    try:
        value = _DECODER.decode(text)
    except _Refused as exc:
        raise ArgumentsError(_sentence(f"in {label}, {exc.sentence}.")) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}" if "\n" in text.strip() else f"column {exc.colno}"
        problem = friendly_json_error(exc, text, "the text")
        raise ArgumentsError(_sentence(f"{label}: not valid JSON, {problem} ({where}).")) from None
    except RecursionError:
        raise ArgumentsError(_sentence(f"{label}: nested too deeply.")) from None
    except ValueError:  # an integer of thousands of digits, which Python refuses to convert
        raise ArgumentsError(_sentence(f"{label}: a number too long to read.")) from None
    if not isinstance(value, dict):
        raise ArgumentsError(_sentence(f'{label}: a JSON object is needed, e.g. {{"action": "get"}}.'))
    return value


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
