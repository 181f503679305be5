"""ProtectedInferenceApi: API Gateway and AWS WAF in front of a SageMaker endpoint.

One module-scoped synth holds three APIs in front of one endpoint, with the four stock cdk-nag
packs registered: ``Api`` (every default: IAM, regional, 16 KB bodies), ``Internal`` (private,
behind the network's execute-api endpoint, allow list, anonymous-IP list, API keys with a quota,
the CloudWatch role, the lowest WAF rate limit) and ``Public`` (Cognito with scopes, a custom
domain, geo match, 1 MiB bodies enforced on Content-Length, the highest WAF rate limit). A
``Control`` stack holds bare API Gateway and WAF resources that the stock rules must report.
Bad input fails at construct time and needs no synth.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2

from secure_sagemaker._validation import PropError
from secure_sagemaker.acknowledgments import STOCK_PACKS
from secure_sagemaker.edge import (
    ACCESS_LOG_FIELDS,
    MAX_PAYLOAD_BYTES,
    ProtectedInferenceApi,
    content_length_above,
)
from secure_sagemaker.edge.firewall import Firewall, build_firewall
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.inference import SecureEndpoint, SecureModel
from secure_sagemaker.network import PrivateNetwork
from tests.helpers import (
    CfnLint,
    get_att,
    logical_id,
    new_app,
    new_stack,
    props,
    ref,
    resources,
    synth_with_stock_packs,
)

ACCOUNT = {"Ref": "AWS::AccountId"}
REGION = {"Ref": "AWS::Region"}
PARTITION = {"Ref": "AWS::Partition"}
COMPLIANCE_PACKS = STOCK_PACKS[1:]
CERT_ARN = "arn:aws:acm:eu-west-1:111111111111:certificate/11111111-2222-3333-4444-555555555555"
APIS = ("Api", "Internal", "Public")


def _base(stack: cdk.Stack) -> dict[str, Any]:
    """Keys, network (with an execute-api endpoint), alert topic, model and endpoint."""
    keys = KeyRing(stack, "Keys")
    alerts_key = keys.add_key("alerts", description="alert topic", via_services=["sns"])
    keys.allow_service(
        "alerts",
        "cloudwatch.amazonaws.com",
        ["kms:Decrypt", "kms:GenerateDataKey*"],
        {"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
        sid="CloudWatchAlarms",
    )
    network = PrivateNetwork(
        stack, "Network", logs_key=keys.logs_key, interface_endpoints=[ec2.InterfaceVpcEndpointAwsService.APIGATEWAY]
    )
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    repo = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    model = SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    topic = sns.Topic(stack, "Alerts", master_key=alerts_key, enforce_ssl=True)
    endpoint = SecureEndpoint(stack, "Endpoint", model=model, encryption_key=keys.models_key, alarm_topic=topic)
    return {"keys": keys, "network": network, "topic": topic, "endpoint": endpoint, "stack": stack}


def _control(app: cdk.App) -> None:
    """Bare resources each stock API Gateway/WAF rule must report: proof that the rules run."""
    control = cdk.Stack(app, "Control")
    api = apigateway.CfnRestApi(control, "Api", name="bare")
    method = apigateway.CfnMethod(
        control,
        "Method",
        rest_api_id=api.ref,
        resource_id=api.attr_root_resource_id,
        http_method="POST",
        authorization_type="NONE",
        integration=apigateway.CfnMethod.IntegrationProperty(type="MOCK"),
    )
    deployment = apigateway.CfnDeployment(control, "Deployment", rest_api_id=api.ref)
    deployment.node.add_dependency(method)
    apigateway.CfnStage(control, "Stage", rest_api_id=api.ref, deployment_id=deployment.ref, stage_name="bare")
    wafv2.CfnWebACL(
        control,
        "Acl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name="bare", sampled_requests_enabled=True
        ),
    )


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("edge")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    b = _base(stack)
    common = {"endpoint": b["endpoint"], "logs_key": b["keys"].logs_key, "alarm_topic": b["topic"]}
    pool = cognito.UserPool(
        stack,
        "Pool",
        mfa=cognito.Mfa.REQUIRED,
        mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
        feature_plan=cognito.FeaturePlan.PLUS,
        password_policy=cognito.PasswordPolicy(
            min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
        ),
    )
    apis = {
        "Api": ProtectedInferenceApi(stack, "Api", **common),
        "Internal": ProtectedInferenceApi(
            stack,
            "Internal",
            **common,
            internal_only=True,
            vpc_endpoint=b["network"].interface_endpoints["execute-api"],
            allowed_ip_ranges=["10.40.0.0/16", "fd00:10::/48"],
            anonymous_ip_list=True,
            api_key_required=True,
            quota_per_day=5000,
            cloud_watch_role=True,
            waf_rate_limit=10,
            waf_rate_window=cdk.Duration.minutes(1),
            stage_name="internal",
            throttling_rate_limit=5,
            throttling_burst_limit=5,
        ),
        "Public": ProtectedInferenceApi(
            stack,
            "Public",
            **common,
            cognito_user_pools=[pool],
            authorization_scopes=["inference/invoke"],
            domain_name="inference.example.com",
            certificate=acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN),
            allowed_countries=["DE", "FR"],
            max_body_bytes=1024 * 1024,
            waf_rate_limit=2_000_000_000,
            log_retention=logs.RetentionDays.THREE_MONTHS,
            latency_threshold=cdk.Duration.millis(1500),
            blocked_requests_threshold=10,
            client_error_threshold=20,
            server_error_threshold=3,
        ),
    }
    _control(app)
    ids = {
        "endpoint": logical_id(b["endpoint"].endpoint),
        "topic": logical_id(b["topic"]),
        "logs_key": logical_id(b["keys"].logs_key),
        "vpce": logical_id(b["network"].interface_endpoints["execute-api"]),
        "pool": logical_id(pool),
        "authorizer": logical_id(apis["Public"].node.find_child("Authorizer")),
        "domain": logical_id(apis["Public"].domain.node.default_child),
    }
    for name, api in apis.items():
        ids[name] = {
            "api": logical_id(api.api),
            "stage": logical_id(api.stage),
            "method": logical_id(api.method),
            "acl": logical_id(api.web_acl),
            "association": logical_id(api.web_acl_association),
            "access_logs": logical_id(api.access_log_group),
            "execution_logs": logical_id(api.execution_log_group),
            "waf_logs": logical_id(api.waf_log_group),
            "waf_logging": logical_id(api.waf_logging),
            "role": logical_id(api.integration_role),
            "policy": logical_id(api.integration_policy),
            "validator": logical_id(api.request_validator),
            "model": logical_id(api.request_model),
            "usage_plan": logical_id(api.usage_plan),
            "alarms": {k: logical_id(a) for k, a in api.alarms.items()},
            "ip_sets": {c.node.id: logical_id(c) for c in api.node.children if isinstance(c, wafv2.CfnIPSet)},
            "invoke_url": stack.resolve(api.invoke_url),
        }
    error = synth_with_stock_packs(app)
    path = Path(outdir) / "Test.template.json"
    return {
        "template": json.loads(path.read_text()),
        "path": path,
        "error": error,
        "ids": ids,
        "apis": apis,
        "cfn_lint": CfnLint(path),
        "report": json.loads((Path(outdir) / "validation-report.json").read_text()),
    }


def rules_of(template: dict, ids: dict, api: str) -> dict[str, dict]:
    return {r["Name"]: r for r in props(template, ids[api]["acl"])["Rules"]}


# --- AWS WAF -----------------------------------------------------------------------------------------


def test_web_acl_is_associated_with_exactly_this_stage(template: dict, ids: dict) -> None:
    associations = resources(template, "AWS::WAFv2::WebACLAssociation")
    assert len(associations) == len(APIS)
    for api in APIS:
        association = props(template, ids[api]["association"])
        assert association == {
            "ResourceArn": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        PARTITION,
                        ":apigateway:",
                        REGION,
                        "::/restapis/",
                        ref(ids[api]["api"]),
                        "/stages/",
                        ref(ids[api]["stage"]),
                    ],
                ]
            },
            "WebACLArn": get_att(ids[api]["acl"], "Arn"),
        }
        # No other association names this web ACL or this stage.
        others = [v["Properties"] for k, v in associations.items() if k != ids[api]["association"]]
        assert all(o["WebACLArn"] != association["WebACLArn"] for o in others)
        assert all(ref(ids[api]["stage"]) not in o["ResourceArn"]["Fn::Join"][1] for o in others)
        acl = props(template, ids[api]["acl"])
        assert (acl["Scope"], acl["DefaultAction"]) == ("REGIONAL", {"Allow": {}})


@pytest.mark.parametrize("api", APIS)
def test_web_acl_rule_list_and_priorities(template: dict, ids: dict, api: str, snapshot) -> None:
    rules = props(template, ids[api]["acl"])["Rules"]
    # One snapshot per variant (__snapshots__/test_edge.ambr): rule names in priority order.
    assert [f"{r['Priority']}: {r['Name']}" for r in rules] == snapshot
    for rule in rules:
        assert rule["VisibilityConfig"] == {
            "CloudWatchMetricsEnabled": True,
            "MetricName": rule["Name"],
            "SampledRequestsEnabled": True,
        }
        managed = rule["Statement"].get("ManagedRuleGroupStatement")
        if managed is not None:
            # Managed groups keep their own actions (OverrideAction None, never Count) ...
            assert (managed["VendorName"], managed["Name"], rule["OverrideAction"]) == (
                "AWS",
                rule["Name"],
                {"None": {}},
            )
            assert "Action" not in rule
        else:
            # ... and every rule of our own blocks.
            assert rule["Action"] == {"Block": {}} and "OverrideAction" not in rule
    common = rules_of(template, ids, api)["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    # Only the Common set's fixed 8 KB body rule counts: BodySizeLimit enforces the configured size.
    assert common["RuleActionOverrides"] == [{"ActionToUse": {"Count": {}}, "Name": "SizeRestrictions_BODY"}]
    assert all(
        "RuleActionOverrides" not in r["Statement"].get("ManagedRuleGroupStatement", {})
        for r in rules
        if r["Name"] != "AWSManagedRulesCommonRuleSet"
    )


@pytest.mark.parametrize(
    "api, limit, window", [("Api", 1000, 300), ("Internal", 10, 60), ("Public", 2_000_000_000, 300)]
)
def test_rate_based_rule_per_client_ip(template: dict, ids: dict, api: str, limit: int, window: int) -> None:
    statement = rules_of(template, ids, api)["RateLimitPerIp"]["Statement"]
    assert statement == {
        "RateBasedStatement": {"AggregateKeyType": "IP", "EvaluationWindowSec": window, "Limit": limit}
    }


def test_allow_list_and_geo_match(template: dict, ids: dict) -> None:
    sets = ids["Internal"]["ip_sets"]
    assert set(sets) == {"AllowedIpv4", "AllowedIpv6"}
    v4, v6 = props(template, sets["AllowedIpv4"]), props(template, sets["AllowedIpv6"])
    assert (v4["Addresses"], v4["IPAddressVersion"], v4["Scope"]) == (["10.40.0.0/16"], "IPV4", "REGIONAL")
    assert (v6["Addresses"], v6["IPAddressVersion"], v6["Scope"]) == (["fd00:10::/48"], "IPV6", "REGIONAL")
    assert rules_of(template, ids, "Internal")["AllowedIpRanges"]["Statement"] == {
        "NotStatement": {
            "Statement": {
                "OrStatement": {
                    "Statements": [
                        {"IPSetReferenceStatement": {"Arn": get_att(sets["AllowedIpv4"], "Arn")}},
                        {"IPSetReferenceStatement": {"Arn": get_att(sets["AllowedIpv6"], "Arn")}},
                    ]
                }
            }
        }
    }
    assert rules_of(template, ids, "Public")["AllowedCountries"]["Statement"] == {
        "NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": ["DE", "FR"]}}}
    }
    assert ids["Api"]["ip_sets"] == {} and ids["Public"]["ip_sets"] == {}
    assert len(resources(template, "AWS::WAFv2::IPSet")) == 2


# A tiny interpreter of the two body-size statement shapes the construct declares, so that the
# tests say what happens to a request rather than only what the JSON looks like.
def waf_matches(statement: dict, *, body: int, inspection_limit: int, headers: dict[str, str]) -> bool:
    if "SizeConstraintStatement" in statement:
        s = statement["SizeConstraintStatement"]
        assert s["ComparisonOperator"] == "GT" and set(s["FieldToMatch"]) == {"Body"}
        if body > inspection_limit:
            return {"MATCH": True, "NO_MATCH": False}[s["FieldToMatch"]["Body"]["OversizeHandling"]]
        return body > s["Size"]
    if "OrStatement" in statement:
        return any(
            waf_matches(x, body=body, inspection_limit=inspection_limit, headers=headers)
            for x in statement["OrStatement"]["Statements"]
        )
    if "NotStatement" in statement:
        return not waf_matches(
            statement["NotStatement"]["Statement"], body=body, inspection_limit=inspection_limit, headers=headers
        )
    if "RegexMatchStatement" in statement:
        s = statement["RegexMatchStatement"]
        value = headers.get(s["FieldToMatch"]["SingleHeader"]["Name"])
        return value is not None and re.search(s["RegexString"], value) is not None
    raise AssertionError(f"unexpected statement {statement}")


INSPECTION = {"KB_16": 16 * 1024, "KB_32": 32 * 1024, "KB_48": 48 * 1024, "KB_64": 64 * 1024}


@pytest.mark.parametrize(
    "api, limit, setting",
    [("Api", 16 * 1024, "KB_16"), ("Internal", 16 * 1024, "KB_16"), ("Public", 1024 * 1024, "KB_64")],
)
def test_a_body_over_the_limit_is_blocked_by_waf(template: dict, ids: dict, api: str, limit: int, setting: str) -> None:
    acl = props(template, ids[api]["acl"])
    assert acl["AssociationConfig"] == {"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": setting}}}
    rule = rules_of(template, ids, api)["BodySizeLimit"]
    assert rule["Action"] == {"Block": {}}
    inspected = INSPECTION[setting]

    def blocked(size: int, headers: dict[str, str] | None = None) -> bool:
        return waf_matches(
            rule["Statement"],
            body=size,
            inspection_limit=inspected,
            headers={"content-length": str(size)} if headers is None else headers,
        )

    assert not blocked(0) and not blocked(limit) and not blocked(limit // 2)
    assert blocked(limit + 1) and blocked(10 * limit) and blocked(MAX_PAYLOAD_BYTES + 1)
    if limit > inspected:
        # Above WAF's 64 KB inspection limit the rule reads Content-Length: a request that does
        # not declare a numeric length (chunked upload) is blocked as well.
        assert blocked(10, headers={}) and blocked(10, headers={"content-length": "ten"})
        assert not blocked(10, headers={"content-length": "0010"})
    else:
        assert rule["Statement"]["SizeConstraintStatement"]["Size"] == limit


def test_content_length_regex_matches_exactly_the_numbers_above_the_limit() -> None:
    for limit in (0, 9, 10, 99, 65_536, 1_048_576, 10_485_760, 2_000_000_000):
        pattern = re.compile(content_length_above(limit))
        samples = {
            0,
            1,
            limit - 1,
            limit,
            limit + 1,
            limit * 10,
            limit + 10**5,
            *range(0, 120),
            *range(max(limit - 50, 0), limit + 50),
        }
        for n in samples:
            if n >= 0:
                assert bool(pattern.search(str(n))) == (n > limit), (limit, n)
                assert bool(pattern.search("00" + str(n))) == (n > limit), (limit, n)
        assert len(pattern.pattern) <= 512  # AWS WAF's limit on a regex
    with pytest.raises(ValueError):
        content_length_above(-1)


@pytest.mark.parametrize("api", APIS)
def test_waf_logs_to_an_encrypted_group_with_credentials_redacted(template: dict, ids: dict, api: str) -> None:
    configs = [
        c
        for c in resources(template, "AWS::WAFv2::LoggingConfiguration").values()
        if c["Properties"]["ResourceArn"] == get_att(ids[api]["acl"], "Arn")
    ]
    assert len(configs) == 1
    logging = configs[0]["Properties"]
    assert logging == props(template, ids[api]["waf_logging"])
    assert logging["LogDestinationConfigs"] == [
        {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    PARTITION,
                    ":logs:",
                    REGION,
                    ":",
                    ACCOUNT,
                    ":log-group:",
                    ref(ids[api]["waf_logs"]),
                ],
            ]
        }
    ]
    assert logging["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "x-amz-security-token"}},
        {"SingleHeader": {"Name": "x-api-key"}},
    ]
    group = template["Resources"][ids[api]["waf_logs"]]
    # Named after the ACL and ended by its id, so a group retained by a deleted stack never
    # blocks a redeploy of that stack.
    assert group["Properties"]["LogGroupName"] == {
        "Fn::Join": [
            "",
            [
                f"aws-waf-logs-{props(template, ids[api]['acl'])['Name']}-",
                {"Fn::Select": [0, {"Fn::Split": ["-", get_att(ids[api]["acl"], "Id")]}]},
            ],
        ]
    }
    assert group["Properties"]["KmsKeyId"] == get_att(ids["logs_key"], "Arn")
    assert group["Properties"]["RetentionInDays"] == (90 if api == "Public" else 365)
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


# --- integration and authorization ------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_integration_role_may_only_invoke_the_one_endpoint(template: dict, ids: dict, api: str) -> None:
    role_id = ids[api]["role"]
    role = props(template, role_id)
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}}
    ]
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    attached = {
        k: v["Properties"]
        for k, v in resources(template, "AWS::IAM::ManagedPolicy").items()
        if ref(role_id) in v["Properties"].get("Roles", [])
    }
    inline = [
        k
        for k, v in resources(template, "AWS::IAM::Policy").items()
        if ref(role_id) in v["Properties"].get("Roles", [])
    ]
    assert list(attached) == [ids[api]["policy"]] and inline == []
    assert attached[ids[api]["policy"]]["PolicyDocument"]["Statement"] == [
        {
            "Action": "sagemaker:InvokeEndpoint",
            "Effect": "Allow",
            "Resource": get_att(ids["endpoint"], "EndpointArn"),
            "Sid": "InvokeThisEndpointOnly",
        }
    ]


@pytest.mark.parametrize("api", APIS)
def test_direct_sagemaker_runtime_integration(template: dict, ids: dict, api: str) -> None:
    integration = props(template, ids[api]["method"])["Integration"]
    assert integration["Type"] == "AWS" and integration["IntegrationHttpMethod"] == "POST"
    assert integration["Uri"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                PARTITION,
                ":apigateway:",
                REGION,
                ":runtime.sagemaker:path/endpoints/",
                get_att(ids["endpoint"], "EndpointName"),
                "/invocations",
            ],
        ]
    }
    assert integration["Credentials"] == get_att(ids[api]["role"], "Arn")
    # Only JSON reaches the model, as is.
    assert integration["PassthroughBehavior"] == "NEVER"
    assert integration["RequestTemplates"] == {"application/json": "$input.body"}


def test_every_method_requires_authorization(template: dict, ids: dict) -> None:
    methods = resources(template, "AWS::ApiGateway::Method")
    assert {k: m["Properties"]["AuthorizationType"] for k, m in methods.items()} == {
        ids["Api"]["method"]: "AWS_IAM",
        ids["Internal"]["method"]: "AWS_IAM",
        ids["Public"]["method"]: "COGNITO_USER_POOLS",
    }
    assert not [m for m in methods.values() if m["Properties"]["AuthorizationType"] == "NONE"]
    public = props(template, ids["Public"]["method"])
    assert public["AuthorizerId"] == ref(ids["authorizer"]) and public["AuthorizationScopes"] == ["inference/invoke"]
    authorizer = props(template, ids["authorizer"])
    assert (authorizer["Type"], authorizer["ProviderARNs"]) == ("COGNITO_USER_POOLS", [get_att(ids["pool"], "Arn")])
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"


def test_a_request_without_signature_and_an_oversized_body_are_rejected(template: dict, ids: dict) -> None:
    """What the default API declares for the two requests it must refuse before the model sees them."""
    api = ids["Api"]
    methods = {
        k: m["Properties"]
        for k, m in resources(template, "AWS::ApiGateway::Method").items()
        if m["Properties"]["RestApiId"] == ref(api["api"])
    }
    # Unsigned: the only method requires SigV4 (no NONE, no OPTIONS/ANY mock), and nothing in the
    # API's (absent) resource policy opens it: API Gateway answers 403 before the integration.
    assert list(methods) == [api["method"]]
    assert methods[api["method"]]["AuthorizationType"] == "AWS_IAM" and methods[api["method"]]["HttpMethod"] == "POST"
    assert "Policy" not in props(template, api["api"])
    # Oversized: WAF blocks a body above 16 KB (oversize handling MATCH, so also beyond what it
    # inspects); a validator cannot measure size, but it rejects any body that fails the schema.
    body_rule = rules_of(template, ids, "Api")["BodySizeLimit"]
    assert body_rule["Action"] == {"Block": {}}
    assert body_rule["Statement"]["SizeConstraintStatement"] == {
        "ComparisonOperator": "GT",
        "FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
        "Size": 16384,
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
    }
    assert methods[api["method"]]["RequestValidatorId"] == ref(api["validator"])


@pytest.mark.parametrize("api", APIS)
def test_requests_are_validated_against_a_body_model(template: dict, ids: dict, api: str) -> None:
    validator = props(template, ids[api]["validator"])
    assert validator["ValidateRequestBody"] is True and validator["ValidateRequestParameters"] is True
    assert validator["RestApiId"] == ref(ids[api]["api"])
    method = props(template, ids[api]["method"])
    assert method["RequestValidatorId"] == ref(ids[api]["validator"])
    assert method["RequestModels"] == {"application/json": ref(ids[api]["model"])}
    assert method["RequestParameters"] == {"method.request.header.Content-Type": True}
    model = props(template, ids[api]["model"])
    assert (model["ContentType"], model["Schema"]) == (
        "application/json",
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": "InvocationRequest",
            "type": "object",
            "minProperties": 1,
        },
    )


@pytest.mark.parametrize("api", APIS)
def test_errors_leak_no_internal_detail(template: dict, ids: dict, api: str) -> None:
    method = props(template, ids[api]["method"])
    responses = {r["StatusCode"]: r for r in method["Integration"]["IntegrationResponses"]}
    assert set(responses) == {"200", "400", "502"}
    assert "SelectionPattern" not in responses["200"] and "ResponseTemplates" not in responses["200"]
    assert (responses["400"]["SelectionPattern"], responses["502"]["SelectionPattern"]) == (r"4\d{2}", r"5\d{2}")
    gateway = {
        g["Properties"]["ResponseType"]: g["Properties"]
        for g in resources(template, "AWS::ApiGateway::GatewayResponse").values()
        if g["Properties"]["RestApiId"] == ref(ids[api]["api"])
    }
    assert set(gateway) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    bodies = [responses[c]["ResponseTemplates"]["application/json"] for c in ("400", "502")]
    bodies += [g["ResponseTemplates"]["application/json"] for g in gateway.values()]
    for body in bodies:
        variables = set(re.findall(r"\$[\w.]+", body))
        # Nothing from the backend ($input), no default error message (which names ARNs).
        assert variables <= {"$context.requestId", "$context.error.responseType"}, body
        assert isinstance(
            json.loads(body.replace("$context.requestId", "id").replace("$context.error.responseType", "T")), dict
        )
    assert {m["StatusCode"] for m in method["MethodResponses"]} == {"200", "400", "502"}


# --- stage, logs, throttling ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "api, stage_name, rate, burst, retention",
    [
        ("Api", "prod", 50, 100, 365),
        ("Internal", "internal", 5, 5, 365),
        ("Public", "prod", 50, 100, 90),
    ],
)
def test_stage_logs_traces_and_throttles(
    template: dict, ids: dict, api: str, stage_name: str, rate: int, burst: int, retention: int
) -> None:
    stage = template["Resources"][ids[api]["stage"]]
    p = stage["Properties"]
    assert p["StageName"] == stage_name and p["TracingEnabled"] is True
    assert p["AccessLogSetting"]["DestinationArn"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                PARTITION,
                ":logs:",
                REGION,
                ":",
                ACCOUNT,
                ":log-group:",
                ref(ids[api]["access_logs"]),
            ],
        ]
    }
    assert json.loads(p["AccessLogSetting"]["Format"]) == dict(ACCESS_LOG_FIELDS)
    assert p["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "LoggingLevel": "ERROR",
            "MetricsEnabled": True,
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": burst,
            "ThrottlingRateLimit": rate,
        }
    ]
    assert "CacheClusterEnabled" not in p and "ClientCertificateId" not in p
    assert ids[api]["execution_logs"] in stage["DependsOn"]
    for group_id in (ids[api]["access_logs"], ids[api]["execution_logs"]):
        group = template["Resources"][group_id]
        assert group["Properties"]["KmsKeyId"] == get_att(ids["logs_key"], "Arn")
        assert group["Properties"]["RetentionInDays"] == retention
        assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert props(template, ids[api]["execution_logs"])["LogGroupName"] == {
        "Fn::Join": ["", ["API-Gateway-Execution-Logs_", ref(ids[api]["api"]), f"/{stage_name}"]]
    }


def test_usage_plans_and_api_keys(template: dict, ids: dict) -> None:
    for api, rate, burst in (("Api", 50, 100), ("Internal", 5, 5), ("Public", 50, 100)):
        plan = props(template, ids[api]["usage_plan"])
        assert plan["Throttle"] == {"BurstLimit": burst, "RateLimit": rate}
        assert [(s["ApiId"], s["Stage"]) for s in plan["ApiStages"]] == [(ref(ids[api]["api"]), ref(ids[api]["stage"]))]
        assert plan.get("Quota") == ({"Limit": 5000, "Period": "DAY"} if api == "Internal" else None)
        assert props(template, ids[api]["method"]).get("ApiKeyRequired", False) is (api == "Internal")


def test_internal_api_admits_only_its_vpc_endpoint(template: dict, ids: dict) -> None:
    api = props(template, ids["Internal"]["api"])
    assert api["EndpointConfiguration"] == {"Types": ["PRIVATE"], "VpcEndpointIds": [ref(ids["vpce"])]}
    assert api["Policy"]["Statement"] == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Resource": "execute-api:/*",
            "Condition": {"StringEquals": {"aws:SourceVpce": ref(ids["vpce"]), "aws:PrincipalAccount": ACCOUNT}},
            "Sid": "InvokeThroughTheVpcEndpoint",
        },
        {
            "Action": "execute-api:Invoke",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": "execute-api:/*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": ref(ids["vpce"])}},
            "Sid": "DenyOutsideTheVpcEndpoint",
        },
    ]
    for other in ("Api", "Public"):
        assert props(template, ids[other]["api"])["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
        assert "Policy" not in props(template, ids[other]["api"])


def test_custom_domain_uses_tls_1_2_and_replaces_the_default_endpoint(template: dict, ids: dict) -> None:
    domain = props(template, ids["domain"])
    assert domain == {
        "DomainName": "inference.example.com",
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
        "RegionalCertificateArn": CERT_ARN,
        "SecurityPolicy": "TLS_1_2",
    }
    (mapping,) = resources(template, "AWS::ApiGateway::BasePathMapping").values()
    assert mapping["Properties"] == {
        "DomainName": ref(ids["domain"]),
        "RestApiId": ref(ids["Public"]["api"]),
        "Stage": ref(ids["Public"]["stage"]),
    }
    assert props(template, ids["Public"]["api"])["DisableExecuteApiEndpoint"] is True
    assert "DisableExecuteApiEndpoint" not in props(template, ids["Api"]["api"])
    assert len(resources(template, "AWS::ApiGateway::DomainName")) == 1


def test_invoke_urls(ids: dict) -> None:
    assert ids["Public"]["invoke_url"] == {"Fn::Join": ["", ["https://", ref(ids["domain"]), "/invocations"]]}
    assert ids["Api"]["invoke_url"] == {
        "Fn::Join": [
            "",
            [
                "https://",
                ref(ids["Api"]["api"]),
                ".execute-api.",
                REGION,
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/",
                ref(ids["Api"]["stage"]),
                "/invocations",
            ],
        ]
    }


def test_the_construct_adds_no_stack_output(template: dict) -> None:
    # RestApi's automatic URL output is removed; the app outputs invoke_url where it wants it.
    assert template.get("Outputs", {}) == {}


def test_cloud_watch_role_only_when_asked(template: dict, ids: dict) -> None:
    ((account_id, account),) = resources(template, "AWS::ApiGateway::Account").items()
    assert account_id.startswith("Internal") and account["DeletionPolicy"] == "RetainExceptOnCreate"
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role["Properties"] and role["DeletionPolicy"] == "RetainExceptOnCreate"
    ((policy_id, policy),) = [
        (k, v)
        for k, v in resources(template, "AWS::IAM::ManagedPolicy").items()
        if ref(role_id) in v["Properties"]["Roles"]
    ]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            "Effect": "Allow",
            "Sid": "WriteApiGatewayLogs",
            "Resource": {"Fn::Join": ["", ["arn:", PARTITION, ":logs:", REGION, ":", ACCOUNT, ":log-group:*"]]},
        }
    ]
    assert account["DependsOn"] == [policy_id]
    assert account_id in template["Resources"][ids["Internal"]["stage"]]["DependsOn"]


# --- alarms --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "api, blocked, client, server, latency_ms",
    [
        ("Api", 100, 50, 1, 5000),
        ("Internal", 100, 50, 1, 5000),
        ("Public", 10, 20, 3, 1500),
    ],
)
def test_alarms_notify_the_alert_topic(
    template: dict, ids: dict, api: str, blocked: int, client: int, server: int, latency_ms: int
) -> None:
    alarms = {purpose: props(template, alarm_id) for purpose, alarm_id in ids[api]["alarms"].items()}
    assert set(alarms) == {"WafBlockedRequests", "ClientErrors", "ServerErrors", "Latency"}
    name = props(template, ids[api]["api"])["Name"]
    assert props(template, ids[api]["acl"])["Name"] == name
    stage_dims = [{"Name": "ApiName", "Value": name}, {"Name": "Stage", "Value": ref(ids[api]["stage"])}]
    expected = {
        "WafBlockedRequests": (
            "AWS/WAFV2",
            "BlockedRequests",
            [{"Name": "Region", "Value": REGION}, {"Name": "Rule", "Value": "ALL"}, {"Name": "WebACL", "Value": name}],
            blocked,
            1,
        ),
        "ClientErrors": ("AWS/ApiGateway", "4XXError", stage_dims, client, 1),
        "ServerErrors": ("AWS/ApiGateway", "5XXError", stage_dims, server, 1),
        "Latency": ("AWS/ApiGateway", "Latency", stage_dims, latency_ms, 2),
    }
    for purpose, alarm in alarms.items():
        namespace, metric, dims, threshold, periods = expected[purpose]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]) == (namespace, metric, dims)
        assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["Period"]) == (threshold, periods, 300)
        assert alarm["AlarmActions"] == alarm["OKActions"] == [ref(ids["topic"])]
        assert alarm["TreatMissingData"] == "notBreaching"
    assert alarms["Latency"]["ExtendedStatistic"] == "p99"
    assert {alarms[p]["Statistic"] for p in ("WafBlockedRequests", "ClientErrors", "ServerErrors")} == {"Sum"}


# --- nag and lint -----------------------------------------------------------------------------------


def _findings(synth: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    return {
        (v["ruleName"], c["constructPath"])
        for plugin in synth["report"]["pluginReports"]
        for v in plugin.get(kind, [])
        for c in v["violatingConstructs"]
    }


def test_stock_packs_leave_nothing_unacknowledged(synth: dict[str, Any]) -> None:
    ours = ("Test/Api/", "Test/Internal/", "Test/Public/")
    assert {f for f in _findings(synth, "violations") if f[1].startswith(ours)} == set()
    stage_rules = {
        f"{pack}-{rule}" for pack in COMPLIANCE_PACKS for rule in ("APIGWCacheEnabledAndEncrypted", "APIGWSSLEnabled")
    }
    expected = {
        (rule, f"Test/{api}/Api/DeploymentStage.{stage}/Resource")
        for rule in stage_rules
        for api, stage in (("Api", "prod"), ("Internal", "internal"), ("Public", "prod"))
    }
    # IAM instead of Cognito is acknowledged on the IAM-authorized methods only.
    expected |= {
        ("AwsSolutions-COG4", f"Test/{api}/Api/Default/invocations/POST/Resource") for api in ("Api", "Internal")
    }
    # The account-level CloudWatch role is scoped to log groups of this account and Region.
    expected.add(
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]",
            "Test/Internal/CloudWatchLogging/CloudWatchPolicy/Resource",
        )
    )
    assert {f for f in _findings(synth, "suppressedViolations") if f[1].startswith(ours)} == expected


def test_stock_api_gateway_and_waf_rules_run_positive_control(synth: dict[str, Any]) -> None:
    control = {rule for rule, path in _findings(synth, "violations") if path.startswith("Control/")}
    expected = {f"AwsSolutions-{r}" for r in ("APIG1", "APIG2", "APIG3", "APIG4", "APIG6", "COG4")}
    expected |= {
        f"{p}-{r}"
        for p in COMPLIANCE_PACKS
        for r in (
            "APIGWCacheEnabledAndEncrypted",
            "APIGWExecutionLoggingEnabled",
            "APIGWSSLEnabled",
            "WAFv2LoggingEnabled",
        )
    }
    expected |= {f"{p}-APIGWAssociatedWithWAF" for p in ("NIST.800.53.R5", "PCI.DSS.321")}
    expected.add("HIPAA.Security-APIGWXrayEnabled")
    assert expected <= control
    assert "ValidationFailed" in synth["error"]
    # Outside the Control stack only the replication of the endpoint's data-capture buckets remains
    # (the baseline acknowledges it on its buckets), so the Test stack's other findings are known.
    outside = {(rule, path) for rule, path in _findings(synth, "violations") if not path.startswith("Control/")}
    assert {rule for rule, _ in outside} == {f"{p}-S3BucketReplicationEnabled" for p in COMPLIANCE_PACKS}
    assert {path.split("/")[1] for _, path in outside} == {"Endpoint"}


def test_attributes(synth: dict[str, Any]) -> None:
    api = synth["apis"]["Api"]
    assert isinstance(api.api, apigateway.RestApi) and api.stage.node.path == api.api.deployment_stage.node.path
    assert isinstance(api.web_acl, wafv2.CfnWebACL) and isinstance(api.integration_role, iam.Role)
    assert api.domain is None and synth["apis"]["Public"].domain is not None
    assert isinstance(api.access_log_group, logs.LogGroup) and isinstance(api.waf_log_group, logs.LogGroup)
    with pytest.raises(TypeError):
        api.alarms["Extra"] = None  # read-only mapping
    with pytest.raises(AttributeError):
        api.web_acl = None  # read-only attribute


def test_build_firewall_returns_a_named_frozen_record() -> None:
    stack = new_stack()
    firewall = build_firewall(
        stack,
        name="api",
        stage_arn="arn:aws:apigateway:eu-west-1::/restapis/abc/stages/prod",
        logs_key=kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:eu-west-1:111111111111:key/k"),
        log_retention=logs.RetentionDays.ONE_YEAR,
        allowed_ipv4=["10.0.0.0/8"],
        allowed_ipv6=[],
        countries=None,
        anonymous_ip_list=False,
        rate_limit=100,
        rate_window_seconds=300,
        max_body_bytes=8192,
    )
    assert isinstance(firewall, Firewall)
    assert isinstance(firewall.web_acl, wafv2.CfnWebACL) and isinstance(firewall.log_group, logs.LogGroup)
    assert isinstance(firewall.association, wafv2.CfnWebACLAssociation)
    assert isinstance(firewall.logging, wafv2.CfnLoggingConfiguration)
    assert [s.node.id for s in firewall.ip_sets] == ["AllowedIpv4"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        firewall.web_acl = None


# --- enforcement -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """Everything the construct needs, in a stack that is never synthesized (for failing constructs)."""
    b = _base(new_stack())
    b["count"] = iter(range(10_000))
    b["pool"] = cognito.UserPool(b["stack"], "Pool")
    b["cert"] = acm.Certificate.from_certificate_arn(b["stack"], "Cert", CERT_ARN)
    return b


def _api(b: dict[str, Any], **overrides: Any) -> ProtectedInferenceApi:
    required = {"endpoint": b["endpoint"], "logs_key": b["keys"].logs_key, "alarm_topic": b["topic"]}
    return ProtectedInferenceApi(b["stack"], f"Api{next(b['count'])}", **{**required, **overrides})


def test_a_method_added_without_authorization_fails_synthesis(base: dict) -> None:
    api = _api(base)
    assert api.node.validate() == []
    api.api.root.add_resource("health").add_method("GET", apigateway.MockIntegration())  # default options: IAM
    assert api.node.validate() == []
    api.api.root.add_method("GET", apigateway.MockIntegration(), authorization_type=apigateway.AuthorizationType.NONE)
    (error,) = api.node.validate()
    assert "/Api/Default/GET" in error and "AuthorizationType NONE" in error and "Fix:" in error


@pytest.mark.parametrize(
    "mutate, what",
    [
        (lambda s: setattr(s, "tracing_enabled", False), "TracingEnabled"),
        (lambda s: setattr(s, "access_log_setting", None), "SageMakerSecurity-ApiStageAccessLogs"),
        (lambda s: setattr(s, "method_settings", None), "SageMakerSecurity-ApiStageThrottling"),
        (
            lambda s: setattr(
                s,
                "method_settings",
                [
                    apigateway.CfnStage.MethodSettingProperty(
                        http_method="*",
                        resource_path="/*",
                        logging_level="ERROR",
                        data_trace_enabled=True,
                        throttling_burst_limit=10,
                        throttling_rate_limit=10,
                    )
                ],
            ),
            "MethodSettings",
        ),
        (
            lambda s: setattr(
                s,
                "method_settings",
                [
                    apigateway.CfnStage.MethodSettingProperty(
                        http_method="*",
                        resource_path="/*",
                        logging_level="OFF",
                        throttling_burst_limit=10,
                        throttling_rate_limit=10,
                    )
                ],
            ),
            "MethodSettings",
        ),
    ],
)
def test_stage_controls_are_checked_again_at_synthesis(base: dict, mutate: Callable, what: str) -> None:
    api = _api(base)
    mutate(api.stage.node.default_child)
    errors = api.node.validate()
    assert any(what in e for e in errors), errors
    assert all("is enforced by this construct" in e and "Fix:" in e for e in errors)


# --- bad input ----------------------------------------------------------------------------------------

BAD_INPUT: list[tuple[str, str, Callable[[dict], dict]]] = [
    # WAF rate limits: 10..2,000,000,000 per window of 60, 120, 300 or 600 seconds.
    ("waf_rate_limit", "is outside 10..2,000,000,000", lambda b: {"waf_rate_limit": 9}),
    ("waf_rate_limit", "is outside 10..2,000,000,000", lambda b: {"waf_rate_limit": 2_000_000_001}),
    ("waf_rate_limit", "is a float, not a int", lambda b: {"waf_rate_limit": 100.0}),
    (
        "waf_rate_window",
        "is not an evaluation window AWS WAF accepts",
        lambda b: {"waf_rate_window": cdk.Duration.minutes(3)},
    ),
    # Throttling: burst below rate.
    ("throttling_burst_limit", "is below throttling_rate_limit=50", lambda b: {"throttling_burst_limit": 49}),
    ("throttling_rate_limit", "is not above 0", lambda b: {"throttling_rate_limit": 0}),
    # Allow lists and geo match.
    ("allowed_ip_ranges", "is empty, so the web ACL would block every request", lambda b: {"allowed_ip_ranges": []}),
    ("allowed_ip_ranges", "is not a CIDR range", lambda b: {"allowed_ip_ranges": ["10.0.0.1/8"]}),
    ("allowed_ip_ranges", "allows every address", lambda b: {"allowed_ip_ranges": ["0.0.0.0/0"]}),
    ("allowed_ip_ranges", "is listed twice", lambda b: {"allowed_ip_ranges": ["10.0.0.0/8", "10.0.0.0/8"]}),
    ("allowed_ip_ranges", "is not a list of CIDR ranges", lambda b: {"allowed_ip_ranges": "10.0.0.0/8"}),
    ("allowed_countries", "is empty", lambda b: {"allowed_countries": []}),
    ("allowed_countries", "is not an uppercase ISO 3166-1 alpha-2 code", lambda b: {"allowed_countries": ["de"]}),
    # Payload limit: API Gateway's 10 MB.
    (
        "max_body_bytes",
        "is above 10485760 bytes (10 MB), the hard payload limit",
        lambda b: {"max_body_bytes": MAX_PAYLOAD_BYTES + 1},
    ),
    ("max_body_bytes", "is below 1 byte", lambda b: {"max_body_bytes": 0}),
    ("max_body_bytes", "is a bool, not a int", lambda b: {"max_body_bytes": True}),
    # Custom domain.
    (
        "certificate",
        "is missing, but domain_name='inference.example.com' can only serve HTTPS",
        lambda b: {"domain_name": "inference.example.com"},
    ),
    ("certificate", "is given without domain_name", lambda b: {"certificate": b["cert"]}),
    (
        "certificate",
        "is not an ACM certificate",
        lambda b: {"domain_name": "inference.example.com", "certificate": CERT_ARN},
    ),
    ("domain_name", "is not a DNS name", lambda b: {"domain_name": "Inference API", "certificate": b["cert"]}),
    # Private mode.
    (
        "vpc_endpoint",
        "is missing, but internal_only=True needs the execute-api VPC endpoint",
        lambda b: {"internal_only": True},
    ),
    ("vpc_endpoint", "only applies to a private API", lambda b: {"vpc_endpoint": "vpce-0123456789abcdef0"}),
    (
        "vpc_endpoint",
        "is not a VPC endpoint id",
        lambda b: {"internal_only": True, "vpc_endpoint": "vpc-0123456789abcdef0"},
    ),
    (
        "allowed_countries",
        "private addresses, which have no country",
        lambda b: {"internal_only": True, "vpc_endpoint": "vpce-0123456789abcdef0", "allowed_countries": ["DE"]},
    ),
    (
        "domain_name",
        "is not supported for a private API",
        lambda b: {
            "internal_only": True,
            "vpc_endpoint": "vpce-0123456789abcdef0",
            "domain_name": "inference.example.com",
            "certificate": b["cert"],
        },
    ),
    # Authorization and usage plan.
    ("cognito_user_pools", "is not a non-empty list of user pools", lambda b: {"cognito_user_pools": []}),
    ("cognito_user_pools", "is not a Cognito user pool", lambda b: {"cognito_user_pools": ["eu-west-1_abc"]}),
    (
        "authorization_scopes",
        "only apply to Cognito access tokens",
        lambda b: {"authorization_scopes": ["inference/invoke"]},
    ),
    ("quota_per_day", "counts requests per API key, but no request carries one", lambda b: {"quota_per_day": 100}),
    # Required resources and the rest.
    ("endpoint", "has no endpoint_arn", lambda b: {"endpoint": b["endpoint"].endpoint}),
    ("logs_key", "has no key_arn", lambda b: {"logs_key": "arn:aws:kms:eu-west-1:111111111111:key/x"}),
    ("alarm_topic", "has no topic_arn", lambda b: {"alarm_topic": None}),
    ("stage_name", "is not a valid API Gateway stage name", lambda b: {"stage_name": "prod stage"}),
    ("log_retention", "keeps logs forever", lambda b: {"log_retention": logs.RetentionDays.INFINITE}),
    ("latency_threshold", "is not positive", lambda b: {"latency_threshold": cdk.Duration.seconds(0)}),
    ("server_error_threshold", "is below 1", lambda b: {"server_error_threshold": 0}),
    ("request_schema", "is a dict, not a JsonSchema", lambda b: {"request_schema": {"type": "object"}}),
]


@pytest.mark.parametrize(
    "prop, problem, overrides", BAD_INPUT, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BAD_INPUT)]
)
def test_bad_input_fails_at_construct_time(
    base: dict, prop: str, problem: str, overrides: Callable[[dict], dict]
) -> None:
    with pytest.raises(PropError) as err:
        _api(base, **overrides(base))
    message = str(err.value)
    assert message.startswith("ProtectedInferenceApi(Test/Api"), message
    assert f"{prop}=" in message and problem in message and "Fix:" in message, message


def test_good_edge_values_are_accepted(base: dict) -> None:
    _api(
        base,
        waf_rate_limit=10,
        waf_rate_window=cdk.Duration.minutes(10),
        throttling_rate_limit=7.5,
        throttling_burst_limit=8,
        max_body_bytes=MAX_PAYLOAD_BYTES,
        stage_name="prod-v1_2",
    )
    _api(
        base,
        waf_rate_limit=2_000_000_000,
        max_body_bytes=1,
        allowed_ip_ranges=["2001:db8::/32"],
        allowed_countries=["US"],
    )
    _api(base, internal_only=True, vpc_endpoint="vpce-0123456789abcdef0", cognito_user_pools=[base["pool"]])


# Last, so that the cfn-lint started by the fixture has run alongside the tests above.
def test_cfn_lint_reports_nothing(synth: dict[str, Any]) -> None:
    assert synth["cfn_lint"].result() == (0, "", "")
