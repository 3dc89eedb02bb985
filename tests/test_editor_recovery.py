"""The recovery file an editor made to quit keeps its unsaved changes in: always a new file,
never a replaced one (nor the policy), 0600, the text a save would write, its credentials
starred as a save stars them; where the policy's folder takes no file, a folder of the user's
own. (Through the user's door: tests/test_tui_unsaved_tmux.py, tests/test_serve_unsaved.py.)"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from policytui.editor import EditorState
from policytui.editor.pins import set_pinning
from policytui.editor.recovery import (
    NotKept,
    keep_document,
    keep_unsaved,
    kept_versions,
    private_folder,
    recovery_name,
)
from policytui.policy.files import dumps_document
from policytui.toolinfo import ServerListing, ToolInfo

WHEN = datetime(2025, 1, 31, 23, 59, 58)
DOCUMENT = {"version": "1", "default": "deny", "tools": {"manage_flow": {"action": "deny"}}}
SECRET = "tok_QuotedBack_5d41402abc4b2a76"


@pytest.fixture(autouse=True)
def own_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder


def test_the_document_goes_beside_the_policy_in_a_new_private_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text("{}\n", encoding="utf-8")
    kept = keep_document(policy, DOCUMENT, now=WHEN)
    assert kept == tmp_path / "policy.json.unsaved-20250131-235958.json"
    assert kept.read_text(encoding="utf-8") == dumps_document(DOCUMENT)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert policy.read_text(encoding="utf-8") == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.json", kept.name]  # no temp left


def test_nothing_there_is_ever_replaced(tmp_path: Path) -> None:
    """A name taken in the same second, even by a link to another file, is left as it is."""
    policy = tmp_path / "policy.json"
    taken = tmp_path / recovery_name("policy.json", WHEN)
    taken.write_text("earlier\n", encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("victim\n", encoding="utf-8")
    (tmp_path / recovery_name("policy.json", WHEN, 2)).symlink_to(victim)
    kept = keep_document(policy, DOCUMENT, now=WHEN)
    assert kept.name == "policy.json.unsaved-20250131-235958-3.json"
    assert taken.read_text(encoding="utf-8") == "earlier\n"
    assert victim.read_text(encoding="utf-8") == "victim\n"
    assert json.loads(kept.read_text(encoding="utf-8")) == DOCUMENT


def test_a_folder_that_takes_no_file_sends_it_to_the_users_own(
    tmp_path: Path, own_state_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only policy folder (made so here: root could write to it all the same)."""
    policy = tmp_path / "readonly" / "policy.json"
    policy.parent.mkdir()
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        if Path(dir) == policy.parent:
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    kept = keep_document(policy, DOCUMENT, now=WHEN)
    assert kept.parent == private_folder(policy)
    assert own_state_folder in kept.parents
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert json.loads(kept.read_text(encoding="utf-8")) == DOCUMENT
    assert list(policy.parent.iterdir()) == []
    assert kept_versions(policy) == [kept]


def test_a_policy_that_is_a_device_keeps_nothing_in_dev(own_state_folder: Path) -> None:
    kept = keep_document(Path("/dev/null"), DOCUMENT, now=WHEN)
    assert kept.parent == private_folder(Path("/dev/null"))


def test_when_no_folder_takes_it_the_sentence_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(NotKept, match="permission denied"):
        keep_document(tmp_path / "policy.json", DOCUMENT, now=WHEN)


def test_kept_versions_are_listed_newest_first_and_only_this_policys(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    older = keep_document(policy, DOCUMENT, now=WHEN)
    os.utime(older, (1_000_000, 1_000_000))
    newer = keep_document(policy, DOCUMENT, now=datetime(2025, 2, 1))
    keep_document(tmp_path / "other.json", DOCUMENT, now=WHEN)
    (tmp_path / "elsewhere").mkdir()
    keep_document(tmp_path / "elsewhere" / "policy.json", DOCUMENT, now=WHEN)
    assert kept_versions(policy) == [newer, older]



@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user takes root")
def test_a_file_another_user_planted_at_a_recovery_name_is_not_named(tmp_path: Path) -> None:
    """In a folder others may write to, another user's file with a recovery name and a late
    time is not the newest kept version: the notice would send the author to it."""
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o1777)
    folder.chmod(0o1777)
    policy = folder / "policy.json"
    ours = keep_document(policy, DOCUMENT, now=WHEN)
    planted = folder / recovery_name("policy.json", datetime(2099, 12, 31))
    planted.write_text('{"version": "1", "default": "allow"}\n', encoding="utf-8")
    os.chown(planted, 65534, 65534)
    os.utime(planted, (4_000_000_000, 4_000_000_000))
    assert kept_versions(policy) == [ours]

def quoting_listing() -> ServerListing:
    tool = ToolInfo.from_wire({"name": "lookup", "description": "Looks things up with key " + SECRET,
                               "inputSchema": {"type": "object"}})
    return ServerListing(tools=[tool], server_name="quoter", secrets=(SECRET,))


def test_unsaved_edits_are_kept_as_a_save_writes_them_credentials_starred(tmp_path: Path) -> None:
    """A pinned policy keeps the approved definitions: the token a server quotes in one is
    starred in the recovery file exactly as in a saved policy."""
    state = EditorState.open(quoting_listing(), tmp_path / "policy.json")
    set_pinning(state, True)
    state.set_decision(["lookup"], "deny")
    assert state.dirty
    kept = keep_unsaved(state, now=WHEN)
    text = kept.read_text(encoding="utf-8")
    assert text == state.preview_text()  # the save's own text
    assert SECRET not in text
    document = json.loads(text)
    assert document["tools"]["lookup"] == {"action": "deny"}
    assert document["x-policytui"]["definitions"]["lookup"]["description"] == "Looks things up with key ***"
    assert not (tmp_path / "policy.json").exists()
