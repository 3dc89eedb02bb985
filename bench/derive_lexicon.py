#!/usr/bin/env python3
"""Derive the verb lexicon (policytui/risk/lexicon.py) from two public cloud API taxonomies,
independently of the classifier's corpus.

Sources, pinned to the snapshots the lexicon was made from:
- AWS's Service Authorization Reference: every IAM action of every AWS service with its access
  level (List, Read, Write, Permissions management, Tagging), as the HTML pages that
  github.com/salesforce/policy_sentry keeps in policy_sentry/shared/data/docs/list_*.html
  (commit 66e53f23fe3f0aee8a625cdcefe71d49f933e9be; about 20,400 actions of 533 services).
  Each action gives two verbs: the first word of its name (`DescribeInstances` -> describe)
  and the verb of its description ("Grants permission to retrieve ..." -> retrieve). List and
  Read count as reads; Write, Permissions management and Tagging as writes.
- Google Cloud's predefined IAM roles, as github.com/iann0036/iam-dataset keeps them in
  gcp/roles/*.json (commit 2073fa52ac008a45477aa0b1b4580cd99135bf60; about 13,800
  permissions). A permission is `service.resource.verb` (`compute.instances.start`); it counts
  as a read when some Viewer or Reader role includes it (Google's viewer roles grant read-only
  access), else as a write.

Per verb, reads and writes are pooled over both sources. A verb enters the lexicon with at
least MIN_SUPPORT uses, at least one of them as the verb of an AWS description (so that
prefixes such as `Batch` or `Admin` of action names, which are no English verbs, stay out),
and a clear majority: reads when at least READ_SHARE of its uses read, writes when at most
WRITE_SHARE do. Anything between is left out: the sources disagree on it. So is a word that
the same sources use more often as a noun than as a verb: a later word of an action name
(`GetReport`, `DescribeLogGroups`) or the resource of a permission (`logging.logs.list`)
counts as a noun use, the first word of an action name or a permission's last part as a verb
use ("report", "log", "signal" are nouns there, as they are in tool names).

    git clone https://github.com/salesforce/policy_sentry && git -C policy_sentry checkout 66e53f2
    git clone https://github.com/iann0036/iam-dataset && git -C iam-dataset checkout 2073fa5
    python3 bench/derive_lexicon.py --policy-sentry policy_sentry --iam-dataset iam-dataset

(either argument may be a work tree or a bare git directory; the pinned commits are read).
Writes policytui/risk/lexicon.py, or prints it with --stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "policytui" / "risk" / "lexicon.py"

POLICY_SENTRY_COMMIT = "66e53f23fe3f0aee8a625cdcefe71d49f933e9be"
IAM_DATASET_COMMIT = "2073fa52ac008a45477aa0b1b4580cd99135bf60"
AWS_DOCS = "policy_sentry/shared/data/docs/"
GCP_ROLES = "gcp/roles/"

MIN_SUPPORT = 3
READ_SHARE = 0.8
WRITE_SHARE = 0.2

AWS_READ_LEVELS = {"List", "Read"}
AWS_LEVELS = AWS_READ_LEVELS | {"Write", "Permissions management", "Tagging"}
# Words that stand where a verb does in action names or descriptions but are no verb: modifiers
# of the verb after them ("BatchGet", "AdminCreateUser", "to permanently delete"), articles.
NOT_VERBS = frozenset(
    """
    a an the to batch bulk admin legacy async permanently temporarily also all any
    task tasks worker workers
    """.split())

_TD = re.compile(r"<td\b([^>]*)>(.*?)</td>", re.S)
_TAG = re.compile(r"<[^>]+>")
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_GRANTS = re.compile(r"Grants permission to (?:(?:the )?user to )?([a-z]+)")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={_git_dir(repo)}", *args], check=True,
                          capture_output=True, text=True).stdout


def _git_dir(repo: Path) -> Path:
    return repo / ".git" if (repo / ".git").exists() else repo


def _files(repo: Path, commit: str, folder: str) -> dict[str, str]:
    names = _git(repo, "ls-tree", "-r", "--name-only", commit, folder).split()
    return {name: _git(repo, "show", f"{commit}:{name}") for name in names}


def first_word(identifier: str) -> str | None:
    parts = _PARTS.findall(identifier)
    return parts[0].lower() if parts else None


def stem(word: str, known: Counter[str]) -> str:
    """A description's verb as its base form ("retrieves" -> retrieve, "creating" -> create)
    when it is inflected; `known` are the verbs of action names, for the forms in -ing."""
    if word.endswith("ing") and len(word) > 5:
        base = word[:-3]
        for candidate in (base, base + "e", base[:-1]):
            if candidate in known:
                return candidate
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def aws_actions(pages: dict[str, str]) -> list[tuple[str, str, str]]:
    """(action, description, access level) of every action table row of the reference pages."""
    rows = []
    for html in pages.values():
        for row in html.split("<tr>")[1:]:
            cells = _TD.findall(row)
            if len(cells) < 3 or 'id="' not in cells[0][0]:
                continue
            text = [" ".join(_TAG.sub(" ", body).split()) for _, body in cells[:3]]
            if text[2] in AWS_LEVELS and re.fullmatch(r"[A-Za-z0-9]+", text[0]):
                rows.append((text[0], text[1], text[2]))
    return rows


def gcp_permissions(roles: dict[str, str]) -> dict[str, bool]:
    """{permission: included in some Viewer or Reader role?} over all predefined roles."""
    out: dict[str, bool] = {}
    for text in roles.values():
        role = json.loads(text)
        name = str(role.get("name", "")).rsplit("/", 1)[-1].lower()
        viewer = name.endswith(("viewer", "reader"))
        for permission in role.get("includedPermissions", []):
            out[permission] = out.get(permission, False) or viewer
    return out


def noun_uses(actions: list[tuple[str, str, str]], permissions: dict[str, bool]
              ) -> tuple[Counter[str], Counter[str]]:
    """(uses of each word as a verb, as a noun) in action names and permissions: the first word
    of an action name and the last part of a permission act, the other words are what they act
    on (a plural counts for its singular too)."""
    verbs: Counter[str] = Counter()
    nouns: Counter[str] = Counter()

    def noun(word: str) -> None:
        nouns[word] += 1
        if word.endswith("s"):
            nouns[word[:-1]] += 1

    for action, _, _ in actions:
        words = [part.lower() for part in _PARTS.findall(action)]
        if words:
            verbs[words[0]] += 1
            for word in words[1:]:
                noun(word)
    for permission in permissions:
        parts = permission.split(".")
        if len(parts) < 3:
            continue
        if verb := first_word(parts[-1]):
            verbs[verb] += 1
        for resource in parts[1:-1]:
            for word in _PARTS.findall(resource):
                noun(word.lower())
    return verbs, nouns


def tally(actions: list[tuple[str, str, str]], permissions: dict[str, bool]
          ) -> tuple[Counter[str], Counter[str], set[str]]:
    reads: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    described: set[str] = set()  # verbs seen leading an AWS description
    named_verbs: Counter[str] = Counter(first_word(action) for action, _, _ in actions)
    for action, description, level in actions:
        counter = reads if level in AWS_READ_LEVELS else writes
        named = first_word(action)
        if named:
            counter[named] += 1
        match = _GRANTS.match(description)
        if match:
            said = stem(match.group(1), named_verbs)
            described.add(said)
            if said != named:
                counter[said] += 1
    for permission, viewer in permissions.items():
        parts = permission.split(".")
        if len(parts) >= 3 and (verb := first_word(parts[-1])):
            (reads if viewer else writes)[verb] += 1
    return reads, writes, described


def lexicon(reads: Counter[str], writes: Counter[str], described: set[str],
            as_verb: Counter[str], as_noun: Counter[str]
            ) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """({read verb: (reads, uses)}, {write verb: (reads, uses)})."""
    read_verbs, write_verbs = {}, {}
    for verb in sorted(set(reads) | set(writes)):
        total = reads[verb] + writes[verb]
        if (total < MIN_SUPPORT or verb not in described or verb in NOT_VERBS
                or not verb.isalpha() or len(verb) < 3 or as_noun[verb] > as_verb[verb]):
            continue
        share = reads[verb] / total
        if share >= READ_SHARE:
            read_verbs[verb] = (reads[verb], total)
        elif share <= WRITE_SHARE:
            write_verbs[verb] = (reads[verb], total)
    return read_verbs, write_verbs


def _words(table: dict[str, tuple[int, int]]) -> str:
    lines, line = [], "    "
    for word in table:
        if len(line) + len(word) + 1 > 96:
            lines.append(line.rstrip())
            line = "    "
        line += word + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def render(read_verbs: dict[str, tuple[int, int]], write_verbs: dict[str, tuple[int, int]],
           actions: int, permissions: int) -> str:
    about = textwrap.fill(
        f"Generated by bench/derive_lexicon.py; do not edit by hand. Derived from {actions:,} AWS "
        "IAM actions with their access levels (AWS's Service Authorization Reference, as kept by "
        f"salesforce/policy_sentry at {POLICY_SENTRY_COMMIT[:12]}) and {permissions:,} Google "
        "Cloud IAM permissions, read when a Viewer or Reader role includes them "
        f"(iann0036/iam-dataset at {IAM_DATASET_COMMIT[:12]}). Per verb (first word of an "
        "action name, verb of an action's description, last part of a permission), pooled over "
        f"both: a read verb has at least {READ_SHARE:.0%} of its uses reading, a write verb at "
        f"most {WRITE_SHARE:.0%}, each with at least {MIN_SUPPORT} uses, seen as the verb of an "
        "AWS description, and not used more often as a noun (a later word of an action name, "
        "the resource of a permission) than as a verb.", width=96)
    return f'''"""Verbs of public cloud API taxonomies, and whether they read: general knowledge about
verbs from outside the classifier's corpus, for words its own table (vocabulary.VERBS) lacks.

{about}
"""

from __future__ import annotations

# Verbs whose API actions read (List/Read access, or granted by viewer roles).
READ_VERBS: frozenset[str] = frozenset(
    """
{_words(read_verbs)}
    """.split()
)

# Verbs whose API actions change something (Write, Permissions management or Tagging access,
# and granted by no viewer role).
WRITE_VERBS: frozenset[str] = frozenset(
    """
{_words(write_verbs)}
    """.split()
)
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy-sentry", type=Path, required=True)
    parser.add_argument("--iam-dataset", type=Path, required=True)
    parser.add_argument("--stdout", action="store_true", help="print instead of writing")
    parser.add_argument("--table", action="store_true",
                        help="print every verb's counts (reads/uses) instead")
    args = parser.parse_args(argv)
    actions = aws_actions(_files(args.policy_sentry, POLICY_SENTRY_COMMIT, AWS_DOCS))
    permissions = gcp_permissions(_files(args.iam_dataset, IAM_DATASET_COMMIT, GCP_ROLES))
    reads, writes, described = tally(actions, permissions)
    read_verbs, write_verbs = lexicon(reads, writes, described,
                                      *noun_uses(actions, permissions))
    if args.table:
        for verb in sorted(set(reads) | set(writes), key=lambda w: -(reads[w] + writes[w])):
            mark = "R" if verb in read_verbs else "W" if verb in write_verbs else "-"
            print(f"{mark} {verb:20} {reads[verb]:5}/{reads[verb] + writes[verb]:<5}")
        return 0
    text = render(read_verbs, write_verbs, len(actions), len(permissions))
    if args.stdout:
        sys.stdout.write(text)
    else:
        OUT.write_text(text, encoding="utf-8")
        print(f"{OUT}: {len(read_verbs)} read verbs, {len(write_verbs)} write verbs",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
