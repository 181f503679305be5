"""secure_sagemaker.testing: the helpers a project's tests use (README "Testing your own app" runs
them on a real stack, in tests/test_readme.py); here each one fails when it should."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs

from secure_sagemaker.testing import (
    ASSET_HASH,
    CDK_VERSION,
    Synthesized,
    assert_no_findings,
    assert_stateful_ids,
    normalize_template,
    stateful_ids,
)
from tests.helpers import new_app

HASH = "a" * 64
TEMPLATE = {
    "Resources": {
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Code": {"S3Key": f"{HASH}.zip"}, "Description": "b" * 63},
        },
        "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sIAAAA"}},
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
    }
}


def test_normalize_replaces_asset_hashes_and_the_cdk_version_only():
    normalized = normalize_template(TEMPLATE)
    assert normalized["Resources"]["Fn"]["Properties"]["Code"]["S3Key"] == f"{ASSET_HASH}.zip"
    assert normalized["Resources"]["CDKMetadata"]["Properties"]["Analytics"] == CDK_VERSION
    assert normalized["Resources"]["Fn"]["Properties"]["Description"] == "b" * 63  # not a hash: kept
    assert {k: v for k, v in normalized["Resources"].items() if k not in ("Fn", "CDKMetadata")} == {
        k: v for k, v in TEMPLATE["Resources"].items() if k not in ("Fn", "CDKMetadata")
    }
    assert TEMPLATE["Resources"]["Fn"]["Properties"]["Code"]["S3Key"] == f"{HASH}.zip"  # the input is left alone


def test_the_snapshot_extension_serializes_the_normalized_template():
    from syrupy.extensions.json import JSONSnapshotExtension

    from secure_sagemaker.testing import CdkTemplateExtension

    assert issubclass(CdkTemplateExtension, JSONSnapshotExtension)
    serialized = CdkTemplateExtension().serialize(TEMPLATE)
    assert serialized == JSONSnapshotExtension().serialize(normalize_template(TEMPLATE))
    assert HASH not in serialized and "deflate64" not in serialized


def test_stateful_ids_are_the_diff_commands_stateful_types():
    assert stateful_ids(TEMPLATE) == {"Data": "AWS::S3::Bucket", "Key": "AWS::KMS::Key"}


def test_assert_stateful_ids_passes_on_the_same_ids_and_names_what_changed():
    assert_stateful_ids(TEMPLATE, ["Data", "Key"])
    assert_stateful_ids(TEMPLATE, {"Data": "AWS::S3::Bucket", "Key": "AWS::KMS::Key"})
    renamed = json.loads(json.dumps(TEMPLATE))
    renamed["Resources"]["DataBucket"] = renamed["Resources"].pop("Data")
    with pytest.raises(AssertionError) as error:
        assert_stateful_ids(renamed, {"Data": "AWS::S3::Bucket", "Key": "AWS::KMS::Key"})
    message = str(error.value)
    assert "- Data (AWS::S3::Bucket) is gone" in message and "+ DataBucket (AWS::S3::Bucket) is new" in message


def _synthesized(report: dict) -> Synthesized:
    app = new_app()
    stack = cdk.Stack(app, "Mine")
    return Synthesized(app=app, stack=stack, outdir=None, template={}, report=report)  # type: ignore[arg-type]


def _violation(rule: str, severity: str, path: str) -> dict:
    return {
        "ruleName": rule,
        "description": "Something is off.",
        "severity": severity,
        "violatingConstructs": [{"constructPath": path}],
    }


def test_assert_no_findings_lists_each_finding_of_this_stack_only():
    synth = _synthesized(
        {
            "pluginReports": [
                {
                    "pluginName": "AwsSolutions",
                    "violations": [_violation("AwsSolutions-S1", "error", "Mine/Bucket/Resource")],
                },
                {
                    "pluginName": "SageMakerSecurity",
                    "violations": [_violation("SageMakerSecurity-KmsKeyPolicyScoped", "warning", "Mine/Key/Resource")],
                },
                {
                    "pluginName": "AwsSolutions",
                    "violations": [_violation("AwsSolutions-S10", "error", "Other/Bucket/Resource")],
                },
            ]
        }
    )
    with pytest.raises(AssertionError) as error:
        assert_no_findings(synth)
    message = str(error.value)
    assert message.splitlines()[0] == "2 unacknowledged nag findings on Mine:"
    assert "AwsSolutions-S1 (error) at Mine/Bucket/Resource" in message
    assert "acknowledge with: AwsSolutions::AwsSolutions-S1" in message
    assert "Other/" not in message
    with pytest.raises(AssertionError, match="1 unacknowledged nag finding on Mine"):
        assert_no_findings(synth, min_level="error")
    assert_no_findings(_synthesized({"pluginReports": []}))


def test_assert_no_findings_on_a_stack_synthesizes_it_with_every_pack(tmp_path):
    app = new_app(tmp_path)
    stack = cdk.Stack(app, "Jobs")
    logs.LogGroup(stack, "JobLogs", retention=logs.RetentionDays.ONE_YEAR)  # no customer-managed key
    with pytest.raises(AssertionError) as error:
        assert_no_findings(stack)
    assert "SageMakerSecurity-LogGroupKms (error) at Jobs/JobLogs/Resource" in str(error.value)
