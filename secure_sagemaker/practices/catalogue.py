"""The threats, cloud risks and practices the library answers, with their stable ids.

Condensed from the source article on securing machine-learning pipelines in Amazon SageMaker
(the team's ``PRACTICES.md``). Docs, rules (:attr:`Rule.practices`, :attr:`Rule.threats`) and
tests refer to these ids; changing one is a change of the public contract.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The pipeline stages threats belong to, in pipeline order, then the cloud-specific risks.
STAGES = ("data collection", "data processing", "training", "deployment")
CLOUD = "cloud environment"


@dataclass(frozen=True)
class Entry:
    """One threat (``T*``), cloud risk (``C*``) or practice (``P*``)."""

    id: str
    title: str
    stage: str = ""


THREATS = (
    Entry(
        "T1",
        "privacy violations: data collected without consent or against regulations such as GDPR",
        "data collection",
    ),
    Entry("T2", "data poisoning: misleading records inserted to skew the model", "data collection"),
    Entry("T3", "data theft: unauthorized access to collected data", "data collection"),
    Entry("T4", "insecure storage of data sets", "data processing"),
    Entry("T5", "data manipulation by outsiders or insiders that corrupts training", "data processing"),
    Entry("T6", "insufficient sanitization or anonymization that leaks sensitive information", "data processing"),
    Entry("T7", "model poisoning through biased or crafted training data", "training"),
    Entry("T8", "a model that memorizes and reproduces sensitive data", "training"),
    Entry("T9", "resource hijacking: training infrastructure used for other ends, e.g. crypto mining", "training"),
    Entry("T10", "model stealing through repeated queries (model extraction)", "deployment"),
    Entry("T11", "adversarial inputs that make the model err or reveal information", "deployment"),
    Entry("T12", "API exploits: denial of service, unauthorized access to the inference API", "deployment"),
)

RISKS = (
    Entry("C1", "multi-tenancy: leakage across tenants if isolation is weak", CLOUD),
    Entry("C2", "a larger attack surface through remotely reachable APIs and consoles", CLOUD),
    Entry("C3", "dependence on the provider's own security", CLOUD),
    Entry("C4", "data in transit between on-premises systems and the cloud can be intercepted", CLOUD),
    Entry("C5", "compliance and legal duties (GDPR, HIPAA) across regions with different rules", CLOUD),
    Entry("C6", "automated scaling that bypasses or overwhelms security checks", CLOUD),
    Entry("C7", "insider threats made easier by broad access", CLOUD),
)

PRACTICES = (
    Entry("P1", "encrypt data at rest with keys managed in AWS KMS: S3 and every store SageMaker uses"),
    Entry("P2", "encrypt data in transit with TLS between your services and SageMaker"),
    Entry("P3", "rotate encryption keys regularly"),
    Entry("P4", "use customer-managed keys for greater control"),
    Entry("P5", "least-privilege access to key management"),
    Entry("P6", "IAM roles and policies with fine-grained, least-privilege access to ML resources"),
    Entry("P7", "security groups and network ACLs regulate traffic to and from SageMaker resources"),
    Entry("P8", "run training jobs and deploy models in an isolated network (a VPC)"),
    Entry("P9", "reach other AWS services through VPC endpoints"),
    Entry("P10", "inference through secure HTTPS endpoints"),
    Entry("P11", "continuous monitoring of SageMaker's metrics and logs in CloudWatch"),
    Entry("P12", "CloudTrail auditing of SageMaker API calls"),
    Entry("P13", "GuardDuty to detect unusual activity and threats"),
    Entry(
        "P14", "protect inference endpoints with AWS WAF and security groups against unauthorized access and attacks"
    ),
    Entry("P15", "anomaly detection over traffic and access logs"),
    Entry("P16", "periodic security audits of the controls in place"),
    Entry("P17", "keep deployments aligned with compliance requirements (ISO 27001/27017, SOC, GDPR, HIPAA)"),
    Entry("P18", "encrypt model artifacts at rest"),
    Entry("P19", "security at every stage of the lifecycle, from preprocessing to deployment"),
)

#: Every entry by id.
ENTRIES: dict[str, Entry] = {e.id: e for e in (*THREATS, *RISKS, *PRACTICES)}


def entry(entry_id: str) -> Entry:
    """The threat, risk or practice with ``entry_id``; a KeyError names the known ids."""
    try:
        return ENTRIES[entry_id]
    except KeyError:
        raise KeyError(f"{entry_id!r} is not a threat, risk or practice id (known: {', '.join(ENTRIES)})") from None
