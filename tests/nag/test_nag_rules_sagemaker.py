"""SageMaker rules on template fragments: compliant, non-compliant and unverifiable cases."""

from __future__ import annotations

import pytest

from _nagcases import (
    AWS_S3_KEY,
    IMPORT,
    KEY_ARN,
    KEY_REF,
    PARAM,
    ROLE,
    ROLE_ARN,
    cases_params,
    resource,
    template,
    verdict,
    with_props,
)

ECR_IMAGE = {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/model:1"}
MODEL = resource(
    "AWS::SageMaker::Model",
    {
        "ExecutionRoleArn": ROLE_ARN,
        "EnableNetworkIsolation": True,
        "PrimaryContainer": {"Image": ECR_IMAGE},
        "VpcConfig": {"Subnets": [{"Ref": "Subnet"}], "SecurityGroupIds": [{"Ref": "Sg"}]},
    },
)
VARIANT = {"VariantName": "main", "ModelName": "m", "InitialInstanceCount": 2, "InstanceType": "ml.m5.large"}
SERVERLESS = {"VariantName": "sl", "ModelName": "m", "ServerlessConfig": {"MaxConcurrency": 5, "MemorySizeInMB": 2048}}
CAPTURE = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 100,
    "DestinationS3Uri": "s3://bucket/capture",
    "KmsKeyId": KEY_ARN,
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
}
ENDPOINT_CONFIG = resource(
    "AWS::SageMaker::EndpointConfig",
    {"KmsKeyId": KEY_ARN, "ProductionVariants": [VARIANT], "DataCaptureConfig": CAPTURE},
)
NOTEBOOK = resource(
    "AWS::SageMaker::NotebookInstance",
    {
        "InstanceType": "ml.t3.medium",
        "RoleArn": ROLE_ARN,
        "DirectInternetAccess": "Disabled",
        "RootAccess": "Disabled",
        "KmsKeyId": KEY_REF,
        "SubnetId": {"Ref": "Subnet"},
        "SecurityGroupIds": [{"Fn::GetAtt": ["Sg", "GroupId"]}],
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    },
)
USER_SETTINGS = {
    "ExecutionRole": ROLE_ARN,
    "SecurityGroups": [{"Ref": "Sg"}],
    "SharingSettings": {"NotebookOutputOption": "Disabled"},
}
DOMAIN = resource(
    "AWS::SageMaker::Domain",
    {
        "DomainName": "d",
        "AuthMode": "IAM",
        "AppNetworkAccessType": "VpcOnly",
        "KmsKeyId": KEY_ARN,
        "VpcId": {"Ref": "Vpc"},
        "SubnetIds": [{"Ref": "Subnet"}],
        "DefaultUserSettings": USER_SETTINGS,
    },
)
PROFILE = resource("AWS::SageMaker::UserProfile", {"DomainId": {"Ref": "Domain"}, "UserProfileName": "u"})
NETWORK = {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True}
JOB = resource(
    "AWS::SageMaker::DataQualityJobDefinition",
    {
        "NetworkConfig": NETWORK,
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20, "VolumeKmsKeyId": KEY_ARN}},
        "DataQualityJobOutputConfig": {"KmsKeyId": KEY_ARN, "MonitoringOutputs": []},
        "RoleArn": ROLE_ARN,
    },
)
INLINE_DEFINITION = {
    "NetworkConfig": NETWORK,
    "MonitoringResources": {"ClusterConfig": {"VolumeKmsKeyId": KEY_ARN}},
    "MonitoringOutputConfig": {"KmsKeyId": KEY_ARN},
}
SCHEDULE = resource(
    "AWS::SageMaker::MonitoringSchedule",
    {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {"MonitoringJobDefinition": INLINE_DEFINITION}},
)
FEATURE_GROUP = resource(
    "AWS::SageMaker::FeatureGroup",
    {
        "OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY_ARN}},
        "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "s3://b/f", "KmsKeyId": KEY_ARN}},
    },
)
PIPELINE = resource("AWS::SageMaker::Pipeline", {"PipelineName": "p", "RoleArn": ROLE_ARN, "PipelineDefinition": {}})


def t(target: dict, **others: dict) -> dict:
    return template(target, Role=ROLE, **others)


def sharing(option: str, key=None) -> dict:
    settings = {"NotebookOutputOption": option, "S3OutputPath": "s3://b/shared"}
    if key is not None:
        settings["S3KmsKeyId"] = key
    return with_props(DOMAIN, DefaultUserSettings={**USER_SETTINGS, "SharingSettings": settings})


CASES = {
    "ModelNetworkIsolation": {
        "pass": [t(MODEL), t(with_props(MODEL, EnableNetworkIsolation="true"))],
        "fail": [t(with_props(MODEL, EnableNetworkIsolation=None)), t(with_props(MODEL, EnableNetworkIsolation=False))],
        "unverifiable": [t(with_props(MODEL, EnableNetworkIsolation=PARAM))],
    },
    "ModelVpcConfig": {
        "pass": [t(MODEL), t(with_props(MODEL, VpcConfig={"Subnets": PARAM, "SecurityGroupIds": [IMPORT]}))],
        "fail": [t(with_props(MODEL, VpcConfig=None)), t(with_props(MODEL, VpcConfig={"Subnets": [], "SecurityGroupIds": ["sg-1"]}))],
        "unverifiable": [t(with_props(MODEL, VpcConfig=IMPORT))],
    },
    "ModelImageFromAccountEcr": {
        "pass": [
            t(MODEL),
            t(with_props(MODEL, PrimaryContainer={"Image": {"Fn::Join": ["", [{"Fn::GetAtt": ["Repo", "RepositoryUri"]}, ":1"]]}}),
              Repo=resource("AWS::ECR::Repository", {})),
            t(with_props(MODEL, PrimaryContainer={"ModelPackageName": "arn:aws:sagemaker:eu-west-1:1:model-package/x"})),
        ],
        "fail": [
            t(with_props(MODEL, PrimaryContainer={"Image": "docker.io/library/python:3"})),
            t(with_props(MODEL, PrimaryContainer=None, Containers=[{"Image": ECR_IMAGE}, {"Image": "ghcr.io/x/y:1"}])),
        ],
        "unverifiable": [
            t(with_props(MODEL, PrimaryContainer={"Image": PARAM})),
            t(with_props(MODEL, PrimaryContainer={"Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch:2"})),
        ],
    },
    "EndpointConfigKms": {
        "pass": [
            t(ENDPOINT_CONFIG),
            t(with_props(ENDPOINT_CONFIG, KmsKeyId=None, ProductionVariants=[SERVERLESS])),
            t(with_props(ENDPOINT_CONFIG, KmsKeyId={"Ref": "Alias"}), Alias=resource("AWS::KMS::Alias", {"AliasName": "alias/x", "TargetKeyId": KEY_REF})),
        ],
        "fail": [
            t(with_props(ENDPOINT_CONFIG, KmsKeyId=None)),
            t(with_props(ENDPOINT_CONFIG, KmsKeyId="alias/aws/sagemaker")),
            t(with_props(ENDPOINT_CONFIG, AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": "s3://b/o"}})),
        ],
        "unverifiable": [
            t(with_props(ENDPOINT_CONFIG, KmsKeyId=PARAM)),
            t(with_props(ENDPOINT_CONFIG, KmsKeyId="arn:aws:kms:eu-west-1:111122223333:key/abcd")),
        ],
    },
    "EndpointConfigDataCapture": {
        "pass": [t(ENDPOINT_CONFIG), t(with_props(ENDPOINT_CONFIG, DataCaptureConfig=None, ProductionVariants=[SERVERLESS]))],
        "fail": [
            t(with_props(ENDPOINT_CONFIG, DataCaptureConfig=None)),
            t(with_props(ENDPOINT_CONFIG, DataCaptureConfig={**CAPTURE, "EnableCapture": False})),
        ],
        "unverifiable": [t(with_props(ENDPOINT_CONFIG, DataCaptureConfig=IMPORT))],
    },
    "EndpointConfigDataCaptureKms": {
        "pass": [t(ENDPOINT_CONFIG), t(with_props(ENDPOINT_CONFIG, DataCaptureConfig=None))],
        "fail": [
            t(with_props(ENDPOINT_CONFIG, DataCaptureConfig={**CAPTURE, "KmsKeyId": None})),
            t(with_props(ENDPOINT_CONFIG, DataCaptureConfig={**CAPTURE, "KmsKeyId": AWS_S3_KEY})),
        ],
        "unverifiable": [t(with_props(ENDPOINT_CONFIG, DataCaptureConfig={**CAPTURE, "KmsKeyId": PARAM}))],
    },
    "EndpointConfigMultipleInstances": {
        "pass": [t(ENDPOINT_CONFIG), t(with_props(ENDPOINT_CONFIG, ProductionVariants=[SERVERLESS]))],
        "fail": [
            t(with_props(ENDPOINT_CONFIG, ProductionVariants=[{**VARIANT, "InitialInstanceCount": 1}])),
            t(with_props(ENDPOINT_CONFIG, ProductionVariants=[VARIANT, {**VARIANT, "VariantName": "b", "InitialInstanceCount": "1"}])),
        ],
        "unverifiable": [t(with_props(ENDPOINT_CONFIG, ProductionVariants=[{**VARIANT, "InitialInstanceCount": PARAM}]))],
    },
    "NotebookNoDirectInternet": {
        "pass": [t(NOTEBOOK)],
        "fail": [t(with_props(NOTEBOOK, DirectInternetAccess=None)), t(with_props(NOTEBOOK, DirectInternetAccess="Enabled"))],
        "unverifiable": [t(with_props(NOTEBOOK, DirectInternetAccess=PARAM))],
    },
    "NotebookNoRootAccess": {
        "pass": [t(NOTEBOOK)],
        "fail": [t(with_props(NOTEBOOK, RootAccess=None)), t(with_props(NOTEBOOK, RootAccess="Enabled"))],
        "unverifiable": [t(with_props(NOTEBOOK, RootAccess={"Fn::If": ["Cond", "Enabled", "Disabled"]}))],
    },
    "NotebookKms": {
        "pass": [t(NOTEBOOK)],
        "fail": [t(with_props(NOTEBOOK, KmsKeyId=None)), t(with_props(NOTEBOOK, KmsKeyId={"Ref": "Role"}))],
        "unverifiable": [t(with_props(NOTEBOOK, KmsKeyId=IMPORT))],
    },
    "NotebookInSubnet": {
        "pass": [t(NOTEBOOK), t(with_props(NOTEBOOK, SubnetId=PARAM, SecurityGroupIds=PARAM))],
        "fail": [t(with_props(NOTEBOOK, SubnetId=None)), t(with_props(NOTEBOOK, SecurityGroupIds=[]))],
        "unverifiable": [],
    },
    "NotebookImdsV2": {
        "pass": [t(NOTEBOOK)],
        "fail": [
            t(with_props(NOTEBOOK, InstanceMetadataServiceConfiguration=None)),
            t(with_props(NOTEBOOK, InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "1"})),
        ],
        "unverifiable": [t(with_props(NOTEBOOK, InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": PARAM}))],
    },
    "DomainVpcOnly": {
        "pass": [t(DOMAIN)],
        "fail": [t(with_props(DOMAIN, AppNetworkAccessType=None)), t(with_props(DOMAIN, AppNetworkAccessType="PublicInternetOnly"))],
        "unverifiable": [t(with_props(DOMAIN, AppNetworkAccessType=PARAM))],
    },
    "DomainKms": {
        "pass": [t(DOMAIN)],
        "fail": [t(with_props(DOMAIN, KmsKeyId=None)), t(with_props(DOMAIN, KmsKeyId="arn:aws:kms:eu-west-1:1:alias/aws/elasticfilesystem"))],
        "unverifiable": [t(with_props(DOMAIN, KmsKeyId=PARAM))],
    },
    "DomainSecurityGroups": {
        "pass": [t(DOMAIN), t(with_props(DOMAIN, DefaultUserSettings={**USER_SETTINGS, "SecurityGroups": PARAM}))],
        "fail": [t(with_props(DOMAIN, DefaultUserSettings={"ExecutionRole": ROLE_ARN})), t(with_props(DOMAIN, DefaultUserSettings=None))],
        "unverifiable": [],
    },
    "StudioNotebookSharing": {
        "pass": [
            t(DOMAIN),
            t(sharing("Allowed", KEY_ARN)),
            t(PROFILE),
            t(with_props(PROFILE, UserSettings={"SharingSettings": {"NotebookOutputOption": "Disabled"}})),
        ],
        "fail": [
            t(with_props(DOMAIN, DefaultUserSettings={"ExecutionRole": ROLE_ARN, "SecurityGroups": ["sg-1"]})),
            t(sharing("Allowed")),
            t(with_props(PROFILE, UserSettings={"SharingSettings": {"NotebookOutputOption": "Allowed", "S3KmsKeyId": AWS_S3_KEY}})),
        ],
        "unverifiable": [t(sharing(PARAM)), t(sharing("Allowed", PARAM))],
    },
    "StudioRootAccess": {
        "pass": [
            t(DOMAIN),
            t(with_props(DOMAIN, DomainSettings={"DockerSettings": {"EnableDockerAccess": "ENABLED", "RootlessDocker": "ENABLED"}})),
            t(with_props(PROFILE, UserSettings={"CustomPosixUserConfig": {"Uid": 1000, "Gid": 100}})),
        ],
        "fail": [
            t(with_props(DOMAIN, DomainSettings={"DockerSettings": {"EnableDockerAccess": "ENABLED"}})),
            t(with_props(PROFILE, UserSettings={"CustomPosixUserConfig": {"Uid": 0, "Gid": 0}})),
            t(with_props(DOMAIN, DefaultSpaceSettings={"CustomPosixUserConfig": {"Uid": "0", "Gid": 0}})),
        ],
        "unverifiable": [t(with_props(DOMAIN, DomainSettings={"DockerSettings": {"EnableDockerAccess": PARAM}}))],
    },
    "JobNetworkIsolation": {
        "pass": [t(JOB), t(SCHEDULE), t(with_props(SCHEDULE, MonitoringScheduleConfig={"MonitoringJobDefinitionName": "j"}))],
        "fail": [
            t(with_props(JOB, NetworkConfig=None)),
            t(with_props(SCHEDULE, MonitoringScheduleConfig={"MonitoringJobDefinition": {**INLINE_DEFINITION, "NetworkConfig": {"EnableNetworkIsolation": False}}})),
        ],
        "unverifiable": [t(with_props(JOB, NetworkConfig={"EnableNetworkIsolation": PARAM})), t(with_props(JOB, NetworkConfig=IMPORT))],
    },
    "JobInterContainerEncryption": {
        "pass": [t(JOB), t(SCHEDULE)],
        "fail": [
            t(with_props(JOB, NetworkConfig={"EnableNetworkIsolation": True})),
            t(with_props(resource("AWS::SageMaker::ModelBiasJobDefinition", JOB["Properties"]), NetworkConfig={"EnableInterContainerTrafficEncryption": "false"})),
        ],
        "unverifiable": [t(with_props(JOB, NetworkConfig={"EnableInterContainerTrafficEncryption": IMPORT}))],
    },
    "JobKms": {
        "pass": [t(JOB), t(SCHEDULE)],
        "fail": [
            t(with_props(JOB, JobResources={"ClusterConfig": {"InstanceCount": 1}})),
            t(with_props(JOB, DataQualityJobOutputConfig={"KmsKeyId": AWS_S3_KEY})),
            t(with_props(SCHEDULE, MonitoringScheduleConfig={"MonitoringJobDefinition": {**INLINE_DEFINITION, "MonitoringOutputConfig": {}}})),
        ],
        "unverifiable": [t(with_props(JOB, DataQualityJobOutputConfig={"KmsKeyId": PARAM}))],
    },
    "FeatureGroupOnlineStoreKms": {
        "pass": [t(FEATURE_GROUP), t(with_props(FEATURE_GROUP, OnlineStoreConfig={"EnableOnlineStore": False})), t(with_props(FEATURE_GROUP, OnlineStoreConfig=None))],
        "fail": [t(with_props(FEATURE_GROUP, OnlineStoreConfig={"EnableOnlineStore": True}))],
        "unverifiable": [
            t(with_props(FEATURE_GROUP, OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": IMPORT}})),
            t(with_props(FEATURE_GROUP, OnlineStoreConfig={"EnableOnlineStore": PARAM})),
        ],
    },
    "FeatureGroupOfflineStoreKms": {
        "pass": [t(FEATURE_GROUP), t(with_props(FEATURE_GROUP, OfflineStoreConfig=None))],
        "fail": [t(with_props(FEATURE_GROUP, OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://b/f"}}))],
        "unverifiable": [t(with_props(FEATURE_GROUP, OfflineStoreConfig={"S3StorageConfig": {"KmsKeyId": PARAM}}))],
    },
    "PipelineRole": {
        "pass": [t(PIPELINE)],
        "fail": [
            t(with_props(PIPELINE, RoleArn=None)),
            t(with_props(PIPELINE, RoleArn={"Fn::GetAtt": ["Other", "Arn"]}),
              Other=resource("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]}})),
        ],
        "unverifiable": [t(with_props(PIPELINE, RoleArn="arn:aws:iam::111122223333:role/ml")), t(with_props(PIPELINE, RoleArn=PARAM))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_image_account_is_compared_with_the_stack_account_when_known() -> None:
    body = t(with_props(MODEL, PrimaryContainer={"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/m:1"}))
    assert verdict("ModelImageFromAccountEcr", body, account="111122223333") == "pass"
    assert verdict("ModelImageFromAccountEcr", body, account="999999999999") == "fail"


def test_a_profile_inherits_the_domain_sharing_setting() -> None:
    body = t(PROFILE, Domain=sharing("Allowed"))
    assert verdict("StudioNotebookSharing", body) == "pass"
    assert verdict("StudioNotebookSharing", body, target="Domain") == "fail"
