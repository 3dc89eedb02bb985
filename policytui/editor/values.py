"""Turning what a user typed into validated limits, conditions and condition values.

Each function either returns a model object or raises EditError with one sentence, so the
editors can show the problem next to the field and keep the rest of the form.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from policytui.policy.model import LIST_OPS, NUMERIC_OPS, Condition, Limit
from policytui.textsafe import clip, quoted_start


class EditError(Exception):
    """An edit that cannot be made; the message is one sentence for the user."""


def _one_sentence(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "function-after")
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def make_limit(counter: str, window: str, max_calls: int | str, scope: str | None = None) -> Limit:
    """A validated Limit, or EditError saying what is wrong with it."""
    from policytui.policy.rules import MAX_CALLS, calls_range_sentence

    typed = str(max_calls).strip()
    try:
        max_value = int(typed)
    except ValueError:
        # A value pasted by mistake may be thousands of characters: quote its start only, so
        # the sentence stays a line or two beside the field.
        raise EditError(calls_range_sentence(quoted_start(typed))) from None
    if not 1 <= max_value <= MAX_CALLS:
        # Said here, in the dialog's words: the model's error would read "max: max must ...".
        raise EditError(calls_range_sentence(clip(typed, 40)))
    data: dict[str, Any] = {"counter": counter.strip(), "window": window, "max": max_value}
    if scope and scope != "grant":
        data["scope"] = scope
    elif scope == "grant":
        data["scope"] = "grant"
    try:
        return Limit.model_validate(data)
    except ValidationError as exc:
        raise EditError(_one_sentence(exc)) from None


def parse_condition_value(text: str, op: str, arg_type: str = "") -> Any:
    """Turn what the user typed into the JSON value `op` needs.

    Lists accept JSON (`["a", "b"]`) or plain comma-separated words; numbers and booleans are
    parsed for the ops that need them; for the rest, text stays text unless the argument is
    typed as a number or boolean in the tool's schema.
    """
    text = text.strip()
    if op == "exists":
        if text.lower() in ("", "true", "yes", "1"):
            return True
        if text.lower() in ("false", "no", "0"):
            return False
        raise EditError("exists takes true or false")
    if op in LIST_OPS:
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise EditError(f"the list is not valid JSON: {exc.msg}") from None
            except RecursionError:
                raise EditError("the list is nested too deeply") from None
            if not isinstance(value, list):
                raise EditError(f"{op} needs a list of values")
            return value
        return [_scalar(part.strip(), arg_type) for part in text.split(",") if part.strip()]
    if op in NUMERIC_OPS:
        try:
            number = float(text)
        except ValueError:
            raise EditError(f"{op} needs a number, not {quoted_start(text)}") from None
        return int(number) if number.is_integer() and "." not in text else number
    if op == "regex":
        return text
    return _scalar(text, arg_type)


def _scalar(text: str, arg_type: str) -> Any:
    kinds = set(arg_type.split("|")) if arg_type else set()
    if kinds & {"integer", "number", "boolean", "null"} and "string" not in kinds:
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return text
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            pass
    return text


def make_condition(path: str, op: str, value: Any) -> Condition:
    """A validated Condition, or EditError with one sentence."""
    try:
        return Condition.model_validate({"path": path.strip(), "op": op, "value": value})
    except ValidationError as exc:
        raise EditError(_one_sentence(exc)) from None
