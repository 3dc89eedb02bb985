"""Deciding tool calls against a policy: the engine shared by simulator, TUI and gateway."""

from policytui.decision.counters import Budget, CounterKey, CounterStore
from policytui.decision.decide import Approval, Caller, Decision, Outcome, decide, visible_tools

__all__ = [
    "Approval",
    "Budget",
    "Caller",
    "CounterKey",
    "CounterStore",
    "Decision",
    "Outcome",
    "decide",
    "visible_tools",
]
