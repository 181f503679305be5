"""The guardrails as service control policies, for an organization's management account.

An IAM policy binds only the roles it is attached to, and an account admin can detach it. A
service control policy (SCP) binds every principal of the accounts it targets, account admins
included (not the management account, and not service-linked roles), so the same denies hold even
against someone who owns the account. ``app.py`` does not deploy it: add the construct to a stack
of the organization's management account (or of a delegated administrator for Organizations);
``docs/identity.md`` shows how.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from secure_sagemaker._validation import PropError, describe, fail, is_token
from secure_sagemaker.guardrail_statements import DEFAULT_OWNER_TAG, size_upper_bound, split_statements
from secure_sagemaker.identity import ExecutionRole, _as_list, guardrail_statements

#: Characters Organizations allows in a service control policy, whitespace excluded.
SCP_SIZE_LIMIT = 5120
#: SCPs a root, OU or account may have attached directly; one is usually ``FullAWSAccess``.
MAX_SCPS_PER_TARGET = 5
_TARGET_ID = re.compile(r"^(r-[0-9a-z]{4,32}|\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")


class GuardrailsServiceControlPolicy(Construct):
    """The :class:`~secure_sagemaker.identity.Guardrails` denies as ``AWS::Organizations::Policy``
    resources of type ``SERVICE_CONTROL_POLICY``, attached to ``target_ids``.

    The statements are the guardrails' own (the same function builds both), split into as many
    SCPs as Organizations' 5,120-character limit needs (``Policy``, ``Policy2``, ...); the construct
    fails when they would take more than the ``MAX_SCPS_PER_TARGET - 1`` slots a target has beside
    ``FullAWSAccess``. Since an SCP binds every principal of the targets, including the role
    CloudFormation deploys with, ``admin_role_arns`` is required here: those roles stay able to
    update the trail, keys and guardrails. ``PassOnlyExecutionRoles`` uses ``NotResource``, which
    SCPs accept since Organizations adopted the full IAM policy language.

    Keyword-only props (as for ``Guardrails``, with roles and keys of the governed accounts):

    :param target_ids: the root (``r-...``), OUs (``ou-...``) or accounts (12 digits) to attach
        the SCPs to. Required.
    :param subnets: approved subnets, as ``ec2.ISubnet`` or ``subnet-...`` ids. Required.
    :param security_groups: approved security groups, as ``ec2.ISecurityGroup`` or ``sg-...`` ids. Required.
    :param volume_keys: KMS keys approved for storage volumes, e.g. ``kms.Key.from_key_arn``. Required.
    :param output_keys: KMS keys approved for job outputs and Studio notebook sharing. Required.
    :param execution_roles: the roles that may be passed, to SageMaker only: ``iam.IRole``,
        :class:`~secure_sagemaker.identity.ExecutionRole` or role ARNs. Required.
    :param admin_role_arns: break-glass and deployment roles exempt from the escalation and
        self-protection denies; ARN patterns such as ``arn:aws:iam::*:role/cdk-*-cfn-exec-role-*``
        are allowed, since one SCP serves several accounts. Required.
    :param approved_lifecycle_configs: Studio lifecycle config ARNs domains and profiles may name.
        Default: none.
    :param owner_tag: the tag key that names a profile's or notebook's owner. Default ``owner``.
    :param protected_endpoints: endpoint ARNs only ``endpoint_invokers`` may invoke. Default: none.
    :param endpoint_invokers: roles (or role ARNs) that may invoke ``protected_endpoints``.
        Default: none; required with ``protected_endpoints``.
    :param allowed_instance_types: ``ml.*`` instance types or patterns allowed. Default None (no allow-list).
    :param instance_storage_families: families exempt from the volume-key denies. Default: the
        constructs' table, ``INSTANCE_STORAGE_FAMILIES``.
    :param allow_shared_spaces: give up private-only Studio spaces (see ``Guardrails``). Default False.
    :param name: name prefix of the SCPs (``<name>-1``, ...). Default ``<stack name>-guardrails``:
        Organizations refuses a second policy of the same name, so two copies of the stack must not
        share one.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        target_ids: Sequence[str],
        subnets: Sequence[ec2.ISubnet | str] | ec2.SubnetSelection,
        security_groups: Sequence[ec2.ISecurityGroup | str],
        volume_keys: Sequence[kms.IKey],
        output_keys: Sequence[kms.IKey],
        execution_roles: Sequence[iam.IRole | ExecutionRole | str],
        admin_role_arns: Sequence[str],
        approved_lifecycle_configs: Sequence[str] = (),
        owner_tag: str = DEFAULT_OWNER_TAG,
        protected_endpoints: Sequence[str] = (),
        endpoint_invokers: Sequence[iam.IRole | str] = (),
        allowed_instance_types: Sequence[str] | None = None,
        instance_storage_families: Iterable[str] | None = None,
        allow_shared_spaces: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        targets = self._target_ids(me, target_ids)
        admins = _as_list(
            me, "admin_role_arns", admin_role_arns, "pass the break-glass and deployment roles", allow_empty=False
        )
        if name is None:
            name = f"{cdk.Stack.of(self).stack_name[:86]}-guardrails"
        if not re.match(r"^[\w+=,.@-]{1,100}$", name):
            raise fail(me, "name", name, "is not a policy name", "pass letters, digits and +=,.@_- (at most 100)")
        statements = guardrail_statements(
            self,
            me,
            subnets=subnets,
            security_groups=security_groups,
            volume_keys=volume_keys,
            output_keys=output_keys,
            execution_roles=execution_roles,
            admin_role_arns=admins,
            approved_lifecycle_configs=approved_lifecycle_configs,
            owner_tag=owner_tag,
            protected_endpoints=protected_endpoints,
            endpoint_invokers=endpoint_invokers,
            allowed_instance_types=allowed_instance_types,
            instance_storage_families=instance_storage_families,
            execution_role_arns_allowed=True,
            allow_shared_spaces=allow_shared_spaces,
        )
        stack = cdk.Stack.of(self)
        documents = split_statements(stack, statements, SCP_SIZE_LIMIT)
        fix = "approve fewer subnets, security groups, keys, roles or endpoints, or use the IAM Guardrails"
        if len(documents) > MAX_SCPS_PER_TARGET - 1:
            raise PropError(
                f"{me}: its props need {len(documents)} SCPs of at most {SCP_SIZE_LIMIT} characters, more than "
                f"the {MAX_SCPS_PER_TARGET - 1} a target has room for beside FullAWSAccess. Fix: {fix}."
            )
        for chunk in documents:
            if len(chunk) == 1 and size_upper_bound(stack, chunk) > SCP_SIZE_LIMIT:
                raise PropError(
                    f"{me}: statement {chunk[0].sid} is longer than the {SCP_SIZE_LIMIT} characters of an SCP. "
                    f"Fix: {fix}."
                )
        self._policies = [
            organizations.CfnPolicy(
                self,
                "Policy" if number == 1 else f"Policy{number}",
                name=f"{name}-{number}",
                type="SERVICE_CONTROL_POLICY",
                description=f"secure-sagemaker guardrails, part {number} of {len(documents)}",
                content=iam.PolicyDocument(statements=chunk),
                target_ids=targets,
            )
            for number, chunk in enumerate(documents, 1)
        ]

    @property
    def policies(self) -> list[organizations.CfnPolicy]:
        """The SCPs, in order."""
        return list(self._policies)

    @staticmethod
    def _target_ids(me: str, target_ids: Any) -> list[str]:
        fix = "pass the root id (r-...), OU ids (ou-...) or 12-digit account ids"
        targets = _as_list(me, "target_ids", target_ids, fix, allow_empty=False)
        for target in targets:
            if not isinstance(target, str) or not (is_token(target) or _TARGET_ID.match(target)):
                raise fail(me, "target_ids", target, "is not a root, OU or account id", fix)
        return list(targets)


__all__ = ["MAX_SCPS_PER_TARGET", "SCP_SIZE_LIMIT", "GuardrailsServiceControlPolicy"]
