"""The risk classifier on real tool lists and on the naming and schema shapes seen in the wild."""

from __future__ import annotations

import gc
import json

import pytest
from conftest import load_server_fixture

from policytui.risk import CATEGORIES, SEVERITIES, classify, classify_all
from policytui.toolinfo import ServerListing, ToolInfo

KESTRA_EXPECTED = {
    "backfill_executions": "Execute",
    "invite_user": "Write",
    "manage_tests": "Destructive",
    "manage_apps": "Destructive",
    "search_apps": "Read",
    "manage_announcements": "Destructive",
    "manage_group": "Destructive",
    "manage_invitations": "Destructive",
    "get_instance_info": "Read",
    "generate_app": "Write",
    "generate_test": "Write",
    "execute_flow": "Execute",
    "manage_executions": "Destructive",
    # "Add or update labels": updating existing data in place is destructive (MCP's sense).
    "add_execution_labels": "Destructive",
    "list_executions": "Read",
    "namespace_file_action": "Destructive",
    "namespace_directory_action": "Destructive",
    "search_flows": "Read",
    "find_flow": "Read",
    "list_flows_with_triggers": "Read",
    "create_flow_from_yaml": "Destructive",
    "manage_flow": "Destructive",
    "generate_flow": "Write",
    "generate_dashboard": "Write",
    "manage_kv_store": "Destructive",
    "get_execution_logs": "Read",
    "download_execution_logs": "Read",
    "search_logs": "Read",
    "delete_execution_logs": "Destructive",
    "delete_flow_logs": "Destructive",
    "follow_execution_logs": "Read",
    "list_namespaces": "Read",
    "list_flows_in_namespace": "Read",
    "list_namespace_dependencies": "Read",
    "replay_execution": "Execute",
    "restart_execution": "Execute",
    "change_taskrun_state": "Destructive",
    "resume_execution": "Execute",
    "force_run_execution": "Execute",
}


@pytest.fixture(scope="module")
def kestra() -> ServerListing:
    return ServerListing.from_tool_dicts(load_server_fixture("kestra-head-14fe3a3")["tools"])


@pytest.fixture(scope="module")
def kestra_groups() -> dict[str, dict]:
    return {t["name"]: t for t in load_server_fixture("kestra-tool-groups")["tools"]}


@pytest.fixture(scope="module")
def kestra_classes(kestra: ServerListing) -> dict:
    return classify_all(kestra.tools)


def tool(name: str, description: str = "", properties: dict | None = None,
         annotations: dict | None = None, **schema: object) -> ToolInfo:
    input_schema: dict = {"type": "object", "properties": properties or {}}
    input_schema.update(schema)
    return ToolInfo(name=name, description=description, input_schema=input_schema,
                    annotations=annotations or {})


# ----- Kestra, all 39 tools ----------------------------------------------------------------


def test_every_kestra_tool_gets_the_expected_category(kestra, kestra_classes):
    assert len(kestra.tools) == 39 and not kestra.broken_tools
    got = {name: c.category for name, c in kestra_classes.items()}
    assert got == KESTRA_EXPECTED


def test_every_kestra_tool_has_evidence_and_a_valid_severity(kestra_classes):
    for name, c in kestra_classes.items():
        assert c.evidence, name
        assert c.severity in SEVERITIES
        assert 0.0 <= c.confidence <= 1.0


def test_kestra_multi_action_tools_match_the_documented_action_enums(kestra_classes,
                                                                      kestra_groups):
    """Every tool whose `action` enum the server documents is classified per action."""
    for name, entry in kestra_groups.items():
        enum = entry["action_enum"]
        c = kestra_classes[name]
        if name == "get_instance_info":
            # Its enum is `info` (configuration | license_info): a choice of what to read,
            # not an action, so the tool stays one Read tool.
            assert not c.actions and c.category == "Read"
            continue
        if enum is None:
            assert not c.actions, name
            continue
        assert list(c.actions) == enum, name
        assert c.action_path == "args.action"


def test_manage_flow_is_destructive_via_delete_and_lists_its_reads(kestra_classes):
    c = kestra_classes["manage_flow"]
    assert (c.category, c.severity) == ("Destructive", "Critical")
    assert "action enum includes 'delete' (Destructive)" in c.evidence
    assert "read actions: list_revisions, list_dependencies, get_yaml" in c.evidence
    assert c.actions["delete"].category == "Destructive"
    assert {a for a in c.actions if c.actions[a].category == "Read"} == {
        "list_revisions", "list_dependencies", "get_yaml"}
    assert c.actions["enable"].category == "Write"
    assert c.actions["disable"].category == "Write"
    assert any("action 'delete'" in line for line in c.actions["delete"].evidence)


def test_kestra_multi_action_breakdowns(kestra_classes):
    def cats(name):
        return {a: r.category for a, r in kestra_classes[name].actions.items()}

    assert cats("manage_kv_store") == {"get": "Read", "set": "Destructive", "list": "Read",
                                       "delete": "Destructive"}
    # Setting a key overwrites a value in place (High); deleting removes it (Critical).
    kv = kestra_classes["manage_kv_store"].actions
    assert (kv["set"].severity, kv["delete"].severity) == ("High", "Critical")
    assert cats("manage_executions") == {"pause": "Write", "kill": "Destructive",
                                         "delete": "Destructive", "get": "Read",
                                         "change_status": "Destructive"}
    assert cats("manage_tests") == {"create": "Write", "run": "Execute", "delete": "Destructive"}
    assert cats("namespace_file_action") == {"get": "Read", "create": "Write",
                                             "move": "Destructive", "delete": "Destructive",
                                             "search": "Read"}


def test_list_namespaces_is_read_from_its_name(kestra_classes):
    c = kestra_classes["list_namespaces"]
    assert (c.category, c.severity) == ("Read", "Low")
    assert "name verb 'list' reads" in c.evidence
    assert c.confidence >= 0.8


def test_kestra_executors_and_deleters(kestra_classes):
    assert kestra_classes["execute_flow"].severity == "High"
    assert kestra_classes["delete_flow_logs"].severity == "Critical"
    assert "name verb 'delete' removes or destroys" in kestra_classes["delete_flow_logs"].evidence
    assert any("after prefix 'force'" in e for e in kestra_classes["force_run_execution"].evidence)


def test_to_json_round_trips_through_json(kestra_classes):
    data = json.loads(json.dumps(kestra_classes["manage_flow"].to_json()))
    assert data["category"] == "Destructive"
    assert data["action_path"] == "args.action"
    assert data["actions"]["get_yaml"]["category"] == "Read"
    assert data["evidence"]


# ----- names in every style -----------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "delete_issue", "delete-issue", "deleteIssue", "DeleteIssue", "DELETE_ISSUE",
    "github_delete_issue", "github.delete_issue", "kestra.deleteIssue", "tracker/delete issue",
    "issues_delete",
])
def test_naming_styles_find_the_same_verb(name):
    c = classify(tool(name))
    assert (c.category, c.severity) == ("Destructive", "Critical")
    assert any("name verb 'delete'" in e for e in c.evidence)


@pytest.mark.parametrize("name,category", [
    ("listIssues", "Read"), ("getHTTPResponse", "Read"), ("kestra.list_flows", "Read"),
    ("github_create_issue", "Write"), ("createOrUpdateFile", "Destructive"),
    ("runQuery", "Execute"), ("start_search", "Read"), ("start_process", "Execute"),
    ("git_branch", "Other"), ("comment_list", "Read"), ("post_comment", "Write"),
])
def test_name_verbs(name, category):
    assert classify(tool(name)).category == category


def test_server_prefix_is_named_in_evidence():
    c = classify(tool("github_list_issues"))
    assert c.category == "Read"
    assert "name verb 'list' (after prefix 'github') reads" in c.evidence


# ----- descriptions -------------------------------------------------------------------------


def test_description_decides_when_the_name_has_no_verb():
    c = classify(tool("git_status", "Shows the working tree status"))
    assert c.category == "Read"
    assert "description starts with 'show', which reads" in c.evidence
    assert c.confidence < 0.7  # weaker than a name verb


def test_description_mentions_of_other_verbs_do_not_count():
    text = ("List issues. Use create_issue to create one, update_issue to change it and "
            "delete_issue to delete it.")
    assert classify(tool("list_issues", text)).category == "Read"
    assert classify(tool("issues", text)).category == "Read"


def test_reader_description_naming_things_stays_read():
    c = classify(tool("git_diff", "Shows differences between branches or commits"))
    assert c.category == "Read"


def test_description_alternatives_raise_a_writer():
    c = classify(tool("write_file", "Create a new file or completely overwrite an existing "
                                    "file with new content."))
    assert (c.category, c.severity) == ("Destructive", "Critical")
    assert "description also offers 'overwrite', which removes or destroys" in c.evidence


def test_a_read_name_does_not_beat_a_description_that_goes_on_to_act():
    # The sentence's second verb has its own object: the tool runs what it retrieves, and the
    # riskier reading wins over the name.
    c = classify(tool("get_prompts", "Retrieve a prompt by ID and execute it."))
    assert c.category == "Execute"
    assert "description also offers 'execute', which runs something" in c.evidence


def test_lead_in_phrases_are_skipped():
    c = classify(tool("helper", "This tool lets you delete a record permanently."))
    assert c.category == "Destructive"
    # A verb found only deep in the description is a weak sign: not enough for Read.
    c = classify(tool("thinker", "A tool for reflective problem-solving. "
                                 "This tool helps analyze problems."))
    assert c.category == "Other"
    assert "description says 'analyze', which reads" in c.evidence


def test_no_signal_at_all_is_other():
    c = classify(tool("frobnicator", "Does frobs."))
    assert (c.category, c.severity) == ("Other", "Low")
    assert c.confidence <= 0.3
    assert c.evidence == ("no verb found in the name or the description's first sentence",)


# ----- schema -------------------------------------------------------------------------------


def test_arguments_that_take_code_mean_execute():
    c = classify(tool("read_query", "Execute a SELECT query",
                      {"query": {"type": "string", "description": "SELECT SQL query to run"}}))
    assert (c.category, c.severity) == ("Execute", "High")
    assert "argument 'query' takes code (SQL)" in c.evidence
    c = classify(tool("run_it", "", {"command": {"type": "string"}}))
    assert (c.category, c.severity) == ("Execute", "Critical")
    assert "argument 'command' takes shell commands or code" in c.evidence
    c = classify(tool("lookup", "", {"sql": {"type": "string"}}))
    assert "argument 'sql' takes code (SQL)" in c.evidence


def test_a_search_query_is_not_code():
    c = classify(tool("search_docs", "", {"query": {"type": "string",
                                                    "description": "What to look up"}}))
    assert c.category == "Read"


def test_money_moving_verbs_and_amounts_are_financial():
    amount = {"amount": {"type": "integer"}, "currency": {"type": "string"}}
    assert classify(tool("create_payment", "", amount)).category == "Financial"
    assert classify(tool("send_money", "Send money to a contact", amount)).category == "Financial"
    assert classify(tool("refund_charge")).category == "Financial"
    assert classify(tool("transfer_funds", "", amount)).category == "Financial"
    c = classify(tool("payments_tool", "", {"action": {"enum": ["list", "refund"]}}))
    assert c.category == "Financial" and c.actions["list"].category == "Read"


def test_a_money_noun_alone_is_not_financial():
    assert classify(tool("list_invoices", "List invoices")).category == "Read"
    assert classify(tool("get_balance", "", {"currency": {"type": "string"}})).category == "Read"
    assert classify(tool("send_email", "Send an email")).category == "Write"
    assert classify(tool("transfer_repository")).category == "Destructive"  # not money


def test_force_and_overwrite_switches_make_a_writer_destructive():
    c = classify(tool("upload_file", "", {"overwrite": {"type": "boolean"}}))
    assert (c.category, c.severity) == ("Destructive", "Critical")
    assert classify(tool("force_push")).category == "Destructive"


# ----- multi-action tools -------------------------------------------------------------------


def test_action_enum_inside_anyof_is_found():
    schema_prop = {"anyOf": [{"type": "string", "enum": ["get", "purge"]}, {"type": "null"}]}
    c = classify(tool("cache", "", {"operation": schema_prop}))
    assert c.action_path == "args.operation"
    assert c.actions["purge"].category == "Destructive"
    assert c.category == "Destructive"


def test_discriminated_union_of_actions_is_found():
    t = tool("records", "", None, oneOf=[
        {"properties": {"action": {"const": "read"}, "id": {"type": "string"}}},
        {"properties": {"action": {"const": "drop"}}},
    ])
    c = classify(t)
    assert list(c.actions) == ["read", "drop"]
    assert c.category == "Destructive"


def test_an_enum_that_is_not_an_action_argument_is_ignored():
    c = classify(tool("list_issues", "", {"state": {"enum": ["open", "closed"]},
                                          "sort": {"enum": ["created", "updated"]}}))
    assert not c.actions and c.category == "Read"


def test_action_argument_must_be_addressable_by_a_condition_path():
    # "act.ion" normalises to "action", but args.act.ion would mean a nested argument.
    c = classify(tool("thing", "", {"act.ion": {"enum": ["get", "delete"]}}))
    assert not c.actions
    c = classify(tool("thing", "", {"Action": {"enum": ["get", "delete"]}}))
    assert c.action_path == "args.Action"


def test_single_value_action_enum_is_not_multi_action():
    c = classify(tool("get_prompts", "", {"action": {"enum": ["get_prompt"]}}))
    assert not c.actions and c.category == "Read"


def test_unknown_actions_are_other_and_reported():
    c = classify(tool("thing", "", {"action": {"enum": ["get", "frobnicate"]}}))
    assert c.actions["frobnicate"].category == "Other"
    assert "actions with no known verb: frobnicate" in c.evidence


# ----- annotations --------------------------------------------------------------------------


def test_a_read_only_hint_never_lowers_a_deleter_and_is_flagged_suspicious():
    c = classify(tool("delete_cache", annotations={"readOnlyHint": True}))
    assert (c.category, c.severity) == ("Destructive", "Critical")
    assert c.suspicious
    assert c.evidence[0].startswith("declared readOnlyHint=true is suspicious")
    assert c.hints["readOnlyHint"].source == "declared"
    assert c.hints["readOnlyHint"].contradicted
    assert c.confidence <= 0.5
    agree = classify(tool("list_things", annotations={"readOnlyHint": True}))
    assert agree.category == "Read" and agree.confidence >= 0.9 and not agree.suspicious


def test_destructive_hint_needs_read_only_not_true():
    assert classify(tool("frob", annotations={"destructiveHint": True})).category == "Destructive"
    both = classify(tool("frob", annotations={"destructiveHint": True, "readOnlyHint": True}))
    assert both.category == "Read"


def test_non_destructive_writer_and_execute_signals():
    hints = {"readOnlyHint": False, "destructiveHint": False}
    # destructiveHint=false cannot make a deleter safer than its name: the riskier reading wins.
    deleter = classify(tool("delete_nothing", annotations=hints))
    assert deleter.category == "Destructive"
    assert deleter.hints["destructiveHint"].contradicted
    assert classify(tool("list_stuff", annotations={"readOnlyHint": False})).category == "Write"
    assert classify(tool("run_job", annotations=hints)).category == "Execute"


def test_absent_or_malformed_hints_say_nothing():
    assert classify(tool("delete_x", annotations={"readOnlyHint": "true"})).category == \
        "Destructive"
    assert classify(tool("delete_x", annotations={})).evidence[0].startswith("name verb")


def test_annotations_can_be_ignored_for_measurement():
    t = tool("delete_cache", annotations={"readOnlyHint": True})
    assert classify(t, use_annotations=False).category == "Destructive"


# ----- overrides ----------------------------------------------------------------------------


def test_override_wins_and_is_recorded():
    c = classify(tool("delete_cache"), "read")
    assert (c.category, c.severity, c.confidence, c.overridden) == ("Read", "Low", 1.0, True)
    assert c.evidence[0] == "override: user set Read (the classifier said Destructive)"


def test_unknown_override_is_ignored_not_raised():
    c = classify(tool("delete_cache"), "Scary")
    assert c.category == "Destructive" and not c.overridden
    assert c.evidence[0] == "override 'Scary' ignored: not a risk category"


def test_classify_all_applies_overrides_by_name(kestra):
    result = classify_all(kestra.tools, {"manage_flow": "Read", "nope": "Write", "x": 3})
    assert result["manage_flow"].category == "Read"
    assert result["list_namespaces"].category == "Read"
    assert set(result) == {t.name for t in kestra.tools}


def test_kept_classifications_cost_the_cycle_collector_about_one_object_each():
    # The editor and the CLI keep thousands of classifications; every object the collector
    # tracks is rescanned on each of its full passes. Tools with evidence, lines against, flags
    # and declared hints, as real servers have them.
    tools = []
    for i in range(300):
        tools.append(tool(f"get_item_{i}", "Get an item by its id."))
        tools.append(tool(f"export_item_{i}", "Export an item.",
                          annotations={"destructiveHint": True}))
        tools.append(tool(f"send_mail_{i}", "Send an email.",
                          annotations={"readOnlyHint": False, "openWorldHint": True}))
    classify_all(tools)  # (modules and word tables a first classification loads)
    gc.collect()
    before = len(gc.get_objects())
    result = classify_all(tools)
    gc.collect()
    assert len(gc.get_objects()) - before <= 1.1 * len(tools)
    assert any(c.against for c in result.values()) and any(c.flags for c in result.values())


def test_a_contradicted_hint_is_recorded_on_that_tool_alone():
    # Tools that declare the same hints share them: a contradiction must not reach the others.
    result = classify_all([tool("get_file", "Get a file.", annotations={"readOnlyHint": True}),
                           tool("delete_file", "Delete a file.",
                                annotations={"readOnlyHint": True}),
                           tool("read_file", "Read a file.", annotations={"readOnlyHint": True})])
    assert result["delete_file"].hints["readOnlyHint"].contradicted
    assert not result["get_file"].hints["readOnlyHint"].contradicted
    assert not result["read_file"].hints["readOnlyHint"].contradicted
    assert result["delete_file"].hints["readOnlyHint"].source == "declared"
    with pytest.raises(TypeError):
        result["get_file"].hints["readOnlyHint"] = result["delete_file"].hints["readOnlyHint"]


def test_categories_are_the_documented_six():
    assert CATEGORIES == ("Read", "Write", "Execute", "Destructive", "Financial", "Other")


# ----- untrusted text in evidence ------------------------------------------------------------


def test_evidence_shows_control_characters_escaped():
    c = classify(tool("x", "", {"action": {"enum": ["get", "\x1b[31mboom\x07"]}}))
    joined = "\n".join([*c.evidence, *(e for r in c.actions.values() for e in r.evidence)])
    assert "\x1b" not in joined and "\x07" not in joined
    assert "\\x1b" in joined


# ----- agreement with the servers' own annotations ------------------------------------------


def test_words_alone_agree_with_real_servers_annotations():
    """With annotations hidden, the classifier agrees with what annotated servers of the
    corpus's development half say about their own tools (bench/scoreboard.py prints the full
    table for both halves; the test half is only scored there)."""
    import dataclasses

    from conftest import FIXTURES

    corpus = FIXTURES / "servers" / "corpus"
    dev = json.loads((corpus / "split.json").read_text(encoding="utf-8"))["dev"]
    read = [0, 0]
    destructive = [0, 0]
    for server in dev:
        path = corpus / f"{server}.json"
        if not path.exists():
            continue
        tools = json.loads(path.read_text(encoding="utf-8")).get("tools") or []
        listing = ServerListing.from_tool_dicts(tools)
        got_all = classify_all([dataclasses.replace(t, annotations={}) for t in listing.tools])
        for t in listing.tools:
            hints = t.annotations
            got = got_all[t.name]
            if hints.get("readOnlyHint") is True:
                read[0] += got.category == "Read"
                read[1] += 1
            elif hints.get("destructiveHint") is True:
                destructive[0] += got.category not in ("Read", "Other")
                destructive[1] += 1
    assert read[1] >= 100 and destructive[1] >= 40
    # Not higher: some servers declare read-only tools whose words set up, run or generate
    # things, and the words win over an untrusted hint.
    assert read[0] / read[1] >= 0.944  # 2680/2826 (94.8%), 181 servers
    assert destructive[0] / destructive[1] >= 0.95


def test_a_tool_without_a_description_is_read_by_its_name_with_no_sentence_sought(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Many servers send names alone. With no description there is no sentence to find, and
    # the tool is what its name says: a tag alone ("[Beta]") is no description either.
    from policytui.risk import descriptions

    tools = [ToolInfo(name=name, description=text, input_schema={})
             for name, text in (("delete_issue", ""), ("list_flows", "[Beta]"), ("orders", ""))]
    expected = {name: c.to_json() for name, c in classify_all(tools).items()}
    assert [expected[t.name]["category"] for t in tools] == ["Destructive", "Read", "Other"]

    def no_sentence(text: str) -> str:
        raise AssertionError(f"a sentence sought in {text!r}")

    monkeypatch.setattr(descriptions, "first_sentence", no_sentence)
    assert {name: c.to_json() for name, c in classify_all(tools).items()} == expected


def test_a_reader_without_a_description_is_not_searched_for_later_acts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A reader's description is searched past its first sentence for what the tool does too
    # ("Lists orders. Cancels the stale ones"); with no description there is nothing past it.
    from policytui.risk import wording

    tools = [ToolInfo(name=name, description="", input_schema={})
             for name in ("list_flows", "get_invoice", "search_users")]
    expected = {name: c.to_json() for name, c in classify_all(tools).items()}
    assert {c["category"] for c in expected.values()} == {"Read"}

    def searched(text: str) -> None:
        raise AssertionError(f"{text!r} searched for later acts")

    monkeypatch.setattr(wording, "later_act", searched)
    assert {name: c.to_json() for name, c in classify_all(tools).items()} == expected
