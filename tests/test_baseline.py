"""Security properties of the synthesized baseline (app.py as `cdk synth` runs it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Capture, Template
from syrupy.extensions.json import JSONSnapshotExtension

from secure_sagemaker.nag import add_all_packs
from tests.helpers import ROOT, cdk_json_context, new_app, resources, unacknowledged_findings

STOCK_PACKS = {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"}


@pytest.fixture(params=["workload", "account"])
def stack_template(request, baseline_template, account_template) -> dict:
    """Each stack of the app in turn: what holds for every stack is tested on both."""
    return baseline_template if request.param == "workload" else account_template


def _report(assembly: Path) -> dict:
    return json.loads((assembly / "validation-report.json").read_text())


def test_add_all_packs_registers_every_stock_pack(tmp_path):
    """cdk-nag leaves packs with nothing to say out of its report: prove each one runs."""
    app = new_app(tmp_path)
    s3.CfnBucket(cdk.Stack(app, "Plain"), "Bucket")
    add_all_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert STOCK_PACKS <= {r["pluginName"] for r in _report(tmp_path)["pluginReports"]}


def test_the_baseline_has_no_unacknowledged_finding(baseline_assembly):
    assert unacknowledged_findings(baseline_assembly) == []


def test_without_alert_email_the_only_other_report_entries_are_the_no_subscriber_reminders(baseline_assembly):
    """cdk.json sets no alertEmail, so `cdk synth` warns on both alert topics; nothing else is left."""
    leftover = [
        (r["pluginName"], v["ruleName"], v["severity"], c["constructPath"])
        for r in _report(baseline_assembly)["pluginReports"]
        for v in r["violations"]
        for c in v["violatingConstructs"]
    ]
    assert sorted(leftover) == [
        ("Construct Annotations", "Annotation::@secure-sagemaker/alerts:noSubscriber", "warning", path)
        for path in ("SecureSageMakerAccountBaseline/Account/Alerts", "SecureSageMakerBaseline/Baseline/Alerts")
    ]


def test_every_acknowledgment_has_a_reason(baseline_assembly):
    for plugin in _report(baseline_assembly)["pluginReports"]:
        for ack in plugin.get("suppressedViolations", []):  # the annotations plugin has none
            assert len(ack["reason"]) >= 40, ack["acknowledgedId"]


def test_no_dummy_availability_zones(stack_template):
    assert "dummy" not in json.dumps(stack_template)


def test_every_key_rotates_and_is_retained(stack_template):
    keys = resources(stack_template, "AWS::KMS::Key")
    assert len(keys) >= 3  # data, models, logs, alerts, audit; logs, alerts, audit
    for logical_id, key in keys.items():
        props = key["Properties"]
        assert props["EnableKeyRotation"] is True, logical_id
        assert props["RotationPeriodInDays"] == 365, logical_id
        assert props["PendingWindowInDays"] == 30, logical_id
        assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), logical_id
        for statement in props["KeyPolicy"]["Statement"]:
            assert statement["Action"] != "kms:*", (logical_id, statement)


def _policy_statements(template: dict, bucket_id: str) -> list[dict]:
    policies = [
        p
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1, bucket_id
    return policies[0]["Properties"]["PolicyDocument"]["Statement"]


def _access_log_targets(template: dict) -> set[str]:
    return {
        b["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
        for b in resources(template, "AWS::S3::Bucket").values()
        if "LoggingConfiguration" in b["Properties"]
    }


def test_every_bucket_is_private_tls_only_versioned_and_retained(stack_template):
    buckets = resources(stack_template, "AWS::S3::Bucket")
    assert len(buckets) >= 3
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), (
            logical_id
        )
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id
        assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}], logical_id
        statements = _policy_statements(stack_template, logical_id)
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), logical_id
        assert any(s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in denies), logical_id


def test_data_buckets_are_sse_kms_with_a_rotating_customer_key_and_logged(stack_template):
    targets = _access_log_targets(stack_template)
    keys = resources(stack_template, "AWS::KMS::Key")
    data_buckets = {k: v for k, v in resources(stack_template, "AWS::S3::Bucket").items() if k not in targets}
    assert len(data_buckets) >= 2  # data, models, trail; trail, Config delivery
    for logical_id, bucket in data_buckets.items():
        props = bucket["Properties"]
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        default = rule["ServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms", logical_id
        key_id = default["KMSMasterKeyID"]["Fn::GetAtt"][0]
        assert keys[key_id]["Properties"]["EnableKeyRotation"] is True
        assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"] in targets


def test_access_log_buckets_are_sse_s3_because_s3_logging_cannot_target_kms(stack_template):
    targets = _access_log_targets(stack_template)
    assert len(targets) == 1
    for logical_id in targets:
        bucket = resources(stack_template, "AWS::S3::Bucket")[logical_id]
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_no_route_to_the_internet(baseline_template):
    for forbidden in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EgressOnlyInternetGateway"):
        assert resources(baseline_template, forbidden) == {}, forbidden
    for logical_id, route in resources(baseline_template, "AWS::EC2::Route").items():
        props = route["Properties"]
        assert props.get("DestinationCidrBlock") != "0.0.0.0/0", logical_id
        assert props.get("DestinationIpv6CidrBlock") != "::/0", logical_id
    subnets = resources(baseline_template, "AWS::EC2::Subnet")
    assert len(subnets) >= 2
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())


def test_interface_endpoints_cover_the_sagemaker_apis(baseline_template):
    endpoints = resources(baseline_template, "AWS::EC2::VPCEndpoint")
    names = " ".join(json.dumps(e["Properties"]["ServiceName"]) for e in endpoints.values())
    for service in (
        ".sagemaker.api",
        ".sagemaker.runtime",
        "aws.sagemaker.",
        ".studio",
        ".notebook",
        ".sts",
        ".logs",
        ".monitoring",
        ".ecr.api",
        ".ecr.dkr",
        ".kms",
        ".ssm",
        ".s3",
    ):
        assert service in names, service
    for endpoint in endpoints.values():
        props = endpoint["Properties"]
        if props.get("VpcEndpointType") == "Interface":
            assert props["PrivateDnsEnabled"] is True


def test_flow_logs_capture_all_traffic_of_the_vpc(baseline_template):
    (vpc_id,) = resources(baseline_template, "AWS::EC2::VPC")
    (flow_log,) = resources(baseline_template, "AWS::EC2::FlowLog").values()
    props = flow_log["Properties"]
    assert props["ResourceId"] == {"Ref": vpc_id}
    assert props["TrafficType"] == "ALL"
    assert props.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs"


def test_the_vpc_resolves_only_aws_names_and_blocked_queries_reach_the_alert_topic(baseline_template):
    template = Template.from_json(baseline_template)
    (vpc,) = template.find_resources("AWS::EC2::VPC")
    (topic,) = template.find_resources("AWS::SNS::Topic")
    template.has_resource_properties(
        "AWS::Route53Resolver::FirewallRuleGroupAssociation", {"VpcId": {"Ref": vpc}, "MutationProtection": "DISABLED"}
    )
    template.has_resource_properties(
        "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation", {"ResourceId": {"Ref": vpc}}
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "BlockedQueries", "AlarmActions": [{"Ref": topic}], "OKActions": [{"Ref": topic}]},
    )


def test_every_log_group_is_encrypted_with_retention_and_retained(stack_template):
    keys = resources(stack_template, "AWS::KMS::Key")
    groups = resources(stack_template, "AWS::Logs::LogGroup")
    assert groups
    for logical_id, group in groups.items():
        assert group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0] in keys, logical_id
        assert group["Properties"]["RetentionInDays"] == 365, logical_id
        assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), logical_id


#: The one list of the baseline's stateful resources (scripts/stateful_manifest.py writes it);
#: "stateful" is the types of secure_sagemaker.securitydiff, which `secure-sagemaker diff` uses too.
STATEFUL_MANIFEST = ROOT / "docs" / "stateful-resources.json"


@pytest.mark.parametrize("which", ["workload", "account"])
def test_stateful_resources_are_retained_under_stable_logical_ids(which, baseline_template, account_template):
    """A changed logical id replaces the resource on deploy: changing the manifest is a breaking change."""
    from secure_sagemaker.securitydiff.stateful import stateful_manifest

    context = cdk_json_context()
    stack = context["secure-sagemaker:stackName" if which == "workload" else "secure-sagemaker:accountStackName"]
    template = baseline_template if which == "workload" else account_template
    pinned = json.loads(STATEFUL_MANIFEST.read_text())["stacks"][stack]
    found = stateful_manifest({stack: template})[stack]
    assert found == pinned, (
        "the stateful resources or their logical ids changed, which replaces them on deploy; if that is "
        "intended, run python scripts/stateful_manifest.py and say why in the commit"
    )
    for logical_id in found:
        resource = template["Resources"][logical_id]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), (
            logical_id
        )


def test_the_manifest_lists_both_stacks_and_nothing_else():
    """Every stack of app.py is pinned; a stack that disappears from app.py must leave the manifest too."""
    context = cdk_json_context()
    assert set(json.loads(STATEFUL_MANIFEST.read_text())["stacks"]) == {
        context["secure-sagemaker:stackName"],
        context["secure-sagemaker:accountStackName"],
    }


def _isolated_subnet_refs(template: dict) -> list[dict]:
    return [{"Ref": k} for k in resources(template, "AWS::EC2::Subnet")]


def _workload_sg(template: dict) -> dict:
    groups = [k for k, v in resources(template, "AWS::EC2::SecurityGroup").items() if "Workload" in k]
    assert len(groups) == 1, groups
    return {"Fn::GetAtt": [groups[0], "GroupId"]}


def test_sagemaker_workloads_run_in_the_isolated_subnets_with_the_workload_group(
    baseline_template, baseline_assertions
):
    subnets = sorted(map(json.dumps, _isolated_subnet_refs(baseline_template)))
    group = _workload_sg(baseline_template)
    for cfn_type in ("AWS::SageMaker::Model", "AWS::SageMaker::Domain", "AWS::SageMaker::NotebookInstance"):
        baseline_assertions.resource_count_is(cfn_type, 1)
    model_subnets = Capture()
    baseline_assertions.has_resource_properties(
        "AWS::SageMaker::Model",
        {"EnableNetworkIsolation": True, "VpcConfig": {"Subnets": model_subnets, "SecurityGroupIds": [group]}},
    )
    assert sorted(map(json.dumps, model_subnets.as_array())) == subnets
    baseline_assertions.has_resource_properties(
        "AWS::SageMaker::Domain",
        {"AppNetworkAccessType": "VpcOnly", "DefaultUserSettings": {"SecurityGroups": [group]}},
    )
    notebook_subnet = Capture()
    baseline_assertions.has_resource_properties(
        "AWS::SageMaker::NotebookInstance",
        {
            "SubnetId": notebook_subnet,
            "SecurityGroupIds": [group],
            "DirectInternetAccess": "Disabled",
            "RootAccess": "Disabled",
        },
    )
    assert json.dumps(notebook_subnet.as_object()) in subnets


def test_sagemaker_storage_uses_the_baselines_keys(baseline_template, baseline_assertions):
    keys = resources(baseline_template, "AWS::KMS::Key")
    data_key = {"Fn::GetAtt": [next(k for k in keys if "DataKey" in k), "Arn"]}
    models_key = {"Fn::GetAtt": [next(k for k in keys if "ModelsKey" in k), "Arn"]}
    baseline_assertions.has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"KmsKeyId": models_key, "DataCaptureConfig": {"KmsKeyId": data_key}}
    )
    baseline_assertions.has_resource_properties("AWS::SageMaker::Domain", {"KmsKeyId": data_key})
    baseline_assertions.has_resource_properties("AWS::SageMaker::NotebookInstance", {"KmsKeyId": data_key})
    for cfn_type in ("AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Domain", "AWS::SageMaker::NotebookInstance"):
        baseline_assertions.resource_count_is(cfn_type, 1)


def test_model_images_are_immutable_scanned_and_on_the_models_key(baseline_template):
    """A pushed tag cannot be repointed at another image, and every push is scanned (threat T7)."""
    keys = resources(baseline_template, "AWS::KMS::Key")
    models_key = {"Fn::GetAtt": [next(k for k in keys if "ModelsKey" in k), "Arn"]}
    (repository,) = resources(baseline_template, "AWS::ECR::Repository").values()
    props = repository["Properties"]
    assert props["ImageTagMutability"] == "IMMUTABLE"
    assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert props["EncryptionConfiguration"] == {"EncryptionType": "KMS", "KmsKey": models_key}
    assert repository["DeletionPolicy"] == "RetainExceptOnCreate"


def test_the_endpoint_serves_from_at_least_two_instances_with_alarms_to_the_alert_topic(baseline_template):
    (config,) = resources(baseline_template, "AWS::SageMaker::EndpointConfig").values()
    assert all(v["InitialInstanceCount"] >= 2 for v in config["Properties"]["ProductionVariants"])
    (topic,) = resources(baseline_template, "AWS::SNS::Topic")
    endpoint_alarms = [
        a
        for a in resources(baseline_template, "AWS::CloudWatch::Alarm").values()
        if "Endpoint" in json.dumps(a["Properties"].get("Metrics", a["Properties"].get("Dimensions", "")))
        or a["Properties"].get("Namespace") == "AWS/SageMaker"
    ]
    assert len(endpoint_alarms) >= 4
    for alarm in resources(baseline_template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]


_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def test_snapshot(baseline_template, snapshot):
    """The whole workload template; asset hashes are the only thing normalised."""
    normalised = json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(baseline_template)))
    assert normalised == snapshot(extension_class=JSONSnapshotExtension)


def test_account_snapshot(account_template, snapshot):
    """The whole account baseline template (it has no assets, so nothing is normalised)."""
    assert account_template == snapshot(extension_class=JSONSnapshotExtension)


def test_the_endpoint_is_reachable_only_through_the_waf_protected_api(baseline_template):
    (stage_id,) = resources(baseline_template, "AWS::ApiGateway::Stage")
    (association,) = resources(baseline_template, "AWS::WAFv2::WebACLAssociation").values()
    assert stage_id in json.dumps(association["Properties"]["ResourceArn"])
    for method in resources(baseline_template, "AWS::ApiGateway::Method").values():
        assert method["Properties"]["AuthorizationType"] in ("AWS_IAM", "COGNITO_USER_POOLS")
    assert "InferenceApiUrl" in baseline_template["Outputs"]


def test_the_baseline_stays_compliant_without_the_recommended_feature_flags(baseline_template, account_template):
    """An app whose cdk.json predates the recommended flags gets the same controls.

    Only the one flag the buckets refuse to work without is set (they fail naming it otherwise);
    every control the library relies on is set explicitly, never left to a flag's default.
    """
    from secure_sagemaker.account import SecureSageMakerAccountStack
    from secure_sagemaker.baseline import SecureSageMakerStack
    from secure_sagemaker.config import BaselineConfig
    from secure_sagemaker.nag.engine import check_template
    from secure_sagemaker.nag.template import Template

    app = cdk.App(context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}, analytics_reporting=False)
    config = BaselineConfig(demo_endpoint=True)
    bare = {
        "workload": SecureSageMakerStack(app, "Bare", config=config),
        "account": SecureSageMakerAccountStack(app, "BareAccount", config=config),
    }
    assembly = app.synth()
    # The one finding of our pack on the baselines, acknowledged in the construct tree (which a
    # bare template check does not read): the account trail leaves data events to the workloads.
    acknowledged = {"workload": [], "account": ["SageMakerSecurity-TrailS3DataEvents"]}
    for which, full in (("workload", baseline_template), ("account", account_template)):
        template = assembly.get_stack_by_name(bare[which].stack_name).template
        assert [f.rule_id for f in check_template(Template(template, name=which))] == acknowledged[which], which
        assert len(template["Resources"]) == len(full["Resources"]), which


def _inference_statements(template: dict) -> dict[str, object]:
    (policy,) = [
        v
        for k, v in resources(template, "AWS::IAM::ManagedPolicy").items()
        if k.startswith("BaselineInferenceExecutionRolePolicy")
    ]
    return {s["Sid"]: s["Resource"] for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_the_demo_model_and_endpoint_grant_the_inference_role_what_they_use(baseline_template):
    """No prefix list in the baseline: the endpoint grants its capture prefix, the model its repository."""
    (bucket,) = [k for k in resources(baseline_template, "AWS::S3::Bucket") if k.startswith("BaselineDataBucket")]
    (repository,) = resources(baseline_template, "AWS::ECR::Repository")
    granted = _inference_statements(baseline_template)
    assert granted["ReadWriteObjects"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/data-capture/*"]]}
    assert granted["PullImages"] == {"Fn::GetAtt": [repository, "Arn"]}


def test_without_the_demo_endpoint_the_inference_role_gets_no_capture_or_image_access():
    from aws_cdk.assertions import Template

    from secure_sagemaker.baseline import SecureSageMakerBaseline
    from secure_sagemaker.config import BaselineConfig

    stack = cdk.Stack(new_app(), "SecureSageMakerBaseline")
    SecureSageMakerBaseline(stack, "Baseline", config=BaselineConfig(demo_endpoint=False, studio=False, notebook=False))
    granted = _inference_statements(Template.from_stack(stack).to_json())
    assert "ReadObjects" in granted  # the baseline's own policy: models under models/
    assert not {"ReadWriteObjects", "PullImages", "EcrLogin"} & set(granted)
