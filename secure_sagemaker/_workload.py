"""What the SageMaker workload constructs share: execution-role props and enforced properties.

Studio domains, user profiles, notebook instances, models, endpoints and feature groups accept an
:class:`~secure_sagemaker.identity.ExecutionRole` or an ``iam.IRole`` wherever they take a role
(:func:`execution_role_of`), and re-check the properties they enforce when the app is synthesized
(:func:`enforce`), so that an edit of the exposed L1 resource after construction fails ``cdk synth``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct

from secure_sagemaker._validation import describe, require_attribute
from secure_sagemaker.identity import ExecutionRole


def execution_role_of(me: str, prop: str, value: Any, *, optional: bool = False) -> iam.IRole | None:
    """The ``iam.IRole`` an execution-role prop stands for: the ``role`` of an ExecutionRole, or ``value``.

    Every construct with an execution-role prop (Studio, notebooks, models, feature groups)
    accepts an :class:`~secure_sagemaker.identity.ExecutionRole` or an ``iam.IRole`` and checks only
    the role returned. Anything else (a string ARN, a construct that is not a role) is a PropError
    naming ``prop``; None is one too unless ``optional``, when it is returned as is.
    """
    if value is None and optional:
        return None
    role = value.role if isinstance(value, ExecutionRole) else value
    fix = "pass an ExecutionRole, or an iam.IRole assumed by sagemaker.amazonaws.com" + (", or drop it" if optional else "")
    require_attribute(me, prop, role, "role_arn", fix)
    return role


@jsii.implements(constructs.IValidation)
class _Enforced:
    """Synth-time check that the enforced properties of an L1 resource still hold."""

    def __init__(
        self, owner: str, resource: cdk.CfnResource, checks: Sequence[tuple[str, Callable[[dict], bool]]]
    ) -> None:
        self._owner = owner
        self._resource = resource
        self._checks = list(checks)

    def validate(self) -> list[str]:
        stack = cdk.Stack.of(self._resource)
        properties = self._resource._render_properties(stack.resolve(self._resource._cfn_properties))
        failed = []
        for what, holds in self._checks:
            try:
                ok = holds(properties or {})
            except (KeyError, TypeError, IndexError, AttributeError):
                ok = False
            if not ok:
                failed.append(
                    f"{self._owner}: {what} is enforced by this construct but the resource "
                    f"{self._resource.node.path} was changed after construction. Fix: remove the change "
                    "(or use the construct's documented opt-out where one exists)."
                )
        return failed


def enforce(construct: Construct, resource: cdk.CfnResource, checks: Sequence[tuple[str, Callable[[dict], bool]]]) -> None:
    """Re-check ``checks`` (description, predicate over the CFN properties) when the app is synthesized."""
    construct.node.add_validation(_Enforced(describe(construct), resource, checks))
