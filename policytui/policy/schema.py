"""The JSON Schema of the policy document (draft 2020-12), shipped inside the package.

Editors use it for completion and help (`"$schema"` in a policy file, or `policytui schema`);
the validator uses it to report every structural problem at once. A test keeps it in step with
the pydantic model: both accept and reject the same documents.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from policytui.policy.rules import regex_problem

SCHEMA_URL = "https://policytui.dev/schema/policy-1.json"
SCHEMA_RESOURCE = "policy.schema.json"


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("policytui.policy").joinpath(SCHEMA_RESOURCE).read_text("utf-8")


def schema_text() -> str:
    """The schema file exactly as shipped (what `policytui schema` prints)."""
    return _schema_text()


def schema_dict() -> dict[str, Any]:
    """The schema as a fresh dict (callers may change their copy)."""
    return copy.deepcopy(_schema_dict())


@lru_cache(maxsize=1)
def _schema_dict() -> dict[str, Any]:
    return json.loads(_schema_text())


@lru_cache(maxsize=1)
def validator() -> Any:
    """A cached jsonschema validator with a format checker for `format: regex`."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("regex", raises=ValueError)
    def _is_regex(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        problem = regex_problem(instance)
        if problem:
            raise ValueError(problem)
        return True

    cls = jsonschema.Draft202012Validator
    return cls(_schema_dict(), format_checker=checker)
