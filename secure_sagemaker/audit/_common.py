"""Helpers shared by the audit constructs: naming, ARNs, key and topic checks."""

from __future__ import annotations

from typing import Any, Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from secure_sagemaker._validation import PropError, fail
from secure_sagemaker.encryption import KeyRing

ACCOUNT, REGION, PARTITION = cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION, cdk.Aws.PARTITION


def arn(service: str, resource: str, *, region: str | None = REGION, account: str | None = ACCOUNT) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` with this stack's tokens."""
    return f"arn:{PARTITION}:{service}:{region or ''}:{account or ''}:{resource}"


def require_keyring(me: str, prop: str, value: Any) -> None:
    if value is not None and not isinstance(value, KeyRing):
        raise fail(
            me, prop, value, "is not a KeyRing", "pass the KeyRing of the baseline (SecureSageMakerBaseline.keys)"
        )


def require_own_key(me: str, prop: str, value: Any) -> None:
    """Fail unless ``value`` is a key defined in this app, whose key policy the construct can extend."""
    if value is None:
        return
    if not isinstance(value, kms.Key):
        raise fail(
            me,
            prop,
            getattr(getattr(value, "node", None), "path", value),
            "is not a kms.Key defined in this app, so its key policy cannot admit the services that need it",
            "pass a kms.Key created in this app (for example from new_customer_managed_key), or a KeyRing",
        )


def require_one_key_source(me: str, keys: Any, key_prop: str, key: Any) -> None:
    if keys is not None and key is not None:
        raise PropError(
            f"{me}: both keys and {key_prop} were given, but only one key can encrypt. "
            f"Fix: drop {key_prop} to use the KeyRing's key, or drop keys to use {key_prop}."
        )


def require_topic(me: str, prop: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, str) or not hasattr(value, "topic_arn"):
        raise fail(me, prop, value, "is not an SNS topic", "pass AlertTopic(...).topic or another sns.ITopic")


def as_bucket(me: str, prop: str, value: Any) -> s3.IBucket:
    """An s3.IBucket from a bucket or from a construct with a ``.bucket`` (SecureBucket)."""
    candidate = getattr(value, "bucket", value)
    if isinstance(candidate, (str, bytes)) or not hasattr(candidate, "bucket_arn"):
        raise fail(me, prop, value, "is not an S3 bucket", "pass s3.Bucket objects or SecureBucket constructs")
    return candidate


def as_buckets(me: str, prop: str, value: Any) -> list[s3.IBucket]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise fail(
            me,
            prop,
            value,
            "is not a list of buckets",
            "pass a list such as [baseline.data_bucket, baseline.models_bucket]",
        )
    return [as_bucket(me, prop, item) for item in value]


def key_once(key: kms.Key, marker: str) -> bool:
    """True the first time ``marker`` is asked for on ``key``: its statements are then added once.

    A key shared by two constructs (a KeyRing's key) must not receive the same service statement
    twice; an empty child construct marks that it already has.
    """
    if key.node.try_find_child(marker) is not None:
        return False
    Construct(key, marker)
    return True


def ring_key(keys: KeyRing, purpose: str, *, description: str, via_services: Sequence[str]) -> kms.Key:
    """The ring's key for ``purpose``, added on first use (several audit constructs share it)."""
    if purpose in keys.keys:
        return keys.key(purpose)
    return keys.add_key(purpose, description=description, via_services=via_services)


#: The KeyRing purpose of the key that encrypts audit records: trail log files and Config snapshots.
AUDIT_KEY_PURPOSE = "audit"


def audit_key(keys: KeyRing) -> kms.Key:
    """The ring's ``audit`` key, usable by IAM principals of the account through S3 only."""
    return ring_key(
        keys,
        AUDIT_KEY_PURPOSE,
        description="secure-sagemaker: audit records (CloudTrail, AWS Config)",
        via_services=("s3",),
    )
