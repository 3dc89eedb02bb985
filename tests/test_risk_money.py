"""General money patterns of the classifier (policytui/risk/money.py): what-ifs, records of the
past, parts of a money document, conversions into money owed, paying on the way, amounts
nested one level down, and changes that touch only a money document's details."""

from __future__ import annotations

import pytest

from policytui.risk import classify, classify_all
from policytui.toolinfo import ToolInfo

AMOUNT = {"amount": {"type": "number"}, "currency": {"type": "string"}}


def tool(name: str, description: str = "", properties: dict | None = None) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties or {}},
                    annotations={})


def category(name: str, description: str = "", properties: dict | None = None) -> str:
    return classify(tool(name, description, properties)).category


# ----- what-ifs ------------------------------------------------------------------------------

@pytest.mark.parametrize("name,description", [
    ("preview_subscription_update", "Preview what a subscription update would bill."),
    ("preview_transaction_create", "Preview a transaction without creating it."),
    ("estimate_invoice_update", "Estimate what an invoice update would change."),
    ("dry_run_payment", ""),
])
def test_a_what_if_about_money_moves_no_money(name, description):
    assert category(name, description, AMOUNT) != "Financial"


def test_the_act_itself_is_still_financial():
    assert category("update_subscription", "Update a subscription's items.", AMOUNT) == "Financial"
    assert category("create_transaction", "Create a transaction.", AMOUNT) == "Financial"
    assert category("refund_payment", "Refund a payment.") == "Financial"


# ----- records of the past -------------------------------------------------------------------

@pytest.mark.parametrize("name,description", [
    ("delete_balance_history_entry", "Delete a single historical balance entry by its id."),
    ("delete_account_balance_history", "Delete ALL historical balance entries for an account."),
    ("clear_payment_log", "Clear the payment log."),
])
def test_a_record_of_past_money_is_not_money(name, description):
    c = classify(tool(name, description))
    assert c.category == "Destructive"


def test_a_ledger_entry_with_money_in_sight_is_still_money():
    assert category("delete_journal_entry", "Delete a journal entry.") == "Financial"
    assert category("create_entry", "Create a ledger entry.", AMOUNT) == "Financial"


# ----- parts of a money document --------------------------------------------------------------

@pytest.mark.parametrize("name", ["update_order_status", "set_payment_status",
                                  "change_subscription_state"])
def test_the_status_of_a_money_document_is_money(name):
    assert category(name, "", {"id": {"type": "string"}, "status": {"type": "string"}}) == \
        "Financial"


def test_a_credit_note_is_money_and_an_order_note_is_not():
    assert category("create_credit_note", "Create a credit note.") == "Financial"
    assert category("create_order_note", "Add a note to an order.") != "Financial"
    assert category("add_invoice_note", "Add a note to an invoice.") != "Financial"


# ----- conversions into money owed ---------------------------------------------------------

@pytest.mark.parametrize("name", ["convert_estimate_to_invoice", "convertQuoteToOrder",
                                  "turn_cart_into_order"])
def test_converting_into_a_money_document_creates_money_owed(name):
    c = classify(tool(name, "Convert it."))
    assert c.category == "Financial"
    assert any("makes" in e for e in c.evidence)


def test_converting_into_something_else_is_no_money():
    assert category("convert_currency_to_usd", "Convert an amount to USD.") == "Read"
    assert category("convert_invoice_to_pdf", "Convert an invoice to a PDF.") != "Financial"


# ----- paying on the way -----------------------------------------------------------------------

@pytest.mark.parametrize("name,description", [
    ("access_resource", "Fetch a URL, automatically paying any L402 challenge and retrying."),
    ("create_account", "Self-bootstrapping signup: pay a 100-sat activation fee for a key."),
    ("fetch_paid_api", "Call a paid API; the tool pays the invoice the server returns."),
])
def test_a_tool_that_pays_on_the_way_is_financial(name, description):
    c = classify(tool(name, description, {"url": {"type": "string"}}))
    assert c.category == "Financial", c.evidence


@pytest.mark.parametrize("name,description", [
    ("list_payment_methods", "List the methods a customer can use to pay an invoice."),
    ("get_checkout", "Get a checkout page where buyers pay the merchant."),
    ("fetch_resource", "Fetch a URL without paying any challenge."),
    ("create_note", "Create a note. Never pays any invoice."),
])
def test_naming_payment_is_not_paying(name, description):
    assert category(name, description) != "Financial"


# ----- amounts one level down -------------------------------------------------------------------

def test_amounts_inside_listed_items_put_money_in_sight():
    items = {"transactions": {"type": "array", "items": {
        "type": "object", "properties": {"date": {"type": "string"}, "amount": {"type": "number"},
                                         "payee": {"type": "string"}}}}}
    assert category("create_transactions", "Insert one or more transactions.", items) == \
        "Financial"
    update = {"transaction_id": {"type": "number"},
              "update": {"type": "object", "properties": {"amount": {"type": "number"}}}}
    assert category("update_transaction", "Update an existing transaction.", update) == \
        "Financial"


def test_without_amounts_a_transaction_is_not_money():
    props = {"transactions": {"type": "array", "items": {
        "type": "object", "properties": {"sql": {"type": "string"}}}}}
    assert category("create_transactions", "Begin database transactions.", props) != "Financial"


# ----- changes that touch only details -------------------------------------------------------

@pytest.mark.parametrize("name,description", [
    ("update_order", "Update an order's billing/shipping addresses or customer note."),
    ("revise_transaction", "Revise customer information for a billed transaction."),
    ("update_payment", "Update the metadata of a payment."),
])
def test_changing_only_the_details_of_a_money_document_is_not_financial(name, description):
    assert category(name, description, AMOUNT) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("update_order", "Update an order."),
    ("update_invoice", "Update the amount and description of an invoice."),
    ("update_order", "Update an order's line items or shipping address."),
])
def test_changing_amounts_or_items_is_still_financial(name, description):
    assert category(name, description, AMOUNT) == "Financial"


# ----- new money nouns ----------------------------------------------------------------------

def test_giving_away_tokens_or_an_nft_moves_value():
    wallet = {"to": {"type": "string"}, "tokenId": {"type": "string"}}
    assert category("transfer_nft", "Transfer an NFT to an address.", wallet) == "Financial"
    assert category("approve_token_spending",
                    "Approve another address to spend your ERC20 tokens.",
                    {"spender": {"type": "string"}}) == "Financial"
    assert category("transfer_repository", "Transfer a repository to another owner.",
                    {"new_owner": {"type": "string"}}) != "Financial"


# ----- sessions, charges on the way, noun-verbs, verbless descriptions -------------------------

def test_a_session_is_money_only_as_a_checkout_or_payment_session():
    assert category("create_checkout_session", "Create a checkout session.", AMOUNT) == \
        "Financial"
    assert category("clear_trade_session", "Clear the cached trade session.") != "Financial"


def test_a_tool_that_charges_an_amount_on_the_way_is_financial():
    c = classify(tool("create_express_token",
                      "Creates a single-use token that charges a specific amount from the "
                      "user's balance.", {"ticker": {"type": "string"}}))
    assert c.category == "Financial", c.evidence
    assert category("list_charges", "Lists the charges a customer made.") == "Read"


def test_a_reader_naming_what_someone_pays_is_not_paying():
    assert category("get_quote", "Returns what the customer pays the merchant.") == "Read"


def test_a_money_noun_verb_in_a_name_described_as_reading_is_no_money():
    assert category("skill_trade_review",
                    "Analyzes closed trades and computes win rate and net P&L.") != "Financial"
    assert category("trade_stock", "Buy or sell a stock.", AMOUNT) == "Financial"


def test_a_description_without_a_verb_is_no_money_object():
    assert category("deposit_issue_card_token",
                    "The endpoint issues a card token for the specified card number.",
                    {"card_number": {"type": "string"}}) != "Financial"


# ----- a generic document whose example is money ----------------------------------------------

def test_a_generic_document_exemplified_by_money_is_money():
    assert category("submit_document",
                    "Submit a submittable document (e.g. Sales Invoice).",
                    {"doctype": {"type": "string"}, "name": {"type": "string"}}) == "Financial"
    assert category("delete_record", "Delete a record, such as an invoice or a bill.") == \
        "Financial"


def test_a_generic_document_without_a_money_example_is_not():
    assert category("create_document", "Create a new document.") != "Financial"
    assert category("update_document", "Update a document (e.g. a note or a page).") != \
        "Financial"


# ----- a bare generic record on a server whose words give money as one of its kinds ---------

DOCTYPE = {"doctype": {"type": "string"}, "name": {"type": "string"}}


def _erp(*tools: ToolInfo) -> dict:
    # One tool says what the server's documents may be; the others name no kind.
    return classify_all([tool("post_document", "Post a postable document (e.g. Purchase "
                                               "Invoice) to the ledger.", DOCTYPE), *tools],
                        use_annotations=False)


@pytest.mark.parametrize("name,description", [
    ("create_document", "Create a new document."),
    ("amend_document", "Amend an existing document."),
    ("remove_document", "Remove a document."),
    ("annul_document", "Cancel a submitted document."),
])
def test_a_bare_document_on_a_server_of_money_documents_is_money(name, description):
    found = _erp(tool(name, description, DOCTYPE))[name]
    assert found.category == "Financial", found.evidence
    assert any("a kind of 'document'" in line for line in found.evidence)


@pytest.mark.parametrize("name,description,category", [
    # Reading one is still reading.
    ("get_document", "Get a document by its name.", "Read"),
    ("list_documents", "List documents of a doctype.", "Read"),
    # A document of a kind the tool names is that kind, not the server's example.
    ("create_document", "Create a new Word document.", "Write"),
    ("delete_document", "Delete a project document (a note or a page).", "Destructive"),
    ("attach_file", "Attach a file to a document.", "Write"),
])
def test_a_document_read_or_of_a_named_kind_stays_what_its_verb_says(name, description,
                                                                      category):
    found = _erp(tool(name, description, DOCTYPE))[name]
    assert found.category == category, found.evidence


def test_documents_are_no_money_where_no_tool_gives_money_as_their_kind():
    found = classify_all([
        tool("get_record", "Get a record (e.g. a contact or a company) by id."),
        tool("update_record", "Update an existing record."),
        tool("delete_record", "Delete a record."),
        # A colon that opens something else after the list's line names no kind.
        tool("create_customer", "Create a customer.\n\nCustomers have two sub-entities:\n- "
                                "addresses: an address is needed to make a purchase"),
    ], use_annotations=False)
    assert found["update_record"].category == "Destructive"
    assert found["delete_record"].category == "Destructive"


def test_the_editor_reads_a_bare_document_with_its_server_as_classify_all_does():
    from policytui.editor.classes import Classifications
    tools = [tool("post_document", "Post a postable document (e.g. Purchase Invoice) to the "
                                   "ledger.", DOCTYPE),
             tool("amend_document", "Amend an existing document.", DOCTYPE)]
    found = Classifications(lambda name: next((t for t in tools if t.name == name), None),
                            lambda name: None)
    found.classify(tools[-1:], server_tools=tools)
    assert found.brief("amend_document")[0] == "Financial"
    assert found["amend_document"].category == "Financial"


def test_the_money_record_is_read_from_any_tool_of_the_server():
    from policytui.risk.money import server_money_record
    assert server_money_record(["List things.", "Create a record: a vendor, a bill, an item."]) \
        == "bill"
    assert server_money_record(["Create an entity such as an Invoice or a Customer."]) == \
        "invoice"
    assert server_money_record(["Create a record: a contact, a company or a deal."]) is None
    assert server_money_record(["Create a document.", "", "Delete an object."]) is None


# ----- issue 15, round 3: parts of a whole, holds, claims, splits, entries that are not money --

@pytest.mark.parametrize("name,description", [
    ("update_purchase_order_line_item", "Update a single line item on an approved purchase order."),
    ("delete_invoice_line_item", "Remove one line item from an invoice."),
    ("add_line_items_to_purchase_order", "Add one or more line items to an existing purchase order."),
    ("remove_items_from_order", "Remove items from an order."),
])
def test_the_lines_of_a_money_document_are_that_document(name, description):
    assert category(name, description) == "Financial"


def test_lines_of_something_else_are_not_money():
    assert category("add_line_items_to_report", "Add line items to a report.") != "Financial"
    assert category("delete_playlist_item", "Remove an item from a playlist.") != "Financial"


def test_a_checkout_url_is_a_payment_link():
    assert category("hold_init", "Build a checkout URL for two-step pre-auth. Funds are "
                    "reserved on the card.", AMOUNT) == "Financial"
    assert category("create_payment_page", "Create a payment page.") == "Financial"
    assert category("create_preview_url", "Create a preview URL for a branch.") != "Financial"


def test_a_hold_on_funds_is_money_and_a_legal_hold_is_not():
    assert category("hold_cancel", "Release a hold without capturing the reserved funds.") == \
        "Financial"
    assert category("create_legal_hold", "Place a legal hold on a mailbox.") != "Financial"


def test_a_reimbursement_is_money_owed():
    assert category("create_mileage_reimbursement",
                    "Create a mileage reimbursement request for an employee.") == "Financial"


def test_claiming_money_moves_it_and_claiming_a_task_does_not():
    assert category("claim_fees", "Claim accrued fee-share fees to the wallet.") == "Financial"
    assert category("claim_funds", "Claim the escrowed funds.") == "Financial"
    assert category("claim_task", "Claim a task from the queue.") not in ("Financial", "Other")


def test_splitting_a_money_transaction_is_money():
    assert category("split_transaction", "Split an existing transaction into child "
                    "transactions. The sum of child amounts must equal the parent's amount.") == \
        "Financial"
    c = classify(tool("unsplit_transaction", "Unsplit a previously split transaction by "
                      "deleting its children and restoring the parent."))
    assert c.category in ("Financial", "Destructive") and c.severity == "Critical"
    assert category("split_pdf", "Split a PDF into pages.") != "Financial"


@pytest.mark.parametrize("name,description", [
    ("edit_hours", "Edit an existing time entry. Entries on a paid invoice are blocked."),
    ("delete_time_entry", "Delete a time entry from the invoice's project."),
    ("create_item_receipt", "Create an item receipt for goods received from a vendor against a "
     "purchase order."),
])
def test_time_entries_and_goods_receipts_are_not_money(name, description):
    assert category(name, description) != "Financial"


def test_a_ledger_entry_and_a_sales_receipt_still_are():
    assert category("delete_journal_entry", "Delete a journal entry.") == "Financial"
    assert category("create_sales_receipt", "Create a sales receipt.", AMOUNT) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("track_invoice", "Start tracking an invoice for payment."),
    ("untrack_invoice", "Stop tracking an invoice by its number."),
])
def test_watching_a_money_document_changes_nothing_owed(name, description):
    assert category(name, description, AMOUNT) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("upload_receipt", "Upload a receipt image and link it to a transaction."),
    ("upload_receipt_for_reimbursement", "Upload a receipt image for reimbursement processing."),
    ("attach_invoice_pdf", "Attach an invoice PDF to a bill."),
])
def test_uploading_or_attaching_a_file_moves_no_money(name, description):
    assert category(name, description, AMOUNT) != "Financial"


# ----- multi-action tools whose own text says an action pays ----------------------------------

def test_an_action_described_as_paying_is_financial():
    schema = {"type": "object", "properties": {"action": {
        "type": "string", "enum": ["discover", "request", "settle", "publish"],
        "description": "discover: search listings. request: ask for a service. settle: PAY an "
                       "agreement's endpoint. publish: list your service."}}}
    c = classify(ToolInfo(name="agent_services", description="Agent service agreements.",
                          input_schema=schema, annotations={}))
    assert c.category == "Financial"
    assert c.actions["settle"].category == "Financial"
    assert c.actions["discover"].category == "Read"


def test_actions_described_without_paying_stay_as_they_are():
    schema = {"type": "object", "properties": {"action": {
        "type": "string", "enum": ["deploy", "status", "logs"],
        "description": "deploy: Deploy a new bot. status: Get status. logs: Read logs."}}}
    c = classify(ToolInfo(name="manage_bots", description="Manage bots.", input_schema=schema,
                          annotations={}))
    assert c.category != "Financial"


# ----- a money act named by its noun, whose state is read -------------------------------------

@pytest.mark.parametrize("name,description", [
    ("refund_status", "Check the current state of a previously-created refund request."),
    ("payout_details", "Get the details of a payout."),
])
def test_reading_the_state_of_a_money_act_reads(name, description):
    assert category(name, description) == "Read"


def test_the_money_act_itself_still_moves_money():
    assert category("refund", "Check the payment, then refund it.") == "Financial"
    assert category("refund_payment", "Refund a payment.") == "Financial"
    # The name's reading is no noun here: no facet follows the verb.
    assert category("refund_order", "Check the order and refund it.") == "Financial"


# ----- dates are details -------------------------------------------------------------------------

def test_changing_only_an_invoices_dates_and_notes_is_not_money():
    assert category("update_invoice", "Update safe invoice fields (due date, payment date, "
                    "notes).") != "Financial"
    assert category("update_invoice", "Update an invoice's line items and amounts.") == \
        "Financial"


# ----- money as the server's business -----------------------------------------------------------

def _budget_server(extra: list[ToolInfo]) -> list[ToolInfo]:
    return [tool("get_budget_summary", "Read the budget."), tool("list_payees", "List payees."),
            tool("update_budget", "Update a budget."), tool("get_balances", "Read balances."),
            tool("list_categories", "List categories."), *extra]


def test_on_a_money_server_a_bare_transaction_is_money():
    from policytui.risk import classify_all
    found = classify_all(_budget_server([
        tool("delete_transaction", "Delete a single transaction. Irreversible."),
        tool("delete_category", "Delete a category."),
        tool("delete_time_entry", "Delete a time entry.")]), use_annotations=False)
    assert found["delete_transaction"].category == "Financial"
    assert found["delete_category"].category != "Financial"
    assert found["delete_time_entry"].category != "Financial"


def test_elsewhere_a_transaction_needs_money_in_sight():
    from policytui.risk import classify_all
    tools = [tool("delete_transaction", "Delete a single transaction."),
             tool("begin_transaction", "Begin a database transaction."),
             tool("list_tables", "List tables."), tool("run_query", "Run a query.")]
    found = classify_all(tools, use_annotations=False)
    assert found["delete_transaction"].category != "Financial"
    assert found["begin_transaction"].category != "Financial"


def test_the_editor_classifies_a_tool_alone_as_with_its_server():
    from policytui.editor.classes import Classifications
    tools = _budget_server([tool("delete_transaction", "Delete a single transaction.")])
    found = Classifications(lambda name: next((t for t in tools if t.name == name), None),
                            lambda name: None)
    found.classify(tools[-1:], server_tools=tools)
    assert found.brief("delete_transaction")[0] == "Financial"
    assert found["delete_transaction"].category == "Financial"


def test_bulk_or_batch_acts_on_what_it_names():
    assert category("delete_payments_bulk", "") == "Financial"
    assert category("refunds_batch_create", "") == "Financial"
    assert category("delete_files_bulk", "") != "Financial"


# ----- more money words: bridging, top-ups, liquidity, withdrawals named as nouns, bets --------

@pytest.mark.parametrize("name,description,properties", [
    ("bridge_tokens", "Bridge tokens from Ethereum to Base.", {}),
    ("topup_account", "Top up the account balance.", AMOUNT),
    ("add_liquidity", "Add liquidity to a pool.", AMOUNT),
    ("remove_liquidity", "Remove liquidity from a pool.", {}),
    ("spot_create_withdraw", "The endpoint creates a withdraw request.", AMOUNT),
    ("place_bet", "Place a bet on a market.", {}),
    ("send_usdc", "Send USDC to an address.", {"to": {"type": "string"}}),
    ("redeem_voucher", "Redeem a voucher to the balance.", {}),
])
def test_more_ways_of_moving_money(name, description, properties):
    assert category(name, description, properties) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("bridge_networks", "Bridge two docker networks."),
    ("get_liquidity", "Get a pool's liquidity."),
    ("create_voucher_template", "Create a voucher design template."),
])
def test_the_same_words_without_money_moving(name, description):
    assert category(name, description) != "Financial"


def test_on_a_money_server_a_multi_action_tool_on_transactions_is_money():
    from policytui.risk import classify_all
    schema = {"type": "object", "properties": {"action": {
        "type": "string", "enum": ["list", "create", "delete"]}}}
    manage = ToolInfo(name="manage_transactions", description="Manage transactions.",
                      input_schema=schema, annotations={})
    found = classify_all(_budget_server([manage]), use_annotations=False)
    assert found["manage_transactions"].category == "Financial"
    alone = classify_all([manage, tool("list_tables", "List tables."),
                          tool("run_query", "Run a query.")], use_annotations=False)
    assert alone["manage_transactions"].category != "Financial"


# ----- starting a payment, funding, savings, debits and credit memos ---------------------------

@pytest.mark.parametrize("name,description,properties", [
    ("initiate_payment", "Initiate a SEPA payment.", AMOUNT),
    ("begin_checkout", "Begin a checkout session.", {}),
    ("fund_pie", "Fund an investment pie.", AMOUNT),
    ("redeem_savings", "Redeem a flexible savings product.", AMOUNT),
    ("create_direct_debit", "Create a direct debit.", {}),
    ("create_credit_memo", "Create a credit memo for a customer.", {}),
])
def test_starting_funding_and_money_documents(name, description, properties):
    assert category(name, description, properties) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("start_workflow", "Start a payment workflow."),
    ("start_tracking", "Start tracking an invoice for payment."),
    ("list_funds", "List funds."),
    ("create_memo_for_transaction", "Create and attach a memo to a transaction."),
])
def test_starting_something_else_or_noting_money_is_not_money(name, description):
    assert category(name, description) != "Financial"


# ----- a trading desk's switches and orders cancelled later ---------------------------------

def test_a_kill_switch_with_money_in_sight_cancels_live_orders():
    assert category("set_kill_switch", "Enable the kill switch for the account.",
                    AMOUNT) == "Financial"
    # Without money in sight a kill switch is some other switch.
    assert category("set_kill_switch", "Enable the kill switch of the feature flag.") \
        != "Financial"


def test_a_verb_acts_on_the_words_before_after_or_before():
    # "cancel_all_orders_after": the orders are cancelled, "after" a timeout.
    assert category("cancel_all_orders_after",
                    "Schedule a bulk cancel after a timeout.", AMOUNT) == "Financial"


# ----- renting, and a verb in brackets after the lead ----------------------------------------

@pytest.mark.parametrize("name,description", [
    ("create_volume", "Rent a new persistent volume. The volume is billed separately."),
    ("create_instance", "Create (rent) a new instance on a machine offer."),
    ("rent_gpu", "Rents a GPU by the hour."),
])
def test_renting_something_is_paying_for_it(name, description):
    assert category(name, description) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("get_rent_roll", "Get the rent roll of a property."),
    ("list_rentals", "List rented instances."),
    ("create_volume", "Create (mount) a new volume."),
])
def test_rent_as_a_noun_or_a_bracketed_non_money_verb_is_not_money(name, description):
    assert category(name, description) != "Financial"


def test_a_bracketed_verb_after_the_lead_is_its_riskier_alternative():
    # "Create (trigger) a pipeline" runs something; "Delete (archive)" stays a removal.
    assert category("create_pipeline", "Create (trigger) a new CI/CD pipeline.") == "Execute"
    assert category("delete_client", "Delete (archive) a client.") == "Destructive"


# ----- subscriptions to data are not paid subscriptions --------------------------------------

@pytest.mark.parametrize("name,description", [
    ("create_subscription", "Subscribes a listener application to receive change "
     "notifications when the requested resource changes."),
    ("delete_event_subscription", "Deletes a webhook event subscription by id."),
    ("unsubscribe", "Cancel one subscription, or all of them, and free their market data "
     "lines. Quotes and ticks stop streaming."),
])
def test_cancelling_or_making_a_subscription_to_data_is_no_money(name, description):
    assert category(name, description) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("cancel_subscription", "Cancel a customer's subscription."),
    ("cancel_subscription", "Cancel the subscription to live quotes; its monthly fee stops "
     "at the next billing date."),
    ("create_subscription", "Create a recurring payment subscription for the events plan."),
])
def test_a_paid_subscription_stays_money_even_beside_data_words(name, description):
    assert category(name, description) == "Financial"


# ----- acts the verb tables cannot see ---------------------------------------------------------

@pytest.mark.parametrize("name,description", [
    ("order_mark_paid", ""),
    ("invoice_mark_paid", "Record that the customer settled this invoice by bank transfer."),
    ("set_bill_unpaid", "Reopen a bill the accountant settled by mistake."),
])
def test_marking_a_money_document_paid_is_money(name, description):
    assert category(name, description, {"invoice_id": {"type": "string"}}) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("send_unpaid_invoice_reminder", "Email the client a reminder about an overdue invoice."),
    ("list_paid_invoices", "List invoices that were paid this month."),
])
def test_paid_without_a_marking_verb_is_not_money(name, description):
    assert category(name, description, {"invoice_id": {"type": "string"}}) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("book_flight", "Book the chosen fare for the travellers on the itinerary."),
    ("rail_book", "Hold two seats on the overnight service for the passengers named."),
    ("reserve_hotel", "Reserve a double room for three nights."),
    ("plan_trip", "Book tickets for the evening concert at the arena."),
])
def test_booking_travel_or_a_show_buys_it(name, description):
    assert category(name, description, {"offer_id": {"type": "string"}}) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("book_appointment", "Book a slot with the dentist on the given day."),
    ("reserve_meeting_room", "Reserve a meeting room for the team stand-up."),
    ("get_flight_booking", "Get the details of a flight booking."),
])
def test_booking_what_is_free_or_reading_a_booking_is_not_money(name, description):
    assert category(name, description, {"slot_id": {"type": "string"}}) != "Financial"


def test_checking_out_a_shopping_cart_pays():
    assert category("checkout_basket", "Place the order for everything in the basket.",
                    {"basket_id": {"type": "string"}}) == "Financial"
    assert category("shop_checkout", "Complete the purchase.", {}) == "Financial"


@pytest.mark.parametrize("name,description,arg", [
    ("git_checkout", "Switch the working tree to another branch.", "branch"),
    ("checkout", "Check out the given revision of the repository.", "ref"),
    ("checkout_preview", "Show the basket total, delivery fee and arrival time.", "basket_id"),
])
def test_other_checkouts_are_not_money(name, description, arg):
    assert category(name, description, {arg: {"type": "string"}}) != "Financial"


def test_accepting_a_price_quote_makes_the_trade():
    assert category("fx_accept", "Accepts the quote returned earlier and swaps the currency.",
                    {"quote_id": {"type": "string"}, **AMOUNT}) == "Financial"
    assert category("execute_swap_quote", "Carry out the swap at the quoted rate.",
                    AMOUNT) == "Financial"


def test_getting_a_quote_still_reads():
    assert category("get_swap_quote", "Get a quote for swapping one coin for another.",
                    AMOUNT) == "Read"


def test_putting_funds_into_a_yield_product_is_money():
    assert category("allocate_earn", "Move the given sum into the chosen strategy.",
                    AMOUNT) == "Financial"
    assert category("allocate_device", "Reserve a test phone from the shared pool.",
                    {"device_id": {"type": "string"}}) != "Financial"


def test_a_recurring_authority_or_billing_agreement_is_money_with_money_in_sight():
    assert category("pause_authority", "Stop the monthly pulls on the customer's standing "
                    "payment authority.", {"authority_id": {"type": "string"}}) == "Financial"
    assert category("create_agreement", "Create a managed service contract for a client.",
                    {"company_id": {"type": "string"}, "bill_amount": {"type": "number"}}
                    ) == "Financial"
    assert category("accept_license_agreement", "Accept the licence agreement of the plan "
                    "before billing starts.", {"plan_id": {"type": "string"}}) != "Financial"


@pytest.mark.parametrize("name,description,arg", [
    ("launch_coin", "Launch a meme coin with an optional first buy by the creator.",
     "creator_buy_amount"),
    ("open_vault", "Open a vault for one provider, locking funds in it.", "deposit_amount"),
])
def test_an_amount_named_for_spending_moves_money(name, description, arg):
    assert category(name, description, {arg: {"type": "number"}}) == "Financial"


def test_an_amount_to_spend_set_on_a_cart_or_estimated_is_not_money():
    assert category("set_tip", "Set the tip amount on the cart.",
                    {"tip_amount": {"type": "number"}}) != "Financial"
    assert category("simulate_vault_open", "Open a vault in the sandbox to see what it locks.",
                    {"deposit_amount": {"type": "number"}}) != "Financial"


@pytest.mark.parametrize("name,description", [
    # An act whose description says, after it, that money changes hands when it is called.
    ("reserve_mooring", "Reserve a mooring for a boat. The nightly fee is charged to the card "
     "the owner gave."),
    ("open_support_ticket", "Open an on-site support ticket. Billed to the client at $80 per "
     "hour."),
    ("cancel_stay", "Cancel a stay. The deposit is refunded if cancelled a week before."),
    ("submit_pay_run", "Submits the pay run. Salaries are paid on the pay date by bank "
     "transfer."),
    ("order_toner", "Order toner for a printer, charged to the team's cost centre."),
    ("change_membership", "Upgrade or downgrade a membership; the difference is prorated on "
     "the next bill."),
    ("rent_van", "Rent a van. A hold for the deposit is placed on the renter's card."),
    ("applyLateFee", "Late fee of €15 added to the tenant's next statement."),
    ("inscrire_cours", "Inscrit un adhérent à un cours. Les frais sont débités immédiatement."),
    ("pedido_mayorista", "Pedido de harina al mayorista; se factura a 60 días."),
    # Said of the money itself, however it goes on.
    ("hold_court", "Hold a tennis court for an hour. A booking fee of EUR 3 is charged."),
    ("close_job", "Closes a repair job. The card on file is charged for parts and labour."),
    ("start_charge", "Start a charging session. The driver's payment method is "
     "pre-authorized for $30."),
    ("join_club", "Sign a member up for the club. First month is billed today."),
    ("restock_parts", "Reorder parts from the wholesaler; paid on the company card."),
    ("reservar_pista", "Reserva una pista. Se cobra el importe a la tarjeta del socio."),
    ("bestall_hamtning", "Beställ hämtning av grovsopor. Avgiften faktureras kunden."),
    ("drop_pupil", "Drop a pupil from a course. If it is a week before the start, a refund "
     "is issued."),
    ("cancel_tour", "Cancels a whole tour. Everyone booked is refunded and notified."),
    ("complete_visit", "Mark a visit as complete. The invoice for the visit is then issued and "
     "emailed."),
    ("begin_plan", "Start a monthly plan. Sets up recurring billing on the given card."),
    # An act of money in the third person later on, an invoice or a subscription made, a
    # fee that goes on an account, a deposit taken, an invoice written off.
    ("release_dog", "Check a dog out at the end of its stay. Produces the final bill and "
     "charges the remaining balance to the card on file."),
    ("enroll_swimmer", "Enroll a swimmer in a course. Sets up a monthly subscription for the "
     "course fee."),
    ("job_signoff", "Sign-off of a finished job by the foreman. Triggers the final invoice to "
     "the customer."),
    ("book_coaching", "Book a coaching session. The session fee goes on the member's account."),
    ("take_deposit", "Take a 20% deposit on an accepted quote using the customer's card."),
    ("waive_arrears", "Waive the arrears on a tenancy. The open invoice is written off."),
    ("move_package", "Move a rider to another package. Their monthly direct debit is updated "
     "to the new price."),
    ("facturer_client", "Facture au client les produits livrés."),
    # SaaS billing said after the act: an adverb before where it is billed, "right away",
    # money pulled from an account, a price returned to a card, a refund switch.
    ("order_static_ip", "Static IP for a zone. Billed monthly to the account starting today."),
    ("add_seats", "Increase the seat count. The prorated cost for the rest of the cycle is "
     "charged right away."),
    ("refill_balance", "Refill the prepaid balance. The amount is pulled from the account's "
     "linked bank account."),
    ("cancel_attendance", "Cancel an attendance. For paid events this returns the ticket price "
     "to the attendee's card."),
    # Invoices and payments named in other languages.
    ("vystavit_fakturu", "Vystavit fakturu zákazníkovi."),
    ("devolver_pago", "Devuelve el pago al cliente en su tarjeta original."),
    ("estornarPagamento", "Estorna um pagamento feito por Pix."),
    # Acting on a fee, a fine or a bonus, or waiving one, changes what someone pays.
    ("waive_fee", "Waive the overdue fee on a member's account."),
    ("issue_fine", "Issue a parking fine to a plate; the amount is set by the zone."),
    ("bonus_add", "One-off bonus for an employee's next salary payment."),
])
def test_money_said_to_change_hands_after_an_act_is_money(name, description):
    assert category(name, description) == "Financial"


@pytest.mark.parametrize("name,description", [
    # Denied, said of someone else, or with no where, when or how much.
    ("reserve_mooring", "Reserve a mooring for a boat. Nothing is charged until arrival."),
    ("create_tenant", "Create a tenant. Tenants are billed monthly."),
    ("add_note", "Add a note to a booking; notes are never billed."),
    ("add_to_cart", "Add an item to the cart. Items added to the cart are kept for a day."),
    ("refill_ink", "Refill the ink cartridge status after a swap."),
    ("list_returns", "Returns the amount to pay for each open order."),
    ("update_address", "Update the delivery address. The card is not charged again."),
    ("reserve_fabric", "Fabric gets reserved for an order; the metres are deducted from "
     "available stock."),
    ("collect_order", "Returns the receipt. Marks the order as collected."),
    ("factures_famille", "Factures d'une famille sur l'année scolaire."),
    ("rentStatus", "Rent paid and owing for each tenant at a site."),
    ("donation_receipts", "Donations received this month, with gift-aid status."),
    ("mudar_box", "Transfere o cliente para outro box do mesmo tamanho."),
    ("create_quote", "Create a quote for a job. Nothing is charged until it is accepted."),
    ("add_member", "Add a member to a list; members are added to the list at once."),
    ("waive_rule", "Waive a lint rule for one file."),
    # A reader's "charged to" is what it shows.
    ("list_charges", "List the fees charged to a card in a month."),
])
def test_money_words_after_an_act_that_move_nothing_are_not_money(name, description):
    assert category(name, description) != "Financial"


def test_a_swap_moves_money_only_with_money_in_sight():
    assert category("swap_shifts", "Swap two nurses on the rota and notify both.") == "Destructive"
    assert category("swap_tokens", "Swap one token for another at the best price.",
                    {"amount": {"type": "number"}}) == "Financial"
    # What a swap or a transfer would cost is read.
    assert category("swap_quote", "Retrieve a swap quote.") == "Read"
    assert category("transfer_quote", "Retrieve a transfer quote for the amount.") == "Read"


def test_a_reading_verb_that_only_writes_its_output_to_a_folder_moves_no_money():
    assert category("export_ledger", "Exports the ledger for the period as CSV into the "
                    "finance folder.") == "Write"
    assert category("update_ledger", "Updates the ledger for the period.") == "Financial"


def test_a_switch_that_refunds_makes_an_act_money():
    assert category("cancel_booking", "Cancel a booking.",
                    {"booking_id": {"type": "string"}, "refund": {"type": "boolean"}}
                    ) == "Financial"
    # A refund described as a thing to filter by is no switch.
    assert category("cancel_booking", "Cancel a booking.",
                    {"booking_id": {"type": "string"}, "refund_id": {"type": "string"}}
                    ) != "Financial"


# ----- money said in other languages, named without a verb, set as a limit -------------------

def server_categories(*tools: tuple[str, str]) -> dict[str, str]:
    found = classify_all([tool(name, description) for name, description in tools],
                         use_annotations=False)
    return {name: c.category for name, c in found.items()}


def test_a_namespace_is_what_a_verb_standing_alone_acts_on():
    found = server_categories(("factura_crear", "Crea una factura."),
                              ("factura_cancelar", "Solicita la cancelación ante el SAT."),
                              ("factura_listar", "Lista las facturas."))
    assert found["factura_cancelar"] == "Financial"
    found = server_categories(("ticket_create", "Create a ticket."),
                              ("ticket_cancel", "Cancel a ticket."),
                              ("ticket_list", "List tickets."))
    assert found["ticket_cancel"] != "Financial"


@pytest.mark.parametrize("name,description", [
    ("varaa_vuoro", "Varaa saunavuoron. Maksu veloitetaan kortilta varauksen yhteydessä."),
    ("bestil_reservedele", "Bestiller reservedele hos grossisten; beløbet trækkes på "
     "firmakortet."),
    ("zapisz_na_kurs", "Zapisuje kursanta na kurs. Opłata za kurs jest pobierana od razu."),
    ("rechnung_stellen", "Stellt dem Kunden die Rechnung für einen Auftrag."),
    ("garn_bestellen", "Bestellt Garn beim Lieferanten und wird per Lastschrift bezahlt."),
    ("contrato_criar", "Cria o contrato e gera a cobrança recorrente no cartão do cliente."),
    ("dat_xe", "Đặt xe cho khách. Cước phí ước tính được tạm giữ trên thẻ của khách."),
    ("order_pagkain", "Mag-order ng pagkain. Idinadagdag ito sa bill ng room."),
    ("pix_agendar", "Agenda um Pix. O débito ocorre automaticamente na data."),
    ("repasse_semanal", "Executa o repasse semanal às diaristas via Pix."),
    ("futter_bestellen", "Futter beim Lieferanten bestellen; die Lieferung erfolgt auf "
     "Rechnung."),
])
def test_money_said_in_other_languages_is_money(name, description):
    assert category(name, description) == "Financial"


@pytest.mark.parametrize("name,description", [
    # Denied: "no bill is made yet".
    ("buat_penawaran", "Membuat penawaran harga untuk klien. Belum ada tagihan yang dibuat."),
    # "pobierany" of a file is downloaded, not charged.
    ("zapisz_plik", "Zapisuje plik. Plik jest pobierany z serwera."),
    # A payment rail named, but not as the way the act is done.
    ("sync_settings", "Sync the shop's settings; Pix and MobilePay stay enabled."),
])
def test_the_same_words_denied_or_about_no_money_stay_as_they_are(name, description):
    assert category(name, description) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("payroll_offcycle_payment", "Off-cycle payment (e.g. final pay or correction) sent "
     "immediately."),
    ("reembolso", "Reembolso parcial ou total de um atendimento."),
    ("credit_note_for_returns", "Credit note for returned loaves."),
])
def test_a_description_naming_a_money_act_without_a_verb_is_money(name, description):
    assert category(name, description) == "Financial"


def test_a_money_act_named_with_what_is_read_of_it_is_not():
    assert category("payment_status", "Payment status of an order.") != "Financial"


@pytest.mark.parametrize("name,description", [
    ("seats_set", "Seat count set on a subscription. Added seats are prorated and charged "
     "right away."),
    ("card_cancel", "Cancel a card. Any remaining balance is credited back to the funding "
     "balance."),
    ("invoice_job", "Raise an invoice for a completed job and email it to the customer."),
    ("license_issue", "Issues a sync license to a licensee and invoices them for the fee."),
    ("filing_submit", "Submit a prepared tax return. Tax due is remitted by debiting the "
     "linked bank account."),
    ("party_package_book", "Party package for up to 10 kids. Full price paid at booking."),
])
def test_money_said_after_an_act_in_english(name, description):
    assert category(name, description) == "Financial"


def test_credit_given_to_a_person_is_no_money():
    assert category("update_film", "Update a film. The author is credited in the titles.") \
        != "Financial"


def test_a_coupon_applied_to_what_is_billed_changes_what_is_paid():
    assert category("cb_apply_coupon", "Coupon applied to an active subscription; the "
                    "discount affects the next invoices.") == "Financial"
    assert category("apply_coupon", "Apply a coupon to the cart.") != "Financial"


def test_setting_a_spend_limit_is_money_and_a_rate_limit_is_not():
    assert category("set-spend-limit", "Set a card's spend limit.") == "Financial"
    assert category("cartao_limite_ajustar", "Ajusta o limite do cartão.") == "Financial"
    assert category("set_rate_limit", "Set the API rate limit.") != "Financial"
    # Made, renamed or given to other users, the limit's amount is left as it is.
    assert category("create_spend_limit", "Create a spend limit.") != "Financial"


def test_a_pix_sent_is_money_and_a_message_is_not():
    assert category("pix_enviar", "Envia um Pix.") == "Financial"
    assert category("enviar_pix", "Envia um Pix para uma chave.") == "Financial"
    assert category("mensagem_enviar", "Envia uma mensagem para um contato.") != "Financial"


@pytest.mark.parametrize("name,description", [
    ("payflo_charge", "Charge details by ID: amount, outcome, card brand and last4."),
    ("fills_history", "Trade fills with price, quantity, fee and fee asset."),
    ("invoice_upcoming", "Upcoming invoice for a customer: the total that will be billed at "
     "the next renewal."),
])
def test_a_money_verb_used_as_a_noun_or_what_is_billed_later_is_not_money(name, description):
    assert category(name, description) != "Financial"


def test_the_money_verb_used_as_one_is_still_money():
    assert category("charge_card", "Charge the card for the amount.", AMOUNT) == "Financial"
    assert category("renew_subscription", "Renew the subscription; the total will be billed "
                    "to the card on file.") == "Financial"


# ----- readers of money, named by what they read of it -----------------------------------------

INTERVAL = {"interval": {"type": "string", "enum": ["daily", "weekly", "monthly"]}}


def category_with(name: str, description: str, properties: dict, required: list[str]) -> str:
    return classify(ToolInfo(name=name, description=description,
                             input_schema={"type": "object", "properties": properties,
                                           "required": required},
                             annotations={})).category


@pytest.mark.parametrize("name,description", [
    # a money word naming the view the name ends with
    ("payout_schedule", "The payout schedule: how often sellers are paid and the next date."),
    ("seller_payout_schedule", "Payout schedule of a seller."),
    ("refund_eligibility", "Whether an order can still be refunded, and up to what amount."),
    # a plural noun listed with others, or said which by a participle
    ("account_summary", "Account summary: invoices, payments and balance due."),
    ("PayoutsToday", "Payouts arriving today, per bank account."),
    ("payouts_upcoming", "Payouts scheduled for the next 7 days."),
    # a money word naming the record a Korean or Japanese reading verb looks up
    ("gyeoljae_naeyeok", "결제 내역을 조회합니다."),
    ("shiharai_rireki", "支払履歴を取得します。"),
])
def test_a_reader_of_money_named_by_what_it_reads_is_read(name, description):
    assert category(name, description) == "Read"


@pytest.mark.parametrize("name,description,expected", [
    ("set_payout_schedule", "Sets the payout schedule of an account.", "Destructive"),
    ("payout_schedule", "Payout schedule; the interval given replaces it.", "Destructive"),
    ("refund_eligibility", "Refund the order if it is still eligible.", "Financial"),
    ("payouts_today_send", "Sends the payouts arriving today to each bank account.",
     "Financial"),
    ("refund_charge", "Refunds, cancels or voids a charge.", "Financial"),
    ("charge_saved_cards", "Charges saved cards for the open invoices.", "Financial"),
    ("release_payouts", "Payouts arriving today, released now to each bank account.",
     "Financial"),
    ("refunds_recent", "Refunds issued in the last 30 days, credited to the saved card.",
     "Financial"),
    # a money record acted on, and money moved beside a look at its record
    ("gyeoljae_chwiso", "결제 내역을 취소합니다.", "Financial"),
    ("songgeum", "송금 내역을 확인하고 송금합니다.", "Financial"),
])
def test_the_acting_twins_of_readers_of_money_still_act(name, description, expected):
    assert category(name, description, INTERVAL if "interval" in description else None
                    ) == expected


def test_a_view_that_lists_after_a_colon_the_values_it_is_told_sets_them():
    # "Payout schedule: daily, weekly or manual." with a required `interval` of those values
    # sets it; a reader's same sentence takes no value, and a selector of what to show is
    # named before the noun it picks ("CPU, disk and network metrics ...").
    assert category_with("payout_schedule", "Payout schedule: daily, weekly or monthly.",
                         INTERVAL, ["interval"]) == "Destructive"
    assert category_with("vm_power", "VM power: on, off or cycle.",
                         {"state": {"type": "string", "enum": ["on", "off", "cycle"]}},
                         ["state"]) == "Destructive"
    assert category("payout_schedule", "Payout schedule: daily, weekly or monthly.") == "Read"
    assert category_with("server_metrics", "CPU, disk and network metrics for a server.",
                         {"type": {"type": "string", "enum": ["cpu", "disk", "network"]}},
                         ["type"]) == "Read"
