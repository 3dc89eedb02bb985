"""The leading verb of a description written in French, Spanish, Portuguese, Italian, German,
Dutch, Polish or Indonesian, which the English tables do not know ("Récupère les factures d'une société", "Elimina
un cliente", "Erstellt eine Rechnung").

A description leads with an imperative, an infinitive or a third person ("Liste", "Lister",
"Listet"); the forms below are those, written without accents (a word is matched with its
accents taken off). German and Dutch split some verbs, leaving a particle at the end of the
sentence ("Ruft die Rechnungen ab", "Haalt de facturen op"): those words count only with their
particle. A word in several languages means the same in each, or it is left out ("para", "cuenta"
and "compte" name things as often as they act; "zahlt" is "zählt", counts, without its accent).
Only the first word of the first sentence is taken as its lead, with the verbs of the table
joined to it by "or"/"and" as alternatives, and only when the English reading found no lead:
an English noun phrase that opens with one of these words ("Active sessions") is left out of
the lists.
"""

from __future__ import annotations

import re
import unicodedata

from policytui.risk import vocabulary as v
from policytui.risk.kinds import KIND_ORDER

_FORMS: dict[str, str] = {
    v.READ: """
        recupere recuperer recuperez liste lister listez obtient obtenir obtenez affiche
        afficher affichez recherche rechercher recherchez cherche chercher consulte consulter
        verifie verifier calcule calculer telecharge telecharger exporte exporter renvoie
        renvoyer retourne retourner fournit decrit trouve trouver parcourt interroge extrait
        analyse visualise previsualise estime simule identifie identifier detecte evalue
        obtiene obtener obten lista listar busca buscar consulta consultar muestra mostrar lee leer
        descarga descargar devuelve devolver retorna verifica verificar comprueba recupera
        recuperar encuentra analiza exporta proporciona calcula calcular identifica
        identificar
        obtem obter mostra pesquisa pesquisar encontra analisa baixa baixar devolve ler
        ottiene ottieni ottenere elenca elencare cerca cercare legge leggi leggere scarica
        scaricare restituisce recuperare calcola visualizza trova analizza esporta
        listet zeigt zeige anzeigen sucht suche suchen liest lese lesen holt hole holen
        liefert berechnet prueft pruft prufe ermittelt exportiert abrufen auflisten durchsucht
        findet analysiert vergleicht identifiziert abfragen herunterladen exportieren
        berechnen ermitteln finden vergleichen
        toont zoekt leest berekent controleert vindt
        pobiera pobierz zwraca wyswietla wyszukuje znajduje sprawdza
        mengambil ambil mendapatkan dapatkan menampilkan tampilkan mencari memeriksa
        """,
    v.WRITE: """
        cree creer creez ajoute ajouter ajoutez enregistre enregistrer importe importer publie
        publier assigne attribue ouvre ferme connecte invite marque planifie valide valider
        approuve rejette envoie envoyer envoyez partage copie duplique restaure genere
        inscrit arrete arreter
        crea crear agrega agregar anade envia enviar guarda guardar sube subir publica asigna
        aprueba rechaza registra detiene
        cria criar adiciona adicionar salva salvar atribui aprova rejeita
        creare aggiunge aggiungi aggiungere invia inviare salvare pubblica assegna approva
        rifiuta ferma
        erstellt erstelle erstellen hinzufugen sendet sende senden schickt versendet speichert
        speichere veroffentlicht genehmigt stoppt stoppe beendet speichern
        maakt voegt verstuurt stuurt stopt
        tworzy utworz dodaje dodaj wysyla wyslij zapisuje zapisz
        membuat menambahkan tambahkan mengirim kirim menyimpan simpan
        """,
    v.MODIFY: """
        modifie modifier modifiez edite editer remplace renomme deplace change annule annuler
        actualiza actualizar modifica modificar edita mueve renombra cancela cancelar
        atualiza atualizar renomeia
        aggiorna aggiornare sposta rinomina annulla annullare
        aktualisiert aktualisiere andert aendert bearbeitet verschiebt storniert
        storniere aktualisieren bearbeiten andern stornieren
        wijzigt annuleert
        aktualizuje zaktualizuj zmienia zmien anuluje anuluj
        memperbarui perbarui mengubah ubah membatalkan batalkan
        """,
    v.REMOVE: """
        supprime supprimer supprimez efface effacer retire detruit revoque
        elimina eliminar borra borrar
        exclui excluir remove remover apaga apagar
        eliminare cancella cancellare rimuove rimuovi
        loscht loescht losche loschen entfernt entferne entfernen
        verwijdert
        usuwa usun kasuje
        menghapus hapus
        """,
    v.EXECUTE: """
        execute executer executez lance lancer demarre demarrer redemarre
        ejecuta ejecutar inicia iniciar
        executa executar
        esegue esegui eseguire avvia avviare
        startet starte ausfuhren starten
        uruchamia uruchom wykonuje wykonaj
        menjalankan jalankan mengeksekusi
        """,
    v.MONEY: """
        paye payer paie payez rembourse transfere vire achete vend
        paga pagar transfiere transferir reembolsa compra comprar vende vender
        transfere transferir
        pagare trasferisce rimborsa acquista
        bezahlt uberweist bezahlen uberweisen
        betaalt
        placi zaplac przelewa
        membayar bayar mentransfer
        """,
}
_KIND: dict[str, str] = {
    word: kind for kind, words in _FORMS.items() for word in words.split()
}
# German and Dutch words that are these verbs only with the particle the sentence ends with:
# "Ruft ... ab" retrieves, "Gibt ... zurück" returns, "Fügt ... hinzu" adds, "Führt ... aus"
# runs, "Legt ... an" creates, "Haalt ... op" fetches, "Geeft ... terug" returns, "Werkt ...
# bij" updates, "Voert ... uit" runs.
_SPLIT: dict[str, tuple[str, str]] = {
    "ruft": ("ab", v.READ), "gibt": ("zuruck", v.READ), "fugt": ("hinzu", v.WRITE),
    "fuhrt": ("aus", v.EXECUTE), "legt": ("an", v.WRITE), "haalt": ("op", v.READ),
    "geeft": ("terug", v.READ), "werkt": ("bij", v.MODIFY), "voert": ("uit", v.EXECUTE),
}
# German infinitives that end a short command phrase ("Rechnung löschen"), and how many words
# such a phrase may have. Only infinitives of the table: a sentence that ends with any other
# word is no such phrase.
_SHORT_COMMAND = 12
_FINAL_INFINITIVES = frozenset(
    word for word in _KIND if word in set(
        """
        anzeigen suchen lesen holen abrufen auflisten erstellen hinzufugen senden loschen
        entfernen ausfuhren abfragen herunterladen exportieren berechnen ermitteln finden
        vergleichen speichern aktualisieren bearbeiten andern stornieren starten bezahlen
        uberweisen
        """.split()))
# Words joining alternatives: "Crée ou modifie", "Erstellt oder aktualisiert".
_JOINS = frozenset("ou o e y et und oder of en puis i lub oraz dan atau".split())
# Words of sequence between a join and the next verb: "y luego los elimina", "e poi li
# elimina", "e depois as exclui", "und dann löscht", "en daarna verwijdert", "et ensuite".
_SEQUENCE = frozenset("luego despues poi depois dann danach daarna ensuite apres nastepnie lalu "
                      "kemudian".split())
# Object pronouns that stand before the verb in French, Spanish, Portuguese and Italian: "et
# les supprime", "y la paga", "e li elimina".
_OBJECT_PRONOUNS = frozenset("le la les l lo los las li lhe lhes se os as je".split())
_WORD = re.compile(r"[^\W\d_]+")
_ALTERNATIVES_WITHIN = 12


def plain(word: str) -> str:
    """The word lower-cased and without accents ("Récupère" -> "recupere")."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def european_verbs(sentence: str) -> tuple[str, str, list[tuple[str, str]]] | None:
    """(lead, its kind, alternatives) when the sentence starts with a verb of the table, else
    None (and the English reading goes on)."""
    words = _WORD.findall(sentence[:300])
    if not words:
        return None
    first = plain(words[0])
    kind = _KIND.get(first)
    if kind is None and first in _SPLIT:
        particle, split_kind = _SPLIT[first]
        if particle in (plain(w) for w in words[1:30]):
            kind = split_kind
    if kind is None and 1 < len(words) <= _SHORT_COMMAND:
        # "Rechnung löschen", "Inhaltsverzeichnis eines Handbuchs abrufen": a German command
        # written as a phrase puts its infinitive last.
        last = plain(words[-1])
        if last in _FINAL_INFINITIVES:
            return words[-1].lower(), _KIND[last], []
    if kind is None:
        return None
    alternatives: list[tuple[str, str]] = []
    for i in range(1, min(len(words) - 1, _ALTERNATIVES_WITHIN)):
        if plain(words[i]) in _JOINS:
            at = i + 1
            if plain(words[at]) in _SEQUENCE and at + 1 < len(words):
                at += 1  # "y luego ...", "und dann ..."
            if plain(words[at]) in _OBJECT_PRONOUNS and at + 1 < len(words):
                at += 1  # "Obtiene los mensajes y los elimina": the pronoun comes first
            other = _KIND.get(plain(words[at]))
            if other is not None and KIND_ORDER[other] != KIND_ORDER[kind]:
                alternatives.append((words[at].lower(), other))
    return words[0].lower(), kind, alternatives
