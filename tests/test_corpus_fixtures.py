"""The classifier corpus (tests/fixtures/servers/corpus/) is what the scoreboard scores on: every
file must be a real server's tool list with its provenance, every server in exactly one half of
the split, the money labels must cover their servers' tools, and the packages held back for an
independent check must stay out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "fixtures" / "servers" / "corpus"
NOT_SERVERS = {"split.json", "money-labels.json", "money-votes.json", "label-audit.json"}
RESERVED = {
    "@azure/mcp", "@azure-devops/mcp", "chrome-devtools-mcp", "mcp-atlassian", "@zereight/mcp-gitlab",
    "mongodb-mcp-server", "@notionhq/notion-mcp-server", "@playwright/mcp", "@stripe/mcp", "square-mcp",
    "alpaca-mcp-server", "@digitalocean/mcp", "pagerduty-mcp", "@mondaydotcomorg/monday-api-mcp",
    "@doist/todoist-mcp", "kubernetes-mcp-server", "@supabase/mcp-server-supabase", "airtable-mcp-server",
    "awslabs.iam-mcp-server", "@twilio-alpha/mcp", "@gongrzhe/server-gmail-autoauth-mcp", "@heroku/mcp-server",
}  # fmt: skip
# Values that would betray a real credential in a recorded environment or start command.
SECRET_SHAPES = re.compile(
    r"(sk_live_|rk_live_|ghp_[A-Za-z0-9]{30}|xox[bp]-\d|AKIA[0-9A-Z]{16}|-----BEGIN)"
)
DUMMY = re.compile(r"dummy|example|fake|0{8}", re.IGNORECASE)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


SERVER_FILES = sorted(p for p in CORPUS.glob("*.json") if p.name not in NOT_SERVERS)
SERVERS = {p.stem: load(p) for p in SERVER_FILES}


def normalise(package: str) -> str:
    """PyPI treats '-', '_' and '.' alike; npm names are compared as written."""
    return package.lower() if package.startswith("@") else re.sub(r"[-_.]+", "-", package.lower())


@pytest.mark.parametrize("path", SERVER_FILES, ids=lambda p: p.stem)
def test_server_file_is_a_tool_list_with_provenance(path: Path) -> None:
    data = SERVERS[path.stem]
    assert data["server"] == path.stem
    assert data["registry"] in {"npm", "pypi", "github"}
    for key in ("source", "package", "version", "install", "start"):
        assert isinstance(data.get(key), str) and data[key].strip(), f"{path.name} has no {key}"
    assert data["package"] in data["source"] and data["version"] in data["source"]
    assert isinstance(data.get("env_used"), dict)
    assert all(isinstance(v, str) for v in data["env_used"].values())
    for value in [*data["env_used"].values(), data["start"]]:
        assert not SECRET_SHAPES.search(value) or DUMMY.search(value), (
            f"{value!r} looks like a real secret"
        )
    tools = data["tools"]
    assert isinstance(tools, list) and tools, f"{path.name} lists no tools"
    names = [tool["name"] for tool in tools]
    assert len(names) == len(set(names)), f"{path.name} has duplicate tool names"
    for tool in tools:
        assert isinstance(tool["name"], str) and tool["name"]
        assert isinstance(tool.get("inputSchema"), dict), f"{tool['name']} has no input schema"
        assert isinstance(tool.get("description", ""), str)
        if "annotations" in tool:
            annotations = tool["annotations"]
            assert isinstance(annotations, dict)
            for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
                assert annotations.get(hint) in (None, True, False), f"{tool['name']}.{hint}"


def test_no_reserved_package_is_in_the_corpus() -> None:
    reserved = {normalise(p) for p in RESERVED}
    present = {
        name: data["package"]
        for name, data in SERVERS.items()
        if normalise(data["package"]) in reserved
    }
    assert not present


def test_corpus_is_large_enough() -> None:
    assert len(SERVERS) >= 60
    assert sum(len(data["tools"]) for data in SERVERS.values()) >= 2500


def test_every_server_is_in_exactly_one_half() -> None:
    split = load(CORPUS / "split.json")
    halves = split["dev"] + split["test"]
    assert sorted(halves) == sorted(SERVERS), "split.json and the corpus files disagree"
    assert len(halves) == len(set(halves)), "a server is in the split twice"
    assert split["rule"]


def test_both_halves_hold_every_kind_of_server() -> None:
    split = load(CORPUS / "split.json")
    money = set(load(CORPUS / "money-labels.json")["servers"])
    for half in ("dev", "test"):
        members = [SERVERS[name] for name in split[half]]
        assert money & set(split[half]), f"no money server in {half}"
        assert any("annotations" in t for s in members for t in s["tools"]), (
            f"no annotations in {half}"
        )
        destructive = [
            t for s in members for t in s["tools"]
            if t.get("annotations", {}).get("destructiveHint") is True
            and t.get("annotations", {}).get("readOnlyHint") is not True
        ]  # fmt: skip
        assert destructive, f"no declared-destructive tool in {half}"


def test_money_labels_cover_every_tool_of_their_servers() -> None:
    labels = load(CORPUS / "money-labels.json")["servers"]
    assert labels
    for server, tools in labels.items():
        assert server in SERVERS, f"money-labels.json names {server}, which is not in the corpus"
        names = {tool["name"] for tool in SERVERS[server]["tools"]}
        assert set(tools) == names, f"{server}: labels and tools differ by {set(tools) ^ names}"
        for name, label in tools.items():
            assert isinstance(label["financial"], bool), f"{server}.{name}"
            assert isinstance(label["reason"], str) and label["reason"].strip(), f"{server}.{name}"
    financial = sum(label["financial"] for tools in labels.values() for label in tools.values())
    assert financial >= 20, "too few money tools to measure recall on"


def test_the_blind_money_votes_cover_every_labelled_tool_and_settle_each_disagreement() -> None:
    """Every tool the first labeller judged has a second vote; where the two differ a third
    settles it, so no tool's label is a tie."""
    votes = load(CORPUS / "money-votes.json")
    assert votes["rule"] == load(CORPUS / "money-labels.json")["rule"]
    first = load(CORPUS / "money-labels.json")["servers"]
    assert set(votes["servers"]) == set(first)
    for server, tools in votes["servers"].items():
        assert set(tools) == set(first[server]), f"{server}: votes and labels differ"
        for name, ballot in tools.items():
            assert all(isinstance(vote, bool) for vote in ballot), f"{server}.{name}"
            disagree = ballot[0] != first[server][name]["financial"]
            assert len(ballot) == (2 if disagree else 1), f"{server}.{name}: {ballot}"


def test_the_blind_label_audit_names_only_corpus_tools_with_a_judgement() -> None:
    audit = load(CORPUS / "label-audit.json")
    assert audit["rule"].strip()
    split = load(CORPUS / "split.json")
    for server, tools in audit["servers"].items():
        assert server in SERVERS, f"label-audit.json names {server}, which is not in the corpus"
        assert server in split["test"] or server in split["dev"]
        names = {tool["name"] for tool in SERVERS[server]["tools"]}
        assert set(tools) <= names, f"{server}: judged tools it does not have: {set(tools) - names}"
        assert set(tools.values()) <= {"reads", "acts", "unclear"}, server


def test_the_development_folds_split_it_by_server_with_money_servers_in_each() -> None:
    """bench/scoreboard.py --fold A|B: the two folds are fixed by the server's name alone, share
    no server, cover the development half, and each holds money servers to check a rule on."""
    import subprocess
    import sys

    sys.path.insert(0, str(CORPUS.parents[3] / "bench"))
    from scoreboard import fold_of, load_money_labels, load_split

    dev = load_split()["dev"]
    folds = {name: fold_of(name) for name in dev}
    assert set(folds.values()) == {"A", "B"}
    money = load_money_labels()
    for fold in "AB":
        assert sum(len(money.get(n, ())) for n, f in folds.items() if f == fold) >= 100
    script = CORPUS.parents[3] / "bench" / "scoreboard.py"
    counts = {}
    for fold in "AB":
        out = subprocess.run([sys.executable, str(script), "--fold", fold], capture_output=True,
                             text=True, check=True).stdout
        row = next(line for line in out.splitlines() if line.startswith("servers / tools"))
        counts[fold] = int(row.split()[3])
        assert f"fold {fold} of the development half only" in out
    assert counts == {"A": sum(f == "A" for f in folds.values()),
                      "B": sum(f == "B" for f in folds.values())}
    assert counts["A"] + counts["B"] == len(dev)
    wrong = subprocess.run([sys.executable, str(script), "--fold", "A", "--split", "test"],
                           capture_output=True, text=True)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "cannot go with --split test" in wrong.stderr
