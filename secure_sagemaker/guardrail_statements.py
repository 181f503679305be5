"""The guardrails' statements beyond workload settings, and how they are split into policies.

:class:`~secure_sagemaker.identity.Guardrails` (an IAM managed policy) and
:class:`~secure_sagemaker.organization.GuardrailsServiceControlPolicy` (an SCP) deny the same
things. Beside the workload settings of :data:`~secure_sagemaker.identity.GUARDRAIL_CONDITIONS`
they close the escalation paths built here:

- ``DenyLifecycleConfigChanges``: lifecycle configurations run as root, so only admins create or
  change them; ``ApprovedStudioLifecycleConfigs`` limits the ones domains and profiles name;
- ``PresignedUrlOwnOnly`` / ``PresignedUrlNeedsOwner``: a Studio or notebook presigned URL only
  for a profile or instance whose ``owner`` tag is the caller's own ``owner`` principal tag, and
  ``ProtectOwnerTag`` keeps that tag from being rewritten (on roles, ``ProtectExecutionRoles``);
- ``PrivateSpacesOnly``: a Studio space is created only as ``Private`` (its owner's alone), unless
  shared spaces are allowed on purpose;
- ``Protect*``: nobody but the admin roles changes the guardrail policies, the execution roles'
  trust and policies, trails, GuardDuty, Config, keys, bucket policies, VPC routes and endpoints,
  and the Route 53 Resolver DNS firewall and query logging;
- ``InvokeOnlyThroughApi``: the listed endpoints are invoked only by the listed roles (the API's
  integration role);
- ``AllowedInstanceTypes``: SageMaker instance types outside an allow-list are denied (optional).

Every statement that denies an admin action names the admin roles in an ``ArnNotLike`` condition
on ``aws:PrincipalArn``, so a break-glass role is never locked out.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from secure_sagemaker.instance_storage import INSTANCE_STORAGE_FAMILIES

PRINCIPAL_ARN = "aws:PrincipalArn"
INSTANCE_TYPES = "sagemaker:InstanceTypes"
STUDIO_LIFECYCLE_CONFIGS = "sagemaker:StudioLifecycleConfigArns"
#: ``Private`` (only the owner's profile may use the space) or ``Shared`` (every profile of the domain).
SPACE_SHARING_TYPE = "sagemaker:SpaceSharingType"
PRIVATE_SPACE = "Private"
#: The IAM path of every guardrail policy: the guardrails protect themselves by this path, since a
#: policy cannot name its own ARN (CloudFormation would see a circular reference).
GUARDRAIL_POLICY_PATH = "/secure-sagemaker/guardrails/"
#: Tag key that names the person a Studio user profile or notebook instance belongs to.
DEFAULT_OWNER_TAG = "owner"

#: Jobs and endpoint configs whose volume key SageMaker rejects on instance types with local
#: instance storage (:mod:`secure_sagemaker.instance_storage`): the guardrails exempt them there.
INSTANCE_STORAGE_EXEMPT_ACTIONS = (
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateTransformJob",
)
#: Actions that carry ``sagemaker:InstanceTypes`` (Service Authorization Reference), checked by the
#: instance-type allow-list.
INSTANCE_TYPE_ACTIONS = (
    "sagemaker:CreateApp",
    "sagemaker:CreateDomain",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateUserProfile",
    "sagemaker:UpdateDomain",
    "sagemaker:UpdateNotebookInstance",
    "sagemaker:UpdateUserProfile",
)
#: Actions that carry ``sagemaker:StudioLifecycleConfigArns``.
STUDIO_LIFECYCLE_ACTIONS = (
    "sagemaker:CreateDomain",
    "sagemaker:CreateUserProfile",
    "sagemaker:UpdateDomain",
    "sagemaker:UpdateUserProfile",
)
LIFECYCLE_CONFIG_ACTIONS = (
    "sagemaker:CreateNotebookInstanceLifecycleConfig",
    "sagemaker:CreateStudioLifecycleConfig",
    "sagemaker:DeleteNotebookInstanceLifecycleConfig",
    "sagemaker:DeleteStudioLifecycleConfig",
    "sagemaker:UpdateNotebookInstanceLifecycleConfig",
)
PRESIGNED_URL_ACTIONS = ("sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl")
INVOKE_ACTIONS = (
    "sagemaker:InvokeEndpoint",
    "sagemaker:InvokeEndpointAsync",
    "sagemaker:InvokeEndpointWithResponseStream",
)

#: What ``Protect*`` statements deny to everyone but the admin roles, by control. Resources are
#: ``*`` (every control of the account) except for IAM, where the statements name the guardrail
#: policies (by path) and the execution roles.
PROTECTED_CONTROLS: dict[str, tuple[str, ...]] = {
    "ProtectTrails": (
        "cloudtrail:DeleteTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:PutInsightSelectors",
        "cloudtrail:StopLogging",
        "cloudtrail:UpdateTrail",
    ),
    "ProtectGuardDuty": (
        "guardduty:CreateFilter",
        "guardduty:DeleteDetector",
        "guardduty:DeletePublishingDestination",
        "guardduty:DisassociateFromAdministratorAccount",
        "guardduty:UpdateDetector",
        "guardduty:UpdateFilter",
        "guardduty:UpdatePublishingDestination",
    ),
    "ProtectConfig": (
        "config:DeleteConfigRule",
        "config:DeleteConfigurationRecorder",
        "config:DeleteDeliveryChannel",
        "config:DeleteEvaluationResults",
        "config:PutConfigurationRecorder",
        "config:PutDeliveryChannel",
        "config:StopConfigurationRecorder",
    ),
    "ProtectKeys": (
        "kms:DisableKey",
        "kms:DisableKeyRotation",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
    ),
    "ProtectBuckets": (
        # Deleting or shortening the retention of a trail log file under GOVERNANCE Object Lock.
        "s3:BypassGovernanceRetention",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
    ),
    "ProtectNetwork": (
        "ec2:AcceptVpcPeeringConnection",
        "ec2:AssociateRouteTable",
        "ec2:AttachInternetGateway",
        "ec2:CreateRoute",
        "ec2:CreateVpcEndpoint",
        "ec2:DeleteRoute",
        "ec2:DeleteVpcEndpoints",
        "ec2:ModifyVpcEndpoint",
        "ec2:ReplaceRoute",
        "ec2:ReplaceRouteTableAssociation",
    ),
    "ProtectDnsFirewall": (
        "route53resolver:AssociateFirewallRuleGroup",
        "route53resolver:CreateFirewallDomainList",
        "route53resolver:CreateFirewallRule",
        "route53resolver:CreateFirewallRuleGroup",
        "route53resolver:DeleteFirewallDomainList",
        "route53resolver:DeleteFirewallRule",
        "route53resolver:DeleteFirewallRuleGroup",
        "route53resolver:DeleteResolverQueryLogConfig",
        "route53resolver:DisassociateFirewallRuleGroup",
        "route53resolver:DisassociateResolverQueryLogConfig",
        "route53resolver:ImportFirewallDomains",
        "route53resolver:PutFirewallRuleGroupPolicy",
        "route53resolver:UpdateFirewallConfig",
        "route53resolver:UpdateFirewallDomains",
        "route53resolver:UpdateFirewallRule",
        "route53resolver:UpdateFirewallRuleGroupAssociation",
    ),
}
GUARDRAIL_POLICY_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)
DETACH_ACTIONS = ("iam:DetachGroupPolicy", "iam:DetachRolePolicy", "iam:DetachUserPolicy")
EXECUTION_ROLE_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    # A person's roles carry the owner tag that presigned URLs are checked against.
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
)


def storage_type_patterns(families: Iterable[str] | None = None) -> list[str]:
    """``ml.<family>.*`` for each family with local instance storage (default: the library's table)."""
    return sorted(f"ml.{family}.*" for family in (INSTANCE_STORAGE_FAMILIES if families is None else families))


def guardrail_policy_arn_pattern(partition: str) -> str:
    """Every guardrail policy of any account of ``partition`` (an SCP serves several accounts)."""
    return f"arn:{partition}:iam::*:policy{GUARDRAIL_POLICY_PATH}*"


def _except_admins(admin_role_arns: Sequence[str]) -> dict[str, Any]:
    return {"ArnNotLike": {PRINCIPAL_ARN: list(admin_role_arns)}} if admin_role_arns else {}


def _merge(*conditions: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for condition in conditions:
        for operator, keys in condition.items():
            merged.setdefault(operator, {}).update(keys)
    return merged


def _statement(sid: str, actions: Sequence[str], conditions: dict[str, Any], resources: Sequence[str] = ("*",)):
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        actions=sorted(actions),
        resources=list(resources),
        conditions=conditions or None,
    )


def lifecycle_statements(admin_role_arns: Sequence[str], approved_configs: Sequence[str]) -> list[iam.PolicyStatement]:
    """Only admins change lifecycle configs; domains and profiles name only approved ones."""
    admins = _except_admins(admin_role_arns)
    approved = (
        {"ForAnyValue:ArnNotEquals": {STUDIO_LIFECYCLE_CONFIGS: list(approved_configs)}}
        if approved_configs
        else {"Null": {STUDIO_LIFECYCLE_CONFIGS: "false"}}
    )
    return [
        _statement("DenyLifecycleConfigChanges", LIFECYCLE_CONFIG_ACTIONS, admins),
        _statement("ApprovedStudioLifecycleConfigs", STUDIO_LIFECYCLE_ACTIONS, _merge(approved, admins)),
    ]


def presigned_url_statements(admin_role_arns: Sequence[str], owner_tag: str) -> list[iam.PolicyStatement]:
    """Presigned URLs only for one's own profile or instance, by the ``owner`` tag.

    A role has no ``aws:username``, so the caller is named by a principal tag (a role tag, or a
    session tag from the identity provider) that must equal the resource's tag. A negated
    operator is true when the resource has no tag, so untagged resources are denied too; a
    caller without the principal tag is denied by its own statement.
    """
    admins = _except_admins(admin_role_arns)
    principal_tag = f"aws:PrincipalTag/{owner_tag}"
    return [
        _statement(
            "PresignedUrlOwnOnly",
            PRESIGNED_URL_ACTIONS,
            _merge({"StringNotEquals": {f"sagemaker:ResourceTag/{owner_tag}": f"${{{principal_tag}}}"}}, admins),
        ),
        _statement("PresignedUrlNeedsOwner", PRESIGNED_URL_ACTIONS, _merge({"Null": {principal_tag: "true"}}, admins)),
        _statement(
            "ProtectOwnerTag",
            ("sagemaker:AddTags", "sagemaker:DeleteTags"),
            _merge({"ForAnyValue:StringEquals": {"aws:TagKeys": [owner_tag]}}, admins),
        ),
    ]


def space_statements(admin_role_arns: Sequence[str], allow_shared_spaces: bool) -> list[iam.PolicyStatement]:
    """Spaces are created ``Private`` only: a request without a sharing type (an ownerless space
    every profile may use) or with ``Shared`` is denied, unless ``allow_shared_spaces``."""
    if allow_shared_spaces:
        return []
    admins = _except_admins(admin_role_arns)
    return [
        _statement(
            "PrivateSpacesOnly",
            ("sagemaker:CreateSpace",),
            _merge({"StringNotEquals": {SPACE_SHARING_TYPE: PRIVATE_SPACE}}, admins),
        )
    ]


def self_protection_statements(
    admin_role_arns: Sequence[str], execution_role_arns: Sequence[str], partition: str
) -> list[iam.PolicyStatement]:
    """Nobody but the admin roles changes the guardrails, the execution roles or the controls."""
    admins = _except_admins(admin_role_arns)
    policies = guardrail_policy_arn_pattern(partition)
    statements = [
        _statement("ProtectGuardrailPolicies", GUARDRAIL_POLICY_ACTIONS, admins, [policies]),
        _statement("KeepGuardrailsAttached", DETACH_ACTIONS, _merge({"ArnLike": {"iam:PolicyARN": policies}}, admins)),
    ]
    if execution_role_arns:
        statements.append(_statement("ProtectExecutionRoles", EXECUTION_ROLE_ACTIONS, admins, execution_role_arns))
    statements += [_statement(sid, actions, admins) for sid, actions in PROTECTED_CONTROLS.items()]
    return statements


def invoke_statements(endpoint_arns: Sequence[str], invoker_arns: Sequence[str]) -> list[iam.PolicyStatement]:
    """The endpoints are invoked only by ``invoker_arns`` (the API's integration role)."""
    if not endpoint_arns:
        return []
    conditions = {"ArnNotEquals": {PRINCIPAL_ARN: list(invoker_arns)}} if invoker_arns else {}
    return [_statement("InvokeOnlyThroughApi", INVOKE_ACTIONS, conditions, endpoint_arns)]


def instance_type_statements(allowed_instance_types: Sequence[str] | None) -> list[iam.PolicyStatement]:
    """Deny any instance type outside ``allowed_instance_types`` (patterns such as ``ml.m5.*``)."""
    if allowed_instance_types is None:
        return []
    return [
        _statement(
            "AllowedInstanceTypes",
            INSTANCE_TYPE_ACTIONS,
            {"ForAnyValue:StringNotLike": {INSTANCE_TYPES: list(allowed_instance_types)}},
        )
    ]


# --- splitting --------------------------------------------------------------------------------

# Longest deploy-time values of tokens, so that the estimate never falls short of the real size.
_PSEUDO_MAX_LENGTHS = {"AWS::Partition": 10, "AWS::Region": 14, "AWS::AccountId": 12, "AWS::URLSuffix": 16}
#: Characters assumed for any other token (a key, role or endpoint ARN): more than such ARNs take.
TOKEN_ALLOWANCE = 160


def _upper_bound(node: Any) -> Any:
    if isinstance(node, list):
        return [_upper_bound(v) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return "x" * _PSEUDO_MAX_LENGTHS.get(node["Ref"], TOKEN_ALLOWANCE)
    if set(node) == {"Fn::Join"}:
        delimiter, items = node["Fn::Join"]
        return delimiter.join(str(_upper_bound(i)) for i in items)
    if len(node) == 1 and next(iter(node)).startswith("Fn::"):
        return "x" * TOKEN_ALLOWANCE
    return {k: _upper_bound(v) for k, v in node.items()}


def size_upper_bound(stack: cdk.Stack, statements: Sequence[iam.PolicyStatement]) -> int:
    """Characters (whitespace excluded) a document of ``statements`` has at most once deployed."""
    return _resolved_size(stack.resolve(iam.PolicyDocument(statements=list(statements))))


def split_statements(
    stack: cdk.Stack, statements: Sequence[iam.PolicyStatement], limit: int
) -> list[list[iam.PolicyStatement]]:
    """``statements`` in order, packed into as few documents as keep each under ``limit`` characters.

    A statement too large for a document of its own is returned alone; the caller reports it.
    """
    statements = list(statements)
    # Resolved once, as one document: sizing each candidate document in Python then costs no round
    # trip to the jsii kernel. A document drops duplicate statements, which would shift the pairing.
    resolved = stack.resolve(iam.PolicyDocument(statements=statements)).get("Statement", []) if statements else []
    if len(resolved) != len(statements):
        resolved = [stack.resolve(iam.PolicyDocument(statements=[s]))["Statement"][0] for s in statements]
    documents: list[list[iam.PolicyStatement]] = []
    current: list[iam.PolicyStatement] = []
    current_json: list[Any] = []
    for statement, statement_json in zip(statements, resolved, strict=True):
        if current and _resolved_size({"Statement": [*current_json, statement_json], "Version": _VERSION}) > limit:
            documents.append(current)
            current, current_json = [], []
        current.append(statement)
        current_json.append(statement_json)
    if current:
        documents.append(current)
    return documents


#: The policy language version every document the CDK renders carries.
_VERSION = "2012-10-17"


def _resolved_size(document: Any) -> int:
    """:func:`size_upper_bound` of an already resolved document."""
    return len(json.dumps(_upper_bound(document), separators=(",", ":")))
