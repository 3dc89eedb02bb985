"""The messages the editor in a browser sends `policytui serve` about its page (serve/server.py
relays them to the page's script, serve/templates/editor.html), beside the screen it draws.

No Textual here: serve's web server, which never loads the editor, reads the same names.
"""

from __future__ import annotations

# Retitle the page to name the server as the header does (editor/server_name.py).
PAGE_TITLE_META = "policytui-page-title"
# Whether the policy has edits not yet saved (the header's `● unsaved`), and what an open dialog
# holds changed and not applied ("the limits for manage_apps", "" when nothing): the page asks
# before a reload or a close ends the editor only while either is so, and a page whose
# connection is cut without a word says which were kept (the edits, in a recovery file) and
# which were lost (the dialog's).
UNSAVED_META = "policytui-unsaved"
UNAPPLIED_META = "policytui-unapplied"
# What serve tells a page as it stops: what became of its editor's unsaved changes, in the
# words serve's terminal has for it (kept in which file, lost and why, or none unsaved).
STOPPED_META = "policytui-stopped"
# Keys and the page's other input reach the editor a moment before their edit is counted as
# unsaved: after each input message it relays, serve tells the editor how many the page has
# sent (INPUT_MARK_META, with "count"), and the editor says so back once every key before the
# mark has done what it does (INPUT_COUNTED_META), its word on unsaved edits said first. The
# page asks before a reload or a close while any input it sent has not been counted.
INPUT_MARK_META = "policytui-input-mark"
INPUT_COUNTED_META = "policytui-input-counted"
