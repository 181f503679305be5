"""The composed baseline: keys, buckets, private network, identity, workloads and audit."""

from __future__ import annotations

from typing import Any, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_sagemaker._retention import RETAINED
from secure_sagemaker.account import REPLICATION_REASON, REPLICATION_RULES
from secure_sagemaker.acknowledgments import acknowledge
from secure_sagemaker.audit import AlertTopic, AuditTrail
from secure_sagemaker.config import BaselineConfig, log_retention, role_arn_list, split_domains
from secure_sagemaker.edge import ProtectedInferenceApi
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.identity import DEFAULT_OWNER_TAG as OWNER_TAG
from secure_sagemaker.identity import ExecutionRole, Guardrails, S3Prefix
from secure_sagemaker.inference import SecureEndpoint, SecureModel
from secure_sagemaker.network import PrivateNetwork
from secure_sagemaker.packages import PackageMirror
from secure_sagemaker.people import PersonalWorkspace, names_of_people
from secure_sagemaker.storage import AccessLogBucket, SecureBucket
from secure_sagemaker.studio import SecureNotebookInstance, SecureStudioDomain, SecureUserProfile
from secure_sagemaker.workflow import DataScientistPermissions, ModelRegistry, ReleaseRole, job_execution_role
from secure_sagemaker.zones import DeployTimeZonesStack

#: S3 key prefixes of the baseline's buckets: data scientists (the Studio role) and their training
#: jobs (the training role) read ``raw/`` and write ``work/`` of the data bucket and ``candidates/``
#: of the models bucket; only the release role writes ``models/``, which the inference role may
#: load. What a construct uses (the demo model's data and images, the endpoint's captured data)
#: the construct grants the role itself.
RAW_DATA_PREFIX = "raw"
WORK_PREFIX = "work"
MODELS_PREFIX = "models"
CANDIDATES_PREFIX = "candidates"
#: With ``dataScientists``, the folder under ``work/`` and ``candidates/`` that the shared roles
#: write instead of all of it: an underscore, which no Studio profile (person) name may contain.
SHARED_FOLDER = "_shared"
#: Where the demo endpoint captures requests and responses (it grants the inference role write access there).
DATA_CAPTURE_PREFIX = "data-capture"


class SecureSageMakerBaseline(Construct):
    """A hardened SageMaker workload, composed from this library's constructs.

    It holds what a team can have many of in one account; what AWS allows once per account and
    Region (GuardDuty, the Config recorder and rules, the API Gateway CloudWatch role, the
    management-events trail) is :class:`~secure_sagemaker.account.SecureSageMakerAccountBaseline`.

    Data plane: a :class:`KeyRing` (data, models, logs, alerts and audit keys), an
    :class:`AccessLogBucket`, the ``data_bucket`` and ``models_bucket`` (:class:`SecureBucket`), a
    :class:`PrivateNetwork` and a KMS-encrypted ECR repository for model images.
    Identity: a Studio and an inference :class:`ExecutionRole` scoped to prefixes of those buckets
    (the demo model and endpoint grant the inference role the repository and capture prefix they
    use), a training :class:`ExecutionRole` (the only role data scientists may pass to jobs), and
    :class:`Guardrails` attached to every execution role it creates (each person's included), to
    the release role and to the people's roles of ``guardrailRoleArns``; with the demo endpoint,
    the guardrails let only the API's integration role invoke it.
    Workflow (``docs/data-scientist-workflow.md``): a :class:`ModelRegistry` for candidate models,
    a :class:`ReleaseRole` (assumed with MFA) that alone approves packages and writes ``models/``,
    and :class:`DataScientistPermissions` on the Studio role: its own profile and spaces, jobs in
    the VPC with the approved keys, pending packages and its logs.
    Workloads (each optional): a VpcOnly :class:`SecureStudioDomain` with one shared
    :class:`SecureUserProfile`, or with ``dataScientists`` one :class:`PersonalWorkspace` per person
    (own profile, execution and training roles, ``work/<person>/`` and ``candidates/<person>/``),
    a :class:`SecureNotebookInstance`, and a demo :class:`SecureModel` behind a
    :class:`SecureEndpoint`, fronted by a WAF-protected :class:`ProtectedInferenceApi`.
    Data perimeter (unless ``allowDataAccessOutsideVpc``): the data and models buckets deny
    object-level data actions except through the VPC's S3 gateway endpoint, from AWS services, from
    the ``breakGlassRoleArns`` and, on the models bucket, from the release role
    (``docs/data-perimeter.md``).
    Packages (``packageMirror``, off by default): a :class:`PackageMirror` of PyPI in CodeArtifact
    with its interface endpoints, which the Studio role may read, so ``pip install`` works behind
    the DNS firewall.
    Audit: an :class:`AlertTopic` for the workload's alarms, and a data-events
    :class:`AuditTrail` that records object-level writes to the data and models buckets (with
    ``rawDataReadEvents``, also reads of ``raw/`` in the data bucket; the account's trail records
    management events), its log files under Object Lock.

    Read-only attributes: ``keys``, ``access_logs``, ``data_bucket``, ``models_bucket``, ``network``,
    ``model_repository``, ``studio_role``, ``inference_role``, ``training_role``, ``guardrails``,
    ``model_registry``, ``release_role``, ``data_scientist_permissions``, ``package_mirror`` (None
    without ``packageMirror``), ``studio`` and
    ``user_profile`` (None without Studio, or with ``dataScientists``), ``people`` (one
    :class:`PersonalWorkspace` per person of ``dataScientists``, else empty), ``notebook`` (None without it), ``model`` and
    ``endpoint`` and ``inference_api`` (a :class:`ProtectedInferenceApi`: API Gateway and AWS WAF;
    None without the demo endpoint), ``alerts``, ``audit_trail`` (the data-events trail).

    :param config: the settings (see :class:`BaselineConfig`, one field per ``cdk.json`` context key).
        Default: ``BaselineConfig()``.
    :param vpc: an existing VPC to use instead of creating one. Default: none (a new VPC from
        ``config.vpc_cidr`` and ``config.max_azs``).
    :param subnets: isolated subnets of ``vpc`` for SageMaker. Default: the VPC's isolated subnets.
    """

    # The attributes' types, for type checkers (they are set in the methods below).
    keys: KeyRing
    network: PrivateNetwork
    access_logs: AccessLogBucket
    data_bucket: SecureBucket
    models_bucket: SecureBucket
    model_repository: ecr.Repository
    studio_role: ExecutionRole
    inference_role: ExecutionRole
    training_role: ExecutionRole
    model_registry: ModelRegistry
    release_role: ReleaseRole
    data_scientist_permissions: DataScientistPermissions
    guardrails: Guardrails
    package_mirror: PackageMirror | None
    alerts: AlertTopic
    audit_trail: AuditTrail
    studio: SecureStudioDomain | None
    user_profile: SecureUserProfile | None
    people: list[PersonalWorkspace]
    notebook: SecureNotebookInstance | None
    model: SecureModel | None
    endpoint: SecureEndpoint | None
    inference_api: ProtectedInferenceApi | None

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BaselineConfig | None = None,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        config = config or BaselineConfig()
        retention = log_retention(config.log_retention_days)
        self._data_plane(config, retention, vpc, subnets)
        self._identity(config)
        self._data_perimeter(config)
        self._package_mirror(config)
        self._audit(config, retention)
        self._workloads(config)
        self._people(config)
        self._guardrails(config)

    def _data_plane(
        self,
        config: BaselineConfig,
        retention: logs.RetentionDays,
        vpc: ec2.IVpc | None,
        subnets: Sequence[ec2.ISubnet] | None,
    ) -> None:
        self.keys = KeyRing(
            self,
            "Keys",
            alias_prefix=config.key_alias_prefix,
            rotation_period=cdk.Duration.days(config.key_rotation_days),
        )
        own_vpc = vpc is None
        self.network = PrivateNetwork(
            self,
            "Network",
            logs_key=self.keys.logs_key,
            cidr=config.vpc_cidr if own_vpc else None,
            max_azs=config.max_azs if own_vpc else None,
            vpc=vpc,
            subnets=subnets,
            s3_prefix_list_id=config.s3_prefix_list_id,
            flow_log_retention=retention,
            dns_allowed_domains=split_domains(config.dns_allowed_domains) if config.dns_allowed_domains else (),
            allow_unfiltered_dns=config.allow_unfiltered_dns,
        )
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.data_bucket = SecureBucket(
            self, "DataBucket", encryption_key=self.keys.data_key, access_log_bucket=self.access_logs.bucket
        )
        self.models_bucket = SecureBucket(
            self, "ModelsBucket", encryption_key=self.keys.models_key, access_log_bucket=self.access_logs.bucket
        )
        for bucket in (self.data_bucket, self.models_bucket, self.access_logs):
            acknowledge(bucket.bucket, REPLICATION_RULES, REPLICATION_REASON)
        self.model_repository = ecr.Repository(
            self,
            "ModelImages",
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=self.keys.models_key,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            removal_policy=RETAINED,
        )

    def _identity(self, config: BaselineConfig) -> None:
        network = dict(subnets=self.network.subnets, security_groups=[self.network.workload_security_group])
        # With dataScientists, the shared roles (the domain's default, the notebook instance's, shared
        # spaces') stay out of everyone's home: they write SHARED_FOLDER, which no profile name can be.
        shared_writes = self._work_locations("" if config.data_scientists is None else SHARED_FOLDER)
        self.studio_role = ExecutionRole(
            self,
            "StudioExecutionRole",
            read_buckets=[S3Prefix(self.data_bucket.bucket, RAW_DATA_PREFIX)],
            write_prefixes=shared_writes,
            ecr_repositories=[self.model_repository],
            **network,
        )
        # The one role data scientists may pass to processing and training jobs.
        self.training_role = job_execution_role(
            self,
            "TrainingExecutionRole",
            read_buckets=[S3Prefix(self.data_bucket.bucket, RAW_DATA_PREFIX)],
            write_prefixes=shared_writes,
            ecr_repositories=[self.model_repository],
            **network,
        )
        # The demo model grants it pulls from the repository, the endpoint write access to its capture prefix.
        self.inference_role = ExecutionRole(
            self,
            "InferenceExecutionRole",
            read_buckets=[S3Prefix(self.models_bucket.bucket, MODELS_PREFIX)],
            **network,
        )
        self.model_registry = ModelRegistry(self, "ModelRegistry")
        self.release_role = ReleaseRole(
            self,
            "ReleaseRole",
            registry=self.model_registry,
            models_bucket=self.models_bucket.bucket,
            serving_prefix=MODELS_PREFIX,
            candidates_prefix=CANDIDATES_PREFIX,
        )

    def _data_perimeter(self, config: BaselineConfig) -> None:
        # docs/data-perimeter.md: who reaches the buckets from where, and why each exception exists.
        if config.allow_data_access_outside_vpc:
            return
        endpoint = [self.network.s3_endpoint.vpc_endpoint_id]
        break_glass = role_arn_list(config.break_glass_role_arns)
        self.data_bucket.restrict_to_vpc_endpoints(endpoint, exempt_principal_arns=break_glass)
        # Release managers copy approved artifacts into models/ from their own machines.
        self.models_bucket.restrict_to_vpc_endpoints(
            endpoint, exempt_principal_arns=[*break_glass, self.release_role.role.role_arn]
        )

    def _package_mirror(self, config: BaselineConfig) -> None:
        self.package_mirror = None
        if config.package_mirror:
            self.package_mirror = PackageMirror(self, "PackageMirror", network=self.network, keys=self.keys)
            self.package_mirror.grant_read(self.studio_role)

    def _audit(self, config: BaselineConfig, retention: logs.RetentionDays) -> None:
        self.alerts = AlertTopic(self, "Alerts", keys=self.keys, email=config.alert_email)
        if self.network.dns_firewall is not None:
            self.network.dns_firewall.alarm_blocked_queries(self.alerts.topic)
        self.audit_trail = AuditTrail(
            self,
            "AuditTrail",
            keys=self.keys,
            access_log_bucket=self.access_logs.bucket,
            data_event_buckets=[self.data_bucket, self.models_bucket],
            read_data_event_prefixes=(
                [S3Prefix(self.data_bucket.bucket, RAW_DATA_PREFIX)] if config.raw_data_read_events else None
            ),
            management_events=False,
            log_retention=retention,
            **config.trail_log_lock,
        )
        acknowledge(self.audit_trail.bucket.bucket, REPLICATION_RULES, REPLICATION_REASON)

    def _workloads(self, config: BaselineConfig) -> None:
        self.studio = self.user_profile = self.notebook = self.model = self.endpoint = None
        self.inference_api = None
        if config.studio:
            self.studio = SecureStudioDomain(
                self,
                "Studio",
                network=self.network,
                execution_role=self.studio_role.role,
                encryption_key=self.keys.data_key,
            )
        if self.studio is not None and config.data_scientists is None:
            self.user_profile = SecureUserProfile(
                self, "UserProfile", domain=self.studio, user_profile_name=config.user_profile_name
            )
            # The guardrails let a person open Studio only as a profile whose owner tag is their own
            # principal tag (docs/identity.md).
            cdk.Tags.of(self.user_profile).add(OWNER_TAG, config.user_profile_name)
        self.data_scientist_permissions = DataScientistPermissions(
            self,
            "DataScientistPermissions",
            role=self.studio_role,
            training_role=self.training_role,
            **self._data_science_settings(),
            domain_id=self.studio.domain_id if self.user_profile else None,
            user_profile_name=self.user_profile.user_profile_name if self.user_profile else None,
            allow_shared_spaces=config.allow_shared_spaces,
        )
        if config.notebook:
            self.notebook = SecureNotebookInstance(
                self,
                "Notebook",
                network=self.network,
                execution_role=self.studio_role.role,
                encryption_key=self.keys.data_key,
            )
        if config.demo_endpoint:
            self.model = SecureModel(
                self,
                "DemoModel",
                network=self.network,
                execution_role=self.inference_role.role,
                image_uri=self.model_repository.repository_uri_for_tag(config.model_image_tag),
                repositories=[self.model_repository],
                model_data_url=self.models_bucket.bucket.s3_url_for_object(f"{MODELS_PREFIX}/{config.model_data_key}"),
                model_data_bucket=self.models_bucket,
            )
            self.endpoint = SecureEndpoint(
                self,
                "DemoEndpoint",
                model=self.model,
                encryption_key=self.keys.models_key,
                alarm_topic=self.alerts.topic,
                data_capture_bucket=self.data_bucket,
                data_capture_prefix=DATA_CAPTURE_PREFIX,
                sampling_percentage=config.data_capture_sampling_percentage,
            )
            self.inference_api = ProtectedInferenceApi(
                self,
                "InferenceApi",
                endpoint=self.endpoint,
                logs_key=self.keys.logs_key,
                alarm_topic=self.alerts.topic,
            )

    def _work_locations(self, folder: str = "") -> list[S3Prefix]:
        """Where data scientists write: ``work/`` in the data bucket and ``candidates/`` in the models
        bucket, or ``folder`` under each."""
        suffix = f"/{folder}" if folder else ""
        return [
            S3Prefix(self.data_bucket.bucket, WORK_PREFIX + suffix),
            S3Prefix(self.models_bucket.bucket, CANDIDATES_PREFIX + suffix),
        ]

    def _data_science_settings(self) -> dict[str, Any]:
        """What every data scientist's permissions name: the approved network, keys, registry and
        serving location (the shared profile's and each person's alike)."""
        return dict(
            subnets=self.network.subnets,
            security_groups=[self.network.workload_security_group],
            volume_keys=[self.keys.data_key, self.keys.models_key],
            output_keys=[self.keys.data_key, self.keys.models_key],
            registry=self.model_registry,
            models_bucket=self.models_bucket.bucket,
            serving_prefix=MODELS_PREFIX,
            release_role=self.release_role.role,
        )

    def _people(self, config: BaselineConfig) -> None:
        """With ``dataScientists``: per person, a profile and roles confined to their own prefixes."""
        self.people = []
        if self.studio is None or config.data_scientists is None:
            return
        scope = Construct(self, "People")
        for person in names_of_people("context", "secure-sagemaker:dataScientists", config.data_scientists):
            self.people.append(
                PersonalWorkspace(
                    scope,
                    person,
                    person=person,
                    domain=self.studio,
                    home_prefixes=self._work_locations(),
                    read_locations=[S3Prefix(self.data_bucket.bucket, RAW_DATA_PREFIX)],
                    ecr_repositories=[self.model_repository],
                    **self._data_science_settings(),
                    allow_shared_spaces=config.allow_shared_spaces,
                    owner_tag=OWNER_TAG,
                )
            )
            if self.package_mirror is not None:
                self.package_mirror.grant_read(self.people[-1].studio_role)

    def _guardrails(self, config: BaselineConfig) -> None:
        # Last: the guardrails name the endpoint and the API's integration role.
        people = [
            iam.Role.from_role_arn(self, f"GuardedRole{number}", arn, mutable=True)
            for number, arn in enumerate(role_arn_list(config.guardrail_role_arns), 1)
        ]
        personal_roles = [role for person in self.people for role in (person.studio_role, person.training_role)]
        endpoint_protection = {}
        if self.endpoint is not None and self.inference_api is not None:
            endpoint_protection = dict(
                protected_endpoints=[self.endpoint.endpoint_arn],
                endpoint_invokers=[self.inference_api.integration_role],
            )
        self.guardrails = Guardrails(
            self,
            "Guardrails",
            subnets=self.network.subnets,
            security_groups=[self.network.workload_security_group],
            volume_keys=[self.keys.data_key, self.keys.models_key],
            output_keys=[self.keys.data_key, self.keys.models_key],
            execution_roles=[self.studio_role, self.inference_role, self.training_role, *personal_roles],
            attach_to=[
                self.studio_role,
                self.inference_role,
                self.training_role,
                self.release_role.role,
                *people,
                *personal_roles,
            ],
            admin_role_arns=role_arn_list(config.guardrail_admin_role_arns),
            allow_shared_spaces=config.allow_shared_spaces,
            **endpoint_protection,
        )


class SecureSageMakerStack(DeployTimeZonesStack):
    """The workload baseline as a deployable stack configured from `cdk.json` context.

    Environment-agnostic by default; with an explicit ``env`` it still synthesizes without AWS
    credentials (zones come from ``Fn::GetAZs``). Deploy it after the account baseline
    (:class:`~secure_sagemaker.account.SecureSageMakerAccountStack`), whose API Gateway
    CloudWatch role the inference API's logging needs.

    Read-only attribute: ``baseline`` (:class:`SecureSageMakerBaseline`).

    :param config: the settings. Default: read from the app's context (``BaselineConfig.from_context``).
    """

    baseline: SecureSageMakerBaseline

    def __init__(
        self, scope: Construct, construct_id: str, *, config: BaselineConfig | None = None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.baseline = SecureSageMakerBaseline(
            self, "Baseline", config=config or BaselineConfig.from_context(self.node)
        )
