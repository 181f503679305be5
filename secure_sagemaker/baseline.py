"""The composed baseline: keys, buckets and the private network, in one construct and one stack."""

from __future__ import annotations

from typing import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_sagemaker.acknowledgments import acknowledge
from secure_sagemaker.config import BaselineConfig, log_retention
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.network import PrivateNetwork
from secure_sagemaker.storage import AccessLogBucket, SecureBucket

_REPLICATION_REASON = (
    "Cross-Region replication is a disaster-recovery choice: it needs a second Region with a "
    "destination bucket and key there, which this single-Region baseline does not own. Within the "
    "Region, objects are protected by S3's multi-AZ durability, versioning with retained noncurrent "
    "versions, the Retain deletion policy and deny-by-default bucket policies. Deployments with a "
    "Region-level recovery objective add replication and drop this acknowledgment."
)


class SecureSageMakerBaseline(Construct):
    """The hardened SageMaker data plane: customer-managed keys, encrypted buckets, a private VPC.

    Read-only attributes: ``keys`` (:class:`KeyRing`), ``network`` (:class:`PrivateNetwork`),
    ``access_logs`` (:class:`AccessLogBucket`), ``data_bucket`` and ``models_bucket``
    (:class:`SecureBucket`, encrypted with the data and models keys).

    :param key_alias_prefix: KMS aliases are ``alias/<prefix>/<purpose>``. Default ``"secure-sagemaker"``.
    :param key_rotation_period: rotation period of every key (always on). Default 365 days.
    :param vpc_cidr: CIDR of the VPC created here. Default ``"10.0.0.0/16"`` (by PrivateNetwork).
    :param max_azs: availability zones for the isolated subnets. Default 2 (by PrivateNetwork).
    :param availability_zones: explicit zones instead of ``max_azs``. Default none.
    :param vpc: an existing VPC to use instead of creating one. Default none.
    :param subnets: isolated subnets of ``vpc`` for SageMaker. Default: the VPC's isolated subnets.
    :param s3_prefix_list_id: the region's S3 managed prefix list, so workloads reach S3 through
        the gateway endpoint. Default none (no S3 egress rule; see PrivateNetwork).
    :param log_retention: retention of the log groups created here. Default one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key_alias_prefix: str = "secure-sagemaker",
        key_rotation_period: cdk.Duration | None = None,
        vpc_cidr: str | None = None,
        max_azs: int | None = None,
        availability_zones: Sequence[str] | None = None,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        s3_prefix_list_id: str | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, construct_id)
        self.keys = KeyRing(
            self,
            "Keys",
            alias_prefix=key_alias_prefix,
            rotation_period=key_rotation_period or cdk.Duration.days(365),
        )
        self.network = PrivateNetwork(
            self,
            "Network",
            logs_key=self.keys.logs_key,
            cidr=vpc_cidr,
            max_azs=max_azs,
            availability_zones=availability_zones,
            vpc=vpc,
            subnets=subnets,
            s3_prefix_list_id=s3_prefix_list_id,
            flow_log_retention=log_retention,
        )
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.data_bucket = SecureBucket(
            self, "DataBucket", encryption_key=self.keys.data_key, access_log_bucket=self.access_logs.bucket
        )
        self.models_bucket = SecureBucket(
            self, "ModelsBucket", encryption_key=self.keys.models_key, access_log_bucket=self.access_logs.bucket
        )
        for bucket in (self.data_bucket, self.models_bucket, self.access_logs):
            acknowledge(
                bucket.bucket,
                [
                    "HIPAA.Security-S3BucketReplicationEnabled",
                    "NIST.800.53.R5-S3BucketReplicationEnabled",
                    "PCI.DSS.321-S3BucketReplicationEnabled",
                ],
                _REPLICATION_REASON,
            )


class SecureSageMakerStack(cdk.Stack):
    """The baseline as a deployable, environment-agnostic stack configured from `cdk.json` context.

    Read-only attribute: ``baseline`` (:class:`SecureSageMakerBaseline`).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: BaselineConfig | None = None, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = config or BaselineConfig.from_context(self.node)
        self.baseline = SecureSageMakerBaseline(
            self,
            "Baseline",
            key_alias_prefix=config.key_alias_prefix,
            key_rotation_period=cdk.Duration.days(config.key_rotation_days),
            vpc_cidr=config.vpc_cidr,
            max_azs=config.max_azs,
            s3_prefix_list_id=config.s3_prefix_list_id,
            log_retention=log_retention(config.log_retention_days),
        )

