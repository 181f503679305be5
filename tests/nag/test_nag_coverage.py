"""Every security setting of every AWS::SageMaker::* type is judged by a rule or listed with the reason it is not.

The resource schemas are the ones cfn-lint ships (the provider schemas of us-east-1). A property
is a security setting when its name is about KMS keys, VPCs or subnets, security groups, network
isolation, inter-container encryption, root access, direct internet access or the app network
access type. A new type or property in a cfn-lint upgrade fails this test until someone decides:
a rule, or a reason in :data:`NOT_CHECKED`.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from secure_sagemaker.nag.rule import all_rules

# Found without importing cfnlint: its package imports sympy and networkx (about 2 s of CPU, paid
# by every xdist worker when it collects this module).
SCHEMAS = Path(importlib.util.find_spec("cfnlint").origin).parent / "data" / "schemas"  # type: ignore[arg-type, union-attr]
SECURITY_SETTING = re.compile(
    r"kms|vpc|subnet|securitygroup|networkisolation|intercontainer|rootaccess|directinternet|appnetworkaccess",
    re.IGNORECASE,
)

_JOBS = {
    "NetworkConfig.EnableNetworkIsolation": "JobNetworkIsolation",
    "NetworkConfig.EnableInterContainerTrafficEncryption": "JobInterContainerEncryption",
    "NetworkConfig.VpcConfig": "JobVpcConfig",
}


def _job_definition(output: str) -> dict[str, str]:
    return {**_JOBS, f"{output}.KmsKeyId": "JobKms", "JobResources.ClusterConfig.VolumeKmsKeyId": "JobKms"}


#: (type, property path or path prefix) -> the rule that judges it.
CHECKED: dict[str, dict[str, str]] = {
    "AWS::SageMaker::Cluster": {
        "VpcConfig": "ClusterVpcConfig",
        "InstanceGroups[].OverrideVpcConfig": "ClusterVpcConfig",
        "RestrictedInstanceGroups[].OverrideVpcConfig": "ClusterVpcConfig",
        "InstanceGroups[].InstanceStorageConfigs[].EbsVolumeConfig.VolumeKmsKeyId": "SageMakerResourceKms",
        "RestrictedInstanceGroups[].InstanceStorageConfigs[].EbsVolumeConfig.VolumeKmsKeyId": "SageMakerResourceKms",
    },
    "AWS::SageMaker::DataQualityJobDefinition": _job_definition("DataQualityJobOutputConfig"),
    "AWS::SageMaker::ModelQualityJobDefinition": _job_definition("ModelQualityJobOutputConfig"),
    "AWS::SageMaker::ModelBiasJobDefinition": _job_definition("ModelBiasJobOutputConfig"),
    "AWS::SageMaker::ModelExplainabilityJobDefinition": _job_definition("ModelExplainabilityJobOutputConfig"),
    "AWS::SageMaker::MonitoringSchedule": {
        f"MonitoringScheduleConfig.MonitoringJobDefinition.{path}": rule for path, rule in _JOBS.items()
    }
    | {
        "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringOutputConfig.KmsKeyId": "JobKms",
        "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringResources.ClusterConfig.VolumeKmsKeyId": "JobKms",
    },
    "AWS::SageMaker::ProcessingJob": {
        **_JOBS,
        "ProcessingOutputConfig.KmsKeyId": "JobKms",
        "ProcessingResources.ClusterConfig.VolumeKmsKeyId": "JobKms",
    },
    "AWS::SageMaker::DeviceFleet": {"OutputConfig.KmsKeyId": "SageMakerResourceKms"},
    "AWS::SageMaker::Domain": {
        "AppNetworkAccessType": "DomainVpcOnly",
        "KmsKeyId": "DomainKms",
        "DefaultUserSettings.SecurityGroups": "DomainSecurityGroups",
        "DefaultUserSettings.SharingSettings.S3KmsKeyId": "StudioNotebookSharing",
        "SubnetIds": "SageMakerSubnetNoInternetRoute",
        "VpcId": "VpcSageMakerEndpoints",
    },
    "AWS::SageMaker::EndpointConfig": {
        "KmsKeyId": "EndpointConfigKms",
        "AsyncInferenceConfig.OutputConfig.KmsKeyId": "EndpointConfigKms",
        "ProductionVariants[].CoreDumpConfig.KmsKeyId": "EndpointConfigKms",
        "ShadowProductionVariants[].CoreDumpConfig.KmsKeyId": "EndpointConfigKms",
        "DataCaptureConfig.KmsKeyId": "EndpointConfigDataCaptureKms",
        "EnableNetworkIsolation": "ModelNetworkIsolation",
        "VpcConfig": "ModelVpcConfig",
    },
    "AWS::SageMaker::FeatureGroup": {
        "OfflineStoreConfig.S3StorageConfig.KmsKeyId": "FeatureGroupOfflineStoreKms",
        "OnlineStoreConfig.SecurityConfig.KmsKeyId": "FeatureGroupOnlineStoreKms",
    },
    "AWS::SageMaker::InferenceExperiment": {
        "KmsKey": "SageMakerResourceKms",
        "DataStorageConfig.KmsKey": "SageMakerResourceKms",
    },
    "AWS::SageMaker::Model": {"EnableNetworkIsolation": "ModelNetworkIsolation", "VpcConfig": "ModelVpcConfig"},
    "AWS::SageMaker::ModelCard": {"SecurityConfig.KmsKeyId": "SageMakerResourceKms"},
    "AWS::SageMaker::ModelPackage": {
        "SecurityConfig.KmsKeyId": "SageMakerResourceKms",
        "ValidationSpecification.ValidationProfiles[].TransformJobDefinition": "SageMakerResourceKms",
    },
    "AWS::SageMaker::NotebookInstance": {
        "DirectInternetAccess": "NotebookNoDirectInternet",
        "KmsKeyId": "NotebookKms",
        "RootAccess": "NotebookNoRootAccess",
        "SecurityGroupIds": "NotebookInSubnet",
        "SubnetId": "NotebookInSubnet",
    },
    "AWS::SageMaker::PartnerApp": {"KmsKeyId": "SageMakerResourceKms"},
    "AWS::SageMaker::UserProfile": {"UserSettings.SharingSettings.S3KmsKeyId": "StudioNotebookSharing"},
    "AWS::SageMaker::Workforce": {"WorkforceVpcConfig": "WorkforcePrivateNetwork"},
}

#: (type, property path or prefix) -> why no rule judges it.
NOT_CHECKED: dict[str, dict[str, str]] = {
    "AWS::SageMaker::Domain": {
        "AppSecurityGroupManagement": "says whether SageMaker creates security groups for RStudio and Canvas apps; both choices keep traffic in "
        "the domain's VPC",
        "DefaultSpaceSettings.SecurityGroups": "spaces add these to the user settings' groups, which DomainSecurityGroups requires",
        "DomainSettings.SecurityGroupIds": "groups of the RStudio server app only, added to the user settings' groups",
        "DomainSettings.DockerSettings.VpcOnlyTrustedAccounts": "an allow list of accounts Docker may pull from in VpcOnly mode; empty (the default) is the strict setting",
        "SecurityGroupIdForDomainBoundary": "a read-only output of the domain",
    },
    "AWS::SageMaker::ProcessingJob": {
        "ProcessingInputs[].DatasetDefinition.AthenaDatasetDefinition.KmsKeyId": "encrypts the Athena query results the job reads as input, in the caller's bucket: the bucket rules judge "
        "that bucket",
        "ProcessingInputs[].DatasetDefinition.RedshiftDatasetDefinition.KmsKeyId": "encrypts the Redshift unload the job reads as input, in the caller's bucket: the bucket rules judge that "
        "bucket",
    },
    "AWS::SageMaker::UserProfile": {
        "UserSettings.SecurityGroups": "added to the domain's default groups, which DomainSecurityGroups requires",
    },
}


def _provider_schemas() -> dict[str, dict]:
    providers = json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text())
    return {
        rtype: json.loads((SCHEMAS / "resources" / f"{digest}.json").read_text())
        for rtype, digest in providers.items()
        if rtype.startswith("AWS::SageMaker::")
    }


def _security_paths(schema: dict) -> Iterator[str]:
    """Every property path of ``schema`` whose name is a security setting (``a.b[].c``)."""

    def walk(node: Any, path: str, seen: frozenset, depth: int) -> Iterator[str]:
        if depth > 12 or not isinstance(node, dict):
            return
        if "$ref" in node:
            ref = node["$ref"]
            if ref not in seen:
                yield from walk(
                    schema.get("definitions", {}).get(ref.rsplit("/", 1)[-1]), path, seen | {ref}, depth + 1
                )
            return
        if "items" in node:
            yield from walk(node["items"], path + "[]", seen, depth + 1)
        for key in ("oneOf", "anyOf", "allOf"):
            for sub in node.get(key, []):
                yield from walk(sub, path, seen, depth + 1)
        for name, sub in node.get("properties", {}).items():
            child = f"{path}.{name}" if path else name
            if SECURITY_SETTING.search(name):
                yield child
            yield from walk(sub, child, seen, depth + 1)

    yield from walk(schema, "", frozenset(), 0)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


SCHEMAS_BY_TYPE = _provider_schemas()


def test_cfn_lint_ships_the_sagemaker_schemas() -> None:
    assert len(SCHEMAS_BY_TYPE) >= 48
    assert {"AWS::SageMaker::Model", "AWS::SageMaker::ProcessingJob", "AWS::SageMaker::Pipeline"} <= set(
        SCHEMAS_BY_TYPE
    )


@pytest.mark.parametrize("rtype", sorted(SCHEMAS_BY_TYPE))
def test_every_security_setting_is_checked_or_explained(rtype: str) -> None:
    checked, explained = CHECKED.get(rtype, {}), NOT_CHECKED.get(rtype, {})
    undecided = [
        path
        for path in sorted(set(_security_paths(SCHEMAS_BY_TYPE[rtype])))
        if not any(_under(path, p) for p in (*checked, *explained))
    ]
    assert not undecided, f"{rtype}: add a rule (CHECKED) or a reason (NOT_CHECKED) for {undecided}"


def test_the_tables_name_real_rules_of_those_types_and_real_properties() -> None:
    rules = {r.id: r for r in all_rules()}
    cross_resource = {
        "SageMakerSubnetNoInternetRoute",
        "VpcSageMakerEndpoints",
    }  # judge the subnet or VPC a domain names
    for rtype, entries in CHECKED.items():
        paths = set(_security_paths(SCHEMAS_BY_TYPE[rtype]))
        for prefix, rule_id in entries.items():
            assert rule_id in rules, (rtype, prefix, rule_id)
            assert rule_id in cross_resource or rtype in rules[rule_id].resource_types, (rtype, rule_id)
            assert any(_under(p, prefix) for p in paths), f"{rtype}.{prefix} is not in the schema any more"
    for rtype, entries in NOT_CHECKED.items():
        paths = set(_security_paths(SCHEMAS_BY_TYPE[rtype]))
        for prefix, reason in entries.items():
            assert reason.strip() and any(_under(p, prefix) for p in paths), (rtype, prefix)


def test_the_issue_types_are_judged_by_a_rule() -> None:
    judged = {t for r in all_rules() for t in r.resource_types}
    for name in (
        "ProcessingJob",
        "Cluster",
        "ModelCard",
        "ModelPackage",
        "InferenceExperiment",
        "InferenceComponent",
        "Pipeline",
        "DeviceFleet",
        "PartnerApp",
        "Workforce",
        "MonitoringSchedule",
        "DataQualityJobDefinition",
        "ModelQualityJobDefinition",
        "ModelBiasJobDefinition",
        "ModelExplainabilityJobDefinition",
    ):
        assert f"AWS::SageMaker::{name}" in judged, name
