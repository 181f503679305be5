"""Execution role, KMS key, bucket and VPC rules on template fragments."""

from __future__ import annotations

import copy

import pytest
from _nagcases import (
    IMPORT,
    KEY,
    KEY_ARN,
    PARAM,
    ROLE,
    ROLE_ARN,
    SAGEMAKER_TRUST,
    cases_params,
    resource,
    template,
    verdict,
    with_props,
)

# ------------------------------------------------------------------------------------------
# Execution roles
# ------------------------------------------------------------------------------------------

MODEL = resource("AWS::SageMaker::Model", {"ExecutionRoleArn": {"Fn::GetAtt": ["Target", "Arn"]}})
UNCONDITIONED_TRUST = {
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["sagemaker.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ]
}
LAMBDA_TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}


def role_policy(*actions, effect="Allow", key="Action") -> dict:
    return resource(
        "AWS::IAM::Policy",
        {
            "PolicyName": "p",
            "Roles": [{"Ref": "Target"}],
            "PolicyDocument": {"Statement": [{"Effect": effect, key: list(actions), "Resource": "*"}]},
        },
    )


def managed(name: str) -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{name}"]]}


def inline(*actions) -> list:
    return [
        {
            "PolicyName": "inline",
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]},
        }
    ]


def vpc_bound(operator: str, key: str, values: list) -> dict:
    """A policy allowing sagemaker:* under one condition."""
    policy = role_policy("sagemaker:*")
    policy["Properties"]["PolicyDocument"]["Statement"][0]["Condition"] = {operator: {key: values}}
    return policy


IAM_CASES = {
    "ExecutionRoleTrustConditions": {
        "pass": [
            template(ROLE),
            template(with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST)),
            template(
                with_props(
                    ROLE,
                    AssumeRolePolicyDocument={
                        "Statement": [
                            {
                                **UNCONDITIONED_TRUST["Statement"][0],
                                "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:1:*"}},
                            }
                        ]
                    },
                )
            ),
        ],
        "fail": [
            template(with_props(ROLE, AssumeRolePolicyDocument=UNCONDITIONED_TRUST)),
            template(
                with_props(
                    ROLE,
                    AssumeRolePolicyDocument={
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": {"Fn::Join": ["", ["sagemaker.", {"Ref": "AWS::URLSuffix"}]]}},
                                "Condition": {"StringEquals": {"aws:PrincipalTag/x": "y"}},
                            }
                        ]
                    },
                )
            ),
        ],
        "unverifiable": [],
    },
    "ExecutionRoleNoWildcardActions": {
        "pass": [
            template(ROLE, Policy=role_policy("s3:GetObject*", "kms:Decrypt")),
            template(with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST), Policy=role_policy("*")),
            template(ROLE, Policy=role_policy("*", effect="Deny")),
            template(ROLE, Policy=vpc_bound("StringEquals", "sagemaker:VpcSubnets", ["subnet-1", "subnet-2"])),
            template(
                ROLE, Policy=vpc_bound("ForAnyValue:StringEquals", "sagemaker:VpcSecurityGroupIds", [{"Ref": "Param"}])
            ),
        ],
        "fail": [
            template(ROLE, Policy=role_policy("s3:*")),
            template(with_props(ROLE, Policies=inline("*"))),
            template(ROLE, Policy=role_policy("iam:PassRole", key="NotAction")),
            # true for every request without a VPC: DeleteEndpoint, UpdateModel...
            template(ROLE, Policy=vpc_bound("ForAllValues:StringEquals", "sagemaker:VpcSubnets", ["subnet-1"])),
            template(ROLE, Policy=vpc_bound("StringEqualsIfExists", "sagemaker:VpcSubnets", ["subnet-1"])),
            template(ROLE, Policy=vpc_bound("StringLike", "sagemaker:VpcSubnets", ["*"])),
            template(
                with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST, ManagedPolicyArns=[{"Ref": "Managed"}]),
                Model=MODEL,
                Managed=resource(
                    "AWS::IAM::ManagedPolicy",
                    {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}},
                ),
            ),
        ],
        "unverifiable": [template(ROLE, Policy=role_policy(PARAM))],
    },
    "ExecutionRoleNoFullAccessPolicies": {
        "pass": [
            template(
                with_props(
                    ROLE,
                    ManagedPolicyArns=[
                        managed("AmazonSageMakerReadOnly"),
                        "arn:aws:iam::111122223333:policy/MyFullAccess",
                    ],
                )
            ),
            template(
                with_props(
                    ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST, ManagedPolicyArns=[managed("AdministratorAccess")]
                )
            ),
        ],
        "fail": [
            template(with_props(ROLE, ManagedPolicyArns=[managed("AmazonSageMakerFullAccess")])),
            template(
                with_props(
                    ROLE,
                    ManagedPolicyArns=[{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}, PARAM],
                )
            ),
        ],
        "unverifiable": [template(with_props(ROLE, ManagedPolicyArns=[PARAM]))],
    },
}

# ------------------------------------------------------------------------------------------
# KMS keys
# ------------------------------------------------------------------------------------------

ROOT_ALL = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:*",
    "Resource": "*",
}
ANYONE = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}


def key_with(*statements, **changes) -> dict:
    key = copy.deepcopy(KEY)
    key["Properties"]["KeyPolicy"]["Statement"].extend(statements)
    return with_props(key, **changes)


KMS_CASES = {
    "KmsKeyRotation": {
        "pass": [template(KEY), template(key_with(EnableKeyRotation=None, KeySpec="RSA_2048"))],
        "fail": [template(key_with(EnableKeyRotation=None)), template(key_with(EnableKeyRotation="false"))],
        "unverifiable": [template(key_with(EnableKeyRotation=PARAM))],
    },
    "KmsKeyPolicyNoWildcardPrincipal": {
        "pass": [
            template(KEY),
            template(key_with({**ANYONE, "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}})),
        ],
        "fail": [template(key_with(ANYONE)), template(key_with({**ANYONE, "Principal": {"AWS": ["*"]}}))],
        "unverifiable": [template(key_with({**ANYONE, "Principal": {"AWS": IMPORT}}))],
    },
    "KmsKeyPolicyScoped": {
        "pass": [template(KEY)],
        "fail": [
            template(key_with(KeyPolicy=None)),
            template(key_with(ROOT_ALL)),
            template(key_with({**ROOT_ALL, "Action": ["*"]})),
        ],
        "unverifiable": [template(key_with(KeyPolicy=PARAM))],
    },
}

# ------------------------------------------------------------------------------------------
# Buckets
# ------------------------------------------------------------------------------------------

BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
BUCKET = resource(
    "AWS::S3::Bucket",
    {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}}
            ]
        },
        "PublicAccessBlockConfiguration": BLOCK_ALL,
        "VersioningConfiguration": {"Status": "Enabled"},
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "data/"},
    },
)
LOG_BUCKET = resource(
    "AWS::S3::Bucket",
    {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
        "PublicAccessBlockConfiguration": BLOCK_ALL,
        "VersioningConfiguration": {"Status": "Enabled"},
    },
)
TLS_DENY = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": [{"Fn::GetAtt": ["Target", "Arn"]}, {"Fn::Join": ["", [{"Fn::GetAtt": ["Target", "Arn"]}, "/*"]]}],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
TLS_VERSION_DENY = {**TLS_DENY, "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}


def bucket_policy(*statements, bucket=None) -> dict:
    return resource(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": bucket if bucket is not None else {"Ref": "Target"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        },
    )


def b(target: dict, **others) -> dict:
    return template(target, Logs=LOG_BUCKET, **others)


S3_CASES = {
    "BucketKmsEncryption": {
        "pass": [
            b(BUCKET),
            template(
                BUCKET,
                Logs=LOG_BUCKET,
                Data=with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}}),
            ),
            b(
                with_props(
                    BUCKET,
                    BucketEncryption={
                        "ServerSideEncryptionConfiguration": [
                            {
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms:dsse",
                                    "KMSMasterKeyID": {
                                        "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}"
                                    },
                                }
                            }
                        ]
                    },
                )
            ),
            template(with_props(LOG_BUCKET, AccessControl="LogDeliveryWrite")),
            # load balancer access logs support SSE-S3 only, like S3 server access logs
            template(
                LOG_BUCKET,
                Alb=resource(
                    "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    {
                        "LoadBalancerAttributes": [
                            {"Key": "access_logs.s3.enabled", "Value": "true"},
                            {"Key": "access_logs.s3.bucket", "Value": {"Ref": "Target"}},
                        ]
                    },
                ),
            ),
            template(
                with_props(LOG_BUCKET, BucketName={"Fn::Sub": "${Param}-elb"}),
                Elb=resource(
                    "AWS::ElasticLoadBalancing::LoadBalancer",
                    {"AccessLoggingPolicy": {"Enabled": True, "S3BucketName": {"Fn::Sub": "${Param}-elb"}}},
                ),
            ),
            template(
                LOG_BUCKET,
                Policy=resource(
                    "AWS::S3::BucketPolicy",
                    {
                        "Bucket": {"Ref": "Target"},
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                                    "Action": "s3:PutObject",
                                    "Resource": "*",
                                }
                            ]
                        },
                    },
                ),
            ),
        ],
        "fail": [
            b(with_props(BUCKET, BucketEncryption=None)),
            template(
                LOG_BUCKET,
                Alb=resource(
                    "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    {"LoadBalancerAttributes": [{"Key": "access_logs.s3.bucket", "Value": "some-other-bucket"}]},
                ),
            ),
            b(LOG_BUCKET),
            b(
                with_props(
                    BUCKET,
                    BucketEncryption={
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                        ]
                    },
                )
            ),
        ],
        "unverifiable": [
            b(
                with_props(
                    BUCKET,
                    BucketEncryption={
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": PARAM}}
                        ]
                    },
                )
            ),
            b(with_props(BUCKET, BucketEncryption={"ServerSideEncryptionConfiguration": PARAM})),
        ],
    },
    "BucketTlsOnly": {
        "pass": [
            b(BUCKET, Policy=bucket_policy(TLS_DENY)),
            b(
                with_props(BUCKET, BucketName="data-bucket"),
                Policy=bucket_policy(
                    {
                        **TLS_DENY,
                        "Principal": "*",
                        "Action": ["*"],
                        "Condition": {"Bool": {"aws:SecureTransport": False}},
                    },
                    bucket="data-bucket",
                ),
            ),
        ],
        "fail": [
            b(BUCKET),
            b(BUCKET, Policy=bucket_policy({**TLS_DENY, "Effect": "Allow"})),
            b(BUCKET, Policy=bucket_policy(TLS_DENY, bucket={"Ref": "Logs"})),
        ],
        "unverifiable": [b(BUCKET, Policy=bucket_policy(TLS_DENY, bucket=PARAM))],
    },
    "BucketTlsVersion": {
        "pass": [b(BUCKET, Policy=bucket_policy(TLS_DENY, TLS_VERSION_DENY))],
        "fail": [
            b(BUCKET, Policy=bucket_policy(TLS_DENY)),
            b(
                BUCKET,
                Policy=bucket_policy({**TLS_VERSION_DENY, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.0"}}}),
            ),
        ],
        "unverifiable": [b(BUCKET, Policy=bucket_policy(TLS_VERSION_DENY, bucket=IMPORT))],
    },
    "BucketPublicAccessBlocked": {
        "pass": [b(BUCKET)],
        "fail": [
            b(with_props(BUCKET, PublicAccessBlockConfiguration=None)),
            b(with_props(BUCKET, PublicAccessBlockConfiguration={**BLOCK_ALL, "BlockPublicPolicy": False})),
        ],
        "unverifiable": [
            b(with_props(BUCKET, PublicAccessBlockConfiguration={**BLOCK_ALL, "IgnorePublicAcls": PARAM}))
        ],
    },
    "BucketVersioning": {
        "pass": [b(BUCKET)],
        "fail": [
            b(with_props(BUCKET, VersioningConfiguration=None)),
            b(with_props(BUCKET, VersioningConfiguration={"Status": "Suspended"})),
        ],
        "unverifiable": [b(with_props(BUCKET, VersioningConfiguration={"Status": PARAM}))],
    },
    "BucketLogging": {
        "pass": [
            b(BUCKET),
            template(
                LOG_BUCKET, Data=with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}})
            ),
        ],
        "fail": [b(with_props(BUCKET, LoggingConfiguration=None))],
        "unverifiable": [b(with_props(BUCKET, LoggingConfiguration=IMPORT))],
    },
}

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


VPC_CASES = {
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

CASES = {**IAM_CASES, **KMS_CASES, **S3_CASES, **VPC_CASES}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_a_role_passed_to_sagemaker_is_an_execution_role_whatever_it_trusts() -> None:
    body = template(
        with_props(ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST, ManagedPolicyArns=[managed("AmazonS3FullAccess")]),
        Model=MODEL,
    )
    assert verdict("ExecutionRoleNoFullAccessPolicies", body) == "fail"


def test_the_access_log_bucket_keeps_every_other_rule() -> None:
    body = template(
        LOG_BUCKET, Data=with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}})
    )
    assert verdict("BucketKmsEncryption", body) == "pass"
    assert verdict("BucketLogging", body) == "pass"
    assert verdict("BucketTlsOnly", body) == "fail"
    assert verdict("BucketVersioning", body) == "pass"
    assert verdict("BucketPublicAccessBlocked", body) == "pass"


def test_a_bucket_logging_to_itself_is_not_an_access_log_bucket() -> None:
    body = template(with_props(LOG_BUCKET, LoggingConfiguration={"DestinationBucketName": {"Ref": "Target"}}))
    assert verdict("BucketKmsEncryption", body) == "fail"


def test_the_trust_rule_names_the_statement() -> None:
    from _nagcases import findings

    body = template(
        with_props(
            ROLE, AssumeRolePolicyDocument={"Statement": [{**UNCONDITIONED_TRUST["Statement"][0], "Sid": "SageMaker"}]}
        )
    )
    assert "statement SageMaker" in findings("ExecutionRoleTrustConditions", body)[0].message


def test_sagemaker_trust_fixture_complies() -> None:
    assert SAGEMAKER_TRUST["Statement"][0]["Condition"]
    assert (
        verdict("ExecutionRoleTrustConditions", template(ROLE, Model=with_props(MODEL, ExecutionRoleArn=ROLE_ARN)))
        == "pass"
    )


# ------------------------------------------------------------------------------------------
# Names built with Fn::Sub: structurally equal expressions name the same bucket
# ------------------------------------------------------------------------------------------

APP_DATA = {"Fn::Sub": "${Param}-data"}


def test_a_policy_naming_its_bucket_with_the_same_sub_is_matched() -> None:
    bucket = with_props(BUCKET, BucketName=APP_DATA)
    for name in (APP_DATA, {"Fn::Sub": ["${ Param }-data", {}]}):
        body = b(bucket, Policy=bucket_policy(TLS_DENY, bucket=name))
        assert verdict("BucketTlsOnly", body) == "pass"
    # before: "a bucket policy names a bucket that cannot be resolved"
    assert (
        verdict("BucketTlsOnly", b(bucket, Policy=bucket_policy(TLS_DENY, bucket={"Fn::Sub": "${Param}-other"})))
        == "unverifiable"
    )


def test_a_policy_naming_another_bucket_by_the_same_sub_is_not_this_buckets() -> None:
    body = b(BUCKET, Other=with_props(BUCKET, BucketName=APP_DATA), Policy=bucket_policy(TLS_DENY, bucket=APP_DATA))
    assert verdict("BucketTlsOnly", body) == "fail"  # the policy is the other bucket's, not unknown
    assert verdict("BucketTlsOnly", body, target="Other") == "pass"


def test_an_access_log_bucket_named_with_a_sub_is_recognised() -> None:
    logs = with_props(LOG_BUCKET, BucketName={"Fn::Sub": "${Param}-logs"})
    data = with_props(BUCKET, LoggingConfiguration={"DestinationBucketName": {"Fn::Sub": "${Param}-logs"}})
    body = template(data, Logs=logs)
    assert verdict("BucketKmsEncryption", body, target="Logs") == "pass"
    assert (
        verdict(
            "BucketKmsEncryption",
            template(data, Logs=with_props(logs, BucketName={"Fn::Sub": "${Param}-other"})),
            target="Logs",
        )
        == "fail"
    )


def test_same_compares_rendered_values_and_expressions() -> None:
    from secure_sagemaker.nag.template import Template

    t = Template(template(BUCKET))
    assert t.same({"Fn::Join": ["-", ["a", "b"]]}, "a-b")
    assert t.same({"Fn::GetAtt": "Key.Arn"}, {"Fn::GetAtt": ["Key", "Arn"]})
    assert t.same({"Fn::Sub": "${Param}-x"}, {"Fn::Sub": ["${Param}-x", {}]})
    assert not t.same({"Fn::Sub": "${Param}-x"}, {"Fn::Sub": "${Param}-y"})
    assert not t.same(None, None)
