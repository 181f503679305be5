"""Checks several rules share: customer managed keys, required flags and enumerations."""

from __future__ import annotations

import re
from typing import Any, Callable

from secure_sagemaker.nag.rule import Verdict, fail, unverifiable
from secure_sagemaker.nag.template import Ref, Resource, Template, Unresolved, references

KMS_KEY = "AWS::KMS::Key"
KMS_ALIAS = "AWS::KMS::Alias"

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def key_status(template: Template, value: Any, _depth: int = 0) -> tuple[str, str]:
    """Classify a ``KmsKeyId``-like value as ``absent``, ``customer``, ``aws-managed``, ``invalid``
    or ``unverifiable``, with a detail for the message. A key imported from a linked template
    (``Fn::ImportValue``) is classified there."""
    imported = template.imported(value)
    if imported is not None and _depth < 3:
        return key_status(imported[0], imported[1], _depth + 1)
    resolved = template.resolve(value)
    if resolved is None or resolved == "":
        return "absent", ""
    if isinstance(resolved, Unresolved):
        return "unverifiable", resolved.reason
    if isinstance(resolved, Ref):
        target = template.resources.get(resolved.logical_id)
        if target is not None and target.type == KMS_KEY:
            return "customer", target.logical_id
        if target is not None and target.type == KMS_ALIAS and _depth < 2:
            status, detail = key_status(template, target.prop("TargetKeyId"), _depth + 1)
            return status, detail or target.logical_id
        kind = target.type if target is not None else "resource"
        return "invalid", f"{resolved.logical_id} is a {kind}, not a KMS key"
    if isinstance(resolved, str):
        if "alias/aws/" in resolved:
            return "aws-managed", resolved
        for name in _PLACEHOLDER.findall(resolved):
            target = template.resources.get(name)
            if target is not None and target.type == KMS_KEY:
                return "customer", name
            if target is not None and target.type == KMS_ALIAS and _depth < 2:
                return key_status(template, target.prop("TargetKeyId"), _depth + 1)
        alias = resolved.rsplit(":", 1)[-1]
        if alias.startswith("alias/"):
            for candidate in template.of_type(KMS_ALIAS):
                if template.string(candidate.prop("AliasName")) == alias and _depth < 2:
                    return key_status(template, candidate.prop("TargetKeyId"), _depth + 1)
        return "unverifiable", f"{resolved} is not a key declared in this template"
    return "invalid", "the value is not a key id, key ARN or alias"


def customer_key(resource: Resource, value: Any, label: str) -> Verdict | None:
    """Require ``value`` to name a customer managed KMS key (``label`` names the property)."""
    status, detail = key_status(resource.template, value)
    if status == "customer":
        return None
    if status == "absent":
        return fail(f"{label} is not set, so the data is encrypted with a key AWS owns or manages")
    if status == "aws-managed":
        return fail(f"{label} is the AWS managed key {detail}, which you cannot rotate, scope or audit")
    if status == "invalid":
        return fail(f"{label} does not name a KMS key: {detail}")
    return unverifiable(f"{label} cannot be verified as a customer managed key: {detail}")


def require_true(resource: Resource, value: Any, label: str, default: str = "false") -> Verdict | None:
    """Require a boolean property to be true."""
    flag = resource.template.boolean(value)
    if flag is True:
        return None
    if isinstance(flag, Unresolved):
        return unverifiable(f"{label} cannot be verified: {flag}")
    if flag is None:
        return fail(f"{label} is not set (the default is {default})")
    return fail(f"{label} is false")


def require_string(
    resource: Resource,
    value: Any,
    label: str,
    accepted: Callable[[str], bool] | str,
    default: str | None,
) -> Verdict | None:
    """Require a string property to have an accepted value (``default`` applies when absent)."""
    text = resource.template.string(value)
    ok = (lambda s: s == accepted) if isinstance(accepted, str) else accepted
    if isinstance(text, Unresolved):
        return unverifiable(f"{label} cannot be verified: {text}")
    if text is None:
        if default is not None and ok(default):
            return None
        return fail(f"{label} is not set (the default is {default})" if default else f"{label} is not set")
    if ok(text):
        return None
    return fail(f"{label} is {text!r}")


def require_items(resource: Resource, value: Any, label: str) -> Verdict | None:
    """Require a list property to have at least one item (items may be unresolvable: present is enough)."""
    items = resource.template.items(value)
    if isinstance(items, Unresolved):
        return None
    if not [i for i in items if i not in (None, "")]:
        return fail(f"{label} is not set or empty")
    return None


def merge(*results: Verdict | None | list[Verdict]) -> list[Verdict]:
    """Several partial verdicts as one list, dropping the ``None`` ones."""
    out: list[Verdict] = []
    for result in results:
        if isinstance(result, Verdict):
            out.append(result)
        elif isinstance(result, list):
            out.extend(v for v in result if isinstance(v, Verdict))
    return out


def referenced(resource_or_value: Any, template: Template, *types: str) -> list[Resource]:
    """Resources of ``types`` that a resource's properties (or a value) reference."""
    if isinstance(resource_or_value, Resource):
        names = template.references_of(resource_or_value)
    else:
        names = references(resource_or_value)
    found = []
    for logical_id in sorted(names):
        target = template.resources.get(logical_id)
        if target is not None and (not types or target.type in types):
            found.append(target)
    return found


def cached(template: Template, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per template under ``key``."""
    if key not in template.cache:
        template.cache[key] = compute()
    return template.cache[key]
