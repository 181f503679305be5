"""Template fragments and the verdict helper shared by the rule tests (no synth, no jsii).

Every case is a template body whose resource ``Target`` is what the rule judges, and the expected
verdict: ``pass`` (no finding), ``fail`` (a finding at the rule's level) or ``unverifiable`` (a
warning, because a value the rule needs cannot be resolved from the template).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

from secure_sagemaker.cli import main
from secure_sagemaker.nag.engine import Finding, check_template
from secure_sagemaker.nag.rule import Verdict, all_rules, get_rule
from secure_sagemaker.nag.template import Template

PARAM = {"Ref": "Param"}
IMPORT = {"Fn::ImportValue": "shared-thing"}
KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}
KEY_REF = {"Ref": "Key"}
ROLE_ARN = {"Fn::GetAtt": ["Role", "Arn"]}
AWS_S3_KEY = "alias/aws/s3"

#: Rules that only check that a value is present: an unresolvable value is present, so they
#: have no unverifiable case.
PRESENCE_ONLY = {
    "NotebookInSubnet",
    "DomainSecurityGroups",
    "ExecutionRoleTrustConditions",
    "ApiStageAccessLogs",
    "WafLogRedaction",
    "TrailCloudWatchLogs",
    "TemplateExpanded",  # a part is expanded or not: nothing in between
}

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


def covered_rules(cases: dict[str, dict[str, list]]) -> set[str]:
    """The rule ids of a CASES table with a compliant and a non-compliant case and, unless the rule
    only checks presence (:data:`PRESENCE_ONLY`), an unverifiable one."""
    return {
        rule_id
        for rule_id, by_verdict in cases.items()
        if by_verdict.get("pass")
        and by_verdict.get("fail")
        and (rule_id in PRESENCE_ONLY or by_verdict.get("unverifiable"))
    }


def rules_of(module: str) -> set[str]:
    """The ids of the rules that ``secure_sagemaker/nag/rules/<module>.py`` registers."""
    return {r.id for r in all_rules() if r.check.__module__ == f"secure_sagemaker.nag.rules.{module}"}


def run(capsys, *args: str) -> tuple[int, str, str]:
    """The CLI's exit code, standard output and standard error for ``args``."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, body) -> Path:
    """``body`` (a dict as JSON, or text as is) written to ``path``."""
    path.write_text(body if isinstance(body, str) else json.dumps(body, indent=1))
    return path


# ------------------------------------------------------------------------------------------
# Junk: values no rule, expansion or structure check may ever raise on
# ------------------------------------------------------------------------------------------

JUNK: list[Any] = [
    None,
    "",
    "junk",
    0,
    -1,
    2.5,
    True,
    [],
    {},
    [None],
    ["x", 1, None, {}, [[]]],
    {"a": {"b": [1, {"c": None}]}},
    {"Ref": None},
    {"Ref": "Nowhere"},
    {"Ref": "Param"},
    {"Ref": "AWS::NoValue"},
    {"Ref": "AWS::Region"},
    {"Fn::GetAtt": "nodot"},
    {"Fn::GetAtt": ["OnlyOne"]},
    {"Fn::GetAtt": [None, None]},
    {"Fn::GetAtt": ["Target", "Arn"]},
    {"Fn::Sub": ["${Nowhere}", "not a mapping"]},
    {"Fn::Sub": 42},
    {"Fn::Sub": "${Target.Arn}/${AWS::Region}/${Missing}"},
    {"Fn::Join": [1, 2]},
    {"Fn::Join": ["", {"Ref": "Param"}]},
    {"Fn::Join": ["", [{"Fn::If": ["C", "a", "b"]}, None, 3]]},
    {"Fn::If": "broken"},
    {"Fn::If": ["C", {"Ref": "Target"}, {"Ref": "AWS::NoValue"}]},
    {"Fn::Select": ["x", None]},
    {"Fn::Select": [99, [1]]},
    {"Fn::FindInMap": [1]},
    {"Fn::FindInMap": ["M", {"Ref": "Param"}, "k"]},
    {"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-x"}},
    {"Fn::Split": []},
    {"Fn::Base64": "x"},
    {"Fn::GetAZs": ""},
    {"Condition": "C"},
    {"Fn::Unknown": [1]},
    {"Ref": "Target", "extra": 1},
]


def _deep_chain(depth: int = 200) -> dict:
    value: Any = "leaf"
    for index in range(depth):
        value = {"Fn::If": ["C", value, "x"]} if index % 2 else {"Fn::Join": ["", [value]]}
    return value


JUNK.append(_deep_chain())


def _paths(value: Any, prefix: tuple = (), depth: int = 0) -> Iterator[tuple]:
    """Every path into ``value`` (dict keys and list indexes), to depth 5."""
    if depth > 5:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + (key,)
            yield from _paths(item, prefix + (key,), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield prefix + (index,)
            yield from _paths(item, prefix + (index,), depth + 1)


def _set(body: Any, path: tuple, value: Any) -> Any:
    body = copy.deepcopy(body)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def run_all_rules_raw(body: Any) -> None:
    """Run every rule directly (no safety net in the engine): any exception fails the test."""
    template = Template(body, name="junk", account="111122223333")
    for r in all_rules():
        for rtype in r.resource_types:
            for resource in template.of_type(rtype):
                result = r.check(resource)
                assert (
                    result is None
                    or isinstance(result, Verdict)
                    or (isinstance(result, list) and all(isinstance(v, Verdict) for v in result))
                ), (r.id, result)


def junk_variants(body: dict) -> Iterator[Any]:
    """Each junk value alone, then ``body`` with junk at every path (three values a path)."""
    yield from JUNK
    for index, path in enumerate(_paths(body)):
        # Every path gets three junk values, cycling through the list so all are used.
        for offset in range(3):
            yield _set(body, path, JUNK[(index * 3 + offset) % len(JUNK)])
    for logical_id in body.get("Resources", {}):
        for junk in JUNK:
            yield _set(body, ("Resources", logical_id, "Properties"), junk)


def one_case_per_rule(cases: dict[str, dict[str, list]]) -> list:
    """pytest params ``(rule_id, body)``: the first failing (else passing) case of each rule."""
    import pytest

    params = []
    for rule_id, by_verdict in cases.items():
        body = (by_verdict.get("fail") or by_verdict.get("pass"))[0]
        params.append(pytest.param(rule_id, body, id=rule_id))
    return params
