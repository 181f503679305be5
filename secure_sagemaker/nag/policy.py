"""IAM policy documents as rules read them: statements, effects, principals, conditions, actions.

Like :mod:`secure_sagemaker.nag.template`, every helper accepts anything (junk, intrinsics,
``None``) and never raises; values are read through the :class:`Template` they belong to.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from secure_sagemaker.nag.template import Template, Unresolved, as_dict, as_list


def statements(template: Template, document: Any) -> list[dict]:
    """The statements of an IAM policy document, skipping anything that is not a statement."""
    doc = template.resolve(document)
    if not isinstance(doc, dict):
        return []
    found = template.items(doc.get("Statement"))
    if isinstance(found, Unresolved):
        return []
    out = []
    for item in found:
        resolved = template.resolve(item)
        if isinstance(resolved, dict):
            out.append(resolved)
    return out


def effect(template: Template, statement: dict) -> str:
    """``"Allow"``, ``"Deny"`` or ``""`` for a statement."""
    value = template.string(statement.get("Effect"))
    return value if value in ("Allow", "Deny") else ""


def strings(template: Template, value: Any) -> list[str | Unresolved]:
    """Every item of a string-or-list field, rendered (``Action``, ``Resource``...)."""
    found = template.items(value)
    if isinstance(found, Unresolved):
        return [found]
    out: list[str | Unresolved] = []
    for item in found:
        rendered = template.render(item)
        if isinstance(rendered, (str, Unresolved)):
            out.append(rendered)
    return out


def principals(template: Template, statement: dict) -> list[tuple[str, str | Unresolved]]:
    """``(kind, value)`` pairs of a statement's ``Principal``; ``("*", "*")`` for a bare ``"*"``."""
    principal = template.resolve(statement.get("Principal"))
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*", "*")] if principal == "*" else [("AWS", principal)]
    if isinstance(principal, Unresolved):
        return [("?", principal)]
    out: list[tuple[str, str | Unresolved]] = []
    for kind, values in as_dict(principal).items():
        for value in strings(template, values):
            out.append((str(kind), value))
    return out


def has_wildcard_principal(template: Template, statement: dict) -> bool:
    """True when a statement's principal is everyone (``"*"`` or ``{"AWS": "*"}``)."""
    return any(value == "*" for kind, value in principals(template, statement) if kind in ("*", "AWS"))


def condition_entries(template: Template, statement: dict) -> Iterator[tuple[str, str, list]]:
    """``(operator, key, values)`` for each entry of a statement's ``Condition`` block."""
    for operator, block in as_dict(template.resolve(statement.get("Condition"))).items():
        for key, values in as_dict(template.resolve(block)).items():
            rendered = [template.render(v) for v in as_list(template.resolve(values))]
            yield str(operator), str(key), rendered


def action_matches(action: str, wanted: str) -> bool:
    """True when the IAM action pattern ``action`` grants ``wanted`` (case-insensitive wildcards)."""
    pattern = "^" + re.escape(action.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(pattern, wanted.lower()) is not None
