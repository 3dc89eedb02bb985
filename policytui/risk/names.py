"""The verbs in a tool name, as servers really write names: any style, a verb first or last,
compound verbs, agent nouns, and the namespaces a server puts in front of its tools."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from policytui.risk import vocabulary as v
from policytui.risk.european import name_verb as european_name_verb
from policytui.risk.kinds import CONNECTORS, KIND_RISK
from policytui.risk.words import (
    ADJECTIVES_BEFORE_PLURALS,
    PARTICLES,
    adjective_here,
    join_phrasal,
    lexicon_verb,
    name_words,
)


@lru_cache(maxsize=8192)
def _split_compound(word: str) -> tuple[str, ...]:
    """A run-together pair of verbs ("createorupdate", "getandset") as its parts, else the
    word itself. Servers write compound verbs as one word; each part is a verb to weigh."""
    for joint in ("or", "and"):
        at = word.find(joint, 2)
        while 0 < at < len(word) - len(joint) - 1:
            head, tail = word[:at], word[at + len(joint):]
            if head in v.VERBS and tail in v.VERBS:
                return (head, joint, tail)
            at = word.find(joint, at + 1)
    return (word,)


def expand(words: list[str]) -> list[str]:
    verbs = v.VERBS
    for word in words:
        if len(word) > 6 and ("or" in word or "and" in word) and word not in verbs:
            break
    else:
        return words  # the common case: no run-together verbs
    out: list[str] = []
    for word in words:
        if len(word) < 7 or word in verbs:
            out.append(word)
        else:
            out.extend(_split_compound(word))
    return out


@lru_cache(maxsize=8192)
def _agent_verb(word: str) -> str | None:
    """The verb behind an agent noun ending a name ("reader" -> read, "updater" -> update,
    "runner" -> run, "creator" -> create), or None."""
    if len(word) < 5 or word[-2:] not in ("er", "or") or word in v.VERBS:
        return None
    stem = word[:-2]
    for candidate in (stem, word[:-1], stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else ""):
        if candidate in v.VERBS and candidate not in v.AMBIGUOUS:
            return candidate
    return None


# Verbs that only look something up: after them a noun is what is looked up. Not every verb
# that reads: "ping_approver" nudges a person and "wait_run" waits on a new run.
LOOK_UPS = frozenset(
    "get list fetch find search lookup retrieve describe show view read inspect tail diagnose "
    "analyze analyse".split())


def _after_a_look(words: list[str], start: int, at: int) -> bool:
    """Does a word that looks (a look-up, or a reading word more often a noun such as "tail"
    or "stream") stand before `at`, with no other verb between? "tail_build_log" reads a
    build's log; "app_build_preview" and "job_run_and_wait" build and run."""
    for word in reversed(words[start:at]):
        kind = v.VERBS.get(word)
        if kind is not None or word in CONNECTORS:
            return word in LOOK_UPS or (kind == v.READ and word in v.AMBIGUOUS)
    return False


def _reads_first(words: list[str]) -> bool:
    """Is the name's first verb one that looks up ("get", not "ping"), with no verb that acts
    between it and the name's last word?"""
    verbs = v.VERBS
    for i, word in enumerate(words[:-1]):
        kind = verbs.get(word)
        if kind is None:
            continue
        if word not in LOOK_UPS:
            return False
        return not any(verbs.get(w, v.READ) != v.READ and w not in v.AMBIGUOUS
                       for w in words[i + 1:-1])
    return False


class NameVerbs:
    """What the words of a name say. A plain slotted class: one is made per tool, so it stays
    cheap to build."""

    __slots__ = ("words", "verb", "kind", "ambiguous", "alternatives", "prefix", "launched",
                 "forced", "namespace", "last", "last_kind", "agent", "lexicon", "noun", "leads",
                 "server_noun")

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.verb: str | None = None
        self.kind: str | None = None
        self.ambiguous = False
        self.alternatives: list[tuple[str, str]] = []
        self.prefix: list[str] = []
        self.launched: str | None = None  # "start" in "start_search"
        self.forced = False
        self.namespace: str | None = None  # a leading word the server uses as a namespace
        self.last: str | None = None  # a verb ending the name, of another category than `verb`
        self.last_kind: str | None = None
        self.agent: str | None = None  # "reader" ending "services_reader"
        # The verb is no word of the table but one of the public API lexicon (lexicon.py).
        self.lexicon = False
        # A word more often a noun, read as one ("order" in "order_status"), or an adjective
        # ("open" in "open_orders"): no verb here (see name_verbs).
        self.noun: str | None = None
        # A reading word more often a noun leads the name, followed by what it looks at.
        self.leads = False
        # A verb the server's own names use as a noun, read as one here (see server_nouns).
        self.server_noun: str | None = None


def name_verbs(text: str, namespaces: frozenset[str] = frozenset(),
               nouns: frozenset[str] = frozenset()) -> NameVerbs:
    """The governing verb of a name such as `github_create_or_update_file`, `listIssues` or
    `compute_vm_delete`, and a disagreeing verb at its end, if any. `nouns` are verbs the
    server's own names use as nouns (see `server_nouns`)."""
    words = expand(name_words(text))
    if not PARTICLES.isdisjoint(words):
        words = join_phrasal(words)  # "power_off_vm", "tear_down_stack"
    verbs = v.VERBS
    # (Only a word ending "er" or "or" can be an agent noun: tested here, before the cache.)
    agent = (_agent_verb(words[-1]) if len(words) > 1 and words[-1][-2:] in ("er", "or")
             else None)
    if (agent is not None and verbs.get(words[-2]) not in (None, v.READ)
            and words[-2] not in v.AMBIGUOUS):
        # "stop_crawler", "delete_tracker": a verb that acts, right before the agent noun,
        # acts on it. Further off it is a noun ("deploy-services-reader" reads deploys).
        agent = None
    if agent is not None and _reads_first(words):
        # "get_queue_subscriber", "ashby_find_team_manager": after a verb that looks up, the
        # agent noun is the person or thing looked up, not what the tool is.
        agent = None
    if agent is not None:
        # "netlify-deploy-services-reader" is a reader: the agent noun ending the name is
        # what the tool is, and the words before it only say what it works on.
        found = NameVerbs(words)
        found.verb, found.kind = agent, verbs[agent]
        found.agent = words[-1]
        found.forced = "force" in words
        return found
    found = NameVerbs(words)
    start = 0
    if namespaces and len(words) > 1 and words[0] in namespaces:
        found.namespace = words[0]
        start = 1
    first_ambiguous = -1
    index = -1
    adjective: str | None = None
    compound = -1  # the second word of a "pay" compound ("pay_schedule"), no verb either
    for i in range(start, len(words)):
        word = words[i]
        if i == compound:
            continue
        if word in ADJECTIVES_BEFORE_PLURALS and adjective_here(words, i):
            adjective = word  # "open_orders": which orders are shown
            continue
        if word == "read" and "mark" in words[start:i]:
            continue  # "mark_notifications_read": a state it sets, the verb is "mark"
        if word == "order" and words[max(start, i - 2):i] == ["out", "of"]:
            continue  # "flag_out_of_order": broken, nothing is ordered
        if word == "call" and i > start and words[i - 1] == "on":
            continue  # "plumber_on_call", "on_call_hours": a duty rota, nobody is called
        if i >= start + 2 and words[i - 1] in _ASKERS and words[i - 2] in _MODAL_QUESTIONS:
            continue  # "should_i_buy", "can_we_refund": whether to do it is asked, not done
        if i + 1 < len(words) and (
                (word in v.TRADE_SIDES and words[i + 1] in v.TRADE_VIEWS)
                or (word in v.AMBIGUOUS and words[i + 1] == "of")):
            # "buy_signals", "sell_through_rate": what a trade would show; "bill_of_materials",
            # "tip_of_the_day": a noun before "of" names a thing.
            continue
        if word == "pay" and i + 1 < len(words) and words[i + 1] in v.PAY_NOUNS:
            compound = i + 1
            continue  # "pay_stub", "pay_schedule": what is paid, no paying
        if word in verbs:
            if (nouns and start < i < len(words) - 1 and word in nouns
                    and _after_a_look(words, start, i)):
                found.server_noun = word  # "tail_build_log" beside "list_builds": a build's log
                continue
            if word not in v.AMBIGUOUS:
                index = i
                break
            if first_ambiguous < 0:
                first_ambiguous = i
    if (start < index and first_ambiguous == start and words[start] in _LEADING_ACTS
            and verbs[words[index]] == v.READ):
        # "set_audit_policy", "set_search_path", "mark_audit": leading the name, "set" and
        # "mark" are the command, and the reading word after them is what they act on.
        index = start
    if index < 0 and found.server_noun is not None and first_ambiguous < 0:
        # The server's noun was the name's only verb ("git_commit_changes" beside
        # "list_commits"): a name is not left with no verb by it.
        return name_verbs(text, namespaces)
    if index < 0:
        index = first_ambiguous
        found.ambiguous = index >= 0
        if index >= 0 and _names_a_view(words, index, start):
            # "order_status", "trade_history", "invoice_summary": the only verb is a word more
            # often a noun, and the name ends with a view of data. The words are a noun
            # compound naming what is shown; the description decides what the tool does.
            found.noun = words[index]
            found.ambiguous = False
            index = -1
        elif index > start and words[index - 1] in _WHICH_ONE:
            # "upcoming_invoice", "last_order", "next_payout": a word more often a noun, after
            # one saying which, is that thing.
            found.ambiguous = False
            index = -1
        elif index > start and words[index - 1] in _OBJECT_BEFORE:
            # "transfers_for_order", "refunds_by_charge": after a preposition, a word more
            # often a noun is what the others belong to.
            found.ambiguous = False
            index = -1
        elif index > start and words[index] in _VERBS_ONLY_LEADING:
            # "market_book", "condolence_book_entries": after another word, "book" is the
            # thing ("order book", "address book"); leading the name ("book_flight") it acts.
            # A name of nouns, then, as if the word were no verb at all.
            found.ambiguous = False
            index = -1
        elif (index == start and index + 1 < len(words) and words[index] in _LEADING_READS
              and words[index + 1] not in _PARTICLES):
            # "check_availability", "query_incident", "view_logs": leading the name and
            # followed by what it looks at, the word is likely the verb (see wording).
            found.leads = True
    found.forced = "force" in words
    if index < 0 and adjective is not None:
        found.noun = adjective
    if index < 0:
        if start < len(words) and not _european_verb(found, words, start):
            _lexicon_verb(found, words, start)
        return found
    verb = words[index]
    if verb == "check" and index + 1 < len(words) and words[index + 1] in ("in", "out"):
        # "check_in", "guest_check_out": registering an arrival or departure acts.
        found.verb, found.kind = verb, v.WRITE
        found.prefix = words[:index]
        return found
    # "start_search": starting a read is a read; but in "start_screen_recording" the word more
    # often a noun is what is started.
    if (verb in v.LAUNCHERS and index + 1 < len(words) and verbs.get(words[index + 1]) == v.READ
            and words[index + 1] not in v.AMBIGUOUS
            and (index + 2 >= len(words) or words[index + 2] not in v.RUNNING_THINGS)):
        found.launched = verb
        index += 1
        verb = words[index]
    found.verb = verb
    kind = found.kind = verbs[verb]
    if verb == "test" and not v.CONNECTIVITY.isdisjoint(words[start:]) and not any(
            words[i] in verbs for i in range(start, len(words)) if i != index):
        # "test_connection", "slack_auth_test": what is tested is only looked at.
        kind = found.kind = v.READ
    elif verb in v.OBJECT_ACTS and not v.OBJECT_ACTS[verb].isdisjoint(words[index + 1:]):
        kind = found.kind = v.WRITE  # "check_checkbox", "extract_archive", "print_label"
    elif verb in v.OBJECT_READS:
        # "resolve_comment" closes a thread, "resolve_library_id" looks an ID up.
        after = [w for w in words[index + 1:] if w not in verbs or w in v.AMBIGUOUS]
        objects = after or [w for w in words[start:index] if w not in verbs or w in v.AMBIGUOUS]
        if v.reads_its_object(verb, objects) is False:
            kind = found.kind = v.WRITE
    found.prefix = words[:index] if index and not found.launched else []
    named = {verb}
    for i in range(index + 1, len(words) - 1):
        if words[i] in CONNECTORS and words[i + 1] in verbs:
            found.alternatives.append((words[i + 1], verbs[words[i + 1]]))
            named.add(words[i + 1])
    # The verb may stand last ("vm_delete"); then the first verb may be a namespace word
    # ("compute_vm_delete") or the last a noun ("get_job_run"). The caller decides which.
    last = words[-1]
    if verb in LOOK_UPS and last in nouns:
        found.server_noun = last  # "get_build" beside "list_builds": the build is what is read
        return found
    if index < len(words) - 1 and last not in named and last not in v.AMBIGUOUS:
        last_kind = verbs.get(last)
        if last_kind is not None and KIND_RISK[last_kind][0] != KIND_RISK[kind][0]:
            found.last, found.last_kind = last, last_kind
    return found


# Reading verbs that are often nouns ("health_check", "search_query") but are verbs when they
# lead a name; not "return" ("return_order" sends goods back) nor "plan".
_LEADING_READS = frozenset("check view query trace filter rank score match".split())
# Words more often nouns that are the command when they lead a name before a reading word.
_LEADING_ACTS = frozenset(("set", "mark"))
# Words that say which one of a thing is meant ("upcoming_invoice").
# A question a name asks ("should_i_buy", "can_we_refund"): the verb after it is weighed.
_MODAL_QUESTIONS = frozenset("should can could would shall".split())
_ASKERS = frozenset("i we".split())
# Prepositions after which a word more often a noun is one ("transfers_for_order").
_OBJECT_BEFORE = frozenset("for by of per from".split())
_WHICH_ONE = frozenset("upcoming next last previous latest recent current pending draft".split())
# Words more often nouns that are the name's verb only when they lead it.
_VERBS_ONLY_LEADING = frozenset(("book",))
# Particles that make a phrasal verb of one: "check_in", "check_out" act.
_PARTICLES = frozenset("in out off up".split())

# Words more often nouns that still act when they lead a name before a view of data:
# "set_status", "mark_history", "sort_summary", "close_details" do something to it.
ACTS_BEFORE_A_VIEW = frozenset(
    """
    set mark sort close open go end focus type tail cat split claim answer return like follow
    watch share link star pin lock filter match rank score sample scale
    """.split())


# Views of data in the languages that name them before what they are of.
_VIEWS_FIRST = frozenset(
    "calendario calendrier cronograma programma storico historial historico historique "
    "elenco riepilogo resumen resumo estratto extracto extrato releve".split())


def _names_a_view(words: list[str], index: int, start: int = 0) -> bool:
    """Is the word more often a noun at `index` part of a noun compound naming a view of data:
    the name's last word is a view noun, no verb, and nothing after the word is a verb? Or is
    it itself such a view, ending the name after a noun ("cinema_schedule")?"""
    last = words[-1]
    word = words[index]
    if index == len(words) - 1 and index > start and word in v.VIEW_NOUNS:
        return v.VERBS.get(words[index - 1]) is None  # not "set_schedule"
    if (index == len(words) - 1 and index > start and words[index - 1] in _VIEWS_FIRST
            and v.VERBS.get(word) == v.MONEY):
        # "mkt_calendario_payout": Italian, Spanish, Portuguese and French name the view
        # first and what it is of after it, a calendar of payouts.
        return True
    if (index >= len(words) - 1 or last not in v.VIEW_NOUNS or word in ACTS_BEFORE_A_VIEW
            or v.VERBS[word] == v.READ):  # "check_status", "view_history" read anyway
        return False
    if v.VERBS[word] == v.MONEY and index == len(words) - 2 and last in v.AMBIGUOUS:
        # "payout_schedule", "refund_eligibility": a money word before a view that is also a
        # word more often a noun ("schedule") names when or whether money moves; the name
        # moves none, and the description decides.
        return True
    return not any(word in v.VERBS for word in words[index + 1:])


def _european_verb(found: NameVerbs, words: list[str], start: int) -> bool:
    """A name with no English verb may be written in French, Spanish, Portuguese, Italian,
    German or Dutch ("eliminar_cliente", "benutzer_sperren"): its verb is read from the same
    table as a description's (european.py). Found, the verb is recorded on `found`."""
    known = european_name_verb(words, start)
    if known is None:
        return False
    at, kind = known
    found.verb, found.kind = words[at], kind
    found.prefix = words[:at]
    return True


def _lexicon_verb(found: NameVerbs, words: list[str], start: int) -> None:
    """A name with no verb of the table may lead with one of the public API lexicon
    (`associate_address`, `untag_resource`), where cloud APIs put their verbs. It is a weak
    sign, like a word more often a noun: a lexicon write makes the tool no reader, but a
    lexicon read alone does not make it Read."""
    word = words[start]
    known = lexicon_verb(word)
    if known is None or known[0] != word:
        return  # only the verb itself: "logs", "reports" or "signals" name things
    found.verb, found.kind = known
    found.lexicon = found.ambiguous = True
    found.prefix = words[:start]


def server_namespaces(names: Iterable[str]) -> frozenset[str]:
    """Leading words a server uses as namespaces though they are also verbs (`compute_`,
    `monitor_`, `search_`): shared by several tools whose names go on to say different kinds
    of things (`compute_vm_delete`, `compute_vm_create`, `compute_vm_list`). A verb-first
    server's `get_` is followed by nouns and is no namespace."""
    verbs = v.VERBS
    # Plain dicts rather than Counters: this runs over every name of every server.
    shared: dict[str, int] = {}
    heads: dict[str, int] = {}
    later: dict[str, set[str]] = {}
    with_verb: dict[str, int] = {}
    total = 0
    for name in names:
        if type(name) is not str:
            continue
        total += 1
        words = expand(name_words(name))
        if len(words) < 2:
            continue
        head = words[0]
        heads[head] = heads.get(head, 0) + 1
        if head not in verbs:
            continue
        shared[head] = shared.get(head, 0) + 1
        last = words[-1]
        if last in verbs and last not in v.AMBIGUOUS and words[-2] not in CONNECTORS:
            with_verb[head] = with_verb.get(head, 0) + 1
            later.setdefault(head, set()).add(verbs[last])
    # A verb: most of the head's tools end with their own verb, of more than one kind.
    found = {head for head, count in shared.items()
             if count >= 3 and with_verb.get(head, 0) * 3 >= count * 2
             and len(later.get(head, ())) >= 2}
    # Any other word that begins most of the server's names ("billing_", "API-"): a namespace,
    # so a money word there says nothing about what one tool does.
    found.update(head for head, count in heads.items()
                 if head not in verbs and count >= 3 and count * 2 >= total)
    return frozenset(found)


# What a server's plural nouns may turn into a noun elsewhere in its names: verbs that add
# something or run it. Words that remove, change or pay keep their verb reading everywhere.
_NOUN_KINDS = frozenset((v.WRITE, v.EXECUTE))


def server_nouns(names: Iterable[str]) -> frozenset[str]:
    """Verbs a server's own names use as nouns: the server that lists `list_builds`,
    `listPipelineRuns` or `list_simulation_runs` names builds and runs, so its `get_build`,
    `tail_build_log` and `get_simulation_run` read one. Only a plural past a name's first word
    counts ("runs" leading "runs_create" is no plural), and only verbs that add or run
    something (see `_NOUN_KINDS`) and are not already weighed as nouns elsewhere ("order").
    `name_verbs` reads such a word as a noun last only after a verb that looks up (not
    "preview_deploy" or "wait_run"), and inside a name only when another verb is left."""
    found: set[str] = set()
    for name in names:
        if type(name) is str and "s" in name:
            found.update(_plural_stems(name))
    return frozenset(found)


@lru_cache(maxsize=16384)
def _plural_stems(name: str) -> tuple[str, ...]:
    """The verbs (see `server_nouns`) a name holds in the plural past its first word."""
    verbs = v.VERBS
    stems = []
    for word in name_words(name)[1:]:
        if len(word) < 4 or word[-1] != "s" or word in verbs:
            continue
        stem = word[:-1]
        if stem not in verbs and word.endswith("es"):
            stem = word[:-2]  # "pushes", "searches"
        if verbs.get(stem) in _NOUN_KINDS and stem not in v.AMBIGUOUS:
            stems.append(stem)  # (a word more often a noun is weighed as one already)
    return tuple(stems)
