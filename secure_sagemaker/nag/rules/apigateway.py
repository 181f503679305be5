"""Rules for the API Gateway REST APIs in front of SageMaker, and for their AWS WAF web ACLs.

Which APIs are in front of SageMaker: every REST API of a template that declares a SageMaker
resource, and any REST API with a method that integrates with the SageMaker runtime directly
(``runtime.sagemaker`` in the integration URI). Stages and methods whose API is not declared in
the template (an imported id, a parameter, a cross-stack reference) are checked too, when the
template declares SageMaker resources or the integration targets SageMaker. SAM's
``AWS::Serverless::Api`` is read once ``audit`` has translated the template. HTTP APIs (API Gateway v2)
cannot be associated with AWS WAF and are out of scope: put a REST API in front of models.
"""

from __future__ import annotations

from typing import Any

from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import cached, require_items
from secure_sagemaker.nag.template import Resource, Template, Unresolved, as_dict, as_list, get, references

REST_API = "AWS::ApiGateway::RestApi"
METHOD = "AWS::ApiGateway::Method"
STAGE = "AWS::ApiGateway::Stage"
WEB_ACL = "AWS::WAFv2::WebACL"
WEB_ACL_ASSOCIATION = "AWS::WAFv2::WebACLAssociation"
WAF_LOGGING = "AWS::WAFv2::LoggingConfiguration"
RULE_GROUP = "AWS::WAFv2::RuleGroup"
_BLOCKING_ACTIONS = ("Block", "Captcha", "Challenge")


def has_sagemaker(template: Template) -> bool:
    """True when the template declares any SageMaker resource."""
    return cached(
        template, "apigateway.has_sagemaker", lambda: any(t.startswith("AWS::SageMaker::") for t in template.types())
    )


def _targets_sagemaker(method: Resource) -> bool:
    """True when the method's integration URI names the SageMaker runtime, even where another part of
    the URI (the endpoint name, from a parameter or another stack) cannot be resolved."""
    raw = method.prop("Integration", "Uri")
    uri = method.template.render(raw)
    if isinstance(uri, str):
        return "runtime.sagemaker" in uri
    parts = get(raw, "Fn::Join", 1)
    return isinstance(parts, list) and any(isinstance(p, str) and ":runtime.sagemaker:" in p for p in parts)


def sagemaker_apis(template: Template) -> set[str]:
    """REST APIs of the template that are in front of SageMaker."""

    def compute() -> set[str]:
        apis = template.of_type(REST_API)
        if has_sagemaker(template):
            return {api.logical_id for api in apis}
        found = set()
        for method in template.of_type(METHOD):
            if _targets_sagemaker(method):
                api = template.target(method.prop("RestApiId"), REST_API)
                if api is not None:
                    found.add(api.logical_id)
        return found

    return cached(template, "apigateway.sagemaker_apis", compute)


def _external_sagemaker_api_keys(template: Template) -> set:
    """Keys (``Template.value_key``) of API ids not declared here that a method integrating with SageMaker names."""

    def compute() -> set:
        return {
            template.value_key(m.prop("RestApiId"))
            for m in template.of_type(METHOD)
            if template.target(m.prop("RestApiId"), REST_API) is None and _targets_sagemaker(m)
        } - {None}

    return cached(template, "apigateway.external_sagemaker_apis", compute)


def _in_scope(r: Resource) -> bool:
    """True for a method or stage of an API in front of SageMaker, declared in the template or not.

    An API declared here is in scope when it is in :func:`sagemaker_apis`. One that is not (an
    imported id, a parameter, another stack's output) is in scope when the template declares
    SageMaker resources, when the method integrates with the SageMaker runtime, or when a method
    of the template on the same API id does.
    """
    t = r.template
    api = t.target(r.prop("RestApiId"), REST_API)
    if api is not None:
        return api.logical_id in sagemaker_apis(t)
    if has_sagemaker(t) or (r.type == METHOD and _targets_sagemaker(r)):
        return True
    return r.type == STAGE and t.value_key(r.prop("RestApiId")) in _external_sagemaker_api_keys(t)


def _api_of(r: Resource) -> Resource | None:
    return r.template.target(r.prop("RestApiId"), REST_API)


def _associations(stage: Resource, api: Resource | None) -> tuple[list[Resource], bool]:
    """Web ACL associations of the template that attach to ``stage``; and whether one is unresolvable."""
    t = stage.template
    name = t.string(stage.prop("StageName"))
    found, unknown = [], False
    for association in t.of_type(WEB_ACL_ASSOCIATION):
        arn = association.prop("ResourceArn")
        names = references(arn)
        rendered = t.render(arn)
        if stage.logical_id in names:
            found.append(association)
        elif (
            api is not None
            and api.logical_id in names
            and isinstance(rendered, str)
            and isinstance(name, str)
            and rendered.endswith(f"/stages/{name}")
        ):
            found.append(association)
        elif isinstance(rendered, Unresolved):
            unknown = True
    return found, unknown


@rule(
    "ApiMethodAuthorization",
    ERROR,
    METHOD,
    info="A method of the API in front of SageMaker does not require authorization.",
    explanation=(
        "An inference API without authorization lets anyone who finds the URL query the model: "
        "model extraction, adversarial probing and cost attacks. CORS preflight (OPTIONS) methods "
        "are skipped."
    ),
    fix="Set AuthorizationType to AWS_IAM, COGNITO_USER_POOLS or CUSTOM (with an AuthorizerId).",
    practices=("P10", "P14"),
    threats=("T10", "T12", "C2"),
)
def api_method_authorization(r: Resource) -> Verdict | None:
    """A method of an API in front of SageMaker requires IAM, Cognito or custom authorization."""
    t = r.template
    if not _in_scope(r) or t.string(r.prop("HttpMethod")) == "OPTIONS":
        return None
    kind = t.string(r.prop("AuthorizationType"))
    if isinstance(kind, Unresolved):
        return unverifiable(f"AuthorizationType cannot be verified: {kind}")
    if kind in ("AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM"):
        return None
    method = t.string(r.prop("HttpMethod"))
    return fail(f"{method if isinstance(method, str) else 'the'} method has AuthorizationType {kind or 'NONE'}")


@rule(
    "ApiStageWafAssociation",
    ERROR,
    STAGE,
    info="The stage of the API in front of SageMaker is not protected by an AWS WAF web ACL.",
    explanation=(
        "AWS WAF in front of the inference API filters malicious requests and enforces rate "
        "limits and size limits before they reach the model. The rule looks for an "
        "AWS::WAFv2::WebACLAssociation of the template whose ResourceArn is this stage."
    ),
    fix="Associate a REGIONAL web ACL with the stage's ARN "
    "(arn:...:apigateway:<region>::/restapis/<id>/stages/<name>).",
    practices=("P14",),
    threats=("T10", "T11", "T12"),
)
def api_stage_waf_association(r: Resource) -> Verdict | None:
    """A stage of an API in front of SageMaker is associated with an AWS WAF web ACL."""
    if not _in_scope(r):
        return None
    found, unknown = _associations(r, _api_of(r))
    if found:
        return None
    if unknown:
        return unverifiable("a web ACL association of the template names a resource that cannot be resolved")
    return fail("no AWS::WAFv2::WebACLAssociation attaches a web ACL to this stage")


def _statements(statement: Any, template: Template, depth: int = 0) -> list[dict]:
    """A WAF statement and every statement nested in it (And/Or/Not, scope-down, rule groups)."""
    statement = template.mapping(statement)
    if not isinstance(statement, dict) or depth > 8:
        return []
    found = [statement]
    for key in ("AndStatement", "OrStatement"):
        for nested in as_list(as_dict(statement.get(key)).get("Statements")):
            found.extend(_statements(nested, template, depth + 1))
    found.extend(_statements(get(statement, "NotStatement", "Statement"), template, depth + 1))
    return found


def _has_rate_rule(acl: Resource, depth: int = 0) -> bool:
    t = acl.template
    rules = t.items(acl.prop("Rules"))
    if isinstance(rules, Unresolved):
        return False
    for item in rules:
        item = t.mapping(item)
        if not isinstance(item, dict):
            continue
        action = as_dict(t.mapping(item.get("Action")))
        blocking = any(key in action for key in _BLOCKING_ACTIONS)
        for statement in _statements(item.get("Statement"), t):
            if statement.get("RateBasedStatement") is not None and (blocking or acl.type == RULE_GROUP):
                return True
            group = t.target(get(statement, "RuleGroupReferenceStatement", "Arn"), RULE_GROUP)
            if group is not None and depth < 2 and _has_rate_rule(group, depth + 1):
                return True
    return False


@rule(
    "ApiWafRateBasedRule",
    ERROR,
    STAGE,
    info="The web ACL of the API in front of SageMaker has no blocking rate-based rule.",
    explanation=(
        "Model extraction needs many queries and denial of service many more; a rate-based rule "
        "that blocks (or challenges) a client past a request rate is the control against both. "
        "The rule follows the stage's association to its AWS::WAFv2::WebACL (and rule groups of the "
        "template that the ACL references)."
    ),
    fix="Add a rule with a RateBasedStatement (Limit per 5 minutes, AggregateKeyType IP) and Action Block to the web "
    "ACL.",
    practices=("P14", "P15"),
    threats=("T10", "T12", "C6"),
)
def api_waf_rate_based_rule(r: Resource) -> Verdict | None:
    """The web ACL of an API stage in front of SageMaker has a blocking rate-based rule."""
    t = r.template
    if not _in_scope(r):
        return None
    associations, _ = _associations(r, _api_of(r))
    if not associations:
        return None  # ApiStageWafAssociation reports it
    unknown = []
    for association in associations:
        acl = t.target(association.prop("WebACLArn"), WEB_ACL)
        if acl is None:
            unknown.append(association.logical_id)
            continue
        if _has_rate_rule(acl):
            return None
    if unknown:
        return unverifiable(f"the web ACL of {', '.join(unknown)} is not declared in this template")
    return fail("the associated web ACL has no rate-based rule with a Block, Captcha or Challenge action")


@rule(
    "ApiStageAccessLogs",
    ERROR,
    STAGE,
    info="The stage of the API in front of SageMaker does not write access logs.",
    explanation="Access logs record who called the model, when and how often: the input for detecting extraction and abuse.",
    fix="Set AccessLogSetting.DestinationArn to a KMS-encrypted log group (and a Format with the caller identity and "
    "request id).",
    practices=("P11", "P15"),
    threats=("T10", "T12"),
)
def api_stage_access_logs(r: Resource) -> Verdict | None:
    """A stage of an API in front of SageMaker writes access logs."""
    if not _in_scope(r):
        return None
    if r.template.resolve(r.prop("AccessLogSetting", "DestinationArn")) in (None, ""):
        return fail("AccessLogSetting.DestinationArn is not set")
    return None


@rule(
    "ApiStageThrottling",
    ERROR,
    STAGE,
    info="The stage of the API in front of SageMaker does not throttle requests.",
    explanation=(
        "Stage throttling caps the request rate and burst that reach the endpoint, so a flood of "
        "requests is refused by API Gateway instead of scaling (and billing) the model."
    ),
    fix='Add MethodSettings with HttpMethod "*", ResourcePath "/*", ThrottlingRateLimit and ThrottlingBurstLimit.',
    practices=("P14",),
    threats=("T10", "T12", "C6"),
)
def api_stage_throttling(r: Resource) -> Verdict | None:
    """A stage of an API in front of SageMaker sets throttling limits."""
    t = r.template
    if not _in_scope(r):
        return None
    settings = t.items(r.prop("MethodSettings"))
    if isinstance(settings, Unresolved):
        return unverifiable(f"MethodSettings cannot be verified: {settings}")
    for item in settings:
        item = as_dict(t.mapping(item))
        rate, burst = t.number(item.get("ThrottlingRateLimit")), t.number(item.get("ThrottlingBurstLimit"))
        if rate is not None and burst is not None:
            return None
    return fail("no MethodSettings entry sets both ThrottlingRateLimit and ThrottlingBurstLimit")


def _logging_configs(acl: Resource) -> tuple[list[Resource], bool]:
    t = acl.template
    found, unknown = [], False
    for config in t.of_type(WAF_LOGGING):
        arn = config.prop("ResourceArn")
        if acl.logical_id in references(arn):
            found.append(config)
        elif isinstance(t.render(arn), Unresolved):
            unknown = True
    return found, unknown


@rule(
    "WafLogging",
    ERROR,
    WEB_ACL,
    info="The AWS WAF web ACL does not log the requests it inspects.",
    explanation="WAF logs show which requests were blocked or rate limited and from where, the evidence for attacks on the "
    "inference API.",
    fix="Add an AWS::WAFv2::LoggingConfiguration with ResourceArn the web ACL's ARN and a log destination named "
    "aws-waf-logs-*.",
    practices=("P11", "P15"),
    threats=("T10", "T11", "T12"),
)
def waf_logging(r: Resource) -> Verdict | None:
    """An AWS WAF web ACL has a logging configuration."""
    found, unknown = _logging_configs(r)
    if found:
        return None
    if unknown:
        return unverifiable("a WAF logging configuration of the template names a resource that cannot be resolved")
    return fail("no AWS::WAFv2::LoggingConfiguration names this web ACL")


@rule(
    "WafLogRedaction",
    WARNING,
    WEB_ACL,
    info="The AWS WAF logs of the web ACL do not redact any field.",
    explanation=(
        "WAF logs copy request headers and query strings, including authorization headers, "
        "tokens and personal data sent to the model; redact them."
    ),
    fix="Set RedactedFields on the logging configuration (for example SingleHeader authorization and QueryString).",
    practices=("P11",),
    threats=("T6", "T1"),
)
def waf_log_redaction(r: Resource) -> Verdict | None:
    """The logging configuration of an AWS WAF web ACL redacts sensitive fields."""
    found, _ = _logging_configs(r)
    if not found:
        return None
    verdicts = [
        require_items(config, config.prop("RedactedFields"), f"RedactedFields of {config.logical_id}")
        for config in found
    ]
    if any(v is None for v in verdicts):
        return None
    return verdicts[0]
