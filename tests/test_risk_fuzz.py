"""The classifier never crashes and always answers the same way, whatever a server sends."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policytui.risk import CATEGORIES, SEVERITIES, classify, classify_all
from policytui.risk.presets import PRESETS, build_policy
from policytui.toolinfo import ServerListing, ToolInfo

# Words the classifier reacts to, so generated data reaches its interesting paths.
WORDS = ["action", "operation", "mode", "act.ion", "Action", "op ", "command", "sql", "query", "amount", "currency",
         "overwrite", "force", "delete", "list", "get", "create", "update", "pay", "refund",
         "transfer", "run", "start", "search", "or", "and", "enum", "const", "anyOf", "oneOf",
         "allOf", "properties", "type", "string", "description", "readOnlyHint",
         "destructiveHint", "\x1b[2J", "\u202e", "", " ", "é", "💥"]

words = st.sampled_from(WORDS)
text = st.one_of(words, st.text(max_size=40),
                 st.lists(words, max_size=12).map(lambda ws: " ".join(ws)),
                 st.lists(words, max_size=6).map(lambda ws: "_".join(ws)))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.one_of(words, st.text(max_size=8)), inner,
                                            max_size=5)),
    max_leaves=30,
)
enum_prop = st.fixed_dictionaries({"enum": st.lists(st.one_of(text, scalars), max_size=6)})
any_of_prop = st.fixed_dictionaries({"anyOf": st.lists(st.one_of(enum_prop, json_values),
                                                       max_size=3)})
prop = st.one_of(enum_prop, any_of_prop, json_values,
                 st.fixed_dictionaries({"type": st.sampled_from(["string", "boolean", None]),
                                        "description": text}))
schemas = st.one_of(
    json_values,
    st.fixed_dictionaries({"type": st.just("object"),
                           "properties": st.dictionaries(st.one_of(words, text), prop,
                                                         max_size=6)},
                          optional={"oneOf": st.lists(json_values, max_size=3)}),
)
tool_dicts = st.fixed_dictionaries(
    {"name": st.one_of(text, scalars), "inputSchema": schemas},
    optional={"description": st.one_of(text, scalars),
              "annotations": st.one_of(json_values,
                                       st.dictionaries(words, scalars, max_size=4))},
)


def check(c) -> None:
    assert c.category in CATEGORIES
    assert c.severity in SEVERITIES
    assert 0.0 <= c.confidence <= 1.0
    assert c.evidence and all(isinstance(e, str) for e in c.evidence)
    for risk in c.actions.values():
        assert risk.category in CATEGORIES and risk.severity in SEVERITIES


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tool_dicts, max_size=6), st.sampled_from(PRESETS))
def test_arbitrary_tool_lists_classify_and_build_valid_policies(entries, preset):
    listing = ServerListing.from_tool_dicts(entries)
    first = classify_all(listing.tools)
    second = classify_all(listing.tools)
    for name, c in first.items():
        check(c)
        assert c.to_json() == second[name].to_json()  # deterministic
    build_policy(listing, preset, first)  # raises if the preset made an invalid Policy


@settings(max_examples=100, deadline=None)
@given(st.one_of(text, scalars), st.one_of(text, scalars), json_values, json_values,
       st.one_of(st.none(), text))
def test_tool_objects_with_wrong_types_do_not_crash(name, description, schema, annotations,
                                                    override):
    # ToolInfo built by hand (not via from_wire) can hold anything.
    t = ToolInfo(name=name, description=description, input_schema=schema,
                 annotations=annotations)  # type: ignore[arg-type]
    check(classify(t, override))
    assert classify(t, override).to_json() == classify(t, override).to_json()


def test_self_referencing_schema_is_fine():
    schema: dict = {"type": "object"}
    schema["properties"] = {"action": schema, "mode": {"anyOf": [schema, {"enum": ["get"]}]}}
    schema["anyOf"] = [schema]
    schema["oneOf"] = [schema, {"properties": {"action": {"anyOf": [schema]}}}]
    check(classify(ToolInfo(name="loop", input_schema=schema)))


def test_huge_description_and_name_are_cheap_and_fine():
    description = "Delete " + "everything and more, " * 200_000  # about 4 MB
    c = classify(ToolInfo(name="x" * 100_000 + "_list", description=description))
    check(c)
    huge_enum = {"action": {"enum": [f"delete_{i}" for i in range(50_000)]}}
    c = classify(ToolInfo(name="bulk", input_schema={"properties": huge_enum}))
    check(c)
    assert len(c.actions) <= 100  # capped
