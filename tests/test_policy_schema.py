"""The shipped JSON Schema and the pydantic model accept and reject exactly the same documents."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from policytui.policy.model import OPS, Policy
from policytui.policy.schema import SCHEMA_URL, schema_dict, schema_text, validator

POLICIES = Path(__file__).parent / "fixtures" / "policies"
GOOD = sorted((POLICIES / "good").glob("*.json"))
BAD = sorted((POLICIES / "bad").glob("*.json"))


def schema_accepts(document: Any) -> bool:
    return not any(True for _ in validator().iter_errors(document))


def model_accepts(document: Any) -> bool:
    try:
        Policy.from_document(document)
    except ValidationError:
        return False
    return True


NOT_JSON = object()


def parsed(path: Path) -> Any:
    """The document in a corpus file, or NOT_JSON for the syntax and encoding cases."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError):
        return NOT_JSON


def _no_constants(name: str) -> Any:
    raise ValueError(name)


def test_schema_is_valid_draft_2020_12_with_id() -> None:
    import jsonschema

    schema = schema_dict()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_URL
    assert schema["additionalProperties"] is False
    assert "^x-" in schema["patternProperties"]


def test_every_field_has_a_description_for_editors() -> None:
    schema = schema_dict()
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"$defs.{name}.{key} has no description"
    for key, prop in schema["properties"].items():
        assert prop.get("description") or "$ref" in prop, key


def test_schema_dict_is_a_copy() -> None:
    schema_dict()["title"] = "changed"
    assert schema_dict()["title"] != "changed"


def test_schema_ships_inside_the_package_and_the_wheel(tmp_path: Path) -> None:
    from importlib import resources

    assert resources.files("policytui.policy").joinpath("policy.schema.json").is_file()
    # Hatch puts every file under the package folder into the wheel; check it really does.
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path)]
    try:
        import hatchling  # noqa: F401

        command = [*base, "--no-build-isolation", str(root)]
    except ImportError:  # pip fetches the build backend itself
        command = [*base, str(root)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {result.stderr.strip()[-200:]}")
    wheel = next(tmp_path.glob("policytui-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert "policytui/policy/policy.schema.json" in archive.namelist()


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_corpus_accepted_by_both(path: Path) -> None:
    document = parsed(path)
    if path.stem.startswith("legacy-"):
        # Legacy shapes are rewritten before validation; raw, both refuse them alike.
        assert not schema_accepts(document) and not model_accepts(document)
        return
    assert schema_accepts(document), path.name
    assert model_accepts(document), path.name


# Syntax, encoding and duplicate-key files fail before a document exists; legacy ones are
# rewritten first. The rest must be refused by the schema and the model alike.
SCHEMA_LEVEL_BAD = [p for p in BAD if not p.stem.startswith(("syntax-", "text-", "legacy-"))]


@pytest.mark.parametrize("path", SCHEMA_LEVEL_BAD, ids=lambda p: p.stem)
def test_bad_corpus_rejected_by_both(path: Path) -> None:
    document = parsed(path)
    assert document is not NOT_JSON
    assert not schema_accepts(document), f"schema accepts {path.name}"
    assert not model_accepts(document), f"model accepts {path.name}"


def test_corpus_is_large_enough() -> None:
    assert len(BAD) >= 30 and len(GOOD) >= 8


# ---- generated documents: near-valid policies with random damage --------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=False,
    allow_infinity=False, min_value=-1e6, max_value=1e6), st.text(max_size=8),
    st.sampled_from(["", "minute", "hour", "day", "grant", "global", "eq", "in", "args.a", "(",
                     "[a-z]+", "a{99999999999}", "1", "deny", "allow", "require_approval"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the well-formed value, sometimes any JSON at all."""
    return st.one_of(strategy, strategy, strategy, json_values)


def with_extras(obj: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["x-note", "x-", "limts", "scope", "note", "value", "X-up", "$schema",
                            "schema_"])
    return st.one_of(
        obj, obj,
        st.tuples(obj, st.dictionaries(keys, json_values, max_size=2)).map(
            lambda pair: {**pair[0], **pair[1]}),
    )


def drop_some(obj: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.tuples(obj, st.sets(st.sampled_from(["counter", "window", "max", "path", "op",
                                                   "value", "version", "default"]), max_size=1)
                     ).map(lambda pair: {k: v for k, v in pair[0].items() if k not in pair[1]})


conditions = drop_some(with_extras(st.fixed_dictionaries({
    "path": maybe(st.sampled_from(["args.action", "args.a.b", "args.0", "args.", "action",
                                   "args..a", "args.a\n"])),
    "op": maybe(st.sampled_from(OPS)),
    "value": json_values,
})))
limits = drop_some(with_extras(st.fixed_dictionaries(
    {"counter": maybe(st.sampled_from(["c", "writes", ""])),
     "window": maybe(st.sampled_from(["minute", "hour", "day", "minutes"])),
     "max": maybe(st.one_of(st.integers(-2, 50), st.sampled_from([1.0, 2.5, True])))},
    optional={"scope": maybe(st.sampled_from(["grant", "session", "global", "user"]))},
)))
tool_rules = with_extras(st.fixed_dictionaries({}, optional={
    "action": maybe(st.sampled_from(["allow", "deny", "require_approval", "block"])),
    "reason": maybe(st.text(max_size=5)),
    "require": maybe(st.lists(conditions, max_size=2)),
    "deny_if": maybe(st.lists(conditions, max_size=2)),
    "require_approval_if": maybe(st.lists(conditions, max_size=2)),
    "limits": maybe(st.lists(limits, max_size=2)),
}))
policies = drop_some(with_extras(st.fixed_dictionaries(
    {"version": maybe(st.just("1")), "default": maybe(st.sampled_from(["allow", "deny"]))},
    optional={
        "$schema": maybe(st.just(SCHEMA_URL)),
        "hide": maybe(st.lists(st.sampled_from(["a", "*", ""]), max_size=2)),
        "all_tools": maybe(with_extras(st.fixed_dictionaries(
            {}, optional={"limits": maybe(st.lists(limits, max_size=2))}))),
        "tools": maybe(st.dictionaries(st.sampled_from(["a", "b", "", "x-t", "*"]),
                                       maybe(tool_rules), max_size=2)),
    },
)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies)
def test_schema_and_model_agree_on_generated_documents(document: Any) -> None:
    assert schema_accepts(document) == model_accepts(document), json.dumps(document)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_schema_and_model_agree_on_arbitrary_json(document: Any) -> None:
    assert schema_accepts(document) == model_accepts(document)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies)
def test_valid_documents_round_trip_through_the_model(document: Any) -> None:
    if not model_accepts(document):
        return
    policy = Policy.from_document(document)
    again = policy.to_document()
    assert schema_accepts(again)
    assert Policy.from_document(again).to_document() == again


def test_schema_command_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from policytui.cli import main

    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == schema_dict()
    assert printed.rstrip("\n") == schema_text().rstrip("\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies)
def test_validate_text_agrees_with_the_model(document: Any) -> None:
    """The validator's verdict on a file is the model's verdict on its document, and a rejected
    document always gets at least one located, explained error."""
    from policytui.policy.validate import validate_text

    report = validate_text(json.dumps(document, indent=2))
    assert report.ok == model_accepts(document)
    for problem in report.errors:
        assert problem.line is not None and problem.message
