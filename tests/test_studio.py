"""SecureStudioDomain, SecureUserProfile, SecureNotebookInstance: templates, enforcement, nag, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.acknowledgments import STOCK_PACKS
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.identity import ExecutionRole
from secure_sagemaker.network import PrivateNetwork
from secure_sagemaker.storage import SecureBucket
from secure_sagemaker.studio import (
    SUPPORTED_NOTEBOOK_PLATFORMS,
    SecureNotebookInstance,
    SecureStudioDomain,
    SecureUserProfile,
    lifecycle_script_problems,
)
from tests.helpers import (
    get_att,
    new_app,
    new_role,
    new_stack,
    props,
    ref,
    resources,
    synth_with_stock_packs,
)

ON_START = (
    "#!/bin/bash\nset -e\naws s3 cp s3://my-tools/bootstrap.sh /tmp/ && bash /tmp/bootstrap.sh\npip install "
    "--no-index /home/ec2-user/SageMaker/wheels/*.whl\n"
)


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One App with every variant, synthesized once with the four stock packs."""
    outdir = tmp_path_factory.mktemp("studio")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    role = new_role(stack, "Role")
    alice_role = new_role(stack, "AliceRole")
    untraced_role = new_role(stack, "UntracedRole", source_identity=False)
    sharing = SecureBucket(stack, "Sharing", encryption_key=keys.data_key)
    second_subnet = network.subnets.subnets[1]

    studio = SecureStudioDomain(stack, "Studio", network=network, execution_role=role, encryption_key=keys.data_key)
    shared = SecureStudioDomain(
        stack,
        "SharedStudio",
        network=network,
        execution_role=untraced_role,
        encryption_key=keys.data_key,
        subnets=[second_subnet],
        domain_name="team-a",
        notebook_sharing_bucket=sharing,
        notebook_sharing_prefix="snapshots/team-a/",
        allow_docker_access=True,
        record_user_identity=False,
        idle_timeout=cdk.Duration.hours(3),
        default_space_volume_gb=20,
        max_space_volume_gb=200,
    )
    bob = SecureUserProfile(stack, "Bob", domain=studio)
    alice = SecureUserProfile(stack, "Alice", domain=studio, user_profile_name="alice", execution_role=alice_role)
    carol = SecureUserProfile(stack, "Carol", domain=shared, user_profile_name="carol")
    notebook = SecureNotebookInstance(
        stack, "Notebook", network=network, execution_role=role, encryption_key=keys.data_key
    )
    rooted = SecureNotebookInstance(
        stack,
        "Rooted",
        network=network,
        execution_role=role,
        encryption_key=keys.data_key,
        subnet=second_subnet,
        instance_type="ml.m5.xlarge",
        platform_identifier="notebook-al2-v3",
        volume_size_gb=50,
        notebook_instance_name="rooted-nb",
        on_start_script=ON_START,
        allow_root_access=True,
    )
    constructs = {
        "studio": studio,
        "shared": shared,
        "bob": bob,
        "alice": alice,
        "carol": carol,
        "notebook": notebook,
        "rooted": rooted,
        "network": network,
        "keys": keys,
        "sharing": sharing,
    }
    ids = {
        name: stack.resolve(stack.get_logical_id(c))
        for name, c in {
            "role": role.node.default_child,
            "alice_role": alice_role.node.default_child,
            "untraced_role": untraced_role.node.default_child,
            "data_key": keys.data_key.node.default_child,
            "sharing_bucket": sharing.bucket.node.default_child,
            "studio": studio.domain,
            "shared": shared.domain,
            "bob": bob.profile,
            "alice": alice.profile,
            "carol": carol.profile,
            "notebook": notebook.notebook,
            "rooted": rooted.notebook,
            "lifecycle": rooted.lifecycle_config,
            "sg": network.workload_security_group.node.default_child,
            "vpc": network.vpc.node.default_child,
        }.items()
    }
    ids["subnets"] = [stack.resolve(s.subnet_id)["Ref"] for s in network.subnets.subnets]
    # Positive control: a bare notebook instance in another stack, which every stock SageMaker
    # notebook rule must report. It proves that those rules run on this app.
    sagemaker.CfnNotebookInstance(
        cdk.Stack(app, "Control"), "Notebook", instance_type="ml.t3.medium", role_arn="arn:aws:iam::123456789012:role/x"
    )
    error = synth_with_stock_packs(app)
    template = json.loads((Path(outdir) / "Test.template.json").read_text())
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    return {"template": template, "report": report, "error": error, "ids": ids, "constructs": constructs}


# --- domain ---------------------------------------------------------------------------------------


def test_domain_logical_id_is_stable(ids: dict, snapshot) -> None:
    # A changed logical id replaces the domain, and with it every user's home directory.
    assert ids["studio"] == snapshot


def test_domain_is_vpc_only_with_iam_auth_in_the_isolated_subnets(template: dict, ids: dict) -> None:
    domain = props(template, ids["studio"])
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["AuthMode"] == "IAM"
    assert domain["VpcId"] == ref(ids["vpc"])
    assert domain["SubnetIds"] == [ref(s) for s in ids["subnets"]]
    assert props(template, ids["shared"])["SubnetIds"] == [ref(ids["subnets"][1])]


def test_domain_encrypts_efs_and_spaces_with_the_data_key(template: dict, ids: dict) -> None:
    for name in ("studio", "shared"):
        assert props(template, ids[name])["KmsKeyId"] == get_att(ids["data_key"], "Arn")


def test_domain_and_its_home_efs_are_retained(template: dict, ids: dict) -> None:
    for name in ("studio", "shared"):
        domain = template["Resources"][ids[name]]
        assert (domain["DeletionPolicy"], domain["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    # User profiles are not stateful (their files live in the domain's EFS) and keep the default.
    assert "DeletionPolicy" not in template["Resources"][ids["bob"]]


def test_default_user_and_space_settings_use_the_role_and_the_workload_security_group(
    template: dict, ids: dict
) -> None:
    domain = props(template, ids["studio"])
    sg = [get_att(ids["sg"], "GroupId")]
    for settings in (domain["DefaultUserSettings"], domain["DefaultSpaceSettings"]):
        assert settings["ExecutionRole"] == get_att(ids["role"], "Arn")
        assert settings["SecurityGroups"] == sg
    assert domain["DomainSettings"]["SecurityGroupIds"] == sg
    assert domain["DefaultUserSettings"]["StudioWebPortal"] == "ENABLED"
    assert domain["DefaultUserSettings"]["DefaultLandingUri"] == "studio::"


def test_domain_restricts_docker_and_records_the_user_by_default(template: dict, ids: dict) -> None:
    assert props(template, ids["studio"])["DomainSettings"]["DockerSettings"] == {"EnableDockerAccess": "DISABLED"}
    assert props(template, ids["studio"])["DomainSettings"]["ExecutionRoleIdentityConfig"] == "USER_PROFILE_NAME"
    assert props(template, ids["shared"])["DomainSettings"]["DockerSettings"] == {"EnableDockerAccess": "ENABLED"}
    assert props(template, ids["shared"])["DomainSettings"]["ExecutionRoleIdentityConfig"] == "DISABLED"


def test_default_domain_name_is_derived_from_the_path_and_valid(template: dict, ids: dict) -> None:
    assert props(template, ids["studio"])["DomainName"] == "Test-Studio-EC01FB56"
    assert props(template, ids["shared"])["DomainName"] == "team-a"


def test_notebook_sharing_is_off_by_default_and_encrypted_to_the_bucket_when_on(template: dict, ids: dict) -> None:
    assert props(template, ids["studio"])["DefaultUserSettings"]["SharingSettings"] == {
        "NotebookOutputOption": "Disabled"
    }
    sharing = {
        "NotebookOutputOption": "Allowed",
        "S3OutputPath": {"Fn::Join": ["", ["s3://", ref(ids["sharing_bucket"]), "/snapshots/team-a/"]]},
        "S3KmsKeyId": get_att(ids["data_key"], "Arn"),
    }
    assert props(template, ids["shared"])["DefaultUserSettings"]["SharingSettings"] == sharing
    assert props(template, ids["carol"])["UserSettings"]["SharingSettings"] == sharing


def test_idle_shutdown_and_space_storage_limits(template: dict, ids: dict) -> None:
    def idle(minutes: int) -> dict:
        return {
            "AppLifecycleManagement": {
                "IdleSettings": {"IdleTimeoutInMinutes": minutes, "LifecycleManagement": "ENABLED"}
            }
        }

    for name, minutes, default_gb, max_gb in (("studio", 60, 5, 100), ("shared", 180, 20, 200)):
        domain = props(template, ids[name])
        storage = {
            "DefaultEbsStorageSettings": {"DefaultEbsVolumeSizeInGb": default_gb, "MaximumEbsVolumeSizeInGb": max_gb}
        }
        assert domain["DefaultUserSettings"]["JupyterLabAppSettings"] == idle(minutes)
        assert domain["DefaultUserSettings"]["CodeEditorAppSettings"] == idle(minutes)
        assert domain["DefaultSpaceSettings"]["JupyterLabAppSettings"] == idle(minutes)
        assert domain["DefaultUserSettings"]["SpaceStorageSettings"] == storage
        assert domain["DefaultSpaceSettings"]["SpaceStorageSettings"] == storage


def test_domain_attributes(synth: dict[str, Any]) -> None:
    studio = synth["constructs"]["studio"]
    stack = cdk.Stack.of(studio)
    assert stack.resolve(studio.domain_id) == get_att(synth["ids"]["studio"], "DomainId")
    assert stack.resolve(studio.home_efs_file_system_id) == get_att(synth["ids"]["studio"], "HomeEfsFileSystemId")
    assert studio.security_group is synth["constructs"]["network"].workload_security_group
    assert studio.notebook_sharing_bucket is None and studio.notebook_sharing_prefix is None
    assert synth["constructs"]["shared"].notebook_sharing_bucket is synth["constructs"]["sharing"]
    with pytest.raises(AttributeError):
        studio.domain = None  # read-only


# --- user profiles ---------------------------------------------------------------------------------


def test_user_profiles_repeat_the_security_group_and_role(template: dict, ids: dict) -> None:
    sg = [get_att(ids["sg"], "GroupId")]
    expected = {"bob": ("studio", "role"), "alice": ("studio", "alice_role"), "carol": ("shared", "untraced_role")}
    for name, (domain, role) in expected.items():
        profile = props(template, ids[name])
        assert profile["DomainId"] == get_att(ids[domain], "DomainId")
        assert profile["UserSettings"]["SecurityGroups"] == sg
        assert profile["UserSettings"]["ExecutionRole"] == get_att(ids[role], "Arn")
    assert props(template, ids["bob"])["UserSettings"]["SharingSettings"] == {"NotebookOutputOption": "Disabled"}
    assert props(template, ids["alice"])["UserProfileName"] == "alice"
    assert props(template, ids["bob"])["UserProfileName"] == "Test-Bob-9D2F5D0B"


# --- notebook instances --------------------------------------------------------------------------------


def test_notebook_is_off_the_internet_without_root_encrypted_and_imdsv2_only(template: dict, ids: dict) -> None:
    notebook = props(template, ids["notebook"])
    assert notebook["DirectInternetAccess"] == "Disabled"
    assert notebook["RootAccess"] == "Disabled"
    assert notebook["KmsKeyId"] == get_att(ids["data_key"], "Arn")
    assert notebook["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert notebook["SubnetId"] == ref(ids["subnets"][0])
    assert notebook["SecurityGroupIds"] == [get_att(ids["sg"], "GroupId")]
    assert notebook["RoleArn"] == get_att(ids["role"], "Arn")
    assert notebook["PlatformIdentifier"] == "notebook-al2023-v1"
    assert (notebook["InstanceType"], notebook["VolumeSizeInGB"]) == ("ml.t3.medium", 5)
    assert "LifecycleConfigName" not in notebook


def test_root_access_opt_out_is_visible_in_the_template_and_nothing_else_relaxes(template: dict, ids: dict) -> None:
    rooted = props(template, ids["rooted"])
    assert rooted["RootAccess"] == "Enabled"
    assert rooted["DirectInternetAccess"] == "Disabled"
    assert rooted["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert rooted["SubnetId"] == ref(ids["subnets"][1])
    assert (rooted["PlatformIdentifier"], rooted["InstanceType"], rooted["VolumeSizeInGB"]) == (
        "notebook-al2-v3",
        "ml.m5.xlarge",
        50,
    )
    assert rooted["NotebookInstanceName"] == "rooted-nb"


def test_lifecycle_script_is_attached(template: dict, ids: dict) -> None:
    assert props(template, ids["rooted"])["LifecycleConfigName"] == get_att(
        ids["lifecycle"], "NotebookInstanceLifecycleConfigName"
    )
    assert props(template, ids["lifecycle"]) == {"OnStart": [{"Content": {"Fn::Base64": ON_START}}]}
    assert len(resources(template, "AWS::SageMaker::NotebookInstanceLifecycleConfig")) == 1


# --- nag ------------------------------------------------------------------------------------------------


def test_stock_packs_report_nothing_on_the_workloads(synth: dict[str, Any]) -> None:
    """The stock packs' SageMaker rules (SM1-SM3 and their HIPAA/NIST/PCI twins) all pass.

    What remains in the stack is the caller's: replication of the test's own sharing bucket. The
    only acknowledgments are the network's and the access-log bucket's, none from studio.py.
    """
    reports = synth["report"]["pluginReports"]
    violations = {
        (v["ruleName"], c["constructPath"]) for r in reports for v in r["violations"] for c in v["violatingConstructs"]
    }
    assert {v for v in violations if v[1].startswith("Test/")} == {
        (f"{pack}-S3BucketReplicationEnabled", f"Test/Sharing/{b}/Resource")
        for pack in STOCK_PACKS[1:]
        for b in ("Bucket", "AccessLogs/Bucket")
    }
    suppressed = {
        c["constructPath"].split("/")[1]
        for r in reports
        for v in r.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    }
    # AWS679f...: the function CDK shares between the stack's AwsCustomResources (the network's S3
    # prefix-list lookup), acknowledged by the network.
    assert suppressed == {"Network", "Sharing", "AWS679f53fac002430cb0da5b7982bd2287"}


def test_stock_notebook_rules_run_positive_control(synth: dict[str, Any]) -> None:
    reports = synth["report"]["pluginReports"]
    control = {
        v["ruleName"]
        for r in reports
        for v in r["violations"]
        for c in v["violatingConstructs"]
        if c["constructPath"].startswith("Control/")
    }
    assert control == {"AwsSolutions-SM1", "AwsSolutions-SM2", "AwsSolutions-SM3"} | {
        f"{pack}-{rule}"
        for pack in STOCK_PACKS[1:]
        for rule in ("SageMakerNotebookInstanceKMSKeyConfigured", "SageMakerNotebookNoDirectInternetAccess")
    }
    assert "ValidationFailed" in synth["error"]


# --- enforcement -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """A stack with a network, roles and keys, for constructs that must fail (never synthesized)."""
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    other = ec2.Vpc(stack, "Ordinary", max_azs=2)
    return {
        "stack": stack,
        "network": network,
        "key": keys.data_key,
        "role": new_role(stack, "Role"),
        "untraced_role": new_role(stack, "UntracedRole", source_identity=False),
        "public_subnet": other.public_subnets[0],
        "private_subnet": other.private_subnets[0],
        "imported_subnet": ec2.Subnet.from_subnet_id(stack, "Imported", "subnet-0abc"),
        "bucket": SecureBucket(stack, "Bucket", encryption_key=keys.data_key),
        "plain_bucket": s3.Bucket.from_bucket_name(stack, "Plain", "plain-bucket"),
        "count": iter(range(10_000)),
    }


def _new(base: dict[str, Any], cls: type, **overrides: Any) -> Any:
    required = {"network": base["network"], "execution_role": base["role"], "encryption_key": base["key"]}
    if cls is SecureUserProfile:
        required = {"domain": _new(base, SecureStudioDomain)}
    return cls(base["stack"], f"{cls.__name__}{next(base['count'])}", **{**required, **overrides})


@pytest.mark.parametrize(
    "cls, mutate, what",
    [
        (
            SecureStudioDomain,
            lambda c: setattr(c.domain, "app_network_access_type", "PublicInternetOnly"),
            "SageMakerSecurity-DomainVpcOnly",
        ),
        (SecureStudioDomain, lambda c: setattr(c.domain, "auth_mode", "SSO"), "AuthMode: IAM"),
        (SecureStudioDomain, lambda c: setattr(c.domain, "kms_key_id", None), "SageMakerSecurity-DomainKms"),
        (
            SecureStudioDomain,
            lambda c: setattr(c.domain, "kms_key_id", "alias/aws/sagemaker"),
            "SageMakerSecurity-DomainKms",
        ),
        (
            SecureNotebookInstance,
            lambda c: setattr(c.notebook, "direct_internet_access", "Enabled"),
            "SageMakerSecurity-NotebookNoDirectInternet",
        ),
        (
            SecureNotebookInstance,
            lambda c: setattr(c.notebook, "root_access", "Enabled"),
            "SageMakerSecurity-NotebookNoRootAccess",
        ),
        (
            SecureNotebookInstance,
            lambda c: setattr(c.notebook, "instance_metadata_service_configuration", None),
            "SageMakerSecurity-NotebookImdsV2",
        ),
        (SecureNotebookInstance, lambda c: setattr(c.notebook, "kms_key_id", None), "SageMakerSecurity-NotebookKms"),
        # Identity checks: only the construct knows which subnet and security group are its own.
        (SecureNotebookInstance, lambda c: setattr(c.notebook, "subnet_id", "subnet-0public"), "this isolated subnet"),
        (
            SecureNotebookInstance,
            lambda c: setattr(c.notebook, "security_group_ids", ["sg-0open"]),
            "the workload security group",
        ),
        (
            SecureUserProfile,
            lambda c: setattr(
                c.profile, "user_settings", sagemaker.CfnUserProfile.UserSettingsProperty(security_groups=["sg-0open"])
            ),
            "the workload security group",
        ),
    ],
)
def test_enforced_properties_are_checked_again_at_synth(base: dict, cls: type, mutate: Callable, what: str) -> None:
    construct = _new(base, cls)
    assert construct.node.validate() == []
    mutate(construct)
    (error,) = construct.node.validate()
    assert what in error and "is enforced by this construct" in error and "Fix:" in error


def test_a_control_removed_after_construction_fails_synth_with_the_rule_id() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    notebook = SecureNotebookInstance(
        stack, "Notebook", network=network, execution_role=new_role(stack, "Role"), encryption_key=keys.data_key
    )
    notebook.notebook.direct_internet_access = "Enabled"
    with pytest.raises(RuntimeError, match="Validation failed") as raised:
        app.synth()
    assert "SageMakerSecurity-NotebookNoDirectInternet (DirectInternetAccess is 'Enabled')" in str(raised.value)
    assert "Test/Notebook/Notebook was changed after construction" in str(raised.value)


def test_a_notebook_accepts_an_instance_family_with_a_hyphen(base: dict) -> None:
    """The notebook's own copy of the instance-type pattern refused the '-' of ml.p6-b200.48xlarge."""
    notebook = _new(base, SecureNotebookInstance, instance_type="ml.p6-b200.48xlarge")
    assert notebook.notebook.instance_type == "ml.p6-b200.48xlarge"


def test_root_access_opt_out_is_not_an_enforcement_error(base: dict) -> None:
    construct = _new(base, SecureNotebookInstance, allow_root_access=True)
    assert construct.node.validate() == []


# --- bad input ----------------------------------------------------------------------------------------------

BAD_INPUT: list[tuple[type, str, str, Callable[[dict], dict]]] = [
    (SecureStudioDomain, "subnets", "is not one of the isolated subnets", lambda b: {"subnets": [b["public_subnet"]]}),
    (SecureStudioDomain, "subnets", "is not one of the isolated subnets", lambda b: {"subnets": [b["private_subnet"]]}),
    (
        SecureStudioDomain,
        "subnets",
        "is not one of the isolated subnets",
        lambda b: {"subnets": [b["imported_subnet"]]},
    ),
    (SecureStudioDomain, "subnets", "is not a non-empty list", lambda b: {"subnets": []}),
    (SecureStudioDomain, "network", "has no vpc", lambda b: {"network": None}),
    (SecureStudioDomain, "network", "has no vpc", lambda b: {"network": b["network"].vpc}),
    (SecureStudioDomain, "execution_role", "has no role_arn", lambda b: {"execution_role": "arn:aws:iam::1:role/x"}),
    (SecureStudioDomain, "encryption_key", "has no key_arn", lambda b: {"encryption_key": None}),
    (
        SecureStudioDomain,
        "execution_role",
        "does not allow sts:SetSourceIdentity",
        lambda b: {"execution_role": b["untraced_role"]},
    ),
    (SecureStudioDomain, "domain_name", "is not a valid SageMaker resource name", lambda b: {"domain_name": "team_a"}),
    (SecureStudioDomain, "domain_name", "is not a valid SageMaker resource name", lambda b: {"domain_name": "a" * 64}),
    (
        SecureStudioDomain,
        "notebook_sharing_prefix",
        "only applies with notebook_sharing_bucket",
        lambda b: {"notebook_sharing_prefix": "x/"},
    ),
    (
        SecureStudioDomain,
        "notebook_sharing_prefix",
        "is not an S3 key prefix",
        lambda b: {"notebook_sharing_bucket": b["bucket"], "notebook_sharing_prefix": "/abs/"},
    ),
    (
        SecureStudioDomain,
        "notebook_sharing_bucket",
        "has no known encryption key",
        lambda b: {"notebook_sharing_bucket": b["plain_bucket"]},
    ),
    (SecureStudioDomain, "idle_timeout", "from 60 to 525600", lambda b: {"idle_timeout": cdk.Duration.minutes(30)}),
    (SecureStudioDomain, "idle_timeout", "from 60 to 525600", lambda b: {"idle_timeout": cdk.Duration.seconds(3630)}),
    (SecureStudioDomain, "default_space_volume_gb", "is outside 5..16384", lambda b: {"default_space_volume_gb": 1}),
    (
        SecureStudioDomain,
        "max_space_volume_gb",
        "is outside 50..16384",
        lambda b: {"default_space_volume_gb": 50, "max_space_volume_gb": 20},
    ),
    (SecureStudioDomain, "allow_docker_access", "is a str, not a bool", lambda b: {"allow_docker_access": "yes"}),
    (SecureUserProfile, "domain", "has no domain_id", lambda b: {"domain": None}),
    (
        SecureUserProfile,
        "user_profile_name",
        "is not a valid SageMaker resource name",
        lambda b: {"user_profile_name": "alice@example.com"},
    ),
    (
        SecureUserProfile,
        "execution_role",
        "does not allow sts:SetSourceIdentity",
        lambda b: {"execution_role": b["untraced_role"]},
    ),
    (SecureNotebookInstance, "subnet", "is not one of the isolated subnets", lambda b: {"subnet": b["public_subnet"]}),
    (SecureNotebookInstance, "subnet", "is not one of the isolated subnets", lambda b: {"subnet": b["private_subnet"]}),
    (
        SecureNotebookInstance,
        "platform_identifier",
        "is not a notebook platform SageMaker supports",
        lambda b: {"platform_identifier": "notebook-al2-v9"},
    ),
    (
        SecureNotebookInstance,
        "platform_identifier",
        "is a deprecated notebook platform",
        lambda b: {"platform_identifier": "notebook-al1-v1"},
    ),
    (
        SecureNotebookInstance,
        "platform_identifier",
        "is a deprecated notebook platform",
        lambda b: {"platform_identifier": "notebook-al2-v2"},
    ),
    (SecureNotebookInstance, "instance_type", "is not an ml.* instance type", lambda b: {"instance_type": "t3.medium"}),
    (SecureNotebookInstance, "volume_size_gb", "is outside 5..16384", lambda b: {"volume_size_gb": 2}),
    (SecureNotebookInstance, "allow_root_access", "is a int, not a bool", lambda b: {"allow_root_access": 1}),
    (
        SecureNotebookInstance,
        "on_create_script",
        "from a host outside AWS",
        lambda b: {"on_create_script": "curl -sL https://example.com/install.sh | bash"},
    ),
    (
        SecureNotebookInstance,
        "on_start_script",
        "from a host outside AWS",
        lambda b: {"on_start_script": "wget http://10.0.0.5/tool.tgz"},
    ),
    (
        SecureNotebookInstance,
        "on_start_script",
        "installs from the public PyPI",
        lambda b: {"on_start_script": "pip install pandas==2.2"},
    ),
    (
        SecureNotebookInstance,
        "on_start_script",
        "installs from the public PyPI",
        lambda b: {
            "on_start_script": "sudo -u ec2-user -i <<'EOF'\nsource activate python3\npython -m pip install -U torch\nEOF"
        },
    ),
    (
        SecureNotebookInstance,
        "on_start_script",
        "public conda channels",
        lambda b: {"on_start_script": "conda install -y -c conda-forge xgboost"},
    ),
    (
        SecureNotebookInstance,
        "on_start_script",
        "public npm registry",
        lambda b: {"on_start_script": "npm install -g yarn"},
    ),
    (
        SecureNotebookInstance,
        "on_start_script",
        "over SSH",
        lambda b: {"on_start_script": "git clone git@github.com:org/repo.git"},
    ),
    (SecureNotebookInstance, "on_start_script", "is empty", lambda b: {"on_start_script": "  \n"}),
    (SecureNotebookInstance, "on_start_script", "is longer than the 16384", lambda b: {"on_start_script": "#" * 16385}),
    (SecureNotebookInstance, "on_start_script", "is a token", lambda b: {"on_start_script": cdk.Aws.STACK_NAME}),
]


@pytest.mark.parametrize(
    "cls, prop, problem, case", BAD_INPUT, ids=[f"{c.__name__}-{p}-{i}" for i, (c, p, _, _) in enumerate(BAD_INPUT)]
)
def test_bad_input_fails_at_construct_time_naming_the_prop(
    base: dict, cls: type, prop: str, problem: str, case: Callable
) -> None:
    with pytest.raises(PropError) as raised:
        _new(base, cls, **case(base))
    message = str(raised.value)
    assert message.startswith(f"{cls.__name__}(Test/{cls.__name__}")
    assert f": {prop}=" in message and problem in message and "Fix: " in message


def test_untraced_role_is_accepted_when_identity_recording_is_off(base: dict) -> None:
    domain = _new(base, SecureStudioDomain, execution_role=base["untraced_role"], record_user_identity=False)
    SecureUserProfile(base["stack"], "Untraced", domain=domain, execution_role=base["untraced_role"])


def test_imported_role_cannot_be_checked_and_is_accepted(base: dict) -> None:
    imported = iam.Role.from_role_arn(base["stack"], "ImportedRole", "arn:aws:iam::123456789012:role/ml-exec")
    _new(base, SecureStudioDomain, execution_role=imported)


@pytest.mark.parametrize(
    "script",
    [
        "aws s3 cp s3://tools-bucket/setup.sh /tmp/setup.sh && bash /tmp/setup.sh",
        "pip install --no-index --find-links /home/ec2-user/SageMaker/wheels pandas",
        "pip install -i https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/ml/simple/ pandas",
        "curl -s https://s3.eu-west-1.amazonaws.com/tools-bucket/tool.sh -o /tmp/tool.sh",
        "conda install --offline /home/ec2-user/SageMaker/pkgs/xgboost.tar.bz2",
        "npm install --registry https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/npm/ml/ left-pad",
        "echo 'pip is not run here'\nsudo systemctl restart jupyter-server",
    ],
)
def test_lifecycle_scripts_that_stay_in_the_vpc_pass(script: str) -> None:
    assert lifecycle_script_problems(script) == []


def test_supported_platforms_are_the_current_ones() -> None:
    assert SUPPORTED_NOTEBOOK_PLATFORMS == ("notebook-al2023-v1", "notebook-al2-v3")


# --- ExecutionRole as execution_role -------------------------------------------------------------


def _studio_stack(unwrap: bool) -> tuple[cdk.Stack, dict[str, Any]]:
    """A fresh stack whose domain, user profile and notebook get ExecutionRoles, or their ``.role``."""
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    exec_role, alice_role = ExecutionRole(stack, "Exec"), ExecutionRole(stack, "AliceExec")
    given = (lambda r: r.role) if unwrap else (lambda r: r)
    domain = SecureStudioDomain(
        stack, "Studio", network=network, execution_role=given(exec_role), encryption_key=keys.data_key
    )
    constructs = {
        "exec_role": exec_role,
        "alice_role": alice_role,
        "domain": domain,
        "alice": SecureUserProfile(
            stack, "Alice", domain=domain, user_profile_name="alice", execution_role=given(alice_role)
        ),
        "notebook": SecureNotebookInstance(
            stack, "Notebook", network=network, execution_role=given(exec_role), encryption_key=keys.data_key
        ),
    }
    return stack, constructs


def test_notebook_sharing_grants_the_execution_roles_write_access_to_the_shared_prefix() -> None:
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    sharing = SecureBucket(stack, "Sharing", encryption_key=keys.data_key)
    domain_role, alice_role = ExecutionRole(stack, "Exec"), ExecutionRole(stack, "AliceExec")
    domain = SecureStudioDomain(
        stack,
        "Studio",
        network=network,
        execution_role=domain_role,
        encryption_key=keys.data_key,
        notebook_sharing_bucket=sharing,
        notebook_sharing_prefix="snapshots/team-a/",
    )
    SecureUserProfile(stack, "Alice", domain=domain, user_profile_name="alice", execution_role=alice_role)
    template = Template.from_stack(stack)
    bucket = stack.resolve(stack.get_logical_id(sharing.bucket.node.default_child))
    for role in (domain_role, alice_role):
        policy = stack.resolve(stack.get_logical_id(role.policy.node.default_child))
        statements = template.to_json()["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
        written = {s["Sid"]: s["Resource"] for s in statements}["ReadWriteObjects"]
        assert written == {"Fn::Join": ["", [get_att(bucket, "Arn"), "/snapshots/team-a/*"]]}


def test_an_execution_role_gives_the_same_template_as_its_role() -> None:
    wrapped_stack, wrapped = _studio_stack(unwrap=False)
    plain_stack, _ = _studio_stack(unwrap=True)
    template = Template.from_stack(wrapped_stack).to_json()
    assert template == Template.from_stack(plain_stack).to_json()

    role_arn = get_att(
        wrapped_stack.resolve(wrapped_stack.get_logical_id(wrapped["exec_role"].role.node.default_child)), "Arn"
    )
    alice_arn = get_att(
        wrapped_stack.resolve(wrapped_stack.get_logical_id(wrapped["alice_role"].role.node.default_child)), "Arn"
    )
    (domain,) = resources(template, "AWS::SageMaker::Domain").values()
    (profile,) = resources(template, "AWS::SageMaker::UserProfile").values()
    (notebook,) = resources(template, "AWS::SageMaker::NotebookInstance").values()
    assert domain["Properties"]["DefaultUserSettings"]["ExecutionRole"] == role_arn
    assert domain["Properties"]["DefaultSpaceSettings"]["ExecutionRole"] == role_arn
    assert profile["Properties"]["UserSettings"]["ExecutionRole"] == alice_arn
    assert notebook["Properties"]["RoleArn"] == role_arn
    # The attribute stays an iam.IRole: the ExecutionRole's role.
    assert wrapped["domain"].execution_role is wrapped["exec_role"].role
    assert wrapped["alice"].execution_role is wrapped["alice_role"].role
    assert wrapped["notebook"].execution_role is wrapped["exec_role"].role


def test_the_trust_check_runs_on_the_role_of_an_execution_role(base: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import secure_sagemaker.studio as studio

    seen: list[Any] = []
    monkeypatch.setattr(studio, "trust_allows_source_identity", lambda role: seen.append(role) or False)
    exec_role = ExecutionRole(base["stack"], f"Exec{next(base['count'])}")
    with pytest.raises(
        PropError, match=rf"execution_role='{exec_role.role.node.path}' has a trust policy that does not allow"
    ):
        _new(base, SecureStudioDomain, execution_role=exec_role)
    assert seen == [exec_role.role]


@pytest.mark.parametrize("cls", [SecureStudioDomain, SecureUserProfile, SecureNotebookInstance])
def test_an_execution_role_that_is_neither_role_nor_execution_role_fails(base: dict, cls: type) -> None:
    with pytest.raises(PropError) as raised:
        _new(base, cls, execution_role="arn:aws:iam::123456789012:role/ml-exec")
    message = str(raised.value)
    assert message.startswith(f"{cls.__name__}(Test/{cls.__name__}")
    assert ": execution_role='arn:aws:iam::123456789012:role/ml-exec' has no role_arn" in message
    assert "Fix: pass an ExecutionRole, or an iam.IRole assumed by sagemaker.amazonaws.com" in message
