"""The data-science workflow, evaluated as IAM would over the synthesized baseline.

Each test names an outcome of ``docs/data-scientist-workflow.md``: a request (action, resource,
condition keys) made by a role of the baseline, and the verdict IAM gives it from the role's
identity policies (tests/policy_eval.py). The guardrails are not assumed: every deny here comes
from the workflow's own Allow conditions or explicit denies.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from policy_eval import ACCOUNT, ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, REGION, PolicyEvaluator, Request
from policy_eval import evaluate_statements as verdict

from secure_sagemaker._validation import PropError
from secure_sagemaker.workflow import DataScientistPermissions, ModelRegistry, ReleaseRole
from tests.helpers import data_scientist_parts, new_stack, resources

SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
SERVED_MODEL = "models/demo/model.tar.gz"


# --- the evaluator itself ---------------------------------------------------------------------


def test_evaluator_explicit_deny_wins_over_allow() -> None:
    statements = [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/models/*"},
    ]
    assert verdict(statements, Request("s3:PutObject", "arn:aws:s3:::b/models/x")) == EXPLICIT_DENY
    assert verdict(statements, Request("s3:PutObject", "arn:aws:s3:::b/work/x")) == ALLOW
    assert verdict(statements, Request("ec2:RunInstances", "*")) == IMPLICIT_DENY


def test_evaluator_not_action_not_resource_and_globs() -> None:
    statements = [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret?/*"}]
    assert verdict(statements, Request("s3:GetObject", "arn:aws:s3:::public/x")) == ALLOW
    assert verdict(statements, Request("s3:GetObject", "arn:aws:s3:::secret1/x")) == IMPLICIT_DENY
    assert verdict(statements, Request("IAM:PassRole", "arn:aws:iam::1:role/r")) == IMPLICIT_DENY  # actions ignore case


def test_evaluator_condition_operators() -> None:
    allow = {"Effect": "Allow", "Action": "x:Y", "Resource": "*"}

    def check(condition: dict, context: dict) -> str:
        return verdict([{**allow, "Condition": condition}], Request("x:Y", "r", context))

    subnets = {"ForAllValues:StringEquals": {"k": ["a", "b"]}}
    assert check(subnets, {"k": ["a"]}) == ALLOW
    assert check(subnets, {"k": ["a", "c"]}) == IMPLICIT_DENY
    assert check(subnets, {}) == ALLOW  # ForAllValues is vacuously true: why Null checks exist
    assert check({"ForAnyValue:StringNotEquals": {"k": ["a"]}}, {"k": ["a", "c"]}) == ALLOW
    assert check({"ForAnyValue:StringNotEquals": {"k": ["a"]}}, {}) == IMPLICIT_DENY
    assert check({"Null": {"k": "false"}}, {}) == IMPLICIT_DENY
    assert check({"Null": {"k": "true"}}, {}) == ALLOW
    assert check({"StringNotEquals": {"k": "a"}}, {}) == ALLOW  # negated operators match an absent key
    assert check({"StringEquals": {"k": "a"}}, {}) == IMPLICIT_DENY
    assert check({"BoolIfExists": {"k": "false"}}, {}) == ALLOW
    assert check({"Bool": {"k": "true"}}, {"k": True}) == ALLOW
    assert check({"Bool": {"k": "true"}}, {"k": False}) == IMPLICIT_DENY
    assert check({"ArnLike": {"k": "arn:aws:iam::*:role/a*"}}, {"k": "arn:aws:iam::1:role/abc"}) == ALLOW
    assert check({"ArnNotLike": {"k": "arn:aws:iam::*:role/a*"}}, {"k": "arn:aws:iam::1:role/abc"}) == IMPLICIT_DENY
    assert check({"StringLike": {"k": "ab?"}}, {"k": "abc"}) == ALLOW
    assert check({"NumericLessThan": {"k": "10"}}, {"k": 9}) == ALLOW
    assert check({"NumericLessThan": {"k": "10"}}, {"k": 10}) == IMPLICIT_DENY
    # A policy variable the request does not carry makes the condition false, negated or not.
    owner = {"StringNotEquals": {"k": "${aws:PrincipalTag/owner}"}}
    assert check(owner, {"k": "a"}) == IMPLICIT_DENY
    assert check(owner, {"k": "a", "aws:PrincipalTag/owner": "b"}) == ALLOW
    assert check(owner, {"k": "b", "aws:PrincipalTag/owner": "b"}) == IMPLICIT_DENY
    # Every operator and key of one block must hold.
    assert check({"StringEquals": {"k": "a", "j": "b"}}, {"k": "a", "j": "c"}) == IMPLICIT_DENY


def test_evaluator_resolves_intrinsics_and_finds_attached_policies() -> None:
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [{"Ref": "Attached"}]}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Attached": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "s3:GetObject",
                                "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/raw/*"]]},
                            }
                        ]
                    }
                },
            },
            "Inline": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Statement": {
                            "Effect": "Deny",
                            "Action": "s3:GetObject",
                            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/raw/secret"},
                        }
                    },
                },
            },
        }
    }
    evaluator = PolicyEvaluator(template)
    assert evaluator.evaluate("Role", "s3:GetObject", "arn:aws:s3:::bucket/raw/a") == ALLOW
    assert evaluator.evaluate("Role", "s3:GetObject", "arn:aws:s3:::bucket/raw/secret") == EXPLICIT_DENY
    assert evaluator.evaluate("Role", "s3:GetObject", "arn:aws:s3:::bucket/work/a") == IMPLICIT_DENY


# --- the baseline's workflow ------------------------------------------------------------------


class Baseline:
    """The synthesized baseline's roles and the request values a data scientist would send."""

    def __init__(self, template: dict) -> None:
        self.evaluator = PolicyEvaluator(template)
        resolve = self.evaluator.resolver.resolve
        self.scientist = self.evaluator.role_id("BaselineStudioExecutionRole")
        self.training = self.evaluator.role_id("BaselineTrainingExecutionRole")
        self.inference = self.evaluator.role_id("BaselineInferenceExecutionRole")
        self.release = self.evaluator.role_id("BaselineReleaseRole")
        ((domain_id, domain),) = resources(template, "AWS::SageMaker::Domain").items()
        ((profile_id, _),) = resources(template, "AWS::SageMaker::UserProfile").items()
        self.domain = self.evaluator.resolver.get_att(domain_id, "DomainId")
        self.profile_arn = self.evaluator.resolver.arn(profile_id)
        # The approved network and keys, read from the Studio domain (not from the policy under test).
        self.subnets = resolve(domain["Properties"]["SubnetIds"])
        self.security_groups = resolve(domain["Properties"]["DefaultUserSettings"]["SecurityGroups"])
        self.volume_key = resolve(domain["Properties"]["KmsKeyId"])
        ((group_id, _),) = resources(template, "AWS::SageMaker::ModelPackageGroup").items()
        self.group = self.evaluator.resolver.name(group_id)
        models_bucket = next(k for k in resources(template, "AWS::S3::Bucket") if k.startswith("BaselineModelsBucket"))
        self.models_bucket = self.evaluator.resolver.arn(models_bucket)

    def role_arn(self, role: str) -> str:
        return self.evaluator.resolver.arn(role)

    def job(self, **overrides: object) -> dict:
        context = {
            "sagemaker:VpcSubnets": self.subnets,
            "sagemaker:VpcSecurityGroupIds": self.security_groups,
            "sagemaker:VolumeKmsKey": self.volume_key,
            "sagemaker:OutputKmsKey": self.volume_key,
            "sagemaker:NetworkIsolation": True,
            "sagemaker:InterContainerTrafficEncryption": True,
        }
        context.update(overrides)
        return {k: v for k, v in context.items() if v is not None}

    def verdict(self, role: str, action: str, resource: str, context: dict | None = None) -> str:
        return self.evaluator.evaluate(role, action, resource, context)


@pytest.fixture(scope="module")
def baseline(baseline_template: dict) -> Baseline:
    return Baseline(baseline_template)


@pytest.mark.parametrize("job", ["training-job", "processing-job"])
def test_job_in_the_vpc_with_keys_is_allowed(baseline: Baseline, job: str) -> None:
    action = "sagemaker:CreateTrainingJob" if job == "training-job" else "sagemaker:CreateProcessingJob"
    assert baseline.verdict(baseline.scientist, action, f"{SAGEMAKER}:{job}/churn-1", baseline.job()) == ALLOW
    passed = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    assert baseline.verdict(baseline.scientist, "iam:PassRole", baseline.role_arn(baseline.training), passed) == ALLOW


@pytest.mark.parametrize(
    "change",
    [
        {"sagemaker:VpcSubnets": None},
        {"sagemaker:VpcSecurityGroupIds": None},
        {"sagemaker:VpcSubnets": ["subnet-0123456789abcdef0"]},
        {"sagemaker:VolumeKmsKey": None},
        {"sagemaker:OutputKmsKey": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/someone-elses"},
        {"sagemaker:NetworkIsolation": False},
        {"sagemaker:InterContainerTrafficEncryption": None},
    ],
    ids=["no-subnets", "no-security-groups", "foreign-subnet", "no-volume-key", "foreign-key", "open", "plaintext"],
)
def test_job_without_the_vpc_keys_or_isolation_is_denied(baseline: Baseline, change: dict) -> None:
    """Denied by the data-scientist role's own Allow conditions; the guardrails (issue 13, other
    part) deny the same again once attached, so this holds with or without them."""
    resource = f"{SAGEMAKER}:training-job/churn-1"
    assert (
        baseline.verdict(baseline.scientist, "sagemaker:CreateTrainingJob", resource, baseline.job(**change)) != ALLOW
    )


def test_passing_another_role_is_denied(baseline: Baseline) -> None:
    passed = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    for role in (baseline.inference, baseline.scientist, baseline.release):
        assert baseline.verdict(baseline.scientist, "iam:PassRole", baseline.role_arn(role), passed) != ALLOW
    other_service = {"iam:PassedToService": "lambda.amazonaws.com"}
    training = baseline.role_arn(baseline.training)
    assert baseline.verdict(baseline.scientist, "iam:PassRole", training, other_service) != ALLOW


def test_studio_opens_only_as_own_profile(baseline: Baseline) -> None:
    own = baseline.profile_arn
    other = f"{SAGEMAKER}:user-profile/{baseline.domain}/someone-else"
    # The guardrails also ask that the profile's owner tag is the caller's principal tag.
    me = {"aws:PrincipalTag/owner": "data-scientist", "sagemaker:ResourceTag/owner": "data-scientist"}
    assert baseline.verdict(baseline.scientist, "sagemaker:CreatePresignedDomainUrl", own, me) == ALLOW
    not_mine = {**me, "sagemaker:ResourceTag/owner": "someone-else"}
    assert baseline.verdict(baseline.scientist, "sagemaker:CreatePresignedDomainUrl", own, not_mine) != ALLOW
    assert baseline.verdict(baseline.scientist, "sagemaker:CreatePresignedDomainUrl", other, me) != ALLOW


PRIVATE = {"sagemaker:SpaceSharingType": "Private"}


@pytest.mark.parametrize(
    "action", ["sagemaker:CreateSpace", "sagemaker:DescribeSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"]
)
def test_own_space_is_allowed_another_persons_is_denied(baseline: Baseline, action: str) -> None:
    space = f"{SAGEMAKER}:space/{baseline.domain}/lab"
    own = {"sagemaker:OwnerUserProfileArn": baseline.profile_arn, **PRIVATE}
    other = {"sagemaker:OwnerUserProfileArn": f"{SAGEMAKER}:user-profile/{baseline.domain}/someone-else", **PRIVATE}
    assert baseline.verdict(baseline.scientist, action, space, own) == ALLOW
    assert baseline.verdict(baseline.scientist, action, space, other) != ALLOW
    assert baseline.verdict(baseline.scientist, action, space, {}) != ALLOW


@pytest.mark.parametrize("action", ["sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"])
def test_only_private_spaces_without_the_opt_in(baseline: Baseline, action: str) -> None:
    """Without allowSharedSpaces, a space of one's own is changed only when it is Private; the
    guardrails also deny creating any space that is not Private (test_people.py)."""
    space = f"{SAGEMAKER}:space/{baseline.domain}/lab"
    own = {"sagemaker:OwnerUserProfileArn": baseline.profile_arn}
    assert baseline.verdict(baseline.scientist, action, space, {**own, "sagemaker:SpaceSharingType": "Shared"}) != ALLOW
    assert baseline.verdict(baseline.scientist, action, space, own) != ALLOW


def test_jupyterlab_app_only_in_own_space(baseline: Baseline) -> None:
    app = f"{SAGEMAKER}:app/{baseline.domain}/lab/jupyterlab/default"
    own = {"sagemaker:OwnerUserProfileArn": baseline.profile_arn, **PRIVATE}
    other = {"sagemaker:OwnerUserProfileArn": f"{SAGEMAKER}:user-profile/{baseline.domain}/someone-else", **PRIVATE}
    assert baseline.verdict(baseline.scientist, "sagemaker:CreateApp", app, own) == ALLOW
    assert baseline.verdict(baseline.scientist, "sagemaker:CreateApp", app, other) != ALLOW
    other_domain = f"{SAGEMAKER}:app/d-other/lab/jupyterlab/default"
    assert baseline.verdict(baseline.scientist, "sagemaker:CreateApp", other_domain, own) != ALLOW
    shared = {**own, "sagemaker:SpaceSharingType": "Shared"}
    assert baseline.verdict(baseline.scientist, "sagemaker:CreateApp", app, shared) != ALLOW


def test_writing_what_an_endpoint_serves_is_only_for_the_release_role(baseline: Baseline) -> None:
    served = f"{baseline.models_bucket}/{SERVED_MODEL}"
    assert baseline.verdict(baseline.scientist, "s3:PutObject", served) == EXPLICIT_DENY
    assert baseline.verdict(baseline.training, "s3:PutObject", served) == IMPLICIT_DENY
    assert baseline.verdict(baseline.release, "s3:PutObject", served) == ALLOW
    candidate = f"{baseline.models_bucket}/candidates/churn-1/model.tar.gz"
    assert baseline.verdict(baseline.scientist, "s3:PutObject", candidate) == ALLOW
    assert baseline.verdict(baseline.training, "s3:PutObject", candidate) == ALLOW
    assert baseline.verdict(baseline.release, "s3:GetObject", candidate) == ALLOW
    assert baseline.verdict(baseline.release, "s3:PutObject", candidate) == IMPLICIT_DENY


def test_no_role_but_the_release_role_writes_a_serving_artifact_or_approves(
    baseline: Baseline, baseline_template: dict
) -> None:
    served = f"{baseline.models_bucket}/{SERVED_MODEL}"
    package = f"{SAGEMAKER}:model-package/{baseline.group}/1"
    approve = {"sagemaker:ModelApprovalStatus": "Approved"}
    checked = []
    for role, resource in resources(baseline_template, "AWS::IAM::Role").items():
        if role == baseline.release or not _readable(resource):
            continue
        checked.append(role)
        assert baseline.verdict(role, "s3:PutObject", served) != ALLOW, role
        assert baseline.verdict(role, "sagemaker:UpdateModelPackage", package, approve) != ALLOW, role
    assert {baseline.scientist, baseline.training, baseline.inference} <= set(checked)


def _readable(role: dict) -> bool:
    """Roles whose every policy is in the template (not an AWS managed policy of a CDK helper)."""
    return all(isinstance(arn, dict) and "Ref" in arn for arn in role["Properties"].get("ManagedPolicyArns", []))


def test_registering_a_pending_package_is_allowed_approving_is_not(baseline: Baseline) -> None:
    package = f"{SAGEMAKER}:model-package/{baseline.group}/1"
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    approved = {"sagemaker:ModelApprovalStatus": "Approved"}
    assert baseline.verdict(baseline.scientist, "sagemaker:CreateModelPackage", package, pending) == ALLOW
    assert baseline.verdict(baseline.scientist, "sagemaker:CreateModelPackage", package, approved) == EXPLICIT_DENY
    assert baseline.verdict(baseline.scientist, "sagemaker:UpdateModelPackage", package, approved) == EXPLICIT_DENY
    assert baseline.verdict(baseline.release, "sagemaker:UpdateModelPackage", package, approved) == ALLOW
    rejected = {"sagemaker:ModelApprovalStatus": "Rejected"}
    assert baseline.verdict(baseline.release, "sagemaker:UpdateModelPackage", package, rejected) == ALLOW
    other_group = f"{SAGEMAKER}:model-package/other-group/1"
    assert baseline.verdict(baseline.scientist, "sagemaker:CreateModelPackage", other_group, pending) != ALLOW
    assert baseline.verdict(baseline.release, "sagemaker:UpdateModelPackage", other_group, approved) != ALLOW


def test_data_scientist_reads_own_job_and_studio_logs(baseline: Baseline) -> None:
    logs = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
    for group in ("/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/studio"):
        stream = f"{logs}{group}:log-stream:churn-1/algo-1"
        assert baseline.verdict(baseline.scientist, "logs:GetLogEvents", stream) == ALLOW
        assert baseline.verdict(baseline.scientist, "logs:FilterLogEvents", f"{logs}{group}") == ALLOW
    endpoint = f"{logs}/aws/sagemaker/Endpoints/demo:log-stream:x"
    assert baseline.verdict(baseline.scientist, "logs:GetLogEvents", endpoint) != ALLOW


def test_release_role_is_assumed_only_with_mfa(baseline_template: dict, baseline: Baseline) -> None:
    trust = baseline_template["Resources"][baseline.release]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert baseline.verdict(baseline.scientist, "sts:AssumeRole", baseline.role_arn(baseline.release)) == EXPLICIT_DENY


def test_model_package_group_is_retained_and_admits_only_this_account(baseline_template: dict) -> None:
    (group,) = resources(baseline_template, "AWS::SageMaker::ModelPackageGroup").values()
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    (statement,) = group["Properties"]["ModelPackageGroupPolicy"]["Statement"]
    principal = PolicyEvaluator(baseline_template).resolver.resolve(statement["Principal"])
    assert principal == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


# --- props --------------------------------------------------------------------------------------


def test_wildcard_serving_prefix_fails_at_construct_time() -> None:
    stack = new_stack()
    with pytest.raises(PropError, match=r"DataScientistPermissions\(Test/Perms\): serving_prefix='models/\*'"):
        DataScientistPermissions(stack, "Perms", **{**data_scientist_parts(stack), "serving_prefix": "models/*"})


def test_profile_without_domain_fails() -> None:
    stack = new_stack()
    with pytest.raises(PropError, match="user_profile_name='alice'.*pass both"):
        DataScientistPermissions(stack, "Perms", **data_scientist_parts(stack), user_profile_name="alice")


def test_invalid_group_name_and_registry_type_fail() -> None:
    stack = new_stack()
    with pytest.raises(PropError, match="model_package_group_name='no_underscores'"):
        ModelRegistry(stack, "Bad", model_package_group_name="no_underscores")
    parts = data_scientist_parts(stack)
    with pytest.raises(PropError, match=r"ReleaseRole\(Test/Release\): registry="):
        ReleaseRole(
            stack,
            "Release",
            registry="group",  # type: ignore[arg-type]
            models_bucket=parts["models_bucket"],
            serving_prefix="models",
            candidates_prefix="candidates",
        )


def test_release_role_without_mfa_is_an_opt_out() -> None:
    stack = new_stack()
    parts = data_scientist_parts(stack)
    release = ReleaseRole(
        stack,
        "Release",
        registry=parts["registry"],
        models_bucket=parts["models_bucket"],
        serving_prefix="models",
        candidates_prefix="candidates",
        trusted_principal=cdk.aws_iam.ArnPrincipal("arn:aws:iam::123456789012:role/release-pipeline"),
        allow_assume_without_mfa=True,
    )
    trust = stack.resolve(release.role.assume_role_policy.to_json())
    (statement,) = trust["Statement"]
    assert "Condition" not in statement
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/release-pipeline"}


def test_policy_too_large_for_iam_fails_at_construct_time() -> None:
    stack = new_stack()
    subnets = [f"subnet-{i:017x}" for i in range(200)]
    with pytest.raises(PropError, match=r"DataScientistPermissions\(Test/Perms\): .* more than the 6144"):
        DataScientistPermissions(stack, "Perms", **{**data_scientist_parts(stack), "subnets": subnets})
