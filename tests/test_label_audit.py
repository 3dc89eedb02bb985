"""bench/label_audit.py, run as a maintainer runs it: `build` writes a blinded mix with no
annotation or classifier output in it and a key apart, `score` counts judgements by group
without naming a tool, and the scoreboard weighs stored judgements on its read-only rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from policytui.toolinfo import ServerListing

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / "bench" / "label_audit.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(AUDIT), *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_build_blinds_the_mix_and_score_counts_without_naming_tools(tmp_path: Path) -> None:
    built = _run("build", "--split", "dev", "--out", str(tmp_path), "--decoys", "5",
                 "--parts", "2")
    assert built.returncode == 0, built.stderr
    key = json.loads((tmp_path / "key.json").read_text())
    parts = [json.loads((tmp_path / f"part{i}.json").read_text()) for i in (1, 2)]
    items = parts[0] + parts[1]
    assert len(items) == len(key["key"]) > 10
    groups = {group for _, _, group in key["key"]}
    assert {"nro-ok", "ro-ok"} <= groups
    for item in items:
        # A labeller sees the tool's own words, never a hint or a verdict.
        assert set(item) == {"server", "tool", "title", "description", "arguments"}
        assert "annotations" not in json.dumps(item["arguments"])
    # Every labeller says "reads": the decoys the server marks not read-only disagree.
    for i, part in ((1, parts[0]), (2, parts[1])):
        answers = [{"server": t["server"], "tool": t["tool"], "judgement": "reads"} for t in part]
        (tmp_path / f"answers{i}.json").write_text(json.dumps(answers))
    scored = _run("score", "--out", str(tmp_path))
    assert scored.returncode == 0, scored.stderr
    assert "nro-ok      5: reads 5, acts 0, unclear 0" in scored.stdout
    for _server, tool, _ in key["key"]:
        assert tool not in scored.stdout.split(), "score must not name a tool"


def test_score_refuses_incomplete_answers(tmp_path: Path) -> None:
    assert _run("build", "--split", "dev", "--out", str(tmp_path), "--decoys", "2",
                "--parts", "1").returncode == 0
    (tmp_path / "answers1.json").write_text("[]")
    scored = _run("score", "--out", str(tmp_path))
    assert scored.returncode == 1
    assert "incomplete" in scored.stdout


def test_the_scoreboard_leaves_out_tools_whose_server_label_the_blind_reader_contradicts(
) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import scoreboard

    tools = [
        # Declared not read-only, but its words only read: classified Read, judged "reads".
        {"name": "list_widgets", "description": "List the widgets.",
         "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": False}},
        # Declared not read-only and called Read, judged "acts": a real unsafe error.
        {"name": "get_widget", "description": "Get a widget.",
         "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": False}},
        # Declared read-only, but its words act: left out of the read-only row.
        {"name": "delete_widget", "description": "Delete a widget.",
         "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": True}},
        {"name": "show_widget", "description": "Show a widget.",
         "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": True}},
    ]
    server = scoreboard.Server("widgets", ServerListing.from_tool_dicts(tools), "")
    lines = scoreboard.audited([server], {"widgets": {
        "list_widgets": "reads", "get_widget": "acts", "delete_widget": "acts"}})
    assert "acts 1" in lines[0] and "reads 1" in lines[0]
    assert "1/1 (100.0%)" in lines[1]  # get_widget alone, of the one not left out
    assert "1/1 (100.0%)" in lines[2]  # show_widget, with delete_widget left out
