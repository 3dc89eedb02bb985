"""Starting with a state store that cannot work: one sentence, the documented exit code.

Exit 2: the `--state` URL itself is wrong. Exit 1: the store refuses us (a state file that
cannot be created, a Redis that refuses the credentials or has no such database). Never a
traceback, never a password in the message. Run through the installed command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from state_support import POLICYTUI, RedisServer, cli, free_port, write_policy
from test_state_locked_file import locked

pytestmark = pytest.mark.usefixtures("one_window")

POLICY = {"version": "1", "default": "allow"}


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return write_policy(tmp_path / "policy.json", POLICY)


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", "--requirepass", "right-password").start()
    try:
        yield server
    finally:
        server.stop()


def _gateway(policy: Path, tmp: Path, *state: str) -> tuple[int, str]:
    # The server after -- is never started: the state store is checked first.
    done = cli("gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"), *state, "--", "false")
    return done.returncode, done.stderr


def _one_sentence(stderr: str, command: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"policytui {command}: ")
    return lines[0]


@pytest.mark.parametrize(
    "url, words",
    [("mysql://db", "not a mysql:// URL."), ("redis://localhost:99999/0", "port must be a number"), ("memory://now", "memory://"),
     # A scheme mistyped is named with the one meant (before, only the list of forms).
     ("sqlit:///var/lib/state.sqlite", "not a sqlit:// URL; did you mean sqlite://?"),
     ("sqlite3:///var/lib/state.sqlite", "not a sqlite3:// URL; did you mean sqlite://?"),
     ("redsi://localhost:6379/0", "not a redsi:// URL; did you mean redis://?"),
     # An escape sequence in the scheme is shown, not sent to the terminal (before, it was).
     ("\x1b[31mred://x", "not a \\x1b[31mred:// URL."),
     # A digit to str.isdigit that no database number is: before, it was taken.
     ("redis://localhost:6379/²", "the database after the host must be a number"),
     # Before, the option became part of the file's name (a state file `state.sqlite?mode=ro`).
     ("sqlite:///var/lib/state.sqlite?mode=ro",
      "sqlite:// takes the state file's path and no options (?...), not 'sqlite:///var/lib/state.sqlite?mode=ro'.")],
)
def test_a_bad_state_url_is_a_usage_error(policy: Path, tmp_path: Path, url: str, words: str) -> None:
    code, stderr = _gateway(policy, tmp_path, "--state", url)
    assert code == 2
    assert words in _one_sentence(stderr, "gateway")
    for command in ("approvals", "counters"):
        done = cli(command, "--state", url)
        assert done.returncode == 2
        assert words in _one_sentence(done.stderr, command)


@pytest.mark.parametrize("url, shown", [("foo://x", "not a foo:// URL."), ("state.sqlite", "not 'state.sqlite'.")])
def test_a_bad_state_url_names_only_the_stores_the_command_takes(policy: Path, tmp_path: Path, url: str, shown: str) -> None:
    # The gateway keeps its state in memory on memory://; approvals and counters read another
    # process's store and refuse memory://, so their list leaves it out (before, it was there).
    _, stderr = _gateway(policy, tmp_path, "--state", url)
    assert _one_sentence(stderr, "gateway") == (
        f"policytui gateway: --state wants memory://, sqlite:///PATH or redis://HOST:PORT/DB, {shown}")
    for command in ("approvals", "counters"):
        done = cli(command, "--state", url)
        assert done.returncode == 2
        assert _one_sentence(done.stderr, command) == (
            f"policytui {command}: --state wants sqlite:///PATH or redis://HOST:PORT/DB, {shown}")
    # A scheme near memory is not offered to a command that refuses it.
    done = cli("counters", "--state", "memroy://")
    assert _one_sentence(done.stderr, "counters") == (
        "policytui counters: --state wants sqlite:///PATH or redis://HOST:PORT/DB, not a memroy:// URL.")


def test_a_state_file_that_cannot_be_created_stops_the_start(policy: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder would go")
    code, stderr = _gateway(policy, tmp_path, "--state", f"sqlite://{blocker}/state.sqlite")
    assert code == 1
    assert "cannot open the state file" in _one_sentence(stderr, "gateway")
    done = cli("counters", "--state", f"sqlite://{blocker}/state.sqlite")
    assert done.returncode == 1
    assert "cannot open the state file" in _one_sentence(done.stderr, "counters")
    # The default file in a state folder where a folder stands in its way.
    (tmp_path / "state" / "state.sqlite").mkdir(parents=True)
    code, stderr = _gateway(policy, tmp_path)
    assert code == 1
    assert "cannot open the state file" in _one_sentence(stderr, "gateway")
    # A state folder that cannot be created at all.
    done = cli("gateway", "--policy", str(policy), "--state-dir", str(blocker / "state"), "--", "false")
    assert done.returncode == 1
    assert "cannot create the state folder" in _one_sentence(done.stderr, "gateway")


def test_a_redis_that_refuses_the_credentials_stops_the_start(
    policy: Path, tmp_path: Path, locked_redis: RedisServer
) -> None:
    no_password = locked_redis.url
    wrong = f"redis://:wrong-password@127.0.0.1:{locked_redis.port}/0"
    for url in (no_password, wrong):
        code, stderr = _gateway(policy, tmp_path, "--state", url)
        assert code == 1
        line = _one_sentence(stderr, "gateway")
        assert "refused the credentials" in line and "wrong-password" not in line
    done = cli("approvals", "--state", wrong)
    assert done.returncode == 1 and "refused the credentials" in _one_sentence(done.stderr, "approvals")
    # The right password works, and nothing is written into what is shown.
    right = f"redis://:right-password@127.0.0.1:{locked_redis.port}/0"
    listed = cli("counters", "--json", "--state", right)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []


def test_a_redis_database_that_does_not_exist_stops_the_start(
    policy: Path, tmp_path: Path, locked_redis: RedisServer
) -> None:
    code, stderr = _gateway(policy, tmp_path, "--state", f"redis://:right-password@127.0.0.1:{locked_redis.port}/999")
    assert code == 1
    assert "has no such database" in _one_sentence(stderr, "gateway")


def test_looking_creates_nothing(tmp_path: Path) -> None:
    # The default folder, where no gateway has run yet: nothing waits, nothing is created.
    for command in ("approvals", "counters"):
        done = cli(command, env={"XDG_STATE_HOME": str(tmp_path / "state")})
        assert done.returncode == 0, done.stderr
    assert not (tmp_path / "state").exists()


def test_a_state_folder_named_that_is_not_there_is_said_not_shown_empty(tmp_path: Path) -> None:
    # A mistyped --state-dir: "no calls are waiting" would hide the calls that are.
    missing = tmp_path / "stat"
    for command in ("approvals", "counters"):
        done = cli(command, "--state-dir", str(missing))
        assert done.returncode == 1, done.stdout
        assert done.stdout == ""
        assert done.stderr == (f"policytui {command}: the state folder {missing} does not exist; "
                               "give the --state-dir the gateway was started with.\n")
    assert not missing.exists()


def test_a_state_file_named_that_is_not_there_is_said_not_shown_empty(tmp_path: Path) -> None:
    # A mistyped --state URL, as a mistyped --state-dir: the gateway creates its state file at
    # start, so one that is not there is a typo, not a store where nothing waits.
    missing = tmp_path / "state" / "stat.sqlite"
    missing.parent.mkdir()
    for command in ("approvals", "counters"):
        done = cli(command, "--state", f"sqlite://{missing}")
        assert done.returncode == 1, done.stdout
        assert done.stdout == ""
        assert done.stderr == (f"policytui {command}: the state file {missing} does not exist; "
                               "give the --state the gateway was started with.\n")
    assert not missing.exists()


def test_a_state_url_with_four_slashes_names_the_users_file_path(policy: Path, tmp_path: Path) -> None:
    """`sqlite:////PATH` (four slashes, as SQLAlchemy writes an absolute path) names /PATH: the
    gateway's `state:` line, its failure to open the file and what `counters` and `approvals`
    say of a file that is not there show /PATH. Before, each showed //PATH."""
    state = tmp_path / "state.sqlite"
    done = cli("gateway", "--policy", str(policy), "--log-level", "debug", "--state", f"sqlite:///{state}",
               "--", "false")
    assert f"state: sqlite://{state} (counters of" in done.stderr, done.stderr
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder would go")
    code, stderr = _gateway(policy, tmp_path, "--state", f"sqlite:///{blocker}/state.sqlite")
    assert code == 1
    assert _one_sentence(stderr, "gateway").startswith(
        f"policytui gateway: cannot open the state file {blocker}/state.sqlite: "), stderr
    missing = tmp_path / "missing" / "state.sqlite"
    missing.parent.mkdir()
    for command in ("approvals", "counters"):
        done = cli(command, "--state", f"sqlite:///{missing}")
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == (f"policytui {command}: the state file {missing} does not exist; "
                               "give the --state the gateway was started with.\n")


# Every `--json` form that reads the state store, and the object each prints when it cannot.
JSON_FORMS = [
    (("approvals", "list"), {}),
    (("approvals", "show", "abcdef0123456789"), {"id": "abcdef0123456789", "found": None, "decision": None,
                                                 "result": None}),
    (("approvals", "approve", "abcdef0123456789"), {"id": "abcdef0123456789", "asked": "approve", "done": False,
                                                    "decision": None, "by": None, "mine": False, "result": None,
                                                    "reason": None}),
    (("approvals", "reject", "abcdef0123456789"), {"id": "abcdef0123456789", "asked": "reject", "done": False,
                                                   "decision": None, "by": None, "mine": False, "result": None,
                                                   "reason": None}),
    (("counters",), {}),
]


def test_every_json_form_prints_one_object_when_the_store_cannot_be_read(tmp_path: Path) -> None:
    """A Redis on a closed port, a state file in a folder that does not exist or is not
    writable, a file where a folder must be, a file that is no database, a state folder that is
    not there, a wrong --state: before, `--json` printed nothing on standard output, and a
    script reading the answer as JSON failed on it. Now each prints exactly one object with the
    sentence as `message` (the fields of show, approve and reject as nothing is known) and exits
    as before; the text form keeps its one sentence on standard error and prints nothing."""
    unwritable = tmp_path / "read-only"
    unwritable.mkdir(mode=0o555)
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder would go")
    not_a_database = tmp_path / "state.sqlite"
    not_a_database.write_text("not a database, but long enough to be read as a header")
    stores = [
        (["--state", f"redis://127.0.0.1:{free_port()}/0"], 1),
        (["--state", f"sqlite://{tmp_path}/no-such-folder/state.sqlite"], 1),
        (["--state", f"sqlite://{unwritable}/state.sqlite"], 1),
        (["--state", f"sqlite://{blocker}/state.sqlite"], 1),
        (["--state", f"sqlite://{not_a_database}"], 1),
        (["--state-dir", str(tmp_path / "no-such-state")], 1),
        (["--state", "foo://x"], 2),
    ]
    for store, code in stores:
        for form, fields in JSON_FORMS:
            text = cli(*form, *store)
            assert text.returncode == code and text.stdout == "", (form, store, text.stdout)
            said = _one_sentence(text.stderr, form[0]).removeprefix(f"policytui {form[0]}: ")
            done = cli(*form, *store, "--json")
            assert done.returncode == code, (form, store, done.stdout, done.stderr)
            assert _one_sentence(done.stderr, form[0]) == f"policytui {form[0]}: {said}"
            answer = json.loads(done.stdout)
            message = said if said.startswith(("redis:", "--")) else said[:1].upper() + said[1:]
            assert answer == {**fields, "message": message}, (form, store)


# Holds the state file so that nothing else reads it either (a WAL file is otherwise read
# while another program writes): every form of approvals and counters waits for it.
READ_LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


def _has_open(process: subprocess.Popen[str], file: Path) -> bool:
    """Whether `process` has the state file or its folder open (the folder is locked while a
    process opens the file there): it is past its start, in the command, which waits for the
    file (a ctrl+c while Python starts is one before any command runs)."""
    wanted = {str(file.resolve()), str(file.parent.resolve())}
    try:
        return any(os.path.realpath(f"/proc/{process.pid}/fd/{fd}") in wanted
                   for fd in os.listdir(f"/proc/{process.pid}/fd"))
    except OSError:
        return False  # it ended, or a descriptor closed while listed


def test_ctrl_c_while_the_store_is_locked_prints_the_one_json_object_and_exits_130(tmp_path: Path) -> None:
    """ctrl+c (SIGINT) while every --json form waits for a state file another program holds:
    each exits 130 with one JSON object saying it was interrupted (the fields of show, approve
    and reject as nothing is known); before, standard output was empty. The text form still
    prints nothing, and neither writes to standard error."""
    from policytui.gateway.store import open_store

    file = tmp_path / "state.sqlite"
    open_store(f"sqlite://{file}", tmp_path, shared=True).close()
    # Each --json form, and one text form (the text forms share the path).
    runs = [(form, fields, True) for form, fields in JSON_FORMS] + [(*JSON_FORMS[0], False)]
    with locked(file, READ_LOCKER):
        processes = [subprocess.Popen([str(POLICYTUI), *form, "--state", f"sqlite://{file}",
                                       *(["--json"] if json_form else [])],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for form, _, json_form in runs]
        try:
            # Each interrupted once it waits for the file (or for the folder, while another
            # opens the file): on a loaded machine the last may start after the first gave up.
            waiting, deadline = list(processes), time.monotonic() + 60
            while waiting and time.monotonic() < deadline:
                for process in [p for p in waiting if _has_open(p, file)]:
                    process.send_signal(signal.SIGINT)
                    waiting.remove(process)
                assert all(p.poll() is None for p in waiting), "a command ended before it was interrupted"
                time.sleep(0.01)
            assert not waiting, f"{[p.args for p in waiting]} never opened {file}"
            done = [(process.wait(60), *process.communicate()) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    for (form, fields, json_form), (code, stdout, stderr) in zip(runs, done, strict=True):
        assert (code, stderr) == (130, ""), (form, json_form, code, stdout, stderr)
        if json_form:
            assert json.loads(stdout) == {**fields, "message": "Interrupted (ctrl+c) before the command finished."}, form
        else:
            assert stdout == "", form


@pytest.mark.servers
async def test_the_state_url_a_gateway_logs_is_one_every_command_takes_from_anywhere(
    tmp_path: Path, everything: Path
) -> None:
    """`--state-dir` relative to the gateway's folder: the start's `state:` line names the
    file by its absolute path, so `policytui counters --state URL` copied from it reads it."""
    from state_support import replica

    limited = {"version": "1", "default": "allow",
               "tools": {"echo": {"limits": [{"counter": "echo", "window": "day", "max": 5}]}}}
    policy = write_policy(tmp_path / "policy.json", limited)
    async with replica(tmp_path / "gw", policy, Path("gw-state"), everything) as (client, run):
        await client.call_tool("echo", {"message": "counted"})
    logged = run.log.read_text(encoding="utf-8")
    url = logged.split("state: ", 1)[1].split(" (counters of", 1)[0]
    assert url == f"sqlite://{tmp_path / 'gw' / 'gw-state' / 'state.sqlite'}", logged
    shown = cli("counters", "--json", "--state", url)
    assert shown.returncode == 0, shown.stderr
    assert [(u["counter"], u["used"]) for u in json.loads(shown.stdout)] == [("echo", 1)]


@pytest.mark.servers
async def test_counters_show_the_limit_each_counter_counts_against(tmp_path: Path, everything: Path) -> None:
    """Beside what each counter has used, the policy's maximum for it (several when tools'
    limits on one counter differ: the smallest refuses its tools first), so an operator can
    tell how close a tool is to being refused. Before, only the use was shown."""
    from state_support import replica

    limited = {"version": "1", "default": "allow",
               "all_tools": {"limits": [{"counter": "all", "window": "hour", "max": 100, "scope": "global"}]},
               "tools": {"echo": {"limits": [{"counter": "echoes", "window": "day", "max": 5}]},
                         "get-sum": {"limits": [{"counter": "echoes", "window": "day", "max": 3}]}}}
    policy = write_policy(tmp_path / "policy.json", limited)
    state = tmp_path / "state"
    async with replica(tmp_path / "gw", policy, state, everything) as (client, _run):
        await client.call_tool("echo", {"message": "counted"})
        await client.call_tool("echo", {"message": "counted"})

    shown = cli("counters", "--state-dir", str(state))
    assert shown.returncode == 0, shown.stderr
    table = [row.split() for row in shown.stdout.splitlines()]
    assert table[0] == ["POLICY", "COUNTER", "SCOPE", "WINDOW", "USED", "LIMIT", "RESETS", "IN"]
    rows = {row[1]: row for row in table[1:]}
    assert rows["all"][2:6] == ["global", "hour", "2", "100"], shown.stdout
    assert rows["echoes"][2:8] == ["grant", "default", "day", "2", "3,", "5"], shown.stdout
    listed = json.loads(cli("counters", "--json", "--state-dir", str(state)).stdout)
    assert sorted((u["counter"], u["used"], u["limits"]) for u in listed) == [("all", 2, [100]), ("echoes", 2, [3, 5])]

    # A limit taken out of the policy since: none; a policy that cannot be read: ? and why.
    write_policy(policy, {"version": "1", "default": "allow",
                          "tools": {"echo": {"limits": [{"counter": "echoes", "window": "day", "max": 5}]}}})
    listed = json.loads(cli("counters", "--json", "--state-dir", str(state)).stdout)
    assert sorted((u["counter"], u["limits"]) for u in listed) == [("all", []), ("echoes", [5])]
    assert " none " in cli("counters", "--state-dir", str(state)).stdout
    policy.write_text("{not json", encoding="utf-8")
    shown = cli("counters", "--state-dir", str(state))
    listed = json.loads(cli("counters", "--json", "--state-dir", str(state)).stdout)
    assert [u["limits"] for u in listed] == [None, None]
    assert shown.stdout.splitlines()[-1] == (
        f"A LIMIT of ? is one of a policy not read here ('{policy}': missing, invalid, or named "
        "without its file, which `--policy FILE` gives).")
