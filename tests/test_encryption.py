"""KeyRing and new_customer_managed_key: rotation, retention, aliases, key policies, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.encryption import KeyRing, new_customer_managed_key
from tests.helpers import new_app, new_stack, resources, synth_with_stock_packs

ACCOUNT = {"Ref": "AWS::AccountId"}
REGION = {"Ref": "AWS::Region"}
PARTITION = {"Ref": "AWS::Partition"}
ROOT = {"Fn::Join": ["", ["arn:", PARTITION, ":iam::", ACCOUNT, ":root"]]}
CRYPTO_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant"}


def via(service: str) -> dict:
    return {"Fn::Join": ["", [f"{service}.", REGION, ".", {"Ref": "AWS::URLSuffix"}]]}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> tuple[dict, dict, dict[str, str]]:
    """One synth: a default KeyRing, a customised one with an extra key, the four stock packs."""
    outdir = tmp_path_factory.mktemp("encryption")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    default = KeyRing(stack, "Keys")
    custom = KeyRing(
        stack,
        "Custom",
        alias_prefix="team-a/ml",
        rotation_period=cdk.Duration.days(730),
        pending_window=cdk.Duration.days(7),
    )
    alerts = custom.add_key("alerts", description="alert topics", via_services=["sns"])
    custom.allow_service(
        "alerts",
        "cloudwatch.amazonaws.com",
        ["kms:Decrypt", "kms:GenerateDataKey*"],
        {"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
        sid="CloudWatchAlarms",
    )
    ids = {p: stack.resolve(stack.get_logical_id(k.node.default_child)) for p, k in default.keys.items()}
    ids.update(
        {f"custom-{p}": stack.resolve(stack.get_logical_id(k.node.default_child)) for p, k in custom.keys.items()}
    )
    assert alerts is custom.key("alerts")
    error = synth_with_stock_packs(app)
    assert error is None, error  # ValidationFailed: an unacknowledged error finding
    template = json.loads((Path(outdir) / "Test.template.json").read_text())
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    return template, report, ids


@pytest.fixture(scope="module")
def template(synth) -> dict:
    return synth[0]


@pytest.fixture(scope="module")
def key_ids(synth) -> dict[str, str]:
    return synth[2]


def statements(template: dict, logical_id: str) -> list[dict]:
    return template["Resources"][logical_id]["Properties"]["KeyPolicy"]["Statement"]


def by_sid(template: dict, logical_id: str) -> dict[str, dict]:
    return {s.get("Sid"): s for s in statements(template, logical_id)}


def test_stock_packs_report_nothing_on_key_rings(synth):
    _, report, _ = synth
    findings = [
        (v["ruleName"], c["constructPath"])
        for plugin in report["pluginReports"]
        for kind in ("violations", "suppressedViolations")
        for v in plugin.get(kind, [])
        for c in v["violatingConstructs"]
    ]
    assert findings == []


def test_default_key_logical_ids_are_stable(template, key_ids, snapshot):
    # A changed logical id replaces (and, with Retain, orphans) a key in every deployment: the ids
    # are the snapshot in __snapshots__/test_encryption.ambr.
    default_ids = {purpose: key_ids[purpose] for purpose in ("data", "models", "logs")}
    assert default_ids == snapshot
    assert set(default_ids.values()) <= set(resources(template, "AWS::KMS::Key"))


def test_every_key_rotates_with_the_configured_period(template, key_ids):
    keys = resources(template, "AWS::KMS::Key")
    assert len(keys) == 7
    expected = {key_ids[p]: 365 for p in ("data", "models", "logs")}
    expected |= {key_ids[f"custom-{p}"]: 730 for p in ("data", "models", "logs", "alerts")}
    assert {
        k: (v["Properties"]["EnableKeyRotation"], v["Properties"]["RotationPeriodInDays"]) for k, v in keys.items()
    } == {k: (True, days) for k, days in expected.items()}


def test_every_key_is_retained_with_its_pending_window(template, key_ids):
    for logical_id, key in resources(template, "AWS::KMS::Key").items():
        assert key["DeletionPolicy"] == "RetainExceptOnCreate"
        assert key["UpdateReplacePolicy"] == "Retain"
        window = 7 if logical_id.startswith("Custom") else 30
        assert key["Properties"]["PendingWindowInDays"] == window, logical_id


def test_every_key_has_its_alias(template, key_ids):
    aliases = {
        a["Properties"]["AliasName"]: a["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]
        for a in resources(template, "AWS::KMS::Alias").values()
    }
    assert aliases == {
        "alias/Test/data": key_ids["data"],
        "alias/Test/models": key_ids["models"],
        "alias/Test/logs": key_ids["logs"],
        "alias/team-a/ml/data": key_ids["custom-data"],
        "alias/team-a/ml/models": key_ids["custom-models"],
        "alias/team-a/ml/logs": key_ids["custom-logs"],
        "alias/team-a/ml/alerts": key_ids["custom-alerts"],
    }


def test_no_key_policy_grants_kms_star_or_any_principal(template):
    for logical_id in resources(template, "AWS::KMS::Key"):
        for statement in statements(template, logical_id):
            assert statement["Effect"] == "Allow"
            actions = set(as_list(statement["Action"]))
            assert not actions & {"kms:*", "*"}, (logical_id, statement)
            assert statement["Principal"] not in ("*", {"AWS": "*"}), (logical_id, statement)


def test_administration_has_no_cryptographic_actions(template):
    for logical_id in resources(template, "AWS::KMS::Key"):
        admin = by_sid(template, logical_id)["KeyAdministration"]
        assert admin["Principal"] == {"AWS": ROOT}
        actions = set(as_list(admin["Action"]))
        assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"} <= actions
        assert not actions & (CRYPTO_ACTIONS | {"kms:DisableKeyRotation"}), logical_id
        assert not any(a.endswith("*") for a in actions), "families such as Create* include CreateGrant"
        assert "Condition" not in admin


def test_every_other_statement_is_conditioned(template):
    for logical_id in resources(template, "AWS::KMS::Key"):
        for sid, statement in by_sid(template, logical_id).items():
            if sid != "KeyAdministration":
                assert statement.get("Condition"), (logical_id, sid)


@pytest.mark.parametrize(
    "purpose, services",
    [
        ("data", ["s3", "sagemaker", "elasticfilesystem", "ec2"]),
        ("models", ["s3", "sagemaker", "ec2", "ecr"]),
        ("custom-alerts", ["sns"]),
    ],
)
def test_use_only_through_services_of_this_account(template, key_ids, purpose, services):
    policy = by_sid(template, key_ids[purpose])
    use, grants = policy["UseThroughAwsServices"], policy["GrantsForAwsResources"]
    scope = {"kms:CallerAccount": ACCOUNT, "kms:ViaService": [via(s) for s in services]}
    assert use["Principal"] == grants["Principal"] == {"AWS": ROOT}
    assert set(use["Action"]) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    }
    assert use["Condition"] == {"StringEquals": scope}
    assert set(grants["Action"]) == {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    assert grants["Condition"] == {"StringEquals": scope, "Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_logs_key_admits_cloudwatch_logs_of_this_account_and_region_only(template, key_ids):
    for logs_key in (key_ids["logs"], key_ids["custom-logs"]):
        policy = by_sid(template, logs_key)
        assert set(policy) == {"KeyAdministration", "CloudWatchLogsOfThisAccountAndRegion"}
        logs = policy["CloudWatchLogsOfThisAccountAndRegion"]
        assert logs["Principal"] == {"Service": via("logs")}
        assert set(logs["Action"]) == {
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        }
        assert logs["Condition"] == {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": {
                    "Fn::Join": ["", ["arn:", PARTITION, ":logs:", REGION, ":", ACCOUNT, ":*"]]
                }
            }
        }


def test_allow_service_adds_a_scoped_statement(template, key_ids):
    statement = by_sid(template, key_ids["custom-alerts"])["CloudWatchAlarms"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_cdk_grants_land_in_the_role_policy_and_leave_the_key_policy_alone():
    stack = new_stack()
    ring = KeyRing(stack, "Keys")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket = s3.Bucket(stack, "Bucket", encryption_key=ring.data_key)
    bucket.grant_read(role)
    template = Template.from_stack(stack).to_json()
    key_id = stack.resolve(stack.get_logical_id(ring.data_key.node.default_child))
    assert set(by_sid(template, key_id)) == {"KeyAdministration", "UseThroughAwsServices", "GrantsForAwsResources"}
    (policy,) = resources(template, "AWS::IAM::Policy").values()
    kms_statements = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "kms:Decrypt" in as_list(s["Action"])
    ]
    assert [s["Resource"] for s in kms_statements] == [{"Fn::GetAtt": [key_id, "Arn"]}]


def test_new_customer_managed_key_shares_the_key_shape():
    stack = new_stack()
    key = new_customer_managed_key(stack, "Key", description="own", alias="alias/own/key", via_services=["s3"])
    template = Template.from_stack(stack).to_json()
    (resource,) = resources(template, "AWS::KMS::Key").values()
    props = resource["Properties"]
    assert (props["EnableKeyRotation"], props["RotationPeriodInDays"], props["PendingWindowInDays"]) == (True, 365, 30)
    assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
    key_id = stack.resolve(stack.get_logical_id(key.node.default_child))
    assert by_sid(template, key_id)["UseThroughAwsServices"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        via("s3")
    ]
    (alias,) = resources(template, "AWS::KMS::Alias").values()
    assert alias["Properties"]["AliasName"] == "alias/own/key"


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "props, prop",
    [
        ({"rotation_period": cdk.Duration.days(89)}, "rotation_period"),
        ({"rotation_period": cdk.Duration.days(2561)}, "rotation_period"),
        ({"rotation_period": 365}, "rotation_period"),
        ({"rotation_period": cdk.Duration.hours(90 * 24 + 1)}, "rotation_period"),
        ({"pending_window": cdk.Duration.days(6)}, "pending_window"),
        ({"pending_window": cdk.Duration.days(31)}, "pending_window"),
        ({"pending_window": "30"}, "pending_window"),
        ({"alias_prefix": "aws-team"}, "alias_prefix"),
        ({"alias_prefix": "AWS/team"}, "alias_prefix"),
        ({"alias_prefix": "alias/team"}, "alias_prefix"),
        ({"alias_prefix": "team prefix"}, "alias_prefix"),
        ({"alias_prefix": "team/"}, "alias_prefix"),
        ({"alias_prefix": "/team"}, "alias_prefix"),
        ({"alias_prefix": "team//ml"}, "alias_prefix"),
        ({"alias_prefix": ""}, "alias_prefix"),
        ({"alias_prefix": "a" * 218}, "alias_prefix"),
        ({"alias_prefix": 7}, "alias_prefix"),
    ],
)
def test_bad_props_fail_naming_the_prop(props, prop):
    with pytest.raises(PropError) as error:
        KeyRing(new_stack(), "Keys", **props)
    message = str(error.value)
    assert f"{prop}=" in message and "Fix:" in message and "KeyRing(Test/Keys)" in message


@pytest.mark.parametrize("days", [90, 2560])
def test_rotation_period_limits_are_accepted(days):
    ring = KeyRing(new_stack(), "Keys", rotation_period=cdk.Duration.days(days), alias_prefix="a" * 217)
    assert ring.data_key.node.default_child.rotation_period_in_days == days


def test_new_customer_managed_key_validates_rotation():
    with pytest.raises(PropError, match="rotation_period="):
        new_customer_managed_key(new_stack(), "Key", description="x", rotation_period=cdk.Duration.days(2561))


@pytest.mark.parametrize("purpose", ["Alerts", "1st", "a_b", "", "data", "x" * 33])
def test_add_key_rejects_bad_or_taken_purposes(purpose):
    ring = KeyRing(new_stack(), "Keys")
    with pytest.raises(PropError, match="purpose="):
        ring.add_key(purpose, description="x")


def test_unknown_purpose_names_the_known_ones():
    ring = KeyRing(new_stack(), "Keys")
    with pytest.raises(KeyError, match="data"):
        ring.key("audit")


@pytest.mark.parametrize(
    "actions, conditions, prop",
    [
        (["kms:Decrypt"], {}, "conditions="),
        (["kms:*"], {"StringEquals": {"aws:SourceAccount": "1"}}, "actions="),
        ([], {"StringEquals": {"aws:SourceAccount": "1"}}, "actions="),
    ],
)
def test_allow_service_refuses_unscoped_or_kms_star(actions, conditions, prop):
    ring = KeyRing(new_stack(), "Keys")
    with pytest.raises(PropError, match=prop):
        ring.allow_service("data", "sns.amazonaws.com", actions, conditions)


def test_allow_service_refuses_a_key_of_another_ring():
    stack = new_stack()
    ring, other = KeyRing(stack, "Keys"), KeyRing(stack, "Other", alias_prefix="other")
    with pytest.raises(PropError, match="purpose_or_key="):
        ring.allow_service(
            other.data_key, "sns.amazonaws.com", ["kms:Decrypt"], {"StringEquals": {"aws:SourceAccount": "1"}}
        )


@pytest.mark.parametrize(
    ("tamper", "enforced"),
    [
        (
            lambda key: setattr(key.node.default_child, "enable_key_rotation", False),
            "SageMakerSecurity-KmsKeyRotation (EnableKeyRotation is false)",
        ),
        # The period is what only the construct knows: an identity check, not a rule.
        (lambda key: setattr(key.node.default_child, "rotation_period_in_days", 2560), "RotationPeriodInDays 180"),
        (
            lambda key: setattr(key.node.default_child, "enable_key_rotation", None),
            "SageMakerSecurity-KmsKeyRotation (EnableKeyRotation is not set",
        ),
    ],
    ids=["rotation-off", "other-period", "rotation-unset"],
)
def test_rotation_turned_off_after_construction_fails_synthesis(tamper, enforced):
    """Rotation 'cannot be turned off': not even by setting the L1 key's properties after construction.

    (Raw overrides, ``add_property_override``, bypass construct validation; the rule pack reads the
    final template and reports them: see test_raw_overrides_are_left_to_the_rule_pack.)
    """
    app = new_app()
    keys = KeyRing(cdk.Stack(app, "Test"), "Keys", rotation_period=cdk.Duration.days(180))
    tamper(keys.data_key)
    with pytest.raises(RuntimeError, match=r"Validation failed") as raised:
        app.synth()
    assert f"{enforced}" in str(raised.value) and "is enforced by this construct" in str(raised.value)
    assert "Test/Keys/DataKey/Resource was changed after construction" in str(raised.value)


def test_raw_overrides_are_left_to_the_rule_pack():
    """A raw override is invisible to construct validation, but not to SageMakerSecurity-KmsKeyRotation."""
    from secure_sagemaker.nag.engine import check_body

    app = new_app()
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    keys.data_key.node.default_child.add_property_override("EnableKeyRotation", False)
    template = app.synth().get_stack_by_name("Test").template
    assert [f.rule_id for f in check_body(template, name="Test")] == ["SageMakerSecurity-KmsKeyRotation"]


def test_default_alias_prefix_is_the_stack_name_so_two_stacks_never_share_an_alias():
    app = new_app()
    first, second = (KeyRing(cdk.Stack(app, name), "Keys") for name in ("TeamA", "TeamB"))
    assert (first.alias_prefix, second.alias_prefix) == ("TeamA", "TeamB")


def test_two_rings_of_one_stack_need_their_own_prefixes():
    stack = new_stack()
    KeyRing(stack, "Keys")
    with pytest.raises(PropError, match=r"alias_prefix='Test' is already the alias prefix of Test/Keys"):
        KeyRing(stack, "MoreKeys")
    assert KeyRing(stack, "OtherKeys", alias_prefix="Test-other").alias_prefix == "Test-other"


def test_purposes_choose_the_standard_keys_and_logs_is_always_there():
    ring = KeyRing(new_stack(), "Keys", purposes=("logs",))
    assert sorted(ring.keys) == ["logs"]
    with pytest.raises(KeyError, match="data"):
        _ = ring.data_key
    with pytest.raises(PropError, match="purposes="):
        KeyRing(new_stack(), "Keys", purposes=("data", "secrets"))
