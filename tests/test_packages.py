"""PackageMirror: a KMS-encrypted CodeArtifact mirror of PyPI behind the DNS firewall, over one synth.

The module-scoped synth holds a KeyRing, a PrivateNetwork (with its DNS firewall), the mirror and an
execution role it grants, with every nag pack registered. Bad input fails at construct time.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from constructs import Construct

from secure_sagemaker._validation import PropError
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.identity import ExecutionRole
from secure_sagemaker.nag import add_all_packs
from secure_sagemaker.network import PrivateNetwork
from secure_sagemaker.packages import (
    DOMAIN_NAME,
    PYPI_CONNECTION,
    READ_ACTIONS,
    REPOSITORY_NAME,
    STORE_REPOSITORY_NAME,
    PackageMirror,
)
from tests.helpers import CfnLint, get_att, logical_id, new_app, new_stack, props, resources

PREFIX_LIST = "pl-6da54004"
ACCOUNT_ROOT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("packages")
    app = new_app(outdir)
    stack = cdk.Stack(app, "Test")
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, s3_prefix_list_id=PREFIX_LIST)
    mirror = PackageMirror(stack, "Mirror", network=network, keys=keys)
    role = ExecutionRole(stack, "Role")
    policy = mirror.grant_read(role)
    add_all_packs(app)
    app.synth()  # raises ValidationFailed on an unacknowledged error finding
    path = Path(outdir) / "Test.template.json"
    return {
        "template": json.loads(path.read_text()),
        "report": json.loads((Path(outdir) / "validation-report.json").read_text()),
        "cfn_lint": CfnLint(path),
        "mirror": mirror,
        "ids": {
            "domain": logical_id(mirror.domain),
            "store": logical_id(mirror.store_repository),
            "repository": logical_id(mirror.repository),
            "key": logical_id(keys.key("packages")),
            "policy": logical_id(policy),
            "role": logical_id(role.role),
            "endpoint_sg": logical_id(network.endpoint_security_group),
            "allowed_domains": logical_id(network.dns_firewall.node.find_child("AllowedDomains")),
        },
    }


def test_every_pack_leaves_nothing_unacknowledged(synth):
    leftover = [(v["ruleName"], p["pluginName"]) for p in synth["report"]["pluginReports"] for v in p["violations"]]
    assert leftover == []


def test_cfn_lint_is_clean(synth):
    code, out, err = synth["cfn_lint"].result()
    assert (code, out) == (0, ""), err


def test_the_domain_is_encrypted_with_the_rings_packages_key_usable_through_codeartifact_only(synth, template, ids):
    assert props(template, ids["domain"])["EncryptionKey"] == get_att(ids["key"], "Arn")
    key = template["Resources"][ids["key"]]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
    use = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}["UseThroughAwsServices"]
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == [
        {"Fn::Join": ["", ["codeartifact.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}
    ]


def test_pip_reads_pypi_whose_upstream_holds_the_external_connection(template, ids):
    store, repository = props(template, ids["store"]), props(template, ids["repository"])
    assert store["RepositoryName"] == STORE_REPOSITORY_NAME
    assert store["ExternalConnections"] == [PYPI_CONNECTION] == ["public:pypi"]
    assert "Upstreams" not in store
    assert repository["RepositoryName"] == REPOSITORY_NAME
    assert repository["Upstreams"] == [get_att(ids["store"], "Name")]
    assert "ExternalConnections" not in repository
    for repo in (store, repository):
        assert repo["DomainName"] == get_att(ids["domain"], "Name")
        assert repo["DomainOwner"] == get_att(ids["domain"], "Owner")


def test_deletion_removes_pypi_then_the_store_then_the_domain(template, ids):
    """CloudFormation deletes in reverse reference order, and a domain with repositories cannot be
    deleted: pypi references the store, the store the domain. Nothing is retained, so a retry or a
    redeploy finds no leftover domain of the same name."""
    resources_ = template["Resources"]
    assert json.dumps(resources_[ids["repository"]]).count(ids["store"]) >= 1
    assert json.dumps(resources_[ids["store"]]).count(ids["domain"]) >= 1
    for name in ("domain", "store", "repository"):
        assert "DeletionPolicy" not in resources_[ids[name]], name


def test_resource_policies_admit_only_this_accounts_principals(template, ids):
    for name in ("domain", "store", "repository"):
        (statement,) = props(template, ids[name])["PermissionsPolicyDocument"]["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"AWS": ACCOUNT_ROOT}, name
        assert all(a.startswith(("codeartifact:", "sts:GetServiceBearerToken")) for a in statement["Action"])
        assert not any(
            "*" in a or a.startswith(("codeartifact:Put", "codeartifact:Delete")) for a in statement["Action"]
        )


def test_endpoints_for_api_and_repositories_with_private_dns_admit_this_account_for_reads(template, ids):
    endpoints = {
        json.dumps(e["Properties"]["ServiceName"]): e["Properties"]
        for e in resources(template, "AWS::EC2::VPCEndpoint").values()
        if "codeartifact" in json.dumps(e["Properties"]["ServiceName"])
    }
    assert sorted(endpoints) == sorted(
        json.dumps({"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, f".codeartifact.{kind}"]]})
        for kind in ("api", "repositories")
    )
    for endpoint in endpoints.values():
        assert endpoint["PrivateDnsEnabled"] is True
        assert endpoint["SecurityGroupIds"] == [get_att(ids["endpoint_sg"], "GroupId")]
        (statement,) = endpoint["PolicyDocument"]["Statement"]
        assert statement["Action"] == list(READ_ACTIONS)
        assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}


@pytest.mark.parametrize(
    "name",
    [
        "codeartifact.eu-west-1.amazonaws.com",  # the API: tokens and the repository endpoint
        "secure-sagemaker-packagemirror-domain-1a2b3c4d-111122223333.d.codeartifact.eu-west-1.amazonaws.com",
        "sts.eu-west-1.amazonaws.com",
    ],
)
def test_the_dns_firewall_resolves_codeartifacts_names(template, ids, name):
    patterns = [_in_aws(d) for d in props(template, ids["allowed_domains"])["Domains"]]
    # the firewall's "*." matches one label or more; fnmatch's "*" does too
    assert any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns), patterns


def _in_aws(value: Any) -> str:
    """A domain-list entry as it reads in the aws partition (URLSuffix amazonaws.com)."""
    if value == {"Ref": "AWS::URLSuffix"}:
        return "amazonaws.com"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_in_aws(p) for p in parts)
    assert isinstance(value, str), value
    return value


def test_grant_read_lets_the_role_log_pip_in_and_read_pypi_only(template, ids):
    policy = props(template, ids["policy"])
    assert policy["Roles"] == [{"Ref": ids["role"]}]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements == {
        "AuthorizationToken": {
            "Sid": "AuthorizationToken",
            "Effect": "Allow",
            "Action": "codeartifact:GetAuthorizationToken",
            "Resource": get_att(ids["domain"], "Arn"),
        },
        "ReadThePypiRepository": {
            "Sid": "ReadThePypiRepository",
            "Effect": "Allow",
            "Action": ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
            "Resource": get_att(ids["repository"], "Arn"),
        },
        "BearerTokenForCodeArtifactOnly": {
            "Sid": "BearerTokenForCodeArtifactOnly",
            "Effect": "Allow",
            "Action": "sts:GetServiceBearerToken",
            "Resource": "*",
            "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}},
        },
    }


def test_pip_login_and_index_url(synth):
    mirror, stack = synth["mirror"], cdk.Stack.of(synth["mirror"])
    login = stack.resolve(mirror.login_command)
    assert f"--domain {mirror.domain_name} " in json.dumps(login) and "--repository pypi" in json.dumps(login)
    assert f"/pypi/{REPOSITORY_NAME}/simple/" in json.dumps(stack.resolve(mirror.pip_index_url))


# --- names ---------------------------------------------------------------------------------------


def _domain_name(stack: cdk.Stack, *path: str) -> str:
    scope: Construct = stack
    for part in path:
        scope = Construct(scope, part)
    return PackageMirror(scope, "Mirror").domain_name


@pytest.mark.parametrize(
    "stack_name, path",
    [
        ("Test", ()),
        ("SecureSageMakerBaseline", ("Baseline",)),
        ("A" * 128, ("Baseline", "Deeply", "Nested")),
        ("team_b.Workload", ()),
    ],
)
def test_default_domain_names_are_valid_codeartifact_names(stack_name, path):
    app = cdk.App()
    name = _domain_name(cdk.Stack(app, "S", stack_name=stack_name.replace("_", "-").replace(".", "-")), *path)
    assert DOMAIN_NAME.match(name) and len(name) <= 50, name


def test_two_copies_of_a_stack_get_two_domain_names():
    app = cdk.App()
    first = _domain_name(cdk.Stack(app, "TeamA", stack_name="SecureSageMakerBaseline"), "Baseline")
    second = _domain_name(cdk.Stack(app, "TeamB", stack_name="TeamB"), "Baseline")
    assert first != second
    assert first.startswith("securesagemakerbaseline-") and "mirror-domain-" in first, first


def test_stacks_in_a_stage_get_names_of_their_own():
    app = cdk.App()
    dev, prod = cdk.Stage(app, "Dev"), cdk.Stage(app, "Prod")
    names = {_domain_name(cdk.Stack(stage, "Workload")) for stage in (dev, prod)}
    assert len(names) == 2 and all(DOMAIN_NAME.match(n) for n in names)


def test_a_given_domain_name_is_used():
    stack = new_stack()
    mirror = PackageMirror(stack, "Mirror", domain_name="ml-packages")
    assert props(Template.from_stack(stack).to_json(), logical_id(mirror.domain))["DomainName"] == "ml-packages"


def test_without_network_no_endpoints_and_a_key_of_its_own():
    stack = new_stack()
    mirror = PackageMirror(stack, "Mirror")
    template = Template.from_stack(stack).to_json()
    assert mirror.endpoints == {}
    assert resources(template, "AWS::EC2::VPCEndpoint") == {}
    assert props(template, logical_id(mirror.domain))["EncryptionKey"] == get_att(logical_id(mirror.key), "Arn")


# --- bad input -----------------------------------------------------------------------------------


def _expect(error: pytest.ExceptionInfo, prop: str) -> None:
    message = str(error.value)
    assert "PackageMirror(Test/Mirror)" in message and f"{prop}=" in message and "Fix:" in message, message


@pytest.mark.parametrize("name", ["A-Upper", "1starts-with-digit", "ends-with-", "x", "a" * 51, "under_score"])
def test_bad_domain_names_fail(name):
    with pytest.raises(PropError) as error:
        PackageMirror(new_stack(), "Mirror", domain_name=name)
    _expect(error, "domain_name")


def test_a_network_that_is_not_a_private_network_fails():
    stack = new_stack()
    vpc = ec2.Vpc(stack, "Vpc")
    with pytest.raises(PropError) as error:
        PackageMirror(stack, "Mirror", network=vpc)
    _expect(error, "network")


def test_keys_and_encryption_key_together_fail():
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    with pytest.raises(PropError) as error:
        PackageMirror(stack, "Mirror", keys=keys, encryption_key=keys.data_key)
    _expect(error, "encryption_key")


def test_granting_something_that_is_not_a_role_fails():
    stack = new_stack()
    with pytest.raises(PropError) as error:
        PackageMirror(stack, "Mirror").grant_read("arn:aws:iam::111122223333:role/DataScientist")
    _expect(error, "grant_read(role)")


def test_a_second_endpoint_for_a_service_fails():
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, s3_prefix_list_id=PREFIX_LIST)
    PackageMirror(stack, "Mirror", network=network, keys=keys)
    with pytest.raises(PropError, match="codeartifact.api.*already has an interface endpoint"):
        PackageMirror(stack, "Again", network=network, keys=keys)


@pytest.mark.parametrize(
    "service, actions, problem",
    [
        ("codeartifact.api", READ_ACTIONS, "is not an interface endpoint service"),
        (ec2.InterfaceVpcEndpointAwsService.CODEARTIFACT_API, "codeartifact:*", "is not a list of IAM actions"),
        (ec2.InterfaceVpcEndpointAwsService.CODEARTIFACT_API, [], "is not a list of IAM actions"),
    ],
)
def test_add_interface_endpoint_refuses_bad_input(service, actions, problem):
    stack = new_stack()
    network = PrivateNetwork(stack, "Network", logs_key=KeyRing(stack, "Keys").logs_key, s3_prefix_list_id=PREFIX_LIST)
    with pytest.raises(PropError, match=problem):
        network.add_interface_endpoint(service, actions=actions)
