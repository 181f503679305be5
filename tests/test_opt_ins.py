"""app.py with what is off by default on (``OPT_INS``): the PyPI mirror for the Studio role, read
data events on ``raw/`` and an alert email. Every pack stays clean, cfn-lint stays clean, and each
opt-in is wired where the baseline says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import cdk_json_context, get_att, resources, unacknowledged_findings


@pytest.fixture(scope="module")
def template(opt_ins_assembly: Path) -> dict:
    name = cdk_json_context()["secure-sagemaker:stackName"]
    return json.loads((opt_ins_assembly / f"{name}.template.json").read_text())


def _one(template: dict, cfn_type: str, prefix: str) -> str:
    (logical,) = [k for k in resources(template, cfn_type) if k.startswith(prefix)]
    return logical


def test_every_pack_leaves_nothing_unacknowledged_and_the_alert_email_leaves_no_reminder(opt_ins_assembly):
    assert unacknowledged_findings(opt_ins_assembly) == []
    report = json.loads((opt_ins_assembly / "validation-report.json").read_text())
    assert [v for p in report["pluginReports"] for v in p["violations"]] == []


def test_cfn_lint_is_clean(opt_ins_cfn_lint):
    """cfn-lint on what the opt-ins add to or change in the full baseline (linted in test_cfn_lint)."""
    name = cdk_json_context()["secure-sagemaker:stackName"]
    account = cdk_json_context()["secure-sagemaker:accountStackName"]
    assert {
        "AWS::CodeArtifact::Domain",
        "AWS::CodeArtifact::Repository",
        "AWS::CloudTrail::Trail",
        "AWS::SNS::Subscription",
    } <= opt_ins_cfn_lint.parts[f"{name}.template.json"]
    assert "AWS::SNS::Subscription" in opt_ins_cfn_lint.parts[f"{account}.template.json"]
    code, out, err = opt_ins_cfn_lint.result()
    assert (code, out) == (0, ""), err


def test_the_studio_role_may_read_the_mirror(template):
    role = _one(template, "AWS::IAM::Role", "BaselineStudioExecutionRole")
    policy = template["Resources"][_one(template, "AWS::IAM::ManagedPolicy", "BaselinePackageMirrorReadPolicy")]
    assert policy["Properties"]["Roles"] == [{"Ref": role}]
    domain = _one(template, "AWS::CodeArtifact::Domain", "BaselinePackageMirror")
    assert template["Resources"][domain]["Properties"]["EncryptionKey"] == get_att(
        _one(template, "AWS::KMS::Key", "BaselineKeysPackagesKey"), "Arn"
    )


def test_the_trail_also_records_reads_of_raw_data(template):
    (trail,) = resources(template, "AWS::CloudTrail::Trail").values()
    writes, reads = trail["Properties"]["EventSelectors"]
    data_bucket = _one(template, "AWS::S3::Bucket", "BaselineDataBucket")
    assert writes["ReadWriteType"] == "WriteOnly"
    assert reads == {
        "IncludeManagementEvents": False,
        "ReadWriteType": "ReadOnly",
        "DataResources": [
            {"Type": "AWS::S3::Object", "Values": [{"Fn::Join": ["", [get_att(data_bucket, "Arn"), "/raw/"]]}]}
        ],
    }


def test_the_default_app_has_neither(default_assembly):
    name = cdk_json_context()["secure-sagemaker:stackName"]
    template = json.loads((default_assembly / f"{name}.template.json").read_text())
    assert resources(template, "AWS::CodeArtifact::Domain") == {}
    (trail,) = resources(template, "AWS::CloudTrail::Trail").values()
    assert [s["ReadWriteType"] for s in trail["Properties"]["EventSelectors"]] == ["WriteOnly"]
