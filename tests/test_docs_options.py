"""The options the docs name are the ones the installed `policytui` has: every `--option`
written after `policytui COMMAND` in README.md, docs/gateway.md, docs/policy.md and
docs/replay.md is in that command's `--help`, and the gateway's options table lists every
option `gateway --help` offers. A renamed or removed option fails here, not in a user's shell.
Examples the docs show are run as written, and must do what the page says beside them."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICYTUI = str(Path(sys.executable).parent / "policytui")
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
COMMANDS = ("connect serve validate fmt check schema servers tools snapshot init export gateway "
            "replay approvals counters").split()
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


@functools.cache
def _help(command: str) -> str:
    shown = subprocess.run([POLICYTUI, command, "--help"], capture_output=True, text=True, timeout=60, check=True)
    return shown.stdout


def _commands_written(text: str) -> list[tuple[str, str, str]]:
    """(command, option, where) for every `--option` after `policytui COMMAND` in inline code and
    shell blocks; what follows ` -- ` (the server's own command line) is the server's, and a
    `#` comment or a pipe ends the command."""
    spans = re.findall(r"`([^`\n]+)`", text)
    spans += [line for block in re.findall(r"```(?:sh)?\n(.*?)```", text, re.S) for line in block.splitlines()]
    found = []
    for span in spans:
        for written in re.finditer(r"policytui (\w[\w-]*)((?: [^#|;&]*)?)", span):
            command, rest = written.group(1), written.group(2).split(" -- ")[0]
            if command in COMMANDS:
                found += [(command, option, span) for option in OPTION.findall(rest)]
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_every_option_a_doc_writes_after_a_command_is_in_its_help(doc: str) -> None:
    written = _commands_written((ROOT / doc).read_text(encoding="utf-8"))
    assert written, f"{doc} names no option of a command: the scan is broken"
    missing = [(command, option, where) for command, option, where in written
               if not re.search(re.escape(option) + r"\b", _help(command))]
    assert not missing, missing


def test_the_gateway_options_table_lists_every_option_of_its_help() -> None:
    text = (ROOT / "docs/gateway.md").read_text(encoding="utf-8")
    table = text.split("### Options", 1)[1].split("\n\n", 2)[1]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `--")]
    listed = {option for row in rows for option in OPTION.findall(row)}
    offered = set(OPTION.findall(_help("gateway").split("options:", 1)[1])) - {"--help"}
    assert offered - listed == set()
    assert listed - offered == set()


def test_the_intercept_export_example_is_what_export_prints(tmp_path: Path) -> None:
    """docs/gateway.md's export example, run as written on the policy it names."""
    text = (ROOT / "docs/gateway.md").read_text(encoding="utf-8")
    example = re.search(r"For a policy `(\{.*?\})`, `(policytui export [^`]+)` says:\n\n```\n(.*?)```",
                        text, re.S)
    assert example, "docs/gateway.md has no export example"
    policy, command, shown = " ".join(example.group(1).split()), example.group(2), example.group(3)
    (tmp_path / "policy.json").write_text(policy, encoding="utf-8")
    done = subprocess.run([POLICYTUI, *command.split()[1:]], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == shown
    assert (tmp_path / "policy.yaml").exists()


def _anchors(doc: Path) -> set[str]:
    """The anchors GitHub makes of a Markdown file's headings."""
    headings = re.findall(r"^#+ (.+)$", doc.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", DOCS)
def test_every_link_between_the_docs_leads_somewhere(doc: str) -> None:
    path = ROOT / doc
    broken = []
    for link in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
        if link.startswith(("http://", "https://")):
            continue
        file, _, anchor = link.partition("#")
        target = path.parent / file if file else path
        if not target.exists() or (anchor and target.suffix == ".md" and anchor not in _anchors(target)):
            broken.append(link)
    assert not broken, broken


@pytest.mark.parametrize("doc", DOCS)
def test_no_doc_installs_policytui_by_name_from_a_package_index(doc: str) -> None:
    # policytui is not published under its name: `pip install policytui` in a pasted example would
    # fetch whatever an index serves under that name into a gateway that sees every call.
    text = (ROOT / doc).read_text(encoding="utf-8")
    by_name = re.findall(r"(?:pip|pipx|uv pip) install(?: -\S+)* policytui\b(?![-\w./*])", text)
    assert not by_name, by_name


def test_every_pin_option_says_it_pins_whatever_the_policy_says() -> None:
    """`--pin` of gateway, check and replay does one thing (docs/gateway.md: "whatever the
    policy's x-policytui.pin says"), a tool with no approved definition denied too: each
    command's help says both, so none reads as a switch the policy can turn off, or as one that
    lets a tool never approved through."""
    for command in ("gateway", "check", "replay"):
        found = re.search(r"^  --pin\b(.*?)(?=^  -|^\S|\Z)", _help(command), re.S | re.M)
        assert found, command
        text = " ".join(found.group(1).split())
        assert "whatever the polic" in text, (command, text)
        assert "no definition" in text or "approves no" in text or "none approved" in text, (command, text)


def test_replay_help_names_every_way_the_gate_fails() -> None:
    """docs/replay.md's exit code: a call that was allowed and is now denied, or cannot be
    decided without its arguments, or is let through a limit whose count before the recording
    is unknown, fails the gate (exit 1); `replay --help` says all three."""
    docs = (ROOT / "docs/replay.md").read_text(encoding="utf-8")
    assert "limit whose count before the recording is unknown" in docs
    text = " ".join(_help("replay").split("exit codes:", 1)[1].split())
    assert "would be denied" in text and "without its arguments" in text, text
    assert "count before the recording" in text, text


def test_the_serve_examples_that_promise_a_warning_print_one(tmp_path: Path) -> None:
    """docs/tui.md's `policytui serve` examples, run as written (with `--offline --no-open`, so
    no Docker and no browser): a line whose comment promises a warning serves and prints it,
    rather than refusing an address that is not this machine's."""
    from serve_support import Served

    text = (ROOT / "docs/tui.md").read_text(encoding="utf-8")
    block = text.split("## In a browser (`policytui serve`)", 1)[1].split("```", 2)[1]
    promised = [line.split("#")[0].split() for line in block.splitlines() if "prints a warning" in line]
    assert promised, "docs/tui.md shows no serve example that warns"
    for command in promised:
        served = Served([*command[2:], "--offline", "--no-open"], cwd=tmp_path, env={"HOME": str(tmp_path)})
        try:
            assert "/?token=" in served.url
        finally:
            assert served.stop() == 130
        assert "policytui serve: warning: listening on" in "".join(served.stderr), (command, served.stderr)


def test_the_blind_labeller_lines_docs_quote_are_what_the_scoreboard_prints() -> None:
    """docs/risk.md quotes the lines the scoreboard prints under its table for the test half
    against the blind second labeller; they are today's, not a round's before."""
    text = (ROOT / "docs/risk.md").read_text(encoding="utf-8")
    quoted = text.split("Against a blind second labeller (below), the scoreboard prints under its table:", 1)[1]
    quoted = quoted.split("```", 2)[1].strip("\n")
    shown = subprocess.run([sys.executable, str(ROOT / "bench/scoreboard.py"), "--split", "test"],
                           capture_output=True, text=True, timeout=300, check=True, cwd=ROOT).stdout
    assert quoted in shown, quoted


def _run_as_written(command: str, cwd: Path, *, servers: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A doc's line run by the shell, as a reader pastes it, with the installed `policytui` on
    PATH, in a fresh home, with Docker out of reach, so the Kestra catalogue entry opens on its
    built-in snapshot as README says it does where Docker cannot run, and standard input no
    terminal; `servers`, a folder of server commands, is on PATH too, as a reader's global npm
    install puts them."""
    import os

    env = {**os.environ, "HOME": str(cwd), "POLICYTUI_CONFIG_DIR": str(cwd / "config"),
           "XDG_CONFIG_HOME": str(cwd / "xdg"), "POLICYTUI_STATE_DIR": str(cwd / "state"),
           "DOCKER_HOST": f"unix://{cwd}/no-docker.sock",
           "PATH": os.pathsep.join([str(Path(POLICYTUI).parent), *([str(servers)] if servers else []),
                                    os.environ.get("PATH", "")])}
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                          check=False, cwd=cwd, env=env, stdin=subprocess.DEVNULL)


def test_the_readme_tour_runs_as_written_where_docker_cannot(tmp_path: Path) -> None:
    """README's short tour, line by line as a newcomer types it (the lines that need no live
    server: the editor, the gateway and replay are run by their own tests): each exits as the
    exit-code table says, writes the file it names, and `init` ends with the line README quotes."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## A short tour", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    tour = [line for line in lines if line.split()[1] in ("servers", "tools", "init", "validate", "check", "export")]
    assert len(tour) == 7, tour
    quoted = re.search(r"ends with one line on standard error, `(wrote [^`]+)`", " ".join(text.split()))
    assert quoted, "README quotes no closing line"
    expected_exit = {"check": 1}  # the call waits for approval: "the answer is no"
    for line in tour:
        done = _run_as_written(line, tmp_path)
        command = line.split()[1]
        assert done.returncode == expected_exit.get(command, 0), (line, done.stderr)
        assert "Traceback" not in done.stderr, line
        written = re.search(r"-o (\S+)", line)
        if written:
            assert (tmp_path / written.group(1)).is_file(), line
            assert done.stderr.strip().splitlines()[-1].startswith(f"wrote {written.group(1)} ("), done.stderr
        if command == "init":
            assert done.stderr.strip().splitlines()[-1] == quoted.group(1)
        if command == "check":
            assert done.stdout.startswith("needs_approval: "), done.stdout


def test_the_failures_the_readme_quotes_are_said_as_quoted(tmp_path: Path) -> None:
    """README's examples of a failure's sentence, and of a policy's problem reported by
    `validate`, `fmt` and `check` on standard output, are what the command prints."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    said = re.search(r"naming what is at fault \(`(policytui (\w+): no server named '(\w+)'[^`]*)`\)", text)
    assert said, "README quotes no failure sentence"
    done = _run_as_written(f"policytui {said.group(2)} {said.group(3)}", tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == said.group(1), done.stderr
    report = re.search(r"\(`(policytui fmt [^`]+)`, with no such file: `([^`]+)`\)", text)
    assert report, "README shows no report of a missing policy file"
    done = _run_as_written(report.group(1), tmp_path)
    assert done.returncode == 1 and done.stdout.strip() == report.group(2), (done.stdout, done.stderr)


NEEDS_A_TERMINAL = ("policytui connect: the editor needs a terminal, and standard input is not one; "
                    "run it in a terminal, or use `policytui tools` or `policytui check` in scripts.")


@pytest.mark.parametrize(("doc", "at_least"), [("docs/tui.md", 4), ("docs/servers.md", 3)])
def test_the_first_examples_of_a_page_run_in_order_in_a_fresh_folder(tmp_path: Path, doc: str, at_least: int) -> None:
    """The example block a page opens with, line by line in a fresh folder as a newcomer pastes
    it (the lines that reach a URL or npm aside: no network here): each line that only prepares
    (`snapshot`, `mkdir`) or lists (`tools`) exits 0, and each `connect` gets past its own
    arguments (its server, its snapshot file, its policy's folder, its theme) to the one thing
    missing in a test, a terminal. An example whose file or folder the page never made fails
    here as it fails in the reader's shell."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    block = re.search(r"```(?:sh)?\n(.*?)```", text, re.S)
    assert block, f"{doc} opens with no example block"
    lines = [line.split("  #")[0].strip() for line in block.group(1).replace("\\\n", " ").splitlines()]
    runnable = [line for line in lines if line and "://" not in line and "npx" not in line]
    assert len(runnable) >= at_least, f"the scan of {doc} is broken: {runnable}"
    for line in runnable:
        done = _run_as_written(line, tmp_path)
        assert "Traceback" not in done.stderr, (line, done.stderr)
        if line.startswith("policytui connect"):
            assert (done.returncode, done.stderr.strip()) == (2, NEEDS_A_TERMINAL), (line, done.stderr)
        else:
            assert done.returncode == 0, (line, done.stderr)


def test_the_gateway_serves_the_requests_file_its_page_shows(tmp_path: Path, everything: Path) -> None:
    """gateway.md's "From a file" example as a reader follows it: the requests file the page
    shows, its two commands run as written, and the answer and audit line the page quotes; a
    recording given as the input instead is refused line by line as the page says."""
    import json

    section = (ROOT / "docs/gateway.md").read_text(encoding="utf-8").split("### From a file", 1)[1].split("\n### ", 1)[0]
    shown = re.search(r"With `(\S+)` holding\s+```json\n(.*?)```", section, re.S)
    assert shown, "the page shows no requests file"
    (tmp_path / shown.group(1)).write_text(shown.group(2), encoding="utf-8")
    commands = re.search(r"```sh\n(.*?)```", section, re.S)
    assert commands, "the page shows no command"
    for line in commands.group(1).splitlines():
        done = _run_as_written(line, tmp_path, servers=everything.parent)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (line, done.stderr)
    prose = " ".join(section.split())
    answer = re.search(r"holds the server's `initialize` answer and `(\{.*?\})`", prose)
    assert answer, "the page quotes no answer"
    answers = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a.get("id") for a in answers] == [1, 2] and "result" in answers[0], answers
    assert answers[1] == json.loads(answer.group(1)), answers[1]
    audited = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(a["tool"], a["decision"]) for a in audited if a["decision"] != "probe"][-1] == ("echo", "allowed"), audited

    refused = re.search(r"each of its lines is refused, `([^`]+)`", prose)
    assert refused, "the page says nothing of a recording given as the input"
    recorded = {"time": "2026-12-07T19:58:07.446Z", "server": "mcp-server-everything", "grant": "default",
                "session": "743fb5afdb4a", "tool": "echo", "decision": "allowed", "rule": "tools.echo",
                "reason": "", "arguments": {"message": "hi"}}
    (tmp_path / "calls.jsonl").write_text(json.dumps(recorded) + "\n", encoding="utf-8")
    line = commands.group(1).splitlines()[-1].replace(shown.group(1), "calls.jsonl").replace("answers.jsonl", "wrong.jsonl")
    done = _run_as_written(line, tmp_path, servers=everything.parent)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads((tmp_path / "wrong.jsonl").read_text(encoding="utf-8"))["error"]["message"] == refused.group(1)


def test_each_command_the_readme_says_ends_with_a_wrote_line_does(tmp_path: Path) -> None:
    """README names the commands whose last line is `wrote FILE (...)`; each, run on the tour's
    files, ends so (`fmt` on a policy not yet in its canonical form). The editor, which saves
    as often as asked and says so on its screen, is not among them."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    named = re.search(r"Every command that writes a file named on its command line \(([^)]*)\) ends with one "
                      r"line on standard error, `wrote ", text)
    assert named, "README does not say which commands end with a `wrote` line"
    commands = re.findall(r"`(\w+)`", named.group(1))
    assert commands == ["init", "snapshot", "export", "fmt"], commands
    (tmp_path / "loose.json").write_text('{"version":"1","default":"deny"}', encoding="utf-8")
    runs = {"init": "policytui init kestra --offline -o policy.json",
            "snapshot": "policytui snapshot kestra --offline -o kestra-snapshot.json",
            "export": "policytui export policy.json --format cedar -o authz.json",
            "fmt": "policytui fmt loose.json"}
    for command in commands:
        done = _run_as_written(runs[command], tmp_path)
        assert done.returncode == 0, (command, done.stderr)
        assert re.fullmatch(r"wrote \S+ \(.+\)", done.stderr.strip().splitlines()[-1]), (command, done.stderr)


def test_what_the_readme_says_of_a_wrong_replay_file_for_the_editor_holds(tmp_path: Path) -> None:
    """README's exit-code table: `connect --replay` refuses a missing recording at once (exit 2,
    one sentence), while a file that is there but no recording (the policy, given in its place)
    is no reason to refuse the editor: it gets as far as the terminal, where its Replay tab says
    why (the recording is read after the editor paints, and tests/test_replay_tab_tmux.py
    shows the tab)."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert re.search(r"`connect --replay` and `serve --replay` \(missing or a folder: a file there that holds "
                     r"no recording, a policy given by mistake, opens the editor with its Replay tab saying why\)",
                     text), "README does not say what the editor does with a file that is no recording"
    (tmp_path / "policy.json").write_text('{"version": "1", "default": "deny"}\n', encoding="utf-8")
    done = _run_as_written("policytui connect kestra --offline --replay calls.jsonl", tmp_path)
    assert (done.returncode, done.stderr.strip()) == (2, "policytui connect: calls.jsonl does not exist."), done.stderr
    done = _run_as_written("policytui connect kestra --offline --replay policy.json", tmp_path)
    assert (done.returncode, done.stderr.strip()) == (2, NEEDS_A_TERMINAL), done.stderr
