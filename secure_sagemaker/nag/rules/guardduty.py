"""Rules for GuardDuty: a detector that is enabled and watches S3."""

from __future__ import annotations

from secure_sagemaker.nag.rule import ERROR, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import require_true
from secure_sagemaker.nag.template import Resource, Unresolved, as_dict

DETECTOR = "AWS::GuardDuty::Detector"


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
