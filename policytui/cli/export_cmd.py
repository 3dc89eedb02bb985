"""`policytui export FILE --format policylayer|intercept|cedar [-o OUT]`.

The converted policy goes to standard output (or OUT); the table of what the target cannot
hold as written, and what it does instead, goes to standard error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from policytui.cli.policy_common import never_traceback
from policytui.output_file import os_reason

FORMAT_CHOICES = ("policylayer", "intercept", "cedar")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the policy file (policy.json) to convert")
    parser.add_argument(
        "--format",
        "-f",
        required=True,
        choices=FORMAT_CHOICES,
        help="target format: policylayer (hosted gateway JSON), intercept (Intercept YAML) or cedar (ToolHive's Cedar authorization config, JSON)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the result to OUT instead of standard output (- is standard output)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace OUT if it exists (atomically: readers see the old file or the new one)",
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@never_traceback("export")
def run(args: argparse.Namespace) -> int:
    from policytui.cli import UsageError, sentence
    from policytui.cli.policy_common import refuse_output_file
    from policytui.export import export_policy
    from policytui.output_file import (
        OutputFileError,
        OutputFileExists,
        missing_folder_reason,
        names_stdout,
        output_name,
        write_failure,
        write_output,
        wrote,
    )
    from policytui.policy.display import visible
    from policytui.policy.files import PolicyFileError, load_policy

    source = Path(args.file)
    # Every command-line mistake is reported before any work, alone, with exit 2.
    if args.output and not names_stdout(args.output) and _same_file(source, Path(args.output)):
        raise UsageError("the output file is the policy file itself; choose another name with -o")
    refuse_output_file(args.output, "the result", force=args.force)
    missing_folder = missing_folder_reason(args.output) if args.output and not names_stdout(args.output) else None
    if missing_folder is not None:
        print(f"policytui export: {sentence(visible(write_failure(args.output, missing_folder)))}", file=sys.stderr)
        return 1
    try:
        loaded = load_policy(source)
    except (PolicyFileError, OSError) as exc:  # both carry one sentence
        print(f"policytui export: {_sentence(exc, source)}", file=sys.stderr)
        return 1
    if loaded.policy is None:
        problems = list(getattr(loaded.report, "errors", []) or [])
        print(f"policytui export: {source} is not a valid policy, so it was not exported.", file=sys.stderr)
        for problem in problems:
            print(f"  {visible(problem.format())}", file=sys.stderr)
        return 1

    from policytui.export import TARGETS
    from policytui.export.lost import lost_table

    result = export_policy(loaded.policy, args.format)
    if args.output:
        # Written first: when the file cannot be written, that one sentence is all there is.
        try:
            write_output(args.output, result.text, replace=args.force)
        except OutputFileExists as exc:  # created while the policy was converted
            raise UsageError(visible(str(exc))) from None
        except OutputFileError as exc:
            print(f"policytui export: {sentence(visible(str(exc)))}", file=sys.stderr)
            return 1
    # The file's own warnings, as `validate` and `fmt` print them: an old-format `rate_limit`
    # is exported as the limit it is read as, and the table below names that limit
    # (`limits[0]`), which the file as written does not hold.
    for problem in loaded.report.warnings:
        print(f"{visible(str(source))}: warning: {problem.format()}", file=sys.stderr)
    # Tool names come from servers: the table shows escapes, never sends them to the terminal.
    sys.stderr.write(lost_table(result.warnings, TARGETS[args.format]))
    sys.stderr.flush()
    if args.output:
        print(visible(wrote(output_name(args.output), f"{args.format} format")), file=sys.stderr)
    else:
        # Standard output that cannot take it (a full disk, or closed) is told by `main` and
        # `never_traceback` as one sentence (`policy_common.standard_output_failure`).
        sys.stdout.write(result.text)
        sys.stdout.flush()
    return 0


def _sentence(exc: BaseException, source: Path) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{source} does not exist."
    if isinstance(exc, OSError):
        return f"cannot read {source}: {os_reason(exc)}."
    text = str(exc)
    return text if text.endswith(".") else text + "."
