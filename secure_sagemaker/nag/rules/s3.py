"""Rules for S3 buckets that hold ML data, and for their access-log buckets.

Which buckets hold ML data: in a SageMaker template any bucket may hold data sets, model
artifacts, captured inference data or reports, so every bucket is treated as an ML data bucket
except an *access-log bucket*: one that another bucket of the template names as its
``LoggingConfiguration.DestinationBucketName``, or that grants ``logging.s3.amazonaws.com``
write access, or whose ``AccessControl`` is ``LogDeliveryWrite``; and, the same way, one that a
load balancer of the template writes its access (or connection, health check) logs to
(``access_logs.s3.bucket`` of an ``AWS::ElasticLoadBalancingV2::LoadBalancer``,
``AccessLoggingPolicy.S3BucketName`` of a classic one, or a policy granting
``logdelivery.elasticloadbalancing.amazonaws.com``). S3 server access logging and Elastic Load
Balancing logs cannot be written to SSE-KMS buckets (both support SSE-S3 only) and a log bucket
logging to another log bucket never ends, so access-log buckets are exempt from
``BucketKmsEncryption`` and ``BucketLogging`` and keep every other rule.
An access-log bucket deployed in another template than the buckets that log to it cannot be told
from a data bucket: acknowledge those two rules on it, with that reason.
"""

from __future__ import annotations

from secure_sagemaker.nag.policy import (
    condition_entries,
    effect,
    has_wildcard_principal,
    principals,
    statements,
    strings,
)
from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import cached, customer_key, merge, require_string
from secure_sagemaker.nag.template import Resource, Template, Unresolved

BUCKET = "AWS::S3::Bucket"
BUCKET_POLICY = "AWS::S3::BucketPolicy"
ELB_V2 = "AWS::ElasticLoadBalancingV2::LoadBalancer"
ELB_CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"
_ELB_LOG_KEYS = ("access_logs.s3.bucket", "connection_logs.s3.bucket", "health_check_logs.s3.bucket")
#: Services that deliver logs to a bucket and accept only SSE-S3 there.
_LOG_SERVICES = ("logging.s3.amazonaws.com", "logdelivery.elasticloadbalancing.amazonaws.com")
_PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")


def access_log_buckets(template: Template) -> set[str]:
    """Buckets of the template that receive S3 server access logs or Elastic Load Balancing logs."""

    def compute() -> set[str]:
        found: set[str] = set()
        for bucket in template.of_type(BUCKET):
            target = named_bucket(template, bucket.prop("LoggingConfiguration", "DestinationBucketName"))
            if target is not None and target is not bucket:
                found.add(target.logical_id)
            if template.string(bucket.prop("AccessControl")) == "LogDeliveryWrite":
                found.add(bucket.logical_id)
        for balancer in template.of_type(ELB_V2):
            attributes = template.items(balancer.prop("LoadBalancerAttributes"))
            for attribute in [] if isinstance(attributes, Unresolved) else attributes:
                attribute = template.mapping(attribute)
                if isinstance(attribute, dict) and template.string(attribute.get("Key")) in _ELB_LOG_KEYS:
                    target = named_bucket(template, attribute.get("Value"))
                    if target is not None:
                        found.add(target.logical_id)
        for balancer in template.of_type(ELB_CLASSIC):
            target = named_bucket(template, balancer.prop("AccessLoggingPolicy", "S3BucketName"))
            if target is not None:
                found.add(target.logical_id)
        for policy in template.of_type(BUCKET_POLICY):
            target = named_bucket(template, policy.prop("Bucket"))
            if target is None:
                continue
            for statement in statements(template, policy.prop("PolicyDocument")):
                if effect(template, statement) == "Allow" and any(
                    kind == "Service" and value in _LOG_SERVICES for kind, value in principals(template, statement)
                ):
                    found.add(target.logical_id)
        return found

    return cached(template, "s3.access_log_buckets", compute)


def _policy_index(
    t: Template,
) -> tuple[dict[str, list[Resource]], dict[tuple[str, str], list[Resource]], list[Resource]]:
    """Bucket policies by the bucket they attach to; those naming no single bucket by the key of
    their ``Bucket`` value; and those whose bucket cannot be resolved at all (computed once)."""

    def compute():
        by_bucket: dict[str, list[Resource]] = {}
        by_key: dict[tuple[str, str], list[Resource]] = {}
        unresolved: list[Resource] = []
        for policy in t.of_type(BUCKET_POLICY):
            target = named_bucket(t, policy.prop("Bucket"))
            if target is not None:
                by_bucket.setdefault(target.logical_id, []).append(policy)
                continue
            key = t.value_key(policy.prop("Bucket"))
            if key is not None:
                by_key.setdefault(key, []).append(policy)
            if isinstance(t.string(policy.prop("Bucket")), Unresolved):
                unresolved.append(policy)
        return by_bucket, by_key, unresolved

    return cached(t, "s3.policy_index", compute)


def _policies(bucket: Resource) -> tuple[list[Resource], bool]:
    """Bucket policies of the template attached to ``bucket``, and whether some policy's bucket is unknown."""
    t = bucket.template
    by_bucket, by_key, unresolved = _policy_index(t)
    found = list(by_bucket.get(bucket.logical_id, []))
    key = t.value_key(bucket.prop("BucketName")) if by_key else None
    if key is not None:
        found.extend(by_key.get(key, []))
    unknown = any(p not in found and not _named_elsewhere(t, p.prop("Bucket"), bucket) for p in unresolved)
    return found, unknown


def buckets_by_name(template: Template) -> dict[tuple[str, str], list[Resource]]:
    """Buckets of the template by the key of their BucketName (see ``Template.value_key``)."""

    def compute() -> dict[tuple[str, str], list[Resource]]:
        found: dict[tuple[str, str], list[Resource]] = {}
        for bucket in template.of_type(BUCKET):
            key = template.value_key(bucket.prop("BucketName"))
            if key is not None:
                found.setdefault(key, []).append(bucket)
        return found

    return cached(template, "s3.buckets_by_name", compute)


def named_bucket(template: Template, value: object) -> Resource | None:
    """The bucket ``value`` names: by reference, or as the one bucket whose BucketName is the same value."""
    target = template.target(value, BUCKET)
    if target is None and value is not None:
        named = buckets_by_name(template).get(template.value_key(value), [])
        target = named[0] if len(named) == 1 else None
    return target


def _named_elsewhere(t: Template, name: object, bucket: Resource) -> bool:
    """True when ``name`` is, written the same way, the BucketName of another bucket of the template."""
    return any(other is not bucket for other in buckets_by_name(t).get(t.value_key(name), []))


def _deny_statements(bucket: Resource) -> tuple[list[dict], bool]:
    """Deny-everyone statements of the bucket's policies covering all S3 actions."""
    t = bucket.template
    policies, unknown = _policies(bucket)
    found = []
    for policy in policies:
        for statement in statements(t, policy.prop("PolicyDocument")):
            if effect(t, statement) != "Deny" or not has_wildcard_principal(t, statement):
                continue
            actions = [a for a in strings(t, statement.get("Action")) if isinstance(a, str)]
            if any(a in ("*", "s3:*") for a in actions):
                found.append(statement)
    return found, unknown


@rule(
    "BucketKmsEncryption",
    ERROR,
    BUCKET,
    info="The bucket holding ML data is not encrypted with SSE-KMS and a customer managed key.",
    explanation=(
        "Data sets, model artifacts and captured inference data must be encrypted with a key "
        "whose policy decides who can decrypt. SSE-S3 or the aws/s3 key leave that to bucket "
        "permissions alone. Every bucket counts as an ML data bucket except access-log buckets "
        "(the target of another bucket's LoggingConfiguration or of a load balancer's access "
        "logs, or granted to logging.s3.amazonaws.com or logdelivery.elasticloadbalancing."
        "amazonaws.com), which S3 server access logging and Elastic Load Balancing require to be SSE-S3."
    ),
    fix=(
        "Set BucketEncryption to SSEAlgorithm aws:kms with KMSMasterKeyID a customer managed key "
        "(and BucketKeyEnabled true to reduce KMS calls)."
    ),
    practices=("P1", "P4", "P18"),
    threats=("T3", "T4"),
)
def bucket_kms_encryption(r: Resource) -> list[Verdict]:
    """A bucket that holds ML data is encrypted with SSE-KMS under a customer managed key."""
    t = r.template
    if r.logical_id in access_log_buckets(t):
        return []
    rules = t.items(r.prop("BucketEncryption", "ServerSideEncryptionConfiguration"))
    if isinstance(rules, Unresolved):
        return [unverifiable(f"BucketEncryption cannot be verified: {rules}")]
    configs = [t.mapping(item) for item in rules]
    defaults = [t.mapping(c.get("ServerSideEncryptionByDefault")) for c in configs if isinstance(c, dict)]
    if not defaults:
        return [fail("BucketEncryption is not set, so objects are encrypted with SSE-S3")]
    out: list[Verdict] = []
    for default in defaults:
        if isinstance(default, Unresolved):
            out.append(unverifiable(f"ServerSideEncryptionByDefault cannot be verified: {default}"))
            continue
        default = default or {}
        algorithm = t.string(default.get("SSEAlgorithm"))
        if isinstance(algorithm, Unresolved):
            out.append(unverifiable(f"SSEAlgorithm cannot be verified: {algorithm}"))
        elif algorithm not in ("aws:kms", "aws:kms:dsse"):
            out.append(fail(f"SSEAlgorithm is {algorithm!r}, not aws:kms"))
        else:
            out.append(customer_key(r, default.get("KMSMasterKeyID"), "KMSMasterKeyID"))
    return merge(*out)


@rule(
    "BucketTlsOnly",
    ERROR,
    BUCKET,
    info="The bucket's policy does not deny requests that do not use TLS.",
    explanation=(
        "S3 accepts plain HTTP unless the bucket policy denies it; data sets and model artifacts "
        "would then cross the network unencrypted. The rule follows the AWS::S3::BucketPolicy "
        "resources of the template that attach to the bucket."
    ),
    fix=(
        'Add a bucket policy statement: Effect Deny, Principal "*", Action s3:*, Resource the '
        'bucket and its objects, Condition Bool aws:SecureTransport "false" (enforceSSL in CDK).'
    ),
    practices=("P2",),
    threats=("C4", "T3"),
)
def bucket_tls_only(r: Resource) -> Verdict | None:
    """A bucket's policy denies every request made without TLS."""
    t = r.template
    denies, unknown = _deny_statements(r)
    for statement in denies:
        for operator, key, values in condition_entries(t, statement):
            if operator in ("Bool", "BoolIfExists") and key.lower() == "aws:securetransport":
                if any(str(v).lower() == "false" for v in values):
                    return None
    if unknown:
        return unverifiable("a bucket policy of the template names a bucket that cannot be resolved")
    return fail("no bucket policy statement denies requests with aws:SecureTransport false")


@rule(
    "BucketTlsVersion",
    WARNING,
    BUCKET,
    info="The bucket's policy does not deny TLS versions older than 1.2.",
    explanation="TLS 1.0 and 1.1 have known weaknesses; S3 accepts them unless the bucket policy denies them.",
    fix='Add a Deny statement for Principal "*" and s3:* with Condition NumericLessThan s3:TlsVersion 1.2 '
    "(minimumTLSVersion in CDK).",
    practices=("P2",),
    threats=("C4",),
)
def bucket_tls_version(r: Resource) -> Verdict | None:
    """A bucket's policy denies requests made with TLS older than 1.2."""
    t = r.template
    denies, unknown = _deny_statements(r)
    for statement in denies:
        for operator, key, values in condition_entries(t, statement):
            if operator in ("NumericLessThan", "NumericLessThanIfExists") and key.lower() == "s3:tlsversion":
                for value in values:
                    try:
                        if float(str(value)) >= 1.2:
                            return None
                    except ValueError:
                        continue
    if unknown:
        return unverifiable("a bucket policy of the template names a bucket that cannot be resolved")
    return fail("no bucket policy statement denies s3:TlsVersion below 1.2")


@rule(
    "BucketPublicAccessBlocked",
    ERROR,
    BUCKET,
    info="The bucket does not block every form of public access.",
    explanation=(
        "All four public access block settings keep a mistaken ACL or policy from exposing data "
        "sets or models. S3 turns them on for new buckets, but only a template that sets them "
        "keeps a later change from switching them off unnoticed."
    ),
    fix="Set PublicAccessBlockConfiguration with BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and "
    "RestrictPublicBuckets all true.",
    practices=("P6",),
    threats=("T3",),
)
def bucket_public_access_blocked(r: Resource) -> Verdict | None:
    """A bucket sets all four public access block settings to true."""
    t = r.template
    config = t.mapping(r.prop("PublicAccessBlockConfiguration"))
    if isinstance(config, Unresolved):
        return unverifiable(f"PublicAccessBlockConfiguration cannot be verified: {config}")
    if config is None:
        return fail("PublicAccessBlockConfiguration is not set")
    off, unknown = [], []
    for flag in _PUBLIC_ACCESS_FLAGS:
        value = t.boolean(config.get(flag))
        if isinstance(value, Unresolved):
            unknown.append(flag)
        elif value is not True:
            off.append(flag)
    if off:
        return fail(f"{', '.join(off)} {'is' if len(off) == 1 else 'are'} not true")
    if unknown:
        return unverifiable(f"{', '.join(unknown)} cannot be verified")
    return None


@rule(
    "BucketVersioning",
    ERROR,
    BUCKET,
    info="The bucket does not keep object versions.",
    explanation=(
        "Versioning keeps every earlier version of data sets and model artifacts, so data "
        "poisoned or overwritten by an outsider or insider can be found and rolled back."
    ),
    fix="Set VersioningConfiguration.Status to Enabled.",
    practices=("P19",),
    threats=("T2", "T5", "T7"),
)
def bucket_versioning(r: Resource) -> Verdict | None:
    """A bucket has versioning enabled."""
    return require_string(
        r, r.prop("VersioningConfiguration", "Status"), "VersioningConfiguration.Status", "Enabled", None
    )


@rule(
    "BucketLogging",
    ERROR,
    BUCKET,
    info="The bucket holding ML data does not log requests.",
    explanation=(
        "Server access logs record who read or changed which data set and model, the evidence for "
        "detecting data theft and for audits. Access-log buckets themselves are exempt."
    ),
    fix="Set LoggingConfiguration.DestinationBucketName to an SSE-S3 access-log bucket (serverAccessLogsBucket in "
    "CDK).",
    practices=("P11", "P15", "P16"),
    threats=("T3", "T5", "C7"),
)
def bucket_logging(r: Resource) -> Verdict | None:
    """A bucket that holds ML data writes server access logs."""
    t = r.template
    if r.logical_id in access_log_buckets(t):
        return None
    config = t.mapping(r.prop("LoggingConfiguration"))
    if isinstance(config, Unresolved):
        return unverifiable(f"LoggingConfiguration cannot be verified: {config}")
    if config is None:
        return fail("LoggingConfiguration is not set")
    return None
