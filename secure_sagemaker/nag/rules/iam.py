"""Rules for SageMaker execution roles."""

from __future__ import annotations

import re

from secure_sagemaker.nag.policy import condition_entries, effect, principals, statements, strings
from secure_sagemaker.nag.rule import ERROR, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import cached, merge, referenced
from secure_sagemaker.nag.template import Resource, Template, Unresolved

ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"
ROLE_POLICY = "AWS::IAM::RolePolicy"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"

_SAGEMAKER_SERVICE = re.compile(r"^sagemaker\.(amazonaws\.com(\.cn)?|\$\{AWS::URLSuffix\})$")
_CONFUSED_DEPUTY_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths")
_BROAD_MANAGED = re.compile(r"^(AdministratorAccess|PowerUserAccess|.*FullAccess.*)$")


def _trust_statements(role: Resource) -> list[dict]:
    """Allow statements of a role's trust policy that let the SageMaker service assume it."""
    t = role.template
    found = []
    for statement in statements(t, role.prop("AssumeRolePolicyDocument")):
        if effect(t, statement) != "Allow":
            continue
        for kind, value in principals(t, statement):
            if kind == "Service" and isinstance(value, str) and _SAGEMAKER_SERVICE.match(value):
                found.append(statement)
                break
    return found


def trusts_sagemaker(role: Resource) -> bool:
    """True when the SageMaker service may assume ``role``."""
    return bool(_trust_statements(role))


def sagemaker_roles(template: Template) -> set[str]:
    """Roles that SageMaker assumes: trusted by the service, or passed to a SageMaker resource."""

    def compute() -> set[str]:
        found = {r.logical_id for r in template.of_type(ROLE) if trusts_sagemaker(r)}
        for resource in template.resources.values():
            if resource.type.startswith("AWS::SageMaker::"):
                found.update(role.logical_id for role in referenced(resource, template, ROLE))
        return found

    return cached(template, "iam.sagemaker_roles", compute)


def _policy_documents(role: Resource) -> list[tuple[str, object]]:
    """``(where, document)`` for every policy that applies to ``role`` and this template declares."""
    t = role.template
    documents: list[tuple[str, object]] = []
    inline = t.items(role.prop("Policies"))
    for index, policy in enumerate([] if isinstance(inline, Unresolved) else inline):
        policy = t.mapping(policy)
        if isinstance(policy, dict):
            name = t.string(policy.get("PolicyName"))
            documents.append(
                (f"inline policy {name if isinstance(name, str) else index}", policy.get("PolicyDocument"))
            )
    for policy in t.referrers(role.logical_id, POLICY, MANAGED_POLICY, ROLE_POLICY):
        documents.append((f"{policy.type.split('::')[-1]} {policy.logical_id}", policy.prop("PolicyDocument")))
    for managed in referenced(role.prop("ManagedPolicyArns"), t, MANAGED_POLICY):
        if not any(where.endswith(f" {managed.logical_id}") for where, _ in documents):
            documents.append((f"ManagedPolicy {managed.logical_id}", managed.prop("PolicyDocument")))
    return documents


@rule(
    "ExecutionRoleTrustConditions",
    ERROR,
    ROLE,
    info="The SageMaker execution role's trust policy has no confused-deputy condition.",
    explanation=(
        "Without aws:SourceAccount or aws:SourceArn in the trust policy, SageMaker acting for "
        "another account or resource can be made to assume the role (the confused deputy "
        "problem). This applies to every role the SageMaker service may assume or that a "
        "SageMaker resource in the template is given."
    ),
    fix=(
        "Add a Condition such as StringEquals aws:SourceAccount = ${AWS::AccountId} (and "
        "ArnLike aws:SourceArn = arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:*) "
        "to each statement that trusts sagemaker.amazonaws.com."
    ),
    practices=("P6",),
    threats=("C1", "C7"),
)
def execution_role_trust_conditions(r: Resource) -> list[Verdict]:
    """Every statement that lets SageMaker assume an execution role carries a confused-deputy condition."""
    out: list[Verdict] = []
    for index, statement in enumerate(_trust_statements(r)):
        keys = [key.lower() for _, key, _ in condition_entries(r.template, statement)]
        if not any(key in _CONFUSED_DEPUTY_KEYS for key in keys):
            sid = statement.get("Sid")
            label = f"statement {sid}" if isinstance(sid, str) else f"trust statement {index}"
            out.append(
                fail(f"{label} lets sagemaker.amazonaws.com assume the role without aws:SourceAccount or aws:SourceArn")
            )
    return out


_SAGEMAKER_VPC_KEYS = ("sagemaker:vpcsubnets", "sagemaker:vpcsecuritygroupids")


def _requires_sagemaker_vpc(t: Template, statement: dict) -> bool:
    """True when a statement matches only requests that carry sagemaker:VpcSubnets or
    sagemaker:VpcSecurityGroupIds with the listed values.

    Operators that are true when the key is absent (``...IfExists``, ``ForAllValues:...``, ``Null``)
    do not count: with them ``sagemaker:*`` still grants every action that has no VPC in its request
    (deleting endpoints, changing models), which is the wildcard this rule is about.
    """
    for operator, key, values in condition_entries(t, statement):
        op = operator.lower()
        if (
            key.lower() not in _SAGEMAKER_VPC_KEYS
            or op.endswith("ifexists")
            or op.startswith("forallvalues:")
            or op == "null"
        ):
            continue
        if (
            op.replace("forallvalues:", "").replace("foranyvalue:", "")
            in ("stringequals", "stringlike", "arnequals", "arnlike")
            and values
        ):
            if not any(isinstance(v, str) and v.strip() in ("", "*") for v in values):  # a parameter is a named value
                return True
    return False


@rule(
    "ExecutionRoleNoWildcardActions",
    ERROR,
    ROLE,
    info="A policy of the SageMaker execution role allows every action of a service, or all of AWS.",
    explanation=(
        'Actions such as "*" or "s3:*" (and Allow with NotAction) give jobs, notebooks and '
        "models far more than they use, so a compromised container can delete data, change "
        "keys or launch resources. Prefix wildcards within one verb, such as s3:GetObject*, are "
        "accepted: CDK grants use them. sagemaker:* is accepted in a statement whose Condition "
        "requires sagemaker:VpcSubnets or sagemaker:VpcSecurityGroupIds to be named values "
        "(StringEquals, StringLike, ForAnyValue:), since only requests that place a resource in "
        "those subnets or groups then match; with IfExists, ForAllValues: or Null the condition is "
        "true for every request without a VPC (deleting an endpoint, changing a model) and the "
        "wildcard is reported. Inline policies, AWS::IAM::Policy, RolePolicy and ManagedPolicy "
        "resources of the template that attach to the role are read."
    ),
    fix="List the actions the workload calls (grant methods do this) instead of service-wide wildcards.",
    practices=("P6",),
    threats=("C7", "T9"),
)
def execution_role_no_wildcard_actions(r: Resource) -> list[Verdict]:
    """No policy of a SageMaker execution role allows a service-wide wildcard action."""
    t = r.template
    if r.logical_id not in sagemaker_roles(t):
        return []
    failures: list[str] = []
    unknown: list[str] = []
    for where, document in _policy_documents(r):
        for statement in statements(t, document):
            if effect(t, statement) != "Allow":
                continue
            if statement.get("NotAction") is not None:
                failures.append(f"{where} allows NotAction")
            vpc_bound = _requires_sagemaker_vpc(t, statement)
            for action in strings(t, statement.get("Action")):
                if isinstance(action, Unresolved):
                    unknown.append(f"{where} has an action that {action}")
                elif action.strip().lower() == "sagemaker:*" and vpc_bound:
                    continue  # only requests that place resources in the named subnets or groups match
                elif action.strip() == "*" or action.strip().endswith(":*"):
                    failures.append(f"{where} allows {action}")
    if failures:
        return [fail("; ".join(sorted(set(failures))))]
    return [unverifiable("; ".join(sorted(set(unknown))))] if unknown else []


@rule(
    "ExecutionRoleNoFullAccessPolicies",
    ERROR,
    ROLE,
    info="The SageMaker execution role has an AWS managed FullAccess or administrator policy.",
    explanation=(
        "AWS managed policies such as AmazonSageMakerFullAccess, AmazonS3FullAccess or "
        "AdministratorAccess grant every resource of a service (or of the account) to whatever "
        "code runs with the role."
    ),
    fix="Replace the managed policy with statements scoped to the named buckets, prefixes, keys and repositories the "
    "workload uses.",
    practices=("P6",),
    threats=("C7", "T9"),
)
def execution_role_no_full_access_policies(r: Resource) -> list[Verdict]:
    """A SageMaker execution role has no AWS managed FullAccess or administrator policy attached."""
    t = r.template
    if r.logical_id not in sagemaker_roles(t):
        return []
    out: list[Verdict] = []
    for arn in strings(t, r.prop("ManagedPolicyArns")):
        if isinstance(arn, Unresolved):
            out.append(unverifiable(f"a managed policy ARN cannot be verified: {arn}"))
            continue
        if ":aws:policy/" not in arn:
            continue
        name = arn.rsplit("/", 1)[-1]
        if _BROAD_MANAGED.match(name):
            out.append(fail(f"ManagedPolicyArns includes the AWS managed policy {name}"))
    failures = [v for v in out if v.failed]
    return merge(failures or out)
