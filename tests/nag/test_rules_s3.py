"""Bucket rules (nag/rules/s3.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
    IMPORT,
    KEY_ARN,
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
# Buckets
# ------------------------------------------------------------------------------------------

BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
BUCKET = resource(
    "AWS::S3::Bucket",
    {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}}
            ]
        },
        "PublicAccessBlockConfiguration": BLOCK_ALL,
        "VersioningConfiguration": {"Status": "Enabled"},
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "data/"},
    },
)
LOG_BUCKET = resource(
    "AWS::S3::Bucket",
    {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
        "PublicAccessBlockConfiguration": BLOCK_ALL,
        "VersioningConfiguration": {"Status": "Enabled"},
    },
)
TLS_DENY = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": [{"Fn::GetAtt": ["Target", "Arn"]}, {"Fn::Join": ["", [{"Fn::GetAtt": ["Target", "Arn"]}, "/*"]]}],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
TLS_VERSION_DENY = {**TLS_DENY, "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}


def bucket_policy(*statements, bucket=None) -> dict:
    return resource(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": bucket if bucket is not None else {"Ref": "Target"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        },
    )


def b(target: dict, **others) -> dict:
    return template(target, Logs=LOG_BUCKET, **others)


CASES = {
    "BucketKmsEncryption": {
        "pass": [
            b(BUCKET),
            template(
                BUCKET,
                Logs=LOG_BUCKET,
                Data=with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}}),
            ),
            b(
                with_props(
                    BUCKET,
                    BucketEncryption={
                        "ServerSideEncryptionConfiguration": [
                            {
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms:dsse",
                                    "KMSMasterKeyID": {
                                        "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}"
                                    },
                                }
                            }
                        ]
                    },
                )
            ),
            template(with_props(LOG_BUCKET, AccessControl="LogDeliveryWrite")),
            # load balancer access logs support SSE-S3 only, like S3 server access logs
            template(
                LOG_BUCKET,
                Alb=resource(
                    "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    {
                        "LoadBalancerAttributes": [
                            {"Key": "access_logs.s3.enabled", "Value": "true"},
                            {"Key": "access_logs.s3.bucket", "Value": {"Ref": "Target"}},
                        ]
                    },
                ),
            ),
            template(
                with_props(LOG_BUCKET, BucketName={"Fn::Sub": "${Param}-elb"}),
                Elb=resource(
                    "AWS::ElasticLoadBalancing::LoadBalancer",
                    {"AccessLoggingPolicy": {"Enabled": True, "S3BucketName": {"Fn::Sub": "${Param}-elb"}}},
                ),
            ),
            template(
                LOG_BUCKET,
                Policy=resource(
                    "AWS::S3::BucketPolicy",
                    {
                        "Bucket": {"Ref": "Target"},
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                                    "Action": "s3:PutObject",
                                    "Resource": "*",
                                }
                            ]
                        },
                    },
                ),
            ),
        ],
        "fail": [
            b(with_props(BUCKET, BucketEncryption=None)),
            template(
                LOG_BUCKET,
                Alb=resource(
                    "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    {"LoadBalancerAttributes": [{"Key": "access_logs.s3.bucket", "Value": "some-other-bucket"}]},
                ),
            ),
            b(LOG_BUCKET),
            b(
                with_props(
                    BUCKET,
                    BucketEncryption={
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                        ]
                    },
                )
            ),
        ],
        "unverifiable": [
            b(
                with_props(
                    BUCKET,
                    BucketEncryption={
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": PARAM}}
                        ]
                    },
                )
            ),
            b(with_props(BUCKET, BucketEncryption={"ServerSideEncryptionConfiguration": PARAM})),
        ],
    },
    "BucketTlsOnly": {
        "pass": [
            b(BUCKET, Policy=bucket_policy(TLS_DENY)),
            b(
                with_props(BUCKET, BucketName="data-bucket"),
                Policy=bucket_policy(
                    {
                        **TLS_DENY,
                        "Principal": "*",
                        "Action": ["*"],
                        "Condition": {"Bool": {"aws:SecureTransport": False}},
                    },
                    bucket="data-bucket",
                ),
            ),
        ],
        "fail": [
            b(BUCKET),
            b(BUCKET, Policy=bucket_policy({**TLS_DENY, "Effect": "Allow"})),
            b(BUCKET, Policy=bucket_policy(TLS_DENY, bucket={"Ref": "Logs"})),
        ],
        "unverifiable": [b(BUCKET, Policy=bucket_policy(TLS_DENY, bucket=PARAM))],
    },
    "BucketTlsVersion": {
        "pass": [b(BUCKET, Policy=bucket_policy(TLS_DENY, TLS_VERSION_DENY))],
        "fail": [
            b(BUCKET, Policy=bucket_policy(TLS_DENY)),
            b(
                BUCKET,
                Policy=bucket_policy({**TLS_VERSION_DENY, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.0"}}}),
            ),
        ],
        "unverifiable": [b(BUCKET, Policy=bucket_policy(TLS_VERSION_DENY, bucket=IMPORT))],
    },
    "BucketPublicAccessBlocked": {
        "pass": [b(BUCKET)],
        "fail": [
            b(with_props(BUCKET, PublicAccessBlockConfiguration=None)),
            b(with_props(BUCKET, PublicAccessBlockConfiguration={**BLOCK_ALL, "BlockPublicPolicy": False})),
        ],
        "unverifiable": [
            b(with_props(BUCKET, PublicAccessBlockConfiguration={**BLOCK_ALL, "IgnorePublicAcls": PARAM}))
        ],
    },
    "BucketVersioning": {
        "pass": [b(BUCKET)],
        "fail": [
            b(with_props(BUCKET, VersioningConfiguration=None)),
            b(with_props(BUCKET, VersioningConfiguration={"Status": "Suspended"})),
        ],
        "unverifiable": [b(with_props(BUCKET, VersioningConfiguration={"Status": PARAM}))],
    },
    "BucketLogging": {
        "pass": [
            b(BUCKET),
            template(
                LOG_BUCKET, Data=with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}})
            ),
        ],
        "fail": [b(with_props(BUCKET, LoggingConfiguration=None))],
        "unverifiable": [b(with_props(BUCKET, LoggingConfiguration=IMPORT))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("s3")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)


def test_the_access_log_bucket_keeps_every_other_rule() -> None:
    body = template(
        LOG_BUCKET, Data=with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}})
    )
    assert verdict("BucketKmsEncryption", body) == "pass"
    assert verdict("BucketLogging", body) == "pass"
    assert verdict("BucketTlsOnly", body) == "fail"
    assert verdict("BucketVersioning", body) == "pass"
    assert verdict("BucketPublicAccessBlocked", body) == "pass"


def test_a_bucket_logging_to_itself_is_not_an_access_log_bucket() -> None:
    body = template(with_props(LOG_BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}}))
    assert verdict("BucketKmsEncryption", body) == "fail"


# ------------------------------------------------------------------------------------------
# Names built with Fn::Sub: structurally equal expressions name the same bucket
# ------------------------------------------------------------------------------------------

APP_DATA = {"Fn::Sub": "${Param}-data"}


def test_a_policy_naming_its_bucket_with_the_same_sub_is_matched() -> None:
    bucket = with_props(BUCKET, BucketName=APP_DATA)
    for name in (APP_DATA, {"Fn::Sub": ["${ Param }-data", {}]}):
        body = b(bucket, Policy=bucket_policy(TLS_DENY, bucket=name))
        assert verdict("BucketTlsOnly", body) == "pass"
    # before: "a bucket policy names a bucket that cannot be resolved"
    assert (
        verdict("BucketTlsOnly", b(bucket, Policy=bucket_policy(TLS_DENY, bucket={"Fn::Sub": "${Param}-other"})))
        == "unverifiable"
    )


def test_a_policy_naming_another_bucket_by_the_same_sub_is_not_this_buckets() -> None:
    body = b(BUCKET, Other=with_props(BUCKET, BucketName=APP_DATA), Policy=bucket_policy(TLS_DENY, bucket=APP_DATA))
    assert verdict("BucketTlsOnly", body) == "fail"  # the policy is the other bucket's, not unknown
    assert verdict("BucketTlsOnly", body, target="Other") == "pass"


def test_an_access_log_bucket_named_with_a_sub_is_recognised() -> None:
    logs = with_props(LOG_BUCKET, BucketName={"Fn::Sub": "${Param}-logs"})
    data = with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Fn::Sub": "${Param}-logs"}})
    body = template(data, Logs=logs)
    assert verdict("BucketKmsEncryption", body, target="Logs") == "pass"
    assert (
        verdict(
            "BucketKmsEncryption",
            template(data, Logs=with_props(logs, BucketName={"Fn::Sub": "${Param}-other"})),
            target="Logs",
        )
        == "fail"
    )


def test_same_compares_rendered_values_and_expressions() -> None:
    from secure_sagemaker.nag.template import Template

    t = Template(template(BUCKET))
    assert t.same({"Fn::Join": ["-", ["a", "b"]]}, "a-b")
    assert t.same({"Fn::GetAtt": "Key.Arn"}, {"Fn::GetAtt": ["Key", "Arn"]})
    assert t.same({"Fn::Sub": "${Param}-x"}, {"Fn::Sub": ["${Param}-x", {}]})
    assert not t.same({"Fn::Sub": "${Param}-x"}, {"Fn::Sub": "${Param}-y"})
    assert not t.same(None, None)
