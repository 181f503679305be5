"""Rules for KMS keys."""

from __future__ import annotations

from secure_sagemaker.nag.policy import effect, has_wildcard_principal, principals, statements, strings
from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import KMS_KEY, require_true
from secure_sagemaker.nag.template import Resource, Unresolved


def _label(statement: dict, index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid}" if isinstance(sid, str) and sid else f"statement {index}"


@rule(
    "KmsKeyRotation",
    ERROR,
    KMS_KEY,
    info="The symmetric KMS key does not rotate its key material.",
    explanation=(
        "Rotation limits how much data one key version protects and how long a leaked version "
        "stays useful. Asymmetric and HMAC keys cannot rotate and are skipped."
    ),
    fix="Set EnableKeyRotation to true (optionally RotationPeriodInDays).",
    practices=("P3",),
    threats=("T3",),
)
def kms_key_rotation(r: Resource) -> Verdict | None:
    """A symmetric customer managed KMS key has automatic rotation enabled."""
    spec = r.template.string(r.prop("KeySpec"))
    if isinstance(spec, str) and spec != "SYMMETRIC_DEFAULT":
        return None
    return require_true(r, r.prop("EnableKeyRotation"), "EnableKeyRotation")


@rule(
    "KmsKeyPolicyNoWildcardPrincipal",
    ERROR,
    KMS_KEY,
    info="The KMS key policy allows any principal without a condition.",
    explanation=(
        'A key policy statement with Principal "*" and no Condition lets every AWS principal, in '
        "any account, use or manage the key as far as the actions allow."
    ),
    fix="Name the principals (roles, services, the account) or add conditions such as kms:CallerAccount and "
    "kms:ViaService.",
    practices=("P5",),
    threats=("T3", "C7"),
)
def kms_key_policy_no_wildcard_principal(r: Resource) -> list[Verdict]:
    """No statement of a KMS key policy allows a wildcard principal without a condition."""
    t = r.template
    out: list[Verdict] = []
    for index, statement in enumerate(statements(t, r.prop("KeyPolicy"))):
        if effect(t, statement) != "Allow" or statement.get("Condition") not in (None, {}, []):
            continue
        if has_wildcard_principal(t, statement):
            out.append(fail(f'{_label(statement, index)} allows Principal "*" without a condition'))
        elif any(isinstance(value, Unresolved) for _, value in principals(t, statement)):
            out.append(unverifiable(f"{_label(statement, index)} has a principal that cannot be verified"))
    return out


@rule(
    "KmsKeyPolicyScoped",
    WARNING,
    KMS_KEY,
    info="The KMS key policy is implicit or grants kms:* to someone.",
    explanation=(
        "Without an explicit KeyPolicy the default policy gives the account root kms:*, which "
        "delegates every use of the key, decrypt included, to any IAM policy in the account. "
        "Least privilege gives the root the administrative actions only and names the principals "
        "that encrypt and decrypt."
    ),
    fix=(
        "Write an explicit key policy: administrative actions (kms:Create*, kms:Describe*, "
        "kms:Enable*, kms:List*, kms:Put*, kms:Update*, kms:Revoke*, kms:Disable*, kms:Get*, "
        "kms:Delete*, kms:TagResource, kms:UntagResource, kms:ScheduleKeyDeletion, "
        "kms:CancelKeyDeletion) for the root, and usage actions for the named principals."
    ),
    practices=("P5",),
    threats=("C7",),
)
def kms_key_policy_scoped(r: Resource) -> Verdict | None:
    """A KMS key has an explicit key policy that grants kms:* to nobody."""
    t = r.template
    policy = t.resolve(r.prop("KeyPolicy"))
    if policy is None:
        return fail("KeyPolicy is not set, so the default policy grants the account root kms:*")
    if isinstance(policy, Unresolved):
        return unverifiable(f"KeyPolicy cannot be verified: {policy}")
    broad = []
    for index, statement in enumerate(statements(t, policy)):
        if effect(t, statement) != "Allow":
            continue
        actions = strings(t, statement.get("Action"))
        if statement.get("NotAction") is not None or any(a in ("*", "kms:*") for a in actions if isinstance(a, str)):
            who = ", ".join(str(v) for _, v in principals(t, statement)) or "its principals"
            broad.append(f"{_label(statement, index)} grants kms:* to {who}")
    return fail("; ".join(broad)) if broad else None
