"""General money knowledge added to policytui/risk/money.py: money acts the shared verb table
does not name (mint, burn, exercise, rebalance, top up, log an expense), what payment APIs
call money (tips, loans, escrow, mandates, card authorizations, positions), paying
automatically on the way, and what stays no money (quotes, paper trades, carts, checks,
"open orders")."""

from __future__ import annotations

import pytest

from policytui.risk import classify, classify_all
from policytui.risk.descriptions import description_verbs
from policytui.risk.money import description_object, server_handles_money
from policytui.toolinfo import ToolInfo

AMOUNT = {"amount": {"type": "number"}}


def tool(name: str, description: str = "", properties: dict | None = None) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties or {}},
                    annotations={})


def category(name: str, description: str = "", properties: dict | None = None) -> str:
    return classify(tool(name, description, properties)).category


# ----- what payment APIs name, as they name it -------------------------------------------------

@pytest.mark.parametrize("name,description,properties", [
    ("capture_payment_intent", "Capture a previously authorized PaymentIntent.", {}),
    ("finalize_invoice", "Finalize a draft invoice so it can be paid.", {}),
    ("void_invoice", "Void an open invoice.", {}),
    ("create_payout", "Send funds to a connected bank account.", AMOUNT),
    ("cancel_subscription", "Cancel a customer's subscription.", {}),
    ("create_checkout_session", "Create a Checkout Session.", {}),
    ("create_payment_link", "Create a payment link.", {}),
    ("swap_tokens", "Swap one token for another on a DEX.", AMOUNT),
    ("bridge_tokens", "Bridge tokens to another chain.", AMOUNT),
    ("send_eth", "Send ETH to an address.", {"to": {"type": "string"}}),
])
def test_payment_api_acts_are_financial(name, description, properties):
    assert category(name, description, properties) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("list_invoices", "List invoices."),
    ("get_balance", "Get the account balance."),
    ("search_payments", "Search payments."),
    ("get_payout", "Retrieve a payout."),
    ("list_subscriptions", "List subscriptions."),
])
def test_reading_money_stays_read(name, description):
    assert category(name, description) == "Read"


# ----- money acts the shared verb table does not name --------------------------------------------

@pytest.mark.parametrize("name,description,properties", [
    ("mint_nft", "Mint an NFT to a wallet.", {"to": {"type": "string"}}),
    ("mint_tokens", "Mint new tokens.", AMOUNT),
    ("create_nft", "Mints an NFT for the collection.", AMOUNT),
    ("burn_tokens", "Burn tokens from the treasury.", AMOUNT),
    ("wrap_eth", "Wrap ETH into WETH.", AMOUNT),
    ("exercise_option", "Exercise an options contract.", {}),
    ("rebalance_portfolio", "Rebalance the portfolio to its targets.", {}),
    ("top_up_wallet", "Top up the wallet balance.", AMOUNT),
    ("log_expense", "Log an expense.", AMOUNT),
    ("close_position", "Close an open position.", {"symbol": {"type": "string"}}),
    ("claim_rewards", "Claim staking rewards.", {}),
])
def test_money_acts_the_verb_table_does_not_name(name, description, properties):
    assert category(name, description, properties) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("burn_subtitles", "Burn subtitles into a video."),
    ("wrap_text", "Wrap text at 80 columns."),
    ("exercise_log", "Record a workout exercise."),
    ("log_event", "Log an event."),
    ("short_url", "Shorten a URL."),
    ("top_up", "Scroll to the top."),
])
def test_the_same_verbs_without_money_are_not_money(name, description):
    assert category(name, description) != "Financial"


def test_a_tip_a_loan_and_escrow_are_money():
    assert category("post_delivery_tip", "Add or update the tip after delivery.",
                    {"tip_amount": {"type": "number"}}) == "Financial"
    assert category("create_loan", "Create a loan.") == "Financial"
    assert category("release_escrow", "Release the escrow to the seller.") == "Financial"


def test_a_mandate_or_card_authorization_is_money_with_money_in_sight():
    assert category("alter_period_status",
                    "Modify a recurring payment mandate status — suspend, terminate, or "
                    "restart.") == "Financial"
    assert category("cancel_authorization",
                    "Cancel a credit card authorization that has not been closed yet.",
                    AMOUNT) == "Financial"
    assert category("revoke_authorization", "Revoke an OAuth authorization.") != "Financial"


def test_the_narrow_object_is_only_ever_added():
    wide = description_verbs("Cancel every open order across all markets.")
    assert description_object(wide) == ["every", "open", "order", "across", "all", "markets"]
    assert description_object(wide, narrow=True) == ["every", "open", "order"]
    dashed = description_verbs("Modify a mandate content — amount, billing cycle.")
    assert description_object(dashed, narrow=True) == ["a", "mandate", "content"]


# ----- paying on the way, started payments --------------------------------------------------------

def test_paying_automatically_on_the_way_is_financial():
    assert category("nanopay", "Fetch an x402-protected resource and automatically pay using "
                    "Circle Gateway nanopayments.", {"url": {"type": "string"}}) == "Financial"
    assert category("smart_fetch", "Fetch an external resource via HTTP. If it answers 402, "
                    "this tool will automatically negotiate and pay the invoice.",
                    {"url": {"type": "string"}}) == "Financial"
    assert category("fetch_url", "Fetch a URL. It never automatically pays anything.",
                    {"url": {"type": "string"}}) != "Financial"


def test_an_inflected_launcher_starts_a_payment():
    assert category("stk_push", "Initiates M-Pesa Express (STK Push) payment on behalf of a "
                    "customer.", AMOUNT) == "Financial"
    assert category("send_push", "Send a push notification to a device.") != "Financial"


# ----- what stays no money ----------------------------------------------------------------------

@pytest.mark.parametrize("name,description", [
    ("swap_quote", "Retrieve a swap quote."),
    ("stake_quote", "Retrieve a stake quote."),
    ("refund_estimate", "Get an estimate of a refund."),
])
def test_a_quote_of_a_money_act_reads(name, description):
    assert category(name, description) == "Read"


@pytest.mark.parametrize("name,description", [
    ("paper_market_order", "Place a paper market order."),
    ("paper_buy", "Buy shares in the paper account."),
    ("mock_payment", "Create a mock payment in the sandbox."),
    ("demo_order", "Place a demo order."),
])
def test_a_pretence_moves_no_money(name, description):
    assert category(name, description, {"qty": {"type": "number"},
                                        "side": {"type": "string"}}) != "Financial"


def test_live_orders_next_to_paper_ones_stay_financial():
    assert category("live_market_order", "Place a live market order.",
                    {"qty": {"type": "number"}, "side": {"type": "string"}}) == "Financial"


def test_open_orders_are_a_state_not_an_act():
    tools = [tool("orders_open", "Authenticated: live open orders."),
             tool("open_position", "Open a long position.", AMOUNT),
             tool("place_order", "Place an order.", AMOUNT)]
    found = classify_all(tools, use_annotations=False)
    assert found["orders_open"].category != "Financial"
    assert found["open_position"].category == "Financial"


def test_changes_on_a_cart_are_not_money_but_placing_the_order_is():
    assert category("set_tip", "Set the tip amount on the cart.",
                    {"tip_amount": {"type": "number"}}) != "Financial"
    assert category("place_order", "Place an order from a cart.",
                    {"cart_id": {"type": "string"}, "tip_amount": {"type": "number"}}) == \
        "Financial"


def test_a_confirm_that_only_checks_is_not_money():
    assert category("verify_payment", "Confirm an on-chain payment — returns {verified: true} "
                    "if it paid the amount.") != "Financial"
    assert category("confirm_payment", "Confirm a pending payment.") == "Financial"


# ----- money as the server's business -------------------------------------------------------------

def test_income_and_spending_count_as_money_words_of_a_server():
    names = ["get_accounts", "get_tags", "get_transactions", "add_transaction",
             "delete_transaction", "spending_by_category", "income_vs_expense",
             "account_balances", "get_budgets", "set_budget"]
    assert server_handles_money(names)
    assert not server_handles_money(["get_accounts", "get_tags", "list_users", "spending"])


def test_two_word_money_verbs_and_autopay():
    assert category("cash_out", "Cash out the balance to a bank account.", AMOUNT) == "Financial"
    assert category("cashout", "Move the balance to the bank.", AMOUNT) == "Financial"
    assert category("set_autopay", "Turn autopay on for a bill.") == "Financial"


def test_granting_an_allowance_is_financial():
    spender = {"spender": {"type": "string"}, "amount": {"type": "string"}}
    assert category("approve_token", "Approve a spender to spend ERC20 tokens.", spender) == \
        "Financial"
    assert category("get_allowance", "Get the allowance of a spender.", spender) == "Read"


def test_moving_to_another_paid_plan_is_financial():
    assert category("upgrade_plan", "Upgrade the account to a paid plan.") == "Financial"
    assert category("downgrade_subscription_tier", "Downgrade the subscription tier.") == \
        "Financial"
    assert category("upgrade_package", "Upgrade an npm package.") != "Financial"
    assert category("update_plan", "Update the project plan.") != "Financial"


def test_generating_a_report_about_money_moves_none():
    from policytui.risk import classify
    from policytui.toolinfo import ToolInfo

    t = ToolInfo(name="generate_expense_report",
                 description='Generate a detailed expense report ({"expenses": [...]}) for a date '
                             "range.",
                 input_schema={"type": "object", "properties": {"date_range_start": {
                     "type": "string"}}}, annotations={})
    assert classify(t, money_server=True).category != "Financial"
    t = ToolInfo(name="refund_expense", description="Refund an expense to the employee.",
                 input_schema={"type": "object", "properties": {"amount": {"type": "number"}}},
                 annotations={})
    assert classify(t, money_server=True).category == "Financial"


def test_a_generic_record_listed_as_money_documents_and_hyphenated_modifiers_are_money():
    from policytui.risk import classify
    from policytui.toolinfo import ToolInfo

    def tool(name: str, description: str) -> ToolInfo:
        return ToolInfo(name=name, description=description,
                        input_schema={"type": "object", "properties": {"data": {"type": "object"}}},
                        annotations={})

    created = classify(tool("qbo_create", "Create a record: a customer, vendor, account, item, "
                                          "invoice, bill, payment, journal entry, and so on."),
                       money_server=True)
    assert created.category == "Financial", created.evidence
    # A generic record listed as things that are no money stays what its verb says.
    assert classify(tool("crm_create", "Create a record: a contact, company or deal note."),
                    money_server=True).category == "Write"
    cancelled = classify(tool("noop", "Cancel in-flight transactions using the same nonce."),
                         money_server=True)
    assert cancelled.category == "Financial", cancelled.evidence


# ----- a money act named in another language as what the opening verb makes ----------------------

@pytest.mark.parametrize("name,description", [
    ("effectuer_virement", "Effectue un virement vers le compte bancaire d'un bénéficiaire."),
    ("ueberweisung_ausfuehren",
     "Führt eine Überweisung vom Geschäftskonto an den angegebenen Empfänger aus."),
    ("bonus_anlegen", "Legt eine Bonuszahlung an, die mit dem nächsten Lohnlauf kommt."),
    ("crear_cobro", "Crea un cobro a la tarjeta del cliente."),
    ("realizar_pix", "Realiza um pagamento via Pix para a chave informada."),
    ("overboeking_maken", "Maakt een SEPA-overboeking naar een begunstigde of IBAN."),
    ("betaalverzoek_maken", "Maakt een betaalverzoek aan voor een vast bedrag."),
    ("esegui_bonifico", "Esegue un bonifico verso l'IBAN indicato."),
    ("perevod_sredstv", "Выполняет перевод средств на карту получателя."),
    ("furikomi", "指定口座へ振込を実行します。"),
    ("zhuanzhang", "向指定账户发起转账。"),
])
def test_a_money_act_opened_in_another_language_is_financial(name, description):
    assert category(name, description, {"id": {"type": "string"}}) == "Financial"


@pytest.mark.parametrize("name,description,expected", [
    # a reader's verb before the act: it shows one
    ("afficher_virement", "Affiche un virement.", "Read"),
    ("consultar_cobro", "Consulta un cobro por su identificador.", "Read"),
    # the act named without an article is a noun phrase of what is shown
    ("historique_virements", "Historique des virements du compte.", None),
    # "перевод" is a translation too; a window of payment is no payment
    ("perevod_teksta", "Выполняет перевод текста на английский язык.", None),
    ("ouvrir_fenetre", "Ouvre une fenêtre de paiement dans le navigateur.", None),
    # a pretence moves no money
    ("demo_virement", "Effectue un virement fictif (mode demo).", None),
])
def test_money_acts_abroad_that_stay_as_they_are(name, description, expected):
    found = category(name, description, {"id": {"type": "string"}})
    assert found != "Financial"
    if expected is not None:
        assert found == expected


# ----- money said on the way in the languages the tables lacked ----------------------------------

@pytest.mark.parametrize("name,description", [
    ("rezervasyon_olustur", "Rezervasyonu onaylar. İlk gecenin bedeli kayıtlı karttan tahsil "
                            "edilir."),
    ("rezervasyon_iptal", "Rezervasyonu iptal eder. Depozito iade edilir."),
    ("masraf_ekle", "Misafirin folyosuna masraf ekler. Tutar check-out'ta faturalandırılır."),
    ("annulla_ordine", "Annulla un ordine. Se già pagato, il pagamento viene rimborsato "
                       "automaticamente."),
    ("segna_spedito", "Segna l'ordine come spedito. Se il pagamento era solo autorizzato, "
                      "viene catturato al momento della spedizione."),
    ("antecipar_recebiveis", "Antecipa recebíveis. O valor líquido é creditado no saldo "
                             "disponível."),
    ("liquidar_tutor", "Liquida el saldo pendiente del tutor y lo transfiere a su cuenta "
                       "bancaria."),
    ("solicitar_saque", "Transfere saldo disponível para a conta bancária do titular."),
    ("spaarpot_storten", "Zet geld van een betaalrekening over naar een spaarpot."),
    ("egyenleg_feltoltes", "Egyenleg feltöltése a mentett bankkártyáról."),
    ("tao_don_hang", "Tạo đơn giao hàng. Phí vận chuyển được trừ vào ví của shop."),
    ("cancel_booking", "取消订单。已支付金额按退改规则原路退回。"),
    ("xiadan", "为用户下单并从余额扣款。"),
    ("change_plan", "契約プランを変更します。差額は日割りで登録カードに請求されます。"),
])
def test_money_said_on_the_way_abroad_is_financial(name, description):
    assert category(name, description, {"id": {"type": "string"}}) == "Financial"


@pytest.mark.parametrize("name,description", [
    ("rezervasyon_iptal", "Rezervasyonu iptal eder. Depozito iade edilmez."),
    ("annulla_prenotazione", "Annulla una prenotazione. Il pagamento non viene rimborsato."),
    ("aggiorna_file", "Aggiorna un file. Il file viene catturato dallo scanner."),
    ("mover_archivo", "Transfiere el archivo a otra carpeta."),
    ("change_plan", "契約プランを変更します。料金は請求されません。"),
    ("deduct_points", "从会员账户扣除积分。"),
    ("reject_form", "退回审批单。"),
])
def test_money_said_abroad_near_misses_stay_unpaid(name, description):
    assert category(name, description, {"id": {"type": "string"}}) != "Financial"


# ----- what says no money moves ------------------------------------------------------------------

TRADE = {"symbol": {"type": "string"}, "side": {"type": "string"}, "qty": {"type": "number"}}


@pytest.mark.parametrize("name,description,properties,expected", [
    # a later passive whose subject denies it says the act is not done
    ("fees_preview", "Preview how an order amount is split into fees. Nothing is charged or "
                     "transferred.", {"amount": {"type": "integer"}}, "Read"),
    ("list_jobs", "List the jobs of a queue. No jobs are deleted.", {}, "Read"),
    # a name that opens with a what-if is no trade, whatever its arguments
    ("simulate_order", "Simulate an order against the order book and return the expected "
                       "fill price.", TRADE, None),
    ("preview_order", "Preview the fill of an order against the book.", TRADE, None),
    # "No order is placed", "Không tạo đơn": the server says no money moves
    ("order_check", "Check an order against the risk limits. No order is placed.", TRADE, None),
    ("tinh_phi_van_chuyen", "Tính phí vận chuyển dự kiến theo khối lượng. Không tạo đơn.",
     {"khoi_luong_gram": {"type": "integer"}}, None),
])
def test_what_says_no_money_moves_is_not_financial(name, description, properties, expected):
    found = category(name, description, properties)
    assert found != "Financial"
    if expected is not None:
        assert found == expected


@pytest.mark.parametrize("name,description,properties,expected", [
    ("list_jobs", "List the jobs of a queue. Finished jobs are deleted.", {}, "Destructive"),
    ("fees_split", "Split an order amount into fees. The fee is charged to the card.",
     {"amount": {"type": "integer"}}, "Financial"),
    ("place_order", "Place an order against the order book.", TRADE, "Financial"),
    ("place_order", "Place an order. No order is placed if the price moved more than 1%.",
     TRADE, "Financial"),
    ("tao_don_hang", "Tạo đơn giao hàng. Phí vận chuyển được trừ vào ví của shop.",
     {"khoi_luong_gram": {"type": "integer"}}, "Financial"),
])
def test_near_misses_of_no_money_keep_their_act(name, description, properties, expected):
    assert category(name, description, properties) == expected


# ----- the particle a German or Dutch verb leaves at the end ---------------------------------------

@pytest.mark.parametrize("name,description,expected", [
    ("rechnung_anlegen", "Legt eine Rechnung an.", "Financial"),
    ("factuur_maken", "Maakt de factuur aan.", "Financial"),
    ("betaling_uitvoeren", "Voert de betaling uit.", "Financial"),
    # a reader's verb, or no money, keeps its reading
    ("rechnung_anzeigen", "Zeigt die Rechnung an.", "Read"),
    ("factuur_ophalen", "Haalt de factuur op.", "Read"),
    ("kunde_anlegen", "Legt einen Kunden an.", "Write"),
])
def test_a_verb_particle_ending_the_sentence_is_not_the_object(name, description, expected):
    assert category(name, description, {"id": {"type": "string"}}) == expected


# ----- paid with the card on file, or billed in part --------------------------------------------------

@pytest.mark.parametrize("name,description,expected", [
    ("renew_license", "Renew a software license for another year using the card on file.",
     "Financial"),
    ("book_class", "Book a seat in the class with the member's saved card.", "Financial"),
    ("change_plan", "Upgrade or downgrade a customer's subscription plan, with proration.",
     "Financial"),
    # the card itself changed, or a change billed in no part, pays nothing
    ("update_card", "Update the card on file.", "Destructive"),
    ("change_plan", "Change the plan of a project, without proration.", "Destructive"),
    ("get_card", "Show the card on file.", "Read"),
])
def test_paid_with_the_card_on_file_or_with_proration(name, description, expected):
    assert category(name, description, {"id": {"type": "string"}}) == expected


# ----- "payout" before what names its timing is a noun, as "pay" is ---------------------------------

@pytest.mark.parametrize("name,description,expected", [
    ("auszahlungskalender", "Payout schedule: cut-off dates and pay dates for the year.", "Read"),
    ("naechste_termine", "Payout dates of the connected account for the next month.", None),
    ("lohnzettel", "Pay stub of an employee for a period.", None),
    # the verb itself, before what it pays or whom
    ("auszahlung", "Payout the seller's balance to their bank account.", "Financial"),
])
def test_payout_before_its_timing_is_a_noun(name, description, expected):
    found = category(name, description, {"year": {"type": "integer"}})
    if expected is None:
        assert found not in ("Financial", "Read")  # a noun phrase: no act, nor a reader
    else:
        assert found == expected


# ----- a card issued is no money moved, unless it holds funds ---------------------------------------

HOLDER = {"holder_id": {"type": "string"}, "nickname": {"type": "string"}}


@pytest.mark.parametrize("name,description,properties,expected", [
    ("cowork_issue_keycard", "Issue an access card for a member.", HOLDER, "Write"),
    ("issue_virtual_card", "Issue a new virtual card to an employee.", HOLDER, "Write"),
    # a card that holds funds, or is given an amount to spend, moves money onto it
    ("issue_gift_card", "Issue a gift card with an initial balance.", HOLDER, "Financial"),
    ("issue_virtual_card", "Issue a new virtual card to an employee.",
     {**HOLDER, "spend_limit": {"type": "integer"}, "currency": {"type": "string"}},
     "Financial"),
    ("charge_card", "Charge the customer's card.", HOLDER, "Financial"),
])
def test_a_card_issued_without_funds_moves_no_money(name, description, properties, expected):
    assert category(name, description, properties) == expected


# ----- after a preposition in a name, a word more often a noun is one ----------------------------------

@pytest.mark.parametrize("name,description", [
    ("transfersForOrder", "All transfers and reversals that belong to a transfer group."),
    ("payments_for_order", "All payments that belong to an order."),
])
def test_a_noun_after_a_preposition_in_a_name_is_no_money_act(name, description):
    properties = {"group": {"type": "string"}, "currency": {"type": "string"}}
    assert category(name, description, properties) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("pay_for_order", "Pay for an order with the wallet balance."),
    ("order_for_customer", "Order a product for a customer, paid from their balance."),
])
def test_a_money_verb_leading_a_name_before_a_preposition_still_pays(name, description):
    assert category(name, description, AMOUNT) == "Financial"


# ----- an adverb ending the words after a verb is how it is done, not what it acts on ------------------

@pytest.mark.parametrize("name,description,properties,expected", [
    ("lnd_keysend", "Send sats spontaneously to a node pubkey.", {"dest": {"type": "string"}},
     "Financial"),
    ("wallet_move", "Send funds instantly to another wallet.", {"to": {"type": "string"}},
     "Financial"),
    # no money in what is sent, or a noun in -ly, stays as it was
    ("notify", "Send messages instantly to a channel.", {"channel": {"type": "string"}}, "Write"),
    ("order_parts", "Send the parts supply to the workshop.", {"site": {"type": "string"}},
     "Write"),
])
def test_an_adverb_after_what_is_sent_is_not_its_object(name, description, properties,
                                                        expected):
    assert category(name, description, properties) == expected


@pytest.mark.parametrize("name,description,expected", [
    ("update_seats", "Change the seat count on a subscription. Proration is applied by default.",
     "Financial"),
    ("update_seats", "Change the seat count on a team. Proration is explained in the docs.",
     "Destructive"),
])
def test_proration_applied_to_a_change_bills_it(name, description, expected):
    assert category(name, description, {"id": {"type": "string"}}) == expected


SWAP = {"token_in": {"type": "string"}, "token_out": {"type": "string"},
        "amount_in": {"type": "string"}}


@pytest.mark.parametrize("name,description,expected", [
    ("uniswap_quote", "Quote the output amount for swapping an input amount through a pool. "
                      "Does not execute.", "Destructive"),
    ("swap_tokens", "Swap tokens through a pool. It does not execute until confirm is true.",
     "Financial"),
])
def test_a_tool_that_says_it_does_not_execute_moves_no_money(name, description, expected):
    assert category(name, description, SWAP) == expected


def test_a_later_act_that_will_not_execute_is_what_a_cancel_does():
    assert category("cancel_subscription", "Cancel an active subscription. The next due "
                    "renewal pull will not execute.", {"id": {"type": "string"}}) == "Financial"


# ----- a conversion done where funds are held is a trade ---------------------------------------------

CONVERT = {"from": {"type": "string"}, "to": {"type": "string"}, "amount": {"type": "string"}}


@pytest.mark.parametrize("name,description,expected", [
    ("coinbase_convert", "Convert between two currencies in the user's Coinbase account "
                         "(e.g. USDC to BTC).", "Financial"),
    ("convert_funds", "Convert an amount from one currency to another in the wallet.",
     "Financial"),
    # a figure worked out, or a conversion priced first, reads
    ("convert_currency", "Convert an amount between currencies at today's rate.", "Read"),
    ("convert_quote", "Convert an amount between currencies in the account, as a quote.",
     "Read"),
])
def test_a_conversion_where_funds_are_held_trades_them(name, description, expected):
    assert category(name, description, CONVERT) == expected


@pytest.mark.parametrize("name,description,properties,expected", [
    ("aave_supply", "Supply an asset to Aave to earn interest.",
     {"asset": {"type": "string"}, "amount": {"type": "string"}}, True),
    ("supply_collateral", "Supply collateral to a lending market.", AMOUNT, True),
    ("provide_credentials", "Supply the credentials for the connection.",
     {"user": {"type": "string"}}, False),
    ("supply_chain_costs", "Supply chain costs by vendor.", AMOUNT, False),
])
def test_supplying_an_asset_to_a_pool_lends_it(name, description, properties, expected):
    assert (category(name, description, properties) == "Financial") is expected


# ----- whether to pay, asked, is no payment ---------------------------------------------------------

@pytest.mark.parametrize("name,description", [
    ("steam_should_i_buy", "Decide whether to buy one specific game: price, reviews and tags."),
    ("can_we_refund", "Tells whether to refund an order under the store's policy."),
])
def test_whether_to_pay_asked_is_not_financial(name, description):
    assert category(name, description, {"id": {"type": "string"}}) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("buy_game", "Buy one specific game with the wallet balance."),
    ("refund_order", "Refund an order to the card it was paid with."),
])
def test_paying_outright_stays_financial(name, description):
    assert category(name, description, {"id": {"type": "string"}}) == "Financial"


# ----- a trade side before what describes the market, or a noun before "of", trades nothing ----------

@pytest.mark.parametrize("name,description", [
    ("buy_signals", "Scan the watchlist and return buy and sell signals from RSI and MACD."),
    ("buy_sell_ratio", "Taker buy/sell volume ratio of a market."),
    ("sell_through_rate", "Sell-through rate of each SKU for a date range."),
    ("bill_of_materials", "Bill of materials for a product with component costs."),
    ("tip_of_the_day", "A random tip for using the app."),
])
def test_a_trade_side_or_a_noun_naming_a_view_is_no_money_act(name, description):
    assert category(name, description, AMOUNT) != "Financial"


@pytest.mark.parametrize("name,description", [
    ("buy_shares", "Buy shares of a stock at market price."),
    ("sell_position", "Sell the whole position at market."),
    ("bill_customer", "Bill a customer for the hours logged."),
])
def test_a_trade_side_before_what_it_trades_still_trades(name, description):
    assert category(name, description, AMOUNT) == "Financial"


@pytest.mark.parametrize("name,description,expected", [
    ("tag_transaction", "Add a tag to a bank transaction for reporting.", False),
    ("categorize_expense", "Categorize an expense for bookkeeping.", False),
    ("label_payment", "Label a payment with a project code.", False),
    # what changes the money itself still does
    ("void_transaction", "Void a card transaction before it settles.", True),
    ("approve_expense", "Approve an expense so it is reimbursed.", True),
])
def test_labelling_a_money_record_moves_no_money(name, description, expected):
    properties = {"id": {"type": "string"}, "amount": {"type": "number"}}
    assert (category(name, description, properties) == "Financial") is expected


@pytest.mark.parametrize("name,description,expected", [
    ("cancel_order_preview", "Show what cancelling an order would refund, without cancelling.",
     False),
    ("refund_estimate", "Show how much of the payment a refund would return.", False),
    ("cancel_order", "Cancel an order and refund the customer.", True),
])
def test_a_name_ending_with_a_what_if_shows_the_act(name, description, expected):
    assert (category(name, description, {"order_id": {"type": "string"}}) == "Financial"
            ) is expected


@pytest.mark.parametrize("name,description,expected", [
    ("charge_vehicle", "Start charging a vehicle at a charge point.", False),
    ("ev_session_start", "Begins charging the car on connector 2.", False),
    ("start_session", "Start the session, charging the customer's card for the first hour.",
     True),
])
def test_charging_a_vehicle_is_power_not_money(name, description, expected):
    properties = {"charge_point_id": {"type": "string"}, "amount": {"type": "number"}}
    assert (category(name, description, properties) == "Financial") is expected


@pytest.mark.parametrize("name,description,expected", [
    ("invoice_reminder_send", "Send a payment reminder email for an overdue invoice.", False),
    ("payout_notification_send", "Send the payout notification to a seller.", False),
    ("payment_send", "Send a payment to a payee.", True),
    ("funds_send", "Send funds to a wallet address.", True),
])
def test_a_message_sent_about_money_moves_none(name, description, expected):
    properties = {"id": {"type": "string"}, "amount": {"type": "number"}}
    assert (category(name, description, properties) == "Financial") is expected


@pytest.mark.parametrize("name,description,expected", [
    ("dispute_accept", "Accept a dispute, forfeiting the disputed amount to the cardholder.",
     True),
    ("forfeit_bid", "Withdraw from the auction; the deposit is forfeited.", True),
    ("accept_terms", "Accept the terms; the right to a refund is forfeited.", False),
])
def test_money_forfeited_on_the_way_is_financial(name, description, expected):
    assert (category(name, description, {"id": {"type": "string"}}) == "Financial") is expected


@pytest.mark.parametrize("name,description,expected", [
    ("emettre_factures", "Génère les factures du mois pour toutes les familles.", True),
    ("emitir_factura", "Emite la factura del pedido al cliente.", True),
    ("rechnungen_monat", "Rechnungen für den Monat: werden für alle Verträge erstellt.", True),
    ("faktura", "Faktura VAT dla klienta — wystawiana i wysyłana e-mailem.", True),
    # an invoice shown, or whether one could be made, moves no money
    ("rechnung_pruefen", "Prüft, ob Rechnungen erstellt werden können.", False),
    ("factura_pdf", "Descarga la factura en PDF.", False),
])
def test_an_invoice_made_in_another_language_is_financial(name, description, expected):
    assert (category(name, description, {"id": {"type": "string"}}) == "Financial") is expected


# ----- a later clause that says the call moves money ----------------------------------------


@pytest.mark.parametrize("name,description,properties", [
    # a reduced clause after a comma, in a sentence that acts
    ("quote_stay", "Returns the price of a stay and books it at that price, charged on "
     "arrival.", {"guest_id": {"type": "string"}}),
    ("price_rental", "Returns the rental price for the dates and reserves the car at that "
     "price, billed at pickup.", {"car_class": {"type": "string"}}),
    # a charge made again, or tried against what the payer keeps on file
    ("invoices", "Invoices of a customer. Overdue ones are charged again on the card on "
     "file.", {"customer": {"type": "string"}}),
    ("membership", "Membership of a client; lapsed ones are billed again on the saved card.",
     {"client_id": {"type": "string"}}),
    ("dunning_run", "Dunning run: overdue invoices are retried against the card on file and "
     "reminders e-mailed.", {"dry_run": {"type": "boolean"}}),
    ("dunning_queue", "Dunning queue of the day: each entry is retried against the default "
     "payment method.", {"date": {"type": "string"}}),
    # a money verb done to what the reader just named
    ("getInvoice", "Get an invoice. Passing pay: true pays it from the default source.",
     {"invoiceId": {"type": "string"}, "pay": {"type": "boolean"}}),
    ("fetch_bill", "Fetch a utility bill. Setting settle: true pays it from the linked "
     "account.", {"bill_id": {"type": "string"}, "settle": {"type": "boolean"}}),
    # money credited or charges posted to it
    ("customer_balance", "Customer balance. An amount passed is credited to it.",
     {"customer": {"type": "string"}, "amount": {"type": "integer"}}),
    ("folio_balance", "Balance of a guest's folio; pending minibar and room-service charges "
     "are posted to it first.", {"folio_id": {"type": "string"}}),
    ("tab_total", "Total of a table's tab; the service charge and tips are posted to it "
     "first.", {"tab_id": {"type": "string"}}),
    # a bill sent for collection
    ("invoice_finalization", "Invoice finalization: draft invoices become open and are sent "
     "for collection.", {"invoice": {"type": "string"}}),
    ("statement_close", "Statement close: unpaid statements are locked and sent to "
     "collections.", {"period": {"type": "string"}}),
])
def test_a_later_clause_that_moves_money_is_financial(name, description, properties):
    c = classify(tool(name, description, properties))
    assert c.category == "Financial", c.evidence


@pytest.mark.parametrize("name,description", [
    # what would be charged, or whether, is shown
    ("stay_estimate", "Shows what would be charged on arrival for a stay."),
    ("renewal_check", "Returns whether the card on file would be charged at the next "
     "renewal."),
    ("dunning_settings", "Get the dunning settings: how often invoices are retried against "
     "the card on file."),
    # charges as what is listed, and who pays
    ("list_folio_charges", "List the charges on a guest folio. Charges are listed newest "
     "first."),
    ("get_billing_contact", "Get the billing contact of an invoice: the person who pays it."),
    # a bill sent for collection before the call
    ("invoice_status", "Status of an invoice. Shows whether it was sent for collection."),
])
def test_a_later_clause_that_shows_money_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # charges posted before, kept by an act that moves no money
    ("rename_folio", "Rename a guest folio. Charges already posted to it are kept."),
    # invoices sent to collections before the call
    ("collections_report", "Collections report: which invoices were sent to collections."),
])
def test_money_moved_before_the_call_is_no_money(name, description):
    c = classify(tool(name, description, {"id": {"type": "string"}}))
    assert c.category != "Financial", c.evidence
