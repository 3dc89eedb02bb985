"""The classifier against the tools red-team helpers made up (bench/redteam.py): no acting
tool that was closed leaks again, and false alarms do not grow."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

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
