"""`policytui init TARGET --preset NAME -o policy.json`: a starting policy from a preset.

The server's tools are listed (live, or from a snapshot with `--from FILE`), classified, and the
preset turns the classification into rules. Overrides given with `--override TOOL=CATEGORY`
change a tool's category before the preset is applied and are stored in the policy under
`x-policytui.overrides`, so the editor and later runs see them too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import TYPE_CHECKING

from policytui.cli.policy_common import never_traceback
from policytui.risk.categories import CATEGORIES
from policytui.risk.preset_names import PRESET_SUMMARIES, PRESETS, RECOMMENDED

if TYPE_CHECKING:
    from policytui.policy.model import Policy
    from policytui.risk.classifier import Classification
    from policytui.toolinfo import ServerListing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from policytui.cli.target_args import add_target_arguments

    add_target_arguments(parser)
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        default=RECOMMENDED,
        help="; ".join(f"{name}: {text}" for name, text in PRESET_SUMMARIES.items())
        + f" (default: {RECOMMENDED})",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the policy to FILE (default, or -: print it to standard output)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it exists (the old one is kept as FILE.bak); a device or pipe "
        "such as /dev/stdout is written into and needs none",
    )
    parser.add_argument(
        "--override",
        metavar="TOOL=CATEGORY",
        action="append",
        default=[],
        help=f"treat TOOL as CATEGORY ({', '.join(CATEGORIES)}); repeatable; "
        "kept in the policy under x-policytui.overrides",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="do not print the summary of what each tool gets",
    )


def parse_overrides(items: list[str]) -> dict[str, str]:
    """`["delete_x=Read", ...]` -> {"delete_x": "Read"}; raises UsageError on a bad item."""
    from policytui.cli import UsageError
    from policytui.risk.categories import normalize_category

    out: dict[str, str] = {}
    for item in items:
        tool, sep, value = item.rpartition("=")
        category = normalize_category(value)
        if not sep or not tool:
            raise UsageError(f"--override {item!r} must look like TOOL=CATEGORY")
        if category is None:
            raise UsageError(f"--override {item!r}: {value!r} is not one of "
                             f"{', '.join(CATEGORIES)}")
        out[tool] = category
    return out


def describe_decision(policy: Policy, tool: str) -> str:
    """A few words on what `policy` does with `tool`, for the summary table."""
    if policy.is_hidden(tool):
        return "hidden"
    rule = policy.rule(tool)
    if rule is None:
        return f"{'allowed' if policy.default == 'allow' else 'denied'} (default)"
    parts: list[str] = []
    if rule.effective_action == "deny":
        return "denied"
    if rule.effective_action == "require_approval":
        parts.append("needs approval")
    if rule.require_approval_if:
        values = rule.require_approval_if[0].value
        shown = ", ".join(map(str, values)) if isinstance(values, list) else str(values)
        parts.append(f"approval for {shown}")
    if rule.require and not rule.require_approval_if:
        values = rule.require[0].value
        shown = ", ".join(map(str, values)) if isinstance(values, list) else str(values)
        parts.append(f"only {shown}")
    for limit in rule.limits or []:
        parts.append(f"max {limit.max}/{limit.window}")
    return "; ".join(parts) if parts else "allowed"


def _summary(listing: ServerListing, policy: Policy, classes: dict[str, Classification],
             preset: str, columns: int | None = None) -> list[str]:
    """One line per tool; on a terminal of `columns`, a long decision wraps under its own
    column instead of the terminal wrapping it under the tool names."""
    import textwrap

    from policytui.textsafe import one_line

    names = [t.name for t in listing.tools]
    width = min(40, max((len(one_line(n, 40)) for n in names), default=4))
    lines = [f"{'tool':{width}}  {'category':11} {'severity':8}  decision ({preset})"]
    for name in names:
        c = classes[name]
        shown = one_line(name, 40)
        mark = "*" if c.overridden else " "
        prefix = f"{shown:{width}}  {c.category:11} {c.severity:8}{mark} "
        decision = one_line(describe_decision(policy, name), 100)
        room = (columns or 0) - len(prefix) - 1
        if room < 20 or len(decision) <= room:
            lines.append(prefix + decision)
            continue
        parts = textwrap.wrap(decision, room, break_long_words=False, break_on_hyphens=False)
        lines.append(prefix + parts[0])
        lines.extend(" " * len(prefix) + part for part in parts[1:])
    if any(c.overridden for c in classes.values()):
        lines.append("* category set by --override")
    return lines


@never_traceback("init")
def run(args: argparse.Namespace) -> int:
    from policytui.cli import UsageError, sentence
    from policytui.cli.policy_common import out, refuse_output_file
    from policytui.cli.target_args import refuse_unusable_snapshot, start_listing_from_args
    from policytui.discovery.errors import DiscoveryError
    from policytui.output_file import (
        OutputFileError,
        is_stream,
        missing_folder_reason,
        names_stdout,
        output_name,
        write_failure,
        write_output,
        wrote,
    )
    from policytui.policy.files import (
        FileStamp,
        PolicyFileError,
        backup_path,
        dumps_policy,
        save_policy,
    )
    from policytui.policy.validate import validate_policy
    from policytui.risk import classify_all
    from policytui.risk.overrides import write_overrides
    from policytui.risk.presets import build_policy
    from policytui.textsafe import visible

    overrides = parse_overrides(args.override)
    # No -o is -o -, as the help says: the policy on standard output, and the same closing line.
    output = "-" if args.output is None else args.output
    refuse_output_file(output, "the policy", force=args.force, backup=True)
    # A policy file is replaced, keeping the old one as a .bak. A device or pipe (`/dev/stdout`,
    # even when the shell points it at a file) is written into as `snapshot` and `export` do:
    # nothing is replaced there, so there is nothing to back up and --force changes nothing.
    stream = names_stdout(output) or is_stream(output)
    # Told before the server is started and listed.
    why = None if stream else missing_folder_reason(output)
    if why is not None:
        out(f"policytui init: {sentence(visible(write_failure(output, why)))}", err=True)
        return 1

    lister = start_listing_from_args(args)
    try:
        listing = lister()
    except DiscoveryError as exc:
        refuse_unusable_snapshot(exc)
        # With the server's last stderr lines, as every command that starts a server reports a
        # failed start: they usually hold the real reason (a setting the server lacks).
        out(f"policytui init: {sentence(visible(exc.report(), keep_newlines=True))}", err=True)
        return 1
    if listing.offline_reason is not None:
        out(f"Offline snapshot, not the live server: {visible(listing.offline_reason)}", err=True)

    names = {t.name for t in listing.tools}
    unknown = [name for name in overrides if name not in names]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(names), n=1)
        hint = f"; did you mean {visible(close[0])!r}?" if close else ""
        raise UsageError(f"--override names a tool the server does not have: "
                         f"{visible(unknown[0])}{hint}")
    if not listing.tools:
        # Every tool it listed may be broken (skipped below): then it did list tools.
        count = len(listing.broken_tools)
        what = ("the one tool the server lists cannot be read" if count == 1 else
                f"none of the {count} tools the server lists can be read" if count else
                "the server lists no tools")
        out(f"policytui init: {what}; the policy has only a default", err=True)
    for broken in listing.broken_tools:
        out(f"policytui init: skipped tool #{broken.index} "
            f"({visible(broken.name or 'unnamed')}): {visible(broken.problem)}", err=True)

    classes = classify_all(listing.tools, overrides)
    policy = build_policy(listing, args.preset, classes)
    if overrides:
        write_overrides(policy, overrides)
    report = validate_policy(policy, tools=listing.tools)
    if not report.ok:  # a preset must never produce an invalid policy; refuse to write one
        first = report.errors[0].format()
        out(f"policytui init: the {args.preset} preset produced an invalid policy "
            f"({visible(first)}); this is a bug in policytui", err=True)
        return 1

    # Standard output may be the policy itself (`-o /dev/stdout`): the summary goes there only
    # when the policy went to a file.
    summary_to_stderr = stream
    kept = ""
    if stream:
        try:
            write_output(output, dumps_policy(policy), replace=True)
        except OutputFileError as exc:
            out(f"policytui init: {sentence(visible(str(exc)))}", err=True)
            return 1
    else:
        existed = os.path.exists(output)  # through a link: a link to nothing had no old file
        try:
            save_policy(output, policy,
                        expected_stamp=None if args.force else FileStamp.missing())
        except PolicyFileError as exc:
            out(f"policytui init: {sentence(visible(str(exc)))}", err=True)
            return 1
        if existed:
            kept = f", previous version kept as {backup_path(output).name}"
    if not args.quiet:
        summary = sys.stderr if summary_to_stderr else sys.stdout
        columns = shutil.get_terminal_size().columns if summary.isatty() else None
        for line in _summary(listing, policy, classes, args.preset, columns):
            out(line, err=summary_to_stderr)
    # -q leaves out the summary, not the line every writer ends with.
    out(visible(wrote(output_name(output), f"{len(listing.tools)} tools, preset {args.preset}{kept}")),
        err=True)
    return 0
