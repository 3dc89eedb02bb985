"""bench/money_vote.py, run as a maintainer runs it: `build` blinds every labelled tool,
`tiebreak` measures agreement without naming a tool and sends only the disagreements on,
`store` writes the votes, and the scoreboard counts a tool as money by the majority."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOTE = ROOT / "bench" / "money_vote.py"
CORPUS = ROOT / "tests" / "fixtures" / "servers" / "corpus"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VOTE), *args], capture_output=True, text=True,
                          timeout=180, cwd=ROOT)


def _answer(path: Path, items: list[dict[str, str]], financial: bool) -> None:
    path.write_text(json.dumps([{"server": t["server"], "tool": t["tool"],
                                 "financial": financial} for t in items]))


def _first_money() -> dict[str, set[str]]:
    labels = json.loads((CORPUS / "money-labels.json").read_text())["servers"]
    return {server: {name for name, label in tools.items() if label["financial"]}
            for server, tools in labels.items()}


def test_votes_are_blind_and_the_majority_decides(tmp_path: Path) -> None:
    votes = tmp_path / "votes"
    built = _run("build", "--out", str(votes), "--parts", "2")
    assert built.returncode == 0, built.stderr
    parts = [json.loads((votes / f"part{i}.json").read_text()) for i in (1, 2)]
    first = _first_money()
    assert sum(map(len, parts)) == sum(
        len(tools) for tools in json.loads((CORPUS / "money-labels.json").read_text())
        ["servers"].values())
    for item in parts[0] + parts[1]:
        # A labeller sees the tool's own words, never the first label or a verdict.
        assert set(item) == {"server", "tool", "title", "description", "arguments"}
    assert "financial=true" in (votes / "RULES.txt").read_text()

    # The second labeller calls nothing money: every first-labelled money tool is disputed.
    for i, part in ((1, parts[0]), (2, parts[1])):
        _answer(votes / f"answers{i}.json", part, False)
    tie = _run("tiebreak", "--out", str(votes))
    assert tie.returncode == 0, tie.stderr
    disputed = sum(map(len, first.values()))
    assert f"first only {disputed}, second only 0" in tie.stdout
    for tools in first.values():
        for tool in tools:
            assert tool not in tie.stdout.split(), "tiebreak must not name a tool"
    third = json.loads((votes / "tiebreak.json").read_text())
    assert len(third) == disputed
    assert {(t["server"], t["tool"]) for t in third} == {
        (s, t) for s, tools in first.items() for t in tools}

    sys.path.insert(0, str(ROOT / "bench"))
    import scoreboard

    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(CORPUS / "money-labels.json", root)
    for third_vote, expected in ((True, first), (False, {s: set() for s in first})):
        _answer(votes / "tiebreak-answers.json", third, third_vote)
        stored = _run("store", "--out", str(votes), "--votes-file", str(root / "money-votes.json"))
        assert stored.returncode == 0, stored.stderr
        assert scoreboard.load_money_labels(root) == expected
        assert scoreboard.load_money_labels(root, first_only=True) == first


def test_incomplete_or_malformed_answers_are_refused_in_one_line(tmp_path: Path) -> None:
    assert _run("build", "--out", str(tmp_path), "--parts", "1").returncode == 0
    part = json.loads((tmp_path / "part1.json").read_text())
    (tmp_path / "answers1.json").write_text("[]")
    short = _run("tiebreak", "--out", str(tmp_path))
    assert short.returncode == 1 and "incomplete" in short.stdout
    (tmp_path / "answers1.json").write_text("[{")
    broken = _run("tiebreak", "--out", str(tmp_path))
    assert broken.returncode == 1 and "not JSON" in broken.stdout
    answers = [{"server": t["server"], "tool": t["tool"], "financial": "yes"} for t in part]
    (tmp_path / "answers1.json").write_text(json.dumps(answers))
    vague = _run("tiebreak", "--out", str(tmp_path))
    assert vague.returncode == 1 and "no true or false" in vague.stdout
    for result in (short, broken, vague):
        assert "Traceback" not in result.stderr and len(result.stdout.splitlines()) == 1
