"""SecureDataQualityMonitor: isolation, keys, the analyzer image, schedule, alert, roles, nag, cfn-lint, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Capture, Match, Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.acknowledgments import STOCK_PACKS
from secure_sagemaker.audit.alerts import AlertTopic
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.identity import ExecutionRole, S3Prefix
from secure_sagemaker.inference import SecureEndpoint, SecureModel
from secure_sagemaker.model_monitor import (
    ANALYZER_MAPPING_ID,
    ANALYZER_REGISTRY_ACCOUNTS,
    HOURLY,
    SCHEDULE_NAME,
    SecureDataQualityMonitor,
    schedule_interval_hours,
)
from secure_sagemaker.nag.engine import check_body
from secure_sagemaker.network import PrivateNetwork
from secure_sagemaker.reminders import is_reminder
from secure_sagemaker.storage import SecureBucket
from tests.helpers import (
    CfnLint,
    get_att,
    logical_id,
    monitor_role,
    new_app,
    props,
    ref,
    resources,
    served_endpoints,
    synth_with_stock_packs,
)

COMPLIANCE_PACKS = STOCK_PACKS[1:]
JOB_DEFINITION = "AWS::SageMaker::DataQualityJobDefinition"
SCHEDULE = "AWS::SageMaker::MonitoringSchedule"
OVERRIDE_IMAGE = "111122223333.dkr.ecr.il-central-1.amazonaws.com/sagemaker-model-monitor-analyzer@sha256:" + "ab" * 32
JOB = sagemaker.CfnDataQualityJobDefinition
PLAIN_KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"


def s3_uri(bucket_id: str, key: str) -> dict:
    return {"Fn::Join": ["", ["s3://", ref(bucket_id), f"/{key}"]]}


def _recipe(stack: cdk.Stack, *, as_execution_role: bool) -> None:
    """The documented recipe: the capture bucket first, an ExecutionRole from the same values, then the monitor."""
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    captures = SecureBucket(stack, "Captures", encryption_key=keys.models_key)
    (endpoint,) = served_endpoints(stack, keys, network, captures, "Endpoint")
    role = monitor_role(
        stack,
        "MonitorRole",
        network,
        keys.models_key,
        [S3Prefix(captures.bucket, endpoint.data_capture_prefix)],
        [S3Prefix(captures.bucket, "monitoring")],
    )
    SecureDataQualityMonitor(
        stack,
        "Monitor",
        endpoint=endpoint,
        role=role if as_execution_role else role.role,
        encryption_key=keys.models_key,
        schedule_name="churn-data-quality",
    )


def _granted(stack: cdk.Stack) -> dict[str, Any]:
    """Roles with network props only: the model, the endpoint and the monitor grant them what they use."""
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    captures = SecureBucket(stack, "Captures", encryption_key=keys.models_key)
    reports = SecureBucket(stack, "Reports")
    repo = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    in_network: dict[str, Any] = {"subnets": network.subnets, "security_groups": [network.workload_security_group]}
    model_role = ExecutionRole(stack, "ModelRole", **in_network)
    model = SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=model_role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    alerts = AlertTopic(stack, "Alerts", keys=keys)
    endpoint = SecureEndpoint(
        stack,
        "Endpoint",
        model=model,
        encryption_key=keys.models_key,
        alarm_topic=alerts.topic,
        data_capture_bucket=captures,
    )
    monitor_role = ExecutionRole(stack, "MonitorRole", **in_network)
    SecureDataQualityMonitor(
        stack,
        "Monitor",
        endpoint=endpoint,
        role=monitor_role,
        encryption_key=keys.models_key,
        output_bucket=reports,
        output_prefix="dq",
        baseline_constraints_uri=f"s3://{reports.bucket.bucket_name}/baselines/churn/constraints.json",
        baseline_bucket=reports,
        schedule_name="granted-data-quality",
    )
    return {
        "model_policy": logical_id(model_role.policy),
        "monitor_policy": logical_id(monitor_role.policy),
        "captures": logical_id(captures.bucket),
        "reports": logical_id(reports.bucket),
        "repo": logical_id(repo),
        "models_key": logical_id(keys.models_key),
        "reports_key": logical_id(reports.key),
    }


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One App with every variant, synthesized once with the four stock packs; cfn-lint starts at once."""
    outdir = Path(tmp_path_factory.mktemp("monitoring"))
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key)  # every interface endpoint: our pack checks them
    captures = SecureBucket(stack, "Captures", encryption_key=keys.models_key)
    reports = SecureBucket(stack, "Reports")  # a bucket with a key of its own
    endpoint, other_endpoint = served_endpoints(stack, keys, network, captures, "Endpoint", "OtherEndpoint")
    capture = S3Prefix(captures.bucket, "data-capture")
    role = monitor_role(
        stack, "MonitorRole", network, keys.models_key, [capture], [S3Prefix(captures.bucket, "monitoring")]
    )
    custom_role = monitor_role(
        stack,
        "CustomRole",
        network,
        keys.models_key,
        [capture, S3Prefix(reports.bucket, "baselines")],
        [S3Prefix(reports.bucket, "dq/churn")],
    )

    default = SecureDataQualityMonitor(stack, "Monitor", endpoint=endpoint, role=role, encryption_key=keys.models_key)
    custom = SecureDataQualityMonitor(
        stack,
        "Custom",
        endpoint=other_endpoint,
        role=custom_role.role,
        encryption_key=keys.models_key,
        output_bucket=reports,
        output_prefix="dq/churn/",
        schedule_expression="cron(0 3 ? * * *)",
        baseline_constraints_uri=f"s3://{reports.bucket.bucket_name}/baselines/constraints.json",
        baseline_statistics_uri=f"s3://{reports.bucket.bucket_name}/baselines/statistics.json",
        baseline_bucket=reports,
        instance_type="ml.c5.xlarge",
        instance_count=2,
        volume_size=50,
        max_runtime=cdk.Duration.hours(2),
        image_uri=OVERRIDE_IMAGE,
        schedule_name="churn-data-quality",
    )

    _recipe(cdk.Stack(app, "WithExecutionRole"), as_execution_role=True)
    _recipe(cdk.Stack(app, "WithIamRole"), as_execution_role=False)
    granted_ids = _granted(cdk.Stack(app, "Granted"))

    # Positive control for our pack: a bare job definition and a schedule with a bare inline job.
    control = cdk.Stack(app, "Control")
    bare_cluster = {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}
    bare_output = {
        "MonitoringOutputs": [{"S3Output": {"LocalPath": "/opt/ml/processing/output", "S3Uri": "s3://some-bucket/out"}}]
    }
    cdk.CfnResource(
        control,
        "Bare",
        type=JOB_DEFINITION,
        properties={
            "RoleArn": "arn:aws:iam::111111111111:role/Monitor",
            "DataQualityAppSpecification": {
                "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
            },
            "DataQualityJobInput": {
                "EndpointInput": {"EndpointName": "e", "LocalPath": "/opt/ml/processing/input/endpoint"}
            },
            "DataQualityJobOutputConfig": bare_output,
            "JobResources": {"ClusterConfig": bare_cluster},
        },
    )
    cdk.CfnResource(
        control,
        "BareSchedule",
        type=SCHEDULE,
        properties={
            "MonitoringScheduleName": "bare",
            "MonitoringScheduleConfig": {
                "ScheduleConfig": {"ScheduleExpression": HOURLY},
                "MonitoringJobDefinition": {
                    "RoleArn": "arn:aws:iam::111111111111:role/Monitor",
                    "MonitoringAppSpecification": {
                        "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
                    },
                    "MonitoringInputs": [
                        {"EndpointInput": {"EndpointName": "e", "LocalPath": "/opt/ml/processing/input/endpoint"}}
                    ],
                    "MonitoringOutputConfig": bare_output,
                    "MonitoringResources": {"ClusterConfig": bare_cluster},
                },
            },
        },
    )

    ids = {
        "models_key": logical_id(keys.models_key),
        "reports_key": logical_id(reports.key),
        "captures": logical_id(captures.bucket),
        "reports": logical_id(reports.bucket),
        "topic": logical_id(endpoint.alarm_topic),
        "endpoint": logical_id(endpoint.endpoint),
        "other_endpoint": logical_id(other_endpoint.endpoint),
        "role": logical_id(role.role),
        "custom_role": logical_id(custom_role.role),
        "role_policy": logical_id(role.policy),
        "sg": logical_id(network.workload_security_group),
        "subnets": [stack.resolve(s.subnet_id)["Ref"] for s in network.subnets.subnets],
        "job": logical_id(default.job_definition),
        "custom_job": logical_id(custom.job_definition),
        "schedule": logical_id(default.schedule),
        "custom_schedule": logical_id(custom.schedule),
        "rule": logical_id(default.failure_rule),
    }
    error = synth_with_stock_packs(app)
    names = ("Test", "WithExecutionRole", "WithIamRole", "Control", "Granted")
    templates = {name: json.loads((outdir / f"{name}.template.json").read_text()) for name in names}
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
            "custom": custom,
            "endpoint": endpoint,
            "captures": captures,
            "reports": reports,
            "keys": keys,
            "role": role,
            "custom_role": custom_role,
            "network": network,
        },
    }


# --- the job definition --------------------------------------------------------------------------------


def test_job_runs_network_isolated_in_the_private_subnets_with_encrypted_traffic(template: dict, ids: dict) -> None:
    for job in ("job", "custom_job"):
        assert props(template, ids[job])["NetworkConfig"] == {
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": {
                "SecurityGroupIds": [get_att(ids["sg"], "GroupId")],
                "Subnets": [ref(s) for s in ids["subnets"]],
            },
        }


def test_job_reads_the_endpoints_captured_data(template: dict, ids: dict) -> None:
    for job, endpoint in (("job", "endpoint"), ("custom_job", "other_endpoint")):
        assert props(template, ids[job])["DataQualityJobInput"] == {
            "EndpointInput": {
                "EndpointName": get_att(ids[endpoint], "EndpointName"),
                "LocalPath": "/opt/ml/processing/input/endpoint",
            }
        }


def test_volumes_use_the_given_key_and_reports_their_buckets_key(template: dict, ids: dict) -> None:
    models_key = get_att(ids["models_key"], "Arn")
    for job, bucket, key, prefix in (
        ("job", "captures", "models_key", "monitoring"),
        ("custom_job", "reports", "reports_key", "dq/churn"),
    ):
        p = props(template, ids[job])
        assert p["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == models_key
        assert p["DataQualityJobOutputConfig"] == {
            "KmsKeyId": get_att(ids[key], "Arn"),
            "MonitoringOutputs": [
                {
                    "S3Output": {
                        "LocalPath": "/opt/ml/processing/output",
                        "S3Uri": s3_uri(ids[bucket], prefix),
                        "S3UploadMode": "EndOfJob",
                    }
                }
            ],
        }


def test_defaults_and_options_are_visible_in_the_template(template: dict, ids: dict) -> None:
    default, custom = props(template, ids["job"]), props(template, ids["custom_job"])
    assert default["JobResources"]["ClusterConfig"] | {"VolumeKmsKeyId": None} == {
        "InstanceCount": 1,
        "InstanceType": "ml.m5.xlarge",
        "VolumeSizeInGB": 30,
        "VolumeKmsKeyId": None,
    }
    assert custom["JobResources"]["ClusterConfig"] | {"VolumeKmsKeyId": None} == {
        "InstanceCount": 2,
        "InstanceType": "ml.c5.xlarge",
        "VolumeSizeInGB": 50,
        "VolumeKmsKeyId": None,
    }
    assert (default["StoppingCondition"], custom["StoppingCondition"]) == (
        {"MaxRuntimeInSeconds": 3600},
        {"MaxRuntimeInSeconds": 7200},
    )
    assert default["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    assert default["RoleArn"] == get_att(ids["role"], "Arn") and custom["RoleArn"] == get_att(ids["custom_role"], "Arn")
    # A baseline only when given; the job definition keeps a generated name, since every change replaces it.
    assert (
        "DataQualityBaselineConfig" not in default
        and "JobDefinitionName" not in default
        and "JobDefinitionName" not in custom
    )
    assert custom["DataQualityBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": s3_uri(ids["reports"], "baselines/constraints.json")},
        "StatisticsResource": {"S3Uri": s3_uri(ids["reports"], "baselines/statistics.json")},
    }


def test_the_analyzer_image_comes_from_one_region_mapping_or_the_override(template: dict, ids: dict) -> None:
    assert props(template, ids["job"])["DataQualityAppSpecification"]["ImageUri"] == {
        "Fn::Join": [
            "",
            [
                {"Fn::FindInMap": [ANALYZER_MAPPING_ID, ref("AWS::Region"), "account"]},
                ".dkr.ecr.",
                ref("AWS::Region"),
                ".",
                ref("AWS::URLSuffix"),
                "/sagemaker-model-monitor-analyzer",
            ],
        ]
    }
    assert template["Mappings"] == {
        ANALYZER_MAPPING_ID: {r: {"account": a} for r, a in ANALYZER_REGISTRY_ACCOUNTS.items()}
    }
    assert props(template, ids["custom_job"])["DataQualityAppSpecification"]["ImageUri"] == OVERRIDE_IMAGE


def test_the_registry_table_is_the_documented_one() -> None:
    """The 25 Regions of the Developer Guide's table; the page's own example is us-west-2's."""
    assert len(ANALYZER_REGISTRY_ACCOUNTS) == 25
    assert ANALYZER_REGISTRY_ACCOUNTS["us-west-2"] == "159807026194"
    assert ANALYZER_REGISTRY_ACCOUNTS["eu-central-1"] == "048819808253"  # a leading zero, kept as a string
    assert all(re.fullmatch(r"\d{12}", a) for a in ANALYZER_REGISTRY_ACCOUNTS.values())
    assert len(set(ANALYZER_REGISTRY_ACCOUNTS.values())) == 25
    assert {"cn-north-1", "cn-northwest-1", "us-gov-west-1"} <= set(ANALYZER_REGISTRY_ACCOUNTS)


# --- the schedule and the alert ----------------------------------------------------------------------------


def test_schedule_runs_the_job_definition_on_the_endpoint(template: dict, ids: dict, synth: dict) -> None:
    for schedule, job, endpoint, expression in (
        ("schedule", "job", "endpoint", HOURLY),
        ("custom_schedule", "custom_job", "other_endpoint", "cron(0 3 ? * * *)"),
    ):
        p = props(template, ids[schedule])
        assert p["EndpointName"] == get_att(ids[endpoint], "EndpointName")
        assert p["MonitoringScheduleConfig"] == {
            "MonitoringJobDefinitionName": {
                "Fn::Select": [1, {"Fn::Split": ["/", get_att(ids[job], "JobDefinitionArn")]}]
            },
            "MonitoringType": "DataQuality",
            "ScheduleConfig": {"ScheduleExpression": expression},
        }
    name = synth["constructs"]["default"].schedule_name
    assert props(template, ids["schedule"])["MonitoringScheduleName"] == name
    assert name.startswith("Test-Monitor-") and SCHEDULE_NAME.match(name)
    assert props(template, ids["custom_schedule"])["MonitoringScheduleName"] == "churn-data-quality"


def test_failed_and_stopped_runs_of_this_schedule_notify_the_endpoints_alarm_topic(template: dict, ids: dict) -> None:
    rule = props(template, ids["rule"])
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {
            "ProcessingJobStatus": ["Failed", "Stopped"],
            "MonitoringScheduleArn": [get_att(ids["schedule"], "MonitoringScheduleArn")],
        },
    }
    assert rule["State"] == "ENABLED"
    assert rule["Targets"] == [{"Arn": ref(ids["topic"]), "Id": "Target0"}]
    # The AlertTopic's own policy admits EventBridge rules of the account; the target adds no statement.
    (policy,) = resources(template, "AWS::SNS::TopicPolicy").values()
    sids = [s.get("Sid") for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert "EventBridgeRulesOfThisAccount" in sids and len(sids) == 3


def test_nothing_is_retained_but_the_buckets_of_the_data(template: dict, ids: dict) -> None:
    for kind in (JOB_DEFINITION, SCHEDULE, "AWS::Events::Rule"):
        for resource in resources(template, kind).values():
            assert (
                resource.get("DeletionPolicy", "Delete") == "Delete"
                and resource.get("UpdateReplacePolicy", "Delete") == "Delete"
            )
    for bucket in ("captures", "reports"):
        assert template["Resources"][ids[bucket]]["DeletionPolicy"] == "RetainExceptOnCreate"


# --- the role ---------------------------------------------------------------------------------------------


def test_the_deprecated_role_attributes_still_say_what_the_role_needs(synth: dict) -> None:
    c = synth["constructs"]
    default, custom = c["default"], c["custom"]
    with pytest.warns(DeprecationWarning, match="role_read_prefixes is deprecated"):
        assert default.role_read_prefixes == (S3Prefix(c["captures"].bucket, "data-capture"),)
    with pytest.warns(DeprecationWarning, match="role_write_prefixes is deprecated"):
        assert default.role_write_prefixes == (S3Prefix(c["captures"].bucket, "monitoring"),)
        assert custom.role_write_prefixes == (S3Prefix(c["reports"].bucket, "dq/churn"),)
    with pytest.warns(DeprecationWarning, match="role_keys is deprecated"):
        assert default.role_keys == (c["keys"].models_key,)  # the volume key is the capture bucket's
        assert custom.role_keys == (c["keys"].models_key, c["reports"].key)


def test_the_monitor_model_and_endpoint_grant_their_roles_what_they_use(synth: dict) -> None:
    ids = synth["granted_ids"]
    template = Template.from_json(synth["templates"]["Granted"])

    def under(bucket: str, prefix: str) -> dict:
        return {"Fn::Join": ["", [get_att(bucket, "Arn"), f"/{prefix}*"]]}

    def statements(policy: str) -> dict[str, Any]:
        body = template.to_json()["Resources"][policy]["Properties"]["PolicyDocument"]
        return {s["Sid"]: s["Resource"] for s in body["Statement"]}

    # The monitor: read the captured data and the baseline's folder, write its reports, use the keys.
    monitor = statements(ids["monitor_policy"])
    assert monitor["ReadObjects"] == [
        under(ids["captures"], "data-capture/"),
        under(ids["reports"], "baselines/churn/"),
    ]
    assert monitor["ReadWriteObjects"] == under(ids["reports"], "dq/")
    assert monitor["UseKeys"] == [get_att(ids["models_key"], "Arn"), get_att(ids["reports_key"], "Arn")]
    # The model pulls from its repository; its endpoint writes the captured data with the model's role.
    model = statements(ids["model_policy"])
    assert model["PullImages"] == get_att(ids["repo"], "Arn")
    assert model["ReadWriteObjects"] == under(ids["captures"], "data-capture/")
    assert "ReadObjects" not in model  # no model data: the image carries the model
    written = Capture()
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Sid": "ListBucket0", "Condition": {"StringLike": {"s3:prefix": written}}})]
                )
            }
        },
    )
    assert written.as_array() == ["data-capture", "data-capture/*"]


def test_a_plain_iam_role_is_granted_nothing() -> None:
    stack = cdk.Stack(new_app(), "Plain")
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    captures = SecureBucket(stack, "Captures", encryption_key=keys.models_key)
    (endpoint,) = served_endpoints(stack, keys, network, captures, "Endpoint")
    role = iam.Role(stack, "Plain", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    SecureDataQualityMonitor(stack, "Monitor", endpoint=endpoint, role=role, encryption_key=keys.models_key)
    template = Template.from_stack(stack)
    template.resource_properties_count_is(
        "AWS::IAM::Policy", {"Roles": Match.array_with([{"Ref": logical_id(role)}])}, 0
    )
    plain = template.to_json()["Resources"][logical_id(role)]["Properties"]
    assert "ManagedPolicyArns" not in plain and "Policies" not in plain


def test_attributes_say_what_the_jobs_use_and_grants_repeat_nothing(synth: dict, template: dict, ids: dict) -> None:
    c = synth["constructs"]
    default, custom = c["default"], c["custom"]
    assert default.role is c["role"].role and custom.role is c["custom_role"].role
    assert (default.output_bucket, default.output_prefix) == (c["captures"], "monitoring")
    assert (default.capture_bucket, default.capture_prefix) == (c["captures"], "data-capture")
    assert default.output_encryption_key is c["captures"].key and custom.output_encryption_key is c["reports"].key
    assert custom.baseline_bucket is c["reports"].bucket and default.baseline_bucket is None
    assert default.baseline_constraints_uri is None and custom.baseline_statistics_uri.endswith(
        "/baselines/statistics.json"
    )
    assert (default.endpoint, default.network, default.encryption_key) == (
        c["endpoint"],
        c["network"],
        c["keys"].models_key,
    )
    assert default.schedule_expression == HOURLY and custom.image_uri == OVERRIDE_IMAGE
    with pytest.raises(AttributeError):
        default.schedule = None  # read-only attribute
    # Given the same as props, the monitor's grants add nothing.
    statements = props(template, ids["role_policy"])["PolicyDocument"]["Statement"]

    def granted(sid: str) -> list:
        (statement,) = [s for s in statements if s.get("Sid") == sid]
        return statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]

    assert granted("ReadObjects") == [{"Fn::Join": ["", [get_att(ids["captures"], "Arn"), "/data-capture/*"]]}]
    assert granted("ReadWriteObjects") == [{"Fn::Join": ["", [get_att(ids["captures"], "Arn"), "/monitoring/*"]]}]
    assert granted("UseKeys") == [get_att(ids["models_key"], "Arn")]


def test_execution_role_and_iam_role_give_the_same_template(synth: dict) -> None:
    """Two stacks built alike, one passing the ExecutionRole and one its ``role``: identical but for the stack names."""
    with_execution_role, with_iam_role = synth["templates"]["WithExecutionRole"], synth["templates"]["WithIamRole"]

    def without_stack_name(template: dict, name: str) -> dict:
        """The template with the stack name taken out (security group rules carry a hash of the path in their
        ids, the DNS firewall's names the stack name)."""
        body = json.loads(json.dumps(template).replace(f"{name}/", ""))
        rules = {k: v for k, v in body["Resources"].items() if name in k}
        assert {v["Type"] for v in rules.values()} <= {
            "AWS::EC2::SecurityGroupIngress",
            "AWS::EC2::SecurityGroupEgress",
        }
        body["Resources"] = {k: v for k, v in body["Resources"].items() if k not in rules}
        for resource in body["Resources"].values():  # the DNS firewall's names derive from the stack's
            if resource["Type"].startswith("AWS::Route53Resolver::"):
                resource["Properties"].pop("Name", None)
        return {"template": body, "rules": sorted(json.dumps(v, sort_keys=True) for v in rules.values())}

    assert without_stack_name(with_iam_role, "WithIamRole") == without_stack_name(
        with_execution_role, "WithExecutionRole"
    )
    (job,) = resources(with_iam_role, JOB_DEFINITION).values()
    role_id = next(r for r in resources(with_iam_role, "AWS::IAM::Role") if r.startswith("MonitorRole"))
    assert job["Properties"]["RoleArn"] == get_att(role_id, "Arn")


# --- nag and cfn-lint ------------------------------------------------------------------------------------


def test_our_pack_reports_nothing(synth: dict) -> None:
    assert [(f.rule_id, f.resource, f.detail) for f in check_body(synth["templates"]["Test"], name="Test")] == []


def test_our_pack_reports_the_job_rules_on_a_bare_job_positive_control(synth: dict) -> None:
    findings = {(f.rule_id, f.resource) for f in check_body(synth["templates"]["Control"], name="Control")}
    assert findings == {
        (f"SageMakerSecurity-{rule}", resource)
        for rule in ("JobNetworkIsolation", "JobInterContainerEncryption", "JobVpcConfig", "JobKms")
        for resource in ("Bare", "BareSchedule")
    }


def test_stock_packs_leave_only_replication_of_the_buckets(synth: dict) -> None:
    """Nothing on the job definitions, schedules or rules; no acknowledgment from model_monitor.py.

    The capture and report buckets are SecureBuckets, whose cross-Region replication is the
    deployment's decision (the baseline acknowledges it).
    """
    reports = synth["report"]["pluginReports"]
    violations = {
        (v["ruleName"], c["constructPath"])
        for r in reports
        for v in r["violations"]
        for c in v["violatingConstructs"]
        if not is_reminder(r["pluginName"], v)
    }
    buckets = ["Captures/Bucket", "Captures/AccessLogs/Bucket", "Reports/Bucket", "Reports/AccessLogs/Bucket"]
    assert {v for v in violations if v[1].startswith("Test/")} == {
        (f"{pack}-S3BucketReplicationEnabled", f"Test/{b}/Resource") for pack in COMPLIANCE_PACKS for b in buckets
    }
    suppressed = {
        c["constructPath"] for r in reports for v in r.get("suppressedViolations", []) for c in v["violatingConstructs"]
    }
    assert not [p for p in suppressed if p.startswith(("Test/Monitor/", "Test/Custom/", "WithExecutionRole/Monitor/"))]


# --- enforcement -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """A stack with an endpoint, a role and keys, for constructs that must fail (never synthesized)."""
    b = _bare_base(cdk.Stack(new_app(), "Test"))
    stack, keys = b["stack"], b["keys"]
    return {
        **b,
        "alias": kms.Alias(stack, "Alias", alias_name="alias/monitoring", target_key=keys.models_key),
        "plain_bucket": s3.Bucket.from_bucket_name(stack, "Plain", "plain-bucket"),
        "other": SecureBucket(stack, "Other", encryption_key=keys.data_key),
        "count": iter(range(10_000)),
    }


def _monitor(b: dict[str, Any], **overrides: Any) -> SecureDataQualityMonitor:
    required = {"endpoint": b["endpoint"], "role": b["role"], "encryption_key": b["keys"].models_key}
    return SecureDataQualityMonitor(b["stack"], f"Monitor{next(b['count'])}", **{**required, **overrides})


def test_instance_types_with_local_storage_get_no_volume_key(base: dict) -> None:
    """SageMaker rejects VolumeKmsKeyId for them; their NVMe volumes are encrypted in hardware."""
    cluster = _monitor(base, instance_type="ml.m5d.xlarge").job_definition.job_resources.cluster_config
    assert cluster.volume_kms_key_id is None
    assert _monitor(base).job_definition.job_resources.cluster_config.volume_kms_key_id is not None


def _set_network(monitor: SecureDataQualityMonitor, **changes: Any) -> None:
    current = monitor.job_definition.network_config
    fields = ("enable_network_isolation", "enable_inter_container_traffic_encryption", "vpc_config")
    monitor.job_definition.network_config = JOB.NetworkConfigProperty(
        **{**{f: getattr(current, f) for f in fields}, **changes}
    )


@pytest.mark.parametrize(
    "mutate, what",
    [
        (lambda m: _set_network(m, enable_network_isolation=False), "SageMakerSecurity-JobNetworkIsolation"),
        (
            lambda m: _set_network(m, enable_inter_container_traffic_encryption=False),
            "SageMakerSecurity-JobInterContainerEncryption",
        ),
        (lambda m: _set_network(m, vpc_config=None), "SageMakerSecurity-JobVpcConfig"),
        (lambda m: setattr(m.job_definition, "network_config", None), "SageMakerSecurity-JobNetworkIsolation"),
        (
            lambda m: setattr(
                m.job_definition,
                "job_resources",
                JOB.MonitoringResourcesProperty(
                    cluster_config=JOB.ClusterConfigProperty(
                        instance_count=1, instance_type="ml.m5.xlarge", volume_size_in_gb=30
                    )
                ),
            ),
            "SageMakerSecurity-JobKms",
        ),
        (
            lambda m: setattr(
                m.job_definition,
                "data_quality_job_output_config",
                JOB.MonitoringOutputConfigProperty(
                    kms_key_id=PLAIN_KEY_ARN,
                    monitoring_outputs=m.job_definition.data_quality_job_output_config.monitoring_outputs,
                ),
            ),
            "KmsKeyId",
        ),
        (
            lambda m: setattr(
                m.job_definition,
                "data_quality_job_input",
                JOB.DataQualityJobInputProperty(
                    endpoint_input=JOB.EndpointInputProperty(endpoint_name="other", local_path="/x")
                ),
            ),
            "EndpointInput",
        ),
    ],
)
def test_enforced_properties_are_checked_again_at_synth(base: dict, mutate: Callable, what: str) -> None:
    monitor = _monitor(base)
    assert monitor.node.validate() == []
    mutate(monitor)
    errors = monitor.node.validate()
    assert errors and any(what in e for e in errors), errors
    assert all("is enforced by this construct" in e and "Fix:" in e for e in errors)


@pytest.mark.parametrize(
    "expression, hours",
    [
        (HOURLY, 1),
        ("cron(0 12 ? * * *)", 24),
        ("cron(0 0 ? * * *)", 24),
        ("cron(0 00 ? * * *)", 24),
        ("cron(0 23 ? * * *)", 24),
        ("cron(0 17/12 ? * * *)", 12),
        ("cron(0 0/2 ? * * *)", 2),
        ("cron(0 5/24 ? * * *)", 24),
        ("cron(0 24 ? * * *)", None),
        ("cron(0 0/25 ? * * *)", None),
        ("cron(0 0/0 ? * * *)", None),
        ("cron(30 * ? * * *)", None),
        ("cron(0 * * * ? *)", None),
        ("rate(1 hour)", None),
        ("NOW", None),
        ("cron(0 * ? * * *) ", None),
    ],
)
def test_schedule_expressions_are_the_forms_sagemaker_accepts(expression: str, hours: int | None) -> None:
    assert schedule_interval_hours(expression) == hours


@pytest.mark.parametrize(
    "overrides",
    [
        {"schedule_expression": "cron(0 6 ? * * *)", "max_runtime": cdk.Duration.hours(24)},
        {"schedule_expression": "cron(0 0/6 ? * * *)", "max_runtime": cdk.Duration.hours(6)},
        {"max_runtime": cdk.Duration.minutes(45), "instance_count": 100, "volume_size": 16384},
        {
            "output_bucket": "other",
            "output_prefix": "data-capture",
        },  # another bucket: no overlap with the capture prefix
        {"output_prefix": "data-capture-reports"},  # a sibling, not inside
        {"baseline_constraints_uri": "s3://shared-baselines/churn/constraints.json"},
    ],
)
def test_valid_settings_are_accepted(base: dict, overrides: dict) -> None:
    if overrides.get("output_bucket") == "other":
        overrides = {**overrides, "output_bucket": base["other"]}
    monitor = _monitor(base, **overrides)
    assert monitor.node.validate() == []


def test_tokens_are_not_checked(base: dict) -> None:
    expression = cdk.CfnParameter(base["stack"], "Expression").value_as_string
    name = cdk.CfnParameter(base["stack"], "ScheduleName").value_as_string
    monitor = _monitor(base, schedule_expression=expression, schedule_name=name)
    assert (monitor.schedule_expression, monitor.schedule_name) == (expression, name)


def test_a_stack_in_a_region_outside_the_table_needs_image_uri() -> None:
    stack = cdk.Stack(new_app(), "Pinned", env=cdk.Environment(region="il-central-1"))
    b = _bare_base(stack)
    with pytest.raises(
        PropError, match=r"image_uri=None is missing and the stack's Region il-central-1 is not among the 25 Regions"
    ):
        _monitor(b)
    assert _monitor(b, image_uri=OVERRIDE_IMAGE).image_uri == OVERRIDE_IMAGE
    inside = cdk.Stack(new_app(), "Inside", env=cdk.Environment(region="eu-west-1"))
    assert "FindInMap" in json.dumps(inside.resolve(_monitor(_bare_base(inside)).image_uri))


def _bare_base(stack: cdk.Stack) -> dict[str, Any]:
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    captures = SecureBucket(stack, "Captures", encryption_key=keys.models_key)
    (endpoint,) = served_endpoints(stack, keys, network, captures, "Endpoint")
    role = monitor_role(
        stack,
        "MonitorRole",
        network,
        keys.models_key,
        [S3Prefix(captures.bucket, "data-capture")],
        [S3Prefix(captures.bucket, "monitoring")],
    )
    return {
        "stack": stack,
        "keys": keys,
        "endpoint": endpoint,
        "role": role,
        "captures": captures,
        "count": iter(range(100)),
    }


# --- bad input -------------------------------------------------------------------------------------------

BAD: list[tuple[str, str, Callable[[dict], dict]]] = [
    ("endpoint", "has no endpoint_name", lambda b: {"endpoint": None}),
    ("endpoint", "has no model", lambda b: {"endpoint": b["endpoint"].endpoint}),
    ("role", "has no role_arn", lambda b: {"role": "arn:aws:iam::111111111111:role/Monitor"}),
    ("role", "has no role_arn", lambda b: {"role": None}),
    ("encryption_key", "has no key_arn", lambda b: {"encryption_key": PLAIN_KEY_ARN}),
    ("encryption_key", "has no key_arn", lambda b: {"encryption_key": None}),
    ("encryption_key", "is a KMS alias", lambda b: {"encryption_key": b["alias"]}),
    ("output_bucket", "has no known encryption key", lambda b: {"output_bucket": b["plain_bucket"]}),
    ("output_prefix", "is not an S3 key prefix", lambda b: {"output_prefix": ""}),
    ("output_prefix", "is not an S3 key prefix", lambda b: {"output_prefix": "s3://bucket/monitoring"}),
    ("output_prefix", "is not an S3 key prefix", lambda b: {"output_prefix": "monitoring/*"}),
    ("output_prefix", "is a int, not a str", lambda b: {"output_prefix": 7}),
    ("output_prefix", "longer than 512 characters", lambda b: {"output_prefix": "m" * 450}),
    ("output_prefix", "overlaps the endpoint's data-capture prefix", lambda b: {"output_prefix": "data-capture"}),
    (
        "output_prefix",
        "overlaps the endpoint's data-capture prefix",
        lambda b: {"output_prefix": "data-capture/monitoring/"},
    ),
    ("schedule_expression", "runs the job once at deployment", lambda b: {"schedule_expression": "NOW"}),
    (
        "schedule_expression",
        "is not a schedule SageMaker Model Monitor accepts",
        lambda b: {"schedule_expression": "rate(1 hour)"},
    ),
    (
        "schedule_expression",
        "is not a schedule SageMaker Model Monitor accepts",
        lambda b: {"schedule_expression": "cron(0 24 ? * * *)"},
    ),
    (
        "schedule_expression",
        "is not a schedule SageMaker Model Monitor accepts",
        lambda b: {"schedule_expression": "cron(15 * ? * * *)"},
    ),
    ("schedule_expression", "is a NoneType, not a str", lambda b: {"schedule_expression": None}),
    (
        "max_runtime",
        "is longer than the schedule's interval (1 h)",
        lambda b: {"max_runtime": cdk.Duration.minutes(61)},
    ),
    (
        "max_runtime",
        "is longer than the schedule's interval (6 h)",
        lambda b: {"schedule_expression": "cron(0 0/6 ? * * *)", "max_runtime": cdk.Duration.hours(7)},
    ),
    ("max_runtime", "is not a whole number of seconds", lambda b: {"max_runtime": cdk.Duration.millis(1500)}),
    (
        "max_runtime",
        "is not a whole number of seconds",
        lambda b: {"schedule_expression": "cron(0 1 ? * * *)", "max_runtime": cdk.Duration.hours(25)},
    ),
    ("max_runtime", "is a int, not a Duration", lambda b: {"max_runtime": 3600}),
    ("instance_type", "is not an ml.* instance type", lambda b: {"instance_type": "m5.xlarge"}),
    ("instance_count", "is outside 1..100", lambda b: {"instance_count": 0}),
    ("instance_count", "is outside 1..100", lambda b: {"instance_count": 101}),
    ("instance_count", "is a bool, not a int", lambda b: {"instance_count": True}),
    ("volume_size", "is outside 1..16384", lambda b: {"volume_size": 0}),
    ("volume_size", "is a float, not a int", lambda b: {"volume_size": 30.5}),
    (
        "baseline_constraints_uri",
        "is not an s3://<bucket>/<key> URI",
        lambda b: {"baseline_constraints_uri": "https://b.s3.amazonaws.com/c.json"},
    ),
    (
        "baseline_constraints_uri",
        "is not an s3://<bucket>/<key> URI",
        lambda b: {"baseline_constraints_uri": "s3://baselines/churn/"},
    ),
    (
        "baseline_statistics_uri",
        "is not an s3://<bucket>/<key> URI",
        lambda b: {"baseline_statistics_uri": "s3://baselines"},
    ),
    (
        "baseline_constraints_uri",
        "is not an object in baseline_bucket",
        lambda b: {"baseline_constraints_uri": "s3://elsewhere/constraints.json", "baseline_bucket": b["other"]},
    ),
    (
        "baseline_statistics_uri",
        "is not an object in baseline_bucket",
        lambda b: {
            "baseline_statistics_uri": f"s3://{b['captures'].bucket.bucket_name}/statistics.json",
            "baseline_bucket": b["other"],
        },
    ),
    ("baseline_bucket", "is given without baseline_constraints_uri", lambda b: {"baseline_bucket": b["other"]}),
    (
        "baseline_bucket",
        "has no bucket_name",
        lambda b: {"baseline_bucket": "baselines", "baseline_statistics_uri": "s3://baselines/s.json"},
    ),
    ("image_uri", "is not an ECR image URI", lambda b: {"image_uri": "nginx:latest"}),
    (
        "image_uri",
        "is not an ECR image URI",
        lambda b: {"image_uri": "public.ecr.aws/sagemaker/sagemaker-model-monitor-analyzer"},
    ),
    ("image_uri", "is a int, not a str", lambda b: {"image_uri": 7}),
    ("schedule_name", "is not a valid monitoring schedule name", lambda b: {"schedule_name": "churn data quality"}),
    ("schedule_name", "is not a valid monitoring schedule name", lambda b: {"schedule_name": "churn-"}),
    ("schedule_name", "is not a valid monitoring schedule name", lambda b: {"schedule_name": "m" * 64}),
]


@pytest.mark.parametrize("prop, problem, case", BAD, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BAD)])
def test_bad_input_fails_at_construct_time_naming_the_prop(base: dict, prop: str, problem: str, case: Callable) -> None:
    with pytest.raises(PropError) as raised:
        _monitor(base, **case(base))
    message = str(raised.value)
    assert message.startswith("SecureDataQualityMonitor(Test/Monitor")
    assert f": {prop}=" in message and problem in message and "Fix: " in message


# Last, so that the cfn-lint started by the fixture has run alongside the tests above.
def test_cfn_lint_reports_nothing(synth: dict) -> None:
    assert synth["cfn_lint"].result() == (0, "", "")
