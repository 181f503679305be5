"""Least-privilege SageMaker execution roles, and guardrails for the people who launch workloads.

:class:`ExecutionRole` is the role SageMaker assumes to run a job, notebook, model or Studio app.
It is trusted by ``sagemaker.amazonaws.com`` of this account and region only (confused-deputy
conditions), and its one customer-managed policy is built from what it is given or granted
(``grant_read``, ``grant_read_write``, ``grant_encrypt_decrypt``, ``grant_pull``): buckets and
prefixes, keys, ECR repositories, its log groups, metric namespaces, subnets and security groups.

:class:`Guardrails` is a customer-managed policy of ``Deny`` statements for data-scientist roles:
SageMaker workloads created through the API must run in the approved subnets and security groups,
use the approved keys, isolate their network, encrypt traffic between containers, keep notebooks
off the internet and without root, and only the listed execution roles may be passed, to SageMaker
only. Every (action, condition key) pair it relies on is in :data:`GUARDRAIL_CONDITIONS`, taken
from the Service Authorization Reference for SageMaker; ``docs/identity.md`` explains them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence, Union

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct, IValidation

from secure_sagemaker._validation import (
    STRING_TOKEN_MARKER,
    PropError,
    describe,
    fail,
    is_token,
    require_type,
    s3_key_prefix,
)
from secure_sagemaker.acknowledgments import acknowledge, flatten_cfn_reference
from secure_sagemaker.guardrail_statements import (
    DEFAULT_OWNER_TAG,
    GUARDRAIL_POLICY_PATH,
    INSTANCE_STORAGE_EXEMPT_ACTIONS,
    INSTANCE_TYPES,
    instance_type_statements,
    invoke_statements,
    lifecycle_statements,
    presigned_url_statements,
    self_protection_statements,
    space_statements,
    split_statements,
    storage_type_patterns,
)
from secure_sagemaker.storage import validate_bucket_name

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"

# --- ExecutionRole ----------------------------------------------------------------------------

#: Every action the execution role is allowed on ``Resource: "*"``, with the reason. These APIs
#: have no resource type in the Service Authorization Reference, so IAM accepts no narrower
#: resource for them. ``docs/identity.md`` lists the same table.
RESOURCE_STAR_ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "ecr:GetAuthorizationToken": "returns a registry login token; ECR defines no resource for it. "
        "Image pulls themselves are allowed only on the named repositories.",
        "cloudwatch:PutMetricData": "CloudWatch metrics have no ARN; the cloudwatch:namespace "
        "condition limits the role to the listed namespaces.",
        "ec2:DescribeDhcpOptions": "EC2 Describe* calls support no resource-level permissions; "
        "SageMaker reads the VPC's DNS settings before placing network interfaces.",
        "ec2:DescribeNetworkInterfaces": "EC2 Describe* calls support no resource-level permissions; "
        "SageMaker tracks the interfaces it created.",
        "ec2:DescribeSecurityGroups": "EC2 Describe* calls support no resource-level permissions; "
        "SageMaker checks the security groups it was given.",
        "ec2:DescribeSubnets": "EC2 Describe* calls support no resource-level permissions; "
        "SageMaker checks the subnets it was given.",
        "ec2:DescribeVpcs": "EC2 Describe* calls support no resource-level permissions; "
        "SageMaker checks the VPC of the subnets it was given.",
    }
)

#: Log groups SageMaker writes to for training (and tuning), processing, batch transform,
#: real-time endpoints (one group per endpoint), notebook instances and Studio.
DEFAULT_LOG_GROUPS = (
    "/aws/sagemaker/TrainingJobs",
    "/aws/sagemaker/ProcessingJobs",
    "/aws/sagemaker/TransformJobs",
    "/aws/sagemaker/Endpoints/*",
    "/aws/sagemaker/NotebookInstances",
    "/aws/sagemaker/studio",
)
#: CloudWatch namespaces the role may publish metrics to.
DEFAULT_METRIC_NAMESPACES = (
    "/aws/sagemaker/TrainingJobs",
    "/aws/sagemaker/ProcessingJobs",
    "/aws/sagemaker/TransformJobs",
    "/aws/sagemaker/Endpoints",
)

S3_READ_OBJECT_ACTIONS = ("s3:GetObject",)
# Write prefixes are read-write: checkpoints are read back on resume. No s3:DeleteObject; SageMaker
# jobs do not need it, and the buckets are versioned.
S3_WRITE_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject")
S3_LIST_ACTIONS = ("s3:ListBucket",)
#: Never under an ``s3:prefix`` condition: GetBucketLocation requests carry no prefix, so such a
#: condition would never match and the action would never be allowed.
S3_LOCATION_ACTIONS = ("s3:GetBucketLocation",)
KMS_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
LOGS_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
ENI_MANAGE_ACTIONS = (
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
EC2_DESCRIBE_ACTIONS = tuple(a for a in RESOURCE_STAR_ACTIONS if a.startswith("ec2:"))

_LOG_GROUP = re.compile(r"^/aws/sagemaker/[A-Za-z0-9._#-]+(/[A-Za-z0-9._#-]+)*(/\*)?$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9./_#:-]{1,255}$")
_REPOSITORY_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
_SAGEMAKER_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:\S+$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_WILDCARDS = ("*", "?")

BucketRef = Union[s3.IBucket, str]


@dataclass(frozen=True)
class S3Prefix:
    """A key prefix in one bucket, e.g. ``S3Prefix(data.bucket, "datasets/train/")``.

    :param bucket: the bucket, as an ``s3.IBucket`` or a bucket name in this partition.
    :param prefix: the key prefix, without a leading ``/`` and without wildcards. A trailing
        ``/`` is added when missing, so ``"train"`` never also matches ``"training/"``.
    """

    bucket: BucketRef
    prefix: str


#: ``_resolved`` of each token string seen. A token's string (``${Token[TOKEN.23]}``) is unique in
#: the process, and before references are prepared for synthesis (when these are compared) a token
#: resolves alike in every stack, so each is resolved once instead of at every comparison.
_RESOLVED_TOKEN_TEXT: dict[str, str] = {}


def _resolved(scope: Construct, value: Any) -> str:
    """A stable text form of ``value`` with tokens resolved, to compare and to search for ``*``."""
    if not isinstance(value, str):
        return json.dumps(cdk.Stack.of(scope).resolve(value), sort_keys=True)
    if STRING_TOKEN_MARKER not in value:
        return json.dumps(value)  # a literal resolves to itself
    text = _RESOLVED_TOKEN_TEXT.get(value)
    if text is None:
        text = _RESOLVED_TOKEN_TEXT[value] = json.dumps(cdk.Stack.of(scope).resolve(value), sort_keys=True)
    return text


def _as_list(me: str, prop: str, value: Any, fix: str, *, allow_empty: bool = True) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise fail(me, prop, value, "is not a list", fix)
    if not value and not allow_empty:
        raise fail(me, prop, list(value), "is empty", fix)
    return list(value)


def _no_wildcard(me: str, prop: str, shown: Any, text: str, what: str, fix: str) -> None:
    if any(w in text for w in _WILDCARDS):
        raise fail(me, prop, shown, f"contains a wildcard, so it names every {what} that matches, not one", fix)


def _subnet_ids(me: str, prop: str, value: Any, *, required: bool) -> list[str]:
    if isinstance(value, ec2.SubnetSelection):
        if value.subnets is None:
            raise fail(
                me,
                prop,
                value,
                "selects subnets by type or group, not by id",
                "pass the subnets themselves, e.g. network.subnets.subnets",
            )
        value = value.subnets
    fix = "pass the isolated subnets (ec2.ISubnet or 'subnet-...' ids), e.g. network.subnets.subnets"
    ids = []
    for item in _as_list(me, prop, value, fix, allow_empty=not required):
        subnet_id = item if isinstance(item, str) else getattr(item, "subnet_id", None)
        if not isinstance(subnet_id, str) or not (is_token(subnet_id) or _SUBNET_ID.match(subnet_id)):
            raise fail(me, prop, item, "is not a subnet or subnet id", fix)
        ids.append(subnet_id)
    return ids


def _security_group_ids(me: str, prop: str, value: Any, *, required: bool) -> list[str]:
    fix = "pass security groups (ec2.ISecurityGroup or 'sg-...' ids), e.g. [network.workload_security_group]"
    ids = []
    for item in _as_list(me, prop, value, fix, allow_empty=not required):
        group_id = item if isinstance(item, str) else getattr(item, "security_group_id", None)
        if not isinstance(group_id, str) or not (is_token(group_id) or _SECURITY_GROUP_ID.match(group_id)):
            raise fail(me, prop, item, "is not a security group or security group id", fix)
        ids.append(group_id)
    return ids


def _key_arns(scope: Construct, me: str, prop: str, value: Any, *, required: bool) -> list[str]:
    fix = "pass kms.IKey objects (a KeyRing key, or kms.Key.from_key_arn with a full key ARN)"
    arns = []
    for key in _as_list(me, prop, value, fix, allow_empty=not required):
        if hasattr(key, "alias_name"):  # checked first: an imported alias raises on key_arn
            raise fail(
                me,
                prop,
                key.node.path,
                "is a KMS alias, which IAM does not match against the key",
                "pass the key itself (alias.alias_target_key)",
            )
        if isinstance(key, str) or not hasattr(key, "key_arn"):
            raise fail(me, prop, key, "is not a KMS key", fix)
        _no_wildcard(
            me, prop, key.node.path, _resolved(scope, key.key_arn), "key", "pass one key per entry, by its full ARN"
        )
        arns.append(key.key_arn)
    return arns


_STAR_REASON = (
    "Resource '*' only for actions that have no resource-level permissions in the Service "
    "Authorization Reference (RESOURCE_STAR_ACTIONS, listed with reasons in docs/identity.md): "
    "EC2 Describe* calls, ecr:GetAuthorizationToken, and cloudwatch:PutMetricData, which a "
    "cloudwatch:namespace condition limits to the SageMaker namespaces."
)
_PREFIX_REASON = (
    "Objects under a named prefix of a named bucket (bucket/prefix/*): SageMaker reads and writes "
    "keys it generates under the prefix the caller configured, so no policy can enumerate them."
)
_LOGS_REASON = (
    "Log groups under /aws/sagemaker/ named by the caller and their log streams (group:*): "
    "SageMaker names a stream per job or instance, and a group per endpoint under Endpoints/."
)
_ENI_REASON = (
    "Network interfaces SageMaker creates for VPC placement have no id before they exist; "
    "creation is limited to the given subnets and security groups, every other interface action "
    "to interfaces in the given subnets (ec2:Subnet)."
)
#: Why each statement of the execution role's policy may hold a wildcard resource.
_WILDCARD_REASONS = {
    "ReadObjects": _PREFIX_REASON,
    "ReadWriteObjects": _PREFIX_REASON,
    "EcrLogin": _STAR_REASON,
    "WriteLogs": _LOGS_REASON,
    "PutMetrics": _STAR_REASON,
    "CreateInterfacesInGivenSubnets": _ENI_REASON,
    "ManageInterfacesInGivenSubnets": _ENI_REASON,
    "DescribeNetwork": _STAR_REASON,
}


@jsii.implements(iam.IGrantable)
class ExecutionRole(Construct):
    """A SageMaker execution role whose permissions come only from its props and grants.

    An ``iam.IGrantable``: constructs given this role grant it exactly what they use through
    :meth:`grant_read`, :meth:`grant_read_write`, :meth:`grant_encrypt_decrypt` and
    :meth:`grant_pull`, which append to the same customer-managed policy as the props (the props
    are grants made at construction). The policy is rendered when the app is synthesized, so
    grants made after construction are included; synthesis fails if the policy is empty or would
    exceed IAM's managed-policy size. The CDK's own ``grant*`` methods (``bucket.grant_read(role)``)
    also work through ``grant_principal``, but add an inline policy; prefer the methods here.

    Trust: ``sagemaker.amazonaws.com`` may assume it only with ``aws:SourceAccount`` equal to this
    account and ``aws:SourceArn`` like ``source_arns`` (confused-deputy protection).

    Permissions, in one customer-managed policy (never an inline or AWS managed policy, never an
    action with ``*``):

    - ``s3:GetObject`` under ``read_buckets``; read and write (``GetObject``, ``PutObject``,
      multipart upload parts and aborts; no delete) under ``write_prefixes``; ``s3:ListBucket``
      (restricted to the prefixes with ``s3:prefix``) and, with no condition (its requests carry
      no prefix), ``s3:GetBucketLocation`` on their buckets.
    - ``kms:Decrypt``, ``Encrypt``, ``GenerateDataKey``, ``DescribeKey`` and, for AWS resources
      only (``kms:GrantIsForAWSResource``), ``kms:CreateGrant`` on ``keys`` and on the encryption
      key of every bucket given as an ``s3.IBucket`` that has one.
    - Image pulls from ``ecr_repositories``, plus ``ecr:GetAuthorizationToken`` (``Resource: "*"``).
    - Writing to ``log_groups`` (log group and its streams).
    - ``cloudwatch:PutMetricData`` (``Resource: "*"``) only in ``metric_namespaces``.
    - With ``subnets`` and ``security_groups``: ``ec2:CreateNetworkInterface`` only in those
      subnets with those security groups; creating and deleting interface permissions and deleting
      interfaces only for interfaces in those subnets (``ec2:Subnet``); and the Describe calls
      SageMaker makes first (``Resource: "*"``).

    Every ``Resource: "*"`` action is in :data:`RESOURCE_STAR_ACTIONS` with its reason.

    Keyword-only props:

    :param read_buckets: read-only locations: an ``s3.IBucket`` or bucket name for the whole
        bucket, or an :class:`S3Prefix` for one prefix. Default: none.
    :param write_prefixes: read-write locations, each an :class:`S3Prefix` with a non-empty prefix
        (write access to a whole bucket is refused). A write prefix that equals, contains or lies
        inside a ``read_buckets`` location is an error, since that location is read-only.
        Default: none.
    :param keys: further KMS keys the role may use (e.g. a volume or output key). Default: none.
    :param ecr_repositories: repositories to pull images from, as ``ecr.IRepository`` or
        repository ARNs, without wildcards. Default: none (and no ECR permission at all).
    :param log_groups: log group names under ``/aws/sagemaker/``; a final ``/*`` covers groups
        named per resource (endpoints). Default: :data:`DEFAULT_LOG_GROUPS`.
    :param metric_namespaces: CloudWatch namespaces for ``PutMetricData``; pass ``()`` for none.
        Default: :data:`DEFAULT_METRIC_NAMESPACES`.
    :param subnets: the subnets SageMaker may place network interfaces in, as ``ec2.ISubnet``,
        ``subnet-...`` ids or a ``SubnetSelection`` of explicit subnets. Requires
        ``security_groups``. Default: none (and no EC2 permission at all).
    :param security_groups: the security groups those interfaces may use, as
        ``ec2.ISecurityGroup`` or ``sg-...`` ids. Requires ``subnets``. Default: none.
    :param source_arns: ``aws:SourceArn`` patterns allowed to assume the role, narrower when the
        caller is known (e.g. ``arn:aws:sagemaker:eu-west-1:111122223333:training-job/*``).
        Default: any SageMaker resource of this account and region.
    :param permissions_boundary: a managed policy capping the role's permissions. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        read_buckets: Sequence[BucketRef | S3Prefix] = (),
        write_prefixes: Sequence[S3Prefix] = (),
        keys: Sequence[kms.IKey] = (),
        ecr_repositories: Sequence[ecr.IRepository | str] = (),
        log_groups: Sequence[str] = DEFAULT_LOG_GROUPS,
        metric_namespaces: Sequence[str] = DEFAULT_METRIC_NAMESPACES,
        subnets: Sequence[ec2.ISubnet | str] | ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup | str] | None = None,
        source_arns: Sequence[str] | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._me = describe(self)
        stack = cdk.Stack.of(self)
        self._bucket_identities: dict[int, tuple[s3.IBucket, str]] = {}
        self._reads: list[tuple[BucketRef, str]] = []
        self._writes: list[tuple[BucketRef, str]] = []
        self._read_only: set[tuple[str, str]] = set()  # the read_buckets locations: writes must avoid them
        self._key_arns: list[str] = []
        self._repository_arns: list[str] = []
        self._rendered: list[iam.PolicyStatement] | None = None

        reads = [
            self._location("read_buckets", item, prefix_required=False)
            for item in _as_list(self._me, "read_buckets", read_buckets, "pass buckets or S3Prefix values")
        ]
        writes = [
            self._location("write_prefixes", item, prefix_required=True)
            for item in _as_list(self._me, "write_prefixes", write_prefixes, "pass S3Prefix values")
        ]
        self._check_overlaps(reads, writes)
        key_arns = _key_arns(self, self._me, "keys", keys, required=False)
        repository_arns = self._repositories("ecr_repositories", ecr_repositories)
        self._log_group_names = self._log_groups(log_groups)
        self._namespaces_allowed = self._namespaces(metric_namespaces)
        self._subnet_ids, self._group_ids = self._network(subnets, security_groups)
        if permissions_boundary is not None and not hasattr(permissions_boundary, "managed_policy_arn"):
            raise fail(
                self._me,
                "permissions_boundary",
                permissions_boundary,
                "is not a managed policy",
                "pass an iam.IManagedPolicy, or None",
            )
        if source_arns is None:
            source_arns = [
                stack.format_arn(service="sagemaker", resource="*", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
            ]
        else:
            source_arns = self._source_arns(source_arns)

        trust_conditions = {
            "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": source_arns},
        }
        self._role = iam.Role(
            self,
            "Role",
            description=f"secure-sagemaker: SageMaker execution role {self.node.path}",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE, conditions=trust_conditions),
            permissions_boundary=permissions_boundary,
        )
        # Studio domains record who acted (ExecutionRoleIdentityConfig USER_PROFILE_NAME) by setting
        # the source identity when they assume the role; CloudTrail then names the user profile.
        self._role.assume_role_policy.add_statements(
            iam.PolicyStatement(
                actions=["sts:SetSourceIdentity"],
                principals=[iam.ServicePrincipal(SAGEMAKER_SERVICE)],
                conditions=trust_conditions,
            )
        )
        # The props are grants made at construction; later grant_* calls append to the same policy.
        for locations, given in ((self._reads, reads), (self._writes, writes)):
            for bucket, prefix in given:
                self._add_location(locations, bucket, prefix, skip_covered=False)
        self._read_only = {(self._bucket_identity(b), p) for b, p in reads}
        self._key_arns += key_arns
        self._repository_arns += repository_arns
        self._check_size(self._statements(), "props", "give the role fewer locations, repositories or log groups")
        self._policy = iam.ManagedPolicy(
            self, "Policy", description=f"secure-sagemaker: permissions of execution role {self.node.path}"
        )
        self._role.add_managed_policy(self._policy)
        # The statements are rendered once every construct has granted what it uses (before the
        # app is prepared, so references to other stacks are found); the size is checked after.
        cdk.Aspects.of(self).add(_RenderPermissions(self), priority=cdk.AspectPriority.MUTATING)
        self.node.add_validation(_PermissionsFit(self))

    @property
    def role(self) -> iam.Role:
        """The execution role. Prefer this construct's ``grant_*`` methods over the CDK's
        (``bucket.grant_read(role)``), which add an inline policy instead of the managed one."""
        return self._role

    @property
    def policy(self) -> iam.ManagedPolicy:
        """The customer-managed policy holding all of the role's permissions (filled in at synthesis)."""
        return self._policy

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The principal to grant to (``iam.IGrantable``): the role."""
        return self._role

    # --- grants ----------------------------------------------------------------------------

    def grant_read(self, location: BucketRef | S3Prefix) -> None:
        """Allow ``s3:GetObject`` under ``location`` (and listing it), and use of its bucket's key.

        :param location: an :class:`S3Prefix`, or an ``s3.IBucket`` or bucket name for the whole
            bucket. A location already readable (granted before, or inside a granted prefix) adds nothing.
        """
        prop = "grant_read(location)"
        self._check_open(prop)
        bucket, prefix = self._location(prop, location, prefix_required=False)
        self._add_location(self._reads, bucket, prefix)

    def grant_read_write(self, location: S3Prefix) -> None:
        """Allow reading and writing objects under ``location`` (no delete), and use of its bucket's key.

        :param location: an :class:`S3Prefix` with a non-empty prefix (write access to a whole
            bucket is refused), outside every location that ``read_buckets`` made read-only. A
            prefix already writable adds nothing.
        """
        prop = "grant_read_write(location)"
        self._check_open(prop)
        bucket, prefix = self._location(prop, location, prefix_required=True)
        for r_bucket, r_prefix in self._reads:
            if (self._bucket_identity(r_bucket), r_prefix) not in self._read_only:
                continue
            if self._bucket_identity(r_bucket) == self._bucket_identity(bucket) and (
                prefix.startswith(r_prefix) or r_prefix.startswith(prefix)
            ):
                raise fail(
                    self._me,
                    prop,
                    self._show(bucket, prefix),
                    f"overlaps {self._show(r_bucket, r_prefix)}, which read_buckets makes read-only",
                    "write to a prefix outside every read-only location, or narrow read_buckets to prefixes "
                    "that do not contain the write prefix",
                )
        self._add_location(self._writes, bucket, prefix)

    def grant_encrypt_decrypt(self, key: kms.IKey) -> None:
        """Allow ``kms:Decrypt``, ``Encrypt``, ``GenerateDataKey``, ``DescribeKey`` and, for AWS
        resources only, ``kms:CreateGrant`` on ``key`` (a key itself, not an alias; no wildcard)."""
        prop = "grant_encrypt_decrypt(key)"
        self._check_open(prop)
        self._key_arns += _key_arns(self, self._me, prop, [key], required=True)

    def grant_pull(self, repository: ecr.IRepository | str) -> None:
        """Allow pulling images from ``repository`` (an ``ecr.IRepository`` or repository ARN, no
        wildcard), plus ``ecr:GetAuthorizationToken``, which has no resource."""
        prop = "grant_pull(repository)"
        self._check_open(prop)
        self._repository_arns += self._repositories(prop, [repository])

    def _check_open(self, prop: str) -> None:
        if self._rendered is not None:
            raise fail(
                self._me,
                prop,
                "a grant at synthesis",
                "comes after the role's policy was rendered",
                "grant while constructing the app, not from an Aspect or validation",
            )

    def _add_location(
        self, locations: list[tuple[BucketRef, str]], bucket: BucketRef, prefix: str, *, skip_covered: bool = True
    ) -> None:
        """Append (bucket, prefix) unless a location with at least that access already covers it.

        Props are added as given (their duplicates and overlaps are errors, checked before).
        """
        identity = self._bucket_identity(bucket)
        covering = self._writes if locations is self._writes else self._reads + self._writes
        if skip_covered and any(self._bucket_identity(b) == identity and prefix.startswith(p) for b, p in covering):
            return
        locations.append((bucket, prefix))
        if not isinstance(bucket, str) and bucket.encryption_key is not None:
            self._key_arns.append(bucket.encryption_key.key_arn)

    def _statements(self) -> list[iam.PolicyStatement]:
        """Every statement of the role's policy, from what has been granted so far."""
        return (
            self._s3_statements(self._reads, self._writes)
            + self._kms_statements(_unique(self, self._key_arns))
            + self._ecr_statements(self._repository_arns)
            + self._logs_statements(self._log_group_names)
            + self._metrics_statements(self._namespaces_allowed)
            + self._network_statements(self._subnet_ids, self._group_ids)
        )

    def _render(self) -> None:
        """Put the granted statements into the policy and acknowledge their inherent wildcards, once."""
        if self._rendered is not None:
            return
        self._rendered = self._statements()
        if self._rendered:
            self._policy.add_statements(*self._rendered)
            self._acknowledge_inherent_wildcards(self._rendered)

    def _problems(self) -> list[str]:
        if not self._rendered:
            return [
                f"{self._me}: every permission prop is empty (log_groups and metric_namespaces included) and "
                "nothing was granted, so the role could do nothing. Fix: give it the locations, log groups or "
                "namespaces it needs."
            ]
        try:
            self._check_size(self._rendered, "props and grants", "give the role fewer props or grants")
        except PropError as error:
            return [str(error)]
        return []

    def _check_size(self, statements: list[iam.PolicyStatement], source: str, fix: str) -> None:
        size = _size_lower_bound(self, iam.PolicyDocument(statements=statements)) if statements else 0
        if size > MANAGED_POLICY_LIMIT:
            raise PropError(
                f"{self._me}: its {source} make a policy of at least {size} characters, more than the "
                f"{MANAGED_POLICY_LIMIT} IAM allows in a managed policy, so the deployment would fail. Fix: {fix}, "
                "or split its work across two roles."
            )

    def _acknowledge_inherent_wildcards(self, statements: list[iam.PolicyStatement]) -> None:
        """Acknowledge AwsSolutions-IAM5 for exactly the wildcard resources built here, one by one.

        Runs when the policy is rendered, so grants made after construction are covered. A wildcard
        that ``policy.add_statements`` brings in is not acknowledged and fails the pack. Finding ids
        are the pack's own (``AwsSolutions-IAM5[Resource::<flattened>]``).
        """
        # Resolved as one document, as the policy will have them: reading each statement's Sid and
        # resources through jsii would cost round trips to the kernel for every one.
        stack = cdk.Stack.of(self)
        rendered = stack.resolve(iam.PolicyDocument(statements=statements))["Statement"]
        by_reason: dict[str, list[str]] = {}
        for statement in rendered:
            reason = _WILDCARD_REASONS.get(statement.get("Sid", ""))
            if not reason:
                continue
            resources = statement.get("Resource", [])
            for resource in resources if isinstance(resources, list) else [resources]:
                flat = flatten_cfn_reference(resource)
                if "*" in flat:
                    by_reason.setdefault(reason, []).append(f"AwsSolutions-IAM5[Resource::{flat}]")
        seen: set[str] = set()
        for reason, rules in by_reason.items():
            fresh = [r for r in dict.fromkeys(rules) if r not in seen]
            seen.update(fresh)
            acknowledge(self._policy, fresh, reason)

    # --- validation -------------------------------------------------------------------------

    def _bucket(self, prop: str, bucket: Any) -> BucketRef:
        fix = "name one bucket, as an s3.IBucket or a plain bucket name"
        if isinstance(bucket, str):
            _no_wildcard(self._me, prop, bucket, bucket, "bucket", fix)
            validate_bucket_name(self._me, prop, bucket)
            return bucket
        if not hasattr(bucket, "bucket_arn"):
            raise fail(self._me, prop, bucket, "is not a bucket", fix)
        _no_wildcard(self._me, prop, bucket.node.path, _resolved(self, bucket.bucket_arn), "bucket", fix)
        return bucket

    def _location(self, prop: str, item: Any, *, prefix_required: bool) -> tuple[BucketRef, str]:
        """(bucket, normalised prefix); the prefix is "" for a whole bucket."""
        if not isinstance(item, S3Prefix):
            if prefix_required:
                raise fail(
                    self._me,
                    prop,
                    item,
                    "is not an S3Prefix",
                    "pass S3Prefix(bucket, 'prefix/') values; write access to a whole bucket is refused",
                )
            return self._bucket(prop, item), ""
        bucket = self._bucket(prop, item.bucket)
        prefix = item.prefix
        shown = f"S3Prefix({bucket if isinstance(bucket, str) else bucket.node.path}, {prefix!r})"
        if isinstance(prefix, str) and not is_token(prefix) and not prefix.strip("/"):
            fix = (
                "name a prefix such as 'models/output/'; write access to a whole bucket is refused"
                if prefix_required
                else "name a prefix, or pass the bucket itself for read access to all of it"
            )
            raise fail(self._me, prop, shown, "has an empty prefix, which means the whole bucket", fix)
        if isinstance(prefix, str):
            _no_wildcard(self._me, prop, shown, prefix, "key", "name a literal prefix; the policy adds the '/*' itself")
        # Literal only, so that overlaps between read and write prefixes can be checked.
        return bucket, s3_key_prefix(self._me, prop, prefix, "datasets/train/", literal=True, shown=shown) + "/"

    def _check_overlaps(self, reads: list[tuple[BucketRef, str]], writes: list[tuple[BucketRef, str]]) -> None:
        seen: dict[tuple[str, str], str] = {}
        for prop, locations in (("read_buckets", reads), ("write_prefixes", writes)):
            for bucket, prefix in locations:
                identity = (self._bucket_identity(bucket), prefix)
                if identity in seen:
                    raise fail(
                        self._me,
                        prop,
                        self._show(bucket, prefix),
                        f"is already listed in {seen[identity]}",
                        "list each location once",
                    )
                seen[identity] = prop
        for w_bucket, w_prefix in writes:
            for r_bucket, r_prefix in reads:
                if self._bucket_identity(w_bucket) != self._bucket_identity(r_bucket):
                    continue
                if w_prefix.startswith(r_prefix) or r_prefix.startswith(w_prefix):
                    raise fail(
                        self._me,
                        "write_prefixes",
                        self._show(w_bucket, w_prefix),
                        f"overlaps {self._show(r_bucket, r_prefix)}, which read_buckets makes read-only",
                        "write to a prefix outside every read-only location, or narrow read_buckets to prefixes "
                        "that do not contain the write prefix",
                    )

    @staticmethod
    def _show(bucket: BucketRef, prefix: str) -> str:
        name = bucket if isinstance(bucket, str) else bucket.node.path
        return f"{name}/{prefix}" if prefix else f"{name} (whole bucket)"

    def _bucket_identity(self, bucket: BucketRef) -> str:
        if isinstance(bucket, str):
            return json.dumps(bucket)
        # Compared many times over (every location against every other): read each bucket's name once.
        # The bucket is kept with it, so that its id is never reused for another bucket.
        if id(bucket) not in self._bucket_identities:
            self._bucket_identities[id(bucket)] = (bucket, _resolved(self, bucket.bucket_name))
        return self._bucket_identities[id(bucket)][1]

    def _repositories(self, prop: str, repositories: Any) -> list[str]:
        fix = "pass ecr.IRepository objects or ARNs like arn:aws:ecr:eu-west-1:111122223333:repository/team/image"
        arns = []
        for repository in _as_list(self._me, prop, repositories, fix):
            if isinstance(repository, str):
                if is_token(repository):
                    arns.append(repository)
                    continue
                _no_wildcard(self._me, prop, repository, repository, "repository", fix)
                if not _REPOSITORY_ARN.match(repository):
                    raise fail(self._me, prop, repository, "is not an ECR repository ARN", fix)
                arns.append(repository)
            elif hasattr(repository, "repository_arn"):
                _no_wildcard(
                    self._me,
                    prop,
                    repository.node.path,
                    _resolved(self, repository.repository_arn),
                    "repository",
                    fix,
                )
                arns.append(repository.repository_arn)
            else:
                raise fail(self._me, prop, repository, "is not a repository", fix)
        return arns

    def _log_groups(self, names: Any) -> list[str]:
        fix = "name groups under /aws/sagemaker/, e.g. '/aws/sagemaker/TrainingJobs' or '/aws/sagemaker/Endpoints/*'"
        checked = _as_list(self._me, "log_groups", names, fix)
        for name in checked:
            if not isinstance(name, str) or not _LOG_GROUP.match(name):
                raise fail(
                    self._me,
                    "log_groups",
                    name,
                    "is not a log group name under /aws/sagemaker/ (a '*' only as a final '/*')",
                    fix,
                )
        return checked

    def _namespaces(self, namespaces: Any) -> list[str]:
        fix = "name CloudWatch namespaces such as '/aws/sagemaker/TrainingJobs', without wildcards"
        checked = _as_list(self._me, "metric_namespaces", namespaces, fix)
        for namespace in checked:
            if not isinstance(namespace, str) or not _NAMESPACE.match(namespace) or namespace.startswith("AWS/"):
                raise fail(self._me, "metric_namespaces", namespace, "is not a custom CloudWatch namespace", fix)
        return checked

    def _network(self, subnets: Any, security_groups: Any) -> tuple[list[str], list[str]]:
        if subnets is None and security_groups is None:
            return [], []
        if subnets is None or security_groups is None:
            given, missing = (
                ("subnets", "security_groups") if security_groups is None else ("security_groups", "subnets")
            )
            raise fail(
                self._me,
                given,
                subnets if security_groups is None else security_groups,
                f"is given without {missing}",
                "pass both subnets and security_groups, or neither",
            )
        return (
            _subnet_ids(self._me, "subnets", subnets, required=True),
            _security_group_ids(self._me, "security_groups", security_groups, required=True),
        )

    def _source_arns(self, arns: Any) -> list[str]:
        fix = "pass SageMaker ARNs of this account, e.g. arn:aws:sagemaker:eu-west-1:111122223333:training-job/*"
        checked = _as_list(self._me, "source_arns", arns, fix, allow_empty=False)
        for arn in checked:
            if not isinstance(arn, str) or not (is_token(arn) or _SAGEMAKER_ARN.match(arn)):
                raise fail(self._me, "source_arns", arn, "is not a SageMaker ARN", fix)
        return checked

    # --- statements -------------------------------------------------------------------------

    def _bucket_arn(self, bucket: BucketRef) -> str:
        if isinstance(bucket, str):
            return cdk.Stack.of(self).format_arn(
                service="s3", region="", account="", resource=bucket, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
            )
        return bucket.bucket_arn

    def _s3_statements(
        self, reads: list[tuple[BucketRef, str]], writes: list[tuple[BucketRef, str]]
    ) -> list[iam.PolicyStatement]:
        statements = []
        for sid, actions, locations in (
            ("ReadObjects", S3_READ_OBJECT_ACTIONS, reads),
            ("ReadWriteObjects", S3_WRITE_OBJECT_ACTIONS, writes),
        ):
            if locations:
                statements.append(
                    iam.PolicyStatement(
                        sid=sid,
                        actions=list(actions),
                        resources=[f"{self._bucket_arn(b)}/{p}*" for b, p in locations],
                    )
                )
        # s3:ListBucket is per bucket: whole-bucket reads list freely, prefixes only under themselves.
        by_bucket: dict[str, tuple[BucketRef, list[str]]] = {}
        for bucket, prefix in reads + writes:
            by_bucket.setdefault(self._bucket_identity(bucket), (bucket, []))[1].append(prefix)
        for index, (bucket, prefixes) in enumerate(by_bucket.values()):
            conditions = None
            if "" not in prefixes:
                patterns = sorted({p for prefix in prefixes for p in (prefix + "*", prefix.rstrip("/"))})
                conditions = {"StringLike": {"s3:prefix": patterns}}
            statements.append(
                iam.PolicyStatement(
                    sid=f"ListBucket{index}",
                    actions=list(S3_LIST_ACTIONS),
                    resources=[self._bucket_arn(bucket)],
                    conditions=conditions,
                )
            )
        if by_bucket:
            statements.append(
                iam.PolicyStatement(
                    sid="BucketLocation",
                    actions=list(S3_LOCATION_ACTIONS),
                    resources=[self._bucket_arn(bucket) for bucket, _ in by_bucket.values()],
                )
            )
        return statements

    def _kms_statements(self, key_arns: list[str]) -> list[iam.PolicyStatement]:
        if not key_arns:
            return []
        return [
            iam.PolicyStatement(sid="UseKeys", actions=list(KMS_USE_ACTIONS), resources=key_arns),
            iam.PolicyStatement(
                sid="GrantKeysToAwsResources",
                actions=["kms:CreateGrant"],
                resources=key_arns,
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]

    def _ecr_statements(self, repository_arns: list[str]) -> list[iam.PolicyStatement]:
        if not repository_arns:
            return []
        return [
            iam.PolicyStatement(
                sid="PullImages", actions=list(ECR_PULL_ACTIONS), resources=_unique(self, repository_arns)
            ),
            # Resource "*": ecr:GetAuthorizationToken has no resource type (RESOURCE_STAR_ACTIONS).
            iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        ]

    def _logs_statements(self, names: list[str]) -> list[iam.PolicyStatement]:
        if not names:
            return []
        stack = cdk.Stack.of(self)
        arns = []
        for name in names:
            group = stack.format_arn(
                service="logs", resource="log-group", resource_name=name, arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
            )
            arns += [group, f"{group}:*"]  # the group itself, and its log streams
        return [iam.PolicyStatement(sid="WriteLogs", actions=list(LOGS_ACTIONS), resources=arns)]

    def _metrics_statements(self, namespaces: list[str]) -> list[iam.PolicyStatement]:
        if not namespaces:
            return []
        # Resource "*": CloudWatch metrics have no ARN (RESOURCE_STAR_ACTIONS); the namespace
        # condition is what scopes this statement.
        return [
            iam.PolicyStatement(
                sid="PutMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": namespaces}},
            )
        ]

    def _network_statements(self, subnet_ids: list[str], group_ids: list[str]) -> list[iam.PolicyStatement]:
        if not subnet_ids:
            return []
        stack = cdk.Stack.of(self)
        subnet_arns = [stack.format_arn(service="ec2", resource="subnet", resource_name=s) for s in subnet_ids]
        group_arns = [stack.format_arn(service="ec2", resource="security-group", resource_name=g) for g in group_ids]
        interfaces = stack.format_arn(service="ec2", resource="network-interface", resource_name="*")
        return [
            # CreateNetworkInterface is authorised against the new interface, its subnet and its
            # security groups; the interface id does not exist yet, the other two are ours.
            iam.PolicyStatement(
                sid="CreateInterfacesInGivenSubnets",
                actions=["ec2:CreateNetworkInterface"],
                resources=[*subnet_arns, *group_arns, interfaces],
            ),
            iam.PolicyStatement(
                sid="ManageInterfacesInGivenSubnets",
                actions=list(ENI_MANAGE_ACTIONS),
                resources=[interfaces],
                conditions={"ArnEquals": {"ec2:Subnet": subnet_arns}},
            ),
            # Resource "*": EC2 Describe* calls have no resource-level permissions (RESOURCE_STAR_ACTIONS).
            iam.PolicyStatement(sid="DescribeNetwork", actions=list(EC2_DESCRIBE_ACTIONS), resources=["*"]),
        ]


#: Characters IAM allows in a managed policy document, whitespace excluded.
MANAGED_POLICY_LIMIT = 6144
# Shortest deploy-time values of tokens, so that the estimate below never exceeds the real size.
_PSEUDO_LENGTHS = {"AWS::Partition": 3, "AWS::Region": 9, "AWS::AccountId": 12, "AWS::URLSuffix": 13}


def _lower_bound(node: Any) -> Any:
    """``node`` (a resolved policy) with each intrinsic replaced by a string no longer than its value."""
    if isinstance(node, list):
        return [_lower_bound(v) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return "x" * _PSEUDO_LENGTHS.get(node["Ref"], 1)
    if set(node) == {"Fn::GetAtt"}:
        return "x"
    if set(node) == {"Fn::Join"}:
        delimiter, items = node["Fn::Join"]
        return delimiter.join(str(_lower_bound(i)) for i in items)
    return {k: _lower_bound(v) for k, v in node.items()}


def _size_lower_bound(scope: Construct, document: iam.PolicyDocument) -> int:
    """Characters ``document`` has at least once deployed, whitespace excluded."""
    return len(json.dumps(_lower_bound(cdk.Stack.of(scope).resolve(document)), separators=(",", ":")))


@jsii.implements(cdk.IAspect)
class _RenderPermissions:
    """Renders an ExecutionRole's policy when the app is synthesized, after every grant."""

    def __init__(self, role: ExecutionRole) -> None:
        self._role = role

    def visit(self, node: IConstruct) -> None:
        if node is self._role:
            self._role._render()


@jsii.implements(IValidation)
class _PermissionsFit:
    """Fails synthesis when an ExecutionRole's policy is empty or larger than IAM allows."""

    def __init__(self, role: ExecutionRole) -> None:
        self._role = role

    def validate(self) -> list[str]:
        return self._role._problems()


def _within_size_limit(
    scope: Construct, me: str, statements: list[iam.PolicyStatement], fix: str
) -> iam.PolicyDocument:
    """The document of ``statements``; fails when it would exceed IAM's managed-policy size for sure."""
    document = iam.PolicyDocument(statements=statements)
    size = _size_lower_bound(scope, document)
    if size > MANAGED_POLICY_LIMIT:
        raise PropError(
            f"{me}: its props make a policy of at least {size} characters, more than the "
            f"{MANAGED_POLICY_LIMIT} IAM allows in a managed policy, so the deployment would fail. Fix: {fix}."
        )
    return document


def _unique(scope: Construct, values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(_resolved(scope, value), value)
    return list(seen.values())


# --- Guardrails -------------------------------------------------------------------------------

#: The key must be in the request and have an approved value; its absence is denied.
REQUIRED = "required"
#: The key is checked only when the request carries it (the setting is optional in that API, or
#: the resource inherits it from one that is itself guarded).
IF_PRESENT = "if-present"

VPC_SUBNETS, VPC_SECURITY_GROUPS = "sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds"
VOLUME_KEY, OUTPUT_KEY = "sagemaker:VolumeKmsKey", "sagemaker:OutputKmsKey"
SHARING_KEY = "sagemaker:DomainSharingOutputKmsKey"
NETWORK_ISOLATION = "sagemaker:NetworkIsolation"
TRAFFIC_ENCRYPTION = "sagemaker:InterContainerTrafficEncryption"
INTERNET_ACCESS, ROOT_ACCESS = "sagemaker:DirectInternetAccess", "sagemaker:RootAccess"
IMDS_VERSION = "sagemaker:MinimumInstanceMetadataServiceVersion"
APP_NETWORK = "sagemaker:AppNetworkAccessType"
PASSED_TO_SERVICE = "iam:PassedToService"

_R, _P = REQUIRED, IF_PRESENT
_JOB = {VPC_SUBNETS: _R, VPC_SECURITY_GROUPS: _R, VOLUME_KEY: _R, OUTPUT_KEY: _R, TRAFFIC_ENCRYPTION: _R}

#: Every (action, condition key) pair the guardrail policy relies on, and whether the key is
#: REQUIRED or checked IF_PRESENT. Each action supports each of its keys according to the Service
#: Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html);
#: ``docs/identity.md`` explains the choices. This table is the single source of the policy.
GUARDRAIL_CONDITIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "sagemaker:CreateTrainingJob": {**_JOB, NETWORK_ISOLATION: _R},
        "sagemaker:CreateHyperParameterTuningJob": {**_JOB, NETWORK_ISOLATION: _R},
        "sagemaker:CreateProcessingJob": {**_JOB, NETWORK_ISOLATION: _R},
        # AutoML has no network-isolation key; its candidates run as guarded training jobs.
        "sagemaker:CreateAutoMLJob": dict(_JOB),
        "sagemaker:CreateAutoMLJobV2": dict(_JOB),
        # A transform job runs in the VPC and isolation of its (guarded) model; only keys are its own.
        "sagemaker:CreateTransformJob": {VOLUME_KEY: _R, OUTPUT_KEY: _R},
        "sagemaker:CreateModel": {VPC_SUBNETS: _R, VPC_SECURITY_GROUPS: _R, NETWORK_ISOLATION: _R},
        # Endpoint configs take VPC and isolation settings only for inference components; models
        # carry their own, so these keys are checked when present.
        "sagemaker:CreateEndpointConfig": {
            VOLUME_KEY: _R,
            VPC_SUBNETS: _P,
            VPC_SECURITY_GROUPS: _P,
            NETWORK_ISOLATION: _P,
        },
        "sagemaker:CreateNotebookInstance": {
            VPC_SUBNETS: _R,
            VPC_SECURITY_GROUPS: _R,
            VOLUME_KEY: _R,
            INTERNET_ACCESS: _R,
            ROOT_ACCESS: _R,
            IMDS_VERSION: _R,
        },
        "sagemaker:UpdateNotebookInstance": {ROOT_ACCESS: _P, IMDS_VERSION: _P},
        "sagemaker:CreateDomain": {
            VPC_SUBNETS: _R,
            VPC_SECURITY_GROUPS: _R,
            VOLUME_KEY: _R,
            APP_NETWORK: _R,
            SHARING_KEY: _P,
        },
        "sagemaker:UpdateDomain": {VPC_SUBNETS: _P, VPC_SECURITY_GROUPS: _P, APP_NETWORK: _P, SHARING_KEY: _P},
        # User profiles inherit the (guarded) domain's settings unless they override them.
        "sagemaker:CreateUserProfile": {VPC_SECURITY_GROUPS: _P, SHARING_KEY: _P},
        "sagemaker:UpdateUserProfile": {VPC_SECURITY_GROUPS: _P, SHARING_KEY: _P},
        "iam:PassRole": {PASSED_TO_SERVICE: _R},
    }
)

#: The value each single-valued setting must have.
REQUIRED_SETTINGS: Mapping[str, str] = MappingProxyType(
    {
        NETWORK_ISOLATION: "true",
        TRAFFIC_ENCRYPTION: "true",
        INTERNET_ACCESS: "Disabled",
        ROOT_ACCESS: "Disabled",
        IMDS_VERSION: "2",
        APP_NETWORK: "VpcOnly",
    }
)


#: The (action, condition key) pairs of :data:`GUARDRAIL_CONDITIONS`.
GUARDRAIL_PAIRS: frozenset[tuple[str, str]] = frozenset(
    (action, key) for action, keys in GUARDRAIL_CONDITIONS.items() for key in keys
)


def _actions(key: str, mode: str | None = None) -> list[str]:
    return sorted(a for a, keys in GUARDRAIL_CONDITIONS.items() if key in keys and mode in (None, keys[key]))


#: Short statement ids: the policy must stay under IAM's size limit. ``Require<name>`` denies a
#: request without the setting (and, for single values, with a wrong one); ``Check<name>``
#: denies a request that carries a wrong value.
_SHORT_NAMES = MappingProxyType(
    {
        VPC_SUBNETS: "Subnets",
        VPC_SECURITY_GROUPS: "SecurityGroups",
        VOLUME_KEY: "VolumeKey",
        OUTPUT_KEY: "OutputKey",
        SHARING_KEY: "SharingKey",
        NETWORK_ISOLATION: "Isolation",
        TRAFFIC_ENCRYPTION: "TrafficEncryption",
        INTERNET_ACCESS: "NoInternet",
        ROOT_ACCESS: "NoRoot",
        IMDS_VERSION: "Imdsv2",
        APP_NETWORK: "VpcOnly",
    }
)


def _sid(key: str, mode: str) -> str:
    return ("Require" if mode == REQUIRED else "Check") + _SHORT_NAMES[key]


class Guardrails(Construct):
    """Managed policies that deny SageMaker workloads outside the approved network, keys and
    settings, and close the paths around them.

    Attach them to the roles that create SageMaker workloads with ``attach_to=[...]`` or
    ``attach(role)`` (both work for imported roles); their ``Deny`` statements override any
    ``Allow``. They govern what CloudFormation cannot: training, tuning, processing, AutoML and
    transform jobs, models, endpoint configs, notebook instances, Studio domains and user profiles
    created (or updated) through the API. For each action in :data:`GUARDRAIL_CONDITIONS` they
    deny the request unless:

    - ``sagemaker:VpcSubnets`` are all in ``subnets`` and ``sagemaker:VpcSecurityGroupIds`` all in
      ``security_groups`` (and, where REQUIRED, present at all: a ``Null`` check denies absence);
    - ``sagemaker:VolumeKmsKey`` is one of ``volume_keys`` (jobs and endpoint configs whose every
      instance type has local instance storage are exempt: SageMaker rejects a volume key there and
      encrypts the NVMe volumes in hardware); ``sagemaker:OutputKmsKey`` and
      ``sagemaker:DomainSharingOutputKmsKey`` are among ``output_keys`` (requests must name keys
      by their key ARN; ids and aliases are denied);
    - network isolation and inter-container traffic encryption are on; notebooks have direct
      internet access and root access disabled and require IMDSv2; domains are ``VpcOnly``;

    and they deny ``iam:PassRole`` for every role except ``execution_roles``, and passing those to
    any service but SageMaker (``iam:PassedToService``). Beyond workload settings they deny (see
    :mod:`secure_sagemaker.guardrail_statements`): lifecycle-config changes and unapproved Studio
    lifecycle configs, presigned URLs for anyone else's profile or instance, changes to the
    guardrails, the execution roles and the account's controls (all three except for
    ``admin_role_arns``), invoking ``protected_endpoints`` except as ``endpoint_invokers``, and
    instance types outside ``allowed_instance_types``.

    Statement ids: ``Require<setting>`` denies a request without the setting (and, for a single
    value, with a wrong one); ``Check<setting>`` denies a request that carries a wrong value;
    ``PassOnlyExecutionRoles`` and ``PassOnlyToSageMaker`` govern ``iam:PassRole``.

    IAM caps a managed policy at 6,144 characters: the statements are packed, in order, into as
    many policies as they need (``Policy``, ``Policy2``, ...), each under the limit however long its
    tokens resolve; a single statement that cannot fit fails at construct time. Every policy has
    the IAM path ``/secure-sagemaker/guardrails/``, by which the guardrails protect themselves.
    An IAM role takes 10 managed policies by default.

    Keyword-only props:

    :param subnets: approved subnets, as ``ec2.ISubnet``, ``subnet-...`` ids or a
        ``SubnetSelection`` of explicit subnets. Required.
    :param security_groups: approved security groups, as ``ec2.ISecurityGroup`` or ``sg-...`` ids. Required.
    :param volume_keys: KMS keys approved for storage volumes (and Studio's EFS). Required.
    :param output_keys: KMS keys approved for job outputs and Studio notebook sharing. Required.
    :param execution_roles: the roles that may be passed, to SageMaker only, as ``iam.IRole`` or
        :class:`ExecutionRole`; their trust and policies are protected. Required.
    :param attach_to: roles the guardrails govern (data scientists' roles, execution roles). Default: none.
    :param admin_role_arns: break-glass and deployment roles (ARN patterns allowed, e.g. the CDK's
        ``cfn-exec`` role) exempt from the escalation and self-protection denies. Default: none,
        so a governed role changes none of those controls.
    :param approved_lifecycle_configs: Studio lifecycle config ARNs domains and profiles may name.
        Default: none (no lifecycle config may be attached through the API).
    :param owner_tag: the tag key that names a profile's or notebook's owner; presigned URLs need
        ``sagemaker:ResourceTag/<owner_tag>`` equal to the caller's ``aws:PrincipalTag/<owner_tag>``.
        Default ``owner``.
    :param protected_endpoints: endpoint ARNs that may be invoked only by ``endpoint_invokers``.
        Default: none.
    :param endpoint_invokers: the roles that may invoke ``protected_endpoints`` (the API's
        integration role). Required when ``protected_endpoints`` is set.
    :param allowed_instance_types: ``ml.*`` instance types or patterns (``ml.m5.*``) SageMaker
        workloads may use. Default None: no allow-list, since the needed types vary by team and
        cost control belongs to budgets and quotas; the security settings hold on any type.
    :param instance_storage_families: families exempt from the volume-key denies. Default:
        :data:`~secure_sagemaker.instance_storage.INSTANCE_STORAGE_FAMILIES`, the constructs' table.
    :param allow_shared_spaces: give up private-only Studio spaces: governed roles may then create
        spaces that every profile of the domain uses (``sagemaker:SpaceSharingType`` ``Shared``).
        Default False: ``CreateSpace`` is denied unless the space is ``Private`` (admins exempt).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        subnets: Sequence[ec2.ISubnet | str] | ec2.SubnetSelection,
        security_groups: Sequence[ec2.ISecurityGroup | str],
        volume_keys: Sequence[kms.IKey],
        output_keys: Sequence[kms.IKey],
        execution_roles: Sequence[iam.IRole | ExecutionRole],
        attach_to: Sequence[iam.IRole | ExecutionRole] = (),
        admin_role_arns: Sequence[str] = (),
        approved_lifecycle_configs: Sequence[str] = (),
        owner_tag: str = DEFAULT_OWNER_TAG,
        protected_endpoints: Sequence[str] = (),
        endpoint_invokers: Sequence[iam.IRole | str] = (),
        allowed_instance_types: Sequence[str] | None = None,
        instance_storage_families: Iterable[str] | None = None,
        allow_shared_spaces: bool = False,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        statements = guardrail_statements(
            self,
            me,
            subnets=subnets,
            security_groups=security_groups,
            volume_keys=volume_keys,
            output_keys=output_keys,
            execution_roles=execution_roles,
            admin_role_arns=admin_role_arns,
            approved_lifecycle_configs=approved_lifecycle_configs,
            owner_tag=owner_tag,
            protected_endpoints=protected_endpoints,
            endpoint_invokers=endpoint_invokers,
            allowed_instance_types=allowed_instance_types,
            instance_storage_families=instance_storage_families,
            allow_shared_spaces=allow_shared_spaces,
        )
        self._policies: list[iam.ManagedPolicy] = []
        for number, chunk in enumerate(split_statements(cdk.Stack.of(self), statements, MANAGED_POLICY_LIMIT), 1):
            self._policies.append(
                iam.ManagedPolicy(
                    self,
                    "Policy" if number == 1 else f"Policy{number}",
                    description=f"secure-sagemaker: guardrails {self.node.path} (part {number}) for roles that "
                    "create SageMaker workloads",
                    path=GUARDRAIL_POLICY_PATH,
                    document=_within_size_limit(self, me, chunk, GUARDRAIL_SIZE_FIX),
                )
            )
        for role in _as_list(me, "attach_to", attach_to, "pass the roles (iam.IRole) the guardrails govern"):
            self.attach(role)

    @property
    def policy(self) -> iam.ManagedPolicy:
        """The first guardrail policy; ``policies`` holds them all (``Deny`` statements only)."""
        return self._policies[0]

    @property
    def policies(self) -> list[iam.ManagedPolicy]:
        """Every guardrail policy, in order: the statements split so each fits IAM's size limit."""
        return list(self._policies)

    def attach(self, role: iam.IRole | ExecutionRole) -> None:
        """Attach every guardrail policy to ``role`` (an ``iam.IRole`` or :class:`ExecutionRole`).

        Attached through each policy's ``Roles``, not the role's ``ManagedPolicyArns``: CDK ignores
        ``add_managed_policy`` on an imported role (``iam.Role.from_role_arn``), but a policy can
        name any role of the account.
        """
        role = role.role if isinstance(role, ExecutionRole) else role
        if not isinstance(getattr(role, "role_name", None), str):
            raise fail(describe(self), "attach_to", role, "is not a role", "pass an iam.IRole or an ExecutionRole")
        for policy in self._policies:
            policy.attach_to_role(role)

    @staticmethod
    def _list_statements(approved: Mapping[str, list[str]]) -> list[iam.PolicyStatement]:
        statements = []
        for key in (VPC_SUBNETS, VPC_SECURITY_GROUPS):
            # ForAnyValue is false for an absent key, so absence needs its own Null statement.
            statements.append(
                iam.PolicyStatement(
                    sid=_sid(key, REQUIRED),
                    effect=iam.Effect.DENY,
                    actions=_actions(key, REQUIRED),
                    resources=["*"],
                    conditions={"Null": {key: "true"}},
                )
            )
            statements.append(
                iam.PolicyStatement(
                    sid=_sid(key, IF_PRESENT),
                    effect=iam.Effect.DENY,
                    actions=_actions(key),
                    resources=["*"],
                    conditions={"ForAnyValue:StringNotEquals": {key: approved[key]}},
                )
            )
        return statements

    @staticmethod
    def _key_statements(approved: Mapping[str, list[str]], storage_patterns: list[str]) -> list[iam.PolicyStatement]:
        # A negated operator (ArnNotEquals) is true when the key is absent, so the REQUIRED
        # statement also denies requests without a key; IF_PRESENT adds "Null": false.
        statements = []
        for key in (VOLUME_KEY, OUTPUT_KEY, SHARING_KEY):
            for mode, extra in ((REQUIRED, {}), (IF_PRESENT, {"Null": {key: "false"}})):
                actions = _actions(key, mode)
                exempt = [a for a in actions if key == VOLUME_KEY and a in INSTANCE_STORAGE_EXEMPT_ACTIONS]
                plain = [a for a in actions if a not in exempt]
                condition = {"ArnNotEquals": {key: approved[key]}, **extra}
                if plain:
                    statements.append(
                        iam.PolicyStatement(
                            sid=_sid(key, mode),
                            effect=iam.Effect.DENY,
                            actions=plain,
                            resources=["*"],
                            conditions=condition,
                        )
                    )
                if exempt:
                    # SageMaker rejects a volume key on types with local instance storage, so the
                    # key is required unless every instance type has it; a request that names no
                    # instance type is not exempt (two statements: IAM ORs only across statements).
                    for sid, types in (
                        ("NoTypes", {"Null": {INSTANCE_TYPES: "true"}}),
                        ("UnlessLocalStorage", {"ForAnyValue:StringNotLike": {INSTANCE_TYPES: storage_patterns}}),
                    ):
                        statements.append(
                            iam.PolicyStatement(
                                sid=_sid(key, mode) + sid,
                                effect=iam.Effect.DENY,
                                actions=exempt,
                                resources=["*"],
                                conditions={**condition, **types},
                            )
                        )
        return statements

    @staticmethod
    def _setting_statements() -> list[iam.PolicyStatement]:
        statements = []
        for key, value in REQUIRED_SETTINGS.items():
            if value == "true":  # Bool keys: BoolIfExists is true when absent, so absence is denied
                required = {"BoolIfExists": {key: "false"}}
                given = {"Bool": {key: "false"}}
            else:
                required = {"StringNotEquals": {key: value}}
                given = {"StringNotEquals": {key: value}, "Null": {key: "false"}}
            for mode, conditions in ((REQUIRED, required), (IF_PRESENT, given)):
                actions = _actions(key, mode)
                if actions:
                    statements.append(
                        iam.PolicyStatement(
                            sid=_sid(key, mode),
                            effect=iam.Effect.DENY,
                            actions=actions,
                            resources=["*"],
                            conditions=conditions,
                        )
                    )
        return statements

    @staticmethod
    def _pass_role_statements(role_arns: list[str]) -> list[iam.PolicyStatement]:
        # The first statement leaves only the execution roles, so the second needs no role list.
        return [
            iam.PolicyStatement(
                sid="PassOnlyExecutionRoles",
                effect=iam.Effect.DENY,
                actions=["iam:PassRole"],
                not_resources=role_arns,
            ),
            iam.PolicyStatement(
                sid="PassOnlyToSageMaker",
                effect=iam.Effect.DENY,
                actions=["iam:PassRole"],
                resources=["*"],
                conditions={"StringNotEquals": {PASSED_TO_SERVICE: SAGEMAKER_SERVICE}},
            ),
        ]


GUARDRAIL_SIZE_FIX = (
    "approve fewer subnets, security groups, keys, roles or endpoints (a single statement must fit one policy), "
    "or split the data scientists into groups with their own Guardrails"
)


def role_arns(me: str, prop: str, roles: Any, *, allow_empty: bool = True, allow_arns: bool = True) -> list[str]:
    """The ARNs of ``roles`` (``iam.IRole``, :class:`ExecutionRole` or, with ``allow_arns``, ARN strings)."""
    fix = f"pass the roles of {prop} as iam.IRole or ExecutionRole, one role per entry"
    arns = []
    for role in _as_list(me, prop, roles, fix, allow_empty=allow_empty):
        role = role.role if isinstance(role, ExecutionRole) else role
        arn = role if isinstance(role, str) and allow_arns else getattr(role, "role_arn", None)
        if not isinstance(arn, str):
            raise fail(me, prop, role, "is not a role", fix)
        if not is_token(arn) and any(w in arn for w in _WILDCARDS):
            raise fail(
                me, prop, arn, "contains a wildcard, so it admits every role that matches", "pass one role per entry"
            )
        arns.append(arn)
    return arns


def guardrail_statements(
    scope: Construct,
    me: str,
    *,
    subnets: Any,
    security_groups: Any,
    volume_keys: Any,
    output_keys: Any,
    execution_roles: Any,
    admin_role_arns: Any = (),
    approved_lifecycle_configs: Any = (),
    owner_tag: str = DEFAULT_OWNER_TAG,
    protected_endpoints: Any = (),
    endpoint_invokers: Any = (),
    allowed_instance_types: Any = None,
    instance_storage_families: Iterable[str] | None = None,
    execution_role_arns_allowed: bool = False,
    allow_shared_spaces: bool = False,
) -> list[iam.PolicyStatement]:
    """Every guardrail ``Deny`` statement, validated; shared by :class:`Guardrails` and the SCP
    (which names roles of other accounts by ARN: ``execution_role_arns_allowed``)."""
    approved = {
        VPC_SUBNETS: _subnet_ids(me, "subnets", subnets, required=True),
        VPC_SECURITY_GROUPS: _security_group_ids(me, "security_groups", security_groups, required=True),
        VOLUME_KEY: _unique(scope, _key_arns(scope, me, "volume_keys", volume_keys, required=True)),
        OUTPUT_KEY: _unique(scope, _key_arns(scope, me, "output_keys", output_keys, required=True)),
    }
    approved[SHARING_KEY] = approved[OUTPUT_KEY]
    execution_role_arns = _unique(
        scope,
        role_arns(me, "execution_roles", execution_roles, allow_empty=False, allow_arns=execution_role_arns_allowed),
    )
    admins = _arn_patterns(me, "admin_role_arns", admin_role_arns, "iam", "role/")
    lifecycle = _arn_patterns(
        me, "approved_lifecycle_configs", approved_lifecycle_configs, "sagemaker", "studio-lifecycle-config/"
    )
    endpoints = _arn_patterns(me, "protected_endpoints", protected_endpoints, "sagemaker", "endpoint/")
    invokers = role_arns(me, "endpoint_invokers", endpoint_invokers)
    if endpoints and not invokers:
        raise fail(
            me,
            "endpoint_invokers",
            [],
            "is empty while protected_endpoints is set, so nobody could invoke those endpoints",
            "pass the API's integration role (ProtectedInferenceApi.integration_role)",
        )
    if not isinstance(owner_tag, str) or not _TAG_KEY.match(owner_tag):
        raise fail(me, "owner_tag", owner_tag, "is not a tag key", "pass a tag key such as 'owner'")
    types = _instance_types(me, allowed_instance_types)
    families = _families(me, instance_storage_families)
    require_type(me, "allow_shared_spaces", allow_shared_spaces, bool, "pass True or False")
    return [
        *Guardrails._list_statements(approved),
        *Guardrails._key_statements(approved, storage_type_patterns(families)),
        *Guardrails._setting_statements(),
        *Guardrails._pass_role_statements(execution_role_arns),
        *invoke_statements(endpoints, invokers),
        *instance_type_statements(types),
        *lifecycle_statements(admins, lifecycle),
        *presigned_url_statements(admins, owner_tag),
        *space_statements(admins, allow_shared_spaces),
        *self_protection_statements(admins, execution_role_arns, cdk.Stack.of(scope).partition),
    ]


_TAG_KEY = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{1,128}$")
_INSTANCE_PATTERN = re.compile(r"^ml\.[a-z0-9*?-]+(\.[a-z0-9*?-]+)?$")


def _arn_patterns(me: str, prop: str, values: Any, service: str, resource: str) -> list[str]:
    fix = f"pass ARNs such as arn:aws:{service}:...:{resource}name"
    arns = []
    for value in _as_list(me, prop, values, fix):
        if not isinstance(value, str):
            raise fail(me, prop, value, "is not an ARN string", fix)
        if not is_token(value) and not (value.startswith("arn:") and f":{service}:" in value and resource in value):
            raise fail(me, prop, value, f"is not an ARN of a {service} {resource.rstrip('/')}", fix)
        arns.append(value)
    return arns


def _instance_types(me: str, values: Any) -> list[str] | None:
    if values is None:
        return None
    fix = "pass ml.* instance types or patterns such as 'ml.m5.*', or None for no allow-list"
    types = _as_list(me, "allowed_instance_types", values, fix, allow_empty=False)
    for value in types:
        if not isinstance(value, str) or not _INSTANCE_PATTERN.match(value):
            raise fail(me, "allowed_instance_types", value, "is not an ml.* instance type or pattern", fix)
    return list(types)


def _families(me: str, values: Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    families = list(values)
    for family in families:
        if not isinstance(family, str) or not re.match(r"^[a-z0-9-]+$", family):
            raise fail(
                me, "instance_storage_families", family, "is not an instance family", "pass families such as 'g5'"
            )
    return families


__all__ = [
    "DEFAULT_LOG_GROUPS",
    "DEFAULT_METRIC_NAMESPACES",
    "GUARDRAIL_CONDITIONS",
    "RESOURCE_STAR_ACTIONS",
    "REQUIRED_SETTINGS",
    "ExecutionRole",
    "Guardrails",
    "S3Prefix",
    "GUARDRAIL_PAIRS",
]
