"""Tool names as the gateway's log lines name them: the start-up line of tools the policy does
not name (`unnamed`) and pinning's lines of tools it hides (`pins`) say them alike.

The names are the server's to choose: each is made visible (no control character reaches the
terminal), cut to a length a line can hold, with the server's credentials starred (a server
that names a tool after its own key) and a name that still holds a credential left out. A long
list names the first few and counts the rest ("and 12 more").
"""

from __future__ import annotations

import json

from policytui.redaction import holds_credential
from policytui.textsafe import a_few, clip, visible, without_secrets

# Names shown in one line; the rest are counted ("and 12 more").
NAMES_SHOWN = 20


def names_for_log(names: list[str], secrets: tuple[str, ...]) -> str:
    """`names` quoted for one log line, at most NAMES_SHOWN of them, as the module says."""
    shown = []
    for name in names[:NAMES_SHOWN]:  # only those shown are read: a server may list thousands
        name = str(without_secrets(name, secrets))
        shown.append("(a name that holds a credential)" if holds_credential(name)
                     else visible(clip(json.dumps(name, ensure_ascii=False), 80)))
    more = len(names) - len(shown)
    return f"{', '.join(shown)} and {more:,} more" if more else a_few(shown, NAMES_SHOWN)
