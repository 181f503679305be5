"""The controls `diff` watches: per type, the properties that the rules (and the practices) read,
and which way is worse.

A control is weakened when BASE had the good value and HEAD does not (a literal that is no longer
good, a value now set from a parameter that cannot be verified, or the property removed). The
reverse is a strengthened control. Descriptions, tags and alarm text are not controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_MISSING = object()


@dataclass(frozen=True)
class Control:
    """One property path of one type, and what its good value is."""

    path: tuple[Any, ...]
    kind: str  # "true", "false", "present", "in", "retention"
    label: str
    good_values: frozenset[str] = frozenset()

    def is_good(self, value: Any) -> bool:
        """Whether ``value`` (``_MISSING`` when absent) keeps the control on."""
        if self.kind == "true":
            return value is True or (isinstance(value, str) and value.lower() == "true")
        if self.kind == "false":
            return value is _MISSING or value is False or (isinstance(value, str) and value.lower() == "false")
        if self.kind == "present":
            return value is not _MISSING and value not in ("", None)
        if self.kind == "in":
            return isinstance(value, str) and value in self.good_values
        return True  # "retention": compared by value, see retention_days


def retention_days(value: Any) -> float:
    """Log retention in days; absent is "never expire"."""
    if value is _MISSING:
        return float("inf")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def lookup(properties: Any, path: tuple[Any, ...]) -> Any:
    """The value at ``path`` or ``_MISSING``."""
    value = properties
    for key in path:
        if isinstance(value, dict) and isinstance(key, str) and key in value:
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return _MISSING
    return value


def _c(path: str, kind: str, label: str, *good: str) -> Control:
    steps = tuple(int(step) if step.isdigit() else step for step in path.split("."))
    return Control(steps, kind, label, frozenset(good))


_NETWORK_CONFIG = [
    _c("NetworkConfig.EnableNetworkIsolation", "true", "network isolation"),
    _c("NetworkConfig.EnableInterContainerTrafficEncryption", "true", "inter-container traffic encryption"),
    _c("NetworkConfig.VpcConfig", "present", "VPC configuration"),
    _c("JobResources.ClusterConfig.VolumeKmsKeyId", "present", "volume KMS key"),
]
_SSE = "BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault"

CONTROLS: dict[str, list[Control]] = {
    "AWS::KMS::Key": [_c("EnableKeyRotation", "true", "key rotation")],
    "AWS::S3::Bucket": [
        _c("BucketEncryption", "present", "default encryption"),
        _c(f"{_SSE}.SSEAlgorithm", "in", "KMS encryption", "aws:kms", "aws:kms:dsse"),
        _c(f"{_SSE}.KMSMasterKeyID", "present", "customer-managed KMS key"),
        _c("VersioningConfiguration.Status", "in", "versioning", "Enabled"),
        _c("LoggingConfiguration", "present", "server access logging"),
        _c("ObjectLockEnabled", "true", "object lock"),
        *[
            _c(f"PublicAccessBlockConfiguration.{flag}", "true", f"public access block ({flag})")
            for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        ],
    ],
    "AWS::Logs::LogGroup": [
        _c("KmsKeyId", "present", "KMS encryption"),
        _c("RetentionInDays", "retention", "retention"),
    ],
    "AWS::SNS::Topic": [_c("KmsMasterKeyId", "present", "KMS encryption")],
    "AWS::SQS::Queue": [_c("KmsMasterKeyId", "present", "KMS encryption")],
    "AWS::CloudTrail::Trail": [
        _c("IsLogging", "true", "logging"),
        _c("IsMultiRegionTrail", "true", "multi-Region trail"),
        _c("EnableLogFileValidation", "true", "log file validation"),
        _c("IncludeGlobalServiceEvents", "true", "global service events"),
        _c("KMSKeyId", "present", "KMS encryption"),
        _c("CloudWatchLogsLogGroupArn", "present", "delivery to CloudWatch Logs"),
        _c("EventSelectors", "present", "data event selectors"),
        _c("AdvancedEventSelectors", "present", "advanced (data) event selectors"),
    ],
    "AWS::GuardDuty::Detector": [
        _c("Enable", "true", "detector enabled"),
        _c("DataSources.S3Logs.Enable", "true", "S3 protection"),
    ],
    "AWS::SageMaker::Model": [
        _c("EnableNetworkIsolation", "true", "network isolation"),
        _c("VpcConfig", "present", "VPC configuration"),
    ],
    "AWS::SageMaker::EndpointConfig": [
        _c("KmsKeyId", "present", "storage volume KMS key"),
        _c("DataCaptureConfig", "present", "data capture"),
        _c("DataCaptureConfig.KmsKeyId", "present", "data capture KMS key"),
    ],
    "AWS::SageMaker::NotebookInstance": [
        _c("DirectInternetAccess", "in", "no direct internet access", "Disabled"),
        _c("RootAccess", "in", "no root access", "Disabled"),
        _c("KmsKeyId", "present", "KMS encryption"),
        _c("SubnetId", "present", "VPC subnet"),
    ],
    "AWS::SageMaker::Domain": [
        _c("AppNetworkAccessType", "in", "VPC-only network access", "VpcOnly"),
        _c("KmsKeyId", "present", "KMS encryption"),
    ],
    "AWS::SageMaker::FeatureGroup": [
        _c("OnlineStoreConfig.SecurityConfig.KmsKeyId", "present", "online store KMS key"),
        _c("OfflineStoreConfig.S3StorageConfig.KmsKeyId", "present", "offline store KMS key"),
    ],
    **{
        f"AWS::SageMaker::{name}": _NETWORK_CONFIG
        for name in (
            "DataQualityJobDefinition",
            "ModelQualityJobDefinition",
            "ModelBiasJobDefinition",
            "ModelExplainabilityJobDefinition",
        )
    },
    "AWS::EC2::Volume": [_c("Encrypted", "true", "encryption")],
    "AWS::EC2::Subnet": [_c("MapPublicIpOnLaunch", "false", "no public IP on launch")],
    "AWS::EFS::FileSystem": [_c("Encrypted", "true", "encryption"), _c("KmsKeyId", "present", "KMS key")],
    "AWS::ECR::Repository": [
        _c("ImageScanningConfiguration.ScanOnPush", "true", "scan on push"),
        _c("ImageTagMutability", "in", "immutable tags", "IMMUTABLE"),
        _c("EncryptionConfiguration.EncryptionType", "in", "KMS encryption", "KMS", "KMS_DSSE"),
    ],
    "AWS::DynamoDB::Table": [
        _c("SSESpecification.SSEEnabled", "true", "KMS encryption"),
        _c("PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", "true", "point-in-time recovery"),
    ],
    "AWS::RDS::DBInstance": [
        _c("StorageEncrypted", "true", "storage encryption"),
        _c("PubliclyAccessible", "false", "not publicly accessible"),
        _c("DeletionProtection", "true", "deletion protection"),
    ],
    "AWS::ApiGateway::Stage": [
        _c("AccessLogSetting", "present", "access logging"),
        _c("ClientCertificateId", "present", "client certificate"),
    ],
    "AWS::ApiGateway::Method": [
        _c("AuthorizationType", "in", "authorization", "AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM"),
    ],
    "AWS::WAFv2::WebACL": [_c("VisibilityConfig.CloudWatchMetricsEnabled", "true", "CloudWatch metrics")],
}

#: Types whose removal takes a security control away (stateful types are reported as data loss).
CONTROL_TYPES = frozenset(
    {
        "AWS::AccessAnalyzer::Analyzer",
        "AWS::CloudTrail::Trail",
        "AWS::CloudWatch::Alarm",
        "AWS::Config::ConfigRule",
        "AWS::Config::ConfigurationRecorder",
        "AWS::Config::DeliveryChannel",
        "AWS::EC2::FlowLog",
        "AWS::Events::Rule",
        "AWS::GuardDuty::Detector",
        "AWS::SecurityHub::Hub",
        "AWS::WAFv2::LoggingConfiguration",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation",
    }
)

#: Deletion and replacement policies that keep a stateful resource's data.
KEEPING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})


def weakened(cfn_type: str, before: dict, after: dict) -> list[tuple[bool, str]]:
    """``(worse, message)`` for each control of ``cfn_type`` that changed between the two
    ``Properties`` dicts."""
    changes: list[tuple[bool, str]] = []
    for control in CONTROLS.get(cfn_type, ()):
        old, new = lookup(before, control.path), lookup(after, control.path)
        if old == new:
            continue
        where = ".".join(map(str, control.path))
        if control.kind == "retention":
            old_days, new_days = retention_days(old), retention_days(new)
            if new_days < old_days or (new_days != new_days and old_days == old_days):
                changes.append((True, f"{control.label} shortened: {where} {_show(old)} -> {_show(new)}"))
            elif new_days > old_days:
                changes.append((False, f"{control.label} lengthened: {where} {_show(old)} -> {_show(new)}"))
            continue
        was, now = control.is_good(old), control.is_good(new)
        if was and not now:
            changes.append((True, f"{control.label} off: {where} {_show(old)} -> {_show(new)}"))
        elif now and not was:
            changes.append((False, f"{control.label} on: {where} {_show(old)} -> {_show(new)}"))
    return changes


def _show(value: Any) -> str:
    import json

    if value is _MISSING:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
