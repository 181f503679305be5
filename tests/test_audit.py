"""Audit constructs over one synthesized stack: alert topic, trail and alarms, GuardDuty, Config rules.

One module-scoped synth holds every construct with the four stock cdk-nag packs; a few variants
(organization trail, existing detector, rules without a recorder) use cheaper single-stack
templates. Bad input fails at construct time and needs no synth.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as sns_subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match, Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.acknowledgments import acknowledge
from secure_sagemaker.audit import (
    DEFAULT_RULES,
    MANAGED_RULES,
    SECURITY_WATCHES,
    AlertTopic,
    AuditTrail,
    ComplianceRules,
    ThreatDetection,
)
from secure_sagemaker.audit.alerts import NO_SUBSCRIBER_WARNING
from secure_sagemaker.audit.watches import MAX_FILTER_PATTERN_LENGTH
from secure_sagemaker.encryption import KeyRing, new_customer_managed_key
from secure_sagemaker.identity import S3Prefix
from secure_sagemaker.storage import AccessLogBucket, SecureBucket
from tests.helpers import CfnLint, logical_id, new_app, new_stack, props, resources, synth_with_stock_packs

ACCOUNT = {"Ref": "AWS::AccountId"}
REGION = {"Ref": "AWS::Region"}
PARTITION = {"Ref": "AWS::Partition"}
STOCK_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
REPLICATION = [f"{pack}-S3BucketReplicationEnabled" for pack in STOCK_PACKS[1:]]
# What the baseline acknowledges on its own buckets; here it stands in for the baseline so that
# the test can require zero unacknowledged findings.
REPLICATION_REASON = (
    "Stands in for the baseline's acknowledgment: cross-Region replication is a disaster-recovery "
    "choice that needs a second Region this single-Region test stack does not own."
)


def arn_join(*parts: Any) -> dict:
    return {"Fn::Join": ["", ["arn:", PARTITION, *parts]]}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


# --- the one synth ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("audit")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    access_logs = AccessLogBucket(stack, "AccessLogs")
    data = SecureBucket(stack, "Data", encryption_key=keys.data_key, access_log_bucket=access_logs.bucket)
    models = SecureBucket(stack, "Models", encryption_key=keys.models_key, access_log_bucket=access_logs.bucket)
    alerts = AlertTopic(stack, "Alerts", keys=keys, email="security-team@example.com")
    trail = AuditTrail(
        stack,
        "Trail",
        keys=keys,
        alert_topic=alerts.topic,
        access_log_bucket=access_logs.bucket,
        data_event_buckets=[data, models.bucket],
    )
    threats = ThreatDetection(
        stack,
        "Threats",
        alert_topic=alerts.topic,
        finding_publishing_frequency="ONE_HOUR",
        min_severity=7,
        malware_scan_buckets=[data],
    )
    compliance = ComplianceRules(
        stack, "Compliance", create_recorder=True, keys=keys, access_log_bucket=access_logs.bucket
    )
    for bucket in (access_logs.bucket, data.bucket, models.bucket, trail.bucket.bucket, compliance.bucket.bucket):
        acknowledge(bucket, REPLICATION, REPLICATION_REASON)
    ids = {
        "trail": logical_id(trail.trail),
        "trail_bucket": logical_id(trail.bucket.bucket),
        "trail_bucket_policy": logical_id(trail.bucket.bucket.policy),
        "log_group": logical_id(trail.log_group),
        "audit_key": logical_id(keys.key("audit")),
        "alerts_key": logical_id(keys.key("alerts")),
        "logs_key": logical_id(keys.logs_key),
        "data_key": logical_id(keys.data_key),
        "topic": logical_id(alerts.topic),
        "data": logical_id(data.bucket),
        "models": logical_id(models.bucket),
        "config_bucket": logical_id(compliance.bucket.bucket),
        "recorder": logical_id(compliance.recorder),
        "delivery_channel": logical_id(compliance.delivery_channel),
        "detector": logical_id(threats.detector),
        "findings_rule": logical_id(threats.findings_rule),
    }
    error = synth_with_stock_packs(app)
    assert error is None, error  # ValidationFailed: an unacknowledged error finding
    return {
        "template": json.loads((Path(outdir) / "Test.template.json").read_text()),
        "report": json.loads((Path(outdir) / "validation-report.json").read_text()),
        "path": Path(outdir) / "Test.template.json",
        "cfn_lint": CfnLint(Path(outdir) / "Test.template.json"),
        "ids": ids,
        "trail_name": trail.trail_name,
    }


def key_statements(template: dict, logical: str) -> dict[str, dict]:
    return {s.get("Sid"): s for s in props(template, logical)["KeyPolicy"]["Statement"]}


def trail_arn(name: str) -> dict:
    return arn_join(":cloudtrail:", REGION, ":", ACCOUNT, f":trail/{name}")


# --- the stock packs ---------------------------------------------------------------------------


def test_stock_packs_leave_only_what_the_baseline_must_acknowledge(synth):
    findings = {
        (kind, v["ruleName"], c["constructPath"])
        for plugin in synth["report"]["pluginReports"]
        for kind in ("violations", "suppressedViolations")
        for v in plugin.get(kind, [])
        for c in v["violatingConstructs"]
    }
    assert {f for f in findings if f[0] == "violations"} == set()
    # The constructs acknowledge only what is inherent to them: wildcards that name objects or
    # streams AWS services create, and the AWS-managed policy AWS Config is documented to use.
    own = {
        (rule, path)
        for kind, rule, path in findings
        if kind == "suppressedViolations" and not path.startswith("Test/AccessLogs/") and "Replication" not in rule
    }
    assert own == {
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
            f"<{synth['ids']['log_group']}>:log-stream:<AWS::AccountId>_CloudTrail_*]",
            "Test/Trail/LogsPolicy/Resource",
        ),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:"
            "rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*]",
            "Test/Threats/MalwareProtectionPolicy/Resource",
        ),
        (
            f"AwsSolutions-IAM5[Resource::<{synth['ids']['data']}.Arn>/*]",
            "Test/Threats/MalwareProtectionPolicy/Resource",
        ),
        (
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]",
            "Test/Compliance/Role/Resource",
        ),
        (
            f"AwsSolutions-IAM5[Resource::<{synth['ids']['config_bucket']}.Arn>/AWSLogs/<AWS::AccountId>/Config/*]",
            "Test/Compliance/DeliveryPolicy/Resource",
        ),
    }
    # The audit buckets need the baseline's replication acknowledgment, like its other buckets.
    replication = {(rule, path) for kind, rule, path in findings if "Replication" in rule}
    assert {path for _, path in replication} >= {
        "Test/Trail/Bucket/Bucket/Resource",
        "Test/Compliance/Bucket/Bucket/Resource",
    }
    assert {rule for rule, _ in replication} == set(REPLICATION)


# --- alert topic -------------------------------------------------------------------------------


def test_topic_is_encrypted_with_the_alerts_key(template, ids):
    assert props(template, ids["topic"])["KmsMasterKeyId"] == {"Fn::GetAtt": [ids["alerts_key"], "Arn"]}
    aliases = {a["Properties"]["AliasName"] for a in resources(template, "AWS::KMS::Alias").values()}
    assert {"alias/Test/alerts", "alias/Test/audit"} <= aliases


def test_topic_policy_requires_tls_and_admits_only_the_publishing_services(template, ids):
    (policy,) = resources(template, "AWS::SNS::TopicPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "AllowPublishThroughSSLOnly",
        "CloudWatchAlarmsOfThisAccount",
        "EventBridgeRulesOfThisAccount",
    }
    tls = statements["AllowPublishThroughSSLOnly"]
    assert (tls["Effect"], tls["Principal"], tls["Condition"]) == (
        "Deny",
        "*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    for sid, service, source in (
        (
            "CloudWatchAlarmsOfThisAccount",
            "cloudwatch.amazonaws.com",
            arn_join(":cloudwatch:", REGION, ":", ACCOUNT, ":alarm:*"),
        ),
        (
            "EventBridgeRulesOfThisAccount",
            "events.amazonaws.com",
            arn_join(":events:", REGION, ":", ACCOUNT, ":rule/*"),
        ),
    ):
        statement = statements[sid]
        assert statement["Principal"] == {"Service": service}
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == {"Ref": ids["topic"]}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": source},
        }


def test_alerts_key_admits_the_publishers_with_conditions(template, ids):
    statements = key_statements(template, ids["alerts_key"])
    assert set(statements) == {
        "KeyAdministration",
        "UseThroughAwsServices",
        "GrantsForAwsResources",
        "CloudWatchAlarmsOfThisAccount",
        "EventBridgeForTopicsOfThisAccount",
    }
    cloudwatch = statements["CloudWatchAlarmsOfThisAccount"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": arn_join(":cloudwatch:", REGION, ":", ACCOUNT, ":alarm:*")},
    }
    # aws:SourceAccount/aws:SourceArn are not supported for EventBridge-to-encrypted-topic delivery.
    events = statements["EventBridgeForTopicsOfThisAccount"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert set(events["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert events["Condition"] == {
        "StringLike": {"kms:EncryptionContext:aws:sns:topicArn": arn_join(":sns:", REGION, ":", ACCOUNT, ":*")}
    }


def test_email_subscription(template, ids):
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Endpoint": "security-team@example.com",
        "Protocol": "email",
        "TopicArn": {"Ref": ids["topic"]},
    }


# --- the no-subscriber reminder ---------------------------------------------------------------------


def _no_subscriber_warnings(alerts: AlertTopic) -> list:
    stack = cdk.Stack.of(alerts)
    return Annotations.from_stack(stack).find_warning(
        f"/{stack.stack_name}/{alerts.node.id}", Match.string_like_regexp("Nobody is subscribed")
    )


def _subscribed_in_another_stack(stack: cdk.Stack) -> AlertTopic:
    alerts = AlertTopic(stack, "Alerts")
    responders = cdk.Stack(stack.node.scope, "Responders")
    sns.Subscription(
        responders,
        "Pager",
        topic=alerts.topic,
        protocol=sns.SubscriptionProtocol.HTTPS,
        endpoint="https://pager.example.com",
    )
    return alerts


def _with(value: Any, change: Any) -> Any:
    change(value)
    return value


@pytest.mark.parametrize(
    "make, warned",
    [
        (lambda stack: AlertTopic(stack, "Alerts"), True),
        (lambda stack: AlertTopic(stack, "Alerts", email="security-team@example.com"), False),
        (
            lambda stack: _with(
                AlertTopic(stack, "Alerts"),
                lambda a: a.topic.add_subscription(sns_subscriptions.SqsSubscription(sqs.Queue(stack, "Queue"))),
            ),
            False,
        ),
        (_subscribed_in_another_stack, False),
        (
            # a subscription to another topic does not count
            lambda stack: _with(
                AlertTopic(stack, "Alerts"),
                lambda _: sns.Topic(stack, "Other").add_subscription(
                    sns_subscriptions.SqsSubscription(sqs.Queue(stack, "Queue"))
                ),
            ),
            True,
        ),
    ],
    ids=["none", "email", "add_subscription", "cross-stack", "another-topic"],
)
def test_a_topic_without_a_subscriber_warns_at_synth(make, warned):
    alerts = make(new_stack())
    warnings = _no_subscriber_warnings(alerts)
    assert bool(warnings) is warned
    if warned:
        assert f"[ack: {NO_SUBSCRIBER_WARNING}]" in warnings[0].entry.data


def test_the_no_subscriber_warning_can_be_acknowledged_where_the_topic_is_subscribed_elsewhere():
    alerts = AlertTopic(new_stack(), "Alerts")
    cdk.Annotations.of(alerts).acknowledge_warning(NO_SUBSCRIBER_WARNING, "Subscribed by the SOC's own stack set")
    assert _no_subscriber_warnings(alerts) == []


def test_the_id_cdk_prints_acknowledges_it_and_no_pack_objects(tmp_path):
    """`cdk synth` says "Acknowledge with 'Annotation::<id>'": that acknowledgment works too."""
    from secure_sagemaker.nag import add_all_packs

    app = new_app(tmp_path)
    alerts = AlertTopic(cdk.Stack(app, "Test"), "Alerts")
    cdk.Validations.of(alerts).acknowledge(
        cdk.Acknowledgment(id=f"Annotation::{NO_SUBSCRIBER_WARNING}", reason="Subscribed by the SOC's own stack set")
    )
    add_all_packs(app)
    app.synth()
    report = tmp_path / "validation-report.json"
    plugins = json.loads(report.read_text())["pluginReports"] if report.exists() else []
    assert [v for p in plugins for v in p["violations"]] == []


def test_the_warning_is_a_reminder_that_does_not_fail_synth_with_every_pack(tmp_path):
    from secure_sagemaker.nag import add_all_packs
    from secure_sagemaker.reminders import is_reminder

    app = new_app(tmp_path)
    AlertTopic(cdk.Stack(app, "Test"), "Alerts")
    add_all_packs(app)
    app.synth()  # raises ValidationFailed on an error finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    violations = [(p["pluginName"], v) for p in report["pluginReports"] for v in p["violations"]]
    assert [(name, v["ruleName"], v["severity"]) for name, v in violations] == [
        ("Construct Annotations", f"Annotation::{NO_SUBSCRIBER_WARNING}", "warning")
    ]
    assert all(is_reminder(name, v) for name, v in violations)


# --- trail ---------------------------------------------------------------------------------------


def test_trail_flags(template, ids, synth):
    trail = props(template, ids["trail"])
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["EnableLogFileValidation"] is True
    assert trail["IsLogging"] is True
    assert trail["KMSKeyId"] == {"Fn::GetAtt": [ids["audit_key"], "Arn"]}
    assert trail["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [ids["log_group"], "Arn"]}
    assert trail["S3BucketName"] == {"Ref": ids["trail_bucket"]}
    assert trail["TrailName"] == synth["trail_name"] == "Test-Trail-EB4DF840"
    assert "IsOrganizationTrail" not in trail
    assert set(template["Resources"][ids["trail"]]["DependsOn"]) >= {ids["trail_bucket_policy"]}


def test_data_event_selectors(template, ids):
    management, data = props(template, ids["trail"])["EventSelectors"]
    assert management == {"IncludeManagementEvents": True, "ReadWriteType": "All"}
    assert data["IncludeManagementEvents"] is False
    assert data["ReadWriteType"] == "WriteOnly"
    assert data["DataResources"] == [
        {
            "Type": "AWS::S3::Object",
            "Values": [{"Fn::Join": ["", [{"Fn::GetAtt": [b, "Arn"]}, "/"]]} for b in (ids["data"], ids["models"])],
        }
    ]


def test_audit_key_admits_only_this_trail(template, ids, synth):
    statements = key_statements(template, ids["audit_key"])
    (encrypt,) = [s for sid, s in statements.items() if sid.startswith("CloudTrailEncryptsLogsOf")]
    (describe,) = [s for sid, s in statements.items() if sid.startswith("CloudTrailDescribesKeyFor")]
    this_trail = trail_arn(synth["trail_name"])
    assert encrypt["Principal"] == describe["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": this_trail},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": arn_join(":cloudtrail:*:", ACCOUNT, ":trail/*")},
    }
    assert describe["Action"] == "kms:DescribeKey"
    assert describe["Condition"] == {"StringEquals": {"aws:SourceArn": this_trail}}
    via_s3 = statements["UseThroughAwsServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via_s3 == [{"Fn::Join": ["", ["s3.", REGION, ".", {"Ref": "AWS::URLSuffix"}]]}]


def test_trail_bucket_policy_admits_only_this_trail(template, ids, synth):
    statements = {s.get("Sid"): s for s in props(template, ids["trail_bucket_policy"])["PolicyDocument"]["Statement"]}
    this_trail = trail_arn(synth["trail_name"])
    acl = statements["CloudTrailAclCheck"]
    assert (acl["Principal"], acl["Action"]) == ({"Service": "cloudtrail.amazonaws.com"}, "s3:GetBucketAcl")
    assert acl["Resource"] == {"Fn::GetAtt": [ids["trail_bucket"], "Arn"]}
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": this_trail}}
    write = statements["CloudTrailWrite"]
    assert (write["Principal"], write["Action"]) == ({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject")
    assert write["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [ids["trail_bucket"], "Arn"]}, "/AWSLogs/", ACCOUNT, "/*"]]
    }
    assert write["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": this_trail}
    }
    # No statement admits CloudTrail without the trail condition.
    for statement in statements.values():
        if statement["Effect"] == "Allow":
            assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == this_trail
    # SecureBucket's denials stay, and the bucket's key is the trail's key, so CloudTrail's writes pass.
    other_key = statements["DenyUploadsWithOtherKmsKey"]["Condition"]["StringNotEqualsIfExists"]
    assert other_key == {"s3:x-amz-server-side-encryption-aws-kms-key-id": {"Fn::GetAtt": [ids["audit_key"], "Arn"]}}
    assert {"DenyUploadsWithOtherEncryption"} <= set(statements)


def test_trail_bucket_encrypts_every_object_under_cloudtrails_context(template, ids):
    (rule,) = props(template, ids["trail_bucket"])["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["BucketKeyEnabled"] is False
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [ids["audit_key"], "Arn"]},
    }
    assert template["Resources"][ids["trail_bucket"]]["DeletionPolicy"] == "RetainExceptOnCreate"


def test_log_group_is_encrypted_retained_and_kept_a_year(template, ids):
    group = template["Resources"][ids["log_group"]]
    assert group["Properties"] == {"KmsKeyId": {"Fn::GetAtt": [ids["logs_key"], "Arn"]}, "RetentionInDays": 365}
    assert group["DeletionPolicy"] == "RetainExceptOnCreate"


def test_logs_role_writes_only_cloudtrail_streams_of_the_group(template, ids):
    trail = props(template, ids["trail"])
    role_id = trail["CloudWatchLogsRoleArn"]["Fn::GetAtt"][0]
    trust = props(template, role_id)["AssumeRolePolicyDocument"]["Statement"]
    assert [(s["Principal"], s["Action"]) for s in trust] == [
        ({"Service": "cloudtrail.amazonaws.com"}, "sts:AssumeRole")
    ]
    (policy,) = [
        p
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement["Resource"] == arn_join(
        ":logs:",
        REGION,
        ":",
        ACCOUNT,
        ":log-group:",
        {"Ref": ids["log_group"]},
        ":log-stream:",
        ACCOUNT,
        "_CloudTrail_*",
    )


def _filters_and_alarms(template: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    filters = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]
        for f in resources(template, "AWS::Logs::MetricFilter").values()
    }
    alarms = {
        a["Properties"]["MetricName"]: a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }
    return filters, alarms


def test_one_metric_filter_per_watch_with_its_pattern(template, ids):
    filters, _ = _filters_and_alarms(template)
    assert set(filters) == {w.name for w in SECURITY_WATCHES}
    for watch in SECURITY_WATCHES:
        metric_filter = filters[watch.name]
        assert metric_filter["FilterPattern"] == watch.pattern
        assert metric_filter["LogGroupName"] == {"Ref": ids["log_group"]}
        assert metric_filter["MetricTransformations"] == [
            {"MetricName": watch.name, "MetricNamespace": "SecureSageMaker/CloudTrail", "MetricValue": "1"}
        ]


def test_each_alarm_fires_on_one_event_and_notifies_the_topic(template, ids):
    filters, alarms = _filters_and_alarms(template)
    assert set(alarms) == set(filters)
    for alarm in alarms.values():
        assert alarm["Namespace"] == "SecureSageMaker/CloudTrail"
        assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [{"Ref": ids["topic"]}]


WATCHED_EVENTS = {
    "UnauthorizedApiCalls": ['"*UnauthorizedOperation"', '"AccessDenied*"'],
    "RootAccountUse": ['$.userIdentity.type = "Root"', "$.userIdentity.invokedBy NOT EXISTS"],
    "ConsoleSignInWithoutMfa": ['$.additionalEventData.MFAUsed != "Yes"'],
    "IamPolicyChanges": ["PutRolePolicy", "AttachRolePolicy", "CreatePolicyVersion", "DeleteUserPolicy"],
    "CloudTrailChanges": ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"],
    "KmsKeyDisabledOrScheduledForDeletion": ["$.eventSource = kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion"],
    "S3BucketPolicyChanges": [
        "$.eventSource = s3.amazonaws.com",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutBucketVersioning",
    ],
    "ConfigChanges": ["StopConfigurationRecorder", "DeleteDeliveryChannel"],
    "SecurityGroupChanges": ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupEgress", "DeleteSecurityGroup"],
    "NetworkAclChanges": ["CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"],
    "NetworkGatewayChanges": ["AttachInternetGateway", "CreateNatGateway", "CreateCustomerGateway"],
    "RouteTableChanges": ["$.eventSource = ec2.amazonaws.com", "CreateRoute", "DisassociateRouteTable"],
    "VpcChanges": ["CreateVpcPeeringConnection", "ModifyVpcAttribute", "DeleteVpcEndpoints"],
    "GuardDutyChanges": ["$.eventSource = guardduty.amazonaws.com", "DeleteDetector", "UpdateDetector"],
    "SageMakerChanges": [
        "$.eventSource = sagemaker.amazonaws.com",
        "UpdateEndpoint",
        "DeleteEndpoint",
        "DeleteModel",
        "DeleteDomain",
        "UpdateDomain",
        "UpdateNotebookInstance",
    ],
    "SageMakerPresignedUrlRefused": [
        "$.eventSource = sagemaker.amazonaws.com",
        "CreatePresignedDomainUrl",
        "CreatePresignedNotebookInstanceUrl",
        '($.errorCode = "AccessDenied*")',
    ],
    "SageMakerAccessPathChanges": [
        "$.eventSource = sagemaker.amazonaws.com",
        "CreateStudioLifecycleConfig",
        "CreateNotebookInstanceLifecycleConfig",
        "CreateUserProfile",
        "UpdateSpace",
    ],
    "KmsKeyPolicyChanges": ["$.eventSource = kms.amazonaws.com", "PutKeyPolicy", "UpdateAlias", "DeleteAlias"],
    "IamTrustAndCredentialChanges": [
        "$.eventSource = iam.amazonaws.com",
        "UpdateAssumeRolePolicy",
        "CreateAccessKey",
        "DeleteRolePermissionsBoundary",
    ],
    "MonitoringTampering": [
        "DeleteLogGroup",
        "DeleteMetricFilter",
        "DeleteAlarms",
        "DisableAlarmActions",
        "Unsubscribe",
        "DeleteTopic",
    ],
    "EdgeProtectionChanges": [
        "UpdateWebACL",
        "DisassociateWebACL",
        "DeleteLoggingConfiguration",
        "UpdateIPSet",
        "UpdateRestApi",
        "UpdateMethod",
        "DeleteAuthorizer",
        "UpdateStage",
        "UpdateAccount",
    ],
    "DnsFirewallChanges": [
        "$.eventSource = route53resolver.amazonaws.com",
        "CreateFirewallRule",
        "UpdateFirewallDomains",
        "DisassociateFirewallRuleGroup",
        "UpdateFirewallConfig",
        "DisassociateResolverQueryLogConfig",
    ],
    "KmsGrantsCreatedDirectly": [
        "$.eventSource = kms.amazonaws.com",
        "CreateGrant",
        "$.userIdentity.invokedBy NOT EXISTS",
    ],
}


@pytest.mark.parametrize("watch", SECURITY_WATCHES, ids=lambda w: w.name)
def test_watch_patterns_are_well_formed_and_catch_their_events(watch):
    assert set(WATCHED_EVENTS) == {w.name for w in SECURITY_WATCHES}
    pattern = watch.pattern
    assert len(pattern) <= MAX_FILTER_PATTERN_LENGTH == 1024, "CloudWatch Logs rejects longer filter patterns"
    assert pattern.startswith("{ ") and pattern.endswith(" }")
    depth = 0
    for char in pattern:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    for needle in WATCHED_EVENTS[watch.name]:
        # A bare name is an event name, matched exactly; anything else is a fragment of the pattern.
        expected = f"($.eventName = {needle})" if re.fullmatch(r"[A-Za-z0-9]+", needle) else needle
        assert expected in pattern, expected


# --- GuardDuty -----------------------------------------------------------------------------------


def test_detector_has_s3_protection_and_the_frequency(template, ids):
    detector = template["Resources"][ids["detector"]]
    assert detector["Properties"] == {
        "Enable": True,
        "FindingPublishingFrequency": "ONE_HOUR",
        "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}],
    }
    assert "DataSources" not in detector["Properties"]
    assert detector["DeletionPolicy"] == "RetainExceptOnCreate"


def test_findings_rule_forwards_findings_at_or_above_the_severity(template, ids):
    rule = props(template, ids["findings_rule"])
    assert rule["EventPattern"] == {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 7]}]},
    }
    assert rule["State"] == "ENABLED"
    assert [t["Arn"] for t in rule["Targets"]] == [{"Ref": ids["topic"]}]
    assert all("RoleArn" not in t for t in rule["Targets"])


def test_malware_protection_plan_scans_and_tags_the_named_bucket(template, ids):
    (plan,) = resources(template, "AWS::GuardDuty::MalwareProtectionPlan").values()
    assert plan["Properties"]["ProtectedResource"] == {"S3Bucket": {"BucketName": {"Ref": ids["data"]}}}
    assert plan["Properties"]["Actions"] == {"Tagging": {"Status": "ENABLED"}}
    role_id = plan["Properties"]["Role"]["Fn::GetAtt"][0]
    trust = props(template, role_id)["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "malware-protection-plan.guardduty.amazonaws.com"}]
    (policy_id,) = plan["DependsOn"]
    statements = {s["Sid"]: s for s in props(template, policy_id)["PolicyDocument"]["Statement"]}
    assert statements["AllowMalwareScan"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [ids["data"], "Arn"]}, "/*"]]
    }
    assert statements["AllowDecryptForMalwareScan"]["Resource"] == {"Fn::GetAtt": [ids["data_key"], "Arn"]}
    assert statements["AllowDecryptForMalwareScan"]["Condition"] == {
        "StringLike": {"kms:ViaService": {"Fn::Join": ["", ["s3.", REGION, ".", {"Ref": "AWS::URLSuffix"}]]}}
    }
    assert statements["AllowManagedRuleToSendS3EventsToGuardDuty"]["Condition"] == {
        "StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}
    }


# --- Config --------------------------------------------------------------------------------------


def test_config_rules_are_the_default_managed_rules(template, ids):
    rules = resources(template, "AWS::Config::ConfigRule").values()
    assert sorted(r["Properties"]["Source"]["SourceIdentifier"] for r in rules) == sorted(DEFAULT_RULES)
    for rule in rules:
        assert rule["Properties"]["Source"]["Owner"] == "AWS"
        assert set(rule["DependsOn"]) == {ids["recorder"], ids["delivery_channel"]}


def test_default_rule_list_is_pinned(snapshot):
    # Every identifier below was looked up (see MANAGED_RULES[...].verified_in); do not add one
    # from memory.
    # The list is the snapshot in __snapshots__/test_audit.ambr; update it deliberately.
    assert list(DEFAULT_RULES) == snapshot
    assert set(DEFAULT_RULES) <= set(MANAGED_RULES)
    for identifier, info in MANAGED_RULES.items():
        assert re.fullmatch(r"[A-Z0-9]+(_[A-Z0-9]+)*", identifier)
        assert info.identifier == identifier and info.verified_in
        assert info.url.startswith("https://docs.aws.amazon.com/config/latest/developerguide/")
    assert MANAGED_RULES["MULTI_REGION_CLOUD_TRAIL_ENABLED"].name == "multi-region-cloudtrail-enabled"


def test_recorder_records_everything_and_delivers_encrypted(template, ids):
    recorder = props(template, ids["recorder"])
    assert recorder["RecordingGroup"] == {"AllSupported": True, "IncludeGlobalResourceTypes": True}
    channel = props(template, ids["delivery_channel"])
    assert channel["S3BucketName"] == {"Ref": ids["config_bucket"]}
    assert channel["S3KmsKeyArn"] == {"Fn::GetAtt": [ids["audit_key"], "Arn"]}
    assert channel["ConfigSnapshotDeliveryProperties"] == {"DeliveryFrequency": "TwentyFour_Hours"}
    role_id = recorder["RoleARN"]["Fn::GetAtt"][0]
    role = props(template, role_id)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "config.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": arn_join(":config:", REGION, ":", ACCOUNT, ":*")},
    }
    assert role["ManagedPolicyArns"] == [arn_join(":iam::aws:policy/service-role/AWS_ConfigRole")]
    (delivery,) = [
        p
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]
    statements = {s["Sid"]: s for s in delivery["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["DeliverSnapshots"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [ids["config_bucket"], "Arn"]}, "/AWSLogs/", ACCOUNT, "/Config/*"]]
    }
    assert statements["DeliverSnapshots"]["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}
    }
    assert statements["EncryptSnapshots"]["Resource"] == {"Fn::GetAtt": [ids["audit_key"], "Arn"]}


# --- variants ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def variants() -> dict[str, Any]:
    """Organization trail (ALL data events, explicit keys, no alarms), existing detector, rules only."""
    stack = new_stack()
    audit_key = new_customer_managed_key(stack, "AuditKey", description="audit", via_services=["s3"])
    keys = KeyRing(stack, "Keys")
    bucket = s3.Bucket(stack, "Data")
    trail = AuditTrail(
        stack,
        "OrgTrail",
        encryption_key=audit_key,
        logs_key=keys.logs_key,
        trail_name="org-audit",
        organization_trail=True,
        organization_id="o-a1b2c3d4e5",
        data_event_buckets=[bucket],
        data_events=cloudtrail.ReadWriteType.ALL,
        log_retention=cdk.aws_logs.RetentionDays.TEN_YEARS,
    )
    topic = AlertTopic(stack, "Alerts")
    shared = AlertTopic(stack, "MoreAlerts", encryption_key=topic.key)
    ThreatDetection(stack, "Threats", alert_topic=topic.topic, use_existing_detector=True)
    compliance = ComplianceRules(
        stack,
        "Rules",
        exclude_rules=["SAGEMAKER_MODEL_IN_VPC", "SAGEMAKER_MODEL_ISOLATION_ENABLED"],
        additional_rules=["S3_BUCKET_LOGGING_ENABLED"],
        rule_parameters={"GUARDDUTY_ENABLED_CENTRALIZED": {"CentralMonitoringAccount": "111122223333"}},
    )
    return {
        "template": Template.from_stack(stack).to_json(),
        "trail": trail,
        "topic": topic,
        "shared": shared,
        "compliance": compliance,
        "ids": {
            "audit_key": logical_id(audit_key),
            "topic_key": logical_id(topic.key),
            "trail": logical_id(trail.trail),
        },
    }


def test_organization_trail_admits_member_account_logs(variants):
    template, ids = variants["template"], variants["ids"]
    trail = props(template, ids["trail"])
    assert trail["IsOrganizationTrail"] is True
    assert trail["TrailName"] == "org-audit"
    assert trail["EventSelectors"][1]["ReadWriteType"] == "All"
    (policy,) = [p for p in resources(template, "AWS::S3::BucketPolicy").values() if "CloudTrailWrite" in json.dumps(p)]
    (write,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "CloudTrailWrite"]
    prefixes = [r["Fn::Join"][1][1:] for r in write["Resource"]]
    assert prefixes == [["/AWSLogs/", ACCOUNT, "/*"], ["/AWSLogs/o-a1b2c3d4e5/*"]]
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn("org-audit")
    streams = [
        p["Properties"]["PolicyDocument"]["Statement"][0]["Resource"]
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if "logs:PutLogEvents" in json.dumps(p)
    ]
    assert [s["Fn::Join"][1][-1] for s in streams[0]] == ["_CloudTrail_*", ":log-stream:o-a1b2c3d4e5_*"]
    assert any(
        s.get("Sid", "").startswith("CloudTrailEncryptsLogsOf")
        for s in key_statements(template, ids["audit_key"]).values()
    )
    groups = resources(template, "AWS::Logs::LogGroup")
    assert [g["Properties"]["RetentionInDays"] for g in groups.values()] == [3653]


def test_trail_without_topic_has_no_alarms(variants):
    assert variants["trail"].alarms == {}
    assert resources(variants["template"], "AWS::CloudWatch::Alarm") == {}
    assert resources(variants["template"], "AWS::Logs::MetricFilter") == {}


def test_existing_detector_mode_only_wires_the_alerts(variants):
    template = variants["template"]
    assert resources(template, "AWS::GuardDuty::Detector") == {}
    (rule,) = resources(template, "AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"]["detail"] == {"severity": [{"numeric": [">=", 4]}]}


def test_topic_without_keys_gets_its_own_key_and_a_shared_key_is_admitted_once(variants):
    template, ids = variants["template"], variants["ids"]
    topics = resources(template, "AWS::SNS::Topic")
    assert [t["Properties"]["KmsMasterKeyId"] for t in topics.values()] == [
        {"Fn::GetAtt": [ids["topic_key"], "Arn"]}
    ] * 2
    sids = [s.get("Sid") for s in props(template, ids["topic_key"])["KeyPolicy"]["Statement"]]
    assert sids.count("CloudWatchAlarmsOfThisAccount") == sids.count("EventBridgeForTopicsOfThisAccount") == 1
    assert resources(template, "AWS::SNS::Subscription") == {}


def test_rules_without_recorder_honour_exclusions_additions_and_parameters(variants):
    template = variants["template"]
    rules = {
        r["Properties"]["Source"]["SourceIdentifier"]: r
        for r in resources(template, "AWS::Config::ConfigRule").values()
    }
    expected = (set(DEFAULT_RULES) - {"SAGEMAKER_MODEL_IN_VPC", "SAGEMAKER_MODEL_ISOLATION_ENABLED"}) | {
        "S3_BUCKET_LOGGING_ENABLED"
    }
    assert set(rules) == expected
    assert (
        resources(template, "AWS::Config::ConfigurationRecorder")
        == resources(template, "AWS::Config::DeliveryChannel")
        == {}
    )
    assert rules["GUARDDUTY_ENABLED_CENTRALIZED"]["Properties"]["InputParameters"] == {
        "CentralMonitoringAccount": "111122223333"
    }
    assert all("DependsOn" not in r for r in rules.values())
    assert variants["compliance"].recorder is None and variants["compliance"].bucket is None


# --- bad input -----------------------------------------------------------------------------------


def _topic(stack: cdk.Stack) -> sns.Topic:
    return sns.Topic(stack, "Plain")


def _expect(error: pytest.ExceptionInfo, construct: str, prop: str) -> None:
    message = str(error.value)
    assert construct in message and f"{prop}=" in message and "Fix:" in message, message


@pytest.mark.parametrize("severity", [0.9, 0, -1, 10.1, 11, True, "7"])
def test_severity_outside_guardduty_range_fails(severity):
    stack = new_stack()
    with pytest.raises(PropError) as error:
        ThreatDetection(stack, "Threats", alert_topic=_topic(stack), min_severity=severity)
    _expect(error, "ThreatDetection(Test/Threats)", "min_severity")


@pytest.mark.parametrize("severity", [1, 1.0, 8.9, 9.5, 10])
def test_severity_within_range_is_accepted(severity):
    stack = new_stack()
    ThreatDetection(stack, "Threats", alert_topic=_topic(stack), min_severity=severity)


@pytest.mark.parametrize("frequency", ["15_MINUTES", "fifteen_minutes", "ONE_DAY", 15])
def test_bad_publishing_frequency_fails(frequency):
    stack = new_stack()
    with pytest.raises(PropError) as error:
        ThreatDetection(stack, "Threats", alert_topic=_topic(stack), finding_publishing_frequency=frequency)
    _expect(error, "ThreatDetection(Test/Threats)", "finding_publishing_frequency")


def test_frequency_with_existing_detector_fails():
    stack = new_stack()
    with pytest.raises(PropError, match="use_existing_detector"):
        ThreatDetection(
            stack,
            "Threats",
            alert_topic=_topic(stack),
            use_existing_detector=True,
            finding_publishing_frequency="ONE_HOUR",
        )


def test_threat_detection_needs_a_topic():
    with pytest.raises(PropError) as error:
        ThreatDetection(new_stack(), "Threats", alert_topic="arn:aws:sns:eu-west-1:111122223333:alerts")
    _expect(error, "ThreatDetection(Test/Threats)", "alert_topic")


def test_empty_data_event_bucket_list_fails():
    stack = new_stack()
    with pytest.raises(PropError) as error:
        AuditTrail(stack, "Trail", keys=KeyRing(stack, "Keys"), data_event_buckets=[])
    _expect(error, "AuditTrail(Test/Trail)", "data_event_buckets")
    assert "is empty" in str(error.value)


@pytest.mark.parametrize("kind", [cloudtrail.ReadWriteType.READ_ONLY, cloudtrail.ReadWriteType.NONE, "All"])
def test_data_events_other_than_write_only_or_all_fail(kind):
    stack = new_stack()
    with pytest.raises(PropError) as error:
        AuditTrail(
            stack, "Trail", keys=KeyRing(stack, "Keys"), data_event_buckets=[s3.Bucket(stack, "B")], data_events=kind
        )
    _expect(error, "AuditTrail(Test/Trail)", "data_events")


def test_organization_trail_without_organization_id_fails():
    stack = new_stack()
    with pytest.raises(PropError) as error:
        AuditTrail(stack, "Trail", keys=KeyRing(stack, "Keys"), organization_trail=True)
    _expect(error, "AuditTrail(Test/Trail)", "organization_id")


@pytest.mark.parametrize("org_trail, org_id", [(True, "a1b2c3d4e5"), (True, "o-ABC"), (False, "o-a1b2c3d4e5")])
def test_bad_organization_id_fails(org_trail, org_id):
    stack = new_stack()
    with pytest.raises(PropError) as error:
        AuditTrail(stack, "Trail", keys=KeyRing(stack, "Keys"), organization_trail=org_trail, organization_id=org_id)
    _expect(error, "AuditTrail(Test/Trail)", "organization_id")


@pytest.mark.parametrize("name", ["ab", "-trail", "trail-", "my--trail", "my trail", "a" * 129, "10.0.0.1"])
def test_bad_trail_name_fails(name):
    stack = new_stack()
    with pytest.raises(PropError) as error:
        AuditTrail(stack, "Trail", keys=KeyRing(stack, "Keys"), trail_name=name)
    _expect(error, "AuditTrail(Test/Trail)", "trail_name")


def test_trail_without_keys_fails_naming_the_fix():
    with pytest.raises(PropError, match="Fix: pass keys=<KeyRing>, or both encryption_key and logs_key"):
        AuditTrail(new_stack(), "Trail")


def test_trail_with_both_key_sources_fails():
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    with pytest.raises(PropError, match="both keys and encryption_key"):
        AuditTrail(stack, "Trail", keys=keys, encryption_key=keys.data_key, logs_key=keys.logs_key)


@pytest.mark.parametrize(
    "email",
    [
        "security-team",
        "team@",
        "@example.com",
        "a b@example.com",
        "team@example",
        "a@b@example.com",
        "x" * 250 + "@e.com",
    ],
)
def test_an_email_address_that_is_not_one_fails(email):
    with pytest.raises(PropError) as error:
        AlertTopic(new_stack(), "Alerts", email=email)
    _expect(error, "AlertTopic(Test/Alerts)", "email")


@pytest.mark.parametrize("display_name", ["x" * 101, "Security alerts " * 7])
def test_a_display_name_longer_than_sns_accepts_fails_in_python(display_name):
    with pytest.raises(PropError) as error:
        AlertTopic(new_stack(), "Alerts", display_name=display_name)
    _expect(error, "AlertTopic(Test/Alerts)", "display_name")
    assert "more than the 100 SNS accepts" in str(error.value)


def test_a_display_name_of_100_characters_is_accepted():
    assert AlertTopic(new_stack(), "Alerts", display_name="x" * 100).topic is not None


def test_alert_topic_refuses_an_imported_key():
    stack = new_stack()
    imported = kms.Key.from_key_arn(
        stack, "Imported", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    with pytest.raises(PropError) as error:
        AlertTopic(stack, "Alerts", encryption_key=imported)
    _expect(error, "AlertTopic(Test/Alerts)", "encryption_key")


@pytest.mark.parametrize(
    "kwargs, prop",
    [
        ({"additional_rules": ["SAGEMAKER_NOTEBOOK_ROOT_ACCESS"]}, "additional_rules"),
        ({"additional_rules": ["s3-bucket-logging-enabled"]}, "additional_rules"),
        ({"additional_rules": "S3_BUCKET_LOGGING_ENABLED"}, "additional_rules"),
        ({"additional_rules": ["S3_BUCKET_SSL_REQUESTS_ONLY"]}, "additional_rules"),
        ({"exclude_rules": ["SAGEMAKER_MODEL_NETWORK_ISOLATION"]}, "exclude_rules"),
        ({"exclude_rules": ["S3_BUCKET_LOGGING_ENABLED"]}, "exclude_rules"),
        ({"exclude_rules": ["SNS_ENCRYPTED_KMS"], "additional_rules": ["SNS_ENCRYPTED_KMS"]}, "additional_rules"),
        ({"rule_parameters": {"S3_BUCKET_LOGGING_ENABLED": {"targetBucket": "x"}}}, "rule_parameters"),
        ({"rule_parameters": {"S3_DEFAULT_ENCRYPTION_KMS": "arn"}}, "rule_parameters"),
    ],
)
def test_unknown_or_misplaced_config_rules_fail(kwargs, prop):
    with pytest.raises(PropError) as error:
        ComplianceRules(new_stack(), "Rules", **kwargs)
    _expect(error, "ComplianceRules(Test/Rules)", prop)


def test_unknown_rule_error_suggests_the_identifier():
    with pytest.raises(PropError, match="did you mean 'S3_BUCKET_LOGGING_ENABLED'"):
        ComplianceRules(new_stack(), "Rules", additional_rules=["s3-bucket-logging-enabled"])


def test_delivery_props_without_recorder_fail():
    stack = new_stack()
    with pytest.raises(PropError, match="Fix: drop keys, or pass create_recorder=True"):
        ComplianceRules(stack, "Rules", keys=KeyRing(stack, "Keys"))


@pytest.mark.parametrize(
    ("tamper", "enforced"),
    [
        (lambda t, a: setattr(t.trail, "enable_log_file_validation", False), "SageMakerSecurity-TrailLogValidation"),
        (lambda t, a: setattr(t.trail, "is_multi_region_trail", False), "SageMakerSecurity-TrailMultiRegion"),
        (lambda t, a: setattr(t.trail, "is_logging", False), "SageMakerSecurity-TrailLogging"),
        (lambda t, a: setattr(t.trail, "kms_key_id", None), "SageMakerSecurity-TrailKms"),
        (
            lambda t, a: setattr(t.trail, "cloud_watch_logs_log_group_arn", None),
            "SageMakerSecurity-TrailCloudWatchLogs",
        ),
        (lambda t, a: setattr(a.topic.node.default_child, "kms_master_key_id", None), "SageMakerSecurity-TopicKms"),
        # Identity checks: another customer key passes the rules, but it is not the key the construct was given.
        (
            lambda t, a: setattr(t.trail, "kms_key_id", t.node.try_find_child("Other").key_arn),
            "KMSKeyId: the audit key",
        ),
        (
            lambda t, a: setattr(
                a.topic.node.default_child, "kms_master_key_id", t.node.try_find_child("Other").key_arn
            ),
            "KmsMasterKeyId: the alerts key",
        ),
    ],
    ids=[
        "validation",
        "single-region",
        "stopped",
        "no-key",
        "no-log-group",
        "topic-unencrypted",
        "other-key",
        "topic-other-key",
    ],
)
def test_trail_and_topic_controls_removed_after_construction_fail_synthesis(tamper, enforced):
    app = new_app()
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    alerts = AlertTopic(stack, "Alerts", keys=keys)
    trail = AuditTrail(stack, "Trail", keys=keys, alert_topic=alerts.topic)
    kms.Key(trail, "Other", enable_key_rotation=True)
    tamper(trail, alerts)
    with pytest.raises(RuntimeError, match="Validation failed") as raised:
        app.synth()
    assert enforced in str(raised.value) and "is enforced by this construct" in str(raised.value)


# Last, so that the cfn-lint started by the fixture has run alongside the tests above.
def test_cfn_lint_reports_nothing(synth):
    assert synth["cfn_lint"].result() == (0, "", "")


# --- log files under Object Lock ---------------------------------------------------------------


def test_log_files_are_locked_in_governance_mode_for_a_year_by_default(template, ids):
    bucket = template["Resources"][ids["trail_bucket"]]
    assert bucket["Properties"]["ObjectLockEnabled"] is True
    assert bucket["Properties"]["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
    }
    # Object Lock needs versioning, and the bucket stays retained under the same logical id.
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    # A bucket with Object Lock cannot receive server access logs; this one only sends them.
    assert "LoggingConfiguration" in bucket["Properties"]


def _trail_bucket_properties(**props: Any) -> dict:
    stack = new_stack()
    trail = AuditTrail(stack, "Trail", keys=KeyRing(stack, "Keys"), **props)
    return Template.from_stack(stack).to_json()["Resources"][logical_id(trail.bucket.bucket)]["Properties"]


def test_compliance_mode_and_retention_are_props():
    properties = _trail_bucket_properties(
        object_lock_mode=s3.ObjectLockMode.COMPLIANCE, object_lock_retention=cdk.Duration.days(2555)
    )
    assert properties["ObjectLockConfiguration"]["Rule"] == {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2555}}


def test_allow_log_file_deletion_gives_the_lock_up():
    properties = _trail_bucket_properties(allow_log_file_deletion=True)
    assert "ObjectLockEnabled" not in properties and "ObjectLockConfiguration" not in properties


@pytest.mark.parametrize(
    "props, prop",
    [
        ({"allow_log_file_deletion": True, "object_lock_mode": s3.ObjectLockMode.GOVERNANCE}, "object_lock_mode"),
        ({"allow_log_file_deletion": True, "object_lock_retention": cdk.Duration.days(30)}, "object_lock_retention"),
        ({"allow_log_file_deletion": "yes"}, "allow_log_file_deletion"),
        ({"object_lock_mode": "GOVERNANCE"}, "object_lock_mode"),
        ({"object_lock_retention": 365}, "object_lock_retention"),
        ({"object_lock_retention": cdk.Duration.hours(36)}, "object_lock_retention"),
        ({"object_lock_retention": cdk.Duration.days(0)}, "object_lock_retention"),
        ({"object_lock_retention": cdk.Duration.days(36501)}, "object_lock_retention"),
    ],
)
def test_bad_object_lock_props_fail(props, prop):
    stack = new_stack()
    with pytest.raises(PropError) as error:
        AuditTrail(stack, "Trail", keys=KeyRing(stack, "Keys"), **props)
    _expect(error, "AuditTrail(Test/Trail)", prop)


# --- read data events on a prefix ------------------------------------------------------------------


def _reads_trail(stack: cdk.Stack, **kwargs: Any) -> AuditTrail:
    return AuditTrail(stack, "Trail", keys=KeyRing(stack, "Keys"), management_events=False, **kwargs)


def test_read_data_events_on_a_prefix_get_a_read_only_selector_of_their_own():
    stack = new_stack()
    data, models = s3.Bucket(stack, "Data"), s3.Bucket(stack, "Models")
    trail = _reads_trail(
        stack,
        data_event_buckets=[data, models],
        read_data_event_prefixes=[S3Prefix(data, "raw/"), S3Prefix("shared-lake", "in")],
    )
    writes, reads = props(Template.from_stack(stack).to_json(), logical_id(trail.trail))["EventSelectors"]
    assert writes["ReadWriteType"] == "WriteOnly"
    assert len(writes["DataResources"][0]["Values"]) == 2
    assert reads == {
        "IncludeManagementEvents": False,
        "ReadWriteType": "ReadOnly",
        "DataResources": [
            {
                "Type": "AWS::S3::Object",
                "Values": [
                    {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id(data), "Arn"]}, "/raw/"]]},
                    {"Fn::Join": ["", ["arn:", PARTITION, ":s3:::shared-lake/in/"]]},
                ],
            }
        ],
    }


def test_without_read_prefixes_the_selectors_are_unchanged():
    stack = new_stack()
    trail = _reads_trail(stack, data_event_buckets=[s3.Bucket(stack, "Data")])
    (writes,) = props(Template.from_stack(stack).to_json(), logical_id(trail.trail))["EventSelectors"]
    assert writes["ReadWriteType"] == "WriteOnly"


@pytest.mark.parametrize(
    "prefixes, problem",
    [
        ([], "is not a non-empty list"),
        ("raw", "is not a non-empty list"),
        (["raw"], "is not an S3Prefix"),
        ([("bucket", "raw")], "is not an S3Prefix"),
        ([S3Prefix("bucket", "raw/*")], "is not an S3 key prefix"),
        ([S3Prefix("bucket", "/raw")], "is not an S3 key prefix"),
    ],
)
def test_bad_read_prefixes_fail(prefixes, problem):
    stack = new_stack()
    with pytest.raises(PropError) as error:
        _reads_trail(stack, data_event_buckets=[s3.Bucket(stack, "Data")], read_data_event_prefixes=prefixes)
    _expect(error, "AuditTrail(Test/Trail)", "read_data_event_prefixes")
    assert problem in str(error.value)


def test_read_prefixes_with_all_data_events_fail_as_redundant():
    stack = new_stack()
    data = s3.Bucket(stack, "Data")
    with pytest.raises(PropError) as error:
        _reads_trail(
            stack,
            data_event_buckets=[data],
            data_events=cloudtrail.ReadWriteType.ALL,
            read_data_event_prefixes=[S3Prefix(data, "raw")],
        )
    _expect(error, "AuditTrail(Test/Trail)", "read_data_event_prefixes")
    assert "already records" in str(error.value)


def test_read_prefixes_count_against_cloudtrails_250_data_resources():
    stack = new_stack()
    buckets = [s3.Bucket.from_bucket_name(stack, f"B{n}", f"bucket-{n}") for n in range(250)]
    with pytest.raises(PropError) as error:
        _reads_trail(stack, data_event_buckets=buckets, read_data_event_prefixes=[S3Prefix("bucket-0", "raw")])
    _expect(error, "AuditTrail(Test/Trail)", "read_data_event_prefixes")
    assert "251 data resources" in str(error.value)


def test_read_prefixes_alone_make_a_data_events_trail():
    stack = new_stack()
    trail = _reads_trail(stack, read_data_event_prefixes=[S3Prefix("shared-lake", "raw")])
    (reads,) = props(Template.from_stack(stack).to_json(), logical_id(trail.trail))["EventSelectors"]
    assert reads["ReadWriteType"] == "ReadOnly"
