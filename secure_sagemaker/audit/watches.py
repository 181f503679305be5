"""The security watches on the trail's log group: CloudWatch Logs filter patterns and what they catch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

#: CloudWatch Logs metric filter patterns are at most 1024 characters.
MAX_FILTER_PATTERN_LENGTH = 1024


def _any_of(field: str, values: Sequence[str]) -> str:
    return " || ".join(f"($.{field} = {v})" for v in values)


def _events(source: str | None, names: Sequence[str]) -> str:
    names_clause = _any_of("eventName", names)
    if source is None:
        return f"{{ {names_clause} }}"
    return f"{{ ($.eventSource = {source}) && ({names_clause}) }}"


@dataclass(frozen=True)
class SecurityWatch:
    """A metric filter on the trail's log group and the alarm on it (threshold: one event in 5 minutes)."""

    name: str
    description: str
    pattern: str


#: What the security team is paged for. Patterns follow the CIS AWS Foundations Benchmark
#: monitoring section (as implemented by AWS Security Hub controls CloudWatch.1 to CloudWatch.14),
#: widened where this baseline depends on more (S3 encryption and public access settings, NAT
#: gateways and VPC endpoints, KMS key rotation) and extended to GuardDuty, AWS Config and
#: SageMaker. Each pattern, and the events it must catch, is pinned by tests/test_audit.py.
SECURITY_WATCHES: tuple[SecurityWatch, ...] = (
    SecurityWatch(
        "UnauthorizedApiCalls",
        "API calls refused for missing permissions (CIS; Security Hub CloudWatch.2)",
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) '
        '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    ),
    SecurityWatch(
        "RootAccountUse",
        "The root user made a request (CIS; Security Hub CloudWatch.1)",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    SecurityWatch(
        "ConsoleSignInWithoutMfa",
        "An IAM user signed in to the console without MFA (CIS; Security Hub CloudWatch.3)",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    SecurityWatch(
        "IamPolicyChanges",
        "IAM policies were created, changed, attached or detached (CIS; Security Hub CloudWatch.4)",
        _events(
            None,
            (
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "SetDefaultPolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            ),
        ),
    ),
    SecurityWatch(
        "CloudTrailChanges",
        "A trail was created, changed, stopped or deleted (CIS; Security Hub CloudWatch.5)",
        _events(
            None, ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging", "PutEventSelectors")
        ),
    ),
    SecurityWatch(
        "KmsKeyDisabledOrScheduledForDeletion",
        "A customer-managed key was disabled, scheduled for deletion or lost rotation (CIS; Security Hub CloudWatch.7)",
        _events("kms.amazonaws.com", ("DisableKey", "ScheduleKeyDeletion", "DisableKeyRotation")),
    ),
    SecurityWatch(
        "S3BucketPolicyChanges",
        "A bucket policy, ACL, encryption or public access setting changed (CIS; Security Hub CloudWatch.8)",
        _events(
            "s3.amazonaws.com",
            (
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
                "PutBucketEncryption",
                "DeleteBucketEncryption",
                "PutBucketPublicAccessBlock",
                "DeleteBucketPublicAccessBlock",
                "PutBucketVersioning",
                "PutBucketOwnershipControls",
                "DeleteBucketOwnershipControls",
                "PutBucketLogging",
            ),
        ),
    ),
    SecurityWatch(
        "ConfigChanges",
        "AWS Config recording or delivery was changed or stopped (CIS; Security Hub CloudWatch.9)",
        _events(
            "config.amazonaws.com",
            (
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ),
        ),
    ),
    SecurityWatch(
        "SecurityGroupChanges",
        "Security group rules changed (CIS; Security Hub CloudWatch.10)",
        _events(
            None,
            (
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "ModifySecurityGroupRules",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ),
        ),
    ),
    SecurityWatch(
        "NetworkAclChanges",
        "Network ACLs changed (CIS; Security Hub CloudWatch.11)",
        _events(
            None,
            (
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ),
        ),
    ),
    SecurityWatch(
        "NetworkGatewayChanges",
        "Internet, NAT or customer gateways changed: this baseline has none (CIS; Security Hub CloudWatch.12)",
        _events(
            None,
            (
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
                "CreateEgressOnlyInternetGateway",
                "CreateNatGateway",
                "DeleteNatGateway",
            ),
        ),
    ),
    SecurityWatch(
        "RouteTableChanges",
        "Route tables changed (CIS; Security Hub CloudWatch.13)",
        _events(
            "ec2.amazonaws.com",
            (
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ),
        ),
    ),
    SecurityWatch(
        "VpcChanges",
        "VPCs, peering connections or VPC endpoints changed (CIS; Security Hub CloudWatch.14)",
        _events(
            None,
            (
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "CreateVpcEndpoint",
                "ModifyVpcEndpoint",
                "DeleteVpcEndpoints",
            ),
        ),
    ),
    SecurityWatch(
        "GuardDutyChanges",
        "GuardDuty detection or malware protection was changed or removed",
        _events(
            "guardduty.amazonaws.com",
            (
                "DeleteDetector",
                "UpdateDetector",
                "DisassociateFromAdministratorAccount",
                "DisassociateFromMasterAccount",
                "DeleteMalwareProtectionPlan",
                "UpdateMalwareProtectionPlan",
            ),
        ),
    ),
    SecurityWatch(
        "SageMakerChanges",
        "SageMaker endpoints, models, domains, user profiles or notebook instances were changed or deleted",
        _events(
            "sagemaker.amazonaws.com",
            (
                "UpdateEndpoint",
                "UpdateEndpointWeightsAndCapacities",
                "DeleteEndpoint",
                "DeleteEndpointConfig",
                "DeleteModel",
                "DeleteModelPackage",
                "UpdateDomain",
                "DeleteDomain",
                "UpdateUserProfile",
                "DeleteUserProfile",
                "UpdateNotebookInstance",
                "DeleteNotebookInstance",
                "UpdateNotebookInstanceLifecycleConfig",
            ),
        ),
    ),
    # A presigned Studio or notebook URL is created at every sign-in, so only the refused ones are
    # watched: the guardrails refuse a URL for someone else's profile or notebook instance.
    SecurityWatch(
        "SageMakerPresignedUrlRefused",
        "A presigned Studio or notebook URL was refused: someone tried to open another person's profile or instance",
        "{ ($.eventSource = sagemaker.amazonaws.com) && (($.eventName = CreatePresignedDomainUrl) || "
        '($.eventName = CreatePresignedNotebookInstanceUrl)) && (($.errorCode = "AccessDenied*") || '
        '($.errorCode = "*UnauthorizedOperation")) }',
    ),
    SecurityWatch(
        "SageMakerAccessPathChanges",
        "SageMaker lifecycle configurations (which run as root), user profiles or spaces were created or changed",
        _events(
            "sagemaker.amazonaws.com",
            (
                "CreateStudioLifecycleConfig",
                "CreateNotebookInstanceLifecycleConfig",
                "CreateUserProfile",
                "UpdateSpace",
            ),
        ),
    ),
    SecurityWatch(
        "KmsKeyPolicyChanges",
        "A key policy was replaced or an alias repointed or deleted (an alias can redirect encryption to another key)",
        _events("kms.amazonaws.com", ("PutKeyPolicy", "UpdateAlias", "DeleteAlias")),
    ),
    SecurityWatch(
        "IamTrustAndCredentialChanges",
        "A role's trust policy changed, a permissions boundary was removed, or long-term credentials were created",
        _events(
            "iam.amazonaws.com",
            (
                "UpdateAssumeRolePolicy",
                "DeleteRolePermissionsBoundary",
                "DeleteUserPermissionsBoundary",
                "CreateAccessKey",
                "CreateLoginProfile",
                "UpdateLoginProfile",
            ),
        ),
    ),
    SecurityWatch(
        "MonitoringTampering",
        "Log groups, metric filters, alarms or alert subscriptions were deleted or disabled",
        _events(
            None,
            (
                "DeleteLogGroup",
                "DeleteMetricFilter",
                "DeleteSubscriptionFilter",
                "DisassociateKmsKey",
                "DeleteAlarms",
                "DisableAlarmActions",
                "Unsubscribe",
                "DeleteTopic",
            ),
        ),
    ),
    SecurityWatch(
        "EdgeProtectionChanges",
        "The web ACL, its rules or logging, or the API (its policy, methods, authorizers, stages, logging role) changed",
        _events(
            None,
            (
                "UpdateWebACL",
                "DeleteWebACL",
                "DisassociateWebACL",
                "DeleteLoggingConfiguration",
                "PutLoggingConfiguration",
                "UpdateIPSet",
                "UpdateRuleGroup",
                "UpdateRegexPatternSet",
                "UpdateRestApi",
                "PutRestApi",
                "DeleteRestApi",
                "PutMethod",
                "UpdateMethod",
                "DeleteMethod",
                "UpdateAuthorizer",
                "DeleteAuthorizer",
                "UpdateStage",
                "DeleteStage",
                "UpdateAccount",
            ),
        ),
    ),
    SecurityWatch(
        "DnsFirewallChanges",
        "The DNS firewall's rules, domain lists, association or query logging changed",
        _events(
            "route53resolver.amazonaws.com",
            (
                "CreateFirewallRule",
                "UpdateFirewallRule",
                "DeleteFirewallRule",
                "UpdateFirewallDomains",
                "ImportFirewallDomains",
                "DeleteFirewallDomainList",
                "DisassociateFirewallRuleGroup",
                "UpdateFirewallRuleGroupAssociation",
                "UpdateFirewallConfig",
                "DisassociateResolverQueryLogConfig",
                "DeleteResolverQueryLogConfig",
            ),
        ),
    ),
    # SageMaker, EBS and other services create grants for their callers all the time, with the
    # service in userIdentity.invokedBy (kms:GrantIsForAWSResource); a grant made directly is how
    # someone hands a principal kms:Decrypt without touching the key policy.
    SecurityWatch(
        "KmsGrantsCreatedDirectly",
        "A KMS grant was created by a principal rather than by an AWS service acting for it",
        "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = CreateGrant) && ($.userIdentity.invokedBy NOT EXISTS) }",
    ),
)
