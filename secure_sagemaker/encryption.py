"""Customer-managed KMS keys with rotation always on and least-privilege key policies.

Every key this library creates comes from :func:`new_customer_managed_key`, so rotation,
retention and the shape of the key policy are decided in one place. A key policy has at most
three kinds of statement:

1. **Administration** by the account (the root principal, which delegates to IAM): managing the
   key, its aliases, tags, rotation and deletion, but no cryptographic operation and no
   ``kms:CreateGrant`` (a grant would let an administrator hand themselves ``kms:Decrypt``).
2. **Use through AWS services**: IAM principals of this account may encrypt, decrypt and
   generate data keys only when the request comes through one of the key's services in this
   region (``kms:ViaService``) and from this account (``kms:CallerAccount``); services may create
   grants for their resources (``kms:GrantIsForAWSResource``). Direct ``kms:Decrypt`` calls with
   stolen credentials are refused by the key policy even if an IAM policy allows them.
3. **Service principals** admitted with :meth:`KeyRing.allow_service`, always with conditions
   (the logs key admits CloudWatch Logs for log groups of this account and region only).

CDK grants keep working: ``bucket.grant_read(role)`` adds ``kms:Decrypt`` to the role's IAM
policy, and the key policy lets that permission take effect for requests that S3 makes on the
role's behalf.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import describe, fail, is_token, require_type

#: Rotation periods KMS accepts (``RotationPeriodInDays``).
MIN_ROTATION_DAYS, MAX_ROTATION_DAYS = 90, 2560
#: Waiting periods KMS accepts before a scheduled deletion (``PendingWindowInDays``).
MIN_PENDING_DAYS, MAX_PENDING_DAYS = 7, 30
#: KMS alias names are at most 256 characters, ``alias/`` included.
MAX_ALIAS_LENGTH = 256
MAX_PURPOSE_LENGTH = 32
MAX_ALIAS_PREFIX_LENGTH = MAX_ALIAS_LENGTH - len("alias/") - 1 - MAX_PURPOSE_LENGTH

#: Key administration without any cryptographic operation. Listed one by one rather than as
#: ``Create*`` / ``Disable*`` families: ``kms:CreateGrant`` would give administrators a path to
#: ``kms:Decrypt`` and ``kms:DisableKeyRotation`` would switch off what this library enforces.
ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
#: What IAM principals of the account may do with a key, through its services only.
USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
#: What services may do with grants on the principal's behalf, for AWS resources only.
GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
#: What CloudWatch Logs needs to encrypt log groups (as in the CloudWatch Logs user guide).
LOGS_ACTIONS = ("kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*")

#: Services through which IAM principals may use each of the KeyRing's keys. The logs key has
#: none: CloudWatch Logs encrypts and decrypts under its own service principal (readers of a log
#: group need no KMS permission), so a ViaService statement would only widen who can use it.
DEFAULT_VIA_SERVICES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "data": ("s3", "sagemaker", "elasticfilesystem", "ec2"),
        "models": ("s3", "sagemaker", "ec2", "ecr"),
        "logs": (),
    }
)

_ALIAS_PREFIX = re.compile(r"^[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-]+)*$")
_PURPOSE = re.compile(r"^[a-z][a-z0-9-]*$")
_SERVICE = re.compile(r"^[a-z][a-z0-9-]*$")


def validate_duration_days(construct: str, prop: str, value: Any, low: int, high: int, what: str) -> None:
    """Fail unless ``value`` is a Duration of a whole number of days in ``low..high``."""
    require_type(construct, prop, value, cdk.Duration, f"pass cdk.Duration.days(n) with {low} <= n <= {high}")
    if value.is_unresolved():
        return
    days = value.to_days(integral=False)
    if days != int(days) or not low <= days <= high:
        raise fail(
            construct,
            prop,
            value.to_human_string(),
            f"is not a whole number of days from {low} to {high}, which is what {what} accepts",
            f"pass cdk.Duration.days(n) with {low} <= n <= {high}",
        )


def validate_alias_prefix(construct: str, prop: str, value: Any) -> None:
    """Fail unless ``value`` can start KMS alias names (``alias/<value>/<purpose>``)."""
    fix = "use letters, digits, '_', '-' and single '/' separators, not starting with 'aws'"
    require_type(construct, prop, value, str, fix)
    if is_token(value):
        return
    if not _ALIAS_PREFIX.match(value):
        raise fail(construct, prop, value, "is not a valid KMS alias prefix", fix)
    if value.lower().startswith(("aws", "alias/")):
        raise fail(construct, prop, value, "starts with a prefix KMS reserves or adds itself", fix)
    if len(value) > MAX_ALIAS_PREFIX_LENGTH:
        raise fail(
            construct,
            prop,
            value,
            f"is {len(value)} characters long, more than the {MAX_ALIAS_PREFIX_LENGTH} that leave room "
            "for a purpose in a 256-character alias",
            f"use at most {MAX_ALIAS_PREFIX_LENGTH} characters",
        )


def via_service_names(services: Sequence[str]) -> list[str]:
    """The ``kms:ViaService`` values (``<service>.<region>.<url suffix>``) for ``services``."""
    region, url_suffix = cdk.Aws.REGION, cdk.Aws.URL_SUFFIX
    return [f"{service}.{region}.{url_suffix}" for service in services]


def key_policy(via_services: Sequence[str] = ()) -> iam.PolicyDocument:
    """The key policy every key here starts from: administration, plus use through ``via_services``."""
    account = iam.AccountRootPrincipal()
    statements = [
        iam.PolicyStatement(
            sid="KeyAdministration",
            principals=[account],
            actions=list(ADMIN_ACTIONS),
            resources=["*"],
        )
    ]
    if via_services:
        scope = {
            "StringEquals": {
                "kms:CallerAccount": cdk.Aws.ACCOUNT_ID,
                "kms:ViaService": via_service_names(via_services),
            }
        }
        statements += [
            iam.PolicyStatement(
                sid="UseThroughAwsServices",
                principals=[account],
                actions=list(USE_ACTIONS),
                resources=["*"],
                conditions=scope,
            ),
            iam.PolicyStatement(
                sid="GrantsForAwsResources",
                principals=[account],
                actions=list(GRANT_ACTIONS),
                resources=["*"],
                conditions={**scope, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
    return iam.PolicyDocument(statements=statements)


def new_customer_managed_key(
    scope: Construct,
    id: str,
    *,
    description: str,
    alias: str | None = None,
    rotation_period: cdk.Duration | None = None,
    pending_window: cdk.Duration | None = None,
    via_services: Sequence[str] = (),
) -> kms.Key:
    """A symmetric customer-managed key as every construct of this library makes one.

    Rotation is always on, the key is retained when its stack is deleted, and its policy is
    :func:`key_policy` (administration by the account, use only through ``via_services``).

    :param scope: the construct that owns the key; error messages name it.
    :param id: the key's construct id; keep it stable, a changed id replaces the key.
    :param description: the key's description in KMS.
    :param alias: the full alias name (``alias/...``). Default: no alias.
    :param rotation_period: how often KMS rotates the key material, 90 to 2560 whole days.
        Default: 365 days.
    :param pending_window: how long a scheduled deletion waits, 7 to 30 whole days.
        Default: 30 days.
    :param via_services: service names (``"s3"``, ``"sagemaker"``, ...) through which IAM
        principals of the account may use the key in the stack's region. Default: none.
    """
    owner = describe(scope)
    rotation_period = rotation_period if rotation_period is not None else cdk.Duration.days(365)
    pending_window = pending_window if pending_window is not None else cdk.Duration.days(30)
    validate_duration_days(
        owner, "rotation_period", rotation_period, MIN_ROTATION_DAYS, MAX_ROTATION_DAYS, "KMS key rotation"
    )
    validate_duration_days(
        owner, "pending_window", pending_window, MIN_PENDING_DAYS, MAX_PENDING_DAYS, "KMS key deletion"
    )
    for service in via_services:
        if not isinstance(service, str) or not _SERVICE.match(service):
            raise fail(
                owner, "via_services", service, "is not an AWS service name", "pass names such as 's3' or 'sagemaker'"
            )
    key = kms.Key(
        scope,
        id,
        description=description,
        alias=alias,
        enable_key_rotation=True,
        rotation_period=rotation_period,
        pending_window=pending_window,
        removal_policy=RETAINED,
        policy=key_policy(via_services),
    )
    days = int(rotation_period.to_days())
    enforce_rules(
        key,
        resources=[key.node.default_child],
        rules=["KmsKeyRotation"],
        identity=[(f"RotationPeriodInDays {days}", lambda p: p["RotationPeriodInDays"] == days)],
    )
    return key


def allow_service_on_key(
    key: kms.Key,
    service_principal: str,
    actions: Sequence[str],
    conditions: Mapping[str, Mapping[str, Any]],
    *,
    sid: str | None = None,
) -> iam.PolicyStatement:
    """Add a statement to ``key``'s policy admitting ``service_principal`` for ``actions``.

    ``conditions`` must not be empty: a service principal without ``aws:SourceAccount``,
    ``aws:SourceArn`` or an encryption-context condition could use the key for any account's
    resources (the confused-deputy problem).
    """
    owner = describe(key)
    if not conditions:
        raise fail(
            owner,
            "conditions",
            conditions,
            f"is empty, so {service_principal} could use the key on behalf of any account",
            "scope the statement with aws:SourceAccount, aws:SourceArn or kms:EncryptionContext conditions",
        )
    if not actions or any(not isinstance(a, str) or not a.startswith("kms:") or a == "kms:*" for a in actions):
        raise fail(
            owner,
            "actions",
            actions,
            "must be a non-empty list of kms: actions other than kms:*",
            "name the actions the service needs",
        )
    statement = iam.PolicyStatement(
        sid=sid,
        principals=[iam.ServicePrincipal(service_principal)],
        actions=list(actions),
        resources=["*"],
        conditions={k: dict(v) for k, v in conditions.items()},
    )
    key.add_to_resource_policy(statement)
    return statement


def _construct_id(purpose: str) -> str:
    return "".join(part.capitalize() for part in purpose.split("-")) + "Key"


#: The keys a KeyRing creates unless told otherwise (``purposes``).
STANDARD_PURPOSES = ("data", "models", "logs")


def _claim_alias_prefix(ring: Construct, prefix: str) -> None:
    """Fail when another KeyRing of the same stack already uses ``prefix``: KMS aliases are
    unique per account and Region, so the second stack deploy would fail on them."""
    stack = cdk.Stack.of(ring)
    claimed: dict[str, str] = stack.__dict__.setdefault("_secure_sagemaker_alias_prefixes", {})
    if prefix in claimed and not is_token(prefix):
        raise fail(
            describe(ring),
            "alias_prefix",
            prefix,
            f"is already the alias prefix of {claimed[prefix]}",
            "pass a different alias_prefix to one of the KeyRings",
        )
    claimed[prefix] = ring.node.path


class KeyRing(Construct):
    """Separate customer-managed KMS keys per purpose: ``data``, ``models`` and ``logs``.

    Each key is named ``alias/<alias_prefix>/<purpose>``, rotates on ``rotation_period`` (rotation
    cannot be turned off: setting the L1 key's rotation properties after construction fails
    ``cdk synth``), waits ``pending_window`` before deletion and is retained when the stack is
    deleted. The construct ids ``DataKey``, ``ModelsKey`` and ``LogsKey`` are stable, so their
    logical ids do not change between releases.

    - ``data``: training and processing data in S3, SageMaker volumes, Studio EFS; usable through
      S3, SageMaker, EFS and EC2 (EBS).
    - ``models``: model artifacts, model images and endpoint volumes; usable through S3,
      SageMaker, EC2 and ECR.
    - ``logs``: CloudWatch Logs log groups of this account and region; no IAM principal may use
      it directly (CloudWatch Logs decrypts for readers under its own service principal).

    Later purposes are added with :meth:`add_key`; service principals with :meth:`allow_service`.

    Keyword-only props:

    :param alias_prefix: the middle of every alias, ``alias/<alias_prefix>/<purpose>``. Letters,
        digits, ``_``, ``-`` and single ``/`` separators; must not start with ``aws``.
        Default: the stack's name, so a second copy of the stack in the same account and Region
        gets aliases of its own (aliases are unique per account and Region). Two KeyRings in one
        stack must be given different prefixes.
    :param purposes: which of the standard keys to create: ``data``, ``models``, ``logs``.
        Default: all three. ``logs`` must be among them (the ring's log groups need it).
    :param rotation_period: how often KMS rotates each key's material, 90 to 2560 whole days.
        Default: ``Duration.days(365)``.
    :param pending_window: how long KMS waits before deleting a key scheduled for deletion,
        7 to 30 whole days. Default: ``Duration.days(30)``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias_prefix: str | None = None,
        rotation_period: cdk.Duration = cdk.Duration.days(365),
        pending_window: cdk.Duration = cdk.Duration.days(30),
        purposes: Sequence[str] = STANDARD_PURPOSES,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        if alias_prefix is None:
            alias_prefix = cdk.Stack.of(self).stack_name
        validate_alias_prefix(me, "alias_prefix", alias_prefix)
        _claim_alias_prefix(self, alias_prefix)
        if isinstance(purposes, str) or not all(p in STANDARD_PURPOSES for p in purposes) or "logs" not in purposes:
            raise fail(
                me,
                "purposes",
                purposes,
                f"is not a list drawn from {list(STANDARD_PURPOSES)} with 'logs'",
                "pass e.g. ['logs'], and add other keys with add_key()",
            )
        validate_duration_days(
            me, "rotation_period", rotation_period, MIN_ROTATION_DAYS, MAX_ROTATION_DAYS, "KMS key rotation"
        )
        validate_duration_days(
            me, "pending_window", pending_window, MIN_PENDING_DAYS, MAX_PENDING_DAYS, "KMS key deletion"
        )
        self._alias_prefix = alias_prefix
        self._rotation_period = rotation_period
        self._pending_window = pending_window
        self._keys: dict[str, kms.Key] = {}

        if "data" in purposes:
            self.add_key(
                "data",
                description="secure-sagemaker: ML data (S3, SageMaker volumes, Studio EFS)",
                via_services=DEFAULT_VIA_SERVICES["data"],
            )
        if "models" in purposes:
            self.add_key(
                "models",
                description="secure-sagemaker: model artifacts and endpoint volumes",
                via_services=DEFAULT_VIA_SERVICES["models"],
            )
        logs = self.add_key(
            "logs",
            description="secure-sagemaker: CloudWatch Logs log groups",
            via_services=DEFAULT_VIA_SERVICES["logs"],
        )
        allow_service_on_key(
            logs,
            f"logs.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}",
            LOGS_ACTIONS,
            {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:*"
                    )
                }
            },
            sid="CloudWatchLogsOfThisAccountAndRegion",
        )

    @property
    def data_key(self) -> kms.Key:
        """The key for ML data: S3 datasets, SageMaker job and notebook volumes, Studio EFS."""
        return self.key("data")

    @property
    def models_key(self) -> kms.Key:
        """The key for model artifacts and endpoint volumes."""
        return self.key("models")

    @property
    def logs_key(self) -> kms.Key:
        """The key for CloudWatch Logs log groups of this account and region."""
        return self.key("logs")

    @property
    def keys(self) -> Mapping[str, kms.Key]:
        """Every key of the ring by purpose (read-only)."""
        return MappingProxyType(self._keys)

    @property
    def alias_prefix(self) -> str:
        """The middle part of every alias: ``alias/<alias_prefix>/<purpose>``."""
        return self._alias_prefix

    def key(self, purpose: str) -> kms.Key:
        """The key for ``purpose``; a KeyError names the purposes there are."""
        try:
            return self._keys[purpose]
        except KeyError:
            raise KeyError(
                f"{describe(self)} has no key for purpose {purpose!r}; it has {sorted(self._keys)}"
            ) from None

    def add_key(self, purpose: str, *, description: str, via_services: Sequence[str] = ()) -> kms.Key:
        """Add a key for ``purpose`` (construct id ``<Purpose>Key``, alias ``alias/<prefix>/<purpose>``).

        :param purpose: lowercase letters, digits and ``-``, starting with a letter, at most 32
            characters (for example ``"alerts"``). Never rename one: its construct id, and so its
            logical id, follow from it.
        :param description: the key's description in KMS.
        :param via_services: services through which IAM principals of the account may use the
            key in this region (``"s3"``, ``"sns"``, ...). Default: none.
        """
        me = describe(self)
        fix = f"use lowercase letters, digits and '-', starting with a letter, at most {MAX_PURPOSE_LENGTH} characters"
        require_type(me, "purpose", purpose, str, fix)
        if not _PURPOSE.match(purpose) or len(purpose) > MAX_PURPOSE_LENGTH:
            raise fail(me, "purpose", purpose, "is not a valid key purpose", fix)
        if purpose in self._keys:
            raise fail(me, "purpose", purpose, "already has a key", f"use key({purpose!r}) or another purpose")
        key = new_customer_managed_key(
            self,
            _construct_id(purpose),
            description=description,
            alias=f"alias/{self._alias_prefix}/{purpose}",
            rotation_period=self._rotation_period,
            pending_window=self._pending_window,
            via_services=via_services,
        )
        self._keys[purpose] = key
        return key

    def allow_service(
        self,
        purpose_or_key: str | kms.Key,
        service_principal: str,
        actions: Sequence[str],
        conditions: Mapping[str, Mapping[str, Any]],
        *,
        sid: str | None = None,
    ) -> iam.PolicyStatement:
        """Admit ``service_principal`` to a key of the ring for ``actions`` under ``conditions``.

        For example CloudTrail on an ``"audit"`` key, scoped with ``aws:SourceArn`` and the
        ``kms:EncryptionContext:aws:cloudtrail:arn`` of this account's trails. ``conditions`` is
        required: an unscoped service principal is a confused-deputy risk.

        :param purpose_or_key: the purpose (``"logs"``) or a key of this ring.
        :param service_principal: e.g. ``"cloudtrail.amazonaws.com"``.
        :param actions: ``kms:`` actions, never ``kms:*``.
        :param conditions: IAM condition block, e.g. ``{"StringEquals": {"aws:SourceAccount": ...}}``.
        :param sid: statement id. Default: none.
        """
        key = self.key(purpose_or_key) if isinstance(purpose_or_key, str) else purpose_or_key
        if key not in self._keys.values():
            raise fail(
                describe(self),
                "purpose_or_key",
                key.node.path,
                "is not a key of this ring",
                "pass a purpose or a key of this KeyRing",
            )
        return allow_service_on_key(key, service_principal, actions, conditions, sid=sid)
