"""Readers named the way map, chart, search and test-management servers name them are Read, and
each rule that lets a tool through as a reader still lets nothing through that says it changes,
sends, deletes, pays or runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policytui.risk import classify, classify_all
from policytui.toolinfo import ToolInfo


def tool(name: str, description: str = "", properties: dict | None = None) -> ToolInfo:
    return ToolInfo(name=name, description=description,
                    input_schema={"type": "object", "properties": properties or {}},
                    annotations={})


def _classified_as(info: ToolInfo, category: str) -> None:
    """The tool's category is `category`, or, written "not Read", anything but Read."""
    c = classify(info)
    if category.startswith("not "):
        assert c.category != category[4:], c.evidence
    else:
        assert c.category == category, c.evidence


# ----- a word more often a noun, after another word, yields to a reading description -------


@pytest.mark.parametrize("name,description", [
    ("maps_place_details", "Get comprehensive details for a specific place using its place_id."),
    ("weather_archive", "Get historical weather data for specific coordinates and date range."),
    ("product_tag_details", "Get the details of a product tag."),
])
def test_a_noun_like_verb_after_another_word_yields_to_a_reading_description(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence
    assert any("more often a noun" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,category", [
    # First in the name, the word is the verb: the description agrees or the riskier wins.
    ("place_order", "Place a trading order.", "Financial"),
    ("archive_issue", "Get the issue and archive it.", "Write"),
    ("archive_project", "Archive a project.", "Write"),
    # After another word but with a description that changes something: not a reader.
    ("maps_place_marker", "Place a marker on the shared map.", "Write"),
    ("repo_archive", "Archive a repository so that it becomes read-only.", "Write"),
    # An HTTP method after "api" is never a noun.
    ("service_api_post", "List what the service offers; sends a POST request.", "Write"),
    # A reading verb found only deep in the text is no lead.
    ("notes_archive", "This tool helps to find notes and archive them.", "Write"),
])
def test_a_noun_like_verb_still_acts_when_nothing_says_it_only_reads(name, description,
                                                                      category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


def test_a_cjk_verb_is_no_lead_that_outvotes_a_name():
    c = classify(tool("freee_api_post", "freee API POST - service: accounting (詳細はガイドを参照)",
                      {"path": {"type": "string"}, "body": {"type": "object"}}))
    assert c.category != "Read", c.evidence


# ----- the name starts with the description's reading verb ----------------------------------


@pytest.mark.parametrize("name,description", [
    ("check_import_status", "Checks the status of a TMX import job started by import_tmx."),
    ("check_glossary_import_status", "Checks the status of a glossary import job."),
    ("view_upload_history", "View the history of past uploads."),
])
def test_a_name_that_starts_with_the_descriptions_reading_verb_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # The description's verb is not the name's first word.
    ("check_import_status", "Imports the file, then returns its status.", "Write"),
    # The name ends with a verb of its own: the riskier reading wins, as for get_job_run.
    ("check_and_delete", "Checks whether a file exists.", "Destructive"),
    ("get_job_run", "Get the details of one job run.", "Execute"),
    # The description offers another verb: it counts.
    ("check_import_status", "Check the import status, or cancel the import.", "Destructive"),
])
def test_a_name_starting_with_a_reading_verb_keeps_its_riskier_verbs_otherwise(
        name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- generating a rendering of the data handed over ---------------------------------------


CHART_DATA = {"data": {"type": "array", "items": {"type": "object"}},
              "width": {"type": "number"}, "title": {"type": "string"}}


@pytest.mark.parametrize("name,description", [
    ("generate_bar_chart", "Generate a horizontal bar chart to show data for comparisons."),
    ("generate_district_map", "Generates regional distribution maps of a dataset."),
    ("generate_fishbone_diagram", "Generate a fishbone diagram chart to show causes."),
    ("generate_network_graph", "Generate a network graph chart to show relationships."),
    ("maps_static_map", "Generate a map image with markers, paths, or routes."),
    ("generate_radar_chart", "Generate a radar chart, such as, evaluate phones by five scores."),
])
def test_generating_a_chart_map_or_diagram_of_given_data_reads(name, description):
    c = classify(tool(name, description, CHART_DATA))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,properties,category", [
    # Code, links, keys and reports are not renderings: a "generate" name keeps Write.
    ("generate_data_access_layer", "Generate Python code for a data access layer.",
     {"schema_path": {"type": "string"}}, "Write"),
    ("generate_deeplink", "Generate deeplink URLs for dashboards.", {}, "Write"),
    ("generate_share_link", "Generate a map link to share with others.", {}, "Write"),
    ("generate_report_chart", "Generate a chart for the monthly report.", {}, "Write"),
    ("generate_api_key", "Generate an API key.", {}, "Write"),
    ("generate_spreadsheet", "Generate a spreadsheet for displaying tabular data.",
     CHART_DATA, "Write"),
    # A rendering that is stored, sent or paid for says so.
    ("generate_chart", "Generate a chart and save it to the dashboard.", CHART_DATA, "Write"),
    ("generate_chart", "Generate a chart, then email it to the team.", CHART_DATA, "Write"),
    ("generate_invoice_chart", "Generate a chart of invoices and pay the oldest.", {},
     "Financial"),
    # Told where to write the file, it writes.
    ("generate_chart", "Generate a line chart.", {"outputPath": {"type": "string"}}, "Write"),
])
def test_generating_anything_else_or_keeping_it_is_no_read(name, description, properties,
                                                            category):
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


# ----- map and route verbs ------------------------------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("maps_batch_geocode", "Geocode multiple addresses in one call."),
    ("geocode", "Turn an address into coordinates."),
    ("maps_plan_route", "Plan an optimized multi-stop route in one call."),
])
def test_geocoding_and_planning_a_route_read(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    ("plan", "", "Other"),  # one weak word is not enough
    ("plan_posts", "Schedule posts for the week.", "Write"),
    ("update_plan", "Update the subscription plan.", "Destructive"),
    ("create_plan", "Create a plan.", "Write"),
])
def test_plan_reads_only_with_a_clear_sign_and_nothing_riskier(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- an argument called `code` that holds an identifier -----------------------------------


PROJECT_CODE = {"type": "string", "minLength": 2, "maxLength": 10, "pattern": "^[A-Z0-9_]+$",
                "description": "Project code (2-10 uppercase letters, numbers, or underscores)"}


@pytest.mark.parametrize("prop", [
    PROJECT_CODE,
    {"type": "string", "description": "The ISO country code, e.g. DE"},
    {"type": "string", "description": "Currency code of the price list"},
    {"type": "string", "maxLength": 32},
    # A filter on a code value is an identifier too.
    {"type": "string", "description": "Filter results to vendors matching this code."},
    {"type": "string", "description": "Filter results by the code identifier of the options."},
    {"type": "string", "description": "Only items matching this code value exactly."},
    {"type": "string", "description": "The tax code to look for."},
])
def test_a_code_argument_that_names_something_takes_no_code(prop):
    c = classify(tool("qase_get", "Fetch one known record by type and ID.",
                      {"code": prop, "id": {"type": "integer"}}))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("prop,category", [
    ({"type": "string", "description": "Python code to run"}, "Execute"),
    ({"type": "string"}, "Execute"),
    ({"type": "string", "maxLength": 100000, "description": "The source code"}, "Execute"),
    # The length bound applies to `code` only: a short command is still a command.
    ({"type": "string", "maxLength": 20}, "Execute"),
    # A filter written as code is still code.
    ({"type": "string", "description": "Filter results with this Python expression"}, "Execute"),
    ({"type": "string", "description": "JavaScript code that filters the results"}, "Execute"),
])
def test_a_code_argument_that_may_hold_code_still_runs_it(prop, category):
    name = "command" if prop.get("maxLength") == 20 else "code"
    c = classify(tool("get_result", "Get the result of the snippet.", {name: prop}))
    assert c.category == category, c.evidence


# ----- hyphenated verbs and second steps ----------------------------------------------------


@pytest.mark.parametrize("name,description,category", [
    ("pubmed_spell_check", "Spell-check a query and get the suggested correction.", "Read"),
    ("helper", "Soft-delete a record.", "Destructive"),
    ("helper", "Re-run the failed job.", "Execute"),
    ("helper", "Non-destructive listing of files.", "Other"),
])
def test_the_verb_of_a_hyphenated_compound_leads(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("description,category", [
    ("Generate a chart, then email it to the team.", "Write"),
    ("Generate a chart and also delete it afterwards.", "Destructive"),
])
def test_a_second_step_after_then_or_also_counts(description, category):
    c = classify(tool("generate_chart", description, CHART_DATA))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A noun-like verb that moves money keeps its reading even after another word.
    ("customer_refund", "Get the refund status.", "Financial"),
    # A second step with its own object counts after a reading lead.
    ("repo_tag", "Look up the commit and tag it.", "Write"),
    ("wallet_charge", "Check the balance and charge the card.", "Financial"),
    ("account_transfer", "Get the balance, then transfer the funds.", "Financial"),
])
def test_a_noun_like_verb_never_hides_money_or_a_second_step(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- a name's last verb that the description names as the thing read ---------------------


@pytest.mark.parametrize("name,description", [
    ("get_email", "Get the full content of a specific email by ID."),
    ("get_reminder_copy", "Show the user's custom reminder email copy and schedule."),
    ("fetch_draft", "Fetch the latest draft of the letter."),
])
def test_a_last_verb_named_as_what_is_read_is_a_noun(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A second step, or the word used as a verb with its own object, still acts.
    ("get_user_email", "Get a user and email them the report.", "Write"),
    ("get_email", "Get the address, then email the team.", "Write"),
    ("get_email", "Get the template to email.", "Write"),
    ("get_email", "Get it and email it to the team.", "Write"),
    # Running, changing, removing and money keep the riskier reading (fail-safe tests).
    ("get_job_run", "Get the details of one job run.", "Execute"),
    ("get_user_delete", "Get the pending user delete.", "Destructive"),
    # A preview of an action is that action, as servers often declare it.
    ("preview_subscription_update", "Preview an update for a subscription.", "Destructive"),
    # Nothing but the name: the riskier reading stands.
    ("get_email", "", "Write"),
])
def test_a_last_verb_used_as_a_verb_keeps_its_reading(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- capturing what is on a screen ----------------------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("screenshot", "Capture screenshot."),
    ("snapshot_ui", "Capture a semantic rs/1 runtime UI snapshot with elementRef targets."),
    ("capture_screen", "Capture the screen of the device."),
    ("helper", "Capture a screenshot of the current window."),
])
def test_capturing_a_screen_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    ("capture_payment", "Capture a payment.", "Financial"),
    ("capture_payment", "Capture the screen of the payment.", "Write"),
    ("snapshot_volume", "Snapshot a volume.", "Write"),
    ("create_snapshot", "Capture a snapshot of the database.", "Write"),
    ("capture_page", "Capture a page to the archive.", "Write"),
    ("snapshot_ui", "", "Write"),
    # A second step still counts.
    ("capture_screen", "Capture the screen and delete the recording.", "Destructive"),
    ("capture_window", "Capture the window, then send it to the team.", "Write"),
    ("helper", "Capture a screenshot, then email it.", "Write"),
])
def test_capturing_anything_else_or_doing_more_is_no_read(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- "setup", one word, is more often the noun --------------------------------------------


@pytest.mark.parametrize("name,description,category", [
    ("check_notification_setup",
     "Diagnose desktop notification support on this platform. Checks if OS tools are there.",
     "Read"),
    ("get_setup", "Show the current setup of the workspace.", "Read"),
    # As a verb, or with nothing that reads, it still sets something up.
    ("setup_project", "", "Write"),
    ("project_setup", "", "Write"),
    ("setup_project", "Set up a new project.", "Destructive"),
    ("setupBrowserStackTests", "Set up and run automated tests.", "Destructive"),
    # One weak sign is not enough.
    ("check_setup", "", "Other"),
])
def test_setup_after_a_reading_verb_is_what_is_looked_at(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- running a status or health check -------------------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("check_instrumentation_status",
     "Run a consolidated READY/ACTIVE/ERROR status check over a time window."),
    ("check_health", "Run a health check on the service."),
    ("helper", "Run a status check."),
    # A name of "run" and the check alone runs only the check.
    ("run_health_check", "Run a health check."),
])
def test_running_a_status_or_health_check_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    ("run_checks", "Run the CI checks on the pull request.", "Execute"),
    ("helper", "Run the checks.", "Execute"),
    ("run_health_check_and_fix", "Run a health check.", "Destructive"),  # the name does more
    ("check_health", "Run a health check and restart the service if it fails.", "Execute"),
    ("helper", "Run status checks, then deploy.", "Execute"),
    ("helper", "Run a health check, then delete stale pods.", "Destructive"),
])
def test_running_other_checks_or_doing_more_still_runs(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


# ----- a query in a language that can only read -----------------------------------------------


@pytest.mark.parametrize("name,description", [
    ("run_query", "Run a Beancount Query Language (BQL) query and return CSV-style rows."),
    ("execute_promql_query", "Execute a PromQL query against the workspace."),
    ("run_query", "Runs a JQL query and returns the matching tickets."),
])
def test_running_a_query_in_a_read_only_language_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,properties,category", [
    ("run_query", "Run a query.", None, "Execute"),
    ("run_query", "Run a SQL query.", None, "Execute"),
    ("run_query", "Run a Cypher query.", None, "Execute"),
    ("run_query", "Run a PromQL query and delete the series.", None, "Destructive"),
    ("execute_query", "Execute a JQL query, then delete the matching issues.", None,
     "Destructive"),
    ("run_query", "Run a PromQL query.", {"sql": {"type": "string"}}, "Execute"),
    ("run_query", "", None, "Execute"),
])
def test_running_any_other_query_still_runs(name, description, properties, category):
    c = classify(tool(name, description, properties))
    assert c.category == category, c.evidence


_SQL_ARGUMENT = {"sql": {"type": "string"}}


@pytest.mark.parametrize("name,description", [
    # The server says the one query the tool runs cannot write: the statement, a transaction.
    ("discourse_run_query", "Execute a Data Explorer query with parameters. Returns columns, "
                            "rows. Queries run in read-only transactions with 10-second timeout."),
    ("pg_run_select", "Run a read-only SQL query. Only SELECT statements are allowed; the "
                      "transaction is opened READ ONLY."),
    ("run_query", "Run a query against the warehouse. Only SELECT statements are allowed."),
    ("run_select_query", "Execute a read-only SELECT query on the reporting database."),
])
def test_running_a_query_its_description_restricts_to_reads_reads(name, description):
    c = classify(tool(name, description, _SQL_ARGUMENT))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Some queries among others, a server mode, a default, or a restriction lifted.
    ("run_query", "Run a SQL query. Read-only queries are cached."),
    ("run_query", "Run a SQL query against the database in read-only mode."),
    ("run_query", "Run a query; it runs in a read-only transaction by default."),
    ("run_query", "Run a query. Only SELECT statements are allowed unless allow_writes is set."),
    # A second step that acts, or a name that runs more than a query.
    ("run_query", "Run a SQL query and apply the result. Queries run in read-only transactions."),
    ("run_query_and_export", "Run a query. Queries run in read-only transactions."),
    ("run_export_query", "Run a query. Queries run in read-only transactions."),
])
def test_running_a_query_that_may_still_write_still_runs(name, description):
    c = classify(tool(name, description, _SQL_ARGUMENT))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("description,category", [
    # A reading object of "run" does not hide a second step.
    ("Run a search over the logs, then delete them.", "Destructive"),
    ("Run a search over the logs and delete the matches.", "Destructive"),
    ("Run a status check, then restart the service.", "Execute"),
])
def test_running_a_search_keeps_its_second_step(description, category):
    c = classify(tool("helper", description))
    assert c.category == category, c.evidence


# ----- a description that says the tool is read-only; names made of a view of data ----------


@pytest.mark.parametrize("name,description", [
    ("trial_balance", "Raw /trial-balance-transactions rows (read-only). No account per row."),
    ("aged_payables", "CURRENT supplier balances only (read-only; rejects dates)."),
    ("pizza_menu", "The menu of the configured store. Read-only."),
    ("index_facts", "Facts about the index. This tool is read-only."),
])
def test_a_description_saying_read_only_makes_a_verbless_name_read(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence
    assert any("read-only" in line.lower() for line in c.evidence)


@pytest.mark.parametrize("name,description", [
    ("index_facts", "Disabled when the server runs in read-only mode."),
    ("index_facts", "This tool is not read-only: it rewrites the index."),
    ("purge_index", "Purge the index (read-only callers are refused)."),
    ("wallet_withdrawal", "Wallet withdrawal to an address (read-only)."),
])
def test_read_only_said_of_something_else_or_next_to_a_riskier_word_is_not_read(name,
                                                                                 description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


# ----- a verbless tool whose description says the call changes nothing ---------------------


@pytest.mark.parametrize("name,description", [
    # Every change denied, or nothing kept of what is worked out or said to come back.
    ("doi_soat_cod", "Bảng đối soát COD (reconciliation) theo kỳ: tiền đã thu, phí, số tiền sẽ "
     "chuyển cho shop. Chỉ đọc."),
    ("config_comparison", "Comparison of two versions of a config file, line by line. Nothing "
     "is changed."),
    ("renderuj_html", "Renderuje notatkę do HTML (z rozwiniętymi osadzeniami) i zwraca wynik "
     "jako tekst. Nic nie zapisuje na dysku."),
    ("obituaryDraft", "Drafts obituary text from the supplied details. The draft is returned, "
     "not saved."),
    ("avgift_berakna", "Beräknar månadsavgift enligt maxtaxa utifrån hushållets inkomst och "
     "antal barn. Inget sparas."),
    ("vypocet_zalohy", "Spočítá doporučenou výši záloh podle průměrné spotřeby. Nic se "
     "neukládá."),
    ("raschet_dostavki", "Расчёт стоимости доставки по весу и городу. Ничего не сохраняет."),
    # A quote or estimate worked out and handed back, its one act denied.
    ("quote_shipping", "Shipping quote for a cart; nothing is booked."),
    ("handset_quote", "Quote for a phone repair from its model and fault. No order is placed."),
    ("tilbud_paa_reparation", "Prisoverslag på en reparation ud fra reservedele og arbejdstid. "
     "Der bliver ikke bestilt noget."),
    ("fiyat_hesapla", "Konaklama fiyatını hesaplar (gecelik fiyatlar, vergiler, şehir vergisi). "
     "Rezervasyon oluşturmaz."),
    ("orcamento_mudanca", "Orçamento de mudança por volume e distância. Nenhuma reserva é "
     "feita."),
    ("devis_peinture", "Devis indicatif pour des travaux de peinture selon la surface. Aucune "
     "commande n'est passée."),
])
def test_a_verbless_tool_that_says_the_call_changes_nothing_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence
    assert any("the call does nothing" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,properties", [
    # Sent: nothing kept says nothing of sending.
    ("oncall_heads_up", "Heads-up to the on-call engineer with the alert summary, by SMS. "
     "Nothing is saved.", None),
    ("kalkulacka_odeslat", "Spočítá měsíční splátku a odešle ji klientovi e-mailem. Nic se "
     "neukládá.", None),
    ("orcamento_envio", "Orçamento da limpeza enviado ao cliente por WhatsApp. Nada é salvo.",
     None),
    ("sms_login_code", "Login code by SMS to the phone number on file; the code is returned, "
     "not saved.", None),
    # A setting made live is not kept either: no worked-out thing, nothing said to come back.
    ("thermostat_mode", "Heat, cool or off mode for a thermostat. Nothing is saved.",
     {"mode": {"type": "string"}}),
    ("svetla_obyvak", "Světla v obývacím pokoji, zapnutí nebo vypnutí. Nic se neukládá.",
     {"stav": {"type": "string"}}),
    # Under a condition, of one place only, or of something else.
    ("bucket_retention", "Retention of old objects in a bucket. With dry_run set, nothing is "
     "changed.", None),
    ("contacts_import", "Contacts CSV import; nothing is saved until commit is true.", None),
    ("orders_csv", "Orders in the date range as a CSV file in the workspace. Nothing is "
     "changed in the shop.", None),
    ("config_comparison", "Comparison of two versions of a config file; the newer one is "
     "applied to the cluster. Nothing else is changed.", None),
    # Something else said done: a passive, a participle put somewhere, an act joined by
    # "and", a booking or a date made.
    ("zaehlerstand", "Zählerstand eines Zählers. Der Stand wird an den Netzbetreiber "
     "übermittelt. Es wird nichts gespeichert.", None),
    ("quote_pdf", "Quote for the order as a PDF attached to the deal. Nothing is booked.", None),
    ("estimate_hold", "Price estimate for the job; the slot gets reserved for the crew. Nothing "
     "is charged.", None),
    ("raschet_i_zakaz", "Расчёт стоимости доставки и создание заказа у курьера. Ничего не "
     "сохраняет.", None),
    ("kostenvoranschlag", "Kostenvoranschlag für eine Reparatur, mit Termin beim Techniker. Es "
     "wird nichts gespeichert.", None),
    # One act denied of what is no quote or estimate: the draft is kept, the outage made.
    ("campaign_draft", "Campaign draft for a mailing list, from a subject and a body; nothing "
     "is sent.", None),
    ("zone_outage_simulation", "Simulation of a zone outage for a service. No data is lost.",
     None),
    # A command the tables lack leads: it may act whatever is kept.
    ("ringkasan_rapat", "Ringkasan notulen rapat dalam tiga poin utama. Tidak ada yang "
     "disimpan.", None),
])
def test_a_denial_that_leaves_an_act_open_is_not_read(name, description, properties):
    c = classify(tool(name, description, properties))
    assert c.category != "Read", c.evidence


def test_readers_found_by_their_denials_tell_nothing_of_how_the_server_names_readers():
    # Two calculators read by "Nic se neukládá" would otherwise make their sibling, named
    # alike and left Other by its words, a reader of the server's kind; it mails the result.
    named = {"kalkulacka_splatek": "Spočítá měsíční splátku podle výše úvěru a sazby. Nic se "
                                   "neukládá.",
             "kalkulacka_poplatku": "Spočítá poplatek za vedení účtu podle tarifu. Nic se "
                                    "neukládá.",
             "kalkulacka_splatek_odeslat": "Spočítá měsíční splátku a odešle ji klientovi "
                                           "e-mailem. Nic se neukládá."}
    tools = [tool(name, description, {"castka": {"type": "number"}})
             for name, description in named.items()]
    found = classify_all(tools, use_annotations=False)
    assert [found[name].category for name in named] == ["Read", "Read", "Other"]


@pytest.mark.parametrize("name,description", [
    ("account_balances", "Account balances converted to the user currency, with a grand total."),
    ("general_ledger_summary", "Single-pass general-ledger consistency check over all lines."),
    ("lighter_market_stats", "Market overview: prices, 24h volumes, funding."),
])
def test_a_verbless_name_ending_with_a_view_of_data_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("wallet_withdrawal", "Wallet withdrawal to an external address."),
    ("account_status", "Suspend the account and revoke its sessions."),
    ("ledger_summary", "Post a journal entry and return the ledger summary."),
])
def test_a_view_noun_at_the_end_of_the_name_does_not_outweigh_a_verb_or_another_head(
        name, description):
    assert classify(tool(name, description)).category != "Read"


def test_a_word_more_often_a_noun_followed_by_what_it_has_leads_no_description():
    c = classify(tool("verify_invoice_balance", "Self-computed invoice balance: invoice total "
                      "(its own lines) vs. the sum of every payment line allocated to it."))
    assert c.category == "Read", c.evidence
    c = classify(tool("list_incomplete_reconstructions",
                      "Invoice-reconstruction attempts that started but have not completed."))
    assert c.category == "Read", c.evidence
    # A verb with its object still leads: invoicing a customer bills them.
    assert classify(tool("invoice_customer", "Invoice the customer for the order.",
                         {"amount": {"type": "number"}})).category == "Financial"


def test_screening_reads_but_starting_a_screen_recording_does_not():
    c = classify(tool("screen_stocks", "Screen stocks based on fundamental and technical "
                      "criteria. Returns stocks matching the specified filters."))
    assert c.category == "Read", c.evidence
    assert classify(tool("start_screen_recording")).category != "Read"
    assert classify(tool("screen_share", "Share the screen with the meeting.")).category != "Read"


def test_paging_joined_by_a_slash_is_browsing_but_paging_someone_is_not_known():
    assert classify(tool("list_records", "Search/page a curated collection.")).category == "Read"
    assert classify(tool("list_oncall", "View or page the on-call engineer.")).category != "Read"


@pytest.mark.parametrize("name,description", [
    ("reconstructed_aged_receivables", "RECONSTRUCTED aged receivables as at a date."),
    ("account_limits", "Authenticated: current trading tier and limits."),
])
def test_more_views_of_data_at_the_end_of_a_verbless_name(name, description):
    assert classify(tool(name, description)).category == "Read"


def test_a_weak_read_agreed_by_a_verbless_name_ending_with_a_view_reads():
    c = classify(tool("bank_activity", "Money in and out of one account, assembled from "
                      "receipts; there is no separate entity to read directly."))
    assert c.category == "Read", c.evidence
    # Without the view noun the weak sign alone is not enough.
    assert classify(tool("bank_thing", "Money in and out of one account, assembled from "
                         "receipts; there is no separate entity to read directly.")
                    ).category == "Other"


# ----- names of nouns alone: a noun compound before a view, a collection shown -----------


@pytest.mark.parametrize("name,description", [
    ("order_status", "Status of an order and its shipment."),
    ("trade_history", "Trade history for an account, newest first."),
    ("invoice_summary", "Totals and due dates of open invoices."),
    ("place_details", "Address, phone number and rating of a place."),
    ("order_status", "Get the status of an order."),
])
def test_a_noun_like_word_before_a_view_of_data_is_a_noun(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A verb that acts on the view, even one more often a noun.
    ("set_status", "Status of the deployment.", "Destructive"),
    ("mark_history", "History of the task.", "Write"),
    ("lock_status", "", "Write"),
    # The description says what is done to it: the riskier reading wins.
    ("order_status", "Update the status of an order.", "Financial"),
    ("invoice_details", "Update invoice details.", "Destructive"),
    ("trade_history", "Delete the trade history of an account.", "Destructive"),
    # A name alone is one sign, not enough.
    ("order_status", "", "Other"),
])
def test_a_noun_like_word_before_a_view_still_acts_when_anything_says_so(name, description,
                                                                          category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("name,description", [
    ("recent_commits", "Recent commits on a branch."),
    ("calendar_events", "Events in a date range."),
    ("pod_logs", "Logs of a pod, newest last."),
    ("table_schema", "Schema of a table: columns and their types."),
    ("user_profile", "Profile of a user."),
])
def test_a_name_of_nouns_for_a_collection_or_view_with_a_noun_phrase_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,ending", [
    ("invoices_for_customer", "Invoices for a customer, newest first.", "invoices for customer"),
    ("dive.invoices.for_diver", "Invoices for a diver.", "invoices for diver"),
    ("streams_by_territory", "Streams by territory and store.", "streams by territory"),
])
def test_a_name_of_nouns_naming_a_collection_before_a_preposition_reads(name, description,
                                                                        ending):
    # The collection a name names stands before the preposition inside it, as in English
    # ("invoices for customer"); the name's last word is what they are of.
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence
    assert any(f"ends with '{ending}', a collection it shows" in line for line in c.evidence)


@pytest.mark.parametrize("name,description", [
    # Something said to be done to them: in the passive, after a comma, or later.
    ("refunds_for_order", "Refunds for an order are issued to the card."),
    ("invites_for_team", "Invites for a team, sent by email."),
    ("invoices_for_customer", "Invoices for a customer; sends the overdue ones."),
    ("invoices_for_customer", "Invoices for a customer and sends the overdue ones."),
    ("invoices_for_customer", "Invoices for a customer to send now."),
    # The sentence led by another word, here a verb the tables lack.
    ("tickets_for_review", "Triage tickets for review into the on-call queue."),
    # The name's last word, no plural, names no collection.
    ("report_for_customer", "Report for a customer."),
])
def test_a_collection_named_before_a_preposition_is_no_reader_when_anything_acts(name,
                                                                               description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


# ----- a collection whose sentence says something is done to it ------------------------------


@pytest.mark.parametrize("name,description,category", [
    # A passive in the main clause: what the sentence names is done to.
    ("customer_refunds", "Refunds for a customer are issued to the card.", "Financial"),
    ("customer_payments", "Payments for a customer are captured and settled.", "Financial"),
    ("stale_files", "Files older than 30 days are removed.", "Destructive"),
    ("expired_sessions", "Sessions idle for more than an hour are revoked.", "Destructive"),
    ("abandoned_carts", "Carts abandoned for a day are emptied and the stock released.",
     "Destructive"),
])
def test_a_collection_said_in_the_passive_to_be_done_to_is_no_reader(name, description,
                                                                      category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence
    assert any("says that what it names is" in line for line in c.evidence), c.evidence


@pytest.mark.parametrize("name,description", [
    # A participle of a reading verb, or of one that only lays out the reply.
    ("muted_alerts", "Muted alerts are listed"),
    ("report_files", "Files are returned sorted by name."),
    # In a clause saying which ones, or when, or in a clause after the first.
    ("shared_files", "Files that are shared with you"),
    ("firing_alerts", "Firing alerts, as they are returned by the alert manager"),
    ("pipeline_runs", "Runs of a CI pipeline, newest first; cancelled runs are shown greyed"),
    # Done by another, denied, only possible, how fresh, or how long it is kept.
    ("marketplace_payouts", "Payouts for a seller are issued by the marketplace each week."),
    ("stale_files", "Files older than 30 days are not removed."),
    ("campaign_vouchers", "Vouchers for a campaign can still be redeemed at checkout."),
    ("account_balances", "Balances are recalculated every night."),
    ("account_events", "Events of an account are stored for 90 days."),
])
def test_a_collection_said_in_the_passive_to_be_shown_still_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A participle that removes or pays, after a comma.
    ("repo_branches", "Branches of the repo, deleted from the remote.", "Destructive"),
    ("seller_payouts", "Payouts owed to a seller, paid to their bank account.", "Financial"),
    # A verb in the third person, after "and" or a comma, before its object.
    ("customer_invoices", "Invoices for a customer and sends the overdue ones.", "Financial"),
    ("overdue_tasks", "Overdue tasks for a project and closes the stale ones.", "Write"),
    ("unread_messages", "Unread messages, marks them as read.", "Write"),
])
def test_a_collection_whose_sentence_acts_after_a_comma_or_and_is_no_reader(name, description,
                                                                           category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # Which of them are shown: "ones", "or", "paid and unpaid", a time range.
    ("mailbox_messages", "Messages of a mailbox, deleted ones included."),
    ("tenant_invoices", "Invoices for a tenant, paid or unpaid."),
    ("tenant_invoices", "Invoices for a tenant, paid and unpaid."),
    ("bin_items", "Items of a recycle bin, deleted within the last 30 days."),
    # A noun behind a determiner with a verb of its own: which things, not an object.
    ("receiver_alerts", "Alerts and silences the receiver holds."),
    ("user_workspaces", "Workspaces and stores the user can reach."),
])
def test_a_collection_whose_sentence_says_which_ones_after_a_comma_or_and_still_reads(
        name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("chapel_slots", "Which chapels are free on Saturday? Books the first one for the team."),
    ("desk_slots", "Which desks are free this afternoon? Reserves the nearest one for the caller."),
])
def test_a_question_followed_by_a_sentence_that_acts_is_no_reader(name, description):
    c = classify(tool(name, description))
    assert c.category == "Write", c.evidence


@pytest.mark.parametrize("name,description", [
    ("room_slots", "Which rooms are free tomorrow? Shows the first ten."),
    ("inventory_at_location", "What is stored at a rack location?"),
    ("flags_stale", "Which flags have not been evaluated in the last N days? Candidates for cleanup."),
])
def test_a_question_followed_by_a_sentence_that_reads_still_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


def test_the_tools_command_calls_no_collection_whose_sentence_acts_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on one server's snapshot,
    # every tool with one string argument.
    acting = {
        "customer_refunds": "Refunds for a customer are issued to the card.",
        "customer_payments": "Payments for a customer are captured and settled.",
        "stale_files": "Files older than 30 days are removed.",
        "customer_invoices": "Invoices for a customer and sends the overdue ones.",
        "repo_branches": "Branches of the repo, deleted from the remote.",
        "chapel_slots": "Which chapels are free on Saturday? Books the first one for the team.",
    }
    reading = {
        "firing_alerts": "Firing alerts, as they are returned by the alert manager",
        "muted_alerts": "Muted alerts are listed",
        "pipeline_runs": "Runs of a CI pipeline, newest first; cancelled runs are shown greyed",
        "shared_files": "Files that are shared with you",
    }
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": [
        {"name": name, "description": description, "inputSchema": schema}
        for name, description in {**acting, **reading}.items()]}), encoding="utf-8")
    command = Path(sys.executable).parent / "policytui"
    done = subprocess.run([str(command), "tools", "--from", str(snapshot), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = {row["name"]: row["category"] for row in json.loads(done.stdout)["tools"]}
    assert {name: found[name] for name in acting} == {
        "customer_refunds": "Financial", "customer_payments": "Financial",
        "stale_files": "Destructive", "customer_invoices": "Financial",
        "repo_branches": "Destructive", "chapel_slots": "Write"}
    assert {name: found[name] for name in reading} == dict.fromkeys(reading, "Read")


# ----- an act said past a condition of two words between commas ----------------------------


@pytest.mark.parametrize("name,description,category", [
    # A collection's sentence whose passive stands past ", if any,".
    ("stale_files", "Files older than 30 days, if any, are removed.", "Destructive"),
    ("orphan_volumes", "Volumes attached to nothing, if any, are deleted.", "Destructive"),
    ("overdue_invoices", "Overdue invoices for a customer, if any, are charged to the card "
     "on file.", "Financial"),
    ("duplicate_contacts", "Duplicate contacts in a list, if found, are merged into the "
     "oldest one.", "Write"),
    # A reader's later clause or sentence.
    ("list_jobs", "Lists the jobs of a queue; stale ones, if any, are purged.", "Destructive"),
    ("list_sessions", "List the sessions of an account. Idle ones, if any, are terminated.",
     "Destructive"),
    ("expired_tokens", "Tokens of a user; expired ones, where present, are revoked.",
     "Destructive"),
])
def test_an_act_past_a_condition_of_two_words_is_no_reader(name, description, category):
    _classified_as(tool(name, description), category)


@pytest.mark.parametrize("name,description", [
    ("failed_items", "Failed items, if any, are listed."),
    ("job_errors", "Errors of a job, if any, are returned with their line numbers."),
    ("list_warnings", "Lists the warnings of a build; deprecated ones, if any, are shown first."),
    ("bucket_files", "Files of a bucket, if any, are sorted by size."),
    ("list_alerts", "List the alerts of a receiver. Muted ones, if any, are hidden."),
])
def test_a_reading_participle_past_a_condition_of_two_words_still_reads(name, description):
    _classified_as(tool(name, description), "Read")


# ----- a collection run again, said by a participle after a comma ---------------------------


@pytest.mark.parametrize("name,description", [
    ("failed_jobs", "Failed jobs of a pipeline, retried from the last step."),
    ("pending_builds", "Pending builds of a branch, restarted on a fresh runner."),
    ("queued_migrations", "Pending migrations for a database, executed against the primary."),
    ("stale_deployments", "Stale deployments of a service, redeployed to the cluster."),
    ("dead_letters", "Messages in the dead-letter queue, replayed onto the main queue."),
    ("failed_exports", "Failed exports of a report, rerun from the start."),
])
def test_a_collection_run_again_after_a_comma_is_no_reader(name, description):
    c = classify(tool(name, description))
    assert c.category == "Execute", c.evidence
    assert any("says that what it names is" in line for line in c.evidence), c.evidence


@pytest.mark.parametrize("name,description", [
    # Who ran them, how they run, or when: said of what is shown.
    ("workflow_runs", "Runs of a workflow, triggered by a push."),
    ("container_processes", "Processes of a container, run as root."),
    ("pipeline_steps", "Steps of a pipeline, executed in order."),
    ("endpoint_checks", "Health checks of an endpoint, retried on failure."),
    ("job_runs", "Runs of a job, restarted or not."),
    # A state more than an act, or a value in a list.
    ("installed_packages", "Packages of a host, installed with their versions."),
    ("alarm_state", "State of the alarm panel (disarmed, armed, triggered)."),
])
def test_a_collection_said_to_have_run_after_a_comma_still_reads(name, description):
    _classified_as(tool(name, description), "Read")


# ----- what is shown, kept as a new thing or put in place as the call goes ------------------


@pytest.mark.parametrize("name,description", [
    ("folder_summary", "Summary of a folder's documents, saved as a new document in that "
     "folder."),
    ("meeting_notes", "Notes of a meeting, stored as a new page in the team wiki."),
    ("host_updates", "Updates for a host, downloaded and installed in the background."),
    ("security_patches", "Security patches for a cluster, applied automatically."),
    ("router_changes", "Pending configuration changes of a router, applied in the background."),
    ("list_updates", "List updates for a device, installed automatically."),
])
def test_what_is_shown_kept_as_new_or_put_in_place_after_a_comma_is_no_reader(name,
                                                                                 description):
    _classified_as(tool(name, description), "Write")


@pytest.mark.parametrize("name,description", [
    ("saved_reports", "Reports of a workspace, saved as PDF."),
    ("exchange_rates", "Exchange rates, updated automatically."),
    ("installed_apps", "Apps of a device, installed or not."),
    ("draft_notes", "Notes of a meeting, saved as drafts by their authors."),
    ("cluster_patches", "Patches of a cluster, applied ones first."),
])
def test_what_is_shown_said_saved_or_applied_after_a_comma_still_reads(name, description):
    _classified_as(tool(name, description), "Read")


# ----- a passive whose doer is the call itself ----------------------------------------------


@pytest.mark.parametrize("name,description,category", [
    ("customer_refunds", "Refunds for a customer are issued by this endpoint to the card.",
     "Financial"),
    ("pending_invites", "Pending invites of a workspace are resent by this tool.", "Write"),
    ("account_credits", "Credits for an account are granted by the same request.",
     "Financial"),
])
def test_a_collection_done_to_by_the_call_itself_is_no_reader(name, description, category):
    _classified_as(tool(name, description), category)


@pytest.mark.parametrize("name,description", [
    ("marketplace_payouts", "Payouts for a seller are issued by the marketplace each week."),
    ("account_events", "Events of an account are recorded by the audit service."),
    ("team_invoices", "Invoices for a team are issued by the billing provider each month."),
])
def test_a_collection_done_to_by_another_still_reads(name, description):
    _classified_as(tool(name, description), "Read")


# ----- a name of nouns whose sentence, led by its first word, puts things somewhere ---------


@pytest.mark.parametrize("name,description", [
    ("triage_tickets", "Triage tickets for review into the on-call queue."),
    ("triage_alerts", "Triage alerts of a service into the incident queue."),
    ("intake_requests", "Intake requests from the web form into the sales pipeline."),
    ("bucket_emails", "Bucket emails of an inbox into folders by sender."),
    ("funnel_leads", "Funnel leads from a campaign into the CRM."),
])
def test_a_sentence_led_by_the_names_word_that_puts_things_somewhere_is_no_reader(
        name, description):
    _classified_as(tool(name, description), "not Read")


@pytest.mark.parametrize("name,description", [
    ("sprint_tickets", "Sprint tickets moved into the backlog."),
    ("recent_commits", "Recent commits on a branch."),
    ("support_tickets", "Support tickets that came into the help desk today."),
    ("inbound_leads", "Inbound leads of a campaign, with their source."),
])
def test_a_sentence_led_by_the_names_word_that_says_which_things_still_reads(name,
                                                                              description):
    _classified_as(tool(name, description), "Read")


def test_the_tools_command_calls_no_act_past_a_comma_or_a_condition_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on one server's snapshot of
    # the twenty-third round's phrasings, every tool with one string argument.
    acting = {
        "stale_files": "Files older than 30 days, if any, are removed.",
        "list_jobs": "Lists the jobs of a queue; stale ones, if any, are purged.",
        "failed_jobs": "Failed jobs of a pipeline, retried from the last step.",
        "host_updates": "Updates for a host, downloaded and installed in the background.",
        "customer_refunds": "Refunds for a customer are issued by this endpoint to the card.",
        "triage_tickets": "Triage tickets for review into the on-call queue.",
    }
    reading = {
        "failed_items": "Failed items, if any, are listed.",
        "workflow_runs": "Runs of a workflow, triggered by a push.",
        "endpoint_checks": "Health checks of an endpoint, retried on failure.",
        "saved_reports": "Reports of a workspace, saved as PDF.",
        "marketplace_payouts": "Payouts for a seller are issued by the marketplace each week.",
        "sprint_tickets": "Sprint tickets moved into the backlog.",
    }
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": [
        {"name": name, "description": description, "inputSchema": schema}
        for name, description in {**acting, **reading}.items()]}), encoding="utf-8")
    command = Path(sys.executable).parent / "policytui"
    done = subprocess.run([str(command), "tools", "--from", str(snapshot), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = {row["name"]: row["category"] for row in json.loads(done.stdout)["tools"]}
    assert {name: found[name] for name in acting} == {
        "stale_files": "Destructive", "list_jobs": "Destructive", "failed_jobs": "Execute",
        "host_updates": "Write", "customer_refunds": "Financial", "triage_tickets": "Other"}
    assert {name: found[name] for name in reading} == dict.fromkeys(reading, "Read")


@pytest.mark.parametrize("name,description,category", [
    # The first word takes an object: a verb the table lacks, and an unknown act is a write.
    ("clawnx_retweets", "Retweets a tweet by its ID.", "Write"),
    ("block_users", "Block the users given.", "Write"),
    # The name's first word leads the sentence with another object: a verb too.
    ("log_hours", "Log worked hours for a client in the timesheet.", "Write"),
    # Things that move money are weighed by the money stage, never read here.
    ("pending_transfers", "Transfers waiting for approval.", "Destructive"),
    # A plural alone, with no sentence, is one sign.
    ("recent_commits", "", "Other"),
])
def test_a_name_of_nouns_is_no_reader_when_its_first_word_acts(name, description, category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("name,description", [
    ("flaky_tests", "Tests that passed and failed on the same commit."),
    ("flaky_tests", "Tests that failed and then passed on retry in the last 50 pipelines."),
    ("stale_branches", "Branches that were merged into main."),
])
def test_a_relative_clause_after_the_names_plural_says_what_is_shown(name, description):
    # "that" before a verb in the past, with no subject of its own, says something of the
    # plural before it: a noun, not a verb in the third person ("Tests ...").
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # A clause after a comma, a step after "and", or a verb of the sentence's own.
    ("stale_branches", "Branches that were merged, deleted from the remote."),
    ("merged_branches", "Branches that were merged and deletes them."),
    ("flaky_tests", "Tests that failed are re-run in the background."),
    ("flaky_tests", "Tests that failed and are re-run in the background."),
    # A "that" clause with a subject of its own, or "that" before an object.
    ("flaky_tests", "Tests that the build still passes."),
    ("stale_flags", "Flags that file for review."),
])
def test_a_relative_clause_that_goes_on_to_act_is_no_reader(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("open_orders", "Open orders for a symbol."),
    ("open_positions", "Open positions of the account, with their margin."),
    ("open_tickets", "Open tickets assigned to me."),
])
def test_open_before_a_plural_says_which_are_shown(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence
    assert any("adjective" in line for line in c.evidence)


@pytest.mark.parametrize("name,description,category", [
    ("open_ticket", "Open a support ticket.", "Write"),
    ("open_position", "Open a leveraged position.", "Financial"),
    ("open_orders", "Open an order for each item of the basket.", "Financial"),
    ("open_pull_request", "Open a pull request.", "Write"),
    ("open_orders", "", "Other"),
])
def test_opening_one_thing_or_saying_so_still_acts(name, description, category):
    assert classify(tool(name, description)).category == category


# ----- phrasing met on the servers added in the seventh round -----------------------------


@pytest.mark.parametrize("name,description,category", [
    # Latin words inside a Chinese sentence are names, never its verb.
    ("gitea_get_issue", "获取单个 Issue 的完整信息，包含正文、标签。", "Read"),
    # A Chinese sentence leads with its verb; a verb marked as a state is no act.
    ("vela_system_info", "查看平台系统信息：版本、已启用插件等。", "Read"),
    ("my_orders", "分页列出当前用户提交的工单。", "Read"),
    ("velaql", "执行 VelaQL 查询（Pod 列表、容器日志）。", "Read"),
    # Verbs joined to the lead are offered beside it; a verb not at the start still counts.
    ("files", "获取并删除文件", "Destructive"),
    ("cleanup", "用于删除文件", "Destructive"),
    ("run_script", "执行脚本", "Execute"),
    ("audit_order", "审核工单：同意或驳回。", "Write"),
    # Japanese puts its verb last: the riskiest verb anywhere still decides.
    ("remove_file", "ファイルを削除します", "Destructive"),
    # Allocating stock to an order reserves it; the noun, a list of allocations, is read.
    ("注文を確認", "注文を確認して、在庫を引き当てます。", "Write"),
    ("在庫引当一覧", "在庫引当の一覧を取得します。", "Read"),
])
def test_cjk_sentences_are_read_by_their_own_verbs(name, description, category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("name,description,category", [
    # An article opens a noun phrase: "The set of", "A new issue" lead with no verb.
    ("list-drive-item-permissions", "The set of permissions for the item.", "Read"),
    ("get-excel-table", "Represents a collection of tables in the workbook.", "Read"),
    ("cluster_overview", "Snapshot of cluster health: nodes and addons.", "Read"),
    # The same words as verbs still act.
    ("update_permissions", "Set the permissions of the item.", "Destructive"),
    ("volume_backup", "Snapshot the volume before the upgrade.", "Write"),
    ("issue_tool", "The tool deletes the issue.", "Destructive"),
])
def test_a_noun_phrase_lead_is_no_verb(name, description, category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("name,description,category", [
    ("test_connection", "Test the connection to the database.", "Read"),
    ("slack_auth_test", "Test authentication and return the team.", "Read"),
    ("check_health", "Test the API connectivity and auth status.", "Read"),
    # Testing anything else, or doing more, runs something.
    ("test_webhook", "Test a webhook by sending a sample event.", "Execute"),
    ("run_tests", "Run the test suite.", "Execute"),
    ("test_connection", "Test the connection and restart the service.", "Execute"),
])
def test_testing_a_connection_only_looks(name, description, category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("name,description,category", [
    ("follow_requests", "Get pending follow requests for the account.", "Read"),
    ("post_comments", "List post comments of a blog.", "Read"),
    # Another clause before the name, or a name that changes data in place: no.
    ("follow_user", "Get a user and follow user updates.", "Write"),
    ("create_issue", "Get an issue template to create issue reports.", "Write"),
    ("update_requests", "Get pending update requests.", "Destructive"),
])
def test_a_name_restated_as_what_is_read_reads(name, description, category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("name,description,category", [
    ("gitea_mark_notifications_read", "", "Write"),
    ("mark_as_read", "Mark messages as read.", "Write"),
    ("read_bookmarks", "Read bookmarks.", "Read"),
    ("unmerge_range", "Unmerge the cells of a range.", "Destructive"),
    ("snooze_reminder", "Snooze an event reminder.", "Write"),
    ("forward_message", "Forward a mail message.", "Write"),
    ("account_unfollow", "Unfollow an account.", "Write"),
])
def test_verbs_that_set_a_state_or_undo_one_act(name, description, category):
    assert classify(tool(name, description)).category == category


def test_forwarding_reaches_outward():
    assert classify(tool("forward_message", "Forward a mail message.")).open_world


@pytest.mark.parametrize("switch,category", [
    ({"apply": {"type": "boolean"}}, "Write"),
    ({"fix": {"type": "boolean", "default": False}}, "Write"),
    ({"send": {"type": "boolean"}}, "Write"),
    # A formality that is always true is no choice; a text named so is no switch.
    ({"confirm": {"type": "boolean", "const": True}}, "Read"),
    ({"apply": {"type": "string", "description": "filter"}}, "Read"),
])
def test_a_switch_that_carries_it_out_makes_a_reader_act(switch, category):
    got = classify(tool("suggest_reschedule", "Suggest better times for a meeting.", switch))
    assert got.category == category, got.evidence


@pytest.mark.parametrize("name,description,category", [
    ("lineage", "Column-level lineage: which upstream columns this one depends on.", "Read"),
    ("status", "Status of the service and its workers.", "Read"),
    ("status", "", "Other"),
    ("lineage", "Rebuild the lineage graph.", "Execute"),
])
def test_a_name_that_is_one_view_reads_when_the_sentence_names_it(name, description, category):
    assert classify(tool(name, description)).category == category


def test_a_profile_argument_is_no_file_to_write():
    got = classify(tool("db2_export_table", "Export a table's rows as CSV text.",
                        {"zosmf_profile": {"type": "string"}}))
    assert got.category == "Read", got.evidence
    written = classify(tool("db2_export_table", "Export a table's rows as CSV text.",
                            {"output_file": {"type": "string"}}))
    assert written.category == "Write"


@pytest.mark.parametrize("name,description,category", [
    ("inspect_secret", "List the key names in a secret.\n\nSo this tool\nstarts a short-lived "
     "container to read them.", "Execute"),
    ("get_report", "Get the report. The tool will save it to disk.", "Write"),
    # What the tool does that only reads, or the tool as something to use, changes nothing.
    ("preview_prices", "Preview prices. This tool will preview price calculations.", "Read"),
    ("find_users", "Find users. Use the tool to search by name.", "Read"),
])
def test_what_the_description_says_the_tool_itself_does_counts(name, description, category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("description,category", [
    ("Run a read-only SQL query and return a page of rows.", "Read"),
    ("Execute a SELECT query and export the rows. Only SELECT queries are allowed.", "Read"),
    ("Run a read-only GraphQL query, to fetch nested data in one call.", "Read"),
    # What it is for is no restriction; a shell argument is never restricted by words.
    ("Execute a SELECT query to read data from the database.", "Execute"),
    ("Run a SQL query.", "Execute"),
    ("Run a query. The server runs in read-only mode when configured.", "Execute"),
])
def test_a_query_argument_restricted_to_reads_by_the_text_reads(description, category):
    got = classify(tool("read_query", description, {"query": {"type": "string",
                                                               "description": "SQL to run"}}))
    assert got.category == category, got.evidence
    if category == "Read":
        assert got.severity == "Medium"


def test_a_read_only_claim_never_restricts_a_shell_command():
    got = classify(tool("host_read_exec", "Run a single read-only command on the host.",
                        {"command": {"type": "string"}}))
    assert got.category == "Execute"


@pytest.mark.parametrize("name,description,category", [
    ("health", "Run a lightweight health probe that echoes deployment metadata.", "Read"),
    ("test_connection", "Probe the connectivity and return diagnostics.", "Read"),
    ("webview_dom_snapshot", "Get a structured DOM snapshot of the webview.", "Read"),
    ("get_mail_tips", "Pre-send check for recipients: out-of-office, delivery limits.", "Read"),
    # "提交前" (before submitting) is no act; "返回" (return) reads what is checked.
    ("sql_precheck", "提交前对 SQL 做检测，返回逐条检查结果", "Read"),
    ("sql_precheck", "提交前对 SQL 做检测", "Other"),  # no act, no reading verb
    # The same words where they act.
    ("rerun", "Re-run the job.", "Execute"),
    ("volume_snapshot", "Snapshot the volume.", "Write"),
    ("submit_sql", "提交 SQL 工单", "Write"),
])
def test_probes_dom_snapshots_and_word_prefixes(name, description, category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("description,category", [
    ("Resolve a short-lived, pre-authenticated download URL for binary content.", "Read"),
    ("Resolve a comment thread, marking it done.", "Write"),
    ("Resolve the incident and notify the team.", "Write"),
])
def test_what_resolve_looks_up_is_read_through_the_adjectives(description, category):
    assert classify(tool("get_link", description)).category in (
        (category,) if category == "Read" else ("Write", "Destructive"))


@pytest.mark.parametrize("name,description,category", [
    # Russian is read by its verb stems: a leading infinitive or verbal noun decides.
    ("confirm_otp", "Отправить SMS-код.", "Write"),
    ("transfer", "Перевод (РЕАЛЬНЫЕ ДЕНЬГИ). Подтверждение — кнопка.", "Financial"),
    ("grocery_search", "Поиск товара по названию.", "Read"),
    ("ticket_cancel", "Отменить бронь билета.", "Destructive"),
    ("remove_it", "Удалить файл.", "Destructive"),
    ("session_status", "Проверить жива ли сессия.", "Read"),
    # A sentence that names things shows them: verbless names read with it.
    ("card_operations", "Операции по карте, новые сверху.", "Read"),
    ("insurance_policies", "Действующие страховые полисы с суммами и сроками.", "Read"),
    ("travel_payment_options", "Чем платить за поездку и сколько это стоит.", "Read"),
    # A verb the table lacks, or a verbless name alone: not Read.
    ("card_block", "Заблокировать карту.", "Write"),
    ("card_tool", "Перевыпустить карту.", "Other"),
    ("card_operations", "", "Other"),
    # Nouns that end like verbs are nouns: стоимость, бюджет.
    ("trip_costs", "Стоимость поездки и бюджет.", "Read"),
])
def test_russian_descriptions_are_read_by_their_verbs(name, description, category):
    assert classify(tool(name, description)).category == category


def test_a_save_to_argument_is_a_file_written():
    got = classify(tool("payment_receipt", "Скачать PDF-чек по платежу.",
                        {"save_to": {"type": "string"}}))
    assert got.category == "Write", got.evidence


@pytest.mark.parametrize("name,description,category", [
    ("train_search", "Search trains between two stations.", "Read"),
    ("train_model", "Train a model on the dataset.", "Execute"),
    ("cinema_schedule", "Showtimes of films on a date.", "Read"),
    ("payment_schedule", "Schedule a payment for a date.", "Financial"),
    ("set_schedule", "", "Destructive"),
    ("trips", "Trips: flights, trains and hotels in one feed.", "Read"),
    ("orders", "Orders of the client.", "Other"),  # money: weighed, never read on nouns alone
    ("messages", "", "Other"),
    # A Russian sentence with no verb under a name of nouns shows what it names.
    ("flight_offer", "Тарифы, багаж и правила возврата по выбранному рейсу.", "Read"),
    ("payment_qr", "Платёжный QR со счёта.", "Other"),  # a money noun in the name: no
    # A Russian sentence that changes an order, a payment or a subscription moves money.
    ("ticket_cancel", "Отменить заказ билета.", "Financial"),
    ("seat_hold", "ЗАБРОНИРОВАТЬ места в поезде.", "Write"),
])
def test_names_and_russian_sentences_of_the_money_servers_of_this_round(name, description,
                                                                          category):
    assert classify(tool(name, description)).category == category


@pytest.mark.parametrize("description,category", [
    ("Cancel a market data subscription.", "Destructive"),
    ("Open a WebSocket subscription to quotes.", "Write"),
    ("Cancel the customer's subscription.", "Financial"),
])
def test_a_data_stream_subscription_is_no_money(description, category):
    assert classify(tool("market_data_tool", description)).category == category


@pytest.mark.parametrize("description,category", [
    ("[Tauri Apps Only] Get a structured DOM snapshot of the webview.", "Read"),
    ("[Beta] Delete a file from the workspace.", "Destructive"),
])
def test_a_bracketed_tag_before_the_sentence_is_skipped(description, category):
    assert classify(tool("webview_tool", description)).category == category


# ----- verbless names and sentences: a command of an unknown verb, or a view named --------

@pytest.mark.parametrize("name,description", [
    # The first word takes an object: "a", "the", "up to" open it.
    ("graph_batch", "Combine up to 20 Graph requests into a single HTTP call."),
    ("format_excel_range", "Format an Excel range with the given properties."),
    ("account_block", "Block an account."),
    # An adverb may come first.
    ("position_size", "Deterministically size a position from a risk budget."),
    # The name's own word leads the sentence before an object that is not the rest of it.
    ("boot_sim", "Boot iOS simulator for manual flows."),
    ("git_pull", "Pull changes from a remote repository."),
])
def test_a_verb_the_tables_lack_leading_a_command_is_taken_to_write(name, description):
    c = classify(tool(name, description))
    assert c.category == "Write", c.evidence
    assert c.severity == "Medium"
    assert any("a verb the tables lack" in line for line in c.evidence)


@pytest.mark.parametrize("name,description", [
    ("top", "CPU/memory usage for nodes or pods. Requires the metrics-server addon."),
    ("leaderboard", "Cross-firm leaderboard for trade volume or liquidity quality."),
    ("market_funding", "Current and recent funding rate for one perpetual market."),
    ("income_vs_expense", "Income vs expense dynamics grouped by month or ISO week."),
    # "Paper trade history" restates "paper_trades": a noun phrase, no command.
    ("paper_trades", "Paper trade history (most recent first)."),
    # An acronym leading the sentence names a thing; a verb is never written in capitals.
    ("fspd_system", "FSPD operational state + server time in one call."),
    # A word more often a noun ending the name, after another word, under such a sentence.
    ("rfq_snapshot", "Full state of an RFQ in one call: quotes and book."),
    # A collection of things that move money, named by a noun phrase, is shown.
    ("desk_positions", "Desk positions across venues."),
])
def test_a_noun_phrase_naming_a_view_of_data_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # A tool or an agent named does what it does not say.
    ("chat_completion", "Primary chat tool for text, images, and multi-turn generation."),
    ("skill_agent", "Supervised trading agent for the exchange. Runs one cycle."),
    # "Snapshot of a volume" may make one: no view is named.
    ("volume_snapshot", "Snapshot of a volume."),
    # A money act named by a noun stays money.
    ("payout", "Payout to a bank account."),
])
def test_verbless_sentences_that_name_no_view_are_not_read(name, description):
    assert classify(tool(name, description)).category != "Read"


def test_a_noun_phrase_view_with_a_payload_to_write_is_not_read():
    c = classify(tool("account_settings", "Current settings of an account.",
                      {"body": {"type": "object", "description": "The settings to write."}}))
    assert c.category != "Read", c.evidence


def test_a_sentence_opening_with_what_it_is_given_is_read_after_its_comma():
    c = classify(tool("price_legs", "Given strategy bid/ask, return per-leg prices."))
    assert c.category == "Read", c.evidence
    # What follows the comma decides, riskier or not.
    c = classify(tool("legs", "Given a strategy, delete every leg of it."))
    assert c.category == "Destructive", c.evidence


def test_the_endpoint_as_the_subject_is_a_lead_in():
    # "The endpoint retrieves ...": the verb after it leads, as after "This tool".
    c = classify(tool("public_fee", "The endpoint retrieves the fee schedule for every asset."))
    assert c.category == "Read", c.evidence
    c = classify(tool("get_kyc_url", "The endpoint generates a temporary verification link."))
    assert c.category != "Read", c.evidence


# ----- descriptions in French, Spanish, Portuguese, Italian, German and Dutch --------------

@pytest.mark.parametrize("name,description,category", [
    ("companies_information", "Récupère les informations générales d'une société, par son ID.",
     "Read"),
    ("unpaid_invoices", "Liste les factures impayées, regroupées par société.", "Read"),
    ("clientes", "Obtiene la lista de clientes activos.", "Read"),
    ("relatorio", "Consulta o saldo de uma conta.", "Read"),
    ("fatture", "Elenca le fatture emesse nel mese.", "Read"),
    ("rechnungen", "Listet alle offenen Rechnungen auf.", "Read"),
    # A German verb split from its particle counts only with it.
    ("rechnungen_abrufen", "Ruft die Rechnungen des Kunden ab.", "Read"),
    ("facturen", "Haalt de facturen van een klant op.", "Read"),
    ("nouveau_client", "Crée un nouveau client dans le CRM.", "Write"),
    ("supprimer_client", "Supprime définitivement un client.", "Destructive"),
    ("borrar_cliente", "Elimina un cliente y sus datos.", "Destructive"),
    ("kunde", "Löscht einen Kunden.", "Destructive"),
    ("lancer", "Exécute un script sur le serveur.", "Execute"),
    ("pagamento", "Paga una fattura al fornitore.", "Financial"),
    # An alternative joined by "ou"/"oder" counts, the riskier wins.
    ("client", "Récupère ou supprime un client.", "Destructive"),
    ("kunde_pflegen", "Erstellt oder aktualisiert einen Kunden.", "Destructive"),
])
def test_descriptions_in_other_european_languages_lead_with_their_verb(
        name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,word", [
    # An English noun phrase that opens with a word of those languages ("active" is French
    # for "activates") is read as English: a collection shown.
    ("active_sessions", "Active sessions for a user.", "active"),
    # A German verb without its particle is no verb.
    ("kunden_rechnungen", "Ruft die Rechnungen des Kunden.", "ruft"),
])
def test_an_english_sentence_is_never_read_as_another_language(name, description, word):
    c = classify(tool(name, description))
    assert c.category in ("Read", "Other"), c.evidence
    assert not any(f"'{word}'" in line for line in c.evidence), c.evidence


# ----- checks, counts, restated objects and tracking ----------------------------------------

@pytest.mark.parametrize("name,description,category", [
    # "confirm" before a clause checks it; before an object it acts on that object.
    ("connectivity_check", "Confirm the hub can reach and authenticate to this device.", "Read"),
    ("service_status", "Report readiness of each service. Call it to confirm the stack is up.",
     "Read"),
    ("confirm_booking", "Confirm that the booking exists.", "Write"),
    ("booking", "Confirm a booking for the guest.", "Write"),
    # A count before a hyphen makes an adjective: "One-call" is no call.
    ("analyze_game", "One-call brief on a game: price, reviews and players now.", "Read"),
    # The sentence opens with what the name's reading verb reads, as a plural noun.
    ("soar_list_comments", "Comments on a container, oldest first.", "Read"),
    ("list_tags", "Tags for a repository.", "Read"),
    # Its plural in "-es", where the reading verb ends the name after it.
    ("process_list", "Processes on the host by CPU usage.", "Read"),
    # The same word taking an object is the verb.
    ("get_posts", "Posts a message to the channel.", "Write"),
    ("process_list", "Processes the queued jobs on the host.", "Execute"),
    # Tracking a shipment, an order or progress looks up where they stand.
    ("track_shipment", "Track a shipment and get its current status.", "Read"),
    ("get_allocation_status", "Track the progress of a pending allocation.", "Read"),
    # Tracking an event, time, or with nothing named, records something.
    ("mixpanel_track", "Track an event.", "Write"),
    ("track", "", "Write"),
    ("track_time_off", "Track employee time-off requests and balances.", "Write"),
    # A narrower object named by the description's same verb decides.
    ("resolve_user", "Resolve display name to email with fuzzy matching.", "Read"),
    ("resolve_comment", "Resolve a comment thread.", "Write"),
    # A sentence that names no object decides nothing: the name's object stands.
    ("resolve_comment", "Resolve.", "Write"),
])
def test_checks_counts_restated_objects_and_tracking(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A reader's sentence that goes on to act with its own object acts.
    ("validate_address", "Validate a shipping address and save it to the address book.",
     "Write"),
    ("get_prompt", "Retrieve a prompt by ID and execute it.", "Execute"),
    # A reader's sentence that names things stays a read.
    ("list_files", "List files and folders in a directory.", "Read"),
])
def test_a_readers_first_sentence_is_read_whole(name, description, category):
    assert classify(tool(name, description)).category == category


def test_a_gerund_leading_a_verbless_sentence_is_a_noun_not_a_command():
    c = classify(tool("reporting_companies", "Reporting of companies: revenue and margin."))
    assert c.category != "Write", c.evidence
    assert not any("a verb the tables lack" in line for line in c.evidence)


def test_a_relative_clause_ends_what_a_verb_acts_on():
    # "a pending payment that was escalated": the payment is approved, not "escalated".
    c = classify(tool("approve_pending", "Approve a pending payment that was escalated."))
    assert c.category == "Financial", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A question in another language, ending in "?", under a name and a sentence with no
    # verb: the question the tool answers.
    ("disponibilidad_tutor", "¿Qué huecos libres tiene el tutor esta semana?", "Read"),
    ("welche_tiere_in_quarantaene", "Welche Tiere sind derzeit in Quarantäne?", "Read"),
    ("wolne_miejsca", "Ile wolnych miejsc zostało na kursie?", "Read"),
    # An English question that asks its fact one word later, or in a contraction.
    ("occupancy_now", "How busy is the gym right now?", "Read"),
    ("rsvp_pending", "Who hasn't replied yet?", "Read"),
    # Not one that goes on after ";", nor a request put as a question.
    ("slot_frei", "Welcher Slot ist frei; der erste wird reserviert?", "Other"),
    ("buchung", "Kannst du die Buchung stornieren?", "Destructive"),
])
def test_questions_in_other_languages_read(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # "Which" asking its fact past a compound of two nouns.
    ("deliveryWindow", "Which delivery slots are left for tomorrow in a postcode?", "Read"),
    ("rink.ice.free", "Which ice pads are free tonight (or on a given evening) for private "
     "hire?", "Read"),
    # Not past a verb, not what should be done, not with an act said later.
    ("deliveryWindow", "Which delivery slots should be cancelled?", "not Read"),
    ("rink.ice.free", "Which ice pads are free tonight? Books the first one for the team.",
     "not Read"),
    ("rink.ice.free", "Which ice pads are free, and holds the first one?", "not Read"),
])
def test_which_asks_past_a_compound_of_nouns(name, description, category):
    _classified_as(tool(name, description), category)


@pytest.mark.parametrize("name,description,category", [
    # After a preposition, "which", "whose" or "what" asks of a noun, never a verb.
    ("git_blame", "Who last changed each line of a file, and in which commit.", "Read"),
    ("file_authors", "Who last touched the file, and in which commit.", "Read"),
    # A verb after the comma still acts, and so does one in the clause "in which" opens.
    ("git_blame", "Who last changed each line of a file, and reverts that commit.", "not Read"),
    ("git_blame", "Who last changed each line, in which commit it is reverted.", "not Read"),
])
def test_a_question_word_after_a_preposition_asks_of_a_noun(name, description, category):
    _classified_as(tool(name, description), category)


@pytest.mark.parametrize("name,description,category", [
    # A "whether" clause asking a fact is the question the tool answers, never a command.
    ("coupon_validity", "Whether a coupon can still be redeemed, and for how much.", "Read"),
    ("propagation_check", "Whether a record has propagated to public resolvers around the "
     "world.", "Read"),
    # Not with a step after it, after ";", or in a later sentence, nor what should be done.
    ("coupon_validity", "Whether a coupon is valid, and redeems it.", "not Read"),
    ("coupon_validity", "Whether a coupon is valid; redeems it.", "not Read"),
    ("coupon_validity", "Whether a coupon can be redeemed. Redeems it when it can.", "Write"),
    ("ice_pad_free", "Whether the ice pad is free tonight. Books the first slot.", "not Read"),
    ("coupon_validity", "Whether a coupon is valid. It is then redeemed.", "Write"),
    ("vm_state", "Whether the VM should be stopped.", "not Read"),
    ("coupon_validity", "Whether to redeem the coupon now.", "not Read"),
])
def test_a_whether_clause_asks(name, description, category):
    _classified_as(tool(name, description), category)


@pytest.mark.parametrize("name,description,category", [
    # A name whose reading word is often a noun ("check"), under the question it answers.
    ("voucher_check", "Is the voucher still valid, and how much value is left?", "Read"),
    ("warranty_check", "Is a boiler still under manufacturer warranty?", "Read"),
    # What a later sentence does still counts.
    ("voucher_check", "Is the voucher still valid? It is deleted once checked.", "Destructive"),
])
def test_a_weak_reading_name_and_the_question_it_answers_agree(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # "On call" is a duty: nobody is called.
    ("plumber_on_call", "Who's on call tonight for a postcode area?", "Read"),
    ("listSchedules", "On-call schedules.", "Read"),
    # Calling someone, or paging the one on call, still acts.
    ("call_plumber", "Call the plumber on duty.", "Execute"),
    ("page_on_call", "Page the on-call engineer.", "Write"),
])
def test_on_call_is_a_duty_not_a_call(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A verbless sentence that opens with what is there now, or with a view of data named in
    # another language, shows it.
    ("marina_tide_table", "Current tide table for the harbour.", "Read"),
    ("ferry_deck_space", "Remaining car-deck lanes per sailing.", "Read"),
    ("proyector_estado", "Estado del proyector de una sala (lámpara, horas, errores).", "Read"),
    ("seznam_zakazek", "Seznam zakázek na daný den.", "Read"),
    ("stok_alat_ganti", "Stok alat ganti.", "Read"),
    # Not before an article, where the word is a verb ("Stock the van"), nor when the
    # sentence goes on after ";".
    ("stock_van", "Stock the van with parts for tomorrow.", "Write"),
    ("estado_pedido", "Estado del pedido; se cancela si no se envió.", "Other"),
    # Nor when a later sentence says what the tool itself does (the eleventh blind set).
    ("ctx", "Current kube context. If `use` is given, switches to it.", "Other"),
    ("tide_now", "Current tide table. Returns heights in metres.", "Read"),
])
def test_a_verbless_sentence_of_the_present_or_a_foreign_view_reads(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    ("pizza_status", "Liveness + configuration check: is it configured, and was an order already "
                     "placed this session? Read-only, safe to call."),
    ("server_health", "Uptime, version and load of the server, cheap to call repeatedly."),
])
def test_calling_the_tool_itself_is_no_act_of_the_tool(name, description):
    # "safe to call", "cheap to call repeatedly": the description speaks of calling this tool.
    assert classify(tool(name, description)).category == "Read"


@pytest.mark.parametrize("name,description", [
    ("gateway", "A helper that is used to call the billing API."),
    ("proxy", "Lets you invoke any endpoint of the service."),
])
def test_a_call_with_an_object_of_its_own_still_runs_something(name, description):
    assert classify(tool(name, description)).category != "Read"


@pytest.mark.parametrize("name,description", [
    # Under a name that looks something up, a sentence that opens with what the name looks up
    # names it: the plural before a preposition, a relative pronoun or a participle, or the
    # name's own compound of nouns. The word is a noun there, not a verb in the third person.
    ("list_failing_tests", "Tests that failed on the default branch in the last 10 runs."),
    ("getOrderRefunds", "Refunds issued for an order."),
    ("list_transfers", "Transfers between your own accounts in the last 90 days."),
    ("get_call_graph", "Call graph of a function, N levels deep."),
    ("get_process_tree", "Process tree for a detection."),
    ("get_store_credit", "Store credit of a customer."),
    ("get_forwarding_rules", "Forwarding rules of the mailbox."),
])
def test_a_readers_noun_opening_its_sentence_is_no_verb(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # The same words as a verb before its object: the tool acts.
    ("get_transfers", "Transfers pending funds to the linked bank account.", "Financial"),
    ("list_merges_ready", "Merges all approved pull requests into main.", "Destructive"),
    ("list_tests", "Tests every endpoint by sending a request to it.", "Execute"),
    ("get_charges_due", "Charges the saved card for every overdue invoice.", "Financial"),
    # What the sentence goes on to say is done, after a comma, a colon, a dash, "and" or in a
    # relative clause with a subject of its own.
    ("fetch_changes", "Changes since the last sync, applied to the local mirror.", "Destructive"),
    ("inspect_queue", "Queue log of pending jobs, flushed to disk.", "Write"),
    ("get_deploy_queue", "Deploy queue for the environment, advanced by one step.", "Execute"),
    ("get_deploy_queue", "Deploy queue for the environment \u2014 advances it by one step.",
     "Execute"),
    ("get_call_graph", "Call graph of a function \u2014 rewrites it.", "Execute"),
    ("get_order_refunds", "Refunds issued for an order, credited to the saved card.",
     "Financial"),
    ("list_transfers", "Transfers between accounts and sends the receipts by email.",
     "Destructive"),
    ("list_changes", "Changes that it applies to the local mirror.", "Destructive"),
    ("list_orders", "Orders that ship today; each is charged to the saved card.", "Financial"),
    # A word the name does not look up stays the sentence's verb.
    ("get_queue", "Deploys the queue to production.", "Execute"),
    # A singular alone is a command ("Build from the Dockerfile"), as are "to" and "into".
    ("get_build", "Build from the Dockerfile and return the image.", "Execute"),
    ("get_transfers", "Transfers to the linked bank account.", "Financial"),
])
def test_a_readers_noun_stays_a_verb_where_the_sentence_acts(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # A report, an audit or an analysis is run to be read: the name runs what the
    # description's lead runs, and nothing after it acts.
    ("run_report", "Run a saved report and return its rows."),
    ("run_audit", "Run audits for a model (or all models if omitted)."),
    ("run_analysis", "Run a static analysis of the repository and return the findings."),
    ("registrar_degree_audit", "Run a degree audit for a student and return unmet requirements."),
])
def test_running_a_report_an_audit_or_an_analysis_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # What the sentence goes on to do after running it still counts.
    ("run_report", "Run a saved report and write the result to a CSV file.", "Execute"),
    ("run_report", "Run a report and email it to the finance team.", "Execute"),
    ("run_report", "Run a saved report; the results are posted to Slack.", "Execute"),
    ("run_report", "Run a saved report. It then deletes the source rows.", "Execute"),
    ("run_audit", "Runs npm audit and fixes vulnerabilities.", "Destructive"),
    # What runs is a job or an engine, not the audit; scans and diagnostics act on a host.
    ("run_audit", "Run the audit job for a model.", "Execute"),
    ("run_scan", "Run an on-demand AV scan.", "Execute"),
    ("run_diagnostics", "Runs vendor hardware diagnostics on a host and returns the results.",
     "Execute"),
    # The name does more than run it.
    ("run_report_and_email", "Run a saved report and return its rows.", "Execute"),
])
def test_running_a_report_still_acts_where_something_else_is_done(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # Building a graph, a tree or a hierarchy of data that the tool hands back computes a view.
    ("connections", "Build a source/destination connection graph of who talked to whom. "
                    "Returns nodes and links."),
    ("spi_hierarchy", "Build a nested top-N hierarchy across fields. Returns the hierarchy."),
    ("dependency_tree", "Build the dependency tree of a package and return it as JSON."),
])
def test_building_a_graph_handed_back_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # Kept somewhere, or acted on after, or not said to be handed back: building acts.
    ("graph_index", "Build the knowledge graph index from the documents and store it. "
                    "Returns its id.", "Execute"),
    ("scaffold", "Build a directory tree under /tmp and return its path.", "Execute"),
    ("sync_graph", "Build a dependency graph and push it to the registry. Returns the digest.",
     "Execute"),
    ("call_graph", "Build a call graph of a function.", "Execute"),
    ("site", "Build the site and return the output path.", "Execute"),
    ("mega_menu", "Build a complete mega menu in one call. Returns its id.", "Execute"),
])
def test_building_anything_else_still_runs_something(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # A subscription or connection that lasts the call: what arrives in a bounded time is
    # collected and handed back.
    ("subscribe_ticker", "Subscribe to the live ticker of a symbol, collect the first N "
                         "updates, then unsubscribe and return them."),
    ("protect_subscribe_events", "Connect to the event WebSocket and collect messages for a "
                                 "specified duration (1-30s). Returns {messages, duration}."),
    ("pubsub_subscribe", "Subscribe to a Redis channel and collect messages for up to 30 s. "
                         "Returns the messages received."),
])
def test_a_subscription_that_lasts_the_call_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Someone or something else is subscribed, the subscription outlives the call, no bound
    # is said, or something else is done too.
    ("subscribe", "Subscribe an endpoint to an SNS topic, collect the first 5 confirmations "
                  "and return them."),
    ("subscribe", "Subscribe to a Redis channel, collect messages for 10 seconds and return a "
                  "handle to read more later."),
    ("subscribe_topic", "Subscribe this server to an MQTT topic filter so that matching "
                        "messages are kept."),
    ("subscribe_alerts", "Subscribe to alerts by email and collect the first 5 updates. "
                         "Returns them."),
    ("listen", "Subscribe to a channel and collect messages for 10 seconds, then forward them "
               "to Slack. Returns the count."),
    ("subscribe_and_publish", "Subscribe to a topic, collect messages for 5 seconds and "
                              "return them."),
    ("subscribe_feed", "Subscribe to the feed, collect messages and return them."),
    ("subscribe_ticker", "Subscribe to the ticker, collect the first N updates and return "
                         "them. It then places a market order."),
    ("subscribe_quotes", "Start streaming live quotes for one contract into a ring buffer for "
                         "10 seconds and collect them. Returns a subscription handle."),
])
def test_a_subscription_that_outlives_the_call_or_does_more_is_not_read(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # A name of nouns ending in "report", under a sentence with no verb, names a report shown.
    ("sales_report", "Sales report for a period."),
    ("attendanceReport", "Attendance report: who joined, duration, engagement score."),
    ("margin_report", "Gross margin per shipment and per customer for a date range."),
])
def test_a_verbless_report_name_under_a_verbless_sentence_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # A command the tables lack ("File a damage report"), what is done to it after a comma or
    # in a later sentence, or a name of one word, is no report shown.
    ("damage-report", "File a damage report with photos.", "Write"),
    ("weekly-report", "The weekly KPI report, emailed to the leadership list.", "Other"),
    ("weekly_report", "Weekly summary of open incidents, published to the status page.", "Write"),
    ("incident_report", "Incident report for a site. The duty manager is paged.", "Other"),
    ("report", "Report for a period.", "Other"),
])
def test_a_report_name_still_acts_where_its_words_say_so(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # Building a block, a snippet or a query that the tool hands back, for use elsewhere.
    ("soar_build_decision_block", "Build a decision block. An else branch is added "
                                  "automatically. Returns a base64 payload."),
    ("build_es_query", "Build an Elasticsearch query from filters and return it as JSON."),
])
def test_building_a_text_handed_back_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("build_query", "Build an Elasticsearch query from filters and run it. Returns the hits."),
    ("build_image", "Build a Docker image from the Dockerfile. Returns a JSON payload with the "
                    "image id."),
    ("build_block", "Build a decision block and save it to the playbook. Returns its id."),
    ("build_block", "Build a decision block in the playbook."),
    ("build_snippet", "Build a snippet and write it to a file. Returns the path."),
    ("build_and_deploy_block", "Build a decision block. Returns a base64 payload."),
])
def test_building_a_text_that_is_kept_or_run_does_not_read(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # The name's noun before a view of data ("Build duration trends") names that view.
    ("get_build_times", "Build duration trends \u2014 compute avg/min/max to detect "
                        "performance regressions."),
    ("release_get", "Release metadata, tracklist and delivery status per store."),
    ("recording.fetch", "Recording metadata and a temporary media URL; transcription if "
                        "available."),
])
def test_a_readers_noun_before_a_view_of_data_is_no_verb(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("get_deploy", "Deploy metadata to the CDN for a release."),
    ("get_build_status", "Build status, as a Slack message to the commit author."),
    ("fetch_release", "Release metadata, then publish it to the store."),
    ("get_run", "Run metadata and starts a new run if none exists."),
    ("get_build_times", "Build duration trends \u2014 rebuilds the slowest job."),
])
def test_a_readers_noun_before_a_view_still_acts_where_the_sentence_does(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Sending a GET request to a path of the API is how an HTTP API reads.
    ("API-get-droplets", "To list all Droplets in your account, send a GET request to "
                         "`/v2/droplets`."),
    ("API-get-domains", "To retrieve a list of all of the domains in your account, send a GET "
                        "request to `/v2/domains`."),
])
def test_sending_a_get_request_to_the_api_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    ("API-post-droplet", "To create a new Droplet, send a POST request to `/v2/droplets`.",
     "Write"),
    ("API-delete-droplet", "To delete a Droplet, send a DELETE request to `/v2/droplets/$ID`.",
     "Destructive"),
    ("API-get-droplet", "To show a Droplet, send a GET request to `/v2/droplets/$ID` and send "
                        "the result to the webhook.", "Write"),
    ("list_hooks", "List webhooks and send a GET request to each webhook URL.", "Write"),
    ("get_report", "Get the report and send it to the finance team.", "Write"),
])
def test_sending_anything_else_still_sends(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # The name's only reading word is more often a noun, after another word, and a first
    # sentence with no verb names that very thing.
    ("seatingPlan", "Current seating plan by table."),
    ("stow_plan", "Bay plan for a vessel visit (BAPLIE-derived)."),
    ("tm_match", "Translation memory matches (fuzzy >= 75%) for a segment."),
])
def test_a_noun_like_reading_word_named_again_by_a_verbless_sentence_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("crm_leadScore", "Lead score, recomputed from recent activity and stored on the contact."),
    ("invoice_match", "Match the invoice to a payment."),
    ("seating_plan", "Current seating plan by table. The plan is then published to the venue "
                     "screens."),
    ("seating_plan", "Seating plan for a table; guests are emailed their seats."),
    ("lead_score", "Lead score for a contact: recalculates it from recent activity."),
])
def test_a_noun_like_reading_word_still_acts_where_the_words_say_so(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Evaluating a rule, a policy or a flag hands back what it decides.
    ("evaluate_policy", "Evaluate an OPA/Rego policy against an input document and return the "
                        "decision."),
    ("flags.evaluate", "Evaluate a flag for a given user context and return the variation and "
                       "the reason."),
    ("check_flag", "Evaluate a feature flag for a user context and return the variant served."),
])
def test_evaluating_a_rule_policy_or_flag_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    # Code, scripts and expressions run; a rule applied acts; nothing said returned.
    ("evaluate_js", "Evaluate JavaScript in the page and return the result.", "Execute"),
    ("evaluate_expression", "Evaluate an expression in the paused debugger frame and return "
                            "its value.", "Execute"),
    ("evaluate_rule", "Evaluate the rule and apply its actions to matching tickets. Returns "
                      "the count.", "Destructive"),
    ("evaluate_policy", "Evaluate a policy against the cluster.", "Execute"),
    ("evaluate_and_enforce_policy", "Evaluate a policy and return the decision.", "Execute"),
])
def test_evaluating_anything_else_still_runs_something(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


def test_evaluating_a_policy_then_a_step_the_table_lacks_is_not_read():
    c = classify(tool("policy_gate", "Evaluate a policy and enforce it on the cluster. Returns "
                                     "the decision."))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Testing a pattern against text, or whether something holds, computes an answer.
    ("test_regex", "Test a regular expression against sample strings."),
    ("check_regex", "Test a regex against text and return the matches."),
    ("test_dns_resolution", "Test whether a hostname resolves from each region."),
])
def test_testing_a_pattern_or_whether_something_holds_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("test_webhook", "Test a webhook by sending a sample event to it."),
    ("test_pipeline", "Test the pipeline against the staging cluster."),
    ("test_regex", "Test a regex against the rules and apply the matches to the tickets."),
    ("test_deploy", "Test whether the deploy works by deploying it to staging."),
    ("test_pattern", "Test a pattern against the logs and quarantine every match."),
])
def test_testing_anything_else_still_runs_something(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # "Queue" ending a name after other words is the queue shown.
    ("placement_queue", "Pending bed requests with wait times."),
    ("application_queue", "Pending applications for an animal, oldest first."),
    ("lims.instrument.queue", "What's in the queue for an instrument right now."),
])
def test_a_queue_ending_a_name_is_the_queue_shown(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description,category", [
    ("key.cut_queue", "Queue a key-cutting job on the shop's machine.", "Write"),
    ("print_queue", "Print jobs waiting; the next one is sent to the printer.", "Write"),
    ("deploy_queue", "Pending deploys for the environment, advanced by one step.", "Execute"),
    ("email_queue", "Outgoing emails waiting. The oldest is sent on each call.", "Write"),
    ("queue_job", "Job for the night run.", "Write"),
    # A participle after a colon may say what the call does: not told apart, not Read.
    ("mod.queue", "Items waiting for moderation: reported profiles and flagged photos.",
     "Write"),
])
def test_a_queue_still_acts_where_the_words_say_so(name, description, category):
    c = classify(tool(name, description))
    assert c.category == category, c.evidence


@pytest.mark.parametrize("name,description", [
    # A review whose findings are handed back in the same sentence reads.
    ("assess_book", "Review the book and return computed facts about it as JSON."),
    ("review_pull_request", "Review a pull request's diff and return comments as a list. No "
                            "review is posted to GitHub."),
    ("mod.verification.review", "Review a selfie verification: returns the selfie, profile "
                                "photos and a face-match score."),
])
def test_a_review_handed_back_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Submitted, approved, commented on, kept (its URL returned), or something else done.
    ("review_pr", "Review a pull request and submit review comments. Returns them."),
    ("review_expense", "Review an expense claim and approve or reject it. Returns the "
                       "decision."),
    ("review_pr", "Review a pull request and return the review URL."),
    ("review_prs", "Review open pull requests and comment suggested fixes. Returns the count."),
    ("review_doc", "Review the document, return findings and delete the draft."),
    ("review_pr", "Review a pull request."),
])
def test_a_review_that_is_posted_or_kept_is_not_read(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # A word the tables lack beside a reading lead, shaped like a noun or an adjective, is
    # more of what is shown, not a second command.
    ("subscription-get", "Plan, servings, delivery day and next charge date for a customer."),
    ("cb_get_subscription", "Subscription detail: plan, quantity, add-ons, next billing date."),
    ("get_settings", "Ranking, searchable attributes, facets and other settings of an index."),
    ("pollResults", "Poll and Q&A results of a past webinar."),
])
def test_a_noun_beside_a_reading_lead_is_no_second_command(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("view_limits", "View or tighten the spending limits."),
    ("list_bins", "List and recycles the bins."),
    ("crawl_site", "Crawl a website and index every page into the knowledge base."),
])
def test_a_command_beside_a_reading_lead_still_counts(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence



@pytest.mark.parametrize("name,description", [
    # A name of nouns ending with a measure or a document there to be looked at, under a
    # sentence with no verb, names what is shown.
    ("pg_replication_lag", "Replication lag of each replica in bytes and seconds."),
    ("air_quality", "Air quality index and PM2.5 at a location."),
    ("ferry_manifest", "Passenger and vehicle manifest for a sailing."),
    ("churn_risk", "Churn risk of an account, with the signals behind it."),
    ("parts_stock", "Van and warehouse stock for a part number."),
    ("disk_space", "Free and used disk space per mount point."),
])
def test_a_verbless_name_ending_with_a_measure_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("seating_chart", "Seating chart for a concert; guests are emailed their seats."),
    ("crew_roster", "Crew roster for a sailing, published to the crew app."),
    ("stock_inventory", "Inventory of a warehouse. Counts are reset to zero after each call."),
    ("meeting_transcript", "Transcript a meeting recording into text."),
    ("van_stock", "Stock the van with parts for tomorrow."),
    ("parts_stock", "Stock of a part; parts below the threshold are reordered."),
    ("roster", "Roster for a class."),
])
def test_a_measure_ending_a_name_still_acts_or_says_too_little(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # A plural then a word saying which of them, under a sentence naming that plural.
    ("timesheets_pending", "Timesheets awaiting approval."),
    ("vet_reminders_due", "Vaccination reminders that fall due in the next N days."),
    ("bookings_today", "Bookings for today, by room."),
])
def test_a_collection_then_which_of_them_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    ("reminders_due", "Reminders due today, sent to each patient by SMS."),
    ("invoices_overdue", "Invoices overdue; each is charged to the saved card."),
    ("payments_due", "Pay the payments due today."),
])
def test_a_collection_then_which_of_them_still_acts_where_the_words_say_so(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


# ----- a verb that runs or adds, before a view kept about its acts ---------------------------


@pytest.mark.parametrize("name,description", [
    ("run_history", "Past runs of the pipeline with their outcomes."),
    ("deploy_history", "Deployment history of a service."),
    ("restart_count", "Number of container restarts per pod."),
    ("install_stats", "Active installs per app version."),
    ("reboot_history", "Reboots of a host in the last 30 days."),
    ("deploy_log", "Log of deployments to an environment: who deployed what and when."),
])
def test_a_view_of_the_acts_a_name_verb_spells_reads(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence
    assert any("names the acts the view" in line for line in c.evidence)


@pytest.mark.parametrize("name,description", [
    # The act named only as a participle may be what the call does.
    ("push_metrics", "Metrics pushed to the gateway."),
    # The head of the phrase is the act itself: a sync of statuses.
    ("sync_status", "Status sync for all devices."),
    # A view a call makes, not one kept about acts.
    ("create_schedule", "Schedule for the week."),
    ("send_report", "Weekly report of sends per campaign."),
    # Something done in the sentence, after it, or later.
    ("run_history", "Past runs of the pipeline; failed runs are retried."),
    ("restart_count", "Number of restarts per pod, restarting any pod over the limit."),
    ("deploy_status", "Status of the deploy. Triggers a new deploy if the last one failed."),
    ("send_stats", "Stats of the campaign sends, emailed to the owner."),
    # Verbs that change, remove or pay, or that act on such a view wherever they stand.
    ("reset_count", "Count of resets."),
    ("clear_history", "History of clears."),
    ("refund_rate", "Share of orders refunded per month: refunds per order."),
    ("set_status", "Status of the sets."),
    # The verb after "to", or before what opens its object.
    ("deploy_history", "History of services ready to deploy."),
])
def test_a_view_ending_an_acting_name_still_acts_unless_the_acts_are_named(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


# ----- a reading name's noun, leading its description ----------------------------------------


@pytest.mark.parametrize("name,description", [
    ("get_trading_hours", "Trading sessions and holidays of an exchange."),
    ("get_share_settings", "Sharing settings for a file."),
    ("calls.list", "Call logs with direction, status, duration and price."),
    ("get_sell_through", "Sell-through rate per product."),
    ("getRefundPolicy", "Refund and return policy of the store."),
    ("track_shipment", "Tracking history of a package."),
])
def test_a_reading_names_noun_leading_its_description_is_no_verb(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Before what opens an object, a bare object or a particle: a command.
    ("get_refund", "Refund the payment."),
    ("get_refund", "Refund payments for an order."),
    ("get_refund", "Refund and close the ticket."),
    ("list_changes", "Changes the order of the list."),
    ("get_trading", "Trading shares for the user."),
    ("get_sharing", "Sharing the file with a user."),
    # A passive that acts, or a step or clause that does something.
    ("get_trading_hours", "Trading sessions of an exchange are opened at nine."),
    ("get_share_settings", "Sharing settings of a file and sends them to the owner."),
    ("get_share_settings", "Sharing settings of a file, applied to every folder."),
    # A word that removes, outside the name's own compound.
    ("list_deletes", "Deletes to a table since a time."),
])
def test_a_reading_names_noun_leading_its_description_still_acts_as_a_command(name,
                                                                             description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


# ----- a name of nouns ending with a view, restated by its description -----------------------


@pytest.mark.parametrize("name,description", [
    ("commission-report", "Commission earned per sales rep for a quarter."),
    ("payload_report", "Payload distribution per truck (overloads >110% flagged)."),
    ("attendance_report", "Attendance rate per student for a course."),
    ("royalty_report", "Royalties owed to a photographer for a quarter."),
    ("fault_log", "Fault code history for a unit with decoded descriptions."),
    ("latency_summary", "Latency percentiles per endpoint over the last day."),
])
def test_a_names_first_noun_leading_a_view_it_ends_with_is_no_command(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # No view ends the name: its first word is the command.
    ("log_hours", "Log worked hours for a client."),
    ("snooze_alerts", "Snooze alerts for an hour."),
    # A view a command may set.
    ("quote_price", "Quote wholesale price for a quantity."),
    ("mute_quota", "Mute quota warnings for a team."),
    # Before what opens its object, sent somewhere, or said done after a comma.
    ("file_report", "File a damage report for a vehicle."),
    ("seed_report", "Seed sample rows of the report into the dev database."),
    ("log_report", "Logs report to the audit channel."),
    ("digest_report", "Digest report of yesterday's alerts, sent to the channel."),
])
def test_a_names_first_word_leading_its_description_still_commands_otherwise(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


# ----- "open" before the plural a reader's name reads ----------------------------------------


@pytest.mark.parametrize("name,description", [
    ("get_positions", "Open positions, optionally filtered to a single symbol."),
    ("list_incidents", "Open and recent incidents."),
    ("recall_lookup", "Open manufacturer recalls for a VIN."),
    ("list_pull_requests", "Open pull requests assigned to me."),
])
def test_open_before_the_plural_a_reader_reads_is_an_adjective(name, description):
    c = classify(tool(name, description))
    assert c.category == "Read", c.evidence


@pytest.mark.parametrize("name,description", [
    # Before what opens an object, a verb after "and", a quantifier, a step after "and".
    ("get_tickets", "Open a ticket for the customer."),
    ("list_tickets", "Open and close tickets for a project."),
    ("get_tickets", "Open support tickets for each failing check."),
    ("list_positions", "Open positions and closes the losing ones."),
    # A plural the name does not hold, or a name of nouns, where either may be meant.
    ("get_report", "Open maintenance tickets for the failing build."),
    ("support_tickets", "Open support tickets for the failing build, one per check."),
])
def test_open_still_commands_where_the_words_allow_it(name, description):
    c = classify(tool(name, description))
    assert c.category != "Read", c.evidence


# ----- a reader's lead, "and", and a word both verb and noun before an object done for a reason


@pytest.mark.parametrize("name,description,category", [
    # A plural object followed by why, how long or when, or ending the sentence.
    ("analyze_logs", "Analyze logs and open incidents for anomalies.", "Write"),
    ("scan_repo", "Scan the repository for secrets and open issues for each finding.", "Write"),
    ("search_flights", "Search flights and hold seats for 15 minutes.", "Write"),
    ("inspect_builds", "Inspect failed builds and queue reruns until one passes.", "Write"),
    ("query_mailbox", "Query mailbox rules and archive threads when they are a month old.",
     "Write"),
    ("monitor_disks", "Monitor disks and open incidents.", "Write"),
])
def test_a_word_both_verb_and_noun_after_and_before_an_object_done_for_a_reason_acts(
        name, description, category):
    _classified_as(tool(name, description), category)


@pytest.mark.parametrize("name,description", [
    # Not a word both verb and noun, or no object after it.
    ("search_flights", "Search flights and show their prices."),
    ("list_jobs", "List jobs and their owners."),
    ("get_user", "Get a user and the groups they belong to."),
    # A plural followed by a scope, another noun or another preposition: a second thing read.
    ("list_repos", "List repositories and open issues for a user."),
    ("list_services", "List services and open incidents' owners."),
    ("list_projects", "List projects and open issues in each."),
    ("search_books", "Search authors and book titles for a genre."),
    # A measure of what the word names.
    ("get_campaign", "Get campaign stats and open rates for each list."),
    ("list_orders", "List customers and order totals for the month."),
    ("find_seats", "Find seats and hold times for a flight."),
    ("get_account", "Get an account and charge amounts for each invoice."),
    # The "and" ends a list of what is read.
    ("list_accounts", "List accounts with their owner, region and open tickets."),
])
def test_a_word_both_verb_and_noun_after_and_before_a_second_thing_read_still_reads(
        name, description):
    _classified_as(tool(name, description), "Read")


def test_the_tools_command_calls_no_act_joined_by_and_to_a_readers_command_read(tmp_path):
    # As a user meets them: `policytui tools --from FILE --json` on one server's snapshot of
    # the twenty-fourth round's phrasings, every tool with one string argument.
    acting = {
        "analyze_logs": "Analyze logs and open incidents for anomalies.",
        "search_hotels": "Search hotels and hold rooms for 24 hours.",
        "scan_images": "Scan container images and open issues for every critical finding.",
        "inspect_builds": "Inspect failed builds and queue reruns until one passes.",
        "query_mailbox": "Query mailbox rules and archive threads when they are a month old.",
        "monitor_disks": "Monitor disks and open incidents.",
    }
    reading = {
        "search_flights": "Search flights and show their prices.",
        "list_jobs": "List jobs and their owners.",
        "list_repos": "List repositories and open issues for a user.",
        "list_services": "List services and open incidents' owners.",
        "get_campaign": "Get campaign stats and open rates for each list.",
        "find_seats": "Find seats and hold times for a flight.",
    }
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": [
        {"name": name, "description": description, "inputSchema": schema}
        for name, description in {**acting, **reading}.items()]}), encoding="utf-8")
    command = Path(sys.executable).parent / "policytui"
    done = subprocess.run([str(command), "tools", "--from", str(snapshot), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = {row["name"]: row["category"] for row in json.loads(done.stdout)["tools"]}
    assert {name: found[name] for name in acting} == dict.fromkeys(acting, "Write")
    assert {name: found[name] for name in reading} == dict.fromkeys(reading, "Read")
