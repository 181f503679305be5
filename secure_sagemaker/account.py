"""The account baseline: what AWS allows once per account and Region.

A GuardDuty detector, a Config recorder and delivery channel, the API Gateway CloudWatch Logs
role and (usually) the management-events trail exist once per account and Region: a second
workload stack that created them again would fail. They live here, in a stack that a single
account deploys next to its workloads (``app.py``) and that an organization rolls out to every
account with CloudFormation StackSets (see ``docs/accounts-and-workloads.md``). Workload stacks
(:class:`~secure_sagemaker.baseline.SecureSageMakerStack`) hold what a team can have many of.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from secure_sagemaker.acknowledgments import acknowledge
from secure_sagemaker.audit import AlertTopic, AuditTrail, ComplianceRules, ThreatDetection
from secure_sagemaker.config import BaselineConfig, log_retention
from secure_sagemaker.edge.account_logging import ApiGatewayCloudWatchRole
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.storage import AccessLogBucket
from secure_sagemaker.zones import DeployTimeZonesStack

REPLICATION_RULES = (
    "HIPAA.Security-S3BucketReplicationEnabled",
    "NIST.800.53.R5-S3BucketReplicationEnabled",
    "PCI.DSS.321-S3BucketReplicationEnabled",
)
REPLICATION_REASON = (
    "Cross-Region replication is a disaster-recovery choice: it needs a second Region with a "
    "destination bucket and key there, which this single-Region baseline does not own. Within the "
    "Region, objects are protected by S3's multi-AZ durability, versioning with retained noncurrent "
    "versions, retention on stack deletion and deny-by-default bucket policies. Deployments with a "
    "Region-level recovery objective add replication and drop this acknowledgment."
)

_DATA_EVENTS_REASON = (
    "This trail records the account's management events, once per account. Object-level data "
    "events of the ML buckets are recorded by each workload's own data-events trail "
    "(SecureSageMakerBaseline's AuditTrail), which names its buckets; selecting every bucket of the "
    "account here would record them twice and bill data events for unrelated buckets."
)


class SecureSageMakerAccountBaseline(Construct):
    """The controls AWS allows once per account and Region, each switchable where the
    organization already runs it.

    - A :class:`KeyRing` with the ``logs`` key (plus the ``alerts`` and ``audit`` keys its
      constructs add), an :class:`AccessLogBucket` and an :class:`AlertTopic`.
    - The management-events :class:`AuditTrail` (multi-Region, validated, KMS, CloudWatch Logs,
      CIS alarms), unless ``organizationRunsCloudTrail``.
    - :class:`ThreatDetection`: the GuardDuty detector with S3 protection, or, with
      ``organizationRunsGuardDuty``, only the alerts on the existing detector's findings.
    - :class:`ComplianceRules`: AWS Config managed rules, unless ``organizationRunsConfigRules``,
      with the recorder and delivery channel when ``createConfigRecorder`` (default: created
      unless the organization runs Config rules).
    - :class:`ApiGatewayCloudWatchRole`, unless ``createApiGatewayCloudWatchRole`` is false.

    Nothing here refers to a workload stack, and workload stacks refer to nothing here, so either
    can be updated or deleted alone, and the template can be deployed with StackSets.

    Read-only attributes: ``keys``, ``access_logs``, ``alerts``, ``audit_trail`` (None when the
    organization runs CloudTrail), ``threat_detection``, ``compliance`` (None when the
    organization runs Config rules), ``api_gateway_logging`` (None when switched off).

    :param config: the settings (:class:`BaselineConfig`). Default: ``BaselineConfig()``.
    """

    # The attributes' types, for type checkers (they are set in __init__).
    keys: KeyRing
    access_logs: AccessLogBucket
    alerts: AlertTopic
    audit_trail: AuditTrail | None
    threat_detection: ThreatDetection
    compliance: ComplianceRules | None
    api_gateway_logging: ApiGatewayCloudWatchRole | None

    def __init__(self, scope: Construct, construct_id: str, *, config: BaselineConfig | None = None) -> None:
        super().__init__(scope, construct_id)
        config = config or BaselineConfig()
        retention = log_retention(config.log_retention_days)
        self.keys = KeyRing(
            self, "Keys", rotation_period=cdk.Duration.days(config.key_rotation_days), purposes=("logs",)
        )
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        acknowledge(self.access_logs.bucket, REPLICATION_RULES, REPLICATION_REASON)
        self.alerts = AlertTopic(self, "Alerts", keys=self.keys, email=config.alert_email)
        self.audit_trail = None
        if not config.organization_runs_cloud_trail:
            self.audit_trail = AuditTrail(
                self,
                "AuditTrail",
                keys=self.keys,
                alert_topic=self.alerts.topic,
                access_log_bucket=self.access_logs.bucket,
                log_retention=retention,
                **config.trail_log_lock,
            )
            acknowledge(self.audit_trail.bucket.bucket, REPLICATION_RULES, REPLICATION_REASON)
            acknowledge(self.audit_trail.trail, ["SageMakerSecurity-TrailS3DataEvents"], _DATA_EVENTS_REASON)
        self.threat_detection = ThreatDetection(
            self,
            "ThreatDetection",
            alert_topic=self.alerts.topic,
            use_existing_detector=config.organization_runs_guard_duty,
        )
        self.compliance = None
        if not config.organization_runs_config_rules:
            recorder = config.records_configuration
            extra = {"keys": self.keys, "access_log_bucket": self.access_logs.bucket} if recorder else {}
            self.compliance = ComplianceRules(self, "ComplianceRules", create_recorder=recorder, **extra)
            if self.compliance.bucket is not None:
                acknowledge(self.compliance.bucket.bucket, REPLICATION_RULES, REPLICATION_REASON)
        self.api_gateway_logging = (
            ApiGatewayCloudWatchRole(self, "ApiGatewayLogging") if config.create_api_gateway_cloud_watch_role else None
        )


class SecureSageMakerAccountStack(DeployTimeZonesStack):
    """The account baseline as a stack, ready for ``cdk deploy`` or CloudFormation StackSets.

    It uses no assets and no bootstrap version check (``BootstrapVersion`` parameter and rule),
    so its template deploys as it is to accounts that were never bootstrapped for the CDK, which
    is what service-managed StackSets do.

    Read-only attribute: ``baseline`` (:class:`SecureSageMakerAccountBaseline`).

    :param config: the settings. Default: read from the app's context (``BaselineConfig.from_context``).
    """

    baseline: SecureSageMakerAccountBaseline

    def __init__(
        self, scope: Construct, construct_id: str, *, config: BaselineConfig | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("synthesizer", cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False))
        super().__init__(scope, construct_id, **kwargs)
        self.baseline = SecureSageMakerAccountBaseline(
            self, "Account", config=config or BaselineConfig.from_context(self.node)
        )
