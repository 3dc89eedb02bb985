"""`policytui snapshot TARGET -o FILE`: record a server's identity and tools exactly as sent.

The file holds no secrets: the command is recorded with env keys only, a URL without its
credentials and with header keys only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from policytui.cli.target_args import add_target_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="where to write the snapshot"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace FILE even if it is not a snapshot"
    )


def run(args: argparse.Namespace) -> int:
    from policytui.cli.target_args import require_target, spec_from_args
    from policytui.discovery.errors import DiscoveryError
    from policytui.discovery.snapshot import dump_snapshot, write_snapshot

    require_target(args)
    try:
        spec = spec_from_args(args)
        document, count = _record(spec, args)
        write_snapshot(Path(args.output), dump_snapshot(document, spec), force=args.force)
    except DiscoveryError as error:
        print(f"policytui snapshot: {error.report()}", file=sys.stderr)
        return 1
    print(f"Recorded {count} tools of {spec.name} to {args.output}.", file=sys.stderr)
    return 0


def _record(spec: Any, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from policytui.discovery.snapshot import read_snapshot_document, snapshot_document

    if spec.transport == "snapshot" or args.offline:
        if spec.transport != "snapshot":
            from policytui.cli.target_args import with_catalogue_snapshot
            from policytui.discovery.errors import DiscoveryError

            spec = with_catalogue_snapshot(spec)
            if spec.fallback_snapshot is None:
                raise DiscoveryError(f"There is no offline snapshot of {spec.name!r} to record.")
            path = spec.fallback_snapshot
        else:
            path = spec.snapshot_path
        data = read_snapshot_document(path)
        init: dict[str, Any] = {
            k: data[k]
            for k in ("protocolVersion", "serverInfo", "capabilities", "instructions")
            if k in data
        }
        document = snapshot_document(
            spec, tools=data["tools"], initialize_result=init, recorded_from=str(path)
        )
        return document, len(data["tools"])

    import anyio

    from policytui.discovery.connect import open_connection

    async def live() -> tuple[dict[str, Any], int]:
        async with open_connection(spec, timeout=args.timeout, close_grace=0.5) as connection:
            document = snapshot_document(
                spec, tools=connection.raw_tools, initialize_result=connection.initialize_result
            )
            return document, len(connection.raw_tools)

    return anyio.run(live)
