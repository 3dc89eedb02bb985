"""`policytui snapshot TARGET -o FILE`: record a server's identity and tools exactly as sent
(`-o -`: to standard output).

The file holds no secrets: the command is recorded with env keys only, a URL without its
credentials and with header keys only.
"""

from __future__ import annotations

import argparse
import sys

from policytui.cli.target_args import add_target_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE",
        help="where to write the snapshot (- for standard output)"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace FILE if it exists"
    )


def run(args: argparse.Namespace) -> int:
    from policytui.cli import sentence
    from policytui.cli.policy_common import refuse_output_file
    from policytui.cli.target_args import (
        refuse_unusable_snapshot,
        require_target,
        start_listing_from_args,
    )
    from policytui.discovery.errors import DiscoveryError
    from policytui.discovery.snapshot import dump_snapshot, snapshot_document
    from policytui.output_file import (
        OutputFileError,
        OutputFileExists,
        output_name,
        write_output,
        wrote,
    )
    from policytui.textsafe import visible

    require_target(args)
    # Before the server starts: a wrong command line is told at once, not after the listing.
    refuse_output_file(args.output, "the snapshot", force=args.force)
    lister = start_listing_from_args(args)
    spec = lister.spec
    try:
        listing = lister()
        recording = lister.recording
        assert recording is not None
        document = snapshot_document(
            spec,
            server_name=listing.server_name,
            tools=recording.raw_tools,
            initialize_result=recording.initialize_result,
            recorded_from=recording.recorded_from,
            offline_reason=recording.offline_reason,
        )
        write_output(args.output, dump_snapshot(document, spec), replace=args.force)
    except DiscoveryError as error:
        refuse_unusable_snapshot(error)
        print(f"policytui snapshot: {sentence(error.report())}", file=sys.stderr)
        return 1
    except OutputFileExists as error:  # created while the server was listed
        from policytui.cli import UsageError

        raise UsageError(visible(str(error))) from None
    except OutputFileError as error:
        print(f"policytui snapshot: {sentence(visible(str(error)))}", file=sys.stderr)
        return 1
    count = len(recording.raw_tools)
    if recording.offline_reason is not None and not args.offline:
        # As `tools` and `connect` do: the built-in snapshot stands in, and the user is told.
        print(
            f"Offline snapshot, not the live server: {visible(recording.offline_reason)}\n"
            f"Recorded the built-in snapshot of {visible(spec.name)} ({spec.fallback_label}) "
            f"instead; pass --offline to record it without trying the live server.",
            file=sys.stderr,
        )
    print(visible(wrote(output_name(args.output), f"{count} tools of {spec.name}")), file=sys.stderr)
    return 0
