"""SecureBucket and AccessLogBucket: the synthesized buckets and policies, nag findings, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.storage import DATA_ACTIONS, AccessLogBucket, SecureBucket
from tests.helpers import new_app, new_stack, resources, synth_with_stock_packs
from tests.policy_eval import EXPLICIT_DENY, IMPLICIT_DENY, Request, Resolver, evaluate_statements

VPCES = ["vpce-0123456789abcdef0", "vpce-0fedcba98"]
BREAK_GLASS = ["arn:aws:iam::123456789012:role/BreakGlass", "arn:aws:iam::123456789012:role/cdk-*-cfn-exec-role-*"]
STOCK_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")

#: SecureBucket path -> (key, access-log bucket) names in ``ids``.
SECURE = {
    "Data": ("ring-data", "Data/AccessLogs"),
    "Own": ("Own/Key", "Own/AccessLogs"),
    "Shared": ("ring-models", "SharedLogs"),
    "Private": ("ring-data", "SharedLogs"),
}
LOG_BUCKETS = ("Data/AccessLogs", "Own/AccessLogs", "SharedLogs", "Lonely")


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> tuple[dict, dict, dict[str, str]]:
    """One synth of every variant, with the four stock packs registered."""
    outdir = tmp_path_factory.mktemp("storage")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    ring = KeyRing(stack, "Keys")
    data = SecureBucket(stack, "Data", encryption_key=ring.data_key)
    own = SecureBucket(
        stack,
        "Own",
        bucket_name="secure-sagemaker-own.test-1",
        key_alias="alias/test/own",
        key_rotation_period=cdk.Duration.days(180),
        noncurrent_version_expiration=cdk.Duration.days(30),
    )
    shared_logs = AccessLogBucket(stack, "SharedLogs")
    shared = SecureBucket(
        stack,
        "Shared",
        encryption_key=ring.models_key,
        access_log_bucket=shared_logs.bucket,
        access_log_prefix="shared/",
    )
    private = SecureBucket(
        stack,
        "Private",
        encryption_key=ring.data_key,
        access_log_bucket=shared_logs.bucket,
        allowed_vpc_endpoint_ids=VPCES,
        break_glass_principal_arns=BREAK_GLASS,
    )
    lonely = AccessLogBucket(stack, "Lonely", log_expiration=cdk.Duration.days(400))

    def lid(construct) -> str:
        return stack.resolve(stack.get_logical_id(construct.node.default_child))

    ids = {
        "ring-data": lid(ring.data_key),
        "ring-models": lid(ring.models_key),
        "Own/Key": lid(own.key),
        "Data/AccessLogs": lid(data.access_log_bucket),
        "Own/AccessLogs": lid(own.access_log_bucket),
        "SharedLogs": lid(shared_logs.bucket),
        "Lonely": lid(lonely.bucket),
    }
    ids |= {name: lid(b.bucket) for name, b in {"Data": data, "Own": own, "Shared": shared, "Private": private}.items()}
    assert shared.access_log_bucket is shared_logs.bucket and data.key is ring.data_key

    error = synth_with_stock_packs(app)
    assert error is not None and "ValidationFailed" in error, (
        error
    )  # the replication findings below are left for the caller
    template = json.loads((Path(outdir) / "Test.template.json").read_text())
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    return template, report, ids


@pytest.fixture(scope="module")
def template(synth) -> dict:
    return synth[0]


@pytest.fixture(scope="module")
def ids(synth) -> dict[str, str]:
    return synth[2]


def bucket(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id]


def policy_statements(template: dict, bucket_id: str) -> list[dict]:
    (policy,) = [
        p
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def arn(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def objects(logical_id: str) -> dict:
    return {"Fn::Join": ["", [arn(logical_id), "/*"]]}


# --- nag ---------------------------------------------------------------------------------------


def findings(report: dict, kind: str) -> set[tuple[str, ...]]:
    found = set()
    for plugin in report["pluginReports"]:
        for violation in plugin.get(kind, []):
            for construct in violation["violatingConstructs"]:
                path = construct["constructPath"]
                if kind == "violations":
                    found.add((violation["ruleName"], path))
                else:
                    assert len(violation["reason"]) > 80, violation
                    found.add((violation["ruleName"], path, violation["acknowledgedAt"]))
    return found


def test_only_replication_findings_remain_for_the_caller(synth):
    """Replication is a deployment choice (a second region), so the constructs leave it open."""
    _, report, _ = synth
    buckets = [
        f"{name}/Bucket"
        for name in ("Data", "Data/AccessLogs", "Own", "Own/AccessLogs", "SharedLogs", "Shared", "Private", "Lonely")
    ]
    assert findings(report, "violations") == {
        (f"{pack}-S3BucketReplicationEnabled", f"Test/{b}/Resource") for pack in COMPLIANCE_PACKS for b in buckets
    }


def test_inherent_findings_are_acknowledged_on_the_log_buckets(synth):
    """Every acknowledgment inside the constructs still matches a finding, on the narrowest construct."""
    _, report, _ = synth
    expected = {
        (f"{pack}-S3DefaultEncryptionKMS", f"Test/{b}/Bucket/Resource", f"Test/{b}/Bucket")
        for pack in COMPLIANCE_PACKS
        for b in LOG_BUCKETS
    }
    # A log bucket that no bucket of its stack logs to is reported for not logging itself.
    expected |= {
        (rule, "Test/Lonely/Bucket/Resource", "Test/Lonely/Bucket")
        for rule in ["AwsSolutions-S1"] + [f"{pack}-S3BucketLoggingEnabled" for pack in COMPLIANCE_PACKS]
    }
    assert findings(report, "suppressedViolations") == expected


# --- every bucket ------------------------------------------------------------------------------


def test_every_bucket_is_versioned_private_owner_enforced_and_retained(template):
    buckets = resources(template, "AWS::S3::Bucket")
    assert len(buckets) == 8
    for logical_id, resource in buckets.items():
        props = resource["Properties"]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), (
            logical_id
        )
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert "AccessControl" not in props
    assert not [r for r in template["Resources"].values() if r["Type"].startswith("Custom::")], "no auto-delete"


def test_every_bucket_denies_requests_without_tls_1_2(template):
    for logical_id in resources(template, "AWS::S3::Bucket"):
        denies = [s for s in policy_statements(template, logical_id) if s["Effect"] == "Deny" and s["Action"] == "s3:*"]
        conditions = [s["Condition"] for s in denies if s["Resource"] == [arn(logical_id), objects(logical_id)]]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions, logical_id
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions, logical_id
        assert all(s["Principal"] == {"AWS": "*"} for s in denies)


def test_every_bucket_expires_noncurrent_versions_and_aborts_uploads(template, ids):
    expected = {ids["Own"]: 30, ids["Data"]: 90, ids["Shared"]: 90, ids["Private"]: 90}
    expected |= {ids[b]: 365 for b in LOG_BUCKETS}
    for logical_id, days in expected.items():
        (rule,) = bucket(template, logical_id)["Properties"]["LifecycleConfiguration"]["Rules"]
        assert rule["Status"] == "Enabled"
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": days}
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
        assert ("ExpirationInDays" in rule) == (logical_id == ids["Lonely"])
    (rule,) = bucket(template, ids["Lonely"])["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 400


# --- SecureBucket ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SECURE))
def test_secure_bucket_is_sse_kms_with_bucket_key(template, ids, name):
    key = ids[SECURE[name][0]]
    (rule,) = bucket(template, ids[name])["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"KMSMasterKeyID": arn(key), "SSEAlgorithm": "aws:kms"},
    }


def test_bucket_key_can_be_turned_off_and_encryption_stays():
    stack = new_stack()
    data = SecureBucket(stack, "Data", bucket_key_enabled=False)
    template = Template.from_stack(stack).to_json()
    bucket_id = stack.resolve(stack.get_logical_id(data.bucket.node.default_child))
    (rule,) = template["Resources"][bucket_id]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["BucketKeyEnabled"] is False
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


@pytest.mark.parametrize("name", sorted(SECURE))
def test_secure_bucket_logs_to_its_access_log_bucket(template, ids, name):
    log_bucket = ids[SECURE[name][1]]
    prefix = "shared/" if name == "Shared" else f"Test/{name}/"
    logging = bucket(template, ids[name])["Properties"]["LoggingConfiguration"]
    assert logging == {"DestinationBucketName": {"Ref": log_bucket}, "LogFilePrefix": prefix}
    delivery = [
        s
        for s in policy_statements(template, log_bucket)
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert {
        "Action": "s3:PutObject",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Resource": {"Fn::Join": ["", [arn(log_bucket), f"/{prefix}*"]]},
        "Condition": {
            "ArnLike": {"aws:SourceArn": arn(ids[name])},
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        },
    } in delivery


@pytest.mark.parametrize("name", sorted(SECURE))
def test_secure_bucket_denies_uploads_with_other_encryption_or_key(template, ids, name):
    key = ids[SECURE[name][0]]
    by_sid = {s.get("Sid"): s for s in policy_statements(template, ids[name])}
    common = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:PutObject", "Resource": objects(ids[name])}
    assert by_sid["DenyUploadsWithOtherEncryption"] == {
        **common,
        "Sid": "DenyUploadsWithOtherEncryption",
        "Condition": {
            "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            "Null": {"s3:x-amz-server-side-encryption": "false"},
        },
    }
    assert by_sid["DenyUploadsWithOtherKmsKey"] == {
        **common,
        "Sid": "DenyUploadsWithOtherKmsKey",
        "Condition": {
            "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": arn(key)},
        },
    }
    # SSE-C (a key only the uploader holds) carries neither header above, so it is denied on its own.
    assert by_sid["DenyCustomerProvidedKeys"] == {
        **common,
        "Sid": "DenyCustomerProvidedKeys",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}},
    }


_SSE = "s3:x-amz-server-side-encryption"
_SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
_SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm"
_OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/other"


@pytest.mark.parametrize(
    "headers, verdict",
    [
        ({}, IMPLICIT_DENY),  # no headers: default encryption applies the bucket's key; not denied
        ({_SSE: "aws:kms", _SSE_KEY: "own"}, IMPLICIT_DENY),
        ({_SSE: "aws:kms"}, EXPLICIT_DENY),  # S3 would use the AWS managed key aws/s3
        ({_SSE: "aws:kms", _SSE_KEY: _OTHER_KEY}, EXPLICIT_DENY),
        ({_SSE: "aws:kms", _SSE_KEY: "alias/own"}, EXPLICIT_DENY),
        ({_SSE: "AES256"}, EXPLICIT_DENY),
        ({_SSE: "aws:kms:dsse", _SSE_KEY: "own"}, EXPLICIT_DENY),
        ({_SSE_C: "AES256"}, EXPLICIT_DENY),
    ],
    ids=["no-headers", "own-key", "kms-without-key", "other-key", "alias", "sse-s3", "dsse", "sse-c"],
)
def test_encryption_denies_hold_for_the_headers_of_an_upload(template, ids, headers, verdict):
    """The bucket policy's verdict on an upload ("own" stands for the bucket's key ARN). The role's
    own allow is left out, so a request that no statement denies is an implicit deny here."""
    resolver = Resolver(template)
    statements = resolver.resolve(policy_statements(template, ids["Data"]))
    if headers.get(_SSE_KEY) == "own":
        headers = {**headers, _SSE_KEY: resolver.arn(ids[SECURE["Data"][0]])}
    target = resolver.arn(ids["Data"]) + "/raw/x.csv"
    request = Request("s3:PutObject", target, {"aws:SecureTransport": True, "s3:TlsVersion": 1.3, **headers})
    assert evaluate_statements(statements, request) == verdict


def test_vpc_endpoint_mode_denies_object_data_outside_the_endpoints(template, ids):
    statements = {s.get("Sid"): s for s in policy_statements(template, ids["Private"])}
    service_linked_roles = {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":role/aws-service-role/*"],
        ]
    }
    assert statements["DenyDataAccessOutsideVpcEndpoints"] == {
        "Sid": "DenyDataAccessOutsideVpcEndpoints",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": sorted(DATA_ACTIONS),
        "Resource": [arn(ids["Private"]), objects(ids["Private"])],
        "Condition": {
            "StringNotEquals": {"aws:SourceVpce": VPCES},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
            "ArnNotLikeIfExists": {"aws:PrincipalArn": [service_linked_roles, *BREAK_GLASS]},
        },
    }
    for name in ("Data", "Own", "Shared"):
        assert "DenyDataAccessOutsideVpcEndpoints" not in {s.get("Sid") for s in policy_statements(template, ids[name])}


@pytest.mark.parametrize(
    "principal, context, expected",
    [
        ("arn:aws:iam::123456789012:role/BreakGlass", {}, "Allow"),
        ("arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1", {}, "Allow"),
        ("arn:aws:iam::123456789012:role/Admin", {}, "ExplicitDeny"),
        ("arn:aws:iam::123456789012:role/Admin", {"aws:SourceVpce": VPCES[1]}, "Allow"),
    ],
)
def test_break_glass_principals_read_from_outside_the_endpoints(template, ids, principal, context, expected):
    from policy_eval import PolicyEvaluator, Request, evaluate_with_resource_policy

    evaluator = PolicyEvaluator(template)
    request = Request(
        "s3:GetObject",
        evaluator.resolver.arn(ids["Private"]) + "/raw/x.csv",
        {"aws:PrincipalArn": principal, "aws:SecureTransport": True, "s3:TlsVersion": 1.2, **context},
    )
    admin = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    assert evaluate_with_resource_policy(admin, evaluator.bucket_policy(ids["Private"]), principal, request) == expected


def test_a_bucket_is_restricted_once():
    stack = new_stack()
    bucket = SecureBucket(stack, "Data", allowed_vpc_endpoint_ids=VPCES)
    with pytest.raises(PropError, match="SecureBucket\\(Test/Data\\): allowed_vpc_endpoint_ids=.*second restriction"):
        bucket.restrict_to_vpc_endpoints(VPCES)
    assert bucket.vpc_endpoint_ids == tuple(VPCES)
    later = SecureBucket(stack, "Later")
    with pytest.raises(PropError, match="SecureBucket\\(Test/Later\\): exempt_principal_arns='Admin'"):
        later.restrict_to_vpc_endpoints(VPCES, exempt_principal_arns=["Admin"])


def test_object_lock_is_off_by_default_and_on_with_a_default_retention(template, ids):
    assert all("ObjectLockEnabled" not in bucket(template, ids[name])["Properties"] for name in SECURE)
    stack = new_stack()
    locked = SecureBucket(stack, "Logs", object_lock_retention=s3.ObjectLockRetention.compliance(cdk.Duration.days(30)))
    properties = Template.from_stack(stack).to_json()["Resources"][
        stack.resolve(stack.get_logical_id(locked.bucket.node.default_child))
    ]["Properties"]
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}},
    }


def test_created_key_rotates_is_retained_and_usable_only_through_s3(template, ids):
    key = bucket(template, ids["Own/Key"])
    assert key["Type"] == "AWS::KMS::Key" and key["DeletionPolicy"] == "RetainExceptOnCreate"
    props = key["Properties"]
    assert (props["EnableKeyRotation"], props["RotationPeriodInDays"], props["PendingWindowInDays"]) == (True, 180, 30)
    (use,) = [s for s in props["KeyPolicy"]["Statement"] if s.get("Sid") == "UseThroughAwsServices"]
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == [
        {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}
    ]
    aliases = {a["Properties"]["AliasName"]: a for a in resources(template, "AWS::KMS::Alias").values()}
    assert aliases["alias/test/own"]["Properties"]["TargetKeyId"] == arn(ids["Own/Key"])
    assert bucket(template, ids["Own"])["Properties"]["BucketName"] == "secure-sagemaker-own.test-1"


# --- AccessLogBucket ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOG_BUCKETS)
def test_access_log_bucket_is_sse_s3_and_does_not_log_itself(template, ids, name):
    props = bucket(template, ids[name])["Properties"]
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert "LoggingConfiguration" not in props


def test_log_delivery_is_the_only_allow_on_log_buckets(template, ids):
    for name in LOG_BUCKETS:
        allows = [s for s in policy_statements(template, ids[name]) if s["Effect"] == "Allow"]
        assert bool(allows) == (name != "Lonely"), name
        assert all(s["Principal"] == {"Service": "logging.s3.amazonaws.com"} for s in allows)
        assert all("aws:SourceAccount" in s["Condition"]["StringEquals"] for s in allows)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "My-Bucket",
        "bucket_name",
        "-bucket",
        "bucket-",
        ".bucket",
        "my..bucket",
        "192.168.1.1",
        "xn--bucket",
        "sthree-bucket",
        "amzn-s3-demo-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "bucket.mrap",
        "bucket--x-s3",
        "bucket--table-s3",
        42,
    ],
)
def test_bad_bucket_names_fail(name):
    with pytest.raises(PropError) as error:
        SecureBucket(new_stack(), "Data", bucket_name=name)
    assert f"bucket_name={name!r}" in str(error.value) and "Fix:" in str(error.value)


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.bucket-1", "1-bucket", "192.168.1.1.x"])
def test_good_bucket_names_pass(name):
    assert SecureBucket(new_stack(), "Data", bucket_name=name).bucket.node.default_child.bucket_name == name


def test_token_bucket_name_and_endpoint_ids_are_not_checked_at_synth():
    stack = new_stack()
    name = cdk.CfnParameter(stack, "Name").value_as_string
    vpce = cdk.CfnParameter(stack, "Vpce").value_as_string
    SecureBucket(
        stack, "Data", bucket_name=name, allowed_vpc_endpoint_ids=[vpce], break_glass_principal_arns=BREAK_GLASS
    )


def test_access_log_bucket_validates_its_name():
    with pytest.raises(PropError, match="bucket_name='Logs'"):
        AccessLogBucket(new_stack(), "Logs", bucket_name="Logs")


@pytest.mark.parametrize(
    "props, message",
    [
        (
            {"allowed_vpc_endpoint_ids": [], "break_glass_principal_arns": BREAK_GLASS},
            r"allowed_vpc_endpoint_ids=\[\] is empty",
        ),
        (
            {"allowed_vpc_endpoint_ids": VPCES[0], "break_glass_principal_arns": BREAK_GLASS},
            "allowed_vpc_endpoint_ids=.*not a list",
        ),
        (
            {"allowed_vpc_endpoint_ids": ["vpc-0123456789abcdef0"], "break_glass_principal_arns": BREAK_GLASS},
            "allowed_vpc_endpoint_ids='vpc-",
        ),
        (
            {"allowed_vpc_endpoint_ids": ["vpce-1234567"], "break_glass_principal_arns": BREAK_GLASS},
            "allowed_vpc_endpoint_ids='vpce-1234567'",
        ),
        (
            {"allowed_vpc_endpoint_ids": ["vpce-0123456789ABCDEF0"], "break_glass_principal_arns": BREAK_GLASS},
            "allowed_vpc_endpoint_ids=",
        ),
        (
            {"allowed_vpc_endpoint_ids": VPCES, "break_glass_principal_arns": BREAK_GLASS[0]},
            "break_glass_principal_arns=.*not a list",
        ),
        ({"object_lock_retention": 30}, "object_lock_retention=30 is a int"),
        (
            {"allowed_vpc_endpoint_ids": VPCES, "break_glass_principal_arns": ["Admin"]},
            "break_glass_principal_arns='Admin'",
        ),
        ({"break_glass_principal_arns": BREAK_GLASS}, "break_glass_principal_arns=.*only applies"),
        ({"noncurrent_version_expiration": cdk.Duration.days(0)}, "noncurrent_version_expiration="),
        ({"noncurrent_version_expiration": cdk.Duration.hours(12)}, "noncurrent_version_expiration="),
        ({"noncurrent_version_expiration": 90}, "noncurrent_version_expiration="),
        ({"key_rotation_period": cdk.Duration.days(89)}, "key_rotation_period="),
        ({"key_rotation_period": cdk.Duration.days(2561)}, "key_rotation_period="),
        ({"encryption_key": "arn:aws:kms:eu-west-1:123456789012:key/abc"}, "encryption_key="),
        ({"access_log_bucket": "my-logs"}, "access_log_bucket="),
        ({"bucket_key_enabled": "no"}, "bucket_key_enabled='no' is a str, not a bool"),
    ],
)
def test_bad_props_fail_naming_the_prop(props, message):
    with pytest.raises(PropError, match=message) as error:
        SecureBucket(new_stack(), "Data", **props)
    assert "SecureBucket(Test/Data)" in str(error.value) and "Fix:" in str(error.value)


@pytest.mark.parametrize(
    "props",
    [{"key_alias": "alias/x"}, {"key_rotation_period": cdk.Duration.days(180)}],
)
def test_existing_key_with_key_shaping_props_conflicts(props):
    stack = new_stack()
    key = kms.Key(stack, "Key")
    with pytest.raises(PropError) as error:
        SecureBucket(stack, "Data", encryption_key=key, **props)
    (prop,) = props
    assert f"both encryption_key and {prop}" in str(error.value) and "Fix: drop" in str(error.value)


def test_alias_is_not_accepted_as_the_key():
    stack = new_stack()
    alias = kms.Key(stack, "Key").add_alias("alias/data")
    with pytest.raises(PropError, match="encryption_key=.*alias"):
        SecureBucket(stack, "Data", encryption_key=alias)


@pytest.mark.parametrize("props", [{"log_expiration": cdk.Duration.days(0)}, {"noncurrent_version_expiration": "365"}])
def test_access_log_bucket_bad_durations(props):
    (prop,) = props
    with pytest.raises(PropError, match=f"{prop}="):
        AccessLogBucket(new_stack(), "Logs", **props)


def test_log_delivery_feature_flag_off_fails_naming_the_flag_and_the_fix():
    """Without the flag CDK would fail with an ACL error that names neither; we name both."""
    flag = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
    off = cdk.Stack(new_app(**{flag: False}), "Test")
    for make, name in (
        (lambda: SecureBucket(off, "Data"), "SecureBucket(Test/Data)"),
        (lambda: AccessLogBucket(off, "Logs"), "AccessLogBucket(Test/Logs)"),
        (lambda: SecureBucket(off, "Other", access_log_bucket=s3.Bucket(off, "Plain")), "SecureBucket(Test/Other)"),
    ):
        with pytest.raises(PropError) as error:
            make()
        assert str(error.value).startswith(f"{name}: the feature flag {flag} is off")
        assert f'Fix: set "{flag}": true in the context of cdk.json' in str(error.value)
    # A log bucket imported from elsewhere gets no statement from CDK either way, so the flag does not matter.
    SecureBucket(off, "Imported", access_log_bucket=s3.Bucket.from_bucket_name(off, "Logs2", "central-access-logs"))


@pytest.mark.parametrize(
    ("tamper", "enforced"),
    [
        (lambda b: setattr(b.bucket.node.default_child, "bucket_encryption", None), "BucketEncryption"),
        (
            lambda b: setattr(
                b.bucket.node.default_child,
                "public_access_block_configuration",
                s3.CfnBucket.PublicAccessBlockConfigurationProperty(block_public_acls=True),
            ),
            "SageMakerSecurity-BucketPublicAccessBlocked",
        ),
        (
            lambda b: setattr(
                b.bucket.node.default_child,
                "versioning_configuration",
                s3.CfnBucket.VersioningConfigurationProperty(status="Suspended"),
            ),
            "SageMakerSecurity-BucketVersioning",
        ),
        (lambda b: setattr(b.bucket.node.default_child, "ownership_controls", None), "OwnershipControls"),
        (
            lambda b: setattr(
                b.bucket.policy.node.default_child, "policy_document", {"Version": "2012-10-17", "Statement": []}
            ),
            "SageMakerSecurity-BucketTlsOnly",
        ),
    ],
    ids=["encryption", "public-access", "versioning", "acls", "tls"],
)
def test_a_control_removed_after_construction_fails_synthesis(tamper, enforced):
    """What every bucket must keep is checked again at synth, on the SecureBucket and the log bucket."""
    for make in (lambda s: SecureBucket(s, "Data"), lambda s: AccessLogBucket(s, "Logs")):
        app = new_app()
        bucket = make(cdk.Stack(app, "Test"))
        tamper(bucket)
        with pytest.raises(RuntimeError, match="Validation failed") as raised:
            app.synth()
        assert enforced in str(raised.value) and "is enforced by this construct" in str(raised.value)


def _encrypted_with(key_arn: str) -> s3.CfnBucket.BucketEncryptionProperty:
    default = s3.CfnBucket.ServerSideEncryptionByDefaultProperty(sse_algorithm="aws:kms", kms_master_key_id=key_arn)
    return s3.CfnBucket.BucketEncryptionProperty(
        server_side_encryption_configuration=[
            s3.CfnBucket.ServerSideEncryptionRuleProperty(server_side_encryption_by_default=default)
        ]
    )


def test_the_bucket_key_is_checked_by_the_rule_and_its_identity_by_the_construct():
    """SSE with the aws/s3 key fails the pack's BucketKmsEncryption; another customer key passes that
    rule (it cannot tell whose key it is) but not the construct's identity check: it is not *this* key."""
    stack = new_stack()
    bucket = SecureBucket(stack, "Data")
    other = kms.Key(stack, "Other", enable_key_rotation=True)
    assert bucket.node.validate() == []
    bucket.bucket.node.default_child.bucket_encryption = _encrypted_with("alias/aws/s3")
    errors = bucket.node.validate()
    assert any("SageMakerSecurity-BucketKmsEncryption (KMSMasterKeyID is the AWS managed key" in e for e in errors)
    bucket.bucket.node.default_child.bucket_encryption = _encrypted_with(other.key_arn)
    (error,) = bucket.node.validate()
    assert error.startswith("SecureBucket(Test/Data): BucketEncryption ") and "is enforced by this construct" in error
