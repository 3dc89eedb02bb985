"""`policytui approvals [list|show ID|approve ID|reject ID]`: answer calls held for a human.

A gateway holds a call whose policy rule needs approval (when the agent's client cannot ask its
user itself) and waits in the approvals queue until someone answers here, in the TUI, or the
gateway's `--approval-timeout` passes. The queue lives in the gateway's state store: give the
same `--state URL` (or `--state-dir`) as the gateway, from any machine that reaches the store.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# What `approvals --help` ends with: the exit statuses, the same for a call already answered
# (by someone else, or by this person before) as for one answered now.
EXIT_CODES = (
    "exit codes of approve and reject: 0 when the call ended as asked (approve: approved and "
    "sent to the server; reject: rejected, never sent), also when someone (or you) had already "
    "answered it so; 1 otherwise: already answered the other way, timed out, withdrawn, or "
    "approved but not sent, said in one sentence on standard error (\"call ID was already "
    "rejected by bob; it was never sent.\"). All actions: 1 when the state store cannot be read "
    "or no call has that ID, 2 for a wrong command line."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES
    parser.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=("list", "show", "approve", "reject"),
        help="list waiting calls (default), show one with its arguments, approve or reject one",
    )
    parser.add_argument("id", nargs="?", metavar="ID", help="the call's id, as `list` shows it")
    add_state_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"show: print every argument whole (by default each value is cut after "
        f"{SHOW_VALUE_LIMIT:,} characters, and at most {SHOW_ARGUMENTS} arguments are shown)",
    )


def add_state_arguments(parser: argparse.ArgumentParser) -> None:
    """Which store to read: the same options as the gateway's."""
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="the gateway's state folder (default: $POLICYTUI_STATE_DIR, else "
        "$XDG_STATE_HOME/policytui, else ~/.local/state/policytui)",
    )
    parser.add_argument(
        "--state",
        metavar="URL",
        help="the gateway's state store: sqlite:///PATH or redis://HOST:PORT/DB[?prefix=NAME] "
        "(default: $POLICYTUI_STATE, else STATE_DIR/state.sqlite)",
    )


def open_state(args: argparse.Namespace, command: str) -> Any:
    """The store the gateway uses, or an int exit code after one sentence on standard error."""
    from policytui.cli import UsageError
    from policytui.gateway.state import default_state_dir
    from policytui.gateway.store import (
        STATE_ENV,
        StateConfigError,
        StateUnavailable,
        StateURLError,
        open_store,
        sqlite_file,
    )
    from policytui.textsafe import visible

    state_dir = Path(args.state_dir).expanduser() if args.state_dir else default_state_dir()
    if args.state_dir and state_dir.exists() and not state_dir.is_dir():
        raise UsageError(f"--state-dir {visible(args.state_dir)} is a file; give the gateway's state folder")
    url = args.state or os.environ.get(STATE_ENV)
    if not url and args.state_dir and not state_dir.exists():
        # A folder named on purpose that is not there is a mistyped path more often than a
        # gateway that never ran: "nothing is waiting" would hide the calls that are.
        return failed(args, command, f"the state folder {visible(str(state_dir))} does not exist; "
                      "give the --state-dir the gateway was started with.")
    if not url and not state_dir.is_dir():
        return None  # no gateway has run with this folder: nothing to show, nothing created
    if url and url.lower().startswith("sqlite://"):
        try:
            file = sqlite_file(url)  # a malformed URL is a usage error, whether or not its file is there
        except StateURLError as exc:
            raise UsageError(str(exc)) from None
        if file.is_dir():
            raise UsageError(f"{visible(url)} names a folder; give the gateway's state file, as in sqlite:///PATH/state.sqlite")
        if not file.exists():
            ancestor = file.parent
            while not ancestor.exists() and ancestor != ancestor.parent:
                ancestor = ancestor.parent
            if not ancestor.is_dir():  # a file stands where a folder of the path must be
                return failed(args, command, f"cannot open the state file {visible(str(file))}: "
                              f"{visible(str(ancestor))} is not a folder.")
            if args.state:
                # Named on purpose, as a --state-dir: the gateway creates its state file at
                # start, so one that is not there is a mistyped path, and "nothing is waiting"
                # would hide the calls that are.
                return failed(args, command, f"the state file {visible(str(file))} does not exist; "
                              "give the --state the gateway was started with.")
            return None  # $POLICYTUI_STATE before any gateway used it: nothing to show or create
    try:
        store = open_store(args.state, state_dir, shared=True)
        try:
            store.check()
        except BaseException:
            # A store that failed its check (or a ctrl+c during it) is closed all the same: its
            # connection, or its checkpoint thread and process, end with the command.
            store.close()
            raise
    except StateURLError as exc:
        raise UsageError(str(exc)) from None
    except (StateConfigError, StateUnavailable) as exc:
        return failed(args, command, _sentence(str(exc)))
    if store.description == "memory://":
        store.close()
        raise UsageError("memory:// state lives inside one gateway process; nothing else can read it")
    return store


def _sentence(text: str) -> str:
    return text if text.endswith((".", ")")) else text + "."


def failed(args: argparse.Namespace, command: str, sentence: str, code: int = 1) -> int:
    """Say why the command failed: the sentence on standard error after `policytui COMMAND: `,
    and with `--json` also one JSON object on standard output (`failure_json`), so a script
    reading the answer as JSON reads one whatever went wrong. Returns `code`."""
    if getattr(args, "json", False):
        json_out(args, failure_json(args, sentence))
    print(f"policytui {command}: {sentence}", file=sys.stderr)
    return code


def failure_json(args: argparse.Namespace, sentence: str) -> dict[str, Any]:
    """The one object `--json` prints when the command could not do what it was asked (the
    store could not be read, a wrong command line): `message` is the sentence, begun with a
    capital as a sentence of its own; `show`, `approve` and `reject` print their usual object
    with nothing known (`found` null: whether a call has that ID could not be read; `done`
    false). `list` and `counters`, which print an array when they succeed, print the object."""
    first = sentence.split(" ", 1)[0]
    message = sentence[:1].upper() + sentence[1:] if first.isalpha() and first.islower() else sentence
    action = getattr(args, "action", None)
    if action == "show":
        return {"id": args.id, "found": None, "decision": None, "result": None, "message": message}
    if action in ("approve", "reject"):
        return {"id": args.id, "asked": action, "done": False, "decision": None, "by": None, "mine": False,
                "result": None, "reason": None, "message": message}
    return {"message": message}


def said_in_json(args: argparse.Namespace, exc: Exception) -> None:
    """Before a wrong command line (`UsageError`) leaves a `--json` command, the object that
    says so: the sentence `policytui` writes on standard error, as one JSON object."""
    from policytui.cli import sentence

    if getattr(args, "json", False):
        json_out(args, failure_json(args, sentence(str(exc))))


def _out(text: str) -> None:
    try:
        print(text)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        print(text.encode(encoding, "backslashreplace").decode(encoding))


def json_out(args: argparse.Namespace, data: Any, *, ascii_only: bool = True) -> None:
    """Print the one JSON value a `--json` command answers with, and note that it was printed
    (a ctrl+c after it adds nothing). ASCII only by default: a client's arguments may hold C1
    controls (U+009B is a CSI) or bidi overrides, which JSON leaves raw and a terminal acts on."""
    args.json_printed = True
    _out(json.dumps(data, ensure_ascii=ascii_only, indent=2))


# What `--json` says of a command stopped by ctrl+c (SIGINT) before it printed its answer.
INTERRUPTED = "interrupted (ctrl+c) before the command finished."


def said_interrupted(args: argparse.Namespace) -> None:
    """Before ctrl+c (SIGINT) ends a `--json` command with exit 130: the one object it promises,
    when it has not printed its answer yet (`message` says it was interrupted; an approval
    written before the interruption is in the object, as on standard error). Nothing for the
    text form, which prints nothing more when interrupted."""
    if not getattr(args, "json", False) or getattr(args, "json_printed", False):
        return
    said, facts = getattr(args, "interrupted", None) or (INTERRUPTED, {})
    json_out(args, {**failure_json(args, said), **facts, "message": said[:1].upper() + said[1:]})


def run(args: argparse.Namespace) -> int:
    return run_saying_failures(args, _checked_run)


def run_saying_failures(args: argparse.Namespace, checked_run: Callable[[argparse.Namespace], int]) -> int:
    """`checked_run(args)`, with a mistake in the command line or a ctrl+c told in the one JSON
    object `--json` promises (the sentence itself stays on standard error, as for every command)."""
    from policytui.cli import UsageError

    try:
        return checked_run(args)
    except UsageError as exc:
        said_in_json(args, exc)
        raise
    except KeyboardInterrupt:
        said_interrupted(args)
        raise


def _checked_run(args: argparse.Namespace) -> int:
    from policytui.cli import UsageError
    from policytui.textsafe import visible

    if args.action == "list" and args.id:
        raise UsageError("list takes no ID")
    if args.action != "list" and not args.id:
        raise UsageError(f"{args.action} needs the call's ID (see `policytui approvals list`)")
    if args.full and args.action != "show":
        raise UsageError("--full goes with show ID")
    if args.action != "list":
        from policytui.gateway.approvals import ApprovalError, _check_id

        if args.id.isascii():
            # Hex digits in capitals (a chat or a ticket that shouts) are the same id.
            args.id = args.id.lower()
        try:
            _check_id(args.id)  # a malformed id is a typing mistake, told before the store is read
        except ApprovalError as exc:
            raise UsageError(visible(str(exc))) from None
    store = open_state(args, "approvals")
    if isinstance(store, int):
        return store
    try:
        return _run(args, store)
    finally:
        if store is not None:
            store.close()


def _run(args: argparse.Namespace, store: Any) -> int:
    from policytui.gateway.approvals import ApprovalError, ApprovalQueue
    from policytui.gateway.store import StateUnavailable
    from policytui.gateway.store.memory import MemoryStore

    # No state folder yet: an empty queue, and nothing created by merely looking.
    queue = ApprovalQueue(store if store is not None else MemoryStore())
    try:
        return _act(args, queue, _store_read(args, store))
    except ApprovalError as exc:
        return failed(args, "approvals", f"{exc}.")
    except StateUnavailable as exc:
        return failed(args, "approvals", _sentence(str(exc)))


def _store_read(args: argparse.Namespace, store: Any) -> str:
    """Which store was read, for "nothing is waiting": a gateway started with another store
    may hold calls, and an empty list would read as none anywhere."""
    from policytui.gateway.state import default_state_dir
    from policytui.textsafe import visible

    if store is not None:
        return f"in {visible(store.description)}"
    folder = Path(args.state_dir).expanduser() if args.state_dir else default_state_dir()
    return f"in {visible(str(folder))}, which no gateway has used yet"


def _act(args: argparse.Namespace, queue: Any, store_read: str) -> int:
    from policytui.textsafe import visible

    if args.action == "list":
        waiting = queue.pending()
        if args.json:
            json_out(args, [_summary(r) for r in waiting])  # ASCII only (see json_out)
            return 0
        if not waiting:
            _out(f"No calls are waiting for approval {store_read} (a gateway started with another "
                 "--state or --state-dir keeps its own).")
            return 0
        now = time.time()
        for request in waiting:
            args_text = _arguments_line(request.arguments)
            _out(
                f"{request.id}  {visible(request.tool)}  on {visible(request.server or '?')}  "
                f"grant {visible(request.grant)}  {int(request.seconds_left(now))} s left"
            )
            _out(f"    why: {visible(request.reason)}")
            _out(f"    arguments: {visible(args_text)}")
        same_store = _state_options(args)
        _out(f"Answer with: policytui approvals approve ID{same_store}  (or reject ID)")
        return 0

    if args.action == "show":
        return _show(args, queue)
    return _answer(args, queue, args.action == "approve")


def _show(args: argparse.Namespace, queue: Any) -> int:
    from policytui.gateway.approvals import WITHDRAWN, WITHDRAWN_BY_STOP, ApprovalError
    from policytui.textsafe import visible

    try:
        request = queue.get(args.id)
    except ApprovalError as exc:  # no such call: still one object, as approve and reject print
        if not args.json:
            raise
        sentence = _sentence(str(exc)[:1].upper() + str(exc)[1:])
        json_out(args, {"id": args.id, "found": False, "decision": None, "result": None, "message": sentence})
        print(f"policytui approvals: {exc}.", file=sys.stderr)
        return 1
    if args.json:
        # Whole, whatever its size: JSON is for programs (ASCII only, as for `list`). With what
        # was decided and what became of the call, as the text says.
        data = {"found": True, **request.to_json()}
        decided, result = queue.decision(args.id), queue.result(args.id)
        data["decision"] = None if decided is None else {"outcome": decided.outcome, "by": decided.by or None}
        data["result"] = None if result is None else {"outcome": result.outcome, "reason": result.reason or None}
        if decided is None:
            data["seconds_left"] = round(request.seconds_left(), 1)
        json_out(args, data)
        return 0
    _out(f"id: {request.id}")
    _out(f"tool: {visible(request.tool)}")
    _out(f"server: {visible(request.server)}")
    _out(f"grant: {visible(request.grant)}  session: {visible(request.session)}")
    _out(f"why: {visible(request.reason)}  (rule {visible(request.rule)})")
    decided = queue.decision(args.id)
    if decided is None:
        _out(f"time left: {int(request.seconds_left())} s")
    elif decided.outcome == WITHDRAWN and decided.by == WITHDRAWN_BY_STOP:
        _out("withdrawn: its gateway was stopped before anyone answered; nothing to answer")
    elif decided.outcome == WITHDRAWN:
        _out("withdrawn by its client (it cancelled the call or went away): nothing to answer")
    else:
        _out(f"decided: {decided.outcome.replace('_', ' ')}" + (f" by {visible(decided.by)}" if decided.by else ""))
    result = queue.result(args.id)
    if result is not None and result.outcome in _RESULT_WORDS:
        why = f": {visible(result.reason)}" if result.outcome == "not_sent" and result.reason else ""
        _out(f"then: {_RESULT_WORDS[result.outcome]}{why}")
    if result is not None and request.arguments is None:
        _out("arguments: not kept once the call was decided (the audit log has their args_sha256)")
        return 0
    _out("arguments:")
    if args.full:
        pretty = json.dumps(request.arguments, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        _out(visible(pretty, keep_newlines=True))
    else:
        for line in _argument_lines(request.arguments):
            _out(visible(line))
    return 0


# What `show` prints of a call's arguments unless told --full: each value (as compact JSON) cut
# after SHOW_VALUE_LIMIT characters, and the first SHOW_ARGUMENTS arguments by name. A client
# may send 8 MiB of arguments, which would scroll the rest of the call out of the terminal (or
# take minutes to print); each value is cut on its own so one long value cannot hide the others.
SHOW_VALUE_LIMIT = 2000
SHOW_ARGUMENTS = 100
FULL_HINT = "--full to print all"


def _argument_lines(arguments: Any) -> list[str]:
    """One line per argument, `"name": value`, each value cut on its own; what is left out is
    counted, and named with the option that shows it."""
    if not isinstance(arguments, dict):
        return [f"  {_cut(json.dumps(arguments, ensure_ascii=False, sort_keys=True, default=str))}"]
    if not arguments:
        return ["  (none)"]
    names = sorted(arguments, key=str)
    lines = []
    for name in names[:SHOW_ARGUMENTS]:
        value = json.dumps(arguments[name], ensure_ascii=False, sort_keys=True, default=str)
        lines.append(f"  {_cut(json.dumps(str(name), ensure_ascii=False))}: {_cut(value)}")
    if len(names) > SHOW_ARGUMENTS:
        lines.append(f"  … ({len(names) - SHOW_ARGUMENTS:,} more arguments; {FULL_HINT})")
    return lines


def _cut(text: str) -> str:
    hidden = len(text) - SHOW_VALUE_LIMIT
    if hidden <= 0:
        return text
    return f"{text[:SHOW_VALUE_LIMIT]}… ({hidden:,} more characters; {FULL_HINT})"


# How `show` words what became of a decided call.
_RESULT_WORDS = {
    "sent": "sent to the server",
    "not_sent": "not sent",
    "withdrawn": "not sent: its client cancelled it or went away",
}


def _answer(args: argparse.Namespace, queue: Any, approve: bool) -> int:
    """Approve or reject, and say what happened: for an approval, whether the call was then
    sent (the gateway says so in the call's record; this waits for it). Exit 0 only when what
    was asked for happened: the call was approved and sent, or was rejected. With `--json`
    the same is printed as one JSON object (`done` says whether it happened), and a failure's
    sentence still goes to standard error."""
    from policytui.gateway.approvals import ApprovalError

    try:
        done, sentence, facts = _answered(args, queue, approve)
    except ApprovalError as exc:  # no such call: still one object, as the help promises
        if not args.json:
            raise
        done, sentence = False, _sentence(str(exc)[:1].upper() + str(exc)[1:])
        facts = {"decision": None, "by": None, "mine": False, "result": None, "reason": None}
    if args.json:
        json_out(args, {"id": args.id, "asked": "approve" if approve else "reject", "done": done,
                        **facts, "message": sentence})
        if not done:
            print(f"policytui approvals: {sentence[:1].lower() + sentence[1:]}", file=sys.stderr)
        return 0 if done else 1
    if done:
        _out(sentence)
        return 0
    return _fail(sentence[:1].lower() + sentence[1:].rstrip("."))


def _answered(args: argparse.Namespace, queue: Any, approve: bool) -> tuple[bool, str, dict[str, Any]]:
    """(whether what was asked for happened, the sentence that says what did, the facts:
    `decision`, `by`, `mine`, `result`, `reason`)."""
    from policytui.gateway import approvals as queue_mod

    # ctrl+c while the answer is being written is held until it is written (the store's own
    # time-outs bound that), then answered below: pressed once the answer was in the store and
    # before this command knew it, it ended the command without a word, which reads as an
    # approval taken back.
    pressed: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        decision = queue.answer(args.id, approve, by=_who())
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        if pressed:
            raise KeyboardInterrupt
        return _what_became_of(args, queue, approve, decision)
    except KeyboardInterrupt:
        # ctrl+c while waiting to hear whether the call was sent: the approval is written and
        # stands (only the first decision does), so stopping must not read as taking it back.
        if decision.mine and decision.outcome == queue_mod.APPROVED:
            said = (f"interrupted: call {args.id} is approved all the same (an answer cannot be taken "
                    f"back) and its gateway may send it; `policytui approvals show {args.id}"
                    f"{_state_options(args)}` says whether it did.")
            print(f"policytui approvals: {said}", file=sys.stderr)
            args.interrupted = (said, {"decision": decision.outcome, "by": decision.by or None, "mine": True})
        raise


def _what_became_of(args: argparse.Namespace, queue: Any, approve: bool, decision: Any) -> tuple[bool, str, dict[str, Any]]:
    """`_answered` once `decision` is in the store: what it was, and for an approval, whether
    the call was then sent."""
    from policytui.gateway import approvals as queue_mod
    from policytui.textsafe import visible

    facts: dict[str, Any] = {"decision": decision.outcome, "by": decision.by or None,
                             "mine": bool(decision.mine), "result": None, "reason": None}
    call = f"Call {args.id}"
    if decision.outcome == queue_mod.WITHDRAWN and decision.by == queue_mod.WITHDRAWN_BY_STOP:
        return False, (f"{call} was withdrawn: its gateway was stopped before anyone answered; "
                       "it was never sent."), facts
    if decision.outcome == queue_mod.WITHDRAWN:
        return False, (f"{call} was withdrawn by its client (it cancelled the call or went away) "
                       "before anyone answered; it was never sent."), facts
    if decision.outcome == queue_mod.TIMED_OUT:
        return False, f"{call} timed out before anyone answered; it was never sent.", facts
    if decision.outcome not in (queue_mod.APPROVED, queue_mod.REJECTED):
        return False, f"{call} was already decided: {visible(decision.outcome.replace('_', ' '))}.", facts
    # Someone else's answer came first: say whose, rather than that no call is waiting.
    first = "" if decision.mine else f"was already {decision.outcome} by {visible(decision.by) or 'someone else'}"
    if decision.outcome == queue_mod.REJECTED:
        if decision.mine:
            return True, f"{call} rejected; it will not be sent.", facts
        if approve:
            return False, f"{call} {first}; it was never sent.", facts
        return True, f"{call} {first}; it will not be sent.", facts
    result = queue.wait_for_result(args.id)
    facts["result"] = result.outcome
    facts["reason"] = result.reason or None
    # An answer that came after another one says that the call already was approved, and by whom.
    approved = "was approved" if decision.mine else f"was already approved by {visible(decision.by) or 'someone else'}"
    if result.sent:
        if not approve:
            return False, f"{call} {first} and sent to the server before your rejection.", facts
        return True, (f"{call} approved and sent to the server." if decision.mine
                      else f"{call} {first} and sent to the server."), facts
    if result.outcome == queue_mod.WITHDRAWN:
        return False, (f"{call} {approved}, but its client cancelled it or went away before it could "
                       "be sent; it was never sent."), facts
    if result.outcome == queue_mod.NOT_SENT:
        why = visible(result.reason).rstrip(".") or "no reason given"  # the sentence ends it
        return False, f"{call} {approved}, but the gateway did not send it: {why}.", facts
    if result.outcome == queue_mod.GATEWAY_STOPPED:
        return False, (f"{call} {approved}, but its gateway (process {visible(result.reason)}) stopped "
                       "before sending it; it was never sent."), facts
    if result.outcome == queue_mod.RECORD_LOST:
        return False, (f"{call} {approved}, but its record left the state store before its gateway "
                       "said whether it sent it; see the gateway's audit log."), facts
    return False, (f"{call} {approved}, but its gateway has not said within "
                   f"{queue_mod.RESULT_WAIT:g} s whether it sent it; see the gateway's audit log."), facts


def _fail(sentence: str) -> int:
    print(f"policytui approvals: {sentence}.", file=sys.stderr)
    return 1


# How much of each argument's value `list` shows. Each is cut on its own: one long argument
# (a padding key that sorts first) must not push the others out of sight; `show ID` has them all.
LIST_VALUE_LIMIT = 60


def _arguments_line(arguments: Any) -> str:
    from policytui.textsafe import clip

    if not isinstance(arguments, dict):
        return clip(json.dumps(arguments, ensure_ascii=False, default=str), LIST_VALUE_LIMIT)
    shown = []
    for key in sorted(arguments, key=str):
        value = json.dumps(arguments[key], ensure_ascii=False, sort_keys=True, default=str)
        shown.append(f"{clip(json.dumps(str(key), ensure_ascii=False), LIST_VALUE_LIMIT)}: {clip(value, LIST_VALUE_LIMIT)}")
    return "{" + ", ".join(shown) + "}"


def _state_options(args: argparse.Namespace) -> str:
    """The store options this command was given, to repeat in the command it suggests."""
    import shlex

    shown = ""
    if args.state_dir:
        shown += f" --state-dir {shlex.quote(os.path.abspath(os.path.expanduser(args.state_dir)))}"
    if args.state:
        from policytui.gateway.store import describe_url

        # Without a Redis password: the suggestion is printed, and may be pasted anywhere.
        shown += f" --state {shlex.quote(describe_url(args.state))}"
    return shown


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        return ""


def _summary(request: object) -> dict[str, object]:
    data = dict(request.to_json())  # type: ignore[attr-defined]
    data["seconds_left"] = round(request.seconds_left(), 1)  # type: ignore[attr-defined]
    return data
