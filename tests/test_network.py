"""PrivateNetwork: the synthesized network is private, logged and locked down; bad props fail early."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from secure_sagemaker._validation import PropError
from secure_sagemaker.acknowledgments import STOCK_PACKS
from secure_sagemaker.network import PrivateNetwork
from tests.conftest import CfnLint, cdk_json_context, new_stack, resources, synth_with_stock_packs

S = ec2.InterfaceVpcEndpointAwsService
REGION = "${AWS::Region}"
ACCOUNT = {"Ref": "AWS::AccountId"}
SENTINEL_EGRESS = {
    "CidrIp": "255.255.255.255/32",
    "Description": "Disallow all traffic",
    "FromPort": 252,
    "IpProtocol": "icmp",
    "ToPort": 86,
}
DEFAULT_SERVICES = {
    f"com.amazonaws.{REGION}.{name}"
    for name in (
        "sagemaker.api",
        "sagemaker.runtime",
        "sagemaker.featurestore-runtime",
        "servicecatalog",
        "sts",
        "logs",
        "monitoring",
        "ecr.api",
        "ecr.dkr",
        "kms",
        "ssm",
        "ssmmessages",
        "secretsmanager",
    )
} | {f"aws.sagemaker.{REGION}.studio", f"aws.sagemaker.{REGION}.notebook"}
EXISTING_VPC = {
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr_block": "10.20.0.0/16",
    "availability_zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    "isolated_subnet_ids": ["subnet-0aaa", "subnet-0bbb", "subnet-0ccc"],
    "isolated_subnet_route_table_ids": ["rtb-0aaa", "rtb-0bbb", "rtb-0ccc"],
}


def _flat(value: Any) -> Any:
    """Render a Fn::Join of literals and Refs as one string (``${AWS::Region}`` for a Ref)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_flat(p) for p in parts)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return "${" + value["Ref"] + "}"
    return value


def _logical_id(template: dict, cfn_type: str, path_part: str) -> str:
    (found,) = [k for k in resources(template, cfn_type) if path_part in k]
    return found


def _get_att(template: dict, cfn_type: str, path_part: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [_logical_id(template, cfn_type, path_part), attribute]}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One App, synthesized once with the four stock packs: templates, report and constructs."""
    outdir = tmp_path_factory.mktemp("network")
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir), analytics_reporting=False)
    nets: dict[str, PrivateNetwork] = {}

    def network(stack_name: str, env: cdk.Environment | None = None, **props: Any) -> None:
        stack = cdk.Stack(app, stack_name, env=env)
        key = kms.Key(stack, "LogsKey", enable_key_rotation=True)
        if "vpc" in props:
            props["vpc"] = ec2.Vpc.from_vpc_attributes(stack, "Imported", **props["vpc"])
        if "subnet_indexes" in props:
            props["subnets"] = [props["vpc"].isolated_subnets[i] for i in props.pop("subnet_indexes")]
        nets[stack_name] = PrivateNetwork(stack, "Network", logs_key=key, **props)

    network("Default")
    network(
        "Custom",
        cidr="10.40.0.0/20",
        subnet_cidr_mask=24,
        availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        s3_prefix_list_id="pl-6da54004",
        external_read_buckets=["jumpstart-cache-prod-eu-west-1"],
        flow_log_retention=logs.RetentionDays.THREE_MONTHS,
        interface_endpoints=[S.SAGEMAKER_API, S.STS],
    )
    network("Concrete", env=cdk.Environment(account="111111111111", region="eu-west-1"), max_azs=3)
    network("Existing", vpc=EXISTING_VPC)
    network("ExistingUnlogged", vpc=EXISTING_VPC, subnet_indexes=[0, 2], interface_endpoints=[], create_flow_log=False)

    error = synth_with_stock_packs(app)
    templates = {name: json.loads((Path(outdir) / f"{name}.template.json").read_text()) for name in nets}
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    lint = CfnLint(*sorted(Path(outdir).glob("*.template.json")))
    return {
        "templates": templates,
        "report": report,
        "error": error,
        "nets": nets,
        "outdir": Path(outdir),
        "cfn_lint": lint,
    }


@pytest.fixture(scope="module")
def default(synth: dict[str, Any]) -> dict:
    return synth["templates"]["Default"]


@pytest.fixture(scope="module")
def custom(synth: dict[str, Any]) -> dict:
    return synth["templates"]["Custom"]


@pytest.fixture(scope="module")
def existing(synth: dict[str, Any]) -> dict:
    return synth["templates"]["Existing"]


# --- no path to the internet ----------------------------------------------------------------


@pytest.mark.parametrize("stack", ["Default", "Custom", "Concrete"])
def test_no_internet_gateway_nat_or_default_route(synth: dict[str, Any], stack: str) -> None:
    template = synth["templates"][stack]
    for cfn_type in (
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::EgressOnlyInternetGateway",
    ):
        assert resources(template, cfn_type) == {}, cfn_type
    for route in resources(template, "AWS::EC2::Route").values():
        assert route["Properties"].get("DestinationCidrBlock") != "0.0.0.0/0"
        assert route["Properties"].get("DestinationIpv6CidrBlock") != "::/0"


def test_default_vpc_has_isolated_subnets_in_two_zones(default: dict) -> None:
    (vpc,) = resources(default, "AWS::EC2::VPC").values()
    assert vpc["Properties"]["CidrBlock"] == "10.0.0.0/16"
    assert vpc["Properties"]["EnableDnsHostnames"] is True
    assert vpc["Properties"]["EnableDnsSupport"] is True
    subnets = list(resources(default, "AWS::EC2::Subnet").values())
    assert len(subnets) == 2
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets)
    assert sorted(s["Properties"]["CidrBlock"] for s in subnets) == ["10.0.0.0/20", "10.0.16.0/20"]
    assert [s["Properties"]["AvailabilityZone"] for s in subnets] == [
        {"Fn::Select": [i, {"Fn::GetAZs": ""}]} for i in range(2)
    ]


def test_max_azs_gives_that_many_zones_even_with_an_explicit_environment(synth: dict[str, Any]) -> None:
    subnets = resources(synth["templates"]["Concrete"], "AWS::EC2::Subnet").values()
    assert [s["Properties"]["AvailabilityZone"] for s in subnets] == [
        {"Fn::Select": [i, {"Fn::GetAZs": ""}]} for i in range(3)
    ]


def test_explicit_zones_cidr_and_mask_are_honoured(custom: dict) -> None:
    subnets = resources(custom, "AWS::EC2::Subnet").values()
    assert [s["Properties"]["AvailabilityZone"] for s in subnets] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert [s["Properties"]["CidrBlock"] for s in subnets] == ["10.40.0.0/24", "10.40.1.0/24", "10.40.2.0/24"]


def test_no_dummy_zone_anywhere(synth: dict[str, Any]) -> None:
    for name, template in synth["templates"].items():
        assert "dummy" not in json.dumps(template), name


def test_default_security_group_is_emptied(default: dict) -> None:
    (restrict,) = resources(default, "Custom::VpcRestrictDefaultSG").values()
    vpc_id = _logical_id(default, "AWS::EC2::VPC", "Vpc")
    assert restrict["Properties"]["DefaultSecurityGroupId"] == {"Fn::GetAtt": [vpc_id, "DefaultSecurityGroup"]}


# --- endpoints ------------------------------------------------------------------------------


def _interface_endpoints(template: dict) -> dict[str, dict]:
    return {
        _flat(e["Properties"]["ServiceName"]): e["Properties"]
        for e in resources(template, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"]["VpcEndpointType"] == "Interface"
    }


def test_default_interface_endpoints_are_the_sagemaker_list_with_private_dns(default: dict) -> None:
    endpoints = _interface_endpoints(default)
    assert set(endpoints) == DEFAULT_SERVICES
    subnet_refs = sorted(({"Ref": k} for k in resources(default, "AWS::EC2::Subnet")), key=str)
    endpoint_sg = _get_att(default, "AWS::EC2::SecurityGroup", "EndpointSecurityGroup", "GroupId")
    for props in endpoints.values():
        assert props["PrivateDnsEnabled"] is True
        assert sorted(props["SubnetIds"], key=str) == subnet_refs
        assert props["SecurityGroupIds"] == [endpoint_sg]


def test_interface_endpoints_attribute_is_keyed_by_short_name(synth: dict[str, Any]) -> None:
    assert set(synth["nets"]["Custom"].interface_endpoints) == {"sagemaker.api", "sts"}
    assert {"studio", "notebook", "sagemaker.api"} <= set(synth["nets"]["Default"].interface_endpoints)


def test_interface_endpoint_policies(default: dict) -> None:
    account_only = [
        {
            "Action": "*",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Resource": "*",
            "Sid": "PrincipalsOfThisAccountOnly",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
        }
    ]
    sagemaker_resources_only = [
        {
            "Action": "sagemaker:*",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Sid": "SageMakerActionsOnThisAccountOnly",
            "Resource": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:", {"Ref": "AWS::Region"}, ":", ACCOUNT, ":*"],
                ]
            },
        }
    ]
    for service, props in _interface_endpoints(default).items():
        if service.endswith((".studio", ".notebook")):
            assert props["PolicyDocument"]["Statement"] == sagemaker_resources_only, service
        elif service.endswith(".ssmmessages"):
            assert "PolicyDocument" not in props, service
        else:
            assert props["PolicyDocument"]["Statement"] == account_only, service


def test_s3_gateway_endpoint_on_isolated_route_tables_with_perimeter_policy(default: dict) -> None:
    (gateway,) = [
        e["Properties"]
        for e in resources(default, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"]["VpcEndpointType"] == "Gateway"
    ]
    assert _flat(gateway["ServiceName"]) == f"com.amazonaws.{REGION}.s3"
    assert sorted(gateway["RouteTableIds"], key=str) == sorted(
        ({"Ref": k} for k in resources(default, "AWS::EC2::RouteTable")), key=str
    )
    assert len(gateway["RouteTableIds"]) == 2
    assert gateway["PolicyDocument"]["Statement"] == [
        {
            "Action": "s3:*",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Resource": "*",
            "Sid": "ThisAccountToThisAccountBuckets",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "s3:ResourceAccount": ACCOUNT}},
        },
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Sid": "EcrImageLayers",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":s3:::prod-",
                        {"Ref": "AWS::Region"},
                        "-starport-layer-bucket/*",
                    ],
                ]
            },
        },
    ]


def test_external_read_buckets_are_readable_by_this_account_only(custom: dict) -> None:
    (gateway,) = [
        e["Properties"]
        for e in resources(custom, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"]["VpcEndpointType"] == "Gateway"
    ]
    statement = gateway["PolicyDocument"]["Statement"][-1]
    assert statement["Sid"] == "ThisAccountReadsExternalBuckets"
    assert statement["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    assert [_flat(r) for r in statement["Resource"]] == [
        "arn:${AWS::Partition}:s3:::jumpstart-cache-prod-eu-west-1",
        "arn:${AWS::Partition}:s3:::jumpstart-cache-prod-eu-west-1/*",
    ]


# --- security groups ------------------------------------------------------------------------


def _rules(template: dict, cfn_type: str, group: dict) -> list[str]:
    """The standalone rules of ``group``, without GroupId and Description, as sorted JSON strings."""
    return sorted(
        json.dumps({k: v for k, v in r["Properties"].items() if k not in ("GroupId", "Description")}, sort_keys=True)
        for r in resources(template, cfn_type).values()
        if r["Properties"]["GroupId"] == group
    )


def _canon(*rules: dict) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in rules)


@pytest.mark.parametrize("stack, vpc_cidr", [("Default", "10.0.0.0/16"), ("Existing", "10.20.0.0/16")])
def test_endpoint_security_group_admits_only_https_from_the_vpc_cidr(
    synth: dict[str, Any], stack: str, vpc_cidr: str
) -> None:
    template = synth["templates"][stack]
    logical_id = _logical_id(template, "AWS::EC2::SecurityGroup", "EndpointSecurityGroup")
    props = template["Resources"][logical_id]["Properties"]
    assert props["SecurityGroupIngress"] == [
        {"CidrIp": vpc_cidr, "Description": "HTTPS from the VPC", "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}
    ]
    assert props["SecurityGroupEgress"] == [SENTINEL_EGRESS]
    group = {"Fn::GetAtt": [logical_id, "GroupId"]}
    assert _rules(template, "AWS::EC2::SecurityGroupIngress", group) == []
    assert _rules(template, "AWS::EC2::SecurityGroupEgress", group) == []


def test_workload_security_group_talks_only_to_endpoints_and_itself(default: dict) -> None:
    logical_id = _logical_id(default, "AWS::EC2::SecurityGroup", "WorkloadSecurityGroup")
    props = default["Resources"][logical_id]["Properties"]
    assert "SecurityGroupIngress" not in props
    assert props["SecurityGroupEgress"] == [SENTINEL_EGRESS]  # strips EC2's default allow-all egress
    group = {"Fn::GetAtt": [logical_id, "GroupId"]}
    endpoint_sg = _get_att(default, "AWS::EC2::SecurityGroup", "EndpointSecurityGroup", "GroupId")
    assert _rules(default, "AWS::EC2::SecurityGroupIngress", group) == _canon(
        {"IpProtocol": "-1", "SourceSecurityGroupId": group}
    )
    lookup = _logical_id(default, "Custom::S3PrefixListLookup", "S3PrefixListLookup")
    assert _rules(default, "AWS::EC2::SecurityGroupEgress", group) == _canon(
        {"IpProtocol": "-1", "DestinationSecurityGroupId": group},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationSecurityGroupId": endpoint_sg},
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "DestinationPrefixListId": {"Fn::GetAtt": [lookup, "PrefixLists.0.PrefixListId"]},
        },
    )


def test_s3_prefix_list_is_looked_up_at_deploy_time_with_a_read_only_role(default: dict) -> None:
    (lookup,) = resources(default, "Custom::S3PrefixListLookup").values()
    separator, parts = lookup["Properties"]["Create"]["Fn::Join"]
    call = json.loads(separator.join("eu-west-1" if p == {"Ref": "AWS::Region"} else p for p in parts))
    assert call["action"] == "describeManagedPrefixLists" and call["service"] == "EC2"
    assert call["parameters"] == {"Filters": [{"Name": "prefix-list-name", "Values": ["com.amazonaws.eu-west-1.s3"]}]}
    assert lookup["Properties"]["Update"] == lookup["Properties"]["Create"]  # a new Region's id on update too
    policy = default["Resources"][_logical_id(default, "AWS::IAM::ManagedPolicy", "S3PrefixListLookupPolicy")]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "ec2:DescribeManagedPrefixLists", "Effect": "Allow", "Resource": "*", "Sid": "ReadPrefixLists"},
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Sid": "WriteOwnLogs",
            "Resource": _get_att(default, "AWS::Logs::LogGroup", "S3PrefixListLookupLogs", "Arn"),
        },
    ]
    assert policy["Properties"]["Roles"] == [{"Ref": _logical_id(default, "AWS::IAM::Role", "S3PrefixListLookupRole")}]
    (function,) = [
        f
        for k, f in resources(default, "AWS::Lambda::Function").items()
        if k.startswith("AWS679f53fac002430cb0da5b7982bd2287")
    ]
    assert function["Properties"]["Role"] == _get_att(default, "AWS::IAM::Role", "S3PrefixListLookupRole", "Arn")
    assert "DependsOn" not in function  # the GetAtt orders it (cfn-lint W3005)
    group = default["Resources"][_logical_id(default, "AWS::Logs::LogGroup", "S3PrefixListLookupLogs")]
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [_logical_id(default, "AWS::KMS::Key", "LogsKey"), "Arn"]}


def test_a_given_prefix_list_id_needs_no_lookup(custom: dict) -> None:
    assert resources(custom, "Custom::S3PrefixListLookup") == {}
    assert not any(k.startswith("AWS679f53fac002430cb0da5b7982bd2287") for k in custom["Resources"])


def test_prefix_list_id_adds_https_egress_to_s3(custom: dict) -> None:
    group = _get_att(custom, "AWS::EC2::SecurityGroup", "WorkloadSecurityGroup", "GroupId")
    egress = _rules(custom, "AWS::EC2::SecurityGroupEgress", group)
    (to_s3,) = _canon({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationPrefixListId": "pl-6da54004"})
    assert to_s3 in egress
    assert len(egress) == 3


# --- flow logs ------------------------------------------------------------------------------


def test_flow_log_of_all_traffic_to_an_encrypted_retained_log_group(default: dict) -> None:
    (flow_log,) = resources(default, "AWS::EC2::FlowLog").values()
    group_id = _logical_id(default, "AWS::Logs::LogGroup", "FlowLogGroup")
    assert flow_log["Properties"] == {
        "ResourceId": {"Ref": _logical_id(default, "AWS::EC2::VPC", "Vpc")},
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": {"Ref": group_id},
        "DeliverLogsPermissionArn": _get_att(default, "AWS::IAM::Role", "FlowLogRole", "Arn"),
        "Tags": [{"Key": "Name", "Value": "Default/Network/FlowLog"}],
    }
    group = default["Resources"][group_id]
    assert group["Properties"] == {
        "KmsKeyId": _get_att(default, "AWS::KMS::Key", "LogsKey", "Arn"),
        "RetentionInDays": 365,
    }
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_flow_log_retention_is_configurable(custom: dict) -> None:
    (group,) = resources(custom, "AWS::Logs::LogGroup").values()
    assert group["Properties"]["RetentionInDays"] == 90


def test_flow_log_role_trusts_only_this_accounts_flow_logs(default: dict) -> None:
    role = default["Resources"][_logical_id(default, "AWS::IAM::Role", "FlowLogRole")]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {
                    "aws:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":ec2:",
                                {"Ref": "AWS::Region"},
                                ":",
                                ACCOUNT,
                                ":vpc-flow-log/*",
                            ],
                        ]
                    }
                },
            },
        }
    ]
    assert "Policies" not in role and "ManagedPolicyArns" not in role


def test_flow_log_role_may_only_write_to_its_log_group(default: dict) -> None:
    policy = default["Resources"][_logical_id(default, "AWS::IAM::ManagedPolicy", "FlowLogPolicy")]
    assert policy["Properties"]["Roles"] == [{"Ref": _logical_id(default, "AWS::IAM::Role", "FlowLogRole")}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": _get_att(default, "AWS::Logs::LogGroup", "FlowLogGroup", "Arn"),
        }
    ]
    assert resources(default, "AWS::IAM::Policy") == {}
    (flow_log,) = resources(default, "AWS::EC2::FlowLog").values()
    assert flow_log["DependsOn"] == [_logical_id(default, "AWS::IAM::ManagedPolicy", "FlowLogPolicy")]


# --- existing VPC ---------------------------------------------------------------------------


def test_existing_vpc_gets_endpoints_security_groups_and_flow_log(existing: dict) -> None:
    assert resources(existing, "AWS::EC2::VPC") == {}
    assert resources(existing, "AWS::EC2::Subnet") == {}
    endpoints = resources(existing, "AWS::EC2::VPCEndpoint").values()
    assert all(e["Properties"]["VpcId"] == EXISTING_VPC["vpc_id"] for e in endpoints)
    assert set(_interface_endpoints(existing)) == DEFAULT_SERVICES
    for props in _interface_endpoints(existing).values():
        assert props["SubnetIds"] == EXISTING_VPC["isolated_subnet_ids"]
    (gateway,) = [e["Properties"] for e in endpoints if e["Properties"]["VpcEndpointType"] == "Gateway"]
    assert gateway["RouteTableIds"] == EXISTING_VPC["isolated_subnet_route_table_ids"]
    (flow_log,) = resources(existing, "AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["ResourceId"] == EXISTING_VPC["vpc_id"]
    assert flow_log["Properties"]["TrafficType"] == "ALL"


def test_existing_vpc_subnet_choice_and_flow_log_opt_out(synth: dict[str, Any]) -> None:
    template = synth["templates"]["ExistingUnlogged"]
    net = synth["nets"]["ExistingUnlogged"]
    assert net.flow_log_group is None
    assert resources(template, "AWS::EC2::FlowLog") == {}
    assert list(resources(template, "AWS::Logs::LogGroup")) == [
        _logical_id(template, "AWS::Logs::LogGroup", "S3PrefixListLookupLogs")  # the lookup's own logs
    ]
    (gateway,) = resources(template, "AWS::EC2::VPCEndpoint").values()
    assert gateway["Properties"]["RouteTableIds"] == ["rtb-0aaa", "rtb-0ccc"]


# --- stock nag packs ------------------------------------------------------------------------

SELF_INGRESS_RULES = {
    "HIPAA.Security-EC2RestrictedCommonPorts",
    "NIST.800.53.R5-EC2RestrictedCommonPorts",
    "PCI.DSS.321-EC2RestrictedCommonPorts",
}


def test_stock_packs_leave_no_unacknowledged_finding(synth: dict[str, Any]) -> None:
    assert synth["error"] is None
    reports = synth["report"]["pluginReports"]
    assert [v["ruleName"] for r in reports for v in r["violations"]] == []
    suppressed = {
        (v["ruleName"], c["constructPath"], v["acknowledgedAt"])
        for r in reports
        if r["pluginName"] in STOCK_PACKS
        for v in r.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    }
    # One acknowledgment per pack per network on the self-referencing ingress rule itself, and,
    # where the network looks the S3 prefix list up, the lookup's on its policy and function.
    ingress = {(rule, path, at) for rule, path, at in suppressed if rule in SELF_INGRESS_RULES}
    assert {(rule, path.split("/")[0]) for rule, path, _ in ingress} == {
        (rule, stack) for rule in SELF_INGRESS_RULES for stack in synth["templates"]
    }
    for _, path, acknowledged_at in ingress:
        assert path.split("/")[1:3] == ["Network", "WorkloadSecurityGroup"]
        assert path.endswith(":ALL TRAFFIC")
        assert acknowledged_at == path
    lookups = {
        stack for stack, template in synth["templates"].items() if resources(template, "Custom::S3PrefixListLookup")
    }
    assert lookups and lookups < set(synth["templates"])
    lookup_acks = {
        (rule, stack, path.split("/", 1)[1]) for rule, path, _ in suppressed - ingress for stack in [path.split("/")[0]]
    }
    assert lookup_acks == {
        (rule, stack, "AWS679f53fac002430cb0da5b7982bd2287/Resource")
        for stack in lookups
        for rule in (
            "HIPAA.Security-LambdaConcurrency",
            "NIST.800.53.R5-LambdaConcurrency",
            "HIPAA.Security-LambdaDLQ",
            "NIST.800.53.R5-LambdaDLQ",
            "HIPAA.Security-LambdaInsideVPC",
            "NIST.800.53.R5-LambdaInsideVPC",
            "PCI.DSS.321-LambdaInsideVPC",
        )
    } | {("AwsSolutions-IAM5[Resource::*]", stack, "Network/S3PrefixListLookupPolicy/Resource") for stack in lookups}


# --- bad input ------------------------------------------------------------------------------

Case = Callable[[cdk.Stack], dict[str, Any]]


def _imported(stack: cdk.Stack, **overrides: Any) -> ec2.IVpc:
    attrs = {**EXISTING_VPC, **overrides}
    return ec2.Vpc.from_vpc_attributes(stack, "Imported", **{k: v for k, v in attrs.items() if v is not None})


BAD_INPUT: list[tuple[str, str, Case]] = [
    ("cidr", "is not an IPv4 network", lambda s: {"cidr": "not-a-cidr"}),
    ("cidr", "host bits set", lambda s: {"cidr": "10.0.0.1/16"}),
    ("cidr", "outside the /16 to /28", lambda s: {"cidr": "10.0.0.0/29"}),
    ("cidr", "outside the /16 to /28", lambda s: {"cidr": "10.0.0.0/8"}),
    ("cidr", "is not a private range", lambda s: {"cidr": "8.8.0.0/16"}),
    ("cidr", "Docker bridge", lambda s: {"cidr": "172.17.0.0/16"}),
    (
        "cidr",
        "room for 2 subnet(s) of /28 but 3 zones",
        lambda s: {"cidr": "10.0.0.0/27", "subnet_cidr_mask": 28, "max_azs": 3},
    ),
    ("cidr", "is a int, not a str", lambda s: {"cidr": 167772160}),
    (
        "subnet_cidr_mask",
        "not between the /24 of cidr and /28",
        lambda s: {"cidr": "10.0.0.0/24", "subnet_cidr_mask": 20},
    ),
    ("subnet_cidr_mask", "not between the /16 of cidr and /28", lambda s: {"subnet_cidr_mask": 29}),
    ("max_azs", "fewer than two zones", lambda s: {"max_azs": 1}),
    ("max_azs", "is a str, not a int", lambda s: {"max_azs": "3"}),
    (
        "max_azs",
        "together with availability_zones",
        lambda s: {"max_azs": 2, "availability_zones": ["eu-west-1a", "eu-west-1b"]},
    ),
    ("availability_zones", "fewer than two zones", lambda s: {"availability_zones": ["eu-west-1a"]}),
    ("availability_zones", "names a zone twice", lambda s: {"availability_zones": ["eu-west-1a", "eu-west-1a"]}),
    ("availability_zones", "is not a list", lambda s: {"availability_zones": "eu-west-1a"}),
    ("availability_zones", "not a real zone", lambda s: {"availability_zones": ["dummy1a", "dummy1b"]}),
    ("s3_prefix_list_id", "is not a prefix list id", lambda s: {"s3_prefix_list_id": "prefix-123"}),
    ("s3_prefix_list_id", "is not a prefix list id", lambda s: {"s3_prefix_list_id": "pl-XYZ"}),
    ("external_read_buckets", "is not a bucket name", lambda s: {"external_read_buckets": ["arn:aws:s3:::bucket"]}),
    ("external_read_buckets", "is not a list", lambda s: {"external_read_buckets": "bucket"}),
    ("flow_log_retention", "forever", lambda s: {"flow_log_retention": logs.RetentionDays.INFINITE}),
    ("flow_log_retention", "is a int, not a RetentionDays", lambda s: {"flow_log_retention": 365}),
    ("interface_endpoints", "is listed twice", lambda s: {"interface_endpoints": [S.STS, S.STS]}),
    ("interface_endpoints", "is a str", lambda s: {"interface_endpoints": ["sts"]}),
    ("create_flow_log", "cannot turn off", lambda s: {"create_flow_log": False}),
    ("logs_key", "is not a KMS key", lambda s: {"logs_key": None}),
    (
        "subnets",
        "only selects subnets of an existing vpc",
        lambda s: {"subnets": [ec2.Subnet.from_subnet_id(s, "Lone", "subnet-0aaa")]},
    ),
    (
        "vpc",
        "has no isolated subnets",
        lambda s: {
            "vpc": ec2.Vpc.from_vpc_attributes(
                s,
                "NoIsolated",
                vpc_id="vpc-1",
                vpc_cidr_block="10.20.0.0/16",
                availability_zones=["eu-west-1a", "eu-west-1b"],
                private_subnet_ids=["subnet-0aaa", "subnet-0bbb"],
            )
        },
    ),
    (
        "vpc",
        "fewer than two zones (eu-west-1a)",
        lambda s: {
            "vpc": _imported(
                s,
                availability_zones=["eu-west-1a"],
                isolated_subnet_ids=["subnet-0aaa", "subnet-0bbb"],
                isolated_subnet_route_table_ids=["rtb-0aaa", "rtb-0bbb"],
            )
        },
    ),
    ("vpc", "has no known CIDR", lambda s: {"vpc": _imported(s, vpc_cidr_block=None)}),
    ("vpc", "without a route table id", lambda s: {"vpc": _imported(s, isolated_subnet_route_table_ids=None)}),
]


def _subnet_cases(stack: cdk.Stack) -> list[tuple[str, dict[str, Any]]]:
    vpc = _imported(stack)
    return [
        ("fewer than two zones (eu-west-1a)", {"vpc": vpc, "subnets": [vpc.isolated_subnets[0]]}),
        (
            "is not an isolated subnet of vpc",
            {"vpc": vpc, "subnets": [ec2.Subnet.from_subnet_id(stack, "Other", "subnet-0zzz")]},
        ),
        ("is not a non-empty list", {"vpc": vpc, "subnets": []}),
    ]


@pytest.mark.parametrize("prop, problem, case", BAD_INPUT, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BAD_INPUT)])
def test_bad_input_fails_at_construct_time_naming_the_prop(prop: str, problem: str, case: Case) -> None:
    stack = new_stack()
    props = {"logs_key": kms.Key(stack, "LogsKey", enable_key_rotation=True), **case(stack)}
    with pytest.raises(PropError) as raised:
        PrivateNetwork(stack, "Network", **props)
    message = str(raised.value)
    assert message.startswith(f"PrivateNetwork(Test/Network): {prop}=")
    assert problem in message and "Fix: " in message


@pytest.mark.parametrize("index", range(3))
def test_subnets_must_be_isolated_subnets_of_vpc_in_two_zones(index: int) -> None:
    stack = new_stack()
    problem, props = _subnet_cases(stack)[index]
    with pytest.raises(PropError, match=rf"\(Test/Network\): subnets=.*{re.escape(problem)}.*Fix: "):
        PrivateNetwork(stack, "Network", logs_key=kms.Key(stack, "LogsKey", enable_key_rotation=True), **props)


@pytest.mark.parametrize("conflicting", ["cidr", "subnet_cidr_mask", "max_azs", "availability_zones"])
def test_existing_vpc_and_props_to_make_one_conflict(conflicting: str) -> None:
    stack = new_stack()
    values = {
        "cidr": "10.0.0.0/16",
        "subnet_cidr_mask": 20,
        "max_azs": 2,
        "availability_zones": ["eu-west-1a", "eu-west-1b"],
    }
    with pytest.raises(PropError, match=rf"both vpc and {conflicting} were given.*drop {conflicting}"):
        PrivateNetwork(
            stack,
            "Network",
            logs_key=kms.Key(stack, "LogsKey"),
            vpc=_imported(stack),
            **{conflicting: values[conflicting]},
        )


# Last, so that the cfn-lint started by the fixture has run alongside the tests above.
def test_cfn_lint_reports_only_the_literal_zones_that_were_asked_for(synth: dict[str, Any]) -> None:
    templates = sorted(synth["outdir"].glob("*.template.json"))
    assert len(templates) == len(synth["templates"])
    _, stdout, stderr = synth["cfn_lint"].result()
    findings = {(Path(line.split(":")[0]).name, line.split(":")[5]) for line in stdout.splitlines()}
    assert stderr == ""
    assert findings == {("Custom.template.json", "W3010")}  # Custom names its zones on purpose
