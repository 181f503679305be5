"""CloudTrail for the account: encrypted, validated, delivered to S3 and CloudWatch Logs, watched."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import PropError, describe, fail, is_token, require_type, s3_key_prefix
from secure_sagemaker.acknowledgments import acknowledge_wildcard_resources
from secure_sagemaker.alarms import AlarmFactory
from secure_sagemaker.audit._common import (
    ACCOUNT,
    arn,
    as_bucket,
    as_buckets,
    audit_key,
    key_once,
    require_keyring,
    require_one_key_source,
    require_own_key,
    require_topic,
)
from secure_sagemaker.audit.watches import SECURITY_WATCHES
from secure_sagemaker.encryption import KeyRing, allow_service_on_key, validate_duration_days
from secure_sagemaker.identity import S3Prefix
from secure_sagemaker.storage import MAX_OBJECT_LOCK_DAYS, SecureBucket

#: CloudTrail accepts at most 250 data resources across a trail's basic event selectors (and five
#: selectors per trail; this trail uses at most three: management, writes, reads).
MAX_DATA_EVENT_BUCKETS = 250
#: The trail bucket's default Object Lock retention: a year, what CIS and PCI DSS ask logs to be kept.
DEFAULT_LOG_LOCK_DAYS = 365
#: Data-event scopes this construct offers, with their CloudFormation ``ReadWriteType``.
DATA_EVENT_TYPES = MappingProxyType({"WRITE_ONLY": "WriteOnly", "ALL": "All"})

_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")


def _default_trail_name(construct: Construct) -> str:
    name = cdk.Names.unique_resource_name(construct, max_length=128, separator="-")
    name = re.sub(r"[^A-Za-z0-9._-]", "-", name)
    name = re.sub(r"[._-]{2,}", "-", name).strip("._-")
    return name


def validate_trail_name(me: str, value: Any) -> None:
    """Fail unless ``value`` is a literal name CloudTrail accepts (AWS CloudTrail trail naming requirements)."""
    fix = (
        "use 3-128 letters, digits, '.', '_' and '-', starting and ending with a letter or digit, "
        "without two of '.', '_', '-' in a row"
    )
    require_type(me, "trail_name", value, str, fix)
    if is_token(value):
        raise fail(
            me,
            "trail_name",
            value,
            "is a token, but key and bucket policies need the name at synth time",
            "pass a literal name",
        )
    if not _TRAIL_NAME.match(value) or re.search(r"[._-]{2}", value) or re.match(r"^\d+\.\d+\.\d+\.\d+$", value):
        raise fail(me, "trail_name", value, "is not a valid CloudTrail trail name", fix)


def _object_selector(read_write_type: str, values: list[str]) -> cloudtrail.CfnTrail.EventSelectorProperty:
    """A basic event selector for S3 object data events on ``values`` (bucket or prefix ARNs)."""
    return cloudtrail.CfnTrail.EventSelectorProperty(
        include_management_events=False,
        read_write_type=read_write_type,
        data_resources=[cloudtrail.CfnTrail.DataResourceProperty(type="AWS::S3::Object", values=values)],
    )


class AuditTrail(Construct):
    """The account's CloudTrail trail, hardened, with the alarms a security team watches.

    The trail is multi-Region, includes global service events (IAM, STS, CloudFront), validates log
    files (signed digests), and encrypts log files with the ``audit`` key: the ``audit`` key of
    ``keys`` (added to the ring if it has none), or ``encryption_key``. That key admits
    ``cloudtrail.amazonaws.com`` for ``kms:GenerateDataKey*`` and ``kms:DescribeKey`` only when
    ``aws:SourceArn`` is this trail and ``kms:EncryptionContext:aws:cloudtrail:arn`` is a trail of
    this account (AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail").

    Log files go to a :class:`SecureBucket` encrypted with the same key, whose policy admits only
    this trail: ``s3:GetBucketAcl`` and ``s3:PutObject`` under ``AWSLogs/<account>/`` (and
    ``AWSLogs/<organization id>/`` for an organization trail) with ``aws:SourceArn`` equal to the
    trail's ARN, writes also requiring ``bucket-owner-full-control``. The SecureBucket's own deny
    statements stay in force: CloudTrail writes with SSE-KMS under the trail's key, which is the
    bucket's key, so neither "other encryption" nor "other KMS key" matches. S3 Bucket Keys are
    turned off on this bucket so that every log object is encrypted under CloudTrail's encryption
    context, the condition the key policy checks; CloudTrail writes a few objects per Region every
    five minutes, so the added KMS requests cost little.

    The bucket has S3 Object Lock on, with a default retention (``object_lock_mode``, GOVERNANCE by
    default, for ``object_lock_retention``, a year by default): every log file and digest file
    version CloudTrail delivers is protected against overwrite and deletion until it is that old.
    In GOVERNANCE mode only a principal allowed ``s3:BypassGovernanceRetention`` (no role of this
    library is; an administrator with ``s3:*`` is) can delete early; in COMPLIANCE mode nobody can,
    the root user included. ``allow_log_file_deletion=True`` gives the lock up. Object Lock cannot be
    turned off on a bucket once on (docs/accounts-and-workloads.md says what that means for an
    existing trail bucket).

    Events also go to a CloudWatch Logs log group encrypted with the logs key and kept for
    ``log_retention``; CloudTrail writes there through a role allowed only
    ``logs:CreateLogStream`` and ``logs:PutLogEvents`` on that group's CloudTrail streams.

    With ``alert_topic``, a metric filter and an alarm per entry of :data:`SECURITY_WATCHES`
    notify the topic.

    The trail's ARN is built from its name (``trail_name``), because the key and bucket policies
    the trail depends on cannot refer to the trail itself.

    Keyword-only props:

    :param keys: the KeyRing that provides the ``audit`` key (trail and bucket) and the logs key
        (log group). Default: none. Conflicts with ``encryption_key`` and ``logs_key``.
    :param encryption_key: a ``kms.Key`` of this app for log files and their bucket; its policy
        gains the CloudTrail statements. Default: none. Requires ``logs_key``.
    :param logs_key: the key of the log group; it must admit CloudWatch Logs (a KeyRing's logs key
        does). Default: none. Requires ``encryption_key``.
    :param alert_topic: where alarms notify. Default: none, and then no metric filters or alarms
        are created (for accounts whose organization alerts centrally).
    :param trail_name: the trail's name. Default: derived from the construct path, such as
        ``MyStack-Baseline-AuditTrail-1A2B3C4D``. Never change it: the trail is replaced.
    :param log_retention: retention of the CloudWatch Logs copy. Default:
        ``RetentionDays.ONE_YEAR`` (CIS and PCI DSS ask for at least a year). The S3 copy is never
        expired (the bucket is versioned and retained); add lifecycle rules to the bucket if your
        retention policy says otherwise.
    :param access_log_bucket: where the trail bucket's server access logs go. Default: a new
        :class:`AccessLogBucket` inside the trail bucket's construct.
    :param data_event_buckets: buckets (``s3.IBucket`` or :class:`SecureBucket`) whose object-level
        S3 API calls are recorded as data events, at most 250. Default: none, no data events.
        An empty list is refused: it asks for data events on nothing.
    :param data_events: which data events: ``cloudtrail.ReadWriteType.WRITE_ONLY`` (uploads,
        deletes, tagging) or ``ALL`` (reads too, which shows exfiltration and costs more).
        Default: ``WRITE_ONLY``. Applies only with ``data_event_buckets``.
    :param read_data_event_prefixes: key prefixes (:class:`~secure_sagemaker.identity.S3Prefix`)
        whose object reads (``GetObject``, ``HeadObject``, ...) are also recorded, through a
        basic event selector of its own with ``ReadWriteType: ReadOnly`` on
        ``arn:<partition>:s3:::<bucket>/<prefix>/``, such as ``[S3Prefix(data_bucket, "raw")]`` to
        see who read the raw data. Default: none, no read events. With ``data_events=ALL`` it is
        refused (reads of every object are already recorded); counts against the 250 data
        resources. Cost: one data event per object read ($0.10 per 100,000 in most Regions, plus
        the CloudWatch Logs ingestion of the trail's log group), so a training job that reads a
        million objects once adds about a million events.
    :param management_events: record management events (API calls that create, change or delete
        resources, console sign-ins). Default: ``True``. ``False`` makes a data-events trail for
        a workload's buckets, in an account whose account baseline (or organization) already
        records management events: it then requires ``data_event_buckets`` and takes no
        ``alert_topic`` (the alarms watch management events).
    :param organization_trail: record every account of the AWS Organization (deploy in the
        management account or a delegated administrator, with CloudTrail trusted access on).
        Default: ``False``.
    :param organization_id: the organization's id (``o-...``), required with
        ``organization_trail``: member accounts' logs arrive under ``AWSLogs/<organization id>/``.
        Default: none.
    :param metric_namespace: CloudWatch namespace of the metric filters' metrics.
        Default: ``"SecureSageMaker/CloudTrail"``.
    :param object_lock_mode: the Object Lock mode of the log files' default retention:
        ``s3.ObjectLockMode.GOVERNANCE`` (principals allowed ``s3:BypassGovernanceRetention`` can
        still delete early) or ``COMPLIANCE`` (nobody can, until the retention ends). Default:
        ``GOVERNANCE``. Conflicts with ``allow_log_file_deletion``.
    :param object_lock_retention: how long each log file version is protected, whole days from 1 to
        36500. Default: ``Duration.days(365)``. Conflicts with ``allow_log_file_deletion``.
    :param allow_log_file_deletion: give up Object Lock on the trail bucket, so whoever may delete
        objects there can delete or overwrite log files at once (versioning still keeps overwritten
        versions, until someone deletes those). Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        keys: KeyRing | None = None,
        encryption_key: kms.Key | None = None,
        logs_key: kms.IKey | None = None,
        alert_topic: sns.ITopic | None = None,
        trail_name: str | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        access_log_bucket: s3.IBucket | None = None,
        data_event_buckets: Sequence[s3.IBucket | SecureBucket] | None = None,
        data_events: cloudtrail.ReadWriteType = cloudtrail.ReadWriteType.WRITE_ONLY,
        read_data_event_prefixes: Sequence[S3Prefix] | None = None,
        management_events: bool = True,
        organization_trail: bool = False,
        organization_id: str | None = None,
        metric_namespace: str = "SecureSageMaker/CloudTrail",
        object_lock_mode: s3.ObjectLockMode | None = None,
        object_lock_retention: cdk.Duration | None = None,
        allow_log_file_deletion: bool = False,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_keyring(me, "keys", keys)
        require_own_key(me, "encryption_key", encryption_key)
        require_one_key_source(me, keys, "encryption_key", encryption_key)
        require_one_key_source(me, keys, "logs_key", logs_key)
        if keys is None and (encryption_key is None or logs_key is None):
            raise PropError(
                f"{me}: keys={keys!r}, encryption_key={encryption_key!r}, logs_key={logs_key!r} leave the trail "
                "without a key for its log files or its log group. Fix: pass keys=<KeyRing>, or both "
                "encryption_key and logs_key."
            )
        if logs_key is not None and (isinstance(logs_key, str) or not hasattr(logs_key, "key_arn")):
            raise fail(
                me,
                "logs_key",
                logs_key,
                "is not a KMS key",
                "pass KeyRing.logs_key or a key that admits CloudWatch Logs",
            )
        require_topic(me, "alert_topic", alert_topic, optional=True)
        require_type(
            me, "log_retention", log_retention, logs.RetentionDays, "pass a logs.RetentionDays value such as ONE_YEAR"
        )
        require_type(me, "organization_trail", organization_trail, bool, "pass True or False")
        require_type(
            me, "metric_namespace", metric_namespace, str, "pass a namespace such as 'SecureSageMaker/CloudTrail'"
        )
        self._validate_organization(me, organization_trail, organization_id)
        log_lock = self._validate_log_lock(me, object_lock_mode, object_lock_retention, allow_log_file_deletion)
        buckets = self._validate_data_events(me, data_event_buckets, data_events)
        read_prefixes = self._validate_read_prefixes(me, read_data_event_prefixes, data_events, len(buckets))
        require_type(me, "management_events", management_events, bool, "pass True or False")
        if not management_events and not buckets and not read_prefixes:
            raise fail(
                me,
                "management_events",
                False,
                "leaves the trail recording nothing without data_event_buckets or read_data_event_prefixes",
                "pass data_event_buckets, or keep management_events=True",
            )
        if not management_events and alert_topic is not None:
            raise fail(
                me,
                "alert_topic",
                alert_topic.node.path,
                "alarms on management events, which this trail does not record",
                "drop alert_topic (the account baseline's trail alarms) or keep management_events=True",
            )
        if trail_name is None:
            trail_name = _default_trail_name(self)
        validate_trail_name(me, trail_name)

        self._trail_name = trail_name
        self._trail_arn = arn("cloudtrail", f"trail/{trail_name}")
        if keys is not None:
            key = audit_key(keys)
            logs_key = keys.logs_key
        else:
            key = encryption_key
        self._key = key
        self._admit_cloudtrail(key)

        self._bucket = SecureBucket(
            self,
            "Bucket",
            encryption_key=key,
            access_log_bucket=access_log_bucket,
            bucket_key_enabled=False,
            object_lock_retention=log_lock,
        )
        log_prefixes = [ACCOUNT] + ([organization_id] if organization_trail else [])
        self._admit_trail_to_bucket(self._bucket.bucket, log_prefixes)

        self._log_group = logs.LogGroup(
            self, "LogGroup", encryption_key=logs_key, retention=log_retention, removal_policy=RETAINED
        )
        role, role_policy = self._logs_role(log_prefixes)

        selectors = None
        if buckets or read_prefixes:
            management = (
                [cloudtrail.CfnTrail.EventSelectorProperty(include_management_events=True, read_write_type="All")]
                if management_events
                else []
            )
            selectors = [
                *management,
                *(
                    [_object_selector(DATA_EVENT_TYPES[data_events.value], [f"{b.bucket_arn}/" for b in buckets])]
                    if buckets
                    else []
                ),
                *([_object_selector("ReadOnly", read_prefixes)] if read_prefixes else []),
            ]
        self._trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=trail_name,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=key.key_arn,
            s3_bucket_name=self._bucket.bucket.bucket_name,
            cloud_watch_logs_log_group_arn=self._log_group.log_group_arn,
            cloud_watch_logs_role_arn=role.role_arn,
            event_selectors=selectors,
            is_organization_trail=True if organization_trail else None,
        )
        # CloudTrail checks its bucket and role when the trail is created or updated.
        self._trail.node.add_dependency(self._bucket.bucket.policy, role_policy)
        stack = cdk.Stack.of(self)
        enforce_rules(
            self,
            resources=[self._trail],
            rules=["TrailLogging", "TrailMultiRegion", "TrailLogValidation", "TrailKms", "TrailCloudWatchLogs"],
            identity=[
                ("IncludeGlobalServiceEvents: true", lambda p: p.get("IncludeGlobalServiceEvents") is True),
                ("KMSKeyId: the audit key", lambda p: p["KMSKeyId"] == stack.resolve(key.key_arn)),
            ],
        )

        self._alarms: dict[str, cloudwatch.Alarm] = {}
        if alert_topic is not None:
            self._watch(alert_topic, metric_namespace)

    # --- validation -------------------------------------------------------------------------

    @staticmethod
    def _validate_organization(me: str, organization_trail: bool, organization_id: Any) -> None:
        if organization_trail and organization_id is None:
            raise fail(
                me,
                "organization_id",
                None,
                "is missing, but organization_trail=True needs it: member accounts' log files arrive under "
                "AWSLogs/<organization id>/ and the bucket policy must admit that prefix",
                "pass organization_id='o-...' (aws organizations describe-organization), or organization_trail=False",
            )
        if organization_id is None:
            return
        if not organization_trail:
            raise fail(
                me,
                "organization_id",
                organization_id,
                "is given without organization_trail=True",
                "drop organization_id, or also pass organization_trail=True",
            )
        require_type(me, "organization_id", organization_id, str, "pass the id such as 'o-a1b2c3d4e5'")
        if not is_token(organization_id) and not _ORG_ID.match(organization_id):
            raise fail(
                me,
                "organization_id",
                organization_id,
                "is not an AWS Organizations id",
                "pass the id such as 'o-a1b2c3d4e5'",
            )

    @staticmethod
    def _validate_log_lock(
        me: str, mode: Any, retention: Any, allow_log_file_deletion: Any
    ) -> s3.ObjectLockRetention | None:
        require_type(me, "allow_log_file_deletion", allow_log_file_deletion, bool, "pass True or False")
        if allow_log_file_deletion:
            for prop, value in (("object_lock_mode", mode), ("object_lock_retention", retention)):
                if value is not None:
                    raise fail(
                        me,
                        prop,
                        value.to_human_string() if isinstance(value, cdk.Duration) else getattr(value, "value", value),
                        "sets the log files' Object Lock, which allow_log_file_deletion=True gives up",
                        f"drop {prop}, or drop allow_log_file_deletion",
                    )
            return None
        mode = s3.ObjectLockMode.GOVERNANCE if mode is None else mode
        require_type(me, "object_lock_mode", mode, s3.ObjectLockMode, "pass s3.ObjectLockMode.GOVERNANCE or COMPLIANCE")
        retention = cdk.Duration.days(DEFAULT_LOG_LOCK_DAYS) if retention is None else retention
        validate_duration_days(me, "object_lock_retention", retention, 1, MAX_OBJECT_LOCK_DAYS, "S3 Object Lock")
        if retention.is_unresolved():
            raise fail(
                me,
                "object_lock_retention",
                retention,
                "is a token",
                f"pass cdk.Duration.days(n) with 1 <= n <= {MAX_OBJECT_LOCK_DAYS}",
            )
        days = cdk.Duration.days(int(retention.to_days()))
        if mode == s3.ObjectLockMode.COMPLIANCE:
            return s3.ObjectLockRetention.compliance(days)
        return s3.ObjectLockRetention.governance(days)

    @staticmethod
    def _validate_data_events(me: str, buckets: Any, data_events: Any) -> list[s3.IBucket]:
        require_type(
            me, "data_events", data_events, cloudtrail.ReadWriteType, "pass cloudtrail.ReadWriteType.WRITE_ONLY or ALL"
        )
        if data_events.value not in DATA_EVENT_TYPES:
            raise fail(
                me,
                "data_events",
                data_events.value,
                "is not a scope of data events this trail records",
                "pass cloudtrail.ReadWriteType.WRITE_ONLY (uploads and deletes) or ALL (reads too)",
            )
        if buckets is None:
            return []
        resolved = as_buckets(me, "data_event_buckets", buckets)
        if not resolved:
            raise fail(
                me,
                "data_event_buckets",
                list(buckets),
                "is empty, so data events are asked for but on no bucket",
                "name the ML buckets, e.g. [baseline.data_bucket, baseline.models_bucket], or pass None for no "
                "data events",
            )
        if len(resolved) > MAX_DATA_EVENT_BUCKETS:
            raise fail(
                me,
                "data_event_buckets",
                f"<{len(resolved)} buckets>",
                f"has more than the {MAX_DATA_EVENT_BUCKETS} data resources CloudTrail accepts",
                "record fewer buckets, or use several trails",
            )
        return resolved

    @staticmethod
    def _validate_read_prefixes(me: str, prefixes: Any, data_events: Any, write_resources: int) -> list[str]:
        """The object ARN prefixes (``arn:...:s3:::bucket/prefix/``) whose reads are recorded."""
        prop = "read_data_event_prefixes"
        fix = "pass a list such as [S3Prefix(baseline.data_bucket.bucket, 'raw')], or None for no read events"
        if prefixes is None:
            return []
        if isinstance(prefixes, (str, bytes)) or not isinstance(prefixes, Sequence) or not prefixes:
            raise fail(me, prop, prefixes, "is not a non-empty list of S3Prefix", fix)
        if data_events.value == "ALL":
            raise fail(
                me,
                prop,
                list(prefixes),
                "asks for reads that data_events=ALL already records on every object of data_event_buckets",
                "drop read_data_event_prefixes, or keep data_events=WRITE_ONLY",
            )
        values = []
        for item in prefixes:
            if not isinstance(item, S3Prefix):
                raise fail(me, prop, item, "is not an S3Prefix", fix)
            if isinstance(item.bucket, str):
                bucket_arn = f"arn:{cdk.Aws.PARTITION}:s3:::{item.bucket}"
            else:
                bucket_arn = as_bucket(me, prop, item.bucket).bucket_arn
            prefix = s3_key_prefix(me, prop, item.prefix, "raw", literal=True)
            values.append(f"{bucket_arn}/{prefix}/")
        if write_resources + len(values) > MAX_DATA_EVENT_BUCKETS:
            raise fail(
                me,
                prop,
                f"<{len(values)} prefixes>",
                f"makes {write_resources + len(values)} data resources, more than the {MAX_DATA_EVENT_BUCKETS} "
                "CloudTrail accepts across a trail's event selectors",
                "record fewer buckets or prefixes, or use several trails",
            )
        return values

    # --- resources --------------------------------------------------------------------------

    def _admit_cloudtrail(self, key: kms.Key) -> None:
        suffix = cdk.Names.unique_id(self)
        if not key_once(key, f"CloudTrail{suffix}Admitted"):
            return
        source = {"aws:SourceArn": self._trail_arn}
        allow_service_on_key(
            key,
            "cloudtrail.amazonaws.com",
            ["kms:GenerateDataKey*"],
            {
                "StringEquals": source,
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": arn("cloudtrail", "trail/*", region="*")},
            },
            sid=f"CloudTrailEncryptsLogsOf{suffix}",
        )
        allow_service_on_key(
            key,
            "cloudtrail.amazonaws.com",
            ["kms:DescribeKey"],
            {"StringEquals": source},
            sid=f"CloudTrailDescribesKeyFor{suffix}",
        )

    def _admit_trail_to_bucket(self, bucket: s3.Bucket, log_prefixes: list[str]) -> None:
        principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailAclCheck",
                principals=[principal],
                actions=["s3:GetBucketAcl"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"aws:SourceArn": self._trail_arn}},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailWrite",
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"AWSLogs/{p}/*") for p in log_prefixes],
                conditions={
                    "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": self._trail_arn}
                },
            )
        )

    def _logs_role(self, log_prefixes: list[str]) -> tuple[iam.Role, iam.ManagedPolicy]:
        # CloudTrail does not document aws:SourceArn or aws:SourceAccount for this role's trust
        # policy, and an unsupported condition would make CreateTrail fail; the role can only
        # write to this log group's CloudTrail streams, and only CloudTrail can assume it.
        role = iam.Role(
            self,
            "LogsRole",
            assumed_by=iam.ServicePrincipal("cloudtrail.amazonaws.com"),
            description="Lets CloudTrail deliver this trail's events to its log group",
        )
        streams = [
            arn("logs", f"log-group:{self._log_group.log_group_name}:log-stream:{stream}")
            for stream in [f"{ACCOUNT}_CloudTrail_*"] + [f"{p}_*" for p in log_prefixes[1:]]
        ]
        policy = iam.ManagedPolicy(
            self,
            "LogsPolicy",
            roles=[role],
            description="Write access to the CloudTrail streams of the trail's log group only",
            statements=[
                iam.PolicyStatement(
                    sid="CloudTrailStreams",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=streams,
                )
            ],
        )
        acknowledge_wildcard_resources(
            policy,
            "CloudTrail names its log streams itself (<account>_CloudTrail_<region> for each Region of a "
            "multi-Region trail, <organization id>_* for member accounts), so the streams are matched by "
            "prefix; the resource is confined to this one log group and the actions to creating streams and "
            "writing events (AWS CloudTrail User Guide, role policy for CloudWatch Logs).",
        )
        return role, policy

    def _watch(self, topic: sns.ITopic, namespace: str) -> None:
        # A watch alarms on single events; an OK five minutes later would only be noise.
        alarm_factory = AlarmFactory(self, topic, notify_ok=False)
        period = cdk.Duration.minutes(5)
        for watch in SECURITY_WATCHES:
            metric_filter = logs.MetricFilter(
                self,
                f"{watch.name}Filter",
                log_group=self._log_group,
                filter_pattern=logs.FilterPattern.literal(watch.pattern),
                metric_namespace=namespace,
                metric_name=watch.name,
                metric_value="1",
            )
            self._alarms[watch.name] = alarm_factory.alarm(
                f"{watch.name}Alarm",
                description=f"{watch.description}. Source: CloudTrail trail {self._trail_name}.",
                metric=metric_filter.metric(statistic="Sum", period=period),
                threshold=1,
            )

    # --- attributes -------------------------------------------------------------------------

    @property
    def trail(self) -> cloudtrail.CfnTrail:
        """The trail (an L1 resource: the L2 ``Trail`` cannot scope its bucket policy to the trail)."""
        return self._trail

    @property
    def trail_name(self) -> str:
        """The trail's name."""
        return self._trail_name

    @property
    def trail_arn(self) -> str:
        """The trail's ARN, built from its name (usable in policies the trail depends on)."""
        return self._trail_arn

    @property
    def bucket(self) -> SecureBucket:
        """The bucket that receives the log files and digests."""
        return self._bucket

    @property
    def key(self) -> kms.Key:
        """The key that encrypts log files, digests and their bucket."""
        return self._key

    @property
    def log_group(self) -> logs.LogGroup:
        """The CloudWatch Logs copy of the trail's events."""
        return self._log_group

    @property
    def alarms(self) -> Mapping[str, cloudwatch.Alarm]:
        """The alarm per :data:`SECURITY_WATCHES` name (empty without ``alert_topic``)."""
        return MappingProxyType(self._alarms)
