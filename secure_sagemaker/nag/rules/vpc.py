"""Rules for the VPC that SageMaker resources run in."""

from __future__ import annotations

import re

from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import cached, referenced
from secure_sagemaker.nag.template import Resource, Template, Unresolved

VPC = "AWS::EC2::VPC"
SUBNET = "AWS::EC2::Subnet"
ROUTE = "AWS::EC2::Route"
ROUTE_TABLE_ASSOCIATION = "AWS::EC2::SubnetRouteTableAssociation"
INTERNET_GATEWAY = "AWS::EC2::InternetGateway"
FLOW_LOG = "AWS::EC2::FlowLog"
VPC_ENDPOINT = "AWS::EC2::VPCEndpoint"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
RULE_GROUP = "AWS::Route53Resolver::FirewallRuleGroup"
RULE_GROUP_ASSOCIATION = "AWS::Route53Resolver::FirewallRuleGroupAssociation"
QUERY_LOGGING_ASSOCIATION = "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation"

#: Interface (or gateway, for S3) endpoints a VPC needs once SageMaker runs in it.
REQUIRED_ENDPOINTS = ("sagemaker.api", "sagemaker.runtime", "s3")
#: Endpoints for the other APIs SageMaker workloads in isolated subnets usually call.
WORKLOAD_ENDPOINTS = ("sts", "logs", "ecr.api", "ecr.dkr", "kms")

_SERVICE = re.compile(
    r"^(?:[a-z0-9-]+\.)*?(?:com\.amazonaws|aws\.sagemaker)\.(?:\$\{AWS::Region\}|[a-z0-9-]+)\.(?P<service>.+)$",
    re.IGNORECASE,
)


def sagemaker_subnets(template: Template) -> dict[str, list[str]]:
    """Subnets of the template that SageMaker resources use, with the resources using each."""

    def compute() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for resource in template.resources.values():
            if resource.type.startswith("AWS::SageMaker::"):
                for subnet in referenced(resource, template, SUBNET):
                    found.setdefault(subnet.logical_id, []).append(resource.logical_id)
        return found

    return cached(template, "vpc.sagemaker_subnets", compute)


def sagemaker_vpcs(template: Template) -> dict[str, list[str]]:
    """VPCs of the template in which SageMaker resources run, with those resources."""

    def compute() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for resource in template.resources.values():
            if not resource.type.startswith("AWS::SageMaker::"):
                continue
            vpcs = set()
            for item in referenced(resource, template, SUBNET, SECURITY_GROUP, VPC):
                if item.type == VPC:
                    vpcs.add(item.logical_id)
                else:
                    vpc = template.target(item.prop("VpcId"), VPC)
                    if vpc is not None:
                        vpcs.add(vpc.logical_id)
            for vpc_id in vpcs:
                found.setdefault(vpc_id, []).append(resource.logical_id)
        return found

    return cached(template, "vpc.sagemaker_vpcs", compute)


def _attached(r: Resource, attachment_type: str, vpc_property: str) -> tuple[list[Resource], bool]:
    """Resources of ``attachment_type`` whose ``vpc_property`` names the VPC ``r``, and whether any
    of that type names a VPC that cannot be resolved (and so might be ``r``)."""
    t = r.template
    found, unknown = [], False
    for attachment in t.of_type(attachment_type):
        target = t.target(attachment.prop(vpc_property), VPC)
        if target is r:
            found.append(attachment)
        elif target is None and isinstance(t.resolve(attachment.prop(vpc_property)), Unresolved):
            unknown = True
    return found, unknown


@rule(
    "VpcFlowLogs",
    ERROR,
    VPC,
    info="The VPC does not record flow logs of all traffic.",
    explanation=(
        "Flow logs are the record of which addresses talked to which, needed to spot exfiltration, "
        "crypto mining and scanning from ML workloads and to investigate afterwards."
    ),
    fix="Add an AWS::EC2::FlowLog with ResourceType VPC, ResourceId the VPC and TrafficType ALL, to a KMS-encrypted "
    "log group with retention.",
    practices=("P11", "P15", "P16"),
    threats=("T3", "T9"),
)
def vpc_flow_logs(r: Resource) -> Verdict | None:
    """A VPC has a flow log that records all traffic."""
    t = r.template
    partial = []
    flow_logs, unknown = _attached(r, FLOW_LOG, "ResourceId")
    for flow_log in flow_logs:
        traffic = t.string(flow_log.prop("TrafficType"))
        if traffic == "ALL":
            return None
        if isinstance(traffic, Unresolved):
            unknown = True
        else:
            partial.append(f"{flow_log.logical_id} records {traffic or 'no'} traffic only")
    if partial:
        return fail("; ".join(partial))
    if unknown:
        return unverifiable("a flow log of the template names a resource or traffic type that cannot be resolved")
    return fail("no AWS::EC2::FlowLog records this VPC")


@rule(
    "VpcDnsFirewall",
    WARNING,
    VPC,
    info="The VPC that SageMaker resources run in has no Route 53 Resolver DNS Firewall that blocks names.",
    explanation=(
        "An isolated VPC still resolves any name on the internet, so a hijacked container can tunnel data "
        "out, or reach a command server, through DNS queries for a domain whose name servers an attacker runs."
    ),
    fix="Associate an AWS::Route53Resolver::FirewallRuleGroup that allows the AWS domains the workloads need "
    "and blocks everything else (DnsFirewall, which PrivateNetwork creates by default), or acknowledge the rule "
    "where AWS Firewall Manager associates one.",
    practices=("P8", "P15"),
    threats=("T3", "T9"),
)
def vpc_dns_firewall(r: Resource) -> Verdict | None:
    """A VPC that SageMaker resources run in has a DNS Firewall rule group that blocks names."""
    t = r.template
    if r.logical_id not in sagemaker_vpcs(t):
        return None
    associations, unknown = _attached(r, RULE_GROUP_ASSOCIATION, "VpcId")
    blocking_nothing = []
    for association in associations:
        group = t.target(association.prop("FirewallRuleGroupId"), RULE_GROUP)
        if group is None:
            return None  # a rule group of another template or of Firewall Manager
        rules = t.items(group.prop("FirewallRules"))
        if isinstance(rules, Unresolved):
            return unverifiable(f"the rules of {group.logical_id} cannot be resolved")
        if any(
            t.string(t.mapping(item).get("Action")) == "BLOCK" for item in rules if isinstance(t.mapping(item), dict)
        ):
            return None
        blocking_nothing.append(group.logical_id)
    if blocking_nothing:
        return fail(f"the associated rule group {', '.join(blocking_nothing)} has no BLOCK rule")
    if unknown:
        return unverifiable("a DNS Firewall association of the template names a VPC that cannot be resolved")
    return fail("no DNS Firewall rule group is associated with this VPC")


@rule(
    "VpcDnsQueryLogging",
    WARNING,
    VPC,
    info="The VPC that SageMaker resources run in does not log its DNS queries.",
    explanation=(
        "Resolver query logs record which names each address looked up: the evidence of DNS tunnelling, of "
        "command-and-control lookups and of what a compromised workload tried to reach."
    ),
    fix="Associate an AWS::Route53Resolver::ResolverQueryLoggingConfig with the VPC "
    "(AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation; DnsFirewall does), logging to a "
    "KMS-encrypted log group with retention.",
    practices=("P11", "P15"),
    threats=("T3", "T9"),
)
def vpc_dns_query_logging(r: Resource) -> Verdict | None:
    """A VPC that SageMaker resources run in has Resolver query logging."""
    if r.logical_id not in sagemaker_vpcs(r.template):
        return None
    associations, unknown = _attached(r, QUERY_LOGGING_ASSOCIATION, "ResourceId")
    if associations:
        return None
    if unknown:
        return unverifiable("a query logging association of the template names a VPC that cannot be resolved")
    return fail("no Resolver query logging configuration is associated with this VPC")


@rule(
    "SageMakerSubnetNoInternetRoute",
    ERROR,
    SUBNET,
    info="A subnet SageMaker resources run in has a route to the internet.",
    explanation=(
        "SageMaker models, notebooks, domains and jobs belong in isolated subnets: a route to an "
        "internet gateway, a NAT gateway or an egress-only gateway (or public IPs on launch) lets "
        "a compromised workload reach the internet around VPC endpoints. Only subnets that a "
        "SageMaker resource of the template references are checked."
    ),
    fix="Place SageMaker resources in subnets whose route table has only local routes and VPC endpoint routes.",
    practices=("P8", "P9"),
    threats=("T3", "T9", "C2"),
)
def sagemaker_subnet_no_internet_route(r: Resource) -> list[Verdict]:
    """A subnet that SageMaker resources use has no route to the internet."""
    t = r.template
    users = sagemaker_subnets(t).get(r.logical_id)
    if not users:
        return []
    failures, unknown = [], []
    if t.boolean(r.prop("MapPublicIpOnLaunch")) is True:
        failures.append("MapPublicIpOnLaunch is true")
    for association in t.of_type(ROUTE_TABLE_ASSOCIATION):
        if t.target(association.prop("SubnetId"), SUBNET) is not r:
            continue
        table = t.target(association.prop("RouteTableId"))
        if table is None:
            unknown.append(f"{association.logical_id} associates a route table that cannot be resolved")
            continue
        for route in t.referrers(table.logical_id, ROUTE):
            if t.target(route.prop("RouteTableId")) is not table:
                continue
            destination = t.string(route.prop("DestinationCidrBlock")) or t.string(
                route.prop("DestinationIpv6CidrBlock")
            )
            where = f"route {route.logical_id} ({destination if isinstance(destination, str) else '?'})"
            gateway = route.prop("GatewayId")
            if gateway is not None:
                igw = t.target(gateway, INTERNET_GATEWAY)
                text = t.string(gateway)
                if igw is not None or (isinstance(text, str) and text.startswith("igw-")):
                    failures.append(f"{where} goes to an internet gateway")
                elif isinstance(text, Unresolved) and t.target(gateway) is None:
                    unknown.append(f"{where} goes to a gateway that cannot be resolved")
            if route.prop("NatGatewayId") is not None:
                failures.append(f"{where} goes to a NAT gateway")
            if route.prop("EgressOnlyInternetGatewayId") is not None:
                failures.append(f"{where} goes to an egress-only internet gateway")
    used_by = ", ".join(users[:3]) + ("..." if len(users) > 3 else "")
    if failures:
        return [fail(f"used by {used_by}: " + "; ".join(failures))]
    if unknown:
        return [unverifiable(f"used by {used_by}: " + "; ".join(unknown))]
    return []


def _endpoint_services(r: Resource) -> tuple[dict[str, Resource], bool]:
    """Endpoint service suffix (``sagemaker.api``, ``s3``...) -> endpoint, and whether some name is unknown."""
    t = r.template
    services: dict[str, Resource] = {}
    unknown = False
    for endpoint in t.of_type(VPC_ENDPOINT):
        if t.target(endpoint.prop("VpcId"), VPC) is not r:
            continue
        name = t.render(endpoint.prop("ServiceName"))
        if not isinstance(name, str):
            unknown = True
            continue
        match = _SERVICE.match(name)
        if match:
            services.setdefault(match.group("service").lower(), endpoint)
    return services, unknown


def _missing_endpoints(r: Resource, wanted: tuple[str, ...]) -> list[Verdict]:
    t = r.template
    users = sagemaker_vpcs(t).get(r.logical_id)
    if not users:
        return []
    services, unknown = _endpoint_services(r)
    missing = [s for s in wanted if s not in services]
    failures = []
    for service in wanted:
        endpoint = services.get(service)
        if endpoint is None or service == "s3":
            continue
        kind = t.string(endpoint.prop("VpcEndpointType"))
        private_dns = t.boolean(endpoint.prop("PrivateDnsEnabled"))
        if kind == "Interface" and private_dns is not True and not isinstance(private_dns, Unresolved):
            failures.append(f"the {service} endpoint {endpoint.logical_id} has private DNS disabled")
    if missing:
        message = f"no VPC endpoint for {', '.join(missing)} (SageMaker runs here: {', '.join(users[:3])})"
        failures.insert(0, message)
    if failures and (not unknown or not missing):
        return [fail("; ".join(failures))]
    if failures:
        return [unverifiable("; ".join(failures) + ", and some endpoint service names cannot be resolved")]
    return []


@rule(
    "VpcSageMakerEndpoints",
    ERROR,
    VPC,
    info="The VPC SageMaker runs in lacks endpoints for the SageMaker API, the SageMaker runtime or S3.",
    explanation=(
        "In isolated subnets the SageMaker API, runtime and S3 (model artifacts, data) are reachable "
        "only through VPC endpoints; without them workloads fail or traffic is pushed to public "
        "networks. Interface endpoints need private DNS so SDKs use them. Applies to VPCs whose "
        "subnets or security groups SageMaker resources of the template use."
    ),
    fix=(
        "Add interface endpoints com.amazonaws.<region>.sagemaker.api and .sagemaker.runtime with "
        "PrivateDnsEnabled true, and an S3 gateway endpoint, each with an endpoint policy."
    ),
    practices=("P9",),
    threats=("C2", "C4"),
)
def vpc_sagemaker_endpoints(r: Resource) -> list[Verdict]:
    """A VPC that SageMaker runs in has endpoints for the SageMaker API, the SageMaker runtime and S3."""
    return _missing_endpoints(r, REQUIRED_ENDPOINTS)


@rule(
    "VpcWorkloadEndpoints",
    WARNING,
    VPC,
    info="The VPC SageMaker runs in lacks endpoints for APIs workloads usually call (STS, Logs, ECR, KMS).",
    explanation=(
        "Without NAT, containers pull images from ECR, write logs, fetch credentials and use keys "
        "only through interface endpoints; missing ones break workloads or tempt teams to add a NAT gateway."
    ),
    fix="Add interface endpoints for sts, logs, ecr.api, ecr.dkr and kms with private DNS.",
    practices=("P9",),
    threats=("C2",),
)
def vpc_workload_endpoints(r: Resource) -> list[Verdict]:
    """A VPC that SageMaker runs in has endpoints for STS, CloudWatch Logs, ECR and KMS."""
    return _missing_endpoints(r, WORKLOAD_ENDPOINTS)


SECURITY_GROUP_EGRESS = "AWS::EC2::SecurityGroupEgress"
_ANYWHERE = ("0.0.0.0/0", "::/0")


def sagemaker_security_groups(template: Template) -> dict[str, list[str]]:
    """Security groups of the template that SageMaker resources use, with the resources using each."""

    def compute() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for resource in template.resources.values():
            if resource.type.startswith("AWS::SageMaker::"):
                for group in referenced(resource, template, SECURITY_GROUP):
                    found.setdefault(group.logical_id, []).append(resource.logical_id)
        return found

    return cached(template, "vpc.sagemaker_security_groups", compute)


def _open_egress(t: Template, rule_: dict, where: str) -> tuple[str | None, str | None]:
    """``(failure, unknown)`` for one egress rule: all protocols to anywhere fails."""
    protocol = t.string(rule_.get("IpProtocol"))
    destination = t.string(rule_.get("CidrIp")) if rule_.get("CidrIp") is not None else t.string(rule_.get("CidrIpv6"))
    if isinstance(protocol, Unresolved) or isinstance(destination, Unresolved):
        open_protocol = protocol in ("-1", "all") or isinstance(protocol, Unresolved)
        open_destination = destination in _ANYWHERE or isinstance(destination, Unresolved)
        return None, (f"{where} cannot be verified" if open_protocol and open_destination else None)
    if protocol in ("-1", "all") and destination in _ANYWHERE:
        return f"{where} allows all protocols to {destination}", None
    return None, None


@rule(
    "SageMakerSecurityGroupEgress",
    ERROR,
    SECURITY_GROUP,
    info="A security group SageMaker resources use allows all outbound traffic to anywhere.",
    explanation=(
        "Egress to 0.0.0.0/0 (or ::/0) on all protocols lets a compromised notebook, job or model "
        "container send data to any address its subnet routes to, and to any VPC endpoint of any "
        "account. A group without any egress rule gets that rule from EC2 by default. Only groups "
        "that a SageMaker resource of the template references are checked; standalone "
        "AWS::EC2::SecurityGroupEgress resources of the template count as the group's rules."
    ),
    fix=(
        "Give the group explicit egress rules (HTTPS to the VPC endpoints' security group or the "
        "VPC CIDR, the S3 prefix list); in CDK set allowAllOutbound false and add the rules."
    ),
    practices=("P7", "P9"),
    threats=("T3", "C2"),
)
def sagemaker_security_group_egress(r: Resource) -> list[Verdict]:
    """A security group that SageMaker resources use does not allow all egress to anywhere."""
    t = r.template
    users = sagemaker_security_groups(t).get(r.logical_id)
    if not users:
        return []
    inline = t.items(r.prop("SecurityGroupEgress"))
    if isinstance(inline, Unresolved):
        return [unverifiable(f"SecurityGroupEgress cannot be verified: {inline}")]
    rules = [(f"SecurityGroupEgress[{i}]", t.mapping(item)) for i, item in enumerate(inline)]
    rules += [
        (e.logical_id, e.properties)
        for e in t.referrers(r.logical_id, SECURITY_GROUP_EGRESS)
        if t.target(e.prop("GroupId")) is r
    ]
    used_by = ", ".join(users[:3]) + ("..." if len(users) > 3 else "")
    if not rules:
        return [
            fail(
                f"used by {used_by}: the group declares no egress rule, so EC2 adds one that allows all traffic "
                f"to 0.0.0.0/0"
            )
        ]
    failures, unknown = [], []
    for where, item in rules:
        if isinstance(item, Unresolved):
            unknown.append(f"{where} cannot be verified")
            continue
        failure, doubt = _open_egress(t, item if isinstance(item, dict) else {}, where)
        if failure:
            failures.append(failure)
        elif doubt:
            unknown.append(doubt)
    if failures:
        return [fail(f"used by {used_by}: " + "; ".join(failures))]
    if unknown:
        return [unverifiable(f"used by {used_by}: " + "; ".join(unknown))]
    return []
