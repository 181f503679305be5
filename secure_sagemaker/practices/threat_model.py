"""The threat model: for each threat and cloud risk, what the baseline deploys and what is left.

Each :class:`Assessment` names the practices that answer the threat, the mitigations the
baseline deploys (each naming the construct that deploys it), and the residual risk the user
owns. The rules that detect a missing mitigation come from the rule registry
(:attr:`Rule.threats`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assessment:
    """One threat or risk: answering practices, deployed mitigations, residual risk.

    :param threat: a ``T*`` or ``C*`` id.
    :param practices: the ``P*`` ids that answer it.
    :param mitigations: what the baseline deploys, each naming its construct in backticks.
    :param residual: what stays with the user, and what to do about it.
    """

    threat: str
    practices: tuple[str, ...]
    mitigations: tuple[str, ...]
    residual: str


ASSESSMENTS: tuple[Assessment, ...] = (
    Assessment(
        "T1",
        ("P1", "P17"),
        (
            "`SecureEndpoint` captures requests only at `dataCaptureSamplingPercentage` (0 turns capture off) and "
            "encrypts what it captures with the models key.",
            "`ProtectedInferenceApi` redacts the `authorization` header from WAF logs and logs no request bodies.",
            "`AuditTrail` records who wrote which object to the data and models buckets (write data events).",
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
            "`ExecutionRole` lets each role write only under the prefixes it is given, and never delete.",
            "`SecureBucket` versions every object, so a poisoned upload can be rolled back.",
            "`AuditTrail` records every write to the data buckets; `ThreatDetection` watches S3 access for anomalies.",
        ),
        "Telling a poisoned record from a good one: validate content at ingestion (schema, ranges, "
        "statistical checks, label review) and keep provenance of every source. Malware Protection "
        "for S3 (`ThreatDetection(malware_scan_buckets=...)`) is off by default.",
    ),
    Assessment(
        "T3",
        ("P1", "P2", "P6", "P8", "P9", "P12", "P13"),
        (
            "`SecureBucket`: SSE-KMS with a customer key, TLS 1.2 only, all public access blocked, ACLs disabled.",
            "`PrivateNetwork`: no route to the internet; endpoint policies admit only this account's principals "
            "and buckets.",
            "`KeyRing`: each key usable only through the AWS services that need it, from this account.",
            "`DnsFirewall`: names outside AWS's domains get NXDOMAIN, so data cannot be tunnelled out through DNS "
            "queries; every query is logged and blocked ones raise an alarm.",
            "`AuditTrail` and `ThreatDetection`: write data events, S3 Protection, alarms on policy changes.",
            "`SecureSageMakerBaseline`: the data and models buckets serve object data only through the VPC's S3 "
            "endpoint (and to AWS services, the release role and break-glass roles), so credentials copied out of "
            "Studio do not read them from elsewhere.",
        ),
        "Theft through legitimate paths by someone with access (see C7). The trail records writes "
        "only; pass `data_events=ReadWriteType.ALL` to `AuditTrail` to see reads, at extra cost. "
        "Stolen credentials can still reach the data through an AWS service acting on their behalf "
        "(`aws:ViaAWSService`, such as Athena) if the role may call it, and the release and break-glass "
        "roles are exempt (docs/data-perimeter.md).",
    ),
    Assessment(
        "T4",
        ("P1", "P3", "P4"),
        (
            "`SecureBucket`, `SecureStudioDomain`, `SecureNotebookInstance` and `SecureEndpoint` encrypt every "
            "store with a rotating customer-managed key from `KeyRing`.",
            "`SecureSageMakerBaseline` retains keys, buckets and log groups under pinned logical ids, so no "
            "update replaces them.",
        ),
        "Data sets copied to stores outside the baseline (databases, laptops, other accounts). The "
        "pack's `*Kms` rules flag unencrypted stores in any template you run it on.",
    ),
    Assessment(
        "T5",
        ("P6", "P12", "P16", "P19"),
        (
            "`ExecutionRole`: writes only under named prefixes, no deletes; `Guardrails`: jobs only with approved "
            "keys and networks.",
            "`SecureBucket` versioning; `AuditTrail` with log-file validation, write data events, and its log "
            "files under S3 Object Lock.",
            "`ComplianceRules` re-check the bucket and role settings on every change.",
        ),
        "Insiders with legitimate write access. Versioning lets you recover, but does not prevent "
        "deletion of versions by an administrator: use S3 Object Lock or MFA delete where your "
        "policy requires immutability, and separate who prepares data from who approves it.",
    ),
    Assessment(
        "T6",
        ("P1", "P11"),
        (
            "`SecureEndpoint` data capture and every log group are encrypted with customer keys; the API's error "
            "responses carry no internal detail.",
            "`ProtectedInferenceApi` redacts credentials from WAF logs.",
        ),
        "Sanitisation and anonymisation are data work the library does not do: detect personal data "
        "(Amazon Macie, Amazon Comprehend), pseudonymise before training, and set the capture "
        "sampling so that captured requests do not become a new store of personal data.",
    ),
    Assessment(
        "T7",
        ("P6", "P18", "P19"),
        (
            "`SecureModel` accepts images only from named ECR repositories; the baseline's repository has "
            "immutable tags and scans on push.",
            "`SecureBucket` versioning keeps every training set recoverable and `AuditTrail` says who changed it.",
        ),
        "Bias and crafted training data are model-quality problems: evaluate data and models "
        "(SageMaker Clarify, hold-out sets from trusted sources) and review training code before "
        "release. Scan findings on images are reported, not blocking.",
    ),
    Assessment(
        "T8",
        ("P6", "P10", "P14"),
        (
            "`ProtectedInferenceApi`: authorization on every method and a per-IP rate limit, which slow the "
            "repeated queries that extract memorised records.",
            "`SecureEndpoint` volumes encrypted with the models key; data capture keeps the queries for review.",
        ),
        "Memorisation is a property of training: deduplicate and minimise training data, consider "
        "differential privacy, and test models for membership inference before release.",
    ),
    Assessment(
        "T9",
        ("P6", "P7", "P8", "P9", "P13"),
        (
            "`PrivateNetwork`: no route to the internet and a workload security group that reaches only the VPC "
            "endpoints, so a hijacked instance cannot reach a mining pool or a command server; `DnsFirewall` "
            "answers no name outside AWS's domains, so it cannot reach one through DNS either.",
            "`SecureNotebookInstance` without root; `SecureStudioDomain` without Docker and with idle shutdown; "
            "`SecureModel` network-isolated.",
            "`Guardrails`, attached to every execution role the baseline creates and to the roles of "
            "`guardrailRoleArns`: no job outside the approved network and keys; `iam:PassRole` only for the "
            "execution roles; no lifecycle-config changes; no changes to the guardrails, trails, keys or DNS "
            "firewall except by the admin roles; `GuardrailsServiceControlPolicy` makes them bind account admins.",
            "`ThreatDetection`: GuardDuty findings on the account's API calls, DNS and network activity, "
            "forwarded to the alert topic; `AuditTrail` alarms on IAM and network changes.",
        ),
        "Abuse with approved settings: `Guardrails` limit instance types only when you set "
        "`allowed_instance_types`, and never counts. Set SageMaker service quotas and AWS Budgets alerts "
        "to cap what a compromised role can start.",
    ),
    Assessment(
        "T10",
        ("P10", "P14", "P15"),
        (
            "`ProtectedInferenceApi`: IAM or Cognito on every method, a WAF per-IP rate limit, stage throttling, "
            "optional usage plans with per-key quotas, access logs.",
            "`SecureEndpoint`: an anomaly-detection alarm on invocations and capture of requests and responses.",
        ),
        "Extraction spread over many IPs or credentials stays under per-IP limits: set per-client "
        "quotas (`api_key_required`, `quota_per_day`), return labels rather than scores where you "
        "can, and review captured traffic.",
    ),
    Assessment(
        "T11",
        ("P14", "P15", "P8"),
        (
            "`ProtectedInferenceApi`: JSON body validation against a schema, a body-size limit, AWS managed rule "
            "groups, an alarm on blocked requests.",
            "`SecureEndpoint`: an alarm on 4XX errors and capture of inputs; `SecureModel`: a network-isolated "
            "container limits what a successful exploit reaches.",
        ),
        "Robustness of the model itself: supply a strict `request_schema` (the default only requires "
        "a non-empty JSON object), test with adversarial examples and monitor prediction drift.",
    ),
    Assessment(
        "T12",
        ("P10", "P14", "P11", "P19"),
        (
            "`ProtectedInferenceApi`: authorization, WAF (managed rules, rate limit, body size), throttling, "
            "errors without internal detail, alarms.",
            "`SecureEndpoint`: two instances by default, which SageMaker spreads over availability zones; alarms "
            "on errors and latency.",
        ),
        "Auto scaling is opt-in (`SecureEndpoint(max_instance_count=..., target_invocations_per_instance=...)`) "
        "and the baseline's demo endpoint runs a fixed two instances; choose a maximum you can pay "
        "for. Volumetric DDoS beyond WAF needs AWS Shield Advanced; tune the rate limit and "
        "throttling to your traffic.",
    ),
    Assessment(
        "C1",
        ("P4", "P6", "P8"),
        (
            "`ExecutionRole` and `KeyRing` trust only this account and region (`aws:SourceAccount`, "
            "`aws:SourceArn`, `kms:ViaService`).",
            "`PrivateNetwork` endpoint policies admit only this account's principals and buckets; `SecureModel` "
            "isolates the container.",
        ),
        "Isolation between AWS customers is the provider's. Isolation between your own teams is "
        "not: put tenants in separate accounts, or give each team its own `ExecutionRole` scoped "
        "to its prefixes and keys.",
    ),
    Assessment(
        "C2",
        ("P7", "P8", "P9", "P10", "P14"),
        (
            "`SecureStudioDomain` (VpcOnly) and `SecureNotebookInstance` (no direct internet access) send all "
            "their traffic through the VPC, which has no path to the internet.",
            "`ProtectedInferenceApi` is the only public entry, authorized and behind WAF; `internal_only` makes "
            "it private.",
        ),
        "The console and the presigned URLs that open Studio and notebooks "
        "(`sagemaker:CreatePresignedDomainUrl`, `sagemaker:CreatePresignedNotebookInstanceUrl`) are "
        "reachable from anywhere to anyone with IAM access: restrict them with `aws:SourceIp` or "
        "`aws:SourceVpce` conditions in your people's policies.",
    ),
    Assessment(
        "C3",
        ("P4", "P12", "P16"),
        (
            "`KeyRing`: customer-managed keys whose policies you control and can revoke.",
            "`AuditTrail`: log-file validation, so tampering with the trail is detectable; `ComplianceRules` "
            "re-check the configuration independently of this stack.",
        ),
        "Trust in AWS itself: read AWS Artifact reports for your frameworks. KMS keys are not "
        "external key stores; use XKS or CloudHSM if your policy forbids keys held by the provider.",
    ),
    Assessment(
        "C4",
        ("P2", "P9", "P10"),
        (
            "`SecureBucket` and `AlertTopic` refuse requests without TLS (buckets: TLS 1.2+); the API is HTTPS "
            "only; jobs require inter-container encryption (`Guardrails`).",
            "`PrivateNetwork` keeps traffic to AWS APIs on interface endpoints inside the VPC.",
        ),
        "The path from your premises: the library creates no VPN or Direct Connect. Use one (with "
        "MACsec or IPsec) and make clients use TLS 1.2 or later.",
    ),
    Assessment(
        "C5",
        ("P17", "P16", "P11"),
        (
            "`SecureSageMakerBaseline` passes the HIPAA Security, NIST 800-53 R5 and PCI DSS 3.2.1 packs, with "
            "each acknowledged finding listed with its reason in docs/acknowledgments.md.",
            "Log groups keep a year by default (`logRetentionDays`); `ComplianceRules` report drift.",
        ),
        "Where data may live and which law applies: the stack is region-agnostic, so choose the "
        "region, deny others with an SCP, sign the AWS BAA before HIPAA data, and agree data "
        "processing terms.",
    ),
    Assessment(
        "C6",
        ("P14", "P19", "P16"),
        (
            "`Guardrails` apply to every job, model and endpoint config created through the API, however it is "
            "automated.",
            "`ProtectedInferenceApi` throttles and rate-limits however many instances serve; `ComplianceRules` "
            "evaluate every change.",
            "`SecureEndpoint` scales only between two bounds and never without a maximum; its invocation anomaly "
            "alarm fires while it scales.",
        ),
        "Pipelines and scaling you add outside these constructs must use roles that carry "
        "`Guardrails`; set service quotas so automation cannot scale past what you can pay for or watch.",
    ),
    Assessment(
        "C7",
        ("P5", "P6", "P12", "P13", "P16"),
        (
            "`ExecutionRole`: no wildcard actions, prefix-scoped data; `KeyRing`: administrators cannot use keys.",
            "`SecureStudioDomain` records the user as `sts:SourceIdentity`; `AuditTrail` validates logs and "
            "alarms on IAM, key and policy changes; `ThreatDetection` flags unusual behaviour.",
            "`PersonalWorkspace` (one per `dataScientists` entry): each person their own profile, Studio and "
            "training roles writing only their own prefixes, presigned URLs only for their own profile; "
            "`Guardrails` keep spaces private unless `allow_shared_spaces=True`.",
        ),
        "Without `dataScientists` one role serves the whole team. Everyone still reads all of `raw/`. "
        "Vetting of people, separation of duties, access reviews and a break-glass procedure. The "
        "trail tells you who did it; it does not stop an administrator.",
    ),
)
