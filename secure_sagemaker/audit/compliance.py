"""AWS Config managed rules as the periodic audit of what the baseline sets up."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from secure_sagemaker._validation import PropError, describe, fail, require_type
from secure_sagemaker.acknowledgments import acknowledge, acknowledge_wildcard_resources
from secure_sagemaker.audit._common import (
    ACCOUNT,
    arn,
    audit_key,
    require_keyring,
    require_one_key_source,
)
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.storage import SecureBucket

_DOCS = "https://docs.aws.amazon.com/config/latest/developerguide/"
#: Where each identifier was checked: the rule's page in the AWS Config Developer Guide
#: (github.com/awsdocs/aws-config-developer-guide, doc_source/<rule>.md, "Identifier:"), or the
#: AWS-published conformance pack awslabs/aws-config-rules
#: aws-config-conformance-packs/Operational-Best-Practices-for-AI-and-ML.yaml ("SourceIdentifier:").
_GUIDE, _PACK = "awsdocs/aws-config-developer-guide", "awslabs/aws-config-rules AI-and-ML conformance pack"


@dataclass(frozen=True)
class ManagedRuleInfo:
    """One AWS Config managed rule: its identifier, what it checks, and where it was verified."""

    identifier: str
    name: str
    checks: str
    verified_in: str

    @property
    def url(self) -> str:
        """The rule's page in the AWS Config Developer Guide."""
        return f"{_DOCS}{self.name}.html"


def _rule(identifier: str, checks: str, verified_in: str = _GUIDE, *, name: str | None = None) -> ManagedRuleInfo:
    return ManagedRuleInfo(identifier, name or identifier.lower().replace("_", "-"), checks, verified_in)


#: Every managed rule this construct can deploy, by identifier. Each identifier was looked up, not
#: recalled; note the page name of MULTI_REGION_CLOUD_TRAIL_ENABLED is multi-region-cloudtrail-enabled.
MANAGED_RULES: Mapping[str, ManagedRuleInfo] = MappingProxyType(
    {
        r.identifier: r
        for r in (
            # SageMaker (practices P1, P4, P6, P8, P18)
            _rule(
                "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS",
                "notebook instances have direct internet access disabled",
                _PACK,
            ),
            _rule("SAGEMAKER_NOTEBOOK_INSTANCE_KMS_KEY_CONFIGURED", "notebook instance volumes use a KMS key", _PACK),
            _rule(
                "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC",
                "notebook instances run in a VPC",
                "AWS Config Developer Guide (docs.aws.amazon.com)",
            ),
            _rule("SAGEMAKER_NOTEBOOK_INSTANCE_ROOT_ACCESS_CHECK", "notebook instances have root access disabled"),
            _rule(
                "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED", "endpoint configurations use a KMS key", _PACK
            ),
            _rule(
                "SAGEMAKER_ENDPOINT_CONFIG_PROD_INSTANCE_COUNT",
                "endpoint production variants run more than one instance",
                "AWS Config Developer Guide (docs.aws.amazon.com)",
            ),
            _rule(
                "SAGEMAKER_MODEL_ISOLATION_ENABLED",
                "models have network isolation enabled",
                "AWS Config Developer Guide (docs.aws.amazon.com)",
            ),
            _rule(
                "SAGEMAKER_MODEL_IN_VPC",
                "models run their containers in a VPC",
                "AWS Config Developer Guide (docs.aws.amazon.com)",
            ),
            # KMS (P3, P4, P5)
            _rule("CMK_BACKING_KEY_ROTATION_ENABLED", "customer-managed keys rotate"),
            _rule("KMS_CMK_NOT_SCHEDULED_FOR_DELETION", "no customer-managed key is scheduled for deletion"),
            # S3 (P1, P2)
            _rule("S3_BUCKET_SSL_REQUESTS_ONLY", "bucket policies deny requests without TLS", _PACK),
            _rule("S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "buckets have default encryption", _PACK),
            _rule(
                "S3_DEFAULT_ENCRYPTION_KMS",
                "buckets encrypt with KMS by default (server access log buckets cannot: SSE-S3)",
            ),
            _rule("S3_BUCKET_VERSIONING_ENABLED", "buckets are versioned", _PACK),
            _rule("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "buckets block public access"),
            _rule("S3_BUCKET_LOGGING_ENABLED", "buckets log server access (log target buckets cannot)", _PACK),
            _rule("S3_BUCKET_PUBLIC_READ_PROHIBITED", "buckets do not allow public reads", _PACK),
            _rule("S3_BUCKET_PUBLIC_WRITE_PROHIBITED", "buckets do not allow public writes", _PACK),
            _rule("S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS", "the account blocks public access to S3", _PACK),
            # CloudTrail (P12)
            _rule(
                "MULTI_REGION_CLOUD_TRAIL_ENABLED",
                "a multi-Region trail records the account",
                name="multi-region-cloudtrail-enabled",
            ),
            _rule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "trails sign digests of their log files"),
            _rule("CLOUD_TRAIL_ENCRYPTION_ENABLED", "trails encrypt log files with KMS"),
            _rule("CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", "trails deliver to CloudWatch Logs"),
            _rule("CLOUDTRAIL_S3_DATAEVENTS_ENABLED", "a trail records S3 data events (pass S3BucketNames)"),
            # GuardDuty (P13)
            _rule("GUARDDUTY_ENABLED_CENTRALIZED", "GuardDuty is enabled in the account and Region"),
            # Network and logs (P7, P8, P11)
            _rule("VPC_FLOW_LOGS_ENABLED", "VPCs have flow logs"),
            _rule("VPC_DEFAULT_SECURITY_GROUP_CLOSED", "default security groups allow no traffic"),
            _rule("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "log groups are encrypted with KMS"),
            _rule(
                "SNS_ENCRYPTED_KMS",
                "SNS topics are encrypted with KMS",
                "AWS Config Developer Guide (docs.aws.amazon.com)",
            ),
            # Account (C7)
            _rule("IAM_ROOT_ACCESS_KEY_CHECK", "the root user has no access keys"),
            _rule("ROOT_ACCOUNT_MFA_ENABLED", "the root user signs in with MFA"),
        )
    }
)

#: What ComplianceRules deploys unless told otherwise. Left out of the default (deploy them with
#: ``additional_rules``): S3_BUCKET_LOGGING_ENABLED (server access log buckets must not log
#: themselves), S3_BUCKET_PUBLIC_READ/WRITE_PROHIBITED (covered by the bucket-level rule),
#: S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS (an account setting this baseline does not own) and
#: CLOUDTRAIL_S3_DATAEVENTS_ENABLED (needs the bucket names in ``rule_parameters``).
DEFAULT_RULES: tuple[str, ...] = (
    "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS",
    "SAGEMAKER_NOTEBOOK_INSTANCE_KMS_KEY_CONFIGURED",
    "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC",
    "SAGEMAKER_NOTEBOOK_INSTANCE_ROOT_ACCESS_CHECK",
    "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED",
    "SAGEMAKER_ENDPOINT_CONFIG_PROD_INSTANCE_COUNT",
    "SAGEMAKER_MODEL_ISOLATION_ENABLED",
    "SAGEMAKER_MODEL_IN_VPC",
    "CMK_BACKING_KEY_ROTATION_ENABLED",
    "KMS_CMK_NOT_SCHEDULED_FOR_DELETION",
    "S3_BUCKET_SSL_REQUESTS_ONLY",
    "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    "S3_DEFAULT_ENCRYPTION_KMS",
    "S3_BUCKET_VERSIONING_ENABLED",
    "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
    "MULTI_REGION_CLOUD_TRAIL_ENABLED",
    "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "CLOUD_TRAIL_ENCRYPTION_ENABLED",
    "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",
    "GUARDDUTY_ENABLED_CENTRALIZED",
    "VPC_FLOW_LOGS_ENABLED",
    "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
    "SNS_ENCRYPTED_KMS",
    "IAM_ROOT_ACCESS_KEY_CHECK",
    "ROOT_ACCOUNT_MFA_ENABLED",
)


def _construct_id(identifier: str) -> str:
    return "".join(part.capitalize() for part in identifier.split("_"))


def _identifiers(me: str, prop: str, value: Any) -> list[str]:
    fix = "pass identifiers from secure_sagemaker.audit.MANAGED_RULES, such as ['S3_BUCKET_LOGGING_ENABLED']"
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise fail(me, prop, value, "is not a list of rule identifiers", fix)
    for identifier in value:
        if identifier not in MANAGED_RULES:
            close = [
                k for k in MANAGED_RULES if isinstance(identifier, str) and identifier.upper().replace("-", "_") == k
            ]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(
                me, prop, identifier, f"is not an AWS Config managed rule identifier this construct knows{hint}", fix
            )
    return list(value)


class ComplianceRules(Construct):
    """AWS Config managed rules that audit, periodically and on change, what the baseline enforces.

    Deploys :data:`DEFAULT_RULES` (minus ``exclude_rules``, plus ``additional_rules``), each an
    ``AWS::Config::ConfigRule`` owned by AWS with the identifier from :data:`MANAGED_RULES`.
    Change-triggered rules evaluate on every recorded change; periodic rules every 24 hours.

    Config rules need a configuration recorder in the account and Region, and only one may exist.
    ``create_recorder`` defaults to ``False`` because accounts in an AWS Organization usually have
    one already (AWS Control Tower and organization-wide Config set it up) and creating a second
    fails the deployment; stand-alone accounts pass ``create_recorder=True``. Either way a missing
    recorder fails at deployment with "NoAvailableConfigurationRecorder", not silently.

    With ``create_recorder=True`` the construct adds the recorder (all supported resource types,
    global ones such as IAM included when ``record_global_resources``), a delivery channel to a
    :class:`SecureBucket` (SSE-KMS with the ring's ``audit`` key or ``encryption_key``, snapshots
    every 24 hours), and the role Config uses: trusted by ``config.amazonaws.com`` only for this
    account's recorders in this Region (``aws:SourceAccount``, ``aws:SourceArn``), with the
    AWS-managed ``AWS_ConfigRole`` that AWS updates as Config supports new resource types, plus
    write access to ``AWSLogs/<account>/Config/`` of the bucket and use of its key through S3.

    Some managed rules exist only in some Regions (the SageMaker model rules, for example, are
    absent from several newer Regions; each rule's page lists them): exclude those there.

    Keyword-only props:

    :param exclude_rules: identifiers of :data:`DEFAULT_RULES` not to deploy. Default: none.
    :param additional_rules: identifiers of :data:`MANAGED_RULES` to deploy as well.
        Default: none.
    :param rule_parameters: ``InputParameters`` per identifier, e.g.
        ``{"GUARDDUTY_ENABLED_CENTRALIZED": {"CentralMonitoringAccount": "111122223333"}}``.
        Default: none (every rule's parameters are optional).
    :param create_recorder: create the configuration recorder and delivery channel.
        Default: ``False``.
    :param record_global_resources: with ``create_recorder``, also record IAM and other global
        resources; record them in one Region only. Default: ``True``.
    :param keys: with ``create_recorder``, the KeyRing whose ``audit`` key encrypts the delivery
        bucket. Default: none. Conflicts with ``encryption_key``.
    :param encryption_key: with ``create_recorder``, the key of the delivery bucket. Default: none;
        with neither, the bucket creates its own key.
    :param access_log_bucket: with ``create_recorder``, where the delivery bucket's server access
        logs go. Default: a new :class:`AccessLogBucket`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        exclude_rules: Sequence[str] = (),
        additional_rules: Sequence[str] = (),
        rule_parameters: Mapping[str, Mapping[str, Any]] | None = None,
        create_recorder: bool = False,
        record_global_resources: bool = True,
        keys: KeyRing | None = None,
        encryption_key: kms.IKey | None = None,
        access_log_bucket: s3.IBucket | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        excluded = _identifiers(me, "exclude_rules", exclude_rules)
        added = _identifiers(me, "additional_rules", additional_rules)
        for identifier in excluded:
            if identifier not in DEFAULT_RULES:
                raise fail(
                    me,
                    "exclude_rules",
                    identifier,
                    "is not one of the default rules, so there is nothing to exclude",
                    "exclude only identifiers of DEFAULT_RULES",
                )
        for identifier in added:
            if identifier in excluded:
                raise fail(
                    me, "additional_rules", identifier, "is also in exclude_rules", "drop it from one of the two lists"
                )
            if identifier in DEFAULT_RULES:
                raise fail(
                    me, "additional_rules", identifier, "is already a default rule", "drop it from additional_rules"
                )
        selected = [r for r in DEFAULT_RULES if r not in excluded] + added
        parameters = dict(rule_parameters or {})
        for identifier, values in parameters.items():
            if identifier not in selected:
                raise fail(
                    me,
                    "rule_parameters",
                    identifier,
                    "names a rule this construct does not deploy",
                    "pass parameters only for deployed rules",
                )
            if not isinstance(values, Mapping):
                raise fail(
                    me,
                    "rule_parameters",
                    {identifier: values},
                    "does not map parameter names to values",
                    "pass e.g. {'S3_DEFAULT_ENCRYPTION_KMS': {'kmsKeyArns': '...'}}",
                )
        require_type(me, "create_recorder", create_recorder, bool, "pass True or False")
        require_type(me, "record_global_resources", record_global_resources, bool, "pass True or False")
        require_keyring(me, "keys", keys)
        require_one_key_source(me, keys, "encryption_key", encryption_key)
        if not create_recorder:
            given = [
                n
                for n, v in (
                    ("keys", keys),
                    ("encryption_key", encryption_key),
                    ("access_log_bucket", access_log_bucket),
                )
                if v is not None
            ]
            if given:
                raise PropError(
                    f"{me}: {', '.join(given)} only shape the delivery bucket, which create_recorder=False does "
                    f"not create. "
                    f"Fix: drop {', '.join(given)}, or pass create_recorder=True."
                )

        self._recorder: config.CfnConfigurationRecorder | None = None
        self._delivery_channel: config.CfnDeliveryChannel | None = None
        self._bucket: SecureBucket | None = None
        if create_recorder:
            key = audit_key(keys) if keys is not None else encryption_key
            self._create_recorder(key, access_log_bucket, record_global_resources)

        self._rules: dict[str, config.ManagedRule] = {}
        for identifier in selected:
            rule = config.ManagedRule(
                self,
                _construct_id(identifier),
                identifier=identifier,
                description=f"secure-sagemaker: {MANAGED_RULES[identifier].checks} ({MANAGED_RULES[identifier].url})",
                input_parameters=dict(parameters[identifier]) if identifier in parameters else None,
            )
            if self._recorder is not None:
                rule.node.add_dependency(self._recorder, self._delivery_channel)
            self._rules[identifier] = rule

    def _create_recorder(
        self, key: kms.IKey | None, access_log_bucket: s3.IBucket | None, global_resources: bool
    ) -> None:
        self._bucket = SecureBucket(self, "Bucket", encryption_key=key, access_log_bucket=access_log_bucket)
        bucket = self._bucket.bucket
        role = iam.Role(
            self,
            "Role",
            description="Lets AWS Config record resources and deliver snapshots",
            assumed_by=iam.ServicePrincipal(
                "config.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": arn("config", "*")},
                },
            ),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")],
        )
        acknowledge(
            role,
            ["AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]"],
            "AWS_ConfigRole is the policy AWS documents for AWS Config's role and updates whenever Config "
            "supports a new resource type; a copy kept here would silently stop recording new types "
            "(AWS Config Developer Guide, Permissions for the IAM role assigned to AWS Config).",
        )
        delivery = iam.ManagedPolicy(
            self,
            "DeliveryPolicy",
            roles=[role],
            description="AWS Config delivery to its bucket and key only",
            statements=[
                iam.PolicyStatement(
                    sid="DeliverSnapshots",
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects(f"AWSLogs/{ACCOUNT}/Config/*")],
                    conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                ),
                iam.PolicyStatement(sid="CheckBucketAcl", actions=["s3:GetBucketAcl"], resources=[bucket.bucket_arn]),
                iam.PolicyStatement(
                    sid="EncryptSnapshots",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[self._bucket.key.key_arn],
                ),
            ],
        )
        acknowledge_wildcard_resources(
            delivery,
            "AWS Config names its snapshot and history objects itself under AWSLogs/<account>/Config/; the "
            "wildcard covers only that prefix of the delivery bucket (AWS Config Developer Guide, IAM role "
            "policy for your S3 bucket).",
        )
        self._recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            role_arn=role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=global_resources
            ),
        )
        self._delivery_channel = config.CfnDeliveryChannel(
            self,
            "DeliveryChannel",
            s3_bucket_name=bucket.bucket_name,
            s3_kms_key_arn=self._bucket.key.key_arn,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"
            ),
        )
        self._delivery_channel.node.add_dependency(delivery, bucket.policy)

    @property
    def rules(self) -> Mapping[str, config.ManagedRule]:
        """The deployed rules by identifier."""
        return MappingProxyType(self._rules)

    @property
    def recorder(self) -> config.CfnConfigurationRecorder | None:
        """The configuration recorder, or ``None`` without ``create_recorder``."""
        return self._recorder

    @property
    def delivery_channel(self) -> config.CfnDeliveryChannel | None:
        """The delivery channel, or ``None`` without ``create_recorder``."""
        return self._delivery_channel

    @property
    def bucket(self) -> SecureBucket | None:
        """The delivery bucket, or ``None`` without ``create_recorder``."""
        return self._bucket
