"""SageMaker rules (nag/rules/sagemaker.py) on template fragments: compliant, non-compliant and unverifiable cases."""

from __future__ import annotations

import json

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
    covered_rules,
    junk_variants,
    one_case_per_rule,
    resource,
    rules_of,
    run_all_rules_raw,
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
        "JobResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 20,
                "VolumeKmsKeyId": KEY_ARN,
            }
        },
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
VPC_CONFIG = {"Subnets": [{"Ref": "Subnet"}], "SecurityGroupIds": [{"Ref": "Sg"}]}
PROCESSING = resource(
    "AWS::SageMaker::ProcessingJob",
    {
        "RoleArn": ROLE_ARN,
        "NetworkConfig": {**NETWORK, "VpcConfig": VPC_CONFIG},
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 20,
                "VolumeKmsKeyId": KEY_ARN,
            }
        },
        "ProcessingOutputConfig": {"KmsKeyId": KEY_REF, "Outputs": []},
    },
)
JOB_WITH_VPC = with_props(JOB, NetworkConfig={**NETWORK, "VpcConfig": VPC_CONFIG})
SCHEDULE_WITH_VPC = with_props(
    SCHEDULE,
    MonitoringScheduleConfig={
        "MonitoringJobDefinition": {**INLINE_DEFINITION, "NetworkConfig": {**NETWORK, "VpcConfig": VPC_CONFIG}}
    },
)
#: Pipeline step arguments as CreateTrainingJob / CreateProcessingJob / CreateTransformJob take them,
#: with ${Key.Arn}, ${Subnet} and ${Sg} substituted by Fn::Sub.
TRAINING_ARGS = {
    "AlgorithmSpecification": {"TrainingImage": "x", "TrainingInputMode": "File"},
    "EnableNetworkIsolation": True,
    "EnableInterContainerTrafficEncryption": True,
    "VpcConfig": {"Subnets": ["${Subnet}"], "SecurityGroupIds": ["${Sg.GroupId}"]},
    "ResourceConfig": {
        "InstanceCount": 2,
        "InstanceType": "ml.m5.xlarge",
        "VolumeSizeInGB": 30,
        "VolumeKmsKeyId": "${Key.Arn}",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://b/out", "KmsKeyId": "${Key.Arn}"},
}
PROCESSING_ARGS = {
    "NetworkConfig": {**NETWORK, "VpcConfig": {"Subnets": ["${Subnet}"], "SecurityGroupIds": ["${Sg.GroupId}"]}},
    "ProcessingResources": {
        "ClusterConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": "${Key.Arn}",
        }
    },
    "ProcessingOutputConfig": {"Outputs": [], "KmsKeyId": "${Key.Arn}"},
}
TRANSFORM_ARGS = {
    "ModelName": "m",
    "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeKmsKeyId": "${Key.Arn}"},
    "TransformOutput": {"S3OutputPath": "s3://b/t", "KmsKeyId": "${Key.Arn}"},
}


def step(name: str, kind: str, arguments: dict, **changes) -> dict:
    """A pipeline step; ``changes`` replace top-level arguments (``None`` removes one)."""
    args = {k: v for k, v in {**arguments, **changes}.items() if v is not None}
    return {"Name": name, "Type": kind, "Arguments": args}


def pipeline(*steps: dict, wrap: str = "sub") -> dict:
    """A pipeline whose PipelineDefinitionBody holds ``steps`` (in Fn::Sub, Fn::Join or as a plain string)."""
    text = json.dumps({"Version": "2020-12-01", "Steps": list(steps)})
    if wrap == "sub":
        body = {"Fn::Sub": text}
    elif wrap == "join":
        head, _, tail = text.partition("${Key.Arn}")
        body = {"Fn::Join": ["", [head, {"Fn::GetAtt": ["Key", "Arn"]}, tail]]} if tail else text
    else:
        body = text
    return with_props(PIPELINE, PipelineDefinition={"PipelineDefinitionBody": body})


SECURE_PIPELINE = pipeline(
    step("Prep", "Processing", PROCESSING_ARGS),
    step("Train", "Training", TRAINING_ARGS),
    step("Batch", "Transform", TRANSFORM_ARGS),
    step("Tune", "Tuning", {"HyperParameterTuningJobConfig": {}, "TrainingJobDefinition": TRAINING_ARGS}),
)
GPU_TRAINING = {
    **TRAINING_ARGS,
    "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.p4d.24xlarge", "VolumeSizeInGB": 30},
}
CLUSTER = resource(
    "AWS::SageMaker::Cluster",
    {
        "VpcConfig": VPC_CONFIG,
        "InstanceGroups": [
            {
                "InstanceGroupName": "workers",
                "InstanceType": "ml.p5.48xlarge",
                "InstanceCount": 1,
                "ExecutionRole": ROLE_ARN,
                "InstanceStorageConfigs": [{"EbsVolumeConfig": {"VolumeSizeInGB": 100, "VolumeKmsKeyId": KEY_ARN}}],
            }
        ],
    },
)
MODEL_CARD = resource(
    "AWS::SageMaker::ModelCard",
    {"ModelCardName": "c", "ModelCardStatus": "Draft", "Content": {}, "SecurityConfig": {"KmsKeyId": KEY_ARN}},
)
MODEL_PACKAGE = resource("AWS::SageMaker::ModelPackage", {"ModelPackageGroupName": "g"})
EXPERIMENT = resource(
    "AWS::SageMaker::InferenceExperiment",
    {
        "Name": "e",
        "Type": "ShadowMode",
        "EndpointName": "ep",
        "KmsKey": KEY_ARN,
        "DataStorageConfig": {"Destination": "s3://b/e", "KmsKey": KEY_REF},
    },
)
FLEET = resource(
    "AWS::SageMaker::DeviceFleet",
    {
        "DeviceFleetName": "f",
        "RoleArn": ROLE_ARN,
        "OutputConfig": {"S3OutputLocation": "s3://b/f", "KmsKeyId": KEY_ARN},
    },
)
PARTNER_APP = resource(
    "AWS::SageMaker::PartnerApp",
    {
        "Name": "a",
        "Type": "comet",
        "Tier": "small",
        "AuthType": "IAM",
        "ExecutionRoleArn": ROLE_ARN,
        "KmsKeyId": KEY_ARN,
    },
)
WORKFORCE = resource(
    "AWS::SageMaker::Workforce", {"WorkforceName": "w", "WorkforceVpcConfig": {"VpcId": "vpc-1", **VPC_CONFIG}}
)
INFERENCE_COMPONENT = resource(
    "AWS::SageMaker::InferenceComponent",
    {
        "EndpointName": "ep",
        "Specification": {
            "Container": {"Image": ECR_IMAGE},
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
        },
    },
)
IC_ENDPOINT_CONFIG = with_props(
    ENDPOINT_CONFIG, ExecutionRoleArn=ROLE_ARN, EnableNetworkIsolation=True, VpcConfig=VPC_CONFIG
)


def t(target: dict, **others: dict) -> dict:
    return template(target, Role=ROLE, **others)


def sharing(option: str, key=None) -> dict:
    settings = {"NotebookOutputOption": option, "S3OutputPath": "s3://b/shared"}
    if key is not None:
        settings["S3KmsKeyId"] = key
    return with_props(DOMAIN, DefaultUserSettings={**USER_SETTINGS, "SharingSettings": settings})


CASES = {
    "ModelNetworkIsolation": {
        "pass": [
            t(MODEL),
            t(with_props(MODEL, EnableNetworkIsolation="true")),
            t(ENDPOINT_CONFIG),
            t(IC_ENDPOINT_CONFIG),
        ],
        "fail": [
            t(with_props(MODEL, EnableNetworkIsolation=None)),
            t(with_props(MODEL, EnableNetworkIsolation=False)),
            t(with_props(IC_ENDPOINT_CONFIG, EnableNetworkIsolation=None)),
        ],
        "unverifiable": [t(with_props(MODEL, EnableNetworkIsolation=PARAM))],
    },
    "ModelVpcConfig": {
        "pass": [
            t(MODEL),
            t(with_props(MODEL, VpcConfig={"Subnets": PARAM, "SecurityGroupIds": [IMPORT]})),
            t(IC_ENDPOINT_CONFIG),
        ],
        "fail": [
            t(with_props(MODEL, VpcConfig=None)),
            t(with_props(MODEL, VpcConfig={"Subnets": [], "SecurityGroupIds": ["sg-1"]})),
            t(with_props(IC_ENDPOINT_CONFIG, VpcConfig=None)),
        ],
        "unverifiable": [t(with_props(MODEL, VpcConfig=IMPORT))],
    },
    "ModelImageFromAccountEcr": {
        "pass": [
            t(MODEL),
            t(
                with_props(
                    MODEL,
                    PrimaryContainer={"Image": {"Fn::Join": ["", [{"Fn::GetAtt": ["Repo", "RepositoryUri"]}, ":1"]]}},
                ),
                Repo=resource("AWS::ECR::Repository", {}),
            ),
            t(
                with_props(
                    MODEL, PrimaryContainer={"ModelPackageName": "arn:aws:sagemaker:eu-west-1:1:model-package/x"}
                )
            ),
            t(INFERENCE_COMPONENT),
            t(with_props(INFERENCE_COMPONENT, Specification={"ModelName": "m"})),
        ],
        "fail": [
            t(with_props(MODEL, PrimaryContainer={"Image": "docker.io/library/python:3"})),
            t(with_props(MODEL, PrimaryContainer=None, Containers=[{"Image": ECR_IMAGE}, {"Image": "ghcr.io/x/y:1"}])),
            t(with_props(INFERENCE_COMPONENT, Specification={"Container": {"Image": "docker.io/library/python:3"}})),
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
            t(
                with_props(ENDPOINT_CONFIG, KmsKeyId={"Ref": "Alias"}),
                Alias=resource("AWS::KMS::Alias", {"AliasName": "alias/x", "TargetKeyId": KEY_REF}),
            ),
            # instance storage: the hardware encrypts the volume and SageMaker rejects a key
            t(
                with_props(
                    ENDPOINT_CONFIG, KmsKeyId=None, ProductionVariants=[{**VARIANT, "InstanceType": "ml.g5.2xlarge"}]
                )
            ),
            t(
                with_props(
                    ENDPOINT_CONFIG,
                    KmsKeyId=None,
                    ProductionVariants=[
                        {**VARIANT, "InstanceType": "ml.p4d.24xlarge"},
                        {**VARIANT, "VariantName": "b", "InstanceType": "ml.m5d.large"},
                    ],
                )
            ),
        ],
        "fail": [
            t(with_props(ENDPOINT_CONFIG, KmsKeyId=None)),
            t(with_props(ENDPOINT_CONFIG, KmsKeyId="alias/aws/sagemaker")),
            t(with_props(ENDPOINT_CONFIG, AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": "s3://b/o"}})),
            t(
                with_props(
                    ENDPOINT_CONFIG,
                    KmsKeyId=None,
                    ProductionVariants=[VARIANT, {**VARIANT, "VariantName": "gpu", "InstanceType": "ml.g5.xlarge"}],
                )
            ),
            t(
                with_props(
                    ENDPOINT_CONFIG,
                    ProductionVariants=[{**VARIANT, "CoreDumpConfig": {"DestinationS3Uri": "s3://b/dumps"}}],
                )
            ),
        ],
        "unverifiable": [
            t(with_props(ENDPOINT_CONFIG, KmsKeyId=PARAM)),
            t(
                with_props(
                    ENDPOINT_CONFIG,
                    KmsKeyId=None,
                    ProductionVariants=[
                        {**VARIANT, "InstanceType": "ml.g5.xlarge"},
                        {**VARIANT, "VariantName": "b", "InstanceType": PARAM},
                    ],
                )
            ),
            t(with_props(ENDPOINT_CONFIG, KmsKeyId="arn:aws:kms:eu-west-1:111122223333:key/abcd")),
        ],
    },
    "EndpointConfigDataCapture": {
        "pass": [
            t(ENDPOINT_CONFIG),
            t(with_props(ENDPOINT_CONFIG, DataCaptureConfig=None, ProductionVariants=[SERVERLESS])),
        ],
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
            t(
                with_props(
                    ENDPOINT_CONFIG,
                    ProductionVariants=[VARIANT, {**VARIANT, "VariantName": "b", "InitialInstanceCount": "1"}],
                )
            ),
        ],
        "unverifiable": [
            t(with_props(ENDPOINT_CONFIG, ProductionVariants=[{**VARIANT, "InitialInstanceCount": PARAM}]))
        ],
    },
    "NotebookNoDirectInternet": {
        "pass": [t(NOTEBOOK)],
        "fail": [
            t(with_props(NOTEBOOK, DirectInternetAccess=None)),
            t(with_props(NOTEBOOK, DirectInternetAccess="Enabled")),
        ],
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
            t(
                with_props(
                    NOTEBOOK, InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "1"}
                )
            ),
        ],
        "unverifiable": [
            t(
                with_props(
                    NOTEBOOK, InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": PARAM}
                )
            )
        ],
    },
    "DomainVpcOnly": {
        "pass": [t(DOMAIN)],
        "fail": [
            t(with_props(DOMAIN, AppNetworkAccessType=None)),
            t(with_props(DOMAIN, AppNetworkAccessType="PublicInternetOnly")),
        ],
        "unverifiable": [t(with_props(DOMAIN, AppNetworkAccessType=PARAM))],
    },
    "DomainKms": {
        "pass": [t(DOMAIN)],
        "fail": [
            t(with_props(DOMAIN, KmsKeyId=None)),
            t(with_props(DOMAIN, KmsKeyId="arn:aws:kms:eu-west-1:1:alias/aws/elasticfilesystem")),
        ],
        "unverifiable": [t(with_props(DOMAIN, KmsKeyId=PARAM))],
    },
    "DomainSecurityGroups": {
        "pass": [t(DOMAIN), t(with_props(DOMAIN, DefaultUserSettings={**USER_SETTINGS, "SecurityGroups": PARAM}))],
        "fail": [
            t(with_props(DOMAIN, DefaultUserSettings={"ExecutionRole": ROLE_ARN})),
            t(with_props(DOMAIN, DefaultUserSettings=None)),
        ],
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
            t(
                with_props(
                    PROFILE,
                    UserSettings={"SharingSettings": {"NotebookOutputOption": "Allowed", "S3KmsKeyId": AWS_S3_KEY}},
                )
            ),
        ],
        "unverifiable": [t(sharing(PARAM)), t(sharing("Allowed", PARAM))],
    },
    "StudioRootAccess": {
        "pass": [
            t(DOMAIN),
            t(
                with_props(
                    DOMAIN,
                    DomainSettings={"DockerSettings": {"EnableDockerAccess": "ENABLED", "RootlessDocker": "ENABLED"}},
                )
            ),
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
        "pass": [
            t(JOB),
            t(SCHEDULE),
            t(with_props(SCHEDULE, MonitoringScheduleConfig={"MonitoringJobDefinitionName": "j"})),
            t(PROCESSING),
            t(SECURE_PIPELINE),
            t(pipeline(step("Train", "Training", TRAINING_ARGS), wrap="plain")),
            t(PIPELINE),  # no definition body: nothing to read
        ],
        "fail": [
            t(with_props(JOB, NetworkConfig=None)),
            t(
                with_props(
                    SCHEDULE,
                    MonitoringScheduleConfig={
                        "MonitoringJobDefinition": {
                            **INLINE_DEFINITION,
                            "NetworkConfig": {"EnableNetworkIsolation": False},
                        }
                    },
                )
            ),
            t(with_props(PROCESSING, NetworkConfig={"EnableInterContainerTrafficEncryption": True})),
            t(pipeline(step("Train", "Training", TRAINING_ARGS, EnableNetworkIsolation=None))),
            t(
                pipeline(
                    step(
                        "Check",
                        "Condition",
                        {
                            "Conditions": [],
                            "IfSteps": [step("Deep", "Processing", PROCESSING_ARGS, NetworkConfig={})],
                            "ElseSteps": [],
                        },
                    )
                )
            ),
        ],
        "unverifiable": [
            t(with_props(JOB, NetworkConfig={"EnableNetworkIsolation": PARAM})),
            t(with_props(JOB, NetworkConfig=IMPORT)),
            t(
                with_props(
                    PIPELINE, PipelineDefinition={"PipelineDefinitionS3Location": {"Bucket": "b", "Key": "p.json"}}
                )
            ),
            t(pipeline(step("Train", "Training", TRAINING_ARGS, EnableNetworkIsolation={"Get": "Parameters.Isolate"}))),
            t(with_props(PIPELINE, PipelineDefinition={"PipelineDefinitionBody": "{not json"})),
        ],
    },
    "JobInterContainerEncryption": {
        "pass": [t(JOB), t(SCHEDULE), t(PROCESSING), t(SECURE_PIPELINE)],
        "fail": [
            t(with_props(JOB, NetworkConfig={"EnableNetworkIsolation": True})),
            t(
                pipeline(
                    step(
                        "Tune",
                        "Tuning",
                        {
                            "TrainingJobDefinitions": [
                                TRAINING_ARGS,
                                {**TRAINING_ARGS, "EnableInterContainerTrafficEncryption": False},
                            ]
                        },
                    )
                )
            ),
            t(
                with_props(
                    resource("AWS::SageMaker::ModelBiasJobDefinition", JOB["Properties"]),
                    NetworkConfig={"EnableInterContainerTrafficEncryption": "false"},
                )
            ),
        ],
        "unverifiable": [t(with_props(JOB, NetworkConfig={"EnableInterContainerTrafficEncryption": IMPORT}))],
    },
    "JobVpcConfig": {
        "pass": [
            t(JOB_WITH_VPC),
            t(SCHEDULE_WITH_VPC),
            t(PROCESSING),
            t(SECURE_PIPELINE),
            t(with_props(SCHEDULE, MonitoringScheduleConfig={"MonitoringJobDefinitionName": "j"})),
            t(pipeline(step("Batch", "Transform", TRANSFORM_ARGS))),  # a transform takes its model's VPC
        ],
        "fail": [
            t(JOB),
            t(SCHEDULE),
            t(with_props(PROCESSING, NetworkConfig={**NETWORK, "VpcConfig": {"Subnets": ["subnet-1"]}})),
            t(pipeline(step("Train", "Training", TRAINING_ARGS, VpcConfig=None))),
        ],
        "unverifiable": [
            t(with_props(PROCESSING, NetworkConfig={**NETWORK, "VpcConfig": PARAM})),
            t(pipeline(step("Train", "Training", TRAINING_ARGS, VpcConfig="${Param}"))),
        ],
    },
    "JobKms": {
        "pass": [
            t(JOB),
            t(SCHEDULE),
            t(PROCESSING),
            t(SECURE_PIPELINE),
            t(pipeline(step("Train", "Training", TRAINING_ARGS), wrap="join")),
            # instance storage: no volume key, the output key still counts
            t(pipeline(step("Train", "Training", GPU_TRAINING))),
            t(
                with_props(
                    PROCESSING,
                    ProcessingResources={
                        "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.g5.xlarge", "VolumeSizeInGB": 20}
                    },
                )
            ),
        ],
        "fail": [
            t(with_props(PROCESSING, ProcessingOutputConfig={"Outputs": []})),
            t(
                pipeline(
                    step(
                        "Train",
                        "Training",
                        TRAINING_ARGS,
                        OutputDataConfig={"S3OutputPath": "s3://b/o", "KmsKeyId": "alias/aws/sagemaker"},
                    )
                )
            ),
            t(
                pipeline(
                    step(
                        "Batch",
                        "Transform",
                        TRANSFORM_ARGS,
                        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
                    )
                )
            ),
            t(pipeline(step("Train", "Training", {**GPU_TRAINING, "OutputDataConfig": {"S3OutputPath": "s3://b/o"}}))),
            t(with_props(JOB, JobResources={"ClusterConfig": {"InstanceCount": 1}})),
            t(with_props(JOB, DataQualityJobOutputConfig={"KmsKeyId": AWS_S3_KEY})),
            t(
                with_props(
                    SCHEDULE,
                    MonitoringScheduleConfig={
                        "MonitoringJobDefinition": {**INLINE_DEFINITION, "MonitoringOutputConfig": {}}
                    },
                )
            ),
        ],
        "unverifiable": [
            t(with_props(JOB, DataQualityJobOutputConfig={"KmsKeyId": PARAM})),
            t(
                pipeline(
                    step(
                        "Train",
                        "Training",
                        TRAINING_ARGS,
                        OutputDataConfig={"S3OutputPath": "s3://b/o", "KmsKeyId": "${Param}"},
                    )
                )
            ),
        ],
    },
    "FeatureGroupOnlineStoreKms": {
        "pass": [
            t(FEATURE_GROUP),
            t(with_props(FEATURE_GROUP, OnlineStoreConfig={"EnableOnlineStore": False})),
            t(with_props(FEATURE_GROUP, OnlineStoreConfig=None)),
        ],
        "fail": [t(with_props(FEATURE_GROUP, OnlineStoreConfig={"EnableOnlineStore": True}))],
        "unverifiable": [
            t(
                with_props(
                    FEATURE_GROUP, OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": IMPORT}}
                )
            ),
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
            t(
                with_props(PIPELINE, RoleArn={"Fn::GetAtt": ["Other", "Arn"]}),
                Other=resource(
                    "AWS::IAM::Role",
                    {
                        "AssumeRolePolicyDocument": {
                            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]
                        }
                    },
                ),
            ),
        ],
        "unverifiable": [
            t(with_props(PIPELINE, RoleArn="arn:aws:iam::111122223333:role/ml")),
            t(with_props(PIPELINE, RoleArn=PARAM)),
        ],
    },
    "ClusterVpcConfig": {
        "pass": [
            t(CLUSTER),
            t(
                with_props(
                    CLUSTER,
                    VpcConfig=None,
                    InstanceGroups=[{**CLUSTER["Properties"]["InstanceGroups"][0], "OverrideVpcConfig": VPC_CONFIG}],
                )
            ),
        ],
        "fail": [
            t(with_props(CLUSTER, VpcConfig=None)),
            t(
                with_props(
                    CLUSTER,
                    InstanceGroups=[
                        {**CLUSTER["Properties"]["InstanceGroups"][0], "OverrideVpcConfig": {"Subnets": ["subnet-1"]}}
                    ],
                )
            ),
        ],
        "unverifiable": [t(with_props(CLUSTER, VpcConfig=IMPORT))],
    },
    "SageMakerResourceKms": {
        "pass": [
            t(MODEL_CARD),
            t(MODEL_PACKAGE),
            t(EXPERIMENT),
            t(with_props(EXPERIMENT, DataStorageConfig=None)),
            t(FLEET),
            t(PARTNER_APP),
            t(CLUSTER),
            t(
                with_props(
                    CLUSTER,
                    InstanceGroups=[{"InstanceGroupName": "w", "InstanceType": "ml.m5.large", "InstanceCount": 1}],
                )
            ),
            # a validation transform on instance storage takes no volume key; its output key is set
            t(
                with_props(
                    MODEL_PACKAGE,
                    ValidationSpecification={
                        "ValidationRole": "r",
                        "ValidationProfiles": [
                            {
                                "ProfileName": "p",
                                "TransformJobDefinition": {
                                    "TransformResources": {"InstanceType": "ml.g5.xlarge"},
                                    "TransformOutput": {"S3OutputPath": "s3://b/v", "KmsKeyId": KEY_ARN},
                                },
                            }
                        ],
                    },
                )
            ),
        ],
        "fail": [
            t(with_props(MODEL_CARD, SecurityConfig=None)),
            t(with_props(MODEL_PACKAGE, ModelCard={"ModelCardStatus": "Draft", "ModelCardContent": "{}"})),
            t(with_props(EXPERIMENT, KmsKey=None)),
            t(with_props(EXPERIMENT, DataStorageConfig={"Destination": "s3://b/e"})),
            t(with_props(FLEET, OutputConfig={"S3OutputLocation": "s3://b/f", "KmsKeyId": "alias/aws/s3"})),
            t(with_props(PARTNER_APP, KmsKeyId=None)),
            t(
                with_props(
                    CLUSTER,
                    InstanceGroups=[
                        {
                            "InstanceGroupName": "w",
                            "InstanceType": "ml.m5.large",
                            "InstanceCount": 1,
                            "InstanceStorageConfigs": [{"EbsVolumeConfig": {"VolumeSizeInGB": 100}}],
                        }
                    ],
                )
            ),
            t(
                with_props(
                    MODEL_PACKAGE,
                    ValidationSpecification={
                        "ValidationRole": "r",
                        "ValidationProfiles": [
                            {
                                "ProfileName": "p",
                                "TransformJobDefinition": {
                                    "TransformResources": {"InstanceType": "ml.m5.large"},
                                    "TransformOutput": {"S3OutputPath": "s3://b/v"},
                                },
                            }
                        ],
                    },
                )
            ),
        ],
        "unverifiable": [t(with_props(PARTNER_APP, KmsKeyId=PARAM))],
    },
    "WorkforcePrivateNetwork": {
        "pass": [
            t(WORKFORCE),
            t(with_props(WORKFORCE, WorkforceVpcConfig=None, SourceIpConfig={"Cidrs": ["203.0.113.0/24"]})),
        ],
        "fail": [
            t(with_props(WORKFORCE, WorkforceVpcConfig=None)),
            t(with_props(WORKFORCE, WorkforceVpcConfig=None, SourceIpConfig={"Cidrs": ["0.0.0.0/0"]})),
            t(with_props(WORKFORCE, WorkforceVpcConfig={"VpcId": "vpc-1", "Subnets": ["subnet-1"]})),
        ],
        "unverifiable": [t(with_props(WORKFORCE, WorkforceVpcConfig=None, SourceIpConfig={"Cidrs": PARAM}))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("sagemaker")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)


def test_image_account_is_compared_with_the_stack_account_when_known() -> None:
    body = t(with_props(MODEL, PrimaryContainer={"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/m:1"}))
    assert verdict("ModelImageFromAccountEcr", body, account="111122223333") == "pass"
    assert verdict("ModelImageFromAccountEcr", body, account="999999999999") == "fail"


def test_a_profile_inherits_the_domain_sharing_setting() -> None:
    body = t(PROFILE, Domain=sharing("Allowed"))
    assert verdict("StudioNotebookSharing", body) == "pass"
    assert verdict("StudioNotebookSharing", body, target="Domain") == "fail"
