"""The classifier corpus (tests/fixtures/servers/corpus/) is what the scoreboard scores on: every
file must be a real server's tool list with its provenance, every server in exactly one half of
the split, the money labels must cover their servers' tools, and the packages held back for an
independent check must stay out."""

from __future__ import annotations

import json
import re
import subprocess
import sys
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


def _scoreboard_run(*args: str) -> subprocess.CompletedProcess[str]:
    script = CORPUS.parents[3] / "bench" / "scoreboard.py"
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=300)


def test_a_fold_saved_and_scored_again_counts_the_tools_that_moved_without_naming_them(
        tmp_path: Path) -> None:
    """bench/scoreboard.py --fold B --save FILE, then --moved-since FILE: how many of the
    fold's tools a change moved, by declared label and direction, with no tool named."""
    import sys

    sys.path.insert(0, str(CORPUS.parents[3] / "bench"))
    from scoreboard import classes_by_key, fold_of, load_corpus, load_split

    saved = tmp_path / "fold-b.json"
    done = _scoreboard_run("--fold", "B", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    data = json.loads(saved.read_text(encoding="utf-8"))
    fold = {s.name: s for s in load_corpus() if s.name in load_split()["dev"]
            and fold_of(s.name) == "B"}
    assert data["fold"] == "B"
    assert len(data["classes"]) == sum(len(s.listing.tools) for s in fold.values())
    # The file names no server of the fold and keeps hashes, not tool names.
    text = saved.read_text(encoding="utf-8")
    assert not any(name in text for name in fold)
    assert all(re.fullmatch("[0-9a-f]{20}", key) for key in data["classes"])
    same = _scoreboard_run("--fold", "B", "--moved-since", str(saved))
    assert "(fold B): 0 tool(s)" in same.stdout, same.stdout + same.stderr
    # Two tools recorded as something else than they are now: a read-only tool that is Read
    # now counts as moved to Read, one that is not Read now as moved from Read.
    now = classes_by_key(fold.values())
    to_read = next(k for k, (label, cat) in now.items() if label == "read-only" and cat == "Read")
    from_read = next(k for k, (label, cat) in now.items()
                     if label == "read-only" and cat != "Read")
    data["classes"][to_read] = "Other"
    data["classes"][from_read] = "Read"
    saved.write_text(json.dumps(data), encoding="utf-8")
    moved = _scoreboard_run("--fold", "B", "--moved-since", str(saved))
    assert "(fold B): 2 tool(s)" in moved.stdout, moved.stdout + moved.stderr
    assert "read-only:      1 to Read, 1 from Read, 0 between" in moved.stdout
    assert "not read-only:  0 to Read, 0 from Read, 0 between" in moved.stdout
    tools = {t.name for s in fold.values() for t in s.listing.tools if len(t.name) > 12}
    assert not any(name in moved.stdout for name in tools)


def test_a_folds_readers_are_grouped_by_the_rule_that_decided_them_without_naming_them(
        ) -> None:
    """bench/scoreboard.py --fold A --classes: every tool of the fold called Read is counted
    once, under the rule that decided it and its declared label; the classes holding unsafe
    errors come first, and no tool is named."""
    import sys

    sys.path.insert(0, str(CORPUS.parents[3] / "bench"))
    from scoreboard import declared, fold_of, load_corpus, load_split

    from policytui.risk import classify_all

    fold = [s for s in load_corpus() if s.name in load_split()["dev"] and fold_of(s.name) == "A"]
    read = {"read-only": 0, "not read-only": 0, "unlabelled": 0}
    for server in fold:
        found = classify_all(server.listing.tools, use_annotations=False)
        for tool in server.listing.tools:
            if found[tool.name].category == "Read":
                read_only, destructive = declared(tool)
                read["read-only" if read_only is True else "not read-only"
                     if read_only is False or destructive is True else "unlabelled"] += 1
    done = _scoreboard_run("--fold", "A", "--classes")
    assert done.returncode == 0, done.stderr
    out = done.stdout.split("by the rule that decided them: ", 1)[1]
    total, rows = int(out.split()[0]), re.findall(r"^ +(\d+) +(\d+) +(\d+)  (\S.*)$", out, re.M)
    assert total == sum(read.values())
    assert [sum(int(row[i]) for row in rows) for i in range(3)] == list(read.values())
    assert len({row[3] for row in rows}) == len(rows)  # one row per rule
    unsafe = [int(row[1]) for row in rows]
    assert unsafe[0] > 0 and unsafe == sorted(unsafe, reverse=True)
    # The evidence's quoted words are left out: a rule, not a tool, names each class.
    assert not any(re.search(r"(?<!\w)'", row[3]) for row in rows)
    names = {t.name for s in fold for t in s.listing.tools if len(t.name) > 12}
    assert not any(name in done.stdout for name in names)


@pytest.mark.parametrize("args,said", [
    (["--save", "x.json"], "give --fold A or --fold B"),
    (["--classes"], "--classes groups one fold's readers; give --fold A or --fold B"),
    (["--fold", "A", "--moved-since", "{b}"], "holds fold B, not fold A"),
    (["--fold", "B", "--moved-since", "{missing}"], "cannot read"),
    (["--fold", "B", "--moved-since", "{junk}"], "is not a file --save wrote"),
    (["--fold", "B", "--save", "{nowhere}"], "cannot write"),
])
def test_a_fold_comparison_that_cannot_be_made_is_refused_in_one_sentence(
        tmp_path: Path, args: list[str], said: str) -> None:
    (tmp_path / "b.json").write_text(json.dumps({"fold": "B", "classes": {}}), encoding="utf-8")
    (tmp_path / "junk.json").write_text("not json", encoding="utf-8")
    paths = {"b": tmp_path / "b.json", "missing": tmp_path / "none.json",
             "junk": tmp_path / "junk.json", "nowhere": tmp_path / "no" / "such" / "x.json"}
    done = _scoreboard_run(*(a.format(**paths) for a in args))
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    # Refused before anything is scored: no table printed first.
    assert done.stdout == "", done.stdout
