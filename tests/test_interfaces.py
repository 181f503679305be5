"""Constructs accept what they read (protocols, CDK interfaces), not only our own classes.

One App holds a network stack (a PrivateNetwork and SecureBuckets) and a workload stack that uses
imported resources (``Vpc.from_vpc_attributes``, ``Bucket.from_bucket_name``, ``Key.from_key_arn``)
and the network stack's resources across stacks. The workload constructs must still enforce their
controls on them; wrong types fail with a PropError that names the prop.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from secure_sagemaker import (
    EncryptedBucketRef,
    EndpointRef,
    ImportedNetwork,
    KeyRing,
    PrivateNetwork,
    PropError,
    ProtectedInferenceApi,
    SecureBucket,
    SecureDataQualityMonitor,
    SecureEndpoint,
    SecureFeatureGroup,
    SecureModel,
    SecureNotebookInstance,
    SecureStudioDomain,
    SecureUserProfile,
)
from secure_sagemaker.interfaces import require_encrypted_bucket, require_network
from tests.helpers import new_app, new_stack, resources

SAGEMAKER = "sagemaker.amazonaws.com"
KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
ENDPOINT_ARN = "arn:aws:sagemaker:eu-west-1:111111111111:endpoint/elsewhere"
ISOLATED = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
PUBLIC = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
SG_ID = "sg-0123456789abcdef0"
FEATURES = {"customer_id": "String", "event_time": "String"}


def _role(scope: cdk.Stack, id: str) -> iam.Role:
    role = iam.Role(scope, id, assumed_by=iam.ServicePrincipal(SAGEMAKER))
    role.assume_role_policy.add_statements(
        iam.PolicyStatement(actions=["sts:SetSourceIdentity"], principals=[iam.ServicePrincipal(SAGEMAKER)])
    )
    return role


def _imported(stack: cdk.Stack) -> dict[str, Any]:
    """A VPC, security group, key and bucket made outside this app."""
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "ImportedVpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        isolated_subnet_ids=ISOLATED,
        isolated_subnet_route_table_ids=["rtb-1", "rtb-2"],
        public_subnet_ids=PUBLIC,
        public_subnet_route_table_ids=["rtb-3", "rtb-4"],
    )
    group = ec2.SecurityGroup.from_security_group_id(stack, "ImportedGroup", SG_ID, mutable=False)
    key = kms.Key.from_key_arn(stack, "ImportedKey", KEY_ARN)
    bucket = s3.Bucket.from_bucket_name(stack, "ImportedBucket", "elsewhere-data")
    network = ImportedNetwork(vpc=vpc, isolated_subnets=vpc.isolated_subnets, workload_security_group=group)
    return {"vpc": vpc, "group": group, "key": key, "bucket": bucket, "network": network}


@pytest.fixture(scope="module")
def synth() -> dict[str, Any]:
    app = new_app()
    shared = cdk.Stack(app, "Shared")
    keys = KeyRing(shared, "Keys")
    network = PrivateNetwork(shared, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    captures = SecureBucket(shared, "Captures", encryption_key=keys.models_key)

    stack = cdk.Stack(app, "Workload")
    imported = _imported(stack)
    elsewhere = EncryptedBucketRef(bucket=imported["bucket"], key=imported["key"])
    role = _role(stack, "Role")
    repo = ecr.Repository.from_repository_name(stack, "Repo", "models")
    topic = sns.Topic.from_topic_arn(stack, "Topic", "arn:aws:sns:eu-west-1:111111111111:alerts")

    domain = SecureStudioDomain(
        stack,
        "Studio",
        network=imported["network"],
        execution_role=role,
        encryption_key=imported["key"],
        notebook_sharing_bucket=elsewhere,
    )
    SecureUserProfile(stack, "Alice", domain=domain, user_profile_name="alice")
    SecureNotebookInstance(
        stack, "Notebook", network=imported["network"], execution_role=role, encryption_key=imported["key"]
    )
    model = SecureModel(
        stack,
        "Model",
        network=imported["network"],
        execution_role=role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
        model_data_url="s3://elsewhere-data/models/model.tar.gz",
        model_data_bucket=elsewhere,
    )
    cross_model = SecureModel(
        stack,
        "CrossModel",
        network=network,
        execution_role=role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    endpoint = SecureEndpoint(
        stack,
        "Endpoint",
        model=model,
        encryption_key=imported["key"],
        alarm_topic=topic,
        data_capture_bucket=elsewhere,
    )
    cross_endpoint = SecureEndpoint(
        stack,
        "CrossEndpoint",
        model=cross_model,
        encryption_key=imported["key"],
        alarm_topic=topic,
        data_capture_bucket=captures,
    )
    SecureDataQualityMonitor(
        stack,
        "Monitor",
        endpoint=endpoint,
        role=role,
        encryption_key=imported["key"],
        output_bucket=EncryptedBucketRef(bucket=imported["bucket"], key=imported["key"]),
        output_prefix="reports",
    )
    SecureDataQualityMonitor(stack, "CrossMonitor", endpoint=cross_endpoint, role=role, encryption_key=imported["key"])
    SecureFeatureGroup(
        stack,
        "Features",
        encryption_key=imported["key"],
        role=role,
        offline_store_bucket=elsewhere,
        record_identifier_feature_name="customer_id",
        event_time_feature_name="event_time",
        features=FEATURES,
    )
    ProtectedInferenceApi(
        stack,
        "Api",
        endpoint=EndpointRef(endpoint_name="elsewhere", endpoint_arn=ENDPOINT_ARN),
        logs_key=imported["key"],
        alarm_topic=topic,
    )
    assembly = app.synth()
    return {
        "template": assembly.get_stack_by_name("Workload").template,
        "shared": assembly.get_stack_by_name("Shared").template,
        "domain": domain,
    }


def _one(template: dict, cfn_type: str, id_prefix: str) -> dict:
    (found,) = [r["Properties"] for lid, r in resources(template, cfn_type).items() if lid.startswith(id_prefix)]
    return found


def test_imported_network_carries_the_controls_of_studio_notebook_and_model(synth: dict) -> None:
    template = synth["template"]
    (domain,) = resources(template, "AWS::SageMaker::Domain").values()
    assert domain["Properties"]["AppNetworkAccessType"] == "VpcOnly"
    assert domain["Properties"]["SubnetIds"] == ISOLATED
    assert domain["Properties"]["DefaultUserSettings"]["SecurityGroups"] == [SG_ID]
    (profile,) = resources(template, "AWS::SageMaker::UserProfile").values()
    assert profile["Properties"]["UserSettings"]["SecurityGroups"] == [SG_ID]
    (notebook,) = resources(template, "AWS::SageMaker::NotebookInstance").values()
    assert notebook["Properties"]["SubnetId"] == ISOLATED[0]
    assert notebook["Properties"]["DirectInternetAccess"] == "Disabled"
    model = _one(template, "AWS::SageMaker::Model", "Model")
    assert model["VpcConfig"] == {"SecurityGroupIds": [SG_ID], "Subnets": ISOLATED}
    assert model["EnableNetworkIsolation"] is True


def test_imported_bucket_is_written_under_its_key_everywhere(synth: dict) -> None:
    template = synth["template"]
    (domain,) = resources(template, "AWS::SageMaker::Domain").values()
    sharing = domain["Properties"]["DefaultUserSettings"]["SharingSettings"]
    assert sharing == {
        "NotebookOutputOption": "Allowed",
        "S3KmsKeyId": KEY_ARN,
        "S3OutputPath": "s3://elsewhere-data/shared-notebooks/",
    }
    (profile,) = resources(template, "AWS::SageMaker::UserProfile").values()
    assert profile["Properties"]["UserSettings"]["SharingSettings"] == sharing
    config = _one(template, "AWS::SageMaker::EndpointConfig", "Endpoint")
    assert config["DataCaptureConfig"]["KmsKeyId"] == KEY_ARN
    assert config["DataCaptureConfig"]["DestinationS3Uri"] == "s3://elsewhere-data/data-capture"
    job = _one(template, "AWS::SageMaker::DataQualityJobDefinition", "Monitor")
    assert job["DataQualityJobOutputConfig"]["KmsKeyId"] == KEY_ARN
    (group,) = resources(template, "AWS::SageMaker::FeatureGroup").values()
    assert group["Properties"]["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] == KEY_ARN


def _from_another_stack(value: Any) -> bool:
    return isinstance(value, dict) and bool({"Fn::ImportValue", "Fn::GetStackOutput"} & set(value))


def test_cross_stack_network_and_bucket_are_imported_values(synth: dict) -> None:
    template = synth["template"]
    model = _one(template, "AWS::SageMaker::Model", "CrossModel")
    assert all(_from_another_stack(subnet) for subnet in model["VpcConfig"]["Subnets"])
    assert all(_from_another_stack(group) for group in model["VpcConfig"]["SecurityGroupIds"])
    config = _one(template, "AWS::SageMaker::EndpointConfig", "CrossEndpoint")
    assert _from_another_stack(config["DataCaptureConfig"]["KmsKeyId"])
    assert resources(synth["shared"], "AWS::S3::Bucket")  # the bucket lives in the shared stack only
    assert not [b for b in resources(template, "AWS::S3::Bucket") if "Captures" in b]


def test_api_fronts_an_endpoint_deployed_elsewhere(synth: dict) -> None:
    (policy,) = [
        p
        for p in resources(synth["template"], "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("Description", "").startswith("sagemaker:InvokeEndpoint")
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == ENDPOINT_ARN


def test_the_domain_gives_profiles_public_attributes(synth: dict) -> None:
    domain = synth["domain"]
    assert (domain.default_space_volume_gb, domain.max_space_volume_gb) == (5, 100)
    assert domain.notebook_sharing_bucket.key.key_arn == KEY_ARN


# --- wrong inputs ------------------------------------------------------------------------------


@pytest.fixture
def base() -> dict[str, Any]:
    stack = new_stack()
    imported = _imported(stack)
    imported["stack"] = stack
    imported["role"] = _role(stack, "Role")
    return imported


def test_network_must_have_the_protocols_attributes(base: dict) -> None:
    with pytest.raises(PropError, match=r"SecureNotebookInstance\(Test/Nb\): network=.*has no vpc.*ImportedNetwork"):
        SecureNotebookInstance(
            base["stack"], "Nb", network=base["vpc"], execution_role=base["role"], encryption_key=base["key"]
        )


def test_imported_network_subnets_must_be_isolated_subnets_of_its_vpc(base: dict) -> None:
    public = ImportedNetwork(
        vpc=base["vpc"], isolated_subnets=base["vpc"].public_subnets, workload_security_group=base["group"]
    )
    with pytest.raises(PropError, match=r"network.subnets='subnet-0bbbbbbbbbbbbbbb1' is not an isolated subnet"):
        require_network("X", "network", public)
    empty = ImportedNetwork(vpc=base["vpc"], isolated_subnets=[], workload_security_group=base["group"])
    with pytest.raises(PropError, match=r"network.subnets=\[\] is not a non-empty list"):
        require_network("X", "network", empty)


def test_a_bucket_without_a_known_key_is_refused(base: dict) -> None:
    with pytest.raises(
        PropError, match=r"data_capture_bucket=.Test/ImportedBucket. has no known encryption key.*EncryptedBucketRef"
    ):
        require_encrypted_bucket("SecureEndpoint(x)", "data_capture_bucket", base["bucket"])
    with pytest.raises(PropError, match=r"notebook_sharing_bucket=.*has no bucket_name"):
        SecureStudioDomain(
            base["stack"],
            "Studio",
            network=base["network"],
            execution_role=base["role"],
            encryption_key=base["key"],
            notebook_sharing_bucket="elsewhere-data",
        )


def test_an_alias_is_not_the_key_of_an_encrypted_bucket(base: dict) -> None:
    alias = kms.Alias.from_alias_name(base["stack"], "Alias", "alias/data")
    with pytest.raises(PropError, match=r"bucket.key=.*is a KMS alias"):
        require_encrypted_bucket("X", "bucket", EncryptedBucketRef(bucket=base["bucket"], key=alias))


def test_a_plain_bucket_with_a_known_key_is_accepted(base: dict) -> None:
    bucket = s3.Bucket.from_bucket_attributes(base["stack"], "Keyed", bucket_name="keyed", encryption_key=base["key"])
    encrypted = require_encrypted_bucket("X", "bucket", bucket)
    assert encrypted.bucket is bucket and encrypted.key.key_arn == KEY_ARN


def test_an_encrypted_bucket_and_a_separate_key_are_one_too_many(base: dict) -> None:
    ref = EncryptedBucketRef(bucket=base["bucket"], key=base["key"])
    with pytest.raises(PropError, match=r"both model_data_bucket and model_data_encryption_key were given"):
        require_encrypted_bucket("X", "model_data_bucket", ref, key=base["key"], key_prop="model_data_encryption_key")


def test_a_user_profile_needs_a_domain(base: dict) -> None:
    with pytest.raises(PropError, match=r"SecureUserProfile\(Test/Bob\): domain=.*has no domain_id"):
        SecureUserProfile(base["stack"], "Bob", domain=base["network"])


def test_an_endpoint_needs_a_model_in_a_network(base: dict) -> None:
    topic = sns.Topic.from_topic_arn(base["stack"], "Topic", "arn:aws:sns:eu-west-1:111111111111:alerts")
    model = EndpointRef(endpoint_name="x", endpoint_arn=ENDPOINT_ARN)
    with pytest.raises(PropError, match=r"SecureEndpoint\(Test/Endpoint\): model=.*has no model_name"):
        SecureEndpoint(base["stack"], "Endpoint", model=model, encryption_key=base["key"], alarm_topic=topic)


def test_an_api_needs_an_endpoint(base: dict) -> None:
    topic = sns.Topic.from_topic_arn(base["stack"], "Topic", "arn:aws:sns:eu-west-1:111111111111:alerts")
    with pytest.raises(
        PropError, match=r"ProtectedInferenceApi\(Test/Api\): endpoint='elsewhere' has no endpoint_name"
    ):
        ProtectedInferenceApi(base["stack"], "Api", endpoint="elsewhere", logs_key=base["key"], alarm_topic=topic)


def test_a_model_on_an_imported_network_still_enforces_its_controls(base: dict) -> None:
    repo = ecr.Repository.from_repository_name(base["stack"], "Repo", "models")
    model = SecureModel(
        base["stack"],
        "Model",
        network=base["network"],
        execution_role=base["role"],
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    assert model.node.validate() == []
    model.model.enable_network_isolation = False
    model.model.vpc_config = None
    problems = " ".join(model.node.validate())
    assert "ModelNetworkIsolation" in problems and "ModelVpcConfig" in problems, problems
