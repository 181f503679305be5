"""GuardDuty threat detection with S3 protection, and its findings routed to the alert topic."""

from __future__ import annotations

from typing import Any, Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import describe, fail, require_number, require_type
from secure_sagemaker.acknowledgments import acknowledge_wildcard_resources
from secure_sagemaker.audit._common import arn, as_buckets, require_topic
from secure_sagemaker.audit.alerts import TopicTarget
from secure_sagemaker.storage import SecureBucket

#: GuardDuty finding severities run from 1.0 to 10.0: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9
#: and Critical 9.0-10.0, the last added for attack sequences (Amazon GuardDuty User Guide,
#: "Severity levels of GuardDuty findings"; older editions gave 1.0-8.9 and reserved 9.0-10.0).
MIN_SEVERITY, MAX_SEVERITY = 1.0, 10.0
#: ``FindingPublishingFrequency`` values GuardDuty accepts.
PUBLISHING_FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
#: Detector features this construct turns on (``Features``, which replaces ``DataSources``).
DETECTOR_FEATURES = ("S3_DATA_EVENTS",)
#: The EventBridge managed rule that GuardDuty Malware Protection for S3 creates per bucket.
_MALWARE_RULE = "rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"


def validate_severity(me: str, prop: str, value: Any) -> float:
    """The severity as a float, or an error unless it is a number within GuardDuty's range."""
    fix = f"pass a number from {MIN_SEVERITY} to {MAX_SEVERITY}: 4.0 for Medium and above, 7.0 for High and above"
    require_number(me, prop, value, fix)
    if not MIN_SEVERITY <= value <= MAX_SEVERITY:
        raise fail(me, prop, value, f"is outside GuardDuty's severity range {MIN_SEVERITY}-{MAX_SEVERITY}", fix)
    return float(value)


class ThreatDetection(Construct):
    """GuardDuty for the account and Region, and its findings at or above a severity to the alert topic.

    GuardDuty allows one detector per account and Region. By default this construct creates it
    with S3 Protection (the ``S3_DATA_EVENTS`` feature, through ``Features`` rather than the
    deprecated ``DataSources``) and the given finding publishing frequency; the detector is
    retained when the stack is deleted, so that removing the stack does not silently stop threat
    detection (a later deployment then uses ``use_existing_detector=True``).

    ``use_existing_detector=True`` is for accounts whose detector already exists (enabled by
    hand, by a GuardDuty administrator account or by another stack): no detector is created,
    only the alert wiring. GuardDuty findings reach EventBridge in the account and Region of the
    detector whatever created it.

    The EventBridge rule matches ``source: aws.guardduty``, ``detail-type: GuardDuty Finding`` and
    ``detail.severity >= min_severity``, and publishes the finding to ``alert_topic``.

    Malware Protection for S3 (``malware_scan_buckets``) scans every new object of the named
    buckets and tags it with the result; a malicious object also raises a GuardDuty finding
    (``Object:S3/MaliciousFile``) which the rule above forwards. It uses one service role, whose
    permissions are those GuardDuty documents ("Create or update IAM role policy"). It does not
    work on buckets restricted to VPC endpoints (``SecureBucket(allowed_vpc_endpoint_ids=...)``),
    whose policy denies the role.

    Keyword-only props:

    :param alert_topic: where findings are published. Required.
    :param use_existing_detector: only wire the alerts to the detector that already exists.
        Default: ``False`` (create the detector).
    :param finding_publishing_frequency: how often GuardDuty republishes updates of existing
        findings (new findings are always published within minutes): ``"FIFTEEN_MINUTES"``,
        ``"ONE_HOUR"`` or ``"SIX_HOURS"``. Default: ``"FIFTEEN_MINUTES"`` when the detector is
        created here; not allowed with ``use_existing_detector``.
    :param min_severity: the lowest severity forwarded, 1.0 to 10.0. Default: ``4.0`` (Medium,
        High and Critical).
    :param malware_scan_buckets: buckets (``s3.IBucket`` or :class:`SecureBucket`) to protect with
        Malware Protection for S3. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alert_topic: sns.ITopic,
        use_existing_detector: bool = False,
        finding_publishing_frequency: str | None = None,
        min_severity: float = 4.0,
        malware_scan_buckets: Sequence[s3.IBucket | SecureBucket] = (),
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_topic(me, "alert_topic", alert_topic)
        require_type(me, "use_existing_detector", use_existing_detector, bool, "pass True or False")
        if finding_publishing_frequency is not None:
            if use_existing_detector:
                raise fail(
                    me,
                    "finding_publishing_frequency",
                    finding_publishing_frequency,
                    "is a setting of the detector, which use_existing_detector=True leaves alone",
                    "drop finding_publishing_frequency and set it on the existing detector, or create the "
                    "detector here",
                )
            if finding_publishing_frequency not in PUBLISHING_FREQUENCIES:
                raise fail(
                    me,
                    "finding_publishing_frequency",
                    finding_publishing_frequency,
                    "is not a frequency GuardDuty accepts",
                    f"pass one of {', '.join(PUBLISHING_FREQUENCIES)}",
                )
        severity = validate_severity(me, "min_severity", min_severity)
        buckets = as_buckets(me, "malware_scan_buckets", malware_scan_buckets)

        self._detector: guardduty.CfnDetector | None = None
        if not use_existing_detector:
            self._detector = guardduty.CfnDetector(
                self,
                "Detector",
                enable=True,
                finding_publishing_frequency=finding_publishing_frequency or "FIFTEEN_MINUTES",
                features=[
                    guardduty.CfnDetector.CFNFeatureConfigurationProperty(name=name, status="ENABLED")
                    for name in DETECTOR_FEATURES
                ],
            )
            self._detector.apply_removal_policy(RETAINED)

        self._rule = events.Rule(
            self,
            "FindingsRule",
            description=f"GuardDuty findings of severity {severity} and above, to the security alert topic",
            event_pattern=events.EventPattern(
                source=["aws.guardduty"],
                detail_type=["GuardDuty Finding"],
                detail={"severity": [{"numeric": [">=", severity]}]},
            ),
            targets=[TopicTarget(alert_topic)],
        )
        self._plans = self._malware_protection(buckets) if buckets else []

    def _malware_protection(self, buckets: list[s3.IBucket]) -> list[guardduty.CfnMalwareProtectionPlan]:
        role = iam.Role(
            self,
            "MalwareProtectionRole",
            assumed_by=iam.ServicePrincipal("malware-protection-plan.guardduty.amazonaws.com"),
            description="Lets GuardDuty Malware Protection for S3 scan and tag new objects of the protected buckets",
        )
        bucket_arns = [b.bucket_arn for b in buckets]
        object_arns = [b.arn_for_objects("*") for b in buckets]
        managed_rule = arn("events", _MALWARE_RULE)
        statements = [
            iam.PolicyStatement(
                sid="AllowManagedRuleToSendS3EventsToGuardDuty",
                actions=["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
                resources=[managed_rule],
                conditions={"StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="AllowGuardDutyToMonitorEventBridgeManagedRule",
                actions=["events:DescribeRule", "events:ListTargetsByRule"],
                resources=[managed_rule],
            ),
            iam.PolicyStatement(
                sid="AllowPostScanTag",
                actions=[
                    "s3:PutObjectTagging",
                    "s3:GetObjectTagging",
                    "s3:PutObjectVersionTagging",
                    "s3:GetObjectVersionTagging",
                ],
                resources=object_arns,
            ),
            iam.PolicyStatement(
                sid="AllowEnableS3EventBridgeEvents",
                actions=["s3:PutBucketNotification", "s3:GetBucketNotification"],
                resources=bucket_arns,
            ),
            iam.PolicyStatement(
                sid="AllowPutValidationObject",
                actions=["s3:PutObject"],
                resources=[b.arn_for_objects("malware-protection-resource-validation-object") for b in buckets],
            ),
            iam.PolicyStatement(sid="AllowCheckBucketOwnership", actions=["s3:ListBucket"], resources=bucket_arns),
            iam.PolicyStatement(
                sid="AllowMalwareScan", actions=["s3:GetObject", "s3:GetObjectVersion"], resources=object_arns
            ),
        ]
        key_arns = sorted(
            {b.encryption_key.key_arn for b in buckets if getattr(b, "encryption_key", None) is not None}, key=str
        )
        if key_arns:
            statements.append(
                iam.PolicyStatement(
                    sid="AllowDecryptForMalwareScan",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=key_arns,
                    conditions={"StringLike": {"kms:ViaService": f"s3.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}"}},
                )
            )
        policy = iam.ManagedPolicy(
            self,
            "MalwareProtectionPolicy",
            roles=[role],
            description="Malware Protection for S3: scan, tag and watch the protected buckets only",
            statements=statements,
        )
        acknowledge_wildcard_resources(
            policy,
            "Malware Protection for S3 scans and tags any new object of the protected buckets, so object ARNs "
            "end in '*', and manages an EventBridge rule whose name GuardDuty chooses under the "
            "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3 prefix; every resource is one of the protected "
            "buckets or that rule (Amazon GuardDuty User Guide, Create or update IAM role policy).",
        )
        plans = []
        for bucket in buckets:
            # Named after the bucket, not its position, so reordering the list replaces nothing.
            plan = guardduty.CfnMalwareProtectionPlan(
                self,
                f"MalwareProtection{cdk.Names.unique_id(bucket)}",
                role=role.role_arn,
                protected_resource=guardduty.CfnMalwareProtectionPlan.CFNProtectedResourceProperty(
                    s3_bucket=guardduty.CfnMalwareProtectionPlan.S3BucketProperty(bucket_name=bucket.bucket_name)
                ),
                actions=guardduty.CfnMalwareProtectionPlan.CFNActionsProperty(
                    tagging=guardduty.CfnMalwareProtectionPlan.CFNTaggingProperty(status="ENABLED")
                ),
            )
            # GuardDuty validates the role when the plan is created (its troubleshooting guide asks
            # infrastructure-as-code templates to declare this dependency).
            plan.node.add_dependency(policy)
            plans.append(plan)
        return plans

    @property
    def detector(self) -> guardduty.CfnDetector | None:
        """The detector created here, or ``None`` with ``use_existing_detector``."""
        return self._detector

    @property
    def findings_rule(self) -> events.Rule:
        """The EventBridge rule that forwards findings to the alert topic."""
        return self._rule

    @property
    def malware_protection_plans(self) -> Sequence[guardduty.CfnMalwareProtectionPlan]:
        """One plan per protected bucket, in the order given."""
        return tuple(self._plans)
