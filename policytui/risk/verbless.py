"""What a tool is when neither its name nor its description's first sentence holds a verb the
tables know. Two shapes of the first sentence tell:

- a command with a verb the tables lack ("Retweet a tweet", "Format an Excel range", "Log
  worked hours for a client"): its first word takes an object, so it is a verb, and an unknown
  action is taken to change something (Write), never left as a harmless Other/Low;
- a noun phrase whose head names a view of data ("CPU/memory usage for nodes or pods",
  "Cross-firm leaderboard for trade volume"): the tool shows that view (Read), when no word
  of the phrase names a tool or agent that does something unsaid.

Everything else stays Other: no sign either way.
"""

from __future__ import annotations

import re

from policytui.risk import vocabulary as v
from policytui.risk.descriptions import DescriptionVerbs, is_adverb
from policytui.risk.european import INFINITIVE_ENDINGS
from policytui.risk.names import NameVerbs
from policytui.risk.words import OBJECT_OPENERS, plural_noun

# First words that are never commands: pronouns, quantifiers, prepositions and the like
# ("One structured digest", "All orders of the client", "Current and recent funding rate").
_NEVER_COMMANDS = frozenset(
    """
    a an the this that these those its their all any each every some your my our one two
    both either neither no none only just also here there it they we you he she i
    of for in on at by with from to into onto over under about after before between per via
    vs versus and or but if when while where which who whose what how why not whether
    current currently recent latest new old public private live real
    """.split())

# Prepositions that send what a verb acts on somewhere ("into the database", "to teams").
WHERE_TO = frozenset(("into", "onto", "to"))

# Words after the first that keep a sentence a noun phrase: "Income vs expense dynamics",
# "Orders of the client", "Usage for nodes": a verb is not followed by a preposition.
_NOUN_PHRASE_JOINS = frozenset(
    "of for vs versus and or per by in on at across with from over to , /"
    # A verb is not followed by "are" either: "Chapels are free on Saturday" names them.
    " are were"
    # Nor, in German and Dutch, whose commands put the verb last, by a preposition or by
    # "und": "Rechnungen mit Status", "Facturen van een klant".
    " mit von im zum zur aus nach met voor bij und".split())
# "of" in French, Spanish, Italian, Portuguese and Dutch: "Historique des mouvements", "Ficha
# del alumno", "Overzicht van betaalde contributie" name what is shown. Not after a word
# shaped like an infinitive ("Impostare del profilo"), and a verb these languages' tables
# know ("Elimina del ...") is read before this rule is asked.
_FOREIGN_OF = frozenset("de des du d del della delle dei degli dello do da dos van".split())
_INFINITIVE_ENDINGS = (*INFINITIVE_ENDINGS, "re")  # "impostare", "prendre" too


def _joins_a_noun_phrase(first: str, after: str) -> bool:
    """Does `after` join `first` to more of a noun phrase rather than open its object?"""
    return after in _NOUN_PHRASE_JOINS or (after in _FOREIGN_OF
                                           and not first.endswith(_INFINITIVE_ENDINGS)) or (
        # A Dutch participle before "en" (and), an adjective of a list: "Geplande en
        # periodieke betalingen" (not Swedish "Rapportera en avvikelse", a verb and "a").
        after == "en" and first[:2] == "ge" and first[-2:] in ("de", "te"))

# Where a noun phrase's head words end: the first preposition (or separator) after them.
_PHRASE_ENDS = frozenset(
    "of for per by in on at across with from over to within between grouped sorted since "
    "including , ( )".split())
_PHRASE_WORDS = 6

# Views of data named in the singular, which VIEW_NOUNS (names' last words) leaves out for
# fear of verbs: in a verbless noun phrase they name what is shown ("funding rate",
# "liquidation price", "operational state", "Outcome totals per category").
_VIEW_HEADS = v.VIEW_NOUNS | frozenset(
    """
    rate price state total totals leaderboard ranking rankings digest dynamics breakdown
    """.split())

# What ends a name that is a compound of nouns naming a view no call sets: a report, a log, a
# history, a summary. Not a price, a rate, a state, a limit or a schedule, which a command the
# tables lack may set ("boost_rate": "Boost rate for premium users").
_VIEWS_ENDING_A_NAME = frozenset(
    """
    report reports log logs availability history summary summaries overview stats statistics
    metrics analytics usage activity performance insights trends breakdown totals ledger
    leaderboard ranking rankings digest timeline feed details info
    """.split())

# A phrase naming a tool, an agent or a session does something it does not say ("Primary chat
# tool for text", "Supervised trading agent"): no view of data.
_DOERS = frozenset(
    """
    tool tools agent agents assistant assistants bot bots helper wrapper endpoint utility
    interface session sessions completion completions generation chat workflow
    """.split())


# What opens a yes/no question about a present or past fact: "Is this seat still available
# for the performance?", "Does the user have MFA enabled?". Not "Can"/"Will"/"Would", which
# also open requests ("Can you restart the server?").
_YES_NO_OPENERS = frozenset("is are was were does do did has have".split())


def yes_no_question(desc: DescriptionVerbs) -> bool:
    """Is the first sentence a yes/no question about a fact, ending in "?"? Its words after
    the opener are what is asked about, never a command."""
    text = desc.text.lstrip()
    opener = text[:6].split(" ", 1)[0]
    if opener.lower() not in _YES_NO_OPENERS or not opener[:1].isupper():
        return False
    end = len(desc.sentence) + 2
    return "?" in text[:end]


def which_question(desc: DescriptionVerbs) -> bool:
    """Is the first sentence a question opening with "Which", ending in "?" ("Which chapels
    are free on Saturday?")? The sentence's words leave out "which", a lead-in word ("Tool
    which lists ..."), so its first word is what is asked about, never a command."""
    text = desc.text.lstrip()
    return (text[:6] == "Which " and (not desc.words or desc.words[0] != "which")
            and "?" in text[:len(desc.sentence) + 2])


# Words that open a question in the languages servers write in besides English: "¿Qué huecos
# libres tiene el tutor?", "Welche Tiere sind in Quarantäne?", "Ile wolnych miejsc zostało?",
# "Hány vendég van most?", and yes/no openers that are no command ("Har sjåføren ...?", "Czy
# egzemplarz jest ...?"). Tools are not commanded by questions: on every made-up and
# development tool opening with one of these and ending the sentence with "?", the tool read.
# No word that asks for something to be done ("¿Puedes ...?", "Kannst du ...?") is here.
_FOREIGN_QUESTIONS = frozenset(
    """
    qué que cuál cuáles cuándo dónde quién quiénes cuánto cuánta cuántos cuántas cómo hay
    quais qual quando onde quem quanto quanta quantos quantas como há
    quels quelles quel quelle combien qui où quand comment est-ce
    quali quale quanti quante chi dove come
    welche welcher welches welchen wer wie wann wo wieviel wieviele
    welke welk wat wanneer waar hoeveel hoe
    vilken vilka vilket hvilke hvilken hvilket hvem vem hvad hva vad när når hur hvor hvordan
    który która które którzy ile kto kiedy gdzie czy jakie jaki
    který která které kteří kolik kdo kdy kde jaký jaké
    ce care cât câte câți cine unde când
    mitkä mikä kuka ketkä missä milloin montako kuinka paljonko onko
    hány hányan mely melyik melyek mikor hol mennyi
    aling alin sino ano kailan saan ilan magkano
    apa siapa berapa kapan bila
    hangi kaç nerede
    kaun kya kitne kitna kab kahan
    har är
    """.split())


def foreign_question(desc: DescriptionVerbs) -> str | None:
    """The opening question word when the first sentence is a question in another language,
    ending in "?" ("¿Qué citas hay hoy?", "Combien d'élèves sont inscrits ?"), else None."""
    text = desc.text.lstrip().lstrip("¿¡")
    opener = text[:14].split(" ", 1)[0].lower()
    if opener not in _FOREIGN_QUESTIONS:
        return None
    return opener if "?" in text[:len(desc.sentence) + 2] else None


# Nouns of other languages for a preview, heading a first sentence with no verb: "Vorschau der
# nächsten Rechnung", "Podgląd faktury", "Aperçu du devis", "Anteprima del preventivo", "Náhled
# objednávky". They name what is shown, never a command, even before a genitive article
# ("der", "des"); what a preview also sends or issues is said in a later clause or set by an
# argument, which the later stages read.
_PREVIEWS = frozenset(
    "vorschau podgląd aperçu anteprima náhled previsualización förhandsvisning "
    "forhåndsvisning".split())


def unknown_command(name: NameVerbs, desc: DescriptionVerbs) -> tuple[str, str] | None:
    """(the verb, what shows it is one) when the first sentence is a command whose verb the
    tables lack, or None."""
    if desc.text[:1].isupper() and (yes_no_question(desc) or which_question(desc)):
        return None  # "Is this seat still available?" asks; "seat" is no command
    words = desc.words
    at = 0
    while at < len(words) - 1 and is_adverb(words[at]):
        at += 1  # "Deterministically size a position"
    if at + 1 >= len(words):
        return None
    first, after = words[at], words[at + 1]
    if (not first.isalpha() or len(first) < 3 or first in _NEVER_COMMANDS
            or first in v.VIEW_NOUNS or first in _PREVIEWS or _acronym(desc.sentence, first)
            or (len(first) > 5 and first.endswith("ing"))):  # "Reporting of ...": a noun
        return None
    if after in OBJECT_OPENERS or (after == "up" and words[at + 2:at + 3] == ["to"]):
        return first, f"followed by {after!r}, which opens its object"
    own = name.words[1 if name.namespace else 0:]
    if (len(own) > 1 and own[-1] in _VIEWS_ENDING_A_NAME and first not in (own[-1], own[-1] + "s")
            and "into" not in words and "onto" not in words
            and sends_what_it_names(name, desc) is None):
        # "commission_report": "Commission earned per sales rep"; "fault_log": "Fault code
        # history". The name is a compound of nouns naming a view: its words leading the
        # sentence name what the view is of, not a command ("log_hours": "Log worked hours"
        # ends with no view; nor "Seed report rows into the dev database" or "Logs report to
        # the audit channel", sent somewhere).
        return None
    if (own and first == own[0] and _restates(after, own) and at + 2 < len(words)
            and words[at + 2] in WHERE_TO):
        # "seed_users": "Seed users into the dev database"; "route_tickets": "Route tickets to
        # teams". The name restated, then where it goes: the first word is the command.
        return first, "the name's own word, sending what follows somewhere"
    if (_inflected_in(first, own) and not _joins_a_noun_phrase(first, after)
            and not _restates(after, own)
            and not ((first in own or first[:-1] in own) and plural_noun(first)
                     and _participle(after))):
        # (Not a plural the name holds as it is, before a participle: "timesheets_pending":
        # "Timesheets awaiting approval", "donation_receipts": "Donations received this
        # month" name which ones are shown.)
        # "log_hours": "Log worked hours"; "boot_sim": "Boot iOS simulator". The name's own
        # word leads, followed by an object that is not the rest of the name ("Paper trade
        # history" restates "paper_trades").
        return first, "the name's own word, leading the sentence before its object"
    if (own and third_person_of(first, own[0]) and after not in _NOUN_PHRASE_JOINS
            and not _participle(after)):
        # "collect_payments": "Collects payments from customers". The name's first word leads
        # the sentence with a third-person "s" it does not have in the name: a verb, even
        # when what follows restates the rest of the name. Not before a participle:
        # "donation_receipts": "Donations received this month" names them.
        return first, "the name's first word, in the third person"
    return None


def sends_what_it_names(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The name's first word when it leads the first sentence as a command, bare or in the
    third person, on what the rest of the name names, sent somewhere ("log_metrics": "Logs
    metrics to an experiment run", "Log training metrics into the run"), else None. The
    destination must open with an article or the like: "Usage metrics to date" names them."""
    own = name.words[1 if name.namespace else 0:]
    words = desc.words
    if len(own) < 2 or len(words) < 4:
        return None
    first = words[0]
    if first != own[0] and not third_person_of(first, own[0]):
        return None
    for at in range(1, min(len(words) - 2, 4)):
        if _restates(words[at], own[-1:]):
            if words[at + 1] in WHERE_TO and words[at + 2] in OBJECT_OPENERS:
                return first
            return None
    return None


_THINGS = frozenset("everything nothing something anything thing things string strings".split())


def _participle(word: str) -> bool:
    """Is the word shaped like a participle that says which ones ("awaiting", "received"),
    rather than an object ("everything")?"""
    return ((len(word) > 5 and word.endswith("ing") and word not in _THINGS)
            or (len(word) > 4 and word.endswith("ed")) or word in _WHICH_ONES)


# Words that, like a participle, say which of a plural are meant and never open an object:
# "invoices_overdue": "Invoices past their due date"; "Orders still open".
_WHICH_ONES = frozenset("past overdue unpaid outstanding still".split())


def third_person_verb(word: str) -> bool:
    """Could the word be a verb in the third person ("Pages", "Hails", "Acquires")?"""
    return (len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
            and word not in _NOT_THIRD_PERSON)


_NOT_THIRD_PERSON = frozenset(
    "has was does its his hers this thus plus minus yes less unless versus always perhaps "
    "details settings results news series species"
    # Verbs that say what something is, not what the tool does ("Represents a collection").
    " represents contains describes provides includes holds denotes defines means".split())


def third_person_of(word: str, base: str) -> bool:
    """Is `word` the third person of `base` ("collects" of "collect", "pushes" of "push",
    "copies" of "copy")?"""
    return len(base) > 2 and (word in (base + "s", base + "es")
                              or (base.endswith("y") and word == base[:-1] + "ies"))


# Nouns that name an act, and the verb each is made from: "Permanent deletion of users",
# "Cancellation of an order" do what the verb does.
_ACT_NOUNS: dict[str, str] = {
    "deletion": "delete", "removal": "remove", "destruction": "destroy",
    "termination": "terminate", "cancellation": "cancel", "erasure": "erase",
    "revocation": "revoke", "creation": "create", "submission": "submit",
    "registration": "register", "deactivation": "deactivate", "suspension": "suspend",
    "deallocation": "deallocate", "migration": "migrate", "eviction": "evict",
    "truncation": "truncate", "invalidation": "invalidate", "restoration": "restore",
    "deprovisioning": "deprovision", "decommissioning": "decommission",
}
# Those of them whose act removes or changes what is there: a name that ends with one names what
# the call does to it ("instance_termination", "schema_migration", "azure_vm_deallocation"),
# not a view. (Not one that adds: a "registration" or a "submission" is as often a record.)
_CHANGING_KINDS = (v.REMOVE, v.MODIFY)


def act_ending_a_name(words: list[str]) -> tuple[str, str] | None:
    """(the noun, its verb) when the last word of a name is a noun naming an act that removes
    or changes something ("pod_eviction", "schema_migration"), else None."""
    if not words:
        return None
    verb = _ACT_NOUNS.get(words[-1])
    if verb is None or v.VERBS.get(verb) not in _CHANGING_KINDS:
        return None
    return words[-1], verb
# Words before such a noun that only say how it is done.
_ACT_MANNERS = frozenset(
    "permanent soft hard bulk batch mass full complete partial immediate forced".split())


def act_noun(desc: DescriptionVerbs) -> tuple[str, str] | None:
    """(the noun, its verb) for a first sentence headed by a noun naming an act and followed
    by what it is done to, or by nothing ("Permanent deletion of users", "Cancellation of an
    order", "Account deletion."), else None. A noun followed by another ("Deletion history",
    "Cancellation policy") names a view or a rule."""
    words = desc.words
    at = 0
    while at < 2 and at < len(words) and words[at] in _ACT_MANNERS:
        at += 1
    if at < len(words) and words[at] not in _ACT_NOUNS and at + 1 < len(words) and (
            words[at + 1] in _ACT_NOUNS and words[at] not in _NEVER_COMMANDS):
        at += 1  # "Account deletion.", "Data erasure for a user": what it is done to, first
    if at >= len(words) or words[at] not in _ACT_NOUNS:
        return None
    if at + 1 < len(words) and words[at + 1] not in ("of", "for"):
        return None
    return words[at], _ACT_NOUNS[words[at]]


def names_a_view(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The view of data a noun-phrase first sentence names ("CPU/memory usage for nodes"), or
    None. Only when the name holds no verb and the sentence none either (the caller checks)."""
    words = desc.words
    if not words or not words[0].isalpha() or unknown_command(name, desc) is not None:
        return None
    head: list[str] = []
    for word in words[:_PHRASE_WORDS]:
        if word in _PHRASE_ENDS and head:
            break
        if word != "/":
            head.append(word)
    if not head or not _DOERS.isdisjoint(words[:_PHRASE_WORDS * 2]):
        return None
    for word in reversed(head):
        if word in _VIEW_HEADS:
            return word
    return None


# Words that, opening a sentence with no verb, say it names what is there now or soon: "Current
# tide table for the harbour", "Latest readings from hives", "Remaining car-deck lanes per
# sailing", "Aktuelle Temperatur im Gehege". A time of the data, never of an act: not "next"
# (the next track is skipped to), "daily" or "weekly" (a weekly digest is sent).
_NOW = frozenset(
    """
    current latest remaining recent upcoming live
    aktuelle aktueller aktuelles aktuell aktuális actual actuales actuel actuelle attuale
    atual laatste huidige aktualne nykyinen nuvarande nåværende nuværende
    """.split())
# Nouns of other languages that head a noun phrase naming a view of data: "Estado del
# proyector", "Historial de pagos", "Seznam zakázek", "Stok alat ganti", "Solde du compte".
# The English ones are VIEW_NOUNS; these are the same views, as servers in French, Spanish,
# Portuguese, Italian, German, Dutch, the Nordic and Slavic languages, Indonesian and Malay
# name them (no word that is also a command in its language: "agenda", "stand", "plan"), and
# a preview (_PREVIEWS) is one.
_FOREIGN_VIEWS = frozenset(
    """
    estado état stato stav status historial histórico historique storico historie historia
    sejarah saldo solde sold soldul stock stok estoque voorraad lager inventario inventaire
    lista listado liste listino seznam senarai daftar elenco detalle detalhe détail dettaglio
    detail detaliile scheda ficha dossier resumen resumo résumé riepilogo overzicht übersicht
    oversigt översikt informe relatório rapport raport bericht verslag cartelera horario
    horarios horaires orario rooster calendario calendrier kalender temperatura temperatur
    température nivel niveau livello estadísticas statistik statistiques statistiche suivi
    resultado resultados risultato risultati résultat résultats ergebnis ergebnisse
    szczegóły podrobnosti einzelheiten
    información informacion informação informacao informazioni configuración configuracion
    configuração configuracao límite limite tasa taxa tasso cuota
    previsão previsao previsión prévision previsione prognose intensidad intensità intensité
    """.split()) | _PREVIEWS
# Of those, the nouns no language uses as a verb: an article after one opens what the view is
# of ("Übersicht der Monatsbeiträge", "Previsão das cobranças"), never a verb's object.
_NEVER_VERB_VIEWS = frozenset(
    "übersicht overzicht oversigt översikt previsão previsao previsión prévision previsione "
    "prognose intensidad intensità intensité".split()) | _PREVIEWS
# What opens a verb's object in the languages above: "Programma una nuova sessione" schedules
# one, where "Programma delle prove" is the schedule of rehearsals.
_ARTICLES = OBJECT_OPENERS | frozenset(
    "un una uno le la il lo los las el les os as o um uma einen eine ein einem den die das "
    "der dem een het".split())


# An English word in -ing that French, Spanish, Italian and Portuguese servers use as a noun
# for a view of data, before their own "of": "Reporting des sociétés (CA, marge...)". Only
# there: in English it leads a command ("Reporting bugs to the tracker"). (Planning,
# tracking, listing and monitoring are read as the verbs the tables know before this.)
_LOANED_VIEWS = frozenset(("reporting",))


def names_what_is_shown(desc: DescriptionVerbs) -> str | None:
    """The word that opens a first sentence with no verb as a view of data: a word of the
    present ("Current tide table ...") or, in another language, a noun naming a view
    ("Estado del proyector de una sala"), not followed by an article, as a verb's object
    would be. None otherwise."""
    tokens = desc.text.lstrip().lstrip("¿¡")[:60].split(None, 2)
    if len(tokens) < 2:
        return None
    first = tokens[0].lower().rstrip(",.:;")
    if first in _LOANED_VIEWS and tokens[1].lower() in _FOREIGN_OF:
        return first if _DOERS.isdisjoint(desc.words[:_PHRASE_WORDS * 2]) else None
    if first not in _NOW and first not in _FOREIGN_VIEWS:
        return None
    if ((tokens[1].lower() in _ARTICLES and first not in _NEVER_VERB_VIEWS)  # "Vorschau der"
            or not _DOERS.isdisjoint(desc.words[:_PHRASE_WORDS * 2])):
        return None
    return first


def _acronym(sentence: str, word: str) -> bool:
    """Is the word written in capitals where the sentence first has it ("FSPD operational
    state")? An acronym names a thing; a command's verb is never one."""
    at = sentence.lower().find(word)
    return at >= 0 and sentence[at:at + len(word)].isupper()


def _inflected_in(word: str, own: list[str]) -> bool:
    """Is the word one of the name's, maybe with a third-person "s" ("Optimizes" for
    "optimize_style")?"""
    return word in own or (word.endswith("s") and (word[:-1] in own or word[:-2] in own))


def _restates(word: str, own: list[str]) -> bool:
    return any(word == w or (plural_noun(w) and word == w[:-1]) or (plural_noun(word)
               and word[:-1] == w) for w in own)


# A participle of sending, in the languages servers are written in, attached to what a name of
# nouns shows by a comma or a passive ("Kosztorys naprawy ..., wysłany do klienta e-mailem",
# "Devis ..., envoyé au client", "Quote for the order, which is sent to the customer"), and
# what it is sent to or by: someone the call serves (the client, customer, recipient, user,
# guest, patient) or a channel (e-mail, SMS). What was sent before the call is read without
# the comma ("Messages sent by the user"), and a denial in the clause before it keeps it
# unsaid ("nothing is sent to the customer").
_SENT_ONWARD = re.compile(
    r"(?:,\s*(?:which\s+|and\s+)?|(?<!\w)(?:is|are|gets?|will\s+be|wird|werden|est|sont|es|son"
    r"|é|são|è|viene|jest|są|został[aoy]?|zostanie|je|jsou|bude|blir|bliver|wordt|akan)\s+"
    r"(?:(?:then|also|automatically|immediately|directly|ensuite|automatiquement|następnie"
    r"|automatycznie|automáticamente|automatisch|sofort)\s+)?)"
    r"(?P<sent>sent|e-?mailed|texted|forwarded|envoy[ée]e?s?|enviad[oa]s?|inviat[oaie]"
    r"|wysłan[yaeio]|przesłan[yaeio]|gesendet|verschickt|versandt|versendet|zugestellt"
    r"|odeslán[aoy]?|zaslán[aoy]?|skickad|skickat|sendt|verzonden|verstuurd|dikirim"
    r"|gửi)(?!\w)"
    r"(?=[^.;!?\n]{0,40}?(?<!\w)(?:(?:client|customer|recipient|user|guest|patient|buyer"
    r"|klient|kund|cliente|destinat|utilisateur|usuari|utent|odbiorc|pelanggan|khách)\w*"
    r"|e-?mail\w*|sms\w*|courriel)(?!\w))",
    re.IGNORECASE)
# German puts the participle last, after whom or how it is sent: "Vorschau der nächsten
# Rechnung, die danach per E-Mail an den Kunden gesendet wird".
_SENT_LAST = re.compile(
    r"(?<!\w)(?:e-?mail|sms|kunde|kunden|empfänger|nutzer|benutzer)(?!\w)[^.;!?\n]{0,40}?"
    r"(?<!\w)(?P<sent>gesendet|geschickt|verschickt|versandt|versendet|zugestellt)"
    r"\s+(?:wird|werden)(?!\w)",
    re.IGNORECASE)
_NOT_BEFORE = re.compile(
    r"(?<!\w)(?:not|no|nothing|never|nie|nic|pas|rien|nicht|nichts|kein\w*|não|nada|ne|nen[ií]"
    r"|inte|ingen|ikke|niet|tidak|không)(?!\w)", re.IGNORECASE)
_SENT_WINDOW = 400  # the opening, where what is named is said to be sent


def sent_onward(text: str) -> str | None:
    """The participle in which the description's opening says what the tool names is sent to
    someone or by a channel, with no denial before it in its clause, or None."""
    opening = text[:_SENT_WINDOW]
    for found in (*_SENT_ONWARD.finditer(opening), *_SENT_LAST.finditer(opening)):
        start = max(opening.rfind(stop, 0, found.start()) for stop in ".;!?\n")
        if _NOT_BEFORE.search(opening, start + 1, found.start() + 1) is None:
            return found.group("sent").lower()
    return None
