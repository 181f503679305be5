"""Execution role rules (nag/rules/iam.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
    PARAM,
    ROLE,
    ROLE_ARN,
    SAGEMAKER_TRUST,
    cases_params,
    covered_rules,
    findings,
    junk_variants,
    one_case_per_rule,
    resource,
    rules_of,
    run_all_rules_raw,
    template,
    verdict,
    with_props,
)

# ------------------------------------------------------------------------------------------
# Execution roles
# ------------------------------------------------------------------------------------------

MODEL = resource("AWS::SageMaker::Model", {"ExecutionRoleArn": {"Fn::GetAtt": ["Target", "Arn"]}})
UNCONDITIONED_TRUST = {
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["sagemaker.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ]
}
LAMBDA_TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}


def role_policy(*actions, effect="Allow", key="Action") -> dict:
    return resource(
        "AWS::IAM::Policy",
        {
            "PolicyName": "p",
            "Roles": [{"Ref": "Target"}],
            "PolicyDocument": {"Statement": [{"Effect": effect, key: list(actions), "Resource": "*"}]},
        },
    )


def managed(name: str) -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{name}"]]}


def inline(*actions) -> list:
    return [
        {
            "PolicyName": "inline",
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]},
        }
    ]


def vpc_bound(operator: str, key: str, values: list) -> dict:
    """A policy allowing sagemaker:* under one condition."""
    policy = role_policy("sagemaker:*")
    policy["Properties"]["PolicyDocument"]["Statement"][0]["Condition"] = {operator: {key: values}}
    return policy


CASES = {
    "ExecutionRoleTrustConditions": {
        "pass": [
            template(ROLE),
            template(with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST)),
            template(
                with_props(
                    ROLE,
                    AssumeRolePolicyDocument={
                        "Statement": [
                            {
                                **UNCONDITIONED_TRUST["Statement"][0],
                                "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:1:*"}},
                            }
                        ]
                    },
                )
            ),
        ],
        "fail": [
            template(with_props(ROLE, AssumeRolePolicyDocument=UNCONDITIONED_TRUST)),
            template(
                with_props(
                    ROLE,
                    AssumeRolePolicyDocument={
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": {"Fn::Join": ["", ["sagemaker.", {"Ref": "AWS::URLSuffix"}]]}},
                                "Condition": {"StringEquals": {"aws:PrincipalTag/x": "y"}},
                            }
                        ]
                    },
                )
            ),
        ],
        "unverifiable": [],
    },
    "ExecutionRoleNoWildcardActions": {
        "pass": [
            template(ROLE, Policy=role_policy("s3:GetObject*", "kms:Decrypt")),
            template(with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST), Policy=role_policy("*")),
            template(ROLE, Policy=role_policy("*", effect="Deny")),
            template(ROLE, Policy=vpc_bound("StringEquals", "sagemaker:VpcSubnets", ["subnet-1", "subnet-2"])),
            template(
                ROLE, Policy=vpc_bound("ForAnyValue:StringEquals", "sagemaker:VpcSecurityGroupIds", [{"Ref": "Param"}])
            ),
        ],
        "fail": [
            template(ROLE, Policy=role_policy("s3:*")),
            template(with_props(ROLE, Policies=inline("*"))),
            template(ROLE, Policy=role_policy("iam:PassRole", key="NotAction")),
            # true for every request without a VPC: DeleteEndpoint, UpdateModel...
            template(ROLE, Policy=vpc_bound("ForAllValues:StringEquals", "sagemaker:VpcSubnets", ["subnet-1"])),
            template(ROLE, Policy=vpc_bound("StringEqualsIfExists", "sagemaker:VpcSubnets", ["subnet-1"])),
            template(ROLE, Policy=vpc_bound("StringLike", "sagemaker:VpcSubnets", ["*"])),
            template(
                with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST, ManagedPolicyArns=[{"Ref": "Managed"}]),
                Model=MODEL,
                Managed=resource(
                    "AWS::IAM::ManagedPolicy",
                    {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}},
                ),
            ),
        ],
        "unverifiable": [template(ROLE, Policy=role_policy(PARAM))],
    },
    "ExecutionRoleNoFullAccessPolicies": {
        "pass": [
            template(
                with_props(
                    ROLE,
                    ManagedPolicyArns=[
                        managed("AmazonSageMakerReadOnly"),
                        "arn:aws:iam::111122223333:policy/MyFullAccess",
                    ],
                )
            ),
            template(
                with_props(
                    ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST, ManagedPolicyArns=[managed("AdministratorAccess")]
                )
            ),
        ],
        "fail": [
            template(with_props(ROLE, ManagedPolicyArns=[managed("AmazonSageMakerFullAccess")])),
            template(
                with_props(
                    ROLE,
                    ManagedPolicyArns=[{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}, PARAM],
                )
            ),
        ],
        "unverifiable": [template(with_props(ROLE, ManagedPolicyArns=[PARAM]))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("iam")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)


def test_a_role_passed_to_sagemaker_is_an_execution_role_whatever_it_trusts() -> None:
    body = template(
        with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST, ManagedPolicyArns=[managed("AmazonS3FullAccess")]),
        Model=MODEL,
    )
    assert verdict("ExecutionRoleNoFullAccessPolicies", body) == "fail"


def test_the_trust_rule_names_the_statement() -> None:

    body = template(
        with_props(
            ROLE, AssumeRolePolicyDocument={"Statement": [{**UNCONDITIONED_TRUST["Statement"][0], "Sid": "SageMaker"}]}
        )
    )
    assert "statement SageMaker" in findings("ExecutionRoleTrustConditions", body)[0].message


def test_sagemaker_trust_fixture_complies() -> None:
    assert SAGEMAKER_TRUST["Statement"][0]["Condition"]
    assert (
        verdict("ExecutionRoleTrustConditions", template(ROLE, Model=with_props(MODEL, ExecutionRoleArn=ROLE_ARN)))
        == "pass"
    )
