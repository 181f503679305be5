"""The data perimeter of the baseline's data and models buckets, evaluated as IAM and S3 would.

Each test is a request (principal, action, resource, condition keys) against the synthesized
workload template: the caller's identity policies and the bucket policy together
(tests/policy_eval.py, ``evaluate_with_resource_policy``). docs/data-perimeter.md names who
reaches the buckets from where and why each exception exists.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_eval import (
    ACCOUNT,
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    PolicyEvaluator,
    Request,
    evaluate_with_resource_policy,
    principal_matches,
)

from secure_sagemaker.storage import DATA_ACTIONS
from tests.helpers import resources

#: The CDK bootstrap's CloudFormation execution role: CloudFormation acts as it, from outside any VPC.
CFN_EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-us-east-1"
MACIE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"


class Perimeter:
    """The baseline's buckets, roles and S3 endpoint, and a way to ask S3 for a verdict."""

    def __init__(self, template: dict) -> None:
        self.evaluator = PolicyEvaluator(template)
        resolver = self.evaluator.resolver
        buckets = resources(template, "AWS::S3::Bucket")
        self.data = next(k for k in buckets if k.startswith("BaselineDataBucket"))
        self.models = next(k for k in buckets if k.startswith("BaselineModelsBucket"))
        (self.endpoint,) = [
            k
            for k, v in resources(template, "AWS::EC2::VPCEndpoint").items()
            if v["Properties"]["VpcEndpointType"] == "Gateway"
        ]
        self.vpce = resolver.name(self.endpoint)
        self.roles = {
            name: self.evaluator.role_id(f"Baseline{name}")
            for name in ("StudioExecutionRole", "TrainingExecutionRole", "InferenceExecutionRole", "ReleaseRole")
        }

    def object(self, bucket: str, key: str) -> str:
        return f"{self.evaluator.resolver.arn(bucket)}/{key}"

    def arn(self, role: str) -> str:
        return self.evaluator.resolver.arn(self.roles[role])

    def verdict(
        self,
        principal: str,
        action: str,
        resource: str,
        *,
        vpce: str | None = None,
        via_aws_service: bool = False,
        identity: list[dict] | None = None,
        **context: Any,
    ) -> str:
        """S3's verdict for a request over TLS 1.3 by ``principal`` (a role of the template by its
        short name, or an ARN), through ``vpce`` or from outside any VPC."""
        if principal in self.roles:
            identity = self.evaluator.statements(self.roles[principal]) if identity is None else identity
            principal = self.arn(principal)
        bucket = self.data if resource.startswith(self.evaluator.resolver.arn(self.data)) else self.models
        request_context = {
            "aws:PrincipalArn": principal,
            "aws:PrincipalIsAWSService": False,
            "aws:ViaAWSService": via_aws_service,
            "aws:SecureTransport": True,
            "s3:TlsVersion": 1.3,
            **({"aws:SourceVpce": vpce} if vpce else {}),
            **context,
        }
        return evaluate_with_resource_policy(
            identity or [],
            self.evaluator.bucket_policy(bucket),
            principal,
            Request(action, resource, request_context),
        )


@pytest.fixture(scope="module")
def perimeter(baseline_template: dict) -> Perimeter:
    return Perimeter(baseline_template)


# An administrator's identity policy: anything S3 allows, so only the bucket policy can deny.
ADMIN = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]


def test_a_read_through_the_vpc_endpoint_is_allowed_the_same_read_from_outside_is_denied(perimeter) -> None:
    raw = perimeter.object(perimeter.data, "raw/customers.csv")
    assert perimeter.verdict("StudioExecutionRole", "s3:GetObject", raw, vpce=perimeter.vpce) == ALLOW
    assert perimeter.verdict("StudioExecutionRole", "s3:GetObject", raw) == EXPLICIT_DENY
    # Through another VPC's endpoint is outside too.
    assert perimeter.verdict("StudioExecutionRole", "s3:GetObject", raw, vpce="vpce-0123456789abcdef0") == EXPLICIT_DENY
    listing = perimeter.evaluator.resolver.arn(perimeter.data)
    assert (
        perimeter.verdict("StudioExecutionRole", "s3:ListBucket", listing, vpce=perimeter.vpce, **{"s3:prefix": "raw/"})
        == ALLOW
    )
    assert perimeter.verdict("StudioExecutionRole", "s3:ListBucket", listing, **{"s3:prefix": "raw/"}) == EXPLICIT_DENY


def test_jobs_and_endpoints_write_through_the_vpc_endpoint_only(perimeter) -> None:
    kms = {"s3:x-amz-server-side-encryption": "aws:kms"}
    for role, bucket, key in (
        ("TrainingExecutionRole", perimeter.models, "candidates/churn-1/model.tar.gz"),
        ("TrainingExecutionRole", perimeter.data, "work/features.parquet"),
        ("InferenceExecutionRole", perimeter.data, "data-capture/DemoEndpoint/AllTraffic/x.jsonl"),
    ):
        key_arn = perimeter.evaluator.resolver.arn(
            next(
                k
                for k, v in resources(perimeter.evaluator.template, "AWS::KMS::Key").items()
                if k.startswith("BaselineKeys" + ("Models" if bucket == perimeter.models else "Data"))
            )
        )
        context = {**kms, "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}
        target = perimeter.object(bucket, key)
        assert perimeter.verdict(role, "s3:PutObject", target, vpce=perimeter.vpce, **context) == ALLOW, (role, key)
        assert perimeter.verdict(role, "s3:PutObject", target, **context) == EXPLICIT_DENY, (role, key)


def test_an_aws_service_acting_with_the_callers_credentials_is_allowed(perimeter) -> None:
    raw = perimeter.object(perimeter.data, "raw/customers.csv")
    assert perimeter.verdict("StudioExecutionRole", "s3:GetObject", raw, via_aws_service=True) == ALLOW


def test_service_principals_and_service_linked_roles_are_not_denied(perimeter) -> None:
    raw = perimeter.object(perimeter.data, "raw/customers.csv")
    service = perimeter.verdict(
        "logging.s3.amazonaws.com", "s3:GetObject", raw, identity=ADMIN, **{"aws:PrincipalIsAWSService": True}
    )
    assert service != EXPLICIT_DENY
    assert perimeter.verdict(MACIE_ROLE, "s3:GetObject", raw, identity=ADMIN) == ALLOW


def test_the_release_role_alone_reaches_the_models_bucket_from_outside(perimeter) -> None:
    serving = perimeter.object(perimeter.models, "models/demo/model.tar.gz")
    candidate = perimeter.object(perimeter.models, "candidates/churn-1/model.tar.gz")
    assert perimeter.verdict("ReleaseRole", "s3:GetObject", candidate) == ALLOW
    assert perimeter.verdict("ReleaseRole", "s3:GetObject", serving) == ALLOW
    # Not an exception on the data bucket (where its own policy gives it nothing anyway).
    raw = perimeter.object(perimeter.data, "raw/customers.csv")
    assert perimeter.verdict(perimeter.arn("ReleaseRole"), "s3:GetObject", raw, identity=ADMIN) == EXPLICIT_DENY
    # Nobody else, not even an administrator.
    admin = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    assert perimeter.verdict(admin, "s3:PutObject", serving, identity=ADMIN) == EXPLICIT_DENY


def test_cloudformation_manages_the_buckets_from_outside(perimeter) -> None:
    for bucket in (perimeter.data, perimeter.models):
        arn = perimeter.evaluator.resolver.arn(bucket)
        for action in ("s3:PutBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"):
            assert perimeter.verdict(CFN_EXEC_ROLE, action, arn, identity=ADMIN) == ALLOW, action


def test_the_perimeter_denies_only_object_data_actions(perimeter) -> None:
    for bucket in (perimeter.data, perimeter.models):
        (statement,) = [
            s for s in perimeter.evaluator.bucket_policy(bucket) if s.get("Sid") == "DenyDataAccessOutsideVpcEndpoints"
        ]
        assert sorted(statement["Action"]) == sorted(DATA_ACTIONS)
        assert statement["Condition"]["StringNotEquals"] == {"aws:SourceVpce": [perimeter.vpce]}
        assert statement["Condition"]["BoolIfExists"] == {
            "aws:PrincipalIsAWSService": "false",
            "aws:ViaAWSService": "false",
        }
        assert principal_matches(statement, CFN_EXEC_ROLE)
    for action in DATA_ACTIONS:
        assert not action.startswith(("s3:PutBucket", "s3:DeleteBucket", "s3:PutEncryption"))


def test_principal_matching() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    assert principal_matches({"Principal": {"AWS": "*"}}, role)
    assert principal_matches({"Principal": "*"}, "cloudtrail.amazonaws.com")
    assert principal_matches({"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, role)
    assert not principal_matches({"Principal": {"AWS": "arn:aws:iam::210987654321:root"}}, role)
    assert principal_matches({"Principal": {"Service": "cloudtrail.amazonaws.com"}}, "cloudtrail.amazonaws.com")
    assert not principal_matches({"Principal": {"Service": "cloudtrail.amazonaws.com"}}, role)


def test_a_resource_policy_allow_or_deny_counts_with_the_identity_policy() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    request = Request("s3:GetObject", "arn:aws:s3:::b/k")
    allow = {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "s3:GetObject", "Resource": "*"}
    deny = {**allow, "Effect": "Deny"}
    assert evaluate_with_resource_policy([], [allow], role, request) == ALLOW
    assert evaluate_with_resource_policy([], [], role, request) == IMPLICIT_DENY
    assert evaluate_with_resource_policy(ADMIN, [deny], role, request) == EXPLICIT_DENY
    other = {**deny, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}}
    assert evaluate_with_resource_policy(ADMIN, [other], role, request) == ALLOW


# --- the settings -----------------------------------------------------------------------------

BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/IncidentResponse"


@pytest.fixture(scope="module")
def variants() -> dict[str, dict]:
    """Two small workloads (no Studio, notebook or endpoint): one with a break-glass role, one
    without the perimeter."""
    from secure_sagemaker.baseline import SecureSageMakerStack
    from secure_sagemaker.config import BaselineConfig
    from tests.helpers import new_app

    app = new_app()
    small = dict(studio=False, notebook=False, account_baseline=False)
    stacks = {
        "glass": SecureSageMakerStack(
            app, "Glass", config=BaselineConfig(stack_name="Glass", break_glass_role_arns=BREAK_GLASS, **small)
        ),
        "open": SecureSageMakerStack(
            app, "Open", config=BaselineConfig(stack_name="Open", allow_data_access_outside_vpc=True, **small)
        ),
    }
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(stack.stack_name).template for name, stack in stacks.items()}


def test_break_glass_roles_reach_both_buckets_from_outside(variants) -> None:
    perimeter = Perimeter(variants["glass"])
    for bucket in (perimeter.data, perimeter.models):
        target = perimeter.object(bucket, "raw/customers.csv")
        assert perimeter.verdict(BREAK_GLASS, "s3:GetObject", target, identity=ADMIN) == ALLOW
        other = f"arn:aws:iam::{ACCOUNT}:role/Admin"
        assert perimeter.verdict(other, "s3:GetObject", target, identity=ADMIN) == EXPLICIT_DENY


def test_allow_data_access_outside_vpc_gives_the_perimeter_up(variants) -> None:
    perimeter = Perimeter(variants["open"])
    for bucket in (perimeter.data, perimeter.models):
        sids = {s.get("Sid") for s in perimeter.evaluator.bucket_policy(bucket)}
        assert "DenyDataAccessOutsideVpcEndpoints" not in sids
        target = perimeter.object(bucket, "raw/customers.csv")
        assert perimeter.verdict(f"arn:aws:iam::{ACCOUNT}:role/Admin", "s3:GetObject", target, identity=ADMIN) == ALLOW
