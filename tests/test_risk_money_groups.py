"""Money as payment, trading and accounting servers say it apart from the verb and object
tables: money documents listed second, a portfolio's allocations, trading bots, codes that
hold funds, rented resources whose billing stops, smart contract calls; and what moves no
money although money words stand near it: a money document e-mailed to an address, shelved
from view, copied, recomputed or sent to accounting software, a fiscal receipt, a switch
armed or an automatic act switched on, a recording of trades, and a description that says no
money moves. Each rule has cases that move and near misses that stay."""

from __future__ import annotations

import pytest

from policytui.risk import classify, classify_all
from policytui.toolinfo import ToolInfo

AMOUNT = {"amount": {"type": "number"}}


def tool(name: str, description: str = "", properties: dict | None = None) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties or {}},
                    annotations={})


def reading(name: str, description: str = "", properties: dict | None = None,
            money_server: bool = False):
    return classify(tool(name, description, properties), money_server=money_server)


def args(*names: str) -> dict:
    return {n: {"type": "string"} for n in names}


# ----- an object listed second ------------------------------------------------------------

@pytest.mark.parametrize("name,description,properties,money_server", [
    ("rfq_cancel", "Cancel an RFQ, a single order, or a batch by filter.", args("order_id"),
     True),
    ("consume_channel", "Execute an instant, gas-free micro-payment inside an open channel.",
     AMOUNT, False),
    ("void_things", "Void a draft, an invoice or a credit note.", args("id"), False),
])
def test_a_money_document_listed_after_the_first_object_is_acted_on(name, description,
                                                                     properties, money_server):
    found = reading(name, description, properties, money_server)
    assert found.category == "Financial", found.evidence


@pytest.mark.parametrize("name,description,properties,money_server,expected", [
    # What a possessive lists is the possessor's: a member's mailing subscription, a cart's URL.
    ("update_member", "Update a member's profile fields or subscription status.", {}, True,
     "Destructive"),
    ("update_store_cart", "Update an existing cart's totals, currency, checkout URL, or line "
                          "items.", {}, True, "Destructive"),
    # What brackets list explains the object.
    ("deal_worksheet", "Build a deal worksheet (price, taxes, fees, payment) for presentation.",
     args("sale_price"), False, "Execute"),
    # A second act is no second object.
    ("cancel_job", "Cancel a job, a build or a deployment.", {}, False, "Destructive"),
])
def test_what_is_listed_as_parts_or_a_second_act_is_not_acted_on(name, description, properties,
                                                                  money_server, expected):
    assert reading(name, description, properties, money_server).category == expected


def test_changing_a_portfolios_allocations_trades():
    found = reading("update_pie", "Modify an existing pie's settings, instrument allocations, "
                                  "or target weights.", args("pie_id"), money_server=True)
    assert found.category == "Financial", found.evidence
    found = reading("rebalance_targets", "Set the target weights of a portfolio.", {}, True)
    assert found.category == "Financial", found.evidence
    # Allocations of memory, weights of a model: no holdings, no money.
    assert reading("update_project", "Modify a project's settings, memory allocations, or "
                                     "limits.", {}, True).category == "Destructive"
    assert reading("update_model", "Update a model's layers, weights or biases.",
                   {}, False).category == "Destructive"


def test_starting_a_recording_of_trades_moves_no_money():
    found = reading("subscribe_tick_by_tick", "Start recording every trade, quote change or "
                                              "midpoint of one contract into a ring buffer.")
    assert found.category == "Execute", found.evidence
    # Starting the money act itself still moves money.
    assert reading("start_payout", "Start a payout to the seller's bank account.",
                   AMOUNT).category == "Financial"


# ----- money documents delivered, shelved, copied ------------------------------------------

@pytest.mark.parametrize("name,description,properties", [
    ("send_invoice_by_email", "E-mail an invoice (with its PDF attached) to the buyer or given "
                              "recipients.", args("invoice_id", "email_to", "email_cc")),
    ("qbo_send", "Email an Invoice, Estimate or PurchaseOrder from QuickBooks to the customer.",
     args("entity", "id", "send_to")),
    ("send_invoice_email", "Send invoice to specified email address.",
     args("document_id", "email")),
])
def test_e_mailing_a_copy_of_a_money_document_to_an_address_is_no_money(name, description,
                                                                         properties):
    found = reading(name, description, properties, money_server=True)
    assert found.category == "Write", found.evidence


@pytest.mark.parametrize("name,description,properties", [
    # Sent to the payer on file: the bill is issued.
    ("send_invoice", "Send an invoice by email to the client.", args("invoice_id")),
    # With a link to pay, or made in the same call.
    ("send_invoice_link", "Email an invoice to the client with a payment link.",
     args("invoice_id", "to")),
    ("invoice_and_send", "Create an invoice and e-mail it to the customer.",
     args("customer", "email")),
    # What is sent is money.
    ("send_payment", "Send a payment by e-mail to a recipient.", {**args("email"), **AMOUNT}),
])
def test_issuing_a_bill_or_sending_money_by_e_mail_is_still_money(name, description,
                                                                 properties):
    found = reading(name, description, properties, money_server=True)
    assert found.category == "Financial", found.evidence


def test_archiving_a_money_document_out_of_view_is_no_money():
    found = reading("archive_invoice", "Archive an invoice (hidden from default views, kept for "
                                       "records).", args("invoice"), money_server=True)
    assert found.category == "Write", found.evidence
    # Archiving that cancels what is owed or paid is money.
    assert reading("archive_bill", "Archive a bill and cancel associated inflight payments.",
                   args("bill_id"), True).category == "Financial"
    assert reading("archive_invoice", "Archive an invoice.", args("invoice"),
                   True).category == "Financial"


def test_copying_or_recomputing_the_books_is_no_money():
    assert reading("backup_ledger", "Save a copy of the whole database next to it.", {},
                   True).category == "Write"
    assert reading("recalculate_ledger", "Rebuild all cost-basis lots and gains from the "
                                         "recorded transactions.", {}, True).category != "Financial"
    assert reading("sync_to_accounting", "Push coded, approved transactions to the connected "
                                         "accounting system.", args("ids"),
                   True).category != "Financial"
    # Recomputing one invoice changes what it bills; pushing a payment pays.
    assert reading("recalculate_invoice", "Recalculate an invoice's totals.", args("invoice"),
                   True).category == "Financial"
    assert reading("push_payment", "Push a payment to the payee's card.",
                   AMOUNT).category == "Financial"


def test_a_fiscal_receipt_is_no_money_but_a_payment_with_one_is():
    found = reading("second_receipt_create", "Emit a final fiscal receipt after a prepayment "
                                             "sale.", args("items", "total"), True)
    assert found.category == "Write", found.evidence
    assert reading("acquiring_payment_with_receipt", "Create acquiring payment operation with "
                                                     "fiscal receipt.", AMOUNT,
                   True).category == "Financial"


def test_a_switch_armed_or_an_automatic_act_switched_on_is_no_money():
    armed = reading("set_kill_switch", "Two-step confirmation required. The endpoint creates, "
                                       "updates, or deletes a kill-switch timer for automated "
                                       "trading.", args("market", "timeout"), True)
    assert armed.category == "Destructive", armed.evidence
    # Enabled, a kill switch cancels the live orders now (test_risk_money.py).
    assert reading("set_kill_switch", "Enable the kill switch for the account.", AMOUNT,
                   True).category == "Financial"
    thrown = reading("kill_switch", "Cancel everything live across the desk.", {}, True)
    assert thrown.category == "Financial", thrown.evidence
    switched = reading("set_auto_add_margin", "Turn on/off auto-add-margin for isolated margin "
                                              "position.", args("symbol"), True)
    assert switched.category == "Write", switched.evidence
    assert reading("add_margin", "Add margin to an isolated margin position.",
                   AMOUNT, True).category == "Financial"


# ----- money said by trading, payment and cloud servers ------------------------------------

@pytest.mark.parametrize("name,description", [
    ("manage_bots", "Manage controller-based bots: deploy, monitor, get logs.\n\nFor most "
                    "trading strategies, use manage_executors instead."),
    ("skill_agent", "Supervised trading agent. Runs one observe, decide, act cycle."),
    ("start_bot", "Start a bot that trades the BTC/USDT pair."),
])
def test_a_trading_bot_set_to_work_moves_money(name, description):
    found = reading(name, description)
    assert found.category == "Financial", found.evidence


@pytest.mark.parametrize("name,description,expected", [
    ("list_bots", "List the trading bots.", "Read"),
    ("backtest_bot", "Run a trading bot against historical data (backtest).", "Execute"),
    ("create_agent", "Create a support agent that answers chat.", "Write"),
    ("deploy_bot", "Deploy a chat bot to the workspace.", "Execute"),
])
def test_a_bot_that_does_not_trade_live_is_not_money(name, description, expected):
    assert reading(name, description).category == expected


def test_a_code_that_holds_funds_made_or_redeemed_is_money():
    found = reading("codes_apply_code", "The endpoint applies a code.", args("code"), True)
    assert found.category == "Financial", found.evidence
    found = reading("codes_create_code", "The endpoint creates a code.",
                    {**args("ticker"), **AMOUNT})
    assert found.category == "Financial", found.evidence
    assert reading("redeem_voucher", "Redeem a voucher.", args("code"),
                   True).category == "Financial"
    # Source code, a discount code and a gift card put on a cart are no money.
    assert reading("apply_code_changes", "Apply code changes to the repository.",
                   {}).category != "Financial"
    assert reading("create_discount_code", "Create a discount code.",
                   args("value")).category != "Financial"
    assert reading("apply_gift_card", "Apply a gift card to a cart.", args("cart_id"),
                   True).category != "Financial"
    assert reading("create_code", "Create a code snippet.", args("language")).category == "Write"


def test_ending_what_is_billed_is_money():
    found = reading("delete_volume", "Delete a rented volume by its id, stopping its billing "
                                     "immediately.", args("volume_id"))
    assert found.category == "Financial", found.evidence
    found = reading("destroy_instance", "Destroy (terminate) a rented instance by its id.",
                    args("instance_id"))
    assert found.category == "Financial", found.evidence
    # Removing what nothing says is billed stays Destructive; the billing service is a service.
    assert reading("delete_volume", "Delete a volume by its id. Irreversible.",
                   args("volume_id")).category == "Destructive"
    assert reading("stop_container", "Stop the billing service container.",
                   args("name")).category != "Financial"


def test_calling_a_contracts_state_changing_function_is_money():
    found = reading("write_contract", "Write data to a smart contract by calling a "
                                      "state-changing function.",
                    args("contractAddress", "functionName", "privateKey"))
    assert found.category == "Financial", found.evidence
    assert reading("call_contract", "Call a contract function.",
                   args("address", "signer")).category == "Financial"
    assert reading("read_contract", "Read data from a smart contract by calling a view "
                                    "function.", args("contractAddress")).category == "Read"
    assert reading("write_contract_clause", "Write a clause into a legal contract.",
                   args("text")).category != "Financial"


# ----- a description that says no money moves ---------------------------------------------

@pytest.mark.parametrize("name,description,properties", [
    ("record_refund", "Record a refund against an order, for reporting. This does not send "
                      "money to the customer.", AMOUNT),
    ("create_mandate", "Creates a direct debit mandate for a customer's IBAN. Creating it does "
                       "not collect any funds.", args("iban", "customer")),
    ("record_order", "Record a completed order for tax reports. Does not charge the customer.",
     AMOUNT),
])
def test_a_description_that_says_no_money_moves_is_believed(name, description, properties):
    found = reading(name, description, properties, money_server=True)
    assert found.category in ("Write", "Destructive"), found.evidence
    assert any("moves no money" in line for line in found.evidence)


@pytest.mark.parametrize("name,description,properties,expected", [
    # A condition, a later charge, or a first sentence that charges: still money.
    ("confirm_order", "Place the order and charge the card. If anything drifted, nothing is "
                      "charged.", args("total"), "Financial"),
    ("capture_payment", "Capture an authorized payment. The card is not charged until the "
                        "capture settles.", args("payment_id"), "Financial"),
    # A money verb reads as Financial whatever follows, and a reader stays as it was.
    ("pay_invoice", "Pay an invoice. This does not charge the card; the balance is used.",
     args("invoice_id"), "Financial"),
])
def test_a_denial_never_undoes_money_said_outright(name, description, properties, expected):
    assert reading(name, description, properties, money_server=True).category == expected


def test_a_denial_leaves_a_tool_the_words_read_as_it_was():
    # Only a tool whose words act goes back to its words' reading: never one to Read.
    found = reading("fees_charge_preview", "Show what a charge would transfer. Nothing is "
                                           "charged or transferred.", AMOUNT, True)
    assert not any("moves no money" in line for line in found.evidence)


def test_the_rules_run_in_classify_all_as_in_classify():
    tools = [tool("codes_apply_code", "The endpoint applies a code.", args("code")),
             tool("codes_list", "The endpoint lists codes.", {}),
             tool("deposit_create", "Create a deposit.", AMOUNT),
             tool("payment_refund", "Refund a payment.", AMOUNT),
             tool("invoice_list", "List invoices.", {}),
             tool("withdraw", "Withdraw funds.", AMOUNT)]
    found = classify_all(tools, use_annotations=False)
    assert found["codes_apply_code"].category == "Financial", found["codes_apply_code"].evidence


# ----- the lines of a money document, and money said later ---------------------------------

def test_a_line_added_to_a_money_document_is_the_documents():
    found = reading("add_line_item", "Add a line item to an invoice.", args("invoice_id"))
    assert found.category == "Financial", found.evidence
    assert reading("add_item", "Add an item to the purchase order.",
                   args("po_id")).category == "Financial"
    # A line of a report, an item of a shopping list: no money document.
    assert reading("add_line", "Add a line to the report.", args("id")).category == "Write"
    assert reading("add_list_item", "Add an item to the shopping list.",
                   args("list_id")).category == "Write"


@pytest.mark.parametrize("name,description,properties", [
    ("return_boat", "Hand-over of the boat at the dock. Records fuel level and releases the "
                    "deposit hold if no damage is reported.", args("rental_id")),
    ("offboard_employee", "Offboard an employee: sets the termination date and schedules final "
                          "pay.", args("employee_id")),
    ("create_project", "Create a new project. A project on a paid plan adds $10/month to the "
                       "organization's subscription.", args("name")),
    ("get_invoice_pdf", "Returns the invoice PDF. If the invoice is still a draft it is "
                        "finalised and given a number first.", args("invoice_id")),
    ("record_usage", "Record usage for a subscription item. Reported quantities are aggregated "
                     "and billed at the end of the period.", args("item_id", "quantity")),
])
def test_money_said_later_in_english_makes_an_acting_tool_financial(name, description,
                                                                    properties):
    found = reading(name, description, properties)
    assert found.category == "Financial", found.evidence


@pytest.mark.parametrize("name,description,expected", [
    ("release_lock", "Release the lock on a file.", "Write"),
    ("schedule_reminder", "Schedule a payment reminder e-mail for an invoice.", "Write"),
    ("close_rental", "Close a rental. It never releases the deposit; staff do that.", "Write"),
    ("get_invoice", "Get an invoice. Draft invoices are shown as they are.", "Read"),
])
def test_near_misses_of_money_said_later_stay(name, description, expected):
    assert reading(name, description, args("id")).category == expected


def test_a_closing_document_bills_as_an_invoice_does():
    found = reading("delete_closing_document", "Delete a closing document (UPD/Act) by document "
                                               "ID.", args("document_id"))
    assert found.category == "Financial", found.evidence
    assert reading("create_upd", "Create UPD (universal transfer document).",
                   args("buyer_name", "total")).category == "Financial"
    # E-mailed to an address it is a copy, as an invoice is; other documents are no money.
    assert reading("send_closing_document_email", "Send closing document to specified email "
                                                  "address.", args("document_id", "email"),
                   True).category == "Write"
    assert reading("delete_document", "Delete a document draft.",
                   args("id")).category == "Destructive"
    assert reading("close_document", "Close a document.", args("id")).category == "Write"


def test_approving_the_proof_of_a_payment_settles_the_bill():
    found = reading("payment_verification_approve", "Approve a payment verification: the bill "
                                                    "becomes paid.", args("verification_id"))
    assert found.category == "Financial", found.evidence
    assert reading("approve_verification", "Approve an identity verification.",
                   args("id")).category == "Write"


def test_collecting_a_money_document_and_funding_a_product_named_first_move_money():
    found = reading("dunning_retry", "Immediately retry collection of a past-due invoice.",
                    args("invoice_id"))
    assert found.category == "Financial", found.evidence
    found = reading("earn_subscribe", "Subscribe to a staking product.", AMOUNT)
    assert found.category == "Financial", found.evidence
    # A collection of invoices is a set of them; a product named first without money in
    # sight, or a newsletter subscribed to, moves nothing.
    assert reading("create_collection", "Create a collection of invoices for the export.",
                   args("name")).category == "Write"
    assert reading("newsletter_subscribe", "Subscribe to the newsletter.",
                   args("email")).category == "Write"


def test_an_order_never_sent_is_no_money_but_one_never_sent_twice_is():
    found = reading("test_order", "Test new order creation. Validates the order, but the order "
                                  "is never sent to the matching engine.",
                    {**args("symbol", "side"), **AMOUNT}, True)
    assert found.category == "Execute", found.evidence
    assert reading("place_order", "Place an order. The order is never sent twice.",
                   {**args("symbol", "side"), **AMOUNT}, True).category == "Financial"


def test_transactions_written_into_the_books_and_a_token_launched_are_money():
    found = reading("commit_proposal", "Write a proposal from propose_transactions into the "
                                       "book, as one commit.", args("proposal_id"))
    assert found.category == "Financial", found.evidence
    found = reading("launch", "Launch a token on Robinhood Chain via the launch router.",
                    args("name", "symbol"))
    assert found.category == "Financial", found.evidence
    # Accounts opened in the books, a book added to a list, a credential or a style deployed.
    assert reading("open_accounts", "Add account open directives to the book.",
                   args("text")).category == "Write"
    assert reading("add_book", "Add a book to the reading list.", args("title")).category == "Write"
    assert reading("deploy_token", "Deploy an API token to the server.",
                   args("name")).category == "Execute"
    assert reading("deploy_tokens", "Deploy design tokens to the theme.",
                   args("theme")).category == "Execute"
