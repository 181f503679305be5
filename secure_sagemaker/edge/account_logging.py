"""The account's API Gateway CloudWatch Logs role: one setting per account and Region.

REST API stages that log (execution or access logs) need the account's API Gateway CloudWatch
role; without it the stage fails to deploy with "CloudWatch Logs role ARN must be set in account
settings". It is a per-account-and-Region setting, so it belongs to the account baseline, not to
each workload.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from constructs import Construct

from secure_sagemaker._retention import RETAINED
from secure_sagemaker.acknowledgments import acknowledge_wildcard_resources

#: What the role may do: write API Gateway's execution and access logs.
CLOUD_WATCH_ROLE_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)
_WILDCARD_REASON = (
    "The API Gateway CloudWatch role is an account-level setting for every REST API of this account "
    "and Region: API Gateway creates execution log groups named after each API id and stage, and "
    "writes access logs to whatever group each stage names, so the role is scoped to log groups of "
    "this account and Region, not to one group."
)


class ApiGatewayCloudWatchRole(Construct):
    """Sets the account's API Gateway CloudWatch Logs role (``AWS::ApiGateway::Account``).

    The role is trusted by ``apigateway.amazonaws.com`` and may only create and write log groups
    and streams of this account and Region (a customer managed policy, not AWS's
    ``AmazonAPIGatewayPushToCloudWatchLogs``). Setting it replaces any role the account had. Role,
    policy and setting are retained when the stack is deleted, since every logging stage of the
    account depends on them.

    Read-only attributes: ``role``, ``account`` (the ``CfnAccount``).
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway writes execution and access logs of this account's REST APIs",
        )
        policy = iam.ManagedPolicy(
            self,
            "CloudWatchPolicy",
            roles=[self._role],
            description="Write API Gateway logs to log groups of this account and Region",
            statements=[
                iam.PolicyStatement(
                    sid="WriteApiGatewayLogs",
                    actions=list(CLOUD_WATCH_ROLE_ACTIONS),
                    resources=[
                        cdk.Stack.of(self).format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                )
            ],
        )
        self._account = apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=self._role.role_arn)
        for resource in (self._role, policy, self._account):
            resource.apply_removal_policy(RETAINED)
        self._account.node.add_dependency(policy)
        acknowledge_wildcard_resources(policy, _WILDCARD_REASON)

    @property
    def role(self) -> iam.Role:
        """The role API Gateway writes logs with."""
        return self._role

    @property
    def account(self) -> apigateway.CfnAccount:
        """The account setting that names the role; logging stages depend on it."""
        return self._account
