"""The shape of a tool's arguments says what it does where its words do not: an amount with
where it goes moves money, and a tool handed something to write is not a reader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policytui.risk import classify
from policytui.risk.arguments import argument_shape
from policytui.toolinfo import ToolInfo


def tool(name: str, description: str = "", properties: dict | None = None) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties or {}})


NUMBER = {"type": "number"}
TEXT = {"type": "string"}


@pytest.mark.parametrize("name,description,properties", [
    # Verbs the money vocabulary does not know, or no verb at all.
    ("submit_ticket", "Submit a ticket.", {"symbol": TEXT, "side": {"enum": ["buy", "sell"]},
                                         "qty": NUMBER}),
    ("p2p_push", "", {"recipient": TEXT, "amount_cents": NUMBER}),
    ("move_between_pockets", "Moves it between pockets.", {"from_account": TEXT, "to_account": TEXT,
                                                    "amount": NUMBER}),
    ("dispatch", "Dispatch it.", {"params": {"type": "object", "properties": {
        "beneficiary": TEXT, "amount": NUMBER, "currency": TEXT}}}),
    ("execute", "Execute it.", {"payee": TEXT, "total_amount": NUMBER}),
])
def test_an_amount_with_where_it_goes_is_financial_whatever_the_verb(name, description,
                                                                      properties):
    c = classify(tool(name, description, properties))
    assert (c.category, c.severity) == ("Financial", "Critical")
    assert any("where it goes" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,properties", [
    # Filters on a listing narrow it; they move nothing.
    ("list_transfers", "List transfers.", {"min_amount": NUMBER, "max_amount": NUMBER,
                                           "recipient": TEXT}),
    ("search_orders", "Search orders.", {"side": TEXT, "amount_gte": NUMBER}),
    ("get_quote", "Get a price quote.", {"symbol": TEXT, "side": TEXT, "quantity": NUMBER}),
])
def test_money_filters_on_a_reader_stay_read(name, description, properties):
    assert classify(tool(name, description, properties)).category == "Read"


def test_an_amount_with_only_a_currency_is_not_a_transfer():
    # A price list or a discount has an amount and a currency and moves nothing.
    shape = argument_shape({"type": "object", "properties": {"amount": NUMBER,
                                                             "currency_code": TEXT}})
    assert not shape.transfer
    c = classify(tool("define_tier", "Define a tier.", {"amount": NUMBER, "currency": TEXT}))
    assert c.category != "Financial"


@pytest.mark.parametrize("name,description,properties", [
    ("get_config", "Get the config.", {"path": TEXT, "yaml": TEXT}),
    ("fetch_endpoint", "Fetch an endpoint.", {"url": TEXT, "body": TEXT}),
    ("read_key", "Read a key.", {"key": TEXT, "value": TEXT}),
    ("show_document", "Show a document.", {"id": TEXT, "content": TEXT}),
    ("view_resource", "View a resource.", {"patch": {"type": "object"}}),
])
def test_a_reader_handed_something_to_write_is_not_read(name, description, properties):
    c = classify(tool(name, description, properties))
    assert c.category == "Write"
    assert any("holds something to write" in line for line in c.evidence)
    assert c.against


@pytest.mark.parametrize("name,description,properties", [
    # A verb that only examines, naming the payload as what it examines.
    ("validate_security", "Validate content for security issues before saving.",
     {"content": TEXT, "site_id": TEXT}),
    ("decode_block", "Decode a base64 block payload copied out of the playbook editor.",
     {"payload": TEXT}),
    ("lint_yaml", "Lints it against the schema.", {"yaml": TEXT}),
    ("check_json", "Checks the JSON data for syntax errors.", {"data": TEXT}),
])
def test_a_payload_an_examining_verb_names_as_its_object_is_what_it_reads(
        name, description, properties):
    c = classify(tool(name, description, properties))
    assert c.category == "Read", c.evidence
    assert any("examines" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,properties", [
    # A preview of a post may post it; a payload the sentence does not name is written.
    ("preview_post", "Preview a post before publishing.", {"body": TEXT}),
    ("parse_statement", "Parse a bank statement into a proposal.", {"content": TEXT}),
    ("check_status", "Check the status of the import.", {"content": TEXT}),
    # The payload named after a preposition is not what is examined.
    ("verify_signature", "Verify the signature of a payload.", {"payload": TEXT}),
    # Another payload beside the examined one still counts.
    ("validate_content", "Validate content for errors.", {"content": TEXT, "body": TEXT}),
])
def test_a_payload_no_examining_verb_names_is_still_something_to_write(
        name, description, properties):
    c = classify(tool(name, description, properties))
    assert c.category == "Write", c.evidence
    assert any("holds something to write" in line for line in c.evidence)


@pytest.mark.parametrize("description", [
    "Validate content and publish it.",
    "Validate the content, then save it to the page.",
])
def test_an_examining_verb_with_a_second_step_is_not_read(description):
    c = classify(tool("validate_content", description, {"content": TEXT}))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description,properties", [
    # A judging verb whose object is a text to look at, or that hands back what it found:
    # what the tool is handed is that text.
    ("ci_lint_config", "Validate a pipeline configuration (.gitlab-ci.yml) and return syntax "
                       "errors and warnings.",
     {"project": TEXT, "content": {"type": "string", "description": "The YAML"}}),
    ("validate_json", "Validate a JSON document against a schema.",
     {"data": TEXT, "schema": TEXT}),
    ("lint_dockerfile", "Lint a Dockerfile and return rule violations.", {"content": TEXT}),
    ("sign_verify", "Verifies a detached signature against a public key and says whether it is "
                    "valid.", {"payload": TEXT, "signature": TEXT, "public_key": TEXT}),
    ("check_manifest", "Check a Kubernetes manifest for deprecated API versions.",
     {"body": TEXT}),
])
def test_a_payload_a_judging_verb_looks_at_as_a_text_is_what_it_reads(name, description,
                                                                     properties):
    c = classify(tool(name, description, properties))
    assert c.category == "Read", c.evidence
    assert any("examines" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,properties", [
    # A record of the business, which validating may post or confirm.
    ("validate_invoice", "Validate an invoice.", {"data": TEXT}),
    ("validate_invoice", "Validate an invoice and return the posted number.", {"data": TEXT}),
    # The payload's own words say it is written.
    ("validate_config", "Validate a config file and return errors.",
     {"content": {"type": "string", "description": "New config to apply once valid"}}),
    # Parsing makes something of what it is handed.
    ("parse_statement", "Parse a bank statement (CSV or OFX) into a proposal.",
     {"content": TEXT}),
    # A step after the judgement acts.
    ("check_config", "Check a config file and save it to the server.", {"content": TEXT}),
])
def test_a_payload_a_judging_verb_does_not_look_at_as_a_text_is_still_written(
        name, description, properties):
    c = classify(tool(name, description, properties))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("prop", [
    {"type": "string", "format": "date"},
    {"type": "string", "description": "AAAA-MM-GG"},
    {"type": "string", "description": "Data (DD/MM/YYYY)"},
    {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
])
def test_a_payload_named_argument_holding_a_date_is_no_payload(prop):
    # "data" is a date in Portuguese, Spanish and Italian: "Lista os agendamentos do dia".
    c = classify(tool("listar_agendamentos", "Lista os agendamentos do dia.", {"data": prop}))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("prop", [
    {"type": "string"},
    {"type": "string", "description": "Dados do agendamento (JSON)"},
    {"type": "object", "format": "date"},
])
def test_a_payload_named_argument_that_is_no_date_is_still_written(prop):
    c = classify(tool("listar_agendamentos", "Lista os agendamentos do dia.", {"data": prop}))
    assert c.category == "Write", c.evidence


@pytest.mark.parametrize("description", [
    "Selector, text content, or IPC event name to wait for",
    "The YAML manifest to validate",
    "Markdown to be linted",
    "Response body to check against the schema",
])
def test_a_payload_described_as_what_the_call_only_looks_at_is_no_payload(description):
    c = classify(tool("webview_wait_for", "Wait for elements, text, or IPC events in the app.",
                      {"value": {"type": "string", "description": description}}))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("description", [
    "JSON body to validate and save",
    "Manifest to check, then apply to the cluster",
    "New value to set",
    "Content to post once checked",
])
def test_a_payload_also_kept_or_sent_is_still_written(description):
    c = classify(tool("webview_wait_for", "Wait for elements, text, or IPC events in the app.",
                      {"value": {"type": "string", "description": description}}))
    assert c.category == "Write", c.evidence


def test_a_payload_named_argument_described_as_what_to_find_is_a_filter():
    c = classify(tool("find_records", "Find records.",
                      {"value": {"type": "string", "description": "The value to search for"}}))
    assert c.category == "Read"


def test_hostile_schemas_are_read_without_error():
    many = {f"a{i}": NUMBER for i in range(5000)} | {"amount": NUMBER, "recipient": TEXT}
    assert argument_shape({"properties": many}).amounts == ()  # past the window: not read
    for schema in (None, [], {"properties": []}, {"properties": {1: 2, "body": None}}):
        argument_shape(schema)


_SQL = {"sql": {"type": "string", "description": "The SQL statement."}}


@pytest.mark.parametrize("name,description", [
    # A reader that says the one query it is handed is not run: the SQL is only looked at.
    ("pg_explain", "Show the execution plan of a SQL query (EXPLAIN without ANALYZE: the query "
                   "is not executed)."),
    ("pg_estimate_cost", "Estimate the cost and row count of a query from the planner, without "
                         "running it."),
    ("validate_sql", "Parse SQL and report syntax errors. The statement is never executed."),
])
def test_sql_a_reader_says_it_does_not_run_is_only_read(name, description):
    c = classify(tool(name, description, _SQL))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("explain_analyze", "Run EXPLAIN ANALYZE on a query: the query is executed and actual "
                        "timings are returned."),
    ("execute_sql", "Execute a SQL statement. DDL statements are not executed."),
    ("validate_sql", "Validate SQL by running it in a rolled-back transaction."),
    ("query_db", "Run a SQL query. Do not run DELETE unless asked."),
])
def test_sql_that_runs_still_executes(name, description):
    c = classify(tool(name, description, _SQL))
    assert c.category == "Execute", c.evidence


def _described(kind: str, description: str) -> dict:
    return {"type": kind, "description": description}


@pytest.mark.parametrize("name,description,properties", [
    # An argument whose description opens with what is done to what the call finds, in the
    # passive: set, the reader acts on it.
    ("list_sessions", "List active sessions.", {
        "revoke_older_than": _described("integer",
                                        "Sessions older than this many hours are ended.")}),
    ("audit_log", "Audit log entries.", {
        "archive_to": _described("string", "Entries returned are moved to this bucket.")}),
    ("alert_status", "Current alert status.", {
        "snooze_hours": _described("integer", "Alerts shown are snoozed for this many hours.")}),
    ("ticket_list", "Tickets in a view.", {
        "escalate_after": _described(
            "integer", "Tickets waiting longer than this many hours are escalated.")}),
])
def test_an_argument_said_to_act_on_what_the_call_finds_is_no_reader(name, description,
                                                                     properties):
    c = classify(tool(name, description, properties))
    assert c.category != "Read", c.evidence
    assert any("description says what it names is" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,properties", [
    # ... not one that says which of them to show, how the reply is shaped, or how the call
    # asks for them.
    ("cache_scan", "Keys in the cache.", {
        "pattern": _described("string", "Only keys matching this pattern are returned.")}),
    ("list_templates", "List templates.", {
        "select_hosts": _described(
            "boolean", "If true, include the hosts that are linked to the templates.")}),
    ("list_jobs", "List jobs.", {
        "sort": _described("string", "Jobs returned are sorted by this field.")}),
    ("get_user", "Get a user.", {
        "token": _described("string", "The token is sent as a bearer header.")}),
    ("tickets_in_view", "Tickets in a view.", {
        "waiting_hours": _described("integer",
                                    "Only tickets waiting longer than this many hours.")}),
])
def test_an_argument_that_picks_or_shapes_what_is_shown_stays_read(name, description,
                                                                  properties):
    c = classify(tool(name, description, properties))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("description", [
    # A verb in the third person opening an argument's description, done to every one of what
    # the call finds, or a passive after a condition on the argument itself.
    "Mutes every listed alert for this many minutes.",
    "If set, every alert listed is silenced for this long.",
])
def test_an_argument_said_to_act_on_every_one_found_is_no_reader(description):
    c = classify(tool("list_alerts", "List firing alerts.",
                      {"quiet_for": _described("integer", description)}))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("description", [
    # ... not a verb that reads or tunes the reply, nor a filter.
    "Includes every alert, muted or not.",
    "Sets the page size.",
    "Only alerts muted for at least this many minutes.",
])
def test_an_argument_that_reads_or_tunes_every_one_stays_read(description):
    c = classify(tool("list_alerts", "List firing alerts.",
                      {"quiet_for": _described("integer", description)}))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,properties", [
    # A duration said to be how long the call leaves what it names in a state it puts it in:
    # given, the reader acts.
    ("queue_peek", "Peek at queue messages.", {
        "visibility_timeout": _described(
            "integer", "Seconds the returned messages stay hidden from other consumers.")}),
    ("session_info", "Session details.", {
        "extend_minutes": _described("integer",
                                     "The session is kept alive this many more minutes.")}),
    ("get_monitor", "Get a monitor.", {
        "silence_for": _described("number", "Seconds during which the monitor stays silent.")}),
])
def test_a_duration_something_is_held_in_a_state_for_is_no_reader(name, description,
                                                                  properties):
    c = classify(tool(name, description, properties))
    assert c.category != "Read", c.evidence
    assert any("is 'kept " in line for line in c.evidence), c.evidence


@pytest.mark.parametrize("name,description,properties", [
    # ... not a state the reply or a connection is kept in, a filter, nor a text that says so.
    ("get_report", "Get a report.", {
        "ttl": _described("integer", "Seconds the results stay cached.")}),
    ("fetch_page", "Fetch a web page.", {
        "keepalive": _described("integer", "Seconds the connection is kept open.")}),
    ("list_sessions", "List sessions.", {
        "locked_for": _described("integer",
                                 "Only sessions that stay locked longer than this many minutes.")}),
    ("session_info", "Session details.", {
        "note": _described("string", "The session is kept alive while it is open.")}),
])
def test_a_duration_that_picks_or_shapes_what_is_shown_stays_read(name, description,
                                                                 properties):
    c = classify(tool(name, description, properties))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("description,category", [
    # An argument that is where the call sends what it makes: the reader sends it.
    ("The report is mailed to this address.", "not Read"),
    ("Address the report is mailed to.", "not Read"),
    # ... not a filter on what was sent before, nor how the call asks.
    ("Only reports that were mailed to this address.", "Read"),
    ("The address is sent as a query parameter.", "Read"),
])
def test_an_argument_the_result_is_sent_to(description, category):
    c = classify(tool("get_report", "Get a usage report.",
                      {"month": TEXT, "email_to": _described("string", description)}))
    assert (c.category == "Read") == (category == "Read"), (c.category, c.evidence)


@pytest.mark.parametrize("description,category", [
    # A verb that changes or removes, opening an argument's description, done when the
    # argument is given: the reader does it.
    ("Replaces the secret's value when given.", "not Read"),
    ("Deletes the secret's old versions if set.", "not Read"),
    # ... not one that reads or tunes the reply.
    ("Sets the page size when given.", "Read"),
    ("Returns the secret's value when given.", "Read"),
])
def test_an_argument_that_changes_what_is_read_when_given(description, category):
    c = classify(tool("secret", "A secret's metadata.",
                      {"name": TEXT, "option": _described("string", description)}))
    assert (c.category == "Read") == (category == "Read"), (c.category, c.evidence)


@pytest.mark.parametrize("description,category", [
    # An argument said to be what the call acts with: given, the reader acts.
    ("Resolution note; the ticket is closed with it.", "not Read"),
    ("Comment text. The ticket is reassigned with this to the on-call engineer.", "not Read"),
    # ... not a filter, nor a reply shaped with it.
    ("Only tickets closed with this resolution.", "Read"),
    ("Sort key; the tickets are sorted with it.", "Read"),
])
def test_an_argument_the_call_acts_with(description, category):
    c = classify(tool("ticket_summary", "Summary of a ticket.",
                      {"ticket": TEXT, "note": _described("string", description)}))
    assert (c.category == "Read") == (category == "Read"), (c.category, c.evidence)


def _switch(description: str) -> dict:
    return {"queue": TEXT, "option": _described("boolean", description)}


@pytest.mark.parametrize("description", [
    # A switch described by a command done to what the call found: set, the reader acts.
    "Send them back to the source queue.",
    "Move them back to the source queue.",
    "Remove empty files found.",
    "Purge each message once shown.",
])
def test_a_switch_commanded_to_act_on_what_was_found_is_no_reader(description):
    c = classify(tool("show_queue", "Show messages in a dead-letter queue.",
                      _switch(description)))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("description", [
    # ... not a command that reads, tunes or shapes the reply, nor one about something else.
    "Remove all script tags from the HTML.",
    "Remove them from the output.",
    "Show them with their bodies.",
    "Sort them by age.",
    "Set it to true to include bodies.",
    "Send the credentials to every domain, not only the first.",
    "Leave them unread.",
    "Keep them in the queue.",
])
def test_a_switch_commanded_to_shape_the_reply_stays_read(description):
    c = classify(tool("show_queue", "Show messages in a dead-letter queue.",
                      _switch(description)))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,switch", [
    # A switch whose description commands an act on what the tool shows, with no "If true,":
    # set, the reader acts ("the certificate" of "view_certificate").
    ("view_certificate", "View a TLS certificate.",
     "Renew the certificate when it expires within 30 days."),
    ("view_certificate", "View a TLS certificate.",
     "Revoke the certificate if its key was leaked."),
    ("view_certificate", "View a TLS certificate.",
     "Rotate the certificates of the domain with fresh keys."),
    ("lookup_user", "Look up a user by email.",
     "Unlock the user's account when it is locked out."),
    ("show_ticket", "Show a support ticket.",
     "Assign this ticket to the caller when it has no owner."),
    # ... the second of two commands joined by "and", and one that keeps whatever it names.
    ("cache_lookup", "Look up a cache key.", "Recompute and store the value."),
    ("get_setting", "Get a setting's value.", "Recompute and save the value to the config file."),
])
def test_a_switch_commanding_an_act_on_what_the_tool_shows_is_no_reader(name, description,
                                                                        switch):
    c = classify(tool(name, description, {"key": TEXT, "option": _described("boolean", switch)}))
    assert c.category != "Read", c.evidence
    assert any("a switch, commands" in line for line in c.evidence), c.evidence


@pytest.mark.parametrize("switch", [
    # ... not a command that reads, tunes or shapes the reply, leaves things as they are, or
    # acts on something the tool does not show.
    "Verify the certificate's chain against the system roots.",
    "Translate the certificate's fields into English.",
    "Decrypt the certificate's private key before returning it.",
    "Remove the certificate's PEM header from the output.",
    "Attach the certificate's chain to the reply.",
    "Keep the certificate's comments.",
    "Send the credentials to every host the download is redirected to.",
    "Set the certificate fields to show.",
    "Renew.",
])
def test_a_switch_shaping_what_the_tool_shows_stays_read(switch):
    c = classify(tool("view_certificate", "View a TLS certificate.",
                      {"domain": TEXT, "option": _described("boolean", switch)}))
    assert c.category == "Read", c.evidence


def test_a_command_on_what_the_tool_shows_counts_only_in_a_switch():
    # A text argument described the same way is what the call is handed, not an act.
    c = classify(tool("view_certificate", "View a TLS certificate.", {
        "domain": _described("string", "Renew the certificate for this domain.")}))
    assert c.category == "Read", c.evidence


_MADE_UP = Path(__file__).parent / "fixtures" / "redteam" / "made-up-servers.json"


def test_the_tools_command_calls_no_reader_whose_switch_commands_an_act_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # twenty-fifth round's tools (readers whose switch commands an act on what they show, and
    # near readers phrased alike) and of the two stored leaks of that shape.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for server in made_up["servers"] if server["round"] == "25-a-switch-that-acts"
             for found in server["tools"]]
    acts = {found["name"]: found["acts"] for server in made_up["servers"]
            if server["round"] == "25-a-switch-that-acts" for found in server["tools"]}
    tools += [
        {"name": "view_certificate", "description": "View a TLS certificate.", "inputSchema": {
            "type": "object", "properties": {"domain": {"type": "string"}, "renew_if_expiring": {
                "type": "boolean",
                "description": "Renew the certificate when it expires within 30 days."}}}},
        {"name": "cache_lookup", "description": "Look up a cache key.", "inputSchema": {
            "type": "object", "properties": {"key": {"type": "string"}, "refresh": {
                "type": "boolean", "description": "Recompute and store the value."}}}},
    ]
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": tools}), encoding="utf-8")
    command = Path(sys.executable).parent / "policytui"
    done = subprocess.run([str(command), "tools", "--from", str(snapshot), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = {row["name"]: row["category"] for row in json.loads(done.stdout)["tools"]}
    assert {name: found[name] for name in acts} == {
        "show_ticket": "Write", "read_message": "Write", "lookup_user": "Write",
        "get_setting": "Write", "translate_message": "Read", "show_thread": "Read",
        "describe_instance": "Execute", "check_backup": "Destructive", "get_report": "Write",
        "lookup_domain": "Read", "show_chart": "Read", "get_issue": "Read",
        "get_wiki_page": "Read"}
    assert all((found[name] != "Read") == acting for name, acting in acts.items())
    assert (found["view_certificate"], found["cache_lookup"]) == ("Write", "Write")
