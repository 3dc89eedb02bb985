"""What a tool's arguments say it does, whatever its name and description say: arguments that
take code make it Execute; one that says where to write a file, a payload to write, steps to
perform, a file to upload or an app to install make a reader more than a reader; a removal
switch or a `force` makes a writer a destroyer. These only ever make a reading riskier.
"""

from __future__ import annotations

import re
from typing import Any

from policytui.risk import vocabulary as v
from policytui.risk.actions import action_kind
from policytui.risk.arguments import ArgumentShape
from policytui.risk.categories import (
    CRITICAL,
    DEFAULT_SEVERITY,
    DESTRUCTIVE,
    EXECUTE,
    HIGH,
    MEDIUM,
    OTHER,
    READ,
    WRITE,
)
from policytui.risk.descriptions import (
    DescriptionVerbs,
    commanded_on_a_definite_thing,
    commanded_on_what_is_found,
    done_to_what_it_names,
    held_in_a_state,
    names_what_it_shows,
    shown_words,
)
from policytui.risk.findings import Reading, quote
from policytui.risk.kinds import KIND_ORDER, KIND_RISK, KIND_TEXT
from policytui.risk.names import NameVerbs
from policytui.risk.schema import SchemaFacts, normalize, top_properties
from policytui.risk.words import (
    DESCRIPTION_WINDOW,
    SEPARATORS,
    base_verb,
    fold_accents,
    name_words,
    participle_verb,
    sentence_tokens,
)

# A description that limits the queries a tool runs to reads: "a read-only SQL query", "Only
# SELECT queries are allowed", "SELECT statements only", "只读 SELECT 查询". Not "read-only
# mode" (a server setting) and not a bare "Execute a SELECT query", which says what it is for,
# not what it refuses.
_READ_ONLY_QUERIES = re.compile(
    r"\bread[- ]only (?:sql |graphql |cypher |select )?(?:query|queries|statement|statements)\b"
    r"|\bonly (?:a single |one )?select\b|\bselect (?:queries |statements )?only\b"
    r"|只读\s*(?:SELECT|select)?\s*查询|仅(?:允许|支持|执行)\s*SELECT"
    # ... or to a transaction that cannot write: "Queries run in read-only transactions",
    # "the transaction is opened READ ONLY".
    r"|\b(?:in|inside|within)\s+(?:a\s+|an\s+)?read[- ]only\s+transactions?\b"
    r"|\btransaction\s+is\s+(?:opened\s+|started\s+)?(?:as\s+)?read[- ]only\b", re.IGNORECASE)
# A description that says the query it is handed is not run: "(EXPLAIN without ANALYZE: the
# query is not executed)", "The statement is never executed", "without running it". Only of
# the one query or statement the call takes: "DDL statements are not executed" says what the
# tool refuses among those it runs.
_NOT_EXECUTED = re.compile(
    r"\b(?:the|this) (?:sql )?(?:query|statement|sql)\s+is\s+(?:not|never)\s+(?:executed|run)\b"
    r"|\bwithout (?:running|executing) (?:it|the (?:query|statement))\b", re.IGNORECASE)
_TERMINAL_TEXT = re.compile(r"\b(?:terminal|shell|repl|command line|console|bash)\b", re.I)


# Query languages that can change data, named in a tool's name or first sentence.
_WRITING_LANGUAGE = re.compile(
    r"\b(?:sql|mysql|postgres|postgresql|psql|sqlite|mariadb|mssql|t-?sql|duckdb|clickhouse|"
    r"snowflake|oracle|cypher|graphql)\b", re.IGNORECASE)
_QUERY_ARGUMENTS = frozenset("query querystring statement stmt".split())


def _query_in_a_writing_language(name: NameVerbs, desc: DescriptionVerbs, schema: Any
                                 ) -> tuple[str, str] | None:
    """(argument, "sql" | "graphql") when a text argument named like a query takes a language
    that the tool's name or first sentence names and that can write, else None."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return None
    for arg, spec in props.items():
        if (isinstance(arg, str) and normalize(arg) in _QUERY_ARGUMENTS and isinstance(spec, dict)
                and spec.get("type") in (None, "string") and "enum" not in spec):
            # The argument first: few tools have one, and the text is searched only then.
            said = _WRITING_LANGUAGE.search(desc.sentence) or _WRITING_LANGUAGE.search(
                " ".join(name.words))
            if said is None:
                return None
            return arg, "graphql" if said.group(0).lower() == "graphql" else "sql"
    return None


# What a tool's own words may say its `code` argument is: an identifier, not a program.
_CODE_KINDS = frozenset(
    """
    coupon coupons promo promotion discount voucher vouchers postal zip postcode country
    currency airport gift referral invite invitation
    """.split())
# Arguments beside a `code` that make it a program whatever the tool calls it.
_PROGRAM_ARGUMENTS = frozenset("language lang runtime interpreter engine kernel".split())


def _bare_code_argument(arg: str, facts: SchemaFacts, schema: Any) -> bool:
    """Is `arg` taken as code only by its name: undescribed, and with no `language` or
    `runtime` argument beside it (which would make it a program whatever the tool says)?"""
    if not any(found == arg for found, _ in facts.code_arguments):
        return False
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return False
    spec = props.get(arg)
    return (isinstance(spec, dict) and not spec.get("description")
            and _PROGRAM_ARGUMENTS.isdisjoint(props))


def _argument_text(schema: Any, arg: str) -> str:
    """An argument's own description (its first 200 characters), or "" when it has none."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    spec = props.get(arg) if isinstance(props, dict) else None
    said = spec.get("description") if isinstance(spec, dict) else None
    return said[:200] if isinstance(said, str) else ""


def _an_identifier_code(name: NameVerbs, desc: DescriptionVerbs, facts: SchemaFacts,
                        schema: Any) -> str | None:
    """The kind of identifier ("coupon") an undescribed argument called `code` holds, when
    the tool's first sentence names that kind of code ("a promo code") or its name says so
    and the sentence speaks of no other code, else None. An argument that describes itself
    is judged by its own words, and one beside a `language` or `runtime` argument is a
    program. Codes that prove something (one-time, verification) are left out: checking one
    confirms a login, a device or an address."""
    if not _bare_code_argument("code", facts, schema):
        return None
    said = desc.words[:24]
    if _says_code_is_logic(said):
        # "Compute tax for a country using a custom rule": whatever the name says, `code`
        # holds the rule to run; a rule handed over as code is a program (fail closed).
        return None
    kind = None
    for i, word in enumerate(said):
        if word in ("code", "codes"):
            if i == 0 or said[i - 1] not in _CODE_KINDS:
                return None  # "evaluates the code in a headless browser": a program
            kind = said[i - 1]  # "Check a promo code"
    if kind is not None:
        return kind
    for word in name.words:
        if word in _CODE_KINDS:
            return word  # "validateCoupon", "lookup_postal_code"
    return None


# Words that, after "code" or after "custom" / "own", make what is handed over logic to run.
_LOGIC = frozenset("rule rules logic formula formulas expression expressions snippet snippets "
                   "script scripts function functions hook hooks".split())
_OWN = frozenset("custom own user-defined arbitrary your".split())


def _says_code_is_logic(said: list[str]) -> bool:
    """Does the sentence say that what the tool is handed is logic: "using a custom rule", "a
    discount code rule", "your own formula"?"""
    for i, word in enumerate(said[1:], 1):
        if word in _LOGIC and (said[i - 1] in ("code", "codes") or said[i - 1] in _OWN):
            return True
    return False


# Words before "program" that make it a thing the tool is about ("reports for a program",
# "each program's scope"), as a bug-bounty or loyalty programme is, not code to run.
_ENTITY_BEFORE = frozenset("a an the each every per this that your".split())


def _an_entity_program(name: NameVerbs, desc: DescriptionVerbs, facts: SchemaFacts,
                       schema: Any) -> bool:
    """Is an undescribed argument called `program` the name of something the tool is about
    (a bug-bounty or loyalty programme), because the tool's words treat a program as a thing
    ("In-scope assets for a program", `program.stats`) and nothing in them runs one? Beside a
    `language` or `runtime` argument it is code."""
    if (not _bare_code_argument("program", facts, schema)
            or name.kind == v.EXECUTE or desc.kind == v.EXECUTE):
        return False
    said = desc.words[:24]
    for i, word in enumerate(said):
        if word in ("program", "programs"):
            if i == 0 or said[i - 1] not in _ENTITY_BEFORE or said[i + 1:i + 2] == ["to"]:
                return False  # "the program to run": code
            return True  # "vulnerability reports for a program"
    return "program" in name.words  # `program.scope`, `program_stats`


# Verbs that only examine what they are handed: a payload they name as their object ("Validate
# content for security issues", "Decode a base64 block payload", "validate_yaml") is what they
# look at, not something to write. Not "preview", "simulate" or "test" (previewing a post may
# post it, a test runs something), nor "format" or "convert", which hand back a rewrite.
_EXAMINERS = frozenset(
    """
    validate verify lint check parse decode analyze analyse inspect scan detect classify
    tokenize count diff compare summarize summarise explain
    """.split())
# Where the object of an examining verb ends ("content for security issues").
_OBJECT_ENDS = SEPARATORS | frozenset(
    "for of in on to from by with into at as via before after against than".split())
_OBJECT_WORDS = 8


# Verbs that only judge what they are handed, and hand back the judgement: parsing, decoding
# or classifying makes something of it ("Parse a bank statement into a proposal").
_JUDGES = frozenset("validate verify lint check analyze analyse".split())
# What a judging verb judges when it is handed a text to look at: a document, a file of
# settings or code ("Validate a YAML document", "Lint a Dockerfile"). Not a record of the
# business (an invoice, an order), which validating may post or confirm, nor a signature,
# whose payload may be anything ("Verify the signature of a payload").
_TEXTS_EXAMINED = frozenset(
    """
    document documents file files config configuration configurations manifest manifests
    yaml json xml html csv markdown dockerfile schema template spec specification definition
    snippet source text expression jwt certificate
    """.split())
# What a sentence hands back that only an examination finds: "... and return errors",
# "... and return rule violations", "... and says whether it is valid".
_FINDINGS = frozenset(
    "errors warnings issues violations findings problems diagnostics whether".split())
_HANDS_BACK = frozenset("return returns report reports say says list lists".split())
# A payload whose own words say it is kept or sent is written, whatever else is examined.
_WRITTEN = re.compile(r"\bto (?:write|save|store|apply|upload|send|post|publish|create|update)\b",
                      re.IGNORECASE)


def _examines_a_text(desc: DescriptionVerbs) -> bool:
    """Does the first sentence lead with a verb that only judges (`_JUDGES`), whose object is
    a text to look at (`_TEXTS_EXAMINED`: "Validate a JSON document against a schema", "Lint a
    Dockerfile") or that goes on to hand back what it found ("... and return syntax errors",
    "... and says whether it is valid")? Then what the tool is handed is what it examines."""
    if desc.lead not in _JUDGES or desc.indirect:
        return False
    tokens = desc.words
    at = next((i for i, token in enumerate(tokens[:3]) if base_verb(token) == desc.lead), None)
    if at is None:
        return False
    for token in tokens[at + 1:at + 1 + _OBJECT_WORDS]:
        if token in _OBJECT_ENDS or token == "(":
            break
        if token in _TEXTS_EXAMINED:
            return True
    for i, token in enumerate(tokens[at + 1:], at + 1):
        if token in _HANDS_BACK and tokens[i - 1] == "and" and not _FINDINGS.isdisjoint(
                tokens[i + 1:i + 5]):
            return True
    return False


def _examiner_of(name: NameVerbs, desc: DescriptionVerbs, payload: str,
                 schema: Any = None) -> str | None:
    """The tool's own verb, one that only examines, when it names the payload argument as what
    it examines: in the description's first sentence, right after its lead ("Validate content
    ..." with `content`), in the name after its verb ("decode_payload"), or, for a payload
    whose own words do not say it is written, as a text it looks at (`_examines_a_text`:
    "Lint a Dockerfile and return rule violations" with `content`); else None."""
    key = normalize(payload)
    if desc.lead in _EXAMINERS:
        tokens = desc.words
        at = next((i for i, token in enumerate(tokens[:3]) if base_verb(token) == desc.lead),
                  None)
        if at is not None:
            for token in tokens[at + 1:at + 1 + _OBJECT_WORDS]:
                if token in _OBJECT_ENDS:
                    break
                if token == key:
                    return desc.lead
        if _examines_a_text(desc) and not _WRITTEN.search(_argument_text(schema, payload)):
            return desc.lead
    if name.verb in _EXAMINERS and key in name.words[name.words.index(name.verb) + 1:]:
        return name.verb
    return None


def weigh_arguments(r: Reading, name: NameVerbs, desc: DescriptionVerbs, facts: SchemaFacts,
                    schema: Any, shape: ArgumentShape) -> None:
    """Make the reading as risky as its arguments say, saying why (and what lost)."""
    # Arguments that take code make it Execute whatever the name says ("read_query" runs SQL),
    # unless a reader's own text restricts its queries to reads ("Run a read-only SQL query",
    # "Only SELECT queries are allowed"): the server's word, like a hint, but a specific one.
    if not facts.code_arguments and r.category == READ:
        # "mysql_query": "Execute a MySQL query" with a `query`: the tool's own words say the
        # argument is a language that can write, though the argument's description does not.
        found = _query_in_a_writing_language(name, desc, schema)
        if found is not None:
            facts = facts._replace(code_arguments=(found,))
    if facts.code_arguments and (code := _an_identifier_code(name, desc, facts,
                                                             schema)) is not None:
        # "validateCoupon", "verify_otp", "lookup_postal_code" with a bare `code`: the tool's
        # own words say which code it is, an identifier, not a program.
        facts = facts._replace(code_arguments=tuple(
            found for found in facts.code_arguments if found[0] != "code"))
        r.evidence.append(f"argument 'code' is an identifier ({quote(code)} code, as the "
                          "tool's own words say), not a program")
    if facts.code_arguments and _an_entity_program(name, desc, facts, schema):
        facts = facts._replace(code_arguments=tuple(
            found for found in facts.code_arguments if found[0] != "program"))
        r.evidence.append("argument 'program' names a programme the tool is about (as its own "
                          "words say), not code to run")
    restricted = (r.category == READ and facts.code_arguments
                  and all(kind != "shell" for _, kind in facts.code_arguments)
                  and (_READ_ONLY_QUERIES.search(desc.text[:DESCRIPTION_WINDOW])
                       or _NOT_EXECUTED.search(desc.text[:DESCRIPTION_WINDOW])))
    if restricted:
        r.evidence.append(f"argument {quote(facts.code_arguments[0][0])} takes a query, and the "
                          f"description restricts it to reads ({quote(restricted.group(0))})")
        r.severity = HIGH if r.severity == CRITICAL else MEDIUM
    elif facts.code_arguments and r.category in (READ, OTHER, WRITE, EXECUTE):
        shell = next((n for n, k in facts.code_arguments if k == "shell"), None)
        arg, what = (shell, "shell commands or code") if shell else (
            facts.code_arguments[0][0],
            "GraphQL, which may be a mutation" if facts.code_arguments[0][1] == "graphql"
            else "SQL")
        r.evidence.append(f"argument {quote(arg)} takes {what}" if shell else
                          f"argument {quote(arg)} takes code ({what})")
        if r.category == READ:
            r.against.append("the name and description alone would say it reads")
        r.category, r.severity = EXECUTE, CRITICAL if shell else HIGH
        r.confidence = max(r.confidence, 80)
    elif r.category == EXECUTE and _TERMINAL_TEXT.search(desc.sentence):
        r.evidence.append("description says it runs in a terminal, shell or REPL")
        r.severity = CRITICAL

    # A reader told where to save its result writes files ("download_report", outputDir;
    # "export_csv" with a csv_path).
    output = facts.output_arguments[0] if facts.output_arguments else None
    if output is None and r.category == READ and (name.verb in v.FILE_PRODUCERS
                                                   or desc.lead in v.FILE_PRODUCERS):
        output = _path_argument(schema, _TO_A_FILE.search(desc.sentence) is not None)
    sent_to = _named_destination(name) if output is None and r.category == READ else None
    if sent_to is not None:
        # "export_to_s3", "dump_to_bucket": the name says where the output goes.
        r.evidence.append(f"the name sends its output to {quote(sent_to)}: it writes there")
        r.against.append("the name's verb alone would say it reads")
        r.category, r.severity = WRITE, DEFAULT_SEVERITY[WRITE]
    if r.category in (READ, OTHER) and output is not None:
        r.evidence.append(f"argument {quote(output)} says where it writes a file")
        if r.category == READ:
            r.against.append("the name and description alone would say it reads")
        r.category, r.severity = WRITE, DEFAULT_SEVERITY[WRITE]

    # A tool handed something to write (`body`, `content`, `yaml`) is no reader, whatever its
    # name says ("sync_config" with a `yaml`, "preview_post" with a `body`).
    payloads = shape.payloads
    if r.category == READ and payloads and not r.rendered:
        examined = {p: verb for p in payloads
                    if (verb := _examiner_of(name, desc, p, schema)) is not None}
        for payload, verb in examined.items():
            # "validate_content": "Validate content for security issues" with a `content`:
            # what it validates, not what it writes. Any other payload still counts.
            r.evidence.append(f"argument {quote(payload)} is what '{verb}' examines, as the "
                              "tool's own words say")
        payloads = tuple(p for p in payloads if p not in examined)
    if r.category == READ and payloads and not r.rendered:
        r.evidence.append(f"argument {quote(payloads[0])} holds something to write")
        r.against.append("the name and description alone would say it reads")
        r.category, r.severity = WRITE, DEFAULT_SEVERITY[WRITE]
        r.disagree = True

    if r.category == READ and r.measured is not None and (
            setter := _sets_the_measure(r.measured, schema)) is not None:
        # "lock_state": "Lock state of a door" with a `locked` switch; "send_limit" with a
        # `limit`: the measure's reading holds only for a schema that picks what is shown.
        noun, measure, named = r.measured
        r.evidence.append(f"argument {quote(setter)} sets the {quote(noun)} {quote(measure)} "
                          "it would show: the name's verb acts")
        r.against.append("the name and description alone would say it reads")
        r.category, r.severity = KIND_RISK[named]
        r.disagree = True

    # A name of nouns alone whose last word is a setting it must be handed a value of
    # ("k8s_replicas" with a required integer `replicas`, "dnd" with a required `dnd`
    # switch): what it shows is what it is told to become, so the call sets it.
    # A name and sentence with no verb at all (Other) are told the same way what to set.
    if r.category in (READ, OTHER) and name.kind is None and (
            found := _value_of_its_name(name, desc, schema)) is not None:
        setting, namer = found
        r.evidence.append(f"argument {quote(setting)}, required, is a value of what the "
                          f"{namer} names: the call sets it")
        if r.category == READ:
            r.against.append("the name and description alone would say it reads")
        r.category, r.severity = KIND_RISK[v.MODIFY]
        r.disagree = True

    # A required switch named as a state something is put in ("enabled", "muted", "is_locked")
    # is the state the call puts it in: a reader is not told whether what it shows is on.
    if r.category == READ and (state := _a_state_switch(schema)) is not None:
        _reader_acts(r, f"argument {quote(state)}, a required switch, is a state the call puts "
                        "something in", (WRITE, DEFAULT_SEVERITY[WRITE]))

    # A required choice among states ("trunk_status" with a required `state` of up | down):
    # readers take filters, which are optional, so a state the call must be told is the state
    # it sets. A list's required `status` picks which to show.
    if r.category == READ and (state := _a_required_state(name, schema)) is not None:
        _reader_acts(r, f"argument {quote(state)}, required, is a state to put it in: the call "
                        "sets it", KIND_RISK[v.MODIFY])

    # A required argument described as the value something is to take ("price": "New price
    # in cents", "replicas": "Desired replica count", "body": "The updated text") is what the
    # call writes, whatever the name and description say it shows ("price_of_product": "Price
    # of a product in the store"). Readers describe what they are handed as what to look for.
    if r.category == READ and (wanted := _a_new_value(schema)) is not None:
        _reader_acts(r, f"argument {quote(wanted)}, required, is a new value to set",
                     KIND_RISK[v.MODIFY])

    # A required argument named as the level something is to be brought to ("thermostat_status"
    # with a required `target_temperature`, "pump" with `desired_pressure`, `fanSetpoint`): a
    # reader is not told the level it is to show, whatever its description says ("Read-only").
    if r.category == READ and (level := _a_level_to_reach(schema)) is not None:
        _reader_acts(r, f"argument {quote(level)}, required, is named as a level to bring "
                        "something to: the call sets it", KIND_RISK[v.MODIFY])

    # An argument whose description opens by saying, in the passive, that the call acts on
    # what the tool names ("revoke_older_than": "Sessions older than this many hours are
    # ended", "archive_to": "Entries returned are moved to this bucket"): set, a reader acts.
    # A reader's arguments say which things to look for ("Only keys matching this pattern are
    # returned"). So does a switch whose description commands an act on what the tool shows,
    # with no "If true," ("view_certificate" with `renew_if_expiring`: "Renew the certificate
    # when it expires within 30 days"; "cache_lookup" with `refresh`: "Recompute and store the
    # value"), heard only where no argument says so the other ways.
    if r.category == READ and (told := _an_argument_tells_an_act(schema, name, desc)
                               ) is not None:
        arg, (word, kind), commanded = told
        _reader_acts(r, (f"argument {quote(arg)}, a switch, commands {quote(word)} on what "
                         "the tool shows") if commanded else
                        (f"argument {quote(arg)}'s description says what it names is "
                         f"{quote(word)}"), KIND_RISK[kind])

    # A reader handed an address to call back ("webhook_url", "callbackUrl", "notify_url")
    # sends something there: a tool that only shows has no one to tell.
    if r.category == READ and (callback := _callback_argument(facts)) is not None:
        _reader_acts(r, f"argument {quote(callback)} is an address the tool calls back: it sends "
                        "something there", (WRITE, DEFAULT_SEVERITY[WRITE]))

    # A tool told what steps to perform ("actions": click, write, executeJavascript) does
    # whatever its riskiest step does, whatever its name says ("scrape" a page after typing).
    if facts.steps is not None and r.category in (READ, OTHER):
        step_arg, values = facts.steps
        riskiest = None
        for value in values:
            step_kind = action_kind(value)
            if step_kind is not None and step_kind != v.READ and (
                    riskiest is None or KIND_ORDER[step_kind] > KIND_ORDER[riskiest[1]]):
                riskiest = (value, step_kind)
        if riskiest is not None:
            r.evidence.append(f"argument {quote(step_arg)} lists steps to perform, among them "
                              f"{quote(riskiest[0])}, which {KIND_TEXT[riskiest[1]]}")
            if r.category == READ:
                r.against.append("the name and description alone would say it reads")
            r.category, r.severity = KIND_RISK[riskiest[1]]
            r.disagree = True

    # A reader handed a file to upload or an app to install ("take_screenshot" of an app it
    # installs first) sends or installs something.
    if facts.sent_arguments and r.category in (READ, OTHER):
        sent_arg, how = facts.sent_arguments[0]
        r.evidence.append(f"argument {quote(sent_arg)} is something to {how}")
        if r.category == READ:
            r.against.append("the name and description alone would say it reads")
        r.category, r.severity = KIND_RISK[v.VERBS[how]]
        r.disagree = True

    # A reader with a switch named by a verb that acts ("suggest_reschedule" with `apply`,
    # a lint with `fix`): set, the tool does what it otherwise only shows.
    if facts.act_switches and r.category == READ:
        switch = facts.act_switches[0]
        r.evidence.append(f"argument {quote(switch)} switches on carrying it out")
        r.against.append("the name and description alone would say it reads")
        r.category, r.severity = WRITE, DEFAULT_SEVERITY[WRITE]
        r.disagree = True

    # A reader that takes `force` or `overwrite`: a read has nothing to force past or write
    # over, so whatever its words say, a call may act. What it does is unknown: Other, not Read.
    if facts.force_arguments and r.category == READ:
        r.evidence.append(f"argument {quote(facts.force_arguments[0])} can force or overwrite")
        r.against.append("the name and description alone would say it reads")
        r.category, r.severity = OTHER, DEFAULT_SEVERITY[OTHER]
        r.disagree = True

    # A switch named by a removal verb ("prune" on a fetch): set, the tool removes things.
    if facts.removal_switches and r.category in (READ, OTHER):
        r.evidence.append(f"argument {quote(facts.removal_switches[0])} switches on removing "
                          "things")
        if r.category == READ:
            r.against.append("the name and description alone would say it reads")
        r.category, r.severity = DESTRUCTIVE, HIGH
        r.disagree = True

    # A writer that can be told to overwrite, force or remove is a destroyer; so is a runner
    # told to remove ("StackGitRedeploy" with `Prune`).
    if r.category == EXECUTE and facts.removal_switches:
        r.evidence.append(f"argument {quote(facts.removal_switches[0])} switches on removing "
                          "things")
        r.category, r.severity = DESTRUCTIVE, CRITICAL
    if r.category in (WRITE, DESTRUCTIVE) and r.severity != CRITICAL:
        if facts.removal_switches:
            said = f"argument {quote(facts.removal_switches[0])} switches on removing things"
            if said not in r.evidence:  # a reader's switch was named just above
                r.evidence.append(said)
            r.category, r.severity = DESTRUCTIVE, CRITICAL
        elif facts.force_arguments:
            r.evidence.append(f"argument {quote(facts.force_arguments[0])} can force or overwrite")
            r.category, r.severity = DESTRUCTIVE, CRITICAL
        elif name.forced:
            r.evidence.append("name says 'force'")
            r.category, r.severity = DESTRUCTIVE, CRITICAL


# The types of a value one sets, not of a key one looks up by: a count, a level, a switch, or
# the whole list or map of something ("nameservers", "keywords", a node's "labels").
_SETTING_TYPES = frozenset(("integer", "number", "boolean", "array", "object"))
_SCALARS = frozenset(("integer", "number", "boolean", "string"))
# Words in a name after which its last word is a key to look up by ("tax_for_amount").
_KEY_JOINS = frozenset("for by of with per from in".split())
# What follows a noun heading a first sentence: "Score for a submission", "Price of a product".
_NOUN_HEAD_JOINS = frozenset(("for", "of"))
# What an argument named as the name's last word and one of these holds: a part of that thing's
# new value ("status_text", "status_emoji", "topic_message"), never a key to look it up by.
_VALUE_PARTS = frozenset("text emoji message body content".split())
# Heads of a phrase that name how much of the reply to show, not a thing to set ("Page of
# results for a query" with a required `page`).
_CALL_OPTIONS = frozenset("page pages limit offset size number top".split())
# Heads of a phrase that bound a number of something ("GPU quota", "seat cap").
_BOUNDS = frozenset("quota quotas cap caps capacity allowance maximum minimum threshold".split())
# A unit the sentence ends by giving its value in: "Storage quota of a user, in GB".
_GIVEN_IN = re.compile(r",\s*in\s+([A-Za-z]+)\W*$")


def _reader_acts(r: Reading, why: str, risk: tuple[str, str]) -> None:
    """An argument shows that a tool read as Read acts: say why, say what spoke against it, and
    take the riskier reading."""
    r.evidence.append(why)
    r.against.append("the name and description alone would say it reads")
    r.category, r.severity = risk
    r.disagree = True


# How many arguments' descriptions are read for an act.
_TOLD_ARGUMENTS = 40
# The types of an argument that gives how long something lasts.
_DURATIONS = frozenset(("integer", "number"))


def _an_argument_tells_an_act(schema: Any, name: NameVerbs, desc: DescriptionVerbs
                              ) -> tuple[str, tuple[str, str], bool] | None:
    """(argument, (participle, kind), False) of the first argument, not a choice among values,
    whose description opens as `done_to_what_it_names` reads it (a switch's also as
    `commanded_on_what_is_found`, a duration's as `held_in_a_state`); else (switch, (verb,
    kind), True) of the first switch `commanded_on_a_definite_thing` reads as a command on
    what the tool's name or first sentence names; else None."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return None
    commanded: tuple[str, tuple[str, str], bool] | None = None
    shown: frozenset[str] | None = None
    for count, (arg, spec) in enumerate(props.items()):
        if count >= _TOLD_ARGUMENTS:
            break
        said = spec.get("description") if isinstance(spec, dict) else None
        if not isinstance(said, str) or not said or "enum" in spec:
            continue
        act = done_to_what_it_names(said)
        if act is None and spec.get("type") == "boolean":
            act = commanded_on_what_is_found(said)
            if (act is None and commanded is None
                    and (thing := commanded_on_a_definite_thing(said)) is not None):
                verb, kind, what, keeps = thing
                if not keeps and shown is None:
                    shown = shown_words(name.words, desc.sentence)
                if keeps or names_what_it_shows(what, shown or frozenset()):
                    commanded = (str(arg), (verb, kind), True)
        if act is None and _value_type(spec) in _DURATIONS:
            act = held_in_a_state(said)
        if act is not None:
            return str(arg), act, False
    return commanded


def _value_type(spec: Any) -> str | None:
    """The JSON type an argument's schema gives, read through a nullable type list
    (`["integer", "null"]` is an integer that may be left out); None for anything else,
    however a server writes it (a type list is not a word to look up)."""
    if not isinstance(spec, dict):
        return None
    kind = spec.get("type")
    if isinstance(kind, list):
        named = [item for item in kind if item != "null"]
        kind = named[0] if len(named) == 1 else None
    return kind if isinstance(kind, str) else None


def _value_of_its_name(name: NameVerbs, desc: DescriptionVerbs, schema: Any
                       ) -> tuple[str, str] | None:
    """(the required argument, "name" or "first sentence") for an argument, a number, a
    switch or a list, named as the name's last word (or its singular or plural), or as the
    noun heading the first sentence ("Score for a student's submission" with a required
    `score`), or None."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    required = schema.get("required") if isinstance(schema, dict) else None
    if not name.words or type(props) is not dict or type(required) is not list:
        return None
    last = name.words[-1]
    named = {last, last[:-1] if last.endswith("s") else last + "s"}
    if len(name.words) > 1 and name.words[-2] in _KEY_JOINS:
        named = set()  # "tax_for_amount", "orders_by_status": the last word is a key
    own = frozenset(named)
    words = desc.words
    head = None
    counted: set[str] = set()
    for at in range(1, min(len(words), 4)):
        if words[at] in _NOUN_HEAD_JOINS:
            # The word before the first "for" or "of" heads a noun phrase naming the thing
            # ("Score for a submission", "Storage quota of a user"), and a unit it is given in
            # names its value ("..., in GB"): handed that value, the call sets it.
            if words[at - 1] not in _CALL_OPTIONS:
                head = words[at - 1]
                named.add(head)
                # What a head that bounds a number counts, before it ("GPU quota of a team"
                # with `gpus`, "Seat cap of a plan" with `seats`), names a number to set; not
                # before any other head ("Seat price for a plan" with `seats` prices them).
                if head in _BOUNDS:
                    counted = {w + s for w in words[:at - 1] for s in ("", "s")}
                if (given := _GIVEN_IN.search(desc.sentence)) is not None:
                    named.add(given.group(1).lower())
            break
    for arg in required:
        spec = props.get(arg) if isinstance(arg, str) else None
        if not isinstance(spec, dict):
            continue
        kind, key = _value_type(spec), normalize(arg)
        if kind == "string" and key.startswith(last) and key[len(last):] in _VALUE_PARTS and own:
            # "chat.status" with a required `status_text`: the text of what the name names,
            # which a reader would be handed no part of.
            return arg, "name"
        if key in named:
            sets = (kind in _SETTING_TYPES
                    # A choice of named values ("ACTIVE", "PAUSED") is a state to put it in.
                    or (kind == "string" and "enum" in spec)
                    # Text named as the phrase's head is that thing's new value ("Price tier
                    # of a customer" with `tier`): a reader is handed what it is of. (Not by
                    # the name alone: "user_email" with `email` may look one up.)
                    or (kind == "string" and key == head))
        elif (kind == "string" and type(choices := spec.get("enum")) is list
              and 1 < len(choices) <= 8 and desc.kind is None and ":" in desc.sentence
              and _lists_after_its_colon(desc.sentence, choices)):
            # "Payout schedule: daily, weekly or manual." with a required `interval` of those
            # three: a sentence of no verb that names a thing, then after a colon each value
            # the call must be handed, names what the call makes it. (Not "CPU, disk and
            # network metrics" with a required `type`: which of them to show.)
            sets = True
        else:
            sets = key in counted and kind in ("integer", "number")
        # A list or a map is also what a computation is handed ("price_legs": "Given a bid,
        # return per-leg prices", with `legs`): only under a sentence with no verb.
        if sets and (kind in _SCALARS or desc.kind is None):
            return arg, "name" if key in own else "first sentence"
    return None


def _lists_after_its_colon(sentence: str, choices: list[Any]) -> bool:
    """Does each of the choices stand as a word after the sentence's first colon?"""
    after = set(sentence_tokens(sentence.partition(":")[2]))
    return all(type(c) is str and c.lower() in after for c in choices)


# States a switch puts something in, as arguments name them ("enabled", "is_muted").
_STATES = frozenset(
    """
    enabled disabled enable disable active inactive on off muted locked unlocked visible hidden
    paused archived pinned starred published public private subscribed favorite favorited
    """.split())


def _a_state_switch(schema: Any) -> str | None:
    """The first required boolean argument named as a state ("enabled", "is_muted"), or
    None. Asked of every reader: plain type tests before any name is looked at."""
    if type(schema) is not dict:
        return None
    required = schema.get("required")
    props = schema.get("properties")
    if not required or type(required) is not list or type(props) is not dict:
        return None
    for arg in required:
        spec = props.get(arg) if type(arg) is str else None
        if type(spec) is dict and spec.get("type") == "boolean":
            named = normalize(arg)
            if named in _STATES or (named[:2] == "is" and named[2:] in _STATES):
                return arg
    return None


# Names of a choice among states.
_STATE_CHOICES = frozenset(("state", "status", "newstate", "newstatus", "targetstate"))


def _many(word: str) -> bool:
    """Is a name's last word a plural ("orders", "ids"; not "status")?"""
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _a_required_state(name: NameVerbs, schema: Any) -> str | None:
    """The first required choice of values named `state` or `status` under a name that ends
    with no plural (a list's `status` picks which to show) nor with a key after "by" or "for"
    (`campaigns_by_status`), or None."""
    if type(schema) is not dict:
        return None
    required = schema.get("required")
    props = schema.get("properties")
    if not required or type(required) is not list or type(props) is not dict:
        return None
    for arg in required[:20]:
        spec = props.get(arg) if type(arg) is str else None
        if type(spec) is not dict:
            continue
        if (normalize(arg) in _STATE_CHOICES and type(spec.get("enum")) is list
                and name.words and not _many(name.words[-1])
                # "campaigns_by_status": after "by" or "for" the name's last word is a key
                and not (len(name.words) > 1 and name.words[-2] in _KEY_JOINS)):
            return arg
    return None


# How the description of an argument opens when it is a value to set: "New price in cents",
# "The desired replica count", "Updated comment content", "Replacement text".
# Not "New or returning customers", a choice of what to look at.
_NEW_VALUE = re.compile(r"\s*(?:the\s+)?(?:new|desired|updated|replacement)\s+(?!or\b)\w",
                        re.IGNORECASE)


_NEW_VALUE_LETTERS = frozenset("NnDdUuRrTt")
# ... unless another argument is the old one it is compared with: "from": "Old version.",
# "to": "New version." names two versions to diff.
_OLD_VALUE = re.compile(r"\s*(?:the\s+)?(?:old|older|previous|original|base)\s+\w",
                        re.IGNORECASE)


def _a_new_value(schema: Any) -> str | None:
    """The first required argument whose description opens as a value to set (`_NEW_VALUE`),
    when no argument is described as the old value it is compared with, or None. (Asked of
    every reader: plain type tests, and the pattern only on a description that opens with one
    of its first letters.)"""
    if type(schema) is not dict:
        return None
    required = schema.get("required")
    if not required or type(required) is not list:
        return None
    props = schema.get("properties")
    if type(props) is not dict:
        return None
    for arg in required:
        spec = props.get(arg) if type(arg) is str else None
        said = spec.get("description") if type(spec) is dict else None
        if (type(said) is str and said.lstrip()[:1] in _NEW_VALUE_LETTERS
                and _NEW_VALUE.match(said) is not None):
            if any(type(other) is dict and type(was := other.get("description")) is str
                   and _OLD_VALUE.match(was) is not None for other in props.values()):
                return None
            return arg
    return None


# The words of an argument's name that say a level is wanted, before what it is a level of
# (`target_temperature`, `desiredSpeed`, `new-brightness`), and the quantities a device or
# service is set to. A converter's `target_currency` or `target_language` names no such
# quantity, and `setpoint` is a level to reach alone or last (`fan_setpoint`).
_WANTED = frozenset(("target", "desired", "new", "wanted", "requested"))
_LEVELS = frozenset("""
    temperature temp speed rpm level pressure brightness volume position percent percentage
    humidity power intensity setpoint replicas capacity
    """.split())
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_WANTED_CLUES = (*_WANTED, "setpoint")


def _a_level_to_reach(schema: Any) -> str | None:
    """The first required argument named as a wanted level (`_WANTED` then `_LEVELS`, or
    ending with "setpoint"), or None."""
    if type(schema) is not dict:
        return None
    required = schema.get("required")
    if not required or type(required) is not list:
        return None
    for arg in required:
        if type(arg) is not str:
            continue
        lowered = arg.lower()
        if not any(word in lowered for word in _WANTED_CLUES):
            continue  # (most names hold none: the words are split only where one may be)
        words = [w.lower() for w in _NAME_WORDS.findall(fold_accents(arg))]
        if words and (words[-1] == "setpoint" or any(
                first in _WANTED and then in _LEVELS for first, then in zip(words, words[1:]))):
            return arg
    return None


# Names of an address a call reports to, as `normalize` writes them.
_CALLBACKS = frozenset(("webhookurl", "webhookuri", "callbackurl", "callbackuri", "notifyurl",
                        "notificationurl", "webhook", "callback"))


def _callback_argument(facts: SchemaFacts) -> str | None:
    """The first argument taking a network address that is named as one to call back, or
    None (the arguments that take an address are few, and found already)."""
    for arg in facts.url_arguments:
        if normalize(arg.rsplit(".", 1)[-1]) in _CALLBACKS:
            return arg
    return None


_PATH_ENDINGS = ("path", "file", "dir", "directory", "filename", "folder",
                 # ... and in Spanish, Portuguese, French, German and Italian: "ruta_salida",
                 # "caminho_arquivo", "chemin_fichier", "ausgabe_datei".
                 "ruta", "archivo", "fichero", "salida", "caminho", "arquivo", "saida",
                 "chemin", "fichier", "sortie", "pfad", "datei", "ausgabe", "percorso",
                 # ... and a bare "dest": "Download an object to a local file path".
                 "dest", "destination")
# A folder given by name ("folder_name", "dir_name"): where a downloader puts what it fetches.
_NAMED_FOLDERS = ("foldername", "dirname", "directoryname")
_FILE_OR_FOLDER = _PATH_ENDINGS + _NAMED_FOLDERS


# A producer's sentence that puts its result in a file: "Export readings to a CSV file at the
# given path", "Dump the table into the file". ("Export the log as CSV" hands it back.)
_TO_A_FILE = re.compile(
    r"\b(?:to|into|at)\s+(?:a|an|the)\s+(?:[\w.-]+\s+){0,2}?(?:file|path|folder|directory)\b",
    re.IGNORECASE)


def _named_destination(name: NameVerbs) -> str | None:
    """Where a producer's name sends its output ("export_to_s3" -> s3), or None."""
    if name.verb not in v.FILE_PRODUCERS or name.verb not in name.words:
        return None
    after = name.words[name.words.index(name.verb) + 1:]
    if "to" in after[:-1]:
        return after[after.index("to") + 1]
    return None


def _path_argument(schema: Any, to_a_file: bool = False) -> str | None:
    """The first argument whose name says it is the path of a particular file or folder
    ("csv_path", "target_dir"); a bare `path` is usually what is read, unless its
    description says it is where the file goes ("Destination .adi path") or the tool's
    sentence puts its result in a file (`to_a_file`)."""
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is not dict:
        return None
    for arg in list(props)[:50]:
        if type(arg) is str:
            key = normalize(arg)
            if not key.endswith(_FILE_OR_FOLDER) or key.endswith(_NOT_PATHS):
                continue
            if key not in _PATH_ENDINGS:
                return arg
            if to_a_file:
                return arg
            spec = props[arg]
            about = spec.get("description") if type(spec) is dict else None
            if type(about) is str and _DESTINATION.search(about[:200]) is not None:
                return arg
    return None


# A bare path described as where the produced file goes: "Destination .adi path", "Output
# file", "Where to save the export", "Path to write the CSV to".
_DESTINATION = re.compile(
    r"\b(?:destination|output)\b|\bwhere to (?:save|write|store|put)\b"
    r"|\bto (?:save|write|store) (?:it|the|to)\b|\bsaved? (?:to|as|at|in)\b", re.IGNORECASE)


# Words that end like a path but name something else: a `zosmf_profile` is a set of settings.
_NOT_PATHS = ("profile", "profiles")


# Arguments that hand a measure reader a value rather than pick what is shown: a new value, a
# target, a recipient, a payload or an amount.
_VALUES_HANDED = frozenset(
    """
    value values new target desired set enabled enable engaged engage active amount body
    content text message recipient recipients data payload file path
    """.split())


def _sets_the_measure(measured: tuple[str, str, str], schema: Any) -> str | None:
    """The first argument of a measure reader's schema (`Reading.measured`) named by the noun,
    its participle, the measure or a value handed to it (`locked`, `lock`, `limit`, `new_rate`,
    `value`, `enabled`), or None when every argument only picks what is shown."""
    noun, measure, _ = measured
    own = {*noun.split(), measure, measure + "s"}
    for argument, _prop in top_properties(schema):
        words = set(name_words(argument))
        if (words & own or words & _VALUES_HANDED
                or any(w.endswith(("ed", "en")) and participle_verb(w) in own for w in words)):
            return argument
    return None
