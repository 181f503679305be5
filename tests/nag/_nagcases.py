"""Template fragments and the verdict helper shared by the rule tests (no synth, no jsii).

Every case is a template body whose resource ``Target`` is what the rule judges, and the expected
verdict: ``pass`` (no finding), ``fail`` (a finding at the rule's level) or ``unverifiable`` (a
warning, because a value the rule needs cannot be resolved from the template).
"""

from __future__ import annotations

import copy
from typing import Any

from secure_sagemaker.nag.engine import Finding, check_template
from secure_sagemaker.nag.rule import get_rule
from secure_sagemaker.nag.template import Template

PARAM = {"Ref": "Param"}
IMPORT = {"Fn::ImportValue": "shared-thing"}
KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}
KEY_REF = {"Ref": "Key"}
ROLE_ARN = {"Fn::GetAtt": ["Role", "Arn"]}
AWS_S3_KEY = "alias/aws/s3"

KEY = {
    "Type": "AWS::KMS::Key",
    "Properties": {
        "EnableKeyRotation": True,
        "KeyPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                    "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*"],
                    "Resource": "*",
                }
            ],
        },
    },
}

SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ],
}
ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": SAGEMAKER_TRUST}}


def resource(rtype: str, properties: Any = None, **extra: Any) -> dict:
    body = {"Type": rtype, **extra}
    if properties is not None:
        body["Properties"] = properties
    return body


def template(target: dict, **others: dict) -> dict:
    """A template with ``Target``, a key ``Key``, a parameter ``Param`` and ``others``."""
    resources = {"Target": target, "Key": copy.deepcopy(KEY)}
    resources.update(others)
    return {"Parameters": {"Param": {"Type": "String"}}, "Resources": resources}


def with_props(base: dict, **changes: Any) -> dict:
    """A copy of resource ``base`` with properties changed (``None`` removes one)."""
    out = copy.deepcopy(base)
    props = out.setdefault("Properties", {})
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return out


def findings(rule_id: str, body: dict, target: str = "Target", account: str | None = None) -> list[Finding]:
    rule = get_rule(rule_id)
    found = check_template(Template(body, name="t.json", account=account), [rule])
    return [f for f in found if f.resource == target]


def verdict(rule_id: str, body: dict, target: str = "Target", account: str | None = None) -> str:
    """``pass``, ``fail`` or ``unverifiable`` for ``rule_id`` on resource ``target`` of ``body``."""
    found = findings(rule_id, body, target, account)
    assert len(found) <= 1, found
    if not found:
        return "pass"
    finding = found[0]
    rule = get_rule(rule_id)
    if finding.unverifiable:
        assert finding.level.value == "warning"
        return "unverifiable"
    assert finding.level is rule.level
    assert "please report" not in finding.detail, finding.detail
    return "fail"


def cases_params(cases: dict[str, dict[str, list]]) -> list:
    """pytest params ``(rule_id, expected, body)`` with readable ids from a CASES table."""
    import pytest

    params = []
    for rule_id, by_verdict in cases.items():
        for expected, bodies in by_verdict.items():
            for index, body in enumerate(bodies):
                params.append(pytest.param(rule_id, expected, body, id=f"{rule_id}-{expected}-{index}"))
    return params
