"""Money wordings of families the corpus covers thinly (accounting, payroll, billing, banking),
judged as a user meets them: the installed `policytui tools --from FILE --json` lists each
tool's category from a snapshot of the tools."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

POLICYTUI = Path(sys.executable).parent / "policytui"
AMOUNT = {"amount": {"type": "number"}}


def categories(tmp_path: Path, tools: list[dict[str, Any]]) -> dict[str, str]:
    """{tool name: category} as `policytui tools --json` prints them for `tools`."""
    snapshot = tmp_path / "money-server.json"
    snapshot.write_text(json.dumps({"tools": tools}), encoding="utf-8")
    done = subprocess.run([str(POLICYTUI), "tools", "--from", str(snapshot), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return {row["name"]: row["category"] for row in json.loads(done.stdout)["tools"]}


def tool(name: str, description: str, properties: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    return {"name": name, "description": description,
            "inputSchema": {"type": "object", "properties": properties or {}}}


# ----- writing off what is owed -----------------------------------------------------------------

@pytest.mark.parametrize("name,description,properties,expected", [
    ("write_off_receivable", "Write off an uncollectible receivable as bad debt.",
     {"invoice_id": {"type": "string"}, **AMOUNT}, "Financial"),
    ("writeoff_balance", "Writes off a customer's remaining balance.", {}, "Financial"),
    # a reader of write-offs and a writer of files stay as they were
    ("list_write_offs", "List the write-offs booked in a period.", {}, "Read"),
    ("write_output", "Write the output to a file.", {"path": {"type": "string"}}, "Write"),
])
def test_writing_off_what_is_owed_is_financial(tmp_path, name, description, properties,
                                               expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


# ----- usage reported to a metered price --------------------------------------------------------

@pytest.mark.parametrize("name,description,properties,expected", [
    ("report_usage", "Report metered usage for a subscription item; it is billed at the end of "
     "the period.", {"subscription_item": {"type": "string"}, "quantity": {"type": "integer"}},
     "Financial"),
    ("create_usage_record", "Create a usage record on a metered price.",
     {"subscription_item_id": {"type": "string"}, "quantity": {"type": "integer"}}, "Financial"),
    ("meter_event", "Record usage for a customer. Billable events are invoiced monthly.",
     {"customer_id": {"type": "string"}, "value": {"type": "integer"}}, "Financial"),
    # usage shown, and usage tracked with no bill in sight, are no charge
    ("get_usage", "Get metered usage for a subscription item.", {}, "Read"),
    ("usage_report", "Usage report of a metered subscription, by day.", {}, "Read"),
    ("send_usage_summary", "Send the usage summary to the team by email.",
     {"to": {"type": "string"}}, "Write"),
])
def test_usage_reported_to_a_metered_price_is_financial(tmp_path, name, description, properties,
                                                        expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


# ----- a command the tables lack, said again by the description with what it acts on ------------

@pytest.mark.parametrize("name,description,properties,expected", [
    ("originate_ach", "Originate an ACH credit or debit to a counterparty.",
     {"counterparty_id": {"type": "string"}, "amount_cents": {"type": "integer"}}, "Financial"),
    ("remediate_dispute", "Remediates a chargeback on the merchant's account.",
     {"dispute_id": {"type": "string"}}, "Financial"),
    # what a bracket explains, a what-if, and an object with nothing paid stay as they were
    ("explode_parts", "Explode a parts list (bill of materials) into single components.",
     {"assembly_id": {"type": "string"}}, "Write"),
    ("simulate_promotion", "Simulate a promotion against last month's orders and return the "
     "projected revenue.", {"promotion_id": {"type": "string"}}, "Write"),
    ("originate_lead", "Originate a lead for the sales team.", {"email": {"type": "string"}},
     "Write"),
])
def test_a_command_the_tables_lack_acts_on_what_its_description_names(
        tmp_path, name, description, properties, expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


# ----- something handed in for reimbursement ---------------------------------------------------

@pytest.mark.parametrize("name,description,properties,expected", [
    ("submit_expense_claim", "Submit an expense claim with receipts for approval and "
     "reimbursement.", {"amount": {"type": "number"}, "currency": {"type": "string"}},
     "Financial"),
    ("claim_for_reimbursement", "Claim travel costs with the receipts attached.",
     {"reimbursee_id": {"type": "string"}}, "Financial"),
    ("file_mileage", "File a mileage log to be reimbursed at the standard rate.",
     {"distance": {"type": "number"}}, "Financial"),
    # reading about reimbursement, or handing over a file (its proof), stays as it was
    ("upload_receipt_for_reimbursement", "Upload a receipt image for reimbursement "
     "processing.", {"reimbursee_id": {"type": "string"}}, "Write"),
    ("check_reimbursement_eligibility", "Check whether an expense is eligible for "
     "reimbursement.", {"expense_id": {"type": "string"}}, "Read"),
    ("upload_receipt", "Upload a receipt image and attach it to a card transaction.",
     {"transaction_id": {"type": "string"}}, "Write"),
])
def test_something_handed_in_for_reimbursement_is_financial(tmp_path, name, description,
                                                            properties, expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


# ----- a title that names a payroll run --------------------------------------------------------

@pytest.mark.parametrize("name,description,properties,expected", [
    ("payroll_off_cycle", "Off-cycle payroll: a one-off payment to one employee (bonus, "
     "correction).", {"employee_id": {"type": "string"}, "gross_amount": {"type": "number"}},
     "Financial"),
    ("adhoc_run", "Ad-hoc payroll: extra pay for one worker, sent today.",
     {"worker_id": {"type": "string"}, "amount": {"type": "number"}}, "Financial"),
    # a title naming payroll over what is shown stays a reader
    ("payroll_calendar", "Payroll: the pay dates of the year.", {"year": {"type": "integer"}},
     "Read"),
])
def test_a_title_naming_a_payroll_run_is_financial(tmp_path, name, description, properties,
                                                   expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


# ----- what is done "against" something else ---------------------------------------------------

@pytest.mark.parametrize("name,description,properties,expected", [
    ("record_payment_received", "Record a customer payment against one or more invoices.",
     {"customer_id": {"type": "string"}, "amount": {"type": "number"}}, "Financial"),
    ("apply_cash", "Apply a customer payment against an open invoice.",
     {"invoice_id": {"type": "string"}}, "Financial"),
    # what the act is done against is not what is acted on
    ("log_note", "Log a note against an invoice.", {"invoice_id": {"type": "string"}}, "Write"),
])
def test_what_an_act_is_done_against_ends_its_object(tmp_path, name, description, properties,
                                                     expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


# ----- a later clause that says the call moves money (the made-up tools' round) ----------------

_MADE_UP = Path(__file__).parent / "fixtures" / "redteam" / "made-up-servers.json"
_LATER_MONEY = "27-a-later-clause-that-moves-money"
# The stored money tools of that shape, by server and name, each missed before the rule.
_LATER_MONEY_STORED = {(883, "quote_stay"), (883, "folio_balance"), (888, "getInvoice"),
                       (888, "dunning_run"), (888, "invoice_finalization"),
                       (903, "customer_balance"), (903, "invoices")}


def test_the_tools_command_calls_a_later_clause_that_moves_money_financial(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # twenty-seventh round's tools (tools whose later clause says the call charges, pays,
    # credits, posts charges or sends a bill for collection, and near ones phrased alike) and
    # of the seven stored money tools of that shape.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _LATER_MONEY
                   for found in server["tools"]]
    stored = [found for at, server in enumerate(made_up["servers"]) for found in server["tools"]
              if (at, found["name"]) in _LATER_MONEY_STORED]
    assert len(round_tools) == 13 and len(stored) == 7
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for found in round_tools + stored]
    found = categories(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "price_rental": "Financial", "tab_total": "Financial", "gift_card": "Financial",
        "stay_estimate": "Read", "list_folio_charges": "Read", "rename_folio": "Destructive",
        "membership": "Financial", "dunning_queue": "Financial", "fetch_bill": "Financial",
        "statement_close": "Financial", "renewal_check": "Read",
        "get_billing_contact": "Read", "invoice_status": "Read"}
    assert all((found[spec["name"]] == "Financial") == spec["money"] for spec in round_tools)
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert {spec["name"]: found[spec["name"]] for spec in stored} == dict.fromkeys(
        (name for _, name in sorted(_LATER_MONEY_STORED)), "Financial")


# ----- usage that is billed: usage or billable events reported, something put on a bill -----

_SUBSCRIPTION_ITEM = {"subscription_item": {"type": "string"}, "quantity": {"type": "integer"}}


@pytest.mark.parametrize("name,description,properties,expected", [
    # billable or metered events reported, as usage is
    ("ingest_events", "Ingest billable events for customers on usage-based plans.",
     {"events": {"type": "array"}}, "Financial"),
    ("record_meter_event", "Record a meter event for a customer.",
     {"customer_id": {"type": "string"}}, "Financial"),
    ("send_events", "Send a batch of billable events for metered customers.",
     {"events": {"type": "array"}}, "Financial"),
    # usage reported with an argument that says how the quantity is written
    ("usage_record", "Report metered usage for a subscription item.",
     {**_SUBSCRIPTION_ITEM, "action": {"type": "string", "enum": ["increment", "set"]}},
     "Financial"),
    # something put on someone's bill, tab or folio by the call
    ("addExtra", "Add an extra service (rug change, clipping, hay top-up) to the owner's "
     "monthly livery bill.", {"service": {"type": "string"}}, "Financial"),
    ("add_to_tab", "Add a drink to the guest's bar tab.", {"item": {"type": "string"}},
     "Financial"),
    ("post_minibar", "Posts the minibar items to the room folio.", {"stay": {"type": "string"}},
     "Financial"),
    # a quantity added at a rate that prices it
    ("extend_stay", "Extend a stay by a number of nights. Extra nights are added to the booking "
     "at the current nightly rate.", {"nights": {"type": "integer"}}, "Financial"),
    ("accrue_interest", "Accrue interest on all open loan accounts up to the given date.",
     {"as_of": {"type": "string"}}, "Financial"),
    # usage and events read, and things put on a bill that pay nothing, stay as they were
    ("list_usage_records", "List the usage records of a subscription item.", {}, "Read"),
    ("get_usage_summary", "Get the metered usage summary for the current period.", {}, "Read"),
    ("preview_invoice", "Preview the upcoming invoice.", {}, "Read"),
    ("list_billable_events", "List the billable events ingested for a customer.", {}, "Read"),
    ("add_account_note", "Record a note on the customer's account.",
     {"text": {"type": "string"}}, "Write"),
    ("add_bill_note", "Add a note to the customer's next bill.", {"text": {"type": "string"}},
     "Write"),
    ("track_event", "Send an analytics event for the subscription page.",
     {"name": {"type": "string"}}, "Write"),
    ("add_part", "Add a part to the bill of materials.", {"part": {"type": "string"}}, "Write"),
    ("add_sponsor", "Add a co-sponsor to the bill in the legislature.",
     {"member": {"type": "string"}}, "Write"),
    ("add_widget", "Add a widget to the settings tab.", {"widget": {"type": "string"}}, "Write"),
    ("load_rows", "Load rows into the table. Rows are added at a rate of 100 a second.",
     {"rows": {"type": "array"}}, "Write"),
    ("set_counter", "Set a counter for a subscription item.",
     {**_SUBSCRIPTION_ITEM, "action": {"type": "string", "enum": ["increment", "set"]}},
     "Destructive"),
])
def test_usage_that_is_billed_is_financial(tmp_path, name, description, properties, expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


_BILLED_USAGE = "30-usage-that-is-billed"
# The stored money tools of that shape, by server and name, each missed before the rule.
_BILLED_USAGE_STORED = {(734, "extend-stay"), (743, "addExtra"), (786, "meterly_usage_record"),
                        (808, "usage.record"), (878, "accrue_interest"), (878, "events.ingest")}


def test_the_tools_command_calls_usage_that_is_billed_financial(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirtieth round's tools (usage or billable events reported, something put on a bill, a
    # tab or a folio, a quantity added at a rate, and near ones phrased alike) and of the six
    # stored money tools of that shape.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _BILLED_USAGE
                   for found in server["tools"]]
    stored = [found for at, server in enumerate(made_up["servers"]) for found in server["tools"]
              if (at, found["name"]) in _BILLED_USAGE_STORED]
    assert len(round_tools) == 14 and len(stored) == 6
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for found in round_tools + stored]
    found = categories(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "record_meter_event": "Financial", "push_billable_events": "Financial",
        "report_seat_usage": "Financial", "list_usage_records": "Read",
        "get_usage_summary": "Read", "preview_invoice": "Read", "list_billable_events": "Read",
        "add_to_tab": "Financial", "addOnService": "Financial", "extend_rental": "Financial",
        "accrue_card_interest": "Financial", "add_account_note": "Write",
        "add_bill_note": "Write", "get_folio": "Read"}
    assert all((found[spec["name"]] == "Financial") == spec["money"] for spec in round_tools)
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert {spec["name"]: found[spec["name"]] for spec in stored} == dict.fromkeys(
        (name for _, name in sorted(_BILLED_USAGE_STORED)), "Financial")


# ----- money named in another language ---------------------------------------------------------

@pytest.mark.parametrize("name,description,expected", [
    # a payment, payout, transfer, bill or payroll run named in another language, with an act
    ("skapa_utbetalning", "Skapar en utbetalning.", "Financial"),
    ("zlec_przelew", "Zleca przelew krajowy.", "Financial"),
    ("buat_tagihan", "Membuat tagihan baru.", "Financial"),
    ("odeme_olustur", "Ödeme oluşturur.", "Financial"),
    ("lohnlauf_freigeben", "Gibt den Lohnlauf des Monats frei.", "Financial"),
    ("zahlung_erfassen", "", "Financial"),
    # the thing paid right after the verb, what it is of or paid by after it
    ("prijmout_platbu_kartou", "Přijme platbu kartou.", "Financial"),
    ("crear_factura_cliente", "", "Financial"),
    # readers of them in the same languages stay readers
    ("zahlungen_auflisten", "Listet die Zahlungen eines Kunden.", "Read"),
    ("lista_przelewow", "Zwraca listę przelewów z rachunku.", "Read"),
    ("hamta_utbetalningar", "Hämtar utbetalningar för en period.", "Read"),
    ("odemeleri_listele", "Müşterinin ödemelerini listeler.", "Read"),
    ("seikyusho_ichiran", "請求書の一覧を返します。", "Read"),
    # the same verbs on what is no money act, and no money after the verb
    ("daten_erfassen", "Erfasst Arbeitszeiten für ein Projekt.", "Write"),
    ("dokument_freigeben", "Gibt ein Dokument frei.", "Write"),
    ("buat_laporan", "Membuat laporan penjualan.", "Write"),
    ("zlec_zadanie", "Zleca zadanie pracownikowi.", "Write"),
    ("crear_nota_cliente", "", "Write"),
])
def test_money_named_in_another_language_is_financial(tmp_path, name, description, expected):
    assert categories(tmp_path, [tool(name, description)])[name] == expected


_ABROAD = "32-money-named-in-another-language"
# The stored money tools of that shape, by server and name, each missed before the rule.
_ABROAD_STORED = {(723, "prijmout_platbu_kartou"), (848, "zahlung_erfassen"),
                  (878, "buat_tagihan"), (878, "lohnlauf_freigeben"),
                  (878, "skapa_utbetalning"), (878, "zlec_przelew")}


def test_the_tools_command_calls_money_named_in_another_language_financial(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirty-second round's tools (payments, payouts, transfers and bills named in Swedish,
    # Norwegian, Dutch, Polish, Czech, Indonesian, Turkish and German, and readers of them in
    # the same languages) and of the six stored money tools of that shape.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _ABROAD
                   for found in server["tools"]]
    stored = [found for at, server in enumerate(made_up["servers"]) for found in server["tools"]
              if (at, found["name"]) in _ABROAD_STORED]
    assert len(round_tools) == 17 and len(stored) == 6
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for found in round_tools + stored]
    found = categories(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "skapa_betalning": "Financial", "zlec_przelew_zagraniczny": "Financial",
        "buat_tagihan_pelanggan": "Financial", "odeme_olustur": "Financial",
        "opprett_utbetaling": "Financial", "uitbetaling_aanmaken": "Financial",
        "tahsilat_kaydet": "Financial", "zahlungen_erfassen": "Financial",
        "prijmout_platbu_prevodem": "Financial", "zahlungen_auflisten": "Read",
        "cek_saldo": "Read", "lista_przelewow": "Read", "seikyusho_ichiran": "Read",
        "hamta_utbetalningar": "Read", "odemeleri_listele": "Read", "lohnlauf_anzeigen": "Read",
        "tagihan_cari": "Read"}
    assert all((found[spec["name"]] == "Financial") == spec["money"] for spec in round_tools)
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert {spec["name"]: found[spec["name"]] for spec in stored} == dict.fromkeys(
        (name for _, name in sorted(_ABROAD_STORED)), "Financial")


# ----- money named noun first, its verb after it, in another language -------------------------

@pytest.mark.parametrize("name,description,expected", [
    # an infinitive of the table after the thing it acts on, in Spanish and Dutch
    ("factura_crear", "", "Financial"),
    ("cfdi_cancelar", "", "Financial"),
    ("cfdi_timbrar", "", "Financial"),
    ("factuur_versturen", "", "Financial"),
    # ... with what the invoice is sent by after it
    ("factura_enviar_correo", "", "Financial"),
    # Turkish "al" (take) and Japanese verbal nouns, last in the name
    ("odeme_al", "", "Financial"),
    ("seikyusho_hakko", "", "Financial"),
    # the same shape on what is no money acts, and a reminder of an invoice moves none
    ("cliente_eliminar", "", "Destructive"),
    ("yedek_al", "", "Write"),
    ("factura_enviar_recordatorio", "", "Write"),
    # readers in the same languages stay readers
    ("saldo_cek", "Menampilkan saldo merchant.", "Read"),
    ("cek_saldo", "Menampilkan saldo merchant.", "Read"),
    ("odemeleri_listele", "", "Read"),
    ("seikyusho_ichiran", "請求書の一覧を返します。", "Read"),
    ("listar_transacoes_cartao", "", "Read"),
    ("factura_listar", "Lista las facturas del mes.", "Read"),
    # nouns ending like an infinitive are no verb: copper, a genre
    ("precio_cobre", "", "Other"),
    ("libro_genere", "", "Other"),
])
def test_money_named_noun_first_in_another_language_is_financial(tmp_path, name, description,
                                                                 expected):
    assert categories(tmp_path, [tool(name, description)])[name] == expected


_NOUN_FIRST = "33-money-missed-names-and-consequences"
# The stored money tools of that shape, by server and name, each missed before the rule.
_NOUN_FIRST_STORED = {(739, "factuur_versturen"), (787, "factura_timbrar"),
                      (810, "cfdi_cancelar"), (810, "cfdi_timbrar"), (878, "odeme_al"),
                      (878, "seikyusho_hakko")}


def test_the_tools_command_calls_money_named_noun_first_financial(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirty-third round's tools (invoices and payments named noun first in Japanese romaji,
    # Dutch, Turkish, Spanish and Italian, and readers of them; billing a call resumes and
    # drafts it makes open, beside a billing worker restarted and a reader of billing's
    # state) and of the six stored money tools named noun first.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _NOUN_FIRST
                   for found in server["tools"]]
    stored = [found for at, server in enumerate(made_up["servers"]) for found in server["tools"]
              if (at, found["name"]) in _NOUN_FIRST_STORED]
    assert len(round_tools) == 16 and len(stored) == 6
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for found in round_tools + stored]
    found = categories(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "seikyusho_sakusei": "Financial", "factuur_aanmaken": "Financial",
        "pos_odeme_al": "Financial", "factura_crear": "Financial",
        "cfdi_pago_timbrar": "Financial", "fattura_inviare": "Financial",
        "saldo_cek": "Read", "odeme_gecmisi_getir": "Read", "seikyusho_kensaku": "Read",
        "listar_transacoes_cartao": "Read", "factura_consultar": "Read",
        "cfdi_descargar_xml": "Read", "resume_membership": "Financial",
        "close_billing_period": "Financial", "restart_billing_worker": "Execute",
        "membership_billing_state": "Read"}
    assert all((found[spec["name"]] == "Financial") == spec["money"] for spec in round_tools)
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert {spec["name"]: found[spec["name"]] for spec in stored} == dict.fromkeys(
        (name for _, name in sorted(_NOUN_FIRST_STORED)), "Financial")


# ----- billing said to stop, start or resume, and drafts said to become bills ------------------

@pytest.mark.parametrize("name,description,expected", [
    ("pause_membership", "Pause a paid membership; billing resumes when it is unpaused.",
     "Financial"),
    ("resume_membership", "Resumes a frozen membership; billing restarts on the next cycle.",
     "Financial"),
    ("stop_instance", "Stops the instance; billing stops until it is started again.",
     "Financial"),
    ("close_billing_period", "Closes the month for an account: draft invoices become open.",
     "Financial"),
    ("finalize_draft", "Finalizes a draft. The invoice becomes due in 14 days.", "Financial"),
    # a program or a battery restarting or stopping, and a reader of billing's state
    ("restart_billing_worker", "Restarts the billing worker; queued exports start again.",
     "Execute"),
    ("restart_billing_service", "Restarts the service; the billing service restarts in 10 s.",
     "Execute"),
    ("start_ev_charging", "Starts a session at the bay; charging stops at the set limit.",
     "Execute"),
    # ... and a time said by billing ("before billing starts")
    ("accept_terms", "Accept the terms of the plan before billing starts.", "Write"),
    ("membership_billing_state",
     "Shows whether billing is paused for a membership and when it resumes.", "Read"),
])
def test_billing_a_call_stops_or_resumes_is_financial(tmp_path, name, description, expected):
    assert categories(tmp_path, [tool(name, description)])[name] == expected


# ----- money things named in plain English -----------------------------------------------------

@pytest.mark.parametrize("name,description,expected", [
    # stored value on a gift or prepaid card: loaded, reloaded, voided, made
    ("reload_gift_card", "Reload a customer's gift card with more stored value.", "Financial"),
    ("giftcard.load", "Load value onto an existing gift card.", "Financial"),
    ("void_prepaid_card", "Void a prepaid card so its balance can no longer be spent.",
     "Financial"),
    ("mkt_crea_gift_card", "Crea una carta regalo con un saldo iniziale.", "Financial"),
    # the run or program that pays what is due, a document posted to the books
    ("execute_payment_run", "Execute the payment run for the vendors due.", "Financial"),
    ("F110_PAYMENT_RUN_EXECUTE", "Executes the automatic payment program for the given run date.",
     "Financial"),
    ("post_document", "Post an accounting document with its line items.", "Financial"),
    # a check or a cheque paid in, a card's limit changed, collateral moved
    ("deposit_check", "Deposit a check image into an account.", "Financial"),
    ("deposit_cheque", "", "Financial"),
    ("update_card_limits", "Update the limits of a card.", "Financial"),
    ("updateCardLimits",
     "Change the spend limit, interval or merchant category restrictions on an existing card.",
     "Financial"),
    ("margin_topup", "Move collateral from spot wallet into the isolated margin account.",
     "Financial"),
    ("withdraw_collateral", "Withdraw collateral from a vault.", "Financial"),
    # an act billed per call, and a donation named in Spanish
    ("background_check_start",
     "Starts a background check with the screening provider (fee per check).", "Financial"),
    ("donar", "Realiza una donación recurrente a la campaña.", "Financial"),
    ("crear_donacion", "", "Financial"),
    # the same words where no money moves
    ("resend_gift_card_email", "Resend the gift card email to its recipient.", "Write"),
    ("issue_access_card", "Issue an access card to a new employee.", "Write"),
    ("update_spend_limit", "Update a spend limit's name and members.", "Destructive"),
    ("update_rate_limit", "Update the rate limit of an API key.", "Destructive"),
    ("run_batch", "Run the nightly import batch.", "Execute"),
    ("post_page", "Post a document to the team's wiki.", "Write"),
    ("create_sales_collateral", "Create sales collateral for a product launch.", "Write"),
    ("start_scan", "Starts a scan of the repository. No fee per scan.", "Execute"),
    ("createDiscountCode",
     "Create a discount code (percentage or fixed amount) customers can use at checkout.",
     "Write"),
    # readers of each stay readers
    ("get_gift_card_balance", "Get the remaining balance on a gift card.", "Read"),
    ("get_card_limits", "Get the spend limits set on a card.", "Read"),
    ("list_postings", "List the accounting documents posted in a period.", "Read"),
    ("margin_requirements", "Margin requirements for each open position.", "Read"),
    ("payment_run_status", "Status of a payment run and the payments it made.", "Read"),
    ("verify_check", "Verify that a check image is readable.", "Read"),
    ("list_discount_codes", "List the store's discount codes.", "Read"),
])
def test_money_things_named_in_plain_english_are_financial(tmp_path, name, description,
                                                           expected):
    assert categories(tmp_path, [tool(name, description)])[name] == expected


_THINGS = "35-money-things-in-plain-english"
# The stored money tools of that shape, by server and name, each missed before the rules.
_THINGS_STORED = {(681, "background_check_start"), (812, "updateCardLimits"),
                  (822, "mkt_crea_gift_card"), (876, "deposit_check"),
                  (878, "BAPI_ACC_DOCUMENT_POST"), (878, "F110_PAYMENT_RUN_EXECUTE"),
                  (878, "donar"), (878, "giftcard.load"), (878, "margin_topup")}


def test_the_tools_command_calls_money_things_in_plain_english_financial(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirty-fifth round's tools (a gift card reloaded or voided, a payment run executed, an
    # accounting document posted, a cheque deposited, a card's limit updated, collateral
    # added, a check billed per call, a donation in Spanish, their readers and a gift card's
    # email resent) and of the nine stored money tools of those shapes.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _THINGS
                   for found in server["tools"]]
    stored = [found for at, server in enumerate(made_up["servers"]) for found in server["tools"]
              if (at, found["name"]) in _THINGS_STORED]
    assert len(round_tools) == 16 and len(stored) == 9
    tools = [{key: value for key, value in found.items() if key not in ("acts", "money")}
             for found in round_tools + stored]
    found = categories(tmp_path, tools)
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "reload_gift_card": "Financial", "void_gift_card": "Financial",
        "execute_payment_run": "Financial", "post_journal_document": "Financial",
        "deposit_cheque": "Financial", "update_card_limit": "Financial",
        "add_margin_collateral": "Financial", "start_identity_verification": "Financial",
        "crear_donacion": "Financial", "get_gift_card_balance": "Read",
        "list_discount_codes": "Read", "margin_requirements": "Read", "get_card_limits": "Read",
        "list_postings": "Read", "payment_run_status": "Read",
        "resend_gift_card_email": "Write"}
    assert all((found[spec["name"]] == "Financial") == spec["money"] for spec in round_tools)
    # `payment_run_status` ("Status of a payment run: proposed, executed or failed") reads:
    # the participles after its colon are the states the run's status takes.
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    assert {spec["name"]: found[spec["name"]] for spec in stored} == dict.fromkeys(
        (name for _, name in sorted(_THINGS_STORED)), "Financial")


# ----- readers of money named by what they read of it ------------------------------------------

_READERS_OF_MONEY = "36-readers-of-money-called-financial"
# The stored readers of money the thirty-sixth round's rules read, and the stored setter of a
# payout schedule they must leave acting.
_READERS_OF_MONEY_STORED = {(725, "roast_statement"), (860, "payout_schedule"),
                            (879, "gyeoljae_naeyeok"), (879, "refund_eligibility"),
                            (888, "payout_schedule"), (903, "PayoutsToday"),
                            (923, "payout_schedule")}


def test_the_tools_command_reads_readers_of_money_named_by_what_they_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirty-sixth round's tools (a payout schedule, a refund's eligibility, payouts arriving,
    # refunds issued, an account's invoices and payments, payments and transfers looked up in
    # Korean and Japanese, beside tools phrased alike that set a schedule, refund, send
    # payouts, void a charge and cancel a payment) and of the stored tools of those shapes.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"]
                   if server["round"] == _READERS_OF_MONEY for found in server["tools"]]
    assert len(round_tools) == 13
    found = categories(tmp_path, [{key: value for key, value in spec.items()
                                   if key not in ("acts", "money")} for spec in round_tools])
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "seller_payout_schedule": "Read", "refund_eligibility": "Read",
        "payouts_upcoming": "Read", "refunds_recent": "Read", "account_summary": "Read",
        "songgeum_naeyeok": "Read", "shiharai_rireki": "Read",
        "payout_schedule": "Destructive", "set_payout_schedule": "Destructive",
        "refund_eligible_order": "Financial", "payouts_today_send": "Financial",
        "charge_reversal": "Financial", "gyeoljae_chwiso": "Financial"}
    assert all((found[spec["name"]] == "Financial") == spec["money"] for spec in round_tools)
    assert all((found[spec["name"]] != "Read") == spec["acts"] for spec in round_tools)
    # Each stored tool on a snapshot of its own server, as the made-up servers are scored.
    stored = {}
    for at in sorted({at for at, _ in _READERS_OF_MONEY_STORED}):
        server = made_up["servers"][at]
        (tmp_path / str(at)).mkdir()
        shown = categories(tmp_path / str(at), [
            {key: value for key, value in spec.items() if key not in ("acts", "money")}
            for spec in server["tools"]])
        stored.update({(at, name): shown[name] for name in shown
                       if (at, name) in _READERS_OF_MONEY_STORED})
    assert stored == {(725, "roast_statement"): "Other", (860, "payout_schedule"): "Destructive",
                      (879, "gyeoljae_naeyeok"): "Read", (879, "refund_eligibility"): "Read",
                      (888, "payout_schedule"): "Destructive", (903, "PayoutsToday"): "Read",
                      (923, "payout_schedule"): "Read"}


# ----- money verbs and objects of other languages, balances loaded, disputes conceded ----------

@pytest.mark.parametrize("name,description,properties,expected", [
    # an order to buy or sell named in Spanish and Italian, as "order" is in English
    ("crear_orden_limite", "Crea una orden límite de compra.", {"precio": {"type": "number"}},
     "Financial"),
    ("annulla_ordine", "Annulla un ordine non ancora spedito.", {"ordine_id": {"type": "string"}},
     "Financial"),
    # money paid out, settled or credited by a verb of another language
    ("verser_prime", "Verse la prime au bénéficiaire.", {"montant": {"type": "number"}},
     "Financial"),
    ("liquidar_comision", "Liquida la comisión del agente.", {"agente_id": {"type": "string"}},
     "Financial"),
    # captured or withdrawn with money in sight; the same verbs on a screen or data do not pay
    ("capturar_pago_tarjeta", "Captura el cargo autorizado de la tarjeta.", AMOUNT, "Financial"),
    ("capturar_pantalla", "Captura la pantalla del navegador.", {}, "Write"),
    ("tarik_dana", "Menarik saldo ke rekening bank.", {"nominal": {"type": "number"}},
     "Financial"),
    # a stored balance loaded, in Turkish and Indonesian
    ("cuzdan_bakiye_yukle", "Cüzdana bakiye yükler.", {"tutar": {"type": "number"}},
     "Financial"),
    ("isi_saldo_kartu", "Isi ulang saldo kartu dari rekening bank.", {}, "Financial"),
    # a dispute conceded gives the amount back; one opened moves nothing yet
    ("concede_dispute", "Concede a card dispute; the amount goes back to the cardholder.",
     {"dispute_id": {"type": "string"}}, "Financial"),
    # an invoice finalised, named in French with the verb last
    ("facture_finaliser_lot", "Finalise les factures du lot.", {}, "Financial"),
    ("devis_finaliser", "Finalise un devis.", {}, "Write"),
    ("rechnung_finaliser", "Finalise la facture.", {}, "Financial"),
    # a subscription named in German or French, switched
    ("abonnement_wechseln", "Wechselt das Abonnement des Kunden.", {}, "Financial"),
])
def test_money_named_by_verbs_and_objects_of_other_languages_is_financial(
        tmp_path, name, description, properties, expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


@pytest.mark.parametrize("name,description,expected", [
    # buying power (no verb: Other), funds held, a balance available for issuing, an order
    # looked up by id
    ("account_buying_power", "Buying power and margin available to trade, by account.",
     "Other"),
    ("escrow_funds", "Funds held in escrow per listing, and when they are due to release.",
     "Read"),
    ("card_funding_balance", "Funding balance available for issuing virtual cards.", "Read"),
    ("getPurchaseOrder", "Order by id or number: lines, supplier, totals.", "Read"),
    # the same words as commands stay riskier
    ("release_escrow_funds", "Release the funds held in escrow to the seller.", "Financial"),
    ("sell_power", "Sell power to the grid at the spot price.", "Financial"),
])
def test_readers_of_money_named_as_held_available_or_looked_up_are_not_financial(
        tmp_path, name, description, expected):
    assert categories(tmp_path, [tool(name, description)])[name] == expected



# ----- FIX messages, points redeemed, a tab voided, and readers of money in other words ---------

@pytest.mark.parametrize("name,description,properties,expected", [
    # a FIX message type before the sentence is no verb "fix", and a request the name ends
    # with is the call itself: the order named before the verb is what it acts on
    ("OrderCancelRequest", "FIX 35=F. Cancels a resting order.", {}, "Financial"),
    ("NewOrderSingle", "FIX 35=D. Submits a new order to the venue.",
     {"OrderQty": {"type": "number"}}, "Financial"),
    ("NewOrderSingle", "FIX 4.4 35=D: Submits a new order.", {}, "Financial"),
    ("ticket_cancel_request", "Cancel a ticket request.", {}, "Destructive"),
    # loyalty points or miles redeemed, or converted into a voucher, spend what they are worth
    ("redeem_miles", "Redeem miles for a seat upgrade.", {}, "Financial"),
    ("canjear_puntos", "Canjea puntos por un descuento en la próxima compra.", {}, "Financial"),
    ("converti_punti_buono", "Converte i punti in un buono sconto.", {}, "Financial"),
    ("convert_data_points", "Convert data points to CSV.", {}, "Read"),
    ("rewards_catalog", "Rewards a member can redeem points for.", {}, "Read"),
    # a line voided on a tab is no longer owed; a browser's tab is closed
    ("void_tab_line", "Void a line on a guest's tab.", {}, "Financial"),
    ("close_tab", "Close a browser tab.", {}, "Write"),
])
def test_fix_orders_points_redeemed_and_tabs_voided_are_financial(tmp_path, name, description,
                                                                  properties, expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


@pytest.mark.parametrize("name,description,expected", [
    # "purchases" after "in-app" is a noun, not the tool buying on the way
    ("restore_purchases", "List the in-app purchases the user already owns, to unlock them on "
     "a new device.", "Destructive"),
    # Spanish "importe" (an amount) before what it is of; French "importe" still imports
    ("saldo_pendiente", "Importe pendiente de una factura y pagos recibidos.", "Other"),
    ("importar_contactos", "Importe les contacts depuis un fichier.", "Write"),
    # a Dutch participle before "en" is an adjective of a list, no unknown command
    ("geplande_incasso", "Geplande en periodieke incasso's voor de komende maand.", "Other"),
    # an Italian view named before the money word it lists
    ("storico_refund", "Restituisce i refund degli ultimi 30 giorni.", "Read"),
])
def test_readers_of_money_in_other_words_are_not_financial(tmp_path, name, description,
                                                           expected):
    assert categories(tmp_path, [tool(name, description)])[name] == expected


_MONEY_FOUND = "38-money-found-and-readers-of-money-left-as-readers"
# The stored tools of those shapes, by server and name, and what each is now: seven money
# acts missed before, and six readers called Financial before.
_MONEY_FOUND_STORED = {(705, "voidTabItem"): "Financial",
                       (789, "autorisierung_stornieren"): "Financial",
                       (789, "bestellung_erfassen"): "Financial",
                       (804, "capturar_transacao_cartao"): "Financial",
                       (822, "mkt_accredita_credito"): "Financial",
                       (878, "OrderCancelReplaceRequest"): "Financial",
                       (878, "tarik_saldo"): "Financial", (709, "saldo_reserva"): "Other",
                       (790, "gl_funding_balance"): "Read", (820, "geplande_betalingen"): "Other",
                       (822, "mkt_calendario_payout"): "Read", (847, "getOrder"): "Read",
                       (928, "restore_purchases"): "Destructive"}


def test_the_tools_command_finds_money_and_leaves_its_readers_unpaid(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on a snapshot of the
    # thirty-eighth round's tools (orders placed and cancelled on a brokerage and a crypto
    # exchange, payroll runs, insurance claims paid, escrow released, sellers paid out, points
    # redeemed, tax paid and refunded, invoices finalised, voided and marked paid, wallets
    # topped up, disputes conceded, plans switched and subscriptions repriced, each beside its
    # readers) and of the stored tools of those shapes.
    made_up = json.loads(_MADE_UP.read_text(encoding="utf-8"))
    round_tools = [found for server in made_up["servers"] if server["round"] == _MONEY_FOUND
                   for found in server["tools"]]
    stored = [found for at, server in enumerate(made_up["servers"]) for found in server["tools"]
              if (at, found["name"]) in _MONEY_FOUND_STORED]
    assert len(round_tools) == 56 and len(stored) == 13
    found = categories(tmp_path, [{key: value for key, value in spec.items()
                                   if key not in ("acts", "money")}
                                  for spec in round_tools + stored])
    assert {spec["name"]: found[spec["name"]] for spec in round_tools} == {
        "submitOrder": "Financial", "CancelOrder": "Financial", "order.replace": "Financial",
        "getQuote": "Read", "orders_open": "Read", "buying-power": "Other",
        "crear_orden_spot": "Financial", "cancelar_orden": "Financial",
        "retirar_cripto": "Financial", "consultar_saldo_billetera": "Read",
        "historial_ordenes": "Read", "cotizacion_conversion": "Write",
        "gehaltslauf_ausfuehren": "Financial", "PAYROLL_RUN_APPROVE": "Financial",
        "payroll.preview": "Read", "lohnkonto_anzeigen": "Read", "settle_claim": "Financial",
        "verser_indemnite": "Financial", "claim_reserve_estimate": "Write",
        "statut_sinistre": "Other", "escrow.release_funds": "Financial",
        "disburse_seller_earnings": "Financial", "liquida_venditore": "Financial",
        "escrow_status": "Read", "seller_earnings": "Read", "redeemPoints": "Financial",
        "punti_converti_buono": "Financial", "points_balance": "Read", "rewardsCatalog": "Read",
        "pay_estimated_tax": "Financial", "zaplac_podatek": "Financial",
        "claim_vat_refund": "Financial", "belastingaanslag_bekijken": "Other",
        "tax_due": "Read", "finalizeInvoice": "Financial", "invoice-void": "Financial",
        "markInvoicePaid": "Financial", "facture_finaliser": "Financial",
        "invoicePreview": "Read", "invoices_overdue": "Read", "isi_saldo": "Financial",
        "bakiye_yukle": "Financial", "wallet_charge": "Financial",
        "wallet.topup.limits": "Read", "cek_mutasi": "Write", "accept_dispute": "Financial",
        "aceitar_chargeback": "Financial", "list_disputes": "Read", "dispute_deadline": "Other",
        "switch_plan": "Financial", "abo_wechseln": "Financial", "proration_preview": "Read",
        "plan_options": "Read", "update_list_price": "Destructive",
        "reprice_subscription": "Financial", "price_history": "Read"}
    assert all((found[spec["name"]] == "Financial") == spec["money"] for spec in round_tools)
    # No acting tool of the round is Read; readers called riskier (none Financial) are the
    # false alarms stored in `known`.
    assert all(found[spec["name"]] != "Read" for spec in round_tools if spec["acts"])
    assert {(at, name): found[name] for at, name in _MONEY_FOUND_STORED} == _MONEY_FOUND_STORED


# ----- money said in other words, and readers of money left as readers -------------------------

@pytest.mark.parametrize("name,description,properties,expected", [
    # money taken, made or kept in a clause of its own after a reader's lead
    ("court_wait_estimate", "Estimated wait for a padel court; a deposit is taken on the card.",
     {"club": {"type": "string"}}, "Financial"),
    ("egress_overage", "Egress overage for the billing period: a charge is made to the saved "
     "card.", {}, "Financial"),
    ("late_cancel", "Late cancellation of a class: the fee is kept and the spot released.", {},
     "Financial"),
    ("locker_quote", "Locker price for a week; the payment is captured from the card.", {},
     "Financial"),
    # ... not a time another act is measured by, nor a lead that only reads
    ("egress_forecast", "Egress overage forecast for the period, before the charge is made.",
     {}, "Read"),
    ("court_wait_time", "Estimated wait for a padel court, by club.",
     {"club": {"type": "string"}}, "Read"),
    # kept, charged or sent on in Italian, German, Polish and Spanish
    ("cauzione_noleggio", "Noleggio concluso con danni: la cauzione viene trattenuta.", {},
     "Financial"),
    ("saeumnis", "Säumniszuschlag: die Gebühr wird dem Kunden berechnet.", {}, "Financial"),
    ("zwrot_kaucji", "Zwrot kaucji najemcy; kwota jest przelewana na rachunek.", {},
     "Financial"),
    ("pedidos_lote", "Lote de pedidos de compra: las órdenes se envían al mercado.", {},
     "Financial"),
    # ... not an amount worked out, nor debits made before the call
    ("flaechenpreis", "Flächenpreis: der Betrag wird anhand der Fläche berechnet.", {},
     "Other"),
    ("lastschriften_rueckblick", "Übersicht der Lastschriften, die im Mai abgebucht wurden.",
     {}, "Read"),
    # a deposit given back, "señal" only beside a booking, an order or an amount
    ("devolucion_fianza", "Devolución de la fianza del alquiler.",
     {"contrato": {"type": "string"}}, "Financial"),
    ("restitution_acompte", "Restitution de l'acompte au client.",
     {"dossier": {"type": "string"}}, "Financial"),
    ("devolver_senal_cita", "Devuelve la señal de una cita cancelada.",
     {"cita_id": {"type": "string"}, "importe": {"type": "number"}}, "Financial"),
    ("senal_sensor", "Devuelve la señal del sensor en dBm.", {"sensor": {"type": "string"}},
     "Read"),
    # orders submitted, named by the act's noun
    ("basketOrderPlacement", "Basket order placement for a list of tickers.", {}, "Financial"),
])
def test_money_said_by_a_clause_a_passive_or_a_noun_is_financial(tmp_path, name, description,
                                                                  properties, expected):
    assert categories(tmp_path, [tool(name, description, properties)])[name] == expected


@pytest.mark.parametrize("name,description,expected", [
    # the terms of a money act, named or asked, change nothing
    ("withdraw_limits", "Withdrawal limits for an account: daily and weekly.", "Read"),
    ("deposit_policy", "How long a deposit is held before a booking lapses.", "Read"),
    # ... not terms a call makes or removes
    ("create_policy", "Retention policy for a bucket.", "Write"),
    ("delete_policy", "Bucket policy.", "Destructive"),
    # the states a run's status takes, listed after a colon
    ("transfer_run_status", "Status of a transfer run: queued, settled or failed.", "Read"),
    # what someone else can do with what is listed
    ("perksCatalog", "Perks a member can spend credits on.", "Read"),
    # which of a plural or what is owed, said after it
    ("bills_open", "Open bills for the household.", "Read"),
    ("vat_due", "VAT due for the quarter, by country.", "Read"),
    ("invoices_unpaid", "Invoices unpaid after 30 days, oldest first.", "Read"),
    # views no language uses as a verb, before an article
    ("previsao_repasses", "Previsão das cobranças da semana.", "Read"),
])
def test_readers_of_money_due_open_limited_or_listed_stay_read(tmp_path, name, description,
                                                                expected):
    assert categories(tmp_path, [tool(name, description)])[name] == expected
