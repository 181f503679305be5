"""The validation vocabulary (``secure_sagemaker._validation``) and the synth-time re-check of enforced
controls (``secure_sagemaker._enforced``), on their own: every construct uses these, so each rule of
the vocabulary is pinned once here, with the message a user reads."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from secure_sagemaker._enforced import enforce_rules, registered_rules, render_properties
from secure_sagemaker._flatten import NAG_IDS, READABLE, TOKEN_MARK, TOKENS, flatten
from secure_sagemaker._validation import (
    PropError,
    flatten_resolved,
    require_finite_retention,
    require_instance_type,
    require_whole_number,
    s3_key_prefix,
)
from secure_sagemaker.acknowledgments import flatten_cfn_reference
from secure_sagemaker.securitydiff.iam import readable
from tests.helpers import new_app

# --- instance types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "instance_type",
    ["ml.m5.large", "ml.t3.medium", "ml.p4de.24xlarge", "ml.trn1n.32xlarge", "ml.p6-b200.48xlarge", "ml.g6e.xlarge"],
)
def test_instance_types_accepted_everywhere(instance_type: str) -> None:
    assert require_instance_type("C(Test/X)", "instance_type", instance_type, "ml.m5.large") == instance_type


@pytest.mark.parametrize("instance_type", ["m5.large", "ml.m5", "ml.M5.large", "ml..large", "ml.m5.large\n", ""])
def test_anything_else_is_refused_naming_prop_and_fix(instance_type: str) -> None:
    with pytest.raises(PropError) as raised:
        require_instance_type("C(Test/X)", "instance_type", instance_type, "ml.m5.large")
    message = str(raised.value)
    assert message.startswith(f"C(Test/X): instance_type={instance_type!r} is not an ml.* instance type.")
    assert "Fix: pass an ml.* instance type such as 'ml.m5.large'." in message


def test_an_instance_type_must_be_a_string() -> None:
    with pytest.raises(PropError, match="instance_type=5 is a int, not a str"):
        require_instance_type("C(Test/X)", "instance_type", 5, "ml.m5.large")


def test_an_unresolved_instance_type_passes() -> None:
    token = cdk.Aws.REGION
    assert require_instance_type("C(Test/X)", "instance_type", token, "ml.m5.large") == token


# --- whole numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [5, 6, 16_384])
def test_whole_numbers_in_range_pass(value: int) -> None:
    assert require_whole_number("C(Test/X)", "volume_size_gb", value, 5, 16_384, "GB") == value


@pytest.mark.parametrize(
    "value, problem",
    [
        (4, "is outside 5..16384 GB"),
        (16_385, "is outside 5..16384 GB"),
        (5.5, "is a float, not a int"),
        (True, "is a bool, not a int"),
        ("20", "is a str, not a int"),
    ],
)
def test_whole_numbers_out_of_range_or_of_another_type_fail(value: object, problem: str) -> None:
    with pytest.raises(PropError) as raised:
        require_whole_number("C(Test/X)", "volume_size_gb", value, 5, 16_384, "GB")
    assert f"C(Test/X): volume_size_gb={value!r} {problem}. Fix: pass a whole number of GB from 5 to 16384." == str(
        raised.value
    )


# --- S3 key prefixes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, normalised",
    [("capture", "capture"), ("capture/", "capture"), ("a/b/c/", "a/b/c"), ("models/v1.2_x-y", "models/v1.2_x-y")],
)
def test_key_prefixes_are_normalised_without_slashes_at_the_ends(value: str, normalised: str) -> None:
    assert s3_key_prefix("C(Test/X)", "prefix", value, "capture/") == normalised


@pytest.mark.parametrize("value", ["", "/", "//", "/capture", "a//b", "s3://bucket/capture", "capture/*", "cap?ture"])
def test_what_is_not_a_key_prefix_fails_naming_prop_and_fix(value: str) -> None:
    with pytest.raises(PropError) as raised:
        s3_key_prefix("C(Test/X)", "prefix", value, "capture/")
    assert str(raised.value) == (
        f"C(Test/X): prefix={value!r} is not an S3 key prefix. Fix: pass a key prefix such as 'capture/'."
    )


def test_a_prefix_too_long_for_the_uri_fails() -> None:
    s3_key_prefix("C(Test/X)", "prefix", "x" * 10, "capture/", max_uri_length=80, uri="capture URI")
    with pytest.raises(PropError, match="makes the capture URI longer than 80 characters. Fix: shorten the prefix"):
        s3_key_prefix("C(Test/X)", "prefix", "x" * 12, "capture/", max_uri_length=80, uri="capture URI")


def test_unresolved_prefixes_pass_unless_a_literal_is_required() -> None:
    token = cdk.Aws.REGION
    assert s3_key_prefix("C(Test/X)", "prefix", token, "capture/") == token
    with pytest.raises(PropError, match="is not a literal string. Fix: pass a literal key prefix"):
        s3_key_prefix("C(Test/X)", "prefix", token, "capture/", literal=True)


# --- one flattener, three styles ----------------------------------------------------------------

ARN = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Fn::GetAtt": ["Bucket", "Arn"]}, "/x/*"]]}


def test_tokens_style_marks_each_intrinsic() -> None:
    mark = TOKEN_MARK
    assert flatten_resolved(ARN) == (
        f'arn:{mark}{{"Ref": "AWS::Partition"}}{mark}:s3:::{mark}{{"Fn::GetAtt": ["Bucket", "Arn"]}}{mark}/x/*'
    )
    assert flatten_resolved(5) == "5" and flatten_resolved("plain") == "plain"
    assert flatten(ARN, TOKENS) == flatten_resolved(ARN)


def test_nag_ids_style_is_cdk_nags_flatten_cfn_reference() -> None:
    assert flatten_cfn_reference(ARN) == "arn:<AWS::Partition>:s3:::<Bucket.Arn>/x/*"
    assert flatten_cfn_reference({"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"}) == "arn:<AWS::Partition>:s3:::b/*"
    assert flatten_cfn_reference({"Fn::ImportValue": "Out"}) == "Out"
    assert flatten_cfn_reference(None) == "" and flatten_cfn_reference({"Fn::If": [1]}) == '{"Fn::If":[1]}'
    assert flatten(ARN, NAG_IDS) == flatten_cfn_reference(ARN)


def test_readable_style_is_what_diff_shows() -> None:
    assert readable(ARN) == "arn:<AWS::Partition>:s3:::<Bucket.Arn>/x/*"
    assert readable('{"Ref": "Key"}') == "<Key>" and readable("{not json") == "{not json"
    assert readable({"Fn::GetAtt": "Role.Arn"}) == "<Role.Arn>"
    assert readable({"Fn::Sub": ["${A}-x", {}]}) == "${A}-x"
    assert flatten(ARN, READABLE) == readable(ARN)


# --- enforced controls --------------------------------------------------------------------------


def test_an_unknown_rule_id_fails_at_construct_time() -> None:
    with pytest.raises(ValueError, match="no registered rule has the id 'BucketVersionning'"):
        registered_rules(["BucketVersioning", "BucketVersionning"])


def _bucket_with_enforcement(**identity_value: object) -> tuple[cdk.App, s3.CfnBucket]:
    app = new_app()
    stack = cdk.Stack(app, "Test")
    bucket = s3.CfnBucket(
        stack, "Bucket", versioning_configuration=s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
    )
    enforce_rules(
        stack,
        resources=[bucket],
        rules=["BucketVersioning", "BucketKmsEncryption"],
        identity=[("the name this construct chose", lambda p: p.get("BucketName") == identity_value.get("name"))],
    )
    return app, bucket


def test_failed_verdicts_of_named_rules_and_identity_checks_are_errors_with_rule_id_path_and_fix() -> None:
    app, bucket = _bucket_with_enforcement(name="chosen")
    bucket.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(status="Suspended")
    errors = app.node.find_child("Test").node.validate()
    assert len(errors) == 3, errors
    versioning = next(e for e in errors if "SageMakerSecurity-BucketVersioning" in e)
    assert versioning.startswith("Stack(Test): SageMakerSecurity-BucketVersioning (VersioningConfiguration.Status is")
    assert "is enforced by this construct but the resource Test/Bucket was changed after construction." in versioning
    assert "Fix: remove the change" in versioning and "Set VersioningConfiguration.Status to Enabled" in versioning
    assert any("SageMakerSecurity-BucketKmsEncryption" in e for e in errors)
    assert any(e.startswith("Stack(Test): the name this construct chose is enforced") for e in errors)


def test_unverifiable_verdicts_are_not_errors() -> None:
    """A key of another stack (here: a parameter) cannot be verified from the construct's own resources."""
    app = new_app()
    stack = cdk.Stack(app, "Test")
    key = cdk.CfnParameter(stack, "KeyArn")
    bucket = s3.CfnBucket(
        stack,
        "Bucket",
        bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
            server_side_encryption_configuration=[
                s3.CfnBucket.ServerSideEncryptionRuleProperty(
                    server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                        sse_algorithm="aws:kms", kms_master_key_id=key.value_as_string
                    )
                )
            ]
        ),
    )
    enforce_rules(stack, resources=[bucket], rules=["BucketKmsEncryption"])
    assert stack.node.validate() == []


def test_render_properties_is_what_the_template_holds() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Test")
    bucket = s3.CfnBucket(
        stack, "Bucket", versioning_configuration=s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
    )
    assert render_properties(bucket) == {"VersioningConfiguration": {"Status": "Enabled"}}
    written = app.synth().get_stack_by_name("Test").template["Resources"]
    assert written[stack.resolve(bucket.logical_id)]["Properties"] == render_properties(bucket)


@pytest.mark.parametrize(
    "value, problem",
    [
        (logs.RetentionDays.INFINITE, "keeps flow logs forever. Fix: pick a period such as ONE_YEAR."),
        (365, "is a int, not a RetentionDays. Fix: pass a logs.RetentionDays value such as ONE_YEAR."),
    ],
)
def test_require_finite_retention_refuses_forever_and_other_types(value, problem) -> None:
    with pytest.raises(PropError) as raised:
        require_finite_retention("C", "retention", value, "flow logs")
    assert str(raised.value).endswith(problem), str(raised.value)
    require_finite_retention("C", "retention", logs.RetentionDays.ONE_YEAR, "flow logs")
