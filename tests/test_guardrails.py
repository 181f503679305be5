"""Guardrails that hold: attached where they must be, within IAM's and Organizations' size limits,
and denying the escalation paths, evaluated on the synthesized templates (issue 13)."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from secure_sagemaker._validation import PropError
from secure_sagemaker.baseline import SecureSageMakerStack
from secure_sagemaker.config import BaselineConfig
from secure_sagemaker.guardrail_statements import GUARDRAIL_POLICY_PATH, PROTECTED_CONTROLS
from secure_sagemaker.identity import Guardrails
from secure_sagemaker.instance_storage import INSTANCE_STORAGE_FAMILIES
from secure_sagemaker.organization import SCP_SIZE_LIMIT, GuardrailsServiceControlPolicy
from tests.guardrail_eval import denying_statements, render
from tests.helpers import new_app, new_stack, resources

IAM_POLICY_LIMIT = 6144
ACCOUNT = "111122223333"
PERSON = f"arn:aws:iam::{ACCOUNT}:role/DataScientist"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/BreakGlass"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]
GROUP = "sg-0a1b2c3d4e5f60718"


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    app = new_app()
    config = BaselineConfig(demo_endpoint=True, guardrail_role_arns=PERSON, guardrail_admin_role_arns=ADMIN)
    stack = SecureSageMakerStack(app, "Guarded", config=config)
    template = app.synth().get_stack_by_name("Guarded").template
    b = stack.baseline
    ids = {
        "studio": stack.resolve(stack.get_logical_id(b.studio_role.role.node.default_child)),
        "inference": stack.resolve(stack.get_logical_id(b.inference_role.role.node.default_child)),
        "integration": stack.resolve(stack.get_logical_id(b.inference_api.integration_role.node.default_child)),
        "endpoint": stack.resolve(stack.get_logical_id(b.endpoint.endpoint)),
    }
    return {"template": template, "ids": ids}


def guardrail_policies(template: dict) -> dict[str, dict]:
    return {
        logical_id: policy
        for logical_id, policy in resources(template, "AWS::IAM::ManagedPolicy").items()
        if policy["Properties"].get("Path") == GUARDRAIL_POLICY_PATH
    }


def statements_of(template: dict) -> list[dict]:
    return [
        render(s) for p in guardrail_policies(template).values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _allowed_actions(template: dict, role_id: str) -> set[str]:
    """Actions a role's policies allow: inline, AWS::IAM::Policy and managed policies of the template."""
    role = template["Resources"][role_id]["Properties"]
    documents = [p["PolicyDocument"] for p in role.get("Policies", [])]
    attached = {json.dumps(a) for a in role.get("ManagedPolicyArns", [])}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        props = resource["Properties"]
        if {"Ref": role_id} in props.get("Roles", []) or json.dumps({"Ref": logical_id}) in attached:
            documents.append(props["PolicyDocument"])
    return {
        action
        for document in documents
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }


def _carries_guardrails(template: dict, role_id: str) -> bool:
    role = template["Resources"][role_id]["Properties"]
    for logical_id, policy in guardrail_policies(template).items():
        in_roles = {"Ref": role_id} in policy["Properties"].get("Roles", [])
        in_arns = {"Ref": logical_id} in role.get("ManagedPolicyArns", [])
        if not (in_roles or in_arns):
            return False
    return bool(guardrail_policies(template))


# --- attached where they must be ----------------------------------------------------------------


def test_every_execution_role_and_named_person_carries_every_guardrail_policy(baseline):
    template, ids = baseline["template"], baseline["ids"]
    assert len(guardrail_policies(template)) >= 2  # split: one document would exceed IAM's limit
    for role in ("studio", "inference"):
        assert _carries_guardrails(template, ids[role]), role
    for policy in guardrail_policies(template).values():
        # the imported person's role is attached through the policy: CDK drops add_managed_policy on it
        assert "DataScientist" in policy["Properties"]["Roles"]


def test_every_role_that_may_create_sagemaker_resources_carries_a_guardrail_deny(baseline):
    template = baseline["template"]
    may_create = ("sagemaker:Create*", "sagemaker:Update*")
    creators = [
        role_id
        for role_id in resources(template, "AWS::IAM::Role")
        if any(
            fnmatch.fnmatchcase(probe, action) or fnmatch.fnmatchcase(action, probe)
            for action in _allowed_actions(template, role_id)
            for probe in may_create
        )
    ]
    for role_id in set(creators) | {baseline["ids"]["studio"]}:
        assert _carries_guardrails(template, role_id), f"{role_id} may create SageMaker resources unguarded"


def test_a_role_named_later_is_attached_by_attach():
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    guardrails = Guardrails(
        stack, "G", subnets=SUBNETS, security_groups=[GROUP], volume_keys=[key], output_keys=[key],
        execution_roles=[iam.Role.from_role_name(stack, "Exec", "ml-exec")],
    )  # fmt: skip
    guardrails.attach(iam.Role.from_role_arn(stack, "Person", PERSON, mutable=True))
    for policy in resources(cdk.assertions.Template.from_stack(stack), "AWS::IAM::ManagedPolicy").values():
        assert policy["Properties"]["Roles"] == ["DataScientist"]
    with pytest.raises(PropError, match="attach_to=.*is not a role"):
        guardrails.attach("DataScientist")


def test_config_reads_role_arns_from_context_and_rejects_bad_ones():
    app = new_app(**{"secure-sagemaker:guardrailRoleArns": f"{PERSON}, arn:aws:iam::{ACCOUNT}:role/Analyst"})
    config = BaselineConfig.from_context(app.node)
    assert config.guardrail_role_arns == f"{PERSON}, arn:aws:iam::{ACCOUNT}:role/Analyst"
    with pytest.raises(PropError, match="guardrail_role_arns=.*is not an IAM role ARN"):
        BaselineConfig(guardrail_role_arns="DataScientist")


# --- sizes ------------------------------------------------------------------------------------


def _sized_guardrails(stack: cdk.Stack, n: int) -> Guardrails:
    keys = [kms.Key.from_key_arn(stack, f"K{i}", KEY[:-2] + f"{i:02}") for i in range(max(2, n // 2))]
    return Guardrails(
        stack,
        "Guardrails",
        subnets=[f"subnet-0a1b2c3d4e5f607{i:02}" for i in range(max(3, n))],
        security_groups=[f"sg-0a1b2c3d4e5f607{i:02}" for i in range(max(2, n // 3))],
        volume_keys=keys,
        output_keys=keys,
        execution_roles=[iam.Role.from_role_name(stack, f"R{i}", f"ml-execution-role-{i}") for i in range(max(4, n))],
        admin_role_arns=[f"arn:aws:iam::{ACCOUNT}:role/admin-{i}" for i in range(max(1, n // 4))],
        approved_lifecycle_configs=[
            f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:studio-lifecycle-config/lcc-{i}" for i in range(n // 4)
        ],
        protected_endpoints=[f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/ep-{i}" for i in range(max(1, n // 4))],
        endpoint_invokers=[f"arn:aws:iam::{ACCOUNT}:role/api-integration-{i}" for i in range(max(1, n // 8))],
        allowed_instance_types=[f"ml.m{i}.*" for i in range(max(2, n))],
    )


@pytest.mark.parametrize("n", [0, 8, 16], ids=["realistic", "large", "worst-case"])
def test_each_guardrail_policy_fits_the_managed_policy_limit(n):
    app = new_app()
    stack = cdk.Stack(app, "Sized", env=cdk.Environment(account=ACCOUNT, region="eu-west-1"))
    _sized_guardrails(stack, n)
    policies = guardrail_policies(app.synth().get_stack_by_name("Sized").template)
    assert policies
    for logical_id, policy in policies.items():
        text = json.dumps(policy["Properties"]["PolicyDocument"], separators=(",", ":"))
        assert "Ref" not in text and "Fn::" not in text, "all literals, so the measure is exact"
        assert len(text) < IAM_POLICY_LIMIT, (logical_id, len(text))


# --- instance storage -------------------------------------------------------------------------


def _volume_denies(statements: list[dict], action: str, request: dict) -> list[str]:
    return [sid for sid in denying_statements(statements, action, request) if "VolumeKey" in sid]


@pytest.mark.parametrize("action", ["sagemaker:CreateTrainingJob", "sagemaker:CreateEndpointConfig"])
def test_volume_key_is_not_required_on_instance_types_with_local_storage(baseline, action):
    statements = statements_of(baseline["template"])
    for family in ("p4d", "p5", "g5"):
        assert family in INSTANCE_STORAGE_FAMILIES
        request = {"sagemaker:InstanceTypes": [f"ml.{family}.24xlarge"]}
        assert _volume_denies(statements, action, request) == [], family
    # the other side: a type without local storage, a mix, or no type at all still needs the key
    for types in (["ml.m5.xlarge"], ["ml.g5.xlarge", "ml.m5.xlarge"]):
        assert _volume_denies(statements, action, {"sagemaker:InstanceTypes": types}), types
    assert _volume_denies(statements, action, {})
    # a wrong key is denied whatever the instance type: only absence is exempt on local storage
    wrong = {"sagemaker:InstanceTypes": ["ml.m5.xlarge"], "sagemaker:VolumeKmsKey": KEY}
    assert _volume_denies(statements, action, wrong)


def test_notebooks_and_domains_still_need_their_volume_key(baseline):
    statements = statements_of(baseline["template"])
    request = {"sagemaker:InstanceTypes": ["ml.g5.xlarge"]}
    assert _volume_denies(statements, "sagemaker:CreateNotebookInstance", request)
    assert _volume_denies(statements, "sagemaker:CreateDomain", request)


# --- invocation only through the API ----------------------------------------------------------


def test_only_the_integration_role_invokes_the_endpoint(baseline):
    statements, ids = statements_of(baseline["template"]), baseline["ids"]
    endpoint = f"getatt:{ids['endpoint']}.EndpointArn"
    for action in ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"):
        as_role = lambda role: {"aws:PrincipalArn": role}  # noqa: E731
        assert denying_statements(statements, action, as_role(f"getatt:{ids['studio']}.Arn"), endpoint) == [
            "InvokeOnlyThroughApi"
        ]
        assert denying_statements(statements, action, as_role(PERSON), endpoint) == ["InvokeOnlyThroughApi"]
        assert denying_statements(statements, action, as_role(f"getatt:{ids['integration']}.Arn"), endpoint) == []
        other = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/someone-elses"
        assert denying_statements(statements, action, as_role(PERSON), other) == []


def test_the_endpoint_arn_in_the_guardrails_is_the_endpoints_own(baseline):
    statement = next(s for s in statements_of(baseline["template"]) if s["Sid"] == "InvokeOnlyThroughApi")
    assert statement["Resource"] == f"getatt:{baseline['ids']['endpoint']}.EndpointArn"
    assert statement["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": [f"getatt:{baseline['ids']['integration']}.Arn"]}
    }


# --- escalation paths -------------------------------------------------------------------------

SCIENTIST = {"aws:PrincipalArn": PERSON}
BREAK_GLASS = {"aws:PrincipalArn": ADMIN}


@pytest.mark.parametrize(
    "action",
    [
        "sagemaker:CreateStudioLifecycleConfig",
        "sagemaker:CreateNotebookInstanceLifecycleConfig",
        "sagemaker:UpdateNotebookInstanceLifecycleConfig",
    ],
)
def test_only_admins_change_lifecycle_configs(baseline, action):
    statements = statements_of(baseline["template"])
    assert denying_statements(statements, action, SCIENTIST) == ["DenyLifecycleConfigChanges"]
    assert denying_statements(statements, action, BREAK_GLASS) == []


def test_domains_and_profiles_name_only_approved_lifecycle_configs():
    approved = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:studio-lifecycle-config/approved"
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    Guardrails(
        stack, "G", subnets=SUBNETS, security_groups=[GROUP], volume_keys=[key], output_keys=[key],
        execution_roles=[iam.Role.from_role_name(stack, "Exec", "ml-exec")], approved_lifecycle_configs=[approved],
    )  # fmt: skip
    statements = statements_of(cdk.assertions.Template.from_stack(stack).to_json())
    lcc = "sagemaker:StudioLifecycleConfigArns"
    for action in ("sagemaker:CreateUserProfile", "sagemaker:UpdateDomain"):
        assert "ApprovedStudioLifecycleConfigs" not in denying_statements(statements, action, {lcc: [approved]})
        assert "ApprovedStudioLifecycleConfigs" not in denying_statements(statements, action, {})
        rogue = {lcc: [approved, approved.replace("approved", "rogue")]}
        assert "ApprovedStudioLifecycleConfigs" in denying_statements(statements, action, rogue)


def test_without_approved_configs_no_lifecycle_config_is_attached(baseline):
    statements = statements_of(baseline["template"])
    request = {**SCIENTIST, "sagemaker:StudioLifecycleConfigArns": ["arn:aws:sagemaker:eu-west-1:1:x"]}
    assert "ApprovedStudioLifecycleConfigs" in denying_statements(statements, "sagemaker:CreateUserProfile", request)


@pytest.mark.parametrize(
    "action", ["sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl"]
)
def test_presigned_urls_only_for_ones_own_profile_or_instance(baseline, action):
    statements = statements_of(baseline["template"])
    mine = {**SCIENTIST, "aws:PrincipalTag/owner": "alice", "sagemaker:ResourceTag/owner": "alice"}
    assert denying_statements(statements, action, mine) == []
    assert denying_statements(statements, action, {**mine, "sagemaker:ResourceTag/owner": "bob"})
    untagged = {k: v for k, v in mine.items() if k != "sagemaker:ResourceTag/owner"}
    assert denying_statements(statements, action, untagged)
    anonymous = {k: v for k, v in mine.items() if k != "aws:PrincipalTag/owner"}
    assert "PresignedUrlNeedsOwner" in denying_statements(statements, action, anonymous)
    assert denying_statements(statements, action, {**BREAK_GLASS, "sagemaker:ResourceTag/owner": "bob"}) == []


def test_the_owner_tag_cannot_be_rewritten(baseline):
    statements = statements_of(baseline["template"])
    assert denying_statements(statements, "sagemaker:AddTags", {**SCIENTIST, "aws:TagKeys": ["owner"]})
    assert denying_statements(statements, "sagemaker:DeleteTags", {**SCIENTIST, "aws:TagKeys": ["project", "owner"]})
    assert denying_statements(statements, "sagemaker:AddTags", {**SCIENTIST, "aws:TagKeys": ["project"]}) == []


@pytest.mark.parametrize(
    "action",
    [
        "kms:ScheduleKeyDeletion",
        "kms:PutKeyPolicy",
        "kms:DisableKeyRotation",
        "kms:DisableKey",
        "cloudtrail:StopLogging",
        "cloudtrail:PutEventSelectors",
        "guardduty:DeleteDetector",
        "config:StopConfigurationRecorder",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:BypassGovernanceRetention",
        "s3:PutBucketVersioning",
        "s3:PutBucketObjectLockConfiguration",
        "ec2:CreateRoute",
        "ec2:ModifyVpcEndpoint",
        "route53resolver:UpdateFirewallRule",
        "route53resolver:DisassociateFirewallRuleGroup",
        "route53resolver:DisassociateResolverQueryLogConfig",
    ],
)
def test_controls_are_protected_from_everyone_but_the_admins(baseline, action):
    statements = statements_of(baseline["template"])
    assert denying_statements(statements, action, SCIENTIST, "arn:aws:any:resource"), action
    assert denying_statements(statements, action, BREAK_GLASS, "arn:aws:any:resource") == [], action


def test_reading_the_controls_stays_possible(baseline):
    statements = statements_of(baseline["template"])
    for action in ("route53resolver:ListFirewallRules", "kms:DescribeKey", "cloudtrail:GetTrailStatus"):
        assert denying_statements(statements, action, SCIENTIST) == [], action
    assert all("*" not in a for actions in PROTECTED_CONTROLS.values() for a in actions)


def test_guardrail_policies_and_execution_roles_are_protected(baseline):
    statements, ids = statements_of(baseline["template"]), baseline["ids"]
    guardrail = f"arn:aws:iam::{ACCOUNT}:policy{GUARDRAIL_POLICY_PATH}part-1"
    for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"):
        assert denying_statements(statements, action, SCIENTIST, guardrail) == ["ProtectGuardrailPolicies"]
        assert denying_statements(statements, action, BREAK_GLASS, guardrail) == []
        assert denying_statements(statements, action, SCIENTIST, f"arn:aws:iam::{ACCOUNT}:policy/other") == []
    detach = {**SCIENTIST, "iam:PolicyARN": guardrail}
    assert denying_statements(statements, "iam:DetachRolePolicy", detach) == ["KeepGuardrailsAttached"]
    other = {**SCIENTIST, "iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/other"}
    assert denying_statements(statements, "iam:DetachRolePolicy", other) == []
    for role in ("studio", "inference"):
        arn = f"getatt:{ids[role]}.Arn"
        for action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy"):
            assert denying_statements(statements, action, SCIENTIST, arn) == ["ProtectExecutionRoles"]
            assert denying_statements(statements, action, BREAK_GLASS, arn) == []
    unrelated = f"arn:aws:iam::{ACCOUNT}:role/unrelated"
    assert denying_statements(statements, "iam:UpdateAssumeRolePolicy", SCIENTIST, unrelated) == []


# --- instance types ---------------------------------------------------------------------------


def test_instance_type_allow_list():
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    Guardrails(
        stack, "G", subnets=SUBNETS, security_groups=[GROUP], volume_keys=[key], output_keys=[key],
        execution_roles=[iam.Role.from_role_name(stack, "Exec", "ml-exec")],
        allowed_instance_types=["ml.m5.*", "ml.g5.xlarge"],
    )  # fmt: skip
    statements = statements_of(cdk.assertions.Template.from_stack(stack).to_json())
    allowed = lambda types: (
        "AllowedInstanceTypes"
        not in denying_statements(  # noqa: E731
            statements, "sagemaker:CreateTrainingJob", {"sagemaker:InstanceTypes": types}
        )
    )
    assert allowed(["ml.m5.xlarge"]) and allowed(["ml.g5.xlarge", "ml.m5.large"])
    assert not allowed(["ml.p5.48xlarge"]) and not allowed(["ml.m5.xlarge", "ml.g5.2xlarge"])


def test_no_instance_type_allow_list_by_default(baseline):
    assert all(s["Sid"] != "AllowedInstanceTypes" for s in statements_of(baseline["template"]))


# --- bad props --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, prop",
    [
        ({"allowed_instance_types": ["m5.large"]}, "allowed_instance_types"),
        ({"allowed_instance_types": []}, "allowed_instance_types"),
        ({"owner_tag": ""}, "owner_tag"),
        ({"admin_role_arns": ["BreakGlass"]}, "admin_role_arns"),
        ({"approved_lifecycle_configs": ["arn:aws:iam::1:role/x"]}, "approved_lifecycle_configs"),
        ({"protected_endpoints": [f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/e"]}, "endpoint_invokers"),
        ({"protected_endpoints": ["my-endpoint"]}, "protected_endpoints"),
        ({"attach_to": ["DataScientist"]}, "attach_to"),
    ],
)
def test_bad_new_props_fail_naming_the_prop(override, prop):
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    props = dict(
        subnets=SUBNETS,
        security_groups=[GROUP],
        volume_keys=[key],
        output_keys=[key],
        execution_roles=[iam.Role.from_role_name(stack, "Exec", "ml-exec")],
    )
    with pytest.raises(PropError) as error:
        Guardrails(stack, "Guardrails", **props, **override)
    message = str(error.value)
    assert f"{prop}=" in message and "Fix:" in message and "Guardrails(Test/Guardrails)" in message


# --- service control policy -------------------------------------------------------------------


def _scp(stack: cdk.Stack, **override: Any) -> GuardrailsServiceControlPolicy:
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    props = dict(
        target_ids=["ou-ab12-cd34ef56"],
        subnets=SUBNETS,
        security_groups=[GROUP],
        volume_keys=[key],
        output_keys=[key],
        execution_roles=[f"arn:aws:iam::{ACCOUNT}:role/ml-exec"],
        admin_role_arns=["arn:aws:iam::*:role/cdk-*-cfn-exec-role-*", ADMIN],
        protected_endpoints=[f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/demo"],
        endpoint_invokers=[f"arn:aws:iam::{ACCOUNT}:role/api-integration"],
    )
    return GuardrailsServiceControlPolicy(stack, "Scp", **{**props, **override})


def test_scp_denies_the_same_within_organizations_limits():
    app = new_app()
    stack = cdk.Stack(app, "Management", env=cdk.Environment(account="999988887777", region="us-east-1"))
    _scp(stack)
    policies = resources(app.synth().get_stack_by_name("Management").template, "AWS::Organizations::Policy")
    statements = []
    for policy in policies.values():
        props = policy["Properties"]
        assert props["Type"] == "SERVICE_CONTROL_POLICY" and props["TargetIds"] == ["ou-ab12-cd34ef56"]
        text = json.dumps(props["Content"], separators=(",", ":"))
        assert "Ref" not in text and len(text) < SCP_SIZE_LIMIT, len(text)
        statements += props["Content"]["Statement"]
    assert 1 < len(policies) <= 4
    endpoint = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/demo"
    invoke = "sagemaker:InvokeEndpoint"
    assert denying_statements(statements, invoke, {"aws:PrincipalArn": PERSON}, endpoint) == ["InvokeOnlyThroughApi"]
    integration = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/api-integration"}
    assert denying_statements(statements, invoke, integration, endpoint) == []
    deployer = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-eu-west-1"}
    assert denying_statements(statements, "cloudtrail:StopLogging", deployer) == []
    assert denying_statements(statements, "cloudtrail:StopLogging", {"aws:PrincipalArn": PERSON})
    assert denying_statements(statements, "sagemaker:CreateTrainingJob", {})  # the workload denies too


@pytest.mark.parametrize(
    "override, match",
    [
        ({"admin_role_arns": []}, "admin_role_arns="),
        ({"target_ids": ["my-ou"]}, "target_ids="),
        ({"target_ids": []}, "target_ids="),
        (
            {"execution_roles": [f"arn:aws:iam::{ACCOUNT}:role/ml-execution-role-{i:04}" for i in range(300)]},
            "more than the 4 a target has room for|longer than the 5120",
        ),
    ],
)
def test_scp_bad_props_fail(override, match):
    with pytest.raises(PropError, match=match):
        _scp(new_stack(), **override)


def test_scp_names_derive_from_the_stack_so_two_copies_can_live_in_one_organization():
    app = new_app()
    stacks = [cdk.Stack(app, name) for name in ("ManagementA", "ManagementB")]
    for stack in stacks:
        _scp(stack)
    names = [
        sorted(
            p["Properties"]["Name"] for p in resources(Template.from_stack(s), "AWS::Organizations::Policy").values()
        )
        for s in stacks
    ]
    assert names[0] and names[0][0].startswith("ManagementA-guardrails-")
    assert not set(names[0]) & set(names[1])
