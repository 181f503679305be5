"""Rules for the audit and monitoring resources: CloudTrail, GuardDuty, log groups, alert topics."""

from __future__ import annotations

from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import customer_key, merge, require_true
from secure_sagemaker.nag.template import Resource, Unresolved, as_dict, as_list, get

TRAIL = "AWS::CloudTrail::Trail"
DETECTOR = "AWS::GuardDuty::Detector"
LOG_GROUP = "AWS::Logs::LogGroup"
TOPIC = "AWS::SNS::Topic"


@rule(
    "TrailMultiRegion",
    ERROR,
    TRAIL,
    info="The CloudTrail trail records only its own region.",
    explanation="An attacker (or a mistaken script) that works in another region would leave no trace in a single-region "
    "trail.",
    fix="Set IsMultiRegionTrail to true (and IncludeGlobalServiceEvents).",
    practices=("P12", "P16"),
    threats=("C7", "T9"),
)
def trail_multi_region(r: Resource) -> Verdict | None:
    """A CloudTrail trail records every region."""
    return require_true(r, r.prop("IsMultiRegionTrail"), "IsMultiRegionTrail")


@rule(
    "TrailLogValidation",
    ERROR,
    TRAIL,
    info="The CloudTrail trail does not validate its log files.",
    explanation="Digest files prove that delivered logs were not changed or deleted, which audits and investigations rely on.",
    fix="Set EnableLogFileValidation to true.",
    practices=("P12", "P16", "P17"),
    threats=("C7",),
)
def trail_log_validation(r: Resource) -> Verdict | None:
    """A CloudTrail trail has log file validation enabled."""
    return require_true(r, r.prop("EnableLogFileValidation"), "EnableLogFileValidation")


@rule(
    "TrailKms",
    ERROR,
    TRAIL,
    info="The CloudTrail trail does not encrypt its logs with a customer managed key.",
    explanation="Trail logs reveal the whole account's activity; a customer managed key limits who can read them, separately "
    "from the bucket.",
    fix="Set KMSKeyId to a customer managed key whose policy lets cloudtrail.amazonaws.com encrypt.",
    practices=("P1", "P4", "P12"),
    threats=("C7",),
)
def trail_kms(r: Resource) -> Verdict | None:
    """A CloudTrail trail encrypts its logs with a customer managed key."""
    return customer_key(r, r.prop("KMSKeyId"), "KMSKeyId")


@rule(
    "TrailCloudWatchLogs",
    ERROR,
    TRAIL,
    info="The CloudTrail trail does not send events to CloudWatch Logs.",
    explanation="Metric filters and alarms on API activity (root use, key deletion, policy changes) need the trail in "
    "CloudWatch Logs.",
    fix="Set CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn.",
    practices=("P11", "P12", "P15"),
    threats=("C7", "T9"),
)
def trail_cloudwatch_logs(r: Resource) -> list[Verdict]:
    """A CloudTrail trail delivers its events to CloudWatch Logs."""
    t = r.template
    return merge(
        fail("CloudWatchLogsLogGroupArn is not set")
        if t.resolve(r.prop("CloudWatchLogsLogGroupArn")) in (None, "")
        else None,
        fail("CloudWatchLogsRoleArn is not set") if t.resolve(r.prop("CloudWatchLogsRoleArn")) in (None, "") else None,
    )


@rule(
    "TrailS3DataEvents",
    WARNING,
    TRAIL,
    info="The CloudTrail trail does not record S3 data events.",
    explanation=(
        "Management events do not show who read or wrote which object; data events on the ML "
        "buckets do, which is how data theft and poisoning are traced."
    ),
    fix="Add EventSelectors with DataResources of Type AWS::S3::Object (or AdvancedEventSelectors on resources.type "
    "AWS::S3::Object) for the ML buckets.",
    practices=("P12",),
    threats=("T2", "T3", "T5"),
)
def trail_s3_data_events(r: Resource) -> Verdict | None:
    """A CloudTrail trail records S3 object-level data events."""
    t = r.template
    selectors = t.items(r.prop("EventSelectors"))
    for selector in [] if isinstance(selectors, Unresolved) else selectors:
        for resource in as_list(as_dict(t.mapping(selector)).get("DataResources")):
            if t.string(get(resource, "Type")) == "AWS::S3::Object":
                return None
    advanced = t.items(r.prop("AdvancedEventSelectors"))
    if isinstance(advanced, Unresolved):
        return unverifiable(f"AdvancedEventSelectors cannot be verified: {advanced}")
    for selector in advanced:
        for field in as_list(as_dict(t.mapping(selector)).get("FieldSelectors")):
            if t.string(get(field, "Field")) == "resources.type" and "AWS::S3::Object" in as_list(get(field, "Equals")):
                return None
    return fail("no event selector records AWS::S3::Object data events")


@rule(
    "GuardDutyEnabled",
    ERROR,
    DETECTOR,
    info="The GuardDuty detector is disabled.",
    explanation="GuardDuty finds credential misuse, crypto mining and unusual API calls from ML workloads; a disabled "
    "detector finds nothing.",
    fix="Set Enable to true.",
    practices=("P13",),
    threats=("T9", "C7"),
)
def guardduty_enabled(r: Resource) -> Verdict | None:
    """A GuardDuty detector is enabled."""
    return require_true(r, r.prop("Enable"), "Enable")


@rule(
    "GuardDutyS3Protection",
    ERROR,
    DETECTOR,
    info="The GuardDuty detector does not protect S3.",
    explanation="S3 protection analyses data events on buckets to detect data exfiltration and suspicious access to data sets "
    "and models.",
    fix="Add Features with Name S3_DATA_EVENTS and Status ENABLED (or DataSources.S3Logs.Enable true).",
    practices=("P13",),
    threats=("T3", "T5"),
)
def guardduty_s3_protection(r: Resource) -> Verdict | None:
    """A GuardDuty detector has S3 protection enabled."""
    t = r.template
    features = t.items(r.prop("Features"))
    if not isinstance(features, Unresolved):
        for feature in features:
            feature = as_dict(t.mapping(feature))
            if t.string(feature.get("Name")) == "S3_DATA_EVENTS":
                status = t.string(feature.get("Status"))
                if status == "ENABLED":
                    return None
                if isinstance(status, Unresolved):
                    return unverifiable(f"the S3_DATA_EVENTS feature status cannot be verified: {status}")
                return fail(f"the S3_DATA_EVENTS feature is {status}")
    legacy = t.boolean(r.prop("DataSources", "S3Logs", "Enable"))
    if legacy is True:
        return None
    if isinstance(legacy, Unresolved):
        return unverifiable(f"DataSources.S3Logs.Enable cannot be verified: {legacy}")
    return fail("neither the S3_DATA_EVENTS feature nor DataSources.S3Logs is enabled")


@rule(
    "LogGroupKms",
    ERROR,
    LOG_GROUP,
    info="The log group is not encrypted with a customer managed key.",
    explanation="Logs of ML workloads carry data samples, identifiers and errors with payloads; a customer managed key "
    "controls who reads them.",
    fix="Set KmsKeyId to the ARN of a customer managed key whose policy lets logs.<region>.amazonaws.com use it.",
    practices=("P1", "P4"),
    threats=("T3", "T6"),
)
def log_group_kms(r: Resource) -> Verdict | None:
    """A log group is encrypted with a customer managed key."""
    return customer_key(r, r.prop("KmsKeyId"), "KmsKeyId")


@rule(
    "LogGroupRetention",
    ERROR,
    LOG_GROUP,
    info="The log group keeps its logs forever.",
    explanation="Compliance regimes require logs to be kept for a defined period, long enough for investigations and no "
    "longer than needed.",
    fix="Set RetentionInDays (the baseline uses 365).",
    practices=("P11", "P17"),
    threats=("C5",),
)
def log_group_retention(r: Resource) -> Verdict | None:
    """A log group has a retention period."""
    days = r.template.number(r.prop("RetentionInDays"))
    if isinstance(days, Unresolved):
        return unverifiable(f"RetentionInDays cannot be verified: {days}")
    if days is None:
        return fail("RetentionInDays is not set, so logs never expire")
    return None


@rule(
    "TopicKms",
    ERROR,
    TOPIC,
    info="The SNS topic is not encrypted with a customer managed key.",
    explanation=(
        "Alert topics carry alarm details and findings; the AWS managed aws/sns key cannot be "
        "granted to CloudWatch or EventBridge, so alerts need a customer managed key anyway."
    ),
    fix="Set KmsMasterKeyId to a customer managed key whose policy lets the publishing services use it.",
    practices=("P1", "P4"),
    threats=("T3",),
)
def topic_kms(r: Resource) -> Verdict | None:
    """An SNS topic is encrypted with a customer managed key."""
    return customer_key(r, r.prop("KmsMasterKeyId"), "KmsMasterKeyId")
