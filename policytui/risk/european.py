"""The leading verb of a description written in French, Spanish, Portuguese, Italian, German,
Dutch, Polish, Indonesian and Malay, Danish and Norwegian, Swedish, Czech, Romanian, Turkish or
Tagalog, which the English tables do not know ("Récupère les factures d'une société", "Elimina un
cliente", "Erstellt eine Rechnung", "Smazat fakturu").

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

from policytui.risk import vocabulary as v
from policytui.risk.kinds import KIND_ORDER
from policytui.risk.words import fold_accents

_FORMS: dict[str, str] = {
    v.READ: """
        recupere recuperer recuperez liste lister listez obtient obtenir obtenez affiche
        afficher affichez recherche rechercher recherchez cherche chercher consulte consulter
        verifie verifier calcule calculer telecharge telecharger exporte exporter renvoie
        renvoyer retourne retourner fournit decrit trouve trouver parcourt interroge extrait
        analyse visualise previsualise estime simule identifie identifier detecte evalue
        previsualiza previsualizar visualiza visualizar
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
        hent hente henter vis viser finn finne finner sog soge soker
        hamta hamtar visar lista listar
        zobrazit zobrazi ziskat ziska vyhledat vyhleda najit najde vypsat vypise
        afiseaza cauta obtine returneaza listeaza
        senaraikan papar paparkan semak
        getir listele goster
        hanapin tingnan ipakita kunin ilista alamin suriin
        """,
    v.WRITE: """
        cree creer creez ajoute ajouter ajoutez enregistre enregistrer importe importer publie
        publier assigne attribue ouvre ferme connecte invite marque planifie valide valider
        approuve rejette envoie envoyer envoyez partage copie duplique restaure genere
        inscrit arrete arreter
        crea crear agrega agregar anade anadir sumar envia enviar guarda guardar sube subir
        publica asigna
        aprueba rechaza registra detiene aprobar rechazar approuver rejeter aprovar rejeitar
        approvare rifiutare genehmigen
        cria criar adiciona adicionar salva salvar atribui aprova rejeita
        creare aggiunge aggiungi aggiungere invia inviare salvare pubblica assegna approva
        rifiuta ferma
        erstellt erstelle erstellen hinzufugen sendet sende senden schickt versendet speichert
        speichere veroffentlicht genehmigt stoppt stoppe beendet speichern erzeugt erzeuge
        maakt voegt verstuurt stuurt stopt inplannen plannen ingepland
        tworzy utworz dodaje dodaj wysyla wyslij zapisuje zapisz
        membuat menambahkan tambahkan mengirim kirim menyimpan simpan
        archiva archivar archive archiver activa activar activer desactiva desactivar
        desactive desactiver reserva reservar reserve reserver spedisce spedisci spedire
        prenota prenotare buchen bucht buche boeken boekt cierra cerrar
        opret oprette opretter opprett opprette oppretter tilfoj tilfoje tilfojer sende gemme lagre lagrer bestil bestille bestiller booke tildel tildele
        skapa skapar spara sparar skicka skickar bestall bestaller boka bokar tilldela
        vytvorit vytvori pridat prida odeslat odesle ulozit ulozi objednat objedna vystavit vystavi rezervovat zarezervovat prijmout
        creeaza adauga trimite salveaza inregistreaza programeaza genereaza
        cipta tambah hantar tempah
        olustur ekle gonder kaydet yukle
        idagdag dagdagan magdagdag gumawa lumikha likhain ipadala magpadala magpareserba
        ireserba itala
        zarezerwuj rezerwuje wystaw wystawia wypozycz wypozycza
        erfassen erfasst erfasse freigeben zlec zleca zlecic buat
        versturen verstuur aanmaken timbrar timbra
        aceita aceitar acepta aceptar accetta accettare accepte accepter captura capturar
        tarik menarik
        """,
    v.MODIFY: """
        modifie modifier modifiez edite editer remplace renomme deplace change annule annuler
        actualiza actualizar modifica modificar edita mueve renombra cancela cancelar
        atualiza atualizar renomeia
        transfiere transferir transfere trasferisce
        aggiorna aggiornare sposta rinomina annulla annullare
        aktualisiert aktualisiere andert aendert bearbeitet verschiebt storniert
        storniere aktualisieren bearbeiten andern stornieren kundigen kundigt setze setzen
        setzt sperre sperren sperrt changer cambiar cambia fusionne fusionner fusiona fusionar
        funde fondere reemplaza reemplazar remplacer ersetzen ersetzt ersetze aplica aplicar
        applique appliquer bloquea bloquear bloque bloquer repor repoe
        wijzigt annuleert
        wechselt wechseln finaliser finalise finalisez converti converte convertire
        canjear canjea resgatar resgata riscatta riscattare
        aktualizuje zaktualizuj zmienia zmien anuluje anuluj
        memperbarui perbarui mengubah ubah membatalkan batalkan
        opdater opdatere opdaterer oppdater oppdatere oppdaterer rediger redigere endre endrer annuller annullere annullerer afbestil avbestill aflys
        uppdatera uppdaterar avboka avbokar
        upravit upravi aktualizovat aktualizuje zmenit zmeni zrusit zrusi
        actualizeaza anuleaza schimba
        kemaskini kemaskinikan batal
        guncelle degistir
        baguhin palitan pahabain kanselahin ilipat
        wypisz wypisuje
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
        purge purger purga purgar limpia limpiar nettoie nettoyer vide vider vacia vaciar
        opruimen ruimt
        slet slette sletter fjern fjerne fjerner
        radera raderar
        smazat smaze odstranit odstrani
        sterge
        padam buang
        retira retirar
        tanggalin burahin alisin
        """,
    v.EXECUTE: """
        execute executer executez lance lancer demarre demarrer redemarre
        ejecuta ejecutar inicia iniciar
        executa executar
        esegue esegui eseguire avvia avviare
        startet starte ausfuhren starten neustarten reinicia reiniciar redemarrer
        uruchamia uruchom wykonuje wykonaj
        menjalankan jalankan mengeksekusi
        starte startar starta
        spustit spusti
        porneste ruleaza
        patakbuhin simulan
        """,
    v.MONEY: """
        paye payer paie payez rembourse vire achete vend
        paga pagar reembolsa compra comprar vende vender
        pagare rimborsa acquista donar donare
        bezahlt uberweist bezahlen uberweisen
        betaalt vergoedt vergoeden
        placi zaplac przelewa
        membayar bayar mentransfer
        cobra cobrar cobre encaisse encaisser recarga recargar recharge recharger ricarica
        ricaricare reembolsar rembourse rembourser
        betal betale betaler refunder refundere
        betala betalar aterbetala
        zaplatit zaplati
        plateste inchiriaza ramburseaza estorna estornar
        bayaran magbayad singilin
        verser versez versare liquida liquidar liquidare accredita accreditare abona abonar
        incassa incassare begleicht begleichen erstattet erstatten ausgleichen
        """,
}
_KIND: dict[str, str] = {
    word: kind for kind, words in _FORMS.items() for word in words.split()
}
# German and Dutch words that are these verbs only with the particle the sentence ends with:
# "Ruft ... ab" retrieves, "Gibt ... zurück" returns, "Fügt ... hinzu" adds, "Führt ... aus"
# runs, "Legt ... an" creates, "Haalt ... op" fetches, "Geeft ... terug" returns, "Werkt ...
# bij" updates, "Voert ... uit" runs, "Gleicht ... aus" settles (a balance, by paying).
_SPLIT: dict[str, tuple[str, str]] = {
    "ruft": ("ab", v.READ), "gibt": ("zuruck", v.READ), "fugt": ("hinzu", v.WRITE),
    "fuhrt": ("aus", v.EXECUTE), "legt": ("an", v.WRITE), "haalt": ("op", v.READ),
    "geeft": ("terug", v.READ), "werkt": ("bij", v.MODIFY), "voert": ("uit", v.EXECUTE),
    "gleicht": ("aus", v.MONEY),
}
# German (and Dutch) infinitives that end a short command phrase ("Rechnung löschen",
# "ophaalafspraak inplannen"), and how many words such a phrase may have. Only infinitives of
# the table: a sentence that ends with any other word is no such phrase.
_SHORT_COMMAND = 12
_FINAL_INFINITIVES = frozenset(
    word for word in _KIND if word in set(
        """
        anzeigen suchen lesen holen abrufen auflisten erstellen hinzufugen senden loschen
        entfernen ausfuhren abfragen herunterladen exportieren berechnen ermitteln finden
        vergleichen speichern aktualisieren bearbeiten andern stornieren starten bezahlen
        uberweisen kundigen setzen sperren neustarten inplannen plannen erfassen freigeben
        versturen aanmaken ausgleichen
        """.split()))
# Turkish puts its verb last, in a name too: "liste_yukle" uploads a list, "kampanya_baslat"
# starts a campaign. Imperatives of the table, and a few it lacks (baslat starts, durdur and
# duraklat stop or pause, planla schedules, öde pays: "faturaOde"); none is a word of another
# language that ends a name after another word (English "ode" names a poem, not a tool).
_TURKISH_FINAL = frozenset(
    "getir listele goster olustur ekle gonder kaydet yukle guncelle degistir baslat durdur "
    "duraklat planla ode".split())
_TURKISH_KIND = {"baslat": v.EXECUTE, "durdur": v.WRITE, "duraklat": v.WRITE, "planla": v.WRITE,
                 "ode": v.MONEY}
# Words that are a verb only as the last word of a name, after what they act on: Turkish "al"
# (take, receive: "odeme_al" takes a payment), which leading a name or inside it is as often
# Spanish "to the" or an Arabic article; and Japanese verbal nouns written in Latin letters
# ("seikyusho_hakko" issues an invoice), which no other language the table reads writes.
_FINAL_ONLY = {"al": v.WRITE, "hakko": v.WRITE, "sakusei": v.WRITE, "soshin": v.WRITE,
               "toroku": v.WRITE, "sakujo": v.REMOVE}
# Endings of an infinitive of Spanish, Portuguese, Italian or French: such a form of the table
# that acts, after the thing it acts on, is the name's verb ("factura_enviar_correo",
# "cfdi_cancelar"); one that reads there is left to the description. Not -ere or a bare -re,
# which third persons and nouns end with as often (Italian "genere", a kind; Portuguese
# "cobre", copper; French "ouvre"), nor a word of four letters ("vire", turn, in Portuguese),
# nor "payer" and "betaler", who pays in English and Dutch ("invoice_payer").
_NAME_INFINITIVE_ENDINGS = ("ar", "er", "ir", "are", "ire")
_NOT_NAME_INFINITIVES = frozenset(("payer", "betaler"))
# Words that join two German command phrases: "... anlegen und ... abrufen".
_GERMAN_JOINS = frozenset("und oder sowie dann danach anschliessend bzw".split())
# Small words of English that German never writes: a sentence holding one is no German
# command phrase, whatever word ends in -en or -ern before a comma ("Inspection history for
# a hive (brood pattern, queen seen)": "pattern" is no infinitive).
_ENGLISH_SMALL_WORDS = frozenset("the a of for with from and or by to is are this that".split())
# Words joining alternatives: "Crée ou modifie", "Erstellt oder aktualisiert".
_JOINS = frozenset("ou o e y et und oder of en puis i lub oraz dan atau bzw".split())
# Words before a verb that the tool does for a purpose, a step of its own: "Busca contactos
# duplicados para eliminarlos", "... pour les supprimer", "... per cancellarli" ("avant de"
# and "antes de" too).
_PURPOSES = frozenset("para pour per".split())
# Words of sequence between a join and the next verb: "y luego los elimina", "e poi li
# elimina", "e depois as exclui", "und dann löscht", "en daarna verwijdert", "et ensuite".
_SEQUENCE = frozenset("luego despues poi depois dann danach daarna ensuite apres nastepnie lalu "
                      "kemudian".split())
# Object pronouns that stand before the verb in French, Spanish, Portuguese and Italian: "et
# les supprime", "y la paga", "e li elimina".
_OBJECT_PRONOUNS = frozenset("le la les l lo los las li lhe lhes se os as je".split())
_WORD = re.compile(r"[^\W\d_]+")
# The same words in ASCII text, where they are the runs of A-Z and a-z: a class of ranges,
# three times cheaper than asking each character's Unicode category.
_ASCII_WORD = re.compile(r"[A-Za-z]+")
_ALTERNATIVES_WITHIN = 12


# Object pronouns a Spanish or Italian infinitive takes at its end: "eliminarlos" (delete
# them), "cobrarla", "cancellarli".
_ATTACHED = ("los", "las", "les", "lo", "la", "le", "li", "ne")


def kind_of(word: str) -> str | None:
    """The kind of a form of the table, also with an object pronoun attached to it."""
    kind = _KIND.get(word)
    if kind is None and len(word) > 6:
        for ending in _ATTACHED:
            if word.endswith(ending) and word[:-len(ending)].endswith(("ar", "er", "ir", "re")):
                return _KIND.get(word[:-len(ending)])
    return kind


def plain(word: str) -> str:
    """The word lower-cased and without accents ("Récupère" -> "recupere")."""
    if word.isascii():
        return word.lower()  # most words: nothing to decompose
    return fold_accents(word.lower())  # also "ł" (wysyła -> wysyla), which has no decomposition


def name_verb(words: list[str], start: int) -> tuple[int, str] | None:
    """(index, kind) of the riskiest verb of these languages in a tool name past `start`: the
    one it leads with ("eliminar_cliente", "crear_factura"), one after a join
    ("consultar_y_eliminar_facturas"), or, in German, an infinitive anywhere after the first
    word ("benutzer_sperren", "rechnung_erstellen_und_anzeigen"), in Turkish an imperative
    there ("liste_yukle"); None when there is none.
    Only for names with no English verb. A reading form that also acts ("recuperar"
    recovers, "devolver" refunds, "renvoyer" resends) is no reading verb in a name."""
    found: list[tuple[int, str]] = []
    for i in range(start, len(words)):
        word = plain(words[i])
        kind = kind_of(word)
        if i > start and word in _TURKISH_FINAL:
            # "liste_yukle": the verb ends a Turkish name, after what it acts on.
            found.append((i, _TURKISH_KIND.get(word) or kind or v.WRITE))
            continue
        if i > start and i == len(words) - 1 and word in _FINAL_ONLY:
            found.append((i, _FINAL_ONLY[word]))  # "odeme_al", "seikyusho_hakko"
            continue
        if kind is None or len(word) <= 3:
            continue
        if i == start or plain(words[i - 1]) in _JOINS or (
                i > start and (word in _FINAL_INFINITIVES or (
                    kind != v.READ and len(word) > 4 and word.endswith(_NAME_INFINITIVE_ENDINGS)
                    and word not in _NOT_NAME_INFINITIVES))):
            if kind == v.READ and word in _READS_OR_ACTS:
                kind = v.WRITE  # an unknown act until its words say more
            found.append((i, kind))
    if not found:
        return None
    return max(found, key=lambda pair: KIND_ORDER[pair[1]])


# Reading forms of the table that also act on what they name: recover or restore (recupera),
# give back or refund (devuelve, restituisce), send again (renvoie), charge (pobiera), lower
# or write down as well as download (baixar: "baixar estoque" takes stock out).
_READS_OR_ACTS = frozenset(
    """
    recupere recuperer recuperez recupera recuperar recuperare renvoie renvoyer retourne
    retourner devuelve devolver devolve retorna restituisce pobiera pobierz baixa baixar
    """.split())


def _unknown_infinitive(words: list[str], plains: list[str]) -> str | None:
    """A lower-case word ending in -en that the table lacks, right before a join ("Neuen
    Kunden anlegen und Kundennummer abrufen"), or None: a verb the table does not know, so
    the phrase is not read from its known last verb alone."""
    for i in range(1, len(plains)):
        if plains[i] in _GERMAN_JOINS:
            before = words[i - 1]
            # A title-cased phrase capitalises its infinitives too ("Rechnung Erzeugen und
            # Anzeigen"): there a capitalised word counts when the one after the join is an
            # infinitive of the table written the same way.
            titled = (i + 1 < len(words) and before[:1].isupper()
                      and words[i + 1][:1].isupper() and plains[i + 1] in _FINAL_INFINITIVES)
            if ((before.islower() or titled) and plains[i - 1].endswith(("en", "ern", "eln"))
                    and plains[i - 1] not in _FINAL_INFINITIVES):
                return before.lower()
    return None


_BRACKETED = re.compile(r"\([^()]*\)")
# "&" and a comma join two German command phrases as "und" does: "Rechnung erzeugen &
# anzeigen", "Kunden anlegen, Kundennummer anzeigen".
_PHRASE_JOINS = re.compile(r"\s*(?:&|,)\s+")
# Articles of Spanish, Portuguese, Italian and French right after a sentence's first word:
# "Agendar el schedule de la semana", "Resetear la quota del proyecto". A first word the
# table lacks, with an infinitive's ending, before one of these is a verb the table does not
# know; English sentences put no such word there.
_ROMANCE_ARTICLES = frozenset("el la los las un una unos unas il lo gli le les des du del "
                              "della os as uma".split())
# Spanish and Portuguese infinitives (and French -er, -ir); Italian and French -re is the
# wider shape `verbless` also takes.
INFINITIVE_ENDINGS = ("ar", "er", "ir")


def european_verbs(sentence: str) -> tuple[str, str, list[tuple[str, str]]] | None:
    """(lead, its kind, alternatives) when the sentence starts with a verb of the table, else
    None (and the English reading goes on)."""
    words = (_ASCII_WORD if sentence.isascii() else _WORD).findall(sentence[:300])
    if not words:
        return None
    if len(words) > 2 and plain(words[0]) == "pre" and kind_of(plain(words[1])) == v.READ:
        words = words[1:]  # "Pré-visualiza o template": the prefix is written with a hyphen
    first = plain(words[0])
    kind = kind_of(first)
    if kind is not None and len(words) > 1 and plain(words[1]) in _NOUN_HERE.get(first, ()):
        return None  # "Importe pendiente de una reserva": Spanish's amount, not French's verb
    if kind is None and first in _SPLIT:
        particle, split_kind = _SPLIT[first]
        if particle in (plain(w) for w in words[1:30]):
            kind = split_kind
    if (kind is None and len(words) > 1 and len(first) > 5 and first.endswith(INFINITIVE_ENDINGS)
            and plain(words[1]) in _ROMANCE_ARTICLES and words[1].islower()):
        # "Resetear la quota del proyecto a cero": fail closed, an unknown action is taken to
        # change something.
        return words[0].lower(), v.WRITE, []
    if (kind is None and 1 < len(words) <= _SHORT_COMMAND
            and _ENGLISH_SMALL_WORDS.isdisjoint(plain(word) for word in words)):
        if ("&" in sentence or "," in sentence) and not sentence[:1].islower():
            # Not inside brackets: "Rechnungen mit Status (Entwurf, offen, bezahlt)" lists
            # states, no commands.
            words = _WORD.findall(_PHRASE_JOINS.sub(" und ", _BRACKETED.sub(" ", sentence[:300])))
        plains = [plain(word) for word in words]
        unknown = _unknown_infinitive(words, plains)
        if unknown is not None:
            # "Alte Backups bereinigen und verbleibende auflisten": a verb the table lacks.
            # Fail closed: an unknown action is taken to change something.
            return unknown, v.WRITE, []
        if plains[-1] in _FINAL_INFINITIVES:
            # "Rechnung löschen", "Inhaltsverzeichnis eines Handbuchs abrufen": a German
            # command written as a phrase puts its infinitive last. Phrases joined ("Rechnung
            # erstellen und als PDF anzeigen") each do: the riskiest leads, the others beside.
            said = [(words[i].lower(), _KIND[word]) for i, word in enumerate(plains)
                    if word in _FINAL_INFINITIVES]
            lead = max(said, key=lambda pair: KIND_ORDER[pair[1]])
            return lead[0], lead[1], [pair for pair in said if pair != lead]
    if kind is None:
        return None
    if first in _PRODUCERS and _put_in_a_folder([plain(word) for word in words[1:40]]):
        # "Exporte le pointage ... au format CSV dans le dossier partagé de la mairie": the
        # file is written to that folder, as "Export ... into the shared directory" is.
        return words[0].lower(), v.WRITE, []
    alternatives: list[tuple[str, str]] = []
    for i in range(1, min(len(words) - 1, _ALTERNATIVES_WITHIN)):
        joint = plain(words[i])
        if joint in _JOINS or joint in _PURPOSES or (
                joint == "de" and plain(words[i - 1]) in ("avant", "antes")):
            at = i + 1
            if plain(words[at]) in _SEQUENCE and at + 1 < len(words):
                at += 1  # "y luego ...", "und dann ..."
            if plain(words[at]) in _OBJECT_PRONOUNS and at + 1 < len(words):
                at += 1  # "Obtiene los mensajes y los elimina": the pronoun comes first
            other = kind_of(plain(words[at]))
            if other is not None and KIND_ORDER[other] != KIND_ORDER[kind]:
                alternatives.append((words[at].lower(), other))
    return words[0].lower(), kind, alternatives


# Forms of the table that are a noun of another language, and the words after which they are
# that noun: Spanish "importe" (an amount) before what it is of or how it stands, where the
# French verb "importe" takes an article.
_NOUN_HERE: dict[str, frozenset[str]] = {
    "importe": frozenset("pendiente pendientes total totales neto bruto adeudado restante "
                         "final de del por".split()),
}


# Reading forms that hand back a file, and the words by which a sentence puts it in a folder
# instead (dans/en/in/na/nella ... le dossier, la carpeta, a pasta, la cartella, den Ordner,
# de map).
_PRODUCERS = frozenset(
    """
    exporte exporter exporta exportar esporta esportare exportiert exportieren exporteert
    telecharge telecharger descarga descargar scarica scaricare baixa baixar herunterladen
    """.split())
_INTO_FOLDER = frozenset("dans en in na nella nel nei im ins naar au no".split())
_FOLDERS = frozenset(
    "dossier repertoire carpeta directorio pasta cartella ordner verzeichnis map folder".split())


def _put_in_a_folder(plains: list[str]) -> bool:
    """Do the words name a folder right after a word saying "in" or "into" ("dans le dossier
    partagé", "en la carpeta compartida", "im Ordner")?"""
    for i, word in enumerate(plains[:-1]):
        if word in _INTO_FOLDER and any(w in _FOLDERS for w in plains[i + 1:i + 4]):
            return True
    return False


# Small words of Spanish, Italian and Portuguese sentences that English ones do not use.
_ROMANCE_SMALL_WORDS = frozenset(
    "de del la el los las para por un una y con su sus al di il della per da do dos um uma"
    .split())


def romance_of_the(name_words: list[str], description_words: list[str]) -> bool:
    """Is the name's "del" the Spanish or Italian "of the" ("caja_del_dia", "asistencia del
    dia"), not the verb (`kv_del_key`)? Only between two words, and only when the description
    is written in such a language (two of its small words in its opening)."""
    if "del" not in name_words:
        return False
    at = name_words.index("del")
    if at == 0 or at == len(name_words) - 1:
        return False
    return sum(word in _ROMANCE_SMALL_WORDS for word in description_words[:20]) >= 2


# A later clause of Spanish, Portuguese, Italian or French that says in the impersonal passive
# ("se cancela", "si cancella": is cancelled) or with an object pronoun after "and" ("y los
# elimina", "et les marque": and deletes them, and marks them) what the call does to what it
# read: "Consulta el estado del pedido. Si el pedido está retrasado, se cancela y se reembolsa
# al cliente". Only a form of the table that acts counts ("se muestra", shown, reads); "si"
# before anything but such a form is "if".
_LATER_ROMANCE = re.compile(
    r"(?<![^\W\d_])(?:[Ss][ei]|(?:y|e|et|i)\s+(?:los|las|les|lo|la|le|li|gli))\s+([^\W\d_]+)")
_LATER_ROMANCE_WINDOW = 1200
# Small words of those languages, one of which a first sentence written in one nearly always
# holds and an English one nearly never: `later_romance_act` is asked only then.
ROMANCE_WORDS = frozenset(
    "el los las del les des du il di della dei delle degli por para pour avec une uno una au "
    "aux".split())


def later_romance_act(description: str) -> tuple[str, str] | None:
    """(word, kind) of an act a later clause in a Romance language says the call performs
    (`_LATER_ROMANCE`), or None. Asked of descriptions whose first sentence holds one of
    `ROMANCE_WORDS`."""
    for found in _LATER_ROMANCE.finditer(description, 0, _LATER_ROMANCE_WINDOW):
        word = found.group(1)
        kind = kind_of(plain(word))
        if kind is not None and kind != v.READ and len(word) > 3:
            return word.lower(), kind
    return _later_sentence_act(description)


# A later sentence opening with a capital and then a word and the word after it: "...
# Supprime les lignes de plus d'un an", "... Envía el informe al director".
_LATER_SENTENCE = re.compile(r"[.;!?]\s+([^\W\d_a-z][^\W\d_]+)\s+([^\W\d_]+)")
# Forms that add something only by sending or publishing it: a later sentence opening with
# one sends what was read ("Envoie le rapport au directeur"). Other forms that add ("Génère
# un rapport", "Valide les paramètres") say too little of what is kept.
_OUTWARD_FORMS = frozenset(
    "envoie envoyer envia enviar invia inviare publie publier publica publicar pubblica "
    "pubblicare partage partager comparte compartir compartilha condivide notifie notifica "
    "sendet verschickt".split())


def _later_sentence_act(description: str) -> tuple[str, str] | None:
    """(word, kind) of a later sentence of a Romance description opening with a third person
    or an imperative that removes or pays ("Supprime les anciennes lignes", "Elimina los
    duplicados"), or that changes, runs or sends before an article, what it is done to
    ("Modifie le statut du dossier", "Envía el informe al director"), or None. As English
    later sentences are read by `descriptions.later_act`."""
    for found in _LATER_SENTENCE.finditer(description, 0, _LATER_ROMANCE_WINDOW):
        word, after = plain(found.group(1)), plain(found.group(2))
        kind = kind_of(word)
        if kind is not None and (kind in (v.REMOVE, v.MONEY) or (
                after in _ROMANCE_ARTICLES and (kind in (v.MODIFY, v.EXECUTE)
                                                or word in _OUTWARD_FORMS))):
            return found.group(1).lower(), kind
    return None

