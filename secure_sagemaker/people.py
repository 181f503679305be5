"""Per-person isolation: each data scientist their own Studio profile, roles and home prefixes.

One shared profile and one shared role let everyone overwrite everyone's work, and leave the trail
one role name for all of them. A :class:`PersonalWorkspace` gives one person:

- a Studio user profile named after them, tagged ``owner=<person>``, whose execution role is
  their own (so ``sts:SourceIdentity`` and the role's ARN both name them in CloudTrail);
- that execution role (what Studio's UI, the SDK and their spaces act as), writing only
  ``<prefix>/<person>/`` under each home prefix, tagged ``owner=<person>`` so the guardrails'
  presigned-URL check (``aws:PrincipalTag/owner`` equals the profile's ``owner`` tag) holds for it;
- a training role of their own, the only role they may pass to processing and training jobs,
  writing the same home prefixes and nothing else: a job they start is confined as they are;
- :class:`~secure_sagemaker.workflow.DataScientistPermissions` on their execution role, naming
  their profile (presigned URL, private spaces) and their training role (``iam:PassRole``).

Attach the guardrails to both roles and list them among the guardrails' execution roles (the
baseline does, see :func:`names_of_people`).
"""

from __future__ import annotations

from typing import Any, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from secure_sagemaker._validation import describe, fail, require_type
from secure_sagemaker.guardrail_statements import DEFAULT_OWNER_TAG
from secure_sagemaker.identity import BucketRef, ExecutionRole, S3Prefix
from secure_sagemaker.studio import SecureUserProfile, StudioDomain, validate_sagemaker_name
from secure_sagemaker.workflow import JOB_LOG_GROUPS, DataScientistPermissions, ModelRegistry, job_execution_role

#: People one baseline holds: each adds about 47,000 characters to the workload template, which
#: CloudFormation caps at 1,000,000 (CDK warns from 800,000), and two roles to the guardrails' role
#: lists, which must fit one 6,144-character policy. A larger team is split into several baselines.
MAX_PEOPLE = 10
_NAMES_RULE = "comma-separated Studio profile names such as 'alice,bob' (1-63 letters, digits and single hyphens each)"


def names_of_people(me: str, prop: str, value: Any) -> list[str]:
    """The profile names of a comma-separated list (``"alice,bob"``), each a valid, distinct name.

    Names differing only in case are refused too: they would be one person to a reader of the trail.
    """
    require_type(me, prop, value, str, f"set {prop} to {_NAMES_RULE}")
    names = [name.strip() for name in value.split(",")]
    if len(names) > MAX_PEOPLE:
        raise fail(
            me,
            prop,
            value,
            f"names {len(names)} people, more than the {MAX_PEOPLE} one baseline holds (its template and "
            "guardrails would outgrow CloudFormation's and IAM's size limits)",
            "split the team into several baselines (stacks), each with its own dataScientists",
        )
    seen: dict[str, str] = {}
    for name in names:
        if not name:
            raise fail(me, prop, value, "has an empty name", f"set {prop} to {_NAMES_RULE}")
        validate_sagemaker_name(me, prop, name)
        if name.lower() in seen:
            raise fail(me, prop, value, f"names {seen[name.lower()]!r} twice", "list each person once")
        seen[name.lower()] = name
    return names


class PersonalWorkspace(Construct):
    """One data scientist's isolated place in a Studio domain (see the module docstring).

    Read-only attributes: ``person``, ``profile`` (:class:`SecureUserProfile`), ``studio_role``
    and ``training_role`` (:class:`ExecutionRole`), ``permissions``
    (:class:`DataScientistPermissions`), ``home_prefixes`` (the person's :class:`S3Prefix` list).

    Keyword-only props:

    :param person: the person's Studio profile name: also their ``owner`` tag, their home folder
        name and the ``sts:SourceIdentity`` of their sessions. Required.
    :param domain: the Studio domain (a SecureStudioDomain, or any ``StudioDomain``). Required.
    :param home_prefixes: parent prefixes, each an :class:`S3Prefix`; the person reads and writes
        ``<prefix>/<person>/`` in each, e.g. ``work`` of the data bucket. Required (at least one).
    :param read_locations: read-only locations shared by everyone (e.g. ``raw/``). Default: none.
    :param ecr_repositories: image repositories both roles may pull from. Default: none.
    :param subnets: approved subnets; both roles create network interfaces only there. Required.
    :param security_groups: approved security groups. Required.
    :param volume_keys: KMS keys approved for job volumes. Required.
    :param output_keys: KMS keys approved for job outputs. Required.
    :param registry: the :class:`ModelRegistry` for candidates. Required.
    :param models_bucket: the bucket endpoints load models from. Required.
    :param serving_prefix: its prefix endpoints serve, denied to the person. Required.
    :param release_role: the role that approves models, denied to the person. Default: none.
    :param allow_shared_spaces: give up private-only spaces for this person (see
        :class:`DataScientistPermissions`). Default False.
    :param owner_tag: the tag key the guardrails compare for presigned URLs. Default ``owner``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        person: str,
        domain: StudioDomain,
        home_prefixes: Sequence[S3Prefix],
        subnets: Sequence[ec2.ISubnet | str] | ec2.SubnetSelection,
        security_groups: Sequence[ec2.ISecurityGroup | str],
        volume_keys: Sequence[kms.IKey],
        output_keys: Sequence[kms.IKey],
        registry: ModelRegistry,
        models_bucket: s3.IBucket,
        serving_prefix: str,
        read_locations: Sequence[BucketRef | S3Prefix] = (),
        ecr_repositories: Sequence[ecr.IRepository | str] = (),
        release_role: iam.IRole | None = None,
        allow_shared_spaces: bool = False,
        owner_tag: str = DEFAULT_OWNER_TAG,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        if person is None:
            raise fail(me, "person", person, "is required", "pass the person's Studio profile name, e.g. 'alice'")
        validate_sagemaker_name(me, "person", person)
        homes = list(home_prefixes) if isinstance(home_prefixes, (list, tuple)) else None
        if not homes or not all(isinstance(h, S3Prefix) and isinstance(h.prefix, str) for h in homes):
            raise fail(
                me,
                "home_prefixes",
                home_prefixes,
                "is not a non-empty list of S3Prefix values with literal prefixes",
                "pass e.g. [S3Prefix(data_bucket, 'work')]; the person gets work/<person>/",
            )
        self._person = person
        self._homes = [S3Prefix(h.bucket, f"{h.prefix.strip('/')}/{person}") for h in homes]
        network = dict(subnets=subnets, security_groups=security_groups)
        shared = dict(read_buckets=list(read_locations), write_prefixes=self._homes, ecr_repositories=ecr_repositories)
        self._studio_role = ExecutionRole(self, "StudioRole", **shared, **network)
        self._training_role = job_execution_role(self, "TrainingRole", **shared, **network)
        self._profile = SecureUserProfile(
            self, "Profile", domain=domain, user_profile_name=person, execution_role=self._studio_role
        )
        # The owner tag on the profile and on both roles: a presigned URL needs the two to match.
        cdk.Tags.of(self).add(owner_tag, person)
        self._permissions = DataScientistPermissions(
            self,
            "Permissions",
            role=self._studio_role,
            training_role=self._training_role,
            subnets=subnets,
            security_groups=security_groups,
            volume_keys=volume_keys,
            output_keys=output_keys,
            registry=registry,
            models_bucket=models_bucket,
            serving_prefix=serving_prefix,
            release_role=release_role,
            domain_id=domain.domain_id,
            user_profile_name=person,
            allow_shared_spaces=allow_shared_spaces,
        )

    @property
    def person(self) -> str:
        """The person's Studio profile name."""
        return self._person

    @property
    def profile(self) -> SecureUserProfile:
        """The person's Studio user profile."""
        return self._profile

    @property
    def studio_role(self) -> ExecutionRole:
        """The profile's execution role: what the person acts as in Studio."""
        return self._studio_role

    @property
    def training_role(self) -> ExecutionRole:
        """The only role the person may pass to processing and training jobs."""
        return self._training_role

    @property
    def permissions(self) -> DataScientistPermissions:
        """The data-scientist workflow policy on ``studio_role``."""
        return self._permissions

    @property
    def home_prefixes(self) -> list[S3Prefix]:
        """``<prefix>/<person>`` under each of ``home_prefixes``: all the person (and their jobs) may write."""
        return list(self._homes)


__all__ = ["JOB_LOG_GROUPS", "MAX_PEOPLE", "PersonalWorkspace", "names_of_people"]
