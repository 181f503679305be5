"""The threat model: for each threat and cloud risk, what the baseline deploys and what is left.

Each :class:`Assessment` names the practices that answer the threat, the mitigations the
baseline deploys (each a :class:`Mitigation` naming the construct that deploys it and the tests
that prove it), and the residual risk the user owns. The rules that detect a missing mitigation
come from the rule registry (:attr:`Rule.threats`).

``tests/test_practices.py`` resolves every test named here, as it does for the practice map.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mitigation:
    """One claim about what the baseline deploys against a threat, and what proves it.

    :param text: what is deployed, naming its construct in backticks.
    :param tests: ``tests/<file>.py::<test function>`` that fail when the claim stops being true.
    """

    text: str
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    """One threat or risk: answering practices, deployed mitigations, residual risk.

    :param threat: a ``T*`` or ``C*`` id.
    :param practices: the ``P*`` ids that answer it.
    :param mitigations: what the baseline deploys, each with the tests that prove it.
    :param residual: what stays with the user, and what to do about it.
    """

    threat: str
    practices: tuple[str, ...]
    mitigations: tuple[Mitigation, ...]
    residual: str


M = Mitigation

# Tests named by several mitigations.
_STORAGE = "tests/test_storage.py::"
_AUDIT = "tests/test_audit.py::"
_GUARDRAILS = "tests/test_guardrails.py::"
_WORKFLOW = "tests/test_workflow.py::"
_PEOPLE = "tests/test_people.py::"
_EDGE = "tests/test_edge.py::"
_TLS = _STORAGE + "test_every_bucket_denies_requests_without_tls_1_2"
_WATCHES = (
    _AUDIT + "test_watch_patterns_are_well_formed_and_catch_their_events",
    _AUDIT + "test_each_alarm_fires_on_one_event_and_notifies_the_topic",
)
_GUARDRAILS_ATTACHED = (
    _GUARDRAILS + "test_every_execution_role_and_named_person_carries_every_guardrail_policy",
    _GUARDRAILS + "test_every_role_that_may_create_sagemaker_resources_carries_a_guardrail_deny",
    _PEOPLE + "test_the_guardrails_govern_every_personal_role",
)
_JOB_DENIES = ("tests/test_identity.py::test_each_action_is_allowed_when_compliant_and_denied_per_violation",)
_INVOKE_ONLY_THROUGH_API = (
    _GUARDRAILS + "test_only_the_integration_role_invokes_the_endpoint",
    _GUARDRAILS + "test_the_endpoint_arn_in_the_guardrails_is_the_endpoints_own",
    _GUARDRAILS + "test_scp_denies_the_same_within_organizations_limits",
    _EDGE + "test_integration_role_may_only_invoke_the_one_endpoint",
)
_SEPARATION_OF_DUTIES = (
    _WORKFLOW + "test_registering_a_pending_package_is_allowed_approving_is_not",
    _WORKFLOW + "test_writing_what_an_endpoint_serves_is_only_for_the_release_role",
    _WORKFLOW + "test_no_role_but_the_release_role_writes_a_serving_artifact_or_approves",
    _WORKFLOW + "test_release_role_is_assumed_only_with_mfa",
    _PEOPLE + "test_no_person_writes_what_an_endpoint_serves_or_approves_a_package",
)
_DNS = (
    "tests/test_dns.py::test_aws_names_and_the_allowed_ones_resolve_and_everything_else_is_nxdomain",
    "tests/test_dns.py::test_every_query_is_logged_to_an_encrypted_retained_log_group",
    "tests/test_dns.py::test_blocked_queries_of_this_vpc_alarm_the_topic_on_alarm_and_ok",
    "tests/test_baseline.py::test_the_vpc_resolves_only_aws_names_and_blocked_queries_reach_the_alert_topic",
)
_NO_INTERNET = (
    "tests/test_network.py::test_no_internet_gateway_nat_or_default_route",
    "tests/test_baseline.py::test_no_route_to_the_internet",
)

ASSESSMENTS: tuple[Assessment, ...] = (
    Assessment(
        "T1",
        ("P1", "P17"),
        (
            M(
                "`SecureEndpoint` captures requests only at `dataCaptureSamplingPercentage` (at 0 it captures nothing) and "
                "encrypts what it captures with a customer-managed key (in the baseline, the data bucket's key).",
                (
                    "tests/test_inference.py::test_data_capture_to_an_encrypted_bucket",
                    "tests/test_baseline.py::test_sagemaker_storage_uses_the_baselines_keys",
                ),
            ),
            M(
                "`ProtectedInferenceApi` redacts the `authorization` header from WAF logs and logs no request bodies "
                "(data trace off).",
                (
                    _EDGE + "test_waf_logs_to_an_encrypted_group_with_credentials_redacted",
                    _EDGE + "test_stage_logs_traces_and_throttles",
                ),
            ),
            M(
                "`AuditTrail` records who wrote which object to the data and models buckets (write data events), and "
                "with `rawDataReadEvents` who read which object of `raw/`.",
                (
                    _AUDIT + "test_data_event_selectors",
                    "tests/test_opt_ins.py::test_the_trail_also_records_reads_of_raw_data",
                ),
            ),
        ),
        "Consent, lawful basis, data-protection impact assessments and records of processing are "
        "organisational duties no infrastructure can meet. Erasure requests need explicit work: the "
        "buckets are versioned and retained, so delete every version of an object (noncurrent "
        "versions otherwise expire after 90 days) and the captured requests that contain it.",
    ),
    Assessment(
        "T2",
        ("P6", "P12", "P13", "P19"),
        (
            M(
                "`ExecutionRole` lets each role write only under the prefixes it is given, and never delete; with "
                "`dataScientists`, `PersonalWorkspace` confines each person and their jobs to their own "
                "`work/<name>/` and `candidates/<name>/`.",
                (
                    "tests/test_identity.py::test_object_access_is_scoped_to_named_prefixes",
                    _PEOPLE + "test_a_person_and_their_jobs_write_only_their_own_home",
                ),
            ),
            M(
                "`SecureBucket` versions every object, so a poisoned upload can be rolled back.",
                (_STORAGE + "test_every_bucket_is_versioned_private_owner_enforced_and_retained",),
            ),
            M(
                "`AuditTrail` records every write to the data buckets; `ThreatDetection` watches S3 access for "
                "anomalies (GuardDuty S3 Protection).",
                (_AUDIT + "test_data_event_selectors", _AUDIT + "test_detector_has_s3_protection_and_the_frequency"),
            ),
        ),
        "Telling a poisoned record from a good one: validate content at ingestion (schema, ranges, "
        "statistical checks, label review) and keep provenance of every source. Whoever may write `raw/` "
        "(your ingestion, not the baseline's roles) writes what everyone trains on. Malware Protection "
        "for S3 (`ThreatDetection(malware_scan_buckets=...)`) is off by default.",
    ),
    Assessment(
        "T3",
        ("P1", "P2", "P6", "P8", "P9", "P12", "P13"),
        (
            M(
                "`SecureBucket`: SSE-KMS with a customer key; uploads with another encryption, another key or a "
                "customer-provided key (SSE-C) denied; TLS 1.2 only; all public access blocked, ACLs disabled.",
                (
                    _STORAGE + "test_secure_bucket_is_sse_kms_with_bucket_key",
                    _STORAGE + "test_encryption_denies_hold_for_the_headers_of_an_upload",
                    _TLS,
                    _STORAGE + "test_every_bucket_is_versioned_private_owner_enforced_and_retained",
                ),
            ),
            M(
                "`SecureSageMakerBaseline`: the data and models buckets serve object data only through the VPC's S3 "
                "endpoint (and to AWS services, the release role and break-glass roles), so credentials copied out of "
                "Studio do not read them from elsewhere.",
                (
                    "tests/test_data_perimeter.py::"
                    "test_a_read_through_the_vpc_endpoint_is_allowed_the_same_read_from_outside_is_denied",
                    "tests/test_data_perimeter.py::test_jobs_and_endpoints_write_through_the_vpc_endpoint_only",
                    "tests/test_data_perimeter.py::test_the_release_role_alone_reaches_the_models_bucket_from_outside",
                ),
            ),
            M(
                "`PrivateNetwork`: no route to the internet; endpoint policies admit only this account's principals "
                "and buckets.",
                (
                    *_NO_INTERNET,
                    "tests/test_network.py::test_interface_endpoint_policies",
                    "tests/test_network.py::test_s3_gateway_endpoint_on_isolated_route_tables_with_perimeter_policy",
                ),
            ),
            M(
                "`DnsFirewall`: names outside AWS's domains get NXDOMAIN, so data cannot be tunnelled out through DNS "
                "queries; every query is logged and blocked ones raise an alarm.",
                _DNS,
            ),
            M(
                "`KeyRing`: each key usable only through the AWS services that need it, from this account.",
                ("tests/test_encryption.py::test_use_only_through_services_of_this_account",),
            ),
            M(
                "`PersonalWorkspace` (with `dataScientists`): a person reads and writes only their own `work/` and "
                "`candidates/` folders, not their colleagues'.",
                (_PEOPLE + "test_a_person_and_their_jobs_write_only_their_own_home",),
            ),
            M(
                "`AuditTrail` and `ThreatDetection`: write data events (reads of `raw/` with `rawDataReadEvents`), "
                "S3 Protection, alarms on bucket-policy, key-policy and grant changes.",
                (
                    _AUDIT + "test_data_event_selectors",
                    "tests/test_opt_ins.py::test_the_trail_also_records_reads_of_raw_data",
                    _AUDIT + "test_detector_has_s3_protection_and_the_frequency",
                    *_WATCHES,
                ),
            ),
        ),
        "Theft through legitimate paths by someone with access (see C7): everyone who may use Studio reads all "
        "of `raw/`. By default the trail records writes only: set `rawDataReadEvents` to record reads of `raw/` "
        "(at extra cost); reads of `work/` and the models bucket stay unrecorded. Stolen credentials can still "
        "reach the data through an AWS service acting on their behalf (`aws:ViaAWSService`, such as Athena) if "
        "the role may call it, and whoever may assume the release or break-glass roles reaches the objects from "
        "anywhere (docs/data-perimeter.md). With `packageMirror`, CodeArtifact fetches from PyPI the packages "
        "people name, so a package name asked for through the mirror leaves the account.",
    ),
    Assessment(
        "T4",
        ("P1", "P3", "P4"),
        (
            M(
                "`SecureBucket`, `SecureStudioDomain`, `SecureNotebookInstance` and `SecureEndpoint` encrypt every "
                "store with a rotating customer-managed key from `KeyRing`.",
                (
                    "tests/test_baseline.py::test_sagemaker_storage_uses_the_baselines_keys",
                    "tests/test_baseline.py::test_data_buckets_are_sse_kms_with_a_rotating_customer_key_and_logged",
                    "tests/test_baseline.py::test_every_key_rotates_and_is_retained",
                ),
            ),
            M(
                "`SecureSageMakerBaseline` retains keys, buckets and log groups under pinned logical ids, so no "
                "update replaces them.",
                ("tests/test_baseline.py::test_stateful_resources_are_retained_under_stable_logical_ids",),
            ),
        ),
        "Data sets copied to stores outside the baseline (databases, laptops, other accounts). The "
        "pack's `*Kms` rules flag unencrypted stores in any template you run it on.",
    ),
    Assessment(
        "T5",
        ("P6", "P12", "P16", "P19"),
        (
            M(
                "`ExecutionRole`: writes only under named prefixes, no deletes; `Guardrails`: jobs only with approved "
                "keys and networks.",
                ("tests/test_identity.py::test_object_access_is_scoped_to_named_prefixes", *_JOB_DENIES),
            ),
            M(
                "`SecureBucket` versioning; `AuditTrail` with log-file validation, write data events, and its log "
                "files under S3 Object Lock (GOVERNANCE for a year by default).",
                (
                    _STORAGE + "test_every_bucket_is_versioned_private_owner_enforced_and_retained",
                    _AUDIT + "test_trail_flags",
                    _AUDIT + "test_log_files_are_locked_in_governance_mode_for_a_year_by_default",
                ),
            ),
            M(
                "`Guardrails`: no governed role changes bucket policies, versioning or Object Lock settings, trails "
                "or keys (only the admin roles may).",
                (_GUARDRAILS + "test_controls_are_protected_from_everyone_but_the_admins",),
            ),
            M(
                "`ComplianceRules` re-check the bucket and role settings on every change.",
                (_AUDIT + "test_config_rules_are_the_default_managed_rules",),
            ),
        ),
        "Insiders with legitimate write access. Versioning lets you recover, but the data and models "
        "buckets have no Object Lock: an administrator (or an admin role of `guardrailAdminRoleArns`) "
        "can still delete versions. Use Object Lock or MFA delete on them where your policy requires "
        "immutability, and separate who prepares data from who approves it. The trail's lock is "
        "GOVERNANCE by default: principals with `s3:BypassGovernanceRetention` (administrators with "
        "`s3:*`) can still delete log files; choose COMPLIANCE (`trailObjectLockMode`) to bind them too.",
    ),
    Assessment(
        "T6",
        ("P1", "P11"),
        (
            M(
                "`SecureEndpoint` data capture and every log group are encrypted with customer keys.",
                (
                    "tests/test_inference.py::test_data_capture_to_an_encrypted_bucket",
                    "tests/test_baseline.py::test_every_log_group_is_encrypted_with_retention_and_retained",
                ),
            ),
            M(
                "`ProtectedInferenceApi` redacts credentials from WAF logs, logs no request bodies, and returns "
                "errors without internal detail.",
                (
                    _EDGE + "test_waf_logs_to_an_encrypted_group_with_credentials_redacted",
                    _EDGE + "test_stage_logs_traces_and_throttles",
                    _EDGE + "test_errors_leak_no_internal_detail",
                ),
            ),
        ),
        "Sanitisation and anonymisation are data work the library does not do: detect personal data "
        "(Amazon Macie, Amazon Comprehend), pseudonymise before training, and set the capture "
        "sampling so that captured requests do not become a new store of personal data.",
    ),
    Assessment(
        "T7",
        ("P6", "P18", "P19"),
        (
            M(
                "Separation of duties: `DataScientistPermissions` lets data scientists register candidates only "
                "(packages pending manual approval in the `ModelRegistry`, artifacts under `candidates/`); only the "
                "`ReleaseRole`, assumed with MFA, approves packages and writes `models/`, what endpoints serve. No "
                "data-scientist, training or inference role can write a serving artifact or approve a package.",
                _SEPARATION_OF_DUTIES,
            ),
            M(
                "`SecureModel` accepts images only from named ECR repositories; the baseline's repository has "
                "immutable tags, scans on push and is encrypted with the models key.",
                (
                    "tests/test_inference.py::test_model_image_and_data_come_from_what_the_caller_named",
                    "tests/test_baseline.py::test_model_images_are_immutable_scanned_and_on_the_models_key",
                ),
            ),
            M(
                "`SecureBucket` versioning keeps every training set recoverable and `AuditTrail` says who changed it.",
                (
                    _STORAGE + "test_every_bucket_is_versioned_private_owner_enforced_and_retained",
                    _AUDIT + "test_data_event_selectors",
                ),
            ),
        ),
        "Bias and crafted training data are model-quality problems: evaluate data and models "
        "(SageMaker Clarify, hold-out sets from trusted sources) and review training code before "
        "release; the release role's MFA proves who approved, not that the review happened. Its trust is "
        "the account: grant `sts:AssumeRole` on it only to the people who release models. Scan findings on "
        "images are reported, not blocking. With `packageMirror`, PyPI packages arrive unvetted: pin and "
        "review the dependencies of training code.",
    ),
    Assessment(
        "T8",
        ("P6", "P10", "P14"),
        (
            M(
                "`ProtectedInferenceApi`: authorization on every method and a per-IP rate limit, which slow the "
                "repeated queries that extract memorised records.",
                (_EDGE + "test_every_method_requires_authorization", _EDGE + "test_rate_based_rule_per_client_ip"),
            ),
            M(
                "`SecureEndpoint` volumes encrypted with the models key; data capture keeps the queries for review.",
                (
                    "tests/test_inference.py::test_endpoint_config_encrypts_volumes_with_the_models_key",
                    "tests/test_inference.py::test_data_capture_to_an_encrypted_bucket",
                ),
            ),
        ),
        "Memorisation is a property of training: deduplicate and minimise training data, consider "
        "differential privacy, and test models for membership inference before release.",
    ),
    Assessment(
        "T9",
        ("P6", "P7", "P8", "P9", "P13"),
        (
            M(
                "`PrivateNetwork`: no route to the internet and a workload security group that reaches only the VPC "
                "endpoints, so a hijacked instance cannot reach a mining pool or a command server; `DnsFirewall` "
                "answers no name outside AWS's domains, so it cannot reach one through DNS either.",
                (
                    *_NO_INTERNET,
                    "tests/test_network.py::test_workload_security_group_talks_only_to_endpoints_and_itself",
                    *_DNS[:1],
                ),
            ),
            M(
                "`SecureNotebookInstance` without root; `SecureStudioDomain` without Docker and with idle shutdown; "
                "`SecureModel` network-isolated.",
                (
                    "tests/test_studio.py::test_notebook_is_off_the_internet_without_root_encrypted_and_imdsv2_only",
                    "tests/test_studio.py::test_domain_restricts_docker_and_records_the_user_by_default",
                    "tests/test_studio.py::test_idle_shutdown_and_space_storage_limits",
                    "tests/test_inference.py::test_model_is_network_isolated_in_the_private_subnets",
                ),
            ),
            M(
                "`Guardrails`, attached to every execution role the baseline creates (each person's two roles "
                "included), to the release role and to the roles of `guardrailRoleArns`: no job outside the approved "
                "network and keys; `iam:PassRole` only for the execution roles and only to SageMaker.",
                (
                    *_GUARDRAILS_ATTACHED,
                    *_JOB_DENIES,
                    "tests/test_identity.py::test_pass_role_only_for_execution_roles_and_only_to_sagemaker",
                ),
            ),
            M(
                "`Guardrails`: no lifecycle-config changes (they run as root) and no unapproved Studio lifecycle "
                "config; no changes to the guardrails, execution roles, trails, GuardDuty, Config, keys, bucket "
                "policies, routes, VPC endpoints or DNS firewall except by the admin roles; "
                "`GuardrailsServiceControlPolicy` makes the same denies bind account admins.",
                (
                    _GUARDRAILS + "test_only_admins_change_lifecycle_configs",
                    _GUARDRAILS + "test_without_approved_configs_no_lifecycle_config_is_attached",
                    _GUARDRAILS + "test_controls_are_protected_from_everyone_but_the_admins",
                    _GUARDRAILS + "test_guardrail_policies_and_execution_roles_are_protected",
                    _GUARDRAILS + "test_scp_denies_the_same_within_organizations_limits",
                ),
            ),
            M(
                "`PersonalWorkspace` (with `dataScientists`): a person passes only their own training role, so a job "
                "they start is confined to their own folders.",
                (
                    _PEOPLE + "test_a_person_passes_only_their_own_training_role",
                    _PEOPLE + "test_a_person_and_their_jobs_write_only_their_own_home",
                ),
            ),
            M(
                "`ThreatDetection`: GuardDuty findings on the account's API calls, DNS and network activity, "
                "forwarded to the alert topic; `AuditTrail` alarms on IAM, network, SageMaker access-path "
                "(lifecycle configs, user profiles, spaces) and monitoring changes.",
                (_AUDIT + "test_findings_rule_forwards_findings_at_or_above_the_severity", *_WATCHES),
            ),
        ),
        "Abuse with approved settings: `Guardrails` limit instance types only when you set "
        "`allowed_instance_types` (the baseline sets none and has no context key for it), and never counts. "
        "Set SageMaker service quotas and AWS Budgets alerts to cap what a compromised role can start. "
        "Roles you do not name in `guardrailRoleArns` are not governed unless you deploy the SCP, and the "
        "admin roles are exempt from the self-protection denies.",
    ),
    Assessment(
        "T10",
        ("P10", "P14", "P15"),
        (
            M(
                "`ProtectedInferenceApi`: IAM or Cognito on every method, a WAF per-IP rate limit, stage throttling, "
                "optional usage plans with per-key quotas, access logs.",
                (
                    _EDGE + "test_every_method_requires_authorization",
                    _EDGE + "test_rate_based_rule_per_client_ip",
                    _EDGE + "test_stage_logs_traces_and_throttles",
                    _EDGE + "test_usage_plans_and_api_keys",
                ),
            ),
            M(
                "`Guardrails` deny `sagemaker:InvokeEndpoint*` on the baseline's endpoint to every role they govern "
                "except the API's integration role, so those limits cannot be bypassed through the SageMaker runtime; "
                "`GuardrailsServiceControlPolicy` denies the same to every principal of the target accounts.",
                _INVOKE_ONLY_THROUGH_API,
            ),
            M(
                "`SecureEndpoint`: an anomaly-detection alarm on invocations and capture of requests and responses.",
                (
                    "tests/test_inference.py::"
                    "test_invocation_anomaly_alarm_is_an_anomaly_detection_band_above_the_upper_bound",
                    "tests/test_inference.py::test_data_capture_to_an_encrypted_bucket",
                ),
            ),
        ),
        "Extraction spread over many IPs or credentials stays under per-IP limits: set per-client "
        "quotas (`api_key_required`, `quota_per_day`), return labels rather than scores where you "
        "can, and review captured traffic. Without the SCP, a principal the guardrails do not govern "
        "(an account administrator, a role outside `guardrailRoleArns`) can still call the runtime "
        "directly; endpoints you add yourself must be listed in `protected_endpoints`.",
    ),
    Assessment(
        "T11",
        ("P14", "P15", "P8"),
        (
            M(
                "`ProtectedInferenceApi`: JSON body validation against a schema, a body-size limit, AWS managed rule "
                "groups, an alarm on blocked requests.",
                (
                    _EDGE + "test_requests_are_validated_against_a_body_model",
                    _EDGE + "test_a_body_over_the_limit_is_blocked_by_waf",
                    _EDGE + "test_web_acl_rule_list_and_priorities",
                    _EDGE + "test_alarms_notify_the_alert_topic",
                ),
            ),
            M(
                "`SecureEndpoint`: an alarm on 4XX errors and capture of inputs; `SecureModel`: a network-isolated "
                "container limits what a successful exploit reaches.",
                (
                    "tests/test_inference.py::test_alarms_watch_each_variant_and_notify_the_topic",
                    "tests/test_inference.py::test_model_is_network_isolated_in_the_private_subnets",
                ),
            ),
        ),
        "Robustness of the model itself: supply a strict `request_schema` (the default only requires "
        "a non-empty JSON object), test with adversarial examples and monitor prediction drift.",
    ),
    Assessment(
        "T12",
        ("P10", "P14", "P11", "P19"),
        (
            M(
                "`ProtectedInferenceApi`: authorization, WAF (managed rules, rate limit, body size), throttling, "
                "errors without internal detail, alarms.",
                (
                    _EDGE + "test_every_method_requires_authorization",
                    _EDGE + "test_web_acl_rule_list_and_priorities",
                    _EDGE + "test_stage_logs_traces_and_throttles",
                    _EDGE + "test_errors_leak_no_internal_detail",
                    _EDGE + "test_alarms_notify_the_alert_topic",
                ),
            ),
            M(
                "`Guardrails` (and `GuardrailsServiceControlPolicy`): only the API's integration role invokes the "
                "baseline's endpoint, so the API is the one way in for the roles they govern.",
                (
                    *_INVOKE_ONLY_THROUGH_API,
                    "tests/test_baseline.py::test_the_endpoint_is_reachable_only_through_the_waf_protected_api",
                ),
            ),
            M(
                "`SecureEndpoint`: two instances by default, which SageMaker spreads over availability zones; alarms "
                "on errors and latency.",
                (
                    "tests/test_inference.py::test_instance_counts",
                    "tests/test_baseline.py::test_the_endpoint_serves_from_at_least_two_instances_with_alarms_to_the_alert_topic",
                ),
            ),
        ),
        "Auto scaling is opt-in (`SecureEndpoint(max_instance_count=..., target_invocations_per_instance=...)`) "
        "and the baseline's demo endpoint runs a fixed two instances; choose a maximum you can pay "
        "for. Volumetric DDoS beyond WAF needs AWS Shield Advanced; tune the rate limit and "
        "throttling to your traffic. Principals the guardrails do not govern still reach the runtime "
        "unless you deploy the SCP.",
    ),
    Assessment(
        "C1",
        ("P4", "P6", "P8"),
        (
            M(
                "`ExecutionRole` and `KeyRing` trust only this account and region (`aws:SourceAccount`, "
                "`aws:SourceArn`, `kms:ViaService`).",
                (
                    "tests/test_identity.py::test_trust_admits_sagemaker_of_this_account_and_region_only",
                    "tests/test_encryption.py::test_use_only_through_services_of_this_account",
                ),
            ),
            M(
                "`PrivateNetwork` endpoint policies admit only this account's principals and buckets; `SecureModel` "
                "isolates the container.",
                (
                    "tests/test_network.py::test_interface_endpoint_policies",
                    "tests/test_inference.py::test_model_is_network_isolated_in_the_private_subnets",
                ),
            ),
            M(
                "`PersonalWorkspace` (with `dataScientists`): within one team, each person's roles write only their own "
                "folders, and no two people share a profile, a role or a private space.",
                (
                    _PEOPLE + "test_a_person_and_their_jobs_write_only_their_own_home",
                    _PEOPLE + "test_a_person_cannot_use_another_persons_space",
                    _PEOPLE + "test_two_people_share_no_physical_name",
                ),
            ),
        ),
        "Isolation between AWS customers is the provider's. Isolation between your own teams is "
        "not: give each team its own account, or at least its own baseline (stack), whose roles, keys "
        "and buckets are its own; within one baseline everyone reads the same `raw/`.",
    ),
    Assessment(
        "C2",
        ("P7", "P8", "P9", "P10", "P14"),
        (
            M(
                "`SecureStudioDomain` (VpcOnly) and `SecureNotebookInstance` (no direct internet access) send all "
                "their traffic through the VPC, which has no path to the internet.",
                (
                    "tests/test_studio.py::test_domain_is_vpc_only_with_iam_auth_in_the_isolated_subnets",
                    "tests/test_studio.py::test_notebook_is_off_the_internet_without_root_encrypted_and_imdsv2_only",
                    *_NO_INTERNET,
                ),
            ),
            M(
                "`ProtectedInferenceApi` is the only public entry, authorized and behind WAF; `internal_only` makes "
                "it private.",
                (
                    "tests/test_baseline.py::test_the_endpoint_is_reachable_only_through_the_waf_protected_api",
                    _EDGE + "test_internal_api_admits_only_its_vpc_endpoint",
                ),
            ),
            M(
                "`Guardrails`: a presigned Studio or notebook URL only for a profile or instance whose `owner` tag is "
                "the caller's own, and nobody governed rewrites that tag.",
                (
                    _GUARDRAILS + "test_presigned_urls_only_for_ones_own_profile_or_instance",
                    _GUARDRAILS + "test_the_owner_tag_cannot_be_rewritten",
                    _PEOPLE + "test_a_person_opens_only_their_own_profile",
                ),
            ),
        ),
        "The console and the presigned URLs that open Studio and notebooks are reachable from anywhere "
        "to their owner: restrict them with `aws:SourceIp` or `aws:SourceVpce` conditions in your "
        "people's policies if you need to. The owner check needs an `owner` tag on each person's "
        "sign-in role or session (a session tag from your identity provider); only refused presigned "
        "URLs raise an alarm, since every sign-in creates one.",
    ),
    Assessment(
        "C3",
        ("P4", "P12", "P16"),
        (
            M(
                "`KeyRing`: customer-managed keys whose policies you control and can revoke.",
                (
                    "tests/test_encryption.py::test_no_key_policy_grants_kms_star_or_any_principal",
                    "tests/test_encryption.py::test_every_key_is_retained_with_its_pending_window",
                ),
            ),
            M(
                "`AuditTrail`: log-file validation, so tampering with the trail is detectable, and Object Lock, so "
                "its files are not overwritten or deleted early (in GOVERNANCE mode, except by principals with "
                "`s3:BypassGovernanceRetention`); `ComplianceRules` re-check the configuration independently of "
                "this stack.",
                (
                    _AUDIT + "test_trail_flags",
                    _AUDIT + "test_log_files_are_locked_in_governance_mode_for_a_year_by_default",
                    _AUDIT + "test_config_rules_are_the_default_managed_rules",
                ),
            ),
        ),
        "Trust in AWS itself: read AWS Artifact reports for your frameworks. KMS keys are not "
        "external key stores; use XKS or CloudHSM if your policy forbids keys held by the provider.",
    ),
    Assessment(
        "C4",
        ("P2", "P9", "P10"),
        (
            M(
                "`SecureBucket` and `AlertTopic` refuse requests without TLS (buckets: TLS 1.2+); a custom API domain "
                "uses the TLS 1.2 policy; jobs require inter-container encryption (`Guardrails`).",
                (
                    _TLS,
                    _AUDIT + "test_topic_policy_requires_tls_and_admits_only_the_publishing_services",
                    _EDGE + "test_custom_domain_uses_tls_1_2_and_replaces_the_default_endpoint",
                    *_JOB_DENIES,
                ),
            ),
            M(
                "`PrivateNetwork` keeps traffic to AWS APIs on interface endpoints inside the VPC, HTTPS only.",
                (
                    "tests/test_network.py::test_default_interface_endpoints_are_the_sagemaker_list_with_private_dns",
                    "tests/test_network.py::test_endpoint_security_group_admits_only_https_from_the_vpc_cidr",
                ),
            ),
        ),
        "The path from your premises: the library creates no VPN or Direct Connect. Use one (with "
        "MACsec or IPsec) and make clients use TLS 1.2 or later.",
    ),
    Assessment(
        "C5",
        ("P17", "P16", "P11"),
        (
            M(
                "`SecureSageMakerBaseline` passes the AwsSolutions, HIPAA Security, NIST 800-53 R5 and PCI DSS 3.2.1 "
                "packs, with each acknowledged finding listed with its reason in docs/acknowledgments.md, and "
                "leaves checkov no unexplained finding (docs/checkov.md).",
                (
                    "tests/test_baseline.py::test_the_baseline_has_no_unacknowledged_finding",
                    "tests/test_baseline.py::test_every_acknowledgment_has_a_reason",
                    "tests/test_docs.py::test_acknowledgments_doc_lists_every_acknowledgment_of_the_baseline",
                    "tests/test_checkov.py::test_the_docs_list_exactly_the_skips_of_the_baseline",
                ),
            ),
            M(
                "Log groups keep a year by default (`logRetentionDays`); `ComplianceRules` report drift.",
                (
                    "tests/test_baseline.py::test_every_log_group_is_encrypted_with_retention_and_retained",
                    _AUDIT + "test_config_rules_are_the_default_managed_rules",
                ),
            ),
        ),
        "Where data may live and which law applies: the stack is region-agnostic, so choose the "
        "region, deny others with an SCP, sign the AWS BAA before HIPAA data, and agree data "
        "processing terms.",
    ),
    Assessment(
        "C6",
        ("P14", "P19", "P16"),
        (
            M(
                "`Guardrails` apply to every job, model and endpoint config created through the API by a role they "
                "govern, however it is automated, and every role of the baseline that may create SageMaker resources "
                "carries them.",
                (
                    *_JOB_DENIES,
                    _GUARDRAILS + "test_every_role_that_may_create_sagemaker_resources_carries_a_guardrail_deny",
                ),
            ),
            M(
                "`ProtectedInferenceApi` throttles and rate-limits however many instances serve; `ComplianceRules` "
                "evaluate every change.",
                (
                    _EDGE + "test_stage_logs_traces_and_throttles",
                    _EDGE + "test_rate_based_rule_per_client_ip",
                    _AUDIT + "test_config_rules_are_the_default_managed_rules",
                ),
            ),
            M(
                "`SecureEndpoint` scales only between two bounds and never without a maximum; its invocation anomaly "
                "alarm fires while it scales.",
                (
                    "tests/test_inference.py::"
                    "test_scaling_is_bounded_tracks_invocations_and_uses_the_service_linked_role",
                    "tests/test_inference.py::"
                    "test_invocation_anomaly_alarm_is_an_anomaly_detection_band_above_the_upper_bound",
                ),
            ),
        ),
        "Pipelines and scaling you add outside these constructs must use roles that carry "
        "`Guardrails`; set service quotas so automation cannot scale past what you can pay for or watch.",
    ),
    Assessment(
        "C7",
        ("P5", "P6", "P12", "P13", "P16"),
        (
            M(
                "`ExecutionRole`: no wildcard actions, prefix-scoped data; `KeyRing`: administrators cannot use keys.",
                (
                    "tests/test_identity.py::test_no_wildcard_action_anywhere",
                    "tests/test_identity.py::test_object_access_is_scoped_to_named_prefixes",
                    "tests/test_encryption.py::test_administration_has_no_cryptographic_actions",
                ),
            ),
            M(
                "`PersonalWorkspace` (one per `dataScientists` entry): each person their own profile, Studio and "
                "training roles writing only their own prefixes, presigned URLs only for their own profile; "
                "`Guardrails` keep spaces private unless `allow_shared_spaces=True`.",
                (
                    _PEOPLE + "test_a_person_and_their_jobs_write_only_their_own_home",
                    _PEOPLE + "test_a_person_passes_only_their_own_training_role",
                    _PEOPLE + "test_a_person_opens_only_their_own_profile",
                    _PEOPLE + "test_a_shared_space_needs_the_opt_in",
                    _PEOPLE + "test_allow_shared_spaces_is_what_opens_shared_spaces",
                ),
            ),
            M(
                "Separation of duties: only the `ReleaseRole`, assumed with MFA, approves models and writes what "
                "endpoints serve.",
                _SEPARATION_OF_DUTIES,
            ),
            M(
                "`Guardrails`: the people they govern cannot change the guardrails, the execution roles, the trails, "
                "GuardDuty, Config, keys, bucket policies or the network; `GuardrailsServiceControlPolicy` binds "
                "account admins too.",
                (
                    _GUARDRAILS + "test_controls_are_protected_from_everyone_but_the_admins",
                    _GUARDRAILS + "test_guardrail_policies_and_execution_roles_are_protected",
                    _GUARDRAILS + "test_scp_denies_the_same_within_organizations_limits",
                ),
            ),
            M(
                "`SecureStudioDomain` records the user as `sts:SourceIdentity` (with `dataScientists`, each person "
                "also runs as a role of their own); `AuditTrail` validates logs and alarms on IAM, key, policy and "
                "monitoring changes; `ThreatDetection` flags unusual behaviour.",
                (
                    "tests/test_studio.py::test_domain_restricts_docker_and_records_the_user_by_default",
                    _PEOPLE + "test_the_trail_tells_people_apart",
                    _AUDIT + "test_trail_flags",
                    *_WATCHES,
                    _AUDIT + "test_findings_rule_forwards_findings_at_or_above_the_severity",
                ),
            ),
        ),
        "Without `dataScientists` one role serves the whole team. With it, everyone still reads all of "
        "`raw/`, the job log groups and the model package group, and the domain's default execution "
        "role (`studio_role`) reads `raw/` and writes the `_shared` folders of `work/` and `candidates/` "
        "(no person's home): it serves the notebook instance and shared spaces (turn `notebook` off if "
        "nobody should work there). Vetting of "
        "people, access reviews and a break-glass procedure are yours; the admin roles of "
        "`guardrailAdminRoleArns` are exempt from the self-protection denies, and whoever may assume "
        "the release or break-glass roles acts as them. The trail tells you who did it; it does not "
        "stop an administrator.",
    ),
)
