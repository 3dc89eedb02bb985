"""`policytui schema`: print the policy JSON Schema (for editors and other tools)."""

from __future__ import annotations

import argparse

from policytui.cli.policy_common import never_traceback, out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ('Save it next to your policies and point "$schema" at it to get completion '
                     "and help in your editor.")


@never_traceback("schema")
def run(args: argparse.Namespace) -> int:
    from policytui.policy.schema import schema_text

    out(schema_text().rstrip("\n"))
    return 0
