"""A description that says in so many words that the call changes nothing.

A tool with no verb the tables know, in its name or its first sentence, is Other: an unknown
thing may act. Some such tools say outright that nothing is changed or kept ("Beräknar
månadsavgift ... Inget sparas.", "The draft is returned, not saved.", "Chỉ đọc."), the way
"(read-only)" does in English. Three denials are found here, in English and the languages
servers are written in:

- of every change: nothing is changed or modified, the call changes nothing, it is read-only;
- of keeping: nothing is saved or written. A setting made live on a device is not kept either,
  so this counts only where the description also says what comes back, or of what is worked
  out and handed back (a quote, an estimate, a calculation, a forecast: `WORKED_OUT`);
- of one act ("Nothing is booked", "Rezervasyon oluşturmaz", "Der bliver ikke bestilt
  noget"), which counts only of what is worked out and handed back, whose one risk is the act
  it denies.

None counts under a condition ("With dry_run set, nothing is changed", "Nothing is saved until
commit is true"), nor of one place ("Nothing is changed in the shop"), nor where the opening
sends anything (`_SENDS`: a denial of keeping says nothing of an SMS sent), says in the
passive that anything else is done, puts something somewhere or makes a booking or a date
(`says_something_done_besides`), or joins an act to what is worked out ("Расчёт ... и
создание заказа", `joins_an_act`). wording.py asks the rest: what a clause or a later sentence
says the call does still wins.
"""

from __future__ import annotations

import re

# How far into a description a denial is sought: the opening, as `says_read_only` reads it.
_WINDOW = 400

# Where a denial must end: its clause ends, maybe after "to disk" ("nothing is written to
# disk") or another denial joined by "or"/"and" ("Nothing is saved or sent"). A word past it
# ("until you confirm", "in the source", ", but ...") may narrow it, so it does not count.
_CLAUSE_END = r"(?=\s*(?:[.;!)。；，\n\u2013\u2014]|,(?!\s*(?:but|except|unless|until|only|pero|mas|aber|mais|ale|ama))|$))"
_TO_DISK = r"(?:\s+(?:to|on)\s+(?:the\s+)?disk|\s+na\s+dysku|\s+auf\s+(?:der|die)\s+Festplatte)?"
_AND_MORE = r"(?:(?:\s*,\s*|\s+(?:or|and|nor)\s+)[a-z]+(?:ed|en|t))*"

# Every change denied. English first, then the languages of the servers met so far.
_CHANGES = (
    # English: "Nothing is changed", "Nothing is modified or written", "changes nothing",
    # "does not change anything", "makes no changes".
    rf"nothing\s+(?:is|gets|will\s+be)\s+(?:ever\s+)?(?:changed|modified|altered){_AND_MORE}"
    r"|(?:changes|modifies|alters)\s+nothing"
    r"|makes\s+no\s+changes|no\s+changes\s+are\s+made"
    r"|(?:does\s+not|doesn't|never)\s+(?:change|modify|alter)\s+anything"
    # Swedish, Danish, Norwegian, German, Dutch: "Inget ändras", "Es wird nichts geändert",
    # "ändert nichts", "Er wordt niets gewijzigd".
    r"|(?:inget|ingenting|intet)\s+(?:ändras|ændres|endres)"
    r"|(?:es\s+wird\s+)?nichts\s+(?:wird\s+)?(?:geändert|verändert)|(?:ändert|verändert)\s+nichts"
    r"|(?:er\s+wordt\s+)?niets\s+(?:wordt\s+)?gewijzigd|wijzigt\s+niets"
    # French, Spanish, Portuguese, Italian: "Rien n'est modifié", "No modifica nada", "Nada é
    # alterado", "Non modifica nulla".
    r"|rien\s+n['’]est\s+modifié|ne\s+(?:modifie|change)\s+rien"
    r"|no\s+se\s+(?:modifica|cambia)\s+nada|nada\s+se\s+modifica|no\s+(?:modifica|cambia)\s+nada"
    r"|nada\s+é\s+(?:alterado|modificado)|não\s+(?:altera|modifica)\s+nada"
    r"|non\s+(?:modifica|cambia)\s+(?:nulla|niente)|(?:nulla|niente)\s+viene\s+modificato"
    # Czech, Polish, Russian, Turkish, Vietnamese, Indonesian.
    r"|nic\s+se\s+nemění|nic\s+nemění|(?:nic|niczego)\s+nie\s+zmienia"
    r"|ничего\s+не\s+(?:меняет|меняется|изменяет|изменяется)"
    r"|hiçbir\s+şey\s+(?:değiştirilmez|değiştirmez)|không\s+thay\s+đổi\s+(?:gì|bất\s+cứ\s+thứ\s+gì)"
    r"|tidak\s+ada\s+yang\s+diubah|tidak\s+mengubah\s+apa\s*pun"
    # Chinese, Japanese, Korean: "不做任何修改", "何も変更しません", "아무것도 변경하지 않".
    r"|不(?:会|做)?修改任何|何も変更しません|아무것도\s*변경하지\s*않"
)
# Nothing kept: saved, stored or written. Weaker: a setting made live on a device is not
# saved either ("Heat, cool or off mode for a thermostat. Nothing is saved."), so it counts only
# of what is worked out or said to come back (`_denied` in wording.py).
_KEEPING = (
    rf"nothing\s+(?:is|gets|will\s+be)\s+(?:ever\s+)?(?:saved|written|persisted){_AND_MORE}{_TO_DISK}"
    r"|(?:writes|saves)\s+nothing" + _TO_DISK +
    r"|no\s+changes\s+are\s+(?:saved|written)"
    r"|(?:does\s+not|doesn't|never)\s+(?:save|write)\s+anything" + _TO_DISK +
    r"|(?:is|are)\s+returned\s*,?\s+(?:and\s+)?not\s+(?:saved|stored|written|kept)"
    r"|(?:inget|ingenting|intet)\s+(?:sparas|gemmes|lagres)|der\s+gemmes\s+(?:ikke\s+noget|intet)"
    r"|(?:es\s+wird\s+)?nichts\s+(?:wird\s+)?gespeichert|speichert\s+nichts"
    r"|(?:er\s+wordt\s+)?niets\s+(?:wordt\s+)?(?:opgeslagen|bewaard)|bewaart\s+niets"
    r"|slaat\s+niets\s+op"
    r"|rien\s+n['’]est\s+(?:enregistré|sauvegardé)|n['’]enregistre\s+rien"
    r"|no\s+se\s+guarda\s+nada|nada\s+se\s+guarda|no\s+guarda\s+nada"
    r"|nada\s+é\s+(?:salvo|gravado)|não\s+(?:salva|grava)\s+nada"
    r"|non\s+salva\s+(?:nulla|niente)|(?:nulla|niente)\s+viene\s+salvato"
    r"|nic\s+se\s+neukládá|nic\s+neukládá"
    r"|(?:nic|niczego)\s+nie\s+zapisuje" + _TO_DISK + r"|nic\s+nie\s+jest\s+zapisywane"
    r"|ничего\s+не\s+(?:сохраняет|сохраняется|записывает)"
    r"|hiçbir\s+şey\s+(?:kaydedilmez|kaydetmez)|không\s+lưu\s+(?:gì|bất\s+cứ\s+thứ\s+gì)"
    r"|tidak\s+ada\s+yang\s+disimpan|tidak\s+menyimpan\s+apa\s*pun"
    r"|不(?:会)?保存任何|何も保存しません|아무것도\s*저장하지\s*않"
)
# "Read-only" said as a clause of its own in another language, as `says_read_only` finds the
# English ("Chỉ đọc.", "(только чтение)", "Solo lectura:"); not an adjective of something else
# ("执行只读 SELECT 查询", "en mode lecture seule").
_READ_ONLY_WORDS = (
    r"chỉ\s+đọc|только\s+(?:для\s+)?чтени[ея]|solo\s+lectura|sólo\s+lectura"
    r"|somente\s+leitura|apenas\s+leitura|só\s+leitura|sola\s+lettura|solo\s+lettura"
    r"|lecture\s+seule|alleen[- ]lezen|nur\s+lesend|tylko\s+do\s+odczytu|pouze\s+pro\s+čtení"
    r"|jen\s+pro\s+čtení|salt\s+okunur|hanya\s+baca|只读|唯读|読み取り専用|읽기\s*전용"
)
_CLAUSE_START = r"(?:^|(?<=[.!?;:(。；：（])\s*)"

_DENIES_ALL = re.compile(
    rf"{_CLAUSE_START}(?:{_READ_ONLY_WORDS}){_CLAUSE_END}"
    rf"|(?<![\w-])(?:{_CHANGES}){_CLAUSE_END}",
    re.IGNORECASE)
_DENIES_KEEPING = re.compile(rf"(?<![\w-])(?:{_KEEPING}){_CLAUSE_END}", re.IGNORECASE)

# What the description says comes back: the call works something out and hands it back.
_RETURNS = re.compile(
    r"\breturn(?:s|ed|ing)?\b|\bhand(?:s|ed)?\s+(?:it\s+|them\s+)?back|zwraca|retorna|devuelve"
    r"|renvoie|restitue|liefert|zurückgegeben|gibt\s+(?:\w+\s+){0,4}zurück|geeft\s+(?:\w+\s+){0,4}terug"
    r"|vrátí|vrací|döner|döndürür|trả\s+về|mengembalikan|返回|返します|반환|возвращает"
    r"|restituisce|returnerar|returnerer",
    re.IGNORECASE)

# One act denied: "Nothing is booked", "nothing is ordered or reserved", "The quote is not
# saved", "Der bliver ikke bestilt noget", "Rezervasyon oluşturmaz", "Không tạo đơn",
# "Nenhuma transação é criada".
_DENIES_ONE = re.compile(
    rf"(?<![\w-])(?:nothing\s+(?:is|gets|will\s+be)\s+[a-z]+(?:ed|en|t){_AND_MORE}"
    r"|no\s+\w+\s+(?:is|are|gets|will\s+be)\s+[a-z]+(?:ed|en|t)"
    r"|(?:it|the\s+\w+)\s+is\s+not\s+[a-z]+(?:ed|en|t)"
    r"|der\s+bliver\s+ikke\s+\w+\s+noget|intet\s+\w+s"
    r"|\w+\s+oluşturmaz|hiçbir\s+\w+\s+(?:oluşturulmaz|yapılmaz)"
    r"|không\s+tạo\s+\w+"
    r"|nenhuma?\s+\w+\s+é\s+(?:criad|feit|enviad|reservad)[ao]"
    r"|es\s+wird\s+nichts\s+\w+|nichts\s+wird\s+\w+"
    r"|er\s+wordt\s+(?:niets|geen\s+\w+)\s+\w+"
    r"|rien\s+n['’]est\s+\w+|aucune?\s+\w+\s+n['’]est\s+\w+"
    rf"){_CLAUSE_END}",
    re.IGNORECASE)

# A condition opening the clause a denial ends: the call acts when it does not hold ("If
# dry_run is set, nothing is written", "With preview on, nothing is saved", "Unless confirmed,
# ..."). "Nothing else is changed" is never matched: "else" is no part of a denial.
_CONDITION_BEFORE = re.compile(
    r"\b(?:if|when|unless|with|while|in\s+(?:dry[- ]?run|preview|test)|by\s+default|only"
    r"|wenn|falls|mit|si|con|com|se|als|jeśli|jeżeli|pokud|eğer|nếu)\b[^.;!?]*\Z",
    re.IGNORECASE)

# A name or a first sentence headed by what is worked out and handed back: the one act a
# denial of one act may leave open is what it names being kept, booked or sent. Not a
# simulation or a preview: "Simulation of a zone outage for a service. No data is lost." stops
# the zone's pods, and a preview environment is deployed.
WORKED_OUT = frozenset((
    "quote", "quotes", "quotation", "estimate", "estimation", "calculation", "calculator",
    "forecast", "projection", "dryrun",
    # The same, and the verbs that work them out, as names and first sentences write them in
    # other languages (Swedish and Danish, German, Dutch, French, Spanish, Portuguese,
    # Italian, Czech, Polish, Turkish, Vietnamese, Indonesian, Russian).
    "berakna", "beräkna", "beräknar", "beräkning", "berakning", "räknar", "prisoverslag",
    "tilbud", "beregning", "beregner",
    "berechnet", "berechnung", "kalkulation", "kostenvoranschlag", "berekent", "berekening",
    "offerte", "devis", "calcule", "estimation",
    "presupuesto", "cotizacion", "cotización", "calcula", "calcular", "cálculo", "calculo",
    "estimación", "estimacion", "cotacao", "cotação", "orcamento", "orçamento", "estimativa",
    "preventivo", "preventivi", "calcola", "calcolo", "stima",
    "vypocet", "výpočet", "spočítá", "spocita", "kalkulacka", "kalkulačka", "odhad",
    "wycena", "kosztorys", "oblicza", "kalkulator",
    "hesapla", "hesaplar", "hesaplama",
    "uoc", "ước", "tinh", "tính", "hitung", "menghitung", "perkiraan", "estimasi",
    "рассчитать", "рассчитывает", "расчёт", "расчет",
))


# A word anywhere in the opening that sends or hands something outward, in the languages
# above: a denial of keeping or changing says nothing of sending ("Notice to the customer by
# SMS. Nothing is saved.", "Orçamento enviado ao cliente. Nada é salvo."), so it does not count.
_SENDS = re.compile(
    r"(?<!\w)(?:sen[dt]|e-?mail|mail|sms|text\s+message|notif|messag|post(?:ed|s)?\b|publish"
    r"|shar(?:e|ed|es)\b|forward|deliver|whatsapp|telegram|slack|push"
    r"|envi[aoe]|envoy|schick|versend|verschick|sende|verstuur|stuur|skick|wysł|wysyła"
    r"|odesl|odeslán|gửi|gönder|kirim|dikirim|invia|inviat|mand(?:a|ado|ada|ar)\b|отправ|пересл|送信|发送|發送|전송|보내)",
    re.IGNORECASE)


def says_nothing_changes(description: str) -> str | None:
    """The words in which the description's opening denies that the call changes anything
    ("Nothing is changed", "Chỉ đọc"), or, when it also says what comes back, that it keeps
    anything ("Renderuje ... i zwraca wynik. Nic nie zapisuje na dysku."); else None."""
    every = _denial(_DENIES_ALL, description)
    if every is not None:
        return every
    kept = _denial(_DENIES_KEEPING, description)
    return kept if kept is not None and _RETURNS.search(description[:_WINDOW]) else None


def says_its_act_is_not_done(description: str) -> str | None:
    """The words in which the description's opening denies that the call does the one act a
    quote, an estimate or a calculation might be followed by ("Nothing is booked", "Inget
    sparas"), or None; a denial of every change counts too."""
    return (_denial(_DENIES_ALL, description) or _denial(_DENIES_KEEPING, description)
            or _denial(_DENIES_ONE, description))


def _denial(pattern: re.Pattern[str], description: str) -> str | None:
    text = description[:_WINDOW]
    for found in pattern.finditer(text):
        if _CONDITION_BEFORE.search(_clause_before(text, found.start())):
            continue
        # Sought only once a denial is found: most descriptions hold none.
        return None if _SENDS.search(text) else found.group(0).strip(" .;:,()")
    return None


def _clause_before(text: str, at: int) -> str:
    """The words of the clause that a denial at `at` ends, back to the last stop."""
    start = max(text.rfind(stop, 0, at) for stop in (".", ";", "!", "?", "\n", "。", "；"))
    return text[start + 1:at]


# "is", "are" or "will be" before a word: what a passive says is done to something. Past a
# denial, a description that says so of anything ("the room is held for 15 minutes") may say
# what the call does, whether or not the tables know the verb.
_PASSIVE = re.compile(r"\b(?:is|are|gets?|will\s+be|is\s+being)\s+(?:\w+ly\s+)?[a-z]{3,}",
                      re.IGNORECASE)
# The same in the other languages read here, by the word that makes a passive ("wird ...
# übermittelt", "est enregistré", "é enviado", "jest zapisywany"), and the participles of
# keeping something that a comma may attach to what is named ("Devis ..., enregistré dans le
# dossier"): past a denial, each may say what the call does.
_FOREIGN_PASSIVE = re.compile(
    r"(?<!\w)(?:wird|werden|wordt|worden|blir|bliver|est|sont|é|são|è|viene|vengono|jest|są"
    r"|zostanie|zostaną|bude|budou|jsou|olur|được|bị)(?!\w)"
    r"|(?<!\w)(?:enregistr|sauvegard|gespeichert|abgelegt|opgeslagen|bewaard|salv[oa]\b|gravad"
    r"|guardad|salvat|archiviat|zapisan|uložen|kaydedil|sparad|gemt|lagret|lưu)",
    re.IGNORECASE)


# A participle put somewhere ("as a PDF attached to the deal", "exported to the sheet"):
# what is named is done something with. Not "sent" alone: `_SENDS` has it.
_PUT_SOMEWHERE = re.compile(
    r"\b[a-z]{3,}ed\s+(?:to|into|onto|in|on|at|with|under|against)\b", re.IGNORECASE)
# What is booked, held or made a date of beside what is worked out ("mit Termin beim
# Techniker", "with the slot held"): a quote that comes with one acts.
_BOOKED = re.compile(
    r"(?<!\w)(?:appointment|booking|reservation|hold|held|termin|cita|rendez-vous|prenotazion"
    r"|reserva|rezervasyon|rezerwacj|rezervac|afspraak|bestilling|beställning|bokning|заказ"
    r"|брон|запис|lịch\s+hẹn|đặt\s+(?:chỗ|lịch|hàng)|janji|pesanan)",
    re.IGNORECASE)


def says_something_done_besides(description: str, said: str) -> bool:
    """Does the description's opening, the denial `said` left out, say that something is
    done: in the passive, by a participle put somewhere, or by a booking or date it makes?"""
    left = description[:_WINDOW].replace(said, "", 1)
    return any(pattern.search(left) is not None
               for pattern in (_PASSIVE, _FOREIGN_PASSIVE, _PUT_SOMEWHERE, _BOOKED))


def says_done_in_the_passive(text: str) -> bool:
    """Does the text say in the passive, in English or another language read here, that
    something is done ("are issued to the card", "wird ... abgebucht", "jest zapisywany")?"""
    opening = text[:_WINDOW]
    return _PASSIVE.search(opening) is not None or _FOREIGN_PASSIVE.search(opening) is not None


def worked_out(words: list[str]) -> str | None:
    """The word of `words` that names what is worked out and handed back, or None."""
    for word in words:
        if word in WORKED_OUT:
            return word
    return None


_WORD = re.compile(r"\w+")
_OPENING = 3  # how many words of a first sentence may name it ("Shipping quote for ...")


def opens_with_worked_out(sentence: str) -> str | None:
    """The word among the sentence's first three, read in any script ("Räknar ut ..."), that
    names what is worked out and handed back, or None."""
    return worked_out([word.lower() for word in _WORD.findall(sentence[:80])[:_OPENING]])


# "And" in the languages read here (not Dutch "en", the Danish and Swedish article:
# "Prisoverslag på en flytning"), and the endings of nouns that name an act ("booking",
# "creation", "Buchung", "создание"): "Расчёт стоимости доставки и создание заказа" works a
# price out and makes an order.
_AND = frozenset("and und et y e i a и och og ve và dan oraz sowie plus & +".split())
_ACT_NOUN_ENDINGS = ("ing", "tion", "sion", "ment", "ung", "ción", "ção", "zione", "ние",
                     "ení", "ání", "nie", "ering")


def joins_an_act(sentence: str) -> bool:
    """Does the sentence join, by "and", a noun that names an act to what it names ("Shipping
    quote and booking for a cart", "Расчёт ... и создание заказа"), the noun right after the
    "and"? The words that work something out ("Berechnung") are no such act."""
    words = [word.lower() for word in re.findall(r"[\w&+]+", sentence[:200])]
    for at, word in enumerate(words[:-1]):
        if word not in _AND:
            continue
        after = words[at + 1]
        if len(after) > 4 and after.endswith(_ACT_NOUN_ENDINGS) and after not in WORKED_OUT:
            return True
    return False

