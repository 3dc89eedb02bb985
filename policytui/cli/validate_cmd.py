"""`policytui validate FILE...`: report every problem in policy files.

Exit codes: 0 all files valid (warnings alone do not fail unless --strict), 1 a file is invalid
or cannot be read, 2 the command was called wrongly (including an unusable --tools file).
"""

from __future__ import annotations

import argparse
import json

from policytui.cli.policy_common import never_traceback, out, read_tools_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="policy files to check")
    parser.add_argument("--tools", metavar="TOOLS.json",
                        help="a server's tool list (a snapshot, or a JSON list of tools): also "
                        "warn about policy tools and arguments the server does not have")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


@never_traceback("validate")
def run(args: argparse.Namespace) -> int:
    from policytui.policy.display import visible
    from policytui.policy.files import PolicyFileError, check_policy_file
    from policytui.policy.validate import Problem, Report

    tools = read_tools_file(args.tools) if args.tools else None
    failed = False
    results = []
    for name in args.files:
        try:
            report = check_policy_file(name, tools=tools)
        except PolicyFileError as exc:
            report = Report([Problem("", str(exc))])
        bad = not report.ok or (args.strict and bool(report.warnings))
        failed = failed or bad
        if args.json:
            results.append({"file": name, **report.to_json(), "ok": not bad})
            continue
        shown = visible(name)
        for problem in report.errors:
            out(f"{shown}: error: {problem.format()}")
        for problem in report.warnings:
            out(f"{shown}: warning: {problem.format()}")
        if report.ok:
            count = len(report.warnings)
            if not count:
                out(f"{shown}: ok")
            else:
                plural = "s" if count != 1 else ""
                verdict = "invalid under --strict" if args.strict else "valid"
                out(f"{shown}: {verdict}, {count} warning{plural}")
    if args.json:
        out(json.dumps({"ok": not failed, "files": results}, indent=2, ensure_ascii=True))
    return 1 if failed else 0
