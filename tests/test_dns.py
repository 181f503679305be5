"""DnsFirewall: AWS names resolve, everything else is NXDOMAIN, every query is logged, and blocked
queries raise an alarm; PrivateNetwork creates it unless told the VPC's DNS is filtered elsewhere."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Capture, Match, Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.dns import DnsFirewall
from secure_sagemaker.network import PrivateNetwork

PREFIX_LIST = "pl-63a5400a"


@pytest.fixture(scope="module")
def template() -> Template:
    app = cdk.App()
    stack = cdk.Stack(app, "Dns")
    key = kms.Key(stack, "LogsKey")
    network = PrivateNetwork(
        stack, "Network", logs_key=key, s3_prefix_list_id=PREFIX_LIST, dns_allowed_domains=["PyPI.org."]
    )
    network.dns_firewall.alarm_blocked_queries(sns.Topic(stack, "Alerts"))
    return Template.from_stack(stack)


def _ref(template: Template, resource_type: str) -> dict[str, Any]:
    (logical_id,) = template.find_resources(resource_type)
    return {"Ref": logical_id}


def _id_of(template: Template, resource_type: str, **props: Any) -> dict[str, Any]:
    found = template.find_resources(resource_type, {"Properties": Match.object_like(props)} if props else None)
    (logical_id,) = found
    return {"Fn::GetAtt": [logical_id, "Id"]}


def test_aws_names_and_the_allowed_ones_resolve_and_everything_else_is_nxdomain(template: Template) -> None:
    suffix = {"Ref": "AWS::URLSuffix"}
    allowed = _id_of(
        template,
        "AWS::Route53Resolver::FirewallDomainList",
        Domains=[suffix, {"Fn::Join": ["", ["*.", suffix]]}, "*.sagemaker.aws", "*.api.aws", "pypi.org"],
    )
    everything = _id_of(template, "AWS::Route53Resolver::FirewallDomainList", Domains=["*"])
    template.has_resource_properties(
        "AWS::Route53Resolver::FirewallRuleGroup",
        {
            "FirewallRules": [
                {"Action": "ALLOW", "FirewallDomainListId": allowed, "Priority": 100},
                {"Action": "BLOCK", "BlockResponse": "NXDOMAIN", "FirewallDomainListId": everything, "Priority": 200},
            ]
        },
    )


def test_the_rule_group_is_associated_with_the_vpc_so_that_a_failed_first_deploy_rolls_back(
    template: Template,
) -> None:
    """Mutation protection stays off by default: with it, the rollback of a failed first deployment
    and the stack's deletion fail at the association."""
    template.has_resource_properties(
        "AWS::Route53Resolver::FirewallRuleGroupAssociation",
        {
            "FirewallRuleGroupId": _id_of(template, "AWS::Route53Resolver::FirewallRuleGroup"),
            "VpcId": _ref(template, "AWS::EC2::VPC"),
            "Priority": 1000,
            "MutationProtection": "DISABLED",
        },
    )


def test_mutation_protection_is_an_opt_in() -> None:
    firewall = _firewall(mutation_protection=True)
    Template.from_stack(cdk.Stack.of(firewall)).has_resource_properties(
        "AWS::Route53Resolver::FirewallRuleGroupAssociation", {"MutationProtection": "ENABLED"}
    )


def test_every_query_is_logged_to_an_encrypted_retained_log_group(template: Template) -> None:
    group = Capture()
    template.has_resource_properties(
        "AWS::Route53Resolver::ResolverQueryLoggingConfig", {"DestinationArn": {"Fn::GetAtt": [group, "Arn"]}}
    )
    template.has_resource_properties(
        "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation",
        {
            "ResolverQueryLogConfigId": _id_of(template, "AWS::Route53Resolver::ResolverQueryLoggingConfig"),
            "ResourceId": _ref(template, "AWS::EC2::VPC"),
        },
    )
    (key,) = template.find_resources("AWS::KMS::Key")
    logged = template.find_resources("AWS::Logs::LogGroup")[group.as_string()]
    assert logged["Properties"] == {"KmsKeyId": {"Fn::GetAtt": [key, "Arn"]}, "RetentionInDays": 365}
    assert (logged["DeletionPolicy"], logged["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_names_derive_from_the_stack(template: Template) -> None:
    for resource_type in (
        "AWS::Route53Resolver::FirewallDomainList",
        "AWS::Route53Resolver::FirewallRuleGroup",
        "AWS::Route53Resolver::ResolverQueryLoggingConfig",
    ):
        for resource in template.find_resources(resource_type).values():
            name = resource["Properties"]["Name"]
            assert name.startswith("Dns") and len(name) <= 64, name


def test_blocked_queries_of_this_vpc_alarm_the_topic_on_alarm_and_ok(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": '{ $.firewall_rule_action = "BLOCK" }',
            "MetricTransformations": [
                Match.object_like(
                    {
                        "MetricName": "BlockedQueries",
                        "MetricValue": "1",
                        "Dimensions": [{"Key": "VpcId", "Value": "$.vpc_id"}],
                    }
                )
            ],
        },
    )
    topic = _ref(template, "AWS::SNS::Topic")
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "BlockedQueries",
            "Dimensions": [{"Name": "VpcId", "Value": _ref(template, "AWS::EC2::VPC")}],
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [topic],
            "OKActions": [topic],
        },
    )


def test_allow_unfiltered_dns_creates_no_firewall_and_no_query_logging() -> None:
    stack = cdk.Stack(cdk.App(), "Unfiltered")
    network = PrivateNetwork(
        stack, "Network", logs_key=kms.Key(stack, "Key"), s3_prefix_list_id=PREFIX_LIST, allow_unfiltered_dns=True
    )
    assert network.dns_firewall is None
    types = {r["Type"] for r in Template.from_stack(stack).to_json()["Resources"].values()}
    assert not {t for t in types if t.startswith("AWS::Route53Resolver::")}


def test_an_imported_vpc_gets_the_firewall_too() -> None:
    stack = cdk.Stack(cdk.App(), "Imported")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        vpc_cidr_block="10.1.0.0/16",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        isolated_subnet_ids=["subnet-a", "subnet-b"],
        isolated_subnet_route_table_ids=["rtb-a", "rtb-b"],
    )
    PrivateNetwork(stack, "Network", logs_key=kms.Key(stack, "Key"), vpc=vpc, s3_prefix_list_id=PREFIX_LIST)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Route53Resolver::FirewallRuleGroupAssociation", {"VpcId": "vpc-0123456789abcdef0"}
    )
    template.has_resource_properties(
        "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation", {"ResourceId": "vpc-0123456789abcdef0"}
    )


def _firewall(**props: Any) -> DnsFirewall:
    stack = cdk.Stack(cdk.App(), "Bad")
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-1", availability_zones=["a"])
    return DnsFirewall(stack, "Firewall", **{"vpc": vpc, "logs_key": kms.Key(stack, "Key"), **props})


@pytest.mark.parametrize(
    "props, names",
    [
        ({"allowed_domains": ["*"]}, ["allowed_domains", "turns the firewall off"]),
        ({"allowed_domains": ["a.*.example.com"]}, ["allowed_domains", "first label"]),
        ({"allowed_domains": ["*example.com"]}, ["allowed_domains", "first label"]),
        ({"allowed_domains": ["exa mple.com"]}, ["allowed_domains", "not a domain name"]),
        ({"allowed_domains": ["a" * 64 + ".com"]}, ["allowed_domains", "not a domain name"]),
        ({"allowed_domains": "pypi.org"}, ["allowed_domains", "not a list"]),
        ({"allowed_domains": [3]}, ["allowed_domains", "is a int"]),
        ({"priority": 100}, ["priority", "101..9899"]),
        ({"priority": 9900}, ["priority", "101..9899"]),
        ({"priority": True}, ["priority", "is a bool"]),
        ({"mutation_protection": "yes"}, ["mutation_protection", "is a str"]),
        ({"vpc": "vpc-1"}, ["vpc", "has no vpc_id"]),
        ({"logs_key": None}, ["logs_key", "has no key_arn"]),
        ({"log_retention": cdk.aws_logs.RetentionDays.INFINITE}, ["log_retention", "forever"]),
        ({"log_retention": 365}, ["log_retention", "is a int, not a RetentionDays"]),
    ],
)
def test_bad_props_fail_naming_the_prop_and_the_fix(props: dict[str, Any], names: list[str]) -> None:
    with pytest.raises(PropError) as raised:
        _firewall(**props)
    message = str(raised.value)
    assert all(name in message for name in names) and "Fix:" in message, message


def test_a_second_alarm_topic_is_refused() -> None:
    firewall = _firewall()
    firewall.alarm_blocked_queries(sns.Topic(firewall, "One"))
    with pytest.raises(PropError, match="second alarm topic"):
        firewall.alarm_blocked_queries(sns.Topic(firewall, "Two"))


def test_allowed_domains_without_a_firewall_are_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Conflict")
    with pytest.raises(PropError, match="dns_allowed_domains=.*allow_unfiltered_dns=True"):
        PrivateNetwork(
            stack,
            "Network",
            logs_key=kms.Key(stack, "Key"),
            s3_prefix_list_id=PREFIX_LIST,
            allow_unfiltered_dns=True,
            dns_allowed_domains=["pypi.org"],
        )
