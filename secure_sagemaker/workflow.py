"""The data-science workflow, least privilege and with separation of duties for models.

A data scientist opens Studio, launches JupyterLab in a space of their own, runs processing and
training jobs as the training role, and registers candidate models; a release role, assumed by a
person with MFA, approves a candidate and writes what endpoints serve. ``docs/data-scientist-workflow.md``
walks the steps and names the test that proves each permission.

- :class:`ModelRegistry`: an ``AWS::SageMaker::ModelPackageGroup`` for candidates, with a
  resource policy that admits only this account's principals.
- :class:`ReleaseRole`: approves packages (``Approved`` or ``Rejected``) and writes the serving prefix.
- :class:`DataScientistPermissions`: a managed policy for the role data scientists act as (the
  Studio execution role): Studio in its own profile and spaces, jobs that pass only the training
  role with the VPC, keys, isolation and encryption the guardrails demand, pending model
  packages, its logs; and explicit denies of what belongs to the release role.

Every statement is an ``Allow`` narrowed by resource and condition; the guardrails
(:class:`~secure_sagemaker.identity.Guardrails`) deny the same things again for every role that
carries them, so neither depends on the other.
"""

from __future__ import annotations

from typing import Any, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import describe, fail, is_token, require_type
from secure_sagemaker.acknowledgments import acknowledge_wildcard_resources
from secure_sagemaker.guardrail_statements import PRIVATE_SPACE, SPACE_SHARING_TYPE
from secure_sagemaker.identity import (
    KMS_USE_ACTIONS,
    NETWORK_ISOLATION,
    OUTPUT_KEY,
    PASSED_TO_SERVICE,
    SAGEMAKER_SERVICE,
    TRAFFIC_ENCRYPTION,
    VOLUME_KEY,
    VPC_SECURITY_GROUPS,
    VPC_SUBNETS,
    ExecutionRole,
    _key_arns,
    _security_group_ids,
    _subnet_ids,
    _within_size_limit,
)
from secure_sagemaker.studio import validate_sagemaker_name

#: The approval status a data scientist may give a package, and those only the release role may.
PENDING = "PendingManualApproval"
RELEASE_DECISIONS = ("Approved", "Rejected")
APPROVAL_STATUS = "sagemaker:ModelApprovalStatus"
#: Studio checks the owner of a space (and of the apps in it) against this key.
SPACE_OWNER = "sagemaker:OwnerUserProfileArn"
#: ``Private`` or ``Shared``: who may use a space (the guardrails' key, see guardrail_statements).
SPACE_SHARING = SPACE_SHARING_TYPE
#: Present only when AddTags runs as part of a Create call (tags on create).
TAGGING_ACTION = "sagemaker:TaggingAction"

#: The jobs a data scientist may start, each guarded by the same conditions as in the guardrails.
JOB_RESOURCES = {"sagemaker:CreateTrainingJob": "training-job", "sagemaker:CreateProcessingJob": "processing-job"}
#: The log groups (and metric namespaces) of the jobs data scientists start.
JOB_LOG_GROUPS = ("/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs")
#: Log groups a data scientist may read: their jobs' and Studio's.
DATA_SCIENTIST_LOG_GROUPS = (*JOB_LOG_GROUPS, "/aws/sagemaker/studio")
#: What writes, replaces or deletes an object: denied to data scientists under the serving prefix.
S3_OBJECT_WRITE_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:RestoreObject",
)
_REGISTRY_READ_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)

_WILDCARD_REASON = (
    "Wildcards only where names are made at run time inside a named parent: jobs the data scientist "
    "names (training-job/*, processing-job/*, under conditions that pin VPC, keys, isolation and "
    "encryption), spaces and apps of the baseline's domain (owner-checked with "
    "sagemaker:OwnerUserProfileArn), versions of the one model package group, streams of named "
    "/aws/sagemaker log groups, and objects under named prefixes. Resource '*' only for List calls "
    "that have no resource type (ListSpaces, ListApps, ListTrainingJobs, ListProcessingJobs, "
    "ListModelPackages)."
)


def job_execution_role(scope: Construct, id: str, **props: Any) -> ExecutionRole:
    """The role data scientists pass to their processing and training jobs: an :class:`ExecutionRole`
    with ``props`` (locations, repositories, subnets, security groups), writing the jobs' log groups
    and metrics (:data:`JOB_LOG_GROUPS`) and trusted only by training and processing jobs of this
    account (``aws:SourceArn``)."""
    stack = cdk.Stack.of(scope)
    return ExecutionRole(
        scope,
        id,
        log_groups=JOB_LOG_GROUPS,
        metric_namespaces=JOB_LOG_GROUPS,
        source_arns=[
            stack.format_arn(service="sagemaker", resource=kind, resource_name="*") for kind in JOB_RESOURCES.values()
        ],
        **props,
    )


def _prefix(me: str, prop: str, value: Any) -> str:
    fix = "pass a key prefix without wildcards or a leading '/', e.g. 'models'"
    require_type(me, prop, value, str, fix)
    if is_token(value) or not value.strip("/") or value.startswith("/") or "*" in value or "?" in value:
        raise fail(me, prop, value, "is not a literal key prefix", fix)
    return value.strip("/") + "/"


def _sagemaker_arn(scope: Construct, resource: str, name: str) -> str:
    return cdk.Stack.of(scope).format_arn(service="sagemaker", resource=resource, resource_name=name)


class ModelRegistry(Construct):
    """A model package group for candidate models, retained, readable only within this account.

    Its resource policy allows this account's principals to describe, list, create and update
    packages in the group; no other account can, whatever its own policies say. Within the
    account, identity policies decide: :class:`DataScientistPermissions` registers pending packages,
    :class:`ReleaseRole` approves them.

    Read-only attributes: ``group`` (the ``CfnModelPackageGroup``), ``group_name``, ``group_arn``,
    ``package_arns`` (the ARN pattern of the group's package versions).

    :param model_package_group_name: the group's name. Default: a unique name from the construct path.
    """

    def __init__(self, scope: Construct, id: str, *, model_package_group_name: str | None = None) -> None:
        super().__init__(scope, id)
        me = describe(self)
        validate_sagemaker_name(me, "model_package_group_name", model_package_group_name)
        self._name = model_package_group_name or cdk.Names.unique_resource_name(self, max_length=63, separator="-")
        self._arn = _sagemaker_arn(self, "model-package-group", self._name)
        self._package_arns = _sagemaker_arn(self, "model-package", f"{self._name}/*")
        account_principals = {
            "AWS": cdk.Stack.of(self).format_arn(
                service="iam", region="", account=None, resource="root", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
            )
        }
        self._group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=self._name,
            model_package_group_description="secure-sagemaker: candidate models; only a release role approves",
            model_package_group_policy={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ThisAccountOnly",
                        "Effect": "Allow",
                        "Principal": account_principals,
                        "Action": [
                            *_REGISTRY_READ_ACTIONS,
                            "sagemaker:CreateModelPackage",
                            "sagemaker:UpdateModelPackage",
                        ],
                        "Resource": [self._arn, self._package_arns],
                    }
                ],
            },
        )
        self._group.apply_removal_policy(RETAINED)

    @property
    def group(self) -> sagemaker.CfnModelPackageGroup:
        """The ``AWS::SageMaker::ModelPackageGroup``."""
        return self._group

    @property
    def group_name(self) -> str:
        """The group's name."""
        return self._name

    @property
    def group_arn(self) -> str:
        """The group's ARN."""
        return self._arn

    @property
    def package_arns(self) -> str:
        """``arn:...:model-package/<group>/*``: every package version in the group."""
        return self._package_arns


def _bucket_statements(
    sid: str, bucket: s3.IBucket, read_prefixes: Sequence[str], write_prefixes: Sequence[str]
) -> list[iam.PolicyStatement]:
    statements = []
    if read_prefixes:
        statements.append(
            iam.PolicyStatement(
                sid=f"{sid}Read",
                actions=["s3:GetObject"],
                resources=[f"{bucket.bucket_arn}/{p}*" for p in read_prefixes],
            )
        )
    if write_prefixes:
        statements.append(
            iam.PolicyStatement(
                sid=f"{sid}Write",
                actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                resources=[f"{bucket.bucket_arn}/{p}*" for p in write_prefixes],
            )
        )
    prefixes = sorted({p for prefix in (*read_prefixes, *write_prefixes) for p in (f"{prefix}*", prefix.rstrip("/"))})
    statements.append(
        iam.PolicyStatement(
            sid=f"{sid}List",
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": prefixes}},
        )
    )
    statements.append(
        iam.PolicyStatement(sid=f"{sid}Location", actions=["s3:GetBucketLocation"], resources=[bucket.bucket_arn])
    )
    if bucket.encryption_key is not None:
        statements.append(
            iam.PolicyStatement(
                sid=f"{sid}Key", actions=list(KMS_USE_ACTIONS), resources=[bucket.encryption_key.key_arn]
            )
        )
    return statements


class ReleaseRole(Construct):
    """The role that approves candidate models and writes what endpoints serve.

    Trust: ``trusted_principal`` may assume it only with MFA (``aws:MultiFactorAuthPresent``),
    unless ``allow_assume_without_mfa``. Permissions, in one customer-managed policy:
    ``sagemaker:UpdateModelPackage`` on the registry's packages only to set them ``Approved`` or
    ``Rejected``; reading the registry; reading ``candidates_prefix`` and reading and writing
    ``serving_prefix`` of ``models_bucket`` (no delete), and using the bucket's key.

    Read-only attributes: ``role``, ``policy``.

    :param registry: the :class:`ModelRegistry` whose packages it approves. Required.
    :param models_bucket: the bucket endpoints load models from. Required.
    :param serving_prefix: the prefix endpoints serve from, e.g. ``"models"``. Required.
    :param candidates_prefix: the prefix data scientists and training jobs write candidates to. Required.
    :param trusted_principal: who may assume the role, e.g. an ``iam.ArnPrincipal`` of a release
        manager's role. Default: ``iam.AccountRootPrincipal()`` (any principal of this account that
        its own policies allow to ``sts:AssumeRole`` this role, with MFA).
    :param allow_assume_without_mfa: give up the MFA condition, e.g. for a release pipeline's role
        (then name that role as ``trusted_principal``). Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        registry: ModelRegistry,
        models_bucket: s3.IBucket,
        serving_prefix: str,
        candidates_prefix: str,
        trusted_principal: iam.IPrincipal | None = None,
        allow_assume_without_mfa: bool = False,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_type(me, "registry", registry, ModelRegistry, "pass the ModelRegistry whose packages it approves")
        require_type(me, "allow_assume_without_mfa", allow_assume_without_mfa, bool, "pass True or False")
        serving = _prefix(me, "serving_prefix", serving_prefix)
        candidates = _prefix(me, "candidates_prefix", candidates_prefix)
        if serving.startswith(candidates) or candidates.startswith(serving):
            raise fail(
                me,
                "candidates_prefix",
                candidates_prefix,
                f"overlaps serving_prefix={serving_prefix!r}, so a candidate would be served without a release",
                "use separate prefixes, e.g. 'candidates' and 'models'",
            )
        principal = trusted_principal or iam.AccountRootPrincipal()
        if not allow_assume_without_mfa:
            principal = iam.PrincipalWithConditions(principal, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
        self._role = iam.Role(
            self,
            "Role",
            description=f"secure-sagemaker: release role {self.node.path}: approves models, writes what endpoints serve",
            assumed_by=principal,
            max_session_duration=cdk.Duration.hours(1),
        )
        self._policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"secure-sagemaker: permissions of release role {self.node.path}",
            statements=[
                iam.PolicyStatement(
                    sid="DecideOnPackages",
                    actions=["sagemaker:UpdateModelPackage"],
                    resources=[registry.package_arns],
                    conditions={"StringEquals": {APPROVAL_STATUS: list(RELEASE_DECISIONS)}},
                ),
                iam.PolicyStatement(
                    sid="ReadRegistry",
                    actions=list(_REGISTRY_READ_ACTIONS),
                    resources=[registry.group_arn, registry.package_arns],
                ),
                *_bucket_statements("Models", models_bucket, [candidates], [serving]),
            ],
        )
        self._role.add_managed_policy(self._policy)
        acknowledge_wildcard_resources(self._policy, _WILDCARD_REASON)

    @property
    def role(self) -> iam.Role:
        """The release role."""
        return self._role

    @property
    def policy(self) -> iam.ManagedPolicy:
        """The customer-managed policy holding the release role's permissions."""
        return self._policy


def _role_of(me: str, prop: str, value: Any) -> iam.IRole:
    role = value.role if isinstance(value, ExecutionRole) else value
    if not hasattr(role, "role_arn") or not hasattr(role, "add_managed_policy"):
        raise fail(me, prop, value, "is not a role", "pass an ExecutionRole or an iam.IRole")
    return role


class DataScientistPermissions(Construct):
    """What a data scientist needs, and nothing more, as a managed policy attached to ``role``.

    ``role`` is the role data scientists act as: Studio's UI and the SageMaker SDK call AWS with
    the Studio (or notebook) execution role. The policy allows:

    - with ``domain_id`` and ``user_profile_name``: ``CreatePresignedDomainUrl`` and
      ``DescribeUserProfile`` on that profile, ``DescribeDomain``; ``ListSpaces`` and ``ListApps``;
      creating, updating, deleting and describing spaces, and apps in them, only where
      ``sagemaker:OwnerUserProfileArn`` is that profile, and creating, updating and deleting them
      (apps included) only where ``sagemaker:SpaceSharingType`` is ``Private``; with
      ``allow_shared_spaces``, also ``Shared`` spaces of one's own, and apps in anyone's shared space;
    - ``CreateTrainingJob`` and ``CreateProcessingJob`` only with every subnet in ``subnets`` and
      every security group in ``security_groups`` (both required), a volume key among
      ``volume_keys`` and an output key among ``output_keys`` (by key ARN), network isolation and
      inter-container traffic encryption on; describing, listing and stopping jobs;
    - ``iam:PassRole`` of ``training_role`` only, only to SageMaker;
    - ``CreateModelPackage`` into ``registry`` only as ``PendingManualApproval``; reading the registry;
    - ``AddTags`` only as part of those creates (``sagemaker:TaggingAction``);
    - reading the log groups in :data:`DATA_SCIENTIST_LOG_GROUPS`.

    It denies, whatever else the role is given: changing a package's approval status, creating a
    package in any other status, writing or deleting under ``serving_prefix`` of
    ``models_bucket``, and assuming ``release_role``.

    Read-only attribute: ``policy``.

    :param role: the data scientists' role, an :class:`ExecutionRole` or ``iam.IRole``. Required.
    :param training_role: the only role jobs may run as. Required.
    :param subnets: approved subnets (``ec2.ISubnet``, ids or an explicit ``SubnetSelection``). Required.
    :param security_groups: approved security groups. Required.
    :param volume_keys: KMS keys approved for job volumes. Required.
    :param output_keys: KMS keys approved for job outputs. Required.
    :param registry: where candidates are registered. Required.
    :param models_bucket: the bucket endpoints load models from. Required.
    :param serving_prefix: its prefix that endpoints serve, denied to data scientists. Required.
    :param release_role: the role that approves models, denied to data scientists. Default: none.
    :param domain_id: the Studio domain. Default: none (no Studio permissions).
    :param user_profile_name: the data scientist's profile in that domain. Default: none.
    :param allow_shared_spaces: give up private-only spaces: the person may create spaces every
        profile of the domain uses, and open apps in other people's shared spaces. Default False.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        role: ExecutionRole | iam.IRole,
        training_role: ExecutionRole | iam.IRole,
        subnets: Sequence[ec2.ISubnet | str] | ec2.SubnetSelection,
        security_groups: Sequence[ec2.ISecurityGroup | str],
        volume_keys: Sequence[kms.IKey],
        output_keys: Sequence[kms.IKey],
        registry: ModelRegistry,
        models_bucket: s3.IBucket,
        serving_prefix: str,
        release_role: iam.IRole | None = None,
        domain_id: str | None = None,
        user_profile_name: str | None = None,
        allow_shared_spaces: bool = False,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_type(me, "allow_shared_spaces", allow_shared_spaces, bool, "pass True or False")
        target = _role_of(me, "role", role)
        training = _role_of(me, "training_role", training_role)
        require_type(me, "registry", registry, ModelRegistry, "pass the ModelRegistry for candidates")
        serving = _prefix(me, "serving_prefix", serving_prefix)
        if (domain_id is None) != (user_profile_name is None):
            raise fail(
                me,
                "user_profile_name",
                user_profile_name,
                f"is given without domain_id={domain_id!r} (or the other way round)",
                "pass both to allow Studio, or neither",
            )
        validate_sagemaker_name(me, "user_profile_name", user_profile_name)
        approved = {
            VPC_SUBNETS: _subnet_ids(me, "subnets", subnets, required=True),
            VPC_SECURITY_GROUPS: _security_group_ids(me, "security_groups", security_groups, required=True),
        }
        keys = {
            VOLUME_KEY: _key_arns(self, me, "volume_keys", volume_keys, required=True),
            OUTPUT_KEY: _key_arns(self, me, "output_keys", output_keys, required=True),
        }
        statements = []
        if domain_id is not None:
            statements += self._studio_statements(domain_id, user_profile_name, allow_shared_spaces)
        statements += self._job_statements(approved, keys, training.role_arn)
        statements += self._registry_statements(registry)
        statements += self._log_statements()
        statements += self._deny_statements(registry, models_bucket, serving, release_role)
        self._policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"secure-sagemaker: data-scientist workflow {self.node.path}",
            document=_within_size_limit(
                self, me, statements, "approve fewer subnets, security groups or keys, or give each team its own role"
            ),
            # Attached from the policy's side: the policy names the Studio domain, which names the
            # role, so the role must not name the policy (a dependency cycle).
            roles=[target],
        )
        acknowledge_wildcard_resources(self._policy, _WILDCARD_REASON)

    @property
    def policy(self) -> iam.ManagedPolicy:
        """The data-scientist policy (attached to ``role``)."""
        return self._policy

    def _studio_statements(
        self, domain_id: str, profile_name: str, allow_shared_spaces: bool
    ) -> list[iam.PolicyStatement]:
        profile_arn = _sagemaker_arn(self, "user-profile", f"{domain_id}/{profile_name}")
        spaces = _sagemaker_arn(self, "space", f"{domain_id}/*")
        apps = _sagemaker_arn(self, "app", f"{domain_id}/*")
        own = {"ArnEquals": {SPACE_OWNER: profile_arn}}
        sharing = [PRIVATE_SPACE, "Shared"] if allow_shared_spaces else [PRIVATE_SPACE]
        statements = [
            iam.PolicyStatement(
                sid="OpenStudioAsOwnProfile",
                actions=["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"],
                resources=[profile_arn],
            ),
            iam.PolicyStatement(
                sid="DescribeDomain",
                actions=["sagemaker:DescribeDomain"],
                resources=[_sagemaker_arn(self, "domain", domain_id)],
            ),
            iam.PolicyStatement(
                sid="ListSpacesAndApps", actions=["sagemaker:ListApps", "sagemaker:ListSpaces"], resources=["*"]
            ),
            iam.PolicyStatement(
                sid="OwnPrivateSpacesAndApps",
                actions=[
                    "sagemaker:CreateApp",
                    "sagemaker:CreateSpace",
                    "sagemaker:DeleteApp",
                    "sagemaker:DeleteSpace",
                    "sagemaker:UpdateSpace",
                ],
                resources=[spaces, apps],
                conditions={**own, "StringEquals": {SPACE_SHARING: sharing}},
            ),
            iam.PolicyStatement(
                sid="DescribeOwnSpacesAndApps",
                actions=["sagemaker:DescribeApp", "sagemaker:DescribeSpace"],
                resources=[spaces, apps],
                conditions=own,
            ),
            iam.PolicyStatement(
                sid="TagOwnSpacesOnCreate",
                actions=["sagemaker:AddTags"],
                resources=[spaces, apps],
                conditions={**own, "Null": {TAGGING_ACTION: "false"}},
            ),
        ]
        if allow_shared_spaces:
            statements.append(
                iam.PolicyStatement(
                    sid="AppsInSharedSpaces",
                    actions=["sagemaker:CreateApp", "sagemaker:DeleteApp"],
                    resources=[apps],
                    conditions={"StringEquals": {SPACE_SHARING: "Shared"}},
                )
            )
        return statements

    def _job_statements(
        self, approved: dict[str, list[str]], keys: dict[str, list[str]], training_role_arn: str
    ) -> list[iam.PolicyStatement]:
        jobs = [_sagemaker_arn(self, resource, "*") for resource in JOB_RESOURCES.values()]
        return [
            iam.PolicyStatement(
                sid="JobsInVpcWithKeys",
                actions=sorted(JOB_RESOURCES),
                resources=jobs,
                conditions={
                    # ForAllValues is true when the key is absent: Null makes the VPC required.
                    "Null": {VPC_SUBNETS: "false", VPC_SECURITY_GROUPS: "false"},
                    "ForAllValues:StringEquals": approved,
                    "ArnEquals": keys,
                    "Bool": {NETWORK_ISOLATION: "true", TRAFFIC_ENCRYPTION: "true"},
                },
            ),
            iam.PolicyStatement(
                sid="ManageJobs",
                actions=[
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:StopTrainingJob",
                ],
                resources=jobs,
            ),
            iam.PolicyStatement(
                sid="ListJobs",
                actions=["sagemaker:ListProcessingJobs", "sagemaker:ListTrainingJobs"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="TagJobsOnCreate",
                actions=["sagemaker:AddTags"],
                resources=jobs,
                conditions={"Null": {TAGGING_ACTION: "false"}},
            ),
            iam.PolicyStatement(
                sid="PassTrainingRoleToSageMaker",
                actions=["iam:PassRole"],
                resources=[training_role_arn],
                conditions={"StringEquals": {PASSED_TO_SERVICE: SAGEMAKER_SERVICE}},
            ),
        ]

    @staticmethod
    def _registry_statements(registry: ModelRegistry) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="RegisterPendingPackages",
                actions=["sagemaker:CreateModelPackage"],
                resources=[registry.group_arn, registry.package_arns],
                conditions={"StringEquals": {APPROVAL_STATUS: PENDING}},
            ),
            iam.PolicyStatement(
                sid="ReadRegistry",
                actions=list(_REGISTRY_READ_ACTIONS),
                resources=[registry.group_arn, registry.package_arns],
            ),
        ]

    def _log_statements(self) -> list[iam.PolicyStatement]:
        stack = cdk.Stack.of(self)
        arns = []
        for name in DATA_SCIENTIST_LOG_GROUPS:
            group = stack.format_arn(
                service="logs", resource="log-group", resource_name=name, arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
            )
            arns += [group, f"{group}:*"]
        return [
            iam.PolicyStatement(
                sid="ReadOwnLogs",
                actions=["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"],
                resources=arns,
            )
        ]

    @staticmethod
    def _deny_statements(
        registry: ModelRegistry, models_bucket: s3.IBucket, serving: str, release_role: iam.IRole | None
    ) -> list[iam.PolicyStatement]:
        statements = [
            iam.PolicyStatement(
                sid="NeverDecideOnPackages",
                effect=iam.Effect.DENY,
                actions=["sagemaker:UpdateModelPackage"],
                resources=["*"],
                conditions={"Null": {APPROVAL_STATUS: "false"}},
            ),
            iam.PolicyStatement(
                sid="OnlyPendingPackages",
                effect=iam.Effect.DENY,
                actions=["sagemaker:CreateModelPackage"],
                resources=["*"],
                conditions={"StringNotEquals": {APPROVAL_STATUS: PENDING}},
            ),
            iam.PolicyStatement(
                sid="NeverWriteServedModels",
                effect=iam.Effect.DENY,
                actions=list(S3_OBJECT_WRITE_ACTIONS),
                resources=[f"{models_bucket.bucket_arn}/{serving}*"],
            ),
        ]
        if release_role is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="NeverActAsReleaseRole",
                    effect=iam.Effect.DENY,
                    actions=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    resources=[release_role.role_arn],
                )
            )
        return statements


__all__ = [
    "DATA_SCIENTIST_LOG_GROUPS",
    "JOB_LOG_GROUPS",
    "DataScientistPermissions",
    "ModelRegistry",
    "ReleaseRole",
    "job_execution_role",
]
