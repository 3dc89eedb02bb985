"""The classifier fails safe: disagreement resolves toward risk, names are read the way servers
write them, annotations are untrusted, and what a call can expose raises its severity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policytui.risk import classify, classify_all
from policytui.risk.names import server_namespaces, server_nouns
from policytui.toolinfo import ToolInfo


def tool(name: str, description: str = "", properties: dict | None = None,
         annotations: dict | None = None) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties or {}},
                    annotations=annotations or {})


# ----- disagreement resolves toward risk ----------------------------------------------------


def test_a_leading_namespace_verb_does_not_outvote_a_deleting_description():
    c = classify(tool("compute_vm_delete", "Delete, remove, or destroy an Azure Virtual Machine"))
    assert (c.category, c.severity) == ("Destructive", "Critical")
    assert any("compute" in line for line in c.against)


@pytest.mark.parametrize("name,category", [
    ("compute_vm_delete", "Destructive"),
    ("compute_disk_delete", "Destructive"),
    ("compute_vm_create", "Write"),
    ("monitor_webtests_createorupdate", "Destructive"),
    ("storagesync_registeredserver_unregister", "Destructive"),
    ("cluster_deprovision", "Destructive"),
    ("records_upsert", "Destructive"),
    ("post_unpublish", "Destructive"),
])
def test_verbs_last_and_compound_verbs_without_any_description(name, category):
    c = classify(tool(name))
    assert c.category == category, c.evidence
    assert c.category != "Read"


def test_a_read_name_with_a_riskier_description_takes_the_riskier_reading():
    c = classify(tool("list_widgets", "Deletes every widget that has expired."))
    assert c.category == "Destructive"
    assert "signals-disagree" in c.flags
    assert any("the name alone would say it reads" in line for line in c.against)


def test_two_verbs_in_a_name_take_the_riskier_unless_the_description_sides_with_it():
    # "compute_vm_delete": the description agrees with the last verb, which wins.
    c = classify(tool("compute_vm_restart", "Restart a virtual machine."))
    assert c.category == "Execute"
    # When the description agrees with the safer verb, the riskier still wins: a name that
    # says "run" may run something, and a reader wrongly called Execute only asks for approval.
    c = classify(tool("get_job_run", "Get the details of one job run."))
    assert c.category == "Execute"
    assert any("disagree" in line for line in c.evidence)
    assert classify(tool("get_job_run")).category == "Execute"


def test_one_weak_sign_is_not_enough_for_read():
    # "query" is more often a noun in a name; alone it does not make a reader.
    assert classify(tool("query_index")).category == "Other"
    assert classify(tool("query_logs", "Search the logs for a pattern.")).category == "Read"


# ----- names as servers write them ----------------------------------------------------------


@pytest.mark.parametrize("name,description,category", [
    ("tax_forms", "W-2 forms for the tax year: generates them for every employee, files them "
     "with the agency and emails copies.", "Write"),
    ("nightly_backups", "Nightly backups of the production database: removes old ones and "
     "uploads a new one.", "Destructive"),
])
def test_a_sentence_of_nouns_whose_clause_after_the_colon_acts_is_no_reader(name, description,
                                                                            category):
    # The name alone is a collection, which with a sentence of nouns would read as a reader;
    # the clause after the colon, however long the words before it, says what the tool does.
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    ("node_stats", "Report each capture node's health: drops, disk, memory, queues."),
    ("dependency_audit", "Orchestrates a full dependency audit of the project: scans its build "
     "files and lists what has updates."),
])
def test_a_clause_after_the_colon_that_lists_nouns_or_reads_changes_nothing(name, description):
    # "drops" in a list of nouns is no act; a clause that reads never makes a tool a reader.
    before = classify(tool(name, description.split(":")[0] + "."))
    c = classify(tool(name, description))
    assert c.category == before.category, c.evidence
    assert c.category != "Destructive"


@pytest.mark.parametrize("name,description,properties", [
    ("audience-tags", "Tags on a subscriber; `tags` replaces them.",
     {"subscriber": {"type": "string"}, "tags": {"type": "array"}}),
    ("campaign-schedule", "When a campaign goes out. Setting `send_at` schedules it.",
     {"campaign": {"type": "string"}, "send_at": {"type": "string"}}),
    ("dns_records", "DNS records for a zone. Records given in `records` replace the existing "
     "set.", {"zone": {"type": "string"}, "records": {"type": "array"}}),
    ("workingHours", "Working hours per weekday; sent values replace the current ones.",
     {"hours": {"type": "object"}}),
    ("queries", "Running queries. Pass `terminate` with a pid to cancel one.",
     {"terminate": {"type": "integer"}}),
])
def test_an_argument_said_to_make_the_call_act_makes_it_no_reader(name, description,
                                                                  properties):
    # A name and a sentence that show something, and an argument the description says
    # replaces, schedules or cancels: passed, the call acts.
    c = classify(tool(name, description, properties))
    assert c.category != "Read", c.evidence
    assert any("argument, when passed" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,properties", [
    ("list_refs", "List all the refs of a git repository.",
     {"repository": {"type": "string"}, "force": {"type": "boolean"}}),
    ("search_files", "Search the files of a stack's git repository.",
     {"stack": {"type": "integer"}, "pattern": {"type": "string"},
      "overwrite": {"type": "boolean"}}),
    ("download_paper", "Download a paper and read its text.",
     {"paper_id": {"type": "string"}, "hard": {"type": "boolean"}}),
])
def test_a_reader_that_can_be_forced_is_no_reader(name, description, properties):
    # A read has nothing to force past or write over: words that only read and an argument
    # such as `force` leave what the call does unknown, and unknown is not Read.
    c = classify(tool(name, description, properties))
    assert c.category == "Other", c.evidence
    assert any("can force or overwrite" in line for line in c.evidence)
    assert "the name and description alone would say it reads" in c.against


@pytest.mark.parametrize("name,description,properties", [
    ("pod_logs", "Log lines for a pod. `tail` fetches the last N lines.",
     {"pod": {"type": "string"}, "tail": {"type": "integer"}}),
    ("search_results", "Search results for a query. `limit` sets the page size and `sort` "
     "changes the order.", {"query": {"type": "string"}, "limit": {"type": "integer"},
                            "sort": {"type": "string"}}),
    ("list_scripts", "List the scripts loaded in the page. Use `reload_page` to reload the page "
     "first.", {}),
    ("open_orders", "Open orders. Filters given in `filters` narrow the list.",
     {"filters": {"type": "object"}}),
])
def test_an_argument_that_tunes_what_is_read_or_another_tool_changes_nothing(name, description,
                                                                             properties):
    # What a reader's arguments do to its reply, or a tool it points to, is no act of its own.
    c = classify(tool(name, description, properties))
    assert c.category == "Read", c.evidence


def _required(name: str, description: str, properties: dict, required: list[str]) -> ToolInfo:
    return ToolInfo(name=name, description=description, input_schema={
        "type": "object", "properties": properties, "required": required})


@pytest.mark.parametrize("name,description,properties,required", [
    ("k8s_replicas", "Replicas for a deployment.",
     {"deployment": {"type": "string"}, "replicas": {"type": "integer"}},
     ["deployment", "replicas"]),
    ("speaker_volume", "Current volume of a speaker.",
     {"speaker": {"type": "string"}, "volume": {"type": "number"}}, ["speaker", "volume"]),
    # The text of what the name names is part of its new value.
    ("chat.status", "Your status: emoji and text shown next to your name.",
     {"status_text": {"type": "string"}, "status_emoji": {"type": "string"}}, ["status_text"]),
    ("channel_topic", "Topic of a channel.",
     {"channel": {"type": "string"}, "topic_text": {"type": "string"}},
     ["channel", "topic_text"]),
])
def test_a_name_of_nouns_handed_a_value_of_what_it_names_sets_it(name, description, properties,
                                                                 required):
    c = classify(_required(name, description, properties, required))
    assert c.category != "Read", c.evidence
    assert any("the call sets it" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,properties,required", [
    # Not required: a filter or a count of what to show.
    ("k8s_replicas", "Replicas for a deployment.",
     {"deployment": {"type": "string"}, "replicas": {"type": "integer"}}, ["deployment"]),
    # A key one looks up by, not a value one sets.
    ("ticket_status", "Status of a ticket.", {"ticket": {"type": "string"}}, ["ticket"]),
    # A verb in the name says what is done with it.
    ("get_volume", "Volume of a speaker.", {"volume": {"type": "integer"}}, ["volume"]),
    ("status_search", "Statuses matching a text.", {"status_text": {"type": "string"}},
     ["status_text"]),
    # An identifier of what the name names is a key.
    ("ticket_status", "Status of a ticket.",
     {"ticket": {"type": "string"}, "status_id": {"type": "string"}}, ["ticket", "status_id"]),
])
def test_a_value_not_required_or_a_key_leaves_a_reader_alone(name, description, properties,
                                                             required):
    c = classify(_required(name, description, properties, required))
    assert c.category == "Read", c.evidence


_LIST = {"type": "array", "items": {"type": "string"}}
_STATES = {"type": "string", "enum": ["ACTIVE", "PAUSED"]}


@pytest.mark.parametrize("name,description,properties,required,namer", [
    # The whole list of what the name names, handed over under a sentence with no verb.
    ("nameservers", "Nameservers for a domain.",
     {"domain": {"type": "string"}, "nameservers": _LIST}, ["domain", "nameservers"], "name"),
    ("negative_keywords", "Negative keywords for a campaign (replaces the list).",
     {"campaign_id": {"type": "string"}, "keywords": _LIST}, ["campaign_id", "keywords"],
     "name"),
    # The noun heading the first sentence, before "for" or "of", is no command: handed a
    # value of it, the call sets it.
    ("grade_submission", "Score for a student's assignment submission.",
     {"submission_id": {"type": "string"}, "score": {"type": "number"}},
     ["submission_id", "score"], "first sentence"),
    # The phrase's head may follow a word that says which ("Target temperature of"), and the
    # unit the sentence gives the value in names it too ("..., in GB"); a sentence and name
    # with no verb at all (Other) are told what to set the same way.
    ("heating_zone", "Target temperature of a zone, in degrees.",
     {"zone": {"type": "string"}, "temperature": {"type": "number"}}, ["zone", "temperature"],
     "first sentence"),
    ("quota", "Storage quota of a user, in GB.",
     {"user": {"type": "string"}, "gb": {"type": "number"}}, ["user", "gb"], "first sentence"),
    # A choice of named values is a state to put it in; a map, like a list, a whole value.
    ("creative_status", "Ad creative status: ACTIVE or PAUSED.",
     {"creative": {"type": "string"}, "status": _STATES}, ["creative", "status"], "name"),
    ("benutzer_status", "Status eines Benutzers (aktiv/gesperrt).",
     {"benutzer": {"type": "string"}, "status": {"type": "string", "enum": ["aktiv", "gesperrt"]}},
     ["benutzer", "status"], "name"),
    ("node_labels", "Labels of a node.",
     {"node": {"type": "string"}, "labels": {"type": "object"}}, ["node", "labels"], "name"),
    # Text named as the phrase's head is its new value: a reader is handed what it is of.
    ("member_details", "Reward tier of a member.",
     {"member": {"type": "string"}, "tier": {"type": "string"}}, ["member", "tier"],
     "first sentence"),
    # What a quota or a cap counts names the number it is set to.
    ("gpu_quota", "GPU quota of a team.",
     {"team": {"type": "string"}, "gpus": {"type": "integer"}}, ["team", "gpus"],
     "first sentence"),
])
def test_a_list_or_the_sentence_s_own_noun_handed_as_a_value_sets_it(name, description,
                                                                     properties, required,
                                                                     namer):
    c = classify(_required(name, description, properties, required))
    assert c.category != "Read", c.evidence
    assert any(f"is a value of what the {namer} names: the call sets it" in line
               for line in c.evidence), c.evidence


@pytest.mark.parametrize("kind", [["number", "null"], ["null", "number"]])
def test_a_nullable_type_list_is_read_as_its_type_not_looked_up(kind):
    """Servers write a type as a list (`["integer", "null"]`); looked up as a word it stopped
    the classifier with a TypeError, taking `tools` and the editor down with it."""
    c = classify(_required("heating_zone", "Target temperature of a zone, in degrees.",
                           {"zone": {"type": "string"}, "temperature": {"type": kind}},
                           ["zone", "temperature"]))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("kind", [["number", "string"], {"type": "number"}, 5])
def test_a_type_of_any_other_shape_never_stops_the_classifier(kind):
    classify(_required("heating_zone", "Target temperature of a zone, in degrees.",
                       {"zone": {"type": "string"}, "temperature": {"type": kind}},
                       ["zone", "temperature"]))


@pytest.mark.parametrize("name,description,properties,required", [
    # The list is not required: a filter.
    ("nameservers", "Nameservers for a domain.",
     {"domain": {"type": "string"}, "nameservers": _LIST}, ["domain"]),
    # A list handed to a sentence with a verb is what it works on.
    ("price_legs", "Given a strategy bid, return per-leg prices.",
     {"venue": {"type": "string"}, "legs": {"type": "array", "items": {"type": "object"}}},
     ["venue", "legs"]),
    # Handed only a key of the thing the sentence names.
    ("grade_report", "Score for a student's assignment submission.",
     {"submission_id": {"type": "string"}}, ["submission_id"]),
    # Text named as what the phrase is of is a key to look up by, not a value to set.
    ("currency_info", "Symbol for a currency.", {"currency": {"type": "string"}}, ["currency"]),
    # Text named otherwise than the phrase's head is what to look up by.
    ("member_details", "Details of a member, by email address.", {"email": {"type": "string"}},
     ["email"]),
    # "in" with no comma before it says where, not a unit.
    ("word_counts", "Counts of words in texts.", {"texts": _LIST}, ["texts"]),
    # After "by" or "for" in the name, its last word is a key to look up by.
    ("campaigns_by_status", "Campaigns by status.", {"status": _STATES}, ["status"]),
    # Optional: a filter.
    ("creative_status", "Ad creative status: ACTIVE or PAUSED.",
     {"creative": {"type": "string"}, "status": _STATES}, ["creative"]),
    # A map named otherwise is what the reply is matched against.
    ("pod_labels", "Labels of a pod, as a map of keys to values.",
     {"pod": {"type": "string"}, "selector": {"type": "object"}}, ["pod", "selector"]),
    # A number of what a price is of is how many to price.
    ("subscription_prices", "Seat price for a subscription.",
     {"subscription": {"type": "string"}, "seats": {"type": "integer"}},
     ["subscription", "seats"]),
    # A page of the reply is how much to show.
    ("query_results", "Page of results for a query.",
     {"query": {"type": "string"}, "page": {"type": "integer"}}, ["query", "page"]),
])
def test_a_list_or_a_key_that_sets_nothing_leaves_a_reader_alone(name, description,
                                                                 properties, required):
    c = classify(_required(name, description, properties, required))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,properties,required", [
    ("feature_flag", "Feature flag state for a project.",
     {"flag": {"type": "string"},
      "enabled": {"type": "boolean", "description": "Whether the flag is on"}},
     ["flag", "enabled"]),
    ("channel_notifications", "Notification settings of a channel.",
     {"channel": {"type": "string"}, "is_muted": {"type": "boolean"}}, ["channel", "is_muted"]),
])
def test_a_reader_handed_a_required_state_switch_puts_something_in_that_state(
        name, description, properties, required):
    c = classify(_required(name, description, properties, required))
    assert c.category == "Write", c.evidence
    assert any("a required switch, is a state the call puts something in" in line
               for line in c.evidence), c.evidence


@pytest.mark.parametrize("name,description,properties,required", [
    # Optional: a filter on what is shown.
    ("feature_flags", "Feature flags of a project.",
     {"project": {"type": "string"}, "enabled": {"type": "boolean"}}, ["project"]),
    # Required, but a switch on what the reply holds, not a state.
    ("audit_events", "Audit events of a project.",
     {"project": {"type": "string"}, "include_archived": {"type": "boolean"}},
     ["project", "include_archived"]),
])
def test_a_reader_s_optional_or_reply_switch_is_no_state_it_sets(name, description,
                                                                properties, required):
    c = classify(_required(name, description, properties, required))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("sales_reporting", "Reporting des ventes (CA, marge, volumes)."),
    ("informe_reporting", "Reporting de ventas por región."),
])
def test_reporting_before_a_romance_of_names_a_view(name, description):
    # French and Spanish servers use the English "reporting" as a noun for a report.
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("bug_reporting", "Reporting bugs to the release team."),  # English: a command
    ("sales_reporting", "Reporting des ventes par un agent."),  # an agent does something
    ("sales_reporting", "Reporting des ventes. Supprime les lignes de plus d'un an."),
])
def test_reporting_in_english_or_with_an_act_is_no_view(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("log_metrics", "Logs metrics to an experiment run."),
    ("log_metrics", "Log training metrics into the run."),
    ("journal_events", "Journals events to the audit store."),
])
def test_a_name_of_nouns_whose_first_word_sends_the_rest_somewhere_is_no_reader(name,
                                                                               description):
    # The name's first word leads the sentence, bare or in the third person, on what the rest
    # of the name names, and sends it "to" or "into" a place: a command, not a view of data.
    c = classify(tool(name, description))
    assert c.category == "Write", c.evidence


@pytest.mark.parametrize("name,description", [
    ("usage_metrics", "Usage metrics to date for the account."),  # "to date": no place
    ("job_metrics", "Job metrics for a run."),
    ("log_metrics", "Log metrics of a run, newest first."),  # sent nowhere
])
def test_a_name_of_nouns_restated_as_a_noun_phrase_still_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("erp.cycle_count", "Cycle count for a bin \u2014 records the counted quantity and adjusts "
     "on-hand stock."),
    ("validate_ticket", "Validate a parking ticket for a merchant: applies the merchant's "
     "discount to the session so the driver pays less at exit."),
])
def test_a_reader_title_whose_clause_after_the_mark_acts_is_no_reader(name, description):
    # The words before the colon or dash name a feature with a reading word; the clause after
    # it says, in the third person, what the call changes.
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("explain_alert", "Explain why an alert fired: evaluates the rule's expression at the firing "
     "time and returns the contributing series."),
    ("get_gantt_chart", "Retrieve project timeline (Gantt) data: issues with dates, dependencies "
     "and milestones."),
    ("diff", "Shows what `apply` would change: submits the manifest as a server-side dry run and "
     "diffs against the live objects."),
    ("search_docs", "Search the docs: returns matching pages with their scores."),
])
def test_a_reader_title_whose_clause_reads_or_rehearses_stays_a_reader(name, description):
    # Running what it reads, a noun after the colon, a dry run and a clause that reads act on
    # nothing.
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


def test_server_namespace_words_are_found_from_the_whole_tool_list():
    names = ["compute_vm_delete", "compute_vm_create", "compute_vm_list", "compute_disk_get",
             "storage_account_list"]
    assert server_namespaces(names) == {"compute"}
    # A verb-first server's "get_" is followed by nouns: no namespace.
    assert server_namespaces(["get_issue", "get_user", "get_repo", "list_issues"]) == set()


def test_classify_all_uses_the_namespace_and_says_so():
    tools = [tool(n) for n in ("compute_vm_delete", "compute_vm_create", "compute_vm_list",
                               "compute_vm_restart")]
    classes = classify_all(tools)
    assert classes["compute_vm_list"].category == "Read"
    assert classes["compute_vm_delete"].category == "Destructive"
    assert classes["compute_vm_restart"].category == "Execute"
    assert any("namespace" in line for line in classes["compute_vm_delete"].evidence)


def test_verbs_a_server_lists_in_the_plural_are_its_nouns():
    assert server_nouns(["list_builds", "get_build", "listPipelineRuns", "pushes_since"]) == {
        "build", "run"}
    # Only verbs that add or run something: removals, changes and money keep their reading,
    # and so does a word already weighed as a noun ("order"); a first word is no plural.
    assert server_nouns(["list_deletes", "list_refunds", "list_updates", "list_orders",
                         "runs_create"]) == set()


def test_a_ci_server_that_lists_builds_reads_one_build():
    names = {"list_builds": "List builds of a project.", "get_build": "Get build details.",
             "tail_build_log": "Get the last N lines of a build log.",
             "get_simulation_run": "", "list_simulation_runs": "",
             "build_project": "", "pipeline_run": "",
             "get_build_and_rerun": "Fetch a build and rerun it.",
             "get_artifact": "Builds the project and returns the artifact.",
             "app_build_preview": "Preview deploy of the app, published at a unique URL.",
             "wait_build": "Wait for the output of a new build of the app.",
             "git_build_changes": "Staged changes, built with the given flags."}
    classes = classify_all([tool(n, d) for n, d in names.items()])
    for reader in ("get_build", "tail_build_log", "get_simulation_run"):
        assert classes[reader].category == "Read", classes[reader].evidence
    assert any("noun here" in line for line in classes["get_build"].evidence)
    # The verb leading a name, standing last, or said by the description still acts.
    assert classes["build_project"].category == "Execute"
    assert classes["pipeline_run"].category == "Execute"
    assert classes["get_build_and_rerun"].category != "Read"
    assert classes["get_artifact"].category != "Read"
    # A server noun only after a verb that looks, and never the name's only verb.
    for actor in ("app_build_preview", "wait_build", "git_build_changes"):
        assert classes[actor].category != "Read", (actor, classes[actor].evidence)
    # Alone, with no list of runs beside it, "get_job_run" keeps the riskier reading.
    assert classify(tool("get_simulation_run")).category == "Execute"


def test_the_editor_reads_a_tool_alone_with_its_servers_nouns():
    from policytui.editor.classes import Classifications
    tools = [tool("list_builds", "List builds."), tool("get_build", "")]
    found = Classifications(lambda name: next((t for t in tools if t.name == name), None),
                            lambda name: None)
    found.classify(tools[-1:], server_tools=tools)
    assert found.brief("get_build")[0] == "Read"
    assert found["get_build"].category == "Read"  # the detail pane's full classification


@pytest.mark.parametrize("name", ["deleteVm", "vm-delete", "vm.delete", "VmDelete",
                                  "API-delete-page", "browser_close_and_delete"])
def test_naming_styles(name):
    assert classify(tool(name)).category == "Destructive"


# ----- annotations with provenance ----------------------------------------------------------


def test_every_hint_has_a_provenance():
    c = classify(tool("list_things", annotations={"readOnlyHint": True}))
    assert c.hints["readOnlyHint"].source == "declared"
    assert (c.hints["destructiveHint"].value, c.hints["destructiveHint"].source) == (
        True, "spec default")
    assert (c.hints["openWorldHint"].value, c.hints["openWorldHint"].source) == (
        True, "spec default")
    data = json.loads(json.dumps(c.to_json()))
    assert data["annotations"]["readOnlyHint"] == {"value": True, "source": "declared"}


@pytest.mark.parametrize("name,description", [
    ("remove_member", "Remove a member from the team."),
    ("send_message", "Send a message to a channel."),
    ("pay_invoice", "Pay an open invoice."),
])
def test_declared_read_only_on_a_tool_that_deletes_sends_or_pays_is_suspicious(name,
                                                                               description):
    c = classify(tool(name, description, annotations={"readOnlyHint": True}))
    assert c.category != "Read"
    assert c.suspicious
    assert "contradicted" in " ".join(c.provenance_lines())


def test_declared_not_read_only_raises_a_reader_and_records_the_contradiction():
    c = classify(tool("get_status", "Get the status.", annotations={"readOnlyHint": False}))
    assert c.category == "Write"
    assert c.hints["readOnlyHint"].contradicted


def test_a_declared_read_only_tool_that_runs_something_is_flagged_as_disagreeing():
    # Not grave enough to be suspicious (it neither removes, sends nor pays), but a script that
    # filters on flags must still find the contradicted claim.
    c = classify(tool("trigger-long-running-operation",
                      "Demonstrates a long running operation with progress updates",
                      annotations={"readOnlyHint": True}))
    assert c.category == "Execute" and not c.suspicious
    assert "signals-disagree" in c.flags
    assert c.hints["readOnlyHint"].contradicted


def test_a_declaration_that_decides_for_unclear_words_says_so_first():
    c = classify(tool("sequentialthinking", "A detailed tool for dynamic and reflective "
                      "problem-solving through thoughts.", annotations={"readOnlyHint": True}))
    assert c.category == "Read"
    assert c.evidence[0].startswith("annotation readOnlyHint=true (declared): the words alone "
                                    "were not clear enough")


def test_spec_defaults_that_apply_only_to_writers_say_so_for_a_declared_reader():
    reader = classify(tool("read_file", "Read a file.", annotations={"readOnlyHint": True}))
    lines = reader.provenance_lines()
    assert ("destructiveHint=true (spec default): the spec counts it only for a tool that is "
            "not read-only") in lines
    assert "openWorldHint=true (spec default)" in lines
    writer = classify(tool("write_file", "Write a file."))
    assert "destructiveHint=true (spec default)" in writer.provenance_lines()


def test_a_declared_read_only_multi_action_tool_keeps_its_deleting_action():
    c = classify(tool("records", "", {"action": {"enum": ["get", "delete"]}},
                      annotations={"readOnlyHint": True}))
    assert c.category == "Destructive" and c.suspicious
    assert c.actions["delete"].category == "Destructive"


# ----- what a call can expose ---------------------------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("get-env", "Returns all environment variables, helpful for debugging MCP server "
                "configuration"),
    ("get_secret", "Get the value of a secret."),
    ("list_credentials", "List stored credentials."),
    ("printenv", "Print the process environment."),
    ("getenv", "Returns the value of a variable."),
    ("show_config", "Show the server's environment, as the program sees it."),
])
def test_reads_of_secrets_are_read_high(name, description):
    c = classify(tool(name, description))
    assert (c.category, c.severity) == ("Read", "High")
    assert "exposes-secrets" in c.flags


def test_arbitrary_urls_and_outward_messages_are_open_world():
    fetch = classify(tool("fetch", "Fetches a URL from the internet.",
                          {"url": {"type": "string"}}))
    assert fetch.category == "Read" and fetch.open_world and fetch.severity == "Medium"
    send = classify(tool("send_email", "Send an email."))
    assert send.category == "Write" and send.open_world
    assert not classify(tool("list_issues", "List issues.")).open_world


# ----- money --------------------------------------------------------------------------------


@pytest.mark.parametrize("name,description,properties", [
    ("create_refund", "Create a refund for a charge.", {"charge": {"type": "string"}}),
    ("create_payout", "Create a payout to a bank account.", {"amount": {"type": "integer"}}),
    ("create_invoice", "Create an invoice for a customer.", {}),
    ("create_transfer", "Transfer money between accounts.", {"amount": {"type": "integer"}}),
    ("create_subscription", "Create a subscription for a customer.", {"price": {"type": "string"}}),
])
def test_money_movers_are_financial(name, description, properties):
    assert classify(tool(name, description, properties)).category == "Financial"


@pytest.mark.parametrize("name,description", [
    ("list_invoices", "List invoices."),
    ("get_balance", "Get the account balance."),
    ("list_subscriptions", "List subscriptions."),
])
def test_money_readers_stay_read(name, description):
    assert classify(tool(name, description)).category == "Read"


# ----- what servers write that the words alone would miss -----------------------------------


def test_a_reader_told_where_to_write_a_file_writes():
    c = classify(tool("export_csv", "Export a range as a CSV file.",
                      {"path": {"type": "string"}, "csv_path": {"type": "string"}}))
    assert c.category == "Write"
    assert "argument 'csv_path' says where it writes a file" in c.evidence
    # A bare `path` is what is read.
    assert classify(tool("export_workbook", "Return the workbook file.",
                         {"path": {"type": "string"}})).category == "Read"
    wrapped = classify(tool("download_data", "Download usage data.",
                            {"params": {"type": "object",
                                        "properties": {"outputDir": {"type": "string"}}}}))
    assert wrapped.category == "Write"
    # A folder given by name is where a downloader puts what it fetches.
    named = classify(tool("download_granules", "Search granules, then download them.",
                          {"folder_name": {"type": "string"}, "count": {"type": "integer"}}))
    assert named.category == "Write"
    assert "argument 'folder_name' says where it writes a file" in named.evidence


def test_a_changing_tool_whose_first_sentence_removes_is_destructive():
    c = classify(tool("disable_user", "Disable a user account, removing all of its sessions."))
    assert (c.category, c.severity) == ("Destructive", "Critical")


def test_browser_interactions_and_sign_ins_change_state():
    for name in ("browser_click", "page_fill", "navigate", "login", "respond_to_event"):
        assert classify(tool(name)).category == "Write", name


def test_a_reader_verb_followed_by_another_verb_word_names_what_is_read():
    # "commit" right after "View" is the object ("commit history"), not a second verb...
    c = classify(tool("git_log", "View commit history with optional filtering by author."))
    assert c.category == "Read", c.evidence
    assert classify(tool("list_markers", "List delete markers of a bucket.")).category == "Read"
    # ...while a separator still offers one: the riskier reading wins.
    assert classify(tool("files", "View, commit or push changes.")).category == "Write"
    assert classify(tool("files", "View or delete a file.")).category == "Destructive"
    # Verbs other than a reader's still chain as before.
    assert classify(tool("items", "Create update requests.")).category != "Read"


def test_a_switch_count_or_choice_named_like_a_payload_holds_nothing_to_write():
    log = {"patch": {"type": "boolean", "description": "Show the patch of each commit."},
           "data": {"type": "integer"}, "value": {"enum": ["short", "full"]}}
    assert classify(tool("show_log", "Show the commit log.", log)).category == "Read"
    # Free content to write still makes a "reader" write.
    c = classify(tool("preview_post", "Preview a post.", {"body": {"type": "string"}}))
    assert c.category == "Write"


def test_a_switch_named_by_a_removal_verb_makes_a_tool_remove():
    c = classify(tool("git_fetch", "Fetch updates from a remote repository.",
                      {"remote": {"type": "string"},
                       "prune": {"type": "boolean", "description": "Prune stale references."}}))
    assert c.category == "Destructive", c.evidence
    assert "argument 'prune' switches on removing things" in c.evidence
    # A writer with such a switch can destroy.
    push = classify(tool("git_push", "Push commits to a remote.",
                         {"branch": {"type": "string"}, "delete": {"type": "boolean"}}))
    assert (push.category, push.severity) == ("Destructive", "Critical")
    # Trimming what a reader returns removes nothing.
    html = classify(tool("get_visible_html", "Get the HTML of the page.",
                         {"removeComments": {"type": "boolean"},
                          "removeScripts": {"type": "boolean"}}))
    assert html.category == "Read"
    # A "delete" that is not a switch (a string filter) is no switch either.
    assert classify(tool("list_events", "List events.",
                         {"delete": {"type": "string"}})).category == "Read"


def test_a_list_of_steps_to_perform_makes_a_tool_as_risky_as_its_riskiest_step():
    def steps(*kinds):
        return {"url": {"type": "string"},
                "actions": {"type": "array", "items": {"type": "object", "properties": {
                    "type": {"type": "string", "enum": list(kinds)},
                    "selector": {"type": "string"}}}}}
    c = classify(tool("web_scrape", "Scrape one URL and return its content.",
                      steps("wait", "screenshot", "click", "write", "executeJavascript")))
    assert c.category == "Execute", c.evidence
    assert any("'actions' lists steps to perform" in line for line in c.evidence)
    typing = classify(tool("web_scrape", "Scrape one URL.", steps("wait", "click", "write")))
    assert typing.category == "Write"
    # Steps that only look keep a reader a reader.
    looking = classify(tool("web_scrape", "Scrape one URL.", steps("wait", "screenshot")))
    assert looking.category == "Read"
    # So do arguments that are not a list of steps.
    listing = classify(tool("list_audit_events", "List audit events.",
                            {"types": {"type": "array", "items": {
                                "type": "string", "enum": ["create", "delete"]}}}))
    assert listing.category == "Read"


def test_an_argument_to_upload_or_install_makes_a_reader_send_or_install():
    shot = classify(tool("takeAppScreenshot", "Take a screenshot of an app on a device.",
                         {"device": {"type": "string"},
                          "appPath": {"type": "string", "description":
                                      "The path to the .apk file. Required for app installation."}}))
    assert shot.category == "Execute", shot.evidence
    assert "argument 'appPath' is something to install" in shot.evidence
    scan = classify(tool("scan_document", "Scan a document for secrets.",
                         {"file_path": {"type": "string", "description": "File path to upload"}}))
    assert scan.category == "Write"
    # The noun "upload" (an upload's ID) sends nothing.
    listing = classify(tool("get_file_info", "Get the details of a file.",
                            {"uploadId": {"type": "string", "description": "The upload ID."},
                             "installed": {"type": "boolean",
                                           "description": "Only installed apps."}}))
    assert listing.category == "Read"


@pytest.mark.parametrize("name,description,category", [
    ("resolveComment", "Resolve a comment thread on a pull request", "Write"),
    ("resolve_incident", "Resolve an incident.", "Write"),
    ("resolve-library-id", "Resolves a package name to a library ID.", "Read"),
    ("resolve_option_conid", "Resolve a specific option contract conid.", "Read"),
    ("follow_user", "Follow a user.", "Write"),
    ("watch_repository", "", "Write"),
    ("follow_execution_logs", "Follow the logs of an execution.", "Read"),
    ("watch_deployment", "Watch a deployment until it finishes.", "Read"),
])
def test_resolve_follow_and_watch_only_read_what_is_looked_up_or_streamed(name, description,
                                                                          category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    ("preview_style_tool", "Generate preview URL for a style using a public token", "Read"),
    ("style_comparison_tool", "Generate a comparison URL for comparing two styles", "Read"),
    ("suggest_label_config", "Generates an Alloy loki.process snippet enforcing labels.", "Read"),
    # A name that says "generate" still says Write, and the riskier reading wins.
    ("generate_deeplink", "Generate deeplink URLs for dashboards.", "Write"),
    # Links, keys and money: generating them often creates something on the server.
    ("share_tool", "Generate a share link for the file.", "Write"),
    ("key_tool", "Generate an API key.", "Write"),
    # (a payment URL is a payment link: money, as in the corpus labels)
    ("get_checkout_url", "Generate a payment URL for the order.", "Financial"),
    # A riskier alternative still counts.
    ("style_tool", "Generate a style JSON or delete the style.", "Destructive"),
])
def test_a_description_that_generates_text_to_hand_back_reads(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


def test_verbs_ending_in_ly_are_no_adverbs():
    # "Apply" and "Reply" lead their sentence; "Recursively" is skipped as before.
    assert classify(tool("table_header", "Apply highlighting to a header row.")).category == \
        "Destructive"
    assert classify(tool("thread_message", "Reply to a thread.")).category == "Write"
    assert classify(tool("tree", "Recursively list a folder.")).category == "Read"
    assert classify(tool("footnote_style", "Customize footnote numbering.")).category == \
        "Destructive"


def test_a_description_that_opens_with_a_short_title_is_read_after_it():
    c = classify(tool("goal_seek", "Goal Seek: change the constant cell until the formula "
                                   "reaches the target, and store it."))
    assert c.category == "Destructive", c.evidence
    assert classify(tool("summary", "Summary: lists the files of a folder.")).category == "Read"
    # A long lead-in before a colon is no title.
    long = classify(tool("thing", "This is a rather long introduction of the tool: delete it."))
    assert long.category != "Read"


@pytest.mark.parametrize("description,category", [
    ("現在のユーザー情報を取得 (詳細ガイドを参照)", "Read"),
    ("freee-mcp サーバーの情報を取得（バージョンなど）", "Read"),
    ("获取用户列表", "Read"),
    ("指定したファイルを削除します。", "Destructive"),
    ("取引を取得して削除", "Destructive"),  # a reading and a removal: the riskier wins
    ("新しいタスクを作成", "Write"),
    ("ワークフローを実行", "Execute"),
    ("用户信息", "Other"),  # no verb: not Read
    ("사용자 목록 조회", "Read"),
    ("파일을 삭제합니다", "Destructive"),
    ("예약을 취소", "Destructive"),
])
def test_japanese_chinese_and_korean_descriptions_are_read_for_their_verbs(description, category):
    c = classify(tool("freee_current_user", description))
    assert c.category == category, c.evidence


def test_an_action_enum_of_a_clear_reader_is_a_filter_and_a_setting_is_no_action():
    reader = classify(tool("list_adjustments", "List adjustments.",
                           {"action": {"enum": ["refund", "credit", "chargeback"]}}))
    assert reader.category == "Read" and not reader.actions
    setting = classify(tool("update_discount", "Update a discount.",
                            {"mode": {"enum": ["standard", "custom"]}}))
    assert setting.category == "Destructive" and not setting.actions


def test_a_raw_api_request_tool_on_a_money_api_is_financial():
    c = classify(tool("api_post", "Send a POST request to the accounting and invoice API.",
                      {"path": {"type": "string"}, "body": {"type": "object"}}))
    assert c.category == "Financial"
    assert classify(tool("api_post", "Send a POST request to the issue tracker API.",
                         {"path": {"type": "string"}})).category != "Financial"


@pytest.mark.parametrize("name,money", [
    ("delete_saved_payment_method", False),
    ("create_payment_link", True),
    ("create_credit_note", True),
    ("cancel_subscription", True),
    ("update_invoice_template", False),
])
def test_the_head_noun_decides_whether_a_money_word_is_money(name, money):
    c = classify(tool(name, "", {"amount": {"type": "integer"}}))
    assert (c.category == "Financial") is money, c.evidence


# ----- what people see: `policytui tools --json` -----------------------------------------------


def test_tools_json_shows_provenance_and_evidence_against(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": [
        {"name": "delete_cache", "description": "Delete the whole cache.",
         "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": True}},
        {"name": "list_items", "description": "List items.", "inputSchema": {"type": "object"}},
    ]}), encoding="utf-8")
    command = Path(sys.executable).parent / "policytui"
    done = subprocess.run([str(command), "tools", "--from", str(snapshot), "--json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    tools = {t["name"]: t for t in json.loads(done.stdout)["tools"]}
    deleter = tools["delete_cache"]
    assert deleter["category"] == "Destructive"
    assert "suspicious-annotation" in deleter["flags"]
    assert deleter["annotationProvenance"]["readOnlyHint"]["source"] == "declared"
    assert deleter["annotationProvenance"]["readOnlyHint"]["contradicted"]
    assert deleter["evidenceAgainst"]
    reader = tools["list_items"]
    assert reader["annotationProvenance"]["destructiveHint"] == {"value": True,
                                                                 "source": "spec default"}


def test_detail_pane_shows_provenance_flags_and_evidence_against(tmp_path):
    from rich.console import Console

    from policytui.editor.state import EditorState
    from policytui.toolinfo import ServerListing
    from policytui.tui.detail import render_detail

    listing = ServerListing.from_tool_dicts([
        {"name": "delete_cache", "description": "Delete the whole cache.",
         "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": True}},
        {"name": "list_items", "description": "List items.", "inputSchema": {"type": "object"}},
    ])
    state = EditorState.open(listing, tmp_path / "policy.json")
    console = Console(width=160, record=True, color_system=None)
    console.print(render_detail(state, "delete_cache"))
    shown = console.export_text()
    assert "Destructive" in shown
    assert "readOnlyHint=true (declared): contradicted" in shown
    assert "suspicious-annotation" in shown
    assert "against: annotation readOnlyHint=true (declared) would say Read" in shown
    console = Console(width=160, record=True, color_system=None)
    console.print(render_detail(state, "list_items"))
    assert "Annotations: none declared; the spec's defaults apply" in console.export_text()


def test_a_bare_action_verb_acts_on_what_the_tool_is_about():
    c = classify(tool("manage_invoices", "Manage invoices.",
                      {"action": {"enum": ["list", "create", "void"]}}))
    assert c.actions["list"].category == "Read"
    assert c.actions["create"].category == "Financial"
    assert c.category == "Financial"
    assert classify(tool("mark_invoice_paid", "Mark an invoice as paid.")).category == "Financial"


# ----- a reader that also offers something else ---------------------------------------------


@pytest.mark.parametrize("name,description,category", [
    # Verbs chained straight after a reading lead are alternatives the tool offers, even under
    # a reader's name (the description is not otherwise searched for later steps there).
    ("list_webhooks", "List, create or delete webhooks.", "Destructive"),
    ("get_settings", "View or update the notification settings.", "Destructive"),
    ("get_user", "Get or create a user by email.", "Write"),
    ("list_labels", "List and manage labels.", "Destructive"),
    ("search_docs", "Search and delete documents.", "Destructive"),
])
def test_verbs_chained_after_a_reading_lead_count_under_a_reading_name(name, description,
                                                                       category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence
    assert any("description also offers" in line for line in c.evidence)


@pytest.mark.parametrize("name,description", [
    ("view_budget", "View or tighten this session's spending limits."),
    ("budget", "View or tighten this session's spending limits."),
    ("search_index", "Search or index documents."),
    ("list_reminders", "List or defer the reminders of a channel."),
])
def test_an_unknown_verb_offered_next_to_a_reading_lead_is_not_read(name, description):
    # Right after "View or" there is no object yet: the next word is a second verb, and one
    # the table does not know is no reason to let the tool through as a reader.
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence
    assert any("an unknown verb" in line for line in c.evidence)


@pytest.mark.parametrize("name,description", [
    ("list_users", "List or search users."),
    ("list_all", "List or all."),
    ("count_events", "Search, group and count RUM events by a dimension."),
    ("get_issue", "Get an issue and its comments."),
    ("list_files", "Lists files and directories in a path."),
])
def test_readers_with_nouns_or_known_readings_after_the_lead_stay_read(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


def test_an_action_argument_with_no_known_verb_is_not_enough_for_read():
    # "budget" with action: status | tighten picks what the tool does; neither value is a
    # known verb, so a reading description alone does not make it a reader.
    c = classify(tool("budget", "Show this session's spending limits.",
                      {"action": {"type": "string", "enum": ["status", "tighten"]},
                       "per_request": {"type": "integer"}}))
    assert c.category == "Other", c.evidence
    assert any("none of them a known verb" in line for line in c.evidence)
    # A "mode" of travel is a setting, not a choice of action: the reader stays a reader.
    c = classify(tool("maps_directions", "Get directions between two places.",
                      {"mode": {"type": "string", "enum": ["driving", "walking", "transit"]}}))
    assert c.category == "Read", c.evidence


# ----- query languages that can write ---------------------------------------------------------


@pytest.mark.parametrize("properties", [
    {"query": {"type": "string", "description": "The GraphQL query or mutation to run"}},
    {"query": {"type": "string", "description": "A GraphQL document"}},
    {"mutation": {"type": "string"}},
    {"graphql": {"type": "string"}},
])
def test_a_graphql_argument_can_mutate_so_the_tool_is_no_reader(properties):
    c = classify(tool("graphql_query", "Query the API.", properties))
    assert c.category == "Execute", c.evidence
    assert any("GraphQL, which may be a mutation" in line for line in c.evidence)


def test_a_graphql_word_elsewhere_is_no_code_argument():
    # Only a query-like argument holds a GraphQL document; an ID of a GraphQL API is a name.
    c = classify(tool("get_graphql_api", "Get a GraphQL API.",
                      {"apiId": {"type": "string", "description": "The GraphQL API ID"}}))
    assert c.category == "Read", c.evidence
    c = classify(tool("query_metrics", "Query metrics.",
                      {"query": {"type": "string", "description": "PromQL expression"}}))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A query or search that only names what is run, started or restarted reads nothing.
    ("run_search_job", "Run the search job.", "Execute"),
    ("restart_query_engine", "Restart the query engine.", "Execute"),
    ("start_search_indexer", "", "Execute"),
    ("indexer_control", "Start the search indexer for a collection.", "Execute"),
    # The query or search is what is run: a read.
    ("fulltext", "Run a search across all documents.", "Read"),
    ("warehouse", "Execute a SQL query against the warehouse.", "Read"),
    ("start_search", "", "Read"),
])
def test_a_query_word_reads_only_as_the_head_of_what_is_run(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # Cluster and host operations a server names with the operators' own verbs.
    ("node_maintenance", "Cordon, uncordon or drain a node.", "Destructive"),
    ("drain_node", "", "Destructive"),
    ("k8s_taint", "Taint a node so that pods without a toleration leave it.", "Destructive"),
    ("quarantine_host", "Quarantine a host from the network.", "Destructive"),
    ("vm_poweroff", "", "Destructive"),
    ("escalate_incident", "Escalate an incident to the next level.", "Write"),
    ("reindex_collection", "Rebuild the search index.", "Execute"),
    ("failover_cluster", "", "Execute"),
    # As nouns they name what is read.
    ("get_silence", "Get a silence by ID.", "Read"),
    ("list_node_taints", "List the taints of a node.", "Read"),
])
def test_operators_verbs_act_and_their_nouns_are_read(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # Verbs that take or sign something for the caller, and correcting in place: each
    # acts wherever the description says it, after a reading lead too.
    ("get_lock", "Acquire a lock on the resource and return its token.", "Write"),
    ("view_agreement", "Show an agreement. Countersigns it when every party has signed.",
     "Write"),
    ("grammar", "Check a document's grammar, correcting mistakes directly in the file.",
     "Destructive"),
    ("locate_tablet", "Locate tablet: rings the device at full volume.", "Write"),
    ("accrue_interest", "Accrue interest on open balances.", "Financial"),  # owed
    ("view_document", "View a document. Signs it with the user's key.", "Write"),
    ("repo_status", "Show the status. Initialises it when it is missing.", "Write"),
    # As nouns, or "correct" as an adjective, they name what is read.
    ("get_ring", "Get the ring buffer's contents.", "Read"),
    ("get_signature", "Get the signature of a document.", "Read"),
    ("quiz_answer", "Get the correct answer for a quiz question.", "Read"),
])
def test_verbs_that_take_sign_or_correct_act(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- phrasings found by trying to get acting tools called Read ----------------------------

_AMOUNT_TO = {"to": {"type": "string"}, "amount": {"type": "number"}}


@pytest.mark.parametrize("name,description,properties,category", [
    # The name's first word leads the sentence in the third person: a verb the tables lack.
    ("collect_payments", "Collects payments from customers.", None, "Financial"),
    ("foo_things", "Foos things.", None, "Write"),
    ("recent_commits", "Recent commits on a branch.", None, "Read"),
    # A later step under a reader's lead, in the third person or after a modal or "before".
    ("sql_maintenance", "Queries the database and deletes matching rows.", None, "Destructive"),
    ("invoices", "Fetches invoices and pays outstanding invoices.", None, "Financial"),
    ("receive_message", "Retrieves the next message before deleting it.", None, "Destructive"),
    ("pull_message", "Gets the message and can delete it.", None, "Destructive"),
    ("consume_message", "Read & delete a message.", None, "Destructive"),
    ("logs", "Lists log files; deletes old ones.", None, "Destructive"),
    ("list_plugins", "List plugins with their status and update availability.", None, "Read"),
    ("list_jobs", "Lists jobs and runs for a pipeline.", None, "Read"),
    # What a later sentence says "it" does to what it names.
    ("files", "Lists all files. It then deletes them.", None, "Destructive"),
    ("key_info", "Shows a key's scope. It stops being active once it expires.", None, "Read"),
    # Words that only say how a command is done; a noun naming the act.
    ("stuck_pods", "Force delete pods stuck in Terminating.", None, "Destructive"),
    ("gdpr_users", "Permanent deletion of users.", None, "Destructive"),
    ("hotel_terms", "Cancellation policy for a hotel.", None, "Other"),
    # A short title, then the sentence that acts; a markdown heading.
    ("sql", "Query Runner: executes arbitrary SQL.", None, "Execute"),
    ("directory", "User Lookup - removes the user from the directory.", None, "Destructive"),
    ("sqlx", "## Query\nExecutes arbitrary SQL against the database.", None, "Execute"),
    ("discover", "Discover games by criteria - tags, max price, platform.", None, "Read"),
    # Two-word verbs.
    ("env", "Tears down the staging environment.", None, "Destructive"),
    ("power_off_vm", "", None, "Destructive"),
    ("ledger", "Zeroes out the account balance.", None, "Financial"),
    # An object pronoun before a Romance second verb; Russian forms.
    ("mensajes", "Obtiene los mensajes y los elimina.", None, "Destructive"),
    ("facturas", "Consulta la factura y la paga.", None, "Financial"),
    ("sozdat_platezh", "Создаёт платёж.", None, "Financial"),
    ("vyvod", "Выводит средства на банковскую карту.", None, "Financial"),
    ("spisanie", "Списывает деньги с карты клиента.", None, "Financial"),
    # An acting verb right before an agent noun acts on it; "set" and "mark" lead as commands.
    ("StopCrawler", "If the specified crawler is running, stops the crawl.", None, "Write"),
    ("delete_tracker", "", None, "Destructive"),
    ("services_reader", "", None, "Read"),
    # After a verb that reads, an agent noun is what is read.
    ("get_queue_subscriber", "", None, "Read"),
    ("crm_find_team_manager", "Find a user's team manager.", None, "Read"),
    ("get_and_run_executor", "", None, "Execute"),
    ("check_updater", "", None, "Destructive"),
    ("set_audit_policy", "Audit policy configuration.", None, "Destructive"),
    ("scan_then_quarantine", "", None, "Destructive"),
    ("empty_trash", "", None, "Destructive"),
    ("list_empty_folders", "", None, "Read"),
    # Arguments: a query in a language that writes; a switch that marks or deletes.
    ("mysql_query", "Execute a MySQL query.", {"query": {"type": "string"}}, "Execute"),
    ("read_email", "Read email.", {"id": {"type": "string"}, "mark_read": {"type": "boolean"}},
     "Write"),
    ("get_messages", "Get messages.", {"delete_after_read": {"type": "boolean"}}, "Destructive"),
    ("get_order", "Get order.", {"action": {"type": "string", "enum": ["get", "refund"]}},
     "Financial"),
    # Money: amounts with a recipient, bids, charging a payer, verbs the tables lacked.
    ("mass_payouts", "Mass payouts to a list of recipients.",
     {"recipient": {"type": "string"}, "amount": {"type": "number"}}, "Financial"),
    ("send_sol", "Sends SOL to a wallet address.", _AMOUNT_TO, "Financial"),
    # A second command bare after "and" under a reader's imperative; noun compounds and lists
    # of what is read stay reads.
    ("analyze_logs", "Analyze logs and create alerts for anomalies.", None, "Write"),
    ("check_stock", "Check stock levels and reorder items below threshold.", None,
     "Destructive"),
    ("find_duplicates", "Find duplicate contacts and merge records automatically.", None,
     "Destructive"),
    ("get_prs", "Get pull requests and close stale ones.", None, "Write"),
    ("fetch_feed", "Fetch the feed and mark items as read.", None, "Write"),
    ("list_mrs", "List pull requests and merge requests.", None, "Read"),
    ("get_runs", "Get workflow runs and build artifacts.", None, "Read"),
    ("list_plugins", "List plugins with their status, version, and update availability.", None,
     "Read"),
    ("search_cancelled", "Search cancelled orders with refund amounts and cancel reasons.", None,
     "Read"),
    ("get_system_status", "Get system status: versions, plugins, and store diagnostics.", None,
     "Read"),
    ("list_files", "List open files and close dates.", None, "Read"),
    # "both", what two things just named are, opens a step's object as "each" does.
    ("reconcile_line", "Match a bank statement line to a ledger transaction and mark both "
     "reconciled.", None, "Write"),
    ("compare_schedules", "Compare two schedules and archive both.", None, "Write"),
    ("match_line", "Match a bank statement line to a ledger transaction and show both.", None,
     "Read"),
    # A gerund subject that removes or changes: what doing something with the tool does.
    ("get_otp", "Get a one-time code; requesting a new code invalidates previous codes.", None,
     "Destructive"),
    ("get_token", "Get an access token. Exchanging the refresh token invalidates the old one.",
     None, "Destructive"),
    ("list_items", "List items. Filtering by status returns only matching items.", None,
     "Read"),
    # ... a word more often a noun before the person calling is the verb: done to them.
    ("view_file", "View a file. Viewing a shared file records you as a viewer and notifies its "
     "owner.", None, "Write"),
    ("view_invoice", "View an invoice. Opening an overdue invoice bills you a late fee.", None,
     "Financial"),
    ("list_rows", "List rows. Paging through them puts you at the end of the list.", None,
     "Read"),
    ("search_docs", "Search the docs. Searching by tag shows you only pages with that tag.",
     None, "Read"),
    ("get_report", "Get a report, including totals that change daily.", None, "Read"),
    ("check_settings", "Check the settings and persist the defaults.", None, "Write"),
    ("inspect_volume", "Inspect a volume; unused snapshots of it are reclaimed.", None,
     "Destructive"),
    ("get_balance", "Return the account balance; overdue fees are charged to the card first.",
     None, "Financial"),
    ("read_config", "Read the config file. The cached copy is overwritten.", None,
     "Destructive"),
    # Working in place changes what the tool is given; a state "in place" changes nothing.
    ("convert_file", "Convert the file to UTF-8 in place.", None, "Destructive"),
    ("decode_file", "Decode a base64 file in-place.", None, "Destructive"),
    ("get_config", "Get config. Values not given are left in place.", None, "Read"),
    ("get_rules", "Get rules. Which rules are in place for the account.", None, "Read"),
    ("lookup_word", "Look up a word in place of the user.", None, "Read"),
    ("get_hits", "Get hits, with an error string in place\n  of the list.", None, "Read"),
    # A clause after ";" that opens with a verb in the third person says what the tool does,
    # as a later sentence does; one that reads, or changes nothing named, does not.
    ("mirror_status", "Status of the package mirror; kicks off a resync when it is behind "
     "upstream.", None, "Execute"),
    ("mirror_status", "Status of the package mirror; deletes stale packages.", None,
     "Destructive"),
    ("mirror_status", "Status of the package mirror; includes the last sync time.", None, "Read"),
    ("mirror_status", "Status of the package mirror; updates every hour.", None, "Read"),
    # A later sentence that starts a movement of money.
    ("fiat_offramp", "Convert USDC to fiat currency. Initiates a withdrawal from the balance "
     "to a bank account.", None, "Financial"),
    ("fiat_onramp", "Convert fiat currency to USDC. Initiates a bank transfer to fund the "
     "agent.", None, "Financial"),
    ("get_payment", "Get one payment. Returns a payment object with its refunds.", None,
     "Read"),
    ("get_sync", "Get the sync state. Starts a file transfer when files are missing.", None,
     "Execute"),
    ("list_orders", "List orders. Creates a page token for the next call.", None, "Read"),
    ("estimate_gas", "Estimates gas for a transfer.", _AMOUNT_TO, "Read"),
    ("place_bid", "Places a bid on an auction listing.",
     {"listing_id": {"type": "string"}, "bid_amount": {"type": "number"}}, "Financial"),
    ("charge_customer", "Charges the customer.", None, "Financial"),
    ("reimburse_employee", "Reimburses an employee.", None, "Financial"),
    ("place_order", "Places an order for the items in the cart.", None, "Financial"),
    ("set_tip", "Set the tip amount on the cart.", None, "Destructive"),
    # Later sentences: a bare third-person verb, the passive, side effects, "this tool".
    ("get_messages", "Retrieves unread messages. Deletes them from the server afterwards.",
     None, "Destructive"),
    ("pop_message", "Returns the next message. The message is removed from the queue.", None,
     "Destructive"),
    ("get_issue", "Get a Jira issue by key.\n\nSide effects:\n- Assigns it to the caller",
     None, "Write"),
    ("get_user", "Gets a user. Side effects: none.", None, "Read"),
    ("list_updates", "Lists updates. Updates are returned newest first.", None, "Read"),
    # A title restating the name, then what the tool does: cancelling an order, as
    # `cancel_order` does, changes what is owed.
    ("order_status", "Order status. Cancels the order if it has not shipped.", None,
     "Financial"),
    ("list_files", "List files in a folder. This tool also deletes files older than 30 days.",
     None, "Destructive"),
    ("check_disk", "Check disk usage. If it is above 90%, this tool automatically deletes old "
     "logs.", None, "Destructive"),
    ("maps_route", "Plans a route. Replaces the manual chain of geocode and directions.", None,
     "Read"),
    # A second third-person step with a bare object, and who pays after a noun-like verb.
    ("report_tickets", "Gets the report and creates tickets.", None, "Write"),
    ("report_billing", "Gets the report and charges customers.", None, "Write"),
    ("list_builds", "Lists builds and deploys across environments.", None, "Read"),
    # A verb the tables lack, in the third person before its object, under a reading name.
    ("get_help", "Pages the on-call engineer.", None, "Write"),
    ("get_tables", "Represents a collection of tables in the workbook.", None, "Read"),
    # More languages: sequence words, Polish, Indonesian.
    ("mensajes", "Obtiene los mensajes y luego los elimina.", None, "Destructive"),
    ("fetch_mail", "Pobiera nowe wiadomości i usuwa je z serwera.", None, "Destructive"),
    ("berkas", "Menghapus berkas yang dipilih.", None, "Destructive"),
    # Reading verbs whose object makes them act; a noun-headed act; a switch.
    ("browser_check", "Check a checkbox.", None, "Write"),
    ("extract_archive", "Extract a zip archive into a directory.", None, "Write"),
    ("extract_text", "Extract text from a PDF.", None, "Read"),
    ("account_deletion", "Account deletion.", None, "Destructive"),
    ("fetch_emails", "Fetch emails from the inbox.", {"delete_after_fetch": {"type": "boolean"}},
     "Destructive"),
    # Reading verbs the tables lacked, and views named after an act.
    ("decode_base64", "Decodes a base64 string.", None, "Read"),
    ("trace_route", "Run a traceroute to a host.", None, "Read"),
    ("merge_status", "Get the merge status of a pull request.", None, "Read"),
    ("current_weather", "Current weather conditions for a location.", None, "Read"),
    # A third round, in the phrasings of particular domains.
    ("get_items", "Get items and delete old rows.", None, "Destructive"),
    ("list_versions", "List object versions and delete markers.", None, "Read"),
    ("market_view", "Get buy and sell orders for a symbol.", None, "Read"),
    ("verify_backup", "Verify a backup by restoring it to a scratch database.", None,
     "Destructive"),
    ("read_stream", "Read entries, deleting the last-delivered ID.", None, "Destructive"),
    ("get_table", "Returns rows. Also deletes stale rows.", None, "Destructive"),
    ("get_report", "Returns the report. Sends a copy to the account owner.", None, "Write"),
    ("list_jobs", "List jobs. Old jobs are deleted.", None, "Destructive"),
    ("consume", "Consume messages from a topic. Offsets are committed automatically.", None,
     "Write"),
    ("get_xml", "Gets XML. Whitespace between XML tags is removed.", None, "Read"),
    ("list_files", "List files. The response is truncated at 100 entries.", None, "Read"),
    ("seed_users", "Seed users into the dev database.", None, "Write"),
    ("recent_commits", "Recent commits on a branch.", None, "Read"),
    ("convertLead", "Converts a Lead into an Account and a Contact.", None, "Write"),
    ("get_summary", "Get a summary.",
     {"compact": {"type": "boolean", "description": "If true, deletes the originals."}},
     "Destructive"),
    # Only a switch is read for what setting it does: a string so described is a value.
    ("get_summary", "Get a summary.",
     {"compact": {"type": "string", "description": "If true, deletes the originals."}},
     "Read"),
    # Only an argument that may hold text is read for the code it is described to take.
    ("get_summary", "Get a summary.",
     {"expr": {"type": "string", "description": "Python code to run."}}, "Execute"),
    ("get_summary", "Get a summary.",
     {"expr": {"type": "integer", "description": "Python code to run."}}, "Read"),
    ("get_html", "Get the page's HTML.",
     {"removeComments": {"type": "boolean", "description": "Remove all HTML comments"}},
     "Read"),
    ("get_export", "Get the export.", {"dry_run": {"type": "boolean"}}, "Write"),
])
def test_phrasings_made_up_to_get_an_acting_tool_called_read(name, description, properties,
                                                              category):
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,properties,category", [
    # A reader's first sentence that opens with a word spelled like a verb that acts is read
    # as that verb: a red team showed commands and nouns look alike here ("Push metrics to
    # the gateway", "Runs on a five-minute schedule, alerting the team").
    ("export_metrics", "Push metrics to the Prometheus Pushgateway.", None, "Write"),
    ("monitor_url", "Runs on a five-minute schedule, alerting the team when it is down.", None,
     "Execute"),
    ("ci_get_queue", "Builds in the queue, with the reason each one is blocked.", None,
     "Execute"),
    ("get_build", "Builds the project.", None, "Execute"),
    ("get_queue", "Deletes in batches of 100.", None, "Destructive"),
    ("get_ticket", "Update status of a ticket.", None, "Destructive"),
    # A verb before the view it is of, under a sentence of nouns naming that view.
    ("ha_vacuum_status", "Status of the robot vacuum: cleaning, docked, battery.", None, "Read"),
    ("ha_vacuum_status", "Status of the robot vacuum. Deletes the map afterwards.", None,
     "Destructive"),
    # The question the tool answers; not "how to".
    ("ha_who_is_home", "Who is home, based on phone presence.", None, "Read"),
    ("git_blame", "Who last changed each line of a file.", None, "Read"),
    ("wiki_help", "How to delete a page in the wiki.", None, "Destructive"),
    # A German command phrase puts its infinitive last.
    ("kb_outline", "Inhaltsverzeichnis eines Handbuchs abrufen.", None, "Read"),
    # (An invoice named in German or Spanish is money, as in English: Financial.)
    ("rechnung", "Rechnung löschen.", None, "Financial"),
    ("kontostand", "Kontostand des Kontos anzeigen", None, "Read"),
    # A noun compound that opens a sentence is no gerund subject.
    ("breaking_changes", "Breaking changes introduced in a release.", None, "Read"),
    # Running a status or health check only looks.
    ("run_health_check", "Run the configured health checks of a service.", None, "Read"),
    ("run_health_check", "Run a health check and restart the service if it fails.", None,
     "Execute"),
    # A bare `code` the tool's own words call a coupon, postal or one-time code is no program.
    ("validateCoupon", "Validate a coupon and return its discount.",
     {"code": {"type": "string"}}, "Read"),
    ("lookup_postal_code", "Look up a postal code.", {"code": {"type": "string"}}, "Read"),
    ("verify_login_otp", "Verify a one-time passcode and complete login.",
     {"code": {"type": "string"}}, "Execute"),  # a code that proves something confirms it
    ("inspect_country", "Inspect how the site renders for a country: evaluates the code.",
     {"code": {"type": "string"}}, "Execute"),
    ("compute", "Compute a result from a snippet in a sandbox.",
     {"code": {"type": "string"}, "language": {"type": "string"}}, "Execute"),
    ("validate_coupon", "Validate a coupon.",
     {"code": {"type": "string", "description": "JavaScript to run"}}, "Execute"),
    ("run_snippet", "Run a snippet.", {"code": {"type": "string"}}, "Execute"),
    # Red-team leaks of these rules, closed: a look-up's agent noun only, German phrases with
    # an unknown verb before a join, questions about what a call sets, a view of something
    # sent on, a server noun only after a look.
    ("ping_approver", "Nudge the approver on Slack about a pending request.", None, "Write"),
    ("kunde_anlegen", "Neuen Kunden anlegen und Kundennummer abrufen.", None, "Write"),
    ("alte_backups", "Alte Backups bereinigen und verbleibende auflisten.", None, "Write"),
    # A name in another language is read for its verb as a description is.
    ("eliminar_cliente", "", None, "Destructive"),
    ("benutzer_sperren", "", None, "Destructive"),
    ("listar_facturas", "", None, "Read"),
    ("setze_status", "Status des Auftrags.", None, "Destructive"),
    # A later sentence or clause that says where what is shown goes.
    ("export_rows", "Rows in the date range, written to rows.csv in the workspace.", None,
     "Write"),
    ("poll_inbox", "Poll the inbox; new mail is moved to the Processed folder.", None,
     "Destructive"),
    ("list_packages", "Packages, installed in the environment.", None, "Read"),
    ("list_articles", "Articles, published on the site.", None, "Read"),
    ("cherche_doublons", "Recherche les contacts en double et les fusionne.", None,
     "Destructive"),
    ("track_parcel", "Track a parcel and reroute it to a pickup point if delivery fails.", None,
     "Destructive"),
    # The second attack: names with two foreign verbs, reading forms that act, purposes and
    # attached pronouns, more of what a reader's later words may say it does.
    ("consultar_y_eliminar_facturas", "", None, "Financial"),
    ("ottieni_e_paga_bollette", "Get utility bills due this month.", None, "Financial"),
    ("rechnung_erstellen_und_anzeigen", "", None, "Financial"),  # an invoice made
    ("recuperar_archivo", "", None, "Write"),
    ("contacts", "Busca contactos duplicados para eliminarlos.", None, "Destructive"),
    ("logs", "Liste les anciens journaux avant de les purger.", None, "Destructive"),
    ("factura", "Obtiene la factura pendiente y la cobra al cliente.", None, "Financial"),
    ("clientes", "Busca clientes por nombre para mostrar sus datos.", None, "Read"),
    ("stock_levels", "How many items are left in stock, reordering those below threshold.",
     None, "Other"),
    ("ha_vacuum_status", "Status of the robot vacuum; starts a cleaning run if idle.", None,
     "Execute"),
    ("run_health_check", "Run the health checks of a service and remediate failed ones.", None,
     "Execute"),
    ("get_otp", "Get a one-time code. Requesting a code sends an SMS to the user.", None,
     "Write"),
    ("get_next_task", "Get the next task. Fetching a task assigns it to the calling agent.",
     None, "Write"),
    ("get_cart_total", "Get the cart total. Places a buy order for the items.", None,
     "Financial"),
    ("get_payroll", "Get payroll. Initiates salary payments on the last day.", None,
     "Financial"),
    ("daily_digest", "Daily digest of incidents, sent to the team Slack channel.", None,
     "Write"),
    ("show_notification", "Show a notification on the user's phone.", None, "Write"),
    ("show_notifications", "Show recent notifications.", None, "Read"),
    ("rechnung_erstellen", "Rechnung erstellen und als PDF anzeigen.", None, "Financial"),
    ("thermostat_target", "How warm the living room should be, in degrees Celsius.", None,
     "Other"),
    # The participle says something is done, so the summary is no view of a build only, and
    # the name's "build" decides.
    ("ci_build_summary", "Summary of last night's build, emailed to the committers.", None,
     "Execute"),
    ("lookup_sender", "Sender of a message, blocked from writing to you again.", None,
     "Write"),
])
def test_phrasings_of_the_tenth_round_red_teams(name, description, properties, category):
    # Readers a writer found called riskier, and what two attackers then slipped past the
    # rules that read them: both directions, in one table.
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name", ["get_api_key", "get_access_token", "get_seed_phrase",
                                  "get_kubeconfig", "get_connection_string"])
def test_reads_of_secrets_named_in_two_words_are_high(name):
    c = classify(tool(name))
    assert (c.category, c.severity) == ("Read", "High"), c.evidence


_QUEUE = {"queue": {"type": "string"}, "ack": {"type": "boolean"}}


@pytest.mark.parametrize("name,description,properties,category", [
    # Docstring argument sections: "Keyword Args:", bullets, a "Note:" about the argument
    # above, a longer text, and removal from a named place next to the word "output".
    ("fetch_messages", "Fetch messages from a queue.\n\nKeyword Args:\n    ack (bool): If true, "
     "the fetched messages are deleted from the queue.\n", _QUEUE, "Destructive"),
    ("fetch_messages", "Fetch messages from a queue.\n\nArgs:\n    - queue: Name of the queue."
     "\n    - ack: If true, the messages are deleted from the queue after reading.\n", _QUEUE,
     "Destructive"),
    ("fetch_messages", "Fetch messages from a queue.\n\nArgs:\n    queue: Name of the queue.\n"
     "    ack: If true, acknowledge messages after reading.\n    Note: acknowledged messages "
     "are deleted from the broker.\n", _QUEUE, "Destructive"),
    ("fetch_messages", "Fetch messages from a queue.\n\nArgs:\n    ack (bool): If true, "
     "messages are removed from the queue once returned in the output.\n", _QUEUE,
     "Destructive"),
    ("fetch_messages", "Fetch messages from a queue.\n\nKeyword Args:\n    headers (bool): If "
     "true, include message headers in the output.\n", {"headers": {"type": "boolean"}}, "Read"),
    ("get_page", "Get a page.\n\nArgs:\n    clean (bool): If true, whitespace is removed from "
     "the output.\n", {"clean": {"type": "boolean"}}, "Read"),
    # A switch described by what setting it does, whatever it is called.
    ("list_emails", "List emails in a folder.", {"archive_them": {
        "type": "boolean", "description": "If true, move the listed emails to the Archive "
        "folder."}}, "Write"),
    ("get_quote", "Get a shipping quote.", {"book": {
        "type": "boolean", "description": "If true, book the shipment at the quoted price."}},
     "Write"),
    ("check_domain", "Check whether a domain is available.", {"register": {
        "type": "boolean", "description": "If true and available, register the domain."}},
     "Write"),
    ("get_snapshot", "Get a camera snapshot.", {"highQuality": {
        "type": "boolean", "description": "If true, request a high-quality snapshot"}}, "Read"),
    ("get_builder_info", "Get builder info.", {"debug": {
        "type": "boolean", "description": "When true, bypass the detection cache."}}, "Read"),
    ("list_rows", "List rows of a table.", {"include_all": {
        "type": "boolean", "description": "When enabled, includes all referenced rows."}},
     "Read"),
    # A switch named by a bare verb that adds, changes or pays; not one that runs or a noun.
    ("get_insurance_quote", "Get an insurance quote.", {"accept": {"type": "boolean"}}, "Write"),
    ("list_slos", "List SLOs.", {"evaluate": {"type": "boolean"}}, "Read"),
    ("git_log", "View commit history.", {"patch": {"type": "boolean"}}, "Read"),
    # A gerund step after a comma.
    ("get_tickets", "Get unassigned tickets, assigning each to the on-call engineer.", None,
     "Write"),
    ("check_links", "Check the links of a page, replacing broken links with archived copies.",
     None, "Destructive"),
    ("run_connectivity_check", "Run the connectivity checks of the VPN tunnel, "
     "re-establishing it when down.", None, "Other"),
    ("list_tasks", "List tasks, adding the project name to each.", None, "Read"),
    ("get_account_summary", "Return an account's balances: cash, buying power, margin.", None,
     "Read"),
    ("get_room_info", "Read the room name and topic before changing room details.", None,
     "Read"),
    ("read_contract", "Read data from a smart contract by calling a view function.", None,
     "Read"),
    # A word the table lacks, bare after "and" and before what opens its object.
    ("crawl_site", "Crawl a website and index every page into the knowledge base.", None,
     "Other"),
    ("estimate_fare", "Estimate a ride fare and prebook it.", None, "Other"),
    ("estimate_fare", "Estimate a ride fare and book it.", None, "Write"),
    ("bug_dependencies", "Get the dependency graph for a bug and which bugs it blocks.", None,
     "Read"),
    ("detect_drift", "Detect configuration drift of a host and report the differences.", None,
     "Read"),
    # Showing on a device whose job is showing; a file rendered into a folder.
    ("display_text", "Display text on the LED matrix in the lobby.", None, "Write"),
    ("show_apps", "Show apps installed on the phone.", None, "Read"),
    ("render_video", "Render the timeline to an MP4 in the project's exports folder.", None,
     "Write"),
    ("render_chart", "Render a chart of the data as PNG.", None, "Read"),
    # A Romance infinitive the table lacks; German phrases joined by "&" or a comma, or title
    # cased.
    ("resetear_quota", "Resetear la quota del proyecto a cero.", None, "Write"),
    ("calendar_events", "Calendar events of the week.", None, "Read"),
    ("rechnung_erzeugen_anzeigen", "Rechnung erzeugen & anzeigen", None, "Write"),
    ("kunde_anlegen", "Kunden anlegen, Kundennummer anzeigen", None, "Write"),
    ("rechnung_erzeugen", "Rechnung Erzeugen und Anzeigen", None, "Financial"),
    ("rechnung_anzeigen", "Rechnung anzeigen", None, "Read"),
])
def test_phrasings_of_the_eleventh_round_red_teams(name, description, properties, category):
    # Leaks the tenth round's attack left open, each with a reader beside it that must stay
    # Read.
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A word more often a noun, bare after "and", before a word that picks which of the things
    # read it acts on, before who pays, or before the noun the reader's lead named; "set".
    ("triage_issues", "Read new issues and label issues by component.", "Write"),
    ("analyze_alerts", "Analyze alerts and silence noisy monitors.", "Write"),
    ("find_spam", "Find spam comments and trash spam comments.", "Destructive"),
    ("find_overdue_invoices", "Find overdue invoices and charge customers' saved cards.",
     "Financial"),
    ("identify_user", "Identify a user and set traits.", "Destructive"),
    ("list_prs", "List pull requests and merge requests.", "Read"),
    ("list_repos", "List active and archived repositories.", "Read"),
    ("get_runs", "Get workflow runs and build artifacts.", "Read"),
    # A word the table lacks before such a word; a two-word verb in a later step.
    ("inspect_image", "Inspect a container image and pull missing layers to the local cache.",
     "Other"),
    ("find_idle_vms", "Find idle VMs and shut down unused instances.", "Destructive"),
    # A later step whose object opens with "any", "each" or "every".
    ("scan_repo", "Scan a repository for leaked secrets, and rotate any that are found.",
     "Destructive"),
    ("list_keys", "List keys, and any that are expired.", "Read"),
    # A step the table knows after a command of a verb it lacks.
    ("take_screenshot", "Take a screenshot and save it to the Desktop.", "Write"),
    ("take_screenshot", "Take a screenshot and return it as PNG.", "Read"),
    # Passive participles that only ever act, and a second one after "and".
    ("list_jobs", "List jobs in the queue. Jobs older than 7 days are pruned on every call.",
     "Destructive"),
    ("list_invoices", "List invoices. Draft invoices past their due date are finalized and "
     "sent.", "Financial"),
    ("get_config", "Reads the config. Missing keys are filled with defaults and written back.",
     "Write"),
    ("fetch_emails", "Fetch recent emails. Fetched emails are flagged as \\Seen on the server.",
     "Write"),
    ("receive_message", "Retrieves messages from the queue. Received messages are hidden from "
     "other consumers and deleted on acknowledgement.", "Destructive"),
    ("describe_instance", "Describe an instance. Stopped instances are started automatically.",
     "Execute"),
    ("get_vulnerability_paths", "Show dependency paths. Vulnerable paths are flagged.", "Read"),
    ("list_jobs", "List jobs. Jobs are started by the scheduler.", "Read"),
    # A later sentence's verb done to a money document, or a money verb the table lacks.
    ("get_subscription", "Get the customer's subscription. Renews the subscription if it "
     "lapsed.", "Financial"),
    ("get_bill", "Get the utility bill. Debits the bill amount from the linked account.",
     "Financial"),
    ("check_balance", "Check the wallet balance. Tops up the wallet from the linked card when "
     "low.", "Financial"),
    ("list_invoices", "List invoices. Returns the invoice number and total.", "Read"),
    # A gerund subject whose verb is a word more often a noun, before "it" or who pays.
    ("read_notification", "Read a notification. Opening a notification marks it as seen for "
     "all devices.", "Write"),
    ("get_invoice", "Get an invoice. Fetching an overdue invoice charges the customer's saved "
     "card.", "Financial"),
    ("get_feed", "Get the feed. Opening a story shows it in full.", "Read"),
    # Done again or flipped, after a comma or "which is".
    ("printer_print_status", "Status of the print job, resubmitted if it failed.", "Write"),
    ("repo_sync_status", "Status of the repository sync, which is re-triggered when stale.",
     "Execute"),
    ("user_lock_status", "Lock status of a user account, toggled on each call.", "Destructive"),
    ("list_orders", "List orders, refunded ones included.", "Read"),
    # A Spanish name with a second verb, approving.
    ("obtener_y_aprobar_gastos", "Get pending expense reports.", "Write"),
    ("obtener_gastos", "Get pending expense reports.", "Read"),
])
def test_phrasings_of_the_eleventh_round_second_pass(name, description, category):
    # Leaks the eleventh round's rules left open, each with a reader beside it that must stay
    # Read.
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,properties,category", [
    # An argument that, when passed, has something changed: the tool acts.
    ("chapters", "Chapters for an episode. Given `chapters`, they are saved and embedded into "
     "the MP3's ID3 tags; otherwise the existing chapters are returned.", None, "Write"),
    ("nameservers", "Nameservers for a domain at the registry. If `hosts` is given the "
     "delegation is changed at the registry to those hosts.", None, "Destructive"),
    # ... but not when what changes is the reply.
    ("list_records", "List records. If `verbose` is set, the output is changed to include "
     "every field.", None, "Read"),
    # An export whose bare `path` is where the file goes writes it; a `path` that is read
    # does not.
    ("export_adif", "Export the log as an ADIF file at the given path on disk.",
     {"path": {"type": "string", "description": "Destination .adi path"}}, "Write"),
    ("export_adif", "Export the log as ADIF text.",
     {"path": {"type": "string", "description": "Log book to read"}}, "Read"),
    # A yes/no question about a fact asks; its words are no command.
    ("isSeatAvailable", "Is this seat still available for the performance?", None, "Read"),
    ("seat_guest", "Seat the guest at a table.", None, "Write"),
])
def test_phrasings_of_the_eleventh_round_blind_sets(name, description, properties, category):
    # Mechanisms found by writers who wrote servers blind to the rules (round "11-fresh" of
    # the made-up tools), each with a nearby tool that must stay as it is.
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


def test_a_foreign_of_after_the_names_word_is_a_noun_phrase_not_a_command():
    # "Historique des mouvements d'un objet" names what is shown: not an unknown command
    # (Write). "Historique", a view of data named in French, makes it Read (see
    # `names_what_is_shown`), but an infinitive before "del" acts.
    assert classify(tool("historique_mouvements", "Historique des mouvements d'un objet."
                         )).category == "Read"
    assert classify(tool("impostare_profilo", "Impostare del profile utente: nome, foto e bio."
                         )).category != "Read"
    # Not an unknown command either: the plural the name ends with, then which of them.
    assert classify(tool("timesheets_pending", "Timesheets awaiting approval.")).category \
        == "Read"


@pytest.mark.parametrize("name,description,properties,category", [
    # A first sentence that only restates the name is a title: the sentence after it says
    # what the tool does, when that is riskier.
    ("previewTest", "Preview test. Delivers a proof of the campaign to the listed addresses.",
     None, "Write"),
    ("shopping-list", "Shopping list.\n\nBuilds a grocery list and, when add_to_cart is true, "
     "places the items into the cart.", {"add_to_cart": {"type": "boolean"}}, "Execute"),
    ("previewTest", "Preview test. Returns the rendered HTML of the campaign.", None, "Read"),
    # A label opening the next paragraph is no verb: "TIP" is not tipping anyone.
    ("add-excel-table-rows", "Add Excel table rows.\n\n💡 TIP: Adds rows to a table.", None,
     "Write"),
    # An undescribed `program` is a programme the tool is about when its words say so.
    ("reports_list", "List vulnerability reports for a program.",
     {"program": {"type": "string"}}, "Read"),
    ("program_stats", "Response metrics: time to first response and to bounty.",
     {"program": {"type": "string"}}, "Read"),
    ("run_program", "Run a program in the sandbox.", {"program": {"type": "string"}},
     "Execute"),
    ("analyze", "Analyze the program to run.", {"program": {"type": "string"}}, "Execute"),
])
def test_titles_labels_and_programmes_of_the_second_blind_set(name, description, properties,
                                                             category):
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,properties,category", [
    # A producer whose sentence puts its result in a file writes it where its bare `path`
    # says; one that hands the result back reads.
    ("scada_export_csv", "Export readings for a set of turbines to a CSV file at the given "
     "path on the engineering share.", {"path": {"type": "string"}}, "Write"),
    ("scada_export_csv", "Export readings for a set of turbines as CSV.",
     {"path": {"type": "string"}}, "Read"),
    # "del" between two words of a Spanish name is "of the", not delete; in an English name
    # it deletes. ("Resumen", a view named in Spanish, then makes it Read.)
    ("caja_del_dia", "Resumen de caja del día: cobros por artista, propinas y métodos de pago.",
     None, "Read"),
    ("kv_del_key", "Delete a key from the store.", None, "Destructive"),
    ("cache_del_entry", "Remove the entry for a key.", None, "Destructive"),
])
def test_phrasings_of_the_third_blind_set(name, description, properties, category):
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


def _assert_category(c, category: str) -> None:
    """`category` is what the tool must be called, or "not X": anything but X."""
    if category.startswith("not "):
        assert c.category != category[4:], c.evidence
    else:
        assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,properties,category", [
    # A plural noun before "are"/"were" is the subject of a sentence, never a verb in the
    # third person; the riskier reading a verb would give is gone, nothing else.
    ("overdue_bills", "Which bills are overdue, and by how many days?", None, "Read"),
    ("refunded_orders", "Orders were refunded in the last week: ids and amounts.", None,
     "Read"),
    ("order_refund", "Refunds the order to the card it was paid with.", None, "Financial"),
    # "Which ..." asks about what follows it, also when "which" is left out of the words.
    ("berth_availability", "Which berths are free tomorrow?", None, "Read"),
    ("pods_restarted", "Which pods restarted today?", None, "Read"),
    ("berth_availability", "Which berths are free tomorrow, and hold the first one?", None,
     "not Read"),
    ("berth_availability", "Which berths are free tomorrow and hold them?", None, "not Read"),
    # The name's object before its reading verb, restated in the plural with a participle.
    ("bill_list", "Bills issued to a tenant or a company.", {"tenant_id": {"type": "string"}},
     "Read"),
    ("bill_list", "Bills the tenant for the month.", {"tenant_id": {"type": "string"}},
     "not Read"),
    # "available to <verb>" says what can be done with the things shown.
    ("parts_catalog", "Spare parts available to order from the depot.", None, "Read"),
    ("parts_order", "Order spare parts from the depot to the workshop.", None, "Write"),
    # An English sentence with a word in -ern before a comma is no German command phrase.
    ("hive_checks", "Check history for a hive (brood pattern, queen seen, mite count).", None,
     "Read"),
    ("backups_pflege", "Alte Backups bereinigen, verbleibende auflisten", None, "Write"),
    # A side effect said of "it" after a condition: finalising a bill issues it.
    ("getBillPdf", "Returns the bill PDF. If the bill is still a draft it is finalised and "
     "numbered first.", None, "Financial"),
    ("getBillPdf", "Returns the bill PDF. If the bill is still a draft it is shown with a "
     "watermark.", None, "Read"),
    # A plural the verbless name holds, before a preposition, is the name's noun.
    ("berth_bills", "Bills for a berth holder, with paid and unpaid status.", None, "Read"),
    ("berth_bills", "Bills the berth holder for the month.", None, "not Read"),
    # A Spanish infinitive the table lacked leads the name.
    ("anadir_puntos", "Puntos a la tarjeta de un socio.", {"puntos": {"type": "integer"}},
     "Write"),
])
def test_phrasings_of_the_fourth_blind_set(name, description, properties, category):
    # Mechanisms found in a set of servers written blind to the rules (round "12-blind-4" of
    # the made-up tools), each beside a phrasing that acts and must not become Read.
    c = classify(tool(name, description, properties))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,properties,category", [
    # "book" is a verb leading a name or a sentence; after another word it is the thing.
    ("book_guided_tours", "Book guided-tour tickets for a date.\n\nPayment is taken at "
     "booking.", {"date": {"type": "string"}}, "Financial"),
    ("book_lesson", "Book a driving lesson with an instructor.", None, "Write"),
    ("exchange_market_book", "Top-of-book snapshot (bids/asks) for one market.", None,
     "not Write"),
    ("guestBookEntries", "Entries in the online guest book.", None, "Read"),
    # A Dutch infinitive ends the name, as a German one does.
    ("ophaling_inplannen", "Plan een ophaling van grof vuil bij de klant.", None, "Write"),
    # A later sentence that writes a file puts it somewhere.
    ("export_members_csv", "Export members to CSV.\n\nWrites the file to /exports and returns "
     "its path.", None, "Write"),
    ("export_members_csv", "Export members to CSV.\n\nReturns the file's rows as text.", None,
     "Read"),
    # An adverb before the plural the name holds.
    ("tenant.invoices", "Monthly invoices for a tenant account.", None, "Read"),
    # A passive act in a first sentence no verb leads.
    ("survey_slot", "Survey slot gets booked for the flat and the surveyor's calendar is "
     "updated.", None, "Write"),
    ("guest_reminder", "A reminder is sent to the guest on the morning of arrival.", None,
     "Write"),
    ("rack_contents", "What is stored at a rack location?", None, "Read"),
    ("shipped_orders", "Orders that are shipped to a region today.", None, "not Write"),
])
def test_phrasings_of_the_fifth_blind_set(name, description, properties, category):
    # Mechanisms found in a set of servers written blind to the rules (round "12-blind-5"),
    # each beside a phrasing that must stay as it is.
    c = classify(tool(name, description, properties))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,category", [
    # Verbs of more languages: Danish and Norwegian, Swedish, Czech, Romanian, Malay, Turkish,
    # more Polish; a name or a first word in one of them is read as its verb.
    ("slet_booking", "Slet en booking fra kalenderen.", "Destructive"),
    ("hent_bookinger", "Henter alle bookinger for en dag.", "Read"),
    ("skicka_pamminnelse", "Skickar en påminnelse till kunden.", "Write"),
    ("visar_schema", "Visar veckans schema för en avdelning.", "Read"),
    ("smazat_zakaznika", "Smazat zákazníka z databáze.", "Destructive"),
    ("anuleaza_comanda", "Anulează o comandă a clientului.", "Destructive"),
    ("kemaskini_status", "Kemaskini status tempahan pelanggan.", "Destructive"),
    ("kayit_guncelle", "Müşteri kaydını günceller.", "not Read"),
    # "baixar" downloads, and also takes stock out: in a name it is no reader.
    ("baixarEstoque", "Dá baixa no estoque de um produto.", "not Read"),
    # "out of order" says a thing is broken; nothing is ordered.
    ("flag_out_of_order", "Machine is marked broken; a ticket is opened.", "not Financial"),
])
def test_verbs_of_more_languages(name, description, category):
    c = classify(tool(name, description, None))
    _assert_category(c, category)


def test_a_later_mark_as_is_an_act_and_money_only_when_paid():
    # "Marks the order as collected" sets a state on what was read: the reader acts.
    assert classify(tool("get_ticket", "Returns the ticket. Marks the ticket as "
                         "collected.")).category not in ("Read", "Financial")
    assert classify(tool("get_receipt", "Returns the receipt. Marks the invoice as "
                         "paid.")).category == "Financial"
    # A money word before a verb it is the object of still leads: "Transfers pending funds".
    assert classify(tool("get_transfers", "Transfers pending funds to the linked bank "
                         "account.")).category != "Read"


@pytest.mark.parametrize("name,description,properties,category", [
    # A producer whose name says where its output goes writes there.
    ("export_to_bucket", "Export logs for a period.", None, "Write"),
    ("export_logs", "Export logs for a period.", None, "Read"),
    # An output path named in another language is where the file goes.
    ("export-answers", "Exporta las respuestas a un archivo CSV.",
     {"form_id": {"type": "string"}, "ruta_salida": {"type": "string"}}, "Write"),
    # What is kept as a new thing is written.
    ("docs.translate", "Machine-translate a page. The translation is stored as a new language "
     "version of the page.", None, "Write"),
    # German "erzeugt" generates, and "speichert" after "und" saves.
    ("bericht_export", "Erzeugt einen Bericht als PDF und speichert ihn lokal.", None, "Write"),
    # A bracketed list of states holds no German command.
    ("rechnungen", "Rechnungen mit Status (Entwurf, offen, bezahlt).", None, "not Write"),
    # A quote for buying something costs nothing.
    ("panel.quote", "Price quote for buying responses from the panel. No order is placed.",
     None, "Read"),
    ("panel.buy", "Buy responses from the panel for the given sample size.", None, "Financial"),
    # "pay" before stub, slip, period, schedule ... is a noun compound.
    ("pay_stub", "Pay stub of an employee for a payroll run.", None, "not Financial"),
    ("pay_schedule", "Pay dates for the year.", None, "Read"),
    ("pay_invoice", "Pay an open invoice from the company account.", None, "Financial"),
    # A money word after one saying which one is that thing.
    ("upcoming_invoice", "The invoice that will be generated at the next renewal.", None,
     "not Financial"),
    # Pricing said of each unit is no charge made by the call.
    ("scale_nodes", "Change the number of nodes of a cluster. Each node is billed per hour.",
     None, "not Financial"),
])
def test_phrasings_of_the_eighth_blind_set(name, description, properties, category):
    # Mechanisms found in a set of SaaS-like servers written blind to the rules (round
    # "12-blind-8"), each beside a phrasing that must stay as it is.
    c = classify(tool(name, description, properties))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,properties,category", [
    # A new thing made on the way, said in the passive in a later sentence.
    ("wallet.deposit_address", "Returns the deposit address for an asset. If the account has "
     "none yet, a new one is generated and bound to the account.", None, "not Read"),
    ("wallet.deposit_address", "Returns the deposit address for an asset.", None, "Read"),
    # A switch that leads with a verb that sends makes a reader send when set.
    ("abandoned_carts", "Recent abandoned carts.",
     {"send_reminder": {"type": "boolean"}}, "not Read"),
    ("abandoned_carts", "Recent abandoned carts.", {"since": {"type": "string"}}, "Read"),
    # A producer whose bare `dest` the sentence sends the file to writes it.
    ("object_download", "Download an object to a local file path.",
     {"key": {"type": "string"}, "dest": {"type": "string"}}, "Write"),
    ("object_download", "Download an object and return its bytes.",
     {"key": {"type": "string"}}, "Read"),
])
def test_phrasings_of_the_ninth_blind_set(name, description, properties, category):
    # Leaks in a set of payment, fintech and SaaS-like servers written blind to the rules
    # (round "12-blind-9"), each beside a phrasing that reads.
    c = classify(tool(name, description, properties))
    _assert_category(c, category)


def test_irregular_participles_name_verbs_of_the_table():
    # A participle whose verb the table lacks would be dead weight: the passive reading needs
    # the verb's kind.
    from policytui.risk import vocabulary as v
    from policytui.risk.descriptions import _IRREGULAR_PARTICIPLES

    assert set(_IRREGULAR_PARTICIPLES.values()) <= set(v.VERBS)


@pytest.mark.parametrize("name,description,category", [
    # A later sentence saying in the passive that something is sent or put somewhere.
    ("search_docs", "Search the documentation.\n\nThe query is logged to the analytics "
     "service for product improvement.", "not Read"),
    ("room_status", "Room status update. Attendants call this when they finish a room; the "
     "new status is written to the PMS.", "not Read"),
    ("scan_repository", "Scan a repository for secrets; findings are filed as GitHub issues.",
     "not Read"),
    ("get_weather", "Return the weather for a city.\n\nResults are cached to "
     "~/.cache/weather.json.", "not Read"),
    # ... not how the reply comes back, nor what is kept or left out.
    ("get_weather", "Return the weather for a city. Results are cached for 5 minutes.", "Read"),
    ("get_logs", "Return the logs of a pod. Errors are logged to stderr.", "Read"),
    ("preview_file", "Preview a file. Output is truncated to 10,000 characters.", "Read"),
    ("list_items", "List items in a folder. Deleted items are excluded.", "Read"),
    ("list_issues", "Returns open issues and pull requests.", "Read"),
    ("index_mapping", "Return an index's field mapping; a missing index is reported as an "
     "error.", "Read"),
    ("suggest_fixes", "Suggest fixes for lint errors. Returns diffs; nothing is written to "
     "disk.", "Read"),
    # A link or token made for one use or for joining is issued by the server.
    ("accountOnboardingLink", "Generates a single-use hosted onboarding URL for a connected "
     "account (expires after 5 minutes).", "not Read"),
    ("get_runner_token", "Get a registration token for a new self-hosted runner.", "not Read"),
    ("get_attachment_url", "Get a short-lived signed download URL for a file attachment.",
     "Read"),
    ("lookup_invite_code", "Look up an invite code.", "Read"),
    # A question the tool answers, then a step of a verb the tables lack.
    ("oncall_now", "Who is on call for a service, and pages them with the alert.", "not Read"),
    ("ha_who_is_home", "Who is home right now, and turns off the lights if nobody is.",
     "not Read"),
    ("whats_playing", "What is playing on the speaker, skipping to the next track.",
     "not Read"),
    ("whats_playing", "What is playing on the speaker, including the artist and album.",
     "Read"),
    ("ha_who_is_home", "Who is home right now, based on phone presence.", "Read"),
    # Verbs of Turkish names (the verb last) and of Tagalog descriptions.
    ("liste_yukle", "Bir CSV dosyasından arama listesini kampanyaya yükler.", "not Read"),
    ("kampanyalari_listele", "Aktif arama kampanyalarını listeler.", "Read"),
    ("pahabain_oras", "Dagdagan ng oras ang room. May dagdag na bayad kada oras.", "not Read"),
    ("hanapin_kanta", "Hanapin ang kanta sa songbook ayon sa pamagat o artist.", "Read"),
    # A producer in another language that puts its file in a named folder writes it there.
    ("export_pointage", "Exporte le pointage des repas servis au format CSV dans le dossier "
     "partagé de la mairie.", "not Read"),
    ("export_pointage", "Exporte le pointage des repas servis au format CSV.", "Read"),
    # "remind" notifies.
    ("ping_reviewer", "Remind the reviewer about the open pull request.", "not Read"),
])
def test_later_puts_one_use_links_steps_after_questions_and_more_verbs(name, description,
                                                                       category):
    # Leaks of the made-up tools and of blind sets 7 and 9 (round 14), each beside a phrasing
    # real readers use that must stay Read.
    c = classify(tool(name, description))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,category", [
    # A later passive of what the call leaves behind: a state marked, a thing resized,
    # minted, replaced or saved.
    ("validate_ticket", "Validate a ticket barcode at the door. A valid ticket is marked as "
     "admitted so it cannot be used twice.", "not Read"),
    ("peek_inbox", "Top unread emails. Each returned email is marked read and moved to "
     "Archive.", "not Read"),
    ("session_info", "Current session info. A fresh API token is minted on every call.",
     "not Read"),
    ("health_checks", "Run the configured health checks of a service. Unhealthy instances are "
     "replaced automatically.", "not Read"),
    ("cluster_scale_status", "Scale status of a node group; the group is resized to the desired "
     "count.", "not Read"),
    ("await_approval", "Wait for the user to approve the code.\n\n    Blocks until they "
     "approve. On success the\n    connection is saved and every tool switches to it.",
     "not Read"),
    ("get_orders", "Retrieve new orders.\n\nNote: retrieved orders are acknowledged with the "
     "marketplace and will not be returned again.", "not Read"),
    # ... not a label of the reply, what fills a template, a noun after "saved", nor what
    # is not done.
    ("get_book_summary", "Get the book month by month. Every month is marked `complete` or "
     "`partial`.", "Read"),
    ("list_fields", "List the form's fields. Required fields are marked with an asterisk.",
     "Read"),
    ("render_template", "Render a template. Placeholders are replaced with the given values.",
     "Read"),
    ("list_queries", "List the saved queries. Custom queries are saved issue filters.",
     "Read"),
    ("preview_transactions", "Preview the import. Nothing is saved.", "Read"),
    ("extract_w2", "Parse an uploaded W-2 and return the boxes. No data is saved.", "Read"),
])
def test_later_passives_of_what_a_call_leaves_behind(name, description, category):
    # Leaks of the made-up tools and of a development tool, each beside a phrasing real
    # readers use that must stay Read.
    c = classify(tool(name, description))
    _assert_category(c, category)

@pytest.mark.parametrize("name,description,category", [
    # Printing, reading or saying on a printer, a speaker or aloud acts on a device.
    ("print", "Print a PDF on the default printer.", "not Read"),
    ("show_printer", "Printer for the document: prints it on the default device.",
     "not Read"),
    ("speech", "Speech: reads `text` aloud through the speakers.", "not Read"),
    ("say", "Say a sentence out loud on the kitchen speaker.", "not Read"),
    # ... not printing to the screen or a reply, nor reading about printers or speakers.
    ("print_tree", "Print the directory tree to stdout.", "Read"),
    ("printer_status", "Temperatures, position and progress for one printer.", "Read"),
    ("get_speaker", "Get full details for a specific speaker by ID.", "Read"),
    ("read_file", "Read a file from the device's storage.", "Read"),
])
def test_printing_or_speaking_on_a_device_acts(name, description, category):
    # Leaks of the made-up tools beside phrasings real readers use that must stay Read.
    c = classify(tool(name, description))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,category", [
    # A gerund subject whose verb adds or runs, before what its sentence names again.
    ("get_reservation_hold", "Get a seat hold for a flight. Requesting a hold reserves the "
     "seat for 15 minutes.", "not Read"),
    ("get_quote", "Get a price quote for the shipment. Accepting the quote books the "
     "shipment.", "not Read"),
    ("get_job", "Get a job by ID. Fetching a finished job starts every job that waits on it.",
     "not Read"),
    # ... not a verb that reads, nor one the table lacks.
    ("list_results", "List results of a search. Paging through results gives the next page.",
     "Read"),
    ("get_report", "Get a report. Opening the menu lists the options.", "Read"),
])
def test_a_gerund_subject_that_adds_before_what_it_names(name, description, category):
    # Leaks of the made-up tools beside phrasings real readers use that must stay Read.
    c = classify(tool(name, description))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,category", [
    # A participle said to happen at the time of the call: the call does it.
    ("get_snapshot", "Snapshot of the VM disk, taken now and stored in the project's "
     "snapshot list.", "not Read"),
    ("deposit_status", "Status of the deposit for a booking. Payment is taken now.",
     "not Read"),
    ("warehouse_info", "Details of a warehouse. Idle credits are consumed immediately.",
     "not Read"),
    # ... not a verb that only reads, nor a place ("immediately after the original").
    ("get_balance_history", "Balance history, with an entry for the current month, which is "
     "calculated on demand.", "Read"),
    ("get_element", "Get an element of a page. Its copy is shown immediately after the "
     "original.", "Read"),
])
def test_a_participle_done_at_the_time_of_the_call(name, description, category):
    # A leak of the made-up tools beside phrasings real readers use that must stay Read.
    c = classify(tool(name, description))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,category", [
    # A participle said to happen when the call reads: the call's own reading is the time of
    # the act.
    ("session_tokens", "Session tokens; deleted after reading.", "not Read"),
    ("notification_feed", "Pending notifications, cleared on read.", "not Read"),
    ("temp_files", "Temporary upload files; removed once listed.", "not Read"),
    ("alert_backlog", "Firing alerts, acknowledged as they are returned.", "not Read"),
    # ... not a verb that only reads, nor what happens at another time.
    ("thumbnails", "Thumbnails of the album, computed on read.", "Read"),
    ("queued_messages", "The queue's messages, left in place on read.", "Read"),
    ("list_comments", "List the ticket's comments, deleted when the ticket closes.", "Read"),
    # The reply named as the time: done before the call hands it back.
    ("loyalty_points", "Loyalty points of a guest. Points earned by completed stays are "
     "credited before the balance is returned.", "not Read"),
    ("notification_feed", "Unread messages, archived before the page is returned.",
     "not Read"),
    # ... not a participle that shapes or refuses the reply.
    ("loyalty_points", "Loyalty points of a guest. Points are sorted before they are "
     "returned.", "Read"),
    ("loyalty_points", "Loyalty points of a guest. Duplicates are deduplicated before the "
     "list is returned.", "Read"),
    ("fetch_file", "Fetch a file. A larger file is refused before it is read.", "Read"),
])
def test_a_participle_done_when_the_call_reads(name, description, category):
    # Leaks of the made-up tools beside phrasings real readers use that must stay Read.
    c = classify(tool(name, description))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description,category", [
    # The call as the subject of a relative clause about what the tool names: it acts on it.
    ("cache_entries", "Expired cache entries, which this call evicts.", "not Read"),
    ("session_list", "Idle sessions, which this call signs out.", "not Read"),
    ("stale_users", "Stale user records, which each call deletes.", "not Read"),
    # ... not when the call only reads them.
    ("get_idle_sessions", "Idle sessions, which this call returns.", "Read"),
    ("secret_versions", "The secret's versions, which this call shows.", "Read"),
])
def test_what_the_call_acts_on_in_a_relative_clause(name, description, category):
    # Leaks of the made-up tools beside phrasings readers use that must stay Read.
    c = classify(tool(name, description))
    _assert_category(c, category)


@pytest.mark.parametrize("name,description", [
    # A participle and a condition after a comma or a bracket say, in readers, what happens to
    # what they return or what happens elsewhere at other times, not what the call does.
    ("get_page_text", "Get the page text (truncated if longer than 10,000 characters)."),
    ("search_logs", "Search logs. Results are cached, refreshed when older than a minute."),
    ("get_document", "Get the document, removed from results if archived."),
    ("list_items", "List items (deleted items excluded unless include_deleted is set)."),
    ("get_build_log", "Returns the build log, compressed if larger than 1 MB."),
    ("get_session", "Show the current session, created when you log in."),
    ("read_config", "Read the config file, generated if missing by the installer."),
    ("get_token_status", "Get the token status, revoked if expired."),
    ("list_comments", "List the ticket's comments, deleted when the ticket closes."),
])
def test_a_participle_under_a_condition_in_a_reader_stays_read(name, description):
    c = classify(tool(name, description))
    _assert_category(c, "Read")


@pytest.mark.parametrize("description,category", [
    # Korean and Japanese ways of saying what is read ("불러옵니다" loads, "보여줍니다" shows,
    # "返します" returns), and a verb noun made into a state or a noun: "저장된" (saved),
    # "更新者" (who updated), "更新日時" (when updated).
    ("주문 내역을 불러옵니다.", "Read"),
    ("저장된 장면(씬) 목록을 보여줍니다.", "Read"),
    ("源泉徴収の年間集計を返します。", "Read"),
    ("ファイルのメタデータ（サイズ、更新者、更新日時）を取得します。", "Read"),
    # The acts themselves still count.
    ("장면을 저장합니다.", "Write"),
    ("ファイルを更新します。", "Destructive"),
    ("주문 내역을 불러와 삭제합니다.", "Destructive"),
    ("処理を繰り返し実行します。", "Execute"),
])
def test_more_korean_and_japanese_readers_and_states(description, category):
    c = classify(tool("scene_tool", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A means that removes, after "by", "before", "after" or "while", with what it removes:
    # the call removes it, a bare noun or not.
    ("get_disk_space", "Get disk space of a volume, freeing space by deleting old snapshots.",
     "not Read"),
    ("list_users", "List users by deleting inactive ones first.", "not Read"),
    ("get_queue", "Get the queue's length after purging expired messages.", "not Read"),
    # ... not a removal word used as a noun's modifier, nor a means that reads.
    ("list_trash", "Get deleted items by deleting date.", "Read"),
    ("list_messages", "List messages by sending date.", "Read"),
    ("search_issues", "Search issues by keyword, returning matching titles.", "Read"),
])
def test_a_means_that_removes_what_it_names_acts(name, description, category):
    c = classify(tool(name, description))
    _assert_category(c, category)


# ----- a later passive of any acting verb, said of what the call leaves behind --------------


@pytest.mark.parametrize("name,description", [
    ("read_secret", "Read a secret from the vault. Secrets are rotated on read."),
    ("list_pull_requests", "List open pull requests. PRs that pass all checks get merged."),
    ("get_config", "Get a config value. If a default is provided and the key is unset, the "
                   "default is stored."),
    ("view_pipeline", "View a CI pipeline. Failed jobs in it are retried automatically."),
    ("get_tasks", "Get tasks assigned to me. Overdue tasks are reassigned to the team lead."),
    ("describe_table", "Describe a table's columns. If the table doesn't exist it is created "
                       "with the columns given."),
    ("find_slot", "Find a free slot for the attendees; the first free slot found is booked as "
                  "a meeting on their calendars."),
    ("show_env", "Show environment variables of an app. Variables passed in `set` are written "
                 "first."),
    ("schema_info", "Information about a collection's schema; missing indexes it recommends "
                    "are built in the background."),
    ("list_webhooks", "List webhooks. Webhooks that return errors are disabled."),
])
def test_a_later_passive_of_an_acting_verb_is_no_reader(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Someone else does it, or the text says when the tool works or what it shows.
    ("list_credit_balances", "List credit balances. Credit balances are created automatically "
                             "by the billing system when a customer is refunded."),
    ("list_domains", "List sending domains. Use this to discover which domains are approved as "
                     "the sender on campaigns."),
    ("get_export", "Get an export. The chart must be created first using create_chart."),
    ("get_events", "Get events. Each event can be acknowledged to show operators have seen it."),
    ("list_subscriptions", "List subscriptions: when each was opened, and when it will be "
                           "cancelled for being idle."),
    ("list_templates", "List the layout templates, and where it is assigned."),
    ("fetch_pcap", "Fetch the PCAP for a session; returns metadata only, and nothing is "
                   "persisted to disk."),
    # How the reply is shaped.
    ("get_settings", "Get the system settings. Credential fields are redacted."),
    ("get_snapshot", "Get one snapshot, raw snapshots larger than 10 KB are replaced with a "
                     "compact summary."),
    ("list_entries", "List recent activity. Each entry is tagged as either a trade or a "
                     "transfer."),
])
def test_a_passive_of_someone_else_a_condition_or_the_reply_stays_read(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


# ----- the call itself, or the reading it does, as the subject of an act ---------------------


@pytest.mark.parametrize("name,description", [
    ("get_coupon", "Get a coupon code for the customer. Each call issues a new single-use "
                   "discount."),
    ("view_report", "View a generated report. Viewing marks the report as read for the "
                    "recipient and notifies the author."),
    ("get_ticket_queue", "Show the support queue. Every invocation creates a triage ticket for "
                         "the on-call engineer."),
    ("get_alerts", "Get the unread alerts; fetching acknowledges them with the pager."),
])
def test_the_call_or_its_reading_as_the_subject_of_an_act_is_no_reader(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("get_rows", "Get the rows of a table. Each call returns the next page of rows."),
    ("get_quota", "Get the remaining quota. Each call counts against the quota."),
    ("list_results", "List search results. Sorting changes the order of the results."),
    ("list_events", "List events. Paging returns the next page of events."),
])
def test_the_call_that_only_reads_or_tunes_the_reply_stays_read(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


# ----- a required argument described as the value something is to take ---------------------


@pytest.mark.parametrize("name,description,properties", [
    ("price_of_product", "Price of a product in the store.",
     {"product_id": {"type": "string"},
      "price": {"type": "number", "description": "New price in cents"}}),
    ("get_replicas", "Get the replica count of a deployment.",
     {"deployment": {"type": "string"},
      "count": {"type": "integer", "description": "The desired replica count"}}),
    ("show_channel_topic", "Show the topic of a channel.",
     {"channel": {"type": "string"},
      "topic": {"type": "string", "description": "Updated topic text"}}),
])
def test_a_required_new_value_makes_a_reader_set_it(name, description, properties):
    t = ToolInfo(name=name, description=description,
                 input_schema={"type": "object", "properties": properties,
                               "required": list(properties)})
    c = classify(t, use_annotations=False)
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("properties,required", [
    # Two versions to compare, not a value to set.
    ({"pageId": {"type": "string"}, "from": {"type": "integer", "description": "Old version."},
      "to": {"type": "integer", "description": "New version."}}, ["pageId", "from", "to"]),
    # A choice of what to look at.
    ({"segment": {"type": "string", "description": "New or returning customers"}},
     ["segment"]),
    # Said of an argument no call needs.
    ({"price": {"type": "number", "description": "New price to preview, in cents"}}, []),
    ({"sort": {"type": "string", "description": "Newest first or oldest first"}}, ["sort"]),
])
def test_a_new_value_compared_chosen_or_optional_stays_read(properties, required):
    t = ToolInfo(name="get_price_history", description="Get the price history of a product.",
                 input_schema={"type": "object", "properties": properties,
                               "required": required})
    c = classify(t, use_annotations=False)
    assert c.category == "Read", c.evidence


# ----- an argument written as it is set, said to make the call act --------------------------


@pytest.mark.parametrize("name,description", [
    ("describe_instance", "Describes an EC2 instance. Pass state='stopped' to stop it or "
                          "state='running' to start it."),
    ("get_thread", "Get a mail thread. Set archive=true to archive it."),
    ("show_job", 'Show a batch job. Pass action="cancel" to cancel it.'),
])
def test_an_argument_set_to_a_value_that_makes_the_call_act_is_no_reader(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("description", [
    "List messages in a folder. Pass concise=True to drop large fields.",
    "List messages in a folder. Pass include_content=false to get only the headers.",
    "List files under a path. Pass recursive=True to walk the whole tree.",
])
def test_an_argument_set_to_shape_the_reply_stays_read(description):
    c = classify(tool("list_items", description))
    assert c.category == "Read", c.evidence


# ----- a later clause of a Romance language that acts ---------------------------------------


@pytest.mark.parametrize("name,description", [
    ("estado_pedido", "Consulta el estado del pedido. Si el pedido está retrasado, se cancela "
                      "y se reembolsa al cliente."),
    ("lire_commandes", "Lit les commandes du jour et les marque comme expédiées."),
    ("stato_ordine", "Stato di un ordine. Se è scaduto, si cancella."),
])
def test_a_later_romance_clause_that_acts_is_no_reader(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("estado_pedido", "Consulta el estado del pedido. Si el pedido está retrasado, se muestra "
                      "un aviso."),
    ("lista_pedidos", "Lista los pedidos del día y los muestra por fecha."),
    ("order_status", "Status of an order. Whether a given order is per se late is not shown."),
])
def test_a_later_romance_clause_that_reads_stays_read(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("description,category", [
    ("Poll a batch job for its status; a job that has finished is removed from the queue "
     "together with its outputs.", "not Read"),
    ("Poll a batch job for its status. Finished jobs are removed from the scheduler.",
     "not Read"),
    # What the reply leaves out.
    ("Get the page as HTML. Script tags are removed from the output.", "Read"),
    ("Get the XML feed. Whitespace between XML tags is removed.", "Read"),
])
def test_a_later_passive_removal_from_a_place_outside_the_reply(description, category):
    _assert_category(classify(tool("poll_job", description)), category)


@pytest.mark.parametrize("name,description,category", [
    # A verb joined to a Chinese lead after a word of manner or time acts as one right after
    # the join does.
    ("获取订单", "获取订单详情，并自动取消超过24小时未付款的订单。", "not Read"),
    ("获取文件", "获取文件列表，然后删除过期文件。", "not Read"),
    ("获取订单", "获取订单详情，并自动显示物流信息。", "Read"),
])
def test_a_chinese_verb_joined_after_a_word_of_manner(name, description, category):
    _assert_category(classify(tool(name, description)), category)


@pytest.mark.parametrize("properties,category", [
    # An address to call back: the tool sends something there.
    ({"query": {"type": "string"}, "webhook_url": {"type": "string"}}, "Write"),
    ({"query": {"type": "string"}, "callbackUrl": {"type": "string"}}, "Write"),
    ({"query": {"type": "string"}, "notify_url": {"type": "string"}}, "Write"),
    # Which webhook to show, or an address fixed to one value.
    ({"webhook_id": {"type": "string"}}, "Read"),
    ({"query": {"type": "string"}, "url": {"type": "string"}}, "Read"),
    ({"callback_url": {"type": "string", "enum": ["https://example.com/hook"]}}, "Read"),
])
def test_a_reader_handed_an_address_to_call_back_sends_there(properties, category):
    c = classify(tool("search_logs", "Search logs for lines matching a query.", properties),
                 use_annotations=False)
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    ("Summary of the week's timesheet, which is submitted for approval when the week has "
     "ended.", "not Read"),
    ("Open tickets of the queue, which are closed automatically.", "not Read"),
    ("Status of the nightly report, which is updated by the scheduler.", "Read"),
    ("Latest exchange rate, which is cached for five minutes.", "Read"),
    ("Summary of the week's timesheet, which is configured for the team.", "Read"),
])
def test_a_passive_whose_subject_is_which_after_a_comma(description, category):
    _assert_category(classify(tool("timesheet_summary", description)), category)


@pytest.mark.parametrize("description,category", [
    # An irregular participle made "re-" after a comma: done again by the call.
    ("Status of the search index, rebuilt from scratch when it is stale.", "not Read"),
    ("Summary of the page, rewritten by the model when it is out of date.", "not Read"),
    # An instruction to the reader, the same word as the verb's plain form.
    ("Status of the search index. If the status is stale, rerun search to refresh it.",
     "Read"),
])
def test_an_irregular_participle_done_again_after_a_comma(description, category):
    _assert_category(classify(tool("index_status", description)), category)


# ----- a verb the table lacks, where a known one would act --------------------------------


@pytest.mark.parametrize("name,description,category", [
    # A gerund after a comma, right before "it" or "them".
    ("get_device", "Get a device, unpairing it from the hub.", "not Read"),
    # ... after "and", whatever the lead's person.
    ("render_invoice", "Renders the invoice PDF and files it with the tax authority.",
     "not Read"),
    # Verbs the table lacks that say how the tool treats what it names or arranges the reply.
    ("get_device", "Get a device, requiring it to be online.", "Read"),
    ("list_devices", "List devices that are offline, grouping them by site.", "Read"),
    ("search_emails", "Search emails by sender, highlighting them where the query matches.",
     "Read"),
    ("get_token", "Get a token, allowing it to be used once.", "Read"),
    # A plural noun after "and" is no verb: nothing of "it" or "them" follows it.
    ("list_pools", "List pools and snapshots of a dataset.", "Read"),
])
def test_an_unknown_verb_done_to_what_was_named_is_an_unknown_act(name, description, category):
    _assert_category(classify(tool(name, description), use_annotations=False), category)


@pytest.mark.parametrize("name,description,category", [
    # A passive of a verb the table lacks, undone from a place or done as a step of the call.
    ("list_devices", "List smart home devices. Devices reported offline are unpaired from "
     "the hub.", "not Read"),
    ("read_sensor", "Read a sensor value; the sensor is recalibrated first.", "not Read"),
    ("get_playlist", "Get a playlist. Unavailable tracks are delisted from the playlist "
     "afterwards.", "not Read"),
    ("get_reservation", "Get a reservation. Unconfirmed reservations are autoreleased after "
     "the call.", "not Read"),
    # Participles that say how things are, or where something comes from.
    ("get_vulnerabilities", "Check dependencies. An upgrade is synthesized from the fixes.",
     "Read"),
    ("get_history", "Get the history of a release. The history is scoped to the namespaces "
     "the user can access.", "Read"),
    ("get_member", "Get a member. The subscriber hash is derived automatically.", "Read"),
    ("get_rows", "Get rows of a table. Results are unordered.", "Read"),
    ("get_history", "Get history. For older versions, changelog dates are used.", "Read"),
])
def test_an_unknown_participle_done_by_the_call(name, description, category):
    _assert_category(classify(tool(name, description), use_annotations=False), category)


@pytest.mark.parametrize("description,category", [
    # Writers mix persons: a verb in the third person after an imperative reading lead,
    # before what was just named ("it", "them", "its", "their"), or after "then".
    ("Get a tenant record, and evicts it when the lease has expired.", "not Read"),
    ("Fetch new messages and quarantines them when they look like phishing.", "not Read"),
    ("Inspect a pod, and cordons its node when the pod is crash-looping.", "not Read"),
    ("Summarize a pull request, then posts the summary as a comment.", "not Read"),
    ("List open alerts and snoozes them for one hour.", "not Read"),
    # A plural noun after "and", before what it is of, names what is shown.
    ("Get users and groups of the workspace.", "Read"),
    ("Get orders and returns for a customer.", "Read"),
    ("Get workflow runs and their durations.", "Read"),
])
def test_a_third_person_step_after_an_imperative_reading_lead(description, category):
    _assert_category(classify(tool("get_record", description), use_annotations=False),
                     category)


@pytest.mark.parametrize("description,category", [
    # A gerund subject whose act is a movement of money.
    ("Status of an order. Setting status to 'refunded' issues a refund to the original "
     "payment method.", "Financial"),
    ("Look up an order. Setting `status` to cancelled issues a refund to the buyer.",
     "Financial"),
    ("Unpaid invoices. Passing `settle` triggers a payment for each one.", "Financial"),
    # "Setting" as a noun, and a gerund subject that only shapes the reply.
    ("Status of an order. Settings issues are reported in the reply.", "Read"),
    ("Status of an order. Setting `verbose` to true returns the refund's events too.", "Read"),
])
def test_a_gerund_subject_that_moves_money(description, category):
    _assert_category(classify(tool("order_status", description), use_annotations=False),
                     category)


def _state_tool(name: str, description: str, properties: dict, required: list[str]) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties,
                                  "required": required}, annotations={})


@pytest.mark.parametrize("name,properties,required,category", [
    # A required choice of states under a name of one thing: the state the call puts it in.
    ("trunk_status", {"trunk": {"type": "string"},
                      "state": {"type": "string", "enum": ["up", "down"]}},
     ["trunk", "state"], "not Read"),
    ("runner_state", {"runner": {"type": "string"},
                      "status": {"type": "string", "enum": ["online", "paused"]}},
     ["runner", "status"], "not Read"),
    # Optional, a filter; a list's status picks which to show; free text is a key.
    ("trunk_status", {"trunk": {"type": "string"},
                      "state": {"type": "string", "enum": ["up", "down"]}},
     ["trunk"], "Read"),
    ("list_test_ids", {"build": {"type": "string"},
                       "status": {"type": "string", "enum": ["passed", "failed"]}},
     ["build", "status"], "Read"),
    ("get_orders", {"status": {"type": "string", "enum": ["OPEN", "CLOSED"]}}, ["status"],
     "Read"),
    ("trunk_status", {"region": {"type": "string"}}, ["region"], "Read"),
    # Free text named as the head of the sentence ("State of a trunk") is its new value.
    ("trunk_status", {"state": {"type": "string"}}, ["state"], "not Read"),
])
def test_a_required_state_is_the_state_the_call_sets(name, properties, required, category):
    c = classify(_state_tool(name, "State of a trunk.", properties, required),
                 use_annotations=False)
    _assert_category(c, category)


@pytest.mark.parametrize("description,category", [
    # A clause said to be done in passing, by a verb the table knows or lacks.
    ("List newsletter subscribers, unsubscribing bounced addresses as it goes.", "not Read"),
    ("List followers of the account, unfollowing bots along the way.", "not Read"),
    ("List active sessions; sessions idle for a day are signed out as it goes.", "not Read"),
    ("Get cache entries. Stale entries are evicted in passing.", "not Read"),
    # Reading or arranging the reply in passing does nothing of its own.
    ("List subscribers, sorting them by signup date as it goes.", "Read"),
    ("List subscribers, looking up each one's country along the way.", "Read"),
    ("List stops on the way between two cities.", "Read"),
    ("Read entries, caching them as it goes.", "Read"),
    ("Stream rows at full speed as it goes.", "Read"),
    ("List settings, string values escaped as it goes.", "Read"),
])
def test_a_clause_done_in_passing(description, category):
    _assert_category(classify(tool("list_things", description), use_annotations=False),
                     category)


@pytest.mark.parametrize("description,category", [
    # A gerund the description says the call itself does.
    ("Verify a promo code. Redeeming it is done by this same call.", "not Read"),
    ("Get an insurance quote. Accepting is done by this call when `bind` is set.", "not Read"),
    ("Get a hold. Cancelling the hold is handled by this tool after an hour.", "not Read"),
    # Reading or arranging the reply, and work done elsewhere.
    ("Get a quote. Filtering is done by this call, not by the client.", "Read"),
    ("Get a quote. Sorting them is done by this call.", "Read"),
    ("Get a quote. Accepting it is done by the checkout tool.", "Read"),
])
def test_a_gerund_done_by_this_call(description, category):
    _assert_category(classify(tool("get_quote", description), use_annotations=False), category)


@pytest.mark.parametrize("description,category", [
    # A later passive with a prefix joined by a hyphen.
    ("Sessions of the user. Expired sessions are auto-archived from the store.", "not Read"),
    ("Sessions of the user. Sessions idle for a day are auto-deleted.", "not Read"),
    ("Sessions of the user. Each session is co-owned by the team.", "Read"),
])
def test_a_later_passive_with_a_hyphenated_prefix(description, category):
    _assert_category(classify(tool("user_sessions", description), use_annotations=False),
                     category)


@pytest.mark.parametrize("description,category", [
    # A word in the third person the tables lack, after "then" before its object.
    ("Show the thermostat reading, then lowers the setpoint by one degree.", "not Read"),
    # A plural noun after "then" names what is shown next.
    ("Show the summary, then details of each item.", "Read"),
    ("Show the summary, then totals.", "Read"),
])
def test_an_unknown_verb_after_then(description, category):
    _assert_category(classify(tool("show_reading", description), use_annotations=False),
                     category)


@pytest.mark.parametrize("description,category", [
    # A passive done by this call is the call's own act, a verb the tables know or lack.
    ("Get a boarding pass; seats still unassigned are allocated by this call.", "not Read"),
    ("Get a boarding pass. Pending upgrades are confirmed by this same call.", "not Read"),
    # ... by someone else, it is not.
    ("Get a boarding pass; seats are allocated by the airline.", "Read"),
    ("Get a boarding pass. Upgrades are confirmed by the gate agent.", "Read"),
])
def test_a_passive_done_by_this_call(description, category):
    _assert_category(classify(tool("get_boarding_pass", description), use_annotations=False),
                     category)


@pytest.mark.parametrize("name,description,category", [
    ("historique_ventes", "Historique des ventes. Supprime les lignes de plus d'un an.",
     "Destructive"),
    ("historial_pedidos", "Historial de pedidos del cliente. Envía el informe al director.",
     "Write"),
    ("historique_ventes", "Historique des ventes. Modifie le statut des ventes annulées.",
     "Destructive"),
])
def test_a_later_romance_sentence_that_acts_outweighs_a_noun_phrase(name, description,
                                                                    category):
    # A later sentence opening with a verb that removes, or that changes, runs or sends
    # what follows, says what the call does, as an English one does ("Deletes rows ...").
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    ("historial_pedidos", "Historial de pedidos del cliente. Devuelve una lista ordenada."),
    ("historial_pedidos", "Historial de pedidos del cliente. Filtra por fecha."),
    # A form that adds without sending says too little of what is kept.
    ("historique_ventes", "Historique des ventes. Valide les paramètres avant la requête."),
])
def test_a_later_romance_sentence_that_reads_or_checks_leaves_the_view_alone(name,
                                                                            description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A later sentence opening with a verb that runs something of its own, before its object.
    ("get_rate", "Get an exchange rate. Executes the conversion at that rate.", "Execute"),
    ("build_status", "Show the build status. Restarts the build when it has failed.",
     "Execute"),
    ("preview_release", "Preview a release. Deploys the release to staging.", "Execute"),
    # What is run is a reading, or the verb says how the tool reads.
    ("web_vitals", "Core Web Vitals for a page. Runs the same audit as the PageSpeed tool.",
     "Read"),
    ("log_search", "Search logs. Executes the query against the log index.", "Read"),
    ("health", "Show service health. Runs a health check against each node.", "Read"),
    ("get_user", "Get a user. Calls the users API.", "Read"),
    ("coverage", "Check the coverage. Evaluates the loss against the policy.", "Read"),
    ("fetch_page", "Fetch a page. Retries the request once on a timeout.", "Read"),
])
def test_a_later_sentence_that_runs_something_is_no_reader(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A verb with its particle after its object registers someone or ends their session.
    ("patient_chart", "Chart of a patient. Opening the chart checks the patient in for "
     "today's visit.", "Write"),
    ("checkin_status", "Get the check-in status. Checks the passenger in when the window is "
     "open.", "Write"),
    ("guest_stay", "Check the guest in for the night.", "Write"),
    ("session_info", "Get the session. Logs the user out when the token has expired.", "Write"),
    ("visitor_log", "Show the visitor log. Signs each visitor in at the desk.", "Write"),
    # A check whose object holds a verb, and "in" that opens a place, only read.
    ("user_state", "Get the status. Checks whether the user is logged in.", "Read"),
    ("user_state", "Get the user. Checks that the user is signed in.", "Read"),
    ("status", "Get the status. Checks the status in the background.", "Read"),
    ("booking", "Get a booking and check the dates in it.", "Read"),
])
def test_a_verb_split_from_its_particle_by_its_object_acts(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A two-word verb done at the time of the call is the verb it makes.
    ("backup_run_status", "Status of the nightly backup run (kicked off on demand if "
     "missing).", "Execute"),
    ("index_status", "Status of the index, cleaned up on every call.", "Destructive"),
    ("job_status", "Status of the job, backed up on every call.", "Write"),
    # ... unless that verb only reads.
    ("user_records", "Records of the user, looked up on demand.", "Read"),
])
def test_a_two_word_participle_done_on_the_call(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # A later sentence's act done on someone's behalf is done, a documenting verb's too; a
    # documenting verb before "it" acts on what was just named.
    ("Get the referral for an invite code. Accepts the invitation on behalf of the user.",
     "Write"),
    ("Get the referral for an invite code. Accepts it when the code is valid.", "Write"),
    ("Get the referral. Creates a draft reply on behalf of the user.", "Write"),
    # What it is handed, or a reading done for someone, is no act.
    ("Get the referral. Accepts a JSON string.", "Read"),
    ("Get the referral. Accepts the same filters as list_referrals.", "Read"),
    ("Get the referral. Fetches it on behalf of the user.", "Read"),
])
def test_a_later_act_on_behalf_of_someone_or_on_it(description, category):
    c = classify(tool("get_referral", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # Listing one thing for sale, or on a market or site, puts it up.
    ("List an item for sale on the marketplace at `price`.", "Write"),
    ("List a property on the rental site with photos and a nightly rate.", "Write"),
    ("List a car for auction.", "Write"),
    # Listing which are for sale, what one of them has, or one thing's contents reads.
    ("List homes for sale in Austin.", "Read"),
    ("List a user's items for sale.", "Read"),
    ("List an item's bids on the auction site.", "Read"),
    ("List a directory on the server.", "Read"),
])
def test_listing_one_thing_for_sale_puts_it_up(description, category):
    c = classify(tool("list_item", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A command said to run with a switch that makes it change what it looks at.
    ("npm_audit", "npm audit with --fix: vulnerabilities, and the upgrades applied to "
     "package-lock.json.", "Destructive"),
    ("format_check", "Check formatting. Runs prettier using --write on the files.", "Write"),
    ("show_cache", "Show the cache; the cleaner is called with --prune.", "Destructive"),
    # A switch denied, or named in a list of advice, is not used.
    ("lint", "Lint the project. Never runs with --fix.", "Read"),
    ("lint", "Lint the project without --fix.", "Read"),
    ("get_upgrade_playbook", "Get the upgrade playbook: baseline tests, eslint --fix, "
     "component map.", "Read"),
])
def test_a_command_run_with_a_switch_that_acts(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # A noun for the call's own act as the subject of an act on "it" or "them".
    ("Retrieve a document from the archive; retrieval restores it from cold storage.",
     "Destructive"),
    ("Get the files. The import overwrites them.", "Destructive"),
    ("Get the files. The sync deletes them from the device.", "Destructive"),
    # Someone else acting, what only arranges the reply, or what is refused, says nothing of
    # the call.
    ("Get the files. IBKR refreshes them about every 3 minutes.", "Read"),
    ("Get the files. The server deletes them after a day.", "Read"),
    ("Get the files. Validation rejects them when malformed.", "Read"),
    ("Get the files. Pagination limits them to 100.", "Read"),
])
def test_a_noun_for_the_calls_act_doing_something_to_it(description, category):
    c = classify(tool("get_files", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # Verifying a domain, a sender or an identity records it as the account's.
    ("Verify a domain for the workspace via its DNS TXT record.", "Write"),
    ("Verify the sender identity.", "Write"),
    ("Verify domain ownership.", "Write"),
    # Verifying something about one, or anything else, checks it.
    ("Verify a domain's SPF record.", "Read"),
    ("Verify the signature of a payload.", "Read"),
    ("Verify that the domain resolves.", "Read"),
])
def test_verifying_a_domain_or_identity_records_it(description, category):
    c = classify(tool("verify_domain", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # "removed" said of what the call found removes it, wherever from.
    ("List files in a bucket prefix; zero-byte objects found are removed.", "Destructive"),
    ("List rows. Matching rows are removed.", "Destructive"),
    # ... not what shapes the reply, nor a subject that denies it.
    ("List rows. Whitespace between XML tags is removed.", "Read"),
    ("List rows. No rows found are removed.", "Read"),
])
def test_a_later_removal_of_what_the_call_found(description, category):
    c = classify(tool("list_rows", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # A participle that otherwise shapes the reply acts when done to what is kept.
    ("Preview a file. Large files are truncated on disk to 1 MB.", "Destructive"),
    ("Preview a table. Its rows are sorted on disk by key.", "Destructive"),
    # Done to the reply, it only shapes it.
    ("Preview a file. Large files are truncated to 1 MB.", "Read"),
    ("Preview a file. Credential fields are redacted.", "Read"),
])
def test_a_later_passive_done_to_what_is_kept(description, category):
    c = classify(tool("preview_file", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # A participle the tables lack after "e-" is done electronically: done.
    ("Status of the quarterly VAT filing; a draft return is e-filed with the tax office "
     "when the deadline is today.", "Write"),
    ("Status of the lease; the renewal is e-lodged with the registry.", "Write"),
    # Without a subject that opens its clause, or said of someone else, it is not the call's.
    ("Status of the quarterly VAT filing, which must be e-filed with the tax office.", "Read"),
    ("Status of the quarterly VAT filing; returns are e-filed by the accountant.", "Read"),
])
def test_a_later_passive_done_electronically(description, category):
    c = classify(tool("vat_filing_status", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # A verb in brackets joined to the one before it is done to the object they share.
    ("Long-poll for updates. Passing offset confirms (and discards) all earlier updates.",
     "Destructive"),
    ("Get a message. Reads (and deletes) it.", "Destructive"),
    # A noun in brackets, or a second verb that reads, is no act.
    ("List jobs (and runs) for a pipeline.", "Read"),
    ("List jobs. Fetches (and counts) the jobs.", "Read"),
])
def test_a_bracketed_second_verb_that_acts(description, category):
    c = classify(tool("poll_updates", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    # A word that sends, before what a noun phrase would name, sends it when the sentence
    # says which channel it goes to.
    ("Post summary of the standup to the team channel.", "Write"),
    ("Post status of the build to #releases.", "Write"),
    # Without one it names what is read.
    ("Post summary of a blog entry.", "Read"),
    ("Post history of the channel.", "Read"),
])
def test_a_sending_word_sent_to_a_channel_is_the_verb(description, category):
    c = classify(tool("summarize_standup", description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    ("compute_country_tax", "Compute tax for a country using a custom rule."),
    ("preview_discount_rule", "Preview how a discount code rule would price a sample cart."),
    ("validate_coupon", "Validate a coupon against your own rules before checkout."),
    ("postal_zone", "Look up the shipping zone of a postal code with a custom formula."),
])
def test_a_code_said_to_be_a_rule_or_formula_is_a_program(name, description):
    # A `code` argument beside a kind of code ("country", "coupon") is an identifier, unless
    # the tool's words say what it is handed is a rule or formula: then it is logic to run.
    c = classify(tool(name, description, {"target": {"type": "string"},
                                          "code": {"type": "string"}}))
    assert c.category != "Read", c.evidence
    assert any("'code'" in line for line in c.evidence), c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A word the tables lack leads, joined by "and"/"or" to a verb that removes, changes or
    # pays: the second command is done whatever the first one is.
    ("helm_values", "Load and merge multiple Helm values files from a Git repository.",
     "Destructive"),
    ("user_records", "Gather and delete stale user records.", "Destructive"),
    ("stale_sessions", "Collects and purges expired sessions from the store.", "Destructive"),
    ("ledger_entries", "Reconcile and refund the duplicate card charges.", "Financial"),
])
def test_an_act_joined_to_an_unknown_lead_is_done(name, description, category):
    c = classify_all([tool(name, description)])[name]
    assert c.category == category, c.evidence
    assert any("description starts with" in line for line in c.evidence), c.evidence


@pytest.mark.parametrize("name,description", [
    # Not a noun before "and" nor a verb used as a noun, nor an act that only adds something.
    ("repo_stats", "Stats and update history for a repository."),
    ("customer_money", "Invoices and refunds for a customer."),
    ("repo_files", "Load and display the repository files."),
])
def test_no_act_is_joined_to_an_unknown_lead_where_none_is_commanded(name, description):
    c = classify_all([tool(name, description)])[name]
    assert not any(line.startswith("description starts with 'update'")
                   or line.startswith("description starts with 'refund'")
                   for line in c.evidence), c.evidence


@pytest.mark.parametrize("name,description,category", [
    # The same second command under a lead the tables lack, further on: after more such
    # words, "&", "/", "then" or a word of manner, or after "and"/"then" before its object.
    ("user_records", "Gather, dedupe and delete stale user records.", "Destructive"),
    ("user_records", "Gather then delete stale user records.", "Destructive"),
    ("user_records", "Gather and permanently delete stale user records.", "Destructive"),
    ("helm_values", "Load & merge multiple Helm values files.", "Destructive"),
    ("user_records", "Gather stale user records and delete them.", "Destructive"),
    ("user_records", "Gathers stale user records and deletes them.", "Destructive"),
    ("card_charges", "Reconcile duplicate card charges, then refund every one of them.",
     "Financial"),
])
def test_an_act_commanded_later_under_an_unknown_lead_is_done(name, description, category):
    c = classify_all([tool(name, description)])[name]
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # A list of nouns after a colon, "pay schedule" among them; a noun before "history".
    ("employee", "Employee profile: compensation, pay schedule, tax setup."),
    ("catalog", "Product catalog and price changes, then update history."),
])
def test_no_act_is_commanded_later_where_a_list_names_things(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category not in ("Destructive", "Financial"), c.evidence


# ----- what the call reads, used up or held by it ---------------------------------------------


@pytest.mark.parametrize("name,description,category", [
    ("peek_queue", "Peek at the head of the queue. Unlike a real peek, the message is consumed.",
     "Destructive"),
    ("get_next_job", "Get the next pending job. The job is claimed until it completes or "
     "times out.", "Write"),
    ("get_task", "Get the next task for a worker. The task is leased to the worker for five "
     "minutes.", "Write"),
    ("get_mutex", "Get the named mutex. The mutex is held by this call for 30 seconds.",
     "Write"),
    ("get_lease", "Get a lease on a resource. The lease is held for ttl seconds and blocks "
     "other writers.", "Write"),
    ("read_row", "Read a row by primary key. The row is locked until the transaction ends.",
     "Write"),
    ("show_seat", "Show a seat on the seating map; the seat is held for you for 10 minutes.",
     "Write"),
    ("fetch_event", "Fetch the oldest event from the stream. The event is popped.",
     "Destructive"),
    ("lookup_user", "Look up a user by email. The account is blocked until an admin "
     "reviews it.", "Write"),
    ("analyze_table", "Collects statistics about the contents of tables in the database and "
     "stores the results in the pg_statistic system catalog.", "Write"),
    ("check_links", "Check the links on a page. The statistics are stored in the site's "
     "crawl table.", "Write"),
])
def test_a_later_clause_that_uses_up_holds_or_keeps_what_is_read_acts(name, description,
                                                                        category):
    c = classify_all([tool(name, description)])[name]
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    ("peek_queue", "Peek at the head of the queue. The message is not consumed."),
    ("get_message", "Get a message by id. Messages are consumed only by receive_message."),
    ("get_message", "Get a message by id. Messages are only consumed by receive_message."),
    # The server keeps what it found: a fact about the server, done by it, not an act the
    # call asks for on anything a user has.
    ("search_logs", "Search the logs. Results are stored by the server for 24 hours."),
    ("get_lease_status", "Get the status of a lease. Returns whether the lease is held and "
     "when it expires."),
    ("get_lock_owner", "Get the owner of a file's lock. A locked file is held by the user who "
     "opened it."),
    ("list_jobs", "List the jobs in the queue. Jobs that are claimed show their worker."),
    ("list_leases", "List the leases on a resource. A lease is held until it expires."),
    ("describe_table", "Describe a table's columns. The server stores statistics for it in "
     "pg_statistic."),
    ("search_logs", "Search the logs. Shows where the results are stored in S3."),
])
def test_a_later_clause_that_says_how_what_is_read_stands_reads(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category == "Read", c.evidence


_MADE_UP = Path(__file__).parent / "fixtures" / "redteam" / "made-up-servers.json"


def _rows_from_the_tools_command(tmp_path, tools):
    """{name: row} as the installed `policytui tools --from FILE --json` prints them for a
    snapshot of `tools` (category, confidence, evidence ...)."""
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": tools}), encoding="utf-8")
    command = Path(sys.executable).parent / "policytui"
    done = subprocess.run([str(command), "tools", "--from", str(snapshot), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return {row["name"]: row for row in json.loads(done.stdout)["tools"]}


def _categories_from_the_tools_command(tmp_path, tools):
    """{name: category} as the installed `policytui tools --from FILE --json` prints them for a
    snapshot of `tools`: the made-up rounds checked as a user meets them."""
    return {name: row["category"]
            for name, row in _rows_from_the_tools_command(tmp_path, tools).items()}


def _round_through_the_tools_command(tmp_path, round_name):
    """The made-up round's servers (each a list of its tools' specs) and {name: category} for
    all their tools, as `policytui tools --from FILE --json` prints them a server at a time (as
    each would list), the labels (`acts`, `money`) left out of what the command reads."""
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    servers = [server["tools"] for server in made_up["servers"] if server["round"] == round_name]
    found: dict[str, str] = {}
    for round_tools in servers:
        found.update(_categories_from_the_tools_command(tmp_path, [
            {key: value for key, value in spec.items() if key not in ("acts", "money")}
            for spec in round_tools]))
    return servers, found


def _each_spec_through_the_tools_command(tmp_path, round_name):
    """As `_round_through_the_tools_command`, for rounds whose servers share tool names: the
    number of tools of each server, and (spec, category) for every tool, server by server."""
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    servers = [server["tools"] for server in made_up["servers"] if server["round"] == round_name]
    found = []
    for round_tools in servers:
        categories = _categories_from_the_tools_command(tmp_path, [
            {key: value for key, value in spec.items() if key not in ("acts", "money")}
            for spec in round_tools])
        found += [(spec, categories[spec["name"]]) for spec in round_tools]
    return [len(round_tools) for round_tools in servers], found


_HOLDS = "26-a-later-clause-that-holds"


def test_the_tools_command_calls_no_reader_that_uses_up_or_holds_what_it_reads_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # twenty-sixth round's tools (readers whose later clause says what they read is used up,
    # held or kept, and near readers phrased alike) and of the three stored leaks of that shape.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _HOLDS
                   for found in server["tools"]]
    leaks = [found for server in made_up["servers"] for found in server["tools"]
             if found["name"] in ("peek_queue", "get_lease", "analyze_table")
             and found["description"].startswith(("Peek at the head", "Get a lease",
                                                   "Collects statistics"))]
    assert len(round_tools) == 15 and len(leaks) == 3
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for found in round_tools + leaks]
    found = _categories_from_the_tools_command(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "peek_message": "Destructive", "get_task": "Write", "get_config": "Write",
        "show_slot": "Write", "get_alert": "Destructive", "browse_messages": "Read",
        "get_message": "Read", "get_lock_status": "Read", "list_leases": "Read",
        "analyze_index": "Write", "profile_dataset": "Write", "lookup_account": "Write",
        "query_events": "Read", "get_table_stats": "Read", "describe_index": "Read"}
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert (found["peek_queue"], found["get_lease"], found["analyze_table"]) == (
        "Destructive", "Write", "Write")


# ----- a reader that acts when a condition holds ----------------------------------------------


@pytest.mark.parametrize("name,description,category", [
    ("disk_health", "Disk usage of a host and, where usage is above 90%, deletes rotated log "
     "files older than 7 days.", "Destructive"),
    ("page_status", "Status of a wiki page. If it does not exist, creates it.", "Write"),
    ("get_cert_expiry", "Get the days until a certificate expires. If it expires within a "
     "week, renews it.", "Write"),
    ("queue_depth", "Depth of a queue; when it exceeds the limit, the oldest messages are "
     "dropped.", "Destructive"),
    ("backup_audit", "Backups per database, and for any with none in 24 hours, one is taken.",
     "Write"),
    ("error_rate", "Error rate of a service; if it is above 5%, the service is rolled back to "
     "its last release.", "Destructive"),
    # No comma: the passive after the condition's own verb.
    ("how_much_credit", "How much API credit is left. When it is below $5 the card on file is "
     "topped up.", "Financial"),
    ("get_backlog_size", "Get the size of a backlog. When it exceeds the limit the oldest "
     "messages will be purged.", "Destructive"),
    ("wallet_balance", "Balance of the team's prepaid wallet. If it falls under the minimum "
     "the saved card is charged $50.", "Financial"),
])
def test_a_clause_after_a_condition_that_acts_acts(name, description, category):
    c = classify_all([tool(name, description)])[name]
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    ("disk_usage", "Disk usage of a host. Returns whether the disk is above 90%."),
    ("list_messages", "List messages in a queue. When the queue is empty, returns an empty "
     "list."),
    ("read_file", "Read a file. If the file is missing, an error is returned."),
    # What another named subject does, the server here, is a fact about it, not an act of
    # the call, as an act "by" someone else is.
    ("bucket_quota", "Quota of a bucket. When usage exceeds the quota, the server rejects "
     "writes."),
    ("get_job", "Get a job. When it fails, it is retried by the scheduler."),
    # What the reply leaves out.
    ("get_row", "Get a row by key. When a column is null, it is dropped from the result."),
    ("list_events", "List events. Where a page has more than 100, the rest are dropped."),
    ("subscription_status", "Status of a subscription. Once it is cancelled, no further "
     "invoices are charged."),
    ("list_pages", "List pages. If omitted, the limit is set to 100."),
    ("lookup_citation", "Look up a citation. Useful when the journal and year are known."),
])
def test_a_clause_after_a_condition_that_reads_reads(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category == "Read", c.evidence


_WHEN = "28-a-condition-that-acts"


def test_the_tools_command_calls_no_reader_that_acts_when_a_condition_holds_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # twenty-eighth round's tools (readers whose clause after a condition says what the call
    # then does, and near readers phrased alike) and of the four stored leaks of that shape.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _WHEN
                   for found in server["tools"]]
    leaks = [found for server in made_up["servers"] for found in server["tools"]
             if (found["name"], found["description"][:12]) in (
                 ("disk_health", "This tool is"), ("queue_depth", "Depth of a q"),
                 ("backup_audit", "Backups per "), ("how_much_credit", "How much API"))]
    assert len(round_tools) == 15 and len(leaks) == 4
    # (Early rounds stored no inputSchema; the redteam bench reads none as no arguments.)
    tools = [{"inputSchema": {"type": "object", "properties": {}},
              **{key: value for key, value in found.items() if key not in ("acts", "money")}}
             for found in round_tools + leaks]
    found = _categories_from_the_tools_command(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "unit_health": "Execute", "scratch_usage": "Destructive",
        "get_topic_lag": "Destructive", "get_slot_status": "Destructive",
        "disk_usage": "Read", "list_queue_messages": "Read", "read_config_file": "Read",
        "get_row": "Read", "get_log_retention": "Read", "mailbox_size": "Destructive",
        "wallet_balance": "Financial", "active_sessions": "Write", "quota_status": "Read",
        "subscription_status": "Read", "get_alert_rule": "Read"}
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert (found["disk_health"], found["queue_depth"], found["backup_audit"],
            found["how_much_credit"]) == ("Destructive", "Destructive", "Write", "Financial")


# ----- a getter whose secret is made by the call ---------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("get_api_key", "Get a new API key for the project."),
    ("fetch_db_password", "Returns a fresh password for the database user."),
    ("get_client_secret", "Get a new client secret for an OAuth app; the old one keeps "
     "working."),
    ("get_share_link", "Returns a new share link to the document."),
    ("get_bearer_token", "Returns a freshly minted bearer token for the service."),
    # A participle of making after a comma: made with what is asked, for a while, on demand.
    ("get_access_token", "Get an access token for a client, minted with the requested "
     "scopes."),
    ("get_registry_credentials", "Get credentials for the container registry, issued for 12 "
     "hours."),
    ("get_db_password", "Get a database password for an app role, issued per request."),
    ("get_ci_token", "Get a CI token for a pipeline, minted on demand."),
])
def test_a_getter_whose_secret_the_call_makes_writes(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category == "Write", c.evidence


@pytest.mark.parametrize("name,description", [
    # Places in a listing, not secrets.
    ("get_page", "Returns a new page token for the next call."),
    ("get_changes", "Get the changes since the last call and a new sync token."),
    ("get_items", "Get the items of a folder and a new token for the next page."),
    # A secret made earlier, only read: which one it is, not that this call makes it.
    ("get_login_token", "Get the token that was issued at login."),
    ("get_project_key", "Get the API key created for the project."),
    ("get_key_info", "Get the API key, created when the project was set up."),
    # New things that are no secret made for the caller.
    ("get_new_links", "Get new links shared in a channel."),
    ("get_token_dates", "Get when the token was issued and when it expires."),
])
def test_a_getter_of_a_secret_made_before_reads(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category == "Read", c.evidence


_MAKES = "29-a-getter-that-makes"


def test_the_tools_command_calls_no_getter_whose_secret_the_call_makes_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # twenty-ninth round's tools (getters whose token, key, password or link the call makes,
    # and near readers phrased alike) and of the two stored leaks of that shape.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _MAKES
                   for found in server["tools"]]
    leaks = [found for server in made_up["servers"] for found in server["tools"]
             if (found["name"], found["description"][:12]) in (
                 ("get_token", "Returns a ne"), ("get_user_token", "Get an API t"))]
    assert len(round_tools) == 14 and len(leaks) == 2
    # (Early rounds stored no inputSchema; the redteam bench reads none as no arguments.)
    tools = [{"inputSchema": {"type": "object", "properties": {}},
              **{key: value for key, value in found.items() if key not in ("acts", "money")}}
             for found in round_tools + leaks]
    found = _categories_from_the_tools_command(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "get_pipeline_token": "Write", "get_runner_key": "Write", "get_preview_url": "Write",
        "get_deploy_credentials": "Write", "get_pipeline_page": "Read",
        "get_runner_token_info": "Read", "get_project_deploy_key": "Read",
        "get_service_token": "Write", "get_role_password": "Write", "get_app_secret": "Write",
        "get_vault_changes": "Read", "get_secret_metadata": "Read", "get_session_token": "Read",
        "get_new_keys": "Read"}
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert (found["get_token"], found["get_user_token"]) == ("Write", "Write")


# ----- a report generated and handed back as data -----------------------------------------


@pytest.mark.parametrize("name,description", [
    ("generate_sales_report", "Generate a sales report for the quarter. Returns the totals per "
     "region as JSON."),
    ("generate_uptime_report", "Generate an uptime report for a service over a date range. "
     "Returns structured data: availability, incidents and response times."),
    ("generate_activity_report", "Generate the client report for a period from the activity "
     "log: what changed, and time saved against manual baselines. Returns structured data for "
     "you to write up as a recap. Reads the log and changes nothing."),
    # A name that reads, under a sentence that generates the report.
    ("get_upgrade_readiness", "Generate an upgrade readiness report for the cluster. Counts "
     "deprecated APIs per namespace and returns structured JSON."),
    ("generate_seo_report", "Generate an SEO report for a page. Returns the scores and the "
     "issues found as JSON."),
    ("generate_region_report", "Generate a monthly sales report from the BI tool's data. "
     "Returns the totals per region."),
])
def test_a_report_generated_and_handed_back_as_data_reads(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category == "Read", c.evidence
    if name.startswith("generate"):  # the name's own "generate" gives way, and says why
        assert any("a report handed back as data" in line for line in c.evidence)


@pytest.mark.parametrize("name,description", [
    # Kept, filed, sent, scheduled or made a file: the report outlives the call.
    ("generate_sales_report", "Generate a sales report for the quarter and email it to the "
     "finance team. Returns the totals per region."),
    ("generate_uptime_report", "Generate an uptime report for a service. The report is saved "
     "to the status page and its ID returned."),
    ("generate_report", "Generate a financial report from the book. Returns the path to the "
     "written file with the totals."),
    ("generate_usage_report", "Generates a usage report for the project and schedules it "
     "monthly. Returns rows of request counts."),
    ("generate_compliance_report", "Generate a new compliance report. Returns the results of "
     "each control."),
    ("generate_bi_report", "Generate a monthly sales report in the BI tool. Returns the totals "
     "per region."),
    ("generate_board_report", "Generate a board report into the shared board pack. Returns the "
     "figures."),
    ("generate_pdf_report", "Generate a sales report as a PDF. Returns the totals."),
    ("generate_report_link", "Generate a sales report. Returns a link to the totals."),
    # No word that the report comes back: it may be made and kept where it is made.
    ("generate_weekly_report", "Generate a weekly report for a date range."),
])
def test_a_report_generated_to_be_kept_or_sent_is_riskier(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category != "Read", c.evidence


def test_the_corpus_readiness_and_activity_reports_read():
    # The two development-half tools of this shape, as their server lists them.
    corpus = Path(__file__).parent / "fixtures" / "servers" / "corpus"
    data = json.loads((corpus / "respira-wordpress-mcp.json").read_text(encoding="utf-8"))
    tools = [ToolInfo.from_wire({k: v for k, v in spec.items() if k != "annotations"})
             for spec in data["tools"]]
    classes = classify_all(tools, use_annotations=False)
    for name in ("respira_generate_activity_report", "respira_get_divi_migration_readiness"):
        assert classes[name].category == "Read", classes[name].evidence


_REPORTS_BACK = "31-a-reader-called-riskier"


def test_the_tools_command_calls_a_report_handed_back_read_and_its_kept_twin_not(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirty-first round's tools (reports generated and handed back as data, each beside a
    # twin that keeps, files, sends or schedules the report).
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _REPORTS_BACK
                   for found in server["tools"]]
    assert len(round_tools) == 22
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for found in round_tools]
    found = _categories_from_the_tools_command(tmp_path, tools)
    assert {spec["name"] for spec in round_tools if found[spec["name"]] == "Read"} == {
        "generate_sales_report", "generate_uptime_report", "generate_access_review_report",
        "get_upgrade_readiness", "generate_api_usage_report", "generate_timesheet_report",
        "generate_seo_report", "generate_stock_report", "generate_compliance_report",
        "generate_churn_report", "generate_region_report"}
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)


_CHANGES_NOTHING = "37-readers-that-say-they-change-nothing"


def test_the_tools_command_reads_tools_that_say_the_call_changes_nothing_and_not_their_twins(
        tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the thirty-seventh round (verbless tools whose description says the call changes or
    # keeps nothing, and quotes whose one act it denies, each beside tools phrased alike that
    # send, set, book, hold, attach or make something; and a server of calculators named
    # alike, one of which mails its result), a server at a time as it would list.
    servers, found = _round_through_the_tools_command(tmp_path, _CHANGES_NOTHING)
    assert [len(round_tools) for round_tools in servers] == [33, 21, 3]
    specs = [spec for round_tools in servers for spec in round_tools]
    # Every reader but one is Read: "Ringkasan ..." leads with a word the tables lack, which
    # may act whatever the description says is kept.
    assert {spec["name"] for spec in specs
            if not spec["acts"] and found[spec["name"]] != "Read"} == {"ringkasan_rapat"}
    assert [spec["name"] for spec in specs if spec["acts"] and found[spec["name"]] == "Read"] == []


# ----- a view whose act a participle says is done ---------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("svc_restart_status", "Status of the service restart, issued when the service is "
     "unhealthy."),
    ("db_restart_status", "Status of the database restart, triggered when replication lags."),
    ("job_enqueue_status", "Status of the job enqueue, queued for the given payload."),
    ("ha_vacuum_status", "Status of the robot vacuum, started when the floor is dirty."),
])
def test_a_view_of_an_act_a_participle_says_is_done_is_riskier(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("get_restart_status", "Get the status of a service's last restart."),
    ("svc_restart_status", "Status of the last service restart."),
    ("svc_restart_status", "Status of the service restart, grouped by host."),
    ("svc_restart_status", "Status of the service restart, updated every minute."),
    ("ticket_summary", "Summary of a ticket, with the resolution note."),
    ("ha_vacuum_status", "Status of the robot vacuum, shown on the dashboard."),
])
def test_a_view_of_an_act_only_named_reads(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category == "Read", c.evidence


# ----- an act done first, and the reading of its outcome --------------------------------------


@pytest.mark.parametrize("name,description", [
    ("get_leave_balance", "Get an employee's leave balance, after accruing this month's days "
     "onto it."),
    ("get_session_token", "Get the session token, after refreshing it."),
    ("list_queued_jobs", "List the jobs in the queue after enqueuing each one."),
])
def test_a_reader_after_a_gerund_that_acts_is_riskier(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # An act named as a noun, not done: the balance after an accrual made elsewhere.
    ("get_leave_balance", "Returns the leave balance after this month's accrual."),
    # A gerund before a bare noun only names what is read.
    ("list_rows", "List rows after applying filters."),
    ("get_balance", "Shows the balance after reading the ledger."),
])
def test_a_reader_after_a_named_act_or_a_bare_noun_reads(name, description):
    c = classify_all([tool(name, description)])[name]
    assert c.category == "Read", c.evidence


_STILL_READ = "34-acting-tools-still-called-read"


def test_the_tools_command_calls_no_reader_that_acts_first_or_a_view_said_done_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirty-fourth round's tools (readers whose gerund after "after" acts, views of an act a
    # participle after the comma says is triggered or started, and near readers phrased
    # alike) and of the two stored leaks of those shapes.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _STILL_READ
                   for found in server["tools"]]
    leaks = [found for server in made_up["servers"] for found in server["tools"]
             if (found["name"], found["description"][:20]) in (
                 ("get_leave_balance", "Get an employee's le"),
                 ("svc_restart_status", "Status of the servic"))]
    assert len(round_tools) == 12 and len(leaks) == 2
    # (Early rounds stored no inputSchema; the redteam bench reads none as no arguments.)
    tools = [{"inputSchema": {"type": "object", "properties": {}},
              **{key: value for key, value in found.items() if key not in ("acts", "money")}}
             for found in round_tools + leaks]
    found = _categories_from_the_tools_command(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "get_pto_balance": "Write", "get_pto_summary": "Read", "get_feed": "Write",
        "get_feed_items": "Read", "get_index_stats": "Execute", "get_index_summary": "Read",
        "node_restart_status": "Execute", "get_node_restart_status": "Read",
        "index_rebuild_status": "Execute", "node_reboot_status": "Read",
        "cache_sync_status": "Write", "queue_sync_status": "Read"}
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert (found["get_leave_balance"], found["svc_restart_status"]) == ("Write", "Execute")


# ----- an act a later clause, an argument or a required level hides behind a reader noun ------


def _snapshot_tool(name, description, required=None, optional=None):
    properties = {arg: {"type": "string"} for arg in (required or []) + (optional or [])}
    return {"name": name, "description": description,
            "inputSchema": {"type": "object", "properties": properties,
                            "required": list(required or [])}}


def test_the_tools_command_calls_the_acts_behind_a_reader_noun_riskier_and_their_twins_read(
        tmp_path):
    # The same families in words the round does not hold, as `policytui tools --from` lists
    # them: a hold placed on something, a branch deployed after a colon, quotes e-mailed to
    # the customer, a policy applied to a role, a status said to be read-only
    # that is handed the level to bring something to (camelCase and kebab-case); and the
    # readers phrased alike: a converter's `target_currency`, messages sent earlier, a
    # filter applied to the results, a status whose required argument only picks a zone.
    acting = [
        _snapshot_tool("van_estimate", "Estimated cost of a van for the move; a hold is placed "
                       "on the van for a day.", ["move_id"]),
        _snapshot_tool("preview_stack", "Preview stack for a pull request: the branch is "
                       "deployed to a fresh URL.", ["pull_request"]),
        _snapshot_tool("shipping_quotes", "Shipping quotes for a cart, e-mailed to the "
                       "customer.", ["cart"]),
        _snapshot_tool("policy_diff", "Policy diff for a role: the new policy is applied to the "
                       "role.", ["role"]),
        _snapshot_tool("boiler_status", "Boiler status (read-only).",
                       ["boiler", "desiredTemperature"]),
        _snapshot_tool("light_status", "Light status. Read-only.",
                       ["light", "target-brightness"]),
    ]
    reading = [
        _snapshot_tool("currency_rate", "Exchange rate between two currencies. Read-only.",
                       ["source_currency", "target_currency"]),
        _snapshot_tool("sent_messages", "Messages sent by a user to the customer in the last "
                       "week.", ["user"]),
        _snapshot_tool("search_diff", "Search diff between two indexes: the same filter is "
                       "applied to the results.", ["left", "right"]),
        _snapshot_tool("zone_status", "Zone status and the current temperature. Read-only.",
                       ["zone"]),
    ]
    found = _categories_from_the_tools_command(tmp_path, acting + reading)
    assert {tool["name"]: found[tool["name"]] for tool in acting} == {
        "van_estimate": "Write", "preview_stack": "Execute", "shipping_quotes": "Write",
        "policy_diff": "Destructive", "boiler_status": "Destructive",
        "light_status": "Destructive"}
    assert {tool["name"]: found[tool["name"]] for tool in reading} == {
        name: "Read" for name in ("currency_rate", "sent_messages", "search_diff", "zone_status")}


_BEHIND_A_READER_NOUN = "39-acts-behind-a-reader-noun"


def test_the_tools_command_calls_no_tool_whose_act_a_reader_noun_hides_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the thirty-ninth round (quotes, estimates, diffs, previews and statuses whose act a later
    # clause says is placed, sent, booked, deployed, applied or made, maybe only with an
    # argument set, and statuses said to be read-only whose required argument sets a level,
    # each beside a twin that only quotes, shows or renders), a server at a time.
    servers, found = _round_through_the_tools_command(tmp_path, _BEHIND_A_READER_NOUN)
    assert [len(round_tools) for round_tools in servers] == [16, 13, 8]
    specs = [spec for round_tools in servers for spec in round_tools]
    assert [spec["name"] for spec in specs if spec["acts"] and found[spec["name"]] == "Read"] == []
    # The twins that were Read stay Read: the quote itemised, the diff as text, the preview
    # rendered, the status whose required argument picks what to read.
    assert {spec["name"] for spec in specs if not spec["acts"] and found[spec["name"]] == "Read"
            } == {"price_quote_breakdown", "slot_estimate_range", "ShippingQuoteCompare",
                  "schema_diff_text", "preview_markdown", "planDiff", "SCHEMA-DIFF-REPORT",
                  "fan_rpm", "thermostat_reading", "PUMP_PRESSURE_HISTORY"}


# ----- previews, details and backtests that only report, beside twins that act ------


def _switch_tool(name, description, required, switch):
    tool = _snapshot_tool(name, description, required)
    tool["inputSchema"]["properties"][switch] = {"type": "boolean", "default": False}
    return tool


def test_the_tools_command_reads_previews_details_and_backtests_and_calls_their_acting_twins_riskier(
        tmp_path):
    # Words the made-up round does not hold, as `policytui tools --from` lists them, one server:
    # a preview or the details of something named by a noun of German, Polish, French,
    # Italian or Czech, a Portuguese "pré-visualiza" and a backtest only report; the same
    # preview sent on to the customer in a German clause that ends with its verb, and previews
    # that publish or send when a switch is set (the server's other previews read, so only
    # the switch tells them apart) act.
    reading = [
        _snapshot_tool("angebot_vorschau", "Vorschau des Angebots mit allen Positionen.",
                       ["angebot_id"]),
        _snapshot_tool("podglad_zamowienia", "Podgląd zamówienia z pozycjami i dostawą.",
                       ["zamowienie_id"]),
        _snapshot_tool("apercu_facture", "Aperçu de la facture avant émission.", ["facture_id"]),
        _snapshot_tool("anteprima_ordine", "Anteprima dell'ordine con righe e totale.",
                       ["ordine_id"]),
        _snapshot_tool("szczegoly_zamowienia", "Szczegóły zamówienia: pozycje i dostawa.",
                       ["zamowienie_id"]),
        _snapshot_tool("pre_visualizar_relatorio", "Pré-visualiza o relatório mensal com os "
                       "dados atuais.", ["mes"]),
        _snapshot_tool("backtest_signals", "Backtest the momentum signals on daily closes and "
                       "return the hit rate.", ["universe"]),
    ]
    acting = [
        _snapshot_tool("angebot_vorschau_kunde", "Vorschau des Angebots, das danach per E-Mail "
                       "an den Kunden verschickt wird.", ["angebot_id"]),
        _switch_tool("nahled_stranky", "Náhled stránky; s publish nastaveným na true se stránka "
                     "zveřejní.", ["stranka_id"], "publish"),
        _switch_tool("anteprima_newsletter", "Anteprima della newsletter; con send a true viene "
                     "spedita agli iscritti.", ["newsletter_id"], "send"),
    ]
    found = _categories_from_the_tools_command(tmp_path, reading + acting)
    assert {tool["name"]: found[tool["name"]] for tool in reading} == {
        tool["name"]: "Read" for tool in reading}
    assert [tool["name"] for tool in acting if found[tool["name"]] == "Read"] == []


_PREVIEW_SIMULATE_OR_DETAIL = "41-readers-that-preview-simulate-or-detail"


def test_the_tools_command_reads_the_rounds_previews_details_and_backtests_and_no_acting_twin(
        tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the forty-first round (previews and details in Portuguese, Spanish, German, Polish,
    # French, Italian and Czech, backtests, IAM policy simulations, what-if, plan, validate
    # and lint tools that only report, each beside a twin worded alike that sends, publishes,
    # issues, deploys, applies or fixes, after a clause or with a switch set), a server at a
    # time.
    servers, found = _round_through_the_tools_command(tmp_path, _PREVIEW_SIMULATE_OR_DETAIL)
    assert [len(round_tools) for round_tools in servers] == [20, 10, 9]
    specs = [spec for round_tools in servers for spec in round_tools]
    assert [spec["name"] for spec in specs if spec["acts"] and found[spec["name"]] == "Read"] == []
    # Every reader is Read: the policy simulations too, which simulate and report and do
    # nothing besides, and the what-if analysis named by no verb, which says what would be done.
    assert {spec["name"] for spec in specs if not spec["acts"] and found[spec["name"]] != "Read"
            } == set()
_MONEY_IN_OTHER_WORDS = "40-money-said-in-other-words-and-readers-of-money-left-as-readers"


def test_the_tools_command_finds_money_said_in_other_words_and_leaves_its_readers_read(
        tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the fortieth round (deposits taken, kept, charged and given back, orders submitted in
    # batches, fees debited and levied, said by a later clause, a passive or a noun phrase in
    # English, Spanish, Italian, German, Portuguese, Polish and French, each beside a reader of
    # the same money: due, overdue, open, limits, catalogue, status, history, summary,
    # forecast), a server at a time.
    servers, found = _round_through_the_tools_command(tmp_path, _MONEY_IN_OTHER_WORDS)
    assert [len(round_tools) for round_tools in servers] == [11, 11, 12, 12]
    specs = [spec for round_tools in servers for spec in round_tools]
    assert [spec["name"] for spec in specs if spec["acts"] and found[spec["name"]] == "Read"] == []
    assert [spec["name"] for spec in specs
            if (found[spec["name"]] == "Financial") != spec["money"]] == []
    # Every reader is Read: the noun phrases of an Italian amount, German due invoices and
    # French unpaid ones too.
    assert {spec["name"]: found[spec["name"]] for spec in specs
            if not spec["acts"] and found[spec["name"]] != "Read"} == {}


# ----- accented words kept whole ------


def test_the_tools_command_reads_accented_words_whole(tmp_path):
    # As `policytui tools --from` lists them, one server: an accent used to cut a word in two
    # ("impayées" -> "impay", "es"; "Søg" -> "s", "g"), so a French noun phrase was read as
    # led by an unknown verb and a Danish reading verb was not seen. Words the made-up rounds
    # do not hold; the acts beside them, in the same languages, stay riskier than Read.
    reading = [
        _snapshot_tool("avoirs_impayes", "Avoirs impayés et leurs dates d'échéance."),
        _snapshot_tool("vare_soeg", "Søg vare på navn eller stregkode.", ["navn"]),
    ]
    acting = [
        _snapshot_tool("sparra_medlemskort", "Spärra ett medlemskort vid förlust.", ["kort"]),
        _snapshot_tool("raporteaza_avarie", "Raportează o avarie la lift.", ["bloc"]),
        _snapshot_tool("allergies_maj", "Met à jour les allergies d'un élève.", ["eleve"]),
    ]
    found = _categories_from_the_tools_command(tmp_path, reading + acting)
    assert {tool["name"]: found[tool["name"]] for tool in reading} == {
        "avoirs_impayes": "Read", "vare_soeg": "Read"}
    assert {tool["name"]: found[tool["name"]] for tool in acting} == {
        "sparra_medlemskort": "Write", "raporteaza_avarie": "Write", "allergies_maj": "Write"}


# ----- readers of what is owed, of a refund policy, of an order-entry log, dry runs,
# what-ifs and policy simulations, beside twins that act ------


def test_the_tools_command_reads_what_is_owed_dry_runs_what_ifs_and_simulations_and_not_their_twins(
        tmp_path):
    # Words the made-up round does not hold, as `policytui tools --from` lists them, one server:
    # which ones are owed or an amount and the one thing they are of, named by the name and
    # the sentence (German, Polish, Portuguese, Czech), the terms of a money act said again
    # by the sentence and the terms of a return in German and French, an entry log, a dry run and a what-if that say what would happen, and a
    # simulation of permissions. Beside them, worded alike: German command phrases ending
    # with their verb, the same debts collected or paid, a dry run that applies, a what-if that
    # deploys, a simulation that attaches the policy.
    reading = [
        _snapshot_tool("ueberfaellige_zahlungen", "Überfällige Zahlungen der Mieter, nach "
                       "Betrag sortiert."),
        _snapshot_tool("kwota_zaleglosci", "Kwota zaległości najemcy za ostatni kwartał.",
                       ["najemca"]),
        _snapshot_tool("PRESTACOES-EM-ATRASO", "Prestações em atraso do contrato, com juros."),
        _snapshot_tool("castkaNedoplatku", "Částka nedoplatku odběratele k dnešnímu dni."),
        _snapshot_tool("withdraw_limits", "Withdraw limits for a wallet: daily, monthly and who "
                       "approves larger sums."),
        _snapshot_tool("Rueckgabebedingungen", "Rückgabebedingungen des Händlers mit Fristen "
                       "und Ausnahmen."),
        _snapshot_tool("politique_remboursement", "Politique de remboursement du magasin : "
                       "délais et exceptions."),
        _snapshot_tool("trade_entry_log", "Trade entry log for the desk: every trade booked "
                       "today, with time and trader."),
        _snapshot_tool("schemaDryRun", "Dry run of the schema change: lists the statements "
                       "it would execute; nothing is changed.", ["change_id"]),
        _snapshot_tool("resize_whatif", "What-if for resizing a database: the cost and the "
                       "downtime the new size would bring.", ["size"]),
        _snapshot_tool("simulate_role_permissions", "Simulate whether the role's permissions "
                       "allow each of the listed actions.", ["role"]),
    ]
    acting = [
        _snapshot_tool("faellige_einziehen", "Fällige Beträge einziehen.", ["mieter"]),
        _snapshot_tool("Rueckgaberichtlinie", "Rückgaberichtlinie zuweisen.", ["haendler"]),
        _snapshot_tool("kwota_zaleglosci_splac", "Spłaca kwotę zaległości najemcy z depozytu.",
                       ["najemca"]),
        _snapshot_tool("schemaDryRunApply", "Dry run of the schema change, then applies it.",
                       ["change_id"]),
        _snapshot_tool("resize_whatif_deploy", "What-if for resizing a database, after which "
                       "the new size is deployed.", ["size"]),
        _snapshot_tool("cluster_whatif", "What-if of a cluster upgrade: the nodes that would be "
                       "replaced, then upgrades them.", ["version"]),
        _snapshot_tool("simulate_policy_attach", "Simulate how the policy works with the role's "
                       "actions and attaches it to the role.", ["role"]),
    ]
    # And money acts in the same words: Italian "incassa", German "begleicht" and "erstattet",
    # Turkish "öde" ending a name.
    money = [
        _snapshot_tool("saldo_incassa", "Incassa il saldo della prenotazione sulla carta.",
                       ["prenotazione"]),
        _snapshot_tool("rechnung_begleichen", "Begleicht die offene Rechnung per Lastschrift.",
                       ["rechnung"]),
        _snapshot_tool("anzahlung_erstatten", "Erstattet dem Gast die Anzahlung.", ["buchung"]),
        _snapshot_tool("aidatOde", "Aylık aidatı kayıtlı kartla öder.", ["uye"]),
    ]
    found = _categories_from_the_tools_command(tmp_path, reading + acting + money)
    assert {tool["name"]: found[tool["name"]] for tool in reading} == {
        tool["name"]: "Read" for tool in reading}
    assert [tool["name"] for tool in acting if found[tool["name"]] == "Read"] == []
    assert {tool["name"]: found[tool["name"]] for tool in money} == {
        tool["name"]: "Financial" for tool in money}


_OWED_POLICIES_LOGS_AND_DRY_RUNS = "42-readers-of-money-policies-logs-and-dry-runs-and-accented-words"


def test_the_tools_command_reads_the_rounds_readers_of_money_logs_and_dry_runs_and_no_acting_twin(
        tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the forty-second round (due and unpaid invoices and amounts owed in French, German,
    # Spanish, Portuguese, Italian, Polish, Turkish and Czech, whose first words carry
    # accents, refund policies in English, Spanish and German, order-entry logs, IAM policy simulations, migration dry runs
    # and what-ifs named by no verb, each beside a twin worded alike that pays, collects,
    # refunds, enters an order, simulates and applies, runs the migration or deploys), a
    # server at a time.
    servers, found = _round_through_the_tools_command(tmp_path, _OWED_POLICIES_LOGS_AND_DRY_RUNS)
    assert [len(round_tools) for round_tools in servers] == [18, 12, 12]
    specs = [spec for round_tools in servers for spec in round_tools]
    assert [spec["name"] for spec in specs if spec["acts"] and found[spec["name"]] == "Read"] == []
    # Every money act is Financial, and nothing else is.
    assert {spec["name"] for spec in specs if found[spec["name"]] == "Financial"} == {
        spec["name"] for spec in specs if spec.get("money")}
    # And every reader is Read.
    assert {spec["name"] for spec in specs if not spec["acts"] and found[spec["name"]] != "Read"
            } == set()


# ----- readers named by a measure or state of a noun that is also a verb, and nouns of other
# languages, beside twins that act ------


def test_the_tools_command_reads_a_measure_of_a_noun_that_is_also_a_verb_and_not_its_twins(
        tmp_path):
    # Words the made-up round does not hold, as `policytui tools --from` lists them, one server:
    # a verb of the name that is the noun a measure or state ending the name is of, the
    # sentence the same noun phrase with nothing done in it (kebab-case, camelCase, snake_case,
    # dotted); a Spanish rate and Portuguese information named by nouns; a Polish regulation
    # whose genitive takes no preposition. Beside them, worded alike: a sentence that locks
    # after "to", reboots "it", a setter handed the measure or its state, a passive, and a
    # German balance settled by a separable verb.
    reading = [
        _snapshot_tool("reboot-count", "Reboot count of a host over the last week.", ["host"]),
        _snapshot_tool("sendQuota", "Send quota of an API key and the messages sent today.",
                       ["apiKey"]),
        _snapshot_tool("retry_rate", "Retry rate of a queue's consumers, per hour.",
                       ["queue"]),
        _snapshot_tool("vault.lock_state", "Current lock state of a vault door.", ["door"]),
        _snapshot_tool("refund_queue", "Queue of refunds awaiting review, oldest first."),
        _snapshot_tool("tasa_devolucion", "Tasa de devolución de pedidos por mes.", ["mes"]),
        _snapshot_tool("informacao_conta", "Informação da conta: titular e plano.", ["conta"]),
        _snapshot_tool("regulamin_zwrotow", "Regulamin zwrotów sklepu: terminy i kto płaci za "
                       "zwrot."),
    ]
    acting = [
        _snapshot_tool("lock-state", "Lock state of a vault door, to lock or unlock it.",
                       ["door"]),
        _snapshot_tool("rebootCount", "Reboot count of a host; reboots it when over ten.",
                       ["host"]),
        _snapshot_tool("send.quota", "Send quota of an API key.", ["apiKey", "quota"]),
        _snapshot_tool("lock_state", "Lock state of a door.", ["door", "locked"]),
        _snapshot_tool("retryRate", "Retry rate of a queue is set to the given value.",
                       ["queue", "value"]),
        _snapshot_tool("tasa.devolucion", "Cambia la tasa de devolución de la tienda.",
                       ["tasa"]),
    ]
    money = [
        _snapshot_tool("saldo_ausgleichen", "Gleicht den Saldo des Kontos per Lastschrift aus.",
                       ["konto"]),
        _snapshot_tool("refund", "Refunds an order to the customer's card.", ["order"]),
    ]
    rows = _rows_from_the_tools_command(tmp_path, reading + acting + money)
    assert {tool["name"]: rows[tool["name"]]["category"] for tool in reading} == {
        tool["name"]: "Read" for tool in reading}
    assert [tool["name"] for tool in acting if rows[tool["name"]]["category"] == "Read"] == []
    assert {tool["name"]: rows[tool["name"]]["category"] for tool in money} == {
        tool["name"]: "Financial" for tool in money}
    # Less sure than a reader named by a reading verb, and the evidence names the words.
    measured = rows["reboot-count"]
    assert measured["confidence"] < 0.5
    assert measured["evidence"][0].startswith("'reboot' is a noun before 'count', a measure")
    assert rows["lock_state"]["evidence"][-1] == (
        "argument 'locked' sets the 'lock' 'state' it would show: the name's verb acts")



_MEASURES_OF_NOUNS = "43-readers-named-by-a-measure-or-state-and-nouns-of-other-languages"


def test_the_tools_command_reads_the_rounds_measures_of_nouns_and_no_acting_twin(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the forty-third round (readers named by a measure or state of a noun that is also a verb,
    # `kill_switch_state`, `restart_count`, `lockStatus`, `upload-quota`, `send.limit`,
    # `fill_rate`, `leave_balance`, `refundRate`, `payout-queue`, a German `kontostand`, Spanish,
    # Portuguese and Polish nouns, each beside a twin worded alike that flips the switch,
    # restarts, locks, uploads, sends, fills, files the request, refunds, pays out, settles,
    # issues the invoice, sets the lock state or the limit), a server at a time: the shop's
    # acting tools are named as its readers are, in a server of their own.
    sizes, found = _each_spec_through_the_tools_command(tmp_path, _MEASURES_OF_NOUNS)
    assert sizes == [14, 11, 6, 6]
    assert [spec["name"] for spec, category in found if spec["acts"] and category == "Read"] == []
    # Every money act is Financial, and nothing else is.
    assert [spec["name"] for spec, category in found
            if (category == "Financial") != spec["money"]] == []
    # Every reader is Read but four, which fail closed: a clause that ends something ("when
    # the lock ends"), a passive ("how much of it is used"), "limit orders" (a verb after a
    # noun), and Spanish "Facturación", the act of invoicing as often as its total.
    assert {spec["name"]: category for spec, category in found
            if not spec["acts"] and category != "Read"} == {
        "lockStatus": "Write", "send.limit": "Write", "fill_rate": "Write",
        "facturacion": "Other"}


# ----- readers named and described by nouns alone, beside twins named by the nouns of acts ------


def test_the_tools_command_reads_a_tool_of_nouns_alone_and_not_its_twins(tmp_path):
    # Words the made-up round does not hold, as `policytui tools --from` lists them: a name
    # and a first sentence of nouns alone, in several languages and casings, whose arguments
    # only pick which thing is shown. Beside them, worded alike: the noun of an act, an
    # argument handed a value or a switch, a sentence with a verb after "to", and a later
    # sentence that acts.
    reading = [
        _snapshot_tool("kontostand", "Kontostand des Kontos.", ["konto"]),
        _snapshot_tool("rota.semanal", "Rota semanal de la guardia.", ["semana"]),
        _snapshot_tool("uptimeHistory", "Uptime of a host over a month.", ["host", "month"]),
    ]
    acting = [
        _snapshot_tool("kill_switch", "Kill switch for the desk.", ["desk_id", "enabled"]),
        _snapshot_tool("uptime-target", "Uptime target of a host.", ["host", "level"]),
        _snapshot_tool("maintenanceWindow", "Maintenance window of a host.",
                       ["host", "status"]),
        _snapshot_tool("host_uptime", "Uptime of a host; reboots it past a week.", ["host"]),
        _snapshot_tool("deployment.window", "Deployment window of a service.", ["service"]),
        _snapshot_tool("cuenta_baja", "Baja de la cuenta del cliente.", ["cuenta_id"]),
    ]
    rows = _rows_from_the_tools_command(tmp_path, reading + acting)
    assert {tool["name"]: rows[tool["name"]]["category"] for tool in reading} == {
        tool["name"]: "Read" for tool in reading}
    assert [tool["name"] for tool in acting if rows[tool["name"]]["category"] == "Read"] == []
    # Less sure than a reader named by a measure, and the evidence names the head noun.
    read = rows["kontostand"]
    assert read["confidence"] < 0.4
    assert read["evidence"][-1].startswith(
        "no verb in the name or the description's first sentence, a noun phrase whose head "
        "'kontostand' names what is shown")


def test_the_tools_command_reads_nouns_alone_whose_arguments_are_typed_by_a_list(tmp_path):
    # JSON Schema lets a type be a list ("type": ["string", "null"], an optional argument as
    # many servers write it). As `policytui tools --from` lists them: a tool of nouns alone
    # whose argument, or an array's items, is a nullable string reads as with a plain string;
    # one typed by a list of two kinds or by an object is not shown to only pick which, and
    # stays where its words put it. None of them stops the command.
    def typed(name, description, argument, kind):
        tool = _snapshot_tool(name, description, [argument])
        tool["inputSchema"]["properties"][argument] = {"type": kind}
        return tool

    listed = [
        typed("kontostand", "Kontostand des Kontos.", "konto", ["string", "null"]),
        typed("rota.semanal", "Rota semanal de la guardia.", "semana", "array"),
    ]
    listed[1]["inputSchema"]["properties"]["semana"]["items"] = {"type": ["null", "string"]}
    unsure = [
        typed("kontostand_spar", "Kontostand des Sparkontos.", "konto", ["string", "integer"]),
        typed("kontostand_giro", "Kontostand des Girokontos.", "konto", {"const": "x"}),
    ]
    rows = _rows_from_the_tools_command(tmp_path, listed + unsure)
    assert {tool["name"]: rows[tool["name"]]["category"] for tool in listed} == {
        tool["name"]: "Read" for tool in listed}
    assert {tool["name"]: rows[tool["name"]]["category"] for tool in unsure} == {
        tool["name"]: "Other" for tool in unsure}


_NOUNS_ALONE = "44-readers-named-and-described-by-nouns-alone"


def test_the_tools_command_reads_the_rounds_nouns_alone_and_no_acting_twin(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the forty-fourth round (readers named and described by nouns alone beside acting twins
    # named by the nouns of their acts: a payout, a kill switch, a transfer, a deployment, a
    # rollback, a shutdown, a webhook, an invitation, a bank transfer, a bonus payout).
    sizes, found = _each_spec_through_the_tools_command(tmp_path, _NOUNS_ALONE)
    assert sizes == [9, 11, 12]
    assert [spec["name"] for spec, category in found if spec["acts"] and category == "Read"] == []
    assert [spec["name"] for spec, category in found
            if (category == "Financial") != spec["money"]] == []
    # Readers left riskier fail closed: a word of the tables' verbs in the name or the
    # sentence (bid, ask, order, open, release), or an argument the shape rules take for
    # content (Italian "data", a date).
    assert {spec["name"]: category for spec, category in found
            if not spec["acts"] and category != "Read"} == {
        "bidAskSpread": "Other", "order-book": "Write", "long_short_ratio": "Other",
        "release-changelog": "Write", "saldo.conto": "Write"}
    # Read by their nouns alone.
    assert {spec["name"] for spec, category in found if not spec["acts"]
            and category == "Read"} >= {"grafik_dyzurow", "classement-ventes"}


# ----- readers named by a measure of an act, beside twins handed the measure or doing the act ---

_MEASURE_OF_AN_ACT = "45-readers-named-by-a-measure-of-an-act"


def test_the_tools_command_calls_no_acting_twin_of_a_measure_of_an_act_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of each server of
    # the forty-fifth round (readers named by a measure of an act: a deploy frequency, an
    # upload usage, a refund rate, a Russian push-delivery rate; beside twins worded alike that
    # are handed the measure to set, do the act when it is stale or after a semicolon, pay, or
    # are named by the noun of the act). No rule was kept from the round (docs/risk.md): it
    # holds what the classifier does, so that a later rule cannot make a twin read unseen.
    sizes, found = _each_spec_through_the_tools_command(tmp_path, _MEASURE_OF_AN_ACT)
    assert sizes == [16, 10]
    assert [spec["name"] for spec, category in found if spec["acts"] and category == "Read"] == []
    # A money act said after a semicolon ("a held payout is released") is not yet Financial.
    assert [spec["name"] for spec, category in found
            if (category == "Financial") != spec["money"]] == ["payout_status"]
    # The readers the rules of before already read: a measure after a noun that is also a verb,
    # and a view of the act's nouns.
    assert {spec["name"] for spec, category in found if not spec["acts"]
            and category == "Read"} == {"sync_status", "restart_rate", "refund_rate",
                                        "payout_summary", "transfer_count"}
