"""The classifier against the tools a red team made up (bench/redteam.py): no acting
tool that was closed leaks again, and false alarms do not grow."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from policytui.risk import classify_all
from policytui.toolinfo import ToolInfo

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import redteam  # noqa: E402


def test_made_up_tools_leak_no_more_than_when_stored():
    data = redteam.load()
    leaks, alarms, acting, reading = redteam.outcomes(data)
    assert acting > 800 and reading > 500  # the fixture is all there
    new = sorted(set(leaks) - set(data["known"]["leaks"]))
    assert not new, f"acting tools now called Read: {new}"
    assert len(alarms) <= data["known"]["false_alarms"], (
        f"reading tools called riskier: {len(alarms)}, stored {data['known']['false_alarms']}")


def test_made_up_money_tools_stay_financial_and_wrong_financials_do_not_grow():
    data = redteam.load()
    missed, wrongly, money = redteam.money_outcomes(data)
    assert money > 40  # the money-labelled rounds are all there
    lost = sorted(set(missed) - set(data["known"]["money_missed"]))
    assert not lost, f"money tools no longer called Financial: {lost}"
    assert len(wrongly) <= data["known"]["wrongly_financial"], (
        f"tools wrongly called Financial: {len(wrongly)}, stored "
        f"{data['known']['wrongly_financial']}")


def test_every_made_up_tool_says_whether_it_acts():
    for server in redteam.load()["servers"]:
        names = [tool["name"] for tool in server["tools"]]
        assert len(names) == len(set(names))  # one classification per name
        for tool in server["tools"]:
            assert isinstance(tool["acts"], bool) and tool["name"]
            assert isinstance(tool.get("money", False), bool)


def test_classes_group_false_alarms_by_the_rule_that_decided_them():
    # Two tools decided by the same rule on different words, one by another rule.
    tools = [ToolInfo.from_wire({"name": name, "description": text,
                                 "inputSchema": {"type": "object", "properties": {}}})
             for name, text in (("lock_status", "Whether the front door is locked."),
                                ("leave_balance", "Remaining leave days of an employee."),
                                ("weather", "Forecast."))]
    found = classify_all(tools, use_annotations=False)
    rows = redteam.by_class(["weather", "lock_status", "leave_balance"], found)
    assert rows == [("Write", "name verb _ adds or changes state",
                     ["lock_status", "leave_balance"]),
                    ("Read", "description starts with _, which reads", ["weather"])]


def test_classes_group_verbless_readers_whatever_view_their_name_ends_with():
    # The evidence says "the description's first sentence" before quoting the view: the
    # possessive is no quote, so the two are one class, not one per noun.
    tools = [ToolInfo.from_wire({"name": name, "description": text,
                                 "inputSchema": {"type": "object", "properties": {}}})
             for name, text in (("disk_health", "Health of the disks of a host."),
                                ("mirror_status", "Status of the package mirror."))]
    found = classify_all(tools, use_annotations=False)
    rows = redteam.by_class(["disk_health", "mirror_status"], found)
    assert [(category, members) for category, _, members in rows] == [
        ("Read", ["disk_health", "mirror_status"])]
    assert rows[0][1] == ("no verb in the name or the description's first sentence, and the "
                          "name ends with _, a view of data")


def test_classes_option_lists_every_false_alarm_and_leak_once():
    out = subprocess.run([sys.executable, str(BENCH / "redteam.py"), "--classes"],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    leaks, alarms, _, _ = redteam.outcomes(redteam.load())
    counted = {title: int(total) for title, total in re.findall(
        r"^(reading tools called riskier|acting tools called Read), by class: (\d+)", out, re.M)}
    assert counted == {"reading tools called riskier": len(alarms),
                       "acting tools called Read": len(leaks)}
    # The largest class is listed first, with examples to open.
    sizes = [int(size) for size in re.findall(r"^ +(\d+)  [A-Z]", out, re.M)]
    assert sizes and sizes[0] >= sizes[1]
    assert re.search(r"^ +e\.g\. \d+/", out, re.M)


@pytest.mark.parametrize("script", ["redteam.py", "scoreboard.py"])
def test_the_benches_piped_into_head_stop_quietly(script: str) -> None:
    """`bench/scoreboard.py --verbose | head` is how a long list is looked at: the reader's going
    away ends the bench without a BrokenPipeError traceback on the terminal."""
    argv = [sys.executable, str(BENCH / script)] + (["--classes"] if script == "redteam.py" else ["--split", "dev", "--verbose"])
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as bench:
        assert bench.stdout is not None and bench.stderr is not None
        assert bench.stdout.readline()
        bench.stdout.close()  # as `head -1` does once it has its line
        errors = bench.stderr.read().decode()
        bench.wait(timeout=300)
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors
