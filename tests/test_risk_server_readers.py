"""A verbless tool its words leave Other is read by how its server names its readers: Read
where the server's other verbless tools are shown to read and it is of their kind, and left
Other wherever anything about it, or its server, could say it acts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytui.risk import classifier, classify, classify_all, server_readers
from policytui.risk.classifier import server_context
from policytui.risk.names import name_verbs
from policytui.toolinfo import ToolInfo


def tool(name: str, description: str, properties: dict | None = None,
         required: list[str] | None = None, annotations: dict | None = None) -> ToolInfo:
    schema: dict = {"type": "object", "properties": properties or {}}
    if required is not None:
        schema["required"] = required
    return ToolInfo(name=name, description=description, input_schema=schema,
                    annotations=annotations or {})


# Verbless readers the words alone show to read (a collection, a view named by the name).
READERS = [
    tool("trips", "Trips of the client: flights, trains and hotels in one feed.",
         {"trip_id": {"type": "string"}}),
    tool("bank_statements", "Monthly statements of every account (read-only)."),
    tool("insurance_policies", "Current insurance policies with their sums and terms."),
    tool("create_trip", "Create a trip.", {"name": {"type": "string"}}, ["name"]),
]
ORDERS = tool("orders", "All orders of the client: groceries, cinema, concerts, flights.",
              {"kind": {"type": "string"}, "limit": {"type": "integer"}})


def test_the_tools_alone_are_what_their_words_say():
    found = classify_all(READERS[:3] + [ORDERS])
    found_alone = classify_all([ORDERS])
    assert [found[t.name].category for t in READERS[:3]] == ["Read"] * 3
    assert found_alone["orders"].category == "Other"


def test_a_verbless_tool_is_read_as_one_of_the_servers_verbless_readers():
    found = classify_all(READERS + [ORDERS])
    got = found["orders"]
    assert got.category == "Read", got.evidence
    assert got.severity == "Low"
    assert "are shown to read" in got.evidence[-1]
    assert got.against


def test_a_family_of_verbless_readers_takes_in_its_own():
    family = [
        tool("reconstructed_trial_balance", "Reconstructed trial balance (read-only).",
             {"as_at": {"type": "string"}}),
        tool("reconstructed_aged_receivables", "Reconstructed aged receivables, read-only.",
             {"as_at": {"type": "string"}}),
        tool("post_journal_entry", "Post a journal entry.", {"lines": {"type": "array"}},
             ["lines"]),
    ]
    # (Its sentence names its source's transactions, a word shaped like an act: alone, no
    # rule of its own words reads it.)
    odd = tool("reconstructed_profit_and_loss",
               "RECONSTRUCTED profit and loss by account for a period from the /transactions "
               "ledger.",
               {"from_date": {"type": "string"}, "to_date": {"type": "string"}},
               ["from_date", "to_date"])
    assert classify_all([odd])[odd.name].category == "Other"
    assert classify_all(family + [odd])[odd.name].category == "Read"


@pytest.mark.parametrize("odd", [
    # A word that acts in the name, from the public API lexicon.
    tool("bank_associate", "Bank associate of the client for statements."),
    # Asks for more than which thing to show.
    tool("orders", "All orders of the client: groceries, cinema, concerts, flights.",
         {"kind": {"type": "string"}, "reason": {"type": "string"}}, ["reason"]),
    # Takes something to write.
    tool("orders", "All orders of the client: groceries, cinema, concerts, flights.",
         {"body": {"type": "string"}}),
    # Says an act later on.
    tool("orders", "All orders of the client. Cancels the oldest when over the limit.",
         {"limit": {"type": "integer"}}),
    tool("w2_forms", "W-2 forms for the tax year: generates them for all employees, files "
         "them with the SSA and publishes copies.", {"tax_year": {"type": "integer"}},
         ["tax_year"]),
    # Led by a word of its name that puts what it names somewhere.
    tool("triage_tickets", "Triage tickets for review into the on-call queue."),
    # Neither a plural nor of the readers' family.
    tool("lidar_calibration", "LiDAR calibration routine for the robot.",
         {"robot_id": {"type": "string"}}, ["robot_id"]),
    # The server declares that it acts.
    tool("orders", "All orders of the client: groceries, cinema, concerts, flights.",
         annotations={"readOnlyHint": False}),
])
def test_a_verbless_tool_that_may_act_stays_other(odd):
    found = classify_all(READERS + [odd])
    assert found[odd.name].category != "Read", found[odd.name].evidence


def test_a_namespace_is_no_family():
    # "ha_" begins a tool with a verb too: a namespace, not a family of readers.
    server = [
        tool("ha_states", "States of all entities (read-only)."),
        tool("ha_history", "History of an entity's states, read-only.",
             {"entity_id": {"type": "string"}}),
        tool("ha_call_service", "Call a Home Assistant service.",
             {"service": {"type": "string"}}, ["service"]),
    ]
    odd = tool("ha_turn_on", "Turn on a light, switch or fan.",
               {"entity_id": {"type": "string"}}, ["entity_id"])
    assert classify_all(server + [odd])[odd.name].category != "Read"


def test_no_sign_where_the_servers_verbless_tools_are_not_mostly_readers():
    others = [tool("zones", "Zones of the site, read-only."),
              tool("speed_alert", "Speed alert threshold for a vehicle or group.",
                   {"vehicle_id": {"type": "string"}, "limit_kmh": {"type": "number"}},
                   ["vehicle_id", "limit_kmh"]),
              tool("geofence_rule", "Geofence rule for a depot and its drivers.",
                   {"depot": {"type": "string"}, "radius": {"type": "number"}},
                   ["depot", "radius"])]
    found = classify_all(others + [ORDERS])
    assert found["orders"].category == "Other"


def test_an_override_is_kept():
    found = classify_all(READERS + [ORDERS], {"orders": "Write"})
    assert found["orders"].category == "Write"


def test_a_tool_classified_alone_or_in_a_chunk_reads_as_with_its_whole_server():
    from policytui.risk import classify
    from policytui.risk.classifier import server_context

    server = READERS + [ORDERS]
    context = server_context(server)
    alone = classify(ORDERS, namespaces=context.namespaces, money_server=context.money_server,
                     nouns=context.nouns, money_record=context.money_record,
                     verbless=context.verbless)
    assert alone.category == "Read", alone.evidence
    assert classify_all([ORDERS], server_tools=server)["orders"].category == "Read"
    # Without its server, nothing says what it does.
    assert classify(ORDERS).category == "Other"


def test_declared_annotations_still_make_it_riskier():
    odd = tool("orders", "All orders of the client: groceries, cinema, concerts, flights.",
               annotations={"readOnlyHint": False, "destructiveHint": True})
    got = classify_all(READERS + [odd])["orders"]
    assert got.category != "Read", got.evidence


def test_the_tools_command_shows_it_as_its_server_reads_it(tmp_path):
    """Through the installed command: `policytui tools --from FILE --json` on the server's
    list says Read with the server-wide line of evidence; the same tool listed alone, Other."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    command = str(Path(sys.executable).parent / "policytui")

    def listed(tools: list[ToolInfo]) -> dict:
        path = tmp_path / "tools.json"
        path.write_text(json.dumps({"tools": [
            {"name": t.name, "description": t.description, "inputSchema": t.input_schema}
            for t in tools]}), encoding="utf-8")
        env = {**os.environ, "HOME": str(tmp_path / "home"),
               "POLICYTUI_CONFIG_DIR": str(tmp_path / "config")}
        result = subprocess.run([command, "tools", "--from", str(path), "--json"], env=env,
                                capture_output=True, text=True, timeout=90,
                                stdin=subprocess.DEVNULL, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        rows = data["tools"] if isinstance(data, dict) else data
        return {row["name"]: row for row in rows}

    with_server = listed(READERS + [ORDERS])["orders"]
    assert with_server["category"] == "Read"
    assert any("are shown to read" in line for line in with_server["evidence"])
    assert listed([ORDERS])["orders"]["category"] == "Other"


# Verbless names and descriptions, some read as views, some left open, some acting; in any order.
_VERBLESS_NAMES = ["orders", "trips", "bank_balances", "reconstructed_profit_and_loss",
                   "reconstructed_trial_balance", "documents", "ledger_entries", "get_trip",
                   "delete_order", "weather"]
_VERBLESS_TEXTS = ["All orders of the client \u2014 groceries, cinema.", "Trips (read-only).",
                   "Monthly statements of every account.", "CPU usage for nodes",
                   "Retweet a tweet", "", "Balances \u2014 \u201cnow\u201d \u0131n K\u212a",
                   "Stra\u00dfe\x1c records"]


def _plain_readers(tools: list[ToolInfo], context: tuple) -> server_readers.VerblessReaders:
    """The server's verbless readers worked out as a separate classification of each verbless
    tool from its words alone, sharing nothing with the tools' own classifications."""
    namespaces, money_server, nouns, money_record = context

    def words_only(t: ToolInfo) -> tuple[str, str, None]:
        found = classify(t, use_annotations=False, namespaces=namespaces,
                         money_server=money_server, nouns=nouns, money_record=money_record)
        return found.category, found.evidence[0] if found.evidence else "", None

    def might_be_verbless(name: str) -> bool:
        return name_verbs(name, namespaces, nouns).kind is None

    return server_readers.VerblessReaders(tools, might_be_verbless, words_only)


def _read_once_and_as_plainly(monkeypatch: pytest.MonkeyPatch, tools: list[ToolInfo],
                              names_once: bool = False) -> None:
    found = server_context(tools)
    context = (found.namespaces, found.money_server, found.nouns, found.money_record)
    plain = {t.name: classify(t, namespaces=context[0], money_server=context[1], nouns=context[2],
                              money_record=context[3], verbless=_plain_readers(tools, context))
             for t in tools}
    read: list[str] = []
    real_read = classifier._read_words

    def counted(name_text: str, *args: object) -> object:
        read.append(name_text)
        return real_read(name_text, *args)  # type: ignore[arg-type]

    names: list[str] = []
    real_name_verbs = classifier.name_verbs

    def name_counted(name_text: str, *args: frozenset[str]) -> object:
        names.append(name_text)
        return real_name_verbs(name_text, *args)

    monkeypatch.setattr(classifier, "_read_words", counted)
    monkeypatch.setattr(classifier, "name_verbs", name_counted)
    shared = classify_all(tools)
    assert {name: c.to_json() for name, c in shared.items()} \
        == {name: c.to_json() for name, c in plain.items()}
    # Each tool is read from its words once, whether the server's verbless readers asked of
    # it before or after its own classification.
    assert sorted(read) == sorted(t.name for t in tools)
    if names_once:
        # And so is its name, when the search for the verbless readers, which reads the names
        # of the tools not yet classified, comes before each tool with a verb in its name.
        assert sorted(names) == sorted(t.name for t in tools)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VERBLESS_NAMES), st.sampled_from(_VERBLESS_TEXTS),
                          st.booleans()), max_size=7, unique_by=lambda t: t[0]))
def test_each_tool_is_read_once_and_as_plainly(chosen: list[tuple[str, str, bool]]) -> None:
    tools = [tool(name, text, {"id": {"type": "string"}} if with_id else None,
                  ["id"] if with_id else None) for name, text, with_id in chosen]
    with pytest.MonkeyPatch.context() as monkeypatch:
        _read_once_and_as_plainly(monkeypatch, tools)


def test_each_tool_of_a_real_server_is_read_once_and_as_plainly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Three verbless tools shown to read and one read as one of them, asked of first or last,
    # and a tool with a verb in its name after them.
    for tools in (READERS[:3] + [ORDERS] + READERS[3:], [ORDERS] + READERS):
        _read_once_and_as_plainly(monkeypatch, tools, names_once=True)


def test_a_kept_server_context_keeps_no_name_read_for_its_verbless_tools() -> None:
    # The editor keeps a server's context for the session and classifies its tools in chunks;
    # the names read when its verbless tools are sought serve the chunk being classified and
    # are not kept after it (thousands of them would weigh on the cycle collector).
    import gc

    from policytui.risk.names import NameVerbs

    tools = [ORDERS] + READERS + [tool(f"create_item_{i}", "Create an item.") for i in range(20)]
    context = server_context(tools)
    found = classify_all(tools[:3], namespaces=context.namespaces,
                         money_server=context.money_server, nouns=context.nouns,
                         money_record=context.money_record, verbless=context.verbless)
    assert found["orders"].category == "Read"
    gc.collect()
    assert [o for o in gc.get_objects() if type(o) is NameVerbs] == []
