"""Which construct implements each practice, how firmly, and which tests prove it.

Each practice of :data:`~secure_sagemaker.practices.catalogue.PRACTICES` maps to the controls
that implement it. A control names a construct (or the rule pack), what it does for the practice,
and its :class:`Mode`: enforced (no prop turns it off), a default with a named opt-out, or an
opt-in. The rules that detect a missing practice come from the rule registry
(:attr:`Rule.practices`), so they are never listed twice. ``you_own`` says what the library cannot
do and the user must.

``tests/test_practices.py`` resolves every construct, switch and test named here, so a rename
breaks the build instead of the document.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Mode(str, enum.Enum):
    """How firmly a control is applied."""

    ENFORCED = "enforced"
    DEFAULT = "default"
    OPT_IN = "opt-in"

    def describe(self, switch: str | None) -> str:
        """The control's mode in a sentence fragment, naming its switch."""
        if self is Mode.ENFORCED:
            return "enforced"
        if self is Mode.DEFAULT:
            return f"default; opt out with `{switch}`"
        return f"opt-in with `{switch}`"


@dataclass(frozen=True)
class Control:
    """What one construct does for a practice.

    :param construct: the class, as ``<module>.<Class>`` under ``secure_sagemaker``.
    :param does: what it does for the practice.
    :param mode: how firmly.
    :param switch: the setting that turns a default off or an opt-in on, as ``prop=value`` with a
        prop of ``construct`` or a ``cdk.json`` context key (``secure-sagemaker:...=true``); None
        when enforced.
    :param tests: ``tests/<file>.py::<test function>`` that fail when the control breaks.
    """

    construct: str
    does: str
    mode: Mode
    tests: tuple[str, ...]
    switch: str | None = None

    @property
    def switch_name(self) -> str | None:
        """The prop or context key of :attr:`switch`."""
        return self.switch.split("=", 1)[0] if self.switch else None

    @property
    def name(self) -> str:
        """The class name, as users import it."""
        return self.construct.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Coverage:
    """A practice's controls, and what stays with the user."""

    practice: str
    controls: tuple[Control, ...]
    you_own: str


E, D, O = Mode.ENFORCED, Mode.DEFAULT, Mode.OPT_IN

COVERAGE: tuple[Coverage, ...] = (
    Coverage(
        "P1",
        (
            Control(
                "storage.SecureBucket",
                "SSE-KMS with a customer-managed key and S3 Bucket Keys; uploads that ask for another encryption "
                "or key, or bring their own key (SSE-C), are denied",
                E,
                (
                    "tests/test_storage.py::test_secure_bucket_is_sse_kms_with_bucket_key",
                    "tests/test_storage.py::test_secure_bucket_denies_uploads_with_other_encryption_or_key",
                    "tests/test_storage.py::test_encryption_denies_hold_for_the_headers_of_an_upload",
                    "tests/test_storage.py::test_a_control_removed_after_construction_fails_synthesis",
                ),
            ),
            Control(
                "studio.SecureStudioDomain",
                "the home EFS and every space volume encrypted with the data key",
                E,
                ("tests/test_studio.py::test_domain_encrypts_efs_and_spaces_with_the_data_key",),
            ),
            Control(
                "studio.SecureNotebookInstance",
                "the ML storage volume encrypted with the data key",
                E,
                ("tests/test_studio.py::test_notebook_is_off_the_internet_without_root_encrypted_and_imdsv2_only",),
            ),
            Control(
                "inference.SecureEndpoint",
                "instance volumes encrypted with the models key; captured data with the capture bucket's "
                "customer-managed key (the data key in the baseline)",
                E,
                (
                    "tests/test_inference.py::test_endpoint_config_encrypts_volumes_with_the_models_key",
                    "tests/test_inference.py::test_data_capture_to_an_encrypted_bucket",
                    "tests/test_baseline.py::test_sagemaker_storage_uses_the_baselines_keys",
                ),
            ),
            Control(
                "feature_store.SecureFeatureGroup",
                "the online store encrypted with the given customer-managed key and the offline store in a "
                "SecureBucket under that bucket's key",
                E,
                (
                    "tests/test_feature_store.py::test_online_store_is_encrypted_with_the_given_key",
                    "tests/test_feature_store.py::test_offline_store_is_in_the_bucket_and_prefix_under_the_buckets_key",
                    "tests/test_feature_store.py::test_encryption_is_checked_again_at_synth",
                ),
            ),
            Control(
                "identity.Guardrails",
                "denies jobs, notebooks, endpoint configs and domains created through the API without an approved "
                "volume and output key; jobs and endpoint configs on instance types with local NVMe storage (which "
                "SageMaker encrypts in hardware, and where it rejects a volume key) need no volume key",
                E,
                (
                    "tests/test_identity.py::test_each_action_is_allowed_when_compliant_and_denied_per_violation",
                    "tests/test_guardrails.py::test_volume_key_is_not_required_on_instance_types_with_local_storage",
                    "tests/test_guardrails.py::test_notebooks_and_domains_still_need_their_volume_key",
                ),
            ),
            Control(
                "network.PrivateNetwork",
                "the flow-log group encrypted with the logs key",
                E,
                ("tests/test_network.py::test_flow_log_of_all_traffic_to_an_encrypted_retained_log_group",),
            ),
            Control(
                "audit.AlertTopic",
                "the alert topic encrypted with a customer-managed key",
                E,
                ("tests/test_audit.py::test_topic_is_encrypted_with_the_alerts_key",),
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "every data bucket, volume, log group, repository and topic of the baseline on a customer-managed "
                "key (the access-log bucket is SSE-S3, see below)",
                E,
                (
                    "tests/test_baseline.py::test_sagemaker_storage_uses_the_baselines_keys",
                    "tests/test_baseline.py::test_every_log_group_is_encrypted_with_retention_and_retained",
                ),
            ),
        ),
        "Stores you create outside these constructs (feature groups defined without `SecureFeatureGroup`, "
        "jobs started from code, databases): the pack's `*Kms` rules flag them in templates and `Guardrails` "
        "covers the API, but only if you attach it to the roles that create them. The access-log bucket is "
        "SSE-S3, because S3 server access logging cannot write to an SSE-KMS bucket.",
    ),
    Coverage(
        "P2",
        (
            Control(
                "storage.SecureBucket",
                "requests without TLS, or with TLS older than 1.2, are denied (also on `AccessLogBucket`)",
                E,
                ("tests/test_storage.py::test_every_bucket_denies_requests_without_tls_1_2",),
            ),
            Control(
                "audit.AlertTopic",
                "publishing without TLS is denied",
                E,
                ("tests/test_audit.py::test_topic_policy_requires_tls_and_admits_only_the_publishing_services",),
            ),
            Control(
                "network.PrivateNetwork",
                "the endpoint security group admits only HTTPS (TCP 443) from the VPC",
                E,
                ("tests/test_network.py::test_endpoint_security_group_admits_only_https_from_the_vpc_cidr",),
            ),
            Control(
                "identity.Guardrails",
                "training and processing jobs without inter-container traffic encryption are denied",
                E,
                ("tests/test_identity.py::test_each_action_is_allowed_when_compliant_and_denied_per_violation",),
            ),
            Control(
                "edge.ProtectedInferenceApi",
                "a custom domain only with the TLS 1.2 security policy, and the default endpoint then disabled",
                O,
                ("tests/test_edge.py::test_custom_domain_uses_tls_1_2_and_replaces_the_default_endpoint",),
                "domain_name=...",
            ),
        ),
        "The link between your premises and AWS (Site-to-Site VPN or Direct Connect with MACsec) and "
        "clients that speak TLS 1.2 or later; the library sets up no hybrid connectivity.",
    ),
    Coverage(
        "P3",
        (
            Control(
                "encryption.KeyRing",
                "automatic rotation on every key, every `rotation_period` (90 to 2560 days); rotation cannot be "
                "turned off",
                E,
                (
                    "tests/test_encryption.py::test_every_key_rotates_with_the_configured_period",
                    "tests/test_encryption.py::test_rotation_turned_off_after_construction_fails_synthesis",
                    "tests/test_baseline.py::test_every_key_rotates_and_is_retained",
                ),
            ),
            Control(
                "storage.SecureBucket",
                "the key it creates when given none rotates too",
                E,
                ("tests/test_storage.py::test_created_key_rotates_is_retained_and_usable_only_through_s3",),
            ),
        ),
        "Keys you import with your own key material (KMS cannot rotate them) and any key you pass in "
        "from outside the library: the `SageMakerSecurity-KmsKeyRotation` rule flags those in a template.",
    ),
    Coverage(
        "P4",
        (
            Control(
                "encryption.KeyRing",
                "separate customer-managed keys per purpose (data, models, logs, alerts, audit) with aliases, retained",
                E,
                (
                    "tests/test_encryption.py::test_every_key_has_its_alias",
                    "tests/test_encryption.py::test_every_key_is_retained_with_its_pending_window",
                ),
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "the data and models buckets on rotating customer-managed keys, never an AWS managed key",
                E,
                ("tests/test_baseline.py::test_data_buckets_are_sse_kms_with_a_rotating_customer_key_and_logged",),
            ),
        ),
        "",
    ),
    Coverage(
        "P5",
        (
            Control(
                "encryption.KeyRing",
                "key policies without `kms:*` or any principal; administration without cryptographic actions; use "
                "only through the AWS services that need each key, from this account",
                E,
                (
                    "tests/test_encryption.py::test_no_key_policy_grants_kms_star_or_any_principal",
                    "tests/test_encryption.py::test_administration_has_no_cryptographic_actions",
                    "tests/test_encryption.py::test_use_only_through_services_of_this_account",
                    "tests/test_encryption.py::test_allow_service_refuses_unscoped_or_kms_star",
                ),
            ),
            Control(
                "identity.ExecutionRole",
                "key use limited to the keys it is given, grants only for AWS resources",
                E,
                ("tests/test_identity.py::test_keys_are_the_given_ones_and_the_buckets_keys",),
            ),
            Control(
                "identity.Guardrails",
                "no governed role schedules a key's deletion, replaces its policy, or disables it or its rotation; "
                "only the admin roles may",
                E,
                ("tests/test_guardrails.py::test_controls_are_protected_from_everyone_but_the_admins",),
            ),
        ),
        "Who may administer keys: the key policies trust the account, so IAM decides who holds "
        "`kms:ScheduleKeyDeletion` and `kms:PutKeyPolicy`. The guardrails deny them only to the roles "
        "they govern, and the admin roles (`guardrailAdminRoleArns`) keep them: for everyone else, "
        "deploy `GuardrailsServiceControlPolicy` or deny them in your own SCP outside a break-glass role.",
    ),
    Coverage(
        "P6",
        (
            Control(
                "identity.ExecutionRole",
                "permissions only from its props, in one customer-managed policy: no `*` action, objects scoped "
                "to named prefixes, no delete; trust only SageMaker of this account and region",
                E,
                (
                    "tests/test_identity.py::test_no_wildcard_action_anywhere",
                    "tests/test_identity.py::test_object_access_is_scoped_to_named_prefixes",
                    "tests/test_identity.py::test_trust_admits_sagemaker_of_this_account_and_region_only",
                    "tests/test_identity.py::test_resource_star_only_on_documented_actions",
                ),
            ),
            Control(
                "identity.Guardrails",
                "`iam:PassRole` only for the execution roles and only to SageMaker",
                E,
                ("tests/test_identity.py::test_pass_role_only_for_execution_roles_and_only_to_sagemaker",),
            ),
            Control(
                "identity.Guardrails",
                "attached to every execution role the baseline creates (each person's two roles included), to the "
                "release role and to the roles named in `guardrailRoleArns`; every role that may create SageMaker "
                "resources carries them",
                E,
                (
                    "tests/test_guardrails.py::test_every_execution_role_and_named_person_carries_every_guardrail_policy",
                    "tests/test_guardrails.py::test_every_role_that_may_create_sagemaker_resources_carries_a_guardrail_deny",
                    "tests/test_people.py::test_the_guardrails_govern_every_personal_role",
                ),
            ),
            Control(
                "identity.Guardrails",
                "no lifecycle-config changes and no unapproved Studio lifecycle configs; presigned URLs only for "
                "one's own profile or instance; no changes to the guardrails, execution roles, trails, GuardDuty, "
                "Config, keys, bucket policies, VPC routes and endpoints or DNS firewall, except by the admin roles",
                E,
                (
                    "tests/test_guardrails.py::test_only_admins_change_lifecycle_configs",
                    "tests/test_guardrails.py::test_domains_and_profiles_name_only_approved_lifecycle_configs",
                    "tests/test_guardrails.py::test_presigned_urls_only_for_ones_own_profile_or_instance",
                    "tests/test_guardrails.py::test_the_owner_tag_cannot_be_rewritten",
                    "tests/test_guardrails.py::test_controls_are_protected_from_everyone_but_the_admins",
                    "tests/test_guardrails.py::test_guardrail_policies_and_execution_roles_are_protected",
                ),
            ),
            Control(
                "identity.Guardrails",
                "the baseline's endpoint is invoked only by the API's integration role",
                E,
                ("tests/test_guardrails.py::test_only_the_integration_role_invokes_the_endpoint",),
            ),
            Control(
                "identity.Guardrails",
                "Studio spaces created only as private spaces (their owner's alone), never shared",
                D,
                (
                    "tests/test_people.py::test_a_shared_space_needs_the_opt_in",
                    "tests/test_people.py::test_allow_shared_spaces_is_what_opens_shared_spaces",
                    "tests/test_workflow.py::test_only_private_spaces_without_the_opt_in",
                ),
                "allow_shared_spaces=True",
            ),
            Control(
                "identity.Guardrails",
                "an allow-list of SageMaker instance types (patterns such as `ml.m5.*`); none by default",
                O,
                (
                    "tests/test_guardrails.py::test_instance_type_allow_list",
                    "tests/test_guardrails.py::test_no_instance_type_allow_list_by_default",
                ),
                'allowed_instance_types=["ml.m5.*"]',
            ),
            Control(
                "people.PersonalWorkspace",
                "one Studio profile per person, with their own Studio and training roles (tagged `owner`) that "
                "write only `work/<name>/` and `candidates/<name>/`, pass only their own training role and open "
                "only their own profile and spaces; the trail names each person by role and source identity",
                O,
                (
                    "tests/test_people.py::test_a_person_and_their_jobs_write_only_their_own_home",
                    "tests/test_people.py::test_a_person_passes_only_their_own_training_role",
                    "tests/test_people.py::test_a_person_opens_only_their_own_profile",
                    "tests/test_people.py::test_a_person_cannot_use_another_persons_space",
                    "tests/test_people.py::test_the_trail_tells_people_apart",
                ),
                "secure-sagemaker:dataScientists=alice,bob",
            ),
            Control(
                "organization.GuardrailsServiceControlPolicy",
                "the same denies as service control policies, binding account admins too",
                O,
                ("tests/test_guardrails.py::test_scp_denies_the_same_within_organizations_limits",),
                'target_ids=["ou-..."]',
            ),
            Control(
                "studio.SecureNotebookInstance",
                "no root access for notebook users",
                D,
                ("tests/test_studio.py::test_root_access_opt_out_is_visible_in_the_template_and_nothing_else_relaxes",),
                "allow_root_access=True",
            ),
            Control(
                "studio.SecureStudioDomain",
                "no Docker access (root-equivalent) from Studio spaces",
                D,
                ("tests/test_studio.py::test_domain_restricts_docker_and_records_the_user_by_default",),
                "allow_docker_access=True",
            ),
            Control(
                "edge.ProtectedInferenceApi",
                "the integration role may only invoke the one endpoint",
                E,
                ("tests/test_edge.py::test_integration_role_may_only_invoke_the_one_endpoint",),
            ),
            Control(
                "workflow.DataScientistPermissions",
                "the data scientist's role may open Studio only as its own profile, manage only spaces and apps "
                "it owns, pass only the training role and only to SageMaker, register only pending packages and "
                "read only its jobs' and Studio's logs (evaluated as IAM would over the template)",
                E,
                (
                    "tests/test_workflow.py::test_studio_opens_only_as_own_profile",
                    "tests/test_workflow.py::test_own_space_is_allowed_another_persons_is_denied",
                    "tests/test_workflow.py::test_jupyterlab_app_only_in_own_space",
                    "tests/test_workflow.py::test_passing_another_role_is_denied",
                    "tests/test_workflow.py::test_data_scientist_reads_own_job_and_studio_logs",
                ),
            ),
            Control(
                "workflow.ReleaseRole",
                "separation of duties: only the release role, assumed with MFA, approves model packages and "
                "writes what endpoints serve; no data-scientist role can",
                D,
                (
                    "tests/test_workflow.py::test_writing_what_an_endpoint_serves_is_only_for_the_release_role",
                    "tests/test_workflow.py::test_no_role_but_the_release_role_writes_a_serving_artifact_or_approves",
                    "tests/test_workflow.py::test_registering_a_pending_package_is_allowed_approving_is_not",
                    "tests/test_workflow.py::test_release_role_is_assumed_only_with_mfa",
                ),
                "allow_assume_without_mfa=True",
            ),
        ),
        "Naming every data-scientist and pipeline role in `guardrailRoleArns` (or `Guardrails.attach`); "
        "an `owner` tag on each person's sign-in role or session (a session tag from your identity "
        "provider), which presigned URLs are checked against (with `dataScientists` the baseline tags the "
        "profiles and personal roles, without it the one shared profile); federation with MFA for "
        "people, and periodic access reviews: the library creates the workload roles, not your "
        "people's. Without `dataScientists` one Studio role serves the whole team; with it, everyone "
        "still reads all of `raw/`.",
    ),
    Coverage(
        "P7",
        (
            Control(
                "network.PrivateNetwork",
                "a workload security group that talks only to the endpoints and itself; an endpoint group that "
                "admits only HTTPS from the VPC; the default group emptied",
                E,
                (
                    "tests/test_network.py::test_workload_security_group_talks_only_to_endpoints_and_itself",
                    "tests/test_network.py::test_default_security_group_is_emptied",
                ),
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "Studio, the notebook and the model in the isolated subnets with the workload security group",
                E,
                (
                    "tests/test_baseline.py::test_sagemaker_workloads_run_in_the_isolated_subnets_with_the_workload_group",
                ),
            ),
        ),
        "Network ACLs: the VPC keeps its default ACL and relies on security groups (stateful, per "
        "resource); add stateless ACLs if your policy requires them.",
    ),
    Coverage(
        "P8",
        (
            Control(
                "network.PrivateNetwork",
                "isolated subnets only: no internet gateway, NAT or default route",
                E,
                (
                    "tests/test_network.py::test_no_internet_gateway_nat_or_default_route",
                    "tests/test_baseline.py::test_no_route_to_the_internet",
                ),
            ),
            Control(
                "network.PrivateNetwork",
                "a DNS firewall on the VPC (DnsFirewall): AWS names resolve, every other name is answered NXDOMAIN, "
                "so nothing tunnels out through DNS",
                D,
                (
                    "tests/test_dns.py::test_aws_names_and_the_allowed_ones_resolve_and_everything_else_is_nxdomain",
                    "tests/test_dns.py::test_the_rule_group_is_associated_with_the_vpc_so_that_a_failed_first_deploy_rolls_back",
                    "tests/test_dns.py::test_allow_unfiltered_dns_creates_no_firewall_and_no_query_logging",
                ),
                "allow_unfiltered_dns=True",
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "pip behind the DNS firewall: a KMS-encrypted CodeArtifact mirror of PyPI (PackageMirror) reached "
                "through interface endpoints with AWS names, open to this account only, readable by the Studio role",
                O,
                (
                    "tests/test_packages.py::test_the_dns_firewall_resolves_codeartifacts_names",
                    "tests/test_packages.py::test_resource_policies_admit_only_this_accounts_principals",
                    "tests/test_opt_ins.py::test_the_studio_role_may_read_the_mirror",
                ),
                "secure-sagemaker:packageMirror=true",
            ),
            Control(
                "inference.SecureModel",
                "the container runs network-isolated inside the VPC",
                D,
                (
                    "tests/test_inference.py::test_model_is_network_isolated_in_the_private_subnets",
                    "tests/test_inference.py::test_network_access_opt_out_is_visible_and_keeps_the_vpc",
                ),
                "allow_network_access=True",
            ),
            Control(
                "studio.SecureStudioDomain",
                "VpcOnly app network access in the isolated subnets",
                E,
                ("tests/test_studio.py::test_domain_is_vpc_only_with_iam_auth_in_the_isolated_subnets",),
            ),
            Control(
                "studio.SecureNotebookInstance",
                "no direct internet access, in an isolated subnet",
                E,
                ("tests/test_studio.py::test_notebook_is_off_the_internet_without_root_encrypted_and_imdsv2_only",),
            ),
            Control(
                "identity.Guardrails",
                "training, processing, tuning and transform jobs outside the approved subnets and security "
                "groups, or without network isolation, are denied",
                E,
                (
                    "tests/test_identity.py::test_each_action_is_allowed_when_compliant_and_denied_per_violation",
                    "tests/test_identity.py::test_hand_picked_requests",
                ),
            ),
        ),
        "Training jobs are started from code, not CloudFormation: only `Guardrails` attached to the "
        "roles that start them keeps those jobs in the VPC.",
    ),
    Coverage(
        "P9",
        (
            Control(
                "network.PrivateNetwork",
                "interface endpoints with private DNS for every API a VpcOnly workload calls, the S3 gateway "
                "endpoint, and a policy on each",
                E,
                (
                    "tests/test_network.py::test_default_interface_endpoints_are_the_sagemaker_list_with_private_dns",
                    "tests/test_network.py::test_interface_endpoint_policies",
                    "tests/test_network.py::test_s3_gateway_endpoint_on_isolated_route_tables_with_perimeter_policy",
                    "tests/test_baseline.py::test_interface_endpoints_cover_the_sagemaker_apis",
                ),
            ),
            Control(
                "storage.SecureBucket",
                "object reads, writes, deletes and listings denied unless they come through the named VPC "
                "endpoints, from AWS services or from break-glass principals; bucket management stays with IAM",
                O,
                (
                    "tests/test_storage.py::test_vpc_endpoint_mode_denies_object_data_outside_the_endpoints",
                    "tests/test_storage.py::test_break_glass_principals_read_from_outside_the_endpoints",
                ),
                "allowed_vpc_endpoint_ids=[...]",
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "a data perimeter on the data and models buckets: object data only through the VPC's S3 gateway "
                "endpoint, from AWS services, from `breakGlassRoleArns` and (models bucket) the release role",
                D,
                (
                    "tests/test_data_perimeter.py::test_a_read_through_the_vpc_endpoint_is_allowed_the_same_read_from_outside_is_denied",
                    "tests/test_data_perimeter.py::test_the_release_role_alone_reaches_the_models_bucket_from_outside",
                    "tests/test_data_perimeter.py::test_cloudformation_manages_the_buckets_from_outside",
                ),
                "secure-sagemaker:allowDataAccessOutsideVpc=true",
            ),
            Control(
                "network.PrivateNetwork",
                "HTTPS from the workload security group to S3 through the gateway endpoint, by the Region's S3 "
                "prefix list looked up at deploy time (read-only custom resource)",
                D,
                (
                    "tests/test_network.py::test_s3_prefix_list_is_looked_up_at_deploy_time_with_a_read_only_role",
                    "tests/test_network.py::test_a_given_prefix_list_id_needs_no_lookup",
                ),
                "s3_prefix_list_id='pl-...'",
            ),
        ),
        "Which AWS APIs your workloads may reach beyond the endpoint list (`interface_endpoints`), and "
        "the endpoint policies' scope when you share the VPC with other teams.",
    ),
    Coverage(
        "P10",
        (
            Control(
                "edge.ProtectedInferenceApi",
                "HTTPS-only API Gateway in front of the endpoint, IAM (SigV4) or Cognito on every method; a "
                "method added without authorization fails synthesis",
                E,
                (
                    "tests/test_edge.py::test_every_method_requires_authorization",
                    "tests/test_edge.py::test_a_method_added_without_authorization_fails_synthesis",
                ),
            ),
            Control(
                "edge.ProtectedInferenceApi",
                "a private API reachable only through an `execute-api` VPC endpoint",
                O,
                ("tests/test_edge.py::test_internal_api_admits_only_its_vpc_endpoint",),
                "internal_only=True",
            ),
            Control(
                "network.PrivateNetwork",
                "in-VPC callers reach `sagemaker.runtime` through its interface endpoint, HTTPS only",
                E,
                ("tests/test_network.py::test_default_interface_endpoints_are_the_sagemaker_list_with_private_dns",),
            ),
        ),
        "Issuing credentials or Cognito users to callers, and the certificate of a custom domain.",
    ),
    Coverage(
        "P11",
        (
            Control(
                "inference.SecureEndpoint",
                "alarms on 4XX and 5XX errors and p99 latency, per variant, to the alert topic",
                E,
                (
                    "tests/test_inference.py::test_alarms_watch_each_variant_and_notify_the_topic",
                    "tests/test_inference.py::test_alarm_thresholds",
                ),
            ),
            Control(
                "edge.ProtectedInferenceApi",
                "JSON access logs, execution logs, X-Ray, and alarms on blocked requests, errors and latency",
                E,
                (
                    "tests/test_edge.py::test_stage_logs_traces_and_throttles",
                    "tests/test_edge.py::test_alarms_notify_the_alert_topic",
                    "tests/test_edge.py::test_waf_logs_to_an_encrypted_group_with_credentials_redacted",
                ),
            ),
            Control(
                "network.PrivateNetwork",
                "flow logs of all traffic (always on a VPC it creates)",
                D,
                (
                    "tests/test_network.py::test_flow_log_of_all_traffic_to_an_encrypted_retained_log_group",
                    "tests/test_network.py::test_existing_vpc_subnet_choice_and_flow_log_opt_out",
                ),
                "create_flow_log=False",
            ),
            Control(
                "audit.AlertTopic",
                "an email subscription to the alert topic",
                O,
                ("tests/test_audit.py::test_email_subscription",),
                "email=...",
            ),
            Control(
                "audit.AlertTopic",
                "a warning at synth when nothing in the app subscribes to the topic (alarms would reach nobody), "
                "listed by `make synth` as a reminder",
                E,
                (
                    "tests/test_audit.py::test_a_topic_without_a_subscriber_warns_at_synth",
                    "tests/test_baseline.py::test_without_alert_email_the_only_other_report_entries_are_the_no_subscriber_reminders",
                ),
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "every log group with a retention (one year by default) and retained",
                E,
                ("tests/test_baseline.py::test_every_log_group_is_encrypted_with_retention_and_retained",),
            ),
        ),
        "Someone who receives the alerts (`secure-sagemaker:alertEmail` or your own subscription) "
        "and acts on them. SageMaker creates the `/aws/sagemaker/*` log groups of jobs and endpoints "
        "itself: set their retention and KMS key in your account.",
    ),
    Coverage(
        "P12",
        (
            Control(
                "audit.AuditTrail",
                "a multi-region trail with global events, log-file validation, the audit key and a CloudWatch "
                "Logs copy, to a bucket only this trail may write",
                E,
                (
                    "tests/test_audit.py::test_trail_flags",
                    "tests/test_audit.py::test_audit_key_admits_only_this_trail",
                    "tests/test_audit.py::test_trail_bucket_policy_admits_only_this_trail",
                ),
            ),
            Control(
                "audit.AuditTrail",
                "log files and digests under S3 Object Lock (GOVERNANCE, a year, by default): no overwrite or "
                "early deletion",
                D,
                (
                    "tests/test_audit.py::test_log_files_are_locked_in_governance_mode_for_a_year_by_default",
                    "tests/test_audit.py::test_compliance_mode_and_retention_are_props",
                ),
                "allow_log_file_deletion=True",
            ),
            Control(
                "audit.AuditTrail",
                "S3 data events (writes, or reads too) of named buckets; the baseline names its data and models "
                "buckets",
                O,
                ("tests/test_audit.py::test_data_event_selectors",),
                "data_event_buckets=[...]",
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "reads of raw/ in the data bucket recorded too (a ReadOnly selector on the prefix): who read which "
                "raw object",
                O,
                (
                    "tests/test_audit.py::test_read_data_events_on_a_prefix_get_a_read_only_selector_of_their_own",
                    "tests/test_opt_ins.py::test_the_trail_also_records_reads_of_raw_data",
                ),
                "secure-sagemaker:rawDataReadEvents=true",
            ),
            Control(
                "account.SecureSageMakerAccountBaseline",
                "the account trail; leave it to the organization trail",
                D,
                ("tests/test_real_apps.py::test_organization_switches_shape_the_account_baseline",),
                "secure-sagemaker:organizationRunsCloudTrail=true",
            ),
            Control(
                "studio.SecureStudioDomain",
                "the Studio user's name as `sts:SourceIdentity` on every session, so the trail names the person",
                D,
                ("tests/test_studio.py::test_domain_restricts_docker_and_records_the_user_by_default",),
                "record_user_identity=False",
            ),
        ),
        "With `organizationRunsCloudTrail`, making sure the organization trail covers this account; "
        "the retention of the trail bucket (never expired by default); in GOVERNANCE mode, who holds "
        "`s3:BypassGovernanceRetention` (administrators with `s3:*` do: choose COMPLIANCE to bind them too).",
    ),
    Coverage(
        "P13",
        (
            Control(
                "audit.ThreatDetection",
                "a GuardDuty detector with S3 Protection, and findings of severity 4 and above to the alert topic",
                E,
                (
                    "tests/test_audit.py::test_detector_has_s3_protection_and_the_frequency",
                    "tests/test_audit.py::test_findings_rule_forwards_findings_at_or_above_the_severity",
                ),
            ),
            Control(
                "audit.ThreatDetection",
                "only the alert wiring, for a detector that already exists",
                O,
                ("tests/test_audit.py::test_existing_detector_mode_only_wires_the_alerts",),
                "use_existing_detector=True",
            ),
            Control(
                "account.SecureSageMakerAccountBaseline",
                "the detector; with the switch only its alerts, for a detector the organization runs",
                D,
                ("tests/test_real_apps.py::test_organization_switches_shape_the_account_baseline",),
                "secure-sagemaker:organizationRunsGuardDuty=true",
            ),
            Control(
                "audit.ThreatDetection",
                "Malware Protection for S3 on named buckets",
                O,
                ("tests/test_audit.py::test_malware_protection_plan_scans_and_tags_the_named_bucket",),
                "malware_scan_buckets=[...]",
            ),
        ),
        "Triage of findings, and GuardDuty's other protection plans (Runtime Monitoring, EKS) where "
        "you run those workloads.",
    ),
    Coverage(
        "P14",
        (
            Control(
                "edge.ProtectedInferenceApi",
                "an AWS WAF web ACL on the stage: managed rule groups, a per-IP rate limit, a body-size rule, logging",
                E,
                (
                    "tests/test_edge.py::test_web_acl_is_associated_with_exactly_this_stage",
                    "tests/test_edge.py::test_web_acl_rule_list_and_priorities",
                    "tests/test_edge.py::test_rate_based_rule_per_client_ip",
                    "tests/test_edge.py::test_a_body_over_the_limit_is_blocked_by_waf",
                ),
            ),
            Control(
                "edge.ProtectedInferenceApi",
                "allow lists of IP ranges and countries",
                O,
                ("tests/test_edge.py::test_allow_list_and_geo_match",),
                "allowed_ip_ranges=[...]",
            ),
            Control(
                "inference.SecureModel",
                "the model's containers in the isolated subnets behind the workload security group",
                E,
                ("tests/test_inference.py::test_model_is_network_isolated_in_the_private_subnets",),
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "the demo endpoint reachable only through the WAF-protected API",
                E,
                ("tests/test_baseline.py::test_the_endpoint_is_reachable_only_through_the_waf_protected_api",),
            ),
            Control(
                "identity.Guardrails",
                "`sagemaker:InvokeEndpoint*` on the baseline's endpoint denied to every governed role but the API's "
                "integration role, so the WAF, authorization and throttling cannot be bypassed through the runtime",
                E,
                (
                    "tests/test_guardrails.py::test_only_the_integration_role_invokes_the_endpoint",
                    "tests/test_guardrails.py::test_the_endpoint_arn_in_the_guardrails_is_the_endpoints_own",
                ),
            ),
            Control(
                "organization.GuardrailsServiceControlPolicy",
                "the same invocation deny for every principal of the target accounts, account admins included",
                O,
                ("tests/test_guardrails.py::test_scp_denies_the_same_within_organizations_limits",),
                'target_ids=["ou-..."]',
            ),
        ),
        "Tuning the rate limit and managed rules to your traffic (false positives block real "
        "callers); AWS Shield Advanced if you need protection against large DDoS.",
    ),
    Coverage(
        "P15",
        (
            Control(
                "inference.SecureEndpoint",
                "an anomaly-detection band on invocations, and data capture of requests and responses for review",
                E,
                (
                    "tests/test_inference.py::test_invocation_anomaly_alarm_is_an_anomaly_detection_band_above_the_upper_bound",
                    "tests/test_inference.py::test_data_capture_to_an_encrypted_bucket",
                ),
            ),
            Control(
                "dns.DnsFirewall",
                "every DNS query of the VPC logged to an encrypted, retained log group; blocked queries counted per VPC "
                "and alarmed on",
                E,
                (
                    "tests/test_dns.py::test_every_query_is_logged_to_an_encrypted_retained_log_group",
                    "tests/test_dns.py::test_blocked_queries_of_this_vpc_alarm_the_topic_on_alarm_and_ok",
                ),
            ),
            Control(
                "audit.AuditTrail",
                "a metric filter and alarm per security watch over the account trail: the CIS set (root use, "
                "unauthorized calls, console sign-in without MFA, IAM policy, trail, Config, key, bucket policy, "
                "security group, network and VPC changes) and changes to GuardDuty, SageMaker endpoints, domains "
                "and profiles, new lifecycle configs, user profiles and space updates, key policies and aliases, "
                "KMS grants made directly, role trust and long-term credentials, log groups, metric filters, "
                "alarms and subscriptions, the WAF and API, the DNS firewall, and refused presigned Studio or "
                "notebook URLs",
                E,
                (
                    "tests/test_audit.py::test_one_metric_filter_per_watch_with_its_pattern",
                    "tests/test_audit.py::test_watch_patterns_are_well_formed_and_catch_their_events",
                    "tests/test_audit.py::test_each_alarm_fires_on_one_event_and_notifies_the_topic",
                ),
            ),
            Control(
                "audit.ThreatDetection",
                "GuardDuty's anomaly detection over CloudTrail, VPC flow logs, DNS and S3 data events",
                E,
                ("tests/test_audit.py::test_detector_has_s3_protection_and_the_frequency",),
            ),
            Control(
                "monitoring.SecureDataQualityMonitor",
                "a Model Monitor data-quality schedule (hourly by default) over the endpoint's captured requests, "
                "network-isolated in the private subnets with its volumes and reports on customer-managed keys; "
                "failed or stopped runs notify the endpoint's alarm topic",
                E,
                (
                    "tests/test_model_monitor.py::test_job_reads_the_endpoints_captured_data",
                    "tests/test_model_monitor.py::test_schedule_runs_the_job_definition_on_the_endpoint",
                    "tests/test_model_monitor.py::test_job_runs_network_isolated_in_the_private_subnets_with_encrypted_traffic",
                    "tests/test_model_monitor.py::test_failed_and_stopped_runs_of_this_schedule_notify_the_endpoints_alarm_topic",
                ),
            ),
        ),
        "The baseline that makes data-quality violations meaningful (constraints and statistics computed "
        "from the training data, e.g. with the SageMaker Python SDK) and reading the violation reports: "
        "`SecureDataQualityMonitor` alarms on failed runs, not on drift, because the documented namespace "
        "of the drift metrics is inconsistent; it is not part of the baseline, and Model Monitor is closed "
        "to new customers. Model-quality, bias and explainability monitoring (they need ground truth or "
        "Clarify). Analysis of access and flow logs beyond the alarms (Athena, Security Lake). The "
        "security watches live on the account baseline's trail: with `organizationRunsCloudTrail` there is "
        "no such trail here, so set the same alarms up on the organization trail. Presigned Studio URLs are "
        "alarmed on only when refused, since every sign-in creates one (the guardrails limit them to one's "
        "own profile).",
    ),
    Coverage(
        "P16",
        (
            Control(
                "audit.ComplianceRules",
                "26 AWS Config managed rules that re-check, on change and daily, what the baseline enforces",
                D,
                (
                    "tests/test_audit.py::test_config_rules_are_the_default_managed_rules",
                    "tests/test_audit.py::test_default_rule_list_is_pinned",
                ),
                "exclude_rules=[...]",
            ),
            Control(
                "account.SecureSageMakerAccountBaseline",
                "the Config rules; leave them to the organization",
                D,
                ("tests/test_real_apps.py::test_organization_switches_shape_the_account_baseline",),
                "secure-sagemaker:organizationRunsConfigRules=true",
            ),
            Control(
                "audit.ComplianceRules",
                "the configuration recorder and an encrypted delivery channel",
                O,
                ("tests/test_audit.py::test_recorder_records_everything_and_delivers_encrypted",),
                "create_recorder=True",
            ),
            Control(
                "nag.pack.SageMakerSecurityChecks",
                "the same rules at every synth, and `secure-sagemaker audit` on any template in CI",
                E,
                (
                    "tests/nag/test_nag_baseline_rules.py::test_the_pack_leaves_no_unacknowledged_finding_on_the_baseline",
                    "tests/nag/test_nag_cli_audit.py::test_sarif_is_valid_against_the_schema",
                ),
            ),
        ),
        "Scheduling audits (run `audit` in CI, review Config compliance), and the audits no tool "
        "replaces: penetration tests and access reviews.",
    ),
    Coverage(
        "P17",
        (
            Control(
                "nag.pack.SageMakerSecurityChecks",
                "the baseline passes the AwsSolutions, HIPAA Security, NIST 800-53 R5 and PCI DSS 3.2.1 packs "
                "with every remaining finding acknowledged with a reason",
                E,
                (
                    "tests/test_baseline.py::test_the_baseline_has_no_unacknowledged_finding",
                    "tests/test_baseline.py::test_every_acknowledgment_has_a_reason",
                    "tests/test_docs.py::test_acknowledgments_doc_lists_every_acknowledgment_of_the_baseline",
                ),
            ),
            Control(
                "audit.AuditTrail",
                "log-file validation and a year of CloudWatch Logs retention (PCI DSS asks for a year)",
                E,
                (
                    "tests/test_audit.py::test_trail_flags",
                    "tests/test_audit.py::test_log_group_is_encrypted_retained_and_kept_a_year",
                ),
            ),
        ),
        "Certification itself (ISO 27001/27017, SOC 2, HIPAA, GDPR) is a process of your "
        "organization: the packs and Config rules are evidence, not an audit. Sign the AWS BAA "
        "before HIPAA data, choose regions that meet your data-residency duties, and keep records "
        "of processing.",
    ),
    Coverage(
        "P18",
        (
            Control(
                "inference.SecureModel",
                "model data only from an encrypted bucket, images only from named ECR repositories",
                E,
                ("tests/test_inference.py::test_model_image_and_data_come_from_what_the_caller_named",),
            ),
            Control(
                "baseline.SecureSageMakerBaseline",
                "the models bucket and an immutable, scanned ECR repository, both on the models key",
                E,
                ("tests/test_baseline.py::test_sagemaker_storage_uses_the_baselines_keys",),
            ),
            Control(
                "inference.SecureEndpoint",
                "endpoint volumes, where the model is loaded, on the models key",
                E,
                ("tests/test_inference.py::test_endpoint_config_encrypts_volumes_with_the_models_key",),
            ),
        ),
        "Copies of artifacts outside these stores (another account's registry, downloads to laptops).",
    ),
    Coverage(
        "P19",
        (
            Control(
                "baseline.SecureSageMakerBaseline",
                "one composition covering data, processing, training, deployment and audit, with no "
                "unacknowledged finding",
                E,
                (
                    "tests/test_baseline.py::test_the_baseline_has_no_unacknowledged_finding",
                    "tests/test_baseline.py::test_snapshot",
                ),
            ),
            Control(
                "identity.Guardrails",
                "the same network, key and isolation settings on every processing, training, tuning and transform "
                "job started through the API",
                E,
                ("tests/test_identity.py::test_guardrails_rely_exactly_on_the_pinned_pairs",),
            ),
            Control(
                "workflow.DataScientistPermissions",
                "processing and training jobs allowed only in the approved subnets and security groups, with the "
                "approved volume and output keys, network isolation and inter-container encryption, by the "
                "data scientist's own Allow (without relying on the guardrails)",
                E,
                (
                    "tests/test_workflow.py::test_job_in_the_vpc_with_keys_is_allowed",
                    "tests/test_workflow.py::test_job_without_the_vpc_keys_or_isolation_is_denied",
                ),
            ),
            Control(
                "inference.SecureEndpoint",
                "two instances by default, so one failure does not take inference down",
                D,
                ("tests/test_inference.py::test_instance_counts",),
                "accept_single_instance=True",
            ),
            Control(
                "inference.SecureEndpoint",
                "auto scaling between two bounds on invocations per instance, never without a maximum",
                O,
                (
                    "tests/test_inference.py::test_scaling_is_bounded_tracks_invocations_and_uses_the_service_linked_role",
                ),
                "max_instance_count=...",
            ),
        ),
        "Review of training code and dependencies, and the release process of models; the baseline "
        "scans images on push but does not gate deployment on the result.",
    ),
)
