"""A small evaluator of the guardrails' Deny statements: which Sids deny a request (tests/test_guardrails.py).

It renders intrinsics to readable strings (``getatt:<id>.Arn``) and checks one request against Deny
statements only; tests/policy_eval.py evaluates whole roles (Allow and Deny) with fake ARNs.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

#: What CloudFormation values become when a test evaluates a policy: pseudo parameters take these
#: values, other references become ``ref:<id>`` and ``getatt:<id>.<attribute>``.
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": "111122223333", "AWS::Region": "eu-west-1", "AWS::URLSuffix": ""}


def render(node: Any) -> Any:
    """``node`` (a template fragment) with every intrinsic turned into a string, see :data:`PSEUDO`."""
    if isinstance(node, list):
        return [render(v) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return PSEUDO.get(node["Ref"], f"ref:{node['Ref']}")
    if set(node) == {"Fn::GetAtt"}:
        return "getatt:" + ".".join(node["Fn::GetAtt"])
    if set(node) == {"Fn::Join"}:
        delimiter, items = node["Fn::Join"]
        return delimiter.join(str(render(i)) for i in items)
    return {k: render(v) for k, v in node.items()}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substitute(value: str, request: dict) -> str | None:
    """``value`` with policy variables replaced from ``request``; None when one is missing (IAM then
    treats the condition as not matching)."""
    missing = False

    def one(match: re.Match) -> str:
        nonlocal missing
        if match.group(1) not in request:
            missing = True
            return ""
        return str(request[match.group(1)])

    result = _VARIABLE.sub(one, value)
    return None if missing else result


def _matches(operator: str, actual: str, expected: list[str]) -> bool:
    if operator.endswith("Like"):
        return any(fnmatch.fnmatchcase(actual, e) for e in expected)
    if operator.startswith("Bool"):
        return str(actual).lower() in expected
    return actual in expected


def condition_holds(operator: str, key: str, expected: Any, request: dict) -> bool:
    """One condition of IAM's policy language, for the operators the guardrails use."""
    present = key in request
    if operator == "Null":
        return (not present) == (_as_list(expected) == ["true"])
    values = []
    for value in _as_list(expected):
        substituted = _substitute(value, request) if isinstance(value, str) else value
        if substituted is None:
            return False
        values.append(substituted)
    set_operator, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    negated = "Not" in base
    positive = base.replace("Not", "")
    if set_operator == "ForAnyValue":
        if not present:
            return False
        hits = [_matches(positive, v, values) for v in _as_list(request[key])]
        return any(not h for h in hits) if negated else any(hits)
    if not present:
        return if_exists or negated
    hit = _matches(positive, request[key], values)
    return not hit if negated else hit


def denying_statements(statements: list[dict], action: str, request: dict, resource: str = "*") -> list[str]:
    """The ``Sid`` of every ``Deny`` statement in ``statements`` (rendered) that denies the request."""
    hits = []
    for statement in statements:
        if statement["Effect"] != "Deny":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement["Action"])):
            continue
        if "NotResource" in statement and any(fnmatch.fnmatchcase(resource, r) for r in statement["NotResource"]):
            continue
        if "Resource" in statement and not any(
            fnmatch.fnmatchcase(resource, r) for r in _as_list(statement["Resource"])
        ):
            continue
        if all(
            condition_holds(op, key, value, request)
            for op, keys in statement.get("Condition", {}).items()
            for key, value in keys.items()
        ):
            hits.append(statement["Sid"])
    return hits
