"""ExecutionRole and Guardrails: trust, scoped permissions, guardrail semantics, bad input, nag packs."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Capture, Match, Template
from constructs import Construct

from secure_sagemaker._validation import PropError
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.guardrail_statements import INSTANCE_STORAGE_EXEMPT_ACTIONS
from secure_sagemaker.identity import (
    DEFAULT_LOG_GROUPS,
    GUARDRAIL_CONDITIONS,
    GUARDRAIL_PAIRS,
    IF_PRESENT,
    REQUIRED,
    REQUIRED_SETTINGS,
    RESOURCE_STAR_ACTIONS,
    ExecutionRole,
    Guardrails,
    S3Prefix,
)
from tests.helpers import ROOT, new_app, new_stack, resources, synth_with_stock_packs

ACCOUNT = {"Ref": "AWS::AccountId"}
REGION = {"Ref": "AWS::Region"}
PARTITION = {"Ref": "AWS::Partition"}
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]
GROUP = "sg-0a1b2c3d4e5f60718"
REPO_ARN = "arn:aws:ecr:eu-west-1:111122223333:repository/base/python"
IAM_POLICY_LIMIT = 6144  # characters of a managed policy, whitespace excluded

# Condition keys each action supports, written by hand from the Service Authorization Reference:
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
# (service-specific keys only; aws:RequestTag/aws:TagKeys omitted) and, for iam:PassRole,
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
SUPPORTED_CONDITION_KEYS: dict[str, set[str]] = {
    "sagemaker:CreateTrainingJob": {
        "sagemaker:FileSystemAccessMode",
        "sagemaker:FileSystemDirectoryPath",
        "sagemaker:FileSystemId",
        "sagemaker:FileSystemType",
        "sagemaker:InstanceTypes",
        "sagemaker:InterContainerTrafficEncryption",
        "sagemaker:MaxRuntimeInSeconds",
        "sagemaker:NetworkIsolation",
        "sagemaker:OutputKmsKey",
        "sagemaker:VolumeKmsKey",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
        "sagemaker:KeepAlivePeriod",
        "sagemaker:EnableRemoteDebug",
        "sagemaker:DirectGatedModelAccess",
    },
    "sagemaker:CreateHyperParameterTuningJob": {
        "sagemaker:FileSystemAccessMode",
        "sagemaker:FileSystemDirectoryPath",
        "sagemaker:FileSystemId",
        "sagemaker:FileSystemType",
        "sagemaker:InstanceTypes",
        "sagemaker:InterContainerTrafficEncryption",
        "sagemaker:MaxRuntimeInSeconds",
        "sagemaker:NetworkIsolation",
        "sagemaker:OutputKmsKey",
        "sagemaker:VolumeKmsKey",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
    },
    "sagemaker:CreateProcessingJob": {
        "sagemaker:InstanceTypes",
        "sagemaker:MaxRuntimeInSeconds",
        "sagemaker:NetworkIsolation",
        "sagemaker:OutputKmsKey",
        "sagemaker:VolumeKmsKey",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
        "sagemaker:InterContainerTrafficEncryption",
    },
    "sagemaker:CreateAutoMLJob": {
        "sagemaker:InterContainerTrafficEncryption",
        "sagemaker:OutputKmsKey",
        "sagemaker:VolumeKmsKey",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
    },
    "sagemaker:CreateAutoMLJobV2": {
        "sagemaker:InterContainerTrafficEncryption",
        "sagemaker:OutputKmsKey",
        "sagemaker:VolumeKmsKey",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
    },
    "sagemaker:CreateTransformJob": {
        "sagemaker:InstanceTypes",
        "sagemaker:ModelArn",
        "sagemaker:OutputKmsKey",
        "sagemaker:VolumeKmsKey",
    },
    "sagemaker:CreateModel": {
        "sagemaker:NetworkIsolation",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
        "sagemaker:DirectGatedModelAccess",
    },
    "sagemaker:CreateEndpointConfig": {
        "sagemaker:AcceleratorTypes",
        "sagemaker:InstanceTypes",
        "sagemaker:ModelArn",
        "sagemaker:VolumeKmsKey",
        "sagemaker:ServerlessMaxConcurrency",
        "sagemaker:ServerlessMemorySize",
        "sagemaker:NetworkIsolation",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
    },
    "sagemaker:CreateNotebookInstance": {
        "sagemaker:AcceleratorTypes",
        "sagemaker:DirectInternetAccess",
        "sagemaker:InstanceTypes",
        "sagemaker:MinimumInstanceMetadataServiceVersion",
        "sagemaker:RootAccess",
        "sagemaker:VolumeKmsKey",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
    },
    "sagemaker:UpdateNotebookInstance": {
        "sagemaker:AcceleratorTypes",
        "sagemaker:InstanceTypes",
        "sagemaker:MinimumInstanceMetadataServiceVersion",
        "sagemaker:RootAccess",
    },
    "sagemaker:CreateDomain": {
        "sagemaker:AppNetworkAccessType",
        "sagemaker:InstanceTypes",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:VpcSubnets",
        "sagemaker:DomainSharingOutputKmsKey",
        "sagemaker:VolumeKmsKey",
        "sagemaker:ImageArns",
        "sagemaker:ImageVersionArns",
        "sagemaker:StudioLifecycleConfigArns",
    },
    "sagemaker:UpdateDomain": {
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:InstanceTypes",
        "sagemaker:DomainSharingOutputKmsKey",
        "sagemaker:ImageArns",
        "sagemaker:ImageVersionArns",
        "sagemaker:AppNetworkAccessType",
        "sagemaker:VpcSubnets",
        "sagemaker:StudioLifecycleConfigArns",
    },
    "sagemaker:CreateUserProfile": {
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:InstanceTypes",
        "sagemaker:DomainSharingOutputKmsKey",
        "sagemaker:ImageArns",
        "sagemaker:ImageVersionArns",
        "sagemaker:StudioLifecycleConfigArns",
    },
    "sagemaker:UpdateUserProfile": {
        "sagemaker:InstanceTypes",
        "sagemaker:VpcSecurityGroupIds",
        "sagemaker:DomainSharingOutputKmsKey",
        "sagemaker:ImageArns",
        "sagemaker:ImageVersionArns",
        "sagemaker:StudioLifecycleConfigArns",
    },
    "iam:PassRole": {"iam:AssociatedResourceArn", "iam:PassedToService"},
}

# The workloads the issue names; each must be guarded by at least one condition key.
ISSUE_ACTIONS = {
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateAutoMLJob",
    "sagemaker:CreateAutoMLJobV2",
    "sagemaker:CreateModel",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateDomain",
    "sagemaker:CreateUserProfile",
}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def arn(service: str, rest: str, region: bool = True, account: bool = True) -> dict:
    parts = ["arn:", PARTITION, f":{service}:"]
    parts += [REGION] if region else []
    parts += [":"]
    parts += [ACCOUNT] if account else []
    return {"Fn::Join": ["", parts + [f":{rest}"]]}


def unordered(values: Any) -> list[str]:
    """``values`` as a sorted list of JSON texts, for lists whose order CDK may change."""
    return sorted(json.dumps(v, sort_keys=True) for v in as_list(values))


def s3_arn(rest: str) -> dict:
    return {"Fn::Join": ["", ["arn:", PARTITION, f":s3:::{rest}"]]}


def getatt(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> dict[str, Any]:
    """One synth: roles and guardrails in an agnostic stack, and a literal-valued stack for sizes."""
    outdir = tmp_path_factory.mktemp("identity")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    data = s3.Bucket.from_bucket_attributes(stack, "Data", bucket_name="ml-data-bucket", encryption_key=keys.data_key)
    models = s3.Bucket.from_bucket_attributes(
        stack, "Models", bucket_name="ml-models-bucket", encryption_key=keys.models_key
    )
    token_name = cdk.CfnParameter(stack, "ScratchBucketName").value_as_string
    scratch = s3.Bucket.from_bucket_name(stack, "Scratch", token_name)
    repo = ecr.Repository.from_repository_name(stack, "Repo", "team/trainer")
    volume_key = kms.Key.from_key_arn(
        stack, "VolumeKey", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    role = ExecutionRole(
        stack,
        "Exec",
        read_buckets=[S3Prefix(data, "datasets/train"), S3Prefix(data, "datasets/validation/"), "public-reference"],
        write_prefixes=[S3Prefix(models, "output/"), S3Prefix(data, "features/"), S3Prefix(scratch, "tmp/")],
        keys=[volume_key],
        ecr_repositories=[repo, REPO_ARN],
        subnets=SUBNETS,
        security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "Sg", GROUP)],
    )
    narrow = ExecutionRole(
        stack,
        "Narrow",
        read_buckets=[data],
        log_groups=["/aws/sagemaker/TrainingJobs"],
        metric_namespaces=(),
        source_arns=["arn:aws:sagemaker:eu-west-1:111122223333:training-job/*"],
        permissions_boundary=iam.ManagedPolicy.from_managed_policy_name(stack, "Boundary", "ml-boundary"),
    )
    guardrails = Guardrails(
        stack,
        "Guardrails",
        subnets=SUBNETS,
        security_groups=[GROUP],
        volume_keys=[keys.data_key, volume_key],
        output_keys=[keys.models_key],
        execution_roles=[role, narrow.role],
    )

    sized = cdk.Stack(app, "Sized", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    sized_key = kms.Key.from_key_arn(
        sized, "Key", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    sized_subnets = [f"subnet-0a1b2c3d4e5f6071{i}" for i in range(3)]
    sized_groups = ["sg-0a1b2c3d4e5f60718", "sg-0a1b2c3d4e5f60719"]
    ExecutionRole(
        sized,
        "Exec",
        read_buckets=[
            S3Prefix("ml-data-bucket-111122223333", f"datasets/{n}/") for n in ("train", "validation", "test")
        ],
        write_prefixes=[S3Prefix("ml-models-bucket-111122223333", p) for p in ("output/", "checkpoints/")],
        keys=[sized_key],
        ecr_repositories=[REPO_ARN, REPO_ARN.replace("python", "pytorch")],
        subnets=sized_subnets,
        security_groups=sized_groups,
    )
    Guardrails(
        sized,
        "Guardrails",
        subnets=sized_subnets,
        security_groups=sized_groups,
        volume_keys=[sized_key, kms.Key.from_key_arn(sized, "Key2", sized_key.key_arn[:-1] + "c")],
        output_keys=[sized_key],
        # imported roles: the created role's ARN would be a token, which cannot be measured
        execution_roles=[iam.Role.from_role_name(sized, f"R{i}", f"ml-execution-role-{i}") for i in range(4)],
    )

    error = synth_with_stock_packs(app)
    assert error is None, error  # ValidationFailed: an unacknowledged error finding
    ids = {
        "role": stack.resolve(stack.get_logical_id(role.role.node.default_child)),
        "policy": stack.resolve(stack.get_logical_id(role.policy.node.default_child)),
        "narrow": stack.resolve(stack.get_logical_id(narrow.role.node.default_child)),
        "narrow_policy": stack.resolve(stack.get_logical_id(narrow.policy.node.default_child)),
        "guardrails": [stack.resolve(stack.get_logical_id(p.node.default_child)) for p in guardrails.policies],
        "data_key": stack.resolve(stack.get_logical_id(keys.data_key.node.default_child)),
        "models_key": stack.resolve(stack.get_logical_id(keys.models_key.node.default_child)),
    }
    return {
        "template": json.loads((Path(outdir) / "Test.template.json").read_text()),
        "sized": json.loads((Path(outdir) / "Sized.template.json").read_text()),
        "report": json.loads((Path(outdir) / "validation-report.json").read_text()),
        "ids": ids,
    }


def document(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id]["Properties"]["PolicyDocument"]


def by_sid(template: dict, logical_id: str) -> dict[str, dict]:
    statements = document(template, logical_id)["Statement"]
    sids = [s.get("Sid") for s in statements]
    assert None not in sids and len(set(sids)) == len(sids), sids
    return {s["Sid"]: s for s in statements}


# --- ExecutionRole: trust ---------------------------------------------------------------------


def _trust(role: dict) -> dict:
    """Trust statements by action; both must carry the same principal and conditions."""
    statements = role["AssumeRolePolicyDocument"]["Statement"]
    by_action = {s["Action"]: s for s in statements}
    assert set(by_action) == {"sts:AssumeRole", "sts:SetSourceIdentity"}, statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert by_action["sts:AssumeRole"]["Condition"] == by_action["sts:SetSourceIdentity"]["Condition"]
    return by_action["sts:AssumeRole"]


def test_trust_admits_sagemaker_of_this_account_and_region_only(template, ids):
    role = template["Resources"][ids["role"]]["Properties"]
    statement = _trust(role)
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": [arn("sagemaker", "*")]},
    }
    assert "PermissionsBoundary" not in role


def test_trust_narrows_to_given_source_arns_and_takes_a_boundary(template, ids):
    role = template["Resources"][ids["narrow"]]["Properties"]
    statement = _trust(role)
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": ["arn:aws:sagemaker:eu-west-1:111122223333:training-job/*"]},
    }
    assert role["PermissionsBoundary"] == {
        "Fn::Join": ["", ["arn:", PARTITION, ":iam::", ACCOUNT, ":policy/ml-boundary"]]
    }


# --- ExecutionRole: permissions ---------------------------------------------------------------


def test_roles_have_only_their_customer_managed_policy(template, ids):
    assert resources(template, "AWS::IAM::Policy") == {}, "inline policies are flagged by HIPAA/NIST/PCI packs"
    for role, policy in (("role", "policy"), ("narrow", "narrow_policy")):
        props = template["Resources"][ids[role]]["Properties"]
        assert props["ManagedPolicyArns"] == [{"Ref": ids[policy]}]
        assert "Policies" not in props


def test_no_wildcard_action_anywhere(template):
    for logical_id in resources(template, "AWS::IAM::ManagedPolicy"):
        for statement in document(template, logical_id)["Statement"]:
            assert "NotAction" not in statement, (logical_id, statement)
            for action in as_list(statement["Action"]):
                assert "*" not in action and "?" not in action, (logical_id, action)
                assert not action.endswith("FullAccess")


def test_resource_star_only_on_documented_actions(template, ids, synth):
    star_actions = set()
    policies = [(synth["template"], ids["policy"]), (synth["template"], ids["narrow_policy"])]
    policies += [
        (synth["sized"], k) for k in resources(synth["sized"], "AWS::IAM::ManagedPolicy") if k.startswith("Exec")
    ]
    for body, logical_id in policies:
        for statement in document(body, logical_id)["Statement"]:
            assert statement["Effect"] == "Allow"
            if "*" in as_list(statement["Resource"]):
                assert statement["Resource"] == "*", "'*' beside other resources hides the scoped ones"
                star_actions |= set(as_list(statement["Action"]))
    assert star_actions == set(RESOURCE_STAR_ACTIONS)


def test_object_access_is_scoped_to_named_prefixes(template, ids):
    statements = by_sid(template, ids["policy"])
    read, write = statements["ReadObjects"], statements["ReadWriteObjects"]
    assert read["Action"] == "s3:GetObject"
    assert unordered(read["Resource"]) == unordered(
        [
            s3_arn("ml-data-bucket/datasets/train/*"),
            s3_arn("ml-data-bucket/datasets/validation/*"),
            s3_arn("public-reference/*"),
        ]
    )
    assert write["Action"] == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    assert unordered(write["Resource"]) == unordered(
        [
            s3_arn("ml-models-bucket/output/*"),
            s3_arn("ml-data-bucket/features/*"),
            {"Fn::Join": ["", ["arn:", PARTITION, ":s3:::", {"Ref": "ScratchBucketName"}, "/tmp/*"]]},
        ]
    )
    forbidden = {"s3:DeleteObject", "s3:PutBucketPolicy", "s3:PutObjectAcl"}
    for statement in statements.values():
        assert not forbidden & set(as_list(statement["Action"]))


def test_list_bucket_is_limited_to_the_prefixes_of_each_bucket(template, ids):
    statements = by_sid(template, ids["policy"])
    listing = {
        json.dumps(s["Resource"]): s.get("Condition") for sid, s in statements.items() if sid.startswith("ListBucket")
    }
    bucket = lambda name: json.dumps(s3_arn(name))  # noqa: E731
    scratch = json.dumps({"Fn::Join": ["", ["arn:", PARTITION, ":s3:::", {"Ref": "ScratchBucketName"}]]})
    assert listing == {
        bucket("ml-data-bucket"): {
            "StringLike": {
                "s3:prefix": [
                    "datasets/train",
                    "datasets/train/*",
                    "datasets/validation",
                    "datasets/validation/*",
                    "features",
                    "features/*",
                ]
            }
        },
        bucket("public-reference"): None,  # read as a whole bucket
        bucket("ml-models-bucket"): {"StringLike": {"s3:prefix": ["output", "output/*"]}},
        scratch: {"StringLike": {"s3:prefix": ["tmp", "tmp/*"]}},
    }
    for sid, statement in statements.items():
        if sid.startswith("ListBucket"):
            assert statement["Action"] == "s3:ListBucket"
    # GetBucketLocation requests carry no s3:prefix, so it is allowed without that condition.
    location = statements["BucketLocation"]
    assert location["Action"] == "s3:GetBucketLocation" and "Condition" not in location
    assert sorted(map(json.dumps, location["Resource"])) == sorted(listing)


def test_keys_are_the_given_ones_and_the_buckets_keys(template, ids):
    statements = by_sid(template, ids["policy"])
    expected = [
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        getatt(ids["data_key"]),
        getatt(ids["models_key"]),
    ]
    use, grant = statements["UseKeys"], statements["GrantKeysToAwsResources"]
    assert use["Resource"] == grant["Resource"] == expected
    assert use["Action"] == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_images_only_from_named_repositories(template, ids):
    statements = by_sid(template, ids["policy"])
    pull = statements["PullImages"]
    assert pull["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert unordered(pull["Resource"]) == unordered([arn("ecr", "repository/team/trainer"), REPO_ARN])
    assert statements["EcrLogin"] == {
        "Action": "ecr:GetAuthorizationToken",
        "Effect": "Allow",
        "Resource": "*",
        "Sid": "EcrLogin",
    }


def test_log_groups_are_under_aws_sagemaker(template, ids):
    logs = by_sid(template, ids["policy"])["WriteLogs"]
    assert logs["Action"] == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    expected = []
    for name in sorted(DEFAULT_LOG_GROUPS):
        expected += [arn("logs", f"log-group:{name}"), arn("logs", f"log-group:{name}:*")]
    assert sorted(logs["Resource"], key=json.dumps) == sorted(expected, key=json.dumps)
    narrow = by_sid(template, ids["narrow_policy"])["WriteLogs"]
    assert narrow["Resource"] == [
        arn("logs", "log-group:/aws/sagemaker/TrainingJobs"),
        arn("logs", "log-group:/aws/sagemaker/TrainingJobs:*"),
    ]


def test_metrics_only_in_sagemaker_namespaces(template, ids):
    metrics = by_sid(template, ids["policy"])["PutMetrics"]
    assert metrics["Action"] == "cloudwatch:PutMetricData"
    assert metrics["Resource"] == "*"
    assert metrics["Condition"] == {
        "StringEquals": {
            "cloudwatch:namespace": [
                "/aws/sagemaker/TrainingJobs",
                "/aws/sagemaker/ProcessingJobs",
                "/aws/sagemaker/TransformJobs",
                "/aws/sagemaker/Endpoints",
            ]
        }
    }


def test_network_interfaces_only_in_given_subnets_and_security_groups(template, ids):
    statements = by_sid(template, ids["policy"])
    subnets = [arn("ec2", f"subnet/{s}") for s in SUBNETS]
    interfaces = arn("ec2", "network-interface/*")
    create = statements["CreateInterfacesInGivenSubnets"]
    assert create["Action"] == "ec2:CreateNetworkInterface"
    assert sorted(create["Resource"], key=json.dumps) == sorted(
        [*subnets, arn("ec2", f"security-group/{GROUP}"), interfaces], key=json.dumps
    )
    manage = statements["ManageInterfacesInGivenSubnets"]
    assert manage["Action"] == [
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
    ]
    assert manage["Resource"] == interfaces
    assert manage["Condition"] == {"ArnEquals": {"ec2:Subnet": subnets}}
    describe = statements["DescribeNetwork"]
    assert describe["Resource"] == "*"
    assert set(describe["Action"]) == {
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    }


def test_permissions_come_only_from_props(template, ids):
    # Narrow: one whole bucket, one log group, no metrics, no repositories, no network.
    assert set(by_sid(template, ids["narrow_policy"])) == {
        "ReadObjects",
        "ListBucket0",
        "BucketLocation",
        "UseKeys",
        "GrantKeysToAwsResources",
        "WriteLogs",
    }


# --- Guardrails -------------------------------------------------------------------------------


def all_guardrail_statements(template: dict, ids: dict) -> list[dict]:
    return [s for logical_id in ids["guardrails"] for s in document(template, logical_id)["Statement"]]


# The statements of GUARDRAIL_CONDITIONS (workload settings and PassRole); tests/test_guardrails.py
# covers the escalation, self-protection and invocation statements.
_CORE_SIDS = ("Require", "Check", "PassOnly")


def guardrail_statements(template: dict, ids: dict) -> list[dict]:
    return [s for s in all_guardrail_statements(template, ids) if s["Sid"].startswith(_CORE_SIDS)]


def condition_keys(statement: dict) -> set[str]:
    return {key for operator in statement.get("Condition", {}).values() for key in operator}


def test_guardrails_rely_exactly_on_the_pinned_pairs(template, ids):
    pairs = {
        (action, key)
        for statement in guardrail_statements(template, ids)
        for action in as_list(statement["Action"])
        for key in condition_keys(statement)
    }
    exemption = {(action, "sagemaker:InstanceTypes") for action in INSTANCE_STORAGE_EXEMPT_ACTIONS}
    assert pairs == GUARDRAIL_PAIRS | exemption


def test_every_pair_is_supported_according_to_the_service_authorization_reference(template, ids):
    for statement in all_guardrail_statements(template, ids):
        for action in as_list(statement["Action"]):
            if action not in SUPPORTED_CONDITION_KEYS:
                continue
            keys = {key for key in condition_keys(statement) if not key.startswith("aws:")}
            unsupported = keys - SUPPORTED_CONDITION_KEYS[action]
            assert not unsupported, f"{statement['Sid']}: {action} does not support {unsupported}"


def test_the_pinned_table_itself_is_supported_and_covers_the_issue():
    for action, keys in GUARDRAIL_CONDITIONS.items():
        assert set(keys) <= SUPPORTED_CONDITION_KEYS[action], action
        assert set(keys.values()) <= {REQUIRED, IF_PRESENT}
    assert ISSUE_ACTIONS <= set(GUARDRAIL_CONDITIONS)
    # Where the issue asks for a control and the API has its key, the control is required.
    for action in ISSUE_ACTIONS - {"sagemaker:CreateEndpointConfig", "sagemaker:CreateUserProfile"}:
        for key in (
            "sagemaker:VpcSubnets",
            "sagemaker:VpcSecurityGroupIds",
            "sagemaker:VolumeKmsKey",
            "sagemaker:OutputKmsKey",
            "sagemaker:NetworkIsolation",
            "sagemaker:InterContainerTrafficEncryption",
        ):
            if key in SUPPORTED_CONDITION_KEYS[action]:
                assert GUARDRAIL_CONDITIONS[action].get(key) == REQUIRED, (action, key)


def test_every_guardrail_statement_denies_on_a_condition(template, ids):
    for statement in guardrail_statements(template, ids):
        assert statement["Effect"] == "Deny", statement["Sid"]
        if statement["Sid"] != "PassOnlyExecutionRoles":  # the one unconditional Deny, by NotResource
            assert statement["Resource"] == "*", statement["Sid"]
            assert statement.get("Condition"), statement["Sid"]


def test_approved_values_are_the_given_ones(template, ids):
    statements = {s["Sid"]: s for s in guardrail_statements(template, ids)}
    volume = ["arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", getatt(ids["data_key"])]
    expected = {
        "RequireSubnets": {"Null": {"sagemaker:VpcSubnets": "true"}},
        "CheckSubnets": {"ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": SUBNETS}},
        "RequireSecurityGroups": {"Null": {"sagemaker:VpcSecurityGroupIds": "true"}},
        "CheckSecurityGroups": {"ForAnyValue:StringNotEquals": {"sagemaker:VpcSecurityGroupIds": [GROUP]}},
        "RequireVolumeKey": {"ArnNotEquals": {"sagemaker:VolumeKmsKey": sorted(volume, key=json.dumps)}},
        "RequireOutputKey": {"ArnNotEquals": {"sagemaker:OutputKmsKey": [getatt(ids["models_key"])]}},
        "CheckSharingKey": {
            "ArnNotEquals": {"sagemaker:DomainSharingOutputKmsKey": [getatt(ids["models_key"])]},
            "Null": {"sagemaker:DomainSharingOutputKmsKey": "false"},
        },
    }
    actual = {sid: statements[sid]["Condition"] for sid in expected}
    actual["RequireVolumeKey"]["ArnNotEquals"]["sagemaker:VolumeKmsKey"].sort(key=json.dumps)
    assert actual == expected


def test_pass_role_only_for_execution_roles_and_only_to_sagemaker(template, ids):
    statements = {s["Sid"]: s for s in guardrail_statements(template, ids)}
    roles = [getatt(ids["role"]), getatt(ids["narrow"])]
    assert statements["PassOnlyExecutionRoles"] == {
        "Action": "iam:PassRole",
        "Effect": "Deny",
        "NotResource": roles,
        "Sid": "PassOnlyExecutionRoles",
    }
    assert statements["PassOnlyToSageMaker"] == {
        "Action": "iam:PassRole",
        "Condition": {"StringNotEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        "Effect": "Deny",
        "Resource": "*",
        "Sid": "PassOnlyToSageMaker",
    }


# A small evaluator of the Deny statements for the operators the guardrails may use: it checks
# what each statement *means*, independently of how the module builds it.
def _condition_holds(operator: str, key: str, expected: Any, request: dict) -> bool:
    present = key in request
    value = request.get(key)
    expected = as_list(expected)
    if operator == "Null":
        return (not present) == (expected == ["true"])
    if operator == "ForAnyValue:StringNotLike":
        return present and any(not any(fnmatch.fnmatchcase(v, e) for e in expected) for v in value)
    if operator == "ForAnyValue:StringNotEquals":
        return present and any(v not in expected for v in value)
    if operator in ("StringNotEquals", "ArnNotEquals"):  # negated: true when the key is absent
        return not present or value not in expected
    if operator == "Bool":
        return present and [str(value).lower()] == expected
    if operator == "BoolIfExists":
        return not present or [str(value).lower()] == expected
    raise AssertionError(f"operator {operator} is not understood by this test")


def denied(statements: list[dict], action: str, request: dict, resource: Any = "*") -> list[str]:
    hits = []
    for statement in statements:
        if action not in as_list(statement["Action"]):
            continue
        if "NotResource" in statement and resource in as_list(statement["NotResource"]):
            continue
        if "Resource" in statement and statement["Resource"] != "*" and resource not in as_list(statement["Resource"]):
            continue
        if all(
            _condition_holds(op, key, value, request)
            for op, keys in statement.get("Condition", {}).items()
            for key, value in keys.items()
        ):
            hits.append(statement["Sid"])
    return hits


def compliant_request(action: str, ids: dict) -> dict:
    values = {
        "sagemaker:VpcSubnets": [SUBNETS[1]],
        "sagemaker:VpcSecurityGroupIds": [GROUP],
        "sagemaker:VolumeKmsKey": getatt(ids["data_key"]),
        "sagemaker:OutputKmsKey": getatt(ids["models_key"]),
        "sagemaker:DomainSharingOutputKmsKey": getatt(ids["models_key"]),
        "iam:PassedToService": "sagemaker.amazonaws.com",
        **REQUIRED_SETTINGS,
    }
    return {key: values[key] for key in GUARDRAIL_CONDITIONS[action]}


WRONG = {
    "sagemaker:VpcSubnets": [SUBNETS[0], "subnet-0ffffffffffffffff"],
    "sagemaker:VpcSecurityGroupIds": [GROUP, "sg-0ffffffffffffffff"],
    "sagemaker:VolumeKmsKey": "arn:aws:kms:eu-west-1:111122223333:key/other",
    "sagemaker:OutputKmsKey": "arn:aws:kms:eu-west-1:111122223333:key/other",
    "sagemaker:DomainSharingOutputKmsKey": "arn:aws:kms:eu-west-1:111122223333:key/other",
    "sagemaker:NetworkIsolation": "false",
    "sagemaker:InterContainerTrafficEncryption": "false",
    "sagemaker:DirectInternetAccess": "Enabled",
    "sagemaker:RootAccess": "Enabled",
    "sagemaker:MinimumInstanceMetadataServiceVersion": "1",
    "sagemaker:AppNetworkAccessType": "PublicInternetOnly",
}


@pytest.mark.parametrize("action", sorted(set(GUARDRAIL_CONDITIONS) - {"iam:PassRole"}))
def test_each_action_is_allowed_when_compliant_and_denied_per_violation(template, ids, action):
    statements = guardrail_statements(template, ids)
    request = compliant_request(action, ids)
    assert denied(statements, action, request) == []
    for key, mode in GUARDRAIL_CONDITIONS[action].items():
        wrong = {**request, key: WRONG[key]}
        assert denied(statements, action, wrong), f"{action} with a wrong {key} is allowed"
        missing = {k: v for k, v in request.items() if k != key}
        assert bool(denied(statements, action, missing)) == (mode == REQUIRED), f"{action} without {key}"


@pytest.mark.parametrize(
    "action, request_, is_denied",
    [
        # a training job outside any VPC, or a notebook with defaults (internet on, root on)
        ("sagemaker:CreateTrainingJob", {}, True),
        ("sagemaker:CreateNotebookInstance", {}, True),
        # an endpoint config for a model (the model carries VPC and isolation) needs only its key
        (
            "sagemaker:CreateEndpointConfig",
            {"sagemaker:VolumeKmsKey": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
            False,
        ),
        ("sagemaker:CreateEndpointConfig", {}, True),
        # a user profile inherits the domain's settings, but may not override them badly
        ("sagemaker:CreateUserProfile", {}, False),
        ("sagemaker:CreateUserProfile", {"sagemaker:VpcSecurityGroupIds": ["sg-0ffffffffffffffff"]}, True),
        ("sagemaker:UpdateNotebookInstance", {}, False),
        ("sagemaker:UpdateNotebookInstance", {"sagemaker:RootAccess": "Enabled"}, True),
        ("sagemaker:UpdateDomain", {"sagemaker:AppNetworkAccessType": "PublicInternetOnly"}, True),
        # actions that are not governed stay untouched
        ("sagemaker:DescribeTrainingJob", {}, False),
    ],
)
def test_hand_picked_requests(template, ids, action, request_, is_denied):
    assert bool(denied(guardrail_statements(template, ids), action, request_)) == is_denied


def test_pass_role_evaluation(template, ids):
    statements = guardrail_statements(template, ids)
    role, other = getatt(ids["role"]), "arn:aws:iam::111122223333:role/admin"
    to = lambda service: {"iam:PassedToService": service}  # noqa: E731
    assert denied(statements, "iam:PassRole", to("sagemaker.amazonaws.com"), role) == []
    assert denied(statements, "iam:PassRole", to("sagemaker.amazonaws.com"), getatt(ids["narrow"])) == []
    assert denied(statements, "iam:PassRole", to("glue.amazonaws.com"), role) == ["PassOnlyToSageMaker"]
    assert denied(statements, "iam:PassRole", to("sagemaker.amazonaws.com"), other) == ["PassOnlyExecutionRoles"]
    assert denied(statements, "iam:PassRole", to("glue.amazonaws.com"), other) == [
        "PassOnlyExecutionRoles",
        "PassOnlyToSageMaker",
    ]


# --- size, docs, nag --------------------------------------------------------------------------


def test_policies_of_a_realistic_setup_fit_the_managed_policy_limit(synth):
    policies = resources(synth["sized"], "AWS::IAM::ManagedPolicy")
    assert len(policies) >= 3  # the role's policy and the guardrails' parts
    for logical_id, policy in policies.items():
        text = json.dumps(policy["Properties"]["PolicyDocument"], separators=(",", ":"))
        assert "Ref" not in text and "Fn::" not in text, "the sized stack must be all literals to measure it"
        assert len(text) < IAM_POLICY_LIMIT, (logical_id, len(text))


def test_policies_that_would_not_fit_fail_at_construct_time():
    stack = new_stack()
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    roles = [
        iam.Role.from_role_arn(stack, f"R{i}", f"arn:aws:iam::111122223333:role/ml-execution-role-{i:03}")
        for i in range(120)  # one PassOnlyExecutionRoles statement longer than a whole policy
    ]
    with pytest.raises(
        PropError, match=r"Guardrails\(Test/Guardrails\): its props make a policy of at least \d+ characters"
    ):
        Guardrails(
            stack,
            "Guardrails",
            subnets=SUBNETS,
            security_groups=[GROUP],
            volume_keys=[key],
            output_keys=[key],
            execution_roles=roles,
        )
    prefixes = [S3Prefix("ml-data-bucket", f"datasets/project-{i:03}/") for i in range(120)]
    with pytest.raises(PropError, match=r"ExecutionRole\(Test/Exec\): its props make a policy of at least"):
        ExecutionRole(stack, "Exec", read_buckets=prefixes)


def test_docs_list_every_resource_star_action_and_guarded_action():
    doc = (ROOT / "docs" / "identity.md").read_text()
    for action in RESOURCE_STAR_ACTIONS:
        assert f"`{action}`" in doc, action
    for action, keys in GUARDRAIL_CONDITIONS.items():
        assert f"`{action}`" in doc, action
        for key in keys:
            assert f"`{key}`" in doc, key


def findings(report: dict) -> tuple[set, set]:
    found: dict[str, set] = {"violations": set(), "suppressedViolations": set()}
    for plugin in report["pluginReports"]:
        for kind in found:
            for v in plugin.get(kind, []):
                for c in v["violatingConstructs"]:
                    found[kind].add((v["ruleName"], c["constructPath"]))
    return found["violations"], found["suppressedViolations"]


LOG = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/"
S3 = "arn:<AWS::Partition>:s3:::"
SIZED_LOG = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/sagemaker/"


def iam5(path: str, *resources_: str) -> set[tuple[str, str]]:
    return {(f"AwsSolutions-IAM5[Resource::{r}]", path) for r in resources_}


def test_stock_packs_report_only_acknowledged_inherent_wildcards(synth):
    violations, suppressed = findings(synth["report"])
    assert violations == set()
    logs = lambda prefix: [
        f"{prefix}{g.split('/aws/sagemaker/')[1]}{s}" for g in DEFAULT_LOG_GROUPS for s in ("", ":*") if "*" in g + s
    ]  # noqa: E731
    expected = iam5(
        "Test/Exec/Policy/Resource",
        "*",
        f"{S3}ml-data-bucket/datasets/train/*",
        f"{S3}ml-data-bucket/datasets/validation/*",
        f"{S3}public-reference/*",
        f"{S3}ml-models-bucket/output/*",
        f"{S3}ml-data-bucket/features/*",
        f"{S3}<ScratchBucketName>/tmp/*",
        "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*",
        *logs(LOG),
    )
    expected |= iam5("Test/Narrow/Policy/Resource", f"{S3}ml-data-bucket/*", f"{LOG}TrainingJobs:*")
    expected |= iam5(
        "Sized/Exec/Policy/Resource",
        "*",
        *(f"arn:aws:s3:::ml-data-bucket-111122223333/datasets/{n}/*" for n in ("train", "validation", "test")),
        *(f"arn:aws:s3:::ml-models-bucket-111122223333/{p}*" for p in ("output/", "checkpoints/")),
        "arn:aws:ec2:eu-west-1:111122223333:network-interface/*",
        *logs(SIZED_LOG),
    )
    assert suppressed == expected


def test_a_wildcard_added_later_is_not_acknowledged():
    stack = new_stack()
    role = ExecutionRole(stack, "Exec", metric_namespaces=[], log_groups=["/aws/sagemaker/TrainingJobs"])
    role.policy.add_statements(
        iam.PolicyStatement(sid="Extra", actions=["s3:GetObject"], resources=["arn:aws:s3:::other/*"])
    )
    Template.from_stack(stack)  # the acknowledgments are made when the policy is rendered
    acknowledged = {
        rule
        for entry in role.policy.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule in entry.data
    }
    assert acknowledged == {f"AwsSolutions::AwsSolutions-IAM5[Resource::{LOG}TrainingJobs:*]"}


# --- bad input --------------------------------------------------------------------------------


def _subnet(stack):
    return ec2.Subnet.from_subnet_attributes(stack, "Sub", subnet_id=SUBNETS[0], route_table_id="rtb-0123456789abcdef0")


GOOD_GUARDRAILS = dict(
    subnets=SUBNETS, security_groups=[GROUP], volume_keys=None, output_keys=None, execution_roles=None
)


@pytest.mark.parametrize(
    "props, prop",
    [
        ({"read_buckets": ["ml-*"]}, "read_buckets"),
        ({"read_buckets": ["*"]}, "read_buckets"),
        ({"read_buckets": ["Not_A_Bucket"]}, "read_buckets"),
        ({"read_buckets": "ml-data-bucket"}, "read_buckets"),
        ({"read_buckets": [S3Prefix("ml-data-bucket", "")]}, "read_buckets"),
        ({"read_buckets": [S3Prefix("ml-data-bucket", "data/*")]}, "read_buckets"),
        ({"read_buckets": [S3Prefix("ml-data-bucket", "/data")]}, "read_buckets"),
        ({"read_buckets": [S3Prefix("data-*", "train/")]}, "read_buckets"),
        ({"write_prefixes": ["ml-data-bucket"]}, "write_prefixes"),
        ({"write_prefixes": [S3Prefix("ml-data-bucket", "")]}, "write_prefixes"),
        ({"write_prefixes": [S3Prefix("ml-data-bucket", "/")]}, "write_prefixes"),
        ({"write_prefixes": [S3Prefix("ml-data-bucket", "out?/")]}, "write_prefixes"),
        # write access to a read-only location: same prefix, inside it, containing it, whole bucket
        (
            {
                "read_buckets": [S3Prefix("ml-data-bucket", "raw/")],
                "write_prefixes": [S3Prefix("ml-data-bucket", "raw")],
            },
            "write_prefixes",
        ),
        (
            {
                "read_buckets": [S3Prefix("ml-data-bucket", "raw/")],
                "write_prefixes": [S3Prefix("ml-data-bucket", "raw/tmp/")],
            },
            "write_prefixes",
        ),
        (
            {
                "read_buckets": [S3Prefix("ml-data-bucket", "raw/2024/")],
                "write_prefixes": [S3Prefix("ml-data-bucket", "raw/")],
            },
            "write_prefixes",
        ),
        (
            {"read_buckets": ["ml-data-bucket"], "write_prefixes": [S3Prefix("ml-data-bucket", "out/")]},
            "write_prefixes",
        ),
        ({"write_prefixes": [S3Prefix("ml-data-bucket", "out/"), S3Prefix("ml-data-bucket", "out")]}, "write_prefixes"),
        ({"ecr_repositories": ["arn:aws:ecr:eu-west-1:111122223333:repository/*"]}, "ecr_repositories"),
        ({"ecr_repositories": ["arn:aws:ecr:eu-west-1:111122223333:repository/team/*"]}, "ecr_repositories"),
        ({"ecr_repositories": ["team/trainer"]}, "ecr_repositories"),
        ({"keys": ["arn:aws:kms:eu-west-1:111122223333:key/1234"]}, "keys"),
        ({"log_groups": ["/aws/sagemaker/*"]}, "log_groups"),
        ({"log_groups": ["/aws/lambda/x"]}, "log_groups"),
        ({"log_groups": ["/aws/sagemaker/Train*"]}, "log_groups"),
        ({"metric_namespaces": ["AWS/SageMaker"]}, "metric_namespaces"),
        ({"metric_namespaces": ["/aws/sagemaker/*"]}, "metric_namespaces"),
        ({"subnets": SUBNETS}, "subnets"),
        ({"security_groups": [GROUP]}, "security_groups"),
        ({"subnets": [], "security_groups": [GROUP]}, "subnets"),
        ({"subnets": ["subnet-*"], "security_groups": [GROUP]}, "subnets"),
        ({"subnets": SUBNETS, "security_groups": ["sg-*"]}, "security_groups"),
        ({"source_arns": []}, "source_arns"),
        ({"source_arns": ["*"]}, "source_arns"),
        ({"source_arns": ["arn:aws:s3:::bucket"]}, "source_arns"),
        ({"permissions_boundary": "arn:aws:iam::aws:policy/AdministratorAccess"}, "permissions_boundary"),
    ],
)
def test_execution_role_bad_props_fail_naming_the_prop(props, prop):
    with pytest.raises(PropError) as error:
        ExecutionRole(new_stack(), "Exec", **props)
    message = str(error.value)
    assert f"{prop}=" in message and "Fix:" in message and "ExecutionRole(Test/Exec)" in message


def test_execution_role_without_any_permission_or_grant_fails_synthesis():
    stack = new_stack()
    ExecutionRole(stack, "Exec", log_groups=[], metric_namespaces=[])
    with pytest.raises(RuntimeError, match=r"ExecutionRole\(Test/Exec\): every permission prop is empty"):
        Template.from_stack(stack)
    granted = new_stack()
    role = ExecutionRole(granted, "Exec", log_groups=[], metric_namespaces=[])
    role.grant_read(S3Prefix("ml-data-bucket", "datasets/"))
    Template.from_stack(granted)  # a grant alone is enough


def test_execution_role_refuses_wildcard_bucket_and_repository_objects():
    stack = new_stack()
    star_repo = ecr.Repository.from_repository_name(stack, "Repo", "*")
    with pytest.raises(PropError, match="ecr_repositories=.*wildcard"):
        ExecutionRole(stack, "Exec", ecr_repositories=[star_repo])
    star_key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:eu-west-1:111122223333:key/*")
    with pytest.raises(PropError, match="keys=.*wildcard"):
        ExecutionRole(stack, "Exec2", keys=[star_key])
    alias = kms.Alias.from_alias_name(stack, "Alias", "alias/ml")
    with pytest.raises(PropError, match="keys=.*alias"):
        ExecutionRole(stack, "Exec3", keys=[alias])


def test_execution_role_accepts_subnet_objects_and_selections():
    stack = new_stack()
    subnet = _subnet(stack)
    ExecutionRole(stack, "A", subnets=[subnet], security_groups=[GROUP])
    ExecutionRole(stack, "B", subnets=ec2.SubnetSelection(subnets=[subnet]), security_groups=[GROUP])
    with pytest.raises(PropError, match="subnets=.*by id"):
        ExecutionRole(
            stack,
            "C",
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[GROUP],
        )


@pytest.mark.parametrize(
    "override, prop",
    [
        ({"subnets": []}, "subnets"),
        ({"subnets": ["subnet-x"]}, "subnets"),
        ({"subnets": "subnet-0a1b2c3d4e5f60718"}, "subnets"),
        ({"security_groups": []}, "security_groups"),
        ({"security_groups": ["sg-*"]}, "security_groups"),
        ({"volume_keys": []}, "volume_keys"),
        ({"output_keys": []}, "output_keys"),
        ({"output_keys": ["arn:aws:kms:eu-west-1:111122223333:key/1"]}, "output_keys"),
        ({"execution_roles": []}, "execution_roles"),
        ({"execution_roles": ["arn:aws:iam::111122223333:role/x"]}, "execution_roles"),
        ({"execution_roles": "wildcard-role"}, "execution_roles"),
    ],
)
def test_guardrails_bad_props_fail_naming_the_prop(override, prop):
    stack = new_stack()
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    role = iam.Role.from_role_name(stack, "Role", "ml-execution")
    props = {**GOOD_GUARDRAILS, "volume_keys": [key], "output_keys": [key], "execution_roles": [role], **override}
    with pytest.raises(PropError) as error:
        Guardrails(stack, "Guardrails", **props)
    message = str(error.value)
    assert f"{prop}=" in message and "Fix:" in message and "Guardrails(Test/Guardrails)" in message


def test_guardrails_refuse_a_wildcard_role():
    stack = new_stack()
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::111122223333:role/ml-*")
    with pytest.raises(PropError, match="execution_roles=.*wildcard"):
        Guardrails(
            stack,
            "Guardrails",
            subnets=[_subnet(stack)],
            security_groups=[GROUP],
            volume_keys=[key],
            output_keys=[key],
            execution_roles=[role],
        )


# --- grants -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def granted(tmp_path_factory) -> dict[str, Any]:
    """One synth with the stock packs: a role built from props, and one given the same by grants made
    after construction (after other constructs were added), with repeated and covered grants too."""
    outdir = tmp_path_factory.mktemp("grants")
    app = new_app(outdir=outdir)
    stack = cdk.Stack(app, "Grants")
    keys = KeyRing(stack, "Keys")
    data = s3.Bucket.from_bucket_attributes(stack, "Data", bucket_name="ml-data-bucket", encryption_key=keys.data_key)
    models = s3.Bucket.from_bucket_attributes(
        stack, "Models", bucket_name="ml-models-bucket", encryption_key=keys.models_key
    )
    repo = ecr.Repository.from_repository_name(stack, "Repo", "team/trainer")
    volume_key = kms.Key.from_key_arn(
        stack, "VolumeKey", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    common: dict[str, Any] = {"log_groups": ["/aws/sagemaker/TrainingJobs"], "metric_namespaces": ()}
    by_props = ExecutionRole(
        stack,
        "ByProps",
        read_buckets=[S3Prefix(data, "datasets/train/"), "public-reference"],
        write_prefixes=[S3Prefix(models, "output/")],
        keys=[volume_key],
        ecr_repositories=[repo],
        **common,
    )
    by_grants = ExecutionRole(stack, "ByGrants", **common)
    Construct(stack, "LaterConstruct")  # grants made after other constructs were added
    by_grants.grant_read(S3Prefix(data, "datasets/train"))
    by_grants.grant_read("public-reference")
    by_grants.grant_read_write(S3Prefix(models, "output/"))
    by_grants.grant_encrypt_decrypt(volume_key)
    by_grants.grant_pull(repo)
    # Repeated grants, and reads inside what is already granted, add nothing.
    by_grants.grant_read(S3Prefix(data, "datasets/train/images/"))
    by_grants.grant_read(S3Prefix(models, "output/"))
    by_grants.grant_read_write(S3Prefix(models, "output/checkpoints/"))
    by_grants.grant_encrypt_decrypt(volume_key)
    by_grants.grant_encrypt_decrypt(keys.data_key)
    by_grants.grant_pull(repo)
    error = synth_with_stock_packs(app)
    assert error is None, error  # the late grants' wildcards are acknowledged like the props'
    logical = {
        name: stack.resolve(stack.get_logical_id(role.policy.node.default_child))
        for name, role in (("props", by_props), ("grants", by_grants))
    }
    return {
        "template": Template.from_json(json.loads((Path(outdir) / "Grants.template.json").read_text())),
        "logical": logical,
        "roles": {"props": by_props, "grants": by_grants},
        "data_key": stack.resolve(stack.get_logical_id(keys.data_key.node.default_child)),
    }


def test_execution_role_is_an_igrantable_whose_principal_is_the_role(granted):
    role = granted["roles"]["grants"]
    assert role.grant_principal is role.role
    stack = new_stack()
    execution_role = ExecutionRole(stack, "Exec")
    bucket = s3.Bucket(stack, "Bucket")
    bucket.grant_read(execution_role)  # the CDK's own grants accept it (as an inline policy)
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {"Roles": [{"Ref": Match.string_like_regexp("ExecRole")}]},
    )


def test_grants_after_construction_make_the_same_policy_as_the_props(granted):
    template = granted["template"].to_json()
    documents = [document(template, granted["logical"][name]) for name in ("props", "grants")]
    assert documents[0] == documents[1]
    assert [s["Sid"] for s in documents[1]["Statement"]] == [
        "ReadObjects",
        "ReadWriteObjects",
        "ListBucket0",
        "ListBucket1",
        "ListBucket2",
        "BucketLocation",
        "UseKeys",
        "GrantKeysToAwsResources",
        "PullImages",
        "EcrLogin",
        "WriteLogs",
    ]


def test_a_late_grant_appears_in_the_synthesized_policy(granted):
    written = Capture()
    granted["template"].has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Description": Match.string_like_regexp("Grants/ByGrants$"),
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Sid": "ReadWriteObjects", "Resource": written}),
                        Match.object_like(
                            {
                                "Sid": "UseKeys",
                                "Resource": Match.array_with(
                                    [  # in the order IAM renders them: strings first
                                        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                        {"Fn::GetAtt": [granted["data_key"], "Arn"]},
                                    ]
                                ),
                            }
                        ),
                    ]
                )
            },
        },
    )
    # one location: output/checkpoints/ lies inside output/, already writable
    assert written.as_object()["Fn::Join"][1][-1] == ":s3:::ml-models-bucket/output/*"


def test_late_grants_wildcards_are_acknowledged_one_by_one(granted):
    policy = granted["roles"]["grants"].policy
    acknowledged = {
        rule
        for entry in policy.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule in entry.data
    }
    assert f"AwsSolutions::AwsSolutions-IAM5[Resource::{S3}ml-models-bucket/output/*]" in acknowledged
    assert f"AwsSolutions::AwsSolutions-IAM5[Resource::{S3}ml-data-bucket/datasets/train/*]" in acknowledged


def test_the_size_limit_holds_with_late_grants():
    stack = new_stack()
    role = ExecutionRole(stack, "Exec")
    for i in range(120):
        role.grant_read(S3Prefix("ml-data-bucket", f"datasets/project-{i:03}/"))
    with pytest.raises(
        RuntimeError, match=r"ExecutionRole\(Test/Exec\): its props and grants make a policy of at least"
    ):
        Template.from_stack(stack)


def test_a_grant_after_the_policy_was_rendered_is_refused():
    stack = new_stack()
    role = ExecutionRole(stack, "Exec")
    Template.from_stack(stack)
    with pytest.raises(PropError, match=r"grant_read\(location\)=.*comes after the role's policy was rendered"):
        role.grant_read("ml-data-bucket")


@pytest.mark.parametrize(
    ("grant", "argument", "problem"),
    [
        ("grant_read", "ml-*-bucket", "wildcard"),
        ("grant_read", S3Prefix("ml-data-bucket", "data/*"), "wildcard"),
        ("grant_read", S3Prefix("ml-data-bucket", "/"), "empty prefix"),
        ("grant_read", 42, "is not a bucket"),
        ("grant_read_write", "ml-data-bucket", "is not an S3Prefix"),
        ("grant_read_write", S3Prefix("ml-data-bucket", ""), "empty prefix"),
        ("grant_read_write", S3Prefix("ml-data-bucket", "raw/2024/"), "read_buckets makes read-only"),
        ("grant_encrypt_decrypt", "arn:aws:kms:eu-west-1:111122223333:key/x", "is not a KMS key"),
        ("grant_pull", "arn:aws:ecr:eu-west-1:111122223333:repository/*", "wildcard"),
        ("grant_pull", 42, "is not a repository"),
    ],
)
def test_bad_grants_fail_naming_the_method(grant, argument, problem):
    role = ExecutionRole(new_stack(), "Exec", read_buckets=[S3Prefix("ml-data-bucket", "raw/")])
    with pytest.raises(PropError) as error:
        getattr(role, grant)(argument)
    message = str(error.value)
    assert message.startswith("ExecutionRole(Test/Exec): ") and f"{grant}(" in message
    assert problem in message and "Fix:" in message


def test_grants_may_widen_what_grant_read_gave_but_not_what_read_buckets_declared():
    role = ExecutionRole(new_stack(), "Exec")
    role.grant_read(S3Prefix("ml-data-bucket", "work/"))
    role.grant_read_write(S3Prefix("ml-data-bucket", "work/out/"))  # a grant, not a declared read-only location
    assert role._writes == [("ml-data-bucket", "work/out/")]
