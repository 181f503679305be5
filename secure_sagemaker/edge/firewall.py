"""The AWS WAF web ACL in front of an inference stage: rules, logging with redaction, association.

Rule priorities are fixed per rule (optional rules leave a gap), so turning an option on or off
never renumbers the others and a diff of the web ACL shows only what changed:

====  ===========================================  ==============================================
prio  rule                                         what it does
====  ===========================================  ==============================================
0     ``AllowedIpRanges`` (optional)               block clients outside the allow list
1     ``AllowedCountries`` (optional)              block clients outside the allowed countries
2     ``AWSManagedRulesAmazonIpReputationList``    block addresses AWS threat intelligence lists
3     ``AWSManagedRulesAnonymousIpList`` (opt.)    block VPNs, proxies, Tor and hosting providers
4     ``RateLimitPerIp``                           block a client IP above the rate (extraction, DoS)
5     ``BodySizeLimit``                            block bodies above ``max_body_bytes``
6     ``AWSManagedRulesKnownBadInputsRuleSet``     block known exploit patterns (Log4j, ...)
7     ``AWSManagedRulesCommonRuleSet``             OWASP-style protections; its own 8 KB body
                                                   rule counts only, ``BodySizeLimit`` decides
====  ===========================================  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from secure_sagemaker._retention import RETAINED
from secure_sagemaker.edge.limits import MAX_INSPECTED_BODY_BYTES, content_length_above, inspection_limit

#: Managed rule groups every web ACL has, and the optional anonymous-IP group.
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
ANONYMOUS_IP = "AWSManagedRulesAnonymousIpList"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
COMMON = "AWSManagedRulesCommonRuleSet"
#: The Common rule set's body size rule (8 KB); it counts only, since BodySizeLimit enforces the
#: construct's own limit.
COMMON_BODY_SIZE_RULE = "SizeRestrictions_BODY"
#: Priority of every rule, by name (fixed, see the module docstring).
PRIORITIES = {
    "AllowedIpRanges": 0,
    "AllowedCountries": 1,
    IP_REPUTATION: 2,
    ANONYMOUS_IP: 3,
    "RateLimitPerIp": 4,
    "BodySizeLimit": 5,
    KNOWN_BAD_INPUTS: 6,
    COMMON: 7,
}
#: Request headers kept out of WAF logs: SigV4 signatures and Cognito tokens (authorization), STS
#: session tokens, API keys.
REDACTED_HEADERS = ("authorization", "x-amz-security-token", "x-api-key")

_S = wafv2.CfnWebACL


def _visibility(name: str) -> _S.VisibilityConfigProperty:
    return _S.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _block_rule(name: str, statement: _S.StatementProperty) -> _S.RuleProperty:
    return _S.RuleProperty(
        name=name,
        priority=PRIORITIES[name],
        statement=statement,
        action=_S.RuleActionProperty(block={}),
        visibility_config=_visibility(name),
    )


def _managed_rule(name: str, count_rules: Sequence[str] = ()) -> _S.RuleProperty:
    overrides = [
        _S.RuleActionOverrideProperty(name=rule, action_to_use=_S.RuleActionProperty(count={})) for rule in count_rules
    ]
    return _S.RuleProperty(
        name=name,
        priority=PRIORITIES[name],
        statement=_S.StatementProperty(
            managed_rule_group_statement=_S.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name, rule_action_overrides=overrides or None
            )
        ),
        override_action=_S.OverrideActionProperty(none={}),
        visibility_config=_visibility(name),
    )


_NONE = [_S.TextTransformationProperty(priority=0, type="NONE")]


def body_size_statement(max_body_bytes: int) -> _S.StatementProperty:
    """The statement that matches requests whose body is larger than ``max_body_bytes``.

    Up to 64 KB: a size constraint on the body, whose oversize handling ``MATCH`` also matches
    bodies beyond the inspection limit, so the limit is exact. Above 64 KB WAF cannot measure the
    body; the statement then matches a ``Content-Length`` above the limit, or a request without a
    numeric ``Content-Length`` (chunked uploads), which WAF could not otherwise bound.
    """
    if max_body_bytes <= MAX_INSPECTED_BODY_BYTES:
        return _S.StatementProperty(
            size_constraint_statement=_S.SizeConstraintStatementProperty(
                field_to_match=_S.FieldToMatchProperty(body=_S.BodyProperty(oversize_handling="MATCH")),
                comparison_operator="GT",
                size=max_body_bytes,
                text_transformations=_NONE,
            )
        )
    header = _S.FieldToMatchProperty(single_header={"Name": "content-length"})

    def regex(pattern: str) -> _S.StatementProperty:
        return _S.StatementProperty(
            regex_match_statement=_S.RegexMatchStatementProperty(
                field_to_match=header, regex_string=pattern, text_transformations=_NONE
            )
        )

    return _S.StatementProperty(
        or_statement=_S.OrStatementProperty(
            statements=[
                regex(content_length_above(max_body_bytes)),
                _S.StatementProperty(not_statement=_S.NotStatementProperty(statement=regex("^[0-9]+$"))),
            ]
        )
    )


def web_acl_rules(
    *,
    ipv4_set_arn: str | None,
    ipv6_set_arn: str | None,
    countries: Sequence[str] | None,
    anonymous_ip_list: bool,
    rate_limit: int,
    rate_window_seconds: int,
    max_body_bytes: int,
) -> list[_S.RuleProperty]:
    """The web ACL's rules in priority order (see the module docstring)."""
    rules: list[_S.RuleProperty] = []
    ip_sets = [
        _S.StatementProperty(ip_set_reference_statement=_S.IPSetReferenceStatementProperty(arn=arn))
        for arn in (ipv4_set_arn, ipv6_set_arn)
        if arn is not None
    ]
    if ip_sets:
        allowed = (
            ip_sets[0]
            if len(ip_sets) == 1
            else _S.StatementProperty(or_statement=_S.OrStatementProperty(statements=ip_sets))
        )
        rules.append(
            _block_rule(
                "AllowedIpRanges", _S.StatementProperty(not_statement=_S.NotStatementProperty(statement=allowed))
            )
        )
    if countries:
        geo = _S.StatementProperty(geo_match_statement=_S.GeoMatchStatementProperty(country_codes=list(countries)))
        rules.append(
            _block_rule("AllowedCountries", _S.StatementProperty(not_statement=_S.NotStatementProperty(statement=geo)))
        )
    rules.append(_managed_rule(IP_REPUTATION))
    if anonymous_ip_list:
        rules.append(_managed_rule(ANONYMOUS_IP))
    rules.append(
        _block_rule(
            "RateLimitPerIp",
            _S.StatementProperty(
                rate_based_statement=_S.RateBasedStatementProperty(
                    limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=rate_window_seconds
                )
            ),
        )
    )
    rules.append(_block_rule("BodySizeLimit", body_size_statement(max_body_bytes)))
    rules.append(_managed_rule(KNOWN_BAD_INPUTS))
    rules.append(_managed_rule(COMMON, count_rules=[COMMON_BODY_SIZE_RULE]))
    return rules


def _ip_set(scope: Construct, id: str, version: str, addresses: list[str], name: str) -> wafv2.CfnIPSet:
    return wafv2.CfnIPSet(
        scope,
        id,
        name=f"{name}-{version.lower()}",
        scope="REGIONAL",
        ip_address_version=version,
        addresses=addresses,
        description="Client ranges allowed to call the inference API",
    )


@dataclass(frozen=True)
class Firewall:
    """What :func:`build_firewall` created in front of a stage."""

    #: The regional web ACL with the rules of the module docstring.
    web_acl: wafv2.CfnWebACL
    #: The association of the web ACL with the stage.
    association: wafv2.CfnWebACLAssociation
    #: The encrypted ``aws-waf-logs-*`` log group that receives the web ACL's logs.
    log_group: logs.LogGroup
    #: The logging configuration, with the sensitive headers redacted.
    logging: wafv2.CfnLoggingConfiguration
    #: The IP sets of the allow list (none, IPv4, IPv6 or both).
    ip_sets: tuple[wafv2.CfnIPSet, ...]


def build_firewall(
    scope: Construct,
    *,
    name: str,
    stage_arn: str,
    logs_key: kms.IKey,
    log_retention: logs.RetentionDays,
    allowed_ipv4: list[str],
    allowed_ipv6: list[str],
    countries: Sequence[str] | None,
    anonymous_ip_list: bool,
    rate_limit: int,
    rate_window_seconds: int,
    max_body_bytes: int,
) -> Firewall:
    """Create the web ACL, its IP sets, its encrypted log group, logging and stage association."""
    ipv4 = _ip_set(scope, "AllowedIpv4", "IPV4", allowed_ipv4, name) if allowed_ipv4 else None
    ipv6 = _ip_set(scope, "AllowedIpv6", "IPV6", allowed_ipv6, name) if allowed_ipv6 else None
    _, inspection_setting = inspection_limit(max_body_bytes)
    acl = wafv2.CfnWebACL(
        scope,
        "WebAcl",
        name=name,
        scope="REGIONAL",
        description="Inference API: managed rule groups, rate limit per client IP, body size limit",
        default_action=_S.DefaultActionProperty(allow={}),
        visibility_config=_visibility(name),
        association_config=_S.AssociationConfigProperty(
            request_body={
                "API_GATEWAY": _S.RequestBodyAssociatedResourceTypeConfigProperty(
                    default_size_inspection_limit=inspection_setting
                )
            }
        ),
        rules=web_acl_rules(
            ipv4_set_arn=ipv4.attr_arn if ipv4 else None,
            ipv6_set_arn=ipv6.attr_arn if ipv6 else None,
            countries=countries,
            anonymous_ip_list=anonymous_ip_list,
            rate_limit=rate_limit,
            rate_window_seconds=rate_window_seconds,
            max_body_bytes=max_body_bytes,
        ),
    )
    association = wafv2.CfnWebACLAssociation(
        scope, "WebAclAssociation", resource_arn=stage_arn, web_acl_arn=acl.attr_arn
    )
    log_group = logs.LogGroup(
        scope,
        "WafLogs",
        # WAF logs only to groups named aws-waf-logs-*. The web ACL's id ends the name, so a
        # group retained by a deleted stack never blocks a redeploy of the same stack.
        log_group_name=cdk.Fn.join("", [f"aws-waf-logs-{name}-", cdk.Fn.select(0, cdk.Fn.split("-", acl.attr_id))]),
        encryption_key=logs_key,
        retention=log_retention,
        removal_policy=RETAINED,
    )
    # WAF wants the log group's ARN without the ":*" suffix that LogGroup.log_group_arn carries.
    destination = cdk.Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group.log_group_name,
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    logging = wafv2.CfnLoggingConfiguration(
        scope,
        "WafLogging",
        resource_arn=acl.attr_arn,
        log_destination_configs=[destination],
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
            for header in REDACTED_HEADERS
        ],
    )
    return Firewall(
        web_acl=acl,
        association=association,
        log_group=log_group,
        logging=logging,
        ip_sets=tuple(s for s in (ipv4, ipv6) if s),
    )
