"""SecureModel and SecureEndpoint: templates, alarms, enforcement, nag, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.acknowledgments import STOCK_PACKS
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.identity import ExecutionRole
from secure_sagemaker.inference import SecureEndpoint, SecureModel, environment_problems
from secure_sagemaker.network import PrivateNetwork
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
DLC_ARN = "arn:aws:ecr:eu-west-1:763104351884:repository/pytorch-inference"
DLC_IMAGE = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311"
SHARED_KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
COMPLIANCE_PACKS = STOCK_PACKS[1:]
ALARM_METRICS = {
    "ClientErrors": "Invocation4XXErrors",
    "ServerErrors": "Invocation5XXErrors",
    "ModelLatency": "ModelLatency",
    "InvocationAnomaly": "Invocations",
}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One App with every variant, synthesized once with the four stock packs."""
    outdir = tmp_path_factory.mktemp("inference")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    alerts_key = keys.add_key("alerts", description="alert topic", via_services=["sns"])
    keys.allow_service(
        "alerts",
        "cloudwatch.amazonaws.com",
        ["kms:Decrypt", "kms:GenerateDataKey*"],
        {"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
        sid="CloudWatchAlarms",
    )
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal(SAGEMAKER))
    repo = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    dlc = ecr.Repository.from_repository_arn(stack, "Dlc", DLC_ARN)
    models = SecureBucket(stack, "Models", encryption_key=keys.models_key)
    shared = s3.Bucket.from_bucket_attributes(
        stack,
        "Shared",
        bucket_name="shared-models",
        encryption_key=kms.Key.from_key_arn(stack, "SharedKey", SHARED_KEY_ARN),
    )
    captures = SecureBucket(stack, "Captures", encryption_key=keys.models_key)
    topic = sns.Topic(stack, "Alerts", master_key=alerts_key, enforce_ssl=True)

    model = SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo, dlc],
        model_data_url=f"s3://{models.bucket.bucket_name}/demo/model.tar.gz",
        model_data_bucket=models,
        environment={"SAGEMAKER_PROGRAM": "inference.py", "HF_MODEL_ID": "/opt/ml/model"},
    )
    open_model = SecureModel(
        stack,
        "OpenModel",
        network=network,
        execution_role=role,
        image_uri=DLC_IMAGE,
        repositories=[dlc],
        model_data_url="s3://shared-models/llm/",
        model_data_bucket=shared,
        environment={"SAGEMAKER_SUBMIT_DIRECTORY": "s3://shared-models/code/sourcedir.tar.gz"},
        allow_network_access=True,
    )
    endpoint = SecureEndpoint(stack, "Endpoint", model=model, encryption_key=keys.models_key, alarm_topic=topic)
    single = SecureEndpoint(
        stack,
        "Single",
        model=open_model,
        encryption_key=keys.models_key,
        alarm_topic=topic,
        instance_type="ml.c5.xlarge",
        instance_count=1,
        accept_single_instance=True,
        variant_name="Blue",
        data_capture_bucket=captures,
        data_capture_prefix="capture/single/",
        sampling_percentage=20,
        client_error_threshold=10,
        server_error_threshold=5,
        latency_threshold=cdk.Duration.millis(250),
        invocation_anomaly_std_devs=2,
        max_instance_count=4,
        target_invocations_per_instance=200,
    )
    # Positive control: a bare endpoint configuration and an alarm without actions in another stack,
    # which the stock rules must report. It proves that those rules run on this app.
    control = cdk.Stack(app, "Control")
    sagemaker.CfnEndpointConfig(
        control,
        "Config",
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="v", model_name="m", initial_instance_count=1, instance_type="ml.m5.large"
            )
        ],
    )
    cloudwatch.CfnAlarm(
        control,
        "Alarm",
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=1,
        threshold=1,
        metric_name="Invocations",
        namespace="AWS/SageMaker",
        period=300,
        statistic="Sum",
    )

    ids = {
        "role": logical_id(role),
        "repo": logical_id(repo),
        "models_bucket": logical_id(models.bucket),
        "models_key": logical_id(keys.models_key),
        "captures_bucket": logical_id(captures.bucket),
        "topic": logical_id(topic),
        "model": logical_id(model.model),
        "open_model": logical_id(open_model.model),
        "config": logical_id(endpoint.endpoint_config),
        "single_config": logical_id(single.endpoint_config),
        "endpoint": logical_id(endpoint.endpoint),
        "single_endpoint": logical_id(single.endpoint),
        "capture_bucket": logical_id(endpoint.data_capture_bucket.bucket),
        "sg": logical_id(network.workload_security_group),
        "subnets": [stack.resolve(s.subnet_id)["Ref"] for s in network.subnets.subnets],
    }
    ids["alarms"] = {
        name: {k: logical_id(a) for k, a in e.alarms.items()}
        for name, e in (("endpoint", endpoint), ("single", single))
    }
    error = synth_with_stock_packs(app)
    template = json.loads((Path(outdir) / "Test.template.json").read_text())
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    constructs = {
        "model": model,
        "open_model": open_model,
        "endpoint": endpoint,
        "single": single,
        "captures": captures,
        "models": models,
        "shared": shared,
        "repo": repo,
        "dlc": dlc,
        "topic": topic,
    }
    lint = CfnLint(Path(outdir) / "Test.template.json")
    return {
        "template": template,
        "report": report,
        "error": error,
        "ids": ids,
        "constructs": constructs,
        "cfn_lint": lint,
    }


# --- models ---------------------------------------------------------------------------------------


def test_model_is_network_isolated_in_the_private_subnets(template: dict, ids: dict) -> None:
    model = props(template, ids["model"])
    assert model["EnableNetworkIsolation"] is True
    assert model["VpcConfig"] == {
        "SecurityGroupIds": [get_att(ids["sg"], "GroupId")],
        "Subnets": [ref(s) for s in ids["subnets"]],
    }
    assert model["ExecutionRoleArn"] == get_att(ids["role"], "Arn")


def test_model_image_and_data_come_from_what_the_caller_named(template: dict, ids: dict) -> None:
    container = props(template, ids["model"])["PrimaryContainer"]
    image = container["Image"]["Fn::Join"][1]
    assert image[-3:] == ["/", ref(ids["repo"]), ":v1"]
    assert container["ModelDataUrl"] == {"Fn::Join": ["", ["s3://", ref(ids["models_bucket"]), "/demo/model.tar.gz"]]}
    assert container["Environment"] == {"SAGEMAKER_PROGRAM": "inference.py", "HF_MODEL_ID": "/opt/ml/model"}


def test_network_access_opt_out_is_visible_and_keeps_the_vpc(template: dict, ids: dict) -> None:
    model = props(template, ids["open_model"])
    assert model["EnableNetworkIsolation"] is False
    assert model["VpcConfig"]["Subnets"] == [ref(s) for s in ids["subnets"]]
    assert model["PrimaryContainer"]["Image"] == DLC_IMAGE
    assert model["PrimaryContainer"]["ModelDataSource"] == {
        "S3DataSource": {"S3Uri": "s3://shared-models/llm/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    }
    assert "ModelDataUrl" not in model["PrimaryContainer"]


def test_model_attributes_name_what_the_role_needs(synth: dict[str, Any]) -> None:
    c = synth["constructs"]
    assert (
        c["model"].model_data_bucket is c["models"].bucket
        and c["model"].model_data_encryption_key is c["models"].bucket.encryption_key
    )
    assert c["open_model"].model_data_bucket is c["shared"]
    assert c["open_model"].model_data_encryption_key.key_arn == SHARED_KEY_ARN
    assert c["model"].repositories == [c["repo"], c["dlc"]]
    assert (c["model"].network_isolation, c["open_model"].network_isolation) == (True, False)


# --- endpoint configuration ----------------------------------------------------------------------------


def test_endpoint_config_encrypts_volumes_with_the_models_key(template: dict, ids: dict) -> None:
    for config in ("config", "single_config"):
        assert props(template, ids[config])["KmsKeyId"] == get_att(ids["models_key"], "Arn")


def test_data_capture_to_an_encrypted_bucket(template: dict, ids: dict) -> None:
    capture = props(template, ids["config"])["DataCaptureConfig"]
    assert capture == {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": {"Fn::Join": ["", ["s3://", ref(ids["capture_bucket"]), "/data-capture"]]},
        "KmsKeyId": get_att(ids["models_key"], "Arn"),
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    single = props(template, ids["single_config"])["DataCaptureConfig"]
    assert single["InitialSamplingPercentage"] == 20
    assert single["DestinationS3Uri"] == {"Fn::Join": ["", ["s3://", ref(ids["captures_bucket"]), "/capture/single"]]}
    # The created capture bucket is a SecureBucket under the endpoint's key, retained.
    bucket = template["Resources"][ids["capture_bucket"]]
    sse = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ]
    assert sse == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": get_att(ids["models_key"], "Arn")}
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"


def test_instance_counts(template: dict, ids: dict) -> None:
    (variant,) = props(template, ids["config"])["ProductionVariants"]
    assert variant == {
        "VariantName": "AllTraffic",
        "ModelName": get_att(ids["model"], "ModelName"),
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 2,
        "InitialVariantWeight": 1,
    }
    (single,) = props(template, ids["single_config"])["ProductionVariants"]
    assert (single["InitialInstanceCount"], single["InstanceType"], single["VariantName"]) == (
        1,
        "ml.c5.xlarge",
        "Blue",
    )


def test_scaling_is_bounded_tracks_invocations_and_uses_the_service_linked_role(
    template: dict, ids: dict, synth: dict
) -> None:
    """Only the endpoint given max_instance_count scales, between its two counts, with no role of its own."""
    (target,) = resources(template, "AWS::ApplicationAutoScaling::ScalableTarget").items()
    target_id, target = target
    assert target["Properties"] == {
        "MaxCapacity": 4,
        "MinCapacity": 1,
        "ResourceId": {
            "Fn::Join": ["", ["endpoint/", get_att(ids["single_endpoint"], "EndpointName"), "/variant/Blue"]]
        },
        "RoleARN": {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":iam::",
                    {"Ref": "AWS::AccountId"},
                    ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                ],
            ]
        },
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "ServiceNamespace": "sagemaker",
    }
    (policy,) = resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert policy["Properties"]["ScalingTargetId"] == ref(target_id)
    assert policy["Properties"]["PolicyType"] == "TargetTrackingScaling"
    assert policy["Properties"]["TargetTrackingScalingPolicyConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
        "TargetValue": 200,
    }
    assert not [r for r in resources(template, "AWS::IAM::Role") if "Scaling" in r]
    assert synth["constructs"]["endpoint"].scalable_target is None
    assert synth["constructs"]["single"].scalable_target.node.path == "Test/Single/Scaling"


def test_endpoint_uses_its_config(template: dict, ids: dict) -> None:
    assert props(template, ids["endpoint"]) == {"EndpointConfigName": get_att(ids["config"], "EndpointConfigName")}
    assert len(resources(template, "AWS::SageMaker::Endpoint")) == 2


# --- alarms --------------------------------------------------------------------------------------------


def _alarm_dimensions(alarm: dict) -> list:
    if "Dimensions" in alarm:
        return alarm["Dimensions"]
    (metric,) = [m for m in alarm["Metrics"] if "MetricStat" in m]
    return metric["MetricStat"]["Metric"]["Dimensions"]


def _alarm_metric_name(alarm: dict) -> str:
    if "MetricName" in alarm:
        return alarm["MetricName"]
    (metric,) = [m for m in alarm["Metrics"] if "MetricStat" in m]
    assert metric["MetricStat"]["Metric"]["Namespace"] == "AWS/SageMaker"
    return metric["MetricStat"]["Metric"]["MetricName"]


@pytest.mark.parametrize(
    "which, endpoint, variant", [("endpoint", "endpoint", "AllTraffic"), ("single", "single_endpoint", "Blue")]
)
def test_alarms_watch_each_variant_and_notify_the_topic(
    template: dict, ids: dict, which: str, endpoint: str, variant: str
) -> None:
    alarms = ids["alarms"][which]
    assert set(alarms) == set(ALARM_METRICS)
    assert len(resources(template, "AWS::CloudWatch::Alarm")) == 8
    for purpose, alarm_id in alarms.items():
        alarm = props(template, alarm_id)
        assert _alarm_metric_name(alarm) == ALARM_METRICS[purpose]
        assert alarm.get("Namespace", "AWS/SageMaker") == "AWS/SageMaker"
        assert _alarm_dimensions(alarm) == [
            {"Name": "EndpointName", "Value": get_att(ids[endpoint], "EndpointName")},
            {"Name": "VariantName", "Value": variant},
        ]
        assert alarm["AlarmActions"] == [ref(ids["topic"])] and alarm["OKActions"] == [ref(ids["topic"])]
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm.get("ActionsEnabled", True) is True


def test_alarm_thresholds(template: dict, ids: dict) -> None:
    def alarm(which: str, purpose: str) -> dict:
        return props(template, ids["alarms"][which][purpose])

    for which, client, server, latency_us in (("endpoint", 50, 1, 1_000_000), ("single", 10, 5, 250_000)):
        assert (alarm(which, "ClientErrors")["Statistic"], alarm(which, "ClientErrors")["Threshold"]) == ("Sum", client)
        assert alarm(which, "ClientErrors")["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert (alarm(which, "ServerErrors")["Statistic"], alarm(which, "ServerErrors")["Threshold"]) == ("Sum", server)
        latency = alarm(which, "ModelLatency")
        assert (latency["ExtendedStatistic"], latency["Threshold"], latency["EvaluationPeriods"]) == (
            "p99",
            latency_us,
            2,
        )
        assert latency["Period"] == 300


@pytest.mark.parametrize("which, std_devs", [("endpoint", 3), ("single", 2)])
def test_invocation_anomaly_alarm_is_an_anomaly_detection_band_above_the_upper_bound(
    template: dict, ids: dict, which: str, std_devs: int
) -> None:
    alarm = props(template, ids["alarms"][which]["InvocationAnomaly"])
    assert alarm["ComparisonOperator"] == "GreaterThanUpperThreshold"
    assert alarm["EvaluationPeriods"] == 3
    (band,) = [m for m in alarm["Metrics"] if "Expression" in m]
    (metric,) = [m for m in alarm["Metrics"] if "MetricStat" in m]
    assert band["Expression"] == f"ANOMALY_DETECTION_BAND({metric['Id']}, {std_devs})"
    assert alarm["ThresholdMetricId"] == band["Id"]
    assert (metric["MetricStat"]["Stat"], metric["MetricStat"]["Period"]) == ("Sum", 300)


def test_endpoint_attributes(synth: dict[str, Any]) -> None:
    c = synth["constructs"]
    endpoint = c["endpoint"]
    assert isinstance(endpoint.data_capture_bucket, SecureBucket) and endpoint.data_capture_prefix == "data-capture"
    assert c["single"].data_capture_bucket is c["captures"] and c["single"].data_capture_prefix == "capture/single"
    assert endpoint.model is c["model"] and endpoint.alarm_topic is c["topic"]
    with pytest.raises(TypeError):
        endpoint.alarms["Extra"] = None  # read-only mapping
    with pytest.raises(AttributeError):
        endpoint.endpoint = None  # read-only attribute


# --- nag -----------------------------------------------------------------------------------------------


LOOKUP_FUNCTION = "AWS679f53fac002430cb0da5b7982bd2287/Resource"


def test_stock_packs_leave_only_replication_of_the_buckets(synth: dict[str, Any]) -> None:
    """Endpoint config KMS and alarm actions pass; only bucket replication is left to the caller.

    The data-capture bucket the endpoint creates is a SecureBucket: like every SecureBucket, its
    cross-Region replication is the deployment's decision (the baseline acknowledges it).
    """
    reports = synth["report"]["pluginReports"]
    violations = {
        (v["ruleName"], c["constructPath"]) for r in reports for v in r["violations"] for c in v["violatingConstructs"]
    }
    buckets = [
        "Models/Bucket",
        "Models/AccessLogs/Bucket",
        "Captures/Bucket",
        "Captures/AccessLogs/Bucket",
        "Endpoint/DataCapture/Bucket",
        "Endpoint/DataCapture/AccessLogs/Bucket",
    ]
    assert {v for v in violations if v[1].startswith("Test/")} == {
        (f"{pack}-S3BucketReplicationEnabled", f"Test/{b}/Resource") for pack in COMPLIANCE_PACKS for b in buckets
    }
    suppressed = {
        (v["ruleName"].split("-", 1)[1], "/".join(c["constructPath"].split("/")[1:3]))
        for r in reports
        for v in r.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    }
    # Only the network's (its security group, its S3 prefix-list lookup and the function CDK
    # shares between a stack's AwsCustomResources) and the access-log buckets' own
    # acknowledgments; none from inference.py.
    assert {path for _, path in suppressed} == {
        "Network/WorkloadSecurityGroup",
        "Network/S3PrefixListLookupPolicy",
        LOOKUP_FUNCTION,
        "Models/AccessLogs",
        "Captures/AccessLogs",
        "Endpoint/DataCapture",
    }
    assert {rule for rule, path in suppressed if path == "Endpoint/DataCapture"} == {"S3DefaultEncryptionKMS"}


def test_stock_endpoint_and_alarm_rules_run_positive_control(synth: dict[str, Any]) -> None:
    reports = synth["report"]["pluginReports"]
    control = {
        v["ruleName"]
        for r in reports
        for v in r["violations"]
        for c in v["violatingConstructs"]
        if c["constructPath"].startswith("Control/")
    }
    assert {f"{p}-SageMakerEndpointConfigurationKMSKeyConfigured" for p in COMPLIANCE_PACKS} <= control
    assert {f"{p}-CloudWatchAlarmAction" for p in ("HIPAA.Security", "NIST.800.53.R5")} <= control
    assert "ValidationFailed" in synth["error"]


# --- enforcement ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """A stack with everything the constructs need, for constructs that must fail (never synthesized)."""
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    repo = ecr.Repository(stack, "Repo")
    models = SecureBucket(stack, "Models", encryption_key=keys.models_key)
    b = {
        "stack": stack,
        "network": network,
        "key": keys.models_key,
        "repo": repo,
        "models": models,
        "dlc": ecr.Repository.from_repository_arn(stack, "Dlc", DLC_ARN),
        "other_repo": ecr.Repository(stack, "OtherRepo"),
        "role": iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal(SAGEMAKER)),
        "topic": sns.Topic(stack, "Topic", master_key=keys.models_key, enforce_ssl=True),
        "plain_bucket": s3.Bucket.from_bucket_name(stack, "Plain", "plain-bucket"),
        "shared": s3.Bucket.from_bucket_attributes(
            stack,
            "Shared",
            bucket_name="shared-models",
            encryption_key=kms.Key.from_key_arn(stack, "SharedKey", SHARED_KEY_ARN),
        ),
        "count": iter(range(10_000)),
    }
    b["model"] = SecureModel(
        stack,
        "GoodModel",
        network=network,
        execution_role=b["role"],
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    return b


def _model(b: dict[str, Any], **overrides: Any) -> SecureModel:
    required = {
        "network": b["network"],
        "execution_role": b["role"],
        "image_uri": b["repo"].repository_uri_for_tag("v1"),
        "repositories": [b["repo"]],
    }
    return SecureModel(b["stack"], f"SecureModel{next(b['count'])}", **{**required, **overrides})


def _endpoint(b: dict[str, Any], **overrides: Any) -> SecureEndpoint:
    required = {"model": b["model"], "encryption_key": b["key"], "alarm_topic": b["topic"]}
    return SecureEndpoint(b["stack"], f"SecureEndpoint{next(b['count'])}", **{**required, **overrides})


@pytest.mark.parametrize(
    "make, mutate, what",
    [
        (
            _model,
            lambda c: setattr(c.model, "enable_network_isolation", False),
            "SageMakerSecurity-ModelNetworkIsolation",
        ),
        (_model, lambda c: setattr(c.model, "vpc_config", None), "SageMakerSecurity-ModelVpcConfig"),
        (
            _model,
            lambda c: setattr(
                c.model,
                "vpc_config",
                sagemaker.CfnModel.VpcConfigProperty(security_group_ids=["sg-1"], subnets=["s-1"]),
            ),
            "VpcConfig in these isolated subnets",
        ),
        (
            _model,
            lambda c: setattr(
                c.model, "primary_container", sagemaker.CfnModel.ContainerDefinitionProperty(image="nginx:latest")
            ),
            "image",
        ),
        (_endpoint, lambda c: setattr(c.endpoint_config, "kms_key_id", None), "SageMakerSecurity-EndpointConfigKms"),
        (
            _endpoint,
            lambda c: setattr(c.endpoint_config, "data_capture_config", None),
            "SageMakerSecurity-EndpointConfigDataCapture",
        ),
        (
            _endpoint,
            lambda c: setattr(
                c.endpoint_config,
                "production_variants",
                [
                    sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                        variant_name="AllTraffic", model_name="m", initial_instance_count=1, instance_type="ml.m5.large"
                    )
                ],
            ),
            "SageMakerSecurity-EndpointConfigMultipleInstances",
        ),
    ],
)
def test_enforced_properties_are_checked_again_at_synth(
    base: dict, make: Callable, mutate: Callable, what: str
) -> None:
    construct = make(base)
    assert construct.node.validate() == []
    mutate(construct)
    errors = construct.node.validate()
    assert any(what in e for e in errors), errors
    assert all("is enforced by this construct" in e and "Fix:" in e for e in errors)


@pytest.mark.parametrize("instance_type", ["ml.g5.xlarge", "ml.p4d.24xlarge", "ml.m5d.large"])
def test_instance_types_with_local_storage_get_no_volume_key(base: dict, instance_type: str) -> None:
    """SageMaker rejects KmsKeyId for them (CreateEndpointConfig fails); the hardware encrypts."""
    endpoint = _endpoint(base, instance_type=instance_type)
    assert endpoint.volumes_encrypted_by_hardware
    assert endpoint.endpoint_config.kms_key_id is None
    assert endpoint.endpoint_config.data_capture_config.kms_key_id is not None  # captured data keeps its key
    assert endpoint.node.validate() == []
    # Adding a key afterwards would fail the deployment, so the re-check refuses it.
    endpoint.endpoint_config.kms_key_id = base["key"].key_arn
    (error,) = endpoint.node.validate()
    assert "no KmsKeyId" in error and "is enforced" in error


def test_a_gpu_endpoint_is_no_finding_of_our_pack():
    """Neither the construct nor the rule treats hardware encryption as a weaker setting."""
    from secure_sagemaker.nag.engine import check_body

    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    repo = ecr.Repository(stack, "Repo")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal(SAGEMAKER))
    model = SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    topic = sns.Topic(stack, "Topic", master_key=keys.models_key, enforce_ssl=True)
    SecureEndpoint(
        stack, "Gpu", model=model, encryption_key=keys.models_key, alarm_topic=topic, instance_type="ml.g5.xlarge"
    )
    findings = check_body(Template.from_stack(stack).to_json())
    assert [f.rule_id for f in findings if f.rule_id.startswith("SageMakerSecurity-EndpointConfig")] == []


def test_the_instance_storage_table_can_be_overridden(base: dict) -> None:
    ebs = _endpoint(base, instance_type="ml.m5.large")
    assert not ebs.volumes_encrypted_by_hardware and ebs.endpoint_config.kms_key_id is not None
    assert (
        _endpoint(base, instance_type="ml.m5.large", instance_storage_families={"m5"}).endpoint_config.kms_key_id
        is None
    )
    assert (
        _endpoint(base, instance_type="ml.g5.xlarge", instance_storage_families=set()).endpoint_config.kms_key_id
        is not None
    )
    with pytest.raises(PropError, match="instance_storage_families="):
        _endpoint(base, instance_storage_families="g5")


def test_opt_outs_are_not_enforcement_errors(base: dict) -> None:
    assert _model(base, allow_network_access=True).node.validate() == []
    assert _endpoint(base, instance_count=1, accept_single_instance=True).node.validate() == []


# --- bad input ----------------------------------------------------------------------------------------

BAD_MODELS: list[tuple[str, str, Callable[[dict], dict]]] = [
    ("network", "is missing: a network-isolated model still runs in a VPC", lambda b: {"network": None}),
    ("network", "is missing. Fix", lambda b: {"network": None, "allow_network_access": True}),
    ("network", "has no vpc", lambda b: {"network": b["network"].vpc}),
    ("execution_role", "has no role_arn", lambda b: {"execution_role": None}),
    (
        "image_uri",
        "is not an image",
        lambda b: {"image_uri": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/other:1", "repositories": [b["dlc"]]},
    ),
    ("image_uri", "is not an image", lambda b: {"image_uri": "nginx:latest"}),
    ("image_uri", "is not an image", lambda b: {"image_uri": "public.ecr.aws/docker/library/python:3.12"}),
    (
        "image_uri",
        "is not an image",
        lambda b: {
            "image_uri": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:1",
            "repositories": [b["dlc"]],
        },
    ),
    (
        "image_uri",
        "is not an image",
        lambda b: {
            "image_uri": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference/evil:1",
            "repositories": [b["dlc"]],
        },
    ),
    (
        "image_uri",
        "is not an image",
        lambda b: {
            "image_uri": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference-evil:1",
            "repositories": [b["dlc"]],
        },
    ),
    (
        "image_uri",
        "is not an image",
        lambda b: {
            "image_uri": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference",
            "repositories": [b["dlc"]],
        },
    ),
    ("image_uri", "is not an image", lambda b: {"image_uri": b["other_repo"].repository_uri_for_tag("v1")}),
    ("image_uri", "is not an image", lambda b: {"image_uri": b["repo"].repository_uri}),
    ("image_uri", "is a int, not a str", lambda b: {"image_uri": 7}),
    ("repositories", "is not a non-empty list", lambda b: {"repositories": []}),
    (
        "repositories",
        "is a wildcard",
        lambda b: {"repositories": [ecr.Repository.from_repository_name(b["stack"], f"W{next(b['count'])}", "*")]},
    ),
    ("repositories", "has no repository_uri", lambda b: {"repositories": ["my-repo"]}),
    (
        "model_data_url",
        "is not an object or prefix in bucket",
        lambda b: {"model_data_url": "s3://other-bucket/model.tar.gz", "model_data_bucket": b["shared"]},
    ),
    (
        "model_data_url",
        "is not an object or prefix in bucket",
        lambda b: {"model_data_url": "s3://shared-models-evil/model.tar.gz", "model_data_bucket": b["shared"]},
    ),
    (
        "model_data_url",
        "is not an object or prefix in bucket",
        lambda b: {"model_data_url": "s3://shared-models/", "model_data_bucket": b["shared"]},
    ),
    (
        "model_data_url",
        "is not an object or prefix in bucket",
        lambda b: {
            "model_data_url": "https://shared-models.s3.amazonaws.com/m.tar.gz",
            "model_data_bucket": b["shared"],
        },
    ),
    (
        "model_data_url",
        "is not an object or prefix in bucket",
        lambda b: {"model_data_url": "s3://shared-models/m.tar.gz", "model_data_bucket": b["models"]},
    ),
    ("model_data_bucket", "is missing", lambda b: {"model_data_url": "s3://shared-models/m.tar.gz"}),
    ("model_data_bucket", "is given without model_data_url", lambda b: {"model_data_bucket": b["models"]}),
    (
        "model_data_encryption_key",
        "is missing and bucket",
        lambda b: {"model_data_url": "s3://plain-bucket/m.tar.gz", "model_data_bucket": b["plain_bucket"]},
    ),
    (
        "environment",
        "HF_MODEL_ID='meta-llama/Llama-3.1-8B' makes the container download",
        lambda b: {"environment": {"HF_MODEL_ID": "meta-llama/Llama-3.1-8B"}},
    ),
    (
        "environment",
        "OPTION_MODEL_ID='s3://shared-models/llm/' makes the container download",
        lambda b: {"environment": {"OPTION_MODEL_ID": "s3://shared-models/llm/"}},
    ),
    ("environment", "HF_TOKEN is set", lambda b: {"environment": {"HF_TOKEN": "hf_x"}}),
    (
        "environment",
        "SAGEMAKER_SUBMIT_DIRECTORY='s3://b/code.tar.gz' makes the container fetch",
        lambda b: {"environment": {"SAGEMAKER_SUBMIT_DIRECTORY": "s3://b/code.tar.gz"}},
    ),
    (
        "environment",
        "WEIGHTS='https://example.com/w.bin' makes the container fetch",
        lambda b: {"environment": {"WEIGHTS": "https://example.com/w.bin"}},
    ),
    ("environment['N']", "is a int, not a str", lambda b: {"environment": {"N": 1}}),
    ("allow_network_access", "is a str, not a bool", lambda b: {"allow_network_access": "yes"}),
]


@pytest.mark.parametrize("prop, problem, case", BAD_MODELS, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BAD_MODELS)])
def test_bad_model_input_fails_at_construct_time_naming_the_prop(
    base: dict, prop: str, problem: str, case: Callable
) -> None:
    with pytest.raises(PropError) as raised:
        _model(base, **case(base))
    message = str(raised.value)
    assert message.startswith("SecureModel(Test/SecureModel")
    assert f": {prop}=" in message and problem in message and "Fix: " in message


BAD_ENDPOINTS: list[tuple[str, str, Callable[[dict], dict]]] = [
    ("sampling_percentage", "is outside 0..100", lambda b: {"sampling_percentage": 101}),
    ("sampling_percentage", "is outside 0..100", lambda b: {"sampling_percentage": -1}),
    ("sampling_percentage", "is a float, not a int", lambda b: {"sampling_percentage": 50.5}),
    ("sampling_percentage", "is a str, not a int", lambda b: {"sampling_percentage": "100"}),
    ("instance_count", "is below 1", lambda b: {"instance_count": 0}),
    ("instance_count", "is below 1", lambda b: {"instance_count": -2, "accept_single_instance": True}),
    ("instance_count", "is a single instance", lambda b: {"instance_count": 1}),
    ("instance_count", "is a float, not a int", lambda b: {"instance_count": 2.0}),
    ("accept_single_instance", "is a str, not a bool", lambda b: {"accept_single_instance": "yes"}),
    ("model", "has no network", lambda b: {"model": b["model"].model}),
    ("encryption_key", "has no key_arn", lambda b: {"encryption_key": None}),
    ("alarm_topic", "has no topic_arn", lambda b: {"alarm_topic": None}),
    ("data_capture_bucket", "has no known encryption key", lambda b: {"data_capture_bucket": b["plain_bucket"]}),
    ("instance_type", "is not an ml.* instance type", lambda b: {"instance_type": "m5.large"}),
    ("variant_name", "is not a valid variant name", lambda b: {"variant_name": "all_traffic"}),
    ("data_capture_prefix", "is not an S3 key prefix", lambda b: {"data_capture_prefix": "/capture"}),
    (
        "data_capture_prefix",
        "makes the data capture destination URI longer than 512",
        lambda b: {"data_capture_prefix": "c" * 600},
    ),
    (
        "data_capture_prefix",
        "makes the data capture destination URI longer than 512",
        lambda b: {"data_capture_prefix": "c" * 444},
    ),
    ("data_capture_prefix", "is not an S3 key prefix", lambda b: {"data_capture_prefix": "s3://bucket/capture"}),
    ("client_error_threshold", "is below 1", lambda b: {"client_error_threshold": 0}),
    ("server_error_threshold", "is below 1", lambda b: {"server_error_threshold": -1}),
    ("latency_threshold", "is not positive", lambda b: {"latency_threshold": cdk.Duration.millis(0)}),
    ("latency_threshold", "is a int, not a Duration", lambda b: {"latency_threshold": 1000}),
    ("invocation_anomaly_std_devs", "is not above 0", lambda b: {"invocation_anomaly_std_devs": 0}),
    (
        "max_instance_count",
        "is not above instance_count (2)",
        lambda b: {"max_instance_count": 2, "target_invocations_per_instance": 100},
    ),
    (
        "max_instance_count",
        "is a str, not a int",
        lambda b: {"max_instance_count": "4", "target_invocations_per_instance": 100},
    ),
    ("target_invocations_per_instance", "is missing", lambda b: {"max_instance_count": 4}),
    (
        "target_invocations_per_instance",
        "without max_instance_count",
        lambda b: {"target_invocations_per_instance": 100},
    ),
    (
        "target_invocations_per_instance",
        "is below 1",
        lambda b: {"max_instance_count": 4, "target_invocations_per_instance": 0},
    ),
    (
        "target_invocations_per_instance",
        "is a float, not a int",
        lambda b: {"max_instance_count": 4, "target_invocations_per_instance": 9.5},
    ),
]


@pytest.mark.parametrize(
    "prop, problem, case", BAD_ENDPOINTS, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BAD_ENDPOINTS)]
)
def test_bad_endpoint_input_fails_at_construct_time_naming_the_prop(
    base: dict, prop: str, problem: str, case: Callable
) -> None:
    with pytest.raises(PropError) as raised:
        _endpoint(base, **case(base))
    message = str(raised.value)
    assert message.startswith("SecureEndpoint(Test/SecureEndpoint")
    assert f": {prop}=" in message and problem in message and "Fix: " in message


def test_existing_capture_bucket_and_props_to_make_one_conflict(base: dict) -> None:
    log_bucket = s3.Bucket.from_bucket_name(base["stack"], "Logs", "access-logs")
    with pytest.raises(
        PropError,
        match="both data_capture_bucket and data_capture_access_log_bucket.*drop data_capture_access_log_bucket",
    ):
        _endpoint(base, data_capture_bucket=base["models"], data_capture_access_log_bucket=log_bucket)


def test_secure_bucket_and_a_separate_key_conflict(base: dict) -> None:
    with pytest.raises(
        PropError, match="both model_data_bucket and model_data_encryption_key.*drop model_data_encryption_key"
    ):
        _model(
            base,
            model_data_url=f"s3://{base['models'].bucket.bucket_name}/m.tar.gz",
            model_data_bucket=base["models"],
            model_data_encryption_key=base["key"],
        )


def test_the_longest_capture_prefix_that_fits_any_bucket_name_is_accepted(base: dict) -> None:
    # s3:// + a 63-character bucket name + / + 443 characters = 512, CloudFormation's limit
    assert _endpoint(base, data_capture_prefix="c" * 443).data_capture_prefix == "c" * 443


@pytest.mark.parametrize("percentage", [0, 100])
def test_sampling_bounds_are_accepted(base: dict, percentage: int) -> None:
    _endpoint(base, sampling_percentage=percentage)


def test_digest_images_and_literal_images_of_named_repositories_are_accepted(base: dict) -> None:
    _model(base, image_uri=base["repo"].repository_uri_for_digest("sha256:" + "a" * 64))
    _model(base, image_uri=f"{base['repo'].repository_uri}:v2")
    _model(base, image_uri=DLC_IMAGE, repositories=[base["dlc"]])
    _model(base, image_uri=DLC_IMAGE.replace(".amazonaws.com/", ".amazonaws.com.cn/"), repositories=[base["dlc"]])


def test_an_imported_bucket_with_an_explicit_key_is_accepted(base: dict) -> None:
    key = kms.Key.from_key_arn(base["stack"], "PlainKey", SHARED_KEY_ARN)
    model = _model(
        base,
        model_data_url="s3://plain-bucket/m.tar.gz",
        model_data_bucket=base["plain_bucket"],
        model_data_encryption_key=key,
    )
    assert model.model_data_encryption_key is key


@pytest.mark.parametrize(
    "environment",
    [
        {
            "HF_MODEL_ID": "/opt/ml/model",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_PROGRAM": "inference.py",
        },
        {"OPTION_MODEL_ID": "/opt/ml/model", "HF_TASK": "text-classification", "SM_NUM_GPUS": "1"},
        {"SAGEMAKER_REGION": cdk.Aws.REGION},
    ],
)
def test_environments_that_need_no_network_pass(environment: dict) -> None:
    assert environment_problems(environment) == []


# --- ExecutionRole as execution_role -------------------------------------------------------------


def _model_stack(unwrap: bool) -> tuple[cdk.Stack, SecureModel, ExecutionRole]:
    """A fresh stack whose model gets an ExecutionRole, or its ``.role``."""
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    repo = ecr.Repository(stack, "Repo")
    exec_role = ExecutionRole(stack, "Exec", ecr_repositories=[repo])
    model = SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=exec_role.role if unwrap else exec_role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    return stack, model, exec_role


def test_an_execution_role_gives_the_same_template_as_its_role() -> None:
    wrapped_stack, model, exec_role = _model_stack(unwrap=False)
    plain_stack, _, _ = _model_stack(unwrap=True)
    template = Template.from_stack(wrapped_stack).to_json()
    assert template == Template.from_stack(plain_stack).to_json()
    (cfn_model,) = resources(template, "AWS::SageMaker::Model").values()
    assert cfn_model["Properties"]["ExecutionRoleArn"] == get_att(logical_id(exec_role.role), "Arn")
    assert model.execution_role is exec_role.role  # the attribute stays an iam.IRole


def test_an_execution_role_that_is_neither_role_nor_execution_role_fails(base: dict) -> None:
    with pytest.raises(PropError) as raised:
        _model(base, execution_role="arn:aws:iam::123456789012:role/ml-exec")
    message = str(raised.value)
    assert message.startswith("SecureModel(Test/SecureModel")
    assert ": execution_role='arn:aws:iam::123456789012:role/ml-exec' has no role_arn" in message
    assert "Fix: pass an ExecutionRole, or an iam.IRole assumed by sagemaker.amazonaws.com" in message


# Last, so that the cfn-lint started by the fixture has run alongside the tests above.
def test_cfn_lint_reports_nothing(synth: dict[str, Any]) -> None:
    assert synth["cfn_lint"].result() == (0, "", "")


def test_the_model_grants_its_execution_role_its_images_and_model_data_folder() -> None:
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    models = SecureBucket(stack, "Models", encryption_key=keys.models_key)
    repo = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    role = ExecutionRole(stack, "Exec")
    SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
        model_data_url=f"s3://{models.bucket.bucket_name}/churn/v3/model.tar.gz",
        model_data_bucket=models,
    )
    template = Template.from_stack(stack).to_json()
    policy = stack.resolve(stack.get_logical_id(role.policy.node.default_child))
    statements = template["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
    granted = {s["Sid"]: s["Resource"] for s in statements}
    bucket = stack.resolve(stack.get_logical_id(models.bucket.node.default_child))
    assert granted["ReadObjects"] == {"Fn::Join": ["", [get_att(bucket, "Arn"), "/churn/v3/*"]]}
    assert granted["PullImages"] == get_att(stack.resolve(stack.get_logical_id(repo.node.default_child)), "Arn")
    models_key = stack.resolve(stack.get_logical_id(keys.models_key.node.default_child))
    assert granted["UseKeys"] == get_att(models_key, "Arn")
    assert "ReadWriteObjects" not in granted
