"""A private network for SageMaker: isolated subnets, VPC endpoints, tight security groups, flow logs."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import (
    PropError,
    describe,
    fail,
    is_token,
    require_finite_retention,
    require_number,
    require_one_of,
    require_type,
)
from secure_sagemaker.acknowledgments import acknowledge, skip_checkov
from secure_sagemaker.dns import DnsFirewall

_S = ec2.InterfaceVpcEndpointAwsService

#: The interface endpoints a VpcOnly SageMaker deployment (Studio, notebook instances, training,
#: processing, real-time endpoints) calls when it has no route to the internet. The table in the
#: ``PrivateNetwork`` docstring gives the reason for each one.
SAGEMAKER_INTERFACE_ENDPOINTS: tuple[ec2.InterfaceVpcEndpointAwsService, ...] = (
    _S.SAGEMAKER_API,
    _S.SAGEMAKER_RUNTIME,
    _S.SAGEMAKER_STUDIO,
    _S.SAGEMAKER_NOTEBOOK,
    _S.SAGEMAKER_FEATURESTORE_RUNTIME,
    _S.SERVICE_CATALOG,
    _S.STS,
    _S.CLOUDWATCH_LOGS,
    _S.CLOUDWATCH_MONITORING,
    _S.ECR,
    _S.ECR_DOCKER,
    _S.KMS,
    _S.SSM,
    _S.SSM_MESSAGES,
    _S.SECRETS_MANAGER,
)

# Browsers reach these with the token of a presigned URL, not with IAM credentials, so a policy on
# the calling principal does not fit; SageMaker documents resource-scoped policies for them instead.
_PRESIGNED_URL_SERVICES = frozenset({"studio", "notebook"})
# No documented endpoint-policy support for the Session Manager data channel, and a policy on a
# service without it fails the deployment, so it keeps the default policy. Check a region with
# `aws ec2 describe-vpc-endpoint-services --query 'ServiceDetails[].[ServiceName,VpcEndpointPolicySupported]'`.
_NO_POLICY_SERVICES = frozenset({"ssmmessages"})

_PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
# The Docker bridge on SageMaker notebook instances; a VPC in this range is unreachable from them.
_DOCKER_BRIDGE = ipaddress.IPv4Network("172.17.0.0/16")
_DEFAULT_CIDR = "10.0.0.0/16"
#: Prefix length of each isolated subnet of a new VPC (``subnet_cidr_mask``'s default).
DEFAULT_SUBNET_MASK = 20
_DEFAULT_MAX_AZS = 2
#: A managed prefix list id, as ``s3_prefix_list_id`` (and the ``s3PrefixListId`` key) take it.
PREFIX_LIST_ID = re.compile(r"^pl-[0-9a-f]+$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DEFAULT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"


#: Construct id of the function CDK shares between every AwsCustomResource of a stack.
_AWS_CUSTOM_RESOURCE_FUNCTION = "AWS679f53fac002430cb0da5b7982bd2287"
_DESCRIBE_PREFIX_LISTS_REASON = (
    "ec2:DescribeManagedPrefixLists has no resource-level permissions in the Service Authorization "
    "Reference, so Resource '*' is the only form IAM accepts; the action is read-only and the "
    "policy allows nothing else but writing the lookup's own log group."
)
_LOOKUP_FUNCTION_ACKNOWLEDGMENTS = (
    (
        ["HIPAA.Security-LambdaConcurrency", "NIST.800.53.R5-LambdaConcurrency"],
        "The function runs only when CloudFormation creates or updates the lookup, once per deployment. "
        "Reserving concurrency would take it from the account's unreserved pool, which new accounts keep "
        "at AWS's minimum, so the first deployment in a fresh account would fail.",
    ),
    (
        ["HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"],
        "CloudFormation invokes custom resource functions synchronously and receives their outcome; a "
        "dead-letter queue only receives failed asynchronous invocations, which never happen here, and a "
        "failed lookup fails the deployment visibly.",
    ),
    (
        ["HIPAA.Security-LambdaInsideVPC", "NIST.800.53.R5-LambdaInsideVPC", "PCI.DSS.321-LambdaInsideVPC"],
        "The function calls one read-only EC2 API (DescribeManagedPrefixLists) during deployments and "
        "handles no data. Inside the isolated VPC it would need an EC2 interface endpoint for that call "
        "alone, and the VPC it would run in is being created by the same deployment.",
    ),
)


_DEFAULT_SG_HANDLER_SKIPS = (
    (
        "CKV_AWS_115",
        "CDK's handler that empties the VPC's default security group runs only when CloudFormation creates or "
        "updates the VPC. Reserving concurrency would take it from the account's unreserved pool, which new "
        "accounts keep at AWS's minimum, so the first deployment in a fresh account would fail.",
    ),
    (
        "CKV_AWS_116",
        "CloudFormation invokes custom resource handlers synchronously and receives their outcome; a dead-letter "
        "queue only receives failed asynchronous invocations, which never happen here, and a failure fails the "
        "deployment visibly.",
    ),
    (
        "CKV_AWS_117",
        "The handler revokes the default security group's rules through the EC2 API during deployments and "
        "handles no data. Inside the isolated VPC it would need an EC2 interface endpoint for that alone, and the "
        "VPC it would run in is the one the same deployment creates.",
    ),
)


def _drop_depends_on_role(function: Any, role: Any) -> None:
    """Drop ``function``'s DependsOn when it names only ``role``: its ``Fn::GetAtt`` on the role
    already orders them, and cfn-lint reports the redundant DependsOn (W3005)."""
    if function is None or role is None:
        return
    depends_on = [d.node.path for d in (*function.obtain_dependencies(), *function.node.dependencies)]
    if depends_on and all(path in (role.node.path, f"{role.node.path}/Resource") for path in depends_on):
        function.add_deletion_override("DependsOn")


class PrivateNetwork(Construct):
    """A VPC for SageMaker workloads with no path to or from the internet.

    It creates (or takes) isolated subnets in at least two availability zones, with no internet
    gateway, no NAT and no route to 0.0.0.0/0; interface endpoints with private DNS for every AWS
    API a VpcOnly SageMaker workload calls, each behind an endpoint policy; the S3 gateway endpoint
    on the isolated route tables; one security group for the endpoints and one for the workloads;
    flow logs of all traffic to a KMS-encrypted, retained log group; and a DNS firewall
    (``DnsFirewall``) that resolves AWS names only and logs every query. A VPC it creates also has
    its default security group emptied (CDK does this with a custom resource).

    Keyword-only props:

    - ``logs_key`` (required): customer-managed KMS key for the flow-log group. Its key policy must
      let the CloudWatch Logs service of this account and region use it (the logs key of
      ``KeyRing`` does); CDK adds no grant for that.
    - ``cidr``: IPv4 range of a new VPC. Default ``"10.0.0.0/16"``. A literal, private (RFC 1918 or
      100.64.0.0/10) network between /16 and /28, outside 172.17.0.0/16 (the Docker bridge of
      notebook instances), with room for one subnet per zone.
    - ``subnet_cidr_mask``: prefix length of each isolated subnet of a new VPC. Default ``20``
      (4,091 usable addresses per zone; SageMaker asks for 2 to 4 addresses per Studio user and 2
      per training instance).
    - ``max_azs``: number of zones of a new VPC, at least 2. Default ``2``. Zones are taken from
      ``Fn::GetAZs`` at deploy time, so an environment-agnostic stack needs no AWS account to
      synthesize; a number above the zone count of the region fails at deploy. (In a stack with an
      explicit account and region, CDK's ``Vpc`` still asks for an availability-zones context
      lookup, which ``cdk.context.json`` must answer.)
    - ``availability_zones``: explicit zone names for a new VPC instead of ``max_azs``, at least
      two, all distinct. Default ``None``. Literal zones make cfn-lint warn (W3010).
    - ``vpc``: an existing VPC to use instead of creating one. Default ``None``. It must have
      isolated subnets (``isolated_subnet_ids`` and ``isolated_subnet_route_table_ids`` in
      ``Vpc.from_vpc_attributes``) in at least two zones, and a known ``vpc_cidr_block``. Its
      default security group is left as it is. Cannot be combined with ``cidr``,
      ``subnet_cidr_mask``, ``max_azs`` or ``availability_zones``.
    - ``subnets``: with ``vpc``, the isolated subnets to use. Default ``None``: all isolated
      subnets of ``vpc``. Each must be an isolated subnet of ``vpc``.
    - ``interface_endpoints``: services to create interface endpoints for. Default
      ``SAGEMAKER_INTERFACE_ENDPOINTS`` (below). Pass ``[*SAGEMAKER_INTERFACE_ENDPOINTS, ...]`` to add
      services, or fewer when the VPC already has private-DNS endpoints for some (a VPC holds one
      per service).
    - ``s3_prefix_list_id``: id of the S3 managed prefix list of the region (``pl-...``), to which
      the workload security group may send HTTPS (S3 through the gateway endpoint: security groups
      name S3 only by this id). Default ``None``: the id is looked up at deploy time by a custom
      resource (``S3PrefixListLookup``, an ``AwsCustomResource`` whose function may only call
      ``ec2:DescribeManagedPrefixLists``, logging to a log group under ``logs_key``), so workloads
      reach S3 with no manual step. Give the id (``aws ec2 describe-managed-prefix-lists --filters
      Name=prefix-list-name,Values=com.amazonaws.<region>.s3``) to do without that function.
    - ``external_read_buckets``: names of buckets in other accounts that principals of this account
      may read through the S3 endpoint (for example ``jumpstart-cache-prod-<region>`` for JumpStart
      models). Default ``()``.
    - ``flow_log_retention``: retention of the flow-log group. Default ``RetentionDays.ONE_YEAR``;
      ``INFINITE`` is refused.
    - ``create_flow_log``: with ``vpc`` only, ``False`` skips the flow log for a VPC whose traffic is
      already logged elsewhere; this construct then records no traffic and ``flow_log_group`` is
      ``None``. Default ``True``. A VPC this construct creates always has its flow log.
    - ``dns_allowed_domains``: names the DNS firewall resolves besides AWS's (``allowed_domains``
      of ``DnsFirewall``), such as a package mirror. Default ``()``.
    - ``allow_unfiltered_dns``: ``True`` creates no DNS firewall and no query logging, so that
      workloads resolve any name on the internet and can tunnel data out through DNS queries (use
      it when the VPC's DNS is already filtered and logged, such as by AWS Firewall Manager).
      ``dns_firewall`` is then ``None``. Default ``False``.

    Default interface endpoints (all with private DNS):

    ==============================  ===========================================================
    sagemaker.api                   SageMaker control plane from notebooks and the SDK, and
                                    CreatePresignedDomainUrl/NotebookInstanceUrl (VpcOnly needs)
    sagemaker.runtime               InvokeEndpoint on real-time endpoints (VpcOnly needs)
    aws.sagemaker.<region>.studio   the Studio web app over the private network
    aws.sagemaker.<region>.notebook the notebook-instance web app over the private network
    sagemaker.featurestore-runtime  Feature Store online store reads and writes
    servicecatalog                  SageMaker Projects (templates are Service Catalog products)
    sts                             the SDK resolves its identity and assumes roles
    logs                            the SDK streams job logs; workloads write their own logs
    monitoring                      CloudWatch metrics from workloads and endpoint monitoring
    ecr.api, ecr.dkr                pulling and pushing container images (custom images,
                                    BYO containers, Studio image builds)
    kms                             client-side use of customer-managed keys
    ssm                             Parameter Store configuration read by jobs and notebooks
    ssmmessages                     Session Manager channels (remote access to Studio spaces)
    secretsmanager                  Git credentials of code repositories, data-source secrets
    ==============================  ===========================================================

    Endpoint policies: every endpoint admits only principals of this account
    (``aws:PrincipalAccount``), except Studio and notebook, whose browser traffic carries a
    presigned-URL token and whose policy admits SageMaker actions on this account's resources
    only, and ssmmessages, which keeps the default policy (no documented endpoint-policy support).
    The S3 gateway endpoint admits this account's principals to this account's buckets
    (``s3:ResourceAccount``), anyone to the ECR image-layer bucket of the region (requests there are
    presigned by ECR), and this account's principals to ``external_read_buckets``.

    Security groups: ``endpoint_security_group`` admits only TCP 443 from the VPC's CIDR and has no
    egress. ``workload_security_group`` admits all traffic from itself only and sends only TCP 443
    to the endpoint security group, all traffic to itself (distributed training, Studio apps) and,
    with ``s3_prefix_list_id``, TCP 443 to S3. Studio's access to its EFS volume uses the security
    groups SageMaker creates for the domain.

    Attributes (read-only): ``vpc``, ``subnets`` (a ``SubnetSelection`` of the isolated subnets),
    ``endpoint_security_group``, ``workload_security_group``, ``flow_log_group`` (``None`` when
    ``create_flow_log=False``), ``interface_endpoints`` (endpoint by service short name, such as
    ``"sagemaker.api"`` or ``"studio"``), ``s3_endpoint`` and ``dns_firewall`` (``None`` with
    ``allow_unfiltered_dns=True``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        logs_key: kms.IKey,
        cidr: str | None = None,
        subnet_cidr_mask: int | None = None,
        max_azs: int | None = None,
        availability_zones: Sequence[str] | None = None,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        interface_endpoints: Sequence[ec2.InterfaceVpcEndpointAwsService] | None = None,
        s3_prefix_list_id: str | None = None,
        external_read_buckets: Sequence[str] = (),
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        create_flow_log: bool = True,
        dns_allowed_domains: Sequence[str] = (),
        allow_unfiltered_dns: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self._name = describe(self)
        if logs_key is None or not hasattr(logs_key, "key_arn"):
            raise self._fail("logs_key", logs_key, "is not a KMS key", "pass the logs key of a KeyRing (a kms.IKey)")
        require_one_of(
            self._name,
            ("vpc", vpc),
            [
                ("cidr", cidr),
                ("subnet_cidr_mask", subnet_cidr_mask),
                ("max_azs", max_azs),
                ("availability_zones", availability_zones),
            ],
        )
        require_type(self._name, "create_flow_log", create_flow_log, bool, "pass True or False")
        require_type(self._name, "allow_unfiltered_dns", allow_unfiltered_dns, bool, "pass True or False")
        if allow_unfiltered_dns and dns_allowed_domains:
            raise self._fail(
                "dns_allowed_domains",
                dns_allowed_domains,
                "names domains for a DNS firewall that allow_unfiltered_dns=True does not create",
                "drop one of the two",
            )
        services = self._check_services(interface_endpoints)
        self._check_prefix_list(s3_prefix_list_id)
        self._check_buckets(external_read_buckets)
        require_finite_retention(self._name, "flow_log_retention", flow_log_retention, "flow logs")

        if vpc is None:
            if subnets is not None:
                ids = [getattr(s, "subnet_id", s) for s in subnets]
                raise self._fail(
                    "subnets", ids, "only selects subnets of an existing vpc", "pass vpc too, or drop subnets"
                )
            if not create_flow_log:
                raise self._fail(
                    "create_flow_log",
                    create_flow_log,
                    "cannot turn off the flow log of a VPC this construct creates",
                    "drop create_flow_log",
                )
            cidr = _DEFAULT_CIDR if cidr is None else cidr
            zones = self._zones(max_azs, availability_zones)
            mask = DEFAULT_SUBNET_MASK if subnet_cidr_mask is None else subnet_cidr_mask
            self.check_cidr(
                self._name,
                cidr,
                mask,
                len(zones),
                zones_prop="max_azs" if availability_zones is None else "availability_zones",
            )
            self._vpc: ec2.IVpc = ec2.Vpc(
                self,
                "Vpc",
                ip_addresses=ec2.IpAddresses.cidr(cidr),
                availability_zones=zones,
                subnet_configuration=[
                    ec2.SubnetConfiguration(
                        name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=mask
                    )
                ],
                nat_gateways=0,
                create_internet_gateway=False,
                enable_dns_hostnames=True,
                enable_dns_support=True,
                restrict_default_security_group=True,
            )
            chosen = list(self._vpc.isolated_subnets)
            vpc_cidr = cidr  # a literal, so security-group rules hold no intrinsic
            self._drop_redundant_provider_dependency()
        else:
            self._vpc = vpc
            chosen = self._existing_subnets(vpc, subnets)
            vpc_cidr = self._existing_cidr(vpc)

        self._subnets = ec2.SubnetSelection(subnets=chosen)
        if s3_prefix_list_id is None:
            s3_prefix_list_id = self._look_up_s3_prefix_list(logs_key, flow_log_retention)
        self._endpoint_sg, self._workload_sg = self._security_groups(vpc_cidr, s3_prefix_list_id)
        self._interface_endpoints = {name: self._interface_endpoint(service, name) for service, name in services}
        self._s3_endpoint = self._gateway_endpoint(external_read_buckets)
        self._flow_log_group = self._flow_log(logs_key, flow_log_retention) if create_flow_log else None
        self._dns_firewall = (
            None
            if allow_unfiltered_dns
            else DnsFirewall(
                self,
                "DnsFirewall",
                vpc=self._vpc,
                logs_key=logs_key,
                allowed_domains=dns_allowed_domains,
                log_retention=flow_log_retention,
            )
        )

    @property
    def vpc(self) -> ec2.IVpc:
        """The VPC (created or given)."""
        return self._vpc

    @property
    def subnets(self) -> ec2.SubnetSelection:
        """The isolated subnets that workloads and endpoints use."""
        return self._subnets

    @property
    def endpoint_security_group(self) -> ec2.SecurityGroup:
        """The security group of the interface endpoints: HTTPS in from the VPC, nothing out."""
        return self._endpoint_sg

    @property
    def workload_security_group(self) -> ec2.SecurityGroup:
        """The security group for SageMaker workloads: HTTPS to the endpoints, all within itself."""
        return self._workload_sg

    @property
    def flow_log_group(self) -> logs.LogGroup | None:
        """The encrypted log group of the VPC flow log, or None with ``create_flow_log=False``."""
        return self._flow_log_group

    @property
    def dns_firewall(self) -> DnsFirewall | None:
        """The VPC's DNS firewall and query logging, or ``None`` with ``allow_unfiltered_dns=True``."""
        return self._dns_firewall

    @property
    def interface_endpoints(self) -> dict[str, ec2.InterfaceVpcEndpoint]:
        """Interface endpoint by service short name (``"sagemaker.api"``, ``"studio"``, ...)."""
        return dict(self._interface_endpoints)

    def add_interface_endpoint(
        self, service: ec2.InterfaceVpcEndpointAwsService, *, actions: Sequence[str] = ("*",)
    ) -> ec2.InterfaceVpcEndpoint:
        """Add an interface endpoint with private DNS for ``service`` after construction (as
        :class:`~secure_sagemaker.packages.PackageMirror` does for CodeArtifact): in the isolated
        subnets, behind the endpoint security group, with a policy that admits principals of this
        account only, for ``actions`` (default every action). A VPC holds one private-DNS endpoint
        per service, so a service this network already has an endpoint for is refused.
        """
        if not isinstance(service, ec2.InterfaceVpcEndpointAwsService):
            raise self._fail(
                "service", service, "is not an interface endpoint service", "pass an ec2.InterfaceVpcEndpointAwsService"
            )
        short_name = service.short_name
        if short_name in self._interface_endpoints:
            raise self._fail(
                "service",
                short_name,
                "already has an interface endpoint in this network",
                "use interface_endpoints[...] instead of adding it again",
            )
        if isinstance(actions, str) or not actions or not all(isinstance(a, str) and a for a in actions):
            raise self._fail(
                "actions", actions, "is not a list of IAM actions", "pass actions such as ['s3:GetObject']"
            )
        endpoint = self._interface_endpoint(service, short_name, actions=actions)
        self._interface_endpoints[short_name] = endpoint
        return endpoint

    def retain_where_studio_lives(self) -> None:
        """Keep the VPC, its isolated subnets and the workload security group when the stack is
        deleted, because a Studio domain lives in them.

        SageMaker keeps a domain's home EFS file system when the domain is deleted (and this
        library retains the domain itself), and that file system's mount targets, with the
        security groups SageMaker made for them, stay in the subnets; the domain's apps use the
        workload security group. Deleting those subnets, that group or the VPC would then fail
        and leave the stack in DELETE_FAILED. Retained, they stay behind with the domain and
        the stack deletes cleanly. :class:`~secure_sagemaker.studio.SecureStudioDomain` calls
        this. Interface endpoints, the endpoint security group and the flow log are still
        deleted.
        """
        if isinstance(self._vpc, ec2.Vpc):
            self._vpc.node.default_child.apply_removal_policy(RETAINED)
            for subnet in self._vpc.isolated_subnets:
                subnet.node.default_child.apply_removal_policy(RETAINED)
        self._workload_sg.node.default_child.apply_removal_policy(RETAINED)

    @property
    def s3_endpoint(self) -> ec2.GatewayVpcEndpoint:
        """The S3 gateway endpoint on the isolated subnets' route tables."""
        return self._s3_endpoint

    # --- validation -------------------------------------------------------------------------

    def _fail(self, prop: str, value: Any, problem: str, fix: str) -> PropError:
        return fail(self._name, prop, value, problem, fix)

    def _zones(self, max_azs: int | None, availability_zones: Sequence[str] | None) -> list[str]:
        if max_azs is not None and availability_zones is not None:
            raise self._fail(
                "max_azs",
                max_azs,
                "was given together with availability_zones",
                "give availability_zones or max_azs, not both",
            )
        if availability_zones is None:
            count = _DEFAULT_MAX_AZS if max_azs is None else max_azs
            require_number(self._name, "max_azs", count, "pass a whole number of zones, at least 2", integer=True)
            if count < 2:
                raise self._fail("max_azs", count, "is fewer than two zones", "pass max_azs=2 or more")
            # Resolved at deploy time: no account lookup at synth and never a dummy zone.
            return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(count)]
        if isinstance(availability_zones, str) or not isinstance(availability_zones, Sequence):
            raise self._fail(
                "availability_zones",
                availability_zones,
                "is not a list of zone names",
                "pass a list such as ['eu-west-1a', 'eu-west-1b']",
            )
        zones = list(availability_zones)
        if len(zones) < 2:
            raise self._fail("availability_zones", zones, "names fewer than two zones", "name at least two zones")
        for zone in zones:
            require_type(self._name, "availability_zones", zone, str, "pass zone names as strings")
            if not is_token(zone) and (not zone or zone.startswith("dummy")):
                raise self._fail(
                    "availability_zones", zones, f"contains {zone!r}, not a real zone", "name the region's zones"
                )
        literal = [z for z in zones if not is_token(z)]
        if len(set(literal)) != len(literal):
            raise self._fail("availability_zones", zones, "names a zone twice", "name each zone once")
        return zones

    @staticmethod
    def check_cidr(
        owner: str,
        cidr: str,
        mask: int,
        zone_count: int,
        *,
        prop: str = "cidr",
        mask_prop: str | None = "subnet_cidr_mask",
        zones_prop: str = "max_azs",
    ) -> None:
        """Fail unless ``cidr`` is a VPC block this construct accepts, with room for ``zone_count``
        subnets of ``/mask``. Messages name ``owner`` and ``prop`` (``cidr``, or a context key);
        ``mask_prop`` is None where the subnet mask is not the caller's to set."""
        if is_token(cidr):
            raise fail(owner, prop, cidr, "is a token", "pass a literal CIDR string such as '10.0.0.0/16'")
        require_type(owner, prop, cidr, str, "pass a CIDR string such as '10.0.0.0/16'")
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as err:
            raise fail(
                owner, prop, cidr, f"is not an IPv4 network ({err})", "pass a network such as '10.0.0.0/16'"
            ) from None
        if not 16 <= network.prefixlen <= 28:
            raise fail(
                owner, prop, cidr, "is outside the /16 to /28 that a VPC allows", "pick a block between /16 and /28"
            )
        if not any(network.subnet_of(r) for r in _PRIVATE_RANGES):
            raise fail(
                owner,
                prop,
                cidr,
                "is not a private range",
                "use a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
            )
        if network.overlaps(_DOCKER_BRIDGE):
            raise fail(
                owner,
                prop,
                cidr,
                "overlaps 172.17.0.0/16, the Docker bridge of SageMaker notebook instances",
                "pick a range outside 172.17.0.0/16",
            )
        if mask_prop is not None:
            require_number(owner, mask_prop, mask, "pass a prefix length such as 20", integer=True)
            if not network.prefixlen <= mask <= 28:
                raise fail(
                    owner,
                    mask_prop,
                    mask,
                    f"is not between the /{network.prefixlen} of {prop} and /28",
                    f"pass a value between {network.prefixlen} and 28",
                )
        room = 2 ** (mask - network.prefixlen) if mask >= network.prefixlen else 0
        if room < zone_count:
            widest = mask - math.ceil(math.log2(zone_count))
            raise fail(
                owner,
                prop,
                cidr,
                f"has room for {room} subnet(s) of /{mask} but {zone_count} zones need one each",
                f"widen {prop} to a /{widest} or wider"
                + (f", raise {mask_prop}" if mask_prop else "")
                + f", or use fewer zones ({zones_prop})",
            )

    def _existing_subnets(self, vpc: ec2.IVpc, subnets: Sequence[ec2.ISubnet] | None) -> list[ec2.ISubnet]:
        isolated = list(vpc.isolated_subnets)
        if not isolated:
            raise self._fail(
                "vpc",
                vpc.node.path,
                "has no isolated subnets",
                "pass a VPC with isolated subnets (isolated_subnet_ids in Vpc.from_vpc_attributes), "
                "or let the construct create one",
            )
        if subnets is None:
            chosen = isolated
        else:
            if isinstance(subnets, (str, ec2.SubnetSelection)) or not isinstance(subnets, Sequence) or not subnets:
                raise self._fail(
                    "subnets",
                    subnets,
                    "is not a non-empty list of subnets",
                    "pass isolated subnets of vpc, or drop subnets",
                )
            isolated_ids = {s.subnet_id for s in isolated}
            for subnet in subnets:
                if getattr(subnet, "subnet_id", None) not in isolated_ids:
                    raise self._fail(
                        "subnets",
                        getattr(subnet, "subnet_id", subnet),
                        "is not an isolated subnet of vpc",
                        "pass only subnets from vpc.isolated_subnets",
                    )
            chosen = list(subnets)
        for subnet in chosen:
            try:
                route_table_id = subnet.route_table.route_table_id
            except RuntimeError:  # imported without one: jsii raises on access
                route_table_id = None
            if route_table_id is None:
                raise self._fail(
                    "vpc",
                    vpc.node.path,
                    f"has isolated subnet {subnet.subnet_id} without a route table id, "
                    "which the S3 gateway endpoint needs",
                    "pass isolated_subnet_route_table_ids to Vpc.from_vpc_attributes",
                )
        zones = {s.availability_zone for s in chosen}
        if not any(is_token(z) for z in zones) and len(zones) < 2:
            prop, value = ("vpc", vpc.node.path) if subnets is None else ("subnets", [s.subnet_id for s in chosen])
            raise self._fail(
                prop,
                value,
                f"puts the isolated subnets in fewer than two zones ({', '.join(sorted(zones))})",
                "use isolated subnets in at least two availability zones",
            )
        return chosen

    def _existing_cidr(self, vpc: ec2.IVpc) -> str:
        try:
            return vpc.vpc_cidr_block
        except RuntimeError:  # imported without vpc_cidr_block: jsii raises on access
            raise self._fail(
                "vpc",
                vpc.node.path,
                "has no known CIDR, which the endpoint security group needs",
                "pass vpc_cidr_block to Vpc.from_vpc_attributes",
            ) from None

    def _check_services(
        self, services: Sequence[ec2.InterfaceVpcEndpointAwsService] | None
    ) -> list[tuple[ec2.InterfaceVpcEndpointAwsService, str]]:
        """Each service with its short name (read once: every read is a round trip to the jsii kernel)."""
        if services is None:
            return [(service, service.short_name) for service in SAGEMAKER_INTERFACE_ENDPOINTS]
        if isinstance(services, str) or not isinstance(services, Sequence):
            raise self._fail(
                "interface_endpoints",
                services,
                "is not a list of services",
                "pass InterfaceVpcEndpointAwsService values",
            )
        named: dict[str, ec2.InterfaceVpcEndpointAwsService] = {}
        for service in services:
            require_type(
                self._name,
                "interface_endpoints",
                service,
                ec2.InterfaceVpcEndpointAwsService,
                "pass ec2.InterfaceVpcEndpointAwsService values",
            )
            short_name = service.short_name
            if short_name in named:
                raise self._fail("interface_endpoints", short_name, "is listed twice", "list each service once")
            named[short_name] = service
        return [(service, short_name) for short_name, service in named.items()]

    def _check_prefix_list(self, prefix_list_id: str | None) -> None:
        if prefix_list_id is None or is_token(prefix_list_id):
            return
        if not isinstance(prefix_list_id, str) or not PREFIX_LIST_ID.match(prefix_list_id):
            raise self._fail(
                "s3_prefix_list_id",
                prefix_list_id,
                "is not a prefix list id (pl-<hex>)",
                "pass the id from `aws ec2 describe-managed-prefix-lists` for com.amazonaws.<region>.s3, or None",
            )

    def _check_buckets(self, buckets: Sequence[str]) -> None:
        if isinstance(buckets, str) or not isinstance(buckets, Sequence):
            raise self._fail("external_read_buckets", buckets, "is not a list of bucket names", "pass a list of names")
        for bucket in buckets:
            if is_token(bucket):
                continue
            if not isinstance(bucket, str) or not _BUCKET_NAME.match(bucket):
                raise self._fail(
                    "external_read_buckets", bucket, "is not a bucket name", "pass bare bucket names, not ARNs or URLs"
                )

    # --- resources --------------------------------------------------------------------------

    def _drop_redundant_provider_dependency(self) -> None:
        # CDK's provider for restrict_default_security_group gives its handler both a DependsOn and
        # a GetAtt on its role, which cfn-lint reports (W3005); the GetAtt alone orders them.
        provider = cdk.Stack.of(self).node.try_find_child(_DEFAULT_SG_PROVIDER)
        if provider is not None:
            handler = provider.node.try_find_child("Handler")
            _drop_depends_on_role(handler, provider.node.try_find_child("Role"))
            # The stock nag packs do not see this handler (a CfnResource, not a CfnFunction); checkov does.
            for check, reason in _DEFAULT_SG_HANDLER_SKIPS:
                skip_checkov(handler, check, "AWS::Lambda::Function", reason)

    def _security_groups(
        self, vpc_cidr: str, prefix_list_id: str | None
    ) -> tuple[ec2.SecurityGroup, ec2.SecurityGroup]:
        endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self._vpc,
            allow_all_outbound=False,
            description="Interface endpoints: HTTPS in from the VPC, no egress",
        )
        endpoint_sg.add_ingress_rule(ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        workload_sg = ec2.SecurityGroup(
            self,
            "WorkloadSecurityGroup",
            vpc=self._vpc,
            allow_all_outbound=False,
            description="SageMaker workloads: HTTPS to the endpoints, all traffic within the group",
        )
        members = "members (distributed training, Studio apps)"
        workload_sg.add_egress_rule(endpoint_sg, ec2.Port.tcp(443), "HTTPS to the interface endpoints")
        workload_sg.add_ingress_rule(workload_sg, ec2.Port.all_traffic(), f"From {members}")
        (self_ingress,) = [c for c in workload_sg.node.children if isinstance(c, ec2.CfnSecurityGroupIngress)]
        acknowledge(
            self_ingress,
            [
                "HIPAA.Security-EC2RestrictedCommonPorts",
                "NIST.800.53.R5-EC2RestrictedCommonPorts",
                "PCI.DSS.321-EC2RestrictedCommonPorts",
            ],
            "The only source is this security group itself, so no address outside its members can connect; "
            "the rule flags every all-protocol rule whatever its source. Distributed training (NCCL, EFA) "
            "needs all protocols between members.",
        )
        workload_sg.add_egress_rule(workload_sg, ec2.Port.all_traffic(), f"To {members}")
        if prefix_list_id is not None:
            workload_sg.add_egress_rule(
                ec2.Peer.prefix_list(prefix_list_id), ec2.Port.tcp(443), "HTTPS to S3 via the gateway endpoint"
            )
        # Rules that name a security group become separate resources, and CDK then drops its inline
        # "disallow all" rule; with no inline egress, CloudFormation keeps EC2's default allow-all
        # egress. This inline rule matches nothing (no host has 255.255.255.255, no such ICMP type).
        workload_sg.add_egress_rule(
            ec2.Peer.ipv4("255.255.255.255/32"), ec2.Port.icmp_type_and_code(252, 86), "Disallow all traffic"
        )
        return endpoint_sg, workload_sg

    def _look_up_s3_prefix_list(self, logs_key: kms.IKey, retention: logs.RetentionDays) -> str:
        """The S3 managed prefix list id of the stack's Region, read at deploy time."""
        call = cr.AwsSdkCall(
            service="EC2",
            action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{cdk.Aws.REGION}.s3"]}]},
            physical_resource_id=cr.PhysicalResourceId.of(f"com.amazonaws.{cdk.Aws.REGION}.s3"),
            output_paths=["PrefixLists.0.PrefixListId"],
        )
        log_group = logs.LogGroup(
            self, "S3PrefixListLookupLogs", encryption_key=logs_key, retention=retention, removal_policy=RETAINED
        )
        # Its own role with a customer managed policy: AwsCustomResource's default is an inline
        # policy on a role with AWSLambdaBasicExecutionRole, which writes to any log group.
        role = iam.Role(
            self,
            "S3PrefixListLookupRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Reads the Region's S3 managed prefix list id during deployments",
        )
        policy = iam.ManagedPolicy(
            self,
            "S3PrefixListLookupPolicy",
            roles=[role],
            description="ec2:DescribeManagedPrefixLists and writing the lookup's own log group",
            statements=[
                iam.PolicyStatement(sid="ReadPrefixLists", actions=["ec2:DescribeManagedPrefixLists"], resources=["*"]),
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
            ],
        )
        acknowledge(policy, ["AwsSolutions-IAM5[Resource::*]"], _DESCRIBE_PREFIX_LISTS_REASON)
        lookup = cr.AwsCustomResource(
            self,
            "S3PrefixListLookup",
            on_create=call,
            on_update=call,
            role=role,
            install_latest_aws_sdk=False,
            log_group=log_group,
            resource_type="Custom::S3PrefixListLookup",
        )
        lookup.node.add_dependency(policy)
        function = cdk.Stack.of(self).node.try_find_child(_AWS_CUSTOM_RESOURCE_FUNCTION)
        _drop_depends_on_role(function.node.default_child, role)
        for rules, reason in _LOOKUP_FUNCTION_ACKNOWLEDGMENTS:
            acknowledge(function, rules, reason)
        return lookup.get_response_field("PrefixLists.0.PrefixListId")

    def _interface_endpoint(
        self, service: ec2.InterfaceVpcEndpointAwsService, short_name: str, *, actions: Sequence[str] = ("*",)
    ) -> ec2.InterfaceVpcEndpoint:
        construct_id = "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", short_name)) + "Endpoint"
        endpoint = ec2.InterfaceVpcEndpoint(
            self,
            construct_id,
            vpc=self._vpc,
            service=service,
            subnets=self._subnets,
            security_groups=[self._endpoint_sg],
            private_dns_enabled=True,
            open=False,  # the endpoint security group already admits the VPC, by a literal CIDR
        )
        if short_name in _PRESIGNED_URL_SERVICES:
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="SageMakerActionsOnThisAccountOnly",
                    principals=[iam.AnyPrincipal()],
                    actions=["sagemaker:*"],
                    resources=[cdk.Stack.of(self).format_arn(service="sagemaker", resource="*")],
                )
            )
        elif short_name not in _NO_POLICY_SERVICES:
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="PrincipalsOfThisAccountOnly",
                    principals=[iam.AnyPrincipal()],
                    actions=list(actions),
                    resources=["*"],
                    conditions={"StringEquals": {"aws:PrincipalAccount": cdk.Aws.ACCOUNT_ID}},
                )
            )
        return endpoint

    def _gateway_endpoint(self, external_read_buckets: Sequence[str]) -> ec2.GatewayVpcEndpoint:
        endpoint = ec2.GatewayVpcEndpoint(
            self, "S3Endpoint", vpc=self._vpc, service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self._subnets]
        )
        account, partition = cdk.Aws.ACCOUNT_ID, cdk.Aws.PARTITION
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="ThisAccountToThisAccountBuckets",
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:PrincipalAccount": account, "s3:ResourceAccount": account}},
            )
        )
        # ECR presigns layer downloads with its own credentials, so no principal condition fits here.
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="EcrImageLayers",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[f"arn:{partition}:s3:::prod-{cdk.Aws.REGION}-starport-layer-bucket/*"],
            )
        )
        if external_read_buckets:
            arns = [f"arn:{partition}:s3:::{b}{suffix}" for b in external_read_buckets for suffix in ("", "/*")]
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="ThisAccountReadsExternalBuckets",
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:GetObject", "s3:ListBucket"],
                    resources=arns,
                    conditions={"StringEquals": {"aws:PrincipalAccount": account}},
                )
            )
        return endpoint

    def _flow_log(self, key: kms.IKey, retention: logs.RetentionDays) -> logs.LogGroup:
        group = logs.LogGroup(self, "FlowLogGroup", encryption_key=key, retention=retention, removal_policy=RETAINED)
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self,
            "FlowLogRole",
            description="Lets VPC Flow Logs of this account deliver to the flow-log group",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(service="ec2", resource="vpc-flow-log", resource_name="*")
                    },
                },
            ),
        )
        # A managed policy, not the role's inline default policy, which the stock packs reject.
        policy = iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            roles=[role],
            description="Write access to the flow-log group only",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[group.log_group_arn],
                )
            ],
        )
        # Immutable: the destination would otherwise add an inline policy (with iam:PassRole on the
        # role itself) beside the managed policy above, which already grants what delivery needs.
        flow_log = ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self._vpc),
            traffic_type=ec2.FlowLogTrafficType.ALL,
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(group, role.without_policy_updates()),
        )
        flow_log.node.add_dependency(policy)
        return group
