"""What a tool's words say it does: the verb of its name against the leading verb of its
description's first sentence, and how sure that reading is.

When the two disagree the riskier reading wins and the evidence says which lost (`against`),
with a few narrow exceptions where the name's riskier verb is no verb at all (a noun, the
thing read) and the description's own lead says what the tool does. A tool is Read only on a
clear sign of reading; one weak sign alone leaves it Other.
"""

from __future__ import annotations

import re

from policytui.risk import vocabulary as v
from policytui.risk.categories import LOW, OTHER
from policytui.risk.denials import (
    joins_an_act,
    opens_with_worked_out,
    says_done_in_the_passive,
    says_its_act_is_not_done,
    says_nothing_changes,
    says_something_done_besides,
    worked_out,
)
from policytui.risk.descriptions import (
    DescriptionVerbs,
    a_clause_says_what_is_done,
    act_after_a_colon,
    act_after_a_title,
    argument_act,
    generates_a_report,
    generates_rendering,
    later_act,
    lead_object_is_looked_up,
    listens_for_a_while,
    opens_with_the_looked_up_noun,
    removal_word,
    said_of_the_word_before,
    says_read_only,
    self_described_act,
    sends_only_a_read_request,
    without_elided_conditions,
)
from policytui.risk.european import ROMANCE_WORDS, later_romance_act
from policytui.risk.european import kind_of as european_kind
from policytui.risk.findings import Reading
from policytui.risk.kinds import CONNECTORS, KIND_ORDER, KIND_RISK, KIND_TEXT
from policytui.risk.money import money_noun_read, pretended, quoted_word
from policytui.risk.names import ACTS_BEFORE_A_VIEW, NameVerbs
from policytui.risk.owed import is_amount, owed_or_due_named, terms_named
from policytui.risk.verbless import (
    WHERE_TO,
    act_ending_a_name,
    act_noun,
    foreign_question,
    names_a_view,
    names_what_is_shown,
    sends_what_it_names,
    sent_onward,
    third_person_of,
    third_person_verb,
    unknown_command,
    which_question,
    yes_no_question,
)
from policytui.risk.words import (
    ADJECTIVES_BEFORE_PLURALS,
    OBJECT_OPENERS,
    base_verb,
    participle_verb,
    plural_noun,
    sentence_tokens,
)


def read_words(name: NameVerbs, desc: DescriptionVerbs) -> Reading:
    """The reading of a tool that does one thing, from its name and its description's first
    sentence alone."""
    evidence: list[str] = []
    against: list[str] = []
    denied: str | None = None  # the words of a denial that read a verbless tool (`_denied`)
    order = KIND_ORDER
    texts = KIND_TEXT
    kind: str | None = None  # the riskiest reading so far
    confidence = 20  # hundredths, so sums stay exact
    clear = False  # a clear sign (not only a weak one) for the reading
    disagree = False
    rendered = False  # drawn from the data it is handed: a payload is what it draws
    measured: tuple[str, str, str] | None = None  # (noun, measure, the name's kind)
    desc_kind = desc.kind
    if name.server_noun is not None:
        evidence.append(f"name word '{name.server_noun}' is a noun here: the server's other "
                        "names list them in the plural")
    if (tried := _tried_not_done(name, desc)) is not None:
        # "migration_dry_run": "Dry run of the pending migrations: lists the statements that
        # would run; nothing is changed"; "deployment_whatif": "What-if of a deployment: the
        # resources that would be created ...". A dry run or a what-if, named so by the name
        # and the sentence it leads, that says what would happen or that nothing changes.
        # What a later clause or sentence says the call does still counts below.
        if name.kind is not None:
            against.append(f"the name's '{name.verb}' alone would say it {texts[name.kind]}")
        evidence.append(f"the name and the description's lead name a {tried}, which says "
                        "what would happen or that nothing changes: the act is tried, not done")
        kind, confidence, clear, desc_kind = v.READ, 45, True, None
    elif name.kind is None and _simulates_access(name, desc):
        # "SimulatePrincipalPolicy": "Simulates how a set of IAM policies attached to a
        # principal works with a list of API actions, and reports whether each would be
        # allowed". A simulation of who may do what: the verb the tables lack is no act here.
        evidence.append("the name and the description simulate policies or access, and the "
                        "description does nothing besides: a simulation only reports")
        kind, confidence, clear, desc_kind = v.READ, 45, True, None
    elif name.kind is not None and name.verb is not None and money_noun_read(name, desc):
        # "refund_status", described as "Check the current state of a refund request".
        evidence.append(f"name word {quoted_word(name.verb)} names a money act whose state is "
                        f"read, and the description starts with '{desc.lead}'")
        kind, confidence, clear = v.READ, 70, True
    elif (measure_named := _measure_of_a_noun(name, desc)) is not None:
        # "lock_status": "Lock status of a user account: locked or not"; "refundRate": "Refund
        # rate of a store over a month". The name's verb is a noun before a measure or a state
        # ending the name, and the first sentence is the same noun phrase with nothing done
        # in it: the tool shows the measure. Less sure than a reading verb; the arguments and
        # what later sentences say still count below.
        noun, measure = measure_named
        measured = (noun, measure, name.kind or v.WRITE)
        against.append(f"the name's {quoted_word(name.verb or noun)} alone would say it "
                       f"{texts[name.kind or v.WRITE]}")
        evidence.append(f"{quoted_word(noun)} is a noun before {quoted_word(measure)}, a measure "
                        "or state ending the name, and the description's first sentence is a "
                        f"noun phrase naming that {quoted_word(measure)}, with nothing done in it")
        kind, confidence, clear, desc_kind = v.READ, 40, True, None
    elif name.kind is not None and name.verb is not None:
        kind, confidence, clear = _name_reading(name, desc, evidence, against)
        disagree = name.last is not None
        if desc_kind is None and (view := _view_under_a_noun(name, desc)) is not None:
            # "rfq_snapshot": "Full state of a DRFQv2 RFQ in one call". The name's only verb
            # is a word more often a noun, after another word, and the first sentence is a
            # noun phrase naming a view of data: the name names that view too.
            against.append(f"the name alone would say it {texts[kind]}")
            if name.ambiguous and name.prefix:
                evidence.append(f"'{name.verb}' is more often a noun, here after "
                                f"'{name.prefix[-1]}', and the description is a noun phrase "
                                f"naming {quoted_word(view)}, a view of data")
            else:
                evidence.append(f"'{name.verb}' names what the view {quoted_word(view)} is "
                                "of, and the description is a noun phrase naming that view")
            kind, confidence, clear = v.READ, 45, True
        elif (act_view := _view_of_the_act(name, desc)) is not None:
            # "run_history": "Past runs of the pipeline"; "restart_count": "Number of
            # container restarts per pod". The name's verb runs or adds something, but the view
            # ending the name is one no call makes, and the sentence, with nothing done in it,
            # names the verb's act as a noun: the view is of those acts.
            against.append(f"the name alone would say it {texts[kind]}")
            evidence.append(f"'{name.verb}' names the acts the view {quoted_word(act_view)} "
                            "is of: the description names them as a noun and does nothing")
            kind, confidence, clear, desc_kind = v.READ, 45, True, None
        elif (terms := _terms_of_the_act(name, desc)) is not None:
            # "wallet.topup.limits": "Top-up limits for a wallet: daily and monthly";
            # "deposit-policy": "How long a deposit is held before ...". The name's verb is
            # what the terms ending it are of, and the sentence names or asks them and does
            # nothing.
            against.append(f"the name alone would say it {texts[kind]}")
            evidence.append(f"'{name.verb}' is the act the {quoted_word(terms)} ending the name "
                            "are terms of, and the description names or asks them "
                            "and does nothing")
            # (A sentence that restates the name leads with the verb too: no second reading.)
            kind, confidence, clear, desc_kind = v.READ, 45, True, None
        elif (name.verb is not None and is_amount(name.verb) and name.last is None
              and not name.alternatives and desc.words[:1] == [name.verb]
              and owed_or_due_named(name.words, desc.words) is not None
              and _nothing_acts_in(desc, name.verb)):
            # "importe.pendiente": "Importe pendiente de cobro por cliente". Spanish "importe"
            # (an amount) is also a French verb (imports); leading a sentence that names what
            # is owed with the name's other words, it is the amount.
            against.append(f"the name alone would say it {texts[kind]}")
            evidence.append(f"{quoted_word(name.verb)} is an amount here: the name and the "
                            "description name the same thing owed or due")
            kind, confidence, clear, desc_kind = v.READ, 45, True, None
        elif (desc_kind is None and name.verb in _QUEUES and name.prefix
              and name.words[-1] == name.verb and name.last is None and not name.alternatives
              and desc.words and _nothing_said_done(name, desc)):
            # "placement_queue": "Pending bed requests with wait times". "Queue" ends the
            # name after other words, where it is the queue shown, not a command to queue
            # something, and the first sentence has no verb to say otherwise.
            against.append(f"the name alone would say it {texts[kind]}")
            evidence.append(f"'{name.verb}' ends the name after '{name.prefix[-1]}', where it "
                            "names the queue shown, and the description has no verb")
            kind, confidence, clear = v.READ, 45, True
        if (desc_kind is None and kind == v.READ
                and (command := unknown_command(name, desc)) is not None
                and third_person_verb(command[0]) and command[0] not in name.words
                and command[1].startswith("followed by")):
            # "get_help": "Pages the on-call engineer". The description leads with a verb the
            # tables lack, in the third person and before its object: an unknown act, which
            # outweighs the name's reading.
            against.append(f"the name alone would say it {texts[kind]}")
            evidence.append(f"description leads with {quoted_word(command[0])}, a verb the "
                            f"tables lack ({command[1]}): the riskier reading wins")
            kind, confidence, clear, disagree = v.WRITE, 40, True, True
        if desc_kind is not None:
            how = _how_said(desc)
            if KIND_RISK[desc_kind][0] == KIND_RISK[kind][0]:
                if order[desc_kind] > order[kind]:
                    kind = desc_kind  # same category, graver ("update" named, "delete" said)
                confidence += 10
                # A direct description verb is a clear sign; so are two weak ones agreeing,
                # but not the public API lexicon twice ("select" named, "Select" said).
                clear = clear or not desc.indirect or (
                    name.ambiguous and not (name.lexicon and desc.lexicon))
                evidence.append(f"{how} '{desc.lead}', which agrees")
            elif desc_kind == v.READ and not desc.indirect and (
                    reason := _reading_named(name, desc)) is not None:
                # The name's riskier verb is no verb here: the description's own leading
                # verb says what the tool does ("maps_place_details": "Get details ...").
                against.append(f"the name alone would say it {texts[kind]}")
                evidence.append(f"description starts with '{desc.lead}', which reads: {reason}")
                kind, confidence, clear = v.READ, 65, True
                rendered = reason is _RENDERED
            elif order[desc_kind] > order[kind] and (
                    _restates_the_object(name, desc) or _lead_is_the_read_noun(name, desc) or (
                        kind == v.READ == name.kind and desc_kind != v.REMOVE
                        and not name.ambiguous and desc.words
                        and desc.words[0] in name.words
                        and opens_with_the_looked_up_noun(name.words, name.verb, desc))):
                # "list_comments": "Comments on a container, oldest first". The sentence opens
                # with what the name's reading verb reads, a noun before a preposition.
                against.append(f"'{desc.lead}' as a verb would say it {texts[desc_kind]}")
                evidence.append(f"description opens with {quoted_word(desc.words[0])}, what "
                                f"'{name.verb}' reads, as a noun")
            elif order[desc_kind] > order[kind]:
                # The description is riskier than the name: it wins ("compute_vm" + "Delete").
                against.append(f"the name alone would say it {texts[kind]}")
                evidence.append(f"{how} '{desc.lead}', which {texts[desc_kind]}: the riskier "
                                "reading wins over the name")
                kind, confidence, clear, disagree = desc_kind, 50, True, True
            else:
                confidence -= 10
                against.append(f"{how} '{desc.lead}', which {texts[desc_kind]}; the name's "
                               "riskier reading wins")
                disagree = True
    elif desc_kind is not None:
        kind = desc_kind
        rendered = kind == v.READ and generates_rendering(desc)
        how = _how_said(desc)
        if name.noun is not None:
            evidence.append(f"name word {quoted_word(name.noun)} {_no_verb(name)}: the "
                            "description says what the tool does")
        evidence.append(f"{how} '{desc.lead}', which {texts[kind]}")
        confidence = 45 if desc.indirect else 55
        clear = not desc.indirect
    if kind is not None:
        # "Read or replace the clipboard": offered alternatives count whatever the lead.
        for verb, other in desc.alternatives:
            if verb == "send" and sends_only_a_read_request(desc.sentence):
                continue  # "To list all Droplets, send a GET request to `/v2/droplets`"
            if order[other] > order[kind]:
                kind = other
                clear = True
                evidence.append(f"description also offers '{verb}', which {texts[other]}")
    if kind == v.WRITE and (listened := listens_for_a_while(name.verb, name.last, name.alternatives,
                                                       desc)) is not None:
        # "subscribe_ticker": "Subscribe to the live ticker, collect the first N updates, then
        # unsubscribe and return them": the subscription lasts the call, and what arrived is
        # handed back. Later sentences that act still count below.
        against.append(f"'{listened}' alone would say it {texts[kind]}")
        evidence.append(f"'{listened}' lasts only the call: the description says what arrives "
                        "in a bounded time is collected and returned")
        kind, clear = v.READ, True
    if kind is not None and kind != v.READ:
        if order[kind] < order[v.REMOVE]:
            # A tool that changes something and whose first sentence also removes something
            # ("Disable a user, removing their access") may destroy.
            removal = removal_word(desc.words)
            if removal is not None:
                kind = v.REMOVE
                evidence.append(f"description also says '{removal}', which removes or destroys")
    if kind == v.READ and (act := act_after_a_title(desc) or _said_later(desc)) is not None:
        # "List the key names in a secret. ... So this tool starts a short-lived container":
        # what the description says the tool itself does counts, wherever it says it; so does
        # what the first sentence says after a title ("Validate a parking ticket: applies the
        # merchant's discount to the session").
        kind = _take_later_act(act, kind, evidence, against)
        clear, disagree = True, True
    unknown = desc.unknown_alternative if desc.kind == v.READ else None
    if unknown is not None and _noun_shaped(unknown, desc.words):
        unknown = None  # "Plan, servings, delivery day ...": a list of what is shown
    if kind == v.READ and unknown is not None:
        # "View or tighten the limits": the other thing it offers is no verb in the table, and
        # an unknown step is no reason to let it through as a reader.
        against.append("reads, but the description offers something else it does too")
        evidence.append(f"description also offers {quoted_word(unknown)}, an unknown verb: "
                        "not enough to call it Read")
        kind = None
        category, severity = OTHER, LOW
    elif kind == v.READ and not clear and (said := says_read_only(desc.text)) is not None:
        # A weak sign of reading, and the description says in so many words that the tool
        # only reads: two signs that agree.
        evidence.append(f"the description says the tool is {quoted_word(said)}, which agrees")
        category, severity = KIND_RISK[kind]
    elif (kind == v.READ and not clear and name.kind is None and len(name.words) > 1
          and name.words[-1] in v.VIEW_NOUNS):
        # "bank_activity", whose description reads only deep in its text: a verbless name
        # ending with a view of data agrees, two weak signs.
        evidence.append(f"the name ends with {quoted_word(name.words[-1])}, a view of data, "
                        "which agrees")
        category, severity = KIND_RISK[kind]
    elif (kind == v.READ and not clear and name.leads and name.kind == v.READ
          and (desc.words or desc.phrase) and desc.kind is None):
        # "check_availability": "Free/busy slots of the attendees". The name leads with a
        # reading word that is often a noun, followed by what it looks at, and the first
        # sentence names things with no verb to contradict it: two signs that agree.
        evidence.append(f"'{name.verb}' leads the name, where it is a verb, and the "
                        "description names what it looks at")
        category, severity = KIND_RISK[kind]
    elif (kind == v.READ and not clear and name.kind == v.READ and name.last is None
          and desc.kind is None and _asks(desc)):
        # "voucher_check": "Is the voucher still valid, and how much value is left?". The
        # name's reading word is often a noun, but the first sentence is the question the
        # tool answers, with no verb to contradict it: two signs that agree.
        evidence.append("the description opens with the question the tool answers, which "
                        "agrees")
        category, severity = KIND_RISK[kind]
    elif (kind == v.READ and not clear and name.kind == v.READ and name.ambiguous
          and name.prefix and name.last is None and not name.alternatives
          and desc.kind is None and _restates_the_noun(name, desc)
          and _nothing_said_done(name, desc)):
        # "seatingPlan": "Current seating plan by table"; "tm_match": "Translation memory
        # matches for a segment". The name's only reading word is more often a noun, after
        # another word, and the first sentence has no verb and names that very thing: two
        # signs that agree.
        evidence.append(f"the description names the {quoted_word(name.verb or '')} itself, "
                        "with no verb, which agrees")
        category, severity = KIND_RISK[kind]
    elif kind == v.READ and not clear:
        # One weak sign (an ambiguous word, a verb found deep in the description) is not
        # enough to let a tool through as a reader.
        against.append("reads, but only on a weak sign: not enough to call it Read")
        evidence.append("only a weak sign of reading, so not Read")
        kind = None
        category, severity = OTHER, LOW
    elif kind == v.MONEY and (pretence := pretended(name.words)) is not None:
        # "paper_buy", "mock_payment": paying in pretence changes the pretend account only.
        against.append("the money verb alone would say it moves money")
        evidence.append(f"name word {quoted_word(pretence)}: a pretence, no money moves")
        kind = v.WRITE
        category, severity = KIND_RISK[kind]
    elif kind is not None:
        category, severity = KIND_RISK[kind]
    elif (name.kind is None and desc.kind is None
          and (act := act_noun(desc)) is not None):
        # "Permanent deletion of users": the sentence names the act it performs.
        noun, verb = act
        kind = v.VERBS[verb]
        category, severity = KIND_RISK[kind]
        confidence = 45
        evidence.append(f"description is headed by {quoted_word(noun)}, the act of '{verb}', "
                        f"which {texts[kind]}")
    elif (name.kind is None and desc.kind is None and not name.alternatives
          and ((owed := owed_or_due_named(name.words, desc.words)) is not None
               or (owed := terms_named(name.words, desc.words)) is not None)
          and _nothing_acts_in(desc)):
        # "zalegle_platnosci": "Zaległe płatności najemców, posortowane według kwoty";
        # "caparra.importo": "Importo della caparra richiesta per una prenotazione";
        # "politicaReembolso": "Política de reembolso de la tienda: plazos y condiciones". No
        # verb, and the name and the sentence are one noun phrase led by which ones are meant,
        # an amount or an overview, or naming terms: the tool shows what is owed or due, or
        # the terms.
        kind = v.READ
        category, severity = KIND_RISK[kind]
        evidence.append("no verb in the name or the description's first sentence, which name "
                        f"the same thing owed or due, or the same terms ({quoted_word(owed)})")
    elif (name.kind is None and v.MONEY_MOVEMENT_NOUNS.isdisjoint(name.words)
          and (said := says_read_only(desc.text)) is not None):
        # "trial_balance": "Raw trial-balance rows (read-only)". No verb anywhere in the name
        # or the first sentence, and the description says in so many words that the tool only
        # reads; not when the name names money that moves ("wallet_withdrawal"). Later stages
        # (money, arguments) may still make it riskier.
        kind = v.READ
        category, severity = KIND_RISK[kind]
        evidence.append(f"no verb in the name or the description's first sentence, but the "
                        f"description says the tool is {quoted_word(said)}")
    elif (name.kind is None and desc.kind is None and (desc.words or desc.phrase) and (
            len(name.words) > 1 and ((name.words[-1] in v.VIEW_NOUNS
                                      and sends_what_it_names(name, desc) is None)
                                     or ((name.words[-1] in _SHOWN_REPORTS
                                          or name.words[-1] in _SHOWN_MEASURES
                                          or _a_collection_then_when(name, desc))
                                         and _nothing_said_done(name, desc))
                                     or _names_a_collection(name, desc))
            or _a_view_named_alone(name, desc)
            or (desc.phrase and v.MONEY_MOVEMENT_NOUNS.isdisjoint(name.words)))):
        # "account_balances": "Account balances converted to the user currency". No verb in
        # the name or the first sentence (which names things), and the name ends with a view
        # of data: the tool shows it. A name alone is one sign, not enough. Later stages
        # (money, arguments) may still make it riskier.
        kind = v.READ
        category, severity = KIND_RISK[kind]
        last = name.words[-1]
        ending = last
        if _a_collection_then_when(name, desc):
            last, ending = name.words[-2], " ".join(name.words[-2:])  # "timesheets pending"
        elif (head := _collection_named(name.words)) != last:
            last, ending = head, " ".join(name.words[name.words.index(head):])  # "bids on lot"
        shown = ("a view of data" if last in v.VIEW_NOUNS else "a report it shows"
                 if last in _SHOWN_REPORTS else "a measure or document it shows"
                 if last in _SHOWN_MEASURES else "a collection it shows"
                 if plural_noun(last) else "a name of nouns under a sentence that names what "
                 "is shown")
        noun = f"; {quoted_word(name.noun)} {_no_verb(name)}" if name.noun is not None else ""
        evidence.append(f"no verb in the name or the description's first sentence, and the name "
                        f"ends with {quoted_word(ending)}, {shown}{noun}")
    elif (name.kind is None and desc.kind is None
          and (view := names_a_view(name, desc)) is not None):
        # "top": "CPU/memory usage for nodes or pods". No verb anywhere, and the first sentence
        # is a noun phrase whose head is a view of data: the tool shows it. Later stages
        # (money, arguments) may still make it riskier.
        kind = v.READ
        category, severity = KIND_RISK[kind]
        confidence = 35
        evidence.append("no verb in the name or the description's first sentence, which is a "
                        f"noun phrase naming {quoted_word(view)}, a view of data")
    elif (name.kind is None and desc.kind is None
          and (view_word := names_what_is_shown(desc)) is not None
          and _nothing_done_after(desc) and _nothing_done_later(desc)):
        # "marina_tide_table": "Current tide table for the harbour"; "proyector_estado":
        # "Estado del proyector de una sala". No verb anywhere, and the sentence opens with
        # what is there now, or with a view named in another language: the tool shows it.
        # Later stages (money, arguments, what later sentences say) may still make it riskier.
        kind = v.READ
        category, severity = KIND_RISK[kind]
        confidence = 35
        evidence.append("no verb in the name or the description's first sentence, which opens "
                        f"with {quoted_word(view_word)}, naming what is shown")
    elif (name.kind is None and desc.kind is None
          and v.MONEY_MOVEMENT_NOUNS.isdisjoint(name.words)
          and (denied := _denied(name, desc)) is not None):
        # "avgift_berakna": "Beräknar månadsavgift ... Inget sparas."; "shipping_quote":
        # "Shipping quote for a cart; nothing is booked." No verb the tables know, and the
        # description says the call keeps and changes nothing, or, of a quote or estimate
        # worked out and handed back, that its one act is not done. Later sentences, money
        # and arguments may still make it riskier.
        kind = v.READ
        category, severity = KIND_RISK[kind]
        confidence = 35
        evidence.append(f"{DENIED} ({quoted_word(denied)})")
    elif (name.kind is None and desc.kind is None
          and (command := unknown_command(name, desc)) is not None):
        # "Retweet a tweet", "Log worked hours": a verb the tables lack. Fail closed: an
        # unknown action changes something until its words show otherwise.
        word, why = command
        kind = v.WRITE
        category, severity = KIND_RISK[kind]
        confidence = 30
        against.append("no verb the tables know in the name or the first sentence")
        evidence.append(f"description leads with {quoted_word(word)}, a verb the tables lack "
                        f"({why}): an unknown action is taken to change something")
    elif name.kind is None and desc.kind is None and _asks(desc):
        # "ha_who_is_home": "Who is home, based on phone presence"; "git_blame": "Who last
        # changed each line of a file". The sentence is the question the tool answers.
        kind = v.READ
        category, severity = KIND_RISK[kind]
        confidence = 35
        # A wh-word token, or else the yes/no opener `yes_no_question` found among its own
        # words (plain letters either way, nothing of the server's to escape).
        opener = (desc.words[0] if desc.words and (desc.words[0] in _QUESTIONS
                                                   or desc.words[0] == "whether")
                  else foreign_question(desc) or desc.text.lstrip()[:6].split(" ", 1)[0])
        evidence.append(f"no verb in the name, and the description opens with the question "
                        f"the tool answers ({quoted_word(opener.lower())} ...)")
    else:
        category, severity = OTHER, LOW
        evidence.append("no verb found in the name or the description's first sentence")

    if kind == v.READ and name.kind is None and (named := act_ending_a_name(name.words)):
        # "azure_vm_deallocation": "Azure VM deallocation: compute resources are released";
        # "schema_migration": "Schema migration to the target version". A name with no verb
        # that ends with the act it performs, as a noun, says what the call does: a reading
        # lead the title hides, or a view the sentence names first, does not outweigh it.
        noun, verb = named
        against.append(f"the description alone would say it {texts[kind]}")
        kind = v.VERBS[verb]
        category, severity = KIND_RISK[kind]
        clear, disagree = True, True
        evidence.append(f"the name ends with {quoted_word(noun)}, the act of '{verb}', which "
                        f"{texts[kind]}: the riskier reading wins")
    # What the description says later is read past a denial that made it Read ("Nada é
    # salvo" would be "salvo" said of the call).
    told = desc if denied is None else _without(desc, denied)
    if kind == v.READ and name.kind is None and desc.kind is None and (
            act := act_after_a_colon(told) or _said_later(told)
            or _done_to_what_it_shows(told)
            or _sent_onward(told)) is not None:
        # "order_status": "Order status. Cancels the order if it has not shipped." A name and
        # a sentence of nouns show something; what the sentence says after a colon, or a later
        # sentence, that the tool does counts ("tax_forms": "W-2 forms for the year: files
        # them with the agency").
        kind = _take_later_act(act, kind, evidence, against)
        disagree = True
        category, severity = KIND_RISK[kind]
    return Reading(category, severity, confidence, evidence, against, kind, disagree, rendered,
                   measured if kind == v.READ else None)


# The first line of evidence of a verbless tool read by a denial (`_denied`): the server's
# pass over its verbless readers (server_readers.py) takes no sign of its naming from it.
DENIED = ("no verb in the name or the description's first sentence, but the description says "
          "the call does nothing")


def _denied(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The words in which a verbless tool's description says the call changes nothing, or,
    when the name or the sentence's opening names a quote, estimate or preview, that the one
    act it might lead to is not done; else None. Not when the sentence is led by a command
    the tables lack (unless it is such a word: "Devis pour ..."), nor when anything else in
    the description is said to be done."""
    if not desc.text or len(desc.text) < 8:
        return None
    if worked_out(name.words) or opens_with_worked_out(desc.sentence):
        said = says_its_act_is_not_done(desc.text)
    else:
        said = says_nothing_changes(desc.text)
    if said is None or says_something_done_besides(desc.text, said) or joins_an_act(desc.sentence):
        return None
    command = unknown_command(name, desc)
    if command is not None and worked_out([command[0]]) is None:
        return None  # "Retweet a tweet. Nothing is saved.": the unknown command may act
    left = _without(desc, said)
    if (not _nothing_done_after(left) or a_clause_says_what_is_done(left.sentence)
            or not _nothing_done_later(left) or _a_passive_in(left.rest()[:60])):
        return None
    return said


def _without(desc: DescriptionVerbs, said: str) -> DescriptionVerbs:
    """The description with the words `said` left out, so that a denial ("nothing is booked")
    is not itself read as a passive that acts."""
    # With the ";" or "," that joined it: "Shipping quote for a cart; nothing is booked."
    denial = re.compile(r"\s*[;,\u2013\u2014]?\s*" + re.escape(said))
    sentence = denial.sub("", desc.sentence, count=1)
    left = DescriptionVerbs(sentence, desc.words, denial.sub("", desc.text, count=1))
    if sentence != desc.sentence:
        left.words = sentence_tokens(sentence)
    return left


def _said_later(desc: DescriptionVerbs) -> tuple[str, str] | None:
    """(word, kind) of what the description says past its first sentence that the tool does,
    or what it says an argument makes the call do, or None."""
    if not desc.text:
        return None  # no description: nothing said past a sentence, nor of an argument
    return (self_described_act(desc.text) or later_act(desc.text) or argument_act(desc.text)
            or (later_romance_act(desc.text) if not ROMANCE_WORDS.isdisjoint(desc.words)
                else None)
            # "Lists the jobs; stale ones, if any, are purged": the act read past the
            # condition, only where nothing else was found (so it can only add one).
            or ((shorter := without_elided_conditions(desc.text)) is not None
                and later_act(shorter)) or None)


# The same, for the server-wide pass that reads a verbless tool by its server (server_readers).
said_later = _said_later


def _sent_onward(desc: DescriptionVerbs) -> tuple[str, str] | None:
    """("done: sent onward ...", kind) when the opening says what the tool names is sent to
    someone or by e-mail or SMS ("Kosztorys naprawy ..., wysłany do klienta e-mailem"), or
    None: a quote or estimate so sent has left the shop."""
    sent = sent_onward(desc.text)
    return None if sent is None else (f"done: sent onward ({quoted_word(sent)})", v.WRITE)


def _take_later_act(act: tuple[str, str], kind: str, evidence: list[str],
                    against: list[str]) -> str:
    """Record that a later act outweighs a reading of `kind`, and return the act's kind."""
    word, act_kind = act
    against.append(f"the name and first sentence alone would say it {KIND_TEXT[kind]}")
    said = _PHRASES_SAID.get(word) or (
        f"says that, when an argument is passed, something is {word[len('given: '):]}"
        if word.startswith("given: ")
        else f"says that what it names is {word[len('done: '):]}"
        if word.startswith("done: ")
        else f"says what an argument, when passed, does ({quoted_word(word[len('argument: '):])})"
        if word.startswith("argument: ") else f"says the tool {quoted_word(word)}")
    evidence.append(f"the description {said}, which {KIND_TEXT[act_kind]}")
    return act_kind


# How the acts `later_act` finds as phrases, not verbs, are told in the evidence.
_PHRASES_SAID = {"side effects": "lists side effects",
                 "on a device": "prints or speaks on a printer, speaker or device",
                 "in place": "says the tool works in place, on what it is given"}


_NAMED_WITHIN = 6


def _a_view_named_alone(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """A name that is one view of data or one plural ("lineage", "status", "trips") whose first
    sentence names it near its start ("Column-level lineage: which upstream models ...")."""
    if len(name.words) != 1:
        return False
    word = name.words[0]
    if word not in v.VIEW_NOUNS and not (plural_noun(word)
                                          and word not in v.MONEY_MOVEMENT_NOUNS):
        return False
    return desc.phrase or word in desc.words[:_NAMED_WITHIN]


# What a name of nouns alone may end with to name a report that is shown ("sales_report",
# "attendanceReport"), under a first sentence with no verb; VIEW_NOUNS leaves reports out for
# names with a verb ("generate_report" makes one, often stored).
_SHOWN_REPORTS = frozenset(("report", "reports"))
# Measures and documents that are there to be looked at, and that no call sets: a name of
# nouns ending with one ("pg_replication_lag", "org_chart", "ferry_manifest") names what is
# shown, under the same conditions. Not what a call may set (a level, a mode, a target, a
# boundary, availability).
_SHOWN_MEASURES = frozenset((
    "lag", "chart", "guide", "risk", "quality", "uptime", "census", "manifest", "roster",
    "standings", "timetable", "transcript", "scorecard", "readings", "distance", "statement",
    "inventory", "percentiles", "latency", "stock", "space"))


_PASSIVE_BE = frozenset("is are gets get be been".split())


def _restates_the_noun(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Does the first sentence name the name's verb as a noun, among its first words ("Bay
    plan for a vessel", "Translation memory matches for a segment"), and, as its first word,
    only before "of" or "for" ("Trace of an automation's last run"; not "Match the invoice")?"""
    verb = name.verb
    if verb is None:
        return False
    forms = (verb, verb + "s", verb + "es")
    words = desc.words
    for i, word in enumerate(words[:_NAMED_WITHIN]):
        if word in forms:
            return i > 0 or (len(words) > 1 and words[1] in ("of", "for"))
    return False


def _nothing_said_done(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Does nothing in the description do something with what a sentence of nouns names: no
    command the tables lack ("File a damage report"), no act after a comma, colon, dash or
    ";", none said later in the third person or the passive ("The duty manager is paged")?"""
    if (unknown_command(name, desc) is not None or not _nothing_done_after(desc)
            or a_clause_says_what_is_done(desc.sentence) or not _nothing_done_later(desc)):
        return False
    rest = desc.rest()[:60]
    for i, word in enumerate(rest):
        if word in _PASSIVE_BE and any(
                after.endswith("ed") or after in _SENT_FORMS for after in rest[i + 1:i + 4]):
            return False  # "The duty manager is paged", "The plan is then published"
    return True


def _a_passive_in(words: list[str]) -> bool:
    """Do the words say something is done, in the passive ("... are issued to the card",
    "Counts are reset")?"""
    return any(word in _PASSIVE_BE and any(after.endswith("ed") or after in _SENT_FORMS
                                           for after in words[i + 1:i + 4])
               for i, word in enumerate(words))


def _an_act_in(words: list[str]) -> bool:
    """Do the words past the first hold a verb that does more than read, in the third person
    or after "to" ("... and sends the overdue ones", "... to send now")?"""
    for i, word in enumerate(words[1:], 1):
        verb = base_verb(word)
        if verb is not None and v.VERBS[verb] != v.READ and (
                word != verb or words[i - 1] == "to"):
            return True
    return False


# Past participles not ending in "-ed" that say what a call did ("Counts are reset").
_SENT_FORMS = frozenset(
    "sent written put run built reset set cut shut paid sold bought done made taken given "
    "kept moved".split())


# What opens a clause that says which things are meant, or when, not what the call does to
# them: "Files that are shared with you", "Firing alerts, as they are returned", "The payout
# schedule: how often sellers are paid".
_SUBORDINATES = frozenset(
    "that who whom whose which what whether how as when whenever if where once after before "
    "until unless while because though although".split())
# What, before or right after "is", "are" or "be", says nothing is done, or only that it may
# be: "Nothing is changed", "Flags that have not been evaluated", "can still be redeemed".
_NOT_DONE = frozenset(
    "not no nothing none never neither can could may might should must cannot".split())
# Participles of verbs the table counts as acting that say only how a reply is laid out:
# "Files that are shared with you", "Results are sorted by date".
_NOTHING_DONE_PARTICIPLES = frozenset(
    "listed returned shown sorted filtered shared ordered grouped paginated included excluded "
    "omitted hidden truncated cached highlighted formatted rendered displayed collapsed ranked "
    "capped limited counted joined".split())
# Participles that, before "for", say how long something is kept, not that a call keeps it
# ("Events are stored for 30 days").
_KEPT_FOR = frozenset("stored kept retained saved".split())
# What after a participle says how fresh the data is, not what the call does ("Rates are
# updated hourly", "Balances are recalculated every night").
_HOW_OFTEN = frozenset(
    "hourly daily nightly weekly monthly yearly every each regularly periodically".split())
# What after a participle following a comma says which of them are shown, not what is done
# to them: "Messages of a mailbox, deleted ones included", "Invoices, paid or unpaid", "...,
# paid and unpaid", "Items, deleted within the last 30 days".
_WHICH_ONES_SAID = frozenset(
    "ones or within since before between during today yesterday recently last earlier"
    .split())
# What after a participle that runs something, following a comma, says where from, where to
# or against what the call runs it: "Failed jobs of a pipeline, retried from the last step",
# "Pending builds, restarted on a fresh runner". Not who ran it or how it runs ("Runs of a
# workflow, triggered by a push", "Processes, run as root", "Steps, executed in order"), nor
# a state in a list of values ("disarmed, armed_away, triggered").
_RUN_WHERE = frozenset("from on onto to into against at automatically immediately again".split())
# ... and "on" or "at" only before a place ("restarted on a fresh runner"; not "retried on
# failure", when it is).
_RUN_ON = frozenset(("on", "at"))
_A_PLACE = (["a"], ["an"], ["the"], ["another"], ["its"], ["their"])
# Participles of verbs that run something that more often say what state a thing is in:
# "Packages of a host, installed with their versions", "Services, deployed to production".
_STATE_PARTICIPLES = frozenset("installed deployed".split())
# The doer of a passive that is the call itself: "... are removed by this tool", "by the call".
_BY_THE_CALL = frozenset("this the same call tool request endpoint operation".split())
# What after a third-person verb is its object: "... and sends the overdue ones".
_AN_OBJECT = OBJECT_OPENERS | frozenset(("it", "them"))
# Verbs that, right after a noun behind a determiner, make it the subject of a clause saying
# which things are meant, so the word before is one of those things: "Alerts and silences
# the receiver holds", "Workspaces and stores the user can reach".
_RELATIVE_VERBS = frozenset(
    "can could may might will would must should has have had is are was were owns holds "
    "uses made wrote created sees follows belongs manages contains".split())


# A condition said in two words between commas, which leaves the clause around it whole
# ("Files older than 30 days, if any, are removed"; see `without_elided_conditions`).
_ELIDED_OPENING = frozenset("if where when as".split())
_ELIDED_SAID = frozenset(
    "any present found needed necessary possible applicable required available enabled "
    "configured so".split())


def _acting_participle(words: list[str], at: int) -> str | None:
    """The kind of what the participle at `at` says was done, when it acts: not a reading
    ("listed", "returned", "sorted"), not how fresh ("updated hourly"), else None."""
    word = words[at]
    if word in _NOTHING_DONE_PARTICIPLES or (word in _KEPT_FOR
                                             and words[at + 1:at + 2] == ["for"]):
        return None
    verb = participle_verb(word)
    if verb is None and word.startswith("re") and len(word) > 4:
        verb = participle_verb(word[2:].lstrip("-"))  # "rerun", "re-queued": done again
    if verb is None or v.VERBS[verb] == v.READ or not _HOW_OFTEN.isdisjoint(words[at + 1:at + 3]):
        return None
    return v.VERBS[verb]


def _done_to_what_it_shows(desc: DescriptionVerbs) -> tuple[str, str] | None:
    """(word, kind) of what a first sentence of nouns says is done to what it names, or None:
    a passive in a main clause ("Refunds for a customer are issued to the card", "Payments
    ... are captured and settled"), a participle that removes or pays after a comma
    ("Branches of the repo, deleted from the remote"), a third-person act after "and" or a
    comma before its object ("Invoices for a customer and sends the overdue ones"), or, after
    a question, a next sentence that opens with one ("Which chapels are free on Saturday?
    Books the first one for the team")."""
    words = desc.words
    start = desc.text.find(desc.sentence) if desc.sentence and "?" in desc.text else -1
    end = start + len(desc.sentence)
    asked = start >= 0 and desc.text[end:end + 1] == "?"
    # A question's words ask what is there ("What is stored at a rack location?").
    subordinate = asked
    first_clause = True  # a passive tells of what the sentence opens with, before "," or ";"
    skip_to = -1
    for i, word in enumerate(words):
        if i <= skip_to:
            continue
        if (word == "," and words[i + 1:i + 2] and words[i + 1] in _ELIDED_OPENING
                and words[i + 2:i + 3] and words[i + 2] in _ELIDED_SAID
                and words[i + 3:i + 4] == [","]):
            # "Files older than 30 days, if any, are removed": a condition of two words
            # between commas leaves the clause around it whole.
            skip_to = i + 3
            continue
        if word in (",", ";"):
            first_clause = False
        if word in _SUBORDINATES:
            subordinate = True
        elif word in _PASSIVE_BE and first_clause and not subordinate and i > 0:
            at = i + 1
            if not _NOT_DONE.isdisjoint(words[max(0, i - 3):at + 1]):
                continue
            if at < len(words) and words[at].endswith("ly"):
                at += 1  # "are automatically removed"
            if (at < len(words) and (words[at + 1:at + 2] != ["by"]
                                     or _BY_THE_CALL.issuperset(words[at + 2:at + 4]))
                    and (kind := _acting_participle(words, at)) is not None):
                # (Not what another does: "Refunds are issued by the bank"; but what the call
                # itself does: "Stale files are removed by this tool".)
                return f"done: {words[at]}", kind
        elif (word == "," and i + 1 < len(words)
              and ((kind := _acting_participle(words, i + 1)) in (v.REMOVE, v.MONEY)
                   or (kind == v.EXECUTE and words[i + 1] not in _STATE_PARTICIPLES
                       and words[i + 2:i + 3] and words[i + 2] in _RUN_WHERE
                       and (words[i + 2] not in _RUN_ON or words[i + 3:i + 4] in _A_PLACE)))
              and _WHICH_ONES_SAID.isdisjoint(words[i + 2:i + 3])
              and words[i + 2:i + 4] not in (["and", "un" + words[i + 1]], ["and", "not"])):
            return f"done: {words[i + 1]}", kind
        elif word in (",", "and") and i + 2 < len(words) and words[i + 2] in _AN_OBJECT:
            act = words[i + 1]
            verb = base_verb(act)
            if verb is not None and act != verb and act.endswith("s") and (
                    v.VERBS[verb] != v.READ) and _RELATIVE_VERBS.isdisjoint(words[i + 3:i + 6]):
                return act, v.VERBS[verb]
    if asked:
        rest = desc.rest()[:2]
        if len(rest) == 2 and rest[1] in _AN_OBJECT:
            verb = base_verb(rest[0])
            if verb is not None and rest[0] != verb and v.VERBS[verb] != v.READ:
                return rest[0], v.VERBS[verb]
    return None


# Words that, ending a name after a plural, say which of them are shown: "reminders_due",
# "timesheets_pending", "jobs_today", "changes_since".
_WHICH_ONES = frozenset(
    "due overdue pending today tomorrow upcoming since now active recent available open unpaid "
    "outstanding".split())
# What is owed, named in the singular before a word saying which of it ("tax_due": "Tax due
# for the quarter"; "rent_overdue"): a sum, not one thing to act on.
_OWED = frozenset("tax vat rent balance amount premium interest principal".split())
_OWED_STATES = frozenset("due overdue unpaid outstanding".split())


def _a_collection_then_when(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Does a name of nouns end with a plural and a word saying which of them ("vet_reminders_due",
    "jobs_today"), and the first sentence name that plural near its start, not before what
    opens an object ("Patients whose reminders fall due in the next N days")?"""
    words = name.words
    if (len(words) < 2 or words[-1] not in _WHICH_ONES
            or not (plural_noun(words[-2]) or (words[-2] in _OWED and words[-1] in _OWED_STATES))
            or name.noun not in (None, words[-1])):  # ("orders_open": "open" says which)
        return False
    said = desc.words
    if len(said) > 1 and said[1] in OBJECT_OPENERS:
        return False
    plural = words[-2]
    return plural in said[:_NAMED_WITHIN] or plural[:-1] in said[:_NAMED_WITHIN]


# Prepositions inside a name of nouns, after the collection it names: "invoices_for_customer",
# "streams_by_territory", "bids_on_lot".
_NAME_PREPOSITIONS = frozenset("for by on of per in from".split())


def _collection_named(words: list[str]) -> str:
    """The collection a name of nouns names: its last word, or, when that is no plural, a
    plural right before a preposition inside the name ("invoices_for_customer",
    "dive_invoices_for_diver", "bids_on_lot"; "chart_of_accounts" keeps "accounts")."""
    if plural_noun(words[-1]):
        return words[-1]
    for at in range(1, len(words) - 1):
        if words[at] in _NAME_PREPOSITIONS and plural_noun(words[at - 1]):
            return words[at - 1]
    return words[-1]


def _names_a_collection(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """A name of nouns alone ending in a plural ("recent_commits", "pod_logs") whose
    description's first sentence is a noun phrase too ("Recent commits on a branch"): the tool
    shows that collection, things that move money too ("desk_positions": "Desk positions
    across venues"; later stages weigh money and arguments). Not when the sentence's first
    word takes an object, as a verb the table lacks would ("Retweets a tweet"), and not when
    the sentence leads with a verb ("pending_transfers": "Transfers waiting for approval"
    leads with "transfer", and never reaches here)."""
    last = _collection_named(name.words)
    described = name.noun in ADJECTIVES_BEFORE_PLURALS  # "open_orders": which, not what to do
    if (not plural_noun(last)
            or (name.noun is not None and not described)):
        return False
    if last != name.words[-1] and (
            desc.words[:1] != [last] or not _nothing_said_done(name, desc)
            or _a_passive_in(desc.words) or _an_act_in(desc.words)):
        # Only the collection itself leading a sentence that does nothing with it: not
        # "Triage tickets for review into the queue", "Refunds for an order are issued",
        # "Invoices for a customer and sends the overdue ones".
        return False
    if desc.phrase:
        return True  # a sentence in another script that holds no verb: what is shown
    words = desc.words
    if len(words) > 1 and words[1] in OBJECT_OPENERS and not said_of_the_word_before(desc, 1):
        return False  # (not "Tests that passed on main": what is said of them)
    # The sentence names the collection near its start ("Logs of a pod", "Recent commits on
    # a branch"); one about something else ("Disabled when ...") says nothing of what is done.
    if last not in words[:_NAMED_WITHIN] and last[:-1] not in words[:_NAMED_WITHIN]:
        return False
    # "log_hours": "Log worked hours ...": the name's first word leads the sentence too, with
    # an object that is not the rest of the name, so it is a verb the table lacks. "Recent
    # commits on a branch" restates the name.
    start = 1 if name.namespace else 0
    first = name.words[start]
    if third_person_of(words[0], first):
        return False  # "collect_payments": "Collects payments ...": a verb the table lacks
    if first == words[0] and puts_it_somewhere(words):
        # "seed_users": "Seed users into the dev database", "triage_tickets": "Triage tickets
        # for review into the on-call queue": sent somewhere.
        return False
    return first != words[0] or (len(words) > 1 and len(name.words) > start + 1
                                 and words[1] == name.words[start + 1])


# How far past its object a sentence led by the name's own word may say where things are put.
_INTO_WITHIN = 6
_INTO = frozenset(("into", "onto"))


def puts_it_somewhere(words: list[str]) -> bool:
    """Does a sentence whose first word the name also leads with say where its object is put:
    "into", "onto" or "to" right after the object ("Seed users into the dev database"), or
    "into" or "onto" within a few words past it, with no participle, comma or clause before
    that would make it what is said of the object ("Triage tickets for review into the
    on-call queue"; not "Sprint tickets moved into the backlog", "Tickets, sorted into
    folders")? Then the first word is a verb the tables lack."""
    if len(words) > 2 and words[2] in WHERE_TO:
        return True
    for word in words[2:_INTO_WITHIN + 2]:
        if word in _INTO:
            return True
        if (word.endswith("ed") or word in _SENT_FORMS or word in _SUBORDINATES
                or not word.isalpha()):
            return False
    return False


# What follows a plural noun opening a sentence ("Comments on a container", "Posts by a
# user"), where a verb in the third person takes an object ("Posts a message") or "to".
_AFTER_A_NOUN = frozenset("on of for in from by with about per , (".split())


def _restates_the_object(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Does the first sentence open with the word the name's reading verb acts on, inflected
    as a plural noun and followed by a preposition ("list_comments": "Comments on ...",
    "invoice_list": "Invoices for a member") or, where the verb ends the name, by a participle
    ("Invoices issued to students")? Then it is that noun, not the verb it also spells."""
    words = desc.words
    if (name.kind != v.READ or name.verb is None or name.last is not None or len(words) < 2
            or desc.lead is None or words[0] == desc.lead):
        return False
    at = name.words.index(name.verb) if name.verb in name.words else -1
    if at < 0:
        return False
    # "invoice_list": the reading verb last, after what it reads (in the plural too, in "-s" or
    # "-es": "process_list": "Processes on the host").
    before = 0 < at == len(name.words) - 1 and words[0] in (name.words[at - 1],
                                                            name.words[at - 1] + "s",
                                                            name.words[at - 1] + "es")
    if words[1] in _AFTER_A_NOUN:
        return before or words[0] in name.words[at + 1:]
    # "invoice_list": "Invoices issued to students": what the name reads, then a participle
    # saying which ones.
    return before and len(words[1]) > 4 and words[1].endswith("ed")


# Prepositions that end the head of a noun phrase opening a sentence ("Refund and return
# policy of the store").
_NOUN_HEAD_STOPS = frozenset(
    "of for to into in on from by with since across between per over during within ( ,"
    .split())
# What a noun may be followed by, ending the head of a noun phrase, when a verb would take an
# object: "Call logs", "Run metadata", "Sell-through rate".
_HEADS_AFTER_A_NOUN = v.VIEW_NOUNS | frozenset(
    """
    logs log rate rates details detail record records settings status state data count totals
    policy policies list
    """.split())
_PARTICLES_AFTER = frozenset("up down out off back over away it them".split())


def _a_form_of(word: str, noun: str) -> str | None:
    """How `word`, opening a sentence, is a form of the name's word `noun`: "same", "plural"
    ("changes" of "changes" or of "change"; "rate" of "rates"), "gerund" ("trading",
    "sharing" of "share"), or None."""
    if len(word) > 5 and word.endswith("ing") and word == noun:
        return "gerund"
    if word == noun or (noun.endswith("s") and word == noun[:-1]):
        return "plural" if plural_noun(word) else "same"
    if word in (noun + "s", noun + "es"):
        return "plural"
    if len(word) > 5 and word.endswith("ing") and (
            word == noun or word[:-3] in (noun, noun[:-1], noun + noun[-1:])):
        return "gerund"  # "trading" of "trading" or "trade"
    return None


def _lead_is_the_read_noun(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Under a name whose only verb reads, does the first sentence lead with a word the name
    holds as what it reads, shaped as a noun: a gerund before a noun ("get_trading_hours":
    "Trading sessions and holidays"; "get_share_settings": "Sharing settings for a file"), or
    the word itself before "of", a view of data or more of the name's own words
    ("calls.list": "Call logs with direction", "get_sell_through": "Sell-through rate per
    product", "getRefundPolicy": "Refund and return policy")? Then it is that noun, not the
    verb it also spells. (A plural before a preposition is `opens_with_the_looked_up_noun`'s.)
    Never before what opens an object, a particle or a bare object ("get_refund": "Refund the
    payment", "Refund payments for an order"), never when the sentence goes on to do
    something, and a word that removes or pays only as part of the name's own compound
    ("Refund and return policy")."""
    words = desc.words
    verb = name.verb
    if (name.kind != v.READ or verb is None or name.ambiguous or name.last is not None
            or name.alternatives or name.agent or name.launched or name.lexicon
            or len(words) < 2 or desc.lead is None or base_verb(words[0]) != desc.lead):
        return False
    first, after = words[0], words[1]
    if after in OBJECT_OPENERS or after in _PARTICLES_AFTER:
        return False
    own = [w for w in name.words if w != verb and w not in CONNECTORS]
    shapes = {_a_form_of(first, w) for w in own} - {None}
    if _a_form_of(first, verb) == "gerund":
        shapes.add("gerund")  # "track_shipment": "Tracking history of a package"
    if not shapes:
        return False
    # The rest of the name's compound, restated before the phrase ends ("policy" in "Refund
    # and return policy of the store", "through rate" in "Sell-through rate").
    restated = False
    for word in words[1:_PHRASE_HEAD_WORDS]:
        if word in _NOUN_HEAD_STOPS and word not in ("in", "on"):
            break
        if word in OBJECT_OPENERS:
            return False
        if word != first and any(_a_form_of(word, w) for w in own):
            restated = True
    if desc.kind in (v.REMOVE, v.MONEY):
        noun_shaped = restated
    elif "gerund" in shapes:
        noun_shaped = (after.isalpha() and (base_verb(after) is None or after in own))
    else:
        noun_shaped = (after == "of" or after in _HEADS_AFTER_A_NOUN or restated)
    if not noun_shaped or not _nothing_done_after(desc) or a_clause_says_what_is_done(
            desc.sentence):
        return False
    for i, word in enumerate(words[1:], 1):
        if word in _QUANTIFIERS and words[i - 1] not in _NOUN_HEAD_STOPS:
            return False  # "Merges into main every approved pull request": its object
        if word in _PASSIVE_BE and any(w.endswith("ed") or w in _SENT_FORMS
                                       for w in words[i + 1:i + 4]):
            return False  # "Trading sessions are opened at nine"
        if words[i - 1] in _STEP_JOINS and (step := base_verb(word)) is not None and (
                word != step and v.VERBS[step] != v.READ):
            return False  # "Sharing settings of a file and sends them to the owner"
    return True


_QUANTIFIERS = frozenset("every each all any".split())
_STEP_JOINS = frozenset("and then or".split())


# Words that open a question a tool answers: "Who is home", "Which pods restarted today".
_QUESTIONS = frozenset("who what which when where whose how".split())
# What follows the question word in a question about a present or past fact: "Who is home",
# "Who last changed each line", "How many pods restarted". Not "How warm the room should be"
# or "Who owns the ticket from now on", which say what a call sets.
_ASKED_FACTS = frozenset("is are was were has have had did does do last many much".split())
_NOT_ASKED = frozenset("should shall will would must".split())


def _asks(desc: DescriptionVerbs) -> bool:
    """Does the first sentence open with a question about a present or past fact ("Who is
    home", "Who last changed each line"), not a "how to" ("How to delete a page") nor what a
    call sets ("How warm the room should be"), with nothing done after it?"""
    words = desc.words
    return (((((len(words) > 2 and words[0] in _QUESTIONS
                and (words[1] in _ASKED_FACTS or _asked_after_a_word(desc, 1)))
               or yes_no_question(desc)
               # "Which chapels are free", "Which pods restarted today": "which" is left out
               # of the words, and the thing asked about comes first. One clause only: a
               # step joined on may be a verb the tables lack ("..., and hold the first one").
               or (len(words) > 2 and words[0] == "whether" and _whether_asks(desc))
               or (len(words) > 1 and which_question(desc)
                   and (words[1] in _ASKED_FACTS or words[1].endswith("ed")
                        or _asked_after_a_word(desc, 0) or _asked_after_a_compound(desc))
                   and "," not in words and "and" not in words))
              and desc.text[:1].isupper())
             or foreign_question(desc) is not None)
            and _NOT_ASKED.isdisjoint(words) and _nothing_done_after(desc, asked=True))


# Contracted forms of a fact asked after the question word: "Who's on call", "Who hasn't
# replied yet?" ("who", "s"; "who", "hasn", "t").
_CONTRACTED_FACTS = frozenset("s hasn haven isn aren wasn weren didn doesn".split())


def _asked_after_a_word(desc: DescriptionVerbs, at: int) -> bool:
    """Does a question ending in "?" ask a fact one word later than usual: "How busy is the
    gym?", "What documents are we missing?", "Which delivery slots are left?" (`at` is where
    the word after the question word stands), or in a contraction ("Who's on call?")? The
    word between is no verb the table knows ("How do I reset it?" is another matter)."""
    words = desc.words
    if "?" not in desc.text[:len(desc.sentence) + 2]:
        return False
    if at == 1 and words[1] in _CONTRACTED_FACTS:
        return True
    return (len(words) > at + 2 and words[at + 1] in _ASKED_FACTS
            and base_verb(words[at]) is None and words[at] not in _NOT_ASKED)


# What a "whether" clause asks with: a fact, or whether something can be done.
_WHETHER_ASKS = _ASKED_FACTS | frozenset(("can", "could"))
_WHETHER_REACH = 5


def _whether_asks(desc: DescriptionVerbs) -> bool:
    """Does the first sentence open with a "whether" clause asking a fact within a few words
    ("Whether a coupon can still be redeemed, and for how much", "Whether a record has
    propagated to public resolvers")? It asks, as a question does: a word the tables know as
    a verb before the fact is a noun after an article ("a record"), else the clause is left
    alone, and nothing may be done in a later sentence ("... Books the first slot") that
    the stage after this one, which reads later sentences, does not find."""
    words = desc.words
    if len(words) < 3 or words[0] != "whether" or (
            not _nothing_done_later(desc) and _said_later(desc) is None):
        return False  # (an act `_said_later` finds is weighed after: "... Redeems it": Write)
    for at in range(1, min(len(words), _WHETHER_REACH + 1)):
        word = words[at]
        if word in _WHETHER_ASKS:
            return True
        if not word.isalpha() or (base_verb(word) is not None
                                  and words[at - 1] not in OBJECT_OPENERS):
            return False
    return False


def _asked_after_a_compound(desc: DescriptionVerbs) -> bool:
    """Does a "Which" question ending in "?" ask its fact past a compound of two nouns ("Which
    delivery slots are left for tomorrow?", "Which ice pads are free tonight?"), neither a
    verb the table knows, with nothing done in a later sentence ("... Books the first one")?"""
    words = desc.words
    return (len(words) > 3 and words[2] in _ASKED_FACTS
            and "?" in desc.text[:len(desc.sentence) + 2]
            and all(w.isalpha() and base_verb(w) is None and w not in _NOT_ASKED
                    for w in words[:2]) and _nothing_done_later(desc))


def _nothing_done_later(desc: DescriptionVerbs) -> bool:
    """Do the sentences after the first say nothing the tool itself does, in the third person
    ("Current kube context. If `use` is given, switches to it")? Asked where a sentence of
    nouns alone would let the tool through as a reader: there any act said later wins."""
    for word in desc.rest()[:60]:
        if third_person_verb(word):
            verb = base_verb(word)
            if verb is not None and word != verb and v.VERBS[verb] != v.READ:
                return False
    return True


def _nothing_done_after(desc: DescriptionVerbs, asked: bool = False) -> bool:
    """Is the first sentence one clause that names or asks, with no ";" and no verb that acts
    after a comma ("How many items are left in stock, reordering those below threshold";
    "Status of the vacuum; starts a cleaning run if idle"), nor a participle of one right
    after a comma ("Status of the service restart, issued when the service is unhealthy")?
    After a question (`asked`), also no verb the tables lack doing a step of its own ("Who is
    on call, and pages them")."""
    if ";" in desc.text.split(".", 1)[0]:
        return False
    words = desc.words
    if "," not in words:
        return True
    if (listed := _states_listed(desc.sentence)) is not None:
        # "Status of a payment run: proposed, executed or failed": the words after the colon
        # are the values the status takes, not acts the call does.
        words = words[:len(words) - listed]
        if "," not in words:
            return True
    at = words.index(",")
    for i, word in enumerate(words[at:], at):
        verb = base_verb(word)
        if verb is not None and v.VERBS[verb] != v.READ and not _asked_of(words, i):
            return False
        if (verb is None and words[i - 1] == "," and (done := participle_verb(word)) is not None
                and v.VERBS[done] != v.READ and done not in _ARRANGED
                and (i + 1 == len(words) or words[i + 1] not in _KEPT_CURRENT)):
            # "Status of the service restart, issued when the service is unhealthy": a
            # participle after the comma says the act is done ("grouped by host" only
            # arranges what is shown; "updated every minute" keeps the view current).
            return False
        if asked and verb is None and _step_of_its_own(word, words[i + 1:i + 2]):
            return False
    return True


# A colon, then nothing but single words joined by commas and a last "or" or "and": the
# values something takes ("...: proposed, executed or failed"; "...: daily and monthly").
_LISTED_AFTER_A_COLON = re.compile(r":\s+((?:[^\W\d_][\w-]*\s*,\s*)*[^\W\d_][\w-]*,?\s+"
                                   r"(?:or|and)\s+[^\W\d_][\w-]*)\s*\.?\s*$")


def _states_listed(sentence: str) -> int | None:
    """How many words of a first sentence's tokens are a list of values after its colon
    (`_LISTED_AFTER_A_COLON`), or None when it ends with no such list."""
    if ": " not in sentence:
        return None  # nearly every sentence
    found = _LISTED_AFTER_A_COLON.search(sentence)
    return None if found is None else len(sentence_tokens(found.group(1)))


# Verbs whose participle only arranges what is shown ("..., grouped by host"), and words after
# a participle that say the view is kept current, not that the call acts ("..., updated every
# minute").
_ARRANGED = frozenset("group sort order filter format split merge join combine wrap".split())
_KEPT_CURRENT = frozenset(
    "every hourly daily nightly weekly monthly periodically continuously live automatically"
    .split())


# Prepositions before "which", "whose" or "what" asking of a noun: "..., and in which commit".
_ASKING_PREPOSITIONS = frozenset("in on at by for from of with to under".split())


def _asked_of(words: list[str], at: int) -> bool:
    """Is the word at `at` the noun a question word asks of, after a preposition ("Who last
    changed each line of a file, and in which commit")? No verb stands there: "in which
    deletes" is no English. Or is it the verb of who does something, an item of a list ("the
    days allowed, the conditions and who pays the return shipping"): someone else does it."""
    return at > 1 and ((words[at - 1] in ("which", "whose", "what")
                        and words[at - 2] in _ASKING_PREPOSITIONS)
                       or (words[at - 1] in _WHO and words[at - 2] in _LIST_JOINS))


# "who", and "and" and "or", in the languages whose terms are read (`terms_named`): "terminy,
# warunki i kto płaci za przesyłkę", "plazos, condiciones y quién paga el envío".
_WHO = frozenset("who kto quien quem wer qui chi kdo".split())
_LIST_JOINS = frozenset((",", "and", "or", "i", "y", "e", "und", "et", "oder", "ou", "lub"))


# What opens the object of a step the tables do not know, after the question's comma: "...,
# and pages them with the alert", "..., and turns off the lights", "..., skipping to the next
# track". Words that list what is shown are no step ("..., including the artist").
_STEP_OBJECTS = frozenset("it them the his her their each every all any off on up to".split())
_NOT_STEPS = frozenset(
    """
    including excluding showing using returning listing containing matching covering
    according following starting ending giving sorting grouping ordering counting
    """.split())


def _step_of_its_own(word: str, after: list[str]) -> bool:
    """Is `word`, after a question's comma, a verb the tables lack in the third person or as
    a gerund, before what it acts on ("pages them", "turns off the lights", "skipping to
    the next track")?"""
    return (len(word) > 4 and (third_person_verb(word) or word.endswith("ing"))
            and word not in _NOT_STEPS and bool(after) and after[0] in _STEP_OBJECTS)


def _view_under_a_noun(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The view a verbless first sentence names, when the name's only verb is a word more
    often a noun standing after another word, or a verb that adds or runs right before the
    view ending the name and named in the sentence as what the view is of (never an HTTP
    method, a removal or a money verb, the costliest to get wrong), or None."""
    if (name.last is not None or name.alternatives or name.verb in v.HTTP_WRITES
            or name.kind in (v.MONEY, v.REMOVE)):
        return None
    if name.ambiguous and name.prefix:
        return names_a_view(name, desc)
    # "ha_vacuum_status": "Status of the robot vacuum". A verb that adds or runs, after
    # another word and right before the view of data that ends the name, under a sentence
    # naming that same view as being of that word: the view is of the thing the verb spells.
    # Not a verb that leads the name ("set_status" sets it), one that changes what it names
    # ("svc_update_profile": "User profile update") nor one that acts on a view wherever it
    # stands (ACTS_BEFORE_A_VIEW).
    words = name.words
    verb = name.verb
    at = words.index(verb) + 1 if verb is not None and verb in words else 0
    if (verb is not None and name.prefix and at == len(words) - 1 and words[-1] in v.VIEW_NOUNS
            and name.kind in (v.WRITE, v.EXECUTE) and verb not in ACTS_BEFORE_A_VIEW
            and _named_after_of(verb, desc.words) and _nothing_done_after(desc)
            and names_a_view(name, desc) == words[-1]):
        return words[-1]
    return None


# The two words that name trying an act without doing it, as a name or a sentence writes them
# ("dry_run", "dryRun", "dryrun", "Dry-runs", "whatIf", "what-if").
_TRIALS = {("dry", "run"): "dry run", ("dry", "runs"): "dry run", ("what", "if"): "what-if"}
_TRIALS_AS_ONE = {"dryrun": "dry run", "dryruns": "dry run", "whatif": "what-if"}
_TRIAL_FIRSTS = frozenset(("dry", "what", *_TRIALS_AS_ONE))


# A simulation named by the name and the sentence it leads ("simulate_custom_policy",
# "Simulates how ..."), of what decides who may do what.
_SIMULATED = frozenset("simulate simulates simulation simulations simulator".split())
_ACCESS = frozenset("policy policies permission permissions access iam principal".split())
# What opens the question a simulation answers: what follows is what would happen ("whether a
# role may call the given actions"), not what the call does.
_QUESTION_OPENERS = frozenset("whether how if which".split())
# A simulation's own denial: "; no policy is changed".
_NO_POLICY_CHANGED = re.compile(r"\bno\s+(?:polic(?:y|ies)|permissions?|roles?|access)\s+"
                                r"(?:is|are|gets|will\s+be)\s+(?:changed|modified|updated|"
                                r"attached|applied)\b", re.IGNORECASE)
# What a step the call does of its own follows: "..., and attaches it", "; applies it".
_BEFORE_A_STEP = frozenset(("and", ",", ";", "then"))


def _simulates_access(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Does a name with no verb of the tables name a simulation of policies or access, and its
    first sentence lead with "simulate" and name them too, with no verb that acts outside the
    question it asks, no step of its own after "and" or a semicolon ("... and attaches it to
    the role"), and no passive but a denial ("no policy is changed")?"""
    words = name.words
    said = desc.words
    if (not said or said[0] not in _SIMULATED or name.alternatives
            or _SIMULATED.isdisjoint(words) or _ACCESS.isdisjoint(words)
            or _ACCESS.isdisjoint(said)):
        return False
    sentence = _NO_POLICY_CHANGED.sub("", desc.sentence)
    if (denial := says_nothing_changes(desc.text)) is not None:
        sentence = sentence.replace(denial, "")
    if says_done_in_the_passive(sentence):
        return False
    asked = False
    for at in range(1, len(said)):
        word = said[at]
        if word in _QUESTION_OPENERS:
            asked = True
            continue
        verb = base_verb(word) or participle_verb(word)
        if verb is None or v.VERBS[verb] == v.READ:
            continue
        if not asked or (said[at - 1] in _BEFORE_A_STEP and word != verb):
            return False  # "... policies and applies them", "...; attaches it"
    return True


def _nothing_acts_in(desc: DescriptionVerbs, *named: str) -> bool:
    """Does the first sentence do nothing: no verb that acts after a comma, no word of it a
    verb of the English or the European tables that does more than read (German ends a command
    with its verb: "Fällige Rechnungen begleichen"), no passive ("... wird abgebucht"), the
    `named` words that the name's noun phrase is made of (an amount, "importe"; "lock" of
    "Lock status", and its participle, "locked or not") aside?"""
    if not _nothing_done_after(desc) or _a_passive_in(desc.words) or says_done_in_the_passive(
            desc.sentence):
        return False
    for at, word in enumerate(desc.words):
        if word in named or (named and participle_verb(word) in named) or _asked_of(
                desc.words, at):
            continue  # (or who else does it, an item of a list: "... i kto płaci")
        verb = base_verb(word) or participle_verb(word)
        if verb is not None and v.VERBS[verb] != v.READ:
            return False
        kind = european_kind(word)
        if kind is not None and kind != v.READ:
            return False
    return True


# Verbs that are as often the nouns of their acts, before a measure or a state that ends a
# name ("lock_status", "leave_balance", "upload_quota", "fill_rate", "restart_count",
# "refund_rate", "send_limit", "kill_switch_state"), each with the words that name the noun.
_NOUN_VERBS: dict[str, tuple[str, ...]] = {
    "lock": ("lock",), "leave": ("leave",), "upload": ("upload",), "fill": ("fill",), "restart": ("restart",), "reboot": ("reboot",), "refund": ("refund",),
    "send": ("send",), "payout": ("payout",), "retry": ("retry",), "crash": ("crash",),
    "kill": ("kill", "switch"),
}
# Measures and states a name of such a noun ends with. Not a money act's own noun, and not a
# mode, a target or a setting, which a call sets.
_MEASURES_OF_A_NOUN = frozenset(
    "status state count rate quota balance limit score queue ratio".split())
# Words before the noun phrase that say which value of the measure is meant.
_WHICH_VALUE = frozenset(
    "current daily monthly weekly hourly total remaining latest live overall average the "
    "annual".split())
_MEASURE_WITHIN = 5


def _measure_of_a_noun(name: NameVerbs, desc: DescriptionVerbs) -> tuple[str, str] | None:
    """(the noun, the measure) when the name is one of `_NOUN_VERBS`'s nouns and a measure or
    state (`_MEASURES_OF_A_NOUN`), nothing else, and its first sentence is a noun phrase
    naming the same measure of the same noun ("Lock status of a user account", "Daily send
    limit of a mailbox", "Current state of the trading kill switch"), with no verb in it that
    acts, no passive and nothing done after it; else None. Never a noun that stands alone
    (`refund`, `kill_switch`), nor a sentence that leads with the verb before an object
    ("Lock the account status")."""
    own = name.words[1 if name.namespace else 0:]
    verb = name.verb
    if verb is None or name.kind is None or verb not in _NOUN_VERBS or name.alternatives:
        return None
    noun = _NOUN_VERBS[verb]
    if own[:-1] != list(noun) or own[-1] not in _MEASURES_OF_A_NOUN:
        return None
    measure = own[-1]
    said = desc.words
    at = 0
    while at < len(said) and said[at] in _WHICH_VALUE:
        at += 1
    head = said[at:at + len(own)]
    if head == own or head == [*noun, measure + "s"]:
        # "Upload quota of a workspace", "Lock status: ..." (the name's words again, then
        # the phrase ends).
        after = at + len(own)
        if after < len(said) and said[after] not in _HEAD_ENDS:
            return None
    elif said[at:at + 2] == [measure, "of"]:
        # "Current state of the trading kill switch", "Queue of payouts awaiting approval":
        # the measure, then what it is of, the noun within a few words.
        window = said[at + 2:at + 2 + _MEASURE_WITHIN]
        if not any(window[i:i + len(noun)] == list(noun)
                   or (len(noun) == 1 and window[i] == noun[0] + "s")
                   for i in range(len(window))):
            return None
    else:
        return None
    if (unknown_command(name, desc) is not None or not _nothing_done_later(desc)
            or _acting_word(desc, (*noun, measure)) is not None):
        return None
    return " ".join(noun), measure


# What a noun, never a verb, follows in a noun phrase: "a trading day", "its orders", "the
# desk's orders" ("s" of the possessive), "of restarts".
_BEFORE_A_NOUN = OBJECT_OPENERS | frozenset("s of per by for in on at over with and or".split())


def _acting_word(desc: DescriptionVerbs, noun: tuple[str, ...]) -> str | None:
    """The word that acts in a first sentence of a noun phrase, or None when it only names
    things: every word that is a verb form of the tables doing more than read acts, but where
    a noun stands (after an article, a possessive or a preposition: "as a share of its
    orders"), the noun phrase's own noun ("Lock status: locked or not", "messages sent today")
    or a state listed after a colon ("...: armed or tripped"); so does an act after "to" or a
    clause mark, a passive and a verb of the European tables that acts."""
    if ";" in desc.text.split(".", 1)[0]:
        return ";"
    if _a_passive_in(desc.words) or says_done_in_the_passive(desc.sentence):
        return "(a passive)"
    words = desc.words
    listed = _states_listed(desc.sentence) or 0
    for i, word in enumerate(words[:len(words) - listed]):
        verb = base_verb(word) or participle_verb(word)
        before = words[i - 1] if i else ""
        if verb is None or v.VERBS[verb] == v.READ or (verb in noun and before != "to"):
            kind = european_kind(word)
            if verb is None and kind is not None and kind != v.READ:
                return word  # "Límite de envíos: cambia ...": a verb of another language
            continue
        after = words[i + 1] if i + 1 < len(words) else ""
        if before in ("to", ",", ":", "-", "") or after in OBJECT_OPENERS or after == "it" or (
                word != verb and before not in _BEFORE_A_NOUN and not word.endswith("ing")):
            # "..., to reset the counter"; "... or unlock it"; "... and resets it"; "...,
            # issued"
            return word
    return None


def _trial_at(words: list[str], at: int) -> str | None:
    """"dry run" or "what-if" when the words at `at` name one, else None."""
    if at < 0:
        return None
    if at < len(words) and (one := _TRIALS_AS_ONE.get(words[at])) is not None:
        return one
    return _TRIALS.get((words[at], words[at + 1])) if at + 1 < len(words) else None


def _tried_not_done(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """"dry run" or "what-if" when the name names one (its verb right before or after it, as
    in "dryRunMigrations", "WHAT-IF-SCALE" or "resize_whatif", or no verb at all, as in
    "deployment_whatif"), the first sentence leads with it too, and the description says that
    nothing changes or what would happen ("... the SQL they would execute"), the sentence
    doing nothing of its own before that (`_acts_beside_the_trial`); else None. Not a name
    with a verb of its own after the trial ("whatif_then_deploy", "dry_run_and_apply"), nor a
    sentence that goes on to act or says only under a condition that nothing changes
    ("Dry-run a migration; pass commit=true to commit", "What-if deployment. Set mode to
    Complete to execute")."""
    words = name.words
    said = desc.words
    if not said or said[0] not in _TRIAL_FIRSTS or (lead := _trial_at(said, 0)) is None:
        return None  # nearly every tool: one set lookup
    if name.kind is None:
        named = next((_trial_at(words, at) for at in range(len(words))
                      if _trial_at(words, at) is not None), None)
    else:
        prefix = name.prefix
        # The trial right before the act it tries: "dryRunMigrations", "WHAT-IF-SCALE" (not
        # "whatif_then_deploy").
        named = ((_TRIALS.get((prefix[-2], prefix[-1])) if len(prefix) > 1 else None)
                 or _TRIALS_AS_ONE.get(prefix[-1])
                 if prefix and name.last is None and not name.alternatives else None)
        if named is None and name.verb in ("run", "runs") and prefix[-1:] == ["dry"]:
            named = "dry run"
        if (named is None and name.verb in words and not name.alternatives
                and name.last in (None, "run")):
            # The trial after the act it tries: "resize_whatif", "deploy_dry_run".
            after = words[words.index(name.verb) + 1:]
            if 0 < len(after) <= 2 and _trial_at(after, 0) is not None and (
                    len(after) == 1 or after[0] not in _TRIALS_AS_ONE):
                named = _trial_at(after, 0)
    if named != lead:
        return None
    if _acts_beside_the_trial(said):
        return None  # "Dry run of the schema change, then applies it"
    denial = says_nothing_changes(desc.text)
    if denial is not None:
        # "...: lists the statements that would run; nothing is changed", and nothing else is
        # said to be done.
        return lead if not says_something_done_besides(desc.text, denial) else None
    # What would happen ("the resources that would be created, changed or removed"), with no
    # clause before it after a semicolon.
    return lead if "would" in said and ";" not in said[:said.index("would")] else None


def _acts_beside_the_trial(said: list[str]) -> bool:
    """Do the words of a sentence led by a dry run or a what-if hold a verb that acts in the
    third person ("... and applies it") or as a step after "and", "then", a comma or a
    semicolon ("..., deleting the old tables", "..., then deploys them")? Not the act tried
    ("What-if for scaling a node pool"), one that would be done ("the statements that would
    run", "would be created") nor a verb that is a noun here ("the schema change", "the new
    size")."""
    start = 1 if said[0] in _TRIALS_AS_ONE else 2
    for at in range(start, len(said)):
        word = said[at]
        verb = base_verb(word)
        if verb is None or v.VERBS[verb] == v.READ:
            continue
        if said[at - 1] in _BEFORE_A_STEP or (word != verb and word.endswith("s")):
            return True
    return False


# What ends a name to say how its verb's act may be done, not that it is: a limit, a policy,
# the rules, the fees or what may be had for it ("wallet.topup.limits", "deposit-policy",
# "refund_rules", "redeem_catalog").
_TERMS_OF_ACTS = frozenset(
    "limits limit policy policies rules terms eligibility fees rates catalog catalogue".split())
# The acts whose terms those are: money moved, put in, taken out or spent, which no call
# makes into a limit or a policy. Not a verb that makes, changes or removes the terms
# themselves ("create_policy", "update_limits", "delete_rules"), nor one that issues or renews
# a policy someone holds ("issue_policy", "renew_policy").
_ACTS_WITH_TERMS = frozenset(
    "topup deposit withdraw redeem refund payout transfer trade order charge swap cashout refill"
    .split())
# How a question about such terms opens: "How long a deposit is held", "How much may be topped
# up".
_TERMS_ASKED = frozenset("long much many often far".split())


def _terms_of_the_act(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The terms ending a name right after its verb (`_TERMS_OF_ACTS`), when the first
    sentence has no verb and does nothing, and either is a noun phrase headed by those terms
    ("Top-up limits for a wallet") or asks how long, much or often ("How long a deposit is
    held before ..."); else None. Only the terms of a money act (`_ACTS_WITH_TERMS`), never
    of one that makes or changes terms ("create_policy", "set_limits"), nor a name with
    another verb."""
    words = name.words
    verb = name.verb
    said = desc.words
    if (verb not in _ACTS_WITH_TERMS or len(words) < 2 or words[-1] not in _TERMS_OF_ACTS
            or words[-2] != verb or name.last is not None or name.alternatives
            or not said or not _nothing_done_after(desc)):
        return None
    if desc.kind is not None and said[:2] != words[-2:]:
        # A verb leads the sentence; not when it is the name's two words again ("refund_policy":
        # "Refund policy for a store: ..."), the noun phrase read below.
        return None
    if said[0] == "how":
        return words[-1] if len(said) > 1 and said[1] in _TERMS_ASKED else None
    head = []
    for word in said[:_PHRASE_HEAD_WORDS]:
        if word in _HEAD_ENDS:
            break
        head.append(word)
    return words[-1] if head and head[-1] == words[-1] else None


# Views that are kept about acts and that no call runs, adds or sends: "run_history",
# "restart_count", "deploy_log", "install_stats". Not what a call makes or sends (a report,
# a summary, a schedule, a profile), nor what it may set (a level, a limit, a mode).
_VIEWS_OF_ACTS = frozenset(
    """
    history status state stats statistics count counts rate rates ratio progress log logs
    totals metrics trends timeline usage activity performance health
    """.split())
# Heads of a noun phrase that measure or count what follows: "Number of container restarts".
_MEASURE_HEADS = _VIEWS_OF_ACTS | frozenset("number total amount".split())
# Where the noun phrase that heads a sentence ends: a preposition, a join or a separator.
_HEAD_ENDS = frozenset(
    "of for per by in on at across with from over to within between since during , ( ) : - "
    "and or".split())
# What follows a plural leading the sentence, where a verb in the third person would take an
# object: "Reboots of a host", "Restarts per pod". Not "to" or "into" ("Deploys to prod").
_AFTER_A_PLURAL_ACT = frozenset("of per for in on since over across during by".split())
_ACT_NOUN_WINDOW = 10


def _act_nouns(verb: str) -> frozenset[str]:
    """The forms in which a sentence names a verb's acts as nouns: "run", "runs", "deployment",
    "installations", "creation". Never a participle or gerund, which may say what is done."""
    stem = verb[:-1] if verb.endswith("e") else verb
    forms = {verb, verb + "s", verb + "es", verb + "ment", verb + "ments", verb + "ion",
             verb + "ions", stem + "ion", stem + "ions", verb + "ation", verb + "ations",
             stem + "ation", stem + "ations"}
    if verb.endswith("y"):
        forms.add(verb[:-1] + "ies")
    return frozenset(forms)


def _view_of_the_act(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The view ending a name whose verb runs or adds something, when the view is one kept
    about acts (`_VIEWS_OF_ACTS`) and the first sentence is a noun phrase headed by a view or
    a measure that names the verb's acts as a noun ("run_history": "Past runs of the
    pipeline", "deploy_history": "Deployment history of a service", "reboot_history":
    "Reboots of a host"), with nothing done anywhere in the description; else None.
    Never a verb that removes, changes or pays, nor one that acts on such a view wherever it
    stands (`ACTS_BEFORE_A_VIEW`: "set_status"), nor an HTTP method; never when the sentence
    names the act only as a participle or gerund ("Metrics pushed to the gateway"), nor with
    its verb after "to" ("Rooms available to book")."""
    verb = name.verb
    words = name.words
    if (words[-1] not in _VIEWS_OF_ACTS or verb is None or name.kind not in (v.WRITE, v.EXECUTE)
            or name.alternatives
            or name.agent or name.launched or name.lexicon or name.noun is not None
            or verb in ACTS_BEFORE_A_VIEW or verb in v.HTTP_WRITES or verb not in words):
        return None
    at = words.index(verb)
    if at == len(words) - 1 or any(
            w in v.VERBS for w in words[at + 1:-1]) or (
            words[-1] in v.VERBS and (name.last != words[-1] or name.last_kind != v.READ)):
        return None  # another verb in the name: "run_and_log"; "count" ending it only reads
    said = desc.words
    if not said or not said[0].isalpha():
        return None
    forms = _act_nouns(verb)
    restated = (desc.kind == name.kind and desc.lead == verb and at == 0 and len(words) > 2
                and said[:len(words)] == words and len(said) > len(words)
                and said[len(words)] in _AFTER_A_PLURAL_ACT)
    if desc.kind is not None and not restated:
        # "reboot_history": "Reboots of a host": the sentence was read as leading with the
        # verb, but it is the acts' plural, before a preposition a verb would not take.
        if not (desc.kind == name.kind and desc.lead == verb and said[0] != verb
                and said[0] in forms and len(said) > 1 and said[1] in _AFTER_A_PLURAL_ACT):
            return None
        head = [said[0]]
    else:
        # (Or the sentence opens with the name's words again before a preposition, a noun
        # phrase that the verb seemed to lead: "order_entry_log": "Order entry log for the
        # desk: every order entered today".)
        head = []
        for word in said[:_PHRASE_HEAD_WORDS]:
            if word in _HEAD_ENDS:
                break
            head.append(word)
        if not head or (head[-1] not in _MEASURE_HEADS
                        and not (head[-1] in forms and head[-1] != verb)):
            return None  # "Status sync for all devices": the head is the act itself
    named = False
    for i, word in enumerate(said[:_ACT_NOUN_WINDOW]):
        if word in forms and (i == 0 or said[i - 1] != "to") and not (
                i + 1 < len(said) and said[i + 1] in OBJECT_OPENERS):
            named = True
            break
    if not named or not _nothing_said_done(name, desc):
        return None
    return words[-1]


_PHRASE_HEAD_WORDS = 6


def _named_after_of(word: str, words: list[str]) -> bool:
    """Does the sentence name the word as what something is of, within a few words after "of"
    ("Status of the robot vacuum")?"""
    for i, token in enumerate(words[:_NAMED_WITHIN * 2]):
        if token == "of":
            return word in words[i + 1:i + 5]
    return False


def _no_verb(name: NameVerbs) -> str:
    """Why the name's word `name.noun`, a verb in the table, is none here."""
    if name.noun in ADJECTIVES_BEFORE_PLURALS:
        return "describes what is shown, as an adjective, and does nothing"
    return f"is more often a noun, and here it names the view {quoted_word(name.words[-1])}"


def _name_reading(name: NameVerbs, desc: DescriptionVerbs, evidence: list[str],
                  against: list[str]) -> tuple[str, int, bool]:
    """(kind, confidence in hundredths, a clear sign?) from the name; a disagreement inside
    the name (first verb vs last verb) goes to the riskier verb."""
    texts = KIND_TEXT
    kind = name.kind
    verb = name.verb
    assert kind is not None and verb is not None
    if name.agent:
        evidence.append(f"name ends with '{name.agent}', one who does '{verb}', which "
                        f"{texts[kind]}")
    elif name.launched:
        evidence.append(f"name verb '{name.launched}' starts a '{verb}', which {texts[kind]}")
    elif name.lexicon:
        evidence.append(f"name verb '{verb}' {texts[kind]}, as cloud APIs use it (public API "
                        "lexicon)")
    elif name.namespace in v.VERBS:
        evidence.append(f"name verb '{verb}' {texts[kind]} (leading '{name.namespace}' is a "
                        "namespace many of the server's tools share)")
    elif name.prefix:
        evidence.append(f"name verb '{verb}' (after prefix '{'_'.join(name.prefix)}') "
                        f"{texts[kind]}")
    else:
        evidence.append(f"name verb '{verb}' {texts[kind]}")
    if verb == "test" and kind == v.READ:
        evidence.append("what it tests is a connection or credentials, only looked at")
    confidence = 65 if name.ambiguous else 75
    clear = not name.ambiguous
    if name.last is not None and name.last_kind is not None:
        # Two verbs ("compute_vm_delete", "get_job_run"): one may be a namespace or a noun,
        # but which cannot be told for sure, so the riskier reading wins.
        last, last_kind = name.last, name.last_kind
        riskier = last_kind if KIND_ORDER[last_kind] > KIND_ORDER[kind] else kind
        loser, lost = (verb, kind) if riskier == last_kind else (last, last_kind)
        winner = last if riskier == last_kind else verb
        said = desc.kind is not None and KIND_RISK[desc.kind][0] == KIND_RISK[riskier][0]
        evidence.append(f"name verbs '{verb}' and '{last}' disagree: the riskier '{winner}' "
                        "wins" + (", and the description agrees" if said else ""))
        against.append(f"'{loser}' alone would say it {texts[lost]}")
        kind, clear = riskier, True
        confidence = 70 if said else 50
    for alt, other in name.alternatives:
        evidence.append(f"name also says '{alt}', which {texts[other]}")
        if KIND_ORDER[other] > KIND_ORDER[kind]:
            kind = other
    return kind, confidence, clear


def _reading_named(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """Why a name whose verb adds or changes something still reads, when its description
    starts directly with a verb that reads; None when the name's riskier reading must stand.
    Three shapes, each with nothing else in the name that acts (no second verb at its end,
    no alternatives):
    - the name's verb is a word more often a noun and stands after another word
      ("maps_place_details", "weather_archive": the place, the archive);
    - the name starts with the very verb the description leads with, and what the name calls
      its verb comes later, as part of the object ("check_import_status": "Checks the status
      of an import job");
    - the name says 'generate' and the description says it generates a rendering or text to
      hand back ("generate_bar_chart": "Generate a bar chart ..."), with no link, key, token
      or report named in the name;
    - the name says 'generate' and ends with a report, and the description says it
      generates a report handed back as data ("generate_activity_report": "Generate the
      client report ... Returns structured data"), kept, sent or filed nowhere;
    - the name runs a report, an audit or an analysis and the description's lead runs the
      same, reading ("run_report": "Run a saved report and return its rows"), with no verb
      that acts anywhere after it in the sentence nor a later sentence that acts."""
    if name.alternatives or name.agent or name.launched:
        return None
    own = name.words
    if (name.verb in _RUNS and desc.kind == v.READ and desc.lead in _RUNS and name.verb in own
            and own[-1] in _RUN_TO_READ and own.index(name.verb) < len(own) - 1
            and _only_reads_after(desc.words) and _nothing_done_after(desc)
            and _said_later(desc) is None):
        # "run_report": "Run a saved report and return its rows"; "run_audit": "Run audits
        # for a model" ("audit" ending the name is what is run, not a second verb). The
        # sentence was read as running what only reads, the name runs the same, and nothing
        # after it in the sentence acts ("... and write the result to a CSV file").
        return "what it runs is a report, an audit or an analysis, only read"
    if name.last is not None:
        return _last_named_as_object(name, desc)
    verb = name.verb
    words = name.words
    if (verb in v.OBJECT_READS and desc.lead == verb and v.VERBS[verb] == v.READ
            and lead_object_is_looked_up(desc)):
        # "resolve_user": "Resolve display name to email". The name's object made its verb
        # act; the description leads with the same verb and names a narrower object, one
        # that is only looked up. A sentence that names no object decides nothing.
        return f"what '{verb}' acts on, as the description names it, is only looked at"
    if (verb == "generate" and generates_rendering(desc)
            and not v.NOT_RETURNED.intersection(words)):
        return _RENDERED
    if verb == "generate" and words[-1] in _REPORTS and generates_a_report(desc):
        # "generate_activity_report": "Generate the client report for a period ... Returns
        # structured data": the report the name makes is the data handed back.
        return "what it generates is a report handed back as data, nothing kept or sent"
    if (verb in _DOES_TO_READ and desc.lead == verb and desc.kind == v.READ
            and not desc.indirect and not CONNECTORS.intersection(words)):
        # "soar_build_decision_block": "Build a decision block. ... Returns a base64 payload",
        # "evaluate_policy": "Evaluate an OPA policy ... and return the decision": the
        # description's own lead was read as building or deciding what is handed back.
        return (f"what it {_DOES_TO_READ[verb]} is handed back, nothing kept or run")
    if desc.lead not in _leading_words(desc.words) and not _cjk_lead(desc):
        return None  # a verb found elsewhere: not the sentence's own lead
    if name.ambiguous and name.prefix and verb not in v.HTTP_WRITES and name.kind != v.MONEY:
        # "api_post" is the HTTP method, never a noun; a verb that moves money
        # ("customer_refund") keeps its reading, the costliest to get wrong.
        return f"'{verb}' is more often a noun, and here it follows '{name.prefix[-1]}'"
    if (verb == "run" and desc.lead == "run" and verb in words
            and _CHECKS.issuperset(words[words.index(verb) + 1:]) and words[-1] in _CHECKS
            and _nothing_done_after(desc) and _UNKNOWN_NEXT.isdisjoint(desc.words)
            and later_act(desc.text) is None):
        # "run_health_check": "Run the configured health checks of a service" (the sentence
        # was read as a check only when nothing after it acts, and a clause after ";" may say
        # what follows: "; unhealthy hosts are drained").
        return "what it runs is a status or health check, only looked at"
    if (verb in _RUNS and desc.lead in _RUNS and words[-1] in _RUN_QUERIES and verb in words
            and words.index(verb) < len(words) - 1
            and _QUERY_KINDS.issuperset(words[words.index(verb) + 1:-1])
            and _restricts_its_queries(desc.text) and _only_reads_after(desc.words)):
        # "discourse_run_query": "Execute a Data Explorer query ... Queries run in read-only
        # transactions"; "pg_run_select": "Run a read-only SQL query. Only SELECT statements
        # are allowed": the server says the one query it runs cannot write (arguments that
        # take SQL are weighed against the same words).
        return _RESTRICTED_QUERY
    if (verb in _RUNS and desc.lead in _RUNS and words[-1] in _QUERY_WORDS
            and not name.prefix and len(words) <= 3
            and any(word in v.READ_ONLY_QUERY_LANGUAGES for word in desc.words[:12])
            and _only_reads_after(desc.words)):
        # "run_query": "Run a Beancount Query Language (BQL) query" (arguments that take SQL
        # or other code still make it Execute).
        return _READ_ONLY_QUERY
    if verb in v.CAPTURES and desc.kind == v.READ and desc.lead in v.CAPTURES:
        # "snapshot_ui": "Capture a UI snapshot"; "capture_screen": "Capture the screen".
        after = words[words.index(verb) + 1:] if verb in words else []
        if v.captures_a_screen(after) or not after:  # not "capture_payment"
            return _SCREEN_CAPTURE
    start = 1 if name.namespace else 0
    if (name.prefix and start < len(words) and words[start] == desc.lead
            and v.VERBS.get(words[start]) == v.READ and not CONNECTORS.intersection(name.prefix)):
        return f"the name starts with '{desc.lead}' too; '{verb}' names what it looks at"
    return _name_is_the_object(name, desc)


def _name_is_the_object(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """A name that adds or changes something by its words alone, restated whole as the object
    of the description's reading lead ("follow_requests": "Get pending follow requests"): the
    name names what is read. Only for names of two words or more whose verb adds something,
    or changes or runs something before a view of data ("merge_status": "Get the merge status
    of a pull request"); one that removes or pays keeps its reading. Never past a word that
    starts another clause ("Get the user and follow requests ...")."""
    words = name.words[1 if name.namespace else 0:]
    viewed = name.kind in (v.MODIFY, v.EXECUTE) and words[-1] in v.VIEW_NOUNS
    if (name.kind != v.WRITE and not viewed) or len(words) < 2 or name.last is not None:
        return None
    window = _lead_object_window(desc)
    if window is None:
        return None
    tokens, start, end = window
    size = len(words)
    for i in range(start + 1, end - size + 1):
        if tokens[i] in _VERB_BEFORE or tokens[i] in CONNECTORS:
            return None
        if tokens[i:i + size] == words:
            return (f"the description reads {quoted_word(' '.join(words))}: the name is what "
                    "it reads")
    return None


# Endings of nouns and adjectives, never of a command: "quantity", "searchable".
_NOUN_ENDINGS = ("ity", "ness", "ment", "able", "ible")


def _noun_shaped(word: str, words: list[str]) -> bool:
    """Is a word the tables lack shaped like a noun or an adjective, not a command: a plural
    ("servings"), a noun or adjective ending ("quantity", "searchable"), a letter ("Q&A"),
    and not before what opens an object, as a verb in the third person would be ("List and
    recycles the bins")?"""
    at = words.index(word) if word in words else -1
    if at < 0 or (at + 1 < len(words) and (words[at + 1] in OBJECT_OPENERS
                                            or words[at + 1] in ("it", "them"))):
        return False
    return len(word) <= 2 or plural_noun(word) or word.endswith(_NOUN_ENDINGS)


# A verb that, ending a name after other words, names a queue ("application_queue").
_QUEUES = frozenset(("queue", "queues"))
_DOES_TO_READ = {"build": "builds", "evaluate": "evaluates", "test": "tests",
                 "review": "reviews"}
_REPORTS = frozenset(("report", "reports"))
_RENDERED = "it draws a rendering of what it is handed and hands it back"
_SCREEN_CAPTURE = "what it captures is a picture of a screen, handed back"
_READ_ONLY_QUERY = "what it runs is a query in a language that can only read"
_RUNS = frozenset(("run", "execute", "exec"))
# Words after which a check's sentence goes on to do something the tables may not know:
# "Run the health checks and remediate failed ones".
_UNKNOWN_NEXT = frozenset("and then".split())
# A name's words after "run" that name only a status or health check.
_CHECKS = frozenset("health status readiness liveness connectivity check checks probe "
                    "probes".split())


def _only_reads_after(tokens: list[str]) -> bool:
    """Does no word after the sentence's first one say it does more than read ("Run a PromQL
    query and delete the series")?"""
    for token in tokens[1:]:
        verb = base_verb(token)
        if verb is not None and v.VERBS[verb] != v.READ:
            return False
    return True

_QUERY_WORDS = frozenset(("query", "queries"))
# What a name that runs a query ends with: the query, or the one statement it may be.
_RUN_QUERIES = _QUERY_WORDS | frozenset(("select", "selects"))
_RESTRICTED_QUERY = "what it runs is a query its description restricts to reads"
# Words between "run" and the query that say which query it is ("run_select_query").
_QUERY_KINDS = frozenset("sql select readonly read only safe".split())
# A description that restricts the query the tool runs to reads: "Run a read-only SQL query",
# "Only SELECT statements are allowed", "Queries run in read-only transactions", "the
# transaction is opened READ ONLY", "只读 SELECT 查询". Not "read-only queries are cached" (said
# of some queries among others) nor "read-only mode" (a server setting).
_QUERIES_ONLY_READ = re.compile(
    r"\b(?:run|runs|execute|executes)\s+(?:a|an|the|one)\s+read[- ]only\s+(?:sql\s+|select\s+)?"
    r"(?:query|statement)\b"
    r"|\bonly\s+select\s+(?:statements\s+|queries\s+)?(?:are|is)\s+(?:allowed|permitted|accepted)"
    r"|\b(?:in|inside|within)\s+(?:a\s+|an\s+)?read[- ]only\s+transactions?\b"
    r"|\btransaction\s+is\s+(?:opened\s+|started\s+)?(?:as\s+)?read[- ]only\b"
    r"|只读\s*(?:SELECT|select)?\s*查询", re.IGNORECASE)
_RESTRICTION_WINDOW = 600
# What lifts such a restriction in the same sentence: "Only SELECT statements are allowed
# unless allow_writes is set".
_LIFTED = re.compile(r"\b(?:unless|except|by default)\b", re.IGNORECASE)


def _restricts_its_queries(text: str) -> bool:
    """Does the description restrict the queries the tool runs to reads
    (`_QUERIES_ONLY_READ`), with nothing in that sentence that lifts it?"""
    found = _QUERIES_ONLY_READ.search(text, 0, _RESTRICTION_WINDOW)
    if found is None:
        return False
    end = text.find(".", found.end())
    return _LIFTED.search(text, found.start(), end if end >= 0 else len(text)) is None
# What a name can run that only reads, when its description says it runs the same.
_RUN_TO_READ = frozenset("report reports audit audits analysis".split())
# Words after which the name's last verb is still a verb: "to run", "and email", "will run".
_VERB_BEFORE = frozenset((
    "to", "and", "or", "then", "also", "nor", "but", "will", "can", "may", "must", "should",
    "could", "would", "you", "we", "i", "they", "it", "not", "never", "please"))
# Words after which it is still a verb with its own object: "email them", "run the tests".
_OBJECT_AFTER = frozenset((
    "it", "them", "him", "her", "us", "me", "the", "a", "an", "this", "that", "these",
    "those", "its", "their", "your", "my", "our", "all", "each", "every"))
# The object of a reading lead is looked for this far.
_OBJECT_WINDOW = 12
# Verbs that look at an action before it is done: what they read is the action itself ("preview
# an update for a subscription"), which servers often carry out to show it.
_TRIES_AN_ACTION = frozenset((
    "preview", "simulate", "estimate", "quote", "calculate", "validate", "verify", "test",
    "plan", "dry", "try"))


def _last_named_as_object(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """A name with a reading verb and a verb that adds something at its end ("get_email",
    "get_reminder_copy") reads when the description leads with a reading verb and names that
    last word as the thing read, inside the lead's object ("Get the full content of a specific
    email", "Show the user's reminder email copy"). Only for a last verb that adds or changes
    state: one that runs, changes existing data, removes or moves money keeps the riskier
    reading ("get_job_run" stays Execute, as the fail-safe tests require), and so does an HTTP
    method. Never when a connector or "to" comes first ("Get a user and email them"), and never
    for a preview or simulation of an action ("Preview an update ...")."""
    last = name.last
    if (name.kind != v.READ or last is None or name.last_kind != v.WRITE
            or last in v.HTTP_WRITES or CONNECTORS.intersection(name.words)
            or name.verb in _TRIES_AN_ACTION or desc.lead in _TRIES_AN_ACTION):
        return None
    window = _lead_object_window(desc)
    if window is None:
        return None
    tokens, start, end = window
    for i in range(start + 1, end):
        token = tokens[i]
        if token in _VERB_BEFORE:
            return None  # a second clause or step starts before the word is named
        if token == last or token == last + "s":
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            if after in _OBJECT_AFTER:
                return None
            return (f"'{last}' is what it reads: the description reads "
                    f"{quoted_word(' '.join(tokens[max(start + 1, i - 3):i + 1]))}")
    return None


def _cjk_lead(desc: DescriptionVerbs) -> bool:
    """Does a Chinese, Japanese or Korean sentence start with its lead verb ("查看工单详情")?"""
    lead = desc.lead
    return (lead is not None and not lead.isascii()
            and 0 <= desc.sentence.find(lead, 0, _CJK_LEAD_WITHIN + len(lead)) <= _CJK_LEAD_WITHIN)


_CJK_LEAD_WITHIN = 4


def _lead_object_window(desc: DescriptionVerbs) -> tuple[list[str], int, int] | None:
    """(the sentence's words, where its lead verb stands among the first three, where the
    search for its object ends), or None when the lead is not among them."""
    tokens = desc.words
    lead = desc.lead
    start = next((i for i, token in enumerate(tokens[:3]) if base_verb(token) == lead), None)
    if start is None:
        return None
    return tokens, start, min(len(tokens), start + 1 + _OBJECT_WINDOW)


def _leading_words(tokens: list[str]) -> set[str | None]:
    return {base_verb(token) for token in tokens[:3]}


def _how_said(desc: DescriptionVerbs) -> str:
    if desc.lexicon:
        return "description leads with the cloud API verb"  # public API lexicon
    return "description says" if desc.indirect else "description starts with"
