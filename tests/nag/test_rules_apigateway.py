"""API Gateway and AWS WAF rules (nag/rules/apigateway.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
    IMPORT,
    PARAM,
    cases_params,
    covered_rules,
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
# API Gateway in front of SageMaker, and AWS WAF
# ------------------------------------------------------------------------------------------

API = resource("AWS::ApiGateway::RestApi", {"Name": "inference"})
SM_URI = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":apigateway:",
            {"Ref": "AWS::Region"},
            ":runtime.sagemaker:path/endpoints/e/invocations",
        ],
    ]
}
METHOD = resource(
    "AWS::ApiGateway::Method",
    {
        "RestApiId": {"Ref": "Api"},
        "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
        "HttpMethod": "POST",
        "AuthorizationType": "AWS_IAM",
        "Integration": {"Type": "AWS", "IntegrationHttpMethod": "POST", "Uri": SM_URI},
    },
)
STAGE = resource(
    "AWS::ApiGateway::Stage",
    {
        "RestApiId": {"Ref": "Api"},
        "StageName": "prod",
        "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiLogs", "Arn"]}, "Format": "$context.requestId"},
        "MethodSettings": [
            {"HttpMethod": "*", "ResourcePath": "/*", "ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20}
        ],
    },
)
RATE_RULE = {
    "Name": "rate",
    "Priority": 1,
    "Action": {"Block": {}},
    "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}},
    "VisibilityConfig": {},
}
ACL = resource("AWS::WAFv2::WebACL", {"Scope": "REGIONAL", "DefaultAction": {"Allow": {}}, "Rules": [RATE_RULE]})
STAGE_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":apigateway:",
            {"Ref": "AWS::Region"},
            "::/restapis/",
            {"Ref": "Api"},
            "/stages/",
            {"Ref": "Target"},
        ],
    ]
}
ASSOCIATION = resource(
    "AWS::WAFv2::WebACLAssociation", {"ResourceArn": STAGE_ARN, "WebACLArn": {"Fn::GetAtt": ["Acl", "Arn"]}}
)
WAF_LOGGING = resource(
    "AWS::WAFv2::LoggingConfiguration",
    {
        "ResourceArn": {"Fn::GetAtt": ["Target", "Arn"]},
        "LogDestinationConfigs": [{"Fn::GetAtt": ["WafLogs", "Arn"]}],
        "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}],
    },
)


def api(target: dict, **others) -> dict:
    """A template with an API in front of SageMaker (a method integrating with the runtime)."""
    resources = {"Api": API, "Method": METHOD, "Stage": STAGE, "Acl": ACL, "Assoc": ASSOCIATION}
    resources.update(others)
    return template(target, **{k: v for k, v in resources.items() if k not in others or others[k] is not None})


def stage(**changes) -> dict:
    return api(with_props(STAGE, **changes), Stage=None)


def acl(**changes) -> dict:
    return api(STAGE, Acl=with_props(ACL, **changes), Stage=None)


CASES = {
    "ApiMethodAuthorization": {
        "pass": [
            api(METHOD, Method=None),
            api(with_props(METHOD, HttpMethod="OPTIONS", AuthorizationType="NONE"), Method=None),
            template(with_props(METHOD, AuthorizationType="NONE", Integration={"Type": "MOCK"}), Api=API),
        ],
        "fail": [
            api(with_props(METHOD, AuthorizationType="NONE"), Method=None),
            template(
                with_props(METHOD, AuthorizationType=None, Integration={"Type": "MOCK"}),
                Api=API,
                Endpoint=resource("AWS::SageMaker::Endpoint", {}),
            ),
        ],
        "unverifiable": [api(with_props(METHOD, AuthorizationType=PARAM), Method=None)],
    },
    "ApiStageWafAssociation": {
        "pass": [
            stage(),
            api(
                STAGE,
                Stage=None,
                Assoc=with_props(
                    ASSOCIATION,
                    ResourceArn={
                        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/prod"
                    },
                ),
            ),
            template(STAGE, Api=API),
        ],
        "fail": [
            api(STAGE, Stage=None, Assoc=None),
            api(
                STAGE,
                Stage=None,
                Other=with_props(STAGE, StageName="dev"),
                Assoc=with_props(
                    ASSOCIATION,
                    ResourceArn={
                        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${Other}"
                    },
                ),
            ),
        ],
        "unverifiable": [api(STAGE, Stage=None, Assoc=with_props(ASSOCIATION, ResourceArn=PARAM))],
    },
    "ApiWafRateBasedRule": {
        "pass": [
            acl(),
            acl(
                Rules=[
                    {
                        **RATE_RULE,
                        "Statement": {"RuleGroupReferenceStatement": {"Arn": {"Fn::GetAtt": ["Group", "Arn"]}}},
                        "Action": None,
                        "OverrideAction": {"None": {}},
                    }
                ]
            )
            | {
                "Resources": {
                    **acl()["Resources"],
                    "Acl": with_props(
                        ACL,
                        Rules=[
                            {
                                "Name": "g",
                                "Statement": {"RuleGroupReferenceStatement": {"Arn": {"Fn::GetAtt": ["Group", "Arn"]}}},
                            }
                        ],
                    ),
                    "Group": resource("AWS::WAFv2::RuleGroup", {"Rules": [{**RATE_RULE, "Action": {"Block": {}}}]}),
                }
            },
            api(STAGE, Stage=None, Assoc=None),
        ],
        "fail": [acl(Rules=[{**RATE_RULE, "Action": {"Count": {}}}]), acl(Rules=[])],
        "unverifiable": [api(STAGE, Stage=None, Assoc=with_props(ASSOCIATION, WebACLArn=IMPORT))],
    },
    "ApiStageAccessLogs": {
        "pass": [stage(), stage(AccessLogSetting={"DestinationArn": PARAM})],
        "fail": [stage(AccessLogSetting=None)],
        "unverifiable": [],
    },
    "ApiStageThrottling": {
        "pass": [stage()],
        "fail": [
            stage(MethodSettings=None),
            stage(MethodSettings=[{"HttpMethod": "*", "ResourcePath": "/*", "ThrottlingRateLimit": 10}]),
        ],
        "unverifiable": [stage(MethodSettings=PARAM)],
    },
    "WafLogging": {
        "pass": [template(ACL, Logging=WAF_LOGGING)],
        "fail": [
            template(ACL),
            template(ACL, Other=ACL, Logging=with_props(WAF_LOGGING, ResourceArn={"Fn::GetAtt": ["Other", "Arn"]})),
        ],
        "unverifiable": [template(ACL, Logging=with_props(WAF_LOGGING, ResourceArn=PARAM))],
    },
    "WafLogRedaction": {
        "pass": [template(ACL, Logging=WAF_LOGGING), template(ACL)],
        "fail": [template(ACL, Logging=with_props(WAF_LOGGING, RedactedFields=None))],
        "unverifiable": [],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("apigateway")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)


# ------------------------------------------------------------------------------------------
# Stages and methods of APIs the template does not declare
# ------------------------------------------------------------------------------------------

IMPORTED_API = {"Fn::ImportValue": "shared-inference-api"}
SM_ENDPOINT = resource("AWS::SageMaker::Endpoint", {"EndpointConfigName": "cfg"})


def test_a_method_of_an_imported_api_is_checked_when_it_integrates_with_sagemaker() -> None:
    open_method = with_props(METHOD, RestApiId=IMPORTED_API, ResourceId="abc123", AuthorizationType="NONE")
    assert verdict("ApiMethodAuthorization", template(open_method)) == "fail"
    # a mock integration in a template without SageMaker is not in front of SageMaker
    assert verdict("ApiMethodAuthorization", template(with_props(open_method, Integration={"Type": "MOCK"}))) == "pass"


def test_a_stage_of_an_imported_api_is_checked_when_the_template_has_sagemaker_resources() -> None:
    bare = with_props(STAGE, RestApiId=IMPORTED_API, AccessLogSetting=None, MethodSettings=None)
    body = template(bare, Endpoint=SM_ENDPOINT)
    for rule_id in ("ApiStageWafAssociation", "ApiStageAccessLogs", "ApiStageThrottling"):
        assert verdict(rule_id, body) == "fail", rule_id
    assert verdict("ApiStageWafAssociation", template(bare)) == "pass"  # nothing says this API serves SageMaker


def test_a_stage_of_an_api_parameter_is_checked_when_a_method_on_it_integrates_with_sagemaker() -> None:
    stage_ = with_props(STAGE, RestApiId=PARAM, AccessLogSetting=None)
    method = with_props(METHOD, RestApiId=PARAM, ResourceId="abc123")
    assert verdict("ApiStageAccessLogs", template(stage_, Method=method)) == "fail"
    other = with_props(METHOD, RestApiId={"Fn::ImportValue": "another-api"}, ResourceId="abc123")
    assert verdict("ApiStageAccessLogs", template(stage_, Method=other)) == "pass"


def test_a_waf_association_with_the_stage_of_an_imported_api_counts() -> None:
    stage_ = with_props(STAGE, RestApiId=IMPORTED_API)
    association = with_props(
        ASSOCIATION,
        ResourceArn={"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/x/stages/${Target}"},
    )
    body = template(stage_, Endpoint=SM_ENDPOINT, Acl=ACL, Assoc=association)
    assert verdict("ApiStageWafAssociation", body) == "pass"


def test_a_method_integrating_with_an_endpoint_of_another_stack_puts_its_api_in_scope() -> None:
    """The endpoint name in the URI is imported; the literal ':runtime.sagemaker:' part still says what it is."""
    uri = {"Fn::Join": ["", [*SM_URI["Fn::Join"][1][:-1], ":runtime.sagemaker:path/endpoints/", IMPORTED_API]]}
    method = with_props(METHOD, Integration={"Type": "AWS", "IntegrationHttpMethod": "POST", "Uri": uri})
    unlogged = with_props(STAGE, AccessLogSetting=None)
    assert verdict("ApiStageAccessLogs", template(unlogged, Api=API, Method=method)) == "fail"
    other = with_props(METHOD, Integration={"Type": "AWS", "IntegrationHttpMethod": "POST", "Uri": IMPORTED_API})
    assert verdict("ApiStageAccessLogs", template(unlogged, Api=API, Method=other)) == "pass"
