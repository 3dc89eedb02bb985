"""Editing a policy: state, operations, undo, drift and the table's row model.

Nothing here imports Textual; the TUI in `policytui.tui` is a view over `EditorState`.

Names load on first use (PEP 562): the TUI paints its first frame with only `text` and
`rows` loaded, and the policy model (pydantic) arrives with `EditorState` in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policytui.lazy import lazy_names

if TYPE_CHECKING:
    from policytui.editor.arguments import ArgInfo, schema_args
    from policytui.editor.rows import DECISIONS, DRIFT_FLAGS, SORT_KEYS, Row, RowFilter
    from policytui.editor.state import CONDITION_KINDS, EditorState, PendingSave, SaveResult
    from policytui.editor.text import clip, one_line, visible
    from policytui.editor.values import EditError, make_condition, make_limit, parse_condition_value

# name -> the submodule that defines it (see policytui.lazy)
_HOMES = {
    "DECISIONS": "rows",
    "DRIFT_FLAGS": "rows",
    "SORT_KEYS": "rows",
    "Row": "rows",
    "RowFilter": "rows",
    "ArgInfo": "arguments",
    "schema_args": "arguments",
    "CONDITION_KINDS": "state",
    "EditorState": "state",
    "PendingSave": "state",
    "SaveResult": "state",
    "clip": "text",
    "one_line": "text",
    "visible": "text",
    "EditError": "values",
    "make_condition": "values",
    "make_limit": "values",
    "parse_condition_value": "values",
}

__all__ = [
    "ArgInfo",
    "CONDITION_KINDS",
    "DECISIONS",
    "DRIFT_FLAGS",
    "EditError",
    "EditorState",
    "PendingSave",
    "Row",
    "RowFilter",
    "SORT_KEYS",
    "SaveResult",
    "clip",
    "make_condition",
    "make_limit",
    "one_line",
    "parse_condition_value",
    "schema_args",
    "visible",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES)
