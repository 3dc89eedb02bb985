"""Money said after the act: a tool that acts and whose description says money changes hands
when it is called ("Reserve a berth. The nightly fee is charged to the card"), in English and
in the other languages the tables know. Asked by the money stage only of tools that do not
read; `charged_on_the_way` returns the server's own words."""

from __future__ import annotations

import re
import string
from typing import TypeVar

# A tool that acts and whose description says money changes hands when it is called. Each
# way of saying so is a pattern on the lower-cased opening, asked only when the words it needs
# are there (one word of each set given): most descriptions hold none, and scanning every
# pattern, or looking for every word with `in`, cost more than the rest of the money stage.
# What stands between words: punctuation, digits, typographic marks and whitespace (as
# `str.split` knows it). The opening is split into the runs of anything else.
_BETWEEN_WORDS_CHARS = string.punctuation + string.digits + "€£¥’‘“”«»—–…•·\u00a0"
# For an ASCII opening (most descriptions), a bytes translation that makes each of those a
# space and lower-cases the rest, then a split: a bytes translation is a plain table lookup,
# several times cheaper than a regular expression. The separators \x1c-\x1f are whitespace to
# `str.split` but not to `bytes.split`, so they are made spaces too.
_ASCII_BETWEEN_WORDS = bytes(
    b if b >= 128 else 32 if chr(b) in string.punctuation + string.digits + "\x1c\x1d\x1e\x1f"
    else ord(chr(b).lower())
    for b in range(256))
# Any other opening is lower-cased and encoded (UTF-8, lone surrogates kept), translated by
# the same table, the marks beyond ASCII made spaces too, and decoded to be split: `str.split`
# knows the whitespace beyond ASCII. (A translation of the text itself looks every character up
# in a mapping, several times slower.) Every mark is encoded starting with a byte that begins
# a character, so it is only ever found whole.
_MARKS_BEYOND_ASCII = re.compile(b"|".join(re.escape(c.encode()) for c in _BETWEEN_WORDS_CHARS
                                           if ord(c) >= 128))


def _words(*groups: str) -> tuple[frozenset[str], ...]:
    """Sets of words, each of which a pattern needs one of."""
    return tuple(frozenset(group.split()) for group in groups)


_MONEY_SAID: tuple[tuple[tuple[frozenset[str], ...], re.Pattern[str]], ...] = tuple(
    (keys, re.compile(pattern)) for keys, pattern in (
        # A passive money participle with where, when or how much: "The nightly fee is
        # charged to the card supplied by the skipper", "Billed to the customer at $95 per
        # 30 minutes", "The deposit is refunded if cancelled more than 48h before", "the
        # difference is prorated on the next bill". "Customers are billed monthly" describes
        # the customer.
        (_words("charged billed debited refunded prorated invoiced paid"),
         r"(?:\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?"
         r"(charged|billed|debited|refunded|prorated|invoiced|paid)"
         r"|(?:^|[.;:]\s+|\b)(charged|billed|debited|invoiced)"
         r"(?=\s+(?:[a-z]+ly\s+)?(?:to|from|against)\b))"
         # (A second participle may follow: "Added seats are prorated and charged right away".)
         r"(?:\s+and\s+(?:charged|billed|debited|refunded|invoiced|paid))?"
         # (An adverb may stand first: "billed monthly to the account starting today".)
         r"(?=\s+(?:[a-z]+ly\s+)?(?:to|from|on|against|at|by|via|if|when|in|within"
         r"|immediately|automatically|upfront|right|now|today|straight)\b|\s*[€$£¥0-9])"),
        # Money credited back to a card, an account or a balance: "Any remaining balance is
        # credited back to the funding balance" ("The author is credited in the film" is not).
        (_words("credited", "balance card account wallet"),
         r"\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?(credited)\s+(?:back\s+)?"
         r"(?:to|onto)\s+(?:the\s+|a\s+|an\s+|their\s+|its\s+|your\s+)?(?:[\w'’-]+\s+){0,2}"
         r"(?:balance|card|account|wallet)\b"),
        # A price paid when the act is done: "Full price paid at booking".
        (_words("paid", "price fee amount deposit total"),
         r"\b(?:price|fee|amount|deposit|total)\s+(paid)\s+(?:at|on|upfront|in\s+advance)\b"),
        # Funds held or taken on a card or an account: "A pre-authorisation for the deposit is
        # placed on the customer's card", "the deposit is taken from the card".
        (_words("placed taken held captured collected blocked pulled drawn",
                "card account wallet"),
         r"\b(?:is|are)\s+(?:[a-z]+ly\s+)?(placed|taken|held|captured|collected|blocked"
         r"|pulled|drawn)\s+(?:on|from)\s+(?:the\s+|a\s+|their\s+|its\s+|your\s+)?"
         r"(?:[\w'’-]+\s+){0,3}(?:card|account|wallet)\b"),
        # Said of the money itself, however it goes on: "A reservation fee of EUR 2 is
        # charged.", "Payment is taken at booking", "The card on the tab is charged and the
        # receipt printed", "principal plus interest is collected", "The invoice ... is then
        # issued", "Their monthly direct debit is updated to the new price".
        (_words("fee fees price payment amount deposit card total cost fare principal "
                "interest month subscription invoice refund debit",
                "charged billed debited deducted collected prepaid updated written captured "
                "taken paid added authorized authorised preauthorized preauthorised refunded "
                "issued raised"),
         r"\b(?:fee|fees|price|payment|amount|deposit|card|total|cost|fare|principal|interest"
         r"|month|subscription|invoice|refund|debit)\b(?:\s+[\w'’$€£.%-]+){0,4}?\s+"
         r"(?:is|are|gets|will\s+be)\s+(?:(?:[a-z]+ly|then|also|now|first)\s+)?"
         r"(charged|billed|debited|deducted|collected|prepaid|updated|written\s+off"
         r"|captured|taken|paid|added|pre-?authori[sz]ed|authori[sz]ed|refunded|issued|raised)\b"),
        # ... or goes on an account: "The lesson fee goes on the member's account".
        (_words("goes", "fee fees charge charges cost costs price"),
         r"\b(?:fee|fees|charge|charges|cost|costs|price)\b(?:\s+[\w'’-]+){0,3}?\s+"
         r"(goes\s+(?:on|onto|to))\b"),
        # A refund needs no more said: "Everyone booked is refunded and notified".
        (_words("refunded reimbursed"),
         r"\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?(refunded|reimbursed)\b"),
        # Billing set up on a card: "Sets up recurring monthly billing on the given card".
        (_words("billing charge charges", "card account"),
         r"\b(billing|charges?)\s+(?:on|to)\s+(?:the\s+|a\s+|their\s+)?(?:[\w'’-]+\s+){0,2}"
         r"(?:card|account)\b"),
        # Paid on a card: "Reorder parts from the wholesaler; paid on the company card".
        (_words("paid", "card account wallet"),
         r"\b(paid)\s+(?:on|with|by|from)\s+(?:the\s+|a\s+|their\s+)?(?:[\w'’-]+\s+){0,2}"
         r"(?:card|account|wallet)\b"),
        # An act of money in the third person, before what it acts on: "Produces the final
        # bill and charges the remaining balance to the card on file".
        (_words("charges bills refunds debits"),
         r"\b(charges|bills|refunds|debits)\s+(?:the|a|an|their|its|his|her|each|every|any"
         r"|all|them)\b"),
        # ... the same said otherwise: "... and invoices them for the agreed fee", "Tax due is
        # remitted by debiting the account" ("invoices" alone is most often the noun).
        (_words("debiting charging", "by"),
         r"\bby\s+(debiting|charging)\s+(?:the|a|an|their|its|his|her|each|every|any|all)\b"),
        (_words("invoices", "them"), r"\b(invoices)\s+them\b"),
        # Money given back: "returns the ticket price to the attendee's card".
        (_words("price amount fee fees deposit payment funds money", "returns return"),
         r"\b(returns?\s+(?:the\s+|a\s+|their\s+|its\s+)?(?:[\w-]+\s+){0,2}"
         r"(?:price|amount|fee|fees|deposit|payment|funds|money)\s+to)\b"),
        # An invoice or a subscription made on the way: "Triggers the final invoice to the
        # customer", "Sets up a monthly subscription for the course fee", "Take a 25%
        # deposit on an accepted quote".
        (_words("invoice bill subscription debit standing plan deposit payment fee"),
         r"\b((?:triggers|issues|raises|generates|raise|issue)\s+(?:the\s+|a\s+|an\s+)?"
         r"(?:[\w-]+\s+){0,2}"
         r"(?:invoice|bill)"
         r"|(?:sets\s+up|starts)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}"
         r"(?:subscription|direct\s+debit|standing\s+order|payment\s+plan)"
         r"|(?:take|takes|collect|collects)\s+(?:a|an|the)\s+(?:[\w%$€£.-]+\s+){0,2}"
         r"(?:deposit|payment|fee))\b"),
        # Put on what someone will pay: "No-show fee of €20 added to the client's next bill".
        (_words("added", "bill invoice tab statement"),
         r"\b(added)\s+to\s+(?:the\s+|a\s+|their\s+|its\s+)?(?:[\w'-]+\s+){0,2}"
         r"(?:bill|invoice|tab|statement)\b"),
        # ... or put there by the call itself: "Add an extra service (rug change, clipping) to
        # the owner's monthly livery bill", "Add a drink to the guest's bar tab", "Posts the
        # minibar items to the room folio". The bill is someone's or one of a period ("a
        # co-sponsor to the bill" is a law's, "a widget to the settings tab" a window's); a
        # note, a file or a tag put on a bill pays nothing.
        (_words("bill folio tab", "add adds put puts post posts"),
         r"(?<!\bwho\s)(?<!\bthat\s)\b((?:add|adds|put|puts|post|posts)\b"
         r"(?!\s+(?:(?:a|an|the|some|any|new)\s+)?(?:[\w-]+\s+)?(?:notes?|comments?|memos?"
         r"|attachments?|files?|documents?|tags?|labels?|reminders?|links?|messages?)\b)"
         r"[^.;:!?]{0,100}?\s(?:to|onto|on)\s+(?:the\s+|a\s+|an\s+)?"
         r"(?:(?:their|your|his|her|[\w-]+['’]s)\s+(?:[\w-]+\s+){0,2}?(?:bill|tab|folio)"
         r"|(?:[\w-]+\s+){0,2}?(?:folio|(?:monthly|weekly|yearly|annual|next|current|final"
         r"|open|running|bar|room|hotel|phone|utility)\s+(?:bill|tab))))\b(?!\s+of\b)"),
        # A quantity the call adds, at a rate that prices it: "Extra nights are added to the
        # booking at the current nightly rate" ("Rows are added at a rate of 100 a second" is
        # a pace).
        (_words("added extended renewed", "rate price tariff fare", "at"),
         r"\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?((?:added|extended|renewed)\b"
         r"(?:\s+[\w'’-]+){0,5}?\s+at\s+(?:the\s+|a\s+|an\s+|their\s+|its\s+|your\s+)?"
         r"(?:[\w'’-]+\s+){0,2}?(?:rate|price|tariff|fare))\b(?!\s+of\b)"),
        # Paid with what the payer keeps on file: "Renew a license for another year using
        # the card on file", "Book the class with the saved card". ("Update the card on file"
        # changes the card, and pays nothing.)
        (_words("file saved stored", "card"),
         r"\b(?:using|with|via|from|through|to)\s+(?:the\s+|their\s+|your\s+|its\s+|his\s+"
         r"|her\s+)?(?:[\w'’-]+\s+){0,2}?(card\s+on\s+file|saved\s+card|stored\s+card)\b"),
        # Money given up to someone: "Accept a dispute, forfeiting the disputed amount to the
        # cardholder", "The deposit is forfeited".
        (_words("forfeit forfeits forfeiting forfeited",
                "amount amounts funds deposit deposits payment fee fees balance stake"),
         r"\b((?:forfeit|forfeits|forfeiting)\s+(?:the\s+|their\s+|its\s+|any\s+)?"
         r"(?:[\w-]+\s+){0,2}?(?:amount|amounts|funds|deposit|deposits|payment|fee|fees|balance"
         r"|stake)"
         r"|(?:amount|funds|deposit|payment|fee|balance|stake)\s+(?:is|are|will\s+be)\s+"
         r"forfeited)\b"),
        # A change billed in part: "Upgrade or downgrade a subscription plan, with proration",
        # "Proration is applied by default".
        (_words("proration prorating"),
         r"\b(with\s+(?:immediate\s+)?(?:proration|prorating)"
         r"|proration\s+(?:is|will\s+be)\s+(?:[a-z]+ly\s+)?(?:applied|charged|billed|invoiced))\b"),
        # Billing that the call stops, starts or resumes, and bills its drafts become: "Pause a
        # paid membership; billing resumes when it is unpaused", "billing stops at the end of
        # the period", "Closes the period: draft invoices become open" ("Charging stops at 80%"
        # is a battery's, "the billing service restarts" a program's, and "before billing
        # starts" a time).
        (_words("billing invoice invoices",
                "resumes restarts starts stops ends pauses paused stopped resumed become becomes"),
         r"(?<!\bbefore\s)(?<!\buntil\s)(?<!\btill\s)(?<!\bafter\s)(?<!\bonce\s)"
         r"(?<!\bwhen\s)(?<!\bif\s)"
         r"\b(billing\s+(?:resumes|restarts|starts|stops|ends|pauses"
         r"|is\s+(?:paused|stopped|resumed))"
         r"|(?:invoice\s+becomes|invoices\s+become)\s+(?:open|due|payable|final))\b"),
        # A fee for each act the call does: "Starts a background check with the screening
        # provider (fee per check)", "a fee of $2 per lookup" ("no fee per check" is denied).
        # A percentage is a rate ("per cent"), not an act.
        (_words("fee fees", "per"),
         r"\b(fees?\s+(?:of\s+[\w$€£.,]+\s+)?per\s+(?!cent\b)[a-z]+)\b"),
        # The same said in French, Spanish, Portuguese, Italian, German, Swedish and
        # Indonesian: "Les frais sont débités immédiatement", "se cobra al confirmar",
        # "addebitato sul conto", "Facture au client ...".
        (_words(" ".join(f"{d}bit{e}{f}{n}" for d in ("de", "dé") for e in "eé"
                         for f in ("", "e") for n in ("", "s"))
                + " debitado debitada debitados debitadas facturé facturée facturés facturées"
                " " + " ".join(f"pr{e1}lev{e2}{f}{n}" for e1 in "eé" for e2 in "eé"
                               for f in ("", "e") for n in ("", "s"))
                + " cobrado cobrada cobrados cobradas cobra factura reembolsa addebitato"
                " addebitata addebitati addebitate addebito abgebucht facture eingezogen"
                " faktureras debiteras ditagih"),
         r"\b(d[ée]bit[ée]e?s?|debitad[oa]s?|factur(?:é|ée|és|ées)|pr[ée]lev[ée]e?s?"
         r"|cobrad[oa]s?|se\s+cobra|se\s+factura|se\s+reembolsa|addebitat[oaie]|addebito\s+sul"
         r"|abgebucht(?!\s+(?:wurden|wurde|worden))|facture\s+(?:à|au|aux)|eingezogen"
         r"|faktureras|debiteras|ditagih)\b"),
    ))
# The same said in the languages the tables above lack, or in the ways they say it: money
# charged, refunded or held (Finnish "veloitetaan", Dutch "afgeschreven", Danish "trækkes på
# firmakortet", Polish "pobierana z karty", Vietnamese "tạm giữ trên thẻ", Filipino
# "sisingilin"), and an invoice made (German "stellt ... die Rechnung"). Each needs the
# language's own money word: none of these words is common in English text.
_MONEY_SAID_ABROAD: tuple[tuple[tuple[frozenset[str], ...], re.Pattern[str]], ...] = tuple(
    (keys, re.compile(pattern)) for keys, pattern in (
        # Finnish and Hungarian verbs that are money whatever is around them: charge, credit
        # back, refund, purchase.
        (_words("veloitetaan veloittaa veloitus hyvitetään hyvittää visszatérítés "
                "visszatérítése vásárlás vásárlása"),
         r"\b(veloitetaan|veloittaa|veloitus|hyvitetään|hyvittää|visszatérítése?"
         r"|vásárlása?)\b"),
        # Dutch and German participles of money taken or given back: "de jaarhuur wordt via
        # automatische incasso afgeschreven", "Die Gebühr wird dem Händler belastet"; and a
        # delivery "auf Rechnung" (billed on account).
        (_words("afgeschreven geïncasseerd terugbetaald teruggestort belastet erstattet "
                "bezahlt lastschrift incasso rechnung"),
         r"\b(afgeschreven|geïncasseerd|terugbetaald|teruggestort|in\s+rekening\s+gebracht"
         r"|per\s+lastschrift|automatische\s+incasso|auf\s+rechnung"
         r"|(?:wird|werden)\s+(?:[\w-]+\s+){0,3}?(?:belastet|erstattet|bezahlt))\b"),
        # German "Rechnung stellen" is to invoice: "Stellt dem Kunden die Rechnung".
        (_words("stellt stelle stellen", "rechnung rechnungen"),
         r"\b((?:stellt|stelle|stellen)\s+(?:[\w-]+\s+){0,4}?rechnung(?:en)?)\b"),
        # Danish, Norwegian and Swedish: an amount or fee drawn or put on someone: "beløbet
        # trækkes på firmakortet", "Avgiften 450 kr läggs på nästa faktura", "gebyr legges på
        # kunden", "Betalingen gennemføres via MobilePay".
        (_words("trækkes trekkes dras debiteres debiteras legges lægges läggs faktureres "
                "belastes gennemføres gjennomføres genomförs"),
         r"\b\w*(?:beløb\w*|beløp\w*|belopp\w*|gebyr\w*|avgift\w*|betaling\w*"
         r"|summen)\b(?:\s+[\w.’'-]+){0,4}?\s+(trækkes|trekkes|dras|debiteres|debiteras"
         r"|(?:legges|lægges|läggs)\s+på|faktureres|belastes|gennemføres|gjennomføres"
         r"|genomförs)\b"),
        # Polish: a fee, deposit or advance taken or given back: "zaliczka 50 zł pobierana jest
        # z karty", "80% opłaty wraca na konto kursanta".
        (_words("pobierana pobierany pobierane pobrana pobrane zwracana zwracane zwrócona "
                "wraca przelewana przelewane przelana przelane",
                "opłata opłaty opłatę kaucja kaucji zaliczka zaliczki kwota kwoty"),
         r"\b(?:opłat[aey]|kaucj[ai]|zaliczk[ai]|kwot[ay])\b(?:\s+[\w.%-]+){0,4}?\s+"
         r"(?:jest\s+|są\s+|zostanie\s+)?(pobiera(?:na|ny|ne)|pobran[aey]|zwracan[ae]"
         r"|przelewan[ae]|przelan[ae]"
         r"|zwrócona|wraca)\b"),
        # Italian: a deposit, an amount or a fee kept, cashed, given back or paid by the
        # call: "la caparra viene trattenuta", "l'importo viene rimborsato" (not "Il
        # pagamento non viene rimborsato").
        (_words("trattenuta trattenuto trattenute trattenuti incassata incassato rimborsata "
                "rimborsato restituita restituito versata versato",
                "caparra cauzione deposito importo quota acconto pagamento somma penale"),
         r"\b(?:caparra|cauzione|deposito|importo|quota|acconto|pagamento|somma|penale)\b"
         r"(?:\s+(?!non\b|mai\b)[\w'’-]+){0,4}?\s+(?:viene|vengono|è|sono|verrà|verranno)\s+"
         r"(trattenut[oaie]|incassat[oaie]|rimborsat[oaie]|restituit[oaie]|versat[oaie])\b"),
        # German: a fee or an amount charged to someone, "die Gebühr wird dem Mitglied
        # berechnet" (with no one to charge, "berechnet" is only worked out: "Der Preis wird
        # anhand der Fläche berechnet").
        (_words("berechnet gestellt", "gebühr gebühren betrag beitrag beiträge kosten entgelt "
                "mahngebühr säumnisgebühr"),
         r"\b(?:\w*gebühr(?:en)?|betrag|beitrag|beiträge|kosten|entgelt)\b(?:\s+[\w.-]+){0,2}?"
         r"\s+(?:wird|werden)\s+(?:dem|den|der)\s+[\w-]+\s+(berechnet|in\s+rechnung\s+gestellt)\b"),
        # Orders sent to a market: a trade placed, "las órdenes se envían al mercado", "the
        # orders are routed to the exchange".
        (_words("envían envian transmiten sent submitted routed",
                "órdenes ordenes orders", "mercado bolsa exchange market venue"),
         r"\b(?:órdenes|ordenes|orders)\s+(se\s+env[ií]an|se\s+transmiten|are\s+sent"
         r"|are\s+submitted|are\s+routed)\s+(?:al|a\s+la|to\s+the|to)\s+"
         r"(?:mercado|bolsa|exchange|market|venue)\b"),
        # Spanish and Portuguese: a charge taken, a deposit given back, a premium added to
        # the monthly fee, money leaving the balance: "cobra o valor total no cartão", "gera
        # a cobrança recorrente" (made, not cancelled), "el depósito se devuelve", "é somado
        # à mensalidade".
        (_words("cobra cobram cobrança cobranca cobranza devuelve devolvido devuelto "
                "reembolsado somado somada sumado sumada saldo boleto"),
         r"\b((?:cobra|cobram)\s+(?:o|a|os|as|el|la|los|las)\s+(?:[\w-]+\s+){0,2}?"
         r"(?:valor|importe|monto|total|taxa|tarifa|mensalidade|cuota|multa)"
         r"|(?:gera|gerar|cria|criar|genera|generar|crea|crear|inicia|ativa|activa)\s+(?:a|uma"
         r"|la|una)\s+cobran(?:ça|ca|za)"
         r"|(?:se\s+devuelve|é\s+devolvido|es\s+devuelto|é\s+reembolsado|es\s+reembolsado)"
         r"|(?:somad|sumad)[oa]s?\s+(?:à|a|al|na|no)\s+(?:[\w-]+\s+){0,2}?"
         r"(?:mensalidade|mensualidad|fatura|factura|cuota|conta|cuenta)"
         r"|(?:sai|sale)\s+(?:do|del)\s+saldo"
         r"|(?:emite|emitir|gera|gerar|genera|generar)\s+(?:o\s+|el\s+|um\s+|un\s+)?boletos?)"),
        # ... or the debit itself happening: "O débito ocorre automaticamente na data".
        (_words("débito debito cobrança cobranca pagamento cobro cargo",
                "ocorre realizado efetuado realiza efectúa efectua"),
         r"\b(?:débito|debito|cobrança|cobranca|pagamento|cobro|cargo)\s+(ocorre|é\s+realizado"
         r"|é\s+efetuado|se\s+realiza|se\s+efect[uú]a)\b"),
        # A payment rail named as how the act is done: "Executa o repasse semanal às diaristas
        # via Pix", "betaling via MobilePay". Each is nothing but a way to pay.
        (_words("pix mobilepay duitnow fpx gcash przelewy24 blik swish vipps bizum twint "
                "paynow promptpay"),
         r"\b(?:via|por|pelo|pela|through|with|using|by|per|przez|melalui|qua|sa|com|mit|met"
         r"|med)\s+(pix|mobilepay|duitnow|fpx|gcash|przelewy24|blik|swish|vipps|bizum|twint"
         r"|paynow|promptpay)\b"),
        # Romanian, Malay and Indonesian: "Plata se face online, cu cardul", "Bayaran dibuat
        # melalui FPX", "Terima bayaran servis", "tagihan baru dibuat".
        (_words("plata plată bayaran pembayaran tagihan"),
         r"\b((?:plata|plată)\s+se\s+(?:face|încasează|percepe)"
         r"|(?:bayaran|pembayaran|tagihan)\s+(?:[\w-]+\s+){0,2}?(?:dibuat|dikenakan|dipotong"
         r"|didebit|diterbitkan)"
         r"|(?:terima|menerima)\s+(?:bayaran|pembayaran))\b"),
        # Vietnamese and Filipino: a fee charged or held, money refunded or moved: "bị tính
        # phí hủy", "được tạm giữ trên thẻ", "sisingilin sa GCash", "dagdag na bayad".
        (_words("phí giữ tiền nhập sisingilin siningil singilin sinisingil bayad idinadagdag"),
         r"((?:tính|thu)\s+phí|tạm\s+giữ|(?:trừ|hoàn|chuyển)\s+tiền|chuyển\s+thu\s+nhập"
         r"|\bsisingilin\b|\bsiningil\b|\bsingilin\b|\bsinisingil\b"
         r"|\bdagdag\s+na\s+bayad\b|\bidinadagdag\s+(?:ito\s+)?sa\s+bill\b)"),
    ))
# ... and in Turkish, Italian, Portuguese and Spanish, Dutch, Hungarian and Vietnamese, ways
# the tables above lack: "bedeli kayıtlı karttan tahsil edilir", "depozito iade edilir",
# "Tutar check-out'ta faturalandırılır", "il pagamento viene rimborsato automaticamente",
# "Se il pagamento era solo autorizzato, viene catturato", "o valor ... é creditado no saldo",
# "lo transfiere a su cuenta bancaria", "Transfere saldo disponível", "Zet geld ... over",
# "A terhelés azonnal megtörténik", "Phí vận chuyển được trừ vào ví", "Rút số dư ... về tài
# khoản". Each needs the language's own words; a negation of its own ("tahsil edilmez", "non
# viene rimborsato") does not match.
_MONEY_SAID_MORE_ABROAD: tuple[tuple[tuple[frozenset[str], ...], re.Pattern[str]], ...] = tuple(
    (keys, re.compile(pattern)) for keys, pattern in (
        (_words("tahsil iade faturalandırılır faturalandırılacak ücretlendirilir "
                "ücretlendirilecek", "edilir edilecek faturalandırılır faturalandırılacak "
                "ücretlendirilir ücretlendirilecek"),
         r"\b(tahsil\s+edil(?:ir|ecek)|iade\s+edil(?:ir|ecek)|faturaland[ıi]r[ıi]l(?:ır|acak)"
         r"|ücretlendiril(?:ir|ecek))(?!\w)"),
        (_words("rimborsato rimborsata rimborsati rimborsate accreditato accreditata accreditati "
                "accreditate fatturato fatturata fatturati fatturate incassato incassata "
                "incassati incassate", "viene vengono verrà verranno sarà saranno"),
         r"(?<!\bnon\s)\b(?:viene|vengono|verrà|verranno|sarà|saranno)\s+(?:[a-z]+mente\s+)?"
         r"(rimborsat[oaie]|accreditat[oaie]|fatturat[oaie]|incassat[oaie])\b"),
        (_words("catturato catturata", "pagamento importo addebito"),
         r"\b(?:pagamento|importo|addebito)\b[^.;]{0,50}?(?<!\bnon\s)\b(?:viene|verrà|sarà)\s+"
         r"(catturat[oa])\b"),
        (_words("creditado creditada creditados creditadas acreditado acreditada acreditados "
                "acreditadas", "é são será serão es son serán"),
         r"\b(?:é|são|será|serão|es|son|serán)\s+(?:[a-z]+mente\s+)?"
         r"((?:a)?creditad[oa]s?)\s+(?:no|na|em|en|al|a)\b"),
        (_words("transfere transfiere transfère transferir transfira transfiera",
                "saldo valor dinero dinheiro fundos fondos importe monto montante solde montant "
                "argent fonds bancaria bancária bancaire"),
         r"\b((?:transfere|transfiere|transfère|transferir|transfira|transfiera)\s+(?:(?:o|a|el"
         r"|la|le|l|lo|os|as|los|las|les|su|sua|seu|son|sa|ses|sus)\s+)?(?:[\w-]+\s+){0,2}?"
         r"(?:saldo|valor|dinero|dinheiro|fundos|fondos|importe|monto|montante|solde|montant"
         r"|argent|fonds)"
         r"|(?:transfere|transfiere|transfère)\s+(?:a|à|para|vers|sur)\s+(?:(?:su|sua|seu|la|a"
         r"|le|son|sa)\s+)?(?:cuenta|conta|compte)\s+banc\w*)\b"),
        # An invoice made or issued, as "issues an invoice" is in English: "Génère les
        # factures du mois", "Emite la factura", "Emette la fattura", "Gera a fatura",
        # "Rechnungen ... werden ... erstellt", "Faktura VAT ... wystawiana".
        (_words("génère genere générer generer émet emet émettre emettre genera generar emite "
                "emitir emette emettere gera gerar werden wird wystawiana wystawiona "
                "wystawiane wystawia wystaw",
                "facture factures factura facturas fattura fatture fatura faturas rechnung "
                "rechnungen faktura faktury fakturę fakture"),
         r"\b((?:génère|genere|générer|generer|émet|emet|émettre|emettre|genera|generar|emite"
         r"|emitir|emette|emettere|gera|gerar)\s+(?:les|la|une|des|las|los|una|un|le|gli|a|as"
         r"|uma|o|os)\s+(?:[\w-]+\s+)?(?:factures?|facturas?|fatture|fattura|faturas?)"
         r")\b"
         r"|\brechnung(?:en)?\b[^.;]{0,80}?\b(?:werden|wird)\b[^.;]{0,60}?"
         r"\b(erstellt|ausgestellt)\b"
         r"|\bfaktur[aęey]\b[^.;]{0,60}?\b(wystawian[aey]|wystawion[aey])\b"),
        (_words("zet zetten", "geld bedrag saldo"),
         r"\b((?:zet|zetten)\s+(?:(?:het|de|een)\s+)?(?:[\w-]+\s+){0,2}?(?:geld|bedrag|saldo))\b"),
        (_words("terhelés megterheli terheli egyenleg egyenlegét"),
         r"(terhelés\s+(?:\w+\s+)?megtörténik|\bmeg?terheli\b"
         r"|\begyenleg\w*\s+feltölt\w*)"),
        (_words("trừ hoàn rút", "ví khoản dư tiền"),
         r"((?:trừ|hoàn\s+lại)\s+vào\s+(?:ví|tài\s+khoản|số\s+dư)"
         r"|rút\s+(?:tiền|số\s+dư))"),
    ))
# A later clause that says the call moves money, however it goes on after the money word: a
# reduced clause ("Returns the price of a stay and books it, charged on arrival"), a charge
# made again ("Overdue ones are charged again on the card on file"), an attempt against what
# the payer keeps on file ("overdue invoices are retried against the card on file"), a money
# verb done to what was just named ("Passing pay: true pays it from the default source"),
# money credited to it ("An amount passed is credited to it"), charges posted ("pending
# minibar charges are posted to it first") and a bill sent for collection ("draft invoices
# become open and are sent for collection"). Not what is asked or supposed ("Shows what
# would be charged", "Returns whether the card on file would be charged"), nor done by whom
# a relative names ("the customer who pays it"): see `_ASKED`.
_MONEY_SAID_LATER_CLAUSE: tuple[tuple[tuple[frozenset[str], ...], re.Pattern[str]], ...] = tuple(
    (keys, re.compile(pattern)) for keys, pattern in (
        (_words("charged billed debited invoiced", "on at upon"),
         r",\s+(?:then\s+|and\s+)?(charged|billed|debited|invoiced)\s+(?:on|at|upon)\b"),
        (_words("again", "charged billed debited credited paid refunded collected"),
         r"\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?"
         r"((?:charged|billed|debited|credited|paid|refunded|collected)\s+again)\b"),
        (_words("retried reattempted attempted charged billed debited collected captured",
                "file saved stored default"),
         r"\b((?:retried|reattempted|re-attempted|attempted|charged|billed|debited|collected"
         r"|captured)\s+(?:again\s+)?(?:against|on|to|from)\s+(?:the\s+|their\s+|your\s+"
         r"|its\s+|each\s+)?(?:[\w'’-]+\s+){0,2}?(?:card\s+on\s+file|saved\s+card"
         r"|stored\s+card|default\s+(?:payment\s+)?(?:source|method|card)))\b"),
        (_words("pays charges bills refunds debits", "it them"),
         r"(?<!\bwho\s)(?<!\bwhoever\s)(?<!\bthat\s)"
         r"\b(pays\s+(?:it|them)|(?:charges|bills|refunds|debits)\s+it)\b"),
        (_words("credited", "it them"),
         r"\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?(credited)\s+(?:back\s+)?"
         r"(?:to|onto)\s+(?:it|them)\b"),
        (_words("posted", "charge charges fee fees payment payments amount amounts"),
         r"\b(?:charge|charges|fee|fees|payment|payments|amount|amounts)\b"
         r"(?:\s+[\w'’-]+){0,3}?\s+(?:is|are|gets|get|will\s+be)\s+"
         r"(?:(?:[a-z]+ly|then|first|also|now)\s+)?(posted)\s+(?:to|on|onto|against)\b"),
        (_words("collection collections", "sent submitted passed handed referred"),
         r"\b(?:is|are|gets|get|will\s+be|and)\s+(?:then\s+)?"
         r"((?:sent|submitted|passed|handed|referred)\s+(?:on\s+)?(?:for|to)\s+"
         r"(?:payment\s+|debt\s+)?collections?)\b"),
        # Money named, then said to be taken, made or kept by the call, in a clause of its
        # own: "Estimated wait for a table; a deposit is taken on the card", "Usage overage
        # for the month: a charge is made to the card on file", "No-show handling: the
        # deposit is kept". Named with its article: "before any charge is made" says when a
        # forecast stops (see `_NOT_YET`).
        (_words("made taken kept retained withheld captured collected",
                "charge charges deposit deposits fee fees payment payments"),
         r"\b(?:a|an|the|each|every|its|their|your|this)\s+(?:[a-z$€£%.-]+\s+){0,2}?"
         r"(?:charge|charges|deposit|deposits|fee|fees|payment|payments)\s+"
         r"(?:is|are|will\s+be)\s+(?:(?:[a-z]+ly|then|also|now|first)\s+)?"
         r"(made|taken|kept|retained|withheld|captured|collected)\b"),
    ))
# Where those stand in `_MONEY_SAID`, and the words before a match that make it a question or
# a supposition: what is shown, not done.
_LATER_CLAUSE_AT = frozenset(range(len(_MONEY_SAID),
                                   len(_MONEY_SAID) + len(_MONEY_SAID_LATER_CLAUSE)))
_LATER_CLAUSE_ORDER = tuple(sorted(_LATER_CLAUSE_AT))
_ASKED = frozenset("whether would could might what where how".split())
# ... and the words right before one that make it a time another act is measured by: "a
# forecast for the month, before the charge is made".
_NOT_YET = frozenset("before until till unless once".split())
# How far past the first sentence a reader's description is read for them (the sentences
# right after it, where a reader says what else the call does).
_LATER_CLAUSE_WINDOW = 200
# The words one of which each of those patterns needs first, as bytes.
_ANY_LATER_CLAUSE_WORD = frozenset(word.encode("ascii") for needs, _ in _MONEY_SAID_LATER_CLAUSE
                                   for word in needs[0])
_MONEY_SAID = (_MONEY_SAID + _MONEY_SAID_LATER_CLAUSE + _MONEY_SAID_ABROAD
               + _MONEY_SAID_MORE_ABROAD)
# Every word one of the patterns needs first (each pattern names its rarer words first: "returns"
# is in most readers' descriptions).
_ANY_MONEY_SAID = frozenset().union(*(needs[0] for needs, _ in _MONEY_SAID))
# Which patterns (by their place in `_MONEY_SAID`) each of those words may open, so that a
# description tries only the few its words can match, not every language's.
_PATTERNS_OF: dict[str, tuple[int, ...]] = {
    word: tuple(at for at, (needs, _) in enumerate(_MONEY_SAID) if word in needs[0])
    for word in _ANY_MONEY_SAID}
_NEEDS: tuple[tuple[frozenset[str], ...], ...] = tuple(needs for needs, _ in _MONEY_SAID)
# The same of the ASCII words, as bytes, for an ASCII opening split as bytes.
_ANY_ASCII_MONEY_SAID = frozenset(word.encode("ascii") for word in _ANY_MONEY_SAID
                                  if word.isascii())
_ASCII_PATTERNS_OF: dict[bytes, tuple[int, ...]] = {
    word.encode("ascii"): patterns for word, patterns in _PATTERNS_OF.items() if word.isascii()}
_ASCII_NEEDS: tuple[tuple[frozenset[bytes], ...], ...] = tuple(
    tuple(frozenset(word.encode("ascii") for word in need if word.isascii()) for need in needs)
    for needs in _NEEDS)
# Words that deny what follows, in English and in the languages of `_MONEY_SAID_ABROAD`:
# "Nothing is charged", "Belum ada tagihan yang dibuat" (no bill is made yet).
_DENIALS = frozenset(
    "not no nothing never free without não nao sem sin nicht kein keine keinen niet geen "
    "ikke inte nie belum tidak tanpa nu ei không hindi".split())
_CHARGE_WINDOW = 800


_Word = TypeVar("_Word", str, bytes)


def _patterns_to_try(words: list[_Word], opening: frozenset[_Word],
                     patterns_of: dict[_Word, tuple[int, ...]],
                     needed: tuple[tuple[frozenset[_Word], ...], ...]) -> list[int]:
    """The places in `_MONEY_SAID`, in order, of the patterns each of whose sets of needed
    words has one of `words`; `opening` are those of the words that open some pattern's (all
    as str, or as bytes for an ASCII opening: `patterns_of` and `needed` are then too)."""
    tried = sorted({at for word in opening for at in patterns_of[word]})
    return [at for at in tried if not any(need.isdisjoint(words) for need in needed[at][1:])]


# Chinese and Japanese write no spaces, so the words above are never found whole there: money
# taken or given back said in them, each asked only when one of its characters is there. "从余额
# 扣款", "自动从原支付方式扣除" (taken from the balance or the way it was paid), "已支付金额按退改规则
# 原路退回" (given back the way it came), "差額は日割りで登録カードに請求されます" (billed),
# "返金されます" (refunded); a negation ("請求されません") and points taken off ("扣除积分") are not.
_CJK_CHARGED = re.compile(
    r"((?:从|從|自)[^。；，,]{0,12}(?:余额|餘額|账户|帳戶|卡|支付方式|钱包|錢包)[^。；]{0,4}"
    r"(?:扣款|扣除|扣费|扣費|扣减|扣減)(?!积分|積分|点数|點數)"
    r"|(?:金额|金額|款项|款項|费用|費用|余额|餘額|押金|订金|訂金)[^。；]{0,12}原路退(?:回|还|還)"
    r"|原路退(?:回|还|還)"
    r"|(?:請求|課金|返金|引き落とし|引落し?)され(?!ません|ない|ず))")
_CJK_CHARGED_HINTS = ("扣", "退", "請求", "課金", "返金", "引き落", "引落")


def _charged_in_cjk(opening: str) -> str | None:
    """What a description in Chinese or Japanese says money is taken or given back by, or
    None (see `_CJK_CHARGED`)."""
    if not any(hint in opening for hint in _CJK_CHARGED_HINTS):
        return None  # nearly every description outside Latin script
    found = _CJK_CHARGED.search(opening)
    return None if found is None else found.group(1)


def charged_on_the_way(text: str) -> str | None:
    """The words with which a description says money changes hands when the tool is called
    ("... is charged to the card" -> charged, "Sets up a monthly subscription" -> those words),
    or None: the first such words in the text that nothing denies ("Nothing is charged").
    They are the server's: quote them with `findings.quote`."""
    opening = text[:_CHARGE_WINDOW]
    if opening.isascii():
        # The words as bytes, and so the words the patterns need.
        split = opening.encode("ascii").translate(_ASCII_BETWEEN_WORDS).split()
        if _ANY_ASCII_MONEY_SAID.isdisjoint(split):
            return None  # nearly every description: one set operation
        tried = _patterns_to_try(split, _ANY_ASCII_MONEY_SAID.intersection(split),
                                 _ASCII_PATTERNS_OF, _ASCII_NEEDS)
    else:
        if (charged := _charged_in_cjk(opening)) is not None:
            return charged
        split_text = _MARKS_BEYOND_ASCII.sub(
            b" ", opening.lower().encode("utf-8", "surrogatepass").translate(
                _ASCII_BETWEEN_WORDS)).decode("utf-8", "surrogatepass").split()
        if _ANY_MONEY_SAID.isdisjoint(split_text):
            return None
        tried = _patterns_to_try(split_text, _ANY_MONEY_SAID.intersection(split_text),
                                 _PATTERNS_OF, _NEEDS)
    low = opening.lower()
    first: tuple[int, str] | None = None
    for at in tried:
        pattern = _MONEY_SAID[at][1]
        for found in pattern.finditer(low):
            if first is not None and found.start() >= first[0]:
                break
            before = low[max(0, found.start() - 30):found.start()].split()[-3:]
            if _DENIALS.isdisjoint(before) and (at not in _LATER_CLAUSE_AT or (
                    _ASKED.isdisjoint(low[max(0, found.start() - 60):found.start()].split()[-6:])
                    and _NOT_YET.isdisjoint(before[-2:]))):
                # The server's own words, spaces made single.
                said = next(group for group in found.groups() if group)
                first = (found.start(), " ".join(said.split()))
                break
    return None if first is None else first[1]


def money_said_past_the_first_sentence(text: str, sentence: str) -> str | None:
    """The words with which a later sentence of a reader's description says the call moves
    money in one of the ways of `_MONEY_SAID_LATER_CLAUSE` ("Get an invoice. Passing pay: true
    pays it from the default source" -> pays it), or a clause of the first sentence after a
    colon or a semicolon does ("Dunning queue: each entry is retried against the default
    payment method"), or None. The first sentence up to there says what is shown ("The price
    of a stay, charged on arrival"), and is not read. They are the server's: quote them with
    `findings.quote`."""
    end = len(sentence)
    if ":" in sentence or ";" in sentence:  # (most first sentences have neither)
        for mark in (": ", "; "):
            at = text.find(mark, 0, end)
            if at != -1:
                end = at
    rest = text[end:end + _LATER_CLAUSE_WINDOW]
    if len(rest) < 8 or not rest.isascii():
        return None  # most readers: one sentence, or words the English patterns cannot hold
    split = rest.encode("ascii").translate(_ASCII_BETWEEN_WORDS).split()
    if _ANY_LATER_CLAUSE_WORD.isdisjoint(split):
        return None  # nearly every reader: one set operation
    low = rest.lower()
    for at in _LATER_CLAUSE_ORDER:
        if any(need.isdisjoint(split) for need in _ASCII_NEEDS[at]):
            continue
        for found in _MONEY_SAID[at][1].finditer(low):
            before = low[max(0, found.start() - 60):found.start()].split()[-6:]
            if (_DENIALS.isdisjoint(before[-3:]) and _ASKED.isdisjoint(before)
                    and _NOT_YET.isdisjoint(before[-2:])):
                said = next(group for group in found.groups() if group)
                return " ".join(said.split())
    return None


# --- A money act named as the object of the opening verb, in another language --------------
# "Effectue un virement vers le compte", "Führt eine Überweisung aus", "Crea un cobro a la
# tarjeta", "Maakt een SEPA-overboeking", "Legt eine Bonuszahlung an", "Выполняет перевод
# средств на карту", "振込を実行します": whatever the verb (one the tables lack, or one that
# makes or runs), what it makes is a payment, a transfer or a charge. The noun must follow
# the verb's article ("une", "eine", "un", "een"): a noun phrase that names such an act
# without one ("Historique des virements", "Estado del cobro") is what a reader shows.
# Words that may stand first before a money act in these languages; one of them next to the
# first word is the cheap test every Latin description meets first (English has none of them
# there: "a" and "as", Portuguese too, are left out for that).
_ARTICLES_ABROAD = frozenset(
    "un une le la les el los las um uma o os een het ein eine einen einem il lo uno una gli "
    "jeden jedna jedno".split())
_ACT_OPENED = re.compile(
    r"\s*[^\W\d_]+\s+(?:un|une|le|la|les|el|los|las|um|uma|o|os|een|het|ein|eine|einen|einem"
    r"|il|lo|uno|una|gli|jeden|jedna|jedno)\s+"
    r"(?:(?:nouveau|nouvel|nouvelle|nuevo|nueva|novo|nova|nuovo|nuova|neue|neuen|neuer"
    r"|nieuwe|[a-z]{2,5}-)\s*)?"
    r"(virements?|pr[ée]l[èe]vements?|paiements?|remboursements?|acomptes?"
    r"|[üu]e?berweisung(?:en)?|lastschrift(?:en)?|gutschrift(?:en)?|erstattung(?:en)?"
    r"|\w*zahlung(?:en)?"
    r"|overboekingen|overboeking|\w*betalingen|\w*betaling|betaalverzoek(?:en)?"
    r"|cobros?|cobran[çc]as?|transfer[eê]ncias?|transferencias?|pagos?|pagamentos?"
    r"|reembolsos?|estornos?|pix|boletos?|bonifici|bonifico|rimbors[oi]|addebit[oi]"
    r"|przelewy?|p[łl]atno[śs][ćc]|platb[auy])\b")
# The same in Russian, after a verb that does or makes: "перевод" alone is a translation too,
# so only with what it moves or where it goes.
_ACT_OPENED_RUSSIAN = re.compile(
    r"\s*(?:выполня\w*|выполни\w*|осуществля\w*|осуществи\w*|соверша\w*|соверши\w*"
    r"|производи\w*|произвести|произвед\w*|созда\w*|инициир\w*|отправля\w*|отправ\w*)\s+"
    r"(?:\w+\s+)?(перевод\w*\s+(?:средств|денег|денежных|на\s+карту|на\s+сч[её]т)"
    r"|плат[её]ж\w*|оплат[уы]|возврат\w*\s+(?:средств|денег|платеж\w*|оплат\w*))")
# ... and in Japanese and Chinese, where the act's noun comes before the verb that does it
# ("振込を実行します", "送金を行う") or after one that starts it ("发起转账", "执行付款").
_ACT_OPENED_CJK = re.compile(
    r"(振込|振り込み|送金|返金|決済|支払い?|出金|振替)(?:処理)?を(?:実行|行|作成|し|開始|依頼)"
    r"|(?:发起|執行|执行|进行|進行|完成|创建|建立)(?:一笔|一筆)?"
    r"(转账|轉帳|付款|退款|支付|汇款|匯款|提现|扣款)")
_CJK_ACT_HINTS = ("振", "送金", "返金", "決済", "支払", "出金", "转账", "轉帳", "付款", "退款",
                  "支付", "汇款", "匯款", "提现", "扣款")


def money_act_opened(sentence: str, words: list[str]) -> str | None:
    """The money act a description's first sentence opens with, named in another language
    as what its first verb makes or does ("Effectue un virement" -> virement), or None.
    `words` are the sentence's Latin tokens (empty for a sentence in another script)."""
    if words:
        if _ARTICLES_ABROAD.isdisjoint(words[1:3]):
            return None  # nearly every description: one set operation
        found = _ACT_OPENED.match(sentence[:160].lower())
    elif sentence.isascii():
        return None
    else:
        opening = sentence[:160].lower()
        found = _ACT_OPENED_RUSSIAN.match(opening) or (
            _ACT_OPENED_CJK.search(opening) if any(h in opening for h in _CJK_ACT_HINTS)
            else None)
    if found is None:
        return None
    return " ".join(next(group for group in found.groups() if group).split())
