"""`policytui fmt FILE [--check]`: rewrite a policy file in canonical form.

The canonical form is what policytui itself writes (two-space JSON, trailing newline, the
author's key order, legacy shapes rewritten). Invalid files are never rewritten. The previous
version is kept as `<name>.bak`. With --check nothing is written; exit 1 means "would change".
"""

from __future__ import annotations

import argparse
import hashlib

from policytui.cli.policy_common import never_traceback, out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the policy file")
    parser.add_argument("--check", action="store_true",
                        help="only report whether the file would change (exit 1 if so)")


@never_traceback("fmt")
def run(args: argparse.Namespace) -> int:
    from policytui.output_file import wrote
    from policytui.policy.display import visible
    from policytui.policy.files import (
        PolicyFileError,
        backup_path,
        dumps_policy,
        load_policy,
        save_policy,
    )

    shown = visible(args.file)
    try:
        loaded = load_policy(args.file)
    except PolicyFileError as exc:
        out(f"{shown}: error: {visible(str(exc))}")
        return 1
    report = loaded.report
    for problem in report.errors:
        out(f"{shown}: error: {problem.format()}")
    for problem in report.warnings:
        out(f"{shown}: warning: {problem.format()}")
    if loaded.policy is None:
        out(f"{shown}: not formatted, because the file is invalid")
        return 1
    canonical = dumps_policy(loaded.policy).encode("utf-8")
    if hashlib.sha256(canonical).hexdigest() == loaded.stamp.sha256:
        out(f"{shown}: already formatted")
        return 0
    if args.check:
        out(f"{shown}: would be reformatted")
        return 1
    try:
        save_policy(args.file, loaded.policy, expected_stamp=loaded.stamp)
    except PolicyFileError as exc:
        out(f"{shown}: error: {visible(str(exc))}")
        return 1
    # The line every command that writes a file prints, on standard error as theirs is.
    out(visible(wrote(args.file, f"canonical form, previous version kept as "
                                 f"{backup_path(args.file).name}")), err=True)
    return 0
