"""SageMakerSecurityChecks end to end on one small stack (one synth for the whole module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from test_nag_registry import PINNED

from secure_sagemaker.acknowledgments import rule_id
from secure_sagemaker.nag import add_all_packs
from secure_sagemaker.nag.engine import check_template
from secure_sagemaker.nag.loader import load_paths
from secure_sagemaker.nag.pack import SageMakerSecurityChecks
from secure_sagemaker.nag.template import Template
from tests.conftest import new_app

REASON = "The demo model has no VPC on purpose: it serves a public toy data set."


def _build(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, "Pack")
    key = kms.Key(stack, "Key", enable_key_rotation=True)  # default policy: KmsKeyPolicyScoped reports it
    bucket = s3.Bucket(
        stack,
        "Bucket",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        server_access_logs_prefix="self/",
    )
    # An escape hatch the construct tree does not show: the synthesized template does.
    bucket.node.default_child.add_property_override("VersioningConfiguration.Status", "Suspended")
    model = sagemaker.CfnModel(
        stack,
        "Model",
        execution_role_arn="arn:aws:iam::111122223333:role/ml",
        enable_network_isolation=False,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image=f"{stack.account}.dkr.ecr.{stack.region}.{stack.url_suffix}/model:1"
        ),
    )
    cdk.Validations.of(model).acknowledge(cdk.Acknowledgment(id=rule_id("SageMakerSecurity-ModelVpcConfig"), reason=REASON))
    return stack


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("pack")
    app = new_app(outdir)
    stack = _build(app)
    add_all_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    (ours,) = [r for r in report["pluginReports"] if r["pluginName"] == "SageMakerSecurity"]
    return {"outdir": outdir, "report": ours, "stack": stack, "app": app}


def _violations(plugin_report: dict, key: str = "violations") -> set[tuple[str, str]]:
    return {
        (v["ruleName"].split("-", 1)[1], c["constructPath"])
        for v in plugin_report.get(key, [])
        for c in v["violatingConstructs"]
    }


def test_findings_land_on_the_construct_paths(synth) -> None:
    found = _violations(synth["report"])
    assert ("ModelNetworkIsolation", "Pack/Model") in found
    assert ("BucketVersioning", "Pack/Bucket/Resource") in found  # the raw override is seen
    assert ("KmsKeyPolicyScoped", "Pack/Key/Resource") in found
    assert synth["report"]["conclusion"] == "failure"


def test_an_acknowledgment_silences_exactly_that_finding(synth) -> None:
    assert ("ModelVpcConfig", "Pack/Model") not in _violations(synth["report"])
    (suppressed,) = [v for v in synth["report"]["suppressedViolations"] if v["ruleName"] == "SageMakerSecurity-ModelVpcConfig"]
    assert suppressed["acknowledgedId"] == "SageMakerSecurity::SageMakerSecurity-ModelVpcConfig"
    assert suppressed["reason"] == REASON and suppressed["acknowledgedAt"] == "Pack/Model"
    assert [c["constructPath"] for c in suppressed["violatingConstructs"]] == ["Pack/Model"]
    assert len(synth["report"]["suppressedViolations"]) == 1
    # The same construct keeps its other finding.
    assert ("ModelNetworkIsolation", "Pack/Model") in _violations(synth["report"])


def test_levels_and_messages_reach_the_report(synth) -> None:
    by_rule = {v["ruleName"]: v for v in synth["report"]["violations"]}
    assert by_rule["SageMakerSecurity-ModelNetworkIsolation"]["severity"] == "error"
    assert by_rule["SageMakerSecurity-KmsKeyPolicyScoped"]["severity"] == "warning"
    assert "EnableNetworkIsolation is false" in by_rule["SageMakerSecurity-ModelNetworkIsolation"]["description"]
    assert by_rule["SageMakerSecurity-BucketVersioning"]["suggestedFix"].startswith("Set VersioningConfiguration.Status")


def test_the_pack_and_audit_agree_on_the_synthesized_template(synth) -> None:
    (loaded,) = load_paths([str(synth["outdir"])])
    audit = {(f.rule.id, f.resource) for f in check_template(Template(loaded.body, lines=loaded.lines))}
    logical = {
        c["constructPath"]: c["cloudFormationResource"]["logicalId"]
        for key in ("violations", "suppressedViolations")
        for v in synth["report"].get(key, [])
        for c in v["violatingConstructs"]
    }
    pack = {(rule, logical[path]) for rule, path in _violations(synth["report"]) | _violations(synth["report"], "suppressedViolations")}
    assert pack == audit


def test_the_pack_pins_its_rule_ids_and_name(synth) -> None:
    pack = SageMakerSecurityChecks(synth["app"])
    assert pack.name == pack.read_pack_name == "SageMakerSecurity"
    assert pack.rule_ids == [f"SageMakerSecurity-{rule}" for rule, _ in PINNED]


def test_validate_scope_reports_from_the_construct_tree(synth) -> None:
    report = SageMakerSecurityChecks().validate_scope(synth["stack"])
    found = {(v.rule_name, v.severity, r.construct_path) for v in report.violations for r in v.violating_resources}
    assert ("SageMakerSecurity-ModelNetworkIsolation", "error", "Pack/Model") in found
    assert ("SageMakerSecurity-ModelVpcConfig", "error", "Pack/Model") in found
    assert not [f for f in found if f[0] == "SageMakerSecurity-BucketVersioning"]  # no raw overrides here
    assert report.success is False
    model_only = SageMakerSecurityChecks().validate_scope(synth["stack"].node.find_child("Model"))
    assert {r.construct_path for v in model_only.violations for r in v.violating_resources} == {"Pack/Model"}
