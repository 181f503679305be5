"""DNS for an isolated VPC: a Route 53 Resolver DNS Firewall that resolves AWS names only, and query logs.

An isolated VPC has no route to the internet, but its resolver still forwards any name to the
internet's DNS. A hijacked container can tunnel data out, or reach a command server, through
queries for names of a domain whose name servers an attacker runs. The firewall answers such
queries with NXDOMAIN before they leave AWS, and the query log records them.
"""

from __future__ import annotations

from typing import Any, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53resolver as resolver
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import (
    describe,
    fail,
    is_token,
    require_attribute,
    require_finite_retention,
    require_number,
    require_type,
)
from secure_sagemaker.alarms import AlarmFactory

#: Names that resolve through the firewall besides the partition's service domain
#: (``amazonaws.com`` and ``*.amazonaws.com``, or ``amazonaws.com.cn`` in China, which hold the
#: interface endpoints' private DNS names and the S3 gateway endpoint's): SageMaker's own domain
#: (Studio and notebook URLs) and AWS's dual-stack endpoints. AWS runs the name servers of all of
#: them, so no query for them reaches a server an attacker controls.
AWS_SERVICE_DOMAINS: tuple[str, ...] = ("*.sagemaker.aws", "*.api.aws")
#: What ``priority`` defaults to: after AWS Firewall Manager's "first" rule groups (priorities
#: 1-100) and before its "last" ones (9901-10000).
DEFAULT_PRIORITY = 1000
#: The metric namespace of blocked queries (with a ``VpcId`` dimension, so copies in one account
#: keep apart).
METRIC_NAMESPACE = "SecureSageMaker/DnsFirewall"
_MAX_DOMAINS_PER_LIST = 1000  # this construct's limit, well inside the quota of the domain-list API
_DOMAIN_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.*_")


class DnsFirewall(Construct):
    """A Route 53 Resolver DNS Firewall on one VPC that answers only AWS names, with query logs.

    The rule group has two rules: the partition's service domain (``*.amazonaws.com``), the names
    in ``AWS_SERVICE_DOMAINS`` and ``allowed_domains`` resolve (ALLOW, priority 100); every other name is blocked with NXDOMAIN (BLOCK on ``*``,
    priority 200). The rule group is associated with the VPC, and the firewall fails closed (Route 53 Resolver's default). Every query of the VPC is logged by a
    Resolver query logging configuration to a KMS-encrypted, retained log group; a metric filter
    counts blocked queries, and with ``alarm_topic`` (or ``alarm_blocked_queries``) an alarm
    notifies that topic.

    What this breaks: anything in the VPC that resolves a non-AWS name, such as ``pip install``
    or ``conda install`` from public indexes (they also need a route to the internet, which the
    isolated VPC does not have), git remotes outside AWS, and reverse DNS lookups. The fix for
    pip is :class:`~secure_sagemaker.packages.PackageMirror` (context key
    ``secure-sagemaker:packageMirror`` in the baseline): a CodeArtifact mirror of PyPI behind
    ``codeartifact.api`` and ``codeartifact.repositories`` interface endpoints, whose names
    (``codeartifact.<region>.amazonaws.com``, ``<domain>-<account>.d.codeartifact.<region>.amazonaws.com``)
    are AWS names this firewall resolves. A data scientist then runs, in a Studio space::

        aws codeartifact login --tool pip --domain <domain> --domain-owner <account> --repository pypi
        pip install pandas

    (``PackageMirror.login_command`` is that line; ``pip_index_url`` the index URL, used with
    ``aws:<token>@`` from ``aws codeartifact get-authorization-token``). conda has no CodeArtifact
    format: install conda packages from a channel you host in S3, or pip packages through the mirror.
    Names you trust otherwise go to ``allowed_domains`` (they still need a route out of the VPC).

    Keyword-only props:

    - ``vpc`` (required): the VPC to protect (any ``ec2.IVpc``, created or imported).
    - ``logs_key`` (required): customer-managed KMS key of the query-log group; its key policy must
      let CloudWatch Logs of this account and Region use it (the logs key of ``KeyRing`` does).
    - ``allowed_domains``: more names to resolve, such as ``"pypi.org"`` or ``"*.example.com"``
      (``*`` only as the first label). Default ``()``.
    - ``alarm_topic``: SNS topic that an alarm on blocked queries (one or more in five minutes)
      notifies on ALARM and OK. Default ``None``: blocked queries are counted and logged only.
    - ``log_retention``: retention of the query-log group. Default ``RetentionDays.ONE_YEAR``;
      ``INFINITE`` is refused.
    - ``priority``: the association's priority among the VPC's rule groups, 101-9899 (unique per
      VPC). Default ``DEFAULT_PRIORITY`` (1000).
    - ``mutation_protection``: ``True`` turns on the association's mutation protection, so that
      nobody can change or remove it through the API, CloudFormation included. Default ``False``:
      with it on, the rollback of a failed first deployment and the deletion of the stack both fail
      at the association (``ROLLBACK_FAILED``), and the retry with them. Turn it on in an update
      once the stack exists, and off again before deleting it; until then, keep
      ``route53resolver:*`` changes to administrators in IAM.

    Attributes (read-only): ``rule_group``, ``association``, ``query_log_group``,
    ``blocked_queries`` (the metric) and ``blocked_queries_alarm`` (``None`` without ``alarm_topic``).

    Deployment: the rule group, domain lists and query logging configuration are named after
    their construct paths, stack name included (Route 53 Resolver does not require unique names),
    so copies of the stack live side by side. Route 53 Resolver adds this log
    group to the account's ``AWSLogDeliveryWrite20150319`` CloudWatch Logs resource policy when
    the query logging configuration is created, which the deploying role must be allowed to do
    (the CDK's default execution role is).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        logs_key: kms.IKey,
        allowed_domains: Sequence[str] = (),
        alarm_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        priority: int = DEFAULT_PRIORITY,
        mutation_protection: bool = False,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_attribute(me, "vpc", vpc, "vpc_id", "pass an ec2.IVpc, such as PrivateNetwork.vpc")
        require_attribute(me, "logs_key", logs_key, "key_arn", "pass the logs key of a KeyRing (a kms.IKey)")
        require_number(
            me, "priority", priority, "pass a number from 101 to 9899", minimum=101, maximum=9899, integer=True
        )
        require_type(me, "mutation_protection", mutation_protection, bool, "pass True or False")
        require_finite_retention(me, "log_retention", log_retention, "query logs")
        domains = checked_domains(me, "allowed_domains", allowed_domains)

        suffix = cdk.Aws.URL_SUFFIX
        allowed = resolver.CfnFirewallDomainList(
            self, "AllowedDomains", domains=[suffix, f"*.{suffix}", *AWS_SERVICE_DOMAINS, *domains]
        )
        everything = resolver.CfnFirewallDomainList(self, "AllDomains", domains=["*"])
        for named in (allowed, everything):
            named.name = _name(named)
        self._rule_group = resolver.CfnFirewallRuleGroup(
            self,
            "RuleGroup",
            firewall_rules=[
                resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                    action="ALLOW", firewall_domain_list_id=allowed.attr_id, priority=100
                ),
                resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                    action="BLOCK", block_response="NXDOMAIN", firewall_domain_list_id=everything.attr_id, priority=200
                ),
            ],
        )
        self._rule_group.name = _name(self._rule_group)
        self._association = resolver.CfnFirewallRuleGroupAssociation(
            self,
            "Association",
            firewall_rule_group_id=self._rule_group.attr_id,
            vpc_id=vpc.vpc_id,
            priority=priority,
            mutation_protection="ENABLED" if mutation_protection else "DISABLED",
        )

        self._log_group = logs.LogGroup(
            self, "QueryLogGroup", encryption_key=logs_key, retention=log_retention, removal_policy=RETAINED
        )
        query_logging = resolver.CfnResolverQueryLoggingConfig(
            self, "QueryLogging", destination_arn=self._log_group.log_group_arn
        )
        query_logging.name = _name(query_logging)
        resolver.CfnResolverQueryLoggingConfigAssociation(
            self,
            "QueryLoggingAssociation",
            resolver_query_log_config_id=query_logging.attr_id,
            resource_id=vpc.vpc_id,
        )
        logs.MetricFilter(
            self,
            "BlockedQueriesFilter",
            log_group=self._log_group,
            filter_pattern=logs.FilterPattern.string_value("$.firewall_rule_action", "=", "BLOCK"),
            metric_namespace=METRIC_NAMESPACE,
            metric_name="BlockedQueries",
            metric_value="1",
            dimensions={"VpcId": "$.vpc_id"},
        )
        self._metric = cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name="BlockedQueries",
            dimensions_map={"VpcId": vpc.vpc_id},
            statistic="Sum",
            period=cdk.Duration.minutes(5),
        )
        self._alarm: cloudwatch.Alarm | None = None
        if alarm_topic is not None:
            self.alarm_blocked_queries(alarm_topic)

    def alarm_blocked_queries(self, topic: sns.ITopic) -> cloudwatch.Alarm:
        """Alarm when the firewall blocks one or more queries in five minutes, notifying ``topic`` on
        ALARM and OK; once per firewall."""
        me = describe(self)
        require_attribute(me, "topic", topic, "topic_arn", "pass an sns.ITopic")
        if self._alarm is not None:
            raise fail(me, "topic", topic.node.path, "is a second alarm topic", "alarm once, on one topic")
        self._alarm = AlarmFactory(self, topic).alarm(
            "BlockedQueriesAlarm",
            metric=self._metric,
            threshold=1,
            description=(
                f"{self.node.path}: the DNS firewall blocked queries for names outside the allowed "
                "domains; the query log has the names and the source addresses"
            ),
        )
        return self._alarm

    @property
    def rule_group(self) -> resolver.CfnFirewallRuleGroup:
        """The rule group: AWS names and ``allowed_domains`` resolve, everything else is NXDOMAIN."""
        return self._rule_group

    @property
    def association(self) -> resolver.CfnFirewallRuleGroupAssociation:
        """The rule group's association with the VPC."""
        return self._association

    @property
    def query_log_group(self) -> logs.LogGroup:
        """The KMS-encrypted log group of every DNS query of the VPC."""
        return self._log_group

    @property
    def blocked_queries(self) -> cloudwatch.Metric:
        """Blocked queries of this VPC, summed over five minutes."""
        return self._metric

    @property
    def blocked_queries_alarm(self) -> cloudwatch.Alarm | None:
        """The alarm on blocked queries, or ``None`` without ``alarm_topic``."""
        return self._alarm


def _name(resource: cdk.CfnResource) -> str:
    """A name for ``resource`` made from its path, stack name included, so copies of a stack (and
    their rule groups and domain lists, which the console lists by name) tell apart."""
    return cdk.Names.unique_resource_name(resource, max_length=64)


def checked_domains(me: str, prop: str, domains: Any) -> list[str]:
    """``domains`` as lowercase names for a domain list; fails on anything a DNS Firewall domain list
    refuses, and on ``*`` alone, which would allow every name."""
    fix = "pass domain names such as ['pypi.org', '*.example.com']"
    if isinstance(domains, (str, bytes)) or not isinstance(domains, Sequence):
        raise fail(me, prop, domains, "is not a list of domain names", fix)
    if len(domains) > _MAX_DOMAINS_PER_LIST:
        raise fail(me, prop, f"{len(domains)} names", f"has more than {_MAX_DOMAINS_PER_LIST}", fix)
    checked = []
    for domain in domains:
        require_type(me, prop, domain, str, fix)
        if is_token(domain):
            checked.append(domain)
            continue
        name = domain.lower().rstrip(".")
        if name == "*":
            raise fail(me, prop, domain, "allows every name, which turns the firewall off", fix)
        labels = name.split(".")
        if (
            not name
            or len(name) > 253
            or set(name) - _DOMAIN_CHARACTERS
            or any(not label or len(label) > 63 for label in labels)
            or "*" in name[1:]
            or (name.startswith("*") and not name.startswith("*."))
        ):
            raise fail(me, prop, domain, "is not a domain name (a '*' may only be the first label)", fix)
        checked.append(name)
    return checked


__all__ = ["AWS_SERVICE_DOMAINS", "DEFAULT_PRIORITY", "METRIC_NAMESPACE", "DnsFirewall"]
