"""Real apps and real accounts: constructs across stacks, Stages and imports; deploy-safe templates.

Each app is synthesized once, with every nag pack registered, and must leave no unacknowledged
finding and no pending context lookup (``manifest.json`` "missing"), without AWS credentials.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from secure_sagemaker import (
    AlertTopic,
    AuditTrail,
    ExecutionRole,
    KeyRing,
    PrivateNetwork,
    S3Prefix,
    SecureBucket,
    SecureEndpoint,
    SecureModel,
    SecureNotebookInstance,
    SecureSageMakerAccountStack,
    SecureSageMakerStack,
    SecureStudioDomain,
)
from secure_sagemaker.account import REPLICATION_RULES
from secure_sagemaker.acknowledgments import acknowledge
from secure_sagemaker.config import BaselineConfig
from secure_sagemaker.nag import add_all_packs
from secure_sagemaker.reminders import is_reminder
from tests.helpers import FULL_BASELINE, cdk_json_context, new_app, resources


def _synth(app: cdk.App) -> dict[str, Any]:
    """Synthesize ``app`` with every pack; its templates by stack artifact id, report and manifest."""
    add_all_packs(app)
    assembly = app.synth()
    out = Path(assembly.directory)
    report_file = out / "validation-report.json"
    return {
        "templates": {s.hierarchical_id: s.template for s in assembly.stacks_recursively},
        "report": json.loads(report_file.read_text()) if report_file.exists() else {"pluginReports": []},
        "manifest": json.loads((out / "manifest.json").read_text()),
        "nested_manifests": [json.loads(p.read_text()) for p in out.glob("assembly-*/manifest.json")],
    }


def _unacknowledged(result: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (v["ruleName"], [c["constructPath"] for c in v["violatingConstructs"]])
        for r in result["report"]["pluginReports"]
        for v in r["violations"]
        if not is_reminder(r["pluginName"], v)
    ]


def _missing_context(result: dict[str, Any]) -> list[Any]:
    return [m for manifest in (result["manifest"], *result["nested_manifests"]) for m in manifest.get("missing", [])]


_SINGLE_REGION = "Single-Region test app; replication is the deployment's decision, as in the baseline."


def _workloads(stack: cdk.Stack, keys: KeyRing, network: PrivateNetwork) -> None:
    """Buckets, a topic, roles, Studio, a notebook, a model and an endpoint using ``keys`` and ``network``."""
    data = SecureBucket(stack, "Data", encryption_key=keys.data_key)
    models = SecureBucket(stack, "Models", encryption_key=keys.models_key)
    alerts = AlertTopic(stack, "Alerts", keys=keys)
    repository = ecr.Repository.from_repository_name(stack, "Images", "models")
    placement = dict(subnets=network.subnets, security_groups=[network.workload_security_group])
    studio_role = ExecutionRole(stack, "StudioRole", read_buckets=[S3Prefix(data.bucket, "raw")], **placement)
    inference_role = ExecutionRole(
        stack,
        "InferenceRole",
        read_buckets=[S3Prefix(models.bucket, "models")],
        write_prefixes=[S3Prefix(data.bucket, "data-capture")],
        ecr_repositories=[repository],
        **placement,
    )
    SecureStudioDomain(stack, "Studio", network=network, execution_role=studio_role, encryption_key=keys.data_key)
    SecureNotebookInstance(stack, "Notebook", network=network, execution_role=studio_role, encryption_key=keys.data_key)
    model = SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=inference_role,
        image_uri=repository.repository_uri_for_tag("v1"),
        repositories=[repository],
        model_data_url=models.bucket.s3_url_for_object("models/model.tar.gz"),
        model_data_bucket=models,
    )
    SecureEndpoint(
        stack,
        "Endpoint",
        model=model,
        encryption_key=keys.models_key,
        alarm_topic=alerts.topic,
        data_capture_bucket=data,
        data_capture_prefix="data-capture",
    )
    trail = AuditTrail(stack, "DataEvents", keys=keys, data_event_buckets=[data, models], management_events=False)
    for bucket in (data, models, trail.bucket):
        acknowledge(bucket, REPLICATION_RULES, _SINGLE_REGION)


# --- another stack ------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["weak", "strong"])
def two_stacks(request) -> dict[str, Any]:
    """Keys and network in one stack; every workload construct in another, using them through weak
    (``Fn::GetStackOutput``) or strong (``Fn::ImportValue``) cross-stack references."""
    app = new_app(**{"@aws-cdk/core:defaultCrossStackReferences": request.param})
    net = cdk.Stack(app, "Net")
    keys = KeyRing(net, "Keys")
    network = PrivateNetwork(net, "Network", logs_key=keys.logs_key)
    _workloads(cdk.Stack(app, "Work"), keys, network)
    return _synth(app)


def test_constructs_take_keys_and_network_from_another_stack(two_stacks):
    assert _unacknowledged(two_stacks) == []
    assert _missing_context(two_stacks) == []
    work = two_stacks["templates"]["Work"]
    (bucket,) = [b for k, b in resources(work, "AWS::S3::Bucket").items() if k.startswith("ModelsBucket")]
    key = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ]
    # the cross-stack reference that the construct's re-check and the rules must accept
    assert set(key["KMSMasterKeyID"]) <= {"Fn::ImportValue", "Fn::GetStackOutput"}
    (topic,) = resources(work, "AWS::SNS::Topic").values()
    assert set(topic["Properties"]["KmsMasterKeyId"]) == set(key["KMSMasterKeyID"])


def test_a_plain_kms_key_and_weak_references_from_another_stack_work():
    app = new_app()
    shared = cdk.Stack(app, "Shared")
    key = kms.Key(shared, "Key", enable_key_rotation=True)
    work = cdk.Stack(app, "Work")
    SecureBucket(work, "Strong", encryption_key=key)
    weak = kms.Key.from_key_arn(work, "Weak", cdk.Fn.import_value("SharedKeyArn"))
    SecureBucket(work, "ByImport", encryption_key=weak)
    template = app.synth().get_stack_by_name("Work").template
    assert len(resources(template, "AWS::S3::Bucket")) == 4  # two buckets and their access-log buckets


# --- Stages with explicit environments --------------------------------------------------------------

ENVIRONMENTS = {"Dev": ("111111111111", "eu-west-1"), "Prod": ("222222222222", "us-east-1")}


@pytest.fixture(scope="module")
def two_stages() -> dict[str, Any]:
    """The account and workload baselines in a dev and a prod Stage, each with its account and Region."""
    app = new_app(**FULL_BASELINE)
    config = BaselineConfig.from_context(app.node)
    for name, (account, region) in ENVIRONMENTS.items():
        stage = cdk.Stage(app, name, env=cdk.Environment(account=account, region=region))
        account_stack = SecureSageMakerAccountStack(stage, "Account", config=config)
        workload = SecureSageMakerStack(stage, "Workload", config=config)
        workload.add_stack_dependency(account_stack, "API Gateway CloudWatch role")
    return _synth(app)


def test_stages_with_explicit_environments_synthesize_without_credentials(two_stages):
    assert _unacknowledged(two_stages) == []
    assert _missing_context(two_stages) == []  # no availability-zones lookup left pending
    assert len(two_stages["templates"]) == 4
    for template in two_stages["templates"].values():
        assert "dummy" not in json.dumps(template)
    workloads = [t for artifact, t in two_stages["templates"].items() if artifact.endswith("Workload")]
    for template in workloads:
        for subnet in resources(template, "AWS::EC2::Subnet").values():
            assert "Fn::GetAZs" in json.dumps(subnet["Properties"]["AvailabilityZone"])


# --- imported resources -------------------------------------------------------------------------------


def test_imported_vpc_keys_and_buckets_work():
    app = new_app()
    stack = cdk.Stack(app, "Imported")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0abcdef0123456789",
        vpc_cidr_block="10.1.0.0/16",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        isolated_subnet_ids=["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        isolated_subnet_route_table_ids=["rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"],
    )
    logs_key = kms.Key.from_key_arn(
        stack, "LogsKey", "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    )
    data_key = kms.Key.from_key_arn(
        stack, "DataKey", "arn:aws:kms:eu-west-1:111111111111:key/66666666-7777-8888-9999-000000000000"
    )
    network = PrivateNetwork(stack, "Network", logs_key=logs_key, vpc=vpc)
    bucket = s3.Bucket.from_bucket_name(stack, "Lake", "existing-data-lake")
    logs = s3.Bucket.from_bucket_name(stack, "AccessLogs", "existing-access-logs")
    data = SecureBucket(stack, "Data", encryption_key=data_key, access_log_bucket=logs)
    ExecutionRole(
        stack,
        "Role",
        read_buckets=[S3Prefix(bucket, "raw"), S3Prefix(data.bucket, "raw")],
        keys=[data_key],
        subnets=network.subnets,
        security_groups=[network.workload_security_group],
    )
    acknowledge(data, REPLICATION_RULES, _SINGLE_REGION)
    # What an import leaves unverifiable is acknowledged on the narrowest construct, as a user would.
    imported_key = (
        "The key is imported by ARN from the platform team's key stack, where it is a customer "
        "managed key with rotation on; the rule cannot see that stack from this template."
    )
    cdk.Validations.of(data.bucket).acknowledge(
        cdk.Acknowledgment(id="SageMakerSecurity::SageMakerSecurity-BucketKmsEncryption", reason=imported_key)
    )
    for group in (
        network.flow_log_group,
        network.dns_firewall.query_log_group,
        network.node.find_child("S3PrefixListLookupLogs"),
    ):
        cdk.Validations.of(group).acknowledge(
            cdk.Acknowledgment(id="SageMakerSecurity::SageMakerSecurity-LogGroupKms", reason=imported_key)
        )
    cdk.Annotations.of(data.bucket).acknowledge_warning(
        "@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
        "The existing access-log bucket's policy already admits S3 log delivery (logging.s3.amazonaws.com) "
        "from this account; CDK cannot add that statement to an imported bucket.",
    )
    result = _synth(app)
    assert _unacknowledged(result) == []
    assert _missing_context(result) == []
    template = result["templates"]["Imported"]
    assert resources(template, "AWS::EC2::VPC") == {}
    (bucket_resource,) = resources(template, "AWS::S3::Bucket").values()
    encryption = bucket_resource["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == data_key.key_arn


# --- the app: account baseline and workload ----------------------------------------------------------


@pytest.fixture(scope="module")
def default_app(default_assembly: Path) -> Path:
    """app.py exactly as `cdk synth` runs it with cdk.json (the first deploy's settings)."""
    return default_assembly


def _template(assembly: Path, key: str) -> dict:
    return json.loads((assembly / f"{cdk_json_context()[key]}.template.json").read_text())


def test_app_deploys_the_workload_after_the_account_baseline(default_app):
    manifest = json.loads((default_app / "manifest.json").read_text())
    workload = cdk_json_context()["secure-sagemaker:stackName"]
    account = cdk_json_context()["secure-sagemaker:accountStackName"]
    assert account in manifest["artifacts"][workload]["dependencies"]
    assert workload not in manifest["artifacts"][account].get("dependencies", [])


def test_once_per_account_resources_live_only_in_the_account_baseline(default_app):
    account = _template(default_app, "secure-sagemaker:accountStackName")
    workload = _template(default_app, "secure-sagemaker:stackName")
    for once in (
        "AWS::GuardDuty::Detector",
        "AWS::Config::ConfigurationRecorder",
        "AWS::Config::DeliveryChannel",
        "AWS::ApiGateway::Account",
    ):
        assert len(resources(account, once)) == 1, once
        assert resources(workload, once) == {}, once
    (trail,) = resources(account, "AWS::CloudTrail::Trail").values()
    assert "EventSelectors" not in trail["Properties"]  # management events (the default selector)
    (data_trail,) = resources(workload, "AWS::CloudTrail::Trail").values()
    assert [s["IncludeManagementEvents"] for s in data_trail["Properties"]["EventSelectors"]] == [False]


def test_the_account_baseline_is_ready_for_stacksets(default_app):
    """No asset, bootstrap check, export or import: the template deploys as it is to any account."""
    account = _template(default_app, "secure-sagemaker:accountStackName")
    text = json.dumps(account)
    assert "BootstrapVersion" not in account.get("Parameters", {})
    assert "CheckBootstrapVersion" not in account.get("Rules", {})
    assert "cdk-hnb659fds" not in text and "Fn::ImportValue" not in text
    assert all("Export" not in o for o in account.get("Outputs", {}).values())
    assert not re.search(r'"Type": "AWS::Lambda::Function"', text)


def test_the_first_deploy_needs_no_artifact_the_stack_cannot_hold(default_app):
    workload = _template(default_app, "secure-sagemaker:stackName")
    for absent in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"):
        assert resources(workload, absent) == {}, absent
    assert resources(workload, "AWS::ECR::Repository")  # where the second step pushes the image


def test_physical_names_are_derived_from_the_stack_so_two_copies_share_none(
    tmp_path_factory, baseline_template, account_template
):
    """Two workload and two account baselines (one account) share no physical name.

    The first copy of each is app.py's full baseline (the session's synth, environment-agnostic
    like the second), so only the second copy, under other stack names, is synthesized here.
    """
    app = new_app(tmp_path_factory.mktemp("two-copies"), **FULL_BASELINE)
    config = BaselineConfig.from_context(app.node)
    stacks = [
        cls(app, name, config=config)
        for cls, name in ((SecureSageMakerStack, "TeamB"), (SecureSageMakerAccountStack, "AccountB"))
    ]
    assembly = app.synth()
    templates = {"TeamA": baseline_template, "AccountA": account_template}
    templates.update({stack.stack_name: assembly.get_stack_by_name(stack.stack_name).template for stack in stacks})
    names: dict[str, set[str]] = {}
    for stack_name, template in templates.items():
        own = set(template["Resources"])
        names[stack_name] = {
            f"{r['Type']}.{prop}={json.dumps(value, sort_keys=True)}"
            for r in template["Resources"].values()
            for prop, value in r.get("Properties", {}).items()
            # a name built from a resource of its own stack (an API id, a web ACL id) is unique
            if prop in _PHYSICAL_NAMES.get(r["Type"], ()) and not _names_own_resource(value, own)
        }
    assert names["TeamA"] and names["AccountA"]
    assert names["TeamA"] & names["TeamB"] == set()
    assert names["AccountA"] & names["AccountB"] == set()


def _names_own_resource(value: Any, own: set[str]) -> bool:
    if isinstance(value, dict):
        if value.keys() == {"Ref"} and value["Ref"] in own:
            return True
        if value.keys() == {"Fn::GetAtt"} and value["Fn::GetAtt"][0] in own:
            return True
        return any(_names_own_resource(v, own) for v in value.values())
    if isinstance(value, list):
        return any(_names_own_resource(v, own) for v in value)
    return False


#: Properties that name a resource uniquely in an account and Region, by type, for every type the
#: baselines create with a name (the others get names CloudFormation generates).
_PHYSICAL_NAMES = {
    "AWS::KMS::Alias": ("AliasName",),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::CloudTrail::Trail": ("TrailName",),
    "AWS::SageMaker::Domain": ("DomainName",),
    "AWS::WAFv2::WebACL": ("Name",),
    "AWS::WAFv2::IPSet": ("Name",),
    "AWS::ApiGateway::RestApi": ("Name",),
    "AWS::ApiGateway::UsagePlan": ("UsagePlanName",),
    "AWS::SNS::Topic": ("TopicName",),
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName",),
    "AWS::Config::ConfigRule": ("ConfigRuleName",),
    "AWS::Events::Rule": ("Name",),
    "AWS::CloudWatch::Alarm": ("AlarmName",),
    "AWS::SageMaker::NotebookInstance": ("NotebookInstanceName",),
    "AWS::SageMaker::Model": ("ModelName",),
    "AWS::SageMaker::EndpointConfig": ("EndpointConfigName",),
    "AWS::SageMaker::Endpoint": ("EndpointName",),
    "AWS::SageMaker::NotebookInstanceLifecycleConfig": ("NotebookInstanceLifecycleConfigName",),
}


def test_nothing_is_kept_by_a_failed_first_deploy(baseline_template, account_template):
    """Every retained resource is RetainExceptOnCreate: a failed first create rolls it back, so the
    retry never meets a leftover detector, key, bucket, domain or fixed-name log group."""
    for template in (baseline_template, account_template):
        policies = {r.get("DeletionPolicy") for r in template["Resources"].values()} - {None, "Delete"}
        assert policies == {"RetainExceptOnCreate"}


def test_studio_keeps_the_network_it_lives_in_so_the_stack_deletes_cleanly(baseline_template):
    kept = {
        r["Type"] for r in baseline_template["Resources"].values() if r.get("DeletionPolicy") == "RetainExceptOnCreate"
    }
    assert {"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::SageMaker::Domain"} <= kept
    (workload_sg,) = [k for k in resources(baseline_template, "AWS::EC2::SecurityGroup") if "Workload" in k]
    assert baseline_template["Resources"][workload_sg]["DeletionPolicy"] == "RetainExceptOnCreate"
    for deleted in ("AWS::EC2::VPCEndpoint", "AWS::EC2::FlowLog"):
        assert all("DeletionPolicy" not in r for r in resources(baseline_template, deleted).values()), deleted
    # Without Studio nothing holds the network, so it is deleted with the stack.
    app = new_app()
    stack = SecureSageMakerStack(app, "NoStudio", config=BaselineConfig(studio=False, notebook=False))
    template = app.synth().get_stack_by_name(stack.stack_name).template
    for network_type in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup"):
        assert all("DeletionPolicy" not in r for r in resources(template, network_type).values()), network_type


def test_the_api_gateway_cloudwatch_role_is_the_account_baselines(baseline_template, account_template):
    assert resources(baseline_template, "AWS::ApiGateway::Account") == {}
    (setting,) = resources(account_template, "AWS::ApiGateway::Account").values()
    role = setting["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    trust = account_template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "apigateway.amazonaws.com"}]


def test_organization_switches_shape_the_account_baseline():
    """Each switch drops exactly what the organization runs; the alerts on GuardDuty stay wired."""
    app = new_app()
    config = BaselineConfig(
        organization_runs_cloud_trail=True,
        organization_runs_guard_duty=True,
        organization_runs_config_rules=True,
        create_api_gateway_cloud_watch_role=False,
    )
    stack = SecureSageMakerAccountStack(app, "Organization", config=config)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    for absent in (
        "AWS::CloudTrail::Trail",
        "AWS::GuardDuty::Detector",
        "AWS::Config::ConfigRule",
        "AWS::Config::ConfigurationRecorder",
        "AWS::ApiGateway::Account",
    ):
        assert resources(template, absent) == {}, absent
    rules = resources(template, "AWS::Events::Rule").values()
    assert [r["Properties"]["EventPattern"]["source"] for r in rules] == [["aws.guardduty"]]


@pytest.mark.parametrize(
    "context, recorder",
    [
        ({}, True),  # a fresh account has no recorder, and the rules need one
        ({"secure-sagemaker:createConfigRecorder": False}, False),  # the account has one already
    ],
)
def test_config_rules_come_with_a_recorder_unless_the_account_has_one(context, recorder):
    app = new_app(**context)
    stack = SecureSageMakerAccountStack(app, "Account")
    template = app.synth().get_stack_by_name(stack.stack_name).template
    assert resources(template, "AWS::Config::ConfigRule")
    assert bool(resources(template, "AWS::Config::ConfigurationRecorder")) is recorder
