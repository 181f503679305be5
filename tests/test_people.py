"""Per-person isolation (``dataScientists``), evaluated as IAM would over the synthesized baseline.

Two people, alice and bob, each with their own profile, execution role and training role. Every
verdict comes from the role's identity policies in the template (tests/policy_eval.py), the
guardrails included, with the principal's own tags and ARN in the request as IAM adds them.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from aws_cdk.assertions import Template
from policy_eval import ACCOUNT, ALLOW, EXPLICIT_DENY, REGION, PolicyEvaluator

from secure_sagemaker._validation import PropError
from secure_sagemaker.baseline import SecureSageMakerStack
from secure_sagemaker.config import BaselineConfig
from secure_sagemaker.guardrail_statements import GUARDRAIL_POLICY_PATH, _upper_bound
from secure_sagemaker.identity import Guardrails, S3Prefix
from secure_sagemaker.people import MAX_PEOPLE, PersonalWorkspace
from secure_sagemaker.workflow import DataScientistPermissions
from tests.helpers import data_scientist_parts, new_app, new_stack, resources

SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
#: As many people as a baseline holds: alice and bob, whose isolation the tests check, and more.
PEOPLE = ("alice", "bob", *(f"data-scientist-{number:02d}" for number in range(3, MAX_PEOPLE + 1)))
PASSED = {"iam:PassedToService": "sagemaker.amazonaws.com"}


class People:
    """The synthesized two-person baseline: each person's roles, profile and the request values they send."""

    def __init__(self, template: dict) -> None:
        self.template = template
        self.evaluator = PolicyEvaluator(template)
        resolver = self.evaluator.resolver
        # Logical ids keep only the letters and digits of a construct path.
        self.studio = {p: self.evaluator.role_id(f"BaselinePeople{p.replace('-', '')}StudioRole") for p in PEOPLE}
        self.training = {p: self.evaluator.role_id(f"BaselinePeople{p.replace('-', '')}TrainingRole") for p in PEOPLE}
        self.shared_training = self.evaluator.role_id("BaselineTrainingExecutionRole")
        self.shared_studio = self.evaluator.role_id("BaselineStudioExecutionRole")
        profiles = resources(template, "AWS::SageMaker::UserProfile")
        self.profile_ids = {props["Properties"]["UserProfileName"]: k for k, props in profiles.items()}
        self.profile_arn = {p: resolver.arn(self.profile_ids[p]) for p in PEOPLE}
        ((domain_id, _),) = resources(template, "AWS::SageMaker::Domain").items()
        self.domain_id = domain_id
        self.domain = resolver.get_att(domain_id, "DomainId")
        bucket = {k.split("Bucket")[0]: k for k in resources(template, "AWS::S3::Bucket")}
        self.data = resolver.arn(bucket["BaselineData"])
        self.models = resolver.arn(bucket["BaselineModels"])

    def verdict(self, role: str, action: str, resource: str, context: dict | None = None) -> str:
        """IAM's verdict, with the principal's ARN and tags in the request as IAM puts them there."""
        request = {**self.evaluator.principal_context(role), **(context or {})}
        return self.evaluator.evaluate(role, action, resource, request)

    def arn(self, role: str) -> str:
        return self.evaluator.resolver.arn(role)


@pytest.fixture(scope="module")
def people_template() -> dict:
    app = new_app()
    # The largest configuration: every person, the demo endpoint with its API, and the package
    # mirror (one more managed policy on every person's Studio role).
    config = BaselineConfig(data_scientists=",".join(PEOPLE), demo_endpoint=True, package_mirror=True)
    SecureSageMakerStack(app, "People", config=config)
    return app.synth().get_stack_by_name("People").template


@pytest.fixture(scope="module")
def people(people_template: dict) -> People:
    return People(people_template)


# --- home prefixes ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["studio", "training"])
def test_a_person_and_their_jobs_write_only_their_own_home(people: People, kind: str) -> None:
    alice = getattr(people, kind)["alice"]
    for action in ("s3:PutObject", "s3:GetObject"):
        assert people.verdict(alice, action, f"{people.data}/work/alice/features.parquet") == ALLOW
        assert people.verdict(alice, action, f"{people.data}/work/bob/features.parquet") != ALLOW
        assert people.verdict(alice, action, f"{people.models}/candidates/alice/model.tar.gz") == ALLOW
        assert people.verdict(alice, action, f"{people.models}/candidates/bob/model.tar.gz") != ALLOW
        assert people.verdict(alice, action, f"{people.data}/work/shared.csv") != ALLOW
    assert people.verdict(alice, "s3:GetObject", f"{people.data}/raw/churn.csv") == ALLOW
    assert people.verdict(alice, "s3:PutObject", f"{people.data}/raw/churn.csv") != ALLOW
    assert people.verdict(alice, "s3:ListBucket", people.data, {"s3:prefix": "work/alice/"}) == ALLOW
    assert people.verdict(alice, "s3:ListBucket", people.data, {"s3:prefix": "work/bob/"}) != ALLOW
    assert people.verdict(alice, "s3:ListBucket", people.data, {"s3:prefix": "work/"}) != ALLOW


def test_the_shared_roles_stay_out_of_everyones_home(people: People) -> None:
    """The domain's default role (notebook instance, shared spaces) and the shared training role
    write only the `_shared` folders, which no person's name can be."""
    for role in (people.shared_studio, people.shared_training):
        for bucket, parent in ((people.data, "work"), (people.models, "candidates")):
            assert people.verdict(role, "s3:PutObject", f"{bucket}/{parent}/_shared/x.parquet") == ALLOW, role
            assert people.verdict(role, "s3:PutObject", f"{bucket}/{parent}/alice/x.parquet") != ALLOW, role
            assert people.verdict(role, "s3:PutObject", f"{bucket}/{parent}/x.parquet") != ALLOW, role
        assert people.verdict(role, "s3:GetObject", f"{people.data}/raw/churn.csv") == ALLOW, role


def test_a_person_passes_only_their_own_training_role(people: People) -> None:
    alice = people.studio["alice"]
    assert people.verdict(alice, "iam:PassRole", people.arn(people.training["alice"]), PASSED) == ALLOW
    for other in (people.training["bob"], people.shared_training, people.studio["bob"], alice):
        assert people.verdict(alice, "iam:PassRole", people.arn(other), PASSED) != ALLOW, other


def test_no_person_writes_what_an_endpoint_serves_or_approves_a_package(people: People) -> None:
    """Separation of duties holds per person too: candidates only, never models/ or an approval."""
    ((group_id, _),) = resources(people.template, "AWS::SageMaker::ModelPackageGroup").items()
    package = people.evaluator.resolver.arn(group_id).replace("model-package-group/", "model-package/") + "/1"
    approve = {"sagemaker:ModelApprovalStatus": "Approved"}
    for person in PEOPLE:
        for role in (people.studio[person], people.training[person]):
            assert people.verdict(role, "s3:PutObject", f"{people.models}/models/demo/model.tar.gz") != ALLOW, role
            assert people.verdict(role, "sagemaker:UpdateModelPackage", package, approve) != ALLOW, role


# --- profiles and spaces ------------------------------------------------------------------------


def test_a_person_opens_only_their_own_profile(people: People) -> None:
    alice = people.studio["alice"]
    own = {"sagemaker:ResourceTag/owner": "alice"}
    assert people.verdict(alice, "sagemaker:CreatePresignedDomainUrl", people.profile_arn["alice"], own) == ALLOW
    bobs = {"sagemaker:ResourceTag/owner": "bob"}
    # Denied twice: alice's policy names only her profile, and the guardrails compare the owner tags.
    assert people.verdict(alice, "sagemaker:CreatePresignedDomainUrl", people.profile_arn["bob"], bobs) == EXPLICIT_DENY
    assert people.verdict(alice, "sagemaker:CreatePresignedDomainUrl", people.profile_arn["alice"], bobs) != ALLOW


def test_profiles_and_roles_carry_their_owner(people: People, people_template: dict) -> None:
    for person in PEOPLE:
        for role in (people.studio[person], people.training[person]):
            assert people.evaluator.principal_context(role)["aws:PrincipalTag/owner"] == person
        profile = people_template["Resources"][people.profile_ids[person]]["Properties"]
        assert {"Key": "owner", "Value": person} in profile["Tags"]


@pytest.mark.parametrize(
    "action", ["sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace", "sagemaker:DescribeSpace"]
)
def test_a_person_cannot_use_another_persons_space(people: People, action: str) -> None:
    alice = people.studio["alice"]
    space = f"{SAGEMAKER}:space/{people.domain}/lab"
    mine = {"sagemaker:OwnerUserProfileArn": people.profile_arn["alice"], "sagemaker:SpaceSharingType": "Private"}
    bobs = {**mine, "sagemaker:OwnerUserProfileArn": people.profile_arn["bob"]}
    assert people.verdict(alice, action, space, mine) == ALLOW
    assert people.verdict(alice, action, space, bobs) != ALLOW
    app = f"{SAGEMAKER}:app/{people.domain}/lab/jupyterlab/default"
    assert people.verdict(alice, "sagemaker:CreateApp", app, bobs) != ALLOW


def test_a_shared_space_needs_the_opt_in(people: People) -> None:
    alice = people.studio["alice"]
    space = f"{SAGEMAKER}:space/{people.domain}/team"
    mine = {"sagemaker:OwnerUserProfileArn": people.profile_arn["alice"]}
    assert people.verdict(alice, "sagemaker:CreateSpace", space, {**mine, "sagemaker:SpaceSharingType": "Private"}) == (
        ALLOW
    )
    # The guardrails deny a space that is not Private, whatever another policy allows.
    shared = {**mine, "sagemaker:SpaceSharingType": "Shared"}
    assert people.verdict(alice, "sagemaker:CreateSpace", space, shared) == EXPLICIT_DENY
    assert people.verdict(alice, "sagemaker:CreateSpace", space, mine) == EXPLICIT_DENY


@pytest.mark.parametrize("allow_shared_spaces", [False, True])
def test_allow_shared_spaces_is_what_opens_shared_spaces(allow_shared_spaces: bool) -> None:
    stack = new_stack()
    parts = data_scientist_parts(stack, scientist="Alice")
    DataScientistPermissions(
        stack,
        "Perms",
        **parts,
        domain_id="d-team",
        user_profile_name="alice",
        allow_shared_spaces=allow_shared_spaces,
    )
    network = {k: parts[k] for k in ("subnets", "security_groups", "volume_keys", "output_keys")}
    Guardrails(
        stack,
        "Guardrails",
        execution_roles=[parts["role"], parts["training_role"]],
        attach_to=[parts["role"]],
        allow_shared_spaces=allow_shared_spaces,
        **network,
    )
    evaluator = PolicyEvaluator(Template.from_stack(stack).to_json())
    alice = evaluator.role_id("AliceRole")
    space, app = f"{SAGEMAKER}:space/d-team/team", f"{SAGEMAKER}:app/d-team/team/jupyterlab/default"
    own = f"{SAGEMAKER}:user-profile/d-team/alice"
    bobs = f"{SAGEMAKER}:user-profile/d-team/bob"
    shared = {"sagemaker:SpaceSharingType": "Shared"}
    create = evaluator.evaluate(alice, "sagemaker:CreateSpace", space, {**shared, "sagemaker:OwnerUserProfileArn": own})
    open_bobs = evaluator.evaluate(alice, "sagemaker:CreateApp", app, {**shared, "sagemaker:OwnerUserProfileArn": bobs})
    private = {"sagemaker:SpaceSharingType": "Private", "sagemaker:OwnerUserProfileArn": bobs}
    assert (create, open_bobs) == ((ALLOW, ALLOW) if allow_shared_spaces else (EXPLICIT_DENY, "ImplicitDeny"))
    assert evaluator.evaluate(alice, "sagemaker:CreateApp", app, private) != ALLOW


# --- the trail, names and guardrails ----------------------------------------------------------------


def test_the_trail_tells_people_apart(people: People, people_template: dict) -> None:
    """CloudTrail names the role (a different ARN per person) and, as sts:SourceIdentity, the profile."""
    resolve = people.evaluator.resolver.resolve
    roles = {}
    for person in PEOPLE:
        settings = people_template["Resources"][people.profile_ids[person]]["Properties"]["UserSettings"]
        roles[person] = resolve(settings["ExecutionRole"])
        assert roles[person] == people.arn(people.studio[person])
        trust = people_template["Resources"][people.studio[person]]["Properties"]["AssumeRolePolicyDocument"]
        assert any("sts:SetSourceIdentity" in s["Action"] for s in trust["Statement"])
    assert len(set(roles.values())) == len(PEOPLE)
    domain = people_template["Resources"][people.domain_id]["Properties"]
    assert domain["DomainSettings"]["ExecutionRoleIdentityConfig"] == "USER_PROFILE_NAME"


def test_two_people_share_no_physical_name(people_template: dict) -> None:
    names: dict[tuple[str, str], list[str]] = defaultdict(list)
    for resource in people_template["Resources"].values():
        for prop, value in resource.get("Properties", {}).items():
            if prop.endswith("Name") and isinstance(value, str):
                names[(resource["Type"], prop)].append(value)
    duplicates = {key: values for key, values in names.items() if len(values) != len(set(values))}
    assert duplicates == {}
    assert sorted(names[("AWS::SageMaker::UserProfile", "UserProfileName")]) == sorted(PEOPLE)


def test_a_full_team_fits_cloudformation_and_iam(people_template: dict) -> None:
    """MAX_PEOPLE people, the demo endpoint and the package mirror: the template stays below the
    800,000 characters from which CDK warns (CloudFormation takes 1,000,000) and CloudFormation's
    500 resources, and every guardrail policy fits IAM's 6,144 characters with each role ARN
    counted at 160 characters."""
    assert len(json.dumps(people_template, indent=1)) < 800_000
    assert len(people_template["Resources"]) <= 500, "CloudFormation's limit of resources per stack"
    for policy in resources(people_template, "AWS::IAM::ManagedPolicy").values():
        if policy["Properties"].get("Path") == GUARDRAIL_POLICY_PATH:
            document = _upper_bound(policy["Properties"]["PolicyDocument"])
            assert len(json.dumps(document, separators=(",", ":"))) <= 6144


def test_every_persons_studio_role_shares_the_mirrors_one_read_policy(people: People) -> None:
    """The package mirror grants each person's Studio role (not their jobs' role) through one policy."""
    (policy,) = [
        p
        for logical, p in resources(people.template, "AWS::IAM::ManagedPolicy").items()
        if logical.startswith("BaselinePackageMirrorReadPolicy")
    ]
    attached = policy["Properties"]["Roles"]
    assert attached == [{"Ref": people.shared_studio}] + [{"Ref": people.studio[person]} for person in PEOPLE]


def test_more_people_than_a_baseline_holds_fails_naming_the_key() -> None:
    too_many = ",".join(f"p{number}" for number in range(MAX_PEOPLE + 1))
    with pytest.raises(PropError, match=rf"BaselineConfig: data_scientists='{too_many}' names {MAX_PEOPLE + 1} people"):
        BaselineConfig(data_scientists=too_many)


def test_the_guardrails_govern_every_personal_role(people: People, people_template: dict) -> None:
    guardrails = [
        r
        for r in resources(people_template, "AWS::IAM::ManagedPolicy").values()
        if r["Properties"].get("Path") == GUARDRAIL_POLICY_PATH
    ]
    assert guardrails
    personal = [*people.studio.values(), *people.training.values()]
    for policy in guardrails:
        for role in personal:
            assert {"Ref": role} in policy["Properties"]["Roles"], role
    # Every personal role stays within the 10 managed policies IAM attaches to a role by default.
    managed = resources(people_template, "AWS::IAM::ManagedPolicy").values()
    for role in personal:
        assert sum({"Ref": role} in policy["Properties"].get("Roles", []) for policy in managed) <= 10, role
    # Passing a personal role to SageMaker is not denied by the guardrails; passing another role is.
    assert people.verdict(people.studio["alice"], "iam:PassRole", people.arn(people.training["bob"]), PASSED) != (
        EXPLICIT_DENY
    )
    unknown = f"arn:aws:iam::{ACCOUNT}:role/someone-elses"
    assert people.verdict(people.studio["alice"], "iam:PassRole", unknown, PASSED) == EXPLICIT_DENY
    # And nobody governed re-tags a personal role to borrow another person's owner tag.
    assert people.verdict(people.studio["alice"], "iam:TagRole", people.arn(people.studio["bob"])) == EXPLICIT_DENY


def test_without_people_the_one_shared_profile_stays(baseline_template: dict) -> None:
    profiles = resources(baseline_template, "AWS::SageMaker::UserProfile")
    assert [(k.startswith("BaselineUserProfile"), p["Properties"]["UserProfileName"]) for k, p in profiles.items()] == [
        (True, "data-scientist")
    ]
    assert not [k for k in baseline_template["Resources"] if k.startswith("BaselinePeople")]


# --- props --------------------------------------------------------------------------------------


def test_a_workspace_without_home_prefixes_fails_naming_the_prop() -> None:
    stack = new_stack()
    with pytest.raises(PropError, match=r"PersonalWorkspace\(Test/Alice\): home_prefixes=\[\] is not a non-empty"):
        PersonalWorkspace(stack, "Alice", person="alice", home_prefixes=[], **_unused())
    with pytest.raises(PropError, match=r"PersonalWorkspace\(Test/Bob\): person='bob@example.com' is not a valid"):
        PersonalWorkspace(stack, "Bob", person="bob@example.com", home_prefixes=[S3Prefix("b", "work")], **_unused())


def _unused() -> dict:
    """Props the checks above never reach (they fail first)."""
    return dict(
        domain=None,
        subnets=[],
        security_groups=[],
        volume_keys=[],
        output_keys=[],
        registry=None,
        models_bucket=None,
        serving_prefix="models",
    )


def test_people_validation_names_the_context_key() -> None:
    with pytest.raises(PropError, match=r"BaselineConfig: data_scientists='alice,ALICE' names 'alice' twice"):
        BaselineConfig(data_scientists="alice,ALICE")
