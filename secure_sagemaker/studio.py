"""Locked-down SageMaker Studio domains, user profiles and notebook instances.

``SecureStudioDomain`` is a ``VpcOnly`` domain with IAM authentication in the isolated subnets of a
:class:`~secure_sagemaker.network.PrivateNetwork`, its home EFS and space volumes encrypted with a
customer-managed key, and every user and shared space placed in the workload security group under
the given execution role. ``SecureUserProfile`` adds a user whose settings repeat those controls
(user settings override the domain's, so they are written out rather than inherited).
``SecureNotebookInstance`` is a notebook instance with no direct internet access, no root access,
an encrypted volume, IMDSv2 only and a supported platform.

What never has a legitimate exception is *enforced*: besides being set at construction, it is
checked again when the app is synthesized (``node.add_validation``), so code that later edits the
exposed L1 resource (``notebook.direct_internet_access = "Enabled"``) fails synthesis. Raw
overrides (``add_property_override``) are a deliberate escape hatch that this check does not see;
the nag pack reads the final template and reports them.

Root access in Studio: the SageMaker API and CloudFormation have a ``RootAccess`` switch for
notebook instances only. Studio apps run as the non-root ``sagemaker-user`` (and
``CustomPosixUserConfig`` cannot name uid 0: the API requires a uid of at least 10000); whether
that user may ``sudo`` inside the container is a property of the image, not of the domain. What
the domain does control is Docker access from spaces, which is root-equivalent on the space's
instance: it is off unless ``allow_docker_access=True``. Teams that must also remove ``sudo`` use
custom images without it (``CustomImages`` in the app settings), which this construct does not
build.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from secure_sagemaker import _grants as grants
from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import (
    describe,
    fail,
    is_token,
    require_attribute,
    require_instance_type,
    require_type,
    require_whole_number,
    s3_key_prefix,
)
from secure_sagemaker._workload import execution_role_of
from secure_sagemaker.identity import ExecutionRole
from secure_sagemaker.interfaces import EncryptedBucket, WorkloadNetwork, require_encrypted_bucket, require_network

#: Names of domains, user profiles and notebook instances (the API's pattern, at most 63 characters).
_RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
#: Idle shutdown of Studio apps accepts 60 to 525600 minutes.
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 60, 525_600
#: Space EBS volumes: 5 GB by default, at most 16384 GB.
MIN_SPACE_VOLUME_GB, MAX_SPACE_VOLUME_GB = 5, 16_384
#: Notebook instance volumes: 5 to 16384 GB.
MIN_NOTEBOOK_VOLUME_GB, MAX_NOTEBOOK_VOLUME_GB = 5, 16_384
#: Lifecycle configuration scripts are at most 16384 characters each.
MAX_LIFECYCLE_SCRIPT_LENGTH = 16_384

#: Notebook instance platforms SageMaker supports today (Amazon Linux 2023, and Amazon Linux 2 with
#: JupyterLab 4). Amazon Linux 2 itself reaches its end of support on 2026-06-30.
SUPPORTED_NOTEBOOK_PLATFORMS = ("notebook-al2023-v1", "notebook-al2-v3")
#: Platforms SageMaker has deprecated (Amazon Linux 1, and Amazon Linux 2 with JupyterLab 1 and 3).
DEPRECATED_NOTEBOOK_PLATFORMS = ("notebook-al1-v1", "notebook-al2-v1", "notebook-al2-v2")
DEFAULT_NOTEBOOK_PLATFORM = "notebook-al2023-v1"

# --- lifecycle script heuristics -------------------------------------------------------------
# Hosts reached through the VPC's interface or gateway endpoints (S3, CodeArtifact, ECR, ...).
_AWS_HOST = re.compile(r"^([a-z0-9-]+\.)*(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$")
_URL = re.compile(r"\b(?:https?|ftp)://([^/\s:'\"`)]+)", re.IGNORECASE)
_SSH_GIT = re.compile(r"\bgit@[A-Za-z0-9.-]+:")
_PIP_INSTALL = re.compile(r"\b(?:pip3?|python3?\s+-m\s+pip|uv\s+pip)\s+install\b[^\n;&|]*", re.IGNORECASE)
_CONDA_INSTALL = re.compile(r"\b(?:conda|mamba|micromamba)\s+(?:install|create|update)\b[^\n;&|]*", re.IGNORECASE)
_NPM_INSTALL = re.compile(r"\b(?:npm\s+(?:install|i|ci)|yarn\s+add|pnpm\s+add)\b[^\n;&|]*", re.IGNORECASE)


def isolated_subnets(
    me: str, prop: str, network: WorkloadNetwork, subnets: Sequence[ec2.ISubnet] | None
) -> list[ec2.ISubnet]:
    """``subnets`` (default: all of the network's), each checked to be an isolated subnet of it."""
    allowed = list(network.subnets.subnets or [])
    if subnets is None:
        return allowed
    if isinstance(subnets, (str, ec2.SubnetSelection)) or not isinstance(subnets, Sequence) or not subnets:
        raise fail(
            me,
            prop,
            subnets,
            "is not a non-empty list of subnets",
            "pass subnets from network.subnets.subnets, or drop it",
        )
    allowed_ids = {s.subnet_id for s in allowed}
    for subnet in subnets:
        subnet_id = getattr(subnet, "subnet_id", subnet)
        if subnet_id not in allowed_ids:
            raise fail(
                me,
                prop,
                subnet_id,
                "is not one of the isolated subnets of the network (a subnet with a route to the internet "
                "would undo the private network)",
                "pass only subnets from network.subnets.subnets",
            )
    return list(subnets)


def validate_sagemaker_name(me: str, prop: str, value: Any) -> None:
    """Fail unless ``value`` (None passes) is a SageMaker resource name: domain, profile, notebook."""
    if value is None:
        return
    fix = "use 1-63 letters, digits and single hyphens, starting and ending with a letter or digit"
    require_type(me, prop, value, str, fix)
    if not is_token(value) and not _RESOURCE_NAME.match(value):
        raise fail(me, prop, value, "is not a valid SageMaker resource name", fix)


def _validate_bool(me: str, prop: str, value: Any) -> None:
    require_type(me, prop, value, bool, "pass True or False")


def trust_allows_source_identity(role: iam.IRole) -> bool | None:
    """Whether ``role``'s trust policy lets SageMaker set a source identity; None if unknown.

    Studio domains with ``ExecutionRoleIdentityConfig: USER_PROFILE_NAME`` assume the execution role
    with ``sts:SetSourceIdentity``, which the trust policy must allow. Only a role defined in this
    app has a trust policy that can be read; an imported role gives None.
    """
    document = getattr(role, "assume_role_policy", None)
    if document is None:
        return None
    resolved = cdk.Stack.of(role).resolve(document.to_json())
    for statement in resolved.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not {"sts:SetSourceIdentity", "sts:*", "*"} & set(actions):
            continue
        services = (statement.get("Principal") or {}).get("Service", [])
        services = [services] if isinstance(services, str) else services
        if any(isinstance(s, str) and s.startswith("sagemaker.") for s in services):
            return True
    return False


def lifecycle_script_problems(script: str) -> list[str]:
    """What in ``script`` looks like a fetch from the public internet (a heuristic, see below).

    Flagged: a URL (``http``, ``https``, ``ftp``) whose host is not an AWS service domain
    (``*.amazonaws.com``, ``*.amazonaws.com.cn``, ``*.api.aws``, which the VPC reaches through
    endpoints); ``git@host:`` remotes; ``pip install`` without ``--no-index`` or an explicit
    ``--index-url``/``-i``/``--find-links`` (whose URL must then pass the URL check);
    ``conda``/``mamba`` installs without ``--offline`` or ``--override-channels``; ``npm``/``yarn``/
    ``pnpm`` installs without ``--offline`` or ``--registry``.

    Not detected: fetches hidden behind variables, ``eval``, base64 or another language
    (``python -c "urllib..."``), downloads by tools not listed, or an allowed AWS host that serves
    public content (a public S3 bucket). The isolated subnets, which have no route to the internet,
    remain the control; this check only turns an obvious mistake into an early error.
    """
    problems: list[str] = []
    for match in _URL.finditer(script):
        host = match.group(1).lower().split("@")[-1]
        if not _AWS_HOST.match(host):
            problems.append(f"fetches {match.group(0)!r} from a host outside AWS")
    for match in _SSH_GIT.finditer(script):
        problems.append(f"clones from {match.group(0)!r} over SSH")
    for match in _PIP_INSTALL.finditer(script):
        options = match.group(0)
        if not re.search(r"(--no-index|--index-url|\s-i\s|--find-links|\s-f\s)", options + " "):
            problems.append(f"runs {options.strip()!r}, which installs from the public PyPI")
    for match in _CONDA_INSTALL.finditer(script):
        options = match.group(0)
        if not re.search(r"(--offline|--override-channels)", options):
            problems.append(f"runs {options.strip()!r}, which installs from public conda channels")
    for match in _NPM_INSTALL.finditer(script):
        options = match.group(0)
        if not re.search(r"(--offline|--registry)", options):
            problems.append(f"runs {options.strip()!r}, which installs from the public npm registry")
    return problems


def _sharing_settings(bucket: EncryptedBucket | None, prefix: str | None) -> dict[str, Any]:
    """Keyword arguments of a SharingSettingsProperty (Domain and UserProfile share the shape)."""
    if bucket is None:
        return {"notebook_output_option": "Disabled"}
    return {
        "notebook_output_option": "Allowed",
        "s3_output_path": f"s3://{bucket.bucket.bucket_name}/{prefix}",
        "s3_kms_key_id": bucket.key.key_arn,
    }


class StudioDomain(Protocol):
    """What a user profile needs of its domain; :class:`SecureStudioDomain` satisfies it."""

    @property
    def domain_id(self) -> str:
        """The domain's id."""

    @property
    def security_group(self) -> ec2.ISecurityGroup:
        """The security group of every app, user and space."""

    @property
    def execution_role(self) -> iam.IRole:
        """The default execution role."""

    @property
    def record_user_identity(self) -> bool:
        """Whether sessions carry the user profile name as ``sts:SourceIdentity``."""

    @property
    def notebook_sharing_bucket(self) -> EncryptedBucket | None:
        """Where shared notebook snapshots go, or None when sharing is disabled."""

    @property
    def notebook_sharing_prefix(self) -> str | None:
        """Key prefix of shared snapshots, or None."""

    @property
    def default_space_volume_gb(self) -> int:
        """Default EBS volume size of a space in GB."""

    @property
    def max_space_volume_gb(self) -> int:
        """Largest EBS volume a user may give a space in GB."""


#: The attributes of :class:`StudioDomain`, which a profile's ``domain`` is checked for.
_STUDIO_DOMAIN_ATTRIBUTES = (
    "domain_id",
    "security_group",
    "execution_role",
    "record_user_identity",
    "notebook_sharing_bucket",
    "notebook_sharing_prefix",
    "default_space_volume_gb",
    "max_space_volume_gb",
)


class SecureStudioDomain(Construct):
    """A SageMaker Studio domain that reaches nothing outside its private network.

    - ``AppNetworkAccessType: VpcOnly`` and ``AuthMode: IAM`` (enforced): all Studio traffic goes
      through the isolated subnets of ``network``; users sign in with IAM
      (``CreatePresignedDomainUrl``), so CloudTrail records who opened Studio.
    - ``KmsKeyId`` (enforced): ``encryption_key`` encrypts the home EFS file system and the EBS
      volumes of spaces.
    - Default user settings and default (shared) space settings: ``execution_role`` and the
      workload security group of ``network``; the domain's own security group list
      (``DomainSettings.SecurityGroupIds``) is the workload security group too.
    - Notebook sharing is off (``NotebookOutputOption: Disabled``) unless
      ``notebook_sharing_bucket`` is given; then shared snapshots go to that SecureBucket under
      ``notebook_sharing_prefix``, encrypted with its key; an
      :class:`~secure_sagemaker.identity.ExecutionRole` given as ``execution_role`` (or to a
      :class:`SecureUserProfile`) is granted read and write there (any other ``iam.IRole`` needs
      ``s3:PutObject`` under the prefix and the bucket's key from you).
    - Docker access from spaces (root-equivalent on the instance) is off; see the module
      docstring for what Studio offers and does not offer about root access.
    - The user profile name is attached to every session of the execution role as
      ``sts:SourceIdentity`` (``ExecutionRoleIdentityConfig: USER_PROFILE_NAME``), so CloudTrail
      ties the role's actions to a person. The role's trust policy must then allow
      ``sts:SetSourceIdentity`` for ``sagemaker.amazonaws.com``; a role defined in this app is
      checked.
    - JupyterLab and Code Editor apps shut down after ``idle_timeout`` without activity (less time
      for a hijacked session to mine or exfiltrate).
    - The domain is retained when the stack is deleted or the domain replaced
      (``DeletionPolicy: RetainExceptOnCreate``: a failed first deploy removes it), so
      CloudFormation never deletes it and its home EFS with the users' files. CloudFormation has no
      ``RetentionPolicy`` property for domains; the EFS survives an API deletion as well, because
      ``DeleteDomain`` retains it unless asked otherwise. Since the EFS mount targets and the
      domain's apps stay in the network, the domain asks ``network`` to retain its VPC, isolated
      subnets and workload security group too (:meth:`PrivateNetwork.retain_where_studio_lives`),
      so deleting the stack succeeds and leaves them behind with the domain.

    Keyword-only props:

    :param network: the network whose VPC, isolated subnets and workload security group the domain
        uses: a PrivateNetwork, or any :class:`~secure_sagemaker.interfaces.WorkloadNetwork` such as
        an :class:`~secure_sagemaker.interfaces.ImportedNetwork`. Required. Only a PrivateNetwork
        is asked to retain what the domain leaves behind.
    :param execution_role: the default execution role of users and shared spaces: an
        :class:`~secure_sagemaker.identity.ExecutionRole` (its ``role`` is used) or an ``iam.IRole``
        assumed by ``sagemaker.amazonaws.com``. Required.
    :param encryption_key: customer-managed KMS key for the home EFS and space volumes (the data
        key of a KeyRing). Required.
    :param subnets: isolated subnets of ``network`` for the domain. Default: all of
        ``network.subnets``. A subnet outside them is a PropError.
    :param domain_name: the domain's name. Default: a name derived from the construct path, unique
        in the account (at most 63 characters).
    :param notebook_sharing_bucket: the bucket that receives shared notebook snapshots, encrypted
        with its key: an :class:`~secure_sagemaker.interfaces.EncryptedBucket` (a SecureBucket, or
        ``EncryptedBucketRef(bucket, key)``) or an ``s3.IBucket`` whose customer-managed
        ``encryption_key`` is known. Default: None, notebook sharing disabled.
    :param notebook_sharing_prefix: key prefix of shared snapshots in ``notebook_sharing_bucket``.
        Default ``"shared-notebooks/"``. Only with ``notebook_sharing_bucket``.
    :param allow_docker_access: ``True`` gives up the Docker restriction: users may run Docker from
        their spaces (local mode, image builds), which is root-equivalent on the space's instance.
        Default ``False``.
    :param record_user_identity: ``False`` gives up ``sts:SourceIdentity``: CloudTrail then shows the
        execution role's session but not which user acted. Default ``True``.
    :param idle_timeout: idle time after which JupyterLab and Code Editor apps shut down, 60 minutes
        to 365 days in whole minutes. Default 60 minutes.
    :param default_space_volume_gb: default EBS volume size of a space, 5 to 16384 GB. Default 5.
    :param max_space_volume_gb: largest EBS volume a user may give a space, at least
        ``default_space_volume_gb``. Default 100.

    Read-only attributes: ``domain`` (the ``CfnDomain``), ``domain_id``, ``domain_arn``,
    ``home_efs_file_system_id``, ``execution_role`` (always an ``iam.IRole``), ``security_group``, ``network``,
    ``subnets``, ``encryption_key``, ``notebook_sharing_bucket``, ``notebook_sharing_prefix``,
    ``record_user_identity``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        network: WorkloadNetwork,
        execution_role: iam.IRole | ExecutionRole,
        encryption_key: kms.IKey,
        subnets: Sequence[ec2.ISubnet] | None = None,
        domain_name: str | None = None,
        notebook_sharing_bucket: EncryptedBucket | s3.IBucket | None = None,
        notebook_sharing_prefix: str | None = None,
        allow_docker_access: bool = False,
        record_user_identity: bool = True,
        idle_timeout: cdk.Duration = cdk.Duration.minutes(60),
        default_space_volume_gb: int = 5,
        max_space_volume_gb: int = 100,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        self._network = require_network(me, "network", network)
        execution_role = execution_role_of(me, "execution_role", execution_role)
        require_attribute(
            me, "encryption_key", encryption_key, "key_arn", "pass the data key of a KeyRing (a kms.IKey)"
        )
        self._subnets = isolated_subnets(me, "subnets", self._network, subnets)
        validate_sagemaker_name(me, "domain_name", domain_name)
        _validate_bool(me, "allow_docker_access", allow_docker_access)
        _validate_bool(me, "record_user_identity", record_user_identity)
        require_type(
            me, "idle_timeout", idle_timeout, cdk.Duration, "pass cdk.Duration.minutes(n) with 60 <= n <= 525600"
        )
        idle_minutes = idle_timeout.to_minutes(integral=False)
        if idle_minutes != int(idle_minutes) or not MIN_IDLE_MINUTES <= idle_minutes <= MAX_IDLE_MINUTES:
            raise fail(
                me,
                "idle_timeout",
                idle_timeout.to_human_string(),
                f"is not a whole number of minutes from {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES}",
                "pass cdk.Duration.minutes(n) with 60 <= n <= 525600",
            )
        require_whole_number(
            me, "default_space_volume_gb", default_space_volume_gb, MIN_SPACE_VOLUME_GB, MAX_SPACE_VOLUME_GB, "GB"
        )
        require_whole_number(
            me, "max_space_volume_gb", max_space_volume_gb, default_space_volume_gb, MAX_SPACE_VOLUME_GB, "GB"
        )
        if notebook_sharing_bucket is None:
            if notebook_sharing_prefix is not None:
                raise fail(
                    me,
                    "notebook_sharing_prefix",
                    notebook_sharing_prefix,
                    "only applies with notebook_sharing_bucket",
                    "drop notebook_sharing_prefix, or also pass notebook_sharing_bucket",
                )
        else:
            notebook_sharing_bucket = require_encrypted_bucket(me, "notebook_sharing_bucket", notebook_sharing_bucket)
            notebook_sharing_prefix = (
                "shared-notebooks/" if notebook_sharing_prefix is None else notebook_sharing_prefix
            )
            notebook_sharing_prefix = s3_key_prefix(
                me, "notebook_sharing_prefix", notebook_sharing_prefix, "shared-notebooks/"
            )
            if not is_token(notebook_sharing_prefix):
                notebook_sharing_prefix += "/"
        if record_user_identity and trust_allows_source_identity(execution_role) is False:
            raise fail(
                me,
                "execution_role",
                execution_role.node.path,
                "has a trust policy that does not allow sts:SetSourceIdentity for sagemaker.amazonaws.com, "
                "which record_user_identity=True needs (Studio apps would fail to start)",
                "add a trust statement allowing sts:SetSourceIdentity to sagemaker.amazonaws.com, or pass "
                "record_user_identity=False",
            )

        self._execution_role = execution_role
        self._encryption_key = encryption_key
        self._sharing_bucket = notebook_sharing_bucket
        self._sharing_prefix = notebook_sharing_prefix
        self._record_user_identity = record_user_identity
        self._idle_minutes = int(idle_minutes)
        self._default_space_volume_gb = default_space_volume_gb
        self._max_space_volume_gb = max_space_volume_gb
        self._space_storage = sagemaker.CfnDomain.DefaultSpaceStorageSettingsProperty(
            default_ebs_storage_settings=sagemaker.CfnDomain.DefaultEbsStorageSettingsProperty(
                default_ebs_volume_size_in_gb=default_space_volume_gb,
                maximum_ebs_volume_size_in_gb=max_space_volume_gb,
            )
        )
        sg_id = self.security_group.security_group_id
        lifecycle = sagemaker.CfnDomain.AppLifecycleManagementProperty(
            idle_settings=sagemaker.CfnDomain.IdleSettingsProperty(
                lifecycle_management="ENABLED", idle_timeout_in_minutes=self._idle_minutes
            )
        )
        self._domain = sagemaker.CfnDomain(
            self,
            "Domain",
            domain_name=domain_name or cdk.Names.unique_resource_name(self, max_length=63, separator="-"),
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=self._network.vpc.vpc_id,
            subnet_ids=[s.subnet_id for s in self._subnets],
            kms_key_id=encryption_key.key_arn,
            domain_settings=sagemaker.CfnDomain.DomainSettingsProperty(
                security_group_ids=[sg_id],
                docker_settings=sagemaker.CfnDomain.DockerSettingsProperty(
                    enable_docker_access="ENABLED" if allow_docker_access else "DISABLED"
                ),
                execution_role_identity_config="USER_PROFILE_NAME" if record_user_identity else "DISABLED",
            ),
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
                execution_role=execution_role.role_arn,
                security_groups=[sg_id],
                sharing_settings=sagemaker.CfnDomain.SharingSettingsProperty(
                    **_sharing_settings(notebook_sharing_bucket, notebook_sharing_prefix)
                ),
                studio_web_portal="ENABLED",
                default_landing_uri="studio::",
                space_storage_settings=self._space_storage,
                jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                    app_lifecycle_management=lifecycle
                ),
                code_editor_app_settings=sagemaker.CfnDomain.CodeEditorAppSettingsProperty(
                    app_lifecycle_management=lifecycle
                ),
            ),
            default_space_settings=sagemaker.CfnDomain.DefaultSpaceSettingsProperty(
                execution_role=execution_role.role_arn,
                security_groups=[sg_id],
                space_storage_settings=self._space_storage,
                jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                    app_lifecycle_management=lifecycle
                ),
            ),
        )
        self._domain.apply_removal_policy(RETAINED)
        retain = getattr(self._network, "retain_where_studio_lives", None)
        if retain is not None:  # a network of this app; an imported one is not this stack's to delete
            retain()
        if notebook_sharing_bucket is not None:
            grants.grant_read_write(execution_role, notebook_sharing_bucket.bucket, notebook_sharing_prefix)
        enforce_rules(
            self,
            resources=[self._domain],
            rules=["DomainVpcOnly", "DomainKms", "DomainSecurityGroups"],
            identity=[
                ("AuthMode: IAM", lambda p: p["AuthMode"] == "IAM"),
                (
                    "the workload security group in DefaultUserSettings",
                    lambda p: p["DefaultUserSettings"]["SecurityGroups"] == [cdk.Stack.of(self).resolve(sg_id)],
                ),
            ],
        )

    @property
    def domain(self) -> sagemaker.CfnDomain:
        """The ``AWS::SageMaker::Domain`` resource (retained on stack deletion)."""
        return self._domain

    @property
    def domain_id(self) -> str:
        """The domain's id (``d-...``)."""
        return self._domain.attr_domain_id

    @property
    def domain_arn(self) -> str:
        """The domain's ARN."""
        return self._domain.attr_domain_arn

    @property
    def home_efs_file_system_id(self) -> str:
        """The id of the domain's home EFS file system (encrypted with ``encryption_key``)."""
        return self._domain.attr_home_efs_file_system_id

    @property
    def execution_role(self) -> iam.IRole:
        """The default execution role of users and shared spaces (the ``role`` of an ExecutionRole prop)."""
        return self._execution_role

    @property
    def security_group(self) -> ec2.ISecurityGroup:
        """The security group of every app, user and shared space: the network's workload group."""
        return self._network.workload_security_group

    @property
    def network(self) -> WorkloadNetwork:
        """The private network the domain lives in."""
        return self._network

    @property
    def subnets(self) -> list[ec2.ISubnet]:
        """The isolated subnets of the domain."""
        return list(self._subnets)

    @property
    def encryption_key(self) -> kms.IKey:
        """The KMS key of the home EFS and space volumes."""
        return self._encryption_key

    @property
    def notebook_sharing_bucket(self) -> EncryptedBucket | None:
        """Where shared notebook snapshots go, or None when sharing is disabled."""
        return self._sharing_bucket

    @property
    def notebook_sharing_prefix(self) -> str | None:
        """Key prefix of shared snapshots, or None when sharing is disabled."""
        return self._sharing_prefix

    @property
    def record_user_identity(self) -> bool:
        """Whether sessions carry the user profile name as ``sts:SourceIdentity``."""
        return self._record_user_identity

    @property
    def default_space_volume_gb(self) -> int:
        """Default EBS volume size of a space in GB."""
        return self._default_space_volume_gb

    @property
    def max_space_volume_gb(self) -> int:
        """Largest EBS volume a user may give a space in GB."""
        return self._max_space_volume_gb


class SecureUserProfile(Construct):
    """A Studio user of a SecureStudioDomain whose own settings keep the domain's controls.

    User settings take priority over the domain's defaults, so the profile writes the controls out
    again: the workload security group (enforced), the execution role, the domain's notebook
    sharing setting and the domain's space storage limits. Idle shutdown is not repeated: the
    CloudFormation schema of ``AWS::SageMaker::UserProfile`` has no ``AppLifecycleManagement``,
    so the profile leaves the app settings to the domain's defaults, which then apply.

    Keyword-only props:

    :param domain: the SecureStudioDomain the user belongs to (or any :class:`StudioDomain`, such as
        a SecureStudioDomain of another stack). Required.
    :param user_profile_name: the user's name in the domain, and so the ``sts:SourceIdentity`` of
        their sessions; use the person's corporate identifier. Default: a name derived from the
        construct path.
    :param execution_role: a per-user execution role (for example one that may read only this
        user's prefixes): an :class:`~secure_sagemaker.identity.ExecutionRole` (its ``role`` is used)
        or an ``iam.IRole`` assumed by ``sagemaker.amazonaws.com``. Default: None, the domain's
        execution role. With the domain's ``record_user_identity``, its trust policy must allow
        ``sts:SetSourceIdentity``.

    Read-only attributes: ``profile`` (the ``CfnUserProfile``), ``user_profile_name``,
    ``user_profile_arn``, ``execution_role`` (always an ``iam.IRole``), ``domain``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain: StudioDomain,
        user_profile_name: str | None = None,
        execution_role: iam.IRole | ExecutionRole | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        for attribute in _STUDIO_DOMAIN_ATTRIBUTES:
            require_attribute(me, "domain", domain, attribute, "pass the SecureStudioDomain the user belongs to")
        validate_sagemaker_name(me, "user_profile_name", user_profile_name)
        execution_role = execution_role_of(me, "execution_role", execution_role, optional=True)
        if execution_role is not None:
            if domain.record_user_identity and trust_allows_source_identity(execution_role) is False:
                raise fail(
                    me,
                    "execution_role",
                    execution_role.node.path,
                    "has a trust policy that does not allow sts:SetSourceIdentity for sagemaker.amazonaws.com, "
                    "which the domain's record_user_identity needs",
                    "add a trust statement allowing sts:SetSourceIdentity to sagemaker.amazonaws.com",
                )
        self._domain = domain
        self._execution_role = domain.execution_role if execution_role is None else execution_role
        if execution_role is not None and domain.notebook_sharing_bucket is not None:
            grants.grant_read_write(
                execution_role, domain.notebook_sharing_bucket.bucket, domain.notebook_sharing_prefix
            )
        self._name = user_profile_name or cdk.Names.unique_resource_name(self, max_length=63, separator="-")
        sg_id = domain.security_group.security_group_id
        self._profile = sagemaker.CfnUserProfile(
            self,
            "Profile",
            domain_id=domain.domain_id,
            user_profile_name=self._name,
            user_settings=sagemaker.CfnUserProfile.UserSettingsProperty(
                execution_role=self._execution_role.role_arn,
                security_groups=[sg_id],
                sharing_settings=sagemaker.CfnUserProfile.SharingSettingsProperty(
                    **_sharing_settings(domain.notebook_sharing_bucket, domain.notebook_sharing_prefix)
                ),
                studio_web_portal="ENABLED",
                default_landing_uri="studio::",
                space_storage_settings=sagemaker.CfnUserProfile.DefaultSpaceStorageSettingsProperty(
                    default_ebs_storage_settings=sagemaker.CfnUserProfile.DefaultEbsStorageSettingsProperty(
                        default_ebs_volume_size_in_gb=domain.default_space_volume_gb,
                        maximum_ebs_volume_size_in_gb=domain.max_space_volume_gb,
                    )
                ),
            ),
        )
        enforce_rules(
            self,
            resources=[self._profile],
            identity=[
                (
                    "the workload security group in UserSettings",
                    lambda p: p["UserSettings"]["SecurityGroups"] == [cdk.Stack.of(self).resolve(sg_id)],
                ),
            ],
        )

    @property
    def profile(self) -> sagemaker.CfnUserProfile:
        """The ``AWS::SageMaker::UserProfile`` resource."""
        return self._profile

    @property
    def user_profile_name(self) -> str:
        """The user's name in the domain."""
        return self._name

    @property
    def user_profile_arn(self) -> str:
        """The user profile's ARN."""
        return self._profile.attr_user_profile_arn

    @property
    def execution_role(self) -> iam.IRole:
        """The user's execution role (given, as the ``role`` of an ExecutionRole prop, or the domain's)."""
        return self._execution_role

    @property
    def domain(self) -> StudioDomain:
        """The domain the user belongs to."""
        return self._domain


class SecureNotebookInstance(Construct):
    """A SageMaker notebook instance with no path to the internet and no root for its users.

    - ``DirectInternetAccess: Disabled`` (enforced), in an isolated subnet of ``network`` with the
      workload security group (enforced): the instance reaches AWS only through the VPC endpoints.
    - ``RootAccess: Disabled`` unless ``allow_root_access=True``. Lifecycle scripts still run as
      root; that is how SageMaker works.
    - ``KmsKeyId`` (enforced): ``encryption_key`` encrypts the ML storage volume.
    - ``MinimumInstanceMetadataServiceVersion: "2"`` (enforced): IMDSv2 only, so a server-side
      request forgery in a notebook cannot read the role's credentials with a simple GET.
    - A supported ``PlatformIdentifier`` (unknown or deprecated ones are a PropError).
    - Lifecycle scripts (``on_create_script``, ``on_start_script``) that look like they fetch
      from the public internet are refused at construction; see
      :func:`lifecycle_script_problems` for what the heuristic catches and what it cannot.

    Keyword-only props:

    :param network: the network whose isolated subnet and workload security group the instance
        uses: a PrivateNetwork or any :class:`~secure_sagemaker.interfaces.WorkloadNetwork`.
        Required.
    :param execution_role: the instance's role: an :class:`~secure_sagemaker.identity.ExecutionRole`
        (its ``role`` is used) or an ``iam.IRole`` assumed by ``sagemaker.amazonaws.com``. Required.
    :param encryption_key: customer-managed KMS key of the instance's volume (the data key of a
        KeyRing). Required.
    :param subnet: the isolated subnet of ``network`` to launch in. Default: the first of
        ``network.subnets``. A subnet outside them is a PropError.
    :param instance_type: ``ml.*`` instance type. Default ``"ml.t3.medium"``.
    :param platform_identifier: one of :data:`SUPPORTED_NOTEBOOK_PLATFORMS`. Default
        ``"notebook-al2023-v1"``.
    :param volume_size_gb: size of the ML storage volume, 5 to 16384 GB. Default 5.
    :param notebook_instance_name: the instance's name. Default: generated by CloudFormation.
    :param on_create_script: shell script run once when the instance is created (plain text, at
        most 16384 characters). Default: none.
    :param on_start_script: shell script run at every start. Default: none.
    :param allow_root_access: ``True`` gives up the root restriction: notebook users may become
        root on the instance (install system packages, read other processes' memory, change the
        instance's configuration). Default ``False``. The template then carries
        ``RootAccess: Enabled``, which the nag pack reports until acknowledged.

    Read-only attributes: ``notebook`` (the ``CfnNotebookInstance``), ``lifecycle_config`` (the
    ``CfnNotebookInstanceLifecycleConfig`` or None), ``notebook_instance_name``,
    ``notebook_instance_arn``, ``subnet``, ``execution_role`` (always an ``iam.IRole``), ``encryption_key``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        network: WorkloadNetwork,
        execution_role: iam.IRole | ExecutionRole,
        encryption_key: kms.IKey,
        subnet: ec2.ISubnet | None = None,
        instance_type: str = "ml.t3.medium",
        platform_identifier: str = DEFAULT_NOTEBOOK_PLATFORM,
        volume_size_gb: int = 5,
        notebook_instance_name: str | None = None,
        on_create_script: str | None = None,
        on_start_script: str | None = None,
        allow_root_access: bool = False,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        self._network = require_network(me, "network", network)
        execution_role = execution_role_of(me, "execution_role", execution_role)
        require_attribute(
            me, "encryption_key", encryption_key, "key_arn", "pass the data key of a KeyRing (a kms.IKey)"
        )
        if subnet is None:
            (self._subnet,) = isolated_subnets(me, "subnet", self._network, None)[:1]
        else:
            (self._subnet,) = isolated_subnets(me, "subnet", self._network, [subnet])
        require_instance_type(me, "instance_type", instance_type, "ml.t3.medium")
        self._check_platform(me, platform_identifier)
        require_whole_number(me, "volume_size_gb", volume_size_gb, MIN_NOTEBOOK_VOLUME_GB, MAX_NOTEBOOK_VOLUME_GB, "GB")
        validate_sagemaker_name(me, "notebook_instance_name", notebook_instance_name)
        _validate_bool(me, "allow_root_access", allow_root_access)
        for prop, script in (("on_create_script", on_create_script), ("on_start_script", on_start_script)):
            self._check_script(me, prop, script)

        self._execution_role = execution_role
        self._encryption_key = encryption_key
        self._lifecycle_config = None
        if on_create_script is not None or on_start_script is not None:
            hook = sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty
            self._lifecycle_config = sagemaker.CfnNotebookInstanceLifecycleConfig(
                self,
                "LifecycleConfig",
                on_create=[hook(content=cdk.Fn.base64(on_create_script))] if on_create_script is not None else None,
                on_start=[hook(content=cdk.Fn.base64(on_start_script))] if on_start_script is not None else None,
            )
        sg_id = self._network.workload_security_group.security_group_id
        self._notebook = sagemaker.CfnNotebookInstance(
            self,
            "Notebook",
            instance_type=instance_type,
            role_arn=execution_role.role_arn,
            direct_internet_access="Disabled",
            root_access="Enabled" if allow_root_access else "Disabled",
            kms_key_id=encryption_key.key_arn,
            subnet_id=self._subnet.subnet_id,
            security_group_ids=[sg_id],
            instance_metadata_service_configuration=sagemaker.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
                minimum_instance_metadata_service_version="2"
            ),
            platform_identifier=platform_identifier,
            volume_size_in_gb=volume_size_gb,
            notebook_instance_name=notebook_instance_name,
            lifecycle_config_name=(
                self._lifecycle_config.attr_notebook_instance_lifecycle_config_name if self._lifecycle_config else None
            ),
        )
        stack = cdk.Stack.of(self)
        rules = ["NotebookNoDirectInternet", "NotebookKms", "NotebookInSubnet", "NotebookImdsV2"]
        enforce_rules(
            self,
            resources=[self._notebook],
            # allow_root_access=True is the documented opt-out of NotebookNoRootAccess.
            rules=rules if allow_root_access else [*rules, "NotebookNoRootAccess"],
            identity=[
                ("SubnetId: this isolated subnet", lambda p: p["SubnetId"] == stack.resolve(self._subnet.subnet_id)),
                (
                    "SecurityGroupIds: the workload security group",
                    lambda p: p["SecurityGroupIds"] == [stack.resolve(sg_id)],
                ),
            ],
        )

    @staticmethod
    def _check_platform(me: str, platform: Any) -> None:
        fix = f"pass one of {', '.join(SUPPORTED_NOTEBOOK_PLATFORMS)}"
        require_type(me, "platform_identifier", platform, str, fix)
        if platform in DEPRECATED_NOTEBOOK_PLATFORMS:
            raise fail(
                me,
                "platform_identifier",
                platform,
                "is a deprecated notebook platform that no longer gets updates",
                fix,
            )
        if platform not in SUPPORTED_NOTEBOOK_PLATFORMS:
            raise fail(me, "platform_identifier", platform, "is not a notebook platform SageMaker supports", fix)

    @staticmethod
    def _check_script(me: str, prop: str, script: Any) -> None:
        if script is None:
            return
        fix = (
            "install from the VPC only (S3 through the gateway endpoint, CodeArtifact, pip --no-index with local "
            "wheels), or bake the tools into a lifecycle-free setup"
        )
        require_type(me, prop, script, str, "pass the script as a string")
        if is_token(script):
            raise fail(
                me,
                prop,
                script,
                "is a token, so it cannot be checked for public fetches",
                "pass the script text itself",
            )
        if not script.strip():
            raise fail(me, prop, script, "is empty", "drop it, or pass the script")
        if len(script) > MAX_LIFECYCLE_SCRIPT_LENGTH:
            raise fail(
                me,
                prop,
                f"<{len(script)} characters>",
                f"is longer than the {MAX_LIFECYCLE_SCRIPT_LENGTH} characters SageMaker accepts",
                "shorten it, or fetch the rest from S3",
            )
        problems = lifecycle_script_problems(script)
        if problems:
            raise fail(me, prop, "<script>", "; ".join(problems), fix)

    @property
    def notebook(self) -> sagemaker.CfnNotebookInstance:
        """The ``AWS::SageMaker::NotebookInstance`` resource."""
        return self._notebook

    @property
    def lifecycle_config(self) -> sagemaker.CfnNotebookInstanceLifecycleConfig | None:
        """The lifecycle configuration, or None without scripts."""
        return self._lifecycle_config

    @property
    def notebook_instance_name(self) -> str:
        """The instance's name."""
        return self._notebook.attr_notebook_instance_name

    @property
    def notebook_instance_arn(self) -> str:
        """The instance's ARN."""
        return self._notebook.attr_notebook_instance_arn

    @property
    def subnet(self) -> ec2.ISubnet:
        """The isolated subnet the instance runs in."""
        return self._subnet

    @property
    def execution_role(self) -> iam.IRole:
        """The instance's role (the ``role`` of an ExecutionRole prop)."""
        return self._execution_role

    @property
    def encryption_key(self) -> kms.IKey:
        """The KMS key of the instance's volume."""
        return self._encryption_key


__all__ = [
    "DEFAULT_NOTEBOOK_PLATFORM",
    "DEPRECATED_NOTEBOOK_PLATFORMS",
    "SUPPORTED_NOTEBOOK_PLATFORMS",
    "SecureNotebookInstance",
    "SecureStudioDomain",
    "SecureUserProfile",
    "isolated_subnets",
    "lifecycle_script_problems",
    "trust_allows_source_identity",
]
