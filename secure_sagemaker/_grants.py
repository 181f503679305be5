"""Grants from a workload construct to the execution role it was given.

A construct that takes a role grants it exactly what it uses (the CDK's convention): with an
:class:`~secure_sagemaker.identity.ExecutionRole` the grant lands in the role's customer-managed
policy. With any other ``iam.IRole`` nothing is granted, because this library never adds inline
policies to a role it does not own: each construct's docstring says what the caller must grant.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from secure_sagemaker._validation import is_token
from secure_sagemaker.identity import ExecutionRole, S3Prefix


def execution_role_behind(role: iam.IRole | None) -> ExecutionRole | None:
    """The ExecutionRole whose ``role`` is ``role``, or None for any other role (or None)."""
    owner = getattr(getattr(role, "node", None), "scope", None)
    return owner if isinstance(owner, ExecutionRole) and owner.role is role else None


def object_prefix(bucket: s3.IBucket, url: Any) -> str | None:
    """The literal key prefix of ``url`` (``s3://<bucket>/<key>``): the key's folder, or the key
    itself when it ends in ``/``. None when the key is a token or has no folder."""
    head = f"s3://{bucket.bucket_name}/"
    if not isinstance(url, str) or not url.startswith(head):
        return None
    key = url[len(head) :]
    if is_token(key):
        return None
    folder = key if key.endswith("/") else key.rpartition("/")[0]
    return folder or None


def grant_read(role: iam.IRole | None, bucket: s3.IBucket | str, prefix: str | None) -> None:
    """Let ``role`` read under ``prefix`` of ``bucket`` (a bucket or bucket name; and use the bucket's key),
    if it is an ExecutionRole. No prefix (or a token) grants nothing: never a whole bucket by accident."""
    owner = execution_role_behind(role)
    if owner is not None and prefix and not is_token(prefix):
        owner.grant_read(S3Prefix(bucket, prefix))


def grant_read_write(role: iam.IRole | None, bucket: s3.IBucket, prefix: str) -> None:
    """Let ``role`` read and write under ``prefix`` of ``bucket``, if it is an ExecutionRole."""
    owner = execution_role_behind(role)
    if owner is not None and not is_token(prefix):
        owner.grant_read_write(S3Prefix(bucket, prefix))


def grant_encrypt_decrypt(role: iam.IRole | None, key: kms.IKey) -> None:
    """Let ``role`` use ``key``, if it is an ExecutionRole."""
    owner = execution_role_behind(role)
    if owner is not None:
        owner.grant_encrypt_decrypt(key)


def grant_pull(role: iam.IRole | None, repository: Any) -> None:
    """Let ``role`` pull images from ``repository``, if it is an ExecutionRole."""
    owner = execution_role_behind(role)
    if owner is not None:
        owner.grant_pull(repository)
