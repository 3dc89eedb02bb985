"""Editing a policy: state, operations, undo, drift and the table's row model.

Nothing here imports Textual; the TUI in `policytui.tui` is a view over `EditorState`.
"""

from policytui.editor.rows import DECISIONS, DRIFT_FLAGS, SORT_KEYS, Row, RowFilter
from policytui.editor.schema_args import ArgInfo, schema_args
from policytui.editor.state import CONDITION_KINDS, EditorState, PendingSave, SaveResult
from policytui.editor.text import clip, one_line, visible
from policytui.editor.values import EditError, make_condition, make_limit, parse_condition_value

__all__ = [
    "CONDITION_KINDS",
    "DECISIONS",
    "DRIFT_FLAGS",
    "SORT_KEYS",
    "ArgInfo",
    "EditError",
    "EditorState",
    "PendingSave",
    "SaveResult",
    "Row",
    "RowFilter",
    "clip",
    "make_condition",
    "make_limit",
    "one_line",
    "parse_condition_value",
    "schema_args",
    "visible",
]
