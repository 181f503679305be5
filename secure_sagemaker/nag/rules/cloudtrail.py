"""Rules for CloudTrail trails: logging, every region, validated log files, a customer managed key, CloudWatch Logs, and
S3 data events on the ML buckets."""

from __future__ import annotations

from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import customer_key, merge, require_true
from secure_sagemaker.nag.template import Resource, Unresolved, as_dict, as_list, get

TRAIL = "AWS::CloudTrail::Trail"


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
    "TrailLogging",
    ERROR,
    TRAIL,
    info="The CloudTrail trail is not logging.",
    explanation="A trail with IsLogging false is declared but records nothing: every other setting of it protects an "
    "empty log. Stopping a trail is what an intruder does first; the template must not do it for them.",
    fix="Set IsLogging to true.",
    practices=("P12", "P16"),
    threats=("C7", "T9"),
)
def trail_logging(r: Resource) -> Verdict | None:
    """A CloudTrail trail is logging."""
    return require_true(r, r.prop("IsLogging"), "IsLogging")


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
