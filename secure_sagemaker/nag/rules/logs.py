"""Rules for CloudWatch Logs log groups: a customer managed key and a retention period."""

from __future__ import annotations

from secure_sagemaker.nag.rule import ERROR, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import customer_key
from secure_sagemaker.nag.template import Resource, Unresolved

LOG_GROUP = "AWS::Logs::LogGroup"


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
