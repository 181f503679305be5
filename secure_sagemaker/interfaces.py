"""What the workload constructs accept: small protocols that our classes and a user's resources satisfy.

A construct that runs in the private network or writes to an encrypted bucket reads only a few
attributes of it. Those attributes are the protocol, so a network or bucket made elsewhere (an
imported VPC, a bucket of another stack or app) works as well as a :class:`PrivateNetwork` or a
:class:`SecureBucket`:

- :class:`WorkloadNetwork`: ``vpc``, ``subnets`` (the isolated subnets, as a selection) and
  ``workload_security_group``. :class:`PrivateNetwork` satisfies it; :class:`ImportedNetwork`
  wraps a VPC, isolated subnets and a security group made elsewhere.
- :class:`EncryptedBucket`: ``bucket`` and the customer-managed ``key`` that encrypts it.
  :class:`SecureBucket` satisfies it; :class:`EncryptedBucketRef` pairs any ``s3.IBucket`` with
  its ``kms.IKey``.

jsii interfaces are not runtime-checkable, so the checks here are structural: the attributes a
construct reads, and what can be known of them (an isolated subnet of the VPC, a key and not an
alias). A failure is a PropError that names the prop and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from secure_sagemaker._validation import fail, require_attribute, require_key, require_one_of


class WorkloadNetwork(Protocol):
    """A private network that SageMaker workloads run in."""

    @property
    def vpc(self) -> ec2.IVpc:
        """The VPC."""

    @property
    def subnets(self) -> ec2.SubnetSelection:
        """The isolated subnets (no route to the internet) that workloads use."""

    @property
    def workload_security_group(self) -> ec2.ISecurityGroup:
        """The security group of the workloads, which the VPC's interface endpoints admit."""


class EncryptedBucket(Protocol):
    """A bucket and the customer-managed KMS key its objects are encrypted with."""

    @property
    def bucket(self) -> s3.IBucket:
        """The bucket."""

    @property
    def key(self) -> kms.IKey:
        """The customer-managed key of the bucket's objects."""


@dataclass(frozen=True)
class ImportedNetwork:
    """A :class:`WorkloadNetwork` made elsewhere: another stack, another app or the console.

    ``isolated_subnets`` must be isolated subnets of ``vpc`` as the VPC declares them
    (``vpc.isolated_subnets``; for an imported VPC, ``isolated_subnet_ids`` of
    ``ec2.Vpc.from_vpc_attributes``), the same rule :class:`PrivateNetwork` applies to an existing
    VPC. The VPC's interface endpoints for the SageMaker APIs must admit
    ``workload_security_group``: this library cannot see them.

    :param vpc: the VPC (``ec2.IVpc``).
    :param isolated_subnets: the isolated subnets workloads use, at least one.
    :param workload_security_group: the workloads' security group (``ec2.ISecurityGroup``).
    """

    vpc: ec2.IVpc
    isolated_subnets: Sequence[ec2.ISubnet]
    workload_security_group: ec2.ISecurityGroup

    @property
    def subnets(self) -> ec2.SubnetSelection:
        """``isolated_subnets`` as a subnet selection."""
        return ec2.SubnetSelection(subnets=list(self.isolated_subnets))


@dataclass(frozen=True)
class EncryptedBucketRef:
    """An :class:`EncryptedBucket` made of any bucket (imported, of another stack) and its key.

    The constructs that write to it name ``key`` in every write they configure (data capture,
    monitoring output, offline store, shared notebooks), so objects are encrypted with it whatever
    the bucket's default encryption is.

    :param bucket: the bucket (``s3.IBucket``).
    :param key: the customer-managed KMS key of its objects (``kms.IKey``, not an alias).
    """

    bucket: s3.IBucket
    key: kms.IKey


class InferenceEndpoint(Protocol):
    """A SageMaker endpoint that can be invoked; :class:`SecureEndpoint` satisfies it."""

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name."""

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""


@dataclass(frozen=True)
class EndpointRef:
    """An :class:`InferenceEndpoint` deployed elsewhere (another stack, app or account).

    Its controls (encryption, data capture, alarms) are then that deployment's to prove: this
    library checks only what it builds.

    :param endpoint_name: the endpoint's name.
    :param endpoint_arn: the endpoint's ARN.
    """

    endpoint_name: str
    endpoint_arn: str


_NETWORK_FIX = (
    "pass a PrivateNetwork, or ImportedNetwork(vpc=..., isolated_subnets=[...], workload_security_group=...) "
    "for a network made elsewhere"
)


def require_network(construct: str, prop: str, value: Any) -> WorkloadNetwork:
    """``value`` if it is a :class:`WorkloadNetwork` whose subnets are isolated subnets of its VPC."""
    for attribute in ("vpc", "subnets", "workload_security_group"):
        require_attribute(construct, prop, value, attribute, _NETWORK_FIX)
    require_attribute(construct, f"{prop}.vpc", value.vpc, "vpc_id", "pass an ec2.IVpc")
    require_attribute(
        construct, f"{prop}.workload_security_group", value.workload_security_group, "security_group_id", _NETWORK_FIX
    )
    subnets = getattr(value.subnets, "subnets", None)
    if isinstance(subnets, (str, bytes)) or not isinstance(subnets, Sequence) or not subnets:
        raise fail(construct, f"{prop}.subnets", subnets, "is not a non-empty list of subnets", _NETWORK_FIX)
    isolated_ids = {s.subnet_id for s in value.vpc.isolated_subnets}
    for subnet in subnets:
        require_attribute(construct, f"{prop}.subnets", subnet, "subnet_id", _NETWORK_FIX)
        if subnet.subnet_id not in isolated_ids:
            raise fail(
                construct,
                f"{prop}.subnets",
                subnet.subnet_id,
                "is not an isolated subnet of the network's VPC (a subnet with a route to the internet would "
                "undo the private network)",
                "pass subnets from vpc.isolated_subnets (for an imported VPC, declare them with isolated_subnet_ids)",
            )
    return value


def is_encrypted_bucket(value: Any) -> bool:
    """Whether ``value`` has the shape of an :class:`EncryptedBucket` (and is not itself a bucket)."""
    return hasattr(value, "bucket") and hasattr(value, "key") and not hasattr(value, "bucket_name")


def require_encrypted_bucket(
    construct: str, prop: str, value: Any, *, key: Any = None, key_prop: str | None = None
) -> EncryptedBucket:
    """``value`` as an :class:`EncryptedBucket`; fails unless a customer-managed key is known for it.

    Accepted: an EncryptedBucket (a SecureBucket, an EncryptedBucketRef), or an ``s3.IBucket`` with
    a key, given as ``key`` (the construct's ``key_prop``) or known to the bucket
    (``encryption_key`` of an ``s3.Bucket`` or of ``s3.Bucket.from_bucket_attributes``).
    """
    fix = "pass a SecureBucket, or EncryptedBucketRef(bucket=..., key=...) for a bucket made elsewhere"
    if is_encrypted_bucket(value):
        if key_prop is not None:
            require_one_of(construct, (prop, value), [(key_prop, key)])
        require_attribute(construct, f"{prop}.bucket", value.bucket, "bucket_name", fix)
        require_key(construct, f"{prop}.key", value.key, fix)
        return value
    require_attribute(construct, prop, value, "bucket_name", fix)
    key = key if key is not None else getattr(value, "encryption_key", None)
    if key is None:
        problem = "has no known encryption key, so its objects may not be encrypted with a customer-managed key"
        if key_prop is None:
            raise fail(construct, prop, value.node.path, problem, fix + ", or import the bucket with encryption_key")
        raise fail(
            construct,
            key_prop,
            None,
            f"is missing and bucket {value.node.path} {problem}",
            f"pass {key_prop}, import the bucket with encryption_key, or pass a SecureBucket or an EncryptedBucketRef",
        )
    require_key(construct, key_prop or f"{prop}.encryption_key", key, fix)
    return EncryptedBucketRef(bucket=value, key=key)


__all__ = [
    "EncryptedBucket",
    "EncryptedBucketRef",
    "EndpointRef",
    "ImportedNetwork",
    "InferenceEndpoint",
    "WorkloadNetwork",
    "is_encrypted_bucket",
    "require_encrypted_bucket",
    "require_network",
]
