"""`secure-sagemaker preflight`: every check in both outcomes against moto's mocked AWS.

APIs moto does not implement (Service Quotas) are answered by botocore's Stubber instead, so the
"not reported by the API" path is tested as what it is. No test makes a network call and none
synthesizes a CDK app.
"""

from __future__ import annotations

import copy
import inspect
import json
import subprocess
import sys
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from secure_sagemaker import preflight
from secure_sagemaker.cli import main
from secure_sagemaker.preflight import FAIL, PASS, WARN, Account, Fix, PreflightError, load_settings
from tests.helpers import ROOT

REGION = "eu-west-1"
ACCOUNT = "123456789012"
CONTEXT = {
    key: value
    for key, value in json.loads((ROOT / "cdk.json").read_text())["context"].items()
    if key.startswith("secure-sagemaker:")
}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ApiGatewayLogs"


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, profiles or instance metadata of the machine reach a test."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_REGION", raising=False)
    # moto builds every region's EC2 backend with its default AMIs (about 3 s each); no check reads AMIs.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture
def aws():
    """moto's mocked AWS for the duration of a test: every backend starts empty.

    moto also clears boto3's default session, so each test's ``boto3.client`` calls would load
    the endpoint table and every service model again (about 0.3 s a session); they use the
    tests' shared session instead (no account state lives in a session), and mock_aws puts the
    previous default back on exit.
    """
    with mock_aws():
        boto3.DEFAULT_SESSION = _SESSION
        yield


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """A folder with a cdk.json holding the repository's secure-sagemaker context."""
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": CONTEXT}))
    return folder


def settings(app_dir: Path, **values: object) -> preflight.Settings:
    """Settings from ``app_dir``'s cdk.json with ``-c`` overrides (field names as keywords)."""
    overrides = [f"{preflight._key(k)}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in values.items()]
    return load_settings(app_dir, overrides)


# One botocore session for the tests' Accounts and stubs: it caches the service models, which
# are slow to load again for every test.
_BOTOCORE = botocore.session.get_session()
_SESSION = boto3.Session(botocore_session=_BOTOCORE, region_name=REGION)


def session() -> boto3.Session:
    """The boto3 session on the mocked region that shares the loaded service models."""
    return _SESSION


def account(**clients: object) -> Account:
    """An Account on the mocked region, its identity read (as the runner does first)."""
    acct = Account(session(), clients={k.replace("_", "-"): v for k, v in clients.items()})
    preflight.check_credentials(None, acct)  # type: ignore[arg-type]
    return acct


def stubbed(service: str) -> tuple[object, Stubber]:
    """A client of ``service`` answered by a botocore Stubber (for APIs moto does not implement)."""
    client = _BOTOCORE.create_client(
        service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return client, Stubber(client)


def deploy(name: str, resources: dict) -> None:
    """Create a stack in the mocked account (the test's own write, never preflight's)."""
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": resources})
    )


def push_image(repository: str, tag: str) -> None:
    """Push an (empty) image tagged ``tag`` to ``repository`` in the mocked account."""
    boto3.client("ecr", region_name=REGION).put_image(
        repositoryName=repository,
        imageTag=tag,
        imageManifest=json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": "sha256:" + "0" * 64},
                "layers": [],
            }
        ),
    )


def bootstrap(version: str = "21", qualifier: str = "hnb659fds") -> None:
    """Write the CDK bootstrap version parameter into the mocked account."""
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=f"/cdk-bootstrap/{qualifier}/version", Value=version, Type="String"
    )


def quotas_client(*quotas: tuple[str, float], default: tuple[tuple[str, float], ...] = ()) -> object:
    """A stubbed Service Quotas client reporting ``quotas`` as applied and ``default`` as defaults."""
    client, stub = stubbed("service-quotas")

    def page(items):
        return {
            "Quotas": [
                {"QuotaName": n, "QuotaCode": f"L-{i:08X}", "Value": v, "ServiceCode": "sagemaker"}
                for i, (n, v) in enumerate(items)
            ]
        }

    stub.add_response("list_service_quotas", page(quotas), {"ServiceCode": "sagemaker"})
    stub.add_response("list_aws_default_service_quotas", page(default), {"ServiceCode": "sagemaker"})
    stub.activate()
    return client


# ------------------------------------------------------------------------------------------
# settings


def test_settings_come_from_cdk_json_and_c_overrides(app_dir: Path) -> None:
    plain = load_settings(app_dir)
    assert (plain.config.stack_name, plain.config.demo_endpoint, plain.config.max_azs) == (
        "SecureSageMakerBaseline",
        False,
        2,
    )
    changed = load_settings(
        app_dir, ["secure-sagemaker:demoEndpoint=true", "secure-sagemaker:maxAzs=3", "secure-sagemaker:stackName=Other"]
    )
    assert (changed.config.stack_name, changed.config.demo_endpoint, changed.config.max_azs) == ("Other", True, 3)
    assert changed.workload_alias_prefix == "Other"
    assert load_settings(app_dir, ["secure-sagemaker:keyAliasPrefix=team-a"]).workload_alias_prefix == "team-a"
    assert plain.stack_names == ("SecureSageMakerAccountBaseline", "SecureSageMakerBaseline")
    assert load_settings(app_dir, ["secure-sagemaker:accountBaseline=false"]).stack_names == (
        "SecureSageMakerBaseline",
    )
    assert plain.qualifier == "hnb659fds"
    assert load_settings(app_dir, ["@aws-cdk/core:bootstrapQualifier=team1"]).qualifier == "team1"


def test_settings_errors_name_the_key(app_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(PreflightError, match="secure-sagemaker:maxAzs"):
        load_settings(app_dir, ["secure-sagemaker:maxAzs=two"])
    with pytest.raises(PreflightError, match="key=value"):
        load_settings(app_dir, ["secure-sagemaker:maxAzs"])
    with pytest.raises(PreflightError, match="no cdk.json"):
        load_settings(tmp_path / "nowhere")


def test_fix_renders_as_cdk_json_and_as_option() -> None:
    fix = Fix("secure-sagemaker:organizationRunsGuardDuty", True)
    assert fix.as_json() == '"secure-sagemaker:organizationRunsGuardDuty": true'
    assert fix.as_option() == "-c secure-sagemaker:organizationRunsGuardDuty=true"
    assert Fix("secure-sagemaker:keyAliasPrefix", "x-2").as_option() == "-c secure-sagemaker:keyAliasPrefix=x-2"
    assert str(Fix("secure-sagemaker:maxAzs", 2)) == "secure-sagemaker:maxAzs=2"


# ------------------------------------------------------------------------------------------
# credentials


def test_credentials_pass_with_account_and_region(aws, app_dir: Path) -> None:
    acct = Account(session())
    result = preflight.check_credentials(settings(app_dir), acct)
    assert result.status == PASS and ACCOUNT in result.detail and REGION in result.detail
    assert (acct.account_id, acct.partition) == (ACCOUNT, "aws")


def test_no_credentials_is_a_preflight_error(monkeypatch: pytest.MonkeyPatch, app_dir: Path) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PreflightError, match="no AWS credentials"):
        preflight.check_credentials(settings(app_dir), Account(boto3.Session(region_name=REGION)))


def test_no_region_is_a_preflight_error(monkeypatch: pytest.MonkeyPatch, app_dir: Path) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(PreflightError, match="no AWS region"):
        preflight.check_credentials(settings(app_dir), Account(boto3.Session()))


# ------------------------------------------------------------------------------------------
# CDK bootstrap


def test_bootstrap_passes_at_the_minimum_version(aws, app_dir: Path) -> None:
    bootstrap(str(preflight.MIN_BOOTSTRAP_VERSION))
    assert preflight.check_bootstrap(settings(app_dir), account()).status == PASS


def test_bootstrap_fails_when_missing_or_too_old(aws, app_dir: Path) -> None:
    missing = preflight.check_bootstrap(settings(app_dir), account())
    assert missing.status == FAIL and "not CDK-bootstrapped" in missing.detail
    assert missing.remedy == f"run `cdk bootstrap aws://{ACCOUNT}/{REGION}`"
    bootstrap("5")
    old = preflight.check_bootstrap(settings(app_dir), account())
    assert old.status == FAIL and "version 5" in old.detail and "6 or later" in old.detail


def test_bootstrap_reads_the_qualifier_from_context(aws, app_dir: Path) -> None:
    bootstrap("21", qualifier="team1")
    other = preflight.check_bootstrap(settings(app_dir), account())
    assert other.status == FAIL and other.fix == Fix("@aws-cdk/core:bootstrapQualifier", "team1")
    own = preflight.check_bootstrap(load_settings(app_dir, ["@aws-cdk/core:bootstrapQualifier=team1"]), account())
    assert own.status == PASS and "qualifier team1" in own.detail


def test_minimum_bootstrap_version_is_the_one_cdk_templates_require() -> None:
    snapshot = json.loads((ROOT / "tests/__snapshots__/test_baseline/test_snapshot.json").read_text())
    templates = [snapshot] if "Rules" in snapshot else [t for t in snapshot.values() if isinstance(t, dict)]
    rules = [t["Rules"]["CheckBootstrapVersion"] for t in templates if "CheckBootstrapVersion" in t.get("Rules", {})]
    assert rules, "the snapshot has no CheckBootstrapVersion rule"
    for rule in rules:
        refused = rule["Assertions"][0]["Assert"]["Fn::Not"][0]["Fn::Contains"][0]
        assert max(int(v) for v in refused) + 1 == preflight.MIN_BOOTSTRAP_VERSION


# ------------------------------------------------------------------------------------------
# GuardDuty


def test_guardduty_passes_without_a_detector(aws, app_dir: Path) -> None:
    assert preflight.check_guardduty(settings(app_dir), account()).status == PASS


def test_guardduty_existing_detector_needs_organization_runs_guardduty(aws, app_dir: Path) -> None:
    boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
    result = preflight.check_guardduty(settings(app_dir), account())
    assert result.status == FAIL and result.fix == Fix("secure-sagemaker:organizationRunsGuardDuty", True)
    assert preflight.check_guardduty(settings(app_dir, organization_runs_guard_duty=True), account()).status == PASS


def test_guardduty_organization_without_detector_warns(aws, app_dir: Path) -> None:
    result = preflight.check_guardduty(settings(app_dir, organization_runs_guard_duty=True), account())
    assert result.status == WARN and result.fix == Fix("secure-sagemaker:organizationRunsGuardDuty", False)


def account_stack(kind: str, physical_id: str) -> object:
    """A stubbed CloudFormation client: the account stack holds one ``kind`` resource.

    moto's CloudFormation cannot create detectors or Config recorders, so the stack that owns
    one is answered by a Stubber.
    """
    cloudformation, stub = stubbed("cloudformation")
    stub.add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": "Resource",
                    "PhysicalResourceId": physical_id,
                    "ResourceType": kind,
                    "ResourceStatus": "CREATE_COMPLETE",
                    "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
                }
            ]
        },
        {"StackName": "SecureSageMakerAccountBaseline"},
    )
    stub.activate()
    return cloudformation


def test_guardduty_detector_of_this_apps_stack(aws, app_dir: Path) -> None:
    detector = boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)["DetectorId"]
    owned = account(cloudformation=account_stack("AWS::GuardDuty::Detector", detector))
    result = preflight.check_guardduty(settings(app_dir), owned)
    assert result.status == PASS and "SecureSageMakerAccountBaseline" in result.detail
    # switching to the organization's detector would delete the stack's own
    owned = account(cloudformation=account_stack("AWS::GuardDuty::Detector", detector))
    result = preflight.check_guardduty(settings(app_dir, organization_runs_guard_duty=True), owned)
    assert result.status == WARN and "deletes it" in result.detail
    assert result.fix == Fix("secure-sagemaker:organizationRunsGuardDuty", False)


def test_guardduty_without_account_baseline(aws, app_dir: Path) -> None:
    assert preflight.check_guardduty(settings(app_dir, account_baseline=False), account()).status == WARN
    boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
    assert preflight.check_guardduty(settings(app_dir, account_baseline=False), account()).status == PASS


# ------------------------------------------------------------------------------------------
# AWS Config


def _recorder() -> None:
    boto3.client("config", region_name=REGION).put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config"}
    )


def test_config_recorder_created_when_none_exists(aws, app_dir: Path) -> None:
    assert preflight.check_config_recorder(settings(app_dir), account()).status == PASS


def test_config_recorder_existing_needs_create_config_recorder_false(aws, app_dir: Path) -> None:
    _recorder()
    result = preflight.check_config_recorder(settings(app_dir), account())
    assert result.status == FAIL and result.fix == Fix("secure-sagemaker:createConfigRecorder", False)
    assert "recorder default" in result.detail
    assert preflight.check_config_recorder(settings(app_dir, create_config_recorder=False), account()).status == PASS


def test_config_rules_without_recorder_need_one(aws, app_dir: Path) -> None:
    result = preflight.check_config_recorder(settings(app_dir, create_config_recorder=False), account())
    assert result.status == FAIL and result.fix == Fix("secure-sagemaker:createConfigRecorder", True)
    assert "NoAvailableConfigurationRecorder" in result.detail
    # the organization runs the rules: no recorder is created and none is needed
    org = settings(app_dir, organization_runs_config_rules=True)
    assert preflight.check_config_recorder(org, account()).status == PASS


def test_config_recorder_of_this_apps_stack(aws, app_dir: Path) -> None:
    _recorder()
    owned = account(cloudformation=account_stack("AWS::Config::ConfigurationRecorder", "default"))
    assert preflight.check_config_recorder(settings(app_dir), owned).status == PASS
    owned = account(cloudformation=account_stack("AWS::Config::ConfigurationRecorder", "default"))
    result = preflight.check_config_recorder(settings(app_dir, create_config_recorder=False), owned)
    assert result.status == WARN and result.fix == Fix("secure-sagemaker:createConfigRecorder", True)


def test_config_leftover_delivery_channel_blocks(aws, app_dir: Path) -> None:
    _recorder()
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="config-a", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    config = boto3.client("config", region_name=REGION)
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-a"})
    config.delete_configuration_recorder(ConfigurationRecorderName="default")
    result = preflight.check_config_recorder(settings(app_dir), account())
    assert result.status == FAIL and result.fix is None and "delete-delivery-channel" in result.remedy


def test_config_recorder_without_account_baseline(aws, app_dir: Path) -> None:
    assert preflight.check_config_recorder(settings(app_dir, account_baseline=False), account()).status == WARN
    _recorder()
    assert preflight.check_config_recorder(settings(app_dir, account_baseline=False), account()).status == PASS


# ------------------------------------------------------------------------------------------
# API Gateway CloudWatch role


def _api_gateway_role() -> None:
    boto3.client("apigateway", region_name=REGION).update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ROLE}]
    )


def test_api_gateway_role_created_by_the_account_stack(aws, app_dir: Path) -> None:
    result = preflight.check_api_gateway_role(settings(app_dir), account())
    assert result.status == PASS and "sets" in result.detail


def test_api_gateway_existing_role_is_replaced_with_a_note(aws, app_dir: Path) -> None:
    _api_gateway_role()
    result = preflight.check_api_gateway_role(settings(app_dir), account())
    assert result.status == PASS and ROLE in result.detail and "replace" in result.detail
    kept = preflight.check_api_gateway_role(settings(app_dir, create_api_gateway_cloud_watch_role=False), account())
    assert kept.status == PASS and ROLE in kept.detail


def test_api_gateway_missing_role_blocks_the_demo_endpoint(aws, app_dir: Path) -> None:
    values = dict(create_api_gateway_cloud_watch_role=False)
    assert preflight.check_api_gateway_role(settings(app_dir, **values), account()).status == PASS
    result = preflight.check_api_gateway_role(settings(app_dir, demo_endpoint=True, **values), account())
    assert result.status == FAIL and result.fix == Fix("secure-sagemaker:createApiGatewayCloudWatchRole", True)
    alone = preflight.check_api_gateway_role(settings(app_dir, demo_endpoint=True, account_baseline=False), account())
    assert alone.status == FAIL and alone.fix == Fix("secure-sagemaker:accountBaseline", True)


# ------------------------------------------------------------------------------------------
# physical names and aliases


def _alias(name: str) -> None:
    kms = boto3.client("kms", region_name=REGION)
    kms.create_alias(AliasName=name, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])


def _assembly(folder: Path, stack: str, resources: dict) -> Path:
    """A minimal cloud assembly with one stack template."""
    folder.mkdir(exist_ok=True)
    (folder / f"{stack}.template.json").write_text(json.dumps({"Resources": resources}))
    manifest = {
        "version": "48.0.0",
        "artifacts": {
            stack: {
                "type": "aws:cloudformation:stack",
                "environment": "aws://unknown-account/unknown-region",
                "properties": {"templateFile": f"{stack}.template.json", "stackName": stack},
            }
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_names_free_without_an_assembly_warns_that_only_aliases_were_checked(aws, app_dir: Path) -> None:
    result = preflight.check_names(settings(app_dir), account())
    # data, models, logs, alerts, audit of the workload; logs, alerts, audit of the account baseline
    assert result.status == WARN and "8 KMS aliases are free" in result.detail and "cdk synth" in result.remedy


def test_leftover_workload_alias_blocks_with_a_new_prefix(aws, app_dir: Path) -> None:
    _alias("alias/SecureSageMakerBaseline/data")
    _alias("alias/SecureSageMakerBaseline-2/data")
    result = preflight.check_names(settings(app_dir), account())
    assert result.status == FAIL and "stack SecureSageMakerBaseline does not" in result.detail
    assert result.fix == Fix("secure-sagemaker:keyAliasPrefix", "SecureSageMakerBaseline-3")
    moved = preflight.check_names(settings(app_dir, key_alias_prefix="team-a"), account())
    assert moved.status == WARN  # free now; only the assembly is missing


def test_leftover_account_alias_blocks_with_a_new_account_stack_name(aws, app_dir: Path) -> None:
    _alias("alias/SecureSageMakerAccountBaseline/audit")
    result = preflight.check_names(settings(app_dir), account())
    assert result.status == FAIL and result.fix == Fix(
        "secure-sagemaker:accountStackName", "SecureSageMakerAccountBaseline-2"
    )
    assert preflight.check_names(settings(app_dir, account_baseline=False), account()).status == WARN


def test_alias_of_the_deployed_stack_passes(aws, app_dir: Path) -> None:
    deploy(
        "SecureSageMakerBaseline",
        {
            "DataKey": {
                "Type": "AWS::KMS::Key",
                "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}},
            },
            "DataKeyAlias": {
                "Type": "AWS::KMS::Alias",
                "Properties": {"AliasName": "alias/SecureSageMakerBaseline/data", "TargetKeyId": {"Ref": "DataKey"}},
            },
        },
    )
    assert preflight.check_names(settings(app_dir), account()).status == WARN  # no conflict
    _alias("alias/SecureSageMakerBaseline/models")  # not the stack's
    result = preflight.check_names(settings(app_dir), account())
    assert (
        result.status == FAIL and "alias/SecureSageMakerBaseline/models exists and is not a resource" in result.detail
    )


def test_physical_names_from_the_assembly(aws, app_dir: Path, tmp_path: Path) -> None:
    waf_logs = "aws-waf-logs-SecureSageMakerBaseline-InferenceApi-68CA1CD9"
    resources = {
        "WafLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": waf_logs}},
        "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {"TrailName": "SecureSageMakerBaseline-AuditTrail"}},
        "Computed": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Join": ["", ["x"]]}}},
    }
    assembly = _assembly(app_dir / "cdk.out", "SecureSageMakerBaseline", resources)
    free = preflight.check_names(settings(app_dir), account())
    assert free.status == PASS and f"2 physical names from {assembly}" in free.detail
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName=waf_logs)
    taken = preflight.check_names(settings(app_dir), account())
    assert taken.status == FAIL and f"AWS::Logs::LogGroup {waf_logs}" in taken.detail


def test_physical_names_of_the_deployed_stack_are_its_own(aws, app_dir: Path) -> None:
    resources = {"WafLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "aws-waf-logs-x"}}}
    _assembly(app_dir / "cdk.out", "SecureSageMakerBaseline", resources)
    deploy("SecureSageMakerBaseline", resources)  # creates the log group
    assert preflight._exists(account(), "AWS::Logs::LogGroup", "aws-waf-logs-x")
    assert preflight.check_names(settings(app_dir), account()).status == PASS


@pytest.mark.parametrize(
    ("kind", "name", "create"),
    [
        (
            "AWS::CloudTrail::Trail",
            "trail-a",
            lambda: (
                boto3.client("s3", region_name=REGION).create_bucket(
                    Bucket="trail-bucket-a", CreateBucketConfiguration={"LocationConstraint": REGION}
                ),
                boto3.client("cloudtrail", region_name=REGION).create_trail(
                    Name="trail-a", S3BucketName="trail-bucket-a"
                ),
            ),
        ),
        (
            "AWS::WAFv2::WebACL",
            "acl-a",
            lambda: boto3.client("wafv2", region_name=REGION).create_web_acl(
                Name="acl-a",
                Scope="REGIONAL",
                DefaultAction={"Allow": {}},
                VisibilityConfig={
                    "SampledRequestsEnabled": False,
                    "CloudWatchMetricsEnabled": False,
                    "MetricName": "a",
                },
            ),
        ),
        (
            "AWS::S3::Bucket",
            "bucket-a",
            lambda: boto3.client("s3", region_name=REGION).create_bucket(
                Bucket="bucket-a", CreateBucketConfiguration={"LocationConstraint": REGION}
            ),
        ),
        (
            "AWS::ECR::Repository",
            "repo-a",
            lambda: boto3.client("ecr", region_name=REGION).create_repository(repositoryName="repo-a"),
        ),
        (
            "AWS::IAM::Role",
            "role-a",
            lambda: boto3.client("iam").create_role(RoleName="role-a", AssumeRolePolicyDocument="{}"),
        ),
        ("AWS::SNS::Topic", "topic-a", lambda: boto3.client("sns", region_name=REGION).create_topic(Name="topic-a")),
        (
            "AWS::SageMaker::NotebookInstance",
            "notebook-a",
            lambda: boto3.client("sagemaker", region_name=REGION).create_notebook_instance(
                NotebookInstanceName="notebook-a",
                InstanceType="ml.t3.medium",
                RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
            ),
        ),
        (
            "AWS::SageMaker::ModelPackageGroup",
            "registry-a",
            lambda: boto3.client("sagemaker", region_name=REGION).create_model_package_group(
                ModelPackageGroupName="registry-a"
            ),
        ),
    ],
)
def test_each_named_type_is_looked_up(aws, kind: str, name: str, create) -> None:
    acct = account()
    assert preflight._exists(acct, kind, name) is False
    create()
    assert preflight._exists(acct, kind, name) is True


# ------------------------------------------------------------------------------------------
# interface endpoint services


def test_endpoint_services_offered_in_the_vpc_zones(aws, app_dir: Path) -> None:
    result = preflight.check_endpoint_services(settings(app_dir), account())
    assert result.status == PASS and "eu-west-1a, eu-west-1b" in result.detail


def test_more_zones_than_the_region_has(aws, app_dir: Path) -> None:
    result = preflight.check_endpoint_services(settings(app_dir, max_azs=4), account())
    assert result.status == FAIL and result.fix == Fix("secure-sagemaker:maxAzs", 3)


def test_endpoint_service_missing_in_a_zone_or_region(aws, app_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.ec2.models import vpcs

    account()  # moto builds the region's default endpoint services on first use
    boto3.client("ec2", region_name=REGION).describe_vpc_endpoint_services()
    services = copy.deepcopy(vpcs.DEFAULT_VPC_ENDPOINT_SERVICES[REGION])
    for service in services:
        if service["ServiceName"] == f"com.amazonaws.{REGION}.sagemaker.featurestore-runtime":
            service["AvailabilityZones"] = [f"{REGION}a", f"{REGION}b"]
    monkeypatch.setitem(vpcs.DEFAULT_VPC_ENDPOINT_SERVICES, REGION, services)
    assert preflight.check_endpoint_services(settings(app_dir), account()).status == PASS
    partial = preflight.check_endpoint_services(settings(app_dir, max_azs=3), account())
    assert partial.status == FAIL and partial.fix == Fix("secure-sagemaker:maxAzs", 2)
    assert "sagemaker.featurestore-runtime is not offered in eu-west-1c" in partial.detail
    studio = f"aws.sagemaker.{REGION}.studio"
    monkeypatch.setitem(vpcs.DEFAULT_VPC_ENDPOINT_SERVICES, REGION, [s for s in services if s["ServiceName"] != studio])
    missing = preflight.check_endpoint_services(settings(app_dir), account())
    assert missing.status == FAIL and missing.fix is None and "studio is not offered" in missing.detail
    assert "interface_endpoints" in missing.remedy


def test_endpoint_services_match_private_network() -> None:
    import aws_cdk as cdk

    from secure_sagemaker.network import SAGEMAKER_INTERFACE_ENDPOINTS

    assert preflight.INTERFACE_ENDPOINT_SERVICES == tuple(s.short_name for s in SAGEMAKER_INTERFACE_ENDPOINTS)
    stack = cdk.Stack(cdk.App(), "Names", env=cdk.Environment(account=ACCOUNT, region=REGION))
    for service in SAGEMAKER_INTERFACE_ENDPOINTS:
        assert stack.resolve(service.name) == preflight.endpoint_service_name(service.short_name, REGION)


# ------------------------------------------------------------------------------------------
# demo endpoint image and model data


def _workload_stack() -> None:
    deploy(
        "SecureSageMakerBaseline",
        {
            "BaselineModelImagesABC123": {
                "Type": "AWS::ECR::Repository",
                "Properties": {"RepositoryName": "model-images"},
            },
            "BaselineModelsBucketBucketDEF456": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": "models-bucket"},
            },
        },
    )


def test_demo_model_not_needed_without_the_demo_endpoint(aws, app_dir: Path) -> None:
    result = preflight.check_demo_model(settings(app_dir), account())
    assert result.status == PASS and "demoEndpoint is false" in result.detail


def test_demo_model_before_the_stack_is_deployed(aws, app_dir: Path) -> None:
    result = preflight.check_demo_model(settings(app_dir, demo_endpoint=True), account())
    assert result.status == FAIL and result.fix == Fix("secure-sagemaker:demoEndpoint", False)
    assert result.remedy.startswith("Then deploy, push the image tagged v1")


def test_demo_model_image_and_archive(aws, app_dir: Path) -> None:
    _workload_stack()
    values = dict(demo_endpoint=True, model_image_tag="v2", model_data_key="demo/m.tar.gz")
    missing = preflight.check_demo_model(settings(app_dir, **values), account())
    assert missing.status == FAIL and "push the image to" in missing.remedy
    assert "no image tagged v2 in ECR repository model-images" in missing.detail
    assert "no object s3://models-bucket/models/demo/m.tar.gz" in missing.detail
    push_image("model-images", "v2")
    boto3.client("s3", region_name=REGION).put_object(Bucket="models-bucket", Key="models/demo/m.tar.gz", Body=b"x")
    ready = preflight.check_demo_model(settings(app_dir, **values), account())
    assert ready.status == PASS, ready.detail


def test_demo_model_archive_behind_the_data_perimeter_warns(aws, app_dir: Path) -> None:
    _workload_stack()
    push_image("model-images", "v1")
    s3, stub = stubbed("s3")
    stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
    with stub:
        result = preflight.check_demo_model(settings(app_dir, demo_endpoint=True), account(s3=s3))
    assert result.status == WARN, result.detail
    assert "cannot be read from here" in result.detail and "run preflight as the release role" in result.remedy


def test_demo_model_in_a_stack_without_the_repository_warns(aws, app_dir: Path) -> None:
    deploy("SecureSageMakerBaseline", {"Other": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "other-b"}}})
    assert preflight.check_demo_model(settings(app_dir, demo_endpoint=True), account()).status == WARN


# ------------------------------------------------------------------------------------------
# SageMaker quotas (Service Quotas is not in moto: a botocore Stubber answers)


def test_quotas_enough(app_dir: Path) -> None:
    client = quotas_client(("ml.t3.medium for notebook instance usage", 4), ("ml.m5.large for endpoint usage", 2))
    result = preflight.check_quotas(settings(app_dir, demo_endpoint=True), Account(None, {"service-quotas": client}))
    assert result.status == PASS
    assert (
        result.detail
        == "ml.m5.large for endpoint usage is 2 (needs 2); ml.t3.medium for notebook instance usage is 4 (needs 1)"
    )


def test_quotas_too_low(app_dir: Path) -> None:
    client = quotas_client(
        ("ml.m5.large for endpoint usage", 1), default=(("ml.t3.medium for notebook instance usage", 0),)
    )
    result = preflight.check_quotas(settings(app_dir, demo_endpoint=True), Account(None, {"service-quotas": client}))
    assert result.status == FAIL and "Service Quotas" in result.remedy
    assert "ml.m5.large for endpoint usage is 1 (L-00000000), the baseline needs 2" in result.detail
    assert "ml.t3.medium for notebook instance usage is 0" in result.detail


def test_quotas_not_reported_by_the_api_pass_with_a_note(app_dir: Path) -> None:
    client = quotas_client()
    result = preflight.check_quotas(settings(app_dir), Account(None, {"service-quotas": client}))
    assert result.status == PASS
    assert result.detail == "ml.t3.medium for notebook instance usage: not reported by the API"
    client, stub = stubbed("service-quotas")
    stub.add_client_error("list_service_quotas", "NoSuchResourceException", "not available in this Region")
    stub.add_client_error("list_aws_default_service_quotas", "NoSuchResourceException", "not available")
    stub.activate()
    result = preflight.check_quotas(settings(app_dir), Account(None, {"service-quotas": client}))
    assert result.status == PASS and "not reported by the API" in result.detail


def test_quotas_without_instances(app_dir: Path) -> None:
    result = preflight.check_quotas(settings(app_dir, notebook=False), Account(None))
    assert result.status == PASS and "no SageMaker instances" in result.detail


def test_instance_types_are_the_constructs_defaults() -> None:
    from secure_sagemaker.inference import SecureEndpoint
    from secure_sagemaker.studio import SecureNotebookInstance

    endpoint = inspect.signature(SecureEndpoint.__init__).parameters
    notebook = inspect.signature(SecureNotebookInstance.__init__).parameters
    assert endpoint["instance_type"].default == preflight.ENDPOINT_INSTANCE_TYPE
    assert endpoint["instance_count"].default == preflight.ENDPOINT_INSTANCE_COUNT
    assert notebook["instance_type"].default == preflight.NOTEBOOK_INSTANCE_TYPE


def test_models_prefix_is_the_baselines() -> None:
    from secure_sagemaker.baseline import MODELS_PREFIX

    assert preflight.MODELS_PREFIX == MODELS_PREFIX


# ------------------------------------------------------------------------------------------
# read-only: every API call of every check is a read listed in IAM_ACTIONS


_READ_VERBS = ("Describe", "Get", "List", "Head")


def _iam_action(model) -> str:
    """The IAM action that authorizes a botocore operation."""
    prefix, name = model.service_model.signing_name, model.name
    if prefix == "apigateway":
        return f"apigateway:{model.http['method']}"
    return {"s3:HeadBucket": "s3:ListBucket", "s3:HeadObject": "s3:GetObject"}.get(
        f"{prefix}:{name}", f"{prefix}:{name}"
    )


def test_every_check_only_reads_and_needs_only_its_listed_actions(aws, app_dir: Path) -> None:
    calls: list[tuple[str, str]] = []

    def record(model, **_kwargs):
        calls.append((model.name, _iam_action(model)))

    _BOTOCORE.register("before-parameter-build", record)
    try:
        # a busy account: every branch that reads more has something to read
        boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
        _recorder()
        _api_gateway_role()
        _alias("alias/SecureSageMakerBaseline/data")
        _workload_stack()
        resources = {
            f"R{i}": {"Type": kind, "Properties": {prop: f"name-{i}"}}
            for i, (kind, prop) in enumerate(preflight._NAMED_TYPES.items())
        }
        _assembly(app_dir / "cdk.out", "SecureSageMakerBaseline", resources)
        values = settings(app_dir, demo_endpoint=True)
        seen: dict[str, set[str]] = {}
        for name, check in [("credentials", preflight.check_credentials), *preflight.CHECKS]:
            calls.clear()
            acct = account(service_quotas=quotas_client()) if name != "credentials" else Account(session())
            calls.clear()
            check(values, acct)
            assert calls, f"{name} made no call"
            for operation, action in calls:
                assert operation.startswith(_READ_VERBS), f"{name} calls {operation}, which is not a read"
                assert action in preflight.IAM_ACTIONS[name], f"{name} needs {action}; add it to IAM_ACTIONS"
            seen[name] = {action for _, action in calls}
    finally:
        _BOTOCORE.unregister("before-parameter-build", record)
    assert set(seen) == set(preflight.IAM_ACTIONS)


def test_docs_list_every_check_and_the_read_policy() -> None:
    doc = (ROOT / "docs/preflight.md").read_text()
    for name, actions in preflight.IAM_ACTIONS.items():
        assert f"`{name}`" in doc, f"docs/preflight.md does not describe check {name}"
        for action in actions:
            assert action in doc, f"docs/preflight.md does not list {action}"
    assert json.dumps(preflight.read_policy(), indent=2) in doc


# ------------------------------------------------------------------------------------------
# runner, output and command line


def _ready_account() -> None:
    bootstrap()


def test_runner_reports_a_denied_read_as_a_warning(aws, app_dir: Path) -> None:
    _ready_account()
    guardduty, stub = stubbed("guardduty")
    stub.add_client_error(
        "list_detectors", "AccessDeniedException", "not authorized to perform guardduty:ListDetectors"
    )
    stub.activate()
    acct = Account(session(), {"guardduty": guardduty, "service-quotas": quotas_client()})
    report = preflight.run(settings(app_dir), acct)
    by_name = {r.name: r for r in report.results}
    assert [r.name for r in report.results] == ["credentials", *(name for name, _ in preflight.CHECKS)]
    assert by_name["guardduty"].status == WARN and "access denied" in by_name["guardduty"].detail
    assert report.ready and report.exit_code == 0


def _cli(app_dir: Path, *args: str, monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    return main(["preflight", "--app-dir", str(app_dir), *args])


@pytest.fixture
def no_quota_api(monkeypatch: pytest.MonkeyPatch):
    """Service Quotas answered by a Stubber in CLI runs (moto does not implement it)."""
    original = Account.client

    def client(self, service):
        if service == "service-quotas" and service not in self._clients:
            self._clients[service] = quotas_client()
        return original(self, service)

    monkeypatch.setattr(Account, "client", client)
    # the CLI's own boto3.Session would load every service model again: share the tests' one
    monkeypatch.setattr(boto3, "Session", lambda profile_name=None, region_name=None: _SESSION)


def test_cli_ready_exits_0_with_text(aws, app_dir: Path, no_quota_api, capsys: pytest.CaptureFixture) -> None:
    _ready_account()
    assert _cli(app_dir) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"preflight of account {ACCOUNT}, region {REGION}")
    assert "PASS  bootstrap" in out and "WARN  names" in out and out.rstrip().endswith("ready: 9 checks, 1 warning")


def test_cli_blocking_problem_exits_1_with_the_fix(
    aws, app_dir: Path, no_quota_api, capsys: pytest.CaptureFixture
) -> None:
    _ready_account()
    boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
    assert _cli(app_dir) == 1
    out = capsys.readouterr().out
    assert "FAIL  guardduty" in out
    assert 'fix: set "secure-sagemaker:organizationRunsGuardDuty": true in cdk.json' in out
    assert "not ready: 1 blocking problem" in out


def test_cli_c_overrides_apply(aws, app_dir: Path, no_quota_api, capsys: pytest.CaptureFixture) -> None:
    _ready_account()
    boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
    assert _cli(app_dir, "-c", "secure-sagemaker:organizationRunsGuardDuty=true") == 0
    assert (
        _cli(app_dir, "-c", "secure-sagemaker:organizationRunsGuardDuty=true", "-c", "secure-sagemaker:maxAzs=5") == 1
    )
    assert "FAIL  endpoint-services" in capsys.readouterr().out


def test_cli_json(aws, app_dir: Path, no_quota_api, capsys: pytest.CaptureFixture) -> None:
    assert _cli(app_dir, "--format", "json") == 1  # not bootstrapped
    report = json.loads(capsys.readouterr().out)
    assert (report["ready"], report["account"], report["region"]) == (False, ACCOUNT, REGION)
    assert report["stacks"] == ["SecureSageMakerAccountBaseline", "SecureSageMakerBaseline"]
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == ["credentials", *(name for name, _ in preflight.CHECKS)]
    assert checks["bootstrap"]["status"] == "fail" and checks["bootstrap"]["remedy"].startswith("run `cdk bootstrap")
    assert set(checks["credentials"]) == {"name", "status", "detail", "fix", "remedy"}
    assert _cli(app_dir, "--format", "json", "-c", "secure-sagemaker:demoEndpoint=true") == 1
    demo = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}["demo-model"]
    assert demo["fix"] == {"key": "secure-sagemaker:demoEndpoint", "value": False}


def test_cli_assembly_option(aws, app_dir: Path, tmp_path: Path, no_quota_api, capsys: pytest.CaptureFixture) -> None:
    _ready_account()
    resources = {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "taken"}}}
    assembly = _assembly(tmp_path / "elsewhere", "SecureSageMakerBaseline", resources)
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="taken")
    assert _cli(app_dir) == 0  # no cdk.out in the app folder: only aliases checked
    assert _cli(app_dir, "--assembly", str(assembly)) == 1
    assert "AWS::Logs::LogGroup taken (of stack SecureSageMakerBaseline) already exists" in capsys.readouterr().out


def test_cli_without_credentials_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, app_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert _cli(app_dir, "--format", "json") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("secure-sagemaker preflight: no AWS credentials")


def test_cli_usage_errors_exit_2(app_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert _cli(app_dir, "-c", "secure-sagemaker:maxAzs=many") == 2
    assert "secure-sagemaker:maxAzs" in capsys.readouterr().err
    assert main(["preflight", "--app-dir", str(tmp_path / "none")]) == 2
    assert "no cdk.json" in capsys.readouterr().err
    assert _cli(app_dir, "--profile", "does-not-exist") == 2
    assert "does-not-exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        _cli(app_dir, "--format", "xml")
    assert exit_info.value.code == 2


def test_cli_without_boto3_says_which_extra(
    monkeypatch: pytest.MonkeyPatch, app_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 now raises ImportError
    assert _cli(app_dir) == 2
    assert "pip install 'secure-sagemaker[aws]'" in capsys.readouterr().err


def test_cli_without_node_exits_2_naming_it(app_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "secure_sagemaker.cli", "preflight", "--app-dir", str(app_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": str(empty), "HOME": str(tmp_path)},
    )
    assert result.returncode == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "secure-sagemaker preflight: reading the settings loads aws-cdk-lib, which needs Node.js"
    )


def test_importing_the_cli_does_not_import_boto3() -> None:
    code = "import sys, secure_sagemaker.cli; print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
