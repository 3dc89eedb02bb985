"""A tool named and described by nouns alone, read as showing what its noun phrase names.

`kontostand`: "Kontostand des Kontos."; `bidAskSpread`: "Bid-ask spread of an instrument over
the last minute."; `grafik_dyzurow`: "Grafik dyżurów zespołu na tydzień." No word of the name
or of the description's first sentence is a verb the tables know, in any language they hold,
and nothing the words say tells what the tool is: the rules of wording.py leave it Other.
Such a tool shows the thing its noun phrase names (Read, less sure than a reader named by a
measure or a reading verb), when all of this holds:

- no word of the name or of the sentence is a verb of the tables or the public API lexicon, a
  participle of one, or a noun that names an act (`payout`, `deployment`, `rollback`,
  "Überweisung", "Wypłata", "Approvazione": the noun of an act does the act);
- no word after "to" in the sentence but what opens a noun ("to the account", not "to
  deploy");
- the description says no act later (after a colon, in a later sentence, of an argument);
- every argument only picks which thing to show: an id, a name, a date or range, a page, a
  filter; none is content, an amount, a counterpart, a value to set, an address or event to
  deliver to, a delay, a switch (`enabled`), or a path.

Fail closed: any doubt leaves the tool where its words put it. A webhook handed a `url`, a
kill switch handed `enabled`, a shutdown with a delay, a transfer with an amount and a
recipient keep their riskier reading.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from policytui.risk import vocabulary as v
from policytui.risk.arguments import argument_shape
from policytui.risk.descriptions import description_verbs
from policytui.risk.european import INFINITIVE_ENDINGS
from policytui.risk.findings import quote
from policytui.risk.schema import normalize
from policytui.risk.server_readers import a_word_that_acts, says_an_act, switches_on_more
from policytui.risk.verbless import third_person_verb
from policytui.risk.words import (
    OBJECT_OPENERS,
    base_verb,
    lexicon_verb,
    name_words,
    participle_verb,
    sentence_tokens,
)

# Nouns that name an act, in English and the other languages the tables hold (written without
# accents, as names and sentences are split): the tool named or described by one does it.
_ACT_NOUNS = frozenset(
    """
    deletion removal destruction termination cancellation erasure revocation creation
    submission registration deactivation activation suspension deallocation migration eviction
    truncation invalidation restoration deprovisioning decommissioning provisioning shutdown
    reboot restart payout refund reimbursement charge chargeback payment deployment rollout
    rollback invitation approval rejection upload download purge wipe execution transfer
    withdrawal deposit remittance archival archiving handover dismissal disposal referral purchase sale payroll dispatch shipment installation
    uninstallation upgrade downgrade renewal enrolment enrollment assignment reassignment
    publication broadcast notification reset revert trigger invocation escalation
    eliminacion borrado supresion creacion cancelacion anulacion transferencia reembolso pago
    despliegue invitacion aprobacion ejecucion envio baja alta
    suppression annulation virement remboursement paiement deploiement approbation execution
    envoi resiliation
    loschung loeschung erstellung stornierung uberweisung ueberweisung erstattung zahlung
    auszahlung bereitstellung einladung genehmigung ausfuhrung ausfuehrung kundigung kuendigung
    exclusao remocao criacao cancelamento transferencia pagamento implantacao convite aprovacao
    execucao incasso
    eliminazione cancellazione creazione bonifico rimborso pagamento approvazione invito
    esecuzione
    usuniecie utworzenie anulowanie przelew zwrot wyplata platnosc zatwierdzenie zaproszenie
    """.split())
# Endings of nouns made from verbs ("-tion", "-ción", "-ção", "-zione", "-ung", "-ment"):
# most such nouns name an act, so a word with one reads only when it is one of the few below
# that name a thing shown.
_ACT_ENDINGS = ("tion", "sion", "cion", "sion", "cao", "sao", "zione", "ung", "ment", "mento",
                "anie", "enie")
_THINGS_SO_ENDED = frozenset(
    """
    information informacion informacao informazione position posicion posicao posizione
    description documentation definition distribution station location duration population
    valuation statement document segment sentiment element environment classement
    """.split())

# Arguments that only pick which thing is shown, by their last word: an id, a name, a date or a
# range, a page, a filter. (Not a level or a status, which a setter is handed too.)
_PICKS = frozenset(
    """
    id ids uid uuid key name names code symbol ticker pair market instrument currency account
    konto conto cuenta conta team group grupo zespol user service cluster region zone host desk
    store shop site project version date datum day days dias week semana tydzien month mes mois
    year period from to von nach start end since until range limit offset page size cursor sort
    filter query q search type kind category depth interval window timeframe granularity city
    cidade country lang language locale
    """.split())
# Switches that only say how much of it to show.
_SHOW_SWITCHES = re.compile(r"^(?:include|show|with|only|detailed|verbose|expand|details)")
# How a verb put last ends, in German, Dutch and the Romance languages: "loeschen", "liberar".
_INFINITIVE_ENDINGS = (*INFINITIVE_ENDINGS, "en", "re")
# Names of one word that English uses as often for the act ("roster staff", "report a bug"):
# alone, with a sentence of nouns, they say too little.
_NOUNS_AS_OFTEN_VERBS = frozenset(
    "report roster schedule stock plan book chart map budget record track note draft quote "
    "estimate forecast".split())
# Words before a participle that make a passive: "is paged", "are reordered".
_AUXILIARIES = frozenset("is are was were be been being get gets got".split())
_DESCRIPTION_WINDOW = 400
_SCALARS = frozenset(("string", "integer", "number"))
_MAX_ARGUMENTS = 8


def _acts(word: str) -> bool:
    """Is the word a verb of the tables or the lexicon, a participle of one, or a noun naming
    an act?"""
    if word in _ACT_NOUNS or word in v.VERBS or base_verb(word) is not None:
        return True
    if participle_verb(word) is not None or lexicon_verb(word) is not None:
        return True
    noun = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    return noun in _ACT_NOUNS or (noun.endswith(_ACT_ENDINGS) and noun not in _THINGS_SO_ENDED)


def _one_type(kind: Any) -> str | None:
    """The one type a schema's "type" names: "string", or "string" of ["string", "null"] (an
    argument that may be left empty); None for a list of two kinds, an object or anything else,
    which may then be handed anything."""
    if type(kind) is str:
        return kind
    if type(kind) is list:
        named = [each for each in kind if each != "null"]
        if len(named) == 1 and type(named[0]) is str:
            return named[0]
    return None


def _only_picks(schema: Any) -> bool:
    """Does every argument of the schema only pick which thing is shown?"""
    if type(schema) is not dict:
        return schema is None
    props = schema.get("properties")
    if props is None:
        return True
    if type(props) is not dict or len(props) > _MAX_ARGUMENTS:
        return False
    if not props:
        return True
    shape = argument_shape(schema)
    if shape.payloads or shape.amounts or shape.counterparts or switches_on_more(schema):
        return False
    for name, prop in props.items():
        if type(name) is not str or type(prop) is not dict:
            return False
        kind = _one_type(prop.get("type"))
        if kind == "boolean":
            if not _SHOW_SWITCHES.search(normalize(name)):
                return False  # `enabled` on a kill switch turns it on
        elif kind == "array":
            items = prop.get("items")
            if type(items) is not dict or _one_type(items.get("type")) not in _SCALARS:
                return False
        elif kind not in _SCALARS:
            return False
        words = name_words(name)
        if kind != "boolean" and (not words or words[-1] not in _PICKS
                                  or a_word_that_acts(words) or not _ACT_NOUNS.isdisjoint(words)):
            return False  # `url`, `events`, `delay_seconds`, `level`, `move_to`: handed
    return True


def reads_by_nouns(name: str, description: str, schema: Any) -> str | None:
    """The line of evidence that reads a tool its words left with no verb found, when its name
    and its description's first sentence are nouns alone and its arguments only pick which
    thing to show; else None (see the module's docstring)."""
    words = name_words(name)
    if not words or a_word_that_acts(words) or any(_acts(word) for word in words):
        return None
    if len(words) == 1 and words[0] in _NOUNS_AS_OFTEN_VERBS:
        return None  # "report": "Report for a period." says too little
    if len(words) > 1 and words[-1].endswith(_INFINITIVE_ENDINGS):
        return None  # "kunde_loeschen", "acesso_liberar": the verb put last
    desc = description_verbs(description, True, True)
    sentence = desc.words
    if desc.kind is not None or not sentence or desc.phrase or not _latin(desc.sentence):
        return None  # (a script the word splitter does not read may hold any verb)
    colon = sentence.index(":") if ":" in sentence else len(sentence)
    phrase = sentence[:colon]
    if not phrase or phrase[0] not in words or any(_acts(word) for word in sentence):
        return None  # (a sentence led by a word of its own, "Sospende utenti", may be its verb)
    told = sentence_tokens(description[:_DESCRIPTION_WINDOW])
    if any(word in _AUXILIARIES and after.endswith("ed") for word, after in zip(told, told[1:])):
        return None  # a passive: "The duty manager is paged."
    if any(_acts(word) or (third_person_verb(word) and not (
            at and (told[at - 1] in _AFTER_THE_HEAD or told[at - 1] in OBJECT_OPENERS)))
           for at, word in enumerate(told)):
        # "... Charging with this card is refused", "Nothing is saved", "and turns off the
        # lights" (a word shaped like a verb in the third person, unless a preposition or an
        # article puts a noun there: "des Kontos")
        return None
    for at, word in enumerate(sentence[:-1]):
        after = sentence[at + 1]
        if word == "to" and not (after in OBJECT_OPENERS or after.isdigit()):
            return None  # "to deploy", "to production": a verb or a place something goes
    if not _only_picks(schema) or says_an_act(description, words):
        return None
    head = _head(phrase)
    return (f"no verb in the name or the description's first sentence, a noun phrase whose head "
            f"{quote(head)} names what is shown, no act named and every argument only picks "
            "which: read")


# Words after which a noun phrase's head is behind it: prepositions and the "of" of other
# languages ("Changelog of a service", "Kontostand des Kontos", "Horario de clases").
_AFTER_THE_HEAD = frozenset(
    "of for per by in on at across with from over to within between ( de des du del della "
    "dei do da dos das van von der des na dla di".split())


def _latin(sentence: str) -> bool:
    """Are all the sentence's letters Latin ones, accented or not?"""
    return sentence.isascii() or all(
        not char.isalpha() or unicodedata.name(char, "").startswith("LATIN") for char in sentence)


def _head(phrase: list[str]) -> str:
    """The phrase's head noun: the last word before its first preposition."""
    for at, word in enumerate(phrase):
        if word in _AFTER_THE_HEAD and at > 0:
            return phrase[at - 1]
    return phrase[-1]
