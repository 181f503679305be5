"""What the SageMaker workload constructs share: execution-role props and enforced properties.

Studio domains, user profiles, notebook instances, models, endpoints, feature groups and monitors
accept an :class:`~secure_sagemaker.identity.ExecutionRole` or an ``iam.IRole`` wherever they take
a role (:func:`execution_role_of`), and re-check the properties they enforce when the app is
synthesized (:func:`~secure_sagemaker._validation.enforce`).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam

from secure_sagemaker._validation import require_attribute
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
    fix = "pass an ExecutionRole, or an iam.IRole assumed by sagemaker.amazonaws.com" + (
        ", or drop it" if optional else ""
    )
    require_attribute(me, prop, role, "role_arn", fix)
    return role
