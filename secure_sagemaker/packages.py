"""A private mirror of PyPI in AWS CodeArtifact, reachable from the isolated VPC.

The DNS firewall (``dns.py``) resolves AWS names only, and the isolated VPC has no route to the
internet, so ``pip install`` from pypi.org cannot work inside it. CodeArtifact fetches public
packages from PyPI on AWS's side and serves them under AWS names
(``codeartifact.<region>.amazonaws.com`` for its API, ``<domain>-<account>.d.codeartifact.<region>.amazonaws.com``
for the repositories), which the firewall allows and the VPC reaches through interface endpoints.
"""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codeartifact as codeartifact
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from secure_sagemaker._validation import describe, fail, is_token, require_key, require_type
from secure_sagemaker.acknowledgments import acknowledge_wildcard_resources
from secure_sagemaker.encryption import KeyRing, new_customer_managed_key
from secure_sagemaker.network import PrivateNetwork

#: The KeyRing purpose of the key that encrypts the mirror's domain (every package asset in it).
PACKAGES_KEY_PURPOSE = "packages"
#: The repository that holds the external connection to PyPI (AWS's ``<name>-store`` convention:
#: one repository per domain connects to a public repository, the others have it upstream).
STORE_REPOSITORY_NAME = "pypi-store"
#: The repository that pip reads from; ``pypi-store`` is its upstream.
REPOSITORY_NAME = "pypi"
#: CodeArtifact's name for the Python Package Index as an external connection.
PYPI_CONNECTION = "public:pypi"
#: What a reader needs through the VPC endpoints: the actions of AWS's example endpoint policy
#: (CodeArtifact User Guide, "Create a VPC endpoint policy for CodeArtifact").
READ_ACTIONS = (
    "codeartifact:GetAuthorizationToken",
    "codeartifact:GetRepositoryEndpoint",
    "codeartifact:ReadFromRepository",
    "sts:GetServiceBearerToken",
)
#: Domain names: 2-50 lowercase letters, digits and '-', starting with a letter, ending with a
#: letter or digit (CodeArtifact API Reference, CreateDomain); unique per account and Region.
DOMAIN_NAME = re.compile(r"^[a-z][a-z0-9-]{0,48}[a-z0-9]$")
MAX_DOMAIN_NAME_LENGTH = 50
_ENDPOINT_SERVICES = (
    ec2.InterfaceVpcEndpointAwsService.CODEARTIFACT_API,
    ec2.InterfaceVpcEndpointAwsService.CODEARTIFACT_REPOSITORIES,
)
# Domain- and repository-level reads that the policies below admit for this account's principals.
_DOMAIN_ACTIONS = (
    "codeartifact:DescribeDomain",
    "codeartifact:GetAuthorizationToken",
    "codeartifact:GetDomainPermissionsPolicy",
    "codeartifact:ListRepositoriesInDomain",
    "sts:GetServiceBearerToken",
)
_REPOSITORY_ACTIONS = (
    "codeartifact:DescribePackageVersion",
    "codeartifact:DescribeRepository",
    "codeartifact:GetPackageVersionReadme",
    "codeartifact:GetRepositoryEndpoint",
    "codeartifact:ListPackageVersionAssets",
    "codeartifact:ListPackageVersions",
    "codeartifact:ListPackages",
    "codeartifact:ReadFromRepository",
)


def default_domain_name(construct: Construct) -> str:
    """A domain name derived from ``construct``'s path, stack name included (so every copy of a stack
    in one account and Region has its own), in the characters and length CodeArtifact accepts."""
    name = cdk.Names.unique_resource_name(construct, max_length=MAX_DOMAIN_NAME_LENGTH, separator="-").lower()
    name = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", name)).strip("-")
    if not name[:1].isalpha():
        name = f"d-{name}"[:MAX_DOMAIN_NAME_LENGTH].rstrip("-")
    return name


def validate_domain_name(me: str, prop: str, value: Any) -> None:
    """Fail unless ``value`` is a literal CodeArtifact domain name."""
    fix = "use 2-50 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
    require_type(me, prop, value, str, fix)
    if is_token(value):
        raise fail(me, prop, value, "is a token, but the pip index URL and policies need the name", "pass a literal")
    if not DOMAIN_NAME.match(value):
        raise fail(me, prop, value, "is not a CodeArtifact domain name", fix)


class PackageMirror(Construct):
    """A CodeArtifact mirror of PyPI for an isolated VPC, so that ``pip install`` works behind the DNS firewall.

    - A CodeArtifact domain encrypted with a customer-managed key: the ``packages`` key of ``keys``
      (added to the ring if it has none; usable by this account's principals through CodeArtifact
      only), ``encryption_key``, or a new key (child id ``Key``).
    - Two repositories, as AWS recommends for external connections: ``pypi-store`` with the
      external connection ``public:pypi``, and ``pypi``, which has ``pypi-store`` upstream and is
      the one pip reads. A package not yet in the domain is fetched from PyPI on first request and
      kept.
    - The domain's and both repositories' resource policies admit principals of this account
      only (the account root, which delegates to IAM); no other account can read or change them.
    - With ``network``, interface endpoints with private DNS for ``codeartifact.api`` (the token
      and the repository endpoint) and ``codeartifact.repositories`` (pip's downloads), whose
      policy admits this account's principals for the four actions a reader needs. Their names
      are under ``amazonaws.com``, which the network's DNS firewall resolves. Python packages need
      no S3 gateway endpoint (CodeArtifact User Guide).
    - :meth:`grant_read` lets a role log pip in and read: ``codeartifact:GetAuthorizationToken`` on
      the domain, ``GetRepositoryEndpoint`` and ``ReadFromRepository`` on ``pypi``, and
      ``sts:GetServiceBearerToken`` for CodeArtifact only (``sts:AWSServiceName``).

    How a data scientist installs a package (in a Studio space or notebook of the VPC)::

        aws codeartifact login --tool pip --domain <domain_name> --domain-owner <account> --repository pypi
        pip install pandas

    ``login`` writes the index URL with a 12-hour token into pip's configuration; without the
    CLI, ``pip install --index-url "https://aws:$TOKEN@<domain>-<account>.d.codeartifact.<region>.amazonaws.com/pypi/pypi/simple/"``
    with ``TOKEN=$(aws codeartifact get-authorization-token --domain <domain_name> --query authorizationToken --output text)``.

    Deployment: the domain's name (``domain_name``) is unique per account and Region, so it is
    derived from the construct path with the stack name; a second copy under another stack name
    gets its own. The domain and repositories hold copies of public packages only and are deleted
    with the stack (CloudFormation deletes ``pypi``, then ``pypi-store``, then the domain, by their
    references), so a retried first deploy or a redeploy finds no leftover domain of the same
    name. The deploying role needs ``kms:DescribeKey`` and ``kms:CreateGrant`` on the key through
    CodeArtifact, which the KeyRing key's policy allows for this account.

    Keyword-only props:

    :param network: the :class:`PrivateNetwork` to add the two interface endpoints to.
        Default: none, no endpoints (for a VPC that already has them: a VPC holds one
        private-DNS endpoint per service).
    :param keys: the KeyRing whose ``packages`` key encrypts the domain. Default: none.
        Conflicts with ``encryption_key``.
    :param encryption_key: a customer-managed key (``kms.IKey``, not an alias) that lets this
        account's principals use it through ``codeartifact``. Default: none. With neither, a new
        key is created.
    :param domain_name: the domain's name. Default: derived from the construct path
        (``default_domain_name``). Never change it: the domain and its cache are replaced.

    Attributes (read-only): ``domain``, ``store_repository``, ``repository``, ``key``,
    ``endpoints`` (empty without ``network``), ``domain_name``, ``pip_index_url`` and
    ``login_command``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        network: PrivateNetwork | None = None,
        keys: KeyRing | None = None,
        encryption_key: kms.IKey | None = None,
        domain_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        if network is not None and not isinstance(network, PrivateNetwork):
            raise fail(
                me,
                "network",
                network,
                "is not a PrivateNetwork, whose endpoint security group and policies the endpoints share",
                "pass the baseline's PrivateNetwork, or None where the VPC already has CodeArtifact endpoints",
            )
        if keys is not None and not isinstance(keys, KeyRing):
            raise fail(
                me, "keys", keys, "is not a KeyRing", "pass the baseline's KeyRing (SecureSageMakerBaseline.keys)"
            )
        if keys is not None and encryption_key is not None:
            raise fail(
                me,
                "encryption_key",
                encryption_key.node.path,
                "is given with keys, but one key encrypts a domain",
                "drop encryption_key to use the KeyRing's packages key, or drop keys",
            )
        if encryption_key is not None:
            require_key(me, "encryption_key", encryption_key, "pass a kms.IKey (a key, not an alias)")
        if domain_name is not None:
            validate_domain_name(me, "domain_name", domain_name)

        if keys is not None:
            key = (
                keys.key(PACKAGES_KEY_PURPOSE)
                if PACKAGES_KEY_PURPOSE in keys.keys
                else keys.add_key(
                    PACKAGES_KEY_PURPOSE,
                    description="secure-sagemaker: package mirror (CodeArtifact domain)",
                    via_services=("codeartifact",),
                )
            )
        elif encryption_key is not None:
            key = encryption_key
        else:
            key = new_customer_managed_key(
                self,
                "Key",
                description=f"secure-sagemaker: package mirror {self.node.path}",
                via_services=("codeartifact",),
            )
        self._key = key

        account = iam.AccountRootPrincipal()
        self._domain = codeartifact.CfnDomain(
            self,
            "Domain",
            domain_name="placeholder",  # replaced below: the default derives from this resource's path
            encryption_key=key.key_arn,
            permissions_policy_document=_policy("ThisAccountOnly", account, _DOMAIN_ACTIONS),
        )
        self._domain.domain_name = domain_name if domain_name is not None else default_domain_name(self._domain)
        self._domain_name = self._domain.domain_name
        self._store = codeartifact.CfnRepository(
            self,
            "StoreRepository",
            domain_name=self._domain.attr_name,
            domain_owner=self._domain.attr_owner,
            repository_name=STORE_REPOSITORY_NAME,
            description="PyPI as fetched by CodeArtifact (the external connection); read through 'pypi'",
            external_connections=[PYPI_CONNECTION],
            permissions_policy_document=_policy("ThisAccountOnly", account, _REPOSITORY_ACTIONS),
        )
        self._repository = codeartifact.CfnRepository(
            self,
            "Repository",
            domain_name=self._domain.attr_name,
            domain_owner=self._domain.attr_owner,
            repository_name=REPOSITORY_NAME,
            description="The index pip reads (aws codeartifact login --tool pip); pypi-store is its upstream",
            upstreams=[self._store.attr_name],
            permissions_policy_document=_policy("ThisAccountOnly", account, _REPOSITORY_ACTIONS),
        )
        self._endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        if network is not None:
            for service in _ENDPOINT_SERVICES:
                self._endpoints[service.short_name] = network.add_interface_endpoint(service, actions=READ_ACTIONS)
        self._read_policy: iam.ManagedPolicy | None = None

    def grant_read(self, role: Any) -> iam.ManagedPolicy:
        """Let ``role`` (an ``iam.IRole`` or an :class:`~secure_sagemaker.identity.ExecutionRole`) log
        pip in and read packages through ``pypi``: the mirror's one read policy (a managed policy of
        this construct) is attached to it, so every granted role shares that policy.

        ``sts:GetServiceBearerToken`` has no resource type, so its resource is ``*``, limited by
        ``sts:AWSServiceName`` to CodeArtifact (the acknowledged AwsSolutions-IAM5 finding).
        """
        target = getattr(role, "role", role)
        if isinstance(target, str) or not hasattr(target, "role_arn"):
            raise fail(
                describe(self),
                "grant_read(role)",
                role,
                "is not an IAM role",
                "pass an iam.IRole or an ExecutionRole such as baseline.studio_role",
            )
        if self._read_policy is not None:
            self._read_policy.attach_to_role(target)
            return self._read_policy
        policy = iam.ManagedPolicy(
            self,
            "ReadPolicy",
            description="Read the PyPI mirror: pip login (token, endpoint) and downloads through the pypi repository",
            roles=[target],
            statements=[
                iam.PolicyStatement(
                    sid="AuthorizationToken",
                    actions=["codeartifact:GetAuthorizationToken"],
                    resources=[self._domain.attr_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadThePypiRepository",
                    actions=["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
                    resources=[self._repository.attr_arn],
                ),
                iam.PolicyStatement(
                    sid="BearerTokenForCodeArtifactOnly",
                    actions=["sts:GetServiceBearerToken"],
                    resources=["*"],
                    conditions={"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}},
                ),
            ],
        )
        acknowledge_wildcard_resources(
            policy,
            "sts:GetServiceBearerToken has no resource type in the Service Authorization Reference, so its "
            "resource can only be '*'; the statement is limited by sts:AWSServiceName to CodeArtifact, as in "
            "AWS's own CodeArtifact policies, and every CodeArtifact action is scoped to this domain and repository.",
        )
        self._read_policy = policy
        return policy

    @property
    def domain(self) -> codeartifact.CfnDomain:
        """The KMS-encrypted CodeArtifact domain."""
        return self._domain

    @property
    def store_repository(self) -> codeartifact.CfnRepository:
        """``pypi-store``: the repository with the external connection to PyPI."""
        return self._store

    @property
    def repository(self) -> codeartifact.CfnRepository:
        """``pypi``: the repository pip reads, with ``pypi-store`` upstream."""
        return self._repository

    @property
    def key(self) -> kms.IKey:
        """The key that encrypts every asset of the domain."""
        return self._key

    @property
    def endpoints(self) -> dict[str, ec2.InterfaceVpcEndpoint]:
        """The interface endpoints by service short name (empty without ``network``)."""
        return dict(self._endpoints)

    @property
    def domain_name(self) -> str:
        """The domain's name (a literal)."""
        return self._domain_name

    @property
    def pip_index_url(self) -> str:
        """The ``pypi`` repository's index URL, without the token pip needs (``aws:<token>@``)."""
        host = f"{self._domain_name}-{cdk.Aws.ACCOUNT_ID}.d.codeartifact.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}"
        return f"https://{host}/pypi/{REPOSITORY_NAME}/simple/"

    @property
    def login_command(self) -> str:
        """The AWS CLI command that points pip at the mirror for 12 hours."""
        return (
            f"aws codeartifact login --tool pip --domain {self._domain_name} "
            f"--domain-owner {cdk.Aws.ACCOUNT_ID} --repository {REPOSITORY_NAME}"
        )


def _policy(sid: str, principal: iam.IPrincipal, actions: tuple[str, ...]) -> iam.PolicyDocument:
    """A resource policy that admits ``principal`` (this account) for ``actions`` on the resource
    it is attached to (CodeArtifact evaluates it for that resource only, so ``Resource`` is ``*``)."""
    return iam.PolicyDocument(
        statements=[iam.PolicyStatement(sid=sid, principals=[principal], actions=list(actions), resources=["*"])]
    )


__all__ = ["PYPI_CONNECTION", "REPOSITORY_NAME", "STORE_REPOSITORY_NAME", "PackageMirror"]
