"""What a tool's input schema says about its risk: an action selector, arguments that take code,
amounts of money, and switches like `force`.

Only the top level of the schema is read (plus one level of `anyOf`/`oneOf`/`allOf`), with
fixed caps on how many properties and enum values are looked at: schemas are untrusted and may
be huge or self-referential.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from typing import Any, NamedTuple

from policytui.risk.vocabulary import (
    ACT_SWITCHES,
    ACTION_ARGUMENTS,
    EXECUTE,
    FORCE_ARGUMENTS,
    MONEY_ARGUMENTS,
    OUTPUT_ARGUMENTS,
    READ,
    REMOVAL_SWITCHES,
    REMOVE,
    SHELL_ARGUMENTS,
    SQL_ARGUMENTS,
    STEP_ARGUMENTS,
    STEP_FIELDS,
    URL_ARGUMENTS,
    VERBS,
)
from policytui.risk.words import OBJECT_OPENERS, base_verb, blind_lower, contains_any, fold_accents

MAX_PROPERTIES = 200
MAX_ENUM_VALUES = 100
MAX_VARIANTS = 50
_DESCRIPTION_WINDOW = 300

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SQL_TEXT = re.compile(r"\b(?:sql|cypher|sparql)\b", re.IGNORECASE)
# A GraphQL document may be a mutation: "query: The GraphQL query or mutation to run".
_GRAPHQL_TEXT = re.compile(r"\bgraphql\b|\bmutations?\b", re.IGNORECASE)
_GRAPHQL_NAMES = frozenset(("graphql", "graphqlquery", "gql", "mutation", "graphqlmutation"))
_SHELL_TEXT = re.compile(
    r"\b(?:shell|bash|zsh|powershell|terminal|cli) command"
    r"|\bcommands? to (?:run|execute)"
    r"|\b(?:code|script|program) to (?:run|execute|evaluate)"
    r"|\b(?:python|javascript|typescript|ruby|node|lua|perl) (?:code|script|expression|snippet)",
    re.IGNORECASE,
)


# Argument names, one entry each: as many as the per-name memo of argument roles holds
# (arguments.py). Fewer, and a large set of servers (the corpus has about 9,700 names) evicts
# each name before its next tool asks for it again.
_NAMES_KEPT = 16384


@lru_cache(maxsize=_NAMES_KEPT)
def _normalize(name: str) -> str:
    lowered = name.lower()
    if lowered.isascii():
        # Nearly every name: snake_case or camelCase, where dropping "_" leaves letters and
        # digits only (three times cheaper than the pattern).
        joined = lowered.replace("_", "")
        if joined.isalnum():
            return joined
    return _NOT_ALNUM.sub("", fold_accents(lowered))  # "número" -> numero, not nmero


def normalize(name: str) -> str:
    """An argument name reduced to lower-case letters and digits ("Action_Type" -> "actiontype").
    Cached: servers reuse the same few argument names across all their tools."""
    return _normalize(name[:100])


class ActionArgument(NamedTuple):
    """The argument that picks what a multi-action tool does, and the values it takes."""

    name: str
    values: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"args.{self.name}"


class SchemaFacts(NamedTuple):
    """What the schema says. A NamedTuple: one is built per tool, and it must be cheap."""

    action: ActionArgument | None
    # (argument name, "shell" | "sql" | "graphql") for arguments that take code.
    code_arguments: tuple[tuple[str, str], ...]
    money_arguments: tuple[str, ...]
    force_arguments: tuple[str, ...]
    # Free-text arguments that take a network address: the tool reaches wherever it is told.
    url_arguments: tuple[str, ...] = ()
    # Arguments that say where to write a file: the tool writes to disk, whatever it reads.
    output_arguments: tuple[str, ...] = ()
    # Boolean switches named by a removal verb (`prune`): set, the tool removes things.
    removal_switches: tuple[str, ...] = ()
    # A list of steps the tool performs and the values its steps' kind may take
    # (`actions: [{type: click | write | executeJavascript}]`).
    steps: tuple[str, tuple[str, ...]] | None = None
    # (argument, "upload" | "install") for arguments described as something the tool sends
    # away or installs: whatever its name says, the tool does more than read.
    sent_arguments: tuple[tuple[str, str], ...] = ()
    # Boolean switches named by a verb that acts (`apply`, `send`): set, the tool does it.
    act_switches: tuple[str, ...] = ()


_EMPTY = SchemaFacts(None, (), (), ())


def top_properties(schema: Any) -> list[tuple[str, dict[str, Any]]]:
    """(name, schema) of the top-level properties, capped, skipping anything malformed."""
    if not isinstance(schema, dict):
        return []
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for name, prop in props.items():
        if isinstance(name, str) and isinstance(prop, dict):
            out.append((name, prop))
            if len(out) >= MAX_PROPERTIES:
                break
    return out


def _enum_values(prop: dict[str, Any], depth: int = 0) -> list[str] | None:
    """String values of an `enum`/`const`, also inside anyOf/oneOf/allOf (Optional[...] enums)."""
    enum = prop.get("enum")
    if isinstance(enum, list):
        return [v for v in enum[:MAX_ENUM_VALUES] if isinstance(v, str)]
    const = prop.get("const")
    if isinstance(const, str):
        return [const]
    if depth >= 2:
        return None
    found: list[str] | None = None
    for key in ("anyOf", "oneOf", "allOf"):
        options = prop.get(key)
        if not isinstance(options, list):
            continue
        for option in options[:MAX_VARIANTS]:
            if isinstance(option, dict):
                values = _enum_values(option, depth + 1)
                if values:
                    found = (found or []) + values
    return found


def _dedupe(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and len(value) <= 200:
            seen.setdefault(value, None)
        if len(seen) >= MAX_ENUM_VALUES:
            break
    return tuple(seen)


def _preference(normalized: str) -> int:
    # "action" beats "operation" beats "mode"...: the order of ACTION_ARGUMENT_ORDER.
    try:
        return _ACTION_ORDER.index(normalized)
    except ValueError:
        return len(_ACTION_ORDER)


_ACTION_ORDER = (
    "action", "operation", "op", "actiontype", "operationtype", "actionname", "operationname",
    "method", "command", "cmd", "subcommand", "verb", "mode",
)
assert set(_ACTION_ORDER) == ACTION_ARGUMENTS


def _union_action(schema: dict[str, Any]) -> ActionArgument | None:
    """A discriminated union at the top: {"oneOf": [{"properties": {"action": {"const": ..}}}]}."""
    merged: dict[str, list[str]] = {}
    for key in ("oneOf", "anyOf"):
        variants = schema.get(key)
        if not isinstance(variants, list):
            continue
        for variant in variants[:MAX_VARIANTS]:
            for name, prop in top_properties(variant):
                if _traits_of(name[:100]) & _ACTION and "." not in name:
                    values = _enum_values(prop)
                    if values:
                        merged.setdefault(name, []).extend(values)
    best: tuple[int, str, tuple[str, ...]] | None = None
    for name, values in merged.items():
        values_t = _dedupe(values)
        pref = _preference(normalize(name))
        if len(values_t) >= 2 and (best is None or pref < best[0]):
            best = (pref, name, values_t)
    return ActionArgument(best[1], best[2]) if best else None


# Bit flags for what an argument's name alone says; computed once per distinct name.
_ACTION, _FORCE, _MONEY, _SHELL, _SQL, _QUERYISH, _URL, _OUTPUT = 1, 2, 4, 8, 16, 32, 256, 512
_REMOVAL, _STEPS, _GRAPHQL = 1024, 2048, 1 << 15
_ACTS = 1 << 16
_SHELL_OR_SQL = _SHELL | _SQL


# Switches whose name leads with a verb that sends: "send_recovery", "notify_customer".
_OUTWARD_SWITCHES = ("send", "notify")
# Switches named by a word that is a verb in the table but a noun here: "patch: Include the full
# diff patch for each commit", "tag", "comment", "label".
_NOUN_SWITCHES = frozenset("patch diff tag tags comment comments label labels note notes "
                           "snapshot record order bill invoice charge trade".split())


@lru_cache(maxsize=_NAMES_KEPT)
def _traits_of(name: str) -> int:
    key = _normalize(name)
    traits = 0
    if key in ACTION_ARGUMENTS:
        traits |= _ACTION
    if key in FORCE_ARGUMENTS:
        traits |= _FORCE
    # (Parts of the name as substrings: cheaper than a pattern search on such short keys.)
    if (key in MONEY_ARGUMENTS or "amount" in key or "price" in key or "currency" in key
            or "cost" in key):
        traits |= _MONEY
    if key in SHELL_ARGUMENTS:
        traits |= _SHELL
    elif key in SQL_ARGUMENTS:
        traits |= _SQL
    elif key in _GRAPHQL_NAMES:
        traits |= _GRAPHQL
    if ("query" in key or "statement" in key or "stmt" in key or "command" in key
            or "code" in key or "expr" in key):
        traits |= _QUERYISH
    if key in URL_ARGUMENTS or key.endswith("url"):
        traits |= _URL
    if key in OUTPUT_ARGUMENTS:
        traits |= _OUTPUT
    if key in REMOVAL_SWITCHES:
        traits |= _REMOVAL
    elif key in ACT_SWITCHES or (key.startswith(_OUTWARD_SWITCHES) and len(key) > 8):
        # ("send_recovery", "notify_customer": set, the tool sends.)
        traits |= _ACTS
    elif (key in VERBS and not traits & _FORCE and VERBS[key] not in (READ, EXECUTE)
          and key not in _SHAPES_THE_REPLY
          and key not in _NOUN_SWITCHES):
        # A switch named by a bare verb that adds, changes, removes or pays ("archive",
        # "register", "accept" on a reader): set, the tool does it. Not one that runs: an
        # "evaluate" switch on a list of SLOs computes what is shown. The caller only takes
        # booleans, and only on readers.
        traits |= _REMOVAL if VERBS[key] == REMOVE else _ACTS
    if key in STEP_ARGUMENTS:
        traits |= _STEPS
    return traits


_DESC_SHELL, _DESC_SQL = 64, 128
_DESC_UPLOAD, _DESC_INSTALL = 4096, 8192
# An argument described as something the tool sends away or installs ("File path to upload",
# "The plugin ID to install", "Required for app installation"); "the upload ID" is a noun.
_SENT_TEXT = re.compile(
    r"\bto (?:upload|install)\b|\b(?:be|is|are|gets?) (?:uploaded|installed)\b"
    r"|\bfor (?:[a-z]+ )?installation\b", re.IGNORECASE)


# An argument described as turning on removal: "If true, deletes the originals", "Removes
# fetched messages from the queue". Not "deleted items are included" (a filter) nor "remove
# whitespace" said of what is returned (the caller only takes booleans, and only on readers
# the removal makes Destructive).
_REMOVING_TEXT = re.compile(
    r"^(?:if (?:true|set|enabled),?\s+)?(?:also\s+)?(?:deletes?|removes?|purges?)\s+"
    r"(?!spaces|duplicates|markup|comments|empty|null)",  # more in _TRIMS_OUTPUT
    re.IGNORECASE)


# The same anywhere in the text, as a verb of the switch or in the passive: "acknowledge after
# reading (removes them from the queue)", "the originals are discarded", "would be deleted".
_REMOVED_LATER = re.compile(
    r"\b(?:deletes|removes|purges|discards|erases|wipes|destroys)\s+"
    r"(?!spaces|duplicates|markup|comments|empty|null)"
    r"|\b(?:is|are|will be|would be|gets?|be)\s+(?:permanently\s+)?"
    r"(?:deleted|removed|discarded|purged|erased|wiped|destroyed)\b", re.IGNORECASE)


# Removal from what the tool hands back trims its reply ("Remove all script tags from the
# HTML", "Remove all HTML comments", "Removes blank lines from the output").
_TRIMS_OUTPUT = re.compile(
    r"\bfrom (?:the |its )?(?:html|output|response|result|results|text|markdown|content|page|"
    r"reply|snapshot|dom)\b|\b(?:html|markdown|whitespace|tags|output)\b", re.IGNORECASE)


# Each match of `_SHELL_TEXT` holds one of these (" command", " to run" ... after its word of
# code, or the language the code is in).
_SHELL_TEXT_PARTS = (" command", " to run", " to execute", " to evaluate", "python",
                     "javascript", "typescript", "ruby", "node", "lua", "perl")


def _may_name_code(description: str) -> bool:
    """Could `_SHELL_TEXT` match? Each of its matches holds one of these words, and one of
    `_SHELL_TEXT_PARTS`; substring tests on the lowered text cost a twentieth of the
    case-blind pattern's search, and most argument descriptions hold none of them."""
    low = blind_lower(description)
    return ("command" in low or "code" in low or "script" in low or "program" in low
            or "expression" in low or "snippet" in low) and contains_any(low, _SHELL_TEXT_PARTS)


# A switch described by what setting it does: "archive: If true, move the listed emails to the
# Archive folder", "book: If true, book the shipment at the quoted price", "mark_processed: If
# true, mark returned orders as processed". Whatever the switch is called, the verb after "If
# true," is what a call then does. The caller only takes booleans, and only on readers, so this
# matters only where the name and description alone would say the tool reads.
_IF_OPENINGS = frozenset(("If", "if", "IF", "Wh", "wh"))
_SWITCHED_ON = re.compile(
    r"^(?:if|when)\s+(?:true|set|enabled|yes|on)\b(?:\s+and\s+[a-z ]{1,30}?)?,?\s+"
    r"(?:also\s+|then\s+|automatically\s+|immediately\s+)?([a-z]+)\s+([a-z]+)", re.IGNORECASE)
# Verbs that, after "If true,", shape or add to what is handed back rather than act on the
# service ("If true, sort by date", "If true, truncate long values", "If true, add line
# numbers"), or are no verb of the tool's own ("If true, only ..."); a word the table lacks
# counts only before an object ("If true, book the shipment"), and these never.
_SHAPES_THE_REPLY = frozenset(
    """sort truncate clean cleanup request compress zip gzip refresh reload merge split group add
    append insert generate include exclude return omit skip ignore use only show hide
    expand collapse flatten strip trim escape wrap format pretty paginate follow recurse
    treat allow prefer wait retry force open enable disable stream cache dedupe
    deduplicate normalize convert decode encode resolve render preserve keep load limit""".split())


def _switched_on(key: str, description: str) -> int:
    """_REMOVAL or _ACTS when a switch's description says setting it removes or acts on
    something ("If true, move the listed emails to the Archive folder"), else 0."""
    found = _SWITCHED_ON.match(description)
    if found is None:
        return 0
    word, after = found.group(1).lower(), found.group(2).lower()
    verb = base_verb(word)
    if (word in _SHAPES_THE_REPLY or verb in _SHAPES_THE_REPLY or word.rstrip("s") in
            _SHAPES_THE_REPLY or _TRIMS_OUTPUT.search(description)):
        return 0
    kind = VERBS.get(verb) if verb is not None else None
    if kind is None:
        # A word the table lacks is a verb when the switch is named by it and an object
        # follows ("book: If true, book the shipment"); "debug: If true, bypass the cache" is
        # no act the switch names.
        return _ACTS if after in OBJECT_OPENERS and key.startswith(word) else 0
    if kind == READ:
        return 0
    return _REMOVAL if kind == REMOVE else _ACTS


# Removal from a named place that is not the reply ("messages are removed from the queue once
# returned in the output") is no trimming of the reply, whatever else the text mentions.
_REMOVED_FROM = re.compile(
    r"\b(?:deleted|removed|purged|discarded|erased|wiped|deletes|removes|purges|discards)\s+"
    r"from\s+(?:the\s+|its\s+|their\s+|this\s+|that\s+)?([a-z]+)", re.IGNORECASE)
_REPLY_WORDS = frozenset(
    "html output response result results text markdown content page reply snapshot dom string "
    "list answer body".split())


def _taken_from_a_store(description: str) -> bool:
    found = _REMOVED_FROM.search(description)
    return found is not None and found.group(1).lower() not in _REPLY_WORDS


# Pairs of an argument's name and description: the corpus's servers have about 22,700, and a
# memo of 16,384 evicted most of them before the next classification of the same servers (an
# edit, a reload) asked again. Each entry holds at most 100 + 300 characters.
_PAIRS_KEPT = 32768


@lru_cache(maxsize=_PAIRS_KEPT)
def _property_flags(name: str, description: str, switch: bool, may_be_text: bool) -> int:
    """What an argument's name and description say, as bit flags. Cached on the pair (and
    whether the argument is a boolean `switch`, and whether its type allows free text):
    servers repeat the same arguments ("namespace", "The namespace of the flow") across their
    tools."""
    flags = _traits_of(name)
    # Code described (_DESC_SHELL, _DESC_SQL, _GRAPHQL) is taken only from an argument that
    # may hold free text (`_is_textual`): a number, a switch or a list says none.
    if may_be_text and description and not flags & _SHELL_OR_SQL:
        if _may_name_code(description) and _SHELL_TEXT.search(description):
            flags |= _DESC_SHELL
        elif flags & _QUERYISH and _SQL_TEXT.search(description):
            # "query: SELECT SQL query to execute"; a "database: the SQL database" is no code.
            flags |= _DESC_SQL
        elif flags & _QUERYISH and _GRAPHQL_TEXT.search(description):
            flags |= _GRAPHQL
    # What a description says setting the argument does (_REMOVAL, _ACTS) is read only of a
    # switch: `inspect_schema` takes those flags of booleans alone, so for any other argument
    # (most of them) the tests below could only set flags it then ignores.
    if (switch and description and not flags & _REMOVAL
            # Written out rather than any(...) over a tuple: this runs for every argument.
            and ("elete" in description or "emove" in description or "urge" in description
                 or "iscard" in description or "rase" in description or "ipe" in description
                 or "estroy" in description)
            and (_REMOVING_TEXT.search(description) or _REMOVED_LATER.search(description))
            and (not _TRIMS_OUTPUT.search(description) or _taken_from_a_store(description))):
        # "compact: If true, deletes the originals", "ack: acknowledge messages (removes them
        # from the queue)", "the originals are discarded": a switch (the caller checks it is
        # a boolean) that turns on removing things, whatever its name.
        flags |= _REMOVAL
    if (switch and description and not flags & (_REMOVAL | _ACTS)
            and description[:2] in _IF_OPENINGS):
        flags |= _switched_on(_normalize(name), description)
    # ("pload" and "nstall" first: one test each rules both spellings out, for most texts.)
    if description and (("pload" in description
                         and ("upload" in description or "Upload" in description))
                        or ("nstall" in description
                            and ("install" in description or "Install" in description))):
        sent = _SENT_TEXT.search(description)
        if sent is not None:
            flags |= _DESC_INSTALL if "nstall" in sent.group() else _DESC_UPLOAD
    return flags


_INTERESTING = (_ACTION | _FORCE | _MONEY | _SHELL | _SQL | _DESC_SHELL | _DESC_SQL | _URL
                | _OUTPUT | _REMOVAL | _STEPS | _DESC_UPLOAD | _DESC_INSTALL | _GRAPHQL | _ACTS)


def _step_kinds(prop: dict[str, Any]) -> tuple[str, ...]:
    """The values an item of a list of steps may say it does (`items.properties.type.enum`)."""
    if prop.get("type") != "array":
        return ()
    items = prop.get("items")
    fields = items.get("properties") if type(items) is dict else None
    if type(fields) is not dict:
        return ()
    for field in STEP_FIELDS:
        spec = fields.get(field)
        if type(spec) is dict:
            values = _enum_values(spec)
            if values:
                return _dedupe(values)
    return ()


# "code" names source code as often as an identifier: a project, country or currency code.
_IDENTIFIER_CODE = re.compile(
    r"\b(?:project|country|language|currency|postal|zip|region|airport|error|status|promo"
    r"|discount|coupon|product|item|colou?r|locale|iso|state|station|workspace|organi[sz]ation"
    r"|team|account|company|site|store|warehouse|location|short|unique|reference|ticker"
    r"|tax|vendor|customer|field)"
    r"[ -]codes?\b|\bcodes? (?:of|for|identifying) (?:the|a|an) "
    # a filter on a code: "Filter results to vendors matching this code", "the code value"
    r"|^\s*filter (?:results|by|to|on|the|items)\b|\bmatching (?:this|the|a|that) code\b"
    r"|\bcode (?:identifier|value)s?\b", re.IGNORECASE)
_CODE_NAMES = frozenset(("code",))
_IDENTIFIER_LENGTH = 64


def _names_a_code(name: str, prop: dict[str, Any], description: Any) -> bool:
    """Is an argument called `code` an identifier rather than source code: bounded to a short
    length, or described as a project, country, currency ... code?"""
    if _normalize(name) not in _CODE_NAMES:
        return False
    limit = prop.get("maxLength")
    if type(limit) is int and limit <= _IDENTIFIER_LENGTH:
        return True
    if type(description) is not str:
        return False
    window = description[:_DESCRIPTION_WINDOW]
    # "Filter results with this Python expression" is code whatever else it says.
    return _IDENTIFIER_CODE.search(window) is not None and _SHELL_TEXT.search(window) is None


def _is_textual(prop: dict[str, Any]) -> bool:
    """Could this argument hold free text (a string without an enum)?"""
    if "enum" in prop or "const" in prop:
        return False
    kind = prop.get("type")
    if kind is None:
        options = prop.get("anyOf") or prop.get("oneOf")
        if isinstance(options, list):
            return any(isinstance(o, dict) and o.get("type") == "string" for o in options[:10])
        return True
    if isinstance(kind, list):
        return "string" in kind
    return kind == "string"


def _enumerated(prop: dict[str, Any]) -> bool:
    """Does the argument only pick among fixed values (an enum, or options that are each an
    enum, a list of one, or null)? Such a choice ("install_types: python | yaml") carries no
    file to upload or package to install, whatever its description says of the values."""
    if "enum" in prop or "const" in prop:
        return True
    options = prop.get("anyOf") or prop.get("oneOf")
    if not isinstance(options, list) or not options:
        return False
    for option in options[:10]:
        if not isinstance(option, dict):
            return False
        items = option.get("items")
        if not ("enum" in option or "const" in option or option.get("type") == "null"
                or (isinstance(items, dict) and ("enum" in items or "const" in items))):
            return False
    return True


def inspect_schema(schema: Any, nested: bool = False) -> SchemaFacts:
    """Everything the classifier wants from an input schema, in one pass over its properties.
    Arguments wrapped in a single object (`{"params": {...}}`) are looked at too, except for
    an action selector, which a condition path could not address there."""
    if not isinstance(schema, dict):
        return _EMPTY
    props = schema.get("properties")
    # The arguments that say anything, with what they say: most tools have none, and then
    # nothing below is allocated.
    said: list[tuple[str, dict[str, Any], int]] = []
    if isinstance(props, dict):
        items = props.items() if len(props) <= MAX_PROPERTIES else islice(props.items(),
                                                                           MAX_PROPERTIES)
        for name, prop in items:
            if type(prop) is not dict or type(name) is not str:
                continue
            description = prop.get("description")
            if type(description) is not str or not description:
                # Without a description (a third of real arguments) only the name speaks: what
                # `_property_flags` would return, from the table of names alone, which keeps
                # the pairs' table for the arguments that describe themselves.
                flags = _traits_of(name[:100]) & _INTERESTING
            else:
                kind = prop.get("type")
                # Slicing a short string returns it as is, so this allocates only for long
                # ones (and keeps huge hostile strings out of the cache).
                flags = _property_flags(
                    name[:100],
                    description[:_DESCRIPTION_WINDOW],
                    kind == "boolean",
                    kind is None or kind == "string" or isinstance(kind, list),  # _is_textual
                ) & _INTERESTING
            if flags:
                said.append((name, prop, flags))
        if (not said and "oneOf" not in schema and "anyOf" not in schema
                and (nested or len(props) != 1)):
            return _EMPTY
    action_best: tuple[int, str, tuple[str, ...]] | None = None
    code: list[tuple[str, str]] = []
    money: list[str] = []
    force: list[str] = []
    urls: list[str] = []
    output: list[str] = []
    removal: list[str] = []
    acts: list[str] = []
    sent: list[tuple[str, str]] = []
    steps: tuple[str, tuple[str, ...]] | None = None
    for name, prop, flags in said:
        description = prop.get("description")
        # A name with a dot cannot be addressed by a condition path (args.a.b is nested).
        if flags & _ACTION and "." not in name and not nested:
            values = _enum_values(prop)
            if values:
                values_t = _dedupe(values)
                pref = _preference(normalize(name))
                if len(values_t) >= 2 and (action_best is None or pref < action_best[0]):
                    action_best = (pref, name, values_t)
                continue  # an argument with a choice of values is no free text
        if flags & _FORCE:
            force.append(name)
        if flags & _MONEY:
            money.append(name)
        if flags & _URL and "enum" not in prop and "const" not in prop:
            urls.append(name)
        if flags & _OUTPUT:
            output.append(name)
        if flags & _REMOVAL and prop.get("type") == "boolean":
            removal.append(name)
        elif flags & _ACTS and prop.get("type") == "boolean" and "const" not in prop:
            acts.append(name)  # `confirm: const true` is a formality, not a choice
        if flags & (_DESC_UPLOAD | _DESC_INSTALL) and not _enumerated(prop):
            sent.append((name, "install" if flags & _DESC_INSTALL else "upload"))
        if flags & _STEPS and steps is None:
            kinds = _step_kinds(prop)
            if kinds:
                steps = (name, kinds)
        if flags & (_SHELL | _DESC_SHELL) and _is_textual(prop):
            if not (flags & _DESC_SHELL) and _names_a_code(name, prop, description):
                continue  # "code: Project code (2-10 uppercase letters)" is an identifier
            code.append((name, "shell"))
        elif flags & (_SQL | _DESC_SQL) and _is_textual(prop):
            code.append((name, "sql"))
        elif flags & _GRAPHQL and _is_textual(prop):
            code.append((name, "graphql"))
    if action_best is not None:
        action: ActionArgument | None = ActionArgument(action_best[1], action_best[2])
    else:
        action = _union_action(schema) if ("oneOf" in schema or "anyOf" in schema) else None
    if action is not None:
        # The action selector itself is not code or money, whatever its name.
        code = [c for c in code if c[0] != action.name]
        money = [m for m in money if m != action.name]
        force = [f for f in force if f != action.name]
    if not nested and isinstance(props, dict) and len(props) == 1:
        (wrapper, inner), = props.items()
        if isinstance(inner, dict) and inner.get("type") == "object" and isinstance(wrapper, str):
            found = inspect_schema(inner, nested=True)
            shown = wrapper[:40] + "."
            code += [(shown + n, k) for n, k in found.code_arguments]
            money += [shown + n for n in found.money_arguments]
            force += [shown + n for n in found.force_arguments]
            urls += [shown + n for n in found.url_arguments]
            output += [shown + n for n in found.output_arguments]
            removal += [shown + n for n in found.removal_switches]
            acts += [shown + n for n in found.act_switches]
            sent += [(shown + n, k) for n, k in found.sent_arguments]
            if steps is None and found.steps is not None:
                steps = (shown + found.steps[0], found.steps[1])
    if not (code or money or force or action or urls or output or removal or steps or sent
            or acts):
        return _EMPTY
    return SchemaFacts(action, tuple(code), tuple(money), tuple(force), tuple(urls),
                       tuple(output), tuple(removal), steps, tuple(sent), tuple(acts))
