"""General word lists the classifier matches against. No tool names: verbs, nouns and argument
names as they are used across APIs.

A verb maps to a *kind*, which is finer than a category:
- READ: looks at something (Read).
- WRITE: adds something or changes a reversible state (Write).
- MODIFY: changes existing data in place (Destructive, severity High). The MCP spec counts any
  update that is not purely additive as destructive, and so does this classifier.
- REMOVE: deletes, kills, wipes or overwrites (Destructive, severity Critical).
- EXECUTE: runs or re-runs something (Execute).
- MONEY: moves money whatever the object (Financial).
"""

from __future__ import annotations

READ = "read"
WRITE = "write"
MODIFY = "modify"
REMOVE = "remove"
EXECUTE = "execute"
MONEY = "money"


def _table(**groups: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for kind, words in groups.items():
        for word in words.split():
            if table.setdefault(word, kind) != kind:  # a word must mean one thing
                raise ValueError(f"verb {word!r} is listed as both {table[word]} and {kind}")
    return table


VERBS: dict[str, str] = _table(
    read="""
        get list read fetch search find query show describe view lookup look browse inspect
        check count retrieve download export resolve explain summarize summarise analyze
        analyse diff compare validate verify preview peek scan watch follow monitor stream poll
        tail cat echo ping convert calculate compute estimate parse render translate recommend
        suggest print display locate discover explore grep visualize visualise lint audit
        measure detect identify extract match filter rank score classify predict diagnose
        trace ls stat whoami observe investigate sample aggregate screenshot fetchall
        lookup retrieveall return enumerate scrape crawl wait geocode geolocate plan screen
        probe calc track decode encode tokenize transcribe autocomplete solve forecast think
        brainstorm critique proofread traceroute backtest
        """,
    write="""
        create add append insert new make post put write save store upload import send publish
        comment reply invite assign label tag star fork commit stage push enable activate
        register subscribe unsubscribe schedule pause suspend stop toggle mark approve submit
        request copy clone duplicate generate compress gzip zip archive unarchive lock unlock
        pin unpin close reopen link attach connect join share grant notify email annotate
        bookmark like react vote checkout switch init initialize setup provision allocate
        reserve book enqueue queue increment bump confirm accept reject dismiss decline complete
        refill remind
        sync refresh reload release promote snapshot backup leave deactivate mute unmute disable
        rate review upvote downvote charge trade order bill invoice capture wire settle
        issue place finalize withdraw deposit redeem renew record click fill hover drag press
        scroll navigate goto go tap swipe focus type login logout signin signout
        authenticate authorize authorise finalise acknowledge ack respond answer end finish open
        claim split bridge topup persist resubscribe deliver
        snooze forward reauthorize reauthenticate unfollow unstar unwatch unshare unhide
        unblock hide silence escalate broadcast tweet retweet mount
        acquire sign countersign cosign accrue ring initialise
        """,
    modify="""
        update edit modify patch set change move rename replace upsert apply configure
        reconfigure reorder restore migrate upgrade downgrade merge rebase squash cancel revert
        rollback undo reassign resize scale shutdown mv chmod chown transfer detach unassign
        disassociate createorupdate addorupdate revise amend adjust manage transition rotate sort
        extend repair fix autofix recover customize customise unsplit unpublish unmerge
        cordon uncordon taint untaint hibernate quarantine isolate poweroff demote
        unmount redact invalidate reroute swap waive deallocate
        correct
        """,
    remove="""
        delete del remove rm drop destroy purge erase wipe truncate clear reset kill terminate
        abort revoke uninstall unlink overwrite rewrite evict flush prune clean cleanup shred
        expunge nuke ban discard rmdir unset unregister deregister deprovision decommission
        void recreate reinstall reimage reprovision drain teardown empty trash kick dequeue
        """,
    execute="""
        execute exec run eval evaluate invoke call launch start trigger spawn dispatch backfill
        replay restart rerun retry resume deploy build compile install reboot interact test
        rebuild process train ingest reindex vacuum failover redeploy
        """,
    money="""
        pay refund purchase buy sell payout tip donate stake unstake borrow lend repay
        liquidate recharge fund reimburse disburse remit wager rent
        """,
)

# Words that are verbs in the table above but more often nouns in a tool name ("comment_list",
# "search_query"). They decide only when the name has no unambiguous verb.
AMBIGUOUS: frozenset[str] = frozenset(
    """
    comment post tag label stage schedule star pin lock close open watch follow stream query
    check view return like rate review sample match filter sort rank score trace stat tail cat
    set mark queue link share book snapshot backup release scale order bill invoice fund wire rent
    issue charge trade capture request deposit purchase refund payout transfer tip type open
    test go end focus answer record process transition place archive plan claim split setup
    screen train silence quarantine taint empty trash broadcast mount
    sign ring
    """.split()
)

# Read verbs whose object decides whether they only look: "resolve" a name or an ID looks it
# up, but resolving a comment thread, an incident or an alert closes it; "follow" or "watch"
# logs and a build streams them, but following a user or watching a repository subscribes.
# With any other object (or none named) these verbs add or change state.
_LOOKUPS = frozenset(
    """
    id ids identifier identifiers name names symbol symbols address addresses path paths
    reference references ref refs uri uris url urls alias aliases host hostname hostnames dns
    domain domains handle handles library libraries package packages version versions type types
    location locations coordinate coordinates variable variables placeholder placeholders
    dependency dependencies import imports module modules schema schemas key keys
    """.split()
)
_STREAMS = frozenset(
    """
    log logs event events stream streams output outputs file files directory directories folder
    changes change progress status tail metrics metric build builds job jobs run runs execution
    executions deployment deployments pipeline pipelines task tasks workflow workflows operation
    operations resource resources pod pods container containers
    """.split()
)
# "track" a shipment, an order, progress or changes looks up where they stand; tracking time,
# an event or an invoice records or watches something ("track_time", "mixpanel_track", "Start
# tracking an invoice").
_TRACKED = frozenset(
    """
    shipment shipments package packages parcel parcels delivery deliveries order orders flight
    flights consignment consignments vessel vessels progress status changes change ranking
    rankings rank position positions location locations price prices performance usage
    """.split()
)
OBJECT_READS: dict[str, frozenset[str]] = {
    "resolve": _LOOKUPS, "follow": _STREAMS, "watch": _STREAMS, "track": _TRACKED,
}
# Reading verbs that act on these objects: checking a checkbox ticks it, extracting an
# archive writes its files, printing a label or a receipt puts it on paper.
OBJECT_ACTS: dict[str, frozenset[str]] = {
    "check": frozenset("checkbox checkboxes box boxes".split()),
    "extract": frozenset("archive archives zip zips tarball tarballs tar rar".split()),
    "print": frozenset("label labels receipt receipts cheque cheques document documents".split()),
    # Converting a CRM record makes others of it ("convertLead": "Converts a Lead into an
    # Account"); a pull request to a draft changes it.
    "convert": frozenset("lead leads trial trials prospect prospects opportunity "
                         "opportunities draft".split()),
    # Showing one notification, toast or dialog puts it on a screen ("show_notification":
    # "Show a notification on the user's phone"); "show_notifications" lists them.
    "show": frozenset("notification toast banner popup dialog".split()),
    "display": frozenset("notification toast banner popup dialog".split()),
}
# Of those, the verbs that need their object named to read: a bare "track" records.
_NEEDS_AN_OBJECT = frozenset(("track",))

# What is on a screen: capturing or snapshotting it takes a picture to hand back ("Capture
# screenshot", "snapshot_ui"), where capturing a payment or snapshotting a volume makes
# something. A page is left out: "capture a page" may archive it.
SCREENS: frozenset[str] = frozenset(
    """
    screenshot screenshots screen screens screencap screencapture ui window windows viewport
    viewports display displays dom accessibility
    """.split()
)
# Query languages that can only read: running a query in one of them looks something up
# ("Run a PromQL query"). Not SQL, Cypher, CQL, KQL or SPL, which may also write or delete.
READ_ONLY_QUERY_LANGUAGES: frozenset[str] = frozenset(
    """
    promql logql metricsql traceql bql jql nrql soql sosl gaql jmespath jsonpath xpath
    """.split()
)
# Verbs that add something unless their object is what is on a screen.
CAPTURES: frozenset[str] = frozenset(("capture", "snapshot"))


def captures_a_screen(objects: list[str]) -> bool:
    """Does a "capture"/"snapshot" take a picture of a screen (`objects` names one)?"""
    return any(word in SCREENS for word in objects)


def reads_its_object(verb: str, objects: list[str]) -> bool | None:
    """For a verb of OBJECT_READS: does it only look at these objects? None when no object
    is named (the verb keeps its table kind)."""
    if not objects:
        return False if verb in _NEEDS_AN_OBJECT else None
    looks = OBJECT_READS[verb]
    lookup = looks is _LOOKUPS
    for word in objects:
        if word in looks or (lookup and len(word) > 3 and word.endswith(("id", "ids"))):
            return True
    return False


# What a description may say it generates and hands back, changing nothing: "Generate a preview
# URL", "Generates an Alloy snippet", "Generate style JSON", and renderings of data given to it:
# "Generate a bar chart", "Generate a route map" (drawing a chart is what `render` and
# `visualize` do). Not links, keys, tokens, reports, images on their own or anything about
# money: generating those often creates something on the server (a share or payment link, a
# credential, a stored report, a stored picture). See NOT_RETURNED.
RETURNED_ARTIFACTS: frozenset[str] = frozenset(
    """
    url urls uri uris snippet snippets json yaml yml xml html markdown svg diagram diagrams
    code sql regex expression expressions summary explanation example examples
    """.split()
) | frozenset(
    """
    chart charts plot plots map maps diagram diagrams visualization visualizations
    visualisation visualisations
    """.split()
)
# Renderings of data the tool is handed: what a tool whose name says "generate" may still only
# draw and hand back ("generate_bar_chart": "Generate a bar chart ...").
RENDERINGS: frozenset[str] = frozenset(
    """
    chart charts plot plots map maps diagram diagrams visualization visualizations
    visualisation visualisations
    """.split()
)
# What makes a generated thing more than text handed back, even next to an artifact word: a
# link or key that works once made ("deeplink URLs", "an API key map"), a stored report.
NOT_RETURNED: frozenset[str] = frozenset(
    """
    link links deeplink deeplinks permalink permalinks shortlink key keys apikey token tokens
    credential credentials password passwords secret secrets report reports invite invites
    """.split()
)


# What testing only looks at: "test_connection", "slack_auth_test", "Test the API connectivity".
# Testing anything else (a webhook, an email, a pipeline) sends or runs something.
CONNECTIVITY: frozenset[str] = frozenset(
    """
    connection connections connectivity auth authentication credential credentials
    reachability
    """.split()
)


# What a query or search word can only modify, not head: "Run the search job", "Restart the
# query engine", "start_search_indexer" run or start the job, the engine, the indexer.
RUNNING_THINGS: frozenset[str] = frozenset(
    """
    job jobs engine engines service services indexer indexers index indexes indices server
    servers worker workers pipeline pipelines task tasks process processes cluster clusters
    node nodes crawler crawlers daemon daemons container containers instance instances agent
    agents migration migrations sync update updates build builds workflow workflows script
    scripts scheduler schedulers backfill rebuild reindex deployment deployments
    """.split())
# Verbs that only start something; "start_search" is a search, "begin_scan" a scan.
LAUNCHERS: frozenset[str] = frozenset("start begin initiate perform do".split())

# Verbs that move money only when money is in sight: "send_payment" but not "send_email",
# "transfer_funds" but not "transfer_repository". Without money context they keep their kind.
# Some of other languages too: a card payment captured ("capturar"), money withdrawn
# ("retirar", Indonesian "tarik"), though the same words capture a screen or pull data.
MONEY_IF_CONTEXT: frozenset[str] = frozenset(
    """
    send transfer charge trade order bill invoice capture wire settle issue withdraw
    deposit redeem renew claim bridge topup swap waive refill
    captura capturar retira retirar tarik menarik
    """.split()
)

# Objects that, when something is created, changed, cancelled or deleted about them, change what
# someone pays or is owed ("cancel_subscription", "create_refund", "edit_bill").
MONEY_OBJECTS: frozenset[str] = frozenset(
    """
    payment payments payout payouts refund refunds invoice invoices bill bills charge charges
    chargeback chargebacks expense expenses subscription subscriptions purchase purchases
    deposit deposits withdrawal withdrawals remittance remittances payroll salary salaries
    money funds cash wire trade trades ledger renewal renewals order orders credit credits
    journal journals checkout checkouts reimbursement reimbursements liquidity withdraw debit
    debits
    withdraws bet bets wager wagers
    """.split()
)
# Objects that are money only with money in sight: a "transfer" of funds but not of a
# repository, a trading "order" but not a sort order, a "credit" note but not a film credit.
MONEY_OBJECTS_IF_CONTEXT: frozenset[str] = frozenset(
    """
    transaction transactions transfer transfers adjustment
    adjustments receipt receipts fund entry entries position positions margin stop stops
    spending allowance allowances hold holds bid bids
    fee fees surcharge surcharges penalty penalties fine fines bonus bonuses
    """.split()
)
MONEY_MOVEMENT_NOUNS: frozenset[str] = MONEY_OBJECTS | MONEY_OBJECTS_IF_CONTEXT
# Nouns that put money in sight (context for the words above). The objects that need context
# are not among them: an "order" does not make another "order" money.
MONEY_NOUNS: frozenset[str] = MONEY_OBJECTS | frozenset(
    """
    amount amounts price prices cost costs fee fees balance balances wallet wallets currency
    usd eur gbp jpy btc eth crypto coin coins dollar dollars euro euros debit debits card cards
    bank iban billing budget tokens stablecoin sale sales tax taxes vendor payee accounting
    profit margin leverage nft nfts onchain ach sepa usdc usdt dai sats satoshi satoshis
    lamports wei gwei voucher vouchers savings sol avax matic xrp bnb doge ltc trx
    """.split()
)
# Money verbs that, inside a description's first sentence and followed by what is paid ("...,
# automatically paying any challenge"), say the tool spends money whatever its lead verb.
PAYING_VERBS: frozenset[str] = frozenset("pay buy purchase donate tip charge".split())
# Nouns "pay" makes a compound with, where it is no verb: "pay_stub", "Pay period of ...".
PAY_NOUNS: frozenset[str] = frozenset(
    "stub stubs slip slips period periods rate rates date dates grade grades scale scales cycle "
    "cycles schedule schedules statement statements".split())
# The money verbs that make such a compound: "payout schedule", "payout dates" name when a
# payout is made, as "pay period" does.
PAY_COMPOUNDS: frozenset[str] = frozenset("pay payout".split())
# Trading verbs before what describes the market for them name that, and trade nothing:
# "buy_signals", "sell_pressure", "buy_sell_ratio", "Sell-through rate of each SKU".
TRADE_SIDES: frozenset[str] = frozenset("buy sell".split())
TRADE_VIEWS: frozenset[str] = frozenset(
    "signal signals idea ideas recommendation recommendations rating ratings pressure ratio "
    "wall walls zone zones volume volumes through side sell buy score scores".split())
# Words before a verb that make the act a what-if: "preview_transaction_create".
HYPOTHETICAL: frozenset[str] = frozenset(
    "preview previews simulate simulation dryrun dry estimate quote".split())
# Verbs that make one thing into another: "convert_estimate_to_invoice" makes an invoice.
CONVERTERS: frozenset[str] = frozenset("convert transform turn".split())
# Argument names that carry an amount of money.
MONEY_ARGUMENTS: frozenset[str] = frozenset(
    """
    amount amountcents amountinminorunits price unitprice cost fee total totalamount sum
    currency currencycode value_usd payment valueusd priceinmicros quantity qty notional
    """.split()
)

# Argument names whose value is code or a command (normalised: lower case, no separators).
SHELL_ARGUMENTS: frozenset[str] = frozenset(
    """
    command cmd commandline commands script shell shellcommand bash powershell code sourcecode
    program snippet eval javascript js python pythoncode jscode
    """.split()
)
SQL_ARGUMENTS: frozenset[str] = frozenset("sql sqlquery statement sqlstatement cypher".split())

# Names of the argument that selects the operation of a multi-action tool (normalised).
ACTION_ARGUMENTS: frozenset[str] = frozenset(
    """
    action operation op command cmd mode method verb subcommand actiontype operationtype
    actionname operationname
    """.split()
)

# Argument names that switch a writer into a destroyer.
FORCE_ARGUMENTS: frozenset[str] = frozenset(
    "force overwrite forceoverwrite hard harddelete purge truncate replaceexisting".split()
)

# Switch names (normalised) that make a tool remove things when set ("prune" on a fetch prunes
# references). Only the bare verb: `removeComments` on a reader trims what it returns.
REMOVAL_SWITCHES: frozenset[str] = frozenset(
    "prune delete remove purge wipe deleteafterread deleteafter removeafter destroy "
    "deleteafterfetch deleteafterdownload expunge".split())

# Switch names (normalised) that make a tool carry out what it otherwise only shows or proposes
# ("suggest_reschedule" with `apply`, a lint with `fix`, a preview with `send`).
ACT_SWITCHES: frozenset[str] = frozenset(
    "apply commit execute confirm submit send publish autofix fix persist markread markasread "
    "markseen markasseen inplace write applyfixes autoapply dryrun".split())

# Argument names (normalised) holding a list of steps the tool performs ("actions" of a page
# scrape: click, write, executeJavascript); what the steps may be is an enum in each item.
STEP_ARGUMENTS: frozenset[str] = frozenset("actions steps operations interactions".split())
# Fields of a step that say what it does.
STEP_FIELDS: tuple[str, ...] = ("type", "action", "op", "operation", "kind", "command")

# Words skipped at the start of a description before its real verb: "This tool lets you
# delete ...", "Use this tool to create ...", "Can be used to run ...".
LEAD_IN_WORDS: frozenset[str] = frozenset(
    """
    this the a an mcp tool will can lets let you allows allow to is used helps help that which
    for use it user users agent agents be please simply endpoint
    """.split()
)

# Words that, in a name or the first sentence of a description, point at secrets: a read of
# them is High severity, because what comes back can be used against the system.
SECRET_WORDS: frozenset[str] = frozenset(
    """
    secret secrets credential credentials password passwords passwd apikey apikeys env dotenv
    environ privatekey privatekeys keychain keystore vault printenv getenv showenv dumpenv
    kubeconfig mnemonic mnemonics cookie cookies
    """.split()
)
# Two name words that together name a secret ("get_api_key", "get_access_token").
SECRET_PAIRS: frozenset[tuple[str, str]] = frozenset(
    tuple(pair.split("+")) for pair in  # type: ignore[misc]
    """
    api+key api+keys access+token access+tokens refresh+token refresh+tokens auth+token
    bearer+token private+key private+keys ssh+key ssh+keys seed+phrase recovery+phrase
    connection+string client+secret signing+key session+token
    """.split())
# Their first words: most names have none, and then no pair is looked for.
SECRET_PAIR_FIRSTS: frozenset[str] = frozenset(first for first, _ in SECRET_PAIRS)

# Verbs that carry something outside the system the tool lives in (open-world).
OUTWARD_VERBS: frozenset[str] = frozenset(
    "send email notify publish post tweet reply broadcast invite share message sms forward"
    " deliver".split()
)

# Argument names (normalised) that take an address anywhere on the network.
URL_ARGUMENTS: frozenset[str] = frozenset(
    "url urls uri endpoint href webhook webhookurl targeturl baseurl link callbackurl".split()
)

# Argument names (normalised) that say where a tool writes a file.
OUTPUT_ARGUMENTS: frozenset[str] = frozenset(
    """
    outputdir outputdirectory outputpath outputfile outputfilename savepath savedir savefile
    savetofile destinationpath destinationdir destinationfile destpath destdir targetdir
    downloaddir downloadpath downloaddirectory outdir outfile saveto saveas
    """.split()
)

# HTTP methods that change something, as the verb of a tool that sends any request to an API.
HTTP_WRITES: frozenset[str] = frozenset("post put patch delete".split())
# Argument names (normalised) that pick the API path such a tool calls.
API_PATH_ARGUMENTS: frozenset[str] = frozenset("path endpoint route apipath url uri".split())

# Verbs that read something and hand it over as a file: given a path, they write there.
FILE_PRODUCERS: frozenset[str] = frozenset("export download dump save".split())

# Who or what pays: "charge_customer" and "bill_card" move money even with no money word.
PAYERS: frozenset[str] = frozenset(
    "customer customers client clients card cards account accounts buyer buyers wallet "
    "wallets member members subscriber subscribers".split()
)

# Nouns that name a view of data, as the last word of a name with no verb at all
# ("account_balances", "market_stats", "general_ledger_summary"): a tool named for what it shows.
VIEW_NOUNS: frozenset[str] = frozenset(
    """
    summary summaries overview balance balances ledger stats statistics info details history
    status health metrics analytics performance candles klines ticker tickers orderbook depth
    receivables payables usage quota quotas limits fees rates prices holdings forecast trends
    insights news activity catalog catalogue version versions schema schemas tree profile
    metadata timeline feed lineage topology schedule schedules calendar weather conditions
    timezone eligibility
    """.split()
)
