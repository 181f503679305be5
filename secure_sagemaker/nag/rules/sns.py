"""Rules for SNS topics, such as the alert topic: a customer managed key."""

from __future__ import annotations

from secure_sagemaker.nag.rule import ERROR, Verdict, rule
from secure_sagemaker.nag.rules._common import customer_key
from secure_sagemaker.nag.template import Resource

TOPIC = "AWS::SNS::Topic"


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
