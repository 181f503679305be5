"""VPC rules (nag/rules/vpc.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
    IMPORT,
    PARAM,
    cases_params,
    covered_rules,
    junk_variants,
    one_case_per_rule,
    resource,
    rules_of,
    run_all_rules_raw,
    template,
    verdict,
    with_props,
)

# ------------------------------------------------------------------------------------------
# VPC
# ------------------------------------------------------------------------------------------

VPC = resource("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"})
SUBNET = resource("AWS::EC2::Subnet", {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"})
SG = resource("AWS::EC2::SecurityGroup", {"VpcId": {"Ref": "Vpc"}, "GroupDescription": "sg"})
SM_MODEL = resource(
    "AWS::SageMaker::Model", {"VpcConfig": {"Subnets": [{"Ref": "Subnet"}], "SecurityGroupIds": [{"Ref": "Sg"}]}}
)
FLOW_LOG = resource("AWS::EC2::FlowLog", {"ResourceId": {"Ref": "Target"}, "ResourceType": "VPC", "TrafficType": "ALL"})
TABLE = resource("AWS::EC2::RouteTable", {"VpcId": {"Ref": "Vpc"}})
ASSOCIATION = resource(
    "AWS::EC2::SubnetRouteTableAssociation", {"SubnetId": {"Ref": "Target"}, "RouteTableId": {"Ref": "Table"}}
)


def endpoint(service: str, kind: str = "Interface", vpc: str = "Target", **props) -> dict:
    name = {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, f".{service}"]]}
    body = {"VpcId": {"Ref": vpc}, "ServiceName": name, "VpcEndpointType": kind}
    if kind == "Interface":
        body["PrivateDnsEnabled"] = True
    body.update(props)
    return resource("AWS::EC2::VPCEndpoint", body)


ALL_ENDPOINTS = {
    "EpApi": endpoint("sagemaker.api"),
    "EpRuntime": endpoint("sagemaker.runtime"),
    "EpS3": endpoint("s3", "Gateway"),
    **{f"Ep{i}": endpoint(s) for i, s in enumerate(("sts", "logs", "ecr.api", "ecr.dkr", "kms"))},
}


def vpc_template(**others) -> dict:
    """A VPC ``Target`` that a SageMaker model runs in."""
    body = template(
        VPC,
        Subnet=with_props(SUBNET, VpcId={"Ref": "Target"}),
        Sg=with_props(SG, VpcId={"Ref": "Target"}),
        Model=SM_MODEL,
    )
    body["Resources"].update(others)
    return body


def subnet_template(*routes, **others) -> dict:
    """A subnet ``Target`` that a SageMaker model runs in, with a route table holding ``routes``."""
    model = with_props(SM_MODEL, VpcConfig={"Subnets": [{"Ref": "Target"}], "SecurityGroupIds": ["sg-1"]})
    body = template(SUBNET, Vpc=VPC, Model=model, Table=TABLE, Assoc=ASSOCIATION, **others)
    for index, route in enumerate(routes):
        body["Resources"][f"Route{index}"] = resource(
            "AWS::EC2::Route", {"RouteTableId": {"Ref": "Table"}, "DestinationCidrBlock": "0.0.0.0/0", **route}
        )
    return body


RULE_GROUP = resource(
    "AWS::Route53Resolver::FirewallRuleGroup",
    {
        "FirewallRules": [
            {"Action": "ALLOW", "FirewallDomainListId": "rslvr-fdl-aws", "Priority": 100},
            {"Action": "BLOCK", "BlockResponse": "NXDOMAIN", "FirewallDomainListId": "rslvr-fdl-all", "Priority": 200},
        ]
    },
)
FIREWALL_ASSOCIATION = resource(
    "AWS::Route53Resolver::FirewallRuleGroupAssociation",
    {"FirewallRuleGroupId": {"Fn::GetAtt": ["Group", "Id"]}, "VpcId": {"Ref": "Target"}, "Priority": 1000},
)
QUERY_LOGGING_ASSOCIATION = resource(
    "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation",
    {"ResolverQueryLogConfigId": "rqlc-0123", "ResourceId": {"Ref": "Target"}},
)


CLOSED_EGRESS = {
    "CidrIp": "255.255.255.255/32",
    "Description": "Disallow all traffic",
    "FromPort": 252,
    "IpProtocol": "icmp",
    "ToPort": 86,
}


def sg_template(egress, **others) -> dict:
    """A security group ``Target`` (with ``egress`` as SecurityGroupEgress) that a SageMaker model uses."""
    group = SG if egress is None else with_props(SG, SecurityGroupEgress=egress)
    model = with_props(SM_MODEL, VpcConfig={"Subnets": ["subnet-1"], "SecurityGroupIds": [{"Ref": "Target"}]})
    return template(group, Vpc=VPC, Model=model, **others)


CASES = {
    "VpcFlowLogs": {
        "pass": [template(VPC, Flow=FLOW_LOG)],
        "fail": [template(VPC), template(VPC, Flow=with_props(FLOW_LOG, TrafficType="REJECT"))],
        "unverifiable": [template(VPC, Flow=with_props(FLOW_LOG, ResourceId=PARAM))],
    },
    "VpcDnsFirewall": {
        "pass": [
            vpc_template(Group=RULE_GROUP, Assoc=with_props(FIREWALL_ASSOCIATION)),
            vpc_template(Assoc=with_props(FIREWALL_ASSOCIATION, FirewallRuleGroupId="rslvr-frg-0123")),
            template(VPC),
        ],
        "fail": [
            vpc_template(),
            vpc_template(
                Group=with_props(
                    RULE_GROUP, FirewallRules=[{"Action": "ALLOW", "FirewallDomainListId": "l", "Priority": 1}]
                ),
                Assoc=FIREWALL_ASSOCIATION,
            ),
            vpc_template(Group=RULE_GROUP, Assoc=with_props(FIREWALL_ASSOCIATION, VpcId="vpc-0123")),
        ],
        "unverifiable": [
            vpc_template(Group=RULE_GROUP, Assoc=with_props(FIREWALL_ASSOCIATION, VpcId=PARAM)),
            vpc_template(Group=with_props(RULE_GROUP, FirewallRules=PARAM), Assoc=FIREWALL_ASSOCIATION),
        ],
    },
    "VpcDnsQueryLogging": {
        "pass": [vpc_template(Logging=QUERY_LOGGING_ASSOCIATION), template(VPC)],
        "fail": [vpc_template(), vpc_template(Logging=with_props(QUERY_LOGGING_ASSOCIATION, ResourceId="vpc-0123"))],
        "unverifiable": [vpc_template(Logging=with_props(QUERY_LOGGING_ASSOCIATION, ResourceId=IMPORT))],
    },
    "SageMakerSubnetNoInternetRoute": {
        "pass": [
            subnet_template(),
            subnet_template({"VpcEndpointId": {"Ref": "Endpoint"}}),
            template(
                SUBNET,
                Vpc=VPC,
                Table=TABLE,
                Assoc=ASSOCIATION,
                Igw=resource("AWS::EC2::InternetGateway"),
                Route=resource("AWS::EC2::Route", {"RouteTableId": {"Ref": "Table"}, "GatewayId": {"Ref": "Igw"}}),
            ),
        ],
        "fail": [
            subnet_template({"GatewayId": {"Ref": "Igw"}}, Igw=resource("AWS::EC2::InternetGateway")),
            subnet_template({"NatGatewayId": {"Ref": "Nat"}}),
            subnet_template({"GatewayId": "igw-0123"}),
        ],
        "unverifiable": [
            subnet_template({"GatewayId": PARAM}),
            template(
                SUBNET,
                Model=with_props(SM_MODEL, VpcConfig={"Subnets": [{"Ref": "Target"}]}),
                Assoc=with_props(ASSOCIATION, RouteTableId=IMPORT),
            ),
        ],
    },
    "VpcSageMakerEndpoints": {
        "pass": [vpc_template(**ALL_ENDPOINTS), template(VPC)],
        "fail": [
            vpc_template(),
            vpc_template(**{**ALL_ENDPOINTS, "EpApi": endpoint("sagemaker.api", PrivateDnsEnabled=False)}),
            vpc_template(**{k: v for k, v in ALL_ENDPOINTS.items() if k != "EpS3"}),
        ],
        "unverifiable": [
            vpc_template(EpApi=endpoint("sagemaker.api"), EpOther=with_props(endpoint("x"), ServiceName=PARAM))
        ],
    },
    "VpcWorkloadEndpoints": {
        "pass": [vpc_template(**ALL_ENDPOINTS), template(VPC)],
        "fail": [vpc_template(**{k: v for k, v in ALL_ENDPOINTS.items() if k != "Ep0"})],
        "unverifiable": [vpc_template(EpOther=with_props(endpoint("x"), ServiceName=IMPORT))],
    },
    "SageMakerSecurityGroupEgress": {
        "pass": [
            sg_template([CLOSED_EGRESS]),
            sg_template([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]),
            sg_template(
                [CLOSED_EGRESS],
                Out=resource(
                    "AWS::EC2::SecurityGroupEgress",
                    {
                        "GroupId": {"Fn::GetAtt": ["Target", "GroupId"]},
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "CidrIp": "10.0.0.0/16",
                    },
                ),
            ),
            template(SG),  # no SageMaker resource uses it
        ],
        "fail": [
            sg_template(None),
            sg_template([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]),
            sg_template(
                [CLOSED_EGRESS],
                Out=resource(
                    "AWS::EC2::SecurityGroupEgress",
                    {"GroupId": {"Ref": "Target"}, "IpProtocol": "-1", "CidrIpv6": "::/0"},
                ),
            ),
            # a security group named inside a pipeline step's VpcConfig
            template(
                with_props(SG, SecurityGroupEgress=[{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]),
                Pipe=resource(
                    "AWS::SageMaker::Pipeline",
                    {
                        "PipelineDefinition": {
                            "PipelineDefinitionBody": {
                                "Fn::Sub": '{"Steps": [{"Name": "T", "Type": "Training", "Arguments": {"VpcConfig": '
                                '{"SecurityGroupIds": ["${Target.GroupId}"]}}}]}'
                            }
                        }
                    },
                ),
            ),
        ],
        "unverifiable": [sg_template([{"IpProtocol": "-1", "CidrIp": PARAM}]), sg_template(IMPORT)],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("vpc")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)
