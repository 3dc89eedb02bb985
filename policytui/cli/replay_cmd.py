"""`policytui replay RECORDING --policy DRAFT [--against OLD] [--json]`.

Decides every recorded call (a `gateway --record` file, or an audit log) under the draft and
prints what changes, per tool with counts and the first example. Exit code 0 when no call that
was allowed becomes denied, 1 otherwise (and 2 for a usage or input problem), so CI can gate a
policy change on real traffic.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from policytui.cli.policy_common import never_traceback
from policytui.output_file import os_reason


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recording", metavar="RECORDING", help="a file written by `gateway --record`, or an audit log")
    parser.add_argument("--policy", required=True, metavar="DRAFT", help="the draft policy to test")
    parser.add_argument(
        "--against",
        metavar="OLD",
        help="compare with the decisions of this policy instead of the recorded ones",
    )
    parser.add_argument(
        "--server",
        metavar="NAME",
        help="replay only the calls made through the gateway in front of this server (the audit "
        "record's `server`): an audit log that several gateways share holds every server's calls",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="decide as `gateway --pin` does, whatever the policies say: a call to a tool they approve "
        "no definition of is denied",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON, for scripts")
    parser.epilog = (
        "exit codes: 0 when no call that was allowed would be denied, 1 when one would be "
        "(or cannot be decided without its arguments, or is let through a limit whose count before the "
        "recording is unknown, or the recording calls none of the tools whose definitions the draft "
        "approves: another server's calls), 2 for a wrong command line, a file "
        "that cannot be read or a recording without calls"
    )


def _policy(path: str, what: str) -> tuple[Any, str | None]:
    from policytui.policy.display import visible
    from policytui.policy.files import PolicyFileError, load_policy

    source = Path(path)
    try:
        os.lstat(source)
    except FileNotFoundError:
        # Said with which of the two it is: "nofile.json does not exist" left the user to
        # guess whether --policy or --against was mistyped.
        return None, f"the {what} {visible(path)} does not exist."
    except OSError:
        pass  # said by the reading below, in its words ("not a directory")
    try:
        loaded = load_policy(source)
    except FileNotFoundError:
        return None, f"the {what} {visible(path)} does not exist."
    except (PolicyFileError, OSError) as exc:
        text = str(exc) if isinstance(exc, PolicyFileError) else f"cannot read {path}: {os_reason(exc)}"
        return None, visible(text if text.endswith(".") else text + ".")
    if loaded.policy is None:
        errors = list(getattr(loaded.report, "errors", []) or [])
        first = f": {visible(errors[0].format())}" if errors else ""
        return None, f"the {what} {visible(path)} is not a valid policy{first}"
    return loaded.policy, None


def _sha256(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


@never_traceback("replay")
def run(args: argparse.Namespace) -> int:
    from policytui.policy.display import visible
    from policytui.replay import RecordingError, load_calls
    from policytui.replay.calls import of_server, servers_of
    from policytui.replay.engine import Replay
    from policytui.replay.server_match import match
    from policytui.replay.text import cut_short_note, render

    def fail(message: str) -> int:
        message = message if message.endswith(".") else message + "."
        print(f"policytui replay: {message}", file=sys.stderr)
        return 2

    for what, value in (("the recording", args.recording), ("--policy", args.policy),
                        ("--against", args.against)):
        if value and Path(value).is_dir():
            return fail(f"{what} {visible(value)} is a folder; give a file")
    try:
        calls = load_calls(args.recording)
    except FileNotFoundError:
        return fail(f"{visible(args.recording)} does not exist")
    except OSError as exc:
        return fail(f"cannot read {visible(args.recording)}: {os_reason(exc)}")
    except RecordingError as exc:
        return fail(visible(str(exc)))
    draft, problem = _policy(args.policy, "draft policy")
    if problem:
        return fail(problem)
    against = None
    if args.against:
        against, problem = _policy(args.against, "policy to compare with, --against,")
        if problem:
            return fail(problem)
    servers = servers_of(calls)
    if args.server is not None:
        if calls.calls and args.server not in servers:
            held = ", ".join(visible(name) for name in servers) or "none named"
            return fail(
                f"the recording {visible(args.recording)} holds no calls of server {visible(args.server)} "
                f"(it holds calls of: {held})"
            )
        calls = of_server(calls, args.server)
    elif len(servers) > 1:
        # One draft is meant for one server: another server's calls would be decided under it
        # too, and reported as changes that are not.
        names = ", ".join(visible(name) for name in servers)
        print(
            f"policytui replay: {visible(args.recording)} holds the calls of {len(servers)} servers ({names}), "
            f"all decided under {visible(args.policy)}; give --server NAME to replay one server's calls.",
            file=sys.stderr,
        )
    if not calls.calls:
        # A gate that tested nothing must not pass: an empty file usually means the recording
        # went somewhere else, or the gateway never saw a call.
        return fail(f"the recording {visible(args.recording)} holds no calls, so nothing can be tested")
    cut_note = cut_short_note(visible(args.recording), calls.cut_lines, calls.skipped_last_line)
    if cut_note:
        print(f"policytui replay: {cut_note[0].lower()}{cut_note[1:]}", file=sys.stderr)
    # The audit record names the policy file that decided each call by its SHA-256: a draft or
    # --against that is that file tells what its limits' windows had counted before the
    # recording began was counted under the same limits.
    # The draft does not name its server: the tools it names and the tools the recording calls
    # are what tell a recording of another server's calls, decided under it all the same.
    server_match = match(calls, draft)
    if said := server_match.sentence(args.recording, args.policy):
        print(f"policytui replay: {said}", file=sys.stderr)
    draft_sha256, against_sha256 = _sha256(args.policy), _sha256(args.against) if args.against else ""
    report = Replay(calls, against, args.against or "", pin=args.pin, against_sha256=against_sha256).run(
        draft, draft_sha256)
    report.server_match = server_match
    if args.json:
        # ASCII, as every --json output: a recorded tool name or argument may hold a bidi
        # override or line separator that would reach the terminal raw.
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=True, indent=2) + "\n")
    else:
        sys.stdout.write(render(report, args.policy))
    sys.stdout.flush()
    return report.exit_code
