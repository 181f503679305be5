"""SecureFeatureGroup: encrypted stores, defaults and opt-ins, roles, enforcement, nag, cfn-lint, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Capture, Match, Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.acknowledgments import STOCK_PACKS
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.feature_store import MAX_FEATURES, NAME_PATTERN, SecureFeatureGroup
from secure_sagemaker.identity import ExecutionRole, S3Prefix
from secure_sagemaker.nag.engine import check_body
from secure_sagemaker.storage import SecureBucket
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

SAGEMAKER = "sagemaker.amazonaws.com"
FEATURES = {"customer_id": "String", "event_time": "Fractional", "age": "Integral", "lifetime-value": "Fractional"}
NAMES = {"record_identifier_feature_name": "customer_id", "event_time_feature_name": "event_time", "features": FEATURES}
COMPLIANCE_PACKS = STOCK_PACKS[1:]
FEATURE_GROUP = "AWS::SageMaker::FeatureGroup"


def s3_uri(bucket_id: str, prefix: str) -> dict:
    return {"Fn::Join": ["", ["s3://", ref(bucket_id), f"/{prefix}"]]}


def _with_role(stack: cdk.Stack, *, as_execution_role: bool) -> None:
    """The documented recipe: the bucket first, an ExecutionRole writing its prefix, then the group."""
    keys = KeyRing(stack, "Keys")
    bucket = SecureBucket(stack, "Store", encryption_key=keys.data_key)
    role = ExecutionRole(stack, "Role", write_prefixes=[S3Prefix(bucket.bucket, "features")])
    SecureFeatureGroup(
        stack,
        "Features",
        encryption_key=keys.data_key,
        role=role if as_execution_role else role.role,
        offline_store_bucket=bucket,
        offline_store_prefix="features",
        feature_group_name="customers",
        **NAMES,
    )


def _granted(stack: cdk.Stack) -> dict[str, str]:
    """A role with no S3 props and a group that creates its own bucket: only the group's grant can reach it."""
    keys = KeyRing(stack, "Keys")
    role = ExecutionRole(stack, "Role")
    group = SecureFeatureGroup(stack, "Features", encryption_key=keys.data_key, role=role, **NAMES)
    return {
        "policy": logical_id(role.policy),
        "bucket": logical_id(group.offline_store_bucket.bucket),
        "data_key": logical_id(keys.data_key),
    }


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One App with every variant, synthesized once with the four stock packs; cfn-lint starts at once."""
    outdir = Path(tmp_path_factory.mktemp("feature_store"))
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    plain_role = iam.Role(
        stack,
        "PlainRole",
        assumed_by=iam.ServicePrincipal(
            SAGEMAKER, conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
        ),
    )
    store = SecureBucket(stack, "Store", encryption_key=keys.data_key)
    own_key = SecureBucket(stack, "OwnKey")  # a bucket with a key of its own
    writer = ExecutionRole(
        stack, "Writer", write_prefixes=[S3Prefix(store.bucket, "customers"), S3Prefix(own_key.bucket, "feature-store")]
    )

    default = SecureFeatureGroup(stack, "Basic", encryption_key=keys.data_key, role=plain_role, **NAMES)
    online = SecureFeatureGroup(
        stack,
        "Online",
        encryption_key=keys.data_key,
        role=writer,
        offline_store_bucket=store,
        offline_store_prefix="customers/",
        online_store=True,
        online_ttl=cdk.Duration.hours(36),
        create_glue_table=True,
        table_format="Iceberg",
        feature_group_name="customer-features_v2",
        description="Customer features for churn models",
        **NAMES,
    )
    online_only = SecureFeatureGroup(
        stack, "OnlineOnly", encryption_key=keys.data_key, offline_store=False, online_store=True, **NAMES
    )
    separate = SecureFeatureGroup(
        stack, "Separate", encryption_key=keys.data_key, role=writer, offline_store_bucket=own_key, **NAMES
    )

    _with_role(cdk.Stack(app, "WithExecutionRole"), as_execution_role=True)
    _with_role(cdk.Stack(app, "WithIamRole"), as_execution_role=False)
    granted_ids = _granted(cdk.Stack(app, "Granted"))

    # Positive control for our pack: a bare feature group whose stores use AWS keys.
    control = cdk.Stack(app, "Control")
    sagemaker.CfnFeatureGroup(
        control,
        "Bare",
        feature_group_name="bare",
        record_identifier_feature_name="id",
        event_time_feature_name="t",
        feature_definitions=[
            sagemaker.CfnFeatureGroup.FeatureDefinitionProperty(feature_name=n, feature_type="String")
            for n in ("id", "t")
        ],
        online_store_config={"EnableOnlineStore": True},
        offline_store_config={"S3StorageConfig": {"S3Uri": "s3://some-bucket/features"}},
    )

    ids = {
        "data_key": logical_id(keys.data_key),
        "plain_role": logical_id(plain_role),
        "writer": logical_id(writer.role),
        "store": logical_id(store.bucket),
        "own_key_bucket": logical_id(own_key.bucket),
        "own_key": logical_id(own_key.key),
        "writer_policy": logical_id(writer.policy),
        "default": logical_id(default.feature_group),
        "online": logical_id(online.feature_group),
        "online_only": logical_id(online_only.feature_group),
        "separate": logical_id(separate.feature_group),
        "default_bucket": logical_id(default.offline_store_bucket.bucket),
    }
    error = synth_with_stock_packs(app)
    templates = {
        name: json.loads((outdir / f"{name}.template.json").read_text())
        for name in ("Test", "WithExecutionRole", "WithIamRole", "Control", "Granted")
    }
    return {
        "templates": templates,
        "template": templates["Test"],
        "ids": ids,
        "granted_ids": granted_ids,
        "error": error,
        "report": json.loads((outdir / "validation-report.json").read_text()),
        "cfn_lint": CfnLint(*(outdir / f"{name}.template.json" for name in ("Test", "WithExecutionRole"))),
        "constructs": {
            "default": default,
            "online": online,
            "online_only": online_only,
            "separate": separate,
            "store": store,
            "own_key": own_key,
            "writer": writer,
            "keys": keys,
            "plain_role": plain_role,
        },
    }


# --- the stores ----------------------------------------------------------------------------------------


def test_online_store_is_encrypted_with_the_given_key(template: dict, ids: dict) -> None:
    key = {"KmsKeyId": get_att(ids["data_key"], "Arn")}
    assert props(template, ids["online"])["OnlineStoreConfig"] == {
        "EnableOnlineStore": True,
        "SecurityConfig": key,
        "TtlDuration": {"Unit": "Hours", "Value": 36},
    }
    assert props(template, ids["online_only"])["OnlineStoreConfig"] == {
        "EnableOnlineStore": True,
        "SecurityConfig": key,
    }


def test_offline_store_is_in_the_bucket_and_prefix_under_the_buckets_key(template: dict, ids: dict) -> None:
    def storage(group: str) -> dict:
        return props(template, ids[group])["OfflineStoreConfig"]["S3StorageConfig"]

    data_key = get_att(ids["data_key"], "Arn")
    assert storage("default") == {"S3Uri": s3_uri(ids["default_bucket"], "feature-store"), "KmsKeyId": data_key}
    assert storage("online") == {"S3Uri": s3_uri(ids["store"], "customers"), "KmsKeyId": data_key}
    # A bucket with a key of its own: the offline store uses the bucket's key, not encryption_key.
    assert storage("separate") == {
        "S3Uri": s3_uri(ids["own_key_bucket"], "feature-store"),
        "KmsKeyId": get_att(ids["own_key"], "Arn"),
    }


def test_created_offline_store_bucket_is_a_retained_secure_bucket_under_the_key(template: dict, ids: dict) -> None:
    bucket = template["Resources"][ids["default_bucket"]]
    rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": get_att(ids["data_key"], "Arn")},
    }
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_defaults_are_visible_in_the_template(template: dict, ids: dict, synth: dict) -> None:
    resource = template["Resources"][ids["default"]]
    p = resource["Properties"]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert p["OnlineStoreConfig"] == {"EnableOnlineStore": False}
    assert p["OfflineStoreConfig"]["DisableGlueTableCreation"] is True
    assert p["OfflineStoreConfig"]["TableFormat"] == "Glue"
    assert p["RoleArn"] == get_att(ids["plain_role"], "Arn")
    assert "Description" not in p and "ThroughputConfig" not in p
    # CloudFormation requires a name: one derived from the construct path, valid for the API.
    name = synth["constructs"]["default"].feature_group_name
    assert p["FeatureGroupName"] == name and name.startswith("Test-Basic-") and NAME_PATTERN.match(name)


def test_opt_ins_and_opt_outs_are_visible_in_the_template(template: dict, ids: dict) -> None:
    online = props(template, ids["online"])
    assert online["OfflineStoreConfig"]["DisableGlueTableCreation"] is False
    assert online["OfflineStoreConfig"]["TableFormat"] == "Iceberg"
    assert online["FeatureGroupName"] == "customer-features_v2"
    assert online["Description"] == "Customer features for churn models"
    assert online["RoleArn"] == get_att(ids["writer"], "Arn")
    online_only = template["Resources"][ids["online_only"]]
    assert "OfflineStoreConfig" not in online_only["Properties"] and "RoleArn" not in online_only["Properties"]
    assert online_only["DeletionPolicy"] == "RetainExceptOnCreate"  # the online store's records exist nowhere else


def test_feature_definitions_follow_the_mapping(template: dict, ids: dict) -> None:
    p = props(template, ids["default"])
    assert p["FeatureDefinitions"] == [{"FeatureName": n, "FeatureType": t} for n, t in FEATURES.items()]
    assert (p["RecordIdentifierFeatureName"], p["EventTimeFeatureName"]) == ("customer_id", "event_time")


def test_attributes_say_what_to_grant_and_the_execution_role_recipe_grants_it(
    synth: dict, template: dict, ids: dict
) -> None:
    c = synth["constructs"]
    online, default, online_only = c["online"], c["default"], c["online_only"]
    assert online.offline_store_bucket is c["store"] and online.offline_store_prefix == "customers"
    assert online.offline_store_encryption_key is c["store"].key and online.encryption_key is c["keys"].data_key
    assert online.role is c["writer"].role and default.role is c["plain_role"]
    assert isinstance(default.offline_store_bucket, SecureBucket) and default.offline_store_prefix == "feature-store"
    assert (online.online_store_enabled, online.offline_store_enabled, online.glue_table_created) == (True, True, True)
    assert (default.online_store_enabled, default.offline_store_enabled, default.glue_table_created) == (
        False,
        True,
        False,
    )
    assert (
        online_only.offline_store_bucket,
        online_only.offline_store_prefix,
        online_only.offline_store_s3_uri,
        online_only.role,
    ) == (None,) * 4
    assert dict(online.features) == FEATURES and online.feature_group_name == "customer-features_v2"
    assert (online.record_identifier_feature_name, online.event_time_feature_name) == ("customer_id", "event_time")
    with pytest.raises(TypeError):
        online.features["extra"] = "String"  # read-only mapping
    with pytest.raises(AttributeError):
        online.feature_group = None  # read-only attribute
    # Given as write_prefixes too, the group's grant adds nothing: the writes under the prefix and the bucket's key.
    statements = props(template, ids["writer_policy"])["PolicyDocument"]["Statement"]
    objects = [r for s in statements if "s3:PutObject" in s["Action"] for r in s["Resource"]]
    assert {"Fn::Join": ["", [get_att(ids["store"], "Arn"), "/customers/*"]]} in objects
    keys = [s["Resource"] for s in statements if "kms:GenerateDataKey" in s["Action"]]
    assert any(get_att(ids["data_key"], "Arn") in (r if isinstance(r, list) else [r]) for r in keys)


def test_the_group_grants_its_execution_role_write_access_to_its_offline_store(synth: dict) -> None:
    ids = synth["granted_ids"]
    objects, keys = Capture(), Capture()
    Template.from_json(synth["templates"]["Granted"]).has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Sid": "ReadWriteObjects", "Resource": objects}),
                        Match.object_like({"Sid": "UseKeys", "Resource": keys}),
                    ]
                )
            }
        },
    )
    assert objects.as_object() == {"Fn::Join": ["", [get_att(ids["bucket"], "Arn"), "/feature-store/*"]]}
    assert keys.as_object() == get_att(ids["data_key"], "Arn")


def test_execution_role_and_iam_role_give_the_same_template(synth: dict) -> None:
    """Two stacks built alike, one passing the ExecutionRole and one its ``role``: identical but for the stack names."""
    with_execution_role, with_iam_role = synth["templates"]["WithExecutionRole"], synth["templates"]["WithIamRole"]
    assert resources(with_execution_role, FEATURE_GROUP) == resources(with_iam_role, FEATURE_GROUP)
    renamed = json.loads(json.dumps(with_iam_role).replace("WithIamRole/", "WithExecutionRole/"))
    assert renamed == with_execution_role
    (group,) = resources(with_iam_role, FEATURE_GROUP).values()
    (role_id,) = resources(with_iam_role, "AWS::IAM::Role")
    assert group["Properties"]["RoleArn"] == get_att(role_id, "Arn")


# --- nag and cfn-lint ------------------------------------------------------------------------------------


def test_our_pack_reports_nothing(synth: dict) -> None:
    for name in ("Test", "WithExecutionRole"):
        assert [(f.rule_id, f.resource, f.detail) for f in check_body(synth["templates"][name], name=name)] == []


def test_our_pack_reports_unencrypted_stores_positive_control(synth: dict) -> None:
    findings = {(f.rule_id, f.resource) for f in check_body(synth["templates"]["Control"], name="Control")}
    assert findings == {
        ("SageMakerSecurity-FeatureGroupOnlineStoreKms", "Bare"),
        ("SageMakerSecurity-FeatureGroupOfflineStoreKms", "Bare"),
    }


def test_stock_packs_leave_only_replication_of_the_buckets(synth: dict) -> None:
    """Nothing on the feature groups; the buckets' cross-Region replication is the deployment's decision.

    Like every SecureBucket, the created offline store bucket leaves replication to the caller
    (the baseline acknowledges it); the only acknowledgments are the access-log buckets' and the
    execution roles' own, none from feature_store.py.
    """
    reports = synth["report"]["pluginReports"]
    violations = {
        (v["ruleName"], c["constructPath"]) for r in reports for v in r["violations"] for c in v["violatingConstructs"]
    }
    buckets = [
        "Store/Bucket",
        "Store/AccessLogs/Bucket",
        "OwnKey/Bucket",
        "OwnKey/AccessLogs/Bucket",
        "Basic/OfflineStore/Bucket",
        "Basic/OfflineStore/AccessLogs/Bucket",
    ]
    assert {v for v in violations if v[1].startswith("Test/")} == {
        (f"{pack}-S3BucketReplicationEnabled", f"Test/{b}/Resource") for pack in COMPLIANCE_PACKS for b in buckets
    }
    assert {v for v in violations if v[1].startswith("WithExecutionRole/")} == {
        (f"{pack}-S3BucketReplicationEnabled", f"WithExecutionRole/{b}/Resource")
        for pack in COMPLIANCE_PACKS
        for b in ("Store/Bucket", "Store/AccessLogs/Bucket")
    }
    suppressed = {
        (v["ruleName"].split("[", 1)[0], c["constructPath"].removesuffix("/Resource"))
        for r in reports
        for v in r.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
        if c["constructPath"].startswith("Test/")
    }
    assert {path for _, path in suppressed} == {
        "Test/Store/AccessLogs/Bucket",
        "Test/OwnKey/AccessLogs/Bucket",
        "Test/Basic/OfflineStore/AccessLogs/Bucket",
        "Test/Writer/Policy",
    }
    assert {rule for rule, path in suppressed if path.startswith("Test/Basic/")} == {
        f"{pack}-S3DefaultEncryptionKMS" for pack in COMPLIANCE_PACKS
    }


# --- enforcement -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """A stack with a key, a role and a bucket, for constructs that must fail (never synthesized)."""
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    return {
        "stack": stack,
        "key": keys.data_key,
        "alias": kms.Alias(stack, "Alias", alias_name="alias/features", target_key=keys.data_key),
        "role": iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal(SAGEMAKER)),
        "bucket": SecureBucket(stack, "Bucket", encryption_key=keys.data_key),
        "plain_bucket": s3.Bucket.from_bucket_name(stack, "Plain", "plain-bucket"),
        "count": iter(range(10_000)),
    }


def _group(b: dict[str, Any], **overrides: Any) -> SecureFeatureGroup:
    required = {"encryption_key": b["key"], "role": b["role"], **NAMES}
    return SecureFeatureGroup(b["stack"], f"FG{next(b['count'])}", **{**required, **overrides})


@pytest.mark.parametrize(
    "overrides, mutate, what",
    [
        (
            {},
            lambda g: setattr(
                g.feature_group, "offline_store_config", {"S3StorageConfig": {"S3Uri": "s3://elsewhere/x"}}
            ),
            "OfflineStoreConfig.S3StorageConfig",
        ),
        # No offline store config at all: the rule has nothing to check, the construct's identity check does.
        ({}, lambda g: setattr(g.feature_group, "offline_store_config", None), "OfflineStoreConfig.S3StorageConfig"),
        (
            {},
            lambda g: setattr(
                g.feature_group,
                "offline_store_config",
                {"S3StorageConfig": {"S3Uri": "s3://elsewhere/x", "KmsKeyId": "alias/aws/s3"}},
            ),
            "SageMakerSecurity-FeatureGroupOfflineStoreKms",
        ),
        (
            {"online_store": True},
            lambda g: setattr(g.feature_group, "online_store_config", {"EnableOnlineStore": True}),
            "SageMakerSecurity-FeatureGroupOnlineStoreKms",
        ),
    ],
)
def test_encryption_is_checked_again_at_synth(base: dict, overrides: dict, mutate: Callable, what: str) -> None:
    group = _group(base, **overrides)
    assert group.node.validate() == []
    mutate(group)
    errors = group.node.validate()
    assert any(what in e for e in errors), errors
    assert all("is enforced by this construct" in e and "Fix:" in e for e in errors)


@pytest.mark.parametrize(
    "ttl, unit, value",
    [
        (cdk.Duration.seconds(90), "Seconds", 90),
        (cdk.Duration.minutes(90), "Minutes", 90),
        (cdk.Duration.hours(48), "Days", 2),
        (cdk.Duration.days(14), "Weeks", 2),
        (cdk.Duration.millis(60_000), "Minutes", 1),
    ],
)
def test_ttl_is_written_in_the_largest_whole_unit(base: dict, ttl: cdk.Duration, unit: str, value: int) -> None:
    group = _group(base, online_store=True, online_ttl=ttl)
    assert group.feature_group.online_store_config["TtlDuration"] == {"Unit": unit, "Value": value}


def test_a_token_group_name_is_not_checked(base: dict) -> None:
    name = cdk.CfnParameter(base["stack"], "GroupName").value_as_string
    assert _group(base, feature_group_name=name).feature_group_name == name


def test_largest_feature_count_is_accepted(base: dict) -> None:
    features = {**FEATURES, **{f"f{i}": "Integral" for i in range(MAX_FEATURES - len(FEATURES))}}
    assert len(_group(base, features=features).features) == MAX_FEATURES


# --- bad input -------------------------------------------------------------------------------------------

TOO_MANY = {**FEATURES, **{f"f{i}": "Integral" for i in range(MAX_FEATURES + 1 - len(FEATURES))}}

BAD: list[tuple[str, str, Callable[[dict], dict]]] = [
    ("encryption_key", "has no key_arn", lambda b: {"encryption_key": "arn:aws:kms:eu-west-1:111111111111:key/abc"}),
    ("encryption_key", "has no key_arn", lambda b: {"encryption_key": None}),
    ("encryption_key", "is a KMS alias", lambda b: {"encryption_key": b["alias"]}),
    ("record_identifier_feature_name", "is not one of features", lambda b: {"record_identifier_feature_name": "id"}),
    ("event_time_feature_name", "is not one of features", lambda b: {"event_time_feature_name": "ts"}),
    ("event_time_feature_name", "is a Integral feature", lambda b: {"event_time_feature_name": "age"}),
    ("features['age']", "is not a feature type", lambda b: {"features": {**FEATURES, "age": "Integer"}}),
    ("features['age']", "is not a feature type", lambda b: {"features": {**FEATURES, "age": "string"}}),
    ("features", "is not a valid feature name", lambda b: {"features": {**FEATURES, "home town": "String"}}),
    ("features", "is not a valid feature name", lambda b: {"features": {**FEATURES, "_private": "String"}}),
    ("features", "is not a valid feature name", lambda b: {"features": {**FEATURES, "x" * 65: "String"}}),
    ("features", "is a int, not a str", lambda b: {"features": {**FEATURES, 7: "String"}}),
    ("features", "Feature Store reserves", lambda b: {"features": {**FEATURES, "write_time": "String"}}),
    ("features", "differs from feature 'age' only in case", lambda b: {"features": {**FEATURES, "Age": "Integral"}}),
    ("features", "is not 1 to 2500 features", lambda b: {"features": TOO_MANY}),
    ("features", "is not 1 to 2500 features", lambda b: {"features": {}}),
    ("features", "is not a mapping", lambda b: {"features": list(FEATURES.items())}),
    ("feature_group_name", "is not a valid feature group name", lambda b: {"feature_group_name": "customer features"}),
    ("feature_group_name", "is not a valid feature group name", lambda b: {"feature_group_name": "features-"}),
    ("feature_group_name", "is not a valid feature group name", lambda b: {"feature_group_name": "f" * 65}),
    ("role", "has no role_arn", lambda b: {"role": "arn:aws:iam::111111111111:role/FeatureWriter"}),
    ("role", "has no role_arn", lambda b: {"role": b["bucket"]}),
    ("role", "is missing", lambda b: {"role": None}),
    ("offline_store", "so the group stores nothing", lambda b: {"offline_store": False}),
    (
        "offline_store_bucket",
        "only applies to the offline store",
        lambda b: {"offline_store": False, "online_store": True, "offline_store_bucket": b["bucket"]},
    ),
    (
        "create_glue_table",
        "only applies to the offline store",
        lambda b: {"offline_store": False, "online_store": True, "create_glue_table": True},
    ),
    (
        "offline_store_prefix",
        "only applies to the offline store",
        lambda b: {"offline_store": False, "online_store": True, "offline_store_prefix": "x"},
    ),
    ("offline_store_bucket", "has no known encryption key", lambda b: {"offline_store_bucket": b["plain_bucket"]}),
    ("offline_store_bucket", "has no bucket_name", lambda b: {"offline_store_bucket": "features-bucket"}),
    ("offline_store_prefix", "is not an S3 key prefix", lambda b: {"offline_store_prefix": "/features"}),
    ("offline_store_prefix", "is not an S3 key prefix", lambda b: {"offline_store_prefix": "s3://bucket/features"}),
    ("offline_store_prefix", "is not an S3 key prefix", lambda b: {"offline_store_prefix": ""}),
    ("table_format", "is not a table format", lambda b: {"table_format": "Parquet"}),
    ("table_format", "needs a Glue table", lambda b: {"table_format": "Iceberg"}),
    ("online_ttl", "only applies to the online store", lambda b: {"online_ttl": cdk.Duration.days(1)}),
    (
        "online_ttl",
        "is not a whole number of seconds",
        lambda b: {"online_store": True, "online_ttl": cdk.Duration.millis(1500)},
    ),
    ("online_ttl", "is a int, not a Duration", lambda b: {"online_store": True, "online_ttl": 3600}),
    ("description", "more than 128", lambda b: {"description": "x" * 129}),
    ("online_store", "is a str, not a bool", lambda b: {"online_store": "yes"}),
]


@pytest.mark.parametrize("prop, problem, case", BAD, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BAD)])
def test_bad_input_fails_at_construct_time_naming_the_prop(base: dict, prop: str, problem: str, case: Callable) -> None:
    with pytest.raises(PropError) as raised:
        _group(base, **case(base))
    message = str(raised.value)
    assert message.startswith("SecureFeatureGroup(Test/FG")
    assert f": {prop}=" in message and problem in message and "Fix: " in message


def test_existing_bucket_and_props_to_make_one_conflict(base: dict) -> None:
    log_bucket = s3.Bucket.from_bucket_name(base["stack"], "Logs", "access-logs")
    with pytest.raises(
        PropError,
        match="both offline_store_bucket and offline_store_access_log_bucket.*drop offline_store_access_log_bucket",
    ):
        _group(base, offline_store_bucket=base["bucket"], offline_store_access_log_bucket=log_bucket)


# Last, so that the cfn-lint started by the fixture has run alongside the tests above.
def test_cfn_lint_reports_nothing(synth: dict) -> None:
    assert synth["cfn_lint"].result() == (0, "", "")
