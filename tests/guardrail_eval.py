"""Which guardrail ``Deny`` statements deny a request (tests/test_guardrails.py), evaluated by
tests/policy_eval.py: one model of IAM's policy language for every test.

Tests here write requests with readable stand-ins for intrinsics (``getatt:<id>.Arn``), so
:func:`render` turns a template fragment into those strings before the statements are evaluated.
"""

from __future__ import annotations

from typing import Any

from tests.policy_eval import Request, statement_applies

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


def denying_statements(statements: list[dict], action: str, request: dict, resource: str = "*") -> list[str]:
    """The ``Sid`` of every ``Deny`` statement in ``statements`` (rendered) that denies the request."""
    asked = Request(action, resource, request)
    return [s["Sid"] for s in statements if s["Effect"] == "Deny" and statement_applies(s, asked)]
