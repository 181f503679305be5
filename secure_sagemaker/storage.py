"""Encrypted, TLS-only, versioned, logged and retained S3 buckets.

``SecureBucket`` holds ML data and artifacts under a customer-managed KMS key;
``AccessLogBucket`` receives the S3 server access logs of such buckets.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Mapping, Sequence

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import (
    describe,
    fail,
    is_token,
    require_attribute,
    require_feature_flag,
    require_key,
    require_one_of,
    require_type,
)
from secure_sagemaker.acknowledgments import acknowledge, skip_checkov
from secure_sagemaker.encryption import (
    MAX_ROTATION_DAYS,
    MIN_ROTATION_DAYS,
    new_customer_managed_key,
    validate_duration_days,
)

#: Multipart uploads that never complete are deleted after this many days.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
#: Requests with an older TLS version are denied on every bucket here.
MINIMUM_TLS_VERSION = 1.2

_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_FORBIDDEN_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_FORBIDDEN_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_VPCE_ID = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$")
_PREFIX_UNSAFE = re.compile(r"[^A-Za-z0-9/_.-]")

#: S3 Object Lock accepts default retentions of up to 100 years.
MAX_OBJECT_LOCK_DAYS = 36500

#: What the VPC endpoint restriction denies outside the endpoints: reading, writing, deleting and
#: listing objects and their versions, tags, ACLs and retention. Bucket-management actions
#: (``PutBucketPolicy``, ``PutEncryptionConfiguration``, ...) are left to IAM: CloudFormation calls
#: them from outside any VPC, with its own service role, and denying them would fail the next deploy.
DATA_ACTIONS = (
    "s3:GetObject*",
    "s3:PutObject*",
    "s3:DeleteObject*",
    "s3:RestoreObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucket*",
)


def validate_bucket_name(construct: str, prop: str, value: Any) -> None:
    """Fail unless ``value`` follows the S3 general purpose bucket naming rules (tokens pass)."""
    fix = (
        "use 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit "
        "(see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)"
    )
    require_type(construct, prop, value, str, fix)
    if is_token(value):
        return
    problems = []
    if not 3 <= len(value) <= 63:
        problems.append(f"is {len(value)} characters long, not 3 to 63")
    if not _BUCKET_CHARS.match(value):
        problems.append("has characters other than lowercase letters, digits, '.' and '-'")
    if value and not (value[0].isalnum() and value[-1].isalnum()):
        problems.append("does not start and end with a letter or digit")
    if ".." in value:
        problems.append("has two adjacent periods")
    try:
        ipaddress.IPv4Address(value)
        problems.append("is formatted as an IP address")
    except ValueError:
        pass
    problems += [f"starts with the reserved prefix {p!r}" for p in _FORBIDDEN_PREFIXES if value.startswith(p)]
    problems += [f"ends with the reserved suffix {s!r}" for s in _FORBIDDEN_SUFFIXES if value.endswith(s)]
    if problems:
        raise fail(construct, prop, value, "; ".join(problems), fix)


def validate_min_days(construct: str, prop: str, value: Any, minimum: int = 1) -> None:
    """Fail unless ``value`` is a Duration of at least ``minimum`` whole days."""
    fix = f"pass cdk.Duration.days(n) with n >= {minimum}"
    require_type(construct, prop, value, cdk.Duration, fix)
    if value.is_unresolved():
        return
    days = value.to_days(integral=False)
    if days != int(days) or days < minimum:
        raise fail(construct, prop, value.to_human_string(), f"is not a whole number of days >= {minimum}", fix)


def _non_empty_strings(construct: str, prop: str, value: Any, fix: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise fail(construct, prop, value, "is not a list of strings", fix)
    if not value:
        raise fail(construct, prop, value, "is empty", fix)
    for item in value:
        require_type(construct, prop, item, str, fix)
    return list(value)


def _enforce_bucket(owner: Construct, bucket: s3.Bucket, encryption: Mapping[str, Any], *, kms_encrypted: bool) -> None:
    """Re-check at synth what every bucket of this library must keep: all public access blocked,
    versioning, and the bucket policy's denial of requests without TLS 1.2 (the pack's rules);
    ``encryption`` exactly (the ``ServerSideEncryptionByDefault``, with this key, resolved at synth
    so a key from another stack compares as the import CloudFormation will see), under the pack's
    ``BucketKmsEncryption`` when ``kms_encrypted``; and ACLs disabled."""
    stack = cdk.Stack.of(bucket)
    rules = ["BucketPublicAccessBlocked", "BucketVersioning", "BucketTlsOnly", "BucketTlsVersion"]
    enforce_rules(
        owner,
        resources=[bucket.node.default_child, bucket.policy.node.default_child],
        # Access-log buckets must be SSE-S3 (S3 log delivery accepts no other), which the rule exempts.
        rules=["BucketKmsEncryption", *rules] if kms_encrypted else rules,
        identity=[
            (
                "BucketEncryption " + json.dumps(stack.resolve(encryption), sort_keys=True),
                lambda p: (
                    [
                        r["ServerSideEncryptionByDefault"]
                        for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                    ]
                    == [stack.resolve(encryption)]
                ),
            ),
            (
                "OwnershipControls BucketOwnerEnforced (ACLs disabled)",
                lambda p: p["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}],
            ),
        ],
    )


#: Without this flag CDK admits S3 log delivery with the LogDeliveryWrite ACL, which a bucket
#: with ACLs disabled (BucketOwnerEnforced) cannot carry; with it, with a bucket policy.
LOG_DELIVERY_BY_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


def _require_log_delivery_by_policy(scope: Construct) -> None:
    require_feature_flag(
        scope,
        LOG_DELIVERY_BY_POLICY,
        "S3 log delivery must be admitted by a bucket policy: the log bucket has ACLs disabled",
    )


#: Where an AccessLogBucket's s3.Bucket points back to its construct (see SecureBucket).
_LOG_BUCKET_OWNER = "_secure_sagemaker_access_log_bucket"


_NO_SELF_LOGGING_REASON = (
    "This bucket is the target of S3 server access logs. AWS advises that a log target "
    "bucket should not log itself (each delivery would log a delivery, without end); "
    "requests to it are recorded by CloudTrail instead."
)


@jsii.implements(constructs.IValidation)
class _AcknowledgeNoSelfLoggingIfUnused:
    """At synth, before the packs run: acknowledge the log bucket's own missing access logs when no
    SecureBucket of the app logs to it (the stock packs then report it)."""

    def __init__(self, owner: "AccessLogBucket") -> None:
        self._owner = owner

    def validate(self) -> list[str]:
        if self._owner._logging_buckets == 0:
            acknowledge(
                self._owner.bucket,
                [
                    "AwsSolutions-S1",
                    "HIPAA.Security-S3BucketLoggingEnabled",
                    "NIST.800.53.R5-S3BucketLoggingEnabled",
                    "PCI.DSS.321-S3BucketLoggingEnabled",
                ],
                _NO_SELF_LOGGING_REASON,
            )
        else:
            # The stock packs exempt a bucket other buckets log to; checkov does not.
            skip_checkov(self._owner.bucket, "CKV_AWS_18", "AWS::S3::Bucket", _NO_SELF_LOGGING_REASON)
        return []


class AccessLogBucket(Construct):
    """The dedicated target of S3 server access logs.

    Encrypted with SSE-S3, because S3 server access logging supports default encryption on the
    target bucket only with Amazon S3 managed keys: "Default server-side encryption with AWS Key
    Management Service (AWS KMS) keys (SSE-KMS) is not supported" (Amazon S3 User Guide,
    *Enabling Amazon S3 server access logging*,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    The same page advises that the target bucket should not itself have server access logging.
    Both findings are acknowledged on ``.bucket``; every other control is on: TLS 1.2+ only,
    versioned, all public access blocked, ACLs disabled (bucket owner enforced), retained on stack
    deletion, and incomplete multipart uploads aborted after 7 days.

    Log delivery is admitted by a bucket policy statement that CDK adds for each bucket naming
    this one as ``server_access_logs_bucket``: ``s3:PutObject`` for ``logging.s3.amazonaws.com``
    on that bucket's prefix only, with ``aws:SourceArn`` (the source bucket) and
    ``aws:SourceAccount`` (this account) conditions.

    Keyword-only props:

    :param bucket_name: physical name, validated against the S3 naming rules.
        Default: generated by CloudFormation.
    :param log_expiration: delete log objects this long after delivery. Default: never; how long
        access logs must be kept is a compliance decision (PCI DSS asks for at least a year), so
        the construct does not guess.
    :param noncurrent_version_expiration: keep overwritten or deleted log objects recoverable for
        this long. Default: ``Duration.days(365)``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str | None = None,
        log_expiration: cdk.Duration | None = None,
        noncurrent_version_expiration: cdk.Duration = cdk.Duration.days(365),
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        _require_log_delivery_by_policy(self)
        if bucket_name is not None:
            validate_bucket_name(me, "bucket_name", bucket_name)
        if log_expiration is not None:
            validate_min_days(me, "log_expiration", log_expiration)
        validate_min_days(me, "noncurrent_version_expiration", noncurrent_version_expiration)

        self._bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=MINIMUM_TLS_VERSION,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RETAINED,
            auto_delete_objects=False,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireLogs",
                    expiration=log_expiration,
                    noncurrent_version_expiration=noncurrent_version_expiration,
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
                )
            ],
        )
        _enforce_bucket(self, self._bucket, {"SSEAlgorithm": "AES256"}, kms_encrypted=False)
        # The stock packs report a bucket that does not log, unless a bucket of its stack logs to
        # it; a SecureBucket that logs here says so, and only an unused log bucket is acknowledged
        # (an acknowledgment that suppresses nothing is reported as idle).
        self._logging_buckets = 0
        self._bucket.__dict__[_LOG_BUCKET_OWNER] = self
        self.node.add_validation(_AcknowledgeNoSelfLoggingIfUnused(self))
        acknowledge(
            self._bucket,
            [
                "HIPAA.Security-S3DefaultEncryptionKMS",
                "NIST.800.53.R5-S3DefaultEncryptionKMS",
                "PCI.DSS.321-S3DefaultEncryptionKMS",
            ],
            "S3 server access logging supports only SSE-S3 default encryption on its target "
            "bucket; SSE-KMS is not supported (Amazon S3 User Guide, Enabling Amazon S3 server "
            "access logging). Objects are encrypted at rest with SSE-S3 (AES-256).",
        )

    @property
    def bucket(self) -> s3.Bucket:
        """The log target bucket."""
        return self._bucket


class SecureBucket(Construct):
    """An S3 bucket for ML data or artifacts with every protection of the baseline on.

    - SSE-KMS with ``encryption_key`` (or a new customer-managed key) and S3 Bucket Keys (unless
      ``bucket_key_enabled=False``).
    - Uploads that ask for another encryption type, name another KMS key, or bring their own
      key (SSE-C) are denied.
      Uploads without encryption headers are allowed: the bucket's default encryption applies
      our key to them, so requiring the headers would only break ordinary clients. A key named
      in the header must be given as its full ARN (a key id or alias is denied).
    - Requests without TLS and with TLS older than 1.2 are denied.
    - All public access blocked; ACLs disabled (bucket owner enforced).
    - Versioned; noncurrent versions expire after ``noncurrent_version_expiration``;
      incomplete multipart uploads are aborted after 7 days.
    - Server access logs go to ``access_log_bucket`` (or a new :class:`AccessLogBucket`).
    - Retained on stack deletion; objects are never deleted automatically.
    - Optionally a data perimeter: object data reachable only through given VPC endpoints
      (``allowed_vpc_endpoint_ids`` or :meth:`restrict_to_vpc_endpoints`).
    - Optionally S3 Object Lock with a default retention (``object_lock_retention``).
    - Encryption, the public access block, disabled ACLs, versioning and the TLS denial are
      checked again at synthesis: setting the L1 bucket's or policy's properties afterwards so
      that one is lost fails ``cdk synth`` (a raw ``add_property_override`` escapes construct
      validation; the rule pack, which reads the final template, reports it).

    Keyword-only props:

    :param encryption_key: the KMS key for SSE-KMS. Default: a new customer-managed key (child id
        ``Key``) that rotates, is retained and may be used only through S3 in this region.
    :param key_alias: alias of the key created when ``encryption_key`` is not given, as
        ``alias/...``. Default: no alias. Conflicts with ``encryption_key``.
    :param key_rotation_period: rotation period of the created key, 90 to 2560 whole days.
        Default: ``Duration.days(365)``. Conflicts with ``encryption_key``.
    :param bucket_name: physical name, validated against the S3 naming rules unless it is a
        token. Default: generated by CloudFormation.
    :param access_log_bucket: where server access logs go. It must admit
        ``logging.s3.amazonaws.com``; CDK adds that statement only to buckets defined in this app.
        Default: a new :class:`AccessLogBucket` (child id ``AccessLogs``).
    :param access_log_prefix: key prefix of this bucket's logs in the log bucket.
        Default: this construct's path followed by ``/``.
    :param noncurrent_version_expiration: how long overwritten or deleted object versions stay
        recoverable, at least one day. Default: ``Duration.days(90)``.
    :param allowed_vpc_endpoint_ids: when given, object-level data actions (:data:`DATA_ACTIONS`:
        reading, writing, deleting and listing objects) on this bucket are denied unless the request
        comes through one of these VPC endpoints (``aws:SourceVpce``), is made by an AWS service
        principal (``aws:PrincipalIsAWSService``) or by an AWS service with the caller's credentials
        (``aws:ViaAWSService``, such as S3 calling KMS), by a service-linked role of this account, or
        by one of ``break_glass_principal_arns``; the conditions follow AWS's data-perimeter examples.
        Bucket-management actions are not denied, so CloudFormation can still update the bucket and
        its policy. Ids look like ``vpce-0123456789abcdef0``. Default: no restriction.
    :param break_glass_principal_arns: IAM role or user ARNs exempt from the VPC endpoint
        restriction (``ArnNotLikeIfExists aws:PrincipalArn``, wildcards allowed), such as an
        incident-response role. Only with ``allowed_vpc_endpoint_ids``. Default: none.
    :param object_lock_retention: turn on S3 Object Lock with this default retention
        (``s3.ObjectLockRetention.governance(Duration.days(n))`` or ``.compliance(...)``): every new
        object version is protected against overwrite and deletion until it is that old. Object
        Lock cannot be turned off again, and a bucket with it cannot receive server access logs.
        Default: none (no Object Lock: data buckets must stay deletable, e.g. for erasure requests).
    :param bucket_key_enabled: ``True`` lets S3 encrypt objects under a bucket-level data key
        (S3 Bucket Keys), which cuts KMS requests and their cost. ``False`` makes S3 call KMS for
        every object, so each object is encrypted under the writer's own encryption context (a key
        policy that checks CloudTrail's context needs that). Default ``True``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        encryption_key: kms.IKey | None = None,
        key_alias: str | None = None,
        key_rotation_period: cdk.Duration | None = None,
        bucket_name: str | None = None,
        access_log_bucket: s3.IBucket | None = None,
        access_log_prefix: str | None = None,
        noncurrent_version_expiration: cdk.Duration = cdk.Duration.days(90),
        allowed_vpc_endpoint_ids: Sequence[str] | None = None,
        break_glass_principal_arns: Sequence[str] | None = None,
        bucket_key_enabled: bool = True,
        object_lock_retention: s3.ObjectLockRetention | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_type(me, "bucket_key_enabled", bucket_key_enabled, bool, "pass True or False")
        require_one_of(
            me,
            ("encryption_key", encryption_key),
            [("key_alias", key_alias), ("key_rotation_period", key_rotation_period)],
        )
        if encryption_key is not None:
            require_key(me, "encryption_key", encryption_key, "pass a kms.Key or kms.Key.from_key_arn(...)")
        if key_rotation_period is not None:
            validate_duration_days(
                me, "key_rotation_period", key_rotation_period, MIN_ROTATION_DAYS, MAX_ROTATION_DAYS, "KMS key rotation"
            )
        if bucket_name is not None:
            validate_bucket_name(me, "bucket_name", bucket_name)
        if access_log_bucket is not None:
            require_attribute(
                me,
                "access_log_bucket",
                access_log_bucket,
                "bucket_name",
                "pass an s3.Bucket, e.g. AccessLogBucket(...).bucket",
            )
        if access_log_prefix is not None:
            require_type(me, "access_log_prefix", access_log_prefix, str, "pass a key prefix such as 'data/'")
        validate_min_days(me, "noncurrent_version_expiration", noncurrent_version_expiration)
        if allowed_vpc_endpoint_ids is None and break_glass_principal_arns is not None:
            raise fail(
                me,
                "break_glass_principal_arns",
                break_glass_principal_arns,
                "only applies together with allowed_vpc_endpoint_ids",
                "drop break_glass_principal_arns, or also pass allowed_vpc_endpoint_ids",
            )
        if object_lock_retention is not None:
            require_type(
                me,
                "object_lock_retention",
                object_lock_retention,
                s3.ObjectLockRetention,
                "pass s3.ObjectLockRetention.governance(cdk.Duration.days(365)) or .compliance(...)",
            )
        if access_log_bucket is None or isinstance(access_log_bucket, s3.Bucket):
            # A log bucket of this app gets its log-delivery statement from CDK, only with the flag.
            _require_log_delivery_by_policy(self)

        self._key = encryption_key or new_customer_managed_key(
            self,
            "Key",
            description=f"secure-sagemaker: objects of bucket {self.node.path}",
            alias=key_alias,
            rotation_period=key_rotation_period,
            via_services=("s3",),
        )
        self._access_log_bucket = access_log_bucket or AccessLogBucket(self, "AccessLogs").bucket
        log_owner = self._access_log_bucket.__dict__.get(_LOG_BUCKET_OWNER)
        if log_owner is not None:
            log_owner._logging_buckets += 1
        if access_log_prefix is None:
            access_log_prefix = _PREFIX_UNSAFE.sub("-", self.node.path) + "/"

        self._bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self._key,
            bucket_key_enabled=bucket_key_enabled,
            enforce_ssl=True,
            minimum_tls_version=MINIMUM_TLS_VERSION,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self._access_log_bucket,
            server_access_logs_prefix=access_log_prefix,
            removal_policy=RETAINED,
            auto_delete_objects=False,
            object_lock_enabled=True if object_lock_retention is not None else None,
            object_lock_default_retention=object_lock_retention,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=noncurrent_version_expiration,
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
                )
            ],
        )
        self._deny_other_encryption()
        self._vpc_endpoint_ids: list[str] = []
        if allowed_vpc_endpoint_ids is not None:
            self._restrict(allowed_vpc_endpoint_ids, break_glass_principal_arns or (), "break_glass_principal_arns")
        _enforce_bucket(
            self, self._bucket, {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": self._key.key_arn}, kms_encrypted=True
        )

    def restrict_to_vpc_endpoints(
        self, allowed_vpc_endpoint_ids: Sequence[str], *, exempt_principal_arns: Sequence[str] = ()
    ) -> None:
        """Deny object-level data actions (:data:`DATA_ACTIONS`) on this bucket unless the request
        comes through one of ``allowed_vpc_endpoint_ids``, from an AWS service (a service principal,
        or a service acting with the caller's credentials), from a service-linked role of this
        account, or from one of ``exempt_principal_arns`` (role or user ARNs, wildcards allowed).

        The same as the ``allowed_vpc_endpoint_ids`` prop, for principals created after the bucket
        (such as a release role that people assume outside the VPC). Once per bucket.
        """
        self._restrict(allowed_vpc_endpoint_ids, exempt_principal_arns, "exempt_principal_arns")

    def _restrict(self, allowed_vpc_endpoint_ids: Sequence[str], exempt: Sequence[str], exempt_prop: str) -> None:
        me = describe(self)
        if self._vpc_endpoint_ids:
            raise fail(
                me,
                "allowed_vpc_endpoint_ids",
                allowed_vpc_endpoint_ids,
                f"is a second restriction: the bucket is already restricted to {self._vpc_endpoint_ids}",
                "restrict the bucket once, with every endpoint and exempt principal",
            )
        ids = _non_empty_strings(
            me,
            "allowed_vpc_endpoint_ids",
            allowed_vpc_endpoint_ids,
            "pass ids such as ['vpce-0123456789abcdef0'], or None for no restriction",
        )
        for vpce in ids:
            if not is_token(vpce) and not _VPCE_ID.match(vpce):
                raise fail(
                    me,
                    "allowed_vpc_endpoint_ids",
                    vpce,
                    "is not a VPC endpoint id",
                    "pass ids of the form vpce-0123456789abcdef0",
                )
        fix = "pass IAM role ARNs such as ['arn:aws:iam::123456789012:role/Admin']"
        if isinstance(exempt, str) or not isinstance(exempt, Sequence):
            raise fail(me, exempt_prop, exempt, "is not a list of strings", fix)
        for arn in exempt:
            require_type(me, exempt_prop, arn, str, fix)
            if not is_token(arn) and not _PRINCIPAL_ARN.match(arn):
                raise fail(
                    me,
                    exempt_prop,
                    arn,
                    "is not an IAM principal ARN",
                    "pass ARNs such as arn:aws:iam::123456789012:role/Admin",
                )
        self._vpc_endpoint_ids = ids
        service_linked_roles = cdk.Stack.of(self).format_arn(
            service="iam", region="", resource="role", resource_name="aws-service-role/*"
        )
        self._bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyDataAccessOutsideVpcEndpoints",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(DATA_ACTIONS),
                resources=[self._bucket.bucket_arn, self._bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEquals": {"aws:SourceVpce": ids},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
                    # Service-linked roles can only be assumed by their service (AWS's examples exempt them).
                    "ArnNotLikeIfExists": {"aws:PrincipalArn": [service_linked_roles, *exempt]},
                },
            )
        )

    def _deny_other_encryption(self) -> None:
        # A negated condition on an absent key holds (IfExists or not), so each deny also names
        # the header it needs: an upload without encryption headers is not denied and gets the
        # bucket's default encryption (this key). SSE-C requests carry neither header; a stolen role
        # could re-encrypt objects under a key only the thief holds. S3 blocks SSE-C on new buckets
        # by default, which a bucket setting can undo; the third statement cannot be.
        objects = self._bucket.arn_for_objects("*")
        for sid, conditions in (
            (
                "DenyUploadsWithOtherEncryption",
                {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                },
            ),
            (
                # aws:kms without a key id would encrypt under the AWS managed key aws/s3.
                "DenyUploadsWithOtherKmsKey",
                {
                    "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                    "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": self._key.key_arn},
                },
            ),
            ("DenyCustomerProvidedKeys", {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}),
        ):
            self._bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[objects],
                    conditions=conditions,
                )
            )

    @property
    def bucket(self) -> s3.Bucket:
        """The data bucket."""
        return self._bucket

    @property
    def key(self) -> kms.IKey:
        """The KMS key that encrypts the bucket's objects (given or created)."""
        return self._key

    @property
    def access_log_bucket(self) -> s3.IBucket:
        """The bucket that receives this bucket's server access logs (given or created)."""
        return self._access_log_bucket

    @property
    def vpc_endpoint_ids(self) -> Sequence[str]:
        """The VPC endpoints object data is restricted to (empty without a restriction)."""
        return tuple(self._vpc_endpoint_ids)
