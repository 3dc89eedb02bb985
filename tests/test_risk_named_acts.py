"""Tools whose words say what they do without a verb the name leads with: a name that ends with
the act it performs as a noun ("pod_eviction"), and an argument that, when given, has the call
change something, said with "with ... given" or after the passive ("are replaced with the list
given"). Judged as a user meets them: the installed `policytui init --preset read-only` must
not allow them, while the readers beside them stay allowed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policytui.risk import classify_all
from policytui.risk.descriptions import given_in_another_order
from policytui.toolinfo import ToolInfo

POLICYTUI = Path(sys.executable).parent / "policytui"


def _tool(name: str, description: str, props: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "description": description,
            "inputSchema": {"type": "object", "properties": props or {}}}


_TEXT = {"type": "string"}
_LIST = {"type": "array", "items": {"type": "string"}}

# Each acts; each came out Read before these rules.
ACTING = [
    _tool("azure_vm_deallocation", "Azure VM deallocation: compute resources are released and "
          "billing for them stops.", {"vm_name": _TEXT}),
    _tool("schema_migration", "Schema migration to the target version; pending migrations are "
          "applied.", {"target_version": _TEXT}),
    _tool("domain_nameservers", "The nameservers the registrar delegates the domain to are "
          "replaced with the list given.", {"domain": _TEXT, "nameservers": _LIST}),
    _tool("reactions", "Reactions on a message. With emoji given, that reaction is added as "
          "the bot.", {"channel": _TEXT, "emoji": _TEXT}),
]

# Each only reads, and must stay Read beside them.
READING = [
    _tool("pods_overview", "For every namespace, pods with their phase, restarts and node."),
    _tool("migration_status", "Status of the schema migration: applied and pending versions."),
    _tool("prompt_render", "Render a prompt. Placeholders in the template are replaced with "
          "the values given.", {"values": {"type": "object"}}),
    _tool("ticket_fields", "Fields of a ticket. With expand given, more fields are added to the "
          "output.", {"ticket": _TEXT, "expand": _TEXT}),
    _tool("deletion_requests", "Data deletion requests received this month, with their status."),
]


def _init_read_only(tmp_path: Path, tools: list[dict[str, Any]]) -> dict[str, Any]:
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": tools}), encoding="utf-8")
    done = subprocess.run([str(POLICYTUI), "init", "--from", str(snapshot), "--preset",
                           "read-only", "-o", "-", "-q"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    policy: dict[str, Any] = json.loads(done.stdout)
    return policy


def test_read_only_preset_denies_named_acts_and_given_arguments(tmp_path):
    policy = _init_read_only(tmp_path, ACTING + READING)
    assert policy["default"] == "deny"
    allowed = set(policy.get("tools", {}))
    assert allowed.isdisjoint(t["name"] for t in ACTING), sorted(allowed)
    assert {t["name"] for t in READING} <= allowed, sorted(allowed)


@pytest.mark.parametrize("spec,category,said", [
    (ACTING[0], "Destructive", "the name ends with 'deallocation', the act of 'deallocate'"),
    (ACTING[1], "Destructive", "the name ends with 'migration', the act of 'migrate'"),
    (ACTING[2], "Destructive", "something is replaced"),
    (ACTING[3], "Write", "something is added"),
], ids=lambda value: value["name"] if isinstance(value, dict) else None)
def test_the_evidence_says_which_words_act(spec, category, said):
    found = classify_all([ToolInfo.from_wire(spec)], use_annotations=False)[spec["name"]]
    assert found.category == category, found.evidence
    assert any(said in line for line in found.evidence), found.evidence
    assert found.against  # the reading it outweighed is kept


@pytest.mark.parametrize("name,description", [
    ("vehicle_registration", "Registration of a vehicle: plate, owner and expiry date."),
    ("order_submission", "Submission details of an order, as the shop received it."),
])
def test_an_act_noun_that_adds_is_no_sign_a_name_acts(name, description):
    # A registration or a submission is as often the record shown; only acts that remove or
    # change what is there are taken from a name's last word.
    found = classify_all([ToolInfo.from_wire(_tool(name, description))],
                         use_annotations=False)[name]
    assert not any(line.startswith("the name ends with") for line in found.evidence), (
        found.evidence)


# An argument named bare, as prose names it, that makes the call act: each came out Read.
ARGUMENT_ACTS = [
    _tool("instance_tags", "Tags of an instance; pass tags to overwrite them.",
          {"instance_id": _TEXT, "tags": {"type": "object"}}),
    _tool("pipelines", "Pipelines of a project. A ref passed in starts a new pipeline on it.",
          {"project": _TEXT, "ref": _TEXT}),
    _tool("customer_balance", "Customer balance. An amount passed is credited to it.",
          {"customer": _TEXT, "amount": {"type": "integer"}}),
    _tool("thread_replies", "Replies in a thread; a text argument adds one.",
          {"channel": _TEXT, "ts": _TEXT, "text": _TEXT}),
    _tool("sessions", "Active sessions of a user; with revoke_all they are all signed out.",
          {"user": _TEXT, "revoke_all": {"type": "boolean"}}),
]

# Arguments prose names that change only the reply, or what another tool is handed.
ARGUMENT_READS = [
    _tool("saved_views", "List the saved search views. Take a view's expression and pass it "
          "to search_sessions to run it.", {"owner": _TEXT}),
    _tool("ticket_comments", "Comments on a ticket. With include_internal, internal notes "
          "are listed too.", {"ticket": _TEXT, "include_internal": {"type": "boolean"}}),
    _tool("event_times", "List the events of a calendar. A timezone passed is applied to the "
          "times shown.", {"calendar": _TEXT, "timezone": _TEXT}),
]


def test_read_only_preset_denies_acts_an_argument_named_bare_makes(tmp_path):
    policy = _init_read_only(tmp_path, ARGUMENT_ACTS + ARGUMENT_READS)
    allowed = set(policy.get("tools", {}))
    assert allowed.isdisjoint(t["name"] for t in ARGUMENT_ACTS), sorted(allowed)
    assert {t["name"] for t in ARGUMENT_READS} <= allowed, sorted(allowed)


@pytest.mark.parametrize("spec,said", [
    (ARGUMENT_ACTS[0], "'overwrite'"),
    (ARGUMENT_ACTS[1], "'starts'"),
    (ARGUMENT_ACTS[2], "something is credited"),
    (ARGUMENT_ACTS[3], "'adds'"),
    (ARGUMENT_ACTS[4], "something is signed"),
], ids=lambda value: value["name"] if isinstance(value, dict) else None)
def test_the_evidence_names_what_the_argument_does(spec, said):
    found = classify_all([ToolInfo.from_wire(spec)], use_annotations=False)[spec["name"]]
    assert found.category != "Read", found.evidence
    assert any(said in line for line in found.evidence), found.evidence


def test_a_step_run_to_compute_the_reply_is_no_act_of_the_argument():
    # "Replayed" runs something, but here only to compute what is read.
    assert given_in_another_order(
        "with `at`, the units are replayed from the raw events as of that instant.") is None
    assert given_in_another_order(
        "with `at`, the units are deleted from the raw events.") == ("deleted", "remove")


def test_read_only_preset_denies_what_a_later_it_or_they_says_is_removed(tmp_path):
    acting = [_tool("orphan_volumes", "Volumes attached to nothing. They are removed unless "
                    "keep is true.", {"keep": {"type": "boolean"}}),
              _tool("stale_locks", "Locks held longer than an hour; it is dropped when its "
                    "owner is gone.", {"resource": _TEXT})]
    reading = [_tool("list_fields", "List the fields of a record. If a field is empty, it is "
                     "dropped from the output.", {"record": _TEXT})]
    policy = _init_read_only(tmp_path, acting + reading)
    allowed = set(policy.get("tools", {}))
    assert allowed.isdisjoint(t["name"] for t in acting), sorted(allowed)
    assert {t["name"] for t in reading} <= allowed, sorted(allowed)
