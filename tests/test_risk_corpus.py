"""The classifier and the presets over the whole corpus of real servers' tool lists
(tests/fixtures/servers/corpus): properties that must hold for every tool, and the test half's
figures (bench/scoreboard.py prints them)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from policytui.decision import Outcome, decide
from policytui.risk import classify_all
from policytui.risk.categories import CATEGORY_RANK
from policytui.risk.presets import build_policy

ROOT = Path(__file__).resolve().parent.parent


def _scoreboard() -> Any:
    spec = importlib.util.spec_from_file_location("scoreboard", ROOT / "bench" / "scoreboard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scoreboard"] = module
    spec.loader.exec_module(module)
    return module


scoreboard = _scoreboard()
SERVERS = scoreboard.load_corpus()


class _Classified:
    """One server's classifications (annotations used, and hidden) and its preset policies,
    each made once for all the properties below that read them (classifying the corpus again
    for each, seven times, was most of the module's time); nothing reading them changes them."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._classes: dict[bool, dict[str, Any]] = {}
        self._policies: dict[str, Any] = {}

    def classes(self, use_annotations: bool = True) -> dict[str, Any]:
        if use_annotations not in self._classes:
            self._classes[use_annotations] = classify_all(self.server.listing.tools, use_annotations=use_annotations)
        return self._classes[use_annotations]

    def policy(self, preset: str) -> Any:
        if preset not in self._policies:
            self._policies[preset] = build_policy(self.server.listing, preset, self.classes())
        return self._policies[preset]


# Each property runs over every server, the server a module-scoped parameter: pytest runs all
# of one server's properties together, and `classified` holds that server's alone, so the
# whole corpus's classifications and policies are never kept at once (a heap that large made
# each of Python's garbage collections, and so every test after, slower).
BY_SERVER = pytest.mark.parametrize("server", SERVERS, ids=lambda s: s.name, scope="module")


@pytest.fixture(scope="module")
def classified(server: Any) -> _Classified:
    return _Classified(server)


def _calls(classification: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """(action or None, arguments) for every way to call a tool the presets distinguish."""
    calls: list[tuple[str | None, dict[str, Any]]] = [(None, {})]
    if classification.is_multi_action:
        key = classification.action_path.removeprefix("args.")
        calls += [(action, {key: action}) for action in classification.actions]
    return calls


def test_the_corpus_is_large_and_split_by_server():
    split = scoreboard.load_split()
    names = {s.name for s in SERVERS}
    assert len(SERVERS) >= 37
    assert sum(len(s.listing.tools) for s in SERVERS) >= 1500
    assert not set(split["dev"]) & set(split["test"])
    assert set(split["dev"]) | set(split["test"]) <= names


@BY_SERVER
def test_read_only_preset_never_allows_a_tool_its_server_marks_not_read_only(server, classified):
    policy = classified.policy("read-only")
    classes = classified.classes()
    for tool in server.listing.tools:
        read_only, destructive = scoreboard.declared(tool)
        if read_only is True or (read_only is None and destructive is not True):
            continue
        for action, args in _calls(classes[tool.name]):
            got = decide(policy, tool.name, args, now=0.0)
            assert got.outcome is not Outcome.ALLOWED, (tool.name, action)


@BY_SERVER
def test_recommended_preset_never_allows_a_destructive_tool_without_approval(server, classified):
    classes = classified.classes()
    policy = classified.policy("recommended")
    for tool in server.listing.tools:
        c = classes[tool.name]
        read_only, destructive = scoreboard.declared(tool)
        marked = destructive is True and read_only is not True
        for action, args in _calls(c):
            if action is None:
                if c.category != "Destructive" and not marked:
                    continue  # the tool as a whole does not destroy
            elif c.actions[action].category not in ("Destructive", "Financial"):
                continue  # an action of the tool that only reads or adds
            got = decide(policy, tool.name, args, now=0.0)
            assert got.outcome is not Outcome.ALLOWED, (tool.name, action, c.evidence)


@BY_SERVER
def test_declared_read_only_never_makes_a_tool_safer_than_its_words(server, classified):
    with_hints = classified.classes()
    words_only = classified.classes(use_annotations=False)
    for tool in server.listing.tools:
        got, words = with_hints[tool.name], words_only[tool.name]
        assert CATEGORY_RANK[got.category] >= CATEGORY_RANK[words.category] or (
            words.category == "Other" and got.category == "Read"), tool.name
        # What `tools --json` and the detail pane show: each flag once.
        assert len(set(got.flags)) == len(got.flags), (tool.name, got.flags)


# Floors for the test half, just beside the figures docs/risk.md quotes (a floor never above
# its figure, a maximum never below), so that a change that makes the classifier worse on unseen
# servers fails here. Not all of them reach the targets (bench/scoreboard.py prints
# those): see docs/risk.md. Floors went down only as unseen servers joined the test half, never
# because the classifier changed on the servers before: the read-only floor when five annotated
# servers joined (139 of their 153 read-only tools are called Read), the Financial ones when 15
# money servers joined (recall 27/36, precision 27/33 on them; unchanged on the 71 before), and
# read-only, destructive as Read/Other and precision when nine more servers joined (50/85
# read-only, 1/13 destructive as Read/Other, recall 21/27, precision 21/31 on them, with the
# rules of before; the rules changed with them left every test-half total as it was). The
# unsafe maximum, the destructive maximum and the Financial floors moved when 49 annotated and
# 7 money servers joined (26/795 unsafe, 10/322 destructive as Read/Other, recall 23/24 and
# precision 23/24 on them, unchanged by the rules made from the development half's new servers);
# on the 95 servers before, no figure got worse (read-only 892 -> 895, precision 145/167 ->
# 145/166). Then 28 servers joined (3/152 unsafe, 518/561 read-only, 2/108 destructive as
# Read/Other, recall 39/42, precision 39/43 on them), and the rules made from the new
# development servers traded on the 151 before: 38 -> 34 unsafe, 1783 -> 1779 read-only (on the
# development half, reading a reader's whole first sentence, "Validate an address and save it",
# is the change that trades that way). The Financial floors moved when the money labels became
# the majority of three blind votes (money-votes.json): the same classifier scores 207/247 and
# 207/233 on the first labeller's labels, 203/252 and 203/233 on the majority's. Then rules
# written against phrasings that red-team writers made up to get acting tools called Read (no
# corpus tool in view) moved the test half from 37 to 32 unsafe, 2297 to 2293 read-only, and
# Financial from 203/252 and 203/233 to 206/252 and 206/239; a second round (later sentences,
# unknown third-person verbs under a reader's name, Polish and Indonesian, and a few reading
# verbs the tables lacked) moved read-only to 2289 and nothing else; a third (domains' own
# phrasings: "Old jobs are deleted", "Seed users into ...", switches described as deleting)
# moved unsafe to 31, destructive as Read/Other to 9, read-only to 2285 and precision to
# 206/240. A tenth round took rules from two kinds of writer: one made up reading tools the
# classifier called riskier, two attacked the rules written for them and the leaks they left.
# It moved read-only to 2281 and Financial to 207/252 and 207/241, and left unsafe at 31 (on
# the tools the writers made up, bench/redteam.py: acting tools called Read 198 -> 111 of
# 1075, reading tools called riskier 211 -> 189 of 618). An eleventh round closed more of the
# attacks' leaks and took rules from made-up servers written blind to the rules (an argument
# that, passed, has something changed; an export's destination path; titles): unsafe 31 -> 30,
# nothing else moved. A twelfth round (money from development misses, and money said after
# the act, in other words and in other languages, from blind sets) moved Financial to 210/252
# and 210/241. A thirteenth round (a twelfth blind set: setters named as what they set, acts
# said after a colon or by an argument) moved read-only to 2279, three readers the blind
# labeller judges to read now called Write or Destructive, and nothing else. A fourteenth
# (later passives and steps from two attacks, readers and money from the development half)
# moved unsafe to 29, read-only to 2272, Financial to 212/252 and 212/246: the fail-closed
# rules cost readers and wrong Financials here that they did not on the development half.
# The thirty-eighth round (money verbs and objects of other languages, balances loaded,
# disputes conceded) moved Financial to 214/252 and 214/247.
FLOORS: dict[str, tuple[str, float]] = {
    "not read-only -> Read": ("max", 0.0159),  # 27/1702 (1.6%)
    "read-only -> Read": ("min", 0.911),  # 2272/2493 (91.1%)
    "removal -> D/Crit": ("min", 0.99),  # 317/318 (99.7%)
    "destructive -> Read/Other": ("max", 0.011),  # 9/827 (1.1%)
    "Financial recall": ("min", 0.849),  # 214/252 (84.9%)
    "Financial precision": ("min", 0.866),  # 214/247 (86.6%)
}


def test_test_half_figures_do_not_regress():
    """Classified with annotations hidden, on servers the rules were never tuned on."""
    split = scoreboard.load_split()
    by_name = {s.name: s for s in SERVERS}
    chosen = [by_name[name] for name in split["test"] if name in by_name]
    rows, _ = scoreboard.score(chosen, scoreboard.load_money_labels())
    worse = {}
    for row, (how, bound) in FLOORS.items():
        rate = rows[row].rate
        assert rate is not None, row
        if (rate > bound) if how == "max" else (rate < bound):
            worse[row] = rows[row].cell()
    assert not worse, worse


def _allowed_outright(policy: Any, tool: str, args: dict[str, Any]) -> bool:
    """Allowed on this call with no human and no rate limit in the way."""
    got = decide(policy, tool, args, now=0.0)
    if got.outcome is not Outcome.ALLOWED:
        return False
    rule = (policy.tools or {}).get(tool)
    return not (rule is not None and rule.limits) and not (policy.all_tools and policy.all_tools.limits)


def _high_or_critical(classified: _Classified, preset: str) -> Any:
    """(policy, tool name, action, arguments, risk, classification) for every way to call a
    tool or action of the server that the classifier rates High or Critical."""
    classes = classified.classes()
    policy = classified.policy(preset)
    for tool in classified.server.listing.tools:
        c = classes[tool.name]
        for action, args in _calls(c):
            risk = c if action is None else c.actions[action]
            if risk.severity in ("High", "Critical"):
                yield policy, tool.name, action, args, risk, c


@BY_SERVER
def test_recommended_never_allows_outright_a_high_or_critical_tool(server, classified):
    """A security product fails closed: a tool the classifier rates High or Critical is held for
    a human, rate-limited, hidden or denied by `recommended`, never simply allowed; and a High or
    Critical read (secrets, credentials, the environment) is never allowed without a human."""
    for policy, name, action, args, risk, c in _high_or_critical(classified, "recommended"):
        assert not _allowed_outright(policy, name, args), (name, action, risk.category)
        if risk.category == "Read":
            got = decide(policy, name, args, now=0.0)
            assert got.outcome is not Outcome.ALLOWED, (name, action, c.evidence)


@BY_SERVER
def test_every_preset_output_validates_without_warnings(server, classified):
    """A starting policy has nothing to warn about: no rule that can never apply (a hidden tool
    never keeps a rule; a tool the default decides is not listed), no split counter budget."""
    from policytui.policy.validate import validate_policy
    from policytui.risk.preset_names import PRESETS

    for preset in PRESETS:
        policy = classified.policy(preset)
        report = validate_policy(policy, tools=list(server.listing.tools))
        assert not report.warnings, (preset, [w.format() for w in report.warnings])
        assert not set(policy.hide or ()) & set(policy.tools or {}), preset


@BY_SERVER
def test_read_only_never_allows_a_read_of_secrets_without_a_human(server, classified):
    """`read-only` lets an agent look, not take the keys: a read the classifier rates High or
    Critical (secrets, credentials, the environment) waits for a human, tool or action."""
    for policy, name, action, args, risk, c in _high_or_critical(classified, "read-only"):
        if risk.category == "Read":
            got = decide(policy, name, args, now=0.0)
            assert got.outcome is not Outcome.ALLOWED, (name, action, c.evidence)


def test_classifying_every_server_again_reads_no_argument_again():
    # The editor and the CLI classify the same servers again after an edit or a reload: the
    # memo of what each argument's name and description say keeps all of the corpus's
    # arguments, so the second pass reads none of them again.
    from policytui.risk.schema import _property_flags

    for server in SERVERS:
        classify_all(server.listing.tools)
    misses = _property_flags.cache_info().misses
    for server in SERVERS:
        classify_all(server.listing.tools)
    assert _property_flags.cache_info().misses == misses
