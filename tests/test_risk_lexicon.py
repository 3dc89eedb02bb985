"""The public API lexicon (policytui/risk/lexicon.py, derived from AWS IAM access levels and
Google Cloud viewer roles by bench/derive_lexicon.py) fills gaps in the verb table, and only in
the fail-safe direction: a cloud API's write verb keeps a tool from being Read or Other, while a
cloud API's read verb alone never makes a tool Read."""

from __future__ import annotations

import pytest

from policytui.risk import classify
from policytui.risk.lexicon import READ_VERBS, WRITE_VERBS
from policytui.risk.vocabulary import READ, VERBS
from policytui.risk.words import lexicon_verb
from policytui.toolinfo import ToolInfo


def tool(name: str, description: str = "", properties: dict | None = None) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties or {}},
                    annotations={})


# ----- the data ------------------------------------------------------------------------------


def test_the_lexicon_is_sizeable_and_a_verb_means_one_thing():
    assert len(READ_VERBS) >= 15 and len(WRITE_VERBS) >= 100
    assert not READ_VERBS & WRITE_VERBS


def test_the_lexicon_agrees_with_the_verb_table_where_both_know_a_verb():
    """An independent check of the table: on the verbs both know, cloud APIs read where the
    table reads and change something where it does not. The one exception: cloud APIs poll a
    queue to take work from it, where tool names poll to look at a status."""
    shared = (READ_VERBS | WRITE_VERBS) & set(VERBS)
    assert len(shared) >= 100
    disagree = {verb for verb in shared if (verb in READ_VERBS) != (VERBS[verb] == READ)}
    assert disagree == {"poll"}


def test_the_table_wins_over_the_lexicon():
    assert lexicon_verb("get") is None and lexicon_verb("delete") is None
    assert lexicon_verb("associates") == ("associate", "write")
    assert lexicon_verb("obtaining") == ("obtain", "read")


# ----- write verbs: a tool is no reader ------------------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("untag_resource", ""),
    ("associate_address", ""),
    ("vpc_zone", "Associates a VPC with a private hosted zone."),
    ("zone_link", "Reschedule the maintenance window of a cluster."),
])
def test_a_cloud_api_write_verb_makes_a_tool_write(name, description):
    c = classify(tool(name, description))
    assert c.category == "Write", c.evidence
    assert any("cloud API" in line for line in c.evidence), c.evidence


def test_a_cloud_api_write_verb_beats_a_reading_description():
    c = classify(tool("untag_resource", "Get the resource and its tags."))
    assert c.category == "Write", c.evidence


def test_a_cloud_api_write_verb_with_a_removal_in_its_sentence_is_destructive():
    c = classify(tool("book_link", "Disconnect a book, removing its synced data."))
    assert c.category == "Destructive" and c.severity == "Critical", c.evidence


def test_a_riskier_verb_further_on_wins_over_the_lexicon_lead():
    c = classify(tool("accounting_connection",
                      "Disconnect an active accounting connection. This operation will remove "
                      "the integration link."))
    assert c.category == "Destructive" and c.severity == "Critical", c.evidence


@pytest.mark.parametrize("name,description", [
    ("reports_overview", ""),  # a plural in a name is a noun
    ("uses_summary", ""),
    ("logs", ""),  # "log" is more often a noun in the sources, so not in the lexicon
    ("report_card", ""),
])
def test_nouns_are_no_lexicon_verbs(name, description):
    c = classify(tool(name, description))
    assert c.category == "Other", c.evidence


def test_a_description_verb_needs_an_object_after_it():
    assert classify(tool("zone_x", "Associate the zone with a VPC.")).category == "Write"
    assert classify(tool("zone_x", "Associated zones of a VPC.")).category == "Other"


def test_a_cloud_api_write_verb_as_an_action_value_is_no_read():
    c = classify(tool("manage_zone", "Manage a zone.",
                      {"action": {"type": "string", "enum": ["list", "associate"]}}))
    assert c.actions["associate"].category == "Write", c.actions["associate"].evidence
    assert any("cloud API" in line for line in c.actions["associate"].evidence)
    assert c.actions["list"].category == "Read"


# ----- read verbs: never alone ---------------------------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("obtain_token", ""),
    ("token_tool", "Obtain the current session token."),
    ("select_option", "Select an option in a dropdown."),  # the same weak sign twice
])
def test_a_cloud_api_read_verb_alone_does_not_make_a_tool_read(name, description):
    c = classify(tool(name, description))
    assert c.category == "Other", c.evidence


def test_a_cloud_api_read_verb_confirmed_by_a_table_verb_reads():
    c = classify(tool("obtain_quota", "Get the current quota of the project."))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    ("obtain_record", "Delete the record from the cache.", "Destructive"),
    ("select_rows", "Removes the selected rows from the table.", "Destructive"),
    ("obtain_lease", "Obtain a lease on the job, or delete it when done.", "Destructive"),
    ("select_file", "Select a file and upload it to the bucket.", "Write"),
])
def test_a_cloud_api_read_verb_never_outweighs_what_the_description_does(name, description,
                                                                          category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


def test_a_cloud_api_read_action_value_takes_the_tools_own_reading():
    c = classify(tool("research", "Run web research across sites.",
                      {"mode": {"type": "string", "enum": ["extract", "select"]}}))
    assert c.actions["select"].category != "Read", c.actions["select"].evidence
    assert c.category != "Read", c.evidence
