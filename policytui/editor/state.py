"""The policy being edited, and every operation the editor offers on it.

`EditorState` owns the live `Policy`, the server's `ServerListing`, the risk classification of
each tool, undo/redo, the dirty flag and the table's row model. The TUI only calls methods here
and redraws; the same operations are unit-tested without a terminal.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policytui.editor.classes import Classifications
from policytui.editor.history import (
    META_KEY,
    History,
    Step,
    capture,
    changed_names,
    changes_on_restore,
    clone_node,
    differs,
    new_rule,
    restore,
)
from policytui.editor.rows import (
    DECISIONS,
    Row,
    RowFilter,
    approval_summary,
    conditions_summary,
    decision_for,
    decision_of,
    filter_rows,
    hidden_test,
    limits_summary,
    sort_indexes,
)
from policytui.editor.text import visible
from policytui.editor.values import EditError
from policytui.policy.model import AllTools, Condition, Limit, Policy, ToolRule
from policytui.toolinfo import ServerListing, ToolInfo, fingerprint_matches

SMALL_POLICY_RULES = 2000
CONDITION_KINDS: tuple[str, ...] = ("require", "deny_if", "require_approval_if")
UNKNOWN_CATEGORY = "?"


@dataclass(frozen=True)
class PendingSave:
    """What is about to be written, as plain data, so editing can go on while it saves."""

    document: dict[str, Any]
    expected_stamp: Any
    state_id: int
    # Tools whose live definition the saved document approves and that this session has not
    # kept in the machine's cache of approved definitions yet (see approved_definitions).
    approved: tuple[tuple[str, ToolInfo], ...] = ()


@dataclass(frozen=True)
class SaveResult:
    stamp: Any
    text: str


def _names_in_policy(policy: Policy) -> list[str]:
    # A dict, not a list, to skip duplicates: `name not in list` per hidden tool was quadratic.
    names = dict.fromkeys(policy.tools or ())
    for name in policy.hide or ():
        if name != "*":
            names.setdefault(name, None)
    return list(names)


def policy_diff(name: str, disk_text: str | None, text: str) -> str:
    """A unified diff from `disk_text` (the file `name` now) to `text` (what a save would
    write). Plain strings in and out: the editor runs it in a thread."""
    old = (disk_text or "").splitlines(keepends=True)
    new = text.splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, fromfile=f"{name} (on disk)", tofile=f"{name} (after save)"))


class EditorState:
    """One policy document being edited against one server's tool list."""

    def __init__(
        self,
        listing: ServerListing,
        policy: Policy | None = None,
        *,
        path: Path | None = None,
        saved_text: str | None = None,
        saved_stamp: Any = None,
        load_problems: list[str] | None = None,
        history_limit: int = 200,
        classified: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.listing = listing
        # Fingerprints whose definition this session kept in the machine's cache already.
        self._kept_definitions: set[str] = set()
        self.path = path
        # What the file on disk held when we read or last wrote it (None: no file yet).
        self.saved_text = saved_text
        self.saved_stamp = saved_stamp
        # Problems that made the file on disk unusable; while set, saving needs the user's say.
        self.load_problems: list[str] = list(load_problems or [])
        # Warnings about the file as read (it loaded, but a save will change something).
        self.load_warnings: list[str] = []
        self.policy = policy if policy is not None else Policy.new("deny")
        self.history = History(limit=history_limit)
        # Rules taken out of `tools` when their tool was hidden (a hidden tool's rule never
        # applies, and the validator warns about it); deciding the tool again puts it back.
        # A save keeps them in the file (`policytui.editor.hidden_rules`), read back here.
        from policytui.editor.hidden_rules import take_kept_rules

        self._rules_of_hidden: dict[str, ToolRule]
        # Entries of x-policytui.hidden_rules that are no valid rule: a sentence for each, in
        # the Problems panel (a save drops them; they were dropped without a word).
        self._rules_of_hidden, self.dropped_rules = take_kept_rules(self.policy)
        # Every distinct document state gets an id; undo/redo move between them. The policy is
        # dirty when the current id is not the one last saved (or read).
        self.revision = 0
        self._state_id = 0
        self._next_id = 1
        self._saved_id = 0
        # The saved document itself, for policies small enough to compare cheaply: an edit
        # undone by hand (allow, then reset) then counts as clean too. Large policies rely on
        # the state ids alone, so an edit never pays for serialising 10,000 rules.
        self._saved_document: dict[str, Any] | None = None
        self._dirty_cache: tuple[int, bool] | None = None

        self.tools_by_name: dict[str, ToolInfo] = {}
        self.duplicate_names: set[str] = set()
        for tool in listing.tools:
            if tool.name in self.tools_by_name:
                self.duplicate_names.add(tool.name)
            else:
                self.tools_by_name[tool.name] = tool
        self.fingerprints = {name: tool.fingerprint() for name, tool in self.tools_by_name.items()}
        # `pins.unpinned`'s answer for each tool it has looked at: (approved fingerprint, members).
        self.unpinned_known: dict[str, tuple[str, list[str] | None]] = {}
        self.classifications = Classifications(self.tools_by_name.get, self._override_of)
        if classified is not None:
            # Classified already (the editor's first rows): only overridden tools again.
            self.classifications.take_briefs(classified)
            overridden = list(self.overrides())
            if overridden:
                self._classify(overridden)
        else:
            self._classify()
        self._baseline = self._drift_baseline(policy, file_existed=saved_text is not None)

        self.rows: list[Row] = []
        self.row_indexes: dict[str, list[int]] = {}
        self._rebuild_rows()
        self._remember_saved()

    # ----- construction -------------------------------------------------------------------

    @classmethod
    def open(
        cls, listing: ServerListing, path: Path, *, classified: Mapping[str, tuple[str, str]] | None = None
    ) -> EditorState:
        """Edit the policy at `path` (a new default-deny policy when there is no file).

        A file that cannot be read or does not validate is never replaced silently: the state
        starts from a new policy with `load_problems` set, and saving asks first.
        """
        from policytui.policy.files import FileStamp, PolicyFileMissing, load_policy

        path = Path(path)
        try:
            loaded = load_policy(path)
        except PolicyFileMissing:
            # Saving checks the file is still absent, so a file created meanwhile is not lost.
            return cls(listing, None, path=path, saved_stamp=FileStamp.missing(), classified=classified)
        except Exception as exc:  # unreadable (permissions, not UTF-8, a directory...)
            return cls(
                listing, None, path=path, load_problems=[_exception_sentence(exc)], classified=classified
            )
        report = loaded.report
        if loaded.policy is None:
            problems = [p.format() for p in report.errors] or ["the file is not a valid policy"]
            return cls(
                listing,
                None,
                path=path,
                saved_text=loaded.text,
                saved_stamp=loaded.stamp,
                load_problems=problems,
                classified=classified,
            )
        state = cls(
            listing, loaded.policy, path=path, saved_text=loaded.text, saved_stamp=loaded.stamp,
            classified=classified,
        )
        # e.g. a legacy `rate_limit` that loads fine but is rewritten on save.
        state.load_warnings = [p.format() for p in report.warnings]
        return state

    def _classify(self, names: Iterable[str] | None = None) -> None:
        everything = list(self.tools_by_name.values())
        tools: Iterable[ToolInfo] = everything
        if names is not None:
            wanted = set(names)
            tools = [t for t in everything if t.name in wanted]
        # The whole tool list goes along: the server's namespace words are found from it.
        self.classifications.classify(tools, server_tools=everything)

    def _override_of(self, name: str) -> str | None:
        override = self.overrides().get(name)
        return override if isinstance(override, str) else None

    def _drift_baseline(self, policy: Policy | None, *, file_existed: bool) -> dict[str, Any]:
        """What the saved policy knew about the server, to flag new and changed tools."""
        if policy is None or not file_existed:
            return {"known": None, "fingerprints": {}}
        meta = policy.extensions.get(META_KEY)
        stored = meta.get("fingerprints") if isinstance(meta, dict) else None
        if not isinstance(stored, dict):
            # Written by hand or by another tool: what the server had then is unknown, so
            # nothing is called new or changed (tools it names that are gone are still missing).
            return {"known": None, "fingerprints": {}}
        known = set(_names_in_policy(policy)) | set(stored)
        return {"known": known, "fingerprints": stored}

    # ----- derived views ------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """True when the document differs from the one last read or saved."""
        if self._state_id == self._saved_id:
            return False
        if self._saved_document is None:
            return True
        if self._dirty_cache is None or self._dirty_cache[0] != self.revision:
            # Compared at once and dropped: the live x-policytui is read, not copied.
            self._dirty_cache = (self.revision, self._comparable(shared=True) != self._saved_document)
        return self._dirty_cache[1]

    def _comparable(self, *, shared: bool = False) -> dict[str, Any]:
        """The document with the rules set aside for hidden tools as a save writes them: a rule
        set aside and then dropped (a hidden tool allowed, reset and hidden again) is a change a
        save would write. The approved fingerprints count: only an edit changes them (a
        re-approval in the Pins dialog), and one left unsaved is an approval lost.

        `shared`: the policy's x-* values are the live ones (see `Node.to_document`): the
        document is only to be compared."""
        from policytui.editor.hidden_rules import with_kept_rules

        document = self.policy.to_document(shared_extensions=shared)
        meta = with_kept_rules(document.get(META_KEY), self.policy, self._rules_of_hidden)
        if meta:
            document[META_KEY] = meta
        else:
            document.pop(META_KEY, None)
        return document

    def _remember_saved(self) -> None:
        small = len(self.policy.tools or {}) <= SMALL_POLICY_RULES
        self._saved_document = self._comparable() if small else None
        self._dirty_cache = None

    def overrides(self) -> dict[str, str]:
        meta = self.policy.extensions.get(META_KEY)
        overrides = meta.get("overrides") if isinstance(meta, dict) else None
        return dict(overrides) if isinstance(overrides, dict) else {}

    def drift_of(self, name: str) -> str:
        # Against the approved fingerprint in the document as edited, not as opened: a
        # re-approve (or its undo) shows in the Drift column at once.
        return self._drift(name, self._approved_fingerprints())

    def _drift(self, name: str, approved: dict[str, Any]) -> str:
        """`drift_of`, the approved fingerprints looked up once by a caller that asks for
        10,000 tools (the rows after an approval of every tool, or its undo)."""
        if name not in self.tools_by_name:
            return "missing"
        known = self._baseline["known"]
        if known is None:
            return ""
        stored = approved.get(name)
        if stored is not None:
            return "" if fingerprint_matches(stored, self.fingerprints.get(name)) else "changed"
        if name not in known or approved:
            # Not approved yet: saves add no fingerprint once the policy approves any tool.
            return "new"
        return ""

    def _approved_fingerprints(self) -> dict[str, Any]:
        meta = self.policy.extensions.get(META_KEY)
        stored = meta.get("fingerprints") if isinstance(meta, dict) else None
        return stored if isinstance(stored, dict) else {}

    def _row_for(self, name: str, is_hidden: Callable[[str], bool]) -> Row:
        brief = self.classifications.brief(name)
        tool = self.tools_by_name.get(name)
        rule = self.policy.rule(name)
        decision, explicit = decision_for(rule, self.policy.default, is_hidden(name))
        label = visible(name)
        title = visible(tool.title) if tool is not None and tool.title else ""
        return Row(
            name=name,
            label=label,
            category=brief[0] if brief else UNKNOWN_CATEGORY,
            severity=brief[1] if brief else "",
            decision=decision,
            explicit=explicit,
            limits=limits_summary(rule),
            approval=approval_summary(rule),
            conditions=conditions_summary(rule),
            drift=self.drift_of(name),
            duplicate=name in self.duplicate_names,
            search_key=f"{label} {title[:200]}".lower() if title else label.lower(),
        )

    def _rebuild_rows(self) -> None:
        """Rows in server order, then tools the policy names that the server no longer has."""
        rows: list[Row] = []
        index: dict[str, list[int]] = {}
        is_hidden = hidden_test(self.policy)
        for tool in self.listing.tools:
            index.setdefault(tool.name, []).append(len(rows))
            rows.append(self._row_for(tool.name, is_hidden))
        for name in self._missing_names():
            index.setdefault(name, []).append(len(rows))
            rows.append(self._row_for(name, is_hidden))
        self.rows = rows
        self.row_indexes = index

    def _missing_names(self) -> list[str]:
        """Tools the policy names that the server does not have (their rows come last)."""
        return [n for n in _names_in_policy(self.policy) if n not in self.tools_by_name]

    def _refresh_rows(self, names: Iterable[str] | None, *, rules_only: bool = False, drift: bool = False) -> None:
        """Rebuild the rows of `names` (all rows when None).

        `rules_only`: only rules changed, not classifications, so a row keeps its label,
        category and search key and recomputes just the rule columns (bulk edits of 10,000),
        and its Drift column too with `drift` (approvals changed).
        A row whose columns come out the same is kept as it is.
        """
        if names is None:
            if not rules_only:
                self._rebuild_rows()
                return
            names = list(self.row_indexes)
        else:
            names = list(names)
        tools_by_name = self.tools_by_name
        if any(n not in tools_by_name for n in names):
            # Tools the server lacks have rows while the policy names them: rebuild when
            # one came or went, so its row appears or goes (they are listed last).
            shown = [row.name for row in self.rows[len(self.listing.tools):]]
            if self._missing_names() != shown:
                self._rebuild_rows()
                return
        rows, policy = self.rows, self.policy
        if not rules_only:
            is_hidden = hidden_test(policy)
            for name in names:
                row = self._row_for(name, is_hidden)
                for i in self.row_indexes.get(name, ()):
                    rows[i] = row
            return
        # The loop below runs for every tool of a bulk edit or its undo: look `hide`, the rules
        # and the default up once, and build a new Row only where a column changed.
        is_hidden = hidden_test(policy)
        tools = policy.tools or {}
        default = policy.default
        row_indexes = self.row_indexes
        approved = self._approved_fingerprints()
        for name in names:
            indexes = row_indexes.get(name)
            if indexes is None:
                continue  # named by the edit, but neither the server nor the policy has it
            old = rows[indexes[0]]
            rule = tools.get(name)
            decision, explicit = decision_for(rule, default, is_hidden(name))
            limits = limits_summary(rule)
            approval = approval_summary(rule)
            conditions = conditions_summary(rule)
            drift_now = self._drift(name, approved) if drift else old.drift
            if (
                decision == old.decision
                and explicit == old.explicit
                and limits == old.limits
                and approval == old.approval
                and conditions == old.conditions
                and drift_now == old.drift
            ):
                continue
            # Positional arguments, in Row's field order: half the cost of keywords, which
            # matters 10,000 times over.
            row = Row(
                old.name, old.label, old.category, old.severity, decision, explicit, limits,
                approval, conditions, drift_now, old.duplicate, old.search_key,
            )
            for i in indexes:
                rows[i] = row

    def _refresh_drift(self) -> list[str]:
        """Recompute every row's Drift column (in place); the names whose drift changed."""
        changed: list[str] = []
        rows = self.rows
        approved = self._approved_fingerprints()
        for name, indexes in self.row_indexes.items():
            drift = self._drift(name, approved)
            if rows[indexes[0]].drift == drift:
                continue
            old = rows[indexes[0]]
            # Positionally, in Row's field order, as `_refresh_rows` does: an approval undone
            # changes every row's drift.
            row = Row(old.name, old.label, old.category, old.severity, old.decision, old.explicit, old.limits,
                      old.approval, old.conditions, drift, old.duplicate, old.search_key)
            for i in indexes:
                rows[i] = row
            changed.append(name)
        return changed

    def view(self, row_filter: RowFilter, sort_key: str | None = None, reverse: bool = False) -> list[int]:
        """Row indexes to show, filtered then sorted."""
        return sort_indexes(self.rows, filter_rows(self.rows, row_filter), sort_key, reverse)

    def tool_names(self) -> list[str]:
        return list(self.tools_by_name)

    # ----- editing ------------------------------------------------------------------------
    #
    # Undo history shares rule objects with the live policy (see `policytui.editor.history`),
    # so no method here changes a `ToolRule` or `AllTools` in place: `_set_rule` and
    # `_put_shared_limits` put a changed copy in its place, and only when a value changes.

    def _capture(self, names: list[str] | None, *, whole: bool, meta: bool,
                 set_aside: bool = False, set_aside_of: list[str] | None = None) -> Any:
        snapshot = capture(self.policy, names, whole=whole, meta=meta)
        if set_aside:
            return _WithSetAside(snapshot, dict(self._rules_of_hidden), list(self.dropped_rules))
        if set_aside_of is not None:
            kept = self._rules_of_hidden
            rules = {n: kept[n] for n in set_aside_of if n in kept} if kept else {}
            return _WithSetAsideOf(snapshot, set_aside_of, rules)
        return snapshot

    def _apply(self, snapshot: Any) -> None:
        if isinstance(snapshot, _WithSetAside):
            self._rules_of_hidden = dict(snapshot.rules_of_hidden)
            self.dropped_rules = list(snapshot.dropped_rules)
            snapshot = snapshot.policy
        elif isinstance(snapshot, _WithSetAsideOf):
            for name in snapshot.names:
                rule = snapshot.rules.get(name)
                if rule is None:
                    self._rules_of_hidden.pop(name, None)
                else:
                    self._rules_of_hidden[name] = rule
            snapshot = snapshot.policy
        self.policy = restore(self.policy, snapshot)

    @contextmanager
    def _edit(
        self, label: str, names: Iterable[str] | None, *, whole: bool = False, meta: bool = False,
        set_aside: bool = False, set_aside_of_names: bool = False,
    ) -> Iterator[None]:
        """Make one undoable edit: all or nothing, recorded only if something changed.

        `set_aside`: the step also holds the rules set aside for hidden tools and the dropped
        entries' sentences, for an edit that replaces them (loading a whole policy).
        `set_aside_of_names`: the step holds the set-aside rules of `names` only, for an edit
        that sets theirs aside or takes them back (hiding or deciding a tool), so undoing it
        leaves none behind that a later decision or save would bring back."""
        names = list(names) if names is not None else None
        set_aside_of = names if set_aside_of_names else None
        before = self._capture(names, whole=whole, meta=meta, set_aside=set_aside, set_aside_of=set_aside_of)
        try:
            yield
        except Exception:
            self._apply(before)
            raise
        after = self._capture(names, whole=whole, meta=meta, set_aside=set_aside, set_aside_of=set_aside_of)
        if not (differs(_policy_part(before), _policy_part(after))
                or _set_aside_part(before) != _set_aside_part(after)):
            return
        new_id = self._next_id
        self._next_id += 1
        self.history.record(Step(label, before, after, self._state_id, new_id))
        self._state_id = new_id
        self.revision += 1
        touched = changed_names(_policy_part(before), _policy_part(after))  # None: the default changed, or a preset
        rules_only = not meta
        if meta and touched is not None and names:
            touched = [*names, *touched]  # a category override changes the row, not the rule
            # A category comes from the classifier and the overrides alone: an edit that leaves
            # the overrides as they were (an approval, of 10,000 tools after an upgrade) changes
            # the rule and Drift columns only, and the rows keep their labels and categories.
            rules_only = _overrides_in(before) == _overrides_in(after)
        self._refresh_rows(touched, rules_only=rules_only, drift=meta)

    def _tools(self) -> dict[str, ToolRule]:
        if self.policy.tools is None:
            self.policy.tools = {}
        return self.policy.tools

    def _set_rule(self, name: str, values: dict[str, Any]) -> None:
        """Give tool `name`'s rule these field values, creating the rule if there is none.

        Copy-on-write: the rule object in the policy may also be in the undo history, so a
        changed copy replaces it (same place in `tools`). Nothing is replaced when every value
        is already what it should be, so an edit that changes nothing records no step.
        """
        tools = self._tools()
        rule = tools.get(name)
        if rule is None:
            tools[name] = new_rule(values)
            return
        for key, value in values.items():
            if getattr(rule, key) != value:
                tools[name] = clone_node(rule, values)
                return

    def _unhide(self, names: list[str]) -> None:
        """Take `names` out of `hide` (one pass over the list, however many names)."""
        hide = self.policy.hide
        if not hide or not names:
            return
        if "*" in hide:
            raise EditError('every tool is hidden by "*" in hide; remove it to decide per tool')
        dropped = set(names)
        remaining = [n for n in hide if n not in dropped]
        if len(remaining) != len(hide):
            self.policy.hide = remaining or None

    def set_decision(self, names: Iterable[str], decision: str) -> int:
        """Set allow / deny / hide / approve on each tool; one undo step. Returns how many changed.

        "allow" of an unlisted tool under default deny adds `{}`; under default allow it needs
        nothing. Deny and approve keep a tool's limits and conditions so switching back is lossless.
        """
        if decision not in DECISIONS:
            raise EditError(f"unknown decision {decision!r}")
        names = list(dict.fromkeys(names))
        with self._edit(f"{decision} {_which_tools(names)}", names, set_aside_of_names=True):
            changed = self._decide(names, decision)
        return changed

    def _decide(self, names: list[str], decision: str) -> int:
        """The body of `set_decision`; returns how many tools' (decision, explicit) changed.

        One pass over the tools, with `hide` read and written once rather than once per tool
        (per tool, both were quadratic at 10,000 hidden tools). Each tool's old decision is
        looked up in the same pass; the new one is what the branch just made it.
        """
        policy = self.policy
        default = policy.default
        was_hidden = hidden_test(policy)
        if decision == "hide":
            added = [n for n in names if not was_hidden(n)]
            if added:
                policy.hide = [*(policy.hide or ()), *added]
            self._set_rules_aside(names)
            return len(added)  # the others were hidden already
        self._restore_rules(names, was_hidden)
        self._unhide(names)
        tools = policy.tools if policy.tools is not None else {}
        changed = 0
        if decision == "allow":
            if default == "deny" and names:
                tools = self._tools()  # "allow" adds rules: make sure there is a dict for them
            for name in names:
                rule = tools.get(name)
                old = decision_for(rule, default, was_hidden(name))
                if rule is None:
                    if default == "deny":
                        tools[name] = new_rule()
                    new = ("allow", default == "deny")  # under default allow: no entry needed
                else:
                    if rule.action in ("deny", "require_approval"):
                        self._set_rule(name, {"action": None})
                    new = ("allow", True)
                changed += old != new
            return changed
        action = "deny" if decision == "deny" else "require_approval"
        values = {"action": action}
        new = (decision, True)
        if names:
            tools = self._tools()
        for name in names:
            # `_set_rule` inlined: this runs once per tool of a bulk edit.
            rule = tools.get(name)
            old = decision_for(rule, default, was_hidden(name))
            if rule is None:
                tools[name] = new_rule(values)
            elif rule.action != action:
                tools[name] = clone_node(rule, values)  # copy-on-write, see `_set_rule`
            changed += old != new
        return changed

    def _set_rules_aside(self, names: list[str]) -> None:
        """Take hidden tools' rules out of `tools`: `hide` wins, so they would never apply.

        They are kept here, so allowing, denying or approving the tool again brings back its
        limits and conditions (and ctrl+z restores them through the undo history anyway).
        """
        tools = self.policy.tools
        if not tools:
            return
        for name in names:
            rule = tools.pop(name, None)
            if rule is not None:
                self._rules_of_hidden[name] = rule
        if not tools:
            self.policy.tools = None

    def _restore_rules(self, names: list[str], was_hidden: Callable[[str], bool]) -> None:
        """Put back the rules `_set_rules_aside` kept for tools that are hidden now."""
        if not self._rules_of_hidden:
            return
        for name in names:
            rule = self._rules_of_hidden.pop(name, None)
            if rule is not None and was_hidden(name) and self.policy.rule(name) is None:
                self._tools()[name] = rule

    def clear_rules(self, names: Iterable[str]) -> None:
        """Remove the tools' rules and hide entries, so the default decides again.

        A hidden tool's set-aside rule goes too: kept, it came back when the tool was hidden
        and decided again, or was written by a save while it was hidden, after being reset."""
        names = list(dict.fromkeys(names))
        with self._edit(f"reset {_which_tools(names)}", names, set_aside_of_names=True):
            if self._rules_of_hidden:
                for name in names:
                    self._rules_of_hidden.pop(name, None)
            self._unhide(names)
            tools = self.policy.tools
            if tools:
                for name in names:
                    tools.pop(name, None)
            if self.policy.tools == {}:
                self.policy.tools = None

    def toggle_default(self) -> str:
        """Flip `default` between deny and allow; returns the new default."""
        with self._edit("toggle default", []):
            self.policy.default = "allow" if self.policy.default == "deny" else "deny"
        return self.policy.default

    def limits_of(self, tool: str | None) -> list[Limit]:
        """A tool's limits, or the shared `all_tools` limits when `tool` is None."""
        if tool is None:
            return list((self.policy.all_tools.limits or []) if self.policy.all_tools else [])
        rule = self.policy.rule(tool)
        return list(rule.limits or []) if rule else []

    def set_limits(self, tool: str | None, limits: list[Limit]) -> None:
        """Replace a tool's limits (or the `all_tools` ones when tool is None)."""
        label = "limits for all tools" if tool is None else f"limits of {tool}"
        with self._edit(label, [] if tool is None else [tool]):
            self._put_limits(tool, limits)

    def _put_limits(self, tool: str | None, limits: list[Limit]) -> None:
        if tool is None:
            self._put_shared_limits(limits)
        elif limits:
            values: dict[str, Any] = {"limits": list(limits)}
            if self.policy.rule(tool) is None and self.policy.default == "deny":
                # A rule without an action allows the tool: limits given to an unlisted tool
                # under default deny would open it to that many calls. It stays denied, as with
                # conditions; the limits take effect once it is allowed.
                values["action"] = "deny"
            self._set_rule(tool, values)
        elif self.policy.rule(tool) is not None:
            self._set_rule(tool, {"limits": None})

    def _put_shared_limits(self, limits: list[Limit]) -> None:
        """Set the `all_tools` limits, copy-on-write like rules (undo keeps the old object)."""
        current = self.policy.all_tools
        if limits:
            if current is not None and current.limits == limits:
                return
            shared = clone_node(current) if current is not None else AllTools.model_validate({})
            shared.limits = list(limits)
            self.policy.all_tools = shared
        elif current is not None:
            if not current.extensions:
                self.policy.all_tools = None
            elif current.limits is not None:
                shared = clone_node(current)
                shared.limits = None
                self.policy.all_tools = shared

    def add_limit(self, tool: str | None, limit: Limit) -> None:
        self.set_limits(tool, [*self.limits_of(tool), limit])

    def remove_limit(self, tool: str | None, index: int) -> None:
        limits = self.limits_of(tool)
        if not 0 <= index < len(limits):
            raise EditError(f"there is no limit number {index + 1}")
        del limits[index]
        self.set_limits(tool, limits)

    def edit_limits(self, tool: str, tool_limits: list[Limit], shared: list[Limit]) -> None:
        """Set a tool's limits and the shared ones in one undo step (the limits editor's result)."""
        with self._edit(f"limits of {tool}", [tool]):
            self._put_limits(tool, tool_limits)
            self._put_limits(None, shared)

    def conditions_of(self, tool: str, kind: str) -> list[Condition]:
        rule = self.policy.rule(tool)
        return list(getattr(rule, kind) or []) if rule else []

    def edit_rule(
        self,
        tool: str,
        *,
        reason: str | None,
        conditions: dict[str, list[Condition]],
        allow: bool = False,
    ) -> None:
        """Set a tool's reason and condition lists in one undo step (the rule editor's result).

        A denied tool stays denied unless `allow` is set. Conditions apply only to the calls a
        rule allows, and a rule without an action allows every call its conditions let
        through, so an unlisted tool under default deny that is given conditions or a reason
        gets `"action": "deny"` with them: it stays denied, and the conditions take effect
        once the tool is allowed. With `allow`, a denied tool's other calls are allowed
        instead (its `deny` is dropped, or it is listed under default deny).
        """
        for kind in conditions:
            if kind not in CONDITION_KINDS:
                raise EditError(f"unknown condition list {kind!r}")
        with self._edit(f"rule of {tool}", [tool]):
            rule = self.policy.rule(tool)
            wants_rule = bool(reason) or any(conditions.values())
            if rule is None and not wants_rule:
                return
            values: dict[str, Any] = {"reason": reason or None}
            values.update((kind, list(items) or None) for kind, items in conditions.items())
            if allow:
                if rule is not None and rule.action == "deny":
                    values["action"] = None
            elif rule is None and self.policy.default == "deny":
                values["action"] = "deny"
            self._set_rule(tool, values)

    def denies(self, tool: str) -> bool:
        """Whether every call of `tool` is denied now: by its own `deny` or by default deny.

        A hidden tool is not counted: `hide` wins over any rule, so no rule edit opens it.
        """
        return decision_of(self.policy, tool)[0] == "deny"

    def add_condition(self, tool: str, kind: str, condition: Condition, *, allow: bool = False) -> None:
        rule = self.policy.rule(tool)
        current = {k: self.conditions_of(tool, k) for k in CONDITION_KINDS}
        current[kind] = [*current.get(kind, []), condition]
        self.edit_rule(tool, reason=rule.reason if rule else None, conditions=current, allow=allow)

    def set_reason(self, tool: str, reason: str | None) -> None:
        current = {k: self.conditions_of(tool, k) for k in CONDITION_KINDS}
        self.edit_rule(tool, reason=(reason or "").strip() or None, conditions=current)

    def set_override(self, tool: str, category: str | None) -> None:
        """Override the classifier's category for `tool` (kept in x-policytui.overrides)."""
        with self._edit(f"category of {tool}", [tool], meta=True):
            meta = self.policy.extensions.setdefault(META_KEY, {})
            overrides = meta.setdefault("overrides", {})
            if category:
                overrides[tool] = category
            else:
                overrides.pop(tool, None)
                if not overrides:
                    del meta["overrides"]
                if not meta:
                    del self.policy.extensions[META_KEY]
            self._classify([tool])

    def apply_preset(self, preset: str) -> None:
        """Replace the rules with a preset built from the classifications (one undo step).

        The document's own metadata (`$schema`, `x-*` keys such as overrides and fingerprints)
        is kept, since a preset says nothing about them.
        """
        from policytui.risk.presets import build_document

        document = build_document(self.listing, preset, self.classifications.preset_view())
        with self._edit(f"preset {preset}", None, whole=True):
            for key, value in self.policy.to_document().items():
                if key == "$schema" or key.startswith("x-"):
                    document.setdefault(key, value)
            self.policy = Policy.from_document(document)

    def take_policy(self, policy: Policy, label: str, *, its_set_aside_only: bool = False) -> None:
        """Put `policy` in place of the one being edited, as one undoable edit that leaves the
        file on disk as it is (unsaved changes kept by an editor that was stopped, loaded
        back to be compared and saved, or undone). The rules set aside for hidden tools are
        part of the step: undoing it takes the loaded ones back out too.

        `its_set_aside_only`: the rules `policy` kept for hidden tools replace this session's
        (the file's own version is taken as the saved one, so a save must not write ours)."""
        from policytui.editor.hidden_rules import take_kept_rules

        overrides = self.overrides()
        with self._edit(label, None, whole=True, meta=True, set_aside=True):
            self.policy = policy.copy_deep()
            # The rules its save kept for hidden tools come back as opening it would bring
            # them: kept as metadata only, they stayed there verbatim and deciding the tool
            # again brought nothing back.
            kept, self.dropped_rules = take_kept_rules(self.policy)
            if its_set_aside_only:
                self._rules_of_hidden = kept
            else:
                self._rules_of_hidden = {**self._rules_of_hidden, **kept}
        if self.overrides() != overrides:
            self._classify()
            self._rebuild_rows()
        else:
            self._refresh_drift()

    def take_disk_version(self, policy: Policy, text: str, stamp: Any) -> None:
        """Put the version now on disk (`policy`, read as `text` with `stamp`) in place of the
        one being edited, as the saved one: one undoable step, after which the editor is as if
        it had just opened the file (undo brings the edited version back, unsaved)."""
        self.take_policy(policy, "the version on disk", its_set_aside_only=True)
        self.saved_text = text
        self.saved_stamp = stamp
        self.load_problems = []
        self._saved_id = self._state_id
        # The Drift column compares with what the file now holds, as after reopening it.
        self._baseline = self._drift_baseline(self.policy, file_existed=True)
        self._refresh_drift()
        self._remember_saved()

    def undo(self) -> str | None:
        """Go back one edit; returns its label, or None when there is nothing to undo."""
        step = self.history.undo()
        if step is None:
            return None
        self._restore(step.before, step.before_id)
        return step.label

    def redo(self) -> str | None:
        step = self.history.redo()
        if step is None:
            return None
        self._restore(step.after, step.after_id)
        return step.label

    def _restore(self, snapshot: Any, state_id: int) -> None:
        overrides = self.overrides()
        approved = dict(self._approved_fingerprints())
        touched = changes_on_restore(self.policy, _policy_part(snapshot))
        self._apply(snapshot)
        self._state_id = state_id
        self.revision += 1
        if self.overrides() != overrides:
            self._classify()
            self._rebuild_rows()
        else:
            if self._approved_fingerprints() != approved:
                # An undone re-approve: the Drift column changes back. (A step may change
                # the rules too, as loading kept changes does: their rows follow below.)
                self._refresh_drift()
            # Only the rows of tools whose rule or hide entry the step changed (all rows'
            # decision columns when it changed the default): undoing one toggle no longer
            # rebuilds 10,000 rows, and undoing a bulk edit skips labels and search keys.
            self._refresh_rows(touched, rules_only=True)

    # ----- checking, previewing, saving ---------------------------------------------------

    def _fresh_meta(self) -> dict[str, Any] | None:
        """x-policytui as a save writes it: fingerprints of the server's tools refreshed, and
        the rules set aside for tools that are hidden kept."""
        from policytui.editor.hidden_rules import with_kept_rules

        meta = with_kept_rules(self.policy.extensions.get(META_KEY), self.policy, self._rules_of_hidden)
        if not self.tools_by_name:
            return meta if isinstance(meta, dict) else None
        meta = dict(meta) if isinstance(meta, dict) else {}
        from policytui.editor.pins import (
            BEFORE_MEMBERS,
            before_members_kept,
            kept_fingerprints,
            pinned_meta,
            pinning_on,
        )

        if pinning_on(self.policy):
            return pinned_meta(meta, self)
        # A save never approves a rewritten or an added tool, pinned policy or not: `gateway
        # --pin` enforces these fingerprints whatever the file says, so refreshing them here
        # would let any unrelated save approve a rug pull. Approving a changed or new tool is
        # the Pins dialog's explicit action.
        fingerprints = kept_fingerprints(meta.get("fingerprints"), self.fingerprints)
        meta[BEFORE_MEMBERS] = before_members_kept(meta, fingerprints, self.fingerprints)
        meta["fingerprints"] = fingerprints
        return meta

    @contextmanager
    def _as_saved(self) -> Iterator[Policy]:
        """The live policy with the metadata a save writes, put back afterwards (no copy)."""
        extensions = self.policy.extensions
        missing = META_KEY not in extensions
        old = extensions.get(META_KEY)
        fresh = self._fresh_meta()
        if fresh is not None:
            extensions[META_KEY] = fresh
        try:
            yield self.policy
        finally:
            if missing:
                extensions.pop(META_KEY, None)
            else:
                extensions[META_KEY] = old

    def policy_for_save(self) -> Policy:
        """An independent copy of the policy exactly as a save would write it."""
        with self._as_saved() as policy:
            return policy.copy_deep()

    def preview_text(self) -> str:
        """The JSON text a save would write now."""
        from policytui.policy.files import dumps_policy

        with self._as_saved() as policy:
            return dumps_policy(policy)

    def validate(self) -> Any:
        """The validator's Report for the document as edited."""
        from policytui.policy.validate import validate_policy

        return validate_policy(self.policy, tools=list(self.tools_by_name.values()))

    def diff_against(self, disk_text: str | None) -> str:
        """A unified diff from `disk_text` (the file now) to what a save would write."""
        return policy_diff(str(self.path or "policy.json"), disk_text, self.preview_text())

    def try_call(self, tool: str, args: Any) -> Any:
        """How the gateway would decide this call under the policy as edited (no counters).
        A tool the server does not list the gateway answers itself, whatever the policy says,
        as `policytui check --tools` does (an entry it listed but policytui could not read is
        listed all the same)."""
        from policytui.decision import decide
        from policytui.decision.decide import unlisted_decision

        broken = {b.name for b in self.listing.broken_tools if b.name is not None}
        if tool not in self.tools_by_name and tool not in broken:
            return unlisted_decision()
        return self._pin_denial(tool, broken) or decide(self.policy, tool, args)

    def _pin_denial(self, tool: str, broken: set[str]) -> Any:
        """Under pinning the gateway denies a tool whose live definition is not the approved
        one before any rule is read (gateway/pins.py): that denial, in its words, or None. For
        the policy as a save writes it, as the rest of the Try panel: the first save of a
        policy that approves no tool yet approves every tool listed, and a save never adds
        or replaces an approval after that (only the Pins dialog does)."""
        from policytui.decision.decide import Decision, Outcome
        from policytui.gateway.pins import PIN_RULE, Pins, pinning_on

        if not pinning_on(self.policy) or not self._approved_fingerprints():
            return None
        listed = self.tools_by_name.get(tool)
        entries = {tool: listed.to_wire()} if listed is not None else {}
        reason = Pins.over_listing(self.policy, self.fingerprints, broken, entries).drift(tool)
        return None if reason is None else Decision(Outcome.DENIED, reason, PIN_RULE)

    @property
    def needs_overwrite_consent(self) -> bool:
        """True while the file on disk is invalid or unreadable and the user has not said to replace it."""
        return bool(self.load_problems)

    def prepare_save(self) -> PendingSave:
        """Freeze what to write (cheap: plain data); `write` may then run in another thread.

        `to_document()` builds new dicts and lists all the way down, so later edits never
        reach the document a save is writing.
        """
        with self._as_saved() as policy:
            document = policy.to_document()
        return PendingSave(document, self.saved_stamp, self._state_id, self._newly_approved(document))

    def _newly_approved(self, document: dict[str, Any]) -> tuple[tuple[str, ToolInfo], ...]:
        """(fingerprint, tool) of each tool `document` approves as it is now, not kept yet."""
        meta = document.get(META_KEY)
        stored = meta.get("fingerprints") if isinstance(meta, dict) else None
        if not isinstance(stored, dict):
            return ()
        out = []
        for name, tool in self.tools_by_name.items():
            live = self.fingerprints.get(name)
            if live is not None and live not in self._kept_definitions and fingerprint_matches(stored.get(name), live):
                out.append((live, tool))
        return tuple(out)

    def write(self, pending: PendingSave, *, force: bool = False, replacing: Any = None) -> SaveResult:
        """Write `pending` atomically (safe to call from a worker thread).

        Raises PolicyFileConflict if the file changed on disk since we read it (unless
        `force`), PolicyFileError on I/O problems, EditError when the file on disk is invalid
        and `force` was not given. `replacing` (a FileStamp) is the version on disk the user
        agreed to replace: with it, `force` replaces that version only, and a file changed
        again since is a conflict, not lost.
        """
        from policytui.policy.files import dumps_document, save_document

        if self.path is None:
            raise EditError("there is no policy file to save to")
        if self.needs_overwrite_consent and not force:
            raise EditError("the policy file on disk is invalid; confirm before replacing it")
        # The document came from a live, valid Policy: writing it as it is skips rebuilding
        # 10,000 pydantic rules only to turn them straight back into the same data.
        expected = replacing if replacing is not None else None if force else pending.expected_stamp
        stamp = save_document(self.path, pending.document, expected_stamp=expected)
        if pending.approved:
            from policytui.editor.approved_definitions import remember
            from policytui.editor.pins import definition

            secrets = self.listing.secrets
            remember((fp, definition(tool, secrets)) for fp, tool in pending.approved)
        return SaveResult(stamp, dumps_document(pending.document))

    def mark_saved(self, pending: PendingSave, result: SaveResult) -> None:
        """Record a finished save: the saved state becomes the clean one."""
        self.saved_stamp = result.stamp
        self.saved_text = result.text
        self._saved_id = pending.state_id
        self._kept_definitions.update(fp for fp, _ in pending.approved)
        self.load_problems = []
        meta = pending.document.get(META_KEY)
        if isinstance(meta, dict):
            from policytui.editor.hidden_rules import HIDDEN_RULES

            # Without the set-aside rules: they live in `_rules_of_hidden`, and a copy left in
            # the metadata outlived them (an undone hide's rule, written by every later save).
            meta = {key: value for key, value in meta.items() if key != HIDDEN_RULES}
            self.policy.extensions[META_KEY] = json.loads(json.dumps(meta))
        # The Drift column compares with what the file now holds, as it would after reopening
        # it: tools the save added are no longer new.
        self._baseline = self._drift_baseline(self.policy, file_existed=True)
        self._refresh_drift()
        if self._state_id == pending.state_id:
            self._remember_saved()
        else:
            self._saved_document = None  # edited while saving: ids decide

    def save(self, *, force: bool = False) -> SaveResult:
        """Prepare, write and record in one call (for scripts and tests)."""
        pending = self.prepare_save()
        result = self.write(pending, force=force)
        self.mark_saved(pending, result)
        return result


def _exception_sentence(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def _which_tools(names: list[str]) -> str:
    """The tools an edit touched, as its undo and redo notices name them: the tool itself
    ("Undid: allow manage_flow", as a limits edit is "limits of manage_flow"), or how many
    ("deny 10,000 tools"), never "1 tool(s)"."""
    if len(names) == 1:
        return names[0]
    return f"{len(names):,} tools"


@dataclass(frozen=True)
class _WithSetAside:
    """An undo snapshot of the policy together with the rules set aside for hidden tools and
    the sentences of dropped entries, which live beside the policy, not in it."""

    policy: Any
    rules_of_hidden: dict[str, ToolRule]
    dropped_rules: list[str]


@dataclass(frozen=True)
class _WithSetAsideOf:
    """An undo snapshot of the policy together with the rules set aside for `names` (a name
    missing from `rules` had none): an edit of a few tools of 10,000 hidden ones keeps theirs
    only, as it keeps only their rules."""

    policy: Any
    names: list[str]
    rules: dict[str, ToolRule]


def _policy_part(snapshot: Any) -> Any:
    return snapshot.policy if isinstance(snapshot, (_WithSetAside, _WithSetAsideOf)) else snapshot


def _set_aside_part(snapshot: Any) -> Any:
    if isinstance(snapshot, _WithSetAsideOf):
        return snapshot.rules
    if not isinstance(snapshot, _WithSetAside):
        return None
    return snapshot.rules_of_hidden, snapshot.dropped_rules


def _overrides_in(snapshot: Any) -> Any:
    """The category overrides a snapshot of an edit holds (None: none, or a whole document)."""
    part = _policy_part(snapshot)
    meta = part[1]["meta"] if part[0] == "part" else None
    return meta.get("overrides") if isinstance(meta, dict) else None
