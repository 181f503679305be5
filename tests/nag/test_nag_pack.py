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

from secure_sagemaker.acknowledgments import rule_id
from secure_sagemaker.nag import add_all_packs
from secure_sagemaker.nag.engine import check_template
from secure_sagemaker.nag.loader import load_paths
from secure_sagemaker.nag.pack import SageMakerSecurityChecks
from secure_sagemaker.nag.rule import all_rules
from secure_sagemaker.nag.template import Template
from tests.helpers import new_app

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
    cdk.Validations.of(model).acknowledge(
        cdk.Acknowledgment(id=rule_id("SageMakerSecurity-ModelVpcConfig"), reason=REASON)
    )
    # Acknowledgments that would silently match nothing: a typo, a bare id, one on the wrong construct.
    cdk.Validations.of(bucket).acknowledge(
        cdk.Acknowledgment(id="SageMakerSecurity::SageMakerSecurity-BucketVersioningg", reason=REASON),
        cdk.Acknowledgment(id="AwsSolutions-S10", reason=REASON),
    )
    cdk.Validations.of(key).acknowledge(
        cdk.Acknowledgment(id="SageMakerSecurity::SageMakerSecurity-TopicKms", reason=REASON)
    )
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


ACKNOWLEDGMENT_CHECKS = ("UnknownAcknowledgment", "UnusedAcknowledgment")


def _violations(plugin_report: dict, key: str = "violations") -> set[tuple[str, str]]:
    """``(rule, construct path)`` of the report's findings (the acknowledgment checks left out)."""
    return {
        (v["ruleName"].split("-", 1)[1], c["constructPath"])
        for v in plugin_report.get(key, [])
        for c in v["violatingConstructs"]
        if v["ruleName"].split("-", 1)[1] not in ACKNOWLEDGMENT_CHECKS
    }


def test_an_acknowledgment_of_no_rule_is_an_error_naming_the_closest_id(synth) -> None:
    errors = {
        v["description"]: v
        for v in synth["report"]["violations"]
        if v["ruleName"] == "SageMakerSecurity-UnknownAcknowledgment"
    }
    assert len(errors) == 2, errors
    typo = next(d for d in errors if "BucketVersioningg" in d)
    assert "did you mean SageMakerSecurity::SageMakerSecurity-BucketVersioning?" in typo and "on Pack/Bucket" in typo
    bare = next(d for d in errors if "'AwsSolutions-S10'" in d)
    assert "no '<pack>::' prefix" in bare and "use AwsSolutions::AwsSolutions-S10" in bare
    assert all(v["severity"] == "error" for v in errors.values())
    assert {c["constructPath"] for v in errors.values() for c in v["violatingConstructs"]} == {"Pack/Bucket"}


def test_an_acknowledgment_that_suppressed_nothing_is_a_warning_naming_the_construct(synth) -> None:
    (warning,) = [v for v in synth["report"]["violations"] if v["ruleName"] == "SageMakerSecurity-UnusedAcknowledgment"]
    assert warning["severity"] == "warning" and "SageMakerSecurity-TopicKms" in warning["description"]
    assert [c["constructPath"] for c in warning["violatingConstructs"]] == ["Pack/Key"]
    # the acknowledgment that did suppress a finding is not reported
    assert not [
        v
        for v in synth["report"]["violations"]
        if "ModelVpcConfig" in v["description"] and "Acknowledgment" in v["ruleName"]
    ]


def test_the_acknowledgments_command_lists_every_acknowledgment(synth, capsys) -> None:
    from secure_sagemaker.cli import main

    assert main(["acknowledgments", str(synth["outdir"])]) == 0
    out = capsys.readouterr().out
    assert REASON in out and "`SageMakerSecurity-ModelVpcConfig`" in out  # the one that suppressed a finding
    unused = out.split("## Acknowledgments that suppressed nothing", 1)[1]
    for ack in (
        "SageMakerSecurity::SageMakerSecurity-BucketVersioningg",
        "AwsSolutions-S10",
        "SageMakerSecurity::SageMakerSecurity-TopicKms",
    ):
        assert f"`{ack}`" in unused
    assert "SageMakerSecurity-ModelVpcConfig`" not in unused


def test_findings_land_on_the_construct_paths(synth) -> None:
    found = _violations(synth["report"])
    assert ("ModelNetworkIsolation", "Pack/Model") in found
    assert ("BucketVersioning", "Pack/Bucket/Resource") in found  # the raw override is seen
    assert ("KmsKeyPolicyScoped", "Pack/Key/Resource") in found
    assert synth["report"]["conclusion"] == "failure"


def test_an_acknowledgment_silences_exactly_that_finding(synth) -> None:
    assert ("ModelVpcConfig", "Pack/Model") not in _violations(synth["report"])
    (suppressed,) = [
        v for v in synth["report"]["suppressedViolations"] if v["ruleName"] == "SageMakerSecurity-ModelVpcConfig"
    ]
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
    assert by_rule["SageMakerSecurity-BucketVersioning"]["suggestedFix"].startswith(
        "Set VersioningConfiguration.Status"
    )


def test_the_pack_and_audit_agree_on_the_synthesized_template(synth) -> None:
    (loaded,) = load_paths([str(synth["outdir"])])
    audit = {(f.rule.id, f.resource) for f in check_template(Template(loaded.body, lines=loaded.lines))}
    logical = {
        c["constructPath"]: c["cloudFormationResource"]["logicalId"]
        for key in ("violations", "suppressedViolations")
        for v in synth["report"].get(key, [])
        for c in v["violatingConstructs"]
        if "cloudFormationResource" in c
    }
    pack = {
        (rule, logical[path])
        for rule, path in _violations(synth["report"]) | _violations(synth["report"], "suppressedViolations")
    }
    assert pack == audit


def test_the_pack_pins_its_rule_ids_and_name(synth) -> None:
    pack = SageMakerSecurityChecks(synth["app"])
    assert pack.name == pack.read_pack_name == "SageMakerSecurity"
    # The catalogue itself is pinned by test_nag_registry's snapshot.
    assert pack.rule_ids == [f"SageMakerSecurity-{r.id}" for r in all_rules()]


def test_validate_scope_reports_from_the_construct_tree(synth) -> None:
    report = SageMakerSecurityChecks().validate_scope(synth["stack"])
    found = {(v.rule_name, v.severity, r.construct_path) for v in report.violations for r in v.violating_resources}
    assert ("SageMakerSecurity-ModelNetworkIsolation", "error", "Pack/Model") in found
    assert ("SageMakerSecurity-ModelVpcConfig", "error", "Pack/Model") in found
    assert not [f for f in found if f[0] == "SageMakerSecurity-BucketVersioning"]  # no raw overrides here
    assert report.success is False
    model_only = SageMakerSecurityChecks().validate_scope(synth["stack"].node.find_child("Model"))
    assert {r.construct_path for v in model_only.violations for r in v.violating_resources} == {"Pack/Model"}


def test_a_clean_app_stays_clean_with_the_acknowledgment_checks(tmp_path) -> None:
    """The checks report in the pack's own report, never as construct annotations (which CDK 2.275
    would add to validation-report.json as "Construct Annotations" violations)."""
    from aws_cdk import aws_sns as sns

    app = new_app(tmp_path)
    topic = sns.CfnTopic(cdk.Stack(app, "Clean"), "Topic")  # TopicKms: an error, acknowledged
    cdk.Validations.of(topic).acknowledge(cdk.Acknowledgment(id=rule_id("SageMakerSecurity-TopicKms"), reason=REASON))
    pack = SageMakerSecurityChecks(app)
    cdk.Validations.of(app).add_plugins(pack)
    app.synth()  # no ValidationFailed
    report = json.loads((Path(tmp_path) / "validation-report.json").read_text())
    assert [r["pluginName"] for r in report["pluginReports"]] == ["SageMakerSecurity"]
    (ours,) = report["pluginReports"]
    assert ours["violations"] == [] and ours["conclusion"] == "success"
    assert [v["ruleName"] for v in ours["suppressedViolations"]] == ["SageMakerSecurity-TopicKms"]
    assert [a.id for a in pack.last_acknowledgments] == ["SageMakerSecurity::SageMakerSecurity-TopicKms"]


def test_the_synth_summary_warns_of_acknowledgments_of_any_pack_that_suppressed_nothing(synth, capsys) -> None:
    """`make synth` ends with `secure-sagemaker summary`: it names them, and its exit status is the findings'."""
    from secure_sagemaker.cli import main

    code = main(["summary", str(synth["outdir"])])
    out = capsys.readouterr().out
    assert code == 1  # the fixture has unacknowledged errors; the warnings do not change the status
    warning = out.split("Warning: 3 acknowledgment(s) suppressed nothing or name no rule", 1)[1]
    assert "Pack/Key: SageMakerSecurity::SageMakerSecurity-TopicKms (suppressed no finding)" in warning
    assert "Pack/Bucket: AwsSolutions-S10 (acknowledgment 'AwsSolutions-S10' has no '<pack>::' prefix" in warning
    assert "ModelVpcConfig" not in warning
