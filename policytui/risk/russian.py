"""The verbs of a Russian description's first sentence, which the Latin tokenizer does not see.

Russian leads a tool's description with an infinitive or an imperative ("Получить список",
"Отправить сообщение", "ОПЛАТИТЬ бронь") or with a verbal noun used as a heading ("Поиск
товара", "Перевод"), or it names what is shown ("Счета, балансы и карты"). Verbs are found by
their stems, in the forms a description uses: the infinitive (-ть, -ти, -чь), the imperative
(-й, -и, -ите) and the third person (-ет, -ит, -ют, -ят). A word with a verb's ending whose
stem is not in the table is an unknown verb, so the sentence is no mere noun phrase.
"""

from __future__ import annotations

import re

from policytui.risk import vocabulary as v
from policytui.risk.kinds import KIND_ORDER

# Stems of verbs and verbal nouns, by kind. A stem matches the start of a word: "получ" is
# получить, получает, получение.
_STEMS: dict[str, tuple[str, ...]] = {
    v.READ: ("получ", "показ", "найт", "найд", "наход", "поиск", "ищ", "провер", "прочит",
             "чита", "просмотр", "спис", "выгруз", "скача", "скачив", "посчит", "рассчит",
             "вычисл", "сравн", "анализ", "проанализ", "пинг"),
    v.WRITE: ("добав", "созда", "отправ", "сохран", "подтверд", "забронир", "бронир", "запис",
              "загруз", "подключ", "подпис", "зарегистр", "начат", "начин", "отмет", "заказ",
              "заблокир", "разблокир", "блокир", "включ", "выключ", "отключ", "оформ", "вывод",
              "вывест"),
    v.MODIFY: ("измен", "обнов", "редакт", "отмен", "установ", "переимен", "перемест",
               "настро", "продл"),
    v.REMOVE: ("удал", "очист", "сброс", "уничтож", "аннулир"),
    v.EXECUTE: ("запуст", "запуск", "выполн", "исполн"),
    v.MONEY: ("оплат", "плат", "купи", "покуп", "перевод", "перевест", "перечисл", "возврат",
              "пополн", "снят", "снима", "списа", "списыва", "продат", "прода", "оплач"),
}
# The kind of each stem, longest stems first so that "перевест" wins over a shorter one.
_BY_STEM: tuple[tuple[str, str], ...] = tuple(sorted(
    ((stem, kind) for kind, stems in _STEMS.items() for stem in stems),
    key=lambda pair: -len(pair[0])))
# Endings that make any word a verb: the infinitive and the plural imperative. Nouns in -сть
# (стоимость, занятость, часть) are not.
_VERB_ENDING = re.compile(r"(?:ть|ти|чь|ться|тись|йте|ите)$")
# Endings of the third person, which many nouns share (бюджет, билет, кредит, лимит): a verb
# only with a stem of the table.
_THIRD_PERSON = re.compile(r"(?:ет|ит|ют|ят|ется|ится)$")  # ё is read as е
# Verbal nouns that lead a sentence as its act ("Поиск поездов", "Перевод юрлицу", "Список
# чатов").
_VERBAL_NOUNS = frozenset((
    "поиск", "перевод", "оплата", "возврат", "удаление", "создание", "отмена", "изменение",
    "обновление", "отправка", "загрузка", "выгрузка", "запуск", "скачивание", "проверка",
    "пополнение", "покупка", "список", "просмотр"))
# Question words that open a sentence saying what the tool answers ("Чем платить ...", with
# what to pay; "Что идёт на площадке", what is on at the venue).
_QUESTIONS = frozenset("что чем как какой какая какие каких сколько где когда куда кто".split())
_WORD = re.compile(r"[а-яё]+", re.IGNORECASE)
_STOPS = (". ", ".\n", "! ", "? ", "\n\n", ":\n")


def _stem_kind(word: str) -> str | None:
    for stem, kind in _BY_STEM:
        if word.startswith(stem):
            return kind
    return None


def _verb(word: str, leading: bool) -> tuple[str | None, bool]:
    """(kind or None, is it a verb at all) for one lower-case word."""
    if leading and word in _VERBAL_NOUNS:
        return _stem_kind(word), True
    if _VERB_ENDING.search(word) and not word.endswith("сть"):
        return _stem_kind(word), True
    if _THIRD_PERSON.search(word):
        kind = _stem_kind(word)
        return kind, kind is not None
    return None, False


def russian_verbs(description: str) -> tuple[str | None, str | None, bool]:
    """(lead word, its kind, a noun phrase?) for a Russian first sentence. The lead is the
    sentence's first word when it is a verb or a verbal noun; any other verb of the sentence
    that is riskier is offered beside it. A sentence whose words hold no verb at all is a noun
    phrase ("Счета, балансы и карты каждого счёта"): what is shown."""
    text = description[:400].strip()
    end = len(text)
    for stop in _STOPS:
        at = text.find(stop, 0, end)
        if at >= 0:
            end = at
    # "Создаёт" is "создает": ё is often written е, and the endings are matched without it.
    words = [w.lower().replace("ё", "е") for w in _WORD.findall(text[:end])]
    if not words:
        return None, None, False
    if words[0] in _QUESTIONS:
        # "Чем платить за поездку и сколько это стоит": the question the tool answers, not
        # an act; what it shows.
        return None, None, True
    lead, lead_kind = None, None
    kind, is_verb = _verb(words[0], True)
    if is_verb:
        if kind is None:
            return words[0], None, False  # a verb the table lacks: no noun phrase, no kind
        lead, lead_kind = words[0], kind
    for word in words[1:]:
        kind, is_verb = _verb(word, False)
        if not is_verb:
            continue
        if kind is None or kind == v.READ:
            if lead is None:
                return None, None, False  # a verb further on: not a mere noun phrase
            continue
        if lead_kind is None or KIND_ORDER[kind] > KIND_ORDER[lead_kind]:
            lead, lead_kind = word, kind
    if lead_kind in _CHANGES and any(word.startswith(_MONEY_OBJECTS) for word in words):
        # "Отменить заказ билета": cancelling, changing or making an order, a payment or a
        # subscription changes what someone pays.
        lead_kind = v.MONEY
    return lead, lead_kind, lead is None


_CHANGES = frozenset((v.WRITE, v.MODIFY, v.REMOVE))
# What someone pays or is owed: an order, a payment, a subscription, money itself.
_MONEY_OBJECTS = ("заказ", "платеж", "платёж", "подписк", "деньг", "денег", "денеж", "средств",
                  "возврат")
