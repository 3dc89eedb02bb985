"""`policytui check FILE TOOL [--args JSON]`: decide one tool call, as the gateway would.

Exit codes: 0 the call is allowed, 1 it is not (denied, hidden, or waiting for approval),
2 the command was called wrongly (e.g. --args is not a JSON object), 3 the policy file is
invalid or cannot be read.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, cast

from policytui.cli import UsageError
from policytui.cli.policy_common import never_traceback, out
from policytui.policy.rules import pin_setting_on
from policytui.textsafe import quoted_start

if TYPE_CHECKING:
    from policytui.policy.model import Policy
    from policytui.policy.validate import Problem

EXIT_ALLOWED, EXIT_NOT_ALLOWED, EXIT_BAD_POLICY = 0, 1, 3
# Where the editor keeps its own data in a policy (the tool names it saw among it).
META_KEY = "x-policytui"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the policy file")
    parser.add_argument("tool", metavar="TOOL", help="the tool the agent calls")
    parser.add_argument("--args", metavar="JSON", default="{}",
                        help="the call's arguments as a JSON object, "
                        'e.g. \'{"action": "delete"}\' (default: {}, no arguments)')
    parser.add_argument("--approval", choices=("approved", "rejected", "timed_out", "unavailable"),
                        help="what a human answered, for a call that needs approval (default: no "
                        "answer yet, so such a call is decided as waiting for approval)")
    parser.add_argument("--tools", metavar="TOOLS.json",
                        help="the server's tool list (a snapshot, or a JSON list of tools): a "
                        "TOOL not on it is denied as the gateway denies it (rule server.tools), "
                        "with a hint at the name meant")
    parser.add_argument("--pin", action="store_true",
                        help="decide as `gateway --pin` does, whatever the policy says (default: "
                        "pin only when the policy's x-policytui.pin is true): a call to a tool the "
                        "policy approves no definition of is denied, and with --tools one whose "
                        "definition there is not the approved one")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")


@never_traceback("check")
def run(args: argparse.Namespace) -> int:
    from policytui.decision import Approval, Decision, Outcome, decide
    from policytui.decision.call_arguments import ArgumentsError, read_arguments
    from policytui.policy.display import visible
    from policytui.policy.files import PolicyFileError, check_policy_file
    from policytui.policy.validate import Problem

    try:
        # Read as the gateway reads a call: no NaN, no key twice (a decision on arguments the
        # gateway refuses would say nothing true).
        call_args = read_arguments(args.args, "--args")
    except ArgumentsError as exc:
        raise UsageError(str(exc).rstrip(".")) from None
    shown = visible(args.file)
    try:
        # The decision needs no pydantic model, nor the semantic checks, which only warn and
        # are `validate`'s to print: they would cost a 10,000-rule file about 85 ms a call
        # (docs/benchmarks.md). The warnings left are about how the file is read.
        report = check_policy_file(args.file, warnings=False)
    except PolicyFileError as exc:
        if args.json:
            return undecided_json(args, str(exc), [Problem("", str(exc))])
        out(f"{shown}: error: {visible(str(exc))}")
        return EXIT_BAD_POLICY
    policy = report.view
    # Said as `validate`, `fmt` and `export` say them, on standard error so that the decision
    # (and --json's document) on standard output stays as scripts read it: an old-format
    # `rate_limit` is decided as the limit it is read as, `limits[0]`, which the file as
    # written does not hold.
    for problem in report.warnings:
        out(f"{shown}: warning: {problem.format()}", err=True)
    if policy is None:
        if args.json:
            return undecided_json(args, "cannot decide calls against an invalid policy", report.errors)
        for problem in report.errors:
            out(f"{shown}: error: {problem.format()}")
        out(f"{shown}: cannot decide calls against an invalid policy")
        return EXIT_BAD_POLICY
    approval = Approval(args.approval) if args.approval else None
    tools = None
    if args.tools:
        from policytui.cli.policy_common import read_tools_file

        tools = read_tools_file(args.tools)
    # The view reads like the model (the attributes `decide` uses); the decision is the
    # gateway's own function either way, after the gateway's own pinning check.
    drift, unknown = pinned(cast("Policy", policy), args.tool, tools, forced=args.pin)
    unlisted = tools is not None and args.tool not in {tool.name for tool in tools}
    if unlisted:
        # The gateway answers a tool the server does not list itself, before any rule or pin,
        # as the server answers it (so it cannot be told from a hidden one), and never sends it.
        from policytui.decision.decide import unlisted_decision

        decision = unlisted_decision()
    elif drift is not None:
        from policytui.gateway.pins import PIN_RULE

        decision = Decision(Outcome.DENIED, drift, PIN_RULE)
    else:
        decision = decide(cast("Policy", policy), args.tool, call_args, approval=approval)
    if decision.outcome in (Outcome.DENIED, Outcome.HIDDEN):
        unknown = ""  # denied either way: what the server's definition is changes nothing
    hint = unknown_tool_hint(args.tool, *known_tools(policy, args.tools, tools))
    if args.json:
        document = {"tool": args.tool, **decision.to_json()}
        if unknown:
            document["pinning"] = unknown
        if hint:
            document["hint"] = hint
        out(json.dumps(document, ensure_ascii=True))
    else:
        verdict = decision.outcome.value
        out(f"{verdict}: {visible(decision.reason)}" if decision.reason else verdict)
        out(f"rule: {visible(decision.rule)}")
        if decision.outcome in (Outcome.DENIED, Outcome.HIDDEN):
            out(f"agent sees: {visible(decision.agent_sees())}")
        if unknown:
            out(f"pinning: {visible(unknown)}")
        if hint:
            out(f"hint: {visible(hint)}")
    return EXIT_ALLOWED if decision.allowed else EXIT_NOT_ALLOWED


def undecided_json(args: argparse.Namespace, reason: str, problems: list[Problem]) -> int:
    """`--json` for a policy that cannot be read or is invalid: one JSON object still, so a
    script that parses the answer gets no text it cannot read. Its outcome is null (nothing was
    decided) and its errors are the ones `validate --json` lists."""
    out(json.dumps({"tool": args.tool, "outcome": None, "reason": reason, "rule": None,
                    "file": args.file, "errors": [problem.to_json() for problem in problems]},
                   ensure_ascii=True))
    return EXIT_BAD_POLICY


def pinned(policy: Policy, tool: str, tools: list[Any] | None, *, forced: bool) -> tuple[str | None, str]:
    """Under pinning (the policy's x-policytui.pin, or --pin as `gateway --pin`): why the gateway
    denies a call to `tool` before reading any rule (None when it does not), and, when that
    depends on the server's live definition and no --tools file gives it, a sentence that says
    check cannot know it ("" otherwise)."""
    meta = policy.extensions.get(META_KEY)
    if not (forced or pin_setting_on(meta)) or policy.is_hidden(tool):
        return None, ""  # a hidden tool is answered as one the server does not have
    # Only now: the gateway's module costs a pydantic import that deciding does not need.
    from policytui.gateway.pins import Pins, approved_fingerprints
    if tools is None and tool in approved_fingerprints(policy):
        return None, (f"the gateway also denies this call if the server's definition of {tool!r} is not "
                      "the one approved; check cannot see it: give --tools with the server's tool list "
                      "(a snapshot) to check it")
    # The gateway's own check, fed the --tools file as the server's listing (an empty one
    # without it: only a tool the policy approves no definition of is decided then).
    pins = Pins(lambda: policy, forced=forced)
    pins.observe([entry.raw or {"name": entry.name} for entry in tools or ()])
    return pins.drift(tool), ""


def known_tools(policy: Any, tools_file: str | None, tools: list[Any] | None = None) -> tuple[set[str] | None, str]:
    """The server's tool names, if known, and where from: the --tools file, else the tools the
    policy approves (fingerprints the editor saved) or names in its rules ("" as the source)."""
    if tools_file:
        if tools is None:
            from policytui.cli.policy_common import read_tools_file

            tools = read_tools_file(tools_file)
        return {tool.name for tool in tools}, f"the tools in {tools_file}"
    meta = policy.extensions.get(META_KEY)
    recorded = meta.get("fingerprints") if isinstance(meta, dict) else None
    named = (set(policy.tools or {}) | set(policy.hide or ())) - {"*"}
    if not isinstance(recorded, dict):
        # Only the names in its rules: a tool decided by the default is no mistake, a name
        # close to one of them most likely is (`manage_flw`), so only that is said.
        return (named or None), "rules"
    # The editor approves (fingerprints) only tools the author reviewed: one the server added
    # since is on the server and not here, so the hint says "approves or names", not "on".
    return set(recorded) | named, ""


def unknown_tool_hint(tool: str, known: set[str] | None, source: str) -> str:
    """A sentence when `tool` is not on the server (so the decision is only the default)."""
    if known is None or tool in known:
        return ""
    import difflib

    close = difflib.get_close_matches(tool, sorted(known), n=1)
    # Its start only: a name of thousands of characters is text pasted where the name goes.
    named = quoted_start(tool)
    if source == "rules":
        return f"{named} is not a tool this policy names; did you mean {close[0]!r}?" if close else ""
    hint = (f"{named} is not on this server ({source})" if source
            else f"{named} is not a tool this policy approves or names")
    return hint + (f"; did you mean {close[0]!r}?" if close else "; check the name.")
